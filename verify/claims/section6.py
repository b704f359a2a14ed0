"""Ledger entries for Section 6 (experiment): registered so the ledger lists every claim of CLAIMS.md,
with the verdict ``skipped`` until the Section 6 reproduction (Figure 1, a Table 1 analog) lands.

Nothing here is checked yet; the notes say what the check will establish.
"""

from __future__ import annotations

from ..ledger import Claim, Outcome, Verdict, register

SEC = "6"

_PENDING = {
    "fig1-sizes": ("Figure 1: MSE-diffusion sizes near zero for SOTA configurations (<1% late, EDM2 ~5%)",
                   "diffusion sizes beta_{t-dt,t} of ML and MSE diffusions on each SOTA model's grid"),
    "sota-rates": ("Section 6: the stated generators of DiT, SiT/REPA, RAE, LightningDiT, SD3, EDM/EDM2, SiD2",
                   "each model's public sampler mapped to lambda'_t (e.g. SiT/REPA lambda' = 1/(2t))"),
    "table1-analog": ("Table 1 analog: Flow ~ MSE-diffusion, ML worse, Heun beats Euler at 63 and 255 NFE",
                      "Gaussian-mixture data with exact denoisers, Frechet distance per generator and NFE"),
}


def _pending(what: str):
    def check(forms):
        return Outcome(Verdict.SKIPPED, "torch", forms, None, None, {"planned_check": what},
                       "not implemented yet: part of the Section 6 reproduction on the roadmap")

    return check


for _cid, (_title, _what) in _PENDING.items():
    register(Claim(_cid, SEC, _title, (), "torch", lambda: {}, custom=_pending(_what)))
