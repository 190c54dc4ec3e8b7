"""Replay committed CPU latencies under the adaptive stopping rule: how early would each have stopped?

    python benchmarks/adaptive_replay.py [--machine cpu-amd-epyc-2c-b92d6f] [--targets 0.01 0.02 0.025]

Times nothing. For the latest latency-cpu result of every variant on the machine, the stored raw
samples are split back into their rounds (the slot evidence gives each round's run count; where
the samples were thinned to 1,000, proportionally), and `measure.rounds.converged` is asked after
rounds 3, 4 and 5 whether the median was known to each target. Printed per target: how many
variants would have left early, the share of the timed seconds that frees for the others, and the
interval's half-width at the stop against that of all five rounds of the same samples (the issue's
condition: no wider than today's). Thinned samples give wider intervals than every run did, so the
replay leaves fewer variants early than the real rule would have (2 of 60 stopped at ±1 % on b92d6f). The extra rounds the saved time would buy cannot be replayed: those runs never happened.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchgen.measure.timing.contention import Verdict  # noqa: E402
from benchgen.measure.timing.stats import summarize  # noqa: E402
from benchgen.measure.timing.machine_load import LoadWindow  # noqa: E402
from benchgen.measure.timing.rounds import MIN_ROUNDS, Slot, SubjectTiming, converged  # noqa: E402
from benchgen.results.store import load_results  # noqa: E402

NO_LOAD = LoadWindow(wall_s=1.0, others_cores=0.0, steal_share=0.0, own_cores=1.0, cpus=2, load_1min=0.0)


def rounds_of(result) -> list[list[float]]:
    runs = [slot["runs"] for slot in result.details["contention"]["slots"]]
    samples = result.timing.samples
    scale = len(samples) / sum(runs)
    edges = np.round(np.cumsum([0, *runs]) * scale).astype(int)
    return [samples[a:b] for a, b in zip(edges[:-1], edges[1:]) if b > a]


def stop_round(per_round: list[list[float]], target: float) -> int:
    for done in range(MIN_ROUNDS, len(per_round) + 1):
        timing = SubjectTiming("x", [Slot(i + 1, s, NO_LOAD, Verdict(False), 1) for i, s in enumerate(per_round[:done])])
        if converged(timing, target):
            return done
    return len(per_round)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", default="cpu-amd-epyc-2c-b92d6f")
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--targets", type=float, nargs="+", default=[0.01, 0.015, 0.02, 0.025, 0.03])
    args = parser.parse_args()
    latest = {}
    for result in load_results(args.results):
        if (result.kind == "latency-cpu" and result.provenance.machine.id == args.machine and result.timing
                and result.timing.samples and "slots" in result.details.get("contention", {})):
            latest[result.variant] = result
    if not latest:
        print(f"no latency-cpu results with samples for {args.machine}", file=sys.stderr)
        return 2
    print(f"{len(latest)} variants on {args.machine}")
    for target in args.targets:
        early, full_s, used_s, wider = 0, 0.0, 0.0, 0
        widths = []
        for result in latest.values():
            per_round = rounds_of(result)
            stop = stop_round(per_round, target)
            early += stop < len(per_round)
            full_s += sum(map(sum, per_round))
            used_s += sum(map(sum, per_round[:stop]))
            at_stop = summarize([s for r in per_round[:stop] for s in r]).rel_halfwidth
            # against all five rounds of the same stored samples (thinned ones give a wider interval
            # than the published one, which had every run): what stopping early changes, alone
            full = summarize([s for r in per_round for s in r]).rel_halfwidth
            widths.append(at_stop)
            wider += at_stop > full + 1e-9
        print(f"target ±{target:.1%}: {early} of {len(latest)} leave early, {1 - used_s / full_s:.0%} of the "
              f"timed seconds freed; half-width at the stop median {np.median(widths):.2%}, max {max(widths):.2%}; "
              f"{wider} wider than after all rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
