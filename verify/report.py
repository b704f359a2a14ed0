"""Reports of a ledger run: the terminal table (rich), JSON, Markdown, and equation coverage (1)-(43)."""

from __future__ import annotations

import fnmatch
import hashlib
import platform
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import quote

from . import __version__
from .ledger import ESTABLISHED, LISTED, VERDICT_INFO, VERDICT_TABLE, Verdict, erratum_corrections
from .paper_text import NUMBERED_EQUATIONS as EQUATIONS
from .paper_text import line_label
from .records import SCHEMA_VERSION, ClaimRecord

#: The verdicts, strongest first (from the one vocabulary table, verify.ledger.VERDICT_TABLE).
VERDICTS = tuple(i.verdict.value for i in VERDICT_TABLE)
SECTION_TITLES = {
    "2": "Section 2: denoiser, schedules, parameterizations",
    "3": "Section 3: diffusion, generator, UDS",
    "4": "Section 4: KL, Propositions 1-2, penalized ML",
    "5": "Section 5: coherence, MSE-diffusion, discrete time",
    "6": "Section 6: experiment",
    "A": "Appendix A",
}
VERDICT_STYLE = {v: i.style for v, i in VERDICT_INFO.items()}


def summary(records: Sequence[ClaimRecord]) -> dict[str, int]:
    counts = Counter(r.verdict for r in records)
    return {v: counts.get(v, 0) for v in VERDICTS}


def errata_by_kind(records: Sequence[ClaimRecord]) -> dict[str, int]:
    """Erratum claims per kind (a claim counts once, under its most severe correction)."""
    from .ledger import ERRATUM_KINDS

    counts = Counter(r.erratum_kind for r in records if r.verdict == Verdict.ERRATUM)
    return {k: counts.get(k, 0) for k in ERRATUM_KINDS}


def distinct_errors_by_kind(records: Sequence[ClaimRecord]) -> dict[str, int]:
    """Distinct errors of the paper per kind: the erratum claims' corrections grouped by their error id (the paper line
    they fix), so one error corrected in several claims (line 413's rate for SiT, REPA and REPA-E) counts once."""
    from .ledger import ERRATUM_KINDS, distinct_errors

    counts = Counter(distinct_errors(erratum_corrections(records)).values())
    return {k: counts.get(k, 0) for k in ERRATUM_KINDS}


def errata_line(records: Sequence[ClaimRecord]) -> str:
    """'errata by kind (claims): ...; distinct errors: N (...)' for the terminal, the Markdown and the README."""
    per_claim, distinct = errata_by_kind(records), distinct_errors_by_kind(records)
    return ("errata by kind (claims): " + ", ".join(f"{k} {v}" for k, v in per_claim.items())
            + f"; distinct errors: {sum(distinct.values())} (" + ", ".join(f"{k} {v}" for k, v in distinct.items())
            + ")")


def coverage(records: Sequence[ClaimRecord]) -> dict:
    """Which numbered equations are covered by a claim with a verdict (not skipped, not failed)."""
    covered: dict[int, list[str]] = {}
    for r in records:
        if r.verdict in ESTABLISHED:
            for eq in r.equations:
                covered.setdefault(eq, []).append(r.id)
    return {
        "covered": {str(eq): sorted(ids) for eq, ids in sorted(covered.items())},
        "not_covered": [eq for eq in EQUATIONS if eq not in covered],
        "fraction": round(len([e for e in EQUATIONS if e in covered]) / len(EQUATIONS), 3),
        "equations": len(EQUATIONS),
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


def to_json(records: Sequence[ClaimRecord], seconds: float | None = None, options: dict | None = None,
            interrupted: dict | None = None) -> dict:
    """The JSON report; ``interrupted`` ({"signal": ..., "not_run": [...]}) marks a partial report (the claims
    that finished before Ctrl-C or SIGTERM)."""
    return {
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "partial": interrupted is not None,
        **({"interrupted": interrupted} if interrupted is not None else {}),
        "options": options or {},
        "claims": [r.to_json() for r in records],
        "summary": {**summary(records), "errata_by_kind": errata_by_kind(records),
                    "distinct_errors_by_kind": distinct_errors_by_kind(records)},
        "coverage": coverage(records),
        "environment": environment(),
        "seconds": None if seconds is None else round(seconds, 2),
    }


#: Verdicts by strength of evidence: a move to a weaker one is a regression (from VERDICT_TABLE).
_STRENGTH = {v: i.strength for v, i in VERDICT_INFO.items()}


@dataclass
class ReportDiff:
    """A run against an earlier report: verdict changes and regressions (in the ledger's claim order), the claims
    this run has and the baseline lacks, and the baseline's claims this run did not run."""

    changes: list[str] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    not_in_baseline: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)


def _ledger_order(ids) -> list[str]:
    from .ledger import CLAIMS

    pos = {cid: i for i, cid in enumerate(CLAIMS)}
    ids = list(ids)
    return sorted(ids, key=lambda cid: (pos.get(cid, len(pos)), ids.index(cid)))


def compare_reports(baseline: dict[str, dict], records: Sequence[ClaimRecord], *, ran_all: bool = False
                    ) -> ReportDiff:
    """Compare a run with an earlier report's claims (id -> claim record, as :func:`verify.cli` validates them).

    A change is a claim in both whose verdict (or erratum kind) differs.  A regression: a claim that now fails, or
    moved to a weaker verdict (proved -> confirmed, confirmed -> inconclusive, inconclusive -> failed,
    anything -> skipped; strengths are VERDICT_TABLE's); a claim the baseline lacks that fails;
    and, when this run selected every claim (``ran_all``), a baseline claim this run lacks."""
    diff = ReportDiff()
    now = {r.id: r for r in records}
    for cid in _ledger_order(list(baseline) + [cid for cid in now if cid not in baseline]):  # stable, not a set
        old, new = baseline.get(cid), now.get(cid)
        if new is None:
            diff.not_run.append(cid)
            if ran_all:
                diff.regressions.append(f"{cid}: in the baseline ({old['verdict']}), not in this run")
            continue
        after = new.verdict + (f" ({new.erratum_kind})" if new.erratum_kind else "")
        if old is None:
            diff.not_in_baseline.append(f"{cid} ({after})")
            if new.verdict == Verdict.FAILED:
                diff.regressions.append(f"{cid}: not in the baseline, failed")
            continue
        before = old["verdict"] + (f" ({old['erratum_kind']})" if old["verdict"] == Verdict.ERRATUM
                                   and old.get("erratum_kind") else "")
        if before != after:
            text = f"{cid}: {before} -> {after}"
            diff.changes.append(text)
            if _STRENGTH[new.verdict] < _STRENGTH.get(old["verdict"], 0) or (
                    VERDICT_INFO[new.verdict].fails_run and not VERDICT_INFO.get(old["verdict"], VERDICT_INFO[
                        new.verdict]).fails_run):
                diff.regressions.append(text)
    return diff


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
        line = line_label(src["line"], src["text_line"])
        out.append(f"  - paper, {src['where']}, {line} ({how}): `{src['verbatim']}`")
    return out


def _errata_section(records: Sequence[ClaimRecord]) -> list[str]:
    """Errata, substantive first, each with its kind, the declared reading, the evidence and the consequence."""
    from .ledger import ERRATUM_KINDS, KIND_MEANINGS

    errata = sorted((r for r in records if r.verdict == Verdict.ERRATUM),
                    key=lambda r: (ERRATUM_KINDS.index(r.erratum_kind) if r.erratum_kind in ERRATUM_KINDS else 99))
    lines = ["## Errata", ""]
    if not errata:
        return lines + ["None found.", ""]
    counts, distinct = errata_by_kind(records), distinct_errors_by_kind(records)
    lines += ["By kind (a claim counts under its most severe correction): "
              + ", ".join(f"{k} {v}" for k, v in counts.items()) + ". Distinct errors of the paper (corrections "
              f"grouped by the paper line they fix, so one error corrected in several claims counts once): "
              f"{sum(distinct.values())} (" + ", ".join(f"{k} {v}" for k, v in distinct.items()) + ").", "",
              "Kinds: " + "; ".join(f"*{k}* ({m})" for k, m in KIND_MEANINGS.items()) + ".", ""]
    for r in errata:
        lines += [f"### `{r.id}` ({r.erratum_kind}): {r.title}", ""]
        for c in r.errata:
            lines += [f"- **{c['kind']}** (error: {c.get('error') or '?'}), keys "
                      f"{', '.join(f'`{k}`' for k in c['keys'][:4])}"
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
    return tuple((i.verdict.value, i.meaning + (" (the run's exit status is 1)" if i.fails_run else ""))
                 for i in VERDICT_TABLE)


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
            line = line_label(src["line"], src["text_line"])
            how = "parsed" if src["route"] == "parsed" else "hand transcription"
            lines.append(f"  - {src['where']}, {line} ({how}{_readings_text(src)}): `{src['verbatim']}`")
    return lines


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def covering_claims(records: Sequence[ClaimRecord], entry: dict) -> list[ClaimRecord]:
    """The claims of a run that covered a user entry ({"kind", "name"}; a pair's name is 'schedule/param')."""
    if entry["kind"] == "pair":
        pair = entry["name"].split("/", 1)
        return [r for r in records if pair in [list(p) for p in (r.covered or {}).get("pairs", [])]]
    return [r for r in records if entry["name"] in (r.user_entries or [])]


def entries_section(records: Sequence[ClaimRecord], entries: Sequence[dict]) -> list[str]:
    """'Your entries': the --schedules files, each entry (kind, name, expression) and the verdicts of the claims
    that covered it (failed first)."""
    files = list(dict.fromkeys(e["file"] for e in entries))
    lines = ["## Your entries", "",
             "Loaded with `--schedules`: " + ", ".join(f"`{f}`" for f in files) + ".", "",
             "| file | kind | name | expression | claims that covered it |", "|---|---|---|---|---|"]
    order = [i.verdict.value for i in sorted(VERDICT_TABLE, key=lambda i: i.strength)]  # weakest first
    for e in entries:
        by_verdict: dict[str, list[str]] = {}
        names = e["name"].split("/", 1) if e["kind"] == "pair" else [e["name"]]
        for r in covering_claims(records, e):
            other = (r.verdict == Verdict.FAILED and r.failed_entries and not set(names) & set(r.failed_entries))
            by_verdict.setdefault(r.verdict, []).append(f"`{r.id}`" + (" (on another entry)" if other else ""))
        cover = "; ".join(f"**{v}** {', '.join(by_verdict[v])}" for v in order if v in by_verdict)
        lines.append(f"| `{_cell(e['file'])}` | {e['kind']} | `{_cell(e['name'])}` | `{_cell(e['expression'])}` | "
                     f"{cover or 'no claim in this run covered it'} |")
    failed = [r for r in records if r.verdict == Verdict.FAILED and r.user_entries]
    if failed:
        lines += ["", "Failed claims that covered your entries (the reason names the entry where the check does):",
                  ""] + [f"- `{r.id}`: {r.notes}" for r in failed]
    return lines + [""]


def partial_note(interrupted: dict | None, done: int) -> str:
    if not interrupted:
        return ""
    not_run = interrupted.get("not_run", [])
    return (f"Partial report: the run was interrupted by {interrupted.get('signal', 'a signal')} after {done} of "
            f"{done + len(not_run)} claims; not run: {', '.join(not_run) or 'none'}.")


def _reused_mark(record: ClaimRecord) -> str:
    """' (cached)' or ' (baseline)' after a reused record's time, which is its original run's."""
    if not record.reused:
        return ""
    return " (cached)" if record.reused.get("source") == "cache" else " (baseline, not run)"


def _reused_lines(records: Sequence[ClaimRecord]) -> list[str]:
    cached = [r for r in records if r.reused and r.reused.get("source") == "cache"]
    carried = [r for r in records if r.reused and r.reused.get("source") != "cache"]
    out = []
    if cached:
        out += [f"Reused from the verdict cache (nothing they depend on changed; times are the original runs'): "
                + ", ".join(f"`{r.id}` (ran {r.reused.get('ran_at')}, {r.seconds:.1f} s)" for r in cached), ""]
    if carried:
        out += [f"Not run (--affected), carried from the baseline {carried[0].reused.get('baseline')}: "
                + ", ".join(f"`{r.id}`" for r in carried), ""]
    return out


def markdown(records: Sequence[ClaimRecord], seconds: float | None = None,
             extra: Sequence[str] | None = None, *, entries: Sequence[dict] | None = None,
             interrupted: dict | None = None) -> str:
    s = summary(records)
    from .reading import RULES

    lines = ["# fbd-verify ledger", ""]
    if interrupted:
        lines += [f"> **{partial_note(interrupted, len(records))}**", ""]
    if entries:
        lines += entries_section(records, entries)
    lines += ["Verdicts: " + ", ".join(f"{k} {v}" for k, v in s.items()) +
              (f"; run time {seconds:.1f} s" if seconds is not None else "")
              + (f"; tier {', '.join(sorted({r.tier for r in records}))}" if records else ""), "",
              *_reused_lines(records),
              errata_line(records)[0].upper() + errata_line(records)[1:], "",
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
            lines.append(f"| `{r.id}` | **{verdict}** | {known} | {eqs} | {r.seconds:.1f}{_reused_mark(r)} |")
        lines.append("")
    lines += _errata_section(records)
    for info in LISTED:
        these = [r for r in records if r.verdict == info.verdict]
        if these:
            lines += [f"## {info.listed_as}", ""] + [f"- `{r.id}`: {r.notes}" for r in these] + [""]
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
        if r.notes and r.verdict != Verdict.ERRATUM:
            notes.setdefault(r.notes, []).append(r.id)
    lines += ["## Notes", ""] + [f"- {', '.join(f'`{i}`' for i in ids)}: {text}" for text, ids in notes.items()]
    return "\n".join(lines) + "\n"


#: Report extensions: (claim-id glob, renderer).  A renderer gets a record and the figures folder and returns
#: (Markdown lines, {figure name: path}); it draws from the JSON evidence alone (the workers write no files).
#: Registered by the claim modules (for example Section 6's Figure 1 and Table 1 analog).
RENDERERS: list[tuple[str, Callable]] = []


def register_renderer(pattern: str, renderer: Callable) -> None:
    RENDERERS.append((pattern, renderer))


def figure_name(text: str) -> str:
    """A file name for a figure of ``text`` (a claim id that may hold a user's entry name: spaces, brackets,
    slashes): letters, digits, '.', '_' and '-', with a short hash when anything was replaced (no two collide)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "figure"
    return slug if slug == text else f"{slug}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"


def _md_link_text(text: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def _convergence_renderer(record: ClaimRecord, folder: Path):
    """One log-log PNG of |L^N - L| against N per Proposition 2 ladder claim (one per schedule)."""
    from numerics.plots import convergence_plot

    if record.verdict not in (Verdict.CONFIRMED, Verdict.INCONCLUSIVE, Verdict.FAILED) or not isinstance(record.evidence, dict):
        return [], {}
    folder.mkdir(parents=True, exist_ok=True)
    # None: no ladder (timed out, raised)
    path = convergence_plot([record.evidence], folder / f"{figure_name(record.id)}.png")
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
                for title, fig in figures.items():  # the link URL-encoded: a space or a bracket cannot break it
                    link = quote(Path(fig).relative_to(base).as_posix())
                    lines += [f"![{_md_link_text(title)}]({link})", ""]
    return lines


def write_markdown(path: str | Path, records: Sequence[ClaimRecord], seconds: float | None = None, *,
                   entries: Sequence[dict] | None = None, interrupted: dict | None = None) -> None:
    """The Markdown report, with its figures in ``<stem>_figures/`` beside it."""
    path = Path(path)
    extra = rendered_sections(records, path.parent / f"{path.stem}_figures", path.parent)
    path.write_text(markdown(records, seconds, extra, entries=entries, interrupted=interrupted))


def print_table(records: Sequence[ClaimRecord], console, seconds: float | None = None) -> None:
    """The per-section tables on a terminal; off a terminal, plain lines (errata and failures with their detail)
    that are never wrapped, so no identifier is split."""
    if not console.is_terminal:
        for r in records:
            if r.verdict == Verdict.ERRATUM or VERDICT_INFO[r.verdict].listed_as:
                print(f"{r.id}: {r.verdict}" + (f" ({r.erratum_kind})" if r.erratum_kind else "") + f" - {r.title}")
                if r.verdict == Verdict.ERRATUM:
                    for e in r.errata:
                        print(f"    {e['kind']}: {e['reading']}")
                else:
                    print(f"    {r.notes}")
        cov = coverage(records)
        print(f"equations covered {len(EQUATIONS) - len(cov['not_covered'])}/{len(EQUATIONS)}; "
              + errata_line(records))
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
            if r.verdict == Verdict.ERRATUM:
                keys = _differing(r)[:1]
                pr = {k: (r.printed or {}).get(k) for k in keys}
                co = {k: (r.corrected or {}).get(k) for k in keys}
                detail = f"{r.title}\n  printed:   {_form_text(pr, 90)}\n  corrected: {_form_text(co, 90)}"
            elif VERDICT_INFO[r.verdict].listed_as:
                detail = f"{r.title}\n  {r.notes}"
            if r.user_entries:
                detail += f"\n  covers {', '.join(r.user_entries)}"
            eqs = ",".join(str(e) for e in r.equations)
            verdict = r.verdict + (f" ({r.erratum_kind})" if r.erratum_kind else "")
            table.add_row(r.id, f"[{VERDICT_STYLE[r.verdict]}]{verdict}[/]", eqs, f"{r.seconds:.1f}{_reused_mark(r)}", escape(detail))
        console.print(table)
    cov = coverage(records)
    console.print(f"equations covered {len(EQUATIONS) - len(cov['not_covered'])}/{len(EQUATIONS)}; "
                  + errata_line(records), highlight=False, markup=False)
