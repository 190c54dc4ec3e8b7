"""A fixed piece of work with a known cost, timed before and after every latency measurement.

The probe answers one question the model's own timings cannot: did the *machine* change speed?
If a detector got 20 % slower and the probe got 20 % slower too, the machine changed (another
tenant, a frequency drop, thermal limits), not the model. It runs the same kind of work the
detectors do (3x3 convolutions through ONNX Runtime's CPU provider, with the measurement's thread
settings), small enough to cost well under a second, and its weights come from a fixed seed so
every machine runs exactly the same graph.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from benchgen.measure.timing.stats import summarize
from benchgen.measure.backends.runners import session_options

#: bump when the probe's graph or protocol changes: probe figures of different versions are not comparable
PROBE_VERSION = 1
CHANNELS, SIDE, LAYERS = 64, 96, 4
PROBE_RUNS = 25
#: untimed probe runs first: right after a model's slot the machine runs slow for a while (the same
#: transient measure.rounds re-warms for); without them the first probe of a refresh read 6.7-6.9 ms
#: against 5.6-6.0 ms for the rest, and the drift check called every result of it unstable
WARM_S = 1.0


def probe_model() -> bytes:
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    name = "x"
    for i in range(LAYERS):
        weight = rng.standard_normal((CHANNELS, CHANNELS, 3, 3), dtype=np.float32) * 0.05
        inits.append(numpy_helper.from_array(weight, f"w{i}"))
        nodes.append(helper.make_node("Conv", [name, f"w{i}"], [f"c{i}"], pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        name = f"r{i}"
    graph = helper.make_graph(nodes, "benchgen-calibration-probe",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, CHANNELS, SIDE, SIDE])],
                              [helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, CHANNELS, SIDE, SIDE])],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@dataclass(frozen=True)
class ProbeTiming:
    median_ms: float
    runs: int


class CalibrationProbe:
    """Built once per measurement session; `time()` is cheap enough to call between rounds."""

    def __init__(self, threads: int | None = None) -> None:
        options, _ = session_options(threads)
        self.session = ort.InferenceSession(probe_model(), sess_options=options, providers=["CPUExecutionProvider"])
        self.feed = {"x": np.random.default_rng(1).standard_normal((1, CHANNELS, SIDE, SIDE), dtype=np.float32)}
        self.session.run(None, self.feed)  # first run allocates

    def time(self, runs: int = PROBE_RUNS, warm_s: float | None = None) -> ProbeTiming:
        clock, run, feed = time.perf_counter_ns, self.session.run, self.feed
        warm_until = time.perf_counter() + (WARM_S if warm_s is None else warm_s)
        while time.perf_counter() < warm_until:
            run(None, feed)
        samples = []
        for _ in range(runs):
            t0 = clock()
            run(None, feed)
            samples.append((clock() - t0) / 1e6)
        return ProbeTiming(median_ms=summarize(samples).median, runs=runs)


def make_probe(threads: int | None = None) -> CalibrationProbe:
    """The probe measurements use; tests replace it with a fixed one."""
    return CalibrationProbe(threads)


def describe() -> str:
    return (f"probe v{PROBE_VERSION}: {LAYERS} ONNX Runtime 3x3 convolutions, {CHANNELS} channels at {SIDE}x{SIDE}, "
            f"median of {PROBE_RUNS} runs")


def drift(before: float, after: float) -> float:
    """Relative change of the probe across a measurement (positive: the machine got slower)."""
    return after / before - 1.0 if before > 0 else 0.0



#: runs of each session per reference reading (plus one untimed): ~70 ms on the 2-vCPU VMs, against
#: slots of seconds
REFERENCE_RUNS = 3


@dataclass(frozen=True)
class ReferenceReading:
    """The probe's graph timed with the measurement's threads and with one thread, at one moment."""

    multi_ms: float
    single_ms: float

    @property
    def speedup(self) -> float:
        return self.single_ms / self.multi_ms if self.multi_ms > 0 else 1.0

    def as_dict(self) -> dict[str, float]:
        return {"multi_ms": round(self.multi_ms, 4), "single_ms": round(self.single_ms, 4),
                "speedup": round(self.speedup, 3)}


class SpeedupReference:
    """A reference of known parallel speed-up, read at the ends of every slot (measure.rounds).

    The host's slow phases on the 2-vCPU VMs take away the second thread's speed-up for seconds at a
    time (the two vCPUs land on one physical core): the multi-thread time of any graph then rises
    toward the single-thread one, which a reading shows as a lost speed-up whatever the model."""

    def __init__(self, threads: int | None = None) -> None:
        model = probe_model()
        self.feed = {"x": np.random.default_rng(1).standard_normal((1, CHANNELS, SIDE, SIDE), dtype=np.float32)}
        self.sessions = []
        for count in (threads, 1):
            options, _ = session_options(count)
            session = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
            session.run(None, self.feed)
            self.sessions.append(session)

    def read(self, runs: int = REFERENCE_RUNS) -> ReferenceReading:
        medians = []
        for session in self.sessions:
            session.run(None, self.feed)
            samples = []
            for _ in range(runs):
                t0 = time.perf_counter_ns()
                session.run(None, self.feed)
                samples.append((time.perf_counter_ns() - t0) / 1e6)
            medians.append(float(np.median(samples)))
        return ReferenceReading(multi_ms=medians[0], single_ms=medians[1])


def make_reference(threads: int | None = None) -> SpeedupReference:
    """The reference measurements read in every slot; tests replace it with a scripted one."""
    return SpeedupReference(threads)


def normal_reading(readings: list[ReferenceReading]) -> ReferenceReading | None:
    """The session's normal reading: the 75th percentile of the speed-ups and the 25th of the
    multi-thread times seen so far. Slow phases take a minority of a session's time and only ever
    lower the speed-up and raise the time, so these percentiles sit in the normal phase even when
    a slow one was read, where a median or a mean would be pulled toward it."""
    if not readings:
        return None
    multi = float(np.percentile([r.multi_ms for r in readings], 25))
    speedup = float(np.percentile([r.speedup for r in readings], 75))
    return ReferenceReading(multi_ms=multi, single_ms=multi * speedup)
