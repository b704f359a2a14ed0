r"""Reading the paper's printed LaTeX into SymPy: a documented normalisation (lexical rules and declared readings),
then SymPy's own parser.

A claim's printed form is the paper's literal text.  This module turns the verbatim LaTeX of a formula (as it
stands in the text extraction of the paper) into a SymPy expression in two steps:

1. **Normalisation** (the rules of :data:`RULES`, each tested).  Most rules are *lexical*: every symbol of the
   paper (an accent, a Greek or Latin base, primes, a subscript, a label such as the N of w^N) becomes one
   placeholder; juxtaposition becomes an explicit ``\cdot``; a function's argument is delimited; ``\left`` and
   ``\right`` are dropped.  A few rules are *readings*: they decide what a construct means (the ring accent the
   extraction renders as a dot or a hat, a norm read per coordinate, the chi-square of (24) applied to its
   arguments, an estimator applied to its argument, the normal quantile).  Each reading says what it discards
   (:attr:`Rule.discards`), and every use of one is recorded with the parse (:attr:`Reading.readings`), so the
   reports can show, per printed formula, which readings it went through.
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
``(log r_t)'``; ``chi^2`` is a function the namespace gives (a ``sympy.Lambda`` of (24)'s definition), applied to
the parsed arguments of each ``\chi^2(a, b)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

@dataclass(frozen=True)
class Rule:
    """One rule of the normalisation: ``lexical`` (spelling only: the parse means what the text means) or
    ``reading`` (it decides what a construct means; ``discards`` says what of the printed text the parse drops)."""

    name: str
    kind: str
    text: str
    discards: str = ""

    def line(self) -> str:
        """The rule in one Markdown line (the README, the Markdown report and the notebooks print it)."""
        out = f"*{self.name}* ({self.kind}): {self.text}"
        return out + (f"; discards: {self.discards}" if self.kind == "reading" else "")


#: The normalisation rules, in words (the README, the Markdown report and the notebooks print them).
RULES = (
    Rule("ring accent", "reading",
         r"\dot, \hat or \mathring over rho, lambda, beta or eta is the paper's ring accent (ring-rho, "
         r"ring-lambda, ...): the text extraction renders the ring as a dot or a hat (a declared reading; a ring "
         r"lost entirely is not restored: the literal form keeps the plain symbol and the claim grades the "
         r"difference as an erratum)",
         "the extraction's glyph (a dot or a hat over these four letters is never read as a dot or a hat)"),
    Rule("real hats", "lexical",
         r"\hat over X, epsilon, Y, u, v, mu, p, L, M is a real hat (an estimate made with the denoiser)"),
    Rule("other accents", "lexical", r"\check is the MSE-diffusion's check accent; \bar and \tilde are kept as accents"),
    Rule("primes", "lexical", r"a prime written after the subscript (\lambda_t') is the same derivative as \lambda'_t"),
    Rule("labels", "lexical", r"the N of w^N and p^N and the * of xi^* are labels of the symbol, not powers"),
    Rule("step", "lexical", r"\Delta t and \Delta\tau are the grid step symbols"),
    Rule("derivative of a log", "lexical", r"(\log r_t)' is one symbol, the derivative of log r at t"),
    Rule("chi-square", "reading",
         r"\chi^2(a, b) is (24)'s definition applied to a and b, in that order: the claim gives the definition "
         r"as a function of its two arguments, and the arguments are read and substituted",
         "nothing of the arguments (they are recorded with the parse); the reading is that \\chi^2 is (24)'s "
         "chi-square wherever it appears"),
    Rule("indicator", "lexical", r"\mathbf{1}(j = k) is one symbol: 1 for the same coordinate, 0 for two different ones"),
    Rule("norms", "reading",
         r"a norm \|v\| is read per coordinate, as (v): the squared norm of one coordinate is its square",
         "the sum over the d coordinates of the vector (the parse is one coordinate's term; a claim that uses "
         "it states how the coordinates combine); the norm's content is recorded with the parse"),
    Rule("normal quantile", "reading", r"\Phi^{-1}(x) is the standard normal quantile sqrt(2) erfinv(2x - 1)",
         "nothing (\\Phi is read as the standard normal distribution function, the paper's Normal schedule)"),
    Rule("applications", "reading",
         r"an estimator (a hatted symbol), w^N, p^N or mu_s followed by a parenthesised argument is read as its "
         r"value at that argument: one symbol",
         "the argument (recorded with the parse, and checked where a claim needs it: the network input of "
         "v_hat in param-vel); a formula that differs only in an estimator's argument reads the same"),
    Rule("juxtaposition", "lexical",
         r"juxtaposed factors are multiplied (an explicit \cdot is inserted); \cdot and \times are products; "
         r"square brackets are parentheses; \left, \right and \big, \Big, ... are dropped"),
    Rule("function arguments", "lexical",
         r"\log, \exp, \sin, \cos, \tan take the factor that follows them (a parenthesised group, a fraction, a "
         r"number or a symbol, with its power: \log \rho_t^2 is log(rho_t^2), the TeX convention) as their "
         r"argument; a power after a parenthesised argument applies to the value (\log(x)^2 is (log x)^2)"),
    Rule("decimals", "lexical", "decimal literals (0.4) are read exactly, as rationals (2/5)"),
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
    """The parsed expression (with placeholders), the placeholder map, the recorded applications and the
    readings (rules of kind ``reading``) the parse went through."""

    expr: sp.Expr
    names: dict = field(default_factory=dict)  # placeholder Symbol -> canonical name
    applications: tuple = ()                    # (canonical name of the function, its argument's LaTeX)
    normalised: str = ""
    #: "Phiinv(...)" or "chi^2(...)" canonical name -> (function, argument Readings)
    calls: dict = field(default_factory=dict)
    #: (rule name, the printed LaTeX it read), in the order of the text: every use of a rule of kind "reading"
    readings: tuple = ()


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


def _symbol_token(text: str, i: int, m: re.Match, out: list, notes: list) -> int:
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
    if name.startswith("ring:") and m.group("acc") != "mathring":
        notes.append(("ring accent", text[i:i + end]))
    i0, i = i, i + end
    if _is_function_symbol(name) and text[i:].lstrip().startswith("("):
        j = text.index("(", i)
        k = _matching(text, j)
        out.append(("app", text[j + 1:k].strip()))
        notes.append(("applications", text[i0:k + 1]))
        i = k + 1
    return i


def _split_arguments(text: str) -> list[str]:
    """The comma-separated arguments of a call, split at the top level only."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:k].strip())
            start = k + 1
    return parts + [text[start:].strip()]


def _tokens(text: str, notes: list | None = None) -> list[tuple[str, str]]:
    """(kind, value) tokens; kinds: sym, app (a function symbol's argument), chi (the token lists of chi-square's
    two arguments), num, func, frac, sqrt, op, open, close, pow, prime, lbrace, rbrace.  The uses of rules of kind
    "reading" are appended to ``notes`` as (rule name, printed LaTeX)."""
    notes = [] if notes is None else notes
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    norm_open = False
    while i < n:
        rest = text[i:]
        if rest.startswith(r"\chi^2"):  # rule "chi-square": (24)'s definition applied to its two arguments
            j = i + len(r"\chi^2")
            if not text[j:].lstrip().startswith("("):
                raise ReadingError("\\chi^2 without its arguments: (24) defines chi^2(a, b)")
            j = text.index("(", j)
            k = _matching(text, j)
            args = _split_arguments(text[j + 1:k])
            if len(args) != 2 or not all(args):
                raise ReadingError(f"\\chi^2 takes two arguments, got {text[j:k + 1]!r}")
            notes.append(("chi-square", text[i:k + 1]))
            out.append(("chi", tuple(_tokens(a, notes) for a in args)))
            i = k + 1
            continue
        if rest.startswith("\\|"):  # rule "norms": read per coordinate, as parentheses
            if not norm_open:
                close = text.find("\\|", i + 2)
                if close < 0:
                    raise ReadingError(f"unbalanced norm in {text!r}")
                notes.append(("norms", text[i:close + 2]))
            out.append(("close", ")") if norm_open else ("open", "("))
            norm_open, i = not norm_open, i + 2
            continue
        m = _SYMBOL.match(rest)
        if m and (m.group("abase") or m.group("base")) and not re.match(r"\\(?:frac|sqrt|log|ln|exp|sin|cos|tan)"
                                                                        r"(?![A-Za-z])", rest):
            i = _symbol_token(text, i, m, out, notes)
            continue
        for pattern, tok in _FIXED:
            m = pattern.match(rest)
            if m:
                if tok is not None:
                    out.append(tok(m) if callable(tok) else tok)
                    if out[-1] == ("func", "Phiinv"):
                        notes.append(("normal quantile", m.group(0)))
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
        arg = _parse_atom(st)
        if arg[0] != "group":  # rule "function arguments": \log x^2 is log(x^2) (TeX); \log(x)^2 is (log x)^2
            while st.peek()[0] == "pow":
                st.take()
                arg = ("pow", arg, _parse_exponent(st))
        return ("func", val, arg)
    if kind == "chi":
        return ("chi", [_parse_seq(_Stream(toks), None) for toks in val])
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
        if kind == "chi":
            return "(" + self.placeholder("chi^2(" + " , ".join(self.seq(x) for x in a[1]) + ")") + ")"
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


def normalise(latex: str, notes: list | None = None) -> tuple[str, dict, list]:
    """(LaTeX in the subset SymPy's lark grammar reads, placeholder -> canonical name, applications); the uses of
    rules of kind "reading" are appended to ``notes``."""
    st = _Stream(_tokens(latex, notes))
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


def _reading(text: str, names: dict, apps=(), notes=()) -> Reading:
    """Parse normalised ``text`` and map its placeholder symbols back to canonical names."""
    expr = _exact(_parse(text))
    by_symbol, calls = {}, {}
    for sym in expr.free_symbols:
        m = re.fullmatch(r"Q_\{([a-z]+)\}", sym.name)
        if not m:
            raise ReadingError(f"unexpected symbol {sym.name!r} in the parse of {text!r}")
        canon = "pi" if m.group(1) == "pi" else names[m.group(1)]
        by_symbol[sym] = canon
        if canon.startswith("Phiinv("):
            calls[canon] = ("Phiinv", (_reading(canon[len("Phiinv("):-1], names),))
        elif canon.startswith("chi^2("):
            calls[canon] = ("chi^2", tuple(_reading(x, names) for x in canon[len("chi^2("):-1].split(" , ")))
    return Reading(expr, by_symbol, tuple(apps), text, calls, tuple(notes))


@lru_cache(maxsize=None)
def read(latex: str) -> Reading:
    """The Reading of ``latex`` (placeholders not yet replaced by the claim's symbols)."""
    notes: list = []
    text, names, apps = normalise(latex, notes)
    return _reading(text, names, apps, notes)


def substitute(reading: Reading, namespace: dict) -> sp.Expr:
    """Replace the placeholders by the namespace's SymPy expressions (``pi`` is sympy.pi unless given)."""
    ns = {"pi": sp.pi, **namespace}
    missing = sorted({_called(c) for c in reading.names.values() if _called(c) not in ns and _called(c) != "Phiinv"})
    if missing:
        raise ReadingError(f"symbols not in the namespace: {', '.join(missing)}")
    repl = {}
    for ph, canon in reading.names.items():
        if canon in reading.calls:
            fn, args = reading.calls[canon]
            values = [substitute(arg, ns) for arg in args]
            if fn == "Phiinv":  # rule "normal quantile"
                repl[ph] = sp.sqrt(2) * sp.erfinv(2 * values[0] - 1)
            elif not callable(ns[fn]):  # rule "chi-square": the definition is a function of its arguments
                raise ReadingError(f"{fn} must be given as a function of its {len(values)} arguments "
                                   "(for example a sympy.Lambda of its definition)")
            else:
                repl[ph] = sp.sympify(ns[fn](*values))
        else:
            repl[ph] = sp.sympify(ns[canon])
    return reading.expr.xreplace(repl)


def _called(canon: str) -> str:
    """The function of a call's canonical name ("chi^2(...)" -> "chi^2"); other names unchanged."""
    for fn in ("Phiinv", "chi^2"):
        if canon.startswith(fn + "("):
            return fn
    return canon


def parse_printed(latex: str, namespace: dict) -> sp.Expr:
    """The SymPy expression of printed ``latex`` in the claim's ``namespace`` (canonical name -> expression)."""
    return substitute(read(latex), namespace)


def symbols_of(latex: str) -> list[str]:
    """The canonical names a formula uses (what its namespace must provide; a call by its function's name)."""
    r = read(latex)
    names = {_called(c) for c in r.names.values()}
    for _, args in r.calls.values():
        for arg in args:
            names |= {_called(c) for c in arg.names.values()}
    return sorted(names - {"pi", "Phiinv"})
