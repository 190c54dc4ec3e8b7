"""Numbered footnotes of one page: every marker in a table points at one entry here.

A measurement's note is a `Described`: a head (what, by which benchgen, on which machine, when) and
its items (the libraries, then each setting). What every measured note of a page shares is said once
above them (`Notes.shared`), and each note lists only the rest: on a page of six machine views the
same forty settings were most of the notes' weight, and a reader looks for what differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

#: the item that holds a measurement's library versions, listed before its settings
LIBRARIES = "libraries"


@dataclass(frozen=True)
class Described:
    head: str
    items: tuple[tuple[str, str], ...]  # (LIBRARIES, "numpy 2.4, ..."), then (setting, value), sorted
    #: notes of one group share their common items (e.g. "CPU latency": both CPU runtimes' timings)
    group: str = ""

    def render(self, shared: frozenset[tuple[str, str]] = frozenset()) -> str:
        libraries = [v for k, v in self.items if k == LIBRARIES and (k, v) not in shared]
        settings = [f"{k}={v}" for k, v in self.items if k != LIBRARIES and (k, v) not in shared]
        parts = [self.head, *libraries]
        if settings:
            parts.append(("other settings: " if shared else "settings: ") + ", ".join(settings))
        return "; ".join(parts)

    def __str__(self) -> str:
        return self.render()


def shared_text(shared: frozenset[tuple[str, str]]) -> str:
    libraries = [v for k, v in sorted(shared) if k == LIBRARIES]
    settings = [f"{k}={v}" for k, v in sorted(shared) if k != LIBRARIES]
    return "; ".join([*libraries, *(["settings: " + ", ".join(settings)] if settings else [])])


@dataclass
class Note:
    number: int
    kind: str  # "measured" | "reported" | "disagreement" | "failure" | "unstable"
    text: Union[str, Described]
    variants: list[str] = field(default_factory=list)

    def text_without(self, shared: dict[str, frozenset[tuple[str, str]]]) -> str:
        """The note's text less what the page says once for its group (Notes.shared)."""
        if isinstance(self.text, Described):
            return self.text.render(shared.get(self.text.group, frozenset()))
        return str(self.text)

    @property
    def anchor(self) -> str:
        return f"bg-note-{self.number}"

    @property
    def label(self) -> str:
        return {"measured": "m", "reported": "r", "disagreement": "!", "failure": "x",
                "unstable": "u"}[self.kind] + str(self.number)


class Notes:
    def __init__(self) -> None:
        self._by_key: dict[tuple, Note] = {}

    def add(self, kind: str, key: tuple, text: Union[str, Described], variant: str | None = None) -> Note:
        note = self._by_key.get((kind, key))
        if note is None:
            note = Note(number=len(self._by_key) + 1, kind=kind, text=text)
            self._by_key[(kind, key)] = note
        if variant and variant not in note.variants:
            note.variants.append(variant)
        return note

    def of_kind(self, kind: str) -> list[Note]:
        return [n for n in self._by_key.values() if n.kind == kind]

    def shared(self, kind: str) -> dict[str, frozenset[tuple[str, str]]]:
        """Per group of the notes of `kind`: the items all its notes have, for groups of two or more."""
        groups: dict[str, list[Described]] = {}
        for note in self.of_kind(kind):
            if isinstance(note.text, Described):
                groups.setdefault(note.text.group, []).append(note.text)
        out = {}
        for group, texts in groups.items():
            common = set(texts[0].items)
            for text in texts[1:]:
                common &= set(text.items)
            if len(texts) > 1 and common:
                out[group] = frozenset(common)
        return out

    def shared_lines(self, kind: str) -> list[tuple[str, str]]:
        """(group, what its notes share), for the line above the notes."""
        return [(group, shared_text(items)) for group, items in self.shared(kind).items()]

    def __iter__(self):
        return iter(self._by_key.values())
