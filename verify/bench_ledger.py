"""``python -m verify bench --ledger``: per-claim and total wall times of the ledger, per tier.

Each tier runs in a fresh process (``python -m verify --no-cache --quiet --json ...``: the claims read their tier when
imported, and no record comes from the cache), so a slowed claim shows as a regression in its row.  The figures are
printed and, with ``--json PATH``, written with the machine's load average before and after each run (timings on a
loaded machine are inflated: the load says by how much to distrust them).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .tiers import TIERS

ROOT = Path(__file__).resolve().parents[1]


def _parser() -> argparse.ArgumentParser:
    from .cli import OneLineParser

    p = OneLineParser(prog="fbd-verify bench --ledger",
                      description="Per-claim and total times of the ledger per tier (no cache).")
    p.add_argument("--tier", action="append", choices=TIERS, metavar="TIER",
                   help=f"a tier to time ({', '.join(TIERS)}; repeatable; default: quick and default)")
    p.add_argument("--only", action="append", metavar="PATTERN", help="time only these claims (as python -m verify)")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: CPU count)")
    p.add_argument("--schedules", action="append", metavar="FILE", help="as python -m verify --schedules")
    p.add_argument("--affected", action="store_true", help="as python -m verify --affected")
    p.add_argument("--json", metavar="PATH", help="write the figures to PATH")
    return p


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on this platform
        return None


def time_tier(tier: str, args) -> dict:
    """One run of the ledger in ``tier``: {"wall_s", "claims": {id: seconds}, "verdicts": {id: verdict}, ...}."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "r.json"
        cmd = [sys.executable, "-m", "verify", "--no-cache", "--quiet", "--json", str(report)]
        cmd += {"quick": ["--quick"], "full": ["--full"]}.get(tier, [])
        for pat in args.only or []:
            cmd += ["--only", pat]
        for f in args.schedules or []:
            cmd += ["--schedules", f]
        cmd += ["--affected"] if args.affected else []
        cmd += ["--jobs", str(args.jobs)] if args.jobs else []
        load_before = _load()
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=os.getcwd(),
                              env=dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")))
        wall = time.perf_counter() - start
        if not report.exists():
            raise RuntimeError(f"the {tier} run wrote no report (exit {proc.returncode}): "
                               f"{(proc.stderr.strip().splitlines() or ['no message'])[-1]}")
        doc = json.loads(report.read_text())
    claims = doc["claims"]
    return {"tier": tier, "wall_s": round(wall, 2), "ledger_s": doc.get("seconds"), "exit_status": proc.returncode,
            "claims": {c["id"]: c["seconds"] for c in claims}, "verdicts": {c["id"]: c["verdict"] for c in claims},
            "sum_of_claim_s": round(sum(c["seconds"] for c in claims), 2), "load_before": load_before,
            "load_after": _load(), "cpu_count": os.cpu_count(), "jobs": args.jobs or os.cpu_count()}


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        print(f"fbd-verify bench --ledger: error: --jobs must be >= 1, got {args.jobs}", file=sys.stderr)
        return 2
    tiers = args.tier or ["quick", "default"]
    runs = []
    for tier in tiers:
        print(f"timing the {tier} tier ...", flush=True)
        try:
            runs.append(time_tier(tier, args))
        except RuntimeError as exc:
            print(f"fbd-verify bench --ledger: error: {exc}", file=sys.stderr)
            return 2
    ids = list(dict.fromkeys(cid for r in runs for cid in r["claims"]))
    width = max([len(i) for i in ids] + [5])
    print(f"{'claim':<{width}} " + " ".join(f"{r['tier'] + ' s':>12}" for r in runs))
    for cid in sorted(ids, key=lambda i: -max(r["claims"].get(i, 0) for r in runs)):
        print(f"{cid:<{width}} " + " ".join(
            f"{r['claims'][cid]:12.2f}" if cid in r["claims"] else f"{'-':>12}" for r in runs))
    for r in runs:
        print(f"{r['tier']}: wall {r['wall_s']:.1f} s (ledger {r['ledger_s']} s, sum over claims "
              f"{r['sum_of_claim_s']:.1f} s) on {r['jobs']} worker(s); load average {r['load_before']} -> "
              f"{r['load_after']} on {r['cpu_count']} CPUs; exit status {r['exit_status']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"bench": "ledger", "runs": runs}, indent=2) + "\n")
    return 0
