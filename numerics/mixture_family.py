"""A held-out family of Gaussian mixtures for choosing and checking the UDS default (issue 21).

Each member stresses a different part of a sampler: anisotropic full covariances (d = 16; component standard
deviations spanning 40x in rotated axes), many tight components (a 5 x 5 grid in d = 2, std 0.04 against a
spacing of 1: the posterior commits to a component over a short range of log-SNR), and data far from unit scale
(d = 64 scaled by 25, and d = 32 scaled by 1/25).  :func:`sigma_data` gives each one's data scale (EDM's
sigma_data: the rms per-coordinate standard deviation), which :func:`numerics.schedule_grid.interval_for_sigma_data`
turns into a generation interval.
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


def grid_mixture(side: int = 5, spacing: float = 1.0, std: float = 0.04) -> GaussianMixture:
    """side x side equal-weight isotropic components on a square lattice in d = 2, centred at 0."""
    ax = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
    mu = torch.cartesian_prod(ax, ax)
    return GaussianMixture(torch.ones(side * side), mu, variances=torch.full((side * side, 2), std**2))


def held_out_mixtures() -> dict[str, GaussianMixture]:
    """The family, by name."""
    return {
        "aniso-d16": GaussianMixture.random(6, 16, seed=21, spread=1.0, scale=(0.05, 2.0), full=True),
        "grid25-d2": grid_mixture(),
        "x25-d64": scaled(GaussianMixture.random(8, 64, seed=31, spread=1.0, scale=(0.2, 1.0)), 25.0),
        "x0.04-d32": scaled(GaussianMixture.random(12, 32, seed=41, spread=1.0, scale=(0.05, 0.5), full=True), 0.04),
    }


def sigma_data(mix: GaussianMixture) -> float:
    """EDM's sigma_data of the mixture: sqrt(trace Cov[X] / d)."""
    return math.sqrt(float(torch.diagonal(mix.covariance()).mean()))
