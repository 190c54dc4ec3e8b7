"""`benchgen eval`, `benchgen latency`, `benchgen size`: measure one variant and store the result.

Each verb writes one result file (atomically, with provenance) and prints a one-line summary; a
backend that cannot run here is one line on stderr, exit code 2, and no file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchgen.errors import BenchgenError
from benchgen.cli.options import (MAX_IMAGES, MAX_WORKERS, budget_seconds, int_between, seed_number, thread_count,
                                  writable_dir)
from benchgen.cli.registry_args import add_registry_arguments, registry_from_args
from benchgen.results.provenance import current_machine
from benchgen.results.schema import Result
from benchgen.paths import DEFAULT_RESULTS_DIR
from benchgen.results.store import write_result


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("variant", help="variant id from the registry, e.g. yolox-nano or damo-yolo-s")
    parser.add_argument("--weights", type=Path, default=None,
                        help="official checkpoint (.pth) for families benchgen exports; default: fixed-seed random "
                             "weights (fine for latency and size, not for accuracy)")
    parser.add_argument("--seed", type=seed_number, default=0, help="seed for random weights when --weights is absent")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS_DIR,
                        help="results directory (default: the project's, %(default)s)")
    add_registry_arguments(parser)
    parser.add_argument("--json", action="store_true",
                        help="print the result (as stored, plus its file path) as JSON instead of the summary")


def preflight(args: argparse.Namespace) -> None:
    """What would fail only when the result is stored, checked before the measurement instead."""
    writable_dir(args.results, "--results")
    current_machine()  # a malformed BENCHGEN_MACHINE_ID


def _store(result: Result, results_dir: Path, summary: str, as_json: bool = False) -> int:
    path = write_result(result, results_dir)
    if as_json:
        print(json.dumps({"file": str(path), **result.model_dump(mode="json")}, indent=2))
    else:
        print(f"{summary} -> {path}")
    return 0


def dataset_here(dataset_id: str, images: Path | None, annotations: Path | None) -> tuple[Path, Path]:
    """--dataset ID: the registry dataset's copy here (data directory or a directory mirror), never a download."""
    from benchgen.errors import BenchgenError
    from benchgen.fetch.datasets import local_dataset
    from benchgen.fetch.locations import data_dir, mirrors
    from benchgen.registry.datasets import dataset

    if images or annotations:
        raise BenchgenError("--dataset: give either --dataset ID or --images/--annotations, not both")
    entry = dataset(dataset_id)
    root = local_dataset(entry, mirrors())
    if root is None:
        raise BenchgenError(f"--dataset {entry.id}: no complete copy in {data_dir() / entry.path} or a mirror; fetch "
                            f"it with `benchgen fetch --dataset {entry.id}` (from a copy: --mirror URL|DIR)")
    return root / entry.split, root / "annotations" / f"instances_{entry.split}.json"


def _precision(result: Result) -> str:
    """" INT8" in a summary line; nothing for FP32, the default every summary has always meant."""
    return "" if result.precision == "fp32" else f" {result.precision.upper()}"


def run_eval(args: argparse.Namespace) -> int:
    from benchgen.measure.accuracy.evaluate import evaluate_accuracy

    preflight(args)
    if args.dataset:
        args.images, args.annotations = dataset_here(args.dataset, args.images, args.annotations)

    result = evaluate_accuracy(args.variant, images_dir=args.images, annotations=args.annotations,
                               weights=args.weights, backend=args.backend, max_images=args.max_images,
                               registry=registry_from_args(args), progress=not args.no_progress,
                               use_cache=not args.no_cache, workers=args.workers, seed=args.seed,
                               precision=args.precision)
    details = result.details
    source = "cached detections" if details["from_cache"] else f"{details['images_per_second']:.1f} img/s"
    if not args.json:
        print("\n".join(result.details["coco_summary"]))
        print(f"detections: {details['detections_file']}")
    if details["decode_warnings"]:
        shown = "; ".join(details["decode_warning_images"][:3])
        print(f"warning: {details['decode_warnings']} image(s) decoded incomplete and were scored as decoded "
              f"({shown}); the mAP is lower than the model's", file=sys.stderr)
    return _store(result, args.results, f"{result.variant}{_precision(result)}: mAP50-95 "
                                        f"{result.metrics['map50_95']:.2f} on "
                                        f"{result.settings['dataset']} ({args.backend}, {source})", args.json)


def latency_backends() -> list[str]:
    """The metric table's backends that time something (benchgen.metrics)."""
    from benchgen.metrics import BACKENDS, timed_metric

    return sorted(b.id for b in BACKENDS.values() if any(timed_metric(k) for k in b.kinds))


#: the backends `benchgen latency` has options and summaries of its own for; others come from the table
BUILT_IN = ("ort-cpu", "tensorrt", "torch-cuda")


def table_backend_help(backend: str) -> str:
    from benchgen.metrics import BACKENDS

    return BACKENDS[backend].help


def _table_latency(args: argparse.Namespace, registry) -> int:
    """A backend with no options of its own here: its kind's measuring function, as refresh calls it."""
    from benchgen.measure.graph.model_files import lookup
    from benchgen.measure.request import MeasureRequest
    from benchgen.metrics import BACKENDS, KINDS, resolve, timed_metric

    kind = next(k for k in BACKENDS[args.backend].kinds if timed_metric(k))
    family, variant = lookup(args.variant, registry)
    request = MeasureRequest(family, variant, args.backend, weights=args.weights, seed=args.seed, registry=registry,
                             latency_budget_s=args.budget or 20.0, allow_busy=args.allow_busy,
                             precision=args.precision)
    measure = KINDS[kind].measure
    if measure:
        result = resolve(measure)(request)
    else:
        from benchgen.measure.timing.latency_cpu import measure_jobs

        result = measure_jobs([request], [resolve(KINDS[kind].cpu_subject)])[0]
    if isinstance(result, Exception):
        raise result
    stats = result.timing.stats
    return _store(result, args.results, f"{result.variant}: {timed_metric(kind).label}{_precision(result)} "
                                        f"median {stats.median:.3f} ms "
                                        f"(p90 {stats.p90:.3f}, {stats.runs} runs) [{result.status}]", args.json)


def int8_backends() -> list[str]:
    """The backends that run a variant's INT8 (QDQ ONNX) graph: those timing on the CPU (a kind judged
    by the CPU contention rule); the GPU ones build their own FP16 engines."""
    from benchgen.metrics import BACKENDS, KINDS

    return [b.id for b in BACKENDS.values() if any(KINDS[k].cpu_contention for k in b.kinds)]


def run_latency(args: argparse.Namespace) -> int:
    preflight(args)
    if args.precision != "fp32" and args.backend not in int8_backends():
        raise BenchgenError(f"--precision {args.precision} runs on {' and '.join(int8_backends())} only (got --backend "
                            f"{args.backend}, which times its own FP16 engine); drop --precision or pick a CPU backend")
    registry = registry_from_args(args)
    if args.backend not in BUILT_IN:
        return _table_latency(args, registry)
    if args.backend == "torch-cuda":
        return _torch_latency(args, registry)
    if args.compile or args.no_cuda_graph:
        raise BenchgenError("--compile and --no-cuda-graph apply to --backend torch-cuda only")
    if args.backend == "tensorrt":
        from benchgen.measure.timing.latency_tensorrt import measure_trt_latency

        result = measure_trt_latency(args.variant, weights=args.weights, registry=registry, seed=args.seed,
                                     image=args.image)
        stats = result.timing.stats
        return _store(result, args.results, f"{result.variant}: TensorRT FP16 GPU compute median {stats.median:.3f} "
                                            f"ms, p90 {stats.p90:.3f} ms over {stats.runs} runs on "
                                            f"{result.settings['gpu']}", args.json)
    from benchgen.measure.timing.latency_cpu import measure_cpu_latency
    from benchgen.measure.graph.model_files import progress_note

    budget = args.budget if args.budget is not None else 20.0
    progress_note(f"timing {args.variant} with ONNX Runtime on the CPU: warm-up, then up to {budget:g} s of timed "
                  "runs in rounds (until the median's 95 % interval is within ±1 %), waiting first for a quiet machine")
    result = measure_cpu_latency(args.variant, weights=args.weights, budget_s=budget, threads=args.threads,
                                 registry=registry, image=args.image, seed=args.seed, allow_busy=args.allow_busy,
                                 precision=args.precision)
    net, stages = result.timing.stats, result.stages
    after = (f"end-to-end {stages.end_to_end.median:.2f} ms (pre {stages.preprocess.median:.2f}, inference "
             f"{stages.inference.median:.2f}, post {stages.postprocess.median:.2f})" if stages
             else f"end-to-end not timed ({result.details['end_to_end_skipped']})")
    memory = (f"peak memory {result.memory.peak_mb:.0f} MiB" if result.memory
              else f"no memory figure ({result.details.get('memory_skipped')})")
    probe = result.timing.calibration.median_ms if result.timing.calibration else 0
    summary = (f"{result.variant}: ORT CPU{_precision(result)} network median {net.median:.2f} ms (p95 {net.p95:.2f}, "
               f"p99 {net.p99:.2f}, {net.runs} runs in {result.details['rounds']['done']} rounds), {after}, {memory} "
               f"[threads {result.settings['intra_op_threads']}; calibration probe {probe:.3g} ms]")
    if result.status == "unstable":
        reasons = "; ".join(result.details["contention"]["reasons"])
        summary = f"UNSTABLE (kept off the pages): {reasons}\n{summary}"
    return _store(result, args.results, summary, args.json)


def _torch_latency(args: argparse.Namespace, registry) -> int:
    from benchgen.measure.timing.latency_torch import DEFAULT_BUDGET_S, measure_torch_latency

    result = measure_torch_latency(args.variant, weights=args.weights, registry=registry, seed=args.seed,
                                   budget_s=args.budget if args.budget is not None else DEFAULT_BUDGET_S,
                                   compile=args.compile, cuda_graph=not args.no_cuda_graph)
    stats, settings = result.timing.stats, result.settings
    mode = ", ".join(x for x in ("CUDA graph" if settings["cuda_graph"] else "eager",
                                 "torch.compile" if settings["compile"] else None) if x)
    summary = (f"{result.variant}: PyTorch CUDA FP16 median {stats.median:.3f} ms (p90 {stats.p90:.3f}, "
               f"{stats.runs} runs, {mode}) on {settings['gpu']}")
    if result.status == "unstable":
        summary += f" [UNSTABLE: {result.details['unstable_reason']}]"
    return _store(result, args.results, summary, args.json)


def run_size(args: argparse.Namespace) -> int:
    from benchgen.measure.graph.size import measure_size

    preflight(args)
    result = measure_size(args.variant, weights=args.weights, registry=registry_from_args(args), seed=args.seed)
    summary = (f"{result.variant}: {result.metrics['params_m']:.3f} M params, {result.metrics['flops_g']:.3f} GFLOPs "
               f"at {result.settings['input_size']} px")
    return _store(result, args.results, summary, args.json)


def register(subparsers) -> None:
    evaluate = subparsers.add_parser(
        "eval", help="COCO mAP of a variant on a COCO-format dataset",
        description="Run the variant's ONNX file (or TensorRT engine) over a COCO-format dataset, write COCO "
                    "detection results and score them with COCOeval (faster-coco-eval). Without --images/--annotations "
                    "the 80-image coco-val2017-tiny80 set is used (data directory or ../shared/); --dataset coco-val2017 "
                    "evaluates the full 5,000 images once fetched. Detections are cached: re-scoring needs no re-inference.")
    _common(evaluate)
    evaluate.add_argument("--dataset", default=None, metavar="ID",
                          help="a fetched evaluation dataset: coco-val2017-tiny80 or coco-val2017 (with --max-images N: "
                               "its first N images by id, a deterministic subset)")
    evaluate.add_argument("--images", type=Path, default=None, help="image directory (e.g. coco/val2017)")
    evaluate.add_argument("--annotations", type=Path, default=None,
                          help="COCO annotation file (e.g. coco/annotations/instances_val2017.json)")
    evaluate.add_argument("--backend", choices=("ort-cpu", "ort-cuda", "tensorrt"), default="ort-cpu",
                          help="inference backend (default: %(default)s)")
    evaluate.add_argument("--max-images", type=int_between(1, MAX_IMAGES, "more than any evaluation set holds"), default=None,
                          help="evaluate only the first N images (by image id)")
    evaluate.add_argument("--workers", type=int_between(1, MAX_WORKERS, "more threads only wait on each other"), default=None,
                          help="threads decoding and pre/post-processing images (default: up to 4)")
    evaluate.add_argument("--precision", choices=("fp32", "int8"), default="fp32",
                          help="int8: score the variant's post-training INT8 graph (calibrated on train2017 images "
                               "only, never on the evaluated ones) (default: %(default)s)")
    evaluate.add_argument("--no-cache", action="store_true", help="re-run inference even if detections are cached")
    evaluate.add_argument("--no-progress", action="store_true", help="no progress bar")
    evaluate.set_defaults(func=run_eval)

    latency = subparsers.add_parser(
        "latency", help="batch-1 latency on the CPU (ONNX Runtime) or GPU (TensorRT FP16, PyTorch CUDA FP16)",
        description="ort-cpu: warm-up, then timed runs in rounds, with a calibration probe before and after, until "
                    "the 95 % confidence interval of the median is within ±1 % or the budget ends; a window in which "
                    "other processes used the CPUs is timed again once the machine is quiet, and a result still "
                    "contended is recorded as unstable. The network time is the headline, pre/post-processing and "
                    "end-to-end times are stored beside it. tensorrt: FP16 engine, GPU compute time by CUDA events over at "
                    "least 200 iterations (needs an NVIDIA GPU and pip install 'benchgen[tensorrt]'). torch-cuda: the "
                    "fused PyTorch deploy model of DAMO-YOLO / RT-DETRv2 in FP16, captured in a CUDA graph, each "
                    "replay timed by CUDA events under the same stopping rule as ort-cpu (±0.5 %, at least 200 "
                    "runs); GPU clocks and throttling are checked through NVML where nvidia-ml-py is installed. "
                    + "".join(f"{b}: {table_backend_help(b)}. " for b in latency_backends() if b not in BUILT_IN)
                    + "--precision int8 times the variant's post-training INT8 graph on the CPU backends.")
    _common(latency)
    latency.add_argument("--backend", choices=latency_backends(), default="ort-cpu",
                         help="runtime (default: %(default)s)")
    latency.add_argument("--latency-budget", "--budget", dest="budget", type=budget_seconds, default=None,
                         metavar="SECONDS",
                         help="seconds of timed runs, the same option as refresh's (default: 20 for ort-cpu, "
                              "10 for torch-cuda)")
    latency.add_argument("--compile", action="store_true",
                         help="torch-cuda: run torch.compile (Inductor) first; a separate, labelled setting")
    latency.add_argument("--no-cuda-graph", action="store_true",
                         help="torch-cuda: time eager forward calls instead of CUDA-graph replays (labelled)")
    latency.add_argument("--threads", type=thread_count, default=None,
                         help="ONNX Runtime intra-op threads (default: ONNX Runtime's choice)")
    latency.add_argument("--allow-busy", action="store_true",
                         help="time even while other processes load the machine (no waiting, no retries); the result "
                              "is published with the load evidence in its note")
    latency.add_argument("--precision", choices=("fp32", "int8"), default="fp32",
                         help="fp32: the exported graph; int8: its post-training static quantisation (QDQ, calibrated "
                              "on the 80 train2017 images of coco-train2017-mini80, cached), for the CPU backends "
                              "(default: %(default)s)")
    latency.add_argument("--image", type=Path, default=None,
                         help="image to pre/post-process (default: the first tiny80 image, else fixed noise)")
    latency.set_defaults(func=run_latency)

    size = subparsers.add_parser(
        "size", help="parameters and FLOPs counted from the exported ONNX",
        description="Count parameters (floating-point weight tensors of the ONNX graph) and FLOPs (2 x MACs of "
                    "Conv/ConvTranspose/Gemm/MatMul at batch 1), the same way for every family.")
    _common(size)
    size.set_defaults(func=run_size)
