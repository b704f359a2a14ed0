"""Throughput of the Gaussian-mixture denoiser and the UDS sampler (``python -m verify bench``).

For each case (dimension d, components K, dtype, device) the batch is the largest power of ten up to
10^6 whose memory estimate fits the budget; we measure

* denoiser evaluations per second (rows of the batch denoised per second),
* samples per second of EulerUDS (14) (flow, Logis schedule) at a fixed NFE,
* peak memory: ``torch.cuda.max_memory_allocated`` on CUDA; on CPU the process's peak resident set
  (``resource.getrusage``, monotone over the run) and the Python-heap peak of ``tracemalloc``
  (torch's own buffers are not traced by it),
* the arithmetic lower bound: the denoiser does about 8 n K d floating-point operations (the four
  (n, d) x (d, K)-sized contractions: two for the Mahalanobis terms, two for the posterior mean);
  at the measured matmul throughput of the device and dtype that takes ``t_min``, and the table
  reports t_measured / t_min (>= 1; large values mean memory-bound elementwise work).
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass

import torch

from derivations import REGISTRY
from derivations.registry import Interval

from .gaussian_mixture import GaussianMixture
from .schedule_grid import schedule_grid
from .uds import sample

FULL_DIMS, FULL_COMPONENTS = (2, 64, 3072), (8, 64)
QUICK_DIMS, QUICK_COMPONENTS = (2, 64), (8,)
MAX_BATCH = 10**6


@dataclass
class BenchRow:
    device: str
    dtype: str
    d: int
    K: int
    batch: int
    evals_per_s: float
    evals_per_s_matmul: float
    samples_per_s: float
    nfe: int
    peak_mib: float
    peak_kind: str
    flops_per_eval: float
    matmul_gflops: float
    bound_ratio: float
    bound_ratio_matmul: float


def memory_estimate(batch: int, d: int, K: int, dtype: torch.dtype) -> int:
    """Bytes the denoiser needs at once: about six (d, K, n) intermediates plus the state."""
    item = torch.finfo(dtype).bits // 8
    return item * batch * (6 * d * K + 4 * d)


def pick_batch(d: int, K: int, dtype: torch.dtype, budget_bytes: int, max_batch: int = MAX_BATCH) -> int:
    batch = max_batch
    while batch > 1 and memory_estimate(batch, d, K, dtype) > budget_bytes:
        batch //= 10
    return max(batch, 1)


def _sync(device: torch.device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn, device, min_time: float, max_reps: int = 1000) -> float:
    """Seconds per call (at least one call; repeats until min_time)."""
    fn()
    _sync(device)
    reps, start = 0, time.perf_counter()
    while True:
        fn()
        reps += 1
        _sync(device)
        el = time.perf_counter() - start
        if el >= min_time or reps >= max_reps:
            return el / reps


def matmul_gflops(device: torch.device, dtype: torch.dtype, n: int = 1024, min_time: float = 0.2) -> float:
    """Measured dense matmul throughput (GFLOP/s) of an n x n product: the best of three timings (a
    lower bound on time must use the best throughput)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    sec = min(_timed(lambda: a @ b, device, min_time / 3) for _ in range(3))
    return 2 * n**3 / sec / 1e9


def run_case(d: int, K: int, dtype: torch.dtype, device: torch.device, *, budget_bytes: int,
             max_batch: int = MAX_BATCH, nfe: int = 4, min_time: float = 0.3, gflops: float | None = None) -> BenchRow:
    batch = pick_batch(d, K, dtype, budget_bytes, max_batch)
    mix = GaussianMixture.random(K, d, seed=0, dtype=dtype, device=device)
    grid = schedule_grid(REGISTRY.schedule("Logis"), REGISTRY.rate("flow"), REGISTRY.parameterization("Vel"),
                         Interval(), nfe, device=device)
    g = torch.Generator(device=device).manual_seed(0)
    y = mix.sample_noisy(batch, grid.ring_lam[0].to(dtype), g)
    lam = torch.tensor(0.0, dtype=dtype, device=device)
    chunk = max(1 << 24, 6 * d * K * batch)  # one chunk: the budget already bounds it
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    else:
        tracemalloc.start()
    sec_eval = _timed(lambda: mix.denoise(y, lam, chunk_elements=chunk), device, min_time)
    sec_mm = _timed(lambda: mix.denoise(y, lam, method="matmul"), device, min_time)
    den = lambda yy, ll: mix.denoise(yy, ll, chunk_elements=chunk)  # noqa: E731
    sec_sample = _timed(lambda: sample(den, grid, y, "euler"), device, min_time, max_reps=20)
    if device.type == "cuda":
        peak, kind = torch.cuda.max_memory_allocated(device) / 2**20, "cuda max allocated"
    else:
        _, py_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        peak, kind = rss, f"process max RSS (python heap {py_peak / 2**20:.1f} MiB)"
    gflops = gflops or matmul_gflops(device, dtype)
    flops = 8.0 * batch * K * d
    bound = flops / (gflops * 1e9)
    del y, mix
    gc.collect()
    return BenchRow(device.type, str(dtype).replace("torch.", ""), d, K, batch, batch / sec_eval, batch / sec_mm,
                    batch / sec_sample, nfe, peak, kind, flops / batch, gflops, sec_eval / bound, sec_mm / bound)


def run_bench(dims, components, dtypes, devices, *, budget_gib: float, max_batch: int, min_time: float,
              nfe: int = 4, out=sys.stdout) -> list[BenchRow]:
    rows = []
    for device in devices:
        for dtype in dtypes:
            gflops = matmul_gflops(device, dtype)
            for d in dims:
                for K in components:
                    budget = int(budget_gib * 2**30)
                    if device.type == "cuda":
                        free, _ = torch.cuda.mem_get_info(device)
                        budget = min(budget, int(0.5 * free))
                    row = run_case(d, K, dtype, device, budget_bytes=budget, max_batch=max_batch, nfe=nfe,
                                   min_time=min_time, gflops=gflops)
                    rows.append(row)
                    print(format_row(row), file=out, flush=True)
    return rows


HEADER = (f"{'device':6} {'dtype':7} {'d':>5} {'K':>3} {'batch':>8} {'evals/s':>10} {'mm evals/s':>10} "
          f"{'samples/s':>10} {'NFE':>3} {'peak MiB':>9} {'GFLOP/s':>8} {'t/t_min':>8} {'mm t/t_min':>10}")


def format_row(r: BenchRow) -> str:
    return (f"{r.device:6} {r.dtype:7} {r.d:>5} {r.K:>3} {r.batch:>8} {r.evals_per_s:>10.3g} "
            f"{r.evals_per_s_matmul:>10.3g} {r.samples_per_s:>10.3g} {r.nfe:>3} {r.peak_mib:>9.0f} "
            f"{r.matmul_gflops:>8.1f} {r.bound_ratio:>8.1f} {r.bound_ratio_matmul:>10.1f}")


def main(argv=None) -> int:
    """``python -m verify bench [--quick]``: print the throughput table."""
    p = argparse.ArgumentParser(prog="fbd-verify bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a small subset (~20 s): d in {2, 64}, K = 8, float32, CPU")
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="all",
                   help="cpu, cuda, or all available (default)")
    p.add_argument("--dims", type=int, nargs="+", help="dimensions d (default 2 64 3072)")
    p.add_argument("--components", type=int, nargs="+", help="mixture sizes K (default 8 64)")
    p.add_argument("--dtypes", nargs="+", choices=("float32", "float64"), help="default: both")
    p.add_argument("--max-batch", type=int, default=None, help=f"largest batch (default {MAX_BATCH:g})")
    p.add_argument("--memory-gib", type=float, default=None, help="memory budget per case (default 2 CPU, 50%% free GPU)")
    p.add_argument("--min-time", type=float, default=None, help="seconds per timed measurement")
    p.add_argument("--nfe", type=int, default=4, help="EulerUDS steps for samples/s")
    a = p.parse_args(argv)
    quick = a.quick
    dims = a.dims or (QUICK_DIMS if quick else FULL_DIMS)
    comps = a.components or (QUICK_COMPONENTS if quick else FULL_COMPONENTS)
    dtypes = [getattr(torch, n) for n in (a.dtypes or (["float32"] if quick else ["float32", "float64"]))]
    devices = []
    if a.device in ("cpu", "all"):
        devices.append(torch.device("cpu"))
    if a.device in ("cuda", "all") and torch.cuda.is_available() and not (quick and a.device == "all"):
        devices.append(torch.device("cuda"))
    if a.device == "cuda" and not torch.cuda.is_available():
        print("CUDA is not available", file=sys.stderr)
        return 2
    max_batch = a.max_batch or (10**5 if quick else MAX_BATCH)
    budget = a.memory_gib or (0.5 if quick else 2.0)
    min_time = a.min_time if a.min_time is not None else (0.2 if quick else 0.5)
    print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, CUDA "
          f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'unavailable'}")
    print("evals/s = rows denoised per second (direct form; mm = matmul form); samples/s = EulerUDS (flow, Logis) "
          "at NFE, direct form; t/t_min = time / (8 n K d FLOPs at the measured matmul GFLOP/s); peak MiB: CUDA max "
          "allocated, or the CPU process's max RSS so far")
    print(HEADER)
    run_bench(dims, comps, dtypes, devices, budget_gib=budget, max_batch=max_batch, min_time=min_time, nfe=a.nfe)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
