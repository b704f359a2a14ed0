"""Per-step UDS coefficients on a time grid (paper, Section 3, (10)-(15)).

For a registry noise schedule, diffusion rate, parameterization and generation interval, on the grid
t_i = t0 + i (t_max - t0)/N (i = 0..N, s = t_{i-1}, t = t_i), or on explicit nodes ``times=`` (optionally
with their log-SNR ``ring_lam=``, e.g. a grid uniform in log-SNR or EDM2's sigma grid), this module returns, as float64 torch
tensors on a chosen device:

* ring-lambda_{t_i} (the log-SNR) and ring-rho_{t_i} = exp(ring-lambda_{t_i}) (log space, exp at the end);
* lambda_{t_i} - lambda_{t0}, with lambda the integral of the diffusion rate lambda'
  (closed form by ``sympy.integrate`` when it gives a real one that agrees with quadrature, otherwise
  mpmath ``quad`` per step); the flow (``rate.is_flow``) has lambda constant;
* rho_s/rho_t = exp(-(lambda_t - lambda_s)) (1 for the flow), log r_t = lambda_t + ring-lambda_t
  (r = rho ring-rho, normalised by rho_{t0} = 1);
* q_st and beta_st of (13), lambdified from :func:`derivations.section3_diffusion.uds_coefficients`
  (one source of truth; a caller may pass perturbed ``forms`` to test that a check can fail).

Intermediate points of a step (Runge-Kutta stages placed in r) need the inverse map log r -> t; for
the flow and for rates proportional to ring-lambda' (ML, penalized) it is exact, otherwise it uses a
fine table: lambda as a function of log r, cubic Hermite with the exact slopes (:meth:`ScheduleGrid.lam_ring_at_log_r`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import mpmath as mp
import numpy as np
import sympy as sp
import torch

from derivations.registry import DiffusionRate, Interval, NoiseSchedule, Parameterization, numeric
from derivations.section3_diffusion import kappa, uds_coefficients
from derivations.symbols import ring_rho_s, ring_rho_t, t

#: Keys of the UDS coefficient forms (expressions of kappa = rho_s/rho_t, ringrho_s, ringrho_t).
Q_KEY, BETA_KEY = "q_st", "beta_st"


def uds_forms() -> dict[str, sp.Expr]:
    """{q_st, beta_st} of (13) as expressions of kappa = rho_s/rho_t, ring-rho_s, ring-rho_t."""
    q, beta = uds_coefficients(kappa, ring_rho_s, ring_rho_t)
    return {Q_KEY: q, BETA_KEY: beta}


def lambdify_forms(forms: Mapping[str, sp.Expr] | None = None) -> tuple[Callable, Callable]:
    """torch functions (kappa, ring_s, ring_t) -> q_st and -> beta_st from ``forms`` (default: :func:`uds_forms`)."""
    forms = uds_forms() if forms is None else forms
    args = (kappa, ring_rho_s, ring_rho_t)
    out = []
    for key in (Q_KEY, BETA_KEY):
        f = sp.lambdify(args, sp.sympify(forms[key]), modules="torch")

        def g(k, a, b, f=f):
            v = f(k, a, b)
            return v if isinstance(v, torch.Tensor) else torch.full_like(torch.as_tensor(b), float(v))
        out.append(g)
    return out[0], out[1]


# ----------------------------------------------------------------------------------------------
# lambda = integral of the diffusion rate
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LambdaIntegral:
    """How lambda_t - lambda_{t0} is computed: ``kind`` in {"flow", "proportional", "closed", "quad"}, and
    ``why`` that route was taken (claims put :meth:`record` into their evidence: no silent fallback)."""

    kind: str
    factor: float = 0.0  # lambda = factor * ring-lambda for "proportional"
    antiderivative: sp.Expr | None = None
    rate: sp.Expr | None = None
    why: str = ""

    def record(self) -> dict:
        out = {"route": self.kind, "why": self.why}
        if self.kind == "proportional":
            out["factor"] = self.factor
        if self.antiderivative is not None:
            out["antiderivative"] = str(self.antiderivative)
        return out


#: How the "quad" route integrates (:func:`lambda_values`), quoted in each route's reason.
QUAD_ROUTE = "quadrature per step (QUADPACK, mpmath where it does not converge)"


def lambda_integral(schedule: NoiseSchedule, rate: DiffusionRate, param: Parameterization,
                    interval: Interval) -> LambdaIntegral:
    """Choose the route for lambda: the flow, c * ring-lambda, a verified closed form, or quadrature; the
    returned route says why (for example why a closed form was not used)."""
    if rate.is_flow:
        return LambdaIntegral("flow", why="the flow: lambda' = 0, lambda constant")
    expr = rate.lam_rate(schedule, param, interval)
    factor = _constant_ratio(expr, schedule.ring_lam_rate, interval)
    if factor is not None:
        return LambdaIntegral("proportional", factor=factor, rate=expr,
                              why=f"lambda' = {factor:.17g} ring-lambda' (constant ratio at 30 digits and by "
                                  "SymPy cancel): lambda = c ring-lambda exactly")
    if expr.has(sp.Max, sp.Min, sp.Piecewise):
        return LambdaIntegral("quad", rate=expr, why=f"the rate is piecewise (Max/Min): {QUAD_ROUTE}")
    if sp.count_ops(expr) > 60:
        return LambdaIntegral("quad", rate=expr, why=f"the rate has {sp.count_ops(expr)} operations (> 60), "
                                                     f"too large for sympy.integrate: {QUAD_ROUTE}")
    try:
        anti = sp.integrate(expr, t)
    except (NotImplementedError, ValueError, TypeError, AttributeError) as exc:  # SymPy's integrator gives up
        return LambdaIntegral("quad", rate=expr, why=f"sympy.integrate raised {type(exc).__name__}: {exc}; "
                                                     f"{QUAD_ROUTE}")
    if anti.has(sp.Integral):
        return LambdaIntegral("quad", rate=expr, why=f"sympy.integrate found no closed form; {QUAD_ROUTE}")
    ok, reason = _antiderivative_check(anti, expr, interval)
    if not ok:
        return LambdaIntegral("quad", rate=expr, why=f"closed form {anti} rejected ({reason}); "
                                                     f"{QUAD_ROUTE}")
    return LambdaIntegral("closed", antiderivative=anti, rate=expr, why=f"closed form from sympy.integrate, {reason}")


def _constant_ratio(expr: sp.Expr, ring_rate: sp.Expr, interval: Interval) -> float | None:
    """c when lambda' = c ring-lambda' (checked at 30 digits on 7 points, then by a cheap symbolic cancel)."""
    if expr.has(sp.Max, sp.Min, sp.Piecewise):
        return None
    f, g = numeric(expr, "mpmath"), numeric(ring_rate, "mpmath")
    with mp.workdps(30):
        pts = [mp.mpf(interval.t0) + (interval.t_max - interval.t0) * mp.mpf(k) / 6 for k in range(7)]
        try:
            vals = [f(p) / g(p) for p in pts]
        except (ZeroDivisionError, ValueError):
            return None
        if any(abs(v - vals[0]) > mp.mpf(10) ** -25 * (1 + abs(vals[0])) for v in vals):
            return None
    ratio = sp.cancel(sp.powsimp(expr / ring_rate))
    if ratio.is_number and ratio.is_real and float(ratio) >= 0:
        return float(ratio)
    return None


def _antiderivative_check(anti: sp.Expr, expr: sp.Expr, interval: Interval) -> tuple[bool, str]:
    """(accepted, reason): the antiderivative must be real and finite in float64 on the interval (torch and
    NumPy evaluate it) and its differences must equal 20-digit quadratures of the rate on 4 sub-intervals."""
    try:
        F = numeric(anti, "numpy")
    except (TypeError, ValueError, NameError, SyntaxError) as exc:  # a function the NumPy printer lacks
        return False, f"no NumPy version ({type(exc).__name__}: {exc})"
    f = numeric(expr, "mpmath")
    pts = np.linspace(interval.t0, interval.t_max, 5)
    with np.errstate(all="ignore"):
        vals = np.asarray(F(pts))
    if np.iscomplexobj(vals) or not np.all(np.isfinite(vals)):
        return False, f"not real and finite in float64 on [{interval.t0}, {interval.t_max}]"
    worst = 0.0
    with mp.workdps(20):
        for k in range(len(pts) - 1):
            ref = float(mp.quad(f, [pts[k], pts[k + 1]]))
            worst = max(worst, abs(float(vals[k + 1] - vals[k]) - ref) / (1 + abs(ref)))
    if worst > 1e-10:
        return False, f"its differences disagree with quadrature by {worst:.2g} (relative)"
    return True, f"differences agree with quadrature to {worst:.2g} on 4 sub-intervals"


def lambda_values(route: LambdaIntegral, schedule: NoiseSchedule, times: np.ndarray) -> np.ndarray:
    """lambda_{times} - lambda_{times[0]} in float64 (numpy)."""
    times = np.asarray(times, dtype=float)
    if route.kind == "flow":
        return np.zeros_like(times)
    if route.kind == "proportional":
        lam = np.asarray(numeric(schedule.ring_lam, "numpy")(times), dtype=float)
        return route.factor * (lam - lam[0])
    if route.kind == "closed":
        F = np.asarray(numeric(route.antiderivative, "numpy")(times), dtype=float)
        return F - F[0]
    return np.concatenate([[0.0], np.cumsum([_step_integral(route.rate, a, b) for a, b in zip(times[:-1], times[1:])])])


#: A step's float64 QUADPACK integral (requested to STEP_QUAD_RTOL) is kept when its error estimate is below
#: STEP_QUAD_ACCEPT (relative); otherwise mpmath's tanh-sinh at 20 digits on 16 equal pieces of the step decides.
#: QUADPACK comes first because it bisects adaptively: the MSE rate of the Normal schedule has Max(0, g) with g
#: touching 0 at t* = 0.97725 (a kink 1e-5 wide), and an unsplit mpmath.quad over a step containing t* was off by
#: 2.8e-6 while QUADPACK was within 2e-15 of the integral split at t* (tests/test_step_values.py); it is also
#: faster (128 MSE steps: Logis 0.18 s against 0.41 s, Normal 0.85 s against 11 s).
STEP_QUAD_RTOL, STEP_QUAD_ACCEPT = 1e-13, 1e-12


def _step_integral(rate: sp.Expr, a: float, b: float) -> float:
    """int_a^b rate dt: QUADPACK (scipy.integrate.quad, float64) when it reports convergence, else mpmath.quad at 20
    digits on 16 pieces.  Both integrate the mpmath version of the rate (QUADPACK at 15 digits): the NumPy printer's
    expm1/log1p rewriting took 248 s on the MSE rate of SD's scaled-linear schedule (485 operations)."""
    import warnings

    from scipy import integrate

    f = numeric(rate, "mpmath")
    with warnings.catch_warnings(), mp.workdps(15):
        warnings.simplefilter("ignore")  # scipy's IntegrationWarning: the estimate below says whether to keep it
        try:
            val, err = integrate.quad(lambda x: float(mp.re(f(x))), a, b, epsabs=1e-300, epsrel=STEP_QUAD_RTOL,
                                      limit=200)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            val, err = float("nan"), float("inf")
    if math.isfinite(val) and err <= STEP_QUAD_ACCEPT * max(abs(val), 1e-300):
        return float(val)
    with mp.workdps(20):
        return float(mp.quad(f, mp.linspace(a, b, 17)))


def _lambda_fine(route: LambdaIntegral, schedule: NoiseSchedule, times: np.ndarray) -> np.ndarray:
    """lambda on a fine table (for the inverse map); composite Gauss-Legendre for the quadrature route."""
    if route.kind != "quad":
        return lambda_values(route, schedule, times)
    f = numeric(route.rate, "torch")
    x, w = np.polynomial.legendre.leggauss(8)
    a, b = times[:-1], times[1:]
    nodes = (a[:, None] + b[:, None]) / 2 + (b - a)[:, None] / 2 * x[None, :]
    vals = torch.as_tensor(f(torch.as_tensor(nodes.ravel(), dtype=torch.float64)), dtype=torch.float64)
    vals = vals.expand(nodes.size).numpy().reshape(nodes.shape)
    steps = (vals * w[None, :]).sum(1) * (b - a) / 2
    return np.concatenate([[0.0], np.cumsum(steps)])


# ----------------------------------------------------------------------------------------------
# The grid
# ----------------------------------------------------------------------------------------------


@dataclass
class ScheduleGrid:
    """Node values (length N + 1) and per-step values (length N) of one generation grid."""

    schedule: NoiseSchedule
    rate: DiffusionRate
    interval: Interval
    times: torch.Tensor
    ring_lam: torch.Tensor
    ring_rho: torch.Tensor
    lam: torch.Tensor
    log_r: torch.Tensor
    rho_ratio: torch.Tensor
    q: torch.Tensor
    beta: torch.Tensor
    route: LambdaIntegral
    q_fn: Callable = field(repr=False)
    beta_fn: Callable = field(repr=False)
    _table: tuple | None = field(repr=False, default=None)
    #: Per-tableau stage coefficients (filled by :mod:`numerics.uds`).
    cache: dict = field(repr=False, default_factory=dict)

    @property
    def n_steps(self) -> int:
        return len(self.times) - 1

    @property
    def is_flow(self) -> bool:
        return self.rate.is_flow

    @property
    def device(self):
        return self.times.device

    def coefficients(self, rho_ratio, ring_s, ring_t):
        """(q, beta) of (13) for any step (vectorised), from the same forms as the grid."""
        return self.q_fn(rho_ratio, ring_s, ring_t), self.beta_fn(rho_ratio, ring_s, ring_t)

    def ring_lam_at_log_r(self, log_r: torch.Tensor) -> torch.Tensor:
        """ring-lambda at the (intermediate) point where log r takes the value ``log_r`` (:meth:`lam_ring_at_log_r`)."""
        return self.lam_ring_at_log_r(log_r)[1]

    def lam_ring_at_log_r(self, log_r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(lambda, ring-lambda) at the (intermediate) point where log r = lambda + ring-lambda takes ``log_r``.

        Exact for the flow (lambda constant) and for lambda = c ring-lambda.  Otherwise lambda is interpolated as a
        function of log r on a fine table (cubic Hermite with the exact slope lambda'/(lambda' + ring-lambda') at
        its nodes, linear if a slope is not finite) and ring-lambda = log r - lambda.  Not the other way round:
        where lambda grows far slower than ring-lambda (the MSE-diffusion near t0: lambda increments of 1e-5 per
        step against 0.3), ring-lambda at an interpolated time carries the table's error times ring-lambda', and
        log r minus it would lose every digit of the small lambda increment (a stage with lambda_k < lambda_s, rho_s/rho_k > 1 and a NaN noise coefficient).  lambda is
        clamped to its table interval's values, so it stays monotone in log r."""
        log_r = torch.as_tensor(log_r, dtype=torch.float64, device=self.device)
        if self.route.kind == "flow":
            return torch.zeros_like(log_r), log_r
        if self.route.kind == "proportional":
            lam0 = self.ring_lam[0]
            # log r = c (ring_lam - ring_lam0) + ring_lam
            ring = (log_r + self.route.factor * lam0) / (1 + self.route.factor)
            return log_r - ring, ring
        if self._table is None:  # uniform in t, refined 32-fold inside every step of the grid (non-uniform grids)
            nodes = self.times.detach().cpu().numpy()
            sub = (nodes[:-1, None] + np.diff(nodes)[:, None] * np.linspace(0, 1, 33)[None, :-1]).ravel()
            tt = np.unique(np.concatenate([np.linspace(self.interval.t0, self.interval.t_max, 4097), sub, nodes[-1:]]))
            lam = _lambda_fine(self.route, self.schedule, tt)
            lam = lam - lam[int(np.searchsorted(tt, nodes[0]))]  # the grid's lambda is relative to its first node
            ring = np.asarray(numeric(self.schedule.ring_lam, "numpy")(tt), dtype=float)
            with np.errstate(all="ignore"):
                # the torch version of the rate, which _lambda_fine's quadrature route has already built
                rate = numeric(self.route.rate, "torch")(torch.as_tensor(tt, dtype=torch.float64))
                rate = np.asarray(torch.as_tensor(rate, dtype=torch.float64), dtype=float) * np.ones_like(tt)
                ring_rate = np.asarray(numeric(self.schedule.ring_lam_rate, "numpy")(tt), dtype=float) * np.ones_like(tt)
            slope = rate / (rate + ring_rate)  # d lambda / d log r = lambda' / (lambda' + ring-lambda')
            if not np.all(np.isfinite(slope)):  # no derivative at some node: linear interpolation there
                slope = None
            self._table = tuple(None if a is None else torch.as_tensor(a, device=self.device)
                                for a in (lam + ring, tt, lam, slope))
        xs, _, lams, slopes = self._table
        flat = log_r.reshape(-1)
        idx = torch.clamp(torch.searchsorted(xs, flat), 1, len(xs) - 1)
        h = xs[idx] - xs[idx - 1]
        u = ((flat - xs[idx - 1]) / h).clamp(0.0, 1.0)
        if slopes is None:
            lam = lams[idx - 1] + u * (lams[idx] - lams[idx - 1])
        else:  # cubic Hermite in log r with the exact slopes: error O(h^4) (linear: O(h^2), 7e-8 in an MSE sample)
            h00, h10, h01, h11 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u, 3 * u**2 - 2 * u**3, u**3 - u**2
            lam = h00 * lams[idx - 1] + h10 * h * slopes[idx - 1] + h01 * lams[idx] + h11 * h * slopes[idx]
        lam = torch.minimum(torch.maximum(lam, torch.minimum(lams[idx - 1], lams[idx])),
                            torch.maximum(lams[idx - 1], lams[idx])).reshape(log_r.shape)
        return lam, log_r - lam


#: Default tolerance for given log-SNR nodes: |ring_lam - ring-lambda(times)| <= RING_LAM_TOL (1 + |ring-lambda|).
RING_LAM_TOL = 1e-8


def _check_times(times, interval: Interval) -> np.ndarray:
    arr = np.asarray(times, dtype=float)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"times must be a 1-D sequence of at least 2 nodes, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or arr[0] <= 0.0 or arr[-1] >= 1.0:
        raise ValueError(f"times must be finite and inside (0, 1), got [{float(arr.min())!r}, {float(arr.max())!r}]")
    gaps = np.diff(arr)
    if np.any(gaps <= 0):
        j = int(np.argmax(gaps <= 0))
        raise ValueError(f"times must be strictly increasing: times[{j}]={float(arr[j])!r} >= "
                         f"times[{j + 1}]={float(arr[j + 1])!r}")
    slack = 1e-12
    if arr[0] < interval.t0 - slack or arr[-1] > interval.t_max + slack:
        raise ValueError(f"times [{float(arr[0])!r}, {float(arr[-1])!r}] must lie in the interval "
                         f"[{interval.t0}, {interval.t_max}]")
    return arr


def times_for_ring_lam(schedule: NoiseSchedule, ring_lam, *, iterations: int = 200) -> np.ndarray:
    """The times where the schedule's log-SNR takes the values ``ring_lam`` (increasing; bisection in float64 on
    the lambdified ring-lambda, which increases strictly: the registry validates that).  For grids defined in
    ring-lambda or sigma, e.g. uniform in log-SNR or EDM2's sigma grid (ring-lambda = -log sigma)."""
    target = np.asarray(ring_lam, dtype=float)
    f = numeric(schedule.ring_lam, "numpy")
    lo, hi = np.zeros_like(target), np.ones_like(target)
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            mid = (lo + hi) / 2
            val = np.asarray(f(mid), dtype=float) * np.ones_like(mid)
            below = val < target
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
            if np.all(hi - lo <= 4 * np.spacing(np.maximum(hi, 1e-300))):
                break
    return (lo + hi) / 2


def schedule_grid(schedule: NoiseSchedule, rate: DiffusionRate, param: Parameterization, interval: Interval,
                  n_steps: int | None = None, *, device=None, forms: Mapping[str, sp.Expr] | None = None,
                  route: LambdaIntegral | None = None, times=None, ring_lam=None,
                  ring_lam_tol: float = RING_LAM_TOL) -> ScheduleGrid:
    """The grid t_0..t_N with ring-rho, rho_s/rho_t, q_st, beta_st (float64 torch tensors on ``device``).

    Uniform in t on ``interval`` with ``n_steps`` steps, or explicit nodes ``times`` (strictly increasing, inside
    (0, 1) and the interval; ``n_steps`` then optional).  ``ring_lam`` optionally gives the log-SNR at those
    nodes (a grid defined in sigma, such as EDM2's): it must agree with the schedule's ring-lambda at ``times``
    within ``ring_lam_tol`` (1 + |ring-lambda|) and is then used as is (also for lambda = c ring-lambda)."""
    device = torch.device(device or "cpu")
    ring_lam_fn = numeric(schedule.ring_lam, "torch")
    if times is None:
        if ring_lam is not None:
            raise ValueError("ring_lam needs the times of its nodes (pass times=)")
        if n_steps is None or n_steps < 1:
            raise ValueError(f"n_steps must be >= 1, got {n_steps}")
        times_np = np.linspace(interval.t0, interval.t_max, n_steps + 1)
    else:
        times_np = _check_times(times, interval)
        if n_steps is not None and n_steps != len(times_np) - 1:
            raise ValueError(f"n_steps={n_steps} disagrees with the {len(times_np)} given times")
    times_t = torch.as_tensor(times_np, dtype=torch.float64, device=device)
    ring_sched = torch.as_tensor(ring_lam_fn(times_t), dtype=torch.float64, device=device).expand_as(times_t)
    if ring_lam is None:
        ring = ring_sched.clone()
    else:
        ring = torch.as_tensor(np.asarray(ring_lam, dtype=float), dtype=torch.float64, device=device)
        if ring.shape != times_t.shape:
            raise ValueError(f"ring_lam has {tuple(ring.shape)} values for {len(times_np)} times")
        gap = (ring - ring_sched).abs() / (1 + ring_sched.abs())
        if not bool(torch.isfinite(ring).all()) or float(gap.max()) > ring_lam_tol:
            j = int(torch.argmax(torch.nan_to_num(gap, nan=float("inf"))))
            raise ValueError(f"ring_lam[{j}]={float(ring[j])!r} disagrees with the schedule's ring-lambda "
                             f"{float(ring_sched[j])!r} at t={float(times_np[j])!r} (relative gap {float(gap[j]):.3g} > {ring_lam_tol:g})")
        if bool((torch.diff(ring) <= 0).any()):
            raise ValueError("ring_lam must be strictly increasing")
    route = route or lambda_integral(schedule, rate, param, interval)
    if route.kind == "proportional" and ring_lam is not None:  # lambda = c ring-lambda with the given values
        lam_np = route.factor * (ring.cpu().numpy() - float(ring[0]))
    else:
        lam_np = lambda_values(route, schedule, times_np)
    lam = torch.as_tensor(lam_np, dtype=torch.float64, device=device)
    rho_ratio = torch.exp(-(lam[1:] - lam[:-1]))
    ring_rho = torch.exp(ring)
    q_fn, beta_fn = lambdify_forms(forms)
    q = q_fn(rho_ratio, ring_rho[:-1], ring_rho[1:])
    beta = beta_fn(rho_ratio, ring_rho[:-1], ring_rho[1:])  # 0 for the flow (kappa = 1)
    return ScheduleGrid(schedule, rate, interval, times_t, ring, ring_rho, lam, lam + ring, rho_ratio,
                        q, beta, route, q_fn, beta_fn)


def uniform_log_snr_grid(schedule: NoiseSchedule, rate: DiffusionRate, param: Parameterization, interval: Interval,
                         n_steps: int, **kw) -> ScheduleGrid:
    """The grid with nodes uniform in ring-lambda between ring-lambda(t0) and ring-lambda(t_max)."""
    f = numeric(schedule.ring_lam, "numpy")
    lo, hi = float(f(np.float64(interval.t0))), float(f(np.float64(interval.t_max)))
    ring = np.linspace(lo, hi, n_steps + 1)
    times = times_for_ring_lam(schedule, ring)
    times[0], times[-1] = interval.t0, interval.t_max
    return schedule_grid(schedule, rate, param, interval, times=times, ring_lam=ring, **kw)


# ----------------------------------------------------------------------------------------------
# Grids defined in sigma = exp(-ring-lambda) (Karras et al. 2022, EDM2) and intervals for scaled data
# ----------------------------------------------------------------------------------------------

#: EDM2's sampling grid (generate_images.py: sigma_min = 0.002, sigma_max = 80, rho = 7) and the data scale it is
#: set for (sigma_data = 0.5, EDM2's latents); the values come from derivations.section6_sota.EDM2.
KARRAS_RHO = 7.0
#: The data standard deviation the project's default interval (0.01, 0.99) is meant for (for Logis it spans
#: sigma from 99 to 0.0101, about 100x above and 1/100 of a unit data scale).
DEFAULT_SIGMA_DATA = 1.0


def _edm2_values() -> dict[str, float]:
    from derivations import section6_sota as s6

    return {k: float(s6.EDM2.value(k)) for k in ("sigma_min", "sigma_max", "rho", "sigma_data")}


def karras_log_snr(sigma_min: float, sigma_max: float, n_steps: int, rho: float = KARRAS_RHO) -> np.ndarray:
    """ring-lambda = -log sigma of the Karras/EDM grid with n_steps + 1 nodes from sigma_max down to sigma_min
    (derivations.section6_sota.karras_sigma with N = n_steps + 1 nodes, all positive: no final sigma = 0 node),
    increasing."""
    from derivations import section6_sota as s6

    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    if not (0 < sigma_min < sigma_max and math.isfinite(sigma_max)):
        raise ValueError(f"need 0 < sigma_min < sigma_max < inf, got sigma_min={sigma_min!r}, sigma_max={sigma_max!r}")
    if not (rho > 0 and math.isfinite(rho)):
        raise ValueError(f"rho must be positive and finite, got {rho!r}")
    f = sp.lambdify((s6.i_sym, s6.n_sym, s6.smin_sym, s6.smax_sym, s6.rho_sym), s6.karras_sigma(), modules="numpy")
    sig = np.asarray(f(np.arange(n_steps + 1, dtype=float), float(n_steps + 1), float(sigma_min), float(sigma_max),
                       float(rho)), dtype=float)
    ring = -np.log(sig)
    ring[0], ring[-1] = -math.log(sigma_max), -math.log(sigma_min)
    return ring


def _ring_at(schedule: NoiseSchedule, t: float) -> float:
    return float(numeric(schedule.ring_lam, "numpy")(np.float64(t)))


def interval_for_sigma(schedule: NoiseSchedule, sigma_min: float, sigma_max: float) -> Interval:
    """The generation interval whose ends have sigma = exp(-ring-lambda) = sigma_max (t0) and sigma_min (t_max)."""
    t0, t1 = times_for_ring_lam(schedule, [-math.log(sigma_max), -math.log(sigma_min)])
    if not (0.0 < t0 < t1 < 1.0):
        raise ValueError(f"sigma range [{sigma_min:g}, {sigma_max:g}] is not inside the schedule's (0, 1) in t "
                         f"(t0={t0!r}, t_max={t1!r})")
    return Interval(float(t0), float(t1))


def interval_for_sigma_data(schedule: NoiseSchedule, sigma_data: float, base: Interval | None = None,
                            base_sigma_data: float = DEFAULT_SIGMA_DATA) -> Interval:
    """EDM's sigma_data convention for data of standard deviation ``sigma_data``: the interval whose sigma range is
    the base interval's (default (0.01, 0.99), meant for ``base_sigma_data`` = 1) times sigma_data/base_sigma_data,
    i.e. ring-lambda shifted by -log(sigma_data/base_sigma_data).  The flow (and any rate depending on ring-lambda
    only) is equivariant under X -> c X, sigma -> c sigma, so on a grid defined in sigma (log-SNR, Karras, EDM2)
    a scaled data set then has exactly the relative errors of the unscaled one."""
    base = base or Interval()
    if not (sigma_data > 0 and math.isfinite(sigma_data)):
        raise ValueError(f"sigma_data must be positive and finite, got {sigma_data!r}")
    c = sigma_data / base_sigma_data
    s_max = math.exp(-_ring_at(schedule, base.t0)) * c
    s_min = math.exp(-_ring_at(schedule, base.t_max)) * c
    return interval_for_sigma(schedule, s_min, s_max)


def karras_grid(schedule: NoiseSchedule, rate: DiffusionRate, param: Parameterization, interval: Interval,
                n_steps: int, rho: float = KARRAS_RHO, **kw) -> ScheduleGrid:
    """Karras et al.'s rho-grid in sigma = exp(-ring-lambda) between the interval's ends (rho = 7 by default),
    mapped to the paper's t through the schedule's log-SNR."""
    lo, hi = _ring_at(schedule, interval.t0), _ring_at(schedule, interval.t_max)
    ring = karras_log_snr(math.exp(-hi), math.exp(-lo), n_steps, rho)
    ring[0], ring[-1] = lo, hi
    times = times_for_ring_lam(schedule, ring)
    times[0], times[-1] = interval.t0, interval.t_max
    return schedule_grid(schedule, rate, param, interval, times=times, ring_lam=ring, **kw)


def edm2_interval(schedule: NoiseSchedule, sigma_data: float | None = None) -> Interval:
    """EDM2's sigma range (0.002, 80), set for sigma_data = 0.5, scaled to ``sigma_data`` (EDM's convention), as an
    interval in the paper's t."""
    v = _edm2_values()
    c = 1.0 if sigma_data is None else sigma_data / v["sigma_data"]
    return interval_for_sigma(schedule, v["sigma_min"] * c, v["sigma_max"] * c)


def edm2_grid(schedule: NoiseSchedule, rate: DiffusionRate, param: Parameterization, n_steps: int, *,
              sigma_data: float | None = None, **kw) -> ScheduleGrid:
    """EDM2's sampling grid (rho = 7, sigma 80 -> 0.002, n_steps + 1 positive nodes; EDM2's own final step to
    sigma = 0 is left out: the UDS grids end at t_max < 1), scaled to ``sigma_data`` as :func:`edm2_interval`."""
    v = _edm2_values()
    iv = edm2_interval(schedule, sigma_data)
    ring = karras_log_snr(math.exp(-_ring_at(schedule, iv.t_max)), math.exp(-_ring_at(schedule, iv.t0)), n_steps,
                          v["rho"])
    times = times_for_ring_lam(schedule, ring)
    times[0], times[-1] = iv.t0, iv.t_max
    ring[0], ring[-1] = _ring_at(schedule, iv.t0), _ring_at(schedule, iv.t_max)
    return schedule_grid(schedule, rate, param, iv, times=times, ring_lam=ring, **kw)


#: The grid families: uniform in t, uniform in log-SNR, Karras rho = 7 in sigma on the interval, EDM2's sigma grid,
#: and an irregular one (:func:`random_log_snr`: log-SNR steps of random lengths, a stress test of "any grid").
GRID_FAMILIES = ("uniform-t", "uniform-logsnr", "karras", "edm2", "random-logsnr")
#: The random family's seed (one fixed grid per number of steps) and the floor of its step lengths (a fraction of
#: the mean step: neighbouring steps differ by up to about 1/RANDOM_STEP_FLOOR times).
RANDOM_GRID_SEED, RANDOM_STEP_FLOOR = 2026, 0.05


def random_log_snr(lo: float, hi: float, n_steps: int, seed: int = RANDOM_GRID_SEED) -> np.ndarray:
    """n_steps + 1 increasing ring-lambda nodes from lo to hi with irregular steps: step lengths proportional to
    E_i + RANDOM_STEP_FLOOR, E_i standard exponential (drawn from ``seed`` and n_steps, so the grid is fixed)."""
    rng = np.random.default_rng([seed, n_steps])
    steps = rng.standard_exponential(n_steps) + RANDOM_STEP_FLOOR
    ring = lo + (hi - lo) * np.concatenate([[0.0], np.cumsum(steps) / steps.sum()])
    ring[-1] = hi
    return ring


def family_log_snr(kind: str, schedule: NoiseSchedule, interval: Interval, n_steps: int) -> np.ndarray:
    """ring-lambda at the n_steps + 1 nodes of a grid family on ``interval`` (EDM2: its own sigma range 80 -> 0.002,
    the interval unused), increasing."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    f = numeric(schedule.ring_lam, "numpy")
    lo, hi = _ring_at(schedule, interval.t0), _ring_at(schedule, interval.t_max)
    if kind == "uniform-t":
        ring = np.asarray(f(np.linspace(interval.t0, interval.t_max, n_steps + 1)), dtype=float)
    elif kind == "uniform-logsnr":
        ring = np.linspace(lo, hi, n_steps + 1)
    elif kind == "karras":
        ring = karras_log_snr(math.exp(-hi), math.exp(-lo), n_steps)
    elif kind == "edm2":
        v = _edm2_values()
        ring = karras_log_snr(v["sigma_min"], v["sigma_max"], n_steps, v["rho"])
    elif kind == "random-logsnr":
        ring = random_log_snr(lo, hi, n_steps)
    else:
        raise ValueError(f"unknown grid family {kind!r}; choose one of {', '.join(GRID_FAMILIES)}")
    if kind != "edm2":
        ring[0], ring[-1] = lo, hi
    return ring


def grid_family(kind: str, schedule: NoiseSchedule, rate: DiffusionRate, param: Parameterization, interval: Interval,
                n_steps: int, *, sigma_data: float | None = None, base_sigma_data: float | None = None,
                **kw) -> ScheduleGrid:
    """One grid of a family (:data:`GRID_FAMILIES`) on ``interval`` (EDM2: its own sigma range).

    ``sigma_data`` (the data's standard deviation, EDM's convention): the family's grid for data of scale
    ``base_sigma_data`` (default :data:`DEFAULT_SIGMA_DATA` = 1 for the interval's families, 0.5 for EDM2's) with every
    node's sigma multiplied by sigma_data/base_sigma_data, then mapped to the paper's t through the schedule.  The
    flow is equivariant under X -> c X, sigma -> c sigma, so a data set scaled by c then has exactly the relative
    errors of the unscaled one on every family (uniform t included: its nodes are uniform in the t of the normalised
    data, not in the paper's t)."""
    ring = family_log_snr(kind, schedule, interval, n_steps)
    if sigma_data is None:
        if kind == "edm2":
            times = times_for_ring_lam(schedule, ring)
            return schedule_grid(schedule, rate, param, Interval(float(times[0]), float(times[-1])), times=times,
                                 ring_lam=ring, **kw)
        if kind == "uniform-t":
            return schedule_grid(schedule, rate, param, interval, n_steps, **kw)
        times = times_for_ring_lam(schedule, ring)
        times[0], times[-1] = interval.t0, interval.t_max
        return schedule_grid(schedule, rate, param, interval, times=times, ring_lam=ring, **kw)
    if not (sigma_data > 0 and math.isfinite(sigma_data)):
        raise ValueError(f"sigma_data must be positive and finite, got {sigma_data!r}")
    base = base_sigma_data or (_edm2_values()["sigma_data"] if kind == "edm2" else DEFAULT_SIGMA_DATA)
    ring = ring - math.log(sigma_data / base)
    times = times_for_ring_lam(schedule, ring)
    if not (0.0 < times[0] and times[-1] < 1.0) or np.any(np.diff(times) <= 0):
        raise ValueError(f"sigma_data={sigma_data!r}: the scaled grid's sigma range [{math.exp(-ring[-1]):g}, "
                         f"{math.exp(-ring[0]):g}] is not inside the schedule's (0, 1) in t")
    iv = Interval(float(times[0]), float(times[-1]))
    return schedule_grid(schedule, rate, param, iv, times=times, ring_lam=ring, **kw)
