"""How numbers and registry text appear on pages."""

from __future__ import annotations

import html
import json

from benchgen.metrics import METRICS


def number(metric: str, value: float | None, published: bool = False) -> str:
    """`published`: a figure copied from a source keeps every decimal the source gave (1.41 M
    params must not become 1.4), and is padded to the column's usual precision otherwise."""
    if value is None:
        return "–"
    decimals = METRICS[metric].decimals
    if published:
        text = repr(float(value))
        given = len(text.split(".")[1]) if "." in text and "e" not in text else 0
        decimals = max(decimals, given if text.split(".")[-1] != "0" else 0)
    return f"{value:.{decimals}f}"


def yaml_text(text: object) -> str:
    """A string for YAML front matter: a double-quoted JSON string is valid YAML."""
    return json.dumps(html.escape(str(text), quote=False))
