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


def test_pathwise_ratio_interval_resolves_only_what_the_starts_decide():
    """The paired bootstrap: two solvers equal path by path give the interval [1, 1] (not resolved against 1); a
    solver twice as far on every path is resolved against 1 and 1.2; one far path among many equal ones is not."""
    import torch

    g = torch.Generator().manual_seed(0)
    d2 = torch.rand(200, generator=g, dtype=torch.float64) + 0.1
    assert ud.ratio_interval(d2, d2) == (1.0, 1.0) and not ud._resolved(ud.ratio_interval(d2, d2), 1.0)
    lo, hi = ud.ratio_interval(4 * d2, d2)
    assert abs(lo - 2) < 1e-12 and abs(hi - 2) < 1e-12 and ud._resolved((lo, hi), ud.UNIPC_FACTOR)
    one_far = d2.clone()
    one_far[0] += 60.0  # one path in another component: the rms ratio is large, the interval spans 1.2
    lo, hi = ud.ratio_interval(one_far, d2)
    assert lo < ud.UNIPC_FACTOR < hi and not ud._resolved((lo, hi), ud.UNIPC_FACTOR)
    assert ud.ratio_interval(None, d2) != ud.ratio_interval(None, d2)  # nan: a non-finite run is never resolved


def test_goal_summary_counts_resolved_pathwise_misses(tiny):
    table = ud.default_sweep(size="tiny", mixtures=tiny, grids=("uniform-logsnr",))
    summary = ud.goal_summary(ud.default_goals(table))["pathwise"]
    assert "missed_resolved" in summary and set(summary["missed_resolved"]) <= set(summary["missed"])
    assert summary["resolved_cells"] <= summary["cells"]
