"""GPU clocks and throttling as NVML reports them, and the decision whether a timing was throttled.

NVML comes from nvidia-ml-py (``import pynvml``), an optional import: without it, or without a
GPU it can open, nothing is sampled and the result says the check was not made. The decision
itself (`throttle_check`) works on plain `ClockSample` records, so it is tested on the CPU from
recorded samples.

A timing is throttled when, in any sample taken while it ran (right after warm-up, during the
timed runs, right after the last one), NVML names an active slowdown reason (power cap, thermal or
hardware slowdown, power brake), or the SM clock sat below `MIN_CLOCK_RATIO` of its maximum while
the GPU was busy. Idle, application-clock, sync-boost and display-clock reasons are not
slowdowns of a running kernel and are ignored.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

#: NVML clocks-event (formerly "throttle") reason bits that slow a running kernel down
SLOWDOWN_REASONS: dict[int, str] = {
    0x4: "sw_power_cap",
    0x8: "hw_slowdown",
    0x20: "sw_thermal_slowdown",
    0x40: "hw_thermal_slowdown",
    0x80: "hw_power_brake_slowdown",
}
#: reasons that do not mean a slowed kernel (the GPU is idle, or clocks are set on purpose)
BENIGN_REASONS: dict[int, str] = {
    0x1: "gpu_idle",
    0x2: "applications_clocks_setting",
    0x10: "sync_boost",
    0x100: "display_clock_setting",
}
#: SM clock below this share of its maximum, on a busy GPU, counts as throttled even without a reason bit
MIN_CLOCK_RATIO = 0.75


@dataclass(frozen=True)
class ClockSample:
    """One NVML reading; None where NVML could not say."""

    label: str  # "before", "during-3", "after"
    sm_mhz: int | None = None
    max_sm_mhz: int | None = None
    mem_mhz: int | None = None
    reasons: int | None = None  # NVML clocks-event reason bit mask
    temperature_c: int | None = None
    power_w: float | None = None

    def reason_names(self) -> list[str]:
        if self.reasons is None:
            return []
        known = {**SLOWDOWN_REASONS, **BENIGN_REASONS}
        names = [name for bit, name in sorted(known.items()) if self.reasons & bit]
        unknown = self.reasons & ~sum(known)
        return names + ([f"0x{unknown:x}"] if unknown else [])

    def as_dict(self) -> dict[str, Any]:
        record = {k: v for k, v in asdict(self).items() if v is not None}
        if self.reasons is not None:
            record["reasons"] = self.reason_names()
        return record


@dataclass
class ThrottleCheck:
    checked: bool
    throttled: bool = False
    evidence: list[str] = field(default_factory=list)
    samples: list[ClockSample] = field(default_factory=list)
    note: str | None = None  # why the check could not be made

    def as_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"checked": self.checked, "throttled": self.throttled, "evidence": self.evidence,
                                  "samples": [s.as_dict() for s in self.samples],
                                  "min_clock_ratio": MIN_CLOCK_RATIO}
        if self.note:
            record["note"] = self.note
        return record


def sample_evidence(sample: ClockSample) -> list[str]:
    """Why this one sample says the GPU was slowed down; empty if it does not."""
    evidence = []
    clocks = (f"SM {sample.sm_mhz} of {sample.max_sm_mhz} MHz" if sample.sm_mhz is not None
              and sample.max_sm_mhz else None)
    context = ", ".join(x for x in (clocks, f"{sample.temperature_c} °C" if sample.temperature_c is not None else None,
                                    f"{sample.power_w:.0f} W" if sample.power_w is not None else None) if x)
    if sample.reasons is not None:
        active = [name for bit, name in sorted(SLOWDOWN_REASONS.items()) if sample.reasons & bit]
        if active:
            evidence.append(f"{sample.label}: {', '.join(active)} active" + (f" ({context})" if context else ""))
    idle = sample.reasons is not None and bool(sample.reasons & 0x1)
    if sample.sm_mhz is not None and sample.max_sm_mhz and not idle:
        ratio = sample.sm_mhz / sample.max_sm_mhz
        if ratio < MIN_CLOCK_RATIO:
            evidence.append(f"{sample.label}: SM clock {sample.sm_mhz} MHz is {ratio:.0%} of its maximum "
                            f"{sample.max_sm_mhz} MHz on a busy GPU")
    return evidence


def throttle_check(samples: list[ClockSample]) -> ThrottleCheck:
    """The verdict over every sample of one timing."""
    if not samples:
        return ThrottleCheck(checked=False, note="no clock samples")
    evidence = [line for sample in samples for line in sample_evidence(sample)]
    return ThrottleCheck(checked=True, throttled=bool(evidence), evidence=evidence, samples=list(samples))


class ClockMonitor(Protocol):
    available: bool
    note: str | None  # why nothing is sampled, when not available

    def sample(self, label: str) -> ClockSample | None:
        ...

    def driver(self) -> str | None:
        ...


class NoMonitor:
    """Where NVML is absent (or the device is the CPU): no samples, and the reason why."""

    available = False

    def __init__(self, note: str) -> None:
        self.note = note

    def sample(self, label: str) -> ClockSample | None:
        return None

    def driver(self) -> str | None:
        return None


class NvmlMonitor:
    """NVML readings of one GPU, found by PCI bus id (CUDA and NVML number devices differently)."""

    available = True
    note = None

    def __init__(self, nvml: Any, handle: Any) -> None:
        self.nvml, self.handle = nvml, handle

    @classmethod
    def open(cls, pci_bus_id: str | None = None, index: int = 0) -> "NvmlMonitor | NoMonitor":
        try:
            nvml = importlib.import_module("pynvml")
        except ImportError:
            return NoMonitor("clocks not read: nvidia-ml-py (pynvml) is not installed")
        try:
            nvml.nvmlInit()
            handle = (nvml.nvmlDeviceGetHandleByPciBusId(pci_bus_id) if pci_bus_id
                      else nvml.nvmlDeviceGetHandleByIndex(index))
        except Exception as exc:  # noqa: BLE001 - any NVML failure only means: no clock check
            return NoMonitor(f"clocks not read: NVML failed ({type(exc).__name__}: {exc})")
        return cls(nvml, handle)

    def _read(self, name: str, *args: Any) -> Any:
        function = getattr(self.nvml, name, None)
        if function is None:
            return None
        try:
            return function(self.handle, *args)
        except Exception:  # noqa: BLE001 - a counter this GPU does not expose
            return None

    def sample(self, label: str) -> ClockSample | None:
        nvml = self.nvml
        reasons = self._read("nvmlDeviceGetCurrentClocksEventReasons")
        if reasons is None:  # nvidia-ml-py before 12.535 only has the old name
            reasons = self._read("nvmlDeviceGetCurrentClocksThrottleReasons")
        power = self._read("nvmlDeviceGetPowerUsage")
        return ClockSample(
            label=label,
            sm_mhz=self._read("nvmlDeviceGetClockInfo", nvml.NVML_CLOCK_SM),
            max_sm_mhz=self._read("nvmlDeviceGetMaxClockInfo", nvml.NVML_CLOCK_SM),
            mem_mhz=self._read("nvmlDeviceGetClockInfo", nvml.NVML_CLOCK_MEM),
            reasons=int(reasons) if reasons is not None else None,
            temperature_c=self._read("nvmlDeviceGetTemperature", nvml.NVML_TEMPERATURE_GPU),
            power_w=power / 1000.0 if power is not None else None,
        )

    def driver(self) -> str | None:
        try:
            version = self.nvml.nvmlSystemGetDriverVersion()
        except Exception:  # noqa: BLE001
            return None
        return version.decode() if isinstance(version, bytes) else str(version)
