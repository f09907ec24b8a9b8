"""HPA status, conditions and the writes and events one sync makes (upstream `setStatus`,
`setCondition`, `updateStatusIfNeeded`, the scale `Update`, and the event recorder).

Status is shaped as Go serializes `autoscaling/v2.HorizontalPodAutoscalerStatus`:
`currentReplicas` omitted when 0, `desiredReplicas` always, `currentMetrics` always (`null` when
unset), `conditions` and `lastScaleTime` omitted when empty. A metric that failed leaves a zero
`MetricStatus` (`{"type": ""}`) in its slot, as upstream's status array does.
"""

from __future__ import annotations

from engine.clock import rfc3339
from engine.controllers.events import event_request
from engine.log import eventlog
from engine.pipeline.identity import UserInfo
from engine.records import Request
from reducers.keys import object_key

COMPONENT = "horizontal-pod-autoscaler"
GROUP, VERSION, RESOURCE = "autoscaling", "v2", "horizontalpodautoscalers"

CONDITION_TYPES = ("AbleToScale", "ScalingActive", "ScalingLimited")


def compact_status(status: dict | None) -> dict:
    """A status as Go's encoder writes it (what `updateStatusIfNeeded` compares)."""
    status = status or {}
    out: dict = {}
    if status.get("observedGeneration") is not None:
        out["observedGeneration"] = status["observedGeneration"]
    if status.get("lastScaleTime"):
        out["lastScaleTime"] = status["lastScaleTime"]
    if status.get("currentReplicas"):
        out["currentReplicas"] = status["currentReplicas"]
    out["desiredReplicas"] = int(status.get("desiredReplicas") or 0)
    out["currentMetrics"] = status.get("currentMetrics") or None
    if status.get("conditions"):
        out["conditions"] = status["conditions"]
    return out


def set_condition(conditions: list[dict], type_: str, status: str, reason: str, message: str, now: int) -> list[dict]:
    """`setConditionInList`: update in place (transition time only when the status flips), or append."""
    out = [dict(c) for c in conditions]
    for c in out:
        if c.get("type") == type_:
            existing = c
            break
    else:
        existing = {"type": type_}
        out.append(existing)
    if existing.get("status") != status:
        existing["lastTransitionTime"] = rfc3339(now)
    existing["status"] = status
    existing["reason"] = reason
    existing["message"] = message
    ordered = {k: existing[k] for k in ("type", "status", "lastTransitionTime", "reason", "message") if k in existing}
    existing.clear()
    existing.update(ordered)
    return out


# --- requests ------------------------------------------------------------------------------------


def scale_request(who: UserInfo, group: str, version: str, plural: str, namespace: str, scale: dict, replicas: int) -> Request:
    """`Scales(ns).Update(targetGR, scale)`: the Scale read, with the new spec.replicas."""
    body = {**scale, "spec": {**(scale.get("spec") or {}), "replicas": replicas}}
    return Request(verb="update", group=group, version=version, resource=plural, namespace=namespace,
                   name=scale["metadata"]["name"], subresource="scale", body=body, user=who.name, groups=who.groups)


def history_patch(who: UserInfo, hpa: dict, annotation: str, value: str) -> Request:
    meta = hpa["metadata"]
    body = {"metadata": {"annotations": {annotation: value}, "resourceVersion": meta.get("resourceVersion")}}
    return Request(verb="patch", group=GROUP, version=VERSION, resource=RESOURCE, namespace=meta.get("namespace", ""),
                   name=meta["name"], body=body, user=who.name, groups=who.groups, params={"patchType": "merge"})


def status_request(who: UserInfo, hpa: dict, status: dict, with_rv: bool) -> Request:
    """`UpdateStatus`: the HPA as read, with its new status."""
    meta = dict(hpa["metadata"])
    if not with_rv:
        meta.pop("resourceVersion", None)
    body = {**hpa, "metadata": meta, "status": status}
    return Request(verb="update", group=GROUP, version=VERSION, resource=RESOURCE, namespace=meta.get("namespace", ""),
                   name=meta["name"], subresource="status", body=body, user=who.name, groups=who.groups)


def event_requests(view, who: UserInfo, hpa: dict, events: list[tuple[str, str, str]], now: int) -> list[Request]:
    """The recorder's writes for this sync's events: a new Event, or, for one identical to an
    Event already recorded about this HPA (same type, reason and message), a patch of its count
    and lastTimestamp, as client-go's EventCorrelator does. Identical events of one sync are
    counted together. (The correlator's spam filter and its similar-event aggregation are not
    modelled.)"""
    meta = hpa["metadata"]
    ns, uid = meta.get("namespace", ""), meta.get("uid", "")
    counted: dict[tuple[str, str, str], int] = {}
    for e in events:
        counted[e] = counted.get(e, 0) + 1
    existing = _recorded(view, ns, meta["name"], uid) if counted else {}
    out: list[Request] = []
    for (type_, reason, message), n in counted.items():
        prior = existing.get((type_, reason, message))
        if prior is not None:
            body = {"count": int(prior.get("count") or 1) + n, "lastTimestamp": rfc3339(now)}
            out.append(Request(verb="patch", resource="events", namespace=ns, name=prior["metadata"]["name"], body=body,
                               user=who.name, groups=who.groups, params={"patchType": "strategic"}))
            continue
        req = event_request(who, COMPONENT, hpa, type_, reason, message, now)
        if n > 1:
            req = Request(verb=req.verb, resource=req.resource, namespace=req.namespace, body={**req.body, "count": n},
                          user=req.user, groups=req.groups)
        out.append(req)
    return out


def _recorded(view, namespace: str, name: str, uid: str) -> dict[tuple[str, str, str], dict]:
    """This HPA's recorded events by (type, reason, message), the latest of each: events are named
    `<hpa>.<hex>`, so one key-prefix scan finds them."""
    prefix = object_key("", "events", namespace, name + ".")
    found: dict[tuple[str, str, str], dict] = {}
    for _key, ev in eventlog.scan_objects(view.txn, prefix):
        inv = ev.get("involvedObject") or {}
        if inv.get("uid") != uid or (ev.get("source") or {}).get("component") != COMPONENT:
            continue
        k = (ev.get("type", ""), ev.get("reason", ""), ev.get("message", ""))
        prior = found.get(k)
        if prior is None or (ev.get("lastTimestamp") or "", ev["metadata"]["name"]) >= (prior.get("lastTimestamp") or "", prior["metadata"]["name"]):
            found[k] = ev
    return found


__all__ = ["COMPONENT", "compact_status", "set_condition", "scale_request", "history_patch", "status_request",
           "event_requests"]
