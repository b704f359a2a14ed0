"""Section 2: the denoiser induced by MSE training, schedules as quantile functions, parameterizations.

Equations: (1) linear noise generators, (2) the MSE, (3) noise and data estimators; the schedules
Normal/Logis/Sech/SechInter; the parameterizations S_t; Kingma & Gao's weighting w(lambda).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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


# K&G's objectives, from their own definitions.  K&G's weighted loss (5) is
#     L_w = (1/2) E_{t ~ U} [ w(lambda_t) |d lambda/dt| ||eps_hat - eps||^2 ],   lambda = log(alpha^2/sigma^2),
# so an objective E_{t ~ U}[ c(t) ||eps_hat - eps||^2 ] is L_w with w = 2 c / |d lambda/dt|.  The paper's MSE (2)
# is E_t[S^2 ||eps_hat - eps||^2]: it is L_w exactly for w = S^2/ring-lambda' = omega (lambda = 2 ring-lambda).

_x, _e, _eh = sp.symbols("x_data epsilon_true epsilon_hat", real=True)
_al, _sg = sp.symbols("alpha_kg sigma_kg", positive=True)


def _eps_scale(target, target_hat) -> sp.Expr:
    """k with target_hat - target = k (eps_hat - eps), for a target written in (x, eps) and the prediction
    written in (x_hat, eps_hat), x_hat = (z - sigma eps_hat)/alpha (K&G Appendix E.2); as an expression of
    alpha, sigma."""
    z = _al * _x + _sg * _e
    x_hat = (z - _sg * _eh) / _al
    k = sp.simplify((target_hat.subs({sp.Symbol("x_hat"): x_hat}) - target) / (_eh - _e))
    if k.has(_x, _e, _eh):
        raise ValueError(f"the target is not affine in eps_hat - eps: {k}")
    return k


@dataclass(frozen=True)
class KGObjective:
    """One objective of Kingma & Gao (2023), its per-time factor c(alpha, sigma, lambda) of ||eps_hat - eps||^2
    (from their definitions), and the row of their Table 1 (a function of lam_kg) it is compared with."""

    label: str
    factor: Callable[[], sp.Expr]          # c as an expression of alpha_kg, sigma_kg and lam_kg
    table_row: sp.Expr | None
    table_label: str
    given_weight: sp.Expr | None = None    # an objective defined directly by its weighting w(lambda)

    def w_exact(self, schedule: NoiseSchedule) -> sp.Expr:
        """w(lambda_t) as a function of the paper's t for ``schedule`` (t ~ U(0, 1), lambda = 2 ring-lambda)."""
        lam = 2 * schedule.ring_lam
        if self.given_weight is not None:
            return self.given_weight.subs(lam_kg, lam)
        c = self.factor().subs({_al: schedule.alpha, _sg: schedule.sigma, lam_kg: lam})
        return 2 * c / sp.diff(lam, t)  # lambda increases with the paper's t: |d lambda/dt| = 2 ring-lambda'


def _eps_factor():
    return sp.Rational(1, 2)  # K&G (3): L_eps = (1/2) E ||eps_hat - eps||^2


def _v_factor():
    # K&G (49)-(50): v = alpha eps - sigma x, v_hat = alpha eps_hat - sigma x_hat; loss E ||v - v_hat||^2 (no 1/2)
    x_hat = sp.Symbol("x_hat")
    return _eps_scale(_al * _e - _sg * _x, _al * _eh - _sg * x_hat) ** 2


def _cfm_factor():
    # K&G (71)-(72): o = x - eps, o_hat = x_hat - eps_hat; loss E ||o - o_hat||^2 (no 1/2)
    x_hat = sp.Symbol("x_hat")
    return _eps_scale(_x - _e, x_hat - _eh) ** 2


def _edm_factor(sigma_data=sp.Rational(1, 2)):
    # K&G (40)-(42): E[ w~(s) ||x - x_hat||^2 ], w~ = (s^2 + s_data^2)/(s^2 s_data^2), s^2 = e^-lambda (s = sigma/alpha)
    x_hat = sp.Symbol("x_hat")
    s2 = sp.exp(-lam_kg)
    w_tilde = (s2 + sigma_data**2) / (s2 * sigma_data**2)
    return w_tilde * _eps_scale(_x, x_hat).subs(_sg, _al * sp.sqrt(s2)) ** 2


def _normal_pdf(x, mean, std):
    return sp.exp(-(x - mean) ** 2 / (2 * std**2)) / (std * sp.sqrt(2 * sp.pi))


#: K&G's sigmoid weighting sigmoid(b - lambda) (their Section 5); the paper's Sigmoid has b = -3 (SiD2).
KG_SIGMOID_BIAS = sp.Integer(-3)


def kg_objectives(p_mean=sp.Rational(-2, 5), p_std=sp.Integer(1)) -> dict[tuple[str, str], KGObjective]:
    """The (schedule, parameterization) pairs of the paper with their K&G objective.  EDM's row is evaluated
    at EDM2's P_mean = -0.4, P_std = 1 (the paper's Normal): K&G print it for EDM's -1.2, 1.2, i.e.
    N(lambda; -2 P_mean, (2 P_std)^2) (e^-lambda + 0.5^2)."""
    L = lam_kg
    eps = KGObjective("epsilon-prediction, K&G (3)", _eps_factor, None, "")
    sigmoid = KGObjective("sigmoid weighting sigmoid(b - lambda), K&G Section 5, b = -3", lambda: None,
                          1 / (1 + sp.exp(L - KG_SIGMOID_BIAS)), "sigmoid(-lambda + k), k = -3",
                          given_weight=1 / (1 + sp.exp(L - KG_SIGMOID_BIAS)))
    pairs = {
        ("Sech", "Noise"): KGObjective("IDDPM: epsilon-prediction with the cosine schedule, K&G (3)", _eps_factor,
                                       sp.sech(L / 2), "IDDPM row: sech(lambda/2)"),
        ("Sech", "Vel"): KGObjective("v-prediction with the cosine schedule, K&G Appendix D.2", _v_factor,
                                     sp.exp(-L / 2), "v-prediction row: e^(-lambda/2)"),
        ("Logis", "Vel"): KGObjective("Flow Matching with the OT path (CFM loss), K&G Appendix D.3", _cfm_factor,
                                      sp.exp(-L / 2), "FM-OT row: e^(-lambda/2)"),
        ("Normal", "F-pred"): KGObjective("EDM objective, K&G Appendix D.1, at EDM2's P_mean, P_std", _edm_factor,
                                          _normal_pdf(L, -2 * p_mean, 2 * p_std) * (sp.exp(-L) + sp.Rational(1, 4)),
                                          "EDM row N(lambda; -2 P_mean, (2 P_std)^2)(e^-lambda + 0.5^2)"),
    }
    for name in ("Normal", "Logis", "Sech", "SechInter", "DDPM-linear"):
        pairs[(name, "Sigmoid")] = sigmoid
        pairs.setdefault((name, "Noise"), eps)
    return pairs


def kg_appendix_d2_slip() -> dict:
    """K&G Appendix D.2: (56) (e^-lambda + 1)/(2 pi cosh(-lambda/2)) is printed as (57) pi e^(-lambda/2); the
    identity gives e^(-lambda/2)/pi."""
    L = sp.Symbol("lambda", real=True)
    lhs = (sp.exp(-L) + 1) / (2 * sp.pi * sp.cosh(-L / 2))
    as_printed = sp.simplify((lhs - sp.pi * sp.exp(-L / 2)).rewrite(sp.exp))
    corrected = sp.simplify((lhs - sp.exp(-L / 2) / sp.pi).rewrite(sp.exp))
    return {"(56) - (57) as printed (pi e^(-lambda/2))": str(as_printed),
            "(56) - e^(-lambda/2)/pi": str(corrected)}


def time_of_log_snr(schedule: NoiseSchedule):
    """t as a function of KG's lambda = 2 ring-lambda(t), when SymPy finds a closed form; else None."""
    try:
        sols = sp.solve(sp.Eq(2 * schedule.ring_lam, lam_kg), t)
    except (NotImplementedError, ValueError):
        return None
    real = [s for s in sols if not s.has(sp.I)]
    return real[0] if len(real) == 1 else None
