"""Section 5: coherence with MSE, the MSE-diffusion (Proposition 3, (28)-(30)) and its discrete form.

* (29)-(30): ``coherence_ratio``, ``coherence_constant`` (M), ``mse_diffusion_rate`` (check-lambda');
* proof of Proposition 3: the quadratic (42), its roots (43) (``coherence_roots``), the penalty constants of (26)
  (``penalty_constant``), an independent maximisation for M (``maximise_ratio``), the M -> oo (flow) limit;
* the Logis + Vel Example (``logis_vel_example``);
* discrete time: w^N(eta) from (17) (``discrete_weight``), its argmin ring-eta (``discrete_argmin``), check-eta
  (``discrete_mse_roots``, ``discrete_mse_eta``) and the discrete M (``discrete_coherence_constant``).
"""

from __future__ import annotations

from functools import lru_cache

import mpmath as mp
import sympy as sp

from .budget import simplify_bounded
from .registry import Interval, NoiseSchedule, Parameterization, numeric
from .symbols import t


def coherence_ratio(schedule: NoiseSchedule, param: Parameterization) -> sp.Expr:
    """ring-lambda'_t / S_t^2, whose maximum over the interval is M of (29)."""
    try:
        return _coherence_ratio_cached(schedule, param)
    except TypeError:  # an entry with an unhashable field: compute without the cache
        return _coherence_ratio_cached.__wrapped__(schedule, param)


@lru_cache(maxsize=256)
def _coherence_ratio_cached(schedule: NoiseSchedule, param: Parameterization) -> sp.Expr:
    # bounded: SymPy's simplify stalls for minutes on some users' entries (the ratio is evaluated numerically)
    return simplify_bounded(schedule.ring_lam_rate / param.S(schedule) ** 2)


def coherence_constant(schedule: NoiseSchedule, param: Parameterization, interval: Interval,
                       dps: int = 30, grid: int = 257) -> sp.Float:
    """M = max_{t in [t0, t_max]} ring-lambda'_t / S_t^2  (29), by a grid search refined by golden section.

    Cached per (schedule, parameterization, interval, dps, grid): the entries are frozen dataclasses."""
    try:
        return _coherence_constant_cached(schedule, param, interval, dps, grid)
    except TypeError:  # an entry with an unhashable field: compute without the cache
        return _coherence_constant_cached.__wrapped__(schedule, param, interval, dps, grid)


@lru_cache(maxsize=256)
def _coherence_constant_cached(schedule: NoiseSchedule, param: Parameterization, interval: Interval,
                               dps: int, grid: int) -> sp.Float:
    return maximum_on_interval(coherence_ratio(schedule, param), interval, dps, grid)


def maximum_on_interval(expr: sp.Expr, interval: Interval, dps: int = 30, grid: int = 257) -> sp.Float:
    """max of an expression of t over [t0, t_max]: a grid search refined by golden section (the route of (29)).

    Cached per (expression, interval, dps, grid): a claim's printed and corrected forms share their maximands."""
    try:
        return _maximum_on_interval_cached(expr, interval, dps, grid)
    except TypeError:  # an unhashable argument: compute without the cache
        return _maximum_on_interval_cached.__wrapped__(expr, interval, dps, grid)


@lru_cache(maxsize=1024)
def _maximum_on_interval_cached(expr: sp.Expr, interval: Interval, dps: int, grid: int) -> sp.Float:
    f = numeric(expr, "mpmath")
    with mp.workdps(dps):
        a, b = mp.mpf(interval.t0), mp.mpf(interval.t_max)
        xs = [a + (b - a) * k / (grid - 1) for k in range(grid)]
        vals = [f(x) for x in xs]
        k = max(range(grid), key=lambda i: vals[i])
        lo, hi = xs[max(k - 1, 0)], xs[min(k + 1, grid - 1)]
        phi = (mp.sqrt(5) - 1) / 2
        for _ in range(120):  # golden-section refinement of an interior maximum
            x1, x2 = hi - phi * (hi - lo), lo + phi * (hi - lo)
            if f(x1) >= f(x2):
                hi = x2
            else:
                lo = x1
        best = max(vals[k], f((lo + hi) / 2))
        return sp.Float(best, dps)


def mse_diffusion_rate(schedule: NoiseSchedule, param: Parameterization, interval: Interval) -> sp.Expr:
    """check-lambda'_t of (30), in the cancellation-free form ring-lambda'^2 / (sqrt(M) S + sqrt(M S^2 - ring-lambda'))^2.

    Equal to (sqrt(M) S - sqrt(M S^2 - ring-lambda'))^2 because the two roots of (42) multiply to ring-lambda'^2.
    M enters as a 30-digit Float (numpy/torch need a float, not a big rational); lambdified to mpmath it is that
    decimal value, exactly, at any working precision.
    """
    M = coherence_constant(schedule, param, interval)
    S = param.S(schedule)
    rr = schedule.ring_lam_rate
    return rr**2 / (sp.sqrt(M) * S + sp.sqrt(sp.Max(0, M * S**2 - rr))) ** 2


# ------------------------------------------------------------------------------------------------
# Proposition 3: the quadratic (42), its roots (43) and the penalty constants (26)
# ------------------------------------------------------------------------------------------------

#: beta = lambda'_t (the unknown rate), ring_beta = ring-lambda'_t, s_sq = M S_t^2 (the proof's s^2).
beta = sp.Symbol("beta", positive=True)
ring_beta = sp.Symbol("ringbeta", positive=True)
s_sq = sp.Symbol("s_sq", positive=True)


def coherence_integrands() -> dict:
    """(42) derived from the coherence principle (28) through (23) and (27).

    With e_tau = E||eps_hat_tau - eps||^2 > 0, (23) is L(t0, t) = int_{t0}^t w_bar(lambda'_tau, ring-lambda'_tau)
    e_tau dtau (w_bar the limit weight of (40), derived in section4_kl) and (27) is M_hat(t0, t) = int_{t0}^t
    S_tau^2 e_tau dtau.  (28) holds for every t in [t0, t_max] iff the derivatives in t agree (both vanish at
    t = t0: the fundamental theorem of calculus both ways), i.e. iff w_bar e_t = M S_t^2 e_t, i.e. (e_t > 0)
    iff w_bar(lambda'_t, ring-lambda'_t) = M S_t^2: the equation (42) with beta = lambda'_t, ring-beta =
    ring-lambda'_t, s^2 = M S_t^2.  Returns the pieces, each computed by SymPy."""
    from .section4_kl import limit_weight
    from .symbols import M as M_sym

    tau, t0 = sp.symbols("tau t_0", positive=True)
    lam_f, ring_f, S_f, e_f = (sp.Function(n, positive=True) for n in ("lamprime", "ringlamprime", "S", "e"))
    L = sp.Integral(limit_weight(lam_f(tau), ring_f(tau)) * e_f(tau), (tau, t0, t))       # (23)
    M_hat = sp.Integral(S_f(tau) ** 2 * e_f(tau), (tau, t0, t))                           # (27)
    gap = L - M_sym * M_hat                                                               # (28): gap = 0 for all t
    at_t0 = sp.simplify(gap.subs(t, t0).doit())
    derivative = sp.simplify(sp.diff(gap, t))                                             # Leibniz rule
    per_error = sp.simplify(derivative / e_f(t))
    b, rb_, S_ = sp.symbols("beta ringbeta S_t", positive=True)
    equation = per_error.subs({lam_f(t): b, ring_f(t): rb_, S_f(t): S_}).doit()
    return {"L (23)": L, "M_hat (27)": M_hat, "(28) gap at t0": at_t0, "d/dt of the gap": derivative,
            "divided by the error e_t > 0": per_error, "(42): lhs - rhs": equation,
            "symbols": (b, rb_, S_)}


def coherence_quadratic(s_squared=s_sq, rb=ring_beta, unknown=beta) -> sp.Expr:
    """(42) cleared of its denominator: (beta + ring-beta)^2 - 4 beta s^2 = 0, a quadratic in beta."""
    return sp.expand((unknown + rb) ** 2 - 4 * unknown * s_squared)


def coherence_roots(s_squared=s_sq, rb=ring_beta) -> tuple[sp.Expr, sp.Expr]:
    """(beta_-, beta_+): the two roots of (42), solved by SymPy and ordered (smaller first).

    Their difference is 4 s sqrt(s^2 - ring-beta) >= 0 (checked symbolically by the ordering step)."""
    roots = sp.solve(coherence_quadratic(s_sq, ring_beta), beta)
    if len(roots) != 2:
        raise ValueError(f"(42) should have two roots, got {roots}")
    probe = {s_sq: 3, ring_beta: 1}
    lo, hi = sorted(roots, key=lambda r: float(r.subs(probe)))
    return lo.subs({s_sq: s_squared, ring_beta: rb}), hi.subs({s_sq: s_squared, ring_beta: rb})


def discriminant_factor(s_squared=s_sq, rb=ring_beta) -> sp.Expr:
    """The sign-deciding factor of the discriminant of (42): disc = 16 s^2 (s^2 - ring-beta)."""
    disc = sp.discriminant(coherence_quadratic(s_sq, ring_beta), beta)
    factor = sp.factor(disc / (16 * s_sq))
    return factor.subs({s_sq: s_squared, ring_beta: rb})


def penalty_constant(rate, rb=ring_beta) -> sp.Expr:
    """c with lambda'_c = ring-lambda'/sqrt(1 + c) (26) equal to ``rate``: c = (ring-lambda'/rate)^2 - 1."""
    c_real = sp.Symbol("c_real", real=True)
    sols = sp.solve(sp.Eq(rate, rb / sp.sqrt(1 + c_real)), c_real)
    if len(sols) != 1:
        raise ValueError(f"(26) should fix c uniquely, got {sols}")
    return sols[0]


def ml_rate(rb=ring_beta) -> sp.Expr:
    """The ML-diffusion rate: (26) with c = 0."""
    c0 = sp.Symbol("c0", nonnegative=True)
    return (rb / sp.sqrt(1 + c0)).subs(c0, 0)


def maximise_ratio(schedule: NoiseSchedule, param: Parameterization, interval: Interval,
                   dps: int = 50, grid: int = 400) -> tuple[mp.mpf, mp.mpf]:
    """(M, t*) of (29) by an independent route: the critical points of ring-lambda'/S^2 (mpmath findroot on the
    SymPy derivative, bracketed by sign changes on a grid) together with the two end points."""
    ratio = coherence_ratio(schedule, param)
    f = numeric(ratio, "mpmath")
    df = numeric(sp.diff(ratio, t), "mpmath")
    with mp.workdps(dps):
        a, b = mp.mpf(interval.t0), mp.mpf(interval.t_max)
        candidates = [a, b]
        xs = [a + (b - a) * k / grid for k in range(grid + 1)]
        ds = [df(x) for x in xs]
        for x0, x1, d0, d1 in zip(xs, xs[1:], ds, ds[1:]):
            if d0 == 0:
                candidates.append(x0)
            elif d0 * d1 < 0:
                candidates.append(mp.findroot(df, (x0, x1), solver="anderson"))
        best = max(candidates, key=f)
        return f(best), best


def flow_limit_of_mse_rate(s_squared=s_sq, rb=ring_beta):
    """(lim_{s^2 -> oo} beta_-, leading term of beta_- as s^2 -> oo): the flow (0) and ring-beta^2/(4 s^2)."""
    lo, _ = coherence_roots(s_squared=s_sq, rb=ring_beta)
    x = sp.Symbol("x", positive=True)  # x = 1/s^2
    ser = sp.series(lo.subs(s_sq, 1 / x), x, 0, 3).removeO()
    lim = sp.limit(lo, s_sq, sp.oo)
    return lim, sp.expand(ser).coeff(x, 1)


# ------------------------------------------------------------------------------------------------
# Example: Logis + Vel
# ------------------------------------------------------------------------------------------------

t_max = sp.Symbol("t_max", positive=True)


def logis_vel_example():
    """ring-lambda', S, M (symbolic in t_max) and check-lambda' = beta_- of (42) for Logis with Vel."""
    from .registry import REGISTRY

    sch, par = REGISTRY.schedule("Logis"), REGISTRY.parameterization("Vel")
    rb = sp.factor(sp.simplify(schedule_rate(sch)))
    S_t = sp.simplify(par.S(sch))
    ratio = sp.factor(sp.simplify(rb / S_t**2))
    slope = sp.factor(sp.simplify(sp.diff(ratio, t)))
    M_val = ratio.subs(t, t_max)  # the ratio is increasing (slope > 0): the maximum is at t_max
    lo, _ = coherence_roots(s_squared=M_val * S_t**2, rb=rb)
    return {"ring-lambda'": rb, "S": S_t, "ratio": ratio, "ratio'": slope, "M": M_val, "check-lambda'": lo}


def schedule_rate(schedule: NoiseSchedule) -> sp.Expr:
    return schedule.ring_lam_rate


# ------------------------------------------------------------------------------------------------
# Discrete time (Section 5): w^N(eta), ring-eta, check-eta, discrete M
# ------------------------------------------------------------------------------------------------

eta = sp.Symbol("eta", positive=True)
gamma = sp.Symbol("gamma", positive=True)   # ring-rho_t^2 / ring-rho_s^2 (> 1)
m_sq = sp.Symbol("m", positive=True)         # M S_t^2 in the discrete model


def discrete_weight(eta_=eta, gamma_=gamma) -> sp.Expr:
    """w^N as a function of eta = sqrt(1 - rho_s^2/rho_t^2) and gamma = ring-rho_t^2/ring-rho_s^2, from (17)
    (``kl_weight`` with rho_s/rho_t = sqrt(1 - eta^2), ring-rho_t/ring-rho_s = sqrt(gamma))."""
    from .section4_kl import kl_weight

    return kl_weight(rho_ratio=sp.sqrt(1 - eta_**2), ring_s=sp.Integer(1), ring_t=sp.sqrt(gamma_))


def discrete_argmin(gamma_=gamma):
    """(eta*, w(eta*), w''(eta*)): the stationary point of w(eta) in (0, 1), by solving dw/deta = 0."""
    w = discrete_weight(eta, gamma)
    crit = [r for r in sp.solve(sp.numer(sp.together(sp.diff(w, eta))), eta)
            if r.subs(gamma, 4).is_positive and (r.subs(gamma, 4) < 1) == True]  # noqa: E712
    if len(crit) != 1:
        raise ValueError(f"expected one critical point in (0, 1), got {crit}")
    e0 = crit[0]
    wmin = sp.simplify(w.subs(eta, e0))
    curv = sp.simplify(sp.diff(w, eta, 2).subs(eta, e0))
    return e0.subs(gamma, gamma_), wmin.subs(gamma, gamma_), curv.subs(gamma, gamma_)


def discrete_mse_roots(gamma_=gamma, m_=m_sq):
    """Solve w(eta) = m (m = M S_t^2) as a quadratic in c = sqrt(1 - eta^2) = rho_s/rho_t.

    Returns (quadratic, (c_small, c_large), radicand factor) where the discriminant is 8 m (2m + 1 - gamma) (times 1)
    and eta = sqrt(1 - c^2); the larger c gives the smaller eta (closer to the flow eta = 0)."""
    from .section4_kl import kl_weight

    cc = sp.Symbol("c_ratio", positive=True)
    w = kl_weight(rho_ratio=cc, ring_s=sp.Integer(1), ring_t=sp.sqrt(gamma))
    quad = sp.expand(sp.numer(sp.together(w - m_sq)))
    roots = sp.solve(quad, cc)
    probe = {gamma: 2, m_sq: 3}
    lo, hi = sorted(roots, key=lambda r: float(r.subs(probe)))
    disc = sp.factor(sp.discriminant(quad, cc))
    subs = {gamma: gamma_, m_sq: m_}
    return quad.subs(subs), (lo.subs(subs), hi.subs(subs)), disc.subs(subs), cc


def discrete_mse_eta(gamma_=gamma, m_=m_sq) -> sp.Expr:
    """check-eta: eta = sqrt(1 - c^2) at the larger root c of w(eta) = M S^2 (smaller eta, analogue of beta_-)."""
    _, (_, c_hi), _, _ = discrete_mse_roots(gamma_, m_)
    return sp.sqrt(1 - c_hi**2)


def discrete_coherence_constant(schedule: NoiseSchedule, param: Parameterization, interval: Interval,
                                N: int, dps: int = 30) -> mp.mpf:
    """Discrete M = max_{t in grid} (gamma_{st} - 1)/(2 S_t^2) with s = t - dt on the grid t_1..t_N.

    gamma - 1 = expm1(2 (ring-lambda_t - ring-lambda_s)), evaluated without cancellation."""
    lam = numeric(schedule.ring_lam, "mpmath")
    S_t = numeric(param.S(schedule), "mpmath")
    with mp.workdps(dps):
        a, b = mp.mpf(interval.t0), mp.mpf(interval.t_max)
        h = (b - a) / N
        best = None
        for i in range(1, N + 1):
            tt = a + i * h
            val = mp.expm1(2 * (lam(tt) - lam(tt - h))) / (2 * S_t(tt) ** 2)
            best = val if best is None or val > best else best
        return best
