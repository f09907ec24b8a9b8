"""Slow-start batches, the burst cap and pods made from the template (section 3 vectors)."""

from engine.controllers.replicaset.kinds import REPLICA_SET, REPLICATION_CONTROLLER
from engine.controllers.replicaset.manage import (
    BURST_REPLICAS, batch_sizes, create_count, next_batch_size, pod_from_template, slow_start_batch,
)


def test_slow_start_batch_sizes():
    assert batch_sizes(1) == [1]
    assert batch_sizes(10) == [1, 2, 4, 3]
    assert BURST_REPLICAS == 500 and create_count(-600) == 500
    assert batch_sizes(create_count(-600)) == [1, 2, 4, 8, 16, 32, 64, 128, 245]
    assert batch_sizes(0) == [] and create_count(0) == 0 and create_count(3) == 0


def test_slow_start_batch_stops_after_the_first_batch_with_an_error():
    calls = []

    def fn():
        calls.append(1)
        return "quota exceeded" if len(calls) == 5 else None  # one pod of batch 3 fails

    successes, err = slow_start_batch(10, 1, fn)
    assert (successes, err) == (6, "quota exceeded")  # 1 + 2 + 3
    assert len(calls) == 7 and 10 - len(calls) == 3  # batch 3 ran whole, 3 pods never attempted


def test_slow_start_batch_all_good():
    assert slow_start_batch(10, 1, lambda: None) == (10, None)
    assert slow_start_batch(0, 1, lambda: "x") == (0, None)


def test_next_batch_follows_the_successes_of_this_instant():
    assert [next_batch_size(c, 10 - c) for c in (0, 1, 3, 7)] == [1, 2, 4, 3]
    assert next_batch_size(2, 8) == 2
    assert next_batch_size(255, 245) == 245
    assert next_batch_size(0, 0) == 0


RS = {
    "apiVersion": "apps/v1", "kind": "ReplicaSet",
    "metadata": {"name": "frontend", "namespace": "web", "uid": "rs-uid", "generation": 1},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"tier": "frontend"}},
             "template": {"metadata": {"name": "ignored", "labels": {"tier": "frontend", "x": "y"},
                                       "annotations": {"a": "b"}, "finalizers": ["f/x"]},
                          "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
}


def test_pod_from_a_replicaset_template():
    pod = pod_from_template(REPLICA_SET, RS)
    assert pod == {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"generateName": "frontend-", "namespace": "web", "labels": {"tier": "frontend", "x": "y"},
                     "annotations": {"a": "b"}, "finalizers": ["f/x"],
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "frontend",
                                          "uid": "rs-uid", "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    pod["spec"]["containers"][0]["image"] = "changed"
    assert RS["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx"  # a copy, not the template


def test_pod_from_a_replicationcontroller_template():
    rc = {**RS, "apiVersion": "v1", "kind": "ReplicationController",
          "spec": {**RS["spec"], "selector": {"tier": "frontend"}}}
    ref = pod_from_template(REPLICATION_CONTROLLER, rc)["metadata"]["ownerReferences"][0]
    assert ref["apiVersion"] == "v1" and ref["kind"] == "ReplicationController"
    assert REPLICATION_CONTROLLER.selector(rc).matches({"tier": "frontend"})
    rc_default = {**rc, "spec": {**rc["spec"], "selector": {}}}
    assert REPLICATION_CONTROLLER.selector(rc_default).matches({"tier": "frontend", "x": "y"})
