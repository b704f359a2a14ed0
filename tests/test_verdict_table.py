"""The verdict vocabulary is one table (verify.ledger.VERDICT_TABLE) that the reports, the README generator, --compare
and the exit status read; ``inconclusive`` is a verdict of its own (never reported as failed, never failing the run);
a confirmation chosen among readings after the run is rejected; corrections carry an error id and distinct errors are
counted once."""

from __future__ import annotations

import pytest

from verify import readme
from verify.ledger import (ACCEPTING, CLAIMS, SENSITIVITY, VERDICT_BASIS, VERDICT_INFO, VERDICT_MEANINGS,
                           VERDICT_TABLE, Claim, Correction, LedgerError, Outcome, Verdict, distinct_errors)
from verify.records import ClaimRecord
from verify.report import VERDICT_STYLE, VERDICTS, compare_reports, distinct_errors_by_kind, errata_line, markdown


def _record(cid="a", verdict="proved", errata=(), kind=None):
    return ClaimRecord(cid, "2", "t", verdict, "symbolic", None, None, None, {}, [], 0.1, "note " + cid,
                       erratum_kind=kind, errata=list(errata))


def test_one_record_per_verdict_and_everything_reads_it():
    assert [i.verdict for i in VERDICT_TABLE] and {i.verdict for i in VERDICT_TABLE} == set(Verdict)
    assert VERDICTS == tuple(i.verdict.value for i in VERDICT_TABLE)
    assert set(VERDICT_STYLE) == set(VERDICT_MEANINGS) == set(VERDICTS)
    assert set(ACCEPTING) == {Verdict.PROVED, Verdict.CONFIRMED}
    # only failed fails the run; inconclusive sits between the established verdicts and failed
    assert [v for v, i in VERDICT_INFO.items() if i.fails_run] == ["failed"]
    s = {v: i.strength for v, i in VERDICT_INFO.items()}
    assert s["confirmed"] > s["inconclusive"] > s["failed"] and s["proved"] > s["confirmed"]


def test_compare_regressions_follow_the_strength_order():
    base = {"a": {"verdict": "confirmed"}, "b": {"verdict": "inconclusive"}, "c": {"verdict": "inconclusive"}}
    diff = compare_reports(base, [_record("a", "inconclusive"), _record("b", "failed"), _record("c", "confirmed")])
    assert len(diff.changes) == 3
    assert diff.regressions == ["a: confirmed -> inconclusive", "b: inconclusive -> failed"]


def test_markdown_lists_inconclusive_apart_from_failed():
    text = markdown([_record("x", "inconclusive"), _record("y", "failed")])
    assert "| `inconclusive` |" in text and "## Inconclusive" in text
    inc = text[text.index("## Inconclusive"):text.index("## Failed")]
    assert "`x`" in inc and "`y`" not in inc


def test_an_inconclusive_claim_is_not_failed_and_leaves_the_exit_status_at_0(capsys):
    from verify.cli import run

    def undecided(forms):
        return Outcome(Verdict.INCONCLUSIVE, "torch", printed=forms, evidence={"precision that would decide": "x"},
                       notes="unresolved at this precision")

    def contradicted(forms):
        return Outcome(Verdict.FAILED, "torch", printed=forms, evidence={"measured": 1}, notes="opposite sign")

    def broken(forms):
        raise RuntimeError("sampler crashed")

    for cid, fn in (("zz-undecided", undecided), ("zz-contradicted", contradicted), ("zz-broken", broken)):
        CLAIMS[cid] = Claim(cid, "6", title="t", equations=(), method="torch", printed=lambda: {}, custom=fn, empirical=True)
    try:
        assert run(["--only", "zz-undecided", "--jobs", "1"]) == 0
        out = capsys.readouterr().out
        assert "inconclusive 1" in out and "failed 0" in out and "inconclusive (exit status unaffected): zz-undecided" in out
        # a contradicted empirical statement is a real failure: exit status 1
        assert run(["--only", "zz-contradicted", "--jobs", "1"]) == 1
        assert run(["--only", "zz-broken", "--jobs", "1"]) == 1   # a check that raises is failed, not inconclusive
    finally:
        for cid in ("zz-undecided", "zz-contradicted", "zz-broken"):
            CLAIMS.pop(cid)


# ------------------------------------------------------------------------------------------------
# No confirmation chosen among readings after the run
# ------------------------------------------------------------------------------------------------

DECLARED = {"method": "as the paper says"}


def _searching_check(basis_reading, holds=True, sensitivity=True):
    def check(forms):
        ev = {VERDICT_BASIS: {"reading": basis_reading, "holds": holds}}
        if sensitivity:
            ev[SENSITIVITY] = {"readings": 3, "reproduce": 1}
        return Outcome(Verdict.CONFIRMED, "torch", printed=forms, evidence=ev, notes="reproduced")
    return check


@pytest.mark.parametrize("basis, declared, holds, ok", [
    (DECLARED, DECLARED, True, True),                   # the declared reading holds: confirmed
    ({"method": "the one that matched"}, DECLARED, True, False),   # found by searching: rejected
    (DECLARED, DECLARED, False, False),                 # the declared reading does not hold: rejected
    ({"method": "the one that matched"}, None, True, False),       # nothing declared before the run: rejected
])
def test_a_confirmation_found_by_searching_readings_is_rejected(basis, declared, holds, ok):
    claim = Claim("zz-search", "6", title="t", equations=(), method="torch", printed=lambda: {}, custom=_searching_check(basis, holds),
                  declared_reading=declared)
    out = claim.evaluate()
    assert (out.verdict is Verdict.CONFIRMED) is ok, out.notes
    if not ok:
        assert out.verdict is Verdict.FAILED and "searched confirmation rejected" in out.evidence


def test_a_check_without_readings_is_untouched():
    claim = Claim("zz-plain", "6", title="t", equations=(), method="torch", printed=lambda: {},
                  custom=lambda f: Outcome(Verdict.CONFIRMED, "torch", printed=f, evidence={"x": 1}, notes="ok"))
    assert claim.evaluate().verdict is Verdict.CONFIRMED


# ------------------------------------------------------------------------------------------------
# Error ids and distinct errors
# ------------------------------------------------------------------------------------------------

def test_a_correction_needs_its_error_id():
    with pytest.raises(LedgerError, match="error id"):
        Correction("typo", ("k",), "reading", "evidence, line 100")
    with pytest.raises(LedgerError, match="error id"):
        Correction("typo", ("k",), "reading", "evidence, line 100", error="somewhere")
    assert Correction("typo", ("k",), "r", "e", error="line 100").record()["error"] == "line 100"


def test_every_declared_correction_has_an_error_id_and_shared_errors_count_once():
    corrections = [c for claim in CLAIMS.values() for c in claim.corrections]
    assert corrections and all(c.error for c in corrections)
    errors = distinct_errors(corrections)
    assert len(errors) < len(corrections)
    # line 413's rate is one error corrected in three claims; (17)'s ring in eq17 and prop1; (30)'s radical twice
    users = {e: sorted({cl.id for cl in CLAIMS.values() for c in cl.corrections if c.error == e})
             for e in ("line 413", "line 271", "line 358", "line 427")}
    assert users == {"line 413": ["sota-rates-REPA", "sota-rates-REPA-E", "sota-rates-SiT"],
                     "line 271": ["eq17", "prop1"], "line 358": ["eq29-m", "prop3"],
                     "line 427": ["sota-rates", "sota-rates-EDM"]}


def test_distinct_errors_in_the_summary_and_the_readme():
    e1 = {"kind": "substantive", "keys": ["k"], "reading": "r", "evidence": "e", "consequence": "c", "error": "line 413"}
    e2 = dict(e1, kind="typo", error="line 100")
    recs = [_record("a", "erratum", [e1], "substantive"), _record("b", "erratum", [e1], "substantive"),
            _record("c", "erratum", [e2], "typo")]
    assert distinct_errors_by_kind(recs)["substantive"] == 1 and distinct_errors_by_kind(recs)["typo"] == 1
    assert "errata by kind (claims): substantive 2, typo 1" in errata_line(recs)
    assert "distinct errors: 2 (substantive 1, typo 1" in errata_line(recs)
    report = {"summary": {"proved": 0, "confirmed": 0, "erratum": 3, "inconclusive": 1, "failed": 0, "skipped": 0,
                          "errata_by_kind": {"substantive": 2, "typo": 1, "extraction": 0, "convention": 0}},
              "coverage": {"covered": {}, "not_covered": [1], "equations": 1}, "seconds": 1.0, "environment": {"cpu_count": 2},
              "claims": [{"id": r.id, "verdict": r.verdict, "seconds": 0.1, "errata": r.errata, "notes": r.notes,
                          "printed": {}} for r in recs] + [{"id": "d", "verdict": "inconclusive", "seconds": 0.1,
                                                            "notes": "unresolved", "errata": []}]}
    text = readme.render(report)["verdicts"]
    assert "3 errata, 1 inconclusive, 0 skipped and 0 failed" in text
    assert "distinct errors of the paper, each counted once by the paper line it fixes: 2 (1 substantive, 1 typo" in text
    assert "Inconclusive (exit status 0): `d`: unresolved" in text


def test_a_record_refuses_a_verdict_outside_the_table():
    assert _record(verdict="inconclusive").verdict == "inconclusive"
    assert _record(verdict=Verdict.ERRATUM).verdict == "erratum"  # the enum member is stored as its value
    with pytest.raises(ValueError, match="unknown verdict 'provd'; a verdict is one of proved, confirmed"):
        _record(verdict="provd")


def test_the_report_lists_exactly_the_verdicts_the_table_lists_with_a_heading():
    from verify.ledger import LISTED

    recs = [_record(str(i.verdict.value), i.verdict.value) for i in VERDICT_TABLE]
    md = markdown(recs, 1.0)
    for i in VERDICT_TABLE:
        assert (f"## {i.listed_as}" in md) == bool(i.listed_as), i.verdict
    assert {i.verdict for i in LISTED} == {Verdict.INCONCLUSIVE, Verdict.FAILED}


def test_equations_come_from_one_place():
    from verify.ledger import LedgerError
    from verify.paper_text import NUMBERED_EQUATIONS
    from verify.report import EQUATIONS, coverage

    assert EQUATIONS is NUMBERED_EQUATIONS and coverage([])["equations"] == len(NUMBERED_EQUATIONS)
    assert all(set(c.equations) <= set(NUMBERED_EQUATIONS) for c in CLAIMS.values())
    with pytest.raises(LedgerError, match=r"equations \[44\] are not among the paper's numbered equations"):
        from verify.ledger import Claim

        Claim("x", "2", title="t", equations=(1, 44), method="symbolic", printed=lambda: {})
