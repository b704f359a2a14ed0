"""Run claims in worker processes, each with a time limit; a claim that hangs or crashes is ``failed``.

An interruption (Ctrl-C, or SIGTERM when ``handle_signals`` is set) stops every worker at once and raises
:class:`Interrupted`, which carries the records of the claims that finished, so the caller can write them as a
partial report."""

from __future__ import annotations

import multiprocessing as mproc
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from . import ledger
from .ledger import Claim, Outcome, Verdict, run_claim
from .records import ClaimRecord, make_record

#: Bytes of the buffer through which a worker says what it is working on (see verify.ledger.step).
STEP_BYTES = 512


class Terminated(BaseException):
    """SIGTERM arrived (raised by the handler run_claims installs; a BaseException, as KeyboardInterrupt is, so
    no ``except Exception`` inside a check swallows it)."""


class Interrupted(Exception):
    """The run was interrupted by ``signal_name``; ``records`` are the claims that finished, in claim order."""

    def __init__(self, signal_name: str, records: list[ClaimRecord], not_run: list[str]):
        super().__init__(f"interrupted by {signal_name}")
        self.signal_name = signal_name
        self.records = records
        self.not_run = not_run

    @property
    def exit_status(self) -> int:
        """The shell's convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + int(getattr(signal, self.signal_name, signal.SIGINT))


@dataclass
class _Worker:
    """A worker process that runs claims one after another (so a set-up two claims share, a cached lambdify or
    a ladder's interpolant, is computed once per worker, not once per claim); ``claim`` is the one it is on."""
    proc: mproc.Process
    conn: object
    step: object
    claim: Claim | None = None
    start: float = 0.0


def _child(conn, step) -> None:
    # the parent decides what an interruption means: a Ctrl-C sent to the whole process group must not print a
    # traceback from every worker, and a SIGTERM (from the parent, or anyone) simply ends the worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from .ledger import CLAIMS

    ledger._STEP["shared"] = step
    while True:
        try:
            claim_id = conn.recv()
        except EOFError:
            break
        if claim_id is None:
            break
        conn.send(make_record(CLAIMS[claim_id], run_claim(CLAIMS[claim_id])))
    conn.close()


def run_claims(claims: Sequence[Claim], *, jobs: int | None = None, timeout: float | None = None,
               on_start: Callable[[Claim], None] | None = None,
               on_done: Callable[[ClaimRecord], None] | None = None,
               handle_signals: bool = False) -> list[ClaimRecord]:
    """Run ``claims`` (``jobs`` at a time, in forked worker processes that each run claims one after another, a
    worker that hangs past its claim's limit or dies being replaced; jobs=1 runs in this process without a limit).

    Ctrl-C (KeyboardInterrupt), and SIGTERM when ``handle_signals`` (the command line), stop the workers and raise
    :class:`Interrupted` with the finished records."""
    jobs = jobs or min(len(claims), os.cpu_count() or 1) or 1
    in_process = jobs == 1 and timeout is None
    records: dict[str, ClaimRecord] = {}
    running: list[_Worker] = []
    stop: dict = {"signal": None}

    def flag(signum, frame):  # the polling loop sees it within 20 ms; nothing is raised at a random point
        stop["signal"] = signal.Signals(signum).name

    def flag_and_raise(signum, frame):  # in this process a check must be stopped where it is, as Ctrl-C does;
        flag(signum, frame)             # the flag survives an ``except BaseException`` that swallows the raise
        raise Terminated()

    previous = {}
    if handle_signals and threading.current_thread() is threading.main_thread():
        handlers = ({signal.SIGTERM: flag_and_raise} if in_process
                    else {signal.SIGINT: flag, signal.SIGTERM: flag})
        previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        if in_process:
            _run_here(claims, on_start, on_done, records, stop)
        else:
            _run_workers(claims, jobs, timeout, on_start, on_done, records, running, stop)
    except (KeyboardInterrupt, Terminated) as exc:
        stop["signal"] = "SIGTERM" if isinstance(exc, Terminated) else "SIGINT"
    finally:
        _stop(running)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stop["signal"]:
        raise Interrupted(stop["signal"], [records[c.id] for c in claims if c.id in records],
                          [c.id for c in claims if c.id not in records])
    return [records[c.id] for c in claims]


def _stop(running: list[_Worker]) -> None:
    """Kill every worker and wait for it (no worker outlives the run)."""
    for w in running:
        if w.proc.is_alive():
            w.proc.kill()
    for w in running:
        w.proc.join(timeout=5)
    running.clear()


def _run_here(claims, on_start, on_done, records, stop) -> None:
    for claim in claims:
        if stop["signal"]:
            return
        on_start and on_start(claim)
        rec = make_record(claim, run_claim(claim))
        records[claim.id] = rec
        on_done and on_done(rec)


def _run_workers(claims, jobs, timeout, on_start, on_done, records, running, stop) -> None:
    ctx = mproc.get_context("fork")
    # With several workers, longest first (the declared time limit stands for the expected cost; ties keep the
    # ledger's order): the Section 6 and sampler claims, registered last, no longer start when the cheap ones are
    # done and run alone.  One worker keeps the ledger's order.
    pending = sorted(claims, key=lambda c: -float(c.timeout or 0.0)) if jobs > 1 else list(claims)
    jobs = min(jobs, len(pending)) or 1

    def spawn() -> _Worker:
        parent_end, child_end = ctx.Pipe(duplex=True)
        step = ctx.RawArray("c", STEP_BYTES)
        proc = ctx.Process(target=_child, args=(child_end, step), daemon=True)
        proc.start()
        child_end.close()
        worker = _Worker(proc, parent_end, step)
        running.append(worker)
        return worker

    def retire(worker: _Worker) -> None:  # a worker that hung or died is not reused
        if worker.proc.is_alive():
            worker.proc.kill()
        worker.proc.join(timeout=5)
        running.remove(worker)

    while (pending or any(w.claim for w in running)) and not stop["signal"]:
        while pending and (any(w.claim is None for w in running) or len(running) < jobs):
            worker = next((w for w in running if w.claim is None), None) or spawn()
            claim = pending.pop(0)
            worker.step.value = b""
            worker.conn.send(claim.id)
            worker.claim, worker.start = claim, time.perf_counter()
            on_start and on_start(claim)
        time.sleep(0.02)
        for worker in list(running):
            claim = worker.claim
            if claim is None:
                continue
            limit = timeout if timeout is not None else claim.timeout
            elapsed = time.perf_counter() - worker.start
            rec = None
            if worker.conn.poll():
                try:
                    rec = worker.conn.recv()
                except EOFError:
                    worker.proc.join(timeout=5)
                    rec = _failure(claim, elapsed,
                                   f"the worker process exited with code {worker.proc.exitcode} without a result")
                    retire(worker)
            elif not worker.proc.is_alive():
                rec = _failure(claim, elapsed, f"the worker process exited with code {worker.proc.exitcode}")
                retire(worker)
            elif elapsed > limit:
                worker.proc.kill()
                rec = _failure(claim, elapsed, timeout_reason(limit, worker.step.value.decode("utf-8", "replace")))
                retire(worker)
            if rec is None:
                continue
            worker.claim = None
            records[claim.id] = rec
            on_done and on_done(rec)
    for worker in running:  # done: each idle worker is told to stop (``_stop`` kills whatever is left)
        if worker.claim is None and worker.proc.is_alive():
            try:
                worker.conn.send(None)
            except (BrokenPipeError, OSError):
                pass


def timeout_reason(limit: float, where: str = "") -> str:
    """'timed out after 60 s while on schedule 'SD' (raise the limit with --timeout)'."""
    return (f"timed out after {limit:g} s" + (f" while on {where}" if where else "")
            + " (raise the limit with --timeout)")


def _failure(claim: Claim, seconds: float, reason: str) -> ClaimRecord:
    out = Outcome(Verdict.FAILED, claim.method, evidence={"error": reason}, notes=reason, seconds=seconds)
    return make_record(claim, out)
