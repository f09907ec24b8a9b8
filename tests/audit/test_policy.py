"""Audit Policy evaluation: upstream's checker rules (first match wins, each non-empty field must
match, subresource forms, namespaces, non-resource URLs) and its validation messages."""

import pytest

from projections.audit import Attrs, PolicyError, level_for, parse_policy


def policy(*rules, **top):
    return parse_policy({"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": list(rules), **top})


POD_GET = Attrs("alice", ("dev", "system:authenticated"), "get", "", "pods", "", "default", "web")
POD_LOG = Attrs("alice", ("dev",), "get", "", "pods", "log", "default", "web")
DEPLOY_SCALE = Attrs("bob", (), "update", "apps", "deployments", "scale", "prod", "web")
NODE = Attrs("system:node:n1", ("system:nodes",), "update", "", "nodes", "status", "", "n1")
HEALTHZ = Attrs("alice", (), "get", path="/healthz/etcd")
SECRET = Attrs("alice", (), "get", "", "secrets", "", "default", "db")


def test_first_match_wins_and_no_match_is_none():
    p = policy({"level": "None", "users": ["bob"]}, {"level": "Metadata", "verbs": ["get"]}, {"level": "Request", "verbs": ["update"]})
    assert level_for(p, DEPLOY_SCALE)[0] == "None"  # bob's rule comes first
    assert level_for(p, POD_GET)[0] == "Metadata"
    assert level_for(p, NODE)[0] == "Request"
    assert level_for(policy({"level": "Metadata", "verbs": ["delete"]}), POD_GET)[0] == "None"


def test_users_groups_and_verbs_all_must_match():
    p = policy({"level": "RequestResponse", "userGroups": ["dev"], "verbs": ["get", "list"]})
    assert level_for(p, POD_GET)[0] == "RequestResponse"
    assert level_for(p, DEPLOY_SCALE)[0] == "None"  # no group
    assert level_for(p, Attrs("alice", ("dev",), "delete", "", "pods", "", "default", "web"))[0] == "None"


def test_resources_subresources_and_wildcards():
    assert level_for(policy({"level": "Request", "resources": [{"group": "", "resources": ["pods"]}]}), POD_LOG)[0] == "None"
    assert level_for(policy({"level": "Request", "resources": [{"group": "", "resources": ["pods/log"]}]}), POD_LOG)[0] == "Request"
    assert level_for(policy({"level": "Request", "resources": [{"group": "", "resources": ["pods/*"]}]}), POD_LOG)[0] == "Request"
    assert level_for(policy({"level": "Request", "resources": [{"resources": ["*/scale"], "group": "apps"}]}), DEPLOY_SCALE)[0] == "Request"
    assert level_for(policy({"level": "Request", "resources": [{"resources": ["*/scale"]}]}), DEPLOY_SCALE)[0] == "None"  # core group only
    assert level_for(policy({"level": "Request", "resources": [{"group": "apps"}]}), DEPLOY_SCALE)[0] == "Request"  # whole group
    assert level_for(policy({"level": "Request", "resources": [{"group": "", "resources": ["*"]}]}), POD_LOG)[0] == "Request"


def test_resource_names_and_namespaces():
    p = policy({"level": "Request", "resources": [{"group": "", "resources": ["pods"], "resourceNames": ["web"]}]})
    assert level_for(p, POD_GET)[0] == "Request"
    assert level_for(p, Attrs("alice", (), "get", "", "pods", "", "default", "db"))[0] == "None"
    p = policy({"level": "Metadata", "namespaces": ["prod"]})
    assert level_for(p, DEPLOY_SCALE)[0] == "Metadata" and level_for(p, POD_GET)[0] == "None"
    assert level_for(policy({"level": "Metadata", "namespaces": [""]}), NODE)[0] == "Metadata"  # cluster-scoped


def test_non_resource_urls_only_match_non_resource_requests():
    p = policy({"level": "Metadata", "nonResourceURLs": ["/healthz*"]})
    assert level_for(p, HEALTHZ)[0] == "Metadata" and level_for(p, POD_GET)[0] == "None"
    assert level_for(policy({"level": "Metadata", "resources": [{"group": ""}]}), HEALTHZ)[0] == "None"


def test_omit_stages_union_of_policy_and_rule():
    p = policy({"level": "Metadata", "omitStages": ["RequestReceived"]}, omitStages=["ResponseComplete"])
    level, omit = level_for(p, POD_GET)
    assert level == "Metadata" and omit == {"RequestReceived", "ResponseComplete"}


def test_secrets_capped_at_metadata_unless_named():
    catch_all = policy({"level": "RequestResponse"})
    assert level_for(catch_all, SECRET)[0] == "Metadata"
    assert level_for(policy({"level": "Request", "resources": [{"group": "", "resources": ["*"]}]}), SECRET)[0] == "Metadata"
    named = policy({"level": "RequestResponse", "resources": [{"group": "", "resources": ["secrets"]}]})
    assert level_for(named, SECRET)[0] == "RequestResponse"
    cm = Attrs("alice", (), "get", "", "configmaps", "", "default", "c")
    assert level_for(catch_all, cm)[0] == "RequestResponse"
    assert level_for(catch_all, cm, sensitive=frozenset({("", "configmaps")}))[0] == "Metadata"  # when encrypted at rest
    token = Attrs("alice", (), "create", "", "serviceaccounts", "token", "default", "sa")
    assert level_for(catch_all, token)[0] == "Metadata"


@pytest.mark.parametrize("rules,message", [
    ([{"level": "Loud"}], 'rules[0].level: Unsupported value: "Loud": supported values: "None", "Metadata", "Request", "RequestResponse"'),
    ([{"verbs": ["get"]}], "rules[0].level: Required value"),
    ([{"level": "None", "omitStages": ["Done"]}], 'rules[0].omitStages[0]: Invalid value: "Done": allowed stages are '
                                                  "RequestReceived,ResponseStarted,ResponseComplete,Panic"),
    ([{"level": "None", "nonResourceURLs": ["healthz"]}], "rules[0].nonResourceURLs[0]: Invalid value: \"healthz\": "
                                                          "non-resource URL rules must begin with a '/' character"),
    ([{"level": "None", "nonResourceURLs": ["/a"], "namespaces": ["x"]}],
     'rules[0].nonResourceURLs: Invalid value: []string{"/a"}: rules cannot apply to both regular resources and non-resource URLs'),
    ([{"level": "None", "resources": [{"resourceNames": ["x"]}]}],
     'rules[0].resources.resourceNames: Invalid value: []string{"x"}: using resourceNames requires at least one resource'),
    ([], "loaded illegal policy with 0 rules"),
])
def test_malformed_policies_are_refused_in_upstream_words(rules, message):
    with pytest.raises(PolicyError) as exc:
        policy(*rules)
    assert str(exc.value) == message


def test_wrong_kind_is_refused():
    with pytest.raises(PolicyError, match="unknown group version"):
        parse_policy({"apiVersion": "audit.k8s.io/v1beta2", "kind": "Policy", "rules": [{"level": "None"}]})
