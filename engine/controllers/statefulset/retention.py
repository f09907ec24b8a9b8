"""PVC retention policy through owner references (StatefulSetAutoDeletePVC, on by default since 1.27).

Upstream's `isClaimOwnerUpToDate` / `updateClaimOwnerRefForSetAndPod` (stateful_set_utils.go):
the policy is expressed as owner references on each claim, and the garbage collector does the
deleting:

    whenScaled Retain, whenDeleted Retain   no reference from us
    whenScaled Retain, whenDeleted Delete   a controller reference to the set
    whenScaled Delete, whenDeleted Retain   a controller reference to the pod, once it is scaled down
    whenScaled Delete, whenDeleted Delete   the set while the pod is in range, the pod once scaled down

A claim with a reference naming our set or pod but another uid (a stale reference, left by an
earlier set or pod of that name) is not touched; a claim controlled by someone else keeps that
controller and loses only our references (with a `ConflictingController` warning event).
"""

from __future__ import annotations

from engine.controllers.statefulset.utils import (
    DELETE, POD_API_VERSION, POD_KIND, RETAIN, STATEFUL_SET_API_VERSION, STATEFUL_SET_KIND, controller_ref,
    in_ordinal_range, pod_controller_ref, retention_policy,
)

CONFLICTING_CONTROLLER = "ConflictingController"


def _refs(obj: dict) -> list[dict]:
    return [r for r in obj["metadata"].get("ownerReferences") or () if isinstance(r, dict)]


def _matches_ref(ref: dict, name: str, api_version: str, kind: str) -> bool:
    """`matchesRef`: same group/version, kind and name (the uid is not compared)."""
    return ref.get("apiVersion") == api_version and ref.get("kind") == kind and ref.get("name") == name


def _is_set_ref(ref: dict, sts: dict) -> bool:
    return _matches_ref(ref, sts["metadata"]["name"], STATEFUL_SET_API_VERSION, STATEFUL_SET_KIND)


def _is_pod_ref(ref: dict, pod: dict) -> bool:
    return _matches_ref(ref, pod["metadata"]["name"], POD_API_VERSION, POD_KIND)


def has_owner_ref(target: dict, owner: dict) -> bool:
    """`hasOwnerRef`: a reference to the owner's uid (controller or not)."""
    uid = owner["metadata"].get("uid", "")
    return any(r.get("uid") == uid for r in _refs(target))


def has_stale_owner_ref(claim: dict, owner: dict, is_ref) -> bool:
    """`hasStaleOwnerRef`: the first reference naming the owner carries another uid."""
    for ref in _refs(claim):
        if is_ref(ref, owner):
            return ref.get("uid") != owner["metadata"].get("uid", "")
    return False


def has_unexpected_controller(claim: dict, sts: dict, pod: dict) -> bool:
    """`hasUnexpectedController`: under a Delete policy, a controller that is neither us nor the pod."""
    if retention_policy(sts) == (RETAIN, RETAIN):
        return False
    for ref in _refs(claim):
        if _is_set_ref(ref, sts):
            if ref.get("uid") != sts["metadata"].get("uid", ""):
                return True
            continue
        if _is_pod_ref(ref, pod):
            if ref.get("uid") != pod["metadata"].get("uid", ""):
                return True
            continue
        if ref.get("controller"):
            return True
    return False


def has_non_controller_owner(claim: dict, sts: dict, pod: dict) -> bool:
    """`hasNonControllerOwner`: the set or pod owns the claim without being its controller."""
    uids = (sts["metadata"].get("uid", ""), pod["metadata"].get("uid", ""))
    return any(r.get("uid") in uids and not r.get("controller") for r in _refs(claim))


def is_claim_owner_up_to_date(claim: dict, sts: dict, pod: dict) -> bool:
    """`isClaimOwnerUpToDate`."""
    if has_stale_owner_ref(claim, sts, _is_set_ref) or has_stale_owner_ref(claim, pod, _is_pod_ref):
        return True  # managed by an earlier set or pod of this name: not ours to touch
    if has_unexpected_controller(claim, sts, pod):
        return not (has_owner_ref(claim, sts) or has_owner_ref(claim, pod))
    if has_non_controller_owner(claim, sts, pod):
        return False
    when_deleted, when_scaled = retention_policy(sts)
    set_ref, pod_ref = has_owner_ref(claim, sts), has_owner_ref(claim, pod)
    scaled_down = not in_ordinal_range(pod, sts)
    if when_scaled == RETAIN and when_deleted == DELETE:
        return set_ref and not pod_ref
    if when_scaled == DELETE and when_deleted == RETAIN:
        return not set_ref and scaled_down == pod_ref
    if when_scaled == DELETE and when_deleted == DELETE:
        return scaled_down != set_ref and scaled_down == pod_ref
    return not set_ref and not pod_ref  # Retain/Retain (and any unknown policy, treated as Retain)


def updated_owner_refs(claim: dict, sts: dict, pod: dict) -> list[dict]:
    """`updateClaimOwnerRefForSetAndPod`: the claim's references after scrubbing ours and adding
    what the policy wants."""
    unexpected = has_unexpected_controller(claim, sts, pod)
    refs = [r for r in _refs(claim) if not (_is_set_ref(r, sts) or _is_pod_ref(r, pod))]
    if unexpected:
        return refs
    when_deleted, when_scaled = retention_policy(sts)
    scaled_down = not in_ordinal_range(pod, sts)

    def add(ref: dict) -> None:
        if not any(r.get("uid") == ref["uid"] for r in refs):
            refs.append(ref)

    if when_scaled == RETAIN and when_deleted == DELETE:
        add(controller_ref(sts))
    elif when_scaled == DELETE and when_deleted == RETAIN:
        if scaled_down:
            add(pod_controller_ref(pod))
    elif when_scaled == DELETE and when_deleted == DELETE:
        add(pod_controller_ref(pod) if scaled_down else controller_ref(sts))
    return refs


def claim_is_stale(claim: dict, pod: dict) -> bool:
    """`PodClaimIsStale` for one claim: it references a pod of this name with another uid (a pod
    still to be created has none), so the garbage collector is about to delete it."""
    return has_stale_owner_ref(claim, pod, _is_pod_ref)


def conflicting_controller_message(claim_name: str) -> str:
    # Upstream's text, typo included.
    return (f"PersistentVolumeClaim {claim_name} has a conflicting OwnerReference that acts as a manging controller, "
            "the retention policy is ignored for this claim")
