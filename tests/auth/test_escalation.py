"""k8s-semantics.md 11.3 through the request path: escalation prevention and bind/escalate."""

from tests.auth.conftest import as_user
from tests.auth.rbac_helpers import crole, rb, role, rule, subj


def test_namespace_admin_may_grant_what_it_holds(cluster, admin):
    assert admin.create(rb("ns1", "a", "ClusterRole", "admin", subj("User", "alice")), "ns1").ok
    alice = as_user(cluster, "alice")
    assert alice.create(rb("ns1", "e", "ClusterRole", "edit", subj("User", "bob")), "ns1").ok
    r = alice.create(rb("ns1", "ca", "ClusterRole", "cluster-admin", subj("User", "bob")), "ns1")
    assert r.code == 403
    assert r.error.message.startswith('rolebindings.rbac.authorization.k8s.io "ca" is forbidden: user "alice" '
                                      '(groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n')
    r = alice.create(rb("ns2", "e", "ClusterRole", "edit", subj("User", "bob")), "ns2")
    assert r.code == 403 and 'cannot create resource "rolebindings"' in r.error.message
    # `bind` on clusterroles/cluster-admin in ns1 lets her
    assert admin.create(role("ns1", "binder", rule(["bind"], ["rbac.authorization.k8s.io"], ["clusterroles"], ["cluster-admin"])), "ns1").ok
    assert admin.create(rb("ns1", "binder", "Role", "binder", subj("User", "alice")), "ns1").ok
    assert alice.create(rb("ns1", "ca", "ClusterRole", "cluster-admin", subj("User", "bob")), "ns1").ok


def test_role_creation_needs_rules_held_or_escalate(cluster, admin):
    admin.create(role("ns1", "podreader", rule(["get", "list"], [""], ["pods"]), rule(["create"], ["rbac.authorization.k8s.io"], ["roles"])), "ns1")
    admin.create(rb("ns1", "pr", "Role", "podreader", subj("User", "u")), "ns1")
    u = as_user(cluster, "u")
    assert u.create(role("ns1", "r1", rule(["get"], [""], ["pods"])), "ns1").ok
    r = u.create(role("ns1", "r2", rule(["delete"], [""], ["pods"])), "ns1")
    assert r.code == 403 and r.error.message.endswith('{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}')
    admin.create(role("ns1", "esc", rule(["escalate"], ["rbac.authorization.k8s.io"], ["roles"])), "ns1")
    admin.create(rb("ns1", "esc", "Role", "esc", subj("User", "u")), "ns1")
    assert u.create(role("ns1", "r2", rule(["delete"], [""], ["pods"])), "ns1").ok


def test_aggregation_rule_needs_full_authority(cluster, admin):
    admin.create(crole("cr-writer", rule(["create"], ["rbac.authorization.k8s.io"], ["clusterroles"])))
    from tests.auth.rbac_helpers import crb
    admin.create(crb("w", "cr-writer", subj("User", "w")))
    r = as_user(cluster, "w").create(crole("agg", agg={"x": "y"}))
    assert r.code == 403 and r.error.message == \
        'clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule'


def test_masters_bypass_and_missing_role_binding(cluster, admin):
    r = admin.create(rb("ns1", "ghost", "Role", "nope", subj("User", "g")), "ns1")
    assert r.ok  # allowed, grants nothing
    assert as_user(cluster, "g").list("pods", "ns1").code == 403


def test_roleref_is_immutable(cluster, admin):
    admin.create(rb("ns1", "b", "ClusterRole", "view", subj("User", "u")), "ns1")
    r = admin.patch("rolebindings", "b", {"roleRef": {"name": "edit"}}, "ns1", patch_type="merge")
    assert r.code == 422
    assert r.error.message == ('RoleBinding.rbac.authorization.k8s.io "b" is invalid: roleRef: Invalid value: '
                               'rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"edit"}: cannot change roleRef')


def test_aggregation_controller(cluster, admin):
    with cluster.view() as v:
        view = v.get("rbac.authorization.k8s.io", "clusterroles", "", "view")
        edit = v.get("rbac.authorization.k8s.io", "clusterroles", "", "edit")
    assert view["rules"] and all(r in edit["rules"] for r in view["rules"])
    admin.create(crole("agg", agg={"agg": "true"}, labels={"agg": "true"}))
    r1, r2, r3 = (rule(["get"], [""], [x]) for x in ("r1", "r2", "r3"))
    admin.create(crole("b", r2, r3, labels={"agg": "true"}))
    admin.create(crole("a", r1, r2, labels={"agg": "true"}))

    def rules():
        with cluster.view() as v:
            return v.get("rbac.authorization.k8s.io", "clusterroles", "", "agg")["rules"]
    assert rules() == [r1, r2, r3]
    admin.patch("clusterroles", "a", {"metadata": {"labels": {"agg": None}}}, "", patch_type="merge")
    assert rules() == [r2, r3]
    admin.patch("clusterroles", "agg", {"rules": [r1]}, "", patch_type="merge")
    assert rules() == [r2, r3]  # manual edits are overwritten
    admin.delete("clusterroles", "b", "")
    assert rules() == []
