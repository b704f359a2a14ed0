"""``python -m verify`` / ``fbd-verify``: run the claim ledger and write reports.

Exit status: 0 iff no selected claim is ``failed``; 2 for bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

PROG = "fbd-verify"


class UsageError(Exception):
    """Bad input: printed as one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Verify the claims of 'Flows beat diffusions on image "
                                "synthesis': derive, compare with the printed form, give a verdict.")
    p.add_argument("--list", action="store_true", help="list the claim ids and titles, run nothing")
    p.add_argument("--only", action="append", metavar="PATTERN",
                   help="run only claims whose id matches PATTERN (an id or a glob; repeatable)")
    p.add_argument("--json", metavar="PATH", help="write the JSON report to PATH")
    p.add_argument("--markdown", metavar="PATH", help="write the Markdown report to PATH")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: CPU count)")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="time limit per claim in seconds (default: each claim's own)")
    p.add_argument("--schedules", action="append", metavar="FILE",
                   help="register noise schedules/parameterizations/rates from a TOML file (repeatable)")
    p.add_argument("--full", action="store_true", help="longer ladders and more digits for numerical claims")
    p.add_argument("--quiet", action="store_true", help="no progress display and no table")
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
        return _run(args)
    except (UsageError, RegistryError, LedgerError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {args.jobs}")
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError(f"--timeout must be > 0, got {args.timeout}")
    for path, flag in ((args.json, "--json"), (args.markdown, "--markdown")):
        if path:
            _check_writable(path, flag)
    if args.full:
        os.environ["FBD_VERIFY_FULL"] = "1"

    import derivations  # noqa: F401  (registers the built-in entries)
    from derivations.schedule_file import load_schedule_file

    for f in args.schedules or []:
        load_schedule_file(f)

    from . import claims  # noqa: F401  (registers every claim)
    from .ledger import select
    from .report import print_table, summary, write_json, write_markdown
    from .runner import run_claims

    chosen = select(args.only)
    from rich.console import Console

    console = Console(stderr=False, quiet=args.quiet)
    if args.list:
        for c in chosen:
            console.print(f"[cyan]{c.id:<22}[/] §{c.section:<2} {c.method:<11} {c.title}", highlight=False)
        return 0

    start = time.perf_counter()
    if args.quiet or not console.is_terminal:
        def on_done(rec):
            if not args.quiet:
                console.print(f"{rec.id:<22} {rec.verdict:<9} {rec.seconds:7.2f} s", highlight=False)

        records = run_claims(chosen, jobs=args.jobs, timeout=args.timeout, on_done=on_done)
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            task = progress.add_task("claims", total=len(chosen))

            def on_done(rec):
                progress.console.print(f"{rec.id:<22} {rec.verdict:<9} {rec.seconds:7.2f} s", highlight=False)
                progress.advance(task)

            records = run_claims(chosen, jobs=args.jobs, timeout=args.timeout,
                                 on_start=lambda c: progress.update(task, description=f"running {c.id}"),
                                 on_done=on_done)
    seconds = time.perf_counter() - start
    if not args.quiet:
        print_table(records, console, seconds)
    if args.json:
        write_json(args.json, records, seconds)
    if args.markdown:
        write_markdown(args.markdown, records, seconds)
    return 1 if summary(records)["failed"] else 0


def main() -> None:
    sys.exit(run())
