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


def test_peer_goal_counts_count_each_peer_as_the_default():
    """UniPC as the default meets a cell when UniPC <= DPM-Solver++(2M) (the better final-step rule); DPM-Solver++(2M)
    when it is within 1.2x UniPC; counted per metric and NFE."""
    rows = {"default": {10: 1.0, 20: 1.0}, "dpm++2m": {10: 2.0, 20: 1.0}, "dpm++2m/below15": {10: 1.5, 20: 3.0},
            "unipc": {10: 1.4, 20: 0.5}}
    table = {"pathwise": {"m/g": rows}, "fd": {"m/g": rows}}
    counts = ud.peer_goal_counts(table)
    # NFE 10: unipc 1.4 <= min(2, 1.5) yes; dpm 1.5 <= 1.68 yes.  NFE 20: unipc 0.5 <= 1 yes; dpm 1 <= 0.6 no.
    assert counts["pathwise"] == counts["fd"] == {"cells": 2, "unipc": 2, "dpm++2m": 1}


def test_the_validation_family_renders_beside_the_chosen_one():
    gp = {"cells": 2, "le_dpm++2m": 2, "le_1.2x_unipc": 1, "both": 1, "missed": {"a/b/10": "1.3x UniPC"},
          "missed_resolved": ["a/b/10"], "resolved_cells": 1}
    gf = {"cells": 2, "le_dpm++2m": 2, "le_1.2x_unipc": 2, "both": 2, "missed": {}, "resolved_cells": 0}
    peers = {"pathwise": {"cells": 2, "unipc": 1, "dpm++2m": 0}, "fd": {"cells": 2, "unipc": 2, "dpm++2m": 1}}
    ev = {"method": {"description": "pc2-lsh"}, "setup": {"goal_nfes": [10, 20], "mixtures": ["a"]},
          "goals_pathwise": gp, "goals_fd": gf, "peers_as_default": peers,
          "validation": {"mixtures": ["v"], "goals_pathwise": gp, "goals_fd": gf, "peers_as_default": peers}}
    text = "\n".join(ud.render_default(ev))
    assert "| chosen on: a | pathwise error | 2 | 1 | 1 of 2" in text and "| 1 | 0 |" in text
    assert "| validation (out of sample): v | FD |" in text and "on the validation family: a/b/10" in text
    assert "validation" not in "\n".join(ud.render_default({k: v for k, v in ev.items() if k != "validation"}))
