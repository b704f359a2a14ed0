"""UDS solvers (numerics.uds), the schedule grid (numerics.schedule_grid) and the uds_torch claims."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch

from derivations import REGISTRY
from derivations.builtin import custom_rate
from derivations.registry import Interval
from derivations.section3_diffusion import kappa
from derivations.symbols import ring_rho_s, ring_rho_t, t
from numerics import uds, uds_methods
from numerics.gaussian_mixture import GaussianMixture
from numerics.schedule_grid import BETA_KEY, Q_KEY, LambdaIntegral, lambda_integral, schedule_grid, uds_forms
from verify.claims import uds_torch as ut
from verify.ledger import CLAIMS, Verdict

PAR = REGISTRY.parameterization("Vel")
IV = Interval()


def _perturbed(key, how):
    forms = uds_forms()
    forms[key] = {"scale by 2": 2 * forms[key], "flip sign": -forms[key],
                  "swap": forms[key].xreplace({ring_rho_s: ring_rho_t, ring_rho_t: ring_rho_s})}[how]
    return forms


# ------------------------------------------------------------------------------------------------
# Grid
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", list(REGISTRY.schedules))
def test_grid_ml_and_flow_coefficients(schedule):
    sch = REGISTRY.schedule(schedule)
    ml = schedule_grid(sch, REGISTRY.rate("ML"), PAR, IV, 20)
    ratio = torch.exp(ml.ring_lam[:-1] - ml.ring_lam[1:])
    assert torch.allclose(ml.q, ratio**2, rtol=1e-12)  # ML: rho ~ ring-rho, q = (ring-rho_s/ring-rho_t)^2
    assert torch.allclose(ml.beta, torch.sqrt(1 - ratio**2) / ml.ring_rho[1:], rtol=1e-12)
    fl = schedule_grid(sch, REGISTRY.rate("flow"), PAR, IV, 20)
    assert torch.allclose(fl.q, ratio, rtol=1e-12) and (fl.beta == 0).all()
    assert fl.times.dtype == torch.float64


def test_grid_forms_come_from_uds_coefficients():
    forms = uds_forms()
    assert sp.simplify(forms[Q_KEY] - kappa * ring_rho_s / ring_rho_t) == 0
    assert sp.simplify(forms[BETA_KEY] - sp.sqrt(1 - kappa**2) / ring_rho_t) == 0


def test_lambda_routes_agree():
    """A closed-form antiderivative (REPA, 1/(2t)) and mpmath quadrature give the same rho_s/rho_t."""
    sch, rate = REGISTRY.schedule("Logis"), REGISTRY.rate("REPA")
    route = lambda_integral(sch, rate, PAR, IV)
    assert route.kind == "closed"
    closed = schedule_grid(sch, rate, PAR, IV, 16, route=route)
    quad = schedule_grid(sch, rate, PAR, IV, 16, route=LambdaIntegral("quad", rate=route.rate))
    assert torch.allclose(closed.rho_ratio, quad.rho_ratio, rtol=1e-13)
    expected = np.sqrt(closed.times[:-1].numpy() / closed.times[1:].numpy())
    assert np.allclose(closed.rho_ratio.numpy(), expected, rtol=1e-13)
    assert lambda_integral(sch, REGISTRY.rate("penalized(c=1)"), PAR, IV).kind == "proportional"
    assert lambda_integral(sch, REGISTRY.rate("MSE"), PAR, IV).kind == "quad"


def test_custom_rate_and_stage_inverse_map():
    sch = REGISTRY.schedule("Sech")
    rate = custom_rate("test-rate", 1 + sp.Rational(1, 2) * t)
    grid = schedule_grid(sch, rate, PAR, IV, 8)
    # the inverse map log r -> ring-lambda reproduces the grid nodes
    assert torch.allclose(grid.ring_lam_at_log_r(grid.log_r[1:-1]), grid.ring_lam[1:-1], atol=1e-6)
    assert torch.allclose(grid.rho_ratio, torch.exp(-torch.diff(grid.times + grid.times**2 / 4)), rtol=1e-12)


# ------------------------------------------------------------------------------------------------
# Solvers
# ------------------------------------------------------------------------------------------------


def _setup(rate="MSE", n=12, schedule="Logis"):
    mix = GaussianMixture.random(4, 3, seed=1)
    grid = schedule_grid(REGISTRY.schedule(schedule), REGISTRY.rate(rate), PAR, IV, n)
    y0 = mix.sample_noisy(32, grid.ring_lam[0], torch.Generator().manual_seed(0))
    return mix, grid, y0


@pytest.mark.parametrize("rate", ["ML", "MSE", "flow"])
def test_heun_tableau_equals_heun_formula(rate):
    """The RK tableau in UDS form with the Heun tableau is (15) (stage noise at c = 1 is beta xi*)."""
    mix, grid, y = _setup(rate)
    xi = None if grid.is_flow else torch.randn(y.shape, dtype=torch.float64)
    for i in (0, 5, 11):
        a, _ = uds.heun_step(grid, i, y, mix.denoise, xi)
        b, _ = uds.rk_step(grid, i, y, mix.denoise, uds.HEUN, xi)
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-12)
        c, _ = uds.rk_step(grid, i, y, mix.denoise, uds.EULER, xi)
        d = uds.euler_step(grid, i, y, mix.denoise(y, grid.ring_lam[i]), xi)
        assert torch.allclose(c, d, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("rate", list(REGISTRY.rates))
@pytest.mark.parametrize("method", ["euler", "heun", "rk4", "ab2", "ab3"])
def test_every_registered_rate_samples(rate, method):
    mix, grid, y = _setup(rate, n=5, schedule="Sech")
    res = uds.sample(mix.denoise, grid, y, method, generator=torch.Generator().manual_seed(2))
    assert torch.isfinite(res.y).all() and res.y.shape == y.shape


def test_dpm_solver_first_step_is_ddim():
    mix, grid, y = _setup("flow")
    a = uds.sample(mix.denoise, schedule_grid(grid.schedule, grid.rate, PAR, IV, 1), y, "dpm++2m").y
    b = uds.sample(mix.denoise, schedule_grid(grid.schedule, grid.rate, PAR, IV, 1), y, "ddim").y
    assert torch.allclose(a, b, rtol=1e-12, atol=1e-12)


def test_sampler_ddpm_equals_euler_ml_with_same_noise():
    mix, grid, y = _setup("ML")
    a = uds.sample(mix.denoise, grid, y, "euler", generator=torch.Generator().manual_seed(5)).y
    b = uds.sample(mix.denoise, grid, y, "ddpm", generator=torch.Generator().manual_seed(5)).y
    assert (a - b).abs().max() < 1e-12 * (1 + b.abs().max())


def test_adams_weights_exact_for_polynomials():
    nodes, q = [0.3, 0.12, 0.05], 0.3  # r_s/r_t = 0.3, older nodes further back
    w = uds.adams_weights(nodes, q)
    x = (np.asarray(nodes) - q) / (1 - q)
    for k in range(3):
        assert abs(np.dot(w, x**k) - 1 / (k + 1)) < 1e-12


def test_trajectory_only_when_asked_and_nfe():
    mix, grid, y = _setup("MSE", n=6)
    res = uds.sample(mix.denoise, grid, y, "rk4", generator=torch.Generator().manual_seed(1))
    assert res.trajectory is None and res.nfe == 24 and torch.isfinite(res.y).all()
    res = uds.sample(mix.denoise, grid, y, "ab3", return_trajectory=True, generator=torch.Generator().manual_seed(1))
    assert len(res.trajectory) == 7 and res.nfe == 7


@pytest.mark.parametrize("method", uds_methods.names("uds-orders"))
def test_float32_sampling_close_to_float64(method):
    mix, grid, y = _setup("flow", n=10)
    a = uds.sample(mix.denoise, grid, y, method).y
    b = uds.sample(mix.to(dtype=torch.float32).denoise, grid, y.float(), method).y
    assert b.dtype == torch.float32
    assert (a - b.double()).abs().max() < 1e-3 * (1 + a.abs().max())


def test_unknown_method_and_ode_only_methods():
    mix, grid, y = _setup("MSE", n=2)
    with pytest.raises(ValueError):
        uds.sample(mix.denoise, grid, y, "nope")
    with pytest.raises(ValueError):
        uds.sample(mix.denoise, grid, y, "dpm++2m")


# The orders of every method, each against its declared order: tests/test_uds_methods.py (one test over the registry).


def test_exact_gaussian_flow_map_symbolic():
    assert ut.gaussian_flow_map_symbolic()


# ------------------------------------------------------------------------------------------------
# Claims: accepted as printed, perturbed forms rejected
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cid", ["uds-ddpm-numeric", "uds-ddim-numeric"])
def test_equivalence_claims(cid):
    claim = CLAIMS[cid]
    assert claim.evaluate().verdict == Verdict.CONFIRMED
    for how in ("scale by 2", "swap"):
        assert claim.evaluate(_perturbed(Q_KEY, how)).verdict == Verdict.FAILED
    if cid == "uds-ddpm-numeric":
        for how in ("scale by 2", "flip sign"):
            assert claim.evaluate(_perturbed(BETA_KEY, how)).verdict == Verdict.FAILED


@pytest.mark.slow
def test_orders_claim_rejects_perturbed_q():
    out = CLAIMS["uds-orders"].evaluate(_perturbed(Q_KEY, "scale by 2"))
    assert out.verdict == Verdict.FAILED


@pytest.mark.parametrize("how", ["swap", "scale by 2", "flip sign"])
def test_orders_check_rejects_perturbed_q_fast(how):
    res = ut.flow_orders(_perturbed(Q_KEY, how), schedules=("Logis",), ladder=(16, 32), methods=("euler", "rk4"))
    for r in res.values():
        assert not (math.isfinite(r["order"]) and abs(r["order"] - 1) <= 0.1)
        assert not (math.isfinite(r["order"]) and abs(r["order"] - 4) <= 0.1)


@pytest.mark.slow
def test_orders_claim_confirmed():
    assert CLAIMS["uds-orders"].evaluate().verdict == Verdict.CONFIRMED


def test_weak_order_claim():
    out = CLAIMS["uds-weak-order"].evaluate()
    assert out.verdict == Verdict.CONFIRMED, out.evidence


@pytest.mark.parametrize("key,how", [(BETA_KEY, "scale by 2"), (Q_KEY, "flip sign"), (Q_KEY, "swap")])
def test_weak_order_rejects_perturbed_forms_fast(key, how):
    errs = ut.weak_errors(_perturbed(key, how), rate_name="ML", methods=("euler",), ladder=(16, 32))["euler"]
    order = math.log2(errs[0] / errs[1]) if errs[1] > 0 else float("inf")
    assert not (math.isfinite(errs[-1]) and errs[-1] < 5e-2 and abs(order - 1) <= 0.1)


@pytest.mark.slow
def test_weak_order_claim_rejects_perturbed_beta():
    assert CLAIMS["uds-weak-order"].evaluate(_perturbed(BETA_KEY, "scale by 2")).verdict == Verdict.FAILED


def test_distribution_check_small():
    # the claim's criterion needs every rate of DIST_RATES (flow, MSE, ML); fewer replicates and a smaller top NFE
    methods = (("flow", "heun"), ("flow", "dpm++2m"), ("MSE", "euler"), ("ML", "euler"))
    kw = dict(batch=4000, nfes=(20, 63), methods=methods, replicates=3, criterion_nfe=127)
    out = ut._distribution_check(uds_forms(), **kw)
    assert out.verdict == Verdict.CONFIRMED, out.evidence
    for how in ("scale by 2", "flip sign", "swap"):
        assert ut._distribution_check(_perturbed(Q_KEY, how), **kw).verdict == Verdict.FAILED


@pytest.mark.slow
def test_distribution_claim_default_tier():
    assert CLAIMS["uds-distribution"].evaluate().verdict == Verdict.CONFIRMED


@pytest.mark.gpu
def test_cuda_sampling_matches_cpu():
    mix, grid, y = _setup("flow", n=8)
    gpu_grid = schedule_grid(grid.schedule, grid.rate, PAR, IV, 8, device="cuda")
    a = uds.sample(mix.to(device="cuda").denoise, gpu_grid, y.cuda(), "rk4").y.cpu()
    b = uds.sample(mix.denoise, grid, y, "rk4").y
    assert torch.allclose(a, b, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------------------------------------
# Method names: rk3 (was a silent no-op), unknown names
# ------------------------------------------------------------------------------------------------


def test_rk3_runs_kutta_tableau():
    mix, grid, y = _setup("flow", n=6)
    a = uds.sample(mix.denoise, grid, y, "rk3")
    b = uds.sample(mix.denoise, grid, y, "rk", tableau=uds.RK3)
    c = uds.sample(mix.denoise, grid, y, "Kutta3")
    assert a.nfe == 18 and not torch.equal(a.y, y)
    assert torch.equal(a.y, b.y) and torch.equal(a.y, c.y)


@pytest.mark.parametrize("method", uds_methods.names())
def test_every_method_name_does_work(method):
    """No method name may return its input unchanged with nfe = 0 (the old 'rk3' bug)."""
    mix, grid, y = _setup("flow", n=4)
    res = uds.sample(mix.denoise, grid, y, method)
    assert res.nfe >= 4 and not torch.equal(res.y, y) and torch.isfinite(res.y).all()


@pytest.mark.parametrize("name", ["nope", "rk5", "RK", "dpm++3m", ""])
def test_unknown_method_one_line_error_lists_valid_names(name):
    mix, grid, y = _setup("flow", n=2)
    with pytest.raises(ValueError) as exc:
        uds.sample(mix.denoise, grid, y, name, tableau=None)
    msg = str(exc.value)
    assert "\n" not in msg
    if name.lower() != "rk":
        assert "unknown UDS method" in msg and all(m in msg for m in uds_methods.names())
