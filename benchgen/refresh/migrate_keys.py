"""One-time move of committed results to graph-keyed cache keys (`python -m benchgen.refresh.migrate_keys`).

Until this change a result of a family benchgen implements was keyed on the source hash of its
implementation package; now it is keyed on the exported graph (benchgen.refresh.cache_key). Without a
migration the key change alone would make every such result stale. For each result file this rewrites
`cache_key` from the old key to the new one when all of these hold, and leaves the file alone otherwise:

- the result is a size or latency result (accuracy of these families needs a checkpoint, and none was
  committed) measured with fixed-seed random weights, as its settings say;
- its key is the old key computed now, with the source hash of the last source-keyed code pinned below
  (LEGACY_CODE, commit 02fa63f), the result's machine and this host's backend versions: so everything
  else the key covers (registry entry, method version, runtime versions, benchgen version) is unchanged;
- the variant's graph exported by today's code has the graph hash that the last source-keyed code's
  export had (LEGACY_GRAPHS, exported at 02fa63f): the graph that was measured is the graph the new key
  names. The bytes cannot be compared across machines (the weight values differ in the last bits
  between CPUs, see benchgen.measure.graph.graph_hash), the graph hash can.

Everything else in the file stays byte for byte. Run it once per results tree; a second run finds
nothing to do. It exports each variant whose export is not cached (minutes), like a refresh would.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from benchgen.errors import BenchgenError
from benchgen.measure.backends.discovery import backend_fingerprint
from benchgen.metrics import BACKENDS
from benchgen.paths import DEFAULT_RESULTS_DIR
from benchgen.refresh.cache_key import cache_key, model_material
from benchgen.registry import load_registry
from benchgen.registry.schema import Family, Variant
from benchgen.results.store import atomic_write_text, read_result

#: implementation -> benchgen.models.source_hash.implementation_source_hash at 02fa63f
LEGACY_CODE = {"damo-yolo": "430ba8b435332826", "rtdetrv2": "f4943fecab1d88e5", "dfine": "fcf7863d61e77ab6"}
LEGACY_GRAPHS_FILE = Path(__file__).with_name("legacy_graphs.json")
_RANDOM = re.compile(r"random \(seed (\d+)\)")


def legacy_material(family: Family, variant: Variant, seed: int) -> dict[str, Any]:
    """model_material as the last source-keyed code wrote it, for fixed-seed weights."""
    material = model_material(family, variant, None, seed)
    return {"family": material["family"], "variant": material["variant"], "export": material["export"],
            "implementation": family.implementation, "code": LEGACY_CODE[family.implementation],
            "weights": f"random-seed-{seed}"}


def migrate(root: Path, write: bool = True) -> dict[str, int]:
    registry = load_registry()
    legacy_graphs = json.loads(LEGACY_GRAPHS_FILE.read_text())
    kind_backend = {kind: backend for backend, spec in BACKENDS.items() for kind in spec.kinds}
    fingerprints: dict[str, dict] = {}
    materials: dict[tuple[str, int], tuple[dict, dict]] = {}
    counts = {"rewritten": 0, "already": 0, "other key": 0, "graph changed": 0, "not migrated": 0}
    for path in sorted(Path(root).rglob("*.json")):
        result = read_result(path)
        try:
            family, variant = registry.variant(result.variant)
        except KeyError:
            continue
        if family.implementation is None or family.builds(variant) is not None:
            continue
        seed_match = _RANDOM.fullmatch(str(result.settings.get("weights", "")))
        backend = kind_backend.get(result.kind)
        if result.kind == "accuracy" or not seed_match or backend is None or not result.cache_key:
            counts["not migrated"] += 1
            continue
        seed = int(seed_match.group(1))
        if backend not in fingerprints:
            fingerprints[backend] = backend_fingerprint(backend)
        if (variant.id, seed) not in materials:
            materials[(variant.id, seed)] = (legacy_material(family, variant, seed),
                                             model_material(family, variant, None, seed))
        old_model, new_model = materials[(variant.id, seed)]
        machine = result.provenance.machine.id
        new = cache_key(result.kind, new_model, fingerprints[backend], machine)
        if result.cache_key == new:
            counts["already"] += 1
            continue
        if result.cache_key != cache_key(result.kind, old_model, fingerprints[backend], machine):
            counts["other key"] += 1
            continue
        if legacy_graphs.get(variant.id) != new_model["graph"]:
            counts["graph changed"] += 1
            continue
        text = path.read_text(encoding="utf-8")
        old_field = f'"cache_key": "{result.cache_key}"'
        if text.count(old_field) != 1:
            raise BenchgenError(f"{path}: expected one {old_field}; not rewritten")
        if write:
            atomic_write_text(path, text.replace(old_field, f'"cache_key": "{new}"'))
        counts["rewritten"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchgen.refresh.migrate_keys", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS_DIR)
    parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
    args = parser.parse_args(argv)
    if not args.results.is_dir():
        print(f"--results {args.results}: not a directory; pass the results tree to migrate", file=sys.stderr)
        return 2
    try:
        counts = migrate(args.results, write=not args.dry_run)
    except BenchgenError as exc:
        print(f"benchgen: {exc}", file=sys.stderr)
        return 2
    print(", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
