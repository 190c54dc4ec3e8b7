"""Measuring a variant: accuracy (COCO mAP), CPU and GPU latency, size.

Each entry point resolves the variant to one ONNX file (`model_files`; torch-cuda: the PyTorch deploy module) and returns a
`benchgen.results.Result`; writing it is the caller's job (the CLI, or `benchgen refresh`). The CLI's
functions take a variant id and look it up once; `benchgen refresh` calls each kind's
`measure_request` (`request.MeasureRequest`: family and variant objects), named in the metric table
(`benchgen.metrics`), and `backends` finds which of the table's backends run on this machine. GPU
discovery is `gpu` and feed binding `feeds`, leaves every backend shares.
Modules are imported by their users, not here, so that importing `benchgen.measure` stays cheap:

- `accuracy.evaluate_accuracy` — dataset (`dataset`) -> detections (`inference`, cached) -> COCOeval (`coco_eval`)
- `latency_cpu.measure_cpu_latency` — ONNX Runtime, stage by stage, statistics from `latency_stats`; the
  network timed in interleaved rounds (`rounds`) under the contention rule (`contention`, from the
  kernel's counters in `machine_load`), with the calibration probe (`calibration`)
- `latency_gpu.measure_trt_latency` — TensorRT FP16 engine (`tensorrt_engine`), CUDA-event GPU compute time
- `latency_torch.measure_torch_latency` — PyTorch deploy module in FP16, CUDA graph, CUDA events, behind the
  `torch_device` seam (a CPU device runs the same path in tests); NVML clocks and throttling (`gpu_clocks`)
- `size.measure_size` — params and FLOPs counted from the ONNX graph
"""
