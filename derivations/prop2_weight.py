"""Proposition 2 and (40): the per-step weight w^N_s of (17) expanded in the step h around the LEFT point s.

The sum (21) evaluates the denoising error at t_i = s, the left end of the step s -> t = s + h, so the
expansion is taken at s.  With only the schedules' log-increments entering (17),

    rho_s / rho_t = exp(-(lambda(s+h) - lambda(s))),   ring-rho_t / ring-rho_s = exp(ring-lambda(s+h) - ring-lambda(s)),

the weight divided by the step is

    w^N_s / h = w_bar(s) + b(s) h + O(h^2),   w_bar = (lambda' + ring-lambda')^2 / (4 lambda')   ((23), (40)),

with b(s) an explicit expression in lambda', lambda'', ring-lambda', ring-lambda'' at s
(:func:`weight_expansion`).  Then for a smooth denoising error e(tau) = E||eps_hat_tau - eps||^2 and
dt = (t - t0)/N, the left Riemann sum of (21) and the weight's own O(h) term give

    L^N - L = dt [ int_{t0}^{t} b e dtau - (1/2)(w_bar e |_t - w_bar e |_{t0}) ] + O(dt^2),

so C := lim N (L^N - L) = (t - t0) [ int b e - (1/2)(w_bar e(t) - w_bar e(t0)) ]  (:func:`predicted_constant`).

The expansion is exact power-series arithmetic (:func:`weight_series`, which resolves the 0/0 of the
denominator 1 - exp(-2(...)) itself instead of SymPy 1.14's ``series``, slow and fragile there), to one more
order than needed, and :func:`check_b_numerically` compares b with finite differences of the exact weight at
50 digits.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath as mp
import sympy as sp

from .registry import NoiseSchedule
from .section4_kl import kl_weight, limit_weight
from .symbols import t

#: The step and the derivatives of lambda = log rho and ring-lambda = log ring-rho at the left point s.
h = sp.Symbol("h", positive=True)
lam1 = sp.Symbol("lamprime", positive=True)  # lambda' > 0 (a diffusion, not the flow)
ring1 = sp.Symbol("ringlamprime", positive=True)  # ring-lambda' > 0 for every registered schedule
lam2, lam3 = sp.symbols("lamprime2 lamprime3", real=True)
ring2, ring3 = sp.symbols("ringlamprime2 ringlamprime3", real=True)


def step_weight_exact(dlam, dring) -> sp.Expr:
    """w^N_s of (17) (the derived form :func:`derivations.section4_kl.kl_weight`) from the log-increments
    dlam = lambda_t - lambda_s and dring = ring-lambda_t - ring-lambda_s."""
    return kl_weight(rho_ratio=sp.exp(-dlam), ring_s=sp.Integer(1), ring_t=sp.exp(dring))


def _increments():
    dlam = lam1 * h + lam2 * h**2 / 2 + lam3 * h**3 / 6
    dring = ring1 * h + ring2 * h**2 / 2 + ring3 * h**3 / 6
    return dlam, dring


@lru_cache(maxsize=1)
def weight_expansion() -> tuple[sp.Expr, sp.Expr]:
    """(w_bar, b) with w^N_s / h = w_bar + b h + O(h^2), in the symbols lamprime, lamprime2 (lambda', lambda''),
    ringlamprime, ringlamprime2 at the left point s.  Expanded to O(h^3) (one order more than needed), by exact
    power-series arithmetic (:func:`weight_series`; the same coefficients as SymPy's ``series`` of the ratio, in
    a fiftieth of the time)."""
    s = weight_series(3)
    return sp.factor(sp.simplify(s[0])), sp.factor(sp.simplify(s[1]))


def weight_series(n: int) -> list[sp.Expr]:
    """The coefficients of h^0 .. h^(n-1) of w^N_s / h (17), exactly.

    With A = ring-rho_t/ring-rho_s - rho_s/rho_t = exp(dring) - exp(-dlam) and D = 1 - exp(-2 dlam), both O(h),
    w^N_s / h = A^2 / (2 D h) = P^2 / (2 Q) with A = h P, D = h Q and Q(0) = 2 lambda' != 0.  The exponentials of
    the O(h) increments are replaced by their Taylor polynomials to degree n + 1 (exact through h^(n+1), so P and Q
    are exact through h^n, one order more than the h^(n-1) term needs), and P^2/2 = Q S is solved for the
    coefficients of S order by order."""
    dlam, dring = _increments()

    def exp_poly(x):
        return sum(x**k / sp.factorial(k) for k in range(n + 2))

    A = sp.expand(exp_poly(dring) - exp_poly(-dlam))
    D = sp.expand(1 - exp_poly(-2 * dlam))
    if A.coeff(h, 0) != 0 or D.coeff(h, 0) != 0:  # both vanish at h = 0 (the 0/0 the series resolves)
        raise AssertionError("the weight's numerator and denominator must vanish at h = 0")
    p = [A.coeff(h, k + 1) for k in range(n)]
    q = [D.coeff(h, k + 1) for k in range(n)]
    half_p2 = [sp.expand(sum(p[i] * p[k - i] for i in range(k + 1)) / 2) for k in range(n)]
    out: list[sp.Expr] = []
    for k in range(n):
        out.append(sp.cancel((half_p2[k] - sum(q[j] * out[k - j] for j in range(1, k + 1))) / q[0]))
    return out


def b_closed_form() -> sp.Expr:
    """The O(h) coefficient in a readable form (derived by hand; :func:`weight_expansion` must agree):
    b = w_bar [ (lambda'' + ring-lambda'')/(lambda' + ring-lambda') + ring-lambda' - lambda''/(2 lambda') ]."""
    wbar = limit_weight(lam1, ring1)
    return wbar * ((lam2 + ring2) / (lam1 + ring1) + ring1 - lam2 / (2 * lam1))


def check_b_numerically(points=((0.7, -0.3, 1.3, 0.4, 0.2, -0.5), (2.0, 0.5, 0.6, -1.1, 0.9, 0.3)),
                        dps: int = 50) -> dict:
    """Compare w_bar and b with the exact weight at tiny h (50 digits): b ~ (w(h)/h - w_bar)/h by a
    Richardson-extrapolated finite difference.  Returns the worst relative residuals."""
    w0, w1 = weight_expansion()
    dlam, dring = _increments()
    exact = step_weight_exact(dlam, dring) / h
    syms = (lam1, lam2, lam3, ring1, ring2, ring3)
    f = sp.lambdify((h,) + syms, exact, "mpmath")
    g0 = sp.lambdify(syms, w0, "mpmath")
    g1 = sp.lambdify(syms, w1, "mpmath")
    worst0 = worst1 = mp.mpf(0)
    with mp.workdps(dps):
        for p in points:
            vals = [mp.mpf(x) for x in p]
            a0, a1 = g0(*vals), g1(*vals)
            hh = mp.mpf(10) ** -12
            d1 = (f(hh, *vals) - a0) / hh
            d2 = (f(hh / 2, *vals) - a0) / (hh / 2)
            b_fd = 2 * d2 - d1  # removes the O(h) term of the difference quotient
            w_fd = 2 * f(hh / 2, *vals) - f(hh, *vals)  # w/h at h -> 0, O(h^2) error
            worst0 = max(worst0, abs(w_fd - a0) / abs(a0))
            worst1 = max(worst1, abs(b_fd - a1) / (1 + abs(a1)))
    return {"w_bar_rel_residual": mp.nstr(worst0, 3), "b_rel_residual": mp.nstr(worst1, 3),
            "h": "1e-12 (Richardson of two difference quotients)", "dps": dps}


# ------------------------------------------------------------------------------------------------
# For a registry schedule and rate: expressions of t
# ------------------------------------------------------------------------------------------------


def _plain(expr: sp.Expr) -> sp.Expr:
    """Drop Max(0, X) -> X (the MSE rate's guard, inactive strictly inside its interval) so that the
    derivative is an ordinary expression."""
    return expr.replace(lambda e: isinstance(e, sp.Max) and sp.S.Zero in e.args,
                        lambda e: sp.Add(*[a for a in e.args if a != 0]) if len(e.args) == 2 else e)


def schedule_weight_terms(schedule: NoiseSchedule, lam_rate: sp.Expr, readable: bool = False
                          ) -> tuple[sp.Expr, sp.Expr]:
    """(w_bar(t), b(t)) for a schedule (ring-lambda) and a diffusion rate lambda'(t): expressions of t.

    ``readable``: use :func:`limit_weight` and :func:`b_closed_form` (proved equal to the series of
    :func:`weight_expansion` by the ``eq40`` claim and the tests) and skip the slow series."""
    w0, w1 = (limit_weight(lam1, ring1), b_closed_form()) if readable else weight_expansion()
    lr = _plain(sp.sympify(lam_rate))
    rr = schedule.ring_lam_rate
    subs = {lam1: lr, lam2: sp.diff(lr, t), ring1: rr, ring2: sp.diff(rr, t)}
    return w0.xreplace(subs), w1.xreplace(subs)


def predicted_constant(wbar, b, error, t0, t1, dps: int = 30, integrate=None):
    """(C, quadrature error estimate) with C = lim N (L^N - L)
    = (t1 - t0) [ int_{t0}^{t1} b e dtau - (1/2)(w_bar e(t1) - w_bar e(t0)) ].

    ``wbar``, ``b`` and ``error`` are mpmath functions of tau; ``integrate(f, a, b) -> (value, error)``
    (default: mpmath's Gauss-Legendre quadrature with its error estimate)."""
    with mp.workdps(dps):
        a, z = mp.mpf(t0), mp.mpf(t1)
        if integrate is None:
            integrate = lambda f, lo, hi: mp.quad(f, [lo, hi], method="gauss-legendre", error=True)  # noqa: E731
        integral, err = integrate(lambda x: b(x) * error(x), a, z)
        boundary = wbar(z) * error(z) - wbar(a) * error(a)
        return (z - a) * (integral - boundary / 2), (z - a) * err
