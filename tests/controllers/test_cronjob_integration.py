"""The CronJob controller in a whole cluster, on the virtual clock: concurrency policies with a
job that outlives its minute (`sleep 90`), history limits over an hour, startingDeadlineSeconds,
too many missed schedules, suspend, time zones, status, events, and the bad input refused."""

from __future__ import annotations

import pytest

from engine.clock import parse_time

from .test_job_builders import S, T0, at, cluster, conditions, cronjob, events, get, job, jobs, pods_of

MIN = 60 * S


def names(c):
    return sorted(j["metadata"]["name"] for j in jobs(c))


def minute_name(base, minute):
    """The Job name of the schedule time `minute` minutes after T0."""
    return f"{base}-{(T0 // S) // 60 + minute}"


def test_forbid_skips_the_overlapping_minute():
    c, cl = cluster()
    cl.create(cronjob("hello", "*/1 * * * *", "sleep 90", policy="Forbid"))
    c.advance(5 * MIN)
    # 00:01 starts and runs until 00:02:31; 00:02's slot waits, then runs late at 00:02:31 until
    # 00:04:02; 00:03 is never run; 00:04 runs late at 00:04:02.
    assert names(c) == [minute_name("hello", m) for m in (1, 2, 4)]
    created = {j["metadata"]["name"]: j["metadata"]["creationTimestamp"] for j in jobs(c)}
    assert created[minute_name("hello", 2)] == at(151) and created[minute_name("hello", 4)] == at(242)
    evs = events(c, "hello")
    assert ("JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid") in evs
    assert ("SawCompletedJob", f"Saw completed job: {minute_name('hello', 1)}, condition: Complete") in evs
    st = get(c, "cronjobs", "hello")["status"]
    assert st["lastScheduleTime"] == at(240) and st["lastSuccessfulTime"] == at(242)
    assert [a["name"] for a in st["active"]] == [minute_name("hello", 4)]


def test_replace_deletes_the_running_job_at_the_next_minute():
    c, cl = cluster()
    cl.create(cronjob("rep", "*/1 * * * *", "sleep 90", policy="Replace"))
    c.advance(3 * MIN + 30 * S)
    assert names(c) == [minute_name("rep", 3)]  # each minute's job replaced the one before
    evs = events(c, "rep")
    assert ("SuccessfulDelete", f"Deleted job {minute_name('rep', 1)}") in evs
    assert ("SuccessfulDelete", f"Deleted job {minute_name('rep', 2)}") in evs
    running = [p for p in pods_of(c, minute_name("rep", 3))]
    assert len(running) == 1 and [p for p in pods_of(c, minute_name("rep", 1))] == []
    assert [a["name"] for a in get(c, "cronjobs", "rep")["status"]["active"]] == [minute_name("rep", 3)]


def test_allow_runs_jobs_side_by_side():
    c, cl = cluster()
    cl.create(cronjob("par", "*/1 * * * *", "sleep 90"))
    c.advance(2 * MIN + 10 * S)
    st = get(c, "cronjobs", "par")["status"]
    assert [a["name"] for a in st["active"]] == [minute_name("par", 1), minute_name("par", 2)]


def test_history_limits_hold_after_an_hour():
    c, cl = cluster()
    cl.create(cronjob("hello", "*/1 * * * *", "date; echo Hello from the Kubernetes cluster"))
    cl.create(cronjob("broken", "*/1 * * * *", "exit 1", restart="Never", failedJobsHistoryLimit=1))
    cl.patch("cronjobs", "broken", {"spec": {"jobTemplate": {"spec": {"backoffLimit": 0}}}}, patch_type="merge")
    c.advance(60 * MIN + 30 * S)
    ok = sorted(j["metadata"]["name"] for j in jobs(c) if j["metadata"]["name"].startswith("hello-"))
    assert ok == [minute_name("hello", m) for m in (58, 59, 60)]
    assert all(conditions(get(c, "jobs", n))[-1][0] == "Complete" for n in ok)
    bad = [j for j in jobs(c) if j["metadata"]["name"].startswith("broken-")]
    assert [conditions(j)[-1][0] for j in bad] == ["Failed"] and len(bad) == 1
    st = get(c, "cronjobs", "hello")["status"]
    assert st["lastScheduleTime"] == at(3600) and "active" not in st
    assert st["lastSuccessfulTime"] == at(3601)
    assert len(pods_of(c, ok[0])) == 1
    old = minute_name("hello", 57)
    # Sixty distinct "Deleted job ..." messages: from the tenth on, client-go's EventAggregator
    # counts them on one combined event, whose message is the latest.
    assert ("SuccessfulDelete", f"(combined from similar events): Deleted job {old}") in events(c, "hello")
    assert pods_of(c, old) == []  # the garbage collector took the deleted jobs' pods


def test_history_limit_zero_keeps_no_finished_job():
    c, cl = cluster()
    cl.create(cronjob("none", "*/1 * * * *", "date", successfulJobsHistoryLimit=0))
    c.advance(3 * MIN + 30 * S)
    assert names(c) == []


def test_suspended_cronjob_creates_nothing_and_a_late_resume_skips_the_missed_slot():
    c, cl = cluster()
    cl.create(cronjob("late", "*/5 * * * *", "date", suspend=True, startingDeadlineSeconds=10))
    c.advance(7 * MIN)
    assert names(c) == []
    cl.patch("cronjobs", "late", {"spec": {"suspend": False}}, patch_type="merge")
    c.advance(1 * S)
    # Upstream looks for unmet times only after now - startingDeadlineSeconds, so the 00:05 slot
    # is simply not found (its MissSchedule check cannot fire on this path either).
    assert names(c) == [] and [e for e in events(c, "late") if e[0] == "MissSchedule"] == []
    c.advance(3 * MIN)
    assert names(c) == [minute_name("late", 10)]


def test_starting_deadline_allows_a_start_within_the_deadline():
    c, cl = cluster()
    cl.create(cronjob("edge", "*/5 * * * *", "date", suspend=True, startingDeadlineSeconds=10))
    c.advance(5 * MIN + 9 * S)
    cl.patch("cronjobs", "edge", {"spec": {"suspend": False}}, patch_type="merge")
    assert names(c) == [minute_name("edge", 5)]


def test_starting_deadline_reached_exactly_is_too_late():
    c, cl = cluster()
    cl.create(cronjob("edge", "*/5 * * * *", "date", suspend=True, startingDeadlineSeconds=10))
    c.advance(5 * MIN + 10 * S)
    cl.patch("cronjobs", "edge", {"spec": {"suspend": False}}, patch_type="merge")
    assert names(c) == []


def test_too_many_missed_start_times_warns_and_runs_the_latest():
    c, cl = cluster()
    cl.create(cronjob("lots", "*/1 * * * *", "date", suspend=True))
    c.advance(150 * MIN + 30 * S)
    cl.patch("cronjobs", "lots", {"spec": {"suspend": False}}, patch_type="merge")
    assert ("TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                                  "or check clock skew") in events(c, "lots")
    assert names(c) == [minute_name("lots", 150)]


def test_time_zone_schedules_and_annotates_in_that_zone():
    c, cl = cluster()
    spec = cronjob("tokyo", "0 9 * * *", "date")
    spec["spec"]["timeZone"] = "Asia/Tokyo"
    cl.create(spec)
    c.advance(24 * 60 * MIN + S)
    (j,) = jobs(c)
    scheduled = parse_time("2026-01-02T00:00:00Z")  # 09:00 in Tokyo
    assert j["metadata"]["name"] == f"tokyo-{scheduled // S // 60}"
    assert j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == "2026-01-02T09:00:00+09:00"


def test_job_carries_the_template_and_owner():
    c, cl = cluster()
    spec = cronjob("own", "*/1 * * * *", "date")
    spec["spec"]["jobTemplate"]["metadata"] = {"labels": {"app": "own"}, "annotations": {"team": "a"}}
    cj = cl.create(spec).obj
    c.advance(1 * MIN + S)
    (j,) = jobs(c)
    assert j["metadata"]["labels"]["app"] == "own" and j["metadata"]["annotations"]["team"] == "a"
    assert j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == at(60)
    assert j["metadata"]["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "own",
                                                 "uid": cj["metadata"]["uid"], "controller": True,
                                                 "blockOwnerDeletion": True}]
    assert ("SuccessfulCreate", f"Created job {j['metadata']['name']}") in events(c, "own")


def test_create_job_from_cronjob_is_not_counted_as_a_schedule():
    from log_tools.commands.batchcmds import job_from_cronjob

    c, cl = cluster()
    cj = cl.create(cronjob("src", "0 0 1 1 *", "date")).obj
    manual = job_from_cronjob("src-manual", get(c, "cronjobs", "src"))
    assert cl.create(manual).code == 201
    c.advance(10 * S)
    assert conditions(get(c, "jobs", "src-manual"))[-1][0] == "Complete"
    assert get(c, "jobs", "src-manual")["metadata"]["ownerReferences"][0]["uid"] == cj["metadata"]["uid"]
    assert "lastScheduleTime" not in get(c, "cronjobs", "src")["status"]


def test_deleting_a_cronjob_takes_its_jobs():
    c, cl = cluster()
    cl.create(cronjob("bye", "*/1 * * * *", "sleep 90"))
    c.advance(2 * MIN + 5 * S)
    assert len(names(c)) == 2
    cl.delete("cronjobs", "bye", propagation="Background")
    c.advance(1 * S)
    assert names(c) == [] and [p for p in pods_of(c, minute_name("bye", 1))] == []


def test_cronjob_logs_are_deterministic():
    def run():
        c, cl = cluster()
        cl.create(cronjob("d", "*/2 * * * *", "sleep 150", policy="Forbid"))
        c.advance(12 * MIN)
        from .test_job_builders import entries

        return [(e.seq, e.at, e.request.user, e.request.verb, e.request.name, e.outcome.digest) for e in entries(c)]

    assert run() == run()


# --- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("schedule,message", [
    ("*/1 * * *", 'spec.schedule: Invalid value: "*/1 * * *": expected exactly 5 fields, found 4: [*/1 * * *]'),
    ("61 * * * *", 'spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61'),
    ("@fortnightly", 'spec.schedule: Invalid value: "@fortnightly": unrecognized descriptor: @fortnightly'),
    ("TZ=UTC 0 * * * *", 'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, '
                         'use timeZone field instead'),
    ("", "spec.schedule: Required value"),
])
def test_invalid_schedules_are_refused_in_upstreams_words(schedule, message):
    _c, cl = cluster()
    r = cl.create(cronjob("bad", schedule, "date"))
    assert r.code == 422 and r.error.message == f'CronJob.batch "bad" is invalid: {message}'


@pytest.mark.parametrize("zone,message", [
    ("Mars/Olympus", 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'),
    ("Local", 'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in '
              'https://www.iana.org/time-zones'),
    ("", 'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'),
    ("a b", 'spec.timeZone: Invalid value: "a b": unknown time zone a b'),
])
def test_invalid_time_zones_are_refused(zone, message):
    _c, cl = cluster()
    spec = cronjob("bad", "0 * * * *", "date")
    spec["spec"]["timeZone"] = zone
    r = cl.create(spec)
    assert r.code == 422 and r.error.message == f'CronJob.batch "bad" is invalid: {message}'


def test_a_stored_tz_schedule_may_stay_but_not_with_a_time_zone():
    from engine.controllers.cronjob.validation import validate_cronjob_schedule

    assert validate_cronjob_schedule({"schedule": "TZ=UTC 0 * * * *"}, {"schedule": "TZ=UTC 5 * * * *"}) == []
    errs = validate_cronjob_schedule({"schedule": "TZ=UTC 0 * * * *", "timeZone": "UTC"},
                                     {"schedule": "TZ=UTC 0 * * * *", "timeZone": "UTC"})
    assert [e.detail for e in errs] == ["cannot use both timeZone field and TZ or CRON_TZ in schedule"]


def test_a_job_template_with_restart_policy_always_is_refused():
    _c, cl = cluster()
    r = cl.create(cronjob("bad", "0 * * * *", "date", restart="Always"))
    assert r.code == 422
    assert "spec.jobTemplate.spec.template.spec.restartPolicy: Required value" in r.error.message


def test_bad_job_spec_is_refused_before_any_schedule():
    c, cl = cluster()
    assert cl.create(job("x", ["echo"], parallelism=-2)).code == 422
    assert jobs(c) == []
