"""Schedule-file expressions are parsed against a whitelist, never evaluated: no known escape payload runs,
each is rejected in one line, and the grammar still reads what schedule authors write."""

import os
import subprocess
import sys

import pytest
import sympy as sp

from derivations import Registry, RegistryError
from derivations.builtin import register_builtins
from derivations.safe_expression import ExpressionError, parse_expression
from derivations.schedule_file import load_schedule_file
from derivations.symbols import t

SYMBOLS = {"t": t, "ring_lambda": sp.Symbol("L")}

#: Escape payloads: attribute chains and dunders, subscripts, lambdas, comprehensions, strings, calls of
#: builtins, keyword arguments, unpacking, walrus, f-strings, and resource bombs.  Each names a marker file.
PAYLOADS = [
    "log(t/(1-t))+0*Symbol.__new__.__globals__['__builtins__']['__import__']('os').system('touch {m}')",
    "t.__class__.__mro__[-1].__subclasses__()",
    "t.func",
    "(t).__init__.__globals__['os'].system('touch {m}')",
    "__import__('os').system('touch {m}')",
    "exec(\"open('{m}', 'w')\")",
    "eval(\"open('{m}', 'w')\")",
    "open('{m}', 'w')",
    "getattr(t, '__class__')",
    "(lambda: __import__('os').system('touch {m}'))()",
    "[__import__('os').system('touch {m}') for _ in (1,)][0]",
    "{{x for x in (1,)}}",
    "sum(x for x in (1, 2))",
    "'touch {m}'",
    "b'x'",
    "f'{{t}}'",
    "sqrt(t, evaluate=False)",
    "sqrt(*[t])",
    "(y := t)",
    "t if t else t",
    "t < 1",
    "t and t",
    "Symbol('x')",
    "Integer(1)",
    "sp.exp(t)",
    "exp.__call__(t)",
    "exp(t)[0]",
    "t[0]",
    "1j * t",
    "True + t",
    "None",
    "...",
    "t @ t",
    "t % 2",
    "t // 2",
    "~t",
    "not t",
    "t << 1",
    "10**10**10",
    "2**(10**9) * t",
    "9" * 100,
    "(" * 300 + "t" + ")" * 300,
    "x" * 3000,
    "log(t)\nimport os",
    "t; import os",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_payloads_are_rejected_and_run_nothing(payload, tmp_path, monkeypatch):
    marker = tmp_path / "PWNED"
    monkeypatch.chdir(tmp_path)
    text = payload.format(m=marker)
    with pytest.raises(ExpressionError) as err:
        parse_expression(text, SYMBOLS)
    assert "\n" not in str(err.value) and str(err.value)
    assert not marker.exists()


def test_the_reported_payload_through_a_schedule_file(tmp_path, monkeypatch):
    """Issue 16's payload, in a schedule file given to the CLI: one line, exit 2, nothing runs."""
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    path = tmp_path / "evil.toml"
    payload = PAYLOADS[0].format(m=marker)
    path.write_text(f'[[schedule]]\nname = "Evil"\nring_lambda = "{payload}"\n')
    with pytest.raises(RegistryError, match="attribute access"):
        load_schedule_file(path, registry=register_builtins(Registry()))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    proc = subprocess.run([sys.executable, "-m", "verify", "--schedules", str(path), "--only", "eq3-estimators"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Evil" in proc.stderr
    assert not marker.exists()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("log(t/(1-t))", sp.log(t / (1 - t))),
        ("0.008 + 1e-3*t", sp.Rational(1, 125) + sp.Rational(1, 1000) * t),
        ("-t**-2", -t**-2),
        ("+t - -t", 2 * t),
        ("2**-3", sp.Rational(1, 8)),
        ("sech(t)*erfinv(2*t - 1)", sp.sech(t) * sp.erfinv(2 * t - 1)),
        ("ring_lambda/2 + pi*E", sp.Symbol("L") / 2 + sp.pi * sp.E),
        ("1_000 * t", 1000 * t),
        ("2.5e2", sp.Integer(250)),
        ("  (t)  ", t),
    ],
)
def test_the_grammar_reads_what_authors_write(text, expected):
    assert sp.simplify(parse_expression(text, SYMBOLS) - expected) == 0


@pytest.mark.parametrize(
    "text, message",
    [
        ("t^2", "write powers with **"),
        ("log(t) +", "not an expression"),
        ("foo(t)", "unknown function 'foo'"),
        ("log", "log is a function: call it"),
        ("exp(t, t)", "exp() takes 1 argument, got 2"),
        ("k*t", "unknown name 'k'; allowed: t, ring_lambda, sqrt"),
        ("", "non-empty"),
    ],
)
def test_errors_name_the_problem(text, message):
    with pytest.raises(ExpressionError) as err:
        parse_expression(text, SYMBOLS)
    assert message in str(err.value)
