"""The request path and storage semantics through the Python API (both stores)."""

import pytest

from engine.client import Client, must
from engine.records import Admitted, Conflicted, Denied
from tests.engine.conftest import START, configmap, deployment


def test_create_fills_server_fields_and_defaults(client):
    d = must(client.create(deployment()))
    meta = d["metadata"]
    assert meta["namespace"] == "default" and meta["generation"] == 1
    assert meta["creationTimestamp"] == "2026-01-01T00:00:00Z"
    assert meta["resourceVersion"] == str(client.cluster.head().seq)
    assert len(meta["uid"]) == 36 and meta["uid"][14] == "4"
    assert d["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert d["spec"]["revisionHistoryLimit"] == 10 and d["spec"]["progressDeadlineSeconds"] == 600
    assert d["status"] == {}


def test_get_returns_what_create_stored_and_is_recorded(client):
    created = must(client.create(deployment()))
    before = client.cluster.head().seq
    got = client.get("deploy", "nginx-deploy")
    assert got.obj == created
    assert got.entry.seq == before + 1 and got.entry.request.verb == "get"
    assert client.cluster.head().seq == before + 1


def test_not_found_is_upstream_text_and_recorded_as_denied(client):
    resp = client.get("deployments.apps", "web")
    assert resp.error.code == 404
    assert resp.error.message == 'deployments.apps "web" not found'
    assert resp.error.kubectl_text() == 'Error from server (NotFound): deployments.apps "web" not found'
    assert isinstance(resp.entry.outcome, Denied) and resp.entry.outcome.stage == "storage"


def test_already_exists(client):
    must(client.create(configmap("c")))
    resp = client.create(configmap("c"))
    assert resp.error.code == 409 and resp.error.message == 'configmaps "c" already exists'


def test_generate_name_is_derived_from_the_log(client):
    a = must(client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "web-"}}))
    b = must(client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "web-"}}))
    for obj in (a, b):
        suffix = obj["metadata"]["name"][len("web-"):]
        assert len(suffix) == 5 and set(suffix) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert a["metadata"]["name"] != b["metadata"]["name"]


def test_update_with_stale_resource_version_conflicts(client):
    cm = must(client.create(configmap("c", {"a": "1"})))
    must(client.patch("cm", "c", {"data": {"a": "2"}}))
    cm["data"]["a"] = "3"
    resp = client.update(cm)
    assert resp.error.code == 409
    assert resp.error.message == ('Operation cannot be fulfilled on configmaps "c": the object has been modified; '
                                  "please apply your changes to the latest version and try again")
    assert isinstance(resp.entry.outcome, Conflicted)
    assert must(client.get("cm", "c"))["data"]["a"] == "2"


def test_generation_bumps_only_on_spec_change(client):
    must(client.create(deployment()))
    d = must(client.patch("deploy", "nginx-deploy", {"metadata": {"labels": {"tier": "web"}}}, patch_type="merge"))
    assert d["metadata"]["generation"] == 1
    d = must(client.scale("deploy", "nginx-deploy", 3))
    assert d["spec"]["replicas"] == 3
    assert must(client.get("deploy", "nginx-deploy"))["metadata"]["generation"] == 2


def test_noop_patch_keeps_resource_version(client):
    cm = must(client.create(configmap("c", {"a": "1"})))
    again = must(client.patch("cm", "c", {"data": {"a": "1"}}, patch_type="merge"))
    assert again["metadata"]["resourceVersion"] == cm["metadata"]["resourceVersion"]


def test_status_is_ignored_on_main_resource_and_set_by_subresource(client):
    must(client.create(deployment()))
    must(client.patch("deploy", "nginx-deploy", {"status": {"replicas": 5}}, patch_type="merge"))
    assert must(client.get("deploy", "nginx-deploy"))["status"] == {}
    must(client.patch("deploy", "nginx-deploy", {"status": {"replicas": 5}}, patch_type="merge", subresource="status"))
    d = must(client.get("deploy", "nginx-deploy"))
    assert d["status"] == {"replicas": 5} and d["metadata"]["generation"] == 1


def test_three_patch_types(client):
    must(client.create(deployment()))
    must(client.patch("deploy", "nginx-deploy", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "wangyanglinux/myapp:v2"}]}}}}))
    must(client.patch("deploy", "nginx-deploy", {"metadata": {"annotations": {"a": "b"}}}, patch_type="merge"))
    d = must(client.patch("deploy", "nginx-deploy", [{"op": "add", "path": "/spec/minReadySeconds", "value": 5}], patch_type="json"))
    c = d["spec"]["template"]["spec"]["containers"]
    assert len(c) == 1 and c[0]["image"] == "wangyanglinux/myapp:v2" and c[0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert d["metadata"]["annotations"] == {"a": "b"} and d["spec"]["minReadySeconds"] == 5


def test_invalid_patch_is_refused_and_changes_nothing(client):
    before = must(client.create(configmap("c", {"a": "1"})))
    resp = client.patch("cm", "c", {"op": "add"}, patch_type="json")
    assert resp.error is not None and resp.error.code in (400, 422)
    assert must(client.get("cm", "c")) == before


def test_label_selectors_on_list(client):
    for name, labels in (("a", {"app": "web", "tier": "fe"}), ("b", {"app": "web"}), ("c", {"app": "db"})):
        must(client.create(configmap(name, labels=labels)))
    names = lambda sel: [o["metadata"]["name"] for o in must(client.list("cm", label_selector=sel))["items"]]  # noqa: E731
    assert names("app=web") == ["a", "b"]
    assert names("app in (web,db),!tier") == ["b", "c"]
    assert names("app!=web") == ["c"]
    assert [o["metadata"]["name"] for o in must(client.list("cm", field_selector="metadata.name=c"))["items"]] == ["c"]
    bad = client.list("cm", label_selector="app in web")
    assert bad.error is not None and bad.error.code == 400


def test_validation_errors_use_upstream_text(client):
    resp = client.create(deployment(name="Web_1"))
    assert resp.error.code == 422
    assert 'The Deployment "Web_1" is invalid: metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain' in resp.error.kubectl_text()
    d = deployment()
    d["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    resp = client.create(d)
    assert resp.error.kubectl_text() == ('The Deployment "nginx-deploy" is invalid: spec.template.metadata.labels: Invalid value: '
                                         'map[string]string{"app":"other"}: `selector` does not match template `labels`')
    d = deployment()
    d["spec"]["replicas"] = -1
    assert "spec.replicas: Invalid value: -1: must be greater than or equal to 0" in client.create(d).error.kubectl_text()


def test_dry_run_decides_but_changes_nothing(client):
    resp = client.create(configmap("c"), dry_run=True)
    assert resp.ok and resp.obj["metadata"]["name"] == "c"
    assert resp.entry.request.dry_run and not resp.entry.changed
    assert client.get("cm", "c").error.code == 404


def test_missing_and_terminating_namespaces(client):
    resp = client.create(configmap("c"), namespace="nope")
    assert resp.error.code == 404 and resp.error.message == 'namespaces "nope" not found'
    resp = client.delete("ns", "default", "")
    assert resp.error.code == 403 and resp.error.message == 'namespaces "default" is forbidden: this namespace may not be deleted'
    must(client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}}))
    must(client.create({**configmap("hold"), "metadata": {"name": "hold", "finalizers": ["example.com/hold"]}}, namespace="doomed"))
    must(client.delete("ns", "doomed", ""))
    ns = must(client.get("ns", "doomed", ""))
    assert ns["status"]["phase"] == "Terminating"
    resp = client.create(configmap("late"), namespace="doomed")
    assert resp.error.code == 403
    assert resp.error.message == ('configmaps "late" is forbidden: unable to create new content in namespace doomed '
                                  "because it is being terminated")
    must(client.patch("cm", "hold", {"metadata": {"finalizers": None}}, namespace="doomed", patch_type="merge"))
    assert client.get("ns", "doomed", "").error.code == 404


def test_delete_namespace_deletes_its_content_through_the_controller(client):
    must(client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tmp"}}))
    must(client.create(configmap("a"), namespace="tmp"))
    must(client.create(deployment(), namespace="tmp"))
    must(client.delete("ns", "tmp", ""))
    assert client.get("ns", "tmp", "").error.code == 404
    assert must(client.list("cm", "tmp"))["items"] == []
    with client.cluster.store.begin() as txn:
        from engine.log import eventlog

        users = {e.request.user for e in eventlog.scan_entries(txn) if e.request.verb == "delete" and e.request.namespace == "tmp"}
    assert "system:serviceaccount:kube-system:namespace-controller" in users


def _owned(client, name, owner):
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"]}
    return must(client.create(configmap(name, ownerReferences=[ref])))


def test_propagation_background_foreground_orphan(client):
    owner = must(client.create(configmap("owner")))
    _owned(client, "dep", owner)
    must(client.delete("cm", "owner"))
    assert client.get("cm", "dep").error.code == 404  # background: the garbage collector deleted it

    owner = must(client.create(configmap("owner")))
    _owned(client, "dep", owner)
    resp = must(client.delete("cm", "owner", propagation="Foreground"))
    assert "foregroundDeletion" in resp["metadata"]["finalizers"] and resp["metadata"]["deletionTimestamp"]
    assert client.get("cm", "owner").error.code == 404 and client.get("cm", "dep").error.code == 404

    owner = must(client.create(configmap("owner")))
    _owned(client, "dep", owner)
    must(client.delete("cm", "owner", propagation="Orphan"))
    assert client.get("cm", "owner").error.code == 404
    dep = must(client.get("cm", "dep"))
    assert "ownerReferences" not in dep["metadata"]


def test_always_deny_and_impersonation(cluster):
    from engine.pipeline.identity import UserInfo

    admin = Client(cluster)
    must(admin.patch("clusters", "cluster", {"spec": {"authorization": {"modes": ["AlwaysDeny"]}}}, namespace="", patch_type="merge"))
    ops = Client(cluster, UserInfo("ops", ("system:authenticated",)))
    resp = Client(cluster, UserInfo("ops", ("system:authenticated",)), as_user="jane").list("secrets", "default")
    assert resp.error.code == 403
    assert resp.error.message.startswith('users "jane" is forbidden: User "ops" cannot impersonate resource "users"')
    resp = ops.list("secrets", "default")
    assert resp.error.kubectl_text() == ('Error from server (Forbidden): secrets is forbidden: User "ops" cannot list '
                                         'resource "secrets" in API group "" in the namespace "default": Everything is forbidden.')
    assert isinstance(resp.entry.outcome, Denied) and resp.entry.outcome.stage == "authorization"
    # system:masters is authorized before any mode (upstream's privileged-group authorizer)
    assert admin.list("secrets", "default").ok


def test_impersonation_is_recorded(client):
    c = Client(client.cluster, as_user="jane", as_groups=("dev",))
    resp = c.get("cm", "x")
    r = resp.entry.request
    assert (r.user, r.impersonator) == ("jane", "kubernetes-admin") and "dev" in r.groups


def test_time_travel_get_and_list(client):
    must(client.create(configmap("c", {"v": "1"})))
    s1 = client.cluster.head().seq
    for i in range(2, 40):
        must(client.patch("cm", "c", {"data": {"v": str(i)}}, patch_type="merge"))
        if i == 20:
            s20 = client.cluster.head().seq
    must(client.delete("cm", "c"))
    assert must(client.get("cm", "c", at=s1))["data"]["v"] == "1"
    assert must(client.get("cm", "c", at=s20))["data"]["v"] == "20"
    assert client.get("cm", "c").error.code == 404
    assert [o["metadata"]["name"] for o in must(client.list("cm", at=s20))["items"]] == ["c"]
    assert client.get("cm", "c", at=10**9).error.code == 400


def test_clock_moves_only_forward(cluster):
    head = cluster.head()
    assert head.at == START
    cluster.advance(90_000_000)
    assert cluster.head().at == START + 90_000_000
    with pytest.raises(ValueError):
        cluster.advance(-1)


def test_every_admitted_write_records_its_object_digest(client):
    from engine.codec import object_digest

    d = must(client.create(deployment()))
    resp = client.scale("deploy", "nginx-deploy", 2)
    assert isinstance(resp.entry.outcome, Admitted)
    assert resp.entry.outcome.digest == object_digest(must(client.get("deploy", "nginx-deploy")))
    assert d["metadata"]["uid"] == resp.obj["metadata"]["uid"]


def test_verify_passes_after_a_session(client):
    from engine.log.verify import verify

    must(client.create(deployment()))
    owner = must(client.create(configmap("owner")))
    _owned(client, "dep", owner)
    must(client.delete("cm", "owner", propagation="Foreground"))
    client.get("cm", "missing")
    with client.cluster.store.begin() as txn:
        report = verify(txn)
    assert report.ok, report.problems
