import os
from pathlib import Path

import pytest
import yaml

# Nothing may reach a model hub: tests run offline, always.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def batch_gradient(module, chunks):
    """The flattened gradient of one batch's loss, summed over its weighted chunks."""
    import torch

    module.zero_grad()
    for inputs, share in chunks:
        (module(**inputs).loss * share).backward()
    return torch.cat([p.grad.flatten() for p in module.parameters() if p.grad is not None])


SMALL_DATA = {
    "name": "test-small",
    "seed": 7,
    "n_train": 80,
    # the questions the fixtures' thresholds were set on (e.g. Whisper hears most of the 4
    # spoken `test` clips); version 2's wording is tested in test_generator.py
    "wording": 1,
    "n_test_per_category": 8,
    "n_heldout_phrasing_per_category": 8,
    "n_valid_per_category": 4,
    "n_valid_phrasing_per_category": 4,
    "eval_sources": ["gsm8k:test", "svamp"],
    "n_eval_per_source": 10,
    "shard_size": 25,
}


def write_data_config(directory: Path, **overrides) -> Path:
    path = directory / "small.yaml"
    path.write_text(yaml.safe_dump({**SMALL_DATA, **overrides}))
    return path


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    """A small dataset built once per test session through the real CLI."""
    from omni_reasoner.cli import main

    tmp = tmp_path_factory.mktemp("small_dataset")
    out = tmp / "ds"
    assert (
        main(
            ["data", "build", "--config", str(write_data_config(tmp)), "--out", str(out), "--quiet"]
        )
        == 0
    )
    return out
