"""Reports of a ledger run: the terminal table (rich), JSON, Markdown, and equation coverage (1)-(43)."""

from __future__ import annotations

import json
import platform
from collections import Counter
from pathlib import Path
from typing import Sequence

from . import __version__
from .records import SCHEMA_VERSION, ClaimRecord

#: The paper's numbered equations.
EQUATIONS = tuple(range(1, 44))
VERDICTS = ("proved", "confirmed", "erratum", "failed", "skipped")
SECTION_TITLES = {
    "2": "Section 2: denoiser, schedules, parameterizations",
    "3": "Section 3: diffusion, generator, UDS",
    "4": "Section 4: KL, Propositions 1-2, penalized ML",
    "5": "Section 5: coherence, MSE-diffusion, discrete time",
    "6": "Section 6: experiment",
    "A": "Appendix A",
}
VERDICT_STYLE = {"proved": "bold green", "confirmed": "green", "erratum": "bold yellow",
                 "failed": "bold red", "skipped": "dim"}


def summary(records: Sequence[ClaimRecord]) -> dict[str, int]:
    counts = Counter(r.verdict for r in records)
    return {v: counts.get(v, 0) for v in VERDICTS}


def coverage(records: Sequence[ClaimRecord]) -> dict:
    """Which numbered equations are covered by a claim with a verdict (not skipped, not failed)."""
    covered: dict[int, list[str]] = {}
    for r in records:
        if r.verdict in ("proved", "confirmed", "erratum"):
            for eq in r.equations:
                covered.setdefault(eq, []).append(r.id)
    return {
        "covered": {str(eq): sorted(ids) for eq, ids in sorted(covered.items())},
        "not_covered": [eq for eq in EQUATIONS if eq not in covered],
        "fraction": round(len([e for e in EQUATIONS if e in covered]) / len(EQUATIONS), 3),
    }


def environment() -> dict:
    import mpmath
    import numpy
    import sympy

    env = {"python": platform.python_version(), "platform": platform.platform(), "sympy": sympy.__version__,
           "mpmath": mpmath.__version__, "numpy": numpy.__version__}
    try:
        import torch

        env["torch"] = torch.__version__
        env["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a dependency
        env["torch"], env["device"] = None, "cpu"
    return env


def to_json(records: Sequence[ClaimRecord], seconds: float | None = None) -> dict:
    return {
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "claims": [r.to_json() for r in records],
        "summary": summary(records),
        "coverage": coverage(records),
        "environment": environment(),
        "seconds": None if seconds is None else round(seconds, 2),
    }


def write_json(path: str | Path, records: Sequence[ClaimRecord], seconds: float | None = None) -> None:
    Path(path).write_text(json.dumps(to_json(records, seconds), indent=2) + "\n")


def _form_text(forms: dict | None, limit: int = 200) -> str:
    if not forms:
        return ""
    parts = []
    for key, val in forms.items():
        if not val:
            continue
        text = val["sympy"]
        parts.append(f"{key}: {text if len(text) <= limit else text[:limit] + ' ...'}")
    return "; ".join(parts)


def _differing(record: ClaimRecord) -> list[str]:
    comps = record.evidence.get("comparisons", []) if isinstance(record.evidence, dict) else []
    return [c["key"] for c in comps if not c.get("numeric_agreement", True)]


def markdown(records: Sequence[ClaimRecord], seconds: float | None = None,
             figures: dict[str, str] | None = None) -> str:
    s = summary(records)
    lines = ["# fbd-verify ledger", "",
             "Verdicts: " + ", ".join(f"{k} {v}" for k, v in s.items()) +
             (f"; run time {seconds:.1f} s" if seconds is not None else ""), ""]
    for sec in sorted({r.section for r in records}, key=lambda x: (x == "A", x)):
        lines += [f"## {SECTION_TITLES.get(sec, 'Section ' + sec)}", "",
                  "| id | verdict | method | equations | seconds | title |", "|---|---|---|---|---|---|"]
        for r in (r for r in records if r.section == sec):
            eqs = ", ".join(f"({e})" for e in r.equations)
            lines.append(f"| `{r.id}` | **{r.verdict}** | {r.method} | {eqs} | {r.seconds:.2f} | {r.title} |")
        lines.append("")
    errata = [r for r in records if r.verdict == "erratum"]
    lines += ["## Errata", ""]
    if not errata:
        lines += ["None found.", ""]
    for r in errata:
        keys = _differing(r)
        lines += [f"### `{r.id}`: {r.title}", "", f"*Reason.* {r.notes}", ""]
        keys = keys or list(r.printed or {})
        for key in keys[:2]:
            p = ((r.printed or {}).get(key) or {}).get("latex")
            c = ((r.corrected or {}).get(key) or {}).get("latex")
            lines += [f"- {key}", f"  - printed: ${p}$", f"  - corrected: ${c}$"]
        if len(keys) > 2:
            lines.append(f"- the same correction at {len(keys) - 2} more key(s): {', '.join(keys[2:])}")
        proof = r.evidence.get("corrected_proof", "") if isinstance(r.evidence, dict) else ""
        lines += ["", f"*Proof of the corrected form:* {proof or 'see evidence'}.", ""]
    failed = [r for r in records if r.verdict == "failed"]
    if failed:
        lines += ["## Failed", ""] + [f"- `{r.id}`: {r.notes}" for r in failed] + [""]
    if figures:
        lines += ["## Convergence plots (Proposition 2)", ""]
        for cid, rel in figures.items():
            lines += [f"![{cid}: |L^N - L| against N]({rel})", ""]
    cov = coverage(records)
    lines += ["## Equation coverage", "",
              f"{len(EQUATIONS) - len(cov['not_covered'])} of {len(EQUATIONS)} numbered equations are covered "
              f"by a claim with a verdict.", "",
              "Not yet covered: " + (", ".join(f"({e})" for e in cov["not_covered"]) or "none"), ""]
    lines += ["## Notes", ""] + [f"- `{r.id}`: {r.notes}" for r in records if r.notes and r.verdict != "erratum"]
    return "\n".join(lines) + "\n"


def convergence_figures(records: Sequence[ClaimRecord], folder: Path) -> dict[str, Path]:
    """One log-log PNG of |L^N - L| against N per Proposition 2 ladder claim (one per schedule)."""
    from numerics.plots import convergence_plot

    out = {}
    for r in records:
        if r.id.startswith("prop2-") and r.verdict in ("confirmed", "failed") and isinstance(r.evidence, dict):
            folder.mkdir(parents=True, exist_ok=True)
            out[r.id] = convergence_plot([r.evidence], folder / f"{r.id}.png")
    return out


def write_markdown(path: str | Path, records: Sequence[ClaimRecord], seconds: float | None = None) -> None:
    """The Markdown report, with its figures in ``<stem>_figures/`` beside it."""
    path = Path(path)
    figs = convergence_figures(records, path.parent / f"{path.stem}_figures")
    rel = {cid: str(Path(p).relative_to(path.parent)) for cid, p in figs.items()}
    path.write_text(markdown(records, seconds, rel))


def print_table(records: Sequence[ClaimRecord], console, seconds: float | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table

    for sec in sorted({r.section for r in records}, key=lambda x: (x == "A", x)):
        table = Table(title=SECTION_TITLES.get(sec, f"Section {sec}"), title_justify="left", expand=False)
        table.add_column("claim", style="cyan", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
        table.add_column("eqs", no_wrap=True)
        table.add_column("s", justify="right")
        table.add_column("detail", overflow="fold", max_width=90)
        for r in (r for r in records if r.section == sec):
            detail = r.title
            if r.verdict == "erratum":
                keys = _differing(r)[:1]
                pr = {k: (r.printed or {}).get(k) for k in keys}
                co = {k: (r.corrected or {}).get(k) for k in keys}
                detail = f"{r.title}\n  printed:   {_form_text(pr, 90)}\n  corrected: {_form_text(co, 90)}"
            elif r.verdict == "failed":
                detail = f"{r.title}\n  {r.notes}"
            eqs = ",".join(str(e) for e in r.equations)
            table.add_row(r.id, f"[{VERDICT_STYLE[r.verdict]}]{r.verdict}[/]", eqs, f"{r.seconds:.1f}", escape(detail))
        console.print(table)
    s = summary(records)
    cov = coverage(records)
    console.print("Verdicts: " + ", ".join(f"[{VERDICT_STYLE[k]}]{k} {v}[/]" for k, v in s.items())
                  + f" | equations covered {len(EQUATIONS) - len(cov['not_covered'])}/{len(EQUATIONS)}"
                  + (f" | {seconds:.1f} s" if seconds is not None else ""))
