"""Virtual time: RFC 3339 rendering and parsing, and kubectl-style durations.

Entry times are integer microseconds since the Unix epoch; objects show RFC 3339 with `Z`
at second precision, as Kubernetes' metav1.Time does.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re

_UTC = _dt.timezone.utc
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|h|m|s|d)")
_UNIT_US = {"d": 86_400_000_000, "h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000, "ms": 1_000, "us": 1}


@functools.lru_cache(maxsize=4096)
def rfc3339(at_us: int) -> str:
    """`2026-01-01T00:00:00Z` for a time in microseconds (seconds precision, like metav1.Time)."""
    return _dt.datetime.fromtimestamp(at_us // 1_000_000, _UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(at_us: int) -> str:
    """Microsecond form used by the log tools (`2026-01-01T00:00:00.000123Z`)."""
    return _dt.datetime.fromtimestamp(at_us / 1_000_000, _UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> int:
    """RFC 3339 (with `Z` or an offset) to microseconds; raises ValueError with the input named."""
    t = text.strip()
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1] + "+00:00"
    try:
        d = _dt.datetime.fromisoformat(t)
    except ValueError:
        raise ValueError(f'invalid time "{text}": expected RFC 3339, e.g. 2026-01-01T00:00:00Z') from None
    if d.tzinfo is None:
        raise ValueError(f'invalid time "{text}": a time zone is required, e.g. 2026-01-01T00:00:00Z')
    delta = d - _dt.datetime(1970, 1, 1, tzinfo=_UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def parse_duration(text: str) -> int:
    """`90s`, `5m`, `1h30m`, `250ms` (Go's time.ParseDuration units plus `d`) to microseconds."""
    s = text.strip()
    pos, total = 0, 0
    if not s:
        raise ValueError('invalid duration "": expected e.g. 90s, 5m, 1h30m')
    if s.isdigit():
        return int(s) * 1_000_000
    for m in _DURATION.finditer(s):
        if m.start() != pos:
            break
        total += int(float(m.group(1)) * _UNIT_US[m.group(2)])
        pos = m.end()
    if pos != len(s):
        raise ValueError(f'invalid duration "{text}": expected e.g. 90s, 5m, 1h30m')
    return total


def unix_seconds(at_us: int) -> float:
    return at_us / 1_000_000
