"""Render the site's generated pages from the registry and the results (never runs a model).

Everything generated goes to fixed paths under docs/ and is written into a temporary directory
first, then moved into place, so a failed render leaves the previous site intact. Only files a
render wrote are ever replaced or removed (`benchgen.render.generated_files`).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import multiprocessing
import os
import re
import signal
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from benchgen import __version__
from benchgen.errors import BenchgenError
from benchgen.locks import exclusive
from benchgen.paths import DEFAULT_DOCS, DEFAULT_TEMPLATES, PROJECT_ROOT
from benchgen.registry.discrepancies import registry_discrepancies
from benchgen.metrics import KINDS, METRICS, reported_metrics, source_tolerance_text
from benchgen.registry.schema import Family, Registry, pair_slug
from benchgen.render.analysis import analyse_pair, latency_bases, pareto_front
from benchgen.render.chart_data import chart_data, chart_data_script
from benchgen.render.format import number, yaml_text
from benchgen.render.precision import int8_accuracy_rows, int8_chart_rows
from benchgen.render.generated_files import install, owned_files, staged
from benchgen.render.notes import Notes
from benchgen.render.page_text import PageEnvironment, plain_text, visible_data
from benchgen.render.figure_tables import figure_tables
from benchgen.render.page_tables import PageTable, SiteTables
from benchgen.render.table_view import accuracy_summary, other_models_view
from benchgen.results.index import Results, as_headers
from benchgen.results.merge import Table, build_table, int8_machines, machines
from benchgen.results.schema import result_json_schema

#: Paths under docs/ the renderer writes; everything else in docs/ is hand-written. Within them, a
#: render replaces or removes only the files it wrote itself (`generated_files`).
GENERATED = ("index.md", "leaderboard.md", "compare", "families", "assets/generated", "assets/vendor")

#: Front-end libraries served from the site itself, copied from node_modules (installed by npm ci).
VENDOR_FILES = {
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "tablesort.min.js": "tablesort/dist/tablesort.min.js",
    "tablesort.number.min.js": "tablesort/dist/sorts/tablesort.number.min.js",
}


#: templates rendered to an index.md (the site's and a folder's), so served at the folder's URL
INDEX_TEMPLATES = ("index.md.j2", "comparisons.md.j2")


@dataclass
class Views:
    """The tables a page can show: one per measuring machine, plus the publications-only view."""

    tables: list[Table]
    reported: Table

    @functools.cached_property
    def all(self) -> list[Table]:
        """Every view, the one a page opens on first: the machine with the most published latency
        figures for the page's models (ties: the most recently measured), then the authors' figures,
        then machines that published none. A newcomer whose every timing came out unstable is the
        newest machine, yet has nothing to show, and must not hide the views that do."""
        fp32 = [t for t in self.tables if t.precision == "fp32"]
        published = {id(t): t.latency_counts[0] for t in fp32}
        # sorted() is stable and machines() lists the newest first, so ties go to the newest
        publishing = sorted((t for t in fp32 if published[id(t)]), key=lambda t: -published[id(t)])
        ordered = publishing + [self.reported] + [t for t in fp32 if not published[id(t)]]
        # a machine's INT8 view follows its FP32 one, where it has INT8 figures for these models
        out = []
        for table in ordered:
            out.append(table)
            out += [t for t in self.tables if t.precision != "fp32" and table.machine is not None
                    and t.machine.id == table.machine.id and t.latency_counts != (0, 0)]
        return out

    @property
    def fp32(self) -> list[Table]:
        """One table per machine: its FP32 view."""
        return [t for t in self.tables if t.precision == "fp32"]

    @property
    def default(self) -> Table:
        return self.all[0]

    def for_families(self, ids: list[str]) -> "Views":
        """The views of a page on `ids`: a machine's view only where it measured one of them (two
        reported-only families have nothing but the publications' view)."""
        tables = [t.for_families(ids) for t in self.tables]
        return Views([t for t in tables if t.has_measurements], self.reported.for_families(ids))


def _environment(templates: Path) -> jinja2.Environment:
    templates = Path(templates)
    if not templates.is_dir():
        raise BenchgenError(f"{templates}: templates directory not found; pass --templates DIR holding "
                            f"the *.md.j2 templates (the project's are in {DEFAULT_TEMPLATES})")
    env = PageEnvironment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = number
    env.filters["yaml"] = lambda text: Markup(yaml_text(plain_text(text)))
    # benchgen's own HTML (units with <sup>), the only markup a template prints as it is
    env.globals["metric_labels"] = {m.id: Markup(m.label) for m in METRICS.values()}
    # the columns of the reported-only tables (other models): measured-only metrics are never published
    env.globals["other_metrics"] = reported_metrics()
    # reported-only tables hold CPU figures from other runtimes (OpenVINO, MNN), so no "ONNX" in the header
    env.globals["other_labels"] = {m.id: Markup(m.other_label) for m in METRICS.values() if m.other_label}
    env.globals["provider_install"] = provider_install
    # what computes each kind, and when two published sources agree: the metric table's, not the template's
    env.globals["engines"] = {k.id: k.engine for k in KINDS.values()}
    env.globals["source_tolerances"] = source_tolerance_text()
    return env


def provider_install(name: str) -> str:
    """The command that installs a provider, for the pages' notes (its spec only: nothing is run)."""
    from benchgen.errors import BenchgenError
    from benchgen.providers import get_provider

    try:
        return get_provider(name).install
    except BenchgenError:
        return f"install the {name} provider"


def _view_options(views: Views) -> list[dict]:
    """The picker's entries, in `views.all` order; a machine's says how many of its latency figures
    for these models are published and how many came out unstable, so a reader can tell a view
    worth opening from one that holds nothing but notes."""
    options = []
    for t in views.all:
        if t.machine is None:
            options.append({"id": "reported", "label": t.view_label})
            continue
        published, unstable = t.latency_counts
        counts = f"{published} latency figure{'s' if published != 1 else ''} published"
        if unstable:
            counts += f", {unstable} unstable"
        options.append({"id": t.view_id, "label": f"{t.view_label} ({counts})"})
    return options


def build_time() -> dt.datetime:
    """When the pages say they were generated: now, or SOURCE_DATE_EPOCH where it is set (the
    reproducible-builds convention), so two renders of the same inputs are byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


class SiteRenderer:
    def __init__(self, registry: Registry, results: Results, templates: Path = DEFAULT_TEMPLATES,
                 now: dt.datetime | None = None, peaks: dict[str, dict[str, float]] | None = None) -> None:
        self.registry = registry
        self.results = as_headers(results)  # results or their headers; cells read theirs in full
        self._series = self._all_history()
        self.env = _environment(templates)
        self.now = now or build_time()
        int8 = int8_machines(self.results)
        self.views = Views([table for m in machines(self.results)
                            for table in ([build_table(registry, self.results, m)]
                                          + ([build_table(registry, self.results, m, "int8")] if m.id in int8 else []))],
                           build_table(registry, self.results, None))
        macros = self.env.get_template("_macros.j2").module
        self.tables = SiteTables(self.views.all, macros.cell, macros.row_start, peaks)
        # a family's overview and use cases are the same on each of its comparison pages
        self.overviews = {f.id: macros.family_overview(f) for f in registry.families}
        self.use_cases = {f.id: macros.family_use_cases(f) for f in registry.families}

    def _tables(self, views: Views, notes: Notes, depth: int = 1) -> list[PageTable]:
        return self.tables.page(views.all, notes, "../" * (depth + 1))

    def _render(self, template: str, depth: int, **context) -> str:
        """`depth` is how many directories below docs/ the page sits (compare/x.md: 1)."""
        common = {"version": __version__, "generated": self.now, "registry": self.registry,
                  # raw-HTML links are relative to the page URL (use_directory_urls: x.md -> x/)
                  # ... except an index.md, whose URL is its folder (compare/index.md -> compare/)
                  "base": "../" * (depth if template in INDEX_TEMPLATES else depth + 1),
                  # Markdown links are relative to the source file, and MkDocs checks them
                  "md_base": "../" * depth}
        return self.env.get_template(template).render(**common, **context)

    def pairs(self) -> list[tuple[Family, Family]]:
        return list(itertools.combinations(self.registry.families, 2))

    def compare_page(self, a: Family, b: Family) -> str:
        views = self.views.for_families([a.id, b.id])
        notes = Notes()
        default = views.default
        analysis = analyse_pair(default, a.id, b.id)
        reported_analysis = analyse_pair(views.reported, a.id, b.id) if default is not views.reported else None
        return self._render(
            "compare.md.j2", 1, a=a, b=b, families=[a, b], notes=notes, overviews=self.overviews,
            use_cases=self.use_cases,
            tables=self._tables(views, notes), view_options=_view_options(views),
            figure_tables=figure_tables(views.tables), analysis=analysis, reported_analysis=reported_analysis,
            front=[pareto_front(default, basis.metric) for basis in latency_bases(default)],
            machine=default.machine,
        )

    def family_page(self, family: Family) -> str:
        views = self.views.for_families([family.id])
        notes = Notes()
        history = self._history(family)
        tables = self._tables(views, notes)
        return self._render("family.md.j2", 1, family=family, notes=notes, tables=tables,
                            figure_tables=figure_tables(views.tables),
                            other_rows=other_models_view(family.other_models, notes),
                            view_options=_view_options(views), history=history,
                            int8_rows=int8_accuracy_rows(self.results, family),
                            comparisons=[(a, b) for a, b in self.pairs() if family.id in (a.id, b.id)],
                            slug=pair_slug)

    def _all_history(self) -> dict[str, list[dict]]:
        """Per variant, every successful latency measurement in time order, in one pass over the results."""
        series: dict[str, list[dict]] = {}
        for r in self.results:
            # the series are the FP32 columns' (an INT8 figure is not a point of their history)
            if r.status == "ok" and r.kind in KINDS and KINDS[r.kind].history and r.precision == "fp32":
                for metric, value in r.metrics.items():
                    series.setdefault(r.variant, []).append({
                        "date": r.date.isoformat(), "metric": metric, "value": value,
                        "machine": r.machine_id, "commit": (r.git_commit or "")[:10]})
        return series

    def _history(self, family: Family) -> dict[str, list[dict]]:
        """Per variant of `family`, every successful latency measurement in time order, for the history chart."""
        ids = {v.id for v in family.variants}
        return {variant: points for variant, points in self._series.items() if variant in ids}

    def leaderboard(self) -> str:
        notes = Notes()
        return self._render("leaderboard.md.j2", 0, notes=notes, tables=self._tables(self.views, notes, depth=0),
                            view_options=_view_options(self.views))

    def comparisons(self) -> str:
        """The comparison index: a family x family matrix, so the sidebar need not list every pair."""
        slugs: dict[str, dict[str, str]] = {f.id: {} for f in self.registry.families}
        names: dict[str, str] = {}
        for a, b in self.pairs():
            slug = pair_slug(a, b)
            slugs[a.id][b.id] = slugs[b.id][a.id] = slug
            names[slug] = f"{a.name} vs {b.name}"
        return self._render("comparisons.md.j2", 1, pairs=self.pairs(), slugs=slugs, names=names,
                            reported_only=any(f.reported_only for f in self.registry.families))

    def index(self) -> str:
        return self._render("index.md.j2", 0, pairs=self.pairs(), slug=pair_slug,
                            machines=[t.machine for t in self.views.fp32], machine_tables=self.views.fp32,
                            discrepancies=registry_discrepancies(self.registry), results=self.results,
                            accuracy=accuracy_summary(self.views.reported))

    def chart_script(self) -> str:
        # one chart view per machine: its INT8 graphs are dashed series beside the FP32 lines there
        int8 = {t.machine.id: int8_chart_rows(self.results, self.registry, t.machine.id) for t in self.views.fp32}
        data = chart_data([(f.id, f.name) for f in self.registry.families], self.views.fp32,
                          self.views.reported, self.now.isoformat(), int8)
        return chart_data_script(data)

    def history_script(self) -> str:
        data = {f.id: self._history(f) for f in self.registry.families}
        payload = json.dumps(visible_data(data), indent=1, sort_keys=True).replace("</", "<\\/")
        return f"// Generated by `benchgen render`. Do not edit.\nwindow.BENCHGEN_HISTORY = {payload};\n"

    def site_files(self) -> dict[str, str]:
        """Every generated text file but the comparison pages, by path relative to docs/."""
        out = {"index.md": self.index(), "leaderboard.md": self.leaderboard(), "compare/index.md": self.comparisons(),
               "assets/generated/benchgen-data.js": self.chart_script(),
               "assets/generated/benchgen-history.js": self.history_script(),
               "assets/generated/results.schema.json": json.dumps(result_json_schema(), indent=2) + "\n"}
        for family in self.registry.families:
            out[f"families/{family.id}.md"] = self.family_page(family)
        return out

    def compare_files(self, pairs: list[tuple[Family, Family]] | None = None) -> dict[str, str]:
        return {f"compare/{pair_slug(a, b)}.md": self.compare_page(a, b) for a, b in (pairs or self.pairs())}

    def files(self) -> dict[str, str]:
        """Every generated text file, by path relative to docs/."""
        return {**self.site_files(), **self.compare_files()}

    def write(self, staging: Path, workers: int = 1) -> None:
        """Write every generated file under `staging`. The comparison pages (n² of them) are split
        over `workers` forked processes while this one writes the rest: each renders from the same
        precomputed tables and writes its own files, so nothing but a count crosses back."""
        pairs = self.pairs()
        workers = min(workers, len(pairs) // PAIRS_PER_WORKER)
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            _write_files(staging, self.site_files())
            _write_files(staging, self.compare_files(pairs))
            return
        global _FORKED
        _FORKED = (self, staging, pairs)
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals)
        try:
            # this process's share is the other pages, so the workers take a little more
            chunks = pool.map_async(_write_compare_chunk, [(i, workers) for i in range(workers)])
            _write_files(staging, self.site_files())
            chunks.get()
            pool.close()  # not terminate(): it would signal workers that may hold the task queue's lock
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
            _FORKED = None


#: below this many comparison pages per process, forking costs more than it saves
PAIRS_PER_WORKER = 100
#: what forked workers inherit: (renderer, staging directory, pairs); set only while a pool runs
_FORKED: tuple | None = None


def _worker_signals() -> None:
    """A forked worker inherits the CLI's SIGTERM handler (unwind like Ctrl-C), which would let it
    survive Pool.terminate(); it takes the default again, and leaves Ctrl-C to its parent."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _write_compare_chunk(chunk: tuple[int, int]) -> int:
    renderer, staging, pairs = _FORKED
    index, count = chunk
    mine = pairs[index::count]
    _write_files(staging, renderer.compare_files(mine))
    return len(mine)


def _write_files(staging: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def render_workers() -> int:
    """Processes for the comparison pages: the CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def node_modules_dir() -> Path:
    return PROJECT_ROOT / "node_modules"


def copy_vendor(destination: Path, node_modules: Path | None = None) -> None:
    node_modules = node_modules or node_modules_dir()
    for name, relative in VENDOR_FILES.items():
        source = node_modules / relative
        if not source.is_file():
            raise BenchgenError(f"{source}: front-end library missing; run `npm ci` in {PROJECT_ROOT} "
                                "(the set-up command does) so the site can serve Chart.js itself")
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def check_docs(docs: Path) -> None:
    """Refuse now a docs directory the render would refuse (a file of the user's where the render
    writes), so that `render` says so before it loads the results and `refresh` before it
    measures for minutes; the render checks again under the lock."""
    if Path(docs).is_dir():
        owned_files(Path(docs), GENERATED, VENDOR_FILES)


def render_site(registry: Registry, results: Results, docs: Path = DEFAULT_DOCS,
                templates: Path = DEFAULT_TEMPLATES, node_modules: Path | None = None,
                peaks: dict[str, dict[str, float]] | None = None) -> list[Path]:
    """Render into a staging directory, then move each generated file into docs/.

    Holds the docs tree's lock: a second render waits instead of swapping the same paths. Which
    files of docs/ are the renderer's is settled under the lock, before any page is written
    (`generated_files`; the CLI checks once more before it loads anything, `check_docs`): a file
    of the user's where the render writes stops the render, unharmed."""
    docs = Path(docs)
    renderer = SiteRenderer(registry, results, templates, peaks=peaks)
    with exclusive(docs, "render"):
        return _render_into(renderer, docs, node_modules, owned_files(docs, GENERATED, VENDOR_FILES))


#: the staging directories of `_render_into` (tempfile.mkdtemp's 8 random characters after the prefix)
STAGING_PREFIX = ".render-"
_STAGING_NAME = re.compile(r"\.render-[a-z0-9_]{8}")


def remove_dead_staging(docs: Path) -> list[Path]:
    """Delete the staging directories of renders that were killed (SIGKILL leaves hundreds of partial
    pages). Called under the docs lock, where no other render can be staging: every one is dead.
    A link of that name is removed as a link, never followed."""
    removed = []
    for path in sorted(docs.iterdir()):
        if not _STAGING_NAME.fullmatch(path.name):
            continue
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            shutil.rmtree(path)
        removed.append(path)
    return removed


def _render_into(renderer: SiteRenderer, docs: Path, node_modules: Path | None, owned: set[str]) -> list[Path]:
    remove_dead_staging(docs)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=docs))
    try:
        renderer.write(staging, render_workers())
        copy_vendor(staging / "assets/vendor", node_modules)
        written = staged(staging)
        install(docs, staging, written, owned)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(docs / relative for relative in written)
