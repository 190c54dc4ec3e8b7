"""Hostile text in every string field of the registry and the results reaches the built site inert.

The field list is derived from the pydantic schemas (walking `model_fields`), so a string field
added later is attacked too without touching this file. Each field gets its own tagged payload;
a field whose validation rejects the payload (an id pattern, an http(s)-only URL) cannot carry
it and is reported as such.
"""

from __future__ import annotations

import copy
import datetime as dt
import html.parser
import inspect
import re
import types
import typing
from urllib.parse import urlparse

import pytest
import typing_extensions
from pydantic import BaseModel, HttpUrl, ValidationError

from benchgen.registry.schema import Family
from benchgen.results.schema import Result
from benchgen.results.store import write_result
from tests.conftest import family_doc, make_result, reported, variant_doc, write_registry
from tests.site.conftest import build_site

SITE = "http://127.0.0.1:8000/"


def payload(tag: str) -> str:
    """Markup for every context a page has: Markdown link/image/autolink, raw HTML, attribute list, Jinja."""
    return (f"<<{tag}>> [x](javascript:alert(1)) ![i](https://evil.example/{tag}.png) <https://evil.example/{tag}> "
            f"<img data-inj src=https://evil.example/{tag}.png onerror=alert(1)> <script data-inj>alert(1)</script> "
            f"<iframe data-inj src=//evil.example/></iframe> {{{{7*7}}}} {{% raw %}} {{: onclick=alert(1) }} "
            f"*em* `code` | cell | \\[esc\\] &amp;")


def url_payload(tag: str) -> str:
    return f'https://evil.example/{tag}?"><script data-inj>alert(1)</script>'


# --- the schema walk -------------------------------------------------------------------------

def _unwrap(annotation):
    """`X | None` -> X; anything else as it is."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _fits(option, value) -> bool:
    """Whether a baseline `value` already has the shape of union member `option`."""
    if value is None:
        return False
    origin = typing.get_origin(option) or option
    return origin is not typing.Literal and isinstance(value, origin if inspect.isclass(origin) else object)


def _is_model(annotation) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)


def _attacked(annotation, value, path: str):
    """`value` (the baseline, possibly None) with payloads wherever `annotation` allows a string.

    Yields (path, new value) one field at a time, so a rejected field does not hide the others."""
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):  # several shapes: attack each one that holds text
        for option in typing.get_args(annotation):
            if option is not type(None):
                yield from _attacked(option, value if _fits(option, value) else None, path)
    elif annotation is str:
        yield path, payload(path)
    elif annotation is HttpUrl:
        yield path, url_payload(path)
    elif _is_model(annotation):
        yield from _attacked_model(annotation, value or {}, path)
    elif typing_extensions.is_typeddict(annotation):  # typed keys, and any other key kept as it is
        hints = typing.get_type_hints(annotation)
        base = dict(value or {})
        yield f"{path}{{key}}", {**base, payload(f"{path}{{key}}"): "sample"}
        for key in [k for k in base if k not in hints]:
            yield f"{path}[{key}]", {**base, key: payload(f"{path}[{key}]")}
        for key, hint in hints.items():
            for sub, new in _attacked(hint, base.get(key), f"{path}.{key}"):
                yield sub, {**base, key: new}
    elif origin is list:
        (item,) = typing.get_args(annotation)
        items = value or [None]
        for i, element in enumerate(items):
            for sub, new in _attacked(item, element, f"{path}[{i}]"):
                yield sub, items[:i] + [new] + items[i + 1:]
    elif origin is dict:
        key_type, value_type = typing.get_args(annotation)
        base = dict(value or {})
        if _unwrap(key_type) is str:
            yield f"{path}{{key}}", {**base, payload(f"{path}{{key}}"): _sample(value_type, base)}
        for key in base or ([] if _unwrap(key_type) is str else [typing.get_args(key_type)[0]]):
            for sub, new in _attacked(value_type, base.get(key), f"{path}[{key}]"):
                yield sub, {**base, key: new}
    elif origin is tuple:  # fixed-length numbers (e.g. preprocess.mean) hold no text; strings would
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        for i, item in enumerate(args):
            if _unwrap(item) is str:
                base = list(value or [_sample(a, {}) for a in args])
                yield f"{path}[{i}]", tuple(base[:i] + [payload(f"{path}[{i}]")] + base[i + 1:])
            elif _unwrap(item) not in (int, float, bool):
                raise AssertionError(f"{path}[{i}]: the payload test does not know {item!r}; teach _attacked about it")
    elif annotation is typing.Any:
        yield path, payload(path)
    elif typing.get_origin(annotation) is typing.Literal or annotation in (int, float, bool, dt.date, dt.datetime):
        return  # no free text
    else:
        raise AssertionError(f"{path}: the payload test does not know {annotation!r}; teach _attacked about it")


def _sample(value_type, base: dict):
    """A valid value to put under an attacked key."""
    value_type = _unwrap(value_type)
    if base:
        return copy.deepcopy(next(iter(base.values())))
    if typing.get_origin(value_type) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(value_type) if a is not type(None)]
        return _sample(str if str in options else options[0], base)
    if value_type in (str, typing.Any):
        return "sample"
    if typing.get_origin(value_type) is typing.Literal:
        return typing.get_args(value_type)[0]
    if value_type in (int, float, bool):
        return value_type(1)
    if _is_model(value_type):  # its required fields, each a sample
        return {name: _sample(field.annotation, {}) for name, field in value_type.model_fields.items()
                if field.is_required()}
    raise AssertionError(f"the payload test has no sample {value_type!r} value; teach _sample about it")


def _attacked_model(model: type[BaseModel], doc: dict, path: str):
    for name, field in model.model_fields.items():
        for sub, new in _attacked(field.annotation, doc.get(name), f"{path}.{name}"):
            yield sub, {**doc, name: new}


#: fields the registry loader checks against fixed lists (the known decoders and each decoder's
#: options), so no free text passes them
LOADER_CHECKED = ("decoder", "decoder_options")


def attack(model: type[BaseModel], baseline: dict, name: str,
           keep: tuple[str, ...] = ()) -> tuple[dict, list[str], list[str]]:
    """One document with a payload in every string field the schema accepts it in, except `keep`.

    Returns (document, fields carrying a payload, fields whose validation rejects one)."""
    carried, rejected, doc = [], [], copy.deepcopy(baseline)
    for path, single in _attacked_model(model, baseline, name):
        if path in keep:
            continue
        if re.split(r"[\[{]", path.rsplit(".", 1)[-1])[0] in LOADER_CHECKED:
            rejected.append(path)
            continue
        try:
            model.model_validate(single)
        except ValidationError:
            rejected.append(path)
            continue
        candidate = _merge(doc, single, baseline)
        model.model_validate(candidate)  # accepted one by one, so accepted together
        doc = candidate
        carried.append(path)
    return doc, carried, rejected


def _merge(doc, single, baseline):
    """`doc` with the one change that turned `baseline` into `single`."""
    if isinstance(single, dict) and isinstance(doc, dict) and isinstance(baseline, dict):
        out = dict(doc)
        for key in single:
            if key not in baseline:
                out[key] = single[key]
            elif single[key] != baseline[key]:
                out[key] = _merge(doc.get(key), single[key], baseline[key])
        return out
    if isinstance(single, list) and isinstance(doc, list) and isinstance(baseline, list) and \
            len(single) == len(baseline) == len(doc):
        return [_merge(d, s, b) if s != b else d for d, s, b in zip(doc, single, baseline)]
    return single


# --- the site ----------------------------------------------------------------------------------

def _baseline_family() -> dict:
    full = reported(40.0, hardware="T4", precision="FP16", batch=1, includes_postprocess=False,
                    dataset="COCO val2017", date="2024-01-01", note="a note")
    variant = variant_doc("alpha-s", "s", 40.0, 2.0, 10.0)
    variant["reported"] = {metric: copy.deepcopy(full) for metric in
                           ("map50_95", "latency_cpu_ms", "latency_trt_ms", "params_m", "flops_g")}
    variant["reported"]["map50_95"].append({**full[0], "value": 41.0, "official": False})  # a disagreement
    variant.update(config="alpha_s_cfg", onnx="alpha-s.onnx")
    other = {"id": "alpha-s-distilled", "name": "Alpha-S distilled", "input_size": 640, "relation": "distilled",
             "architecture_of": "alpha-s", "config": "alpha_s_distill", "reported": copy.deepcopy(variant["reported"])}
    second = {**variant_doc("alpha-m", "m", 45.0, 3.0, 20.0), "onnx": "alpha-m.onnx"}
    # a bring-your-own family, so that the decoding settings (decoder, preprocess, ...) are allowed too
    return family_doc("alpha", "Alpha", [variant, second], implementation=None,
                      docs="https://example.org/docs", decoder="yolox", strengths=["fast"], weaknesses=["small"],
                      other_models=[other])


def _baseline_results() -> list[dict]:
    t = lambda d: dt.datetime(2026, 1, d, tzinfo=dt.timezone.utc)  # noqa: E731
    settings = {"backend": "ort-cpu", "dataset": "tiny80 (80 images)", "input_size": 640}
    return [make_result(variant, kind, metrics, when=t(day), settings=settings, status=status,
                        error="boom" if status == "failed" else None).model_dump(mode="json")
            for variant, kind, metrics, day, status in [
                ("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0}, 1, "ok"),
                ("alpha-s", "latency-cpu", {"latency_cpu_ms": 14.0}, 2, "ok"),
                ("alpha-s", "accuracy", {"map50_95": 39.0}, 3, "ok"),
                ("alpha-s", "size", {"params_m": 9.0, "flops_g": 11.0}, 4, "ok"),
                ("alpha-m", "latency-cpu", {}, 5, "failed")]]


class _Page(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self.in_script = tag == "script"

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        self.text.append(("<script>" if self.in_script else "") + data)


RESOURCE_TAGS = {"img", "script", "iframe", "link", "source", "video", "audio", "embed", "object", "frame",
                 "image", "track", "input"}
URL_ATTRIBUTES = ("src", "href", "srcset", "data", "poster", "action", "formaction", "xlink:href")


def _outside(url: str) -> bool:
    parsed = urlparse(url.strip())
    return bool(parsed.netloc) and parsed.netloc != urlparse(SITE).netloc


@pytest.fixture(scope="module")
def attacked_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("payloads")
    family, family_fields, family_rejected = attack(Family, _baseline_family(), "family")
    beta = family_doc("beta", "Beta", [variant_doc("beta-s", "s", 43.0, 4.0, 12.0)])
    registry = write_registry(tmp / "registry", [family, beta])
    results_dir, result_fields, result_rejected = tmp / "results", [], []
    for index, baseline in enumerate(_baseline_results()):
        # `variant` links a result to its row, so it is attacked on a result of its own below
        doc, carried, rejected = attack(Result, baseline, f"result{index}", keep=(f"result{index}.variant",))
        result_fields += carried
        result_rejected += rejected
        write_result(Result.model_validate(doc), results_dir)
    # a result for a variant the registry does not know: written as a pull request would add it
    stray = Result.model_validate({**_baseline_results()[0], "variant": payload("stray.variant")})
    stray_path = results_dir / "cpu-test-2c" / "no-such-variant" / "latency-cpu" / "20260101T000000000000Z.json"
    stray_path.parent.mkdir(parents=True)
    stray_path.write_text(stray.model_dump_json(indent=2))
    result_fields.append("stray.variant")
    site = build_site(tmp / "project", registry_dir=registry, results_dir=results_dir, site_url=SITE,
                      notebooks=False)
    pages = {}
    for path in sorted(site.rglob("*.html")):
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[str(path.relative_to(site))] = parser
    return {"pages": pages, "fields": family_fields + result_fields,
            "rejected": family_rejected + result_rejected}


def test_the_schema_walk_finds_the_string_fields(attacked_site):
    fields, rejected = attacked_site["fields"], attacked_site["rejected"]
    for path in ("family.name", "family.description", "family.authors[0]", "family.variants[0].name",
                 "family.variants[0].reported[map50_95][0].source_name", "family.other_models[0].relation",
                 "result0.provenance.machine.label", "result4.error", "result0.settings{key}",
                 "result0.provenance.libraries[onnxruntime]", "family.github"):
        assert path in fields, path
    # ids reject the payload: they cannot carry markup at all; URLs must be http(s)
    for path in ("family.id", "family.variants[0].id", "result0.provenance.machine.id"):
        assert path in rejected, path
    with pytest.raises(ValidationError):
        Family.model_validate({**_baseline_family(), "github": "javascript:alert(1)"})


def test_no_javascript_url_no_outside_resource_no_injected_tag(attacked_site):
    problems = []
    for name, page in attacked_site["pages"].items():
        for tag, attrs in page.elements:
            if "data-inj" in attrs or any(a.startswith("on") for a in attrs):
                problems.append(f"{name}: injected <{tag} {attrs}>")
            for attribute in URL_ATTRIBUTES:
                url = attrs.get(attribute, "")
                if re.match(r"\s*(javascript|vbscript|data):", url, re.I):
                    problems.append(f"{name}: <{tag} {attribute}={url!r}>")
                if tag in RESOURCE_TAGS and _outside(url):
                    problems.append(f"{name}: outside resource <{tag} {attribute}={url!r}>")
        scripts = [t for t in page.text if t.startswith("<script>") and "alert(1)" in t]
        problems += [f"{name}: injected script {s[:60]!r}" for s in scripts]
    assert not problems, "\n".join(problems[:20])


def _shown(page: _Page) -> str:
    texts = [t for t in page.text if not t.startswith("<script>")]
    texts += [v for _, attrs in page.elements for k, v in attrs.items() if k in ("title", "content", "alt")]
    return re.sub(r"\s+", " ", "\n".join(texts))


def test_every_payload_that_reaches_a_page_is_shown_as_literal_text(attacked_site):
    """Jinja did not evaluate it ({{7*7}} stays), Markdown did not format it, nothing was dropped."""
    shown = {name: _shown(page) for name, page in attacked_site["pages"].items()}
    everything = "\n".join(shown.values())
    displayed = []
    for path in attacked_site["fields"]:
        text = re.sub(r"\s+", " ", payload(path))
        tag = f"<<{path}>>"
        if text in everything:
            displayed.append(path)
        elif tag in everything:
            start = everything.index(tag)
            raise AssertionError(f"{path} reached a page altered: {everything[start:start + 300]!r}")
    for path in ("family.name", "family.description", "family.innovations[0]", "family.organization",
                 "family.variants[0].name", "family.other_models[0].relation",
                 "family.variants[0].reported[map50_95][0].source_name", "result1.provenance.machine.label",
                 "result4.provenance.machine.label", "result4.error"):
        assert path in displayed, f"{path} never reached a page, so the test proves nothing about it"
