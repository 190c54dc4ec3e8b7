"""The registry's fetchable files, by variant: what `benchgen fetch ID` gets and measuring reads.

A variant's `download` is its trained file: the ONNX file of a bring-your-own entry (measured as it
is) or the release checkpoint of a provider build (the provider builds the trained model from it).
Measuring only ever reads a local copy (`local_variant_file`): the data directory's, or a directory
mirror's used in place, each checked against the accepted checksums.
"""

from __future__ import annotations

from pathlib import Path

from benchgen.errors import BenchgenError
from benchgen.fetch.files import MissingFile, Wanted, local_copy
from benchgen.fetch.locations import mirrors
from benchgen.registry.schema import Family, Registry, Variant


def variant_wanted(variant: Variant) -> Wanted | None:
    source = variant.download
    if source is None:
        return None
    return Wanted(path=source.path, url=str(source.url) if source.url else None, read_from=source.read_from,
                  label=variant.id,
                  size=source.size, sha256=source.sha256)


def local_variant_file(variant: Variant) -> Path:
    """The variant's fetched file here, or MissingFile (refresh groups those into one line)."""
    wanted = variant_wanted(variant)
    if wanted is None:
        raise BenchgenError(f"{variant.id}: the registry gives no download for it")
    path = local_copy(wanted, mirrors())
    if path is None:
        raise MissingFile(wanted)
    return path


def optional_variant_file(variant: Variant) -> Path | None:
    """A provider build's checkpoint if it is here; None means: build with fixed-seed weights."""
    if variant.download is None:
        return None
    try:
        return local_variant_file(variant)
    except MissingFile:
        return None


def selected(registry: Registry, ids: list[str], everything: bool) -> list[tuple[Family, Variant]]:
    """Variants with a download: all of them, or those of the named families and variants."""
    fetchable = [(f, v) for f, v in registry.variants() if v.download is not None]
    if everything:
        return fetchable
    known = {f.id for f, _ in fetchable} | {v.id for _, v in fetchable}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise BenchgenError(f"{', '.join(unknown)}: no variant or family with a fetchable file; those with one: "
                            f"{', '.join(sorted({f.id for f, _ in fetchable}))} and their variants (see benchgen list)")
    return [(f, v) for f, v in fetchable if f.id in ids or v.id in ids]
