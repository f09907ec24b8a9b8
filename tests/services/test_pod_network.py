"""Pod addresses: a node's podCIDR (node IPAM) and the pod IPs the kubelet hands out of it."""

import ipaddress

from engine.controllers.nodeipam import free_block
from tests.services.conftest import SECOND, deployment, get, items, ok


def test_free_block_is_the_lowest_unused_slash_24():
    assert free_block("10.244.0.0/16", {"10.244.0.0/24", "10.244.2.0/24"}) == "10.244.1.0/24"
    assert free_block("10.244.0.0/23", {"10.244.0.0/24", "10.244.1.0/24"}) is None


def test_a_node_registering_without_pod_cidr_gets_one_and_keeps_it(client, cluster):
    ok(client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node9"}}))
    node = get(cluster, "", "nodes", "node9", "")
    assert node["spec"]["podCIDR"] == "10.244.3.0/24" and node["spec"]["podCIDRs"] == ["10.244.3.0/24"]
    resp = client.patch("nodes", "node9", {"spec": {"podCIDR": "10.244.9.0/24", "podCIDRs": ["10.244.9.0/24"]}}, namespace="")
    assert resp.code == 422
    assert resp.error.message == ('Node "node9" is invalid: spec.podCIDRs[0]: Forbidden: node updates may not change '
                                  'podCIDR except from "" to valid')


def test_pod_ips_come_from_their_nodes_cidr_and_are_unique(client, cluster):
    ok(client.create(deployment("web", 6, {"app": "web"})))
    cluster.advance(5 * SECOND)
    nodes = {n["metadata"]["name"]: n["spec"]["podCIDR"] for n in items(cluster, "", "nodes", None)}
    ips = []
    for pod in items(cluster, "", "pods"):
        ip = pod["status"]["podIP"]
        assert ipaddress.ip_address(ip) in ipaddress.ip_network(nodes[pod["spec"]["nodeName"]])
        assert not ip.endswith(".0") and not ip.endswith(".1")  # network address and bridge
        ips.append(ip)
    assert len(set(ips)) == 6
