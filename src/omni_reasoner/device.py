"""Where a model runs: one rule for training and inference, so `auto` means the same thing."""

from __future__ import annotations

import os

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto"):
    """`auto` is the GPU when torch sees one, else the CPU; `cuda` without a GPU is an error.

    Under torchrun each process takes the GPU of its LOCAL_RANK.
    """
    import torch

    if name not in DEVICES:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' asked for, but torch sees no CUDA GPU")
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")
