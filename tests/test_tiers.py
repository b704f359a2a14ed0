"""Tiers by cost: one place for the tier, per-claim tier tables, the tier in the reports, bench --ledger."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verify import tiers
from verify.ledger import CLAIMS, Claim, LedgerError

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=600)


@pytest.mark.parametrize("env, expected", [({}, "default"), ({"FBD_VERIFY_FULL": "1"}, "full"),
                                           ({"FBD_VERIFY_TIER": "quick"}, "quick"),
                                           ({"FBD_VERIFY_TIER": "quick", "FBD_VERIFY_FULL": "1"}, "quick")])
def test_the_tier_comes_from_one_place(monkeypatch, env, expected):
    for k in (tiers.TIER_ENV, tiers.FULL_ENV):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert tiers.current() == expected


def test_set_tier_keeps_the_older_full_switch_in_step(monkeypatch):
    for k in (tiers.TIER_ENV, tiers.FULL_ENV):  # setenv first: monkeypatch then restores what set_tier writes
        monkeypatch.setenv(k, "")
        monkeypatch.delenv(k)
    tiers.set_tier("full")
    assert tiers.current() == "full" and os.environ[tiers.FULL_ENV] == "1"
    tiers.set_tier("quick")
    assert tiers.current() == "quick" and tiers.FULL_ENV not in os.environ
    with pytest.raises(ValueError, match="unknown tier"):
        tiers.set_tier("fast")
    monkeypatch.setenv(tiers.TIER_ENV, "fast")
    with pytest.raises(ValueError, match="FBD_VERIFY_TIER='fast'"):
        tiers.current()


def test_a_tier_a_table_does_not_name_runs_the_default_settings():
    table = {"default": {"samples": 100, "ladder": (1, 2, 3)}, "quick": {"samples": 10}}
    assert tiers.settings(table, "quick") == {"samples": 10, "ladder": (1, 2, 3)}
    assert tiers.settings(table, "full") == {"samples": 100, "ladder": (1, 2, 3)}
    assert tiers.setting(table, "ladder", "quick") == (1, 2, 3)
    with pytest.raises(KeyError, match="digits"):
        tiers.setting(table, "digits", "quick")
    assert tiers.settings(None, "quick") == {}


def test_a_claim_names_only_known_tiers():
    with pytest.raises(LedgerError, match="unknown tiers"):
        Claim("x", "2", title="t", equations=(), method="symbolic", printed=dict, tiers={"fast": {"n": 1}})
    for c in CLAIMS.values():  # every declared table: known tiers, and a lower tier never runs more than a higher
        if not c.tiers:
            continue
        assert set(c.tiers) <= set(tiers.TIERS), c.id
        q, d, f = (tiers.settings(c.tiers, t) for t in tiers.TIERS)
        for key, value in d.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                assert q[key] <= value <= f[key], (c.id, key)


def test_table1_analog_declares_what_each_tier_changes(monkeypatch):
    from verify.claims.section6 import table1_settings

    monkeypatch.delenv("FBD_VERIFY_TABLE1_SAMPLES", raising=False)
    assert CLAIMS["table1-analog"].tiers
    got = {}
    for name in ("default", "full"):
        monkeypatch.setenv(tiers.TIER_ENV, name)
        got[name] = table1_settings()
        assert got[name]["n_samples"] == CLAIMS["table1-analog"].setting("n_samples")
    assert got["default"]["n_samples"] < got["full"]["n_samples"]
    assert {k: v for k, v in got["default"].items() if k not in ("n_samples", "floor_replicates")} == \
        {k: v for k, v in got["full"].items() if k not in ("n_samples", "floor_replicates")}


@pytest.mark.parametrize("cid", ["table1-analog", "uds-distribution", "uds-vs-peers", "mechanism-trained",
                                 "sota-rates"])
def test_a_check_calibrated_at_the_default_size_is_skipped_in_the_quick_tier_with_its_reason(monkeypatch, cid):
    from verify.ledger import Verdict, run_claim

    monkeypatch.setenv(tiers.TIER_ENV, "quick")
    out = run_claim(CLAIMS[cid])
    assert out.verdict is Verdict.SKIPPED
    assert "not run in the quick tier" in out.notes and "the default tier runs it" in out.notes
    assert out.evidence["tier"] == "quick" and out.evidence["not run in this tier"]
    monkeypatch.setenv(tiers.TIER_ENV, "default")  # the default tier runs it (and its mutation test runs there)
    assert CLAIMS[cid].tier_skip() is None


def test_deciding_tier_names_the_next_tier_up():
    assert tiers.deciding_tier("quick") == "the default tier"
    assert tiers.deciding_tier("default") == "--full"
    assert "GPU" in tiers.deciding_tier("full")


def test_the_reports_name_the_tier(tmp_path):
    js, md = tmp_path / "r.json", tmp_path / "r.md"
    proc = run_cli("--quick", "--only", "eq24", "--no-cache", "--json", str(js), "--markdown", str(md))
    assert proc.returncode == 0, proc.stderr
    assert "(tier quick)" in proc.stdout and "cache off (--no-cache)" in proc.stdout
    doc = json.loads(js.read_text())
    assert doc["options"]["tier"] == "quick" and doc["claims"][0]["tier"] == "quick"
    assert "tier quick" in md.read_text()
    proc = run_cli("--quick", "--full", "--only", "eq24")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


def test_bench_ledger_times_each_tier(tmp_path):
    out = tmp_path / "b.json"
    proc = run_cli("bench", "--ledger", "--tier", "quick", "--only", "eq24", "--jobs", "1", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert [r["tier"] for r in doc["runs"]] == ["quick"]
    for r in doc["runs"]:
        assert list(r["claims"]) == ["eq24"] and r["claims"]["eq24"] > 0 and r["wall_s"] >= r["claims"]["eq24"]
        assert r["verdicts"]["eq24"] == "proved" and r["load_before"] is not None
    assert "eq24" in proc.stdout and "quick: wall" in proc.stdout
    proc = run_cli("bench", "--ledger", "--tier", "fast")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


def test_the_quick_tier_checks_two_cases_of_each_schedules_ladders(monkeypatch):
    """prop2-<schedule> in the quick tier: the first two (rate, parameterization, denoiser) cases, the ML rate with
    both denoisers; every case in the default and full tiers."""
    from verify.claims import convergence as cc

    cases = cc._schedule_cases("Logis")
    assert len(cases) >= 6 and cases[0][1] == "ML" and {c[2] for c in cases[:2]} == set(cc.PROP2_DENOISERS)
    monkeypatch.setenv(tiers.TIER_ENV, "quick")
    assert cc._tier_cases(cases) == cases[:2]
    for tier in ("default", "full"):
        monkeypatch.setenv(tiers.TIER_ENV, tier)
        assert cc._tier_cases(cases) == cases


def test_a_claim_with_a_tier_table_derives_once_per_tier(monkeypatch):
    """The memoised derivation of a claim with a tier table follows the run's tier (it never serves one tier's
    derivation, with that tier's evidence, to another)."""
    from verify.ledger import Derivation

    claim = Claim("zz-tiered", "2", title="t", equations=(), method="symbolic", printed=dict,
                  derive=lambda: Derivation({}, evidence={"tier": tiers.current()}),
                  tiers={"quick": {"n": 1}, "default": {"n": 2}})
    monkeypatch.setenv(tiers.TIER_ENV, "quick")
    assert claim.derivation().evidence["tier"] == "quick"
    monkeypatch.setenv(tiers.TIER_ENV, "default")
    assert claim.derivation().evidence["tier"] == "default"
    assert claim.derivation() is claim.derivation()


def test_kg_weights_quick_tier_leaves_out_only_its_display_forms(monkeypatch):
    """kg-weights in the quick tier: the same expected form and the same check (a perturbed omega fails), without
    the w(lambda) display forms the default tier shows."""
    from claim_helpers import perturbed_key_rejections

    claim = CLAIMS["kg-weights"]
    monkeypatch.setenv(tiers.TIER_ENV, "quick")
    quick = claim.derive()
    assert isinstance(quick.evidence["w_of_lambda"], str) and "quick tier" in quick.evidence["w_of_lambda"]
    assert claim.evaluate().verdict.value == "proved"
    assert perturbed_key_rejections(claim, "omega") >= 2
    assert tiers.settings(claim.tiers, "default")["w_of_lambda"] and tiers.settings(claim.tiers, "full")["w_of_lambda"]
    assert set(quick.expected) == {"omega"} and quick.evidence["pairs (w derived from K&G's own objective "
                                                              "definitions, constants kept)"]
