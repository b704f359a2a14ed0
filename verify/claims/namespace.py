"""Namespaces: what the paper's symbols stand for when a claim reads a printed formula (verify.reading).

A namespace maps the canonical names of :mod:`verify.reading` (``ring:rho_t``, ``lambda'_t``, ``S_t``, ...) to
the suite's SymPy objects.  Definitions the paper itself prints are used as such (r_t = rho_t ring-rho_t,
line 163); nothing else is substituted.
"""

from __future__ import annotations

import sympy as sp

from derivations.registry import NoiseSchedule
from derivations.symbols import (M, S, alpha_s, alpha_t, dt, lam_rate, ring_lam_rate, ring_rho_s, ring_rho_t,
                                 rho_s, rho_t, sigma_s, sigma_t, t)


def schedule_ns(sch: NoiseSchedule) -> dict:
    """The symbols of Section 2 at time t for a noise schedule."""
    return {"t": t, "alpha_t": sch.alpha, "sigma_t": sch.sigma, "ring:rho_t": sch.ring_rho,
            "ring:lambda_t": sch.ring_lam, "ring:lambda'_t": sch.ring_lam_rate,
            "alpha'_t": sp.diff(sch.alpha, t), "sigma'_t": sp.diff(sch.sigma, t)}


def step_ns(**extra) -> dict:
    """One step s -> t of the diffusion (Sections 3-5): rho, ring-rho, r = rho ring-rho (line 163), alpha,
    sigma at both ends, the rates and S_t, M at the instant t."""
    ns = {"rho_s": rho_s, "rho_t": rho_t, "ring:rho_s": ring_rho_s, "ring:rho_t": ring_rho_t,
          "r_s": rho_s * ring_rho_s, "r_t": rho_t * ring_rho_t,
          "alpha_s": alpha_s, "alpha_t": alpha_t, "sigma_s": sigma_s, "sigma_t": sigma_t,
          "lambda'_t": lam_rate, "ring:lambda'_t": ring_lam_rate, "lambda'_tau": lam_rate,
          "ring:lambda'_tau": ring_lam_rate, "S_t": S, "M": M, "t": t, "Delta t": dt}
    ns.update(extra)
    return ns
