import os

import mpmath as mp
import pytest

# No test reads or writes the user's verdict cache (a stale record would hide what a test changed, a monkeypatched
# check would be stored); tests of the cache pass their own --cache DIR, which wins over this switch.  Set before any
# test starts, so subprocesses (the README's commands, the notebooks) inherit it.
os.environ["FBD_VERIFY_NO_CACHE"] = "1"

# Under pytest-xdist (the README's `-n auto`), each worker gets its share of the cores for torch's intra-op threads,
# so two workers on two cores do not run four threads.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))

import derivations  # noqa: F401  (registers the built-in entries)
import verify.claims  # noqa: F401  (registers every claim)


@pytest.fixture
def mp_dps50():
    """mpmath at 50 digits for the duration of a test (as in mpmath's own suite)."""
    with mp.workdps(50):
        yield


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        cuda = False
    skip = pytest.mark.skip(reason="needs CUDA")
    for item in items:
        if "gpu" in item.keywords and not cuda:
            item.add_marker(skip)
    _slow_timeouts(config, items)


#: Per-test limit for tests marked `slow` (the default limit, 600 s, is `timeout` in pyproject.toml).
SLOW_TIMEOUT_S = 3600


def _slow_timeouts(config, items):
    """Tests marked `slow` get SLOW_TIMEOUT_S unless they set their own @pytest.mark.timeout."""
    if not config.pluginmanager.hasplugin("timeout"):  # pytest-timeout not installed: no limits at all
        return
    for item in items:
        if "slow" in item.keywords and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))
