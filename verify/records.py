"""JSON-ready records of claim outcomes (the report's schema; see README "Reports")."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import mpmath as mp
import sympy as sp

from .ledger import Claim, Forms, Outcome
from .paper_text import sources_record

SCHEMA_VERSION = "1.1"


@dataclass
class ClaimRecord:
    id: str
    section: str
    title: str
    verdict: str
    method: str
    printed: dict | None
    derived: dict | None
    corrected: dict | None
    evidence: dict
    equations: list[int]
    seconds: float
    notes: str = ""
    #: For an erratum: the most severe kind of its corrections, and every correction (kind, keys, reading,
    #: evidence, consequence).
    erratum_kind: str | None = None
    errata: list = field(default_factory=list)
    #: printed key -> the paper's verbatim text behind it (line, route: parsed or hand).
    sources: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def _latex_name(sym: sp.Symbol) -> str | None:
    """The paper's notation for the suite's ASCII symbol names (ringrho_t -> ring-accented rho_t, ...)."""
    name = sym.name
    for prefix, tex in (("ringrho", r"\mathring{\rho}"), ("ringlamprime", r"\mathring{\lambda}'"),
                        ("ringlam", r"\mathring{\lambda}"), ("lamprime", r"\lambda'")):
        if name.startswith(prefix):
            sub = name[len(prefix):].lstrip("_")
            return tex + (f"_{{{sub}}}" if sub else "")
    return None


def forms_record(forms: Forms | None) -> dict | None:
    """{key: {"sympy": str, "latex": str}} for a set of forms."""
    if forms is None:
        return None
    out = {}
    for key, expr in forms.items():
        expr = sp.sympify(expr)
        names = {s: n for s in expr.free_symbols if isinstance(s, sp.Symbol) and (n := _latex_name(s))}
        try:
            latex = sp.latex(expr, symbol_names=names)
        except Exception:  # pragma: no cover - printer gaps
            latex = None
        out[key] = {"sympy": sp.sstr(expr), "latex": latex}
    return out


def jsonable(value: Any) -> Any:
    """Evidence values made JSON-ready (SymPy and mpmath numbers as strings, non-finite floats named)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (mp.mpf, mp.mpc)):
        return mp.nstr(value, 20)
    if isinstance(value, sp.Basic):
        return sp.sstr(value)
    if hasattr(value, "item"):  # numpy / torch scalars
        return jsonable(value.item())
    return str(value)


def make_record(claim: Claim, outcome: Outcome) -> ClaimRecord:
    printed = outcome.printed
    if printed is None:
        try:
            printed = claim.printed()
        except Exception:
            printed = None
    return ClaimRecord(
        id=claim.id,
        section=claim.section,
        title=claim.title,
        verdict=outcome.verdict.value,
        method=outcome.method,
        printed=forms_record(printed),
        derived=forms_record(outcome.derived),
        corrected=forms_record(outcome.corrected),
        evidence=jsonable(outcome.evidence),
        equations=list(claim.equations),
        seconds=round(outcome.seconds, 3),
        notes=outcome.notes,
        erratum_kind=outcome.erratum_kind,
        errata=[c.record() for c in outcome.errata],
        sources=sources_record(claim.sources),
    )
