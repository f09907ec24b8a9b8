"""The StatefulSet on the whole simulated cluster (scheduler, kubelets, volume binder): the issue's
checks read back from the log, and determinism."""

from engine.client import must
from engine.log.transfer import export_lines
from engine.model.pods import is_ready
from projections.timetravel import object_at
from reducers.keys import object_key
from tests.controllers.test_statefulset_support import (
    S, STS_USER, boot_full, claims, entries, pod_names, revision_of, statefulset, status,
)


def _at(c, name: str, seq: int):
    with c.cluster.view() as v:
        return object_at(v.txn, object_key("", "pods", "default", name), seq)


def _writes(c, after: int, verb: str) -> list[tuple[int, str]]:
    out = []
    for e in entries(c, after):
        req = e.request
        if req.user == STS_USER and req.resource == "pods" and req.verb == verb:
            out.append((e.seq, req.name or req.body["metadata"]["name"]))
    return out


def test_pod_n_plus_1_never_exists_before_pod_n_is_running_and_ready():
    c = boot_full()
    head = c.cluster.head().seq
    must(c.create(statefulset(replicas=3)))
    c.cluster.advance(10 * S)
    creates = _writes(c, head, "create")
    assert [n for _s, n in creates] == ["web-0", "web-1", "web-2"]
    for (seq, name), (_s, before) in zip(creates[1:], creates):
        prev = _at(c, before, seq - 1)
        assert prev["status"]["phase"] == "Running" and is_ready(prev), (name, before)
    assert pod_names(c) == ["web-0", "web-1", "web-2"]
    st = status(c)
    assert (st["replicas"], st["readyReplicas"], st["availableReplicas"]) == (3, 3, 3)
    assert sorted(claims(c)) == ["www-web-0", "www-web-1", "www-web-2"]
    assert all(cl["status"]["phase"] == "Bound" for cl in claims(c).values())


def test_scale_down_goes_2_then_1_then_0_each_after_the_last_is_gone():
    c = boot_full()
    must(c.create(statefulset(replicas=3)))
    c.cluster.advance(10 * S)
    head = c.cluster.head().seq
    must(c.patch("sts", "web", {"spec": {"replicas": 0}}))
    c.cluster.advance(5 * S)
    deletes = _writes(c, head, "delete")
    assert [n for _s, n in deletes] == ["web-2", "web-1", "web-0"]
    for (seq, _name), (_s, higher) in zip(deletes[1:], deletes):
        assert _at(c, higher, seq - 1) is None  # the higher ordinal was gone before the next delete
    assert pod_names(c) == [] and sorted(claims(c)) == ["www-web-0", "www-web-1", "www-web-2"]


def test_a_pod_deleted_by_hand_returns_with_its_name_and_claim():
    c = boot_full()
    must(c.create(statefulset(replicas=3)))
    c.cluster.advance(10 * S)
    before = {n: claims(c)[f"www-{n}"]["metadata"]["uid"] for n in pod_names(c)}
    old = must(c.get("pods", "web-1"))["metadata"]["uid"]
    must(c.delete("pods", "web-1"))
    c.cluster.advance(5 * S)
    pod = must(c.get("pods", "web-1"))
    assert pod["metadata"]["uid"] != old and pod["status"]["phase"] == "Running"
    assert pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "www-web-1"
    assert {n: claims(c)[f"www-{n}"]["metadata"]["uid"] for n in pod_names(c)} == before


def test_partition_rollout():
    c = boot_full()
    must(c.create(statefulset(replicas=3, partition=1)))
    c.cluster.advance(10 * S)
    old = status(c)["currentRevision"]
    must(c.patch("sts", "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}))
    c.cluster.advance(10 * S)
    new = status(c)["updateRevision"]
    assert [revision_of(c, f"web-{i}") for i in range(3)] == [old, new, new]
    st = status(c)
    assert (st["currentRevision"], st["currentReplicas"], st["updatedReplicas"], st["readyReplicas"]) == (old, 1, 2, 3)
    must(c.patch("sts", "web", {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}}))
    c.cluster.advance(10 * S)
    st = status(c)
    assert (st["currentRevision"], st["currentReplicas"], st["updatedReplicas"]) == (new, 3, 3)
    assert must(c.get("pods", "web-0"))["spec"]["containers"][0]["image"] == "nginx:1.25"


def _story():
    c = boot_full()
    must(c.create(statefulset(replicas=3)))
    c.cluster.advance(10 * S)
    must(c.delete("pods", "web-0"))
    must(c.patch("sts", "web", {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "nginx",
                                                                                                "image": "nginx:1.25"}]}}}}))
    c.cluster.advance(10 * S)
    with c.cluster.view() as v:
        return list(export_lines(v.txn))


def test_the_same_story_gives_the_same_log():
    assert _story() == _story()
