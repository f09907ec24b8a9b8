"""The simulated kubelet's eviction manager under memory pressure (`pkg/kubelet/eviction`).

A signal is recorded on the Node as `sim.kubetape.io/memory-pressure: "<since>/<available>/<n>"`
(`ktape sim memory-pressure NODE [--available Q]`, an ordinary logged patch; `--off` removes it).
While it is there the node's kubelet:

1. reports `MemoryPressure=True` (`KubeletHasInsufficientMemory`, "kubelet has insufficient
   memory available"), from which the scheduler derives the `node.kubernetes.io/memory-pressure`
   NoSchedule taint, so replacements do not land on the node;
2. records the `EvictionThresholdMet` warning ("Attempting to reclaim memory") on the node and
   evicts one pod per signal, the first by upstream's `rankMemoryPressure`: pods whose memory
   usage exceeds their request first, then lower priority, then the larger usage above request.
   Usage is read from the `metrics.kubetape.io/memory.<container>` records (`ktape metrics set`);
   a pod without a record counts as using nothing, so BestEffort pods (request 0) come before
   Burstable, and Burstable before Guaranteed (larger requests). Node-critical pods are never
   evicted. Each `sim memory-pressure` while the pressure is on raises `n`: one more pod.
   The evicted pod's containers are stopped, it goes `Failed` with reason `Evicted`, upstream's
   message (`The node was low on resource: memory. Threshold quantity: 100Mi, available: ...`)
   and a `DisruptionTarget` condition (`TerminationByKubelet`), with an `Evicted` warning event;
   its controller replaces it;
3. once the signal is removed, reports `MemoryPressure=False` again.

Requests go out as `system:node:<node>`. Pure decide; the one-eviction-per-signal rule reads the
node's pods (`n` pods evicted by the kubelet at or after `since`: every signal was served). Hard
eviction has no grace period, so running containers are killed (exit 137, `Error`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable

from engine.clock import parse_time, rfc3339
from engine.controllers.events import event_request
from engine.kubelet_sim import faults
from engine.kubelet_sim.kubelet import stopped
from engine.model.qos import is_node_critical
from engine.model.quantity import format_quantity, BINARY_SI, parse_quantity
from engine.model.resources import resource_list
from engine.pipeline.identity import node_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key, split_key

MEMORY_PRESSURE = faults.PREFIX + "memory-pressure"
THRESHOLD = "100Mi"  # the kubelet's default hard threshold memory.available<100Mi
EVICTED = "Evicted"
NODE_LOW = "The node was low on resource: %s. "
THRESHOLD_MET = "Threshold quantity: %s, available: %s. "
CONTAINER_MSG = "Container %s was using %s, request is %s, has larger consumption of %s. "
USAGE_PREFIX = "metrics.kubetape.io/memory."


def pressure(node: dict) -> tuple[int, str, int] | None:
    """(since, available, signals) of the node's memory-pressure signal, or None."""
    raw = faults.annotations(node).get(MEMORY_PRESSURE)
    if raw is None:
        return None
    parts = str(raw).split("/")
    try:
        count = int(parts[2]) if len(parts) > 2 else 1
    except ValueError:
        count = 1
    return faults.since(parts[0]), (parts[1] if len(parts) > 1 and parts[1] else "0"), count


def signal_value(since: str, available: str, count: int = 1) -> str:
    return f"{since}/{available}/{count}"


def container_usage(pod: dict) -> dict[str, Fraction]:
    ann = (pod.get("metadata") or {}).get("annotations") or {}
    out: dict[str, Fraction] = {}
    for c in (pod.get("spec") or {}).get("containers") or ():
        raw = ann.get(USAGE_PREFIX + c.get("name", ""))
        if raw is not None:
            try:
                out[c["name"]] = parse_quantity(raw)
            except ValueError:
                pass
    return out


def _request(pod: dict) -> Fraction:
    total = Fraction(0)
    for c in (pod.get("spec") or {}).get("containers") or ():
        total += resource_list(((c.get("resources") or {}).get("requests"))).get("memory", Fraction(0))
    return total


def rank(pods: list[dict]) -> list[dict]:
    """`rankMemoryPressure`: exceeds request first, then lower priority, then larger usage - request."""
    def key(p: dict):
        usage = sum(container_usage(p).values(), Fraction(0))
        req = _request(p)
        prio = (p.get("spec") or {}).get("priority") or 0
        return (0 if usage > req else 1, prio, -(usage - req))
    return sorted(pods, key=key)


def eviction_message(pod: dict, available: str) -> str:
    msg = NODE_LOW % "memory" + THRESHOLD_MET % (THRESHOLD, available)
    usage = container_usage(pod)
    for c in (pod.get("spec") or {}).get("containers") or ():
        used = usage.get(c.get("name", ""))
        req = resource_list((c.get("resources") or {}).get("requests")).get("memory", Fraction(0))
        if used is not None and used > req:
            msg += CONTAINER_MSG % (c["name"], format_quantity(used, BINARY_SI), format_quantity(req, BINARY_SI), "memory")
    return msg


def _condition(node: dict) -> dict | None:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == "MemoryPressure":
            return c
    return None


class EvictionManager:
    name = "kubelet-eviction-manager"
    identity = node_identity("*")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        req = entry.request
        if not entry.changed or obj is None or req.group != "" or req.resource != "nodes" or req.subresource:
            return ()
        return (object_key("", "nodes", "", obj["metadata"]["name"]),)

    def decide(self, view: View, key: bytes) -> Decision:
        name = split_key(key)[3]
        node = view.get("", "nodes", "", name)
        if node is None or faults.node_down(node):
            return NOTHING
        who = node_identity(name)
        signal = pressure(node)
        cond = _condition(node)
        on = cond is not None and cond.get("status") == "True"
        if (signal is not None) != on:
            return Decision((self._condition_update(node, signal is not None, view.now, who),), again=True)
        if signal is None:
            return NOTHING
        since, available, count = signal
        pods = [p for p in view.pods_on_node(name)]
        served = 0
        for p in pods:
            st = p.get("status") or {}
            if st.get("reason") == EVICTED and any(
                    c.get("type") == "DisruptionTarget" and c.get("reason") == "TerminationByKubelet"
                    and _time(c.get("lastTransitionTime")) >= since for c in st.get("conditions") or ()):
                served += 1
        if served >= count:
            return NOTHING  # every signal has been served
        candidates = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                      and not p["metadata"].get("deletionTimestamp") and not is_node_critical(p)]
        if not candidates:
            return NOTHING
        victim = rank(sorted(candidates, key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"])))[0]
        message = eviction_message(victim, available)
        now = rfc3339(view.now)
        status = _killed(stopped(victim, view.now), victim)
        conditions = [c for c in status.get("conditions") or () if c.get("type") != "DisruptionTarget"]
        conditions.append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None, "lastTransitionTime": now,
                           "reason": "TerminationByKubelet", "message": message})
        status = {**status, "phase": "Failed", "reason": EVICTED, "message": message, "conditions": conditions}
        meta = victim["metadata"]
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": meta["name"], "namespace": meta.get("namespace", ""),
                                                                 "resourceVersion": meta.get("resourceVersion", "")},
                "status": status}
        node_event = event_request(who, "kubelet", node, "Warning", "EvictionThresholdMet", "Attempting to reclaim memory", view.now)
        pod_event = event_request(who, "kubelet", victim, "Warning", EVICTED, message, view.now)
        for ev in (node_event, pod_event):
            ev.body["source"]["host"] = name
        from engine.controllers.replicaset.status import name_events

        reqs = [Request(verb="update", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"],
                        subresource="status", body=body, user=who.name, groups=who.groups)]
        return Decision(tuple(name_events(view, [node_event] + reqs + [pod_event])))

    @staticmethod
    def _condition_update(node: dict, on: bool, now_us: int, who) -> Request:
        now = rfc3339(now_us)
        reason, message = (("KubeletHasInsufficientMemory", "kubelet has insufficient memory available") if on
                           else ("KubeletHasSufficientMemory", "kubelet has sufficient memory available"))
        conditions = []
        for c in (node.get("status") or {}).get("conditions") or ():
            if c.get("type") == "MemoryPressure":
                c = {**c, "status": "True" if on else "False", "reason": reason, "message": message,
                     "lastHeartbeatTime": now, "lastTransitionTime": now}
            conditions.append(c)
        name = node["metadata"]["name"]
        body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "resourceVersion": node["metadata"].get("resourceVersion", "")},
                "status": {**(node.get("status") or {}), "conditions": conditions}}
        return Request(verb="update", resource="nodes", name=name, subresource="status", body=body, user=who.name, groups=who.groups)


def _killed(status: dict, pod: dict) -> dict:
    """Containers that were running end with SIGKILL (137, Error), as a hard eviction kills them."""
    before = {cs.get("name"): cs for cs in (pod.get("status") or {}).get("containerStatuses") or ()}
    out = []
    for cs in status.get("containerStatuses") or ():
        was = before.get(cs.get("name")) or {}
        term = (cs.get("state") or {}).get("terminated")
        if term is not None and "running" in (was.get("state") or {}):
            cs = {**cs, "state": {"terminated": {**term, "exitCode": 137, "reason": "Error"}}}
        out.append(cs)
    return {**status, "containerStatuses": out} if out else status


def _time(raw) -> int:
    try:
        return parse_time(str(raw))
    except ValueError:
        return -1
