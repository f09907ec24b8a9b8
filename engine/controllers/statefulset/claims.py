"""Adoption and release (upstream `getPodsForStatefulSet` and `adoptOrphanRevisions`).

A pod belongs to a set when the set's selector matches its labels and its name is the set's
name and an ordinal (`isMemberOf`). `ClaimPods` keeps such pods the set controls, releases
those that stopped matching (unless the set is being deleted) and adopts matching orphans that
are not being deleted (unless the set is). Unlike the ReplicaSet, every phase takes part
(upstream does not filter the pods by activity first). ControllerRevisions without a controller
that the selector matches are adopted too. The patches are the ReplicaSet controller's
(`claims.adopt_request` / `release_request`), with the StatefulSet's controller reference.
"""

from __future__ import annotations

from engine.controllers.replicaset import claims as rs_claims
from engine.controllers.replicaset.kinds import ControllerKind
from engine.controllers.statefulset.utils import is_member_of
from engine.model.pods import controller_ref
from engine.model.selectors import Selector
from engine.pipeline.identity import UserInfo
from engine.records import Request

STATEFUL_SET = ControllerKind("StatefulSet", "apps", "v1", "statefulsets", "statefulset-controller")


def _labels(obj: dict) -> dict:
    return obj["metadata"].get("labels") or {}


def _deleting(obj: dict) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def matches(sts: dict, selector: Selector, pod: dict) -> bool:
    return selector.matches(_labels(pod)) and is_member_of(sts, pod)


def owned(dependents, uid: str, resource: str) -> list[dict]:
    """The objects of `resource` the set controls (from the owner-uid index), by name."""
    out = []
    for (_group, res, _ns, _name), obj in dependents:
        if res == resource:
            ref = controller_ref(obj)
            if ref is not None and ref.get("uid") == uid:
                out.append(obj)
    return sorted(out, key=lambda o: o["metadata"]["name"])


def to_release(sts: dict, selector: Selector, pods: list[dict]) -> list[dict]:
    if _deleting(sts):
        return []
    return [p for p in pods if not matches(sts, selector, p)]


def adoptable(sts: dict, selector: Selector, pod: dict) -> bool:
    if _deleting(sts) or _deleting(pod) or controller_ref(pod) is not None:
        return False
    if pod["metadata"].get("namespace", "") != sts["metadata"].get("namespace", ""):
        return False
    return matches(sts, selector, pod)


def adopt_pod(who: UserInfo, sts: dict, pod: dict) -> Request:
    return rs_claims.adopt_request(who, STATEFUL_SET, sts, pod)


def release_pod(who: UserInfo, sts: dict, pod: dict) -> Request:
    return rs_claims.release_request(who, sts, pod)


def orphan_revisions(sts: dict, selector: Selector, revisions: list[dict]) -> list[dict]:
    """Revisions in the namespace with no controller that the selector matches."""
    if _deleting(sts):
        return []
    return [r for r in revisions if controller_ref(r) is None and selector.matches(_labels(r))]
