"""torch-cuda device check: time every PyTorch variant on this GPU, write the results, print a summary.

Run by scripts/devcheck-gpu.sh on a machine with PyTorch + CUDA and no network. It needs only
torch, numpy, pydantic and PyYAML (plus nvidia-ml-py for the clock check): importing the model
packages also imports onnx and cv2, which the torch-cuda path never calls, so where they are not
installed an inert placeholder module stands in for them and the summary says so.

Every variant is one `measure_torch_latency` call, the very code `benchgen latency --backend
torch-cuda` and `benchgen refresh` run; its result gets the cache key a refresh would give it, so
a later refresh on this machine does not re-measure it. A variant whose CUDA-graph capture fails
is timed again without the graph and recorded as cuda_graph=false, never silently.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: imported by the model packages (ONNX export, OpenCV pre-processing), never called by torch-cuda
PLACEHOLDER_MODULES = ("onnx", "cv2")


def placeholder(name: str) -> types.ModuleType:
    module = types.ModuleType(name, f"devcheck placeholder: {name} is not installed here")

    def __getattr__(attribute: str):
        raise ImportError(f"{name}.{attribute}: {name} is not installed on this machine (devcheck placeholder); "
                          "the torch-cuda path does not use it")

    module.__getattr__ = __getattr__
    return module


def install_placeholders(names: tuple[str, ...] = PLACEHOLDER_MODULES) -> list[str]:
    missing = [name for name in names if name not in sys.modules and importlib.util.find_spec(name) is None]
    for name in missing:
        sys.modules[name] = placeholder(name)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "results", help="results directory")
    parser.add_argument("--budget", type=float, default=15.0, help="seconds of timed runs per variant at most")
    parser.add_argument("--deadline", type=float, default=400.0,
                        help="seconds for all variants; variants not started by then are skipped")
    parser.add_argument("--only", action="append", metavar="VARIANT", help="variant id (repeatable)")
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda",
                        help="cpu: the same run through the CPU device, to test this script without a GPU")
    parser.add_argument("--input-size", type=int, default=None, help="override the input size (cpu tests)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    stubbed = install_placeholders()
    sys.path.insert(0, str(ROOT))

    import torch

    from benchgen.errors import BenchgenError
    from benchgen.measure.timing.latency_torch import find_cuda, measure_torch_latency, torch_fingerprint
    from benchgen.measure.timing.torch_device import CpuDevice
    from benchgen.refresh.cache_key import cache_key, model_material
    from benchgen.registry import load_registry
    from benchgen.results.merge import preferred_reported
    from benchgen.results.store import write_result

    if args.device == "cuda":
        info = find_cuda()  # one line and exit 2 below without a usable GPU

        def fingerprint() -> dict:
            return torch_fingerprint()
    else:
        cpu = CpuDevice()
        info = types.SimpleNamespace(name="CPU (test run)", capability="-", torch=torch.__version__, cuda=None)

        def fingerprint() -> dict:
            return {"backend": "torch-cuda", "device": "cpu", "torch": torch.__version__}

    def measure(variant_id: str, **kwargs):
        if args.device == "cpu":
            kwargs.update(device=cpu, warmup_min_runs=1, warmup_min_s=0.0)
        return measure_torch_latency(variant_id, registry=registry, budget_s=args.budget,
                                     input_size=args.input_size, **kwargs)

    registry = load_registry()
    variants = [(f, v) for f, v in registry.variants() if f.implementation]
    if args.only:
        variants = [(f, v) for f, v in variants if v.id in args.only]
    print(f"devcheck torch-cuda: {len(variants)} variants on {info.name} (compute {info.capability}), "
          f"torch {info.torch}, CUDA {info.cuda}; placeholders for: {', '.join(stubbed) or 'none'}", flush=True)
    rows, failures, written = [], [], []
    for family, variant in variants:
        if time.monotonic() - started > args.deadline:
            failures.append((variant.id, f"skipped: the {args.deadline:.0f} s deadline had passed"))
            continue
        began = time.monotonic()
        note = ""
        try:
            try:
                result = measure(variant.id)
            except BenchgenError as exc:
                if "CUDA graph capture failed" not in str(exc):
                    raise
                note = f"graph capture failed, timed eager: {exc}"
                print(f"  {variant.id}: {note}", flush=True)
                result = measure(variant.id, cuda_graph=False)
        except Exception as exc:  # noqa: BLE001 - one variant's failure must not stop the others
            failures.append((variant.id, f"{type(exc).__name__}: {exc}".splitlines()[0][:300]))
            print(f"  {variant.id}: FAILED {failures[-1][1]}", flush=True)
            continue
        finally:
            gc.collect()
            torch.cuda.empty_cache()
        result.cache_key = cache_key(result.kind, model_material(family, variant, None, 0),
                                     {**fingerprint(), "cuda_graph": result.settings["cuda_graph"]},
                                     result.provenance.machine.id)
        written.append(write_result(result, args.results))
        stats = result.timing.stats
        published = preferred_reported(variant.reported.get("latency_trt_ms", []), "latency_trt_ms")
        rows.append((variant.id, stats.median, stats.ci_low, stats.ci_high, stats.runs,
                     result.details["stop_reason"], result.settings["cuda_graph"], result.status,
                     f"{published.value:g} ({published.hardware or '?'})" if published else "-",
                     time.monotonic() - began, note))
        print(f"  {variant.id}: {stats.median:.3f} ms [{result.status}] in {rows[-1][9]:.0f} s", flush=True)
    machine = None
    if written:
        from benchgen.results.store import read_result

        machine = read_result(written[0]).provenance.machine
    print()
    print(f"machine id: {machine.id if machine else '?'} ({machine.gpu if machine else info.name}, driver "
          f"{machine.gpu_driver if machine else '?'}, CUDA {info.cuda}, torch {info.torch})")
    header = (f"{'variant':<16}{'median ms':>10}{'95% CI':>18}{'runs':>7}  {'stop':<9}{'graph':<7}{'status':<10}"
              f"{'published TensorRT FP16 (reported)':<36}")
    print(header)
    for variant_id, median, low, high, runs, stop, graph, status, published, _, _ in rows:
        print(f"{variant_id:<16}{median:>10.3f}{f'{low:.3f}-{high:.3f}':>18}{runs:>7}  {stop:<9}{str(graph):<7}"
              f"{status:<10}{published:<36}")
    for variant_id, reason in failures:
        print(f"{variant_id:<16}FAILED  {reason}")
    print(f"{len(written)} result(s) written under {args.results}/{machine.id if machine else '<gpu machine>'}/ "
          f"in {time.monotonic() - started:.0f} s; the published figures are TensorRT on their own GPUs, not this "
          "backend: compare with care")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # the BackendUnavailable of a machine without a usable GPU, above all
        print(f"devcheck: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(2)
