"""numerics.gaussian_1d: exact denoisers of 1-D Gaussian mixtures and their errors, at mpmath precision."""

import mpmath as mp
import pytest

from numerics import gaussian_1d as g1


@pytest.mark.parametrize("rr", ["0.003", "0.5", "1", "7", "400"])
def test_one_component_exact_error_matches_closed_form(rr):
    # e(t) = ring-rho^2 v / (1 + ring-rho^2 v) for Gaussian data and its posterior mean
    data = g1.GaussianMixture1D((1,), ("0.3",), ("0.7",))
    with mp.workdps(30):
        e = g1.denoising_error(data, g1.ExactDenoiser(data), mp.mpf(rr), dps=30)
        ref = g1.gaussian_exact_error(mp.mpf("0.7"), mp.mpf(rr))
        assert abs(e - ref) <= mp.mpf(10) ** -27 * ref


def test_posterior_mean_of_one_component_is_the_wiener_filter():
    data = g1.GaussianMixture1D((1,), ("0.3",), ("0.7",))
    with mp.workdps(30):
        w = g1.wiener_denoiser(mp.mpf("0.3"), mp.mpf("0.7"))
        for y in ("-2", "0.1", "3.5"):
            assert abs(g1.ExactDenoiser(data)(mp.mpf(y), mp.mpf(2)) - w(mp.mpf(y), mp.mpf(2))) < mp.mpf(10) ** -28


@pytest.mark.parametrize("rr", ["0.05", "1.3", "20"])
def test_linear_denoiser_quadrature_matches_closed_form(rr):
    with mp.workdps(30):
        a, b = mp.mpf("0.8"), mp.mpf("-0.2")
        den = g1.LinearDenoiser(lambda _: a, lambda _: b)
        q = g1.denoising_error(g1.DATA, den, mp.mpf(rr), dps=30)
        c = g1.linear_error_closed_form(g1.DATA, a, b, mp.mpf(rr))
        assert abs(q - c) <= mp.mpf(10) ** -25 * c


#: A mixture far from DATA: three components, one narrow (v = 0.004) and one wide, away from zero.
_THREE = g1.GaussianMixture1D(("0.2", "0.5", "0.3"), ("-3", "0.25", "4"), ("0.004", "0.5", "2.5"))


@pytest.mark.parametrize("mixture", [g1.DATA, _THREE], ids=["DATA", "three-components"])
@pytest.mark.parametrize("name", ["exact", "misspecified", "shrunk", "wiener"])
def test_float64_denoising_error_matches_the_30_digit_quadrature(mixture, name):
    # the interpolant of Prop. 2's ladders takes its nodes from the float64 route: it must agree with the adaptive
    # 30-digit quadrature to a few float64 roundings across the whole log-SNR window (and beyond), every denoiser
    den = g1.standard_denoisers()[name]
    for u in (-7, -6, -3.5, -1, 0, 0.7, 2, 4, 6):
        rr = mp.exp(u)
        ref = g1.denoising_error(mixture, den, rr, dps=30)
        fast = g1.denoising_error_float64(mixture, den, rr)
        assert abs(fast - ref) <= 4e-15 * ref, (u, fast, ref)


def test_float64_denoising_error_tells_denoisers_apart_and_declines_unknown_ones():
    den = g1.standard_denoisers()
    rr = mp.mpf(2)
    exact = g1.denoising_error_float64(g1.DATA, den["exact"], rr)
    shrunk = g1.denoising_error_float64(g1.DATA, den["shrunk"], rr)
    assert exact < shrunk and (shrunk - exact) > 1e-3 * exact
    # a wrong gap term (the shrunk denoiser's factor changed) is seen at the 1e-15 level the test above allows
    other = g1.denoising_error_float64(g1.DATA, g1.ShrunkDenoiser(g1.DATA, 0.9 + 1e-6), rr)
    assert abs(other - shrunk) > 1e-12 * shrunk
    assert g1.denoising_error_float64(g1.DATA, lambda y, r: y, rr) is None


def test_exact_denoiser_is_optimal_and_imperfect_ones_are_worse():
    with mp.workdps(20):
        for rr in (mp.mpf("0.3"), mp.mpf(2)):
            errors = {k: g1.denoising_error(g1.DATA, d, rr, dps=20) for k, d in g1.standard_denoisers().items()}
            assert all(errors["exact"] < v for k, v in errors.items() if k != "exact")


def test_product_errors_add_over_coordinates():
    with mp.workdps(20):
        den = g1.standard_denoisers()
        one = g1.denoising_error(g1.DATA, den["exact"], 1, dps=20)
        two = g1.product_error([g1.DATA, g1.DATA], [den["exact"], den["exact"]], 1, dps=20)
        assert abs(two - 2 * one) < mp.mpf(10) ** -18


def test_gaussian_kl_closed_form_1d():
    with mp.workdps(30):
        m1, v1, m2, v2 = mp.mpf("0.2"), mp.mpf("1.5"), mp.mpf("-0.4"), mp.mpf("0.7")
        kl = g1.gaussian_kl(mp.matrix([m1]), mp.matrix([[v1]]), mp.matrix([m2]), mp.matrix([[v2]]))
        ref = (mp.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1) / 2
        assert abs(kl - ref) < mp.mpf(10) ** -28
