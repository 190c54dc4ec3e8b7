"""Does `benchgen refresh` flag a real slowdown, and only a real one?

    python benchmarks/regression_check.py [--budget 10] [--slowdown 1.3]

Builds a small YOLOX-format ONNX detector whose cost is a stack of 3x3 convolutions, registers it
as a bring-your-own variant in a temporary registry, and runs three refreshes of it on this
machine, each in its own process, as a user would:

1. a first measurement;
2. `--force` with the same graph: back-to-back on a quiet machine, nothing may be flagged;
3. the graph with --slowdown times as many convolutions (a deliberately heavier model, so its
   cache key changes): the change must be flagged and confirmed by the re-timing.

Prints the three medians and what refresh said, and exits 1 if either expectation fails.
Not a unit test: it times real work, so run it on a quiet machine, not beside a test suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import yaml
from onnx import TensorProto, helper, numpy_helper

from benchgen.results.store import load_results

REPO = Path(__file__).resolve().parents[1]
SIZE, CHANNELS, BASE_LAYERS = 96, 32, 10


def build(path: Path, layers: int) -> None:
    rng = np.random.default_rng(0)
    rows = sum((SIZE // s) ** 2 for s in (8, 16, 32))
    inits = [numpy_helper.from_array((rng.standard_normal((CHANNELS, 3, 3, 3)) * 0.1).astype(np.float32), "w_in")]
    nodes = [helper.make_node("Conv", ["images", "w_in"], ["x0"], pads=[1, 1, 1, 1])]
    for i in range(layers):
        inits.append(numpy_helper.from_array((rng.standard_normal((CHANNELS, CHANNELS, 3, 3)) * 0.05)
                                             .astype(np.float32), f"w{i}"))
        nodes += [helper.make_node("Conv", [f"x{i}", f"w{i}"], [f"c{i}"], pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", [f"c{i}"], [f"x{i + 1}"])]
    inits += [numpy_helper.from_array((rng.standard_normal((CHANNELS, rows * 85)) * 0.01).astype(np.float32), "head"),
              numpy_helper.from_array(np.array([1, rows, 85], dtype=np.int64), "shape")]
    nodes += [helper.make_node("GlobalAveragePool", [f"x{layers}"], ["pooled"]),
              helper.make_node("Flatten", ["pooled"], ["flat"]),
              helper.make_node("MatMul", ["flat", "head"], ["mixed"]),
              helper.make_node("Reshape", ["mixed", "shape"], ["logits"]),
              helper.make_node("Sigmoid", ["logits"], ["output"])]
    graph = helper.make_graph(nodes, "bench-yolox",
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, rows, 85])],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def registry(directory: Path, onnx_path: Path) -> Path:
    family = yaml.safe_load((REPO / "benchgen" / "registry" / "data" / "yolox.yaml").read_text())
    variant = dict(family["variants"][0])
    variant.update({"id": "bench-0", "name": "Bench-0", "input_size": SIZE, "onnx": str(onnx_path)})
    variant.pop("reported", None)
    family.update({"id": "bench", "name": "Bench", "variants": [variant]})
    family.pop("other_models", None)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.yaml").write_text(yaml.safe_dump(family))
    return directory


def refresh(reg: Path, results: Path, budget: float, *extra: str) -> str:
    command = [sys.executable, "-m", "benchgen", "refresh", "--registry", str(reg), "--results", str(results),
               "--only", "bench-0", "--backend", "ort-cpu", "--no-render", "--latency-budget", str(budget), *extra]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    if done.returncode not in (0, 1):
        raise SystemExit(f"refresh failed ({done.returncode}):\n{done.stderr}")
    return done.stderr


def latest_latency(results: Path):
    return [r for r in load_results(results) if r.kind == "latency-cpu"][-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=10.0, help="latency budget per refresh (s)")
    parser.add_argument("--slowdown", type=float, default=1.3, help="cost factor of the heavier graph")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="benchgen-regression-") as tmp:
        tmp = Path(tmp)
        onnx_path = tmp / "bench.onnx"
        build(onnx_path, BASE_LAYERS)
        reg, results = registry(tmp / "registry", onnx_path), tmp / "results"
        os.environ["BENCHGEN_CACHE_DIR"] = str(tmp / "cache")
        refresh(reg, results, args.budget)
        first = latest_latency(results)
        same = refresh(reg, results, args.budget, "--force")
        second = latest_latency(results)
        build(onnx_path, round(BASE_LAYERS * args.slowdown))
        heavier = refresh(reg, results, args.budget)
        third = latest_latency(results)
    ok = True
    medians = [r.metrics.get("latency_cpu_ms") for r in (first, second, third)]
    print(f"medians (ms): first {medians[0]:.3f} [{first.status}], same graph again {medians[1]:.3f} "
          f"[{second.status}], {args.slowdown:.2f}x heavier graph {medians[2]:.3f} [{third.status}]")
    print(f"same graph: {medians[1] / medians[0] - 1:+.1%}; heavier graph: {medians[2] / medians[1] - 1:+.1%}")
    if "regression" in same.lower() and "not confirmed" not in same:
        print("FAIL: the unchanged graph was flagged:\n" + same)
        ok = False
    confirmation = third.details.get("confirmation", {})
    if not confirmation.get("confirmed"):
        print("FAIL: the heavier graph was not flagged and confirmed:\n" + heavier)
        ok = False
    else:
        print(f"heavier graph flagged and confirmed (first timing {confirmation['first_median_ms']:.3f} ms, "
              f"{confirmation['first_flag']})")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
