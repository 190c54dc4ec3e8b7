"""Text that displays as what it is: no invisible characters that change the text around them.

Registry files and result files are untrusted, and a page shows their names and notes. A bidi
control (U+202E, right-to-left override) displays the text after it reversed, so a link can show
another name than the one it has; zero-width characters make two different names look the same. Both the registry (which refuses them in names)
and the pages (which remove them from every string, `benchgen.render.page_text`) use this one
definition.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories that are removed from page text (Zl/Zp become a space, see `_visible_char`)
_INVISIBLE = frozenset({"Cf", "Cs"})
_KEPT_CONTROLS = "\t\n\r"


def _visible_char(char: str) -> str:
    if char.isprintable() or char in _KEPT_CONTROLS:
        return char
    category = unicodedata.category(char)
    if category in ("Zl", "Zp"):
        return " "
    if category in _INVISIBLE or category == "Cc":
        return ""
    return char  # spaces other than U+0020 (no-break, thin), private-use and unassigned code points show


def invisible(text: str) -> list[str]:
    """The characters of `text` that `visible_text` removes or replaces, in order, once each."""
    return list(dict.fromkeys(c for c in text if _visible_char(c) != c))


def describe(char: str) -> str:
    """'U+202E (RIGHT-TO-LEFT OVERRIDE)': how an error names a character it cannot show."""
    return f"U+{ord(char):04X} ({unicodedata.name(char, unicodedata.category(char))})"


def visible_text(text: str) -> str:
    """`text` without the characters that display differently from what they are (see the module)."""
    if text.isprintable():  # nearly every string: one pass in C
        return text
    return "".join(map(_visible_char, text))
