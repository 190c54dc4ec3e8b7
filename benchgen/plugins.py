"""Entry-point plugins (decoders, providers): listed without importing them, loaded one at a time.

Both groups follow the same contract, so it lives here once: a plugin is imported only when
something names it, and whatever goes wrong in its import, or an object of the wrong type behind
its name, fails in one line that names the plugin and the distribution it came from.
"""

from __future__ import annotations

import types
from importlib.metadata import EntryPoint, entry_points
from typing import TypeVar

from benchgen.errors import BenchgenError

T = TypeVar("T")


def group_entry_points(group: str) -> dict[str, EntryPoint]:
    """The group's entry points by name; the first distribution to declare a name wins."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=group):
        found.setdefault(point.name, point)
    return found


def origin(point: EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return f"{point.value} (from {dist.name} {dist.version})" if dist is not None else point.value


def load_entry_point(point: EntryPoint, kind: str, spec_type: type[T], module_attribute: str) -> T:
    """Import `point` and return the `spec_type` behind it (or a module's `module_attribute`)."""
    try:
        loaded = point.load()
    except Exception as exc:  # noqa: BLE001 - any import failure of foreign code is the plugin's, say whose
        raise BenchgenError(f"{kind} plugin {point.name!r} = {origin(point)} failed to import: "
                            f"{type(exc).__name__}: {exc}") from None
    if isinstance(loaded, types.ModuleType):
        loaded = getattr(loaded, module_attribute, None)
    if not isinstance(loaded, spec_type):
        raise BenchgenError(f"{kind} plugin {point.name!r} = {origin(point)} is not a "
                            f"{spec_type.__module__}.{spec_type.__qualname__} (nor a module with one named "
                            f"{module_attribute})")
    return loaded
