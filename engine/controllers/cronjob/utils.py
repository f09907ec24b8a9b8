"""Upstream's `pkg/controller/cronjob/utils.go`: schedule times, job names, jobs from the template.

- `most_recent_schedule_time`: the last schedule time or creation time (`earliest`), the most
  recent time a Job should have been created (or None), and how many were missed (none, few, or
  many: more than 100), or an error for schedules that never fire twice (`59 23 31 2 *`). The
  count is upstream's approximation from the gap between the next two activations.
- `next_schedule_time`: that most recent time with `startingDeadlineSeconds` taken into account.
- `next_requeue_at`: when to look again (`nextScheduleTimeDuration`): the activation after the
  most recent one, plus upstream's 100 ms margin (`nextScheduleDelta`).
- `job_name`: `<cronjob>-<scheduled unix seconds / 60>`.
- `job_from_template`: the Job a CronJob creates (`getJobFromTemplate2`), with the
  `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation in the CronJob's zone.
- `by_job_start_time`: history order (startTime, unset last, then name).
"""

from __future__ import annotations

import attrs

from engine.clock import parse_time
from reducers.clone import clone

from .cron import SECOND, CronError, Schedule
from .tz import UTC, Zone, ZoneError, civil_from_days, load_zone

NEXT_SCHEDULE_DELTA = 100_000  # 100 ms, upstream's nextScheduleDelta
MANY_MISSED = 100
SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"

NONE_MISSED, FEW_MISSED, MANY = "none", "few", "many"


@attrs.frozen
class MostRecent:
    earliest: int
    most_recent: int | None
    missed: str = NONE_MISSED
    error: str | None = None


def _time(text) -> int | None:
    if not text:
        return None
    try:
        return parse_time(str(text))
    except ValueError:
        return None


def _round_seconds(us: int) -> int:
    """Go's Duration.Round(time.Second).Seconds() as an int: half away from zero."""
    if us >= 0:
        return (us + SECOND // 2) // SECOND
    return -((-us + SECOND // 2) // SECOND)


def most_recent_schedule_time(cj: dict, now: int, schedule: Schedule, include_sds: bool) -> MostRecent:
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    earliest = _time(cj["metadata"].get("creationTimestamp")) or 0
    last = _time(status.get("lastScheduleTime"))
    if last is not None:
        earliest = last
    sds = spec.get("startingDeadlineSeconds")
    if include_sds and sds is not None:
        deadline = now - int(sds) * SECOND
        if deadline > earliest:
            earliest = deadline
    t1 = schedule.next(earliest)
    t2 = schedule.next(t1) if t1 is not None else None
    if t1 is not None and now < t1:
        return MostRecent(earliest, None)
    if t1 is not None and t2 is not None and now < t2:
        return MostRecent(earliest, t1)
    gap = _round_seconds(t2 - t1) if t1 is not None and t2 is not None else 0
    if gap < 1:
        return MostRecent(earliest, None, NONE_MISSED, "time difference between two schedules is less than 1 second")
    elapsed = (now - t1) // SECOND
    missed_count = elapsed // gap + 1
    most_recent = None
    t = schedule.next(t1 + (missed_count - 2) * gap * SECOND)
    while t is not None and t <= now:
        most_recent = t
        t = schedule.next(t)
    missed = MANY if missed_count > MANY_MISSED else FEW_MISSED if missed_count > 0 else NONE_MISSED
    return MostRecent(earliest, most_recent, missed)


def next_schedule_time(cj: dict, now: int, schedule: Schedule) -> MostRecent:
    """`nextScheduleTime`: the unmet schedule time to act on now (most_recent), if any."""
    r = most_recent_schedule_time(cj, now, schedule, True)
    if r.most_recent is None or r.most_recent > now:
        return attrs.evolve(r, most_recent=None)
    return r


def next_requeue_at(cj: dict, now: int, schedule: Schedule) -> int | None:
    """`nextScheduleTimeDuration` as an absolute time; None when the schedule never fires again."""
    r = most_recent_schedule_time(cj, now, schedule, False)
    if r.error is not None:
        base = now
    elif r.most_recent is None:
        base = r.earliest if r.missed == NONE_MISSED else now
    else:
        base = r.most_recent
    nxt = schedule.next(base)
    return None if nxt is None else nxt + NEXT_SCHEDULE_DELTA


def job_name(cj: dict, scheduled: int) -> str:
    """`getJobName`: the CronJob's name and the scheduled time in minutes since the epoch."""
    return f"{cj['metadata']['name']}-{(scheduled // SECOND) // 60}"


def zone_of(cj: dict) -> Zone:
    tz = (cj.get("spec") or {}).get("timeZone")
    if tz is None:
        return UTC
    try:
        return load_zone(tz)
    except ZoneError:
        return UTC


def rfc3339_in(zone: Zone, at: int) -> str:
    """Go's `t.In(zone).Format(time.RFC3339)`: local wall time, `Z` for a zero offset."""
    secs = at // SECOND
    offset = zone.offset(secs)
    days, rem = divmod(secs + offset, 86_400)
    y, m, d = civil_from_days(days)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    if offset == 0:
        suffix = "Z"
    else:
        sign = "+" if offset > 0 else "-"
        oh, om = divmod(abs(offset) // 60, 60)
        suffix = f"{sign}{oh:02d}:{om:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}{suffix}"


_DAYS = ("Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc1123z(at: int) -> str:
    """Go's `t.UTC().Format(time.RFC1123Z)`: `Mon, 02 Jan 2006 15:04:05 -0700`."""
    secs = at // SECOND
    days, rem = divmod(secs, 86_400)
    y, m, d = civil_from_days(days)
    hh, rem = divmod(rem, 3600)
    mm, ss = divmod(rem, 60)
    return f"{_DAYS[days % 7]}, {d:02d} {_MONTHS[m - 1]} {y:04d} {hh:02d}:{mm:02d}:{ss:02d} +0000"


def controller_ref(cj: dict) -> dict:
    meta = cj["metadata"]
    return {"apiVersion": "batch/v1", "kind": "CronJob", "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def job_from_template(cj: dict, scheduled: int) -> dict:
    """`getJobFromTemplate2` (CronJobsScheduledAnnotation on, as by default since 1.28)."""
    template = (cj.get("spec") or {}).get("jobTemplate") or {}
    tmeta = template.get("metadata") or {}
    meta: dict = {"name": job_name(cj, scheduled), "namespace": cj["metadata"].get("namespace", "")}
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    annotations = dict(tmeta.get("annotations") or {})
    annotations[SCHEDULED_TIMESTAMP] = rfc3339_in(zone_of(cj), scheduled)
    meta["annotations"] = annotations
    meta["ownerReferences"] = [controller_ref(cj)]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": clone(template.get("spec") or {})}


def job_reference(job: dict) -> dict:
    """`ref.GetReference` of a Job: what status.active lists."""
    meta = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "namespace": meta.get("namespace", ""),
            "resourceVersion": meta.get("resourceVersion", ""), "uid": meta.get("uid", "")}


def finished_condition(job: dict) -> str | None:
    """`getFinishedStatus`: "Complete" or "Failed" when that condition is True, else None."""
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c["type"]
    return None


def by_job_start_time(jobs: list[dict]) -> list[dict]:
    """Oldest startTime first, jobs without one last, equal times by name (`byJobStartTime`)."""
    def key(j: dict):
        start = _time((j.get("status") or {}).get("startTime"))
        return (start is None, start or 0, j["metadata"]["name"])

    return sorted(jobs, key=key)


def schedule_error(err: Exception) -> str:
    return str(err) if isinstance(err, (CronError, ZoneError)) else repr(err)
