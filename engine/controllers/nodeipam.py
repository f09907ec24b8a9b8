"""The node IPAM controller (upstream `pkg/controller/nodeipam`, range allocator): a Node that
registers without a podCIDR gets the lowest free /24 of the cluster's pod network
(`podCIDR` in the cluster settings, default 10.244.0.0/16, as flannel's kubeadm setup), written
into `spec.podCIDR`/`spec.podCIDRs` by `system:serviceaccount:kube-system:node-controller`. The
simulated kubelet then hands pod IPs out of that range (`kubelet_sim.ipam`).

Nodes the bootstrap registers already carry `10.244.<index>.0/24` (the same rule applied at
once), so only nodes created later without one go through here. A podCIDR, once set, never
changes (ValidateNodeUpdate). Upstream scans on from the last allocation; the lowest free block is
the deterministic equivalent for a fresh cluster.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable

from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import entry_key, split_key

DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"
NODE_MASK = 24


def free_block(cluster_cidr: str, used: set[str]) -> str | None:
    """The lowest /24 of the cluster CIDR that no node holds."""
    net = ipaddress.ip_network(cluster_cidr, strict=False)
    for sub in net.subnets(new_prefix=max(NODE_MASK, net.prefixlen)):
        if str(sub) not in used:
            return str(sub)
    return None


class NodeIPAMController:
    name = "node-ipam-controller"
    identity = controller_identity("node-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        req = entry.request
        if not entry.changed or req.group != "" or req.resource != "nodes" or obj is None:
            return ()
        if (obj.get("spec") or {}).get("podCIDR"):
            return ()
        key = entry_key(entry)
        return (key,) if key is not None else ()

    def decide(self, view: View, key: bytes) -> Decision:
        name = split_key(key)[3]
        node = view.get("", "nodes", "", name)
        if node is None or (node.get("spec") or {}).get("podCIDR"):
            return NOTHING
        used = {(n.get("spec") or {}).get("podCIDR") for n in view.list("", "nodes")}
        cidr = free_block((view.cluster().get("spec") or {}).get("podCIDR") or DEFAULT_CLUSTER_CIDR, {u for u in used if u})
        if cidr is None:
            return NOTHING  # upstream records CIDRNotAvailable; the node stays without pod addresses
        who = self.identity
        return Decision((Request(verb="patch", resource="nodes", name=name, body={"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}},
                                 params={"patchType": "strategic"}, user=who.name, groups=who.groups),))
