"""ActivePodsWithRanks: the scale-down order (k8s-semantics.md section 3 vectors)."""

from engine.clock import parse_time, rfc3339
from engine.controllers.replicaset.ranking import (
    deletion_cost, less, logarithmic_rank_diff, max_container_restarts, pods_to_delete, rank_for_deletion,
    ranks_on_same_node,
)

NOW = parse_time("2026-01-01T12:00:00Z")
S = 1_000_000


def pod(name, node="node1", phase="Running", ready=None, cost=None, restarts=0, created=NOW - 3600 * S, uid=None):
    """`ready`: seconds ago the pod became ready (None: not ready)."""
    meta = {"name": name, "namespace": "default", "uid": uid or f"uid-{name}", "creationTimestamp": rfc3339(created)}
    if cost is not None:
        meta["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": cost}
    status = {"phase": phase, "containerStatuses": [{"name": "c", "restartCount": restarts}]}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(NOW - ready * S)}]
    return {"metadata": meta, "spec": {"nodeName": node}, "status": status}


def first(a, b, rank_a=0, rank_b=0):
    """Exactly one of the two is preferred for deletion; return it."""
    ab, ba = less(a, b, rank_a, rank_b, NOW), less(b, a, rank_b, rank_a, NOW)
    assert ab != ba, "the rules must tell these two apart"
    return a if ab else b


def test_unassigned_before_assigned():
    a, b = pod("a", node="", phase="Pending"), pod("b", ready=60)
    assert first(a, b) is a


def test_pending_before_running_on_the_same_node():
    a, b = pod("a", phase="Pending"), pod("b")
    assert first(a, b) is a


def test_unknown_sits_between_pending_and_running():
    assert first(pod("a", phase="Unknown"), pod("b")) ["metadata"]["name"] == "a"
    assert first(pod("a", phase="Unknown"), pod("b", phase="Pending"))["metadata"]["name"] == "b"


def test_not_ready_before_ready():
    a, b = pod("a"), pod("b", ready=60)
    assert first(a, b) is a


def test_lower_deletion_cost_first():
    a, b = pod("a", ready=60, cost="100"), pod("b", ready=60)
    assert first(a, b) is b


def test_deletion_cost_parsing_follows_upstream():
    assert [deletion_cost(pod("p", cost=c)) for c in ("100", "-5", "0", "+10", "008", "abc", "", "2147483648", "-2147483648")] == \
        [100, -5, 0, 0, 0, 0, 0, 0, -2147483648]
    assert deletion_cost(pod("p")) == 0


def test_more_colocated_related_pods_first():
    a, b = pod("a", ready=60), pod("b", ready=60)
    assert first(a, b, rank_a=3, rank_b=1) is a


def test_ranks_count_active_related_pods_per_node():
    p1, p2, p3 = pod("p1", node="node1"), pod("p2", node="node1"), pod("p3", node="node2")
    gone = pod("g", node="node2", phase="Failed")
    assert ranks_on_same_node([p1, p3], [p1, p2, p3, gone]) == [2, 1]


def test_recently_ready_first_by_log2_buckets():
    a, b = pod("a", ready=10), pod("b", ready=3600)
    assert logarithmic_rank_diff(NOW - 10 * S, NOW, NOW + 0) == 33 - (-1)
    assert logarithmic_rank_diff(NOW - 10 * S, NOW - 3600 * S, NOW) == 33 - 41
    assert first(a, b) is a


def test_same_ready_bucket_falls_back_to_smaller_uid():
    # 10 s and 12 s are both in bucket floor(log2(ns)) = 33
    a, b = pod("a", ready=12, uid="0001"), pod("b", ready=10, uid="0002")
    assert logarithmic_rank_diff(NOW - 12 * S, NOW - 10 * S, NOW) == 0
    assert first(a, b) is a
    a2, b2 = pod("a", ready=12, uid="0009"), pod("b", ready=10, uid="0002")
    assert first(a2, b2) is b2


def test_zero_ready_time_sorts_first():
    a = pod("a", ready=60)
    a["status"]["conditions"][0].pop("lastTransitionTime")
    assert first(a, pod("b", ready=60)) is a


def test_more_restarts_first_in_the_same_bucket():
    a, b = pod("a", ready=60, restarts=5), pod("b", ready=60, restarts=0)
    assert first(a, b) is a


def test_sidecar_restarts_break_a_tie_of_regular_restarts():
    a, b = pod("a", ready=60), pod("b", ready=60)
    a["spec"]["initContainers"] = [{"name": "side", "restartPolicy": "Always"}, {"name": "init"}]
    a["status"]["initContainerStatuses"] = [{"name": "side", "restartCount": 2}, {"name": "init", "restartCount": 9}]
    assert max_container_restarts(a) == (0, 2)
    assert first(a, b) is a


def test_newer_creation_first_and_uid_tiebreak_within_a_bucket():
    a, b = pod("a", ready=None, created=NOW - 60 * S), pod("b", ready=None, created=NOW - 86400 * S)
    assert first(a, b) is a
    c, d = pod("c", created=NOW - 61 * S, uid="1"), pod("d", created=NOW - 60 * S, uid="2")
    assert first(c, d) is c  # same bucket (log2 of ~60 s in ns = 35): smaller uid


def test_identical_pods_are_not_ordered():
    a = pod("a", ready=60)
    assert not less(a, a, 0, 0, NOW)


def test_scale_three_to_one_keeps_the_longest_ready_pod():
    p1 = pod("p1", node="", phase="Pending")
    p2 = pod("p2", ready=3600)
    p3 = pod("p3", ready=10)
    victims = pods_to_delete([p2, p3, p1], [p1, p2, p3], 2, NOW)
    assert [v["metadata"]["name"] for v in victims] == ["p1", "p3"]
    assert [p["metadata"]["name"] for p in rank_for_deletion([p3, p2, p1], [], NOW)] == ["p1", "p3", "p2"]


def test_deleting_all_needs_no_ranking():
    pods = [pod("b"), pod("a")]
    assert [p["metadata"]["name"] for p in pods_to_delete(pods, [], 5, NOW)] == ["a", "b"]
