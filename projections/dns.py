"""Cluster DNS as CoreDNS's `kubernetes` plugin answers it (kubeadm's Corefile: zone
`cluster.local`, `pods insecure`, `ttl 30`).

Records (k8s-semantics.md section 13):
- `<svc>.<ns>.svc.cluster.local`  A: the ClusterIP; for a headless Service every ready endpoint
  address (NXDOMAIN when it has none); ExternalName: a CNAME to `spec.externalName`.
- `<endpoint>.<svc>.<ns>.svc.cluster.local`  A, headless Services only: an endpoint's hostname
  (a StatefulSet pod, or a pod with hostname + subdomain) or its dashed IP (`10-244-1-5`).
- `_<port>._<proto>.<svc>.<ns>.svc.cluster.local`  SRV `0 <weight> <port> <target>`: target the
  Service name (ClusterIP) or each endpoint's name (headless, the endpoint's port); an SRV query
  on the Service name lists every port. Weight is 100 split evenly, as CoreDNS does.
- `a-b-c-d.<ns>.pod.cluster.local`  A a.b.c.d.
- Anything else in the zone: NXDOMAIN. Names outside it CoreDNS forwards upstream, which the
  simulation does not have: NXDOMAIN with a note.

`resolve` applies the pod's resolv.conf (`search <ns>.svc.cluster.local svc.cluster.local
cluster.local`, `ndots:5`): a name with fewer than five dots is tried with each search suffix
first, then as is; a trailing dot makes it absolute. Only ready endpoints are published, read
from the EndpointSlices as CoreDNS does.
"""

from __future__ import annotations

import ipaddress

import attrs

ZONE = "cluster.local"
TTL = 30
NDOTS = 5


@attrs.frozen
class Record:
    name: str  # fully qualified, with the trailing dot
    type: str
    data: str
    ttl: int = TTL

    def text(self) -> str:
        return f"{self.name}\t{self.ttl}\tIN\t{self.type}\t{self.data}"


@attrs.frozen
class Answer:
    question: str  # the name that answered (or the last one tried), fully qualified
    qtype: str
    status: str  # NOERROR | NXDOMAIN
    records: tuple[Record, ...] = ()
    extra: tuple[Record, ...] = ()
    tried: tuple[str, ...] = ()
    note: str = ""


def search_path(namespace: str) -> list[str]:
    return [f"{namespace}.svc.{ZONE}", f"svc.{ZONE}", ZONE]


def candidates(name: str, search: list[str] | None) -> list[str]:
    if name.endswith("."):
        return [name]
    if not search or name.count(".") >= NDOTS:
        return [name + "."] + ([f"{name}.{s}." for s in search] if search else [])
    return [f"{name}.{s}." for s in search] + [name + "."]


def resolve(reader, name: str, qtype: str = "A", search: list[str] | None = None) -> Answer:
    """Resolve as a pod's resolver would (search list), stopping at the first name that exists."""
    tried: list[str] = []
    last = None
    for fqdn in candidates(name.strip().lower(), search):
        tried.append(fqdn)
        last = lookup(reader, fqdn, qtype)
        if last.status != "NXDOMAIN":
            return attrs.evolve(last, tried=tuple(tried))
    assert last is not None
    note = last.note if "." in name.strip().rstrip(".") else ""  # a bare name failed the search path: nothing forwarded matters
    return attrs.evolve(last, tried=tuple(tried), note=note)


def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")


def _ready_endpoints(reader, svc: dict) -> list[tuple[str, dict, dict]]:
    """(name label, endpoint, slice) for each ready endpoint address, deduplicated, in order."""
    out, seen = [], set()
    for s in sorted(reader.slices_of(svc), key=lambda s: s["metadata"]["name"]):
        for ep in s.get("endpoints") or ():
            if (ep.get("conditions") or {}).get("ready") is False:
                continue
            for addr in ep.get("addresses") or ():
                if addr in seen:
                    continue
                seen.add(addr)
                out.append((ep.get("hostname") or _dashed(addr), {**ep, "addresses": [addr]}, s))
    return out


def _ip_sort(rr: Record) -> tuple:
    try:
        return (0, int(ipaddress.ip_address(rr.data)))
    except ValueError:
        return (1, rr.data)


def lookup(reader, fqdn: str, qtype: str) -> Answer:
    """One name, no search list."""
    qtype = qtype.upper()
    name = fqdn.rstrip(".")
    nx = Answer(fqdn, qtype, "NXDOMAIN")
    if name != ZONE and not name.endswith("." + ZONE):
        return attrs.evolve(nx, note=f"{name} is outside {ZONE}: CoreDNS forwards it upstream (not simulated)")
    labels = name[: -len(ZONE) - 1].split(".") if name != ZONE else []
    if len(labels) == 3 and labels[2] == "pod":
        try:
            ip = str(ipaddress.ip_address(labels[0].replace("-", ".")))
        except ValueError:
            return nx
        if reader.get("", "namespaces", "", labels[1]) is None:
            return nx
        return Answer(fqdn, qtype, "NOERROR", (Record(fqdn, "A", ip),) if qtype == "A" else ())
    if not labels or labels[-1] != "svc" or len(labels) not in (3, 4, 5):
        return nx
    ns, svc_name = labels[-2], labels[-3]
    svc = reader.get("", "services", ns, svc_name)
    if svc is None:
        return nx
    spec = svc.get("spec") or {}
    if spec.get("type") == "ExternalName":
        if len(labels) != 3:
            return nx
        target = spec.get("externalName", "").rstrip(".") + "."
        return Answer(fqdn, qtype, "NOERROR", (Record(fqdn, "CNAME", target),),
                      note=f"{target} is outside {ZONE}: the resolver follows the CNAME upstream (not simulated)")
    headless = spec.get("clusterIP") == "None"
    base = f"{svc_name}.{ns}.svc.{ZONE}."
    if len(labels) == 4:  # an endpoint of a headless Service
        if not headless:
            return nx
        for label, ep, _s in _ready_endpoints(reader, svc):
            if label == labels[0]:
                recs = (Record(fqdn, "A", ep["addresses"][0]),) if qtype == "A" else ()
                return Answer(fqdn, qtype, "NOERROR", recs)
        return nx
    port_name = proto = None
    if len(labels) == 5:
        if not (labels[0].startswith("_") and labels[1].startswith("_")):
            return nx
        port_name, proto = labels[0][1:], labels[1][1:]
    if qtype == "SRV":
        return _srv(reader, fqdn, svc, base, headless, port_name, proto)
    if port_name is not None and not _ports(spec, port_name, proto):
        return nx
    if qtype != "A":
        return Answer(fqdn, qtype, "NOERROR")
    if not headless:
        return Answer(fqdn, qtype, "NOERROR", (Record(fqdn, "A", spec.get("clusterIP", "")),))
    recs = sorted((Record(fqdn, "A", ep["addresses"][0]) for _l, ep, _s in _ready_endpoints(reader, svc)), key=_ip_sort)
    if not recs:
        return nx
    return Answer(fqdn, qtype, "NOERROR", tuple(recs))


def _ports(spec: dict, port_name: str | None, proto: str | None) -> list[dict]:
    out = []
    for p in spec.get("ports") or ():
        if port_name is not None and (p.get("name") or "") != port_name:
            continue
        if proto is not None and (p.get("protocol") or "TCP").lower() != proto:
            continue
        out.append(p)
    return out


def _srv(reader, fqdn: str, svc: dict, base: str, headless: bool, port_name: str | None, proto: str | None) -> Answer:
    spec = svc.get("spec") or {}
    ports = _ports(spec, port_name, proto)
    if not ports:
        return Answer(fqdn, "SRV", "NXDOMAIN")
    targets: list[tuple[str, int, str]] = []  # (target, port, ip)
    for p in ports:
        if not headless:
            targets.append((base, int(p.get("port") or 0), spec.get("clusterIP", "")))
            continue
        for label, ep, s in _ready_endpoints(reader, svc):
            eport = next((sp.get("port") for sp in s.get("ports") or () if (sp.get("name") or "") == (p.get("name") or "")), None)
            if eport is None:
                continue
            targets.append((f"{label}.{base}", int(eport), ep["addresses"][0]))
    if not targets:
        return Answer(fqdn, "SRV", "NXDOMAIN")
    weight = 100 // len(targets) if len(targets) > 1 else 100
    recs = tuple(Record(fqdn, "SRV", f"0 {weight} {port} {target}") for target, port, _ip in targets)
    extra = tuple(dict.fromkeys(Record(target, "A", ip) for target, _port, ip in targets))
    return Answer(fqdn, "SRV", "NOERROR", recs, extra)


def render(ans: Answer, server: str) -> str:
    """dig's layout: header, question, answer and additional sections, the server."""
    lines = [f";; ->>HEADER<<- opcode: QUERY, status: {ans.status}",
             ";; QUESTION SECTION:", f";{ans.question}\t\tIN\t{ans.qtype}", ""]
    if ans.records:
        lines += [";; ANSWER SECTION:"] + [r.text() for r in ans.records] + [""]
    if ans.extra:
        lines += [";; ADDITIONAL SECTION:"] + [r.text() for r in ans.extra] + [""]
    if len(ans.tried) > 1:
        lines.append(";; SEARCH: " + " ".join(ans.tried))
    if ans.note:
        lines.append(f";; NOTE: {ans.note}")
    lines.append(f";; SERVER: {server}")
    return "\n".join(lines) + "\n"


def as_json(ans: Answer) -> dict:
    return {"question": {"name": ans.question, "type": ans.qtype}, "status": ans.status,
            "answer": [attrs.asdict(r) for r in ans.records], "additional": [attrs.asdict(r) for r in ans.extra],
            "tried": list(ans.tried), **({"note": ans.note} if ans.note else {})}
