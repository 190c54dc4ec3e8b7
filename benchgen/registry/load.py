"""Read and validate the registry YAML files (one file per family)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from benchgen.errors import RegistryError
from benchgen.registry.schema import Family, Registry

DEFAULT_REGISTRY_DIR = Path(__file__).parent / "data"


def _location(loc: tuple) -> str:
    """pydantic's ('variants', 2, 'reported') -> 'variants[2].reported', the way a YAML reader thinks."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top level>"


class _DuplicateKey(yaml.YAMLError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
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


def load_family(path: Path) -> Family:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
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
        problems = "\n".join(
            f"  {_location(err['loc'])}: {err['msg']}" + (f" (got {err['input']!r})" if _short(err) else "")
            for err in exc.errors()
        )
        raise RegistryError(f"{path}: invalid registry entry\n{problems}") from None


def _short(err: dict) -> bool:
    value = err.get("input")
    return isinstance(value, (str, int, float)) and len(repr(value)) < 80 and err["type"] != "missing"


def load_registry(directory: Path | None = None) -> Registry:
    directory = Path(directory) if directory else DEFAULT_REGISTRY_DIR
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise RegistryError(f"{directory}: no registry files (*.yaml) found")
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
        families.append(family)
        sources[family.id] = str(path)
    return Registry(families=families, sources=sources)
