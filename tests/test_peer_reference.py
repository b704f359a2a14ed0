"""The project's DPM-Solver++(2M) and UniPC against diffusers' stored outputs (no ``peers`` extra needed).

tests/data/diffusers_reference.json holds diffusers' outputs on small fixed float64 cases (made by
tests/data/make_diffusers_reference.py, with the diffusers version recorded); the grids include uneven log-SNR
steps and 3-20 steps, so a step-ratio slip (h/h_prev for h_prev/h) or a wrong final-step rule changes the output
far beyond the 1e-10 tolerance (the live comparison reaches 3e-13 and 4e-12).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from derivations.registry import REGISTRY
from numerics import uds
from numerics.gaussian_mixture import GaussianMixture
from numerics.schedule_grid import Interval, schedule_grid, uds_forms

DATA = json.loads((Path(__file__).parent / "data" / "diffusers_reference.json").read_text())
#: The project method and options that diffusers' scheduler is (DPM-Solver++(2M) with diffusers' lower-order final
#: step below 15 steps; UniPC bh2 with its own lower-order final step).
PROJECT = {"dpm++2m": ("dpm++2m", {"final_order": "below15"}), "unipc": ("unipc", {})}
TOL = 1e-10


def _mixture() -> GaussianMixture:
    m = DATA["mixture"]
    f64 = dict(dtype=torch.float64)
    return GaussianMixture(torch.tensor(m["weights"], **f64), torch.tensor(m["means"], **f64),
                           variances=torch.tensor(m["variances"], **f64))


def _grid(case):
    return schedule_grid(REGISTRY.schedule(DATA["schedule"]), REGISTRY.rate(DATA["rate"]),
                         REGISTRY.parameterization(DATA["parameterization"]), Interval(), forms=uds_forms(),
                         times=case["times"], ring_lam=case["ring_lam"])


def _project(case, which):
    method, options = PROJECT[which]
    mix = _mixture()
    y0 = torch.tensor(case["y0"], dtype=torch.float64)
    return uds.sample(mix.denoise, _grid(case), y0, method, **options).y


@pytest.mark.parametrize("which", sorted(PROJECT))
@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_project_solver_equals_stored_diffusers_output(case, which):
    ref = torch.tensor(case["outputs"][which], dtype=torch.float64)
    got = _project(case, which)
    err = float((got - ref).abs().max() / ref.abs().max())
    assert err <= TOL, f"{which} on {case['name']}: relative max error {err:.3g} against diffusers " \
                       f"{DATA['made_with']['diffusers']}"


def test_the_reference_cases_can_tell_the_solvers_apart():
    """The stored cases are sharp: the two peers differ from each other and from a first-order solver by far more
    than the tolerance on the uneven grids, so agreeing with the reference is not a coincidence of easy cases."""
    uneven = [c for c in DATA["cases"] if c["grid"] == "uniform-t" and c["steps"] >= 7]
    assert uneven and DATA["made_with"]["diffusers"]
    for case in uneven:
        a = torch.tensor(case["outputs"]["dpm++2m"], dtype=torch.float64)
        b = torch.tensor(case["outputs"]["unipc"], dtype=torch.float64)
        euler = uds.sample(_mixture().denoise, _grid(case), torch.tensor(case["y0"], dtype=torch.float64), "euler").y
        assert float((a - b).abs().max()) > 1e3 * TOL * float(a.abs().max())
        assert float((euler - a).abs().max()) > 1e3 * TOL * float(a.abs().max())
