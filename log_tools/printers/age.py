"""Human-readable durations and ages, exactly as apimachinery prints them.

`human_duration` is `k8s.io/apimachinery/pkg/util/duration.HumanDuration` (the AGE column, event
ages, job durations); `short_human_duration` is `ShortHumanDuration`. Both work on whole
nanoseconds with Go's truncating integer arithmetic, so boundaries such as 119.999s -> "119s"
and 2m -> "2m" come out as upstream's table tests say. Pure: the caller passes the current time.
"""

from __future__ import annotations

import datetime as _dt

_NS = 1_000_000_000
_MINUTE = 60 * _NS
_HOUR = 60 * _MINUTE


def _nanos(seconds: float) -> int:
    return int(round(seconds * _NS))


def _trunc_div(a: int, b: int) -> int:
    """Go's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def human_duration(seconds: float) -> str:
    """`duration.HumanDuration`: ~2-3 significant figures (`59s`, `2m5s`, `15m`, `3h20m`, `2d1h`, `2y3d`)."""
    d = _nanos(seconds)
    secs = _trunc_div(d, _NS)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60 * 2:
        return f"{secs}s"
    minutes = d // _MINUTE
    if minutes < 10:
        s = (d // _NS) % 60
        if s == 0:
            return f"{minutes}m"
        return f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = d // _HOUR
    if hours < 8:
        m = (d // _MINUTE) % 60
        if m == 0:
            return f"{hours}h"
        return f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        if h == 0:
            return f"{hours // 24}d"
        return f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        if dy == 0:
            return f"{hours // 24 // 365}y"
        return f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def short_human_duration(seconds: float) -> str:
    """`duration.ShortHumanDuration`: one unit only (`59s`, `1m`, `23h`, `364d`, `2y`)."""
    d = _nanos(seconds)
    secs = _trunc_div(d, _NS)
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60:
        return f"{secs}s"
    minutes = d // _MINUTE
    if minutes < 60:
        return f"{minutes}m"
    hours = d // _HOUR
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{hours // 24 // 365}y"


def parse_timestamp(ts: str | None) -> float | None:
    """RFC 3339 (`2024-01-01T00:00:00Z`, optional fraction or offset) -> unix seconds; None/"" -> None."""
    if not ts:
        return None
    s = ts.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    if "." in s:
        # Python 3.11 accepts up to 6 fractional digits; MicroTime and Go may carry 9.
        head, _, rest = s.partition(".")
        frac = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            frac += rest[i]
            i += 1
        s = head + ("." + (frac[:6].ljust(6, "0")) if frac else "") + rest[i:]
    dt = _dt.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.timezone.utc)
    return dt.timestamp()


def since(ts: str | None, now_unix: float) -> str:
    """`translateTimestampSince`: HumanDuration(now - ts), `<unknown>` for a zero/missing time."""
    t = parse_timestamp(ts)
    if t is None:
        return "<unknown>"
    return human_duration(now_unix - t)


def age(creation_timestamp: str | None, now_unix: float) -> str:
    """The AGE cell: `<unknown>` when the object has no creationTimestamp."""
    return since(creation_timestamp, now_unix)


def rfc1123z(ts: str | None) -> str:
    """Go's `time.RFC1123Z` layout (`Mon, 02 Jan 2006 15:04:05 -0700`), printed in UTC.

    kubectl prints these in the client's local zone; a pure function has no zone, so UTC.
    A missing time prints Go's zero time, as kubectl does for an unset metav1.Time.
    """
    t = parse_timestamp(ts)
    if t is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    dt = _dt.datetime.fromtimestamp(t, tz=_dt.timezone.utc)
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return (
        f"{days[dt.weekday()]}, {dt.day:02d} {months[dt.month - 1]} {dt.year:04d} "
        f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} +0000"
    )


def rfc3339(ts: str | None) -> str:
    """`Time.UTC().Format(time.RFC3339)` (the server's default `CREATED AT` column)."""
    t = parse_timestamp(ts)
    if t is None:
        return "0001-01-01T00:00:00Z"
    dt = _dt.datetime.fromtimestamp(int(t // 1), tz=_dt.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
