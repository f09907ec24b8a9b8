"""API defaulting (reducers/defaults.py) against upstream defaults.go behaviour."""

from __future__ import annotations

import base64
import copy

import pytest
import yaml

from reducers.defaults import apply_defaults, default_pull_policy, image_tag

NGINX_DEPLOY = yaml.safe_load(
    """
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: nginx-deploy
  name: nginx-deploy
spec:
  replicas: 1
  selector:
    matchLabels:
      app: nginx-deploy
  template:
    metadata:
      labels:
        app: nginx-deploy
    spec:
      containers:
      - name: nginx
        image: wangyanglinux/myapp:v1
        ports:
        - containerPort: 80
"""
)

# What `kubectl get deploy nginx-deploy -o yaml` shows for the spec right after `kubectl create`.
NGINX_DEPLOY_SPEC = yaml.safe_load(
    """
progressDeadlineSeconds: 600
replicas: 1
revisionHistoryLimit: 10
selector:
  matchLabels:
    app: nginx-deploy
strategy:
  rollingUpdate:
    maxSurge: 25%
    maxUnavailable: 25%
  type: RollingUpdate
template:
  metadata:
    labels:
      app: nginx-deploy
  spec:
    containers:
    - image: wangyanglinux/myapp:v1
      imagePullPolicy: IfNotPresent
      name: nginx
      ports:
      - containerPort: 80
        protocol: TCP
      resources: {}
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
    dnsPolicy: ClusterFirst
    restartPolicy: Always
    schedulerName: default-scheduler
    securityContext: {}
    terminationGracePeriodSeconds: 30
"""
)


def _pod(containers, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers, **spec}}


def test_seed_deployment_gets_every_default():
    out = apply_defaults(NGINX_DEPLOY)
    assert out["spec"] == NGINX_DEPLOY_SPEC
    assert out["metadata"] == NGINX_DEPLOY["metadata"]
    assert out["apiVersion"] == "apps/v1" and out["kind"] == "Deployment"


def test_input_is_never_mutated_and_result_shares_nothing():
    original = copy.deepcopy(NGINX_DEPLOY)
    out = apply_defaults(NGINX_DEPLOY)
    assert NGINX_DEPLOY == original
    out["spec"]["template"]["spec"]["containers"][0]["image"] = "changed"
    out["metadata"]["labels"]["x"] = "y"
    assert NGINX_DEPLOY == original


def test_defaulting_is_idempotent():
    once = apply_defaults(NGINX_DEPLOY)
    assert apply_defaults(once) == once


@pytest.mark.parametrize(
    "image, policy",
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("wangyanglinux/myapp:v1", "IfNotPresent"),
        ("localhost:5000/app", "Always"),  # the port is not a tag
        ("localhost:5000/app:v2", "IfNotPresent"),
        ("registry.k8s.io/pause:3.9", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),  # digest only: no tag, not latest
        ("nginx:latest@sha256:" + "a" * 64, "Always"),
        ("Nginx", "IfNotPresent"),  # parse error (uppercase) is ignored upstream -> not latest
    ],
)
def test_image_pull_policy(image, policy):
    assert default_pull_policy(image) == policy
    pod = apply_defaults(_pod([{"name": "c", "image": image}]))
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_explicit_pull_policy_is_kept():
    pod = apply_defaults(_pod([{"name": "c", "image": "nginx", "imagePullPolicy": "Never"}]))
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def test_image_tag_helper():
    assert image_tag("nginx") == "latest"
    assert image_tag("nginx:1.25") == "1.25"
    assert image_tag("") == ""


def test_pod_only_defaults():
    pod = apply_defaults(
        _pod(
            [{"name": "c", "image": "nginx:1.25", "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}}],
            initContainers=[{"name": "i", "image": "busybox", "resources": {"limits": {"cpu": "100m"}, "requests": {"cpu": "50m"}}}],
        )
    )
    spec = pod["spec"]
    assert spec["enableServiceLinks"] is True
    assert spec["containers"][0]["resources"]["requests"] == {"cpu": "500m", "memory": "128Mi"}
    assert spec["initContainers"][0]["resources"]["requests"] == {"cpu": "50m"}  # existing request wins
    assert spec["initContainers"][0]["imagePullPolicy"] == "Always"
    for key, value in {"restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
                       "securityContext": {}, "terminationGracePeriodSeconds": 30}.items():
        assert spec[key] == value


def test_templates_do_not_get_pod_only_defaults():
    d = copy.deepcopy(NGINX_DEPLOY)
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}}
    spec = apply_defaults(d)["spec"]["template"]["spec"]
    assert "enableServiceLinks" not in spec
    assert "requests" not in spec["containers"][0]["resources"]


def test_host_network_pod_ports():
    pod = apply_defaults(_pod([{"name": "c", "image": "x:1", "ports": [{"containerPort": 8080}]}], hostNetwork=True))
    assert pod["spec"]["containers"][0]["ports"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "TCP"}]


def test_container_env_probe_and_volume_defaults():
    pod = apply_defaults(
        _pod(
            [
                {
                    "name": "c",
                    "image": "x:1",
                    "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                    "livenessProbe": {"httpGet": {"port": 8080}},
                    "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5},
                }
            ],
            volumes=[
                {"name": "cm", "configMap": {"name": "c"}},
                {"name": "sec", "secret": {"secretName": "s"}},
                {"name": "scratch"},
                {"name": "host", "hostPath": {"path": "/data"}},
                {"name": "proj", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
            ],
        )
    )
    c = pod["spec"]["containers"][0]
    assert c["env"][0]["valueFrom"]["fieldRef"] == {"apiVersion": "v1", "fieldPath": "metadata.name"}
    assert c["livenessProbe"] == {
        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3,
    }
    assert c["readinessProbe"]["periodSeconds"] == 5
    vols = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert vols["cm"]["configMap"]["defaultMode"] == 420
    assert vols["sec"]["secret"]["defaultMode"] == 420
    assert vols["scratch"] == {"name": "scratch", "emptyDir": {}}
    assert vols["host"]["hostPath"] == {"path": "/data", "type": ""}
    assert vols["proj"]["projected"]["defaultMode"] == 420
    assert vols["proj"]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 3600


def test_replicaset_and_rc():
    rs = apply_defaults({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r"},
                         "spec": {"selector": {"matchLabels": {"a": "b"}},
                                  "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    assert rs["spec"]["replicas"] == 1
    assert rs["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    rc = apply_defaults({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "r"},
                         "spec": {"template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    assert rc["spec"]["replicas"] == 1
    assert rc["spec"]["selector"] == {"app": "x"}
    assert rc["metadata"]["labels"] == {"app": "x"}
    rc2 = apply_defaults({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "r", "labels": {"own": "1"}},
                          "spec": {"selector": {"app": "x", "v": "1"}, "template": {"metadata": {"labels": {"app": "x", "v": "1"}}}}})
    assert rc2["metadata"]["labels"] == {"own": "1"}
    assert rc2["spec"]["selector"] == {"app": "x", "v": "1"}


def test_deployment_recreate_has_no_rolling_update():
    d = copy.deepcopy(NGINX_DEPLOY)
    d["spec"]["strategy"] = {"type": "Recreate"}
    assert apply_defaults(d)["spec"]["strategy"] == {"type": "Recreate"}
    d["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 1}}
    assert apply_defaults(d)["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}


def test_daemonset_and_statefulset():
    ds = apply_defaults({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": []}}}})
    assert ds["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    assert ds["spec"]["revisionHistoryLimit"] == 10
    sts = apply_defaults({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
                          "spec": {"serviceName": "s", "template": {"spec": {"containers": []}},
                                   "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}})
    spec = sts["spec"]
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert spec["volumeClaimTemplates"][0]["spec"]["volumeMode"] == "Filesystem"
    ondelete = apply_defaults({"kind": "StatefulSet", "spec": {"updateStrategy": {"type": "OnDelete"}}})
    assert ondelete["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_job_defaults():
    job = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
                          "spec": {"template": {"metadata": {"labels": {"app": "pi"}},
                                                "spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl:5.34"}]}}}})
    spec = job["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed" and spec["suspend"] is False
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    assert job["metadata"]["labels"] == {"app": "pi"}
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    workqueue = apply_defaults({"kind": "Job", "spec": {"parallelism": 3, "template": {"spec": {}}}})["spec"]
    assert "completions" not in workqueue and workqueue["parallelism"] == 3
    only_completions = apply_defaults({"kind": "Job", "spec": {"completions": 5, "template": {"spec": {}}}})["spec"]
    assert only_completions["parallelism"] == 1


def test_job_template_restart_policy_defaults_like_upstream():
    # SetObjectDefaults_Job runs SetDefaults_PodSpec on the template: an unset restartPolicy becomes
    # Always, which the Job validator then rejects ("Required value: valid values: OnFailure, Never").
    job = apply_defaults({"kind": "Job", "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Always"


def test_cronjob_defaults():
    cj = apply_defaults({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "hello"},
                         "spec": {"schedule": "*/1 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                             "restartPolicy": "OnFailure", "containers": [{"name": "hello", "image": "busybox"}]}}}}}})
    spec = cj["spec"]
    assert spec["concurrencyPolicy"] == "Allow" and spec["suspend"] is False
    assert spec["successfulJobsHistoryLimit"] == 3 and spec["failedJobsHistoryLimit"] == 1
    job_spec = spec["jobTemplate"]["spec"]
    assert "backoffLimit" not in job_spec and "completions" not in job_spec  # not a Job: SetDefaults_Job does not run
    assert job_spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    assert job_spec["template"]["spec"]["dnsPolicy"] == "ClusterFirst"


def test_service_defaults():
    svc = apply_defaults({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                          "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}, {"port": 443, "targetPort": "https"}]}})
    spec = svc["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}, {"port": 443, "targetPort": "https", "protocol": "TCP"}]
    assert spec["internalTrafficPolicy"] == "Cluster"
    assert spec["ipFamilyPolicy"] == "SingleStack" and spec["ipFamilies"] == ["IPv4"]
    assert "externalTrafficPolicy" not in spec
    np = apply_defaults({"kind": "Service", "spec": {"type": "NodePort", "ports": [{"port": 80, "targetPort": 0}]}})["spec"]
    assert np["externalTrafficPolicy"] == "Cluster" and np["ports"][0]["targetPort"] == 80
    lb = apply_defaults({"kind": "Service", "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}})["spec"]
    assert lb["allocateLoadBalancerNodePorts"] is True and lb["externalTrafficPolicy"] == "Cluster"
    headless = apply_defaults({"kind": "Service", "spec": {"clusterIP": "None", "ports": [{"port": 80}]}})["spec"]
    assert headless["clusterIPs"] == ["None"] and headless["ipFamilyPolicy"] == "RequireDualStack"
    ext = apply_defaults({"kind": "Service", "spec": {"type": "ExternalName", "externalName": "example.com"}})["spec"]
    assert "ipFamilies" not in ext and "internalTrafficPolicy" not in ext
    sticky = apply_defaults({"kind": "Service", "spec": {"sessionAffinity": "ClientIP"}})["spec"]
    assert sticky["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_secret_namespace_node_pvc_hpa():
    secret = apply_defaults({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": "hello"}})
    assert secret["type"] == "Opaque"
    assert "stringData" not in secret and base64.b64decode(secret["data"]["password"]) == b"hello"
    ns = apply_defaults({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}})
    assert ns["spec"] == {"finalizers": ["kubernetes"]} and ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "dev"}
    node = apply_defaults({"kind": "Node", "metadata": {"name": "n"}, "status": {"capacity": {"cpu": "4"}}})
    assert node["status"]["allocatable"] == {"cpu": "4"}
    pvc = apply_defaults({"kind": "PersistentVolumeClaim", "spec": {"accessModes": ["ReadWriteOnce"]}})
    assert pvc["spec"]["volumeMode"] == "Filesystem" and pvc["status"] == {"phase": "Pending"}
    pv = apply_defaults({"kind": "PersistentVolume", "spec": {"hostPath": {"path": "/d"}}})
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain" and pv["status"] == {"phase": "Pending"}
    hpa = apply_defaults({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
                          "spec": {"maxReplicas": 5, "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}}})
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert "behavior" not in hpa["spec"]
    hpa_v1 = apply_defaults({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "spec": {"maxReplicas": 5}})
    assert hpa_v1["spec"] == {"maxReplicas": 5, "minReplicas": 1}
    behavior = apply_defaults({"kind": "HorizontalPodAutoscaler", "spec": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}})
    assert behavior["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 60
    assert behavior["spec"]["behavior"]["scaleUp"]["policies"][0] == {"type": "Pods", "value": 4, "periodSeconds": 15}


def test_limit_range_and_endpoints():
    lr = apply_defaults({"kind": "LimitRange", "spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "64Mi"}}]}})
    item = lr["spec"]["limits"][0]
    assert item["default"] == {"cpu": "1"}
    assert item["defaultRequest"] == {"cpu": "1", "memory": "64Mi"}
    ep = apply_defaults({"kind": "Endpoints", "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]})
    assert ep["subsets"][0]["ports"][0]["protocol"] == "TCP"


def test_unknown_and_untouched_kinds():
    for obj in ({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}},
                {"kind": "ServiceAccount", "metadata": {"name": "sa"}},
                {"kind": "Widget", "spec": {"x": 1}}):
        out = apply_defaults(obj)
        assert out == obj and out is not obj
