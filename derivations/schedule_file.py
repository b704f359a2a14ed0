"""Schedule files: register noise schedules, parameterizations, diffusion rates and pairs from a small TOML file.

Example (see ``examples/schedules.toml``)::

    [[schedule]]
    name = "ShiftedCos"
    ring_lambda = "log(tan(pi*t/2)) + 1/2"      # alpha, sigma default to the variance-preserving pair

    [[parameterization]]
    name = "EpsHalf"
    S = "sqrt(ring_lambda_prime) / 2"            # may use t, ring_lambda, ring_lambda_prime, alpha, sigma, ring_rho

    [[rate]]
    name = "quarter-ML"
    lambda_prime = "ring_lambda_prime / 4"

    [[pair]]                                      # a (schedule, parameterization) pair used in practice:
    schedule = "ShiftedCos"                       # the MSE-diffusion constant M (29) and rate (30) are
    parameterization = "EpsHalf"                  # checked for every pair

Expressions are parsed, never evaluated: Python's ``ast`` reads the text and a whitelist grammar
(:mod:`derivations.safe_expression`: numbers, ``t``, the section's names, ``pi``, ``E``, + - * / **, and the
functions of :data:`derivations.safe_expression.FUNCTIONS`) builds the SymPy expression node by node, so a file cannot run code; decimal
literals are read exactly as rationals (``0.008`` is 1/125).  Every problem (unknown
key, empty file, a directory, an unknown name, an expression that does not parse, an invalid entry) raises
:class:`RegistryError` with one line naming the file, the entry, the key and the reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp
from .builtin import custom_rate, vp_schedule
from .registry import (REGISTRY, DiffusionRate, Interval, NoiseSchedule, Parameterization, Registry, RegistryError,
                       validate_rate)
from .safe_expression import ExpressionError, parse_expression
from .symbols import t

#: The keys each section accepts, and the names its expressions may use besides t.
SECTIONS = {
    "schedule": ({"name", "description", "ring_lambda", "alpha", "sigma"}, ()),
    "parameterization": ({"name", "description", "S"},
                         ("ring_lambda", "ring_lambda_prime", "alpha", "sigma", "ring_rho")),
    "rate": ({"name", "description", "lambda_prime"}, ("ring_lambda", "ring_lambda_prime")),
    "pair": ({"schedule", "parameterization"}, ()),
}


@dataclass
class Loaded:
    """What one file registered: entry names per kind, in order."""

    path: str
    schedules: list = field(default_factory=list)
    parameterizations: list = field(default_factory=list)
    rates: list = field(default_factory=list)
    pairs: list = field(default_factory=list)

    def names(self) -> list[str]:
        return self.schedules + self.parameterizations + self.rates

    def record(self) -> dict:
        return {"path": self.path, "schedules": self.schedules, "parameterizations": self.parameterizations,
                "rates": self.rates, "pairs": [list(p) for p in self.pairs]}


def _parse(text, where: str, names=()) -> tuple[sp.Expr, dict]:
    """(expression, {name: placeholder}) for ``text``; placeholders stand for the section's names.

    The text is parsed against a whitelist grammar (:mod:`derivations.safe_expression`), never evaluated."""
    placeholders = {n: sp.Symbol(f"__{n}") for n in names}
    try:
        expr = parse_expression(text, {"t": t, **placeholders})
    except ExpressionError as exc:
        raise RegistryError(f"{where}: cannot parse {text!r}: {exc}") from None
    return expr, placeholders


def _entries(data: dict, section: str, path: str):
    entries = data.get(section, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RegistryError(f"{path}: [[{section}]] must be a list of tables")
    allowed, _ = SECTIONS[section]
    first: dict = {}
    for i, e in enumerate(entries):  # a name given twice in this file is this file's mistake, not a clash
        name = e.get("name")
        if isinstance(name, str) and name in first:
            raise RegistryError(f"{path}: {section} {name!r} is defined twice in {path} (entries {first[name]} and "
                                f"{i + 1} of [[{section}]])")
        first.setdefault(name, i + 1)
    for i, e in enumerate(entries):
        label = e.get("name") or e.get("schedule") or f"#{i + 1}"
        unknown = sorted(set(e) - allowed)
        if unknown:
            raise RegistryError(f"{path}: {section} {label!r}: unknown key(s) {', '.join(unknown)}; allowed: "
                                f"{', '.join(sorted(allowed))}")
        if section != "pair" and (not isinstance(e.get("name"), str) or not e["name"].strip()):
            raise RegistryError(f"{path}: [[{section}]] entry {i + 1} has no name")
        yield label, e


def _read(path: str) -> dict:
    p = Path(path)
    if p.is_dir():
        raise RegistryError(f"schedule file {path}: is a directory, not a TOML file")
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise RegistryError(f"schedule file {path}: not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"schedule file {path}: malformed TOML ({exc})") from None
    except OSError as exc:
        raise RegistryError(f"schedule file {path}: cannot be read ({exc.strerror})") from None
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise RegistryError(f"schedule file {path}: unknown section(s) {', '.join(unknown)}; allowed: "
                            f"{', '.join(f'[[{s}]]' for s in SECTIONS)}")
    if not any(data.get(s) for s in SECTIONS):
        raise RegistryError(f"schedule file {path}: no entries (expected [[schedule]], [[parameterization]], "
                            "[[rate]] or [[pair]] tables)")
    return data


def _add(add, entry, path: str) -> None:
    """Register one entry (its origin: the file); the registry's one-line error gains the file's name."""
    try:
        add(entry, origin=path)
    except RegistryError as exc:
        raise RegistryError(f"{path}: {exc}") from None


def load_schedule_file(path: str | Path, registry: Registry = REGISTRY) -> Loaded:
    """Register the entries of a TOML schedule file (validated, one-line errors); returns what was loaded."""
    path = str(path)
    data = _read(path)
    loaded = Loaded(path)
    for name, e in _entries(data, "schedule", path):
        where = f"{path}: schedule {name!r}"
        if "ring_lambda" not in e:
            raise RegistryError(f"{where}: missing key ring_lambda")
        lam, _ = _parse(e["ring_lambda"], where + " key ring_lambda")
        if ("alpha" in e) != ("sigma" in e):
            raise RegistryError(f"{where}: give both alpha and sigma, or neither (variance preserving)")
        if "alpha" in e:
            sch = NoiseSchedule(name, lam, _parse(e["alpha"], where + " key alpha")[0],
                                _parse(e["sigma"], where + " key sigma")[0], description=e.get("description", ""))
        else:
            sch = vp_schedule(name, lam, description=e.get("description", ""))
        _add(registry.add_schedule, sch, path)
        loaded.schedules.append(name)
    for name, e in _entries(data, "parameterization", path):
        where = f"{path}: parameterization {name!r}"
        if "S" not in e:
            raise RegistryError(f"{where}: missing key S")
        template, ph = _parse(e["S"], where + " key S", SECTIONS["parameterization"][1])

        def scale(sch, template=template, ph=ph):
            return template.subs({ph["ring_lambda"]: sch.ring_lam, ph["ring_lambda_prime"]: sch.ring_lam_rate,
                                  ph["alpha"]: sch.alpha, ph["sigma"]: sch.sigma, ph["ring_rho"]: sch.ring_rho})

        _add(registry.add_parameterization, Parameterization(name, scale, description=e.get("description", "")), path)
        loaded.parameterizations.append(name)
    for name, e in _entries(data, "rate", path):
        where = f"{path}: rate {name!r}"
        if "lambda_prime" not in e:
            raise RegistryError(f"{where}: missing key lambda_prime")
        template, ph = _parse(e["lambda_prime"], where + " key lambda_prime", SECTIONS["rate"][1])
        if not template.has(*ph.values()):
            rate = custom_rate(name, template, e.get("description", ""))
        else:
            rate = DiffusionRate(name, lambda sch, par, iv, tp=template, ph=ph: tp.subs(
                {ph["ring_lambda"]: sch.ring_lam, ph["ring_lambda_prime"]: sch.ring_lam_rate}),
                description=e.get("description", ""))
        noise = registry.parameterization("Noise") if "Noise" in registry.parameterizations else None
        for sch in registry.schedules.values():  # a file's rate must be positive on the default interval
            validate_rate(rate, sch, noise, Interval(), strict=True, where=path)
        _add(registry.add_rate, rate, path)
        loaded.rates.append(name)
    for label, e in _entries(data, "pair", path):
        where = f"{path}: pair {label!r}"
        for key in ("schedule", "parameterization"):
            if key not in e:
                raise RegistryError(f"{where}: missing key {key}")
        try:
            registry.add_pair(e["schedule"], e["parameterization"])
        except RegistryError as exc:
            raise RegistryError(f"{where}: {exc}") from None
        loaded.pairs.append((e["schedule"], e["parameterization"]))
    return loaded
