"""ServiceAccount controller and admission (issue 7 item 1)."""

from engine.client import Client
from tests.auth.conftest import as_user


def pod(name, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def test_every_namespace_gets_default(cluster, admin):
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease", "ns1"):
        assert admin.get("serviceaccounts", "default", ns).ok, ns
    admin.delete("serviceaccounts", "default", "ns1")
    assert admin.get("serviceaccounts", "default", "ns1").ok  # re-created


def test_pod_gets_default_sa_and_projected_token(cluster, admin):
    r = admin.create(pod("p"), "ns1")
    assert r.ok, r.error
    spec = r.obj["spec"]
    assert spec["serviceAccountName"] == "default" and spec["serviceAccount"] == "default"
    vol = spec["volumes"][0]
    assert vol["name"].startswith("kube-api-access-") and len(vol["name"]) == len("kube-api-access-") + 5
    sources = vol["projected"]["sources"]
    assert sources[0] == {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
    assert sources[1]["configMap"]["name"] == "kube-root-ca.crt"
    assert sources[2]["downwardAPI"]["items"][0]["path"] == "namespace"
    assert spec["containers"][0]["volumeMounts"] == [
        {"name": vol["name"], "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
    assert r.entry.outcome.decided["mutations"]  # recorded as decided values


def test_automount_false_and_missing_sa(cluster, admin):
    r = admin.create(pod("p", automountServiceAccountToken=False), "ns1")
    assert r.ok and "volumes" not in r.obj["spec"]
    admin.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "quiet"},
                  "automountServiceAccountToken": False}, "ns1")
    r = admin.create(pod("q", serviceAccountName="quiet"), "ns1")
    assert r.ok and "volumes" not in r.obj["spec"]
    r = admin.create(pod("m", serviceAccountName="missing"), "ns1")
    assert r.code == 403
    assert r.error.message == ('pods "m" is forbidden: error looking up service account ns1/missing: '
                               'serviceaccount "missing" not found')


def test_reviews_are_answered_not_stored(cluster, admin):
    jane = as_user(cluster, "jane")
    ssar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "ns1"}}}
    r = jane.create(ssar)
    assert r.code == 201 and r.obj["status"] == {"allowed": False}
    r = admin.create(ssar)
    assert r.obj["status"]["allowed"] is True
    r = jane.create({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert r.obj["status"]["userInfo"] == {"username": "jane", "groups": ["system:authenticated"]}
    r = jane.create({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": "ns1"}})
    assert {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]} in r.obj["status"]["resourceRules"]
    sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
           "spec": {"user": "jane", "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "ns1"}}}
    assert jane.create(sar).code == 403  # only who may create subjectaccessreviews
    assert admin.create(sar).obj["status"]["allowed"] is False
    with cluster.view() as v:
        assert v.list("authorization.k8s.io", "selfsubjectaccessreviews") == []
