"""Architecture providers, looked up by the registry's `build.provider` name.

Each built-in provider module defines one `ProviderSpec` (benchgen.providers.spec) as PROVIDER;
other distributions add theirs through the `benchgen.providers` entry-point group, declared in their
pyproject.toml as

    [project.entry-points."benchgen.providers"]
    my-package = "my_plugin.provider:PROVIDER"

Entry points are listed without importing them; a plugin is imported when a registry entry names it,
so a broken plugin fails only there, naming its package. A provider module must not import the
package it drives: benchgen's process never imports it (the Ultralytics provider runs it in its own
environment, see benchgen.providers.ultralytics).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from importlib.metadata import EntryPoint

from benchgen.errors import BenchgenError
from benchgen.plugins import group_entry_points, load_entry_point
from benchgen.providers.spec import ProviderSpec

GROUP = "benchgen.providers"
#: built-in providers: name -> module defining PROVIDER
PROVIDERS: dict[str, str] = {
    "ultralytics": "benchgen.providers.ultralytics",
}


def plugin_entry_points() -> dict[str, EntryPoint]:
    return group_entry_points(GROUP)


def known_providers() -> list[str]:
    return list(PROVIDERS) + sorted(n for n in plugin_entry_points() if n not in PROVIDERS)


def _load_plugin(point: EntryPoint) -> ProviderSpec:
    return load_entry_point(point, "provider", ProviderSpec, "PROVIDER")


@lru_cache(maxsize=None)
def get_provider(name: str) -> ProviderSpec:
    if name in PROVIDERS:
        return importlib.import_module(PROVIDERS[name]).PROVIDER
    points = plugin_entry_points()
    if name in points:
        return _load_plugin(points[name])
    raise BenchgenError(f"unknown provider {name!r}; known: {', '.join(known_providers())} (a package adds one "
                        f"through the {GROUP!r} entry-point group)")
