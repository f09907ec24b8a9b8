"""Strategic merge patch: merge keys by path shape, directives, nulls, errors, and `apply_patch`."""

from __future__ import annotations

import copy

import pytest

from engine.errors import StatusError
from reducers.patch import (
    CONTENT_TYPES,
    PATCH_TYPES,
    apply_patch,
    json_merge_patch,
    json_patch,
    strategic_merge_patch,
)
from reducers.patch.strategic import MERGE_KEYS, schema_for


def deployment(containers=None, **spec):
    containers = containers if containers is not None else [
        {"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}]},
        {"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "inf"]},
    ]
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "be"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}},
        },
    }
    obj["spec"].update(spec)
    return obj


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def smp(original, patch, kind="Deployment"):
    return strategic_merge_patch(original, patch, kind)


def status_error(fn, *args):
    with pytest.raises(StatusError) as info:
        fn(*args)
    return info.value


# -- lists merged by key ----------------------------------------------------------------------


def test_upstream_example_patch_one_container_image():
    before = deployment()
    after = smp(before, {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "v2"}]}}}})
    assert pod_spec(after)["containers"] == [
        {"name": "nginx", "image": "v2", "ports": [{"containerPort": 80}]},
        {"name": "sidecar", "image": "busybox:1.36", "args": ["sleep", "inf"]},
    ]
    expected = copy.deepcopy(before)
    pod_spec(expected)["containers"][0]["image"] = "v2"
    assert after == expected


def test_added_container_goes_first_like_upstream_docs():
    # kubernetes.io "Update API Objects in Place Using kubectl patch": the new container is listed first.
    before = deployment([{"name": "patch-demo-ctr", "image": "nginx"}])
    after = smp(before, {"spec": {"template": {"spec": {"containers": [{"name": "patch-demo-ctr-2", "image": "redis"}]}}}})
    assert pod_spec(after)["containers"] == [
        {"name": "patch-demo-ctr-2", "image": "redis"},
        {"name": "patch-demo-ctr", "image": "nginx"},
    ]


def test_patched_items_follow_patch_order_interleaved_with_server_only_items():
    # Upstream mergeSortedSlice: patch items [c, a] in patch order; server-only b goes first
    # because it preceded c (the next patch item) in the live list.
    before = deployment([{"name": n, "image": "x"} for n in "abc"])
    after = smp(before, {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "y"}, {"name": "a", "image": "y"}]}}}})
    assert pod_spec(after)["containers"] == [
        {"name": "b", "image": "x"}, {"name": "c", "image": "y"}, {"name": "a", "image": "y"}]


def test_patch_order_wins_over_live_order_for_patched_items():
    before = deployment([{"name": n, "image": "x"} for n in "abc"])
    after = smp(before, {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "y"}]}}}})
    assert [c["name"] for c in pod_spec(after)["containers"]] == ["a", "b", "c"]


def test_env_merges_by_name():
    before = deployment([{"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}])
    after = smp(before, {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "B", "value": "two"}, {"name": "C", "value": "3"}]}]}}}})
    env = pod_spec(after)["containers"][0]["env"]
    assert sorted(env, key=lambda e: e["name"]) == [
        {"name": "A", "value": "1"}, {"name": "B", "value": "two"}, {"name": "C", "value": "3"}]


def test_env_item_fields_merge_and_null_removes_one():
    before = deployment([{"name": "app", "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}]}])
    after = smp(before, {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "env": [{"name": "A", "value": "v", "valueFrom": None}]}]}}}})
    assert pod_spec(after)["containers"][0]["env"] == [{"name": "A", "value": "v"}]


def test_container_ports_merge_by_container_port():
    before = deployment([{"name": "app", "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 9090}]}])
    after = smp(before, {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}]}]}}}})
    ports = {p["containerPort"]: p for p in pod_spec(after)["containers"][0]["ports"]}
    assert ports == {80: {"containerPort": 80, "protocol": "TCP", "name": "http"}, 443: {"containerPort": 443},
                     9090: {"containerPort": 9090}}


def test_volume_mounts_by_mount_path_and_devices_by_device_path():
    before = deployment([{"name": "app", "volumeMounts": [{"name": "a", "mountPath": "/a"}],
                          "volumeDevices": [{"name": "d", "devicePath": "/dev/x"}]}])
    after = smp(before, {"spec": {"template": {"spec": {"containers": [{"name": "app",
        "volumeMounts": [{"name": "a2", "mountPath": "/a"}, {"name": "b", "mountPath": "/b"}],
        "volumeDevices": [{"name": "d2", "devicePath": "/dev/x"}]}]}}}})
    c = pod_spec(after)["containers"][0]
    assert sorted(m["mountPath"] for m in c["volumeMounts"]) == ["/a", "/b"]
    assert [m for m in c["volumeMounts"] if m["mountPath"] == "/a"] == [{"name": "a2", "mountPath": "/a"}]
    assert c["volumeDevices"] == [{"name": "d2", "devicePath": "/dev/x"}]


def test_init_and_ephemeral_containers_merge_by_name_with_nested_keys():
    before = deployment([{"name": "app"}], )
    pod_spec(before)["initContainers"] = [{"name": "init", "image": "a", "env": [{"name": "X", "value": "1"}]}]
    pod_spec(before)["ephemeralContainers"] = [{"name": "dbg", "image": "busybox"}]
    after = smp(before, {"spec": {"template": {"spec": {
        "initContainers": [{"name": "init", "env": [{"name": "Y", "value": "2"}]}],
        "ephemeralContainers": [{"name": "dbg", "image": "alpine"}]}}}})
    init = pod_spec(after)["initContainers"][0]
    assert init["image"] == "a" and sorted(e["name"] for e in init["env"]) == ["X", "Y"]
    assert pod_spec(after)["ephemeralContainers"] == [{"name": "dbg", "image": "alpine"}]


@pytest.mark.parametrize(
    "field, key, live, patch_item, merged_count",
    [
        ("volumes", "name", {"name": "v", "emptyDir": {}}, {"name": "w", "emptyDir": {}}, 2),
        ("imagePullSecrets", "name", {"name": "reg"}, {"name": "reg2"}, 2),
        ("resourceClaims", "name", {"name": "gpu"}, {"name": "gpu2"}, 2),
        ("schedulingGates", "name", {"name": "g1"}, {"name": "g2"}, 2),
        ("hostAliases", "ip", {"ip": "10.0.0.1", "hostnames": ["a"]}, {"ip": "10.0.0.1", "hostnames": ["b"]}, 1),
        ("topologySpreadConstraints", "topologyKey", {"topologyKey": "zone", "maxSkew": 1},
         {"topologyKey": "zone", "maxSkew": 2}, 1),
    ],
)
def test_pod_spec_merge_lists(field, key, live, patch_item, merged_count):
    before = deployment()
    pod_spec(before)[field] = [live]
    after = smp(before, {"spec": {"template": {"spec": {field: [patch_item]}}}})
    merged = pod_spec(after)[field]
    assert len(merged) == merged_count
    assert patch_item in merged or {**live, **patch_item} in merged


def test_hostaliases_item_hostnames_list_is_replaced_not_merged():
    before = deployment()
    pod_spec(before)["hostAliases"] = [{"ip": "10.0.0.1", "hostnames": ["a", "b"]}]
    after = smp(before, {"spec": {"template": {"spec": {"hostAliases": [{"ip": "10.0.0.1", "hostnames": ["c"]}]}}}})
    assert pod_spec(after)["hostAliases"] == [{"ip": "10.0.0.1", "hostnames": ["c"]}]


def test_lists_without_merge_key_are_replaced_whole():
    before = deployment([{"name": "app", "args": ["a", "b"], "command": ["sh"]}])
    pod_spec(before)["tolerations"] = [{"key": "a", "operator": "Exists"}]
    after = smp(before, {"spec": {"template": {"spec": {
        "tolerations": [{"key": "b", "operator": "Exists"}],
        "containers": [{"name": "app", "args": ["c"]}]}}}})
    assert pod_spec(after)["tolerations"] == [{"key": "b", "operator": "Exists"}]
    assert pod_spec(after)["containers"] == [{"name": "app", "args": ["c"], "command": ["sh"]}]


def test_pod_kind_has_its_pod_spec_at_spec():
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b"}]}}
    after = smp(pod, {"spec": {"containers": [{"name": "a", "image": "2"}]}}, "Pod")
    assert after["spec"]["containers"] == [{"name": "a", "image": "2"}, {"name": "b"}]


def test_cronjob_pod_spec_is_under_job_template():
    cj = {"kind": "CronJob", "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}}}}}}
    after = smp(cj, {"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "2"}]}}}}}}, "CronJob")
    assert after["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"] == [
        {"name": "a", "image": "1"}, {"name": "b", "image": "2"}]


@pytest.mark.parametrize("kind", ["ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet", "Job"])
def test_pod_template_kinds(kind):
    obj = {"kind": kind, "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b"}]}}}}
    after = smp(obj, {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "2"}]}}}}, kind)
    assert after["spec"]["template"]["spec"]["containers"] == [{"name": "a", "image": "2"}, {"name": "b"}]


def test_merge_keys_depend_on_path_shape_not_field_name():
    # `ports` merges by containerPort in a container, by port in a Service, and not at all elsewhere.
    svc = {"kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}]}}
    after = smp(svc, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, "Service")
    assert after["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443}]
    # A Deployment's `spec.containers` (not a pod spec location) is an ordinary, replaced list.
    odd = {"kind": "Deployment", "spec": {"containers": [{"name": "a"}, {"name": "b"}]}}
    assert smp(odd, {"spec": {"containers": [{"name": "a", "x": 1}]}})["spec"]["containers"] == [{"name": "a", "x": 1}]
    # A Pod's spec.ports is not a Service's.
    pod = {"kind": "Pod", "spec": {"ports": [{"port": 1}, {"port": 2}]}}
    assert smp(pod, {"spec": {"ports": [{"port": 1, "x": 1}]}}, "Pod")["spec"]["ports"] == [{"port": 1, "x": 1}]
    assert schema_for("Service").lookup(("spec", "ports")).merge_key == "port"
    assert schema_for("Pod").lookup(("spec", "containers", "ports")).merge_key == "containerPort"
    assert schema_for("Deployment").lookup(("spec", "template", "spec", "containers", "env")).merge_key == "name"
    assert ("spec", "template", "spec", "volumes") in MERGE_KEYS["Deployment"]


def test_service_account_secrets_by_name():
    sa = {"kind": "ServiceAccount", "secrets": [{"name": "tok-1"}]}
    after = smp(sa, {"secrets": [{"name": "tok-2"}]}, "ServiceAccount")
    assert sorted(s["name"] for s in after["secrets"]) == ["tok-1", "tok-2"]


def test_owner_references_merge_by_uid_for_any_kind():
    cm = {"kind": "ConfigMap", "metadata": {"ownerReferences": [{"uid": "u1", "name": "a", "kind": "X"}]}}
    after = smp(cm, {"metadata": {"ownerReferences": [{"uid": "u2", "name": "b", "kind": "X"}]}}, "ConfigMap")
    assert sorted(r["uid"] for r in after["metadata"]["ownerReferences"]) == ["u1", "u2"]
    gone = smp(after, {"metadata": {"ownerReferences": [{"uid": "u1", "$patch": "delete"}]}}, "ConfigMap")
    assert gone["metadata"]["ownerReferences"] == [{"uid": "u2", "name": "b", "kind": "X"}]


def test_finalizers_are_a_merged_primitive_list():
    obj = {"kind": "Widget", "metadata": {"finalizers": ["a", "b"]}}
    after = smp(obj, {"metadata": {"finalizers": ["b", "c"]}}, "Widget")
    assert sorted(after["metadata"]["finalizers"]) == ["a", "b", "c"]
    assert len(after["metadata"]["finalizers"]) == 3


def test_status_conditions_merge_by_type_for_any_kind():
    for kind in ("Deployment", "Pod", "Node", "SomeCustomThing"):
        obj = {"status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "Progressing", "status": "True"}]}}
        after = smp(obj, {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, kind)
        assert after["status"]["conditions"] == [{"type": "Ready", "status": "True"}, {"type": "Progressing", "status": "True"}]


def test_pod_status_pod_ips_by_ip():
    pod = {"status": {"podIPs": [{"ip": "10.0.0.1"}]}}
    after = smp(pod, {"status": {"podIPs": [{"ip": "fd00::1"}]}}, "Pod")
    assert sorted(i["ip"] for i in after["status"]["podIPs"]) == ["10.0.0.1", "fd00::1"]


def test_unknown_kind_replaces_lists():
    obj = {"kind": "Widget", "spec": {"containers": [{"name": "a"}, {"name": "b"}], "template": {"spec": {
        "containers": [{"name": "a"}, {"name": "b"}]}}}}
    after = smp(obj, {"spec": {"containers": [{"name": "a", "image": "x"}],
                               "template": {"spec": {"containers": [{"name": "b", "image": "y"}]}}}}, "Widget")
    assert after["spec"]["containers"] == [{"name": "a", "image": "x"}]
    assert after["spec"]["template"]["spec"]["containers"] == [{"name": "b", "image": "y"}]


# -- maps and nulls ---------------------------------------------------------------------------


def test_null_deletes_a_label_and_maps_merge():
    after = smp(deployment(), {"metadata": {"labels": {"tier": None, "env": "prod"}}})
    assert after["metadata"]["labels"] == {"app": "web", "env": "prod"}


def test_null_for_a_missing_key_is_ignored_and_not_stored():
    after = smp(deployment(), {"metadata": {"labels": {"nope": None}, "annotations": {"a": None, "b": "1"}}})
    assert after["metadata"]["labels"] == {"app": "web", "tier": "be"}
    assert after["metadata"]["annotations"] == {"b": "1"}


def test_scalar_replaces_and_type_change_replaces():
    after = smp(deployment(), {"spec": {"replicas": 5, "selector": "oops"}})
    assert after["spec"]["replicas"] == 5 and after["spec"]["selector"] == "oops"


# -- directives -------------------------------------------------------------------------------


def test_patch_delete_list_item_removes_it_by_key():
    after = smp(deployment(), {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}}}})
    assert [c["name"] for c in pod_spec(after)["containers"]] == ["nginx"]


def test_patch_delete_items_together_with_changes():
    before = deployment([{"name": n, "image": "1"} for n in "abc"])
    after = smp(before, {"spec": {"template": {"spec": {"containers": [
        {"name": "a", "$patch": "delete"}, {"name": "c", "image": "2"}, {"name": "zz", "$patch": "delete"}]}}}})
    assert pod_spec(after)["containers"] == [{"name": "b", "image": "1"}, {"name": "c", "image": "2"}]


def test_patch_delete_on_a_map_deletes_it():
    before = deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})
    after = smp(before, {"spec": {"strategy": {"$patch": "delete"}}, "metadata": {"labels": {"$patch": "delete"}}})
    assert "strategy" not in after["spec"] and "labels" not in after["metadata"]
    assert smp({"a": 1}, {"$patch": "delete"}) == {}


def test_patch_replace_on_a_map_replaces_it_whole():
    after = smp(deployment(), {"metadata": {"labels": {"$patch": "replace", "only": "this"}}})
    assert after["metadata"]["labels"] == {"only": "this"}
    assert smp({"a": 1, "b": {"c": 1}}, {"$patch": "replace", "x": 2}) == {"x": 2}


def test_patch_replace_list_item_replaces_the_whole_list():
    after = smp(deployment(), {"spec": {"template": {"spec": {"containers": [
        {"name": "solo", "image": "x"}, {"$patch": "replace"}]}}}})
    assert pod_spec(after)["containers"] == [{"name": "solo", "image": "x"}]
    emptied = smp(deployment(), {"spec": {"template": {"spec": {"containers": [{"$patch": "replace"}]}}}})
    assert pod_spec(emptied)["containers"] == []


def test_retain_keys_clears_unlisted_fields():
    # kubectl-wire.md 8.1: switching strategy type.
    before = deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    after = smp(before, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert after["spec"]["strategy"] == {"type": "Recreate"}


def test_retain_keys_on_volume_items():
    before = deployment()
    pod_spec(before)["volumes"] = [{"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c"}}]
    after = smp(before, {"spec": {"template": {"spec": {"volumes": [
        {"name": "data", "$retainKeys": ["name", "persistentVolumeClaim"], "persistentVolumeClaim": {"claimName": "pvc"}}]}}}})
    assert pod_spec(after)["volumes"] == [
        {"name": "data", "persistentVolumeClaim": {"claimName": "pvc"}}, {"name": "cfg", "configMap": {"name": "c"}}]


def test_retain_keys_errors():
    before = deployment(strategy={"type": "RollingUpdate"})
    err = status_error(smp, before, {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}})
    assert err.code == 400 and err.reason == "BadRequest" and "retainKeys" in err.message
    err = status_error(smp, before, {"spec": {"strategy": {"$retainKeys": "type"}}})
    assert err.code == 400 and err.message == "invalid patch format of retainKeys"


def test_set_element_order_orders_merged_list_and_is_not_stored():
    before = deployment([{"name": n, "image": "1"} for n in "abc"])
    after = smp(before, {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
        "containers": [{"name": "a", "image": "2"}]}}}})
    assert pod_spec(after)["containers"] == [{"name": "c", "image": "1"}, {"name": "a", "image": "2"}, {"name": "b", "image": "1"}]
    assert not any(k.startswith("$") for k in pod_spec(after))


def test_set_element_order_from_kubectl_set_image_is_not_stored():
    # kubectl-wire.md 8.6, sent verbatim by `kubectl set image deployment/web nginx=nginx:1.27`.
    before = deployment([{"name": "nginx", "image": "nginx:1.26", "imagePullPolicy": "IfNotPresent"}])
    patch = {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                                            "containers": [{"image": "nginx:1.27", "name": "nginx"}]}}}}
    after = smp(before, patch)
    assert pod_spec(after) == {"containers": [{"name": "nginx", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent"}]}


def test_set_element_order_places_new_items_and_keeps_server_only_items():
    before = deployment([{"name": "a"}, {"name": "injected"}, {"name": "b"}])
    after = smp(before, {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "a"}, {"name": "new"}, {"name": "b"}],
        "containers": [{"name": "new", "image": "n"}]}}}})
    names = [c["name"] for c in pod_spec(after)["containers"]]
    assert names[0] == "a" and names.index("new") < names.index("b") and "injected" in names and len(names) == 4


def test_set_element_order_on_a_replaced_list_is_ignored_and_dropped():
    before = deployment([{"name": "app", "args": ["a", "b"]}])
    after = smp(before, {"spec": {"template": {"spec": {"containers": [{"name": "app",
        "$setElementOrder/args": ["b", "a"], "args": ["c"]}]}}}})
    assert pod_spec(after)["containers"] == [{"name": "app", "args": ["c"]}]


def test_set_element_order_for_finalizers():
    obj = {"metadata": {"finalizers": ["a", "b", "c"]}}
    after = smp(obj, {"metadata": {"$setElementOrder/finalizers": ["c", "a", "b", "d"], "finalizers": ["d"]}}, "Widget")
    assert after["metadata"]["finalizers"] == ["c", "a", "b", "d"]


def test_delete_from_primitive_list_finalizers():
    obj = {"metadata": {"name": "x", "finalizers": ["kubernetes.io/pvc-protection", "example.com/cleanup"]}}
    after = smp(obj, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["example.com/cleanup"]}}, "PersistentVolumeClaim")
    assert after == {"metadata": {"name": "x", "finalizers": ["kubernetes.io/pvc-protection"]}}
    # With additions and an order in the same patch; no directive is stored.
    after = smp(obj, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["kubernetes.io/pvc-protection"],
                                   "$setElementOrder/finalizers": ["example.com/cleanup", "z"], "finalizers": ["z"]}}, "Pod")
    assert after["metadata"] == {"name": "x", "finalizers": ["example.com/cleanup", "z"]}
    # Deleting from a list that is not there does not create it.
    assert smp({"metadata": {}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "Pod") == {"metadata": {}}


def test_directives_inside_a_value_added_whole_are_processed_not_stored():
    before = {"kind": "Deployment", "spec": {}}
    after = smp(before, {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                                  "template": {"spec": {"$setElementOrder/containers": [{"name": "a"}],
                                                        "containers": [{"name": "a", "env": [{"name": "X", "value": None}]}]}}}})
    assert after == {"kind": "Deployment", "spec": {"strategy": {"type": "Recreate"},
                                                     "template": {"spec": {"containers": [{"name": "a", "env": [{"name": "X"}]}]}}}}


# -- errors, purity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "patch, needle",
    [
        ({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}, "does not contain declared merge key: name"),
        ({"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}}, "merge key: name"),
        ({"spec": {"template": {"spec": {"containers": [{"name": "a", "$patch": "merge"}]}}}}, "merging lists cannot"),
        ({"spec": {"template": {"spec": {"containers": [{"name": "a", "$patch": "bogus"}]}}}}, "unknown patch type"),
        ({"metadata": {"labels": {"$patch": "explode"}}}, "unknown patch type"),
        ({"spec": {"template": {"spec": {"$setElementOrder/containers": "nginx"}}}}, "setElementOrder"),
        ({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}],
                                         "containers": [{"name": "nginx", "image": "x"}]}}}}, "doesn't match $setElementOrder"),
        ({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}, "primitive list"),
        ({"spec": {"template": {"spec": {"containers": ["nginx"]}}}}, "list element types are not identical"),
        ({"metadata": {"finalizers": [{"a": 1}]}}, "list element types are not identical"),
    ],
)
def test_malformed_patches_are_400(patch, needle):
    before = deployment()
    before["metadata"]["finalizers"] = ["f"]
    err = status_error(smp, before, patch)
    assert (err.code, err.reason) == (400, "BadRequest")
    assert needle in err.message


def test_inputs_are_not_modified_and_results_are_independent():
    before = deployment()
    patch = {"metadata": {"labels": {"tier": None}}, "spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
        "containers": [{"name": "sidecar", "$patch": "delete"}, {"name": "nginx", "env": [{"name": "A", "value": "1"}]}]}}}}
    before_copy, patch_copy = copy.deepcopy(before), copy.deepcopy(patch)
    first = smp(before, patch)
    assert before == before_copy and patch == patch_copy
    assert smp(before, patch) == first
    pod_spec(first)["containers"][0]["env"].append({"name": "B"})
    assert patch == patch_copy and before == before_copy


# -- dispatch -------------------------------------------------------------------------------


def test_patch_types_dispatch_each_kind_of_patch():
    before = deployment()
    assert set(PATCH_TYPES) == {"strategic", "merge", "json"}
    assert CONTENT_TYPES["application/strategic-merge-patch+json"] == "strategic"
    image = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "v2"}]}}}}
    assert apply_patch(before, image, "strategic", "Deployment") == smp(before, image)
    # The same document as a JSON merge patch replaces the containers list.
    merged = apply_patch(before, image, "merge", "Deployment")
    assert merged == json_merge_patch(before, image) and pod_spec(merged)["containers"] == [{"name": "nginx", "image": "v2"}]
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 3}]
    assert apply_patch(before, ops, "json", "Deployment") == json_patch(before, ops)
    assert PATCH_TYPES["json"](before, ops, "Deployment")["spec"]["replicas"] == 3


@pytest.mark.parametrize(
    "doc, patch_type, needle",
    [
        ({"op": "add"}, "json", "json: cannot unmarshal object into Go value of type jsonpatch.Patch"),
        ([{"a": 1}], "merge", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        ([], "strategic", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        ("x", "strategic", "json: cannot unmarshal string into Go value of type map[string]interface {}"),
        (None, "merge", "json: cannot unmarshal null into Go value of type map[string]interface {}"),
        ({}, "yaml", '--type must be one of [json merge strategic], not "yaml"'),
    ],
)
def test_apply_patch_rejects_wrong_document_shapes(doc, patch_type, needle):
    err = status_error(apply_patch, deployment(), doc, patch_type, "Deployment")
    assert (err.code, err.reason) == (400, "BadRequest")
    assert needle in err.message and "\n" not in err.message
