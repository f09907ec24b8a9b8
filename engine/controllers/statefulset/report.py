"""What this controller's last writes for a set did, read back from the log, and the events that
report them.

A decide function never sees the responses to its requests, and an event must say whether a
create succeeded. So a step that writes (pods, claims, revisions, adoptions) ends with a write of
the set's status, and the next decision for the set starts by reporting: the events for those
writes' outcomes, then the status again (a no-op status write is still recorded).

The runtime appends one decision's requests one after the other, so a step's writes are the
entries just before its closing status write. `unreported` finds this controller's last status
write to the set at the current virtual instant (through the set's `idx_obj` rows) and walks back
over the entries right before it while they are this controller's writes for the set: a report
step ends with events (or nothing) before its status write, so it yields none. The cost follows
the writes of one step, whatever else happens at the same instant.

A refused write makes the report ask for a retry later instead of at once (upstream requeues
with a rate limit doubling from 5 ms to 1000 s; here from 1 s), which also keeps a refusal from
being retried in a loop at one instant.
"""

from __future__ import annotations

import attrs

from engine.controllers.replicaset.history import instant_floor, last_status_write
from engine.controllers.statefulset import pod_control
from engine.controllers.statefulset.utils import claim_templates, parent_and_ordinal
from engine.errors import conflict
from engine.log.eventlog import SEP, from_u64, read_entry, u64
from engine.log.kv import prefix_end
from engine.pipeline.identity import UserInfo
from engine.records import Admitted, Conflicted, LogEntry, Request
from engine.view import View
from reducers.keys import object_key


@attrs.frozen
class Outcome:
    seq: int
    verb: str
    group: str
    resource: str
    namespace: str
    name: str
    error: str | None  # the refusal's message, None when it was done


def _name(e: LogEntry) -> str:
    req = e.request
    if req.name:
        return req.name
    body = req.body if isinstance(req.body, dict) else {}
    return (body.get("metadata") or {}).get("name", "") or getattr(e.outcome, "decided", {}).get("name", "")


def belongs(sts: dict, e: LogEntry) -> bool:
    """A write this controller makes for the set: its pods, claims and revisions."""
    req = e.request
    if req.namespace != sts["metadata"].get("namespace", "") or req.verb in ("get", "list", "watch"):
        return False
    set_name, name = sts["metadata"]["name"], _name(e)
    if req.group == "" and req.resource == "pods":
        return parent_and_ordinal(name)[0] == set_name
    if req.group == "" and req.resource == "persistentvolumeclaims":
        parent, ordinal = parent_and_ordinal(name)
        return ordinal >= 0 and any(parent == f"{(t.get('metadata') or {}).get('name', '')}-{set_name}"
                                    for t in claim_templates(sts))
    if req.group == "apps" and req.resource == "controllerrevisions":
        return name.rpartition("-")[0] == set_name
    return False


def _error(e: LogEntry) -> str | None:
    out = e.outcome
    if isinstance(out, Admitted):
        return None
    if isinstance(out, Conflicted):
        return conflict(e.request.resource, e.request.group, _name(e)).message
    return getattr(out, "message", "") or "refused"


def _is_own_event(sts: dict, e: LogEntry) -> bool:
    req = e.request
    if req.resource != "events" or req.verb != "create" or not isinstance(req.body, dict):
        return False
    involved = req.body.get("involvedObject") or {}
    return involved.get("kind") == "StatefulSet" and involved.get("name") == sts["metadata"]["name"]


def unreported(view: View, who: UserInfo, sts: dict) -> list[Outcome]:
    """The writes of this controller's last step for the set at this instant, if that step was not
    a report, oldest first."""
    meta = sts["metadata"]
    floor = instant_floor(view)
    marker = last_status_write(view, object_key("apps", "statefulsets", meta.get("namespace", ""), meta["name"]),
                               who.name, floor)
    out = []
    seq = marker - 1
    while seq > floor:
        e = read_entry(view.txn, seq)
        if e is None or e.request.user != who.name:
            break
        if belongs(sts, e):
            req = e.request
            out.append(Outcome(seq, req.verb, req.group, req.resource, req.namespace, _name(e), _error(e)))
        elif not _is_own_event(sts, e):
            break
        seq -= 1
    out.reverse()
    return out


def events(view: View, who: UserInfo, sts: dict, outcomes: list[Outcome]) -> list[Request]:
    """The events upstream's pod control records for these outcomes, in their order."""
    now = view.now
    ns = sts["metadata"].get("namespace", "")
    out: list[Request] = []
    claim_failures: dict[str, list[str]] = {}
    for o in outcomes:
        if o.resource == "pods" and o.verb in ("create", "delete", "update"):
            out.append(pod_control.pod_event(who, sts, o.verb, o.name, o.error, now))
        elif o.resource == "persistentvolumeclaims" and o.verb == "create":
            pod = _pod_of_claim(sts, o.name)
            out.append(pod_control.claim_event(who, sts, "create", o.name, pod, o.error, now))
            if o.error is not None:
                claim_failures.setdefault(pod, []).append(f"failed to create PVC {o.name}: {o.error}")
        elif o.resource == "persistentvolumeclaims" and o.verb == "update" and o.error is not None:
            pod = _pod_of_claim(sts, o.name)
            out.append(pod_control.pod_event(
                who, sts, "update", pod, f"could not update claim {o.name} for delete policy ownerRefs: {o.error}", now))
    # A pod whose claims could not be made is not created (`CreateStatefulPod` records the failure).
    for pod, errors in sorted(claim_failures.items()):
        if view.get("", "pods", ns, pod) is None:
            out.append(pod_control.pod_event(who, sts, "create", pod, pod_control.aggregate(errors), now))
    return out


def _pod_of_claim(sts: dict, claim: str) -> str:
    """`www-web-0` -> `web-0`: the set's name and the claim's ordinal."""
    return f"{sts['metadata']['name']}-{parent_and_ordinal(claim)[1]}"


def refused(outcomes: list[Outcome]) -> bool:
    return any(o.error is not None for o in outcomes)


MIN_RETRY_US = 1_000_000
MAX_RETRY_US = 1_000 * 1_000_000


def retry_delay(view: View, who: UserInfo, outcomes: list[Outcome]) -> int:
    """How long to wait before trying refused writes again: 1 s, doubling with each refusal in a
    row of the same write on the same object, up to 1000 s (upstream's per-item rate limiter
    doubles from 5 ms to 1000 s). The streak is read back through the object's `idx_obj` rows."""
    delay = 0
    for o in outcomes:
        if o.error is None:
            continue
        prefix = object_key(o.group, o.resource, o.namespace, o.name) + SEP
        upto = prefix + u64(view.seq + 1) if view.seq else prefix_end(prefix)
        streak = 0
        for k, _v in view.txn.scan("idx_obj", prefix, upto, reverse=True):
            e = read_entry(view.txn, from_u64(bytes(k[len(prefix):len(prefix) + 8])))
            if e is None or e.request.user != who.name or e.request.verb in ("get", "list", "watch"):
                continue
            if e.request.verb != o.verb or isinstance(e.outcome, Admitted):
                break
            streak += 1
            if MIN_RETRY_US << streak > MAX_RETRY_US:
                break
        delay = max(delay, min(MAX_RETRY_US, MIN_RETRY_US << max(streak - 1, 0)))
    return delay or MIN_RETRY_US
