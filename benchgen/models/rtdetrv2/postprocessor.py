"""The official deploy-mode post-processor, and the model + post-processor pair that gets exported.

RT-DETRv2 is trained with a focal (sigmoid) classification loss, so a query may score for several
classes: the official evaluation ranks all queries x classes sigmoid scores jointly and keeps the top
`num_top_queries` pairs (a query can appear more than once with different labels). No NMS, no score
threshold. Boxes are scaled to the original image, whose size the graph receives as [w, h].
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import gather_rows


def cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)


class PostProcessor(nn.Module):
    def __init__(self, num_classes: int, num_top_queries: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_top_queries = num_top_queries

    def forward(self, logits: torch.Tensor, boxes: torch.Tensor, orig_target_sizes: torch.Tensor,
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """logits (N, Q, C), boxes (N, Q, 4) normalised cxcywh, orig_target_sizes (N, 2) as [w, h]
        -> labels (N, K) class indices, boxes (N, K, 4) x1y1x2y2 in original pixels, scores (N, K)."""
        scale = torch.cat([orig_target_sizes, orig_target_sizes], dim=-1).unsqueeze(1).to(boxes.dtype)  # w, h, w, h
        xyxy = cxcywh_to_xyxy(boxes) * scale
        flat = torch.sigmoid(logits).reshape(-1, int(logits.shape[1]) * self.num_classes)
        scores, index = torch.topk(flat, self.num_top_queries, dim=-1)
        # a - a // b * b rather than %: the official export avoids Mod for older TensorRT
        labels = index - index // self.num_classes * self.num_classes
        query = index // self.num_classes
        xyxy = gather_rows(xyxy, query)
        return labels, xyxy, scores


class DeployModel(nn.Module):
    """(images, orig_target_sizes) -> (labels, boxes, scores), the official export's interface."""

    def __init__(self, model: nn.Module, postprocessor: PostProcessor) -> None:
        super().__init__()
        self.model = model
        self.postprocessor = postprocessor

    def forward(self, images: torch.Tensor, orig_target_sizes: torch.Tensor,
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.model(images)
        return self.postprocessor(out["pred_logits"], out["pred_boxes"], orig_target_sizes)
