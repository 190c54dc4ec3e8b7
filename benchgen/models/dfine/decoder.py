"""D-FINE decoder: RT-DETR's query selection, then layers that refine per-edge box distributions (FDR).

Against RT-DETRv2's decoder, per the official src/zoo/dfine/dfine_decoder.py: the deformable
cross-attention has no value / output projections, its result is mixed into the query by a learned
gate (instead of a residual add + norm), the position embedding is clamped to +/-10, and boxes come
from distributions: the first layer predicts a box (pre_bbox_head) that every later layer's corner
distributions move (see distribution.py). The eval output's logits get the LQE correction, a small
MLP over the top-4 probabilities of each edge distribution. Inference only: the eval layer's output
is returned and later layers (training-only) are never run; their weights exist because official
checkpoints hold them and loading is strict.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from benchgen.models.rtdetrv2.decoder import QueryDecoder, inverse_sigmoid
from benchgen.models.rtdetrv2.deformable_attention import deformable_sample
from benchgen.models.rtdetrv2.layers import MLP as ReluMLP
from benchgen.models.rtdetrv2.layers import MultiheadAttention, activation, gather_rows

from .config import DecoderConfig
from .distribution import distance2bbox, integral, weighting_function


class MLP(ReluMLP):
    """benchgen's RT-DETRv2 MLP with the activation as a parameter (DEIM uses SiLU)."""

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, num_layers: int, act: str) -> None:
        super().__init__(input_dim, hidden_dim, output_dim, num_layers)
        self.act = activation(act)


class DeformableCrossAttention(nn.Module):
    """Multi-scale deformable attention sampling the memory itself (no value / output projection)."""

    def __init__(self, embed_dim: int, num_heads: int, num_points: list[int], offset_scale: float = 0.5) -> None:
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.num_points = list(num_points)
        self.offset_scale = offset_scale
        scale = [1.0 / n for n in self.num_points for _ in range(n)]
        self.register_buffer("num_points_scale", torch.tensor(scale, dtype=torch.float32))
        total = num_heads * sum(self.num_points)
        self.sampling_offsets = nn.Linear(embed_dim, total * 2)
        self.attention_weights = nn.Linear(embed_dim, total)

    def forward(self, query: torch.Tensor, reference_boxes: torch.Tensor, value: torch.Tensor,
                spatial_shapes: list[tuple[int, int]]) -> torch.Tensor:
        """query (N, Lq, C); reference_boxes (N, Lq, 1, 4) cx, cy, w, h; value (N, Lv, heads, head_dim)."""
        len_q, points = int(query.shape[1]), sum(self.num_points)
        offsets = self.sampling_offsets(query).reshape(-1, len_q, self.num_heads, points, 2)
        weights = self.attention_weights(query).reshape(-1, len_q, self.num_heads, points).softmax(-1)
        scale = self.num_points_scale.to(query.dtype).unsqueeze(-1)
        boxes = reference_boxes[:, :, None]  # (N, Lq, 1, 1, 4)
        locations = boxes[..., :2] + offsets * scale * boxes[..., 2:] * self.offset_scale
        return deformable_sample(value, spatial_shapes, locations, weights, self.num_points)


class Gate(nn.Module):
    """norm(g1 * x1 + g2 * x2) with sigmoid gates computed from both inputs."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.gate = nn.Linear(2 * d_model, 2 * d_model)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        d = int(x1.shape[-1])  # split sizes as constants: chunk() would export a Shape op
        gate1, gate2 = torch.sigmoid(self.gate(torch.cat([x1, x2], dim=-1))).split([d, d], dim=-1)
        return self.norm(gate1 * x1 + gate2 * x2)


class TransformerDecoderLayer(nn.Module):
    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        d = cfg.hidden_dim
        self.self_attn = MultiheadAttention(d, cfg.nhead)
        self.norm1 = nn.LayerNorm(d)
        self.cross_attn = DeformableCrossAttention(d, cfg.nhead, list(cfg.num_points))
        self.gateway = Gate(d)
        self.linear1 = nn.Linear(d, cfg.dim_feedforward)
        self.activation = activation(cfg.activation)
        self.linear2 = nn.Linear(cfg.dim_feedforward, d)
        self.norm3 = nn.LayerNorm(d)

    def forward(self, target: torch.Tensor, reference_boxes: torch.Tensor, value: torch.Tensor,
                spatial_shapes: list[tuple[int, int]], query_pos: torch.Tensor) -> torch.Tensor:
        q = k = target + query_pos
        target = self.norm1(target + self.self_attn(q, k, target))
        target = self.gateway(target, self.cross_attn(target + query_pos, reference_boxes, value, spatial_shapes))
        target = target + self.linear2(self.activation(self.linear1(target)))
        return self.norm3(target.clamp(min=-65504, max=65504))  # the official fp16 guard


class LQE(nn.Module):
    """Location quality estimate: scores + MLP(top-k probabilities of each edge distribution and their mean)."""

    def __init__(self, k: int, hidden_dim: int, num_layers: int, reg_max: int, act: str) -> None:
        super().__init__()
        self.k = k
        self.reg_max = reg_max
        self.reg_conf = MLP(4 * (k + 1), hidden_dim, 1, num_layers, act)

    def forward(self, scores: torch.Tensor, corners: torch.Tensor) -> torch.Tensor:
        length = int(corners.shape[1])
        prob = F.softmax(corners.reshape(-1, length, 4, self.reg_max + 1), dim=-1)
        top, _ = prob.topk(self.k, dim=-1)
        stat = torch.cat([top, top.mean(dim=-1, keepdim=True)], dim=-1)
        return scores + self.reg_conf(stat.reshape(-1, length, 4 * (self.k + 1)))


class TransformerDecoder(nn.Module):
    """Holds the layers and LQEs under the official key names (`decoder.decoder.layers.N`, `lqe_layers.N`),
    and the transformer's `up` / `reg_scale` parameters a second time, as the official module does."""

    def __init__(self, cfg: DecoderConfig, up: nn.Parameter, reg_scale: nn.Parameter) -> None:
        super().__init__()
        self.up, self.reg_scale = up, reg_scale
        self.layers = nn.ModuleList(TransformerDecoderLayer(cfg) for _ in range(cfg.num_layers))
        self.lqe_layers = nn.ModuleList(LQE(4, 64, 2, cfg.reg_max, cfg.activation) for _ in range(cfg.num_layers))


class DFINETransformer(QueryDecoder):
    def __init__(self, cfg: DecoderConfig, num_classes: int, eval_spatial_size: tuple[int, int]) -> None:
        super().__init__(cfg, num_classes)
        d, act = cfg.hidden_dim, cfg.mlp_act
        # levels already at hidden_dim are used as they are (no state-dict entry), as officially
        self.input_proj = nn.ModuleList(
            nn.Identity() if c == d else nn.Sequential(OrderedDict([
                ("conv", nn.Conv2d(c, d, 1, bias=False)), ("norm", nn.BatchNorm2d(d))]))
            for c in cfg.feat_channels
        )
        self.up = nn.Parameter(torch.tensor([0.5]), requires_grad=False)
        self.reg_scale = nn.Parameter(torch.tensor([cfg.reg_scale]), requires_grad=False)  # int64
        self.decoder = TransformerDecoder(cfg, self.up, self.reg_scale)
        if cfg.num_denoising > 0:  # training-only, kept for the official state-dict layout
            self.denoising_class_embed = nn.Embedding(num_classes + 1, d, padding_idx=num_classes)
        self.query_pos_head = MLP(4, 2 * d, d, 2, act)
        self.enc_output = nn.Sequential(OrderedDict([("proj", nn.Linear(d, d)), ("norm", nn.LayerNorm(d))]))
        self.enc_score_head = nn.Linear(d, num_classes)
        self.enc_bbox_head = MLP(d, d, 4, 3, act)
        self.dec_score_head = nn.ModuleList(nn.Linear(d, num_classes) for _ in range(cfg.num_layers))
        self.pre_bbox_head = MLP(d, d, 4, 3, act)
        self.dec_bbox_head = nn.ModuleList(MLP(d, d, 4 * (cfg.reg_max + 1), 3, act) for _ in range(cfg.num_layers))
        self._register_eval_anchors(eval_spatial_size)

    def _select_queries(self, memory: torch.Tensor, shapes: list[tuple[int, int]],
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """Top-k positions by best class logit; the box head runs on the selected k only, as officially."""
        anchors, valid_mask = self._anchors(shapes, memory)
        output_memory = self.enc_output(valid_mask.to(memory.dtype) * memory)
        logits = self.enc_score_head(output_memory)
        _, index = torch.topk(logits.max(-1).values, self.cfg.num_queries, dim=-1)
        target = gather_rows(output_memory, index)
        # anchors (1, L, 4) are shared by the batch: index their rows directly (ONNX Gather, no Expand)
        return target, self.enc_bbox_head(target) + anchors[0][index]

    def project(self) -> torch.Tensor:
        """W(n); the deploy form stores it as a constant (`_project`), as the official conversion does."""
        frozen = getattr(self, "_project", None)
        return frozen if frozen is not None else weighting_function(self.cfg.reg_max, self.up, self.reg_scale)

    def forward(self, feats: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        memory, shapes = self._flatten(feats)
        target, boxes_unact = self._select_queries(memory, shapes)
        value = memory.reshape(-1, int(memory.shape[1]), self.cfg.nhead, self.cfg.hidden_dim // self.cfg.nhead)
        project = self.project()
        boxes = F.sigmoid(boxes_unact)
        previous: torch.Tensor | None = None  # the previous layer's output and corner logits
        corners: torch.Tensor | None = None
        initial = boxes
        for i, layer in enumerate(self.decoder.layers):
            query_pos = self.query_pos_head(boxes).clamp(min=-10, max=10)
            target = layer(target, boxes.unsqueeze(2), value, shapes, query_pos)
            if i == 0:  # the first layer's box is the one every layer's distributions refine
                initial = F.sigmoid(self.pre_bbox_head(target) + inverse_sigmoid(boxes))
            if previous is None:
                corners = self.dec_bbox_head[i](target)
            else:
                corners = self.dec_bbox_head[i](target + previous) + corners
            refined = distance2bbox(initial, integral(corners, project, self.cfg.reg_max), self.reg_scale)
            if i == self.eval_layer:  # eval output; later layers only ever served training
                logits = self.decoder.lqe_layers[i](self.dec_score_head[i](target), corners)
                return {"pred_logits": logits, "pred_boxes": refined}
            boxes, previous = refined, target
        raise RuntimeError(f"decoder has {len(self.decoder.layers)} layers, eval layer is {self.eval_layer}")
