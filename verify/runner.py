"""Run claims in worker processes, each with a time limit; a claim that hangs or crashes is ``failed``."""

from __future__ import annotations

import multiprocessing as mproc
import os
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from .ledger import Claim, Outcome, Verdict, run_claim
from .records import ClaimRecord, make_record


@dataclass
class _Job:
    claim: Claim
    proc: mproc.Process
    conn: object
    start: float


def _child(claim_id: str, conn) -> None:
    from .ledger import CLAIMS

    rec = make_record(CLAIMS[claim_id], run_claim(CLAIMS[claim_id]))
    conn.send(rec)
    conn.close()


def run_claims(claims: Sequence[Claim], *, jobs: int | None = None, timeout: float | None = None,
               on_start: Callable[[Claim], None] | None = None,
               on_done: Callable[[ClaimRecord], None] | None = None) -> list[ClaimRecord]:
    """Run ``claims`` (``jobs`` at a time, in forked processes; jobs=1 runs in this process without a limit)."""
    jobs = jobs or min(len(claims), os.cpu_count() or 1) or 1
    records: dict[str, ClaimRecord] = {}
    if jobs == 1 and timeout is None:
        for claim in claims:
            on_start and on_start(claim)
            rec = make_record(claim, run_claim(claim))
            records[claim.id] = rec
            on_done and on_done(rec)
        return [records[c.id] for c in claims]

    ctx = mproc.get_context("fork")
    pending = list(claims)
    running: list[_Job] = []
    while pending or running:
        while pending and len(running) < jobs:
            claim = pending.pop(0)
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(claim.id, send), daemon=True)
            proc.start()
            send.close()
            running.append(_Job(claim, proc, recv, time.perf_counter()))
            on_start and on_start(claim)
        time.sleep(0.02)
        for job in list(running):
            limit = timeout if timeout is not None else job.claim.timeout
            elapsed = time.perf_counter() - job.start
            rec = None
            if job.conn.poll():
                try:
                    rec = job.conn.recv()
                except EOFError:
                    job.proc.join(timeout=5)
                    rec = _failure(job.claim, elapsed,
                                   f"the worker process exited with code {job.proc.exitcode} without a result")
            elif not job.proc.is_alive():
                rec = _failure(job.claim, elapsed, f"the worker process exited with code {job.proc.exitcode}")
            elif elapsed > limit:
                job.proc.kill()
                rec = _failure(job.claim, elapsed, f"timed out after {limit:g} s")
            if rec is None:
                continue
            job.proc.join(timeout=5)
            running.remove(job)
            records[job.claim.id] = rec
            on_done and on_done(rec)
    return [records[c.id] for c in claims]


def _failure(claim: Claim, seconds: float, reason: str) -> ClaimRecord:
    out = Outcome(Verdict.FAILED, claim.method, None, None, None, {"error": reason}, reason, seconds)
    return make_record(claim, out)
