"""Patch creation: two-way (set image, label, edit) and three-way (client-side apply)."""

from __future__ import annotations

import copy
import json

import pytest

from reducers.patch import (
    json_merge_patch,
    strategic_merge_patch,
    three_way_json_merge_patch,
    three_way_strategic_patch,
    two_way_strategic_patch,
)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def manifest(image="nginx:1.25", containers=None, labels=None, **spec):
    containers = containers if containers is not None else [{"name": "nginx", "image": image}]
    m = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": labels if labels is not None else {"app": "web"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}},
        },
    }
    m["spec"].update(spec)
    return m


def as_applied(m):
    """What kubectl sends and stores: the manifest plus the last-applied annotation of itself."""
    recorded = copy.deepcopy(m)
    recorded["metadata"]["annotations"] = {}
    sent = copy.deepcopy(m)
    sent["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(recorded, sort_keys=True, separators=(",", ":")) + "\n"}
    return recorded, sent


def live(m, **spec_overrides):
    """The stored object: what was applied, plus server defaults, bookkeeping and status."""
    obj = copy.deepcopy(m)
    obj["metadata"].update({"uid": "u-1", "resourceVersion": "7", "generation": 1, "creationTimestamp": "2024-01-01T00:00:00Z"})
    spec = obj["spec"]
    spec.setdefault("replicas", 1)
    spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    pod = spec["template"]["spec"]
    pod.setdefault("restartPolicy", "Always")
    pod.setdefault("dnsPolicy", "ClusterFirst")
    for c in pod["containers"]:
        c.setdefault("imagePullPolicy", "IfNotPresent")
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        for p in c.get("ports", []):
            p.setdefault("protocol", "TCP")
    spec.update(spec_overrides)
    obj["status"] = {"replicas": spec["replicas"], "conditions": [{"type": "Available", "status": "True"}]}
    return obj


def applied(last, modified, current, kind="Deployment"):
    patch = three_way_strategic_patch(last, modified, current, kind)
    return patch, strategic_merge_patch(current, patch, kind)


# -- two-way ----------------------------------------------------------------------------------


def test_two_way_set_image_is_kubectls_patch():
    # kubectl-wire.md 8.6: `kubectl set image deployment/web nginx=nginx:1.27`.
    before = live(manifest(image="nginx:1.26"))
    after = copy.deepcopy(before)
    after["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    patch = two_way_strategic_patch(before, after, "Deployment")
    assert patch == {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                                                    "containers": [{"image": "nginx:1.27", "name": "nginx"}]}}}}
    assert json.dumps(patch, separators=(",", ":")) == (
        '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],'
        '"containers":[{"image":"nginx:1.27","name":"nginx"}]}}}}')
    assert strategic_merge_patch(before, patch, "Deployment") == after


def test_two_way_label_removal_and_addition():
    before = live(manifest(labels={"app": "web", "tier": "be"}))
    after = copy.deepcopy(before)
    del after["metadata"]["labels"]["tier"]
    after["metadata"]["labels"]["env"] = "prod"
    patch = two_way_strategic_patch(before, after, "Deployment")
    assert patch == {"metadata": {"labels": {"env": "prod", "tier": None}}}
    assert strategic_merge_patch(before, patch, "Deployment") == after


def test_two_way_identical_objects_give_empty_patch():
    obj = live(manifest())
    assert two_way_strategic_patch(obj, copy.deepcopy(obj), "Deployment") == {}


def test_two_way_removed_container_uses_delete_directive_and_order():
    before = manifest(containers=[{"name": "a", "image": "1"}, {"name": "b", "image": "1"}, {"name": "c", "image": "1"}])
    after = manifest(containers=[{"name": "c", "image": "2"}, {"name": "a", "image": "1"}])
    patch = two_way_strategic_patch(before, after, "Deployment")
    assert patch == {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}],
        "containers": [{"image": "2", "name": "c"}, {"$patch": "delete", "name": "b"}]}}}}
    assert strategic_merge_patch(before, patch, "Deployment") == after


def test_two_way_reorder_only_sends_just_the_order():
    before = manifest(containers=[{"name": "a"}, {"name": "b"}])
    after = manifest(containers=[{"name": "b"}, {"name": "a"}])
    patch = two_way_strategic_patch(before, after, "Deployment")
    assert patch == {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}}}}
    assert strategic_merge_patch(before, patch, "Deployment") == after


def test_two_way_env_and_ports_by_their_keys():
    before = manifest(containers=[{"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                                   "ports": [{"containerPort": 80}, {"containerPort": 443}]}])
    after = manifest(containers=[{"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}],
                                  "ports": [{"containerPort": 80, "name": "http"}]}])
    patch = two_way_strategic_patch(before, after, "Deployment")
    container = patch["spec"]["template"]["spec"]["containers"][0]
    assert container == {
        "$setElementOrder/env": [{"name": "A"}, {"name": "B"}],
        "$setElementOrder/ports": [{"containerPort": 80}],
        "env": [{"name": "B", "value": "3"}],
        "name": "app",
        "ports": [{"containerPort": 80, "name": "http"}, {"$patch": "delete", "containerPort": 443}],
    }
    assert strategic_merge_patch(before, patch, "Deployment") == after


def test_two_way_finalizers_use_parallel_deletion_list():
    before = {"metadata": {"finalizers": ["a", "b"]}}
    after = {"metadata": {"finalizers": ["b", "c"]}}
    patch = two_way_strategic_patch(before, after, "Widget")
    assert patch == {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "$setElementOrder/finalizers": ["b", "c"],
                                  "finalizers": ["c"]}}
    assert strategic_merge_patch(before, patch, "Widget") == after


def test_two_way_lists_without_merge_key_are_sent_whole():
    before = manifest()
    before["spec"]["template"]["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}]
    after = copy.deepcopy(before)
    after["spec"]["template"]["spec"]["tolerations"].pop()
    patch = two_way_strategic_patch(before, after, "Deployment")
    assert patch == {"spec": {"template": {"spec": {"tolerations": [{"key": "a", "operator": "Exists"}]}}}}
    # Unknown kinds have no merge keys: containers is an ordinary list there.
    w1 = {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}
    w2 = {"spec": {"containers": [{"name": "a", "x": 1}, {"name": "b"}]}}
    assert two_way_strategic_patch(w1, w2, "Widget") == {"spec": {"containers": [{"name": "a", "x": 1}, {"name": "b"}]}}


def test_two_way_strategy_switch_builds_retain_keys():
    before = manifest(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})
    after = manifest(strategy={"type": "Recreate"})
    patch = two_way_strategic_patch(before, after, "Deployment")
    assert patch == {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"}}}
    assert strategic_merge_patch(before, patch, "Deployment") == after


def test_two_way_duplicate_merge_keys_fall_back_to_replacing_the_list():
    before = manifest(containers=[{"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}])
    after = manifest(containers=[{"name": "app", "env": [{"name": "A", "value": "3"}]}])
    patch = two_way_strategic_patch(before, after, "Deployment")
    env = patch["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "A", "value": "3"}, {"$patch": "replace"}]
    assert strategic_merge_patch(before, patch, "Deployment") == after
    assert strategic_merge_patch(after, two_way_strategic_patch(after, before, "Deployment"), "Deployment") == before


def test_two_way_does_not_modify_inputs():
    before = manifest(containers=[{"name": "a", "env": [{"name": "X"}]}])
    after = manifest(containers=[{"name": "b"}])
    b, a = copy.deepcopy(before), copy.deepcopy(after)
    patch = two_way_strategic_patch(before, after, "Deployment")
    patch["spec"]["template"]["spec"]["containers"][0]["name"] = "mutated"
    assert before == b and after == a


# -- three-way (kubectl apply) ----------------------------------------------------------------


def test_apply_image_change_is_kubectls_patch():
    # kubectl-wire.md 8.1, second run with the image changed.
    last, _ = as_applied(manifest(image="nginx:1.25"))
    _, sent_v1 = as_applied(manifest(image="nginx:1.25"))
    current = live(sent_v1)
    _, modified = as_applied(manifest(image="nginx:1.26"))
    patch, result = applied(last, modified, current)
    assert patch == {
        "metadata": {"annotations": {LAST_APPLIED: modified["metadata"]["annotations"][LAST_APPLIED]}},
        "spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                                       "containers": [{"image": "nginx:1.26", "name": "nginx"}]}}},
    }
    c = result["spec"]["template"]["spec"]["containers"][0]
    assert c == {"name": "nginx", "image": "nginx:1.26", "imagePullPolicy": "IfNotPresent",
                 "terminationMessagePath": "/dev/termination-log"}
    assert result["status"] == current["status"]


def test_apply_removing_fields_switching_strategy_adding_containers():
    # kubectl-wire.md 8.1 "Details": the SMP directives kubectl generates.
    old = manifest(containers=[{"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}], replicas=3)
    new = manifest(containers=[{"name": "nginx", "image": "nginx:1.26", "env": [{"name": "A", "value": "1"}]},
                               {"name": "sidecar", "image": "busybox"}], strategy={"type": "Recreate"})
    current = live(old)
    patch, result = applied(old, new, current)
    assert patch == {"spec": {
        "replicas": None,
        "strategy": {"$retainKeys": ["type"], "type": "Recreate"},
        "template": {"spec": {
            "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
            "containers": [{"name": "nginx", "image": "nginx:1.26", "env": [{"name": "A", "value": "1"}], "ports": None},
                           {"name": "sidecar", "image": "busybox"}]}}}}
    assert "replicas" not in result["spec"]  # the server re-applies its default afterwards
    assert result["spec"]["strategy"] == {"type": "Recreate"}
    containers = result["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["nginx", "sidecar"]
    assert "ports" not in containers[0] and containers[0]["imagePullPolicy"] == "IfNotPresent"


def test_apply_removes_label_dropped_from_manifest_and_keeps_foreign_label():
    old = manifest(labels={"app": "web", "tier": "be"})
    new = manifest(labels={"app": "web"})
    current = live(old)
    current["metadata"]["labels"]["team"] = "payments"  # `kubectl label` by someone else
    patch, result = applied(old, new, current)
    assert patch == {"metadata": {"labels": {"tier": None}}}
    assert result["metadata"]["labels"] == {"app": "web", "team": "payments"}


def test_apply_keeps_replicas_set_by_scale_when_manifest_has_none():
    m = manifest()
    current = live(m, replicas=5)  # `kubectl scale --replicas=5`
    patch, result = applied(m, copy.deepcopy(m), current)
    assert patch == {}
    assert result["spec"]["replicas"] == 5
    # Changing the image later still leaves replicas alone.
    patch, result = applied(m, manifest(image="nginx:2"), current)
    assert "replicas" not in patch["spec"] and result["spec"]["replicas"] == 5


def test_apply_resets_replicas_when_manifest_sets_them():
    m = manifest(replicas=2)
    patch, result = applied(m, copy.deepcopy(m), live(m, replicas=5))
    assert patch == {"spec": {"replicas": 2}} and result["spec"]["replicas"] == 2


def test_apply_deletes_removed_container_and_keeps_injected_one():
    old = manifest(containers=[{"name": "nginx", "image": "1"}, {"name": "old", "image": "1"}])
    new = manifest(containers=[{"name": "nginx", "image": "1"}])
    current = live(old)
    current["spec"]["template"]["spec"]["containers"].append({"name": "istio-proxy", "image": "proxy"})
    patch, result = applied(old, new, current)
    assert patch == {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                                                    "containers": [{"$patch": "delete", "name": "old"}]}}}}
    assert [c["name"] for c in result["spec"]["template"]["spec"]["containers"]] == ["nginx", "istio-proxy"]


def test_apply_unchanged_manifest_gives_empty_patch():
    last, sent = as_applied(manifest())
    assert three_way_strategic_patch(last, sent, live(sent), "Deployment") == {}


def test_apply_without_last_applied_deletes_nothing():
    current = live(manifest(labels={"app": "web", "tier": "be"}))
    new = manifest(labels={"app": "web"}, replicas=3)
    patch, result = applied(None, new, current)
    assert patch == {"spec": {"replicas": 3}}
    assert result["metadata"]["labels"] == {"app": "web", "tier": "be"}


def test_apply_finalizer_removed_from_manifest():
    old = {"metadata": {"name": "x", "finalizers": ["a", "b"]}}
    new = {"metadata": {"name": "x", "finalizers": ["a"]}}
    current = {"metadata": {"name": "x", "finalizers": ["a", "b", "controller.io/c"]}}
    patch, result = applied(old, new, current, "ConfigMap")
    assert patch == {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"], "$setElementOrder/finalizers": ["a"]}}
    assert result["metadata"]["finalizers"] == ["a", "controller.io/c"]


def test_apply_does_not_modify_inputs():
    old, new = manifest(replicas=3), manifest(image="x")
    current = live(old)
    copies = copy.deepcopy((old, new, current))
    three_way_strategic_patch(old, new, current, "Deployment")
    three_way_json_merge_patch(old, new, current)
    assert (old, new, current) == copies


# -- three-way JSON merge patch (kinds without strategic metadata) ----------------------------


def widget(**spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"app": "w", "tier": "x"}},
            "spec": spec}


def test_three_way_json_merge_patch_rules():
    old = widget(size=3, items=[1, 2], nested={"a": 1, "b": 2})
    new = widget(items=[1], nested={"a": 1})
    del new["metadata"]["labels"]["tier"]
    current = copy.deepcopy(old)
    current["metadata"]["labels"]["owner"] = "ops"
    current["spec"]["size"] = 7
    current["spec"]["defaulted"] = True
    current["status"] = {"ready": True}
    patch = three_way_json_merge_patch(old, new, current)
    assert patch == {"metadata": {"labels": {"tier": None}}, "spec": {"items": [1], "nested": {"b": None}, "size": None}}
    result = json_merge_patch(current, patch)
    assert result == {"apiVersion": "example.com/v1", "kind": "Widget",
                      "metadata": {"name": "w", "labels": {"app": "w", "owner": "ops"}},
                      "spec": {"items": [1], "nested": {"a": 1}, "defaulted": True}, "status": {"ready": True}}


def test_three_way_json_merge_patch_unchanged_and_no_last_applied():
    old = widget(size=3)
    current = {**copy.deepcopy(old), "status": {"ready": True}}
    assert three_way_json_merge_patch(old, copy.deepcopy(old), current) == {}
    assert three_way_json_merge_patch(None, widget(), current) == {}
    assert three_way_json_merge_patch(None, widget(size=4, empty={}), current) == {"spec": {"empty": {}, "size": 4}}


@pytest.mark.parametrize("fn", [three_way_strategic_patch])
def test_three_way_strategic_for_unknown_kind_replaces_lists(fn):
    old = widget(items=[{"name": "a"}, {"name": "b"}])
    new = widget(items=[{"name": "a", "v": 1}, {"name": "b"}])
    patch = fn(old, new, copy.deepcopy(old), "Widget")
    assert patch == {"spec": {"items": [{"name": "a", "v": 1}, {"name": "b"}]}}
