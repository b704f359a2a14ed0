"""Measured orders of the UDS methods (one module for ``uds-orders``, ``uds-weak-order`` and ``uds-vs-peers``).

* :func:`flow_orders`: global error at t_max against the exact flow map of Gaussian data (:func:`exact_gaussian_flow`)
  on a ladder of N, the last-pair and least-squares orders; optionally the ladder is doubled until the last-pair
  order reaches the method's declared order (:data:`numerics.uds_methods.METHODS`).
* Weak orders for the diffusions by exact moment propagation (the denoiser of one-component data is affine, so
  the run is affine in the start and the noise): :func:`weak_errors` step by step for the one-step (Runge-Kutta)
  methods, from the solver's own step functions; :func:`weak_orders` for any method, from whole runs of the
  sampler (:func:`variance_after`).

The data: :func:`order_data`, N(m, diag(0.25, 1, 4)), m = (0.5, -1, 2).  ``progress`` (optional) is called with a
short text at the top of each per-schedule loop (the ledger's ``step``: a time-out names the entry).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from derivations import REGISTRY
from derivations.registry import Interval

from . import uds
from .gaussian_mixture import GaussianMixture
from .schedule_grid import lambda_integral, schedule_grid
from .uds_methods import EULER, HEUN, get

#: Errors below this are rounding-dominated in float64: a ladder stops extending there.
ORDER_ERROR_FLOOR = 1e-12
#: A ladder extends while its last-pair order is farther than this from the declared order.
ORDER_TOL = 0.1


def order_data() -> GaussianMixture:
    """One-component Gaussian data N(m, diag(0.25, 1, 4)), m = (0.5, -1, 2): exact flow map and exact moments."""
    return GaussianMixture([1.0], [[0.5, -1.0, 2.0]], variances=[[0.25, 1.0, 4.0]])


def exact_gaussian_flow(mix: GaussianMixture, y_s: torch.Tensor, lam_s, lam_t) -> torch.Tensor:
    """The exact flow map s -> t for one-component (Gaussian, diagonal) data, in Y-space."""
    m, v = mix.means[0], mix.eigvals[0]
    vs = v + torch.exp(-2 * torch.as_tensor(lam_s, dtype=v.dtype))
    vt = v + torch.exp(-2 * torch.as_tensor(lam_t, dtype=v.dtype))
    return m + torch.sqrt(vt / vs) * (y_s - m)


def _orders(Ns, errs) -> tuple[float, float]:
    """(last-pair order, least-squares slope) of errors on the ladder Ns; nan unless every error is finite and > 0."""
    if not all(math.isfinite(e) and e > 0 for e in errs):
        return float("nan"), float("nan")
    last = math.log(errs[-2] / errs[-1]) / math.log(Ns[-1] / Ns[-2])
    return last, float(-np.polyfit(np.log(Ns), np.log(errs), 1)[0])


def _declared(method: str) -> int | None:
    try:
        return get(method).order
    except ValueError:  # a sampler's own name (tests pass broken samplers): no declared order, no extension
        return None


def flow_orders(forms, *, methods, schedules=("Logis", "Sech"), ladder=(32, 64, 128), interval=Interval(0.1, 0.9),
                batch: int = 16, extend_to: int | None = None, sampler=None, param: str = "Vel",
                progress=None) -> dict:
    """Per (schedule, method): global errors at t_max (max over ``batch`` starts from the exact marginal), the
    last-pair order ``order`` and the least-squares ``ls_order`` over the ladder.

    With ``extend_to``, a ladder whose last-pair order is not within :data:`ORDER_TOL` of the method's declared order
    is doubled (N -> 2N) until it is, until N reaches ``extend_to``, or until the error reaches the float64 floor:
    a schedule whose asymptotic range starts later (SD3's shift) is measured there, not judged pre-asymptotically.
    ``converged`` says which way the ladder ended; ``sampler`` replaces :func:`numerics.uds.sample`."""
    sampler = sampler or uds.sample
    mix = order_data()
    flow, par = REGISTRY.rate("flow"), REGISTRY.parameterization(param)
    out = {}
    for name in schedules:
        if progress is not None:
            progress(f"schedule {name!r}")
        sch = REGISTRY.schedule(name)
        grids = {N: schedule_grid(sch, flow, par, interval, N, forms=forms) for N in ladder}
        g0 = grids[ladder[0]]
        y0 = mix.sample_noisy(batch, g0.ring_lam[0], torch.Generator().manual_seed(1))
        exact = exact_gaussian_flow(mix, y0, g0.ring_lam[0], g0.ring_lam[-1])

        def error(N, method):
            if N not in grids:
                grids[N] = schedule_grid(sch, flow, par, interval, N, forms=forms)
            return float((sampler(mix.denoise, grids[N], y0, method).y - exact).abs().max())

        for method in methods:
            Ns = list(ladder)
            errs = [error(N, method) for N in Ns]
            expected = _declared(method)
            while (extend_to and expected is not None and not abs(_orders(Ns, errs)[0] - expected) <= ORDER_TOL
                   and 2 * Ns[-1] <= extend_to and errs[-1] > ORDER_ERROR_FLOOR):
                Ns.append(2 * Ns[-1])
                errs.append(error(Ns[-1], method))
            last, slope = _orders(Ns, errs)
            converged = expected is None or abs(last - expected) <= ORDER_TOL
            out[(name, method)] = {"errors": errs, "order": last, "ls_order": slope, "ladder_N": Ns,
                                   "converged": converged,
                                   "stopped_by": None if converged else (
                                       "float64 floor" if errs[-1] <= ORDER_ERROR_FLOOR else f"N <= {extend_to}")}
    return out


# ------------------------------------------------------------------------------------------------
# Weak orders: exact moment propagation
# ------------------------------------------------------------------------------------------------


def step_affine_map(grid, i: int, method: str, mix: GaussianMixture) -> tuple[torch.Tensor, torch.Tensor]:
    """(A, B) with Y_t - m = A (Y_s - m) + B xi* for the one-step method's own step and the linear (exact) denoiser
    of one-component diagonal data: read off by applying the step to two basis inputs."""
    rec = get(method)
    if rec.family != "runge-kutta":
        raise ValueError(f"the step-wise affine map needs a one-step (Runge-Kutta) method, not {method!r} "
                         f"({rec.family}); use weak_orders")
    m = mix.means[0]
    y = torch.stack([m + 1, m])
    xi = torch.stack([torch.zeros_like(m), torch.ones_like(m)])
    if rec.tableau is EULER:
        out = uds.euler_step(grid, i, y, mix.denoise(y, grid.ring_lam[i]), xi)
    elif rec.tableau is HEUN:
        out, _ = uds.heun_step(grid, i, y, mix.denoise, xi)
    else:
        out, _ = uds.rk_step(grid, i, y, mix.denoise, rec.tableau, xi)
    return out[0] - m, out[1] - m


def weak_errors(forms, *, rate_name: str, methods, ladder=(32, 64, 128), schedule="Logis", param="Vel",
                interval=Interval(0.05, 0.95)) -> dict[str, list[float]]:
    """Per one-step method: max_j |Var_N(Y_{t_max})/(v + ring-rho_{t_max}^-2) - 1|_j (relative weak error) from the
    exact marginal at t0 (the mean stays m exactly), the variance propagated step by step, P_t = A^2 P_s + B^2."""
    mix = order_data()
    sch, rate, par = REGISTRY.schedule(schedule), REGISTRY.rate(rate_name), REGISTRY.parameterization(param)
    route = lambda_integral(sch, rate, par, interval)
    v = mix.eigvals[0]
    errs: dict[str, list[float]] = {m: [] for m in methods}
    for N in ladder:
        grid = schedule_grid(sch, rate, par, interval, N, forms=forms, route=route)
        exact = v + torch.exp(-2 * grid.ring_lam[-1])
        for method in methods:
            P = v + torch.exp(-2 * grid.ring_lam[0])
            for i in range(N):
                A, B = step_affine_map(grid, i, method, mix)
                P = A * A * P + B * B
            errs[method].append(float(((P - exact) / exact).abs().max()))
    return errs


def variance_after(grid, method: str, mix: GaussianMixture, sampler=None) -> torch.Tensor:
    """Exact Var(Y_{t_max}) of a sampler started from the exact marginal at t0, for one-component Gaussian data (the
    denoiser is affine, so the whole run is affine in (Y_0, xi_0, ..., xi_{N-1})): the coefficient of Y_0 from a run
    with Y_0 = m + 1 and no noise, that of xi_k from a run with Y_0 = m and xi_k = 1 alone; all in one batch."""
    sampler = sampler or uds.sample
    n, d = grid.n_steps, mix.d
    m = mix.means[0]
    rows = n + 2  # row 0: Y_0 = m (base), row 1: Y_0 = m + 1, row 2 + k: xi_k = 1
    y0 = m.expand(rows, d).clone()
    y0[1] += 1

    def noise(i, y):
        xi = torch.zeros_like(y)
        xi[2 + i] = 1
        return xi

    y = sampler(mix.denoise, grid, y0, method, noise=noise).y
    coef = y - y[0]
    P0 = mix.eigvals[0] + torch.exp(-2 * grid.ring_lam[0])
    return coef[1] ** 2 * P0 + (coef[2:] ** 2).sum(0)


def weak_orders(forms, *, methods, rates=("ML", "MSE"), ladder=(32, 64, 128, 256), interval=Interval(0.05, 0.95),
                schedule: str = "Logis", param: str = "Vel", sampler=None) -> dict:
    """Per (rate, method): relative weak error max_j |Var_N/(v + ring-rho_tmax^-2) - 1|_j by exact moment propagation
    of whole runs (:func:`variance_after`, any method), and its last-pair and least-squares orders."""
    mix = order_data()
    sch, par = REGISTRY.schedule(schedule), REGISTRY.parameterization(param)
    out = {}
    for rate_name in rates:
        rate = REGISTRY.rate(rate_name)
        route = lambda_integral(sch, rate, par, interval)
        grids = {N: schedule_grid(sch, rate, par, interval, N, forms=forms, route=route) for N in ladder}
        for m in methods:
            errs = []
            for N in ladder:
                g = grids[N]
                exact = mix.eigvals[0] + torch.exp(-2 * g.ring_lam[-1])
                errs.append(float(((variance_after(g, m, mix, sampler) - exact) / exact).abs().max()))
            last, slope = _orders(ladder, errs)
            out[(rate_name, m)] = {"errors": errs, "order": last, "ls_order": slope}
    return out
