"""Write tests/data/diffusers_reference.json: diffusers' DPM-Solver++(2M) and UniPC outputs on small fixed cases.

The default test command compares the project's ``dpm++2m`` and ``unipc`` with these stored outputs
(tests/test_peer_reference.py), so an outside implementation checks them without the ``peers`` extra; the live
comparison (``uds-vs-peers``, tests/test_uds_peers.py) stays under ``pip install -e '.[peers]'``.

Each case stores everything the comparison needs, in float64: the mixture (weights, means, variances), the grid's
nodes (t and ring-lambda: the flow on Logis with the Vel parameterization, as uds-vs-peers), the start y0, and
diffusers' outputs driven by the mixture's exact denoiser.  Regenerate (needs diffusers) with

    python tests/data/make_diffusers_reference.py
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("diffusers_reference.json")

#: (name, grid kind, steps): uneven log-SNR steps (uniform t on Logis), a uniform log-SNR grid, and 3-7 steps so
#: that the final-step rule (below 15 steps: first order) and the step-ratio terms are both exercised.
CASES = (("uniform-t-10", "uniform-t", 10), ("uniform-logsnr-10", "uniform-logsnr", 10),
         ("uniform-t-7", "uniform-t", 7), ("uniform-logsnr-3", "uniform-logsnr", 3), ("uniform-t-20", "uniform-t", 20))


def main() -> None:
    import diffusers

    from numerics.gaussian_mixture import GaussianMixture
    from numerics.schedule_grid import uds_forms
    from verify.claims import uds_peers as up

    torch.set_default_dtype(torch.float64)
    mix = GaussianMixture.random(4, 3, seed=7, spread=1.5, scale=(0.3, 1.1))
    forms = uds_forms()
    cases = []
    for name, kind, n in CASES:
        grid = up.make_grid(kind, "flow", n, forms)
        y0 = mix.sample_noisy(8, grid.ring_lam[0], torch.Generator().manual_seed(n))
        outputs = {which: up.diffusers_sample(mix.denoise, grid, y0, which, lower_order_final=True).tolist()
                   for which in ("dpm++2m", "unipc")}
        cases.append({"name": name, "grid": kind, "steps": n, "times": grid.times.tolist(),
                      "ring_lam": grid.ring_lam.tolist(), "y0": y0.tolist(), "outputs": outputs})
    data = {"what": "diffusers' DPMSolverMultistepScheduler (dpmsolver++, order 2, midpoint, lower_order_final) and "
                    "UniPCMultistepScheduler (bh2, order 2, lower_order_final), prediction_type='sample', driven by "
                    "the exact denoiser of the mixture below, float64, on the flow (Logis, Vel) grids below",
            "made_with": {"diffusers": diffusers.__version__, "torch": torch.__version__, "numpy": np.__version__,
                          "python": platform.python_version()},
            "schedule": up.SCHEDULE, "parameterization": up.PARAM, "rate": "flow",
            "mixture": {"weights": mix.weights.tolist(), "means": mix.means.tolist(),
                        "variances": mix.eigvals.tolist()},
            "cases": cases}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases, diffusers {diffusers.__version__})")


if __name__ == "__main__":
    main()
