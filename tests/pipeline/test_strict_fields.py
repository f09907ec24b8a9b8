"""Strict field validation: unknown fields by upstream path, upstream's 400 text, and no false alarms."""

import copy
import pathlib

import pytest
import yaml

from engine.errors import StatusError
from engine.pipeline.validation import schema
from engine.pipeline.validation.strict import (
    MAX_ERRORS,
    go_json,
    go_map_repr,
    strict_error,
    strict_patch_error,
    unknown_fields,
)
from engine.registry import EXTRA_VERSIONS, TYPES

MANIFESTS = sorted((pathlib.Path(__file__).parents[2] / "fixtures" / "manifests").glob("*.yaml"))


def docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def one(text: str) -> dict:
    (d,) = docs(text)
    return d


def deployment() -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]},
                        {"name": "sidecar", "image": "busybox", "command": ["sleep", "3600"]},
                    ]
                },
            },
        },
    }


# --- fixtures and the schema itself ------------------------------------------------------------


def test_fixture_manifests_exist():
    assert len(MANIFESTS) >= 5


@pytest.mark.parametrize("path", MANIFESTS, ids=[p.name for p in MANIFESTS])
def test_every_fixture_manifest_has_only_known_fields(path):
    for doc in docs(path.read_text(encoding="utf-8")):
        assert schema.schema_for(doc["apiVersion"], doc["kind"]) is not None
        assert unknown_fields(doc) == []
        assert strict_error(doc) is None


def test_every_served_type_and_accepted_version_has_a_schema():
    for t in TYPES:
        s = schema.schema_for(t.api_version, t.kind)
        assert s is not None, t.kind
        assert {"apiVersion", "kind", "metadata"} <= set(s.fields)
        assert s.fields["metadata"] is schema.OBJECT_META
    for (group, version), kind in EXTRA_VERSIONS.items():
        assert schema.schema_for(f"{group}/{version}", kind) is not None, (group, version, kind)


def test_struct_refuses_a_field_given_twice():
    with pytest.raises(ValueError):
        schema.Struct("X", "a b", a=schema.MAP)
    with pytest.raises(ValueError):
        schema.Struct("X", "a").extend("Y", "a")


# --- typos at each level, with the exact path ------------------------------------------------------


def _set(obj: dict, path: list, key: str, value=1) -> None:
    cur = obj
    for p in path:
        cur = cur[p]
    cur[key] = value


TYPOS = [
    ([], "specs", "specs"),
    ([], "Kind", "Kind"),  # matching is case-sensitive, as the API server's decoder is
    (["metadata"], "lables", "metadata.lables"),
    (["metadata"], "namspace", "metadata.namspace"),
    (["spec"], "replica", "spec.replica"),
    (["spec"], "Replicas", "spec.Replicas"),
    (["spec", "selector"], "matchLabel", "spec.selector.matchLabel"),
    (["spec", "template"], "specs", "spec.template.specs"),
    (["spec", "template", "metadata"], "label", "spec.template.metadata.label"),
    (["spec", "template", "spec"], "restartpolicy", "spec.template.spec.restartpolicy"),
    (["spec", "template", "spec", "containers", 0], "imagee", "spec.template.spec.containers[0].imagee"),
    (["spec", "template", "spec", "containers", 1], "cmd", "spec.template.spec.containers[1].cmd"),
    (["spec", "template", "spec", "containers", 0, "ports", 0], "port", "spec.template.spec.containers[0].ports[0].port"),
]


@pytest.mark.parametrize("path,key,expected", TYPOS, ids=[t[2] for t in TYPOS])
def test_a_typo_is_reported_at_its_path(path, key, expected):
    obj = deployment()
    _set(obj, path, key)
    assert unknown_fields(obj) == [expected]
    err = strict_error(obj)
    assert err.code == 400 and err.reason == "BadRequest"
    assert err.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: '
        f'strict decoding error: unknown field "{expected}"'
    )


def test_upstream_example_message_and_status():
    obj = deployment()
    obj["spec"]["replica"] = 3
    err = strict_error(obj)
    assert isinstance(err, StatusError)
    assert err.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Deployment in version "v1" cannot be handled as a Deployment: '
        'strict decoding error: unknown field "spec.replica"',
        "reason": "BadRequest",
        "code": 400,
    }
    assert err.kubectl_text() == (
        'Error from server (BadRequest): Deployment in version "v1" cannot be handled as a Deployment: '
        'strict decoding error: unknown field "spec.replica"'
    )


def test_several_unknown_fields_come_in_document_order():
    obj = one(
        """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  foo: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        imagee: nginx
  bar: 2
"""
    )
    assert unknown_fields(obj) == ["spec.foo", "spec.template.spec.containers[0].imagee", "spec.bar"]
    assert strict_error(obj).message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.foo", unknown field "spec.template.spec.containers[0].imagee", unknown field "spec.bar"'
    )


def test_upstream_integration_body_minus_duplicates():
    # test/integration/apiserver/field_validation_test.go's invalidBodyJSON once its repeated
    # keys are collapsed, which is all a parsed body can still show.
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x", "labels": {"app": "nginx"}, "unknownMeta": "metaVal"},
        "spec": {
            "unknown1": "val1",
            "unknownDupe": "valDupe2",
            "paused": False,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:latest", "unknownNested": "val1",
                                         "imagePullPolicy": "Never"}]},
            },
        },
    }
    assert strict_error(obj).message.endswith(
        'strict decoding error: unknown field "metadata.unknownMeta", unknown field "spec.unknown1", '
        'unknown field "spec.unknownDupe", unknown field "spec.template.spec.containers[0].unknownNested"'
    )


def test_nothing_is_reported_below_an_unknown_field():
    obj = deployment()
    obj["spec"]["strategie"] = {"type": "Recreate", "whatever": {"deeper": 1}}
    obj["spec"]["template"]["spec"]["containers"][0]["probe"] = {"httpGet": {"pth": "/"}}
    # `strategie` was added after `template`: document order puts it last.
    assert unknown_fields(obj) == ["spec.template.spec.containers[0].probe", "spec.strategie"]


def test_list_indexes_are_the_items_positions():
    obj = deployment()
    pod = obj["spec"]["template"]["spec"]
    pod["initContainers"] = [{"name": "init", "image": "busybox", "args": ["true"], "workDir": "/"}]
    pod["containers"].append({"name": "third", "image": "x", "env": [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "2"},
        {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v1"}}},
        {"name": "D", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optinal": True}}},
    ]})
    pod["volumes"] = [
        {"name": "a", "emptyDir": {}},
        {"name": "b", "configMap": {"name": "cm", "items": [{"key": "k", "path": "p"}, {"key": "k2", "pth": "p2"}]}},
    ]
    assert unknown_fields(obj) == [
        "spec.template.spec.containers[2].env[3].valueFrom.secretKeyRef.optinal",
        "spec.template.spec.initContainers[0].workDir",
        "spec.template.spec.volumes[1].configMap.items[1].pth",
    ]


DEEP_TYPOS = [
    # (yaml placed at spec.template.spec, expected path)
    ("containers: [{name: a, image: b, livenessProbe: {httpGet: {pth: /}}}]",
     "spec.template.spec.containers[0].livenessProbe.httpGet.pth"),
    ("containers: [{name: a, image: b, readinessProbe: {exec: {commands: [x]}}}]",
     "spec.template.spec.containers[0].readinessProbe.exec.commands"),
    ("containers: [{name: a, image: b, lifecycle: {preStart: {exec: {command: [x]}}}}]",
     "spec.template.spec.containers[0].lifecycle.preStart"),
    ("containers: [{name: a, image: b, securityContext: {runAsUsr: 1000}}]",
     "spec.template.spec.containers[0].securityContext.runAsUsr"),
    ("containers: [{name: a, image: b, securityContext: {capabilities: {added: [NET_ADMIN]}}}]",
     "spec.template.spec.containers[0].securityContext.capabilities.added"),
    ("containers: [{name: a, image: b, resources: {limit: {cpu: 1}}}]",
     "spec.template.spec.containers[0].resources.limit"),
    ("containers: [{name: a, image: b, envFrom: [{configMapRef: {name: c, optional: true, key: x}}]}]",
     "spec.template.spec.containers[0].envFrom[0].configMapRef.key"),
    ("containers: [{name: a, image: b, volumeMounts: [{name: v, mountpath: /x}]}]",
     "spec.template.spec.containers[0].volumeMounts[0].mountpath"),
    ("volumes: [{name: v, secret: {name: s}}]", "spec.template.spec.volumes[0].secret.name"),
    ("volumes: [{name: v, hostPath: {path: /x, typ: Directory}}]", "spec.template.spec.volumes[0].hostPath.typ"),
    ("volumes: [{name: v, persistentVolumeClaim: {name: c}}]",
     "spec.template.spec.volumes[0].persistentVolumeClaim.name"),
    ("volumes: [{name: v, projected: {sources: [{serviceAccountToken: {path: t, audiences: [a]}}]}}]",
     "spec.template.spec.volumes[0].projected.sources[0].serviceAccountToken.audiences"),
    ("volumes: [{name: v, downwardAPI: {items: [{path: p, fieldRef: {fieldpath: x}}]}}]",
     "spec.template.spec.volumes[0].downwardAPI.items[0].fieldRef.fieldpath"),
    ("volumes: [{name: v, nfs: {server: s, path: /, readonly: true}}]",
     "spec.template.spec.volumes[0].nfs.readonly"),
    ("volumes: [{name: v, configmap: {name: c}}]", "spec.template.spec.volumes[0].configmap"),
    ("affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
     "[{matchExpressions: [{key: k, operatr: In, values: [a]}]}]}}}",
     "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
     ".nodeSelectorTerms[0].matchExpressions[0].operatr"),
    ("affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: "
     "[{weight: 1, podAffinityTerm: {topologykey: h}}]}}",
     "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
     ".podAffinityTerm.topologykey"),
    ("affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
     "[{topologyKey: h, labelSelector: {matchLabel: {a: b}}}]}}",
     "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
     ".labelSelector.matchLabel"),
    ("tolerations: [{key: k, operator: Exists, effect: NoSchedule, tolerationSecond: 5}]",
     "spec.template.spec.tolerations[0].tolerationSecond"),
    ("topologySpreadConstraints: [{maxSkew: 1, topologyKey: z, whenUnsatisfiable: DoNotSchedule, "
     "labelSelector: {matchLabels: {a: b}}, minDomain: 2}]",
     "spec.template.spec.topologySpreadConstraints[0].minDomain"),
    ("dnsConfig: {nameservers: [1.1.1.1], options: [{name: ndots, val: '2'}]}",
     "spec.template.spec.dnsConfig.options[0].val"),
    ("hostAliases: [{ip: 127.0.0.1, hostname: [a]}]", "spec.template.spec.hostAliases[0].hostname"),
    ("readinessGates: [{condition: x}]", "spec.template.spec.readinessGates[0].condition"),
    ("imagePullSecrets: [{secretName: r}]", "spec.template.spec.imagePullSecrets[0].secretName"),
    ("securityContext: {sysctls: [{name: a, val: b}]}", "spec.template.spec.securityContext.sysctls[0].val"),
    ("ephemeralContainers: [{name: e, image: b, targetContainer: a}]",
     "spec.template.spec.ephemeralContainers[0].targetContainer"),
]


@pytest.mark.parametrize("snippet,expected", DEEP_TYPOS, ids=[t[1].split("spec.template.spec.")[1] for t in DEEP_TYPOS])
def test_a_deep_typo_is_reported_at_its_path(snippet, expected):
    obj = deployment()
    pod = obj["spec"]["template"]["spec"]
    extra = yaml.safe_load(snippet)
    if "containers" in extra:
        pod["containers"] = extra.pop("containers")
    pod.update(extra)
    assert unknown_fields(obj) == [expected]


def test_metadata_lists_are_checked_too():
    obj = deployment()
    obj["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "X", "name": "o", "uid": "u", "contoller": True}]
    obj["metadata"]["managedFields"] = [{"manager": "m", "operation": "Update", "fieldsV1": {"f:spec": {}}, "tim": "t"}]
    assert unknown_fields(obj) == ["metadata.ownerReferences[0].contoller", "metadata.managedFields[0].tim"]


def test_status_is_checked():
    obj = deployment()
    obj["status"] = {"replicas": 1, "conditions": [{"type": "Available", "status": "True", "reasons": "x"}],
                     "readyReplica": 1}
    assert unknown_fields(obj) == ["status.conditions[0].reasons", "status.readyReplica"]


def test_odd_keys_are_quoted_as_go_does():
    obj = deployment()
    obj["spec"]['we"ird\n'] = 1
    assert strict_error(obj).message.endswith(r'unknown field "spec.we\"ird\n"')


def test_at_most_100_unknown_fields_are_reported():
    obj = deployment()
    for i in range(150):
        obj["spec"][f"x{i:03d}"] = i
    paths = unknown_fields(obj)
    assert len(paths) == MAX_ERRORS == 100
    assert paths[0] == "spec.x000" and paths[-1] == "spec.x099"
    assert strict_error(obj).message.count("unknown field") == 100


# --- free-form maps and opaque values ------------------------------------------------------------


def test_free_form_maps_accept_any_key():
    obj = deployment()
    weird = {"Anything": "goes", "with/slash": "1", "example.com/x": "y", "UPPER": "z"}
    obj["metadata"]["labels"] = dict(weird)
    obj["metadata"]["annotations"] = {**weird, "kubectl.kubernetes.io/last-applied-configuration": "{}"}
    tmpl = obj["spec"]["template"]
    tmpl["metadata"]["annotations"] = dict(weird)
    tmpl["spec"]["nodeSelector"] = {"kubernetes.io/os": "linux", "disktype": "ssd"}
    tmpl["spec"]["overhead"] = {"cpu": "250m"}
    c = tmpl["spec"]["containers"][0]
    c["resources"] = {"limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": 1, "hugepages-2Mi": "1Gi"},
                      "requests": {"ephemeral-storage": "1Gi"}}
    tmpl["spec"]["volumes"] = [{"name": "v", "emptyDir": {"sizeLimit": "1Gi"}},
                               {"name": "w", "csi": {"driver": "d", "volumeAttributes": dict(weird)}}]
    obj["spec"]["selector"] = {"matchLabels": dict(weird)}
    assert unknown_fields(obj) == []


@pytest.mark.parametrize("obj", [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "immutable": False,
     "data": {"any.key": "v", "KEY_2": "w", "game.properties": "a=b\n"}, "binaryData": {"bin": "AAEC"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "immutable": True,
     "data": {"password": "cGFzcw==", ".dot": "eA=="}, "stringData": {"user": "admin", "any-key": "x"}},
    {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
     "spec": {"replicas": 1, "selector": {"app": "x", "tier": "y"},
              "template": {"metadata": {"labels": {"app": "x", "tier": "y"}},
                           "spec": {"containers": [{"name": "c", "image": "i"}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
     "spec": {"selector": {"app": "x", "example.com/role": "db"}, "ports": [{"port": 80, "targetPort": "http"}]}},
    {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
     "spec": {"hard": {"pods": "10", "requests.cpu": "4", "count/deployments.apps": "2"}},
     "status": {"hard": {"pods": "10"}, "used": {"pods": "3"}}},
    {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l"},
     "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"cpu": "100m"},
                          "default": {"memory": "512Mi"}, "defaultRequest": {"memory": "256Mi"},
                          "maxLimitRequestRatio": {"cpu": "4"}}]}},
    {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"},
     "provisioner": "kubernetes.io/no-provisioner", "parameters": {"type": "pd-ssd", "csi.storage.k8s.io/fstype": "xfs"},
     "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True,
     "mountOptions": ["debug"],
     "allowedTopologies": [{"matchLabelExpressions": [{"key": "topology.kubernetes.io/zone", "values": ["a"]}]}]},
    {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"},
     "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data"},
              "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "manual",
              "claimRef": {"namespace": "default", "name": "c"},
              "nodeAffinity": {"required": {"nodeSelectorTerms": [
                  {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": ["n1"]}]}]}}},
     "status": {"phase": "Bound"}},
    {"apiVersion": "config.kubetape.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "cluster"},
     "spec": {"anything": {"at": ["all", {"levels": 1}]}, "nodes": {"workers": 2}}},
], ids=lambda o: o["kind"])
def test_kinds_with_free_form_parts_pass(obj):
    assert unknown_fields(obj) == []


def test_opaque_values_are_not_looked_into():
    cr = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"}, "revision": 2,
          "data": {"spec": {"template": {"anything": "goes", "$patch": "replace"}}}}
    assert unknown_fields(cr) == []
    obj = deployment()
    obj["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
    obj["metadata"]["managedFields"] = [{"manager": "kubectl", "operation": "Update", "apiVersion": "apps/v1",
                                         "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}}]
    assert unknown_fields(obj) == []


def test_type_mismatches_and_nulls_are_left_to_the_decoder():
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"] = "not a list"
    obj["spec"]["strategy"] = None
    obj["spec"]["selector"] = ["not", "a", "struct"]
    obj["status"] = None
    assert unknown_fields(obj) == []


# --- per-kind top-level fields -------------------------------------------------------------------

TOP_LEVEL = {
    ("authentication.k8s.io/v1", "SelfSubjectReview"): {"status"},
    ("v1", "ConfigMap"): {"data", "binaryData", "immutable"},
    ("v1", "Secret"): {"data", "stringData", "type", "immutable"},
    ("v1", "Event"): {"involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count",
                      "type", "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance"},
    ("events.k8s.io/v1", "Event"): {"eventTime", "series", "reportingController", "reportingInstance", "action",
                                    "reason", "regarding", "related", "note", "type", "deprecatedSource",
                                    "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount"},
    ("rbac.authorization.k8s.io/v1", "Role"): {"rules"},
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): {"rules", "aggregationRule"},
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): {"subjects", "roleRef"},
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): {"subjects", "roleRef"},
    ("v1", "Endpoints"): {"subsets"},
    ("discovery.k8s.io/v1", "EndpointSlice"): {"addressType", "endpoints", "ports"},
    ("v1", "ServiceAccount"): {"secrets", "imagePullSecrets", "automountServiceAccountToken"},
    ("apps/v1", "ControllerRevision"): {"data", "revision"},
    ("storage.k8s.io/v1", "StorageClass"): {"provisioner", "parameters", "reclaimPolicy", "mountOptions",
                                            "allowVolumeExpansion", "volumeBindingMode", "allowedTopologies"},
    ("v1", "LimitRange"): {"spec"},
    ("coordination.k8s.io/v1", "Lease"): {"spec"},
}


def test_top_level_fields_per_kind():
    base = {"apiVersion", "kind", "metadata"}
    for t in TYPES:
        own = TOP_LEVEL.get((t.api_version, t.kind), {"spec", "status"})
        assert set(schema.schema_for(t.api_version, t.kind).fields) == base | own, t.kind
    for key, own in TOP_LEVEL.items():
        assert set(schema.schema_for(*key).fields) == base | own, key


@pytest.mark.parametrize("key", sorted(TOP_LEVEL), ids=lambda k: f"{k[0]}:{k[1]}")
def test_a_kinds_top_level_typo_is_reported(key):
    api_version, kind = key
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
    for f in sorted(TOP_LEVEL[key]):
        obj[f] = None
    bad = "specs" if "spec" in TOP_LEVEL[key] else "spec"
    obj[bad] = {}
    assert unknown_fields(obj) == [bad]
    version = api_version.rpartition("/")[2]
    assert strict_error(obj).message == (
        f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding error: unknown field "{bad}"'
    )


def test_rbac_and_discovery_objects():
    objs = docs(
        """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- apiGroups: [""]
  resources: [pods, services]
  verbs: [get, list, watch]
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: default}
subjects:
- kind: User
  name: jane
  apiGroup: rbac.authorization.k8s.io
- kind: ServiceAccount
  name: default
  namespace: kube-system
roleRef:
  kind: Role
  name: pod-reader
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports:
- {name: http, protocol: TCP, port: 80, appProtocol: http}
endpoints:
- addresses: [10.1.2.3]
  conditions: {ready: true, serving: true, terminating: false}
  hostname: pod-1
  nodeName: node-1
  zone: us-west2-a
  targetRef: {kind: Pod, namespace: default, name: web-1, uid: u}
  hints:
    forZones: [{name: us-west2-a}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses:
  - ip: 10.1.2.3
    nodeName: node-1
    targetRef: {kind: Pod, name: web-1, namespace: default}
  notReadyAddresses: [{ip: 10.1.2.4}]
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder}
automountServiceAccountToken: false
secrets: [{name: builder-token}]
imagePullSecrets: [{name: registry}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: node-1, namespace: kube-node-lease}
spec:
  holderIdentity: node-1
  leaseDurationSeconds: 40
  renewTime: "2026-01-01T00:00:00.000000Z"
---
apiVersion: v1
kind: Event
metadata: {name: web.17a, namespace: default}
involvedObject: {apiVersion: apps/v1, kind: Deployment, name: web, namespace: default, uid: u, resourceVersion: "5"}
reason: ScalingReplicaSet
message: Scaled up replica set web-5d4 to 3
source: {component: deployment-controller}
firstTimestamp: "2026-01-01T00:00:00Z"
lastTimestamp: "2026-01-01T00:00:00Z"
count: 1
type: Normal
eventTime: null
reportingComponent: deployment-controller
reportingInstance: ""
---
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: web.17b, namespace: default}
eventTime: "2026-01-01T00:00:00.000000Z"
reportingController: kubelet
reportingInstance: node-1
action: Pulling
reason: Pulling
regarding: {kind: Pod, name: web-1, namespace: default}
note: Pulling image "nginx"
type: Normal
series: {count: 2, lastObservedTime: "2026-01-01T00:00:01.000000Z"}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  - type: Pods
    pods:
      metric: {name: packets-per-second}
      target: {type: AverageValue, averageValue: 1k}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [{type: Percent, value: 100, periodSeconds: 15}]
status:
  currentReplicas: 1
  desiredReplicas: 1
  currentMetrics:
  - type: Resource
    resource: {name: cpu, current: {averageUtilization: 10, averageValue: 10m}}
  conditions:
  - {type: AbleToScale, status: "True", reason: SucceededGetScale, lastTransitionTime: "2026-01-01T00:00:00Z"}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  targetCPUUtilizationPercentage: 80
status: {currentReplicas: 1, desiredReplicas: 1, currentCPUUtilizationPercentage: 5}
"""
    )
    for obj in objs:
        assert unknown_fields(obj) == [], obj["kind"]
    hpa_v1 = copy.deepcopy(objs[-1])
    hpa_v1["spec"]["metrics"] = []  # a v2 field, unknown to autoscaling/v1
    assert strict_error(hpa_v1).message == (
        'HorizontalPodAutoscaler in version "v1" cannot be handled as a HorizontalPodAutoscaler: '
        'strict decoding error: unknown field "spec.metrics"'
    )


# --- what kubectl generates, and objects as the server stores them --------------------------------

KUBECTL_DRY_RUN = """
apiVersion: apps/v1
kind: Deployment
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  strategy: {}
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx
        name: nginx
        resources: {}
status: {}
---
apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    run: nginx
  name: nginx
spec:
  containers:
  - image: nginx
    name: nginx
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Always
status: {}
---
apiVersion: v1
kind: Service
metadata:
  creationTimestamp: null
  labels:
    app: web
  name: web
spec:
  ports:
  - name: 80-8080
    port: 80
    protocol: TCP
    targetPort: 8080
  selector:
    app: web
  type: ClusterIP
status:
  loadBalancer: {}
---
apiVersion: batch/v1
kind: Job
metadata:
  creationTimestamp: null
  name: pi
spec:
  template:
    metadata:
      creationTimestamp: null
    spec:
      containers:
      - image: perl
        name: pi
        resources: {}
      restartPolicy: Never
status: {}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  creationTimestamp: null
  name: hello
spec:
  jobTemplate:
    metadata:
      creationTimestamp: null
      name: hello
    spec:
      template:
        metadata:
          creationTimestamp: null
        spec:
          containers:
          - image: busybox
            name: hello
            resources: {}
          restartPolicy: OnFailure
  schedule: '*/1 * * * *'
status: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  creationTimestamp: null
  name: settings
data:
  color: blue
---
apiVersion: v1
data:
  password: cw==
kind: Secret
metadata:
  creationTimestamp: null
  name: creds
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  creationTimestamp: null
  name: pod-reader
rules:
- apiGroups:
  - ""
  resources:
  - pods
  verbs:
  - get
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  creationTimestamp: null
  name: read-pods
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: pod-reader
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: jane
---
apiVersion: v1
kind: Namespace
metadata:
  creationTimestamp: null
  name: dev
spec: {}
status: {}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  creationTimestamp: null
  name: builder
"""


def test_kubectl_dry_run_output_passes():
    objs = docs(KUBECTL_DRY_RUN)
    assert len(objs) == 11
    for obj in objs:
        assert unknown_fields(obj) == [], obj["kind"]
        assert strict_error(obj) is None


STORED = """
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    deployment.kubernetes.io/revision: "1"
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"default"}}
  creationTimestamp: "2026-01-01T00:00:00Z"
  generation: 1
  labels:
    app: web
  managedFields:
  - apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata:
        f:labels:
          .: {}
          f:app: {}
      f:spec:
        f:replicas: {}
    manager: kubectl-client-side-apply
    operation: Update
    time: "2026-01-01T00:00:00Z"
  - apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:status:
        f:availableReplicas: {}
    manager: kube-controller-manager
    operation: Update
    subresource: status
    time: "2026-01-01T00:00:05Z"
  name: web
  namespace: default
  resourceVersion: "1234"
  uid: 9e4f2a5e-5d2b-4f1c-9a53-0b7f1e2d3c4b
spec:
  progressDeadlineSeconds: 600
  replicas: 3
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: web
  strategy:
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 25%
    type: RollingUpdate
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: nginx:1.27
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
status:
  availableReplicas: 3
  conditions:
  - lastTransitionTime: "2026-01-01T00:00:05Z"
    lastUpdateTime: "2026-01-01T00:00:05Z"
    message: Deployment has minimum availability.
    reason: MinimumReplicasAvailable
    status: "True"
    type: Available
  - lastTransitionTime: "2026-01-01T00:00:00Z"
    lastUpdateTime: "2026-01-01T00:00:05Z"
    message: ReplicaSet "web-5d4f8b7c9" has successfully progressed.
    reason: NewReplicaSetAvailable
    status: "True"
    type: Progressing
  observedGeneration: 1
  readyReplicas: 3
  replicas: 3
  updatedReplicas: 3
---
apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: "2026-01-01T00:00:01Z"
  deletionGracePeriodSeconds: 30
  deletionTimestamp: "2026-01-01T00:10:00Z"
  finalizers:
  - example.com/hold
  generateName: web-5d4f8b7c9-
  labels:
    app: web
    pod-template-hash: 5d4f8b7c9
  name: web-5d4f8b7c9-abcde
  namespace: default
  ownerReferences:
  - apiVersion: apps/v1
    blockOwnerDeletion: true
    controller: true
    kind: ReplicaSet
    name: web-5d4f8b7c9
    uid: 1c0a7f5e-3b2d-4e6f-8a9b-0c1d2e3f4a5b
  resourceVersion: "1240"
  uid: 2d1b8e6f-4c3e-4f70-9bac-1d2e3f4a5b6c
spec:
  containers:
  - image: nginx:1.27
    imagePullPolicy: IfNotPresent
    name: nginx
    ports:
    - containerPort: 80
      protocol: TCP
    readinessProbe:
      failureThreshold: 3
      httpGet:
        path: /
        port: 80
        scheme: HTTP
      periodSeconds: 10
      successThreshold: 1
      timeoutSeconds: 1
    resources:
      limits:
        cpu: 500m
      requests:
        cpu: 250m
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    volumeMounts:
    - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      name: kube-api-access-abcde
      readOnly: true
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  nodeName: node-1
  preemptionPolicy: PreemptLowerPriority
  priority: 0
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  serviceAccount: default
  serviceAccountName: default
  terminationGracePeriodSeconds: 30
  tolerations:
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
  - effect: NoExecute
    key: node.kubernetes.io/unreachable
    operator: Exists
    tolerationSeconds: 300
  volumes:
  - name: kube-api-access-abcde
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken:
          expirationSeconds: 3607
          path: token
      - configMap:
          items:
          - key: ca.crt
            path: ca.crt
          name: kube-root-ca.crt
      - downwardAPI:
          items:
          - fieldRef:
              apiVersion: v1
              fieldPath: metadata.namespace
            path: namespace
status:
  conditions:
  - lastProbeTime: null
    lastTransitionTime: "2026-01-01T00:00:02Z"
    status: "True"
    type: PodReadyToStartContainers
  - lastProbeTime: null
    lastTransitionTime: "2026-01-01T00:00:01Z"
    status: "True"
    type: Initialized
  - lastProbeTime: null
    lastTransitionTime: "2026-01-01T00:00:03Z"
    status: "True"
    type: Ready
  containerStatuses:
  - containerID: containerd://abc
    image: docker.io/library/nginx:1.27
    imageID: docker.io/library/nginx@sha256:0123
    lastState:
      terminated:
        containerID: containerd://old
        exitCode: 137
        finishedAt: "2026-01-01T00:00:02Z"
        reason: OOMKilled
        startedAt: "2026-01-01T00:00:01Z"
    name: nginx
    ready: true
    restartCount: 1
    started: true
    state:
      running:
        startedAt: "2026-01-01T00:00:02Z"
    volumeMounts:
    - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      name: kube-api-access-abcde
      readOnly: true
      recursiveReadOnly: Disabled
  hostIP: 172.18.0.2
  hostIPs:
  - ip: 172.18.0.2
  phase: Running
  podIP: 10.244.1.5
  podIPs:
  - ip: 10.244.1.5
  qosClass: Burstable
  startTime: "2026-01-01T00:00:01Z"
---
apiVersion: v1
kind: Service
metadata:
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels:
    app: web
  name: web
  namespace: default
  resourceVersion: "1300"
  uid: 3e2c9f70-5d4f-4081-8cbd-2e3f4a5b6c7d
spec:
  clusterIP: 10.96.45.12
  clusterIPs:
  - 10.96.45.12
  externalTrafficPolicy: Cluster
  internalTrafficPolicy: Cluster
  ipFamilies:
  - IPv4
  ipFamilyPolicy: SingleStack
  ports:
  - name: http
    nodePort: 30080
    port: 80
    protocol: TCP
    targetPort: 8080
  selector:
    app: web
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 10800
  type: NodePort
status:
  loadBalancer:
    ingress:
    - ip: 192.0.2.10
      ipMode: VIP
      ports:
      - port: 80
        protocol: TCP
---
apiVersion: v1
kind: Node
metadata:
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
  creationTimestamp: "2026-01-01T00:00:00Z"
  labels:
    beta.kubernetes.io/arch: amd64
    kubernetes.io/hostname: node-1
    node-role.kubernetes.io/control-plane: ""
  name: node-1
  resourceVersion: "900"
  uid: 4f3da081-6e50-4192-9dce-3f4a5b6c7d8e
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs:
  - 10.244.1.0/24
  providerID: kind://docker/kind/node-1
  taints:
  - effect: NoSchedule
    key: node-role.kubernetes.io/control-plane
status:
  addresses:
  - address: 172.18.0.2
    type: InternalIP
  - address: node-1
    type: Hostname
  allocatable:
    cpu: "4"
    ephemeral-storage: 100Gi
    hugepages-2Mi: "0"
    memory: 8Gi
    pods: "110"
  capacity:
    cpu: "4"
    memory: 8Gi
    pods: "110"
  conditions:
  - lastHeartbeatTime: "2026-01-01T00:00:00Z"
    lastTransitionTime: "2026-01-01T00:00:00Z"
    message: kubelet has sufficient memory available
    reason: KubeletHasSufficientMemory
    status: "False"
    type: MemoryPressure
  - lastHeartbeatTime: "2026-01-01T00:00:00Z"
    lastTransitionTime: "2026-01-01T00:00:00Z"
    message: kubelet is posting ready status
    reason: KubeletReady
    status: "True"
    type: Ready
  daemonEndpoints:
    kubeletEndpoint:
      Port: 10250
  features:
    supplementalGroupsPolicy: true
  images:
  - names:
    - docker.io/library/nginx@sha256:0123
    - docker.io/library/nginx:1.27
    sizeBytes: 72000000
  nodeInfo:
    architecture: amd64
    bootID: b
    containerRuntimeVersion: containerd://1.7.24
    kernelVersion: 6.1.0
    kubeProxyVersion: v1.32.4
    kubeletVersion: v1.32.4
    machineID: m
    operatingSystem: linux
    osImage: Debian GNU/Linux 12 (bookworm)
    systemUUID: s
  runtimeHandlers:
  - features:
      recursiveReadOnlyMounts: true
      userNamespaces: true
    name: runc
  volumesAttached:
  - devicePath: /dev/sdb
    name: kubernetes.io/csi/pd^vol-1
  volumesInUse:
  - kubernetes.io/csi/pd^vol-1
---
apiVersion: v1
kind: Namespace
metadata:
  creationTimestamp: "2026-01-01T00:00:00Z"
  deletionTimestamp: "2026-01-01T01:00:00Z"
  labels:
    kubernetes.io/metadata.name: dev
  name: dev
  resourceVersion: "77"
  uid: 5a4eb192-7f61-42a3-8edf-4a5b6c7d8e9f
spec:
  finalizers:
  - kubernetes
status:
  conditions:
  - lastTransitionTime: "2026-01-01T01:00:01Z"
    message: All resources successfully discovered
    reason: ResourcesDiscovered
    status: "False"
    type: NamespaceDeletionDiscoveryFailure
  - lastTransitionTime: "2026-01-01T01:00:01Z"
    message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances'
    reason: SomeFinalizersRemain
    status: "True"
    type: NamespaceFinalizersRemaining
  phase: Terminating
---
apiVersion: batch/v1
kind: Job
metadata:
  creationTimestamp: "2026-01-01T00:00:00Z"
  generation: 1
  labels:
    batch.kubernetes.io/controller-uid: 6b5fc2a3-8072-43b4-9fe0-5b6c7d8e9fa0
    batch.kubernetes.io/job-name: pi
  name: pi
  namespace: default
  resourceVersion: "501"
  uid: 6b5fc2a3-8072-43b4-9fe0-5b6c7d8e9fa0
spec:
  backoffLimit: 6
  completionMode: NonIndexed
  completions: 1
  manualSelector: false
  parallelism: 1
  podReplacementPolicy: TerminatingOrFailed
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes:
        containerName: pi
        operator: In
        values: [42]
    - action: Ignore
      onPodConditions:
      - type: DisruptionTarget
        status: "True"
  selector:
    matchLabels:
      batch.kubernetes.io/controller-uid: 6b5fc2a3-8072-43b4-9fe0-5b6c7d8e9fa0
  suspend: false
  template:
    metadata:
      creationTimestamp: null
      labels:
        batch.kubernetes.io/controller-uid: 6b5fc2a3-8072-43b4-9fe0-5b6c7d8e9fa0
        batch.kubernetes.io/job-name: pi
    spec:
      containers:
      - command: [perl, -Mbignum=bpi, -wle, print bpi(2000)]
        image: perl:5.34.0
        imagePullPolicy: IfNotPresent
        name: pi
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Never
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
  ttlSecondsAfterFinished: 100
status:
  completionTime: "2026-01-01T00:00:40Z"
  conditions:
  - lastProbeTime: "2026-01-01T00:00:40Z"
    lastTransitionTime: "2026-01-01T00:00:40Z"
    message: Reached expected number of succeeded pods
    reason: CompletionsReached
    status: "True"
    type: SuccessCriteriaMet
  - lastProbeTime: "2026-01-01T00:00:40Z"
    lastTransitionTime: "2026-01-01T00:00:40Z"
    message: Reached expected number of succeeded pods
    reason: CompletionsReached
    status: "True"
    type: Complete
  ready: 0
  startTime: "2026-01-01T00:00:00Z"
  succeeded: 1
  terminating: 0
  uncountedTerminatedPods: {}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  creationTimestamp: "2026-01-01T00:00:00Z"
  generation: 1
  name: hello
  namespace: default
  resourceVersion: "610"
  uid: 7c6ad3b4-9183-44c5-a0f1-6c7d8e9fa0b1
spec:
  concurrencyPolicy: Allow
  failedJobsHistoryLimit: 1
  jobTemplate:
    metadata:
      creationTimestamp: null
      name: hello
    spec:
      template:
        metadata:
          creationTimestamp: null
        spec:
          containers:
          - command: [/bin/sh, -c, date; echo Hello]
            image: busybox:1.28
            imagePullPolicy: IfNotPresent
            name: hello
            resources: {}
            terminationMessagePath: /dev/termination-log
            terminationMessagePolicy: File
          dnsPolicy: ClusterFirst
          restartPolicy: OnFailure
          schedulerName: default-scheduler
          securityContext: {}
          terminationGracePeriodSeconds: 30
  schedule: '* * * * *'
  startingDeadlineSeconds: 200
  successfulJobsHistoryLimit: 3
  suspend: false
  timeZone: Etc/UTC
status:
  active:
  - apiVersion: batch/v1
    kind: Job
    name: hello-29000000
    namespace: default
    resourceVersion: "620"
    uid: 8d7be4c5-a294-45d6-b102-7d8e9fa0b1c2
  lastScheduleTime: "2026-01-01T00:01:00Z"
  lastSuccessfulTime: "2026-01-01T00:00:10Z"
"""


def test_objects_as_the_server_stores_them_pass():
    objs = docs(STORED)
    assert [o["kind"] for o in objs] == ["Deployment", "Pod", "Service", "Node", "Namespace", "Job", "CronJob"]
    for obj in objs:
        assert unknown_fields(obj) == [], obj["kind"]
        assert strict_error(obj) is None


def test_a_typo_in_a_stored_object_is_still_found():
    pod = docs(STORED)[1]
    pod["status"]["containerStatuses"][0]["state"]["running"]["startAt"] = "x"
    pod["spec"]["volumes"][0]["projected"]["sources"][1]["configMap"]["items"][0]["paht"] = "x"
    assert unknown_fields(pod) == [
        "spec.volumes[0].projected.sources[1].configMap.items[0].paht",
        "status.containerStatuses[0].state.running.startAt",
    ]


def test_every_volume_source_is_known():
    sources = {
        "hostPath": {"path": "/x", "type": "Directory"}, "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"},
        "gcePersistentDisk": {"pdName": "p"}, "awsElasticBlockStore": {"volumeID": "v"},
        "gitRepo": {"repository": "r"}, "secret": {"secretName": "s", "optional": True},
        "nfs": {"server": "s", "path": "/"}, "iscsi": {"targetPortal": "t", "iqn": "i", "lun": 0,
                                                      "secretRef": {"name": "s"}},
        "glusterfs": {"endpoints": "e", "path": "p"}, "persistentVolumeClaim": {"claimName": "c"},
        "rbd": {"monitors": ["m"], "image": "i"}, "flexVolume": {"driver": "d", "options": {"k": "v"}},
        "cinder": {"volumeID": "v"}, "cephfs": {"monitors": ["m"]}, "flocker": {"datasetName": "d"},
        "downwardAPI": {"items": []}, "fc": {"wwids": ["w"]}, "azureFile": {"secretName": "s", "shareName": "s"},
        "configMap": {"name": "c", "defaultMode": 420}, "vsphereVolume": {"volumePath": "p"},
        "quobyte": {"registry": "r", "volume": "v"}, "azureDisk": {"diskName": "d", "diskURI": "u"},
        "photonPersistentDisk": {"pdID": "p"}, "projected": {"sources": [{"clusterTrustBundle": {"path": "p"}}]},
        "portworxVolume": {"volumeID": "v"}, "scaleIO": {"gateway": "g", "system": "s", "secretRef": {"name": "s"}},
        "storageos": {"volumeName": "v"}, "csi": {"driver": "d", "nodePublishSecretRef": {"name": "s"}},
        "ephemeral": {"volumeClaimTemplate": {"metadata": {"labels": {"a": "b"}}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}},
        "image": {"reference": "quay.io/x:1", "pullPolicy": "IfNotPresent"},
    }
    assert set(sources) | {"name"} == set(schema.VOLUME.fields)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "i"}],
                    "volumes": [{"name": k, k: v} for k, v in sources.items()]}}
    assert unknown_fields(pod) == []
    pod["spec"]["volumes"][7]["iscsi"]["secretRef"]["namespace"] = "x"  # a PV's SecretReference field
    assert unknown_fields(pod) == ["spec.volumes[7].iscsi.secretRef.namespace"]
    pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"},
          "spec": {"iscsi": {"targetPortal": "t", "iqn": "i", "lun": 0, "secretRef": {"name": "s", "namespace": "x"}},
                   "local": {"path": "/mnt"}, "csi": {"driver": "d", "volumeHandle": "h",
                                                     "nodeStageSecretRef": {"name": "s", "namespace": "n"}}}}
    assert unknown_fields(pv) == []


def test_statefulset_daemonset_and_pvc_templates():
    objs = docs(
        """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: db}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 0, maxUnavailable: 1}}
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Delete}
  ordinals: {start: 1}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: fast
      resources: {requests: {storage: 10Gi}}
    status: {phase: Pending}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      tolerations: [{operator: Exists}]
      containers: [{name: agent, image: agent}]
status: {currentNumberScheduled: 2, numberMisscheduled: 0, desiredNumberScheduled: 2, numberReady: 2}
"""
    )
    for obj in objs:
        assert unknown_fields(obj) == [], obj["kind"]
    objs[0]["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["request"] = {}
    assert unknown_fields(objs[0]) == ["spec.volumeClaimTemplates[0].spec.resources.request"]


# --- kind and version ------------------------------------------------------------------------------


def test_scale_subresource_body():
    scale = {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web", "namespace": "default"},
             "spec": {"replicas": 5}, "status": {"replicas": 3, "selector": "app=web"}}
    assert unknown_fields(scale) == []
    scale["spec"]["replica"] = 5
    assert strict_error(scale).message == (
        'Scale in version "v1" cannot be handled as a Scale: strict decoding error: unknown field "spec.replica"'
    )


def test_types_not_served_are_not_judged_here():
    assert unknown_fields({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"x": 1}}) == []
    assert strict_error({"apiVersion": "apps/v2", "kind": "Deployment", "spc": {}}) is None
    assert unknown_fields("not an object") == []


def test_missing_kind_and_version_come_from_the_request():
    obj = deployment()
    del obj["apiVersion"], obj["kind"]
    obj["spec"]["replica"] = 1
    assert unknown_fields(obj) == []
    err = strict_error(obj, kind="Deployment", api_version="apps/v1")
    assert err.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"'
    )


def test_events_k8s_io_event_has_its_own_fields():
    ev = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
          "note": "n", "involvedObject": {"kind": "Pod"}}
    assert strict_error(ev).message == (
        'Event in version "v1" cannot be handled as a Event: strict decoding error: unknown field "involvedObject"'
    )
    core = dict(ev, apiVersion="v1")
    assert unknown_fields(core) == ["note"]


# --- patches -----------------------------------------------------------------------------------------


def test_patch_error_strategic():
    patched = deployment()
    patched["spec"]["replica"] = 3
    patched["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    patch = {"spec": {"replica": 3, "template": {"spec": {"containers": [{"name": "nginx", "imagee": "x"}]}}}}
    err = strict_patch_error(patched, patch, "strategic")
    assert err.code == 422 and err.reason == "Invalid"
    # The patched object is checked with its keys sorted, as upstream re-marshals it from a map.
    assert err.message == (
        ' "" is invalid: patch: Invalid value: '
        '"map[spec:map[replica:3 template:map[spec:map[containers:[map[imagee:x name:nginx]]]]]]": '
        'strict decoding error: unknown field "spec.replica", unknown field "spec.template.spec.containers[0].imagee"'
    )
    assert err.details["causes"] == [{
        "reason": "FieldValueInvalid",
        "field": "patch",
        "message": 'Invalid value: "map[spec:map[replica:3 template:map[spec:map[containers:[map[imagee:x name:nginx]]]]]]": '
                   'strict decoding error: unknown field "spec.replica", unknown field "spec.template.spec.containers[0].imagee"',
    }]
    assert strict_patch_error(deployment(), {"spec": {"replicas": 2}}, "strategic") is None


def test_patch_error_merge_uses_sorted_order_and_the_patched_json():
    patched = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "zeta": 1, "data": {"a": "<b>"},
               "alpha": 2}
    err = strict_patch_error(patched, {"zeta": 1, "alpha": 2}, "merge")
    assert err.message.endswith('strict decoding error: unknown field "alpha", unknown field "zeta"')
    assert go_json(patched) == (
        '{"alpha":2,"apiVersion":"v1","data":{"a":"\\u003cb\\u003e"},"kind":"ConfigMap","metadata":{"name":"c"},"zeta":1}'
    )
    assert err.details["causes"][0]["field"] == "patch"


def test_patch_error_strategic_sorts_by_message_text_and_does_not_quote():
    # FromUnstructuredWithValidation sorts its errors as strings ("[10]" before "[2]") and writes
    # the path with "%s", not "%q".
    patched = deployment()
    containers = patched["spec"]["template"]["spec"]["containers"]
    containers[:] = [{"name": f"c{i}", "image": "i"} for i in range(11)]
    containers[2]["x"] = 1
    containers[10]["x"] = 1
    patched["metadata"]['a"b'] = 1
    err = strict_patch_error(patched, {"metadata": {'a"b': 1}}, "strategic")
    assert err.message.endswith(
        'strict decoding error: unknown field "metadata.a"b", '
        'unknown field "spec.template.spec.containers[10].x", unknown field "spec.template.spec.containers[2].x"'
    )
    # The other decoder (create, update, merge and JSON patches) meets them in order and quotes.
    merge = strict_patch_error(patched, {}, "merge")
    assert merge.message.endswith(
        'strict decoding error: unknown field "metadata.a\\"b", '
        'unknown field "spec.template.spec.containers[2].x", unknown field "spec.template.spec.containers[10].x"'
    )


def test_go_map_repr():
    # Integers stay integers (the patch is decoded with PreserveInts); floats print as %v does.
    assert go_map_repr({"b": [1, 2.5, None, True, 1e6], "a": {"y": "s t", "x": 1000000}, "c": {}, "d": []}) == (
        "map[a:map[x:1000000 y:s t] b:[1 2.5 <nil> true 1e+06] c:map[] d:[]]"
    )


# --- cross-check against the generated models of the official Python client -----------------------

CLIENT_MODELS = {
    ("v1", "Namespace"): "V1Namespace", ("v1", "Node"): "V1Node", ("v1", "Pod"): "V1Pod",
    ("v1", "ReplicationController"): "V1ReplicationController", ("v1", "Service"): "V1Service",
    ("v1", "Endpoints"): "V1Endpoints", ("v1", "ConfigMap"): "V1ConfigMap", ("v1", "Secret"): "V1Secret",
    ("v1", "ServiceAccount"): "V1ServiceAccount", ("v1", "ResourceQuota"): "V1ResourceQuota",
    ("v1", "LimitRange"): "V1LimitRange", ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("v1", "PersistentVolume"): "V1PersistentVolume", ("v1", "Event"): "CoreV1Event",
    ("events.k8s.io/v1", "Event"): "EventsV1Event", ("apps/v1", "ReplicaSet"): "V1ReplicaSet",
    ("apps/v1", "Deployment"): "V1Deployment", ("apps/v1", "DaemonSet"): "V1DaemonSet",
    ("apps/v1", "StatefulSet"): "V1StatefulSet", ("apps/v1", "ControllerRevision"): "V1ControllerRevision",
    ("batch/v1", "Job"): "V1Job", ("batch/v1", "CronJob"): "V1CronJob",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "V2HorizontalPodAutoscaler",
    ("autoscaling/v1", "HorizontalPodAutoscaler"): "V1HorizontalPodAutoscaler",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role", ("rbac.authorization.k8s.io/v1", "ClusterRole"): "V1ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "V1ClusterRoleBinding",
    ("storage.k8s.io/v1", "StorageClass"): "V1StorageClass",
    ("discovery.k8s.io/v1", "EndpointSlice"): "V1EndpointSlice", ("coordination.k8s.io/v1", "Lease"): "V1Lease",
    ("autoscaling/v1", "Scale"): "V1Scale",
}


def _client_models() -> dict[str, dict[str, str]]:
    """JSON name -> type of every model class the `kubernetes` package ships, read with `ast` (not imported)."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec("kubernetes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the `kubernetes` client is not installed (pip install --target DIR kubernetes==32.*, "
                    "then run with PYTHONPATH=DIR to check the schema against the 1.32 OpenAPI models)")
    models: dict[str, dict[str, str]] = {}
    for path in (pathlib.Path(spec.submodule_search_locations[0]) / "client" / "models").glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            found = {st.targets[0].id: ast.literal_eval(st.value) for st in node.body
                     if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name)
                     and st.targets[0].id in ("openapi_types", "attribute_map")}
            if "openapi_types" in found:
                models[node.name] = {found["attribute_map"][k]: t for k, t in found["openapi_types"].items()}
    return models


def test_schema_matches_the_kubernetes_client_models():
    """Every struct, field for field, against the client generated from upstream's OpenAPI (1.32 for 32.x)."""
    import re

    models = _client_models()
    problems: list[str] = []
    seen: set[tuple[int, str]] = set()

    def compare(mine: schema.Struct, model: str, where: str) -> None:
        if (id(mine), model) in seen:
            return
        seen.add((id(mine), model))
        theirs = models[model]
        if set(mine.fields) != set(theirs):
            problems.append(f"{where}: missing {sorted(set(theirs) - set(mine.fields))}, "
                            f"extra {sorted(set(mine.fields) - set(theirs))}")
        for name, t in theirs.items():
            if name not in mine.fields:
                continue
            ours, at = mine.fields[name], f"{where}.{name}"
            m = re.fullmatch(r"list\[(.*)\]|dict\(str, (.*)\)|(.*)", t)
            listed, mapped, plain = m.groups()
            inner = listed or mapped or plain
            if mapped is not None:
                ok = ours is schema.MAP
            elif inner in models:
                target = ours.of if listed and isinstance(ours, schema.List) else ours
                ok = isinstance(target, schema.Struct) and (listed is None) == (target is ours)
                if ok:
                    compare(target, inner, at + ("[]" if listed else ""))
            else:
                ok = ours is schema.ANY
            if not ok:
                problems.append(f"{at}: {t} vs {ours!r}")

    for key, model in CLIENT_MODELS.items():
        compare(schema.schema_for(*key), model, key[1])
    assert problems == []
    assert len(seen) > 250
