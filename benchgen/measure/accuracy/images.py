"""Reading an image file, with everything that can be wrong with it said in one line.

cv2 raises `cv2.error` for a header that claims more pixels than it will allocate, returns None
for what it cannot parse, and decodes a truncated JPEG without complaint (libjpeg prints a
warning on stderr and fills the missing rows with grey). A truncated image scores as a real one
and quietly lowers mAP, so its decode is reported as a warning the caller counts in the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchgen.errors import DatasetError

#: how far from the end a JPEG's end-of-image marker may sit (some encoders pad the file)
_JPEG_TAIL = 4096


@dataclass
class DecodedImage:
    pixels: np.ndarray  # BGR, as cv2 decodes
    warning: str | None = None  # set when the file decoded but is incomplete


def _too_large(path: Path) -> str:
    """What the header claims, for the message (Pillow reads only the header and refuses the same)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return f"{image.size[0]}x{image.size[1]} pixels"
    except Image.DecompressionBombError as exc:
        match = re.search(r"\((\d+) pixels\)", str(exc))
        return f"{int(match.group(1)):,} pixels" if match else "too many pixels"
    except Exception:  # noqa: BLE001 - only for the message
        return "a size cv2 will not allocate"


def incomplete(path: Path) -> str | None:
    """Why a decodable file is still incomplete (truncated JPEG or PNG), else None."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - _JPEG_TAIL))
        tail = handle.read()
    if head[:2] == b"\xff\xd8" and b"\xff\xd9" not in tail:
        return "truncated JPEG (no end-of-image marker; the missing rows decode as grey)"
    if head == b"\x89PNG\r\n\x1a\n" and b"IEND" not in tail[-12:]:
        return "truncated PNG (no IEND chunk)"
    return None


def read_image(path: Path, fix: str) -> DecodedImage:
    """The image at `path`; DatasetError (ending in `fix`, what the user should do) if it cannot be decoded."""
    path = Path(path)
    try:
        pixels = cv2.imread(str(path), cv2.IMREAD_COLOR)
    except cv2.error:
        raise DatasetError(f"{path}: too large to decode (its header claims {_too_large(path)}); {fix}") from None
    if pixels is None:
        raise DatasetError(f"{path}: cannot be decoded as an image; {fix}")
    return DecodedImage(pixels, incomplete(path))
