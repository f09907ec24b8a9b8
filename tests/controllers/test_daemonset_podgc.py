"""The pod GC's orphan sweep: pods bound to a missing node are failed and deleted after 40 s."""

from engine.client import must
from tests.controllers.test_daemonset_controller import GC_USER, S, add_node, boot, entries


def bare(name, node):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"run": name}},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx"}]}}


def names(c):
    return sorted(p["metadata"]["name"] for p in must(c.list("pods"))["items"])


def test_pod_bound_to_a_node_that_never_existed_goes_after_the_quarantine():
    c = boot()
    must(c.create(bare("ghost", "nowhere")))
    created = c.cluster.head().at
    c.cluster.advance(39 * S)
    assert names(c) == ["ghost"]
    c.cluster.advance(1 * S)
    assert names(c) == []
    gc = entries(c, user=GC_USER)
    assert [e.at for e in gc] == [created + 40 * S] * 2


def test_a_node_that_comes_back_keeps_its_pods():
    c = boot()
    add_node(c, "node3", 3)
    must(c.create(bare("web", "node3")))
    must(c.delete("nodes", "node3", ""))
    c.cluster.advance(10 * S)
    add_node(c, "node3", 3)
    c.cluster.advance(60 * S)
    assert names(c) == ["web"] and entries(c, user=GC_USER) == []


def test_terminal_pods_are_deleted_without_a_status_patch():
    c = boot()
    add_node(c, "node3", 3)
    must(c.create(bare("done", "node3")))
    pod = must(c.get("pods", "done"))
    must(c.update({**pod, "status": {**pod["status"], "phase": "Succeeded"}}, subresource="status"))
    must(c.delete("nodes", "node3", ""))
    c.cluster.advance(41 * S)
    assert names(c) == []
    assert [e.request.verb for e in entries(c, user=GC_USER)] == ["delete"]

