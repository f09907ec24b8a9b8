"""Memory pressure: the simulated kubelet evicts BestEffort first, in upstream's ranking; evicted
pods are Failed/Evicted with the message and event, their controller replaces them elsewhere."""

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.client import Client, must
from engine.clock import parse_time
from engine.kubelet_sim.eviction import MEMORY_PRESSURE, rank, signal_value

T = parse_time("2026-01-01T00:00:00Z")


def pod(name, resources=None, node="node1"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx", "resources": resources or {}}]}}


def test_rank_exceeding_first_then_priority_then_usage():
    def p(name, req=None, usage=None, prio=0):
        out = {"metadata": {"name": name, "annotations": {}}, "spec": {"priority": prio, "containers": [
            {"name": "c", "resources": {"requests": {"memory": req}} if req else {}}]}}
        if usage:
            out["metadata"]["annotations"]["metrics.kubetape.io/memory.c"] = usage
        return out
    pods = [p("guaranteed", "200Mi", "100Mi"), p("burst-over", "100Mi", "150Mi"), p("best", None, "10Mi"),
            p("best-high", None, "50Mi", prio=1000), p("burst-under", "100Mi", "50Mi")]
    assert [x["metadata"]["name"] for x in rank(pods)] == ["burst-over", "best", "best-high", "burst-under", "guaranteed"]


def test_memory_pressure_evicts_best_effort_first_and_is_replaced():
    c = Cluster.memory()
    init(c, InitOptions(start_time=T))
    k = Client(c)
    must(k.create(pod("guaranteed", {"limits": {"cpu": "700m", "memory": "200Mi"}})))
    must(k.create(pod("burstable", {"requests": {"memory": "100Mi"}, "limits": {"memory": "200Mi"}})))
    must(k.create({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "be"},
                   "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "be"}},
                            "template": {"metadata": {"labels": {"app": "be"}},
                                         "spec": {"nodeName": "node1", "containers": [{"name": "c", "image": "nginx"}]}}}}))
    c.advance(5_000_000)
    [be] = [p for p in must(k.list("pods"))["items"] if p["metadata"]["name"].startswith("be-")]
    assert be["status"]["qosClass"] == "BestEffort"
    must(k.patch("nodes", "node1", {"metadata": {"annotations": {MEMORY_PRESSURE: signal_value("2026-01-01T00:00:05Z", "50Mi")}}},
                 "", "merge"))
    node = must(k.get("nodes", "node1", ""))
    cond = next(x for x in node["status"]["conditions"] if x["type"] == "MemoryPressure")
    assert (cond["status"], cond["reason"]) == ("True", "KubeletHasInsufficientMemory")
    evicted = must(k.get("pods", be["metadata"]["name"]))
    st = evicted["status"]
    assert (st["phase"], st["reason"]) == ("Failed", "Evicted")
    assert st["message"] == "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. "
    assert any(x["type"] == "DisruptionTarget" and x["reason"] == "TerminationByKubelet" for x in st["conditions"])
    for name in ("guaranteed", "burstable"):
        assert must(k.get("pods", name))["status"]["phase"] == "Running"
    events = [(e["reason"], e["involvedObject"]["name"]) for e in must(k.list("events"))["items"] if e["type"] == "Warning"]
    assert ("Evicted", be["metadata"]["name"]) in events and ("EvictionThresholdMet", "node1") in events
    pods = [p for p in must(k.list("pods"))["items"] if p["metadata"]["name"].startswith("be-")]
    assert len(pods) == 2  # the ReplicaSet replaced it
    # the replacement is pinned to node1 by nodeName (no scheduler, so no taint check): BestEffort again,
    # so the second signal takes it; the third takes the Burstable pod; the Guaranteed one stays
    for n in (2, 3):
        must(k.patch("nodes", "node1", {"metadata": {"annotations": {MEMORY_PRESSURE: signal_value("2026-01-01T00:00:05Z", "50Mi", n)}}},
                     "", "merge"))
        if n == 2:
            assert must(k.get("pods", "burstable"))["status"]["phase"] == "Running"
    assert must(k.get("pods", "burstable"))["status"]["reason"] == "Evicted"
    assert must(k.get("pods", "guaranteed"))["status"]["phase"] == "Running"
    must(k.patch("nodes", "node1", {"metadata": {"annotations": {MEMORY_PRESSURE: None}}}, "", "merge"))
    node = must(k.get("nodes", "node1", ""))
    assert next(x for x in node["status"]["conditions"] if x["type"] == "MemoryPressure")["status"] == "False"
