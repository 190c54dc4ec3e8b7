"""Match a pipeline's feeds to a model's inputs: the one rule every runner (ONNX Runtime, TensorRT) uses.

A leaf module (it imports nothing of benchgen's but its errors), so runners and engines can share it
without importing each other.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from benchgen.errors import BenchgenError


def bind_feeds(feeds: dict[str, np.ndarray], input_names: Sequence[str]) -> dict[str, np.ndarray]:
    """Match a pipeline's feeds to the model's inputs; a lone input binds by position.

    Bring-your-own ONNX files name their one image input whatever their exporter chose ("images",
    "input", ...); insisting on a name would reject a file for no reason that matters.
    """
    if set(feeds) == set(input_names):
        return feeds
    if len(feeds) == 1 and len(input_names) == 1:
        return {input_names[0]: next(iter(feeds.values()))}
    raise BenchgenError(f"the pipeline feeds {sorted(feeds)} but the model's inputs are {list(input_names)}")
