"""The Job controller in a whole cluster: pods run on the simulated kubelets and the virtual clock.

The issue's checks (completions 5 / parallelism 3, backoffLimit), then the section 5 behaviours:
restart policies, activeDeadlineSeconds, suspend, Indexed jobs, the pod failure policy, the
tracking finalizer, TTL after finished, deletion, and the bad input the API refuses."""

from __future__ import annotations

import pytest

from engine.clock import parse_time
from engine.controllers.job.util import JOB_TRACKING_FINALIZER

from .test_job_builders import (S, T0, ActiveProbe, at, cluster, conditions, events, get, job, jobs, listed,
                                pods_of)

COMPLETE = [("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods"),
            ("Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods")]
BACKOFF = [("FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
           ("Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
DEADLINE = [("FailureTarget", "True", "DeadlineExceeded", "Job was active longer than specified deadline"),
            ("Failed", "True", "DeadlineExceeded", "Job was active longer than specified deadline")]


def test_completions_5_parallelism_3_never_runs_more_than_3_and_finishes_with_5():
    probe = ActiveProbe()
    c, cl = cluster(probe)
    assert cl.create(job("work", ["sh", "-c", "sleep 5"], completions=5, parallelism=3)).code == 201
    c.advance(60 * S)
    j = get(c, "jobs", "work")
    assert probe.max_active["work"] == 3
    assert conditions(j) == COMPLETE
    st = j["status"]
    assert (st["succeeded"], st.get("active", 0), st.get("failed", 0), st["ready"], st["terminating"]) == (5, 0, 0, 0, 0)
    assert st["uncountedTerminatedPods"] == {}
    assert st["startTime"] == at(0) and st["completionTime"] == at(12)  # 1 s start + 5 s, twice
    pods = pods_of(c, "work")
    assert len(pods) == 5 and all(p["status"]["phase"] == "Succeeded" for p in pods)
    assert not any(p["metadata"].get("finalizers") for p in pods)  # counted, then released
    created = sorted(e[1] for e in events(c, "work") if e[0] == "SuccessfulCreate")
    assert created == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)
    assert events(c, "work")[-1] == ("Completed", "Job completed")


def test_pods_carry_the_tracking_finalizer_and_the_job_labels_while_they_run():
    c, cl = cluster()
    created = cl.create(job("hello", ["sleep", "30"])).obj
    c.advance(2 * S)
    (pod,) = pods_of(c, "hello")
    meta = pod["metadata"]
    assert meta["finalizers"] == [JOB_TRACKING_FINALIZER]
    uid = created["metadata"]["uid"]
    assert {k: meta["labels"][k] for k in ("batch.kubernetes.io/job-name", "batch.kubernetes.io/controller-uid",
                                           "job-name", "controller-uid")} == \
        {"batch.kubernetes.io/job-name": "hello", "batch.kubernetes.io/controller-uid": uid,
         "job-name": "hello", "controller-uid": uid}
    assert meta["generateName"] == "hello-"
    assert meta["ownerReferences"][0] == {"apiVersion": "batch/v1", "kind": "Job", "name": "hello", "uid": uid,
                                          "controller": True, "blockOwnerDeletion": True}
    st = get(c, "jobs", "hello")["status"]
    assert (st["active"], st["ready"], st["terminating"]) == (1, 1, 0)


def test_failing_job_stops_at_backoff_limit_with_backoff_between_pods():
    c, cl = cluster()
    cl.create(job("fail", ["sh", "-c", "exit 1"], backoffLimit=2))
    c.advance(10 * 60 * S)
    j = get(c, "jobs", "fail")
    assert conditions(j) == BACKOFF
    assert j["status"]["failed"] == 3 and j["status"].get("active", 0) == 0
    created = sorted(parse_time(p["metadata"]["creationTimestamp"]) - T0 for p in pods_of(c, "fail"))
    # each pod fails 1 s after creation; the next waits 10 s, then 20 s (upstream's pod failure backoff)
    assert created == [0, 11 * S, 32 * S]
    assert events(c, "fail")[-1] == ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert all(p["status"]["phase"] == "Failed" and not p["metadata"].get("finalizers") for p in pods_of(c, "fail"))


def test_backoff_limit_0_fails_on_the_first_failure():
    c, cl = cluster()
    cl.create(job("once", ["sh", "-c", "exit 3"], backoffLimit=0))
    c.advance(60 * S)
    assert conditions(get(c, "jobs", "once")) == BACKOFF
    assert len(pods_of(c, "once")) == 1


def test_restart_policy_on_failure_restarts_in_place_until_the_limit():
    c, cl = cluster()
    cl.create(job("onf", ["sh", "-c", "exit 2"], restart="OnFailure", backoffLimit=3))
    c.advance(5 * 60 * S)
    j = get(c, "jobs", "onf")
    assert conditions(j) == BACKOFF
    # One pod whose container restarted in place (kubelet back-off 10 s, 20 s) until the restarts
    # reached the limit at 1 + 10 + 20 + ... s; then the Job failed and deleted it (counted failed).
    assert [e[0] for e in events(c, "onf")].count("SuccessfulCreate") == 1
    assert j["status"]["failed"] == 1 and pods_of(c, "onf") == []
    assert get(c, "pods", "dummy", group="") is None


def test_active_deadline_fails_the_job_exactly_at_the_deadline_and_deletes_its_pods():
    c, cl = cluster()
    cl.create(job("ads", ["sleep", "100"], activeDeadlineSeconds=10))
    c.advance(9 * S)
    assert conditions(get(c, "jobs", "ads")) == []
    c.advance(1 * S)
    j = get(c, "jobs", "ads")
    assert conditions(j) == DEADLINE
    assert j["status"]["failed"] == 1 and pods_of(c, "ads") == []
    assert ("DeadlineExceeded", "Job was active longer than specified deadline") in events(c, "ads")
    assert any(e[0] == "SuccessfulDelete" for e in events(c, "ads"))


def test_suspend_deletes_pods_and_resume_restarts_the_clock():
    c, cl = cluster()
    spec = job("sus", ["sleep", "100"], completions=2, parallelism=2, activeDeadlineSeconds=30)
    spec["spec"]["suspend"] = True
    cl.create(spec)
    c.advance(5 * S)
    j = get(c, "jobs", "sus")
    assert pods_of(c, "sus") == [] and "startTime" not in j["status"]
    assert conditions(j) == [("Suspended", "True", "JobSuspended", "Job suspended")]
    cl.patch("jobs", "sus", {"spec": {"suspend": False}}, patch_type="merge")
    c.advance(5 * S)
    j = get(c, "jobs", "sus")
    assert j["status"]["startTime"] == at(5) and j["status"]["active"] == 2
    assert conditions(j) == [("Suspended", "False", "JobResumed", "Job resumed")]
    cl.patch("jobs", "sus", {"spec": {"suspend": True}}, patch_type="merge")
    c.advance(60 * S)  # suspended: the deadline does not run
    j = get(c, "jobs", "sus")
    assert pods_of(c, "sus") == [] and j["status"].get("active", 0) == 0
    assert conditions(j) == [("Suspended", "True", "JobSuspended", "Job suspended")]
    assert j["status"].get("failed", 0) == 0  # pods the controller removes are not failures
    # The second "Job suspended" is counted on the first Event (client-go's EventCorrelator).
    suspended = [e for e in listed(c, "events") if e["involvedObject"]["name"] == "sus" and e["reason"] == "Suspended"]
    assert [e["count"] for e in suspended] == [2]


def test_lower_parallelism_deletes_the_surplus():
    c, cl = cluster()
    cl.create(job("many", ["sleep", "100"], completions=10, parallelism=4))
    c.advance(3 * S)
    cl.patch("jobs", "many", {"spec": {"parallelism": 1}}, patch_type="merge")
    c.advance(1 * S)
    active = [p for p in pods_of(c, "many") if not p["metadata"].get("deletionTimestamp")]
    assert len(active) == 1 and get(c, "jobs", "many")["status"]["active"] == 1
    assert [e[0] for e in events(c, "many")].count("SuccessfulDelete") == 3


def test_work_queue_job_completes_when_one_succeeded_and_the_rest_finished():
    c, cl = cluster()
    cl.create(job("queue", ["sleep", "3"], parallelism=2))  # completions unset: a work queue
    c.advance(30 * S)
    j = get(c, "jobs", "queue")
    assert conditions(j) == COMPLETE and j["status"]["succeeded"] == 2 and len(pods_of(c, "queue")) == 2


def test_indexed_job_runs_each_index_once_with_hostnames():
    c, cl = cluster()
    cl.create(job("idx", ["sh", "-c", "sleep 3"], completions=4, parallelism=2, completionMode="Indexed"))
    c.advance(30 * S)
    j = get(c, "jobs", "idx")
    assert conditions(j) == COMPLETE
    assert j["status"]["completedIndexes"] == "0-3" and j["status"]["succeeded"] == 4
    pods = sorted(pods_of(c, "idx"), key=lambda p: p["metadata"]["name"])
    assert [p["spec"]["hostname"] for p in pods] == ["idx-0", "idx-1", "idx-2", "idx-3"]
    assert [p["metadata"]["name"][:6] for p in pods] == ["idx-0-", "idx-1-", "idx-2-", "idx-3-"]
    assert [p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] for p in pods] == ["0", "1", "2", "3"]


def test_pod_failure_policy_fail_job_on_exit_code():
    c, cl = cluster()
    cl.create(job("pfp", ["sh", "-c", "exit 42"], podFailurePolicy={"rules": [
        {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}}]}))
    c.advance(30 * S)
    (pod,) = pods_of(c, "pfp")
    msg = f"Container pfp for pod default/{pod['metadata']['name']} failed with exit code 42 matching FailJob rule at index 0"
    assert conditions(get(c, "jobs", "pfp")) == [("FailureTarget", "True", "PodFailurePolicy", msg),
                                                 ("Failed", "True", "PodFailurePolicy", msg)]


def test_pod_failure_policy_ignore_does_not_count_towards_the_backoff_limit():
    c, cl = cluster()
    cl.create(job("ign", ["sh", "-c", "exit 3"], backoffLimit=0, podFailurePolicy={"rules": [
        {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [3]}}]}))
    c.advance(60 * S)
    j = get(c, "jobs", "ign")
    assert conditions(j) == [] and j["status"].get("failed", 0) == 0
    assert len(pods_of(c, "ign")) >= 3  # replaced each time, after the pod failure backoff


def test_ttl_after_finished_deletes_the_job_and_its_pods():
    c, cl = cluster()
    cl.create(job("short", ["echo", "hi"], ttlSecondsAfterFinished=5))
    c.advance(5 * S)
    assert get(c, "jobs", "short") is not None  # finished at 1 s: expires at 6 s
    c.advance(1 * S)
    assert get(c, "jobs", "short") is None and pods_of(c, "short") == []
    deletes = [e for e in _entries_by(c, "ttl-after-finished-controller")]
    assert [(r.verb, r.name, r.params["propagationPolicy"]) for r in deletes] == [("delete", "short", "Foreground")]


def _entries_by(c, who):
    from .test_job_builders import entries

    return [e.request for e in entries(c) if e.request.user.endswith(":" + who)]


def test_deleting_a_running_job_releases_its_pods_finalizers():
    c, cl = cluster()
    cl.create(job("gone", ["sleep", "100"], parallelism=2, completions=2))
    c.advance(3 * S)
    assert len(pods_of(c, "gone")) == 2
    cl.delete("jobs", "gone", propagation="Background")
    c.advance(1 * S)
    assert [p for p in listed(c, "pods") if p["metadata"]["name"].startswith("gone-")] == []


def test_orphaned_pods_lose_the_finalizer():
    c, cl = cluster()
    cl.create(job("orph", ["sleep", "100"]))
    c.advance(3 * S)
    cl.delete("jobs", "orph", propagation="Orphan")
    c.advance(1 * S)
    (pod,) = [p for p in listed(c, "pods") if p["metadata"]["name"].startswith("orph-")]
    assert not pod["metadata"].get("ownerReferences") and not pod["metadata"].get("finalizers")


def test_job_logs_are_deterministic():
    def run():
        c, cl = cluster()
        cl.create(job("d", ["sh", "-c", "sleep 2; exit 1"], completions=3, parallelism=2, backoffLimit=2))
        c.advance(120 * S)
        from .test_job_builders import entries

        return [(e.seq, e.at, e.request.user, e.request.verb, e.request.resource, e.outcome.digest) for e in entries(c)]

    assert run() == run()


# --- bad input ------------------------------------------------------------------------------------

def test_restart_policy_always_is_refused():
    _c, cl = cluster()
    r = cl.create(job("bad", ["echo"], restart="Always"))
    assert r.code == 422
    assert r.error.message == ('Job.batch "bad" is invalid: spec.template.spec.restartPolicy: '
                               'Required value: valid values: "OnFailure", "Never"')


@pytest.mark.parametrize("field", ["parallelism", "completions", "backoffLimit", "activeDeadlineSeconds"])
def test_negative_counters_are_refused(field):
    _c, cl = cluster()
    r = cl.create(job("neg", ["echo"], **{field: -1}))
    assert r.code == 422
    assert f"spec.{field}: Invalid value: -1: must be greater than or equal to 0" in r.error.message


def test_no_job_is_left_half_done_when_nothing_runs():
    c, cl = cluster()
    assert jobs(c) == []
    cl.create(job("zero", ["echo"], parallelism=0, completions=1))
    c.advance(10 * S)
    j = get(c, "jobs", "zero")
    assert pods_of(c, "zero") == [] and conditions(j) == [] and j["status"]["startTime"] == at(0)
