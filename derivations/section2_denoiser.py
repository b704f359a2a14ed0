"""Section 2: the denoiser induced by MSE training, schedules as quantile functions, parameterizations.

Equations: (1) linear noise generators, (2) the MSE, (3) noise and data estimators; the schedules
Normal/Logis/Sech/SechInter; the parameterizations S_t; Kingma & Gao's weighting w(lambda).
"""

from __future__ import annotations

import sympy as sp

from .registry import NoiseSchedule, Parameterization, Target
from .symbols import t

# Symbols of (1)-(3): data X, noise eps, the network output u_hat, scaling schedules A, B, C, S.
X, eps, u_hat = sp.symbols("X epsilon u_hat", real=True)
A, B, C, S, ring_rho = sp.symbols("A B C S ringrho", positive=True)
u = sp.Symbol("u", real=True)  # a probability level in (0, 1)


def noisy_observation():
    """(1): Y_bar = X + eps / ring-rho."""
    return X + eps / ring_rho


def estimators_from_target():
    """(3) for a target u = A Y + S eps: eps_hat = (u_hat - A Y)/S and X_hat = Y - eps_hat/ring-rho.

    Returns (u_hat - u, eps_hat, X_hat) with Y = X + eps/ring-rho substituted."""
    Y = noisy_observation()
    target = A * Y + S * eps
    eps_hat = (u_hat - A * Y) / S
    X_hat = Y - eps_hat / ring_rho
    return sp.expand(u_hat - target), eps_hat, X_hat


def scale_of_data_target():
    """For a data target u = B Y - C X: X_hat from u_hat, eps_hat via (1); S solves u_hat - u = S (eps_hat - eps)."""
    Y = noisy_observation()
    target = B * Y - C * X
    X_hat = (B * Y - u_hat) / C
    eps_hat = ring_rho * (Y - X_hat)
    return sp.simplify((u_hat - target) / (eps_hat - eps))


def scale_from_target(schedule: NoiseSchedule, target: Target) -> sp.Expr:
    """S_t of a target u = a X + b eps sampled with relative time density w:  S = sqrt(w) (b - a/ring-rho).

    Writing u = A Y + S eps with Y = X + eps/ring-rho gives A = a and S = b - a/ring-rho; sampling t with
    density w multiplies the MSE integrand of (2) by w, i.e. S^2 by w.  The sign is kept (not |S|)."""
    raw = target.noise_coefficient - target.data_coefficient / schedule.ring_rho
    return sp.sqrt(target.weight) * raw


# ------------------------------------------------------------------------------------------------
# Quantile functions (Kingma & Gao 2023, Section 2; paper Section 2 "Noise schedules")
# ------------------------------------------------------------------------------------------------

x = sp.Symbol("x", real=True)


def quantile_from_cdf(cdf: sp.Expr) -> sp.Expr:
    """Solve cdf(x) = u for x (the unique real increasing branch)."""
    sols = [s for s in sp.solve(sp.Eq(cdf, u), x) if s.is_real is not False]
    if len(sols) != 1:
        raise ValueError(f"expected one quantile branch, got {sols}")
    return sols[0]


def logistic_quantile() -> sp.Expr:
    return quantile_from_cdf(1 / (1 + sp.exp(-x)))


def hyperbolic_secant_cdf() -> tuple[sp.Expr, dict]:
    """CDF of the hyperbolic secant density sech(pi x/2)/2, with the proof facts (F' = pdf, limits)."""
    pdf = sp.sech(sp.pi * x / 2) / 2
    F = 2 / sp.pi * sp.atan(sp.exp(sp.pi * x / 2))
    facts = {
        "F' - pdf": sp.simplify((sp.diff(F, x) - pdf).rewrite(sp.exp)),
        "F(-oo)": sp.limit(F, x, -sp.oo),
        "F(+oo)": sp.limit(F, x, sp.oo),
    }
    return F, facts


def hyperbolic_secant_quantile() -> sp.Expr:
    return quantile_from_cdf(hyperbolic_secant_cdf()[0])


def normal_quantile(mean, std) -> sp.Expr:
    """mean + std * Phi^{-1}(u)."""
    return mean + std * sp.sqrt(2) * sp.erfinv(2 * u - 1)


def log_sigma_quantile(schedule: NoiseSchedule) -> sp.Expr:
    """Quantile of log sigma_t when t ~ U(0, 1): log sigma is decreasing in t, so Q(u) = log sigma_{1-u}."""
    return sp.log(schedule.sigma).subs(t, 1 - u)


# ------------------------------------------------------------------------------------------------
# Kingma & Gao (2023) weighting
# ------------------------------------------------------------------------------------------------

lam_kg = sp.Symbol("lambda", real=True)  # KG's log-SNR, lambda = 2 ring-lambda


def kg_weight_from_scale(S_sq: sp.Expr, ring_lam_rate: sp.Expr) -> sp.Expr:
    """Equate the MSE integrand S^2 ||eps_hat - eps||^2 dt of (2) with KG's (5): (1/2) w(lambda) |d lambda/dt| ||.||^2 dt.

    With lambda = 2 ring-lambda, |d lambda/dt| = 2 ring-lambda', so w = 2 S^2 / (2 ring-lambda') = S^2/ring-lambda'."""
    w = sp.Symbol("w", positive=True)
    return sp.solve(sp.Eq(S_sq, w * sp.Rational(1, 2) * 2 * ring_lam_rate), w)[0]


def omega(schedule: NoiseSchedule, param: Parameterization) -> sp.Expr:
    """omega_t = S_t^2 / ring-lambda'_t (Section 2, last paragraph)."""
    return param.S(schedule) ** 2 / schedule.ring_lam_rate


#: Kingma & Gao's Table 1 rows (up to a positive constant) for the pairs the paper names, in lambda = 2 ring-lambda.
def kg_table_weights() -> dict[tuple[str, str], tuple[sp.Expr, str]]:
    L = lam_kg
    edm2 = sp.exp(-((L - sp.Rational(4, 5)) ** 2) / 8) * (sp.exp(-L) + sp.Rational(1, 4))
    return {
        ("Sech", "Noise"): (sp.sech(L / 2), "IDDPM: eps-prediction with the cosine schedule, sech(lambda/2)"),
        ("Sech", "Vel"): (sp.exp(-L / 2), "v-prediction with the cosine schedule, exp(-lambda/2)"),
        ("Logis", "Vel"): (sp.exp(-L / 2), "Flow Matching with the OT path, exp(-lambda/2)"),
        ("Normal", "F-pred"): (edm2, "EDM row with EDM2's P_mean=-0.4, P_std=1: N(lambda; 0.8, 2^2)(e^-lambda + 0.5^2)"),
        **{(name, "Sigmoid"): (1 / (1 + sp.exp(L + 3)), "sigmoid(b - lambda) with b = -3")
           for name in ("Normal", "Logis", "Sech", "SechInter", "DDPM-linear")},
    }


def time_of_log_snr(schedule: NoiseSchedule):
    """t as a function of KG's lambda = 2 ring-lambda(t), when SymPy finds a closed form; else None."""
    try:
        sols = sp.solve(sp.Eq(2 * schedule.ring_lam, lam_kg), t)
    except (NotImplementedError, ValueError):
        return None
    real = [s for s in sols if not s.has(sp.I)]
    return real[0] if len(real) == 1 else None
