"""Version conversion on the way out: the server stores one version per kind and serves the
others converted (kube-apiserver's storage version vs request version). Only autoscaling/v1
HorizontalPodAutoscaler needs it (kubectl <= 1.32 `autoscale` posts and reads it); the way in
is `reducers/hpa_convert.v1_to_v2`.

Upstream `pkg/apis/autoscaling/v1/conversion.go`: the cpu Utilization metric becomes
`targetCPUUtilizationPercentage`, the cpu current utilization `currentCPUUtilizationPercentage`;
v2-only content (other metrics, behavior, conditions) goes into round-trip annotations, which are
left out here.
"""

from __future__ import annotations


def hpa_v2_to_v1(obj: dict) -> dict:
    out = {k: v for k, v in obj.items() if k not in ("spec", "status")}
    out["apiVersion"] = "autoscaling/v1"
    spec = dict(obj.get("spec") or {})
    metrics = spec.pop("metrics", None) or []
    spec.pop("behavior", None)
    for m in metrics:
        res = m.get("resource") or {}
        if m.get("type") == "Resource" and res.get("name") == "cpu" and (res.get("target") or {}).get("type") == "Utilization":
            spec["targetCPUUtilizationPercentage"] = res["target"].get("averageUtilization")
    out["spec"] = spec
    status = dict(obj.get("status") or {})
    current = status.pop("currentMetrics", None) or []
    status.pop("conditions", None)
    for m in current:
        res = m.get("resource") or {}
        if m.get("type") == "Resource" and res.get("name") == "cpu" and "averageUtilization" in (res.get("current") or {}):
            status["currentCPUUtilizationPercentage"] = res["current"]["averageUtilization"]
    out["status"] = status
    return out


def to_version(obj, group: str, version: str):
    """`obj` (a stored object or a list of them) as served at group/version."""
    if group == "autoscaling" and version == "v1" and isinstance(obj, dict):
        if obj.get("kind") == "HorizontalPodAutoscaler":
            return hpa_v2_to_v1(obj)
        if obj.get("kind") == "HorizontalPodAutoscalerList":
            return {**obj, "apiVersion": "autoscaling/v1", "items": [hpa_v2_to_v1(o) for o in obj.get("items") or []]}
    return obj
