r"""Section 6: the public configurations of the SOTA generators, as data with their sources, and the rules that
convert a code base's sampler into the paper's forward time and variables.

Nothing here reads a file: the configurations were read from the public repositories at the commits recorded in
:data:`REPOS` (the facts sheet of this work lists them with file and line) and are kept as data.  Every fact has its
source and the facts sheet's status tag (:data:`TAGS`): ``code`` (read in the repository at the commit),
``recomputed``, ``derived``, ``notes`` (from research notes with a source location, not re-read), ``paper`` (only
from a paper) and ``unverified``.  A claim built on a fact tagged ``notes``, ``paper`` or ``unverified`` says so and
is never ``proved``.  A fact taken from the reviewed paper itself (repository key ``paper``, :attr:`Fact.circular`)
is never evidence for the paper: it must be tagged ``paper``, and a statement resting on it is not established.

Conversion rules (each derived here with SymPy, not copied):

* R1 :func:`sde_rate_rule` -- an Euler-Maruyama sampler dZ = [v + w score] dt + sqrt(2 w) dW in forward time has the
  paper's diffusion rate lambda'_t = w_t / sigma_t^2 (matching the paper's SDE (35) in Z = alpha Y, drift and noise);
  :func:`reverse_g2_rule`: a reverse-time coefficient g^2 (REPA) is w = g^2/2.
* R2 :func:`ancestral_rule` -- an ancestral step with Z-space variance v has eta^2 = v/sigma_t^2; the posterior
  variance gives the ML-diffusion, the prior variance (1 - alpha_s^2/alpha_t^2) an eta above it.
* R3 :func:`churn_rule` -- EDM's churn gamma (noise up to (1 + gamma) sigma, then an ODE step) is a UDS step with
  rho_s/rho_t = 1/(1 + gamma): eta^2 = 1 - (1 + gamma)^-2, Delta lambda = log(1 + gamma).
* R4 :func:`shift_rules` -- the timestep shifts of SD3/RAE (on the noise time) and LightningDiT (on t) are log-SNR
  translations of the Logis schedule.
* R5 :func:`time_density_weight` -- a training time density multiplies S_t^2 (the paper's VelN is Vel with the
  logit-normal density); the Kingma & Gao weight omega = S^2/ring-lambda' is then grid-free.

Schedules the registry does not have (EDM's ImageNet-64 density, DiT's discrete linear-beta schedule with an exact
continuous extension, the shifted logit-normal parameterization of RAE) are constructed with the registry's classes
and validated by the registry's own validator, but *not* added to the process-wide registry (every per-schedule claim
of the ledger would then run on them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy as sp

from .builtin import F_PRED, LOGIS, NOISE, NORMAL, SECH_INTER, SIGMOID, VEL, VEL_N
from .registry import NoiseSchedule, Parameterization, Target, validate_parameterization, validate_schedule
from .section2_denoiser import scale_from_target
from .symbols import t

#: Status tags of the facts sheet, strongest first.
TAGS = ("code", "recomputed", "derived", "notes", "paper", "unverified")
#: Tags a claim may rest on and still be ``proved``.
STRONG_TAGS = frozenset({"code", "recomputed", "derived"})


class ConfigError(ValueError):
    """A configuration is malformed (one line naming the model and the fact)."""


# ------------------------------------------------------------------------------------------------
# Sources
# ------------------------------------------------------------------------------------------------

#: Repository snapshots (owner/name, commit) the configurations were read at (facts sheet, section 1).
REPOS: dict[str, tuple[str, str]] = {
    "edm2": ("NVlabs/edm2", "4bf8162"),
    "edm": ("NVlabs/edm", "008a4e5"),
    "dit": ("facebookresearch/DiT", "ed81ce2"),
    "sit": ("willisma/SiT", "947f95b (file versions a87098c / 6eafdd0 / af722da)"),
    "repa": ("sihyun-yu/REPA", "67f7145 (samplers.py version 2b8c181)"),
    "repae": ("End2End-Diffusion/REPA-E", "3ad8046"),
    "rae": ("bytetriper/RAE", "a4d18c4"),
    "lightningdit": ("hustvl/LightningDiT", "2725fed"),
    "diffusers": ("huggingface/diffusers", "58eb52c"),
    "sd35": ("Stability-AI/sd3.5", "fbf8f48"),
    "paper": ("the reviewed paper", "papers/flows-beat-diffusions.txt"),
    "sd3-paper": ("Esser et al. 2024 (SD3 paper)", "-"),
    "none": ("no source", "-"),
}


@dataclass(frozen=True)
class Fact:
    """One configuration value with where it was read and its status tag(s) ("code/notes" for mixed)."""

    name: str
    value: Any
    repo: str
    where: str
    tag: str
    note: str = ""

    def __post_init__(self):
        if self.repo not in REPOS:
            raise ConfigError(f"fact {self.name!r}: unknown repository key {self.repo!r}")
        for tg in self.tags:
            if tg not in TAGS:
                raise ConfigError(f"fact {self.name!r}: unknown status tag {tg!r}; choose from {', '.join(TAGS)}")
        if self.circular and self.tags != ("paper",):
            raise ConfigError(f"fact {self.name!r}: taken from the reviewed paper, it cannot be tagged {self.tag!r} "
                              "(a number derived from the paper cannot confirm the paper): tag it 'paper'")

    @property
    def circular(self) -> bool:
        """True for a fact taken (or derived) from the reviewed paper itself: never evidence for the paper."""
        return self.repo == "paper"

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(x.strip() for x in self.tag.split("/"))

    @property
    def strong(self) -> bool:
        """True when every tag is code, recomputed or derived."""
        return all(tg in STRONG_TAGS for tg in self.tags)

    def record(self) -> dict:
        repo, commit = REPOS[self.repo]
        out = {"value": _plain(self.value), "repository": repo, "commit": commit, "where": self.where,
               "tag": self.tag}
        if self.note:
            out["note"] = self.note
        return out


def _plain(v):
    if isinstance(v, sp.Basic):
        return sp.sstr(v)
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


@dataclass(frozen=True)
class ModelConfig:
    """A model's public configuration: its facts by name."""

    name: str
    facts: tuple[Fact, ...]
    in_figure1: bool = False
    description: str = ""
    _index: dict = field(default=None, repr=False, compare=False, hash=False)

    def __post_init__(self):
        names = [f.name for f in self.facts]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ConfigError(f"model {self.name}: facts listed twice: {sorted(dup)}")
        object.__setattr__(self, "_index", {f.name: f for f in self.facts})

    def fact(self, name: str) -> Fact:
        try:
            return self._index[name]
        except KeyError:
            raise ConfigError(f"model {self.name}: no fact {name!r}; known: {', '.join(self._index)}") from None

    def value(self, name: str):
        return self.fact(name).value

    def record(self) -> dict:
        return {f.name: f.record() for f in self.facts}


R = sp.Rational
_F = Fact

# ------------------------------------------------------------------------------------------------
# The configurations (facts sheet sections 3-5 and 8; values as read, sources as the sheet gives them)
# ------------------------------------------------------------------------------------------------

EDM2 = ModelConfig("EDM2", (
    _F("P_mean", R(-2, 5), "edm2", "training/training_loop.py L29, L36; train_edm2.py L26-35 (every img512 preset)", "code"),
    _F("P_std", sp.Integer(1), "edm2", "training/training_loop.py L29, L36; train_edm2.py L26-35", "code"),
    _F("sigma_data", R(1, 2), "edm2", "training/training_loop.py L29", "code"),
    _F("latent_std", R(1, 2), "edm2", "encoders.py L84-85 (latents normalised to std 0.5)", "notes"),
    _F("loss_weight", "(sigma^2 + sigma_data^2)/(sigma sigma_data)^2 on ||D - y||^2", "edm2",
       "training/training_loop.py L37-40", "code"),
    _F("learned_logvar", "the weighted loss is divided by exp(u(sigma)) and u(sigma) added (learned per-sigma "
       "log-variance)", "edm2", "training/training_loop.py L37-40 [code]; networks_edm2.py L292-315", "code/notes"),
    _F("process", "x = y + sigma n (alpha = 1)", "edm2", "training/training_loop.py L36-40", "code"),
    _F("sampler", "Heun (2nd order), deterministic; the last step (to sigma = 0) Euler", "edm2",
       "generate_images.py L77-78, L100-103, L113", "code"),
    _F("S_churn", sp.Integer(0), "edm2", "generate_images.py L77-78 (default), CLI L278; no preset sets it", "code"),
    _F("num_steps", 32, "edm2", "generate_images.py L77; CLI L273-276", "code"),
    _F("sigma_min", R(1, 500), "edm2", "generate_images.py L77, L90-92; CLI L273-276", "code"),
    _F("sigma_max", sp.Integer(80), "edm2", "generate_images.py L77, L90-92; CLI L273-276", "code"),
    _F("rho", sp.Integer(7), "edm2", "generate_images.py L77, L90-92; CLI L273-276", "code"),
    _F("final_sigma", sp.Integer(0), "edm2", "generate_images.py L90-92 (t_steps appended with 0)", "code"),
    _F("num_steps_255", 128, "paper", "Table 1's 255 NFE (text line 532) through NFE = 2 num_steps - 1 (edm2 "
       "generate_images.py L113)", "paper", "inferred from the printed 255 itself: no public configuration runs 128 "
       "steps, so the step count cannot confirm the 255"),
    _F("guidance", "edm2-img512-s-guid-fid: guidance 1.4 with the XS unconditional net (FID 2.23 in its comment)",
       "edm2", "generate_images.py L50", "code"),
), in_figure1=True, description="EDM2-img512 (Karras et al. 2024); Table 1 runs EDM2-S with guidance")

EDM = ModelConfig("EDM", (
    _F("P_mean", R(-6, 5), "edm", "training/loss.py L67, L74", "notes"),
    _F("P_std", R(6, 5), "edm", "training/loss.py L67, L74", "notes"),
    _F("sigma_data", R(1, 2), "edm", "training/loss.py L67, L74", "notes"),
    _F("loss_weight", "(sigma^2 + sigma_data^2)/(sigma sigma_data)^2 on ||D - y||^2 (no log-variance head)",
       "edm", "training/loss.py L75-79; training/networks.py L640-663", "notes"),
    _F("sampler", "Heun (2nd order) with optional churn; grid as EDM2 (80 -> 0.002, rho = 7, then 0)", "edm",
       "generate.py L25-37", "notes"),
    _F("sigma_min", R(1, 500), "edm", "generate.py L25-37", "notes"),
    _F("sigma_max", sp.Integer(80), "edm", "generate.py L25-37", "notes"),
    _F("rho", sp.Integer(7), "edm", "generate.py L25-37", "notes"),
    _F("deterministic_recipes", {"CIFAR-10": 18, "FFHQ/AFHQv2-64": 40}, "edm", "README.md L91-101", "notes"),
    _F("in64_num_steps", 256, "edm", "README.md L91-101 (ImageNet-64 recipe)", "notes"),
    _F("S_churn", sp.Integer(40), "edm", "README.md L91-101 (ImageNet-64 recipe)", "notes"),
    _F("S_min", R(1, 20), "edm", "README.md L91-101 (ImageNet-64 recipe)", "notes"),
    _F("S_max", sp.Integer(50), "edm", "README.md L91-101 (ImageNet-64 recipe)", "notes"),
    _F("S_noise", R(1003, 1000), "edm", "README.md L91-101 (ImageNet-64 recipe)", "notes"),
    _F("churn_gamma", "min(S_churn/num_steps, sqrt(2) - 1) on steps with sigma_i in [S_min, S_max], else 0",
       "edm", "generate.py L45-47", "notes"),
), description="EDM (Karras et al. 2022): CIFAR/FFHQ/AFHQ recipes deterministic, ImageNet-64 recipe stochastic")

DIT = ModelConfig("DiT", (
    _F("beta_start", R(1, 10000), "dit", "diffusion/__init__.py L10-44; gaussian_diffusion.py (linear betas)", "code"),
    _F("beta_end", R(2, 100), "dit", "diffusion/__init__.py L10-44; gaussian_diffusion.py (linear betas)", "code"),
    _F("T", 1000, "dit", "diffusion/__init__.py L10-44", "code"),
    _F("parameterization", "eps-prediction (S = 1); learn_sigma: variance LEARNED_RANGE, VLB term", "dit",
       "diffusion/__init__.py L10-44; gaussian_diffusion.py L749-783", "code/notes"),
    _F("training_time", "k ~ U{0..999}", "dit", "train.py L204", "notes"),
    _F("sampler", "DDPM ancestral (p_sample_loop), no noise on the final output (k = 0 -> x0_hat)", "dit",
       "gaussian_diffusion.py L411-416", "code"),
    _F("respaced_steps", 250, "dit", "respace.py L41-62; sample_ddp.py L78", "code/notes"),
    _F("respacing", "k_i = round(999 i / 249), i = 0..249", "dit", "respace.py L41-62 (space_timesteps)", "code"),
    _F("step_variance", "log v = f log beta'_prior + (1 - f) log beta~'_post, f in [0, 1] per element", "dit",
       "gaussian_diffusion.py L288-292", "code"),
    _F("cfg", R(3, 2), "dit", "sample_ddp.py L158-159", "notes"),
), in_figure1=True, description="DiT-XL/2 (Peebles & Xie 2023)")

SIT = ModelConfig("SiT", (
    _F("path", "Linear: alpha = t, sigma = 1 - t, x0 noise, x1 data (t_SiT = paper t)", "sit",
       "transport/path.py L23-29, L114-124", "notes"),
    _F("prediction", "velocity, unweighted MSE against x1 - x0", "sit", "train_utils.py; transport.py training_losses",
       "code"),
    _F("training_time", "t ~ U(0, 1)", "sit", "transport.py check_interval, sample", "code"),
    _F("sampler", "Euler-Maruyama, w at the start of the step; last step 'Mean' (drift only)", "sit",
       "transport.py sample_sde; integrators.py (sde class)", "code"),
    _F("num_steps", 250, "sit", "train_utils.py parse_sde_args", "code"),
    _F("last_step_size", R(1, 25), "sit", "train_utils.py parse_sde_args; transport.py sample_sde", "code"),
    _F("diffusion_form", "sigma", "sit", "train_utils.py (CLI default; the Python default of sample_sde is SBDM)",
       "code"),
    _F("w_sigma", 1 - t, "sit", "transport/path.py L35-61 (w = sigma_t for the 'sigma' form, norm 1)", "notes"),
    _F("t0", sp.Integer(0), "sit", "transport.py check_interval (Linear path, velocity)", "code"),
), in_figure1=True, description="SiT-XL/2 (Ma et al. 2024), SDE sampler behind FID 2.06")

REPA = ModelConfig("REPA", (
    _F("path", "alpha = 1 - tau, sigma = tau (tau = 1 noise); paper t = 1 - tau", "repa",
       "samplers.py (linear branch); loss.py L36-41", "code/notes"),
    _F("prediction", "v = d x_tau / d tau = eps - x, unweighted MSE, tau ~ U(0, 1)", "repa",
       "loss.py L56-78; train.py L432-437", "notes"),
    _F("sampler", "Euler-Maruyama; noise on the first num_steps - 1 intervals; last interval 0.04 -> 0 mean-only",
       "repa", "samplers.py euler_maruyama_sampler", "code"),
    _F("num_steps", 250, "repa", "README.md L124-135 (evaluation: SDE, 250 steps)", "notes"),
    _F("tau_last", R(1, 25), "repa", "samplers.py euler_maruyama_sampler (linspace(1, 0.04, num_steps), then 0)",
       "code"),
    _F("g2", 2 * sp.Symbol("tau", positive=True), "repa", "samplers.py compute_diffusion (g^2 = 2 tau at the step start)",
       "code"),
), in_figure1=True, description="REPA (Yu et al. 2025)")

REPA_E = ModelConfig("REPA-E", (
    _F("sampler", "as REPA: g^2 = 2 tau, grid 1 -> 0.04 (250 points) -> 0, EM, mean-only last step", "repae",
       "samplers.py L43, L123-124, L140-154", "notes"),
    _F("prediction", "v target, linear path, tau ~ U(0, 1) by default", "repae",
       "models/sit.py L323-347; train_repae.py L590-596", "notes"),
    _F("num_steps", 250, "repae", "README.md L184-193", "notes"),
    _F("tau_last", R(1, 25), "repae", "samplers.py L123-124", "notes"),
    _F("g2", 2 * sp.Symbol("tau", positive=True), "repae", "samplers.py L43", "notes"),
), in_figure1=True, description="REPA-E (Leng et al. 2025)")

RAE = ModelConfig("RAE", (
    _F("path", "alpha = 1 - tau, sigma = tau; paper t = 1 - tau", "rae", "src/stage2/transport/path.py L23-29", "code"),
    _F("loss", "velocity, unweighted (loss_weight: null)", "rae",
       "configs/stage2/training/ImageNet256/DiTDH-XL_DINOv2-B.yaml L39", "code"),
    _F("training_time", "tau_u ~ logit-normal(0, 1) truncated to [0, 0.999], then shifted by s", "rae",
       "src/stage2/transport/transport.py L136-137, L155-181; training yaml L40", "code"),
    _F("shift_dim_256", 196608, "rae", "configs/stage2/sampling/* L57/L77 (256 px)", "code"),
    _F("shift_dim_512", 786432, "rae", "512 sampling yaml L79; the 512 training yaml lists 196608 (L17, L58)", "code",
       "the public 512-px training and sampling configs disagree"),
    _F("truncation", R(999, 1000), "rae", "transport.py L136-137 (t1 = 1 - 1/1000 in check_interval)", "code"),
    _F("sampler", "ODE, torchdiffeq 'euler'", "rae", "sampling yamls L40-45", "code"),
    _F("num_steps", 50, "rae", "sampling yamls L40-45 (50 grid points: 49 Euler steps)", "code"),
), in_figure1=True, description="RAE DiT-DH-XL (Zheng et al. 2025), 256 px")

LIGHTNINGDIT = ModelConfig("LightningDiT", (
    _F("path", "SiT code: alpha = t, sigma = 1 - t, paper t = t_SiT", "lightningdit", "transport/path.py L23-29", "notes"),
    _F("loss", "velocity MSE plus cosine term 1 - cos(v_hat, v) (use_cosine_loss: true)", "lightningdit",
       "transport.py L194-197; configs/lightningdit_xl_vavae_f16d32.yaml L60", "code/notes"),
    _F("use_lognorm", True, "lightningdit", "transport.py L144-158; config L61", "code",
       "configs/config_details.yaml L58-63: large-scale runs switch lognorm off halfway"),
    _F("sampler", "ODE, torchdiffeq Euler", "lightningdit", "transport/integrators.py L94-101; config L66", "code"),
    _F("num_sampling_steps", 250, "lightningdit", "config L71 (250 grid points: 249 Euler steps)", "code"),
    _F("timestep_shift", R(3, 10), "lightningdit", "config L82; integrators.py L94-101 (t' = s t/(1 + (s - 1) t))",
       "code"),
), in_figure1=True, description="LightningDiT-XL (Yao et al. 2025)")

SD3 = ModelConfig("SD3", (
    _F("path", "x = (1 - sigma) x0 + sigma eps, sigma = 1 noise; t = 1 - sigma", "diffusers",
       "scheduling_flow_match_euler_discrete.py (scale_noise); sd3.5 sd3_impls.py L54-55", "notes"),
    _F("training_time", "logit-normal(0, 1) (rectified flow)", "sd3-paper", "SD3 paper (Esser et al. 2024)", "paper"),
    _F("sampler", "FlowMatchEulerDiscrete: Euler, deterministic", "diffusers", "L92-144", "notes"),
    _F("shift", sp.Integer(3), "sd35", "sd3_infer.py L210-211", "notes"),
    _F("num_steps", 28, "diffusers", "pipeline_stable_diffusion_3.py L781-783", "notes"),
    _F("sigma_min_unshifted", R(1, 1000), "diffusers", "L127-144, L336-351; sd3_infer.py L295-304", "notes"),
), description="SD3 (Esser et al. 2024), diffusers' default")

SID2 = ModelConfig("SiD2", (
    _F("schedule", "SechInter: l = log tan(pi t/2) + log 16 (t - 1)", "paper", "Section 2 (SechInter)", "paper"),
    _F("weighting", "Sigmoid: S^2 = 2 l'/(1 + exp(2 l + 3))", "paper", "Section 2 (Sigmoid)", "paper"),
    _F("num_steps", 512, "paper", "Figure 1 caption", "paper"),
    _F("sampler", "DDPM-type ancestral, variance interpolated between posterior and prior", "paper",
       "Section 6 (text line 519)", "paper"),
    _F("interpolation_weight", None, "none", "unknown: no public code", "unverified"),
    _F("grid_end_points", None, "none", "t0, t_max not fixed by any source (SiD clips the log-SNR)", "unverified"),
), in_figure1=True, description="SiD2 (Hoogeboom et al. 2025): no public code")

PIXART = ModelConfig("PixArt", (
    _F("facts", None, "none", "no facts collected (facts sheet 4.11)", "unverified"),
), description="PixArt-alpha/sigma: not covered")
SID = ModelConfig("SiD", (
    _F("facts", None, "none", "no facts collected (facts sheet 4.11)", "unverified"),
), description="SiD (Hoogeboom et al. 2023): not covered")

MODELS: dict[str, ModelConfig] = {m.name: m for m in (EDM2, EDM, DIT, SIT, REPA, REPA_E, RAE, LIGHTNINGDIT, SD3, SID2,
                                                       PIXART, SID)}


def model(name: str) -> ModelConfig:
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None


# ------------------------------------------------------------------------------------------------
# R1: SDE coefficient -> diffusion rate
# ------------------------------------------------------------------------------------------------

w_sym = sp.Symbol("w", positive=True)
g2_sym = sp.Symbol("g2", positive=True)
lam_p = sp.Symbol("lamprime", positive=True)


@lru_cache(maxsize=None)
def sde_rate_rule() -> dict:
    r"""lambda'_t of an Euler-Maruyama sampler dZ = [v + w score] dt + sqrt(2 w) dW (forward time, Z = alpha Y).

    The paper's SDE (35): dY = (lambda' + ring-lambda')(X_hat - Y) dt + ring-rho^-1 sqrt(2 lambda') dW.  With
    Z = alpha Y: dZ = alpha' Y dt + alpha dY.  The sampler's drift uses v = alpha' X_hat + sigma' eps_hat and
    score = -eps_hat/sigma, eps_hat = (Z - alpha X_hat)/sigma.  Matching the noise coefficients gives lambda';
    the drifts then agree identically (returned as a check, 0)."""
    a, sg = sp.Function("alpha", positive=True)(t), sp.Function("sigma", positive=True)(t)
    Xh, eh = sp.symbols("Xhat epshat", real=True)
    Z = a * Xh + sg * eh                                   # the state, written through the denoiser's estimates
    Y = Z / a
    ring_rate = sp.diff(sp.log(a / sg), t)
    drift_paper = sp.diff(a, t) * Y + a * (lam_p + ring_rate) * (Xh - Y)
    noise_paper = a * (sg / a) * sp.sqrt(2 * lam_p)        # alpha ring-rho^-1 sqrt(2 lambda')
    drift_code = sp.diff(a, t) * Xh + sp.diff(sg, t) * eh + w_sym * (-eh / sg)
    noise_code = sp.sqrt(2 * w_sym)
    sols = sp.solve(sp.Eq(noise_paper, noise_code), lam_p)
    if len(sols) != 1:
        raise ConfigError(f"R1: expected one rate from the noise match, got {sols}")
    rate = sp.simplify(sols[0])
    drift_gap = sp.simplify(sp.expand(drift_paper.subs(lam_p, rate) - drift_code))
    return {"rate": rate, "drift_gap": drift_gap, "alpha": a, "sigma": sg,
            "statement": "lambda'_t = w_t / sigma_t^2 (noise match); drift of (35) minus the sampler's drift = 0"}


def sde_rate(w_expr: sp.Expr, sigma_expr: sp.Expr) -> sp.Expr:
    """R1 applied: lambda'_t for the sampler coefficient ``w_expr`` on a path with noise ``sigma_expr``."""
    rule = sde_rate_rule()
    return sp.simplify(rule["rate"].subs(rule["sigma"], sigma_expr).subs(w_sym, w_expr))


@lru_cache(maxsize=None)
def reverse_g2_rule() -> sp.Expr:
    """w for a reverse-time SDE dx = [v - g^2/2 score] dtau + g dW (tau = 1 - t): the forward-time coefficient
    sqrt(2 w) must equal g, i.e. w = g^2/2 (and the drift's score term +w score, as in R1)."""
    sols = sp.solve(sp.Eq(sp.sqrt(2 * w_sym), sp.sqrt(g2_sym)), w_sym)
    if len(sols) != 1:
        raise ConfigError(f"reverse-time rule: expected one solution, got {sols}")
    return sols[0]


def em_step_eta2(w_at_s: sp.Expr, dt: sp.Expr, sigma_t: sp.Expr) -> sp.Expr:
    """eta^2 of one Euler-Maruyama step: Z-space noise variance 2 w_s dt over sigma_t^2 (R2's eta^2 = v/sigma_t^2)."""
    return ancestral_rule()["eta2_of_variance"].subs({v_sym: 2 * w_at_s * dt}).subs(sig_t, sigma_t)


# ------------------------------------------------------------------------------------------------
# R2: ancestral step variance -> eta
# ------------------------------------------------------------------------------------------------

v_sym = sp.Symbol("v", positive=True)
a_s, a_t, sig_s, sig_t = sp.symbols("a_s a_t sig_s sig_t", positive=True)


@lru_cache(maxsize=None)
def ancestral_rule() -> dict:
    """eta^2 of a Gaussian step s -> t with Z-space variance v: the UDS (13) in Z = alpha Y has noise alpha_t beta
    xi = alpha_t ring-rho_t^-1 eta xi = sigma_t eta xi, so v = sigma_t^2 eta^2.  The DDPM posterior variance
    (1 - alpha_s^2/alpha_t^2) sigma_t^2/sigma_s^2 (VP) gives eta^2 = 1 - ring-rho_s^2/ring-rho_t^2 (the ML-diffusion);
    the prior variance 1 - alpha_s^2/alpha_t^2 gives eta^2 = (1 - alpha_s^2/alpha_t^2)/sigma_t^2."""
    eta2 = sp.solve(sp.Eq(sig_t**2 * sp.Symbol("e2", positive=True), v_sym), sp.Symbol("e2", positive=True))[0]
    post = (1 - a_s**2 / a_t**2) * sig_t**2 / sig_s**2
    prior = 1 - a_s**2 / a_t**2
    vp = {sig_s: sp.sqrt(1 - a_s**2), sig_t: sp.sqrt(1 - a_t**2)}
    ml = 1 - (a_s**2 / sig_s**2) / (a_t**2 / sig_t**2)
    post_eta2 = eta2.subs(v_sym, post)
    ml_gap = sp.simplify((post_eta2 - ml).subs(vp))
    prior_eta2 = sp.simplify(eta2.subs(v_sym, prior))
    # prior minus posterior eta^2, VP: (1 - a_s^2/a_t^2)(1/sig_t^2 - 1/sig_s^2) >= 0 since sig_t < sig_s
    excess = sp.factor(sp.simplify((prior_eta2 - post_eta2).subs(vp)))
    return {"eta2_of_variance": eta2, "posterior_eta2": post_eta2, "posterior_minus_ML_vp": ml_gap,
            "prior_eta2": prior_eta2, "prior_minus_posterior_vp": excess}


# ------------------------------------------------------------------------------------------------
# R3: EDM's churn -> a UDS step
# ------------------------------------------------------------------------------------------------

gamma_c = sp.Symbol("gamma_churn", nonnegative=True)
s_noise = sp.Symbol("S_noise", positive=True)


@lru_cache(maxsize=None)
def churn_rule() -> dict:
    """EDM's stochastic step (Karras et al. 2022, Algorithm 2) with churn gamma: sigma_hat = (1 + gamma) sigma_cur,
    x_hat = x + sqrt(sigma_hat^2 - sigma_cur^2) S_noise n, then the Euler step sigma_hat -> sigma_next:
    x_next = x_hat + (sigma_next - sigma_hat)(x_hat - D)/sigma_hat.  Written as the UDS (13) (alpha = 1, Y = x,
    ring-rho = 1/sigma): the coefficient of x is q = r_s/r_t = (rho_s/rho_t)(sigma_next/sigma_cur), so
    rho_s/rho_t = 1/(1 + gamma); the noise coefficient is beta = sigma_next eta S_noise with eta^2 = 1 - (1 + gamma)^-2;
    the diffusion schedule grows by Delta lambda = log(1 + gamma) per churned step."""
    x, D, n = sp.symbols("x D n", real=True)
    sc, sn = sp.symbols("sigma_cur sigma_next", positive=True)
    sh = (1 + gamma_c) * sc
    xh = x + sp.sqrt(sh**2 - sc**2) * s_noise * n
    x_next = sp.expand(xh + (sn - sh) * (xh - D) / sh)
    coeff_x = sp.simplify(x_next.coeff(x))
    coeff_n = sp.simplify(x_next.coeff(n))
    q_uds = sp.Symbol("kappa", positive=True) * sn / sc       # (rho_s/rho_t) ring-rho_s/ring-rho_t
    kappa = sp.solve(sp.Eq(q_uds, coeff_x), sp.Symbol("kappa", positive=True))[0]
    eta2 = sp.simplify(1 - kappa**2)
    beta_uds = sn * sp.sqrt(eta2) * s_noise                   # ring-rho_t^-1 eta, times S_noise
    noise_gap = sp.simplify(coeff_n - beta_uds)
    return {"rho_ratio": sp.simplify(kappa), "eta2": eta2, "delta_lambda": sp.simplify(-sp.log(kappa)),
            "noise_gap": noise_gap, "coefficient_of_x": coeff_x}


# ------------------------------------------------------------------------------------------------
# R4: timestep shifts
# ------------------------------------------------------------------------------------------------

shift_s = sp.Symbol("s_shift", positive=True)
u_sym = sp.Symbol("u", positive=True)


@lru_cache(maxsize=None)
def shift_rules() -> dict:
    """The shifts as maps of paper time and their effect on the Logis log-SNR l = log(t/(1 - t)):

    * noise-time shift (SD3, RAE): sigma_code -> s sigma_code/(1 + (s - 1) sigma_code), sigma_code = 1 - t:
      paper t' = t/(s - (s - 1) t) and l(t') = l(t) - log s;
    * LightningDiT: t -> s t/(1 + (s - 1) t): l(t') = l(t) + log s."""
    odds = lambda x: x / (1 - x)  # noqa: E731  (exp of the Logis log-SNR)
    sig = 1 - u_sym
    sig_shift = shift_s * sig / (1 + (shift_s - 1) * sig)
    t_noise = sp.simplify(1 - sig_shift)
    t_light = shift_s * u_sym / (1 + (shift_s - 1) * u_sym)
    # l(t') - l(u) = log of the odds ratio, which SymPy reduces to a constant
    return {"noise_shift_t": t_noise,
            "noise_shift_dl": sp.log(sp.simplify(odds(t_noise) / odds(u_sym))),
            "light_shift_t": t_light,
            "light_shift_dl": sp.log(sp.simplify(odds(t_light) / odds(u_sym)))}


# ------------------------------------------------------------------------------------------------
# Schedules
# ------------------------------------------------------------------------------------------------

def edm_schedule(name: str, p_mean, p_std) -> NoiseSchedule:
    """ln sigma ~ N(P_mean, P_std^2), t uniform: ring-lambda = -ln sigma = P_std Phi^-1(t) - P_mean (VE, alpha = 1).
    For EDM2-img512 (P_mean = -0.4, P_std = 1) this is the paper's Normal schedule."""
    from .builtin import standard_normal_quantile

    lam = p_std * standard_normal_quantile(t) - p_mean
    sch = NoiseSchedule(name, lam, sp.Integer(1), sp.exp(-lam),
                        reference=f"EDM-type training density ln sigma ~ N({p_mean}, {p_std}^2)",
                        description=f"ring-lambda = {p_std} Phi^-1(t) + {-p_mean}, alpha = 1")
    validate_schedule(sch)
    return sch


@lru_cache(maxsize=None)
def edm2_schedule() -> NoiseSchedule:
    return edm_schedule("EDM2-img512", EDM2.value("P_mean"), EDM2.value("P_std"))


@lru_cache(maxsize=None)
def edm_in64_schedule() -> NoiseSchedule:
    return edm_schedule("EDM", EDM.value("P_mean"), EDM.value("P_std"))


def _dit_constants():
    a, e, T = DIT.value("beta_start"), DIT.value("beta_end"), DIT.value("T")
    b = (e - a) / (T - 1)
    return b, (1 - a) / b, T


def _dit_log_alpha_bar_float(m, log1p):
    """m log b + loggamma(c + 1) - loggamma(c + 1 - m) in float64 without the 1e5-sized cancellation: with x = c + 1 - m,
    Stirling's series for the difference of log-gammas gives
    m log1p(b - a) + (x - 1/2) log1p(m/x) - m + sum_k B_2k/(2k(2k - 1)) ((x + m)^(1-2k) - x^(1-2k)) (k = 1, 2, 3; x > 4e4,
    so the truncation is below 1e-25), using b (c + 1) = 1 - a + b."""
    b, c, _ = _dit_constants()
    a = DIT.value("beta_start")
    x = float(c + 1) - m
    out = m * math.log1p(float(b - a)) + (x - 0.5) * log1p(m / x) - m
    for k, B in ((1, 1 / 6), (2, -1 / 30), (3, 1 / 42)):
        out = out + B / (2 * k * (2 * k - 1)) * ((x + m) ** (1 - 2 * k) - x ** (1 - 2 * k))
    return out


class dit_log_alpha_bar(sp.Function):
    r"""log alpha_bar at paper time t for DDPM's discrete linear-beta schedule (DiT), exact at the integer steps.

    beta_j = a + b j (j = 0..T-1, a = beta_start, b = (beta_end - a)/(T - 1)), alpha_bar_k = prod_{j<=k} (1 - beta_j)
    = b^{k+1} Gamma(c + 1)/Gamma(c - k), c = (1 - a)/b.  Paper time: t = 1 - (k + 1)/T (the empty product
    alpha_bar_{-1} = 1 is the data at t = 1; k = T - 1 is t = 0), so with m = T (1 - t) = k + 1,

        log alpha_bar(t) = m log b + loggamma(c + 1) - loggamma(c + 1 - m),

    an analytic extension between the steps.  It is a SymPy function (not an expression) so that exp(log alpha_bar)
    never splits its 10^5-sized constants; its derivative is the plain expression -T (log b + digamma(c + 1 - m)).
    Numeric versions: mpmath (loggamma at working precision); NumPy and torch by Stirling's series for the
    difference (:func:`_dit_log_alpha_bar_float`, about 1e-16 relative)."""

    nargs = 1

    def fdiff(self, argindex=1):
        b, c, T = _dit_constants()
        m = T * (1 - self.args[0])
        return -T * (sp.log(b) + sp.polygamma(0, c + 1 - m))

    @staticmethod
    def _imp_(x):
        b, c, T = _dit_constants()
        try:
            import torch

            if isinstance(x, torch.Tensor):
                return _dit_log_alpha_bar_float(T * (1 - x), torch.log1p)
        except ImportError:  # pragma: no cover
            pass
        import mpmath as mp

        if isinstance(x, (mp.mpf, mp.mpc)):
            with mp.extradps(12):   # the two loggamma values (~5e5) cancel to |log alpha_bar| >= 1e-4: 10 digits
                m = T * (1 - x)
                c1 = mp.mpf(int((c + 1).p)) / int((c + 1).q)
                out = m * mp.log(mp.mpf(int(b.p)) / int(b.q)) + mp.loggamma(c1) - mp.loggamma(c1 - m)
            return +out
        import numpy as np

        return _dit_log_alpha_bar_float(T * (1 - np.asarray(x, dtype=float)), np.log1p)

    def paper_form(self) -> sp.Expr:
        """log alpha_bar_t in the paper's symbols, for display (:func:`verify.records.paper_notation`)."""
        x = self.args[0]
        if isinstance(x, sp.Symbol):
            return sp.log(sp.Symbol(f"alphabar_{x.name}", positive=True))
        return sp.log(sp.Function("alphabar", positive=True)(x))

    def _eval_evalf(self, prec):
        import mpmath as mp

        arg = self.args[0].evalf(prec)
        if not arg.is_number:
            return None
        with mp.workprec(prec):
            return sp.Float(self._imp_(mp.mpf(arg)), mp.libmp.prec_to_dps(prec))


@lru_cache(maxsize=None)
def dit_schedule() -> NoiseSchedule:
    """DiT's (DDPM's) discrete linear-beta schedule, VP: alpha^2 = alpha_bar, sigma^2 = 1 - alpha_bar (NumPy and mpmath
    versions; the registry's torch printer does not know :class:`dit_log_alpha_bar`)."""
    from sympy.codegen.cfunctions import expm1

    la = dit_log_alpha_bar(t)
    sch = NoiseSchedule("DiT-linear-beta", (la - sp.log(-expm1(la))) / 2, sp.exp(la / 2), sp.sqrt(-expm1(la)),
                        reference="DDPM linear betas 1e-4..0.02, T = 1000 (facebookresearch/DiT ed81ce2)",
                        description="alpha_bar_k = prod (1 - beta_j), t = 1 - (k + 1)/1000, exact at integer k")
    validate_schedule(sch)
    return sch


def dit_time_of_step(k) -> Any:
    """Paper time of DDPM step k (alpha_bar_k): t = 1 - (k + 1)/T."""
    return 1 - (sp.sympify(k) + 1) / DIT.value("T")


# ------------------------------------------------------------------------------------------------
# Parameterizations (R5: the training time density multiplies S_t^2)
# ------------------------------------------------------------------------------------------------

def time_density_weight(density: sp.Expr) -> dict:
    """The effect of a time density p(t) on (2): the MSE integrand is p(t) S_t^2 ||eps_hat - eps||^2, so S_t^2 -> p S_t^2;
    the Kingma & Gao weight omega = S^2/ring-lambda' is multiplied by the same p."""
    return {"S_squared_factor": density}


def shifted_logit_normal_density(shift) -> sp.Expr:
    """Density in paper t of t = u/(s - (s - 1) u) with logit(u) ~ N(0, 1): logit(t) ~ N(-log s, 1) (R4), i.e.
    phi(logit t + log s)/(t (1 - t))."""
    x = sp.log(t / (1 - t)) + sp.log(shift)
    return sp.exp(-x**2 / 2) / (sp.sqrt(2 * sp.pi) * t * (1 - t))


def _vel_target_weighted(weight) -> Any:
    return lambda sch: Target(sp.diff(sch.alpha, t), sp.diff(sch.sigma, t), weight=weight,
                              description="velocity v = alpha' X + sigma' eps with a time density")


@lru_cache(maxsize=None)
def rae_parameterization(shift_dim: int | None = None) -> Parameterization:
    """RAE: unweighted velocity loss with tau_u ~ logit-normal(0, 1), shifted by s = sqrt(dim/4096) (R4, R5):
    S_t = sqrt(p(t)) |Vel S_t| with p the shifted logit-normal density.  (The truncation tau_u <= 0.999 changes the
    normalisation by a factor 1/P(logit u >= logit 0.001) = 1 + 1e-12, ignored.)"""
    dim = RAE.value("shift_dim_256") if shift_dim is None else shift_dim
    s = sp.sqrt(sp.Rational(dim, 4096))
    dens = shifted_logit_normal_density(s)
    par = Parameterization(f"VelN-shift({sp.sstr(s)})",
                           lambda sch: sch.ring_lam_rate * sch.sigma * sp.sqrt(dens),
                           target=lambda sch: _vel_target_weighted(dens)(sch),
                           reference="RAE (bytetriper/RAE a4d18c4): logit-normal(0,1) on tau, shifted by sqrt(dim/4096)",
                           description=f"Vel with the logit-normal density shifted by s = {sp.sstr(s)}")
    validate_parameterization(par, [LOGIS])
    return par


def target_S(schedule: NoiseSchedule, target: Target) -> sp.Expr:
    """S_t of a training target (section2_denoiser.scale_from_target: S = sqrt(w)(b - a/ring-rho))."""
    return scale_from_target(schedule, target)


def edm_loss_S_squared(schedule: NoiseSchedule, sigma_data) -> sp.Expr:
    """S_t^2 of EDM's loss lambda(sigma) ||D - y||^2 with lambda = (sigma^2 + sigma_data^2)/(sigma sigma_data)^2:
    by (3), D - y = X_hat - X = -ring-rho^-1 (eps_hat - eps), so S^2 = lambda sigma^2 (sigma = ring-rho^-1, VE)."""
    sig = 1 / schedule.ring_rho
    weight = (sig**2 + sigma_data**2) / (sig * sigma_data) ** 2
    return sp.simplify(weight * sig**2)


# ------------------------------------------------------------------------------------------------
# The generators in paper terms (schedule, parameterization, sampler), code side and as the paper prints them
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Generator:
    """A generator in the paper's terms: schedule, parameterization, and its diffusion (a rate lambda'_t, or a
    per-step rule named by ``kind``)."""

    model: str
    schedule: NoiseSchedule
    param: Parameterization
    kind: str            # "flow", "sde" (rate), "churn" (per step), "ancestral" (between ML and prior), "unknown"
    rate: sp.Expr | None = None
    note: str = ""


def code_generator(name: str) -> Generator:
    """The generator the model's public configuration defines, converted by R1-R5."""
    if name == "EDM2":
        return Generator(name, edm2_schedule(), F_PRED, "flow", sp.Integer(0), "deterministic Heun, S_churn = 0")
    if name == "EDM":
        return Generator(name, edm_in64_schedule(), F_PRED, "churn", None,
                         "ImageNet-64 recipe: churn on sigma in [S_min, S_max]; CIFAR/FFHQ/AFHQ recipes deterministic")
    if name == "DiT":
        return Generator(name, dit_schedule(), NOISE, "ancestral", None,
                         "learned variance: eta between the posterior (ML) and the prior")
    if name == "SiT":
        w = SIT.value("w_sigma")
        return Generator(name, LOGIS, VEL, "sde", sde_rate(w, LOGIS.sigma), "CLI default diffusion form 'sigma'")
    if name in ("REPA", "REPA-E"):
        cfg = MODELS[name]
        tau = sp.Symbol("tau", positive=True)
        w = reverse_g2_rule().subs(g2_sym, cfg.value("g2")).subs(tau, 1 - t)
        return Generator(name, LOGIS, VEL, "sde", sde_rate(w, LOGIS.sigma), "g^2 = 2 tau, w = g^2/2")
    if name == "RAE":
        return Generator(name, LOGIS, rae_parameterization(), "flow", sp.Integer(0), "Euler ODE")
    if name == "LightningDiT":
        return Generator(name, LOGIS, VEL_N, "flow", sp.Integer(0), "Euler ODE; logit-normal training (use_lognorm)")
    if name == "SD3":
        return Generator(name, LOGIS, VEL_N, "flow", sp.Integer(0), "FlowMatchEuler, deterministic")
    if name == "SiD2":
        return Generator(name, SECH_INTER, SIGMOID, "unknown", None, "interpolation weight unknown (no code)")
    raise ConfigError(f"no code generator for model {name!r}")


def paper_generator(name: str) -> Generator:
    """The generator as Section 6 (and Figure 1's caption) describes it."""
    ml = lambda sch: sch.ring_lam_rate  # noqa: E731
    if name in ("EDM2", "EDM"):
        return Generator(name, NORMAL, F_PRED, "flow", sp.Integer(0), "Normal, F-pred, generates flows")
    if name == "DiT":
        return Generator(name, LOGIS, NOISE, "sde", ml(LOGIS), "ML(Logis): reversible diffusion from DDPM")
    if name in ("SiT", "REPA", "REPA-E"):
        return Generator(name, LOGIS, VEL, "sde", 1 / (2 * t), "REPA(Logis): lambda' = 1/(2t)")
    if name == "RAE":
        return Generator(name, LOGIS, VEL, "flow", sp.Integer(0), "flow ~ MSE(Logis, Vel)")
    if name in ("LightningDiT", "SD3"):
        return Generator(name, LOGIS, VEL_N, "flow", sp.Integer(0), "Logis, VelLN, flow")
    if name == "SiD2":
        return Generator(name, SECH_INTER, SIGMOID, "sde", ml(SECH_INTER), "approximately reversible (ML)")
    raise ConfigError(f"no paper generator for model {name!r}")


# ------------------------------------------------------------------------------------------------
# Grid formulas (code variables) and their maps into paper time
# ------------------------------------------------------------------------------------------------

i_sym, n_sym = sp.symbols("i N", nonnegative=True)
smin_sym, smax_sym, rho_sym = sp.symbols("sigma_min sigma_max rho", positive=True)


def karras_sigma() -> sp.Expr:
    """EDM/EDM2's sigma grid: sigma_i = (sigma_max^(1/rho) + i/(N - 1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho,
    i = 0..N-1 (then sigma_N = 0)."""
    return (smax_sym ** (1 / rho_sym) + i_sym / (n_sym - 1) * (smin_sym ** (1 / rho_sym) - smax_sym ** (1 / rho_sym))) ** rho_sym


def edm_time_of_log_snr(p_mean, p_std) -> sp.Expr:
    """Paper time of a log-SNR value l for the EDM density: t = Phi((l + P_mean)/P_std) (inverse of edm_schedule)."""
    lv = sp.Symbol("l", real=True)
    return (1 + sp.erf((lv + p_mean) / (p_std * sp.sqrt(2)))) / 2, lv


@lru_cache(maxsize=None)
def conversion_checks() -> dict:
    """Every conversion rule, evaluated: a dict of named SymPy results that must be 0 (gaps) or the stated form."""
    r1 = sde_rate_rule()
    r2 = ancestral_rule()
    r3 = churn_rule()
    r4 = shift_rules()
    tnorm, lv = edm_time_of_log_snr(EDM2.value("P_mean"), EDM2.value("P_std"))
    normal_gap = sp.simplify(NORMAL.ring_lam.subs(t, tnorm) - lv)
    return {
        "R1 rate": r1["rate"], "R1 drift gap": r1["drift_gap"],
        "R1 reverse-time w": reverse_g2_rule(),
        "R2 eta^2 of a Z-space variance v": r2["eta2_of_variance"],
        "R2 posterior minus ML (VP)": r2["posterior_minus_ML_vp"],
        "R2 prior minus posterior (VP)": r2["prior_minus_posterior_vp"],
        "R3 rho_s/rho_t": r3["rho_ratio"], "R3 eta^2": r3["eta2"], "R3 Delta lambda": r3["delta_lambda"],
        "R3 noise gap": r3["noise_gap"],
        "R4 noise-time shift: paper t'": r4["noise_shift_t"], "R4 noise-time shift: l(t') - l(t)": r4["noise_shift_dl"],
        "R4 LightningDiT shift: t'": r4["light_shift_t"], "R4 LightningDiT shift: l(t') - l(t)": r4["light_shift_dl"],
        "EDM2: Normal(t(l)) - l, t = Phi(l - 0.4)": normal_gap,
    }


# ------------------------------------------------------------------------------------------------
# Diffusion sizes on a grid: the Section 5 forms in cancellation-free variables
# ------------------------------------------------------------------------------------------------

#: g = gamma_st - 1 = expm1(2 (ring-lambda_t - ring-lambda_s)) (exact for tiny steps); m = M S_t^2.
g_sym = sp.Symbol("g", positive=True)
dt_sym, rate_sym, integral_sym = sp.symbols("Delta_t lamprime Lambda", positive=True)


@lru_cache(maxsize=None)
def step_size_forms() -> dict:
    """The per-step forms Section 6 needs, each tied to its Section 5 derivation:

    * ``ring_eta``: the ML-diffusion's eta, argmin of w^N (d5.discrete_argmin) = sqrt(1 - 1/gamma), in g;
    * ``check_eta``: the MSE-diffusion's eta (d5.discrete_mse_eta, the larger root of w^N(eta) = M S^2), in g and m;
    * ``M_term``: the maximand of the discrete M, (gamma - 1)/(2 S_t^2) (end of Section 5), in g and S^2;
    * ``eta2_approx``: the paper's approximation eta^2 ~ 2 dt lambda'_t (line 390);
    * ``eta2_exact``: eta^2 = 1 - rho_s^2/rho_t^2 = 1 - exp(-2 Lambda), Lambda = int_s^t lambda' (definition (13)).

    The g-forms are checked against the derivations: ring_eta symbolically, check_eta at 50 digits on random
    points (their difference is returned and must vanish)."""
    import random

    from sympy.codegen.cfunctions import expm1

    from . import section5_coherence as d5

    gam, m = d5.gamma, d5.m_sq
    ml = sp.sqrt(g_sym / (1 + g_sym))
    mse = g_sym / (sp.sqrt(2 * m * (1 + g_sym)) + sp.sqrt(2 * m - g_sym))
    ml_gap = sp.simplify(d5.discrete_argmin()[0].subs(gam, 1 + g_sym) - ml)
    derived = d5.discrete_mse_eta().subs(gam, 1 + g_sym)
    rng = random.Random(6)
    worst = sp.Integer(0)
    for _ in range(12):
        gv = sp.Rational(rng.randint(1, 4000), 1000)
        mv = gv / 2 * (1 + sp.Rational(rng.randint(0, 3000), 1000))   # m >= g/2: the discrete M's constraint
        a, b = sp.N(derived.subs({g_sym: gv, m: mv}), 50), sp.N(mse.subs({g_sym: gv, m: mv}), 50)
        worst = max(worst, abs(a - b) / abs(b))
    if ml_gap != 0 or worst > sp.Float("1e-40"):
        raise ConfigError(f"step size forms disagree with Section 5's derivations (ML gap {ml_gap}, MSE {worst})")
    S2 = sp.Symbol("S2", positive=True)
    return {"ring_eta": ml, "check_eta": mse, "M_term": g_sym / (2 * S2), "S2": S2, "m": m,
            "eta2_approx": 2 * dt_sym * rate_sym, "eta2_exact": -expm1(-2 * integral_sym),
            "check": {"ring_eta vs discrete_argmin (symbolic)": str(ml_gap),
                      "check_eta vs discrete_mse_eta (50 digits, 12 points, max relative)": sp.sstr(sp.N(worst, 3))}}
