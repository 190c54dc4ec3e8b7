"""Numbered footnotes of one page: every marker in a table points at one entry here."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Note:
    number: int
    kind: str  # "measured" | "reported" | "disagreement" | "failure" | "unstable"
    text: str
    variants: list[str] = field(default_factory=list)

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

    def add(self, kind: str, key: tuple, text: str, variant: str | None = None) -> Note:
        note = self._by_key.get((kind, key))
        if note is None:
            note = Note(number=len(self._by_key) + 1, kind=kind, text=text)
            self._by_key[(kind, key)] = note
        if variant and variant not in note.variants:
            note.variants.append(variant)
        return note

    def of_kind(self, kind: str) -> list[Note]:
        return [n for n in self._by_key.values() if n.kind == kind]

    def __iter__(self):
        return iter(self._by_key.values())
