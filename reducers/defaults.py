"""API-server defaulting: what `kubectl get -o yaml` shows right after a create.

`apply_defaults(obj)` returns a new dict with the defaults the real API server fills in for the
object's kind. Sources (kubernetes/kubernetes):

- `pkg/apis/core/v1/defaults.go` + `zz_generated.defaults.go` (Pod, PodSpec, Container, Volume,
  Probe, Service, Secret, Namespace, Node, PV/PVC, Endpoints, LimitRange, RC; declarative
  `+default` tags: container/service port protocol TCP, gRPC probe service "").
- `pkg/apis/apps/v1/defaults.go` (Deployment, ReplicaSet, DaemonSet, StatefulSet).
- `pkg/apis/batch/v1/defaults.go` (Job, CronJob) and `pkg/apis/autoscaling/v2/defaults.go` (HPA).
- Registry create strategies for the few fields that are not scheme defaults but always appear
  on a freshly created object: Namespace `spec.finalizers: [kubernetes]`, Service
  `ipFamilyPolicy`/`ipFamilies`/`clusterIPs`, Secret `stringData` folded into `data`.

Every object kind with a pod template gets `SetDefaults_PodSpec` on the template (Job and
CronJob templates included: upstream defaults `restartPolicy: Always` there too, and the Job
validator then rejects it with `Required value: valid values: "OnFailure", "Never"`). Pod-only
defaults (`SetDefaults_Pod`: requests copied from limits, `enableServiceLinks`, host-network
ports) are applied to Pods only, never to templates.

Pure: no clock, no randomness, the input is never mutated.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Callable

from reducers.clone import clone

# ---------------------------------------------------------------------------------------------
# small helpers


def _setdefault(d: dict, key: str, value: Any) -> None:
    """Set `d[key]` when it is missing or null (Go: pointer nil / string "")."""
    if d.get(key) is None:
        d[key] = value


def _setdefault_str(d: dict, key: str, value: str) -> None:
    """Go string fields: the empty string counts as unset."""
    if not d.get(key):
        d[key] = value


def _dict(d: dict, key: str) -> dict:
    """`d[key]` as a dict, creating it (like taking the address of an embedded struct)."""
    v = d.get(key)
    if not isinstance(v, dict):
        v = {}
        d[key] = v
    return v


def _list(d: dict, key: str) -> list:
    v = d.get(key)
    return v if isinstance(v, list) else []


# ---------------------------------------------------------------------------------------------
# image references (k8s.io/kubernetes/pkg/util/parsers.ParseImageName + docker reference grammar)

_ALNUM = r"[a-z0-9]+"
_SEP = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEP}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
_IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")


def image_tag(image: str | None) -> str:
    """The tag `ParseImageName` reports: "latest" when neither tag nor digest is given, "" on a
    parse error (which makes the pull policy IfNotPresent, as upstream ignores the error)."""
    if not image or _IDENTIFIER.match(image):
        return ""
    m = _REFERENCE.match(image)
    if not m or len(m.group(1)) > 255:
        return ""
    tag, digest = m.group(2), m.group(3)
    if not tag and not digest:
        return "latest"
    return tag or ""


def default_pull_policy(image: str | None) -> str:
    """`SetDefaults_Container`: Always for the `latest` tag (explicit or implied), else IfNotPresent."""
    return "Always" if image_tag(image) == "latest" else "IfNotPresent"


# ---------------------------------------------------------------------------------------------
# core/v1 building blocks


def _object_field_selector(ref: dict) -> None:
    _setdefault_str(ref, "apiVersion", "v1")


def _http_get(action: dict) -> None:
    _setdefault_str(action, "path", "/")
    _setdefault_str(action, "scheme", "HTTP")


def _probe(probe: dict) -> None:
    # SetDefaults_Probe: zero values are replaced (ints: 0 counts as unset)
    for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3)):
        if not probe.get(key):
            probe[key] = value
    if isinstance(probe.get("httpGet"), dict):
        _http_get(probe["httpGet"])
    if isinstance(probe.get("grpc"), dict):
        _setdefault(probe["grpc"], "service", "")


def _container(c: dict) -> None:
    """SetDefaults_Container + the generated per-container defaulters."""
    if not c.get("imagePullPolicy"):
        c["imagePullPolicy"] = default_pull_policy(c.get("image"))
    _setdefault_str(c, "terminationMessagePath", "/dev/termination-log")
    _setdefault_str(c, "terminationMessagePolicy", "File")
    for port in _list(c, "ports"):
        if isinstance(port, dict):
            _setdefault_str(port, "protocol", "TCP")
    for env in _list(c, "env"):
        if isinstance(env, dict) and isinstance(env.get("valueFrom"), dict):
            field_ref = env["valueFrom"].get("fieldRef")
            if isinstance(field_ref, dict):
                _object_field_selector(field_ref)
    # Resources is a struct, not a pointer: it always serialises, as `{}` when empty.
    if not isinstance(c.get("resources"), dict):
        c["resources"] = {}
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(c.get(key), dict):
            _probe(c[key])
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            handler = lifecycle.get(hook)
            if isinstance(handler, dict) and isinstance(handler.get("httpGet"), dict):
                _http_get(handler["httpGet"])


_VOLUME_SOURCES = (
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs",
    "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker",
    "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
    "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
)


def _pvc_spec(spec: dict) -> None:
    _setdefault(spec, "volumeMode", "Filesystem")


def _azure_disk(src: dict) -> None:
    _setdefault(src, "cachingMode", "ReadWrite")
    _setdefault(src, "fsType", "ext4")
    _setdefault(src, "readOnly", False)
    _setdefault(src, "kind", "Shared")


def _scale_io(src: dict) -> None:
    _setdefault_str(src, "storageMode", "ThinProvisioned")
    _setdefault_str(src, "fsType", "xfs")


def _rbd(src: dict) -> None:
    _setdefault_str(src, "pool", "rbd")
    _setdefault_str(src, "user", "admin")
    _setdefault_str(src, "keyring", "/etc/ceph/keyring")


def _volume(v: dict) -> None:
    """SetDefaults_Volume and the per-source defaulters."""
    if not any(isinstance(v.get(k), dict) for k in _VOLUME_SOURCES):
        v["emptyDir"] = {}
    if isinstance(v.get("hostPath"), dict):
        _setdefault(v["hostPath"], "type", "")
    if isinstance(v.get("secret"), dict):
        _setdefault(v["secret"], "defaultMode", 420)
    if isinstance(v.get("configMap"), dict):
        _setdefault(v["configMap"], "defaultMode", 420)
    if isinstance(v.get("downwardAPI"), dict):
        _setdefault(v["downwardAPI"], "defaultMode", 420)
        for item in _list(v["downwardAPI"], "items"):
            if isinstance(item, dict) and isinstance(item.get("fieldRef"), dict):
                _object_field_selector(item["fieldRef"])
    if isinstance(v.get("projected"), dict):
        projected = v["projected"]
        _setdefault(projected, "defaultMode", 420)
        for source in _list(projected, "sources"):
            if not isinstance(source, dict):
                continue
            if isinstance(source.get("downwardAPI"), dict):
                for item in _list(source["downwardAPI"], "items"):
                    if isinstance(item, dict) and isinstance(item.get("fieldRef"), dict):
                        _object_field_selector(item["fieldRef"])
            if isinstance(source.get("serviceAccountToken"), dict):
                _setdefault(source["serviceAccountToken"], "expirationSeconds", 3600)
    if isinstance(v.get("iscsi"), dict):
        _setdefault_str(v["iscsi"], "iscsiInterface", "default")
    if isinstance(v.get("rbd"), dict):
        _rbd(v["rbd"])
    if isinstance(v.get("azureDisk"), dict):
        _azure_disk(v["azureDisk"])
    if isinstance(v.get("scaleIO"), dict):
        _scale_io(v["scaleIO"])
    ephemeral = v.get("ephemeral")
    if isinstance(ephemeral, dict) and isinstance(ephemeral.get("volumeClaimTemplate"), dict):
        _pvc_spec(_dict(ephemeral["volumeClaimTemplate"], "spec"))


def _pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec plus the generated walk over volumes and containers (pods and templates)."""
    _setdefault_str(spec, "dnsPolicy", "ClusterFirst")
    _setdefault_str(spec, "restartPolicy", "Always")
    _setdefault(spec, "securityContext", {})
    _setdefault(spec, "terminationGracePeriodSeconds", 30)
    _setdefault_str(spec, "schedulerName", "default-scheduler")
    for v in _list(spec, "volumes"):
        if isinstance(v, dict):
            _volume(v)
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in _list(spec, key):
            if isinstance(c, dict):
                _container(c)


def _template_spec(template: Any) -> None:
    if isinstance(template, dict):
        _pod_spec(_dict(template, "spec"))


def _limits_into_requests(containers: list) -> None:
    for c in containers:
        if not isinstance(c, dict):
            continue
        resources = c.get("resources")
        if not isinstance(resources, dict) or not isinstance(resources.get("limits"), dict):
            continue
        requests = resources.get("requests")
        if not isinstance(requests, dict):
            requests = {}
            resources["requests"] = requests
        for name, value in resources["limits"].items():
            if name not in requests:
                requests[name] = value


# ---------------------------------------------------------------------------------------------
# per kind


def _pod(obj: dict) -> None:
    spec = _dict(obj, "spec")
    # SetDefaults_Pod (pods only): limits -> missing requests, enableServiceLinks, host-network ports
    _limits_into_requests(_list(spec, "containers"))
    _limits_into_requests(_list(spec, "initContainers"))
    _setdefault(spec, "enableServiceLinks", True)
    if spec.get("hostNetwork"):
        for key in ("containers", "initContainers"):
            for c in _list(spec, key):
                for port in _list(c, "ports") if isinstance(c, dict) else []:
                    if isinstance(port, dict) and not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")
    _pod_spec(spec)


def _pod_template(obj: dict) -> None:
    _template_spec(obj.get("template"))


def _replication_controller(obj: dict) -> None:
    spec = _dict(obj, "spec")
    template = spec.get("template")
    labels = template.get("metadata", {}).get("labels") if isinstance(template, dict) else None
    if labels is not None:
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        meta = _dict(obj, "metadata")
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    _setdefault(spec, "replicas", 1)
    _template_spec(template)


def _replica_set(obj: dict) -> None:
    spec = _dict(obj, "spec")
    _setdefault(spec, "replicas", 1)
    _template_spec(spec.get("template"))


def _deployment(obj: dict) -> None:
    spec = _dict(obj, "spec")
    _setdefault(spec, "replicas", 1)
    strategy = _dict(spec, "strategy")
    _setdefault_str(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _dict(strategy, "rollingUpdate")
        _setdefault(rolling, "maxUnavailable", "25%")
        _setdefault(rolling, "maxSurge", "25%")
    _setdefault(spec, "revisionHistoryLimit", 10)
    _setdefault(spec, "progressDeadlineSeconds", 600)
    _template_spec(spec.get("template"))


def _daemon_set(obj: dict) -> None:
    spec = _dict(obj, "spec")
    strategy = _dict(spec, "updateStrategy")
    _setdefault_str(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _dict(strategy, "rollingUpdate")
        _setdefault(rolling, "maxUnavailable", 1)
        _setdefault(rolling, "maxSurge", 0)
    _setdefault(spec, "revisionHistoryLimit", 10)
    _template_spec(spec.get("template"))


def _stateful_set(obj: dict) -> None:
    spec = _dict(obj, "spec")
    _setdefault_str(spec, "podManagementPolicy", "OrderedReady")
    strategy = _dict(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        if not isinstance(strategy.get("rollingUpdate"), dict):
            strategy["rollingUpdate"] = {}
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict):
        _setdefault(rolling, "partition", 0)
    # StatefulSetAutoDeletePVC (beta, on by default since 1.27)
    retention = _dict(spec, "persistentVolumeClaimRetentionPolicy")
    _setdefault_str(retention, "whenDeleted", "Retain")
    _setdefault_str(retention, "whenScaled", "Retain")
    _setdefault(spec, "replicas", 1)
    _setdefault(spec, "revisionHistoryLimit", 10)
    _template_spec(spec.get("template"))
    for claim in _list(spec, "volumeClaimTemplates"):
        if isinstance(claim, dict):
            _pvc_spec(_dict(claim, "spec"))
            _setdefault(_dict(claim, "status"), "phase", "Pending")


def _job_spec(spec: dict) -> None:
    template = spec.get("template")
    _template_spec(template)


def _job(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _setdefault(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        # JobBackoffLimitPerIndex (beta, on by default since 1.29)
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    template = spec.get("template")
    labels = template.get("metadata", {}).get("labels") if isinstance(template, dict) else None
    if labels is not None:
        meta = _dict(obj, "metadata")
        if not meta.get("labels"):
            meta["labels"] = dict(labels)
    _setdefault(spec, "completionMode", "NonIndexed")
    _setdefault(spec, "suspend", False)
    policy = spec.get("podFailurePolicy")
    if isinstance(policy, dict):
        for rule in _list(policy, "rules"):
            for pattern in _list(rule, "onPodConditions") if isinstance(rule, dict) else []:
                if isinstance(pattern, dict):
                    _setdefault_str(pattern, "status", "True")
    # JobPodReplacementPolicy (beta, on by default since 1.29)
    _setdefault(spec, "podReplacementPolicy", "Failed" if isinstance(policy, dict) else "TerminatingOrFailed")
    _job_spec(spec)


def _cron_job(obj: dict) -> None:
    spec = _dict(obj, "spec")
    _setdefault_str(spec, "concurrencyPolicy", "Allow")
    _setdefault(spec, "suspend", False)
    _setdefault(spec, "successfulJobsHistoryLimit", 3)
    _setdefault(spec, "failedJobsHistoryLimit", 1)
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict):
        # JobTemplateSpec is not a Job: SetDefaults_Job does not run, only the pod template defaults.
        _job_spec(_dict(job_template, "spec"))


def _externally_accessible(spec: dict) -> bool:
    t = spec.get("type")
    return t in ("LoadBalancer", "NodePort") or (t == "ClusterIP" and bool(spec.get("externalIPs")))


def _service(obj: dict) -> None:
    spec = _dict(obj, "spec")
    _setdefault_str(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        cfg = spec.get("sessionAffinityConfig")
        client_ip = cfg.get("clientIP") if isinstance(cfg, dict) else None
        if not isinstance(client_ip, dict) or client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    _setdefault_str(spec, "type", "ClusterIP")
    for port in _list(spec, "ports"):
        if not isinstance(port, dict):
            continue
        _setdefault_str(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if _externally_accessible(spec):
        _setdefault_str(spec, "externalTrafficPolicy", "Cluster")
    if spec.get("internalTrafficPolicy") is None and spec["type"] in ("NodePort", "LoadBalancer", "ClusterIP"):
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == "LoadBalancer":
        _setdefault(spec, "allocateLoadBalancerNodePorts", True)
        for ing in _list(_dict(_dict(obj, "status"), "loadBalancer"), "ingress"):
            if isinstance(ing, dict) and ing.get("ip") and ing.get("ipMode") is None:
                ing["ipMode"] = "VIP"
    # Registry create strategy (pkg/registry/core/service/storage): cluster IP families.
    if spec["type"] != "ExternalName":
        if spec.get("clusterIP") and not spec.get("clusterIPs"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        if spec.get("ipFamilyPolicy") is None:
            headless_no_selector = spec.get("clusterIP") == "None" and not spec.get("selector")
            spec["ipFamilyPolicy"] = "RequireDualStack" if headless_no_selector else "SingleStack"
        if not spec.get("ipFamilies"):
            spec["ipFamilies"] = ["IPv4"]


def _secret(obj: dict) -> None:
    _setdefault_str(obj, "type", "Opaque")
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = obj.get("data")
        if not isinstance(data, dict):
            data = {}
            obj["data"] = data
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode("utf-8")).decode("ascii")


def _namespace(obj: dict) -> None:
    meta = _dict(obj, "metadata")
    name = meta.get("name")
    if name:
        labels = meta.get("labels")
        if not isinstance(labels, dict):
            labels = {}
            meta["labels"] = labels
        labels["kubernetes.io/metadata.name"] = name
    spec = _dict(obj, "spec")
    if not spec.get("finalizers"):
        spec["finalizers"] = ["kubernetes"]
    _setdefault_str(_dict(obj, "status"), "phase", "Active")


def _node(obj: dict) -> None:
    status = obj.get("status")
    if isinstance(status, dict) and status.get("allocatable") is None and isinstance(status.get("capacity"), dict):
        status["allocatable"] = dict(status["capacity"])


def _persistent_volume(obj: dict) -> None:
    spec = _dict(obj, "spec")
    _setdefault_str(_dict(obj, "status"), "phase", "Pending")
    _setdefault_str(spec, "persistentVolumeReclaimPolicy", "Retain")
    _setdefault(spec, "volumeMode", "Filesystem")
    if isinstance(spec.get("hostPath"), dict):
        _setdefault(spec["hostPath"], "type", "")
    if isinstance(spec.get("rbd"), dict):
        _rbd(spec["rbd"])
    if isinstance(spec.get("iscsi"), dict):
        _setdefault_str(spec["iscsi"], "iscsiInterface", "default")
    if isinstance(spec.get("azureDisk"), dict):
        _azure_disk(spec["azureDisk"])
    if isinstance(spec.get("scaleIO"), dict):
        _scale_io(spec["scaleIO"])


def _persistent_volume_claim(obj: dict) -> None:
    _setdefault_str(_dict(obj, "status"), "phase", "Pending")
    _pvc_spec(_dict(obj, "spec"))


def _endpoints(obj: dict) -> None:
    for subset in _list(obj, "subsets"):
        for port in _list(subset, "ports") if isinstance(subset, dict) else []:
            if isinstance(port, dict):
                _setdefault_str(port, "protocol", "TCP")


def _limit_range(obj: dict) -> None:
    for item in _list(_dict(obj, "spec"), "limits"):
        if not isinstance(item, dict) or item.get("type") != "Container":
            continue
        default = item.get("default") if isinstance(item.get("default"), dict) else {}
        default_request = item.get("defaultRequest") if isinstance(item.get("defaultRequest"), dict) else {}
        for key, value in (item.get("max") or {}).items():
            default.setdefault(key, value)
        for key, value in default.items():
            default_request.setdefault(key, value)
        for key, value in (item.get("min") or {}).items():
            default_request.setdefault(key, value)
        # empty maps are omitted by the JSON encoder (omitempty)
        if default:
            item["default"] = default
        if default_request:
            item["defaultRequest"] = default_request


_SCALE_UP_RULES = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN_RULES = {
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _hpa_rules(given: Any, defaults: dict) -> dict:
    out = clone(defaults)
    if isinstance(given, dict):
        for key in ("selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"):
            if given.get(key) is not None:
                out[key] = given[key]
    return out


def _horizontal_pod_autoscaler(obj: dict) -> None:
    spec = _dict(obj, "spec")
    _setdefault(spec, "minReplicas", 1)
    if str(obj.get("apiVersion", "")).startswith("autoscaling/v1"):
        return  # v1 has only minReplicas; the v2 metric default comes from conversion
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
            }
        ]
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        behavior["scaleUp"] = _hpa_rules(behavior.get("scaleUp"), _SCALE_UP_RULES)
        behavior["scaleDown"] = _hpa_rules(behavior.get("scaleDown"), _SCALE_DOWN_RULES)


_BY_KIND: dict[str, Callable[[dict], None]] = {
    "Pod": _pod,
    "PodTemplate": _pod_template,
    "ReplicationController": _replication_controller,
    "ReplicaSet": _replica_set,
    "Deployment": _deployment,
    "DaemonSet": _daemon_set,
    "StatefulSet": _stateful_set,
    "Job": _job,
    "CronJob": _cron_job,
    "Service": _service,
    "Secret": _secret,
    "Namespace": _namespace,
    "Node": _node,
    "PersistentVolume": _persistent_volume,
    "PersistentVolumeClaim": _persistent_volume_claim,
    "Endpoints": _endpoints,
    "LimitRange": _limit_range,
    "HorizontalPodAutoscaler": _horizontal_pod_autoscaler,
}


def apply_defaults(obj: dict, *, copy: bool = True) -> dict:
    """A defaulted deep copy of `obj` (dispatch on `obj["kind"]`; unknown kinds come back as a plain copy).

    `copy=False` defaults `obj` in place: for callers that own a fresh object (the reducers)."""
    out = clone(obj) if copy else obj
    fn = _BY_KIND.get(out.get("kind", "")) if isinstance(out, dict) else None
    if fn is not None:
        fn(out)
    return out
