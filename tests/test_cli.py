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
    js, md = tmp_path / "r.json", tmp_path / "r.md"
    proc = run_cli("--schedules", str(ROOT / "examples/schedules.toml"), "--only", "param-noise",
                   "--only", "param-vel", "--json", str(js), "--markdown", str(md))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(js.read_text())
    for claim in doc["claims"]:
        assert "S_t [ShiftedCos]" in claim["printed"], claim["id"]
        assert claim["user_entries"] == ["ShiftedCos"]
    assert [c["verdict"] for c in doc["claims"]] == ["proved", "erratum"]
    assert doc["options"]["schedule_files"][0]["schedules"] == ["ShiftedCos"]
    assert "loaded" in proc.stdout and "ShiftedCos" in proc.stdout.splitlines()[0]
    # the Markdown report opens with the user's entries: file, kind, name, expression, and the claims that covered it
    head = md.read_text().split("\nVerdicts: ")[0]
    assert "## Your entries" in head and "examples/schedules.toml" in head
    rows = {line.split(" | ")[2]: line for line in head.splitlines() if line.startswith("| `")}
    assert set(rows) == {"`ShiftedCos`", "`ELBO`", "`half-ML`", "`ShiftedCos/ELBO`"}
    assert "| schedule |" in rows["`ShiftedCos`"] and "ring_lambda = log(tan(pi*t/2)) + log(2)" in rows["`ShiftedCos`"]
    assert "**proved** `param-noise`" in rows["`ShiftedCos`"] and "**erratum** `param-vel`" in rows["`ShiftedCos`"]
    assert "no claim in this run covered it" in rows["`half-ML`"]
    assert doc["options"]["user_entries"][1] == {"file": str(ROOT / "examples/schedules.toml"),
                                                 "kind": "parameterization", "name": "ELBO",
                                                 "expression": "S = sqrt(ring_lambda_prime)"}


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


# ------------------------------------------------------------------------------------------------
# No run is lost (issue 16): the baseline is checked first, the reports are written before the comparison,
# an interruption writes the finished claims as a partial report, two reports never share a file
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"claims": [{"id": "eq17"}]}, "claim 1 ('eq17') has no verdict"),
        ({"claims": [{"id": "eq17", "verdict": "great"}]}, "claim 1 ('eq17') has verdict 'great'"),
        ({"claims": [{"verdict": "proved"}]}, "claim 1 has no id"),
        ({"claims": {"eq17": "proved"}}, "no claims list"),
        ([{"id": "eq17", "verdict": "proved"}], "no claims list"),
        ({"claims": [{"id": "eq17", "verdict": "proved"}, {"id": "eq17", "verdict": "failed"}]}, "appears twice"),
    ],
)
def test_compare_baseline_of_the_wrong_shape_is_rejected_before_any_claim_runs(tmp_path, doc, message):
    base, js = tmp_path / "base.json", tmp_path / "r.json"
    base.write_text(json.dumps(doc))
    proc = run_cli("--only", "eq3-estimators", "--compare", str(base), "--json", str(js))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fbd-verify: error: --compare") and message in lines[0], lines
    assert "running" not in proc.stdout and not js.exists()  # nothing ran


def test_the_same_path_for_two_reports_is_an_error(tmp_path):
    (tmp_path / "sub").mkdir()
    target = tmp_path / "r.out"
    (tmp_path / "link.out").symlink_to(target)
    for other in (str(target), str(tmp_path / "sub" / ".." / "r.out"), str(tmp_path / "link.out")):
        proc = run_cli("--only", "eq3-estimators", "--json", str(target), "--markdown", other)
        assert proc.returncode == 2, other
        assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
        assert "name the same file" in proc.stderr and not target.exists()


def test_the_reports_are_written_before_the_comparison(tmp_path, monkeypatch, capsys):
    """A comparison that fails (it cannot, after the baseline's check; here forced) never loses the reports."""
    from verify import report
    from verify.cli import run

    base, js, md = tmp_path / "base.json", tmp_path / "r.json", tmp_path / "r.md"
    base.write_text(json.dumps({"claims": [{"id": "eq3-estimators", "verdict": "proved"}]}))

    def broken(*a, **k):
        raise RuntimeError("comparison bug")

    monkeypatch.setattr(report, "compare_reports", broken)
    code = run(["--only", "eq3-estimators", "--jobs", "1", "--compare", str(base), "--json", str(js),
                "--markdown", str(md)])
    err = capsys.readouterr().err
    assert code == 2 and err.strip() == (f"fbd-verify: error: could not compare with {base}: RuntimeError: "
                                         "comparison bug")
    assert json.loads(js.read_text())["claims"][0]["verdict"] == "proved" and md.exists()


@pytest.mark.parametrize("sig, status, where", [("SIGTERM", 143, ["--timeout", "600"]),   # in workers
                                               ("SIGINT", 130, ["--timeout", "600"]),
                                               ("SIGTERM", 143, [])])                    # in this process
def test_an_interruption_writes_the_finished_claims_and_stops_the_workers(tmp_path, sig, status, where):
    """SIGTERM (to the CLI) or Ctrl-C (SIGINT to its process group, as a terminal sends it) once the first claim
    has finished: the finished claim is written as a partial report, no worker outlives the CLI, and the exit
    status is 128 + the signal number."""
    import signal

    js, md = tmp_path / "r.json", tmp_path / "r.md"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "verify", "--only", "eq3-estimators", "--only", "kg-weights",
                             "--jobs", "1", *where, "--json", str(js), "--markdown", str(md)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
                            start_new_session=True)
    ids = ("eq3-estimators", "kg-weights")
    first = None
    try:
        for line in proc.stdout:  # the runner may start either first (workers start the longest-limit claim first)
            first = next((i for i in ids if line.startswith(i)), None)
            if first:
                break
        # the other claim is now running (each takes seconds), in its worker or (--jobs 1, no --timeout) here
        if sig == "SIGTERM":
            os.kill(proc.pid, signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == status, err
    with pytest.raises(ProcessLookupError):  # no process of the CLI's group (its workers) is left
        os.killpg(proc.pid, 0)
    doc = json.loads(js.read_text())
    assert doc["partial"] is True and doc["interrupted"]["signal"] == sig
    assert [c["id"] for c in doc["claims"]] == [first]
    assert doc["interrupted"]["not_run"] == [i for i in ids if i != first]
    assert "Partial report: the run was interrupted by " + sig in md.read_text().split("## ")[0]
    assert "PARTIAL" in out and "Traceback" not in err
    assert err.strip().splitlines() == [err.strip()] and "interrupted by " + sig in err


def test_a_complete_report_says_it_is_not_partial(tmp_path):
    from verify.report import to_json

    assert to_json([], 0.0)["partial"] is False


# ------------------------------------------------------------------------------------------------
# The smaller points of issue 16
# ------------------------------------------------------------------------------------------------


def test_only_matches_an_id_with_glob_characters_exactly():
    from verify.ledger import CLAIMS, Claim, select

    ids = ("zz-SD[v2]", "zz-SDv", "zz-SD2")
    for cid in ids:
        CLAIMS[cid] = Claim(cid, "2", title="t", equations=(), method="mpmath", printed=lambda: {})
    try:
        assert [c.id for c in select(["zz-SD[v2]"])] == ["zz-SD[v2]"]   # the exact id wins over the glob
        assert [c.id for c in select(["zz-SD[v]"])] == ["zz-SDv"]        # a glob is still a glob
    finally:
        for cid in ids:
            CLAIMS.pop(cid)


def test_a_figure_of_a_name_with_spaces_and_brackets_has_a_working_link(tmp_path):
    from urllib.parse import unquote

    from verify import report
    from verify.records import ClaimRecord

    def renderer(rec, folder):
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{report.figure_name(rec.id)}.png"
        path.write_bytes(b"png")
        return [], {f"{rec.id}: a figure": path}

    recs = [ClaimRecord(cid, "4", "t", "confirmed", "mpmath", None, None, None, {}, [], 0.0)
            for cid in ("zz-SD v2 [x]", "zz-SD-v2-x")]
    report.register_renderer("zz-*", renderer)
    try:
        lines = report.rendered_sections(recs, tmp_path / "r figs", tmp_path)
    finally:
        report.RENDERERS.pop()
    links = [ln for ln in lines if ln.startswith("![")]
    assert len(links) == 2
    targets = []
    for ln in links:
        target = ln[ln.rindex("](") + 2:-1]
        assert " " not in target and "[" not in target and ")" not in target, ln
        assert (tmp_path / unquote(target)).is_file()
        targets.append(target)
    assert len(set(targets)) == 2  # a slug that replaced characters cannot collide with a plain id
    assert "zz-SD v2 \\[x\\]: a figure" in links[0]


def test_a_duplicate_name_in_one_file_says_so(tmp_path):
    dup = tmp_path / "dup.toml"
    dup.write_text("[[schedule]]\nname = 'A'\nring_lambda = 'log(t/(1-t)) + 1'\n\n"
                   "[[schedule]]\nname = 'A'\nring_lambda = 'log(t/(1-t)) + 2'\n")
    proc = run_cli("--schedules", str(dup), "--list")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"fbd-verify: error: {dup}: schedule 'A' is defined twice in {dup} (entries 1 "
                                   "and 2 of [[schedule]])")


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"claims": 3', "not JSON (line 1, column 13)"),
        ('{"x": 1}', "not a JSON report of this tool"),
        ("[1, 2]", "not a JSON report of this tool"),
        (None, "not found"),
    ],
)
def test_readme_errors_are_one_line_on_stderr(tmp_path, capsys, content, message):
    from verify.cli import run

    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content)
    assert run(["readme", str(path), "--check", "--readme", str(ROOT / "README.md")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines() == [f"fbd-verify readme: error: {path}: " + err.split(": ", 3)[-1]
                                                      .strip()]
    assert message in err and "Expecting" not in err


@pytest.mark.parametrize("argv", [["--jobs", "x"], ["--bogus"], ["readme"], ["--only"], ["bench", "--dims", "x"],
                                  ["notebooks", "--bogus"]])
def test_argument_errors_are_one_line(capsys, argv):
    from verify.cli import run

    with pytest.raises(SystemExit) as exc:
        run(argv)
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "error: " in err and "usage:" not in err, err


def _record(cid, verdict, kind=None):
    from verify.records import ClaimRecord

    return ClaimRecord(cid, "2", "t", verdict, "symbolic", None, None, None, {}, [], 0.0, erratum_kind=kind)


def test_compare_against_a_baseline_of_a_subset():
    """Changes in the ledger's order, only real changes counted, claims missing on either side listed apart, a
    new claim that fails is a regression, and a baseline claim missing from a run of every claim too."""
    from verify.report import compare_reports

    # the ledger's order: eq3-estimators, param-noise, param-vel, kg-weights, eq17
    records = [_record("eq17", "erratum", "extraction"), _record("param-vel", "erratum", "typo"),
               _record("eq3-estimators", "confirmed"), _record("kg-weights", "failed"),
               _record("param-noise", "proved")]
    baseline = {"param-vel": {"id": "param-vel", "verdict": "erratum", "erratum_kind": "typo"},
                "eq17": {"id": "eq17", "verdict": "proved"},
                "eq3-estimators": {"id": "eq3-estimators", "verdict": "proved"},
                "eq24": {"id": "eq24", "verdict": "proved"}}
    diff = compare_reports(baseline, records)
    assert diff.changes == ["eq3-estimators: proved -> confirmed", "eq17: proved -> erratum (extraction)"]
    assert diff.not_in_baseline == ["param-noise (proved)", "kg-weights (failed)"]
    assert diff.not_run == ["eq24"]
    assert diff.regressions == ["eq3-estimators: proved -> confirmed", "kg-weights: not in the baseline, failed",
                                "eq17: proved -> erratum (extraction)"]
    full = compare_reports(baseline, records, ran_all=True)
    assert "eq24: in the baseline (proved), not in this run" in full.regressions


# ------------------------------------------------------------------------------------------------
# Failures name the entry (issue 16, item 5)
# ------------------------------------------------------------------------------------------------


def test_a_failure_names_the_user_entry_with_the_measured_value_and_the_limit():
    from verify.records import failure_reason

    covered = {"schedules": ["Logis", "SD v2"], "rates": ["flow"]}
    evidence = {"criterion": "|order - expected| <= 0.1",
                "orders": {"Logis/ab3": {"expected": 3, "order": "3.01", "within_tol": True},
                           "SD v2/ab3": {"expected": 3, "order": "3.108", "errors": [1, 2], "within_tol": False}}}
    text, named = failure_reason("generic note", evidence, covered, ["SD v2"])
    assert named == ["SD v2"]
    assert text.startswith("fails on your entries: schedule 'SD v2' at orders > SD v2/ab3 (")
    assert "order 3.108" in text and "expected 3" in text and "[criterion: |order - expected| <= 0.1]" in text
    assert text.endswith("generic note")
    # a comparison of a symbolic claim: the key names the entry; residual and limit are shown
    comps = {"comparisons": [{"key": "S_t [SD v2]", "numeric_agreement": False, "max_residual": "0.25"}]}
    text, named = failure_reason("disagrees", comps, covered, ["SD v2"])
    assert named == ["SD v2"] and "relative residual 0.25 at 50 digits, limit 1e-35" in text
    # a pair: the key names it, the entry is named by its place in the pair
    pairs = {"comparisons": [{"key": "M (29) [SD v2 + Noise]", "numeric_agreement": False, "max_residual": "1"}]}
    text, named = failure_reason("", pairs, {"pairs": [["SD v2", "Noise"]]}, ["SD v2"])
    assert text.startswith("fails on your entries: schedule 'SD v2' at M (29) [SD v2 + Noise] (relative residual 1")
    # a node that states its limits: only the values that break them are shown
    study = {"studies": [{"schedule": "SD v2", "ok": False, "rel": "3.9e-05", "resid": "1e-25", "finite": True,
                          "limits": {"rel": "1e-9", "resid": "1e-20", "finite": True}}]}
    text, named = failure_reason("", study, covered, ["SD v2"])
    assert text == "fails on your entries: schedule 'SD v2' at studies (rel 3.9e-05 (limit 1e-9))"
    # a built-in entry failing is not blamed on the user's entry
    text, named = failure_reason("generic note", {"orders": {"Logis/ab3": {"order": "2", "within_tol": False}}},
                                 covered, ["SD v2"])
    assert named == [] and text == "generic note (the check covered your entries SD v2)"


def test_a_timeout_names_the_entry_it_was_on_and_hints_at_the_option():
    import time

    from verify.ledger import CLAIMS, Claim, step
    from verify.runner import run_claims

    def slow(forms):
        step("schedule 'SD v2'")
        time.sleep(60)

    claim = Claim("zz-slow-entry", "2", title="t", equations=(), method="mpmath", printed=lambda: {}, custom=slow)
    CLAIMS[claim.id] = claim
    try:
        rec, = run_claims([claim], jobs=1, timeout=3)
    finally:
        CLAIMS.pop(claim.id)
    assert rec.verdict == "failed"
    assert rec.notes == "timed out after 3 s while on schedule 'SD v2' (raise the limit with --timeout)"


def test_an_exception_names_the_entry_it_was_on():
    from verify.ledger import Claim, run_claim, step

    def bad(forms):
        step("pair 'SD'/'Noise'")
        return 1 / 0

    out = run_claim(Claim("zz-raise", "2", title="t", equations=(), method="mpmath", printed=lambda: {}, custom=bad))
    assert out.notes == "the check raised ZeroDivisionError: division by zero while on pair 'SD'/'Noise'"
