"""`benchgen sources`: list published figures whose sources disagree."""

from __future__ import annotations

import argparse
import json

from benchgen.cli.registry_args import add_registry_arguments, registry_from_args
from benchgen.metrics import METRICS
from benchgen.registry.discrepancies import registry_discrepancies
from benchgen.render.table_view import describe_reported


def run(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    found = registry_discrepancies(registry)
    if args.json:
        print(json.dumps([{"family": family.id, "variant": variant.id, "metric": d.metric, "summary": d.describe(),
                           "values": [v.model_dump(mode="json") for v in d.values]}
                          for family, variant, d in found], indent=2))
        return 0
    if not found:
        print("no disagreements between reported sources")
        return 0
    tolerances = ", ".join(f"{m} {'±' if k == 'absolute' else ''}{t:g}{'' if k == 'absolute' else ' relative'}"
                           for m, (k, t) in ((m.id, m.source_tolerance) for m in METRICS.values()))
    print(f"{len(found)} reported figures whose sources disagree (tolerances: {tolerances}):")
    for _family, variant, discrepancy in found:
        print(f"\n{variant.id} {discrepancy.metric}: {discrepancy.describe().split(':', 1)[0]}")
        for value in discrepancy.values:
            marker = value.source_kind
            print(f"  {value.value:>8g}  [{marker}] {describe_reported(value)} <{value.source}>")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sources", help="list reported figures whose published sources disagree",
        description="List every registry figure with several reported values that differ by more than the "
                    "tolerance (latency and sizes 5 % relative, mAP 0.2 AP), with each source.")
    add_registry_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the disagreements as JSON")
    parser.set_defaults(func=run)
