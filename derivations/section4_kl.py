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
