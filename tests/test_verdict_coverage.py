"""Which default-command test computes each expected verdict (issue 23, item 6).

The symbolic claims (``EXPECTED``) are computed by ``tests/test_verdicts.py::test_expected_verdict``.  The numerical
claims below are either computed here, at their default inputs, or listed in :data:`NOT_COMPUTED` with the reason
(their cost) and where their check is exercised on smaller inputs; the slow full-run test
(``tests/test_readme.py::test_readme_agrees_with_a_full_run``) computes every verdict of the ledger.
"""

from __future__ import annotations

import pytest

from test_verdicts import EXPECTED, NUMERIC_EXPECTED, expected_ledger
from verify.ledger import CLAIMS, run_claim

#: Numerical claims computed at their default inputs in the default command (each under ~15 s on one core of the
#: 2-core machine: the main job's per-claim times, 1c7da9d).
COMPUTED = ("eq40", "prop2", *(f"prop2-{s}" for s in ("Normal", "Logis", "Sech", "SechInter", "DDPM-linear")),
            "prop1", "eq18-eq19", "eq12", "endpoints", "uds-ddpm-numeric", "uds-ddim-numeric", "uds-orders",
            "uds-weak-order", "fig1-sizes", "sota-rates",
            *(f"sota-rates-{m}" for m in ("EDM2", "EDM", "DiT", "SiT", "REPA", "REPA-E", "RAE", "LightningDiT", "SD3",
                                          "SiD2", "PixArt", "SiD")))

#: Claims whose default-size check costs 26-57 s (the main job's times on 2 cores, 1c7da9d): the default command
#: exercises their checks on smaller inputs (named), and the slow full run computes their verdicts.
NOT_COMPUTED = {
    "uds-distribution": "FD/SW against a sampling floor at the default batch, 30 s; tests/test_uds.py and "
                        "test_every_claim_perturbed.py run its check on smaller inputs",
    "uds-vs-peers": "the peer table, order ladders and the default-method sweep, 57 s; tests/test_uds_peers.py and "
                    "tests/test_uds_default.py run small tables",
    "table1-analog": "the Table 1 analog's samples and floors, 53 s; tests/test_section6.py and "
                     "test_every_claim_perturbed.py judge synthetic tables with its rules",
    "mechanism-trained": "trains 2 x 3 networks, 26 s; tests/test_trained.py runs a tiny training, a zero-step and a "
                         "swapped-weighting run",
}


def test_every_expected_verdict_is_computed_or_listed_with_its_reason():
    symbolic, numeric = set(EXPECTED), set(NUMERIC_EXPECTED)
    assert set(COMPUTED) <= numeric and set(NOT_COMPUTED) <= numeric and not set(COMPUTED) & set(NOT_COMPUTED)
    assert numeric == set(COMPUTED) | set(NOT_COMPUTED), sorted(numeric - set(COMPUTED) - set(NOT_COMPUTED))
    assert symbolic | numeric == set(CLAIMS)
    assert all(len(why) > 20 for why in NOT_COMPUTED.values())


@pytest.mark.parametrize("cid", COMPUTED)
def test_numerical_claim_has_its_expected_verdict(cid):
    out = run_claim(CLAIMS[cid])
    assert out.verdict.value == expected_ledger()[cid], (cid, out.notes)
