"""Shared builders for the ReplicaSet/ReplicationController tests (no tests here).

A cluster with the garbage collector, the namespace controller and both replica controllers; a
tiny stand-in for the scheduler and kubelet (bind a pod, report it Running and Ready as
`system:node:<node>`), and an admission plugin that refuses pod creates over a count, shaped
like ResourceQuota's refusal, to make creates fail.
"""

from __future__ import annotations

import copy

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.clock import parse_time, rfc3339
from engine.client import Client, must
from engine.controllers.garbage_collector import GarbageCollector
from engine.controllers.namespace import NamespaceController
from engine.controllers.replicaset import ReplicaSetController, ReplicationManager
from engine.errors import StatusError
from engine.pipeline.identity import UserInfo, node_identity
from engine.records import Request
from engine.runtime.actor import NOTHING, Decision
from reducers.keys import object_key

START = parse_time("2026-01-01T00:00:00Z")
S = 1_000_000
RS_USER = "system:serviceaccount:kube-system:replicaset-controller"
RC_USER = "system:serviceaccount:kube-system:replication-controller"


class PodTerminator:
    """The kubelet's part in a graceful pod deletion, alone: these clusters have no kubelet, so a
    pod deleted with a grace period (upstream: bound and not terminal) would stay Terminating;
    this stand-in removes it with grace 0 at once, as the simulated kubelet does."""

    name = "pod-terminator"
    identity = UserInfo("system:node:stand-in", ("system:nodes", "system:authenticated"))

    def keys_for(self, entry, obj):
        req = entry.request
        if req.resource == "pods" and not req.group and obj is not None and obj["metadata"].get("deletionTimestamp"):
            yield object_key("", "pods", req.namespace, obj["metadata"]["name"])

    def decide(self, view, key):
        pod = view.get_key(key)
        if pod is None or not pod["metadata"].get("deletionTimestamp"):
            return NOTHING
        meta = pod["metadata"]
        return Decision((Request(verb="delete", resource="pods", namespace=meta["namespace"], name=meta["name"],
                                 user=self.identity.name, groups=self.identity.groups,
                                 params={"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}}),))


def actors(extra=()):
    return [GarbageCollector(), NamespaceController(), ReplicaSetController(), ReplicationManager(), *extra, PodTerminator()]


def boot(cluster: Cluster | None = None, extra=()) -> Client:
    cluster = cluster or Cluster.memory(actors=actors(extra))
    init(cluster, InitOptions(start_time=START))
    return Client(cluster)


def replicaset(name="frontend", replicas=3, selector=None, labels=None, min_ready=0, image="wangyanglinux/myapp:v1"):
    labels = labels or {"tier": "frontend"}
    spec = {"replicas": replicas, "selector": selector or {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)},
                         "spec": {"containers": [{"name": "myapp", "image": image, "ports": [{"containerPort": 80}]}]}}}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name}, "spec": spec}


def replicationcontroller(name="frontend", replicas=3, labels=None):
    labels = labels or {"app": "nginx"}
    return {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": dict(labels),
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": [{"name": "php-redis", "image": "wangyanglinux/myapp:v1",
                                                           "ports": [{"containerPort": 80}]}]}}}}


def bare_pod(name, labels, namespace="default"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def pods(client: Client, namespace="default") -> list[dict]:
    return must(client.list("pods", namespace))["items"]


def names(objs) -> list[str]:
    return sorted(o["metadata"]["name"] for o in objs)


def owned_by(client: Client, owner: dict, namespace="default") -> list[dict]:
    uid = owner["metadata"]["uid"]
    return [p for p in pods(client, namespace)
            if any(r.get("uid") == uid and r.get("controller") for r in p["metadata"].get("ownerReferences") or ())]


def events(client: Client, involved: str, namespace="default") -> list[tuple[str, str, str]]:
    """(type, reason, message) of the events about an object, in creation order."""
    items = [e for e in must(client.list("events", namespace))["items"] if e["involvedObject"]["name"] == involved]
    items.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [(e["type"], e["reason"], e["message"]) for e in items]


def entries(client: Client, after: int) -> list:
    from engine.log.eventlog import scan_entries

    with client.cluster.view() as v:
        return list(scan_entries(v.txn, after + 1))


# --- a stand-in for the scheduler and kubelet ------------------------------------------------------


def bind(client: Client, pod_name: str, node: str = "node1", namespace: str = "default"):
    req = Request(verb="create", resource="pods", namespace=namespace, name=pod_name, subresource="binding",
                  body={"apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod_name},
                        "target": {"apiVersion": "v1", "kind": "Node", "name": node}},
                  user="system:kube-scheduler", groups=("system:authenticated",))
    return must(client.cluster.submit(req))


def report_ready(client: Client, pod_name: str, node: str = "node1", namespace: str = "default", ready: bool = True,
                 restarts: int = 0):
    """What a kubelet writes: phase Running and the Ready condition, as `system:node:<node>`."""
    pod = must(client.get("pods", pod_name, namespace))
    now = rfc3339(client.cluster.head().at)
    status = copy.deepcopy(pod.get("status") or {})
    status["phase"] = "Running"
    conds = [c for c in status.get("conditions") or () if c.get("type") != "Ready"]
    conds.append({"type": "Ready", "status": "True" if ready else "False", "lastProbeTime": None, "lastTransitionTime": now})
    status["conditions"] = conds
    status["containerStatuses"] = [{"name": "myapp", "ready": ready, "restartCount": restarts, "started": True}]
    who = node_identity(node)
    req = Request(verb="update", resource="pods", namespace=namespace, name=pod_name, subresource="status",
                  body={**pod, "status": status}, user=who.name, groups=who.groups)
    return must(client.cluster.submit(req))


def run_pod(client: Client, pod_name: str, node: str = "node1", namespace: str = "default"):
    bind(client, pod_name, node, namespace)
    return report_ready(client, pod_name, node, namespace)


class InstantKubelet:
    """An actor that binds every new pod to node1 and reports it Ready in the same instant."""

    name = "test-instant-kubelet"
    identity = node_identity("node1")

    def keys_for(self, entry, obj):
        req = entry.request
        if obj is None or not entry.changed or req.resource != "pods" or entry.outcome.digest == "deleted":
            return ()
        return (object_key("", "pods", obj["metadata"]["namespace"], obj["metadata"]["name"]),)

    def decide(self, view, key):
        pod = view.get_key(key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return NOTHING
        meta = pod["metadata"]
        if not (pod.get("spec") or {}).get("nodeName"):
            return Decision((Request(verb="create", resource="pods", namespace=meta["namespace"], name=meta["name"],
                                     subresource="binding", user="system:kube-scheduler", groups=("system:authenticated",),
                                     body={"target": {"kind": "Node", "name": "node1"}}),))
        if (pod.get("status") or {}).get("phase") == "Running":
            return NOTHING
        status = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(view.now)}]}
        return Decision((Request(verb="update", resource="pods", namespace=meta["namespace"], name=meta["name"],
                                 subresource="status", body={**pod, "status": status}, user=self.identity.name,
                                 groups=self.identity.groups),))


# --- a refusal to make creates fail ------------------------------------------------------------------


class PodQuota:
    """Refuses pod creates in a namespace beyond `limit` pods, with ResourceQuota's wording."""

    name = "TestPodQuota"

    def __init__(self, namespace: str = "default", limit: int = 0):
        self.namespace, self.limit = namespace, limit

    def mutate(self, ctx):
        return []

    def validate(self, ctx):
        req = ctx.request
        if ctx.rtype.kind != "Pod" or ctx.operation != "CREATE" or req.subresource or req.namespace != self.namespace:
            return
        used = len(ctx.view.list("", "pods", self.namespace))
        if used >= self.limit:
            name = (ctx.new or {}).get("metadata", {}).get("name", "")
            raise StatusError(403, "Forbidden", f'pods "{name}" is forbidden: exceeded quota: pods-quota, requested: '
                                                f"pods=1, used: pods={used}, limited: pods={self.limit}")


def with_quota(client: Client, limit: int, namespace: str = "default") -> PodQuota:
    quota = PodQuota(namespace, limit)
    client.cluster.path.admission.append(quota)
    return quota
