"""A simulated cloud load balancer (upstream's cloud `service-controller`, as cloud-provider-kind or
MetalLB run it on a local cluster).

A Service of type LoadBalancer gets `status.loadBalancer.ingress: [{ip, ipMode: VIP}]`, the lowest
free address of the recorded pool (`loadBalancerIPRange` in the cluster settings, default
172.18.255.200-172.18.255.250 on the nodes' network), with upstream's events `EnsuringLoadBalancer`
"Ensuring load balancer" and `EnsuredLoadBalancer` "Ensured load balancer" (`spec.loadBalancerIP`, when set and free, is used instead). Leaving the
LoadBalancer type clears the ingress ("DeletedLoadBalancer"). What the pool holds comes from the
`idx_alloc` table (`lb` rows, derived from each Service's status), so the choice is a function of
state and lookups, never random. Not simulated: the `service.kubernetes.io/load-balancer-cleanup`
finalizer and loadBalancerClass.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable

from engine.controllers.events import NORMAL, event_request
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import entry_key, split_key
from reducers.services import lb_row

DEFAULT_POOL = "172.18.255.200-172.18.255.250"
COMPONENT = "service-controller"


def pool(text: str) -> tuple[int, int]:
    a, _, b = text.partition("-")
    lo = int(ipaddress.ip_address(a.strip()))
    return lo, int(ipaddress.ip_address((b or a).strip()))


class ServiceLBController:
    name = "service-controller"
    identity = controller_identity("service-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        req = entry.request
        if not entry.changed or req.group != "" or req.resource != "services" or obj is None:
            return ()
        key = entry_key(entry)
        return (key,) if key is not None else ()

    def decide(self, view: View, key: bytes) -> Decision:
        _g, _r, ns, name = split_key(key)
        svc = view.get("", "services", ns, name)
        if svc is None or (svc["metadata"].get("deletionTimestamp")):
            return NOTHING
        spec, status = svc.get("spec") or {}, svc.get("status") or {}
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        who = self.identity
        if spec.get("type") != "LoadBalancer":
            if not ingress:
                return NOTHING
            body = {**svc, "status": {**status, "loadBalancer": {}}}
            return Decision((
                Request(verb="update", resource="services", namespace=ns, name=name, subresource="status", body=body,
                        user=who.name, groups=who.groups),
                event_request(who, COMPONENT, svc, NORMAL, "DeletedLoadBalancer", "Deleted load balancer", view.now)))
        if ingress:
            return NOTHING
        lo, hi = pool((view.cluster().get("spec") or {}).get("loadBalancerIPRange") or DEFAULT_POOL)
        wanted = spec.get("loadBalancerIP")  # the deprecated request field: honoured when free
        if wanted and view.txn.get("idx_alloc", lb_row(wanted)) is None:
            ip = wanted
        else:
            ip = next((str(ipaddress.ip_address(n)) for n in range(lo, hi + 1)
                       if view.txn.get("idx_alloc", lb_row(str(ipaddress.ip_address(n)))) is None), None)
        reqs = [event_request(who, COMPONENT, svc, NORMAL, "EnsuringLoadBalancer", "Ensuring load balancer", view.now)]
        if ip is None:
            reqs.append(event_request(who, COMPONENT, svc, "Warning", "SyncLoadBalancerFailed",
                                      "Error syncing load balancer: failed to ensure load balancer: no free address in the pool",
                                      view.now))
            return Decision(tuple(reqs))
        body = {**svc, "status": {**status, "loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}}}
        reqs.insert(1, Request(verb="update", resource="services", namespace=ns, name=name, subresource="status", body=body,
                               user=who.name, groups=who.groups))
        reqs.append(event_request(who, COMPONENT, svc, NORMAL, "EnsuredLoadBalancer", "Ensured load balancer", view.now))
        return Decision(tuple(reqs))
