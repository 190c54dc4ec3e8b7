"""Registry-load checks of provider builds: the provider exists and accepts the entry's arguments.

A misspelt provider or export argument would otherwise surface minutes into a refresh, as a failed
export; here it is one message naming the registry file when the registry loads. Only the
provider's spec is imported (never the package it drives), so the check costs nothing measurable.
"""

from __future__ import annotations

from pathlib import Path

from benchgen.errors import BenchgenError, RegistryError
from benchgen.registry.schema import Family


def check_family_builds(family: Family, source: Path) -> None:
    builds = [(v, family.builds(v)) for v in family.variants]
    builds = [(v, b) for v, b in builds if b is not None]
    if not builds:
        return
    from benchgen.providers import get_provider

    for variant, build in builds:
        try:
            spec = get_provider(build.provider)
            problem = spec.problem(build.options, build.export, variant.input_size)
        except BenchgenError as exc:
            raise RegistryError(f"{source}: variant {variant.id}: {exc}") from None
        if problem:
            raise RegistryError(f"{source}: variant {variant.id}: {problem}")
