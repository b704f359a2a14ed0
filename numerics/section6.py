r"""Section 6 numerics: the SOTA models' grids in the paper's time, their diffusion sizes, the readings of Figure 1's
"below 1% / 5%" statement, and the Table 1 analog (a Gaussian mixture through EDM2's parameterization).

Every formula comes from :mod:`derivations` (lambdified): the grids from the configurations and conversion rules of
:mod:`derivations.section6_sota`, the per-step sizes from its :func:`~derivations.section6_sota.step_size_forms`
(tied to Section 5's derivations), the MSE-diffusion rate and M from :mod:`derivations.section5_coherence`, the UDS
coefficients and solvers from :mod:`numerics.schedule_grid` and :mod:`numerics.uds`.  float64 throughout; log-SNR
values are carried directly where a grid is defined in sigma (EDM2's last node has 1 - t = 3e-9).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp
import torch

from derivations import REGISTRY, numeric
from derivations import section5_coherence as d5
from derivations import section6_sota as s6
from derivations.builtin import LOGIS
from derivations.registry import DiffusionRate, Interval, NoiseSchedule, Parameterization
from derivations.symbols import t

from . import uds
from .schedule_grid import LambdaIntegral, ScheduleGrid, lambdify_forms, schedule_grid, times_for_ring_lam

#: Paper times at which Section 6's rates and sizes are reported (the step ending nearest each).
GRID_POINTS = (0.1, 0.5, 0.9, 0.96)


class Section6Error(ValueError):
    """Bad input to a Section 6 computation (one line)."""


# ------------------------------------------------------------------------------------------------
# Grids in paper time
# ------------------------------------------------------------------------------------------------


@dataclass
class ModelGrid:
    """A model's generation grid in the paper's time: nodes ``times`` (increasing; the first may have ring-rho = 0,
    the last may be t = 1, the data) with their log-SNR ``ring_lam`` (-inf / +inf there), the schedule and
    parameterization the sizes are computed with, and where the grid comes from."""

    model: str
    variant: str                      # "code" (the public configuration) or "paper" (as Section 6 describes it)
    schedule: NoiseSchedule
    param: Parameterization
    times: np.ndarray
    ring_lam: np.ndarray
    description: str
    sigma_data: float = 1.0
    sigma_data_note: str = "assumed 1 (standardised latents) [unverified]"
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.times = np.asarray(self.times, dtype=float)
        self.ring_lam = np.asarray(self.ring_lam, dtype=float)
        if self.times.shape != self.ring_lam.shape or self.times.ndim != 1 or len(self.times) < 2:
            raise Section6Error(f"{self.model}/{self.variant}: times and ring_lam must be 1-D of equal length >= 2")
        if np.any(np.diff(self.times) <= 0) or np.any(np.diff(self.ring_lam) <= 0):
            raise Section6Error(f"{self.model}/{self.variant}: grid nodes must increase strictly in t and in log-SNR")

    @property
    def n_steps(self) -> int:
        return len(self.times) - 1

    @property
    def regular(self) -> np.ndarray:
        """Steps with a finite positive ring-rho at both ends (the ones Section 5's formulas apply to)."""
        return np.isfinite(self.ring_lam[:-1]) & np.isfinite(self.ring_lam[1:])

    @property
    def ends_at_data(self) -> bool:
        return bool(np.isinf(self.ring_lam[-1]))

    def record(self) -> dict:
        reg = self.regular
        dts = np.diff(self.times)[reg]
        return {"model": self.model, "variant": self.variant, "schedule": self.schedule.name, "param": self.param.name,
                "description": self.description, "nodes": len(self.times), "steps": self.n_steps,
                "regular_steps": int(reg.sum()), "t_first": float(self.times[0]), "t_last": float(self.times[-1]),
                "one_minus_t_last_finite": float(1 - self.times[np.isfinite(self.ring_lam)][-1]),
                "ring_lam_range": [float(np.min(self.ring_lam[np.isfinite(self.ring_lam)])),
                                   float(np.max(self.ring_lam[np.isfinite(self.ring_lam)]))],
                "dt_min": float(dts.min()), "dt_max": float(dts.max()), "dt_max_over_min": float(dts.max() / dts.min()),
                "ends_at_data": self.ends_at_data, "sigma_data": self.sigma_data,
                "sigma_data_note": self.sigma_data_note, **self.extra}


def _f(expr, *args):
    return sp.lambdify(args, expr, modules=["numpy", "scipy"])


def _logis_ring(times: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(times) - np.log1p(-times)


def karras_sigmas(n: int, sigma_min: float, sigma_max: float, rho: float, final_zero: bool = True) -> np.ndarray:
    """EDM/EDM2's sigma grid with ``n`` positive nodes (derivations.section6_sota.karras_sigma), then 0."""
    if n < 2:
        raise Section6Error(f"a Karras grid needs at least 2 positive nodes, got {n}")
    f = _f(s6.karras_sigma(), s6.i_sym, s6.n_sym, s6.smin_sym, s6.smax_sym, s6.rho_sym)
    sig = np.asarray(f(np.arange(n, dtype=float), float(n), float(sigma_min), float(sigma_max), float(rho)), dtype=float)
    return np.append(sig, 0.0) if final_zero else sig


def edm_times(ring_lam: np.ndarray, p_mean, p_std) -> np.ndarray:
    """Paper time of log-SNR values for an EDM-type density (t = Phi((l + P_mean)/P_std)); +inf -> 1."""
    expr, lv = s6.edm_time_of_log_snr(p_mean, p_std)
    f = _f(expr, lv)
    with np.errstate(invalid="ignore"):
        out = np.asarray(f(np.asarray(ring_lam, dtype=float)), dtype=float)
    return np.where(np.isposinf(ring_lam), 1.0, out)


def edm2_grid(n_positive: int | None = None, *, variant: str = "code") -> ModelGrid:
    """EDM2's grid: ``n_positive`` sigma nodes (default num_steps = 32) on the rho = 7 grid, then sigma = 0 (t = 1);
    ring-lambda = -ln sigma exactly (never recomputed from t)."""
    cfg = s6.EDM2
    n = cfg.value("num_steps") if n_positive is None else n_positive
    sig = karras_sigmas(n, cfg.value("sigma_min"), cfg.value("sigma_max"), cfg.value("rho"))
    with np.errstate(divide="ignore"):
        lam = -np.log(sig)
    times = edm_times(lam, cfg.value("P_mean"), cfg.value("P_std"))
    return ModelGrid("EDM2", variant, s6.edm2_schedule(), s6.F_PRED, times, lam,
                     f"Karras rho = 7 sigma grid, {n} positive nodes 80 -> 0.002, then sigma = 0 (t = 1)",
                     sigma_data=float(cfg.value("sigma_data")), sigma_data_note="latents normalised to std 0.5 [code]",
                     extra={"sigmas_first": [float(x) for x in sig[:3]], "sigmas_last": [float(x) for x in sig[-4:]]})


def edm_in64_grid() -> ModelGrid:
    cfg = s6.EDM
    n = cfg.value("in64_num_steps")
    sig = karras_sigmas(n, cfg.value("sigma_min"), cfg.value("sigma_max"), cfg.value("rho"))
    with np.errstate(divide="ignore"):
        lam = -np.log(sig)
    times = edm_times(lam, cfg.value("P_mean"), cfg.value("P_std"))
    return ModelGrid("EDM", "code", s6.edm_in64_schedule(), s6.F_PRED, times, lam,
                     f"EDM ImageNet-64 recipe: {n} positive nodes of the rho = 7 grid, then sigma = 0",
                     sigma_data=float(cfg.value("sigma_data")), sigma_data_note="0.5 [notes]",
                     extra={"sigmas": sig.tolist()})


def dit_grid(*, variant: str = "code") -> ModelGrid:
    """DiT's 250 respaced DDPM steps k_i = round(999 i/249), at paper t = 1 - (k + 1)/1000, then the data (t = 1)."""
    cfg = s6.DIT
    n = cfg.value("respaced_steps")
    T = cfg.value("T")
    stride = (T - 1) / (n - 1)
    k = np.array(sorted({int(round(i * stride)) for i in range(n)}, reverse=True), dtype=float)
    tk = np.asarray([float(s6.dit_time_of_step(int(x))) for x in k])
    times = np.append(tk, 1.0)
    if variant == "paper":  # ML(Logis): the same nodes, the Logis schedule
        return ModelGrid("DiT", "paper", LOGIS, s6.NOISE, times, _logis_ring(times),
                         "the code's 250 nodes with the Logis schedule (the paper's ML(Logis))",
                         extra={"k": k.tolist()})
    sch = s6.dit_schedule()
    lam = np.append(np.asarray(numeric(sch.ring_lam, "numpy")(tk), dtype=float), np.inf)
    return ModelGrid("DiT", "code", sch, s6.NOISE, times, lam,
                     "DDPM respaced k_i = round(999 i/249) (250 steps), t = 1 - (k + 1)/1000, then x0_hat (t = 1)",
                     extra={"k_first": k[:3].tolist(), "k_last": k[-3:].tolist()})


def sit_grid(name: str = "SiT", *, variant: str = "code") -> ModelGrid:
    """SiT/REPA/REPA-E: 250 points on [0, 0.96] (REPA: tau = linspace(1, 0.04, 250), t = 1 - tau), Euler-Maruyama on
    the first 249 intervals, then the mean-only step 0.96 -> 1."""
    cfg = s6.MODELS[name]
    n = cfg.value("num_steps")
    if name == "SiT":
        tt = np.linspace(0.0, 1.0 - float(cfg.value("last_step_size")), n)
    else:
        tt = 1.0 - np.linspace(1.0, float(cfg.value("tau_last")), n)
        tt[0] = 0.0
    times = np.append(tt, 1.0)
    gen = s6.code_generator(name) if variant == "code" else s6.paper_generator(name)
    return ModelGrid(name, variant, LOGIS, s6.VEL, times, _logis_ring(times),
                     f"{n} points on [0, 0.96] (Euler-Maruyama on {n - 1} steps), then a mean-only step to t = 1",
                     extra={"rate": sp.sstr(gen.rate)})


def rae_grid(*, variant: str = "code", n_paper: int = 250) -> ModelGrid:
    """RAE: 50 points u_i = 0.999 i/49, shifted by s = sqrt(48): t_i = u_i/(s - (s - 1) u_i) (R4); no step to t = 1.
    The paper's description: 250 uniform steps on the same [t_0, t_49]."""
    cfg = s6.RAE
    n = cfg.value("num_steps")
    s = math.sqrt(cfg.value("shift_dim_256") / 4096)
    f = _f(s6.shift_rules()["noise_shift_t"], s6.u_sym, s6.shift_s)
    u = np.linspace(0.0, float(cfg.value("truncation")), n)
    tt = np.asarray(f(u, s), dtype=float)
    if variant == "paper":
        tp = np.linspace(0.0, tt[-1], n_paper + 1)
        return ModelGrid("RAE", "paper", LOGIS, s6.VEL, tp, _logis_ring(tp),
                         f"{n_paper} uniform steps on [0, {tt[-1]:.5f}] with Vel (the paper's MSE(Logis, Vel))")
    return ModelGrid("RAE", "code", LOGIS, s6.rae_parameterization(), tt, _logis_ring(tt),
                     f"{n} points (49 Euler steps), u = 0.999 i/49 shifted by s = sqrt(48); no step to t = 1",
                     sigma_data_note="RAE's DINOv2 latent scale unknown; assumed 1 [unverified]",
                     extra={"shift": s})


def lightningdit_grid(*, variant: str = "code", n_paper: int = 250) -> ModelGrid:
    """LightningDiT: 250 points u_i = i/249 shifted by 0.3: t_i = 0.3 u_i/(1 - 0.7 u_i) (R4), reaching t = 1.
    The paper's description: 250 uniform steps on [0, 1]."""
    cfg = s6.LIGHTNINGDIT
    n = cfg.value("num_sampling_steps")
    if variant == "paper":
        tp = np.linspace(0.0, 1.0, n_paper + 1)
        return ModelGrid("LightningDiT", "paper", LOGIS, s6.VEL_N, tp, _logis_ring(tp),
                         f"{n_paper} uniform steps on [0, 1] (Logis, VelLN)")
    f = _f(s6.shift_rules()["light_shift_t"], s6.u_sym, s6.shift_s)
    tt = np.asarray(f(np.linspace(0.0, 1.0, n), float(cfg.value("timestep_shift"))), dtype=float)
    tt[-1] = 1.0
    return ModelGrid("LightningDiT", "code", LOGIS, s6.VEL_N, tt, _logis_ring(tt),
                     f"{n} points (249 Euler steps), u = i/249 shifted by 0.3: t = 0.3 u/(1 - 0.7 u), reaching t = 1",
                     sigma_data_note="VA-VAE latents normalised; scale assumed 1 [unverified]")


def sd3_grid() -> ModelGrid:
    """SD3 (diffusers FlowMatchEuler): u = linspace(1, shift(0.001), 28), sigma = shift(u), then 0; t = 1 - sigma."""
    cfg = s6.SD3
    s = float(cfg.value("shift"))
    f = _f(s6.shift_rules()["noise_shift_t"], s6.u_sym, s6.shift_s)   # paper t of a noise time 1 - u, shifted
    sig_min = 1.0 - float(f(1.0 - float(cfg.value("sigma_min_unshifted")), s))   # shift(0.001): sigma_min already shifted
    u_code = np.linspace(1.0, sig_min, cfg.value("num_steps"))
    tt = np.asarray(f(1.0 - u_code, s), dtype=float)
    tt[0] = 0.0
    times = np.append(tt, 1.0)
    return ModelGrid("SD3", "code", LOGIS, s6.VEL_N, times, _logis_ring(times),
                     "28 points sigma = shift_3(linspace(1, shift_3(0.001), 28)), then sigma = 0",
                     extra={"sigma_min_shifted": sig_min, "last_positive_sigma": float(1 - tt[-1])})


def sid2_grid(n: int | None = None) -> ModelGrid:
    """SiD2 as the paper describes it: 512 uniform steps; end points not fixed by any source: t_i = i/512 (assumed)."""
    n = s6.SID2.value("num_steps") if n is None else n
    tt = np.linspace(0.0, 1.0, n + 1)
    sch = s6.SECH_INTER
    with np.errstate(divide="ignore"):
        lam = np.asarray(numeric(sch.ring_lam, "numpy")(tt[1:-1]), dtype=float)
    lam = np.concatenate([[-np.inf], lam, [np.inf]])
    return ModelGrid("SiD2", "paper", sch, s6.SIGMOID, tt, lam,
                     f"{n} uniform steps on [0, 1] (end points assumed [unverified])")


def model_grids(variant: str) -> list[ModelGrid]:
    """The Figure 1 models' grids: ``variant`` "code" (public configurations) or "paper" (Section 6's description)."""
    if variant == "code":
        return [edm2_grid(), dit_grid(), sit_grid("SiT"), rae_grid(), lightningdit_grid(), sid2_grid()]
    if variant == "paper":
        return [edm2_grid(variant="paper"), dit_grid(variant="paper"), sit_grid("SiT", variant="paper"),
                rae_grid(variant="paper"), lightningdit_grid(variant="paper"), sid2_grid()]
    raise Section6Error(f"unknown grid variant {variant!r}; choose 'code' or 'paper'")


# ------------------------------------------------------------------------------------------------
# Diffusion sizes on a grid
# ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _size_functions():
    f = s6.step_size_forms()
    g, m, S2 = s6.g_sym, f["m"], f["S2"]
    return {"ring_eta": _f(f["ring_eta"], g), "check_eta": _f(f["check_eta"], g, m), "M_term": _f(f["M_term"], g, S2),
            "eta2_approx": _f(f["eta2_approx"], s6.dt_sym, s6.rate_sym),
            "eta2_exact": sp.lambdify(s6.integral_sym, f["eta2_exact"], modules="numpy")}


def _gl_integral_in_log_snr(schedule: NoiseSchedule, ratio_fn: Callable, l_s: np.ndarray, l_t: np.ndarray,
                            order: int = 24) -> np.ndarray:
    """int_s^t lambda' dt = int_{l_s}^{l_t} (lambda'/ring-lambda') d ring-lambda per step, by Gauss-Legendre in u with
    ring-lambda = mid + half sin(pi u/2): the MSE rate has a square-root end-point behaviour where M S^2 = ring-lambda'
    (at the maximiser of (29), often the last node), which this substitution makes smooth; ``ratio_fn(times)`` is
    lambda'/ring-lambda' at the nodes' times."""
    x, w = np.polynomial.legendre.leggauss(order)
    mid, half = (l_s + l_t) / 2, (l_t - l_s) / 2
    nodes = mid[:, None] + half[:, None] * np.sin(np.pi * x / 2)[None, :]
    jac = (np.pi / 2) * np.cos(np.pi * x / 2)
    tt = times_for_ring_lam(schedule, nodes.ravel()).reshape(nodes.shape)
    vals = np.asarray(ratio_fn(tt), dtype=float) * np.ones_like(tt)
    return (vals * (w * jac)[None, :]).sum(1) * half


def mse_rate_functions(schedule: NoiseSchedule, param: Parameterization, interval: Interval):
    """(M of (29), check-lambda'(t), check-lambda'/ring-lambda'(t)) as NumPy functions (derivations.section5_coherence)."""
    M = d5.coherence_constant(schedule, param, interval)
    rate = d5.mse_diffusion_rate(schedule, param, interval)
    return float(M), numeric(rate, "numpy"), numeric(rate / schedule.ring_lam_rate, "numpy")


def step_sizes(grid: ModelGrid) -> dict:
    """Per regular step (finite positive ring-rho at both ends): beta = eta/ring-rho_t of the ML- and MSE-diffusions,

    * ``*_discrete``: Section 5's discrete forms, ring-eta and check-eta with the discrete M (max over the grid's
      regular steps of (gamma - 1)/(2 S_t^2), the formula as printed, whatever the grid's spacing);
    * ``MSE_discrete-dt``: the same with the step length kept in the coherence condition, w^N_i = M dt_i S_i^2 (the
      discrete analogue of (28) with the MSE (27) as a Riemann sum on the grid; on a uniform grid it is the printed
      form with M_printed = M dt);
    * ``*_approx``: the continuous rate with the approximation eta^2 ~ 2 dt lambda'_t (rate at the step's end; MSE
      with M of (29) over [first, last] regular node);
    * ``*_exact``: the continuous rate integrated over the step, eta^2 = 1 - exp(-2 int lambda') (ML: equals the
      discrete ring-eta exactly; MSE: the MSE-diffusion a UDS would run on this grid).

    Also the special steps: from ring-rho = 0 (ML eta = 1, MSE undefined) and to the data (beta = 0)."""
    fn = _size_functions()
    reg = grid.regular
    idx = np.nonzero(reg)[0]
    if len(idx) < 2:
        raise Section6Error(f"{grid.model}/{grid.variant}: fewer than 2 regular steps")
    ls, lt = grid.ring_lam[idx], grid.ring_lam[idx + 1]
    ts, tt = grid.times[idx], grid.times[idx + 1]
    dt = tt - ts
    g = np.expm1(2 * (lt - ls))
    S2 = np.asarray(numeric(grid.param.S(grid.schedule) ** 2, "numpy")(tt), dtype=float) * np.ones_like(tt)
    lp = np.asarray(numeric(grid.schedule.ring_lam_rate, "numpy")(tt), dtype=float) * np.ones_like(tt)
    inv_ring = np.exp(-lt)
    # ML
    eta_ml = fn["ring_eta"](g)
    eta_ml_approx = np.sqrt(fn["eta2_approx"](dt, lp))
    # MSE, discrete: the formula as printed (M over (gamma - 1)/(2 S_t^2), a uniform grid's M absorbs dt), and the
    # step-length-aware reading (coherence per step w^N_i = M dt_i S_i^2: M over (gamma - 1)/(2 dt S_t^2))
    M_terms = fn["M_term"](g, S2)
    M_disc = float(M_terms.max())
    eta_mse = fn["check_eta"](g, np.maximum(M_disc * S2, g / 2))
    M_terms_dt = fn["M_term"](g, S2 * dt)
    M_disc_dt = float(M_terms_dt.max())
    # m >= g/2 holds by the definition of M; np.maximum removes the last-bit rounding at the maximising step
    eta_mse_dt = fn["check_eta"](g, np.maximum(M_disc_dt * S2 * dt, g / 2))
    # MSE, continuous
    # a schedule with a finite log-SNR at t = 0 (DiT's finite DDPM chain) has its first node at t = 0; the registry's
    # Interval needs t0 > 0: the smallest positive float stands for it (the rate is continuous there)
    interval = Interval(max(float(ts[0]), 1e-300), float(tt[-1]))
    M_cont, rate_fn, ratio_fn = mse_rate_functions(grid.schedule, grid.param, interval)
    eta_mse_approx = np.sqrt(fn["eta2_approx"](dt, np.asarray(rate_fn(tt), dtype=float)))
    Lam = _gl_integral_in_log_snr(grid.schedule, ratio_fn, ls, lt)
    eta_mse_exact = np.sqrt(fn["eta2_exact"](Lam))
    out = {"t": tt, "s": ts, "dt": dt, "ring_lam_t": lt, "gamma_minus_1": g, "S2": S2, "ring_lam_rate": lp,
           "eta_ML_discrete": eta_ml, "eta_ML_approx": eta_ml_approx,
           "eta_MSE_discrete": eta_mse, "eta_MSE_discrete-dt": eta_mse_dt, "eta_MSE_approx": eta_mse_approx,
           "eta_MSE_exact": eta_mse_exact,
           "M_discrete": M_disc, "M_discrete_at_t": float(tt[int(np.argmax(M_terms))]),
           "M_discrete_dt": M_disc_dt, "M_discrete_dt_at_t": float(tt[int(np.argmax(M_terms_dt))]),
           "M_continuous": M_cont, "interval": (interval.t0, interval.t_max),
           "steps_from_zero_snr": int(np.sum(np.isneginf(grid.ring_lam[:-1]))),
           "steps_to_data": int(np.sum(np.isposinf(grid.ring_lam[1:])))}
    for key in [k for k in out if k.startswith("eta_")]:
        out["beta_" + key[4:]] = out[key] * inv_ring
    return out


def code_sampler_eta(grid: ModelGrid) -> dict:
    """eta per regular step of the model's own sampler (code side, R1-R3): flows 0; SiT/REPA Euler-Maruyama with w at
    the step start; EDM churn; DiT between the posterior (ML) and the prior variance."""
    name = grid.model
    reg = grid.regular
    idx = np.nonzero(reg)[0]
    ts, tt = grid.times[idx], grid.times[idx + 1]
    gen = s6.code_generator(name)
    if gen.kind == "flow":
        return {"eta": np.zeros(len(idx)), "kind": "flow"}
    if gen.kind == "sde":
        w = gen.rate * gen.schedule.sigma**2            # R1 read backwards: w = lambda' sigma^2
        eta2 = s6.em_step_eta2(w.subs(t, sp.Symbol("s_")), s6.dt_sym, gen.schedule.sigma)
        f = _f(eta2, sp.Symbol("s_"), s6.dt_sym, t)
        return {"eta": np.sqrt(np.asarray(f(ts, tt - ts, tt), dtype=float)), "kind": "Euler-Maruyama, w at the step start"}
    if gen.kind in ("ancestral", "unknown"):   # DiT's learned variance; SiD2's unknown interpolation weight
        rule = s6.ancestral_rule()
        a = numeric(gen.schedule.alpha, "numpy")
        sg = numeric(gen.schedule.sigma, "numpy")
        subs = (s6.a_s, s6.a_t, s6.sig_s, s6.sig_t)
        post = _f(rule["posterior_eta2"], *subs)(a(ts), a(tt), sg(ts), sg(tt))
        prior = _f(rule["prior_eta2"], *subs)(a(ts), a(tt), sg(ts), sg(tt))
        return {"eta": np.sqrt(post), "eta_prior": np.sqrt(prior),
                "kind": "ancestral: posterior (f = 0) .. prior (f = 1)" if gen.kind == "ancestral"
                else "unknown interpolation between the posterior (lower bound) and the prior (upper bound)"}
    if gen.kind == "churn":
        cfg = s6.EDM
        N = cfg.value("in64_num_steps")
        gam_max = min(float(cfg.value("S_churn")) / N, math.sqrt(2) - 1)
        sig_s = np.exp(-grid.ring_lam[idx])
        gam = np.where((sig_s >= float(cfg.value("S_min"))) & (sig_s <= float(cfg.value("S_max"))), gam_max, 0.0)
        rule = s6.churn_rule()
        eta2 = _f(rule["eta2"], s6.gamma_c)(gam)
        dlam = _f(rule["delta_lambda"], s6.gamma_c)(gam)
        return {"eta": np.sqrt(eta2) * float(cfg.value("S_noise")), "gamma": gam, "delta_lambda": dlam,
                "delta_ring_lambda": grid.ring_lam[idx + 1] - grid.ring_lam[idx], "kind": "EDM churn (R3)"}
    raise Section6Error(f"{name}: no sampler rule for generator kind {gen.kind!r}")


def printed_rate_eta(grid: ModelGrid, rate: sp.Expr) -> dict:
    """eta per regular step of a printed rate lambda'_t: with the paper's approximation 2 dt lambda'_t and exactly
    (1 - exp(-2 int lambda'), the integral by SymPy when closed, else Gauss-Legendre)."""
    fn = _size_functions()
    idx = np.nonzero(grid.regular)[0]
    ts, tt = grid.times[idx], grid.times[idx + 1]
    r = numeric(rate, "numpy")
    approx = np.sqrt(fn["eta2_approx"](tt - ts, np.asarray(r(tt), dtype=float) * np.ones_like(tt)))
    anti = sp.integrate(rate, t)
    F = numeric(anti, "numpy")
    Lam = np.asarray(F(tt), dtype=float) - np.asarray(F(ts), dtype=float)
    return {"eta_approx": approx, "eta_exact": np.sqrt(fn["eta2_exact"](Lam))}


def values_at_points(grid: ModelGrid, arrays: dict, points=GRID_POINTS) -> list[dict]:
    """For each point, the regular step whose end is nearest, with ``arrays`` (per regular step) read there."""
    tt = grid.times[1:][grid.regular]
    rows = []
    for p in points:
        j = int(np.argmin(np.abs(tt - p)))
        row = {"t_target": p, "t": float(tt[j]), "step": int(np.nonzero(grid.regular)[0][j])}
        for k, v in arrays.items():
            row[k] = float(np.asarray(v)[j])
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------------------
# Readings of "below 1% in later stages ... EDM2 ... 5% of the image size"
# ------------------------------------------------------------------------------------------------

LATER_STAGES = {
    "t >= 0.5": lambda t, n: t >= 0.5,
    "t >= 0.9": lambda t, n: t >= 0.9,
    "last quarter of the steps": lambda t, n: np.arange(n) >= n - max(1, n // 4),
}
UNITS = ("latent (Y) units", "relative to sigma_data", "eta (fraction of the step's noise)")
METHODS = ("discrete", "discrete-dt", "approx", "exact")
STATISTICS = ("median", "max")
#: "all models": Figure 1's four (its caption names EDM2, RAE, LightningDiT and SiD2), or every Section 6 model with a
#: configuration (adds DiT and SiT/REPA/REPA-E).
MODEL_SETS = {"Figure 1's four (caption)": ("EDM2", "RAE", "LightningDiT", "SiD2"),
              "every model with a configuration": ("EDM2", "DiT", "SiT", "RAE", "LightningDiT", "SiD2")}
ONE_PERCENT, FIVE_PERCENT_BAND = 0.01, (0.04, 0.06)


def reading_values(sizes: dict, grid: ModelGrid, later: str, unit: str, method: str, final_in_M: bool) -> np.ndarray:
    """The MSE-diffusion sizes a reading takes (regular steps in its later stage)."""
    key = f"MSE_{method}"
    if final_in_M and grid.ends_at_data:
        vals = np.zeros_like(sizes["t"])     # M over the step to sigma = 0 is infinite: the MSE-diffusion is the flow
    elif unit.startswith("eta"):
        vals = sizes["eta_" + key]
    else:
        vals = sizes["beta_" + key] / (grid.sigma_data if unit.startswith("relative") else 1.0)
    mask = LATER_STAGES[later](sizes["t"], len(sizes["t"]))
    return np.asarray(vals)[mask]


def evaluate_readings(sizes_by_model: dict, grids_by_model: dict, exception: str = "EDM2") -> list[dict]:
    """Every reading (model set x final step in M x method x unit x later stage x statistic for EDM2): per model the
    (max, median) of its later-stage MSE-diffusion sizes; "below 1%" holds when every model of the set but the
    exception stays below 1% (max over the later stage); "5%" holds when the exception's statistic (median, or max)
    lies in [4%, 6%] (5% to one significant figure, with its rounding band)."""
    rows = []
    per_cache: dict = {}
    for final_in_M in (False, True):
        for method in METHODS:
            for unit in UNITS:
                for later in LATER_STAGES:
                    per = {}
                    for name, sizes in sizes_by_model.items():
                        v = reading_values(sizes, grids_by_model[name], later, unit, method, final_in_M)
                        per[name] = ({"max": float(np.max(v)), "median": float(np.median(v)), "n": int(v.size)}
                                     if v.size else {"max": None, "median": None, "n": 0})
                    per_cache[(final_in_M, method, unit, later)] = per
                    for set_name, members in MODEL_SETS.items():
                        names = [m for m in members if m in per]
                        below = all(per[m]["max"] is not None and per[m]["max"] < ONE_PERCENT
                                    for m in names if m != exception)
                        for stat in STATISTICS:
                            ex = per.get(exception, {}).get(stat)
                            five = ex is not None and FIVE_PERCENT_BAND[0] <= ex <= FIVE_PERCENT_BAND[1]
                            rows.append({"models": set_name, "final_step_in_M": final_in_M, "method": method,
                                         "unit": unit, "later": later, "edm2_statistic": stat,
                                         "per_model": {m: per[m] for m in names},
                                         "below_1pct_except_exception": below, "exception_at_5pct": five,
                                         "both": bool(below and five)})
    return rows


# ------------------------------------------------------------------------------------------------
# Table 1 analog: a Gaussian mixture through EDM2's parameterization
# ------------------------------------------------------------------------------------------------


def table1_mixture(d: int = 64, K: int = 8, *, seed: int = 11, sigma_data: float = 0.5, spread: float = 1.0,
                   scale=(0.15, 0.6)):
    """A K-component mixture in R^d with unequal diagonal covariances, rescaled so that the mean per-coordinate
    variance is sigma_data^2 (EDM2's latents: std 0.5); returns (mixture, separation record)."""
    from .gaussian_mixture import GaussianMixture

    base = GaussianMixture.random(K, d, seed=seed, spread=spread, scale=scale)
    c = sigma_data / math.sqrt(float(torch.diag(base.covariance()).mean()))
    mix = GaussianMixture(base.weights, base.means * c, variances=base.eigvals * c**2)
    mu = mix.means
    dist = torch.cdist(mu, mu) + torch.eye(K, dtype=mu.dtype) * 1e9
    comp_sd = mix.eigvals.sqrt().max(1).values
    sep = {"d": d, "K": K, "seed": seed, "mean_coordinate_std": float(torch.diag(mix.covariance()).mean().sqrt()),
           "min_mean_distance": float(dist.min()), "max_component_std": float(comp_sd.max()),
           "min_distance_over_max_std": float(dist.min() / comp_sd.max()),
           "component_std_range": [float(mix.eigvals.sqrt().min()), float(mix.eigvals.sqrt().max())]}
    return mix, sep


@lru_cache(maxsize=None)
def _edm_precond():
    """EDM's preconditioning (Karras et al. 2022, Table 1): c_skip = sd^2/(sigma^2 + sd^2), c_out = sigma sd/sqrt(...)."""
    sig, sd = sp.symbols("sigma sigma_d", positive=True)
    return (sp.lambdify((sig, sd), sd**2 / (sig**2 + sd**2), "math"),
            sp.lambdify((sig, sd), sig * sd / sp.sqrt(sig**2 + sd**2), "math"))


def precondition_check(mix, sigma_data: float = 0.5, n: int = 256, seed: int = 3) -> dict:
    """EDM2's parameterization with an exact denoiser: the network's target F = (X_hat - c_skip y)/c_out (F-pred of
    Section 2), then D = c_skip y + c_out F, is an identity; its largest deviation on EDM2's sigma range (float64)."""
    c_skip, c_out = _edm_precond()
    g = torch.Generator().manual_seed(seed)
    worst = 0.0
    for sig in (80.0, 2.0, 0.5, 0.05, 0.002):
        y = mix.sample_noisy(n, -math.log(sig), g)
        x_hat = mix.denoise(y, torch.as_tensor(-math.log(sig), dtype=torch.float64))
        cs, co = c_skip(sig, sigma_data), c_out(sig, sigma_data)
        F = (x_hat - cs * y) / co
        worst = max(worst, float(((cs * y + co * F) - x_hat).abs().max() / (1 + x_hat.abs().max())))
    return {"max_relative_deviation": worst, "sigmas": [80.0, 2.0, 0.5, 0.05, 0.002]}


def edm2_denoiser(mix):
    """D(y; ring-lambda) = E[X | Y = y]: the exact mixture denoiser, in the mixture's dtype (float32: the precision a
    network runs in; the sampler's state stays float64).  EDM2's preconditioning around it is an identity for an exact
    denoiser (:func:`precondition_check`); the parameterization enters through S_t (the MSE rate's M) and the grid."""
    calls = {"n": 0}

    def den(y, ring_lam):
        calls["n"] += 1
        x_hat = mix.denoise(y.to(mix.dtype), torch.as_tensor(float(ring_lam), dtype=mix.dtype))
        return x_hat.to(y.dtype)

    den.calls = calls
    return den


def heun_edm2(den, sigmas: np.ndarray, y0: torch.Tensor) -> tuple[torch.Tensor, int]:
    """EDM2's deterministic sampler (generate_images.py: Heun, S_churn = 0) on the sigma grid ``sigmas`` (ending in 0):
    d = (x - D(x; sigma))/sigma, Euler step, and the trapezoidal correction unless sigma_next = 0."""
    x, nfe = y0.clone(), 0
    for i in range(len(sigmas) - 1):
        s, sn = float(sigmas[i]), float(sigmas[i + 1])
        d_cur = (x - den(x, -math.log(s))) / s
        nfe += 1
        x_next = x + (sn - s) * d_cur
        if sn > 0:
            d_prime = (x_next - den(x_next, -math.log(sn))) / sn
            nfe += 1
            x_next = x + (sn - s) * (d_cur + d_prime) / 2
        x = x_next
    return x, nfe


def _grid_from_lambda(schedule, rate: DiffusionRate, param, interval, times, ring, lam, route: LambdaIntegral,
                      forms=None) -> ScheduleGrid:
    """A ScheduleGrid with given lambda values (schedule_grid's structure and the (13) forms; lambda supplied)."""
    times_t = torch.as_tensor(times, dtype=torch.float64)
    ring_t = torch.as_tensor(ring, dtype=torch.float64)
    lam_t = torch.as_tensor(lam, dtype=torch.float64)
    rho_ratio = torch.exp(-(lam_t[1:] - lam_t[:-1]))
    ring_rho = torch.exp(ring_t)
    q_fn, beta_fn = lambdify_forms(forms)
    q = q_fn(rho_ratio, ring_rho[:-1], ring_rho[1:])
    beta = beta_fn(rho_ratio, ring_rho[:-1], ring_rho[1:])
    return ScheduleGrid(schedule, rate, interval, times_t, ring_t, ring_rho, lam_t, lam_t + ring_t, rho_ratio, q, beta,
                        route, q_fn, beta_fn)


def table1_nodes(kind: str, n_positive: int) -> tuple[np.ndarray, np.ndarray]:
    """Positive nodes (times, ring-lambda) of a Table 1 grid with ``n_positive`` nodes (then the final step to t = 1):

    * "edm2": EDM2's sigma grid, mapped exactly (ring-lambda = -ln sigma, t = Phi(ring-lambda - 0.4));
    * "uniform": uniform in t between EDM2's end points t(sigma_max), t(sigma_min);
    * "edm2-float32": EDM2's grid through a float32 paper time (t rounded to float32, ring-lambda recomputed from
      it; nodes that round to t = 1 merge into the final step) -- a hypothesis about an implementation in paper time."""
    g = edm2_grid(n_positive)
    times, ring = g.times[:-1], g.ring_lam[:-1]
    sch = s6.edm2_schedule()
    if kind == "edm2":
        return times, ring
    if kind == "uniform":
        tu = np.linspace(times[0], times[-1], n_positive)
        lu = np.asarray(numeric(sch.ring_lam, "numpy")(tu), dtype=float)
        lu[0], lu[-1] = ring[0], ring[-1]
        return tu, lu
    if kind == "edm2-float32":
        t32 = times.astype(np.float32).astype(np.float64)
        keep = t32 < 1.0
        t32 = t32[keep]
        return t32, np.asarray(numeric(sch.ring_lam, "numpy")(t32), dtype=float)
    raise Section6Error(f"unknown Table 1 grid {kind!r}; choose 'edm2', 'uniform' or 'edm2-float32'")


class Table1Setup:
    """EDM2's environment in the paper's terms: Normal schedule, F-pred, M of (29) over EDM2's [t(sigma_max),
    t(sigma_min)], and the UDS grids for the flow, MSE and ML rates (lambda for MSE by Gauss-Legendre in log-SNR)."""

    def __init__(self):
        self.schedule = s6.edm2_schedule()
        self.param = s6.F_PRED
        g = edm2_grid()
        self.interval = Interval(float(g.times[0]), float(g.times[-2]))
        self.M, self.rate_fn, self.ratio_fn = mse_rate_functions(self.schedule, self.param, self.interval)
        self.rates = {"Flow": REGISTRY.rate("flow"), "ML": REGISTRY.rate("ML"), "MSE": REGISTRY.rate("MSE")}
        self._grids: dict = {}
        self.discrete_M: dict = {}

    def grid(self, rate: str, kind: str, n_positive: int) -> ScheduleGrid:
        key = (rate, kind, n_positive)
        if key not in self._grids:
            times, ring = table1_nodes(kind, n_positive)
            iv = Interval(float(min(times[0], self.interval.t0)), float(max(times[-1], self.interval.t_max)))
            if rate == "MSE-discrete":   # Section 5's check-eta with the discrete M as printed, on these nodes
                fn = _size_functions()
                g = np.expm1(2 * np.diff(ring))
                S2 = np.asarray(numeric(self.param.S(self.schedule) ** 2, "numpy")(times[1:]), dtype=float)
                M = float(fn["M_term"](g, S2).max())
                eta = fn["check_eta"](g, np.maximum(M * S2, g / 2))
                lam = np.concatenate([[0.0], np.cumsum(-0.5 * np.log1p(-eta**2))])   # rho_s/rho_t = sqrt(1 - eta^2)
                route = LambdaIntegral("quad", why=f"Section 5's discrete check-eta with M = max (gamma - 1)/(2 S^2) = "
                                                   f"{M:.4g} on these nodes: lambda increments -log(1 - eta^2)/2")
                self._grids[key] = _grid_from_lambda(self.schedule, self.rates["MSE"], self.param, iv, times, ring, lam,
                                                     route)
                self.discrete_M[(kind, n_positive)] = M
            elif rate == "MSE":
                Lam = _gl_integral_in_log_snr(self.schedule, self.ratio_fn, ring[:-1], ring[1:])
                lam = np.concatenate([[0.0], np.cumsum(Lam)])
                route = LambdaIntegral("quad", why="Gauss-Legendre (24 nodes, sine-mapped) in the log-SNR per step of "
                                                   "check-lambda'/ring-lambda' (numerics.section6), M of (29) over "
                                                   "EDM2's interval")
                self._grids[key] = _grid_from_lambda(self.schedule, self.rates["MSE"], self.param, iv, times, ring, lam,
                                                     route)
            else:
                self._grids[key] = schedule_grid(self.schedule, self.rates[rate], self.param, iv, times=times,
                                                 ring_lam=ring)
        return self._grids[key]


def uds_with_final_step(den, grid: ScheduleGrid, y0: torch.Tensor, method: str, generator) -> tuple[torch.Tensor, int]:
    """UDS (14)/(15) over the positive nodes, then the final step to t = 1 (sigma = 0): q = 0, beta = 0, Y = X_hat.
    The diffusion noise xi* is drawn in float32 from ``generator`` (half the cost of float64 draws) and used in float64
    (through uds.sample's ``noise`` hook)."""
    def noise(i, y):
        return torch.randn(y.shape, generator=generator, dtype=torch.float32).to(y.dtype)

    res = uds.sample(den, grid, y0, method, generator=generator, noise=noise)
    y = den(res.y, grid.ring_lam[-1])
    return y, res.nfe + 1


#: (label, sampler, rate, grid kind) of the Table 1 analog; n_positive per NFE from :func:`positive_nodes`.
TABLE1_ROWS = tuple(
    [("HeunEDM2", "heun-edm2", "Flow", "edm2")]
    + [(f"{s}UDS {r} ({g})", s.lower(), r, g) for g in ("edm2", "uniform") for s in ("Heun", "Euler")
       for r in ("Flow", "MSE", "ML")]
    + [("HeunUDS Flow (edm2-float32)", "heun", "Flow", "edm2-float32")]
    + [(f"{s}UDS MSE-discrete (edm2)", s.lower(), "MSE-discrete", "edm2") for s in ("Heun", "Euler")])
TABLE1_NFE = (63, 255)


def positive_nodes(sampler: str, nfe: int) -> int:
    """Positive grid nodes for ``nfe`` evaluations with the final Euler step to sigma = 0: Heun 2 (n - 1) + 1,
    Euler (n - 1) + 1."""
    if sampler in ("heun", "heun-edm2"):
        if (nfe - 1) % 2:
            raise Section6Error(f"Heun with a final Euler step needs an odd NFE, got {nfe}")
        return (nfe - 1) // 2 + 1
    return nfe


def table1_runs(n_samples: int, seeds, *, d: int = 64, K: int = 8, rows=TABLE1_ROWS, nfes=TABLE1_NFE,
                floor_replicates: int = 10, fd: Callable, mixture_seed: int = 11, log=None,
                denoiser_dtype=torch.float32) -> dict:
    """FD (``fd(samples, mean, cov)``, against the mixture's exact moments) of every row x NFE for each seed (the same
    initial noise sigma_max n and the same noise generator across rows within a seed), and the sampling-noise floor:
    FD of exact sample sets of the same size, ``floor_replicates`` of them, drawn in the same run."""
    mix, sep = table1_mixture(d, K, seed=mixture_seed)
    mu, C = mix.mean(), mix.covariance()
    setup = Table1Setup()
    den = edm2_denoiser(mix.to(dtype=torch.float32) if denoiser_dtype == torch.float32 else mix)
    precond = precondition_check(mix)
    sig_max = float(s6.EDM2.value("sigma_max"))
    results: dict = {}
    timing: dict = {}
    nfe_used: dict = {}
    for seed in seeds:
        y0 = sig_max * torch.randn(n_samples, d, generator=torch.Generator().manual_seed(1000 + seed), dtype=torch.float64)
        for label, sampler, rate, kind in rows:
            for nfe in nfes:
                n_pos = positive_nodes(sampler, nfe)
                t0 = time.perf_counter()
                gen = torch.Generator().manual_seed(2000 + seed)
                if sampler == "heun-edm2":
                    sig = karras_sigmas(n_pos, s6.EDM2.value("sigma_min"), sig_max, s6.EDM2.value("rho"))
                    y, used = heun_edm2(den, sig, y0)
                else:
                    y, used = uds_with_final_step(den, setup.grid(rate, kind, n_pos), y0, sampler, gen)
                val = fd(y, mu, C) if bool(torch.isfinite(y).all()) else float("nan")
                results.setdefault((label, nfe), []).append(val)
                timing[(label, nfe)] = timing.get((label, nfe), 0.0) + time.perf_counter() - t0
                nfe_used[(label, nfe)] = used
        if log:
            log(f"table1 seed {seed} done")
    g = torch.Generator().manual_seed(99)
    floor = [fd(mix.sample(n_samples, g), mu, C) for _ in range(floor_replicates)]
    return {"results": results, "floor": floor, "timing": timing, "nfe_used": nfe_used, "mixture": sep,
            "M": setup.M, "discrete_M": {f"{k[0]} grid, {k[1]} nodes": v for k, v in setup.discrete_M.items()}, "interval": (setup.interval.t0, setup.interval.t_max), "n_samples": n_samples,
            "seeds": list(seeds), "denoiser_calls": den.calls["n"], "preconditioning_check": precond,
            "denoiser_dtype": str(denoiser_dtype).replace("torch.", "")}


def _stats(vals) -> dict:
    v = np.asarray(vals, dtype=float)
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0, "n": int(v.size)}


#: Student t quantile t_{0.975} for 4 degrees of freedom (5 seeds): the paired comparisons' two-sided 95% level.
T975 = {2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def compare_pair(a, b, margin: float) -> dict:
    """Paired comparison of two rows over the same seeds (a - b per seed): the mean difference, its standard error and
    95% interval (Student t).  ``significant``: the interval excludes 0; ``within_margin``: the whole interval lies
    within +-margin.  Verdict: "worse"/"better" when significant (the sign of the mean), else "equivalent" when within
    the margin, else "inconclusive"."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = a - b
    n = diff.size
    if n < 2 or not np.all(np.isfinite(diff)):
        return {"mean_diff": float("nan"), "verdict": "inconclusive", "why": "fewer than 2 finite pairs",
                "significant": False, "within_margin": False, "margin": margin}
    m, se = float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(n))
    half = T975.get(n - 1, 2.0) * se
    sig = abs(m) > half
    within = abs(m) + half <= margin
    v = ("worse" if m > 0 else "better") if sig else ("equivalent" if within else "inconclusive")
    return {"mean_diff": m, "se": se, "ci95_half": half, "margin": margin, "significant": bool(sig),
            "within_margin": bool(within), "verdict": v}


def as_printed(cmp: dict, wanted: str) -> str:
    """How a measured comparison stands to the printed one.  Wanted "equivalent" (the print's '~'): "as printed" when
    the 95% interval lies within +-margin, "differs beyond the margin" when significant and larger, else "unresolved".
    Wanted "worse" ("better"): "as printed" when significant with that sign, "opposite" when significant with the
    other, "equivalent within the margin" when the interval lies within +-margin, else "unresolved"."""
    if wanted == "equivalent":
        if cmp["within_margin"]:
            return "as printed"
        return "differs beyond the margin" if cmp["significant"] and abs(cmp["mean_diff"]) > cmp["margin"] \
            else "unresolved"
    sign = 1 if wanted == "worse" else -1
    if cmp["significant"]:
        return "as printed" if sign * cmp["mean_diff"] > 0 else "opposite"
    return "equivalent within the margin" if cmp["within_margin"] else "unresolved"


#: Table 1's comparisons, one per cell pair: (statement, label, analog row a, analog row b, printed column a, printed
#: column b); the analog rows take the grid ("edm2" is the paper's setting).  The wanted verdict of a cell is read off
#: the printed table (:func:`printed_cells`).
CELLS = (
    ("S1 Flow ~ MSE", "HeunUDS MSE vs Flow", "HeunUDS MSE ({g})", "HeunUDS Flow ({g})", "HeunUDS MSE", "HeunUDS Flow"),
    ("S1 Flow ~ MSE", "EulerUDS MSE vs Flow", "EulerUDS MSE ({g})", "EulerUDS Flow ({g})", "EulerUDS MSE", "EulerUDS Flow"),
    ("S2 ML worse", "HeunUDS ML vs Flow", "HeunUDS ML ({g})", "HeunUDS Flow ({g})", "HeunUDS ML", "HeunUDS Flow"),
    ("S2 ML worse", "EulerUDS ML vs Flow", "EulerUDS ML ({g})", "EulerUDS Flow ({g})", "EulerUDS ML", "EulerUDS Flow"),
    ("S3 Heun beats Euler", "EulerUDS vs HeunUDS, Flow", "EulerUDS Flow ({g})", "HeunUDS Flow ({g})", "EulerUDS Flow",
     "HeunUDS Flow"),
    ("S3 Heun beats Euler", "EulerUDS vs HeunUDS, MSE", "EulerUDS MSE ({g})", "HeunUDS MSE ({g})", "EulerUDS MSE",
     "HeunUDS MSE"),
    ("S3 Heun beats Euler", "EulerUDS vs HeunUDS, ML", "EulerUDS ML ({g})", "HeunUDS ML ({g})", "EulerUDS ML", "HeunUDS ML"),
    ("S4 HeunUDS Flow vs HeunEDM2", "HeunUDS Flow vs HeunEDM2", "HeunUDS Flow ({g})", "HeunEDM2", "HeunUDS Flow",
     "HeunEDM2 Flow"),
)
STATEMENTS = tuple(dict.fromkeys(c[0] for c in CELLS))
#: Printed FID differences at most this are read as "~" (the printed Flow-MSE gaps are 0.00-0.03; no spread is printed).
PRINTED_TOL = 0.05


def printed_cells(table: dict) -> dict:
    """The wanted verdict of every cell, read off the printed Table 1 (``table[nfe][column]`` = FID): "worse" when
    column a - column b > PRINTED_TOL, "better" when < -PRINTED_TOL, else "equivalent"."""
    out = {}
    for nfe, r in table.items():
        for st, label, _, _, ca, cb in CELLS:
            d = r[ca] - r[cb]
            out[(label, nfe)] = {"statement": st, "printed_diff": d,
                                 "wanted": "worse" if d > PRINTED_TOL else "better" if d < -PRINTED_TOL else "equivalent"}
    return out


#: Cell outcomes that contradict the printed comparison: the analog resolves the opposite sign, or a difference
#: beyond the margin where the print has "~".
CONTRADICTING_OUTCOMES = ("opposite", "differs beyond the margin")
#: Cell outcomes the run's precision cannot decide: the paired interval straddles 0 and is wider than the margin
#: ("unresolved"), or the whole interval lies within the FD evaluation's resolution where the print has a difference
#: ("equivalent within the margin": a difference below what this FD evaluation can see, not evidence against one).
UNRESOLVED_OUTCOMES = ("unresolved", "equivalent within the margin")


def decide(outcomes) -> str:
    """A statement's decision from its cells' outcomes: "contradicted" when any cell contradicts the print, else
    "unresolved" when any cell is undecided at this precision, else "reproduced"."""
    outcomes = list(outcomes)
    if any(o in CONTRADICTING_OUTCOMES for o in outcomes):
        return "contradicted"
    if any(o in UNRESOLVED_OUTCOMES for o in outcomes):
        return "unresolved"
    if all(o == "as printed" for o in outcomes):
        return "reproduced"
    raise ValueError(f"unknown cell outcome among {outcomes}")


def precision_needed(cmp: dict, n_seeds: int) -> str:
    """What would decide an unresolved cell: a paired 95% half-width below |mean difference| (the sign resolved),
    with the number of seeds that would give it at the same samples per run (the half-width falls as 1/sqrt(seeds))."""
    m, half = abs(cmp.get("mean_diff", float("nan"))), cmp.get("ci95_half", float("nan"))
    if not (np.isfinite(m) and np.isfinite(half)) or m == 0:
        return "no finite difference measured: more seeds or samples per run, by an unknown factor"
    seeds = int(math.ceil(n_seeds * (half / m) ** 2)) if half > m else n_seeds
    return (f"a 95% half-width below |mean difference| = {m:.2e} (now {half:.2e}, margin {cmp['margin']:.2e}): about "
            f"{seeds} seeds at this sample size (the paired half-width falls as 1/sqrt(seeds))")


def judge_table1(results: dict, floor, printed: dict, n_seeds: int | None = None) -> dict:
    """Each comparison the printed Table 1 makes (``printed`` = :func:`printed_cells`), measured on the analog:
    a paired comparison (:func:`compare_pair`) of the two rows over the same seeds, with the margin
    2 sd_floor/sqrt(n_seeds) (twice the floor's spread of a mean of n_seeds FD values: a difference an FD evaluation of
    this size cannot see) for the "~" cells, and the paired 95% interval for the directional ones (:func:`as_printed`).
    On EDM2's grid (the paper's setting) a statement (S1 Flow ~ MSE, S2 ML worse, S3 Heun beats Euler, S4 HeunUDS Flow
    vs HeunEDM2) is reproduced when all its cells are as printed; its status names the other cells' outcomes.  Reported besides: the same cells on the uniform grid (robustness), and S5, "likely due to
    the choice of the EDM2 non-uniform time grid": HeunUDS Flow on EDM2's grid mapped exactly, on the float32-mapped
    grid and on the uniform grid, against HeunEDM2 (the grid cannot explain a gap that the exact mapping leaves)."""
    fl = np.asarray(floor, dtype=float)
    n = n_seeds or len(next(iter(results.values())))
    margin = 2 * float(fl.std(ddof=1)) / math.sqrt(n)
    out: dict = {"margin": margin, "floor": _stats(fl),
                 "rows": {f"{k[0]} @ {k[1]}": _stats(v) for k, v in results.items()}}
    statements: dict = {st: {"reproduced": True, "cells": {}} for st in STATEMENTS}
    robustness: dict = {}
    for (label, nfe), want in printed.items():
        cell = next(c for c in CELLS if c[1] == label)
        for grid in ("edm2", "uniform"):
            a, b = cell[2].format(g=grid), cell[3].format(g=grid)
            if (a, nfe) not in results or (b, nfe) not in results or (grid == "uniform" and a == b):
                continue
            cmp = compare_pair(results[(a, nfe)], results[(b, nfe)], margin)
            cmp.update(wanted=want["wanted"], printed_diff=want["printed_diff"], outcome=as_printed(cmp, want["wanted"]))
            if grid == "edm2":
                st = statements[want["statement"]]
                st["cells"][f"{label} @ {nfe}"] = cmp
                st["reproduced"] &= cmp["outcome"] == "as printed"
            else:
                robustness[f"{label} (uniform grid) @ {nfe}"] = cmp
    s5 = {}
    for nfe in sorted({k[1] for k in results}):
        for grid in ("edm2", "edm2-float32", "uniform"):
            a = f"HeunUDS Flow ({grid})"
            if (a, nfe) in results and ("HeunEDM2", nfe) in results:
                s5[f"HeunUDS Flow ({grid}) vs HeunEDM2 @ {nfe}"] = compare_pair(results[(a, nfe)],
                                                                                results[("HeunEDM2", nfe)], margin)
    for v in statements.values():
        outcomes = [c["outcome"] for c in v["cells"].values()]
        v["decision"] = decide(outcomes)
        v["status"] = v["decision"] if v["reproduced"] else f"{v['decision']}: " + ", ".join(
            f"{outcomes.count(o)} cell(s) {o}" for o in dict.fromkeys(outcomes) if o != "as printed")
        for c in v["cells"].values():
            if c["outcome"] in UNRESOLVED_OUTCOMES:
                c["precision needed"] = precision_needed(c, n)
    out["statements"] = statements
    out["reproduced"] = {st: v["reproduced"] for st, v in statements.items()}
    out["decision"] = {st: v["decision"] for st, v in statements.items()}
    out["status"] = {st: v["status"] for st, v in statements.items()}
    out["robustness_uniform_grid"] = robustness
    discrete = {}
    for nfe in sorted({k[1] for k in results}):
        for smp in ("Heun", "Euler"):
            a, b = f"{smp}UDS MSE-discrete (edm2)", f"{smp}UDS Flow (edm2)"
            if (a, nfe) in results and (b, nfe) in results:
                discrete[f"{a} vs Flow @ {nfe}"] = compare_pair(results[(a, nfe)], results[(b, nfe)], margin)
    out["MSE with Section 5's discrete M vs Flow"] = discrete
    gap = [c for k, c in s5.items() if k.startswith("HeunUDS Flow (edm2) ")]
    out["S5 grid"] = {"cells": s5, "HeunUDS Flow on EDM2's exactly mapped grid is not worse than HeunEDM2":
                      bool(gap) and all(c["verdict"] != "worse" for c in gap)}
    return out
