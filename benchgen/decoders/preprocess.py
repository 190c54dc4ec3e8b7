"""Image -> network input under a stated convention, and the record needed to undo it.

Exporters disagree on every step (Ultralytics: RGB, 0-1, letterbox centred with 114; YOLOX: BGR,
0-255, top-left; RT-DETR: stretched, no padding; NanoDet: an affine warp that centres the image at a
sub-pixel offset; PicoDet: stretched with bicubic interpolation), and a decoder that gets one step wrong scores
near zero without any error. So the convention is data (`Convention`, filled from the decoder's
defaults and the registry's `preprocess` block) and the one transform here applies it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import cv2
import numpy as np

from benchgen.pipeline import COCO_CATEGORY_IDS, ImageMeta


@dataclass(frozen=True)
class Convention:
    resize: str = "letterbox"  # letterbox | stretch | warp
    pad: str = "center"  # center | top-left
    pad_value: int = 114
    channels: str = "rgb"  # rgb | bgr
    pixel_range: str = "0-1"  # 0-1 | 0-255
    mean: tuple[float, float, float] | None = None
    std: tuple[float, float, float] | None = None
    #: new size = round(side * ratio) (Ultralytics' LetterBox) or int(side * ratio) (YOLOX's preproc)
    truncate: bool = False
    #: cv2 interpolation of the resize: linear (every exporter's default) or cubic (PaddleDetection's interp 2)
    interpolation: str = "linear"

    def override(self, fields: dict[str, Any]) -> "Convention":
        """The registry's `preprocess` block over the decoder's defaults."""
        fields = {k: (tuple(v) if isinstance(v, list) else v) for k, v in fields.items() if v is not None}
        return replace(self, **fields)

    def settings(self) -> dict[str, Any]:
        """Flat entries for Result.settings: the pages print every convention a number depends on."""
        record = {k: v for k, v in asdict(self).items() if k != "truncate" and v is not None}
        if self.interpolation == "linear":  # the default; recorded only where it differs, as before
            record.pop("interpolation")
        if self.resize == "stretch":
            record.pop("pad"), record.pop("pad_value")
        elif self.resize == "warp":  # always centred
            record.pop("pad")
        return {f"pre_{k}": (list(v) if isinstance(v, tuple) else v) for k, v in record.items()}


def _resized_size(width: int, height: int, ratio: float, truncate: bool) -> tuple[int, int]:
    if truncate:
        return int(width * ratio), int(height * ratio)
    return int(round(width * ratio)), int(round(height * ratio))


_INTERPOLATION = {"linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}


def warp_matrix(width: int, height: int, target_w: int, target_h: int) -> tuple[float, float, float]:
    """(ratio, offset x, offset y) of NanoDet's keep-ratio resize matrix (`get_resize_matrix`,
    nanodet/data/transform/warp.py): move the image centre to the origin, scale by the ratio that
    fits the longer side, move it to the canvas centre. The offsets are not rounded."""
    ratio = target_h / height if width / height < target_w / target_h else target_w / width
    return ratio, 0.5 * target_w - ratio * width / 2, 0.5 * target_h - ratio * height / 2


def transform(image_bgr: np.ndarray, size: tuple[int, int], convention: Convention) -> tuple[np.ndarray, ImageMeta]:
    """(H, W, 3) uint8 BGR -> (1, 3, h, w) float32 and the scale/padding that placed it."""
    if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 BGR image, got {image_bgr.shape} {image_bgr.dtype}")
    height, width = image_bgr.shape[:2]
    target_h, target_w = size
    image = image_bgr[:, :, ::-1] if convention.channels == "rgb" else image_bgr
    interpolation = _INTERPOLATION[convention.interpolation]
    if convention.resize == "stretch":
        canvas = cv2.resize(np.ascontiguousarray(image), (target_w, target_h), interpolation=interpolation)
        meta = ImageMeta(orig_width=width, orig_height=height, scale_x=target_w / width, scale_y=target_h / height)
    elif convention.resize == "warp":
        ratio, dx, dy = warp_matrix(width, height, target_w, target_h)
        matrix = np.array([[ratio, 0.0, dx], [0.0, ratio, dy], [0.0, 0.0, 1.0]], dtype=np.float64)
        fill = (convention.pad_value,) * 3
        # warpPerspective as NanoDet calls it (its border default is 0, NanoDet's pad_value)
        canvas = cv2.warpPerspective(np.ascontiguousarray(image), matrix, (target_w, target_h), flags=interpolation,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
        meta = ImageMeta(orig_width=width, orig_height=height, scale_x=ratio, scale_y=ratio, pad_x=dx, pad_y=dy)
    else:
        ratio = min(target_h / height, target_w / width)
        new_w, new_h = _resized_size(width, height, ratio, convention.truncate)
        if convention.pad == "center":
            # Ultralytics' LetterBox: the odd pixel goes right/bottom (round(d - 0.1), round(d + 0.1))
            left, top = int(round((target_w - new_w) / 2 - 0.1)), int(round((target_h - new_h) / 2 - 0.1))
        else:
            left, top = 0, 0
        canvas = np.full((target_h, target_w, 3), convention.pad_value, dtype=np.uint8)
        resized = image if (new_w, new_h) == (width, height) else cv2.resize(
            np.ascontiguousarray(image), (new_w, new_h), interpolation=interpolation)
        canvas[top:top + new_h, left:left + new_w] = resized
        meta = ImageMeta(orig_width=width, orig_height=height, scale_x=ratio, scale_y=ratio, pad_x=left, pad_y=top)
    tensor = canvas.astype(np.float32)
    if convention.pixel_range == "0-1":
        tensor /= np.float32(255)
    if convention.mean is not None:
        tensor -= np.asarray(convention.mean, dtype=np.float32)
    if convention.std is not None:
        tensor /= np.asarray(convention.std, dtype=np.float32)
    return np.ascontiguousarray(tensor.transpose(2, 0, 1)[None]), meta


def category_table(class_map: Any) -> np.ndarray | None:
    """Class index -> COCO category id; None for 'coco-ids' (the outputs already are ids)."""
    if class_map in (None, "coco80"):
        return np.asarray(COCO_CATEGORY_IDS, dtype=np.int64)
    if class_map == "coco-ids":
        return None
    return np.asarray(list(class_map), dtype=np.int64)


def to_category_ids(class_index: np.ndarray, table: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """COCO ids of `class_index`, and a mask of the detections whose class has an id (others are dropped:
    a model trained with extra classes must not score them against COCO's)."""
    class_index = np.asarray(class_index, dtype=np.int64).reshape(-1)
    if table is None:
        return class_index, class_index >= 0
    valid = (class_index >= 0) & (class_index < len(table))
    ids = np.zeros_like(class_index)
    ids[valid] = table[class_index[valid]]
    return ids, valid
