"""A stand-in for the PersistentVolume controller and a dynamic provisioner: every claim gets a volume.

Until storage is simulated, a Pending claim without `spec.volumeName` is "provisioned" at once:
a PersistentVolume `pvc-<claim uid>` (as external provisioners name them) with the claim's
requested storage as capacity, its access modes, volume mode and storage class, reclaim policy
Delete, a hostPath source (as upstream's in-tree `kubernetes.io/host-path` provisioner makes
them) and a `claimRef` to the claim. Then the volume controller's bind, one write per step, in
upstream's order (`pv_controller.go` bind): the volume's status phase Bound; the claim's
`spec.volumeName` with the `pv.kubernetes.io/bind-completed` and `bound-by-controller`
annotations; the claim's status (phase Bound, access modes, capacity). A claim naming an existing
volume that is free (or already reserved for it) is bound to that volume the same way.

When a bound claim goes away its volume is released: deleted under reclaim policy Delete, else
its status phase becomes Released. A new volume without a claim reference becomes Available.
Everything derives from the objects (the volume's name from the claim's uid), so the same log
gives the same volumes.
"""

from __future__ import annotations

from typing import Iterable

from engine.controllers.events import NORMAL, event_request
from engine.controllers.replicaset.status import name_events
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key, split_key

PROVISIONER = "kubernetes.io/host-path"
COMPONENT = "persistentvolume-controller"
PROVISIONING_SUCCEEDED = "ProvisioningSucceeded"
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"


def _phase(obj: dict) -> str:
    return (obj.get("status") or {}).get("phase") or ""


def provisioned_volume(claim: dict) -> dict:
    """The PersistentVolume a dynamic provisioner makes for the claim."""
    meta, spec = claim["metadata"], claim.get("spec") or {}
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    pv_spec: dict = {
        "accessModes": list(spec.get("accessModes") or ()),
        "capacity": {"storage": storage} if storage is not None else {},
        "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": meta["name"],
                     "namespace": meta.get("namespace", ""), "resourceVersion": meta.get("resourceVersion", ""),
                     "uid": meta["uid"]},
        "hostPath": {"path": f"/tmp/hostpath_pv/{meta['uid']}", "type": ""},
        "persistentVolumeReclaimPolicy": "Delete",
        "volumeMode": spec.get("volumeMode") or "Filesystem",
    }
    if spec.get("storageClassName"):
        pv_spec["storageClassName"] = spec["storageClassName"]
    return {"apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": f"pvc-{meta['uid']}", "annotations": {ANN_PROVISIONED_BY: PROVISIONER}},
            "spec": pv_spec}


class VolumeBinder:
    name = "persistent-volume-binder"
    identity = controller_identity("persistent-volume-binder")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if obj is None or not entry.changed:
            return ()
        req = entry.request
        if req.group != "":
            return ()
        meta = obj.get("metadata") or {}
        gone = entry.outcome.digest == "deleted"  # type: ignore[union-attr]
        if req.resource == "persistentvolumeclaims":
            if gone:  # its volume is released
                volume = (obj.get("spec") or {}).get("volumeName") or f"pvc-{meta.get('uid', '')}"
                return (object_key("", "persistentvolumes", "", volume),)
            return (object_key("", "persistentvolumeclaims", meta.get("namespace", ""), meta.get("name", "")),)
        if req.resource == "persistentvolumes" and not gone:
            keys = [object_key("", "persistentvolumes", "", meta.get("name", ""))]
            ref = (obj.get("spec") or {}).get("claimRef")
            if isinstance(ref, dict) and ref.get("name"):
                keys.append(object_key("", "persistentvolumeclaims", ref.get("namespace", ""), ref["name"]))
            return keys
        return ()

    def decide(self, view: View, key: bytes) -> Decision:
        _group, resource, namespace, name = split_key(key)
        if resource == "persistentvolumeclaims":
            return self._claim(view, namespace, name)
        if resource == "persistentvolumes":
            return self._volume(view, name)
        return NOTHING

    # --- claims --------------------------------------------------------------------------------

    def _claim(self, view: View, namespace: str, name: str) -> Decision:
        claim = view.get("", "persistentvolumeclaims", namespace, name)
        if claim is None or claim["metadata"].get("deletionTimestamp") or _phase(claim) == "Bound":
            return NOTHING
        meta = claim["metadata"]
        wanted = (claim.get("spec") or {}).get("volumeName") or ""
        if not wanted:
            volume = view.get("", "persistentvolumes", "", f"pvc-{meta['uid']}")
            if volume is None:
                pv = provisioned_volume(claim)
                event = event_request(self.identity, COMPONENT, claim, NORMAL, PROVISIONING_SUCCEEDED,
                                      f"Successfully provisioned volume {pv['metadata']['name']} using {PROVISIONER}", view.now)
                return Decision((self._req("create", "persistentvolumes", "", "", pv), _named(view, event)), again=True)
            return self._bind(view, claim, volume, provisioned=True)
        volume = view.get("", "persistentvolumes", "", wanted)
        if volume is None:
            return NOTHING  # waits for that volume (its creation requeues the claim only if it names it)
        ref = (volume.get("spec") or {}).get("claimRef")
        if isinstance(ref, dict) and ref.get("uid") not in (None, "", meta["uid"]):
            return NOTHING  # bound to someone else
        return self._bind(view, claim, volume, provisioned=False)

    def _bind(self, view: View, claim: dict, volume: dict, provisioned: bool) -> Decision:
        """`bind`: the volume's claimRef and phase, then the claim's volumeName, then its status."""
        meta = claim["metadata"]
        vspec = volume.get("spec") or {}
        ref = vspec.get("claimRef")
        if not isinstance(ref, dict) or ref.get("uid") != meta["uid"]:
            new_ref = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": meta["name"],
                       "namespace": meta.get("namespace", ""), "resourceVersion": meta.get("resourceVersion", ""),
                       "uid": meta["uid"]}
            vmeta = dict(volume["metadata"])
            vmeta["annotations"] = {**(vmeta.get("annotations") or {}), ANN_BOUND_BY_CONTROLLER: "yes"}
            body = {**volume, "metadata": vmeta, "spec": {**vspec, "claimRef": new_ref}}
            return Decision((self._req("update", "persistentvolumes", "", volume["metadata"]["name"], body),), again=True)
        if _phase(volume) != "Bound":
            body = {**volume, "status": {**(volume.get("status") or {}), "phase": "Bound"}}
            return Decision((self._req("update", "persistentvolumes", "", volume["metadata"]["name"], body, "status"),),
                            again=True)
        spec = claim.get("spec") or {}
        annotations = dict(meta.get("annotations") or {})
        want = {ANN_BIND_COMPLETED: "yes", ANN_BOUND_BY_CONTROLLER: "yes"}
        if provisioned:
            want.update({ANN_STORAGE_PROVISIONER: PROVISIONER, ANN_BETA_STORAGE_PROVISIONER: PROVISIONER})
        if spec.get("volumeName") != volume["metadata"]["name"] or any(annotations.get(k) != v for k, v in want.items()):
            annotations.update(want)
            body = {**claim, "metadata": {**meta, "annotations": annotations},
                    "spec": {**spec, "volumeName": volume["metadata"]["name"]}}
            return Decision((self._req("update", "persistentvolumeclaims", meta.get("namespace", ""), meta["name"], body),),
                            again=True)
        status = dict(claim.get("status") or {})
        status.update({"phase": "Bound", "accessModes": list(vspec.get("accessModes") or ()),
                       "capacity": dict(vspec.get("capacity") or {})})
        return Decision((self._req("update", "persistentvolumeclaims", meta.get("namespace", ""), meta["name"],
                                   {**claim, "status": status}, "status"),))

    # --- volumes -------------------------------------------------------------------------------

    def _volume(self, view: View, name: str) -> Decision:
        volume = view.get("", "persistentvolumes", "", name)
        if volume is None or volume["metadata"].get("deletionTimestamp"):
            return NOTHING
        spec = volume.get("spec") or {}
        ref = spec.get("claimRef")
        if not isinstance(ref, dict) or not ref.get("name"):
            if _phase(volume) in ("", "Pending"):
                return Decision((self._req("update", "persistentvolumes", "", name,
                                           {**volume, "status": {**(volume.get("status") or {}), "phase": "Available"}},
                                           "status"),))
            return NOTHING
        if not ref.get("uid"):
            return NOTHING  # reserved by name for a claim: binding is driven from the claim's key
        claim = view.get("", "persistentvolumeclaims", ref.get("namespace", ""), ref["name"])
        if claim is not None and claim["metadata"]["uid"] == ref["uid"]:
            return NOTHING  # in use
        if spec.get("persistentVolumeReclaimPolicy") == "Delete":
            return Decision((self._req("delete", "persistentvolumes", "", name),))
        if _phase(volume) != "Released":
            return Decision((self._req("update", "persistentvolumes", "", name,
                                       {**volume, "status": {**(volume.get("status") or {}), "phase": "Released"}},
                                       "status"),))
        return NOTHING

    def _req(self, verb: str, resource: str, namespace: str, name: str, body=None, subresource: str = "") -> Request:
        return Request(verb=verb, resource=resource, namespace=namespace, name=name, subresource=subresource, body=body,
                       user=self.identity.name, groups=self.identity.groups)


def _named(view: View, event: Request) -> Request:
    return name_events(view, [event])[0]


__all__ = ["VolumeBinder", "provisioned_volume"]
