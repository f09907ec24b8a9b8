"""`kubectl get` tables (log_tools/printers/table.py) and durations (age.py)."""

from __future__ import annotations

import pytest

from engine.registry import BY_KIND
from log_tools.printers.age import age, human_duration, parse_timestamp, short_human_duration
from log_tools.printers.table import (
    column_definitions,
    columns,
    format_label_selector,
    quantity_string,
    render,
    row_cells,
    rows,
    selector_string,
    tabwrite,
)

MS = 0.001
S, M, H, D, Y = 1, 60, 3600, 24 * 3600, 365 * 24 * 3600

NOW = parse_timestamp("2024-01-01T01:00:00Z")
CREATED = "2024-01-01T00:55:00Z"  # 5m before NOW


# --- duration.HumanDuration: upstream duration_test.go -----------------------------------------

@pytest.mark.parametrize(
    "seconds, want",
    [
        (S, "1s"), (70 * S, "70s"), (190 * S, "3m10s"), (70 * M, "70m"), (47 * H, "47h"), (49 * H, "2d1h"),
        ((8 * 24 + 2) * H, "8d"), (367 * 24 * H, "367d"), ((365 * 2 * 24 + 25) * H, "2y1d"), ((365 * 8 * 24 + 2) * H, "8y"),
    ],
)
def test_human_duration(seconds, want):
    assert human_duration(seconds) == want


@pytest.mark.parametrize(
    "seconds, want",
    [
        (-2 * S, "<invalid>"), (-2 * S + 1e-9, "0s"), (0, "0s"), (S - MS, "0s"), (2 * M - MS, "119s"), (2 * M, "2m"),
        (2 * M + S, "2m1s"), (10 * M - MS, "9m59s"), (10 * M, "10m"), (10 * M + S, "10m"), (3 * H - MS, "179m"),
        (3 * H, "3h"), (3 * H + M, "3h1m"), (8 * H - MS, "7h59m"), (8 * H, "8h"), (8 * H + 59 * M, "8h"),
        (2 * D - MS, "47h"), (2 * D, "2d"), (2 * D + H, "2d1h"), (8 * D - MS, "7d23h"), (8 * D, "8d"),
        (8 * D + 23 * H, "8d"), (2 * Y - MS, "729d"), (2 * Y, "2y"), (2 * Y + 23 * H, "2y"),
        (2 * Y + 23 * H + 59 * M, "2y"), (2 * Y + 24 * H - MS, "2y"), (2 * Y + 24 * H, "2y1d"), (3 * Y, "3y"),
        (4 * Y, "4y"), (5 * Y, "5y"), (6 * Y, "6y"), (7 * Y, "7y"), (8 * Y - MS, "7y364d"), (8 * Y, "8y"),
        (8 * Y + 364 * D, "8y"), (9 * Y, "9y"),
    ],
)
def test_human_duration_boundaries(seconds, want):
    assert human_duration(seconds) == want


@pytest.mark.parametrize(
    "seconds, want",
    [
        (-2 * S, "<invalid>"), (-2 * S + 1e-9, "0s"), (0, "0s"), (S - MS, "0s"), (S, "1s"), (2 * S - MS, "1s"),
        (M - MS, "59s"), (M, "1m"), (2 * M - MS, "1m"), (H - MS, "59m"), (H, "1h"), (2 * H - MS, "1h"),
        (D - MS, "23h"), (D, "1d"), (2 * D - MS, "1d"), (Y - MS, "364d"), (Y, "1y"), (2 * Y - MS, "1y"), (2 * Y, "2y"),
    ],
)
def test_short_human_duration_boundaries(seconds, want):
    assert short_human_duration(seconds) == want


def test_age():
    assert age(None, NOW) == "<unknown>"
    assert age("", NOW) == "<unknown>"
    assert age(CREATED, NOW) == "5m"
    assert age("2024-01-01T00:59:59.500000Z", NOW) == "0s"
    assert age("2023-12-30T01:00:00Z", NOW) == "2d"


# --- tabwriter / render ---------------------------------------------------------------------------

def test_tabwrite_matches_go_text_tabwriter():
    assert tabwrite("a\tb\tc\naaa\tbb\tc\n", padding=1) == "a   b  c\naaa bb c\n"
    # a line without tabs ends the column block; the last cell is never padded
    assert tabwrite("x:\t1\nbreak\nlonger:\t2\n", padding=2) == "x:  1\nbreak\nlonger:  2\n"
    # minwidth applies to every column but the last cell
    assert render(["IP", "X"], [["1", "2"]]) == "IP    X\n1     2\n"


def _deploy(ready=3, replicas=3, **status):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "nginx-deploy", "namespace": "default", "creationTimestamp": CREATED, "labels": {"app": "nginx-deploy"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx-deploy"}},
                 "template": {"metadata": {"labels": {"app": "nginx-deploy"}},
                              "spec": {"containers": [{"name": "nginx", "image": "wangyanglinux/myapp:v1"}]}}},
        "status": {"replicas": replicas, "readyReplicas": ready, "updatedReplicas": replicas, "availableReplicas": ready, **status},
    }


def test_deployment_row_and_render():
    assert columns("deploy") == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert rows("deployments.apps", [_deploy()], NOW) == [["nginx-deploy", "3/3", "3", "3", "5m"]]
    assert render(columns("deploy"), rows("deploy", [_deploy()], NOW)) == (
        "NAME           READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "nginx-deploy   3/3     3            3           5m\n"
    )


def test_deployment_wide_labels_all_namespaces():
    headers = columns("deploy", wide=True, show_labels=True, all_namespaces=True)
    assert headers == ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR", "LABELS"]
    assert rows("deploy", [_deploy()], NOW, wide=True, show_labels=True, all_namespaces=True) == [[
        "default", "nginx-deploy", "3/3", "3", "3", "5m", "nginx", "wangyanglinux/myapp:v1", "app=nginx-deploy", "app=nginx-deploy",
    ]]


def test_column_definitions_for_the_wire():
    defs = column_definitions(BY_KIND["Pod"])
    assert defs[0] == {"name": "Name", "type": "string", "format": "name", "priority": 0}
    assert [d["name"] for d in defs if d["priority"] == 1] == ["IP", "Node", "Nominated Node", "Readiness Gates"]
    cells = row_cells("Deployment", _deploy(), NOW)
    assert cells[:5] == ["nginx-deploy", "3/3", 3, 3, "5m"] and len(cells) == len(column_definitions("Deployment"))


# --- pods -----------------------------------------------------------------------------------------

def _pod(name="p", phase="Running", statuses=(), init=(), init_statuses=(), conditions=(), **extra):
    pod = {
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": CREATED},
        "spec": {"containers": [{"name": s.get("name", "c")} for s in statuses] or [{"name": "c"}],
                 "initContainers": list(init)},
        "status": {"phase": phase, "containerStatuses": list(statuses), "initContainerStatuses": list(init_statuses),
                   "conditions": list(conditions)},
    }
    for key, value in extra.items():
        section, _, field = key.partition("__")
        pod[section][field] = value
    return pod


def _status(pod):
    return rows("pods", [pod], NOW)[0]


RUNNING = {"name": "c", "ready": True, "restartCount": 0, "state": {"running": {"startedAt": CREATED}}}


def test_pod_running_and_wide():
    pod = _pod(statuses=[RUNNING], spec__nodeName="node-1", status__podIPs=[{"ip": "10.244.0.7"}])
    assert _status(pod) == ["p", "1/1", "Running", "0", "5m"]
    assert columns("po", wide=True) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    assert rows("po", [pod], NOW, wide=True)[0][5:] == ["10.244.0.7", "node-1", "<none>", "<none>"]


@pytest.mark.parametrize(
    "pod, ready, status, restarts",
    [
        (_pod(phase="Pending", statuses=[{"name": "c", "ready": False, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]),
         "0/1", "ContainerCreating", "0"),
        (_pod(phase="Pending"), "0/1", "Pending", "0"),
        (_pod(statuses=[{"name": "c", "ready": False, "restartCount": 5, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                         "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2024-01-01T00:58:00Z"}}}]),
         "0/1", "CrashLoopBackOff", "5 (2m ago)"),
        (_pod(phase="Succeeded", statuses=[{"name": "c", "ready": False, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]),
         "0/1", "Completed", "0"),
        (_pod(phase="Failed", statuses=[{"name": "c", "ready": False, "restartCount": 0, "state": {"terminated": {"exitCode": 1}}}]),
         "0/1", "ExitCode:1", "0"),
        (_pod(phase="Failed", statuses=[{"name": "c", "ready": False, "restartCount": 0, "state": {"terminated": {"exitCode": 137, "signal": 9}}}]),
         "0/1", "Signal:9", "0"),
        (_pod(statuses=[RUNNING], metadata__deletionTimestamp="2024-01-01T00:59:00Z"), "1/1", "Terminating", "0"),
        (_pod(phase="Succeeded", statuses=[{"name": "c", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
              metadata__deletionTimestamp="2024-01-01T00:59:00Z"), "0/1", "Completed", "0"),
        (_pod(statuses=[RUNNING], status__reason="NodeLost", metadata__deletionTimestamp="2024-01-01T00:59:00Z"), "1/1", "Unknown", "0"),
        (_pod(phase="Failed", status__reason="Evicted"), "0/1", "Evicted", "0"),
        (_pod(phase="Pending", init=[{"name": "i"}], init_statuses=[{"name": "i", "restartCount": 0, "state": {"running": {}}}],
              statuses=[{"name": "c", "state": {"waiting": {"reason": "PodInitializing"}}}]), "0/1", "Init:0/1", "0"),
        (_pod(phase="Pending", init=[{"name": "i1"}, {"name": "i2"}],
              init_statuses=[{"name": "i1", "state": {"terminated": {"exitCode": 0}}},
                             {"name": "i2", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
              statuses=[{"name": "c", "state": {"waiting": {"reason": "PodInitializing"}}}]), "0/1", "Init:CrashLoopBackOff", "3"),
        (_pod(phase="Pending", init=[{"name": "i"}],
              init_statuses=[{"name": "i", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}],
              statuses=[{"name": "c", "state": {"waiting": {"reason": "PodInitializing"}}}]), "0/1", "Init:Error", "0"),
        (_pod(phase="Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
         "0/1", "SchedulingGated", "0"),
        # a sidecar (restartable init container) counts towards READY/total
        (_pod(init=[{"name": "side", "restartPolicy": "Always"}],
              init_statuses=[{"name": "side", "ready": True, "started": True, "restartCount": 1, "state": {"running": {}}}],
              statuses=[RUNNING], conditions=[{"type": "Initialized", "status": "True"}]), "2/2", "Running", "1"),
        # "Completed" with a container still running -> Running / NotReady
        (_pod(statuses=[{"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                        {"name": "b", "ready": True, "state": {"running": {}}}],
              conditions=[{"type": "Ready", "status": "False"}]), "1/2", "NotReady", "0"),
    ],
)
def test_pod_status_column(pod, ready, status, restarts):
    assert _status(pod)[1:4] == [ready, status, restarts]


def test_pod_readiness_gates_wide():
    pod = _pod(statuses=[RUNNING], spec__readinessGates=[{"conditionType": "a"}, {"conditionType": "b"}],
               conditions=[{"type": "a", "status": "True"}, {"type": "b", "status": "False"}])
    assert rows("po", [pod], NOW, wide=True)[0][-1] == "1/2"


# --- other kinds ----------------------------------------------------------------------------------

def _meta(name, **extra):
    return {"name": name, "namespace": "default", "creationTimestamp": CREATED, **extra}


def test_replicaset_and_rc_rows():
    rs = {"metadata": _meta("web-5d9c9f4c7b"), "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d9c9f4c7b"}},
                                                         "template": {"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:2"}]}}},
          "status": {"replicas": 3, "readyReplicas": 2}}
    assert columns("rs", wide=True) == ["NAME", "DESIRED", "CURRENT", "READY", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert rows("rs", [rs], NOW, wide=True) == [["web-5d9c9f4c7b", "3", "3", "2", "5m", "a,b", "x:1,y:2", "app=web,pod-template-hash=5d9c9f4c7b"]]
    rc = {"metadata": _meta("nginx"), "spec": {"replicas": 2, "selector": {"app": "nginx"}, "template": {"spec": {"containers": [{"name": "n", "image": "nginx"}]}}},
          "status": {"replicas": 2}}
    assert rows("rc", [rc], NOW, wide=True) == [["nginx", "2", "2", "0", "5m", "n", "nginx", "app=nginx"]]


def test_selectors():
    sel = {"matchLabels": {"tier": "web"}, "matchExpressions": [{"key": "app", "operator": "In", "values": ["b", "a"]},
                                                                {"key": "env", "operator": "DoesNotExist"}]}
    assert selector_string(sel) == "app in (a,b),!env,tier=web"
    assert format_label_selector(None) == "<none>"
    assert format_label_selector({}) == "<none>"
    assert format_label_selector({"matchExpressions": [{"key": "a", "operator": "Bogus"}]}) == "<error>"


def test_service_rows():
    def svc(type_, **spec):
        return {"metadata": _meta("web"), "spec": {"type": type_, "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                                                   "selector": {"app": "web"}, "ports": [{"port": 80, "protocol": "TCP"}], **spec}}
    assert columns("svc") == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert rows("svc", [svc("ClusterIP")], NOW, wide=True) == [["web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "5m", "app=web"]]
    node_port = svc("NodePort", ports=[{"port": 80, "nodePort": 30126, "protocol": "TCP"}])
    assert rows("svc", [node_port], NOW)[0][4] == "80:30126/TCP"
    assert rows("svc", [svc("LoadBalancer")], NOW)[0][3] == "<pending>"
    headless = svc("ClusterIP", clusterIP="None", clusterIPs=["None"], selector=None, ports=[])
    assert rows("svc", [headless], NOW, wide=True)[0][2:5] == ["None", "<none>", "<none>"]
    assert rows("svc", [headless], NOW, wide=True)[0][-1] == "<none>"


def test_node_rows():
    def node(ready, **spec):
        return {"metadata": {"name": "n1", "creationTimestamp": "2023-12-01T01:00:00Z", "labels": {"node-role.kubernetes.io/control-plane": ""}},
                "spec": spec, "status": {"conditions": [{"type": "Ready", "status": ready}] if ready else [],
                                         "nodeInfo": {"kubeletVersion": "v1.30.0"}}}
    assert columns("no", all_namespaces=True) == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]  # cluster-scoped: no NAMESPACE
    assert rows("nodes", [node("True")], NOW) == [["n1", "Ready", "control-plane", "31d", "v1.30.0"]]
    assert rows("nodes", [node("False", unschedulable=True)], NOW)[0][1] == "NotReady,SchedulingDisabled"
    plain = node(None)
    plain["metadata"]["labels"] = {}
    assert rows("nodes", [plain], NOW)[0][1:3] == ["Unknown", "<none>"]


def test_job_cronjob_rows():
    job = {"metadata": _meta("pi"), "spec": {"completions": 1, "parallelism": 1},
           "status": {"succeeded": 1, "startTime": "2024-01-01T00:55:00Z", "completionTime": "2024-01-01T00:55:12Z",
                      "conditions": [{"type": "Complete", "status": "True"}]}}
    assert columns("jobs") == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert rows("jobs", [job], NOW) == [["pi", "Complete", "1/1", "12s", "5m"]]
    running = {"metadata": _meta("q"), "spec": {"parallelism": 3}, "status": {"startTime": "2024-01-01T00:58:00Z"}}
    assert rows("jobs", [running], NOW)[0][1:4] == ["Running", "0/1 of 3", "2m"]
    cj = {"metadata": _meta("hello"), "spec": {"schedule": "*/1 * * * *", "suspend": False},
          "status": {"lastScheduleTime": "2024-01-01T00:59:00Z", "active": [{"name": "hello-1"}]}}
    assert columns("cj") == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"]
    assert rows("cj", [cj], NOW) == [["hello", "*/1 * * * *", "<none>", "False", "1", "60s", "5m"]]


def test_hpa_rows():
    hpa = {"metadata": _meta("nginx-deploy"),
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "nginx-deploy"}, "minReplicas": 2, "maxReplicas": 5,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]},
           "status": {"currentReplicas": 2}}
    assert columns("hpa") == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert rows("hpa", [hpa], NOW) == [["nginx-deploy", "Deployment/nginx-deploy", "cpu: <unknown>/80%", "2", "5", "2", "5m"]]
    hpa["status"]["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 12}}}]
    assert rows("hpa", [hpa], NOW)[0][2] == "cpu: 12%/80%"


def test_simple_kinds():
    cm = {"metadata": _meta("cfg"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    assert rows("cm", [cm], NOW) == [["cfg", "3", "5m"]]
    secret = {"metadata": _meta("s"), "type": "Opaque", "data": {"u": "YQ=="}}
    assert (columns("secrets"), rows("secrets", [secret], NOW)) == (["NAME", "TYPE", "DATA", "AGE"], [["s", "Opaque", "1", "5m"]])
    sa = {"metadata": _meta("default")}
    assert (columns("sa"), rows("sa", [sa], NOW)) == (["NAME", "SECRETS", "AGE"], [["default", "0", "5m"]])
    ns = {"metadata": {"name": "dev", "creationTimestamp": CREATED}, "status": {"phase": "Active"}}
    assert rows("ns", [ns], NOW, all_namespaces=True) == [["dev", "Active", "5m"]]
    role = {"metadata": _meta("pod-reader", creationTimestamp="2024-01-01T00:55:00Z")}
    assert (columns("roles"), rows("roles", [role], NOW)) == (["NAME", "CREATED AT"], [["pod-reader", "2024-01-01T00:55:00Z"]])
    rb = {"metadata": _meta("rb1"), "roleRef": {"kind": "ClusterRole", "name": "admin"},
          "subjects": [{"kind": "User", "name": "devuser"}, {"kind": "ServiceAccount", "name": "sa", "namespace": "dev"}]}
    assert rows("rolebindings", [rb], NOW, wide=True) == [["rb1", "ClusterRole/admin", "5m", "devuser", "", "dev/sa"]]
    cr = {"metadata": _meta("web-6d4cf56db6", ownerReferences=[{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": True}]),
          "revision": 2}
    assert rows("controllerrevisions", [cr], NOW) == [["web-6d4cf56db6", "statefulset.apps/web", "2", "5m"]]
    quota = {"metadata": _meta("q"), "status": {"hard": {"limits.cpu": "2", "pods": "10", "requests.cpu": "1"},
                                                "used": {"pods": "3", "requests.cpu": "500m"}}}
    assert rows("quota", [quota], NOW) == [["q", "pods: 3/10, requests.cpu: 500m/1", "limits.cpu: 0/2", "5m"]]
    assert columns("limits") == ["NAME", "CREATED AT"]
    assert columns("widgets") == ["NAME", "AGE"]


def test_event_rows():
    ev = {"metadata": _meta("web.17a"), "type": "Normal", "reason": "ScalingReplicaSet", "count": 1,
          "involvedObject": {"kind": "Deployment", "name": "web"}, "source": {"component": "deployment-controller"},
          "firstTimestamp": "2024-01-01T00:59:50Z", "lastTimestamp": "2024-01-01T00:59:50Z",
          "message": "Scaled up replica set web-5d9c9f4c7b to 1 "}
    assert columns("events") == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert rows("ev", [ev], NOW) == [["10s", "Normal", "ScalingReplicaSet", "deployment/web", "Scaled up replica set web-5d9c9f4c7b to 1"]]
    wide = rows("ev", [ev], NOW, wide=True)[0]
    assert wide[4:6] == ["", "deployment-controller"] and wide[7:] == ["10s", "1", "web.17a"]


def test_statefulset_daemonset_pvc_pv_storageclass():
    sts = {"metadata": _meta("web"), "spec": {"replicas": 3}, "status": {"readyReplicas": 1}}
    assert rows("sts", [sts], NOW) == [["web", "1/3", "5m"]]
    ds = {"metadata": _meta("fluentd"), "spec": {"template": {"spec": {"nodeSelector": {"disk": "ssd"}}}},
          "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 1, "updatedNumberScheduled": 2, "numberAvailable": 1}}
    assert rows("ds", [ds], NOW) == [["fluentd", "2", "2", "1", "2", "1", "disk=ssd", "5m"]]
    pvc = {"metadata": _meta("data"), "spec": {"volumeName": "pv1", "storageClassName": "standard", "volumeMode": "Filesystem"},
           "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}}}
    assert columns("pvc") == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"]
    assert rows("pvc", [pvc], NOW) == [["data", "Bound", "pv1", "1Gi", "RWO", "standard", "<unset>", "5m"]]
    pv = {"metadata": {"name": "pv1", "creationTimestamp": CREATED}, "spec": {"capacity": {"storage": "1024Mi"}, "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
          "persistentVolumeReclaimPolicy": "Retain", "claimRef": {"namespace": "default", "name": "data"}}, "status": {"phase": "Bound"}}
    assert rows("pv", [pv], NOW) == [["pv1", "1Gi", "RWO,ROX", "Retain", "Bound", "default/data", "", "<unset>", "", "5m"]]
    sc = {"metadata": {"name": "standard", "creationTimestamp": CREATED, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
          "provisioner": "rancher.io/local-path"}
    assert rows("sc", [sc], NOW) == [["standard (default)", "rancher.io/local-path", "Delete", "Immediate", "false", "5m"]]


def test_quantity_canonical_form():
    cases = {"0.5": "500m", "1.5Gi": "1536Mi", "1000m": "1", "1024Ki": "1Mi", "2000": "2k", "100M": "100M",
             "1e3": "1e3", "0.1": "100m", "128Mi": "128Mi", "1536": "1536", "0": "0", "not-a-quantity": "not-a-quantity"}
    for raw, want in cases.items():
        assert quantity_string(raw) == want, raw
