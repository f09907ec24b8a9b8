"""autoscaling/v1 HorizontalPodAutoscaler -> autoscaling/v2, as the API server converts a v1 write.

Upstream (`pkg/apis/autoscaling/v1/defaults.go` and `conversion.go`): v1 defaulting sets
`minReplicas: 1` and `targetCPUUtilizationPercentage: 80`; conversion turns the target into the
one v2 metric `{type: Resource, resource: {name: cpu, target: {type: Utilization,
averageUtilization: N}}}` and drops the round-trip annotations `autoscaling.alpha.kubernetes.io/*`
(their v2 content is not restored here). A v1 status's `currentCPUUtilizationPercentage` becomes
a cpu `currentMetrics` entry.

Self-contained on purpose (no imports): the request path should call `v1_to_v2` before storing,
so that a v1 manifest is stored and served as v2 (see the report for where); the controller also
reads any v1-shaped spec through it.
"""

from __future__ import annotations

V1 = "autoscaling/v1"
V2 = "autoscaling/v2"
DEFAULT_CPU_UTILIZATION = 80
_ROUND_TRIP = ("autoscaling.alpha.kubernetes.io/metrics", "autoscaling.alpha.kubernetes.io/current-metrics",
               "autoscaling.alpha.kubernetes.io/conditions", "autoscaling.alpha.kubernetes.io/behavior")


def cpu_metric(utilization: int) -> dict:
    return {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": utilization}}}


def is_v1_shape(obj: dict) -> bool:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    return obj.get("apiVersion") == V1 or ("targetCPUUtilizationPercentage" in spec and "metrics" not in spec)


def v1_spec_to_v2(spec: dict) -> dict:
    out = {k: v for k, v in spec.items() if k != "targetCPUUtilizationPercentage"}
    target = spec.get("targetCPUUtilizationPercentage")
    if "metrics" not in out:
        out["metrics"] = [cpu_metric(target if target is not None else DEFAULT_CPU_UTILIZATION)]
    if out.get("minReplicas") is None:
        out["minReplicas"] = 1
    return out


def v1_status_to_v2(status: dict) -> dict:
    out = {k: v for k, v in status.items() if k != "currentCPUUtilizationPercentage"}
    current = status.get("currentCPUUtilizationPercentage")
    if current is not None and not out.get("currentMetrics"):
        out["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": current}}}]
    return out


def v1_to_v2(obj: dict) -> dict:
    """A copy of `obj` in autoscaling/v2 form (objects already in v2 form come back unchanged)."""
    if not isinstance(obj, dict) or obj.get("kind") not in (None, "HorizontalPodAutoscaler") or not is_v1_shape(obj):
        return obj
    out = dict(obj)
    out["apiVersion"] = V2
    meta = out.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
        ann = {k: v for k, v in meta["annotations"].items() if k not in _ROUND_TRIP}
        out["metadata"] = {**meta, "annotations": ann} if ann else {k: v for k, v in meta.items() if k != "annotations"}
    if isinstance(out.get("spec"), dict):
        out["spec"] = v1_spec_to_v2(out["spec"])
    if isinstance(out.get("status"), dict):
        out["status"] = v1_status_to_v2(out["status"])
    return out


__all__ = ["V1", "V2", "cpu_metric", "is_v1_shape", "v1_spec_to_v2", "v1_status_to_v2", "v1_to_v2"]
