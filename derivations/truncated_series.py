"""Truncated power series with tracked precision: Taylor (and Laurent) coefficients of an expression at 0.

``sympy.series`` spends seconds on the weights of Section 4 and Appendix A (exponentials of polynomials in the step,
divided by differences that vanish with it), and SymPy 1.14 can return a wrong higher coefficient when a
denominator's leading term cancels, with nothing to warn.  Here the series is built bottom-up over the expression
tree (sums, products, integer powers, exp, log of 1 + o(1)) with coefficients in SymPy's field of rational functions
of the other symbols, where a coefficient is zero exactly when it cancels.  Every series carries the order to which
it is known, O(x^prec): a product with a Laurent factor x^-m or an inverse of a series starting at x^m loses m
orders, and a leading term that cancels lowers the known order instead of producing a wrong coefficient.
:func:`taylor_coefficients` asks for more terms until the orders the caller needs are known.

Expressions outside this class (sqrt of a non-square, exp of a non-zero constant, special functions) raise
:class:`Unsupported`; callers fall back to ``sympy.series`` with one order more than needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.polys.fields import field
from sympy.polys.domains import QQ


class Unsupported(ValueError):
    """The expression has a node this module does not expand (the caller falls back to sympy.series)."""


@dataclass(frozen=True)
class Series:
    """sum_k coeffs[k - val] x^k + O(x^prec), coefficients in the field; coeffs[0] != 0 unless it is empty."""

    val: int
    coeffs: tuple
    prec: int

    def at(self, k: int):
        i = k - self.val
        return self.coeffs[i] if 0 <= i < len(self.coeffs) else None


class _Expander:
    def __init__(self, x: sp.Symbol, others: tuple, terms: int):
        self.x, self.terms = x, terms
        self.K = field(others or (sp.Dummy("unused"),), QQ)[0]
        self.names = sorted(map(str, others))
        self.zero, self.one = self.K.zero, self.K.one

    # -- construction ------------------------------------------------------------------------------
    def make(self, val: int, coeffs, prec: int) -> Series:
        prec = min(prec, self.terms)
        coeffs = list(coeffs)[: max(prec - val, 0)]
        while coeffs and coeffs[0] == self.zero:
            coeffs.pop(0)
            val += 1
        return Series(val, tuple(coeffs), prec) if coeffs else Series(prec, (), prec)

    def constant(self, c: sp.Expr) -> Series:
        try:
            value = self.K.from_expr(c)
        except (sp.CoercionFailed, TypeError, ValueError) as exc:
            raise Unsupported(f"constant {c} is not a rational function of {self.names}") from exc
        return self.make(0, [value], self.terms)

    # -- arithmetic --------------------------------------------------------------------------------
    def add(self, a: Series, b: Series) -> Series:
        prec = min(a.prec, b.prec)
        val = min(a.val, b.val)
        return self.make(val, [(a.at(k) or self.zero) + (b.at(k) or self.zero) for k in range(val, prec)], prec)

    def mul(self, a: Series, b: Series) -> Series:
        prec = min(a.prec + b.val, b.prec + a.val)
        val = a.val + b.val
        out = []
        for k in range(val, prec):
            acc = self.zero
            for i, ai in enumerate(a.coeffs):
                bj = b.at(k - a.val - i)
                if bj is not None:
                    acc += ai * bj
            out.append(acc)
        return self.make(val, out, prec)

    def inverse(self, a: Series) -> Series:
        if not a.coeffs:
            raise _NeedMoreTerms()
        rel = a.prec - a.val
        a0 = a.coeffs[0]
        out = [self.one / a0]
        for k in range(1, rel):
            acc = self.zero
            for j in range(1, k + 1):
                if j < len(a.coeffs):
                    acc += a.coeffs[j] * out[k - j]
            out.append(-acc / a0)
        return self.make(-a.val, out, -a.val + rel)

    def power(self, a: Series, n: int) -> Series:
        if n < 0:
            return self.power(self.inverse(a), -n)
        out, base = self.make(0, [self.one], self.terms), a
        while n:
            if n & 1:
                out = self.mul(out, base)
            n >>= 1
            if n:
                base = self.mul(base, base)
        return out

    def exp(self, a: Series) -> Series:
        """exp(a) for a = O(x) (f' = a' f: f_k = (1/k) sum_j j a_j f_{k-j})."""
        if a.val < 1:
            if a.at(0) is not None or a.val < 0:
                raise Unsupported("exp of a series with a constant or negative-power term")
        a_at = [a.at(j) or self.zero for j in range(a.prec)]
        out = [self.one]
        for k in range(1, a.prec):
            acc = self.zero
            for j in range(1, k + 1):
                if a_at[j] != self.zero:
                    acc += j * a_at[j] * out[k - j]
            out.append(acc / k)
        return self.make(0, out, a.prec)

    def log(self, a: Series) -> Series:
        """log(a) for a = 1 + O(x): (log a)' = a'/a, integrated term by term."""
        if a.val != 0 or a.coeffs[0] != self.one:
            raise Unsupported("log of a series not of the form 1 + O(x)")
        inv = self.inverse(a)
        deriv = self.make(0, [k * (a.at(k) or self.zero) for k in range(1, a.prec)], a.prec - 1)
        q = self.mul(deriv, inv)
        return self.make(1, [(q.at(k - 1) or self.zero) / k for k in range(1, q.prec + 1)], q.prec + 1)

    # -- the tree ----------------------------------------------------------------------------------
    def expand(self, e: sp.Expr) -> Series:
        if self.x not in e.free_symbols:
            return self.constant(e)
        if e == self.x:
            return self.make(1, [self.one], self.terms)
        if e.is_Add or e.is_Mul:
            combine = self.add if e.is_Add else self.mul
            out = self.expand(e.args[0])
            for arg in e.args[1:]:
                out = combine(out, self.expand(arg))
            return out
        if e.is_Pow and e.exp.is_Integer:
            return self.power(self.expand(e.base), int(e.exp))
        if isinstance(e, sp.exp):
            return self.exp(self.expand(e.args[0]))
        if isinstance(e, sp.log):
            return self.log(self.expand(e.args[0]))
        raise Unsupported(f"no expansion for {type(e).__name__}")


class _NeedMoreTerms(Exception):
    pass


def taylor_coefficients(expr: sp.Expr, x: sp.Symbol, orders: int, *, max_terms: int = 40) -> list[sp.Expr]:
    """[c_0, ..., c_{orders-1}] with expr = sum_k c_k x^k + O(x^orders) (coefficients as SymPy rational functions).

    Raises :class:`Unsupported` for an expression outside the module's class, and ValueError when the expression
    has negative powers of x (a pole) or the orders are not known with ``max_terms`` terms."""
    expr = sp.sympify(expr)
    others = tuple(sorted(expr.free_symbols - {x}, key=str))
    terms = orders + 2
    while terms <= max_terms:
        ex = _Expander(x, others, terms)
        try:
            s = ex.expand(expr)
        except _NeedMoreTerms:
            terms *= 2
            continue
        if s.coeffs and s.val < 0:
            raise ValueError(f"{expr} has a pole of order {-s.val} at {x} = 0")
        if s.prec >= orders:
            return [(s.at(k) or ex.zero).as_expr() for k in range(orders)]
        terms += orders - s.prec + 2
    raise ValueError(f"the first {orders} coefficients of {expr} are not known with {max_terms} terms")
