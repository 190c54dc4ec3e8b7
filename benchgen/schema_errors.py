"""A pydantic ValidationError as the one line a user can act on: file, field, problem, fix.

pydantic's own text spreads over several lines per problem, names its internal error types and
links to its web site; a registry file (hand-edited) or a result file (from another machine or a
pull request) at fault deserves what every other bad input gets: one line that names the file and
the field, says what is wrong with it and what to do. Where several fields are wrong, the first
is described and the others named after it.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError


#: other fields at fault are named after the first, briefly, up to this many
MAX_NAMED = 3
_SHORT = {"extra_forbidden": "unknown key", "missing": "required key missing"}


def location(loc: tuple) -> str:
    """pydantic's ('variants', 2, 'reported') -> 'variants[2].reported', the way a YAML or JSON reader thinks."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top level>"


def _inner(annotation) -> tuple[type[BaseModel] | None, bool]:
    """The model a field's value holds (through lists, tuples, optionals and dict values), and
    whether a dict sits in between (so the next part of a location is a key, not a field)."""
    mapping = False
    for _ in range(8):  # peel list[...], dict[..., X], X | None, ...
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation, mapping
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if origin is None or not args:
            return None, mapping
        if origin is dict:
            mapping, annotation = True, args[-1]
        elif origin in (list, tuple, set, frozenset) or origin in (typing.Union, types.UnionType):
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else args[0]
        else:
            return None, mapping
    return None, mapping


def known_keys(model: type[BaseModel], loc: tuple) -> list[str] | None:
    """The keys the model accepts at `loc` (the location of the mapping holding an unknown key)."""
    current: type[BaseModel] | None = model
    skip_key = False
    for part in loc:
        if isinstance(part, int):
            continue
        if skip_key:  # a dict's key, e.g. reported.<metric>
            skip_key = False
            continue
        if current is None or part not in current.model_fields:
            return None
        current, skip_key = _inner(current.model_fields[part].annotation)
    return sorted(current.model_fields) if current is not None and not skip_key else None


def _field_path(loc) -> tuple:
    """The location without the union branches pydantic tried ("literal['a','b']", "list[int]")."""
    return tuple(p for p in loc if isinstance(p, int) or not any(c in p for c in "[]'(),"))


def _given(err: dict) -> str:
    value = err.get("input")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(repr(value)) < 80:
        return f" (got {value!r})"
    return ""


def one_line(exc: ValidationError, path: Path | str, model: type[BaseModel], fix: str) -> str:
    """`path: field: problem; fix`, plus how many other problems the file has."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    loc = _field_path(err["loc"])
    where = location(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        keys = known_keys(model, loc[:-1])
        problem = "unknown key"
        advice = "remove it or correct its spelling" + (f" (keys allowed here: {', '.join(keys)})" if keys else "")
    elif kind == "missing":
        problem, advice = "required key missing", "add it"
    else:
        message = str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        if "; " in message:  # the validator says what to do itself
            message, advice = message.split("; ", 1)
        else:
            advice = fix
        problem = message[:1].lower() + message[1:] + _given(err)
    others = {}
    for other in errors:
        at = _field_path(other["loc"])
        if at != loc and at not in others:
            others[at] = _SHORT.get(other["type"], "invalid value")
    named = [f"{location(at)} ({what})" for at, what in list(others.items())[:MAX_NAMED]]
    if len(others) > MAX_NAMED:
        named.append(f"{len(others) - MAX_NAMED} more")
    more = f" (also at fault: {', '.join(named)})" if named else ""
    return f"{path}: {where}: {problem}; {advice}{more}".replace("\n", " ")
