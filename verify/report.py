"""Reports of a ledger run: the terminal table (rich), JSON, Markdown, and equation coverage (1)-(43)."""

from __future__ import annotations

import fnmatch
import platform
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

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


def errata_by_kind(records: Sequence[ClaimRecord]) -> dict[str, int]:
    """Erratum claims per kind (a claim counts once, under its most severe correction)."""
    from .ledger import ERRATUM_KINDS

    counts = Counter(r.erratum_kind for r in records if r.verdict == "erratum")
    return {k: counts.get(k, 0) for k in ERRATUM_KINDS}


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


def _git_commit() -> str | None:
    """The project's git commit (and whether the tree has changes), when it is a git checkout."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment() -> dict:
    import os
    from importlib.metadata import PackageNotFoundError, version

    env = {"python": platform.python_version(), "platform": platform.platform(), "cpu_count": os.cpu_count(),
           "git_commit": _git_commit()}
    packages = {}
    for dist in ("sympy", "mpmath", "numpy", "scipy", "torch", "lark", "matplotlib", "rich"):
        try:
            packages[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            packages[dist] = None
    env["packages"] = packages
    try:
        import torch

        env["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover - torch is a dependency
        env["device"] = "cpu"
    return env


def to_json(records: Sequence[ClaimRecord], seconds: float | None = None, options: dict | None = None) -> dict:
    return {
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "options": options or {},
        "claims": [r.to_json() for r in records],
        "summary": {**summary(records), "errata_by_kind": errata_by_kind(records)},
        "coverage": coverage(records),
        "environment": environment(),
        "seconds": None if seconds is None else round(seconds, 2),
    }


#: Verdicts by strength of evidence: a move to a weaker one is a regression.
_STRENGTH = {"proved": 3, "confirmed": 2, "erratum": 2, "skipped": 1, "failed": 0}


def compare_reports(baseline: dict[str, dict], records: Sequence[ClaimRecord]) -> tuple[list[str], list[str]]:
    """(changes, regressions) of a run against an earlier report's claims (id -> claim record).

    A regression: a claim that now fails, that moved to a weaker verdict (proved -> confirmed, anything ->
    skipped), or that an earlier run had and this one lacks (when it ran every claim)."""
    changes, regressions = [], []
    now = {r.id: r for r in records}
    for cid, old in baseline.items():
        new = now.get(cid)
        if new is None:
            continue
        before = old["verdict"] + (f" ({old.get('erratum_kind')})" if old.get("erratum_kind") else "")
        after = new.verdict + (f" ({new.erratum_kind})" if new.erratum_kind else "")
        if before != after:
            text = f"{cid}: {before} -> {after}"
            changes.append(text)
            if _STRENGTH[new.verdict] < _STRENGTH.get(old["verdict"], 0) or (
                    new.verdict == "failed" and old["verdict"] != "failed"):
                regressions.append(text)
    for cid in now.keys() - baseline.keys():
        changes.append(f"{cid}: new claim, {now[cid].verdict}")
    return changes, regressions


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


def _verbatim(record: ClaimRecord, key: str) -> list[str]:
    """The paper's verbatim text behind a printed key, with its line and how it was read."""
    out = []
    for src in (record.sources or {}).get(key, []):
        how = ("read by SymPy's LaTeX parser" + _readings_text(src) if src["route"] == "parsed"
               else f"transcribed by hand: {src.get('hand_transcription_because', '')}")
        line = f"line {src['line']}" if src["line"] else f"text line {src['text_line']}"
        out.append(f"  - paper, {src['where']}, {line} ({how}): `{src['verbatim']}`")
    return out


def _errata_section(records: Sequence[ClaimRecord]) -> list[str]:
    """Errata, substantive first, each with its kind, the declared reading, the evidence and the consequence."""
    from .ledger import ERRATUM_KINDS, KIND_MEANINGS

    errata = sorted((r for r in records if r.verdict == "erratum"),
                    key=lambda r: (ERRATUM_KINDS.index(r.erratum_kind) if r.erratum_kind in ERRATUM_KINDS else 99))
    lines = ["## Errata", ""]
    if not errata:
        return lines + ["None found.", ""]
    counts = errata_by_kind(records)
    lines += ["By kind (a claim counts under its most severe correction): "
              + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".", "",
              "Kinds: " + "; ".join(f"*{k}* ({m})" for k, m in KIND_MEANINGS.items()) + ".", ""]
    for r in errata:
        lines += [f"### `{r.id}` ({r.erratum_kind}): {r.title}", ""]
        for c in r.errata:
            lines += [f"- **{c['kind']}**, keys {', '.join(f'`{k}`' for k in c['keys'][:4])}"
                      + (f" and {len(c['keys']) - 4} more" if len(c["keys"]) > 4 else ""),
                      f"  - reading: {c['reading']}", f"  - evidence: {c['evidence']}",
                      f"  - consequence: {c['consequence']}"]
            key = c["keys"][0]
            lines += _verbatim(r, key)
            p = ((r.printed or {}).get(key) or {}).get("latex")
            q = ((r.corrected or {}).get(key) or {}).get("latex")
            if p is not None and q is not None:
                lines += [f"  - printed (literal): ${p}$", f"  - corrected: ${q}$"]
        proof = r.evidence.get("corrected_proof", "") if isinstance(r.evidence, dict) else ""
        lines += ["", f"*Proof of the corrected form:* {proof or 'see evidence'}.", ""]
    return lines


def _legend():
    from .ledger import VERDICT_MEANINGS

    return tuple(VERDICT_MEANINGS.items())


def _headline_text(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_headline_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_headline_text(v) for v in value)
    return str(value)


def how_known(record: ClaimRecord) -> str:
    """One line on how the verdict is known: the symbolic and numeric routes, or the measured headline figures."""
    ev = record.evidence if isinstance(record.evidence, dict) else {}
    if "headline" in ev:
        return _headline_text(ev["headline"])
    inner = ev.get("corrected_forms_check", {})
    if isinstance(inner, dict) and "headline" in inner:
        printed = ev.get("printed_forms_check", {})
        head = ("printed forms: " + _headline_text(printed["headline"]) + "; "
                if isinstance(printed, dict) and "headline" in printed else "")
        return head + "corrected forms: " + _headline_text(inner["headline"])
    comps = ev.get("corrected_comparisons") or ev.get("comparisons") or []
    if comps:
        symbolic = sum(1 for c in comps if c.get("symbolic_zero"))
        worst = max((float(c["max_residual"]) for c in comps if c.get("max_residual") not in (None, "")), default=0.0)
        points = min((c.get("points", 0) for c in comps), default=0)
        return (f"{len(comps)} keys: {symbolic} exact SymPy identities; 50-digit check at {points} points, max "
                f"relative residual {worst:.1g}")
    return ""


def _readings_text(src: dict) -> str:
    """The rules of kind "reading" a parsed source went through (verify.reading.RULES), each with the LaTeX it
    read (once each), as "; readings: norms (...), applications (...)"."""
    uses: dict[str, list[str]] = {}
    for u in src.get("readings") or []:
        if u["latex"] not in uses.setdefault(u["rule"], []):
            uses[u["rule"]].append(u["latex"])
    return ("; readings: " + ", ".join(f"{rule} (" + ", ".join(f"`{x}`" for x in xs) + ")"
                                       for rule, xs in uses.items())) if uses else ""


def hand_typed(record: ClaimRecord, key: str) -> bool:
    """A printed key whose own text (its first source) is transcribed by hand, not read by SymPy's LaTeX parser."""
    srcs = (record.sources or {}).get(key, [])
    return not srcs or srcs[0]["route"] != "parsed"


def _printed_lines(record: ClaimRecord) -> list[str]:
    """Every printed form, hand-typed ones marked, with the paper's text and line behind each (each source once)
    and the readings each parsed source went through."""
    lines, seen = [], set()
    for key, form in (record.printed or {}).items():
        latex = (form or {}).get("latex")
        srcs = [s for s in (record.sources or {}).get(key, []) if s["id"] not in seen]
        seen |= {s["id"] for s in srcs}
        mark = " *(typed by hand)*" if hand_typed(record, key) else ""
        lines.append(f"- `{key}`{mark}" + (f": ${latex}$" if latex else ""))
        for src in srcs:
            line = f"line {src['line']}" if src["line"] else f"text line {src['text_line']}"
            how = "parsed" if src["route"] == "parsed" else "hand transcription"
            lines.append(f"  - {src['where']}, {line} ({how}{_readings_text(src)}): `{src['verbatim']}`")
    return lines


def markdown(records: Sequence[ClaimRecord], seconds: float | None = None,
             extra: Sequence[str] | None = None) -> str:
    s = summary(records)
    from .reading import RULES

    lines = ["# fbd-verify ledger", "",
             "Verdicts: " + ", ".join(f"{k} {v}" for k, v in s.items()) +
             (f"; run time {seconds:.1f} s" if seconds is not None else ""), "",
             "Errata by kind: " + ", ".join(f"{k} {v}" for k, v in errata_by_kind(records).items()), "",
             "| verdict | meaning |", "|---|---|"] + [f"| `{v}` | {m} |" for v, m in _legend()] + [""]
    lines += ["## How the printed forms are read", "",
              "Each printed form is the paper's verbatim LaTeX (as its text extraction prints it), read by SymPy's "
              "LaTeX parser (backend lark) after a normalisation with these rules; formulas the parser "
              "cannot read (ellipses, expectations, integrals, prose) are transcribed by hand, shown beside "
              "their verbatim text and marked *typed by hand* in the claims below. Rules marked *lexical* only "
              "spell the text for the parser; rules marked *reading* decide what a construct means and say what "
              "they discard, and each printed form lists the readings its parse went through. The literal form "
              "is always tested first: a reading beyond these rules enters only as a declared correction, and "
              "the verdict is then `erratum`, with its kind.", ""]
    lines += [f"- {rule.line()}" for rule in RULES] + [""]
    for sec in sorted({r.section for r in records}, key=lambda x: (x == "A", x)):
        lines += [f"## {SECTION_TITLES.get(sec, 'Section ' + sec)}", "",
                  "| claim | verdict | how it is known | equations | s |", "|---|---|---|---|---|"]
        for r in (r for r in records if r.section == sec):
            eqs = ", ".join(f"({e})" for e in r.equations)
            verdict = r.verdict + (f" ({r.erratum_kind})" if r.erratum_kind else "")
            known = how_known(r).replace("|", "\\|")
            lines.append(f"| `{r.id}` | **{verdict}** | {known} | {eqs} | {r.seconds:.1f} |")
        lines.append("")
    lines += _errata_section(records)
    failed = [r for r in records if r.verdict == "failed"]
    if failed:
        lines += ["## Failed", ""] + [f"- `{r.id}`: {r.notes}" for r in failed] + [""]
    if extra:
        lines += ["## Figures and tables", ""] + list(extra)
    lines += ["## Claims in detail", ""]
    for r in records:
        verdict = r.verdict + (f" ({r.erratum_kind})" if r.erratum_kind else "")
        lines += [f"### `{r.id}`: {verdict}", "", r.title, ""]
        if r.user_entries:
            lines += [f"Covers entries that are not built in: {', '.join(r.user_entries)}.", ""]
        lines += _printed_lines(r) + [""]
    cov = coverage(records)
    lines += ["## Equation coverage", "",
              f"{len(EQUATIONS) - len(cov['not_covered'])} of {len(EQUATIONS)} numbered equations are covered "
              f"by a claim with a verdict.", "",
              "Not yet covered: " + (", ".join(f"({e})" for e in cov["not_covered"]) or "none"), ""]
    notes: dict[str, list[str]] = {}
    for r in records:
        if r.notes and r.verdict != "erratum":
            notes.setdefault(r.notes, []).append(r.id)
    lines += ["## Notes", ""] + [f"- {', '.join(f'`{i}`' for i in ids)}: {text}" for text, ids in notes.items()]
    return "\n".join(lines) + "\n"


#: Report extensions: (claim-id glob, renderer).  A renderer gets a record and the figures folder and returns
#: (Markdown lines, {figure name: path}); it draws from the JSON evidence alone (the workers write no files).
#: Registered by the claim modules (for example Section 6's Figure 1 and Table 1 analog).
RENDERERS: list[tuple[str, Callable]] = []


def register_renderer(pattern: str, renderer: Callable) -> None:
    RENDERERS.append((pattern, renderer))


def _convergence_renderer(record: ClaimRecord, folder: Path):
    """One log-log PNG of |L^N - L| against N per Proposition 2 ladder claim (one per schedule)."""
    from numerics.plots import convergence_plot

    if record.verdict not in ("confirmed", "failed") or not isinstance(record.evidence, dict):
        return [], {}
    folder.mkdir(parents=True, exist_ok=True)
    path = convergence_plot([record.evidence], folder / f"{record.id}.png")  # None: no ladder (timed out, raised)
    return [], ({f"Proposition 2: |L^N - L| against N ({record.id})": path} if path else {})


register_renderer("prop2-*", _convergence_renderer)


def rendered_sections(records: Sequence[ClaimRecord], folder: Path, base: Path) -> list[str]:
    """The Markdown of every registered renderer, with figure links relative to ``base``."""
    lines: list[str] = []
    for r in records:
        for pattern, renderer in RENDERERS:
            if fnmatch.fnmatchcase(r.id, pattern):
                body, figures = renderer(r, folder)
                if not body and not figures:
                    continue
                lines += [f"### `{r.id}`", ""] + list(body) + [""]
                for title, fig in figures.items():
                    lines += [f"![{title}]({Path(fig).relative_to(base)})", ""]
    return lines


def write_markdown(path: str | Path, records: Sequence[ClaimRecord], seconds: float | None = None) -> None:
    """The Markdown report, with its figures in ``<stem>_figures/`` beside it."""
    path = Path(path)
    extra = rendered_sections(records, path.parent / f"{path.stem}_figures", path.parent)
    path.write_text(markdown(records, seconds, extra))


def print_table(records: Sequence[ClaimRecord], console, seconds: float | None = None) -> None:
    """The per-section tables on a terminal; off a terminal, plain lines (errata and failures with their detail)
    that are never wrapped, so no identifier is split."""
    if not console.is_terminal:
        for r in records:
            if r.verdict in ("erratum", "failed"):
                print(f"{r.id}: {r.verdict}" + (f" ({r.erratum_kind})" if r.erratum_kind else "") + f" - {r.title}")
                if r.verdict == "erratum":
                    for e in r.errata:
                        print(f"    {e['kind']}: {e['reading']}")
                else:
                    print(f"    {r.notes}")
        cov = coverage(records)
        print(f"equations covered {len(EQUATIONS) - len(cov['not_covered'])}/{len(EQUATIONS)}; errata by kind: "
              + ", ".join(f"{k} {v}" for k, v in errata_by_kind(records).items()))
        return
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
            if r.user_entries:
                detail += f"\n  covers {', '.join(r.user_entries)}"
            eqs = ",".join(str(e) for e in r.equations)
            verdict = r.verdict + (f" ({r.erratum_kind})" if r.erratum_kind else "")
            table.add_row(r.id, f"[{VERDICT_STYLE[r.verdict]}]{verdict}[/]", eqs, f"{r.seconds:.1f}", escape(detail))
        console.print(table)
    cov = coverage(records)
    console.print(f"equations covered {len(EQUATIONS) - len(cov['not_covered'])}/{len(EQUATIONS)}; errata by "
                  "kind: " + ", ".join(f"{k} {v}" for k, v in errata_by_kind(records).items()))
