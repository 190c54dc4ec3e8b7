"""Where fetched files live (the data directory) and where copies of them may be found (mirrors).

The data directory is the platform's user cache directory (platformdirs), because weights and COCO
are large, shared by every checkout of a user and safe to delete; BENCHGEN_DATA_DIR moves it (CI
caches it, tests point it at a temporary directory). A mirror is a directory or an http(s) base URL
holding each file at the registry's relative path; ../shared/ beside the project root keeps that
layout, so it is a mirror whenever it is there.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from benchgen.errors import BenchgenError
from benchgen.paths import project_root

DATA_ENV = "BENCHGEN_DATA_DIR"
MIRROR_ENV = "BENCHGEN_MIRROR"


def data_dir() -> Path:
    env = os.environ.get(DATA_ENV)
    return Path(env).expanduser().resolve() if env else Path(platformdirs.user_cache_dir("benchgen"))


def shared_dir() -> Path:
    """../shared/ of the project root (BENCHGEN_ROOT moves the root, and with it this mirror)."""
    return (project_root() / ".." / "shared").resolve()


@dataclass(frozen=True)
class Mirror:
    base: str  # a directory path, or an http(s) URL ending in "/"
    where: str  # what named it: --mirror, BENCHGEN_MIRROR or ../shared

    @property
    def is_http(self) -> bool:
        return self.base.startswith(("http://", "https://"))

    def locate(self, relative: str) -> str:
        return self.base + relative if self.is_http else str(Path(self.base) / relative)

    def local_file(self, relative: str) -> Path | None:
        """The mirror's copy, where the mirror is a directory and holds it."""
        if self.is_http:
            return None
        path = Path(self.base) / relative
        return path if path.is_file() else None


def parse_mirror(value: str, where: str) -> Mirror:
    value = value.strip()
    if re.match(r"^https?://[^/\s]+", value):
        return Mirror(value if value.endswith("/") else value + "/", where)
    if "://" in value:
        raise BenchgenError(f"{where} {value}: only http(s) URLs and directories can be mirrors; give "
                            "http://HOST[:PORT]/PATH/ or a directory holding the registry's relative paths")
    path = Path(value).expanduser()
    if not path.is_dir():
        raise BenchgenError(f"{where} {value}: not a directory (a mirror is a directory or an http(s) URL holding "
                            "each file at the registry's relative path, e.g. models/yolox-nano/yolox_nano.onnx)")
    return Mirror(str(path.resolve()), where)


#: the --mirror values of this command line (set once by the CLI, before any file is looked up)
_GIVEN: list[str] = []


def use_mirrors(given: list[str] | None) -> None:
    """Check the command line's --mirror values (one line on a bad one) and use them from now on."""
    for value in given or []:
        parse_mirror(value, "--mirror")
    _GIVEN[:] = list(given or [])


def mirrors(given: list[str] | None = None) -> list[Mirror]:
    """--mirror values in order, then $BENCHGEN_MIRROR's (separated by spaces), then ../shared/ if present."""
    found = [parse_mirror(value, "--mirror") for value in (given if given is not None else _GIVEN)]
    found += [parse_mirror(value, MIRROR_ENV) for value in os.environ.get(MIRROR_ENV, "").split()]
    shared = shared_dir()
    if shared.is_dir():
        found.append(Mirror(str(shared), "../shared"))
    unique: dict[str, Mirror] = {}
    for mirror in found:
        unique.setdefault(mirror.base, mirror)  # first mention wins, order kept
    return list(unique.values())
