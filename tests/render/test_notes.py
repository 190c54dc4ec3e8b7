"""Provenance notes: variants measured alike share one note; what is each variant's own stays beside it."""

from __future__ import annotations

from benchgen.render.notes import Notes
from benchgen.render.table_view import describe_measurement, _measurement_key, variant_label
from tests.conftest import make_result


def _latency(variant: str, sha: str, stop: str, **extra) -> object:
    settings = {"backend": "ort-cpu", "batch": 1, "onnx": f"{variant}.onnx", "onnx_sha256": sha,
                "stop_reason": stop, "config": f"{variant}.yaml", **extra}
    return make_result(variant, "latency-cpu", {"latency_cpu_ms": 10.0}, settings=settings)


def test_variants_measured_alike_share_one_note_that_names_each_graph():
    notes = Notes()
    a, b = _latency("m-a", "aaaa1111", "budget"), _latency("m-b", "bbbb2222", "ci")
    for result in (a, b):
        notes.add("measured", _measurement_key(result), describe_measurement(result),
                  variant_label(result, result.variant))
    (note,) = list(notes)
    assert note.variants == ["m-a: config=m-a.yaml, onnx_sha256=aaaa1111, stop_reason=budget",
                             "m-b: config=m-b.yaml, onnx_sha256=bbbb2222, stop_reason=ci"]
    text = str(note.text)
    assert "onnx_sha256" not in text and "stop_reason" not in text and "batch=1" in text


def test_another_setting_is_another_note():
    notes = Notes()
    for result in (_latency("m-a", "aaaa1111", "budget"), _latency("m-b", "bbbb2222", "budget", batch=8)):
        notes.add("measured", _measurement_key(result), describe_measurement(result), result.variant)
    assert len(list(notes)) == 2


def test_what_the_measured_notes_of_a_group_share_is_said_once():
    notes = Notes()
    a = _latency("m-a", "aaaa1111", "budget")
    b = _latency("m-b", "bbbb2222", "budget", batch=8)
    size = make_result("m-a", "size", {"params_m": 1.0, "flops_g": 2.0}, settings={"method": "count", "batch": 1})
    for result in (a, b, size):
        notes.add("measured", _measurement_key(result), describe_measurement(result), result.variant)
    shared = notes.shared("measured")
    assert set(shared) == {"CPU latency"}  # the size note is alone in its group: nothing to factor out
    assert ("backend", "ort-cpu") in shared["CPU latency"] and not any(k == "batch" for k, _ in shared["CPU latency"])
    first, second, third = list(notes)
    assert "batch=1" in first.text_without(shared) and "batch=8" in second.text_without(shared)
    assert "backend=" not in first.text_without(shared) and "backend=ort-cpu" in str(first.text)  # full text keeps it
    assert third.text_without(shared) == str(third.text)
    ((group, line),) = notes.shared_lines("measured")
    assert group == "CPU latency" and "settings: backend=ort-cpu" in line
