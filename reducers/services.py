"""Service storage semantics that differ from the generic registry (`pkg/registry/core/service/storage`).

Pure functions of the stored object, the written one and the entry's decided values:

- `prepare_update(new, old)`: upstream's `normalizeClusterIPs`, `patchAllocatedValues` (a client that resubmits a
  manifest without the allocated clusterIP or nodePorts keeps them) and `dropTypeDependentFields`
  (a type change wipes what the old type needed and the new one does not, unless the client
  changed it: clusterIP(s)/ipFamilies/ipFamilyPolicy when leaving for ExternalName, nodePorts when
  leaving NodePort/LoadBalancer, allocateLoadBalancerNodePorts, externalTrafficPolicy).
- `apply_allocation(obj, decided)`: the ClusterIP and NodePorts the request path allocated, recorded
  in `Admitted.decided["allocated"]` so a replay never allocates again.
- `alloc_rows(obj)`: what a stored Service holds in the allocators (the `idx_alloc` table): its
  cluster IPs, node ports and load-balancer ingress IPs. Derived from the object, so releasing is
  nothing more than the object changing or going away.
"""

from __future__ import annotations

import struct

NONE = "None"


def needs_cluster_ip(svc: dict) -> bool:
    return (svc.get("spec") or {}).get("type", "ClusterIP") != "ExternalName"


def needs_node_port(svc: dict) -> bool:
    return (svc.get("spec") or {}).get("type") in ("NodePort", "LoadBalancer")


def wants_node_ports(svc: dict) -> bool:
    """NodePort, or LoadBalancer unless `allocateLoadBalancerNodePorts: false`."""
    spec = svc.get("spec") or {}
    if spec.get("type") == "NodePort":
        return True
    return spec.get("type") == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True) is not False


def needs_external_traffic_policy(svc: dict) -> bool:
    return (svc.get("spec") or {}).get("type") in ("NodePort", "LoadBalancer")


def _node_ports(svc: dict) -> list[int]:
    return [int(p.get("nodePort") or 0) for p in (svc.get("spec") or {}).get("ports") or () if isinstance(p, dict)]


def patch_allocated_values(new: dict, old: dict) -> None:
    """Keep values the server allocated when the client left them out (idempotent re-submits)."""
    nspec, ospec = new.setdefault("spec", {}), old.get("spec") or {}
    if needs_cluster_ip(old) and needs_cluster_ip(new):
        if not nspec.get("clusterIP") and ospec.get("clusterIP"):
            nspec["clusterIP"] = ospec["clusterIP"]
        if not nspec.get("clusterIPs") and ospec.get("clusterIPs"):
            nspec["clusterIPs"] = list(ospec["clusterIPs"])
    if needs_node_port(old) and needs_node_port(new):
        used = {p for p in _node_ports(old) if p} & {p for p in _node_ports(new) if p}
        by_name = {(p.get("name") or ""): int(p.get("nodePort") or 0) for p in ospec.get("ports") or () if isinstance(p, dict)}
        for p in nspec.get("ports") or ():
            if isinstance(p, dict) and not p.get("nodePort"):
                was = by_name.get(p.get("name") or "", 0)
                if was and was not in used:
                    p["nodePort"] = was


def drop_type_dependent_fields(new: dict, old: dict) -> None:
    """Wipe fields the new type does not need, when the client did not change them."""
    nspec, ospec = new.setdefault("spec", {}), old.get("spec") or {}
    if needs_cluster_ip(old) and not needs_cluster_ip(new):
        if (nspec.get("clusterIP") or "") == (ospec.get("clusterIP") or "") and \
                list(nspec.get("clusterIPs") or []) == list(ospec.get("clusterIPs") or []):
            nspec.pop("clusterIP", None)
            nspec.pop("clusterIPs", None)
        if nspec.get("ipFamilies") == ospec.get("ipFamilies"):
            nspec.pop("ipFamilies", None)
        if nspec.get("ipFamilyPolicy") == ospec.get("ipFamilyPolicy"):
            nspec.pop("ipFamilyPolicy", None)
    if needs_node_port(old) and not needs_node_port(new) and _node_ports(new) == _node_ports(old):
        for p in nspec.get("ports") or ():
            if isinstance(p, dict):
                p.pop("nodePort", None)
    if ospec.get("type") == "LoadBalancer" and nspec.get("type") != "LoadBalancer":
        if nspec.get("allocateLoadBalancerNodePorts") is not None and \
                nspec.get("allocateLoadBalancerNodePorts") == ospec.get("allocateLoadBalancerNodePorts"):
            nspec.pop("allocateLoadBalancerNodePorts", None)
        if nspec.get("loadBalancerClass") is not None and nspec.get("loadBalancerClass") == ospec.get("loadBalancerClass"):
            nspec.pop("loadBalancerClass", None)
    if needs_external_traffic_policy(old) and not needs_external_traffic_policy(new) and \
            nspec.get("externalTrafficPolicy") == ospec.get("externalTrafficPolicy"):
        nspec.pop("externalTrafficPolicy", None)


def normalize_cluster_ips(new: dict, old: dict) -> None:
    """Upstream's normalizeClusterIPs on update: keep `clusterIP` and `clusterIPs` linked when a
    client managed only one of them."""
    nspec, ospec = new.setdefault("spec", {}), old.get("spec") or {}
    o_ip, n_ip = ospec.get("clusterIP") or "", nspec.get("clusterIP") or ""
    o_ips = list(ospec.get("clusterIPs") or [])
    if o_ips and not nspec.get("clusterIPs") and o_ip == n_ip:
        nspec["clusterIPs"] = list(o_ips)
    if o_ip != n_ip:
        same = list(nspec.get("clusterIPs") or []) == o_ips
        if o_ip and not n_ip and same:
            nspec.pop("clusterIPs", None)
        if n_ip and same:
            nspec["clusterIPs"] = [n_ip]


def prepare_update(new: dict, old: dict) -> dict:
    """The Service registry's update preparation (in place; returns `new`)."""
    normalize_cluster_ips(new, old)
    patch_allocated_values(new, old)
    drop_type_dependent_fields(new, old)
    if not needs_cluster_ip(new):
        return new
    spec = new["spec"]
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    return new


def apply_allocation(obj: dict, decided: dict) -> dict:
    """Write the recorded allocation into the object (in place; returns `obj`)."""
    alloc = decided.get("allocated")
    if not alloc:
        return obj
    spec = obj.setdefault("spec", {})
    ip = alloc.get("clusterIP")
    if ip:
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]
    ports = spec.get("ports") or []
    for index, port in alloc.get("nodePorts") or ():
        if 0 <= index < len(ports) and isinstance(ports[index], dict):
            ports[index]["nodePort"] = port
    return obj


# --- the allocator index -------------------------------------------------------------------------

IP_ROW, PORT_ROW, LB_ROW = b"ip\x00", b"np\x00", b"lb\x00"
_U16 = struct.Struct(">H")


def port_row(port: int) -> bytes:
    return PORT_ROW + _U16.pack(port)


def ip_row(ip: str) -> bytes:
    return IP_ROW + ip.encode()


def lb_row(ip: str) -> bytes:
    return LB_ROW + ip.encode()


def alloc_rows(obj: dict | None) -> set[bytes]:
    """The allocator rows a stored Service holds (none for another object or no object)."""
    if not isinstance(obj, dict):
        return set()
    spec = obj.get("spec") or {}
    rows: set[bytes] = set()
    if needs_cluster_ip(obj):
        for ip in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []):
            if isinstance(ip, str) and ip and ip != NONE:
                rows.add(ip_row(ip))
    if needs_node_port(obj):
        for p in spec.get("ports") or ():
            if isinstance(p, dict) and isinstance(p.get("nodePort"), int) and 0 < p["nodePort"] < 65536:
                rows.add(port_row(p["nodePort"]))
    for ing in ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ():
        if isinstance(ing, dict) and isinstance(ing.get("ip"), str) and ing["ip"]:
            rows.add(lb_row(ing["ip"]))
    return rows
