"""`benchgen eval`, `benchgen latency`, `benchgen size`: measure one variant and store the result.

Each verb writes one result file (atomically, with provenance) and prints a one-line summary; a
backend that cannot run here is one line on stderr, exit code 2, and no file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchgen.cli.registry_args import add_registry_arguments, registry_from_args
from benchgen.results.schema import Result
from benchgen.results.store import DEFAULT_RESULTS_DIR, write_result


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("variant", help="variant id from the registry, e.g. yolox-nano or damo-yolo-s")
    parser.add_argument("--weights", type=Path, default=None,
                        help="official checkpoint (.pth) for families benchgen exports; default: fixed-seed random "
                             "weights (fine for latency and size, not for accuracy)")
    parser.add_argument("--seed", type=int, default=0, help="seed for random weights when --weights is absent")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS_DIR,
                        help="results directory (default: %(default)s)")
    add_registry_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="print the result (as stored, plus its file path) as JSON instead of the summary")


def _store(result: Result, results_dir: Path, summary: str, as_json: bool = False) -> int:
    path = write_result(result, results_dir)
    if as_json:
        print(json.dumps({"file": str(path), **result.model_dump(mode="json")}, indent=2))
    else:
        print(f"{summary} -> {path}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from benchgen.measure.accuracy import evaluate_accuracy

    result = evaluate_accuracy(args.variant, images_dir=args.images, annotations=args.annotations,
                               weights=args.weights, backend=args.backend, max_images=args.max_images,
                               registry=registry_from_args(args), progress=not args.no_progress,
                               use_cache=not args.no_cache, workers=args.workers, seed=args.seed)
    details = result.details
    source = "cached detections" if details["from_cache"] else f"{details['images_per_second']:.1f} img/s"
    if not args.json:
        print("\n".join(result.details["coco_summary"]))
        print(f"detections: {details['detections_file']}")
    return _store(result, args.results, f"{result.variant}: mAP50-95 {result.metrics['map50_95']:.2f} on "
                                        f"{result.settings['dataset']} ({args.backend}, {source})", args.json)


def run_latency(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    if args.backend == "tensorrt":
        from benchgen.measure.latency_gpu import measure_trt_latency

        result = measure_trt_latency(args.variant, weights=args.weights, registry=registry, seed=args.seed,
                                     image=args.image)
        stats = result.details["gpu_compute"]
        return _store(result, args.results, f"{result.variant}: TensorRT FP16 GPU compute median {stats['median']:.3f} "
                                            f"ms, p90 {stats['p90']:.3f} ms over {stats['runs']} runs on "
                                            f"{result.settings['gpu']}", args.json)
    from benchgen.measure.latency_cpu import measure_cpu_latency
    from benchgen.measure.model_files import progress_note

    progress_note(f"timing {args.variant} with ONNX Runtime on the CPU: warm-up, then up to {args.budget:g} s of "
                  "timed runs (until the median's 95 % interval is within ±1 %)")
    result = measure_cpu_latency(args.variant, weights=args.weights, budget_s=args.budget, threads=args.threads,
                                 registry=registry, image=args.image, seed=args.seed)
    net, e2e = result.details["network"], result.details.get("end_to_end")
    after = (f"end-to-end {e2e['median']:.2f} ms" if e2e
             else f"end-to-end not timed ({result.details['end_to_end_skipped']})")
    summary = (f"{result.variant}: ORT CPU network median {net['median']:.2f} ms (p90 {net['p90']:.2f}, "
               f"{net['runs']} runs), {after} [threads {result.settings['intra_op_threads']}]")
    return _store(result, args.results, summary, args.json)


def run_size(args: argparse.Namespace) -> int:
    from benchgen.measure.size import measure_size

    result = measure_size(args.variant, weights=args.weights, registry=registry_from_args(args), seed=args.seed)
    summary = (f"{result.variant}: {result.metrics['params_m']:.3f} M params, {result.metrics['flops_g']:.3f} GFLOPs "
               f"at {result.settings['input_size']} px")
    return _store(result, args.results, summary, args.json)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive (got {value})")
    return value


def register(subparsers) -> None:
    evaluate = subparsers.add_parser(
        "eval", help="COCO mAP of a variant on a COCO-format dataset",
        description="Run the variant's ONNX file (or TensorRT engine) over a COCO-format dataset, write COCO "
                    "detection results and score them with pycocotools COCOeval. Without --images/--annotations "
                    "the 80-image coco-val2017-tiny80 set beside the project is used; point them at val2017 for the "
                    "full 5,000 images. Detections are cached: re-scoring needs no re-inference.")
    _common(evaluate)
    evaluate.add_argument("--images", type=Path, default=None, help="image directory (e.g. coco/val2017)")
    evaluate.add_argument("--annotations", type=Path, default=None,
                          help="COCO annotation file (e.g. coco/annotations/instances_val2017.json)")
    evaluate.add_argument("--backend", choices=("ort-cpu", "ort-cuda", "tensorrt"), default="ort-cpu",
                          help="inference backend (default: %(default)s)")
    evaluate.add_argument("--max-images", type=_positive_int, default=None,
                          help="evaluate only the first N images (by image id)")
    evaluate.add_argument("--workers", type=_positive_int, default=None,
                          help="threads decoding and pre/post-processing images (default: up to 4)")
    evaluate.add_argument("--no-cache", action="store_true", help="re-run inference even if detections are cached")
    evaluate.add_argument("--no-progress", action="store_true", help="no progress bar")
    evaluate.set_defaults(func=run_eval)

    latency = subparsers.add_parser(
        "latency", help="batch-1 latency on the CPU (ONNX Runtime) or GPU (TensorRT FP16)",
        description="ort-cpu: warm-up, then timed runs until the 95 % confidence interval of the median is within "
                    "±1 % or the budget ends; the network time is the headline, pre/post-processing and end-to-end "
                    "times are stored beside it. tensorrt: FP16 engine, GPU compute time by CUDA events over at "
                    "least 200 iterations (needs an NVIDIA GPU and pip install 'benchgen[tensorrt]').")
    _common(latency)
    latency.add_argument("--backend", choices=("ort-cpu", "tensorrt"), default="ort-cpu",
                         help="runtime (default: %(default)s)")
    latency.add_argument("--latency-budget", "--budget", dest="budget", type=_positive_float, default=20.0,
                         metavar="SECONDS",
                         help="seconds of timed runs for ort-cpu, the same option as refresh's (default: %(default)s)")
    latency.add_argument("--threads", type=_positive_int, default=None,
                         help="ONNX Runtime intra-op threads (default: ONNX Runtime's choice)")
    latency.add_argument("--image", type=Path, default=None,
                         help="image to pre/post-process (default: the first tiny80 image, else fixed noise)")
    latency.set_defaults(func=run_latency)

    size = subparsers.add_parser(
        "size", help="parameters and FLOPs counted from the exported ONNX",
        description="Count parameters (floating-point weight tensors of the ONNX graph) and FLOPs (2 x MACs of "
                    "Conv/ConvTranspose/Gemm/MatMul at batch 1), the same way for every family.")
    _common(size)
    size.set_defaults(func=run_size)
