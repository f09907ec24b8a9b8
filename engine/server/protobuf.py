"""Protobuf request bodies: the `k8s\\0` envelope kubectl >= 1.32 sends for typed-client writes
(`create configmap|secret|deployment|service|namespace|serviceaccount|job|cronjob|role|
rolebinding|clusterrole|clusterrolebinding|quota`, `autoscale`, `auth can-i`).

Written by hand rather than with the `protobuf` package because there is nothing to compile:
the messages are Kubernetes' `generated.proto` types, whose field numbers are tabulated below
for the kinds those commands send (numbers from k8s.io/api and k8s.io/apimachinery, release-1.32;
each table was checked by decoding what kubectl 1.33 sends and comparing it with the JSON
kubectl 1.31 sends for the same command, see tests/server/test_protobuf.py). The decoder turns a
message into the JSON shape the API server would produce after decoding into Go structs and
encoding with `omitempty`: empty strings, zero numbers and false booleans of non-pointer fields
are dropped (pointer fields, marked `*`, keep them), empty messages stay `{}`, a zero `Time` is
dropped, `bytes` become base64, `Quantity` and `IntOrString` their JSON forms.

Envelope (`runtime.Unknown`): 1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding,
4 contentType.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    pass


# field type codes: s string, i int, i* pointer int, b bool, b* pointer bool, y bytes (base64),
# t Time, q Quantity, x IntOrString, r RawExtension (embedded JSON), f FieldsV1 (raw JSON),
# Msg a message, [..] repeated, {s:T} map<string, T>
_F = dict[int, tuple[str, str]]

META: dict[str, _F] = {
    "ObjectMeta": {1: ("name", "s"), 2: ("generateName", "s"), 3: ("namespace", "s"), 4: ("selfLink", "s"), 5: ("uid", "s"),
                   6: ("resourceVersion", "s"), 7: ("generation", "i"), 8: ("creationTimestamp", "t"),
                   9: ("deletionTimestamp", "t"), 10: ("deletionGracePeriodSeconds", "i*"), 11: ("labels", "{s:s}"),
                   12: ("annotations", "{s:s}"), 13: ("ownerReferences", "[OwnerReference]"), 14: ("finalizers", "[s]"),
                   17: ("managedFields", "[ManagedFieldsEntry]")},
    "OwnerReference": {1: ("kind", "s"), 3: ("name", "s"), 4: ("uid", "s"), 5: ("apiVersion", "s"), 6: ("controller", "b*"),
                       7: ("blockOwnerDeletion", "b*")},
    "ManagedFieldsEntry": {1: ("manager", "s"), 2: ("operation", "s"), 3: ("apiVersion", "s"), 4: ("time", "t"),
                           6: ("fieldsType", "s"), 7: ("fieldsV1", "f"), 8: ("subresource", "s")},
    "LabelSelector": {1: ("matchLabels", "{s:s}"), 2: ("matchExpressions", "[LabelSelectorRequirement]")},
    "LabelSelectorRequirement": {1: ("key", "s"), 2: ("operator", "s"), 3: ("values", "[s]")},
}

CORE: dict[str, _F] = {
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 2: ("data", "{s:s}"), 3: ("binaryData", "{s:y}"), 4: ("immutable", "b*")},
    "Secret": {1: ("metadata", "ObjectMeta"), 2: ("data", "{s:y}"), 3: ("type", "s"), 4: ("stringData", "{s:s}"), 5: ("immutable", "b*")},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec"), 3: ("status", "NamespaceStatus")},
    "NamespaceSpec": {1: ("finalizers", "[s]")},
    "NamespaceStatus": {1: ("phase", "s")},
    "ServiceAccount": {1: ("metadata", "ObjectMeta"), 2: ("secrets", "[ObjectReference]"),
                       3: ("imagePullSecrets", "[LocalObjectReference]"), 4: ("automountServiceAccountToken", "b*")},
    "ObjectReference": {1: ("kind", "s"), 2: ("namespace", "s"), 3: ("name", "s"), 4: ("uid", "s"), 5: ("apiVersion", "s"),
                        6: ("resourceVersion", "s"), 7: ("fieldPath", "s")},
    "LocalObjectReference": {1: ("name", "s")},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec"), 3: ("status", "ServiceStatus")},
    "ServiceSpec": {1: ("ports", "[ServicePort]"), 2: ("selector", "{s:s}"), 3: ("clusterIP", "s"), 4: ("type", "s"),
                    5: ("externalIPs", "[s]"), 7: ("sessionAffinity", "s"), 8: ("loadBalancerIP", "s"),
                    9: ("loadBalancerSourceRanges", "[s]"), 10: ("externalName", "s"), 11: ("externalTrafficPolicy", "s"),
                    12: ("healthCheckNodePort", "i"), 13: ("publishNotReadyAddresses", "b"), 17: ("ipFamilyPolicy", "s"),
                    18: ("clusterIPs", "[s]"), 19: ("ipFamilies", "[s]"), 20: ("allocateLoadBalancerNodePorts", "b*"),
                    21: ("loadBalancerClass", "s"), 22: ("internalTrafficPolicy", "s")},
    "ServicePort": {1: ("name", "s"), 2: ("protocol", "s"), 3: ("port", "i"), 4: ("targetPort", "x"), 5: ("nodePort", "i"),
                    6: ("appProtocol", "s")},
    "ServiceStatus": {1: ("loadBalancer", "LoadBalancerStatus"), 2: ("conditions", "[Condition]")},
    "LoadBalancerStatus": {1: ("ingress", "[LoadBalancerIngress]")},
    "LoadBalancerIngress": {1: ("ip", "s"), 2: ("hostname", "s")},
    "Condition": {1: ("type", "s"), 2: ("status", "s"), 3: ("observedGeneration", "i"), 4: ("lastTransitionTime", "t"),
                  5: ("reason", "s"), 6: ("message", "s")},
    "ResourceQuota": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ResourceQuotaSpec"), 3: ("status", "ResourceQuotaStatus")},
    "ResourceQuotaSpec": {1: ("hard", "{s:q}"), 2: ("scopes", "[s]")},
    "ResourceQuotaStatus": {1: ("hard", "{s:q}"), 2: ("used", "{s:q}")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {1: ("volumes", "[Volume]"), 2: ("containers", "[Container]"), 3: ("restartPolicy", "s"),
                4: ("terminationGracePeriodSeconds", "i*"), 5: ("activeDeadlineSeconds", "i*"), 6: ("dnsPolicy", "s"),
                7: ("nodeSelector", "{s:s}"), 8: ("serviceAccountName", "s"), 9: ("serviceAccount", "s"), 10: ("nodeName", "s"),
                11: ("hostNetwork", "b"), 12: ("hostPID", "b"), 13: ("hostIPC", "b"), 14: ("securityContext", "PodSecurityContext"),
                15: ("imagePullSecrets", "[LocalObjectReference]"), 16: ("hostname", "s"), 17: ("subdomain", "s"),
                19: ("schedulerName", "s"), 20: ("initContainers", "[Container]"), 21: ("automountServiceAccountToken", "b*"),
                22: ("tolerations", "[Toleration]"), 24: ("priorityClassName", "s"), 25: ("priority", "i*"),
                32: ("enableServiceLinks", "b*"), 36: ("setHostnameAsFQDN", "b*")},
    "PodSecurityContext": {5: ("runAsUser", "i*"), 6: ("runAsNonRoot", "b*"), 8: ("fsGroup", "i*"), 9: ("runAsGroup", "i*")},
    "Toleration": {1: ("key", "s"), 2: ("operator", "s"), 3: ("value", "s"), 4: ("effect", "s"), 5: ("tolerationSeconds", "i*")},
    "Volume": {1: ("name", "s")},
    "Container": {1: ("name", "s"), 2: ("image", "s"), 3: ("command", "[s]"), 4: ("args", "[s]"), 5: ("workingDir", "s"),
                  6: ("ports", "[ContainerPort]"), 7: ("env", "[EnvVar]"), 8: ("resources", "ResourceRequirements"),
                  9: ("volumeMounts", "[VolumeMount]"), 13: ("terminationMessagePath", "s"), 14: ("imagePullPolicy", "s"),
                  16: ("stdin", "b"), 17: ("stdinOnce", "b"), 18: ("tty", "b"), 20: ("terminationMessagePolicy", "s")},
    "ContainerPort": {1: ("name", "s"), 2: ("hostPort", "i"), 3: ("containerPort", "i"), 4: ("protocol", "s"), 5: ("hostIP", "s")},
    "EnvVar": {1: ("name", "s"), 2: ("value", "s")},
    "VolumeMount": {1: ("name", "s"), 2: ("readOnly", "b"), 3: ("mountPath", "s"), 4: ("subPath", "s")},
    "ResourceRequirements": {1: ("limits", "{s:q}"), 2: ("requests", "{s:q}")},
}

APPS: dict[str, _F] = {
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec"), 3: ("status", "DeploymentStatus")},
    "DeploymentSpec": {1: ("replicas", "i*"), 2: ("selector", "LabelSelector"), 3: ("template", "PodTemplateSpec"),
                       4: ("strategy", "DeploymentStrategy"), 5: ("minReadySeconds", "i"), 6: ("revisionHistoryLimit", "i*"),
                       7: ("paused", "b"), 9: ("progressDeadlineSeconds", "i*")},
    "DeploymentStrategy": {1: ("type", "s"), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "x"), 2: ("maxSurge", "x")},
    "DeploymentStatus": {1: ("observedGeneration", "i"), 2: ("replicas", "i"), 3: ("updatedReplicas", "i"),
                         4: ("availableReplicas", "i"), 5: ("unavailableReplicas", "i"), 7: ("readyReplicas", "i")},
}

BATCH: dict[str, _F] = {
    "Job": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec"), 3: ("status", "JobStatus")},
    "JobSpec": {1: ("parallelism", "i*"), 2: ("completions", "i*"), 3: ("activeDeadlineSeconds", "i*"), 4: ("selector", "LabelSelector"),
                5: ("manualSelector", "b*"), 6: ("template", "PodTemplateSpec"), 7: ("backoffLimit", "i*"),
                8: ("ttlSecondsAfterFinished", "i*"), 9: ("completionMode", "s"), 10: ("suspend", "b*")},
    "JobStatus": {},
    "CronJob": {1: ("metadata", "ObjectMeta"), 2: ("spec", "CronJobSpec"), 3: ("status", "CronJobStatus")},
    "CronJobSpec": {1: ("schedule", "s"), 2: ("startingDeadlineSeconds", "i*"), 3: ("concurrencyPolicy", "s"), 4: ("suspend", "b*"),
                    5: ("jobTemplate", "JobTemplateSpec"), 6: ("successfulJobsHistoryLimit", "i*"),
                    7: ("failedJobsHistoryLimit", "i*"), 8: ("timeZone", "s*")},
    "JobTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    "CronJobStatus": {},
}

AUTOSCALING_V1: dict[str, _F] = {
    "HorizontalPodAutoscaler": {1: ("metadata", "ObjectMeta"), 2: ("spec", "HorizontalPodAutoscalerSpec"),
                                3: ("status", "HorizontalPodAutoscalerStatus")},
    "HorizontalPodAutoscalerSpec": {1: ("scaleTargetRef", "CrossVersionObjectReference"), 2: ("minReplicas", "i*"),
                                    3: ("maxReplicas", "i"), 4: ("targetCPUUtilizationPercentage", "i*")},
    "HorizontalPodAutoscalerStatus": {1: ("observedGeneration", "i*"), 2: ("lastScaleTime", "t"), 3: ("currentReplicas", "i0"),
                                      4: ("desiredReplicas", "i0"), 5: ("currentCPUUtilizationPercentage", "i*")},
    "CrossVersionObjectReference": {1: ("kind", "s"), 2: ("name", "s"), 3: ("apiVersion", "s")},
}

AUTOSCALING_V2: dict[str, _F] = {
    "HorizontalPodAutoscaler": {1: ("metadata", "ObjectMeta"), 2: ("spec", "HorizontalPodAutoscalerSpec"),
                                3: ("status", "HorizontalPodAutoscalerStatus")},
    "HorizontalPodAutoscalerSpec": {1: ("scaleTargetRef", "CrossVersionObjectReference"), 2: ("minReplicas", "i*"),
                                    3: ("maxReplicas", "i"), 4: ("metrics", "[MetricSpec]"), 5: ("behavior", "HorizontalPodAutoscalerBehavior")},
    "HorizontalPodAutoscalerBehavior": {},
    "MetricSpec": {1: ("type", "s"), 4: ("resource", "ResourceMetricSource")},
    "ResourceMetricSource": {1: ("name", "s"), 2: ("target", "MetricTarget")},
    "MetricTarget": {1: ("type", "s"), 2: ("value", "q"), 3: ("averageValue", "q"), 4: ("averageUtilization", "i*")},
    "HorizontalPodAutoscalerStatus": {1: ("observedGeneration", "i*"), 2: ("lastScaleTime", "t"), 3: ("currentReplicas", "i0"),
                                      4: ("desiredReplicas", "i0")},
    "CrossVersionObjectReference": {1: ("kind", "s"), 2: ("name", "s"), 3: ("apiVersion", "s")},
}

RBAC: dict[str, _F] = {
    "Role": {1: ("metadata", "ObjectMeta"), 2: ("rules", "[PolicyRule]")},
    "ClusterRole": {1: ("metadata", "ObjectMeta"), 2: ("rules", "[PolicyRule]"), 3: ("aggregationRule", "AggregationRule")},
    "AggregationRule": {1: ("clusterRoleSelectors", "[LabelSelector]")},
    "PolicyRule": {1: ("verbs", "[s]"), 2: ("apiGroups", "[s]"), 3: ("resources", "[s]"), 4: ("resourceNames", "[s]"),
                   5: ("nonResourceURLs", "[s]")},
    "RoleBinding": {1: ("metadata", "ObjectMeta"), 2: ("subjects", "[Subject]"), 3: ("roleRef", "RoleRef")},
    "ClusterRoleBinding": {1: ("metadata", "ObjectMeta"), 2: ("subjects", "[Subject]"), 3: ("roleRef", "RoleRef")},
    "Subject": {1: ("kind", "s"), 2: ("apiGroup", "s"), 3: ("name", "s"), 4: ("namespace", "s")},
    "RoleRef": {1: ("apiGroup", "s"), 2: ("kind", "s"), 3: ("name", "s")},
}

AUTHZ: dict[str, _F] = {
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectAccessReviewSpec"),
                                3: ("status", "SubjectAccessReviewStatus")},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"), 2: ("nonResourceAttributes", "NonResourceAttributes")},
    "SubjectAccessReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SubjectAccessReviewSpec"), 3: ("status", "SubjectAccessReviewStatus")},
    "SubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"), 2: ("nonResourceAttributes", "NonResourceAttributes"),
                                3: ("user", "s"), 4: ("groups", "[s]"), 6: ("uid", "s")},
    "SelfSubjectRulesReview": {1: ("metadata", "ObjectMeta"), 2: ("spec", "SelfSubjectRulesReviewSpec"), 3: ("status", "SubjectRulesReviewStatus")},
    "SelfSubjectRulesReviewSpec": {1: ("namespace", "s")},
    "SubjectRulesReviewStatus": {},
    "ResourceAttributes": {1: ("namespace", "s"), 2: ("verb", "s"), 3: ("group", "s"), 4: ("version", "s"), 5: ("resource", "s"),
                           6: ("subresource", "s"), 7: ("name", "s")},
    "NonResourceAttributes": {1: ("path", "s"), 2: ("verb", "s")},
    "SubjectAccessReviewStatus": {1: ("allowed", "b0"), 2: ("reason", "s"), 3: ("evaluationError", "s"), 4: ("denied", "b")},
}

AUTHN: dict[str, _F] = {
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta"), 2: ("status", "SelfSubjectReviewStatus")},
    "SelfSubjectReviewStatus": {},
}

# apiVersion -> message tables (ObjectMeta & co. shared)
SCHEMAS: dict[str, dict[str, _F]] = {
    "v1": {**META, **CORE},
    "apps/v1": {**META, **CORE, **APPS},
    "batch/v1": {**META, **CORE, **BATCH},
    "autoscaling/v1": {**META, **AUTOSCALING_V1},
    "autoscaling/v2": {**META, **AUTOSCALING_V2},
    "rbac.authorization.k8s.io/v1": {**META, **RBAC},
    "authorization.k8s.io/v1": {**META, **AUTHZ},
    "authentication.k8s.io/v1": {**META, **AUTHN},
}


# --- wire format --------------------------------------------------------------------------------------


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 70:
            raise ProtobufError("varint too long")


def fields(buf: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) in order; value is int or bytes."""
    out = []
    i = 0
    n = len(buf)
    while i < n:
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise ProtobufError("field number 0")
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            if i + 8 > n:
                raise ProtobufError("truncated fixed64")
            v, i = int.from_bytes(buf[i:i + 8], "little"), i + 8
        elif wt == 2:
            ln, i = _varint(buf, i)
            if i + ln > n:
                raise ProtobufError("truncated length-delimited field")
            v, i = bytes(buf[i:i + ln]), i + ln
        elif wt == 5:
            if i + 4 > n:
                raise ProtobufError("truncated fixed32")
            v, i = int.from_bytes(buf[i:i + 4], "little"), i + 4
        else:
            raise ProtobufError(f"unsupported wire type {wt}")
        out.append((num, wt, v))
    return out


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _str(v: Any) -> str:
    if not isinstance(v, bytes):
        raise ProtobufError("expected a length-delimited string")
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtobufError("invalid UTF-8 in a string field") from None


def _time(v: bytes) -> str | None:
    secs = nanos = 0
    for num, _wt, x in fields(v):
        if num == 1:
            secs = _signed(x)
        elif num == 2:
            nanos = x
    if secs == 0 and nanos == 0:
        return None
    return dt.datetime.fromtimestamp(secs, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quantity(v: bytes) -> str:
    for num, _wt, x in fields(v):
        if num == 1:
            return _str(x)
    return "0"


def _intstr(v: bytes) -> int | str:
    typ, ival, sval = 0, 0, ""
    for num, _wt, x in fields(v):
        if num == 1:
            typ = x
        elif num == 2:
            ival = _signed(x)
            if ival >= 1 << 31:
                ival -= 1 << 32
        elif num == 3:
            sval = _str(x)
    return sval if typ == 1 else ival


def _scalar(code: str, wt: int, v: Any, schema: dict) -> Any:
    base = code.rstrip("*0")
    if base == "s":
        return _str(v)
    if base == "i":
        if wt != 0:
            raise ProtobufError("expected a varint")
        v = _signed(v)
        return v
    if base == "b":
        return bool(v)
    if base == "y":
        return base64.b64encode(v).decode()
    if base == "t":
        return _time(v)
    if base == "q":
        return _quantity(v)
    if base == "x":
        return _intstr(v)
    if base in ("r", "f"):
        raw = b""
        for num, _wt, x in fields(v):
            if num == 1:
                raw = x
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise ProtobufError("embedded JSON does not parse") from None
    if base in schema:
        if not isinstance(v, bytes):
            raise ProtobufError(f"expected a {base} message")
        return message(v, base, schema)
    raise ProtobufError(f"no schema for {base}")


def _empty(code: str, value: Any) -> bool:
    if code.endswith("*") or code.endswith("0"):
        return False
    return value is None or value == "" or value is False or (value == 0 and not isinstance(value, bool) and code.rstrip("*0") == "i")


def message(buf: bytes, name: str, schema: dict) -> dict:
    spec = schema.get(name)
    if spec is None:
        raise ProtobufError(f"no schema for message {name}")
    out: dict[str, Any] = {}
    for num, wt, v in fields(buf):
        f = spec.get(num)
        if f is None:
            continue  # unknown to this table: fields kubectl's generators do not set
        key, code = f
        if code.startswith("["):
            inner = code[1:-1]
            out.setdefault(key, []).append(_scalar(inner, wt, v, schema))
        elif code.startswith("{"):
            vcode = code[3:-1]
            k, val = "", None
            for n2, w2, x2 in fields(v):
                if n2 == 1:
                    k = _str(x2)
                elif n2 == 2:
                    val = _scalar(vcode, w2, x2, schema)
            if val is None:
                val = "" if vcode == "s" else val
            out.setdefault(key, {})[k] = val
        else:
            val = _scalar(code, wt, v, schema)
            if _empty(code, val):
                continue
            out[key] = val
    return out


def decode(raw: bytes) -> dict:
    """The JSON object a `k8s\\0` protobuf body carries."""
    if not raw.startswith(MAGIC):
        raise ProtobufError("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]")
    api_version = kind = ""
    payload = None
    for num, _wt, v in fields(raw[4:]):
        if num == 1:
            for n2, _w2, x2 in fields(v):
                if n2 == 1:
                    api_version = _str(x2)
                elif n2 == 2:
                    kind = _str(x2)
        elif num == 2:
            payload = v
    schema = SCHEMAS.get(api_version)
    if schema is None or kind not in schema:
        raise ProtobufError(f"no kind \"{kind}\" is registered for version \"{api_version}\" in scheme")
    obj = message(payload or b"", kind, schema)
    return {"kind": kind, "apiVersion": api_version, **obj}
