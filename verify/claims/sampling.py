"""Where the symbolic claims of Sections 3-5 evaluate their forms at random points: ordered diffusion schedules.

Only ratios of the diffusion schedule rho matter, so the samplers draw rho_t and kappa = rho_s/rho_t in (0, 1)
(likewise for ring-rho, which is increasing), so that 0 < rho_s < rho_t and 0 < ring-rho_s < ring-rho_t as the
paper assumes (Section 3, line 163).
"""

from __future__ import annotations

import random
import re

import sympy as sp

from derivations.section3_diffusion import kappa
from derivations.symbols import ring_rho_s, ring_rho_t, rho_s, rho_t


_INDEXED = re.compile(r"^(rho|ringrho)_(\d+)$")


def _rand(rng: random.Random, lo: float, hi: float) -> sp.Rational:
    lo, hi = sp.Rational(str(lo)), sp.Rational(str(hi))
    return lo + (hi - lo) * sp.Rational(rng.randint(1, 999), 1000)


def ordered_sampler(*forms_dicts, extra=()):
    """A sampler for the symbols of the given forms: 0 < rho_s < rho_t, 0 < ring-rho_s < ring-rho_t,
    increasing rho_0 < rho_1 < ... and ring-rho_0 < ring-rho_1 < ... (grid values), kappa in (0, 1);
    other positive symbols in (0.2, 2), real ones in (-2, 2)."""
    syms = set(extra) | {rho_s, rho_t, ring_rho_s, ring_rho_t}
    for forms in forms_dicts:
        for v in forms.values():
            syms |= sp.sympify(v).free_symbols
    syms = sorted(syms, key=str)

    def sample(rng: random.Random) -> dict:
        out = {}
        out[rho_t] = _rand(rng, 0.3, 2)
        out[rho_s] = out[rho_t] * _rand(rng, 0.05, 0.95)
        out[ring_rho_t] = _rand(rng, 0.3, 3)
        out[ring_rho_s] = out[ring_rho_t] * _rand(rng, 0.05, 0.95)
        running = {"rho": _rand(rng, 0.2, 1), "ringrho": _rand(rng, 0.2, 1)}
        indexed = sorted((s for s in syms if _INDEXED.match(s.name)),
                         key=lambda s: (_INDEXED.match(s.name).group(1), int(_INDEXED.match(s.name).group(2))))
        for sym in indexed:
            base = _INDEXED.match(sym.name).group(1)
            out[sym] = running[base]
            running[base] = running[base] + _rand(rng, 0.05, 0.8)
        for sym in syms:
            if sym in out:
                continue
            if sym == kappa:
                out[sym] = _rand(rng, 0.05, 0.95)
            elif sym.is_positive:
                out[sym] = _rand(rng, 0.2, 2)
            else:
                out[sym] = _rand(rng, -2, 2)
        return out

    return sample
