"""Registry-load checks of bring-your-own entries: decoder names, options, and `auto` ambiguity.

A wrong decoder name or option used to surface as a traceback in the middle of a refresh; checked
here, it is one message naming the registry file when the registry loads. Where the ONNX file is
already present, `decoder: auto` is resolved now too, so a file whose format is ambiguous fails at
load with the candidates; a file that only appears later is checked when it is first used.
"""

from __future__ import annotations

from pathlib import Path

from benchgen.errors import BenchgenError, RegistryError
from benchgen.registry.schema import Family


def onnx_path_if_present(value: str) -> Path | None:
    from benchgen.paths import project_root

    path = Path(value)
    resolved = path if path.is_absolute() else (project_root() / path).resolve()
    return resolved if resolved.is_file() else None


def variant_onnx_if_present(variant) -> Path | None:
    """The variant's ONNX file where it is here: its onnx path, or a fetched file's verified local copy."""
    if variant.onnx:
        return onnx_path_if_present(variant.onnx)
    if variant.onnx_file is None:
        return None
    from benchgen.errors import BenchgenError
    from benchgen.registry.downloads import local_variant_file

    try:
        return local_variant_file(variant)
    except BenchgenError:
        return None  # not here, or not accepted: measuring it says so


def check_family_decoders(family: Family, source: Path) -> None:
    if family.implementation is not None or family.reported_only:
        return
    from benchgen.decoders import AUTO, get_decoder
    from benchgen.decoders.resolve import detect_decoder
    from benchgen.decoders.onnx_info import read_onnx_info

    for variant in family.variants:
        if variant.reported_only:
            continue
        decoding = family.decoding(variant)
        where = f"variant {variant.id}"
        try:
            name = decoding["decoder"]
            if name == AUTO:
                # a provider-built variant's file exists only once exported: checked when first used
                path = variant_onnx_if_present(variant)
                if path is None:
                    continue  # checked when the file exists and is first used
                name = detect_decoder(read_onnx_info(path), variant.input_size, where)
            spec = get_decoder(name)
            unknown = spec.unknown_options(decoding["options"])
            if unknown:
                raise BenchgenError(f"decoder_options {', '.join(unknown)} of {where}: decoder {name!r} has no such "
                                    f"option; its options: {', '.join(sorted(spec.options)) or 'none'}")
            problem = spec.option_problem(decoding["options"])
            if problem:
                raise BenchgenError(f"decoder_options of {where}: {problem}")
        except BenchgenError as exc:
            raise RegistryError(f"{source}: {exc}") from None
