"""Read and validate the registry YAML files (one file per family)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from benchgen.errors import RegistryError
from benchgen.registry.decoder_check import check_family_decoders
from benchgen.registry.provider_check import check_family_builds
from benchgen.registry.schema import Family, Registry, pair_slug, slug_collision
from benchgen.schema_errors import one_line

DEFAULT_REGISTRY_DIR = Path(__file__).parent / "data"


class _DuplicateKey(yaml.YAMLError):
    pass


class _UniqueKeys:
    """safe_load, except that a key given twice is an error: silently keeping the last one hides edits."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise _DuplicateKey(f"line {key_node.start_mark.line + 1}: key {key!r} appears twice in one mapping "
                                    f"(first on line {seen[key].line + 1}); keep one")
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class _UniqueKeyLoader(_UniqueKeys, yaml.SafeLoader):
    pass


if getattr(yaml, "__with_libyaml__", False):
    class _FastUniqueKeyLoader(_UniqueKeys, yaml.CSafeLoader):
        """The same loader on libyaml's parser: five times faster on a registry of fifty families."""
else:
    _FastUniqueKeyLoader = None


def _parse(text: str):
    """The YAML document in `text`. A file libyaml rejects is parsed again by PyYAML, whose error
    messages quote the offending line, so a broken file is reported the same either way."""
    if _FastUniqueKeyLoader is not None:
        try:
            return yaml.load(text, Loader=_FastUniqueKeyLoader)  # noqa: S506 - a SafeLoader
        except yaml.YAMLError:
            pass
    return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader


def load_family(path: Path) -> Family:
    try:
        raw = _parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{path}: registry file not found") from None
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                            "save the file as UTF-8") from None
    except _DuplicateKey as exc:
        raise RegistryError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(raw, dict):
        raise RegistryError(f"{path}: expected a mapping with the family's keys (id, name, variants, ...)")
    try:
        return Family.model_validate(raw)
    except ValidationError as exc:
        raise RegistryError(one_line(exc, path, Family, "correct the value in the file")) from None


#: directories of extra registry files, os.pathsep-separated, added to the built-in registry
REGISTRY_ENV = "BENCHGEN_REGISTRY"


def registry_dirs(extra: list[Path] | None = None, builtin: bool = True) -> list[Path]:
    """Built-in registry (unless `builtin` is off), then $BENCHGEN_REGISTRY's directories, then `extra`."""
    env = [Path(p) for p in os.environ.get(REGISTRY_ENV, "").split(os.pathsep) if p.strip()]
    dirs = ([DEFAULT_REGISTRY_DIR] if builtin else []) + env + [Path(p) for p in extra or []]
    if not dirs:
        raise RegistryError("no registry: --no-builtin leaves only --registry DIR and $BENCHGEN_REGISTRY, and "
                            "neither names a directory")
    return list(dict.fromkeys(dirs))


def load_registries(extra: list[Path] | None = None, builtin: bool = True) -> Registry:
    """What every CLI verb uses: your directories *added to* the built-in registry."""
    return load_registry(registry_dirs(extra, builtin))


def load_registry(directory: Path | list[Path] | None = None) -> Registry:
    """One directory (exactly its files), several (all of their files), or the built-in one."""
    directories = [Path(d) for d in directory] if isinstance(directory, (list, tuple)) else \
        [Path(directory) if directory else DEFAULT_REGISTRY_DIR]
    files = []
    for folder in directories:
        if not folder.is_dir():
            raise RegistryError(f"{folder}: registry directory not found")
        found = sorted(folder.glob("*.yaml"))
        if not found:
            raise RegistryError(f"{folder}: no registry files (*.yaml) found")
        files.extend(found)
    families: list[Family] = []
    sources: dict[str, str] = {}
    seen_variants: dict[str, Path] = {}
    for path in files:
        family = load_family(path)
        if family.id in sources:
            raise RegistryError(f"{path}: family id {family.id!r} is already defined in {sources[family.id]}")
        for variant in family.variants:
            if variant.id in seen_variants:
                raise RegistryError(
                    f"{path}: variant id {variant.id!r} is already defined in {seen_variants[variant.id]}"
                )
            seen_variants[variant.id] = path
        check_family_decoders(family, path)
        check_family_builds(family, path)
        families.append(family)
        sources[family.id] = str(path)
    collision = slug_collision(families)
    if collision:
        (a, b), (c, d) = collision
        raise RegistryError(f"{sources[d.id]}: families {c.id} and {d.id} would get the compare page "
                            f"compare/{pair_slug(c, d)}.md, which is already that of {a.id} and {b.id} "
                            f"({sources[a.id]}, {sources[b.id]}); rename one family id so that no two pairs join "
                            "into the same '<id>-vs-<id>' page name")
    return Registry(families=families, sources=sources)
