"""Anchor-point counts of stride-8/16/32 heads: how a raw head's row count is recognised."""

from __future__ import annotations

STRIDES = (8, 16, 32)


def anchor_points(input_size: int, strides=STRIDES) -> int:
    return sum((input_size // s) ** 2 for s in strides)
