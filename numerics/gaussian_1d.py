"""One-dimensional Gaussian mixtures at mpmath precision: exact and imperfect denoisers, denoising errors.

Data model (paper (7)): Y_t = X + eps / ring-rho_t with eps ~ N(0, 1) independent of X, and
X ~ sum_k w_k N(mu_k, v_k).  Then Y_t ~ sum_k w_k N(mu_k, v_k + ring-rho_t^-2) and the posterior of X
given Y_t = y is the mixture of the component posteriors

    N( (mu_k + ring-rho^2 v_k y) / (1 + ring-rho^2 v_k),  v_k / (1 + ring-rho^2 v_k) )

with responsibilities r_k(y) proportional to w_k N(y; mu_k, v_k + ring-rho^-2).  The exact (posterior-mean)
denoiser is X_hat_t(y) = E[X | Y_t = y] = sum_k r_k(y) m_k(y), and eps_hat = ring-rho (y - X_hat) (paper (3)).

The denoising error of (21) and (23),

    e(t) = E ||eps_hat_t - eps||^2 = ring-rho_t^2 E (X_hat_t(Y_t) - X)^2
         = ring-rho_t^2 * integral p_Y(y) [ (D(y) - E[X|y])^2 + Var[X|y] ] dy,

is computed by mpmath quadrature over y (not by sampling).  Products of 1-D mixtures in d dimensions
(independent coordinates, coordinate-wise denoisers) have errors that add over coordinates:
:func:`product_error`.

Everything takes ring-rho (the signal-to-noise ratio) rather than t, so one function serves every
noise schedule of the registry; tiny and huge ring-rho are handled in log space where it matters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import mpmath as mp

#: Default working precision (digits) of the quadratures.
DPS = 30


def _mpf_tuple(values) -> tuple:
    return tuple(mp.mpf(v) if not isinstance(v, str) else mp.mpf(v) for v in values)


@dataclass(frozen=True)
class GaussianMixture1D:
    """X ~ sum_k weights[k] N(means[k], variances[k]); numbers are kept as given and converted at use."""

    weights: tuple
    means: tuple
    variances: tuple

    def __post_init__(self):
        if not (len(self.weights) == len(self.means) == len(self.variances) > 0):
            raise ValueError("mixture: weights, means and variances need the same positive length")
        if any(mp.mpf(w) <= 0 for w in self.weights) or any(mp.mpf(v) <= 0 for v in self.variances):
            raise ValueError("mixture: weights and variances must be positive")

    # -- moments of X ------------------------------------------------------------------------------
    def components(self):
        tot = mp.fsum(mp.mpf(w) for w in self.weights)
        return [(mp.mpf(w) / tot, mp.mpf(m), mp.mpf(v)) for w, m, v in zip(self.weights, self.means, self.variances)]

    def mean(self):
        return mp.fsum(w * m for w, m, _ in self.components())

    def variance(self):
        mu = self.mean()
        return mp.fsum(w * (v + (m - mu) ** 2) for w, m, v in self.components())

    # -- Y_t = X + eps/ring-rho ---------------------------------------------------------------------
    def log_density_y(self, y, ring_rho):
        """log p_{Y_t}(y): the mixture of N(mu_k, v_k + ring-rho^-2)."""
        terms = []
        for w, m, v in self.components():
            var = v + ring_rho ** -2
            terms.append(mp.log(w) - (y - m) ** 2 / (2 * var) - mp.log(2 * mp.pi * var) / 2)
        top = max(terms)
        return top + mp.log(mp.fsum(mp.exp(a - top) for a in terms))

    def posterior(self, y, ring_rho):
        """(E[X | Y_t = y], Var[X | Y_t = y]) in closed form (responsibilities x component posteriors)."""
        logs, means, variances = [], [], []
        g = ring_rho ** 2
        for w, m, v in self.components():
            var = v + 1 / g
            logs.append(mp.log(w) - (y - m) ** 2 / (2 * var) - mp.log(var) / 2)
            means.append((m + g * v * y) / (1 + g * v))
            variances.append(v / (1 + g * v))
        top = max(logs)
        r = [mp.exp(a - top) for a in logs]
        tot = mp.fsum(r)
        r = [x / tot for x in r]
        mean = mp.fsum(ri * mi for ri, mi in zip(r, means))
        second = mp.fsum(ri * (vi + mi ** 2) for ri, mi, vi in zip(r, means, variances))
        # Var = E[(X - mean)^2 | y], written without cancellation
        var = mp.fsum(ri * (vi + (mi - mean) ** 2) for ri, mi, vi in zip(r, means, variances))
        del second
        return mean, var

    def posterior_mean_function(self, ring_rho):
        """y -> E[X | Y_t = y] at a fixed ring-rho, with the per-component constants computed once."""
        g = ring_rho ** 2
        comps = []
        for w, m, v in self.components():
            var = v + 1 / g
            comps.append((mp.log(w) - mp.log(var) / 2, m, 1 / (2 * var), g * v, 1 + g * v))

        def mean(y):
            logs = [c0 - hh * (y - m) ** 2 for c0, m, hh, _, _ in comps]
            top = max(logs)
            r = [mp.exp(a - top) for a in logs]
            return mp.fsum(ri * (m + gv * y) / opg for ri, (_, m, _, gv, opg) in zip(r, comps)) / mp.fsum(r)

        return mean

    def breakpoints(self, ring_rho):
        """Quadrature breakpoints: each noisy component's mean +- 0, 3, 8 standard deviations."""
        pts = set()
        for _, m, v in self.components():
            sd = mp.sqrt(v + ring_rho ** -2)
            for k in (-8, -3, 0, 3, 8):
                pts.add(m + k * sd)
        return sorted(pts)


# ------------------------------------------------------------------------------------------------
# Denoisers: callables (y, ring_rho) -> X_hat
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactDenoiser:
    """The posterior mean E[X | Y_t = y] of ``mixture`` (the optimal denoiser for data from ``mixture``;
    applied to data from another mixture it is an imperfect denoiser)."""

    mixture: GaussianMixture1D
    name: str = "exact"

    def __call__(self, y, ring_rho):
        return self.mixture.posterior(y, ring_rho)[0]


@dataclass(frozen=True)
class ShrunkDenoiser:
    """factor * E[X | Y_t = y] + (1 - factor) * E[X]: the posterior mean shrunk towards the data mean."""

    mixture: GaussianMixture1D
    factor: float = 0.9
    name: str = "shrunk"

    def __call__(self, y, ring_rho):
        f = mp.mpf(self.factor)
        return f * self.mixture.posterior(y, ring_rho)[0] + (1 - f) * self.mixture.mean()


@dataclass(frozen=True)
class LinearDenoiser:
    """X_hat(y) = a(ring-rho) y + b(ring-rho).  :func:`wiener_denoiser` gives the Wiener filter of a
    Gaussian N(m, v) (the exact denoiser of Gaussian data; a fixed linear denoiser for a mixture)."""

    a: Callable
    b: Callable
    name: str = "linear"

    def __call__(self, y, ring_rho):
        return self.a(ring_rho) * y + self.b(ring_rho)


def wiener_denoiser(mean, variance, name: str = "wiener") -> LinearDenoiser:
    """The posterior mean of N(mean, variance): a = g v/(1 + g v), b = mean/(1 + g v), g = ring-rho^2."""
    m, v = mp.mpf(mean), mp.mpf(variance)
    return LinearDenoiser(lambda rr: rr ** 2 * v / (1 + rr ** 2 * v), lambda rr: m / (1 + rr ** 2 * v), name)


# ------------------------------------------------------------------------------------------------
# Denoising errors
# ------------------------------------------------------------------------------------------------


def _noisy_components(mixture: GaussianMixture1D, g):
    """Per component, the constants of the posterior given Y = y at ring-rho^2 = g: (log(w_k N-normaliser), mu_k,
    1/(2 var_k), g v_k, 1 + g v_k, v_k/(1 + g v_k)) with var_k = v_k + 1/g (mpmath, current precision)."""
    out = []
    for w, m, v in mixture.components():
        var = v + 1 / g
        out.append((mp.log(w) - mp.log(2 * mp.pi * var) / 2, m, 1 / (2 * var), g * v, 1 + g * v, v / (1 + g * v)))
    return out


def _posterior_at(comps, y, exp, largest, total):
    """(top, tot, E[X|y], Var[X|y]) with p_Y(y) = exp(top) tot: the responsibilities times the component posteriors.
    Written once for both back-ends: mpmath scalars (exp=mp.exp, largest=max, total=mp.fsum) and float64 arrays of
    y (NumPy's exp, elementwise maximum and sum)."""
    logs = [c0 - h * (y - m) ** 2 for c0, m, h, _, _, _ in comps]
    top = largest(logs)
    r = [exp(a - top) for a in logs]
    tot = total(r)
    means = [(m + gv * y) / opg for (_, m, _, gv, opg, _) in comps]
    mean = total([ri * mi for ri, mi in zip(r, means)]) / tot
    var = total([ri * (c[5] + (mi - mean) ** 2) for ri, mi, c in zip(r, means, comps)]) / tot
    return top, tot, mean, var


def _quadrature_breaks(mixture: GaussianMixture1D, g) -> list:
    """+-14 noisy-component standard deviations around the components (the mass outside is below exp(-98)
    relative), with the component means as breakpoints."""
    sds = [mp.sqrt(v + 1 / g) for _, _, v in mixture.components()]
    lo = min(m - 14 * sd for (_, m, _), sd in zip(mixture.components(), sds))
    hi = max(m + 14 * sd for (_, m, _), sd in zip(mixture.components(), sds))
    return sorted({lo, hi, *[m for _, m, _ in mixture.components()]})


def denoising_error(mixture: GaussianMixture1D, denoiser, ring_rho, dps: int = DPS):
    """e = E ||eps_hat - eps||^2 = ring-rho^2 E (D(Y) - X)^2 for data from ``mixture`` (quadrature over y).

    Uses E (D(Y) - X)^2 = E_Y [ (D(Y) - E[X|Y])^2 + Var[X|Y] ]; for the exact denoiser the first term is 0.
    The integrand is a Gaussian mixture times a smooth bounded function; it is integrated by Gauss-Legendre
    quadrature (mpmath, with its own error estimate) over +-14 noisy-component standard deviations around
    the components (the mass outside is below exp(-98) relative).
    """
    with mp.workdps(dps + 10):
        rr = mp.mpf(ring_rho)
        g = rr ** 2
        comps = _noisy_components(mixture, g)
        exact = isinstance(denoiser, ExactDenoiser) and denoiser.mixture == mixture
        if isinstance(denoiser, ExactDenoiser) and not exact:  # another mixture's posterior mean, sped up
            other = denoiser.mixture.posterior_mean_function(rr)
            denoiser = lambda y, _rr: other(y)  # noqa: E731

        def integrand(y):
            top, tot, mean, var = _posterior_at(comps, y, mp.exp, max, mp.fsum)
            gap = 0 if exact else (denoiser(y, rr) - mean) ** 2
            return mp.exp(top) * tot * (gap + var)

        val = mp.quad(integrand, _quadrature_breaks(mixture, g), method="gauss-legendre")
        out = g * val
    return +out


#: Composite Gauss-Legendre of the float64 route: this many nodes per panel, panels no wider than PANEL_SD of the
#: narrowest noisy component's standard deviation (a Gaussian over half a standard deviation is integrated by 16
#: nodes far below float64 rounding).
PANEL_NODES, PANEL_SD = 16, 0.5


def _float_components(mixture: GaussianMixture1D, g) -> list[tuple]:
    """:func:`_noisy_components` as float64 numbers (the float64 route's constants)."""
    return [tuple(float(c) for c in comp) for comp in _noisy_components(mixture, g)]


def _float64_denoiser(denoiser, rr) -> Callable | None:
    """y (float64 array) -> D(y) for the denoisers of this module, None for another callable (mpmath route only)."""
    import numpy as np

    def posterior_mean(mix):
        comps = _float_components(mix, rr ** 2)
        return lambda y: _posterior_at(comps, y, np.exp, np.maximum.reduce, sum)[2]

    if isinstance(denoiser, ExactDenoiser):
        return posterior_mean(denoiser.mixture)
    if isinstance(denoiser, ShrunkDenoiser):
        f, base, mean = float(denoiser.factor), posterior_mean(denoiser.mixture), float(denoiser.mixture.mean())
        return lambda y: f * base(y) + (1 - f) * mean
    if isinstance(denoiser, LinearDenoiser):
        a, b = float(denoiser.a(rr)), float(denoiser.b(rr))
        return lambda y: a * y + b
    return None


def denoising_error_float64(mixture: GaussianMixture1D, denoiser, ring_rho) -> float | None:
    """The same e as :func:`denoising_error` in float64 (NumPy, a fixed composite Gauss-Legendre rule on the same
    breakpoints): about a millisecond instead of 0.1 s, within 4e-15 relative of the 30-digit route (measured 2-9e-16;
    tests/test_gaussian_1d.py).  None for a denoiser this module does not define (use :func:`denoising_error`)."""
    import numpy as np

    with mp.workdps(30):
        rr = mp.mpf(ring_rho)
        g = rr ** 2
        exact = isinstance(denoiser, ExactDenoiser) and denoiser.mixture == mixture
        den = None if exact else _float64_denoiser(denoiser, rr)
        if den is None and not exact:
            return None
        comps = _float_components(mixture, g)
        breaks = [float(x) for x in _quadrature_breaks(mixture, g)]
        narrowest = min(float(mp.sqrt(v + 1 / g)) for _, _, v in mixture.components())
    x, w = np.polynomial.legendre.leggauss(PANEL_NODES)
    ys, ws = [], []
    for a, b in zip(breaks[:-1], breaks[1:]):
        edges = np.linspace(a, b, int(np.ceil((b - a) / (PANEL_SD * narrowest))) + 1)
        mid, half = (edges[:-1] + edges[1:]) / 2, (edges[1:] - edges[:-1]) / 2
        ys.append((mid[:, None] + half[:, None] * x[None, :]).ravel())
        ws.append((half[:, None] * w[None, :]).ravel())
    y, wy = np.concatenate(ys), np.concatenate(ws)
    top, tot, mean, var = _posterior_at(comps, y, np.exp, np.maximum.reduce, sum)
    gap = 0.0 if exact else (den(y) - mean) ** 2
    return float(g) * math.fsum(wy * np.exp(top) * tot * (gap + var))


def linear_error_closed_form(mixture: GaussianMixture1D, a, b, ring_rho):
    """E (a Y + b - X)^2 ring-rho^2 in closed form: per component (a-1)X + a eps/ring-rho + b is Gaussian
    with mean (a-1) mu_k + b and variance (a-1)^2 v_k + a^2 / ring-rho^2 (a check of the quadrature)."""
    rr = mp.mpf(ring_rho)
    tot = mp.fsum(w * (((a - 1) * m + b) ** 2 + (a - 1) ** 2 * v + a ** 2 / rr ** 2) for w, m, v in mixture.components())
    return rr ** 2 * tot


def gaussian_exact_error(variance, ring_rho):
    """e = ring-rho^2 v / (1 + ring-rho^2 v): the exact denoiser's error for Gaussian data N(m, v)."""
    g = mp.mpf(ring_rho) ** 2
    v = mp.mpf(variance)
    return g * v / (1 + g * v)


def product_error(mixtures: Sequence[GaussianMixture1D], denoisers: Sequence, ring_rho, dps: int = DPS):
    """Error of a d-dimensional product of 1-D mixtures with a coordinate-wise denoiser: the sum of the
    coordinates' errors (E||.||^2 adds over independent coordinates)."""
    return mp.fsum(denoising_error(m, d, ring_rho, dps) for m, d in zip(mixtures, denoisers))


# ------------------------------------------------------------------------------------------------
# The standard test data of the suite
# ------------------------------------------------------------------------------------------------

#: A bimodal, unequal-weight mixture (the data of the convergence claims).
DATA = GaussianMixture1D(("0.35", "0.65"), ("-1.2", "0.8"), ("0.3", "0.15"))
#: A different mixture whose exact denoiser is the imperfect ("mis-specified") denoiser for DATA.
MISSPECIFIED = GaussianMixture1D(("0.5", "0.5"), ("-1.0", "1.0"), ("0.4", "0.2"))


def standard_denoisers():
    """name -> denoiser for DATA: exact, mis-specified mixture, shrunk (0.9), fixed linear (Wiener fit)."""
    return {
        "exact": ExactDenoiser(DATA),
        "misspecified": ExactDenoiser(MISSPECIFIED, name="misspecified"),
        "shrunk": ShrunkDenoiser(DATA, 0.9),
        "wiener": wiener_denoiser(DATA.mean(), DATA.variance()),
    }


# ------------------------------------------------------------------------------------------------
# Linear-Gaussian paths: the oracle (8) and the generator (10) with a LINEAR denoiser, exactly
# ------------------------------------------------------------------------------------------------


class LinearForms:
    """Random variables as affine forms c_0 + sum_j c_j u_j in independent standard normals u_j.

    ``add(coeffs)`` appends a variable (a dict basis-name -> coefficient, basis "1" the constant); the
    joint mean and covariance of any subset follow exactly (mpmath, current precision)."""

    def __init__(self):
        self.basis: list[str] = ["1"]
        self.vars: dict[str, dict] = {}

    def normal(self, name: str) -> dict:
        self.basis.append(name)
        return {name: mp.mpf(1)}

    @staticmethod
    def combine(*terms) -> dict:
        """sum of coefficient * form, for (coefficient, form) pairs."""
        out: dict = {}
        for coef, form in terms:
            for k, v in form.items():
                out[k] = out.get(k, 0) + coef * v
        return out

    def mean_cov(self, forms: list[dict]):
        n = len(forms)
        noise = [b for b in self.basis if b != "1"]
        mean = mp.matrix(n, 1)
        cov = mp.matrix(n, n)
        for i, f in enumerate(forms):
            mean[i] = f.get("1", 0)
        for i, f in enumerate(forms):
            for j in range(i, n):
                g = forms[j]
                cov[i, j] = cov[j, i] = mp.fsum(f.get(b, 0) * g.get(b, 0) for b in noise)
        return mean, cov


def gaussian_kl(mean_p, cov_p, mean_q, cov_q):
    """KL[N(mean_p, cov_p) || N(mean_q, cov_q)] in closed form (Cholesky log-determinants)."""
    n = cov_p.rows
    inv_q = mp.inverse(cov_q)
    d = mean_q - mean_p
    trace = mp.fsum((inv_q * cov_p)[i, i] for i in range(n))
    quad = (d.T * inv_q * d)[0, 0]
    return (trace - n + quad + logdet(cov_q) - logdet(cov_p)) / 2


def logdet(cov):
    L = mp.cholesky(cov)
    return 2 * mp.fsum(mp.log(L[i, i]) for i in range(cov.rows))


def conditional(mean, cov, keep: list[int], given: list[int]):
    """Gaussian conditioning: (A, c, S) with E[keep | given = g] = c + A g and Cov[keep | given] = S."""
    sub = lambda m, r, c: mp.matrix([[m[i, j] for j in c] for i in r])  # noqa: E731
    S_kk, S_kg, S_gg = sub(cov, keep, keep), sub(cov, keep, given), sub(cov, given, given)
    A = S_kg * mp.inverse(S_gg)
    c = mp.matrix([mean[i] for i in keep]) - A * mp.matrix([mean[i] for i in given])
    return A, c, S_kk - A * S_kg.T


def oracle_and_generator(m, v, ring, kappa, a, b):
    """Joint Gaussians of (Y_{t_0}, ..., Y_{t_N}, X) under the oracle and the generator, for X ~ N(m, v).

    ``ring[i]`` = ring-rho_{t_i} (i = 0..N), ``kappa[i]`` = rho_{t_i}/rho_{t_{i+1}}, and the linear denoiser
    X_hat_{t_i}(y) = a[i] y + b[i] (i < N).  With q = r_s/r_t = kappa ring-rho_s/ring-rho_t and
    sqrt(rho_t^2 - rho_s^2)/r_t = sqrt(1 - kappa^2)/ring-rho_t, the steps are

    * oracle (8):     Y_t = q Y_s + (1 - q) X + sqrt(1 - kappa^2)/ring-rho_t xi_s,  Y_{t0} = X + eps/ring-rho_{t0};
    * generator (10): Y_t = q Y_s + (1 - q)(a_s Y_s + b_s) + sqrt(1 - kappa^2)/ring-rho_t xi_s, started (as in the
      paper's joint p_hat^N_{t0:t,x}) from the marginal p_{t0} = N(m, v + ring-rho_{t0}^-2), and X drawn from
      the reconstruction p_bar_t(x | y_t) = N(y_t, ring-rho_t^-2) (the choice X = Y_t - eps_t/ring-rho_t of (7)).

    The variables are Y (not Z = alpha Y): the same invertible scaling of both joints leaves every KL unchanged.
    Returns (mean_p, cov_p, mean_q, cov_q), each over the ordering [Y_0, ..., Y_N, X]."""
    N = len(kappa)
    P = LinearForms()
    x = LinearForms.combine((1, {"1": mp.mpf(m)}), (mp.sqrt(v), P.normal("x")))
    ys = [LinearForms.combine((1, x), (1 / ring[0], P.normal("eps0")))]
    for i in range(N):
        q = kappa[i] * ring[i] / ring[i + 1]
        beta = mp.sqrt(1 - kappa[i] ** 2) / ring[i + 1]
        ys.append(LinearForms.combine((q, ys[-1]), (1 - q, x), (beta, P.normal(f"xi{i}"))))
    mean_p, cov_p = P.mean_cov(ys + [x])
    Q = LinearForms()
    yh = [LinearForms.combine((1, {"1": mp.mpf(m)}), (mp.sqrt(v + ring[0] ** -2), Q.normal("y0")))]
    for i in range(N):
        q = kappa[i] * ring[i] / ring[i + 1]
        beta = mp.sqrt(1 - kappa[i] ** 2) / ring[i + 1]
        yh.append(LinearForms.combine((q + (1 - q) * a[i], yh[-1]), ((1 - q) * b[i], {"1": mp.mpf(1)}),
                                      (beta, Q.normal(f"xi{i}"))))
    xh = LinearForms.combine((1, yh[-1]), (1 / ring[N], Q.normal("recon")))
    mean_q, cov_q = Q.mean_cov(yh + [xh])
    return mean_p, cov_p, mean_q, cov_q


def _sub(mean, cov, idx):
    return mp.matrix([mean[i] for i in idx]), mp.matrix([[cov[i, j] for j in idx] for i in idx])


def expected_conditional_kl(mean_p, cov_p, mean_q, cov_q, target: list[int], given_p: list[int],
                            given_q: list[int]):
    """E_{G ~ p} KL[p(target | G) || q(target | G')] where G' = the entries ``given_q`` of G, for joint
    Gaussians p, q (``given_q`` lists positions inside ``given_p``).  Exact: the conditional covariances
    do not depend on G and the mean gap is affine in G."""
    A_p, c_p, S_p = conditional(mean_p, cov_p, target, given_p)
    A_q, c_q, S_q = conditional(mean_q, cov_q, target, [given_p[k] for k in given_q])
    n, g = len(target), len(given_p)
    D = mp.matrix(n, g)
    for i in range(n):
        for j in range(g):
            D[i, j] = -A_p[i, j]
        for k_pos, k in enumerate(given_q):
            D[i, k] += A_q[i, k_pos]
    e = c_q - c_p
    mu_g, cov_g = _sub(mean_p, cov_p, given_p)
    inv_q = mp.inverse(S_q)
    shift = D * mu_g + e
    quad = mp.fsum((inv_q * D * cov_g * D.T)[i, i] for i in range(n)) + (shift.T * inv_q * shift)[0, 0]
    trace = mp.fsum((inv_q * S_p)[i, i] for i in range(n))
    return (trace - n + quad + logdet(S_q) - logdet(S_p)) / 2
