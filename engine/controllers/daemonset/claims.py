"""Adoption and release of pods and ControllerRevisions (`controller_ref_manager.go` ClaimObject).

A DaemonSet claims every pod of its namespace (active or not: `getDaemonPods` lists them all) and
every ControllerRevision (`controlledHistories`):

- one whose controller ref is the DaemonSet and whose labels match the selector is claimed;
- one whose labels no longer match is released (the DaemonSet is never being deleted here: its
  sync stops first);
- an orphan that matches and is not being deleted is adopted;
- one controlled by someone else is ignored.

Both writes are the strategic-merge patches upstream sends (`ownerRefControllerPatch`,
`GenerateDeleteOwnerRefStrategicMergeBytes`), with the object's uid in the patch.
"""

from __future__ import annotations

from typing import Iterable

from engine.model.pods import controller_ref
from engine.model.selectors import Selector
from engine.pipeline.identity import UserInfo
from engine.records import Request

KIND = "DaemonSet"
API_VERSION = "apps/v1"


def new_controller_ref(ds: dict) -> dict:
    """`metav1.NewControllerRef(ds, controllerKind)`."""
    meta = ds["metadata"]
    return {"apiVersion": API_VERSION, "kind": KIND, "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def _labels(obj: dict) -> dict:
    return obj["metadata"].get("labels") or {}


def controlled(dependents: Iterable[tuple[tuple[str, str, str, str], dict]], uid: str, group: str,
               resource: str) -> list[dict]:
    """Objects of one resource whose controller ref is `uid` (from the owner index), by name."""
    out = []
    for (g, r, _ns, _name), obj in dependents:
        if g == group and r == resource:
            ref = controller_ref(obj)
            if ref is not None and ref.get("uid") == uid:
                out.append(obj)
    return sorted(out, key=lambda o: o["metadata"]["name"])


def split_owned(owned: Iterable[dict], selector: Selector) -> tuple[list[dict], list[dict]]:
    """(claimed, to release) among the objects the DaemonSet controls."""
    claimed, release = [], []
    for obj in owned:
        (claimed if selector.matches(_labels(obj)) else release).append(obj)
    return claimed, release


def adoptable(ds: dict, obj: dict, selector: Selector) -> bool:
    meta = obj["metadata"]
    if ds["metadata"].get("deletionTimestamp") or controller_ref(obj) is not None:
        return False
    if not selector.matches(_labels(obj)) or meta.get("deletionTimestamp"):
        return False
    return meta.get("namespace", "") == ds["metadata"].get("namespace", "")


def orphans(ds: dict, objs: Iterable[dict], selector: Selector) -> list[dict]:
    return sorted((o for o in objs if adoptable(ds, o, selector)), key=lambda o: o["metadata"]["name"])


def _patch(who: UserInfo, group: str, resource: str, obj: dict, body: dict) -> Request:
    meta = obj["metadata"]
    return Request(verb="patch", group=group, version="v1", resource=resource, namespace=meta.get("namespace", ""),
                   name=meta["name"], body=body, params={"patchType": "strategic"}, user=who.name, groups=who.groups)


def adopt_request(who: UserInfo, group: str, resource: str, ds: dict, obj: dict) -> Request:
    body = {"metadata": {"ownerReferences": [new_controller_ref(ds)], "uid": obj["metadata"]["uid"]}}
    return _patch(who, group, resource, obj, body)


def release_request(who: UserInfo, group: str, resource: str, ds: dict, obj: dict) -> Request:
    body = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": ds["metadata"]["uid"]}],
                         "uid": obj["metadata"]["uid"]}}
    return _patch(who, group, resource, obj, body)


def candidate_owners(daemon_sets: Iterable[dict], obj: dict, selector_of) -> list[dict]:
    """DaemonSets that would adopt this orphan, oldest first (name breaks ties)."""
    out = [ds for ds in daemon_sets if not selector_of(ds).is_empty() and adoptable(ds, obj, selector_of(ds))]
    return sorted(out, key=lambda d: (d["metadata"].get("creationTimestamp", ""), d["metadata"]["name"]))
