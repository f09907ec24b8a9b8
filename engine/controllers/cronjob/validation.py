"""CronJob schedule and time zone validation in upstream's words (`pkg/apis/batch/validation`):
`validateScheduleFormat` (robfig's parse error verbatim; TZ/CRON_TZ in the schedule refused unless
the stored schedule already had it) and `validateTimeZone` (on create, or when it changes).
Called from engine/pipeline/validation/kinds.py at the CronJob marker."""

from __future__ import annotations

import re
from typing import Any, Mapping

from engine.errors import FieldError

from .cron import CronError, parse_standard
from .tz import ZoneError, load_zone

_TZ_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def validate_schedule(schedule: str, time_zone: Any, old_schedule: str | None, path: str = "spec.schedule") -> list[FieldError]:
    errs: list[FieldError] = []
    try:
        parse_standard(schedule)
    except CronError as e:
        errs.append(FieldError("Invalid", path, schedule, str(e)))
    allow_tz = old_schedule is not None and "TZ" in old_schedule
    if allow_tz and "TZ" in schedule and time_zone is not None:
        errs.append(FieldError("Invalid", path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
    elif not allow_tz and "TZ" in schedule:
        errs.append(FieldError("Invalid", path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    return errs


def validate_time_zone(time_zone: Any, path: str = "spec.timeZone") -> list[FieldError]:
    if time_zone is None:
        return []
    tz = str(time_zone)
    if not tz:
        return [FieldError("Invalid", path, tz, "timeZone must be nil or non-empty string")]
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_PART.match(part):
            return [FieldError("Invalid", path, tz, f"unknown time zone {tz}")]
    errs = []
    if tz.lower() == "local":
        errs.append(FieldError("Invalid", path, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
    try:
        load_zone(tz)
    except ZoneError as e:
        errs.append(FieldError("Invalid", path, tz, str(e)))
    return errs


def validate_cronjob_schedule(spec: Mapping[str, Any], old_spec: Mapping[str, Any] | None) -> list[FieldError]:
    """The schedule's format (when set) and the time zone (on create or change)."""
    schedule = spec.get("schedule")
    errs: list[FieldError] = []
    if isinstance(schedule, str) and schedule:
        old_schedule = None if old_spec is None else str(old_spec.get("schedule") or "")
        errs += validate_schedule(schedule, spec.get("timeZone"), old_schedule)
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        errs += validate_time_zone(spec.get("timeZone"))
    return errs
