r"""Display helpers for the reviewers' notebooks (``notebooks/*.py``): run claims, show what they establish.

Everything a notebook shows comes from the library: the claims of :mod:`verify.claims` run as the ledger runs
them (:func:`verify.runner.run_claims`: worker processes, each claim with its time limit) and are shown from
their :class:`verify.records.ClaimRecord` (the JSON report's schema): the printed forms (the paper's verbatim
LaTeX with its line, and the form read from it), the derived and corrected forms as LaTeX, the comparisons, the
verdict with the erratum kind and the argument for it, the evidence, and the figures (the report's renderers,
:data:`verify.report.RENDERERS`, and the plots below, drawn from the evidence alone).  No formula is written
here or in a notebook.

The objects returned have ``_repr_markdown_`` / ``_repr_png_`` (Jupyter shows them as Markdown with MathJax, or
as an image) and a plain-text ``repr``, so this module needs no IPython: a notebook shows a list of them with
``display(*nd.show_claim("param-vel"))``.

Quick mode (environment variable ``FBD_NOTEBOOK_QUICK=1``, set by ``python -m verify notebooks --quick`` and by
the tests): a notebook runs the claims it names as quick ones, stops the others it runs at a short time limit,
and draws the Proposition 2 plot from a short ladder; everything shown says which mode produced it.
"""

from __future__ import annotations

import fnmatch
import io
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Iterable, Sequence

QUICK_ENV = "FBD_NOTEBOOK_QUICK"
#: Quick mode, for the notebooks that run all their claims (Section 6): each claim's time limit (s), and the time
#: (s) after which no further claim is started.
QUICK_LIMIT = 10.0
QUICK_BUDGET = 12.0


def quick() -> bool:
    """True in quick mode (``FBD_NOTEBOOK_QUICK`` set to anything but "" or "0")."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


# ------------------------------------------------------------------------------------------------
# Display objects (Jupyter's rich display protocol, no IPython import)
# ------------------------------------------------------------------------------------------------


class Markdown:
    """Markdown (with $...$ / $$...$$ LaTeX) for Jupyter; the text itself as the plain repr."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


class Figure:
    """A PNG image for Jupyter; its title as the plain repr."""

    def __init__(self, png: bytes, title: str):
        self.png, self.title = png, title

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        return f"[figure: {self.title}]"


def _figure(fig, title: str, tight: bool = True) -> Figure:
    buf = io.BytesIO()
    if tight:
        fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return Figure(buf.getvalue(), title)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# ------------------------------------------------------------------------------------------------
# Running claims
# ------------------------------------------------------------------------------------------------

#: Records of every claim run in this kernel, by id (filled by :func:`run`).
RECORDS: dict = {}
#: Ids a quick run left out, by id -> the reason (shown by :func:`show_claim`).
LEFT_OUT: dict[str, str] = {}
#: Ids stopped at the quick-mode time limit.
STOPPED: set[str] = set()


def claims(*sections: str) -> list:
    """The registered claims of the given sections ("2", "3", "4", "5", "6", "A"), in registry order."""
    import verify.claims  # noqa: F401  (registers every claim)
    from .ledger import CLAIMS

    return [c for c in CLAIMS.values() if c.section in sections]


def _matches(cid: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(cid, p) for p in patterns)


def run(selected: Sequence, *, jobs: int | None = None, timeout: float | None = None) -> dict:
    """Run claims (Claim objects or ids) as the ledger does, printing one line per claim as it finishes;
    returns {id: record} and keeps the records in :data:`RECORDS`."""
    import verify.claims  # noqa: F401
    from .ledger import CLAIMS
    from .runner import run_claims

    chosen = [CLAIMS[c] if isinstance(c, str) else c for c in selected]
    if not chosen:
        return {}

    def done(rec):
        print(f"{rec.id:<22} {rec.verdict:<9} {rec.seconds:7.2f} s", flush=True)

    jobs = jobs or min(len(chosen), os.cpu_count() or 1)
    records = run_claims(chosen, jobs=jobs, timeout=timeout, on_done=done)
    for rec in records:
        RECORDS[rec.id] = rec
        if timeout is not None and isinstance(rec.evidence, dict) and "timed out" in str(rec.evidence.get("error", "")):
            STOPPED.add(rec.id)
    return {r.id: r for r in records}


def run_section(*sections: str, quick_ids: Sequence[str] | None = None, quick_limit: float = QUICK_LIMIT,
                quick_budget: float = QUICK_BUDGET, jobs: int | None = None) -> dict:
    """Run every registered claim of ``sections``.  In quick mode: only the claims matching ``quick_ids`` (ids or
    globs), each with its own time limit; with ``quick_ids=None``, the claims in registry order, ``jobs`` at a
    time, each stopped at ``quick_limit`` seconds, until ``quick_budget`` seconds are spent.  Prints what was
    left out; returns {id: record}."""
    everything = claims(*sections)
    where = f"section(s) {', '.join(sections)}"
    if not quick():
        print(f"full mode: running {len(everything)} claims of {where}")
        return run(everything, jobs=jobs)
    if quick_ids is None:
        jobs = jobs or min(len(everything), os.cpu_count() or 1) or 1
        print(f"quick mode: running the {len(everything)} claims of {where} in order, each stopped after "
              f"{quick_limit:g} s, for at most {quick_budget:g} s")
        start, pending, done = time.perf_counter(), list(everything), {}
        while pending:
            left = quick_budget - (time.perf_counter() - start)
            if left < 1:
                break
            chunk, pending = pending[:jobs], pending[jobs:]
            done.update(run(chunk, jobs=len(chunk), timeout=min(quick_limit, left)))
        for c in pending:
            LEFT_OUT[c.id] = "not run in quick mode (the quick run's time budget was spent)"
        if pending:
            print(f"left out (time budget): {', '.join(c.id for c in pending)}")
        return done
    chosen = [c for c in everything if _matches(c.id, quick_ids)]
    for c in everything:
        if c not in chosen:
            LEFT_OUT[c.id] = "not run in quick mode (run the notebook without FBD_NOTEBOOK_QUICK)"
    print(f"quick mode: running {len(chosen)} of {len(everything)} claims of {where}; "
          f"left out: {', '.join(c.id for c in everything if c not in chosen) or 'none'}")
    return run(chosen, jobs=jobs)


def record(cid: str):
    """The record of claim ``cid``: from this kernel's runs, else run now (in this process)."""
    if cid not in RECORDS:
        run([cid], jobs=1)
    return RECORDS[cid]


# ------------------------------------------------------------------------------------------------
# Summaries
# ------------------------------------------------------------------------------------------------


def _verdict_text(r) -> str:
    from .ledger import Verdict

    if r.id in STOPPED:
        return "not finished (quick-mode limit)"
    return r.verdict + (f" ({r.erratum_kind})" if r.verdict == Verdict.ERRATUM else "")


def mode_line() -> Markdown:
    """Which mode this notebook ran in, and how to change it."""
    if quick():
        return Markdown("**Quick mode** (`FBD_NOTEBOOK_QUICK=1`): a subset of the claims, short ladders. "
                        "`python -m verify notebooks --update` executes the full notebooks.")
    if os.environ.get("FBD_VERIFY_FULL", "") not in ("", "0"):
        return Markdown("**Full mode, the ledger's `--full` tier** (`FBD_VERIFY_FULL=1`): every claim of this part "
                        "of the paper, with the longer ladders and more digits.")
    return Markdown("**Full mode**: every claim of this part of the paper, at the ledger's default tier "
                    "(`python -m verify notebooks --full` runs the ledger's `--full` tier).")


def legend() -> Markdown:
    """The verdicts, the erratum kinds and the reading rules of the printed LaTeX (from the library)."""
    from .ledger import ERRATUM_KINDS, VERDICT_TABLE
    from .reading import RULES

    lines = ["**Verdicts**: " + "; ".join(f"`{i.verdict.value}`: {i.meaning}" for i in VERDICT_TABLE) + ".", "",
             "**Erratum kinds** (most severe first): " + ", ".join(f"`{k}`" for k in ERRATUM_KINDS) + ".", "",
             "<details><summary>How the paper's LaTeX is read (verify.reading.RULES)</summary>", ""]
    lines += [f"- {rule.line()}" for rule in RULES]
    lines += ["", "</details>"]
    return Markdown("\n".join(lines))


def summary(records) -> Markdown:
    """One table row per claim: verdict (with the erratum kind), method, equations, seconds, title."""
    recs = list(records.values()) if isinstance(records, dict) else list(records)
    rows = ["| claim | verdict | method | equations | seconds | title |", "|---|---|---|---|---|---|"]
    for r in recs:
        eqs = ", ".join(f"({e})" for e in r.equations) or "-"
        rows.append(f"| `{r.id}` | **{_verdict_text(r)}** | {r.method} | {eqs} | {r.seconds:.2f} | "
                    f"{_cell(r.title)} |")
    for cid, why in LEFT_OUT.items():
        if any(cid == r.id for r in recs):
            continue
        if _section_of(cid) in {r.section for r in recs}:
            rows.append(f"| `{cid}` | *{why}* | | | | |")
    from collections import Counter

    counts = Counter(_verdict_text(r).split(" (")[0] for r in recs)
    return Markdown("\n".join(rows) + "\n\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


def _section_of(cid: str) -> str | None:
    from .ledger import CLAIMS

    c = CLAIMS.get(cid)
    return c.section if c else None


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def errata_table(records) -> Markdown:
    """Every correction of the erratum claims: kind, keys, reading, the argument for the kind, consequence."""
    from .ledger import ERRATUM_KINDS, erratum_corrections

    recs = list(records.values()) if isinstance(records, dict) else list(records)
    entries = [(r, e) for r in recs for e in erratum_corrections([r])]
    entries.sort(key=lambda re_: (ERRATUM_KINDS.index(re_[1]["kind"]), re_[0].id))
    if not entries:
        return Markdown("No erratum among these claims.")
    rows = ["| claim | kind | keys | declared reading | evidence for the kind | consequence |",
            "|---|---|---|---|---|---|"]
    for r, e in entries:
        rows.append(f"| `{r.id}` | **{e['kind']}** | {_cell(', '.join(e['keys']))} | {_cell(e['reading'])} | "
                    f"{_cell(e['evidence'])} | {_cell(e['consequence'])} |")
    return Markdown("\n".join(rows))


#: The notebook that shows each section's claims (notebooks/NAME.ipynb).
NOTEBOOK_OF_SECTION = {"2": "section2", "3": "section3", "4": "section4", "5": "section5_appendix_a",
                       "A": "section5_appendix_a", "6": "section6"}


def catalogue() -> Markdown:
    """Every registered claim, by section, with the notebook that shows it (links relative to notebooks/)."""
    from .report import SECTION_TITLES

    rows = ["| section | notebook | claims |", "|---|---|---|"]
    for sec, title in SECTION_TITLES.items():
        ids = [c.id for c in claims(sec)]
        name = NOTEBOOK_OF_SECTION.get(sec)
        link = f"[{name}]({name}.ipynb)" if name else "-"
        rows.append(f"| {_cell(title)} | {link} | {', '.join(f'`{i}`' for i in ids) or '-'} |")
    return Markdown("\n".join(rows))


def perturbation_table(cid: str, key: str | None = None) -> Markdown:
    """Every check can fail: the claim's accepted form of ``key`` (default: the first), perturbed by
    :func:`verify.ledger.perturbations` (sign flip, scale by 2, swap of two symbols), judged again by the same
    check without the erratum route; each row gives the perturbed form and the verdict it gets."""
    import verify.claims  # noqa: F401
    from .ledger import CLAIMS, perturbations
    from .records import forms_record

    claim = CLAIMS[cid]
    accepted = claim.accepted_forms()
    key = key or next(iter(accepted))
    rows = [f"Claim `{cid}`, key **{key}**.", "", "| form | verdict |", "|---|---|"]
    base = claim.evaluate(accepted, allow_erratum=False).verdict.value
    latex = forms_record({key: accepted[key]})[key]["latex"]
    rows.append(f"| accepted: ${latex}$ | **{base}** |")
    for label, bad in perturbations(accepted[key]).items():
        verdict = claim.evaluate(dict(accepted, **{key: bad}), allow_erratum=False).verdict.value
        rows.append(f"| {label}: ${forms_record({key: bad})[key]['latex']}$ | **{verdict}** |")
    return Markdown("\n".join(rows))


# ------------------------------------------------------------------------------------------------
# One claim
# ------------------------------------------------------------------------------------------------


def _math(latex: str | None) -> str:
    return f"$$\n{latex}\n$$" if latex else "*(no LaTeX form recorded)*"


def _comparison(comp: dict | None) -> str:
    if not comp:
        return ""
    sym = "yes" if comp.get("symbolic_zero") else "no"
    num = "yes" if comp.get("numeric_agreement") else "no"
    out = (f"symbolic difference 0: **{sym}**; 50-digit agreement at {comp.get('points')} points: **{num}** "
           f"(max relative residual {comp.get('max_residual')})")
    return out + (f"; {comp['note']}" if comp.get("note") else "")


def _source_lines(sources: list) -> list[str]:
    from .paper_text import line_label
    from .report import _readings_text

    out = []
    for src in sources:
        line = line_label(src.get("line"), src["text_line"])
        how = ("read by SymPy's LaTeX parser" + _readings_text(src) if src["route"] == "parsed"
               else f"transcribed by hand ({src.get('hand_transcription_because', '')})")
        out.append(f"- paper, {src['where']}, {line}, {how}: `{src['verbatim']}`")
        if src.get("parsed_latex"):
            out.append(f"  rendered: ${src['parsed_latex']}$")
    return out


def claim_markdown(r) -> str:
    """The Markdown of one record: verdict, per printed key the paper's text and the printed, derived and
    corrected forms with their comparison, the errata with their kinds and arguments, notes and evidence."""
    eqs = ", ".join(f"({e})" for e in r.equations) or "no numbered equation"
    lines = [f"### `{r.id}`: {r.title}", "",
             f"**{_verdict_text(r)}** · {r.method} · {eqs} · {r.seconds:.2f} s", ""]
    if r.id in STOPPED:
        lines += [f"*Stopped at the quick-mode limit ({r.notes}); the full notebook runs it to the end.*", ""]
    covered = getattr(r, "covered", None)
    if covered:
        lines += ["Covers: " + "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in covered.items()), ""]
    evidence = r.evidence if isinstance(r.evidence, dict) else {}
    comps = {c["key"]: c for c in evidence.get("comparisons", [])}
    ccomps = {c["key"]: c for c in evidence.get("corrected_comparisons", [])}
    printed, derived, corrected = r.printed or {}, r.derived or {}, r.corrected or {}
    for key, form in printed.items():
        lines += [f"#### {key}", ""] + _source_lines((r.sources or {}).get(key, [])) + [""]
        lines += ["Printed (the literal form, as read):", "", _math((form or {}).get("latex")), ""]
        if key in derived:
            lines += ["Derived:", "", _math(derived[key].get("latex")), ""]
        if key in comps:
            lines += ["Printed vs derived: " + _comparison(comps[key]), ""]
        fixed = corrected.get(key)
        if fixed and fixed.get("sympy") != (form or {}).get("sympy"):
            lines += ["Corrected (the declared reading):", "", _math(fixed.get("latex")), ""]
            if key in ccomps:
                lines += ["Corrected vs derived: " + _comparison(ccomps[key]), ""]
    extra = [k for k in derived if k not in printed]
    if extra:
        lines += ["#### Derived quantities the printed forms imply", ""]
        for key in extra:
            lines += [f"**{key}**", "", _math(derived[key].get("latex")), ""]
            if key in comps:
                lines += ["Implied by the printed forms vs derived: " + _comparison(comps[key]), ""]
            if key in ccomps and not comps.get(key, {}).get("numeric_agreement", True):
                lines += ["With the correction: " + _comparison(ccomps[key]), ""]
    if r.errata:
        lines += ["#### Erratum", ""]
        for e in r.errata:
            lines += [f"- **{e['kind']}** (keys: {', '.join(e['keys'])})", f"  - reading: {e['reading']}",
                      f"  - evidence for the kind: {e['evidence']}", f"  - consequence: {e['consequence']}"]
        if evidence.get("corrected_proof"):
            lines += [f"- proof of the corrected form: {evidence['corrected_proof']}"]
        lines += [""]
    if r.notes:
        lines += [f"*Notes:* {r.notes}", ""]
    rest = {k: v for k, v in evidence.items() if k not in ("comparisons", "corrected_comparisons")}
    if rest:
        lines += ["<details><summary>Evidence</summary>", "", "```", *evidence_lines(rest), "```", "", "</details>"]
    return "\n".join(lines)


def evidence_lines(value, *, depth: int = 0, max_depth: int = 4, max_items: int = 12, limit: int = 120) -> list[str]:
    """The evidence as indented ``key: value`` lines, nested dicts and lists capped (``... N more``)."""
    pad = "  " * depth
    out: list[str] = []
    if isinstance(value, dict):
        items = list(value.items())
        for k, v in items[:max_items]:
            if isinstance(v, (dict, list)) and v and not _flat_list(v):
                if depth >= max_depth:
                    out.append(f"{pad}{k}: ({len(v)} entries)")
                else:
                    out.append(f"{pad}{k}:")
                    out += evidence_lines(v, depth=depth + 1, max_depth=max_depth, max_items=max_items, limit=limit)
            else:
                out.append(f"{pad}{k}: {_short(v, limit)}")
        if len(items) > max_items:
            out.append(f"{pad}... {len(items) - max_items} more")
    elif isinstance(value, list):
        for i, v in enumerate(value[:max_items]):
            if isinstance(v, (dict, list)) and v and not _flat_list(v):
                out.append(f"{pad}- [{i}]")
                out += evidence_lines(v, depth=depth + 1, max_depth=max_depth, max_items=max_items, limit=limit)
            else:
                out.append(f"{pad}- {_short(v, limit)}")
        if len(value) > max_items:
            out.append(f"{pad}... {len(value) - max_items} more")
    else:
        out.append(pad + _short(value, limit))
    return out


def _flat_list(v) -> bool:
    return isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v)


def _short(v, limit: int) -> str:
    text = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show_claim(cid, *, figures: bool = True) -> list:
    """What a notebook shows for one claim (an id or a record): the Markdown of :func:`claim_markdown`, then its
    figures.  Use ``display(*nd.show_claim("param-vel"))``."""
    r = record(cid) if isinstance(cid, str) else cid
    parts: list = [Markdown(claim_markdown(r))]
    if figures:
        parts += claim_figures(r)
    return parts


def show(records, *patterns: str, figures: bool = True) -> list:
    """:func:`show_claim` for every record matching the id globs (all records without patterns), and a line
    for each matching claim that was left out in quick mode."""
    recs = list(records.values()) if isinstance(records, dict) else list(records)
    parts: list = []
    for r in recs:
        if not patterns or _matches(r.id, patterns):
            parts += show_claim(r, figures=figures)
    for cid, why in LEFT_OUT.items():
        if patterns and _matches(cid, patterns) and not any(r.id == cid for r in recs):
            parts.append(Markdown(f"### `{cid}`\n\n*{why}*"))
    return parts


# ------------------------------------------------------------------------------------------------
# Figures: the report's renderers, and plots of the evidence
# ------------------------------------------------------------------------------------------------

_FIG_DIR: Path | None = None


def _fig_dir() -> Path:
    global _FIG_DIR
    if _FIG_DIR is None:
        _FIG_DIR = Path(tempfile.mkdtemp(prefix="fbd-notebook-figures-"))
    return _FIG_DIR


def rendered(r) -> list:
    """The output of every report renderer (:data:`verify.report.RENDERERS`) registered for this claim: its
    Markdown lines and its figures (as the Markdown report shows them)."""
    from .report import RENDERERS

    parts: list = []
    if r.id in STOPPED:
        return parts
    for pattern, renderer in RENDERERS:
        if not fnmatch.fnmatchcase(r.id, pattern):
            continue
        try:
            body, figs = renderer(r, _fig_dir())
        except Exception as exc:  # shown where the figure would be (and caught by the notebook tests)
            parts.append(Markdown(f"**The report renderer {getattr(renderer, '__name__', renderer)} raised** "
                                  f"{type(exc).__name__}: {exc}"))
            continue
        if body:
            parts.append(Markdown("\n".join(body)))
        for title, path in figs.items():
            parts.append(Figure(Path(path).read_bytes(), title))
    return parts


def claim_figures(r) -> list:
    """The report renderers' output for the claim, then the notebook's plots of its evidence: measured orders
    (errors against N with the declared slopes), the (12) ladders, Kingma & Gao's w(lambda), Frechet distance
    against NFE."""
    parts = rendered(r)
    ev = r.evidence if isinstance(r.evidence, dict) else {}
    if r.id in STOPPED or not ev:
        return parts
    drawn = any(isinstance(p, Figure) for p in parts)
    if not parts:
        parts += ladder_plot(r)
    for fn in (order_plots, eq12_plot, kg_weight_plot):
        parts += fn(r)
    if not drawn:  # a claim whose report renderer draws its distances (uds-vs-peers) is not drawn twice
        parts += fd_nfe_plots(r)
    return parts


def ladder_plot(r) -> list:
    """|L^N - L| against N for every Proposition 2 ladder in the evidence (:func:`numerics.plots.convergence_plot`,
    as the report draws the ``prop2-*`` claims)."""
    from numerics.plots import convergence_plot

    if not _has_ladder(r.evidence):
        return []
    path = convergence_plot([r.evidence], _fig_dir() / f"{r.id}-ladders.png")
    return [Figure(Path(path).read_bytes(), f"{r.id}: |L^N - L| against N")]


def _has_ladder(ev) -> bool:
    if isinstance(ev, dict):
        return ("N" in ev and "LN_minus_L" in ev) or any(_has_ladder(v) for v in ev.values())
    return isinstance(ev, list) and any(_has_ladder(v) for v in ev)


def _ladder_n(ev: dict, default=None):
    for key in ("ladder_N", "ladder", "N"):
        v = ev.get(key)
        if isinstance(v, list) and v and all(isinstance(x, (int, float, str)) for x in v):
            try:
                return [int(x) for x in v]
            except ValueError:
                continue
    return default


def _order_tables(ev: dict, ns=None, path=""):
    """(path, N, {case: {errors, expected/declared, order}}) for every dict of cases with an ``errors`` list."""
    ns = _ladder_n(ev, ns)
    cases = {k: v for k, v in ev.items() if isinstance(v, dict) and isinstance(v.get("errors"), list)}
    if cases:
        yield path, ns, cases
    for k, v in ev.items():
        if isinstance(v, dict) and k not in cases:
            yield from _order_tables(v, ns, f"{path}/{k}" if path else k)


from numerics.figures import _num  # noqa: E402  (a positive finite number, or None)


class _Styles:
    """Line styles for names "A/B": the colour follows B (the method or parameterization), the dash follows A
    (schedule or rate), so one method has one colour in every panel; when there are more A's than dashes, a
    marker tells them apart too, so no two series share a style."""

    DASHES = ("-", "--", "-.", ":")
    MARKERS = (None, "o", "s", "^", "v", "D", "x", "P")

    def __init__(self):
        self.colours: dict[str, str] = {}
        self.heads: dict[str, int] = {}

    def __call__(self, name: str) -> dict:
        head, _, tail = name.rpartition("/")
        tail = tail or name
        if tail not in self.colours:
            self.colours[tail] = f"C{len(self.colours) % 10}"
        k = self.heads.setdefault(head, len(self.heads))
        # colour cycles after 10 methods: the marker then differs as well
        m = (k // len(self.DASHES) + list(self.colours).index(tail) // 10) % len(self.MARKERS)
        return {"color": self.colours[tail], "ls": self.DASHES[k % len(self.DASHES)], "marker": self.MARKERS[m]}


#: Words for the evidence's tables of measured errors (the titles and y labels of the order plots).
_ORDER_WORDS = {
    "orders": ("order of the flow solvers", "max |Y - exact flow map| at the end (data units)"),
    "flow_orders": ("order of the flow solvers", "max |Y - exact flow map| at the end (data units)"),
    "weak_orders": ("weak order of the stochastic solvers", "relative error of the final variance (dimensionless)"),
    "weak_errors": ("weak order of the stochastic solvers", "relative error of the final variance (dimensionless)"),
}


def _order_words(path: str) -> tuple[str, str]:
    """(title words, y label) for a table of measured errors at ``path`` in the evidence."""
    last = path.rsplit("/", 1)[-1] if path else "orders"
    if last in _ORDER_WORDS:
        return _ORDER_WORDS[last]
    return last.replace("_", " "), "global error at the end of the interval (data units)"


def _claim_words(r) -> str:
    """The claim's title (its statement in words) for a figure title; its id only when a record has no title."""
    return getattr(r, "title", "") or r.id


def _wrapped(text: str, width: int = 90) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def order_plots(r) -> list:
    """Log-log error against N per case (one figure per group of cases), with the declared order's slope dotted
    through the last point; colour = method, dash = schedule or rate."""
    plt = _pyplot()
    figs = []
    for path, ns, cases in _order_tables(r.evidence):
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        style, labelled_n = _Styles(), True
        for name, case in cases.items():
            errs = [_num(e) for e in case["errors"]]
            case_ns = _ladder_n(case, ns)  # a case may carry its own ladder
            xs = case_ns if case_ns and len(case_ns) == len(errs) else None
            if xs is None:
                labelled_n, xs = False, [2 ** i for i in range(len(errs))]
            pts = [(x, e) for x, e in zip(xs, errs) if e is not None]
            if len(pts) < 2:
                continue
            order = case.get("order", case.get("order_last_pair", case.get("ls_order")))
            label = f"{name} (order {float(order):.2f})" if _num(order) else name
            st = style(name)
            ax.loglog(*zip(*pts), ms=3, lw=1, label=label, **st)
            declared = case.get("expected", case.get("declared"))
            if _num(declared):
                x0, e0 = pts[-1]
                ax.loglog([p[0] for p in pts], [e0 * (x0 / p[0]) ** float(declared) for p in pts], ls=":", lw=0.7,
                          color=st["color"])
        words, ylabel = _order_words(path)
        ax.set_xlabel("N (number of steps)" if labelled_n
                      else "N / N_0: steps relative to the ladder's first rung (the evidence does not list N_0)")
        if not labelled_n:
            ax.set_xticks([p[0] for p in pts], [str(p[0]) for p in pts])
            ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_ylabel(ylabel)
        ax.set_title(_wrapped(f"{_claim_words(r)}: {words}", 100) + "\n(dotted: the slope of the declared order)",
                     fontsize=7.5)
        if ax.get_lines():
            ax.legend(fontsize=6, ncol=2)
        ax.grid(True, which="both", lw=0.3)
        figs.append(_figure(fig, f"{r.id}: {words}"))
    return figs


def eq12_plot(r) -> list:
    """(12): mean and variance errors of the sums (11) against N, one colour per ladder."""
    ladders = [x for x in r.evidence.get("ladders", []) if isinstance(x, dict) and "mean_error" in x]
    if not ladders:
        return []
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, lad in enumerate(ladders):
        ns = [int(n) for n in lad["N"]]
        name = f"{lad.get('schedule', '?')}/{lad.get('rate', '?')}"
        for key, ls, okey in (("mean_error", "-", "order_mean"), ("variance_error", "--", "order_variance")):
            ys = [abs(float(v)) for v in lad[key]]
            order = _num(lad.get(okey))
            what = "mean" if key == "mean_error" else "variance"
            ax.loglog(ns, ys, ls=ls, marker="o", ms=3, lw=1, color=f"C{i % 10}",
                      label=f"{name}, {what}" + (f" (order {order:.3f})" if order else ""))
    ax.set_xlabel("N (number of grid steps)")
    ax.set_ylabel("|sum (11) - integral (12)|\n(mean: data units; variance: squared data units)", fontsize=9)
    ax.set_title("(11)-(12): the sums of the unrolled generator converge to the integrals at first order\n"
                 "(solid: mean, dashed: variance)", fontsize=9)
    ax.legend(fontsize=6)
    ax.grid(True, which="both", lw=0.3)
    return [_figure(fig, f"{r.id}: ladders")]


def _evidence_curve(text: str, xs):
    """(lambda values, w values) of one ``w_of_lambda`` entry: a SymPy expression in KG's ``lambda`` (a Python
    keyword, renamed for SymPy), or ``parametric: omega(t) = ..., lambda = ...`` (drawn over t in (0, 1))."""
    import re

    import numpy as np
    import sympy as sp

    lam, t = sp.Symbol("lambda"), sp.Symbol("t")

    def parse(expr: str):
        return sp.sympify(re.sub(r"\blambda\b", "lambda_kg", expr), locals={"lambda_kg": lam, "t": t})

    m = re.fullmatch(r"parametric: omega\(t\) = (.+), lambda = (.+)", text.strip())
    if m:
        ts = np.linspace(0.002, 0.998, 499)
        w = np.asarray(sp.lambdify(t, parse(m.group(1)), modules=["numpy", "scipy"])(ts), dtype=float) * np.ones_like(ts)
        x = np.asarray(sp.lambdify(t, parse(m.group(2)), modules=["numpy", "scipy"])(ts), dtype=float) * np.ones_like(ts)
        keep = (x >= xs[0]) & (x <= xs[-1])
        return x[keep], w[keep]
    ys = np.asarray(sp.lambdify(lam, parse(text), modules=["numpy", "scipy"])(xs), dtype=float) * np.ones_like(xs)
    return xs, ys


def kg_weight_plot(r, pairs: Sequence[str] | None = None) -> list:
    """The claim's ``w_of_lambda`` evidence drawn against Kingma & Gao's lambda = 2 ring-lambda in [-10, 10], for
    the pairs the claim matches with K&G's objectives (the evidence's ``pairs ...`` entry) or the given ones."""
    ev = r.evidence if isinstance(r.evidence, dict) else {}
    table = ev.get("w_of_lambda")
    if not isinstance(table, dict):
        return []
    import numpy as np

    known = next((v for k, v in ev.items() if k.startswith("pairs") and isinstance(v, dict)), None)
    chosen = [p for p in (pairs or (list(known) if known else list(table))) if p in table]
    xs = np.linspace(-10, 10, 401)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.6, 4.6))
    style, skipped = _Styles(), []
    for pair in chosen:
        try:
            x, y = _evidence_curve(str(table[pair]), xs)
        except Exception as exc:  # shown, not hidden: the pair is named under the plot
            skipped.append(f"{pair} ({type(exc).__name__})")
            continue
        y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
        st = style(pair)
        ax.semilogy(x, y, lw=1.1, label=pair.replace("/", ", "), color=st["color"], ls=st["ls"],
                    marker=st["marker"], markevery=max(1, len(x) // 12), ms=3.5)
    ax.set_xlabel(r"$\lambda = 2\mathring{\lambda}_t$ (Kingma & Gao's log-SNR; nats)")
    ax.set_ylabel(r"weighting $w(\lambda)$ (dimensionless)")
    ax.set_title(r"$\omega_t = S_t^2/\mathring{\lambda}'_t$ (Section 2) as Kingma & Gao's weighting $w(\lambda)$"
                 "\n(colour: parameterization; dash and marker: schedule)", fontsize=9)
    ax.grid(True, which="both", lw=0.3)
    if ax.get_lines():
        ax.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False,
                  title="schedule, parameterization", title_fontsize=6.5)
    out: list = [_figure(fig, f"{r.id}: w(lambda)")]
    if skipped:
        out.append(Markdown("Not drawn (the evidence's form could not be evaluated with NumPy): " + ", ".join(skipped)))
    return out


def _nfe_tables(ev, path=""):
    """(path, {method: {nfe: value}}) for every dict of methods whose values map NFE strings to numbers."""
    if not isinstance(ev, dict):
        return
    rows = {}
    for k, v in ev.items():
        if isinstance(v, dict) and v and all(str(n).isdigit() for n in v) and all(_num(x) for x in v.values()):
            rows[k] = {int(n): float(x) for n, x in v.items()}
    if len(rows) >= 2:
        yield path, rows
    for k, v in ev.items():
        if isinstance(v, dict) and k not in rows:
            yield from _nfe_tables(v, f"{path}/{k}" if path else k)


_METRIC_WORDS = {"fd": ("Frechet distance", "FD (squared data units)"),
                 "sw": ("sliced Wasserstein distance", "SW (data units)"),
                 "pathwise": ("pathwise rms error to the flow map", "rms error (data units)")}


def _table_words(path: str) -> tuple[str, str]:
    """(panel title, y label) in words for an evidence path such as "fd/d2-K8/uniform-t"."""
    from numerics.figures import _data_words, _grid_words

    parts = path.split("/") if path else []
    metric, ylabel = _METRIC_WORDS.get(parts[0] if parts else "", ("distance", "distance (data units)"))
    words = [metric] + [_data_words(p, {}) if p.startswith("d") and "-K" in p else _grid_words(p) for p in parts[1:]]
    return "; ".join(words), ylabel


def fd_nfe_plots(r) -> list:
    """Distances (Frechet, sliced Wasserstein) against NFE: one figure, one panel per table (metric, data set,
    grid); colour = solver, dash = rate; one legend."""
    tables = list(_nfe_tables(r.evidence))
    if not tables:
        return []
    plt = _pyplot()
    ncols = 2 if len(tables) > 1 else 1
    nrows = math.ceil(len(tables) / ncols)
    height = 2.8 * nrows + 0.6
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, height), squeeze=False)
    style = _Styles()
    for ax, (path, rows) in zip(axes.flat, tables):
        for name, row in rows.items():
            xs = sorted(row)
            ax.loglog(xs, [row[x] for x in xs], ms=3, lw=1, label=name, **style(name))
        title, ylabel = _table_words(path)
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("NFE (denoiser evaluations)", fontsize=7)
        ax.set_ylabel(ylabel, fontsize=7)
        ax.tick_params(which="both", labelsize=6)
        ax.grid(True, which="both", lw=0.3)
    for ax in list(axes.flat)[len(tables):]:
        ax.set_visible(False)
    handles = {}
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in handles:
                handles[lab] = h
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=min(8, len(handles)), fontsize=6)
    fig.suptitle(_wrapped(f"{_claim_words(r)}: distance to the data against NFE", 110), fontsize=9)
    fig.tight_layout(rect=(0, 0.6 / height, 1, 1 - 0.3 / height))
    return [_figure(fig, f"{r.id}: distance against NFE", tight=False)]


# ------------------------------------------------------------------------------------------------
# Quick-mode preview of a Proposition 2 ladder
# ------------------------------------------------------------------------------------------------


def ladder_preview(schedule: str = "Logis", rate: str = "ML", denoiser: str = "exact",
                   ns: Sequence[int] = (16, 32, 64, 128)) -> list:
    """One short Proposition 2 ladder computed now from the printed (40) and (23) (the claims' own code,
    :func:`verify.claims.convergence.ladder_from_forms`), plotted as the report plots the claims' ladders.
    It illustrates; the verdicts are the ``prop2-*`` claims'."""
    from numerics.plots import convergence_plot

    from .claims.convergence import ladder_from_forms, printed_40
    from .records import jsonable

    ev = jsonable(ladder_from_forms(printed_40(), schedule, rate, denoiser, ns=tuple(ns)))
    path = convergence_plot([ev], _fig_dir() / f"preview-{schedule}-{rate}-{denoiser}.png")
    text = (f"Short ladder {schedule}/{rate}/{denoiser}, N = {', '.join(map(str, ns))}: fitted order "
            f"{float(ev['fitted_order']):.3f}, N (L^N - L) at the top rung "
            f"{float(ev['N_times_LN_minus_L'][-1]):.4g}, predicted C {float(ev['predicted_C']):.4g}.")
    return [Markdown(text), Figure(Path(path).read_bytes(), f"ladder preview {schedule}/{rate}/{denoiser}")]

