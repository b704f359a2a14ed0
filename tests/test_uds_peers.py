"""The uds-vs-peers claim (verify.claims.uds_peers): the table, the goals, the orders, and that it can fail."""

from __future__ import annotations

import math

import pytest
import torch

from numerics import uds, uds_methods
from numerics.gaussian_mixture import GaussianMixture
from numerics.schedule_grid import BETA_KEY, Q_KEY, uds_forms
from verify.claims import uds_peers as up
from verify.ledger import CLAIMS, Verdict

SMALL = dict(batch=2000, nfes=(10, 63), data={"d2-K8": up.peer_mixtures()["d2-K8"]}, with_diffusers=False,
             default_size="tiny")


@pytest.fixture(scope="module")
def small_outcome():
    """One small run of the claim (d = 2, K = 8, batch 2000, NFE 10 and 63), shared by the layout tests."""
    return up.peers_check(uds_forms(), **SMALL)


def _perturbed(key, how):
    forms = uds_forms()
    forms[key] = {"scale by 2": 2 * forms[key], "flip sign": -forms[key]}[how]
    return forms


def test_registered_with_printed_forms():
    claim = CLAIMS["uds-vs-peers"]
    assert claim.method == "torch" and set(claim.printed()) == {Q_KEY, BETA_KEY}
    assert claim.mutable_keys == (Q_KEY,)


def test_small_check_confirmed_and_evidence_layout(small_outcome):
    out = small_outcome
    assert out.verdict == Verdict.CONFIRMED, out.evidence["problems"]
    fd = out.evidence["fd"]
    assert set(fd["d2-K8"]) == set(up.GRIDS)
    for grid in up.GRIDS:
        for solver in ("flow/euler", "flow/heun", "flow/rk4", "flow/ms2", "flow/ms3", "flow/pc2", "flow/pc3",
                       "flow/dpm++2m", "MSE/pc2"):
            assert set(fd["d2-K8"][grid][solver]) == {"10", "63"}
    assert set(out.evidence["goals"]) == {"best_uds_le_dpm++2m", "best_uds_within_1.2x_unipc",
                                          "stochastic_within_2x_flow_at_20"}
    assert "goals of the issue not met" in out.notes
    default = out.evidence["default_method"]  # the fixed default's goals (issue 21)
    assert default["goals_pathwise"]["cells"] == 1 and set(default["pathwise"]) == {"d2-K8/uniform-logsnr"}
    assert set(default["pathwise"]["d2-K8/uniform-logsnr"]) >= {"default", "dpm++2m", "unipc"}
    assert "default method (auto), goals at NFE 10/20" in out.evidence["headline"]
    val = default["validation"]  # the out-of-sample family: its own goal table, and each peer's as the default
    assert val["goals_pathwise"]["cells"] == 1 and set(val["pathwise"]) == {"d1-K3/uniform-logsnr"}
    assert set(val["peers_as_default"]["pathwise"]) == {"cells", "unipc", "dpm++2m"}
    assert "validation family (out of sample)" in " ".join(out.evidence["headline"])
    assert set(out.evidence["weak_orders_large_step"]) == {f"{r}/{m}" for r in ("ML", "MSE") for m in up.LARGE_STEP}


def test_goals_are_judged_cell_by_cell():
    table = {"stochastic_rate": "MSE", "fd": {"D": {"G": {
        "flow/ms2": {10: 1.0, 20: 0.5}, "flow/dpm++2m": {10: 2.0, 20: 0.4}, "MSE/ms2": {10: 3.0, 20: 1.5},
        "flow/unipc": {10: 0.9, 20: 0.5}}}}}
    g = up.goals(table)
    assert g["best_uds_le_dpm++2m"]["D/G/10"]["met"] and not g["best_uds_le_dpm++2m"]["D/G/20"]["met"]
    assert g["best_uds_within_1.2x_unipc"]["D/G/10"]["met"] and g["best_uds_within_1.2x_unipc"]["D/G/20"]["met"]
    assert not g["stochastic_within_2x_flow_at_20"]["D/G/20"]["met"]  # 1.5 > 2 x 0.5
    assert g["best_uds_within_1.2x_unipc"]["D/G/10"]["best"] == "flow/ms2"  # the peers are never "the best UDS"


def test_goals_say_when_fd_cannot_rank_and_judge_pathwise():
    """Both FDs at or below an exact set's FD: unresolved; the pathwise error (no sampling noise) judges again."""
    table = {"stochastic_rate": None, "floor": {"D": {"fd_exact_set_vs_moments": 1.0}},
             "fd": {"D": {"G": {"flow/pc2": {10: 0.5, 20: 3.0}, "flow/unipc": {10: 0.9, 20: 4.0}}}},
             "pathwise": {"D": {"G": {"flow/pc2": {10: 0.3, 20: 0.1}, "flow/unipc": {10: 0.2, 20: 0.2}}}}}
    cells = up.goals(table)["best_uds_within_1.2x_unipc"]
    assert cells["D/G/10"]["met"] and not cells["D/G/10"]["fd_resolved"]
    assert not cells["D/G/10"]["pathwise"]["met"]  # 0.3 > 1.2 x 0.2
    assert cells["D/G/20"]["fd_resolved"] and cells["D/G/20"]["pathwise"]["met"]


def test_rms_difference_is_the_pathwise_error():
    y = torch.zeros(4, 3, dtype=torch.float64)
    ref = torch.tensor([[3.0, 4.0, 0.0]] * 4, dtype=torch.float64)
    assert up.rms_difference(y, ref) == pytest.approx(5.0, rel=1e-15)


def test_renderer_shows_the_peer_table_and_figure(small_outcome, tmp_path):
    out = small_outcome

    class Rec:
        evidence = out.evidence
        verdict = out.verdict.value

    lines, figures = up._render_peers(Rec(), tmp_path)
    text = "\n".join(lines)
    assert "| flow/unipc |" in text and "pathwise @ 10" in text and "Goal `best_uds_within_1.2x_unipc`" in text
    (path,) = figures.values()  # the distances against NFE, with the noise floor (tests/test_rendering.py)
    assert path.exists() and path.stat().st_size > 1000
    assert "headline" in out.evidence and "pathwise_reference" in out.evidence


@pytest.mark.parametrize("how", ["scale by 2"])
def test_perturbed_q_fails(how):
    out = up.peers_check(_perturbed(Q_KEY, how), ladder=(16, 32, 64), **SMALL)
    assert out.verdict == Verdict.FAILED
    assert out.evidence["problems"]


@pytest.mark.parametrize("method", ["pc3", "unipc"])
def test_broken_solver_fails(method):
    """A sampler that silently returns its input (the old 'rk3' bug), for a UDS method or a peer, is caught."""
    def broken(den, grid, y0, name, **kw):
        if name == method:
            return uds.SampleResult(y0.clone(), 0)
        return uds.sample(den, grid, y0, name, **kw)

    out = up.peers_check(uds_forms(), sampler=broken, ladder=(16, 32, 64), **SMALL)
    assert out.verdict == Verdict.FAILED
    assert any(method in p for p in out.evidence["problems"])


def test_small_check_measures_unipc_without_diffusers(small_outcome):
    out = small_outcome
    fd = out.evidence["fd"]["d2-K8"]["uniform-t"]
    assert "flow/unipc" in fd and "flow/unipc" in out.evidence["pathwise"]["d2-K8"]["uniform-t"]
    assert set(out.evidence["goals"]["best_uds_within_1.2x_unipc"]) == {f"d2-K8/{g}/10" for g in up.GRIDS}
    for schedule in ("Logis", "Sech"):  # the project's UniPC keeps its order 2 (first-order final step)
        row = out.evidence["flow_orders"][f"{schedule}/unipc"]
        assert row["declared"] == 2 and row["accepted"] and float(row["ls_order"]) > 1.8


def test_broken_reference_fails():
    """A reference that has not converged (RK4 that returns a perturbed flow map at 512 steps) is caught."""
    def broken(den, grid, y0, method, **kw):
        res = uds.sample(den, grid, y0, method, **kw)
        if method == "rk4" and grid.n_steps == up.REF_STEPS:
            return uds.SampleResult(res.y + 1e-3, res.nfe)
        return res

    out = up.peers_check(uds_forms(), sampler=broken, ladder=(16, 32, 64), **SMALL)
    assert out.verdict == Verdict.FAILED
    assert any("RK4 reference of the flow map moved" in p for p in out.evidence["problems"])


def test_variance_propagation_is_exact_for_euler():
    """variance_after (batched superposition) equals the step-by-step recursion P <- A^2 P + B^2 of uds-weak-order."""
    from verify.claims.uds_torch import step_affine_map

    mix = GaussianMixture([1.0], [[0.5, -1.0, 2.0]], variances=[[0.25, 1.0, 4.0]])
    grid = up.make_grid("uniform-t", "ML", 12, uds_forms())
    P = mix.eigvals[0] + torch.exp(-2 * grid.ring_lam[0])
    for i in range(12):
        A, B = step_affine_map(grid, i, "euler", mix)
        P = A * A * P + B * B
    assert torch.allclose(up.variance_after(grid, "euler", mix), P, rtol=1e-12)


def test_orders_of_new_methods():
    res = up.flow_orders(uds_forms(), schedules=("Sech",), ladder=(32, 64, 128))
    for (_, m), r in res.items():
        assert r["ls_order"] >= uds_methods.declared_order(m) - up.ORDER_SLACK, (m, r)
    weak = up.weak_orders(uds_forms(), rates=("MSE",), methods=("ms2", "pc2"), ladder=(32, 64, 128))
    for (_, m), r in weak.items():
        assert r["ls_order"] >= uds_methods.weak_order(m) - up.ORDER_SLACK and r["errors"][-1] < 5e-2, (m, r)


def test_diffusers_absent_is_reported():
    if up.diffusers_module() is not None:
        pytest.skip("diffusers is installed")
    with pytest.raises(RuntimeError, match="not installed"):
        up.diffusers_sample(None, None, torch.zeros(1, 1), "unipc")


@pytest.mark.skipif(up.diffusers_module() is None, reason="needs diffusers (pip install -e '.[peers]')")
def test_project_dpm_solver_matches_diffusers_float64():
    agree = up.diffusers_agreement(uds_forms(), n_steps=(10, 20))
    for cell, v in agree.items():
        assert v["dpm++2m_vs_diffusers_midpoint"] <= 1e-10, (cell, v)
        assert v["ms2_vs_diffusers_heun"] <= 1e-10, (cell, v)  # derivations.uds_multistep.relations
        assert v["unipc_vs_diffusers_unipc"] <= 1e-10, (cell, v)  # derivations.uds_multistep.unipc_bh2_weights


@pytest.mark.slow
def test_claim_default_tier():
    out = CLAIMS["uds-vs-peers"].evaluate()
    assert out.verdict == Verdict.CONFIRMED, out.evidence["problems"]
    assert all(math.isfinite(float(v)) for v in out.evidence["noise_floor"]["d8-K4"].values())
