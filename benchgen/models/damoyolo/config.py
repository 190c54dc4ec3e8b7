"""Typed view of variants.yaml.

The NAS-found structures are data, not code: every variant is built by the same module classes from
these records, so adding or checking a variant means reading YAML, never branching in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

VARIANTS_FILE = "variants.yaml"
ACTIVATIONS = ("relu", "silu", "identity")


@dataclass(frozen=True)
class NASBlock:
    """One entry of an official tinynas_*.txt structure (a stack of `L` residual blocks)."""

    block: str  # "k1kx" or "kxkx"
    in_channels: int
    out_channels: int
    bottleneck: int
    kernel: int
    stride: int
    num_layers: int


@dataclass(frozen=True)
class StemConfig:
    in_channels: int
    out_channels: int
    kernel: int
    stride: int


@dataclass(frozen=True)
class BackboneConfig:
    kind: str  # "res" or "csp"
    act: str
    spp_act: str
    use_focus: bool
    with_spp: bool
    out_indices: tuple[int, ...]
    stem: StemConfig
    blocks: tuple[NASBlock, ...]
    csp_act: str | None = None
    csp_groups: tuple[tuple[int, ...], ...] = ()


@dataclass(frozen=True)
class NeckConfig:
    depth: float
    hidden_ratio: float
    in_channels: tuple[int, int, int]
    out_channels: tuple[int, int, int]
    act: str

    @property
    def blocks_per_stage(self) -> int:
        # Python's round() (banker's rounding) is what the official code uses: depth 1.5 -> 4 blocks.
        return round(3 * self.depth)


@dataclass(frozen=True)
class HeadConfig:
    num_classes: int
    in_channels: tuple[int, ...]
    reg_max: int
    strides: tuple[int, ...]


@dataclass(frozen=True)
class VariantConfig:
    name: str
    official_config: str
    backbone: BackboneConfig
    neck: NeckConfig
    head: HeadConfig


def _activation(value: Any, where: str) -> str:
    if value not in ACTIVATIONS:
        raise ValueError(f"{VARIANTS_FILE}: {where}: unknown activation {value!r}; known: {ACTIVATIONS}")
    return value


def _parse_backbone(doc: dict, where: str) -> BackboneConfig:
    kind = doc["kind"]
    if kind not in ("res", "csp"):
        raise ValueError(f"{VARIANTS_FILE}: {where}.kind must be 'res' or 'csp', got {kind!r}")
    blocks = tuple(
        NASBlock(
            block=b["block"], in_channels=int(b["in"]), out_channels=int(b["out"]), bottleneck=int(b["btn"]),
            kernel=int(b["k"]), stride=int(b["s"]), num_layers=int(b["L"]),
        )
        for b in doc["blocks"]
    )
    for i, b in enumerate(blocks):
        if b.block not in ("k1kx", "kxkx"):
            raise ValueError(f"{VARIANTS_FILE}: {where}.blocks[{i}].block must be k1kx or kxkx, got {b.block!r}")
    stem = doc["stem"]
    groups = tuple(tuple(int(i) for i in g) for g in doc.get("csp_groups", ()))
    if kind == "csp":
        flat = [i for g in groups for i in g]
        if flat != list(range(len(blocks))):
            raise ValueError(f"{VARIANTS_FILE}: {where}.csp_groups must cover blocks 0..{len(blocks) - 1} in order")
    return BackboneConfig(
        kind=kind,
        act=_activation(doc["act"], f"{where}.act"),
        spp_act=_activation(doc["spp_act"], f"{where}.spp_act"),
        use_focus=bool(doc["use_focus"]),
        with_spp=bool(doc["with_spp"]),
        out_indices=tuple(int(i) for i in doc["out_indices"]),
        stem=StemConfig(int(stem["in"]), int(stem["out"]), int(stem["k"]), int(stem["s"])),
        blocks=blocks,
        csp_act=_activation(doc["csp_act"], f"{where}.csp_act") if kind == "csp" else None,
        csp_groups=groups,
    )


def _parse_variant(name: str, doc: dict) -> VariantConfig:
    neck, head = doc["neck"], doc["head"]
    return VariantConfig(
        name=name,
        official_config=doc["config"],
        backbone=_parse_backbone(doc["backbone"], f"{name}.backbone"),
        neck=NeckConfig(
            depth=float(neck["depth"]), hidden_ratio=float(neck["hidden_ratio"]),
            in_channels=tuple(neck["in_channels"]), out_channels=tuple(neck["out_channels"]),
            act=_activation(neck["act"], f"{name}.neck.act"),
        ),
        head=HeadConfig(
            num_classes=int(head["num_classes"]), in_channels=tuple(head["in_channels"]),
            reg_max=int(head["reg_max"]), strides=tuple(head["strides"]),
        ),
    )


@lru_cache(maxsize=1)
def load_variants() -> dict[str, VariantConfig]:
    """All variants, read once from the package data file."""
    text = resources.files(__package__).joinpath(VARIANTS_FILE).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    return {name: _parse_variant(name, entry) for name, entry in doc.items()}


def variant_config(variant: str) -> VariantConfig:
    variants = load_variants()
    try:
        return variants[variant]
    except KeyError:
        raise KeyError(f"unknown DAMO-YOLO variant {variant!r}; known: {', '.join(variants)}") from None
