"""Typed view of variants.yaml.

Every D-FINE / DEIM-D-FINE variant is built by the same module classes from these records: a
variant is a backbone architecture name, a few overrides of the shared defaults, and nothing in
Python branches on its name. The hybrid encoder's record is RT-DETRv2's (same fields, same meaning).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from benchgen.models.rtdetrv2.config import ACTIVATIONS, EncoderConfig

VARIANTS_FILE = "variants.yaml"


@dataclass(frozen=True)
class StageConfig:
    in_channels: int
    mid_channels: int
    out_channels: int
    num_blocks: int
    downsample: bool
    light_block: bool
    kernel_size: int
    layer_num: int


@dataclass(frozen=True)
class BackboneConfig:
    arch: str
    stem_channels: tuple[int, int, int]
    stages: tuple[StageConfig, ...]
    return_idx: tuple[int, ...]
    use_lab: bool
    freeze_norm: bool

    @property
    def out_channels(self) -> list[int]:
        return [self.stages[i].out_channels for i in self.return_idx]


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
    activation: str  # decoder FFN and the LQE's MLP
    mlp_act: str  # query position head and every box MLP
    num_points: tuple[int, ...]
    num_denoising: int
    eps: float
    reg_max: int
    reg_scale: int  # the official configs give an int, which makes the `reg_scale` parameter int64

    @property
    def eval_layer(self) -> int:
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


def _ints(values: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


def _act(value: Any, where: str) -> str:
    if value not in ACTIVATIONS:
        raise ValueError(f"{VARIANTS_FILE}: {where}: {value!r} is not one of {ACTIVATIONS}")
    return value


def _merged(defaults: dict, overrides: dict) -> dict:
    out = copy.deepcopy(defaults)
    out.update(overrides or {})
    return out


def _parse_variant(name: str, doc: dict, defaults: dict, archs: dict) -> VariantConfig:
    b = doc["backbone"]
    if b["arch"] not in archs:
        raise ValueError(f"{VARIANTS_FILE}: {name}.backbone.arch {b['arch']!r} is not one of {sorted(archs)}")
    arch = archs[b["arch"]]
    backbone = BackboneConfig(
        arch=b["arch"], stem_channels=_ints(arch["stem_channels"]),  # type: ignore[arg-type]
        stages=tuple(StageConfig(int(r[0]), int(r[1]), int(r[2]), int(r[3]), bool(r[4]), bool(r[5]), int(r[6]),
                                 int(r[7])) for r in arch["stages"]),
        return_idx=_ints(b["return_idx"]), use_lab=bool(b["use_lab"]), freeze_norm=bool(b["freeze_norm"]),
    )
    e = _merged(defaults["encoder"], doc.get("encoder"))
    encoder = EncoderConfig(
        in_channels=_ints(e["in_channels"]), feat_strides=_ints(e["feat_strides"]), hidden_dim=int(e["hidden_dim"]),
        nhead=int(e["nhead"]), dim_feedforward=int(e["dim_feedforward"]),
        enc_act=_act(e["enc_act"], f"{name}.encoder.enc_act"), use_encoder_idx=_ints(e["use_encoder_idx"]),
        num_encoder_layers=int(e["num_encoder_layers"]), pe_temperature=float(e["pe_temperature"]),
        expansion=float(e["expansion"]), depth_mult=float(e["depth_mult"]), act=_act(e["act"], f"{name}.encoder.act"),
    )
    d = _merged(defaults["decoder"], doc.get("decoder"))
    decoder = DecoderConfig(
        feat_channels=_ints(d["feat_channels"]), feat_strides=_ints(d["feat_strides"]),
        hidden_dim=int(d["hidden_dim"]), num_levels=int(d["num_levels"]), num_layers=int(d["num_layers"]),
        eval_idx=int(d["eval_idx"]), num_queries=int(d["num_queries"]), nhead=int(d["nhead"]),
        dim_feedforward=int(d["dim_feedforward"]), activation=_act(d["activation"], f"{name}.decoder.activation"),
        mlp_act=_act(d["mlp_act"], f"{name}.decoder.mlp_act"), num_points=_ints(d["num_points"]),
        num_denoising=int(d["num_denoising"]), eps=float(d["eps"]), reg_max=int(d["reg_max"]),
        reg_scale=int(d["reg_scale"]),
    )
    if backbone.out_channels != list(encoder.in_channels):
        raise ValueError(f"{VARIANTS_FILE}: {name}: backbone gives {backbone.out_channels} channels, encoder "
                         f"expects {list(encoder.in_channels)}")
    if len(decoder.feat_channels) != decoder.num_levels or len(decoder.num_points) != decoder.num_levels:
        # the official decoder can add extra levels by strided convs; no COCO config uses that
        raise ValueError(f"{VARIANTS_FILE}: {name}.decoder: one feat_channels and num_points entry per level")
    if decoder.feat_channels != (encoder.hidden_dim,) * len(encoder.in_channels):
        raise ValueError(f"{VARIANTS_FILE}: {name}.decoder.feat_channels must be the encoder's hidden_dim per level")
    if not -decoder.num_layers <= decoder.eval_idx < decoder.num_layers:
        raise ValueError(f"{VARIANTS_FILE}: {name}.decoder.eval_idx out of range for {decoder.num_layers} layers")
    if decoder.reg_max % 2 or decoder.reg_max < 4:
        raise ValueError(f"{VARIANTS_FILE}: {name}.decoder.reg_max must be even and at least 4")
    h, w = _ints(doc.get("eval_spatial_size", defaults["eval_spatial_size"]))
    return VariantConfig(
        name=name, official_config=doc["config"], num_classes=int(doc.get("num_classes", defaults["num_classes"])),
        eval_spatial_size=(h, w), num_top_queries=int(doc.get("num_top_queries", defaults["num_top_queries"])),
        backbone=backbone, encoder=encoder, decoder=decoder,
    )


@lru_cache(maxsize=1)
def load_variants() -> dict[str, VariantConfig]:
    """All variants, read once from the package data file."""
    doc = yaml.safe_load(resources.files(__package__).joinpath(VARIANTS_FILE).read_text(encoding="utf-8"))
    return {name: _parse_variant(name, entry, doc["defaults"], doc["hgnetv2"])
            for name, entry in doc["variants"].items()}


def variant_config(variant: str) -> VariantConfig:
    variants = load_variants()
    try:
        return variants[variant]
    except KeyError:
        raise KeyError(f"unknown D-FINE variant {variant!r}; known: {', '.join(variants)}") from None
