"""A synthetic field of detector families and their result history, for the scaling benchmarks.

    python benchmarks/synthetic_field.py OUT [--families 50] [--variants 5] [--results 60000]

Writes OUT/registry/*.yaml (bring-your-own families that all point at one dummy ONNX file, so they
are measurable without running anything), OUT/dummy.onnx and, with --results > 0, OUT/results/: a
history of size, latency-cpu and accuracy results per variant on one machine, the newest of each
with the cache key `refresh` would compute, so a refresh over it finds nothing stale.

The results are copies of the project's committed measurements (one per kind, real samples and
details included, so files have their real sizes) with other variants, dates and values. Nothing
here is a measurement: the figures are made up and exist only to load, plan and render at scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: the machine id the synthetic results belong to; the benchmarks set BENCHGEN_MACHINE_ID to it
MACHINE_ID = "cpu-synthetic-field"
SCALES = ["n", "s", "m", "l", "x"]
SOURCE = "https://example.org/synthetic-field"


def _reported(value: float, **extra) -> list[dict]:
    return [{"value": round(value, 2), "source": SOURCE, "source_name": "Synthetic paper", "official": True, **extra}]


def family_docs(families: int, variants: int, onnx: Path, seed: int = 0) -> list[dict]:
    """`families` families of `variants` sizes each, with plausible, different trade-off curves."""
    rng = random.Random(seed)
    docs = []
    for f in range(families):
        base_ap, speed = rng.uniform(28, 42), rng.uniform(0.6, 1.6)
        items = []
        for v in range(variants):
            params = 2.5 * (2.1 ** v) * rng.uniform(0.8, 1.2)
            doc = {"id": f"fam{f:02d}-{v}", "name": f"Fam{f:02d}-{v}", "input_size": 640, "onnx": str(onnx),
                   "reported": {"map50_95": _reported(base_ap + 4.2 * v + rng.uniform(-0.5, 0.5), dataset="COCO val2017"),
                                "latency_trt_ms": _reported(speed * (1.4 + 1.9 * v), hardware="NVIDIA T4",
                                                            precision="FP16", batch=1),
                                "params_m": _reported(params), "flops_g": _reported(params * 3.1)}}
            if v < len(SCALES):
                doc["scale"] = SCALES[v]
            items.append(doc)
        docs.append({"id": f"fam{f:02d}", "name": f"Family {f:02d}", "organization": "Synthetic Lab",
                     "date": f"{2019 + f % 7}-0{1 + f % 9}-15", "license": "Apache-2.0", "decoder": "yolox",
                     "description": f"Family {f:02d} is a synthetic detector family for the scaling benchmarks.",
                     "innovations": ["A synthetic idea."], "strengths": ["Synthetic strength."],
                     "weaknesses": ["Synthetic weakness."], "use_cases": ["Benchmarks."], "variants": items})
    return docs


def write_registry(out: Path, families: int, variants: int) -> Path:
    onnx = out / "dummy.onnx"
    onnx.parent.mkdir(parents=True, exist_ok=True)
    onnx.write_bytes(b"not a real model: planning only hashes the file\n")
    registry = out / "registry"
    registry.mkdir(parents=True, exist_ok=True)
    for doc in family_docs(families, variants, onnx):
        (registry / f"{doc['id']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return registry


def _templates() -> dict:
    """One committed result per kind, the newest, as the shape every synthetic result copies."""
    from benchgen.results.store import load_results

    found = {}
    for result in load_results(REPO / "results"):
        if result.status == "ok" and result.kind in ("size", "latency-cpu", "accuracy"):
            found[result.kind] = result
    missing = {"size", "latency-cpu", "accuracy"} - set(found)
    if missing:
        raise SystemExit(f"{REPO / 'results'} has no ok result of kind {', '.join(sorted(missing))} to copy")
    return found


def write_results(out: Path, registry_dir: Path, total: int, seed: int = 0) -> int:
    """About `total` result files; each (variant, kind)'s newest one carries the key `refresh` plans."""
    os.environ["BENCHGEN_MACHINE_ID"] = MACHINE_ID
    from benchgen.refresh.plan import plan
    from benchgen.registry.load import load_registry
    from benchgen.results.store import write_result

    registry = load_registry(registry_dir)
    jobs = [j for j in plan(registry, [], {"ort-cpu": MACHINE_ID}, backends=["ort-cpu"]) if not j.unavailable]
    keyed = {(j.variant.id, j.kind): j.key for j in jobs}
    cells = [(f, v, kind) for f, v in registry.measurable() for kind in ("size", "latency-cpu", "accuracy")]
    per_cell = max(1, total // len(cells))
    templates = _templates()
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    written = 0
    for family, variant, kind in cells:
        template = templates[kind]
        base = {"size": None, "latency-cpu": rng.uniform(20, 600), "accuracy": variant.reported["map50_95"][0].value}
        for i in range(per_cell):
            when = start + dt.timedelta(hours=6 * i, seconds=rng.randrange(3600))
            metrics = dict(template.metrics)
            if kind == "latency-cpu":
                metrics = {"latency_cpu_ms": round(base[kind] * rng.uniform(0.97, 1.03), 3)}
            elif kind == "accuracy":
                metrics = {"map50_95": round(base[kind] * rng.uniform(0.98, 1.0), 2)}
            else:
                metrics = {"params_m": variant.reported["params_m"][0].value,
                           "flops_g": variant.reported["flops_g"][0].value}
            machine = template.provenance.machine.model_copy(update={"id": MACHINE_ID})
            provenance = template.provenance.model_copy(update={"date": when, "machine": machine})
            key = keyed.get((variant.id, kind)) if i == per_cell - 1 else f"old-{i}"
            write_result(template.model_copy(update={"variant": variant.id, "metrics": metrics, "cache_key": key,
                                                     "provenance": provenance}), out / "results")
            written += 1
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument("--variants", type=int, default=5)
    parser.add_argument("--results", type=int, default=0, help="about this many result files (0: none)")
    args = parser.parse_args()
    registry = write_registry(args.out, args.families, args.variants)
    print(f"wrote {args.families} families x {args.variants} variants to {registry}")
    if args.results:
        count = write_results(args.out, registry, args.results)
        print(f"wrote {count} result files to {args.out / 'results'} (machine {MACHINE_ID})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
