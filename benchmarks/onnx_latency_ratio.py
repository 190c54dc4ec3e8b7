"""Side-by-side CPU latency of two ONNX exports of the same detector, as a ratio (issue #21).

For D-FINE / DEIM: benchgen's export (`benchgen export d-fine-s --weights X.pth`) against the
official tools/deployment/export_onnx.py export of the same checkpoint. Both take `images` and
`orig_target_sizes` and return labels, boxes, scores. The script first checks that they compute the
same detections (scores to 1e-4, labels and boxes as a set), then times them interleaved: each round
runs A and B alternately (the order flips every round) for the same number of calls, and the ratio
is taken per round, so a drift of the machine's speed hits both. Run it on a quiet machine:

    python benchmarks/onnx_latency_ratio.py d-fine-s.onnx dfine_hgnetv2_s_coco.onnx --rounds 20

(N models with the reference weights: add --tied-rows 8, see `same_detections`.)

Prints per-round medians and the median ratio A / B with its range over rounds; nothing is stored.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort


def session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def same_detections(a: list[np.ndarray], b: list[np.ndarray], tied_rows: int = 0) -> float:
    """Largest score difference; raises if labels / boxes differ beyond an ordering of near-tied scores.

    `tied_rows`: how many rows may be another query at a tied score. With the reference weights of
    shared/reference many D-FINE-N queries score the same to 1e-6, and onnxsim's folding in the
    official export moves float32 rounding enough to fill a top-300 slot with another of them: the
    same rank, label and score (to 1e-5), another query's box. Such rows are counted and printed."""
    (la, ba, sa), (lb, bb, sb) = a, b
    worst = float(np.abs(sa - sb).max())
    if worst > 1e-4:
        raise SystemExit(f"scores differ by {worst:.3g}")
    rows_a = np.concatenate([la[0][:, None] * 1e4, ba[0] / 640], -1)
    rows_b = np.concatenate([lb[0][:, None] * 1e4, bb[0] / 640], -1)
    distance = np.abs(rows_a[None] - rows_b[:, None]).max(-1)
    tied = 0
    for nearest, labels, scores, other_labels, other_scores in ((distance.min(1), lb, sb, la, sa),
                                                                (distance.min(0), la, sa, lb, sb)):
        off = np.where(nearest > 1e-3)[0]
        at_tie = [j for j in off if labels[0][j] == other_labels[0][j]
                  and abs(float(scores[0][j]) - float(other_scores[0][j])) <= 1e-5]
        if len(off) > min(len(at_tie), tied_rows):
            raise SystemExit(f"{len(off)} detections differ (worst {nearest.max():.3g}; {len(at_tie)} at a tied "
                             f"score, --tied-rows {tied_rows} allowed)")
        tied = max(tied, len(off))
    if tied:
        print(f"{tied} row(s) are other queries at a tied score (same rank, label and score to 1e-5)")
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="first ONNX file (e.g. benchgen's export)")
    parser.add_argument("b", type=Path, help="second ONNX file (e.g. the official export)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=10, help="calls per file per round")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    parser.add_argument("--size", type=int, default=640)
    parser.add_argument("--tied-rows", type=int, default=0,
                        help="rows that may be other queries at a tied score (default: none)")
    args = parser.parse_args(argv)
    for path in (args.a, args.b):
        if not path.is_file():
            print(f"{path}: not found; export it first (see the module docstring)", file=sys.stderr)
            return 2
    feeds = {"images": np.random.default_rng(0).random((1, 3, args.size, args.size), dtype=np.float32),
             "orig_target_sizes": np.array([[640, 480]], dtype=np.int64)}
    sessions = {"A": session(args.a, args.threads), "B": session(args.b, args.threads)}
    outputs = {k: s.run(None, feeds) for k, s in sessions.items()}
    print(f"same detections (largest score difference {same_detections(outputs['A'], outputs['B'], args.tied_rows):.2g})")
    for s in sessions.values():  # warm-up
        for _ in range(3):
            s.run(None, feeds)
    ratios, medians = [], {"A": [], "B": []}
    for r in range(args.rounds):
        order = ("A", "B") if r % 2 == 0 else ("B", "A")
        times = {"A": [], "B": []}
        for _ in range(args.calls):
            for key in order:
                start = time.perf_counter()
                sessions[key].run(None, feeds)
                times[key].append(time.perf_counter() - start)
        for key in times:
            medians[key].append(statistics.median(times[key]) * 1e3)
        ratios.append(medians["A"][-1] / medians["B"][-1])
        print(f"round {r + 1:2d}: A {medians['A'][-1]:8.2f} ms  B {medians['B'][-1]:8.2f} ms  A/B {ratios[-1]:.3f}")
    print(f"A = {args.a}\nB = {args.b}\nmedian A/B over {args.rounds} rounds: {statistics.median(ratios):.3f} "
          f"(range {min(ratios):.3f}-{max(ratios):.3f}); medians A {statistics.median(medians['A']):.2f} ms, "
          f"B {statistics.median(medians['B']):.2f} ms, {args.threads} thread(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
