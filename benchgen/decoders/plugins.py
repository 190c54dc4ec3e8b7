"""Decoders from other distributions, through the `benchgen.decoders` entry-point group.

A package adds a format without editing benchgen by declaring, in its pyproject.toml,

    [project.entry-points."benchgen.decoders"]
    my-format = "my_package.decoder:DECODER"

where DECODER is a `benchgen.decoders.spec.DecoderSpec` (or a module that has one as DECODER).
Entry points are listed without importing them; a plugin is imported when a registry entry names
it or `decoder: auto` asks every decoder, so a broken plugin fails only there, naming its package.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint

from benchgen.decoders.spec import DecoderSpec
from benchgen.plugins import group_entry_points, load_entry_point

GROUP = "benchgen.decoders"


def plugin_entry_points() -> dict[str, EntryPoint]:
    return group_entry_points(GROUP)


def load_plugin(point: EntryPoint) -> DecoderSpec:
    loaded = load_entry_point(point, "decoder", DecoderSpec, "DECODER")
    if loaded.name != point.name:
        loaded = DecoderSpec(point.name, *(getattr(loaded, f) for f in
                                           ("summary", "convention", "build", "options", "check", "recognise",
                                                            "option_types")))
    return loaded
