"""No NaN, infinity, negative or absurd value, and no mAP of random weights, can become a result or a
registry figure: each is an error naming the file and the field."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from pydantic import ValidationError

from benchgen.errors import RegistryError, ResultsError
from benchgen.registry import load_registry
from benchgen.results.store import read_result, write_result
from tests.conftest import family_doc, make_result, variant_doc, write_registry

BAD = [float("nan"), float("inf"), float("-inf"), -1.0, 0.0, 1e308]


@pytest.mark.parametrize("value", BAD)
def test_a_bad_latency_is_no_result(value):
    with pytest.raises(ValidationError, match="latency_cpu_ms"):
        make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": value})


@pytest.mark.parametrize("metric, value", [("map50_95", 100.5), ("map50_95", -0.1), ("params_m", -0.1),
                                           ("flops_g", 2e6)])
def test_implausible_values_for_their_unit(metric, value):
    kind = {"map50_95": "accuracy", "params_m": "size", "flops_g": "size"}[metric]
    with pytest.raises(ValidationError, match=metric):
        make_result("alpha-s", kind, {metric: value}, settings={"weights": "w.pth"})


def test_plausible_values_pass():
    make_result("alpha-s", "accuracy", {"map50_95": 0.0}, settings={"weights": "w.pth"})  # a real zero is a fact
    make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 0.004})
    make_result("alpha-s", "size", {"params_m": 0.9, "flops_g": 1.8})


def test_a_metric_of_another_kind_is_refused():
    with pytest.raises(ValidationError, match="do not belong"):
        make_result("alpha-s", "latency-cpu", {"params_m": 1.0})


def test_random_weights_map_is_not_a_measurement():
    with pytest.raises(ValidationError, match="random weights"):
        make_result("damo-yolo-t", "accuracy", {"map50_95": 0.0}, settings={"weights": "random (seed 0)"})


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-5.0", "1e308"])
def test_a_result_file_with_a_bad_value_names_the_file_and_field(tmp_path, text):
    path = write_result(make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0}), tmp_path)
    path.write_text(path.read_text().replace('"latency_cpu_ms": 10.0', f'"latency_cpu_ms": {text}'))
    with pytest.raises(ResultsError) as info:
        read_result(path)
    assert str(path) in str(info.value) and "latency_cpu_ms" in str(info.value)


@pytest.mark.parametrize("value", [".nan", ".inf", "-3.0", "1.0e+308"])
def test_a_registry_figure_with_a_bad_value_names_the_file_and_key(tmp_path, value):
    doc = family_doc("alpha", "Alpha", [variant_doc("alpha-s", "s", 40.0, 2.0, 10.0)])
    directory = write_registry(tmp_path / "reg", [doc])
    path = directory / "alpha.yaml"
    data = yaml.safe_load(path.read_text())
    data["variants"][0]["reported"]["latency_trt_ms"][0]["value"] = "PLACEHOLDER"
    path.write_text(yaml.safe_dump(data, sort_keys=False).replace("PLACEHOLDER", value))
    with pytest.raises(RegistryError) as info:
        load_registry(directory)
    message = str(info.value)
    assert "alpha.yaml" in message and "latency_trt_ms" in message


def test_eval_refuses_random_weights_before_any_export(tmp_path, monkeypatch):
    from benchgen.cli import main

    monkeypatch.setenv("BENCHGEN_CACHE_DIR", str(tmp_path / "cache"))
    code = main(["eval", "damo-yolo-t", "--results", str(tmp_path / "results")])
    assert code == 2 and not (tmp_path / "results").exists() and not (tmp_path / "cache").exists()


def test_json_of_a_result_never_holds_nan(tmp_path):
    path = write_result(make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0}), tmp_path)
    json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in {path}"))


def test_every_metric_has_a_plausible_range():
    from benchgen.metrics import METRICS

    for metric in METRICS.values():
        low, high, _ = metric.plausible
        assert low < high and metric.implausible(high * 10) is not None, metric.id


def _dated(tmp_path, date: str):
    path = write_result(make_result("alpha-s", "size", {"params_m": 1.0, "flops_g": 1.0}), tmp_path)
    doc = json.loads(path.read_text())
    doc["provenance"]["date"] = date
    path.write_text(json.dumps(doc))
    return path


def test_a_result_dated_in_the_future_is_refused_naming_the_file_and_the_fix(tmp_path):
    path = _dated(tmp_path, "2999-01-01T00:00:00Z")
    with pytest.raises(ResultsError) as info:
        read_result(path)
    message = str(info.value)
    assert message.startswith(f"{path}: provenance.date: 2999-01-01 00:00 UTC is in the future")
    assert "set that machine's clock and re-run the measurement, or delete the file" in message
    assert "\n" not in message


@pytest.mark.parametrize("ahead, refused", [(dt.timedelta(hours=23), False), (dt.timedelta(hours=25), True)])
def test_a_clock_skew_of_up_to_a_day_is_allowed(tmp_path, ahead, refused):
    when = dt.datetime.now(dt.timezone.utc) + ahead
    for text in (when.isoformat(), when.replace(tzinfo=None).isoformat()):  # a naive date is UTC
        path = _dated(tmp_path, text)
        if refused:
            with pytest.raises(ResultsError, match="in the future"):
                read_result(path)
        else:
            assert read_result(path).provenance.date.year == when.year
