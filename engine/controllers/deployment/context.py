"""One sync of one Deployment: what it read, the mutable copy it works on, and the requests it decided.

Upstream's sync functions call the API as they go; here they append requests to `Sync.requests`
instead, in the same order. The helpers mirror upstream's write paths: `scaleReplicaSet` (one merge
patch of spec.replicas plus the desired/max annotations per RS change, and the `ScalingReplicaSet`
event), the RS `Update` of `getNewReplicaSet`, `UpdateStatus`, and events.
"""

from __future__ import annotations

import msgpack

from engine.controllers.events import NORMAL, event_request
from engine.pipeline.identity import UserInfo
from engine.records import Request
from engine.view import View

from .util.fenceposts import max_surge, spec_replicas
from .util.replicasets import comparable_template
from .util.revision import replicas_annotations_need_update, set_replicas_annotations

COMPONENT = "deployment-controller"
SCALING_REPLICA_SET = "ScalingReplicaSet"

_STATUS_INTS = ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                "unavailableReplicas")


def compact_status(status: dict | None) -> dict:
    """A DeploymentStatus as Go serializes it: zero counters and empty conditions omitted."""
    out = {}
    for k, v in (status or {}).items():
        if k in _STATUS_INTS and not v:
            continue
        if k == "conditions" and not v:
            continue
        if v is None:
            continue
        out[k] = v
    return out


def clone(value):
    """A deep copy of a JSON-like value (msgpack's C round trip, much faster than copy.deepcopy)."""
    return msgpack.unpackb(msgpack.packb(value, use_bin_type=True), raw=False, strict_map_key=False)


class Sync:
    def __init__(self, view: View, d: dict, who: UserInfo):
        self.view = view
        self.now = view.now
        self.who = who
        self.orig = d
        self.d = clone(d)
        self.d.setdefault("status", {})
        self.namespace = d["metadata"].get("namespace", "")
        self.requests: list[Request] = []
        self.requeue_at: int | None = None
        self.again = False
        self._templates: dict[tuple, dict] = {}
        self._event_names: set[str] = set()

    def comparable_template(self, obj: dict) -> dict:
        """`comparable_template` memoized per stored object version. The working copy shares its
        stored version's entry: a sync changes the Deployment's template only on rollback, which
        compares with `equal_ignore_hash` and then stops."""
        meta = obj.get("metadata") or {}
        if not meta.get("uid") or not meta.get("resourceVersion"):
            return comparable_template(obj)
        key = (obj.get("kind"), meta["uid"], meta["resourceVersion"])
        hit = self._templates.get(key)
        if hit is None:
            hit = self._templates[key] = comparable_template(obj)
        return hit

    # --- requests ------------------------------------------------------------------------------

    def request(self, verb: str, resource: str, name: str = "", body=None, subresource: str = "",
                params: dict | None = None) -> Request:
        req = Request(verb=verb, group="apps", version="v1", resource=resource, namespace=self.namespace, name=name,
                      subresource=subresource, body=body, user=self.who.name, groups=self.who.groups,
                      params=params or {})
        self.requests.append(req)
        return req

    def event(self, type_: str, reason: str, message: str) -> None:
        """An Event about the Deployment, named as client-go's recorder names it
        (`<deployment>.<unix nanos in hex>`, bumped past names in use): the shared `event_request`
        sends `generateName: "<name>."`, which object-meta validation refuses."""
        req = event_request(self.who, COMPONENT, self.orig, type_, reason, message, self.now)
        body = dict(req.body)
        meta = dict(body["metadata"])
        base = meta.pop("generateName", None)
        if base is not None:
            salt = 0
            while True:
                name = base + format(self.now * 1000 + salt, "x")
                if name not in self._event_names and self.view.get("", "events", req.namespace, name) is None:
                    break
                salt += 1
            self._event_names.add(name)
            meta["name"] = name
            body["metadata"] = meta
            req = Request(verb=req.verb, resource=req.resource, namespace=req.namespace, body=body, user=req.user,
                          groups=req.groups)
        self.requests.append(req)

    # --- ReplicaSets ---------------------------------------------------------------------------

    def scale_replica_set_and_record_event(self, rs: dict, new_scale: int) -> tuple[bool, dict]:
        if spec_replicas(rs) == new_scale:
            return False, rs
        return self.scale_replica_set(rs, new_scale, "up" if spec_replicas(rs) < new_scale else "down")

    def scale_replica_set(self, rs: dict, new_scale: int, operation: str) -> tuple[bool, dict]:
        """Resize the RS and stamp the Deployment's desired/max replicas on it (one patch)."""
        size_needs_update = spec_replicas(rs) != new_scale
        desired = spec_replicas(self.d)
        max_replicas = desired + max_surge(self.d)
        if not (size_needs_update or replicas_annotations_need_update(rs, desired, max_replicas)):
            return False, rs
        old_scale = spec_replicas(rs)
        after = clone(rs)
        after.setdefault("spec", {})["replicas"] = new_scale
        set_replicas_annotations(after, desired, max_replicas)
        ann = after["metadata"]["annotations"]
        body = {"metadata": {"annotations": {k: ann[k] for k in sorted(ann) if k.startswith("deployment.kubernetes.io/")
                                             and k.endswith("-replicas")}},
                "spec": {"replicas": new_scale}}
        self.request("patch", "replicasets", rs["metadata"]["name"], body, params={"patchType": "merge"})
        if size_needs_update:
            self.event(NORMAL, SCALING_REPLICA_SET,
                       f"Scaled {operation} replica set {rs['metadata']['name']} to {new_scale} from {old_scale}")
        return size_needs_update, after

    def update_replica_set(self, rs: dict) -> None:
        body = clone(rs)
        body.pop("status", None)
        self.request("update", "replicasets", rs["metadata"]["name"], body)

    def delete_replica_set(self, rs: dict) -> None:
        self.request("delete", "replicasets", rs["metadata"]["name"])

    # --- the Deployment ------------------------------------------------------------------------

    def write_deployment(self) -> bool:
        """Persist what changed on the working copy: annotations (a merge patch, as metadata only the
        main resource takes) then status (`UpdateStatus`). True if anything was written."""
        wrote = False
        rv = self.orig["metadata"].get("resourceVersion")
        old_ann = self.orig["metadata"].get("annotations") or {}
        new_ann = self.d["metadata"].get("annotations") or {}
        if old_ann != new_ann:
            patch = {k: new_ann.get(k) for k in sorted(set(old_ann) | set(new_ann)) if old_ann.get(k) != new_ann.get(k)}
            self.request("patch", "deployments", self.orig["metadata"]["name"],
                         {"metadata": {"annotations": patch, "resourceVersion": rv}}, params={"patchType": "merge"})
            wrote = True
        if compact_status(self.orig.get("status")) != compact_status(self.d.get("status")):
            self.update_status(compact_status(self.d.get("status")), with_rv=not wrote)
            wrote = True
        return wrote

    def update_status(self, status: dict, with_rv: bool = True) -> None:
        body = clone(self.orig)
        body["status"] = compact_status(status)
        if not with_rv:
            body["metadata"].pop("resourceVersion", None)
        self.request("update", "deployments", self.orig["metadata"]["name"], body, subresource="status")

    def update_deployment(self) -> None:
        """`Update(d)` of the whole object (rollback); the API server keeps the stored status."""
        body = clone(self.d)
        self.request("update", "deployments", self.orig["metadata"]["name"], body)

    def requeue_after(self, at_us: int) -> None:
        if self.requeue_at is None or at_us < self.requeue_at:
            self.requeue_at = at_us
