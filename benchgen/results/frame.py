"""Results as a pandas DataFrame, for notebooks and scripts.

One row per result file, so nothing is averaged or dropped behind the caller's back: filter on
`status == "ok"` and take the last row per (machine, variant, kind) for what the pages show. The
registry adds family and variant names, and whether a metric was measured on a private entry.
"""

from __future__ import annotations

from pathlib import Path

from benchgen.metrics import FIGURES, METRICS
from benchgen.results.figures import figure_values
from benchgen.registry.schema import Registry
from benchgen.results.schema import Result
from benchgen.results.store import DEFAULT_RESULTS_DIR, load_results

#: columns in the order the frame has them (the metric columns follow, one per METRICS entry, then
#: one per FIGURES entry: p50/p95/p99, peak memory, the end-to-end split)
COLUMNS = ("date", "machine", "machine_label", "family", "variant", "variant_name", "input_size", "kind", "status",
           "backend", "decoder", "benchgen_version", "git_commit", "cache_key", "error")


def result_rows(results: list[Result], registry: Registry | None = None) -> list[dict]:
    lookup = {v.id: (f, v) for f, v in registry.variants()} if registry is not None else {}
    rows = []
    for result in results:
        family, variant = lookup.get(result.variant, (None, None))
        prov = result.provenance
        row = {"date": prov.date, "machine": prov.machine.id, "machine_label": prov.machine.label,
               "family": family.id if family else None, "variant": result.variant,
               "variant_name": variant.name if variant else None,
               "input_size": result.settings.get("input_size", variant.input_size if variant else None),
               "kind": result.kind, "status": result.status, "backend": result.settings.get("backend"),
               "decoder": result.settings.get("decoder"), "benchgen_version": prov.benchgen_version,
               "git_commit": prov.git_commit, "cache_key": result.cache_key, "error": result.error}
        row.update({metric: result.metrics.get(metric) for metric in METRICS})
        row.update(figure_values(result))
        rows.append(row)
    return rows


def load_frame(results_dir: Path | str | None = None, registry: Registry | None = None):
    """Every result under `results_dir` (default: ./results or $BENCHGEN_RESULTS) as a DataFrame.

    Columns: date (UTC, tz-aware), machine, machine_label, family, variant, variant_name, input_size,
    kind, status, backend, decoder, benchgen_version, git_commit, cache_key, error, then one column
    per metric of benchgen.metrics.METRICS (mAP, the latencies, params, FLOPs; empty where the kind
    does not measure it), then one column per figure of benchgen.metrics.FIGURES (latency_cpu_p50_ms,
    _p95_ms, _p99_ms, peak_memory_mib, preprocess_ms, inference_ms, postprocess_ms; empty where the
    result lacks it: `benchgen list --json` says why). Rows are oldest first. `registry` defaults to the built-in one plus
    $BENCHGEN_REGISTRY; variants it does not know keep family/variant_name empty.
    """
    import os

    import pandas as pd

    from benchgen.registry.load import load_registries

    if results_dir is None:
        results_dir = os.environ.get("BENCHGEN_RESULTS", DEFAULT_RESULTS_DIR)
    registry = registry if registry is not None else load_registries()
    frame = pd.DataFrame(result_rows(load_results(Path(results_dir)), registry),
                         columns=[*COLUMNS, *METRICS, *FIGURES])
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    return frame


def visible_frame(frame):
    """`frame` as a page may show it: every string cell through the pages' visible-text rule
    (benchgen.visible_text), so a bidi control or zero-width character in a variant or machine id of a
    result file (which arrives from other machines and pull requests) cannot reorder or disguise the
    table the site's notebook prints. The numbers are unchanged; `load_frame` keeps the raw text."""
    from benchgen.visible_text import visible_text

    def clean(value):
        return visible_text(value) if isinstance(value, str) else value

    from pandas.api.types import is_object_dtype, is_string_dtype

    shown = frame.copy()
    for column in shown.columns:
        if is_object_dtype(shown[column]) or is_string_dtype(shown[column]):  # pandas 3 infers a str dtype
            shown[column] = shown[column].map(clean)
    shown.columns = [clean(c) for c in shown.columns]
    shown.index = shown.index.map(clean)
    return shown
