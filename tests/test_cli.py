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
    assert doc["environment"]["sympy"] and doc["environment"]["device"]
    assert "## Errata" in md.read_text()
    assert "param-vel" in proc.stdout and "erratum" in proc.stdout


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
    assert proc.stderr.strip() == ("fbd-verify: error: noise schedule 'Down': ring-lambda' is not positive "
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
    assert [c["verdict"] for c in doc["claims"]] == ["proved", "erratum"]


def test_failed_claim_gives_exit_1():
    """A claim that fails (here: it cannot finish within the time limit) makes the run exit 1."""
    proc = run_cli("--only", "kg-weights", "--timeout", "0.01")
    assert proc.returncode == 1
    assert "failed" in proc.stdout and "timed out" in proc.stdout
