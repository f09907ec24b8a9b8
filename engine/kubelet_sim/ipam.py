"""Pod IPs from the node's podCIDR, derived from state: never one that a live pod on the node holds.

host-local IPAM (what flannel and kindnet use) hands out addresses round robin from `.2` (`.1` is
the bridge). Without a memory of its own, the simulation continues after the highest address in
use on the node and wraps around to the lowest free one, so addresses are not reused while any
pod holds them. A pod holds its address until it reaches a terminal phase or is removed.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from itertools import chain
from typing import Iterable

TERMINAL = ("Succeeded", "Failed")


class PoolExhausted(Exception):
    """Every address of the node's podCIDR is held by a live pod."""


def pod_cidr(node: dict) -> str | None:
    spec = node.get("spec") or {}
    cidrs = spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
    return cidrs[0] if cidrs else None


def in_use(pods: Iterable[dict], node_name: str) -> set[str]:
    """Addresses held by live pods bound to the node."""
    out = set()
    for p in pods:
        spec, status = p.get("spec") or {}, p.get("status") or {}
        if spec.get("nodeName") != node_name or spec.get("hostNetwork") or status.get("phase") in TERMINAL:
            continue
        if status.get("podIP"):
            out.add(status["podIP"])
    return out


@lru_cache(maxsize=1 << 16)
def _int(address: str) -> int | None:
    try:
        return int(ipaddress.ip_address(address))
    except ValueError:
        return None


@lru_cache(maxsize=1 << 14)
def _bounds(cidr: str) -> tuple[int, int]:
    """(first, last) address a pod may get in `cidr`."""
    net = ipaddress.ip_network(cidr, strict=False)
    base, size = int(net.network_address), net.num_addresses
    return (base + 2 if size > 2 else base), (base + size - 2 if size > 2 else base + size - 1)


class Pool:
    """A node's podCIDR with the addresses live pods hold; `take` hands out the next free one."""

    def __init__(self, cidr: str, used: Iterable[str]):
        self.cidr = cidr
        self.first, self.last = _bounds(cidr)  # parsed once per CIDR (the functions are cached)
        self.taken = {n for n in (_int(a) for a in used) if n is not None and self.first <= n <= self.last}
        self.high = max(self.taken) if self.taken else None

    def take(self) -> str:
        start = self.high + 1 if self.high is not None else self.first
        if start > self.last:
            start = self.first
        for candidate in chain(range(start, self.last + 1), range(self.first, start)):
            if candidate not in self.taken:
                self.taken.add(candidate)
                self.high = candidate if self.high is None else max(self.high, candidate)
                return str(ipaddress.ip_address(candidate))
        raise PoolExhausted(f"no free address in {self.cidr}")


def allocate(cidr: str, used: set[str]) -> str:
    """The next free address after the highest one in use (wrapping to `.2`)."""
    return Pool(cidr, used).take()
