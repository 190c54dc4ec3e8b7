"""The contract between a model family and the measuring code.

Evaluation and timing must not know which detector they drive: each family supplies a
`Pipeline` that turns a decoded image into ONNX Runtime feeds and the raw network outputs back
into detections in original-image coordinates with COCO category ids. Keeping this in NumPy
(no torch, no torchvision) lets the same code run against ONNX Runtime and TensorRT outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np

# COCO's 80 detection classes use 91 ids with gaps; class index i maps to COCO_CATEGORY_IDS[i].
COCO_CATEGORY_IDS: tuple[int, ...] = (
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28,
    31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,
    56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84,
    85, 86, 87, 88, 89, 90,
)


@dataclass
class Detections:
    """Detections of one image: boxes x1,y1,x2,y2 in original-image pixels."""

    boxes: np.ndarray  # (K, 4) float32
    scores: np.ndarray  # (K,) float32
    category_ids: np.ndarray  # (K,) int64, COCO category ids (not class indices)

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        self.scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        self.category_ids = np.asarray(self.category_ids, dtype=np.int64).reshape(-1)
        if not (len(self.boxes) == len(self.scores) == len(self.category_ids)):
            raise ValueError("boxes, scores and category_ids must have the same length")

    def __len__(self) -> int:
        return len(self.scores)


@dataclass
class ImageMeta:
    """What post-processing needs to undo pre-processing (original size, scale, padding)."""

    orig_width: int
    orig_height: int
    scale_x: float = 1.0  # network-input pixels per original pixel
    scale_y: float = 1.0
    pad_x: float = 0.0  # network-input pixels added on the left
    pad_y: float = 0.0  # network-input pixels added on the top
    extra: dict[str, Any] = field(default_factory=dict)


class Pipeline(Protocol):
    """Pre- and post-processing of one detector family, as its official evaluation does them."""

    #: network input (height, width)
    input_size: tuple[int, int]

    def preprocess(self, image_bgr: np.ndarray) -> tuple[dict[str, np.ndarray], ImageMeta]:
        """Decoded image (H, W, 3, uint8, BGR as cv2 reads it) -> ONNX feeds for batch 1."""
        ...

    def postprocess(self, outputs: Sequence[np.ndarray], meta: ImageMeta) -> Detections:
        """Raw network outputs for batch 1 (in the ONNX output order) -> detections."""
        ...
