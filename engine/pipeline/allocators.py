"""Service ClusterIP and NodePort allocation: the API server's `BeginCreate`/`BeginUpdate` step
(`pkg/registry/core/service/storage/alloc.go`, `ipallocator`, `portallocator`).

Rules (k8s-semantics.md section 13):
- ClusterIPs come from the recorded `serviceCIDR` (default 10.96.0.0/12), network and broadcast
  addresses excluded. The range is split at offset = min(max(16, size/16), 256) (0 when size <= 16):
  dynamic allocation prefers the upper band and falls back to the lower one, so the lower band is
  left to addresses people ask for (10.96.0.1 `kubernetes`, 10.96.0.10 `kube-dns`).
- NodePorts come from `nodePortRange` (default 30000-32767), split at min(max(16, size/32), 128).
- A requested value must be in range (`provided IP is not in the valid range. The range of valid
  IPs is 10.96.0.0/12`) and free (`provided IP is already allocated`, `provided port is already
  allocated`), reported as upstream's 422 field errors on `spec.clusterIPs` /
  `spec.ports[i].nodePort`.

Upstream picks a random start in the band and scans from it. Here the start is derived from the
chain (SHA-256 of the previous digest and the seq), never from `random`, and the result is
recorded in `Admitted.decided["allocated"]` so a replay reads it instead of allocating again.
What is taken comes from the `idx_alloc` table (`reducers.services.alloc_rows`, kept in the
append transaction), so a check costs a lookup per probe, not a scan of every Service. A held
value is released by the Service changing or going away: the index follows the stored object.
"""

from __future__ import annotations

import hashlib
import ipaddress
from functools import lru_cache

from engine.errors import FieldError, internal, invalid
from engine.pipeline.validation.meta import GoFieldError, go_quote
from engine.view import View
from reducers import services as svcs

DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
DEFAULT_NODE_PORT_RANGE = "30000-32767"
IP_NOT_IN_RANGE = "provided IP is not in the valid range. The range of valid IPs is {}"
IP_ALLOCATED = "provided IP is already allocated"
PORT_NOT_IN_RANGE = "provided port is not in the valid range. The range of valid ports is {}"
PORT_ALLOCATED = "provided port is already allocated"


def _strings_error(ip: str, detail: str) -> FieldError:
    """`spec.clusterIPs: Invalid value: []string{"1.1.1.1"}: ...` (Go's rendering of the slice)."""
    return GoFieldError("Invalid", "spec.clusterIPs", "[]string{" + go_quote(ip) + "}", detail)


@lru_cache(maxsize=64)
def ip_range(cidr: str) -> tuple[int, int, int]:
    """(base, size, offset) of a service CIDR: base is the first usable address (network + 1),
    size the number of usable addresses, offset the start of the dynamic band (from base)."""
    net = ipaddress.ip_network(cidr, strict=False)
    full = net.num_addresses
    if net.version == 4 and full > 2:
        base, size = int(net.network_address) + 1, full - 2
    else:
        base, size = int(net.network_address) + 1, max(full - 1, 0)
    return base, size, range_offset(full, 16, 16, 256)


def range_offset(size: int, step: int, lo: int, hi: int) -> int:
    """Upstream's calculateRangeOffset: min(max(lo, size/step), hi), 0 when size <= lo (a /28 keeps
    no static band: two of its 16 addresses are not usable anyway)."""
    if size <= lo:
        return 0
    return min(max(lo, size // step), hi)


@lru_cache(maxsize=16)
def port_range(text: str) -> tuple[int, int, int]:
    """(base, size, offset) of a node port range `A-B`."""
    a, _, b = text.partition("-")
    base, last = int(a), int(b or a)
    size = last - base + 1
    return base, size, range_offset(size, 32, 16, 128)


def well_known_ips(cidr: str) -> tuple[str, str]:
    """The `kubernetes` Service's IP (the first usable address) and kube-dns's (the tenth)."""
    base, _size, _ = ip_range(cidr)
    return str(ipaddress.ip_address(base)), str(ipaddress.ip_address(base + 9))


def _start(seed: str, span: int) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % span if span > 0 else 0


def _scan(base: int, size: int, offset: int, seed: str, free) -> int | None:
    """The first free index from a seeded start in the upper band, then the lower band."""
    bands = [(offset, size), (0, offset)] if offset else [(0, size)]
    for lo, hi in bands:
        span = hi - lo
        if span <= 0:
            continue
        start = lo + _start(seed, span)
        for i in range(span):
            idx = lo + (start - lo + i) % span
            if free(base + idx):
                return base + idx
    return None


class ServiceAllocator:
    """Decides a Service write's ClusterIP and NodePorts; returns the decided value or raises."""

    def __init__(self, view: View, key: bytes, seed: str):
        self.view, self.key, self.seed = view, key, seed
        spec = view.cluster().get("spec") or {}
        self.cidr = spec.get("serviceCIDR") or DEFAULT_SERVICE_CIDR
        self.ports = spec.get("nodePortRange") or DEFAULT_NODE_PORT_RANGE

    def _holder(self, row: bytes) -> bytes | None:
        got = self.view.txn.get("idx_alloc", row)
        return None if got is None else bytes(got)

    def _free(self, row: bytes) -> bool:
        holder = self._holder(row)
        return holder is None or holder == self.key

    def allocate(self, prev: dict | None, new: dict) -> dict:
        name = (new.get("metadata") or {}).get("name", "")
        out: dict = {}
        spec = new.get("spec") or {}
        if svcs.needs_cluster_ip(new):
            ip = spec.get("clusterIP") or ""
            held = {r for r in svcs.alloc_rows(prev) if r.startswith(svcs.IP_ROW)}
            if not ip:
                out["clusterIP"] = self._dynamic_ip()
            elif ip != svcs.NONE and svcs.ip_row(ip) not in held:
                self._static_ip(name, ip)
        if svcs.wants_node_ports(new):
            nodeports = self._node_ports(name, prev, spec.get("ports") or [])
            if nodeports:
                out["nodePorts"] = nodeports
        return out

    # --- cluster IPs -----------------------------------------------------------------------------

    def _dynamic_ip(self) -> str:
        base, size, offset = ip_range(self.cidr)
        got = _scan(base, size, offset, f"clusterip:{self.seed}",
                    lambda n: self._free(svcs.ip_row(str(ipaddress.ip_address(n)))))
        if got is None:
            raise internal("Internal error occurred: failed to allocate a serviceIP: range is full")
        return str(ipaddress.ip_address(got))

    def _static_ip(self, name: str, ip: str) -> None:
        base, size, _ = ip_range(self.cidr)
        try:
            n = int(ipaddress.ip_address(ip))
        except ValueError:
            return  # validation reported it already
        if not base <= n < base + size:
            raise invalid("Service", "", name, [_strings_error(ip, f"failed to allocate IP {ip}: {IP_NOT_IN_RANGE.format(self.cidr)}")])
        if not self._free(svcs.ip_row(ip)):
            raise invalid("Service", "", name, [_strings_error(ip, f"failed to allocate IP {ip}: {IP_ALLOCATED}")])

    # --- node ports ------------------------------------------------------------------------------

    def _node_ports(self, name: str, prev: dict | None, ports: list) -> list[list[int]]:
        base, size, offset = port_range(self.ports)
        held = {int.from_bytes(r[len(svcs.PORT_ROW):], "big") for r in svcs.alloc_rows(prev) if r.startswith(svcs.PORT_ROW)}
        mine: set[int] = set()
        by_port: dict[int, int] = {}  # service port -> node port, shared across protocols (upstream)
        for i, p in enumerate(ports):
            if not isinstance(p, dict):
                continue
            np = p.get("nodePort") or 0
            if not isinstance(np, int) or not np:
                continue
            by_port.setdefault(int(p.get("port") or 0), np)
            if np in held or np in mine:
                mine.add(np)
                continue
            if not base <= np < base + size:
                raise invalid("Service", "", name, [FieldError(
                    "Invalid", f"spec.ports[{i}].nodePort", np, PORT_NOT_IN_RANGE.format(self.ports))])
            if not self._free(svcs.port_row(np)):
                raise invalid("Service", "", name, [FieldError("Invalid", f"spec.ports[{i}].nodePort", np, PORT_ALLOCATED)])
            mine.add(np)
        decided: list[list[int]] = []
        for i, p in enumerate(ports):
            if not isinstance(p, dict) or p.get("nodePort"):
                continue
            shared = by_port.get(int(p.get("port") or 0))
            if shared:
                decided.append([i, shared])
                continue
            got = _scan(base, size, offset, f"nodeport:{self.seed}:{i}",
                        lambda n: n not in mine and self._free(svcs.port_row(n)))
            if got is None:
                raise internal("Internal error occurred: failed to allocate a nodePort: range is full")
            mine.add(got)
            by_port[int(p.get("port") or 0)] = got
            decided.append([i, got])
        return decided


def check_range(cidr: str) -> str | None:
    """Why a service CIDR cannot be used (None when it can)."""
    try:
        net = ipaddress.ip_network(cidr, strict=True)
    except ValueError as e:
        return str(e)
    if net.num_addresses < 8:
        return f"{cidr} is too small: a service range needs at least 8 addresses"
    return None
