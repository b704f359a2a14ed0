"""Appendix A claims (31)-(37): expected verdicts, errata, perturbations, and the numeric routes."""

import mpmath as mp
import pytest
import sympy as sp

from derivations import appendix_a as da
from derivations.symbols import t
from verify.ledger import CLAIMS, Verdict
from claim_helpers import perturbed_key_rejections


PERTURBED_KEY = {
    "eq31-eq33": "(33) noise per sqrt(dt)",
    "eq34-eq36": "(36) drift",
    "eq37": "(37) r_s dY~: dW coefficient",
}


@pytest.mark.parametrize("cid", list(PERTURBED_KEY))
def test_perturbation_rejected(cid):
    assert perturbed_key_rejections(cid, PERTURBED_KEY[cid]) >= 2


def test_eq32_main_term_perturbed_rejected():
    """A wrong main term in (32) leaves delta_1 = O(1), not O(1/N)."""
    claim = CLAIMS["eq31-eq33"]
    forms = claim.accepted_forms()
    key = next(k for k in forms if k.startswith("(32) left"))
    out = claim.evaluate(dict(forms, **{key: 2 * forms[key]}), allow_erratum=False)
    assert out.verdict is Verdict.FAILED


def test_delta1_numeric_leading_coefficient():
    """delta_1(dt)/dt -> -r''/(2 r') for rho = exp(t^2 + t), ring-rho = t/(1-t) at t = 1/2."""
    r_vals = [da.instant_values(sp.diff(da.RHO * da.RING, t, k)) for k in range(3)]
    lead = da.concrete(da.delta_leading(r_vals)).subs(t, sp.Rational(1, 2))
    with mp.workdps(60):
        h = mp.mpf(10) ** -20
        val = da.delta_ladder(da.TEST_RHO * da.TEST_RING_RHO, sp.Rational(1, 2), [h], dps=60)[0] / h
        assert abs(val - mp.mpf(str(sp.N(lead, 50)))) < 1e-15
