"""Namespace controller: empties a terminating namespace, then finalizes it.

Upstream's `pkg/controller/namespace`: once a Namespace has a deletionTimestamp, delete every
namespaced object in it; when nothing is left, clear `spec.finalizers` through the `finalize`
subresource, which lets the Namespace itself go.
"""

from __future__ import annotations

from typing import Iterable

from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.registry import TYPES
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key

_NAMESPACED = tuple(t for t in TYPES if t.namespaced)


class NamespaceController:
    name = "namespace-controller"
    identity = controller_identity("namespace-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if not entry.changed or obj is None:
            return ()
        req = entry.request
        if req.resource == "namespaces" and req.group == "" and obj["metadata"].get("deletionTimestamp"):
            return (object_key("", "namespaces", "", obj["metadata"]["name"]),)
        if req.namespace and entry.outcome.digest == "deleted":  # type: ignore[union-attr]
            return (object_key("", "namespaces", "", req.namespace),)
        return ()

    def decide(self, view: View, key: bytes) -> Decision:
        name = key.decode().split("\x00")[3]
        ns = view.get("", "namespaces", "", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return NOTHING
        requests = []
        waiting = False
        for t in _NAMESPACED:
            for obj in view.list(t.group, t.plural, name):
                if obj["metadata"].get("deletionTimestamp"):
                    waiting = True
                    continue
                requests.append(Request(verb="delete", group=t.group, version=t.version, resource=t.plural,
                                        namespace=name, name=obj["metadata"]["name"], user=self.identity.name,
                                        groups=self.identity.groups, params={"propagationPolicy": "Background"}))
        if requests or waiting:
            return Decision(tuple(requests))
        if not (ns.get("spec") or {}).get("finalizers"):
            return NOTHING
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "spec": {"finalizers": []}}
        return Decision((Request(verb="update", resource="namespaces", name=name, subresource="finalize", body=body,
                                 user=self.identity.name, groups=self.identity.groups),))
