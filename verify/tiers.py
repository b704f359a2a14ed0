"""Tiers by cost: ``--quick``, the default and ``--full`` (one place every claim reads its tier from).

The command line sets the tier once (:data:`TIER_ENV`, read in the workers too); a claim reads it with
:func:`current` and takes what the tier changes (samples, ladder length, digits) from its own tier table,
``Claim.tiers`` ({tier: {setting: value}}), with :func:`setting`.  A tier a table does not name falls back to the
default tier's settings, so a claim with no table runs the same check in every tier.

A lower tier may use shorter ladders and smaller batches, never a weaker criterion: each claim keeps its power to
fail in every tier (its mutation test runs in the default tier), and an empirical statement the tier's precision
cannot decide is ``inconclusive``, naming the tier that would decide it (:func:`deciding_tier`).
"""

from __future__ import annotations

import os
from typing import Any, Mapping

TIERS = ("quick", "default", "full")
#: Set by the command line (``--quick``/``--full``); read by the claims, in the workers too.
TIER_ENV = "FBD_VERIFY_TIER"
#: The older switch for the full tier (still honoured: the notebooks and some claims set it).
FULL_ENV = "FBD_VERIFY_FULL"

WHAT = {
    "quick": "every symbolic claim; short ladders and small numerics (a first look: 22 s on 2 idle cores, 80 s "
             "before issue 20's speed-ups)",
    "default": "every claim at the precision the ledger's verdicts are stated at",
    "full": "the long ladders, big batches and large empirical runs",
}


def current() -> str:
    """The run's tier: FBD_VERIFY_TIER when set, else ``full`` under FBD_VERIFY_FULL=1, else ``default``."""
    name = os.environ.get(TIER_ENV, "").strip()
    if name:
        if name not in TIERS:
            raise ValueError(f"{TIER_ENV}={name!r}: a tier is one of {', '.join(TIERS)}")
        return name
    return "full" if os.environ.get(FULL_ENV, "") not in ("", "0") else "default"


def set_tier(name: str) -> None:
    """Make ``name`` the run's tier (this process and the workers it forks)."""
    if name not in TIERS:
        raise ValueError(f"unknown tier {name!r}; one of {', '.join(TIERS)}")
    os.environ[TIER_ENV] = name
    if name == "full":
        os.environ[FULL_ENV] = "1"
    else:
        os.environ.pop(FULL_ENV, None)


def is_full() -> bool:
    return current() == "full"


def settings(table: Mapping[str, Mapping[str, Any]] | None, tier: str | None = None) -> dict[str, Any]:
    """The settings ``table`` gives ``tier`` (default: the run's): the default tier's, updated by the tier's own."""
    tier = tier or current()
    if not table:
        return {}
    unknown = set(table) - set(TIERS)
    if unknown:
        raise ValueError(f"a tier table names unknown tiers {sorted(unknown)}; tiers are {', '.join(TIERS)}")
    out = dict(table.get("default", {}))
    out.update(table.get(tier, {}))
    return out


def setting(table: Mapping[str, Mapping[str, Any]] | None, name: str, tier: str | None = None) -> Any:
    """One setting of ``table`` for ``tier`` (default: the run's tier); KeyError naming it when absent."""
    values = settings(table, tier)
    if name not in values:
        raise KeyError(f"the tier table has no setting {name!r} for tier {tier or current()!r}")
    return values[name]


def deciding_tier(tier: str | None = None) -> str:
    """The tier to ask for when this one cannot decide an empirical statement (the next one up; at ``full``,
    a device or a larger run)."""
    tier = tier or current()
    return {"quick": "the default tier", "default": "--full"}.get(tier, "a larger run than --full (a GPU: --device cuda)")
