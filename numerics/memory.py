"""Peak memory of the UDS sampler in state copies (issue 18): how many (n, d) arrays ``uds.sample`` holds at once.

``state_copies`` = (peak memory during ``uds.sample(mix.denoise, grid, y0, method)`` minus the memory held before
it, the input y0 already allocated) / (bytes of one state), the output included (it is still alive when the peak
is read), the denoiser's chunk temporaries included.

* **CPU**: measured in a fresh child process (``python -m numerics.memory``), from the kernel's own peak resident
  set: the child resets it (``echo 5 > /proc/self/clear_refs``, Linux >= 4.0) after the set-up and a warm-up run
  on a few rows (so SymPy's lambdified weights, caches and thread pools are in place), reads VmRSS (the base), runs
  the sampler and reads VmHWM (the peak).  ``MALLOC_MMAP_THRESHOLD_`` is fixed at 64 KiB in the child, so every
  tensor of more than a few rows is its own mapping, returned to the kernel when freed: the resident set then
  follows the live tensors (glibc's adaptive threshold would otherwise keep freed states in the heap, and a
  reused heap hides nothing but a fresh process is needed for the peak to start clean).  Chosen over a
  deterministic count (a TorchDispatchMode over live storages) because it measures what the machine sees,
  allocator and all, and over ``tracemalloc``, which does not see torch's buffers; at a 64 MiB state the
  noise is a few hundredths of a copy (the test keeps the state at least that large).
* **CUDA**: in process, ``torch.cuda.max_memory_allocated`` over ``torch.cuda.memory_allocated`` before the run.

The targets of issue 18 (flow, float32): :data:`TARGETS`.  A diffusion holds one more state (its noise xi*).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
import time

import torch

#: Issue 18's targets: peak growth over the input, output included, in states (flow).
TARGETS = {"euler": 3, "heun": 4, "ms2": 4, "dpm++2m": 4, "ms3": 5, "pc2": 5, "unipc": 5, "pc3": 6,
           # the default ("auto", issue 21): pc2's states and the shifted history value while it is formed
           "pc2-lsh": 6}
#: Methods measured by default (the targets' methods).
METHODS = tuple(TARGETS)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        m = re.search(rf"^{field}:\s+(\d+) kB", fh.read(), re.M)
    if m is None:
        raise RuntimeError(f"/proc/self/status has no {field}")
    return int(m.group(1))


def _setup(n: int, d: int, K: int, nfe: int, dtype: torch.dtype, device: torch.device, rate: str = "flow"):
    from derivations import REGISTRY
    from derivations.registry import Interval

    from .gaussian_mixture import GaussianMixture
    from .schedule_grid import schedule_grid

    mix = GaussianMixture.random(K, d, seed=0, dtype=dtype, device=device)
    grid = schedule_grid(REGISTRY.schedule("Logis"), REGISTRY.rate(rate), REGISTRY.parameterization("Vel"),
                         Interval(), nfe, device=device)
    y0 = mix.sample_noisy(n, grid.ring_lam[0].to(dtype), torch.Generator(device=device).manual_seed(0))
    return mix, grid, y0


def measure_here(method: str, n: int, d: int, K: int, nfe: int, dtype: torch.dtype = torch.float32,
                 device: torch.device | str = "cpu", rate: str = "flow", chunk_elements: int | None = None,
                 denoiser: str = "mixture") -> dict:
    """Measure in this process (CPU: only honest in a fresh process, see :func:`measure`).  ``chunk_elements``:
    the mixture denoiser's chunk (default: its device default); its temporaries count against the sampler.
    ``denoiser="scale"``: X_hat(y) = y / 2, one new tensor and no temporary (the sampler's own buffers alone,
    fast enough for a test)."""
    from .uds import sample

    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.empty_cache()  # the caching allocator's spare from earlier rows back to the device
    mix, grid, y0 = _setup(n, d, K, nfe, dtype, device, rate)
    gen = None if rate == "flow" else torch.Generator(device=device).manual_seed(1)

    def den(y, lam):
        if denoiser == "scale":
            return y * 0.5
        return mix.denoise(y, lam) if chunk_elements is None else mix.denoise(y, lam, chunk_elements=chunk_elements)
    sample(den, grid, y0[:8].clone(), method, generator=gen)  # warm-up: caches, lambdified weights
    state = y0.numel() * y0.element_size()
    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        start = time.perf_counter()
        out = sample(den, grid, y0, method, generator=gen).y
        torch.cuda.synchronize(device)
        seconds = time.perf_counter() - start
        peak, kind = torch.cuda.max_memory_allocated(device), "cuda max_memory_allocated"
    else:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset VmHWM to the current resident set
        base = _status_kib("VmRSS") * 1024
        start = time.perf_counter()
        out = sample(den, grid, y0, method, generator=gen).y
        seconds = time.perf_counter() - start
        peak, kind = _status_kib("VmHWM") * 1024, "process VmHWM (fresh process)"
    assert torch.isfinite(out).all()
    return {"method": method, "n": n, "d": d, "K": K, "nfe": nfe, "dtype": str(dtype).replace("torch.", ""),
            "device": device.type, "rate": rate, "denoiser": denoiser,
            "chunk_elements": chunk_elements, "state_bytes": state, "peak_growth_bytes": peak - base,
            "state_copies": (peak - base) / state, "kind": kind, "seconds": seconds}


def measure(methods, n: int, d: int, K: int, nfe: int, dtype: torch.dtype = torch.float32,
            device: torch.device | str = "cpu", rate: str = "flow", chunk_elements: int | None = None,
            denoiser: str = "mixture", timeout: float = 600) -> list[dict]:
    """State copies of each of ``methods`` (a name or a list): CPU in one fresh child process (the peak is reset
    before each method; every state of the one before has been returned to the kernel), CUDA in this one."""
    methods = [methods] if isinstance(methods, str) else list(methods)
    device = torch.device(device)
    if device.type == "cuda":
        return [measure_here(m, n, d, K, nfe, dtype, device, rate, chunk_elements, denoiser) for m in methods]
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "numerics.memory", "--method", *methods, "--n", str(n), "--d", str(d), "--K", str(K),
           "--nfe", str(nfe), "--dtype", str(dtype).replace("torch.", ""), "--rate", rate, "--denoiser", denoiser]
    if chunk_elements is not None:
        cmd += ["--chunk-elements", str(chunk_elements)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, timeout=timeout)
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"memory measurement of {', '.join(methods)} failed: {last}")
    return [json.loads(line) for line in res.stdout.strip().splitlines() if line.startswith("{")]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m numerics.memory", description=__doc__.splitlines()[0])
    p.add_argument("--method", nargs="+", required=True)
    p.add_argument("--n", type=int, default=1 << 15)
    p.add_argument("--d", type=int, default=512)
    p.add_argument("--K", type=int, default=8)
    p.add_argument("--nfe", type=int, default=6)
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--rate", default="flow")
    p.add_argument("--chunk-elements", type=int, default=None)
    p.add_argument("--denoiser", choices=("mixture", "scale"), default="mixture")
    a = p.parse_args(argv)
    for m in a.method:
        print(json.dumps(measure_here(m, a.n, a.d, a.K, a.nfe, getattr(torch, a.dtype), "cpu", a.rate,
                                      a.chunk_elements, a.denoiser)), flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
