"""`benchgen peak`: this machine's FP32 and INT8 multiply-add ceilings, measured and nominal
(benchgen.measure.timing.peak_flops)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchgen.paths import DEFAULT_RESULTS_DIR


def run_peak(args: argparse.Namespace) -> int:
    from benchgen.measure.timing.peak_flops import measure_peak

    peak = measure_peak()
    if args.save:
        from benchgen.results.peaks import save_peak
        from benchgen.results.provenance import current_machine

        path = save_peak(args.results, current_machine().id, peak)
        print(f"saved -> {path} (the pages divide each CPU latency's achieved GFLOP/s by it)", file=sys.stderr)
    if args.json:
        print(json.dumps(peak, indent=2))
        return 0
    nominal = peak["nominal"]
    one, every = peak["single_thread"], peak["all_threads"]
    print(f"FP32 GEMM probe ({peak['probe']}): {one['best_gflops']:.1f} GFLOP/s on 1 thread, "
          f"{every['best_gflops']:.1f} on {every['threads']} (medians {one['median_gflops']:.1f} / "
          f"{every['median_gflops']:.1f})")
    if nominal["gflops"]:
        print(f"nominal: {nominal['isa']}, {nominal['flop_per_cycle_core']} flop/cycle/core x {nominal['clock_ghz']:g} "
              f"GHz x {nominal['cores']} cores = {nominal['gflops']:.0f} GFLOP/s ({nominal['assumes']}); measured "
              f"{peak['measured_share_of_nominal']:.0%} of it")
    int8 = peak.get("int8")
    if int8:
        one, every = int8["single_thread"], int8["all_threads"]
        print(f"INT8 GEMM probe ({int8['probe']}): {one['best_gflops']:.1f} GOP/s on 1 thread, "
              f"{every['best_gflops']:.1f} on {every['threads']}")
        if int8.get("nominal") and int8["nominal"].get("gops"):
            n = int8["nominal"]
            print(f"nominal INT8: {n['unit']}, {n['ops_per_cycle_core']} op/cycle/core x {n['clock_ghz']:g} GHz x "
                  f"{n['cores']} cores = {n['gops']:.0f} GOP/s; measured {int8['measured_share_of_nominal']:.0%} of it")
        else:
            print(f"nominal INT8: none ({int8.get('nominal_missing', 'unknown')})")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "peak", help="this CPU's FP32 and INT8 multiply-add ceilings: GEMM probes against the nominal peaks",
        description="Time a 1024x1024 FP32 MatMul through ONNX Runtime on one thread and on all cores (best of 20 "
                    "runs), and compute the nominal peak from the CPU flags and clock (FMA units x lanes x 2 x "
                    "clock x cores). A latency's achieved GFLOP/s is its graph's FLOPs over its median; its share "
                    "of this ceiling says how compute-bound it is. Run it on a quiet machine.")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--save", action="store_true",
                        help="store the figures as this machine's peak beside its results (<results>/<machine>/"
                             "cpu-peak.yaml), for the pages' share-of-peak; measure on a quiet machine")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS_DIR,
                        help="results directory for --save (default: the project's, %(default)s)")
    parser.set_defaults(func=run_peak)
