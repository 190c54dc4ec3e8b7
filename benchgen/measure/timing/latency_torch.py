"""GPU latency without TensorRT: the deploy model in PyTorch, FP16, batch 1, replayed from a CUDA graph.

For the families benchgen implements in PyTorch (DAMO-YOLO, RT-DETRv2) the module timed is exactly
the one the ONNX export traces: the fused (RepConv / RepVGG re-parameterised) deploy model with the
box decode (DAMO-YOLO) or the top-k post-processor (RT-DETRv2) inside, NMS outside. It is cast to
FP16, run until warm, captured in a CUDA graph (so Python and kernel-launch overhead are not timed),
and every graph replay is timed with CUDA events on the stream, inputs already on the GPU. The runs
stop with the same rule as the CPU path (`StoppingRule`: the 95 % confidence interval of the median
within the target, or the budget spent) and are summarised by the same statistics.

`torch.compile` is a separate, labelled setting (`compile=True`, recorded in settings), because
Inductor's fused kernels are another program than the eager model. GPU clocks and slowdown reasons
are read through NVML before, during and after the timed runs; a throttled timing is stored with
status "unstable" and the evidence in its details.

The same code runs with `device=CpuDevice()` (FP32, no graph, wall clock): that is how it is tested
on machines without a GPU. Those numbers are for tests only and never fill the GPU column.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from benchgen.errors import BackendUnavailable, BenchgenError, CheckpointError
from benchgen.measure.backends import gpu
from benchgen.measure.timing.gpu_clocks import ClockMonitor, ClockSample, ThrottleCheck, throttle_check
from benchgen.measure.timing.stats import LatencyStats, StoppingRule, run_until_stable, summarize
from benchgen.measure.graph.model_files import lookup, sha256_file
from benchgen.measure.timing.torch_device import CudaDevice, CudaInfo, TorchDevice, find_cuda
from benchgen.registry.schema import Family, Registry, Variant
from benchgen.results.provenance import collect_provenance, current_machine
from benchgen.measure.request import MeasureRequest
from benchgen.results.schema import Machine, Result, Timing

#: the metric table's entries this module measures (benchgen.metrics)
BACKEND = "torch-cuda"
KIND = "latency-torch-cuda"
METRIC = "latency_torch_cuda_ms"
#: a CUDA-graph replay varies by well under 1 %, so the interval target is tighter than the CPU's
DEFAULT_BUDGET_S = 10.0
DEFAULT_REL_CI = 0.005
#: as trtexec, never fewer than 200 timed iterations
MIN_RUNS = 200
WARMUP_MIN_RUNS = 20
WARMUP_MIN_S = 1.0
WARMUP_MAX_S = 10.0
#: NVML samples taken while the timed runs go on (host side, between events: not in the timings)
SAMPLE_EVERY_S = 1.0


def timed_description(device_kind: str, cuda_graph: bool) -> str:
    call = "one CUDA-graph replay" if cuda_graph else "one eager forward call"
    if device_kind == "cuda":
        return f"GPU time of {call} between two CUDA events (inputs on the GPU; no host copies, no NMS)"
    return f"wall time (perf_counter) of {call} on the {device_kind} (test path, not a GPU figure)"


@dataclass
class TorchTiming:
    stats: LatencyStats
    stop_reason: str
    warmup_runs: int
    warmup_s: float
    cuda_graph: bool
    throttle: ThrottleCheck


def warm_up(call: Callable[[], Any], device: TorchDevice, min_runs: int = WARMUP_MIN_RUNS,
            min_s: float = WARMUP_MIN_S, max_s: float = WARMUP_MAX_S) -> tuple[int, float]:
    """Eager runs until kernels are selected, memory pools filled and clocks up; (runs, seconds)."""
    start, runs = time.perf_counter(), 0
    while True:
        call()
        device.synchronize()
        runs += 1
        elapsed = time.perf_counter() - start
        if (runs >= min_runs and elapsed >= min_s) or elapsed >= max_s:
            return runs, elapsed


def time_module(module: Any, inputs: tuple, device: TorchDevice, rule: StoppingRule, *, cuda_graph: bool = True,
                warmup_min_runs: int = WARMUP_MIN_RUNS, warmup_min_s: float = WARMUP_MIN_S,
                warmup_max_s: float = WARMUP_MAX_S, monitor: ClockMonitor | None = None,
                sample_every_s: float = SAMPLE_EVERY_S) -> TorchTiming:
    """Warm up, capture (where the device can), then time replays until `rule` says stop.

    `module` and `inputs` must already be on `device` (`device.place`).
    """
    import torch

    monitor = monitor or device.monitor()
    samples: list[ClockSample] = []

    def sample(label: str) -> None:
        reading = monitor.sample(label)
        if reading is not None:
            samples.append(reading)

    with torch.no_grad(), device.creating():
        def call() -> Any:
            return module(*inputs)

        warmup_runs, warmup_s = warm_up(call, device, warmup_min_runs, warmup_min_s, warmup_max_s)
        graphed = cuda_graph and device.supports_graphs
        replay = device.capture(call) if graphed else call
        for _ in range(3):  # the first replays upload the graph
            device.time(replay)
        sample("before")
        next_sample = time.perf_counter() + sample_every_s
        during = 0

        def step() -> int:
            nonlocal next_sample, during
            elapsed = device.time(replay)
            if monitor.available and time.perf_counter() >= next_sample:
                during += 1
                sample(f"during-{during}")
                next_sample = time.perf_counter() + sample_every_s
            return elapsed

        timings, reason = run_until_stable(step, rule)
        sample("after")
    check = throttle_check(samples) if monitor.available else ThrottleCheck(checked=False, note=monitor.note)
    return TorchTiming(stats=summarize(timings), stop_reason=reason, warmup_runs=warmup_runs, warmup_s=warmup_s,
                       cuda_graph=graphed, throttle=check)


def deploy_module(family: Family, variant: Variant, weights: Path | None, seed: int,
                  input_size: int | None = None) -> tuple[Any, tuple]:
    """The module the ONNX export traces, and fixed-seed inputs of the variant's size (CPU, FP32)."""
    from benchgen.models.family import families

    implemented = families()
    if family.implementation not in implemented:
        measured = ", ".join(sorted(implemented))
        raise BenchgenError(f"{variant.id}: {BACKEND} times the families benchgen implements in PyTorch "
                            f"({measured}); {family.id} is measured from an ONNX file (use --backend ort-cpu "
                            "or tensorrt)")
    if weights is not None and not Path(weights).is_file():
        raise CheckpointError(f"{weights}: weights file not found; pass the official checkpoint of {variant.id} "
                              f"(config {variant.config}) or omit --weights for fixed-seed random weights")
    # each family declares its deploy module (benchgen.models.family)
    deploy = implemented[family.implementation].deploy_function()
    return deploy(variant.id, weights, seed, input_size or variant.input_size)


def torch_fingerprint() -> dict[str, Any]:
    """What besides the model decides a torch-cuda timing, known without building anything."""
    info = find_cuda()
    return {"backend": BACKEND, "torch": info.torch, "cuda": info.cuda, "gpu": info.name, "precision": "fp16",
            "cuda_graph": True}


def torch_gpu_machine(info: CudaInfo | None = None, driver: str | None = None) -> Machine:
    """The GPU machine record (benchgen.measure.backends.gpu), with the CUDA version torch was built with.

    Containers without nvidia-smi still have a GPU torch can use: then name and driver come from
    torch and NVML.
    """
    info = info or find_cuda()
    try:
        return gpu.gpu_machine(cuda=info.cuda, needed_by=BACKEND)
    except BackendUnavailable:
        return current_machine(gpu=info.name, gpu_driver=driver, cuda=info.cuda)


def torch_gpu_machine_id() -> str:
    """The id of the machine torch-cuda results belong to; BackendUnavailable without a CUDA device."""
    torch_fingerprint()
    return torch_gpu_machine().id


def _weights_setting(weights: Path | None, seed: int) -> str:
    return f"{weights} (sha256 {sha256_file(weights)[:16]})" if weights else f"random (seed {seed})"


def measure_torch_latency(variant_id: str, weights: Path | None = None, registry: Registry | None = None,
                          seed: int = 0, **options: Any) -> Result:
    """`benchgen latency --backend torch-cuda`: the variant looked up by id, then `torch_latency`."""
    family, variant = lookup(variant_id, registry)
    return torch_latency(family, variant, weights, seed, **options)


def measure_request(request: MeasureRequest) -> Result:
    """A refresh job (benchgen.metrics: kind latency-torch-cuda)."""
    return torch_latency(request.family, request.variant, request.weights, request.seed)


def torch_latency(family: Family, variant: Variant, weights: Path | None = None, seed: int = 0,
                  budget_s: float = DEFAULT_BUDGET_S, rel_ci: float = DEFAULT_REL_CI,
                  min_runs: int = MIN_RUNS, compile: bool = False, cuda_graph: bool = True,
                  device: TorchDevice | None = None, input_size: int | None = None,
                  warmup_min_runs: int = WARMUP_MIN_RUNS, warmup_min_s: float = WARMUP_MIN_S,
                  monitor: ClockMonitor | None = None, compile_fn: Callable[[Any], Any] | None = None) -> Result:
    """`device` defaults to the CUDA GPU (BackendUnavailable, before anything is built, without one)."""
    if budget_s <= 0:
        raise BenchgenError(f"--budget must be positive (got {budget_s})")
    if min_runs < 1:
        raise BenchgenError(f"the minimum number of timed runs must be at least 1 (got {min_runs})")
    device = device or CudaDevice()
    module, inputs = deploy_module(family, variant, weights, seed, input_size)
    module, inputs = device.place(module, inputs)
    compile_setting: str | bool = False
    compile_s = None
    if compile:
        import torch

        compile_fn = compile_fn or (lambda m: torch.compile(m, mode="default", dynamic=False))
        module = compile_fn(module)
        compile_setting = "torch.compile (inductor, mode=default, static shapes)"
    rule = StoppingRule(budget_s=budget_s, min_runs=min_runs, rel_ci=rel_ci)
    started = time.perf_counter()
    timing = time_module(module, inputs, device, rule, cuda_graph=cuda_graph, warmup_min_runs=warmup_min_runs,
                         warmup_min_s=warmup_min_s, monitor=monitor)
    if compile:
        compile_s = round(timing.warmup_s, 1)  # the first warm-up call compiles
    stats = timing.stats.as_dict()
    device_settings = device.settings()
    machine = (torch_gpu_machine(device.info, device_settings.get("gpu_driver")) if isinstance(device, CudaDevice)
               else current_machine())
    details: dict[str, Any] = {
        "stop_reason": timing.stop_reason, "warmup_runs": timing.warmup_runs,
        "warmup_s": round(timing.warmup_s, 2), "measure_s": round(time.perf_counter() - started, 1),
        "timed": timed_description(device.kind, timing.cuda_graph),
        "throttle": timing.throttle.as_dict(),
    }
    if compile_s is not None:
        details["compile_and_warmup_s"] = compile_s
    if timing.throttle.throttled:
        details["unstable_reason"] = "GPU throttled while timing: " + "; ".join(timing.throttle.evidence)
    settings = {
        "backend": BACKEND, **device_settings, "precision": "fp16" if device.kind == "cuda" else "fp32",
        "dtype": str(device.dtype).removeprefix("torch."), "dtype_reason": device.dtype_reason, "batch": 1,
        "cuda_graph": timing.cuda_graph, "compile": compile_setting, "input_size": input_size or variant.input_size,
        "budget_s": budget_s, "min_runs": min_runs, "ci_target": f"±{rel_ci:.1%} of the median at 95%",
        "model": "deploy (fused) PyTorch module", "weights": _weights_setting(weights, seed),
        "clock_check": "nvml" if timing.throttle.checked else "none",
    }
    timing_block = Timing(stats=stats)
    return Result(
        variant=variant.id, kind=KIND, status="unstable" if timing.throttle.throttled else "ok",
        metrics={METRIC: timing_block.stats.median}, timing=timing_block, details=details, settings=settings,
        provenance=collect_provenance(machine),
    )
