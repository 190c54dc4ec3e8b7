import datetime as dt
import json

import jsonschema
import pytest

from benchgen.errors import ResultsError
from benchgen.results import load_results, result_json_schema, write_result
from benchgen.results.provenance import collect_provenance
from benchgen.results.store import atomic_write_text, parse_json
from tests.conftest import make_result


def test_roundtrip_and_one_file_per_measurement(tmp_path):
    first = make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 12.5})
    second = make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 13.0},
                         when=dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc))
    p1, p2 = write_result(first, tmp_path), write_result(second, tmp_path)
    assert p1 != p2 and p1.parent == p2.parent
    assert p1.relative_to(tmp_path).parts[:3] == ("cpu-test-2c", "alpha-s", "latency-cpu")
    loaded = load_results(tmp_path)
    assert [r.metrics["latency_cpu_ms"] for r in loaded] == [12.5, 13.0]


def test_written_files_follow_the_published_schema(tmp_path):
    path = write_result(make_result("alpha-s", "accuracy", {"map50_95": 31.0}), tmp_path)
    jsonschema.validate(json.loads(path.read_text()), result_json_schema())


def test_corrupt_result_names_the_file(tmp_path):
    bad = tmp_path / "m" / "v" / "size" / "x.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{ not json")
    with pytest.raises(ResultsError, match="x.json"):
        load_results(tmp_path)


@pytest.mark.parametrize("text", ['{"a": 1, "a": 2}', '{"a": NaN, "b": -Infinity}', '{"a": 1e400}',
                                  '{"a": 123456789012345678901234567890}', '{"a": "\\ud800"}',
                                  '{"a": 0.1, "b": [1.0000000000000002, -0.0, 2.2250738585072011e-308]}'])
def test_results_parse_to_what_json_loads_builds(text):
    assert repr(parse_json(text)) == repr(json.loads(text))  # repr: nan != nan


@pytest.mark.parametrize("text", ['{"a": 1} x', '\ufeff{"a": 1}', '{"a": "tab\there"}', '{"a": 1,}', '{"a": nan}',
                                  '{"a": 01}', "{'a': 1}"])
def test_what_json_loads_rejects_is_rejected_with_its_message(text):
    with pytest.raises(json.JSONDecodeError) as raised:
        parse_json(text)
    with pytest.raises(json.JSONDecodeError) as reference:
        json.loads(text)
    assert str(raised.value) == str(reference.value)


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "out.json"

    def boom(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(target, "{}")
    assert list(tmp_path.iterdir()) == []


def test_provenance_describes_this_machine():
    prov = collect_provenance(command="benchgen test")
    assert prov.machine.cpu_count >= 1 and prov.machine.id
    assert "numpy" in prov.libraries
    assert prov.date.tzinfo is not None


def test_machine_ids_tell_apart_machines_with_the_same_cpu(tmp_path, monkeypatch):
    from benchgen.results.provenance import current_machine, host_id

    def machine_with_state(state):
        monkeypatch.setenv("BENCHGEN_STATE_DIR", str(state))
        monkeypatch.delenv("BENCHGEN_MACHINE_ID", raising=False)
        host_id.cache_clear()
        current_machine.cache_clear()
        try:
            return current_machine()
        finally:
            host_id.cache_clear()
            current_machine.cache_clear()

    first, again, other = (machine_with_state(tmp_path / d) for d in ("a", "a", "b"))
    assert first.id == again.id and first.host_id == again.host_id  # stable on one machine
    assert first.id != other.id and first.cpu == other.cpu and first.cpu_count == other.cpu_count
    assert first.id.endswith(f"-{first.host_id}") and first.host_id in first.label
    assert len((tmp_path / "a" / "machine-uuid").read_text().strip()) == 36
