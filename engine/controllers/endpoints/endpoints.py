"""The Endpoints controller (upstream `pkg/controller/endpoint/endpoints_controller.go`, syncService).

For every Service with a selector (ExternalName excluded; a selector-less Service gets nothing,
its Endpoints are written by hand), the Endpoints object of the same name lists the selected pods
that have an IP and are not terminal or terminating (unless `publishNotReadyAddresses`): ready
pods under `addresses`, the others under `notReadyAddresses`, each with its IP, nodeName and
targetRef (and hostname when the pod's subdomain names the Service). Each service port resolves
its targetPort per pod (a named port by the container port of that name and protocol; a pod
without it offers nothing for that port). Then upstream's RepackSubsets: addresses that offer the
same set of ports share one subset.

The object carries the Service's labels (plus `service.kubernetes.io/headless` for a headless
Service) and `endpoints.kubernetes.io/last-change-trigger-time`, the moment of the change that
caused the write (here the controller runs at that same virtual moment). Nothing is written when
subsets and labels already match. A deleted Service's Endpoints are deleted.

Order: upstream sorts addresses by IP then UID and ports and subsets by a hash of their content;
here ports keep the Service's order and subsets are ordered by their first address, which is as
stable and does not depend on a hash function.
"""

from __future__ import annotations

from typing import Iterable

from engine.controllers.endpoints import pods as util
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View

GONE = b"gone\x01"


def _addr_key(addr: dict) -> tuple:
    return (addr.get("ip", ""), (addr.get("targetRef") or {}).get("uid", ""))


def _ip_sort_key(addr: dict) -> tuple:
    return (addr.get("ip", "").encode(), (addr.get("targetRef") or {}).get("uid", ""))


def repack(entries: list[tuple[dict, bool, dict | None]]) -> list[dict]:
    """Upstream's RepackSubsets over (address, ready, port-or-None) triples."""
    port_order: list[tuple] = []
    by_port: dict[tuple, dict] = {}
    addrs: dict[tuple, dict] = {}
    for addr, ready, port in entries:
        pkey = (port["name"], port["port"], port["protocol"], port.get("appProtocol")) if port else ("", -1, "", None)
        if pkey not in by_port:
            by_port[pkey] = {"port": port, "addrs": {}}
            port_order.append(pkey)
        akey = _addr_key(addr)
        addrs.setdefault(akey, addr)
        seen = by_port[pkey]["addrs"]
        if not seen.get(akey, False):
            seen[akey] = ready
    groups: dict[tuple, list] = {}
    group_order: list[tuple] = []
    for pkey in port_order:
        aset = tuple(sorted(by_port[pkey]["addrs"].items()))
        if aset not in groups:
            groups[aset] = []
            group_order.append(aset)
        if by_port[pkey]["port"] is not None:
            groups[aset].append(by_port[pkey]["port"])
    subsets = []
    for aset in group_order:
        ready = sorted((addrs[k] for k, r in aset if r), key=_ip_sort_key)
        not_ready = sorted((addrs[k] for k, r in aset if not r), key=_ip_sort_key)
        subset: dict = {}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if groups[aset]:
            subset["ports"] = groups[aset]
        subsets.append(subset)
    return sorted(subsets, key=lambda s: _ip_sort_key((s.get("addresses") or s.get("notReadyAddresses") or [{}])[0]))


def desired_subsets(svc: dict, pods: list[dict]) -> list[dict]:
    spec = svc.get("spec") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    entries: list[tuple[dict, bool, dict | None]] = []
    for pod in util.selected(pods, svc):
        if not util.should_be_in_endpoints(pod, publish):
            continue
        addr: dict = {"ip": util.pod_ip(pod), "targetRef": util.target_ref(pod)}
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            addr["nodeName"] = node
        if util.should_set_hostname(pod, svc):
            addr["hostname"] = pod["spec"]["hostname"]
        ready = publish or util.is_ready(pod)
        ports = spec.get("ports") or []
        if not ports:
            if spec.get("clusterIP") == "None":
                entries.append((addr, ready, None))
            continue
        for sp in ports:
            num = util.find_port(pod, sp)
            if num is None:
                continue
            port = {"name": sp.get("name") or "", "port": num, "protocol": sp.get("protocol") or "TCP"}
            if sp.get("appProtocol") is not None:
                port["appProtocol"] = sp["appProtocol"]
            entries.append((addr, ready, port))
    subsets = repack(entries)
    for s in subsets:
        for p in s.get("ports") or ():
            if not p.get("name"):
                p.pop("name", None)  # EndpointPort.name is omitempty
    return subsets


def desired_labels(svc: dict) -> dict:
    labels = dict((svc.get("metadata") or {}).get("labels") or {})
    if util.is_headless(svc):
        labels[util.HEADLESS_LABEL] = ""
    else:
        labels.pop(util.HEADLESS_LABEL, None)
    return labels


class EndpointsController:
    name = "endpoint-controller"
    identity = controller_identity("endpoint-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        keys = list(util.changed_namespaces(entry, obj, (("", "endpoints"),)))
        req = entry.request
        if keys and req.resource == "services" and entry.outcome.digest == "deleted":  # type: ignore[union-attr]
            keys.append(GONE + req.namespace.encode() + b"\x01" + req.name.encode())
        return keys

    def _req(self, verb: str, ns: str, name: str = "", body: dict | None = None) -> Request:
        who = self.identity
        return Request(verb=verb, resource="endpoints", namespace=ns, name=name, body=body, user=who.name, groups=who.groups)

    def decide(self, view: View, key: bytes) -> Decision:
        if key.startswith(GONE):
            ns, _, name = key[len(GONE):].decode().partition("\x01")
            if view.get("", "services", ns, name) is None and view.get("", "endpoints", ns, name) is not None:
                return Decision((self._req("delete", ns, name),))
            return NOTHING
        ns = util.namespace_of(key)
        if ns is None:
            return NOTHING
        services = util.selecting_services(view, ns)
        if not services:
            return NOTHING
        pods = view.list("", "pods", ns)
        reqs = []
        for svc in services:
            req = self._sync(view, svc, pods)
            if req is not None:
                reqs.append(req)
        return Decision(tuple(reqs)) if reqs else NOTHING

    def _sync(self, view: View, svc: dict, pods: list[dict]) -> Request | None:
        ns, name = svc["metadata"].get("namespace", ""), svc["metadata"]["name"]
        subsets = desired_subsets(svc, pods)
        labels = desired_labels(svc)
        current = view.get("", "endpoints", ns, name)
        if current is not None:
            cur_labels = dict(current["metadata"].get("labels") or {})
            if (current.get("subsets") or []) == subsets and cur_labels == labels:
                return None
            new = {**current, "metadata": dict(current["metadata"]), "subsets": subsets}
            if not subsets:
                new.pop("subsets")
        else:
            new = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns}}
            if subsets:
                new["subsets"] = subsets
        meta = new["metadata"]
        meta["labels"] = labels
        meta["annotations"] = {**(meta.get("annotations") or {}), util.TRIGGER_TIME: util.trigger_time(view.now)}
        if current is None:
            return self._req("create", ns, body=new)
        return self._req("update", ns, name, body=new)
