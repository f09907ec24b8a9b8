"""Time zones for cron schedules: UTC offsets of an IANA zone at a UTC instant, without `datetime`.

A CronJob's `spec.timeZone` is upstream's `time.LoadLocation(name)`: the IANA database read from
the system (`zoneinfo.TZPATH`, as Go reads /usr/share/zoneinfo) or, failing that, from the
`tzdata` package (Go's embedded copy). The controllers are pure code that may not use `datetime`
(tests/test_purity.py), and every Python zone API takes `datetime` objects, so this module reads
the TZif data itself (RFC 8536): the transition table, and the POSIX TZ rule of its footer for
instants after the table (modern "slim" files keep all future transitions in that rule).

The only question a schedule asks is `offset(utc_seconds)`; `civil` arithmetic (days from civil
dates and back, weekdays) lives here too so `cron.py` can do Go's `time.Date` normalisation.
Errors use Go's words: `unknown time zone X`, `time: invalid location name`.
"""

from __future__ import annotations

import functools
import importlib.resources
import struct
import zoneinfo
from pathlib import Path

import attrs

DAY = 86_400


class ZoneError(ValueError):
    """`time.LoadLocation`'s error, with Go's message."""


# --- civil calendar (proleptic Gregorian, Howard Hinnant's algorithms) -----------------------


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of year/month/day (month 1-12, any day offset allowed)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count since 1970-01-01."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def weekday(days: int) -> int:
    """0 = Sunday ... 6 = Saturday, for a day count since 1970-01-01 (a Thursday)."""
    return (days + 4) % 7


def is_leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if is_leap(y) else 28
    return 30 if m in (4, 6, 9, 11) else 31


# --- POSIX TZ rules (the TZif footer) ----------------------------------------------------------


@attrs.frozen
class _RuleDate:
    kind: str  # "J" (1-365, no Feb 29), "n" (0-365), "M" (month.week.day)
    a: int
    b: int = 0
    c: int = 0
    time: int = 7200  # seconds after local midnight (may be negative or above a day)

    def local_seconds(self, year: int) -> int:
        """Local wall-clock seconds since the epoch at which this rule fires in `year`."""
        if self.kind == "J":
            day = self.a - 1
            if is_leap(year) and self.a >= 60:
                day += 1
            days = days_from_civil(year, 1, 1) + day
        elif self.kind == "n":
            days = days_from_civil(year, 1, 1) + self.a
        else:
            month, week, dow = self.a, self.b, self.c
            first = days_from_civil(year, month, 1)
            day = first + (dow - weekday(first)) % 7 + (week - 1) * 7
            while day >= first + days_in_month(year, month):
                day -= 7
            days = day
        return days * DAY + self.time


@attrs.frozen
class PosixRule:
    std_offset: int  # seconds east of UTC
    dst_offset: int | None = None
    start: _RuleDate | None = None
    end: _RuleDate | None = None

    def offset(self, utc: int) -> int:
        if self.dst_offset is None or self.start is None or self.end is None:
            return self.std_offset
        year = civil_from_days((utc + self.std_offset) // DAY)[0]
        changes = []
        for y in (year - 1, year, year + 1):
            changes.append((self.start.local_seconds(y) - self.std_offset, True))
            changes.append((self.end.local_seconds(y) - self.dst_offset, False))
        changes.sort()
        dst = changes[0][1] is False  # before the first change: the state the first change leaves
        for at, to_dst in changes:
            if at > utc:
                break
            dst = to_dst
        return self.dst_offset if dst else self.std_offset


class _Cursor:
    def __init__(self, text: str):
        self.s, self.i = text, 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def take(self) -> str:
        c = self.peek()
        self.i += 1
        return c

    def done(self) -> bool:
        return self.i >= len(self.s)


def _name(cur: _Cursor) -> str:
    if cur.peek() == "<":
        cur.take()
        start = cur.i
        while cur.peek() not in (">", ""):
            cur.take()
        name = cur.s[start:cur.i]
        if cur.take() != ">":
            raise ValueError("unterminated <name>")
        return name
    start = cur.i
    while cur.peek().isalpha():
        cur.take()
    if cur.i - start < 3:
        raise ValueError("zone abbreviation too short")
    return cur.s[start:cur.i]


def _hms(cur: _Cursor, signed: bool) -> int:
    sign = 1
    if signed and cur.peek() in "+-" and cur.peek():
        sign = -1 if cur.take() == "-" else 1
    parts = []
    while True:
        start = cur.i
        while cur.peek().isdigit():
            cur.take()
        if cur.i == start:
            raise ValueError("number expected")
        parts.append(int(cur.s[start:cur.i]))
        if cur.peek() != ":" or len(parts) == 3:
            break
        cur.take()
    h, m, s = (parts + [0, 0])[:3]
    return sign * (h * 3600 + m * 60 + s)


def _rule_date(cur: _Cursor) -> _RuleDate:
    c = cur.peek()
    if c == "J":
        cur.take()
        kind, nums = "J", [_hms(cur, False) // 3600]
    elif c == "M":
        cur.take()
        nums = []
        for i in range(3):
            start = cur.i
            while cur.peek().isdigit():
                cur.take()
            nums.append(int(cur.s[start:cur.i]))
            if i < 2 and cur.take() != ".":
                raise ValueError("bad M rule")
        kind = "M"
    else:
        kind, nums = "n", [_hms(cur, False) // 3600]
    time = 7200
    if cur.peek() == "/":
        cur.take()
        time = _hms(cur, True)
    return _RuleDate(kind, *nums, time=time)


def parse_posix(text: str) -> PosixRule:
    """A POSIX TZ string (`CET-1CEST,M3.5.0,M10.5.0/3`, `<+0545>-5:45`); offsets east of UTC."""
    cur = _Cursor(text)
    _name(cur)
    std = -_hms(cur, True)
    if cur.done():
        return PosixRule(std)
    _name(cur)
    dst = std + 3600
    if cur.peek() not in (",", ""):
        dst = -_hms(cur, True)
    if cur.done():  # no rule: POSIX's default is US rules; TZif footers always carry one
        return PosixRule(std, dst, _RuleDate("M", 3, 2, 0), _RuleDate("M", 11, 1, 0))
    if cur.take() != ",":
        raise ValueError("rule expected")
    start = _rule_date(cur)
    if cur.take() != ",":
        raise ValueError("end rule expected")
    end = _rule_date(cur)
    return PosixRule(std, dst, start, end)


# --- zones --------------------------------------------------------------------------------------


@attrs.frozen
class Zone:
    """A location: the offset before any transition, the transition table, then the footer rule."""

    name: str
    initial: int = 0
    transitions: tuple[int, ...] = ()
    offsets: tuple[int, ...] = ()
    rule: PosixRule | None = None

    def offset(self, utc: int) -> int:
        """Seconds east of UTC in effect at the UTC instant `utc` (seconds since the epoch)."""
        ts = self.transitions
        if not ts or utc < ts[0]:
            return self.initial if ts or self.rule is None else self.rule.offset(utc)
        lo, hi = 0, len(ts)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if ts[mid] <= utc:
                lo = mid
            else:
                hi = mid
        if lo == len(ts) - 1 and self.rule is not None:
            return self.rule.offset(utc)
        return self.offsets[lo]


UTC = Zone("UTC")


def parse_tzif(name: str, data: bytes) -> Zone:
    """RFC 8536: the version 2+ (64-bit) block when present, else version 1."""
    if data[:4] != b"TZif":
        raise ZoneError(f"unknown time zone {name}")
    version = data[4:5]

    def header(at: int) -> tuple[int, ...]:
        return struct.unpack(">6l", data[at + 20:at + 44])

    isut, isstd, leap, timecnt, typecnt, charcnt = header(0)
    pos, width, fmt = 44, 4, ">%dl"
    if version >= b"2":
        pos += timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut
        isut, isstd, leap, timecnt, typecnt, charcnt = header(pos)
        pos, width, fmt = pos + 44, 8, ">%dq"
    times = struct.unpack(fmt % timecnt, data[pos:pos + timecnt * width])
    pos += timecnt * width
    idx = data[pos:pos + timecnt]
    pos += timecnt
    types = [struct.unpack(">lBB", data[pos + 6 * i:pos + 6 * i + 6]) for i in range(typecnt)]
    pos += typecnt * 6 + charcnt + leap * (width + 4) + isstd + isut
    rule = None
    if version >= b"2":
        footer = data[pos:].split(b"\n")
        if len(footer) >= 2 and footer[1]:
            try:
                rule = parse_posix(footer[1].decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                rule = None
    initial = types[0][0] if types else 0
    return Zone(name, initial, tuple(times), tuple(types[i][0] for i in idx), rule)


def _tzif_bytes(name: str) -> bytes | None:
    for base in zoneinfo.TZPATH:
        path = Path(base).joinpath(*name.split("/"))
        if path.is_file():
            return path.read_bytes()
    try:
        resource = importlib.resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
        if resource.is_file():
            return resource.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        return None
    return None


@functools.lru_cache(maxsize=256)
def load_zone(name: str) -> Zone:
    """`time.LoadLocation(name)`: "" and "UTC" are UTC; "Local" is the controller's zone (UTC here)."""
    if name in ("", "UTC", "Local"):
        return UTC
    if ".." in name or name[0] in "/\\":
        raise ZoneError("time: invalid location name")
    data = _tzif_bytes(name)
    if data is None:
        raise ZoneError(f"unknown time zone {name}")
    return parse_tzif(name, data)
