"""Each page's tables, assembled from cells rendered once per site.

A cell's HTML does not depend on the page it is on, except in two ways: its footnote numbers (a
page numbers its notes from 1, in the order its tables use them) and whether it is bold (the best
of the page's rows). With 50 families a variant's cells appear on 49 comparison pages, and
rendering them again for every page was most of `benchgen render`'s time. So every cell is
formatted and rendered once, plain and bold, with a placeholder where a note number goes; a page
then replays its cells' notes into its own `Notes`, in table order, and fills the numbers in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from benchgen.render.achieved import achieved_text
from benchgen.render.notes import Described, Note, Notes
from benchgen.render.table_view import (CellView, best_cells, cell_view, column_label, machine_caption,
                                        shown_metrics, unstable_notice)
from benchgen.results.merge import Table

_PLACEHOLDER = re.compile("\x00(\\d+)\x00")


class _PendingNote(Note):
    """A note whose page number is not known yet: its label and anchor carry a placeholder.

    They are `Markup` (benchgen's own text) because page text loses every control character,
    NUL included (`benchgen.visible_text`): only the renderer can write a placeholder, never a
    registry or result string."""

    @property
    def anchor(self) -> Markup:
        return Markup(f"bg-note-\x00{self.number}\x00")

    @property
    def label(self) -> Markup:
        return Markup(super().label[0] + f"\x00{self.number}\x00")


@dataclass(frozen=True)
class NoteRef:
    """One `Notes.add` call a cell made, kept to be replayed on every page that shows the cell."""

    site_id: int
    kind: str
    key: tuple
    text: "str | Described"
    variant: str | None


class _Recorder:
    """Stands in for a page's Notes while a cell is formatted: same `add`, numbers deferred."""

    def __init__(self) -> None:
        self._ids: dict[tuple, int] = {}
        self.refs: list[NoteRef] = []

    def add(self, kind: str, key: tuple, text: "str | Described", variant: str | None = None) -> Note:
        site_id = self._ids.setdefault((kind, key), len(self._ids))
        self.refs.append(NoteRef(site_id, kind, key, text, variant))
        return _PendingNote(number=site_id, kind=kind, text=text)

    def take(self) -> list[NoteRef]:
        refs, self.refs = self.refs, []
        return refs


@dataclass
class _Cell:
    view: CellView
    refs: list[NoteRef]
    html: tuple[Markup, Markup]  # plain, bold


@dataclass
class _Row:
    variant_id: str
    name: str
    family_id: str
    input_size: int
    cells: dict[str, _Cell]


@dataclass
class PageTable:
    view_id: str  # benchgen.results.merge.Table.view_id: the picker's value
    machine_label: str | None
    columns: list[tuple[str, Markup]]
    variant_ids: list[str]
    body: Markup  # the <tr> rows
    caption: str | None = None
    notice: str | None = None  # above the table: why this machine's view lacks figures, and the fix


@dataclass
class _View:
    table: Table
    rows: dict[str, _Row] = field(default_factory=dict)  # by variant id, in table order
    caption: str | None = None


class SiteTables:
    """Every view's cells, formatted and rendered once; `page` assembles any subset of families."""

    def __init__(self, tables: list[Table], render_cell: Callable[[CellView], Markup],
                 row_start: Callable[[object, str], Markup], peaks: dict[str, dict[str, float]] | None = None) -> None:
        self._row_start = row_start
        self._starts: dict[tuple[str, str], Markup] = {}  # (variant, base) -> the row's first cells
        recorder = _Recorder()
        self._views: dict[str, _View] = {}  # by view id (Table.view_id)
        for table in tables:
            view = _View(table, caption=machine_caption(table))
            for row in table.rows:
                cells = {}
                for metric, cell in row.cells.items():
                    shown = cell_view(cell, row.variant.id, recorder)
                    rate = achieved_text(metric, row.cells, peaks)
                    if rate:
                        shown.beside = "; ".join(part for part in (rate, shown.beside) if part)
                    refs = recorder.take()
                    plain = render_cell(shown)
                    shown.bold = True
                    bold = render_cell(shown)
                    shown.bold = False
                    cells[metric] = _Cell(shown, refs, (plain, bold))
                view.rows[row.variant.id] = _Row(row.variant.id, row.variant.name, row.family.id,
                                                 row.variant.input_size, cells)
            self._views[table.view_id] = view

    def _start(self, row: _Row, base: str) -> str:
        key = (row.variant_id, base)
        if key not in self._starts:
            self._starts[key] = self._row_start(row, base)
        return self._starts[key]

    def page(self, tables: list[Table], notes: Notes, base: str) -> list[PageTable]:
        """The page's `tables` (views cut to its families, from the tables given at construction),
        numbering its notes in `notes`; `base` is the page's relative path to the site root."""
        out = []
        for table in tables:
            view = self._views[table.view_id]
            metrics = shown_metrics(table)
            rows = [view.rows[r.variant.id] for r in table.rows]
            bold = _best(rows, metrics)
            numbers: dict[int, int] = {}
            parts = []
            for row in rows:
                parts.append(self._start(row, base))
                for metric in metrics:
                    cell = row.cells[metric]
                    for ref in cell.refs:
                        numbers[ref.site_id] = notes.add(ref.kind, ref.key, ref.text, ref.variant).number
                    parts.append(cell.html[(row.variant_id, metric) in bold])
                parts.append("</tr>\n")
            body = _PLACEHOLDER.sub(lambda m: str(numbers[int(m[1])]), "".join(parts))
            out.append(PageTable(view_id=table.view_id,
                                 machine_label=table.machine.label if table.machine else None,
                                 columns=[(m, column_label(m, table)) for m in metrics],
                                 variant_ids=[r.variant_id for r in rows], body=Markup(body), caption=view.caption,
                                 notice=unstable_notice(table)))
        return out


def _best(rows: list[_Row], metrics: list[str]) -> set[tuple[str, str]]:
    """(variant, metric) of the cells shown bold (table_view.best_cells decides)."""
    bold = set()
    for metric in metrics:
        for index in best_cells([r.cells[metric].view for r in rows], metric):
            bold.add((rows[index].variant_id, metric))
    return bold
