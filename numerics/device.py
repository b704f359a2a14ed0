"""The device the torch claims run on (issue 18): ``python -m verify --device {auto,cpu,cuda}``.

The choice travels to the claims (and their worker processes) in the environment variable FBD_VERIFY_DEVICE
("cpu" or "cuda"; unset: cpu).  A claim that honours it lists its id in :data:`DEVICE_CLAIMS`; it draws its random
numbers on the CPU (the same numbers on every device) and moves the work (denoiser, sampler) to the device, so
its figures agree between devices to round-off.  Every other claim runs on the CPU, and the JSON report says so.
"""

from __future__ import annotations

import os

import torch

DEVICE_ENV = "FBD_VERIFY_DEVICE"
CHOICES = ("auto", "cpu", "cuda")
#: Claims whose torch work runs on the chosen device.
DEVICE_CLAIMS = frozenset({"uds-distribution"})


def resolve(name: str, cuda_available: bool | None = None) -> str:
    """"auto" -> "cuda" when CUDA is present, else "cpu"; "cuda" without CUDA is a one-line ValueError."""
    if name not in CHOICES:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(CHOICES)}")
    cuda = torch.cuda.is_available() if cuda_available is None else cuda_available
    if name == "auto":
        return "cuda" if cuda else "cpu"
    if name == "cuda" and not cuda:
        raise ValueError("--device cuda: no CUDA device is available (torch.cuda.is_available() is False)")
    return name


def current() -> torch.device:
    """The chosen device (FBD_VERIFY_DEVICE; default cpu)."""
    name = os.environ.get(DEVICE_ENV, "") or "cpu"
    return torch.device(resolve(name))


def claim_device(claim_id: str, chosen: str) -> str:
    """The device a claim's torch work ran on."""
    return chosen if claim_id in DEVICE_CLAIMS else "cpu"
