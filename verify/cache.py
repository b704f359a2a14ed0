"""The verdict cache: a claim's record is reused only when nothing that can change it has changed.

A record is stored under a key, the SHA-256 of everything its verdict can depend on (:func:`claim_key`):

* the package's source: every file under ``derivations/``, ``numerics/`` and ``verify/`` (a formula edited in
  ``derivations/`` changes every key);
* the registry entries the claim covers (``Claim.covers``) and the full text of every ``--schedules`` file that
  defines one of them (a claim that covers no user entry does not depend on the files);
* the run's options that reach a check (tier, per-claim time limit, device) and the claim's id;
* the environment variables the package reads (every ``FBD_*`` variable, cache switches excepted);
* the versions of Python, sympy, mpmath, numpy, torch (and scipy, lark), and the device's name.

An entry is a JSON file ``DIR/<key[:2]>/<key>.json`` holding the record and a checksum of it; a file that cannot be
read, is not JSON, lacks a field, names another key or fails its checksum is ignored with a one-line warning and
the claim runs.  A failure of the runner (a time-out or a crashed worker) is never stored: it depends on the load.

``--no-cache``, ``CI=true`` or ``FBD_VERIFY_NO_CACHE=1`` run everything (an explicit ``--cache DIR`` still caches).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .records import ClaimRecord, record_from_json

#: The format of an entry; a change of format changes every key.
CACHE_FORMAT = 1
#: Folders of the package whose files are hashed (relative to the project root).
SOURCE_DIRS = ("derivations", "numerics", "verify")
#: Variables that switch the cache itself; they never change a verdict, so they are not in the key.
CACHE_ENV = ("FBD_VERIFY_NO_CACHE", "FBD_VERIFY_CACHE_DIR")
#: The distributions whose versions are in the key.
PACKAGES = ("sympy", "mpmath", "numpy", "torch", "scipy", "lark")

ROOT = Path(__file__).resolve().parents[1]


def default_dir() -> Path:
    """$FBD_VERIFY_CACHE_DIR, else $XDG_CACHE_HOME/fbd-verify, else ~/.cache/fbd-verify."""
    if os.environ.get("FBD_VERIFY_CACHE_DIR"):
        return Path(os.environ["FBD_VERIFY_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fbd-verify"


def disabled_by_env() -> str | None:
    """Why the environment turns the default cache off (CI=true, FBD_VERIFY_NO_CACHE=1), or None."""
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        return "CI=true"
    if os.environ.get("FBD_VERIFY_NO_CACHE", "") not in ("", "0"):
        return "FBD_VERIFY_NO_CACHE=1"
    return None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_digest(root: Path = ROOT, dirs: Iterable[str] = SOURCE_DIRS) -> str:
    """SHA-256 over the path and content of every file under ``dirs`` (byte code and caches excluded)."""
    h = hashlib.sha256()
    for d in dirs:
        base = root / d
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            if "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
                continue
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(_sha(path.read_bytes()).encode() + b"\n")
    return h.hexdigest()


def package_env(environ=None) -> dict[str, str]:
    """The environment variables the package reads that can change a verdict: every FBD_* variable (the package's
    prefix; tests/test_cache.py checks that no other name is read), the cache's own switches excepted."""
    environ = os.environ if environ is None else environ
    return {k: environ[k] for k in sorted(environ) if k.startswith("FBD_") and k not in CACHE_ENV}


def versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": f"{platform.python_implementation()} {sys.version}"}
    for dist in PACKAGES:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def device_name(device: str) -> str:
    """The resolved device, with the GPU's name on CUDA."""
    if device.startswith("cuda"):
        try:
            import torch

            return f"{device}: {torch.cuda.get_device_name(torch.device(device))}"
        except Exception:  # pragma: no cover - no CUDA here
            return device
    return device


@lru_cache(maxsize=None)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return _sha(Path(path).read_bytes())


def file_digest(path: str) -> str:
    st = os.stat(path)
    return _file_digest(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


def covered_user_files(covered: dict, loaded) -> list[str]:
    """The ``--schedules`` files (their paths) that define an entry in ``covered`` (a claim's covers())."""
    names: set[tuple[str, str]] = set()
    for kind, key in (("schedules", "schedule"), ("parameterizations", "parameterization"), ("rates", "rate")):
        names |= {(key, n) for n in covered.get(kind, [])}
    for s, p in covered.get("pairs", []):
        names |= {("schedule", s), ("parameterization", p), ("pair", f"{s}/{p}")}
    out = []
    for entry in loaded:
        defined = ({("schedule", n) for n in entry.schedules} | {("parameterization", n) for n in entry.parameterizations}
                   | {("rate", n) for n in entry.rates} | {("pair", f"{a}/{b}") for a, b in entry.pairs})
        if defined & names:
            out.append(entry.path)
    return out


def run_context(*, tier: str, device: str, timeout: float | None, loaded=(), source: str | None = None) -> dict:
    """What every key of one run shares (computed once per run)."""
    return {"format": CACHE_FORMAT, "source": source or source_digest(), "tier": tier, "timeout": timeout,
            "device": device_name(device), "env": package_env(), "versions": versions(), "loaded": list(loaded)}


def claim_key(claim, context: dict) -> str:
    """The cache key of ``claim`` in the run described by ``context`` (see :func:`run_context`)."""
    covered = {}
    if claim.covers is not None:
        covered = {k: sorted(list(x) if isinstance(x, tuple) else x for x in v) for k, v in claim.covers().items()}
    files = covered_user_files(covered, context["loaded"])
    payload = {k: v for k, v in context.items() if k != "loaded"}
    payload.update(claim=claim.id, covered=covered,
                   user_files=sorted(file_digest(f) for f in files),
                   timeout=context["timeout"] if context["timeout"] is not None else claim.timeout)
    return _sha(json.dumps(payload, sort_keys=True, default=str).encode())


def warn(text: str) -> None:
    print(f"fbd-verify: warning: {text}", file=sys.stderr, flush=True)


def _checksum(record: dict) -> str:
    return _sha(json.dumps(record, sort_keys=True).encode())


class VerdictCache:
    """Records stored by key in ``folder`` (created on the first store)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._write_failed = False  # warn once per run, not once per claim

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def load(self, key: str, claim_id: str) -> ClaimRecord | None:
        """The stored record under ``key``, marked as reused; None when absent or corrupted (with one warning)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict) or data.get("key") != key or data.get("format") != CACHE_FORMAT:
                raise ValueError("it names another key or format")
            rec = data["record"]
            if not isinstance(rec, dict) or data.get("checksum") != _checksum(rec):
                raise ValueError("its checksum does not match its record")
            if rec.get("id") != claim_id:
                raise ValueError(f"it holds claim {rec.get('id')!r}")
            record = record_from_json(rec)
            record.reused = {"source": "cache", "ran_at": data.get("ran_at"), "seconds": rec.get("seconds"),
                             "key": key[:16]}
            return record
        except (OSError, ValueError, KeyError, TypeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else (
                "not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc) or type(exc).__name__)
            warn(f"cache entry {path} for {claim_id} is corrupted ({why}); ignored, the claim runs")
            return None

    def store(self, key: str, record: ClaimRecord) -> bool:
        """Store ``record`` under ``key`` (atomically); a runner failure (time-out, crash) is not stored."""
        if record.verdict == "failed" and isinstance(record.evidence, dict) and "error" in record.evidence:
            return False
        rec = record.to_json()
        rec["reused"] = None
        data = {"format": CACHE_FORMAT, "key": key, "claim": record.id,
                "ran_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "checksum": _checksum(rec),
                "record": rec}
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh)
            os.replace(tmp, path)
            return True
        except OSError as exc:
            if not self._write_failed:
                warn(f"could not write the cache entry {path} ({exc.strerror or exc}); records of this run are not "
                     "cached")
            self._write_failed = True
            return False
