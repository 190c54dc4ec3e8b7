"""Which INT8 quantiser: NNCF or ONNX Runtime's `quantize_static`, on the same recipe and calibration.

For each variant named: the mAP of both INT8 graphs on tiny80 with the paired cost against FP32,
then the FP32 graph and both INT8 graphs on both CPU backends timed in ONE set of interleaved rounds
(benchgen.measure.timing.latency_cpu.measure_cpu_latencies), so the ratios compare like with like on this
machine at this time. Prints a table; writes nothing under results/.

    PYTHONPATH=. .venv/bin/python benchmarks/int8_tools.py yolox-nano picodet-s-320 --budget 6
"""

from __future__ import annotations

import argparse

from benchgen.measure.backends.discovery import backend_fingerprint
from benchgen.measure.accuracy.bootstrap import paired_difference
from benchgen.measure.accuracy.coco_eval import score_detections
from benchgen.measure.accuracy.dataset import load_dataset
from benchgen.measure.accuracy.inference import cache_key, detect
from benchgen.measure.timing.latency_cpu import LatencySubject, measure_cpu_latencies, probe_image
from benchgen.measure.graph.model_files import resolve_model
from benchgen.measure.backends.openvino_runner import OpenVinoRunner
from benchgen.measure.graph.quantize import TOOLS, int8_model
from benchgen.measure.backends.runners import OrtRunner, make_runner


def detections(model, dataset, fingerprint):
    key, material = cache_key(model.onnx_sha256, model.pipeline, fingerprint, dataset)
    return detect(lambda: make_runner("ort-cpu", model.onnx_path), model.pipeline, dataset, key, material,
                  progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--budget", type=float, default=6.0, help="timed seconds per subject")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    dataset = load_dataset(None, None, None)
    fingerprint = backend_fingerprint("ort-cpu")
    image, name = probe_image()
    subjects = []
    for variant in args.variants:
        fp32 = resolve_model(variant)
        reference = detections(fp32, dataset, fingerprint)
        base = score_detections(dataset.coco, reference.results, reference.image_ids).stats[0] * 100
        print(f"{variant} FP32 mAP {base:.2f}")
        graphs = {"fp32": fp32, **{f"int8-{tool}": int8_model(fp32, tool) for tool in TOOLS}}
        for label, model in graphs.items():
            if label != "fp32":
                run = detections(model, dataset, fingerprint)
                cost = paired_difference(dataset.coco, reference.results, run.results, run.image_ids)
                ap = score_detections(dataset.coco, run.results, run.image_ids).stats[0] * 100
                print(f"{variant} {label} mAP {ap:.2f}, cost {cost.difference:+.2f} AP "
                      f"[{cost.low:+.2f}, {cost.high:+.2f}]")
            for backend, runner in (("ort", OrtRunner(model.onnx_path, "ort-cpu", args.threads)),
                                    ("openvino", OpenVinoRunner(model.onnx_path, args.threads))):
                subjects.append(LatencySubject(model, runner, image, name, tag=f"[{backend} {label}]"))
    timed = measure_cpu_latencies(subjects, budget_s=args.budget, allow_busy=True, threads=args.threads)
    medians = {s.id: timed[s.id].timing.stats.median for s in subjects if not isinstance(timed[s.id], Exception)}
    for s in subjects:
        variant, backend = s.model.variant.id, s.tag.strip("[]").split()[0]
        base = medians.get(f"{variant}[{backend} fp32]")
        value = medians.get(s.id)
        ratio = f"x{base / value:.2f} vs FP32" if base and value else ""
        status = timed[s.id] if isinstance(timed[s.id], Exception) else timed[s.id].status
        print(f"{s.id:<42} {value if value is not None else float('nan'):8.2f} ms  {ratio}  [{status}]")
    probe = next((r.timing.calibration.median_ms for r in timed.values()
                  if not isinstance(r, Exception) and r.timing.calibration), None)
    print(f"calibration probe median {probe} ms (all subjects in one set of interleaved rounds, --allow-busy)")


if __name__ == "__main__":
    main()
