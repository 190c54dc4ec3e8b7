"""Decoders from other distributions, through the `benchgen.decoders` entry-point group.

A package adds a format without editing benchgen by declaring, in its pyproject.toml,

    [project.entry-points."benchgen.decoders"]
    my-format = "my_package.decoder:DECODER"

where DECODER is a `benchgen.decoders.spec.DecoderSpec` (or a module that has one as DECODER).
Entry points are listed without importing them; a plugin is imported when a registry entry names
it or `decoder: auto` asks every decoder, so a broken plugin fails only there, naming its package.
"""

from __future__ import annotations

import types
from importlib.metadata import EntryPoint, entry_points

from benchgen.decoders.spec import DecoderSpec
from benchgen.errors import BenchgenError

GROUP = "benchgen.decoders"


def plugin_entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=GROUP):
        found.setdefault(point.name, point)
    return found


def _origin(point: EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return f"{point.value} (from {dist.name} {dist.version})" if dist is not None else point.value


def load_plugin(point: EntryPoint) -> DecoderSpec:
    try:
        loaded = point.load()
    except Exception as exc:  # noqa: BLE001 - any import failure of foreign code is the plugin's, say whose
        raise BenchgenError(f"decoder plugin {point.name!r} = {_origin(point)} failed to import: "
                            f"{type(exc).__name__}: {exc}") from None
    if isinstance(loaded, types.ModuleType):
        loaded = getattr(loaded, "DECODER", None)
    if not isinstance(loaded, DecoderSpec):
        raise BenchgenError(f"decoder plugin {point.name!r} = {_origin(point)} is not a "
                            "benchgen.decoders.spec.DecoderSpec (nor a module with one named DECODER)")
    if loaded.name != point.name:
        loaded = DecoderSpec(point.name, *(getattr(loaded, f) for f in
                                           ("summary", "convention", "build", "options", "check", "recognise")))
    return loaded
