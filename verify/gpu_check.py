"""``python -m verify gpu-check``: the GPU back-end of issue 18 in one compact table (under 5 minutes on one GPU).

Rows (each measured in this run, none copied):

1. ``memory``: each sampler method's peak state copies (:mod:`numerics.memory`), flow, float32, with its target;
2. ``bench``: the mixture denoiser's rate (TFLOP/s) and bound ratio against its four bare products, and the device's
   own GEMM rate (TF32 off unless ``--tf32``);
3. ``chunk``: the denoiser's device-sized chunk against the CPU-sized one (time per evaluation, bound ratio);
4. ``device``: the ``uds-distribution`` table (its figures: FD and SW per row) on the device against the CPU,
   float64, the largest relative difference (the claim's verdict is a function of these figures).

Sizes: on CUDA n = 10^6, d = 3072, K = 64 for the memory rows (10^5 for the bench and chunk rows); without CUDA a
small CPU version (n = 2^14, d = 1024 for memory; n = 2 10^4, d = 64, K = 8 for the rest) and the device row says
that no CUDA device is present.  A memory row is ok within its target plus ALLOWANCE (chunks, allocator).
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from numerics import bench, memory
from numerics.device import resolve
from numerics.gaussian_mixture import CPU_CHUNK_ELEMENTS, GaussianMixture, device_chunk_elements

#: Sizes (n, d, K, nfe) of the memory rows, the bench/chunk rows (n, d, K), by device kind.
#: The memory rows' denoiser chunk: the device default on CUDA (2^26 numbers: a few hundredths of a 12 GB state);
#: 2^18 on the CPU (the 2^20 default would be a tenth of the small version's 64 MiB state).
SIZES = {"cuda": {"memory": (10**6, 3072, 64, 10, None), "bench": (10**5, 3072, 64)},
         "cpu": {"memory": (1 << 14, 1024, 8, 4, 1 << 18), "bench": (20000, 64, 8)}}
#: Allowance over a memory target for the chunk temporaries and the allocator (never a whole state).
ALLOWANCE = 0.1
#: Figures of the device comparison must agree to this relative difference (float64).
DEVICE_RTOL = 1e-10


def _row(out, item: str, what: str, value: str, target: str = "", ok: str = "") -> None:
    print(f"{item:7} {what:58} {value:>24} {target:>9} {ok:>4}", file=out, flush=True)


def _chunk_rows(device: torch.device, n: int, d: int, K: int, out) -> None:
    mix = GaussianMixture.random(K, d, seed=0, dtype=torch.float32, device=device)
    y = mix.sample_noisy(n, 0.0, torch.Generator(device=device).manual_seed(0))
    lam = torch.tensor(0.0, dtype=torch.float32, device=device)
    products = bench.products_call(n, d, K, torch.float32, device)
    sec_mm = bench._timed(products, device, 0.2)
    dev_chunk = device_chunk_elements(device, torch.float32)
    for label, chunk in (("CPU-sized", CPU_CHUNK_ELEMENTS), ("device-sized", dev_chunk)):
        sec = bench._timed(lambda: mix.denoise(y, lam, chunk_elements=chunk), device, 0.2)
        ratio = sec / sec_mm
        target = "<= 1.5" if device.type == "cuda" else "<= 3"
        ok = "" if label == "CPU-sized" and device.type == "cuda" else ("yes" if ratio <= float(target[3:]) else "no")
        _row(out, "chunk", f"{label} chunk {chunk} elements, n={n} d={d} K={K}", f"{sec * 1e3:.2f} ms, x{ratio:.2f}",
             target, ok)


def _device_rows(device: torch.device, out) -> None:
    if device.type != "cuda":
        _row(out, "device", "uds-distribution figures, CUDA vs CPU", "no CUDA device", "", "")
        return
    import derivations  # noqa: F401  (registers the built-in entries)
    from .claims.uds_torch import distribution_table

    kw = dict(batch=2000, d=2, K=4, nfes=(8,), replicates=2, criterion_nfe=8)
    a = distribution_table(None, device="cpu", **kw)
    b = distribution_table(None, device=device, **kw)
    worst = 0.0
    for key, row in a["rows"].items():
        for f in ("fd", "sw"):
            x, y = row[f], b["rows"][key][f]
            worst = max(worst, abs(x - y) / max(abs(x), 1e-300))
    _row(out, "device", f"uds-distribution {len(a['rows'])} rows FD/SW, CUDA vs CPU", f"rel diff {worst:.1e}",
         f"<= {DEVICE_RTOL:g}", "yes" if worst <= DEVICE_RTOL else "no")


def run_check(device: torch.device, out=sys.stdout, methods=None, sizes: dict | None = None) -> None:
    sizes = sizes or SIZES[device.type]
    print(f"gpu-check on {device.type}" + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else
          ": no CUDA device is present; a small CPU version") + f"; torch {torch.__version__}; TF32 "
          + ("on" if torch.backends.cuda.matmul.allow_tf32 else "off"), file=out)
    print(f"{'item':7} {'what':58} {'value':>24} {'target':>9} {'ok':>4}", file=out)
    n, d, K, nfe, chunk = sizes["memory"]
    for r in memory.measure(list(methods or memory.TARGETS), n, d, K, nfe, torch.float32, device, chunk_elements=chunk):
        target = memory.TARGETS[r["method"]]
        _row(out, "memory", f"{r['method']} n={n} d={d} K={K} NFE={nfe} ({n / r['seconds']:.3g} samples/s)",
             f"{r['state_copies']:.2f} states", f"<= {target}",
             "yes" if r["state_copies"] <= target + ALLOWANCE else "no")
    nb, db, Kb = sizes["bench"]
    peak = bench.gemm_tflops(torch.float32, device, min_time=0.2)
    row = bench.run_case(db, Kb, torch.float32, device, budget_bytes=2**40, max_batch=nb, nfe=2, min_time=0.2,
                         peak_tflops=peak)
    _row(out, "bench", f"denoiser n={row.batch} d={db} K={Kb} float32 (x: bound ratio)",
         f"{row.tflops:.3g} TFLOP/s, x{row.bound_ratio:.2f}", "", "")
    _row(out, "bench", "device GEMM float32 (same run)", f"{peak:.3g} TFLOP/s", "", "")
    _chunk_rows(device, nb, db, Kb, out)
    _device_rows(device, out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="fbd-verify gpu-check", description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto (default): CUDA when present, else the small CPU version")
    p.add_argument("--tf32", action="store_true", help="allow TF32 in float32 products (default off)")
    p.add_argument("--method", nargs="+", metavar="NAME", help="methods of the memory rows (default: all targets)")
    p.error = lambda message: p.exit(2, f"{p.prog}: error: {' '.join(message.split())} (see --help)\n")
    a = p.parse_args(argv)
    try:
        device = torch.device(resolve(a.device))
        methods = a.method
        unknown = [m for m in methods or () if m not in memory.TARGETS]
        if unknown:
            raise ValueError(f"no memory target for {', '.join(unknown)}; choose from {', '.join(memory.TARGETS)}")
    except ValueError as exc:
        print(f"{p.prog}: error: {exc}", file=sys.stderr)
        return 2
    bench.set_tf32(a.tf32)
    start = time.perf_counter()
    run_check(device, methods=methods)
    print(f"gpu-check: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
