"""Gaussian-mixture denoiser: exactness, endpoint stability, moments, devices (numerics.gaussian_mixture)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from derivations import REGISTRY, numeric
from numerics.gaussian_mixture import GaussianMixture


def test_one_component_closed_form_diagonal():
    m = torch.tensor([[0.3, -1.0, 2.0]], dtype=torch.float64)
    v = torch.tensor([[0.5, 2.0, 0.1]], dtype=torch.float64)
    mix = GaussianMixture([1.0], m, variances=v)
    y = torch.randn(50, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 3
    for lam in (-3.0, 0.0, 2.5):
        tau2 = math.exp(-2 * lam)
        expected = m + v / (v + tau2) * (y - m)
        assert torch.allclose(mix.denoise(y, lam), expected, rtol=1e-13, atol=1e-13)


def test_one_component_closed_form_full_covariance():
    A = torch.randn(4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    S = A @ A.T + 0.1 * torch.eye(4, dtype=torch.float64)
    m = torch.randn(1, 4, dtype=torch.float64)
    mix = GaussianMixture([1.0], m, covariances=S[None])
    y = torch.randn(20, 4, dtype=torch.float64)
    lam = 0.7
    tau2 = math.exp(-2 * lam)
    gainT = torch.linalg.solve(S + tau2 * torch.eye(4, dtype=torch.float64), S)  # (S + tau^2)^{-1} S = gain^T
    expected = m + (y - m) @ gainT
    assert torch.allclose(mix.denoise(y, lam), expected, rtol=1e-11, atol=1e-11)


def test_full_equals_diagonal_when_covariances_diagonal():
    mix_d = GaussianMixture.random(5, 3, seed=4)
    mix_f = GaussianMixture(mix_d.weights, mix_d.means, covariances=torch.diag_embed(mix_d.eigvals))
    y = mix_d.sample_noisy(100, 0.2, torch.Generator().manual_seed(2))
    assert torch.allclose(mix_d.denoise(y, 0.2), mix_f.denoise(y, 0.2), rtol=1e-12, atol=1e-12)


def test_two_component_1d_posterior_mean_by_quadrature():
    w, mu, var = np.array([0.3, 0.7]), np.array([-1.0, 1.5]), np.array([0.2, 0.5])
    mix = GaussianMixture(w, mu[:, None], variances=var[:, None])
    x = np.linspace(-12, 12, 200001)
    px = sum(wk * np.exp(-(x - mk) ** 2 / (2 * vk)) / np.sqrt(2 * np.pi * vk) for wk, mk, vk in zip(w, mu, var))
    for lam in (-1.0, 0.0, 1.5):
        tau2 = math.exp(-2 * lam)
        for y in (-2.0, 0.1, 0.9, 3.0):
            like = np.exp(-(y - x) ** 2 / (2 * tau2))
            expected = np.trapezoid(x * px * like, x) / np.trapezoid(px * like, x)
            got = float(mix.denoise(torch.tensor([[y]], dtype=torch.float64), lam))
            assert abs(got - expected) < 1e-9, (lam, y, got, expected)


def test_eps_hat_definition():
    mix = GaussianMixture.random(3, 2, seed=0)
    y = mix.sample_noisy(10, 0.4)
    rr = math.exp(0.4)
    assert torch.allclose(mix.eps_hat(y, 0.4), rr * (y - mix.denoise(y, 0.4)))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("schedule", list(REGISTRY.schedules))
def test_endpoint_stability(schedule, dtype):
    mix = GaussianMixture.random(8, 3, seed=5, dtype=dtype)
    ring_lam = numeric(REGISTRY.schedule(schedule).ring_lam, "torch")
    g = torch.Generator().manual_seed(0)
    for tt in (1e-6, 1 - 1e-6):
        lam = ring_lam(torch.tensor(tt, dtype=torch.float64)).to(dtype)
        assert torch.isfinite(lam)
        y = mix.sample_noisy(256, lam, g)
        x_hat = mix.denoise(y, lam)
        assert torch.isfinite(x_hat).all(), (schedule, tt, dtype)
        ref = mix.to(dtype=torch.float64).denoise(y.double(), lam.double())
        tol = 1e-10 if dtype == torch.float64 else 1e-3
        assert (x_hat.double() - ref).abs().max() <= tol * (1 + ref.abs().max())
        if float(lam) < -8:  # pure noise: the posterior mean is the prior mean
            assert torch.allclose(x_hat.double(), mix.mean().double().expand_as(x_hat), atol=1e-2)
        elif float(lam) > 8:  # no noise: the posterior mean is y
            assert torch.allclose(x_hat.double(), y.double(), atol=1e-2)


def test_exact_moments_match_samples():
    mix = GaussianMixture.random(4, 2, seed=9, full=True)
    x = mix.sample(200000, torch.Generator().manual_seed(3))
    assert torch.allclose(x.mean(0), mix.mean(), atol=2e-2)
    assert torch.allclose(torch.cov(x.T), mix.covariance(), atol=5e-2)
    mu, C = mix.marginal_moments(0.0)
    assert torch.allclose(C - mix.covariance(), torch.eye(2, dtype=torch.float64))


def test_log_density_normalised_1d():
    mix = GaussianMixture([0.4, 0.6], [[-1.0], [2.0]], variances=[[0.3], [0.1]])
    y = torch.linspace(-15, 15, 30001, dtype=torch.float64)[:, None]
    p = torch.exp(mix.log_density_noisy(y, 0.3))
    assert abs(float(torch.trapezoid(p, y[:, 0])) - 1) < 1e-8


def test_batched_noise_levels_match_scalar():
    mix = GaussianMixture.random(3, 2, seed=1)
    y = mix.sample_noisy(6, 0.0)
    lams = torch.linspace(-2, 2, 6, dtype=torch.float64)
    per_row = mix.denoise(y, lams)
    for i in range(6):
        assert torch.allclose(per_row[i], mix.denoise(y[i:i + 1], lams[i])[0])


def test_chunking_gives_same_result():
    mix = GaussianMixture.random(4, 3, seed=2)
    y = mix.sample_noisy(1000, 0.1)
    assert torch.allclose(mix.denoise(y, 0.1), mix.denoise(y, 0.1, chunk_elements=100), rtol=0, atol=1e-14)


@pytest.mark.gpu
def test_cuda_matches_cpu():
    mix = GaussianMixture.random(8, 4, seed=3)
    y = mix.sample_noisy(1000, 0.3)
    gpu = mix.to(device="cuda")
    out = gpu.denoise(y.cuda(), 0.3).cpu()
    assert torch.allclose(out, mix.denoise(y, 0.3), rtol=1e-10, atol=1e-10)
    gpu32 = mix.to(device="cuda", dtype=torch.float32)
    assert torch.isfinite(gpu32.denoise(y.float().cuda(), 0.3)).all()


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("schedule", ["Logis", "Normal", "Sech"])
def test_fast_path_matches_reference_float64(full, schedule):
    """The default (fast, matmul) path equals the reference direct form in float64: at the endpoint log-SNRs
    t = 1e-6, 1 - 1e-6 and in between, for samples and for points far from every mean."""
    mix = GaussianMixture.random(16, 12, seed=6, full=full)
    ring_lam = numeric(REGISTRY.schedule(schedule).ring_lam, "torch")
    g = torch.Generator().manual_seed(4)
    for tt in (1e-6, 0.3, 0.5, 0.9, 1 - 1e-6):
        lam = ring_lam(torch.tensor(tt, dtype=torch.float64))
        y = mix.sample_noisy(400, lam, g)
        far = mix.means[0] + 300 * torch.randn(100, 12, generator=g, dtype=torch.float64)  # |y - mu| ~ 1e3
        for pts in (y, far):
            a = mix.denoise(pts, lam)
            b = mix.denoise_reference(pts, lam)
            assert torch.isfinite(a).all()
            assert (a - b).abs().max() <= 1e-11 * (1 + b.abs().max()), (full, schedule, tt)


def test_fast_path_centred_when_data_far_from_origin():
    """Means at 1e4 from the origin and tight components: the uncentred expansion y^2 C - 2 y C mu + mu C mu
    would cancel ~8 digits; the centred fast path matches the reference to 1e-9 (relative to the spread)."""
    base = GaussianMixture.random(6, 4, seed=2, scale=(0.05, 0.1))
    mix = GaussianMixture(base.weights, base.means + 1e4, variances=base.eigvals)
    y = mix.sample_noisy(500, 2.0, torch.Generator().manual_seed(0))
    a, b = mix.denoise(y, 2.0), mix.denoise_reference(y, 2.0)
    assert (a - b).abs().max() <= 1e-9
    # the naive expansion (no centring), written out here to show what the centring avoids
    z = mix.log_eigvals + 4.0
    prec = torch.exp(4.0 - torch.nn.functional.softplus(z))
    quad = (y * y) @ prec.T - 2 * y @ (prec * mix.means).T + (prec * mix.means**2).sum(1)
    exact = ((y.unsqueeze(1) - mix.means) ** 2 * prec).sum(-1)
    assert (quad - exact).abs().max() > 1e-6  # digits lost by the naive form


@pytest.mark.parametrize("full", [False, True])
def test_fast_path_chunks_and_per_row_levels(full):
    mix = GaussianMixture.random(5, 6, seed=3, full=full)
    y = mix.sample_noisy(777, 0.2, torch.Generator().manual_seed(1))
    whole = mix.denoise(y, 0.2)
    assert torch.allclose(mix.denoise(y, 0.2, chunk_elements=50), whole, rtol=0, atol=1e-14)
    assert torch.allclose(mix.denoise(y, 0.2, chunk_elements=1), whole, rtol=0, atol=1e-14)
    few = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64)[torch.arange(777) % 3]  # grouped fast path
    many = torch.linspace(-2, 2, 777, dtype=torch.float64)  # many levels: the reference form
    for lam in (few, many):
        assert torch.allclose(mix.denoise(y, lam), mix.denoise_reference(y, lam), rtol=1e-12, atol=1e-12)


def test_fast_path_float32_close_and_bad_input():
    mix = GaussianMixture.random(8, 64, seed=0)
    y = mix.sample_noisy(2000, 0.0, torch.Generator().manual_seed(0))
    ref = mix.denoise_reference(y, 0.0)
    got = mix.to(dtype=torch.float32).denoise(y.float(), 0.0)
    assert got.dtype == torch.float32 and (got.double() - ref).abs().max() < 1e-3 * (1 + ref.abs().max())
    with pytest.raises(ValueError, match="shape"):
        mix.denoise(y[:, :3], 0.0)
    with pytest.raises(ValueError, match="unknown denoiser method"):
        mix.denoise(y, 0.0, method="slow")
    with pytest.raises(ValueError, match="values for"):
        mix.denoise(y, torch.zeros(5, dtype=torch.float64))
