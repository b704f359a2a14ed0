"""Grid families of issue 21 (numerics.schedule_grid: Karras rho = 7, EDM2's grid, EDM's sigma_data scaling of the
interval) and the held-out mixture family (numerics.mixture_family)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from derivations import REGISTRY, numeric
from derivations.registry import Interval
from numerics import uds
from numerics.mixture_family import held_out_mixtures, scaled, sigma_data, validation_mixtures
from numerics.gaussian_mixture import GaussianMixture
from numerics.schedule_grid import (GRID_FAMILIES, RANDOM_STEP_FLOOR, edm2_grid, edm2_interval, grid_family,
                                    interval_for_sigma_data, karras_grid, karras_log_snr, random_log_snr)

SCH, PAR, FLOW = REGISTRY.schedule("Logis"), REGISTRY.parameterization("Vel"), REGISTRY.rate("flow")


def _sigma(g):
    return torch.exp(-g.ring_lam).numpy()


@pytest.mark.parametrize("schedule", ["Logis", "Sech", "Normal"])
def test_karras_grid_is_uniform_in_sigma_to_the_one_over_rho(schedule):
    sch = REGISTRY.schedule(schedule)
    g = karras_grid(sch, FLOW, PAR, Interval(), 10)
    s = _sigma(g) ** (1 / 7)
    assert np.allclose(np.diff(s), np.diff(s).mean(), rtol=1e-9)
    ring = np.asarray(numeric(sch.ring_lam, "numpy")(g.times.numpy()), dtype=float)
    assert np.allclose(ring, g.ring_lam.numpy(), atol=1e-8)  # the nodes are the schedule's t for those sigmas
    assert g.times[0] == Interval().t0 and g.times[-1] == Interval().t_max
    # a different rho is a different grid (the check can fail)
    s3 = _sigma(karras_grid(sch, FLOW, PAR, Interval(), 10, rho=3.0)) ** (1 / 7)
    assert not np.allclose(np.diff(s3), np.diff(s3).mean(), rtol=1e-3)


def test_edm2_grid_sigma_range_and_spacing():
    g = edm2_grid(SCH, FLOW, PAR, 12)
    s = _sigma(g)
    assert s[0] == pytest.approx(80, rel=1e-9) and s[-1] == pytest.approx(0.002, rel=1e-9)
    assert np.allclose(np.diff(s ** (1 / 7)), np.diff(s ** (1 / 7)).mean(), rtol=1e-9)
    iv = edm2_interval(SCH)
    assert iv.t0 == pytest.approx(1 / 81, rel=1e-12) and iv.t_max == pytest.approx(1 / 1.002, rel=1e-12)
    s2 = _sigma(edm2_grid(SCH, FLOW, PAR, 12, sigma_data=1.0))  # EDM's convention: sigma range proportional
    assert np.allclose(s2, 2 * s, rtol=1e-9)
    s3 = _sigma(grid_family("edm2", SCH, FLOW, PAR, Interval(), 12, sigma_data=1.0))
    assert np.allclose(s3, 2 * s, rtol=1e-9)
    assert np.allclose(_sigma(grid_family("edm2", SCH, FLOW, PAR, Interval(), 12)), s, rtol=1e-12)


@pytest.mark.parametrize("kind", GRID_FAMILIES)
def test_sigma_data_scaling_makes_the_flow_equivariant(kind):
    """X -> c X with sigma_data = c: the flow's samples are exactly c times the unscaled ones on every family, and
    not on the unscaled grid."""
    mix = GaussianMixture.random(3, 4, seed=3, spread=1.0, scale=(0.2, 0.8))
    c = 30.0
    big = scaled(mix, c)
    g1 = grid_family(kind, SCH, FLOW, PAR, Interval(), 10, sigma_data=1.0, base_sigma_data=1.0)
    gc = grid_family(kind, SCH, FLOW, PAR, Interval(), 10, sigma_data=c, base_sigma_data=1.0)
    assert np.allclose(_sigma(gc), c * _sigma(g1), rtol=1e-9)
    y0 = mix.sample_noisy(64, g1.ring_lam[0], torch.Generator().manual_seed(0))
    a = uds.sample(mix.denoise, g1, y0, "pc2").y
    b = uds.sample(big.denoise, gc, c * y0, "pc2").y
    assert torch.allclose(b, c * a, rtol=1e-9, atol=1e-9 * c)
    g_plain = grid_family(kind, SCH, FLOW, PAR, Interval(), 10)  # not scaled: not equivariant
    y0p = mix.sample_noisy(64, g_plain.ring_lam[0], torch.Generator().manual_seed(0))
    bp = uds.sample(big.denoise, g_plain, c * y0p, "pc2").y
    assert not torch.allclose(bp, c * uds.sample(mix.denoise, g_plain, y0p, "pc2").y, rtol=1e-3)


@pytest.mark.parametrize("kind", GRID_FAMILIES)
def test_every_family_runs_on_every_held_out_mixture(kind):
    for name, mix in {**held_out_mixtures(), **validation_mixtures()}.items():
        g = grid_family(kind, SCH, FLOW, PAR, Interval(), 6, sigma_data=sigma_data(mix))
        assert math.isclose(float(torch.exp(-g.ring_lam[0])) / sigma_data(mix), 99 if kind != "edm2" else 160,
                            rel_tol=1e-9)
        y0 = mix.sample_noisy(8, g.ring_lam[0], torch.Generator().manual_seed(1))
        assert torch.isfinite(uds.sample(mix.denoise, g, y0, "pc2").y).all(), (kind, name)


def test_held_out_family_shapes():
    fam = held_out_mixtures()
    assert {m.d for m in fam.values()} >= {2, 16, 64}
    assert fam["aniso-d16"].full and fam["grid25-d2"].K == 25
    assert sigma_data(fam["x25-d64"]) > 10 and sigma_data(fam["x0.04-d32"]) < 0.1


def test_validation_family_is_new_and_broad():
    """The out-of-sample family shares no mixture with the one the default was chosen on, and spans d = 1 to 32,
    tight components (ring, 3-D lattice), very unequal weights and data scaled by 10."""
    val, held = validation_mixtures(), held_out_mixtures()
    assert not set(val) & set(held)
    assert {m.d for m in val.values()} == {1, 2, 3, 4, 16, 32}
    assert val["lattice27-d3"].K == 27 and val["ring12-d2"].K == 12 and val["aniso-d32"].full
    w = val["unequal-d4"].weights
    assert float(w.max() / w.min()) == pytest.approx(60.0)
    assert sigma_data(val["x10-d16"]) > 5


@pytest.mark.parametrize("call,match", [
    (lambda: interval_for_sigma_data(SCH, 0.0), "sigma_data must be positive"),
    (lambda: interval_for_sigma_data(SCH, float("nan")), "sigma_data must be positive"),
    (lambda: karras_log_snr(1.0, 0.5, 4), "sigma_min < sigma_max"),
    (lambda: karras_log_snr(0.1, 1.0, 0), "n_steps must be >= 1"),
    (lambda: karras_log_snr(0.1, 1.0, 4, rho=-1.0), "rho must be positive"),
    (lambda: grid_family("cosine", SCH, FLOW, PAR, Interval(), 4), "unknown grid family"),
    (lambda: interval_for_sigma_data(SCH, 1e300), "not inside the schedule"),
    (lambda: grid_family("karras", SCH, FLOW, PAR, Interval(), 4, sigma_data=-2.0), "sigma_data must be positive"),
    (lambda: grid_family("uniform-t", SCH, FLOW, PAR, Interval(), 4, sigma_data=1e300), "not inside the schedule"),
])
def test_bad_grid_inputs_are_one_line_errors(call, match):
    with pytest.raises(ValueError, match=match) as exc:
        call()
    assert "\n" not in str(exc.value)


def test_random_family_is_fixed_irregular_and_spans_the_interval():
    """The random log-SNR family: the same grid for the same number of steps, endpoints exact, increasing, steps of
    irregular lengths (neighbours up to several times apart) but none below the floor's share of the mean step."""
    a, b = random_log_snr(-4.6, 4.6, 20), random_log_snr(-4.6, 4.6, 20)
    assert np.array_equal(a, b) and not np.array_equal(a[:11], random_log_snr(-4.6, 4.6, 10))
    assert a[0] == -4.6 and a[-1] == 4.6 and np.all(np.diff(a) > 0)
    h = np.diff(a)
    assert (h[1:] / h[:-1]).max() > 3 and (h[1:] / h[:-1]).min() < 1 / 3
    assert h.min() > RANDOM_STEP_FLOOR / 4 * h.mean()
