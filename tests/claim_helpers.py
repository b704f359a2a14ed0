"""Shared assertions for claim tests."""

from verify.ledger import CLAIMS, Verdict, perturbations


def perturbed_key_rejections(claim, key) -> int:
    """Perturb ``key`` of the claim's accepted forms every way :func:`perturbations` knows; assert each
    perturbed form is ``failed`` (no erratum allowed); return how many were tried."""
    claim = CLAIMS[claim] if isinstance(claim, str) else claim
    accepted = claim.accepted_forms()
    tried = 0
    for label, bad in perturbations(accepted[key]).items():
        out = claim.evaluate(dict(accepted, **{key: bad}), allow_erratum=False)
        assert out.verdict is Verdict.FAILED, f"{claim.id}: {label} of {key!r} was not rejected"
        tried += 1
    return tried
