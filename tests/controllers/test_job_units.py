"""Job controller helpers against the vectors of k8s-semantics.md section 5 and upstream's tables
(backoff_utils_test.go, indexed_job_utils_test.go, pod_failure_policy_test.go)."""

from __future__ import annotations

import pytest

from engine.clock import parse_time
from engine.controllers.job import backoff, failure_policy, indexed, pods as podctl
from engine.controllers.job.sync import is_complete, past_backoff_limit_on_failure, want_active

S = 1_000_000
T = parse_time("2026-01-01T00:00:00Z")
MS = 1_000


# --- backoff (TestGetRemainingBackoffTime, base 5 s, cap 700 s) ---------------------------------

@pytest.mark.parametrize("failures,elapsed,want", [
    (0, 0, 0), (1, 0, 5), (1, 1, 4), (1, 5, 0), (1, 6, 0), (3, 0, 20), (8, 0, 640), (9, 0, 700),
])
def test_remaining_backoff_time_upstream_table(failures, elapsed, want):
    rec = backoff.BackoffRecord(failures, T if failures else None)
    got = backoff.remaining(rec, T + elapsed * S, base=5 * S, cap=700 * S)
    assert got == want * S


@pytest.mark.parametrize("n,want", [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 320), (7, 360), (12, 360)])
def test_job_default_backoff_doubles_from_10s_capped_at_6_minutes(n, want):
    assert backoff.remaining(backoff.BackoffRecord(n, T), T) == want * S
    assert backoff.MAX_BACKOFF_US == 360 * S and backoff.DEFAULT_BACKOFF_US == 10 * S


def test_backoff_cap_is_configurable_to_upstreams_current_10_minutes():
    assert backoff.remaining(backoff.BackoffRecord(7, T), T, cap=600 * S) == 600 * S
    assert backoff.remaining(backoff.BackoffRecord(6, T), T, cap=600 * S) == 320 * S


# TestNewBackoffRecord: failures after the last success count; a success at the same time as a
# failure resets the count.
@pytest.mark.parametrize("succeeded,failed,want", [
    ([], [T], (1, T)),
    ([], [T - MS, T], (2, T)),
    ([T], [T - 2 * MS, T - MS], (0, None)),
    ([T - 2 * MS], [T - 4 * MS, T - 3 * MS, T - MS, T], (2, T)),
    ([T], [T], (0, None)),
    ([], [T - 3 * MS, T - 2 * MS, T], (3, T)),
])
def test_backoff_record_from_finish_times(succeeded, failed, want):
    rec = backoff.record_from_times(succeeded, failed)
    assert (rec.failures_after_last_success, rec.last_failure_time) == want


def _pod(phase, finished=None, ready_false_at=None, deleted=None, created="2026-01-01T00:00:00Z"):
    p = {"metadata": {"name": "p", "uid": "u", "creationTimestamp": created}, "status": {"phase": phase}}
    if finished:
        p["status"]["containerStatuses"] = [{"name": "c", "state": {"terminated": {"exitCode": 1, "finishedAt": finished}}}]
    if ready_false_at:
        p["status"]["conditions"] = [{"type": "Ready", "status": "False", "lastTransitionTime": ready_false_at}]
    if deleted:
        p["metadata"]["deletionTimestamp"] = deleted
        p["metadata"]["deletionGracePeriodSeconds"] = 30
    return p


def test_finished_time_lookups_in_upstream_order():
    assert backoff.finished_time(_pod("Failed", finished="2026-01-01T00:00:05Z")) == T + 5 * S
    assert backoff.finished_time(_pod("Failed", ready_false_at="2026-01-01T00:00:07Z")) == T + 7 * S
    assert backoff.finished_time(_pod("Running", deleted="2026-01-01T00:01:00Z")) == T + 30 * S
    assert backoff.finished_time(_pod("Failed")) == T


# --- manageJob's wantActive and the completion test (section 5, derived) -----------------------

@pytest.mark.parametrize("completions,par,succ,active,want", [
    (None, 3, 0, 0, 3), (None, 3, 1, 2, 2), (5, 3, 0, 0, 3), (5, 3, 3, 1, 2), (5, 10, 4, 0, 1), (2, 3, 3, 1, 0),
    (5, 0, 0, 2, 0),
])
def test_want_active(completions, par, succ, active, want):
    assert want_active(completions, par, succ, active) == want


@pytest.mark.parametrize("completions,succ,active,done", [
    (None, 1, 1, False), (None, 1, 0, True), (None, 0, 0, False), (3, 3, 0, True), (3, 2, 0, False), (3, 3, 1, False),
])
def test_completion(completions, succ, active, done):
    assert is_complete(completions, succ, active) is done


def _onfailure_job(limit):
    return {"spec": {"backoffLimit": limit, "template": {"spec": {"restartPolicy": "OnFailure"}}}}


def _restarting(phase, restarts, init_restarts=0):
    status = {"phase": phase, "containerStatuses": [{"name": "c", "restartCount": restarts}]}
    if init_restarts:
        status["initContainerStatuses"] = [{"name": "i", "restartCount": init_restarts}]
    return {"metadata": {"name": "p"}, "status": status}


@pytest.mark.parametrize("limit,pods,past", [
    (6, [_restarting("Running", 6)], True),
    (6, [_restarting("Running", 5)], False),
    (6, [_restarting("Running", 3), _restarting("Pending", 2, init_restarts=1)], True),
    (6, [_restarting("Succeeded", 9), _restarting("Failed", 9)], False),  # finished pods are not summed
    (0, [_restarting("Running", 1)], True),
    (0, [_restarting("Running", 0)], False),
])
def test_past_backoff_limit_on_failure(limit, pods, past):
    assert past_backoff_limit_on_failure(_onfailure_job(limit), pods) is past


def test_restarts_do_not_count_for_restart_policy_never():
    job = {"spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never"}}}}
    assert not past_backoff_limit_on_failure(job, [_restarting("Running", 5)])


# --- indexed jobs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("intervals,text", [
    ([], ""), ([(0, 0)], "0"), ([(0, 1)], "0,1"), ([(0, 2)], "0-2"), ([(1, 1), (3, 5), (7, 8)], "1,3-5,7,8"),
])
def test_completed_indexes_string(intervals, text):
    assert indexed.to_string(intervals) == text


@pytest.mark.parametrize("text,completions,want", [
    ("", 5, []), ("0,1,3-5", 10, [(0, 1), (3, 5)]), ("1-3,5,7-10", 8, [(1, 3), (5, 5), (7, 7)]),
    ("x,2", 5, [(2, 2)]), ("3-4,6", 5, [(3, 4)]),
])
def test_completed_indexes_parse(text, completions, want):
    assert indexed.from_string(text, completions) == want


def test_merging_indexes_into_intervals():
    assert indexed.with_ordered_indexes([(1, 3), (7, 8)], [0, 4, 6, 10]) == [(0, 4), (6, 8), (10, 10)]
    assert indexed.total([(0, 4), (6, 8), (10, 10)]) == 9


def _ix_pod(ix):
    return {"metadata": {"name": f"p{ix}", "annotations": {"batch.kubernetes.io/job-completion-index": str(ix)}}}


def test_first_pending_indexes_skip_running_and_succeeded():
    active = [_ix_pod(1), _ix_pod(4)]
    assert indexed.first_pending_indexes(active, [(2, 3)], 3, 8) == [0, 5, 6]
    assert indexed.first_pending_indexes(active, [(0, 0), (2, 3)], 5, 6) == [5]
    assert indexed.first_pending_indexes([], [], 0, 6) == []


@pytest.mark.parametrize("value,want", [("0", 0), ("12", 12), ("-1", -1), ("x", -1), (None, -1), ("+3", 3)])
def test_completion_index_annotation(value, want):
    p = {"metadata": {"annotations": {} if value is None else {"batch.kubernetes.io/job-completion-index": value}}}
    assert indexed.completion_index(p) == want


def test_indexed_generate_name_is_shortened_to_58_characters():
    assert indexed.generate_name("pi", 3) == "pi-3-"
    long = "a" * 60
    name = indexed.generate_name(long, 12)
    assert len(name) == 58 and name.endswith("-12-")


def test_indexed_pod_from_template():
    job = {"metadata": {"name": "work", "namespace": "default", "uid": "u1"},
           "spec": {"completionMode": "Indexed", "completions": 3,
                    "template": {"metadata": {"labels": {"app": "w"}},
                                 "spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}}}
    pod = podctl.pod_from_template(job, 2)
    meta = pod["metadata"]
    assert meta["generateName"] == "work-2-"
    assert meta["annotations"]["batch.kubernetes.io/job-completion-index"] == "2"
    assert meta["labels"]["batch.kubernetes.io/job-completion-index"] == "2"
    assert meta["labels"]["app"] == "w" and meta["labels"]["batch.kubernetes.io/job-name"] == "work"
    assert meta["labels"]["controller-uid"] == "u1" and meta["labels"]["job-name"] == "work"
    assert meta["finalizers"] == ["batch.kubernetes.io/job-tracking"]
    assert meta["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "Job", "name": "work", "uid": "u1",
                                        "controller": True, "blockOwnerDeletion": True}]
    assert pod["spec"]["hostname"] == "work-2"
    assert pod["spec"]["containers"][0]["env"] == [{"name": "JOB_COMPLETION_INDEX", "valueFrom": {
        "fieldRef": {"fieldPath": "metadata.labels['batch.kubernetes.io/job-completion-index']"}}}]


def test_duplicate_and_out_of_range_indexes_are_removed_first():
    job = {"metadata": {"name": "w"}, "spec": {"completionMode": "Indexed", "completions": 3}}
    dup_a, dup_b, bad, ok, none = _ix_pod(1), _ix_pod(1), _ix_pod(5), _ix_pod(0), {"metadata": {"name": "z"}}
    dup_b["metadata"]["name"] = "p1b"
    for p in (dup_a, dup_b, bad, ok, none):
        p["status"] = {"phase": "Running"}
    dup_b["status"]["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"}]
    rm = podctl.pods_for_removal(job, [dup_a, dup_b, bad, ok, none], 0)
    assert sorted(p["metadata"]["name"] for p in rm) == ["p1", "p5", "z"]  # the not-ready duplicate goes


# --- ActivePods order ---------------------------------------------------------------------------------

def _active(name, node="n", phase="Running", ready_at=None, restarts=0, created="2026-01-01T00:00:00Z"):
    p = {"metadata": {"name": name, "uid": name, "creationTimestamp": created}, "spec": {"nodeName": node},
         "status": {"phase": phase, "containerStatuses": [{"name": "c", "restartCount": restarts}]}}
    if ready_at:
        p["status"]["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}]
    return p


def test_active_pods_order_deletes_earlier_stages_first():
    pods = [
        _active("ready-old", ready_at="2026-01-01T00:00:01Z"),
        _active("ready-new", ready_at="2026-01-01T00:00:09Z"),
        _active("running"),
        _active("pending", phase="Pending"),
        _active("unscheduled", node="", phase="Pending"),
        _active("restarts", restarts=3),
        _active("newer", created="2026-01-01T00:00:05Z"),
    ]
    order = [p["metadata"]["name"] for p in podctl.active_pods_order(pods)]
    assert order == ["unscheduled", "pending", "restarts", "newer", "running", "ready-new", "ready-old"]


# --- pod failure policy -------------------------------------------------------------------------------

def _failed(code, container="main", conditions=()):
    return {"metadata": {"name": "p", "namespace": "ns"},
            "status": {"phase": "Failed", "conditions": list(conditions),
                       "containerStatuses": [{"name": container, "state": {"terminated": {"exitCode": code}}}]}}


POLICY = {"rules": [
    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
    {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
    {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}},
]}


def test_fail_job_rule_names_container_pod_code_and_rule_index():
    assert failure_policy.match(POLICY, _failed(42)) == (
        "Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1", True, "FailJob")


def test_ignore_rule_does_not_count_the_failure():
    pod = _failed(1, conditions=[{"type": "DisruptionTarget", "status": "True"}])
    assert failure_policy.match(POLICY, pod) == (None, False, "Ignore")


def test_count_rule_and_no_rule_both_count():
    assert failure_policy.match(POLICY, _failed(7)) == (None, True, "Count")
    assert failure_policy.match(POLICY, _failed(1)) == (None, True, None)
    assert failure_policy.match(POLICY, _failed(42, container="side")) == (None, True, "Count")  # FailJob names "main"
    assert failure_policy.match(None, _failed(42)) == (None, True, None)


def test_exit_code_zero_never_matches():
    assert failure_policy.match({"rules": [{"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [5]}}]},
                                _failed(0)) == (None, True, None)


def test_fail_job_on_pod_condition_message():
    policy = {"rules": [{"action": "FailJob", "onPodConditions": [{"type": "ConfigIssue"}]}]}
    pod = _failed(1, conditions=[{"type": "ConfigIssue", "status": "True"}])
    assert failure_policy.match(policy, pod)[0] == "Pod ns/p has condition ConfigIssue matching FailJob rule at index 0"
