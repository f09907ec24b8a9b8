"""The Node and ABAC authorizers, and the chain's order."""

from engine.auth.abac import ABACAuthorizer, parse_policy_file
from engine.auth.node import NodeAuthorizer
from engine.pipeline.authz import ALLOW, NO_OPINION, Attributes

import pytest

from engine.errors import StatusError


class FakeView:
    def __init__(self, pods=(), objs=None, settings=None):
        self.pods, self.objs, self.settings = list(pods), objs or {}, settings or {}

    def pods_on_node(self, node):
        return [p for p in self.pods if p["spec"].get("nodeName") == node]

    def get(self, group, resource, ns, name):
        return self.objs.get((resource, ns, name))

    def cluster(self):
        return {"spec": self.settings}


NODE = ("system:nodes", "system:authenticated")


def pod(node, **spec):
    return {"metadata": {"name": "p", "namespace": "ns"}, "spec": {"nodeName": node, "containers": [], **spec}}


def test_node_reads_only_what_its_pods_use():
    v = FakeView([pod("n1", volumes=[{"name": "s", "secret": {"secretName": "db"}}],
                      containers=[{"name": "c", "envFrom": [{"configMapRef": {"name": "cfg"}}]}])])
    z = NodeAuthorizer(v)
    assert z.authorize(Attributes("system:node:n1", NODE, "get", "", "secrets", "", "ns", "db"))[0] == ALLOW
    assert z.authorize(Attributes("system:node:n1", NODE, "get", "", "configmaps", "", "ns", "cfg"))[0] == ALLOW
    d, why = z.authorize(Attributes("system:node:n2", NODE, "get", "", "secrets", "", "ns", "db"))
    assert d == NO_OPINION and why == "no relationship found between node 'n2' and this object"
    assert z.authorize(Attributes("system:node:n1", NODE, "update", "", "secrets", "", "ns", "db"))[1] == \
        "can only read resources of this type"
    assert z.authorize(Attributes("system:node:n1", NODE, "update", "", "pods", "status", "ns", "p"))[0] == ALLOW
    assert z.authorize(Attributes("system:node:n1", NODE, "delete", "", "nodes", "", "", "n1"))[0] == NO_OPINION
    assert z.authorize(Attributes("jane", ("system:authenticated",), "get", "", "secrets", "", "ns", "db")) == (NO_OPINION, "")


def test_abac_policy_lines():
    text = "\n".join([
        '{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "alice", "namespace": "*", "resource": "*", "apiGroup": "*"}}',
        '{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"user": "bob", "namespace": "projectCaribou", "resource": "pods", "readonly": true}}',
        '{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind": "Policy", "spec": {"group": "system:authenticated", "readonly": true, "nonResourcePath": "*"}}',
    ])
    z = ABACAuthorizer(FakeView(settings={"authorization": {"abacPolicy": parse_policy_file(text)}}))
    assert z.authorize(Attributes("alice", (), "delete", "apps", "deployments", "", "x", "d"))[0] == ALLOW
    assert z.authorize(Attributes("bob", (), "get", "", "pods", "", "projectCaribou", "p"))[0] == ALLOW
    assert z.authorize(Attributes("bob", (), "create", "", "pods", "", "projectCaribou", ""))[0] == NO_OPINION
    assert z.authorize(Attributes("bob", (), "get", "", "pods", "", "other", "p")) == (NO_OPINION, "No policy matched.")
    assert z.authorize(Attributes("eve", ("system:authenticated",), "get", path="/version"))[0] == ALLOW
    with pytest.raises(StatusError, match="line 1"):
        parse_policy_file("{not json")


def test_unknown_authorization_mode_is_refused():
    from engine.api import Cluster
    from engine.bootstrap import InitOptions, init

    with pytest.raises(StatusError, match='authorization-mode "Magic" is not a valid mode'):
        init(Cluster.memory(actors=[]), InitOptions(start_time=0, nodes=0, authorization_modes=("Magic",)))
