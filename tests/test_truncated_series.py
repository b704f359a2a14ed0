"""derivations.truncated_series: Taylor coefficients by precision-tracked series, against sympy.series and against
mpmath's numerical Taylor coefficients at 50 digits."""

import mpmath as mp
import pytest
import sympy as sp

from derivations.truncated_series import Unsupported, taylor_coefficients

x = sp.Symbol("x")
a, b = sp.symbols("a b", positive=True)

#: Expressions of the class the module expands: Laurent factors that cancel, exponentials of polynomials, logs of
#: 1 + o(1), integer powers, and a weight of the shape of (40) (differences of exponentials over differences).
CASES = {
    "bernoulli": sp.exp(x) / (sp.exp(x) - 1) - 1 / x,
    "scaled-expm1": (sp.exp(a * x) - 1) / x,
    "log-ratio": x / sp.log(1 + x),
    "powers": sp.exp(x**2) * (1 + b * x) ** -3,
    "double-cancel": (sp.exp(x) - 1 - x) / x**2,
    "weight-40-shape": x * ((sp.exp(a * x + b * x**2) - 1) * sp.exp(-a * x) / x + (sp.exp(b * x) - 1) / x) ** 2
    * sp.exp(2 * a * x) / (2 * (sp.exp(a * x + x**2) - 1) * (sp.exp(a * x) + 1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_coefficients_equal_sympy_series(name):
    expr = CASES[name]
    got = taylor_coefficients(expr, x, 4)
    ref = sp.expand(sp.series(expr, x, 0, 6).removeO())  # two orders more than needed (SymPy 1.14 caveat)
    assert [sp.simplify(g - ref.coeff(x, k)) for k, g in enumerate(got)] == [0, 0, 0, 0]


@pytest.mark.parametrize("name", sorted(CASES))
def test_coefficients_equal_numerical_taylor_at_50_digits(name):
    # a second route that shares nothing with SymPy's series: mpmath's Taylor coefficients of the function at
    # a = 0.7, b = 1.3 (finite differences at 50 digits, the removable singularity at 0 stepped around by a tiny shift)
    expr = CASES[name]
    got = taylor_coefficients(expr, x, 3)
    subs = {a: sp.Rational(7, 10), b: sp.Rational(13, 10)}
    f = sp.lambdify(x, expr.subs(subs), "mpmath")
    with mp.workdps(50):
        num = mp.taylor(f, mp.mpf(10) ** -30, 2, method="quad", radius=mp.mpf("0.05"))
        for k, g in enumerate(got):
            assert abs(num[k] - mp.mpf(sp.N(g.subs(subs), 60))) < mp.mpf(10) ** -20


def test_a_wrong_coefficient_is_told_apart():
    # the same expression with one constant perturbed changes the h^1 coefficient, which the comparison must see
    base = taylor_coefficients(CASES["weight-40-shape"], x, 2)
    perturbed = taylor_coefficients(CASES["weight-40-shape"].subs(b * x**2, sp.Rational(101, 100) * b * x**2), x, 2)
    assert sp.simplify(base[0] - perturbed[0]) == 0
    assert sp.simplify(base[1] - perturbed[1]) != 0


def test_a_cancelling_leading_term_costs_orders_not_correctness():
    # (exp(x) - 1 - x - x^2/2)/x^3: the numerator's first three orders cancel; the answer must still be exact
    expr = (sp.exp(x) - 1 - x - x**2 / 2) / x**3
    assert taylor_coefficients(expr, x, 3) == [sp.Rational(1, 6), sp.Rational(1, 24), sp.Rational(1, 120)]


def test_unsupported_and_bad_input_are_named():
    with pytest.raises(Unsupported):
        taylor_coefficients(sp.sqrt(1 + x), x, 2)
    with pytest.raises(Unsupported):
        taylor_coefficients(sp.exp(1 + x), x, 2)
    with pytest.raises(Unsupported):
        taylor_coefficients(sp.erf(x), x, 2)
    with pytest.raises(ValueError, match="pole"):
        taylor_coefficients(1 / x, x, 2)
    with pytest.raises(ValueError, match="not known"):
        taylor_coefficients(1 / (sp.exp(x) - 1 - x - x**2 / 2 - x**3 / 6 - x**4 / 24) * x**4, x, 2, max_terms=4)
