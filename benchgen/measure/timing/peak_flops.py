"""How fast this CPU can multiply-add in FP32, measured and nominal, and how far a detector is from it.

The probe is a large single-precision GEMM (an ONNX MatMul of two N x N matrices) through ONNX
Runtime's CPU provider, with the measurements' thread settings, one thread and all threads: the
most compute-dense operator the detectors' runtime has, so its rate is the machine's practical FP32
ceiling. The best of the timed runs is the figure (a ceiling is what the machine *can* do; slower
runs are interference), and the median is kept beside it.

The nominal peak is arithmetic: FMA units x vector lanes x 2 flops x clock x cores. The vector width
comes from the CPU flags (AVX-512: 16 FP32 lanes; AVX2+FMA: 8); two FMA units per core is an
assumption the result states (AMD Zen 3 and Intel server cores have two; some Intel parts run
AVX-512 on one), and the clock is the one the kernel reports, which under a hypervisor is the
nominal (TSC) clock, not the boost clock: the ratio measured / nominal can exceed 1.

A latency's achieved rate is the graph's FLOPs (2 x multiply-accumulates, benchgen.measure.graph.size)
divided by its median; its share of the measured peak reads as a roofline would: a detector near
the peak is compute-bound, one far below it spends its time on memory traffic (depthwise
convolutions, large activations), on operators that do no multiply-adds (reshapes, concatenations,
activations the runtime did not fuse) or on NMS in the graph.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

#: bump when the probe changes: peaks of different versions are not compared
PEAK_VERSION = 1
SIZE = 1024
RUNS = 20
#: FMA units per core assumed by the nominal figure (stated with it)
FMA_UNITS = 2


@dataclass(frozen=True)
class Nominal:
    lanes: int  # FP32 lanes per vector
    isa: str
    fma_units: int
    clock_ghz: float | None
    cores: int

    @property
    def flop_per_cycle_core(self) -> int:
        return self.fma_units * self.lanes * 2

    @property
    def gflops_per_core(self) -> float | None:
        return self.flop_per_cycle_core * self.clock_ghz if self.clock_ghz else None

    @property
    def gflops(self) -> float | None:
        per_core = self.gflops_per_core
        return per_core * self.cores if per_core else None


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    text = cpuinfo if cpuinfo is not None else _read("/proc/cpuinfo")
    match = re.search(r"^flags\s*:\s*(.*)$", text, re.MULTILINE)
    return set(match.group(1).split()) if match else set()


def cpu_clock_ghz(cpuinfo: str | None = None) -> float | None:
    text = cpuinfo if cpuinfo is not None else _read("/proc/cpuinfo")
    match = re.search(r"^cpu MHz\s*:\s*([0-9.]+)", text, re.MULTILINE)
    return float(match.group(1)) / 1000 if match else None


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def nominal_peak(flags: set[str], clock_ghz: float | None, cores: int, fma_units: int = FMA_UNITS) -> Nominal:
    if "avx512f" in flags:
        return Nominal(16, "AVX-512", fma_units, clock_ghz, cores)
    if "fma" in flags and "avx2" in flags:
        return Nominal(8, "AVX2+FMA", fma_units, clock_ghz, cores)
    if "avx" in flags:
        return Nominal(8, "AVX (no FMA)", 1, clock_ghz, cores)
    return Nominal(4, "SSE", 1, clock_ghz, cores)


def matmul_model(size: int = SIZE) -> bytes:
    from onnx import TensorProto, helper

    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [size, size])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [size, size])
    c = helper.make_tensor_value_info("c", TensorProto.FLOAT, [size, size])
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "benchgen-peak-probe", [a, b], [c])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@dataclass(frozen=True)
class ProbeRate:
    threads: int
    best_gflops: float
    median_gflops: float
    runs: int


def sgemm_rate(threads: int, size: int = SIZE, runs: int = RUNS) -> ProbeRate:
    import onnxruntime as ort

    from benchgen.measure.backends.runners import session_options

    options, _ = session_options(threads)
    session = ort.InferenceSession(matmul_model(size), sess_options=options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {"a": rng.standard_normal((size, size), dtype=np.float32),
             "b": rng.standard_normal((size, size), dtype=np.float32)}
    for _ in range(3):
        session.run(None, feeds)
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        session.run(None, feeds)
        seconds.append(time.perf_counter() - t0)
    flop = 2.0 * size ** 3
    return ProbeRate(threads, round(flop / min(seconds) / 1e9, 2), round(flop / float(np.median(seconds)) / 1e9, 2),
                     runs)


def measure_peak(cores: int | None = None) -> dict:
    """The probe at one thread and at all cores, with the nominal figures beside it."""
    cores = cores or os.cpu_count() or 1
    nominal = nominal_peak(cpu_flags(), cpu_clock_ghz(), cores)
    single, every = sgemm_rate(1), sgemm_rate(cores)
    out = {"peak_version": PEAK_VERSION, "probe": f"ONNX Runtime MatMul {SIZE}x{SIZE} FP32, best of {RUNS} runs",
           "single_thread": asdict(single), "all_threads": asdict(every),
           "nominal": {**asdict(nominal), "flop_per_cycle_core": nominal.flop_per_cycle_core,
                       "gflops_per_core": nominal.gflops_per_core, "gflops": nominal.gflops,
                       "assumes": f"{nominal.fma_units} FMA units per core, the kernel's reported clock"}}
    if nominal.gflops:
        out["measured_share_of_nominal"] = round(every.best_gflops / nominal.gflops, 3)
    return out


def achieved_gflops(flops_g: float, median_ms: float) -> float:
    """The graph's FLOPs (G) over its median latency: GFLOP/s actually sustained."""
    if median_ms <= 0:
        raise ValueError("a latency must be positive")
    return flops_g / (median_ms / 1000.0)


def share_of_peak(flops_g: float, median_ms: float, peak_gflops: float) -> float:
    return achieved_gflops(flops_g, median_ms) / peak_gflops
