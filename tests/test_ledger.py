"""The ledger machinery: comparison routes, verdict logic, errata, failures and time-outs."""

import json
import time

import pytest
import sympy as sp

from verify import ledger
from verify.ledger import (CLAIMS, Claim, Correction, Derivation, LedgerError, Verdict, compare, perturbations,
                           principal_kind, run_claim)
from verify.records import make_record
from verify.report import coverage, markdown, summary, to_json
from verify.runner import run_claims

x, y = sp.symbols("x y", positive=True)


def test_compare_symbolic_and_numeric_routes():
    proved = compare("k", (x + y) ** 2, x**2 + 2 * x * y + y**2)
    assert proved.symbolic_zero and proved.numeric_ok and proved.points == ledger.NUMERIC_POINTS
    wrong = compare("k", (x + y) ** 2, x**2 + y**2)
    assert not wrong.numeric_ok and not wrong.symbolic_zero
    # an identity the cheap symbolic steps cannot reach is still caught by the 50-digit numeric route
    numeric_only = compare("k", sp.gamma(x + 1), x * sp.gamma(x), simplify=lambda e: e)
    assert numeric_only.numeric_ok and not numeric_only.symbolic_zero


def test_compare_rejects_tiny_differences():
    """A difference of 1e-30 is far above the 1e-35 tolerance of the numeric route."""
    c = compare("k", x + sp.Rational(1, 10**30), x)
    assert not c.match


SIGN = Correction("convention", ("f",), "f = -(printed)", "a synthetic sign convention", error="line 100")


def _claim(cid, printed, expected, corrected=None, **kw):
    if corrected is not None:
        kw.setdefault("corrections", (SIGN,))
    return Claim(cid, "2", title="synthetic", equations=(1,), method="symbolic", printed=lambda: printed,
                 derive=lambda: Derivation(expected), corrected=(lambda: corrected) if corrected else None, **kw)


def test_verdicts_proved_confirmed_erratum_failed():
    assert _claim("a", {"f": x * (x + 1)}, {"f": x**2 + x}).evaluate().verdict is Verdict.PROVED
    c = Claim("b", "2", title="t", equations=(), method="symbolic", printed=lambda: {"f": sp.gamma(x + 1)},
              derive=lambda: Derivation({"f": x * sp.gamma(x)}, simplify=lambda e: e))
    assert c.evaluate().verdict is Verdict.CONFIRMED
    err = _claim("c", {"f": -x}, {"f": x}, corrected={"f": x}, erratum_reason="sign")
    out = err.evaluate()
    assert out.verdict is Verdict.ERRATUM and out.corrected == {"f": x} and "sign" in out.notes
    assert out.erratum_kind == "convention" and out.errata == (SIGN,)
    # an erratum whose correction is itself wrong is a failure, not an erratum
    assert _claim("d", {"f": -x}, {"f": x}, corrected={"f": 2 * x}).evaluate().verdict is Verdict.FAILED
    # a mismatch with no declared correction fails loudly
    out = _claim("e", {"f": -x}, {"f": x}).evaluate()
    assert out.verdict is Verdict.FAILED and "disagrees" in out.notes


def test_corrections_are_declared_with_a_known_kind():
    with pytest.raises(LedgerError, match="declared corrections"):
        Claim("z", "2", title="t", equations=(), method="symbolic", printed=lambda: {"f": x}, derive=lambda: Derivation({"f": x}), corrected=lambda: {})
    with pytest.raises(LedgerError, match="unknown erratum kind"):
        Correction("cosmetic", ("f",), "r", "e", error="line 100")
    with pytest.raises(LedgerError, match="keys, the reading and the evidence"):
        Correction("typo", (), "r", "e", error="line 100")
    kinds = [Correction(k, ("f",), "r", "e", error="line 100") for k in ("convention", "typo", "extraction")]
    assert principal_kind(kinds) == "typo"
    assert principal_kind(kinds + [Correction("substantive", ("g",), "r", "e", error="line 101")]) == "substantive"


def test_custom_claim_erratum_runs_the_check_on_the_corrected_forms():
    from verify.ledger import Outcome

    def check(forms):
        ok = forms["f"] == x
        return Outcome(Verdict.CONFIRMED if ok else Verdict.FAILED, "mpmath", printed=forms, evidence={"seen": str(forms["f"])},
                       notes="agrees" if ok else "disagrees")

    c = Claim("n", "4", title="t", equations=(), method="mpmath", printed=lambda: {"f": -x}, custom=check, corrected=lambda: {"f": x},
              corrections=(SIGN,))
    out = c.evaluate()
    assert out.verdict is Verdict.ERRATUM and out.erratum_kind == "convention"
    assert out.evidence["printed_forms_verdict"] == "failed" and out.evidence["corrected_forms_verdict"] == "confirmed"
    assert c.evaluate(allow_erratum=False).verdict is Verdict.FAILED
    wrong = Claim("n2", "4", title="t", equations=(), method="mpmath", printed=lambda: {"f": -x}, custom=check, corrected=lambda: {"f": 2 * x},
                  corrections=(SIGN,))
    assert wrong.evaluate().verdict is Verdict.FAILED


def test_accepted_forms_are_corrected_for_errata():
    err = _claim("c", {"f": -x}, {"f": x}, corrected={"f": x})
    assert err.accepted_forms() == {"f": x}


def test_perturbations_change_the_expression():
    for e in (x + y, x / y, sp.sqrt(x) - y**2, sp.Integer(0), x):
        for label, p in perturbations(e).items():
            assert sp.simplify(p - e) != 0, (e, label)
    assert any(k.startswith("swap") for k in perturbations(x / y))


def test_exception_becomes_failed_with_reason():
    def boom():
        raise ZeroDivisionError("division by zero in the derivation")

    c = Claim("boom", "2", title="t", equations=(), method="symbolic", printed=lambda: {"f": x}, derive=boom)
    out = run_claim(c)
    assert out.verdict is Verdict.FAILED and "ZeroDivisionError" in out.notes


def test_unknown_method_rejected():
    with pytest.raises(LedgerError, match="unknown method"):
        Claim("m", "2", title="t", equations=(), method="guesswork", printed=lambda: {}, derive=None)


def test_select_patterns():
    ids = [c.id for c in ledger.select(["param-*"])]
    assert ids and all(i.startswith("param-") for i in ids)
    with pytest.raises(LedgerError, match="no claim matches 'nosuchclaim'"):
        ledger.select(["nosuchclaim"])


def test_runner_timeout_and_crash_do_not_stop_the_run():
    def slow(forms):
        time.sleep(30)

    def crash(forms):
        import os

        os._exit(3)

    claims = [Claim("zz-slow", "2", title="t", equations=(), method="mpmath", printed=lambda: {}, custom=slow),
              Claim("zz-crash", "2", title="t", equations=(), method="mpmath", printed=lambda: {}, custom=crash),
              CLAIMS["eq3-estimators"]]
    for c in claims[:2]:
        CLAIMS[c.id] = c
    CLAIMS["eq3-estimators"].printed()  # parse its LaTeX here: the forked workers inherit the parser's cache
    try:
        start = time.perf_counter()
        recs = run_claims(claims, jobs=2, timeout=8)
        assert time.perf_counter() - start < 25
    finally:
        for c in claims[:2]:
            CLAIMS.pop(c.id)
    by_id = {r.id: r for r in recs}
    assert by_id["zz-slow"].verdict == "failed" and "timed out" in by_id["zz-slow"].notes
    assert by_id["zz-crash"].verdict == "failed" and "exited with code 3" in by_id["zz-crash"].notes
    assert by_id["eq3-estimators"].verdict == "proved"


def test_runner_workers_run_claims_in_turn_and_a_dead_one_is_replaced():
    """Each worker runs claims one after another (what one claim computed and cached, the next finds); a worker
    that dies takes only its claim with it: the next claim runs in a fresh worker."""
    import os

    def pid(forms):
        return ledger.Outcome(Verdict.CONFIRMED, "mpmath", evidence={"pid": os.getpid()})

    def crash(forms):
        os._exit(4)

    claims = [Claim(f"zz-pid{i}", "2", title="t", equations=(), method="mpmath", printed=lambda: {}, custom=pid)
              for i in range(2)]
    claims.insert(1, Claim("zz-die", "2", title="t", equations=(), method="mpmath", printed=lambda: {},
                           custom=crash))
    claims.append(Claim("zz-pid2", "2", title="t", equations=(), method="mpmath", printed=lambda: {}, custom=pid))
    for c in claims:
        CLAIMS[c.id] = c
    try:
        recs = run_claims(claims, jobs=1, timeout=20)
    finally:
        for c in claims:
            CLAIMS.pop(c.id)
    by_id = {r.id: r for r in recs}
    assert by_id["zz-die"].verdict == "failed" and "exited with code 4" in by_id["zz-die"].notes
    pids = [by_id[f"zz-pid{i}"].evidence["pid"] for i in range(3)]
    assert all(by_id[f"zz-pid{i}"].verdict == "confirmed" for i in range(3))
    assert os.getpid() not in pids                      # in workers, not here
    assert pids[0] != pids[1] and pids[1] == pids[2]    # a fresh worker after the death, then reused


def test_report_json_schema_and_markdown():
    claim = CLAIMS["param-vel"]
    rec = make_record(claim, run_claim(claim))
    doc = to_json([rec], seconds=1.0)
    json.dumps(doc)  # serialisable
    assert set(doc) >= {"version", "claims", "summary", "environment"}
    c = doc["claims"][0]
    assert set(c) >= {"id", "section", "title", "verdict", "method", "printed", "derived", "corrected",
                      "evidence", "equations", "seconds"}
    assert c["verdict"] == "erratum" and c["corrected"] is not None
    assert all("latex" in v and "sympy" in v for v in c["printed"].values())
    assert summary([rec])["erratum"] == 1
    cov = coverage([rec])
    assert "2" in cov["covered"] and 1 in cov["not_covered"]
    assert c["erratum_kind"] == "typo" and {e["kind"] for e in c["errata"]} == {"typo"}
    # two distinct errors on one line (S_t's sign, the network's input), each with its error id
    assert {e["error"] for e in c["errata"]} == {"line 141: sign of S_t", "line 141: network input"}
    assert doc["summary"]["distinct_errors_by_kind"]["typo"] == 2
    assert doc["summary"]["errata_by_kind"]["typo"] == 1
    src = c["sources"]["network input of v_hat (line 141)"][0]
    assert src["line"] == 141 and src["route"] == "parsed" and r"\hat{v}_t" in src["verbatim"]
    md = markdown([rec])
    assert "## Errata" in md and "param-vel" in md and "printed (literal):" in md and "corrected:" in md
    assert "**typo** (error: line 141: sign of S_t)" in md and "reading:" in md and "line 141" in md
    assert "Distinct errors of the paper" in md and ": 2 (substantive 0, typo 2" in md
    assert "## How the printed forms are read" in md


def test_paper_text_has_one_id_scheme_and_integer_lines():
    from verify.paper_text import ENTRIES, Printed, id_problem

    assert len({e.id for e in ENTRIES}) == len(ENTRIES)
    for e in ENTRIES:
        assert id_problem(e.id, e.where) == "", e.id
        assert e.line is None or (type(e.line) is int and 1 <= e.line <= 999), e.id
    assert id_problem("eq17.kl", "(17)") == "" and id_problem("s2.logis.alpha", "Section 2, Logis") == ""
    for bad, where in (("logis.alpha", "Section 2, Logis"), ("eq17.kl", "(18)"), ("s4.mu1", "Section 2"),
                       ("s2", "Section 2"), ("eq44", "(44)"), ("sA.prop3", "Section 5")):
        assert id_problem(bad, where), bad
    with pytest.raises(ValueError, match="line must be the review copy's line number"):
        Printed("eq1.Y", "(1)", "088", 116, "X", "X")
    with pytest.raises(ValueError, match="an id is eq<N>"):
        Printed("normal.alpha", "Section 2, Normal", 114, 147, "X", "X")


def test_the_numeric_route_rejects_a_near_miss_and_a_form_defined_nowhere():
    """A printed form off by one part in 10^20 is rejected by the 50-digit route (the tolerance is 1e-35, so a
    loosened tolerance shows here, not only on gross perturbations); a derived form with no point where it is
    defined never counts as agreement."""
    from verify.ledger import NUMERIC_TOL, compare

    x, y = sp.symbols("x y", positive=True)
    near = compare("k", x * y * (1 + sp.Rational(1, 10**20)), x * y)
    assert not near.numeric_ok and not near.symbolic_zero and float(near.max_residual) > 1e6 * float(NUMERIC_TOL)
    exact = compare("k", sp.expand((x + y) ** 2), (x + y) ** 2)
    assert exact.numeric_ok and exact.symbolic_zero
    nowhere = compare("k", x, x + sp.zoo)  # the derived form is undefined at every point
    assert not nowhere.numeric_ok and nowhere.points == 0 and "no sample point" in nowhere.note


def test_workers_start_the_longest_limit_first_and_report_in_ledger_order():
    """With several workers the claim with the larger time limit starts first (it would otherwise start last and
    run alone); the records come back in the ledger's order; one worker keeps the ledger's order."""
    import dataclasses

    claims = [dataclasses.replace(CLAIMS["eq3-estimators"], timeout=10.0),
              dataclasses.replace(CLAIMS["param-vel"], timeout=50.0)]
    for jobs, first in ((2, "param-vel"), (1, "eq3-estimators")):
        started: list[str] = []
        recs = run_claims(claims, jobs=jobs, timeout=120, on_start=lambda c: started.append(c.id))
        assert started[0] == first and [r.id for r in recs] == ["eq3-estimators", "param-vel"]
