"""ServiceAccounts controller (upstream `pkg/controller/serviceaccount/serviceaccounts_controller.go`).

Every active namespace has a `default` ServiceAccount: created when the namespace appears, and
again if it is deleted. Runs as `system:serviceaccount:kube-system:service-account-controller`.
"""

from __future__ import annotations

from typing import Iterable

from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key

DEFAULT = "default"


class ServiceAccountsController:
    name = "service-account-controller"
    identity = controller_identity("service-account-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if not entry.changed:
            return ()
        req = entry.request
        if req.group == "" and req.resource == "namespaces" and obj is not None and not req.subresource:
            return (object_key("", "namespaces", "", obj["metadata"]["name"]),)
        if req.group == "" and req.resource == "serviceaccounts" and req.name == DEFAULT and obj is None:
            return (object_key("", "namespaces", "", req.namespace),)
        if req.group == "" and req.resource == "serviceaccounts" and req.verb == "delete" and req.name == DEFAULT:
            return (object_key("", "namespaces", "", req.namespace),)
        return ()

    def decide(self, view: View, key: bytes) -> Decision:
        ns_name = key.decode().split("\x00")[3]
        ns = view.get("", "namespaces", "", ns_name)
        if ns is None or ns["metadata"].get("deletionTimestamp") or (ns.get("status") or {}).get("phase") == "Terminating":
            return NOTHING
        if view.get("", "serviceaccounts", ns_name, DEFAULT) is not None:
            return NOTHING
        body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": DEFAULT, "namespace": ns_name}}
        return Decision((Request(verb="create", resource="serviceaccounts", namespace=ns_name, body=body,
                                 user=self.identity.name, groups=self.identity.groups),))
