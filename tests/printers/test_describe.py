"""`kubectl describe` layouts (log_tools/printers/describe.py)."""

from __future__ import annotations

import copy

from log_tools.printers.age import parse_timestamp
from log_tools.printers.describe import describe, smart_label_for
from reducers.defaults import apply_defaults
from tests.printers.test_defaults import NGINX_DEPLOY

NOW = parse_timestamp("2024-01-01T00:05:00Z")


def _deployment():
    d = apply_defaults(NGINX_DEPLOY)
    d["metadata"].update(namespace="default", uid="d-uid", creationTimestamp="2024-01-01T00:00:00Z",
                         annotations={"deployment.kubernetes.io/revision": "1",
                                      "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"apps/v1"}\n'})
    d["status"] = {
        "observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
    return d


NEW_RS = {"metadata": {"name": "nginx-deploy-5d9c9f4c7b"}, "spec": {"replicas": 1}, "status": {"replicas": 1}}
SCALED = {
    "type": "Normal", "reason": "ScalingReplicaSet", "count": 1,
    "firstTimestamp": "2024-01-01T00:04:50Z", "lastTimestamp": "2024-01-01T00:04:50Z",
    "source": {"component": "deployment-controller"}, "involvedObject": {"kind": "Deployment", "name": "nginx-deploy"},
    "message": "Scaled up replica set nginx-deploy-5d9c9f4c7b to 1",
}

EXPECTED_DEPLOYMENT = """\
Name:                   nginx-deploy
Namespace:              default
CreationTimestamp:      Mon, 01 Jan 2024 00:00:00 +0000
Labels:                 app=nginx-deploy
Annotations:            deployment.kubernetes.io/revision: 1
Selector:               app=nginx-deploy
Replicas:               1 desired | 1 updated | 1 total | 1 available | 0 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app=nginx-deploy
  Containers:
   nginx:
    Image:         wangyanglinux/myapp:v1
    Port:          80/TCP
    Host Port:     0/TCP
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    NewReplicaSetAvailable
OldReplicaSets:  <none>
NewReplicaSet:   nginx-deploy-5d9c9f4c7b (1/1 replicas created)
Events:
  Type    Reason             Age   From                   Message
  ----    ------             ----  ----                   -------
  Normal  ScalingReplicaSet  10s   deployment-controller  Scaled up replica set nginx-deploy-5d9c9f4c7b to 1
"""


def test_describe_deployment_full_layout():
    out = describe("deployment", _deployment(), [SCALED], NOW, {"old_replicasets": [], "new_replicaset": NEW_RS})
    assert out == EXPECTED_DEPLOYMENT


def test_describe_deployment_upstream_lines_and_no_events():
    d = _deployment()
    d["spec"]["replicas"] = 3
    d["status"].update(replicas=4, updatedReplicas=2, availableReplicas=3, unavailableReplicas=1)
    old = {"metadata": {"name": "nginx-deploy-old"}, "spec": {"replicas": 2}, "status": {"replicas": 2}}
    out = describe("deploy", d, [], NOW, {"old_replicasets": [old], "new_replicaset": NEW_RS})
    lines = out.splitlines()
    assert "Replicas:               3 desired | 2 updated | 4 total | 3 available | 1 unavailable" in lines
    assert "RollingUpdateStrategy:  25% max unavailable, 25% max surge" in lines
    assert "OldReplicaSets:  nginx-deploy-old (2/2 replicas created)" in lines
    assert lines[-1] == "Events:          <none>"
    assert "last-applied-configuration" not in out
    # without related ReplicaSets the Old/New lines are left out, as upstream does when none exist
    bare = describe("deploy", d, None, NOW)
    assert "NewReplicaSet:" not in bare and "OldReplicaSets:" not in bare and "Events:" not in bare


def test_describe_recreate_deployment_has_no_rolling_update_line():
    d = copy.deepcopy(NGINX_DEPLOY)
    d["spec"]["strategy"] = {"type": "Recreate"}
    out = describe("deploy", apply_defaults(d), [], NOW)
    assert "StrategyType:" in out and "Recreate" in out and "RollingUpdateStrategy" not in out


def test_describe_replicaset_counts_owned_pods_and_events():
    rs = {
        "kind": "ReplicaSet",
        "metadata": {"name": "web-5d", "namespace": "default", "uid": "rs1", "labels": {"app": "web", "pod-template-hash": "5d"},
                     "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True, "uid": "d1"}]},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                     {"name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80, "protocol": "TCP"},
                                                                       {"containerPort": 443, "protocol": "TCP", "name": "https"}],
                      "env": [{"name": "MODE", "value": "prod"}],
                      "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg", "readOnly": True}]}],
                     "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}]}}},
        "status": {"replicas": 3},
    }
    pods = [
        {"metadata": {"name": f"p{i}", "ownerReferences": [{"uid": uid, "controller": True}]}, "status": {"phase": phase}}
        for i, (uid, phase) in enumerate([("rs1", "Running"), ("rs1", "Pending"), ("other", "Running"), ("rs1", "Failed")])
    ]
    event = {"type": "Normal", "reason": "SuccessfulCreate", "count": 3, "firstTimestamp": "2023-12-31T23:55:00Z",
             "lastTimestamp": "2024-01-01T00:03:00Z", "source": {"component": "replicaset-controller"}, "message": "Created pod: p0"}
    out = describe("rs", rs, [event], NOW, {"pods": pods})
    lines = out.splitlines()
    assert lines[:3] == ["Name:           web-5d", "Namespace:      default", "Selector:       app=web,pod-template-hash=5d"]
    assert "Labels:         app=web" in lines and "                pod-template-hash=5d" in lines
    assert "Controlled By:  Deployment/web" in lines
    assert "Replicas:       3 current / 3 desired" in lines
    assert "Pods Status:    1 Running / 1 Waiting / 0 Succeeded / 1 Failed" in lines
    # "Environment:" has no tab, so it ends the column block of Image/Ports/Host Ports
    assert lines[13:16] == ["    Image:       nginx:1.25", "    Ports:       80/TCP, 443/TCP (https)",
                            "    Host Ports:  0/TCP, 0/TCP (https)"]
    assert "      MODE:  prod" in lines
    assert "      /etc/cfg from cfg (ro)" in lines
    assert "    Type:          ConfigMap (a volume populated by a ConfigMap)" in lines
    assert lines[-1] == "  Normal  SuccessfulCreate  2m (x3 over 10m)  replicaset-controller  Created pod: p0"


def test_describe_replication_controller():
    rc = apply_defaults({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "nginx", "namespace": "default"},
                         "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "nginx"}},
                                                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}})
    pods = [{"metadata": {"name": "a", "labels": {"app": "nginx"}}, "status": {"phase": "Running"}}]
    lines = describe("rc", rc, [], NOW, {"pods": pods}).splitlines()
    assert lines[2] == "Selector:     app=nginx"
    assert "Replicas:     0 current / 2 desired" in lines
    assert "Pods Status:  1 Running / 0 Waiting / 0 Succeeded / 0 Failed" in lines


def test_describe_pod():
    pod = apply_defaults({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web"},
                     "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d", "controller": True, "uid": "rs1"}]},
        "spec": {"nodeName": "node-1", "serviceAccountName": "default", "priority": 0,
                 "containers": [{"name": "c", "image": "nginx",
                                 "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                                 "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}}],
                 "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]},
        "status": {"phase": "Running", "hostIP": "172.18.0.2", "podIP": "10.244.0.7", "podIPs": [{"ip": "10.244.0.7"}],
                   "startTime": "2024-01-01T00:00:01Z",
                   "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0, "containerID": "containerd://abc",
                                          "imageID": "docker.io/library/nginx@sha256:1", "state": {"running": {"startedAt": "2024-01-01T00:00:03Z"}}}]},
    })
    lines = describe("pod", pod, [], NOW).splitlines()
    expected_prefix = [
        "Name:             web-1",
        "Namespace:        default",
        "Priority:         0",
        "Service Account:  default",
        "Node:             node-1/172.18.0.2",
        "Start Time:       Mon, 01 Jan 2024 00:00:01 +0000",
        "Labels:           app=web",
        "Annotations:      <none>",
        "Status:           Running",
        "IP:               10.244.0.7",
        "IPs:",
        "  IP:           10.244.0.7",
        "Controlled By:  ReplicaSet/web-5d",
        "Containers:",
        "  c:",
    ]
    assert lines[: len(expected_prefix)] == expected_prefix
    for line in ("    State:          Running", "      Started:      Mon, 01 Jan 2024 00:00:03 +0000", "    Ready:          True",
                 "    Restart Count:  0", "    Limits:", "      cpu:     500m", "    Requests:", "      memory:  128Mi",
                 "      POD:   web-1 (v1:metadata.name)", "  Initialized    True ", "  Ready          True ",
                 "QoS Class:       Guaranteed", "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s",
                 "Events:          <none>"):
        assert line in lines, line


def test_describe_terminating_pod_status():
    pod = {"kind": "Pod", "metadata": {"name": "p", "namespace": "default", "deletionTimestamp": "2024-01-01T00:04:00Z",
                                       "deletionGracePeriodSeconds": 30},
           "spec": {"containers": []}, "status": {"phase": "Running"}}
    out = describe("pod", pod, None, NOW)
    assert "Status:                    Terminating (lasts 60s)" in out.splitlines()
    assert "Termination Grace Period:  30s" in out.splitlines()
    assert "Containers: <none>" in out.splitlines()


def test_describe_namespace():
    ns = apply_defaults({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    assert describe("ns", ns, [], NOW) == (
        "Name:         default\n"
        "Labels:       kubernetes.io/metadata.name=default\n"
        "Annotations:  <none>\n"
        "Status:       Active\n"
        "\n"
        "No resource quota.\n"
        "\n"
        "No LimitRange resource.\n"
    )
    quota = {"metadata": {"name": "compute"}, "status": {"hard": {"pods": "10", "requests.cpu": "1"}, "used": {"pods": "2"}}}
    out = describe("ns", ns, [], NOW, {"resource_quotas": [quota]})
    assert "Resource Quotas\n  Name:         compute\n  Resource      Used  Hard\n  --------      ---   ---\n  pods          2     10\n" in out


def test_describe_secret_shows_sizes_only():
    secret = apply_defaults({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "mysecret", "namespace": "default"},
                             "data": {"username": "YWRtaW4=", "password": "MWYyZDFlMmU2N2Rm"}})
    assert describe("secret", secret, [], NOW) == (
        "Name:         mysecret\n"
        "Namespace:    default\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "\n"
        "Type:  Opaque\n"
        "\n"
        "Data\n"
        "====\n"
        "password:  12 bytes\n"
        "username:  5 bytes\n"
    )


def test_describe_configmap():
    cm = {"kind": "ConfigMap", "metadata": {"name": "game", "namespace": "default"},
          "data": {"lives": "3", "ui.properties": "color=red\nhow=fairlyNice"}, "binaryData": {"bin": "AAEC"}}
    assert describe("cm", cm, [], NOW) == (
        "Name:         game\n"
        "Namespace:    default\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "\n"
        "Data\n"
        "====\n"
        "lives:\n"
        "----\n"
        "3\n"
        "\n"
        "ui.properties:\n"
        "----\n"
        "color=red\n"
        "how=fairlyNice\n"
        "\n"
        "\n"
        "BinaryData\n"
        "====\n"
        "bin: 3 bytes\n"
        "\n"
        "Events:  <none>\n"
    )


def test_describe_service():
    svc = apply_defaults({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx-deploy", "namespace": "default"},
                          "spec": {"type": "NodePort", "selector": {"app": "nginx-deploy"},
                                   "ports": [{"port": 80, "nodePort": 30126}]}})
    svc["spec"]["clusterIP"] = "10.96.120.7"
    svc["spec"]["clusterIPs"] = ["10.96.120.7"]
    endpoints = {"subsets": [{"addresses": [{"ip": "10.244.0.5"}, {"ip": "10.244.0.6"}], "ports": [{"port": 80}]}]}
    lines = describe("svc", svc, [], NOW, {"endpoints": endpoints}).splitlines()
    for line in ("Selector:                 app=nginx-deploy", "Type:                     NodePort",
                 "IP Family Policy:         SingleStack", "IP Families:              IPv4", "IP:                       10.96.120.7",
                 "IPs:                      10.96.120.7", "Port:                     <unset>  80/TCP",
                 "TargetPort:               80/TCP", "NodePort:                 <unset>  30126/TCP",
                 "Endpoints:                10.244.0.5:80,10.244.0.6:80", "Session Affinity:         None",
                 "External Traffic Policy:  Cluster", "Internal Traffic Policy:  Cluster", "Events:                   <none>"):
        assert line in lines, line
    slices = [{"ports": [{"name": "", "port": 80}], "endpoints": [{"addresses": [f"10.0.0.{i}"]} for i in range(5)]}]
    assert "Endpoints:                10.0.0.0:80,10.0.0.1:80,10.0.0.2:80 + 2 more..." in describe(
        "svc", svc, [], NOW, {"endpointslices": slices}).splitlines()


def test_describe_node():
    node = apply_defaults({
        "kind": "Node",
        "metadata": {"name": "node-1", "creationTimestamp": "2023-12-01T00:00:00Z", "labels": {"node-role.kubernetes.io/control-plane": ""}},
        "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                                   "lastHeartbeatTime": "2024-01-01T00:04:00Z", "lastTransitionTime": "2023-12-01T00:01:00Z"}],
                   "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
                   "capacity": {"cpu": "8", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
                   "nodeInfo": {"kubeletVersion": "v1.30.0"}},
    })
    pod = {"metadata": {"name": "web-1", "namespace": "default", "creationTimestamp": "2024-01-01T00:00:00Z"},
           "spec": {"nodeName": "node-1", "containers": [{"name": "c", "resources": {"requests": {"cpu": "800m", "memory": "1Gi"},
                                                                                       "limits": {"cpu": "1600m", "memory": "2Gi"}}}]},
           "status": {"phase": "Running"}}
    done = {"metadata": {"name": "done"}, "spec": {"nodeName": "node-1", "containers": []}, "status": {"phase": "Succeeded"}}
    lines = describe("node", node, [], NOW, {"pods": [pod, done], "lease": {"spec": {"holderIdentity": "node-1"}}}).splitlines()
    for line in ("Roles:              control-plane", "Taints:             node-role.kubernetes.io/control-plane:NoSchedule",
                 "Unschedulable:      false", "Lease:", "  HolderIdentity:  node-1", "  InternalIP:  172.18.0.2",
                 "Non-terminated Pods:          (1 in total)",
                 "  default                     web-1    800m (10%)    1600m (20%)  1Gi (6%)         2Gi (12%)      5m",
                 "  cpu                800m (10%)  1600m (20%)", "  memory             1Gi (6%)    2Gi (12%)"):
        assert line in lines, line


def test_describe_role_and_binding():
    role = {"kind": "Role", "metadata": {"name": "pod-reader", "namespace": "default"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]},
                      {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}]}
    assert describe("role", role, None, NOW) == (
        "Name:         pod-reader\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "PolicyRule:\n"
        "  Resources         Non-Resource URLs  Resource Names  Verbs\n"
        "  ---------         -----------------  --------------  -----\n"
        "  pods              []                 []              [get watch list]\n"
        "  deployments.apps  []                 []              [get]\n"
    )
    rb = {"kind": "RoleBinding", "metadata": {"name": "rb1"}, "roleRef": {"kind": "ClusterRole", "name": "admin"},
          "subjects": [{"kind": "User", "name": "devuser"}]}
    assert "Role:\n  Kind:  ClusterRole\n  Name:  admin\nSubjects:\n  Kind  Name     Namespace\n  ----  ----     ---------\n  User  devuser  \n" in describe("rolebinding", rb, None, NOW)


def test_describe_generic_fallback():
    cr = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
          "metadata": {"name": "web-6d", "namespace": "default", "uid": "abc", "managedFields": [{"manager": "x"}]},
          "revision": 1, "data": {"spec": {"replicas": 2}}}
    assert describe("controllerrevisions", cr, [], NOW) == (
        "Name:         web-6d\n"
        "Namespace:    default\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "API Version:  apps/v1\n"
        "Data:\n"
        "  Spec:\n"
        "    Replicas:  2\n"
        "Kind:          ControllerRevision\n"
        "Metadata:\n"
        "  UID:     abc\n"
        "Revision:  1\n"
        "Events:    <none>\n"
    )


def test_smart_label_for():
    assert smart_label_for("apiVersion") == "API Version"
    assert smart_label_for("creationTimestamp") == "Creation Timestamp"
    assert smart_label_for("uid") == "UID"
    assert smart_label_for("holderIdentity") == "Holder Identity"
    assert smart_label_for("a.b") == "a.b"


def test_events_sorted_by_last_seen():
    ev = [
        {"type": "Normal", "reason": "Late", "firstTimestamp": "2024-01-01T00:04:00Z", "lastTimestamp": "2024-01-01T00:04:00Z",
         "count": 1, "source": {"component": "b"}, "message": "m2"},
        {"type": "Warning", "reason": "Early", "firstTimestamp": "2024-01-01T00:01:00Z", "lastTimestamp": "2024-01-01T00:01:00Z",
         "count": 1, "reportingComponent": "a", "involvedObject": {"fieldPath": "spec.containers{c}"}, "message": "m1"},
    ]
    out = describe("cm", {"kind": "ConfigMap", "metadata": {"name": "x", "namespace": "default"}}, ev, NOW)
    tail = out.splitlines()[-2:]
    assert tail == ["  Warning  Early   4m    a     m1", "  Normal   Late    60s   b     m2"]
