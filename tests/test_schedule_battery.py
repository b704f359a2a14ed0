"""A schedule file's entries reach the battery: randomly generated valid schedules of a few families pass the
per-schedule and per-pair checks; randomly corrupted ones are rejected with the documented one-line error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from derivations import REGISTRY, RegistryError
from derivations.schedule_file import load_schedule_file
from verify.ledger import ACCEPTING, CLAIMS, Verdict

#: Families of valid log-SNR functions ring-lambda(t) (variance preserving alpha, sigma), with parameters a, b.
FAMILIES = {
    "shifted logistic": "log(t/(1-t)) + {a}",
    "shifted cosine": "log(tan(pi*t/2)) + {a}",
    "scaled normal quantile": "{b}*sqrt(2)*erfinv(2*t - 1) + {a}",
}
#: Corruptions and the start of the one-line error they must give.
CORRUPTIONS = {
    "decreasing": ("-({expr})", "ring-lambda' is not positive (ring-rho must increase)"),
    "unknown name": ("({expr}) + k", "unknown name 'k'"),
    "pole inside (0, 1)": ("({expr}) + tan(pi*(t - 0.05))", "ring-lambda is not increasing: a pole at t~0.55"),
    "narrow decreasing stretch": ("({expr}) - tanh(1e7*(t - 0.5312345))", "ring-lambda is not increasing"),
    "does not parse": ("({expr}) +", "cannot parse"),
}
#: The per-schedule checks every random example runs; the per-pair ones (M of (29), the MSE rate (30)), which
#: maximise on every pair of the new schedule at 50 digits, run on one example.
BATTERY = ("param-noise", "param-data", "param-sigmoid")
PAIR_BATTERY = ("eq29-m", "prop3")
QUICK = dict(deadline=None, derandomize=True, phases=(Phase.explicit, Phase.generate),
             suppress_health_check=[HealthCheck.function_scoped_fixture])


def _file(tmp_path, name, expr, pair=True):
    text = f'[[schedule]]\nname = "{name}"\nring_lambda = "{expr}"\n'
    if pair:
        text += f'\n[[pair]]\nschedule = "{name}"\nparameterization = "Noise"\n'
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def _run_battery(battery=BATTERY):
    out = {}
    for cid in battery:
        CLAIMS[cid].reset_cache()
        out[cid] = CLAIMS[cid].evaluate()
        CLAIMS[cid].reset_cache()
    return out


params = st.tuples(st.sampled_from(sorted(FAMILIES)), st.sampled_from(["-1", "0", "1/2", "1.5"]),
                   st.sampled_from(["1/2", "1", "2"]))


def _check(outcomes, name):
    for cid, out in outcomes.items():
        assert out.verdict in ACCEPTING + (Verdict.ERRATUM,), (name, cid, out.notes)
        assert name in str(out.evidence) + str(list(out.printed)), (cid, "the new schedule is not covered")


@settings(max_examples=4, **QUICK)
@given(p=params)
def test_random_valid_schedules_pass_the_battery(tmp_path, p):
    family, a, b = p
    expr = FAMILIES[family].format(a=a, b=b)
    with REGISTRY.scoped():
        loaded = load_schedule_file(_file(tmp_path, "Rand", expr))
        assert loaded.schedules == ["Rand"] and ("Rand", "Noise") in REGISTRY.covered_pairs()
        _check(_run_battery(), "Rand")
    assert "Rand" not in REGISTRY.schedules  # the scope removed it


def test_a_file_schedule_reaches_the_per_pair_checks(tmp_path):
    with REGISTRY.scoped():
        load_schedule_file(_file(tmp_path, "Shifted", FAMILIES["shifted cosine"].format(a="3/2", b="1")))
        _check(_run_battery(PAIR_BATTERY), "Shifted")


@settings(max_examples=6, **QUICK)
@given(p=params, corruption=st.sampled_from(sorted(CORRUPTIONS)))
def test_random_corrupted_schedules_are_rejected(tmp_path, p, corruption):
    family, a, b = p
    template, message = CORRUPTIONS[corruption]
    path = _file(tmp_path, "Bad", template.format(expr=FAMILIES[family].format(a=a, b=b)), pair=False)
    with REGISTRY.scoped(), pytest.raises(RegistryError) as err:
        load_schedule_file(path)
    text = str(err.value)
    assert message in text and str(path) in text and "'Bad'" in text and "\n" not in text
