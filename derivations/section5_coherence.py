"""Section 5: coherence with MSE, the MSE-diffusion (Proposition 3, (28)-(30)) and its discrete form."""

from __future__ import annotations

import mpmath as mp
import sympy as sp

from .registry import Interval, NoiseSchedule, Parameterization, numeric
from .symbols import t


def coherence_ratio(schedule: NoiseSchedule, param: Parameterization) -> sp.Expr:
    """ring-lambda'_t / S_t^2, whose maximum over the interval is M of (29)."""
    return sp.simplify(schedule.ring_lam_rate / param.S(schedule) ** 2)


def coherence_constant(schedule: NoiseSchedule, param: Parameterization, interval: Interval,
                       dps: int = 30, grid: int = 257) -> sp.Float:
    """M = max_{t in [t0, t_max]} ring-lambda'_t / S_t^2  (29), by a grid search refined by golden section."""
    f = numeric(coherence_ratio(schedule, param), "mpmath")
    with mp.workdps(dps):
        a, b = mp.mpf(interval.t0), mp.mpf(interval.t_max)
        xs = [a + (b - a) * k / (grid - 1) for k in range(grid)]
        vals = [f(x) for x in xs]
        k = max(range(grid), key=lambda i: vals[i])
        lo, hi = xs[max(k - 1, 0)], xs[min(k + 1, grid - 1)]
        phi = (mp.sqrt(5) - 1) / 2
        for _ in range(120):  # golden-section refinement of an interior maximum
            x1, x2 = hi - phi * (hi - lo), lo + phi * (hi - lo)
            if f(x1) >= f(x2):
                hi = x2
            else:
                lo = x1
        best = max(vals[k], f((lo + hi) / 2))
        return sp.Float(best, dps)


def mse_diffusion_rate(schedule: NoiseSchedule, param: Parameterization, interval: Interval) -> sp.Expr:
    """check-lambda'_t of (30), in the cancellation-free form ring-lambda'^2 / (sqrt(M) S + sqrt(M S^2 - ring-lambda'))^2.

    Equal to (sqrt(M) S - sqrt(M S^2 - ring-lambda'))^2 because the two roots of (42) multiply to ring-lambda'^2.
    """
    M = coherence_constant(schedule, param, interval)
    S = param.S(schedule)
    rr = schedule.ring_lam_rate
    return rr**2 / (sp.sqrt(M) * S + sp.sqrt(sp.Max(0, M * S**2 - rr))) ** 2
