"""How numbers and registry text appear on pages."""

from __future__ import annotations

import html
import json
import re

DECIMALS = {"map50_95": 1, "latency_cpu_ms": 2, "latency_trt_ms": 2, "latency_torch_cuda_ms": 2, "params_m": 1, "flops_g": 1}

# The characters Python-Markdown (with the tables extension) lets a backslash escape.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+.!|-])")


def number(metric: str, value: float | None, published: bool = False) -> str:
    """`published`: a figure copied from a source keeps every decimal the source gave (1.41 M
    params must not become 1.4), and is padded to the column's usual precision otherwise."""
    if value is None:
        return "–"
    decimals = DECIMALS[metric]
    if published:
        text = repr(float(value))
        given = len(text.split(".")[1]) if "." in text and "e" not in text else 0
        decimals = max(decimals, given if text.split(".")[-1] != "0" else 0)
    return f"{value:.{decimals}f}"


def md_text(text: object) -> str:
    """Registry text for a Markdown context: HTML-escaped and Markdown-neutral.

    Registry strings are data, not markup: a `<script>` in a description must reach the reader as
    text, and a `*` in a variant name ("M*") must not start emphasis.
    """
    # Escape Markdown first, then HTML: the other order would break entities such as &#x27;.
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", str(text)), quote=False)


def yaml_text(text: object) -> str:
    """A string for YAML front matter: a double-quoted JSON string is valid YAML."""
    return json.dumps(html.escape(str(text), quote=False))
