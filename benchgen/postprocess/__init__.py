"""Post-processing shared by detector families (NumPy only, so it runs on any runtime's outputs)."""

from benchgen.postprocess.nms import batched_nms, box_iou, multiclass_nms, nms

__all__ = ["batched_nms", "box_iou", "multiclass_nms", "nms"]
