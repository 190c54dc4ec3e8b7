"""What a measurement depends on, hashed, so a refresh re-measures only what changed.

The key covers what was measured, not the code that wrote it: for a family benchgen implements, the
exported graph (benchgen.measure.graph.graph_hash: the same on every CPU) and the weights (file hash, or the
random seed); for an ONNX-file family, the file's hash; for a provider-built one, the package versions
and export arguments. Then the registry entry, the export settings, the backend and its library
versions, the machine, benchgen's version and the measuring method's version, and, for accuracy, the
dataset, the exact file (its weight values decide the detections) and the decoding code. A refactor
of a model's code that leaves its graph as it was re-exports once and re-measures nothing.
Reported numbers are not part of it: editing a paper's figure must not trigger a re-measurement.
Computing it must stay cheap: with the export cached, its hashes are read from beside it (no torch
import), because a refresh with nothing stale should finish in seconds.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import benchgen
from benchgen.metrics import KINDS
from benchgen.measure.graph.model_files import export_identity, registry_onnx_path, sha256_file
from benchgen.models.source_hash import decoding_source_hash
from benchgen.registry.schema import Family, Variant

EXPORT_SETTINGS = {"opset": ">=17", "batch": 1}
DECODING_FIELDS = ("decoder", "preprocess", "class_map", "decoder_options")
LEGACY_ONNX_PREFIX = "../shared/"
#: the part of an implementation family's material that only the kinds judging detections depend on:
#: weight values (the export's exact bytes, which differ between CPUs in the last bits) and decoding code
VALUES = "values"
VALUE_KINDS = ("accuracy",)
#: Each kind's method version is `Kind.method_version` in benchgen.metrics; bump it when the method
#: changes, so its old results become stale. Its history (latency-cpu 2: no end-to-end phase with random weights, the network phase gets the whole budget;
#: 3: interleaved rounds under the contention rule, with the calibration probe;
#: accuracy 2: scored by faster-coco-eval instead of pycocotools - the same 12 numbers to 1e-6 in the
#: oracle tests, but a result must name the engine that computed it, so each machine re-scores once,
#: from its cached detections, and the engine's version is part of the key from now on;
#: accuracy 3: the result carries the bootstrap interval of its mAP over the images (same mAP);
#: latency-cpu 4: initializers an old exporter listed as graph inputs are dropped from the inputs in
#: memory before ONNX Runtime sees the graph (it neither folds nor fuses an overridable initializer,
#: which made NanoDet-m time ~40 % slower), and NMS with a box cap stops at the cap in one pass, which
#: shortens the end-to-end phase of every NMS detector;
#: latency-cpu 5: ONNX Runtime's intra-op workers do not spin between operators, see
#: benchgen.measure.backends.runners.INTRA_OP_SPINNING)


class ExportFailed(Exception):
    """The export that tells the graph failed (a corrupt checkpoint, a bug): the job is the model's failure,
    to be measured and recorded as failed like any other, not an input missing on this machine."""


def model_material(family: Family, variant: Variant, weights: Path | None, seed: int) -> dict[str, Any]:
    # decoding settings enter once, as the effective ones below; left out where unset so that keys of
    # entries written before they existed do not change
    # the checkpoint's file name is where to find it, and its bytes enter as "weights" below
    # where a fetched file comes from is not what was measured: its bytes enter below (onnx_sha256,
    # weights), so `download` stays out
    definition = variant.model_dump(mode="json",
                                    exclude={"reported", "name", "checkpoint", "download", *DECODING_FIELDS})
    if variant.onnx is None and variant.onnx_file is not None:
        # A fetched ONNX file's entry reads as the path the registry gave it before the fetch layer
        # (../shared/<relative path>), so the results measured then keep their keys: the key is meant to
        # change with the file's bytes, which onnx_sha256 covers, not with where the file is found.
        definition["onnx"] = LEGACY_ONNX_PREFIX + variant.onnx_file
    material: dict[str, Any] = {"family": family.id, "variant": definition, "export": EXPORT_SETTINGS}
    if family.builds(variant) is not None:
        from benchgen.measure.graph.provider_export import provider_material

        # the package versions and complete export arguments: a new release re-exports and re-measures
        material["provider"] = provider_material(family, variant, seed, weights)
        decoding = family.decoding(variant)
        material["decoder"] = decoding["decoder"]
        overrides = {k: decoding[k] for k in ("preprocess", "class_map", "options") if decoding[k]}
        if overrides:
            material["decoding"] = overrides
    elif family.implementation is None:
        decoding = family.decoding(variant)
        material["decoder"] = decoding["decoder"]
        overrides = {k: decoding[k] for k in ("preprocess", "class_map", "options") if decoding[k]}
        if overrides:
            material["decoding"] = overrides
        material["onnx_sha256"] = sha256_file(registry_onnx_path(family, variant))
    else:
        try:
            identity = export_identity(family, variant, weights, seed)
        except Exception as exc:  # noqa: BLE001 - whatever the export raised is the job's failure, said once
            raise ExportFailed(f"exporting {variant.id} failed: {type(exc).__name__}: {exc}") from exc
        material["implementation"] = family.implementation
        material["graph"] = identity["graph"]
        material["weights"] = sha256_file(weights) if weights else f"random-seed-{seed}"
        material[VALUES] = {"onnx_sha256": identity["sha256"],
                            "decoding_code": decoding_source_hash(family.implementation)}
    return material


def cache_key(kind: str, model: dict[str, Any], backend: dict[str, Any], machine_id: str,
              extra: dict[str, Any] | None = None) -> str:
    if kind not in VALUE_KINDS:
        model = {k: v for k, v in model.items() if k != VALUES}
    material = {"kind": kind, "method": KINDS[kind].method_version, "model": model, "backend": backend,
                "machine": machine_id, "benchgen": benchgen.__version__, "extra": extra or {}}
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:24]
