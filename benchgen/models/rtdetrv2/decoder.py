"""RT-DETRv2 decoder: IoU-aware query selection over the encoder memory, then box-refining layers.

Inference only: the denoising queries and the auxiliary outputs exist for training; the denoising
label embedding is still built because official checkpoints hold it and loading is strict.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .config import DecoderConfig
from .deformable_attention import MSDeformableAttention
from .layers import MLP, MultiheadAttention, activation, gather_rows


def inverse_sigmoid(x: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    x = x.clip(min=0.0, max=1.0)
    return torch.log(x.clip(min=eps) / (1 - x).clip(min=eps))


def generate_anchors(spatial_shapes: list[tuple[int, int]], eps: float, grid_size: float = 0.05,
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Unsigmoided anchor boxes for every memory position, and which of them are usable.

    Each cell's anchor is centred on it with side grid_size * 2**level; anchors reaching within `eps`
    of the image border are invalid: their memory is zeroed and their logit-space box set to inf.
    """
    anchors = []
    for level, (h, w) in enumerate(spatial_shapes):
        grid_y, grid_x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        xy = (torch.stack([grid_x, grid_y], dim=-1).unsqueeze(0) + 0.5) / torch.tensor([w, h], dtype=torch.float32)
        wh = torch.ones_like(xy) * grid_size * (2.0 ** level)
        anchors.append(torch.cat([xy, wh], dim=-1).reshape(-1, h * w, 4))
    anchors = torch.cat(anchors, dim=1)
    valid = ((anchors > eps) * (anchors < 1 - eps)).all(-1, keepdim=True)
    anchors = torch.log(anchors / (1 - anchors))
    return torch.where(valid, anchors, torch.inf), valid


class TransformerDecoderLayer(nn.Module):
    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        d = cfg.hidden_dim
        self.self_attn = MultiheadAttention(d, cfg.nhead)
        self.norm1 = nn.LayerNorm(d)
        self.cross_attn = MSDeformableAttention(d, cfg.nhead, list(cfg.num_points))
        self.norm2 = nn.LayerNorm(d)
        self.linear1 = nn.Linear(d, cfg.dim_feedforward)
        self.activation = activation(cfg.activation)
        self.linear2 = nn.Linear(cfg.dim_feedforward, d)
        self.norm3 = nn.LayerNorm(d)

    def forward(self, target: torch.Tensor, reference_boxes: torch.Tensor, memory: torch.Tensor,
                spatial_shapes: list[tuple[int, int]], query_pos: torch.Tensor) -> torch.Tensor:
        q = k = target + query_pos
        target = self.norm1(target + self.self_attn(q, k, target))
        target = self.norm2(target + self.cross_attn(target + query_pos, reference_boxes, memory, spatial_shapes))
        return self.norm3(target + self.linear2(self.activation(self.linear1(target))))


class TransformerDecoder(nn.Module):
    """Only holds the layers, so their keys read `decoder.decoder.layers.N` as in official checkpoints;
    the refinement loop lives in RTDETRTransformerv2 because it also needs the per-layer heads."""

    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(TransformerDecoderLayer(cfg) for _ in range(cfg.num_layers))


class QueryDecoder(nn.Module):
    """What RT-DETR's decoders share before their refinement loops (RT-DETRv2's, D-FINE's): flattening
    the projected levels, the anchors of the eval size as buffers, and the anchors of any other size."""

    def __init__(self, cfg, num_classes: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.num_classes = num_classes
        self.eval_layer = cfg.eval_layer

    def _register_eval_anchors(self, eval_spatial_size: tuple[int, int]) -> None:
        """The official eval uses these buffers (loaded from the checkpoint) whenever the input has the
        eval size; other sizes generate them on the fly, as official training does."""
        eval_h, eval_w = eval_spatial_size
        self.eval_shapes = [(int(eval_h / s), int(eval_w / s)) for s in self.cfg.feat_strides]
        anchors, valid_mask = generate_anchors(self.eval_shapes, self.cfg.eps)
        self.register_buffer("anchors", anchors)
        self.register_buffer("valid_mask", valid_mask)

    def _flatten(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, list[tuple[int, int]]]:
        projected = [proj(f) for proj, f in zip(self.input_proj, feats)]
        shapes = [(int(p.shape[2]), int(p.shape[3])) for p in projected]
        d = self.cfg.hidden_dim
        return torch.cat([p.reshape(-1, d, h * w).permute(0, 2, 1) for p, (h, w) in zip(projected, shapes)], 1), shapes

    def _anchors(self, shapes: list[tuple[int, int]], like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if shapes == self.eval_shapes:
            return self.anchors, self.valid_mask
        anchors, valid = generate_anchors(shapes, self.cfg.eps)
        return anchors.to(like), valid.to(like.device)


class RTDETRTransformerv2(QueryDecoder):
    def __init__(self, cfg: DecoderConfig, num_classes: int, eval_spatial_size: tuple[int, int]) -> None:
        super().__init__(cfg, num_classes)
        d = cfg.hidden_dim
        self.input_proj = nn.ModuleList(
            nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(c, d, 1, bias=False)),
                ("norm", nn.BatchNorm2d(d)),
            ]))
            for c in cfg.feat_channels
        )
        self.decoder = TransformerDecoder(cfg)
        if cfg.num_denoising > 0:  # training-only, kept for the official state-dict layout
            self.denoising_class_embed = nn.Embedding(num_classes + 1, d, padding_idx=num_classes)
        self.query_pos_head = MLP(4, 2 * d, d, 2)
        self.enc_output = nn.Sequential(OrderedDict([("proj", nn.Linear(d, d)), ("norm", nn.LayerNorm(d))]))
        self.enc_score_head = nn.Linear(d, num_classes)
        self.enc_bbox_head = MLP(d, d, 4, 3)
        self.dec_score_head = nn.ModuleList(nn.Linear(d, num_classes) for _ in range(cfg.num_layers))
        self.dec_bbox_head = nn.ModuleList(MLP(d, d, 4, 3) for _ in range(cfg.num_layers))
        self._register_eval_anchors(eval_spatial_size)

    def _select_queries(self, memory: torch.Tensor, shapes: list[tuple[int, int]],
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """IoU-aware query selection: the top-k positions by best class logit seed content and boxes."""
        anchors, valid_mask = self._anchors(shapes, memory)
        memory = valid_mask.to(memory.dtype) * memory
        output_memory = self.enc_output(memory)
        logits = self.enc_score_head(output_memory)
        boxes_unact = self.enc_bbox_head(output_memory) + anchors
        _, index = torch.topk(logits.max(-1).values, self.cfg.num_queries, dim=-1)
        return gather_rows(output_memory, index), gather_rows(boxes_unact, index)

    def forward(self, feats: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        memory, shapes = self._flatten(feats)
        target, boxes_unact = self._select_queries(memory, shapes)
        boxes = F.sigmoid(boxes_unact)
        for i, layer in enumerate(self.decoder.layers):
            query_pos = self.query_pos_head(boxes)
            target = layer(target, boxes.unsqueeze(2), memory, shapes, query_pos)
            boxes = F.sigmoid(self.dec_bbox_head[i](target) + inverse_sigmoid(boxes))
            if i == self.eval_layer:  # eval output; later layers only ever served training
                return {"pred_logits": self.dec_score_head[i](target), "pred_boxes": boxes}
        raise RuntimeError(f"decoder has {len(self.decoder.layers)} layers, eval layer is {self.eval_layer}")
