"""The expected ledger: the verdict of every symbolic claim, and every erratum proved both ways.

This is the regression baseline: a change to the registry or a derivation that flips a verdict shows
up here by name.  (Numerical claims have their own tests next to their back-ends.)
"""

import pytest

from verify.ledger import ACCEPTING, CLAIMS, Verdict, run_claim

P, E = Verdict.PROVED, Verdict.ERRATUM
EXPECTED = {
    # Section 2
    "eq3-estimators": P, "schedule-normal": P, "schedule-logis": P, "schedule-sech": P,
    "schedule-sechinter": P, "param-noise": P, "param-data": E, "param-fpred": E, "param-vel": E,
    "param-veln": E, "param-sigmoid": P, "kg-weights": P,
    # Section 3
    "eq5-eq6": P, "eq8-eq9": P, "eq11": P, "eq13-uds": P, "uds-euler-heun": P, "uds-ddpm": E, "uds-ddim": P,
    # Section 4
    "eq16-mu": P, "eq17": E, "eq24": P, "eq26": P,
    # Section 5
    "prop3": P, "eq29-m": P, "example-logis-vel": E, "discrete-w-eta": E, "discrete-argmin": P,
    "discrete-check-eta": P, "eta-rate-approx": P,
    # Appendix A
    "eq31-eq33": E, "eq34-eq36": E, "eq37": P,
    "eq27-mse": P,
}


@pytest.mark.parametrize("cid", list(EXPECTED))
def test_expected_verdict(cid):
    out = run_claim(CLAIMS[cid])
    assert out.verdict is EXPECTED[cid], (cid, out.notes, out.evidence.get("exception"))


ERRATA = [c for c in CLAIMS.values() if c.corrected is not None and c.custom is None]


@pytest.mark.parametrize("claim", ERRATA, ids=lambda c: c.id)
def test_erratum_printed_rejected_corrected_accepted(claim):
    assert claim.evaluate(claim.printed(), allow_erratum=False).verdict is Verdict.FAILED
    assert claim.evaluate(claim.corrected(), allow_erratum=False).verdict in ACCEPTING
    assert claim.erratum_reason, f"{claim.id}: an erratum needs its one-sentence reason"
