"""One step of `updateStatefulSet` (upstream `stateful_set_control.go`): the writes that bring the
pods one step closer to the spec.

Pods split into `replicas` (ordinals in `[start, start+replicas)`, an empty slot holding the pod
to create at the right revision) and `condemned` (valid ordinals out of range, highest first).
Then, in upstream's order:

1. each replica, lowest ordinal first (`processReplica`): a Failed or Succeeded pod is deleted
   (it comes back on a later step); a missing pod gets its claims, then itself; a Pending pod
   gets its missing claims and the claim owners its retention policy wants; with OrderedReady a
   terminating, not Running and Ready, or not yet available pod stops everything after it; a pod
   whose identity, storage or claim owners drifted is updated;
2. the condemned pods' claims get their retention owner references (`fixPodClaim`);
3. the condemned pods are deleted, highest ordinal first (`processCondemned`): OrderedReady deletes
   one at a time, waits for it to terminate, and deletes an unhealthy pod only if it is the first
   unhealthy one;
4. RollingUpdate (not OnDelete): from the highest ordinal down to the partition, the first pod not
   at the update revision is deleted (it is re-created at the update revision by step 1), and the
   update waits while a pod it passes is unavailable.

OrderedReady (upstream's "monotonic") takes the first write of this walk; Parallel takes every
write of one phase at once (upstream's `slowStartBatch` runs them all in one sync). A step that
is blocked by something only time clears (a claim still being deleted) asks to be retried.
`MaxUnavailableStatefulSet` (alpha, off by default) is not modelled: updates go one pod at a time.
"""

from __future__ import annotations

import attrs

from engine.controllers.events import WARNING, event_request
from engine.controllers.statefulset import pod_control, retention
from engine.controllers.statefulset.revisions import apply_revision
from engine.controllers.statefulset.utils import (
    ON_DELETE, RETAIN, claim_name, claim_templates, descending, identity_matches, is_created, is_parallel,
    is_running_and_available, is_running_and_ready, is_terminating, is_unavailable, min_ready_seconds,
    new_versioned_pod, ordinal_of, partition, phase, pod_claims, pod_revision, replicas_of, retention_policy,
    start_ordinal, storage_matches, strategy_type, update_identity, update_storage,
)
from engine.pipeline.identity import UserInfo
from engine.records import Request
from engine.view import View
from reducers.clone import clone


@attrs.frozen
class Step:
    requests: tuple[Request, ...] = ()
    stop: bool = False  # OrderedReady: nothing after this pod may be touched now
    retry: bool = False  # blocked on something only time clears: decide again later


NOTHING_YET = Step()


MISSING = {"metadata": {"name": ""}}  # stands for a replica still to be created (always unavailable)


@attrs.frozen
class Slots:
    """The pods by role, as `updateStatefulSet` partitions them."""

    replicas: list[dict | None]  # index = ordinal - start; None: still to be created
    condemned: list[dict]  # highest ordinal first
    first_unavailable: dict | None  # `MISSING` when it is a replica still to be created


def partition_pods(sts: dict, pods: list[dict], now: int) -> Slots:
    start, count = start_ordinal(sts), replicas_of(sts)
    replicas: list[dict | None] = [None] * count
    condemned = []
    for pod in pods:
        o = ordinal_of(pod)
        if start <= o < start + count:
            replicas[o - start] = pod
        elif o >= 0:
            condemned.append(pod)
    condemned = descending(condemned)
    min_ready = min_ready_seconds(sts)
    first = next((MISSING if p is None else p for p in replicas if p is None or is_unavailable(p, min_ready, now)), None)
    if first is None:
        first = next((p for p in reversed(condemned) if is_unavailable(p, min_ready, now)), None)
    return Slots(replicas, condemned, first)


# --- claims ------------------------------------------------------------------------------------------


def _claims(view: View, sts: dict, pod: dict) -> list[tuple[str, dict | None]]:
    """(claim name, the claim that exists or None) for each template, for the pod's ordinal."""
    ns = sts["metadata"].get("namespace", "")
    ordinal = ordinal_of(pod)
    return [(name, view.get("", "persistentvolumeclaims", ns, name))
            for name in (claim_name(sts, t, ordinal) for t in claim_templates(sts))]


def _missing(sts: dict, pod: dict, claims) -> list[dict]:
    """The claims to create (as the templates make them) for those that do not exist."""
    absent = {name for name, have in claims if have is None}
    return [c for _t, c in pod_claims(sts, ordinal_of(pod)) if c["metadata"]["name"] in absent]


def _claims_being_deleted(claims) -> list[str]:
    return [f"pvc {name} is being deleted" for name, have in claims
            if have is not None and have["metadata"].get("deletionTimestamp")]


def _retention_fixes(who: UserInfo, sts: dict, pod: dict, claims, now: int) -> list[Request]:
    """`UpdatePodClaimForRetentionPolicy`: claim updates (and a warning for a foreign controller)."""
    out: list[Request] = []
    for _name, have in claims:
        if have is None:
            continue
        if retention.has_unexpected_controller(have, sts, pod):
            out.append(event_request(who, pod_control.COMPONENT, sts, WARNING, retention.CONFLICTING_CONTROLLER,
                                     retention.conflicting_controller_message(have["metadata"]["name"]), now))
        if not retention.is_claim_owner_up_to_date(have, sts, pod):
            out.append(pod_control.update_claim(who, have, retention.updated_owner_refs(have, sts, pod)))
    return out


def _retention_matches(sts: dict, pod: dict, claims) -> bool:
    """`ClaimsMatchRetentionPolicy`: a missing claim counts as matching."""
    return all(have is None or retention.is_claim_owner_up_to_date(have, sts, pod) for _n, have in claims)


# --- replicas ----------------------------------------------------------------------------------------


def _create(view: View, who: UserInfo, sts: dict, pod: dict, monotonic: bool, now: int) -> Step:
    """A missing pod: its claims first (`createPersistentVolumeClaims`), then the pod."""
    meta = pod["metadata"]
    if view.get("", "pods", meta.get("namespace", ""), meta["name"]) is not None:
        return Step(stop=True)  # the name is held by a pod that is not ours; its adoption or removal requeues us
    claims = _claims(view, sts, pod)
    if retention_policy(sts)[1] != RETAIN and any(have is not None and retention.claim_is_stale(have, pod)
                                                  for _w, have in claims):
        return Step(stop=True)  # `PodClaimIsStale`: the garbage collector is deleting it; its removal requeues us
    blocked = _claims_being_deleted(claims)
    if blocked:
        return Step((pod_control.pod_event(who, sts, "create", meta["name"], pod_control.aggregate(blocked), now),),
                    stop=True, retry=True)
    missing = _missing(sts, pod, claims)
    if missing:
        return Step(tuple(pod_control.create_claim(who, c) for c in missing), stop=True)
    return Step((pod_control.create_pod(who, pod),), stop=monotonic)


def _update(view: View, who: UserInfo, update_set: dict, pod: dict, claims, now: int) -> Step:
    """`UpdateStatefulPod`: restore identity and storage, fix claim owners, then PUT the pod."""
    new = clone(pod)
    reqs: list[Request] = []
    if not identity_matches(update_set, new):
        update_identity(update_set, new)
    if not storage_matches(update_set, new):
        update_storage(update_set, new)
        reqs += [pod_control.create_claim(who, c) for c in _missing(update_set, new, claims)]
    if not _retention_matches(update_set, new, claims):
        reqs += _retention_fixes(who, update_set, new, claims, now)
    reqs.append(pod_control.update_pod(who, new))
    return Step(tuple(reqs))


def process_replica(view: View, who: UserInfo, sts: dict, update_set: dict, pod: dict, monotonic: bool, now: int) -> Step:
    """`processReplica` for one pod of the ordinal range."""
    if is_created(pod) and phase(pod) in ("Failed", "Succeeded"):
        if not is_terminating(pod):
            return Step((pod_control.delete_pod(who, pod),), stop=True)
        return Step(stop=True)  # re-created once it is gone
    if not is_created(pod):
        return _create(view, who, sts, pod, monotonic, now)
    claims = _claims(view, sts, pod)
    if phase(pod) == "Pending":  # `createMissingPersistentVolumeClaims`
        if _claims_being_deleted(claims):
            return Step(stop=True, retry=True)
        missing = _missing(sts, pod, claims)
        if missing:
            return Step(tuple(pod_control.create_claim(who, c) for c in missing), stop=True)
        fixes = _retention_fixes(who, sts, pod, claims, now)
        if fixes:
            return Step(tuple(fixes), stop=monotonic)
    min_ready = min_ready_seconds(sts)
    if monotonic and (is_terminating(pod) or not is_running_and_ready(pod) or
                      not is_running_and_available(pod, min_ready, now)):
        return Step(stop=True)
    if identity_matches(sts, pod) and storage_matches(sts, pod) and _retention_matches(update_set, pod, claims):
        return NOTHING_YET
    return _update(view, who, update_set, pod, claims, now)


# --- the whole step ----------------------------------------------------------------------------------


def update_stateful_set(view: View, who: UserInfo, sts: dict, current: dict, update: dict, pods: list[dict]) -> Step:
    """The next writes for the set's pods (none when they match the spec, or must wait)."""
    now = view.now
    current_set, update_set = apply_revision(sts, current), apply_revision(sts, update)
    cur_name, upd_name = current["metadata"]["name"], update["metadata"]["name"]
    slots = partition_pods(sts, pods, now)
    if sts["metadata"].get("deletionTimestamp"):
        return NOTHING_YET  # a set being deleted only has its status updated
    monotonic = not is_parallel(sts)
    min_ready = min_ready_seconds(sts)

    # 1. the replicas, lowest ordinal first
    batch: list[Request] = []
    retry = False
    start = start_ordinal(sts)
    for i, pod in enumerate(slots.replicas):
        if pod is None:  # made only when reached: `newVersionedStatefulSetPod`
            pod = new_versioned_pod(current_set, update_set, cur_name, upd_name, start + i)
        step = process_replica(view, who, sts, update_set, pod, monotonic, now)
        retry = retry or step.retry
        if monotonic and (step.requests or step.stop):
            return step
        batch += step.requests
    if batch:
        return Step(tuple(batch), retry=retry)

    # 2. the condemned pods' claims
    for pod in slots.condemned:
        batch += _retention_fixes(who, update_set, pod, _claims(view, sts, pod), now)
    if batch:
        return Step(tuple(batch), retry=retry)

    # 3. the condemned pods, highest ordinal first
    for pod in slots.condemned:
        if is_terminating(pod):
            if monotonic:
                return Step(stop=True, retry=retry)
            continue
        unhealthy = not is_running_and_ready(pod) or not is_running_and_available(pod, min_ready, now)
        if monotonic and unhealthy and pod is not slots.first_unavailable:
            return Step(stop=True, retry=retry)
        batch.append(pod_control.delete_pod(who, pod))
        if monotonic:
            return Step(tuple(batch))
    if batch:
        return Step(tuple(batch), retry=retry)

    # 4. the rolling update
    if strategy_type(sts) == ON_DELETE:
        return Step(retry=retry)
    for target in range(len(slots.replicas) - 1, partition(sts) - 1, -1):
        pod = slots.replicas[target]
        if pod is None:
            return Step(retry=retry)  # Parallel: a pod still blocked from being created
        if pod_revision(pod) != upd_name and not is_terminating(pod):
            return Step((pod_control.delete_pod(who, pod),), retry=retry)
        if is_unavailable(pod, min_ready, now):
            return Step(retry=retry)
    return Step(retry=retry)
