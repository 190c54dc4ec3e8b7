"""`benchgen list`: what the registry holds, how each variant is decoded, what is measured where.

The first thing a user adding a model wants to see is whether benchgen understood it: which
decoder `auto` chose, and which measurements exist on which machine. `--json` gives the same
for scripts; `--decoders` lists the formats (built-in and plugins) with their conventions.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchgen.cli.registry_args import add_registry_arguments, registry_from_args
from benchgen.errors import BenchgenError
from benchgen.registry.schema import Family, Registry, Variant
from benchgen.results.figures import figures_record
from benchgen.results.schema import Result
from benchgen.results.store import DEFAULT_RESULTS_DIR, load_results


def decoder_of(family: Family, variant: Variant) -> str:
    """`implementation X` for families benchgen exports; the decoder (auto resolved where the file exists)."""
    if family.implementation is not None:
        return f"implementation {family.implementation}"
    if family.reported_only or variant.reported_only:
        return "reported only (not measured)"
    build = family.builds(variant)
    if build is not None:
        return f"provider {build.provider} ({build.config})"
    from benchgen.decoders.resolve import resolve_name
    from benchgen.registry.decoder_check import variant_onnx_if_present

    decoding = family.decoding(variant)
    path = variant_onnx_if_present(variant)
    try:
        name = resolve_name(decoding["decoder"], path, variant.input_size, f"variant {variant.id}") \
            if path is not None or decoding["decoder"] != "auto" else None
    except BenchgenError as exc:
        return f"{decoding['decoder']} (unresolved: {str(exc).split(': ', 1)[-1][:80]})"
    if name is None:
        return "auto (ONNX file not present)"
    return f"{name} (auto)" if decoding["decoder"] == "auto" else name


def measured(results: list[Result], variant_id: str) -> dict[str, dict[str, str]]:
    """machine id -> kind -> date of the latest successful result."""
    table: dict[str, dict[str, str]] = {}
    for result in results:
        if result.variant == variant_id and result.status == "ok":
            table.setdefault(result.provenance.machine.id, {})[result.kind] = \
                result.provenance.date.strftime("%Y-%m-%d")
    return {machine: dict(sorted(kinds.items())) for machine, kinds in sorted(table.items())}


def figures(results: list[Result], variant_id: str) -> dict[str, dict]:
    """machine id -> the figures beside the headline of its latest successful result of each kind
    (tails, peak memory, end-to-end split: benchgen.metrics.FIGURES), each a value or why it is missing."""
    table: dict[str, dict] = {}
    for result in results:  # oldest first: the latest overwrites
        if result.variant == variant_id and result.status == "ok":
            record = figures_record(result)
            if record:
                table.setdefault(result.provenance.machine.id, {}).update(record)
    return dict(sorted(table.items()))


def listing(registry: Registry, results: list[Result]) -> list[dict]:
    rows = []
    for family in registry.families:
        for variant in family.variants:
            rows.append({"family": family.id, "family_name": family.name, "variant": variant.id,
                         "name": variant.name, "input_size": variant.input_size, "onnx": variant.onnx_file,
                         "reported_only": family.reported_only or variant.reported_only,
                         "decoder": decoder_of(family, variant), "registry_file": registry.sources.get(family.id),
                         "measured": measured(results, variant.id), "figures": figures(results, variant.id)})
    return rows


def decoders_listing() -> list[dict]:
    from benchgen.decoders import all_decoders

    return [{"name": spec.name, "summary": spec.summary, "options": spec.options,
             "preprocess": {k.removeprefix("pre_"): v for k, v in spec.convention.settings().items()}}
            for spec in all_decoders()]


def run(args: argparse.Namespace) -> int:
    if args.decoders:
        rows = decoders_listing()
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        for row in rows:
            pre = ", ".join(f"{k} {v}" for k, v in row["preprocess"].items())
            print(f"{row['name']:<20} {row['summary']}\n{'':<20} preprocess: {pre}\n{'':<20} options: "
                  + ", ".join(f"{k}={v}" for k, v in row["options"].items()))
        return 0
    rows = listing(registry_from_args(args), load_results(args.results))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    family = None
    for row in rows:
        if row["family"] != family:
            family = row["family"]
            print(f"{row['family_name']} ({family})  [{row['registry_file']}]")
        where = "; ".join(f"{m}: {', '.join(kinds)}" for m, kinds in row["measured"].items()) or (
            "published figures only" if row["reported_only"] else "not measured yet")
        print(f"  {row['variant']:<22} {row['input_size']:>5} px  {row['decoder']:<32} {where}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "list", help="families, variants, their decoder and what is measured on which machine",
        description="List every registry variant with its input size, how its outputs are decoded (the format "
                    "decoder auto recognised) and the measurements on record per machine.")
    add_registry_arguments(parser)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS_DIR,
                        help="results directory (default: %(default)s)")
    parser.add_argument("--decoders", action="store_true", help="list the decoders (built-in and plugins) instead")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run)
