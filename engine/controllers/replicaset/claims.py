"""Adoption and release through ControllerRefs (`controller_ref_manager.go` ClaimObject).

Only active pods take part (upstream filters them before claiming). For an owner `rs`:
- a pod whose controller ref is `rs` and whose labels match is claimed (even while `rs` is
  being deleted);
- one whose labels no longer match is released (its ref removed), unless `rs` is being deleted;
- an orphan (no controller ref) that matches and is not being deleted is adopted (a controller
  ref with blockOwnerDeletion added), unless `rs` is being deleted;
- pods controlled by someone else are ignored.
Both writes are the strategic-merge patches upstream's PodControllerRefManager sends, with the
pod's uid in the patch as upstream does.
"""

from __future__ import annotations

from typing import Iterable

from engine.controllers.replicaset.kinds import ControllerKind
from engine.controllers.replicaset.manage import controller_ref as new_controller_ref
from engine.model.pods import controller_ref, is_active
from engine.model.selectors import Selector
from engine.pipeline.identity import UserInfo
from engine.records import Request


def _labels(pod: dict) -> dict:
    return pod["metadata"].get("labels") or {}


def _deleting(obj: dict) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def owned_pods(dependents: Iterable[tuple[tuple[str, str, str, str], dict]], owner_uid: str) -> list[dict]:
    """Pods whose controller ref is the owner (from the owner-uid index), ordered by name."""
    out = []
    for (group, resource, _ns, _name), obj in dependents:
        if group == "" and resource == "pods":
            ref = controller_ref(obj)
            if ref is not None and ref.get("uid") == owner_uid:
                out.append(obj)
    return sorted(out, key=lambda p: p["metadata"]["name"])


def to_release(owner: dict, owned_active: Iterable[dict], selector: Selector) -> list[dict]:
    if _deleting(owner):
        return []
    return [p for p in owned_active if not selector.matches(_labels(p))]


def claimed(owned_active: Iterable[dict], selector: Selector) -> list[dict]:
    return [p for p in owned_active if selector.matches(_labels(p))]


def adoptable(owner: dict, pod: dict, selector: Selector) -> bool:
    """An orphan this owner may adopt now."""
    if _deleting(owner) or controller_ref(pod) is not None or not is_active(pod):
        return False
    if pod["metadata"].get("namespace", "") != owner["metadata"].get("namespace", ""):
        return False
    return selector.matches(_labels(pod))


def orphans_to_adopt(owner: dict, pods: Iterable[dict], selector: Selector) -> list[dict]:
    return [p for p in pods if adoptable(owner, p, selector)]


def adopt_request(who: UserInfo, kind: ControllerKind, owner: dict, pod: dict) -> Request:
    """`AdoptPod`: a strategic merge adding our controller ref (ownerReferences merge on uid)."""
    meta = pod["metadata"]
    body = {"metadata": {"ownerReferences": [new_controller_ref(kind, owner)], "uid": meta["uid"]}}
    return Request(verb="patch", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"], body=body,
                   params={"patchType": "strategic"}, user=who.name, groups=who.groups)


def release_request(who: UserInfo, owner: dict, pod: dict) -> Request:
    """`ReleasePod`: a strategic merge deleting our ref (`GenerateDeleteOwnerRefStrategicMergeBytes`)."""
    meta = pod["metadata"]
    body = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": owner["metadata"]["uid"]}], "uid": meta["uid"]}}
    return Request(verb="patch", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"], body=body,
                   params={"patchType": "strategic"}, user=who.name, groups=who.groups)


def candidate_owners(kind: ControllerKind, owners: Iterable[dict], pod: dict) -> list[dict]:
    """Owners of `kind` that would adopt this orphan, oldest first (name breaks ties).

    Upstream syncs every matching controller and the first to patch wins; an owner with an
    empty selector is never considered (`GetPodReplicaSets`).
    """
    out = []
    for owner in owners:
        sel = kind.selector(owner)
        if sel.is_empty() or sel.matches_nothing:
            continue
        if adoptable(owner, pod, sel):
            out.append(owner)
    return sorted(out, key=lambda o: (o["metadata"].get("creationTimestamp", ""), o["metadata"]["name"]))
