"""Status, the ReplicaFailure condition, the availability wake-up and the events the controller records.

`calculate_status` is upstream's calculateStatus: replicas (active claimed pods),
fullyLabeledReplicas (pods whose labels match the template's), readyReplicas, availableReplicas
(ready for more than minReadySeconds at `now`), observedGeneration, and the `ReplicaFailure`
condition (reason `FailedCreate`, message the first failed create's error) that is set when a
sync's creates fail and removed when a sync manages without error. Zero counts are omitted as Go's
`omitempty` does; `replicas` is always present.
"""

from __future__ import annotations

import attrs

from engine.clock import parse_time, rfc3339
from engine.controllers.events import NORMAL, WARNING, event_request
from engine.controllers.replicaset.kinds import ControllerKind
from engine.model.pods import is_available, is_ready, ready_since
from engine.model.selectors import selector_from_set
from engine.pipeline.identity import UserInfo
from engine.records import Request
from reducers.keys import object_key

REPLICA_FAILURE = "ReplicaFailure"
FAILED_CREATE = "FailedCreate"
FAILED_DELETE = "FailedDelete"
SUCCESSFUL_CREATE = "SuccessfulCreate"
SUCCESSFUL_DELETE = "SuccessfulDelete"

KEEP = object()  # leave the ReplicaFailure condition as it is

# Retry delays after failed creates: upstream's per-item rate limiter doubles from 5 ms up to
# 1000 s. In virtual time the delay doubles with the age of the failure condition, from 1 s.
MIN_RETRY_US = 1_000_000
MAX_RETRY_US = 1_000 * 1_000_000


def failure_condition(status: dict) -> dict | None:
    for c in status.get("conditions") or ():
        if c.get("type") == REPLICA_FAILURE:
            return c
    return None


def _template_selector(owner: dict):
    tmpl = (owner.get("spec") or {}).get("template") or {}
    return selector_from_set((tmpl.get("metadata") or {}).get("labels") or {})


def min_ready_seconds(owner: dict) -> int:
    return int((owner.get("spec") or {}).get("minReadySeconds") or 0)


def calculate_status(owner: dict, pods: list[dict], now: int, failure=KEEP) -> dict:
    """The owner's new status; `failure` is a create error message (set), None (clear) or KEEP."""
    old = owner.get("status") or {}
    template = _template_selector(owner)
    min_ready = min_ready_seconds(owner)
    fully = ready = available = 0
    for pod in pods:
        if template.matches(pod["metadata"].get("labels") or {}):
            fully += 1
        if is_ready(pod):
            ready += 1
            if is_available(pod, min_ready, now):
                available += 1
    new = {k: v for k, v in old.items() if k not in ("replicas", "fullyLabeledReplicas", "readyReplicas",
                                                       "availableReplicas", "observedGeneration", "conditions")}
    new["replicas"] = len(pods)
    for field, value in (("fullyLabeledReplicas", fully), ("readyReplicas", ready), ("availableReplicas", available),
                         ("observedGeneration", int(owner["metadata"].get("generation") or 0))):
        if value:
            new[field] = value
    conditions = [dict(c) for c in old.get("conditions") or ()]
    existing = failure_condition(old)
    if failure is None:
        conditions = [c for c in conditions if c.get("type") != REPLICA_FAILURE]
    elif failure is not KEEP and existing is None:
        conditions.append({"type": REPLICA_FAILURE, "status": "True", "lastTransitionTime": rfc3339(now),
                           "reason": FAILED_CREATE, "message": str(failure)})
    if conditions:
        new["conditions"] = conditions
    return new


def unchanged(owner: dict, new_status: dict) -> bool:
    return (owner.get("status") or {}) == new_status


def status_request(who: UserInfo, kind: ControllerKind, owner: dict, new_status: dict) -> Request:
    """`UpdateStatus`: a PUT of the object with its new status, carrying the resourceVersion read."""
    meta = owner["metadata"]
    body = {**owner, "status": new_status}
    return Request(verb="update", group=kind.group, version=kind.version, resource=kind.plural,
                   namespace=meta.get("namespace", ""), name=meta["name"], subresource="status", body=body,
                   user=who.name, groups=who.groups)


def next_available_at(owner: dict, pods: list[dict], now: int) -> int | None:
    """When a ready pod will next turn available, as upstream's re-enqueue after minReadySeconds + 1 s."""
    min_ready = min_ready_seconds(owner)
    if not min_ready:
        return None
    times = []
    for pod in pods:
        if is_ready(pod) and not is_available(pod, min_ready, now):
            since = ready_since(pod)
            times.append((since if since is not None else now) + (min_ready + 1) * 1_000_000)
    due = [t for t in times if t > now]
    return min(due) if due else None


def retry_at(status: dict, now: int) -> int:
    """When to try creating again after failures: the delay doubles with the condition's age."""
    cond = failure_condition(status)
    since = now
    if cond is not None and cond.get("lastTransitionTime"):
        try:
            since = parse_time(cond["lastTransitionTime"])
        except ValueError:
            since = now
    return now + max(MIN_RETRY_US, min(MAX_RETRY_US, now - since))


def created_event(who: UserInfo, kind: ControllerKind, owner: dict, pod_name: str, now: int) -> Request:
    return event_request(who, kind.component, owner, NORMAL, SUCCESSFUL_CREATE, f"Created pod: {pod_name}", now)


def failed_create_event(who: UserInfo, kind: ControllerKind, owner: dict, message: str, now: int) -> Request:
    return event_request(who, kind.component, owner, WARNING, FAILED_CREATE, f"Error creating: {message}", now)


def deleted_event(who: UserInfo, kind: ControllerKind, owner: dict, pod_name: str, now: int) -> Request:
    return event_request(who, kind.component, owner, NORMAL, SUCCESSFUL_DELETE, f"Deleted pod: {pod_name}", now)


def name_events(view, reqs: list[Request]) -> list[Request]:
    """Give Event creates an explicit upstream-style name `<object>.<hex unix nanos>`.

    `event_request` asks for `generateName: "<object>."`, which object-meta validation refuses
    (a generateName must be a DNS-subdomain prefix). Upstream's recorder names events itself
    (`fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())`); here the nanoseconds are the virtual time's,
    plus the first free offset so the events of one moment do not collide. Offsets in use at one
    moment are contiguous from 0, so the first free one is found by galloping and bisection.
    """
    out: list[Request] = []
    next_free: dict[tuple[str, str], int] = {}
    for req in reqs:
        meta = ((req.body or {}).get("metadata") or {}) if req.resource == "events" else {}
        base = meta.get("generateName") or ""
        if req.resource != "events" or meta.get("name") or not base.endswith("."):
            out.append(req)
            continue
        slot = (req.namespace, base)
        if slot not in next_free:
            next_free[slot] = _first_free(view, req.namespace, base)
        salt = next_free[slot]
        next_free[slot] = salt + 1
        new_meta = {k: v for k, v in meta.items() if k != "generateName"}
        new_meta["name"] = base + format(view.now * 1000 + salt, "x")
        out.append(attrs.evolve(req, body={**req.body, "metadata": new_meta}))
    return out


def _first_free(view, namespace: str, base: str) -> int:
    def taken(salt: int) -> bool:
        name = base + format(view.now * 1000 + salt, "x")
        return view.txn.get("objects", object_key("", "events", namespace, name)) is not None

    if not taken(0):
        return 0
    lo, hi = 0, 1  # taken(lo) holds; find hi free
    while taken(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if taken(mid):
            lo = mid
        else:
            hi = mid
    return hi
