"""The HTTP API at the wire: discovery, Status errors with upstream codes, authentication,
watch from old resourceVersions, pagination, deletecollection, Tables, dry-run, the clock."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading

import pytest

from engine.pki import CA
from tests.server.conftest import start_server, stop_server
from tests.server.httpclient import Http

NS = "/api/v1/namespaces/default"


@pytest.fixture(scope="module")
def api(served):
    return Http(served.url, served.kubeconfig)


def cm(name: str, labels: dict | None = None, **data) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}}, "data": data}


def test_discovery_and_health(api):
    code, doc, resp = api.request("GET", "/api")
    assert code == 200 and doc["versions"] == ["v1"] and resp.getheader("Content-Type").startswith("application/json")
    code, doc, _ = api.request("GET", "/apis")
    groups = {g["name"]: g for g in doc["groups"]}
    assert groups["apps"]["preferredVersion"]["groupVersion"] == "apps/v1"
    assert [v["version"] for v in groups["autoscaling"]["versions"]] == ["v2", "v1"]
    code, doc, _ = api.request("GET", "/apis/apps/v1")
    res = {r["name"]: r for r in doc["resources"]}
    assert res["deployments"]["shortNames"] == ["deploy"] and res["deployments"]["categories"] == ["all"]
    assert res["deployments/scale"]["group"] == "autoscaling" and res["deployments/scale"]["kind"] == "Scale"
    code, doc, _ = api.request("GET", "/openapi/v3")
    assert doc["paths"]["apis/apps/v1"]["serverRelativeURL"] == "/openapi/v3/apis/apps/v1"
    code, doc, _ = api.request("GET", "/openapi/v3/apis/apps/v1")
    op = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert op["x-kubernetes-group-version-kind"]["kind"] == "Deployment"
    assert any(p["name"] == "fieldValidation" for p in op["parameters"])
    assert api.request("GET", "/openapi/v2")[0] == 404
    assert api.request("GET", "/healthz")[1] == "ok" and api.request("GET", "/readyz")[0] == 200
    assert api.request("GET", "/version")[1]["major"] == "1"


def test_crud_shapes(api):
    code, obj, _ = api.request("POST", f"{NS}/configmaps", cm("h-a", {"t": "x"}, a="1"))
    assert code == 201 and obj["kind"] == "ConfigMap" and isinstance(obj["metadata"]["resourceVersion"], str)
    assert obj["metadata"]["creationTimestamp"].endswith("Z")
    code, lst, _ = api.request("GET", f"{NS}/configmaps?labelSelector=t%3Dx")
    assert code == 200 and lst["kind"] == "ConfigMapList" and lst["apiVersion"] == "v1"
    assert [o["metadata"]["name"] for o in lst["items"]] == ["h-a"]
    # update with a stale resourceVersion: 409 Conflict with upstream's message
    stale = {**obj, "data": {"a": "2"}, "metadata": {**obj["metadata"], "resourceVersion": "1"}}
    code, st, _ = api.request("PUT", f"{NS}/configmaps/h-a", stale)
    assert code == 409 and st["reason"] == "Conflict"
    assert st["message"].startswith('Operation cannot be fulfilled on configmaps "h-a": the object has been modified')
    # no-op merge patch keeps the resourceVersion
    code, same, _ = api.request("PATCH", f"{NS}/configmaps/h-a", {"data": {"a": "1"}},
                                headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200 and same["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]
    code, st, _ = api.request("POST", f"{NS}/configmaps", cm("h-a"))
    assert code == 409 and st["reason"] == "AlreadyExists" and st["details"] == {"name": "h-a", "group": "", "kind": "configmaps"}


def test_errors_are_status_objects(api):
    code, st, _ = api.request("POST", f"{NS}/configmaps", raw=b"{not json", headers={"Content-Type": "application/json"})
    assert code == 400 and st["kind"] == "Status" and st["reason"] == "BadRequest"
    code, st, _ = api.request("POST", f"{NS}/configmaps", raw=b"x", headers={"Content-Type": "text/plain"})
    assert code == 415 and st["reason"] == "UnsupportedMediaType"
    code, st, _ = api.request("PATCH", f"{NS}/configmaps/h-a", raw=b"{}", headers={"Content-Type": "application/json"})
    assert code == 415
    big = json.dumps(cm("big", x="y" * (3 * 1024 * 1024 + 10))).encode()
    code, st, _ = api.request("POST", f"{NS}/configmaps", raw=big, headers={"Content-Type": "application/json"})
    assert code == 413 and st["reason"] == "RequestEntityTooLarge"
    code, st, _ = api.request("GET", f"{NS}/widgets")
    assert code == 404 and st["reason"] == "NotFound"
    code, st, _ = api.request("GET", f"{NS}/configmaps/nope")
    assert code == 404 and st["message"] == 'configmaps "nope" not found'
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
           "spec": {"replicas": -1, "selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    code, st, _ = api.request("POST", "/apis/apps/v1/namespaces/default/deployments", bad)
    assert code == 422 and st["reason"] == "Invalid" and st["details"]["kind"] == "Deployment"
    assert st["details"]["causes"][0]["field"] == "spec.replicas"
    code, st, _ = api.request("POST", f"{NS}/configmaps?fieldValidation=Strict", {**cm("strict"), "bogus": 1})
    assert code == 400 and "unknown field" in st["message"]
    # the server is still up and nothing was recorded for the refused bodies
    assert api.request("GET", f"{NS}/configmaps/big")[0] == 404


def test_dry_run_is_not_persisted(api):
    code, obj, _ = api.request("POST", f"{NS}/configmaps?dryRun=All", cm("dry"))
    assert code == 201 and obj["metadata"]["name"] == "dry"
    assert api.request("GET", f"{NS}/configmaps/dry")[0] == 404


def test_authentication(served, api):
    anon = Http(served.url, served.kubeconfig, cert=False)
    code, st, _ = anon.request("GET", f"{NS}/pods")
    if code == 403:  # an RBAC cluster: anonymous requests are system:anonymous, and RBAC refuses them
        assert st["reason"] == "Forbidden" and 'User "system:anonymous" cannot list resource "pods"' in st["message"]
    else:  # AlwaysAllow: kube-apiserver turns anonymous authentication off
        assert code == 401 and st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                      "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    bad = Http(served.url, served.kubeconfig, cert=False, token="not-a-token")
    assert bad.request("GET", f"{NS}/pods")[0] == 401
    token = open(os.path.join(served.data, "pki", "tokens.csv")).read().split(",")[0]
    good = Http(served.url, served.kubeconfig, cert=False, token=token)
    assert good.request("GET", f"{NS}/pods")[0] == 200
    # a client certificate from another CA, or an expired one from the cluster CA: the handshake
    # accepts it (as Go's RequestClientCert), the x509 authenticator refuses it: 401
    other = CA.create().issue("mallory", ("system:masters",))
    evil = Http(served.url, served.kubeconfig, cert_pem=other.cert_pem, key_pem=other.key_pem)
    code, st, _ = evil.request("GET", f"{NS}/pods")
    assert code == 401 and st["reason"] == "Unauthorized"
    ca = CA.load_or_create(os.path.join(served.data, "pki"))
    old = ca.issue("jane", ("devs",), days=1, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    assert Http(served.url, served.kubeconfig, cert_pem=old.cert_pem, key_pem=old.key_pem).request("GET", f"{NS}/pods")[0] == 401
    assert api.request("GET", f"{NS}/pods")[0] == 200
    # a certificate from the cluster CA: CN -> user, O -> groups
    jane = ca.issue("jane", ("devs", "system:masters"))
    assert Http(served.url, served.kubeconfig, cert_pem=jane.cert_pem, key_pem=jane.key_pem).request(
        "POST", f"{NS}/configmaps", cm("by-jane"))[0] == 201
    code, _doc, _ = api.request("POST", f"{NS}/configmaps", cm("as-bob"),
                                headers={"Impersonate-User": "bob", "Impersonate-Group": "system:masters"})
    assert code == 201
    out = served.ktape("--read-only", "log", "--resource", "configmaps", "-o", "json").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    by_name = {(r["name"], r["verb"]): r for r in rows}
    assert by_name[("by-jane", "create")]["user"] == "jane" and "devs" in by_name[("by-jane", "create")]["groups"]
    assert by_name[("as-bob", "create")]["user"] == "bob"


def test_watch_replays_from_any_resource_version(api):
    code, first, _ = api.request("POST", f"{NS}/configmaps", cm("w-1", {"w": "y"}))
    rv0 = int(first["metadata"]["resourceVersion"]) - 1
    api.request("PATCH", f"{NS}/configmaps/w-1", {"metadata": {"labels": {"w": "n"}}},
                headers={"Content-Type": "application/merge-patch+json"})
    api.request("DELETE", f"{NS}/configmaps/w-1")
    ev = api.stream(f"{NS}/configmaps?watch=1&labelSelector=w%3Dy&resourceVersion={rv0}&timeoutSeconds=1")
    got = [(e["type"], e["object"]["metadata"]["name"]) for e in ev]
    # ADDED (matches), then the relabel takes it out of the selection: DELETED; the delete is not seen
    assert got == [("ADDED", "w-1"), ("DELETED", "w-1")]
    ev = api.stream(f"{NS}/configmaps?watch=1&fieldSelector=metadata.name%3Dw-1&resourceVersion={rv0}&timeoutSeconds=1")
    events = list(ev)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert all(e["object"]["kind"] == "ConfigMap" and e["object"]["apiVersion"] == "v1" for e in events)
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs) and rvs[0] == rv0 + 1


def test_watch_streams_live_events_with_tables(api):
    code, lst, _ = api.request("GET", f"{NS}/configmaps")
    rv = lst["metadata"]["resourceVersion"]
    stream = api.stream(f"{NS}/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=3",
                        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
    got = []
    t = threading.Thread(target=lambda: got.extend(stream))
    t.start()
    api.request("POST", f"{NS}/configmaps", cm("live-1", a="b"))
    t.join(10)
    assert got and got[0]["type"] == "ADDED" and got[0]["object"]["kind"] == "Table"
    assert got[0]["object"]["rows"][0]["cells"][:2] == ["live-1", 1]


def test_pagination_is_consistent(api):
    for i in range(5):
        api.request("POST", f"{NS}/configmaps", cm(f"p-{i}", {"page": "yes"}))
    names, rvs, cont = [], set(), ""
    while True:
        code, page, _ = api.request("GET", f"{NS}/configmaps?labelSelector=page%3Dyes&limit=2" + (f"&continue={cont}" if cont else ""))
        assert code == 200 and len(page["items"]) <= 2
        names += [o["metadata"]["name"] for o in page["items"]]
        rvs.add(page["metadata"]["resourceVersion"])
        if len(names) == 2:  # a write between pages is not seen by later pages
            api.request("POST", f"{NS}/configmaps", cm("p-9", {"page": "yes"}))
        cont = page["metadata"].get("continue", "")
        if not cont:
            break
    assert names == [f"p-{i}" for i in range(5)] and len(rvs) == 1


def test_deletecollection_and_table(api):
    code, table, _ = api.request("GET", f"{NS}/configmaps?labelSelector=page%3Dyes",
                                 headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
    assert table["kind"] == "Table" and [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table["rows"][0]["object"]["metadata"]["labels"] == {"page": "yes"}
    code, lst, _ = api.request("DELETE", f"{NS}/configmaps?labelSelector=page%3Dyes")
    assert code == 200 and len(lst["items"]) == 6
    assert api.request("GET", f"{NS}/configmaps?labelSelector=page%3Dyes")[1]["items"] == []


def test_scale_subresource_put_without_content_type(api):
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "sc"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "sc"}},
                    "template": {"metadata": {"labels": {"a": "sc"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    assert api.request("POST", "/apis/apps/v1/namespaces/default/deployments", dep)[0] == 201
    code, scale, _ = api.request("GET", "/apis/apps/v1/namespaces/default/deployments/sc/scale")
    assert code == 200 and scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    scale["spec"]["replicas"] = 2
    scale["metadata"].pop("resourceVersion")  # unconditional: the controllers may have moved the RV meanwhile
    code, out, _ = api.request("PUT", "/apis/apps/v1/namespaces/default/deployments/sc/scale", raw=json.dumps(scale).encode())
    assert code == 200 and out["spec"]["replicas"] == 2
    assert api.request("DELETE", "/apis/apps/v1/namespaces/default/deployments/sc", {"propagationPolicy": "Foreground"})[0] == 200


def test_manual_clock_follows_ktape_advance_from_another_process():
    tmp = tempfile.mkdtemp(prefix="ktape-serve-manual-")
    s = start_server(tmp, "--clock", "manual")
    try:
        api = Http(s.url, s.kubeconfig)
        _, a, _ = api.request("POST", f"{NS}/configmaps", cm("t-1"))
        adv = s.ktape("advance", "1h")
        assert adv.returncode == 0, adv.stderr
        _, b, _ = api.request("POST", f"{NS}/configmaps", cm("t-2"))
        ta = dt.datetime.fromisoformat(a["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
        tb = dt.datetime.fromisoformat(b["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
        assert tb - ta == dt.timedelta(hours=1)
        assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"]) + 1
    finally:
        stop_server(s)
    v = s.ktape("verify")
    assert v.returncode == 0, v.stdout + v.stderr


def test_reviews(api):
    ssar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"namespace": "default", "verb": "get", "resource": "pods"}}}
    code, out, _ = api.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ssar)
    assert code == 201 and out["kind"] == "SelfSubjectAccessReview" and out["status"]["allowed"] is True
    code, out, _ = api.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {"spec": {}})
    assert code == 422 and out["reason"] == "Invalid"
    code, out, _ = api.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                               {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
                               headers={"Impersonate-User": "jane", "Impersonate-Group": "devs"})
    assert code == 201 and out["status"]["userInfo"]["username"] == "jane"
    assert "devs" in out["status"]["userInfo"]["groups"]
    code, doc, _ = api.request("GET", "/apis/authorization.k8s.io/v1")
    assert code == 200 and "selfsubjectaccessreviews" in {r["name"] for r in doc["resources"]}
    assert "authentication.k8s.io" in {g["name"] for g in api.request("GET", "/apis")[1]["groups"]}


def test_aggregated_discovery_negotiated_on_accept(api):
    v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    v2b1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
    code, doc, resp = api.request("GET", "/apis", headers={"Accept": f"{v2},{v2b1},application/json"})
    assert code == 200 and resp.getheader("Content-Type") == v2 and doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    apps = next(i for i in doc["items"] if i["metadata"]["name"] == "apps")
    dep = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert dep["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"} and dep["scope"] == "Namespaced"
    scale = next(s for s in dep["subresources"] if s["subresource"] == "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    code, doc, resp = api.request("GET", "/api", headers={"Accept": f"{v2b1},application/json"})  # kubectl <= 1.29
    assert resp.getheader("Content-Type") == v2b1 and doc["apiVersion"] == "apidiscovery.k8s.io/v2beta1"
    assert [i["metadata"]["name"] for i in doc["items"]] == [""]
    code, doc, resp = api.request("GET", "/api", headers={"Accept": "application/json, */*"})
    assert doc["kind"] == "APIVersions" and resp.getheader("Content-Type").startswith("application/json")


def test_acknowledged_writes_survive_kill_9():
    import signal

    tmp = tempfile.mkdtemp(prefix="ktape-serve-kill-")
    s = start_server(tmp)
    try:
        api = Http(s.url, s.kubeconfig)
        assert api.request("POST", f"{NS}/configmaps", cm("k9", v="0"))[0] == 201
        acked = []
        for i in range(1, 31):
            code, obj, _ = api.request("PATCH", f"{NS}/configmaps/k9", {"data": {"v": str(i)}},
                                       headers={"Content-Type": "application/merge-patch+json"})
            assert code == 200
            acked.append((str(i), obj["metadata"]["resourceVersion"]))
    finally:
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(timeout=10)
    out = s.ktape("--read-only", "get", "cm", "k9", "-o", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["data"]["v"] == "30"
    rows = [json.loads(line) for line in s.ktape("--read-only", "log", "--resource", "configmaps", "--name", "k9", "--verb", "patch",
                                                 "-o", "json").stdout.splitlines()]
    assert [str(r["seq"]) for r in rows] == [rv for _v, rv in acked]
    v = s.ktape("verify")
    assert v.returncode == 0, v.stdout + v.stderr


def test_pod_log_and_exec_answers(api):
    from engine.server import podio

    code, st, _ = api.request("GET", f"{NS}/pods/nope/log")
    if podio.available():
        assert code == 404 and st["message"] == 'pods "nope" not found'
    else:
        assert code == 501 and st["reason"] == "NotImplemented"
    code, st, _ = api.request("POST", f"{NS}/pods/nope/exec?command=ls&stdout=true")
    if podio.available():  # authorized and looked up before any upgrade, as upstream
        assert code == 404 and st["kind"] == "Status" and st["message"] == 'pods "nope" not found'
    else:
        assert code == 501 and st["kind"] == "Status" and st["reason"] == "NotImplemented"
    code, st, _ = api.request("POST", f"{NS}/pods/nope/exec")
    assert code == 400 and st["message"] == "you must specify at least 1 command"
