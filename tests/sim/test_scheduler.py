"""The scheduler: filter and score vectors, the unschedulable verdict, binding and retries."""

from __future__ import annotations

import pytest

from engine.client import Client, must
from engine.controllers import scheduler as s
from engine.registry import resolve
from log_tools.printers import table
from tests.sim import START, condition, entries, events_for, get_pod, pod, sim  # noqa: F401  (fixture)

CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def node(name="n", cpu="4", memory="8Gi", pods="110", labels=None, taints=None, ready="True", unschedulable=False) -> dict:
    spec: dict = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": spec, "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
                                     "conditions": [{"type": "Ready", "status": ready}]}}


# --- tolerations -----------------------------------------------------------------------------------


@pytest.mark.parametrize("toleration, taint, expected", [
    ({"key": "a", "operator": "Equal", "value": "1", "effect": "NoSchedule"}, {"key": "a", "value": "1", "effect": "NoSchedule"}, True),
    ({"key": "a", "value": "1"}, {"key": "a", "value": "1", "effect": "NoExecute"}, True),  # empty effect, default Equal
    ({"key": "a", "value": "2", "effect": "NoSchedule"}, {"key": "a", "value": "1", "effect": "NoSchedule"}, False),
    ({"key": "a", "operator": "Exists", "effect": "NoSchedule"}, {"key": "a", "value": "1", "effect": "NoSchedule"}, True),
    ({"key": "a", "operator": "Exists", "effect": "NoExecute"}, {"key": "a", "effect": "NoSchedule"}, False),
    ({"operator": "Exists"}, {"key": "anything", "value": "x", "effect": "NoExecute"}, True),  # empty key + Exists
    ({"operator": "Exists", "effect": "NoSchedule"}, {"key": "k", "effect": "NoExecute"}, False),
    ({"key": "b", "operator": "Exists"}, {"key": "a", "effect": "NoSchedule"}, False),
    ({"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}, CONTROL_PLANE, True),
    ({"key": "a", "operator": "Equal"}, {"key": "a", "effect": "NoSchedule"}, True),  # empty values are equal
    ({"key": "a", "operator": "Lt", "value": "1"}, {"key": "a", "value": "1", "effect": "NoSchedule"}, False),
])
def test_toleration_matching_follows_upstream(toleration, taint, expected):
    assert s.tolerates(toleration, taint) is expected


def test_not_ready_nodes_carry_the_lifecycle_controllers_taints():
    assert s.effective_taints(node(ready="False")) == [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
    assert s.effective_taints(node(ready="Unknown")) == [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}]
    missing = node()
    missing["status"]["conditions"] = []
    assert s.effective_taints(missing) == [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
    assert s.effective_taints(node(taints=[CONTROL_PLANE])) == [CONTROL_PLANE]


# --- node affinity -----------------------------------------------------------------------------------


def _affinity(*terms) -> dict:
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}}}


@pytest.mark.parametrize("spec, expected", [
    ({"nodeSelector": {"disk": "ssd"}}, True),
    ({"nodeSelector": {"disk": "hdd"}}, False),
    ({"nodeSelector": {"gpu": "yes"}}, False),
    (_affinity({"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd", "nvme"]}]}), True),
    (_affinity({"matchExpressions": [{"key": "disk", "operator": "NotIn", "values": ["ssd"]}]}), False),
    (_affinity({"matchExpressions": [{"key": "gpu", "operator": "NotIn", "values": ["yes"]}]}), True),  # absent key
    (_affinity({"matchExpressions": [{"key": "disk", "operator": "Exists"}]}), True),
    (_affinity({"matchExpressions": [{"key": "disk", "operator": "DoesNotExist"}]}), False),
    (_affinity({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}), True),
    (_affinity({"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["8"]}]}), True),
    (_affinity({"matchExpressions": [{"key": "cores", "operator": "Lt", "values": ["8"]}]}), False),
    (_affinity({"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]},
                                     {"key": "zone", "operator": "In", "values": ["b"]}]}), False),  # ANDed
    (_affinity({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
               {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}), True),  # terms ORed
    (_affinity({}), False),  # an empty term matches nothing
    (_affinity({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]}), True),
    ({**_affinity({"matchExpressions": [{"key": "disk", "operator": "Exists"}]}), "nodeSelector": {"zone": "b"}}, False),
])
def test_node_selector_and_required_affinity(spec, expected):
    n = node(labels={"disk": "ssd", "zone": "a", "cores": "16"})
    assert s.node_matches_pod({"spec": spec}, n) is expected


# --- resources -----------------------------------------------------------------------------------------


def _c(cpu=None, memory=None, **extra):
    req = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {"name": "c", "resources": {"requests": req}, **extra}


def test_pod_requests_sum_containers_and_take_the_largest_init_container():
    spec = {"containers": [_c("250m", "64Mi"), _c("250m", "64Mi")], "initContainers": [_c("1", "32Mi")]}
    assert s.pod_requests(spec) == {"cpu": 1000, "memory": 128 * 1024 * 1024}


def test_pod_requests_count_sidecars_and_overhead():
    spec = {"containers": [_c("100m")], "initContainers": [_c("200m", restartPolicy="Always"), _c("250m")],
            "overhead": {"cpu": "10m"}}
    # sidecar runs with the containers (100 + 200); the later init container runs next to it (250 + 200)
    assert s.pod_requests(spec) == {"cpu": 460}


def test_non_zero_requests_default_to_100m_and_200Mi():
    assert s.pod_requests({"containers": [_c(), _c("1")]}, non_zero=True) == {"cpu": 1100, "memory": 400 * 1024 * 1024}


def test_least_allocated_upstream_vectors():
    # upstream TestLeastAllocatedScoringStrategy "nothing scheduled, resources requested, differently sized nodes"
    p = {"spec": {"containers": [_c("1000m", "2000"), _c("2000m", "3000")]}}
    assert s.least_allocated_score(p, s.NodeInfo(node("node1", cpu="4", memory="10000"))) == 37
    assert s.least_allocated_score(p, s.NodeInfo(node("node2", cpu="6", memory="10000"))) == 50
    # nothing requested: the non-zero defaults count (100m of 4 cpu, 200Mi of 8Gi)
    assert s.least_allocated_score({"spec": {"containers": [_c()]}}, s.NodeInfo(node())) == 97


def test_least_allocated_counts_what_is_already_on_the_node():
    info = s.NodeInfo(node())
    info.add({"spec": {"containers": [_c("1", "1Gi")]}})
    # cpu (4000 - 1500) * 100 // 4000 = 62, memory (8Gi - 2Gi) * 100 // 8Gi = 75 -> (62 + 75) // 2
    assert s.least_allocated_score({"spec": {"containers": [_c("500m", "1Gi")]}}, info) == 68


def test_fit_reports_every_insufficient_resource_and_the_pod_count():
    info = s.NodeInfo(node(pods="1"))
    info.add({"spec": {"containers": [_c("3", "7Gi")]}})
    assert s.filter_node({"spec": {"containers": [_c("2", "2Gi")]}}, info) == (
        s.UNSCHEDULABLE, ["Too many pods", "Insufficient cpu", "Insufficient memory"])


def test_filters_stop_at_the_first_failure_in_plugin_order():
    cordoned = s.NodeInfo(node(unschedulable=True, taints=[CONTROL_PLANE], labels={}))
    assert s.filter_node({"spec": {"containers": [_c("64")], "nodeSelector": {"x": "y"}}}, cordoned) == (
        s.UNRESOLVABLE, ["node(s) were unschedulable"])
    tolerant = {"spec": {"containers": [_c()], "tolerations": [{"operator": "Exists"}]}}
    assert s.filter_node(tolerant, cordoned) is None  # tolerating everything includes node.kubernetes.io/unschedulable


# --- the unschedulable verdict -------------------------------------------------------------------------


def test_three_nodes_with_a_tainted_master_and_full_workers(sim):
    client = Client(sim)
    must(client.create(pod("big-1", cpu="3")))
    must(client.create(pod("big-2", cpu="3")))
    must(client.create(pod("big-3", cpu="3")))
    placed = {get_pod(sim, n)["spec"].get("nodeName") for n in ("big-1", "big-2")}
    assert placed == {"node1", "node2"}
    stuck = get_pod(sim, "big-3")
    message = ("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
               "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
               "2 No preemption victims found for incoming pod.")
    assert "nodeName" not in stuck["spec"]
    assert stuck["status"]["phase"] == "Pending"
    assert stuck["status"]["conditions"] == [{"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                                             "lastTransitionTime": "2026-01-01T00:00:00Z", "reason": "Unschedulable",
                                             "message": message}]
    (event,) = events_for(sim, "big-3")
    assert (event["type"], event["reason"], event["message"], event["source"]) == (
        "Warning", "FailedScheduling", message, {"component": "default-scheduler"})
    assert event["metadata"]["name"].startswith("big-3.")
    # The verdict is recorded by the scheduler's own identity.
    (status_write,) = [e for e in entries(sim) if e.request.subresource == "status" and e.request.name == "big-3"]
    assert (status_write.request.user, status_write.request.groups) == ("system:kube-scheduler", ("system:authenticated",))


def test_a_deleted_pod_frees_room_and_the_pending_pod_is_bound(sim):
    client = Client(sim)
    for i in (1, 2, 3):
        must(client.create(pod(f"big-{i}", cpu="3")))
    freed = get_pod(sim, "big-1")["spec"]["nodeName"]
    must(client.delete("pods", "big-1"))
    bound = get_pod(sim, "big-3")
    assert bound["spec"]["nodeName"] == freed
    assert condition(bound, "PodScheduled")["status"] == "True"
    reasons = [e["reason"] for e in events_for(sim, "big-3")]
    assert reasons == ["FailedScheduling", "Scheduled"]


def test_a_finished_pod_frees_room_too(sim):
    client = Client(sim)
    must(client.create(pod("job", "busybox", command=["sleep", "5"], restart="Never", cpu="3", nodeSelector={"kubernetes.io/hostname": "node1"})))
    must(client.create(pod("waiting", cpu="3", nodeSelector={"kubernetes.io/hostname": "node1"})))
    assert "nodeName" not in get_pod(sim, "waiting")["spec"]
    sim.advance(6_000_000)  # starts at 1 s, sleeps 5 s: Succeeded at 6 s
    assert get_pod(sim, "job")["status"]["phase"] == "Succeeded"
    assert get_pod(sim, "waiting")["spec"]["nodeName"] == "node1"


def test_an_unchanged_verdict_is_not_written_again(sim):
    client = Client(sim)
    must(client.create(pod("nowhere", nodeSelector={"disk": "ssd"})))
    before = get_pod(sim, "nowhere")["metadata"]["resourceVersion"]
    must(client.patch("nodes", "node2", {"metadata": {"labels": {"zone": "b"}}}, "", "merge"))  # a node change: retried
    assert get_pod(sim, "nowhere")["metadata"]["resourceVersion"] == before
    assert len(events_for(sim, "nowhere")) == 1
    must(client.patch("nodes", "node2", {"metadata": {"labels": {"disk": "ssd"}}}, "", "merge"))
    assert get_pod(sim, "nowhere")["spec"]["nodeName"] == "node2"


def test_node_selector_message_counts_the_taint_first(sim):
    must(Client(sim).create(pod("picky", nodeSelector={"disk": "ssd"})))
    msg = condition(get_pod(sim, "picky"), "PodScheduled")["message"]
    assert msg == ("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
                   "2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: "
                   "3 Preemption is not helpful for scheduling.")


def test_preemption_policy_never_is_named(sim):
    must(Client(sim).create(pod("huge", cpu="64", preemptionPolicy="Never")))
    msg = condition(get_pod(sim, "huge"), "PodScheduled")["message"]
    assert msg == ("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
                   "2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.")


def test_tolerations_open_the_master(sim):
    client = Client(sim)
    must(client.create(pod("on-master", tolerations=[{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
                                                      "effect": "NoSchedule"}],
                           nodeSelector={"node-role.kubernetes.io/control-plane": ""})))
    assert get_pod(sim, "on-master")["spec"]["nodeName"] == "k8s-master"
    must(client.create(pod("anywhere", tolerations=[{"operator": "Exists"}])))
    # every node scores the same for the first pod there; ties go to the first name
    assert get_pod(sim, "anywhere")["spec"]["nodeName"] == "node1"


def test_required_affinity_places_the_pod(sim):
    client = Client(sim)
    must(client.patch("nodes", "node2", {"metadata": {"labels": {"disk": "ssd"}}}, "", "merge"))
    must(client.create(pod("ssd", **_affinity({"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}))))
    assert get_pod(sim, "ssd")["spec"]["nodeName"] == "node2"


def test_cordoned_and_not_ready_nodes_are_skipped(sim):
    client = Client(sim)
    must(client.patch("nodes", "node1", {"spec": {"unschedulable": True}}, "", "merge"))
    n2 = must(client.get("nodes", "node2", ""))
    n2["status"]["conditions"] = [dict(c, status="False", reason="KubeletNotReady") if c["type"] == "Ready" else c
                                  for c in n2["status"]["conditions"]]
    must(client.update(n2, subresource="status"))
    must(client.create(pod("homeless")))
    assert condition(get_pod(sim, "homeless"), "PodScheduled")["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    must(client.patch("nodes", "node1", {"spec": {"unschedulable": None}}, "", "merge"))
    assert get_pod(sim, "homeless")["spec"]["nodeName"] == "node1"


def test_pod_count_is_a_filter():
    from tests.sim import assert_verified, boot

    c = boot(node_pods="2")
    client = Client(c)
    for i in range(5):
        must(client.create(pod(f"p{i}")))
    nodes = [get_pod(c, f"p{i}")["spec"].get("nodeName") for i in range(5)]
    assert sorted(n for n in nodes if n) == ["node1", "node1", "node2", "node2"]
    assert condition(get_pod(c, "p4"), "PodScheduled")["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Too many pods. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod.")
    assert_verified(c)


def test_pods_without_requests_spread_by_least_allocated(sim):
    client = Client(sim)
    for i in range(4):
        must(client.create(pod(f"web-{i}")))
    assert [get_pod(sim, f"web-{i}")["spec"]["nodeName"] for i in range(4)] == ["node1", "node2", "node1", "node2"]


def test_a_burst_is_scheduled_in_one_pass_in_queue_order(sim):
    from engine.records import Request

    body = lambda n, prio: {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": n},  # noqa: E731
                            "spec": {"priority": prio, "containers": [{"name": "c", "image": "nginx",
                                                                       "resources": {"requests": {"cpu": "3"}}}]}}
    sim.submit_batch([Request(verb="create", resource="pods", namespace="default", body=body(n, p), user="kubernetes-admin",
                              groups=("system:masters",)) for n, p in (("low", 0), ("high", 1000), ("mid", 10))])
    # higher priority first: high and mid get the two workers, low waits
    assert get_pod(sim, "high")["spec"]["nodeName"] == "node1"
    assert get_pod(sim, "mid")["spec"]["nodeName"] == "node2"
    assert "nodeName" not in get_pod(sim, "low")["spec"]
    binds = [e.request.name for e in entries(sim) if e.request.subresource == "binding"]
    assert binds == ["high", "mid"]


def test_binding_request_event_and_wide_columns(sim):
    must(Client(sim).create(pod("nginx")))
    (bind,) = [e for e in entries(sim) if e.request.subresource == "binding"]
    assert bind.request.verb == "create" and bind.request.user == "system:kube-scheduler"
    assert bind.request.body == {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "nginx", "namespace": "default"},
                                 "target": {"apiVersion": "v1", "kind": "Node", "name": "node1"}}
    (event,) = events_for(sim, "nginx")
    assert (event["type"], event["reason"], event["message"], event["source"]["component"]) == (
        "Normal", "Scheduled", "Successfully assigned default/nginx to node1", "default-scheduler")
    p = get_pod(sim, "nginx")
    rt = resolve("pods")
    headers = table.columns(rt, wide=True)
    (row,) = table.rows(rt, [p], START / 1e6, wide=True)
    cells = dict(zip(headers, row))
    assert (cells["NODE"], cells["IP"], cells["STATUS"], cells["NOMINATED NODE"]) == ("node1", "10.244.1.2", "ContainerCreating", "<none>")


def test_pods_for_another_scheduler_or_gated_are_left_alone(sim):
    client = Client(sim)
    must(client.create(pod("other", schedulerName="my-scheduler")))
    must(client.create(pod("gated", schedulingGates=[{"name": "example.com/wait"}])))
    for n in ("other", "gated"):
        p = get_pod(sim, n)
        assert "nodeName" not in p["spec"] and condition(p, "PodScheduled") is None


def test_no_nodes_at_all_is_a_scheduler_error():
    from tests.sim import assert_verified, boot

    c = boot(nodes=0)
    client = Client(c)
    must(client.delete("nodes", "k8s-master", ""))
    must(client.create(pod("lonely")))
    cond = condition(get_pod(c, "lonely"), "PodScheduled")
    assert (cond["reason"], cond["message"]) == ("SchedulerError", "no nodes available to schedule pods")
    assert_verified(c)
