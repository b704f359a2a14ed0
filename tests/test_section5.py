"""Section 5 claims: Proposition 3, (29), the Logis/Vel Example, discrete time and 2 dt lambda' ~ eta^2.

Expected verdicts, errata (printed rejected, corrected accepted), and at least one perturbation per claim.
"""

import mpmath as mp
import pytest
import sympy as sp

from derivations import REGISTRY, numeric
from derivations import section5_coherence as d5
from derivations.registry import Interval
from derivations.symbols import M, S, t
from verify.claims import section5 as c5
from verify.ledger import CLAIMS, Verdict, compare
from claim_helpers import perturbed_key_rejections


#: One perturbed key per claim (the generic mutation test covers more keys).
PERTURBED_KEY = {
    "prop3": "beta_- (43)",
    "eq29-m": "(30)",
    "example-logis-vel": "compact form",
    "discrete-w-eta": "w_t^N(eta)",
    "discrete-argmin": "ring-eta",
    "discrete-check-eta": "check-eta",
    "eta-rate-approx": "eta^2 approximant",
}


@pytest.mark.parametrize("cid", list(PERTURBED_KEY))
def test_perturbation_rejected(cid):
    assert perturbed_key_rejections(cid, PERTURBED_KEY[cid]) >= 2


def test_literal_sqrt_span_of_30_rejected():
    """(30) as extracted, sqrt(M S_t), is not a root of (42); the declared reading sqrt(M) S_t is."""
    root = d5.coherence_roots(s_squared=M * S**2, rb=d5.ring_beta)[0]
    literal = c5._prop3_printed()["lambda'_c (30)"]
    assert literal.has(sp.sqrt(M * S))  # the printed form is the literal text, not the reading
    assert not compare("literal", literal, root, sampler=c5._coherent_sampler).match
    assert compare("read", c5._prop3_printed(literal=False)["lambda'_c (30)"], root, sampler=c5._coherent_sampler).match


def test_argmin_rejects_a_maximum():
    """discrete-argmin: a negated objective has a maximum, not a minimum, at ring-eta (the sign key fails)."""
    claim = CLAIMS["discrete-argmin"]
    forms = claim.accepted_forms()
    key = next(k for k in forms if k.startswith("objective"))
    assert claim.evaluate(dict(forms, **{key: -forms[key]}), allow_erratum=False).verdict is Verdict.FAILED


def test_roots_multiply_to_ring_beta_squared():
    lo, hi = d5.coherence_roots()
    assert sp.simplify(sp.expand(lo * hi) - d5.ring_beta**2) == 0


def test_compact_form_wrong_prime_rejected():
    """The compact form differs from check-lambda' itself by a non-constant (the literal reading fails)."""
    F = c5._example_printed()["compact form"]
    rate = d5.logis_vel_example()["check-lambda'"]
    f = sp.lambdify((t, d5.t_max), sp.diff(F - rate, t), "mpmath")
    with mp.workdps(30):
        assert abs(f(mp.mpf("0.3"), mp.mpf("0.9"))) > 1e-3


def test_mse_rate_at_maximiser_is_ml_and_small_elsewhere():
    """Logis + Vel on (0.01, 0.99): the MSE-diffusion rate equals ring-lambda' at t_max and is below it before."""
    sch, par = REGISTRY.schedule("Logis"), REGISTRY.parameterization("Vel")
    itv = Interval(0.01, 0.99)
    rate = numeric(d5.mse_diffusion_rate(sch, par, itv), "mpmath")
    ml = numeric(sch.ring_lam_rate, "mpmath")
    with mp.workdps(30):
        assert abs(rate(mp.mpf("0.99")) / ml(mp.mpf("0.99")) - 1) < 1e-12
        assert rate(mp.mpf("0.5")) < 0.05 * ml(mp.mpf("0.5"))


def test_discrete_m_tends_to_continuous_m():
    sch, par = REGISTRY.schedule("Sech"), REGISTRY.parameterization("Noise")
    itv = Interval()
    Mc = mp.mpf(str(d5.coherence_constant(sch, par, itv)))
    errs = []
    for N in (128, 512):
        dt = mp.mpf(itv.t_max - itv.t0) / N
        errs.append(abs(d5.discrete_coherence_constant(sch, par, itv, N) / (dt * Mc) - 1))
    assert errs[1] < errs[0] / 3  # first order in 1/N
