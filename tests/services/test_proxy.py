"""kube-proxy's backend choice: round robin exact, iptables random within tolerance, replayable."""

from engine.client import Client
from engine.log.verify import verify
from projections import kube_proxy
from tests.services.conftest import SECOND, boot, deployment, ok, service


def _canary(cluster):
    client = Client(cluster)
    for version, replicas in (("v1", 3), ("v2", 1)):
        labels = {"app": "myapp", "release": "stabel", "version": version}
        ok(client.create(deployment(f"myapp-deploy-{version}", replicas, labels, image=f"wangyanglinux/myapp:{version}",
                                    ports=[{"name": "http", "containerPort": 80}])))
    ok(client.create(service("myapp", ports=[{"name": "http", "port": 80, "targetPort": 80}],
                             selector={"app": "myapp", "release": "stabel"})))
    cluster.advance(5 * SECOND)
    return client


def _connect(client, n, node="k8s-master"):
    req = client.make("get", "services", "default", "myapp", subresource="proxy", params={"port": "http", "node": node})
    return [ok(r) for r in client.requests([req] * n)]


def _split(responses):
    out = {}
    for r in responses:
        pod = r.entry.outcome.decided["backend"]["pod"]
        version = pod.split("-")[2]
        out[version] = out.get(version, 0) + 1
    return out


def test_round_robin_splits_the_canary_exactly_three_to_one(cluster):
    client = _canary(cluster)
    responses = _connect(client, 400)
    assert _split(responses) == {"v1": 300, "v2": 100}
    assert [r.entry.outcome.decided["rr"] for r in responses] == list(range(400))
    pods = [r.entry.outcome.decided["backend"]["pod"] for r in responses]
    assert pods[:4] == pods[4:8] and len(set(pods[:4])) == 4


def test_each_node_keeps_its_own_cursor(cluster):
    client = _canary(cluster)
    _connect(client, 3, "node1")
    assert _connect(client, 1, "node2")[0].entry.outcome.decided["rr"] == 0
    assert _connect(client, 1, "node1")[0].entry.outcome.decided["rr"] == 3


def test_iptables_mode_is_random_with_a_recorded_seed_within_tolerance():
    cluster = boot(proxy_mode="iptables")
    try:
        client = _canary(cluster)
        responses = _connect(client, 400)
        split = _split(responses)
        assert 70 <= split["v2"] <= 130, split  # expected 100; binomial sd ~8.7, so +-30 is 3.4 sd
        for r in responses:
            d = r.entry.outcome.decided
            assert d["mode"] == "iptables" and "rr" not in d
            assert d["backend"]["ip"] == sorted_backends(cluster)[d["seed"] % 4]
    finally:
        cluster.close()


def sorted_backends(cluster):
    from projections.netstate import StateReader

    with cluster.store.begin() as txn:
        reader = StateReader(txn)
        svc = reader.get("", "services", "default", "myapp")
        return [b.ip for b in kube_proxy.backends(reader, svc, svc["spec"]["ports"][0])]


def test_choices_replay_and_verify(cluster):
    client = _canary(cluster)
    _connect(client, 10)
    with cluster.store.begin() as txn:
        report = verify(txn)
    assert report.ok, report.problems


def test_no_ready_endpoint_is_service_unavailable(cluster):
    client = Client(cluster)
    ok(client.create(service("empty", ports=[{"port": 80}], selector={"app": "none"})))
    resp = client.request("get", "services", "default", "empty", subresource="proxy", params={"node": "k8s-master"})
    assert resp.code == 503 and resp.error.message == 'no endpoints available for service "empty"'


def test_rule_counts_grow_with_services_times_endpoints_for_iptables_only():
    small, big = kube_proxy.what_if(10, 10), kube_proxy.what_if(2000, 10)
    assert big.iptables_rules == 2000 * (2 + 3 * 10) and big.iptables_rules >= 20000  # the seed's "at least 20000"
    assert big.ipvs_virtual_servers == 2000 and big.ipvs_real_servers == 20000
    assert big.iptables_rules / small.iptables_rules == 200


def test_client_ip_affinity_keeps_a_client_on_its_backend(cluster):
    client = _canary(cluster)
    ok(client.patch("svc", "myapp", {"spec": {"sessionAffinity": "ClientIP"}}))

    def from_(who, n):
        req = client.make("get", "services", "default", "myapp", subresource="proxy",
                          params={"port": "http", "node": "k8s-master", "from": who})
        return [ok(r).entry.outcome.decided for r in client.requests([req] * n)]

    a = from_("pod/a", 5)
    assert len({d["backend"]["pod"] for d in a}) == 1 and [d.get("affinity") for d in a[1:]] == ["ClientIP"] * 4
    b = from_("pod/b", 1)
    assert b[0]["backend"]["pod"] != a[0]["backend"]["pod"]  # a new client takes the next round-robin backend
    cluster.advance(10801 * SECOND)
    assert "affinity" not in from_("pod/a", 1)[0]  # the affinity timed out
