r"""Universal diffusion solvers (UDS) in the paper's Y-variables, forward time (Section 3, (10)-(15)).

State: Y_t = X + ring-rho_t^{-1} eps_t ((7)); a denoiser is a callable ``den(y, ring_lam) -> X_hat``
taking the log-SNR ring-lambda_t (scalar tensor).  With r = rho ring-rho, q_st = r_s/r_t and
beta_st = ring-rho_t^{-1} sqrt(1 - rho_s^2/rho_t^2) (from :mod:`numerics.schedule_grid`), (12) reads

    Y_t = q_st Y_s + (1 - q_st) * [ mean of X_hat_r(Y_r) over r in [r_s, r_t] ] + beta_st xi*_s,   (13)

* **Euler (14)**: the mean is X_hat_s(Y_s).
* **Heun (15)**: the mean is (X_hat_s(Y_s) + X_hat_t(Y_t^Euler))/2, Y_t^Euler with the same xi*.
* **Explicit Runge-Kutta (c, A, b) in UDS form**: with h = r_t - r_s, stage nodes r_i = r_s + c_i h,

      Y_i = q_si Y_s + (1 - q_si) sum_j (a_ij/c_i) X_hat_j + (beta_si^2/beta_st)(r_i/r_t) xi*,
      Y_t = q_st Y_s + (1 - q_st) sum_i b_i X_hat_i + beta_st xi*,

  i.e. the tableau applied to d(r Y)/dr = X_hat(Y) (for the flow, rho constant, this is an exact
  reformulation of the probability-flow ODE in the variable r, so classical RK4 has order 4: a
  fourth-order solver of the kind the paper says DPM-solvers lack).  For a diffusion the stage noise
  is the conditional mean of the noise path given xi* (a Brownian bridge in rho^2); at c = 1 it is
  beta_st xi*, so the Heun tableau reproduces (15).
* **Adams-Bashforth k = 2, 3 in UDS form**: the mean over [r_s, r_t] of the polynomial through the past
  denoiser values at r_{n}, r_{n-1}, ... (variable-step weights from the exact Vandermonde moments).
* **Exponential multistep UDS in x = log r** ("ms2", "ms3"; "pc2", "pc3" with a corrector): the mean of (13)
  over r in [r_s, r_t] of the polynomial in log r through past denoiser values, integrated exactly against the
  kernel e^x dx/(r_t - r_s) (weights from :mod:`derivations.uds_multistep`, lambdified); the noise term of (13)
  for diffusions.  One evaluation per step; for the flow "ms2" is DPM-Solver++(2M) with the exact weight
  h/(1 - e^-h) - 1 in place of h/2 (diffusers' ``solver_type="heun"``); the "pc" corrector reuses the fresh
  value X_hat_t(Y_t^pred) as the next step's history (UniPC's trick; UniC-2 has exactly these weights).
* **UniPC** ("unipc", Zhao et al. 2023; bh2, order 2, data prediction, lower-order final step): for the flow, the
  "pc2" step with UniPC's weights in place of the exact ones (predictor slope h/2 as DPM-Solver++(2M); first
  corrector the trapezoid 1/2; later correctors the exact AM3 weights, which UniC-2 equals), derived in
  :func:`derivations.uds_multistep.unipc_bh2_weights`.  It equals diffusers' ``UniPCMultistepScheduler`` to
  round-off (``uds-vs-peers``), so the peer table measures UniPC without the optional extra.
* **DDPM / DDIM** steps in their own alpha/sigma form (z-space, then Y = z/alpha) for equivalence checks.
* **DPM-Solver++(2M)** (Lu et al. 2022, data prediction, multistep), in the paper's variables:
  lambda_DPM = log(alpha/sigma) = ring-lambda, h = ring-lambda_t - ring-lambda_s,
  Y_t = e^{-h} Y_s + (1 - e^{-h}) D,  D = (1 + 1/(2 r_h)) X_hat_s - X_hat_prev/(2 r_h),  r_h = h_prev/h.

Sampling keeps only the current state unless ``return_trajectory=True``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
import torch

from derivations.registry import NoiseSchedule, numeric

from .schedule_grid import ScheduleGrid
from .uds_methods import EULER, GENERIC_RK, HEUN, MIDPOINT, RALSTON, RK3, RK4, Tableau, UDSMethod, get  # noqa: F401

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


# The methods are records in numerics.uds_methods (name, aliases, declared order, weak order, evaluations per step,
# family, tableau, corrector, flow-only, default final step, the claims each joins); sample() dispatches on the
# family.  The tableaus are re-exported here for callers that run "rk" with a tableau of their own.

FINAL_STEP_RATIO = 2.0
"""The order-3 methods' default final step ("auto", see :data:`numerics.uds_methods.METHODS`) is first order where
the last log r step exceeds FINAL_STEP_RATIO times the one before.  Chosen by measurement (FD at NFE 10/20/63/255
on two mixtures, uniform-t and uniform-log-SNR grids; see README "Final step"): the order-2 methods take a
first-order final step always (it keeps their global order 2 and was at least as good in 15 of 16 cells); the
order-3 methods take it only where the last log r step is large ("auto": on a uniform-t Logis grid at 10 and 20
steps, where it cut FD up to 17x; on a uniform log-SNR grid their full-order final step was better)."""


def check_method(method: str) -> str:
    """The canonical (lower-case) method name, or a one-line ValueError listing the valid names (aliases, such as
    "kutta3" for "rk3", are accepted and returned as given)."""
    name = method.lower() if isinstance(method, str) else method
    if name != GENERIC_RK:
        get(name)
    return name


@dataclass
class SampleResult:
    y: torch.Tensor
    nfe: int
    trajectory: list[torch.Tensor] | None = None


# ------------------------------------------------------------------------------------------------
# One step
# ------------------------------------------------------------------------------------------------


def _c(x, like: torch.Tensor):
    return torch.as_tensor(x, device=like.device).to(like.dtype)


# Memory-lean updates (issue 18).  The sampler holds a fixed number of state-sized buffers: every update below
# gives the same bits as the plain expression it replaces (the same elementwise products and sums, in the same
# order up to the commutativity of one IEEE addition), but writes into a buffer the sampler owns and forms the
# temporary c * x one chunk of at most UPDATE_CHUNK elements at a time instead of as a whole state.

#: Elements per chunk of the temporaries of the in-place updates, by device type (CPU: cache-sized; CUDA: large
#: enough that a chunk is not launch-bound, at most 1/100 of a state at the issue's scale).
UPDATE_CHUNK = {"cpu": 1 << 18, "cuda": 1 << 24}


def _update_chunk(t: torch.Tensor) -> int:
    return UPDATE_CHUNK.get(t.device.type, UPDATE_CHUNK["cuda"])


def _add_scaled_(out: torch.Tensor, c, x: torch.Tensor, subtract: bool = False) -> torch.Tensor:
    """out += c * x (or out -= c * x), bit for bit ``out + c * x``, the temporary c * x formed in chunks."""
    if not (out.is_contiguous() and x.is_contiguous() and out.shape == x.shape):
        return out.sub_(c * x) if subtract else out.add_(c * x)
    fo, fx, step = out.view(-1), x.view(-1), _update_chunk(out)
    for a in range(0, fo.numel(), step):
        tmp = c * fx[a:a + step]
        if subtract:
            fo[a:a + step].sub_(tmp)
        else:
            fo[a:a + step].add_(tmp)
    return out


def _shares_memory(a: torch.Tensor, b: torch.Tensor | None) -> bool:
    return b is not None and a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def _euler_over_state(grid: ScheduleGrid, i: int, y: torch.Tensor, x_hat: torch.Tensor, xi: torch.Tensor | None,
                      owned: bool) -> torch.Tensor:
    """:func:`euler_step`'s value, bit for bit, written over ``y`` when the sampler owns it (and the denoiser's
    value and the noise do not share its memory), else into a new tensor."""
    q = _c(grid.q[i], y)
    if owned and not _shares_memory(y, x_hat) and not _shares_memory(y, xi):
        out = y.mul_(q)
    else:
        out = q * y
    _add_scaled_(out, 1 - q, x_hat)
    if xi is not None:
        _add_scaled_(out, _c(grid.beta[i], y), xi)
    return out


def _euler_over_mean(grid: ScheduleGrid, i: int, y: torch.Tensor, mean: torch.Tensor, xi: torch.Tensor | None):
    """:func:`euler_step`'s value, bit for bit, written over ``mean`` (a buffer the sampler owns and no longer
    needs): (1 - q) mean + q y (one IEEE addition, commutative) + beta xi*.  ``y`` is not touched."""
    q = _c(grid.q[i], y)
    out = mean.mul_(1 - q)
    _add_scaled_(out, q, y)
    if xi is not None:
        _add_scaled_(out, _c(grid.beta[i], y), xi)
    return out


def euler_step(grid: ScheduleGrid, i: int, y: torch.Tensor, x_hat: torch.Tensor, xi: torch.Tensor | None):
    """EulerUDS (14): Y_t = q Y_s + (1 - q) X_hat_s + beta xi*."""
    q = _c(grid.q[i], y)
    out = q * y + (1 - q) * x_hat
    if xi is not None:
        out = out + _c(grid.beta[i], y) * xi
    return out


def heun_step(grid: ScheduleGrid, i: int, y: torch.Tensor, den: Denoiser, xi: torch.Tensor | None,
              x_hat_s: torch.Tensor | None = None):
    """HeunUDS (15); returns (Y_t, NFE used)."""
    nfe = 0
    if x_hat_s is None:
        x_hat_s, nfe = den(y, _c(grid.ring_lam[i], y)), 1
    y_euler = _euler_over_state(grid, i, y, x_hat_s, xi, owned=False)
    x_hat_t = den(y_euler, _c(grid.ring_lam[i + 1], y))
    del y_euler  # at most four states at once: y, X_hat_s, Y_t^Euler, X_hat_t (then the mean in place of Y^Euler)
    mean = (x_hat_s + x_hat_t).div_(2)
    del x_hat_s, x_hat_t
    return _euler_over_mean(grid, i, y, mean, xi), nfe + 1


def stage_coefficients(grid: ScheduleGrid, c: float):
    """For a stage node at fraction ``c`` of [r_s, r_t] in every step: (ring-lambda_k, q_sk, noise coefficient),
    each of shape (N,), float64.  Noise coefficient (beta_sk^2/beta_st)(r_k/r_t) (0 for the flow)."""
    key = ("stage", float(c))
    if key not in grid.cache and float(c) == 1.0:  # the node t itself: the grid's own values
        grid.cache[key] = (grid.ring_lam[1:], grid.q, grid.beta.clone())
    if key not in grid.cache:
        log_r_s, log_r_t = grid.log_r[:-1], grid.log_r[1:]
        ring_s = grid.ring_lam[:-1]
        q_true = torch.exp(log_r_s - log_r_t)  # node placement from the grid's r (the update uses q_st)
        log_r_k = log_r_t + torch.log(q_true + c * (1 - q_true))
        lam_at_k, ring_k = grid.lam_ring_at_log_r(log_r_k)  # (lambda, ring-lambda) at the stage node
        rho_ratio = torch.exp(torch.clamp(grid.lam[:-1] - lam_at_k, max=0.0))  # rho_s / rho_k <= 1
        q_sk, beta_sk = grid.coefficients(rho_ratio, torch.exp(ring_s), torch.exp(ring_k))
        if grid.is_flow:
            noise = torch.zeros_like(q_sk)
        else:  # bridge mean of the noise path given xi*: (beta_sk^2/beta_st)(r_k/r_t), r_k/r_t = q_st/q_sk
            noise = beta_sk**2 / grid.beta * (grid.q / q_sk)
        grid.cache[key] = (ring_k, q_sk, noise)
    return grid.cache[key]


def rk_step(grid: ScheduleGrid, i: int, y: torch.Tensor, den: Denoiser, tableau: Tableau,
            xi: torch.Tensor | None):
    """One step of the Runge-Kutta tableau in UDS form (nodes uniform in r on [r_s, r_t])."""
    q_st = _c(grid.q[i], y)
    xs: list[torch.Tensor] = []
    for k, ck in enumerate(tableau.c):
        if ck == 0.0:  # a node at s: the state itself
            y_k, lam_k = y, grid.ring_lam[i]
        else:
            lam_all, q_all, noise_all = stage_coefficients(grid, ck)
            lam_k, q_sk = lam_all[i], _c(q_all[i], y)
            mean = sum(((a / ck) * xs[j] for j, a in enumerate(tableau.a[k]) if a != 0.0),
                       torch.zeros_like(y))
            y_k = q_sk * y + (1 - q_sk) * mean
            if xi is not None:
                y_k = y_k + _c(noise_all[i], y) * xi
        xs.append(den(y_k, _c(lam_k, y)))
    mean = sum((b * xs[k] for k, b in enumerate(tableau.b) if b != 0.0), torch.zeros_like(y))
    out = q_st * y + (1 - q_st) * mean
    if xi is not None:
        out = out + _c(grid.beta[i], y) * xi
    return out, tableau.stages


def adams_weights(nodes_over_rt: Sequence[float], q: float) -> np.ndarray:
    """Weights w_j with sum_j w_j P(r_j) = mean of P over [r_s, r_t] for polynomials of degree < len(nodes).

    ``nodes_over_rt`` are r_j / r_t (newest first, r_0 = r_s), ``q`` = r_s/r_t; in x = (r - r_s)/(r_t - r_s)
    the moments are int_0^1 x^k dx = 1/(k + 1)."""
    x = (np.asarray(nodes_over_rt, dtype=float) - q) / (1 - q)
    k = np.arange(len(x))
    V = x[None, :] ** k[:, None]
    return np.linalg.solve(V, 1.0 / (k + 1))


def ddpm_step_z(z_s, x_hat, alpha_s, sigma_s, alpha_t, sigma_t, noise):
    """DDPM ancestral step (Ho et al. 2020; Kingma et al. 2021 notation) from the noisier s to the cleaner t:
    z_t ~ q(z_t | z_s, x = x_hat) with alpha_{s|t} = alpha_s/alpha_t, sigma_{s|t}^2 = sigma_s^2 - alpha_{s|t}^2 sigma_t^2,
    mean = alpha_{s|t} sigma_t^2/sigma_s^2 z_s + alpha_t sigma_{s|t}^2/sigma_s^2 x_hat, var = sigma_{s|t}^2 sigma_t^2/sigma_s^2."""
    a_st = alpha_s / alpha_t
    var_st = sigma_s**2 - a_st**2 * sigma_t**2
    mean = a_st * sigma_t**2 / sigma_s**2 * z_s + alpha_t * var_st / sigma_s**2 * x_hat
    return mean + torch.sqrt(var_st * sigma_t**2 / sigma_s**2) * noise


def ddim_step_z(z_s, x_hat, alpha_s, sigma_s, alpha_t, sigma_t):
    """DDIM step (Song et al. 2021a, eta = 0): z_t = alpha_t x_hat + sigma_t eps_hat, eps_hat = (z_s - alpha_s x_hat)/sigma_s."""
    eps_hat = (z_s - alpha_s * x_hat) / sigma_s
    return alpha_t * x_hat + sigma_t * eps_hat


def alpha_sigma(schedule: NoiseSchedule, times: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """alpha_t, sigma_t of the schedule at ``times`` (float64)."""
    a = torch.as_tensor(numeric(schedule.alpha, "torch")(times), dtype=torch.float64, device=times.device)
    s = torch.as_tensor(numeric(schedule.sigma, "torch")(times), dtype=torch.float64, device=times.device)
    return a.expand_as(times), s.expand_as(times)


def ddpm_step_y(grid: ScheduleGrid, i: int, y, x_hat, noise):
    """DDPM in z-space (z = alpha Y), then divided by alpha_t."""
    a, s = alpha_sigma(grid.schedule, grid.times[i:i + 2])
    z_t = ddpm_step_z(a[0] * y, x_hat, a[0], s[0], a[1], s[1], noise)
    return z_t / a[1]


def ddim_step_y(grid: ScheduleGrid, i: int, y, x_hat):
    """DDIM in z-space (z = alpha Y), then divided by alpha_t."""
    a, s = alpha_sigma(grid.schedule, grid.times[i:i + 2])
    return ddim_step_z(a[0] * y, x_hat, a[0], s[0], a[1], s[1]) / a[1]


# ------------------------------------------------------------------------------------------------
# Sampling
# ------------------------------------------------------------------------------------------------


# ------------------------------------------------------------------------------------------------
# Exponential multistep UDS in x = log r
# ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _ms_moments(count: int):
    """The lambdified moments m_1..m_count of the (13) kernel (closed form, series; derivations.uds_multistep)."""
    from derivations import uds_multistep as ums

    closed, series = ums.lambdified_moments(count)
    return closed, series, ums.SERIES_BELOW


@lru_cache(maxsize=None)
def _ms_weights(layout: str):
    """The lambdified weights of one layout and its (gaps, moments) arity (derivations.uds_multistep)."""
    from derivations import uds_multistep as ums

    return ums.lambdified_weights(layout), ums.weight_arity(layout)


@lru_cache(maxsize=None)
def _large_step_weights(layout: str):
    """The lambdified large-step weights of one layout (derivations.uds_large_step), same arguments as _ms_weights."""
    from derivations import uds_large_step as uls

    return uls.lambdified_large_step_weights(layout)


@lru_cache(maxsize=None)
def _history_shift() -> float:
    """kappa of the history shift (derivations.uds_large_step.HISTORY_SHIFT)."""
    from derivations import uds_large_step as uls

    return float(uls.HISTORY_SHIFT)


def _shifted_history(fresh: torch.Tensor, y: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """The history value of a history-shifting method: X_hat_t(Y_t^pred) + kappa (Y_t - Y_t^pred), Y_t the corrected
    state; ``y_pred`` is the sampler's own buffer and is overwritten (one new buffer, the shifted value, copied
    before y_pred is: a denoiser may return a view of its input)."""
    out = fresh.clone()
    disp = y_pred.neg_().add_(y)  # Y_t - Y_t^pred, over Y_t^pred
    _add_scaled_(out, _history_shift(), disp)
    return out


@lru_cache(maxsize=None)
def _bh2_weights():
    from derivations import uds_multistep as ums

    return ums.lambdified_bh2_weights()


def kernel_moments(H: float, count: int = 3) -> tuple[float, ...]:
    """m_1, ..., m_count of the kernel of (13) in v = (log r - log r_s)/H (series below H = 1, where the closed
    form cancels digits; the closed form with D = 1 - e^{-H} = -expm1(-H) above)."""
    closed, series, below = _ms_moments(int(count))
    H = float(H)
    if not (H > 0 and math.isfinite(H)):
        raise ValueError(f"a log r step must be positive and finite, got H = {H!r}")
    vals = series(H) if H < below else closed(H, -math.expm1(-H))
    return tuple(float(v) for v in vals)


def multistep_weights(layout: str, x_nodes: Sequence[float], x_s: float, x_t: float, bh2: bool = False,
                      large_step: bool = False) -> np.ndarray:
    """Weights w_j with mean over r in [r_s, r_t] of P = sum_j w_j P(x_j) for the interpolant P in x = log r.

    ``layout``: "AB<k>" (nodes x_s and the past, newest first) or "AM<k>" (x_t first, then x_s and the past), any
    order k (:func:`derivations.uds_multistep.layout_nodes`); ``x_nodes`` are the past log r values (newest first,
    x_nodes[0] = x_s).  ``bh2``: UniPC's weights for the layouts where they differ from the exact ones (AB2, AM2;
    flow only, where the log r step is h).  ``large_step``: the order-preserving large-step weights (top kernel
    moment frozen at its H -> 0 value; :mod:`derivations.uds_large_step`), any rate."""
    H = float(x_t) - float(x_s)
    past = [float(x) for x in x_nodes]
    # gap j: the log r step j + 1 steps back over H (a, b, g2, ...); 1.0 where the layout does not use it
    gaps = [(past[j] - past[j + 1]) / H for j in range(len(past) - 1)]
    if bh2:
        bh2_weights = _bh2_weights()
        if layout in bh2_weights:
            return np.asarray(bh2_weights[layout](gaps[0] if gaps else 1.0, H), dtype=float)
    fn, (n_gaps, n_moments) = _ms_weights(layout)
    gaps = (gaps + [1.0] * n_gaps)[:n_gaps]
    if large_step:
        fn = _large_step_weights(layout)
    return np.asarray(fn(*gaps, *kernel_moments(H, n_moments)), dtype=float)


def _ms_mean(layout: str, hist, x_s, x_t, fresh=None, bh2: bool = False, large_step: bool = False):
    """sum_j w_j X_hat_j for the layout, ``hist`` = [(log r, X_hat), ...] newest first; ``fresh`` = X_hat at t."""
    n_past = int(layout[2:]) - (1 if layout.startswith("AM") else 0)
    past = hist[:n_past]
    w = multistep_weights(layout, [float(x) for x, _ in past], x_s, x_t, bh2=bh2, large_step=large_step)
    vals = ([fresh] if layout.startswith("AM") else []) + [xv for _, xv in past]
    out = float(w[0]) * vals[0]  # the one new buffer; each further term is added in chunks
    for wj, xj in zip(w[1:], vals[1:]):
        _add_scaled_(out, float(wj), xj)
    return out


def _multistep_sample(den, grid, y, order: int, corrector: bool, final_order: int | None, noise_at,
                      traj, startup: str, bh2: bool = False, large_step: bool = False,
                      same_order_corrector: bool = False, history_shift: bool = False):
    """Exponential multistep UDS: one evaluation per step.  Step i uses the predictor of order
    min(order, i + 1) (the start-up raises the order one per step), then, when ``corrector`` (every step) or at
    the first step of "ms" methods (``startup="corrector"``), the corrector of one order more with the fresh
    value X_hat_t = X_hat(Y_t^pred); that fresh value is kept as the next step's history (no re-evaluation).
    The final step is a predictor only (no evaluation after it), of order min(order, final_order).
    ``large_step``: the large-step weights in every layout; ``same_order_corrector``: the corrector keeps the
    predictor's order (AM<k> after AB<k>, at least AM2); ``history_shift``: the kept history value is the fresh value
    moved by kappa (Y_t - Y_t^pred) (:func:`_shifted_history`; one more state while it is formed).

    Memory: the history holds denoiser values only (at most ``order``); each mean is one new buffer that becomes
    the next state in place ( :func:`_euler_over_mean`), and a step without a corrector lets go of the old state
    and of the value leaving the history before it evaluates the denoiser.  The state is never written in place,
    so a denoiser may return a view of its input."""
    n = grid.n_steps
    x = [float(v) for v in grid.log_r]
    cur = den(y, _c(grid.ring_lam[0], y))
    nfe = 1
    hist = [(x[0], cur)]
    del cur
    for i in range(n):
        xi = noise_at(i, y)
        k = min(order, i + 1)
        final = i == n - 1
        if final and final_order is not None:
            k = max(1, min(k, final_order))
        correct = not final and (corrector or (i == 0 and startup == "corrector"))
        y_pred = _euler_over_mean(grid, i, y, _ms_mean(f"AB{k}", hist, x[i], x[i + 1], bh2=bh2, large_step=large_step),
                                  xi)
        if final:
            y = y_pred
        else:
            if not correct:  # neither the old state nor the oldest value is needed again
                y = None
                del hist[order - 1:]
            lam_t = _c(grid.ring_lam[i + 1], y_pred)
            fresh = den(y_pred, lam_t)
            nfe += 1
            if correct:
                if not history_shift:
                    del y_pred
                kc = min(k + 1, len(hist) + 1)  # the corrector: one order more, as far as the history reaches
                if same_order_corrector:
                    kc = max(2, min(kc, k))
                y = _euler_over_mean(grid, i, y, _ms_mean(f"AM{kc}", hist, x[i], x[i + 1], fresh, bh2=bh2,
                                                          large_step=large_step), xi)
                if history_shift:
                    del hist[order - 1:]  # the oldest value is not needed again
                    fresh = _shifted_history(fresh, y, y_pred)
                    del y_pred
            else:
                y = y_pred
                del y_pred
            hist.insert(0, (x[i + 1], fresh))
            del hist[order:], fresh
        if traj is not None:
            traj.append(y.clone())
    return y, nfe


def sample(den: Denoiser, grid: ScheduleGrid, y0: torch.Tensor, method: str = "euler", *,
           generator: torch.Generator | None = None, tableau: Tableau | None = None,
           return_trajectory: bool = False, final_order: int | None | str = "default",
           noise: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
           startup: str = "corrector") -> SampleResult:
    """Run ``method`` from Y_{t0} = ``y0`` over the grid; returns Y_{t_max} (and the trajectory if asked).

    ``method``: a name or alias of :data:`numerics.uds_methods.METHODS` (any case; "kutta3" = "rk3"), dispatched on
    its family, or "rk" with a ``tableau``; an unknown name is a one-line ValueError listing the valid ones.  Diffusion noise xi* is drawn per step from
    ``generator`` (none for the flow), or given by ``noise(i, y) -> xi`` (for exact moment propagation).
    DPM-Solver++(2M), UniPC and DDIM are ODE solvers (flow only).

    ``final_order``: order of the last step of the multistep methods (dpm++2m, ms<k>, pc<k>, unipc): "default" takes
    the record's ``default_final_order`` (chosen by measurement), None keeps the method's order, 1 is a first-order
    final step, "below15" a first-order final step below 15 steps (diffusers' ``lower_order_final``), "auto" a
    first-order final step where the last log r step exceeds :data:`FINAL_STEP_RATIO` times the one before.  ``startup``: "corrector" (default) corrects the first step of ms<k> with the fresh value
    (no extra evaluation), "euler" takes a plain first-order first step (as DPM-Solver++ does)."""
    name = check_method(method)
    rec: UDSMethod | None = None if name == GENERIC_RK else get(name)
    family = "runge-kutta" if rec is None else rec.family
    if rec is not None and family == "runge-kutta":
        tableau = rec.tableau
    if family == "runge-kutta" and tableau is None:
        raise ValueError("method 'rk' needs a tableau")
    if rec is not None and rec.flow_only and not grid.is_flow:
        raise ValueError(f"{name} is a deterministic (flow) solver; use the flow rate")
    if startup not in ("corrector", "euler"):
        raise ValueError(f"startup must be 'corrector' or 'euler', got {startup!r}")
    if final_order == "default":
        final_order = None if rec is None else rec.default_final_order
    if final_order == "below15":  # diffusers' lower_order_final rule: first-order final step below 15 steps
        final_order = 1 if grid.n_steps < 15 else None
    if final_order == "auto":  # first-order final step where the last log r step is much larger than the one before
        lr = grid.log_r
        big = grid.n_steps >= 2 and float(lr[-1] - lr[-2]) > FINAL_STEP_RATIO * float(lr[-2] - lr[-3])
        final_order = 1 if big else None
    if final_order is not None and (not isinstance(final_order, int) or final_order < 1):
        raise ValueError(f"final_order must be None, 'default', 'auto', 'below15' or an integer >= 1, got {final_order!r}")
    stochastic = not grid.is_flow

    def noise_at(i, y):
        if not stochastic:
            return None
        if noise is not None:
            return noise(i, y)
        return torch.randn(y.shape, generator=generator, dtype=y.dtype, device=y.device)

    # Memory (issue 18): y0 is never written; the state is updated in place once the sampler owns it (euler), or
    # each new state is written over a buffer the step made (the other methods); temporaries come in chunks.
    y = y0
    traj = [y.clone()] if return_trajectory else None
    if grid.n_steps == 0:
        return SampleResult(y0.clone(), 0, traj)
    if family == "multistep":
        y, nfe = _multistep_sample(den, grid, y, rec.multistep_order, rec.corrector, final_order, noise_at, traj,
                                   startup, bh2=rec.bh2_weights, large_step=rec.large_step_weights,
                                   same_order_corrector=rec.same_order_corrector, history_shift=rec.history_shift)
        return SampleResult(y, nfe, traj)
    nfe = 0
    n = grid.n_steps
    registered_rk = family == "runge-kutta" and rec is not None
    history: list[tuple[torch.Tensor, torch.Tensor]] = []  # (log r, X_hat), newest first
    h_prev = None
    for i in range(n):
        xi = noise_at(i, y)
        lam_s = _c(grid.ring_lam[i], y)
        if registered_rk and tableau is EULER:  # (14), memory-lean (a record's Euler tableau)
            x_hat = den(y, lam_s)
            y = _euler_over_state(grid, i, y, x_hat, xi, owned=y is not y0)
            del x_hat
            nfe += 1
        elif registered_rk and tableau is HEUN:  # (15), memory-lean (a record's Heun tableau)
            y, k = heun_step(grid, i, y, den, xi)
            nfe += k
        elif family == "runge-kutta":
            y, k = rk_step(grid, i, y, den, tableau, xi)
            nfe += k
        elif name in ("ab2", "ab3"):  # Adams-Bashforth in r, order k = the record's multistep_order
            order = rec.multistep_order
            x_s = den(y, lam_s)
            nfe += 1
            history.insert(0, (grid.log_r[i], x_s))
            del history[order:]
            if order == 3 and i == 0:  # start-up: Heun (local error O(h^3)), reusing X_hat_s
                y, k = heun_step(grid, i, y, den, xi, x_hat_s=x_s)
                nfe += k
            else:
                q_true = float(torch.exp(grid.log_r[i] - grid.log_r[i + 1]))
                nodes = [float(torch.exp(lr - grid.log_r[i + 1])) for lr, _ in history]
                w = adams_weights(nodes, q_true)
                mean = sum((float(wj) * xj for wj, (_, xj) in zip(w, history)), torch.zeros_like(y))
                y = euler_step(grid, i, y, mean, xi)
        elif name == "dpm++2m":
            x_s = den(y, lam_s)
            nfe += 1
            h = grid.ring_lam[i + 1] - grid.ring_lam[i]
            final_low = final_order is not None and final_order < 2 and i == n - 1
            e = torch.exp(-h)
            if h_prev is None or final_low:  # D = X_hat_s, kept as the history: the new state in a new buffer
                y_new = _c(e, y) * y
                _add_scaled_(y_new, _c(-torch.expm1(-h), y), x_s)
            else:  # D, then the new state written over it: (1 - e) D + e y, bit for bit e y + (1 - e) D
                rh = h_prev / h
                D = _c(1 + 1 / (2 * rh), y) * x_s
                _add_scaled_(D, _c(1 / (2 * rh), y), history[0][1], subtract=True)
                y_new = D.mul_(_c(-torch.expm1(-h), y))
                _add_scaled_(y_new, _c(e, y), y)
                del D
            history = [(grid.log_r[i], x_s)]
            del x_s
            y, h_prev = y_new, h
            del y_new
        elif name == "ddpm":
            noise_i = xi if xi is not None else torch.zeros_like(y)
            y = ddpm_step_y(grid, i, y, den(y, lam_s), noise_i)
            nfe += 1
        elif name == "ddim":
            y = ddim_step_y(grid, i, y, den(y, lam_s))
            nfe += 1
        else:  # every native record has a branch above; a new one without one must not return y0 silently
            raise ValueError(f"UDS method {name!r} (family {family!r}) has no implementation in sample()")
        if traj is not None:
            traj.append(y.clone())
    return SampleResult(y, nfe, traj)
