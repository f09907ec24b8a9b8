"""Builders for RBAC objects and attributes in tests."""

from engine.auth.bootstrap_policy import rule as bootstrap_rule
from engine.auth.rbac import RbacIndex
from engine.pipeline.authz import Attributes

G = "rbac.authorization.k8s.io"


def rule(verbs, groups=("",), resources=(), names=(), urls=()):
    """The bootstrap policy's rule builder, with the core group as the default."""
    return bootstrap_rule(verbs, groups, resources, names, urls)


def crole(name, *rules, labels=None, agg=None):
    o = {"apiVersion": f"{G}/v1", "kind": "ClusterRole", "metadata": {"name": name, "labels": labels or {}}, "rules": list(rules)}
    if agg:
        o["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": agg}]}
    return o


def role(ns, name, *rules):
    return {"apiVersion": f"{G}/v1", "kind": "Role", "metadata": {"name": name, "namespace": ns}, "rules": list(rules)}


def subj(kind, name, ns=None):
    s = {"kind": kind, "name": name}
    if kind != "ServiceAccount":
        s["apiGroup"] = G
    if ns:
        s["namespace"] = ns
    return s


def crb(name, role_name, *subjects):
    return {"apiVersion": f"{G}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": G, "kind": "ClusterRole", "name": role_name}, "subjects": list(subjects)}


def rb(ns, name, kind, role_name, *subjects):
    return {"apiVersion": f"{G}/v1", "kind": "RoleBinding", "metadata": {"name": name, "namespace": ns},
            "roleRef": {"apiGroup": G, "kind": kind, "name": role_name}, "subjects": list(subjects)}


def index(objs):
    by = {k: [o for o in objs if o["kind"] == k] for k in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")}
    return RbacIndex(by["Role"], by["ClusterRole"], by["RoleBinding"], by["ClusterRoleBinding"])


def res(user, verb, resource, ns="", groups=(), group="", sub="", name=""):
    return Attributes(user, tuple(groups), verb, group, resource, sub, ns, name)


def url(user, verb, path, groups=()):
    return Attributes(user, tuple(groups), verb, path=path)
