"""k8s-semantics.md section 11.2 and 11.5: upstream TestAuthorizer / TestRuleMatches vectors and
the derived ones, against the RBAC index (engine/auth/rbac.py)."""

import pytest

from engine.auth.bootstrap_policy import all_objects
from engine.auth.rules import Rule, rule_allows
from engine.pipeline.authz import forbidden_error
from tests.auth.rbac_helpers import crb, crole, index, rb, res, role, rule, subj, url


def allows(idx, a):
    return idx.authorize(a)[0]


def test_namespace_admin_vectors():
    idx = index([crole("admin", rule(["*"], ["*"], ["*"])),
                 rb("ns1", "admin", "ClusterRole", "admin", subj("User", "admin"), subj("Group", "admins"))])
    for a in [res("admin", "get", "Pods", "ns1"), res("admin", "watch", "Pods", "ns1"),
              res("admin", "watch", "Foobar", "ns1", ["group1"]), res("joe", "watch", "Foobar", "ns1", ["admins"]),
              res("joe", "watch", "Foobar", "ns1", ["group1", "admins"])]:
        assert allows(idx, a), a
    for a in [res("admin", "GET", "Pods", "ns2"), res("admin", "GET", "Nodes", ""),
              res("admin", "GET", "Pods", "ns2", ["admins"]), res("admin", "GET", "Nodes", "", ["admins"])]:
        assert not allows(idx, a), a


def test_non_resource_vectors():
    idx = index([crole("getter", rule(["get"], urls=["/apis"])), crole("admin", rule(["*"], urls=["/apis"])),
                 crole("prefixed", rule(["get"], urls=["/apis/*"])),
                 crb("getter", "getter", subj("User", "foo"), subj("Group", "bar")),
                 crb("admin", "admin", subj("User", "admin")), crb("prefixed", "prefixed", subj("User", "prefixed"))])
    for a in [url("foo", "get", "/apis"), url("baz", "get", "/apis", ["bar"]), url("admin", "get", "/apis"),
              url("admin", "watch", "/apis"), url("prefixed", "get", "/apis/v1"), url("prefixed", "get", "/apis/v1/foobar")]:
        assert allows(idx, a), a
    for a in [url("foo", "watch", "/apis"), url("foo", "get", "/api/v1"), url("admin", "get", "/api/v1"),
              url("prefixed", "get", "/api/v1")]:
        assert not allows(idx, a), a


def R(**kw):
    return Rule.of(rule(kw.get("verbs", ()), kw.get("groups", ()), kw.get("resources", ()), kw.get("names", ()), kw.get("urls", ())))


def ok(r, verb, group="", resource="", sub="", name="", path=""):
    return rule_allows(r, verb, group, resource, sub, name, path, bool(resource))


def test_rule_matches():
    assert ok(R(verbs=["get"], groups=[""], resources=["pods"]), "get", "", "pods")
    assert not ok(R(verbs=["get"], groups=[""], resources=["pods"]), "get", "", "pods", "status")
    assert ok(R(verbs=["get"], groups=[""], resources=["pods/status"]), "get", "", "pods", "status")
    assert not ok(R(verbs=["get"], groups=[""], resources=["pods/status"]), "get", "", "pods")
    star_verb = R(verbs=["*"], groups=["group1"], resources=["resource1"])
    assert ok(star_verb, "verb1", "group1", "resource1") and ok(star_verb, "verb2", "group1", "resource1")
    assert not ok(star_verb, "verb1", "group2", "resource1") and not ok(star_verb, "verb1", "group1", "resource2")
    star_group = R(verbs=["verb1"], groups=["*"], resources=["resource1"])
    assert ok(star_group, "verb1", "group1", "resource1") and ok(star_group, "verb1", "group2", "resource1")
    assert not ok(star_group, "verb2", "group1", "resource1")
    star_res = R(verbs=["verb1"], groups=["group1"], resources=["*"])
    assert ok(star_res, "verb1", "group1", "resource1") and ok(star_res, "verb1", "group1", "resource2")
    tuple_rule = R(verbs=["verb1", "verb2"], groups=["group1", "group2"], resources=["resource1", "resource2"])
    for v in ("verb1", "verb2"):
        for g in ("group1", "group2"):
            for r in ("resource1", "resource2"):
                assert ok(tuple_rule, v, g, r)
    subres = R(verbs=["verb1"], groups=["group1"], resources=["resource1/subresource1"])
    assert ok(subres, "verb1", "group1", "resource1", "subresource1")
    assert not ok(subres, "verb1", "group1", "resource1", "subresource2")
    assert not ok(subres, "verb1", "group1", "resource2", "subresource1")
    all_urls = R(verbs=["verb1"], urls=["*"])
    for p in ("/foo", "/foo/bar", "/foo/bar/one"):
        assert ok(all_urls, "verb1", path=p) and not ok(all_urls, "verb2", path=p)
    prefix = R(verbs=["verb1"], urls=["/foo/*"])
    assert not ok(prefix, "verb1", path="/foo")
    assert ok(prefix, "verb1", path="/foo/bar") and ok(prefix, "verb1", path="/foo/baz/one")
    assert not ok(prefix, "verb1", path="/notfoo")
    exact = R(verbs=["*"], urls=["/foo", "/foo/bar/one"])
    assert ok(exact, "verb1", path="/foo") and ok(exact, "verb1", path="/foo/bar/one")
    assert not ok(exact, "verb1", path="/foo/bar")


def test_derived_rule_vectors():
    scale = R(verbs=["patch"], groups=["*"], resources=["*/scale"])
    assert ok(scale, "patch", "apps", "deployments", "scale") and not ok(scale, "patch", "apps", "deployments")
    named = R(verbs=["get"], groups=[""], resources=["pods"], names=["a"])
    assert ok(named, "get", "", "pods", name="a") and not ok(named, "get", "", "pods", name="b")
    assert not ok(named, "list", "", "pods")
    assert not rule_allows(R(verbs=["list"], groups=[""], resources=["pods"], names=["a"]), "list", "", "pods", "", "", "", True)
    assert not ok(R(verbs=["get"], groups=[""], resources=["pods"]), "get", "", "pods", "log")


@pytest.fixture(scope="module")
def defaults():
    """The bootstrap policy with the aggregated roles filled as the aggregation controller does."""
    from engine.controllers.clusterrole_aggregation import aggregate

    objs = all_objects()
    roles = [o for o in objs if o["kind"] == "ClusterRole"]
    for o in roles:
        if o.get("aggregationRule"):
            o["rules"] = aggregate(o, roles)
    return objs


def test_rolebinding_to_view_is_namespace_scoped(defaults):
    idx = index(defaults + [rb("ns1", "v", "ClusterRole", "view", subj("User", "u"))])
    assert allows(idx, res("u", "list", "pods", "ns1"))
    assert not allows(idx, res("u", "list", "pods", "ns2"))
    assert not allows(idx, res("u", "list", "pods", ""))
    assert allows(idx, res("u", "get", "namespaces", "ns1", name="ns1"))
    assert not allows(idx, res("u", "list", "nodes", ""))
    assert allows(idx, res("u", "get", "pods", "ns1", sub="log", name="p"))


def test_clusterrolebinding_to_view_everywhere(defaults):
    idx = index(defaults + [crb("v", "view", subj("User", "u"))])
    assert allows(idx, res("u", "list", "pods", "ns1")) and allows(idx, res("u", "list", "pods", ""))


def test_serviceaccount_subject_defaults_to_binding_namespace():
    idx = index([crole("r", rule(["get"], [""], ["pods"])), rb("ns1", "b", "ClusterRole", "r", subj("ServiceAccount", "build"))])
    assert allows(idx, res("system:serviceaccount:ns1:build", "get", "pods", "ns1"))
    assert not allows(idx, res("system:serviceaccount:ns2:build", "get", "pods", "ns1"))
    # a cluster binding needs the namespace explicit
    idx = index([crole("r", rule(["get"], [""], ["pods"])), crb("b", "r", subj("ServiceAccount", "build"))])
    assert not allows(idx, res("system:serviceaccount:ns1:build", "get", "pods", "ns1"))


def test_default_roles(defaults):
    idx = index(defaults + [rb("d", "v", "ClusterRole", "view", subj("User", "v")),
                            rb("d", "e", "ClusterRole", "edit", subj("User", "e")),
                            rb("d", "a", "ClusterRole", "admin", subj("User", "a"))])
    assert not allows(idx, res("v", "get", "secrets", "d", name="s"))
    assert allows(idx, res("v", "get", "pods", "d", sub="log", name="p"))
    assert not allows(idx, res("v", "create", "pods", "d"))
    assert allows(idx, res("e", "create", "deployments", "d", group="apps"))
    assert not allows(idx, res("e", "create", "roles", "d", group="rbac.authorization.k8s.io"))
    assert allows(idx, res("e", "get", "secrets", "d", name="s"))
    assert allows(idx, res("e", "create", "pods", "d", sub="exec", name="p"))
    assert allows(idx, res("a", "create", "rolebindings", "d", group="rbac.authorization.k8s.io"))
    assert not allows(idx, res("a", "update", "resourcequotas", "d", name="q"))
    assert allows(idx, res("x", "delete", "nodes", "", ["system:masters"], name="n"))
    assert allows(idx, url("x", "get", "/metrics", ["system:masters"]))


def test_binding_to_missing_role_grants_nothing():
    idx = index([rb("ns1", "b", "Role", "nope", subj("User", "u"))])
    assert not allows(idx, res("u", "get", "pods", "ns1"))


def test_reason_names_binding_role_and_subject():
    idx = index([crole("r", rule(["get"], [""], ["pods"])), rb("ns1", "b", "ClusterRole", "r", subj("ServiceAccount", "build")),
                 crb("c", "r", subj("Group", "g"))])
    assert idx.authorize(res("system:serviceaccount:ns1:build", "get", "pods", "ns1"))[1] == \
        'RBAC: allowed by RoleBinding "b/ns1" of ClusterRole "r" to ServiceAccount "build/ns1"'
    assert idx.authorize(res("x", "get", "pods", "ns1", ["g"]))[1] == \
        'RBAC: allowed by ClusterRoleBinding "c" of ClusterRole "r" to Group "g"'


def test_forbidden_messages():
    assert forbidden_error(res("jane", "list", "pods", "default"), "").message == \
        'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"'
    assert forbidden_error(res("jane", "get", "deployments", "default", group="apps", name="x"), "").message == \
        'deployments.apps "x" is forbidden: User "jane" cannot get resource "deployments" in API group "apps" in the namespace "default"'
    assert forbidden_error(res("jane", "list", "nodes", ""), "").message == \
        'nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope'
    assert forbidden_error(url("jane", "get", "/metrics"), "").message == 'forbidden: User "jane" cannot get path "/metrics"'


# --- 11.3 escalation: Covers ---------------------------------------------------------------------

from engine.auth.rules import compact, covers, rule_string  # noqa: E402


def _rules(*rs):
    return [Rule.of(r) for r in rs]


def test_covers_vectors():
    owner = _rules(rule(["get", "list"], [""], ["pods"]))
    assert covers(owner, _rules(rule(["get"], [""], ["pods"])))[0]
    ok_, missing = covers(owner, _rules(rule(["delete"], [""], ["pods"])))
    assert not ok_ and [rule_string(m) for m in compact(missing)] == ['{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}']
    named = _rules(rule(["get"], [""], ["pods"], ["a"]))
    assert not covers(named, _rules(rule(["get"], [""], ["pods"])))[0]
    assert covers(named, _rules(rule(["get"], [""], ["pods"], ["a"])))[0]
    star = _rules(rule(["*"], ["*"], ["*"]))
    assert covers(star, _rules(rule(["delete"], ["apps"], ["deployments/scale"], ["x"])))[0]
    assert not covers(star, _rules(rule(["get"], urls=["/metrics"])))[0]
    assert covers(star + _rules(rule(["get"], urls=["/metrics"])), _rules(rule(["get"], urls=["/metrics"])))[0]
    status = _rules(rule(["get"], [""], ["*/status"]))
    assert covers(status, _rules(rule(["get"], [""], ["pods/status"])))[0]
    assert not covers(status, _rules(rule(["get"], [""], ["pods"])))[0]
