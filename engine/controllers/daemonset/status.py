"""DaemonSet status and events (upstream `updateDaemonSetStatus`, `storeDaemonSetStatus`).

For every node: a node that should run the pod counts in desiredNumberScheduled; if it has a daemon
pod, currentNumberScheduled; its oldest pod (scheduled first, then by creation time) counts in
numberReady when ready, numberAvailable when available (minReadySeconds), and
updatedNumberScheduled when it carries the current hash (or template generation). A node that
should not run the pod but has one counts in numberMisscheduled. numberUnavailable = desired -
available. observedGeneration is the generation synced.

The status is written only when one of those changed or observedGeneration is behind; the first
four fields are always present (no `omitempty` upstream), the other counts are omitted when zero,
and collisionCount and conditions are kept. Events use the `daemonset-controller` component.
"""

from __future__ import annotations

from typing import Callable

from engine.controllers.daemonset.manage import sort_pods
from engine.controllers.daemonset.util import is_pod_updated, template_generation
from engine.controllers.events import NORMAL, WARNING, event_request
from engine.model.pods import is_available, is_ready, ready_since
from engine.pipeline.identity import UserInfo
from engine.records import Request

COMPONENT = "daemonset-controller"
SUCCESSFUL_CREATE = "SuccessfulCreate"
SUCCESSFUL_DELETE = "SuccessfulDelete"
FAILED_CREATE = "FailedCreate"

ALWAYS = ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady")
OMIT_ZERO = ("observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable")
COUNTS = ALWAYS + OMIT_ZERO[1:]


def min_ready_seconds(ds: dict) -> int:
    return int((ds.get("spec") or {}).get("minReadySeconds") or 0)


def counts(ds: dict, nodes: list[dict], node_to_pods: dict[str, list[dict]], hash_: str, now: int,
           should_run: Callable[[dict], tuple[bool, bool]]) -> dict[str, int]:
    desired = current = misscheduled = ready = updated = available = 0
    generation = template_generation(ds)
    min_ready = min_ready_seconds(ds)
    for node in nodes:
        run, _ = should_run(node)
        pods = node_to_pods.get(node["metadata"]["name"]) or []
        if run:
            desired += 1
            if not pods:
                continue
            current += 1
            pod = sort_pods(pods)[0]
            if is_ready(pod):
                ready += 1
                if is_available(pod, min_ready, now):
                    available += 1
            if is_pod_updated(pod, hash_, generation):
                updated += 1
        elif pods:
            misscheduled += 1
    return {"currentNumberScheduled": current, "numberMisscheduled": misscheduled, "desiredNumberScheduled": desired,
            "numberReady": ready, "updatedNumberScheduled": updated, "numberAvailable": available,
            "numberUnavailable": desired - available}


def new_status(ds: dict, values: dict[str, int]) -> dict:
    old = ds.get("status") or {}
    out = {k: v for k, v in old.items() if k not in COUNTS + ("observedGeneration",)}
    for k in ALWAYS:
        out[k] = values[k]
    generation = int(ds["metadata"].get("generation") or 0)
    for k, v in (("observedGeneration", generation),) + tuple((k, values[k]) for k in OMIT_ZERO[1:]):
        if v:
            out[k] = v
    return out


def unchanged(ds: dict, values: dict[str, int]) -> bool:
    """`storeDaemonSetStatus`'s early return: the same counts and observedGeneration >= generation."""
    old = ds.get("status") or {}
    if any(int(old.get(k) or 0) != values[k] for k in COUNTS):
        return False
    return int(old.get("observedGeneration") or 0) >= int(ds["metadata"].get("generation") or 0) and \
        all(k in old for k in ALWAYS)


def status_request(who: UserInfo, ds: dict, status: dict) -> Request:
    """`UpdateStatus`: the object with its new status, carrying the resourceVersion read."""
    meta = ds["metadata"]
    return Request(verb="update", group="apps", version="v1", resource="daemonsets", namespace=meta.get("namespace", ""),
                   name=meta["name"], subresource="status", body={**ds, "status": status},
                   user=who.name, groups=who.groups)


def next_available_at(ds: dict, pods: list[dict], now: int) -> int | None:
    """When a ready pod will have turned available: upstream re-enqueues minReadySeconds + 1 s after
    a pod turns ready (the replicaset controller does the same)."""
    min_ready = min_ready_seconds(ds)
    if not min_ready:
        return None
    times = []
    for pod in pods:
        if is_ready(pod) and not is_available(pod, min_ready, now):
            since = ready_since(pod)
            times.append((since if since is not None else now) + (min_ready + 1) * 1_000_000)
    due = [t for t in times if t > now]
    return min(due) if due else None


def event(who: UserInfo, ds: dict, type_: str, reason: str, message: str, now: int) -> Request:
    return event_request(who, COMPONENT, ds, type_, reason, message, now)


def created_event(who: UserInfo, ds: dict, pod_name: str, now: int) -> Request:
    return event(who, ds, NORMAL, SUCCESSFUL_CREATE, f"Created pod: {pod_name}", now)


def deleted_event(who: UserInfo, ds: dict, pod_name: str, now: int) -> Request:
    return event(who, ds, NORMAL, SUCCESSFUL_DELETE, f"Deleted pod: {pod_name}", now)


def failed_create_event(who: UserInfo, ds: dict, message: str, now: int) -> Request:
    return event(who, ds, WARNING, FAILED_CREATE, f"Error creating: {message}", now)


__all__ = ["COMPONENT", "counts", "new_status", "unchanged", "status_request", "next_available_at", "event",
           "created_event", "deleted_event", "failed_create_event", "NORMAL", "WARNING"]
