"""Every sampler against an independent hand-written one, on uneven grids (issue 23, item 1).

The project's samplers take their multistep weights from SymPy (:mod:`derivations.uds_multistep`, lambdified, the
series below H = 1) and their Adams weights from a Vandermonde solve.  Here each is rebuilt from the definition
by another route, with numpy only:

* **exponential multistep UDS in x = log r** (ms<k>, pc<k>, their large-step variants ``-ls``): every step is the
  UDS update of (13)/(14), Y_t = q Y_s + (1 - q) M + beta xi*, with M the mean over r uniform in [r_s, r_t] of the
  interpolant in log r of the denoiser values.  Here M is computed by Gauss-Legendre quadrature *in r* of the
  Lagrange interpolant (no kernel, no moments, no series); the large-step weights solve the moment conditions
  sum_j w_j v_j^i = m_i with m_i by quadrature for i < k - 1 and the top one frozen at 1/k (the mean of v^{k-1}
  over [0, 1], the H -> 0 limit), as :mod:`derivations.uds_large_step` states them;
* **Adams-Bashforth in r** (ab2, ab3): the same mean of the Lagrange interpolant *in r*, by quadrature; ab3 starts
  with HeunUDS (15);
* **DDPM** by conditioning the joint Gaussian of (z_s, z_t) given x (a 2 x 2 covariance solved numerically),
  **DDIM** by its deterministic map z_t = alpha_t x + sigma_t (z_s - alpha_s x)/sigma_s.

The control flow of the multistep methods is the specification of :func:`numerics.uds._multistep_sample`: the
predictor's order rises one per step, the corrector (AM, one order more, at most the history) uses the fresh value
at the predicted state and keeps it as the next step's history, the final step is a predictor of order
min(order, final_order).  The data is a three-component mixture in d = 2 (a nonlinear denoiser, so every weight
matters), the grids have 6 steps whose consecutive log r ratios all differ, and the noise xi* is fixed per step.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from derivations import REGISTRY, Interval
from derivations import uds_large_step as uls
from derivations.registry import numeric
from numerics import uds, uds_methods
from numerics.gaussian_mixture import GaussianMixture
from numerics.schedule_grid import lambda_values, schedule_grid

IV = Interval(0.08, 0.93)
N_STEPS = 6
GL_NODES, GL_WEIGHTS = np.polynomial.legendre.leggauss(40)


def _uneven_times(n: int) -> np.ndarray:
    u = np.linspace(0.0, 1.0, n + 1)
    u = u + 0.35 * u * (1 - u) * np.sin(5 * u + 0.3)
    return IV.t0 + (IV.t_max - IV.t0) * u


def _mixture() -> GaussianMixture:
    return GaussianMixture([0.5, 0.3, 0.2], [[1.2, -0.4], [-0.9, 0.8], [0.1, 1.5]],
                           variances=[[0.05, 0.2], [0.3, 0.04], [0.1, 0.1]])


def _grid(schedule: str, rate: str):
    return schedule_grid(REGISTRY.schedule(schedule), REGISTRY.rate(rate), REGISTRY.parameterization("Vel"), IV,
                         times=_uneven_times(N_STEPS))


def _start_and_noise(grid, n_rows: int = 5):
    gen = torch.Generator().manual_seed(7)
    mix = _mixture()
    y0 = mix.sample_noisy(n_rows, grid.ring_lam[0], gen)
    xis = [torch.randn(n_rows, mix.d, generator=gen, dtype=torch.float64) for _ in range(grid.n_steps)]
    return y0, xis


# ------------------------------------------------------------------------------------------------
# The means, by quadrature
# ------------------------------------------------------------------------------------------------


def _lagrange_at(nodes: np.ndarray, points: np.ndarray) -> np.ndarray:
    """L[j, p] = L_j(points[p]) for the Lagrange basis through ``nodes``."""
    out = np.ones((len(nodes), len(points)))
    for j, nj in enumerate(nodes):
        for m, nm in enumerate(nodes):
            if m != j:
                out[j] *= (points - nm) / (nj - nm)
    return out


def _uniform_r_points(r_s: float, r_t: float) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre points in r on [r_s, r_t] and weights of the uniform mean over that interval."""
    r = r_s + (r_t - r_s) * (GL_NODES + 1) / 2
    return r, GL_WEIGHTS / 2


def mean_weights_log_r(x_nodes, x_s: float, x_t: float, large_step: bool = False) -> np.ndarray:
    """Weights of sum_j w_j X_j = mean over r uniform in [e^{x_s}, e^{x_t}] of the interpolant in x = log r through
    ``x_nodes``; with ``large_step`` the top moment (of v = (x - x_s)/H) is replaced by 1/k."""
    x_nodes = np.asarray(x_nodes, dtype=float)
    r, wq = _uniform_r_points(math.exp(x_s), math.exp(x_t))
    x = np.log(r)
    if not large_step or len(x_nodes) < 2:
        return _lagrange_at(x_nodes, x) @ wq
    k, H = len(x_nodes), x_t - x_s
    v_nodes, v = (x_nodes - x_s) / H, (x - x_s) / H
    moments = np.array([(v**i) @ wq for i in range(k)])
    moments[k - 1] = 1.0 / k
    return np.linalg.solve(np.vander(v_nodes, k, increasing=True).T, moments)


def mean_weights_r(r_nodes, r_s: float, r_t: float) -> np.ndarray:
    """Weights of the mean over r in [r_s, r_t] of the interpolant in r through ``r_nodes`` (Adams in r)."""
    r, wq = _uniform_r_points(r_s, r_t)
    return _lagrange_at(np.asarray(r_nodes, dtype=float), r) @ wq


def test_quadrature_means_are_exact_where_they_must_be():
    """The reference itself: the log-r weights integrate the interpolant of polynomials in log r exactly (checked
    against closed-form integrals), the large-step weights reproduce degree < k - 1 and differ at degree k - 1."""
    x_s, x_t, nodes = -0.3, 0.9, [-0.3, -0.8, -1.5]
    r_s, r_t = math.exp(x_s), math.exp(x_t)
    w = mean_weights_log_r(nodes, x_s, x_t)
    # mean over r of (log r)^2: [r (log^2 r - 2 log r + 2)] / (r_t - r_s)
    antider = lambda r: r * (math.log(r) ** 2 - 2 * math.log(r) + 2)  # noqa: E731
    assert abs(w @ np.array(nodes) ** 2 - (antider(r_t) - antider(r_s)) / (r_t - r_s)) < 1e-13
    assert abs(w.sum() - 1) < 1e-14
    ls = mean_weights_log_r(nodes, x_s, x_t, large_step=True)
    v = (np.array(nodes) - x_s) / (x_t - x_s)
    assert abs(ls.sum() - 1) < 1e-14 and abs(ls @ v - w @ v) < 1e-13
    assert abs(ls @ v**2 - 1 / 3) < 1e-13 and abs(w @ v**2 - 1 / 3) > 1e-2
    wr = mean_weights_r([1.5, 1.2, 0.9], 1.5, 2.0)
    assert abs(wr @ np.array([1.5, 1.2, 0.9]) ** 2 - (2.0**3 - 1.5**3) / 3 / 0.5) < 1e-13


# ------------------------------------------------------------------------------------------------
# Hand-written samplers
# ------------------------------------------------------------------------------------------------


def _uds_update(grid, i, y, mean, xi):
    """(13)/(14): Y_t = q Y_s + (1 - q) M + beta xi* (no noise for the flow)."""
    q = float(grid.q[i])
    out = q * y + (1 - q) * mean
    return out if grid.is_flow else out + float(grid.beta[i]) * xi


def _combine(weights, values):
    return sum(float(w) * v for w, v in zip(weights, values))


def hand_multistep(den, grid, y0, xis, *, order, corrector, large_step, final_order, same_order_corrector=False,
                   startup_corrector=True, history_shift=0.0):
    x = [float(v) for v in grid.log_r]
    lam = grid.ring_lam
    hist = [(x[0], den(y0, lam[0]))]  # (log r, X_hat), newest first
    y, n = y0, grid.n_steps
    for i in range(n):
        final = i == n - 1
        k = min(order, i + 1)
        if final and final_order is not None:
            k = max(1, min(k, final_order))
        past = hist[:k]
        w = mean_weights_log_r([xj for xj, _ in past], x[i], x[i + 1], large_step)
        y_pred = _uds_update(grid, i, y, _combine(w, [v for _, v in past]), xis[i])
        if final:
            return y_pred
        fresh = den(y_pred, lam[i + 1])
        if corrector or (i == 0 and startup_corrector):
            kc = min(k + 1, len(hist) + 1)
            if same_order_corrector:
                kc = max(2, min(kc, k))
            nodes = [(x[i + 1], fresh)] + hist[:kc - 1]
            w = mean_weights_log_r([xj for xj, _ in nodes], x[i], x[i + 1], large_step)
            y = _uds_update(grid, i, y, _combine(w, [v for _, v in nodes]), xis[i])
            fresh = fresh + history_shift * (y - y_pred)  # the history value (pc2-lsh: kappa = 1/2)
        else:
            y = y_pred
        hist = ([(x[i + 1], fresh)] + hist)[:order]
    return y


def hand_heun(den, grid, i, y, xi, x_s):
    y_euler = _uds_update(grid, i, y, x_s, xi)
    return _uds_update(grid, i, y, (x_s + den(y_euler, grid.ring_lam[i + 1])) / 2, xi)


def hand_adams_r(den, grid, y0, xis, *, order):
    r = [math.exp(float(v)) for v in grid.log_r]
    hist, y = [], y0
    for i in range(grid.n_steps):
        x_s = den(y, grid.ring_lam[i])
        hist = ([(r[i], x_s)] + hist)[:order]
        if order == 3 and i == 0:
            y = hand_heun(den, grid, i, y, xis[i], x_s)
            continue
        w = mean_weights_r([rj for rj, _ in hist], r[i], r[i + 1])
        y = _uds_update(grid, i, y, _combine(w, [v for _, v in hist]), xis[i])
    return y


def _gaussian_posterior_step(z_s, x, a_s, s_s, a_t, s_t, noise):
    """z_t | (z_s, x) for the forward process z_s = (a_s/a_t) z_t + sqrt(s_s^2 - (a_s/a_t)^2 s_t^2) eps, by
    conditioning the joint Gaussian of (z_t, z_s) given x: Cov = [[s_t^2, c], [c, s_s^2]], c = (a_s/a_t) s_t^2."""
    cov = np.array([[s_t**2, a_s / a_t * s_t**2], [a_s / a_t * s_t**2, s_s**2]])
    gain = cov[0, 1] / cov[1, 1]
    var = cov[0, 0] - gain * cov[1, 0]
    return a_t * x + gain * (z_s - a_s * x) + math.sqrt(var) * noise


def hand_native(name, den, grid, y0, xis):
    a, s = uds.alpha_sigma(grid.schedule, grid.times)
    y = y0
    for i in range(grid.n_steps):
        a_s, s_s, a_t, s_t = float(a[i]), float(s[i]), float(a[i + 1]), float(s[i + 1])
        x = den(y, grid.ring_lam[i])
        if name == "ddpm":
            z_t = _gaussian_posterior_step(a_s * y, x, a_s, s_s, a_t, s_t, xis[i])
        else:  # ddim
            z_t = a_t * x + s_t * (a_s * y - a_s * x) / s_s
        y = z_t / a_t
    return y


# ------------------------------------------------------------------------------------------------
# The comparisons
# ------------------------------------------------------------------------------------------------

MULTISTEP = [m.name for m in uds_methods.members(family="multistep") if not m.bh2_weights]
RATES = ["flow", "ML", "MSE"]


def _project(method, grid, y0, xis, **options):
    return uds.sample(_mixture().denoise, grid, y0, method, noise=lambda i, y: xis[i], **options).y


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def test_the_grid_is_uneven():
    """Consecutive log r steps all differ (a ratio h/h_prev bug, or equal-step weights, would show)."""
    for rate in RATES:
        h = np.diff(_grid("Logis", rate).log_r.numpy())
        ratios = h[1:] / h[:-1]
        assert len(h) == N_STEPS >= 3 and np.all(np.abs(np.diff(ratios)) > 0.02), (rate, ratios)


@pytest.mark.parametrize("final_order", [None, 1])
@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("method", MULTISTEP)
def test_multistep_sampler_matches_hand_written(method, rate, final_order):
    rec = uds_methods.get(method)
    grid = _grid("Logis", rate)
    y0, xis = _start_and_noise(grid)
    want = hand_multistep(_mixture().denoise, grid, y0, xis, order=rec.multistep_order, corrector=rec.corrector,
                          large_step=rec.large_step_weights, final_order=final_order,
                          same_order_corrector=rec.same_order_corrector,
                          history_shift=float(uls.HISTORY_SHIFT) if rec.history_shift else 0.0)
    got = _project(method, grid, y0, xis, final_order=final_order)
    assert _rel(got, want) < 1e-11, (method, rate, final_order, _rel(got, want))


@pytest.mark.parametrize("method", ["ms2", "ms3"])
def test_multistep_euler_startup_matches_hand_written(method):
    rec = uds_methods.get(method)
    grid = _grid("Sech", "ML")
    y0, xis = _start_and_noise(grid)
    want = hand_multistep(_mixture().denoise, grid, y0, xis, order=rec.multistep_order, corrector=False,
                          large_step=False, final_order=None, startup_corrector=False)
    got = _project(method, grid, y0, xis, final_order=None, startup="euler")
    assert _rel(got, want) < 1e-11


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("method", ["ab2", "ab3"])
def test_adams_in_r_matches_hand_written(method, rate):
    grid = _grid("Logis", rate)
    y0, xis = _start_and_noise(grid)
    want = hand_adams_r(_mixture().denoise, grid, y0, xis, order=uds_methods.get(method).multistep_order)
    assert _rel(_project(method, grid, y0, xis), want) < 1e-11


@pytest.mark.parametrize("schedule", ["Logis", "Sech"])
@pytest.mark.parametrize("method", ["ddpm", "ddim"])
def test_ddpm_and_ddim_match_gaussian_conditioning(method, schedule):
    grid = _grid(schedule, "flow" if method == "ddim" else "ML")
    y0, xis = _start_and_noise(grid)
    want = hand_native(method, _mixture().denoise, grid, y0, xis)
    assert _rel(_project(method, grid, y0, xis), want) < 1e-11


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("method", ["euler", "heun"])
def test_euler_and_heun_match_hand_written(method, rate):
    """EulerUDS (14) and HeunUDS (15), step by step."""
    grid = _grid("Sech", rate)
    y0, xis = _start_and_noise(grid)
    den, y = _mixture().denoise, y0
    for i in range(grid.n_steps):
        x_s = den(y, grid.ring_lam[i])
        y = _uds_update(grid, i, y, x_s, xis[i]) if method == "euler" else hand_heun(den, grid, i, y, xis[i], x_s)
    assert _rel(_project(method, grid, y0, xis), y) < 1e-12


@pytest.mark.parametrize("method", ["ms3", "pc3-ls", "ab3"])
def test_the_hand_written_reference_tells_orders_and_weights_apart(method):
    """The comparison can fail: the reference with the neighbouring order, or the other weight family, differs from
    the project's output by far more than the tolerance (here on the flow, where no noise masks a weight)."""
    rec = uds_methods.get(method)
    grid = _grid("Logis", "flow")
    y0, xis = _start_and_noise(grid)
    got = _project(method, grid, y0, xis, final_order=None) if rec.family == "multistep" else _project(method, grid,
                                                                                                         y0, xis)
    den = _mixture().denoise
    if rec.family == "multistep":
        other_order = hand_multistep(den, grid, y0, xis, order=rec.multistep_order - 1, corrector=rec.corrector,
                                     large_step=rec.large_step_weights, final_order=None)
        other_weights = hand_multistep(den, grid, y0, xis, order=rec.multistep_order, corrector=rec.corrector,
                                       large_step=not rec.large_step_weights, final_order=None)
    else:
        other_order = hand_adams_r(den, grid, y0, xis, order=2)
        other_weights = hand_multistep(den, grid, y0, xis, order=3, corrector=False, large_step=False,
                                       final_order=None, startup_corrector=False)
    assert _rel(got, other_order) > 1e-6 and _rel(got, other_weights) > 1e-6


@pytest.mark.parametrize("rate", RATES)
def test_the_hand_written_reference_tells_history_shifts_apart(rate):
    """pc2-lsh against the reference without its history shift and with twice it: both differ by far more than the
    tolerance (the comparison above can fail on the shift)."""
    rec = uds_methods.get("pc2-lsh")
    grid = _grid("Logis", rate)
    y0, xis = _start_and_noise(grid)
    got = _project("pc2-lsh", grid, y0, xis)
    for shift in (0.0, 2 * float(uls.HISTORY_SHIFT)):
        other = hand_multistep(_mixture().denoise, grid, y0, xis, order=2, corrector=True, large_step=True,
                               final_order=rec.default_final_order, same_order_corrector=True, history_shift=shift)
        assert _rel(got, other) > 1e-6, (rate, shift, _rel(got, other))


# ------------------------------------------------------------------------------------------------
# Runge-Kutta stage nodes: lambda at a stage (the MSE-diffusion near t0)
# ------------------------------------------------------------------------------------------------


def _stage_point(grid, i: int, c: float) -> tuple[float, float]:
    """(lambda_k, ring-lambda_k) at r_k = r_s + c (r_t - r_s): the node's time by bisection of
    log r(t) = lambda(t) + ring-lambda(t) (lambda from the grid's route at two points, ring-lambda from the schedule)."""
    times = grid.times.numpy()
    ring = numeric(grid.schedule.ring_lam, "numpy")

    def lam(t):
        return float(lambda_values(grid.route, grid.schedule, np.array([times[0], t]))[1])

    r_s, r_t = math.exp(float(grid.log_r[i])), math.exp(float(grid.log_r[i + 1]))
    target = math.log(r_s + c * (r_t - r_s))
    lo, hi = times[i], times[i + 1]
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if lam(mid) + float(ring(mid)) < target else (lo, mid)
    t_k = (lo + hi) / 2
    return lam(t_k), float(ring(t_k))


@pytest.mark.parametrize("rate", ["ML", "MSE"])
def test_stage_lambda_keeps_small_increments(rate):
    """At a stage node r_k = r_s + c (r_t - r_s) the stage's lambda_k - lambda_s, against the closed form at the node's
    time (:func:`_stage_point`), to 1e-3 relative, on a fine grid near t0 on the default interval, where lambda grows
    3e4 times slower than ring-lambda under MSE.  It failed (negative, rho_s/rho_k > 1, a NaN stage noise and a NaN
    Ralston sample) while lambda_k was log r_k - ring-lambda(t*)."""
    grid = schedule_grid(REGISTRY.schedule("Logis"), REGISTRY.rate(rate), REGISTRY.parameterization("Vel"),
                         Interval(), 256)
    for c in (1 / 3, 1 / 2, 2 / 3):
        ring_k, _, noise = uds.stage_coefficients(grid, c)
        assert bool(torch.isfinite(noise).all()) and bool((noise >= 0).all()), (rate, c)
        for i in (0, 1, 2, 100):
            r_s, r_t = math.exp(float(grid.log_r[i])), math.exp(float(grid.log_r[i + 1]))
            target = math.log(r_s + c * (r_t - r_s))  # log r at the stage node
            lam_exact, ring_exact = _stage_point(grid, i, c)
            exact_inc = lam_exact - float(grid.lam[i])
            split_lam, split_ring = grid.lam_ring_at_log_r(torch.tensor(target, dtype=torch.float64))
            got_inc = float(split_lam) - float(grid.lam[i])
            assert exact_inc > 0 and abs(got_inc - exact_inc) <= 1e-3 * exact_inc, (rate, c, i, got_inc, exact_inc)
            assert abs(float(split_ring) - float(ring_k[i])) < 1e-12
            assert abs(float(split_ring) - ring_exact) < 1e-6 * (1 + abs(float(split_ring)))


def test_ralston_under_mse_is_finite_on_a_fine_grid():
    """The sample that came out NaN (Ralston's stage at c = 2/3 under MSE, 256 steps on the default interval)."""
    grid = schedule_grid(REGISTRY.schedule("Logis"), REGISTRY.rate("MSE"), REGISTRY.parameterization("Vel"),
                         Interval(), 256)
    y0 = _mixture().sample_noisy(8, grid.ring_lam[0], torch.Generator().manual_seed(3))
    out = uds.sample(_mixture().denoise, grid, y0, "ralston", generator=torch.Generator().manual_seed(4)).y
    assert bool(torch.isfinite(out).all())


# ------------------------------------------------------------------------------------------------
# lambda by quadrature across a kink of a piecewise rate
# ------------------------------------------------------------------------------------------------


def test_quadrature_lambda_across_the_normal_schedules_mse_kink():
    """The MSE rate of the Normal schedule is piecewise: Max(0, g) with g touching 0 at t* ~ 0.97725 (a kink).  The
    grid's lambda over the step containing t* equals the integral split at t* (mpmath, 20 digits; t* from a
    ternary search on g) to 1e-12; an unsplit tanh-sinh quadrature, the grids' route before, was off by 2.8e-6."""
    import mpmath as mp
    import sympy as sp

    from numerics.schedule_grid import lambda_integral

    sch, rate = REGISTRY.schedule("Normal"), REGISTRY.rate("MSE")
    route = lambda_integral(sch, rate, REGISTRY.parameterization("Vel"), Interval())
    assert route.kind == "quad"
    (kink,) = [m for m in route.rate.atoms(sp.Max)]
    g = sp.lambdify(list(route.rate.free_symbols), [a for a in kink.args if a != 0][0], "mpmath")
    a, b = 0.892, 0.99
    with mp.workdps(30):
        lo, hi = mp.mpf("0.975"), mp.mpf("0.979")
        for _ in range(90):
            m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
            lo, hi = (lo, m2) if g(m1) < g(m2) else (m1, hi)
        t_star = (lo + hi) / 2
        assert a < t_star < b and abs(g(t_star)) < 1e-20  # the kink is inside the step
        f = numeric(route.rate, "mpmath")
        split = mp.quad(f, [a, t_star, b])
        unsplit = mp.quad(f, [a, b])
    lam = lambda_values(route, sch, np.array([a, b]))
    assert abs(lam[1] - float(split)) < 1e-12 * float(split), (lam[1], float(split))
    assert abs(float(unsplit - split)) > 1e-7  # the case separates the routes


# ------------------------------------------------------------------------------------------------
# Runge-Kutta tableaus in UDS form under the diffusions, stage by stage
# ------------------------------------------------------------------------------------------------


def hand_rk(den, grid, y0, xis, tableau):
    """Each stage k at r_k = r_s + c_k (r_t - r_s): Y_k = q_sk Y_s + (1 - q_sk) sum_j (a_kj/c_k) X_j + n_k xi*, with
    q_sk = r_s/r_k, n_k = (beta_sk^2/beta_st)(r_k/r_t) the bridge mean of the step's noise, beta_sk =
    ring-rho_k^{-1} sqrt(1 - rho_s^2/rho_k^2); the step Y_t = q_st Y_s + (1 - q_st) sum_k b_k X_k + beta_st xi*."""
    y = y0
    for i in range(grid.n_steps):
        r_s, r_t = math.exp(float(grid.log_r[i])), math.exp(float(grid.log_r[i + 1]))
        lam_s = float(grid.lam[i])
        beta_st = float(grid.beta[i])
        xs = []
        for ck, row in zip(tableau.c, tableau.a):
            if ck == 0.0:
                y_k, ring_k = y, float(grid.ring_lam[i])
            else:
                lam_k, ring_k = _stage_point(grid, i, ck)
                r_k = r_s + ck * (r_t - r_s)
                q_sk = r_s / r_k
                beta_sk = math.exp(-ring_k) * math.sqrt(-math.expm1(-2 * (lam_k - lam_s)))
                mean = _combine([a / ck for a in row], xs)
                y_k = q_sk * y + (1 - q_sk) * mean + (beta_sk**2 / beta_st) * (r_k / r_t) * xis[i]
            xs.append(den(y_k, torch.tensor(ring_k, dtype=torch.float64)))
        q_st = r_s / r_t
        y = q_st * y + (1 - q_st) * _combine(tableau.b, xs) + beta_st * xis[i]
    return y


@pytest.mark.parametrize("rate", ["ML", "MSE"])
@pytest.mark.parametrize("method", [m.name for m in uds_methods.members(family="runge-kutta")
                                    if m.tableau.stages > 2])
def test_runge_kutta_tableaus_match_hand_written_under_the_diffusions(method, rate):
    grid = _grid("Logis", rate)
    y0, xis = _start_and_noise(grid)
    want = hand_rk(_mixture().denoise, grid, y0, xis, uds_methods.get(method).tableau)
    got = _project(method, grid, y0, xis)
    assert _rel(got, want) < 1e-11, (method, rate, _rel(got, want))
