"""The DNS projection answers as CoreDNS's kubernetes plugin (k8s-semantics.md section 13 vectors)."""

import pytest

from projections import dns
from projections.netstate import StateReader
from tests.services.conftest import SECOND, deployment, ok, service

LABELS = {"app": "myapp"}


def _resolve(cluster, name, qtype="A", namespace="default"):
    with cluster.store.begin() as txn:
        return dns.resolve(StateReader(txn), name, qtype, dns.search_path(namespace))


def _data(ans, rtype="A"):
    return [r.data for r in ans.records if r.type == rtype]


@pytest.fixture
def shop(client, cluster):
    ok(client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}))
    ok(client.create(deployment("web", 2, LABELS, ports=[{"name": "http", "containerPort": 80}]), namespace="shop"))
    ok(client.create(service("web", ports=[{"name": "http", "port": 80, "protocol": "TCP"}], selector=LABELS), namespace="shop"))
    ok(client.create(service("web-hl", ports=[{"name": "http", "port": 80}], selector=LABELS, clusterIP="None"), namespace="shop"))
    ok(client.create(service("ext", type_="ExternalName", externalName="hub.hongfu.com"), namespace="shop"))
    cluster.advance(5 * SECOND)
    return cluster


def test_service_a_record(shop, client):
    ip = ok(client.get("svc", "web", "shop")).obj["spec"]["clusterIP"]
    ans = _resolve(shop, "web.shop.svc.cluster.local.")
    assert ans.status == "NOERROR" and _data(ans) == [ip]
    assert ans.records[0].name == "web.shop.svc.cluster.local."


def test_search_path_from_the_pod_namespace(shop, client):
    ip = ok(client.get("svc", "web", "shop")).obj["spec"]["clusterIP"]
    assert _data(_resolve(shop, "web", namespace="shop")) == [ip]
    assert _data(_resolve(shop, "web.shop", namespace="default")) == [ip]
    assert _resolve(shop, "web", namespace="default").status == "NXDOMAIN"
    assert dns.search_path("shop") == ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local"]
    assert _resolve(shop, "web", namespace="shop").tried == ("web.shop.svc.cluster.local.",)


def test_headless_answers_every_ready_pod(shop, client):
    pods = sorted(p["status"]["podIP"] for p in ok(client.list("pods", "shop")).obj["items"])
    ans = _resolve(shop, "web-hl.shop.svc.cluster.local.")
    assert sorted(_data(ans)) == pods and len(pods) == 2


def test_srv_for_a_named_port(shop):
    ans = _resolve(shop, "_http._tcp.web.shop.svc.cluster.local.", "SRV")
    assert _data(ans, "SRV") == ["0 100 80 web.shop.svc.cluster.local."]
    ans = _resolve(shop, "_http._tcp.web-hl.shop.svc.cluster.local.", "SRV")
    targets = [d.split()[3] for d in _data(ans, "SRV")]
    assert len(targets) == 2 and all(t.endswith(".web-hl.shop.svc.cluster.local.") for t in targets)
    assert all(d.startswith("0 50 80 ") for d in _data(ans, "SRV"))
    assert _resolve(shop, "_nope._tcp.web.shop.svc.cluster.local.", "SRV").status == "NXDOMAIN"


def test_headless_endpoint_names_are_dashed_ips(shop, client):
    ip = ok(client.list("pods", "shop")).obj["items"][0]["status"]["podIP"]
    ans = _resolve(shop, f"{ip.replace('.', '-')}.web-hl.shop.svc.cluster.local.")
    assert _data(ans) == [ip]


def test_externalname_is_a_cname(shop):
    ans = _resolve(shop, "ext.shop.svc.cluster.local.", "CNAME")
    assert _data(ans, "CNAME") == ["hub.hongfu.com."]
    assert _data(_resolve(shop, "ext", namespace="shop"), "CNAME") == ["hub.hongfu.com."]


def test_pod_records(shop):
    assert _data(_resolve(shop, "172-17-0-3.default.pod.cluster.local.")) == ["172.17.0.3"]


def test_unknown_names_are_nxdomain(shop):
    for name in ("nope.shop.svc.cluster.local.", "web.nowhere.svc.cluster.local.", "a.b.c.d.e.svc.cluster.local.", "example.com."):
        assert _resolve(shop, name).status == "NXDOMAIN", name


def test_statefulset_pods_have_stable_names(client, cluster):
    ok(client.create(service("db-hl", ports=[{"name": "pg", "port": 5432}], selector={"app": "db"}, clusterIP="None")))
    ok(client.create({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                      "spec": {"serviceName": "db-hl", "replicas": 3, "selector": {"matchLabels": {"app": "db"}},
                               "template": {"metadata": {"labels": {"app": "db"}},
                                            "spec": {"containers": [{"name": "pg", "image": "postgres"}]}}}}))
    cluster.advance(20 * SECOND)
    pod = ok(client.get("pods", "db-2")).obj
    ans = _resolve(cluster, "db-2.db-hl.default.svc.cluster.local.")
    assert _data(ans) == [pod["status"]["podIP"]]
    srv = _data(_resolve(cluster, "_pg._tcp.db-hl", "SRV"), "SRV")
    assert sorted(d.split()[3] for d in srv) == [f"db-{i}.db-hl.default.svc.cluster.local." for i in range(3)]


def test_candidates_follow_ndots_and_absolute_names():
    search = dns.search_path("prod")
    assert dns.candidates("web", search)[0] == "web.prod.svc.cluster.local."
    assert dns.candidates("web", search)[-1] == "web."
    assert dns.candidates("web.", search) == ["web."]
    assert dns.candidates("a.b.c.d.e.f", search)[0] == "a.b.c.d.e.f."
