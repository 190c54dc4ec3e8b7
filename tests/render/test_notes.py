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
    assert "onnx_sha256" not in note.text and "stop_reason" not in note.text and "batch=1" in note.text


def test_another_setting_is_another_note():
    notes = Notes()
    for result in (_latency("m-a", "aaaa1111", "budget"), _latency("m-b", "bbbb2222", "budget", batch=8)):
        notes.add("measured", _measurement_key(result), describe_measurement(result), result.variant)
    assert len(list(notes)) == 2
