"""The claim ledger: one entry per claim of the paper, with printed form, derived form, method and verdict.

A claim compares what the paper *prints* (transcribed into SymPy) with an independent derivation:

* every printed form is mapped by ``implied`` to the quantities the derivation produces;
* each pair is compared symbolically (``simplify(printed - derived) == 0``) **and** numerically at
  50 digits on random points (trust no single route);
* both agree                      -> ``proved``  (the symbolic route carried it);
* only the numeric route agrees   -> ``confirmed`` (with the residual and the number of points);
* the printed form disagrees, and the claim declares a ``corrected`` form (its :class:`Correction` s, each
  a declared reading with its *kind*) that the same comparison accepts -> ``erratum`` (printed, corrected,
  the kind and the argument for it are recorded);
* a check that runs to completion but whose precision cannot decide the statement (nothing contradicts it, something
  is unresolved; numerical and empirical checks say so themselves)                  -> ``inconclusive``;
* anything else (the statement is contradicted), an exception, or a time-out        -> ``failed``.

The verdicts, their meanings and what each does (acceptance, ``--compare`` strength, exit status, style) are one
table, :data:`VERDICT_TABLE`; the reports, the README generator and the command line read it.

The literal printed form (the paper's LaTeX read by :mod:`verify.reading`) is always tested first; a reading
only enters through a declared correction, and then the verdict is ``erratum``, never ``proved``.
Erratum kinds (:data:`ERRATUM_KINDS`, most severe first):

* ``substantive``: wrong as printed, and the error changes a result, a later formula or a number;
* ``typo``: wrong as printed, but the paper's own later use shows the intended form; nothing downstream changes;
* ``extraction``: the difference is a glyph the text extraction is shown to lose (the correction names it and gives
  the evidence of the loss); a glyph merely missing from the text is graded ``typo``, the extraction noted as possible;
* ``convention``: a sign or normalisation that contradicts a stated convention but changes nothing used (no formula
  that uses the quantity depends on it).
Each correction names the error it fixes by the paper's line (``error``): one error corrected in several claims is
counted once among the distinct errors.

Every check can fail: :func:`perturbations` flips a sign, scales by 2 or swaps two symbols of the
accepted form, and ``tests/test_mutations.py`` asserts that each perturbed form is rejected.
"""

from __future__ import annotations

import enum
import fnmatch
import random
import re
import time
import traceback
from dataclasses import KW_ONLY, dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

import mpmath as mp
import sympy as sp

Forms = dict[str, sp.Expr]


class Verdict(str, enum.Enum):
    PROVED = "proved"
    CONFIRMED = "confirmed"
    ERRATUM = "erratum"
    INCONCLUSIVE = "inconclusive"
    FAILED = "failed"
    SKIPPED = "skipped"

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


@dataclass(frozen=True)
class VerdictInfo:
    """Everything the tool says about one verdict, in one place: the reports' legend, the README's table, the
    accepting set, ``--compare``'s strength order, the exit status and the terminal style all read this table."""

    verdict: Verdict
    _: KW_ONLY
    meaning: str
    #: The printed (or corrected) form is established: the verdict can stand as a check's acceptance.
    accepting: bool
    #: Order of strength for ``--compare``: a move to a lower strength is a regression.
    strength: int
    #: A claim with this verdict makes the run's exit status 1.
    fails_run: bool
    #: Terminal style (rich markup).
    style: str
    #: The word for a count of claims with this verdict ("3 errata").
    plural: str
    #: A form was established (printed or corrected): the claim's equations count as covered.
    established: bool
    #: The reports list these claims under this heading, each with its reason (None: not listed).
    listed_as: str | None = None


#: The verdict vocabulary, strongest first.
VERDICT_TABLE: tuple[VerdictInfo, ...] = (
    VerdictInfo(Verdict.PROVED, meaning="the literal printed form equals the independent derivation as an exact "
                "SymPy identity, and a 50-digit check at random points agrees",
                accepting=True, strength=5, fails_run=False, style="bold green", plural="proved", established=True),
    VerdictInfo(Verdict.CONFIRMED, meaning="established numerically within a stated tolerance (50-digit agreement, a "
                "fitted order and constant, or a comparison with a sampling-noise floor), under the reading fixed "
                "before the run",
                accepting=True, strength=4, fails_run=False, style="green", plural="confirmed", established=True),
    VerdictInfo(Verdict.ERRATUM, meaning="the literal printed form fails; a declared reading (a correction with its "
                "kind) is proved or confirmed",
                accepting=False, strength=4, fails_run=False, style="bold yellow", plural="errata", established=True),
    VerdictInfo(Verdict.INCONCLUSIVE, meaning="the check ran to completion but its precision cannot decide the "
                "statement (nothing contradicts it, something is unresolved); the evidence states the precision that "
                "would decide it",
                accepting=False, strength=3, fails_run=False, style="magenta", plural="inconclusive",
                established=False, listed_as="Inconclusive (the check's precision cannot decide)"),
    VerdictInfo(Verdict.SKIPPED, meaning="not established, with the reason (no check could be built)",
                accepting=False, strength=2, fails_run=False, style="dim", plural="skipped", established=False),
    VerdictInfo(Verdict.FAILED, meaning="contradicted: neither the printed nor a declared corrected form holds, or "
                "the check could not be run (it raised or timed out)",
                accepting=False, strength=0, fails_run=True, style="bold red", plural="failed", established=False,
                listed_as="Failed"),
)
VERDICT_INFO: dict[str, VerdictInfo] = {i.verdict.value: i for i in VERDICT_TABLE}
if set(VERDICT_INFO) != {v.value for v in Verdict}:  # pragma: no cover - a verdict added without its record
    raise RuntimeError("VERDICT_TABLE must have one record per Verdict")

ACCEPTING = tuple(i.verdict for i in VERDICT_TABLE if i.accepting)
#: Verdicts that establish a form (their claims cover their equations).
ESTABLISHED = tuple(i.verdict for i in VERDICT_TABLE if i.established)
#: Verdicts the reports list with each claim's reason, with their headings.
LISTED = tuple(i for i in VERDICT_TABLE if i.listed_as)


def check_verdict(verdict: str) -> str:
    """``verdict`` if it is one of :data:`VERDICT_TABLE`'s, else a one-line ValueError naming the valid ones."""
    if verdict not in VERDICT_INFO:
        raise ValueError(f"unknown verdict {verdict!r}; a verdict is one of {', '.join(VERDICT_INFO)}")
    return verdict


METHODS = ("symbolic", "mpmath", "torch", "monte-carlo")


class LedgerError(ValueError):
    """Bad use of the ledger (unknown claim id, empty selection); one-line message."""


#: Erratum kinds, most severe first (a claim with several corrections has the most severe as its kind).
ERRATUM_KINDS = ("substantive", "typo", "extraction", "convention")
#: What each kind means (the reports, the README and the notebooks print this).
KIND_MEANINGS = {
    "substantive": "wrong as printed, and the error changes a result, a later formula or a number",
    "typo": "wrong as printed, but the paper's own use shows the intended form; nothing downstream changes",
    "extraction": "a glyph the text extraction is shown to lose (named, with evidence of the loss, such as the PDF "
                  "printing what the text lacks); a glyph merely missing from the text is graded by the paper's own "
                  "use (typo), with the extraction noted as possible",
    "convention": "a sign or normalisation against a stated convention that changes nothing used: no formula that "
                  "uses the quantity depends on it (a sign that a formula takes linearly is not a convention)",
}
#: What each verdict means (from :data:`VERDICT_TABLE`).
VERDICT_MEANINGS = {i.verdict.value: i.meaning for i in VERDICT_TABLE}


@dataclass(frozen=True)
class Correction:
    """One declared reading of a printed form that the literal text fails: which keys it changes, its kind,
    the reading in words, the argument for the kind (with the paper's lines as evidence) and, for a
    substantive erratum, what it changes."""

    kind: str
    keys: tuple[str, ...]
    reading: str
    evidence: str
    consequence: str = "nothing downstream: no later formula or number uses the printed form"
    #: The error it corrects, named by the paper's line that prints it ("line 413"): two corrections with the same
    #: error id (in different claims) are one error of the paper, counted once among the distinct errors.
    error: str = ""

    def __post_init__(self):
        if self.kind not in ERRATUM_KINDS:
            raise LedgerError(f"unknown erratum kind {self.kind!r}; choose one of {', '.join(ERRATUM_KINDS)}")
        if not self.keys or not self.reading or not self.evidence:
            raise LedgerError("a correction needs its keys, the reading and the evidence for its kind")
        if not ERROR_ID.fullmatch(self.error):
            raise LedgerError(f"a correction needs its error id, the paper line it fixes ('line 413'), got "
                              f"{self.error!r}")

    def record(self) -> dict:
        return {"kind": self.kind, "keys": list(self.keys), "reading": self.reading, "evidence": self.evidence,
                "consequence": self.consequence, "error": self.error}


#: An error id: the paper's line number (three digits, as the paper numbers its lines), or "Figure 1 caption" (the
#: captions are not numbered), optionally with ": what" where one line holds two errors.
ERROR_ID = re.compile(r"(line \d{3}|Figure \d+ caption)(: .+)?")


def distinct_errors(corrections) -> dict[str, str]:
    """error id -> kind, over ``corrections`` (Correction objects or their records); an error corrected under
    several kinds counts under the most severe."""
    out: dict[str, str] = {}
    for c in corrections:
        kind, err = (c["kind"], c["error"]) if isinstance(c, dict) else (c.kind, c.error)
        if err not in out or ERRATUM_KINDS.index(kind) < ERRATUM_KINDS.index(out[err]):
            out[err] = kind
    return out


def erratum_corrections(claims) -> list:
    """Every correction of the erratum claims among ``claims`` (records or their JSON dicts): the one rule by which
    the reports, the README and the command line find the paper's errors."""
    out = []
    for c in claims:
        verdict, errata = (c["verdict"], c.get("errata", ())) if isinstance(c, dict) else (c.verdict, c.errata)
        if verdict == Verdict.ERRATUM:
            out += list(errata)
    return out


def principal_kind(corrections) -> str | None:
    """The most severe kind among ``corrections`` (None when there are none)."""
    kinds = [c.kind for c in corrections]
    return next((k for k in ERRATUM_KINDS if k in kinds), None)


@dataclass
class Comparison:
    """The result of comparing one printed (implied) form with its derived counterpart."""

    key: str
    symbolic_zero: bool
    numeric_ok: bool
    max_residual: str
    points: int
    note: str = ""

    @property
    def match(self) -> bool:
        return self.numeric_ok

    def record(self) -> dict:
        return {
            "key": self.key,
            "symbolic_zero": self.symbolic_zero,
            "numeric_agreement": self.numeric_ok,
            "max_residual": self.max_residual,
            "points": self.points,
            **({"note": self.note} if self.note else {}),
        }


@dataclass
class Derivation:
    """What a claim derives independently of the printed text."""

    expected: Forms
    evidence: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    #: Sampler for the numeric route: rng -> {symbol: value}, or {symbol: (lo, hi)} ranges; default
    #: samples each free symbol in (0.2, 2) or (-2, 2).
    sampler: Callable[[random.Random], dict] | Mapping | None = None
    #: SymPy simplifier for the symbolic route.
    simplify: Callable[[sp.Expr], sp.Expr] | None = None
    #: Keys whose symbolic route is attempted and required for ``proved`` (None: all keys).  The other
    #: keys are instances of a generic identity proved under a symbolic key, checked numerically only.
    symbolic_keys: frozenset[str] | None = None


@dataclass
class Outcome:
    """What a check returns: the verdict and the method, then everything else by keyword."""

    verdict: Verdict
    method: str
    _: KW_ONLY
    printed: Forms | None = None
    derived: Forms | None = None
    corrected: Forms | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    seconds: float = 0.0
    #: The corrections that turned a failing printed form into an erratum (empty unless ERRATUM).
    errata: tuple = ()
    #: The forms actually compared with the derivation (the printed forms through the claim's ``implied``).
    implied: Forms | None = None

    @property
    def erratum_kind(self) -> str | None:
        return principal_kind(self.errata) if self.verdict is Verdict.ERRATUM else None


# ------------------------------------------------------------------------------------------------
# Comparison: symbolic and numeric routes
# ------------------------------------------------------------------------------------------------

NUMERIC_DPS = 50
NUMERIC_POINTS = 8
NUMERIC_TOL = mp.mpf(10) ** -35


def default_sampler(symbols: Iterable[sp.Symbol], ranges: Mapping[sp.Symbol, tuple] | None = None
                    ) -> Callable[[random.Random], dict]:
    """Random rational points: ``ranges[sym] = (lo, hi)`` where given, else (0.2, 2) for positive symbols
    and (-2, 2) for the others."""
    syms = sorted(set(symbols), key=str)
    ranges = dict(ranges or {})

    def sample(rng: random.Random) -> dict:
        out = {}
        for sym in syms:
            if sym in ranges:
                lo, hi = (sp.nsimplify(v) for v in ranges[sym])
                out[sym] = lo + (hi - lo) * sp.Rational(rng.randint(1, 999), 1000)
            elif sym.is_positive or sym.is_nonnegative:
                out[sym] = sp.Rational(rng.randint(200, 2000), 1000)
            else:
                out[sym] = sp.Rational(rng.randint(-2000, 2000), 1000)
        return out

    return sample


def _evaluate(expr: sp.Expr, subs: dict):
    """expr at the point ``subs``, as an mpmath number at NUMERIC_DPS digits (None where undefined).

    Cached per (expression, point): the sample points are seeded, so a derived form is evaluated once for the
    printed form, the corrected form and every perturbed form compared with it."""
    try:
        return _evaluate_cached(expr, tuple(sorted(subs.items(), key=lambda kv: str(kv[0]))))
    except TypeError:  # an unhashable expression or value: evaluate without the cache
        return _evaluate_at(expr, subs)


@lru_cache(maxsize=8192)
def _evaluate_cached(expr: sp.Expr, point: tuple):
    return _evaluate_at(expr, dict(point))


#: Objects with bound variables, where only ``subs`` knows which symbols are free.
_BINDING = (sp.Integral, sp.Derivative, sp.Subs, sp.Lambda, sp.Sum, sp.Product)


def _evaluate_at(expr: sp.Expr, subs: dict):
    # xreplace: the same exact value as subs for symbols -> numbers, without subs' matching (a third of a claim's
    # time on the forms of Section 5); subs where a bound variable could be hit
    try:
        val = sp.N(expr.subs(subs) if expr.has(*_BINDING) else expr.xreplace(subs), NUMERIC_DPS)
    except (ZeroDivisionError, ValueError, TypeError, OverflowError):
        return None
    if val.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not val.is_number:
        return None
    re, im = val.as_real_imag()
    try:
        return mp.mpc(mp.mpf(sp.Float(re, NUMERIC_DPS)._mpf_), mp.mpf(sp.Float(im, NUMERIC_DPS)._mpf_))
    except (TypeError, AttributeError):
        return None


def compare(key: str, candidate: sp.Expr, expected: sp.Expr, *, sampler=None, simplify=None,
            seed: int = 20260101) -> Comparison:
    """Compare ``candidate`` with ``expected`` by both routes."""
    candidate, expected = sp.sympify(candidate), sp.sympify(expected)
    diff = candidate - expected
    free = candidate.free_symbols | expected.free_symbols
    if sampler is None:
        sampler = default_sampler(free)
    elif isinstance(sampler, Mapping):
        sampler = default_sampler(free, sampler)
    rng = random.Random(seed)
    worst, points, ok, note = mp.mpf(0), 0, True, ""
    with mp.workdps(NUMERIC_DPS):
        for _ in range(NUMERIC_POINTS * 4):
            if points >= NUMERIC_POINTS:
                break
            subs = sampler(rng)
            a, b = _evaluate(candidate, subs), _evaluate(expected, subs)
            if b is None:
                continue
            if a is None:
                ok, note = False, f"printed form undefined at {subs}"
                break
            points += 1
            res = abs(a - b) / (1 + abs(b))
            worst = max(worst, res)
            if res > NUMERIC_TOL:
                ok = False
        if points == 0:
            ok, note = False, "no sample point where the derived form is defined"
    symbolic_zero = False
    if ok:  # only spend SymPy time where the numbers already agree
        simp = simplify or _default_simplify
        try:
            symbolic_zero = simp(diff) == 0
        except Exception as exc:  # pragma: no cover - SymPy internals
            note = f"simplify raised {type(exc).__name__}"
    return Comparison(key, bool(symbolic_zero), ok, mp.nstr(worst, 3), points, note)


#: Expressions larger than this (in count_ops) skip SymPy's general ``simplify``, which can run for minutes;
#: the cheap rewrites still run, and a form they cannot reduce is ``confirmed`` (numeric route), not proved.
from derivations.budget import SIMPLIFY_OPS_LIMIT  # noqa: E402  (one limit for the ledger and derivations/)


def _default_simplify(expr: sp.Expr) -> sp.Expr:
    """Cheap rewrites first (logs expanded with force: every symbol here is a real schedule value), then
    SymPy's simplify for small expressions; the first step that reaches 0 wins."""
    cheap = (sp.expand, sp.cancel,
             lambda e: sp.expand(sp.expand_log(e, force=True)),
             lambda e: sp.cancel(sp.powsimp(sp.expand_log(e, force=True), force=True)),
             lambda e: sp.expand(sp.expand_log(e.replace(sp.tan, lambda a: sp.sin(a) / sp.cos(a)), force=True)))
    for step in cheap:
        expr = step(expr)
        if expr == 0:
            return expr
    if sp.count_ops(expr) <= SIMPLIFY_OPS_LIMIT:
        expr = sp.simplify(expr)
    return expr


def compare_key(key: str, candidate: sp.Expr, expected: sp.Expr, derivation: Derivation) -> Comparison:
    """Compare one key with the derivation's sampler and simplifier; keys outside ``symbolic_keys`` get
    the numeric route only."""
    symbolic = derivation.symbolic_keys is None or key in derivation.symbolic_keys
    return compare(key, candidate, expected, sampler=derivation.sampler,
                   simplify=derivation.simplify if symbolic else (lambda e: e))


# ------------------------------------------------------------------------------------------------
# Claims
# ------------------------------------------------------------------------------------------------


@dataclass
class Claim:
    """One ledger entry.  ``evaluate`` is the check; the defaults implement the symbolic comparison.

    ``printed`` returns the literal printed forms (the paper's LaTeX read by :mod:`verify.reading`, or a hand
    transcription where the parser cannot read it); ``sources`` maps each printed key to the id(s) of the
    verbatim text in :mod:`verify.paper_text`.  ``corrected`` returns the forms with every declared reading of
    ``corrections`` applied."""

    id: str
    section: str
    _: KW_ONLY
    title: str
    equations: tuple[int, ...]
    method: str
    printed: Callable[[], Forms]
    derive: Callable[[], Derivation] | None = None
    implied: Callable[[Forms], Forms] | None = None
    corrected: Callable[[], Forms] | None = None
    erratum_reason: str = ""
    #: A fully custom check (numerical claims): (printed_forms) -> Outcome.
    custom: Callable[[Forms], Outcome] | None = None
    timeout: float = 60.0
    #: Keys of the printed forms that the mutation test may perturb (default: all).
    mutable_keys: tuple[str, ...] | None = None
    #: The declared readings behind ``corrected`` (required when ``corrected`` is given).
    corrections: tuple[Correction, ...] = ()
    #: printed key -> paper-text id, or a tuple of ids (see verify.paper_text).
    sources: Mapping[str, Any] = field(default_factory=dict)
    #: The registry entries a per-entry check covers: () -> {"schedules": [...], "parameterizations": [...],
    #: "rates": [...], "pairs": [...]} (evaluated when the claim runs, after any schedule file is loaded).
    covers: Callable[[], dict] | None = None
    #: An empirical reproduction on an analog (Section 6's Table 1): its check decides each printed statement as
    #: reproduced, contradicted or unresolved at the run's precision; the verdict is ``confirmed``, ``failed`` (a
    #: statement contradicted) or ``inconclusive`` (none contradicted, some unresolved).  Recorded in the reports.
    empirical: bool = False
    #: The reading a numerical check's verdict rests on, fixed before the run (a check that evaluates several readings
    #: of a statement reports the others as a sensitivity table; see :func:`guard_searched_confirmation`).
    declared_reading: Mapping[str, Any] | None = None
    #: What the run's tier changes in this check: {"quick"|"default"|"full": {setting: value}} (samples, ladder,
    #: digits); a tier it does not name runs the default tier's settings (see verify.tiers).
    tiers: Mapping[str, Mapping[str, Any]] | None = None

    def __post_init__(self):
        from .paper_text import NUMBERED_EQUATIONS

        if not set(self.equations) <= set(NUMBERED_EQUATIONS):
            raise LedgerError(f"claim {self.id}: equations {sorted(set(self.equations) - set(NUMBERED_EQUATIONS))} "
                              f"are not among the paper's numbered equations (1)-({NUMBERED_EQUATIONS[-1]})")
        if self.method not in METHODS:
            raise LedgerError(f"claim {self.id}: unknown method {self.method!r}")
        if (self.corrected is None) != (not self.corrections):
            raise LedgerError(f"claim {self.id}: a corrected form needs its declared corrections, and vice versa")
        if self.tiers is not None:
            from .tiers import TIERS

            unknown = sorted(set(self.tiers) - set(TIERS))
            if unknown:
                raise LedgerError(f"claim {self.id}: its tier table names unknown tiers {unknown}; tiers are "
                                  f"{', '.join(TIERS)}")

    def setting(self, name: str) -> Any:
        """What the run's tier gives this claim's setting ``name`` (its ``tiers`` table; see verify.tiers)."""
        from .tiers import setting

        return setting(self.tiers, name)

    def tier_skip(self) -> "Outcome | None":
        """``skipped`` when the run's tier does not run this check (its table's ``"run": False``, with ``"why"``:
        a check whose criterion is calibrated at a larger sample than the tier affords), else None."""
        from .tiers import current, deciding_tier, settings

        values = settings(self.tiers)
        if values.get("run", True):
            return None
        why = values.get("why", "its tier table does not run it in this tier")
        return Outcome(Verdict.SKIPPED, self.method, evidence={"tier": current(), "not run in this tier": why,
                                                               "would decide": deciding_tier()},
                       notes=f"not run in the {current()} tier: {why}; {deciding_tier()} runs it")

    @property
    def erratum_kind(self) -> str | None:
        """The kind the claim's erratum has when its corrections are needed (the most severe one)."""
        return principal_kind(self.corrections)

    # The derivation is independent of the printed form, so it is computed once per process; and a
    # comparison is a pure function of (key, implied form), so it is memoised (the mutation tests
    # re-check the unperturbed keys many times).
    # A claim with a tier table may derive differently per tier (its evidence): the memo is per tier.
    _derivation_cache: Derivation | None = field(default=None, repr=False, compare=False)
    _comparison_cache: dict = field(default_factory=dict, repr=False, compare=False)
    _derivation_tier: str | None = field(default=None, repr=False, compare=False)

    def reset_cache(self) -> None:
        """Forget the memoised derivation and comparisons (after the registry changed)."""
        self._derivation_cache = None
        self._comparison_cache.clear()

    def derivation(self) -> Derivation:
        from .tiers import current

        tier = current() if self.tiers else None
        if self._derivation_cache is None or tier != self._derivation_tier:
            self.reset_cache()
            step("the derivation")
            self._derivation_cache = self.derive()
            self._derivation_tier = tier
        return self._derivation_cache

    def judge(self, forms: Forms) -> tuple[bool, bool, list[Comparison], Forms]:
        """(all match, all symbolic, comparisons, implied forms) for candidate printed ``forms``."""
        der = self.derivation()
        implied = self.implied(forms) if self.implied else forms
        missing = set(der.expected) - set(implied)
        if missing:
            raise LedgerError(f"claim {self.id}: printed forms lack keys {sorted(missing)}")
        comps = []
        for key in der.expected:
            memo = (key, sp.srepr(sp.sympify(implied[key])))
            if memo not in self._comparison_cache:
                step(f"comparing {key!r}")
                self._comparison_cache[memo] = compare_key(key, implied[key], der.expected[key], der)
            comps.append(self._comparison_cache[memo])
        keys = der.symbolic_keys
        symbolic = all(c.symbolic_zero for c in comps if keys is None or c.key in keys)
        return all(c.match for c in comps), symbolic, comps, implied

    def evaluate(self, forms: Forms | None = None, *, allow_erratum: bool = True) -> Outcome:
        """Check the printed forms (or the given candidate forms): the literal forms first, then, if they
        fail and the claim declares corrections, the corrected forms (verdict ``erratum``)."""
        forms = self.printed() if forms is None else forms
        if self.custom is not None:
            return self._evaluate_custom(forms, allow_erratum)
        der = self.derivation()
        ok, symbolic, comps, implied = self.judge(forms)
        implied = implied if self.implied else None
        evidence = dict(der.evidence)
        evidence["comparisons"] = [c.record() for c in comps]
        if ok:
            verdict = Verdict.PROVED if symbolic else Verdict.CONFIRMED
            return Outcome(verdict, self.method, printed=forms, derived=der.expected, corrected=None, evidence=evidence, notes=der.notes, implied=implied)
        if allow_erratum and self.corrected is not None:
            fixed = self.corrected()
            c_ok, c_sym, c_comps, _ = self.judge(fixed)
            evidence["corrected_comparisons"] = [c.record() for c in c_comps]
            evidence["corrected_proof"] = "symbolic" if c_sym else "numeric (50 digits)"
            if c_ok:
                return Outcome(Verdict.ERRATUM, self.method, printed=forms, derived=der.expected, corrected=fixed, evidence=evidence,
                               notes=self._erratum_notes(der.notes), errata=self.corrections, implied=implied)
        bad = [c for c in comps if not c.match]
        return Outcome(Verdict.FAILED, self.method, printed=forms, derived=der.expected, corrected=None, evidence=evidence,
                       notes="printed form disagrees with the derivation at: " + ", ".join(
                           f"{c.key} ({c.note or f'relative residual {c.max_residual} at 50 digits'}, limit "
                           f"{float(NUMERIC_TOL):.0e})" for c in bad), implied=implied)

    def _erratum_notes(self, extra: str = "") -> str:
        return " ".join(x for x in (self.erratum_reason, extra) if x).strip()

    def _evaluate_custom(self, forms: Forms, allow_erratum: bool) -> Outcome:
        """A numerical check on the literal forms; if it fails and the claim declares corrections, the same
        check on the corrected forms decides between ``erratum`` and ``failed``."""
        out = guard_searched_confirmation(self, self.custom(forms))
        if out.verdict is not Verdict.FAILED or not allow_erratum or self.corrected is None:
            return out
        fixed = self.corrected()
        again = guard_searched_confirmation(self, self.custom(fixed))
        evidence = {"printed_forms_check": out.evidence, "corrected_forms_check": again.evidence,
                    "printed_forms_verdict": out.verdict.value, "corrected_forms_verdict": again.verdict.value}
        if again.verdict in ACCEPTING:
            evidence["corrected_proof"] = f"{again.method} ({again.verdict.value})"
            return Outcome(Verdict.ERRATUM, out.method, printed=forms, derived=again.derived, corrected=fixed, evidence=evidence,
                           notes=self._erratum_notes(again.notes), errata=self.corrections)
        return Outcome(Verdict.FAILED, out.method, printed=forms, evidence=evidence,
                       notes=f"{out.notes} The corrected forms fail too: {again.notes}")

    def accepted_forms(self) -> Forms:
        """The forms the ledger accepts: the printed ones, or the corrected ones for an erratum."""
        return self.corrected() if self.corrected is not None else self.printed()


#: Evidence keys of a check that evaluated several readings of a statement: the reading its verdict rests on, and
#: the others (reported, never chosen from).
VERDICT_BASIS, SENSITIVITY = "verdict basis", "sensitivity (not used for the verdict)"


def guard_searched_confirmation(claim: Claim, out: Outcome) -> Outcome:
    """No confirmation by choosing, after the run, among readings.

    A check that evaluates more than one reading of a statement must put the others under :data:`SENSITIVITY` and
    say under :data:`VERDICT_BASIS` which reading its verdict rests on (``{"reading": ..., "holds": bool}``).  An
    accepting verdict stands only when that reading is the claim's ``declared_reading`` (fixed in the code before
    the run) and it holds there; otherwise the outcome is ``failed``, naming the problem."""
    ev = out.evidence if isinstance(out.evidence, dict) else {}
    if out.verdict not in ACCEPTING or (SENSITIVITY not in ev and VERDICT_BASIS not in ev):
        return out
    basis = ev.get(VERDICT_BASIS) or {}
    if claim.declared_reading is None:
        why = "the claim declares no reading, yet its check evaluated several"
    elif basis.get("reading") != dict(claim.declared_reading):
        why = f"its verdict rests on {basis.get('reading')!r}, not on the declared reading {dict(claim.declared_reading)!r}"
    elif basis.get("holds") is not True:
        why = "the declared reading does not hold"
    else:
        return out
    return Outcome(Verdict.FAILED, out.method, printed=out.printed, derived=out.derived, corrected=out.corrected,
                   evidence={**ev, "searched confirmation rejected": why},
                   notes=f"a {out.verdict.value} verdict chosen among readings after the run is rejected: {why}",
                   implied=out.implied)


CLAIMS: dict[str, Claim] = {}


def register(claim: Claim) -> Claim:
    if claim.id in CLAIMS:
        raise LedgerError(f"claim {claim.id!r} is registered twice")
    CLAIMS[claim.id] = claim
    return claim


def select(patterns: Iterable[str] | None) -> list[Claim]:
    """Claims whose id matches any of ``patterns`` (exact id or glob); all claims if None."""
    if not patterns:
        return list(CLAIMS.values())
    chosen: list[Claim] = []
    for pat in patterns:
        # an exact id wins, so an id with glob characters (a schedule named 'SD[v2]') can be chosen
        hits = [CLAIMS[pat]] if pat in CLAIMS else [c for c in CLAIMS.values() if fnmatch.fnmatchcase(c.id, pat)]
        if not hits:
            raise LedgerError(f"no claim matches {pat!r} (see --list for the ids)")
        chosen += [c for c in hits if c not in chosen]
    return chosen


# ------------------------------------------------------------------------------------------------
# Perturbations, for the "every check can fail" tests
# ------------------------------------------------------------------------------------------------


def perturbations(expr: sp.Expr) -> dict[str, sp.Expr]:
    """Perturbed copies of ``expr``: sign flip, scale by 2, and a swap of two of its symbols (when any)."""
    expr = sp.sympify(expr)
    out = {"flip sign": -expr, "scale by 2": 2 * expr}
    syms = sorted(expr.free_symbols, key=str)
    for a, b in zip(syms, syms[1:]):
        swapped = expr.xreplace({a: b, b: a})
        if sp.simplify(swapped - expr) != 0:
            out[f"swap {a} <-> {b}"] = swapped
            break
    if expr == 0:
        out = {"replace 0 by 1": sp.Integer(1)}
    return out


# ------------------------------------------------------------------------------------------------
# Running one claim safely
# ------------------------------------------------------------------------------------------------


#: What the running check is working on (see :func:`step`); ``shared`` is a buffer the runner's parent process
#: reads when a worker times out.
_STEP: dict = {"text": "", "shared": None}


def step(text: str) -> None:
    """Say what the running check is working on now (an entry, a key, a phase): a time-out or an exception
    names it, so a failure says which entry it concerned.  Cheap; call it at the top of per-entry loops."""
    _STEP["text"] = text
    buf = _STEP["shared"]
    if buf is not None:
        data = text.encode("utf-8", "replace")[: len(buf) - 1]
        buf.value = data


def current_step() -> str:
    return _STEP["text"]


def run_claim(claim: Claim) -> Outcome:
    """Evaluate one claim in this process; an exception becomes a ``failed`` outcome with the reason."""
    start = time.perf_counter()
    step("")
    try:
        skip = claim.tier_skip()
        out = claim.evaluate() if skip is None else skip
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        where = current_step()
        message = f"{type(exc).__name__}: {exc}".rstrip(": ") if str(exc) else type(exc).__name__
        out = Outcome(Verdict.FAILED, claim.method, printed=None,
                      evidence={"exception": f"{type(exc).__name__}: {exc}", "where": f"{tb.filename}:{tb.lineno}",
                       **({"while": where} if where else {})},
                      notes=f"the check raised {message}" + (f" while on {where}" if where else ""))
    out.seconds = time.perf_counter() - start
    return out
