"""Decide what a refresh measures on this machine, and why.

A job is one (variant, kind, backend). It is stale when no successful result on this machine has
the job's cache key; a failed result never counts as fresh, so failures are retried.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from benchgen.errors import BenchgenError, DatasetError
from benchgen.fetch.files import MissingFile
from benchgen.registry.downloads import optional_variant_file
from benchgen.registry.datasets import default_dataset
from benchgen.measure.accuracy.coco_eval import engine_label
from benchgen.measure.accuracy.dataset import default_dataset_root, locate
from benchgen.measure.backends.discovery import backend_fingerprint
from benchgen.metrics import runs_int8, BACKENDS, KINDS
from benchgen.refresh.cache_key import ExportFailed, cache_key, model_material
from benchgen.registry.schema import Family, Registry, Variant
from benchgen.results.index import ResultHeader, Results, as_headers



@dataclass
class Job:
    family: Family
    variant: Variant
    kind: str
    backend: str
    key: str
    machine_id: str
    weights: Path | None = None
    reason: str = ""
    stale: bool = True
    unavailable: bool = False  # an input is missing on this machine (e.g. a bring-your-own ONNX file)
    #: what `benchgen fetch` would get for it (a variant id, or --dataset ID) where the missing input is fetchable
    missing: str | None = None
    extra: dict = field(default_factory=dict)
    #: fp32, or int8: the variant's quantised graph (benchgen.measure.graph.quantize), a key of its own
    precision: str = "fp32"
    #: how often a timing with these inputs came out unstable on this machine (refresh/backoff.py)
    unstable_attempts: int = 0
    last_unstable: ResultHeader | None = None

    @property
    def label(self) -> str:
        return f"{self.variant.id} {self.kind} ({self.backend}{'' if self.precision == 'fp32' else ' ' + self.precision})"


def find_weights(weights_dir: Path | None, variant: Variant) -> Path | None:
    """An official checkpoint for the variant in `weights_dir`, as the release names it.

    The release's own file name first, so a user can put the downloads there unrenamed; else a file
    named after the official config (DAMO-YOLO's and RT-DETRv2's releases are named that way).
    """
    if weights_dir is None:
        return None
    if variant.checkpoint and (Path(weights_dir) / variant.checkpoint).is_file():
        return Path(weights_dir) / variant.checkpoint
    if not variant.config:
        return None
    candidates = sorted(Path(weights_dir).glob(f"{variant.config}*.pth"))
    if len(candidates) > 1:  # one of them may be a partial download: never pick one silently
        rename = f", or name the right one {variant.checkpoint}" if variant.checkpoint else ""
        raise BenchgenError(f"--weights-dir {weights_dir}: {len(candidates)} files match {variant.config}*.pth for "
                            f"{variant.id} ({', '.join(p.name for p in candidates)}), and one may be a partial "
                            f"download; keep only the complete checkpoint there{rename}")
    return candidates[0] if candidates else None


#: the families of the README's default site (its DAMO-YOLO vs RT-DETRv2 comparison): a plain refresh
#: measures every size of them, as it always has
SEED_FAMILIES = ("damo-yolo", "rtdetrv2")


def default_selection(chosen: list[tuple[Family, Variant]]) -> list[tuple[Family, Variant]]:
    """What a plain refresh measures: every size of the seed pair and every variant read from an ONNX
    file, and the first-listed (smallest) variant of every other family benchgen builds (its own
    implementations, like D-FINE, and the provider-built ones). The other sizes are --all's: exporting
    and timing all of them takes a 2-core machine well over the 15 minutes a first `make site` may take."""
    seen: set[str] = set()
    out = []
    for family, variant in chosen:
        built = family.builds(variant) is not None or family.implementation is not None
        if built and family.id not in SEED_FAMILIES:
            if family.id in seen:
                continue
            seen.add(family.id)
        out.append((family, variant))
    return out


def select(registry: Registry, only: list[str] | None, all_variants: bool = False) -> list[tuple[Family, Variant]]:
    """Reported-only families and variants have nothing to measure, so they are never planned (naming one is an
    error). Without `only` or `all_variants`, the default selection."""
    chosen = registry.measurable()
    if not only:
        return chosen if all_variants else default_selection(chosen)
    listed = {f.id for f in registry.families if f.reported_only} | {
        v.id for f in registry.families for v in f.variants if f.reported_only or v.reported_only}
    named = [o for o in only if o in listed]
    if named:
        raise BenchgenError(f"--only {', '.join(named)}: reported only (the registry has no implementation or ONNX "
                            "file for it), so there is nothing to measure")
    known = {f.id for f, _ in chosen} | {v.id for _, v in chosen}
    unknown = [o for o in only if o not in known]
    if unknown:
        raise BenchgenError(f"--only {', '.join(unknown)}: not a family or variant id; known: {', '.join(sorted(known))}")
    return [(f, v) for f, v in chosen if f.id in only or v.id in only]


def int8_material() -> dict:
    from benchgen.measure.graph.quantize import DEFAULT_TOOL, recipe, tool_version

    return {"precision": "int8", "quantisation": recipe(DEFAULT_TOOL), "quantiser": tool_version(DEFAULT_TOOL)}


def dataset_extra(images: Path | None, annotations: Path | None) -> dict | None:
    """The dataset's part of an accuracy job's key; None (no accuracy job) only when the user named no
    dataset and the default one is absent. A half given (--images alone) is completed as `eval` does;
    one that cannot be is an error, never a silently dropped accuracy job."""
    if images is None and annotations is None:
        root = default_dataset_root()
        images, annotations = root / "val2017", root / "annotations" / "instances_val2017.json"
        if not Path(annotations).is_file() or not Path(images).is_dir():
            return None
    else:
        images, annotations = locate(images, annotations)
        if not Path(images).is_dir():
            raise DatasetError(f"--images {images}: directory not found; give the directory of the annotated images")
        if not Path(annotations).is_file():
            raise DatasetError(f"--annotations {annotations}: file not found; give COCO's instances_*.json")
    from benchgen.measure.graph.model_files import sha256_file

    # names and sizes, not the absolute path: the same dataset in another checkout is the same input
    listing = sorted(f"{p.name}:{p.stat().st_size}" for p in Path(images).iterdir() if p.is_file())
    return {"images_sha256": hashlib.sha256("\n".join(listing).encode()).hexdigest()[:16],
            "annotations_sha256": sha256_file(Path(annotations))}


def plan(registry: Registry, results: Results, machines: dict[str, str], *, only: list[str] | None = None,
         all_variants: bool = False, backends: list[str], force: bool = False, weights_dir: Path | None = None, seed: int = 0,
         images: Path | None = None, annotations: Path | None = None,
         dataset_label: str | None = None, report_missing_dataset: bool = False,
         dataset_here: bool = True, precisions: tuple[str, ...] = ("fp32",)) -> list[Job]:
    """`machines` maps backend -> machine id (GPU results belong to the GPU machine); `results` are
    results or their headers. With `report_missing_dataset`, accuracy that waits only for the dataset is
    planned as unavailable jobs naming it (refresh groups them into its one line of what to fetch).
    `dataset_here=False`: the dataset the user chose (--dataset) has no copy here yet. An INT8 job exists
    for the kinds that run a QDQ graph (the CPU timings, and accuracy), with the quantisation recipe in its
    key; FP32 keys are those of before INT8 existed."""
    headers = as_headers(results)
    fresh = {(h.machine_id, h.variant, h.kind, h.cache_key) for h in headers if h.status == "ok"}
    previous = {(h.machine_id, h.variant, h.kind) for h in headers}
    unstable: dict[tuple, list[ResultHeader]] = {}
    for h in headers:
        if h.status == "unstable":
            unstable.setdefault((h.machine_id, h.variant, h.kind, h.cache_key), []).append(h)
    dataset = dataset_extra(images, annotations) if dataset_here else None
    jobs = []
    missing_dataset = dataset_label or f"--dataset {default_dataset().id}"
    for family, variant in select(registry, only, all_variants):
        provider_built = family.builds(variant) is not None
        # an ambiguous --weights-dir is the user's error, not an input absent here: it stops the refresh
        weights = None if provider_built else find_weights(weights_dir, variant)
        try:
            # a provider build uses its release checkpoint where it was fetched, else fixed-seed weights
            if provider_built:
                weights = optional_variant_file(variant)
            model = model_material(family, variant, weights, seed)
        except ExportFailed as exc:
            # measured anyway, so the failure is recorded with its reason and the next refresh retries it
            for backend in backends:
                for kind in BACKENDS[backend].kinds:
                    jobs.append(Job(family, variant, kind, backend, "", machines[backend], weights, reason=str(exc)))
            continue
        except BenchgenError as exc:
            # Not a failure of the model: its input is absent here, like TensorRT on a CPU machine.
            missing = variant.id if isinstance(exc, MissingFile) else None
            for backend in backends:
                kinds = [*BACKENDS[backend].kinds, *(["accuracy"] if BACKENDS[backend].accuracy and missing else [])]
                for kind in kinds:
                    jobs.append(Job(family, variant, kind, backend, "", machines[backend], None,
                                    reason=f"not measurable here: {exc}", stale=False, unavailable=True,
                                    missing=missing))
            continue
        # provider-built without its checkpoint: fixed-seed weights, so no mAP (it stays reported)
        trained = (family.implementation is None and not provider_built) or weights is not None
        if provider_built and weights is None and variant.download is not None:
            for backend in backends:
                if BACKENDS[backend].accuracy and not BACKENDS[backend].implementations_only:
                    jobs.append(Job(family, variant, "accuracy", backend, "", machines[backend], None, stale=False,
                                    unavailable=True, missing=variant.id,
                                    reason=f"no mAP: its release checkpoint {variant.download.path} is not here"))
        if trained and dataset is None and report_missing_dataset:
            for backend in backends:
                if BACKENDS[backend].accuracy and not BACKENDS[backend].implementations_only:
                    jobs.append(Job(family, variant, "accuracy", backend, "", machines[backend], weights,
                                    stale=False, unavailable=True, missing=missing_dataset,
                                    reason="no mAP: the evaluation dataset is not here"))
        for backend in backends:
            if BACKENDS[backend].implementations_only and family.implementation is None:
                what = "exported by its provider as ONNX" if provider_built else "an ONNX file"
                for kind in BACKENDS[backend].kinds:
                    jobs.append(Job(family, variant, kind, backend, "", machines[backend], weights, stale=False,
                                    unavailable=True, reason=f"not measured with {backend}: it times only the families "
                                    f"benchgen implements in PyTorch, and {family.id} is {what}"))
                continue
            kinds = list(BACKENDS[backend].kinds)
            if trained and dataset is not None and BACKENDS[backend].accuracy:
                kinds.append("accuracy")
            fingerprint = backend_fingerprint(backend)
            for kind, precision in ((k, p) for p in precisions for k in kinds if p == "fp32" or runs_int8(k)):
                # accuracy: the dataset and the scoring engine's version (a new engine version re-scores)
                extra = {**dataset, "coco_engine": engine_label()} if kind == "accuracy" else None
                if precision != "fp32":
                    extra = {**(extra or {}), **int8_material()}
                machine_id = machines[backend]
                key = cache_key(kind, model, fingerprint, machine_id, extra)
                job = Job(family, variant, kind, backend, key, machine_id, weights, extra=extra or {},
                          precision=precision)
                if force:
                    job.reason = "forced (--force)"
                elif (machine_id, variant.id, kind, key) in fresh:
                    job.stale, job.reason = False, "up to date"
                elif (machine_id, variant.id, kind, key) in unstable:
                    tries = unstable[(machine_id, variant.id, kind, key)]
                    job.unstable_attempts, job.last_unstable = len(tries), tries[-1]
                    job.reason = f"unstable {len(tries)} time(s) with these inputs"
                elif (machine_id, variant.id, kind) in previous:
                    job.reason = "inputs changed or last attempt failed"
                else:
                    job.reason = "never measured on this machine"
                jobs.append(job)
    return jobs
