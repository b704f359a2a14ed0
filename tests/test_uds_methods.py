"""The UDS method registry (numerics.uds_methods): tableaus validate themselves, records are consistent, every
method reaches its own declared order, the NFE rule is one function, aliases resolve."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from derivations import REGISTRY
from derivations.registry import Interval
from numerics import uds, uds_methods, uds_orders
from numerics.gaussian_mixture import GaussianMixture
from numerics.schedule_grid import schedule_grid, uds_forms
from numerics.uds_methods import Tableau, UDSMethod

# ------------------------------------------------------------------------------------------------
# Tableau validation (as diffrax's ButcherTableau)
# ------------------------------------------------------------------------------------------------

BAD_TABLEAUS = {
    "row sum differs from c": (((0.0, 0.5), ((), (0.4,)), (0.0, 1.0)), "sum_j a_ij"),
    "b does not sum to 1": (((0.0, 0.5), ((), (0.5,)), (0.5, 0.4)), "sum_i b_i"),
    "c_0 not 0": (((0.1, 0.5), ((), (0.5,)), (0.0, 1.0)), "c_0"),
    "not strictly lower triangular": (((0.0, 0.5), ((0.0,), (0.5,)), (0.0, 1.0)), "strictly lower triangular"),
    "lengths disagree": (((0.0, 0.5, 1.0), ((), (0.5,)), (0.0, 1.0)), "lengths disagree"),
    "empty": (((), (), ()), "no stages"),
    "not finite": (((0.0, math.nan), ((), (math.nan,)), (0.0, 1.0)), "finite"),
}


@pytest.mark.parametrize("case", list(BAD_TABLEAUS))
def test_bad_tableau_is_refused_in_one_line(case):
    (c, a, b), words = BAD_TABLEAUS[case]
    with pytest.raises(ValueError) as exc:
        Tableau("bad", c, a, b)
    msg = str(exc.value)
    assert "\n" not in msg and "'bad'" in msg and words in msg, msg


@pytest.mark.parametrize("method", [m for m in uds_methods.METHODS if m.tableau is not None], ids=lambda m: m.name)
def test_registered_tableaus_are_consistent(method):
    t = method.tableau
    assert Tableau(t.name, t.c, t.a, t.b) == t  # re-validates
    assert method.evals_per_step == t.stages


def test_inconsistent_records_are_refused():
    rk4 = uds_methods.get("rk4")
    for change, words in ((dict(evals_per_step=3), "stages"), (dict(tableau=None), "needs a tableau"),
                          (dict(family="spline"), "family"), (dict(order=0), "order"),
                          (dict(flow_only=True), "flow-only")):
        with pytest.raises(ValueError, match=words):
            dataclasses.replace(rk4, **change)
    with pytest.raises(ValueError, match="multistep_order"):
        dataclasses.replace(uds_methods.get("ms2"), multistep_order=None)
    with pytest.raises(ValueError, match="history shift"):  # a history shift needs a corrector
        dataclasses.replace(uds_methods.get("ms2"), history_shift=True)


# ------------------------------------------------------------------------------------------------
# Names, aliases, steps_for
# ------------------------------------------------------------------------------------------------


def _setup(rate="flow", n=6):
    mix = GaussianMixture.random(3, 2, seed=1)
    grid = schedule_grid(REGISTRY.schedule("Logis"), REGISTRY.rate(rate), REGISTRY.parameterization("Vel"),
                         Interval(), n)
    y0 = mix.sample_noisy(16, grid.ring_lam[0], torch.Generator().manual_seed(0))
    return mix, grid, y0


@pytest.mark.parametrize("alias", [a for m in uds_methods.METHODS for a in m.aliases])
def test_alias_runs_its_method(alias):
    mix, grid, y0 = _setup()
    rec = uds_methods.get(alias)
    a = uds.sample(mix.denoise, grid, y0, alias)
    b = uds.sample(mix.denoise, grid, y0, rec.name)
    c = uds.sample(mix.denoise, grid, y0, alias.upper())
    assert a.nfe == rec.nfe(grid.n_steps) and torch.equal(a.y, b.y) and torch.equal(a.y, c.y)


def test_kutta3_is_rk3():
    assert uds_methods.get("kutta3") is uds_methods.get("rk3") and uds.check_method("Kutta3") == "kutta3"


@pytest.mark.parametrize("name", uds_methods.names())
def test_steps_for_matches_the_nfe_a_run_uses(name):
    """steps_for(method, nfe) steps use at most nfe evaluations, and one more step would exceed them."""
    rec = uds_methods.get(name)
    rate = "flow" if rec.flow_only or rec.order is not None else "ML"
    for nfe in (10, 20):
        n = uds_methods.steps_for(name, nfe)
        mix, grid, y0 = _setup(rate, n)
        res = uds.sample(mix.denoise, grid, y0, name, generator=torch.Generator().manual_seed(1))
        assert res.nfe == rec.nfe(n) <= nfe < rec.nfe(n + 1), (name, nfe, n, res.nfe)


@pytest.mark.parametrize("bad", ["nope", 0, 2.5, "ten"])
def test_steps_for_refuses_unknown_methods_and_bad_budgets(bad):
    with pytest.raises(ValueError) as exc:
        if isinstance(bad, str) and bad == "nope":
            uds_methods.steps_for(bad, 10)
        else:
            uds_methods.steps_for("heun", bad)
    assert "\n" not in str(exc.value)


def test_claim_memberships_are_registry_filters():
    from verify.claims import uds_peers as up
    from verify.claims import uds_torch as ut

    assert ut.ORDER_METHODS == uds_methods.names("uds-orders")
    assert {m for _, m in ut.DIST_METHODS} == set(uds_methods.names("uds-distribution"))
    assert set(up.UDS_SOLVERS) | set(up.PEERS) == set(uds_methods.names("uds-vs-peers"))
    assert all(uds_methods.get(m).peer for m in up.PEERS)


# ------------------------------------------------------------------------------------------------
# One order test over the registry: each method against its own declared order
# ------------------------------------------------------------------------------------------------

ORDER_LADDER = (32, 64, 128)
#: The measured (last-pair) order must reach the declared one within this slack, and may exceed it by at most one
#: order plus this slack (the midpoint rule is third order on this linear problem).
ORDER_SLACK = 0.15


def reaches_declared(declared: int, measured: float) -> bool:
    return math.isfinite(measured) and declared - ORDER_SLACK <= measured <= declared + 1 + ORDER_SLACK


@pytest.fixture(scope="module")
def measured_orders():
    with_order = uds_methods.names()
    torch.set_num_threads(1)
    return uds_orders.flow_orders(uds_forms(), methods=[m for m in with_order if uds_methods.declared_order(m)],
                                  schedules=("Logis",), ladder=ORDER_LADDER)


@pytest.mark.parametrize("method", [m for m in uds_methods.METHODS if m.order is not None], ids=lambda m: m.name)
def test_every_method_reaches_its_declared_flow_order(method, measured_orders):
    r = measured_orders[("Logis", method.name)]
    assert reaches_declared(method.order, r["order"]), (method.name, method.order, r)


def test_order_criterion_rejects_a_misdeclared_method(measured_orders):
    """Euler declared second order, RK4 declared fifth or second: the same criterion refuses them."""
    assert not reaches_declared(2, measured_orders[("Logis", "euler")]["order"])
    assert not reaches_declared(5, measured_orders[("Logis", "rk4")]["order"])
    assert not reaches_declared(2, measured_orders[("Logis", "rk4")]["order"])


# ------------------------------------------------------------------------------------------------
# A new Runge-Kutta method is one tableau and one record
# ------------------------------------------------------------------------------------------------


def test_a_new_tableau_record_runs_through_sample():
    """A record built here (Ralston's tableau under another name) runs as the generic 'rk' with its tableau."""
    rec = UDSMethod("ralston-copy", "runge-kutta", 2, 2, "test", tableau=uds_methods.RALSTON)
    mix, grid, y0 = _setup()
    a = uds.sample(mix.denoise, grid, y0, "ralston")
    b = uds.sample(mix.denoise, grid, y0, "rk", tableau=rec.tableau)
    assert torch.equal(a.y, b.y) and a.nfe == b.nfe == rec.nfe(grid.n_steps)
