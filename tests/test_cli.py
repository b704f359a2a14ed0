"""The command line: reports, exit codes, and one clear line for bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


def test_run_writes_json_and_markdown(tmp_path):
    js, md = tmp_path / "r.json", tmp_path / "r.md"
    proc = run_cli("--only", "eq3-estimators", "--only", "param-v*", "--json", str(js), "--markdown", str(md))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(js.read_text())
    assert doc["summary"]["proved"] == 1 and doc["summary"]["erratum"] == 2
    assert [c["id"] for c in doc["claims"]] == ["eq3-estimators", "param-vel", "param-veln"]
    assert doc["environment"]["packages"]["sympy"] and doc["environment"]["device"]
    assert "git_commit" in doc["environment"]
    assert doc["options"]["only"] == ["eq3-estimators", "param-v*"] and doc["options"]["full"] is False
    text = md.read_text()
    assert "## Errata" in text and "how it is known" in text and "| `proved` |" in text
    assert "param-vel" in proc.stdout and "erratum (typo)" in proc.stdout
    # off a terminal every claim is one unwrapped line (no identifier split across lines)
    assert any(line.startswith("param-veln ") for line in proc.stdout.splitlines())


def test_help_names_the_subcommands_exit_codes_and_outputs():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for word in ("bench", "readme", "notebooks", "exit status", "2 bad input", "Nothing is written", "minutes"):
        assert word in proc.stdout, word


def test_quiet_still_prints_the_verdict_line():
    proc = run_cli("--only", "eq3-estimators", "--quiet")
    assert proc.returncode == 0
    assert proc.stdout.strip().splitlines() == [proc.stdout.strip().splitlines()[-1]]
    assert proc.stdout.startswith("Verdicts: proved 1")


def test_compare_reports_changes_and_regressions(tmp_path):
    base = tmp_path / "base.json"
    assert run_cli("--only", "eq3-estimators", "--only", "param-vel", "--json", str(base), "--quiet").returncode == 0
    same = run_cli("--only", "eq3-estimators", "--only", "param-vel", "--compare", str(base), "--quiet")
    assert same.returncode == 0 and "0 change(s), 0 regression(s)" in same.stdout
    doc = json.loads(base.read_text())
    doc["claims"][1]["verdict"], doc["claims"][1]["erratum_kind"] = "proved", None  # pretend it was proved
    doc["claims"][0]["verdict"] = "failed"                                           # and this one failed
    base.write_text(json.dumps(doc))
    proc = run_cli("--only", "eq3-estimators", "--only", "param-vel", "--compare", str(base), "--quiet")
    assert proc.returncode == 1, proc.stdout
    assert "param-vel: proved -> erratum (typo)" in proc.stdout and "1 regression(s)" in proc.stdout
    assert "eq3-estimators: failed -> proved" in proc.stdout


def test_list():
    proc = run_cli("--list")
    assert proc.returncode == 0 and "kg-weights" in proc.stdout and "schedule-normal" in proc.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--only", "nosuchclaim"], "no claim matches 'nosuchclaim'"),
        (["--only", "eq3-estimators", "--json", "/nonexistent-dir/r.json"], "directory /nonexistent-dir does not exist"),
        (["--only", "eq3-estimators", "--markdown", "/"], "is a directory"),
        (["--schedules", "/nonexistent.toml"], "not found"),
        (["--jobs", "0"], "--jobs must be >= 1"),
        (["--timeout", "-1"], "--timeout must be > 0"),
        (["--only", "eq3-estimators", "--compare", "/nonexistent.json"], "--compare /nonexistent.json: not found"),
        (["--only", "eq3-estimators", "--compare", "/"], "is a directory"),
        (["--only", "eq3-estimators", "--compare", "/etc/hostname"], "not a JSON report"),
        (["--schedules", "/"], "is a directory"),
    ],
)
def test_bad_input_one_line(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("fbd-verify: error:")
    assert "Traceback" not in proc.stderr


def test_invalid_schedule_file_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[schedule]]\nname = 'Down'\nring_lambda = 'log((1-t)/t)'\n")
    proc = run_cli("--schedules", str(bad), "--list")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"fbd-verify: error: {bad}: noise schedule 'Down': ring-lambda' is not positive "
                                   "(ring-rho must increase) at t=0.000123395 (value -8105.08)")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_json(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    proc = run_cli("--only", "eq3-estimators", "--json", str(ro / "r.json"))
    assert proc.returncode == 2 and "not writable" in proc.stderr


def test_schedule_file_reruns_the_battery(tmp_path):
    """A schedule added by file is covered by every per-schedule check (here the parameterizations)."""
    js = tmp_path / "r.json"
    proc = run_cli("--schedules", str(ROOT / "examples/schedules.toml"), "--only", "param-noise",
                   "--only", "param-vel", "--json", str(js))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(js.read_text())
    for claim in doc["claims"]:
        assert "S_t [ShiftedCos]" in claim["printed"], claim["id"]
        assert claim["user_entries"] == ["ShiftedCos"]
    assert [c["verdict"] for c in doc["claims"]] == ["proved", "erratum"]
    assert doc["options"]["schedule_files"][0]["schedules"] == ["ShiftedCos"]
    assert "loaded" in proc.stdout and "ShiftedCos" in proc.stdout.splitlines()[0]


def test_failed_claim_gives_exit_1():
    """A claim that fails (here: it cannot finish within the time limit) makes the run exit 1."""
    proc = run_cli("--only", "kg-weights", "--timeout", "0.01")
    assert proc.returncode == 1
    assert "failed" in proc.stdout and "timed out" in proc.stdout


def test_a_write_failure_at_the_end_keeps_the_summary(tmp_path, monkeypatch, capsys):
    """The output path is checked before the run; if writing still fails (disk full), the verdict line is
    printed and the error is one line, exit status 2."""
    from pathlib import Path as P

    from verify.cli import run

    real = P.write_text

    def full_disk(self, *a, **k):
        if self.name == "r.json":
            raise OSError(28, "No space left on device")
        return real(self, *a, **k)

    monkeypatch.setattr(P, "write_text", full_disk)
    code = run(["--only", "eq3-estimators", "--json", str(tmp_path / "r.json"), "--jobs", "1"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Verdicts: proved 1" in out
    assert err.strip() == "fbd-verify: error: could not write the report: No space left on device"


def test_an_undecided_empirical_check_is_inconclusive_not_an_exit_status(capsys):
    """An empirical reproduction whose check completes but cannot decide is inconclusive (exit 0); one whose check
    raises is failed (exit 1).  (A contradicted statement is failed too: tests/test_verdict_table.py.)"""
    from verify.cli import run
    from verify.ledger import CLAIMS, Claim, Outcome, Verdict

    def measured(forms):
        return Outcome(Verdict.INCONCLUSIVE, "torch", forms, None, None, {"measured": 1}, "unresolved")

    def broken(forms):
        raise RuntimeError("sampler crashed")

    for cid, fn in (("zz-analog", measured), ("zz-analog-broken", broken)):
        CLAIMS[cid] = Claim(cid, "6", "t", (), "torch", lambda: {}, custom=fn, empirical=True)
    try:
        assert run(["--only", "zz-analog", "--jobs", "1"]) == 0
        out = capsys.readouterr().out
        assert "inconclusive 1" in out and "failed 0" in out and "inconclusive (exit status unaffected): zz-analog" in out
        assert run(["--only", "zz-analog-broken", "--jobs", "1"]) == 1
    finally:
        CLAIMS.pop("zz-analog")
        CLAIMS.pop("zz-analog-broken")
