"""Garbage collector: ownerReferences with background, foreground and orphan propagation.

Upstream's `pkg/controller/garbagecollector`, reduced to its decisions: when an owner is gone,
delete its dependents (background); while an owner waits on `foregroundDeletion`, delete its
dependents and drop the finalizer when none is left; on `orphan`, strip the owner reference from
each dependent, then drop the finalizer. Keys are `uid NUL ownerKey`.
"""

from __future__ import annotations

from typing import Iterable

from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.registry import BY_KIND
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import entry_key, object_key, split_key

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def owner_key(ref: dict, namespace: str) -> bytes | None:
    rt = BY_KIND.get(ref.get("kind", ""))
    if rt is None:
        return None
    return object_key(rt.group, rt.plural, namespace if rt.namespaced else "", ref.get("name", ""))


class GarbageCollector:
    name = "garbage-collector"
    identity = controller_identity("generic-garbage-collector")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if not entry.changed or obj is None:
            return ()
        meta = obj.get("metadata", {})
        keys = []
        gone = entry.outcome.digest == "deleted"  # type: ignore[union-attr]
        if gone or meta.get("deletionTimestamp"):
            k = entry_key(entry)
            if k is not None and meta.get("uid"):
                keys.append(meta["uid"].encode() + b"\x00" + k)
        # A dependent that changed or went away may unblock (or orphan) its owners.
        for ref in meta.get("ownerReferences") or ():
            ok = owner_key(ref, meta.get("namespace", ""))
            if ok is not None and ref.get("uid"):
                keys.append(ref["uid"].encode() + b"\x00" + ok)
        return keys

    def decide(self, view: View, key: bytes) -> Decision:
        uid_b, _, okey = key.partition(b"\x00")
        uid = uid_b.decode()
        owner = view.get_key(okey)
        alive = owner is not None and owner["metadata"].get("uid") == uid
        deps = view.dependents(uid)
        if not alive:
            return Decision(tuple(self._delete(k, d, "Background", uid) for k, d in deps if not d["metadata"].get("deletionTimestamp")))
        meta = owner["metadata"]
        if not meta.get("deletionTimestamp"):
            return NOTHING
        finalizers = meta.get("finalizers") or []
        if ORPHAN in finalizers:
            if deps:
                return Decision(tuple(self._orphan(k, d, uid) for k, d in deps), again=True)
            return Decision((self._drop_finalizer(okey, owner, ORPHAN),))
        if FOREGROUND in finalizers:
            pending = [(k, d) for k, d in deps if not d["metadata"].get("deletionTimestamp")]
            if pending:
                return Decision(tuple(self._delete(k, d, "Foreground", uid) for k, d in pending))
            if deps:
                return NOTHING  # dependents are being deleted; their removal re-queues this key
            return Decision((self._drop_finalizer(okey, owner, FOREGROUND),))
        return NOTHING

    def _req(self, key: tuple[str, str, str, str], **kw) -> Request:
        g, r, ns, name = key
        return Request(group=g, resource=r, namespace=ns, name=name, user=self.identity.name,
                       groups=self.identity.groups, version=_version(g, r), **kw)

    def _delete(self, key, dep: dict, policy: str, owner_uid: str) -> Request:
        others = [ref for ref in dep["metadata"].get("ownerReferences") or () if ref.get("uid") != owner_uid]
        if others:  # upstream keeps a dependent that still has other owners; it only drops the dangling ref
            return self._orphan(key, dep, owner_uid)
        return self._req(key, verb="delete", params={"propagationPolicy": policy,
                                                      "preconditions": {"uid": dep["metadata"]["uid"]}})

    def _orphan(self, key, dep: dict, owner_uid: str) -> Request:
        refs = [ref for ref in dep["metadata"].get("ownerReferences") or () if ref.get("uid") != owner_uid]
        body = {"metadata": {"ownerReferences": refs or None}}
        return self._req(key, verb="patch", body=body, params={"patchType": "merge"})

    def _drop_finalizer(self, okey: bytes, owner: dict, finalizer: str) -> Request:
        rest = [f for f in owner["metadata"].get("finalizers") or () if f != finalizer]
        body = {"metadata": {"finalizers": rest or None, "resourceVersion": owner["metadata"]["resourceVersion"]}}
        return self._req(split_key(okey), verb="patch", body=body, params={"patchType": "merge"})


def _version(group: str, resource: str) -> str:
    from engine.registry import BY_GROUP_RESOURCE

    rt = BY_GROUP_RESOURCE.get((group, resource))
    return rt.version if rt else "v1"
