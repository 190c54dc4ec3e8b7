"""Measuring a variant: accuracy (COCO mAP), CPU and GPU latency, size.

Each entry point resolves the variant to one ONNX file (`graph.model_files`; torch-cuda: the PyTorch
deploy module) and returns a `benchgen.results.Result`; writing it is the caller's job (the CLI, or
`benchgen refresh`). The CLI's functions take a variant id and look it up once; `benchgen refresh`
calls each kind's `measure_request` (`request.MeasureRequest`: family and variant objects), named in
the metric table (`benchgen.metrics`). The modules are grouped by job, so a reader finds a metric's
code from the names alone; each subpackage's modules are imported by their users, not here, so that
importing `benchgen.measure` stays cheap:

- `accuracy/` — COCO mAP: `evaluate` (dataset (`dataset`, `images`) -> detections (`inference`,
  cached) -> COCOeval (`coco_eval`)), the bootstrap intervals (`bootstrap`), and scoring any
  detections file (`detections_file`)
- `timing/` — latency: one `latency_<backend>` timer per backend of the metric table, e.g. `latency_cpu`
  (ONNX Runtime), `latency_tensorrt` (TensorRT FP16, CUDA events), `latency_torch` (PyTorch FP16 in a
  CUDA graph, behind the `torch_device` seam);
  the interleaved rounds (`rounds`), their statistics (`stats`), the contention rule (`contention`,
  from the kernel's counters in `machine_load`), the calibration probe (`calibration`), GPU clocks
  (`gpu_clocks`), progress (`progress`), and the figures taken beside a timing (`peak_memory`,
  `peak_flops`)
- `backends/` — which backends run here (`discovery`), the runners (`runners`, one per other runtime such
  as `tensorrt_engine`), feed binding (`feeds`) and GPU discovery (`gpu`), leaves every backend shares
- `graph/` — the measured graph: which ONNX file measures a variant (`model_files`, provider exports in
  `provider_export`, INT8 copies in `quantize`), its identity (`graph_hash`) and its size (`size`)
"""
