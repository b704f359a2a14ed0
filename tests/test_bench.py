"""The benchmark (numerics.bench) on tiny sizes: it runs, the table is produced, the numbers are sane.

No timing is asserted (timings depend on the machine)."""

from __future__ import annotations

import io
import json
import math

import pytest
import torch

from numerics import bench


def test_pick_batch_respects_memory_budget():
    b = bench.pick_batch(3072, 64, torch.float64, 2**30)
    assert bench.memory_estimate(b, 3072, 64, torch.float64) <= 2**30
    assert bench.pick_batch(2, 8, torch.float32, 2**40) == bench.MAX_BATCH
    assert bench.pick_batch(10**6, 10**3, torch.float64, 1) == 1


def test_run_case_tiny_cpu():
    row = bench.run_case(4, 3, torch.float32, torch.device("cpu"), budget_bytes=2**20, max_batch=100,
                         nfe=2, min_time=0.0)
    assert row.batch == 100 and row.d == 4 and row.K == 3
    for v in (row.evals_per_s, row.evals_per_s_reference, row.samples_per_s, row.matmul_gflops, row.bound_ratio,
              row.seconds_denoiser, row.seconds_products):
        assert math.isfinite(v) and v > 0
    assert row.bound_ratio == row.seconds_denoiser / row.seconds_products
    assert row.flops_per_eval == 8 * 3 * 4
    assert "RSS" in row.peak_kind
    assert len(bench.format_row(row).split()) == len(bench.HEADER.split()) - 2  # "evals/s" labels are two words


def test_run_bench_prints_table():
    out = io.StringIO()
    rows = bench.run_bench((2,), (2, 3), (torch.float64,), (torch.device("cpu"),), budget_gib=0.001,
                           max_batch=50, min_time=0.0, nfe=2, out=out)
    assert len(rows) == 2 and len(out.getvalue().strip().splitlines()) == 2


def test_main_tiny(capsys):
    assert bench.main(["--device", "cpu", "--dims", "2", "--components", "2", "--dtypes", "float32",
                       "--max-batch", "20", "--min-time", "0", "--nfe", "1", "--method", "none"]) == 0
    text = capsys.readouterr().out
    assert "evals/s" in text and "cpu" in text


def test_main_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert bench.main(["--device", "cpu", "--dims", "3", "--components", "2", "4", "--dtypes", "float64",
                       "--max-batch", "30", "--min-time", "0", "--nfe", "1", "--json", str(path),
                       "--method", "none"]) == 0  # the state_copies table: tests/test_device.py
    rows = json.loads(path.read_text())
    assert [(r["d"], r["K"]) for r in rows] == [(3, 2), (3, 4)]
    for r in rows:
        assert {"d", "K", "dtype", "batch", "device", "evals_per_s", "bound_ratio"} <= set(r)
        assert r["dtype"] == "float64" and r["device"] == "cpu" and r["batch"] == 30 and r["bound_ratio"] > 0


@pytest.mark.gpu
def test_run_case_cuda():
    row = bench.run_case(8, 4, torch.float32, torch.device("cuda"), budget_bytes=2**24, max_batch=1000,
                         nfe=2, min_time=0.0)
    assert row.peak_kind == "cuda max allocated" and row.peak_mib > 0


@pytest.mark.parametrize("sampler", ["heun", "rk4", "ms2", "Kutta3"])
def test_sampler_option_runs_the_named_method_within_the_nfe(sampler, tmp_path):
    """--sampler picks the samples/s method from the registry; the row's NFE is that run's (steps_for)."""
    from numerics import uds_methods

    path = tmp_path / "bench.json"
    assert bench.main(["--device", "cpu", "--dims", "2", "--components", "2", "--dtypes", "float32",
                       "--max-batch", "20", "--min-time", "0", "--nfe", "9", "--sampler", sampler,
                       "--json", str(path), "--method", "none"]) == 0
    (row,) = json.loads(path.read_text())
    rec = uds_methods.get(sampler)
    assert row["sampler"] == rec.name and row["nfe"] == rec.nfe(uds_methods.steps_for(sampler, 9)) <= 9
    assert math.isfinite(row["samples_per_s"]) and row["samples_per_s"] > 0


@pytest.mark.parametrize("argv", [["--sampler", "nope"], ["--nfe", "0"]])
def test_bad_sampler_or_nfe_is_one_line_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--device", "cpu", "--method", "none", *argv])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1 and "error" in err
