"""Section 3: the autoregression (4)-(6), oracle (8)-(9), generator (10)-(12) and the UDS (13)-(15).

Core coefficients shared by the symbolic claims and the numerical back-ends (one source of truth):
for one step s -> t, with diffusion schedule rho and signal-to-noise ratio ring-rho,

    r = rho * ring-rho,   q_st = r_s / r_t,   beta_st = ring-rho_t^{-1} sqrt(1 - rho_s^2/rho_t^2),
    eta_st = sqrt(1 - rho_s^2/rho_t^2) = ring-rho_t beta_st.

Only the ratio rho_s/rho_t = exp(-(lambda_t - lambda_s)) enters, so the functions below take that
ratio (``kappa``) as well; the flow (lambda' -> 0) is kappa = 1.
"""

from __future__ import annotations

import sympy as sp

from .symbols import ring_rho_s, ring_rho_t, rho_s, rho_t

#: rho_s / rho_t in (0, 1]: the decay of the diffusion schedule over one step.
kappa = sp.Symbol("kappa", positive=True)


def uds_q(rho_ratio=None, ring_s=ring_rho_s, ring_t=ring_rho_t):
    """q_st = r_s/r_t = (rho_s/rho_t)(ring-rho_s/ring-rho_t)  ((13))."""
    rho_ratio = rho_s / rho_t if rho_ratio is None else rho_ratio
    return rho_ratio * ring_s / ring_t


def uds_eta(rho_ratio=None):
    """eta_st = sqrt(1 - rho_s^2/rho_t^2)  (Section 5, "Discrete time")."""
    rho_ratio = rho_s / rho_t if rho_ratio is None else rho_ratio
    return sp.sqrt(1 - rho_ratio**2)


def uds_beta(rho_ratio=None, ring_t=ring_rho_t):
    """beta_st = ring-rho_t^{-1} sqrt(1 - rho_s^2/rho_t^2), the diffusion size  ((13))."""
    return uds_eta(rho_ratio) / ring_t


def uds_coefficients(rho_ratio=None, ring_s=ring_rho_s, ring_t=ring_rho_t) -> tuple[sp.Expr, sp.Expr]:
    """(q_st, beta_st) of (13): Y_t = q Y_s + (1 - q) APPROX[mean of X_hat] + beta xi."""
    return uds_q(rho_ratio, ring_s, ring_t), uds_beta(rho_ratio, ring_t)
