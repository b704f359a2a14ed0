"""JSON-ready records of claim outcomes (the report's schema; see README "Reports")."""

from __future__ import annotations

import math
import re
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
    #: The registry entries the check covered, and those of them that are not built in.
    covered: dict = field(default_factory=dict)
    user_entries: list = field(default_factory=list)
    #: The forms compared with the derivation when a claim maps its printed forms first (``implied``).
    implied: dict | None = None
    #: An empirical reproduction (see Claim.empirical).
    empirical: bool = False

    @property
    def finding(self) -> bool:
        """A failed empirical reproduction whose check ran to completion: a measured result, not a defect."""
        ev = self.evidence if isinstance(self.evidence, dict) else {}
        return self.verdict == "failed" and self.empirical and not ({"exception", "error"} & set(ev))
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "lambda", "mu", "nu", "xi",
          "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "Delta"}
_NAME = re.compile(r"^(?P<acc>ring|check)?(?P<core>[A-Za-z]+?)(?P<hat>hat|bar)?(?P<primes>(?:prime)*)(?P<k>\d)?"
                   r"(?:_(?P<sub>[A-Za-z0-9]+))?$")


def _latex_name(sym: sp.Symbol) -> str | None:
    """The paper's notation for the suite's ASCII symbol names: ring and check accents (ringrho_t -> ring-accented
    rho_t), hats and bars, primes as primes (lamprime -> lambda', lamprime2 -> lambda''), Greek letters; None for
    names it does not recognise (SymPy's own printing is used)."""
    from derivations.symbols import LATEX_NAMES

    name = sym.name
    if name in LATEX_NAMES:
        return LATEX_NAMES[name]
    m = _NAME.match(name)
    if not m:
        return None
    core = {"lam": "lambda", "eps": "epsilon"}.get(m.group("core"), m.group("core"))
    if core not in _GREEK and not (len(core) == 1 and core.isalpha()):
        return None
    tex = "\\varepsilon" if core == "epsilon" else ("\\" + core if core in _GREEK else core)
    if m.group("hat"):
        tex = "\\" + m.group("hat") + "{" + tex + "}"
    if m.group("acc"):
        tex = {"ring": "\\mathring", "check": "\\check"}[m.group("acc")] + "{" + tex + "}"
    primes = len(m.group("primes")) // len("prime")
    if m.group("k"):
        if not primes:
            return None
        primes = int(m.group("k"))
    tex += "'" * primes
    sub = m.group("sub")
    if sub:
        tex += "_{" + ("\\" + sub if sub in _GREEK else sub) + "}"
    return tex


def paper_notation(expr: sp.Expr) -> sp.Expr:
    """``expr`` for display in the paper's notation: a helper function of the derivations with a ``paper_form``
    method (DiT's log alpha_bar) is shown in the paper's symbols, and the numerically stable expm1(x) and
    log1p(x) as e^x - 1 and log(1 + x).  Only the LaTeX of a form uses it; the SymPy string is the form itself."""
    from sympy.codegen.cfunctions import expm1, log1p

    expr = expr.replace(lambda e: callable(getattr(type(e), "paper_form", None)), lambda e: e.paper_form())
    return expr.replace(expm1, lambda a: sp.exp(a) - 1).replace(log1p, lambda a: sp.log(1 + a))


def forms_record(forms: Forms | None) -> dict | None:
    """{key: {"sympy": str, "latex": str}} for a set of forms."""
    if forms is None:
        return None
    out = {}
    for key, expr in forms.items():
        expr = sp.sympify(expr)
        shown = paper_notation(expr)
        names = {s: n for s in shown.free_symbols if isinstance(s, sp.Symbol) and (n := _latex_name(s))}
        try:
            latex = sp.latex(shown, symbol_names=names)
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


def covered_entries(claim: Claim) -> tuple[dict, list]:
    """(entries the claim covers, those not built in) from its ``covers`` and the registry's origins."""
    if claim.covers is None:
        return {}, []
    from derivations import REGISTRY

    covered = {k: [list(x) if isinstance(x, tuple) else x for x in v] for k, v in claim.covers().items()}
    user = set()
    for kind, key in (("schedules", "schedule"), ("parameterizations", "parameterization"), ("rates", "rate")):
        user |= set(covered.get(kind, [])) & set(REGISTRY.user(key))
    for s, p in covered.get("pairs", []):
        user |= {s, p} & (set(REGISTRY.user("schedule")) | set(REGISTRY.user("parameterization")))
    return covered, sorted(user)


def make_record(claim: Claim, outcome: Outcome) -> ClaimRecord:
    covered, user = covered_entries(claim)
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
        covered=covered,
        user_entries=user,
        implied=forms_record(outcome.implied),
        empirical=claim.empirical,
    )
