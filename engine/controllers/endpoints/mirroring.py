"""The EndpointSlice mirroring controller (upstream `pkg/controller/endpointslicemirroring`): the
Endpoints people write by hand for a Service without a selector (an external database, say) are
mirrored into EndpointSlices, so kube-proxy and DNS, which read slices, route to them.

Mirrored: Endpoints whose Service exists and has no selector, unless labelled
`endpointslice.kubernetes.io/skip-mirror: "true"` (the apiserver's own `kubernetes` Endpoints is).
Each subset becomes slices (up to 1000 addresses mirrored, upstream's limit) with the subset's
ports; `addresses` are endpoints with `ready: true`, `notReadyAddresses` with `ready: false`,
keeping hostname, nodeName and targetRef. The slices are named `<endpoints>-<suffix>`, owned by the
Endpoints (the garbage collector removes them with it), labelled `kubernetes.io/service-name` and
`endpointslice.kubernetes.io/managed-by: endpointslicemirroring-controller.k8s.io`. When the
Service goes away or gains a selector, the mirrored slices are deleted.
"""

from __future__ import annotations

from typing import Iterable

from engine.controllers.endpoints import pods as util
from engine.controllers.endpoints.slices import GROUP, MANAGED_BY, SERVICE_NAME, reconcile, slice_request
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View

CONTROLLER_NAME = "endpointslicemirroring-controller.k8s.io"
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"
MAX_MIRRORED = 1000
MAX_PER_SLICE = 100


def mirrored_groups(ep: dict) -> list[tuple[list[dict], list[dict]]]:
    out: list[tuple[list[dict], list[dict]]] = []
    left = MAX_MIRRORED
    for subset in ep.get("subsets") or ():
        ports = [{"name": p.get("name") or "", "port": p.get("port"), "protocol": p.get("protocol") or "TCP",
                  **({"appProtocol": p["appProtocol"]} if p.get("appProtocol") is not None else {})}
                 for p in subset.get("ports") or ()]
        eps = []
        for field, ready in (("addresses", True), ("notReadyAddresses", False)):
            for a in subset.get(field) or ():
                if left <= 0:
                    break
                left -= 1
                e: dict = {"addresses": [a.get("ip", "")], "conditions": {"ready": ready}}
                for k in ("hostname", "nodeName", "targetRef"):
                    if a.get(k):
                        e[k] = a[k]
                eps.append(e)
        for i in range(0, len(eps), MAX_PER_SLICE):
            out.append((ports, eps[i:i + MAX_PER_SLICE]))
    return out


def mirrors(ep: dict, svc: dict | None) -> bool:
    if svc is None or (svc.get("spec") or {}).get("selector") is not None:
        return False
    return ((ep.get("metadata") or {}).get("labels") or {}).get(SKIP_MIRROR) != "true"


class EndpointSliceMirroringController:
    name = "endpointslicemirroring-controller"
    identity = controller_identity("endpointslicemirroring-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        req = entry.request
        if not entry.changed or not req.namespace:
            return ()
        if (req.group, req.resource) in (("", "endpoints"), ("", "services"), (GROUP, "endpointslices")):
            return (util.ns_key(req.namespace),)
        return ()

    def _req(self, verb: str, ns: str, name: str = "", body: dict | None = None) -> Request:
        return slice_request(self.identity, verb, ns, name, body)

    def decide(self, view: View, key: bytes) -> Decision:
        ns = util.namespace_of(key)
        if ns is None:
            return NOTHING
        mirrored: dict[str, list[dict]] = {}
        for s in view.list(GROUP, "endpointslices", ns):
            labels = (s.get("metadata") or {}).get("labels") or {}
            if labels.get(MANAGED_BY) == CONTROLLER_NAME:
                mirrored.setdefault(labels.get(SERVICE_NAME, ""), []).append(s)
        reqs: list[Request] = []
        for ep in view.list("", "endpoints", ns):
            name = ep["metadata"]["name"]
            svc = view.get("", "services", ns, name)
            existing = mirrored.pop(name, [])
            if not mirrors(ep, svc):
                reqs += [self._req("delete", ns, s["metadata"]["name"]) for s in existing]
                continue
            labels = {k: v for k, v in ((ep.get("metadata") or {}).get("labels") or {}).items() if k != SKIP_MIRROR}
            labels.update({SERVICE_NAME: name, MANAGED_BY: CONTROLLER_NAME})
            owner = {"apiVersion": "v1", "kind": "Endpoints", "name": name, "uid": ep["metadata"].get("uid", ""),
                     "controller": True, "blockOwnerDeletion": True}
            wanted = mirrored_groups(ep) or [([], [])]
            reqs += reconcile(view, self._req, existing, wanted, labels, owner, name, ns)
        for leftovers in mirrored.values():  # their Endpoints is gone
            reqs += [self._req("delete", ns, s["metadata"]["name"]) for s in leftovers]
        return Decision(tuple(reqs)) if reqs else NOTHING
