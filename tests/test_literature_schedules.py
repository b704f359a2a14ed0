"""Schedules from the literature (examples/literature_schedules.toml), as a schedule author writes them: they load,
keep their float64 digits where the suite can keep them, report the digits their own expression loses, and never
make a claim fail.  The SymPy budgets that keep every check finishing are tested here too."""

import time

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from derivations import REGISTRY, Registry, numeric
from derivations.budget import bounded, simplify_bounded, time_budget, BudgetExceeded
from derivations.builtin import register_builtins
from derivations.registry import upper_branch
from derivations.schedule_file import load_schedule_file
from derivations.symbols import t
from verify.ledger import ACCEPTING, Verdict

FILE = "examples/literature_schedules.toml"
SCHEDULES = ["iDDPM-cosine", "SD-scaled-linear", "SD3-shift3", "VP-linear", "sigmoid-start-3", "EDM-lognormal",
             "shifted-cosine-64-512"]


def _mp_rel(expr, x):
    with mp.workdps(40):
        ref = numeric(expr, "mpmath")(mp.mpf(x))
        ref = ref.real if isinstance(ref, mp.mpc) else ref
        return float(abs((mp.mpf(float(numeric(expr, "numpy")(np.float64(x)))) - ref) / ref))


def test_the_literature_file_loads_every_entry():
    reg = register_builtins(Registry())
    loaded = load_schedule_file(FILE, registry=reg)
    assert loaded.schedules == SCHEDULES
    assert loaded.parameterizations == ["soft-min-SNR-5"] and loaded.rates == ["third-ML"]
    assert ("SD-scaled-linear", "soft-min-SNR-5") in reg.pairs


def test_a_factor_one_minus_t_that_sympy_distributes_keeps_its_digits():
    """SymPy turns 0.00085*(1 - t) into 17/20000 - 17 t/20000; the u = 1 - t form restores the digits near t = 1."""
    lam = -sp.log(sp.exp(sp.Rational(17, 20000) * (1 - t) + 2 * (1 - t) ** 2) - 1) / 2
    assert upper_branch(lam) is not None
    for x in (1 - 1e-6, 1 - 1e-9, 1 - 1e-12):
        assert _mp_rel(lam, x) < 1e-13, x
    # the t-form is kept where it is as good (the paper's Normal schedule: no u-form chosen)
    assert upper_branch(REGISTRY.schedule("Normal").ring_lam) is None


def test_endpoints_reports_a_users_cancellation_instead_of_failing():
    """iDDPM's cosine written as 1 - cos^2 loses ~12 digits at 1 - t = 1e-11 in float64: reported (where, how
    many, the rewrite), the claim's mathematics still checked; a paper entry keeps the strict limit."""
    from verify.claims import convergence as cv

    forms = cv._endpoint_printed()
    with REGISTRY.scoped():
        load_schedule_file(FILE)
        study = cv.endpoint_study(forms, "iDDPM-cosine")
        note = study["float64 conditioning (your expression as written)"]
        assert study["ok"] and note["digits lost"] > 6 and "cancellation" in note["cause"]
        assert float(study["float64_vs_mpmath_max_rel"]) > cv.FLOAT64_LIMIT
    strict = cv.endpoint_study(forms, "Logis")
    assert strict["ok"] and "float64_vs_mpmath_max_rel" in strict["limits"]


def test_the_float64_limit_still_fails_a_paper_entry(monkeypatch):
    from verify.claims import convergence as cv

    monkeypatch.setattr(cv, "FLOAT64_LIMIT", 1e-17)
    assert not cv.endpoint_study(cv._endpoint_printed(), "Logis")["ok"]


def test_budgets_stop_a_stalled_call_and_restore_an_outer_one():
    value, done = bounded(lambda: time.sleep(5) or "late", 0.2, "fallback")
    assert (value, done) == ("fallback", False)
    assert bounded(lambda: 42, 5.0, None) == (42, True)
    with pytest.raises(BudgetExceeded):
        with time_budget(0.6):
            assert bounded(lambda: 1, 0.1, None) == (1, True)   # an inner budget leaves the outer one running
            time.sleep(2)


def test_simplify_is_not_given_a_large_expression():
    big = sp.Add(*[sp.exp(k * t) / (1 + t ** k) for k in range(1, 40)])
    assert simplify_bounded(big) is big
    assert simplify_bounded(sp.sin(t) ** 2 + sp.cos(t) ** 2) == 1


@pytest.mark.slow
def test_the_claims_of_issue_16_finish_and_do_not_fail_on_the_literature_file(tmp_path):
    """kg-weights, prop3, eq29-m, endpoints, uds-orders and a Proposition 2 ladder with the seven literature
    schedules: each finishes within its own time limit with an accepting verdict or an erratum."""
    import json
    import subprocess
    import sys

    out = tmp_path / "lit.json"
    proc = subprocess.run([sys.executable, "-m", "verify", "--schedules", FILE, "--only", "kg-weights", "--only",
                           "prop3", "--only", "eq29-m", "--only", "endpoints", "--only", "uds-orders", "--only",
                           "prop2-SD-scaled-linear", "--json", str(out)], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    verdicts = {c["id"]: c["verdict"] for c in json.loads(out.read_text())["claims"]}
    assert all(v in {x.value for x in ACCEPTING} | {Verdict.ERRATUM.value} for v in verdicts.values()), verdicts


def test_a_pre_asymptotic_user_ladder_is_inconclusive_and_a_longer_one_decides(tmp_path, monkeypatch):
    """SD3's shift is pre-asymptotic for AB3 at N = 32..128: without room to extend the ladder the claim cannot
    decide (inconclusive, never failed); with the default cap the ladder extends and the order converges."""
    from verify.claims import uds_torch

    path = tmp_path / "sd3.toml"
    path.write_text('[[schedule]]\nname = "SD3-shift3"\nring_lambda = "log(t/(1 - t)) - log(3)"\n'
                    'alpha = "t/(3 - 2*t)"\nsigma = "3*(1 - t)/(3 - 2*t)"\n')
    forms = uds_torch.printed_uds_forms()
    with REGISTRY.scoped():
        load_schedule_file(path)
        decided = uds_torch._orders_check(forms)
        assert decided.verdict is Verdict.CONFIRMED, decided.notes
        assert len(decided.evidence["orders"]["SD3-shift3/ab3"]["ladder_N"]) > 3   # it had to extend
        monkeypatch.setattr(uds_torch, "ORDER_LADDER_CAP", 128)
        undecided = uds_torch._orders_check(forms)
    assert undecided.verdict is Verdict.INCONCLUSIVE and "SD3-shift3/ab3" in undecided.notes
