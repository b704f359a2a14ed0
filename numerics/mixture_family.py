"""A held-out family of Gaussian mixtures for choosing and checking the UDS default (issue 21).

Each member stresses a different part of a sampler: anisotropic full covariances (d = 16; component standard
deviations spanning 40x in rotated axes), many tight components (a 5 x 5 grid in d = 2, std 0.04 against a
spacing of 1: the posterior commits to a component over a short range of log-SNR), and data far from unit scale
(d = 64 scaled by 25, and d = 32 scaled by 1/25).  :func:`sigma_data` gives each one's data scale (EDM's
sigma_data: the rms per-coordinate standard deviation), which :func:`numerics.schedule_grid.interval_for_sigma_data`
turns into a generation interval.

:func:`validation_mixtures` is a second family, built after the default was chosen and never used to choose it
(tight components on a ring and on a 3-D lattice, very unequal weights, anisotropic full covariances in d = 32,
data scaled by 10, d = 1): the default's goals are reported on it as an out-of-sample check.
"""

from __future__ import annotations

import math

import torch

from .gaussian_mixture import GaussianMixture


def scaled(mix: GaussianMixture, c: float) -> GaussianMixture:
    """The mixture of c X (means times c, covariances times c^2)."""
    w = mix.weights.double().cpu()
    mu = mix.means.double().cpu() * c
    if mix.full:
        return GaussianMixture(w, mu, covariances=mix.covariances.double().cpu() * c**2)
    return GaussianMixture(w, mu, variances=mix.eigvals.double().cpu() * c**2)


def lattice_mixture(side: int = 5, dim: int = 2, spacing: float = 1.0, std: float = 0.04) -> GaussianMixture:
    """side^dim equal-weight isotropic components on a cubic lattice in d = dim, centred at 0."""
    ax = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
    mu = torch.cartesian_prod(*[ax] * dim).reshape(-1, dim)
    return GaussianMixture(torch.ones(mu.shape[0]), mu, variances=torch.full(mu.shape, std**2))


def ring_mixture(K: int = 12, radius: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """K equal-weight isotropic components evenly spaced on a circle in d = 2 (neighbours 2 radius sin(pi/K) apart)."""
    angle = torch.arange(K, dtype=torch.float64) * (2 * math.pi / K)
    mu = radius * torch.stack([angle.cos(), angle.sin()], dim=1)
    return GaussianMixture(torch.ones(K), mu, variances=torch.full((K, 2), std**2))


def unequal_weights_mixture(d: int = 4, seed: int = 7) -> GaussianMixture:
    """Five components with weights 0.6, 0.25, 0.1, 0.04, 0.01 (the rare modes are where a sampler drops mass)."""
    g = torch.Generator().manual_seed(seed)
    mu = 1.5 * torch.randn(5, d, generator=g, dtype=torch.float64)
    std = 0.1 + 0.3 * torch.rand(5, d, generator=g, dtype=torch.float64)
    return GaussianMixture(torch.tensor([0.6, 0.25, 0.1, 0.04, 0.01], dtype=torch.float64), mu, variances=std**2)


def held_out_mixtures() -> dict[str, GaussianMixture]:
    """The family, by name."""
    return {
        "aniso-d16": GaussianMixture.random(6, 16, seed=21, spread=1.0, scale=(0.05, 2.0), full=True),
        "grid25-d2": lattice_mixture(5, 2),
        "x25-d64": scaled(GaussianMixture.random(8, 64, seed=31, spread=1.0, scale=(0.2, 1.0)), 25.0),
        "x0.04-d32": scaled(GaussianMixture.random(12, 32, seed=41, spread=1.0, scale=(0.05, 0.5), full=True), 0.04),
    }


def validation_mixtures() -> dict[str, GaussianMixture]:
    """The out-of-sample family (built after the default was chosen on :func:`held_out_mixtures`), by name."""
    return {
        "ring12-d2": ring_mixture(),
        "lattice27-d3": lattice_mixture(3, 3, std=0.06),
        "unequal-d4": unequal_weights_mixture(),
        "aniso-d32": GaussianMixture.random(10, 32, seed=77, spread=1.0, scale=(0.02, 1.5), full=True),
        "x10-d16": scaled(GaussianMixture.random(6, 16, seed=88, spread=1.0, scale=(0.1, 0.8)), 10.0),
        "d1-K3": GaussianMixture.random(3, 1, seed=99, spread=2.0, scale=(0.1, 0.5)),
    }


def sigma_data(mix: GaussianMixture) -> float:
    """EDM's sigma_data of the mixture: sqrt(trace Cov[X] / d)."""
    return math.sqrt(float(torch.diagonal(mix.covariance()).mean()))
