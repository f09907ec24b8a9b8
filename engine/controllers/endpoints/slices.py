"""The EndpointSlice controller (upstream `pkg/controller/endpointslice`, reconciler in
`staging/src/k8s.io/endpointslice`).

For every Service with a selector (not ExternalName), EndpointSlices named `<service>-<suffix>`
(generateName), owned by the Service (so the garbage collector removes them with it), labelled
`kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
endpointslice-controller.k8s.io` (plus the Service's labels and the headless label), addressType
IPv4. Every selected pod with an IP that is not terminal is an endpoint, terminating ones
included: conditions `ready` (serving and not terminating, or publishNotReadyAddresses),
`serving` (pod Ready) and `terminating` (deletionTimestamp set), with nodeName, targetRef and
hostname as upstream's podToEndpoint. Endpoints are grouped by their resolved port list (a named
targetPort can resolve differently per pod) and filled up to 100 per slice
(`--max-endpoints-per-slice`); with no endpoints one placeholder slice (no endpoints, no ports)
remains. Existing slices are updated in place before new ones are created and surplus ones
deleted, and nothing is written when a slice already holds what it should.
"""

from __future__ import annotations

from typing import Iterable

from engine.controllers.endpoints import pods as util
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View

MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
SERVICE_NAME = "kubernetes.io/service-name"
MAX_PER_SLICE = 100
GROUP = "discovery.k8s.io"


def endpoint_of(pod: dict, svc: dict) -> dict:
    meta = pod.get("metadata") or {}
    serving = util.is_ready(pod)
    terminating = bool(meta.get("deletionTimestamp"))
    ready = bool((svc.get("spec") or {}).get("publishNotReadyAddresses")) or (serving and not terminating)
    ep: dict = {"addresses": [util.pod_ip(pod)], "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
                "targetRef": util.target_ref(pod)}
    if util.should_set_hostname(pod, svc):
        ep["hostname"] = pod["spec"]["hostname"]
    node = (pod.get("spec") or {}).get("nodeName")
    if node:
        ep["nodeName"] = node
    return ep


def endpoint_ports(pod: dict, svc: dict) -> list[dict]:
    out = []
    for sp in (svc.get("spec") or {}).get("ports") or ():
        num = util.find_port(pod, sp)
        if num is None:
            continue
        port = {"name": sp.get("name") or "", "port": num, "protocol": sp.get("protocol") or "TCP"}
        if sp.get("appProtocol") is not None:
            port["appProtocol"] = sp["appProtocol"]
        out.append(port)
    return out


def desired_groups(svc: dict, pods: list[dict]) -> list[tuple[list[dict], list[dict]]]:
    """(ports, endpoints) groups in first-seen order; endpoints in pod-name order."""
    groups: dict[tuple, tuple[list[dict], list[dict]]] = {}
    for pod in util.selected(pods, svc):
        if not util.should_be_in_endpoints(pod, True):
            continue
        ports = endpoint_ports(pod, svc)
        key = tuple((p["name"], p["port"], p["protocol"]) for p in ports)
        groups.setdefault(key, (ports, []))[1].append(endpoint_of(pod, svc))
    return list(groups.values())


def slice_labels(svc: dict) -> dict:
    labels = {k: v for k, v in ((svc.get("metadata") or {}).get("labels") or {}).items() if k not in (MANAGED_BY, SERVICE_NAME)}
    labels[SERVICE_NAME] = svc["metadata"]["name"]
    labels[MANAGED_BY] = CONTROLLER_NAME
    if util.is_headless(svc):
        labels[util.HEADLESS_LABEL] = ""
    return labels


def owner_ref(svc: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "name": svc["metadata"]["name"], "uid": svc["metadata"].get("uid", ""),
            "controller": True, "blockOwnerDeletion": True}


def managed_slices(view: View, svc: dict) -> list[dict]:
    ns, name = svc["metadata"].get("namespace", ""), svc["metadata"]["name"]
    out = []
    for s in view.list(GROUP, "endpointslices", ns):
        labels = (s.get("metadata") or {}).get("labels") or {}
        if labels.get(SERVICE_NAME) == name and labels.get(MANAGED_BY) == CONTROLLER_NAME:
            out.append(s)
    return out


def slice_request(who, verb: str, ns: str, name: str = "", body: dict | None = None) -> Request:
    """An EndpointSlice request under a controller's identity (this one's or the mirroring one's)."""
    return Request(verb=verb, group=GROUP, resource="endpointslices", namespace=ns, name=name, body=body,
                   user=who.name, groups=who.groups)


class EndpointSliceController:
    name = "endpointslice-controller"
    identity = controller_identity("endpointslice-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        return util.changed_namespaces(entry, obj, ((GROUP, "endpointslices"),))

    def _req(self, verb: str, ns: str, name: str = "", body: dict | None = None) -> Request:
        return slice_request(self.identity, verb, ns, name, body)

    def decide(self, view: View, key: bytes) -> Decision:
        ns = util.namespace_of(key)
        if ns is None:
            return NOTHING
        services = util.selecting_services(view, ns)
        if not services:
            return NOTHING
        pods = view.list("", "pods", ns)
        reqs: list[Request] = []
        for svc in services:
            reqs += self._sync(view, svc, pods)
        return Decision(tuple(reqs)) if reqs else NOTHING

    def _sync(self, view: View, svc: dict, pods: list[dict]) -> list[Request]:
        wanted: list[tuple[list[dict], list[dict]]] = []
        for ports, eps in desired_groups(svc, pods):
            for i in range(0, len(eps), MAX_PER_SLICE):
                wanted.append((ports, eps[i:i + MAX_PER_SLICE]))
        if not wanted:
            wanted = [([], [])]  # the placeholder slice
        existing = managed_slices(view, svc)
        return reconcile(view, self._req, existing, wanted, slice_labels(svc), owner_ref(svc), svc["metadata"]["name"],
                         svc["metadata"].get("namespace", ""))


def reconcile(view: View, make, existing: list[dict], wanted: list[tuple[list[dict], list[dict]]], labels: dict,
              owner: dict, prefix: str, ns: str) -> list[Request]:
    """Requests that turn `existing` slices into `wanted` (ports, endpoints) slices: slices already
    holding the ports are updated first, then any other existing slice is reused, then new ones are
    created; what is left over is deleted. Nothing is written for a slice that already matches."""
    reqs: list[Request] = []
    unused = sorted(existing, key=lambda s: s["metadata"]["name"])
    pending: list[tuple[list[dict], list[dict]]] = []
    for ports, eps in wanted:
        match = next((s for s in unused if (s.get("ports") or []) == ports), None)
        if match is None:
            pending.append((ports, eps))
            continue
        unused.remove(match)
        reqs += _update(view, make, match, ports, eps, labels, owner)
    for ports, eps in pending:
        if unused:
            reqs += _update(view, make, unused.pop(0), ports, eps, labels, owner)
            continue
        body = {"apiVersion": f"{GROUP}/v1", "kind": "EndpointSlice",
                "metadata": {"generateName": prefix + "-", "namespace": ns, "labels": labels,
                             "annotations": {util.TRIGGER_TIME: util.trigger_time(view.now)}, "ownerReferences": [owner]},
                "addressType": "IPv4", "endpoints": eps or None, "ports": ports or None}
        reqs.append(make("create", ns, body=body))
    for s in unused:
        reqs.append(make("delete", ns, s["metadata"]["name"]))
    return reqs


def _update(view: View, make, current: dict, ports: list[dict], eps: list[dict], labels: dict, owner: dict) -> list[Request]:
    meta = current["metadata"]
    same = (current.get("endpoints") or []) == eps and (current.get("ports") or []) == ports and \
        (meta.get("labels") or {}) == labels and owner in (meta.get("ownerReferences") or [])
    if same:
        return []
    new = {**current, "metadata": {**meta, "labels": labels, "ownerReferences": [owner],
                                   "annotations": {**(meta.get("annotations") or {}),
                                                   util.TRIGGER_TIME: util.trigger_time(view.now)}},
           "endpoints": eps or None, "ports": ports or None}
    return [make("update", meta.get("namespace", ""), meta["name"], body=new)]
