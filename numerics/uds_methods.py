"""The UDS sampler methods: one frozen record per method (issue 22).

Everything the project knows about a sampler method lives in its :class:`UDSMethod` record in :data:`METHODS`:
its name and aliases, declared global order for the flow, weak order under the diffusions (where declared),
denoiser evaluations per step (and the extra evaluations of a start-up), its family and what the family needs
(a Runge-Kutta tableau; the order of an exponential multistep method in log r and its corrector), whether it is
an ODE (flow-only) solver, the default order of its final step, and which claims of the ledger run it.
:func:`numerics.uds.sample` dispatches on the family, the claims and tests filter :data:`METHODS`
(:func:`members`) instead of listing names, and :func:`steps_for` is the one rule from an NFE budget to a number
of steps.

Families:

* ``"runge-kutta"``: an explicit tableau (c, A, b) applied in UDS form (:func:`numerics.uds.rk_step`); the Euler
  and Heun tableaus run through their memory-lean forms (14), (15), the same values.
* ``"multistep"``: the exponential multistep UDS in x = log r of order ``multistep_order`` (weights from
  :mod:`derivations.uds_multistep`), with or without a corrector, exact or UniPC's (bh2) weights.
* ``"native"``: a method with its own step in :func:`numerics.uds.sample` (Adams-Bashforth in r, DPM-Solver++(2M),
  DDPM, DDIM).

Adding a Runge-Kutta method is one :class:`Tableau` and one record (see ``RALSTON``/"ralston" below).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: The method families :func:`numerics.uds.sample` dispatches on.
FAMILIES = ("runge-kutta", "multistep", "native")
#: Tolerance of the tableau's consistency conditions (sum_j a_ij = c_i, sum_i b_i = 1), as diffrax's allclose.
TABLEAU_TOL = 1e-12


@dataclass(frozen=True)
class Tableau:
    """An explicit Runge-Kutta tableau (c, A strictly lower triangular, b), validated on construction as diffrax's
    ``ButcherTableau``: ``a[i]`` has i entries (row 0 empty), c_0 = 0, sum_j a_ij = c_i, sum_i b_i = 1, every
    coefficient finite; otherwise a one-line ValueError naming the tableau and the condition."""

    name: str
    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]

    def __post_init__(self):
        def bad(why: str):
            raise ValueError(f"Runge-Kutta tableau {self.name!r}: {why}")

        c, a, b = tuple(self.c), tuple(tuple(row) for row in self.a), tuple(self.b)
        object.__setattr__(self, "c", c)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        if not b:
            bad("no stages (b is empty)")
        if not (len(c) == len(a) == len(b)):
            bad(f"lengths disagree: c has {len(c)}, a has {len(a)} rows, b has {len(b)}")
        for i, row in enumerate(a):
            if len(row) != i:
                bad(f"a is not strictly lower triangular: row {i} has {len(row)} entries, expected {i}")
        values = [*c, *b, *(x for row in a for x in row)]
        if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in values):
            bad("every coefficient must be a finite number")
        if c[0] != 0:
            bad(f"c_0 must be 0 (an explicit method starts at s), got {c[0]!r}")
        for i, row in enumerate(a):
            if abs(math.fsum(row) - c[i]) > TABLEAU_TOL:
                bad(f"row {i}: sum_j a_ij = {math.fsum(row)!r} differs from c_{i} = {c[i]!r}")
        if abs(math.fsum(b) - 1) > TABLEAU_TOL:
            bad(f"sum_i b_i = {math.fsum(b)!r}, must be 1 (consistency)")

    @property
    def stages(self) -> int:
        return len(self.b)


EULER = Tableau("Euler", (0.0,), ((),), (1.0,))
HEUN = Tableau("Heun", (0.0, 1.0), ((), (1.0,)), (0.5, 0.5))
MIDPOINT = Tableau("midpoint", (0.0, 0.5), ((), (0.5,)), (0.0, 1.0))
RALSTON = Tableau("Ralston", (0.0, 2 / 3), ((), (2 / 3,)), (0.25, 0.75))
RK3 = Tableau("Kutta3", (0.0, 0.5, 1.0), ((), (0.5,), (-1.0, 2.0)), (1 / 6, 2 / 3, 1 / 6))
RK4 = Tableau("RK4", (0.0, 0.5, 0.5, 1.0), ((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)), (1 / 6, 1 / 3, 1 / 3, 1 / 6))


@dataclass(frozen=True)
class UDSMethod:
    """One sampler method.  ``order``: declared global order for the flow (with the method's own start-up and
    default final step; None for a diffusion sampler that does not solve the flow's ODE, DDPM); ``weak_order``: declared weak order of the final variance under the ML- and MSE-diffusions
    (None: not declared, not judged there); ``evals_per_step`` and ``startup_evals``: NFE = evals_per_step * steps +
    startup_evals; ``claims``: the ledger claims that run the method; ``peer``: the published sampler the method
    reproduces (DPM-Solver++(2M), UniPC), if any.  ``large_step_weights``: a multistep method with the
    order-preserving large-step weights (derivations.uds_large_step, every rate); ``same_order_corrector``: its
    corrector keeps the predictor's order (AM<k> after AB<k>) instead of one more; ``history_shift``: the next step's
    history value is the fresh value moved by kappa times the corrector's displacement (kappa =
    derivations.uds_large_step.HISTORY_SHIFT; the order is kept)."""

    name: str
    family: str
    order: int | None
    evals_per_step: int
    description: str
    aliases: tuple[str, ...] = ()
    weak_order: int | None = None
    startup_evals: int = 0
    tableau: Tableau | None = None
    multistep_order: int | None = None
    corrector: bool = False
    bh2_weights: bool = False
    large_step_weights: bool = False
    same_order_corrector: bool = False
    history_shift: bool = False
    flow_only: bool = False
    default_final_order: int | str | None = None
    claims: frozenset[str] = field(default_factory=frozenset)
    peer: str | None = None
    label: str = ""  # the name in titles and tables (default: the tableau's name, else the method name)

    def __post_init__(self):
        def bad(why: str):
            raise ValueError(f"UDS method {self.name!r}: {why}")

        object.__setattr__(self, "claims", frozenset(self.claims))
        if not self.label:
            object.__setattr__(self, "label", self.tableau.name if self.tableau is not None else self.name)
        if self.name != self.name.lower() or any(a != a.lower() for a in self.aliases):
            bad("names and aliases are lower case")
        if self.family not in FAMILIES:
            bad(f"family {self.family!r} is not one of {', '.join(FAMILIES)}")
        if self.order is not None and not (isinstance(self.order, int) and self.order >= 1):
            bad(f"declared order must be None or an integer >= 1, got {self.order!r}")
        if self.weak_order is not None and not (isinstance(self.weak_order, int) and self.weak_order >= 1):
            bad(f"weak order must be None or an integer >= 1, got {self.weak_order!r}")
        if not (isinstance(self.evals_per_step, int) and self.evals_per_step >= 1) or self.startup_evals < 0:
            bad("evaluations per step must be >= 1 and start-up evaluations >= 0")
        if self.family == "runge-kutta":
            if self.tableau is None:
                bad("a Runge-Kutta method needs a tableau")
            if self.evals_per_step != self.tableau.stages:
                bad(f"{self.evals_per_step} evaluations per step but its tableau has {self.tableau.stages} stages")
        elif self.tableau is not None:
            bad(f"only a Runge-Kutta method has a tableau (family {self.family!r})")
        if self.multistep_order is not None and not (isinstance(self.multistep_order, int)
                                                     and self.multistep_order >= 1):
            bad(f"multistep_order must be None or an integer >= 1, got {self.multistep_order!r}")
        if self.family == "multistep":
            if not (isinstance(self.multistep_order, int) and self.multistep_order >= 1):
                bad("a multistep method needs multistep_order >= 1")
            if self.evals_per_step != 1:
                bad("a multistep method makes one evaluation per step")
        if self.bh2_weights and not (self.family == "multistep" and self.flow_only):
            bad("UniPC's (bh2) weights are for a flow-only multistep method")
        if self.large_step_weights and (self.family != "multistep" or self.bh2_weights):
            bad("the large-step weights are for a multistep method without UniPC's weights")
        if self.same_order_corrector and not (self.family == "multistep" and self.corrector):
            bad("a same-order corrector needs a multistep method with a corrector")
        if self.history_shift and not (self.family == "multistep" and self.corrector):
            bad("a history shift needs a multistep method with a corrector")
        if self.weak_order is not None and self.flow_only:
            bad("a flow-only method has no weak order under the diffusions")

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def nfe(self, steps: int) -> int:
        """Denoiser evaluations of a run of ``steps`` steps."""
        return self.evals_per_step * steps + self.startup_evals

    def steps_for(self, nfe: int) -> int:
        """The most steps whose run uses at most ``nfe`` evaluations (at least one step)."""
        if not (isinstance(nfe, int) and nfe >= 1):
            raise ValueError(f"an NFE budget must be an integer >= 1, got {nfe!r}")
        return max(1, (nfe - self.startup_evals) // self.evals_per_step)


def _rk(name, tableau, order, weak, description, claims=(), aliases=()):
    return UDSMethod(name, "runge-kutta", order, tableau.stages, description, aliases=aliases, weak_order=weak,
                     tableau=tableau, claims=frozenset(claims))


_ORDERS, _WEAK, _DIST, _PEERS = "uds-orders", "uds-weak-order", "uds-distribution", "uds-vs-peers"

#: Every method, in the order the claims and tables list them.  Weak orders: Euler 1; every tableau of order >= 2
#: is weakly second order for the diffusions (its stage noise is the bridge mean; tests/test_value_checks.py).
METHODS: tuple[UDSMethod, ...] = (
    _rk("euler", EULER, 1, 1, "EulerUDS (14)", (_ORDERS, _WEAK, _DIST, _PEERS)),
    _rk("heun", HEUN, 2, 2, "HeunUDS (15)", (_ORDERS, _WEAK, _DIST, _PEERS)),
    _rk("rk4", RK4, 4, 2, "classical RK4 in UDS form", (_ORDERS, _DIST, _PEERS)),
    _rk("rk3", RK3, 3, 2, "Kutta's third-order tableau in UDS form", aliases=("kutta3",)),
    _rk("midpoint", MIDPOINT, 2, 2, "explicit midpoint rule in UDS form"),
    _rk("ralston", RALSTON, 2, 2, "Ralston's second-order tableau in UDS form"),
    UDSMethod("ab2", "native", 2, 1, "Adams-Bashforth k = 2 in r (variable-step weights)", label="AB2",
              multistep_order=2, weak_order=2, claims=frozenset({_ORDERS, _DIST})),
    UDSMethod("ab3", "native", 3, 1, "Adams-Bashforth k = 3 in r, Heun start-up (one extra evaluation)", label="AB3",
              multistep_order=3, weak_order=2, startup_evals=1, claims=frozenset({_ORDERS, _DIST})),
    UDSMethod("dpm++2m", "native", 2, 1, "DPM-Solver++(2M) (Lu et al. 2022), data prediction", flow_only=True,
              default_final_order=1, claims=frozenset({_DIST, _PEERS}), peer="DPM-Solver++(2M)"),
    UDSMethod("ddpm", "native", None, 1, "DDPM ancestral step in z-space (the ML-diffusion's sampler: one step is "
              "EulerUDS (14) for ML, uds-ddpm-numeric); no flow order (it does not solve the flow's ODE)", weak_order=1),
    UDSMethod("ddim", "native", 1, 1, "DDIM step (eta = 0) in z-space", flow_only=True),
    UDSMethod("ms2", "multistep", 2, 1, "exponential multistep UDS in log r, order 2", weak_order=2,
              multistep_order=2, default_final_order=1, claims=frozenset({_PEERS})),
    UDSMethod("ms3", "multistep", 3, 1, "exponential multistep UDS in log r, order 3", weak_order=2,
              multistep_order=3, default_final_order="auto", claims=frozenset({_PEERS})),
    UDSMethod("pc2", "multistep", 3, 1, "order-2 predictor in log r with a corrector (no extra evaluation)",
              weak_order=2, multistep_order=2, corrector=True, default_final_order="auto",
              claims=frozenset({_PEERS})),
    UDSMethod("pc3", "multistep", 3, 1, "order-3 predictor in log r with a corrector (no extra evaluation)",
              weak_order=2, multistep_order=3, corrector=True, default_final_order="auto",
              claims=frozenset({_PEERS})),
    UDSMethod("unipc", "multistep", 2, 1, "UniPC (bh2, order 2; Zhao et al. 2023): pc2 with UniPC's weights",
              multistep_order=2, corrector=True, bh2_weights=True, flow_only=True,
              default_final_order=1,  # diffusers' lower_order_final (order 2)
              claims=frozenset({_PEERS}), peer="UniPC"),
    # Issue 21: the large-step weights (top kernel moment frozen at its small-step value, order kept).  "pc2-lsh" is the
    # default ("auto"), chosen once on four grid families and six mixtures (docs/default_method.md); its orders and
    # goals are measured by uds-vs-peers (uds_peers.LARGE_STEP, verify/claims/uds_default.py), not by its peer table.
    UDSMethod("pc2-ls", "multistep", 2, 1, "order-2 predictor and order-2 corrector in log r with the large-step "
              "weights (flow: DPM-Solver++(2M)'s predictor with UniPC's trapezoid corrector every step)",
              weak_order=2, multistep_order=2, corrector=True, large_step_weights=True,
              same_order_corrector=True, default_final_order=1),
    UDSMethod("pc2-lsh", "multistep", 2, 1, "pc2-ls whose history keeps the fresh value moved by half the corrector's "
              "displacement (derivations.uds_large_step.HISTORY_SHIFT); the default", aliases=("auto",),
              weak_order=2, multistep_order=2, corrector=True, large_step_weights=True,
              same_order_corrector=True, history_shift=True, default_final_order=1),
    UDSMethod("ms3-ls", "multistep", 3, 1, "exponential multistep UDS in log r, order 3, large-step weights",
              weak_order=2, multistep_order=3, large_step_weights=True, default_final_order="auto"),
    UDSMethod("pc3-ls", "multistep", 3, 1, "order-3 predictor in log r with a corrector, large-step weights",
              weak_order=2, multistep_order=3, corrector=True, large_step_weights=True, default_final_order="auto"),
)
#: The method ``method="auto"`` runs (an alias of its record).
DEFAULT_METHOD = "pc2-lsh"

#: Records by name and by alias.
BY_NAME: dict[str, UDSMethod] = {}
for _m in METHODS:
    for _n in _m.names:
        if _n in BY_NAME or _n == "rk":
            raise ValueError(f"UDS method name {_n!r} is registered twice")
        BY_NAME[_n] = _m
#: The generic method: any tableau, given to :func:`numerics.uds.sample` as ``tableau=``.
GENERIC_RK = "rk"


def valid_names() -> list[str]:
    return sorted([*BY_NAME, GENERIC_RK])


def get(method: str) -> UDSMethod:
    """The record of a method name or alias (any case); a one-line ValueError listing the valid names."""
    name = method.lower() if isinstance(method, str) else method
    if name not in BY_NAME:
        raise ValueError(f"unknown UDS method {method!r}; valid names: {', '.join(valid_names())}")
    return BY_NAME[name]


def members(claim: str | None = None, *, family: str | None = None, flow_only: bool | None = None,
            peer: bool | None = None, weak: bool | None = None) -> tuple[UDSMethod, ...]:
    """The records (registry order) that join ``claim`` and match the other filters (None: either)."""
    return tuple(m for m in METHODS
                 if (claim is None or claim in m.claims) and (family is None or m.family == family)
                 and (flow_only is None or m.flow_only == flow_only) and (peer is None or (m.peer is not None) == peer)
                 and (weak is None or (m.weak_order is not None) == weak))


def names(claim: str | None = None, **filters) -> tuple[str, ...]:
    """The names of :func:`members`."""
    return tuple(m.name for m in members(claim, **filters))


def steps_for(method: str, nfe: int) -> int:
    """Steps of ``method`` within an NFE budget (the one rule for every claim and table); a one-line ValueError for
    an unknown method or an NFE that is not a positive integer."""
    return get(method).steps_for(nfe)


def declared_order(method: str) -> int | None:
    return get(method).order


def weak_order(method: str) -> int | None:
    return get(method).weak_order


__all__ = ["FAMILIES", "Tableau", "UDSMethod", "METHODS", "BY_NAME", "GENERIC_RK", "EULER", "HEUN", "MIDPOINT",
           "RALSTON", "RK3", "RK4", "get", "members", "names", "steps_for", "declared_order", "weak_order",
           "valid_names"]
