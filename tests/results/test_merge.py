import datetime as dt

from benchgen.results.merge import build_table, machines
from benchgen.results.schema import Machine
from tests.conftest import MACHINE, make_result

OTHER = Machine(id="gpu-h100", label="H100", cpu="x", cpu_count=16, os="Linux", python="3.11", gpu="H100")


def test_reported_only(make_registry):
    table = build_table(make_registry(), [], None)
    cell = table.row("alpha-s").cells["map50_95"]
    assert cell.origin == "reported" and cell.value == 40.0
    assert table.row("alpha-s").cells["latency_cpu_ms"].origin is None


def test_measured_wins_and_reported_is_kept(make_registry):
    results = [make_result("alpha-s", "accuracy", {"map50_95": 39.5}, machine=OTHER)]
    table = build_table(make_registry(), results, MACHINE)
    cell = table.row("alpha-s").cells["map50_95"]
    # accuracy does not depend on the machine: measured on OTHER, shown for MACHINE
    assert cell.origin == "measured" and cell.value == 39.5
    assert cell.preferred.value == 40.0


def test_latency_belongs_to_its_machine(make_registry):
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 20.0}, machine=OTHER)]
    table = build_table(make_registry(), results, MACHINE)
    assert table.row("alpha-s").cells["latency_cpu_ms"].value is None
    table = build_table(make_registry(), results, OTHER)
    assert table.row("alpha-s").cells["latency_cpu_ms"].value == 20.0


def test_latest_previous_and_failure(make_registry):
    t = lambda d: dt.datetime(2026, 1, d, tzinfo=dt.timezone.utc)  # noqa: E731
    results = [make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 10.0}, when=t(1)),
               make_result("alpha-s", "latency-cpu", {"latency_cpu_ms": 12.0}, when=t(2)),
               make_result("alpha-s", "latency-cpu", {}, when=t(3), status="failed", error="out of memory")]
    cell = build_table(make_registry(), results, MACHINE).row("alpha-s").cells["latency_cpu_ms"]
    assert cell.value == 12.0 and cell.previous.metrics["latency_cpu_ms"] == 10.0
    assert cell.failure is not None and cell.failure.error == "out of memory"


def test_machines_most_recent_first():
    results = [make_result("a", "latency-cpu", {"latency_cpu_ms": 1.0}, machine=OTHER,
                           when=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)),
               make_result("a", "latency-cpu", {"latency_cpu_ms": 1.0},
                           when=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)),
               make_result("a", "accuracy", {"map50_95": 1.0}, machine=Machine(
                   id="acc-only", label="x", cpu="x", cpu_count=1, os="x", python="x"))]
    assert [m.id for m in machines(results)] == [MACHINE.id, OTHER.id]


def test_a_reported_latency_column_prefers_its_reference_hardware_over_an_official_other_gpu():
    from benchgen.registry import ReportedValue
    from benchgen.results.merge import preferred_reported

    def value(v, hardware, official):
        return ReportedValue(value=v, source="https://example.org", source_name=hardware, official=official,
                             hardware=hardware)

    v100, t4 = value(6.2, "NVIDIA V100", True), value(8.0, "NVIDIA T4", False)
    assert preferred_reported([v100, t4], "latency_trt_ms") is t4
    assert preferred_reported([v100], "latency_trt_ms") is v100  # nothing else to show
    assert preferred_reported([v100, t4], "latency_cpu_ms") is v100  # no reference: official first
    assert preferred_reported([v100, t4]) is v100
