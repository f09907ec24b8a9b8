"""The robfig/cron v3 port: parsing, robfig's error texts, activation times (robfig's own
spec_test.go tables), time zones against Python's zoneinfo, and a cross-check with croniter."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from engine.clock import parse_time
from engine.controllers.cronjob import tz
from engine.controllers.cronjob.cron import (DOM, DOW, HOURS, MINUTES, MONTHS, SECONDS, STAR_BIT, CronError,
                                             ConstantDelaySchedule, SpecSchedule, get_bits, get_field, get_range,
                                             parse_go_duration, parse_standard, with_time_zone)

S = 1_000_000


def _t(text: str) -> int:
    """robfig's getTime: `Mon Jul 9 15:00 2012` (UTC) or `2012-03-11T00:00:00-0500`."""
    for fmt in ("%a %b %d %H:%M %Y", "%a %b %d %H:%M:%S %Y"):
        try:
            return int(dt.datetime.strptime(text, fmt).replace(tzinfo=dt.timezone.utc).timestamp()) * S
        except ValueError:
            pass
    return int(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp()) * S


def six(spec: str, zone=tz.UTC) -> SpecSchedule:
    """robfig's parser with seconds (the day of week optional), for its own test tables."""
    f = spec.split()
    if len(f) == 5:
        f.append("*")
    return SpecSchedule(get_field(f[0], SECONDS), get_field(f[1], MINUTES), get_field(f[2], HOURS),
                        get_field(f[3], DOM), get_field(f[4], MONTHS), get_field(f[5], DOW), zone)


# --- parser_test.go ----------------------------------------------------------------------------------

@pytest.mark.parametrize("expr,lo,hi,want", [
    ("5", 0, 7, 1 << 5), ("0", 0, 7, 1 << 0), ("7", 0, 7, 1 << 7),
    ("5-5", 0, 7, 1 << 5), ("5-6", 0, 7, 1 << 5 | 1 << 6), ("5-7", 0, 7, 1 << 5 | 1 << 6 | 1 << 7),
    ("5-6/2", 0, 7, 1 << 5), ("5-7/2", 0, 7, 1 << 5 | 1 << 7), ("5-7/1", 0, 7, 1 << 5 | 1 << 6 | 1 << 7),
    ("*", 1, 3, 1 << 1 | 1 << 2 | 1 << 3 | STAR_BIT), ("*/2", 1, 3, 1 << 1 | 1 << 3),
])
def test_get_range(expr, lo, hi, want):
    from engine.controllers.cronjob.cron import Bounds

    assert get_range(expr, Bounds(lo, hi)) == want


@pytest.mark.parametrize("expr,lo,hi,err", [
    ("5--5", 0, 0, "too many hyphens"), ("jan-x", 0, 0, "failed to parse int from"), ("2-x", 1, 5, "failed to parse int from"),
    ("*/-12", 0, 0, "negative number"), ("*//2", 0, 0, "too many slashes"), ("1", 3, 5, "below minimum"),
    ("6", 3, 5, "above maximum"), ("5-3", 3, 5, "beyond end of range"), ("*/0", 0, 0, "should be a positive number"),
])
def test_get_range_errors(expr, lo, hi, err):
    from engine.controllers.cronjob.cron import Bounds

    with pytest.raises(CronError, match=err):
        get_range(expr, Bounds(lo, hi))


def test_fields_and_bits():
    assert get_field("5", MINUTES) == 1 << 5
    assert get_field("5,6", MINUTES) == 1 << 5 | 1 << 6
    assert get_field("5,6,7", MINUTES) == 1 << 5 | 1 << 6 | 1 << 7
    assert get_field("1,5-7/2,3", MINUTES) == 1 << 1 | 1 << 5 | 1 << 7 | 1 << 3
    assert get_bits(0, 7, 2) == 1 << 0 | 1 << 2 | 1 << 4 | 1 << 6
    assert get_bits(1, 7, 2) == 1 << 1 | 1 << 3 | 1 << 5 | 1 << 7
    assert get_bits(0, 59, 1) == (1 << 60) - 1


@pytest.mark.parametrize("spec,message", [
    ("", "empty spec string"),
    ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
    ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
    ("60 * * * *", "end of range (60) above maximum (59): 60"),
    ("* 24 * * *", "end of range (24) above maximum (23): 24"),
    ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("* * 32 * *", "end of range (32) above maximum (31): 32"),
    ("* * * 13 *", "end of range (13) above maximum (12): 13"),
    ("* * * * 7", "end of range (7) above maximum (6): 7"),
    ("xyz * * * *", 'failed to parse int from xyz: strconv.Atoi: parsing "xyz": invalid syntax'),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ("@unknown", "unrecognized descriptor: @unknown"),
    ("@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'),
    ("@every 5x", 'failed to parse duration @every 5x: time: unknown unit "x" in duration "5x"'),
    ("TZ=Nowhere/City * * * * *", "provided bad location Nowhere/City: unknown time zone Nowhere/City"),
])
def test_parse_errors_are_robfigs(spec, message):
    with pytest.raises(CronError) as e:
        parse_standard(spec)
    assert str(e.value) == message


def test_standard_spec_and_descriptors():
    s = parse_standard("5 * * * *")
    assert (s.second, s.minute, s.hour, s.dom, s.month, s.dow) == (
        1, 1 << 5, get_field("*", HOURS), get_field("*", DOM), get_field("*", MONTHS), get_field("*", DOW))
    assert parse_standard("@midnight") == parse_standard("@daily")
    assert parse_standard("@annually") == parse_standard("@yearly")
    assert parse_standard("CRON_TZ=UTC @hourly") == parse_standard("@hourly")
    assert parse_standard("* * * * ?") == parse_standard("* * * * *")  # ? is a star
    assert parse_standard("0 0 * jan-MAR mon-fri") == parse_standard("0 0 * 1-3 1-5")
    assert parse_standard("@every 1h30m") == ConstantDelaySchedule(90 * 60 * S)
    assert parse_standard("@every 500ms") == ConstantDelaySchedule(S)  # at least a second
    assert parse_standard("@every 1.5s") == ConstantDelaySchedule(S)  # sub-second part truncated


def test_go_durations():
    assert parse_go_duration("1h2m3s") == 3723 * 10**9
    assert parse_go_duration("1.5h") == 5400 * 10**9
    assert parse_go_duration("-3m") == -180 * 10**9
    assert parse_go_duration("0") == 0
    for bad in ("", "h", "1", "1q"):
        with pytest.raises(CronError):
            parse_go_duration(bad)


# --- spec_test.go TestActivation and TestNext --------------------------------------------------------

ACTIVATION = [
    ("Mon Jul 9 15:00 2012", "0 0/15 * * *", True), ("Mon Jul 9 15:45 2012", "0 0/15 * * *", True),
    ("Mon Jul 9 15:40 2012", "0 0/15 * * *", False), ("Mon Jul 9 15:05 2012", "0 5/15 * * *", True),
    ("Mon Jul 9 15:20 2012", "0 5/15 * * *", True), ("Mon Jul 9 15:50 2012", "0 5/15 * * *", True),
    ("Sun Jul 15 15:00 2012", "0 0/15 * * Jul", True), ("Sun Jul 15 15:00 2012", "0 0/15 * * Jun", False),
    ("Sun Jul 15 08:30 2012", "0 30 08 ? Jul Sun", True), ("Sun Jul 15 08:30 2012", "0 30 08 15 Jul ?", True),
    ("Mon Jul 16 08:30 2012", "0 30 08 ? Jul Sun", False), ("Mon Jul 16 08:30 2012", "0 30 08 15 Jul ?", False),
    ("Sun Jul 15 00:00 2012", "0 * * 1,15 * Sun", True), ("Fri Jun 15 00:00 2012", "0 * * 1,15 * Sun", True),
    ("Wed Aug 1 00:00 2012", "0 * * 1,15 * Sun", True), ("Sun Jul 15 00:00 2012", "0 * * * * Mon", False),
    ("Sun Jul 15 00:00 2012", "0 * * */10 * Sun", True), ("Mon Jul 9 00:00 2012", "0 * * 1,15 * *", False),
    ("Sun Jul 15 00:00 2012", "0 * * 1,15 * *", True), ("Sun Jul 15 00:00 2012", "0 * * */2 * Sun", True),
]


@pytest.mark.parametrize("time,spec,active", ACTIVATION)
def test_activation(time, spec, active):
    t = _t(time)
    assert (six(spec).next(t - S) == t) is active


@pytest.mark.parametrize("time,spec,active", [
    ("Mon Jul 9 15:00 2012", "@hourly", True), ("Mon Jul 9 15:04 2012", "@hourly", False),
    ("Mon Jul 9 15:00 2012", "@daily", False), ("Mon Jul 9 00:00 2012", "@daily", True),
    ("Mon Jul 9 00:00 2012", "@weekly", False), ("Sun Jul 8 00:00 2012", "@weekly", True),
    ("Sun Jul 8 01:00 2012", "@weekly", False), ("Sun Jul 8 00:00 2012", "@monthly", False),
    ("Sun Jul 1 00:00 2012", "@monthly", True),
])
def test_descriptor_activation(time, spec, active):
    t = _t(time)
    assert (parse_standard(spec).next(t - S) == t) is active


NY = tz.load_zone("America/New_York")

NEXT = [
    ("Mon Jul 9 14:45 2012", "0 0/15 * * *", "Mon Jul 9 15:00 2012"),
    ("Mon Jul 9 14:59 2012", "0 0/15 * * *", "Mon Jul 9 15:00 2012"),
    ("Mon Jul 9 14:59:59 2012", "0 0/15 * * *", "Mon Jul 9 15:00 2012"),
    ("Mon Jul 9 15:45 2012", "0 20-35/15 * * *", "Mon Jul 9 16:20 2012"),
    ("Mon Jul 9 23:46 2012", "0 */15 * * *", "Tue Jul 10 00:00 2012"),
    ("Mon Jul 9 23:45 2012", "0 20-35/15 * * *", "Tue Jul 10 00:20 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * * *", "Tue Jul 10 00:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 1/2 * *", "Tue Jul 10 01:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 10-12 * *", "Tue Jul 10 10:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 1/2 */2 * *", "Thu Jul 11 01:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * 9-20 * *", "Wed Jul 10 00:20:15 2012"),
    ("Mon Jul 9 23:35:51 2012", "15/35 20-35/15 * 9-20 Jul *", "Wed Jul 10 00:20:15 2012"),
    ("Mon Jul 9 23:35 2012", "0 0 0 9 Apr-Oct ?", "Thu Aug 9 00:00 2012"),
    ("Mon Jul 9 23:35 2012", "0 0 0 */5 Apr,Aug,Oct Mon", "Wed Aug 1 00:00 2012"),  # v3: */5 is no star
    ("Mon Jul 9 23:35 2012", "0 0 0 */5 Oct Mon", "Mon Oct 1 00:00 2012"),
    ("Mon Jul 9 23:35 2012", "0 0 0 * Feb Mon", "Mon Feb 4 00:00 2013"),
    ("Mon Jul 9 23:35 2012", "0 0 0 * Feb Mon/2", "Fri Feb 1 00:00 2013"),
    ("Mon Dec 31 23:59:45 2012", "0 * * * * *", "Tue Jan 1 00:00:00 2013"),
    ("Mon Jul 9 23:35 2012", "0 0 0 29 Feb ?", "Mon Feb 29 00:00 2016"),
]


@pytest.mark.parametrize("start,spec,want", NEXT)
def test_next(start, spec, want):
    assert six(spec).next(_t(start)) == _t(want)


@pytest.mark.parametrize("start,spec,want", [  # robfig v3 spec_test.go, TZ=America/New_York
    ("2012-03-11T00:00:00-0500", "0 30 2 11 Mar ?", "2013-03-11T02:30:00-0400"),  # 02:30 does not exist in 2012
    ("2012-03-11T00:00:00-0500", "0 0 * * * ?", "2012-03-11T01:00:00-0500"),
    ("2012-03-11T01:00:00-0500", "0 0 * * * ?", "2012-03-11T03:00:00-0400"),
    ("2012-03-11T03:00:00-0400", "0 0 * * * ?", "2012-03-11T04:00:00-0400"),
    ("2012-03-11T04:00:00-0400", "0 0 * * * ?", "2012-03-11T05:00:00-0400"),
    ("2012-03-11T00:00:00-0500", "0 0 1 * * ?", "2012-03-11T01:00:00-0500"),
    ("2012-03-11T01:00:00-0500", "0 0 1 * * ?", "2012-03-12T01:00:00-0400"),
    ("2012-03-11T00:00:00-0500", "0 0 2 * * ?", "2012-03-12T02:00:00-0400"),  # skipped that night
    ("2012-11-04T00:00:00-0400", "0 30 2 04 Nov ?", "2012-11-04T02:30:00-0500"),
    ("2012-11-04T01:45:00-0400", "0 30 1 04 Nov ?", "2012-11-04T01:30:00-0500"),  # the repeated hour
    ("2012-11-04T00:00:00-0400", "0 0 * * * ?", "2012-11-04T01:00:00-0400"),
    ("2012-11-04T01:00:00-0400", "0 0 * * * ?", "2012-11-04T01:00:00-0500"),
    ("2012-11-04T01:00:00-0500", "0 0 * * * ?", "2012-11-04T02:00:00-0500"),
    ("2012-11-04T00:00:00-0400", "0 0 1 * * ?", "2012-11-04T01:00:00-0400"),  # 1 am runs twice
    ("2012-11-04T01:00:00-0400", "0 0 1 * * ?", "2012-11-04T01:00:00-0500"),
    ("2012-11-04T01:00:00-0500", "0 0 1 * * ?", "2012-11-05T01:00:00-0500"),
    ("2012-11-04T00:00:00-0400", "0 0 2 * * ?", "2012-11-04T02:00:00-0500"),
    ("2012-11-04T02:00:00-0500", "0 0 2 * * ?", "2012-11-05T02:00:00-0500"),
    ("2012-11-04T00:00:00-0400", "0 0 3 * * ?", "2012-11-04T03:00:00-0500"),
    ("2012-11-04T03:00:00-0500", "0 0 3 * * ?", "2012-11-05T03:00:00-0500"),
    ("2012-11-04T00:00:00-0400", "0 0 3 3 * ?", "2012-12-03T03:00:00-0500"),
])
def test_next_across_daylight_saving_in_new_york(start, spec, want):
    assert six(spec, NY).next(_t(start)) == _t(want)


@pytest.mark.parametrize("start,spec,want", [  # robfig issue 157: midnight does not exist in Sao Paulo
    ("2018-10-17T05:00:00-0400", "0 0 9 10 * ?", "2018-11-10T06:00:00-0500"),
    ("2018-02-14T05:00:00-0500", "0 0 9 22 * ?", "2018-02-22T07:00:00-0500"),
])
def test_next_when_midnight_does_not_exist(start, spec, want):
    assert six(spec, tz.load_zone("America/Sao_Paulo")).next(_t(start)) == _t(want)


@pytest.mark.parametrize("spec", ["0 0 0 30 Feb ?", "0 0 0 31 Apr ?"])
def test_unsatisfiable_schedules_have_no_next(spec):
    assert six(spec).next(_t("Mon Jul 9 23:35 2012")) is None


def test_time_zone_prefix_and_spec_time_zone():
    s = parse_standard(with_time_zone("0 9 * * *", "Asia/Tokyo"))
    assert s.next(parse_time("2026-01-01T00:00:00Z")) == parse_time("2026-01-02T00:00:00Z")  # 09:00 JST
    assert with_time_zone("0 9 * * *", None) == "0 9 * * *"
    assert with_time_zone("0 9 * * *", "Not/AZone") == "0 9 * * *"
    assert with_time_zone("TZ=UTC 0 9 * * *", "Asia/Tokyo") == "TZ=UTC 0 9 * * *"


def test_constant_delay_rounds_to_the_second():
    assert parse_standard("@every 1h").next(5 * S + 123) == 3605 * S


# --- time zones against zoneinfo -----------------------------------------------------------------------

ZONES = ["America/New_York", "Europe/Berlin", "Europe/Dublin", "Australia/Sydney", "Asia/Kolkata", "Asia/Kathmandu",
         "America/Sao_Paulo", "Pacific/Chatham", "America/Santiago", "Africa/Casablanca", "Asia/Tokyo", "UTC"]


@pytest.mark.parametrize("name", ZONES)
def test_zone_offsets_agree_with_zoneinfo(name):
    zone, ref = tz.load_zone(name), zoneinfo.ZoneInfo(name)
    start = int(dt.datetime(1995, 1, 1, tzinfo=dt.timezone.utc).timestamp())
    for i in range(0, 60 * 365 * 86_400 // 7, 86_400 * 3 + 3607):  # about 60 years, hourly offsets stirred in
        t = start + i * 7 // 1
        want = int(dt.datetime.fromtimestamp(t, dt.timezone.utc).astimezone(ref).utcoffset().total_seconds())
        assert zone.offset(t) == want, (name, t)


def test_zone_loading_errors_are_gos():
    with pytest.raises(tz.ZoneError, match="^unknown time zone Mars/Base$"):
        tz.load_zone("Mars/Base")
    with pytest.raises(tz.ZoneError, match="^time: invalid location name$"):
        tz.load_zone("../etc/passwd")
    assert tz.load_zone("") is tz.UTC and tz.load_zone("UTC") is tz.UTC


def test_posix_rules():
    rule = tz.parse_posix("CET-1CEST,M3.5.0,M10.5.0/3")
    summer, winter = parse_time("2030-07-01T00:00:00Z") // S, parse_time("2030-01-01T00:00:00Z") // S
    assert (rule.offset(summer), rule.offset(winter)) == (7200, 3600)
    assert tz.parse_posix("<+0545>-5:45").offset(summer) == 5 * 3600 + 45 * 60
    south = tz.parse_posix("AEST-10AEDT,M10.1.0,M4.1.0/3")
    assert (south.offset(summer), south.offset(winter)) == (36000, 39600)


# --- croniter, where it agrees with robfig -------------------------------------------------------------

@pytest.mark.parametrize("spec", ["*/1 * * * *", "0 * * * *", "*/5 * * * *", "30 6-16/4 * * 1-5", "0 12 * * 4",
                                  "15 10 1,15 * *", "0 0 1 */3 *", "5 4 * * sun", "0 22 * * 1-5", "0 0 29 2 *",
                                  "0 0 13 * 5", "@hourly", "@daily", "@weekly", "@monthly", "@yearly"])
def test_next_agrees_with_croniter(spec):
    croniter = pytest.importorskip("croniter").croniter
    t = parse_time("2016-05-19T10:00:00Z")
    it = croniter(spec, dt.datetime.fromtimestamp(t // S, dt.timezone.utc))
    ours = parse_standard(spec)
    for _ in range(20):  # robfig gives up after five years without a match: stay well before 2100
        want = int(it.get_next(dt.datetime).timestamp()) * S
        t = ours.next(t)
        assert t == want, spec
