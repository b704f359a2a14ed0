"""Exponential multistep UDS in log r (numerics.uds ms2/ms3/pc2/pc3, derivations.uds_multistep) and the
non-uniform grids they run on (numerics.schedule_grid times=/ring_lam=)."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
import torch

from derivations import REGISTRY
from derivations import uds_multistep as ums
from derivations.builtin import custom_rate
from derivations.registry import Interval
from numerics import uds, uds_methods
from numerics.gaussian_mixture import GaussianMixture
from numerics.schedule_grid import schedule_grid, times_for_ring_lam, uniform_log_snr_grid

PAR = REGISTRY.parameterization("Vel")
IV = Interval()
MS = uds_methods.names(family="multistep", flow_only=False)  # every rate (unipc: flow only)


# ------------------------------------------------------------------------------------------------
# Derivation: moments, weights, relations
# ------------------------------------------------------------------------------------------------


def test_kernel_moments_derivation_checks():
    assert all(ums.moments_check().values())
    assert all(ums.weights_check().values())


def test_order_four_weights_derived_and_exact():
    """The layouts of an order-4 method (predictor AB4, corrector AM5) come from the same derivation: the nodes
    0, -a, -(a + b), -(a + b + g2) and exactness for degree < nodes, symbolically."""
    assert ums.layout_nodes("AB4") == (0, -ums.a, -ums.a - ums.b, -ums.a - ums.b - ums.gap_symbol(2))
    assert ums.layout_names(4) == ("AB1", "AB2", "AB3", "AB4", "AM2", "AM3", "AM4", "AM5")
    assert all(ums.weights_check(["AB4", "AM5"]).values())


@pytest.mark.parametrize("name", ["AB0", "AM1", "XY3", "AB", "ABc"])
def test_unknown_layout_one_line_error(name):
    with pytest.raises(ValueError) as exc:
        ums.layout_nodes(name)
    assert "\n" not in str(exc.value) and name in str(exc.value)


def test_order_four_multistep_sampler_runs():
    """The sampler's multistep engine takes the order as a parameter: order 4 (with and without the corrector)
    runs, one evaluation per step, and moves closer to the exact flow map than order 3 on a fine grid."""
    from verify.claims.uds_torch import exact_gaussian_flow

    mix = GaussianMixture([1.0], [[0.5, -1.0, 2.0]], variances=[[0.25, 1.0, 4.0]])
    grid = uniform_log_snr_grid(REGISTRY.schedule("Sech"), REGISTRY.rate("flow"), PAR, Interval(0.1, 0.9), 64)
    y0 = mix.sample_noisy(8, grid.ring_lam[0], torch.Generator().manual_seed(1))
    exact = exact_gaussian_flow(mix, y0, grid.ring_lam[0], grid.ring_lam[-1])
    errs = {}
    for order in (3, 4):
        for corrector in (False, True):
            y, nfe = uds._multistep_sample(mix.denoise, grid, y0, order, corrector, None, lambda i, y: None, None,
                                           "corrector")
            assert nfe == grid.n_steps and torch.isfinite(y).all()
            errs[(order, corrector)] = float((y - exact).abs().max())
    assert errs[(4, True)] < errs[(3, True)], errs


@pytest.mark.parametrize("H", [1e-6, 1e-3, 0.2, 0.5, 0.9999, 1.0, 1.0001, 3.0, 12.0])
def test_kernel_moments_match_quadrature(H):
    """m_k(H) = int_0^1 v^k H e^{-H(1-v)}/(1 - e^{-H}) dv, by 30-digit quadrature, on both sides of the
    series/closed-form switch."""
    got = uds.kernel_moments(H, 4)  # m_4 too: the moments of an order-4 method
    with mp.workdps(30):
        Hm = mp.mpf(H)
        for k, g in zip((1, 2, 3, 4), got):
            ref = mp.quad(lambda v: v**k * Hm * mp.exp(-Hm * (1 - v)), [0, 1]) / (-mp.expm1(-Hm))
            # m_4's closed form just above the switch (H = 1.0001) cancels a little more: 2.2e-14 relative measured
            tol = 2e-14 if k < 4 else 5e-14
            assert abs(g - float(ref)) <= tol * abs(float(ref)), (H, k, g, ref)


@pytest.mark.parametrize("layout", [*ums.LAYOUTS, "AB4", "AM5"])  # order 4: a parameter, not a tuple size
def test_multistep_weights_integrate_polynomials_in_log_r(layout):
    """sum_j w_j P(x_j) = mean over r in [r_s, r_t] of P(log r) for polynomials of degree < nodes (mpmath): the
    order-4 layouts integrate every cubic (AB4) and quartic (AM5) exactly."""
    x_s, x_t = 0.3, 1.1
    past = [x_s, -0.2, -0.9, -1.4][: (int(layout[2:]) - (1 if layout.startswith("AM") else 0))]
    nodes = ([x_t] if layout.startswith("AM") else []) + past
    w = uds.multistep_weights(layout, past, x_s, x_t)
    assert len(w) == len(nodes)
    with mp.workdps(30):
        for deg in range(len(nodes)):
            ref = mp.quad(lambda x: (x - 0.5) ** deg * mp.exp(x), [x_s, x_t]) / (mp.exp(x_t) - mp.exp(x_s))
            got = sum(wj * (xj - 0.5) ** deg for wj, xj in zip(w, nodes))
            assert abs(got - float(ref)) < 1e-12, (layout, deg)


def test_relations_to_dpm_solver_and_unipc():
    rel = ums.relations()
    assert all(v["holds"] for v in rel.values()), [k for k, v in rel.items() if not v["holds"]]
    # what the derivation finds (see the module docstring)
    assert any("UniP-2 (bh2)" in k and v["equals_dpm++2m"] for k, v in rel.items())
    assert any("UniC-1 (bh2)" in k and not v["same_as_exact"] for k, v in rel.items())


def test_unipc_bh2_weights_in_uds_layouts():
    """UniPC (bh2, order 2) as UDS layouts: predictor slope h/2 (DPM-Solver++(2M)), first corrector the trapezoid."""
    w = ums.unipc_bh2_weights()
    assert sp.simplify(w["AB2"][0] - (1 + 1 / (2 * ums.a))) == 0 and sp.simplify(w["AB2"][1] + 1 / (2 * ums.a)) == 0
    assert w["AM2"] == (sp.Rational(1, 2), sp.Rational(1, 2))
    assert all(sp.simplify(sum(ws) - 1) == 0 for ws in w.values())  # a mean: weights sum to 1
    exact = ums.lambdified_weights("AB2")(0.7, 1.0, *uds.kernel_moments(0.9))
    bh2 = uds.multistep_weights("AB2", [0.0, -0.63], 0.0, 0.9, bh2=True)
    assert abs(bh2[1] - exact[1]) > 1e-3  # they differ at O(h^2): the exact slope is h/(1 - e^-h) - 1


def test_unipc_is_pc2_with_bh2_weights_and_flow_only():
    mix, grid, y0 = _setup("flow", n=10)
    a = uds.sample(mix.denoise, grid, y0, "unipc")
    b = uds.sample(mix.denoise, grid, y0, "pc2", final_order=1)
    assert a.nfe == b.nfe == 10 and not torch.allclose(a.y, b.y)  # same step, different weights
    _, grid_mse, _ = _setup("MSE", n=10)
    with pytest.raises(ValueError, match="flow"):
        uds.sample(mix.denoise, grid_mse, y0, "unipc")


# ------------------------------------------------------------------------------------------------
# The sampler
# ------------------------------------------------------------------------------------------------


def _setup(rate="flow", n=12, schedule="Logis", d=3):
    mix = GaussianMixture.random(3, d, seed=0)
    grid = schedule_grid(REGISTRY.schedule(schedule), REGISTRY.rate(rate), PAR, IV, n)
    y0 = mix.sample_noisy(32, grid.ring_lam[0], torch.Generator().manual_seed(0))
    return mix, grid, y0


def test_ms2_differs_from_dpm_solver_by_the_derived_weight():
    """Two flow steps: ms2 (startup "euler") and the project's DPM-Solver++(2M) differ after step 2 by
    (1 - e^-h)(c(h) - h/2)(X_s - X_p)/h_p with c(h) = h/(1 - e^-h) - 1 (derivations.uds_multistep.relations)."""
    mix, grid, y0 = _setup(n=2)
    a = uds.sample(mix.denoise, grid, y0, "ms2", startup="euler", final_order=None).y
    b = uds.sample(mix.denoise, grid, y0, "dpm++2m", final_order=None).y
    x0 = mix.denoise(y0, grid.ring_lam[0])
    y1 = uds.euler_step(grid, 0, y0, x0, None)
    x1 = mix.denoise(y1, grid.ring_lam[1])
    h, hp = float(grid.log_r[2] - grid.log_r[1]), float(grid.log_r[1] - grid.log_r[0])
    c = h / (-math.expm1(-h)) - 1
    expected = (-math.expm1(-h)) * (c - h / 2) * (x1 - x0) / hp
    assert torch.allclose(a - b, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("rate", list(REGISTRY.rates))
@pytest.mark.parametrize("method", MS)
def test_multistep_every_rate_finite_one_eval_per_step(rate, method):
    mix, grid, y0 = _setup(rate, n=7, schedule="Sech")
    res = uds.sample(mix.denoise, grid, y0, method, generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(res.y).all() and res.nfe == 7 and not torch.equal(res.y, y0)


def test_multistep_user_rate_and_nonuniform_grid():
    sch = REGISTRY.schedule("Sech")
    rate = custom_rate("test-rate-ms", 1 + 0 * REGISTRY.schedule("Sech").ring_lam)
    times = np.sort(np.concatenate([[0.01, 0.99], np.random.default_rng(0).uniform(0.02, 0.98, 9)]))
    grid = schedule_grid(sch, rate, PAR, IV, times=times)
    mix = GaussianMixture.random(3, 2, seed=1)
    y0 = mix.sample_noisy(16, grid.ring_lam[0], torch.Generator().manual_seed(0))
    for method in MS:
        res = uds.sample(mix.denoise, grid, y0, method, generator=torch.Generator().manual_seed(1))
        assert torch.isfinite(res.y).all() and res.nfe == 10


@pytest.mark.parametrize("method", [m for m in MS if not uds_methods.get(m).large_step_weights])
def test_multistep_flow_order_on_nonuniform_grid(method):
    """Order of the log-r multistep methods on a non-uniform (uniform in log-SNR) grid, against the exact
    flow map of Gaussian data (ladder 16, 32, 64, 128, least-squares slope).  The large-step methods are measured
    in tests/test_uds_large_step.py from 32 steps (pc2-ls: slope 1.78 on this ladder, 1.87 from 32; pre-asymptotic
    at 16)."""
    from verify.claims.uds_torch import exact_gaussian_flow

    mix = GaussianMixture([1.0], [[0.5, -1.0, 2.0]], variances=[[0.25, 1.0, 4.0]])
    sch, flow, iv = REGISTRY.schedule("Sech"), REGISTRY.rate("flow"), Interval(0.1, 0.9)
    ladder = (16, 32, 64, 128)
    errs = []
    for N in ladder:
        grid = uniform_log_snr_grid(sch, flow, PAR, iv, N)
        y0 = mix.sample_noisy(8, grid.ring_lam[0], torch.Generator().manual_seed(1))
        exact = exact_gaussian_flow(mix, y0, grid.ring_lam[0], grid.ring_lam[-1])
        errs.append(float((uds.sample(mix.denoise, grid, y0, method).y - exact).abs().max()))
    slope = -np.polyfit(np.log(ladder), np.log(errs), 1)[0]
    assert slope >= uds_methods.declared_order(method) - 0.2, (method, errs, slope)


def test_final_order_option():
    mix, grid, y0 = _setup(n=10)
    a = uds.sample(mix.denoise, grid, y0, "ms3", final_order=1).y
    b = uds.sample(mix.denoise, grid, y0, "ms3", final_order=None).y
    assert not torch.allclose(a, b)
    for bad in (0, "sometimes", 1.5):
        with pytest.raises(ValueError, match="final_order"):
            uds.sample(mix.denoise, grid, y0, "ms3", final_order=bad)
    with pytest.raises(ValueError, match="startup"):
        uds.sample(mix.denoise, grid, y0, "ms2", startup="rk4")


# ------------------------------------------------------------------------------------------------
# Non-uniform grids
# ------------------------------------------------------------------------------------------------


def test_explicit_times_reproduce_the_uniform_grid():
    sch, rate = REGISTRY.schedule("Logis"), REGISTRY.rate("MSE")
    a = schedule_grid(sch, rate, PAR, IV, 8)
    b = schedule_grid(sch, rate, PAR, IV, times=a.times.numpy())
    for f in ("times", "ring_lam", "log_r", "q", "beta"):
        assert torch.allclose(getattr(a, f), getattr(b, f), rtol=1e-14, atol=0), f


@pytest.mark.parametrize("schedule", list(REGISTRY.schedules))
def test_uniform_log_snr_grid_and_inverse(schedule):
    sch = REGISTRY.schedule(schedule)
    g = uniform_log_snr_grid(sch, REGISTRY.rate("ML"), PAR, IV, 12)
    d = torch.diff(g.ring_lam)
    assert torch.allclose(d, d.mean().expand_as(d), rtol=1e-12)
    ring = torch.as_tensor(np.asarray(
        __import__("derivations").numeric(sch.ring_lam, "numpy")(g.times.numpy()), dtype=float))
    assert torch.allclose(ring, g.ring_lam, atol=1e-8)
    ratio = torch.exp(g.ring_lam[:-1] - g.ring_lam[1:])
    assert torch.allclose(g.q, ratio**2, rtol=1e-12)  # ML: q = (ring-rho_s/ring-rho_t)^2 with the given nodes
    t2 = times_for_ring_lam(sch, g.ring_lam.numpy()[1:-1])
    assert np.allclose(t2, g.times.numpy()[1:-1], rtol=1e-12, atol=1e-15)


def test_edm2_like_sigma_grid():
    """A grid defined in sigma (EDM2's rho = 7 spacing on sigma in [0.002, 80]) for the Normal schedule
    (alpha = 1, sigma = exp(-ring-lambda)): times from the inverse, ring_lam = -log sigma used as given."""
    sch = REGISTRY.schedule("Normal")
    i = np.arange(33) / 32
    sig = (80 ** (1 / 7) + i * (0.002 ** (1 / 7) - 80 ** (1 / 7))) ** 7
    ring = -np.log(sig)
    times = times_for_ring_lam(sch, ring)
    iv = Interval(float(times[0]), float(times[-1]))
    g = schedule_grid(sch, REGISTRY.rate("flow"), REGISTRY.parameterization("F-pred"), iv, times=times, ring_lam=ring)
    assert torch.equal(g.ring_lam, torch.as_tensor(ring))
    mix = GaussianMixture.random(3, 2, seed=2)
    y0 = mix.sample_noisy(16, g.ring_lam[0], torch.Generator().manual_seed(0))
    assert torch.isfinite(uds.sample(mix.denoise, g, y0, "pc2").y).all()


@pytest.mark.parametrize("kw,match", [
    (dict(times=[0.5, 0.4]), "strictly increasing"),
    (dict(times=[0.0, 0.5]), "inside"),
    (dict(times=[0.2, float("nan")]), "inside"),
    (dict(times=[0.005, 0.5]), "interval"),
    (dict(times=[[0.1, 0.5]]), "1-D"),
    (dict(times=[0.1, 0.5], ring_lam=[0.0, 0.0]), "disagrees"),
    (dict(times=[0.1, 0.5], ring_lam=[0.0]), "values for"),
    (dict(ring_lam=[0.0, 1.0]), "needs the times"),
    (dict(times=[0.1, 0.3, 0.5], n_steps=5), "disagrees"),
])
def test_bad_grids_one_line_errors(kw, match):
    n = kw.pop("n_steps", None)
    with pytest.raises(ValueError, match=match) as exc:
        schedule_grid(REGISTRY.schedule("Logis"), REGISTRY.rate("ML"), PAR, IV, n, **kw)
    assert "\n" not in str(exc.value)


def test_rk_stages_on_log_snr_grid_for_quadrature_rate():
    """RK4 for the MSE-diffusion (lambda by quadrature, stage nodes by the inverse table) on a grid uniform in
    log-SNR: stage nodes inside their steps and finite samples (the table is refined at the grid's nodes)."""
    sch, rate = REGISTRY.schedule("Logis"), REGISTRY.rate("MSE")
    g = uniform_log_snr_grid(sch, rate, PAR, IV, 63)
    lam, _, noise = uds.stage_coefficients(g, 0.5)
    assert bool(((lam > g.ring_lam[:-1]) & (lam < g.ring_lam[1:])).all()) and torch.isfinite(noise).all()
    mix = GaussianMixture.random(3, 2, seed=0)
    y0 = mix.sample_noisy(64, g.ring_lam[0], torch.Generator().manual_seed(0))
    assert torch.isfinite(uds.sample(mix.denoise, g, y0, "rk4", generator=torch.Generator().manual_seed(1)).y).all()


def test_default_final_step():
    """Order-2 methods: first-order final step; order-3 methods: only where the last log r step is > 2x the one
    before (uniform-t Logis grid at 10 steps: yes; uniform log-SNR grid: no)."""
    mix, grid_t, y0 = _setup(n=10)
    grid_l = uniform_log_snr_grid(grid_t.schedule, grid_t.rate, PAR, IV, 10)
    for method in ("ms3", "pc2", "pc3"):
        assert torch.equal(uds.sample(mix.denoise, grid_t, y0, method).y,
                           uds.sample(mix.denoise, grid_t, y0, method, final_order=1).y)
        assert torch.equal(uds.sample(mix.denoise, grid_l, y0, method).y,
                           uds.sample(mix.denoise, grid_l, y0, method, final_order=None).y)
    for method in ("ms2", "dpm++2m"):
        assert torch.equal(uds.sample(mix.denoise, grid_l, y0, method).y,
                           uds.sample(mix.denoise, grid_l, y0, method, final_order=1).y)
