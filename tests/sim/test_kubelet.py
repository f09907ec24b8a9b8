"""Simulated kubelets: status shapes, timing, restarts, probes, faults, deletion, addresses."""

from __future__ import annotations

import pytest

from engine.client import Client, must
from engine.kubelet_sim import behaviour as b
from engine.kubelet_sim import faults, ipam
from engine.kubelet_sim import status as st
from engine.registry import resolve
from log_tools.printers import table
from tests.sim import (SECOND, START, advance_to, assert_verified, boot, condition, container_status, entries, get_pod,
                       pod, sim)  # noqa: F401  (fixture)

T0, T1 = "2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z"


def pod_status_cell(c, name: str) -> list:
    rt = resolve("pods")
    (row,) = table.rows(rt, [get_pod(c, name)], c.head().at / 1e6, wide=True)
    return dict(zip(table.columns(rt, wide=True), row))


def kubelet_writes(c, name: str) -> list:
    return [e for e in entries(c) if e.request.name == name and e.request.subresource == "status"
            and e.request.user.startswith("system:node:")]


# --- status shapes -------------------------------------------------------------------------------


def test_status_after_bind_is_pending_container_creating(sim):
    must(Client(sim).create(pod("nginx")))
    p = get_pod(sim, "nginx")
    assert p["status"] == {
        "phase": "Pending",
        "hostIP": "172.18.0.3", "hostIPs": [{"ip": "172.18.0.3"}],
        "podIP": "10.244.1.2", "podIPs": [{"ip": "10.244.1.2"}],
        "startTime": T0, "qosClass": "BestEffort",
        "conditions": [
            {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": None, "lastTransitionTime": T0},
            {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": T0},
            {"type": "Ready", "status": "False", "reason": "ContainersNotReady", "message": "containers with unready status: [nginx]",
             "lastProbeTime": None, "lastTransitionTime": T0},
            {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
             "message": "containers with unready status: [nginx]", "lastProbeTime": None, "lastTransitionTime": T0},
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": T0},
        ],
        "containerStatuses": [{"name": "nginx", "image": "nginx", "imageID": "", "ready": False, "restartCount": 0,
                               "started": False, "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}}],
    }
    (write,) = kubelet_writes(sim, "nginx")
    assert (write.request.verb, write.request.user, write.request.groups) == (
        "update", "system:node:node1", ("system:nodes", "system:authenticated"))


def test_status_after_one_second_is_running_and_ready(sim):
    must(Client(sim).create(pod("nginx")))
    sim.advance(999_999)
    assert get_pod(sim, "nginx")["status"]["phase"] == "Pending"
    sim.advance(1)
    p = get_pod(sim, "nginx")
    cs = container_status(p)
    uid = p["metadata"]["uid"]
    assert cs == {"name": "nginx", "image": "docker.io/library/nginx:latest", "imageID": st.image_id("nginx"),
                  "containerID": st.container_id(uid, "nginx", 0), "ready": True, "restartCount": 0, "started": True,
                  "state": {"running": {"startedAt": T1}}, "lastState": {}}
    assert cs["containerID"].startswith("containerd://") and len(cs["containerID"]) == len("containerd://") + 64
    assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert p["status"]["phase"] == "Running"
    assert [(c["type"], c["status"], c["lastTransitionTime"]) for c in p["status"]["conditions"]] == [
        ("PodReadyToStartContainers", "True", T0), ("Initialized", "True", T0), ("Ready", "True", T1),
        ("ContainersReady", "True", T1), ("PodScheduled", "True", T0)]
    assert all("reason" not in c for c in p["status"]["conditions"])
    assert pod_status_cell(sim, "nginx")["READY"] == "1/1"


def test_ids_are_derived_from_the_pod_and_image():
    assert st.normalize_image("nginx") == "docker.io/library/nginx:latest"
    assert st.normalize_image("wangyanglinux/myapp:v1") == "docker.io/wangyanglinux/myapp:v1"
    assert st.normalize_image("registry.cn-beijing.aliyuncs.com/dotbalo/busybox") == "registry.cn-beijing.aliyuncs.com/dotbalo/busybox:latest"
    assert st.normalize_image("localhost:5000/app:1") == "localhost:5000/app:1"
    assert st.container_id("u", "c", 0) != st.container_id("u", "c", 1)
    assert st.image_id("nginx") == st.image_id("docker.io/library/nginx:latest")


@pytest.mark.parametrize("resources, expected", [
    ({}, "BestEffort"),
    ({"requests": {"cpu": "100m"}}, "Burstable"),
    ({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}, "Guaranteed"),
    ({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1Gi"}}, "Burstable"),
    ({"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}, "Burstable"),
])
def test_qos_class(resources, expected):
    assert st.qos_class({"containers": [{"name": "c", "resources": resources}]}) == expected


def test_declared_startup_delay(sim):
    must(Client(sim).create(pod("slow", annotations={b.STARTUP_DELAY: "5s"})))
    advance_to(sim, 4.9)
    assert container_status(get_pod(sim, "slow"))["state"] == {"waiting": {"reason": "ContainerCreating"}}
    advance_to(sim, 5)
    assert container_status(get_pod(sim, "slow"))["state"] == {"running": {"startedAt": "2026-01-01T00:00:05Z"}}


# --- readiness ---------------------------------------------------------------------------------------------


def test_readiness_probe_initial_delay_is_honoured(sim):
    probe = {"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 5, "periodSeconds": 3}
    must(Client(sim).create(pod("probed", readinessProbe=probe)))
    advance_to(sim, 1)
    p = get_pod(sim, "probed")
    assert p["status"]["phase"] == "Running" and container_status(p)["ready"] is False
    assert condition(p, "Ready")["status"] == "False"
    advance_to(sim, 5.999)
    assert container_status(get_pod(sim, "probed"))["ready"] is False
    advance_to(sim, 6)  # started at 1 s + initialDelaySeconds 5
    p = get_pod(sim, "probed")
    assert container_status(p)["ready"] is True
    assert condition(p, "Ready") == {"type": "Ready", "status": "True", "lastProbeTime": None,
                                     "lastTransitionTime": "2026-01-01T00:00:06Z"}


def test_unready_fault_follows_the_probe_period_and_failure_threshold(sim):
    client = Client(sim)
    probe = {"exec": {"command": ["true"]}, "initialDelaySeconds": 2, "periodSeconds": 10, "failureThreshold": 3}
    must(client.create(pod("probed", readinessProbe=probe)))
    advance_to(sim, 3)  # started 1 s, first probe 3 s
    assert container_status(get_pod(sim, "probed"))["ready"] is True
    advance_to(sim, 5)
    must(client.patch("pods", "probed", {"metadata": {"annotations": {faults.UNREADY: "2026-01-01T00:00:05Z"}}}, patch_type="merge"))
    # failing probes at 13, 23, 33 s: unready at the third
    advance_to(sim, 32.9)
    assert container_status(get_pod(sim, "probed"))["ready"] is True
    advance_to(sim, 33)
    p = get_pod(sim, "probed")
    assert container_status(p)["ready"] is False and condition(p, "Ready")["reason"] == "ContainersNotReady"
    advance_to(sim, 40)
    ended = faults.unready_value("2026-01-01T00:00:05Z", "2026-01-01T00:00:40Z")
    must(client.patch("pods", "probed", {"metadata": {"annotations": {faults.UNREADY: ended}}}, patch_type="merge"))
    assert container_status(get_pod(sim, "probed"))["ready"] is False
    advance_to(sim, 42.9)
    assert container_status(get_pod(sim, "probed"))["ready"] is False
    advance_to(sim, 43)  # next probe tick succeeds (successThreshold 1)
    assert container_status(get_pod(sim, "probed"))["ready"] is True


def test_a_fault_shorter_than_the_failure_threshold_changes_nothing(sim):
    client = Client(sim)
    probe = {"exec": {"command": ["true"]}, "periodSeconds": 10}
    must(client.create(pod("probed", readinessProbe=probe)))
    advance_to(sim, 2)
    blip = faults.unready_value("2026-01-01T00:00:02Z", "2026-01-01T00:00:25Z")  # fails at 11 and 21 only
    must(client.patch("pods", "probed", {"metadata": {"annotations": {faults.UNREADY: blip}}}, patch_type="merge"))
    advance_to(sim, 60)
    assert container_status(get_pod(sim, "probed"))["ready"] is True
    assert len(kubelet_writes(sim, "probed")) == 2  # ContainerCreating, Running+ready


def test_a_step_due_while_the_node_was_down_is_taken_when_it_returns(sim):
    client = Client(sim)
    probe = {"exec": {"command": ["true"]}, "initialDelaySeconds": 10}
    must(client.create(pod("probed", readinessProbe=probe, nodeName="node1")))
    must(client.create(pod("crash", "busybox", command=["false"], nodeName="node1")))
    advance_to(sim, 5)
    assert container_status(get_pod(sim, "crash"))["state"]["waiting"]["reason"] == "CrashLoopBackOff"  # restart due at 11
    must(client.patch("nodes", "node1", {"metadata": {"annotations": {faults.NODE_DOWN: "t"}}}, "", "merge"))
    advance_to(sim, 20)  # readiness was due at 11, the restart at 11: nobody looked
    assert container_status(get_pod(sim, "probed"))["ready"] is False
    assert container_status(get_pod(sim, "crash"))["restartCount"] == 1
    must(client.patch("nodes", "node1", {"metadata": {"annotations": {faults.NODE_DOWN: None}}}, "", "merge"))
    assert container_status(get_pod(sim, "probed"))["ready"] is True
    cs = container_status(get_pod(sim, "crash"))
    assert cs["restartCount"] == 2 and cs["state"]["waiting"]["message"].startswith("back-off 20s")
    advance_to(sim, 40)  # the crash loop's own timer carries on: next restart 20 s after the failure at 20 s
    assert container_status(get_pod(sim, "crash"))["restartCount"] == 3


def test_unready_fault_without_probe_is_immediate(sim):
    client = Client(sim)
    must(client.create(pod("web")))
    advance_to(sim, 1)
    must(client.patch("pods", "web", {"metadata": {"annotations": {faults.UNREADY: "x"}}}, patch_type="merge"))
    assert condition(get_pod(sim, "web"), "Ready")["status"] == "False"
    must(client.patch("pods", "web", {"metadata": {"annotations": {faults.UNREADY: None}}}, patch_type="merge"))
    assert condition(get_pod(sim, "web"), "Ready")["status"] == "True"
    advance_to(sim, 2)
    later = faults.unready_value("2026-01-01T00:00:10Z", "2026-01-01T00:00:15Z")  # declared ahead of time
    must(client.patch("pods", "web", {"metadata": {"annotations": {faults.UNREADY: later}}}, patch_type="merge"))
    advance_to(sim, 9.9)
    assert condition(get_pod(sim, "web"), "Ready")["status"] == "True"
    advance_to(sim, 10)
    assert condition(get_pod(sim, "web"), "Ready")["status"] == "False"
    advance_to(sim, 15)
    assert condition(get_pod(sim, "web"), "Ready")["status"] == "True"


# --- commands that finish -------------------------------------------------------------------------------


def test_echo_with_restart_never_succeeds(sim):
    must(Client(sim).create(pod("hello", "busybox", command=["echo", "hi"], restart="Never")))
    advance_to(sim, 1)
    p = get_pod(sim, "hello")
    assert p["status"]["phase"] == "Succeeded"
    term = container_status(p)["state"]["terminated"]
    assert term == {"exitCode": 0, "reason": "Completed", "startedAt": T1, "finishedAt": T1,
                    "containerID": container_status(p)["containerID"]}
    assert [(c["type"], c["status"], c.get("reason")) for c in p["status"]["conditions"]] == [
        ("PodReadyToStartContainers", "False", None), ("Initialized", "True", "PodCompleted"),
        ("Ready", "False", "PodCompleted"), ("ContainersReady", "False", "PodCompleted"), ("PodScheduled", "True", None)]
    assert pod_status_cell(sim, "hello")["STATUS"] == "Completed"
    n = len(entries(sim))
    advance_to(sim, 100)
    assert len(entries(sim)) == n + 1  # only the clock moved: a finished pod is left alone


def test_failing_command_with_restart_never_fails(sim):
    must(Client(sim).create(pod("oops", "busybox", command=["sh", "-c", "echo start; sleep 2; exit 3"], restart="Never")))
    advance_to(sim, 2.9)
    assert get_pod(sim, "oops")["status"]["phase"] == "Running"
    advance_to(sim, 3)
    p = get_pod(sim, "oops")
    assert p["status"]["phase"] == "Failed"
    assert container_status(p)["state"]["terminated"]["exitCode"] == 3
    assert container_status(p)["state"]["terminated"]["reason"] == "Error"
    assert condition(p, "Ready")["reason"] == "PodFailed"
    assert pod_status_cell(sim, "oops")["STATUS"] == "Error"


def test_on_failure_restarts_failures_and_keeps_success(sim):
    client = Client(sim)
    must(client.create(pod("ok", "busybox", args=["/bin/sh", "-c", "date; echo Hello from the Kubernetes cluster"], restart="OnFailure")))
    must(client.create(pod("bad", "busybox", command=["false"], restart="OnFailure")))
    advance_to(sim, 1)
    assert get_pod(sim, "ok")["status"]["phase"] == "Succeeded"
    bad = get_pod(sim, "bad")
    assert bad["status"]["phase"] == "Running"
    assert container_status(bad)["restartCount"] == 1
    assert container_status(bad)["state"]["waiting"]["reason"] == "CrashLoopBackOff"


def test_failing_always_container_crash_loops_with_upstream_back_off(sim):
    must(Client(sim).create(pod("crash", "busybox", command=["sh", "-c", "exit 1"])))
    uid = get_pod(sim, "crash")["metadata"]["uid"]
    advance_to(sim, 1)
    p = get_pod(sim, "crash")
    cs = container_status(p)
    assert p["status"]["phase"] == "Running"
    assert cs["restartCount"] == 1  # the first restart is immediate
    assert cs["state"] == {"waiting": {"reason": "CrashLoopBackOff",
                                       "message": f"back-off 10s restarting failed container=crash pod=crash_default({uid})"}}
    assert cs["lastState"]["terminated"]["exitCode"] == 1 and cs["lastState"]["terminated"]["reason"] == "Error"
    assert pod_status_cell(sim, "crash")["STATUS"] == "CrashLoopBackOff"
    # States written at 1 s: Running? no: the run is instant -> Error (0), Error (1), CrashLoopBackOff (1)
    states = [(next(iter(e.request.body["status"]["containerStatuses"][0]["state"])),
               e.request.body["status"]["containerStatuses"][0]["restartCount"]) for e in kubelet_writes(sim, "crash")]
    assert states == [("waiting", 0), ("terminated", 0), ("terminated", 1), ("waiting", 1)]
    restarts = {}
    for t in range(2, 700):
        advance_to(sim, t)
        restarts.setdefault(container_status(get_pod(sim, "crash"))["restartCount"], t)
    # back-off from each failure: 10 s, 20 s, 40 s, 80 s, 160 s, then the 5 min cap
    assert restarts == {1: 2, 2: 11, 3: 31, 4: 71, 5: 151, 6: 311, 7: 611}
    message = container_status(get_pod(sim, "crash"))["state"]["waiting"]["message"]
    assert message.startswith("back-off 5m0s restarting failed container=crash")
    assert pod_status_cell(sim, "crash")["RESTARTS"].startswith("7 (")


def test_completed_always_container_restarts_too(sim):
    must(Client(sim).create(pod("sleeper", "busybox", command=["sleep", "5"])))
    advance_to(sim, 6)
    cs = container_status(get_pod(sim, "sleeper"))
    assert cs["restartCount"] == 1 and cs["lastState"]["terminated"]["reason"] == "Completed"
    assert cs["state"] == {"running": {"startedAt": "2026-01-01T00:00:06Z"}}
    advance_to(sim, 11)  # second run ends at 11 s, back-off 10 s
    assert container_status(get_pod(sim, "sleeper"))["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    advance_to(sim, 21)
    assert container_status(get_pod(sim, "sleeper"))["restartCount"] == 2


def test_shell_image_without_command_exits_at_once(sim):
    must(Client(sim).create(pod("bb", "busybox", restart="Never")))
    must(Client(sim).create(pod("tty", "busybox", stdin=True)))
    advance_to(sim, 1)
    assert get_pod(sim, "bb")["status"]["phase"] == "Succeeded"
    assert get_pod(sim, "tty")["status"]["phase"] == "Running"


def test_init_containers_run_first(sim):
    spec_pod = pod("with-init")
    spec_pod["spec"]["initContainers"] = [{"name": "init-a", "image": "busybox", "command": ["sh", "-c", "sleep 3"]},
                                          {"name": "init-b", "image": "busybox", "command": ["echo", "done"]}]
    must(Client(sim).create(spec_pod))
    p = get_pod(sim, "with-init")
    assert condition(p, "Initialized") == {"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized",
                                           "message": "containers with incomplete status: [init-a init-b]",
                                           "lastProbeTime": None, "lastTransitionTime": T0}
    assert container_status(p)["state"] == {"waiting": {"reason": "PodInitializing"}}
    assert pod_status_cell(sim, "with-init")["STATUS"] == "Init:0/2"
    advance_to(sim, 1)
    assert pod_status_cell(sim, "with-init")["STATUS"] == "Init:0/2"  # init-a running until 4 s
    advance_to(sim, 4)
    assert pod_status_cell(sim, "with-init")["STATUS"] == "Init:1/2"  # init-b starts at 5 s
    advance_to(sim, 5)
    assert pod_status_cell(sim, "with-init")["STATUS"] == "PodInitializing"
    advance_to(sim, 6)
    p = get_pod(sim, "with-init")
    assert p["status"]["phase"] == "Running" and condition(p, "Initialized")["status"] == "True"
    assert [s["ready"] for s in p["status"]["initContainerStatuses"]] == [True, True]


# --- faults ------------------------------------------------------------------------------------------------


def test_injected_exit_hits_the_running_instance_only(sim):
    client = Client(sim)
    must(client.create(pod("web")))
    advance_to(sim, 1)
    must(client.patch("pods", "web", {"metadata": {"annotations": {faults.EXIT + "web": faults.exit_value(137, 0)}}}, patch_type="merge"))
    cs = container_status(get_pod(sim, "web"))
    assert cs["restartCount"] == 1 and "running" in cs["state"]
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    advance_to(sim, 100)
    assert container_status(get_pod(sim, "web"))["restartCount"] == 1  # the new run is not affected


def test_node_down_stops_a_pod_from_becoming_ready(sim):
    client = Client(sim)
    start = sim.head().seq  # the bootstrap's own writes come before
    must(client.create(pod("web", nodeName="node1")))
    must(client.patch("nodes", "node1", {"metadata": {"annotations": {faults.NODE_DOWN: "2026-01-01T00:00:00Z"}}}, "", "merge"))
    node = must(client.get("nodes", "node1", ""))
    ready = condition(node, "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert all(c["status"] == "Unknown" for c in node["status"]["conditions"])
    advance_to(sim, 30)
    p = get_pod(sim, "web")
    assert container_status(p)["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert condition(p, "Ready")["status"] == "False"
    must(client.patch("nodes", "node1", {"metadata": {"annotations": {faults.NODE_DOWN: None}}}, "", "merge"))
    node = must(client.get("nodes", "node1", ""))
    ready = condition(node, "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "KubeletReady")
    writes = [e for e in entries(sim) if e.request.resource == "nodes" and e.request.subresource == "status" and e.seq > start]
    assert [w.request.user for w in writes] == ["system:serviceaccount:kube-system:node-controller", "system:node:node1"]
    p = get_pod(sim, "web")  # resumed at once: its start was due long ago
    assert p["status"]["phase"] == "Running" and condition(p, "Ready")["status"] == "True"
    assert container_status(p)["state"]["running"]["startedAt"] == "2026-01-01T00:00:30Z"


def test_node_down_marks_ready_pods_not_ready(sim):
    client = Client(sim)
    must(client.create(pod("web", nodeName="node2")))
    advance_to(sim, 2)
    assert condition(get_pod(sim, "web"), "Ready")["status"] == "True"
    must(client.patch("nodes", "node2", {"metadata": {"annotations": {faults.NODE_DOWN: "now"}}}, "", "merge"))
    p = get_pod(sim, "web")
    assert condition(p, "Ready") == {"type": "Ready", "status": "False", "lastProbeTime": None,
                                     "lastTransitionTime": "2026-01-01T00:00:02Z"}
    must(client.create(pod("late")))  # the scheduler avoids the unreachable node
    assert get_pod(sim, "late")["spec"]["nodeName"] == "node1"


# --- deletion ----------------------------------------------------------------------------------------------


def test_deleting_a_bound_pod_completes(sim):
    client = Client(sim)
    must(client.create(pod("a", nodeName="node1")))
    advance_to(sim, 1)
    assert get_pod(sim, "a")["status"]["podIP"] == "10.244.1.2"
    must(client.delete("pods", "a"))
    assert client.get("pods", "a").error.code == 404
    advance_to(sim, 5)
    must(client.create(pod("b", nodeName="node1")))
    assert get_pod(sim, "b")["status"]["podIP"] == "10.244.1.2"  # free again once the holder is gone


def test_a_pod_being_deleted_is_stopped_then_removed_with_grace_zero(sim):
    client = Client(sim)
    p = pod("kept", nodeName="node1")
    p["metadata"]["finalizers"] = ["example.com/hold"]
    must(client.create(p))
    must(client.create(pod("never-started", nodeName="node1", annotations={b.STARTUP_DELAY: "1h"})))
    advance_to(sim, 1)
    must(client.delete("pods", "kept"))
    p = get_pod(sim, "kept")
    assert p["metadata"]["deletionTimestamp"] == T1
    assert p["status"]["phase"] == "Succeeded"
    assert container_status(p)["state"]["terminated"]["exitCode"] == 0
    assert pod_status_cell(sim, "kept")["STATUS"] == "Completed"
    must(client.patch("pods", "kept", {"metadata": {"finalizers": None}}, patch_type="merge"))
    assert client.get("pods", "kept").error.code == 404
    # A pod whose deletion the request path turns into a deletionTimestamp is deleted by its kubelet.
    from engine.kubelet_sim.kubelet import stopped
    now = START + SECOND
    q = get_pod(sim, "never-started")
    s = stopped(q, now)
    assert s["phase"] == "Failed"
    assert container_status({"status": s})["state"]["terminated"] == {
        "exitCode": 137, "reason": "ContainerStatusUnknown",
        "message": "The container could not be located when the pod was terminated", "startedAt": None, "finishedAt": None}


def test_kubelet_deletes_a_terminating_pod_it_has_stopped(sim):
    from engine.kubelet_sim.kubelet import Kubelet
    from engine.view import View
    from engine.log import eventlog

    must(Client(sim).create(pod("x", nodeName="node1")))
    advance_to(sim, 1)
    with sim.store.begin() as txn:
        head = eventlog.read_head(txn)
        view = View(txn, head.at, head.seq)
        p = view.get("", "pods", "default", "x")
        p["metadata"]["deletionTimestamp"] = T1
        requests, due = Kubelet().sync(view, p, view.get("", "nodes", "", "node1"))
    assert due is None
    update, delete = requests
    assert update.subresource == "status" and update.body["status"]["phase"] == "Succeeded"
    assert (delete.verb, delete.user, delete.params) == (
        "delete", "system:node:node1", {"gracePeriodSeconds": 0, "preconditions": {"uid": p["metadata"]["uid"]}})


# --- addresses -------------------------------------------------------------------------------------------------


def test_addresses_skip_those_in_use_and_wrap():
    assert ipam.allocate("10.244.1.0/24", set()) == "10.244.1.2"
    assert ipam.allocate("10.244.1.0/24", {"10.244.1.2", "10.244.1.3"}) == "10.244.1.4"
    assert ipam.allocate("10.244.1.0/24", {"10.244.1.254"}) == "10.244.1.2"
    assert ipam.allocate("10.244.1.0/24", {"10.244.1.7"}) == "10.244.1.8"  # round robin after the highest
    with pytest.raises(ipam.PoolExhausted):
        ipam.allocate("10.244.1.0/30", {"10.244.1.2"})
    pool = ipam.Pool("10.244.1.0/24", ["10.244.1.3"])
    assert [pool.take(), pool.take()] == ["10.244.1.4", "10.244.1.5"]


def test_a_burst_of_pods_gets_distinct_addresses(sim):
    from engine.records import Request

    reqs = [Request(verb="create", resource="pods", namespace="default", body=pod(f"p{i}", nodeName="node2"),
                    user="kubernetes-admin", groups=("system:masters",)) for i in range(20)]
    sim.submit_batch(reqs)
    ips = [get_pod(sim, f"p{i}")["status"]["podIP"] for i in range(20)]
    assert len(set(ips)) == 20 and all(ip.startswith("10.244.2.") for ip in ips)


def test_terminal_pods_release_their_address(sim):
    client = Client(sim)
    must(client.create(pod("done", "busybox", command=["true"], restart="Never", nodeName="node1")))
    advance_to(sim, 1)
    assert get_pod(sim, "done")["status"]["phase"] == "Succeeded"
    must(client.create(pod("next", nodeName="node1")))
    assert get_pod(sim, "next")["status"]["podIP"] == "10.244.1.2"
    assert get_pod(sim, "done")["status"]["podIP"] == "10.244.1.2"  # kept in the finished pod's status, as upstream


# --- behaviour grammar ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("container, runs_for, code", [
    ({"command": ["echo", "hi"]}, 0, 0),
    ({"args": ["date"]}, 0, 0),
    ({"command": ["/bin/sh", "-c", "env"]}, 0, 0),
    ({"command": ["sh", "-c"], "args": ["echo $(USERNAME) $(PASSWORD)"]}, 0, 0),
    ({"args": ["/bin/sh", "-c", "date; echo Hello from the Kubernetes cluster"]}, 0, 0),
    ({"command": ["sleep", "30"]}, 30 * SECOND, 0),
    ({"command": ["sleep", "1m", "30"]}, 90 * SECOND, 0),
    ({"command": ["sh", "-c", "sleep 2.5; exit 4"]}, 2_500_000, 4),
    ({"command": ["sh", "-c", "false && sleep 10"]}, 0, 1),
    ({"command": ["sh", "-c", "false || sleep 10"]}, 10 * SECOND, 0),
    ({"command": ["bash", "-c", "exit 300"]}, 0, 44),
    ({"command": ["true"]}, 0, 0),
    ({"command": ["false"]}, 0, 1),
    ({"image": "busybox"}, 0, 0),
])
def test_commands_that_finish(container, runs_for, code):
    got = b.behaviour_of({"name": "c", "image": "x", **container})
    assert (got.runs_for, got.exit_code) == (runs_for, code)


@pytest.mark.parametrize("container", [
    {"image": "nginx"},
    {"command": ["nginx", "-g", "daemon off;"]},
    {"command": ["sleep", "infinity"]},
    {"command": ["sh", "-c", "while true; do echo hi; sleep 1; done"]},
    {"command": ["sh", "-c", "echo hi | grep h"]},
    {"command": ["sh", "-c", "until nslookup myservice; do sleep 2; done"]},
    {"image": "busybox", "stdin": True},
])
def test_commands_that_run_until_stopped(container):
    assert not b.behaviour_of({"name": "c", "image": "x", **container}).finishes


# --- determinism ----------------------------------------------------------------------------------------------


def _scenario():
    from engine.log.transfer import export_lines

    c = boot()
    client = Client(c)
    must(client.create(pod("web")))
    must(client.create(pod("crash", "busybox", command=["sh", "-c", "sleep 1; exit 2"])))
    must(client.create(pod("job", "busybox", command=["echo", "hi"], restart="Never")))
    must(client.create(pod("big", cpu="5")))
    c.advance(40 * SECOND)
    must(client.patch("nodes", "node2", {"metadata": {"annotations": {faults.NODE_DOWN: "t"}}}, "", "merge"))
    c.advance(5 * SECOND)
    must(client.delete("pods", "web"))
    assert_verified(c)
    with c.store.begin() as txn:
        return list(export_lines(txn))


def test_the_same_steps_give_the_same_log():
    first, second = _scenario(), _scenario()
    assert len(first) > 40
    assert first == second
