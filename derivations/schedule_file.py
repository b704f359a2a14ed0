"""Schedule files: register noise schedules, parameterizations and rates from a small TOML file.

Example (see ``examples/schedules.toml``)::

    [[schedule]]
    name = "ShiftedCos"
    ring_lambda = "log(tan(pi*t/2)) + 0.5"      # alpha, sigma default to the variance-preserving pair

    [[parameterization]]
    name = "EpsHalf"
    S = "sqrt(ring_lambda_prime) / 2"            # may use t, ring_lambda, ring_lambda_prime, alpha, sigma, ring_rho

    [[rate]]
    name = "quarter-ML"
    lambda_prime = "ring_lambda_prime / 4"

Expressions are parsed with SymPy's ``parse_expr`` against a fixed vocabulary; an unknown name, a
missing key or an invalid entry raises :class:`RegistryError` with one line naming the file and entry.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from .builtin import custom_rate, vp_schedule
from .registry import REGISTRY, DiffusionRate, NoiseSchedule, Parameterization, Registry, RegistryError
from .symbols import t

_FUNCS = {name: getattr(sp, name) for name in (
    "sqrt", "exp", "log", "sin", "cos", "tan", "atan", "sinh", "cosh", "tanh", "sech", "erf", "erfinv", "pi", "E",
    "Rational")}


def _parse(text, where: str, extra: dict) -> sp.Expr:
    if not isinstance(text, str):
        raise RegistryError(f"{where}: expected an expression string, got {text!r}")
    local = {"t": t, **_FUNCS, **extra}
    try:
        expr = parse_expr(text, local_dict=local, global_dict={"__builtins__": {}, **{k: getattr(sp, k) for k in (
            "Integer", "Float", "Symbol", "Rational")}}, transformations=standard_transformations)
    except Exception as exc:
        raise RegistryError(f"{where}: cannot parse {text!r} ({type(exc).__name__}: {exc})") from None
    unknown = {str(s) for s in expr.free_symbols} - {"t"} - {str(v) for v in extra.values()}
    if unknown:
        raise RegistryError(f"{where}: unknown name(s) {', '.join(sorted(unknown))} in {text!r}")
    return sp.sympify(expr)


def _entries(data: dict, key: str, path: str):
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RegistryError(f"{path}: [[{key}]] must be a list of tables")
    for i, e in enumerate(entries):
        name = e.get("name")
        if not isinstance(name, str) or not name:
            raise RegistryError(f"{path}: [[{key}]] entry {i + 1} has no name")
        yield name, e


def load_schedule_file(path: str | Path, registry: Registry = REGISTRY) -> list[str]:
    """Register the entries of a TOML schedule file; returns their names."""
    path = str(path)
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise RegistryError(f"schedule file {path}: not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"schedule file {path}: malformed TOML ({exc})") from None
    unknown = set(data) - {"schedule", "parameterization", "rate"}
    if unknown:
        raise RegistryError(f"schedule file {path}: unknown section(s) {', '.join(sorted(unknown))}")
    added = []
    for name, e in _entries(data, "schedule", path):
        where = f"{path}: schedule {name!r}"
        lam = _parse(e.get("ring_lambda"), where + " ring_lambda", {})
        if ("alpha" in e) != ("sigma" in e):
            raise RegistryError(f"{where}: give both alpha and sigma, or neither (variance preserving)")
        if "alpha" in e:
            sch = NoiseSchedule(name, lam, _parse(e["alpha"], where + " alpha", {}),
                                _parse(e["sigma"], where + " sigma", {}), description=e.get("description", ""))
        else:
            sch = vp_schedule(name, lam, description=e.get("description", ""))
        registry.add_schedule(sch)
        added.append(name)
    for name, e in _entries(data, "parameterization", path):
        where = f"{path}: parameterization {name!r}"
        text = e.get("S")
        placeholders = {k: sp.Symbol(f"__{k}") for k in
                        ("ring_lambda", "ring_lambda_prime", "alpha", "sigma", "ring_rho")}
        template = _parse(text, where + " S", placeholders) if isinstance(text, str) else _parse(text, where, {})

        def scale(sch, template=template, ph=placeholders):
            return template.subs({ph["ring_lambda"]: sch.ring_lam, ph["ring_lambda_prime"]: sch.ring_lam_rate,
                                  ph["alpha"]: sch.alpha, ph["sigma"]: sch.sigma, ph["ring_rho"]: sch.ring_rho})

        registry.add_parameterization(Parameterization(name, scale, description=e.get("description", "")))
        added.append(name)
    for name, e in _entries(data, "rate", path):
        where = f"{path}: rate {name!r}"
        ph = {k: sp.Symbol(f"__{k}") for k in ("ring_lambda", "ring_lambda_prime")}
        template = _parse(e.get("lambda_prime"), where + " lambda_prime", ph)
        if template.free_symbols - {t, *ph.values()}:
            raise RegistryError(f"{where}: unknown names in lambda_prime")
        if not template.has(*ph.values()):
            registry.add_rate(custom_rate(name, template, e.get("description", "")))
        else:
            registry.add_rate(DiffusionRate(name, lambda sch, par, iv, tp=template, ph=ph: tp.subs(
                {ph["ring_lambda"]: sch.ring_lam, ph["ring_lambda_prime"]: sch.ring_lam_rate}),
                description=e.get("description", "")))
        added.append(name)
    return added
