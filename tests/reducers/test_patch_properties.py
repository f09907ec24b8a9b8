"""Properties: a two-way patch turns original into modified; three-way apply keeps others' fields."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reducers.patch import (
    json_merge_patch,
    strategic_merge_patch,
    three_way_json_merge_patch,
    three_way_strategic_patch,
    two_way_json_merge_patch,
    two_way_strategic_patch,
)

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.sampled_from(["a", "b", "c", "d"])
text = st.sampled_from(["", "x", "y", "nginx:1.25", "nginx:1.26"])


def keyed(item, key, max_size=4):
    return st.lists(item, max_size=max_size, unique_by=lambda i: i[key])


def opt(**fields):
    return st.fixed_dictionaries({}, optional=fields)


env_item = st.fixed_dictionaries(
    {"name": names},
    optional={"value": text, "valueFrom": st.fixed_dictionaries({"fieldRef": st.fixed_dictionaries({"fieldPath": text})})},
)
# Mostly well-formed, sometimes with duplicate names (which force a whole-list replacement).
env_list = st.one_of(keyed(env_item, "name"), st.lists(env_item, max_size=3))
port = st.fixed_dictionaries({"containerPort": st.sampled_from([80, 443, 8080])},
                             optional={"protocol": st.sampled_from(["TCP", "UDP"]), "name": text})
mount = st.fixed_dictionaries({"mountPath": st.sampled_from(["/a", "/b", "/c"])}, optional={"name": names, "readOnly": st.booleans()})
container = st.fixed_dictionaries(
    {"name": names},
    optional={
        "image": text,
        "args": st.lists(text, max_size=3),
        "env": env_list,
        "ports": keyed(port, "containerPort"),
        "volumeMounts": keyed(mount, "mountPath"),
        "resources": opt(limits=st.dictionaries(st.sampled_from(["cpu", "memory"]), text, max_size=2)),
        "securityContext": st.one_of(opt(runAsUser=st.integers(0, 2)), st.just("weird-string")),
    },
)
volume = st.fixed_dictionaries(
    {"name": names},
    optional={"emptyDir": opt(medium=text), "configMap": opt(name=text), "secret": opt(secretName=text)},
)
toleration = opt(key=names, operator=st.sampled_from(["Exists", "Equal"]), value=text)
pod_spec = opt(
    containers=keyed(container, "name"),
    initContainers=keyed(container, "name", max_size=2),
    volumes=keyed(volume, "name"),
    tolerations=st.lists(toleration, max_size=3),
    hostAliases=keyed(st.fixed_dictionaries({"ip": st.sampled_from(["10.0.0.1", "10.0.0.2"])},
                                            optional={"hostnames": st.lists(names, max_size=2)}), "ip"),
    imagePullSecrets=keyed(st.fixed_dictionaries({"name": names}), "name"),
    nodeSelector=st.dictionaries(names, text, max_size=2),
    restartPolicy=st.sampled_from(["Always", "Never"]),
)
labels = st.dictionaries(names, text, max_size=3)
metadata = st.fixed_dictionaries(
    {"name": st.just("web"), "annotations": labels},
    optional={
        "labels": labels,
        "finalizers": st.lists(st.sampled_from(["f1", "f2", "f3", "example.com/x"]), unique=True, max_size=3),
        "ownerReferences": keyed(st.fixed_dictionaries({"uid": names}, optional={"kind": text, "controller": st.booleans()}), "uid"),
    },
)
strategy = st.one_of(
    st.fixed_dictionaries({"type": st.just("Recreate")}),
    st.fixed_dictionaries({"type": st.just("RollingUpdate")}, optional={"rollingUpdate": opt(maxSurge=st.sampled_from([1, "25%"]))}),
)
deployment_doc = st.fixed_dictionaries(
    {"kind": st.just("Deployment"), "metadata": metadata},
    optional={
        "spec": opt(
            replicas=st.one_of(st.integers(0, 3), st.just("3")),
            strategy=strategy,
            template=opt(metadata=opt(labels=labels), spec=pod_spec),
        ),
        "status": opt(conditions=keyed(st.fixed_dictionaries({"type": names}, optional={"status": text}), "type")),
    },
)
pod_doc = st.fixed_dictionaries({"kind": st.just("Pod"), "metadata": metadata}, optional={"spec": pod_spec})

scalar = st.one_of(st.booleans(), st.integers(-2, 2), st.sampled_from(["", "s", "t"]))
json_doc = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["a", "b", "c", "spec", "items"]), inner, max_size=3)),
    max_leaves=12,
)
generic_doc = st.dictionaries(st.sampled_from(["a", "b", "spec", "items", "data"]), json_doc, max_size=4)


def roundtrip(original, modified, kind):
    o, m = copy.deepcopy(original), copy.deepcopy(modified)
    patch = two_way_strategic_patch(original, modified, kind)
    assert strategic_merge_patch(original, patch, kind) == modified
    assert (original, modified) == (o, m)
    assert two_way_strategic_patch(original, modified, kind) == patch  # deterministic


@SETTINGS
@given(deployment_doc, deployment_doc)
def test_two_way_roundtrip_deployments(original, modified):
    roundtrip(original, modified, "Deployment")


@SETTINGS
@given(pod_doc, pod_doc)
def test_two_way_roundtrip_pods(original, modified):
    roundtrip(original, modified, "Pod")


@SETTINGS
@given(generic_doc, generic_doc, st.sampled_from(["Widget", "Deployment", "Service"]))
def test_two_way_roundtrip_generic_documents(original, modified, kind):
    roundtrip(original, modified, kind)


@SETTINGS
@given(generic_doc, generic_doc)
def test_json_merge_two_way_roundtrip(original, modified):
    assert json_merge_patch(original, two_way_json_merge_patch(original, modified)) == modified


@SETTINGS
@given(deployment_doc, deployment_doc)
def test_three_way_apply_reaches_manifest_and_keeps_foreign_fields(last, modified):
    last = {k: v for k, v in last.items() if k != "status"}
    modified = {k: v for k, v in modified.items() if k != "status"}
    # Without interference the live object becomes the manifest.
    patch = three_way_strategic_patch(last, modified, last, "Deployment")
    assert strategic_merge_patch(last, patch, "Deployment") == modified
    # Fields set by others (status, a foreign annotation) survive the apply.
    current = copy.deepcopy(last)
    current["status"] = {"observedGeneration": 4, "conditions": [{"type": "Available", "status": "True"}]}
    current["metadata"]["annotations"]["other.io/owner"] = "ops"
    result = strategic_merge_patch(current, three_way_strategic_patch(last, modified, current, "Deployment"), "Deployment")
    expected = copy.deepcopy(modified)
    expected["status"] = current["status"]
    expected["metadata"]["annotations"]["other.io/owner"] = "ops"
    assert result == expected


@SETTINGS
@given(generic_doc, generic_doc, json_doc)
def test_three_way_json_merge_keeps_foreign_fields(last, modified, foreign):
    patch = three_way_json_merge_patch(last, modified, last)
    assert json_merge_patch(last, patch) == modified
    current = {**copy.deepcopy(last), "status": foreign}
    result = json_merge_patch(current, three_way_json_merge_patch(last, modified, current))
    assert result == {**modified, "status": foreign}
