"""How much benchgen's CPU latency harness adds over a bare `session.run` loop.

The harness is the production path: one slot of the interleaved rounds (`measure.rounds.time_slot`),
the very loop `benchgen refresh` and `benchgen latency` time every CPU latency with.

    python benchmarks/harness_overhead.py [--variant yolox-nano] [--rounds 7] [--runs 200] [--threads N]

A slot times every run (two clock reads), keeps the samples and reads the load counters before and
after; a bare loop only calls `session.run`. Both drive the same session
with the same pre-processed input, in alternating blocks (ABBA order, so drift and other processes
on the machine hit both alike). Two figures are printed per round and as medians:

- wall overhead: the harness's wall time per run over the bare loop's, minus 1 — what the harness
  itself costs;
- reported median vs bare mean: the number benchgen publishes against what a bare loop's
  total / runs says.

Exits 1 when the median wall overhead exceeds --limit (2 % by default), so it can gate a change.
Not a unit test: timings belong on a quiet machine, not in CI.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from benchgen.measure.backends.feeds import bind_feeds
from benchgen.measure.timing.latency_cpu import probe_image, warm_up
from benchgen.measure.timing.machine_load import default_monitor
from benchgen.measure.graph.model_files import resolve_model
from benchgen.measure.timing.rounds import Subject, time_slot
from benchgen.measure.backends.runners import OrtRunner


def bare_loop(session, output_names, feeds, runs: int) -> float:
    """Milliseconds per run of the plainest loop there is."""
    start = time.perf_counter()
    for _ in range(runs):
        session.run(output_names, feeds)
    return (time.perf_counter() - start) * 1000 / runs


def harness_loop(call, runs: int, monitor) -> tuple[float, float]:
    """(wall milliseconds per run, reported median) of one slot of exactly `runs` timed runs.

    A zero-second slot stops at its minimum run count; its load window spans exactly the timed loop
    (the slot's untimed re-warm-up before it is not counted), so its wall time is the harness's."""
    samples, load = time_slot(Subject("harness", call), 0.0, runs, monitor)
    return load.wall_s * 1000 / len(samples), statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="yolox-nano")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--runs", type=int, default=200, help="runs per block")
    parser.add_argument("--threads", type=int, default=None, help="ONNX Runtime intra-op threads")
    parser.add_argument("--limit", type=float, default=0.02, help="largest acceptable wall overhead")
    args = parser.parse_args(argv)

    model = resolve_model(args.variant)
    runner = OrtRunner(model.onnx_path, threads=args.threads)
    image, _ = probe_image()
    warm_up(runner, model.pipeline, image, network_only=not model.trained)
    feeds, _ = model.pipeline.preprocess(image)
    bound = bind_feeds(feeds, runner.input_names)
    call = runner.prepare(feeds)
    monitor = default_monitor()

    overheads, reported = [], []
    threads = runner.settings["intra_op_threads"]
    print(f"{args.variant}: {args.rounds} rounds x {args.runs} runs per loop, threads {threads}")
    print(f"{'round':>5} {'bare ms/run':>12} {'harness ms/run':>15} {'wall overhead':>14} {'reported median':>16}")
    for round_index in range(args.rounds):
        if round_index % 2 == 0:
            bare = bare_loop(runner.session, runner.output_names, bound, args.runs)
            wall, median = harness_loop(call, args.runs, monitor)
        else:
            wall, median = harness_loop(call, args.runs, monitor)
            bare = bare_loop(runner.session, runner.output_names, bound, args.runs)
        overheads.append(wall / bare - 1)
        reported.append(median / bare - 1)
        print(f"{round_index + 1:>5} {bare:>12.3f} {wall:>15.3f} {overheads[-1]:>+14.2%} {median:>12.3f} ms")
    overhead, against = statistics.median(overheads), statistics.median(reported)
    print(f"median wall overhead {overhead:+.2%} (limit {args.limit:.0%}); "
          f"reported median vs bare mean {against:+.2%}")
    return 0 if overhead <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
