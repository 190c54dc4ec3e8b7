"""When a refresh times again a latency that came out unstable, and what it says of those it leaves.

An unstable timing is never fresh: the pages show no figure of it. But re-timing it in every
refresh of a busy machine made each refresh take minutes and come out unstable again (seen on a
newcomer's laptop: 185 s for a refresh with nothing new, 3 variants unstable again), with nothing
telling the user when it would converge. So a job whose last timing with the same inputs came out
unstable is timed again only when there is a reason to expect better:

- `--retry-unstable` (or `--force`, or `--allow-busy`) asks for it;
- or the machine is quiet at the start of the refresh (one look, as the contention rule judges a
  window) and the job has come out unstable fewer than `MAX_AUTO_ATTEMPTS` times with these inputs.

Everything else is held back, listed at the end with the evidence that made it unstable and the
one command that re-times only those.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable

from benchgen.measure.timing.contention import Verdict, evidence_kind
from benchgen.metrics import KINDS
from benchgen.refresh.plan import Job
from benchgen.results.schema import Result, unstable_reasons

#: after this many unstable timings with the same inputs, only --retry-unstable times a job again
MAX_AUTO_ATTEMPTS = 2


def machine_quiet_now() -> Verdict:
    """One look at the machine, judged by the contention rule (a second; the rule's poll length)."""
    from benchgen.measure.timing import contention, machine_load

    rule = contention.RULE
    return contention.judge_window(machine_load.sample_window(machine_load.default_monitor(), rule.poll_s), rule)


def times(n: int) -> str:
    return f"{n} time{'s' if n != 1 else ''}"


def apply_backoff(jobs: list[Job], *, retry: bool,
                  quiet_now: Callable[[], Verdict] | None = None) -> dict[str, list[Job]]:
    """Hold back (mark not stale) the unstable jobs there is no reason to re-time now; return them by
    why they were held. The machine is looked at only when a job's decision depends on it."""
    if retry:
        return {}
    quiet_now = quiet_now or machine_quiet_now
    held: dict[str, list[Job]] = {}
    verdict: Verdict | None = None
    for job in jobs:
        if not job.stale or not job.unstable_attempts:
            continue
        tried = f"unstable {times(job.unstable_attempts)} with these inputs"
        if job.unstable_attempts >= MAX_AUTO_ATTEMPTS:
            why = f"unstable {MAX_AUTO_ATTEMPTS} or more times with the same inputs: held back until --retry-unstable"
        elif KINDS[job.kind].cpu_contention and (verdict := verdict or quiet_now()).busy:
            why = f"the machine is busy now ({verdict.text()})"
        else:
            job.reason = f"{tried}; the machine is quiet now, so timed again"
            continue
        job.stale, job.reason = False, f"{tried}; {why}"
        held.setdefault(why, []).append(job)
    return held


def still_unstable_line(results: Iterable[Result]) -> str | None:
    """One line for the end of a refresh: what is still unstable, the evidence that dominated, and
    the exact command that re-times only those."""
    results = list(results)
    if not results:
        return None
    kinds = Counter(evidence_kind(reason) for r in results for reason in unstable_reasons(r))
    what = ", ".join(dict.fromkeys(f"{r.variant} {r.kind}" for r in results))
    evidence = ", ".join(f"{kind} ({times(n)})" for kind, n in kinds.most_common()) or "no evidence recorded"
    only = " ".join(f"--only {v}" for v in dict.fromkeys(r.variant for r in results))
    return (f"still unstable: {what}; evidence: {evidence}; once the machine is quiet, re-time only those with: "
            f"benchgen refresh --retry-unstable {only}")
