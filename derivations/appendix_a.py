"""Appendix A: from the generator (10) to the SDE (31)-(37) and back.

Conventions (the paper's): time runs forward (Section 3, line 196: "the generator runs forward"); r_t = rho_t
ring-rho_t (Section 3, line 163); s = t - dt (one grid step, t = t_i and s = t_{i-1}: Section 3, line 164).  For
statements that hold for *any* schedules, rho and ring-rho are undefined functions of t, and their
values/derivatives at one instant t are replaced by positive symbols (``instant_values``) so that both routes
(SymPy and 50-digit numbers) can evaluate them; the step s = t - dt enters through Taylor polynomials of those
symbols.
"""

from __future__ import annotations

import mpmath as mp
import sympy as sp

from .symbols import LATEX_NAMES, dt, rho, ring_rho, t

# Values at the instant t of rho, ring-rho and their first three derivatives (named so that no other symbol
# of the suite shares their names; the reports print them as rho_t, rho'_t, ..., see symbols.LATEX_NAMES).
p0, p1, p2, p3 = sp.symbols(["rho" + "'" * k + "(t)" for k in range(4)], positive=True)
R0, R1, R2, R3 = sp.symbols(["ringrho" + "'" * k + "(t)" for k in range(4)], positive=True)
for _k, (_p, _R) in enumerate(zip((p0, p1, p2, p3), (R0, R1, R2, R3))):
    LATEX_NAMES[_p.name] = r"\rho" + "'" * _k + "_t"
    LATEX_NAMES[_R.name] = r"\mathring{\rho}" + "'" * _k + "_t"
RHO, RING = rho(t), ring_rho(t)

#: Symbols of the difference equations: the states, the denoiser output and the noise.
Y_s, X_s, xi = sp.symbols("Y_s X_s xi", real=True)
Y_hat, X_hat, eps_hat = sp.symbols("Y_hat X_hat epsilon_hat", real=True)


def instant_values(expr: sp.Expr) -> sp.Expr:
    """Replace rho(t), ring-rho(t) and their derivatives (up to order 3) by the instant symbols."""
    expr = sp.sympify(expr).doit()
    table = {}
    for fn, syms in ((RHO, (p0, p1, p2, p3)), (RING, (R0, R1, R2, R3))):
        for k in (3, 2, 1):
            table[sp.Derivative(fn, (t, k))] = syms[k]
    expr = expr.subs(table).subs({RHO: p0, RING: R0})
    return expr


def taylor_back(values, order: int = 3) -> sp.Expr:
    """f(t - dt) as a Taylor polynomial from (f, f', f'', f''') at t."""
    return sum(v * (-dt) ** k / sp.factorial(k) for k, v in enumerate(values[: order + 1]))


def step_values():
    """(rho_s, rho_t, ring-rho_s, ring-rho_t) with s = t - dt, to third order in dt."""
    return taylor_back((p0, p1, p2, p3)), p0, taylor_back((R0, R1, R2, R3)), R0


def difference_form(rho_s, rho_t, ring_s, ring_t):
    """Solve the generator (10), r_t Y_t = r_s Y_s + (r_t - r_s) X_s + sqrt(rho_t^2 - rho_s^2) xi, for
    Y_t - Y_s.  Returns the coefficients of Y_s, X_s and xi."""
    Y_t = sp.Symbol("Y_t", real=True)
    r_s, r_t = rho_s * ring_s, rho_t * ring_t
    eq10 = sp.Eq(r_t * Y_t, r_s * Y_s + (r_t - r_s) * X_s + sp.sqrt(rho_t**2 - rho_s**2) * xi)
    incr = sp.expand(sp.solve(eq10, Y_t)[0] - Y_s)
    return {"Y_s": sp.simplify(incr.coeff(Y_s)), "X_s": sp.simplify(incr.coeff(X_s)),
            "xi": sp.simplify(incr.coeff(xi))}


def series_coefficients(expr: sp.Expr, n: int = 2) -> list[sp.Expr]:
    """The first n coefficients of ``expr`` in powers of dt (asks SymPy for one more order than needed)."""
    ser = sp.series(expr, dt, 0, n + 1).removeO()
    return [sp.simplify(sp.expand(ser).coeff(dt, k)) for k in range(n)]


def delta_leading(values) -> sp.Expr:
    """For (f(t) - f(t - dt))/(dt f(t)) = (log f)'(1 + delta), the coefficient of dt in delta: -f''/(2 f').

    Taylor: f(t) - f(t - dt) = f' dt - f'' dt^2/2 + O(dt^3); dividing by dt f (log f)' = dt f' gives
    1 - f'' dt/(2 f') + O(dt^2)."""
    f0, f1, f2 = values[:3]
    return -f2 / (2 * f1)


def delta2_leading() -> sp.Expr:
    """For (rho_t^2 - rho_s^2)/(dt rho_t^2) = 2 (log rho)'(1 + delta_2): delta_2 ~ -(rho^2)'' dt / (2 (rho^2)').

    Apply ``delta_leading`` to f = rho^2, whose derivatives at t are (p0^2, 2 p0 p1, 2 p1^2 + 2 p0 p2)."""
    return delta_leading((p0**2, 2 * p0 * p1, 2 * p1**2 + 2 * p0 * p2))


def sde_coefficients():
    """(34) as the limit of the corrected difference form: drift per dt of (X_hat - Y_hat), noise per sqrt(dt).

    Returns (drift, noise) in instant symbols, from the dt -> 0 limits of the (10)-coefficients."""
    rs, rt, Rs, Rt = step_values()
    coeffs = difference_form(rs, rt, Rs, Rt)
    drift = sp.limit(coeffs["X_s"] / dt, dt, 0)
    drift_y = sp.limit(coeffs["Y_s"] / dt, dt, 0)
    noise = sp.limit(coeffs["xi"] / sp.sqrt(dt), dt, 0)
    if sp.simplify(drift + drift_y) != 0:
        raise ValueError("the Y_s and X_s drifts of (10) are not opposite")
    return sp.simplify(drift), sp.simplify(noise)


def drift_with_eps_hat():
    """X_hat - Y_hat in terms of eps_hat, from the estimator of (3): X_hat = Y - eps_hat / ring-rho.

    Uses Section 2's estimators (X_hat built from eps_hat), so the relation is derived, not assumed."""
    from .section2_denoiser import estimators_from_target, noisy_observation, ring_rho as rr

    _, e_hat, x_hat = estimators_from_target()
    ratio = sp.simplify((x_hat - noisy_observation()) / e_hat)
    if ratio.has(sp.Symbol("u_hat", real=True)):  # pragma: no cover - guards the derivation
        raise ValueError(f"X_hat - Y is not proportional to eps_hat: {ratio}")
    return ratio.subs(rr, R0) * eps_hat


def product_rule_37():
    """(37) by Ito's formula for Y~ = f(t, Y) = (r_t / r_s) Y with dY = a dt + b dW from (34):
    dY~ = (f_t + a f_Y + b^2 f_YY / 2) dt + b f_Y dW.  Returns the dt and dW coefficients of r_s dY~."""
    Y = sp.Symbol("Y", real=True)
    r_s = sp.Symbol("r_s", positive=True)
    r = RHO * RING
    f = r / r_s * Y
    a = sp.diff(sp.log(r), t) * (X_hat - Y)
    b = sp.sqrt(2 * sp.diff(sp.log(RHO), t)) / RING
    dt_coeff = sp.diff(f, t) + a * sp.diff(f, Y) + b**2 * sp.diff(f, Y, 2) / 2
    dw_coeff = b * sp.diff(f, Y)
    return (instant_values(sp.simplify(r_s * dt_coeff)), instant_values(sp.simplify(r_s * dw_coeff)))


# Concrete test functions for the numeric routes: rho = exp(t^2 + t) (lambda' = 2t + 1), ring-rho = t/(1-t).
TEST_RHO = sp.exp(t**2 + t)
TEST_RING_RHO = t / (1 - t)


def concrete(expr: sp.Expr, rho_expr=TEST_RHO, ring_expr=TEST_RING_RHO) -> sp.Expr:
    """Substitute concrete schedules for the instant symbols (values and derivatives at t)."""
    table = {}
    for syms, fn in (((p0, p1, p2, p3), rho_expr), ((R0, R1, R2, R3), ring_expr)):
        for k, sym in enumerate(syms):
            table[sym] = sp.diff(fn, t, k)
    return expr.subs(table)


def delta_ladder(fn_expr: sp.Expr, t_val, dts, dps: int = 50):
    """delta(dt) = (f(t) - f(t - dt))/(dt f(t) (log f)'(t)) - 1 for a concrete f, at each dt (mpmath)."""
    f = sp.lambdify(t, fn_expr, "mpmath")
    dlog = sp.lambdify(t, sp.diff(sp.log(fn_expr), t), "mpmath")
    out = []
    with mp.workdps(dps):
        tt = mp.mpf(t_val)
        for h in dts:
            h = mp.mpf(h)
            out.append((f(tt) - f(tt - h)) / (h * f(tt) * dlog(tt)) - 1)
    return out
