"""Section 4: the Gaussian KL of one step (16)-(17), decompositions (18)-(21), Proposition 2 (22)-(23),
the chi-square identity (24) and the penalized ML optimum (25)-(26).

Shared core: the per-step KL weight w^N_s of (17) as derived from the means of (16).
"""

from __future__ import annotations

import sympy as sp

from .symbols import ring_rho_s, ring_rho_t, rho_s, rho_t


def kl_weight(rho_ratio=None, ring_s=ring_rho_s, ring_t=ring_rho_t) -> sp.Expr:
    """w^N_s = (ring-rho_t/ring-rho_s - rho_s/rho_t)^2 / (2 (1 - rho_s^2/rho_t^2)), derived from (16):
    mu_s - mu_hat_s = -sigma_t (ring-rho_t/ring-rho_s - rho_s/rho_t)(eps_s - eps_hat_s), covariance
    sigma_t^2 (1 - rho_s^2/rho_t^2) I."""
    k = rho_s / rho_t if rho_ratio is None else rho_ratio
    return (ring_t / ring_s - k) ** 2 / (2 * (1 - k**2))


def limit_weight(lam_rate, ring_lam_rate) -> sp.Expr:
    """w_bar_t = (lambda' + ring-lambda')^2 / (4 lambda')  ((23), (40))."""
    return (lam_rate + ring_lam_rate) ** 2 / (4 * lam_rate)


# ================================================================================================
# Independent derivations for the Section 4 claims (eq16-mu, eq17, eq24, eq26)
# ================================================================================================

from . import section3_diffusion as d3  # noqa: E402
from .symbols import alpha_s, alpha_t, c, lam_rate, ring_lam_rate, sigma_s, sigma_t  # noqa: E402

eps_hat_s = sp.Symbol("epsilonhat_s", real=True)


def oracle_conditional(x=d3.X) -> tuple[sp.Expr, sp.Expr]:
    """(mean, std) of Z_t given (z_s, x) from the oracle (9) (derived from (4) and (7)): Z_t = mean + std xi_s
    with xi_s ~ N(0, 1) independent of (z_s, x).  With x -> X_hat_s this is the generator (10) in Z-space."""
    step = d3.oracle_Z_step().subs(d3.X, x)
    std = step.coeff(d3.xi_s)
    return sp.expand(step - std * d3.xi_s), std


def eps_from_z(x, z=d3.Z_s):
    """eps_s = (z_s - alpha_s x)/sigma_s (from Z = alpha X + sigma eps, (7)); also eps_hat from X_hat ((3))."""
    return (z - alpha_s * x) / sigma_s


def x_from_eps(e, z=d3.Z_s):
    """X = (z_s - sigma_s eps_s)/alpha_s: the inverse of :func:`eps_from_z`."""
    return (z - sigma_s * e) / alpha_s


_m1, _m2 = sp.symbols("m_1 m_2", real=True)
_v = sp.Symbol("v", positive=True)


def gaussian_kl_equal_variance(m1=_m1, m2=_m2, v=_v) -> sp.Expr:
    """KL(N(m1, v) || N(m2, v)) per coordinate, from the densities: E_{Z ~ N(m1, v)} [log p - log q]
    with log p - log q = ((z - m2)^2 - (z - m1)^2)/(2v); Z = m1 + sqrt(v) n, E n = 0, E n^2 = 1."""
    n = sp.Symbol("n", real=True)
    z = m1 + sp.sqrt(v) * n
    logratio = sp.expand(((z - m2) ** 2 - (z - m1) ** 2) / (2 * v))
    poly = sp.Poly(logratio, n)
    moments = {0: 1, 1: 0, 2: 1}
    return sp.simplify(sum(coef * moments[deg[0]] for deg, coef in zip(poly.monoms(), poly.coeffs())))


def kl_weight_from_means() -> sp.Expr:
    """w^N_s = KL / (eps_hat - eps)^2 from (16): means of the oracle and generator, equal variance, expressed
    through eps = (z_s - alpha_s X)/sigma_s and eps_hat = (z_s - alpha_s X_hat)/sigma_s, alpha = ring-rho sigma."""
    mean, std = oracle_conditional(d3.X)
    mean_hat, _ = oracle_conditional(d3.X_hat)
    kl = gaussian_kl_equal_variance(mean, mean_hat, std**2)
    kl = kl.subs({d3.X: x_from_eps(d3.eps_s), d3.X_hat: x_from_eps(eps_hat_s)})
    w = sp.factor(sp.simplify(kl / (eps_hat_s - d3.eps_s) ** 2))
    return w.subs({alpha_s: ring_rho_s * sigma_s, alpha_t: ring_rho_t * sigma_t})


def weight_40_first_line(ring_s=ring_rho_s, ring_t=ring_rho_t) -> sp.Expr:
    """Delta tau times the first line of (40): ((ring-rho_t - ring-rho_s)/ring-rho_s + (rho_t - rho_s)/rho_t)^2 /
    (2 (rho_t - rho_s)/rho_t (rho_t + rho_s)/rho_t)."""
    return ((ring_t - ring_s) / ring_s + (rho_t - rho_s) / rho_t) ** 2 / (
        2 * (rho_t - rho_s) / rho_t * (rho_t + rho_s) / rho_t)


def penalized_weight(rate=lam_rate, ring_rate=ring_lam_rate, cc=c) -> sp.Expr:
    """The weight of (25): ring-lambda' + (chi^2(lambda', ring-lambda') + c lambda')/4, chi^2 = (l - rl)^2/l."""
    return ring_rate + ((rate - ring_rate) ** 2 / rate + cc * rate) / 4


def penalized_optimum():
    """Stationary points of the penalized weight in lambda' > 0 and the second derivative there.

    Returns (positive roots, second derivative at each root)."""
    l = sp.Symbol("l", positive=True)
    W = penalized_weight(l)
    roots = sp.solve(sp.Eq(sp.diff(W, l), 0), l)
    second = [sp.simplify(sp.diff(W, l, 2).subs(l, r0)) for r0 in roots]
    return roots, second
