"""The paper's own registry entries (Section 2 schedules and parameterizations, Sections 4-6 rates).

Each entry is transcribed as the paper *prints* it; the Section 2 claims then check each one against
an independent derivation (from its training target, its quantile function, or a public reference).
"""

from __future__ import annotations

import sympy as sp

from .registry import REGISTRY, DiffusionRate, NoiseSchedule, Parameterization, Registry, Target
from .symbols import t

# ------------------------------------------------------------------------------------------------
# Noise schedules (Section 2, "Noise schedules")
# ------------------------------------------------------------------------------------------------


def standard_normal_quantile(u):
    """Phi^{-1}(u) = sqrt(2) erfinv(2u - 1)."""
    return sp.sqrt(2) * sp.erfinv(2 * u - 1)


def vp_schedule(name: str, ring_lam: sp.Expr, **meta) -> NoiseSchedule:
    """A variance-preserving schedule from its log-SNR: alpha = (1 + e^{-2 ring-lam})^{-1/2}, alpha^2 + sigma^2 = 1."""
    alpha = (1 + sp.exp(-2 * ring_lam)) ** sp.Rational(-1, 2)
    sigma = (1 + sp.exp(2 * ring_lam)) ** sp.Rational(-1, 2)
    return NoiseSchedule(name, ring_lam, alpha, sigma, **meta)


_NORMAL_LAM = standard_normal_quantile(t) + sp.Rational(2, 5)
NORMAL = NoiseSchedule(
    "Normal",
    ring_lam=_NORMAL_LAM,
    alpha=sp.Integer(1),
    sigma=sp.exp(-_NORMAL_LAM),
    reference="EDM2 (Karras et al. 2024): log sigma ~ N(P_mean=-0.4, P_std=1.0)",
    description="ring-lambda = Phi^-1(t) + 0.4, alpha = 1, sigma = exp(-ring-lambda)",
)
LOGIS = NoiseSchedule(
    "Logis",
    ring_lam=sp.log(t / (1 - t)),
    alpha=t,
    sigma=1 - t,
    reference="rectified flow / flow matching (Lipman et al. 2023, Liu et al. 2023, Esser et al. 2024)",
    description="alpha = t, sigma = 1 - t",
)
SECH = NoiseSchedule(
    "Sech",
    ring_lam=sp.log(sp.tan(sp.pi * t / 2)),
    alpha=sp.sin(sp.pi * t / 2),
    sigma=sp.cos(sp.pi * t / 2),
    reference="cosine schedule (Nichol & Dhariwal 2021)",
    description="alpha = sin(pi t/2), sigma = cos(pi t/2)",
)
SECH_INTER = vp_schedule(
    "SechInter",
    sp.log(sp.tan(sp.pi * t / 2)) + sp.log(16) * (t - 1),
    reference="shifted cosine interpolation (Hoogeboom et al. 2023; 2025), as the paper simplifies it",
    description="ring-lambda = log tan(pi t/2) + log(16)(t - 1), alpha^2 + sigma^2 = 1",
)

#: DDPM's linear beta schedule (beta from 1e-4 to 0.02 over T = 1000 steps), in its continuous-time
#: limit (Song et al. 2021c, VP-SDE with beta_min = 0.1, beta_max = 20), in forward time tau = 1 - t:
#: alpha_bar = exp(-B), B(tau) = beta_min tau + (beta_max - beta_min) tau^2 / 2,
#: ring-lambda = (1/2) log(alpha_bar / (1 - alpha_bar)) = -(1/2) log(e^B - 1).
_BETA_MIN, _BETA_MAX = sp.Rational(1, 10), sp.Integer(20)
_TAU = 1 - t
# Factored as tau (beta_min + (beta_max - beta_min) tau / 2): SymPy would distribute beta_min over 1 - t
# and float64 would then lose every digit of B as t -> 1.
_B = _TAU * (_BETA_MIN + (_BETA_MAX - _BETA_MIN) * _TAU / 2)
DDPM_LINEAR = NoiseSchedule(
    "DDPM-linear",
    ring_lam=-sp.log(sp.exp(_B) - 1) / 2,
    alpha=sp.exp(-_B / 2),
    sigma=sp.sqrt(1 - sp.exp(-_B)),
    reference="DDPM linear beta (Ho et al. 2020), used by DiT and PixArt; continuous limit (VP-SDE)",
    description="alpha_bar = exp(-0.1 tau - 9.95 tau^2), tau = 1 - t",
)

# ------------------------------------------------------------------------------------------------
# Parameterizations (Section 2, "Parameterizations"): S_t as printed, and the target it comes from.
# ------------------------------------------------------------------------------------------------


def logit_normal_density(u):
    """Density of logit-normal(0, 1) time sampling (Esser et al. 2024): phi(logit u) / (u (1 - u))."""
    x = sp.log(u / (1 - u))
    return sp.exp(-x**2 / 2) / (sp.sqrt(2 * sp.pi) * u * (1 - u))


def edm_f_target(schedule: NoiseSchedule, sigma_data=sp.Rational(1, 2)) -> Target:
    """EDM's F-target on Y = X + eps/ring-rho (VE, sigma_EDM = 1/ring-rho), Karras et al. 2022, Table 1:
    F = (X - c_skip Y) / c_out, c_skip = sd^2/(sigma^2 + sd^2), c_out = sigma sd / sqrt(sigma^2 + sd^2)."""
    sig = 1 / schedule.ring_rho
    c_skip = sigma_data**2 / (sig**2 + sigma_data**2)
    c_out = sig * sigma_data / sp.sqrt(sig**2 + sigma_data**2)
    return Target((1 - c_skip) / c_out, -c_skip * sig / c_out, description="EDM F-target, sigma_data = 1/2")


#: Kingma & Gao (2023) sigmoid weighting w(lambda) = sigmoid(b - lambda), lambda = 2 ring-lambda; SiD2 uses b = -3.
SIGMOID_BIAS = sp.Integer(-3)


def sigmoid_weight_target(schedule: NoiseSchedule) -> Target:
    lam_kg = 2 * schedule.ring_lam
    w = 1 / (1 + sp.exp(lam_kg - SIGMOID_BIAS))
    return Target(sp.Integer(0), sp.Integer(1), weight=w * sp.diff(lam_kg, t),
                  description="eps-target weighted by KG's sigmoid(b - lambda) |d lambda/dt|, b = -3")


def _vel_target(schedule: NoiseSchedule, weight=sp.Integer(1)) -> Target:
    return Target(sp.diff(schedule.alpha, t), sp.diff(schedule.sigma, t), weight=weight,
                  description="velocity v = alpha' X + sigma' eps")


NOISE = Parameterization("Noise", lambda sch: sp.Integer(1),
                         target=lambda sch: Target(sp.Integer(0), sp.Integer(1), description="eps"),
                         reference="Ho et al. 2020", description="S = 1")
DATA = Parameterization("Data", lambda sch: 1 / sch.ring_rho,
                        target=lambda sch: Target(sp.Integer(1), sp.Integer(0), description="X"),
                        reference="Kingma et al. 2021", description="S = 1/ring-rho")
F_PRED = Parameterization("F-pred", lambda sch: sp.sqrt(4 / sch.ring_rho**2 + 1), target=edm_f_target,
                          reference="EDM/EDM2 (Karras et al. 2022; 2024), sigma_data = 1/2",
                          description="S = sqrt(4 ring-rho^-2 + 1)")
VEL = Parameterization("Vel", lambda sch: sch.ring_lam_rate * sch.sigma, target=_vel_target,
                       reference="flow matching / rectified flow", description="S = ring-lambda' sigma")
VEL_N = Parameterization(
    "VelN",
    lambda sch: sch.ring_lam_rate * sch.sigma * sp.exp(-sp.log(t / (1 - t)) ** 2 / 4)
    / ((2 * sp.pi) ** sp.Rational(1, 4) * sp.sqrt(t * (1 - t))),
    target=lambda sch: _vel_target(sch, weight=logit_normal_density(t)),
    reference="SD3 (Esser et al. 2024), LightningDiT: logit-normal(0, 1) time sampling",
    description="Vel with logit-normal time sampling",
)
SIGMOID = Parameterization(
    "Sigmoid",
    lambda sch: sp.sqrt(2 * sch.ring_lam_rate / (1 + sp.exp(2 * sch.ring_lam + 3))),
    target=sigmoid_weight_target,
    reference="Kingma & Gao 2023 sigmoid weighting; SiD2 (Hoogeboom et al. 2025)",
    description="S = sqrt(2 ring-lambda' / (1 + exp(2 ring-lambda + 3)))",
)

# ------------------------------------------------------------------------------------------------
# Diffusion rates (Sections 4-6)
# ------------------------------------------------------------------------------------------------


def penalized_rate(c, name: str | None = None) -> DiffusionRate:
    """Optimum (26) of the penalized ML objective (25) for a constant penalty c >= 0: lambda' = ring-lambda'/sqrt(1+c)."""
    c = sp.nsimplify(c)
    if not (c.is_real and c >= 0):
        from .registry import RegistryError

        raise RegistryError(f"penalized rate: the penalty c must be a real number >= 0, got {c}")
    return DiffusionRate(name or f"penalized(c={c})", lambda sch, par, iv: sch.ring_lam_rate / sp.sqrt(1 + c),
                         description=f"(26) with c = {c}")


def custom_rate(name: str, lam_rate: sp.Expr, description: str = "") -> DiffusionRate:
    """A user-given diffusion rate lambda'_t (an expression of t)."""
    expr = sp.sympify(lam_rate)
    return DiffusionRate(name, lambda sch, par, iv: expr, description=description or f"lambda' = {expr}")


def _mse_rate(sch, par, interval):
    from .section5_coherence import mse_diffusion_rate

    return mse_diffusion_rate(sch, par, interval)


ML = DiffusionRate("ML", lambda sch, par, iv: sch.ring_lam_rate,
                   description="ML-diffusion: c = 0 in (26), lambda' = ring-lambda' (reversible, DDPM)")
FLOW = DiffusionRate("flow", lambda sch, par, iv: sp.Integer(0), is_flow=True,
                     description="deterministic flow: lambda' -> 0, beta = 0 (DDIM)")
MSE = DiffusionRate("MSE", _mse_rate, description="MSE-diffusion (30) with M of (29)")
PENALIZED = penalized_rate(1, name="penalized(c=1)")
REPA = custom_rate("REPA", 1 / (2 * t), "SiT/REPA generator: lambda' = 1/(2t) (Section 6)")


def register_builtins(registry: Registry) -> Registry:
    for sch in (NORMAL, LOGIS, SECH, SECH_INTER, DDPM_LINEAR):
        registry.add_schedule(sch, origin="built-in")
    for par in (NOISE, DATA, F_PRED, VEL, VEL_N, SIGMOID):
        registry.add_parameterization(par, origin="built-in")
    for rate in (ML, FLOW, MSE, PENALIZED, REPA):
        registry.add_rate(rate, origin="built-in")
    # Section 6: the (schedule, parameterization) pairs of the SOTA models of Figure 1.
    for pair in (("DDPM-linear", "Noise"), ("Logis", "Vel"), ("Logis", "VelN"), ("Normal", "F-pred"),
                 ("SechInter", "Sigmoid"), ("SechInter", "Noise"), ("Sech", "Noise")):
        registry.add_pair(*pair)
    return registry


register_builtins(REGISTRY)
