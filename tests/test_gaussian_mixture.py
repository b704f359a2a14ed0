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


def test_matmul_form_matches_direct_form():
    mix = GaussianMixture.random(16, 32, seed=6)
    y = mix.sample_noisy(500, 0.3, torch.Generator().manual_seed(4))
    for lam in (-2.0, 0.3, 2.0):
        a = mix.denoise(y, lam)
        b = mix.denoise(y, lam, method="matmul")
        assert torch.allclose(a, b, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError):
        GaussianMixture.random(2, 2, full=True).denoise(y[:, :2], 0.0, method="matmul")
