"""`benchgen fetch`: trained weights and datasets into the data directory, verified.

This and `benchgen refresh --fetch` are the only commands that open a connection; everything else
reads what is already here (the data directory, or a directory mirror such as ../shared/ in place).
"""

from __future__ import annotations

import argparse

from benchgen.cli.registry_args import add_registry_arguments, registry_from_args
from benchgen.errors import BenchgenError
from benchgen.fetch.datasets import fetch_dataset
from benchgen.fetch.files import fetch
from benchgen.fetch.locations import MIRROR_ENV, mirrors, use_mirrors
from benchgen.registry.downloads import selected, variant_wanted
from benchgen.registry.datasets import dataset


def add_mirror_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mirror", action="append", default=None, metavar="URL|DIR",
                        help="a directory or http(s) base URL holding files at the registry's relative paths "
                             f"(repeatable; tried in order before the official URL; also ${MIRROR_ENV}, "
                             "space-separated; ../shared/ beside the project is one when present)")


def run(args: argparse.Namespace) -> int:
    use_mirrors(args.mirror)
    if not args.ids and not args.all and not args.dataset:
        raise BenchgenError("benchgen fetch: name what to fetch: variant or family ids, --all, or --dataset ID")
    chosen = [dataset(name) for name in args.dataset or []]  # unknown names fail before any transfer
    registry = registry_from_args(args)
    variants = selected(registry, args.ids, args.all) if (args.ids or args.all) else []
    where = mirrors()
    for _, variant in variants:
        path = fetch(variant_wanted(variant), where, network=True)
        print(f"{variant.id}: {path}")
    for entry in chosen:
        root = fetch_dataset(entry, where, network=True)
        print(f"{entry.id}: {root} ({entry.images} images)")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "fetch", help="download trained weights and datasets into the data directory",
        description="Fetch each named variant's trained file (its ONNX file, or the release checkpoint a provider "
                    "builds from) and each --dataset into the data directory (the user cache directory, or "
                    "$BENCHGEN_DATA_DIR), from the mirrors first, then the official URL. Every file is verified "
                    "against the checksum its source publishes or the lock file records (results/fetch-lock.json: "
                    "the first download from an official URL that publishes none is recorded there, trust on "
                    "first use); a partial or refused file never stays under its final name.")
    parser.add_argument("ids", nargs="*", metavar="ID", help="variant or family ids (see benchgen list)")
    parser.add_argument("--all", action="store_true", help="every variant the registry gives a download")
    parser.add_argument("--dataset", action="append", metavar="ID",
                        help="an evaluation dataset: coco-val2017-tiny80 (mirrors only) or coco-val2017 (repeatable)")
    add_mirror_argument(parser)
    add_registry_arguments(parser)
    parser.set_defaults(func=run)


