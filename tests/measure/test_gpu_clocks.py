"""The throttle decision from recorded NVML-like samples, and the NVML reader against a fake pynvml."""

from __future__ import annotations

import sys
import types

from benchgen.measure.timing.gpu_clocks import ClockSample, NoMonitor, NvmlMonitor, throttle_check

IDLE, APP_CLOCKS, POWER_CAP, HW_SLOWDOWN, SYNC_BOOST, SW_THERMAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20


def busy(label: str, sm: int = 1980, reasons: int = 0, **extra) -> ClockSample:
    return ClockSample(label=label, sm_mhz=sm, max_sm_mhz=1980, mem_mhz=2619, reasons=reasons, **extra)


def test_full_clocks_and_no_reason_is_not_throttled():
    check = throttle_check([busy("before"), busy("during-1", sm=1965), busy("after")])
    assert check.checked and not check.throttled and check.evidence == []


def test_a_thermal_slowdown_after_timing_is_throttled_with_the_evidence():
    check = throttle_check([busy("before"), busy("after", sm=1410, reasons=SW_THERMAL, temperature_c=87,
                                                  power_w=402.0)])
    assert check.throttled
    assert check.evidence[0].startswith("after: sw_thermal_slowdown active (SM 1410 of 1980 MHz, 87 °C, 402 W)")
    record = check.as_dict()
    assert record["throttled"] and record["samples"][1]["reasons"] == ["sw_thermal_slowdown"]


def test_power_cap_and_hardware_slowdown_count():
    assert throttle_check([busy("during-2", reasons=POWER_CAP)]).throttled
    assert throttle_check([busy("before", reasons=HW_SLOWDOWN)]).throttled


def test_benign_reasons_are_not_slowdowns():
    check = throttle_check([busy("before", reasons=APP_CLOCKS | SYNC_BOOST), busy("after", reasons=APP_CLOCKS)])
    assert not check.throttled


def test_a_low_clock_on_a_busy_gpu_counts_even_without_a_reason_bit():
    check = throttle_check([busy("before"), busy("during-1", sm=900)])
    assert check.throttled and "during-1: SM clock 900 MHz is 45% of its maximum 1980 MHz" in check.evidence[0]


def test_an_idle_gpu_at_low_clocks_is_not_a_throttled_timing():
    assert not throttle_check([busy("after", sm=345, reasons=IDLE)]).throttled


def test_missing_counters_decide_nothing():
    check = throttle_check([ClockSample(label="before"), ClockSample(label="after", reasons=None, sm_mhz=1000)])
    assert check.checked and not check.throttled


def test_no_samples_means_not_checked():
    check = throttle_check([])
    assert not check.checked and not check.throttled and check.note


def test_reason_names_keep_unknown_bits():
    assert busy("x", reasons=SW_THERMAL | 0x4000).reason_names() == ["sw_thermal_slowdown", "0x4000"]


def fake_pynvml(reasons_name: str = "nvmlDeviceGetCurrentClocksEventReasons") -> types.SimpleNamespace:
    calls = []
    module = types.SimpleNamespace(
        NVML_CLOCK_SM=0, NVML_CLOCK_MEM=1, NVML_TEMPERATURE_GPU=0,
        nvmlInit=lambda: calls.append("init"),
        nvmlDeviceGetHandleByPciBusId=lambda bus: ("handle", bus),
        nvmlDeviceGetHandleByIndex=lambda index: ("handle", index),
        nvmlDeviceGetClockInfo=lambda h, clock: {0: 1755, 1: 2619}[clock],
        nvmlDeviceGetMaxClockInfo=lambda h, clock: 1980,
        nvmlDeviceGetTemperature=lambda h, sensor: 61,
        nvmlDeviceGetPowerUsage=lambda h: 250_500,
        nvmlSystemGetDriverVersion=lambda: b"570.86.15",
        calls=calls,
    )
    setattr(module, reasons_name, lambda h: SW_THERMAL)
    return module


def test_nvml_monitor_reads_clocks_reasons_temperature_power_and_driver(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml())
    monitor = NvmlMonitor.open("00000000:3B:00.0")
    assert monitor.available and monitor.handle == ("handle", "00000000:3B:00.0")
    sample = monitor.sample("before")
    assert (sample.sm_mhz, sample.max_sm_mhz, sample.mem_mhz, sample.temperature_c) == (1755, 1980, 2619, 61)
    assert sample.power_w == 250.5 and sample.reasons == SW_THERMAL
    assert monitor.driver() == "570.86.15"


def test_nvml_monitor_falls_back_to_the_old_throttle_reasons_call(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml("nvmlDeviceGetCurrentClocksThrottleReasons"))
    assert NvmlMonitor.open().sample("after").reasons == SW_THERMAL


def test_without_pynvml_or_a_working_nvml_nothing_is_sampled(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails
    monitor = NvmlMonitor.open()
    assert isinstance(monitor, NoMonitor) and "nvidia-ml-py" in monitor.note and monitor.sample("x") is None
    broken = fake_pynvml()

    def fail():
        raise RuntimeError("NVML Shared Library Not Found")

    broken.nvmlInit = fail
    monkeypatch.setitem(sys.modules, "pynvml", broken)
    monitor = NvmlMonitor.open()
    assert not monitor.available and "NVML Shared Library Not Found" in monitor.note
