"""The one typed definition of the model registry.

Registry files are hand-edited YAML, so every field is validated on load (unknown keys are
errors, not silently ignored) and the error names the file and the key path.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from benchgen.metrics import METRICS, reported_metrics
from benchgen.visible_text import describe, invisible

def implausible(metric: str, value: float) -> str | None:
    """Why `value` cannot be a `metric` figure, or None (the metric table's plausible range)."""
    return METRICS[metric].implausible(value)


def _shows_as_written(name: str) -> str:
    """A name is what links and headings show: one that displays as something else (a bidi
    override reverses the text after it) is refused, not silently cleaned."""
    hidden = invisible(name)
    if hidden:
        raise ValueError(f"contains {', '.join(map(describe, hidden))}, which displays differently from what it "
                         "is; remove it (a name is plain, visible text)")
    return name


#: a name shown on pages: family, variant and other-model names
DisplayName = Annotated[str, AfterValidator(_shows_as_written)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Preprocess(_Strict):
    """How an image becomes the network's input, as its exporter's evaluation does it.

    Every field left out takes the decoder's convention (Ultralytics: letterbox, centred, pad 114,
    RGB, 0-1; YOLOX: letterbox, top-left, pad 114, BGR, 0-255), so a registry entry states only
    where a model departs from the format it was exported in.
    """

    resize: Literal["letterbox", "stretch", "warp"] | None = Field(
        default=None, description="letterbox: keep the aspect ratio and pad; stretch: resize to the square input; "
                                  "warp: NanoDet's keep-ratio affine warp, centred at a sub-pixel offset")
    pad: Literal["center", "top-left"] | None = Field(default=None, description="where the letterboxed image sits")
    pad_value: int | None = Field(default=None, ge=0, le=255)
    channels: Literal["rgb", "bgr"] | None = None
    pixel_range: Literal["0-1", "0-255"] | None = Field(default=None, description="0-1: pixels divided by 255")
    mean: tuple[float, float, float] | None = Field(
        default=None, description="subtracted per channel (in the input's channel order and pixel range)")
    std: tuple[float, float, float] | None = Field(default=None, description="divides per channel, after mean")
    interpolation: Literal["linear", "cubic"] | None = Field(
        default=None, description="cv2 interpolation of the resize (PaddleDetection's interp 2 is cubic)")


#: class index -> COCO category id: the 80 contiguous indices of most exports, or ids already
ClassMap = Literal["coco80", "coco-ids"] | list[int]
DecoderOptionValue = float | int | str | bool


class _Decoding(_Strict):
    """Decoding settings a bring-your-own family gives once and a variant may override."""

    decoder: str | None = Field(default=None, description="post-processing kind; 'auto' (the default) recognises "
                                "the ONNX file's format; `benchgen list --decoders` names the others")
    preprocess: Preprocess | None = None
    class_map: ClassMap | None = Field(
        default=None, description="coco80 (index i -> i-th COCO id, the default), coco-ids (the output is the "
                                  "COCO category id), or the list of COCO ids by class index")
    decoder_options: dict[str, DecoderOptionValue] = Field(
        default_factory=dict, description="decoder settings such as score_threshold, nms_iou, activation")


BuildValue = float | int | str | bool


class Build(_Strict):
    """How an architecture provider (benchgen.providers) builds a variant from an official package.

    A family gives the provider and the arguments its variants share; a variant gives its config and
    any argument of its own (variant over family). The provider validates `options` and `export`.
    """

    provider: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*$",
                                 description="provider name: built-in or from the benchgen.providers entry points")
    config: str | None = Field(default=None, description="the provider's official config of the variant, "
                                                         "e.g. yolo11n.yaml")
    options: dict[str, BuildValue] = Field(
        default_factory=dict, description="how the provider builds the model (e.g. model: RTDETR)")
    export: dict[str, BuildValue] = Field(
        default_factory=dict, description="export arguments as the package documents them (e.g. end2end: true), "
                                          "over the provider's defaults")


#: a path relative to the data directory and to every mirror: segments that do not start with a dot
#: (so no "..", no hidden files), no leading slash, no backslash
RelativePath = Annotated[str, Field(pattern=r"^[A-Za-z0-9_+-][A-Za-z0-9._+-]*(?:/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$")]


class FileSource(_Strict):
    """Where a file benchgen fetches comes from: its official URL and the place that URL was read.

    `path` is where it lives in the data directory and in every mirror, so a mirror is any directory
    or web server holding the same layout. A checksum here is the source's own; a file whose source
    publishes none is checked against the lock file (trust on first use, benchgen.fetch.lock).
    """

    path: RelativePath = Field(description="relative path in the data directory and in every mirror")
    url: HttpUrl | None = Field(description="the official download URL; null for a file no official source "
                                             "publishes (an export made for benchgen): then mirrors only")
    read_from: str = Field(min_length=1, description="where the URL was read: repository, file and commit")
    size: int | None = Field(default=None, gt=0, description="bytes, where the source publishes them")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", description="published by the source")


class ReportedValue(_Strict):
    """A published figure and enough context to judge it (hardware, precision, what was timed)."""

    value: float
    source: HttpUrl
    source_name: str = Field(description="short name shown in footnotes, e.g. 'DAMO-YOLO README'")
    official: bool = Field(description="published by the model's authors (paper or official repo)")
    measured_by: str | None = Field(
        default=None, description="organisation that measured the figure independently (e.g. a public "
                                  "leaderboard): its own source kind, neither the authors' claim nor a copy of it")
    hardware: str | None = None
    precision: str | None = None
    batch: int | None = None
    includes_postprocess: bool | None = None
    dataset: str | None = Field(default=None, description="e.g. 'COCO val2017'")
    date: dt.date | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _independent_is_not_official(self) -> "ReportedValue":
        if self.measured_by is not None and self.official:
            raise ValueError("measured_by marks an independent measurement; it cannot also be official: true")
        return self

    @property
    def source_kind(self) -> Literal["official", "independent", "secondary"]:
        """official: the authors; independent: someone else ran the model; secondary: a copied table."""
        if self.official:
            return "official"
        return "independent" if self.measured_by else "secondary"


class PublishedModel(_Strict):
    """What every listed model has: an id, a name, an input size and its published figures."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: DisplayName
    input_size: int = Field(gt=0)
    reported: dict[str, list[ReportedValue]] = Field(
        default_factory=dict, description="published figures by metric (benchgen.metrics: the columns a source "
                                          "can report)")

    @field_validator("reported")
    @classmethod
    def _non_empty(cls, value: dict[str, list[ReportedValue]]) -> dict[str, list[ReportedValue]]:
        for metric, values in value.items():
            if metric not in reported_metrics():
                raise ValueError(f"reported.{metric}: not a metric a source can report; use one of "
                                 f"{', '.join(reported_metrics())}")
            if not values:
                raise ValueError(f"reported.{metric} is an empty list; remove it or add a value")
            for index, item in enumerate(values):
                problem = implausible(metric, item.value)
                if problem:
                    raise ValueError(f"reported.{metric}[{index}].value: {problem}; fix the figure or its unit")
        return value


class Variant(PublishedModel, _Decoding):
    """One model size of a family, as published: benchgen measures these."""

    scale: Literal["n", "t", "s", "m", "l", "x"] | None = Field(
        default=None, description="size tier used to match variants across families in the analysis (optional: "
                                  "a variant without one is left out of the matched-tier sentences)"
    )
    config: str | None = Field(default=None, description="official config name")
    checkpoint: str | None = Field(
        default=None, description="file name of the official COCO checkpoint where it is not named after the "
                                  "config (D-FINE's dfine_s_coco.pth): what --weights-dir also looks for")
    onnx: str | None = Field(default=None, description="bring-your-own ONNX file: absolute, or relative to "
                             "the project root (BENCHGEN_ROOT, else the checkout that holds benchgen/)")
    build: Build | None = Field(default=None, description="provider-built variant: its config and own arguments")
    download: FileSource | None = Field(
        default=None, description="the variant's trained file, fetched by `benchgen fetch`: its ONNX file (instead "
                                  "of onnx) for a bring-your-own entry, the release checkpoint for a provider build")
    reported_only: bool = Field(
        default=False, description="this variant is listed with its published figures only (its family's "
                                   "provider or files do not build it)")

    @property
    def onnx_file(self) -> str | None:
        """The registry ONNX file's name as written: a path (onnx) or a fetchable file's relative path."""
        if self.onnx:
            return self.onnx
        return self.download.path if self.download and self.download.path.endswith(".onnx") else None


class OtherModel(PublishedModel):
    """A published model benchgen lists but does not measure, so its figures stay reported.

    Either other weights for one of the family's measured architectures (distilled checkpoints:
    same latency, params and FLOPs, different mAP), or an architecture benchgen does not implement.
    Kept apart from `variants` so tables, charts and the analysis never mix them in.
    """

    relation: str = Field(description="how it relates to the measured variants, in our own words")
    architecture_of: str | None = Field(default=None, description="id of the variant whose architecture it shares")
    config: str | None = Field(default=None, description="official config name")

    @field_validator("reported")
    @classmethod
    def _has_figures(cls, value: dict[str, list[ReportedValue]]) -> dict[str, list[ReportedValue]]:
        if not value:
            raise ValueError("an other model is listed for its reported figures; give at least one")
        return value


class Family(_Decoding):
    """A detector family: id, name and variants, plus whatever publication facts exist.

    A private model has no paper, organisation or licence, so every publication fact is optional and
    the pages leave out what is missing; the five lines `id`, `name` and variants with `id`, `name`,
    `input_size`, `onnx` are a complete entry.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: DisplayName
    authors: list[str] = Field(default_factory=list)
    organization: str | None = None
    date: dt.date | None = None
    arxiv: HttpUrl | None = None
    github: HttpUrl | None = None
    docs: HttpUrl | None = None
    license: str | None = None
    implementation: str | None = Field(
        default=None, description="benchgen.models implementation name; None for bring-your-own ONNX"
    )
    reported_only: bool = Field(
        default=False, description="benchgen has no implementation and no ONNX file of this family: it is "
                                   "listed with its published figures only, and nothing of it is measured")
    build: Build | None = Field(default=None, description="the architecture provider that builds the family's "
                                "variants from an official package, and the arguments they share")
    description: str | None = None
    innovations: list[str] = Field(default_factory=list)
    strengths: list[str] = Field(default_factory=list)
    weaknesses: list[str] = Field(default_factory=list)
    use_cases: list[str] = Field(default_factory=list)
    variants: list[Variant] = Field(min_length=1)
    other_models: list[OtherModel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _implementation_or_onnx(self) -> "Family":
        ids = [v.id for v in self.variants] + [o.id for o in self.other_models]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate variant ids: {', '.join(duplicates)}")
        variant_ids = {v.id for v in self.variants}
        strays = [f"{o.id} -> {o.architecture_of}" for o in self.other_models
                  if o.architecture_of and o.architecture_of not in variant_ids]
        if strays:
            raise ValueError(f"other_models.architecture_of names no variant of this family: {', '.join(strays)}")
        if self.implementation is not None:
            fetched = [v.id for v in self.variants if v.download]
            if fetched:
                raise ValueError(f"{', '.join(fetched)}: download applies to ONNX-file and provider-built variants; "
                                 f"implementation {self.implementation!r} reads official checkpoints from --weights-dir")
            decoding = [f"{where}.{key}" for where, entry in [("family", self), *((v.id, v) for v in self.variants)]
                        for key in ("decoder", "preprocess", "class_map", "decoder_options") if getattr(entry, key)]
            if decoding:
                raise ValueError(f"{', '.join(decoding)}: decoding settings apply to bring-your-own ONNX entries; "
                                 f"this family is built by implementation {self.implementation!r}, which has its own")
        if self.reported_only:
            given = ["implementation"] if self.implementation else []
            given += [f"{v.id}.onnx" for v in self.variants if v.onnx_file]
            if given:
                raise ValueError(f"reported_only: true, but {', '.join(given)} would be measured; remove "
                                 "reported_only to measure the family, or the measurable inputs to list it")
            bare = [v.id for v in self.variants if not v.reported]
            if bare:
                raise ValueError(f"reported_only family variants without any reported figure: {', '.join(bare)}; "
                                 "a reported-only variant is listed for its published figures")
        elif self.implementation is None:
            missing = [v.id for v in self.variants if v.onnx_file is None and not v.reported_only and not self.builds(v)]
            if missing:
                raise ValueError("a family without 'implementation' must give every variant an 'onnx' file or a "
                                 f"provider build (missing for: {', '.join(missing)}), or set reported_only: true "
                                 "to list its published figures without measuring it")
        self._check_builds()
        return self

    def _check_builds(self) -> None:
        """Provider builds, and variant-level reported_only, each fit the rest of the entry."""
        builds = ([("build", self.build)] if self.build else []) + [(f"{v.id}.build", v.build)
                                                                   for v in self.variants if v.build]
        if builds and (self.implementation or self.reported_only):
            why = f"implementation {self.implementation!r}" if self.implementation else "reported_only: true"
            raise ValueError(f"{', '.join(w for w, _ in builds)}: a provider build, but the family has {why}; "
                             "a family is built one way")
        for variant in self.variants:
            build = self.builds(variant)
            if variant.reported_only:
                clash = [k for k in ("onnx", "download") if getattr(variant, k)]
                if clash or not variant.reported:
                    raise ValueError(f"{variant.id}: reported_only: true " + (
                        f"but it gives {clash[0]}; remove one" if clash else "needs at least one reported figure"))
                continue
            if variant.onnx and variant.download:
                raise ValueError(f"{variant.id}: both onnx and download; a fetched ONNX file is named by download.path")
            if build is None:
                if variant.build is not None:
                    raise ValueError(f"{variant.id}.build gives no provider, and the family's build names none")
                continue
            if variant.onnx:
                raise ValueError(f"{variant.id}: both onnx and a provider build; a variant is measured from one")
            if variant.download and not variant.download.path.endswith(".pt"):
                raise ValueError(f"{variant.id}.download.path {variant.download.path!r}: a provider build fetches its "
                                 "release checkpoint (a .pt file)")
            if not build.config:
                raise ValueError(f"{variant.id}: built by provider {build.provider!r} but no build.config names "
                                 "its official config (e.g. build: {config: yolo11n.yaml})")

    def provider_built(self) -> list["Variant"]:
        """The variants a provider builds (the pages' note lists them)."""
        return [v for v in self.variants if self.builds(v) is not None]

    def builds(self, variant: "Variant") -> Build | None:
        """The variant's effective provider build (variant over family), or None where no provider builds it."""
        if variant.reported_only:
            return None
        family, own = self.build or Build(), variant.build or Build()
        provider = own.provider or family.provider
        if provider is None:
            return None
        return Build(provider=provider, config=own.config or family.config,
                     options={**family.options, **own.options}, export={**family.export, **own.export})

    def decoding(self, variant: "Variant") -> dict:
        """The variant's effective decoder, preprocess, class map and options (variant over family)."""
        preprocess = {**(self.preprocess.model_dump(exclude_none=True) if self.preprocess else {}),
                      **(variant.preprocess.model_dump(exclude_none=True) if variant.preprocess else {})}
        return {"decoder": variant.decoder or self.decoder or "auto", "preprocess": preprocess,
                "class_map": variant.class_map if variant.class_map is not None else self.class_map,
                "options": {**self.decoder_options, **variant.decoder_options}}


def pair_slug(a: Family, b: Family) -> str:
    """The compare page of two families, compare/<slug>.md: ids may hold "-vs-", so two pairs can
    join into the same slug; the registry refuses those (`slug_collision`)."""
    return f"{a.id}-vs-{b.id}"


def slug_collision(families: list[Family]) -> tuple[tuple[Family, Family], tuple[Family, Family]] | None:
    """Two pairs of the site's compare pages (every pair, in registry order) whose slugs are the same."""
    import itertools

    seen: dict[str, tuple[Family, Family]] = {}
    for pair in itertools.combinations(families, 2):
        slug = pair_slug(*pair)
        if slug in seen:
            return seen[slug], pair
        seen[slug] = pair
    return None


class Registry(BaseModel):
    """All families, in file-name order, with a lookup by variant id."""

    model_config = ConfigDict(frozen=True)

    families: list[Family]
    sources: dict[str, str] = Field(default_factory=dict, description="family id -> registry file path")

    def family(self, family_id: str) -> Family:
        for family in self.families:
            if family.id == family_id:
                return family
        raise KeyError(f"unknown family {family_id!r}; known: {', '.join(f.id for f in self.families)}")

    def variant(self, variant_id: str) -> tuple[Family, Variant]:
        for family in self.families:
            for variant in family.variants:
                if variant.id == variant_id:
                    return family, variant
        known = ", ".join(v.id for f in self.families for v in f.variants)
        raise KeyError(f"unknown variant {variant_id!r}; known: {known}")

    def variants(self) -> list[tuple[Family, Variant]]:
        return [(f, v) for f in self.families for v in f.variants]

    def measurable(self) -> list[tuple[Family, Variant]]:
        """The variants benchgen can measure: all but reported-only families' and reported-only variants."""
        return [(f, v) for f in self.families if not f.reported_only for v in f.variants if not v.reported_only]
