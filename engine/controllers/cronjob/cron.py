"""Cron schedules as Kubernetes reads them: a port of `github.com/robfig/cron/v3` v3.0.1.

Upstream parses `spec.schedule` with `cron.ParseStandard` (validation and the controller alike),
so the accepted language, the error texts and the next-time arithmetic are robfig's, not Vixie
cron's nor a Python library's:

- five fields (minute hour day-of-month month day-of-week), each a comma list of `*`, `?`
  (same as `*`, in any field), `N`, `N-M`, with an optional `/step` (`N/step` means `N-max/step`);
  month names `jan`..`dec` and weekday names `sun`..`sat` (any case); weekdays are 0-6
  (robfig v3 refuses 7 with `end of range (7) above maximum (6): 7`);
- descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly` and
  `@every <Go duration>` (a constant delay, at least 1 s, whole seconds);
- a `TZ=<zone> ` or `CRON_TZ=<zone> ` prefix (the API refuses it in new objects; the controller
  turns `spec.timeZone` into it, as upstream's `formatSchedule` does);
- day matching: when either day field starts with `*`/`?` (without a step above 1) both must
  match, otherwise either may (`dayMatches` and its star bit);
- `next(t)` is `SpecSchedule.Next`: the first activation strictly after `t`, found by walking
  month, day, hour, minute, second in the schedule's zone (with Go's `time.Date` normalisation,
  so daylight-saving gaps and overlaps behave as upstream), or None ("the zero time") when
  nothing matches within five years, e.g. `59 23 31 2 *`.

Why not croniter or another library: every Python cron library works on `datetime` objects,
which the pure controller layer may not import (tests/test_purity.py), and none reproduces
robfig's error messages (which the API returns verbatim) or its star-bit day rule exactly.
`tests/controllers/test_cronjob_cron.py` checks this port against robfig's own test tables and
against croniter (when installed) on the expressions both accept alike.

Times are integer microseconds since the epoch (the engine's clock), like everything else.
"""

from __future__ import annotations

import re

import attrs

from .tz import UTC, Zone, ZoneError, civil_from_days, days_from_civil, load_zone, weekday

SECOND = 1_000_000
STAR_BIT = 1 << 63


class CronError(ValueError):
    """A schedule robfig's parser refuses; the message is robfig's."""


@attrs.frozen
class Bounds:
    min: int
    max: int
    names: tuple[tuple[str, int], ...] = ()


SECONDS = Bounds(0, 59)
MINUTES = Bounds(0, 59)
HOURS = Bounds(0, 23)
DOM = Bounds(1, 31)
MONTHS = Bounds(1, 12, (("jan", 1), ("feb", 2), ("mar", 3), ("apr", 4), ("may", 5), ("jun", 6), ("jul", 7),
                        ("aug", 8), ("sep", 9), ("oct", 10), ("nov", 11), ("dec", 12)))
DOW = Bounds(0, 6, (("sun", 0), ("mon", 1), ("tue", 2), ("wed", 3), ("thu", 4), ("fri", 5), ("sat", 6)))

_MAX64 = (1 << 64) - 1


def get_bits(lo: int, hi: int, step: int) -> int:
    if step == 1:
        return ~(_MAX64 << (hi + 1)) & (_MAX64 << lo) & _MAX64
    bits = 0
    for i in range(lo, hi + 1, step):
        bits |= 1 << i
    return bits


def all_bits(r: Bounds) -> int:
    return get_bits(r.min, r.max, 1) | STAR_BIT


# --- Go's strconv.Atoi and time.ParseDuration, for their error texts --------------------------


def go_quote(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


_ATOI = re.compile(r"^[+-]?[0-9]+$")


def atoi(s: str) -> int:
    """`strconv.Atoi` (64-bit int)."""
    if not _ATOI.match(s):
        raise CronError(f"strconv.Atoi: parsing {go_quote(s)}: invalid syntax")
    n = int(s)
    if not -(2**63) <= n < 2**63:
        raise CronError(f"strconv.Atoi: parsing {go_quote(s)}: value out of range")
    return n


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
          "m": 60_000_000_000, "h": 3_600_000_000_000}


def parse_go_duration(s: str) -> int:
    """`time.ParseDuration`, in nanoseconds, with Go's error messages."""
    orig, neg = s, False
    if s[:1] in ("-", "+"):
        neg, s = s[0] == "-", s[1:]
    if s == "0":
        return 0
    if not s:
        raise CronError(f"time: invalid duration {go_quote(orig)}")
    total = 0
    while s:
        m = re.match(r"^([0-9]*)(\.([0-9]*))?", s)
        whole, frac = m.group(1), m.group(3)
        if not whole and not frac:
            raise CronError(f"time: invalid duration {go_quote(orig)}")
        s = s[m.end():]
        u = re.match(r"^[^0-9.]*", s).group(0)
        if not u:
            raise CronError(f"time: missing unit in duration {go_quote(orig)}")
        if u not in _UNITS:
            raise CronError(f"time: unknown unit {go_quote(u)} in duration {go_quote(orig)}")
        s = s[len(u):]
        unit = _UNITS[u]
        value = int(whole or "0") * unit
        if frac:
            value += int(frac) * unit // (10 ** len(frac))
        total += value
        if total > 2**63 - 1:
            raise CronError(f"time: invalid duration {go_quote(orig)}")
    return -total if neg else total


# --- parsing --------------------------------------------------------------------------------------


def _parse_int(expr: str) -> int:
    try:
        num = atoi(expr)
    except CronError as e:
        raise CronError(f"failed to parse int from {expr}: {e}") from None
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {expr}")
    return num


def _int_or_name(expr: str, r: Bounds) -> int:
    lowered = expr.lower()
    for name, value in r.names:
        if name == lowered:
            return value
    return _parse_int(expr)


def get_range(expr: str, r: Bounds) -> int:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end, extra = r.min, r.max, STAR_BIT
    else:
        start = _int_or_name(low_and_high[0], r)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], r)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if single:
            end = r.max
        if step > 1:
            extra = 0
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < r.min:
        raise CronError(f"beginning of range ({start}) below minimum ({r.min}): {expr}")
    if end > r.max:
        raise CronError(f"end of range ({end}) above maximum ({r.max}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return get_bits(start, end, step) | extra


def get_field(field: str, r: Bounds) -> int:
    bits = 0
    for expr in (x for x in field.split(",") if x):
        bits |= get_range(expr, r)
    return bits


@attrs.frozen
class SpecSchedule:
    second: int
    minute: int
    hour: int
    dom: int
    month: int
    dow: int
    zone: Zone = UTC

    def next(self, t: int) -> int | None:
        return _spec_next(self, t)


@attrs.frozen
class ConstantDelaySchedule:
    delay: int  # microseconds, a whole number of seconds, at least one

    def next(self, t: int) -> int | None:
        """`t + delay`, rounded down to the second (`ConstantDelaySchedule.Next`)."""
        return t + self.delay - t % SECOND


Schedule = SpecSchedule | ConstantDelaySchedule


def every(duration_ns: int) -> ConstantDelaySchedule:
    if duration_ns < 1_000_000_000:
        duration_ns = 1_000_000_000
    return ConstantDelaySchedule((duration_ns - duration_ns % 1_000_000_000) // 1000)


def _descriptor(spec: str, zone: Zone) -> Schedule:
    one = lambda r: 1 << r.min  # noqa: E731
    if spec in ("@yearly", "@annually"):
        return SpecSchedule(one(SECONDS), one(MINUTES), one(HOURS), one(DOM), one(MONTHS), all_bits(DOW), zone)
    if spec == "@monthly":
        return SpecSchedule(one(SECONDS), one(MINUTES), one(HOURS), one(DOM), all_bits(MONTHS), all_bits(DOW), zone)
    if spec == "@weekly":
        return SpecSchedule(one(SECONDS), one(MINUTES), one(HOURS), all_bits(DOM), all_bits(MONTHS), one(DOW), zone)
    if spec in ("@daily", "@midnight"):
        return SpecSchedule(one(SECONDS), one(MINUTES), one(HOURS), all_bits(DOM), all_bits(MONTHS), all_bits(DOW), zone)
    if spec == "@hourly":
        return SpecSchedule(one(SECONDS), one(MINUTES), all_bits(HOURS), all_bits(DOM), all_bits(MONTHS), all_bits(DOW), zone)
    prefix = "@every "
    if spec.startswith(prefix):
        try:
            return every(parse_go_duration(spec[len(prefix):]))
        except CronError as e:
            raise CronError(f"failed to parse duration {spec}: {e}") from None
    raise CronError(f"unrecognized descriptor: {spec}")


def parse_standard(spec: str) -> Schedule:
    """`cron.ParseStandard(spec)`: the schedule, or CronError with robfig's message."""
    if not spec:
        raise CronError("empty spec string")
    zone = UTC  # robfig's time.Local: kube-controller-manager's zone, UTC in a cluster
    if spec.startswith("TZ=") or spec.startswith("CRON_TZ="):
        i = spec.find(" ")
        eq = spec.find("=")
        name = spec[eq + 1:i] if i >= 0 else spec[eq + 1:]
        try:
            zone = load_zone(name)
        except ZoneError as e:
            raise CronError(f"provided bad location {name}: {e}") from None
        spec = spec[i:].strip() if i >= 0 else ""
    if spec.startswith("@"):
        return _descriptor(spec, zone)
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    return SpecSchedule(get_field("0", SECONDS), get_field(fields[0], MINUTES), get_field(fields[1], HOURS),
                        get_field(fields[2], DOM), get_field(fields[3], MONTHS), get_field(fields[4], DOW), zone)


def with_time_zone(schedule: str, time_zone: str | None) -> str:
    """`formatSchedule`: `TZ=<zone> <schedule>` when spec.timeZone names a loadable zone and the
    schedule carries no TZ of its own."""
    if "TZ" in schedule or time_zone is None:
        return schedule
    try:
        load_zone(time_zone)
    except ZoneError:
        return schedule
    return f"TZ={time_zone} {schedule}"


# --- SpecSchedule.Next ------------------------------------------------------------------------------


class _Local:
    """A Go time.Time in a location: the instant (us) and its wall-clock fields there."""

    __slots__ = ("zone", "t", "year", "month", "day", "hour", "minute", "second", "days")

    def __init__(self, zone: Zone, t: int):
        self.zone, self.t = zone, t
        secs = t // SECOND
        local = secs + zone.offset(secs)
        self.days, rem = divmod(local, 86_400)
        self.year, self.month, self.day = civil_from_days(self.days)
        self.hour, rem = divmod(rem, 3600)
        self.minute, self.second = divmod(rem, 60)

    @property
    def weekday(self) -> int:
        return weekday(self.days)


def go_date(zone: Zone, year: int, month: int, day: int, hour: int, minute: int, sec: int) -> int:
    """`time.Date(...)` in `zone`, fields normalised as Go does; the instant in microseconds."""
    y, m0 = divmod(month - 1, 12)
    local = (days_from_civil(year + y, m0 + 1, 1) + day - 1) * 86_400 + hour * 3600 + minute * 60 + sec
    offset = zone.offset(local)
    if offset != 0:
        offset = zone.offset(local - offset)
    return (local - offset) * SECOND


def _day_matches(s: SpecSchedule, t: _Local) -> bool:
    dom_match = (1 << t.day) & s.dom > 0
    dow_match = (1 << t.weekday) & s.dow > 0
    if s.dom & STAR_BIT or s.dow & STAR_BIT:
        return dom_match and dow_match
    return dom_match or dow_match


def _step(zone: Zone, cur: _Local, value: int, bits: int, unit: int, field: str) -> _Local:
    """robfig adds one minute (second) at a time until the field matches or wraps to 0; jump
    straight to the first of those steps that stops the loop. The jump is only taken when the
    zone's offset is the same at both ends (so the local field moved by exactly the steps
    counted); across a transition it falls back to a single step, as robfig does."""
    steps = 60 - value
    for v in range(value + 1, 60):
        if (1 << v) & bits:
            steps = v - value
            break
    if steps > 1:
        target = cur.t + steps * unit
        if zone.offset(target // SECOND) == zone.offset(cur.t // SECOND):
            nxt = _Local(zone, target)
            if getattr(nxt, field) == (value + steps) % 60:
                return nxt
    return _Local(zone, cur.t + unit)


def _spec_next(s: SpecSchedule, t: int) -> int | None:
    zone = s.zone
    t = t + SECOND - t % SECOND  # the upcoming second
    cur = _Local(zone, t)
    added = False
    year_limit = cur.year + 5
    while True:  # WRAP
        if cur.year > year_limit:
            return None
        wrapped = False
        while (1 << cur.month) & s.month == 0:
            if not added:
                added = True
                cur = _Local(zone, go_date(zone, cur.year, cur.month, 1, 0, 0, 0))
            cur = _Local(zone, go_date(zone, cur.year, cur.month + 1, cur.day, cur.hour, cur.minute, cur.second))
            if cur.month == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not _day_matches(s, cur):
            if not added:
                added = True
                cur = _Local(zone, go_date(zone, cur.year, cur.month, cur.day, 0, 0, 0))
            cur = _Local(zone, go_date(zone, cur.year, cur.month, cur.day + 1, cur.hour, cur.minute, cur.second))
            if cur.hour != 0:  # midnight may not exist on a daylight-saving day
                if cur.hour > 12:
                    cur = _Local(zone, cur.t + (24 - cur.hour) * 3600 * SECOND)
                else:
                    cur = _Local(zone, cur.t - cur.hour * 3600 * SECOND)
            if cur.day == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while (1 << cur.hour) & s.hour == 0:
            if not added:
                added = True
                cur = _Local(zone, go_date(zone, cur.year, cur.month, cur.day, cur.hour, 0, 0))
            cur = _Local(zone, cur.t + 3600 * SECOND)
            if cur.hour == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while (1 << cur.minute) & s.minute == 0:
            if not added:
                added = True
                cur = _Local(zone, cur.t - cur.t % (60 * SECOND))
            cur = _step(zone, cur, cur.minute, s.minute, 60 * SECOND, "minute")
            if cur.minute == 0:
                wrapped = True
                break
        if wrapped:
            continue
        while (1 << cur.second) & s.second == 0:
            if not added:
                added = True
                cur = _Local(zone, cur.t - cur.t % SECOND)
            cur = _step(zone, cur, cur.second, s.second, SECOND, "second")
            if cur.second == 0:
                wrapped = True
                break
        if wrapped:
            continue
        return cur.t
