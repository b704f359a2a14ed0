import mpmath as mp
import pytest

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
