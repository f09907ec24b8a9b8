"""HorizontalPodAutoscaler validation: upstream `pkg/apis/autoscaling/validation/validation.go`
(`ValidateHorizontalPodAutoscaler` / `...Update` / `...StatusUpdate`), spec part.

`validate_hpa(obj, old)` returns the spec's `FieldError`s (object metadata is validated by the
generic path); it is meant for `engine/pipeline/validation/kinds.py`'s `_VALIDATORS` table. It
reads a v1-shaped spec (`targetCPUUtilizationPercentage`) through the v1 -> v2 conversion, as the
API server validates the internal (v2) form. The HPAScaleToZero feature gate is off (alpha), so
`minReplicas` must be at least 1 unless the stored object already had 0.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from engine.controllers.hpa.convert import is_v1_shape, v1_spec_to_v2
from engine.errors import FieldError
from engine.model.quantity import parse_quantity

MAX_PERIOD_SECONDS = 1800
MAX_STABILIZATION_WINDOW_SECONDS = 3600
SELECT_POLICIES = ("Disabled", "Max", "Min")
POLICY_TYPES = ("Percent", "Pods")
METRIC_SOURCE_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _m(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, Mapping) else {}


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _path_segment(name: str) -> list[str]:
    """`pathvalidation.IsValidPathSegmentName`."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    msgs = []
    for bad in ("/", "%"):
        if bad in name:
            msgs.append(f"may not contain '{bad}'")
    return msgs


def _cross_version_ref(ref: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for field in ("kind", "name"):
        value = str(ref.get(field) or "")
        if not value:
            errs.append(FieldError("Required", f"{path}.{field}", None, ""))
        else:
            errs += [FieldError("Invalid", f"{path}.{field}", value, msg) for msg in _path_segment(value)]
    return errs


def _quantity_sign(v: Any) -> int | None:
    try:
        q = parse_quantity(v)
    except (ValueError, TypeError):
        return None
    return (q > 0) - (q < 0)


def _metric_target(mt: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    t = mt.get("type") or ""
    if not t:
        errs.append(FieldError("Required", f"{path}.type", None, "must specify a metric target type"))
    if t not in ("Utilization", "Value", "AverageValue"):
        errs.append(FieldError("Invalid", f"{path}.type", t, "must be either Utilization, Value, or AverageValue"))
    for field in ("value", "averageValue"):
        if mt.get(field) is not None and _quantity_sign(mt[field]) != 1:
            errs.append(FieldError("Invalid", f"{path}.{field}", mt[field], "must be positive"))
    util = mt.get("averageUtilization")
    if util is not None and (_int(util) is None or util < 1):
        errs.append(FieldError("Invalid", f"{path}.averageUtilization", util, "must be greater than 0"))
    return errs


def _metric_identifier(mi: Mapping[str, Any], path: str) -> list[FieldError]:
    name = str(mi.get("name") or "")
    if not name:
        return [FieldError("Required", f"{path}.name", None, "must specify a metric name")]
    return [FieldError("Invalid", f"{path}.name", name, msg) for msg in _path_segment(name)]


def _resource_source(src: Mapping[str, Any], path: str, container: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    if not src.get("name"):
        errs.append(FieldError("Required", f"{path}.name", None, "must specify a resource name"))
    if container:
        c = str(src.get("container") or "")
        if not c:
            errs.append(FieldError("Required", f"{path}.container", None, "must specify a container"))
        elif len(c) > 63 or not _DNS1123_LABEL.match(c):
            errs.append(FieldError("Invalid", f"{path}.container", c,
                                   "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                                   "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
                                   "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"))
    target = _m(src.get("target"))
    errs += _metric_target(target, f"{path}.target")
    if target.get("averageUtilization") is None and target.get("averageValue") is None:
        errs.append(FieldError("Required", f"{path}.target.averageUtilization", None, "must set either a target raw value or a target utilization"))
    if target.get("averageUtilization") is not None and target.get("averageValue") is not None:
        errs.append(FieldError("Forbidden", f"{path}.target.averageValue", None, "may not set both a target raw value and a target utilization"))
    return errs


def _metric_spec(spec: Mapping[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    t = spec.get("type") or ""
    if not t:
        errs.append(FieldError("Required", f"{path}.type", None, "must specify a metric source type"))
    if t not in METRIC_SOURCE_TYPES:
        errs.append(FieldError("NotSupported", f"{path}.type", t, supported=METRIC_SOURCE_TYPES))
    present: list[str] = []
    for field in ("object", "external", "pods", "resource", "containerResource"):
        src = spec.get(field)
        if src is None:
            continue
        present.append(field)
        if len(present) != 1:
            continue
        src, p = _m(src), f"{path}.{field}"
        target = _m(src.get("target"))
        if field == "object":
            errs += _cross_version_ref(_m(src.get("describedObject")), f"{p}.describedObject")
            errs += _metric_identifier(_m(src.get("metric")), f"{p}.metric")
            errs += _metric_target(target, f"{p}.target")
            if target.get("value") is None and target.get("averageValue") is None:
                errs.append(FieldError("Required", f"{p}.target.averageValue", None, "must set either a target value or averageValue"))
        elif field == "external":
            errs += _metric_identifier(_m(src.get("metric")), f"{p}.metric")
            errs += _metric_target(target, f"{p}.target")
            if target.get("value") is None and target.get("averageValue") is None:
                errs.append(FieldError("Required", f"{p}.target.averageValue", None, "must set either a target value for metric or a per-pod target"))
            if target.get("value") is not None and target.get("averageValue") is not None:
                errs.append(FieldError("Forbidden", f"{p}.target.value", None, "may not set both a target value for metric and a per-pod target"))
        elif field == "pods":
            errs += _metric_identifier(_m(src.get("metric")), f"{p}.metric")
            errs += _metric_target(target, f"{p}.target")
            if target.get("averageValue") is None:
                errs.append(FieldError("Required", f"{p}.target.averageValue", None, "must specify a positive target averageValue"))
        else:
            errs += _resource_source(src, p, container=field == "containerResource")
    expected = {"Object": "object", "Pods": "pods", "Resource": "resource", "External": "external",
                "ContainerResource": "containerResource"}.get(t)
    if expected is None:  # the switch's default: reported a second time, as upstream does
        errs.append(FieldError("NotSupported", f"{path}.type", t, supported=METRIC_SOURCE_TYPES))
    elif spec.get(expected) is None:
        errs.append(FieldError("Required", f"{path}.{expected}", None, "must populate information for the given metric source"))
    if len(present) != 1:
        for field in sorted(set(present) - {expected}):
            errs.append(FieldError("Forbidden", f"{path}.{field}", None, "must populate the given metric source only"))
    return errs


def _scaling_rules(rules: Any, path: str) -> list[FieldError]:
    if rules is None:
        return []
    rules = _m(rules)
    errs: list[FieldError] = []
    window = rules.get("stabilizationWindowSeconds")
    if _int(window) is not None and window < 0:
        errs.append(FieldError("Invalid", f"{path}.stabilizationWindowSeconds", window, "must be greater than or equal to zero"))
    if _int(window) is not None and window > MAX_STABILIZATION_WINDOW_SECONDS:
        errs.append(FieldError("Invalid", f"{path}.stabilizationWindowSeconds", window,
                               f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"))
    select = rules.get("selectPolicy")
    if select is not None and select not in SELECT_POLICIES:
        errs.append(FieldError("NotSupported", f"{path}.selectPolicy", select, supported=SELECT_POLICIES))
    policies = rules.get("policies") or []
    if not policies:
        errs.append(FieldError("Required", f"{path}.policies", None, "must specify at least one Policy"))
    for i, policy in enumerate(policies):
        policy, p = _m(policy), f"{path}.policies[{i}]"
        if policy.get("type") not in POLICY_TYPES:
            errs.append(FieldError("NotSupported", f"{p}.type", policy.get("type") or "", supported=POLICY_TYPES))
        value, period = _int(policy.get("value")) or 0, _int(policy.get("periodSeconds")) or 0
        if value <= 0:
            errs.append(FieldError("Invalid", f"{p}.value", value, "must be greater than zero"))
        if period <= 0:
            errs.append(FieldError("Invalid", f"{p}.periodSeconds", period, "must be greater than zero"))
        if period > MAX_PERIOD_SECONDS:
            errs.append(FieldError("Invalid", f"{p}.periodSeconds", period, f"must be less than or equal to {MAX_PERIOD_SECONDS}"))
    return errs


def validate_hpa_spec(spec: Mapping[str, Any], min_replicas_lower_bound: int = 1) -> list[FieldError]:
    """`validateHorizontalPodAutoscalerSpec`."""
    errs: list[FieldError] = []
    min_r, max_r = spec.get("minReplicas"), _int(spec.get("maxReplicas")) or 0
    if _int(min_r) is not None and min_r < min_replicas_lower_bound:
        errs.append(FieldError("Invalid", "spec.minReplicas", min_r, f"must be greater than or equal to {min_replicas_lower_bound}"))
    if max_r < 1:
        errs.append(FieldError("Invalid", "spec.maxReplicas", max_r, "must be greater than 0"))
    if _int(min_r) is not None and max_r < min_r:
        errs.append(FieldError("Invalid", "spec.maxReplicas", max_r, "must be greater than or equal to `minReplicas`"))
    errs += _cross_version_ref(_m(spec.get("scaleTargetRef")), "spec.scaleTargetRef")
    metrics = spec.get("metrics") or []
    has_object_or_external = False
    for i, m in enumerate(metrics):
        errs += _metric_spec(_m(m), f"spec.metrics[{i}]")
        has_object_or_external |= _m(m).get("type") in ("Object", "External")
    if _int(min_r) == 0 and not has_object_or_external:
        errs.append(FieldError("Forbidden", "spec.metrics", None,
                               "must specify at least one Object or External metric to support scaling to zero replicas"))
    behavior = spec.get("behavior")
    if behavior is not None:
        errs += _scaling_rules(_m(behavior).get("scaleUp"), "spec.behavior.scaleUp")
        errs += _scaling_rules(_m(behavior).get("scaleDown"), "spec.behavior.scaleDown")
    return errs


def validate_status(status: Mapping[str, Any]) -> list[FieldError]:
    """`ValidateHorizontalPodAutoscalerStatusUpdate`'s status part."""
    errs = []
    for field in ("currentReplicas", "desiredReplicas"):
        v = _int(status.get(field))
        if v is not None and v < 0:
            errs.append(FieldError("Invalid", f"status.{field}", v, "must be greater than or equal to 0"))
    return errs


def validate_hpa(obj: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> list[FieldError]:
    """Spec errors for creating `obj` (or updating `old` to it); metadata is validated elsewhere.

    The validator table does not say which subresource was written, so an update that leaves the
    spec as it was is validated as a status update (upstream's strategy for `/status`): its
    status counts only. A spec change is validated in full."""
    if old is not None and _m(old.get("spec")) == _m(obj.get("spec")):
        return validate_status(_m(obj.get("status")))
    spec = _m(obj.get("spec"))
    if is_v1_shape(dict(obj)):
        spec = v1_spec_to_v2(dict(spec))
    bound = 1
    if old is not None:
        old_spec = _m(old.get("spec"))
        if old_spec.get("minReplicas") == 0:
            bound = 0
    return validate_hpa_spec(spec, bound)


__all__ = ["validate_hpa", "validate_hpa_spec", "validate_status"]
