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

The INT8 probe is the same GEMM in integers: ONNX MatMulInteger, uint8 x int8 accumulated in int32,
the u8s8 product that ONNX Runtime's QDQ convolutions and matrix products run on (MLAS's QGEMM,
which uses AVX-512 VNNI or AMX tiles where the CPU has them). Its rate is integer operations (2 per
multiply-accumulate) per second, the ceiling an INT8 graph's achieved GOP/s is read against. Its
nominal figure counts the widest INT8 dot-product unit the flags show: AMX (1,024 int8
multiply-accumulates per cycle per core, Intel's TMUL figure), else AVX-512 VNNI or AVX-VNNI (4 per
32-bit lane per FMA unit); a CPU with none of them has no INT8 multiply-add instruction, and no
nominal INT8 figure is given (AVX2 emulates it with two instructions and 16-bit intermediates).

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
#: 2: the INT8 (u8 x s8 MatMulInteger) probe beside the FP32 one
PEAK_VERSION = 2
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


#: INT8 multiply-accumulates per cycle per core of Intel's AMX tile unit (TMUL, int8 tiles)
AMX_INT8_MACS = 1024


@dataclass(frozen=True)
class NominalInt8:
    unit: str
    ops_per_cycle_core: int  # integer operations: 2 per multiply-accumulate
    clock_ghz: float | None
    cores: int

    @property
    def gops(self) -> float | None:
        return self.ops_per_cycle_core * self.clock_ghz * self.cores if self.clock_ghz else None


def nominal_int8(flags: set[str], clock_ghz: float | None, cores: int,
                 fma_units: int = FMA_UNITS) -> NominalInt8 | None:
    """The widest INT8 multiply-add unit the flags show, or None where there is none (see the module)."""
    if "amx_int8" in flags:
        return NominalInt8("AMX-INT8", 2 * AMX_INT8_MACS, clock_ghz, cores)
    if "avx512_vnni" in flags:
        return NominalInt8("AVX-512 VNNI", fma_units * 16 * 4 * 2, clock_ghz, cores)
    if "avx_vnni" in flags:
        return NominalInt8("AVX-VNNI", fma_units * 8 * 4 * 2, clock_ghz, cores)
    return None


#: (ONNX operator, input A type, input B type, output type) of each probe
PROBES = {"fp32": ("MatMul", "FLOAT", "FLOAT", "FLOAT"), "int8": ("MatMulInteger", "UINT8", "INT8", "INT32")}


def matmul_model(size: int = SIZE, precision: str = "fp32") -> bytes:
    from onnx import TensorProto, helper

    op, ta, tb, tc = PROBES[precision]
    a = helper.make_tensor_value_info("a", getattr(TensorProto, ta), [size, size])
    b = helper.make_tensor_value_info("b", getattr(TensorProto, tb), [size, size])
    c = helper.make_tensor_value_info("c", getattr(TensorProto, tc), [size, size])
    graph = helper.make_graph([helper.make_node(op, ["a", "b"], ["c"])], "benchgen-peak-probe", [a, b], [c])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@dataclass(frozen=True)
class ProbeRate:
    threads: int
    best_gflops: float
    median_gflops: float
    runs: int


def gemm_feeds(size: int, precision: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    if precision == "int8":
        return {"a": rng.integers(0, 256, (size, size), dtype=np.uint8),
                "b": rng.integers(-128, 128, (size, size), dtype=np.int8)}
    return {"a": rng.standard_normal((size, size), dtype=np.float32),
            "b": rng.standard_normal((size, size), dtype=np.float32)}


def sgemm_rate(threads: int, size: int = SIZE, runs: int = RUNS, precision: str = "fp32") -> ProbeRate:
    """G(FL)OP/s of one N x N GEMM: FLOP for fp32, integer operations for int8 (2 per multiply-add)."""
    import onnxruntime as ort

    from benchgen.measure.backends.runners import session_options

    options, _ = session_options(threads)
    session = ort.InferenceSession(matmul_model(size, precision), sess_options=options,
                                   providers=["CPUExecutionProvider"])
    feeds = gemm_feeds(size, precision)
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
    out["int8"] = measure_int8_peak(cores)
    return out


def measure_int8_peak(cores: int) -> dict:
    """The INT8 probe at one thread and all cores, its nominal figure where the CPU has an INT8 unit;
    rates are GOP/s (kept under the FP32 probe's key names)."""
    flags = cpu_flags()
    single, every = sgemm_rate(1, precision="int8"), sgemm_rate(cores, precision="int8")
    out: dict = {"probe": f"ONNX Runtime MatMulInteger {SIZE}x{SIZE} uint8 x int8 -> int32, best of {RUNS} runs",
                 "unit": "GOP/s", "single_thread": asdict(single), "all_threads": asdict(every)}
    nominal = nominal_int8(flags, cpu_clock_ghz(), cores)
    if nominal is None:
        out["nominal"] = None
        out["nominal_missing"] = "no INT8 dot-product instruction in the CPU flags (VNNI, AMX)"
        return out
    out["nominal"] = {**asdict(nominal), "gops": nominal.gops,
                      "assumes": f"{nominal.unit}, the kernel's reported clock"}
    if nominal.gops:
        best = max(single.best_gflops, every.best_gflops)
        out["measured_share_of_nominal"] = round(best / nominal.gops, 3)
    return out


def achieved_gflops(flops_g: float, median_ms: float) -> float:
    """The graph's FLOPs (G) over its median latency: GFLOP/s actually sustained."""
    if median_ms <= 0:
        raise ValueError("a latency must be positive")
    return flops_g / (median_ms / 1000.0)


def share_of_peak(flops_g: float, median_ms: float, peak_gflops: float) -> float:
    return achieved_gflops(flops_g, median_ms) / peak_gflops
