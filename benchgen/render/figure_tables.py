"""The compact tables of the figures beside a latency headline: tail, peak memory, end-to-end split.

One table per measuring machine and timed metric with figures (benchgen.metrics.FIGURES), one row
per variant measured there. The median stays the headline of the performance table; here it
leads each row so the tail reads against it. A missing figure is a dash with a number, and the
numbered line under the table says why (random weights have no end-to-end split, an older method
measured no memory), so no model lacks a figure without saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from benchgen.metrics import METRICS, Figure, figures_of
from benchgen.render.page_text import page_text
from benchgen.results.figures import figure_caveat, figure_value
from benchgen.results.merge import Table


@dataclass
class FigureTable:
    view_id: str  # the view it belongs to (benchgen.results.merge.Table.view_id)
    caption: Markup
    headers: list[str]
    rows: list[list[Markup]]
    #: why figures are missing (or how one was computed, where not as usual), numbered as the cells cite them
    reasons: list[Markup] = field(default_factory=list)


def _groups(figures: list[Figure]) -> list[list[Figure]]:
    groups: dict[str, list[Figure]] = {}
    for figure in figures:
        groups.setdefault(figure.group or figure.id, []).append(figure)
    return list(groups.values())


def _header(group: list[Figure]) -> str:
    unit = group[0].unit
    return f"{' / '.join(f.label for f in group)} ({unit})"


def figure_tables(tables: list[Table]) -> list[FigureTable]:
    out = []
    for table in tables:
        if table.machine is None:
            continue
        for metric in METRICS.values():
            figures = [f for f in figures_of(metric.id) if f.path != "timing.stats.median"]
            measured = [row for row in table.rows if row.cells[metric.id].measured is not None]
            if not figures or not measured:
                continue
            groups = _groups(figures)
            graphs = "" if table.precision == "fp32" else f", {table.precision.upper()} graphs"
            reasons: list[str] = []
            rows = []
            for row in measured:
                result = row.cells[metric.id].measured
                cells = [page_text(row.variant.name), Markup(f"{result.metrics[metric.id]:.{metric.decimals}f}")]
                for group in groups:
                    parts, cited = [], []
                    for figure in group:
                        value, why = figure_value(result, figure)
                        note = why or figure_caveat(result, figure)
                        if note and note not in reasons:
                            reasons.append(note)
                        if note and reasons.index(note) + 1 not in cited:
                            cited.append(reasons.index(note) + 1)
                        parts.append("–" if why else f"{value:.{figure.decimals}f}")
                    # the notes' numbers once per cell, their text once under the table (pages stay small)
                    marks = "".join(f"<sup>{n}</sup>" for n in cited)
                    cells.append(Markup(" / ".join(parts) + marks))
                rows.append(cells)
            out.append(FigureTable(
                view_id=table.view_id,
                caption=page_text(f"{metric.label.replace(' (ms)', '')}{graphs} on {table.machine.label}: median, tail, peak "
                                  "memory, end-to-end split (trained weights, real image)"),
                reasons=[page_text(r) for r in reasons], headers=["Model", f"median ({metric.unit})", *(_header(g) for g in groups)],
                rows=rows))
    return out
