"""The verdict cache: what invalidates a record, corrupted entries, and that a cached run gives the same verdicts."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from verify import cache as vc
from verify.ledger import CLAIMS, Verdict
from verify.records import ClaimRecord
from verify.runner import _failure

ROOT = Path(__file__).resolve().parents[1]


def _claim(cid="c", covers=None, timeout=60.0):
    return SimpleNamespace(id=cid, covers=covers, timeout=timeout)


def _loaded(path, schedules=(), parameterizations=(), rates=(), pairs=()):
    return SimpleNamespace(path=str(path), schedules=list(schedules), parameterizations=list(parameterizations),
                           rates=list(rates), pairs=list(pairs))


@pytest.fixture(scope="module")
def context():
    return vc.run_context(tier="default", device="cpu", timeout=None)


def test_editing_a_formula_in_derivations_changes_every_key(tmp_path, context):
    for d in vc.SOURCE_DIRS:
        shutil.copytree(ROOT / d, tmp_path / d, ignore=shutil.ignore_patterns("__pycache__"))
    before = vc.source_digest(tmp_path)
    assert before == context["source"]  # the copy hashes as the tree does (paths are relative)
    target = tmp_path / "derivations" / "registry.py"
    text = target.read_text()
    assert "sp.exp(self.ring_lam)" in text
    target.write_text(text.replace("sp.exp(self.ring_lam)", "sp.exp(2 * self.ring_lam)", 1))
    after = vc.source_digest(tmp_path)
    assert after != before
    claim = _claim()
    assert vc.claim_key(claim, {**context, "source": after}) != vc.claim_key(claim, context)


def test_a_schedule_file_invalidates_exactly_the_claims_that_cover_its_entries(tmp_path, context):
    f = tmp_path / "mine.toml"
    f.write_text('[[schedule]]\nname = "Mine"\nring_lambda = "log(t/(1 - t))"\n')
    loaded = [_loaded(f, schedules=["Mine"])]
    covering = _claim("a", covers=lambda: {"schedules": ["Logis", "Mine"]})
    other = _claim("b", covers=lambda: {"schedules": ["Logis"]})
    plain = _claim("c")
    ctx = {**context, "loaded": loaded}
    keys = {c.id: vc.claim_key(c, ctx) for c in (covering, other, plain)}
    f.write_text('[[schedule]]\nname = "Mine"\nring_lambda = "log(t/(1 - t)) + 1"\n')
    os.utime(f, ns=(1, 1))  # the file digest is memoised on (mtime, size): make sure the edit is seen
    new = {c.id: vc.claim_key(c, ctx) for c in (covering, other, plain)}
    assert new["a"] != keys["a"]
    assert new["b"] == keys["b"] and new["c"] == keys["c"]
    # a claim that starts covering the entry (a new entry added to a whole-registry claim) changes its key too
    wider = _claim("b", covers=lambda: {"schedules": ["Logis", "Mine"]})
    assert vc.claim_key(wider, ctx) != keys["b"]


@pytest.mark.parametrize("change", [
    {"tier": "quick"}, {"tier": "full"}, {"timeout": 5.0}, {"device": "cuda:0"},
    {"versions": "sympy"}, {"versions": "python"}, {"versions": "torch"}, {"env": "FBD_VERIFY_TABLE1_SAMPLES"},
])
def test_an_option_a_version_or_the_environment_invalidates(context, change):
    claim = _claim()
    ctx = dict(context)
    if "versions" in change:
        ctx["versions"] = {**context["versions"], change["versions"]: "0.0-other"}
    elif "env" in change:
        ctx["env"] = {**context["env"], change["env"]: "123"}
    else:
        ctx.update(change)
    assert vc.claim_key(claim, ctx) != vc.claim_key(claim, context)
    assert vc.claim_key(_claim("other"), context) != vc.claim_key(claim, context)


def test_the_cache_switches_are_not_part_of_the_key(monkeypatch):
    monkeypatch.setenv("FBD_VERIFY_NO_CACHE", "1")
    monkeypatch.setenv("FBD_VERIFY_TABLE1_SAMPLES", "7")
    env = vc.package_env()
    assert "FBD_VERIFY_NO_CACHE" not in env and env["FBD_VERIFY_TABLE1_SAMPLES"] == "7"


ENV_READ = re.compile(r"os\.environ(?:\.get)?[\[(]\s*[\"']([A-Za-z0-9_]+)[\"']|os\.getenv\(\s*[\"']([A-Za-z0-9_]+)")
ENV_CONST = re.compile(r"^[A-Z_]+_ENV\s*=\s*[\"']([A-Za-z0-9_]+)[\"']", re.M)
#: Variables the package reads that change no verdict (the cache's switches, where it lives; bench --ledger passes
#: PYTHONPATH on to the runs it times).
NOT_VERDICT = {"CI", "XDG_CACHE_HOME", "PYTHONPATH", *vc.CACHE_ENV}


def test_every_environment_variable_the_package_reads_is_in_the_key():
    """grep os.environ over the hashed folders: every name read that can change a verdict has the FBD_ prefix that
    package_env() puts in the key."""
    names = set()
    for d in vc.SOURCE_DIRS:
        for path in (ROOT / d).rglob("*.py"):
            text = path.read_text()
            names |= {a or b for a, b in ENV_READ.findall(text)} | set(ENV_CONST.findall(text))
    assert "FBD_VERIFY_FULL" in names and "FBD_VERIFY_DEVICE" in names  # the grep sees the reads
    outside = sorted(n for n in names - NOT_VERDICT if not n.startswith("FBD_"))
    assert not outside, f"read by the package but not in the cache key: {outside}"


def _record(cid="eq24", verdict="proved", evidence=None):
    return ClaimRecord(id=cid, section="4", title="t", verdict=verdict, method="symbolic", printed=None, derived=None,
                       corrected=None, evidence=evidence or {"x": 1}, equations=[24], seconds=1.5)


def test_store_and_load_mark_the_record_as_reused(tmp_path):
    cache = vc.VerdictCache(tmp_path)
    assert cache.store("ab" * 32, _record())
    back = cache.load("ab" * 32, "eq24")
    assert back.verdict == "proved" and back.seconds == 1.5
    assert back.reused["source"] == "cache" and back.reused["ran_at"]
    assert cache.load("cd" * 32, "eq24") is None  # absent: no warning, just a miss


@pytest.mark.parametrize("damage", ["garbage", "truncate", "tamper", "other-claim", "other-key"])
def test_a_corrupted_entry_is_ignored_with_one_warning(tmp_path, capsys, damage):
    cache = vc.VerdictCache(tmp_path)
    key = "ab" * 32
    cache.store(key, _record())
    path = cache.path(key)
    data = json.loads(path.read_text())
    if damage == "garbage":
        path.write_bytes(b"\x00\xffnot json")
    elif damage == "truncate":
        path.write_text(path.read_text()[:40])
    elif damage == "tamper":  # a verdict edited by hand: the checksum no longer matches
        data["record"]["verdict"] = "failed"
        path.write_text(json.dumps(data))
    elif damage == "other-claim":
        cache.store(key, _record("eq17"))
    else:
        data["key"] = "cd" * 32
        path.write_text(json.dumps(data))
    capsys.readouterr()
    assert cache.load(key, "eq24") is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning: cache entry" in err and "ignored, the claim runs" in err


def test_a_time_out_or_a_crashed_worker_is_never_stored(tmp_path):
    from verify.records import make_record

    claim = CLAIMS["eq24"]
    rec = _failure(claim, 3.0, "timed out after 3 s")
    assert rec.verdict == "failed"
    cache = vc.VerdictCache(tmp_path)
    assert not cache.store("ab" * 32, rec)
    assert not cache.path("ab" * 32).exists()
    # a failed verdict from the check itself is a result, and is stored
    from verify.ledger import Outcome

    assert cache.store("cd" * 32, make_record(claim, Outcome(Verdict.FAILED, "symbolic", evidence={"why": 1})))


def run_cli(*args, env=None):
    env = dict(os.environ if env is None else env, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=600)


FAST = ("--only", "eq24", "--only", "schedule-logis")


def test_a_cached_run_gives_the_verdicts_of_an_uncached_run(tmp_path):
    store = tmp_path / "cache"
    first, second, plain = (tmp_path / f"{n}.json" for n in ("first", "second", "plain"))
    proc = run_cli(*FAST, "--cache", str(store), "--json", str(first))
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(*FAST, "--cache", str(store), "--json", str(second), "--markdown", str(tmp_path / "s.md"))
    assert proc.returncode == 0, proc.stderr
    assert "2 reused from the cache" in proc.stdout
    proc = run_cli(*FAST, "--no-cache", "--json", str(plain))
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(p.read_text()) for p in (first, second, plain)]
    verdicts = [{c["id"]: (c["verdict"], c["erratum_kind"]) for c in d["claims"]} for d in docs]
    assert verdicts[0] == verdicts[1] == verdicts[2] and len(verdicts[0]) == 2
    assert all(c["reused"] is None for c in docs[0]["claims"] + docs[2]["claims"])
    assert all(c["reused"]["source"] == "cache" for c in docs[1]["claims"])
    assert sorted(docs[1]["options"]["reused"]) == sorted(verdicts[0])
    # the original run time is kept, and the Markdown marks the reused records
    assert [c["seconds"] for c in docs[1]["claims"]] == [c["seconds"] for c in docs[0]["claims"]]
    md = (tmp_path / "s.md").read_text()
    assert "Reused from the verdict cache" in md and "(cached)" in md


def test_ci_and_no_cache_run_everything(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "FBD_VERIFY_NO_CACHE"}
    env.update(CI="true", XDG_CACHE_HOME=str(tmp_path / "xdg"))
    proc = run_cli("--only", "eq24", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "cache off (CI=true)" in proc.stdout and not (tmp_path / "xdg").exists()
    env.pop("CI")  # (--no-cache: tests/test_tiers.py's report test runs with it)
    proc = run_cli("--only", "eq24", env=env)  # on by default, in the user's cache folder
    assert proc.returncode == 0 and (tmp_path / "xdg" / "fbd-verify").is_dir()


def test_affected_needs_schedules_and_lists_the_covering_claims(tmp_path):
    proc = run_cli("--affected")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--schedules" in proc.stderr
    proc = run_cli("--schedules", str(ROOT / "examples/schedules.toml"), "--affected", "--list")
    assert proc.returncode == 0, proc.stderr
    ids = [line.split()[0] for line in proc.stdout.splitlines() if line and not line.startswith("loaded")]
    assert "param-noise" in ids and "prop2-ShiftedCos" in ids and "kg-weights" in ids
    assert "eq24" not in ids and "table1-analog" not in ids
    assert all(CLAIMS[cid].covers is not None for cid in ids if cid in CLAIMS)  # a claim with no covers sees none


def test_affected_with_compare_carries_the_claims_it_did_not_run(tmp_path):
    base, new, md = tmp_path / "base.json", tmp_path / "new.json", tmp_path / "new.md"
    proc = run_cli("--only", "eq24", "--only", "param-noise", "--no-cache", "--json", str(base))
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("--schedules", str(ROOT / "examples/schedules.toml"), "--affected", "--only", "param-noise",
                   "--only", "eq24", "--no-cache", "--compare", str(base), "--json", str(new), "--markdown", str(md))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "affected by" in proc.stdout and "1 claim(s): param-noise" in proc.stdout
    doc = json.loads(new.read_text())
    claims = {c["id"]: c for c in doc["claims"]}
    assert claims["param-noise"]["reused"] is None and "ShiftedCos" in claims["param-noise"]["user_entries"]
    assert claims["eq24"]["reused"] == {"source": "baseline", "baseline": str(base)}
    assert claims["eq24"]["verdict"] == json.loads(base.read_text())["claims"][0]["verdict"]
    assert "0 regression(s)" in proc.stdout and "(baseline, not run)" in md.read_text()


def test_an_unwritable_cache_warns_once_and_the_run_goes_on(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = vc.VerdictCache(blocker)
    assert not cache.store("ab" * 32, _record()) and not cache.store("cd" * 32, _record())
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not write the cache entry" in err
