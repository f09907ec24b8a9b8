"""CronJob schedule arithmetic against upstream's utils_test.go vectors (k8s-semantics.md section 6):
mostRecentScheduleTime, nextScheduleTime, nextScheduleTimeDuration, byJobStartTime, job names."""

from __future__ import annotations

import pytest

from engine.clock import parse_time, rfc3339
from engine.controllers.cronjob import utils
from engine.controllers.cronjob.cron import parse_standard

S = 1_000_000
M = 60 * S
H = 60 * M
T = parse_time("2016-05-19T10:00:00Z")  # a Thursday


def cj(created, last=None, sds=None, schedule="0 * * * *"):
    c = {"metadata": {"name": "mycronjob", "namespace": "default", "uid": "u", "creationTimestamp": rfc3339(created)},
         "spec": {"schedule": schedule}, "status": {}}
    if last is not None:
        c["status"]["lastScheduleTime"] = rfc3339(last)
    if sds is not None:
        c["spec"]["startingDeadlineSeconds"] = sds
    return c


# TestMostRecentScheduleTime
@pytest.mark.parametrize("schedule,created,last,sds,include,now,earliest,recent,missed", [
    ("0 * * * *", T, None, None, False, T + 30 * S, T, None, "none"),
    ("0 * * * *", T, None, None, False, T + 61 * M, T, T + 60 * M, "none"),
    ("0 * * * *", T + 10 * S, None, None, False, T + 301 * M, T + 10 * S, T + 300 * M, "few"),
    ("30 6-16/4 * * 1-5", T, T + 30 * M, None, False, T + 24 * H + 31 * M, T + 30 * M, T + 24 * H + 30 * M, "few"),
    ("30 10,11,12 * * 1-5", T, T + 30 * M, None, False, T + 30 * H + 30 * M, T + 30 * M, None, "few"),
    ("30 6-16/4 * * 1-5", T, T + 30 * M, None, False, T + 96 * H + 31 * M, T + 30 * M, T + 96 * H + 30 * M, "few"),
    ("30 6-16/4 * * 1-5", T, None, None, False, T + 24 * H + 31 * M, T, T + 24 * H + 30 * M, "few"),
    ("@every 1h", T - 59 * M, T + M, 10, False, T + 7 * 24 * H, T + M, T + 6 * 24 * H + 23 * H + M, "many"),
    ("0 * * * *", T, T, None, False, T + 30 * S, T, None, "none"),
    ("*/5 * * * *", T, T + 30 * M, None, False, T + 31 * M, T + 30 * M, None, "none"),
    ("*/5 * * * *", T, T + 30 * M, 60, False, T + 31 * M, T + 30 * M, None, "none"),
    ("*/5 * * * *", T, T + 30 * M, 60, True, T + 32 * M, T + 31 * M, None, "none"),
])
def test_most_recent_schedule_time(schedule, created, last, sds, include, now, earliest, recent, missed):
    r = utils.most_recent_schedule_time(cj(created, last, sds, schedule), now, parse_standard(schedule), include)
    assert (r.earliest, r.most_recent, r.missed, r.error) == (earliest, recent, missed, None)


def test_schedules_that_never_repeat_are_an_error():
    r = utils.most_recent_schedule_time(cj(T + 10 * S), T + H, parse_standard("59 23 31 2 *"), False)
    assert r.error == "time difference between two schedules is less than 1 second"
    assert r.most_recent is None


# TestNextScheduleTimeDuration
@pytest.mark.parametrize("schedule,created,last,now,want", [
    ("30 6-16/4 * * 1-5", T, T + 30 * M, T + 24 * H + 31 * M, 3 * H + 59 * M),
    ("30 10,11,12 * * 1-5", T, T + 30 * M, T + 30 * H + 30 * M, 66 * H),
    ("0 12 * * 4", T, T + 2 * H, T + 19 * 24 * H + H + 30 * M, 48 * H + 30 * M),
    ("0 12 * * 5", T, None, T + 6 * H, 20 * H),
])
def test_next_schedule_time_duration(schedule, created, last, now, want):
    at = utils.next_requeue_at(cj(created, last, None, schedule), now, parse_standard(schedule))
    assert at - now == want + utils.NEXT_SCHEDULE_DELTA


# TestNextScheduleTime (`0 * * * ?`)
@pytest.mark.parametrize("created,last,sds,now,want", [
    (T - 10 * M, None, None, T - 7 * M, None),
    (T - 10 * M, None, None, T + 2 * S, T),
    (T - 10 * M, T, None, T + 2 * M, None),
    (T - 10 * M, T, None, T + H + 5 * M, T + H),
    (T - 2 * H, T - H, None, T + H + 5 * M, T + H),
    (T - 10 * M, T, None, T + H + 10 * 24 * H, "some"),
    (T - 10 * M, T, 7200, T + H + 10 * 24 * H, "some"),
])
def test_next_schedule_time(created, last, sds, now, want):
    got = utils.next_schedule_time(cj(created, last, sds, "0 * * * ?"), now, parse_standard("0 * * * ?")).most_recent
    if want == "some":
        assert got is not None
    else:
        assert got == want


def _job(name, start=None):
    j = {"metadata": {"name": name}, "status": {}}
    if start is not None:
        j["status"]["startTime"] = rfc3339(start)
    return j


# TestByJobStartTime
@pytest.mark.parametrize("given,want", [
    ([_job("b"), _job("a")], ["a", "b"]),
    ([_job("a"), _job("b", T)], ["b", "a"]),
    ([_job("a", T), _job("b")], ["a", "b"]),
    ([_job("b", T), _job("a", T)], ["a", "b"]),
    ([_job("a", T + M), _job("b", T)], ["b", "a"]),
])
def test_by_job_start_time(given, want):
    assert [j["metadata"]["name"] for j in utils.by_job_start_time(given)] == want


def test_job_name_is_the_scheduled_minute():
    assert utils.job_name(cj(T), parse_time("2016-05-19T10:00:00Z")) == "mycronjob-24394200"


def test_job_from_template_copies_labels_annotations_and_spec():
    c = cj(T)
    c["spec"]["jobTemplate"] = {"metadata": {"labels": {"a": "b"}, "annotations": {"x": "y"}},
                                "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    c["spec"]["timeZone"] = "Asia/Tokyo"
    job = utils.job_from_template(c, T)
    assert job["metadata"]["name"] == "mycronjob-24394200"
    assert job["metadata"]["labels"] == {"a": "b"}
    assert job["metadata"]["annotations"] == {"x": "y", "batch.kubernetes.io/cronjob-scheduled-timestamp": "2016-05-19T19:00:00+09:00"}
    assert job["metadata"]["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "mycronjob",
                                                   "uid": "u", "controller": True, "blockOwnerDeletion": True}]
    assert job["spec"] == c["spec"]["jobTemplate"]["spec"] and job["spec"] is not c["spec"]["jobTemplate"]["spec"]


def test_times_as_go_formats_them():
    assert utils.rfc3339_in(utils.zone_of(cj(T)), T) == "2016-05-19T10:00:00Z"
    assert utils.rfc1123z(T) == "Thu, 19 May 2016 10:00:00 +0000"
