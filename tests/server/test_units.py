"""In-process checks of the server's pure parts (no sockets): paths, discovery, authentication,
watch event classification, Table negotiation, version conversion."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest

from engine.errors import StatusError
from engine.pki import CA
from engine.server import discovery
from engine.server.app import resolve_target
from engine.server.authn import Authenticator, Credentials, identity_for
from engine.server.convert import hpa_v2_to_v1
from engine.server.tables import to_table, wants_table
from engine.server.tls import request_any_client_cert, server_context
from engine.server.watch import classify

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def target(path: str):
    parts = [p for p in path.split("/") if p]
    if parts[0] == "api":
        return resolve_target("", parts[1], parts[2:])
    return resolve_target(parts[1], parts[2], parts[3:])


def test_paths():
    t = target("/api/v1/namespaces/default/pods/web/status")
    assert (t.rt.plural, t.namespace, t.name, t.subresource) == ("pods", "default", "web", "status")
    t = target("/api/v1/namespaces/dev")
    assert (t.rt.plural, t.namespace, t.name) == ("namespaces", "", "dev")
    t = target("/api/v1/namespaces/dev/status")
    assert (t.rt.plural, t.name, t.subresource) == ("namespaces", "dev", "status")
    t = target("/apis/apps/v1/deployments")
    assert (t.rt.plural, t.namespace, t.name) == ("deployments", "", "")
    t = target("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers")
    assert t.rt.kind == "HorizontalPodAutoscaler" and t.version == "v1"
    for bad in ("/api/v1/namespaces/default/widgets", "/api/v1/namespaces/default/nodes", "/apis/apps/v2/deployments",
                "/api/v1/namespaces/default/pods/web/nope", "/apis/batch/v1/namespaces/default/deployments"):
        with pytest.raises(StatusError) as e:
            target(bad)
        assert e.value.code == 404


def test_discovery_documents():
    core = {r["name"]: r for r in discovery.resource_list("", "v1")["resources"]}
    assert core["pods"]["shortNames"] == ["po"] and core["pods"]["categories"] == ["all"]
    assert core["pods/log"]["kind"] == "Pod" and core["pods/eviction"]["group"] == "policy"
    assert "categories" not in core["configmaps"] and core["namespaces"]["namespaced"] is False
    hpa_v1 = discovery.resource_list("autoscaling", "v1")["resources"]
    assert [r["name"] for r in hpa_v1] == ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]
    names = {g["name"] for g in discovery.api_group_list()["groups"]}
    assert {"apps", "batch", "autoscaling", "rbac.authorization.k8s.io"} <= names and "" not in names
    root = discovery.openapi_root()["paths"]
    assert "api/v1" in root and "apis/autoscaling/v1" in root


def test_authenticator(tmp_path):
    ca = CA.create()
    tokens = tmp_path / "tokens.csv"
    tokens.write_text('abc,alice,u1,"devs,qa"\n')
    a = Authenticator(ca, tokens)
    assert a.authenticate(Credentials(bearer="abc"), NOW).groups == ("devs", "qa", "system:authenticated")
    with pytest.raises(StatusError) as e:
        a.authenticate(Credentials(bearer="nope"), NOW)
    assert (e.value.code, e.value.message) == (401, "Unauthorized")
    with pytest.raises(StatusError):
        a.authenticate(Credentials(), NOW)  # anonymous is off under AlwaysAllow
    assert Authenticator(ca, tokens, anonymous=True).authenticate(Credentials(), NOW).name == "system:anonymous"
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    leaf = ca.issue("bob", ("ops",), not_before=NOW - dt.timedelta(days=1))
    der = x509.load_pem_x509_certificate(leaf.cert_pem).public_bytes(Encoding.DER)
    user = a.authenticate(Credentials(client_cert_der=der), NOW)
    assert (user.name, user.groups) == ("bob", ("ops", "system:authenticated"))
    with pytest.raises(StatusError):
        Authenticator(CA.create(), tokens).authenticate(Credentials(client_cert_der=der), NOW)
    creds = Credentials(impersonate_user="jane", impersonate_groups=("devs",))
    assert identity_for(user, creds) == ("jane", ("devs", "system:authenticated"), "bob")
    assert identity_for(user, Credentials()) == ("bob", ("ops", "system:authenticated"), "")


def test_handshake_accepts_any_client_certificate():
    ctx = server_context(CA.create(), "127.0.0.1")
    assert ctx.verify_mode == ssl.CERT_OPTIONAL
    assert request_any_client_cert(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)) is False  # verify mode not PEER: untouched


def test_watch_classification():
    def m(o):
        return (o.get("metadata") or {}).get("labels", {}).get("a") == "1"

    a1 = {"metadata": {"name": "x", "labels": {"a": "1"}, "resourceVersion": "5"}}
    a2 = {"metadata": {"name": "x", "labels": {"a": "2"}, "resourceVersion": "6"}}
    assert classify(None, a1, 5, m) == ("ADDED", a1)
    assert classify(a1, a1, 6, m)[0] == "MODIFIED"
    assert classify(a1, a2, 6, m) == ("DELETED", a2)
    assert classify(a2, a1, 7, m) == ("ADDED", a1)
    etype, gone = classify(a1, None, 9, m)
    assert etype == "DELETED" and gone["metadata"]["resourceVersion"] == "9" and a1["metadata"]["resourceVersion"] == "5"
    assert classify(a2, None, 9, m) is None


def test_table_negotiation_and_rows():
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
    assert wants_table(accept) == "meta.k8s.io/v1"
    assert wants_table("application/json;as=Table;v=v1beta1;g=meta.k8s.io") == "meta.k8s.io/v1beta1"
    assert wants_table("application/json, */*") is None
    from engine.registry import BY_KIND

    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "creationTimestamp": "2026-01-01T00:00:00Z"},
          "data": {"a": "b"}}
    t = to_table(BY_KIND["ConfigMap"], [cm], NOW.timestamp() + 90, resource_version="7")
    assert t["rows"][0]["cells"] == ["c", 1, "90s"] and t["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert to_table(BY_KIND["ConfigMap"], [cm], 0, include="None")["rows"][0].keys() == {"cells"}


def test_hpa_served_as_v1():
    v2 = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
          "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}, "minReplicas": 2,
                   "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                       "type": "Utilization", "averageUtilization": 80}}}]},
          "status": {"currentReplicas": 2, "desiredReplicas": 2, "currentMetrics": [{"type": "Resource", "resource": {
              "name": "cpu", "current": {"averageUtilization": 40}}}]}}
    v1 = hpa_v2_to_v1(v2)
    assert v1["apiVersion"] == "autoscaling/v1" and v1["spec"]["targetCPUUtilizationPercentage"] == 80
    assert "metrics" not in v1["spec"] and v1["status"]["currentCPUUtilizationPercentage"] == 40


def test_clock_follows_the_wall_at_a_rate():
    from engine.api import Cluster
    from engine.bootstrap import InitOptions, init
    from engine.server.worker import EngineWorker

    c = Cluster.memory()
    init(c, InitOptions(start_time=1_767_225_600_000_000, nodes=1))
    now = [1000.0]
    w = EngineWorker(c, wall=lambda: now[0], rate=5)
    at0 = c.head().at
    now[0] += 2.3
    assert w._wall_us() == at0 + 11_000_000  # 11.5 virtual seconds, whole seconds only
    w._follow_wall()
    assert c.head().at == at0 + 11_000_000
    real = EngineWorker(c, wall=lambda: 1_767_225_700.7)
    assert real._wall_us() == 1_767_225_700_000_000  # rate 1: the wall clock's current second


def test_only_the_controller_lease_holder_moves_the_clock():
    """On a shared etcd log (engine/server/etcd_follow.py) a server without the lease follows
    the log but writes no clock records; taking the lease re-anchors --clock-rate."""
    from engine.api import Cluster
    from engine.bootstrap import InitOptions, init
    from engine.server.worker import EngineWorker

    class Follower:
        leading = False
        steps = 0

        def step(self):
            self.steps += 1

        def may_tick(self):
            return self.leading

    c = Cluster.memory()
    init(c, InitOptions(start_time=1_767_225_600_000_000, nodes=1))
    f = Follower()
    now = [1000.0]
    w = EngineWorker(c, wall=lambda: now[0], rate=5, follower=f)
    head = c.head()
    now[0] += 3
    w._tick()
    w._follow_wall()
    assert c.head().seq == head.seq and f.steps == 1  # followed, but no clock record
    f.leading = True
    w._follow_wall()
    assert c.head().at == head.at + 15_000_000
