"""The one way text from the registry or a result reaches a page.

Registry files and result files are untrusted input: results arrive from other machines and
from pull requests. A generated page is Markdown with raw HTML blocks inside, read by
Python-Markdown (with attr_list, tables, ...) and then by a browser, so a string must be inert
in every one of those contexts at once. Backslash escapes only work in Markdown text and show
up verbatim inside HTML blocks and attributes; numeric character references mean the same
character everywhere, so every character that could start markup (HTML, Markdown links and
images, emphasis, code spans, tables, attribute lists, Jinja) becomes one.

Characters that change how the text around them is displayed without showing themselves are
removed on the same path: bidi controls (U+202E turns "gpj.exe" into "exe.jpg"), zero-width
characters and the rest of Unicode's format category (Cf), control characters other than tab
and newline (Cc), and lone surrogates (which cannot be written as UTF-8). Line and paragraph
separators (U+2028/2029) become spaces. A number reference would not help: `&#8238;` is the
same override to a browser. The chart data scripts go through `visible_data`.

The Jinja environment applies this to every string a template prints or looks up (attribute,
item, `join`), so no template can forget it. Only `Markup` built in Python passes unchanged;
templates have no `safe` filter to bypass it.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable

import jinja2
from jinja2.filters import make_attrgetter
from markupsafe import Markup

from benchgen.visible_text import visible_text

#: Characters that can start markup in some context of a page. Left alone: `( ) !` (a link or an
#: image needs a `[` first), and `. - + / : = %` (they only matter at the start of a line or inside a
#: URL, which escaped text cannot produce), so numbers, dates and ids keep their plain spelling.
_SPECIAL = "&<>\"'\\`*_{}[]#|~^"
_TABLE = {ord(c): f"&#{ord(c)};" for c in _SPECIAL} | {
    ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"}

#: Filters that turn a plain string into Markup with HTML escaping only (or none): they would let
#: Markdown through, and templates do not need them.
_UNSAFE_FILTERS = ("safe", "forceescape", "replace", "urlize", "tojson", "xmlattr")


def visible_data(value: object) -> object:
    """`value` (JSON-like data for a page's script) with `visible_text` applied to every string in it."""
    if isinstance(value, str):
        return visible_text(value)
    if isinstance(value, dict):
        return {visible_data(k): visible_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [visible_data(v) for v in value]
    return value


def page_text(value: object) -> Markup:
    """`value` as inert page text; `Markup` (HTML built by benchgen itself) is returned unchanged."""
    if isinstance(value, Markup):
        return value
    return _escape(str(value))


@functools.lru_cache(maxsize=1 << 16)
def _escape(text: str) -> Markup:
    """Memoised: a site prints the same provenance notes and names on hundreds of pages."""
    return Markup(visible_text(text).translate(_TABLE))


def plain_text(value: object) -> str:
    """The original text behind `page_text`, for contexts with their own quoting (YAML front matter)."""
    return visible_text(html.unescape(str(value)) if isinstance(value, Markup) else str(value))


#: what starts a Markdown block at the start of a line once `page_text` has escaped the rest: an
#: admonition (`!!!`, `???`), a list item (`-`, `+`, `1.`, `1)`), a setext underline or rule (`=`, `-`),
#: a definition (`:`)
_BLOCK_START = re.compile(r"\d+(?=[.)])|[!?+=:~.-]")


def prose(value: object) -> Markup:
    """Registry prose (a description, a list item) as one paragraph of inert text: line breaks, and the
    indentation and blank lines they carry, become single spaces, and a first character that would
    start a block (an admonition, a list, a heading's underline) is written as a character reference.
    Descriptions are data from pull requests; none may add a warning box or a heading to a page."""
    text = " ".join(str(page_text(value)).split())
    match = _BLOCK_START.match(text)
    if match:
        end = match.end()
        if match.group().isdigit():  # the list's "." or ")" after the number
            text = f"{text[:end]}&#{ord(text[end])};{text[end + 1:]}"
        else:
            text = f"&#{ord(text[0])};{text[1:]}"
    return Markup(text)


@jinja2.pass_environment
def _join(env: jinja2.Environment, value: Iterable, d: str = "", attribute: str | None = None) -> Markup:
    if attribute is not None:
        value = map(make_attrgetter(env, attribute), value)
    return page_text(d).join(page_text(v) for v in value)


class PageEnvironment(jinja2.Environment):
    """A Jinja environment in which untrusted strings cannot become markup.

    Every string printed, joined, or reached through an attribute or item lookup goes through
    `page_text` (so even `~` concatenation with a macro's Markup cannot let one through raw).
    Strings inside lists are escaped when they are printed or joined.
    """

    def __init__(self, **options) -> None:
        super().__init__(autoescape=True, finalize=page_text, **options)
        for name in _UNSAFE_FILTERS:
            del self.filters[name]
        self.filters["join"] = _join
        self.filters["prose"] = prose

    def getattr(self, obj, attribute):
        return _escaped(super().getattr(obj, attribute))

    def getitem(self, obj, argument):
        return _escaped(super().getitem(obj, argument))


def _escaped(value: object) -> object:
    return page_text(value) if isinstance(value, str) else value
