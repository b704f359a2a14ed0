"""``python -m verify`` / ``fbd-verify``: run the claim ledger and write reports.

Exit status: 0 iff no selected claim is ``failed`` (and, with ``--compare``, no regression); 1 otherwise; 2 for
bad input (one line on stderr).  ``inconclusive`` (the check ran, its precision cannot decide) does not fail the run;
which verdicts do is verify.ledger.VERDICT_TABLE's ``fails_run``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

PROG = "fbd-verify"

EPILOG = """\
subcommands (instead of the options above):
  python -m verify bench [--quick] [--sampler M] [--method M ...] [--json PATH]
                                                   torch back-end throughput (denoiser evals/s, bound ratio)
  python -m verify bench --ledger [--tier T] [--only P] [--json PATH]
                                                   per-claim and total ledger times per tier (no cache)
  python -m verify readme REPORT.json [--check]    rewrite the README's figures from a full run's JSON report
  python -m verify notebooks [--quick] [--html DIR] execute the reviewers' notebooks
  python -m verify gpu-check [--device D]          the GPU back-end in one table (memory, chunks, devices)

exit status: 0 no claim failed; 1 a claim failed (or --compare found a regression); 2 bad input (one line);
130 interrupted by Ctrl-C (SIGINT), 143 by SIGTERM: the workers are stopped and the claims that finished are
written to --json/--markdown as a partial report ("partial": true).
failed means contradicted, or the check could not be run; a check that ran but whose precision cannot
decide the statement is inconclusive, which leaves the exit status at 0 (--compare: confirmed ->
inconclusive and inconclusive -> failed are regressions).
A default run of the whole ledger takes a few minutes on 2 cores (--full takes longer); a re-run reuses the
records of claims whose inputs did not change (the verdict cache; --no-cache or CI=true run all). Nothing is written
unless --json or --markdown is given (the Markdown's figures go to <stem>_figures/ beside it).
"""


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (``PROG: error: ...``, exit status 2), with no usage
    block (``--help`` shows it)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog=PROG, description="Verify the claims of 'Flows beat diffusions on image "
                      "synthesis': derive, compare with the printed form, give a verdict.",
                      epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--list", action="store_true", help="list the claim ids and titles, run nothing")
    p.add_argument("--only", action="append", metavar="PATTERN",
                   help="run only claims whose id matches PATTERN (an id or a glob; repeatable)")
    p.add_argument("--json", metavar="PATH", help="write the JSON report to PATH")
    p.add_argument("--markdown", metavar="PATH", help="write the Markdown report to PATH (figures beside it)")
    p.add_argument("--compare", metavar="BASELINE",
                   help="compare the verdicts with an earlier JSON report: print the changes, exit 1 on a regression")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: CPU count)")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="time limit per claim in seconds (default: each claim's own)")
    p.add_argument("--schedules", action="append", metavar="FILE",
                   help="register noise schedules/parameterizations/rates/pairs from a TOML file (repeatable)")
    tier = p.add_mutually_exclusive_group()
    tier.add_argument("--quick", action="store_true",
                      help="the quick tier (a first look): the symbolic and ladder claims; the sampling checks calibrated at "
                           "the default size are skipped, with the reason")
    tier.add_argument("--full", action="store_true",
                      help="the full tier: long ladders, big batches and large empirical runs")
    cache = p.add_mutually_exclusive_group()
    cache.add_argument("--cache", nargs="?", const="", default=None, metavar="DIR",
                       help="reuse the records of claims whose inputs are unchanged (on by default; DIR default: "
                            "$XDG_CACHE_HOME/fbd-verify or ~/.cache/fbd-verify)")
    cache.add_argument("--no-cache", action="store_true",
                       help="run every claim (as CI=true does), reading and writing no cache")
    p.add_argument("--affected", action="store_true",
                   help="with --schedules: run only the claims that cover the files' entries (listed first)")
    p.add_argument("--quiet", action="store_true", help="only the final verdict line (and errors)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu",
                   help="where the torch claims run (default cpu; auto: CUDA when present); the JSON records it "
                        "per claim (claims not ported to a device run on the CPU)")
    return p


def _check_writable(path: str, flag: str) -> None:
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{flag} {path}: is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{flag} {path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"{flag} {path}: not writable")


def _check_distinct(args) -> None:
    """Two reports on one file would overwrite each other (also through a link or a relative path)."""
    if args.json and args.markdown and Path(args.json).resolve() == Path(args.markdown).resolve():
        raise UsageError(f"--json {args.json} and --markdown {args.markdown} name the same file; give two paths")


SHAPE = 'expected a JSON report of this tool: {"claims": [{"id": ..., "verdict": ...}, ...]}'


def _read_baseline(path: str) -> dict:
    """id -> claim record of an earlier JSON report, its shape checked before any claim runs (one-line errors)."""
    from .report import VERDICTS

    from .records import read_json

    try:
        data = read_json(path)
    except ValueError as exc:
        what = " (not a JSON report of this tool)" if ": not JSON" in str(exc) else ""
        raise UsageError(f"--compare {exc}{what}; {SHAPE}") from None
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        raise UsageError(f"--compare {path}: not a JSON report of this tool (no claims list); {SHAPE}")
    out: dict = {}
    for i, c in enumerate(data["claims"], 1):
        if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not c["id"]:
            raise UsageError(f"--compare {path}: claim {i} has no id; {SHAPE}")
        where = f"--compare {path}: claim {i} ({c['id']!r})"
        if c.get("verdict") not in VERDICTS:
            got = "no verdict" if "verdict" not in c else f"verdict {c['verdict']!r}"
            raise UsageError(f"{where} has {got}; a verdict is one of {', '.join(VERDICTS)}")
        if c.get("erratum_kind") is not None and not isinstance(c["erratum_kind"], str):
            raise UsageError(f"{where}: erratum_kind must be a string or null")
        if c["id"] in out:
            raise UsageError(f"{where}: id appears twice")
        out[c["id"]] = c
    return out


def _entries_of(loaded) -> list[dict]:
    """Each entry of the --schedules files: file, kind, name and its expression(s) as written."""
    import tomllib

    keys = {"schedule": ("ring_lambda", "alpha", "sigma"), "parameterization": ("S",), "rate": ("lambda_prime",)}
    out = []
    for entry in loaded:
        try:
            data = tomllib.loads(Path(entry.path).read_text())
        except (OSError, ValueError):  # loaded a moment ago; an entry without its text is still listed
            data = {}
        for kind, names in (("schedule", entry.schedules), ("parameterization", entry.parameterizations),
                            ("rate", entry.rates)):
            tables = {t.get("name"): t for t in data.get(kind, []) if isinstance(t, dict)}
            for name in names:
                table = tables.get(name, {})
                expr = "; ".join(f"{k} = {table[k]}" for k in keys[kind] if k in table)
                out.append({"file": entry.path, "kind": kind, "name": name, "expression": expr})
        for a, b in entry.pairs:
            out.append({"file": entry.path, "kind": "pair", "name": f"{a}/{b}",
                        "expression": f"schedule {a}, parameterization {b}"})
    return out


def run(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"] and "--ledger" in argv[1:]:
        from .bench_ledger import main as bench_ledger_main

        return bench_ledger_main([a for a in argv[1:] if a != "--ledger"])
    if argv[:1] == ["bench"]:
        from numerics.bench import main as bench_main

        return int(bench_main(argv[1:]) or 0)
    if argv[:1] == ["gpu-check"]:
        from .gpu_check import main as gpu_check_main

        return int(gpu_check_main(argv[1:]) or 0)
    if argv[:1] == ["readme"]:
        from .readme import main as readme_main

        return readme_main(argv[1:])
    if argv[:1] == ["notebooks"]:
        from .notebooks import main as notebooks_main

        return notebooks_main(argv[1:])
    args = _parser().parse_args(argv)
    from derivations.registry import RegistryError

    from .ledger import LedgerError

    try:
        return _run(args, argv)
    except (UsageError, RegistryError, LedgerError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


def _say(args, text: str = "") -> None:
    """One plain line on stdout (never wrapped: off a terminal an identifier is never split)."""
    if not args.quiet:
        print(text, flush=True)


def _run(args, argv) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError(f"--timeout must be > 0, got {args.timeout}")
    for path, flag in ((args.json, "--json"), (args.markdown, "--markdown")):
        if path:
            _check_writable(path, flag)
    _check_distinct(args)
    baseline = _read_baseline(args.compare) if args.compare else None
    if args.affected and not args.schedules:
        raise UsageError("--affected needs --schedules FILE (the claims that cover the file's entries)")
    from .tiers import set_tier

    tier = "quick" if args.quick else "full" if args.full else "default"
    set_tier(tier)
    from numerics import device as numerics_device

    try:
        device = numerics_device.resolve(args.device)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    os.environ[numerics_device.DEVICE_ENV] = device  # read by the claims, in the workers too

    import derivations  # noqa: F401  (registers the built-in entries)
    from derivations.schedule_file import load_schedule_file

    loaded = [load_schedule_file(f) for f in args.schedules or []]

    from . import claims  # noqa: F401  (registers every claim)
    from .ledger import select
    from .report import (compare_reports, distinct_errors_by_kind, partial_note, print_table, summary, to_json,
                         write_markdown)

    chosen = select(args.only)
    if args.affected:
        chosen = affected_claims(chosen, loaded)
    if args.list:
        for c in chosen:
            print(f"{c.id:<22} §{c.section:<2} {c.method:<11} {c.title}")
        return 0
    for entry in loaded:
        _say(args, f"loaded {entry.path}: " + "; ".join(
            f"{kind} {', '.join(names)}" for kind, names in (("schedules", entry.schedules),
                                                              ("parameterizations", entry.parameterizations),
                                                              ("rates", entry.rates),
                                                              ("pairs", [f"{a}/{b}" for a, b in entry.pairs]))
            if names))
    if args.affected:
        _say(args, f"affected by {', '.join(e.path for e in loaded)}: {len(chosen)} claim(s): "
             + (", ".join(c.id for c in chosen) or "none"))
    cache, why_off = _cache_of(args)
    cached: dict = {}
    keys: dict = {}
    if cache is not None:
        from .cache import run_context

        context = run_context(tier=tier, device=device, timeout=args.timeout, loaded=loaded)
        for c in chosen:
            keys[c.id] = claim_key_safe(c, context)
            hit = cache.load(keys[c.id], c.id) if keys[c.id] else None
            if hit is not None:
                cached[c.id] = hit
    to_run = [c for c in chosen if c.id not in cached]
    _say(args, f"running {len(to_run)} claims" + f" (tier {tier})"
         + (f"; {len(cached)} reused from the cache {cache.folder}" if cache is not None and cached else "")
         + (f"; cache off ({why_off})" if cache is None else ""))

    from rich.console import Console

    console = Console(stderr=False, quiet=args.quiet)

    def line(rec):
        user = f"  covers {', '.join(rec.user_entries)}" if rec.user_entries else ""
        user += f"; failed on {', '.join(rec.failed_entries)}" if rec.failed_entries else ""
        kind = f" ({rec.erratum_kind})" if rec.erratum_kind else ""
        user += _reused_note(rec)
        return f"{rec.id:<22} {rec.verdict + kind:<22} {rec.seconds:7.2f} s{user}"

    start = time.perf_counter()
    from .runner import Interrupted, run_claims

    interrupted = None
    for rec in cached.values():
        _say(args, line(rec))

    def store(rec):
        if cache is not None and keys.get(rec.id):
            cache.store(keys[rec.id], rec)

    def merged(ran):
        by_id = {**cached, **{r.id: r for r in ran}}
        return [by_id[c.id] for c in chosen if c.id in by_id]

    try:
        if not to_run:
            records = []
        elif args.quiet or not console.is_terminal:
            records = run_claims(to_run, jobs=args.jobs, timeout=args.timeout, handle_signals=True,
                                 on_done=lambda r: (store(r), _say(args, line(r))))
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console, transient=True) as progress:
                task = progress.add_task("claims", total=len(to_run))

                def on_done(rec):
                    store(rec)
                    progress.console.print(line(rec), highlight=False, markup=False)
                    progress.advance(task)

                records = run_claims(to_run, jobs=args.jobs, timeout=args.timeout, handle_signals=True,
                                     on_start=lambda c: progress.update(task, description=f"running {c.id}"),
                                     on_done=on_done)
    except Interrupted as exc:
        # a second Ctrl-C or SIGTERM must not cut the partial report short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        records = exc.records
        interrupted = {"signal": exc.signal_name, "not_run": exc.not_run, "exit_status": exc.exit_status}
    records = merged(records)
    if baseline is not None and args.affected:  # the claims --affected did not run, carried from the baseline
        records = _carry(records, baseline, args.compare)
    seconds = time.perf_counter() - start
    entries = _entries_of(loaded)
    options = {"argv": list(argv), "full": bool(args.full), "tier": tier, "affected": bool(args.affected),
               "cache": str(cache.folder) if cache is not None else None,
               "reused": sorted(r.id for r in records if r.reused), "only": args.only, "schedule_files": [e.record() for e in loaded],
               "user_entries": entries, "jobs": args.jobs, "timeout": args.timeout, "device": device}
    if not args.quiet and records:
        print_table(records, console, seconds)
    from .ledger import Verdict

    code = 1 if any(r.fails_run for r in records) else 0
    s = summary(records)
    undecided = [r.id for r in records if r.verdict == Verdict.INCONCLUSIVE]
    n_errors = sum(distinct_errors_by_kind(records).values())
    print("Verdicts: " + ", ".join(f"{k} {v}" for k, v in s.items())
          + (f" | {n_errors} distinct errors of the paper in {s[Verdict.ERRATUM.value]} erratum claims"
             if s[Verdict.ERRATUM.value] else "")
          + f" | {seconds:.1f} s"
          + (f" | inconclusive (exit status unaffected): {', '.join(undecided)}" if undecided else "")
          + (f" | PARTIAL: interrupted by {interrupted['signal']}, {len(interrupted['not_run'])} claim(s) not run"
             if interrupted else ""))
    if interrupted:
        print(f"{PROG}: {partial_note(interrupted, len(records))}"
              + (" Written as a partial report." if args.json or args.markdown else ""), file=sys.stderr)
    # the reports first: nothing after this point (the comparison) can lose them
    try:
        if args.json:
            report = to_json(records, seconds, options, interrupted)
            for entry in report["claims"]:  # the device each claim's torch work ran on
                entry["device"] = numerics_device.claim_device(entry.get("id", ""), device)
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        if args.markdown:
            write_markdown(args.markdown, records, seconds, entries=entries, interrupted=interrupted)
    except OSError as exc:  # checked before the run; the disk may still fail (full, removed directory)
        print(f"{PROG}: error: could not write the report: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if interrupted:
        return interrupted["exit_status"]
    if baseline is not None:
        try:
            diff = compare_reports(baseline, records, ran_all=not args.only and not args.affected)
        except Exception as exc:  # the baseline was checked before the run; never lose the run over a comparison
            print(f"{PROG}: error: could not compare with {args.compare}: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return 2
        _print_diff(args.compare, diff)
        code = max(code, 1 if diff.regressions else 0)
    return code


def affected_claims(chosen, loaded) -> list:
    """The claims among ``chosen`` that cover an entry of the loaded ``--schedules`` files (a claim that reads the
    whole registry covers every entry, so it is among them); a claim with no ``covers`` sees no user entry."""
    from .cache import covered_user_files

    out = []
    for c in chosen:
        if c.covers is None:
            continue
        covered = {k: [tuple(x) if isinstance(x, list) else x for x in v] for k, v in c.covers().items()}
        if covered_user_files(covered, loaded):
            out.append(c)
    return out


def claim_key_safe(claim, context) -> str | None:
    """The claim's cache key; None (the claim runs, uncached) when its ``covers`` raises."""
    from .cache import claim_key, warn

    try:
        return claim_key(claim, context)
    except Exception as exc:  # a covers() that fails on a user entry: the check itself will say why
        warn(f"no cache key for {claim.id} ({type(exc).__name__}: {exc}); it runs uncached")
        return None


def _cache_of(args):
    """(the run's VerdictCache or None, why it is off)."""
    from .cache import VerdictCache, default_dir, disabled_by_env

    if args.no_cache:
        return None, "--no-cache"
    if args.cache:  # an explicit directory wins over CI=true
        return VerdictCache(args.cache), ""
    why = disabled_by_env()
    if why and args.cache is None:
        return None, why
    return VerdictCache(default_dir()), ""


def _reused_note(rec) -> str:
    if not rec.reused:
        return ""
    if rec.reused.get("source") == "cache":
        return f"  [cached: ran {rec.reused.get('ran_at')}]"
    return f"  [not run: carried from {rec.reused.get('baseline')}]"


def _carry(records, baseline: dict, path: str) -> list:
    """``records`` plus the baseline's claims this run did not run, marked as carried (ledger order)."""
    from .ledger import CLAIMS
    from .records import record_from_json

    have = {r.id for r in records}
    carried = {}
    for cid, data in baseline.items():
        if cid in have or cid not in CLAIMS:
            continue
        try:
            rec = record_from_json(data)
        except ValueError:
            continue
        rec.reused = {"source": "baseline", "baseline": path}
        carried[cid] = rec
    by_id = {**carried, **{r.id: r for r in records}}
    return [by_id[cid] for cid in CLAIMS if cid in by_id]


def _print_diff(path: str, diff) -> None:
    regressed = set(diff.regressions)
    print(f"compared with {path}: {len(diff.changes)} change(s), {len(diff.regressions)} regression(s); "
          f"{len(diff.not_in_baseline)} claim(s) not in the baseline, {len(diff.not_run)} baseline claim(s) not run")
    for text in diff.changes:
        print(f"  {text}" + ("  [regression]" if text in regressed else ""))
    for text in diff.regressions:
        if text not in diff.changes:
            print(f"  {text}  [regression]")
    if diff.not_in_baseline:
        print(f"  not in the baseline: {', '.join(diff.not_in_baseline)}")
    if diff.not_run:
        print(f"  in the baseline, not run: {', '.join(diff.not_run)}")


def main() -> None:
    sys.exit(run())
