"""JSON-ready records of claim outcomes (the report's schema; see README "Reports")."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import mpmath as mp
import sympy as sp

from .ledger import Claim, Forms, Outcome, Verdict, check_verdict
from .paper_text import sources_record
from .tiers import current as current_tier
from .tiers import settings as tier_settings

SCHEMA_VERSION = "1.2"


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
    #: For a failed claim: the user entries its reason names (the evidence showed them failing, or the check
    #: timed out or raised on them).
    failed_entries: list = field(default_factory=list)
    #: The forms compared with the derivation when a claim maps its printed forms first (``implied``).
    implied: dict | None = None
    #: An empirical reproduction (see Claim.empirical).
    empirical: bool = False
    extra: dict = field(default_factory=dict)
    #: The tier the check ran in (verify.tiers) and what that tier set in it (the claim's tier table).
    tier: str = "default"
    tier_settings: dict = field(default_factory=dict)
    #: Set when the record was not computed by this run: {"source": "cache", "ran_at": ..., "seconds": ...} (the
    #: verdict cache, verify.cache) or {"source": "baseline", "baseline": path} (--affected --compare).
    reused: dict | None = None

    def __post_init__(self):
        self.verdict = check_verdict(str(getattr(self.verdict, "value", self.verdict)))

    @property
    def fails_run(self) -> bool:
        """Whether this verdict makes the run's exit status 1 (VERDICT_TABLE: ``failed`` only)."""
        from .ledger import VERDICT_INFO

        return VERDICT_INFO[self.verdict].fails_run

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


#: Flags a per-entry evidence node uses to say it failed.
_FAIL_FLAGS = ("ok", "within_tol", "within", "within_floor", "numeric_agreement", "passed", "agrees")
#: Fields of an evidence node that name what it is about.
_NAME_FIELDS = ("schedule", "key", "name", "pair", "case", "rate")
#: Words that mark a measured value or a limit among a node's fields (shown first).
_MEASURE_WORDS = ("measured", "limit", "order", "expected", "resid", "rel", "error", "diff", "tol", "max", "worst",
                  "mean")
#: Top-level evidence keys that state the criterion a per-entry node failed.
_CRITERIA = ("criterion", "tolerance", "limit")


def _entry_pattern(name: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")


def _violates(value, limit) -> bool:
    """Whether ``value`` breaks ``limit`` (a flag that must hold, or an upper bound); True when unknown."""
    if isinstance(limit, bool):
        return value is not limit
    try:
        return not abs(float(value)) <= float(limit)
    except (TypeError, ValueError):
        return True


def _measured(node: dict, limit: int = 4) -> str:
    """The measured value and the limit of a failing evidence node (its scalar fields, measures first)."""
    if "max_residual" in node:
        from .ledger import NUMERIC_DPS, NUMERIC_TOL

        return (f"relative residual {node['max_residual']} at {NUMERIC_DPS} digits, "
                f"limit {float(NUMERIC_TOL):.0e}")
    if isinstance(node.get("limits"), dict):  # {field: its limit}: the check says what it compared
        pairs = [(k, lim) for k, lim in node["limits"].items() if k in node]
        shown = ([f"{k} {node[k]} (limit {lim})" for k, lim in pairs if _violates(node[k], lim)]
                 or [f"{k} {node[k]} (limit {lim})" for k, lim in pairs])
        if shown:
            return ", ".join(shown)
    if "measured" in node:
        return f"measured {node['measured']}" + (f", limit {node['limit']}" if "limit" in node else "")
    items = [(k, v) for k, v in node.items() if k not in _FAIL_FLAGS and isinstance(v, (str, int, float))
             and not isinstance(v, bool) and len(str(v)) <= 40 and str(k) not in _NAME_FIELDS]
    items.sort(key=lambda kv: not any(w in str(kv[0]).lower() for w in _MEASURE_WORDS))
    return ", ".join(f"{k} {v}" for k, v in items[:limit])


def entry_failures(evidence: Any, names: list[str]) -> list[tuple[str, str, str]]:
    """(entry name, where in the evidence, measured) for each failing evidence node that names one of ``names``
    (a failing node: a dict with ``ok``/``within_tol``/``numeric_agreement`` false).  A node states its measured
    values and limits best as ``"limits": {field: limit}`` (or ``measured`` and ``limit``); else its scalar fields
    are shown, measures first."""
    pats = {n: _entry_pattern(n) for n in names}
    out: list[tuple[str, str, str]] = []

    def walk(node, path):
        if isinstance(node, dict):
            if any(node.get(f) is False for f in _FAIL_FLAGS):
                label = " > ".join(path)
                text = label + " " + " ".join(str(node.get(k, "")) for k in _NAME_FIELDS)
                for n, pat in pats.items():
                    if pat.search(text):
                        where = str(node.get("key") or node.get("case") or label)
                        out.append((n, "" if where in ("", n) else where, _measured(node)))
                        break
            for k, v in node.items():
                walk(v, path + [str(k)])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path if isinstance(v, dict) else path + [str(i)])

    walk(evidence, [])
    return out


def entry_kind(covered: dict, name: str) -> str:
    """'schedule', 'parameterization' or 'rate' for a user entry a claim covered (in a pair: by its place)."""
    for kind in ("schedules", "parameterizations", "rates"):
        if name in covered.get(kind, []):
            return kind[:-1]
    for pair in covered.get("pairs", []):  # a claim that covers pairs: the entry's place in its pair
        if name in pair:
            return ("schedule", "parameterization")[list(pair).index(name)]
    return "entry"


def failure_reason(notes: str, evidence: Any, covered: dict, user: list[str], limit: int = 3
                   ) -> tuple[str, list[str]]:
    """(one-line reason, the user entries it names) for a failed claim: led by the user entries the evidence shows
    failing (with the measured value and the limit); a time-out or an exception names the entry it was on (see
    verify.ledger.step); a failure that names none says which user entries the claim covered."""
    if not user:
        return notes, []
    fails = entry_failures(evidence, user)
    if not fails:
        named = [n for n in user if _entry_pattern(n).search(notes)]
        if named:
            return notes, named
        return notes + f" (the check covered your entries {', '.join(user)})", []
    crit = ""
    if isinstance(evidence, dict):
        crit = next((f"{k}: {evidence[k]}" for k in _CRITERIA if isinstance(evidence.get(k), (str, int, float))), "")
    parts = [f"{entry_kind(covered, n)} {n!r}" + (f" at {where}" if where else "") + (f" ({m})" if m else "")
             for n, where, m in fails[:limit]]
    more = f" and {len(fails) - limit} more" if len(fails) > limit else ""
    text = ("fails on your entries: " + "; ".join(parts) + more + (f" [{crit}]" if crit else "")
            + (f". {notes}" if notes else ""))
    return text, list(dict.fromkeys(n for n, _, _ in fails))


def make_record(claim: Claim, outcome: Outcome) -> ClaimRecord:
    covered, user = covered_entries(claim)
    notes, failed_entries = outcome.notes, []
    if outcome.verdict is Verdict.FAILED and user:
        try:
            notes, failed_entries = failure_reason(outcome.notes, jsonable(outcome.evidence), covered, user)
        except Exception:  # pragma: no cover - the reason is a courtesy; never lose the record over it
            notes = outcome.notes
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
        notes=notes,
        erratum_kind=outcome.erratum_kind,
        errata=[c.record() for c in outcome.errata],
        sources=sources_record(claim.sources),
        covered=covered,
        user_entries=user,
        failed_entries=failed_entries,
        implied=forms_record(outcome.implied),
        empirical=claim.empirical,
        tier=current_tier(),
        tier_settings=jsonable(tier_settings(claim.tiers)),
    )


def record_from_json(data: dict) -> ClaimRecord:
    """A ClaimRecord from its JSON form (a cache entry or a baseline report's claim); fields this version does not
    know are dropped, missing ones take their defaults (ValueError when a required one is absent)."""
    from dataclasses import fields

    names = {f.name for f in fields(ClaimRecord)}
    try:
        return ClaimRecord(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise ValueError(f"not a claim record ({exc})") from None


def read_json(path: str):
    """The JSON value in the file at ``path``; a ValueError in one line naming the file and the problem."""
    import json
    from pathlib import Path

    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: not found") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ValueError(f"{path}: not JSON{where}") from None

