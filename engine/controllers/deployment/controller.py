"""The Deployment controller actor: which keys a change touches, and one sync step per decision.

Keys (all O(1) to derive from the changed object):

* `d NUL ns NUL name` - a Deployment changed, or a ReplicaSet whose controller reference names it;
* `o NUL ns` - an orphan ReplicaSet was created or relabelled, or a Deployment was created: the
  Deployments of the namespace look for orphans to adopt (upstream enqueues every matching
  Deployment; a per-namespace key does the matching once, in decide);
* `p NUL ns NUL rs` - a pod of ReplicaSet `rs` went away or finished: a Recreate Deployment waits
  for exactly that (upstream's `deletePod` handler), resolved through the RS's controller.
"""

from __future__ import annotations

from typing import Iterable

from engine.model.intstr import IntOrStringError
from engine.model.pods import controller_ref
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View

from .context import Sync
from .rolling import SyncError
from .sync import adoption_patch, can_adopt, sync_deployment
from .util.fenceposts import RECREATE, strategy_type
from .util.replicasets import creation_key

SYNC_RETRY_US = 1_000_000  # a failed sync is tried again one second later

_SEP = b"\x00"


def deployment_key(namespace: str, name: str) -> bytes:
    return b"d" + _SEP + namespace.encode() + _SEP + name.encode()


def orphan_key(namespace: str) -> bytes:
    return b"o" + _SEP + namespace.encode()


def pod_key(namespace: str, rs_name: str) -> bytes:
    return b"p" + _SEP + namespace.encode() + _SEP + rs_name.encode()


class DeploymentController:
    name = "deployment-controller"
    identity = controller_identity("deployment-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if not entry.changed or obj is None:
            return ()
        req = entry.request
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace", "")
        if req.group == "apps" and req.resource == "deployments":
            key = deployment_key(ns, meta.get("name", ""))
            if req.verb == "create" and not req.subresource:
                return (orphan_key(ns), key)  # adopt first, so the new RS's name cannot collide with an orphan
            return (key,)
        if req.group == "apps" and req.resource == "replicasets":
            ref = controller_ref(obj)
            if ref is not None:
                if ref.get("kind") == "Deployment" and ref.get("apiVersion", "apps/v1").startswith("apps/"):
                    return (deployment_key(ns, ref.get("name", "")),)
                return ()
            gone = entry.outcome.digest == "deleted"  # type: ignore[union-attr]
            # Orphans matter when they appear or their labels may have changed (not on status writes).
            if gone or req.subresource or meta.get("deletionTimestamp") or not meta.get("labels"):
                return ()
            return (orphan_key(ns),)
        if req.group == "" and req.resource == "pods":
            ref = controller_ref(obj)
            if ref is None or ref.get("kind") != "ReplicaSet":
                return ()
            gone = entry.outcome.digest == "deleted"  # type: ignore[union-attr]
            if gone or (obj.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                return (pod_key(ns, ref.get("name", "")),)
        return ()

    def decide(self, view: View, key: bytes) -> Decision:
        kind, _, rest = key.partition(_SEP)
        parts = rest.decode().split("\x00")
        if kind == b"d":
            return self.sync(view, parts[0], parts[1])
        if kind == b"o":
            return self.adopt_orphans(view, parts[0])
        if kind == b"p":
            return self._pod_gone(view, parts[0], parts[1])
        return NOTHING

    def sync(self, view: View, namespace: str, name: str) -> Decision:
        d = view.get("apps", "deployments", namespace, name)
        if d is None:
            return NOTHING  # deleted: its replica sets go with the garbage collector
        ctx = Sync(view, d, self.identity)
        try:
            sync_deployment(ctx)
        except IntOrStringError:
            return NOTHING  # invalid surge/unavailable (validation rejects them first); upstream requeues
        except SyncError:
            # Upstream returns the error and requeues; a replica set's stale status is the usual cause,
            # and its next status write wakes this Deployment anyway.
            return Decision(requeue_at=view.now + SYNC_RETRY_US)
        return Decision(tuple(ctx.requests), ctx.requeue_at, again=ctx.again)

    def adopt_orphans(self, view: View, namespace: str) -> Decision:
        """Each orphan RS goes to the oldest Deployment of its namespace whose selector matches it."""
        deployments = sorted(view.list("apps", "deployments", namespace), key=creation_key)
        if not deployments:
            return NOTHING
        requests = []
        for rs in sorted(view.list("apps", "replicasets", namespace), key=lambda o: o["metadata"]["name"]):
            if controller_ref(rs) is not None:
                continue
            for d in deployments:
                if can_adopt(rs, d):
                    requests.append(Request(verb="patch", group="apps", version="v1", resource="replicasets",
                                            namespace=namespace, name=rs["metadata"]["name"], body=adoption_patch(rs, d),
                                            user=self.identity.name, groups=self.identity.groups,
                                            params={"patchType": "merge"}))
                    break
        return Decision(tuple(requests))

    def _pod_gone(self, view: View, namespace: str, rs_name: str) -> Decision:
        rs = view.get("apps", "replicasets", namespace, rs_name)
        ref = controller_ref(rs) if rs is not None else None
        if ref is None or ref.get("kind") != "Deployment":
            return NOTHING
        d = view.get("apps", "deployments", namespace, ref.get("name", ""))
        if d is None or d["metadata"].get("uid") != ref.get("uid") or strategy_type(d) != RECREATE:
            return NOTHING
        return self.sync(view, namespace, d["metadata"]["name"])
