"""The schedule registry: noise schedules, parameterizations and diffusion rates (paper, Section 2-5).

This is the suite's extension point.  Every entry is a SymPy expression of forward time ``t``; the
mpmath, NumPy and torch versions are lambdified from the same expression (:func:`numeric`), so a
formula exists once.  Registering validates the entry numerically on a logit-spaced grid of (0, 1):

* a noise schedule needs ring-rho = alpha/sigma positive and *increasing* (ring-lambda' > 0),
  alpha, sigma positive and finite, and log(alpha/sigma) equal to the stated ring-lambda;
* a parameterization needs S_t positive and finite for every registered schedule;
* a diffusion rate needs lambda'_t >= 0 and finite on the generation interval.

A violation raises :class:`RegistryError` with one line naming the entry and the reason.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Mapping

import mpmath as mp
import sympy as sp

from .symbols import t


class RegistryError(ValueError):
    """A registry entry is invalid (the message is one line naming the entry and the reason)."""


# ----------------------------------------------------------------------------------------------
# Entries
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoiseSchedule:
    """A noise schedule: alpha_t increasing signal, sigma_t decreasing noise, ring-lambda_t = log(alpha/sigma)."""

    name: str
    ring_lam: sp.Expr
    alpha: sp.Expr
    sigma: sp.Expr
    reference: str = ""
    description: str = ""

    @property
    def ring_rho(self) -> sp.Expr:
        """ring-rho_t = exp(ring-lambda_t), the signal-to-noise ratio."""
        return sp.exp(self.ring_lam)

    @property
    def ring_lam_rate(self) -> sp.Expr:
        """ring-lambda'_t."""
        return sp.diff(self.ring_lam, t)


@dataclass(frozen=True)
class Target:
    """A training target u_t = a_t X + b_t eps, sampled with time density ``weight`` relative to U(0, 1).

    The parameterization it induces is S_t = sqrt(weight) (b_t - a_t / ring-rho_t)  (Section 2, (3)).
    """

    data_coefficient: sp.Expr
    noise_coefficient: sp.Expr
    weight: sp.Expr = sp.Integer(1)
    description: str = ""


@dataclass(frozen=True)
class Parameterization:
    """A parameterization: the output scaling S_t of u_hat - u = S_t (eps_hat - eps), as the paper prints it."""

    name: str
    scale: Callable[[NoiseSchedule], sp.Expr]
    target: Callable[[NoiseSchedule], Target] | None = None
    reference: str = ""
    description: str = ""

    def S(self, schedule: NoiseSchedule) -> sp.Expr:
        return sp.sympify(self.scale(schedule))


@dataclass(frozen=True)
class Interval:
    """The generation interval 0 < t0 < t_max < 1 (Section 3, "Generation interval")."""

    t0: float = 0.01
    t_max: float = 0.99

    def __post_init__(self):
        for label, v in (("t0", self.t0), ("t_max", self.t_max)):
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise RegistryError(f"interval: {label}={v!r} is not a finite number")
        if not 0.0 < self.t0 < self.t_max < 1.0:
            raise RegistryError(
                f"interval: need 0 < t0 < t_max < 1, got t0={self.t0!r}, t_max={self.t_max!r}"
            )


@dataclass(frozen=True)
class DiffusionRate:
    """A diffusion rate lambda'_t, possibly depending on the schedule, parameterization and interval.

    ``is_flow`` marks the deterministic limit lambda' -> 0 (beta = 0), which has no diffusion schedule rho.
    """

    name: str
    rate: Callable[[NoiseSchedule, Parameterization, Interval], sp.Expr]
    description: str = ""
    is_flow: bool = False

    def lam_rate(self, schedule: NoiseSchedule, param: Parameterization, interval: Interval) -> sp.Expr:
        return sp.sympify(self.rate(schedule, param, interval))


# ----------------------------------------------------------------------------------------------
# Numeric versions, lambdified from the one expression
# ----------------------------------------------------------------------------------------------

BACKENDS = ("mpmath", "numpy", "torch")


def _numpy_safe(expr: sp.Expr) -> sp.Expr:
    """Rewrite for float64 near the endpoints: exp(x) - 1 -> expm1(x) and log(1 + x) -> log1p(x).

    Done by hand, structurally: SymPy's ``expm1_opt`` expands the argument, which turns 1 - t into a
    difference of large numbers and loses every digit as t -> 1."""
    from sympy.codegen.cfunctions import expm1, log1p

    def _exp_pair(a):
        """(one, exp-term) in an Add holding +-1 and -+exp(x), else None."""
        if not a.is_Add:
            return None
        for one in (sp.S.One, sp.S.NegativeOne):
            if one in a.args:
                for z in a.args:
                    if isinstance(z, sp.exp) and one == -1 or (z.is_Mul and z.args == (-1, *z.args[1:])
                                                               and len(z.args) == 2 and isinstance(z.args[1], sp.exp)
                                                               and one == 1):
                        return one, z
        return None

    def is_exp_minus_one(a):
        return _exp_pair(a) is not None

    def to_expm1(a):
        one, e = _exp_pair(a)
        rest = list(a.args)
        rest.remove(one)
        rest.remove(e)
        arg = e.args[0] if isinstance(e, sp.exp) else e.args[1].args[0]
        return sp.Add(-one * expm1(arg), *rest, evaluate=False)

    def is_log_one_plus(a):
        return isinstance(a, sp.log) and a.args[0].is_Add and sp.S.One in a.args[0].args

    def to_log1p(a):
        rest = list(a.args[0].args)
        rest.remove(sp.S.One)
        return log1p(sp.Add(*rest, evaluate=False))

    def is_normal_quantile(a):  # erfinv(2x - 1) = Phi^{-1}(x)/sqrt(2): loses digits as x -> 0
        return isinstance(a, sp.erfinv) and (a.args[0] + 1).is_Mul and sp.S(2) in (a.args[0] + 1).args

    def to_ndtri(a):
        return ndtri(sp.expand((a.args[0] + 1) / 2)) / sp.sqrt(2)

    half_pi_t = sp.pi * t / 2  # cos(pi t/2) = sin(pi (1 - t)/2): 1 - t is exact for t >= 1/2

    # No try/except: a rewrite that fails is a bug to see, not a reason to lose the endpoint accuracy silently.
    expr = expr.replace(sp.Max, lambda *args: _fold_maximum(args))
    expr = expr.replace(sp.tan(half_pi_t), sp.sin(half_pi_t) / cos_half_pi(t))
    expr = expr.replace(sp.cos(half_pi_t), cos_half_pi(t))
    expr = expr.replace(is_normal_quantile, to_ndtri)
    return expr.replace(is_exp_minus_one, to_expm1).replace(is_log_one_plus, to_log1p)


class maximum(sp.Function):
    """Elementwise max of two arguments (numeric printers only: numpy/torch ``maximum``)."""

    nargs = 2


def _fold_maximum(args):
    out = args[0]
    for a in args[1:]:
        out = maximum(out, a)
    return out


class cos_half_pi(sp.Function):
    """cos(pi t/2) evaluated as sin(pi (1 - t)/2), accurate as t -> 1 (numeric printers only)."""

    nargs = 1


def _np_cos_half_pi(x):
    import numpy as np

    return np.sin(np.pi * (1 - x) / 2)


class ndtri(sp.Function):
    """Phi^{-1}, the standard normal quantile, for the numeric printers only (scipy/torch ``ndtri``)."""

    nargs = 1


def _torch_printer():
    """SymPy's TorchPrinter plus the functions the registry needs (erfinv, expm1, log1p, sech, Max)."""
    from sympy.printing.pytorch import TorchPrinter

    class _Printer(TorchPrinter):
        def _print(self, e, **kwargs):
            # Constant subexpressions (sqrt(2), pi**(1/4), log(16)) become float literals: torch
            # functions reject Python numbers.
            if isinstance(e, sp.Expr) and e.is_number and not e.is_Integer and e.is_real:
                return repr(float(e))
            return super()._print(e, **kwargs)

        def _print_cos_half_pi(self, e):
            return f"torch.sin(3.141592653589793 * (1 - {self._print(e.args[0])}) / 2)"

        def _print_sech(self, e):
            return f"(1/torch.cosh({self._print(e.args[0])}))"

        def _print_maximum(self, e):
            a, b = (self._print(x) for x in e.args)
            return f"torch.maximum(torch.as_tensor({a}), torch.as_tensor({b}))"

    # One-argument functions that map straight onto a torch function.
    for name, torch_fn in (("ndtri", "torch.special.ndtri"), ("erfinv", "torch.special.erfinv"),
                           ("expm1", "torch.expm1"), ("log1p", "torch.log1p"), ("erfc", "torch.special.erfc")):
        setattr(_Printer, f"_print_{name}",
                lambda self, e, fn=torch_fn: f"{fn}({self._print(e.args[0])})")
    # Reciprocal functions SymPy creates from the whitelisted ones (tan(pi (1 - u)/2) -> cot(pi u/2) in the u = 1 - t
    # branch, derivatives of sech and tanh), which TorchPrinter does not know.
    for name, template in (("cot", "(1/torch.tan({}))"), ("csc", "(1/torch.sin({}))"), ("sec", "(1/torch.cos({}))"),
                           ("coth", "(1/torch.tanh({}))"), ("csch", "(1/torch.sinh({}))"),
                           ("acot", "torch.atan(1/({}))")):
        setattr(_Printer, f"_print_{name}",
                lambda self, e, tpl=template: tpl.format(self._print(e.args[0])))
    return _Printer


_U = sp.Dummy("u", positive=True)


@lru_cache(maxsize=4096)
def upper_branch(expr: sp.Expr) -> sp.Expr | None:
    """expr(1 - u) as an expression of u = 1 - t when it evaluates more accurately near t = 1, else None.

    SymPy distributes a number over a sum (``0.00085*(1 - t)`` becomes ``17/20000 - 17 t/20000``), so a factor
    1 - t the author wrote is lost and float64 loses its digits as t -> 1 (3e-4 relative at 1 - t = 1e-12).
    Substituting t = 1 - u cancels the constant terms exactly; for t >= 1/2, 1 - t is exact in float64
    (Sterbenz), so evaluating the u-form at u = 1 - t keeps them.  Which form is better is measured, not assumed:
    both are compared with 30-digit mpmath at t = 1 - 10^-j (j = 1..14), and the u-form is used for t > 1/2 only
    when its worst relative error is ten times smaller."""
    if t not in expr.free_symbols:
        return None
    try:
        return _measure_upper_branch(expr)
    except Exception:  # a form a printer or a backend cannot take: keep the t-form, as before
        return None


#: A t-form whose worst relative error near t = 1 is below this (a few float64 roundings) is kept without building the
#: u-forms (their substitution, expansion and printing cost seconds on an MSE rate, for nothing to gain).
ACCURATE_ENOUGH = 1e-15
#: The expanded u-form is tried only for forms up to this size (SymPy's count_ops).
EXPAND_OPS_LIMIT = 120


def _measure_upper_branch(expr: sp.Expr) -> sp.Expr | None:
    import numpy as np

    f_mp = sp.lambdify(t, expr, modules="mpmath")
    refs = []
    with mp.workdps(30):
        for x in (1 - 10.0 ** -j for j in range(1, 15)):
            try:
                ref = f_mp(mp.mpf(x))
            except (ZeroDivisionError, ValueError, OverflowError):
                continue
            ref = ref.real if isinstance(ref, mp.mpc) else ref
            if mp.isfinite(ref) and ref != 0:
                refs.append((x, ref))

    def worst(form, on_u):
        f = _numpy_plain(form.subs(_U, t) if on_u else form)
        out = 0.0
        with np.errstate(all="ignore"), mp.workdps(30):
            for x, ref in refs:
                v = complex(f(np.float64(1 - x if on_u else x))).real
                out = max(out, float(abs((mp.mpf(v) - ref) / ref)) if math.isfinite(v) else math.inf)
        return out

    base = worst(expr, False)
    if base <= ACCURATE_ENOUGH:  # nothing to gain: no form does better than a few roundings
        return None
    from .budget import SYMPY_STEP_BUDGET, bounded

    def u_forms():
        # Max is folded into the inert ``maximum`` first (what the printers receive anyway): SymPy's Max re-evaluates
        # its arguments' order (_find_localzeros) at every substitution and expansion, seconds on an MSE rate.
        upper = expr.replace(sp.Max, lambda *args: _fold_maximum(args)).subs(t, 1 - _U)
        forms = [upper]
        # Also the u-form with polynomial differences multiplied out ((a + b u)^3 - a^3 loses a^3 exactly);
        # exponentials and logarithms are left whole, so the expm1/log1p rewrites still apply.  Only for a small
        # form: expanding a product of sums multiplies its size (minutes on SD's scaled-linear MSE rate).
        if sp.count_ops(upper) <= EXPAND_OPS_LIMIT:
            forms.append(sp.expand(upper, power_exp=False, log=False, power_base=False))
        return forms

    # a user's entry can make any of these SymPy steps slow: each gets the budget of one SymPy step, and a form
    # not built and measured within it is not used (the t-form stays, as it was before the branch existed)
    forms, _ = bounded(u_forms, SYMPY_STEP_BUDGET, [])
    best, best_err = None, base
    for form in dict.fromkeys(forms):
        err, _ = bounded(lambda: worst(form, True), SYMPY_STEP_BUDGET, math.inf)
        if err * 10 < base and err < best_err:
            best, best_err = form, err
    return best


@lru_cache(maxsize=4096)
def _numpy_plain(expr: sp.Expr):
    """The float64 function of t for expr as it stands (expm1/log1p rewrites, no u = 1 - t branch); shared by the
    numeric versions, the branch measurement and the validation scan, so each expression is printed once."""
    return sp.lambdify(t, _numpy_safe(expr), modules=_numpy_modules())


def _np_lambdify(expr):
    import numpy as np

    lower = _numpy_plain(expr)
    upper = upper_branch(expr)
    if upper is None:
        return lower
    f_hi = _numpy_plain(upper.subs(_U, t))

    def f(x):
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            out = np.where(x > 0.5, f_hi(1 - x), lower(x))
        return out if out.ndim else out[()]

    return f


def _torch_print(expr):
    from sympy.printing.codeprinter import PrintMethodNotImplementedError

    try:
        return sp.lambdify(t, _numpy_safe(expr), modules="torch", printer=_torch_printer())
    except PrintMethodNotImplementedError as exc:
        names = sorted({type(f).__name__ for f in expr.atoms(sp.Function)})
        raise RegistryError(f"the torch back-end cannot print {expr} (functions {', '.join(names)}): "
                            f"{str(exc).splitlines()[0]}") from None


def _torch_lambdify(expr):
    import torch

    lower = _torch_print(expr)
    upper = upper_branch(expr)
    if upper is None:
        return lower
    try:
        f_hi = _torch_print(upper.subs(_U, t))
    except RegistryError:  # the u-form has a function torch cannot print: the t-form, as without the branch
        return lower

    def f(x):
        x = torch.as_tensor(x)
        return torch.where(x > 0.5, f_hi(1 - x), lower(x))

    return f


def _numpy_modules():
    """The module list of the NumPy lambdify (scipy is imported on first use)."""
    import numpy as np
    import scipy.special

    return [{"ndtri": scipy.special.ndtri, "cos_half_pi": _np_cos_half_pi, "maximum": np.maximum}, "numpy", "scipy"]


def _mp_erfinv(x):
    """mpmath's erfinv (a root search, about 1 ms at 30 digits), remembered per (argument, precision): the
    validation grid and the claims' grids evaluate the Normal schedule's forms at the same points many times."""
    try:
        return _mp_erfinv_at(x, mp.mp.prec)
    except TypeError:  # an unhashable argument
        return mp.erfinv(x)


def mpmath_modules() -> list:
    """The module list of the mpmath lambdify: mpmath with erfinv remembered per argument and precision."""
    return [{"erfinv": _mp_erfinv}, "mpmath"]


@lru_cache(maxsize=1 << 16)
def _mp_erfinv_at(x, prec: int):
    with mp.workprec(prec):
        return mp.erfinv(x)


@lru_cache(maxsize=4096)
def _lambdified(expr: sp.Expr, backend: str):
    if backend not in BACKENDS:
        raise RegistryError(f"unknown numeric backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    free = expr.free_symbols - {t}
    if free:
        raise RegistryError(f"expression {expr} has free symbols other than t: {sorted(map(str, free))}")
    if backend == "mpmath":
        return sp.lambdify(t, expr, modules=mpmath_modules())
    if backend == "numpy":
        f = _np_lambdify(expr)
        if t not in expr.free_symbols:  # a constant: broadcast like the input
            import numpy as np

            value = float(expr)
            return lambda x: np.full_like(np.asarray(x, dtype=float), value)
        return f
    import torch

    if t not in expr.free_symbols:
        value = float(expr)
        return lambda x: torch.full_like(torch.as_tensor(x, dtype=torch.float64), value)
    return _torch_lambdify(expr)


def numeric(expr: sp.Expr, backend: str = "numpy") -> Callable:
    """The function t -> expr(t) for ``backend`` in {"mpmath", "numpy", "torch"}.

    NumPy and torch versions get exp(x)-1 -> expm1 and log(1+x) -> log1p (endpoint accuracy) and
    broadcast constants to the input's shape."""
    return _lambdified(sp.sympify(expr), backend)


# ----------------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------------

#: Validation grid: logistic-spaced points in (0, 1), dense near both endpoints.
VALIDATION_GRID = tuple(float(1 / (1 + mp.exp(-x))) for x in mp.linspace(-9, 9, 61))


def _mp_values(expr: sp.Expr, points: Iterable[float], dps: int = 30):
    f = numeric(expr, "mpmath")
    with mp.workdps(dps):
        for p in points:
            try:
                v = f(mp.mpf(p))
            except (ZeroDivisionError, ValueError, OverflowError) as exc:
                yield p, None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            if isinstance(v, mp.mpc):
                if abs(v.imag) > mp.mpf(10) ** (-dps // 2) * (1 + abs(v.real)):
                    yield p, None, f"complex value {mp.nstr(v, 6)}"
                    continue
                v = v.real
            if not mp.isfinite(v):
                yield p, None, f"non-finite value {v}"
                continue
            yield p, v, ""


def _check_expression(entry: str, label: str, expr, allowed=frozenset({t})):
    if not isinstance(expr, sp.Basic):
        raise RegistryError(f"{entry}: {label} is not a SymPy expression ({type(expr).__name__})")
    extra = expr.free_symbols - set(allowed)
    if extra:
        names = ", ".join(sorted(map(str, extra)))
        raise RegistryError(f"{entry}: {label} depends on unknown symbol(s) {names}; only t is allowed")
    if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise RegistryError(f"{entry}: {label} contains nan or infinity")


def _require(entry: str, label: str, expr, predicate, what: str, points=VALIDATION_GRID):
    for p, v, err in _mp_values(expr, points):
        if v is None:
            raise RegistryError(f"{entry}: {label} is not finite at t={p:.6g} ({err})")
        if not predicate(v):
            raise RegistryError(f"{entry}: {label} is not {what} at t={p:.6g} (value {mp.nstr(v, 6)})")


# Dense scan: sampling a fixed 61-point grid misses a pole at t = 0.55 or a decreasing stretch of width 1e-3.
# Every expression is therefore also scanned in float64 on a dense grid (logit-spaced near the endpoints,
# uniform in between), refined adaptively where Simpson's rule on ring-lambda' disagrees with the increments
# of ring-lambda (a feature narrower than the grid), and every violation float64 finds is confirmed in 30-digit
# mpmath before the entry is rejected (float64 alone would reject well-conditioned entries for its own rounding).

SCAN_LOGIT_POINTS = 4001      # logit-spaced points, logit(t) in [-16, 16]
SCAN_UNIFORM_POINTS = 10001   # uniform points in [1e-4, 1 - 1e-4]
SCAN_MAX_LEVELS = 40          # bisection levels of the adaptive refinement
SCAN_MAX_INTERVALS = 20000    # intervals refined per level (a budget, so a pathological entry still ends)


@lru_cache(maxsize=8)
def scan_grid(lo: float = 0.0, hi: float = 1.0):
    """The dense scan grid of (lo, hi) as a sorted float64 array (lo, hi excluded)."""
    import numpy as np

    x = np.linspace(-16.0, 16.0, SCAN_LOGIT_POINTS)
    unit = np.concatenate([1.0 / (1.0 + np.exp(-x)), np.linspace(1e-4, 1 - 1e-4, SCAN_UNIFORM_POINTS)])
    if lo == 0.0 and hi == 1.0:
        pts = unit
    else:
        pts = np.concatenate([lo + (hi - lo) * unit, [lo, hi]])
    pts = np.unique(pts[(pts > 0) & (pts < 1) & (pts >= lo) & (pts <= hi)])
    keep = np.concatenate([[True], np.diff(pts) > 1e-12 * pts[1:]])  # drop near-duplicates
    return pts[keep]


def _scan_function(expr: sp.Expr):
    """The plain float64 version of expr for the validation scan (no upper branch: mpmath confirms anyway)."""
    return numeric(expr, "numpy") if t not in expr.free_symbols else _numpy_plain(expr)


def _float_values(expr: sp.Expr, points):
    import numpy as np

    with np.errstate(all="ignore"):
        try:
            v = _scan_function(expr)(points)
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):  # a backend refusing a point
            return np.array([_float_or_nan(expr, p) for p in points])
        v = np.asarray(v)
        if np.iscomplexobj(v):
            v = np.where(np.abs(v.imag) <= 1e-12 * (1 + np.abs(v.real)), v.real, np.nan)
        return np.broadcast_to(np.asarray(v, dtype=float), np.shape(points)).copy()


def _float_or_nan(expr, p):
    for _, v, _err in _mp_values(expr, [p], dps=20):
        return float(v) if v is not None else float("nan")


def _mp_value(expr: sp.Expr, p: float, dps: int = 30):
    """(value, error) of expr at t = p in mpmath (value None when not finite or not real)."""
    for _, v, err in _mp_values(expr, [p], dps=dps):
        return v, err


def _scan(entry: str, label: str, expr: sp.Expr, predicate, what: str, lo: float = 0.0, hi: float = 1.0):
    """expr finite and satisfying ``predicate`` on the dense grid of (lo, hi); float64 finds, mpmath confirms."""
    import numpy as np

    pts = scan_grid(lo, hi)
    v = _float_values(expr, pts)
    with np.errstate(invalid="ignore"):
        suspect = ~np.isfinite(v) | ~predicate(v)
    for p in pts[suspect][:200]:  # each float64 suspicion confirmed (or cleared) at 30 digits
        value, err = _mp_value(expr, float(p))
        if value is None:
            raise RegistryError(f"{entry}: {label} is not finite at t={p:.6g} ({err})")
        if not predicate(value):
            raise RegistryError(f"{entry}: {label} is not {what} at t={p:.6g} (value {mp.nstr(value, 6)})")


def _locate_drop(lam: sp.Expr, a: float, b: float) -> tuple[float, bool]:
    """(t, is_pole): where ring-lambda drops inside (a, b), by bisection at 30 digits; a pole when it blows up."""
    va, _ = _mp_value(lam, a)
    vb, _ = _mp_value(lam, b)
    for _ in range(60):
        m = (a + b) / 2
        if not a < m < b:
            break
        vm, _ = _mp_value(lam, m)
        if vm is None:
            return m, True
        if va is not None and vm <= va:
            b, vb = m, vm
        else:
            a, va = m, vm
    known = [v for v in (va, vb) if v is not None]
    return (a + b) / 2, not known or any(abs(v) > 1e6 for v in known)   # blows up (or is not finite): a pole


def _scan_increasing(entry: str, lam: sp.Expr, rate: sp.Expr) -> None:
    """ring-lambda finite and strictly increasing on (0, 1): no pole, no decreasing stretch (Section 2).

    Checks ring-lambda' > 0 and ring-lambda's increments on the dense grid, then refines every interval where
    Simpson's rule on ring-lambda' does not reproduce the increment (a feature narrower than the grid hides
    there), down to :data:`SCAN_MAX_LEVELS` bisections.  Violations are confirmed at 30 digits."""
    import numpy as np

    _scan(entry, "ring-lambda", lam, lambda v: v == v, "real")
    _scan(entry, "ring-lambda'", rate, lambda v: v > 0, "positive (ring-rho must increase)")
    pts = scan_grid()
    a, b = pts[:-1], pts[1:]
    for _level in range(SCAN_MAX_LEVELS):
        if a.size == 0:
            break
        la, lb = _float_values(lam, a), _float_values(lam, b)
        m = (a + b) / 2
        ra, rm, rb = (_float_values(rate, x) for x in (a, m, b))
        with np.errstate(all="ignore"):
            for i in np.flatnonzero(~(rm > 0))[:50]:  # a negative rate found between grid points
                value, err = _mp_value(rate, float(m[i]))
                if value is None or value <= 0:
                    where = f"t={m[i]:.6g}"
                    detail = f"({err})" if value is None else f"(value {mp.nstr(value, 6)})"
                    raise RegistryError(f"{entry}: ring-lambda' is not positive at {where} {detail}: ring-rho "
                                        "must increase")
            rise = lb - la
            for i in np.flatnonzero(rise <= 0)[:50]:  # float64 says it drops: confirm at 30 digits
                va, _ = _mp_value(lam, float(a[i]))
                vb, _ = _mp_value(lam, float(b[i]))
                if va is not None and vb is not None and vb <= va:
                    where, pole = _locate_drop(lam, float(a[i]), float(b[i]))
                    kind = "a pole" if pole else "a decreasing stretch"
                    raise RegistryError(
                        f"{entry}: ring-lambda is not increasing: {kind} at t~{where:.6g} (it drops from "
                        f"{mp.nstr(va, 6)} at t={a[i]:.6g} to {mp.nstr(vb, 6)} at t={b[i]:.6g})")
            simpson = (b - a) / 6 * (ra + 4 * rm + rb)
            scale = np.maximum(np.abs(rise), np.abs(simpson))
            off = ~(np.abs(rise - simpson) <= 1e-3 * scale + 1e-300) & np.isfinite(rise) & (b - a > 1e-15 * b)
        idx = np.flatnonzero(off)[:SCAN_MAX_INTERVALS // 2]
        a, b = np.concatenate([a[idx], m[idx]]), np.concatenate([m[idx], b[idx]])


def validate_schedule(schedule: NoiseSchedule) -> None:
    entry = f"noise schedule {schedule.name!r}"
    for label in ("ring_lam", "alpha", "sigma"):
        _check_expression(entry, label, getattr(schedule, label))
    _require(entry, "ring-lambda", schedule.ring_lam, lambda v: True, "real")
    _require(entry, "alpha", schedule.alpha, lambda v: v > 0, "positive")
    _require(entry, "sigma", schedule.sigma, lambda v: v > 0, "positive")
    _require(entry, "ring-lambda'", schedule.ring_lam_rate, lambda v: v > 0, "positive (ring-rho must increase)")
    # unevaluated: log's own evaluation asks SymPy whether alpha/sigma is zero, a real-root isolation that exhausted
    # 23 GB on ring-lambda = 16 log(t/(1 - t)) + 2.57 (a hypothesis example); the check is numeric anyway
    mismatch = sp.log(schedule.alpha / schedule.sigma, evaluate=False) - schedule.ring_lam
    _require(entry, "log(alpha/sigma) - ring-lambda", mismatch, lambda v: abs(v) < mp.mpf(10) ** -20, "zero")
    _scan_increasing(entry, schedule.ring_lam, schedule.ring_lam_rate)
    _scan(entry, "alpha", schedule.alpha, lambda v: v > 0, "positive")
    _scan(entry, "sigma", schedule.sigma, lambda v: v > 0, "positive")


def validate_parameterization(param: Parameterization, schedules: Iterable[NoiseSchedule]) -> None:
    for sch in schedules:
        entry = f"parameterization {param.name!r} with schedule {sch.name!r}"
        try:
            S = param.S(sch)
        except Exception as exc:  # a user callable that fails
            raise RegistryError(f"{entry}: S_t could not be built ({exc})") from None
        _check_expression(entry, "S_t", S)
        _require(entry, "S_t", S, lambda v: v > 0, "positive")
        _scan(entry, "S_t", S, lambda v: v > 0, "positive")


def validate_rate(rate: DiffusionRate, schedule: NoiseSchedule, param: Parameterization | None, interval: Interval,
                  *, strict: bool = False, where: str = "") -> None:
    """lambda'_t finite and non-negative (``strict``: positive) on a 33-point grid of the interval."""
    entry = (f"{where}: " if where else "") + f"diffusion rate {rate.name!r} ({schedule.name}" + (
        f", {param.name})" if param is not None else ")")
    try:
        expr = rate.lam_rate(schedule, param, interval)
    except Exception as exc:  # a user callable that fails
        raise RegistryError(f"{entry}: lambda'_t could not be built ({exc})") from None
    _check_expression(entry, "lambda'_t", expr)
    grid = [interval.t0 + (interval.t_max - interval.t0) * k / 32 for k in range(33)]
    if strict:
        predicate, what = (lambda v: v > 0), f"positive on [{interval.t0}, {interval.t_max}]"
    else:
        predicate, what = (lambda v: v >= 0), "non-negative"
    _require(entry, "lambda'_t", expr, predicate, what, points=grid)
    _scan(entry, "lambda'_t", expr, predicate, what, interval.t0, interval.t_max)


# ----------------------------------------------------------------------------------------------
# The registries
# ----------------------------------------------------------------------------------------------


@dataclass
class Registry:
    """Ordered name -> entry maps for the three kinds of entries."""

    schedules: dict[str, NoiseSchedule] = field(default_factory=dict)
    parameterizations: dict[str, Parameterization] = field(default_factory=dict)
    rates: dict[str, DiffusionRate] = field(default_factory=dict)
    #: (schedule, parameterization) pairs the paper (Section 6) or the literature actually uses.
    pairs: list[tuple[str, str]] = field(default_factory=list)
    #: (kind, name) -> where the entry came from: "built-in", a schedule file's path, or "python".
    origins: dict[tuple[str, str], str] = field(default_factory=dict)

    def add_schedule(self, schedule: NoiseSchedule, *, replace: bool = False, origin: str = "python") -> NoiseSchedule:
        self._check_name("noise schedule", schedule.name, self.schedules, replace)
        validate_schedule(schedule)
        for param in self.parameterizations.values():
            validate_parameterization(param, [schedule])
        self.schedules[schedule.name] = schedule
        self.origins[("schedule", schedule.name)] = origin
        return schedule

    def add_parameterization(self, param: Parameterization, *, replace: bool = False,
                             origin: str = "python") -> Parameterization:
        self._check_name("parameterization", param.name, self.parameterizations, replace)
        validate_parameterization(param, self.schedules.values())
        self.parameterizations[param.name] = param
        self.origins[("parameterization", param.name)] = origin
        return param

    def add_rate(self, rate: DiffusionRate, *, replace: bool = False, origin: str = "python") -> DiffusionRate:
        self._check_name("diffusion rate", rate.name, self.rates, replace)
        self.rates[rate.name] = rate
        self.origins[("rate", rate.name)] = origin
        return rate

    def add_pair(self, schedule: str, param: str) -> None:
        self.schedule(schedule), self.parameterization(param)
        if (schedule, param) not in self.pairs:
            self.pairs.append((schedule, param))

    @contextmanager
    def scoped(self):
        """Entries added inside the ``with`` block are removed when it ends (tests, notebooks)."""
        saved = (dict(self.schedules), dict(self.parameterizations), dict(self.rates), list(self.pairs),
                 dict(self.origins))
        try:
            yield self
        finally:
            self.schedules, self.parameterizations, self.rates, self.pairs, self.origins = saved

    def is_user(self, kind: str, name: str) -> bool:
        """Whether the entry ``name`` of ``kind`` ("schedule", "parameterization", "rate") is not built in."""
        return self.origins.get((kind, name)) != "built-in"

    def user(self, kind: str) -> list[str]:
        """Names of the entries of ``kind`` ("schedule", "parameterization", "rate") that are not built in."""
        return [n for (k, n) in self.origins if k == kind and self.is_user(k, n)]

    def covered_pairs(self) -> list[tuple[str, str]]:
        """The (schedule, parameterization) pairs the per-pair checks cover: the pairs used in practice
        (Section 6's, and those declared in schedule files), and every pair with an entry that is not built in."""
        out = list(self.pairs)
        user_s, user_p = set(self.user("schedule")), set(self.user("parameterization"))
        for s in self.schedules:
            for p in self.parameterizations:
                if (s in user_s or p in user_p) and (s, p) not in out:
                    out.append((s, p))
        return out

    @staticmethod
    def _check_name(kind: str, name: str, table: Mapping, replace: bool) -> None:
        if not isinstance(name, str) or not name.strip():
            raise RegistryError(f"{kind}: the name must be a non-empty string, got {name!r}")
        if name in table and not replace:
            raise RegistryError(f"{kind} {name!r} is already registered")

    def _lookup(self, kind: str, table: Mapping, name: str):
        try:
            return table[name]
        except KeyError:
            known = ", ".join(table) or "none"
            raise RegistryError(f"unknown {kind} {name!r}; known: {known}") from None

    def schedule(self, name: str) -> NoiseSchedule:
        return self._lookup("noise schedule", self.schedules, name)

    def parameterization(self, name: str) -> Parameterization:
        return self._lookup("parameterization", self.parameterizations, name)

    def rate(self, name: str) -> DiffusionRate:
        return self._lookup("diffusion rate", self.rates, name)


#: The process-wide registry; :mod:`derivations.builtin` fills it with the paper's entries.
REGISTRY = Registry()
