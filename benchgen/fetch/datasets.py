"""Evaluation datasets in the data directory: found locally without a connection, or fetched.

A dataset counts as present only when complete: fetched and verified into the data directory
(marked by a small file written last), or, for a manifest dataset, a directory mirror holding every
file with the manifest's checksum (../shared/ is used in place that way).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from benchgen.fetch.files import FetchError, Wanted, fetch, local_copy, sha256_of
from benchgen.fetch.locations import Mirror, data_dir

if TYPE_CHECKING:  # the registry's dataset entry, read here by its fields: fetch sits below the registry
    from benchgen.registry.datasets import Dataset

MARK = ".benchgen-complete.json"


def parse_manifest(text: str, where: str) -> dict[str, str]:
    """relative path -> sha256 from a sha256sum listing."""
    entries = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.strip().partition("  ")
        name = name.lstrip("*")
        if len(digest) != 64 or not name or name.startswith(("/", ".")) or "/../" in f"/{name}/":
            raise FetchError(f"{where}: line {number} is not '<sha256>  <relative path>'")
        entries[name] = digest
    return entries


def _manifest_wanted(ds: Dataset) -> Wanted:
    return Wanted(path=ds.manifest.path, url=None, read_from=ds.manifest.source, label=f"--dataset {ds.id}")


def _complete(root: Path, ds: Dataset) -> bool:
    images = root / ds.split
    return (root / "annotations" / f"instances_{ds.split}.json").is_file() and images.is_dir() and \
        sum(1 for p in images.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")) == ds.images


def local_dataset(ds: Dataset, mirrors: list[Mirror]) -> Path | None:
    """The dataset's root directory, if a complete, verified copy is here. Opens no connection."""
    root = data_dir() / ds.path
    if (root / MARK).is_file() and _complete(root, ds):
        return root
    if ds.manifest is None:
        return None
    manifest = local_copy(_manifest_wanted(ds), [m for m in mirrors if not m.is_http])
    if manifest is None:
        return None
    base = manifest.parent
    for name, digest in parse_manifest(manifest.read_text(), str(manifest)).items():
        path = base / name
        if not path.is_file() or sha256_of(path) != digest:
            return None
    return base if _complete(base, ds) else None


def fetch_dataset(ds: Dataset, mirrors: list[Mirror], network: bool = True, progress: bool = True) -> Path:
    """The dataset complete in the data directory (mirrors first, then the official archives)."""
    root = data_dir() / ds.path
    if (root / MARK).is_file() and _complete(root, ds):
        return root
    if ds.manifest is not None:
        manifest = fetch(_manifest_wanted(ds), mirrors, network, progress)
        base = str(Path(ds.manifest.path).parent)
        for name, digest in parse_manifest(manifest.read_text(), str(manifest)).items():
            fetch(Wanted(path=f"{base}/{name}", url=None, read_from=f"{ds.manifest.path} (verified)",
                         label=f"--dataset {ds.id}", sha256=digest), mirrors, network, progress=False)
    else:
        for archive in ds.archives:
            wanted = Wanted(path=archive.path, url=str(archive.url), read_from=archive.read_from,
                            label=f"--dataset {ds.id}", size=archive.size, sha256=archive.sha256)
            zipped = fetch(wanted, mirrors, network, progress)
            _extract(zipped, root, archive.members)
    if not _complete(root, ds):
        raise FetchError(f"{root}: dataset {ds.id} is incomplete after fetching (expected {ds.images} images in "
                         f"{ds.split}/ and {ds.annotations}); remove the directory and fetch again")
    (root / MARK).write_text(json.dumps({"dataset": ds.id, "images": ds.images}) + "\n")
    return root


def _extract(archive: Path, root: Path, members: list[str] | None) -> None:
    """Extract into a hidden directory beside `root`, then move each top-level entry into place."""
    staging = root.parent / f".{root.name}.extracting-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    print(f"benchgen: extracting {archive.name}", file=sys.stderr, flush=True)
    try:
        with zipfile.ZipFile(archive) as zipped:
            names = members or [n for n in zipped.namelist() if not n.endswith("/")]
            for name in names:
                if name.startswith("/") or ".." in Path(name).parts:
                    raise FetchError(f"{archive}: member {name!r} would leave the dataset directory; refused")
                zipped.extract(name, staging)
        root.mkdir(parents=True, exist_ok=True)
        for entry in staging.rglob("*"):
            if entry.is_file():
                target = root / entry.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(entry, target)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise FetchError(f"{archive}: not a readable zip archive ({exc}); remove it and fetch again") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    archive.unlink()  # extracted and checked: the data directory keeps the dataset, not the archive twice


def describe_missing(ds: Dataset) -> str:
    return f"dataset {ds.id} ({ds.images} images)"

