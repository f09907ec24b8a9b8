"""Shared builders for the StatefulSet and volume binder tests (no tests here).

Two kinds of cluster: `boot()` has the garbage collector, the namespace controller, the
StatefulSet controller and the volume binder, and no scheduler or kubelet, so a test decides
when a pod runs and becomes ready (`run_pod`, `report` from the ReplicaSet tests' stand-ins);
`boot_full()` has every default actor plus these two, so pods run on the simulated kubelets.
"""

from __future__ import annotations

import copy

from engine.api import Cluster, default_actors
from engine.bootstrap import InitOptions, init
from engine.clock import rfc3339
from engine.client import Client, must
from engine.controllers.garbage_collector import GarbageCollector
from engine.controllers.namespace import NamespaceController
from engine.controllers.pv_binder import VolumeBinder
from engine.controllers.statefulset import StatefulSetController
from engine.pipeline.identity import node_identity
from engine.records import Request
from tests.controllers.test_replicaset_support import START, PodTerminator, bind, entries, names, pods  # noqa: F401

S = 1_000_000
STS_USER = "system:serviceaccount:kube-system:statefulset-controller"
BINDER_USER = "system:serviceaccount:kube-system:persistent-volume-binder"


def actors():
    return [GarbageCollector(), NamespaceController(), StatefulSetController(), VolumeBinder(), PodTerminator()]


def full_actors():
    """The default actors with these two where the lead is asked to wire them: after the
    ReplicationManager (owners before what they own), before the scheduler."""
    out = default_actors()
    at = next(i for i, a in enumerate(out) if a.name == "replication-controller") + 1
    return out[:at] + [StatefulSetController(), VolumeBinder()] + out[at:]


def boot(actor_list=None) -> Client:
    cluster = Cluster.memory(actors=actor_list if actor_list is not None else actors())
    init(cluster, InitOptions(start_time=START))
    return Client(cluster)


def boot_full() -> Client:
    return boot(full_actors())


def statefulset(name="web", replicas=3, labels=None, service="nginx", claims=("www",), policy=None, parallel=False,
                partition=None, on_delete=False, start=None, min_ready=0, image="nginx:1.24", finalizers=(),
                history_limit=None, retention=None):
    labels = labels or {"app": name}
    tmeta: dict = {"labels": dict(labels)}
    if finalizers:
        tmeta["finalizers"] = list(finalizers)
    spec: dict = {
        "replicas": replicas, "serviceName": service, "selector": {"matchLabels": dict(labels)},
        "template": {"metadata": tmeta, "spec": {"containers": [{"name": "nginx", "image": image,
                                                                 "ports": [{"containerPort": 80}]}]}},
    }
    if claims:
        spec["volumeClaimTemplates"] = [{"metadata": {"name": c}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                                            "resources": {"requests": {"storage": "1Gi"}}}}
                                        for c in claims]
    if parallel:
        spec["podManagementPolicy"] = "Parallel"
    if on_delete:
        spec["updateStrategy"] = {"type": "OnDelete"}
    elif partition is not None:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}
    if start is not None:
        spec["ordinals"] = {"start": start}
    if min_ready:
        spec["minReadySeconds"] = min_ready
    if history_limit is not None:
        spec["revisionHistoryLimit"] = history_limit
    if retention is not None:
        spec["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": retention[0], "whenScaled": retention[1]}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": spec}


def report(client: Client, pod_name: str, phase="Running", ready=True, node="node1", namespace="default"):
    """What a kubelet writes: the phase and the Ready condition, as `system:node:<node>`."""
    pod = must(client.get("pods", pod_name, namespace))
    now = rfc3339(client.cluster.head().at)
    status = copy.deepcopy(pod.get("status") or {})
    status["phase"] = phase
    conds = [c for c in status.get("conditions") or () if c.get("type") != "Ready"]
    conds.append({"type": "Ready", "status": "True" if ready else "False", "lastProbeTime": None, "lastTransitionTime": now})
    status["conditions"] = conds
    who = node_identity(node)
    return must(client.cluster.submit(Request(verb="update", resource="pods", namespace=namespace, name=pod_name,
                                              subresource="status", body={**pod, "status": status},
                                              user=who.name, groups=who.groups)))


def run_pod(client: Client, pod_name: str, node="node1", namespace="default", ready=True):
    if not (must(client.get("pods", pod_name, namespace)).get("spec") or {}).get("nodeName"):
        bind(client, pod_name, node, namespace)
    return report(client, pod_name, ready=ready, node=node, namespace=namespace)


def pod_names(client: Client, namespace="default") -> list[str]:
    return names(pods(client, namespace))


def live_pod_names(client: Client, namespace="default") -> list[str]:
    return names(p for p in pods(client, namespace) if not p["metadata"].get("deletionTimestamp"))


def sts_events(client: Client, name="web", namespace="default") -> list[tuple[str, str, str]]:
    items = [e for e in must(client.list("events", namespace))["items"]
             if e["involvedObject"]["name"] == name and e["involvedObject"]["kind"] == "StatefulSet"]
    items.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [(e["type"], e["reason"], e["message"]) for e in items]


def status(client: Client, name="web", namespace="default") -> dict:
    return must(client.get("sts", name, namespace)).get("status") or {}


def claims(client: Client, namespace="default") -> dict[str, dict]:
    return {c["metadata"]["name"]: c for c in must(client.list("pvc", namespace))["items"]}


def revision_of(client: Client, pod_name: str, namespace="default") -> str:
    return must(client.get("pods", pod_name, namespace))["metadata"]["labels"]["controller-revision-hash"]


def unhold(client: Client, pod_name: str, namespace="default"):
    """Drop a held pod's finalizers, so its deletion completes."""
    return must(client.patch("pods", pod_name, {"metadata": {"finalizers": None}}, namespace, patch_type="merge"))


def my_writes(client: Client, after: int, user: str = STS_USER) -> list[tuple[str, str, str]]:
    """(verb, resource, name) of the controller's writes after seq `after` (events left out)."""
    out = []
    for e in entries(client, after):
        req = e.request
        if req.user != user or req.resource == "events" or req.verb in ("get", "list"):
            continue
        name = req.name or ((req.body or {}).get("metadata") or {}).get("name", "")
        out.append((req.verb, req.resource + (f"/{req.subresource}" if req.subresource else ""), name))
    return out
