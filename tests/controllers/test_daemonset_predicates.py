"""DaemonSet predicates and helpers: k8s-semantics.md section 7 vectors and daemonset_util.go."""

import pytest

from engine.controllers.daemonset.predicates import new_pod, node_should_run
from engine.controllers.daemonset.util import (
    CONTROLLER_REVISION_HASH, TEMPLATE_GENERATION_LABEL, add_or_update_daemon_pod_tolerations, allows_surge,
    create_pod_template, is_pod_updated, replace_node_name_affinity, surge_count, target_node_name, template_generation,
    unavailable_count,
)
from engine.model.intstr import IntOrStringError


def ds(spec_extra=None, template_spec=None, annotations=None, strategy=None):
    tspec = {"containers": [{"name": "c", "image": "nginx"}], **(template_spec or {})}
    spec = {"selector": {"matchLabels": {"app": "d"}},
            "template": {"metadata": {"labels": {"app": "d"}}, "spec": tspec}}
    if strategy is not None:
        spec["updateStrategy"] = strategy
    spec.update(spec_extra or {})
    meta = {"name": "d", "namespace": "default", "uid": "ds-uid", "generation": 1}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta, "spec": spec}


def node(name="n1", taints=None, labels=None, ready="True", unschedulable=False):
    spec = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels or {}}, "spec": spec,
            "status": {"conditions": [{"type": "Ready", "status": ready}]}}


# --- NodeShouldRunDaemonPod (section 7 vectors) ---------------------------------------------------


def test_untolerated_no_schedule_taint_keeps_running_pods():
    n = node(taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
    assert node_should_run(n, ds()) == (False, True)


def test_untolerated_no_execute_taint_stops_everything():
    n = node(taints=[{"key": "dedicated", "value": "x", "effect": "NoExecute"}])
    assert node_should_run(n, ds()) == (False, False)


def test_cordoned_node_still_runs_daemon_pods():
    n = node(unschedulable=True, taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}])
    assert node_should_run(n, ds()) == (True, True)
    assert node_should_run(node(unschedulable=True), ds()) == (True, True)


@pytest.mark.parametrize("taint", [
    {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/disk-pressure", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "effect": "NoSchedule"},
])
def test_default_tolerations_cover_node_problem_taints(taint):
    assert node_should_run(node(taints=[taint]), ds()) == (True, True)


def test_network_unavailable_is_tolerated_only_with_host_network():
    n = node(taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}])
    assert node_should_run(n, ds()) == (False, True)
    assert node_should_run(n, ds(template_spec={"hostNetwork": True})) == (True, True)


def test_prefer_no_schedule_is_ignored():
    n = node(taints=[{"key": "k", "effect": "PreferNoSchedule"}])
    assert node_should_run(n, ds()) == (True, True)


def test_node_selector_mismatch():
    n = node(labels={"disk": "hdd"})
    assert node_should_run(n, ds(template_spec={"nodeSelector": {"disk": "ssd"}})) == (False, False)
    assert node_should_run(node(labels={"disk": "ssd"}), ds(template_spec={"nodeSelector": {"disk": "ssd"}})) == (True, True)


def test_template_node_name_must_be_the_node():
    assert node_should_run(node("n2"), ds(template_spec={"nodeName": "n1"})) == (False, False)
    assert node_should_run(node("n1"), ds(template_spec={"nodeName": "n1"})) == (True, True)


def test_required_node_affinity():
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]}}}
    d = ds(template_spec={"affinity": affinity})
    assert node_should_run(node(labels={"zone": "a"}), d) == (True, True)
    assert node_should_run(node(labels={"zone": "c"}), d) == (False, False)


def test_toleration_in_the_template_lets_it_run_on_the_control_plane():
    n = node(taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
    d = ds(template_spec={"tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                                           "effect": "NoSchedule"}]})
    assert node_should_run(n, d) == (True, True)


def test_conditions_count_as_the_taints_the_node_controller_would_add():
    # Ready=False -> not-ready:NoSchedule (not tolerated); Unknown -> unreachable:NoSchedule.
    assert node_should_run(node(ready="False"), ds()) == (False, True)
    assert node_should_run(node(ready="Unknown"), ds()) == (False, True)


# --- tolerations, template, labels ---------------------------------------------------------------


def test_user_toleration_with_seconds_is_replaced_by_the_infinite_one():
    spec = {"tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300}]}
    add_or_update_daemon_pod_tolerations(spec)
    assert spec["tolerations"] == [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
        {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
    ]


def test_host_network_adds_network_unavailable_and_is_idempotent():
    spec = {"hostNetwork": True}
    add_or_update_daemon_pod_tolerations(spec)
    once = list(spec["tolerations"])
    add_or_update_daemon_pod_tolerations(spec)
    assert spec["tolerations"] == once and len(once) == 7
    assert once[-1] == {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}


def test_new_pod_is_bound_to_the_node_with_the_tolerations():
    pod = new_pod(ds(), "n7")
    assert pod["spec"]["nodeName"] == "n7" and pod["metadata"]["namespace"] == "default"
    assert len(pod["spec"]["tolerations"]) == 6


def test_create_pod_template_labels():
    tmpl = ds()["spec"]["template"]
    out = create_pod_template(tmpl, 3, "abc")
    assert out["metadata"]["labels"] == {"app": "d", TEMPLATE_GENERATION_LABEL: "3", CONTROLLER_REVISION_HASH: "abc"}
    assert "tolerations" not in tmpl["spec"]  # the DaemonSet's template is not touched
    assert create_pod_template(tmpl, None, "abc")["metadata"]["labels"] == {"app": "d", CONTROLLER_REVISION_HASH: "abc"}


def test_template_generation_annotation():
    assert template_generation(ds()) is None
    assert template_generation(ds(annotations={"deprecated.daemonset.template.generation": "4"})) == 4
    assert template_generation(ds(annotations={"deprecated.daemonset.template.generation": "x"})) is None


def test_is_pod_updated_by_hash_or_generation():
    pod = {"metadata": {"labels": {CONTROLLER_REVISION_HASH: "h1", TEMPLATE_GENERATION_LABEL: "2"}}}
    assert is_pod_updated(pod, "h1", None)
    assert is_pod_updated(pod, "h2", 2)
    assert not is_pod_updated(pod, "h2", 3)
    assert not is_pod_updated(pod, "", None)


def test_replace_node_name_affinity():
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}
    assert replace_node_name_affinity(None, "n1") == {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}
    existing = {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]},
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["old"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {}}]},
        "podAntiAffinity": {}}
    out = replace_node_name_affinity(existing, "n1")
    assert out["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {"nodeSelectorTerms": [term]}
    assert out["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] == [{"weight": 1, "preference": {}}]
    assert out["podAntiAffinity"] == {}
    assert existing["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][1][
        "matchFields"][0]["values"] == ["old"]  # not modified in place


def test_target_node_name():
    assert target_node_name({"spec": {"nodeName": "a"}}) == "a"
    assert target_node_name({"spec": {"affinity": replace_node_name_affinity(None, "b")}}) == "b"
    two = {"spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a", "b"]}]}]}}}}}
    assert target_node_name(two) is None
    assert target_node_name({"spec": {}}) is None


def test_surge_and_unavailable_counts():
    rolling = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 0}}
    assert unavailable_count(ds(strategy=rolling), 10) == 3  # rounds up
    assert surge_count(ds(strategy=rolling), 10) == 0 and not allows_surge(ds(strategy=rolling))
    surge = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "10%"}}
    assert surge_count(ds(strategy=surge), 15) == 2 and allows_surge(ds(strategy=surge))
    on_delete = {"type": "OnDelete"}
    assert surge_count(ds(strategy=on_delete), 10) == 0 and unavailable_count(ds(strategy=on_delete), 10) == 0
    with pytest.raises(IntOrStringError):
        unavailable_count(ds(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "x"}}), 10)
