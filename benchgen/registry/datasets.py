"""The evaluation datasets benchgen can fetch: one typed definition, read from datasets.yaml.

A dataset is either official archives (COCO's zips, extracted into the data directory) or a
selection that only mirrors hold, checked by a manifest of per-file checksums. Its id is what
`--dataset` takes; its `images` count is what a complete copy holds, so a half-extracted or
truncated copy is never mistaken for the set.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from benchgen.errors import BenchgenError, RegistryError
from benchgen.registry.schema import FileSource, RelativePath, _Strict
from benchgen.schema_errors import one_line

DATASETS_FILE = Path(__file__).with_name("datasets.yaml")


class Archive(FileSource):
    members: list[str] | None = Field(default=None, description="the archive members to extract (default: all)")


class Manifest(_Strict):
    path: RelativePath = Field(description="a sha256sum-format list of the dataset's files, relative to its directory")
    source: str = Field(min_length=1, description="where the selection comes from")


class Dataset(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    images: int = Field(gt=0)
    split: str = Field(pattern=r"^[a-z0-9]+$")
    path: RelativePath
    default: bool = False
    archives: list[Archive] = Field(default_factory=list)
    manifest: Manifest | None = None

    @model_validator(mode="after")
    def _one_source(self) -> "Dataset":
        if bool(self.archives) == bool(self.manifest):
            raise ValueError("give either archives (official downloads) or a manifest (a mirror-only selection)")
        return self

    @property
    def annotations(self) -> str:
        return f"{self.path}/annotations/instances_{self.split}.json"


class Datasets(BaseModel):
    datasets: list[Dataset]


@lru_cache(maxsize=1)
def load_datasets(path: Path = DATASETS_FILE) -> tuple[Dataset, ...]:
    try:
        return tuple(Datasets.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))).datasets)
    except ValidationError as exc:
        raise RegistryError(one_line(exc, path, Datasets, "correct the value in the file")) from None


def dataset(dataset_id: str) -> Dataset:
    for entry in load_datasets():
        if entry.id == dataset_id:
            return entry
    known = ", ".join(d.id for d in load_datasets())
    raise BenchgenError(f"--dataset {dataset_id}: not a dataset benchgen knows; known: {known}")


def default_dataset() -> Dataset:
    return next(d for d in load_datasets() if d.default)
