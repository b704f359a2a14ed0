"""``python -m verify`` / ``fbd-verify``: run the claim ledger and write reports.

Exit status: 0 iff no selected claim is ``failed`` (and, with ``--compare``, no regression); 1 otherwise; 2 for
bad input (one line on stderr).  ``inconclusive`` (the check ran, its precision cannot decide) does not fail the run;
which verdicts do is verify.ledger.VERDICT_TABLE's ``fails_run``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

PROG = "fbd-verify"

EPILOG = """\
subcommands (instead of the options above):
  python -m verify bench [--quick] [--json PATH]   torch back-end throughput (denoiser evals/s, bound ratio)
  python -m verify readme REPORT.json [--check]    rewrite the README's figures from a full run's JSON report
  python -m verify notebooks [--quick] [--html DIR] execute the reviewers' notebooks

exit status: 0 no claim failed; 1 a claim failed (or --compare found a regression); 2 bad input (one line).
failed means contradicted, or the check could not be run; a check that ran but whose precision cannot
decide the statement is inconclusive, which leaves the exit status at 0 (--compare: confirmed ->
inconclusive and inconclusive -> failed are regressions).
A default run of the whole ledger takes a few minutes on 2 cores (--full takes longer). Nothing is written
unless --json or --markdown is given (the Markdown's figures go to <stem>_figures/ beside it).
"""


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Verify the claims of 'Flows beat diffusions on image "
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
    p.add_argument("--full", action="store_true", help="longer ladders and more digits for numerical claims")
    p.add_argument("--quiet", action="store_true", help="only the final verdict line (and errors)")
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


def _read_baseline(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text())
        return {c["id"]: c for c in data["claims"]}
    except FileNotFoundError:
        raise UsageError(f"--compare {path}: not found") from None
    except IsADirectoryError:
        raise UsageError(f"--compare {path}: is a directory") from None
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
        raise UsageError(f"--compare {path}: not a JSON report of this tool (no claims list)") from None


def run(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        from numerics.bench import main as bench_main

        return int(bench_main(argv[1:]) or 0)
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
    baseline = _read_baseline(args.compare) if args.compare else None
    if args.full:
        os.environ["FBD_VERIFY_FULL"] = "1"

    import derivations  # noqa: F401  (registers the built-in entries)
    from derivations.schedule_file import load_schedule_file

    loaded = [load_schedule_file(f) for f in args.schedules or []]

    from . import claims  # noqa: F401  (registers every claim)
    from .ledger import select
    from .report import compare_reports, distinct_errors_by_kind, print_table, summary, to_json, write_markdown

    chosen = select(args.only)
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
    _say(args, f"running {len(chosen)} claims" + (" (--full)" if args.full else ""))

    from rich.console import Console

    console = Console(stderr=False, quiet=args.quiet)

    def line(rec):
        user = f"  covers {', '.join(rec.user_entries)}" if rec.user_entries else ""
        kind = f" ({rec.erratum_kind})" if rec.erratum_kind else ""
        return f"{rec.id:<22} {rec.verdict + kind:<22} {rec.seconds:7.2f} s{user}"

    start = time.perf_counter()
    from .runner import run_claims

    if args.quiet or not console.is_terminal:
        records = run_claims(chosen, jobs=args.jobs, timeout=args.timeout, on_done=lambda r: _say(args, line(r)))
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            task = progress.add_task("claims", total=len(chosen))

            def on_done(rec):
                progress.console.print(line(rec), highlight=False, markup=False)
                progress.advance(task)

            records = run_claims(chosen, jobs=args.jobs, timeout=args.timeout,
                                 on_start=lambda c: progress.update(task, description=f"running {c.id}"),
                                 on_done=on_done)
    seconds = time.perf_counter() - start
    options = {"argv": list(argv), "full": bool(args.full), "only": args.only, "schedule_files": [e.record() for e in loaded],
               "jobs": args.jobs, "timeout": args.timeout}
    if not args.quiet:
        print_table(records, console, seconds)
    code = 1 if any(r.fails_run for r in records) else 0
    if baseline is not None:
        changes, regressions = compare_reports(baseline, records)
        print(f"compared with {args.compare}: {len(changes)} change(s), {len(regressions)} regression(s)")
        for text in changes:
            print(f"  {text}")
        code = max(code, 1 if regressions else 0)
    s = summary(records)
    undecided = [r.id for r in records if r.verdict == "inconclusive"]
    n_errors = sum(distinct_errors_by_kind(records).values())
    print("Verdicts: " + ", ".join(f"{k} {v}" for k, v in s.items())
          + (f" | {n_errors} distinct errors of the paper in {s['erratum']} erratum claims" if s["erratum"] else "")
          + f" | {seconds:.1f} s"
          + (f" | inconclusive (exit status unaffected): {', '.join(undecided)}" if undecided else ""))
    try:
        if args.json:
            Path(args.json).write_text(json.dumps(to_json(records, seconds, options), indent=2) + "\n")
        if args.markdown:
            write_markdown(args.markdown, records, seconds)
    except OSError as exc:  # checked before the run; the disk may still fail (full, removed directory)
        print(f"{PROG}: error: could not write the report: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return code


def main() -> None:
    sys.exit(run())
