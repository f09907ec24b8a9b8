"""The Endpoints and EndpointSlice controllers against upstream's shapes, in a full cluster."""

from engine.controllers.endpoints.endpoints import repack
from engine.controllers.endpoints.pods import find_port
from tests.services.conftest import SECOND, deployment, get, items, ok, service

LABELS = {"app": "myapp", "release": "stabel"}
HTTP = [{"name": "http", "containerPort": 80}]


def _ips(addrs):
    return sorted(a["ip"] for a in addrs or ())


def _pods(cluster):
    return {p["metadata"]["name"]: p for p in items(cluster, "", "pods")}


def test_ready_pods_are_addresses_with_targetref_and_node(client, cluster):
    ok(client.create(deployment("myapp", 3, LABELS, ports=HTTP)))
    ok(client.create(service("myapp", ports=[{"name": "http", "port": 80, "targetPort": 80}], selector=LABELS)))
    cluster.advance(5 * SECOND)
    ep = get(cluster, "", "endpoints", "myapp")
    pods = _pods(cluster)
    assert len(ep["subsets"]) == 1
    sub = ep["subsets"][0]
    assert _ips(sub["addresses"]) == sorted(p["status"]["podIP"] for p in pods.values())
    assert "notReadyAddresses" not in sub
    assert sub["ports"] == [{"name": "http", "port": 80, "protocol": "TCP"}]
    for a in sub["addresses"]:
        pod = pods[a["targetRef"]["name"]]
        assert a["targetRef"] == {"kind": "Pod", "namespace": "default", "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}
        assert a["nodeName"] == pod["spec"]["nodeName"]
    assert [a["ip"] for a in sub["addresses"]] == sorted((a["ip"] for a in sub["addresses"]), key=str.encode)
    assert ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"].startswith("2026-01-01T00:00:0")


def test_unready_pods_are_not_ready_addresses_until_their_probe_passes(client, cluster):
    probe = {"httpGet": {"port": 80, "path": "/"}, "initialDelaySeconds": 10, "periodSeconds": 3}
    ok(client.create(deployment("myapp", 2, LABELS, ports=HTTP, readiness=probe)))
    ok(client.create(service("myapp", ports=[{"port": 80}], selector=LABELS)))
    cluster.advance(3 * SECOND)
    sub = get(cluster, "", "endpoints", "myapp")["subsets"][0]
    assert "addresses" not in sub and len(sub["notReadyAddresses"]) == 2
    slices = items(cluster, "discovery.k8s.io", "endpointslices")
    mine = [s for s in slices if s["metadata"]["labels"].get("kubernetes.io/service-name") == "myapp"]
    assert [e["conditions"] for e in mine[0]["endpoints"]] == [{"ready": False, "serving": False, "terminating": False}] * 2
    cluster.advance(15 * SECOND)
    sub = get(cluster, "", "endpoints", "myapp")["subsets"][0]
    assert len(sub["addresses"]) == 2 and "notReadyAddresses" not in sub


def test_named_target_ports_resolve_per_pod(client, cluster):
    ok(client.create(deployment("myapp", 1, LABELS, ports=[{"name": "web", "containerPort": 8080}])))
    ok(client.create(service("myapp", ports=[{"name": "http", "port": 80, "targetPort": "web"}], selector=LABELS)))
    cluster.advance(5 * SECOND)
    sub = get(cluster, "", "endpoints", "myapp")["subsets"][0]
    assert sub["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    s = next(s for s in items(cluster, "discovery.k8s.io", "endpointslices") if s["metadata"]["name"].startswith("myapp-"))
    assert s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_find_port_matches_name_and_protocol():
    pod = {"spec": {"containers": [{"ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                              {"name": "dns", "containerPort": 5353, "protocol": "TCP"}]}]}}
    assert find_port(pod, {"targetPort": "dns", "protocol": "TCP"}) == 5353
    assert find_port(pod, {"targetPort": "dns", "protocol": "UDP"}) == 53
    assert find_port(pod, {"targetPort": "web", "protocol": "TCP"}) is None
    assert find_port(pod, {"port": 80, "targetPort": 9376}) == 9376


def test_pods_come_and_go(client, cluster):
    ok(client.create(deployment("myapp", 2, LABELS, ports=HTTP)))
    ok(client.create(service("myapp", ports=[{"port": 80}], selector=LABELS)))
    cluster.advance(5 * SECOND)
    assert len(get(cluster, "", "endpoints", "myapp")["subsets"][0]["addresses"]) == 2
    ok(client.patch("deploy", "myapp", {"spec": {"replicas": 4}}))
    cluster.advance(5 * SECOND)
    assert len(get(cluster, "", "endpoints", "myapp")["subsets"][0]["addresses"]) == 4
    ok(client.patch("deploy", "myapp", {"spec": {"replicas": 0}}))
    cluster.advance(5 * SECOND)
    ep = get(cluster, "", "endpoints", "myapp")
    assert "subsets" not in ep
    slices = [s for s in items(cluster, "discovery.k8s.io", "endpointslices") if s["metadata"]["name"].startswith("myapp-")]
    assert len(slices) == 1 and slices[0]["endpoints"] is None and slices[0]["ports"] is None  # the placeholder


def test_a_relabelled_pod_leaves_the_endpoints(client, cluster):
    ok(client.create(deployment("myapp", 2, LABELS, ports=HTTP)))
    ok(client.create(service("myapp", ports=[{"port": 80}], selector={"app": "myapp", "tier": "web"})))
    cluster.advance(5 * SECOND)
    name = sorted(_pods(cluster))[0]
    ok(client.patch("pods", name, {"metadata": {"labels": {"tier": "web"}}}))
    assert [a["targetRef"]["name"] for a in get(cluster, "", "endpoints", "myapp")["subsets"][0]["addresses"]] == [name]
    ok(client.patch("pods", name, {"metadata": {"labels": {"tier": None}}}))
    assert "subsets" not in get(cluster, "", "endpoints", "myapp")


def test_selectorless_and_externalname_services_get_no_endpoints(client, cluster):
    ok(client.create(service("manual", ports=[{"port": 80}])))
    ok(client.create(service("ext", type_="ExternalName", externalName="hub.hongfu.com")))
    assert get(cluster, "", "endpoints", "manual") is None
    assert get(cluster, "", "endpoints", "ext") is None
    assert not [s for s in items(cluster, "discovery.k8s.io", "endpointslices") if s["metadata"]["name"] != "kubernetes"]


def test_slices_are_owned_labelled_and_go_with_their_service(client, cluster):
    ok(client.create(deployment("myapp", 1, LABELS, ports=HTTP)))
    svc = ok(client.create(service("myapp", ports=[{"port": 80}], selector=LABELS, clusterIP="None"))).obj
    cluster.advance(5 * SECOND)
    s = next(s for s in items(cluster, "discovery.k8s.io", "endpointslices") if s["metadata"]["name"].startswith("myapp-"))
    assert s["metadata"]["labels"] == {"kubernetes.io/service-name": "myapp", "service.kubernetes.io/headless": "",
                                       "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    assert s["metadata"]["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "myapp",
                                                 "uid": svc["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    assert s["addressType"] == "IPv4"
    assert get(cluster, "", "endpoints", "myapp")["metadata"]["labels"] == {"service.kubernetes.io/headless": ""}
    ok(client.delete("svc", "myapp"))
    assert get(cluster, "", "endpoints", "myapp") is None
    assert not [s for s in items(cluster, "discovery.k8s.io", "endpointslices") if s["metadata"]["name"].startswith("myapp-")]


def test_endpoint_writers_are_the_controllers(client, cluster):
    ok(client.create(deployment("myapp", 1, LABELS, ports=HTTP)))
    ok(client.create(service("myapp", ports=[{"port": 80}], selector=LABELS)))
    from engine.log import eventlog

    with cluster.store.begin() as txn:
        users = {(e.request.resource, e.request.user) for e in eventlog.scan_entries(txn)
                 if e.request.resource in ("endpoints", "endpointslices") and e.request.namespace == "default"
                 and e.request.verb == "create" and e.request.user != "system:apiserver"}
    assert users == {("endpoints", "system:serviceaccount:kube-system:endpoint-controller"),
                     ("endpointslices", "system:serviceaccount:kube-system:endpointslice-controller")}


def test_repack_groups_addresses_offering_the_same_ports():
    a = {"ip": "10.0.0.2", "targetRef": {"uid": "a"}}
    b = {"ip": "10.0.0.1", "targetRef": {"uid": "b"}}
    http = {"name": "http", "port": 80, "protocol": "TCP"}
    metrics = {"name": "metrics", "port": 9090, "protocol": "TCP"}
    subsets = repack([(a, True, http), (a, True, metrics), (b, False, http), (b, False, metrics)])
    assert subsets == [{"addresses": [a], "notReadyAddresses": [b], "ports": [http, metrics]}]
    subsets = repack([(a, True, http), (b, True, metrics)])
    assert subsets == [{"addresses": [b], "ports": [metrics]}, {"addresses": [a], "ports": [http]}]


def test_manual_endpoints_of_a_selectorless_service_are_mirrored_into_slices(client, cluster):
    ok(client.create(service("db", ports=[{"name": "pg", "port": 5432}])))
    ep = ok(client.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "db", "labels": {"team": "data"}},
                           "subsets": [{"addresses": [{"ip": "192.168.10.5"}], "notReadyAddresses": [{"ip": "192.168.10.6"}],
                                        "ports": [{"name": "pg", "port": 5432}]}]})).obj
    slices = [s for s in items(cluster, "discovery.k8s.io", "endpointslices") if s["metadata"]["name"].startswith("db-")]
    assert len(slices) == 1
    s = slices[0]
    assert s["metadata"]["labels"] == {"team": "data", "kubernetes.io/service-name": "db",
                                       "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io"}
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Endpoints" and s["metadata"]["ownerReferences"][0]["uid"] == ep["metadata"]["uid"]
    assert s["endpoints"] == [{"addresses": ["192.168.10.5"], "conditions": {"ready": True}},
                              {"addresses": ["192.168.10.6"], "conditions": {"ready": False}}]
    assert s["ports"] == [{"name": "pg", "port": 5432, "protocol": "TCP"}]
    resp = client.request("get", "services", "default", "db", subresource="proxy", params={"node": "k8s-master"})
    assert resp.entry.outcome.decided["backend"]["ip"] == "192.168.10.5"
    ok(client.patch("svc", "db", {"spec": {"selector": {"app": "db"}}}))
    assert not [s for s in items(cluster, "discovery.k8s.io", "endpointslices")
                if s["metadata"]["labels"].get("endpointslice.kubernetes.io/managed-by") == "endpointslicemirroring-controller.k8s.io"]


def test_the_apiservers_kubernetes_endpoints_are_not_mirrored(cluster):
    names = sorted(s["metadata"]["name"] for s in items(cluster, "discovery.k8s.io", "endpointslices"))
    assert names == ["kubernetes"]


def test_load_balancers_get_distinct_ingress_ips_and_lose_them_on_downgrade(client, cluster):
    ok(client.create(service("a", ports=[{"port": 80}], type_="LoadBalancer")))
    ok(client.create(service("b", ports=[{"port": 80}], type_="LoadBalancer", loadBalancerIP="172.18.255.210")))
    ok(client.create(service("c", ports=[{"port": 80}], type_="LoadBalancer")))
    ingress = {n: get(cluster, "", "services", n)["status"]["loadBalancer"]["ingress"] for n in "abc"}
    assert ingress == {"a": [{"ip": "172.18.255.200", "ipMode": "VIP"}], "b": [{"ip": "172.18.255.210", "ipMode": "VIP"}],
                       "c": [{"ip": "172.18.255.201", "ipMode": "VIP"}]}
    a = get(cluster, "", "services", "a")
    assert 30000 <= a["spec"]["ports"][0]["nodePort"] <= 32767 and a["spec"]["allocateLoadBalancerNodePorts"] is True
    ok(client.patch("svc", "a", {"spec": {"type": "ClusterIP"}}))
    a = get(cluster, "", "services", "a")
    assert a["status"] == {"loadBalancer": {}} and "nodePort" not in a["spec"]["ports"][0]
    assert "allocateLoadBalancerNodePorts" not in a["spec"]
    ok(client.create(service("d", ports=[{"port": 80}], type_="LoadBalancer")))
    assert get(cluster, "", "services", "d")["status"]["loadBalancer"]["ingress"][0]["ip"] == "172.18.255.200"
