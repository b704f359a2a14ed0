r"""Exponential multistep UDS in the variable x = log r = lambda_t + ring-lambda_t (the paper's Remark on scales).

The UDS (13) of one step s -> t is

    Y_t = q_st Y_s + (1 - q_st) M + beta_st xi,   M = mean of X_hat over r in [r_s, r_t],   q_st = r_s/r_t.

Written in x = log r the mean is an integral against the kernel e^x dx/(r_t - r_s) on [x_s, x_t].  With
H = x_t - x_s and v = (x - x_s)/H (v = 0 at s, v = 1 at t) the kernel is, on v in [0, 1],

    K_H(v) dv = H e^{-H (1 - v)} / (1 - e^{-H}) dv,   and its moments   m_k(H) = int_0^1 v^k K_H(v) dv.

An Adams-type method replaces X_hat by the polynomial P(v) through denoiser values at nodes v_j (the past
steps lie at negative v; the fresh value at t, for a corrector, at v = 1) and integrates it *exactly*:

    M = sum_j w_j X_hat_j,   w_j = int_0^1 L_j(v) K_H(v) dv = sum_k [v^k] L_j(v) m_k(H)     (Lagrange basis L_j).

This module derives m_k (closed form by ``sympy.integrate`` and its Taylor series for small H, where the
closed form cancels digits) and the weights w_j as expressions of the node positions and the moments;
:mod:`numerics.uds` lambdifies them.  It also derives, symbolically, how the methods relate to
DPM-Solver++(2M) (Lu et al. 2022), its SDE variant and UniPC (Zhao et al. 2023); see :func:`relations`.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

#: Step in x = log r, the node position v and D = 1 - e^{-H} (kept as a symbol: numerics pass -expm1(-H)).
H = sp.Symbol("H", positive=True)
v = sp.Symbol("v", real=True)
D = sp.Symbol("D", positive=True)

#: The moments m_0..m_3 that the registered methods (order <= 3; the order-3 corrector's cubic) need; a method of
#: order k needs m_0..m_k (its corrector's interpolant has k + 1 nodes): every function below takes the count.
MAX_MOMENT = 4
SERIES_TERMS = 24
#: Below this H the Taylor series of m_k is used (its radius is 2 pi; 24 terms leave < 1e-19 at H = 1).
SERIES_BELOW = 1.0


def kernel(Hs=H) -> sp.Expr:
    """K_H(v) = H e^{-H (1 - v)} / (1 - e^{-H}): the mean over r in [r_s, r_t] written in v = (log r - log r_s)/H."""
    return Hs * sp.exp(-Hs * (1 - v)) / (1 - sp.exp(-Hs))


@lru_cache(maxsize=None)
def moment(k: int) -> sp.Expr:
    """m_k(H) = int_0^1 v^k K_H(v) dv in closed form (by sympy.integrate), written with D = 1 - e^{-H}."""
    inner = sp.integrate(v**k * sp.exp(-H * (1 - v)), (v, 0, 1))
    expr = sp.expand(H * inner / D)
    return sp.simplify(expr.subs(sp.exp(-H), 1 - D))


@lru_cache(maxsize=None)
def _front_series(terms: int) -> sp.Expr:
    """H/(1 - e^{-H}) = sum_n B_n^+ H^n/n! (Bernoulli numbers with B_1 = +1/2, SymPy's convention; a wrong
    convention would fail :func:`moments_check`, which compares with the closed form)."""
    return sum(sp.bernoulli(n) * H**n / sp.factorial(n) for n in range(terms))


@lru_cache(maxsize=None)
def moment_series(k: int, terms: int = SERIES_TERMS) -> sp.Expr:
    """Taylor polynomial of m_k(H) at H = 0, from the two factors of m_k = [H/(1 - e^{-H})] int_0^1 v^k e^{-H(1-v)} dv:
    the first from the Bernoulli numbers, the second term by term (int_0^1 v^k (1 - v)^n dv = k! n!/(k + n + 1)!)."""
    front = _front_series(terms)
    inner = sum((-H) ** n * sp.factorial(k) / sp.factorial(k + n + 1) for n in range(terms))  # Beta(k+1, n+1)/n!
    poly = sp.Poly(sp.expand(front * inner), H)
    return sum(coef * H**e for (e,), coef in poly.terms() if e < terms)


def moments_check(kmax: int = MAX_MOMENT) -> dict[str, bool]:
    """m_0 = 1; the closed form and the series agree at H = 1/3 to 30 digits; m_k -> 1/(k + 1) as H -> 0."""
    out = {}
    for k in range(kmax):
        closed = moment(k).subs(D, 1 - sp.exp(-H))
        a = sp.N(closed.subs(H, sp.Rational(1, 3)), 40)
        b = sp.N(moment_series(k).subs(H, sp.Rational(1, 3)), 40)
        out[f"m{k}: closed = series at H = 1/3 (to 1e-18)"] = abs(a - b) < sp.Float(10) ** -18
        out[f"m{k} -> 1/{k + 1} as H -> 0"] = sp.limit(closed, H, 0) == sp.Rational(1, k + 1)
    out["m0 = 1"] = sp.simplify(moment(0) - 1) == 0
    return out


# ------------------------------------------------------------------------------------------------
# Weights
# ------------------------------------------------------------------------------------------------

def moment_symbol(k: int) -> sp.Symbol:
    """The symbol m_k of the k-th kernel moment."""
    return sp.Symbol(f"m{k}", real=True)


MOMENT_SYMBOLS = tuple(moment_symbol(k) for k in range(MAX_MOMENT))


def lagrange_weights(nodes) -> list[sp.Expr]:
    """w_j = sum_k [v^k] L_j(v) m_k for the interpolant through ``nodes`` (positions in v), as expressions of
    the node positions and the moment symbols m0.. (exact for polynomials of degree < len(nodes))."""
    nodes = list(nodes)
    if not nodes:
        raise ValueError("an interpolant needs at least one node")
    out = []
    for j, vj in enumerate(nodes):
        L = sp.Integer(1)
        for i, vi in enumerate(nodes):
            if i != j:
                L *= (v - vi) / (vj - vi)
        poly = sp.Poly(sp.expand(L), v)
        out.append(sp.together(sum(poly.coeff_monomial(v**k) * moment_symbol(k) for k in range(len(nodes)))))
    return out


#: Node-gap symbols: the history nodes sit at v = -a, -(a + b), -(a + b + g2), ... (a = H_prev/H, b = H_prev2/H,
#: g_j the j-th earlier step over H).
a, b = sp.symbols("a b", positive=True)


def gap_symbol(j: int) -> sp.Symbol:
    """The j-th gap (j = 0: a, 1: b, then g2, g3, ...): the log r step j + 1 steps back over the current one."""
    return (a, b)[j] if j < 2 else sp.Symbol(f"g{j}", positive=True)


def layout_nodes(name: str) -> tuple:
    """The nodes (in v, newest first) of the layout ``name``: "AB<k>" (k >= 1): explicit, k past values, v = 0 (s)
    and the k - 1 before it; "AM<k>" (k >= 2): the corrector, the fresh value at t (v = 1) and k - 1 past values.
    A one-line ValueError for any other name."""
    kind, digits = name[:2], name[2:]
    k = int(digits) if digits.isdigit() else 0
    if kind not in ("AB", "AM") or k < (1 if kind == "AB" else 2):
        raise ValueError(f"unknown multistep layout {name!r}: 'AB<k>' (k >= 1) or 'AM<k>' (k >= 2)")
    n_past = k if kind == "AB" else k - 1
    past, pos = [sp.Integer(0)], sp.Integer(0)
    for j in range(n_past - 1):
        pos = pos - gap_symbol(j)
        past.append(pos)
    return tuple(past) if kind == "AB" else (sp.Integer(1), *past)


def layout_names(order: int) -> tuple[str, ...]:
    """The layouts a method of predictor order ``order`` uses (start-up included): AB1..AB<order>, AM2..AM<order+1>."""
    return tuple(f"AB{k}" for k in range(1, order + 1)) + tuple(f"AM{k}" for k in range(2, order + 2))


#: The node layouts of the registered methods (order <= MAX_MOMENT - 1), newest first (see :func:`layout_nodes`).
LAYOUTS = {name: layout_nodes(name) for name in layout_names(MAX_MOMENT - 1)}


@lru_cache(maxsize=None)
def layout_weights(name: str) -> tuple[sp.Expr, ...]:
    """Weights of one layout (see :func:`layout_nodes`) as expressions of the gaps and the moment symbols."""
    return tuple(lagrange_weights(layout_nodes(name)))


def weights_check(names=None) -> dict[str, bool]:
    """Each layout (default :data:`LAYOUTS`) integrates every polynomial of degree < its node count exactly against
    K_H (checked with the closed-form moments), and the weights sum to 1 (m_0 = 1)."""
    out = {}
    for name in (LAYOUTS if names is None else names):
        nodes = layout_nodes(name)
        w = layout_weights(name)
        subs = {moment_symbol(k): moment(k).subs(D, 1 - sp.exp(-H)) for k in range(len(nodes))}
        ok = True
        for deg in range(len(nodes)):
            lhs = sum(wj * sp.sympify(nj) ** deg for wj, nj in zip(w, nodes)).subs(subs)
            rhs = sp.integrate(v**deg * kernel(), (v, 0, 1))
            val = {a: sp.Rational(7, 10), b: sp.Rational(13, 10), H: sp.Rational(9, 10),
                   **{gap_symbol(j): sp.Rational(11 + 2 * j, 10) for j in range(2, len(nodes))}}
            ok = ok and abs(sp.N((lhs - rhs).subs(val), 40)) < sp.Float(10) ** -30
        out[f"{name}: exact for degree < {len(nodes)}"] = ok
    return out


# ------------------------------------------------------------------------------------------------
# Relations to DPM-Solver++(2M), SDE-DPM-Solver++(2M) and UniPC
# ------------------------------------------------------------------------------------------------

h, hp = sp.symbols("h h_p", positive=True)  # log-SNR step and the previous one
X_s, X_p, X_t = sp.symbols("Xhat_s Xhat_p Xhat_t", real=True)
Y_s, xi = sp.symbols("Y_s xi", real=True)
lam_t = sp.Symbol("ringlambda_t", real=True)


def _mean_ab2(Hstep, Hprev):
    """The exact mean M of the order-2 method: linear interpolant in log r through (s, X_s), (s_prev, X_p)."""
    w = layout_weights("AB2")
    subs = {a: Hprev / Hstep, MOMENT_SYMBOLS[0]: 1, MOMENT_SYMBOLS[1]: moment(1).subs({D: 1 - sp.exp(-H)}).subs(H, Hstep)}
    return w[0].subs(subs) * X_s + w[1].subs(subs) * X_p


def relations() -> dict[str, dict]:
    """Symbolic statements (each with ``holds``) relating the log-r multistep UDS to its peers.

    * flow, order 2: M = X_s + c(h) (X_s - X_p)/h_p with c = h/(1 - e^{-h}) - 1 exactly (h = step in log-SNR,
      which for the flow is the step in log r); DPM-Solver++(2M) uses h/2.  c - h/2 = h^2/12 + O(h^4), so the
      two differ by O(h^3) per step (both second order).  The exact c is diffusers' DPM-Solver++(2M) with
      ``solver_type="heun"`` (coefficient alpha_t((e^{-h} - 1)/h + 1) on D1 = (m0 - m1)/r0, r0 = h_p/h).
    * ML-diffusion, order 2: log r = 2 ring-lambda + const, so H = 2h, q = e^{-2h}, beta = e^{-ring-lambda_t}
      sqrt(1 - e^{-2h}); the method is SDE-DPM-Solver++(2M) with ``solver_type="heun"`` (z = alpha Y).
      For other rates (MSE, penalized, user rates) H = Delta lambda + h and the method is the same
      exponential Adams step with the (13) noise: no DPM-Solver counterpart.
    * UniPC (data prediction): UniP-2 with its fixed rhos_p = 1/2 is DPM-Solver++(2M) for B(h) = e^{-h} - 1 (bh2),
      and UniC with the square system (order >= 2) is the exact Adams-Moulton weight set of this module,
      independent of B(h); UniC-1's fixed rhos_c = 1/2 is the trapezoid (bh2), not the exact weight
      1/(1 - e^{-h}) - 1/h.
    """
    out: dict[str, dict] = {}
    # --- flow, order 2 vs DPM-Solver++(2M)
    M = _mean_ab2(h, hp)
    c_exact = sp.simplify(sp.cancel((M - X_s) * hp / (X_s - X_p)))
    c_claim = h / (1 - sp.exp(-h)) - 1
    c_dpm = h / 2
    diff_series = sp.series(c_claim - c_dpm, h, 0, 6).removeO()
    out["flow: exact weight c(h) = h/(1 - e^-h) - 1 (M = X_s + c (X_s - X_p)/h_p)"] = {
        "holds": sp.simplify(c_exact - c_claim) == 0, "c_exact": str(c_exact), "c_dpm++2m": str(c_dpm),
        "c_exact - h/2 (series)": str(diff_series)}
    out["flow: c(h) - h/2 = h^2/12 - h^4/720 + O(h^6)"] = {
        "holds": sp.expand(diff_series - (h**2 / 12 - h**4 / 720)) == 0}
    # diffusers "dpmsolver++", solver_type "heun", order 2, in Y = z/alpha with sigma_t/sigma_s = e^{-h} alpha_t/alpha_s:
    # x_t = (sigma_t/sigma_s) x_s - alpha_t (e^{-h} - 1) D0 + alpha_t ((e^{-h} - 1)/h + 1) D1,  D1 = (D0 - m1)/r0.
    r0 = hp / h
    y_heun = sp.exp(-h) * Y_s - (sp.exp(-h) - 1) * X_s + ((sp.exp(-h) - 1) / h + 1) * (X_s - X_p) / r0
    y_mid = sp.exp(-h) * Y_s - (sp.exp(-h) - 1) * X_s - sp.Rational(1, 2) * (sp.exp(-h) - 1) * (X_s - X_p) / r0
    y_uds = sp.exp(-h) * Y_s + (1 - sp.exp(-h)) * M  # q = r_s/r_t = e^{-h} for the flow
    out["flow: UDS order 2 = DPM-Solver++(2M) solver_type='heun' (diffusers)"] = {
        "holds": sp.simplify(y_uds - y_heun) == 0}
    out["flow: UDS order 2 - DPM-Solver++(2M) 'midpoint' (the project's) = (1 - e^-h)(c - h/2)(X_s - X_p)/h_p"] = {
        "holds": sp.simplify(y_uds - y_mid - (1 - sp.exp(-h)) * (c_claim - c_dpm) * (X_s - X_p) / hp) == 0}
    # --- ML diffusion: H = 2h; diffusers "sde-dpmsolver++", solver_type "heun", in Y-space
    M2 = _mean_ab2(2 * h, 2 * hp)
    q_ml, beta_ml = sp.exp(-2 * h), sp.exp(-lam_t) * sp.sqrt(1 - sp.exp(-2 * h))
    y_uds_ml = q_ml * Y_s + (1 - q_ml) * M2 + beta_ml * xi
    # z-space: x_t = (sigma_t/sigma_s e^{-h}) x + alpha_t (1 - e^{-2h}) D0 + alpha_t ((1 - e^{-2h})/(-2h) + 1) D1
    #          + sigma_t sqrt(1 - e^{-2h}) noise;   divided by alpha_t: sigma_t/alpha_t = e^{-ring-lambda_t}.
    y_sde = (sp.exp(-2 * h) * Y_s + (1 - sp.exp(-2 * h)) * X_s
             + ((1 - sp.exp(-2 * h)) / (-2 * h) + 1) * (X_s - X_p) / r0 + sp.exp(-lam_t) * sp.sqrt(1 - sp.exp(-2 * h)) * xi)
    out["ML: UDS order 2 = SDE-DPM-Solver++(2M) solver_type='heun' (diffusers)"] = {
        "holds": sp.simplify(sp.expand(y_uds_ml - y_sde)) == 0}
    # --- UniPC (diffusers' multistep_uni_p_bh_update / multistep_uni_c_bh_update, predict_x0 = True)
    out.update(_unipc_relations())
    return out


def unic_rhos(rks, Bh, hh):
    """Transcription of UniPC's corrector coefficients (diffusers ``multistep_uni_c_bh_update``): for nodes
    ``rks`` (the last is 1, the fresh value at t), solve R rhos = b with R[i] = rks^i and
    b[i] = h_phi_k (i + 1)! / B(h), h_phi_1 = expm1(hh), h_phi_k <- h_phi_k/hh - 1/(i + 1)!."""
    order = len(rks)
    h_phi_1 = sp.exp(hh) - 1
    h_phi_k = h_phi_1 / hh - 1
    factorial_i = 1
    R, bvec = [], []
    for i in range(1, order + 1):
        R.append([rk ** (i - 1) for rk in rks])
        bvec.append(h_phi_k * factorial_i / Bh)
        factorial_i *= i + 1
        h_phi_k = h_phi_k / hh - sp.Rational(1, factorial_i)
    if order == 1:
        return [sp.Rational(1, 2)], h_phi_1  # diffusers: rhos_c = [0.5] for order 1
    return list(sp.Matrix(R).LUsolve(sp.Matrix(bvec))), h_phi_1


def _unipc_relations() -> dict[str, dict]:
    out = {}
    hh = -h  # predict_x0: hh = -h
    # UniC, order 1 (nodes: s and the fresh t): x_t = (sigma_t/sigma_s) x - alpha_t h_phi_1 m0 - alpha_t B(h) rhos_c D1_t,
    # D1_t = m_t - m0.  In Y: mean weight on (X_t - X_s) is -B(h) rho / h_phi_1 ... with h_phi_1 = e^{-h} - 1.
    exact_am2 = sp.simplify(layout_weights("AM2")[0].subs({MOMENT_SYMBOLS[0]: 1, MOMENT_SYMBOLS[1]:
                                                           moment(1).subs(D, 1 - sp.exp(-H)).subs(H, h)}))
    for label, Bh in (("bh1", hh), ("bh2", sp.exp(hh) - 1)):
        rhos, h_phi_1 = unic_rhos([1], Bh, hh)
        weight = sp.simplify(Bh * rhos[0] / h_phi_1)
        out[f"UniC-1 ({label}): weight on X_t - X_s is {weight}; exact (13) weight {exact_am2}"] = {
            "holds": True, "same_as_exact": sp.simplify(weight - exact_am2) == 0,
            "difference_series": str(sp.series(weight - exact_am2, h, 0, 3).removeO())}
    # UniC, order 2 (nodes: s_prev at rk = -h_p/h, and t at 1): the square system, weights on D1's
    rk = -hp / h
    exact = layout_weights("AM3")
    subs = {a: hp / h, MOMENT_SYMBOLS[0]: 1}
    for k in (1, 2):
        subs[MOMENT_SYMBOLS[k]] = moment(k).subs(D, 1 - sp.exp(-H)).subs(H, h)
    w_exact = [sp.simplify(w.subs(subs)) for w in exact]  # weights on X_t, X_s, X_p
    for label, Bh in (("bh1", hh), ("bh2", sp.exp(hh) - 1)):
        rhos, h_phi_1 = unic_rhos([rk, 1], Bh, hh)
        # x_t = ... - alpha_t h_phi_1 m0 - alpha_t B (rhos[0] D1_p + rhos[1] D1_t), D1_p = (X_p - X_s)/rk, D1_t = X_t - X_s
        # mean M = X_s + (B/h_phi_1)(rhos[0] (X_p - X_s)/rk + rhos[1] (X_t - X_s))  (since -alpha_t h_phi_1 = alpha_t (1 - q))
        Muni = X_s + (Bh / h_phi_1) * (rhos[0] * (X_p - X_s) / rk + rhos[1] * (X_t - X_s))
        Mex = w_exact[0] * X_t + w_exact[1] * X_s + w_exact[2] * X_p
        val = {h: sp.Rational(3, 5), hp: sp.Rational(7, 10), X_s: sp.Rational(1, 3), X_p: sp.Rational(-2, 7),
               X_t: sp.Rational(5, 11)}
        numeric_gap = abs(sp.N((Muni - Mex).subs(val), 40))
        out[f"UniC-2 ({label}) = exact Adams-Moulton weights in log r (AM3 layout)"] = {
            "holds": numeric_gap < sp.Float(10) ** -30, "gap_at_a_point": str(sp.N(numeric_gap, 5))}
    # UniP-2 with rhos_p = 1/2: x_t = ... - alpha_t h_phi_1 m0 - alpha_t B (1/2) D1, D1 = (X_p - X_s)/rk
    for label, Bh in (("bh1", hh), ("bh2", sp.exp(hh) - 1)):
        h_phi_1 = sp.exp(hh) - 1
        c_uni = sp.simplify((Bh / h_phi_1) * sp.Rational(1, 2) * h)  # M = X_s + c (X_s - X_p)/h_p
        out[f"UniP-2 ({label}): c(h) = {c_uni} (DPM-Solver++(2M): h/2)"] = {
            "holds": True, "equals_dpm++2m": sp.simplify(c_uni - h / 2) == 0}
    return out


def unipc_bh2_weights() -> dict[str, tuple[sp.Expr, ...]]:
    """UniPC (bh2, B(h) = e^{-h} - 1 with hh = -h, order 2, data prediction) written as the mean M of the flow UDS
    (13) in this module's layouts, newest node first, as expressions of a = h_p/h (for the flow the step in log r
    is the log-SNR step h):

    * AB2 (UniP-2, rhos_p = 1/2): M = X_s + c (X_s - X_p)/h_p with c = (B/h_phi_1) h/2, weights (1 + c/(a h), -c/(a h));
    * AM2 (UniC-1, rhos_c = 1/2 for order 1): M = X_s + w (X_t - X_s) with w = B rho/h_phi_1, weights (w, 1 - w);
    * AM3 (UniC-2): the exact Adams-Moulton weights (see :func:`relations`), so not repeated here.

    Derived from the transcription :func:`unic_rhos` and UniP's predictor, not written down: with them the UDS
    order-2 predictor-corrector *is* UniPC (checked against diffusers in ``uds-vs-peers``)."""
    hh = -h
    Bh, h_phi_1 = sp.exp(hh) - 1, sp.exp(hh) - 1
    c_uni = (Bh / h_phi_1) * sp.Rational(1, 2) * h
    slope = sp.simplify((c_uni / hp).subs(hp, a * h))
    rhos, phi = unic_rhos([1], Bh, hh)
    w = sp.simplify(Bh * rhos[0] / phi)
    return {"AB2": (sp.simplify(1 + slope), sp.simplify(-slope)), "AM2": (w, sp.simplify(1 - w))}


def lambdified_bh2_weights():
    """numpy functions (a, H) -> weights of the UniPC (bh2) layouts AB2 and AM2 (newest node first)."""
    return {name: sp.lambdify((a, h), list(ws), modules="numpy") for name, ws in unipc_bh2_weights().items()}


def numeric_moments_source(count: int = MAX_MOMENT - 1):
    """(closed forms, series) of m_1..m_count as expressions of (H, D) and H: what :mod:`numerics.uds` lambdifies."""
    return ([moment(k) for k in range(1, count + 1)], [moment_series(k) for k in range(1, count + 1)])


def lambdified_moments(count: int = MAX_MOMENT - 1):
    """numpy functions: closed(H, D) -> (m1, ..., m_count) and series(H) -> (m1, ..., m_count)."""
    closed, series = numeric_moments_source(count)
    f_closed = sp.lambdify((H, D), closed, modules="numpy")
    f_series = sp.lambdify(H, series, modules="numpy")
    return f_closed, f_series


def weight_arity(name: str) -> tuple[int, int]:
    """(gaps, moments) the lambdified weights of ``name`` take: at least (a, b) and (m1, m2, m3), more for a layout
    with more nodes (a method of order >= 4)."""
    n = len(layout_nodes(name))
    n_past = n if name.startswith("AB") else n - 1
    return max(2, n_past - 1), max(MAX_MOMENT - 1, n - 1)


def lambdified_weights(name: str):
    """numpy function (gaps..., m1, ..., m_M) -> weights of the layout ``name`` (newest node first); for the layouts
    of the order <= 3 methods the arguments are (a, b, m1, m2, m3) (see :func:`weight_arity`)."""
    w = layout_weights(name)
    n_gaps, n_moments = weight_arity(name)
    args = (*(gap_symbol(j) for j in range(n_gaps)), *(moment_symbol(k) for k in range(1, n_moments + 1)))
    return sp.lambdify(args, [wj.subs(moment_symbol(0), 1) for wj in w], modules="numpy")


__all__ = ["H", "D", "kernel", "moment", "moment_series", "moments_check", "lagrange_weights", "LAYOUTS",
           "layout_weights", "layout_nodes", "layout_names", "gap_symbol", "moment_symbol", "weight_arity",
           "weights_check", "relations", "unic_rhos", "unipc_bh2_weights", "lambdified_moments",
           "lambdified_weights", "lambdified_bh2_weights"]
