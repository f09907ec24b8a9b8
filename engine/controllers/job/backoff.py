"""Pod failure backoff (`backoff_utils.go`): when the Job may create pods again after failures.

Upstream keeps, per Job and in memory, the failures since the last success and the time of the
latest failure, updated from the pods that finish. Memory here lives on the objects, and the
finished pods of a Job stay until the Job goes, so the same record is derived from them: the
failures that finished after the latest success (all of them when none succeeded), and the
latest failure's finish time (upstream's `getFinishedTime`: the containers' latest finishedAt,
else the Ready=False transition, else deletionTimestamp minus the grace period, else the
creationTimestamp).

The delay is 10 s doubling per failure after the first, capped at `MAX_BACKOFF_US`: 6 min as the
Job documentation states and the code did up to 1.26 (current upstream code caps at 10 min).
"""

from __future__ import annotations

import attrs

from engine.clock import parse_time

from .util import is_pod_failed, phase

SECOND = 1_000_000
DEFAULT_BACKOFF_US = 10 * SECOND  # DefaultJobPodFailureBackOff
MAX_BACKOFF_US = 360 * SECOND  # MaxJobPodFailureBackOff: 6 min (upstream's current code: 10 min)


@attrs.frozen
class BackoffRecord:
    failures_after_last_success: int = 0
    last_failure_time: int | None = None


def _t(text) -> int | None:
    if not text:
        return None
    try:
        return parse_time(str(text))
    except ValueError:
        return None


def finished_time(pod: dict) -> int:
    status = pod.get("status") or {}
    latest = None
    statuses = status.get("containerStatuses") or []
    for cs in statuses:
        term = (cs.get("state") or {}).get("terminated")
        t = _t((term or {}).get("finishedAt"))
        if term is None or t is None:
            latest = None
            break
        latest = t if latest is None or t > latest else latest
    if statuses and latest is not None:
        return latest
    for c in status.get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "False" and _t(c.get("lastTransitionTime")) is not None:
            return _t(c.get("lastTransitionTime"))  # type: ignore[return-value]
    meta = pod["metadata"]
    deleted = _t(meta.get("deletionTimestamp"))
    if deleted is not None:
        return deleted - int(meta.get("deletionGracePeriodSeconds") or 0) * SECOND
    return _t(meta.get("creationTimestamp")) or 0


def record_from_times(succeeded: list[int], failed: list[int]) -> BackoffRecord:
    """The record for pods that succeeded and failed at these times (upstream's vectors)."""
    last_success = max(succeeded) if succeeded else None
    after = [t for t in failed if last_success is None or t > last_success]
    if not after:
        return BackoffRecord()
    return BackoffRecord(len(after), max(after))


def record_for(job: dict, pods: list[dict]) -> BackoffRecord:
    succeeded = [finished_time(p) for p in pods if phase(p) == "Succeeded"]
    failed = [finished_time(p) for p in pods if phase(p) != "Succeeded" and is_pod_failed(p, job)]
    return record_from_times(succeeded, failed)


def remaining(record: BackoffRecord, now: int, base: int = DEFAULT_BACKOFF_US, cap: int = MAX_BACKOFF_US) -> int:
    """`getRemainingTimeForFailuresCount`: microseconds to wait before creating pods again."""
    n = record.failures_after_last_success
    if n == 0 or record.last_failure_time is None:
        return 0
    delay = base
    for _ in range(1, n):
        delay *= 2
        if delay >= cap:
            delay = cap
            break
    elapsed = now - record.last_failure_time
    if delay < elapsed:
        return 0
    return delay - elapsed
