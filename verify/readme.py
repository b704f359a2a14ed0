"""The README's figures, generated from a real ledger run: ``python -m verify readme REPORT.json [--check]``.

The README states the verdict counts, the errata (with their kinds) and a sample of the terminal ledger.  Those
blocks sit between markers ``<!-- generated:NAME -->`` and ``<!-- end:NAME -->`` and are rewritten from a JSON
report of a full run (``python -m verify --json REPORT.json``), so they cannot drift from what the code produces;
``--check`` exits 1 when the README differs from what the report gives (for CI after a full run).

The part of the report the blocks are made from is committed beside the README (:data:`SOURCE`, written by the same
command): a fast test regenerates every block from it and compares, so an edit to a generated figure is caught
without a full run, and a slow test compares that file with a fresh full run.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BLOCKS = ("verdicts", "errata", "sample")
#: The committed source of the README's generated blocks (a trimmed JSON report of the full run they come from).
SOURCE = Path("docs/readme_run.json")
#: The report fields the blocks read (per claim: the printed forms only for the keys an erratum corrects).
_CLAIM_FIELDS = ("id", "verdict", "seconds", "notes", "errata", "erratum_kind")
SAMPLE_IDS = ("eq3-estimators", "param-vel", "kg-weights", "uds-ddpm", "eq17", "prop3", "prop2-Logis",
              "uds-orders", "uds-distribution", "eq34-eq36")


def _short(text: str, limit: int = 110) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render(report: dict) -> dict[str, str]:
    """The README blocks for a JSON report (a dict, as ``verify.report.to_json`` writes it)."""
    from .ledger import LISTED, VERDICT_TABLE, distinct_errors, erratum_corrections

    s = report["summary"]
    kinds = s.get("errata_by_kind", {})
    errors = distinct_errors(erratum_corrections(report["claims"]))
    distinct = {k: sum(1 for v in errors.values() if v == k) for k in kinds}
    cov = report["coverage"]
    n_eq = cov["equations"]
    counts = [f"{s.get(i.verdict.value, 0)} {i.plural}" for i in VERDICT_TABLE]
    verdicts = (f"On the current text a full run gives **{', '.join(counts[:-1])} and {counts[-1]}** "
                f"({len(report['claims'])} claims; errata by kind, one per claim: "
                + ", ".join(f"{v} {k}" for k, v in kinds.items()) + f"; distinct errors of the paper, each "
                f"counted once by the paper line it fixes: {len(errors)} ("
                + ", ".join(f"{v} {k}" for k, v in distinct.items()) + f")); the claims with a verdict cover "
                f"{len(cov['covered'])} of {n_eq} numbered equations. Run time {report['seconds']:.0f} s on "
                f"{report['environment'].get('cpu_count', '?')} cores.")
    for i in LISTED:
        these = [c for c in report["claims"] if c["verdict"] == i.verdict.value]
        if these:
            verdicts += (f" {i.verdict.value.capitalize()} (exit status {1 if i.fails_run else 0}): "
                         + "; ".join(f"`{c['id']}`: {_short(c['notes'], 400)}" for c in these))
    rows = ["| claim | kind | error | printed (literal) | declared reading | consequence |",
            "|---|---|---|---|---|---|"]
    from .ledger import ERRATUM_KINDS

    entries = [(c, e) for c in report["claims"] for e in erratum_corrections([c])]
    entries.sort(key=lambda ce: (ERRATUM_KINDS.index(ce[1]["kind"]), ce[0]["id"]))
    for c, e in entries:
        key = e["keys"][0]
        printed = ((c.get("printed") or {}).get(key) or {}).get("sympy", "")
        rows.append(f"| `{c['id']}` | {e['kind']} | {e.get('error', '')} | {_short(f'{key}: {printed}', 90)} | "
                    f"{_short(e['reading'])} | {_short(e['consequence'], 80)} |")
    by_id = {c["id"]: c for c in report["claims"]}
    sample = ["```"] + [f"{i:<22} {by_id[i]['verdict']:<9} {by_id[i]['seconds']:7.2f} s" for i in SAMPLE_IDS
                        if i in by_id]
    sample += ["...", "Verdicts: " + ", ".join(f"{i.verdict.value} {s.get(i.verdict.value, 0)}" for i in VERDICT_TABLE)
               + f" | equations covered {len(cov['covered'])}/{n_eq} | {report['seconds']:.0f} s", "```"]
    return {"verdicts": verdicts, "errata": "\n".join(rows), "sample": "\n".join(sample)}


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- generated:{name} [^>]*-->\n)(.*?)(<!-- end:{name} -->)", re.S)


def blocks_of(text: str) -> dict[str, str]:
    out = {}
    for name in BLOCKS:
        m = _pattern(name).search(text)
        if m is None:
            raise ValueError(f"README: no generated block {name!r}")
        out[name] = m.group(2).rstrip("\n")
    return out


def source_of(report: dict) -> dict:
    """The part of a JSON report that :func:`render` reads (what is committed as :data:`SOURCE`)."""
    claims = []
    for c in report["claims"]:
        keys = {k for e in c.get("errata") or () for k in e["keys"][:1]}
        printed = {k: {"sympy": v.get("sympy", "")} for k, v in (c.get("printed") or {}).items() if k in keys}
        claims.append({f: c[f] for f in _CLAIM_FIELDS if f in c} | ({"printed": printed} if printed else {}))
    env = report.get("environment", {})
    return {"note": "the fields of a full run's JSON report that the README's generated blocks are made from "
                    "(python -m verify readme REPORT.json writes this file)",
            "summary": report["summary"], "coverage": report["coverage"], "seconds": report["seconds"],
            "environment": {k: env[k] for k in ("cpu_count", "python", "git_commit") if k in env},
            "claims": claims}


def update(text: str, report: dict) -> str:
    new = render(report)
    for name in BLOCKS:
        blocks_of(text)  # every block must exist
        text = _pattern(name).sub(lambda m, n=name: m.group(1) + new[n] + "\n" + m.group(3), text)
    return text


def _load_report(path: str) -> dict:
    """A JSON report (one-line ValueError naming the file and the problem)."""
    from .records import read_json

    try:
        report = read_json(path)
    except ValueError as exc:
        raise ValueError(f"{exc}; expected a report of python -m verify --json") from None
    missing = [k for k in ("claims", "summary", "coverage", "seconds", "environment")
               if not isinstance(report, dict) or k not in report]
    if missing:
        raise ValueError(f"{path}: not a JSON report of this tool (no {', '.join(missing)}); expected the output "
                         "of python -m verify --json")
    if report.get("partial"):
        raise ValueError(f"{path}: a partial report (the run was interrupted); the README needs a full run")
    return report


def main(argv: list[str]) -> int:
    from .cli import OneLineParser

    p = OneLineParser(prog="fbd-verify readme", description="Rewrite the README's generated blocks "
                      "(verdict counts, errata, sample ledger) from a JSON report of a full run.")
    p.add_argument("report", help="a JSON report of a full run (python -m verify --json REPORT)")
    p.add_argument("--readme", default="README.md")
    p.add_argument("--check", action="store_true", help="do not write; exit 1 if the README differs")
    p.add_argument("--source", default=str(SOURCE), help=f"where to write the blocks' source (default {SOURCE})")
    args = p.parse_args(argv)
    try:
        report = _load_report(args.report)
        path = Path(args.readme)
        try:
            old = path.read_text()
        except OSError as exc:
            raise ValueError(f"--readme {path}: cannot be read ({exc.strerror or exc})") from None
        new = update(old, report)
    except (ValueError, KeyError, TypeError) as exc:
        text = f"{args.report}: not a JSON report of this tool (missing {exc})" if isinstance(exc, KeyError) else (
            f"{args.report}: not a JSON report of this tool ({exc})" if isinstance(exc, TypeError) else str(exc))
        print(f"fbd-verify readme: error: {' '.join(text.split())}", file=sys.stderr)
        return 2
    if args.check:
        if new != old:
            print(f"fbd-verify readme: {path} differs from {args.report}; run without --check to update it")
            return 1
        print(f"{path} agrees with {args.report}")
        return 0
    import json

    path.write_text(new)
    source = Path(args.source)
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(json.dumps(source_of(report), indent=1) + "\n")
    print(f"updated {path} and {source} from {args.report}")
    return 0
