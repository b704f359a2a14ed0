"""Shared SymPy symbols, in the paper's notation (see README, "Notation").

Time runs forward, from noise (t = 0) to data (t = 1).  ``ring`` marks the paper's ring accent:
``ring_rho = alpha/sigma`` (signal-to-noise ratio), ``ring_lam = log ring_rho``.  Symbols without
``ring`` belong to the diffusion schedule ``rho`` and its rate ``lam' = (log rho)'``.
"""

from __future__ import annotations

import sympy as sp

#: Forward time and the grid step.
t = sp.Symbol("t", positive=True)
s = sp.Symbol("s", positive=True)
dt = sp.Symbol("Delta_t", positive=True)

#: Generic positive values of the schedules at the two ends of one step s -> t.
rho_s, rho_t = sp.symbols("rho_s rho_t", positive=True)
ring_rho_s, ring_rho_t = sp.symbols("ringrho_s ringrho_t", positive=True)
alpha_s, alpha_t = sp.symbols("alpha_s alpha_t", positive=True)
sigma_s, sigma_t = sp.symbols("sigma_s sigma_t", positive=True)

#: Rates at one instant: lam' (diffusion rate), ring-lam' (log-SNR rate), the parameterization S.
lam_rate = sp.Symbol("lamprime", positive=True)
ring_lam_rate = sp.Symbol("ringlamprime", positive=True)
S = sp.Symbol("S", positive=True)
M = sp.Symbol("M", positive=True)
c = sp.Symbol("c", nonnegative=True)

#: Undefined functions of time, for derivations that hold for *any* schedule.
rho = sp.Function("rho", positive=True)
ring_rho = sp.Function("ringrho", positive=True)

#: LaTeX for symbol names the reports cannot infer from the name (verify.records); filled by the modules that
#: define such symbols.
LATEX_NAMES: dict[str, str] = {"Delta_t": r"\Delta t", "Delta_tau": r"\Delta\tau", "s_sq": "s^{2}",
                               "C_ML": r"C_{\mathrm{ML}}", "u_hat": r"\hat{u}", "epsilon_hat": r"\hat{\varepsilon}",
                               "mu_hat": r"\hat{\mu}", "X_hat": r"\hat{X}", "Y_hat": r"\hat{Y}"}
