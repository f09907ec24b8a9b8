"""Quota evaluators: the usage one object charges (`pkg/quota/v1/evaluator/core`).

* Pods (`PodUsageFunc`): always `count/pods: 1`; unless terminal (phase Succeeded/Failed) or
  past deletionTimestamp + deletionGracePeriodSeconds (only checked when `now` is given):
  `pods: 1` and the compute resources from the effective pod requests/limits.
* Services: `services`, `count/services`, `services.loadbalancers`, `services.nodeports` by type.
* PersistentVolumeClaims: `persistentvolumeclaims`, `count/persistentvolumeclaims`,
  `requests.storage` and the per-storage-class `<class>.storageclass.storage.k8s.io/...`.
* ConfigMaps, Secrets, ReplicationControllers, ResourceQuotas: the legacy name and `count/...`.
* Every other namespaced object: `count/<resource>[.<group>]`.

Values are exact `Fraction`s. Pure.
"""

from __future__ import annotations

from fractions import Fraction

from engine.clock import parse_time
from engine.model.quantity import BINARY_SI, DECIMAL_SI, format_quantity, parse_quantity
from engine.model.resources import pod_limits, pod_requests, resource_list

ONE = Fraction(1)
STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/"
# Resources that, when a quota tracks them, every container must set (`validationSet`).
CONTAINER_REQUIRED = frozenset({"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"})
LEGACY_COUNTS = {"configmaps": "configmaps", "secrets": "secrets", "replicationcontrollers": "replicationcontrollers",
                 "resourcequotas": "resourcequotas"}
# The resources the pod evaluator answers for (`podResources` + prefixes).
POD_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
                           "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
                           "pods", "count/pods"})


def count_name(resource: str, group: str) -> str:
    """`ObjectCountQuotaResourceNameFor`: `count/<resource>` or `count/<resource>.<group>`."""
    return f"count/{resource}" if not group else f"count/{resource}.{group}"


def _is_extended(name: str) -> bool:
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("requests.")


def compute_usage(requests: dict[str, Fraction], limits: dict[str, Fraction]) -> dict[str, Fraction]:
    """`podComputeUsageHelper`."""
    out: dict[str, Fraction] = {"pods": ONE}
    for res in ("cpu", "memory", "ephemeral-storage"):
        if res in requests:
            out[res] = requests[res]
            out[f"requests.{res}"] = requests[res]
        if res in limits:
            out[f"limits.{res}"] = limits[res]
    for res, v in requests.items():
        if res.startswith("hugepages-"):
            out[res] = v
            out[f"requests.{res}"] = v
        elif _is_extended(res):
            out[f"requests.{res}"] = v
    return out


def pod_counts(pod: dict, now: int | None = None) -> bool:
    """`QuotaV1Pod`: does the pod still charge compute quota?"""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    meta = pod.get("metadata") or {}
    if now is not None and meta.get("deletionTimestamp") and meta.get("deletionGracePeriodSeconds") is not None:
        try:
            deadline = parse_time(meta["deletionTimestamp"]) + int(meta["deletionGracePeriodSeconds"]) * 1_000_000
        except (ValueError, TypeError):
            return True
        if now > deadline:
            return False
    return True


def pod_usage(pod: dict, now: int | None = None) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {"count/pods": ONE}
    if not pod_counts(pod, now):
        return out
    out.update(compute_usage(pod_requests(pod), pod_limits(pod)))
    return out


def service_usage(svc: dict) -> dict[str, Fraction]:
    spec = svc.get("spec") or {}
    ports = [p for p in spec.get("ports") or () if isinstance(p, dict)]
    out = {"count/services": ONE, "services": ONE, "services.loadbalancers": Fraction(0), "services.nodeports": Fraction(0)}
    stype = spec.get("type")
    if stype == "NodePort":
        out["services.nodeports"] = Fraction(len(ports))
    elif stype == "LoadBalancer":
        if spec.get("allocateLoadBalancerNodePorts") is False:
            out["services.nodeports"] = Fraction(sum(1 for p in ports if p.get("nodePort")))
        else:
            out["services.nodeports"] = Fraction(len(ports))
        out["services.loadbalancers"] = ONE
    return out


def pvc_class(pvc: dict) -> str:
    """`GetPersistentVolumeClaimClass`: the beta annotation, else spec.storageClassName."""
    ann = ((pvc.get("metadata") or {}).get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class")
    if ann is not None:
        return ann
    return (pvc.get("spec") or {}).get("storageClassName") or ""


def pvc_usage(pvc: dict) -> dict[str, Fraction]:
    out = {"persistentvolumeclaims": ONE, "count/persistentvolumeclaims": ONE}
    cls = pvc_class(pvc)
    if cls:
        out[cls + STORAGE_CLASS_SUFFIX + "persistentvolumeclaims"] = ONE
    requested = resource_list(((pvc.get("spec") or {}).get("resources") or {}).get("requests")).get("storage")
    allocated = resource_list((pvc.get("status") or {}).get("allocatedResources")).get("storage")
    storage = max((v for v in (requested, allocated) if v is not None), default=None)
    if storage is not None:
        out["requests.storage"] = storage
        if cls:
            out[cls + STORAGE_CLASS_SUFFIX + "requests.storage"] = storage
    return out


def usage_of(group: str, resource: str, obj: dict | None, now: int | None = None) -> dict[str, Fraction]:
    """What `obj` (of `group`/`resource`) charges; {} for no object."""
    if not isinstance(obj, dict):
        return {}
    if group == "":
        if resource == "pods":
            return pod_usage(obj, now)
        if resource == "services":
            return service_usage(obj)
        if resource == "persistentvolumeclaims":
            return pvc_usage(obj)
        if resource in LEGACY_COUNTS:
            return {LEGACY_COUNTS[resource]: ONE, count_name(resource, group): ONE}
    return {count_name(resource, group): ONE}


def add(a: dict[str, Fraction], b: dict[str, Fraction], sign: int = 1) -> dict[str, Fraction]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, Fraction(0)) + sign * v
    return out


def remove_zeros(a: dict[str, Fraction]) -> dict[str, Fraction]:
    return {k: v for k, v in a.items() if v != 0}


def fmt(name: str, value: Fraction) -> str:
    """A usage value as `Quantity.String()` would show it: memory-like in binary SI where exact."""
    binary = any(s in name for s in ("memory", "storage", "hugepages-"))
    return format_quantity(value, BINARY_SI if binary else DECIMAL_SI)


def parse(raw) -> Fraction:
    return parse_quantity(raw)
