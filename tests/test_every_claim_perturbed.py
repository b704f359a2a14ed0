"""Every claim perturbed (issue 23.4): each ledger claim has a perturbation that must flip its verdict, run by the
default test command (``pytest -m "not slow"``).

:data:`INDEX` maps every claim id to the pytest node ids of the tests that perturb it (a perturbed printed form, a
wrong constant, a wrong order, a swapped table ...) and require its verdict to become non-accepting (``failed``; an
erratum is never allowed to absorb a perturbation).  The tests below check that

* every registered claim has an entry (a new claim must add one: the failure lists the missing ids);
* every named node id exists, and none of them is ``slow`` or ``gpu`` (so the default command runs them all);

and add the perturbation tests the claims lacked (their inputs are the smallest that still decide: one schedule
or case where the claim's check loops over several, a short ladder; the claim's own check decides the verdict).

The symbolic claims (a derivation, no custom check) are perturbed by ``tests/test_mutations.py``, which is
parametrized over all of them, so their entries are generated; every other claim is listed by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from claim_helpers import perturbed_key_rejections
from verify.ledger import ACCEPTING, CLAIMS, Verdict, perturbations

ROOT = Path(__file__).resolve().parent.parent
HERE = "tests/test_every_claim_perturbed.py"

# ------------------------------------------------------------------------------------------------
# The index
# ------------------------------------------------------------------------------------------------

SYMBOLIC = sorted(c.id for c in CLAIMS.values() if c.derive is not None and c.custom is None)

PROP2 = ["prop2", "prop2-Normal", "prop2-Logis", "prop2-Sech", "prop2-SechInter", "prop2-DDPM-linear"]
#: Section 6 models whose check compares keys with the public configuration.
SOTA_CHECKED = ["EDM2", "EDM", "DiT", "SiT", "REPA", "REPA-E", "RAE", "LightningDiT", "SD3"]
#: Section 6 models with no check (no public code, or no facts collected): their verdict is ``skipped`` by
#: construction, for any printed form.  A perturbation cannot *flip* it; the test shows it never becomes accepting.
SOTA_UNCHECKED = {"PixArt": "the facts sheet collected no facts for PixArt: nothing to compare a form with",
                  "SiD": "the facts sheet collected no facts for SiD (v1): nothing to compare a form with",
                  "SiD2": "SiD2 has no public code: its statements rest only on the reviewed paper"}

HAND: dict[str, list[str]] = {
    **{cid: [f"{HERE}::test_prop2_claim_rejects_perturbed_weights[{cid}]",
             f"{HERE}::test_prop2_claim_fails_with_a_wrong_constant[{cid}]"] for cid in PROP2},
    "prop1": ["tests/test_convergence.py::test_prop1_agrees_on_a_tiny_case_and_rejects_a_perturbed_weight"],
    "eq18-eq19": ["tests/test_convergence.py::test_eq18_eq19_confirmed_and_perturbation_rejected"],
    "eq12": [f"{HERE}::test_eq12_claim_rejects_perturbed_forms"],
    "endpoints": [f"{HERE}::test_endpoints_claim_rejects_a_perturbed_wbar"],
    "uds-ddpm-numeric": ["tests/test_uds.py::test_equivalence_claims[uds-ddpm-numeric]"],
    "uds-ddim-numeric": ["tests/test_uds.py::test_equivalence_claims[uds-ddim-numeric]"],
    "uds-orders": [f"{HERE}::test_uds_orders_claim_rejects_perturbed_forms"],
    "uds-weak-order": [f"{HERE}::test_uds_weak_order_claim_rejects_perturbed_forms"],
    "uds-distribution": ["tests/test_uds.py::test_distribution_check_small"],
    "uds-vs-peers": ["tests/test_uds_peers.py::test_perturbed_q_fails[scale by 2]",
                     "tests/test_uds_peers.py::test_broken_solver_fails[pc3]"],
    **{f"sota-rates-{m}": [f"{HERE}::test_sota_model_rejects_every_perturbed_key[{m}]"] for m in SOTA_CHECKED},
    **{f"sota-rates-{m}": [f"{HERE}::test_unchecked_sota_model_never_accepts[{m}]"] for m in SOTA_UNCHECKED},
    "sota-rates": [f"{HERE}::test_sota_umbrella_rejects_every_perturbed_key",
                   f"{HERE}::test_sota_umbrella_rejects_a_wrong_fact"],
    "fig1-sizes": ["tests/test_section6.py::test_fig1_verdict_rests_on_the_declared_reading"],
    "table1-analog": [f"{HERE}::test_table1_claim_rejects_a_perturbed_printed_table"],
    # the trained analog's check on a tiny run with the weightings' labels swapped: S4 contradicted, failed
    "mechanism-trained": ["tests/test_trained.py::test_a_swapped_weighting_changes_the_outcome"],
}
# perturbation tests that already existed next to the claims' other tests
HAND["prop2-Logis"] += [f"tests/test_convergence.py::test_perturbed_weight_fails_the_ladder[{n}]"
                        for n in ("drop 1/2", "swap lam' ringlam'", "swap rho ring-rho")]
HAND["sota-rates-SiT"] += ["tests/test_section6.py::test_sota_rates_perturbed_forms_rejected[SiT-lambda'_t (REPA(Logis))]"]

#: claim id -> node ids of the tests that perturb it and require its verdict to flip.
INDEX: dict[str, list[str]] = {
    **{cid: [f"tests/test_mutations.py::test_perturbed_forms_rejected[{cid}]"] for cid in SYMBOLIC},
    **HAND,
}


def test_every_registered_claim_has_an_entry():
    missing = sorted(set(CLAIMS) - set(INDEX))
    assert not missing, (
        f"claims without a perturbation test in {HERE}'s INDEX: {', '.join(missing)}. Add each with the node "
        "id(s) of a default-command test that perturbs it (a wrong form, constant, order or fact) and requires "
        "its verdict to become non-accepting")
    stale = sorted(set(INDEX) - set(CLAIMS))
    assert not stale, f"INDEX names claims that are not registered: {', '.join(stale)}"
    assert all(INDEX[c] for c in CLAIMS), [c for c in CLAIMS if not INDEX[c]]


_COLLECT = r"""
import json, sys
import pytest

class Items:
    def __init__(self):
        self.items = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        for it in items:
            self.items[it.nodeid] = sorted({m.name for m in it.iter_markers()} & {"slow", "gpu", "skip"})

p = Items()
rc = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", *sys.argv[2:]], plugins=[p])
with open(sys.argv[1], "w") as f:
    json.dump({"rc": int(rc), "items": p.items}, f)
"""


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> dict:
    """node id -> its slow/gpu/skip markers, by pytest's own collection of the files the index names (in a
    subprocess: a collection inside the running session would re-enter pytest)."""
    files = sorted({n.split("::")[0] for ids in INDEX.values() for n in ids})
    out = tmp_path_factory.mktemp("collect") / "items.json"
    # ``-c`` puts the working directory (this tree's root) first on sys.path, as ``python -m pytest`` does
    proc = subprocess.run([sys.executable, "-c", _COLLECT, str(out), *files], cwd=ROOT, capture_output=True, text=True)
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    data = json.loads(out.read_text())
    assert data["rc"] == 0, proc.stdout[-2000:]
    return data["items"]


def _index_problems(index: dict, collected: dict) -> dict:
    named = sorted({n for ids in index.values() for n in ids})
    return {"not collected": [n for n in named if n not in collected],
            "not run by the default command (slow/gpu/skip)": {n: collected[n] for n in named if collected.get(n)}}


def test_every_named_test_exists_and_runs_by_default(collected):
    problems = _index_problems(INDEX, collected)
    assert not any(problems.values()), f"INDEX names tests that {problems}"


def test_the_index_check_can_fail(collected):
    """A misspelt node id and a slow test are reported (the slow one is a real test of the suite, so this also shows
    the collection reports markers)."""
    slow = [n for n, marks in collected.items() if "slow" in marks]
    assert slow, "the collection reports no slow test"
    problems = _index_problems({"x": [slow[0], f"{HERE}::test_that_does_not_exist"]}, collected)
    assert problems["not collected"] == [f"{HERE}::test_that_does_not_exist"]
    assert list(problems["not run by the default command (slow/gpu/skip)"]) == [slow[0]]


# ------------------------------------------------------------------------------------------------
# Proposition 2: a perturbed printed weight, and a wrong predicted constant
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cid", PROP2)
def test_prop2_claim_rejects_perturbed_weights(cid):
    """Every key of (40) and (23), every perturbation: failed (the symbolic pre-check rejects it before a ladder)."""
    claim = CLAIMS[cid]
    assert sum(perturbed_key_rejections(claim, key) for key in claim.printed()) >= 4


@pytest.mark.parametrize("cid", PROP2)
def test_prop2_claim_fails_with_a_wrong_constant(cid, monkeypatch):
    """The printed weights pass the pre-check and the order stays 1; only the predicted constant C is off by
    3 C_TOL: the claim's verdict must be failed (one case of the claim's ladders, to keep it short)."""
    import derivations.prop2_weight as pw
    from numerics.convergence import C_TOL
    from verify.claims import convergence as cc

    if cid != "prop2":
        first = cc._schedule_cases(cid.removeprefix("prop2-"))[0]
        monkeypatch.setattr(cc, "_schedule_cases", lambda name: [first])
    real = pw.predicted_constant

    def off(*args, **kw):
        C, err = real(*args, **kw)
        return C * (1 + 3 * C_TOL), err

    monkeypatch.setattr(pw, "predicted_constant", off)
    out = CLAIMS[cid].evaluate()
    assert out.verdict is Verdict.FAILED, out.notes
    assert all(ev["fitted_order"] > 0.9 for ev in out.evidence["ladders"])   # the order alone would pass


# ------------------------------------------------------------------------------------------------
# (12) and the endpoints
# ------------------------------------------------------------------------------------------------


def test_eq12_claim_rejects_perturbed_forms(monkeypatch):
    """Every key of (12) (the noise variance rho_t^2 - rho_s^2, the integrator r), every perturbation that changes it
    (a sign flip, a factor 2, a swap of two symbols): the claim fails (its check on one of its cases, DDPM-linear/ML,
    where the printed forms are confirmed)."""
    from verify.claims import convergence as cc

    monkeypatch.setattr(cc, "EQ12_CASES", (("DDPM-linear", "ML"),))
    claim = CLAIMS["eq12"]
    forms = claim.printed()
    assert claim.evaluate(forms).verdict is Verdict.CONFIRMED
    tried = 0
    for key, form in forms.items():
        for label, bad in perturbations(form).items():
            if sp.simplify(bad - form) == 0:   # a swap of symbols the form is symmetric in (rho_t ring-rho_t)
                continue
            out = claim.evaluate(dict(forms, **{key: bad}), allow_erratum=False)
            assert out.verdict is Verdict.FAILED, (key, label, out.notes)
            tried += 1
    assert tried >= 4


def test_endpoints_claim_rejects_a_perturbed_wbar(monkeypatch):
    """w_bar of (23) perturbed (every way :func:`perturbations` knows): the endpoint study's closed form no longer
    holds and the claim fails (its check on one schedule, Logis)."""
    from derivations import REGISTRY
    from verify.claims import convergence as cc

    monkeypatch.setattr(REGISTRY, "schedules", {"Logis": REGISTRY.schedules["Logis"]})
    assert perturbed_key_rejections("endpoints", cc.KEY_WBAR) >= 3


# ------------------------------------------------------------------------------------------------
# UDS orders and weak order: the claims' checks on a short ladder
# ------------------------------------------------------------------------------------------------


def _uds_perturbed(claim):
    accepted = claim.accepted_forms()
    for key in claim.mutable_keys or accepted:
        for label, bad in perturbations(accepted[key]).items():
            yield f"{label} of {key}", dict(accepted, **{key: bad})


def test_uds_orders_claim_rejects_perturbed_forms(monkeypatch):
    """uds-orders on one schedule (Logis) and the ladder 32, 64, 128 without extension: confirmed as printed, failed
    for every perturbation of q_st and beta_st (a wrong q gives a wrong order or no convergence)."""
    from verify.claims import uds_torch as ut

    real = ut.flow_orders
    monkeypatch.setattr(ut, "flow_orders", lambda forms, **kw: real(
        forms, **dict(kw, schedules=("Logis",), ladder=(32, 64, 128), extend_to=None)))
    claim = CLAIMS["uds-orders"]
    assert claim.evaluate(claim.accepted_forms()).verdict is Verdict.CONFIRMED
    tried = 0
    for label, forms in _uds_perturbed(claim):
        if forms == claim.accepted_forms():
            continue
        out = claim.evaluate(forms, allow_erratum=False)
        # beta_st does not enter the flow (beta = 0): only q_st can change the orders
        assert out.verdict is Verdict.FAILED or "beta" in label, (label, out.evidence.get("headline"))
        tried += out.verdict is Verdict.FAILED
    assert tried >= 3


def test_uds_weak_order_claim_rejects_perturbed_forms(monkeypatch):
    """uds-weak-order on the ladder 32, 64, 128 (the claim's ratio 2, half its N): confirmed as printed, failed
    for q_st scaled, sign-flipped or swapped, and for beta_st scaled by 2."""
    from numerics.schedule_grid import BETA_KEY
    from verify.claims import uds_torch as ut

    real = ut.weak_errors
    monkeypatch.setattr(ut, "weak_errors", lambda forms, *, ladder, **kw: real(
        forms, ladder=tuple(n // 2 for n in ladder), **kw))
    claim = CLAIMS["uds-weak-order"]
    accepted = claim.accepted_forms()
    assert claim.evaluate(accepted).verdict is Verdict.CONFIRMED
    cases = list(_uds_perturbed(claim)) + [("scale by 2 of beta", dict(accepted, **{BETA_KEY: 2 * accepted[BETA_KEY]}))]
    for label, forms in cases:
        out = claim.evaluate(forms, allow_erratum=False)
        assert out.verdict is Verdict.FAILED, (label, out.evidence.get("headline"))
    assert len(cases) >= 3


# ------------------------------------------------------------------------------------------------
# Section 6: the models, the umbrella, Table 1
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", SOTA_CHECKED)
def test_sota_model_rejects_every_perturbed_key(model, monkeypatch):
    """Every key of the model's accepted forms, every perturbation: failed.  The numbers at the grid points (evidence
    only; they do not enter the verdict) are not computed here."""
    from verify.claims import section6 as c6

    check = c6.MODEL_CHECKS[model]
    monkeypatch.setattr(check, "numbers", None)
    claim = CLAIMS[f"sota-rates-{model}"]
    accepted = claim.accepted_forms()
    rows = claim.evaluate(accepted, allow_erratum=False).evidence["keys"]
    keys = [k for k, r in rows.items() if r["match"] is not None]   # a circular key is never established
    assert keys
    assert sum(perturbed_key_rejections(claim, k) for k in keys) >= len(keys)   # a 0 has one perturbation


@pytest.mark.parametrize("model", list(SOTA_UNCHECKED))
def test_unchecked_sota_model_never_accepts(model, monkeypatch):
    """No check can be built (see SOTA_UNCHECKED): skipped as printed and for every perturbation, never accepting."""
    from verify.claims import section6 as c6

    monkeypatch.setattr(c6.MODEL_CHECKS[model], "numbers", None)
    claim = CLAIMS[f"sota-rates-{model}"]
    accepted = claim.accepted_forms()
    assert claim.evaluate(accepted).verdict is Verdict.SKIPPED
    for key in accepted:
        for label, bad in perturbations(accepted[key]).items():
            out = claim.evaluate(dict(accepted, **{key: bad}), allow_erratum=False)
            assert out.verdict not in ACCEPTING and out.verdict is not Verdict.ERRATUM, (key, label)


@pytest.fixture
def umbrella_alone(monkeypatch):
    """The umbrella without its sub-results (each model's claim, reported beside the verdict, not part of it)."""
    from verify.claims import section6 as c6

    monkeypatch.setattr(c6, "MODEL_CHECKS", {})
    return CLAIMS["sota-rates"]


def test_sota_umbrella_rejects_every_perturbed_key(umbrella_alone):
    """Every key that rests on a fact other than the reviewed paper (a circular key, SiD2's, is never established and
    so cannot be contradicted either), every perturbation: failed."""
    claim = umbrella_alone
    out = claim.evaluate(claim.accepted_forms(), allow_erratum=False)
    assert out.verdict in ACCEPTING
    circular = out.evidence["not established (circular: rests on the reviewed paper)"]
    keys = [k for k in claim.accepted_forms() if k not in circular]
    assert len(keys) >= len(claim.accepted_forms()) - 1, circular
    assert sum(perturbed_key_rejections(claim, k) for k in keys) >= len(keys)


def test_sota_umbrella_rejects_a_wrong_fact(umbrella_alone, monkeypatch):
    """A wrong fact in Section 6's configurations: were EDM's S_churn 0 (a deterministic sampler), the accepted
    (corrected) 'EDM generates a deterministic flow' = 0 would be contradicted and the umbrella would fail."""
    import dataclasses

    from derivations import section6_sota as s6

    claim = umbrella_alone
    accepted = claim.accepted_forms()
    assert claim.evaluate(accepted, allow_erratum=False).verdict in ACCEPTING
    fact = s6.EDM.fact("S_churn")
    assert fact.value != 0
    monkeypatch.setitem(s6.EDM._index, "S_churn", dataclasses.replace(fact, value=0))
    out = claim.evaluate(accepted, allow_erratum=False)
    assert out.verdict is Verdict.FAILED, out.notes
    assert "EDM generates a deterministic flow" in out.notes


def test_table1_claim_rejects_a_perturbed_printed_table():
    """The claim's check on an analog that reproduces the printed table (synthetic results, as in
    tests/test_section6.py): confirmed as printed; with the printed HeunUDS Flow and ML columns swapped, or the
    Heun and Euler ML rows swapped, a statement is contradicted and the verdict is failed."""
    import numpy as np

    from test_section6 import _synthetic_results, _synthetic_runner
    from verify.claims.section6 import _table1_check

    floor = list(0.02 + 0.001 * np.random.default_rng(1).standard_normal(10))
    runner = _synthetic_runner(_synthetic_results(gap_uds=0.005), floor)
    forms = CLAIMS["table1-analog"].printed()
    assert _table1_check(forms, runner=runner).verdict is Verdict.CONFIRMED

    def swapped(a, b):
        out = dict(forms)
        for nfe in (63, 255):
            ka, kb = f"FID {a} @ {nfe}", f"FID {b} @ {nfe}"
            out[ka], out[kb] = forms[kb], forms[ka]
        return out

    for a, b in (("HeunUDS Flow", "HeunUDS ML"), ("HeunUDS ML", "EulerUDS ML")):
        bad = swapped(a, b)
        assert bad != forms and all(isinstance(v, sp.Basic) for v in bad.values())
        out = _table1_check(bad, runner=runner)
        assert out.verdict is Verdict.FAILED, (a, b, out.notes)
