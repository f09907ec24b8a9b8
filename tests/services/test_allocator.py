"""ClusterIP and NodePort allocation to upstream's rules (k8s-semantics.md section 13)."""

import ipaddress

import pytest


from engine.pipeline.allocators import ip_range, port_range, range_offset, well_known_ips
from tests.services.conftest import boot, get, ok, service

HTTP = [{"name": "http", "port": 80}]


def test_range_offsets_match_the_reference_vectors():
    assert ip_range("10.96.0.0/12")[2] == 256  # size 1048576
    assert range_offset(256, 16, 16, 256) == 16  # 10.0.0.0/24
    assert ip_range("10.0.0.0/28")[2] == 0  # size 16: no static band
    assert range_offset(32, 16, 16, 256) == 16  # /27 -> the minimum
    assert port_range("30000-32767") == (30000, 2768, 86)  # static band 30000-30085


def test_a_slash_28_has_fourteen_usable_addresses_and_no_static_band():
    assert range_offset(16, 16, 16, 256) == 0 and range_offset(17, 16, 16, 256) == 16
    assert ip_range("10.0.0.0/28")[:2] == (int(ipaddress.ip_address("10.0.0.1")), 14)


def test_well_known_addresses_follow_the_range():
    assert well_known_ips("10.96.0.0/12") == ("10.96.0.1", "10.96.0.10")
    assert well_known_ips("10.0.0.0/24") == ("10.0.0.1", "10.0.0.10")


def test_bootstrap_services_hold_the_first_and_tenth_address(cluster):
    assert get(cluster, "", "services", "kubernetes")["spec"]["clusterIP"] == "10.96.0.1"
    assert get(cluster, "", "services", "kube-dns", "kube-system")["spec"]["clusterIP"] == "10.96.0.10"


def test_service_cidr_is_a_recorded_setting():
    c = boot(service_cidr="10.0.0.0/24")
    try:
        assert get(c, "config.kubetape.io", "clusters", "cluster", "")["spec"]["serviceCIDR"] == "10.0.0.0/24"
        assert get(c, "", "services", "kubernetes")["spec"]["clusterIP"] == "10.0.0.1"
        assert get(c, "", "services", "kube-dns", "kube-system")["spec"]["clusterIP"] == "10.0.0.10"
    finally:
        c.close()


def test_no_two_services_share_a_cluster_ip_or_node_port(client, cluster):
    for i in range(40):
        ok(client.create(service(f"s{i}", ports=[{"name": "a", "port": 80}, {"name": "b", "port": 81}], type_="NodePort")))
    svcs = [get(cluster, "", "services", f"s{i}") for i in range(40)]
    ips = [s["spec"]["clusterIP"] for s in svcs]
    nodeports = [p["nodePort"] for s in svcs for p in s["spec"]["ports"]]
    assert len(set(ips)) == 40 and "10.96.0.1" not in ips and "10.96.0.10" not in ips
    assert len(set(nodeports)) == 80
    base, size, offset = ip_range("10.96.0.0/12")
    assert all(int(ipaddress.ip_address(ip)) >= base + offset for ip in ips), "dynamic IPs come from the upper band"
    assert all(30086 <= p <= 32767 for p in nodeports), "dynamic ports come from the upper band"
    assert all(s["spec"]["clusterIPs"] == [s["spec"]["clusterIP"]] for s in svcs)


def test_allocation_is_recorded_as_a_decided_value(client):
    resp = ok(client.create(service("web", ports=HTTP, type_="NodePort")))
    alloc = resp.entry.outcome.decided["allocated"]
    assert alloc["clusterIP"] == resp.obj["spec"]["clusterIP"]
    assert alloc["nodePorts"] == [[0, resp.obj["spec"]["ports"][0]["nodePort"]]]


def test_a_requested_cluster_ip_is_honoured_then_refused_when_taken(client):
    assert ok(client.create(service("a", ports=HTTP, clusterIP="10.96.0.50"))).obj["spec"]["clusterIP"] == "10.96.0.50"
    resp = client.create(service("b", ports=HTTP, clusterIP="10.96.0.50"))
    assert resp.code == 422
    assert resp.error.message == ('Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.50"}: '
                                  "failed to allocate IP 10.96.0.50: provided IP is already allocated")
    resp = client.create(service("b", ports=HTTP, clusterIP="10.96.0.10"))
    assert "provided IP is already allocated" in resp.error.message


def test_a_cluster_ip_out_of_range_is_refused(client):
    resp = client.create(service("b", ports=HTTP, clusterIP="1.1.1.1"))
    assert resp.code == 422
    assert resp.error.message.endswith("failed to allocate IP 1.1.1.1: provided IP is not in the valid range. "
                                       "The range of valid IPs is 10.96.0.0/12")


def test_a_requested_node_port_is_honoured_then_refused_when_taken(client):
    ports = [{"port": 80, "nodePort": 30080}]
    assert ok(client.create(service("a", ports=ports, type_="NodePort"))).obj["spec"]["ports"][0]["nodePort"] == 30080
    resp = client.create(service("b", ports=ports, type_="NodePort"))
    assert resp.code == 422
    assert resp.error.message == ('Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: '
                                  "provided port is already allocated")
    resp = client.create(service("c", ports=[{"port": 80, "nodePort": 29999}], type_="NodePort"))
    assert resp.error.message.endswith("spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the "
                                       "valid range. The range of valid ports is 30000-32767")


def test_released_values_can_be_taken_again(client, cluster):
    ok(client.create(service("a", ports=[{"port": 80, "nodePort": 30080}], type_="NodePort", clusterIP="10.96.0.60")))
    ok(client.delete("svc", "a"))
    again = ok(client.create(service("b", ports=[{"port": 80, "nodePort": 30080}], type_="NodePort", clusterIP="10.96.0.60")))
    assert again.obj["spec"]["clusterIP"] == "10.96.0.60"
    assert again.obj["spec"]["ports"][0]["nodePort"] == 30080


def test_nodeport_to_clusterip_clears_and_releases_the_port(client):
    ok(client.create(service("a", ports=[{"port": 80, "nodePort": 30080}], type_="NodePort")))
    ip = ok(client.get("svc", "a")).obj["spec"]["clusterIP"]
    down = ok(client.patch("svc", "a", {"spec": {"type": "ClusterIP"}}))
    assert "nodePort" not in down.obj["spec"]["ports"][0]
    assert "externalTrafficPolicy" not in down.obj["spec"]
    assert down.obj["spec"]["clusterIP"] == ip
    ok(client.create(service("b", ports=[{"port": 80, "nodePort": 30080}], type_="NodePort")))


def test_clusterip_to_nodeport_keeps_the_ip_and_allocates_a_port(client):
    ip = ok(client.create(service("a", ports=HTTP))).obj["spec"]["clusterIP"]
    up = ok(client.patch("svc", "a", {"spec": {"type": "NodePort"}}))
    assert up.obj["spec"]["clusterIP"] == ip
    assert 30000 <= up.obj["spec"]["ports"][0]["nodePort"] <= 32767
    assert up.obj["spec"]["externalTrafficPolicy"] == "Cluster"


def test_a_resubmitted_manifest_keeps_allocated_values(client):
    created = ok(client.create(service("a", ports=HTTP, type_="NodePort"))).obj
    body = service("a", ports=HTTP, type_="NodePort")
    body["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    replaced = ok(client.update(body)).obj
    assert replaced["spec"]["clusterIP"] == created["spec"]["clusterIP"]
    assert replaced["spec"]["ports"][0]["nodePort"] == created["spec"]["ports"][0]["nodePort"]


def test_the_cluster_ip_may_not_change(client):
    ok(client.create(service("a", ports=HTTP)))
    resp = client.patch("svc", "a", {"spec": {"clusterIP": "10.96.0.77"}})
    assert resp.code == 422
    assert resp.error.message == ('Service "a" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.77"}: '
                                  "may not change once set")


def test_change_to_externalname_drops_the_cluster_ip_and_frees_it(client):
    ok(client.create(service("a", ports=HTTP, clusterIP="10.96.0.61")))
    ext = ok(client.patch("svc", "a", {"spec": {"type": "ExternalName", "externalName": "db.example.com"}})).obj
    assert "clusterIP" not in ext["spec"] and "ipFamilies" not in ext["spec"]
    ok(client.create(service("b", ports=HTTP, clusterIP="10.96.0.61")))


def test_headless_services_take_no_address(client):
    obj = ok(client.create(service("h", ports=HTTP, clusterIP="None"))).obj
    assert obj["spec"]["clusterIPs"] == ["None"]
    assert "allocated" not in ok(client.create(service("h2", ports=HTTP, clusterIP="None"))).entry.outcome.decided


def test_a_full_range_is_an_internal_error():
    c = boot(service_cidr="10.0.0.0/28")
    from engine.client import Client

    client = Client(c)
    try:
        made = 0
        while made < 20:
            resp = client.create(service(f"s{made}", ports=HTTP))
            if resp.error is not None:
                break
            made += 1
        assert made == 12  # 14 usable addresses, two held by kubernetes and kube-dns
        assert resp.code == 500
        assert resp.error.message == "Internal error occurred: failed to allocate a serviceIP: range is full"
    finally:
        c.close()


@pytest.mark.parametrize("ports,msg", [
    ([{"port": 70000}], "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ([{"port": 80, "targetPort": 0x10000}], "spec.ports[0].targetPort: Invalid value: 65536: must be between 1 and 65535, inclusive"),
])
def test_ports_out_of_range_are_refused(client, ports, msg):
    resp = client.create(service("bad", ports=ports, selector={"app": "x"}))
    assert resp.code == 422 and msg in resp.error.message


def test_an_invalid_external_name_is_refused(client):
    resp = client.create(service("bad", type_="ExternalName", externalName="hub_hongfu.com"))
    assert resp.code == 422
    assert resp.error.message.startswith('Service "bad" is invalid: spec.externalName: Invalid value: "hub_hongfu.com": '
                                         "a lowercase RFC 1123 subdomain must consist of")
    resp = client.create(service("bad", type_="ExternalName"))
    assert resp.error.message == 'Service "bad" is invalid: spec.externalName: Required value'


def test_nodeport_cannot_be_headless(client):
    resp = client.create(service("bad", ports=HTTP, type_="NodePort", clusterIP="None"))
    assert resp.error.message == ('Service "bad" is invalid: spec.clusterIPs[0]: Invalid value: "None": '
                                  "may not be set to 'None' for NodePort services")
