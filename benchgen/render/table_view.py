"""Turn a merged table into what a page shows: formatted cells, bold bests, markers and footnotes."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from markupsafe import Markup

from benchgen.metrics import KINDS, METRICS, reported_metrics, runs_int8
from benchgen.registry.discrepancies import Discrepancy, find_discrepancy, measured_mismatch
from benchgen.registry.schema import OtherModel, ReportedValue
from benchgen.results.history import Delta, result_delta
from benchgen.results.merge import Cell, Table
from benchgen.results.schema import Result, unstable_reasons
from benchgen.render.format import number
from benchgen.render.notes import LIBRARIES, Described, Note, Notes
from benchgen.render.page_text import page_text


@dataclass
class CellView:
    metric: str
    text: str
    origin: str | None
    bold: bool = False
    title: str = ""
    note: Note | None = None
    beside: str | None = None  # reported value shown next to a measurement
    delta: Delta | None = None
    disagreement: Note | None = None
    failure: Note | None = None
    sort_value: float | None = None
    #: what the value can be ranked against: a latency is only comparable with latencies timed the
    #: same way (measured here, or reported on the same hardware); None for the other metrics
    basis: str | None = None


def describe_reported(value: ReportedValue) -> str:
    bits = [f"measured by {value.measured_by}" if value.measured_by else None, value.hardware, value.precision,
            f"batch {value.batch}" if value.batch else None,
            {True: "with post-processing", False: "without NMS/post-processing", None: None}[value.includes_postprocess],
            value.dataset]
    context = ", ".join(b for b in bits if b)
    return f"{value.source_name}{f' ({context})' if context else ''}"


#: settings that name the variant's own graph or how its timing ended: said beside the variant in its
#: note, so the variants measured alike share one note instead of repeating its libraries and settings
PER_VARIANT_SETTINGS = ("input_size", "onnx", "model", "config", "onnx_sha256", "fp32_onnx_sha256", "stop_reason")


def describe_measurement(result: Result) -> Described:
    prov = result.provenance
    commit = f" @ {prov.git_commit[:10]}" if prov.git_commit else ""
    libs = ", ".join(f"{k} {v}" for k, v in sorted(prov.libraries.items()))
    settings = tuple((k, str(v)) for k, v in sorted(result.settings.items()) if k not in PER_VARIANT_SETTINGS)
    head = (f"{result.kind} measured by benchgen {prov.benchgen_version}{commit} on {prov.machine.label}, "
            f"{prov.date:%Y-%m-%d %H:%M} UTC")
    group = "CPU latency" if KINDS[result.kind].cpu_contention else result.kind if result.kind in KINDS else ""
    return Described(head, ((LIBRARIES, libs),) + settings if libs else settings, group)


#: COCO val2017 has 5,000 images; an accuracy measured on fewer is a subset figure
FULL_VAL2017_IMAGES = 5000


def subset_size(result: Result) -> int | None:
    """Number of images of an accuracy measurement made on a subset of val2017, else None."""
    if result.kind != "accuracy":
        return None
    return _subset_of(str(result.settings.get("dataset", "")))


@functools.lru_cache(maxsize=4096)
def _subset_of(dataset: str) -> int | None:
    match = re.search(r"\((\d+) images\)", dataset)
    count = int(match.group(1)) if match else None
    return count if count is not None and count < FULL_VAL2017_IMAGES else None


def dataset_text(result: Result) -> str | None:
    """'on coco-val2017-tiny80/val2017 (80 images)': where an accuracy was measured, image count
    included, for every measured mAP (a subset's and full val2017's alike), or None for other kinds."""
    if result.kind != "accuracy":
        return None
    dataset = str(result.settings.get("dataset") or "").strip()
    images = result.details.get("images") if isinstance(result.details, dict) else None
    if dataset and not re.search(r"\(\d+ images\)", dataset) and isinstance(images, int):
        dataset += f" ({images} images)"
    if not dataset:
        return f"on {images} images" if isinstance(images, int) else None
    return f"on {dataset}"


@dataclass(frozen=True)
class AccuracySummary:
    """How many of the site's mAP figures benchgen measured, and on what: the front page's count."""

    measured: int
    reported: int
    datasets: tuple[tuple[str, int], ...]  # ("coco-val2017-tiny80/val2017 (80 images)", variants), most first

    @property
    def total(self) -> int:
        return self.measured + self.reported


def accuracy_summary(table: Table) -> AccuracySummary:
    """Counted over the publications' view, which holds every measured accuracy (mAP is not bound
    to a machine) and the reported mAP of the rest: one figure per variant, as the tables show."""
    cells = [row.cells["map50_95"] for row in table.rows]
    measured = [c.measured for c in cells if c.measured is not None]
    datasets: dict[str, int] = {}
    for result in measured:
        where = (dataset_text(result) or "an unnamed dataset").removeprefix("on ")
        datasets[where] = datasets.get(where, 0) + 1
    return AccuracySummary(measured=len(measured), reported=sum(c.origin == "reported" for c in cells),
                           datasets=tuple(sorted(datasets.items(), key=lambda kv: (-kv[1], kv[0]))))


def interval_text(result: Result, metric: str) -> str | None:
    """e.g. '95 % interval 21.5–30.7 (bootstrap over the images)', or None where the result stored none."""
    interval = result.intervals.get(metric)
    if interval is None:
        return None
    low, high = (number(metric, v, published=False) for v in (interval.low, interval.high))
    how = " (bootstrap over the images)" if "bootstrap" in interval.method else f" ({interval.method})"
    return f"{interval.level * 100:g} % interval {low}–{high}{how}"


def variant_label(result: Result, variant_id: str) -> str:
    """The variant as its note lists it, with its own graph and how its timing ended (PER_VARIANT_SETTINGS)."""
    own = [f"{k}={result.settings[k]}" for k in PER_VARIANT_SETTINGS
           if k in result.settings and k not in ("input_size", "onnx", "model")]
    return f"{variant_id}: {', '.join(own)}" if own else variant_id


def _measurement_key(result: Result) -> tuple:
    settings = {k: v for k, v in result.settings.items() if k not in PER_VARIANT_SETTINGS}
    return (result.provenance.machine.id, result.kind, result.provenance.git_commit,
            json.dumps(settings, sort_keys=True, default=str))


def cell_view(cell: Cell, variant_id: str, notes: Notes) -> CellView:
    view = CellView(metric=cell.metric, text=number(cell.metric, cell.value, cell.origin == "reported"),
                    origin=cell.origin,
                    sort_value=cell.value)
    preferred = cell.preferred
    if METRICS[cell.metric].timed and cell.origin is not None:
        view.basis = "measured" if cell.measured is not None else f"reported on {preferred.hardware}"
    if cell.measured is not None:
        view.note = notes.add("measured", _measurement_key(cell.measured), describe_measurement(cell.measured),
                              variant_label(cell.measured, variant_id))
        # no hover title: its mark links to the note, and on a page of seven views the titles of
        # measured cells were 10 KB that said "measured" again
        if preferred is not None:
            view.beside = f"reported {number(cell.metric, preferred.value, published=True)}"
        where = dataset_text(cell.measured)
        interval = interval_text(cell.measured, cell.metric)
        if where or interval:
            # an mAP on a few images is not the published full-val2017 figure, and another draw of as
            # many images would move it: say the dataset, its size and the interval in plain sight
            said = [where, interval, view.beside]
            view.beside = "; ".join(part for part in said if part)
        view.delta = result_delta(cell.metric, cell.previous, cell.measured)
    elif preferred is not None:
        view.note = notes.add("reported", (describe_reported(preferred), str(preferred.source)),
                              f"{describe_reported(preferred)}: {preferred.source}", variant_id)
        view.title = f"reported by {describe_reported(preferred)}" + (f"; {preferred.note}" if preferred.note else "")
    discrepancy: Discrepancy | None = find_discrepancy(cell.metric, cell.reported)
    mismatch = measured_mismatch(cell.metric, cell.measured.metrics[cell.metric], preferred) \
        if cell.measured is not None else None
    if mismatch is not None:
        # the page shows both (the reported value beside the measurement) and says how far apart they are
        view.disagreement = notes.add(
            "disagreement", (variant_id, cell.metric, "measured"),
            f"{variant_id} {METRICS[cell.metric].label}: benchgen's count from the exported graph, "
            f"{cell.measured.metrics[cell.metric]:.3g}, differs from the published "
            f"{number(cell.metric, preferred.value, published=True)} "
            f"({preferred.source_name}) by {mismatch * 100:+.1f} %, beyond the "
            f"{METRICS[cell.metric].measured_tolerance * 100:.0f} % a graph count of the same architecture should need"
            + (f"; published {discrepancy.describe()}" if discrepancy is not None else ""), variant_id)
    if discrepancy is not None and mismatch is None:
        view.disagreement = notes.add("disagreement", (variant_id, cell.metric),
                                      f"{variant_id} {METRICS[cell.metric].label}: {discrepancy.describe()}",
                                      variant_id)
    if cell.failure is not None:
        view.failure = rejected_note(cell.failure, variant_id, notes)
        if cell.measured is None:
            view.text = cell.failure.status
    return view


def rejected_note(result: Result, variant_id: str, notes: Notes) -> Note:
    """A failed or unstable measurement is listed with its reason, never shown as a figure."""
    where = f"on {result.provenance.machine.label} ({result.provenance.date:%Y-%m-%d %H:%M} UTC)"
    if result.status == "unstable":
        figures = ", ".join(f"{k} {v:.4g}" for k, v in result.metrics.items())
        why = "; ".join(unstable_reasons(result)) or "see the result file"
        return notes.add("unstable", (variant_id, result.kind),
                         f"{variant_id} {result.kind} {where} was unstable and is not shown ({figures}): {why}",
                         variant_id)
    return notes.add("failure", (variant_id, result.kind), f"{variant_id} {result.kind} failed {where}: {result.error}",
                     variant_id)


def shown_metrics(table: Table) -> list[str]:
    """Every column, except a measured-only one in which this table has no measurement and no failure.
    An INT8 view shows only what it measured of the INT8 graphs: its size columns would repeat the
    FP32 view's, and it holds no published figure."""
    def holds(m: str) -> bool:
        return any(row.cells[m].measured is not None or row.cells[m].failure is not None for row in table.rows)

    if table.precision != "fp32":
        return [m for m in METRICS if runs_int8(METRICS[m].kind) and holds(m)]
    return [m for m in METRICS if METRICS[m].reported or holds(m)]


def column_label(metric: str, table: Table) -> Markup:
    """The header (benchgen's own HTML): the metric's label, and the GPU for a column timed on this
    view's GPU; the GPU name comes from a result file, so it goes through the one escaping path."""
    label = Markup(METRICS[metric].label)
    # a column that only ever holds this view's GPU's measurements names the GPU
    if METRICS[metric].gpu_column and table.machine is not None and table.machine.gpu:
        label += Markup('<br><span class="bg-column-gpu">') + page_text(table.machine.gpu) + Markup("</span>")
    return label


def best_cells(cells: list[CellView], metric: str) -> list[int]:
    """Indices of the column's best values, ranked among the cells of its commonest basis only (a
    V100 latency is not the best of a T4 column); none when fewer than two values compare."""
    bases: dict[str | None, list[int]] = {}
    for index, cell in enumerate(cells):
        if cell.sort_value is not None:
            bases.setdefault(cell.basis, []).append(index)
    if not bases:
        return []
    group = max(bases.values(), key=len)
    if len(group) < 2:
        return []
    pick = min if METRICS[metric].lower_is_better else max
    best = pick(cells[i].sort_value for i in group)
    return [i for i in group if cells[i].sort_value == best]


def machine_caption(table: Table) -> str:
    if table.machine is None:
        return "Published figures only: every value is reported by its source."
    text = f"Latency measured on {table.machine.label} (machine id {table.machine.id})"
    if table.summary is not None:
        text += f": {table.summary.describe()}"
    text += ". Accuracy, parameters and FLOPs do not depend on the machine: their latest measurement is shown."
    if table.precision == "int8":
        text += (" INT8 graphs: each variant's exported graph quantised after training (NNCF, static, calibrated on "
                 "80 COCO train2017 images; see the methodology), run as the same QDQ ONNX file by both CPU "
                 "runtimes. The latency of a graph with random weights is that of its trained one; mAP is "
                 "measured for trained models only. Parameters and FLOPs are the FP32 graph's. No published "
                 "figure is shown here: publications report FP32 or FP16 models.")
    cpu = [METRICS[m].label.split(" (")[0] for m in shown_metrics(table)
           if METRICS[m].timed and KINDS[METRICS[m].kind].cpu_contention]
    if len(cpu) > 1:  # which runtime is faster depends on the CPU's instruction set, cores and caches
        text += (f" The CPU columns ({', '.join(cpu)}) are timed on this machine in the same way and compare with "
                 "each other here only, not across machines.")
    return text


#: past this many variants, the re-timing command names their families instead
MAX_NAMED_VARIANTS = 6


def unstable_notice(table: Table) -> str | None:
    """For a machine's view whose latest timings of some of these models came out unstable: how many
    and the command that re-times only those, so a newcomer's page says what happened to its figures
    instead of just showing notes where numbers were expected."""
    if table.machine is None:
        return None
    _, unstable = table.latency_counts
    if not unstable:
        return None
    rows = table.unstable_rows
    ids = [r.variant.id for r in rows]
    if len(ids) > MAX_NAMED_VARIANTS:
        ids = list(dict.fromkeys(r.family.id for r in rows))
    only = " ".join(f"--only {i}" for i in ids)
    published, _ = table.latency_counts
    return (f"{unstable} latency timing{'s' if unstable != 1 else ''} of these models on {table.machine.label} came "
            f"out unstable (the machine was busy or changed speed) and {'are' if unstable != 1 else 'is'} not shown "
            f"as figures; {published} {'are' if published != 1 else 'is'} published. To re-time only those, run on "
            f"that machine, once it is quiet: benchgen refresh --retry-unstable {only}")


@dataclass
class OtherRowView:
    model: OtherModel
    cells: list[CellView]


def other_models_view(models: list[OtherModel], notes: Notes) -> list[OtherRowView]:
    """Reported-only rows. Nothing is bolded: these models are listed, not ranked against the
    measured variants, and their CPU figures come from other runtimes than the CPU ONNX column."""
    return [OtherRowView(model, [cell_view(Cell(metric, reported=model.reported.get(metric, [])), model.id, notes)
                                 for metric in reported_metrics()])
            for model in models]
