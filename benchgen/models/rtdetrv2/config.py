"""Typed view of variants.yaml.

Every RT-DETRv2 variant is built by the same module classes from these records, so checking or adding
a variant means reading YAML, never branching in Python. Parsing validates what the modules cannot
express (an unknown activation, a sampler benchgen does not build) with a message naming the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

VARIANTS_FILE = "variants.yaml"
ACTIVATIONS = ("relu", "silu", "gelu")
BLOCKS = ("basic", "bottleneck")
CROSS_ATTN_METHODS = ("default",)  # 'discrete' exists officially, but only in configs out of scope
QUERY_SELECT_METHODS = ("default",)


@dataclass(frozen=True)
class BackboneConfig:
    depth: int
    block: str  # "basic" (expansion 1) or "bottleneck" (expansion 4)
    block_nums: tuple[int, ...]
    variant: str
    return_idx: tuple[int, ...]
    act: str
    freeze_norm: bool


@dataclass(frozen=True)
class EncoderConfig:
    in_channels: tuple[int, ...]
    feat_strides: tuple[int, ...]
    hidden_dim: int
    nhead: int
    dim_feedforward: int
    enc_act: str
    use_encoder_idx: tuple[int, ...]
    num_encoder_layers: int
    pe_temperature: float
    expansion: float
    depth_mult: float
    act: str

    @property
    def blocks_per_stage(self) -> int:
        # Python's round() is what the official code uses for round(3 * depth_mult).
        return round(3 * self.depth_mult)


@dataclass(frozen=True)
class DecoderConfig:
    feat_channels: tuple[int, ...]
    feat_strides: tuple[int, ...]
    hidden_dim: int
    num_levels: int
    num_layers: int
    eval_idx: int
    num_queries: int
    nhead: int
    dim_feedforward: int
    activation: str
    num_points: tuple[int, ...]
    cross_attn_method: str
    query_select_method: str
    num_denoising: int
    eps: float

    @property
    def eval_layer(self) -> int:
        """The non-negative index of the decoder layer whose output is the eval output."""
        return self.eval_idx if self.eval_idx >= 0 else self.num_layers + self.eval_idx


@dataclass(frozen=True)
class VariantConfig:
    name: str
    official_config: str
    num_classes: int
    eval_spatial_size: tuple[int, int]  # (h, w)
    num_top_queries: int
    backbone: BackboneConfig
    encoder: EncoderConfig
    decoder: DecoderConfig


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ValueError(f"{VARIANTS_FILE}: {where}: {value!r} is not one of {allowed}")
    return value


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


def _parse_variant(name: str, doc: dict) -> VariantConfig:
    b, e, d = doc["backbone"], doc["encoder"], doc["decoder"]
    backbone = BackboneConfig(
        depth=int(b["depth"]), block=_choice(b["block"], BLOCKS, f"{name}.backbone.block"),
        block_nums=_ints(b["block_nums"]), variant=_choice(b["variant"], ("d",), f"{name}.backbone.variant"),
        return_idx=_ints(b["return_idx"]), act=_choice(b["act"], ACTIVATIONS, f"{name}.backbone.act"),
        freeze_norm=bool(b["freeze_norm"]),
    )
    encoder = EncoderConfig(
        in_channels=_ints(e["in_channels"]), feat_strides=_ints(e["feat_strides"]), hidden_dim=int(e["hidden_dim"]),
        nhead=int(e["nhead"]), dim_feedforward=int(e["dim_feedforward"]),
        enc_act=_choice(e["enc_act"], ACTIVATIONS, f"{name}.encoder.enc_act"),
        use_encoder_idx=_ints(e["use_encoder_idx"]), num_encoder_layers=int(e["num_encoder_layers"]),
        pe_temperature=float(e["pe_temperature"]), expansion=float(e["expansion"]),
        depth_mult=float(e["depth_mult"]), act=_choice(e["act"], ACTIVATIONS, f"{name}.encoder.act"),
    )
    decoder = DecoderConfig(
        feat_channels=_ints(d["feat_channels"]), feat_strides=_ints(d["feat_strides"]),
        hidden_dim=int(d["hidden_dim"]), num_levels=int(d["num_levels"]), num_layers=int(d["num_layers"]),
        eval_idx=int(d["eval_idx"]), num_queries=int(d["num_queries"]), nhead=int(d["nhead"]),
        dim_feedforward=int(d["dim_feedforward"]),
        activation=_choice(d["activation"], ACTIVATIONS, f"{name}.decoder.activation"),
        num_points=_ints(d["num_points"]),
        cross_attn_method=_choice(d["cross_attn_method"], CROSS_ATTN_METHODS, f"{name}.decoder.cross_attn_method"),
        query_select_method=_choice(d["query_select_method"], QUERY_SELECT_METHODS,
                                    f"{name}.decoder.query_select_method"),
        num_denoising=int(d["num_denoising"]), eps=float(d["eps"]),
    )
    if len(backbone.block_nums) != 4 or not all(0 <= i < 4 for i in backbone.return_idx):
        raise ValueError(f"{VARIANTS_FILE}: {name}.backbone: four stages, return_idx within 0..3")
    if len(decoder.num_points) != decoder.num_levels:
        raise ValueError(f"{VARIANTS_FILE}: {name}.decoder.num_points needs one entry per level")
    if decoder.feat_channels != (encoder.hidden_dim,) * len(encoder.in_channels) or \
            len(decoder.feat_channels) != decoder.num_levels:
        raise ValueError(f"{VARIANTS_FILE}: {name}.decoder.feat_channels must be the encoder's hidden_dim per level")
    if not -decoder.num_layers <= decoder.eval_idx < decoder.num_layers:
        raise ValueError(f"{VARIANTS_FILE}: {name}.decoder.eval_idx out of range for {decoder.num_layers} layers")
    h, w = _ints(doc["eval_spatial_size"])
    return VariantConfig(
        name=name, official_config=doc["config"], num_classes=int(doc["num_classes"]), eval_spatial_size=(h, w),
        num_top_queries=int(doc["postprocessor"]["num_top_queries"]),
        backbone=backbone, encoder=encoder, decoder=decoder,
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
        raise KeyError(f"unknown RT-DETRv2 variant {variant!r}; known: {', '.join(variants)}") from None
