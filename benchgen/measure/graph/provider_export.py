"""A provider-built variant's ONNX file: its cache key material, and the export, done once.

An export is minutes of CPU for the large sizes, so each is done once per (provider, package
versions, config, build options, export arguments, seed) and kept in the cache; the key is the
same hash, so a new package version or export argument re-exports and re-measures, and nothing
else does. The facts the provider reports (versions, opset) are kept beside the file, since a
result measured from a cached file must still say what made it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from benchgen.atomic_files import reserve_temp_path
from benchgen.errors import BenchgenError
from benchgen.paths import cache_root
from benchgen.providers import get_provider
from benchgen.providers.spec import ExportRequest, ProviderSpec
from benchgen.registry.schema import Family, Variant


def build_of(family: Family, variant: Variant) -> tuple[ProviderSpec, str, dict[str, Any], dict[str, Any]]:
    """(provider, config, build options, complete export arguments) of a provider-built variant."""
    build = family.builds(variant)
    if build is None:
        raise BenchgenError(f"{variant.id}: no provider builds this variant")
    spec = get_provider(build.provider)
    return (spec, build.config, spec.build_options(build.options),
            spec.export_arguments(variant.input_size, build.export))


def provider_material(family: Family, variant: Variant, seed: int, weights: Path | None = None) -> dict[str, Any]:
    """What the export depends on; raises ProviderUnavailable (naming the install) where it is missing.
    The weights are the release checkpoint's bytes where it was fetched, else the seed."""
    spec, config, options, export = build_of(family, variant)
    material = {"provider": spec.name, "versions": spec.fingerprint(), "config": config, "options": options,
                "export": export, "weights": _file_sha256(weights) if weights else f"random-seed-{seed}"}
    if weights:
        if spec.weights_loader is None:
            raise BenchgenError(f"{variant.id}: provider {spec.name!r} builds with fixed-seed weights only; it "
                                f"takes no checkpoint ({Path(weights).name})")
        material["weights_loader"] = spec.weights_loader()
    return material


def _file_sha256(path: Path) -> str:
    from benchgen.fetch.files import sha256_of

    return sha256_of(Path(path))


def _short_hash(material: dict) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _progress(text: str) -> None:
    import sys

    print(f"benchgen: {text}", file=sys.stderr, flush=True)


def _export_paths(spec: ProviderSpec, config: str, material: dict) -> tuple[Path, Path]:
    stem = Path(config).stem.replace(" ", "_")
    path = cache_root() / "onnx" / spec.name / f"{stem}-{_short_hash(material)}.onnx"
    return path, path.with_suffix(".json")


def cached_export(family: Family, variant: Variant, seed: int = 0, weights: Path | None = None) -> tuple[Path, Path]:
    """(ONNX file, facts file) where the export of these inputs is kept in the cache."""
    spec, config, _, _ = build_of(family, variant)
    return _export_paths(spec, config, provider_material(family, variant, seed, weights))


def _cached_facts(facts_path: Path) -> dict[str, Any] | None:
    """The facts kept beside a cached export; None (export again) where the file is not a complete JSON
    object: a disk that filled up or a copy cut short must cost one export, not every run after it."""
    try:
        facts = json.loads(facts_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _progress(f"cached export facts {facts_path} are unreadable ({type(exc).__name__}: {exc}); exporting again")
        return None
    if not isinstance(facts, dict) or "provider" not in facts:
        _progress(f"cached export facts {facts_path} are not the facts of an export; exporting again")
        return None
    return facts


def provider_onnx(family: Family, variant: Variant, seed: int = 0,
                  weights: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """(ONNX file, provenance facts), exported now only if no export of the same inputs is cached.
    With `weights` (the release checkpoint), the provider builds the trained model from it."""
    spec, config, options, export = build_of(family, variant)
    material = provider_material(family, variant, seed, weights)
    path, facts_path = _export_paths(spec, config, material)
    if path.is_file() and facts_path.is_file():
        facts = _cached_facts(facts_path)
        if facts is not None:
            return path, facts
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = reserve_temp_path(path)
    what = f"weights {Path(weights).name}" if weights else f"fixed-seed weights, seed {seed}"
    _progress(f"exporting {variant.id} with provider {spec.name} ({config}, {what}); "
              "once per package version, config, weights and export arguments")
    started = time.monotonic()
    try:
        reported = spec.export(ExportRequest(config=config, options=options, export=export, seed=seed, output=tmp,
                                             weights=weights))
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise BenchgenError(f"provider {spec.name!r} reported success exporting {config} but wrote no ONNX file")
        if reported is not None and not isinstance(reported, dict):
            raise BenchgenError(f"provider {spec.name!r} exported {config} but returned {type(reported).__name__} "
                                "facts, not a dict; the provider must return its facts as a dict of JSON values")
        facts = {"provider": spec.name, "config": config, "options": options, "export": export,
                 "seed": None if weights else seed, "versions": material["versions"], **(reported or {})}
        if weights:
            facts["weights_sha256"] = material["weights"]
        tmp_facts = reserve_temp_path(facts_path)
        try:
            tmp_facts.write_text(json.dumps(facts, indent=1, sort_keys=True, default=str), encoding="utf-8")
            os.replace(tmp, path)
            os.replace(tmp_facts, facts_path)
        finally:
            tmp_facts.unlink(missing_ok=True)
    finally:
        tmp.unlink(missing_ok=True)
    _progress(f"exported {variant.id} in {time.monotonic() - started:.0f} s -> {path}")
    return path, facts


def describe_facts(facts: dict[str, Any]) -> dict[str, str]:
    """Flat entries for a result's settings (pages print them as key=value)."""
    versions = facts.get("versions") or {}
    package = versions.get(facts.get("provider", ""), "")
    others = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()) if k != facts.get("provider"))
    built = f"{facts.get('provider')} {package}".strip() + (f" ({others})" if others else "")
    export = ", ".join(f"{k}={v}" for k, v in sorted((facts.get("export") or {}).items()))
    entries = {"built_by": built, "config": str(facts.get("config")), "export_args": export}
    if facts.get("options"):
        entries["build_options"] = ", ".join(f"{k}={v}" for k, v in sorted(facts["options"].items()))
    if facts.get("opset") is not None:
        entries["opset"] = str(facts["opset"])
    return entries
