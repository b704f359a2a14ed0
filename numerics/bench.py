"""Throughput of the Gaussian-mixture denoiser and the UDS sampler (``python -m verify bench``).

For each case (dimension d, components K, dtype, device) the batch is the largest power of ten up to
10^6 whose memory estimate fits the budget; we measure

* denoiser evaluations per second (rows of the batch denoised per second),
* samples per second of a UDS sampler (``--sampler``, any name of :data:`numerics.uds_methods.METHODS`; default
  EulerUDS (14)) on the flow, Logis schedule, at a fixed NFE (steps from :func:`numerics.uds_methods.steps_for`),
* peak memory: ``torch.cuda.max_memory_allocated`` on CUDA; on CPU the process's peak resident set
  (``resource.getrusage``, monotone over the run) and the Python-heap peak of ``tracemalloc``
  (torch's own buffers are not traced by it),
* the bound: the fast denoiser's core is four matrix products, (n, d) x (d, K) twice (the Mahalanobis
  terms) and (n, K) x (K, d) twice (the posterior mean), 8 n K d floating-point operations; the same four
  products on arrays of the same shapes are timed in the same run (in alternation with the denoiser, best of
  each), and ``bound_ratio`` is
  t_denoiser / t_products (about 1 means the denoiser runs at the speed of its matrix products; it can
  be below 1: the denoiser works in cache-sized chunks, the bare products on the whole batch),
* the reference (direct elementwise) form on a sub-batch, for the speed-up.

``--json PATH`` writes the rows as a list of objects (``d, K, dtype, batch, device, evals_per_s,
bound_ratio`` and the rest of :class:`BenchRow`).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass

import torch

from derivations import REGISTRY
from derivations.registry import Interval

from . import memory
from .gaussian_mixture import GaussianMixture, device_chunk_elements
from .schedule_grid import schedule_grid
from .uds import sample
from .uds_methods import get as uds_method

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
    evals_per_s_reference: float
    reference_batch: int
    samples_per_s: float
    nfe: int
    peak_mib: float
    peak_kind: str
    flops_per_eval: float
    matmul_gflops: float
    seconds_denoiser: float
    seconds_products: float
    bound_ratio: float
    tflops: float = float("nan")  # the denoiser's rate, 8 n K d FLOPs per evaluation
    device_peak_tflops: float = float("nan")  # a square GEMM of the dtype on the device, same run
    tf32: bool = False
    chunk_elements: int = 0
    sampler: str = "euler"  # the UDS method of samples_per_s (nfe: its evaluations)


@dataclass
class MethodRow:
    """One sampler method's memory and speed (issue 18): peak state copies (output included) and samples/s."""

    device: str
    dtype: str
    method: str
    n: int
    d: int
    K: int
    nfe: int
    state_copies: float
    target: float
    peak_gib: float
    samples_per_s: float
    kind: str


def memory_estimate(batch: int, d: int, K: int, dtype: torch.dtype) -> int:
    """Bytes a case needs at once: the state and its denoised copy, the bare products' operands and results
    (three (n, d) arrays), EulerUDS's copies (at most three states), the (n, K) arrays, with a margin: six (n, d)
    arrays and four (n, K); the denoiser's chunk is bounded by its chunk size."""
    item = torch.finfo(dtype).bits // 8
    return item * batch * (6 * d + 4 * K)


def pick_batch(d: int, K: int, dtype: torch.dtype, budget_bytes: int, max_batch: int = MAX_BATCH) -> int:
    batch = max_batch
    while batch > 1 and memory_estimate(batch, d, K, dtype) > budget_bytes:
        batch //= 10
    return max(batch, 1)


def gemm_tflops(dtype: torch.dtype, device: torch.device, size: int | None = None, min_time: float = 0.2) -> float:
    """The device's own rate for a square GEMM of ``dtype`` (TFLOP/s, best of repeats): the ceiling the
    denoiser's rate is read against."""
    size = size or (8192 if device.type == "cuda" else 1024)
    g = torch.Generator(device=device).manual_seed(2)
    a = torch.randn(size, size, generator=g, dtype=dtype, device=device)
    b = torch.randn(size, size, generator=g, dtype=dtype, device=device)
    sec = _timed(lambda: a @ b, device, min_time, max_reps=50)
    return 2.0 * size**3 / sec / 1e12


def set_tf32(allow: bool) -> None:
    """TF32 for float32 matrix products on CUDA: off unless asked (verification needs float32 to mean float32)."""
    torch.backends.cuda.matmul.allow_tf32 = allow
    torch.backends.cudnn.allow_tf32 = allow


def _sync(device: torch.device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(fn, device, min_time: float, max_reps: int = 1000) -> float:
    """Seconds per call: the best of repeated calls (at least two; repeats until min_time)."""
    fn()
    _sync(device)
    reps, best, total = 0, float("inf"), 0.0
    while True:
        start = time.perf_counter()
        fn()
        _sync(device)
        el = time.perf_counter() - start
        best, total, reps = min(best, el), total + el, reps + 1
        if (total >= min_time and reps >= 2) or reps >= max_reps:
            return best


def products_call(batch: int, d: int, K: int, dtype: torch.dtype, device: torch.device):
    """A call of the four bare matrix products of the denoiser's shapes: (n, d) x (d, K) twice, (n, K) x (K, d) twice."""
    g = torch.Generator(device=device).manual_seed(1)
    y = torch.randn(batch, d, generator=g, dtype=dtype, device=device)
    r = torch.randn(batch, K, generator=g, dtype=dtype, device=device)
    w1, w2 = (torch.randn(d, K, generator=g, dtype=dtype, device=device) for _ in range(2))
    p1, p2 = (torch.randn(K, d, generator=g, dtype=dtype, device=device) for _ in range(2))
    return lambda: (y @ w1, y @ w2, r @ p1, r @ p2)


#: The denoiser and its bare products are timed in alternation, this many rounds, best of each (a shared machine).
ROUNDS = 3


def run_case(d: int, K: int, dtype: torch.dtype, device: torch.device, *, budget_bytes: int,
             max_batch: int = MAX_BATCH, nfe: int = 4, min_time: float = 0.3, reference_rows: int = 1000,
             peak_tflops: float = float("nan"), sampler: str = "euler") -> BenchRow:
    rec = uds_method(sampler)
    steps = rec.steps_for(nfe)
    batch = pick_batch(d, K, dtype, budget_bytes, max_batch)
    chunk = device_chunk_elements(device, dtype)
    mix = GaussianMixture.random(K, d, seed=0, dtype=dtype, device=device)
    grid = schedule_grid(REGISTRY.schedule("Logis"), REGISTRY.rate("flow"), REGISTRY.parameterization("Vel"),
                         Interval(), steps, device=device)
    g = torch.Generator(device=device).manual_seed(0)
    y = mix.sample_noisy(batch, grid.ring_lam[0].to(dtype), g)
    lam = torch.tensor(0.0, dtype=dtype, device=device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    else:
        tracemalloc.start()
    products = products_call(batch, d, K, dtype, device)
    sec_eval = sec_mm = float("inf")
    for _ in range(ROUNDS):
        sec_eval = min(sec_eval, _timed(lambda m=mix, yy=y: m.denoise(yy, lam), device, min_time / ROUNDS))
        sec_mm = min(sec_mm, _timed(products, device, min_time / ROUNDS))
    del products
    sec_sample = _timed(lambda m=mix, yy=y: sample(m.denoise, grid, yy, sampler), device, min_time, max_reps=20)
    if device.type == "cuda":
        peak, kind = torch.cuda.max_memory_allocated(device) / 2**20, "cuda max allocated"
    else:
        _, py_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        peak, kind = rss, f"process max RSS (python heap {py_peak / 2**20:.1f} MiB)"
    ref_n = max(1, min(batch, reference_rows))
    y_ref = y[:ref_n].clone()
    sec_ref = _timed(lambda m=mix, yy=y_ref: m.denoise_reference(yy, lam), device, min_time / 3, max_reps=5)
    del y, y_ref, mix
    gc.collect()
    flops = 8.0 * batch * K * d
    return BenchRow(device.type, str(dtype).replace("torch.", ""), d, K, batch, batch / sec_eval, ref_n / sec_ref, ref_n,
                    batch / sec_sample, rec.nfe(steps), peak, kind, flops / batch, flops / sec_mm / 1e9, sec_eval, sec_mm,
                    sec_eval / sec_mm, flops / sec_eval / 1e12, peak_tflops,
                    bool(torch.backends.cuda.matmul.allow_tf32), chunk, sampler)


def run_bench(dims, components, dtypes, devices, *, budget_gib: float, max_batch: int, min_time: float,
              nfe: int = 4, out=sys.stdout, sampler: str = "euler") -> list[BenchRow]:
    rows = []
    for device in devices:
        for dtype in dtypes:
            peak_tflops = gemm_tflops(dtype, device, min_time=min_time)
            for d in dims:
                for K in components:
                    budget = int(budget_gib * 2**30) if budget_gib else 2**31
                    if device.type == "cuda":  # the device's own memory unless a budget is given
                        gc.collect()
                        torch.cuda.empty_cache()
                        free, _ = torch.cuda.mem_get_info(device)
                        budget = min(budget, int(0.6 * free)) if budget_gib else int(0.6 * free)
                    row = run_case(d, K, dtype, device, budget_bytes=budget, max_batch=max_batch, nfe=nfe,
                                   min_time=min_time, peak_tflops=peak_tflops, sampler=sampler)
                    rows.append(row)
                    print(format_row(row), file=out, flush=True)
    return rows


HEADER = (f"{'device':6} {'dtype':7} {'d':>5} {'K':>3} {'batch':>8} {'evals/s':>10} {'ref evals/s':>11} "
          f"{'samples/s':>10} {'NFE':>3} {'peak MiB':>9} {'GFLOP/s':>8} {'bound_ratio':>11} {'TFLOP/s':>8} "
          f"{'GEMM_TFLOP/s':>12}")


def format_row(r: BenchRow) -> str:
    return (f"{r.device:6} {r.dtype:7} {r.d:>5} {r.K:>3} {r.batch:>8} {r.evals_per_s:>10.3g} "
            f"{r.evals_per_s_reference:>11.3g} {r.samples_per_s:>10.3g} {r.nfe:>3} {r.peak_mib:>9.0f} "
            f"{r.matmul_gflops:>8.1f} {r.bound_ratio:>11.2f} {r.tflops:>8.3g} {r.device_peak_tflops:>12.3g}")


def method_batch(d: int, dtype: torch.dtype, free_bytes: int, copies: float = 7.5, max_batch: int = MAX_BATCH) -> int:
    """The largest power of ten up to ``max_batch`` whose ``copies`` states fit ``free_bytes``."""
    item = torch.finfo(dtype).bits // 8
    batch = max_batch
    while batch > 1 and copies * batch * d * item > free_bytes:
        batch //= 10
    return max(batch, 1)


def run_methods(methods, d: int, K: int, dtype: torch.dtype, device: torch.device, *, batch: int, nfe: int,
                out=sys.stdout) -> list[MethodRow]:
    """Measured state copies and samples/s per method (:mod:`numerics.memory`: CPU in a fresh process, CUDA in
    this one) at batch x d, K components, ``nfe`` steps, flow (Logis)."""
    rows = []
    for r in memory.measure(list(methods), batch, d, K, nfe, dtype, device):
        row = MethodRow(device.type, r["dtype"], r["method"], batch, d, K, nfe, r["state_copies"],
                        memory.TARGETS.get(r["method"], float("nan")), r["peak_growth_bytes"] / 2**30,
                        batch / r["seconds"], r["kind"])
        rows.append(row)
        print(format_method_row(row), file=out, flush=True)
    return rows


METHOD_HEADER = (f"{'device':6} {'dtype':7} {'method':8} {'n':>8} {'d':>5} {'K':>3} {'NFE':>3} {'state_copies':>12} "
                 f"{'target':>6} {'peak_GiB':>8} {'samples/s':>10}")


def format_method_row(r: MethodRow) -> str:
    return (f"{r.device:6} {r.dtype:7} {r.method:8} {r.n:>8} {r.d:>5} {r.K:>3} {r.nfe:>3} {r.state_copies:>12.2f} "
            f"{r.target:>6g} {r.peak_gib:>8.2f} {r.samples_per_s:>10.3g}")


def write_json(rows, path: str) -> None:
    """The rows (denoiser rows, then method rows, each with its own fields) as a JSON list of objects."""
    with open(path, "w") as fh:
        json.dump([dataclasses.asdict(r) for r in rows], fh, indent=1)


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
    p.add_argument("--memory-gib", type=float, default=None, help="memory budget per case (default 2 CPU, 60%% free GPU)")
    p.add_argument("--min-time", type=float, default=None, help="seconds per timed measurement")
    p.add_argument("--nfe", type=int, default=4, help="denoiser evaluations of the samples/s run (default 4)")
    p.add_argument("--sampler", default="euler", metavar="NAME",
                   help="UDS method of the samples/s run (a name of numerics.uds_methods; default euler)")
    p.add_argument("--method", nargs="+", metavar="NAME",
                   help="sampler methods for the state_copies table (default: " + " ".join(memory.TARGETS)
                   + "; 'none' skips it)")
    p.add_argument("--method-nfe", type=int, default=None, help="steps for the state_copies table (default 10, quick 4)")
    p.add_argument("--tf32", action="store_true", help="allow TF32 in float32 products on CUDA (default off)")
    p.add_argument("--json", metavar="PATH", help="also write the rows as a JSON list of objects")
    # argument errors in one line, as the main command's (verify.cli.OneLineParser; numerics does not import verify)
    p.error = lambda message: p.exit(2, f"{p.prog}: error: {' '.join(message.split())} (see --help)\n")
    a = p.parse_args(argv)
    methods = a.method if a.method is not None else list(memory.TARGETS)
    if methods == ["none"]:
        methods = []
    from .uds import check_method
    try:
        methods = [check_method(m) for m in methods]
        sampler = uds_method(a.sampler).name
        if a.nfe < 1:
            raise ValueError(f"--nfe must be >= 1, got {a.nfe}")
    except ValueError as err:
        p.error(str(err))
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
    cuda_budget = a.memory_gib  # None: 60% of the device's free memory
    min_time = a.min_time if a.min_time is not None else (0.2 if quick else 0.5)
    set_tf32(a.tf32)
    print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, CUDA "
          f"{torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'unavailable'}; TF32 "
          + ("ON (--tf32: float32 products at TF32 precision)" if a.tf32 else
             "off (float32 products in float32; --tf32 allows it)"))
    print("evals/s = rows denoised per second (fast path; ref = the reference direct form on <= 1000 rows); "
          f"samples/s = {sampler} (flow, Logis) at NFE; bound_ratio = denoiser time / time of its four bare matrix "
          "products at the same shapes (GFLOP/s: theirs); peak MiB: CUDA max allocated, or the CPU process's max RSS so far")
    print(HEADER)
    rows = []
    for device in devices:
        rows += run_bench(dims, comps, dtypes, [device], budget_gib=cuda_budget if device.type == "cuda" else budget,
                          max_batch=max_batch, min_time=min_time, nfe=a.nfe, sampler=sampler)
    if methods:
        print("state_copies = peak memory growth of uds.sample over its input, output included, in states (CPU: a "
              "fresh process's peak RSS; CUDA: max allocated); flow (Logis), float32, the mixture denoiser; "
              "samples/s of that run")
        print(METHOD_HEADER)
        d_m, k_m = max(dims), max(comps)
        nfe_m = a.method_nfe or (4 if quick else 10)
        for device in devices:
            if device.type == "cuda":
                gc.collect()
                torch.cuda.empty_cache()
                free, _ = torch.cuda.mem_get_info(device)
                n_m = method_batch(d_m, torch.float32, int(0.8 * free), max_batch=max_batch)
            else:
                n_m = method_batch(d_m, torch.float32, int(budget * 2**30), max_batch=max_batch)
            rows += run_methods(methods, d_m, k_m, torch.float32, device, batch=n_m, nfe=nfe_m)
    if a.json:
        write_json(rows, a.json)
        print(f"wrote {len(rows)} rows to {a.json}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
