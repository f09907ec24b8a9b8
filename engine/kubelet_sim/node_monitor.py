"""The node controller's view of a node whose kubelet went down (`ktape sim node-down`).

Upstream's node lifecycle controller notices a kubelet that stopped posting status, sets the
node's Ready, MemoryPressure, DiskPressure and PIDPressure conditions to Unknown
(`NodeStatusUnknown`, "Kubelet stopped posting node status.") and marks the node's pods not
ready (`MarkPodsNotReady`: the pod's Ready condition goes False). This actor does both, as
`system:serviceaccount:kube-system:node-controller`, as soon as the `sim.kubetape.io/down`
annotation appears: the grace period (node-monitor-grace-period), the taints the controller adds
and the evictions that follow are not simulated here. The returning kubelet (`Kubelet`) posts
Ready again when the annotation goes away.
"""

from __future__ import annotations

from typing import Iterable

from engine.clock import rfc3339
from engine.kubelet_sim import faults
from engine.kubelet_sim.kubelet import NODE_STATUS_UNKNOWN
from engine.kubelet_sim.status import TERMINAL
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key, split_key

MONITORED = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
MSG_STOPPED_POSTING = "Kubelet stopped posting node status."
MSG_NEVER_POSTED = "Kubelet never posted node status."


def unknown_conditions(node: dict, now: int) -> list[dict]:
    """The node's conditions as the node controller rewrites them for a silent kubelet."""
    ts = rfc3339(now)
    out, seen = [], set()
    for c in (node.get("status") or {}).get("conditions") or ():
        seen.add(c.get("type"))
        if c.get("type") in MONITORED and c.get("status") != "Unknown":
            c = {**c, "status": "Unknown", "reason": NODE_STATUS_UNKNOWN, "message": MSG_STOPPED_POSTING,
                 "lastTransitionTime": ts}
        out.append(c)
    for ctype in MONITORED:
        if ctype not in seen:
            out.append({"type": ctype, "status": "Unknown", "reason": "NodeStatusNeverUpdated", "message": MSG_NEVER_POSTED,
                        "lastHeartbeatTime": node["metadata"].get("creationTimestamp"), "lastTransitionTime": ts})
    return out


class NodeMonitor:
    name = "node-monitor"
    identity = controller_identity("node-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if not entry.changed or obj is None or entry.outcome.digest == "deleted":  # type: ignore[union-attr]
            return ()
        req = entry.request
        if req.group == "" and req.resource == "nodes" and faults.node_down(obj):
            return (object_key("", "nodes", "", obj["metadata"]["name"]),)
        return ()

    def decide(self, view: View, key: bytes) -> Decision:
        name = split_key(key)[3]
        node = view.get("", "nodes", "", name)
        if node is None or not faults.node_down(node):
            return NOTHING
        requests: list[Request] = []
        conditions = unknown_conditions(node, view.now)
        if conditions != ((node.get("status") or {}).get("conditions") or []):
            body = {"apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": name, "resourceVersion": node["metadata"].get("resourceVersion", "")},
                    "status": {**(node.get("status") or {}), "conditions": conditions}}
            requests.append(self._req("nodes", "", name, body))
        for pod in view.pods_on_node(name):
            if (pod.get("status") or {}).get("phase") in TERMINAL:
                continue
            status = pod.get("status") or {}
            conds = status.get("conditions") or []
            if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds):
                continue
            marked = [{**c, "status": "False", "lastTransitionTime": rfc3339(view.now)} if c.get("type") == "Ready" else c
                      for c in conds]
            meta = pod["metadata"]
            body = {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                                 "resourceVersion": meta.get("resourceVersion", "")},
                    "status": {**status, "conditions": marked}}
            requests.append(self._req("pods", meta["namespace"], meta["name"], body))
        return Decision(tuple(requests))

    def _req(self, resource: str, namespace: str, name: str, body: dict) -> Request:
        return Request(verb="update", resource=resource, namespace=namespace, name=name, subresource="status",
                       body=body, user=self.identity.name, groups=self.identity.groups)
