"""The default-method sweep of uds-vs-peers (verify/claims/uds_default.py): goals for the fixed default."""

from __future__ import annotations

import pytest

from numerics import uds, uds_methods
from numerics.gaussian_mixture import GaussianMixture
from verify.claims import uds_default as ud


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(ud.SIZES, "tiny", {"n": 200, "n_path": 64, "nfes": (10, 20)})
    monkeypatch.setattr(ud, "REF_STEPS", 128)
    return {"d2": GaussianMixture.random(4, 2, seed=3)}


def test_default_sweep_reports_goals_for_the_fixed_default(tiny):
    table = ud.default_sweep(size="tiny", mixtures=tiny, grids=("uniform-logsnr", "karras"))
    goals = ud.default_goals(table)
    assert set(goals["pathwise"]) == {f"d2/{g}/{n}" for g in ("uniform-logsnr", "karras") for n in (10, 20)}
    for rec in goals["pathwise"].values():
        assert rec["default"] > 0 and rec["met"] == (rec["le_dpm"] and rec["le_1.2_unipc"])
    summary = ud.goal_summary(goals)
    assert summary["pathwise"]["cells"] == 4 and "resolved_cells" in summary["fd"]


def test_a_broken_default_misses_the_goals(tiny):
    """A sampler whose "auto" returns its start unchanged must miss every goal cell by the pathwise error."""
    def broken(den, grid, y0, method, **kw):
        if method == "auto":
            return uds.SampleResult(y0.clone(), grid.n_steps)
        return uds.sample(den, grid, y0, method, **kw)

    table = ud.default_sweep(size="tiny", mixtures=tiny, grids=("uniform-logsnr",), sampler=broken)
    summary = ud.goal_summary(ud.default_goals(table))
    assert summary["pathwise"]["both"] == 0 and len(summary["pathwise"]["missed"]) == 2


def test_auto_runs_the_documented_method():
    assert ud.DEFAULT_RUNS == uds_methods.DEFAULT_METHOD == uds_methods.get("auto").name
