r"""Order-preserving large-step weights for the exponential multistep UDS in x = log r (issue 21, point 2).

The exact weights of :mod:`derivations.uds_multistep` integrate the interpolant P(v) through k nodes against the
kernel of (13), K_H(v) = H e^{-H(1 - v)}/(1 - e^{-H}) on v in [0, 1] (v = (log r - log r_s)/H):
w_j = sum_{i < k} [v^i] L_j(v) m_i(H).  As H grows the kernel concentrates at v = 1 (m_i(H) -> 1 for every i), so
the mean becomes the interpolant *extrapolated to t*: for the order-2 predictor the slope weight c(h) = h/(1 - e^-h)
- 1 grows like h, twice DPM-Solver++'s h/2, which is what loses on large steps.

The variant: keep the moments the order needs and freeze the top one at its small-step value,

    m_{k-1}(H)  ->  lim_{H -> 0} m_{k-1}(H) = 1/k      (the mean of v^{k-1} over v in [0, 1]),

the other moments m_0..m_{k-2} exact.  Why the order is kept: with X smooth in x, P's coefficient of v^i is
O(H^i), so changing m_{k-1} by delta changes the mean M by O(H^{k-1}) delta; since m_{k-1}(H) - 1/k = O(H) (its
series starts at H^1, :func:`large_step_check`), the change is O(H^k), and times 1 - q_st = O(H) it is a local
O(H^{k+1}), the same order as the interpolation error of the exact weights.  So the k-node layouts keep global
order k for the flow (predictor) and the corrector keeps its order; the weights still reproduce every polynomial
of degree < k - 1 exactly and sum to 1.  The kernel's remaining dependence on H stays in the lower moments (for
k = 3: m_1 exact).  For k = 2 the variant is parameter-free and equals the published large-step choices: the
predictor weight is DPM-Solver++(2M)'s h/2 and the corrector weight is UniPC's (bh2) UniC-1 trapezoid 1/2 (both
checked symbolically below); for k >= 3 and for the diffusions it is new.

For the MSE- and ML-diffusions with (13)'s noise nothing else changes: the mean is over r in [r_s, r_t] with the
same kernel in v, H = (lambda_t - lambda_s) + (ring-lambda_t - ring-lambda_s) the step in log r, and the noise
term beta_st xi* of (13) is untouched; so the same weights apply (no DPM-Solver or UniPC counterpart: their
stochastic variants exist for the ML-diffusion only).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from . import uds_multistep as ums


def layout_size(name: str) -> int:
    """The number of nodes k of a layout ("AB<k>": k; "AM<k>": k; :func:`derivations.uds_multistep.layout_nodes`)."""
    return len(ums.layout_nodes(name))


@lru_cache(maxsize=None)
def frozen_moment(k: int) -> sp.Expr:
    """lim_{H -> 0} m_{k-1}(H), by sympy.limit of the closed form (= 1/k)."""
    closed = ums.moment(k - 1).subs(ums.D, 1 - sp.exp(-ums.H))
    return sp.limit(closed, ums.H, 0)


@lru_cache(maxsize=None)
def large_step_weights(name: str, frozen=None) -> tuple[sp.Expr, ...]:
    """The layout's weights with the top moment m_{k-1} frozen at :func:`frozen_moment` (k >= 2; the one-node layout
    AB1 has only m_0 = 1 and is unchanged).  ``frozen`` replaces the frozen value (tests: a wrong one must fail)."""
    k = layout_size(name)
    w = ums.layout_weights(name)
    if k < 2:
        return tuple(w)
    top = ums.moment_symbol(k - 1)
    value = frozen_moment(k) if frozen is None else sp.sympify(frozen)
    return tuple(sp.simplify(wj.subs(top, value)) for wj in w)


def large_step_check(frozen: dict | None = None) -> dict[str, bool]:
    """The statements the variant rests on, each a SymPy computation:

    * the frozen value is 1/k and m_{k-1}(H) - 1/k has a series starting at H^1 (the order argument above);
    * each layout's variant weights integrate every polynomial of degree < k - 1 exactly against K_H, sum to 1
      (with m_0 = 1), and differ from the exact ones only by [v^{k-1}] L_j (1/k - m_{k-1});
    * order 2 (flow, step h in log r): AB2's variant is DPM-Solver++(2M) (M = X_s + (h/2)(X_s - X_p)/h_p) and
      AM2's is UniPC's bh2 UniC-1 (the trapezoid), as derived in :func:`derivations.uds_multistep.unipc_bh2_weights`;
    * large steps: as H -> infinity the exact AB2 slope weight (on (X_s - X_p)/a) tends to 1 (extrapolation to t),
      the variant's stays 1/2.

    ``frozen``: {k: value} replaces the frozen value of the k-node layouts (a wrong value must fail a statement)."""
    frozen = frozen or {}
    out: dict[str, bool] = {}
    H, v = ums.H, ums.v
    for k in (2, 3, 4):
        closed = ums.moment(k - 1).subs(ums.D, 1 - sp.exp(-H))
        fk = sp.sympify(frozen.get(k, frozen_moment(k)))
        out[f"frozen m{k - 1} = 1/{k}"] = sp.simplify(fk - sp.Rational(1, k)) == 0
        ser = sp.series(closed - fk, H, 0, 3).removeO()
        out[f"m{k - 1}(H) - 1/{k} = O(H) with a nonzero H term"] = (
            sp.simplify(ser.subs(H, 0)) == 0 and sp.simplify(ser.coeff(H, 1)) != 0)
    val = {ums.a: sp.Rational(7, 10), ums.b: sp.Rational(13, 10), H: sp.Rational(9, 10)}
    for name, nodes in ums.LAYOUTS.items():
        k = len(nodes)
        if k < 2:
            continue
        w = large_step_weights(name, frozen.get(k))
        subs = {ums.MOMENT_SYMBOLS[i]: ums.moment(i).subs(ums.D, 1 - sp.exp(-H)) for i in range(ums.MAX_MOMENT)}
        ok = True
        for deg in range(k - 1):
            lhs = sum(wj * sp.sympify(nj) ** deg for wj, nj in zip(w, nodes)).subs(subs)
            rhs = sp.integrate(v**deg * ums.kernel(), (v, 0, 1))
            ok = ok and abs(sp.N((lhs - rhs).subs(val), 40)) < sp.Float(10) ** -30
        out[f"{name} (large-step): exact for degree < {k - 1}"] = ok
        out[f"{name} (large-step): weights sum to 1"] = sp.simplify(sum(w).subs(ums.MOMENT_SYMBOLS[0], 1) - 1) == 0
        exact = ums.layout_weights(name)
        top = ums.MOMENT_SYMBOLS[k - 1]
        diff_ok = all(sp.simplify(we - wl - sp.diff(we, top) * (top - frozen.get(k, frozen_moment(k)))) == 0
                      for we, wl in zip(exact, w))
        out[f"{name} (large-step): differs from exact only in m{k - 1}"] = diff_ok
    # order 2 equals the published large-step weights
    bh2 = ums.unipc_bh2_weights()
    for name in ("AB2", "AM2"):
        lw = [wj.subs(ums.MOMENT_SYMBOLS[0], 1) for wj in large_step_weights(name, frozen.get(2))]
        out[f"{name} (large-step) = UniPC bh2 / DPM-Solver++(2M) weights"] = all(
            sp.simplify(x - y) == 0 for x, y in zip(lw, bh2[name]))
    # large H: the slope weight on (X_s - X_p)/a
    m1 = ums.moment(1).subs(ums.D, 1 - sp.exp(-H))
    ex = [wj.subs({ums.MOMENT_SYMBOLS[0]: 1, ums.MOMENT_SYMBOLS[1]: m1}) for wj in ums.layout_weights("AB2")]
    ls = [wj.subs(ums.MOMENT_SYMBOLS[0], 1) for wj in large_step_weights("AB2", frozen.get(2))]
    out["AB2 exact slope weight -> 1 as H -> oo"] = sp.limit(-ex[1] * ums.a, H, sp.oo) == 1
    out["AB2 large-step slope weight = 1/2 for every H"] = sp.simplify(-ls[1] * ums.a - sp.Rational(1, 2)) == 0
    return out


#: The history shift of ``pc2-lsh`` (issue 21): the next step's history value is X_hat_t(Y_t^pred) + kappa (Y_t - Y_t^pred),
#: Y_t the corrected state.  A first-order estimate of X_hat at the corrected state with the denoiser's Jacobian
#: Cov[X | Y]/sigma^2 taken as kappa I: for data of variance s^2 along a direction it is s^2/(s^2 + sigma^2), 0 at
#: large noise and 1 at small noise; kappa = 1/2 is its value at sigma = s.  Chosen by measurement (kappa = 1/2, 1,
#: -1/2 on the goal table of verify/claims/uds_default.py; README "Default method"), not derived.
HISTORY_SHIFT = sp.Rational(1, 2)


def history_shift_check(shift=None, displacement: str = "corrector") -> dict[str, bool]:
    """Why the history shift keeps the order, as SymPy series (flow, step H in log r, previous step a H, X smooth in
    log r: X(x) = c0 + c1 x + c2 x^2 + c3 x^3 with x - x_s in units of H):

    * the corrector's displacement Y_t - Y_t^pred = (1 - e^{-H}) (M_AM2 - M_AB2) (large-step weights) is O(H^3) with
      a nonzero H^3 term, so a history value shifted by kappa times it changes the next step's mean by O(H^3) and its
      state by O(H^4): a local error of the order of the method's own, for every fixed kappa;
    * the shift is :data:`HISTORY_SHIFT` = 1/2 (``shift`` replaces it: a wrong value must fail).

    ``displacement``: "corrector" (the method's) or "fresh" (a wrong variant: kappa (X_hat_t - X_hat_s), an O(H)
    quantity, which must fail the order statement)."""
    H, a = ums.H, ums.a
    c0, c1, c2, c3 = sp.symbols("c0:4", real=True)
    X = lambda v: c0 + c1 * v * H + c2 * (v * H) ** 2 + c3 * (v * H) ** 3  # noqa: E731  (v in units of H)
    Xs, Xp, Xt = X(0), X(-a), X(1)
    ab2 = [wj.subs(ums.MOMENT_SYMBOLS[0], 1) for wj in large_step_weights("AB2")]
    am2 = [wj.subs(ums.MOMENT_SYMBOLS[0], 1) for wj in large_step_weights("AM2")]
    m_pred = ab2[0] * Xs + ab2[1] * Xp
    m_corr = am2[0] * Xt + am2[1] * Xs
    if displacement == "corrector":
        disp = (1 - sp.exp(-H)) * (m_corr - m_pred)
    elif displacement == "fresh":
        disp = Xt - Xs
    else:
        raise ValueError(f"displacement must be 'corrector' or 'fresh', got {displacement!r}")
    ser = sp.expand(sp.series(disp, H, 0, 5).removeO())
    low = [sp.simplify(ser.coeff(H, k)) for k in range(3)]
    kappa = HISTORY_SHIFT if shift is None else sp.sympify(shift)
    return {"history shift: the displacement is O(H^3)": all(c == 0 for c in low),
            "history shift: its H^3 term is nonzero": sp.simplify(ser.coeff(H, 3)) != 0,
            "history shift: kappa = 1/2": sp.simplify(kappa - sp.Rational(1, 2)) == 0}


def lambdified_large_step_weights(name: str, frozen=None):
    """numpy function with the arguments of :func:`derivations.uds_multistep.lambdified_weights` (gaps..., m1, ...,
    m_M; see :func:`derivations.uds_multistep.weight_arity`) -> the layout's large-step weights (newest node
    first).  ``frozen`` as in :func:`large_step_weights`."""
    n_gaps, n_moments = ums.weight_arity(name)
    args = (*(ums.gap_symbol(j) for j in range(n_gaps)), *(ums.moment_symbol(k) for k in range(1, n_moments + 1)))
    return sp.lambdify(args, [wj.subs(ums.moment_symbol(0), 1) for wj in large_step_weights(name, frozen)],
                       modules="numpy")


__all__ = ["frozen_moment", "large_step_weights", "large_step_check", "lambdified_large_step_weights", "layout_size",
           "HISTORY_SHIFT", "history_shift_check"]
