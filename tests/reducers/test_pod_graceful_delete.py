"""Upstream's graceful pod deletion (pod strategy CheckGracefulDelete, registry BeforeDelete)."""

from reducers.storage import pod_grace_period


def pod(node="node1", phase="Running", tgps=None, **meta):
    spec = {"nodeName": node} if node else {}
    if tgps is not None:
        spec["terminationGracePeriodSeconds"] = tgps
    return {"metadata": {"name": "p", **meta}, "spec": spec, "status": {"phase": phase}}


def test_a_bound_running_pod_gets_its_termination_grace_period():
    assert pod_grace_period(pod(), {}) == 30
    assert pod_grace_period(pod(tgps=5), {}) == 5
    assert pod_grace_period(pod(), {"gracePeriodSeconds": 1}) == 1


def test_unbound_or_terminal_pods_go_at_once():
    assert pod_grace_period(pod(node=""), {"gracePeriodSeconds": 60}) == 0
    assert pod_grace_period(pod(phase="Succeeded"), {}) == 0
    assert pod_grace_period(pod(phase="Failed"), {}) == 0


def test_a_pending_graceful_deletion_may_only_be_shortened():
    deleting = pod(deletionTimestamp="2026-01-01T00:00:30Z", deletionGracePeriodSeconds=30)
    assert pod_grace_period(deleting, {}) is None
    assert pod_grace_period(deleting, {"gracePeriodSeconds": 45}) is None
    assert pod_grace_period(deleting, {"gracePeriodSeconds": 0}) == 0
    assert pod_grace_period(deleting, {"gracePeriodSeconds": 10}) == 10
    assert pod_grace_period(pod(deletionTimestamp="2026-01-01T00:00:00Z", deletionGracePeriodSeconds=0), {}) == 0
