r"""Reading the paper's printed LaTeX into SymPy: a documented lexical normalisation, then SymPy's own parser.

A claim's printed form is the paper's literal text.  This module turns the verbatim LaTeX of a formula (as it
stands in the text extraction of the paper) into a SymPy expression in two steps:

1. **Normalisation** (lexical only, the rules of :data:`RULES`, each tested): every symbol of the paper
   (an accent, a Greek or Latin base, primes, a subscript, a label such as the N of w^N) becomes one
   placeholder; juxtaposition becomes an explicit ``\cdot``; a function's argument is delimited; ``\left`` and
   ``\right`` are dropped.  Nothing about the *meaning* of a formula is decided here, except by the rules on
   accents (the extraction renders the ring accent as a dot or a hat: a declared, uniform reading).
2. **Parsing** with :func:`sympy.parsing.latex.parse_latex`, backend ``"lark"`` (pure Python, no Java): it
   decides precedence, fractions, roots and powers.  An ambiguous parse (SymPy's Earley parser may return
   several trees) is accepted only when every alternative is the same expression; otherwise
   :class:`ReadingError`.

Placeholders are then replaced by the claim's symbols through a *namespace* (canonical name -> SymPy
expression).  A symbol the namespace does not know raises :class:`ReadingError` naming it: nothing becomes a
stray free symbol by accident.

Canonical names: ``[accent:]base[']*[_sub][^label]`` with the accent read by the rules below, for example
``ring:rho_t`` (the extraction's ``\dot{\rho}_t``), ``ring:lambda'_t``, ``hat:X_s``, ``check:lambda'_t``,
``rho_s``, ``t_max``, ``gamma_st``, ``lambda'_tau`` (a subscript of letters or digits, Greek names without
their backslash), ``lambda'_{c,t}`` (braces kept for any other subscript), ``w_s^N``, ``xi_s^*``, ``Delta t``,
``(log r_t)'``, ``chi^2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

#: The normalisation rules, in words (the README and the Markdown report print them).
RULES = (
    ("ring accent", r"\dot, \hat or \mathring over rho, lambda, beta or eta is the paper's ring accent "
                    r"(ring-rho, ring-lambda, ...): the text extraction renders the ring as a dot or a hat "
                    r"(a declared reading; a ring lost entirely is not restored: the literal form keeps the "
                    r"plain symbol and the claim grades the difference as an extraction erratum)"),
    ("real hats", r"\hat over X, epsilon, Y, u, v, mu, p, L, M is a real hat (an estimate made with the denoiser)"),
    ("other accents", r"\check is the MSE-diffusion's check accent; \bar and \tilde are kept as accents"),
    ("primes", r"a prime written after the subscript (\lambda_t') is the same derivative as \lambda'_t"),
    ("labels", r"the N of w^N and p^N and the * of xi^* are labels of the symbol, not powers"),
    ("step", r"\Delta t and \Delta\tau are the grid step symbols"),
    ("derivative of a log", r"(\log r_t)' is one symbol, the derivative of log r at t"),
    ("chi-square", r"\chi^2(a, b) is one symbol, defined by (24)"),
    ("indicator", r"\mathbf{1}(j = k) is one symbol: 1 for the same coordinate, 0 for two different ones"),
    ("norms", r"a norm \|v\| is read per coordinate, as (v): the squared norm of one coordinate is its square"),
    ("normal quantile", r"\Phi^{-1}(x) is the standard normal quantile sqrt(2) erfinv(2x - 1)"),
    ("applications", r"an estimator (a hatted symbol) or w^N followed by a parenthesised argument is read as "
                     r"its value; the argument is recorded with the reading"),
    ("juxtaposition", r"juxtaposed factors are multiplied (an explicit \cdot is inserted); \cdot and \times "
                      r"are products; square brackets are parentheses; \left, \right and \big, \Big, ... are dropped"),
    ("function arguments", r"\log, \exp, \sin, \cos, \tan take the factor that follows them (a parenthesised "
                           r"group, a fraction, a number or a symbol) as their argument"),
    ("decimals", "decimal literals (0.4) are read exactly, as rationals (2/5)"),
)

RING_BASES = {"rho", "lambda", "beta", "eta"}
HAT_BASES = {"X", "epsilon", "Y", "u", "v", "mu", "p", "L", "M"}
LABELLED = {("w", "N"), ("p", "N"), ("xi", "*")}

_GREEK = ("alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|kappa|lambda|mu|nu|xi|rho|sigma|tau|phi|chi|"
          "psi|omega|pi")
_BASE = rf"\\(?:{_GREEK})(?![A-Za-z])|[A-Za-z]"
_BRACED = r"\{(?:[^{}]|\{[^{}]*\})*\}"
_SYMBOL = re.compile(
    rf"(?:\\(?P<acc>dot|hat|mathring|check|bar|tilde)\{{(?P<abase>{_BASE})\}}|(?P<base>{_BASE}))"
    rf"(?P<p1>'*)(?:_(?P<sub>{_BRACED}|[A-Za-z0-9+\-]|\\[A-Za-z]+))?(?P<p2>'*)"
    rf"(?:\^(?P<sup>\{{[N*]\}}|[N*]))?")
_FUNCS = ("log", "ln", "exp", "sin", "cos", "tan")


class ReadingError(ValueError):
    """The printed LaTeX could not be read (unsupported construct, ambiguity, or an unknown symbol)."""


@dataclass(frozen=True)
class Reading:
    """The parsed expression (with placeholders), the placeholder map and the recorded applications."""

    expr: sp.Expr
    names: dict = field(default_factory=dict)  # placeholder Symbol -> canonical name
    applications: tuple = ()                    # (canonical name of the function, its argument's LaTeX)
    normalised: str = ""
    quantile_args: dict = field(default_factory=dict)  # "Phiinv(...)" canonical name -> argument Reading


# ------------------------------------------------------------------------------------------------
# Tokens
# ------------------------------------------------------------------------------------------------


def canonical(acc: str | None, base: str, primes: int, sub: str | None, label: str | None) -> str:
    """The canonical name of one symbol occurrence, with the accent read by :data:`RULES`."""
    base = base.lstrip("\\")
    if base == "varepsilon":
        base = "epsilon"
    prefix = ""
    if acc in ("dot", "hat", "mathring") and base in RING_BASES:
        prefix = "ring:"
    elif acc == "hat":
        prefix = "hat:"
    elif acc:
        prefix = f"{acc}:"
    name = prefix + base + "'" * primes
    if sub:
        inner = sub[1:-1].strip() if sub.startswith("{") else sub
        inner = re.sub(r"\s+", " ", re.sub(r"\\([A-Za-z]+)", r"\1", inner)).strip()
        name += f"_{inner}" if re.fullmatch(r"[A-Za-z0-9]+|[+-]", inner) else f"_{{{inner}}}"
    if label:
        name += "^" + label.strip("{}")
    return name


def _is_function_symbol(name: str) -> bool:
    """An estimator (hat), w^N, p^N or mu_s: followed by a parenthesised argument, it is applied to it."""
    return name.startswith("hat:") or name.endswith("^N") or name.split("_")[0] in ("mu", "p")


def _matching(text: str, j: int) -> int:
    """Index of the parenthesis closing the one at ``j``."""
    depth = 0
    for k in range(j, len(text)):
        depth += {"(": 1, ")": -1}.get(text[k], 0)
        if depth == 0:
            return k
    raise ReadingError(f"unbalanced parenthesis in {text!r}")


#: Fixed tokens: (pattern, token or None to skip, or a function of the match giving the token).
_FIXED = tuple((re.compile(p), tok) for p, tok in (
    (r"\s+|\\(?:left|right|[Bb]igg?|,|;|!|quad|qquad|displaystyle)(?![A-Za-z])", None),
    (r"\\Delta\s*(t|\\tau)(?![A-Za-z])", lambda m: ("sym", "Delta t" if m.group(1) == "t" else "Delta tau")),
    (r"\\mathbf\{1\}\(\s*j\s*=\s*k\s*\)", ("sym", "1(j=k)")),  # rule "indicator"
    (r"\\Phi\^\{-1\}", ("func", "Phiinv")),                    # rule "normal quantile"
    (r"\\(?:cdot|times)(?![A-Za-z])", ("op", "*")),
    (r"\\(log|ln|exp|sin|cos|tan)(?![A-Za-z])", lambda m: ("func", m.group(1))),
    (r"\\(?:frac|dfrac|tfrac)(?![A-Za-z])", ("frac", "")),
    (r"\\sqrt(?![A-Za-z])", ("sqrt", "")),
    (r"\d+(?:\.\d+)?", lambda m: ("num", m.group(0))),
    (r"[+\-/=*]", lambda m: ("op", m.group(0))),
    (r"[(\[]", ("open", "(")), (r"[)\]]", ("close", ")")),       # rule "juxtaposition": brackets are parentheses
    (r"\{", ("lbrace", "{")), (r"\}", ("rbrace", "}")), (r"\^", ("pow", "^")), (r"'", ("prime", "'")),
))


def _symbol_token(text: str, i: int, m: re.Match, out: list) -> int:
    """Append the symbol matched at ``i`` (and its argument, rule "applications"); return the next index."""
    base = m.group("abase") or m.group("base")
    sup = m.group("sup")
    label = sup.strip("{}") if sup else None
    if label and (base.lstrip("\\"), label) not in LABELLED:  # not a label: the power rule reads it
        end, label = m.start("sup") - 1, None
    else:
        end = m.end()
    primes = len(m.group("p1") or "") + len(m.group("p2") or "")
    name = canonical(m.group("acc"), base, primes, m.group("sub"), label)
    out.append(("sym", name))
    i += end
    if _is_function_symbol(name) and text[i:].lstrip().startswith("("):
        j = text.index("(", i)
        k = _matching(text, j)
        out.append(("app", text[j + 1:k].strip()))
        i = k + 1
    return i


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, value) tokens; kinds: sym, app (a function symbol's argument), num, func, frac, sqrt, op, open,
    close, pow, prime, lbrace, rbrace."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    norm_open = False
    while i < n:
        rest = text[i:]
        if rest.startswith(r"\chi^2"):  # rule "chi-square": its arguments are part of the symbol
            out.append(("sym", "chi^2"))
            i += len(r"\chi^2")
            if text[i:].lstrip().startswith("("):
                i = _matching(text, text.index("(", i)) + 1
            continue
        if rest.startswith("\\|"):  # rule "norms": read per coordinate, as parentheses
            out.append(("close", ")") if norm_open else ("open", "("))
            norm_open, i = not norm_open, i + 2
            continue
        m = _SYMBOL.match(rest)
        if m and (m.group("abase") or m.group("base")) and not re.match(r"\\(?:frac|sqrt|log|ln|exp|sin|cos|tan)"
                                                                        r"(?![A-Za-z])", rest):
            i = _symbol_token(text, i, m, out)
            continue
        for pattern, tok in _FIXED:
            m = pattern.match(rest)
            if m:
                if tok is not None:
                    out.append(tok(m) if callable(tok) else tok)
                i += m.end()
                break
        else:
            raise ReadingError(f"unsupported LaTeX at {rest[:25]!r}")
    return out


# ------------------------------------------------------------------------------------------------
# A small tree of atoms, re-emitted in the subset SymPy's lark grammar reads without ambiguity
# ------------------------------------------------------------------------------------------------


class _Stream:
    def __init__(self, toks):
        self.toks, self.i = toks, 0

    def peek(self, k=0):
        return self.toks[self.i + k] if self.i + k < len(self.toks) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok


def _parse_seq(st: _Stream, stop: str | None) -> list:
    """Items until the closing token ``stop`` (consumed) or the end."""
    items: list = []
    while True:
        kind, val = st.peek()
        if kind is None:
            if stop is not None:
                raise ReadingError(f"unbalanced: missing {stop!r}")
            return items
        if kind == stop:
            st.take()
            return items
        if kind in ("close", "rbrace"):
            raise ReadingError(f"unbalanced {val!r}")
        if kind == "op":
            st.take()
            items.append(("op", val))
            continue
        atom = _parse_atom(st)
        while st.peek()[0] in ("pow", "prime"):
            k, _ = st.take()
            if k == "prime":
                atom = _derivative(atom)
            else:
                atom = ("pow", atom, _parse_exponent(st))
        items.append(atom)


def _derivative(atom):
    """(\\log X)' with X one symbol: the symbol ``(log X)'`` (rule "derivative of a log")."""
    if atom[0] == "group" and len(atom[1]) == 1 and atom[1][0][0] == "func" and atom[1][0][1] in ("log", "ln") \
            and atom[1][0][2][0] == "sym":
        return ("sym", f"(log {atom[1][0][2][1]})'")
    raise ReadingError("a prime on an expression other than (\\log X)' is not supported")


def _parse_exponent(st: _Stream) -> list:
    kind, val = st.take()
    if kind == "lbrace":
        return _parse_seq(st, "rbrace")
    if kind in ("num", "sym"):
        if kind == "num" and len(val) > 1 and "." not in val:  # ^23 means ^{2}3 in TeX
            raise ReadingError("multi-digit exponent without braces")
        return [(kind, val)]
    if kind == "op" and val == "-":
        return [("op", "-")] + [st.take()]
    raise ReadingError(f"unsupported exponent {val!r}")


def _parse_atom(st: _Stream):
    kind, val = st.take()
    if kind == "sym":
        if st.peek()[0] == "app":  # the value of a function symbol at its (recorded) argument
            return ("sym", val, st.take()[1])
        return ("sym", val)
    if kind == "num":
        return ("num", val)
    if kind == "open":
        return ("group", _parse_seq(st, "close"))
    if kind == "lbrace":
        return ("group", _parse_seq(st, "rbrace"))
    if kind == "frac":
        a = _braced(st)
        b = _braced(st)
        return ("frac", a, b)
    if kind == "sqrt":
        return ("sqrt", _braced(st))
    if kind == "func":
        if st.peek()[0] is None:
            raise ReadingError(f"\\{val} without an argument")
        return ("func", val, _parse_atom(st))
    raise ReadingError(f"unexpected {val!r}")


def _braced(st: _Stream) -> list:
    kind, val = st.take()
    if kind == "lbrace":
        return _parse_seq(st, "rbrace")
    if kind in ("num", "sym"):
        return [(kind, val)]
    raise ReadingError(f"expected a braced argument, got {val!r}")


class _Emitter:
    def __init__(self):
        self.names: dict[str, str] = {}   # placeholder name -> canonical name
        self.apps: list = []

    def placeholder(self, canon: str) -> str:
        for ph, c in self.names.items():
            if c == canon:
                return f"Q_{{{ph}}}"
        k = len(self.names)
        letters = "abcdefghijklmnopqrstuvwxyz"
        ph = letters[k % 26] * (1 + k // 26)
        self.names[ph] = canon
        return f"Q_{{{ph}}}"

    def atom(self, a) -> str:
        kind = a[0]
        if kind == "sym":
            if len(a) == 3:
                self.apps.append((a[1], a[2]))
            if a[1] == "pi":
                return r"(Q_{pi})"
            return self.placeholder(a[1])
        if kind == "num":
            return a[1]
        if kind == "group":
            return "(" + self.seq(a[1]) + ")"
        if kind == "frac":
            return r"\frac{" + self.seq(a[1]) + "}{" + self.seq(a[2]) + "}"
        if kind == "sqrt":
            return r"\sqrt{" + self.seq(a[1]) + "}"
        if kind == "pow":
            return self.atom(a[1]) + "^{" + self.seq(a[2]) + "}"
        if kind == "func":
            arg = a[2]
            inner = self.seq(arg[1]) if arg[0] == "group" else self.atom(arg)
            if a[1] == "Phiinv":
                ph = self.placeholder(f"Phiinv({inner})")
                return f"({ph})"
            return rf"(\{a[1]}({inner}))"
        raise ReadingError(f"cannot emit {kind}")

    def seq(self, items) -> str:
        out, prev_atom = [], False
        for it in items:
            if it[0] == "op":
                out.append({"*": r"\cdot"}.get(it[1], it[1]))
                prev_atom = False
                continue
            if prev_atom:
                out.append(r"\cdot")
            out.append(self.atom(it))
            prev_atom = True
        return " ".join(out)


def normalise(latex: str) -> tuple[str, dict, list]:
    """(LaTeX in the subset SymPy's lark grammar reads, placeholder -> canonical name, applications)."""
    st = _Stream(_tokens(latex))
    items = _parse_seq(st, None)
    em = _Emitter()
    text = em.seq(items)
    return text, dict(em.names), list(em.apps)


@lru_cache(maxsize=None)
def _parse(normalised: str):
    from sympy.parsing.latex import parse_latex

    try:
        result = parse_latex(normalised, backend="lark")
    except Exception as exc:  # lark's exceptions: a grammar gap is a reading error with the reason
        raise ReadingError(f"SymPy's LaTeX parser cannot read {normalised!r} ({type(exc).__name__})") from None
    if not isinstance(result, sp.Basic):  # a lark Tree: '_ambig' with several readings
        alternatives = [c for c in getattr(result, "children", []) if isinstance(c, sp.Basic)]
        if not alternatives or len(alternatives) != len(getattr(result, "children", [])):
            raise ReadingError(f"SymPy's LaTeX parser returned no expression for {normalised!r}")
        first = alternatives[0]
        if any(sp.simplify(first - other) != 0 for other in alternatives[1:]):
            raise ReadingError(f"ambiguous: {len(alternatives)} different readings of {normalised!r}")
        result = first
    return result


def _exact(expr: sp.Expr) -> sp.Expr:
    """Decimal literals as exact rationals (0.4 -> 2/5)."""
    return expr.xreplace({f: sp.Rational(str(sp.Float(f, 15))) for f in expr.atoms(sp.Float)})


def _reading(text: str, names: dict, apps=()) -> Reading:
    """Parse normalised ``text`` and map its placeholder symbols back to canonical names."""
    expr = _exact(_parse(text))
    by_symbol, quantiles = {}, {}
    for sym in expr.free_symbols:
        m = re.fullmatch(r"Q_\{([a-z]+)\}", sym.name)
        if not m:
            raise ReadingError(f"unexpected symbol {sym.name!r} in the parse of {text!r}")
        canon = "pi" if m.group(1) == "pi" else names[m.group(1)]
        by_symbol[sym] = canon
        if canon.startswith("Phiinv("):
            quantiles[canon] = _reading(canon[len("Phiinv("):-1], names)
    return Reading(expr, by_symbol, tuple(apps), text, quantiles)


@lru_cache(maxsize=None)
def read(latex: str) -> Reading:
    """The Reading of ``latex`` (placeholders not yet replaced by the claim's symbols)."""
    text, names, apps = normalise(latex)
    return _reading(text, names, apps)


def substitute(reading: Reading, namespace: dict) -> sp.Expr:
    """Replace the placeholders by the namespace's SymPy expressions (``pi`` is sympy.pi unless given)."""
    ns = {"pi": sp.pi, **namespace}
    missing = sorted({c for c in reading.names.values() if c not in ns and not c.startswith("Phiinv(")})
    if missing:
        raise ReadingError(f"symbols not in the namespace: {', '.join(missing)}")
    repl = {}
    for ph, canon in reading.names.items():
        if canon.startswith("Phiinv("):  # rule "normal quantile"
            repl[ph] = sp.sqrt(2) * sp.erfinv(2 * substitute(reading.quantile_args[canon], ns) - 1)
        else:
            repl[ph] = sp.sympify(ns[canon])
    return reading.expr.xreplace(repl)


def parse_printed(latex: str, namespace: dict) -> sp.Expr:
    """The SymPy expression of printed ``latex`` in the claim's ``namespace`` (canonical name -> expression)."""
    return substitute(read(latex), namespace)


def symbols_of(latex: str) -> list[str]:
    """The canonical names a formula uses (what its namespace must provide)."""
    return sorted(set(read(latex).names.values()) - {"pi"})
