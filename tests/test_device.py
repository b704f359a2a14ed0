"""Issue 18 items 2-5 on the CPU: device-sized chunks (a pure function of the device), the --device option, the
bench's state_copies and TF32 line, gpu-check's CPU version; the CUDA comparisons are `gpu` tests."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
import torch

from numerics import bench, memory
from numerics import device as numerics_device
from numerics.gaussian_mixture import (CHUNK_ENV, CPU_CHUNK_ELEMENTS, CUDA_CHUNK_BYTES, GaussianMixture,
                                       chunk_elements_for)
from verify import gpu_check


# --------------------------------------------------------------------------------------------------- chunks
def test_chunk_follows_the_device(monkeypatch):
    monkeypatch.delenv(CHUNK_ENV, raising=False)
    assert chunk_elements_for("cpu", 4) == chunk_elements_for("cpu", 8) == CPU_CHUNK_ELEMENTS
    assert chunk_elements_for("cpu", 4, free_bytes=10**12) == CPU_CHUNK_ELEMENTS  # the CPU ignores free memory
    assert chunk_elements_for("cuda", 4) == CUDA_CHUNK_BYTES // 4 == 1 << 26  # the byte target: float32
    assert chunk_elements_for("cuda", 8) == 1 << 25
    big = chunk_elements_for("cuda", 4, free_bytes=139 * 2**30)  # an H200: the byte target binds
    small = chunk_elements_for("cuda", 4, free_bytes=2**30)  # 1 GiB free: 1/16 of it
    assert big == 1 << 26 and small == 2**30 // 16 // 4 < big
    assert chunk_elements_for("cuda", 4, free_bytes=0) == 1 << 16  # never below the floor
    assert chunk_elements_for("cuda", 4, free_bytes=2**30, override=123) == 123


def test_chunk_override_by_environment(monkeypatch):
    monkeypatch.setenv(CHUNK_ENV, "4096")
    assert chunk_elements_for("cpu", 4) == chunk_elements_for("cuda", 4, 2**40) == 4096
    monkeypatch.setenv(CHUNK_ENV, "many")
    with pytest.raises(ValueError, match=CHUNK_ENV):
        chunk_elements_for("cpu", 4)
    with pytest.raises(ValueError, match="positive"):
        chunk_elements_for("cpu", 4, override=0)


def test_default_chunk_gives_the_explicit_results(monkeypatch):
    monkeypatch.delenv(CHUNK_ENV, raising=False)
    mix = GaussianMixture.random(3, 5, seed=1)
    y = mix.sample_noisy(50, 0.3, torch.Generator().manual_seed(0))
    assert torch.equal(mix.denoise(y, 0.3), mix.denoise(y, 0.3, chunk_elements=CPU_CHUNK_ELEMENTS))
    monkeypatch.setenv(CHUNK_ENV, "40")  # chunks of 40 numbers: other rows per chunk, the same rows' results
    assert torch.allclose(mix.denoise(y, 0.3), mix.denoise(y, 0.3, chunk_elements=CPU_CHUNK_ELEMENTS),
                          rtol=0, atol=1e-14)


# --------------------------------------------------------------------------------------------------- --device
def test_resolve_device():
    assert numerics_device.resolve("auto", cuda_available=False) == "cpu"
    assert numerics_device.resolve("auto", cuda_available=True) == "cuda"
    assert numerics_device.resolve("cpu", cuda_available=True) == "cpu"
    with pytest.raises(ValueError, match="no CUDA device"):
        numerics_device.resolve("cuda", cuda_available=False)
    with pytest.raises(ValueError, match="unknown device"):
        numerics_device.resolve("tpu")
    assert numerics_device.claim_device("uds-distribution", "cuda") == "cuda"
    assert numerics_device.claim_device("uds-orders", "cuda") == "cpu"


def _verify(*args, env=None):
    return subprocess.run([sys.executable, "-m", "verify", *args], capture_output=True, text=True, env=env)


def test_help_shows_device():
    res = _verify("--help")
    assert res.returncode == 0 and "--device {auto,cpu,cuda}" in res.stdout and "gpu-check" in res.stdout


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_device_cuda_without_cuda_is_one_line():
    for args in (["--device", "cuda", "--only", "uds-ddpm-numeric"], ["gpu-check", "--device", "cuda"]):
        res = _verify(*args)
        assert res.returncode == 2 and res.stdout == "", res
        assert len(res.stderr.strip().splitlines()) == 1 and "no CUDA device" in res.stderr


def test_json_records_device_per_claim(tmp_path):
    path = tmp_path / "r.json"
    res = _verify("--device", "cpu", "--only", "uds-ddpm-numeric", "--jobs", "1", "--quiet", "--json", str(path))
    assert res.returncode == 0, res.stderr
    report = json.loads(path.read_text())
    assert report["options"]["device"] == "cpu"
    assert [c["device"] for c in report["claims"]] == ["cpu"]


# --------------------------------------------------------------------------------------------------- bench
def test_method_batch():
    assert bench.method_batch(3072, torch.float32, 139 * 2**30) == 10**6  # an H200: 7.5 states of 12.3 GB fit
    assert bench.method_batch(3072, torch.float32, 2 * 2**30) == 10**4
    assert bench.method_batch(10**6, torch.float64, 1) == 1


def test_bench_state_copies_and_tf32_line(tmp_path, capsys):
    path = tmp_path / "b.json"
    assert bench.main(["--device", "cpu", "--dims", "256", "--components", "2", "--dtypes", "float32",
                       "--max-batch", "1000", "--min-time", "0", "--nfe", "1", "--method", "euler", "pc2",
                       "--method-nfe", "3", "--memory-gib", "0.05", "--json", str(path)]) == 0
    text = capsys.readouterr().out
    assert "TF32 off" in text and "state_copies" in text
    rows = json.loads(path.read_text())
    methods = [r for r in rows if "method" in r]
    assert [r["method"] for r in methods] == ["euler", "pc2"]
    for r in methods:
        assert r["device"] == "cpu" and r["n"] == 1000 and r["state_copies"] > 0
        assert r["target"] == memory.TARGETS[r["method"]]
    denoiser = [r for r in rows if "method" not in r]
    assert denoiser and all(r["tf32"] is False and r["device_peak_tflops"] > 0 and r["tflops"] > 0 for r in denoiser)


def test_bench_unknown_method_is_one_line():
    with pytest.raises(SystemExit) as exc:
        bench.main(["--method", "eulerr"])
    assert exc.value.code == 2


# --------------------------------------------------------------------------------------------------- gpu-check
def test_gpu_check_cpu_version():
    out = io.StringIO()
    sizes = {"memory": (1 << 13, 512, 2, 2, 1 << 16), "bench": (2000, 16, 2)}
    gpu_check.run_check(torch.device("cpu"), out=out, methods=["euler"], sizes=sizes)
    text = out.getvalue()
    assert "no CUDA device is present" in text
    lines = text.splitlines()
    assert [ln.split()[0] for ln in lines[2:]] == ["memory", "bench", "bench", "chunk", "chunk", "device"]
    assert "no CUDA device" in lines[-1]


# --------------------------------------------------------------------------------------------------- CUDA
@pytest.mark.gpu
def test_memory_targets_on_cuda():
    for r in memory.measure(list(memory.TARGETS), 1 << 16, 1024, 8, 6, torch.float32, "cuda"):
        assert r["state_copies"] <= memory.TARGETS[r["method"]] + 0.1, r


@pytest.mark.gpu
def test_distribution_claim_same_on_cuda():
    """The torch claim on the device gives the CPU's figures (float64, 1e-10) and verdict."""
    from numerics.schedule_grid import uds_forms
    from verify.claims import uds_torch

    kw = dict(batch=2000, nfes=(8, 16), replicates=2, criterion_nfe=16)
    a = uds_torch._distribution_check(uds_forms(), device="cpu", **kw)
    b = uds_torch._distribution_check(uds_forms(), device="cuda", **kw)
    assert a.verdict == b.verdict and a.evidence["device"] == "cpu" and b.evidence["device"] == "cuda"
    ta = uds_torch.distribution_table(None, device="cpu", **kw)
    tb = uds_torch.distribution_table(None, device="cuda", **kw)
    for key, row in ta["rows"].items():
        for f in ("fd", "sw"):
            assert row[f] == pytest.approx(tb["rows"][key][f], rel=1e-10, abs=0), (key, f)
    assert tb["device"] == "cuda"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_notebooks_device_cuda_without_cuda_is_one_line(capsys):
    from verify import notebooks as vnb

    assert vnb.main(["--device", "cuda", "section2"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no CUDA device" in err


def test_notebooks_pass_the_device_to_the_kernels(monkeypatch, capsys):
    from verify import notebooks as vnb

    seen = []

    def fake_execute(name, work, env, **kw):  # records the kernels' environment instead of running
        seen.append(env[numerics_device.DEVICE_ENV])
        return {"name": name, "ok": True, "seconds": 0.0, "wall": 0.0, "html": None, "error": ""}
    monkeypatch.setattr(vnb, "_check_tools", lambda: None)
    monkeypatch.setattr(vnb, "execute", fake_execute)
    assert vnb.main(["--device", "cpu", "section2"]) == 0
    assert vnb.main(["--device", "auto", "section2"]) == 0
    assert seen == ["cpu", numerics_device.resolve("auto")]
