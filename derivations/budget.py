"""Time budgets for SymPy calls that can stall on a user's entry (``simplify``, ``solve``, ``limit``).

SymPy gives no bound on its work: ``solve`` on Stable Diffusion's scaled-linear log-SNR, or ``simplify`` of a
weight built from it, can run for many minutes while the same call takes milliseconds on the paper's
schedules.  :func:`bounded` runs a call under a wall-clock budget (a ``SIGALRM`` timer, in the main thread of
a process: the ledger's workers and the CLI) and returns a fallback when the budget is spent; the caller
records the fallback in its evidence ("closed form not found within 5 s: numeric route").  Off the main
thread (where no timer can interrupt) the call runs unbounded, as before.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Callable, TypeVar

T = TypeVar("T")


class BudgetExceeded(Exception):
    """A bounded call ran out of its time budget."""


@contextmanager
def time_budget(seconds: float):
    """Raise :class:`BudgetExceeded` inside the ``with`` block once ``seconds`` of wall time have passed."""
    if seconds is None or seconds <= 0 or threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "setitimer"):
        yield
        return

    def _expire(signum, frame):
        raise BudgetExceeded(f"over its budget of {seconds:g} s")

    start = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, _expire)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:  # an outer budget keeps running (it may already be due: fire it soon)
            left = previous_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), previous_interval)


def bounded(call: Callable[[], T], seconds: float, fallback: T) -> tuple[T, bool]:
    """(call(), True), or (fallback, False) when the call needs more than ``seconds`` of wall time."""
    try:
        with time_budget(seconds):
            return call(), True
    except BudgetExceeded:
        return fallback, False


#: Seconds one SymPy step (a solve, a simplify) may take on a user's entry before its fallback is used.
SYMPY_STEP_BUDGET = 5.0

#: Expressions larger than this (SymPy's count_ops) are not given to ``simplify``: on a user's entry it can run for
#: many minutes (a heuristic gcd on Stable Diffusion's scaled-linear rate), while every expression of the paper's
#: own entries that the suite simplifies is far below it.
SIMPLIFY_OPS_LIMIT = 80


def simplify_bounded(expr, ops_limit: int = SIMPLIFY_OPS_LIMIT, seconds: float = SYMPY_STEP_BUDGET):
    """``sympy.simplify(expr)`` for an expression of at most ``ops_limit`` operations, within ``seconds``;
    otherwise ``expr`` unchanged (the same function: callers evaluate it numerically)."""
    import sympy as sp

    if sp.count_ops(expr) > ops_limit:
        return expr
    return bounded(lambda: sp.simplify(expr), seconds, expr)[0]
