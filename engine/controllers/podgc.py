"""The pod garbage collector's orphan sweep (upstream `pkg/controller/podgc`, `gcOrphaned`).

A pod bound to a node that does not exist is deleted once the node has been missing for the
quarantine time (40 s, `quarantineTime`): first its status is patched to phase Failed with the
condition `DisruptionTarget=True` (reason `DeletionByPodGC`, message `PodGC: node no longer
exists`; a pod already Succeeded or Failed is not patched), then it is deleted with grace period 0
(`markFailedAndDeletePodWithCondition`). Pods go in namespace/name order.

Upstream notices a missing node on a periodic pass (every 20 s), queues it for the quarantine
time and checks again with a live read; here each pod's quarantine runs from the moment it could
first be noticed, the later of the node's deletion (the newest delete of the node in the log) and
the pod's creation, and the pod goes exactly when it ends (upstream: within the next 20 s pass).
Not simulated: the terminated-pod threshold (12500), terminating pods on out-of-service nodes, and
unscheduled terminating pods.

Keys: `node\\x01<name>` when a Node is deleted, or when a pod is created already bound or is bound
to a node (decide looks the node up and does nothing when it exists).
"""

from __future__ import annotations

from typing import Iterable

from engine.clock import parse_time, rfc3339
from engine.log.eventlog import SEP, from_u64, read_entry
from engine.log.kv import prefix_end
from engine.pipeline.identity import controller_identity
from engine.records import Admitted, LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key

QUARANTINE_US = 40 * 1_000_000
NODE = b"node\x01"
DISRUPTION_TARGET = "DisruptionTarget"
REASON = "DeletionByPodGC"
MESSAGE = "PodGC: node no longer exists"


def node_deleted_at(view: View, name: str) -> int | None:
    """When the node was last deleted (us), from the log's index of entries naming it."""
    prefix = object_key("", "nodes", "", name) + SEP
    for k, _v in view.txn.scan("idx_obj", prefix, prefix_end(prefix), reverse=True):
        seq = from_u64(bytes(k[len(prefix):len(prefix) + 8]))
        if view.seq and seq > view.seq:
            continue
        e = read_entry(view.txn, seq)
        if e is not None and e.request.verb == "delete" and isinstance(e.outcome, Admitted) \
                and e.outcome.digest == "deleted":
            return e.at
    return None


def _created(pod: dict) -> int | None:
    text = pod["metadata"].get("creationTimestamp")
    try:
        return parse_time(text) if text else None
    except ValueError:
        return None


def _pods_on_node(view: View, name: str) -> list[dict]:
    """The pods bound to `name`: from the pods-by-node index when the view has one, else a scan."""
    by_node = getattr(view, "pods_on_node", None)
    if by_node is not None:
        return by_node(name)
    return [p for p in view.list("", "pods") if (p.get("spec") or {}).get("nodeName") == name]


def failed_status(pod: dict, now: int) -> dict:
    """The status patch: phase Failed and the DisruptionTarget condition (`UpdatePodCondition`)."""
    old = next((c for c in (pod.get("status") or {}).get("conditions") or () if c.get("type") == DISRUPTION_TARGET), None)
    cond = {"type": DISRUPTION_TARGET, "status": "True", "lastProbeTime": None,
            "lastTransitionTime": old.get("lastTransitionTime") if old is not None and old.get("status") == "True"
            else rfc3339(now), "reason": REASON, "message": MESSAGE}
    return {"status": {"phase": "Failed", "conditions": [cond]}}


class PodGarbageCollector:
    name = "pod-garbage-collector"
    identity = controller_identity("pod-garbage-collector")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if obj is None or not entry.changed:
            return ()
        req = entry.request
        if req.group != "":
            return ()
        if req.resource == "nodes":
            if entry.outcome.digest == "deleted":  # type: ignore[union-attr]
                return (NODE + ((obj.get("metadata") or {}).get("name", "")).encode(),)
            return ()
        if req.resource == "pods" and (req.subresource == "binding" or (req.verb == "create" and not req.subresource)):
            node = (obj.get("spec") or {}).get("nodeName")
            return (NODE + node.encode(),) if node else ()
        return ()

    def decide(self, view: View, key: bytes) -> Decision:
        if not key.startswith(NODE):
            return NOTHING
        name = key[len(NODE):].decode()
        if view.get("", "nodes", "", name) is not None:
            return NOTHING
        pods = sorted(_pods_on_node(view, name), key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"]))
        if not pods:
            return NOTHING
        deleted_at = node_deleted_at(view, name)
        who = self.identity
        reqs: list[Request] = []
        later: list[int] = []
        for pod in pods:
            created = _created(pod)
            since = max(t for t in (deleted_at, created, 0) if t is not None)
            if view.now < since + QUARANTINE_US:
                later.append(since + QUARANTINE_US)
                continue
            meta = pod["metadata"]
            ns = meta.get("namespace", "")
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                reqs.append(Request(verb="patch", resource="pods", namespace=ns, name=meta["name"], subresource="status",
                                    body=failed_status(pod, view.now), params={"patchType": "strategic"},
                                    user=who.name, groups=who.groups))
            reqs.append(Request(verb="delete", resource="pods", namespace=ns, name=meta["name"],
                                params={"gracePeriodSeconds": 0}, user=who.name, groups=who.groups))
        if later:
            return Decision(tuple(reqs), requeue_at=min(later))
        return Decision(tuple(reqs))
