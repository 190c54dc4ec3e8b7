"""`benchgen export`: write a variant's deploy model as ONNX."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from benchgen import library_output
from benchgen.atomic_files import reserve_temp_path
from benchgen.cli.options import seed_number, writable_file
from benchgen.cli.registry_args import add_registry_arguments, registry_from_args
from benchgen.errors import BenchgenError
from benchgen.models import implementation


def run(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    try:
        family, variant = registry.variant(args.variant)
    except KeyError as exc:
        raise BenchgenError(str(exc.args[0])) from None
    if family.reported_only:
        raise BenchgenError(f"{variant.id}: family {family.id} is reported only; benchgen has no implementation "
                            "of its architecture to export")
    if family.builds(variant) is not None:
        return _provider_export(args, family, variant)
    if variant.reported_only:
        raise BenchgenError(f"{variant.id}: listed with its published figures only (reported_only: true); "
                            "benchgen cannot build it")
    if family.implementation is None:
        raise BenchgenError(f"{variant.id} is a bring-your-own ONNX entry ({variant.onnx}); there is nothing to export")
    if args.weights is not None and not args.weights.is_file():
        raise BenchgenError(f"{args.weights}: weights file not found; pass the official .pth of {variant.id} "
                            f"(config {variant.config}) or omit --weights for fixed-seed random weights")
    writable_file(args.output, "--output")  # before seconds of export, not after
    module = implementation(family.implementation)
    source = f"weights {args.weights}" if args.weights else f"fixed-seed random weights (seed {args.seed})"
    with library_output.to_log(f"benchgen export {variant.id} ({source})") as captured:
        module.export_onnx(variant.id, args.output, weights=args.weights, seed=args.seed)
    said = captured.note()
    print(f"wrote {args.output} ({variant.name}, {source})" + (f"; {said}" if said else ""))
    return 0


def _provider_export(args: argparse.Namespace, family, variant) -> int:
    """A provider-built variant: the provider's (cached) export, copied to --output."""
    import shutil

    from benchgen.measure.graph.provider_export import provider_onnx

    from benchgen.registry.downloads import optional_variant_file

    if args.weights is not None and not args.weights.is_file():
        raise BenchgenError(f"--weights {args.weights}: not found; give {variant.id}'s release checkpoint, or fetch it "
                            f"with `benchgen fetch {variant.id}`")
    writable_file(args.output, "--output")
    weights = args.weights or optional_variant_file(variant)
    path, facts = provider_onnx(family, variant, args.seed, weights)
    tmp = reserve_temp_path(Path(args.output))  # its directory created; never half a file under the final name
    try:
        shutil.copyfile(path, tmp)
        os.replace(tmp, args.output)
    finally:
        tmp.unlink(missing_ok=True)
    package = " ".join(filter(None, [facts["provider"], (facts.get("versions") or {}).get(facts["provider"])]))
    what = f"weights {weights.name}" if weights else f"fixed-seed random weights (seed {args.seed})"
    print(f"wrote {args.output} ({variant.name}, built by {package} from {facts['config']}, {what})")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="export a variant's deploy model to ONNX",
        description="Build the architecture-exact model, load official weights (or fixed-seed random ones), "
                    "fuse it for deployment and write ONNX.")
    parser.add_argument("variant", help="variant id, e.g. damo-yolo-s or rtdetrv2-l")
    parser.add_argument("--weights", type=Path, default=None, help="official checkpoint (.pth)")
    parser.add_argument("--output", type=Path, required=True, help="ONNX file to write")
    parser.add_argument("--seed", type=seed_number, default=0, help="seed for random weights when --weights is absent")
    add_registry_arguments(parser)
    parser.set_defaults(func=run)
