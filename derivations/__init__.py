"""SymPy derivations of the paper's formulas, one module per section, and the schedule registry.

Importing the package registers the paper's schedules, parameterizations and diffusion rates.
"""

from .registry import (  # noqa: F401
    REGISTRY,
    DiffusionRate,
    Interval,
    NoiseSchedule,
    Parameterization,
    Registry,
    RegistryError,
    Target,
    numeric,
)
from . import builtin  # noqa: F401,E402  (registers the built-in entries)
