"""kube-proxy, simulated: which backend a connection to a Service reaches, and the rules each
proxy mode installs on a node.

Backends are the Service port's ready endpoints (EndpointSlices, `ready` true), ordered by IP
(kube-proxy's endpoint cache keeps them sorted). The choice per mode:
- `ipvs` (the seed's and kubeadm's choice since 1.14; the simulation's default): the `rr`
  scheduler, each node's virtual server walking its real servers in turn;
- `userspace`: the proxier's round-robin load balancer, the same walk;
- `iptables`: the `statistic --mode random` chain, rule i taken with probability 1/(n-i), i.e.
  uniform; the draw comes from a seed derived from the log position, recorded with the request.

`sessionAffinity: ClientIP` keeps a client (the `--from` pod or node) on its last backend while
that backend is ready and the last connection is younger than `timeoutSeconds` (10800).

The round-robin position is not memory: each connection is a recorded `services/proxy` request
whose decided value holds the position it used, so the next one continues from there (per node,
per Service port) and a replay reads the same choices.

Rule counts follow the structure of kube-proxy's proxiers (per Service port with n ready
endpoints): iptables installs 1 KUBE-SERVICES rule, a KUBE-SVC chain of 1 + n rules and a KUBE-SEP
chain of 2 rules per endpoint (so 2 + 3n, growing with services x endpoints, and a new connection
walks KUBE-SERVICES linearly), plus 3 for a NodePort and 1 per external or load-balancer IP; a port
without endpoints gets 1 REJECT rule. ipvs installs one virtual server per address (cluster IP,
each node IP for a NodePort, each external/load-balancer IP) with n real servers each, found by a
hash lookup, and a constant set of iptables rules matching ipsets (one ipset entry per address).
"""

from __future__ import annotations

import hashlib
import ipaddress

import attrs

MODES = ("ipvs", "iptables", "userspace")
IPVS_IPTABLES_RULES = 14  # kube-proxy's fixed ipset-matching rules in ipvs mode


@attrs.frozen
class Backend:
    pod: str
    namespace: str
    ip: str
    port: int
    node: str


def _ip_key(ip: str) -> tuple:
    try:
        return (0, int(ipaddress.ip_address(ip)))
    except ValueError:
        return (1, ip)


def service_port(svc: dict, port: str | int | None) -> dict | None:
    """The Service port a connection names (by number or name; None: the only/first port)."""
    ports = (svc.get("spec") or {}).get("ports") or []
    if port in (None, ""):
        return ports[0] if ports else None
    for p in ports:
        if str(p.get("port")) == str(port) or (p.get("name") or "") == str(port):
            return p
    return None


def backends(reader, svc: dict, sport: dict) -> list[Backend]:
    name = sport.get("name") or ""
    out: dict[str, Backend] = {}
    for s in reader.slices_of(svc):
        port = next((p.get("port") for p in s.get("ports") or () if (p.get("name") or "") == name
                     and (p.get("protocol") or "TCP") == (sport.get("protocol") or "TCP")), None)
        if port is None:
            continue
        for ep in s.get("endpoints") or ():
            if (ep.get("conditions") or {}).get("ready") is False:
                continue
            ref = ep.get("targetRef") or {}
            for addr in ep.get("addresses") or ():
                out.setdefault(addr, Backend(ref.get("name", ""), ref.get("namespace", ""), addr, int(port), ep.get("nodeName", "")))
    return sorted(out.values(), key=lambda b: _ip_key(b.ip))


def draw(seed_text: str) -> int:
    """The random draw iptables' statistic match makes, from a recorded seed."""
    return int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "big")


def pick(mode: str, pool: list[Backend], cursor: int, seed: int) -> Backend:
    if mode == "iptables":
        return pool[seed % len(pool)]
    return pool[cursor % len(pool)]


# --- rules -----------------------------------------------------------------------------------------


@attrs.frozen
class NodeRules:
    node: str
    service_ports: int
    endpoints: int
    iptables_rules: int
    ipvs_virtual_servers: int
    ipvs_real_servers: int
    ipset_entries: int


def _counts(service_ports: list[tuple[int, bool, int]], node_ips: int) -> tuple[int, int, int, int, int]:
    """(endpoints, iptables rules, ipvs virtual servers, ipvs real servers, ipset entries) for
    (n endpoints, is NodePort, external addresses) per Service port."""
    eps = ipt = vs = rs = sets = 0
    for n, nodeport, external in service_ports:
        eps += n
        ipt += (2 + 3 * n) if n else 1
        if nodeport:
            ipt += 3
        ipt += external
        addrs = 1 + (node_ips if nodeport else 0) + external
        vs += addrs
        rs += addrs * n
        sets += addrs
    return eps, ipt, vs, rs, sets


def node_rules(reader) -> list[NodeRules]:
    """What every node's kube-proxy installs for the cluster's Services (all nodes alike here:
    externalTrafficPolicy Local is not modelled)."""
    ports: list[tuple[int, bool, int]] = []
    for svc in reader.list("", "services", None):
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") in (None, "", "None"):
            continue
        external = len(spec.get("externalIPs") or []) + len(((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [])
        for sp in spec.get("ports") or ():
            ports.append((len(backends(reader, svc, sp)), bool(sp.get("nodePort")), external))
    nodes = sorted(n["metadata"]["name"] for n in reader.list("", "nodes", None))
    eps, ipt, vs, rs, sets = _counts(ports, 1)
    return [NodeRules(n, len(ports), eps, ipt, vs, rs, sets) for n in nodes]


def what_if(services: int, endpoints: int, nodeport: bool = False) -> NodeRules:
    """The same counts for a hypothetical cluster: `services` one-port Services of `endpoints` each."""
    eps, ipt, vs, rs, sets = _counts([(endpoints, nodeport, 0)] * services, 1)
    return NodeRules("(any node)", services, eps, ipt, vs, rs, sets)
