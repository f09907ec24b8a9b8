"""k8s-semantics.md s8: QoS class (upstream TestComputePodQOS + derived cases) and OOM score adjust."""

import pytest

from engine.model.qos import oom_score_adj, qos_class
from reducers.defaults import apply_defaults


def c(req=None, lim=None, name="c"):
    """c(req_cpu, req_mem / lim_cpu, lim_mem); None leaves a side unset."""
    res = {}
    if req:
        res["requests"] = {k: v for k, v in zip(("cpu", "memory"), req) if v is not None}
    if lim:
        res["limits"] = {k: v for k, v in zip(("cpu", "memory"), lim) if v is not None}
    return {"name": name, "image": "nginx", "resources": res}


def spec(*containers, init=()):
    return {"containers": list(containers), **({"initContainers": list(init)} if init else {})}


G, B, BE = "Guaranteed", "Burstable", "BestEffort"
VECTORS = [
    (spec(c(("100m", "100Mi"), ("100m", "100Mi"))), G),
    (spec(c(("100m", "100Mi"), ("100m", "100Mi")), c(("100m", "100Mi"), ("100m", "100Mi"))), G),
    (spec(c()), BE),
    (spec(c(), c()), BE),
    (spec(c(), c(("1", None), ("2", None))), B),
    (spec(c(), c(("10m", "100Mi"), ("10m", "100Mi"))), B),
    (spec(c((None, "100Mi"), (None, "100Mi"))), B),
    (spec(c(("100m", "100Mi"))), B),
    (spec(c(("1", "100Mi"), ("2", "100Mi")), c(("100m", "100Mi"), ("100m", "100Mi"))), B),
    (spec(c(("100m", "100Mi"), ("200m", "200Mi")), c(("100m", "100Mi"))), B),
    (spec(c(("10m", "100Mi"), ("100m", "200Mi"))), B),
    (spec(c(("0", "0"), ("100m", "200Mi"))), B),
    (spec({"name": "h", "resources": {"requests": {"hugepages-2Mi": "1Gi", "cpu": "0", "memory": "0"},
                                      "limits": {"hugepages-2Mi": "1Gi", "cpu": "0", "memory": "0"}}}), BE),
    (spec(c(), init=[c(("10m", "100Mi"), ("100m", "200Mi"))]), B),
    # derived
    (spec(c(("1", "1Gi"), ("1", "1Gi")), init=[c()]), B),
    (spec(c(("1", "1Gi"), ("1", "1Gi")), init=[c(("1", "1Gi"), ("1", "1Gi"))]), G),
    (spec(c(("2", None), ("2", None))), B),
    (spec(c(None, ("1", "1Gi"))), B),  # the raw spec: limits only
]


@pytest.mark.parametrize("pod_spec,want", VECTORS)
def test_compute_pod_qos(pod_spec, want):
    assert qos_class(pod_spec) == want


def test_limits_only_is_guaranteed_after_api_defaulting():
    pod = apply_defaults({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec(c(None, ("1", "1Gi")))})
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert qos_class(pod["spec"]) == G


def _pod(container, **extra):
    return {"spec": {"containers": [container], **extra}}


def _defaulted(container):
    pod = apply_defaults({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [container]}})
    return pod, pod["spec"]["containers"][0]


@pytest.mark.parametrize("container,capacity,want", [
    ({"name": "a", "resources": {"limits": {"cpu": "10"}}}, 4_000_000_000, 999),  # cpu limit only
    ({"name": "a", "resources": {"limits": {"memory": "0"}}}, 8_000_000_000, 1000),  # BestEffort
    ({"name": "a", "resources": {}}, 8_000_000_000, 1000),
    ({"name": "a", "resources": {"requests": {"cpu": "1", "memory": "1G"}, "limits": {"cpu": "1", "memory": "1G"}}}, 8_000_000_000, -997),
    ({"name": "a", "resources": {"requests": {"memory": "4000000000"}}}, 8_000_000_000, 500),
    ({"name": "a", "resources": {"requests": {"memory": "7999999999"}}}, 8_000_000_000, 3),
])
def test_oom_score_adjust(container, capacity, want):
    pod, ctr = _defaulted(container)
    assert oom_score_adj(pod, ctr, capacity) == want


def test_oom_score_adjust_memory_limit_without_request_as_upstream_builds_it():
    # upstream's test pod is not API-defaulted: memory limit 10G, cpu request 0, no memory request
    ctr = {"name": "a", "resources": {"limits": {"memory": "10G"}, "requests": {"cpu": "0"}}}
    assert oom_score_adj(_pod(ctr), ctr, 8_000_000_000) == 999


def test_oom_score_adjust_critical_pods():
    ctr = {"name": "a", "resources": {"requests": {"memory": "1Gi"}}}
    assert oom_score_adj(_pod(ctr, priority=2_000_000_000), ctr, 8_000_000_000) == -997
    assert oom_score_adj(_pod(ctr, priorityClassName="system-node-critical"), ctr, 8_000_000_000) == -997


def test_container_oom_scores_for_the_seed_pods_on_an_8gi_node():
    from engine.model.qos import container_oom_scores

    node = {"status": {"capacity": {"memory": "8Gi"}}}
    guaranteed = {"spec": {"containers": [c(("700m", "200Mi"), ("700m", "200Mi"), name="qos-demo-ctr")]}}
    burstable = {"spec": {"containers": [c((None, "100Mi"), (None, "200Mi"), name="qos-demo-2-ctr")]}}
    best_effort = {"spec": {"containers": [c(name="qos-demo-3-ctr")]}}
    assert container_oom_scores(guaranteed, node) == {"qos-demo-ctr": -997}
    # 1000 - 1000 * 100Mi // 8Gi = 1000 - 12 = 988
    assert container_oom_scores(burstable, node) == {"qos-demo-2-ctr": 988}
    assert container_oom_scores(best_effort, node) == {"qos-demo-3-ctr": 1000}
