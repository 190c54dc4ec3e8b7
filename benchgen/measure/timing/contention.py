"""When a timing window counts as contended: the rule, as data, and the verdict it gives.

The thresholds are fixed, not options: a user should not have to tune them to get an honest
number, and a result is only comparable with another measured under the same rule. They are
stated on the methodology page.

- Other processes may keep at most 10 % of the machine's cores busy during a window. On a 2-core
  machine one competing single-threaded process takes 50 %, so this is far above background noise
  (a few tenths of a percent here) and far below anything that moves a latency by 10 %.
- Steal time (the hypervisor running other guests) may take at most 5 % of the capacity.
- The calibration probe may not change by more than 10 % between before and after.
- Within every slot, a short reference of known parallel speed-up (the calibration probe's graph,
  timed with the measurement's threads and with one: `calibration.SpeedupReference`) is read at
  both ends. A reading whose speed-up fell by more than 20 % below the session's normal one, or
  whose multi-thread time rose by more than 20 % above it, is a slow phase of the host (on the
  2-vCPU VMs: the second vCPU's speed-up gone for seconds, the probe 38 % slower within one 8-s
  timing), and the slot is timed again, as a contended one is. The noise of a 3-run reading is a
  few percent; a slow phase moves it by 40-80 %.
- A variant's round medians may not spread by more than 25 % (slowest over fastest round), the
  way pyperf calls a run unstable when its spread is large: on this project's idle 2-core VM they
  spread by 1-18 %, and YOLOX-Nano's once by 58 % (4.5 ms in one round, 7.1 ms in the next two),
  which is no figure of the model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from benchgen.measure.timing.machine_load import LoadWindow


@dataclass(frozen=True)
class ContentionRule:
    max_others_share: float = 0.10
    max_steal_share: float = 0.05
    max_probe_drift: float = 0.10
    max_round_spread: float = 0.25
    #: a slot's reference reading may lose this share of the session's normal parallel speed-up...
    max_speedup_loss: float = 0.20
    #: ...or run this much slower than the session's normal multi-thread reading
    max_reference_slowdown: float = 0.20
    #: a contended window is timed again this many times after the machine went quiet
    max_retries: int = 2
    #: longest a whole measurement session may spend waiting for the machine to go quiet
    max_wait_s: float = 60.0
    #: length of one look at the machine while waiting
    poll_s: float = 1.0

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


RULE = ContentionRule()


@dataclass(frozen=True)
class Verdict:
    busy: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "machine quiet"


def judge_window(load: LoadWindow, rule: ContentionRule = RULE) -> Verdict:
    reasons = []
    if load.others_share > rule.max_others_share:
        reasons.append(f"other processes used {load.others_cores:.2f} of {load.cpus} cores "
                       f"(limit {rule.max_others_share:.0%})")
    if load.steal_share > rule.max_steal_share:
        reasons.append(f"the hypervisor stole {load.steal_share:.0%} of the CPU time (limit {rule.max_steal_share:.0%})")
    return Verdict(bool(reasons), tuple(reasons))


def judge_probe(before_ms: float, after_ms: float, rule: ContentionRule = RULE) -> Verdict:
    change = after_ms / before_ms - 1.0 if before_ms > 0 else 0.0
    if abs(change) > rule.max_probe_drift:
        return Verdict(True, (f"the calibration probe changed by {change:+.0%} during the measurement "
                              f"({before_ms:.3g} -> {after_ms:.3g} ms; limit ±{rule.max_probe_drift:.0%})",))
    return Verdict(False)


def judge_rounds(round_medians: list[float], rule: ContentionRule = RULE) -> Verdict:
    if len(round_medians) < 2 or min(round_medians) <= 0:
        return Verdict(False)
    spread = max(round_medians) / min(round_medians) - 1.0
    if spread > rule.max_round_spread:
        return Verdict(True, (f"its round medians spread by {spread:.0%} ({min(round_medians):.4g} to "
                              f"{max(round_medians):.4g} ms; limit {rule.max_round_spread:.0%})",))
    return Verdict(False)


def judge_reference(readings: list, normal, rule: ContentionRule = RULE) -> Verdict:
    """Whether the readings at a slot's ends (calibration.ReferenceReading) show a slow phase of the
    host against the session's `normal` reading (`calibration.normal_reading`); None: no reference."""
    if normal is None:
        return Verdict(False)
    reasons = []
    for when, reading in zip(("before", "after"), readings):
        if reading is None:
            continue
        if reading.speedup < normal.speedup * (1.0 - rule.max_speedup_loss):
            reasons.append(f"the host's slow phase {when} the slot: the reference's parallel speed-up was "
                           f"{reading.speedup:.2f}x against the session's {normal.speedup:.2f}x "
                           f"(limit -{rule.max_speedup_loss:.0%})")
        elif reading.multi_ms > normal.multi_ms * (1.0 + rule.max_reference_slowdown):
            reasons.append(f"the host's slow phase {when} the slot: the reference took {reading.multi_ms:.3g} ms "
                           f"against the session's {normal.multi_ms:.3g} ms (limit +{rule.max_reference_slowdown:.0%})")
    return Verdict(bool(reasons), tuple(reasons))


#: what each kind of reason this module (and the GPU clock check) writes is evidence of, for the
#: one-line summary of a refresh: (a phrase of the reason, the evidence's name)
EVIDENCE_KINDS = (("other processes used", "other processes' CPU"), ("hypervisor stole", "steal time"),
                  ("calibration probe changed", "probe drift"), ("host's slow phase", "slow phase"), ("round medians spread", "round spread"),
                  ("GPU throttled", "GPU throttling"))


def evidence_kind(reason: str) -> str:
    for phrase, kind in EVIDENCE_KINDS:
        if phrase in reason:
            return kind
    return "other"
