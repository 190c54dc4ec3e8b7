"""What an implementation family declares about itself, and how benchgen finds the families.

A family is a package under benchgen/models/ whose ``__init__`` sets ``FAMILY = ImplementationFamily(...)``
(plus its registry data). Everything the shared code needs of it is in that one object: the name the
registry's ``implementation`` uses, how its checkpoints look, the packages it is built on (their source
keys its export cache), and where its deploy module and builder are. Discovery is by package rather
than by entry point because a family is part of benchgen's source tree: dropping the package in is the
whole registration (an entry point would also need an edit of pyproject.toml and a reinstall). A
package outside the tree joins the same way, by being on ``benchgen.models.__path__`` (the fake family
of the tests does). The ``__init__`` must stay cheap (no torch import): refresh reads the declarations
of every family while planning; the package's own interface loads on first use (``lazy_interface``).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any, Callable


@dataclass(frozen=True)
class CheckpointSignature:
    """How a state dict of this family is recognised when given to another family."""

    name: str  #: the family's name in messages ("DAMO-YOLO")
    key_prefixes: tuple[str, ...]  #: its top-level module names, exactly
    #: keys only this family has: told apart from another family with the same top-level names
    signature_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImplementationFamily:
    name: str  #: the registry's `implementation` value
    checkpoint: CheckpointSignature
    #: "module:function" -> (variant, weights, seed, input size) -> (deploy module, example inputs on the CPU):
    #: what the PyTorch timing runs, the module the ONNX export traces
    deploy: str
    #: the module with the interface of benchgen.models (build_model, load_checkpoint, to_deploy, export_onnx,
    #: make_pipeline, VARIANTS); by default the family's package
    builder: str = ""
    #: other family packages (by package name) whose modules this one imports: their source keys its exports
    built_on: tuple[str, ...] = ()
    package: str = field(default="", compare=False)  #: filled in by discovery

    def deploy_function(self) -> Callable[..., tuple[Any, tuple]]:
        module, _, attribute = self.deploy.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def builder_module(self) -> ModuleType:
        return importlib.import_module(self.builder or self.package)


def lazy_interface(package: str, modules: dict[str, tuple[str, ...]]) -> tuple[Callable[[str], Any],
                                                                             Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` that import the names of `modules` (relative submodule ->
    names) on first use: its ``__init__`` then declares FAMILY without importing torch."""
    names = {name: module for module, exported in modules.items() for name in exported}

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(names[name], package), name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__


@lru_cache(maxsize=1)
def _discovered() -> tuple[ImplementationFamily, ...]:
    import benchgen.models as models

    found = []
    for info in sorted(pkgutil.iter_modules(models.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        package = f"{models.__name__}.{info.name}"
        try:
            declared = getattr(importlib.import_module(package), "FAMILY", None)
        except Exception as exc:  # noqa: BLE001 - a broken family package is named, not a traceback
            from benchgen.errors import BenchgenError

            raise BenchgenError(f"{package} ({info.module_finder.path}): the family package failed to import: "
                                f"{type(exc).__name__}: {exc}; fix its __init__ (it should only declare FAMILY)") from None
        if isinstance(declared, ImplementationFamily):
            found.append(ImplementationFamily(**{**declared.__dict__, "package": package}))
    return tuple(found)


def families() -> dict[str, ImplementationFamily]:
    """Every implementation family, by its registry name."""
    return {family.name: family for family in _discovered()}


def forget_families() -> None:
    """Discover again on the next call (a test that adds a package to benchgen.models.__path__)."""
    _discovered.cache_clear()
