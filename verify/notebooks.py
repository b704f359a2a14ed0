"""``python -m verify notebooks``: execute the reviewers' notebooks, write HTML copies, refresh the paired .ipynb.

    python -m verify notebooks [NAME ...] [--quick | --full] [--html DIR] [--update] [--timeout S] [--list]

The sources are the Jupytext percent-format files ``notebooks/NAME.py``; each is converted to a notebook,
executed top to bottom by ipykernel's python3 kernel running this very interpreter (``sys.executable``; a
kernel spec written for the run, so no other Python's kernel can be picked), and then

* ``--html DIR``: written as ``DIR/NAME.html`` with its outputs;
* ``--update``: written over the paired ``notebooks/NAME.ipynb`` (outputs included, execution timestamps
  dropped), for reading on the web.

``--quick`` sets ``FBD_NOTEBOOK_QUICK=1`` (each notebook runs a subset of its claims, short ladders);
``--full`` sets ``FBD_VERIFY_FULL=1`` (the ledger's ``--full`` tier: longer ladders, more digits).  Without
either, every claim runs at the ledger's default tier.  One line per notebook reports its execution time
(from the kernel's first cell to its last reply) and the wall time (kernel start included).

The work is done by the notebooks extra's own command-line tools (``python -m jupytext``, ``python -m nbconvert``,
which executes with nbclient), so the package imports nothing beyond its core dependencies; without the extra
the command says how to install it.  Exit status: 0 when every notebook executed, 1 when one raised (its error
is printed), 2 for bad input (one line: an unknown notebook, an unwritable directory, the extra missing).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

PROG = "fbd-verify notebooks"
NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
#: The order the notebooks run in (the index first); any other notebooks/*.py runs after them.
ORDER = ("reviewer_walkthrough", "section2", "section3", "section4", "section5_appendix_a", "section6")
TOOLS = ("jupytext", "nbconvert", "nbclient", "nbformat", "ipykernel")


class UsageError(Exception):
    """Bad input: one line on stderr, exit status 2."""


def available() -> list[str]:
    """The notebook names (stems of notebooks/*.py), in run order."""
    names = sorted(p.stem for p in NOTEBOOK_DIR.glob("*.py")) if NOTEBOOK_DIR.is_dir() else []
    return [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]


def _parser() -> argparse.ArgumentParser:
    from .cli import OneLineParser  # errors in one line, as the main command's

    p = OneLineParser(prog=PROG, description="Execute the reviewers' notebooks (notebooks/*.py, paired "
                      "with .ipynb) with this environment's python3 kernel; report each one's time.",
                      epilog="Exit status: 0 all executed, 1 a notebook raised, 2 bad input.")
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="notebooks to run (a name such as section2, or its path); default: all")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="FBD_NOTEBOOK_QUICK=1: a subset of claims, short ladders")
    mode.add_argument("--full", action="store_true", help="FBD_VERIFY_FULL=1: the ledger's --full tier")
    p.add_argument("--html", metavar="DIR", help="write DIR/NAME.html with the outputs (DIR is created)")
    p.add_argument("--update", action="store_true", help="rewrite the paired notebooks/NAME.ipynb with the outputs")
    p.add_argument("--timeout", type=float, default=1800, metavar="S", help="time limit per cell (default 1800 s)")
    p.add_argument("--list", action="store_true", help="list the notebooks, run nothing")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu",
                   help="where the torch claims run (default cpu; auto: CUDA when present)")
    return p


def _resolve(names: list[str]) -> list[str]:
    known = available()
    if not known:
        raise UsageError(f"no notebooks found in {NOTEBOOK_DIR} (run from a source checkout)")
    if not names:
        return known
    out = []
    for raw in names:
        stem = Path(raw).stem if raw.endswith((".py", ".ipynb")) else Path(raw).name
        if stem not in known:
            raise UsageError(f"no notebook {raw!r} (choose from: {', '.join(known)})")
        if stem not in out:
            out.append(stem)
    return out


def _html_dir(path: str) -> Path:
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise UsageError(f"--html {path}: exists and is not a directory")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--html {path}: cannot create the directory ({exc.strerror or exc})") from None
    probe = target / ".fbd-write-test"
    try:
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--html {path}: not writable ({exc.strerror or exc})") from None
    return target.resolve()


def _check_tools() -> None:
    missing = [m for m in TOOLS if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"the notebooks extra is not installed (missing {', '.join(missing)}): "
                         "pip install -e '.[notebooks]'")


def kernel_path(work: Path) -> Path:
    """A Jupyter data directory whose python3 kernel spec runs this interpreter (put first on JUPYTER_PATH)."""
    spec = work / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python", "metadata": {"debugger": False}}))
    return work / "jupyter"


def _tool(module: str, args: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], env=env, cwd=cwd, capture_output=True, text=True)


def _stamp(text: str | None):
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def execution_seconds(nb: dict) -> float | None:
    """Seconds from the first cell's execute_input to the last cell's execute_reply (nbclient's timing)."""
    starts, ends = [], []
    for cell in nb.get("cells", []):
        ex = cell.get("metadata", {}).get("execution", {})
        s, e = _stamp(ex.get("iopub.execute_input")), _stamp(ex.get("shell.execute_reply"))
        if s and e:
            starts.append(s)
            ends.append(e)
    return (max(ends) - min(starts)).total_seconds() if starts else None


def _strip_timing(nb: dict) -> dict:
    for cell in nb.get("cells", []):
        cell.get("metadata", {}).pop("execution", None)
    return nb


def _error_tail(stderr: str, lines: int = 25) -> str:
    text = stderr.strip().splitlines()
    return "\n".join(text[-lines:])


def execute(name: str, work: Path, env: dict, *, timeout: float, html: Path | None, update: bool) -> dict:
    """Convert, execute and write one notebook; returns {name, ok, seconds, wall, html, error}."""
    src = NOTEBOOK_DIR / f"{name}.py"
    tmp_nb = work / f"{name}.ipynb"
    res = _tool("jupytext", ["--quiet", "--to", "ipynb", "--output", str(tmp_nb), str(src)], env, work)
    if res.returncode != 0:
        return {"name": name, "ok": False, "error": "jupytext could not read it:\n" + _error_tail(res.stderr)}
    start = time.perf_counter()
    res = _tool("nbconvert", ["--to", "notebook", "--execute", "--inplace",
                              "--ExecutePreprocessor.kernel_name=python3",
                              f"--ExecutePreprocessor.timeout={int(timeout)}", str(tmp_nb)], env, work)
    wall = time.perf_counter() - start
    if res.returncode != 0:
        return {"name": name, "ok": False, "wall": wall, "error": _error_tail(res.stderr)}
    nb = json.loads(tmp_nb.read_text())
    out = {"name": name, "ok": True, "seconds": execution_seconds(nb), "wall": wall}
    nb = _strip_timing(nb)
    tmp_nb.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    if html is not None:
        res = _tool("nbconvert", ["--to", "html", "--output-dir", str(html), str(tmp_nb)], env, work)
        if res.returncode != 0:
            return {**out, "ok": False, "error": "nbconvert could not write the HTML:\n" + _error_tail(res.stderr)}
        out["html"] = str(html / f"{name}.html")
    if update:
        shutil.copyfile(tmp_nb, NOTEBOOK_DIR / f"{name}.ipynb")
    return out


def _line(r: dict) -> str:
    if not r["ok"]:
        return f"{r['name']:<22} FAILED" + (f"  (wall {r['wall']:.1f} s)" if "wall" in r else "")
    cells = f"{r['seconds']:7.1f} s" if r.get("seconds") is not None else "      ? s"
    return (f"{r['name']:<22} ok  cells {cells}  wall {r['wall']:6.1f} s"
            + (f"  -> {r['html']}" if r.get("html") else ""))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    try:
        names = _resolve(args.names)
        if args.list:
            print("\n".join(names))
            return 0
        if not args.timeout > 0:
            raise UsageError(f"--timeout must be > 0, got {args.timeout:g}")
        html = _html_dir(args.html) if args.html else None
        from numerics import device as numerics_device

        try:
            device = numerics_device.resolve(args.device)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        _check_tools()
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env.pop("FBD_NOTEBOOK_QUICK", None)
    if args.quick:
        env["FBD_NOTEBOOK_QUICK"] = "1"
    if args.full:
        env["FBD_VERIFY_FULL"] = "1"
    env[numerics_device.DEVICE_ENV] = device  # the kernels' claims read it
    mode = "quick" if args.quick else ("full tier" if args.full else "full")
    print(f"executing {len(names)} notebook(s), {mode} mode, kernel python3 = {sys.executable}", flush=True)
    results, total = [], time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fbd-notebooks-") as tmp:
        work = Path(tmp)
        env["JUPYTER_PATH"] = os.pathsep.join([str(kernel_path(work))] + [p for p in
                                               env.get("JUPYTER_PATH", "").split(os.pathsep) if p])
        for name in names:
            r = execute(name, work, env, timeout=args.timeout, html=html, update=args.update)
            results.append(r)
            print(_line(r), flush=True)
            if not r["ok"]:
                print(r["error"], file=sys.stderr, flush=True)
    failed = [r["name"] for r in results if not r["ok"]]
    print(f"{len(results) - len(failed)} of {len(results)} notebooks executed in {time.perf_counter() - total:.1f} s"
          + (f"; failed: {', '.join(failed)}" if failed else "") + (" (paired .ipynb updated)" if args.update else ""))
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
