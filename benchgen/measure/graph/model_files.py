"""Which ONNX file measures a variant, and which pipeline reads its outputs.

Every measurement (accuracy, latency, size) runs on an ONNX file, so all of them resolve a variant
the same way here: a bring-your-own entry names its file in the registry; an implementation family
is exported once per (weights, seed, model code) into a cache and the file is reused, because an
export takes far longer than most measurements.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import benchgen
from benchgen import library_output
from benchgen.atomic_files import reserve_temp_path
from benchgen.decoders.resolve import pipeline_for
from benchgen.errors import BenchgenError, CheckpointError
from benchgen.models.source_hash import implementation_source_hash
from benchgen.paths import cache_root, project_root  # noqa: F401 - the one rule for both, re-exported
from benchgen.pipeline import Pipeline
from benchgen.registry import load_registry
from benchgen.registry.schema import Family, Registry, Variant


@lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """Content hash, remembered per (path, size, mtime) since caches ask for it on every run."""
    stat = Path(path).stat()
    return _sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


def short_hash(material: Any) -> str:
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ModelFiles:
    """A variant ready to run: its ONNX file, where that came from, and its pipeline."""

    family: Family
    variant: Variant
    onnx_path: Path
    onnx_sha256: str
    pipeline: Pipeline
    origin: str  # "registry onnx" | "export" | "provider"
    weights: Path | None = None
    seed: int | None = None
    provider_facts: dict[str, Any] | None = None  # what built a provider export (package versions, arguments)
    #: an INT8 graph quantised from the variant's FP32 one (benchgen.measure.graph.quantize): how
    quantization: dict[str, Any] | None = None

    @property
    def precision(self) -> str:
        return "int8" if self.quantization else "fp32"

    @property
    def trained(self) -> bool:
        """False for fixed-seed random weights: fine for the network's latency, meaningless for
        anything that depends on what the model detects (mAP, NMS time)."""
        return self.origin == "registry onnx" or self.weights is not None

    def settings(self) -> dict[str, Any]:
        """Flat, short entries for `Result.settings` (the pages print them as key=value)."""
        if self.origin == "provider" and self.weights:
            weights = f"{self.weights.name} (sha256 {sha256_file(self.weights)[:16]})"  # where it lay is no setting
        elif self.origin in ("export", "provider"):
            weights = str(self.weights) if self.weights else f"random (seed {self.seed})"
        else:
            weights = "in the ONNX file"
        entries: dict[str, Any] = {"input_size": self.variant.input_size, "onnx": self.onnx_path.name,
                                   "onnx_sha256": self.onnx_sha256[:16], "weights": weights}
        pipeline_settings = getattr(self.pipeline, "settings", None)
        if isinstance(pipeline_settings, dict):
            entries.update({k: v for k, v in pipeline_settings.items() if v is not None})
        if self.provider_facts is not None:
            from benchgen.measure.graph.provider_export import describe_facts

            entries.update(describe_facts(self.provider_facts))
        if self.quantization is not None:
            entries.update(self.quantization)
        return entries


def lookup(variant_id: str, registry: Registry | None = None) -> tuple[Family, Variant]:
    registry = registry or load_registry()
    try:
        family, variant = registry.variant(variant_id)
    except KeyError as exc:
        raise BenchgenError(str(exc.args[0])) from None
    if family.reported_only:
        source = registry.sources.get(family.id, "the registry")
        raise BenchgenError(f"{variant_id}: family {family.id} is reported only ({source}: reported_only: true), so "
                            "benchgen has nothing to measure; give its variants an 'onnx' file and remove reported_only "
                            "to measure it")
    if variant.reported_only:
        source = registry.sources.get(family.id, "the registry")
        raise BenchgenError(f"{variant_id}: listed with its published figures only ({source}: reported_only: true on "
                            "the variant); nothing of it is measured")
    return family, variant


def registry_onnx_path(family: Family, variant: Variant) -> Path:
    if variant.onnx is None and variant.download is not None:
        from benchgen.registry.downloads import local_variant_file

        return local_variant_file(variant)  # the data directory's or a directory mirror's verified copy
    path = Path(variant.onnx)
    resolved = path if path.is_absolute() else (project_root() / path).resolve()
    if not resolved.is_file():
        raise BenchgenError(
            f"{resolved}: ONNX file of registry entry {family.id}/{variant.id} (onnx: {variant.onnx}) not found; "
            f"relative paths resolve against the project root {project_root()} (set BENCHGEN_ROOT to change it)")
    return resolved


def progress_note(text: str) -> None:
    """One line on stderr for a step that is long and otherwise silent (stdout stays for results and --json)."""
    print(f"benchgen: {text}", file=sys.stderr, flush=True)


def export_cache_path(family: Family, variant: Variant, weights: Path | None, seed: int) -> Path:
    """Where the export of (variant, weights, seed, implementation source) is cached; no torch import."""
    material = {"variant": variant.id, "implementation": family.implementation,
                "code": implementation_source_hash(family.implementation),
                "weights_sha256": sha256_file(weights) if weights else None,
                "seed": None if weights else seed, "benchgen": benchgen.__version__}
    return cache_root() / "onnx" / f"{variant.id}-{short_hash(material)}.onnx"


def _identity_path(onnx_path: Path) -> Path:
    return onnx_path.with_name(onnx_path.name + ".json")


def write_export_identity(onnx_path: Path) -> dict[str, str]:
    """The export's file hash and graph hash (benchgen.measure.graph.graph_hash), stored beside it, so a refresh
    that finds the export cached learns both without reading the graph or importing torch."""
    from benchgen.measure.graph.graph_hash import graph_hash

    identity = {"sha256": sha256_file(onnx_path), "graph": graph_hash(onnx_path)}
    target = _identity_path(onnx_path)
    tmp = reserve_temp_path(target)
    try:
        tmp.write_text(json.dumps(identity, sort_keys=True) + "\n")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return identity


def export_identity(family: Family, variant: Variant, weights: Path | None, seed: int) -> dict[str, str]:
    """{"sha256", "graph"} of the variant's export: read from beside the cached export, else computed from it
    (an export cached before identities were stored), else after exporting (a source change costs a re-export,
    which is what tells whether the graph changed)."""
    path = export_cache_path(family, variant, weights, seed)
    if path.is_file():
        try:
            identity = json.loads(_identity_path(path).read_text())
            if isinstance(identity, dict) and {"sha256", "graph"} <= set(identity):
                return identity
        except (OSError, ValueError):
            pass
        return write_export_identity(path)
    return write_export_identity(exported_onnx(family, variant, weights, seed))


def exported_onnx(family: Family, variant: Variant, weights: Path | None, seed: int) -> Path:
    from benchgen.models import implementation  # imports torch: only for families that need it

    path = export_cache_path(family, variant, weights, seed)
    if path.is_file():
        return path
    module = implementation(family.implementation)
    tmp = reserve_temp_path(path)
    source = f"weights {weights.name}" if weights else f"random weights, seed {seed}"
    progress_note(f"exporting {variant.id} to ONNX ({source}); this takes 30-40 s, once per weights and model code")
    started = time.monotonic()
    try:
        with library_output.to_log(f"export of {variant.id} ({source})") as captured:
            module.export_onnx(variant.id, tmp, weights=weights, seed=seed)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    write_export_identity(path)
    said = captured.note()
    progress_note(f"exported {variant.id} in {time.monotonic() - started:.0f} s -> {path}" + (f" ({said})" if said else ""))
    return path


def resolve_model(variant_id: str, weights: Path | None = None, seed: int = 0,
                  registry: Registry | None = None) -> ModelFiles:
    """The CLI's entry: a variant id, looked up once (`model_files` past it)."""
    family, variant = lookup(variant_id, registry)
    return model_files(family, variant, weights, seed)


def model_files(family: Family, variant: Variant, weights: Path | None = None, seed: int = 0) -> ModelFiles:
    """The variant's ONNX file (from the registry, benchgen's export or its provider) and pipeline."""
    if family.builds(variant) is not None:
        return provider_model(family, variant, weights, seed)
    if family.implementation is None:
        if weights is not None:
            raise BenchgenError(f"{variant.id} is measured from its registry ONNX file ({variant.onnx_file}), which holds "
                                "its weights; --weights applies only to families benchgen exports itself")
        onnx_path = registry_onnx_path(family, variant)
        _, pipeline = pipeline_for(onnx_path, family.decoding(variant), variant.input_size,
                                   where=f"registry entry {family.id}/{variant.id}")
        return ModelFiles(family, variant, onnx_path, sha256_file(onnx_path), pipeline, "registry onnx")
    if weights is not None and not Path(weights).is_file():
        raise CheckpointError(f"{weights}: weights file not found; pass the official checkpoint of {variant.id} "
                              f"(config {variant.config}) or omit --weights for fixed-seed random weights")
    from benchgen.models import implementation

    onnx_path = exported_onnx(family, variant, Path(weights) if weights else None, seed)
    pipeline = implementation(family.implementation).make_pipeline(variant.id)
    return ModelFiles(family, variant, onnx_path, sha256_file(onnx_path), pipeline, "export",
                      Path(weights) if weights else None, seed)


def provider_model(family: Family, variant: Variant, weights: Path | None, seed: int) -> ModelFiles:
    """A provider-built variant: the provider's export (cached), decoded by the format it declares. Built
    from its release checkpoint where one was given or fetched (then it is trained), else fixed-seed."""
    from benchgen.registry.downloads import optional_variant_file
    from benchgen.measure.graph.provider_export import provider_onnx

    if weights is not None and not Path(weights).is_file():
        raise CheckpointError(f"{weights}: weights file not found; pass the release checkpoint of {variant.id} "
                              f"(benchgen fetch {variant.id} puts it in the data directory) or omit --weights")
    weights = Path(weights) if weights is not None else optional_variant_file(variant)
    onnx_path, facts = provider_onnx(family, variant, seed, weights)
    _, pipeline = pipeline_for(onnx_path, family.decoding(variant), variant.input_size,
                               where=f"{family.id}/{variant.id}, exported by provider {facts.get('provider')}")
    return ModelFiles(family, variant, onnx_path, sha256_file(onnx_path), pipeline, "provider", weights,
                      None if weights else seed, provider_facts=facts)
