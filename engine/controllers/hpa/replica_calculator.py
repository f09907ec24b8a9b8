"""The replica calculator: upstream `pkg/controller/podautoscaler/replica_calculator.go` and
`metrics/utilization.go` (v1.32 shape: one symmetric tolerance) as pure functions.

Inputs are plain data: the pods the target's selector picks (stored Pod objects), and metric
samples keyed by pod name (`PodMetric`: a milli-value, the sample's time and window). Errors
carry upstream's messages verbatim (`MetricError`), because they end up in conditions and events.

Arithmetic follows Go's exactly: utilization is an int32 of an integer division (truncation, not
rounding), ratios are float64 divisions, replica counts are `math.Ceil` of float64 products, and
the tolerance test is `math.Abs(1.0-ratio) <= tolerance` (so a ratio of exactly 1.1 is *outside*
a 0.1 tolerance, as in Go: 1.0-1.1 is -0.10000000000000009).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Iterable, Mapping

import attrs

from engine.clock import parse_time
from engine.model.quantity import parse_quantity

TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance
CPU_INITIALIZATION_PERIOD_US = 5 * 60 * 1_000_000  # --horizontal-pod-autoscaler-cpu-initialization-period
DELAY_OF_INITIAL_READINESS_STATUS_US = 30 * 1_000_000  # --horizontal-pod-autoscaler-initial-readiness-delay
MAX_INT32 = 2**31 - 1
MAX_INT64 = 2**63 - 1
GO_ZERO_TIME_US = -62_135_596_800 * 1_000_000  # time.Time{} (0001-01-01T00:00:00Z): an unset metav1.Time


class MetricError(Exception):
    """A failed metric computation; `str(e)` is upstream's error text."""


@attrs.frozen
class PodMetric:
    value: int  # milli-units (MilliValue)
    timestamp: int = 0  # microseconds
    window: int = 0  # microseconds


PodMetrics = Mapping[str, PodMetric]


@attrs.frozen
class Grouped:
    ready_count: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


# --- small helpers -------------------------------------------------------------------------------


def milli_value(q) -> int:
    """`Quantity.MilliValue()`: the value in milli-units, rounded up."""
    return math.ceil(Fraction(parse_quantity(q)) * 1000)


def _time(value) -> int | None:
    if not value:
        return None
    try:
        return parse_time(str(value))
    except ValueError:
        return None


def _name(pod: dict) -> str:
    return pod["metadata"]["name"]


def _phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def _ready_condition(pod: dict) -> dict | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c
    return None


def is_pod_ready(pod: dict) -> bool:
    c = _ready_condition(pod)
    return c is not None and c.get("status") == "True"


def within_tolerance(ratio: float, tolerance: float = TOLERANCE) -> bool:
    return math.fabs(1.0 - ratio) <= tolerance


def _ceil_int32(x: float) -> int:
    if x > MAX_INT32:
        return MAX_INT32
    return int(math.ceil(x))


# --- grouping and requests -----------------------------------------------------------------------


def group_pods(pods: Iterable[dict], metrics: PodMetrics, resource: str, now: int,
               cpu_initialization_period: int = CPU_INITIALIZATION_PERIOD_US,
               delay_of_initial_readiness_status: int = DELAY_OF_INITIAL_READINESS_STATUS_US) -> Grouped:
    """`groupPods`: ready pods counted; unready, missing-metric and ignored pods named."""
    ready = 0
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    for pod in pods:
        name = _name(pod)
        if pod["metadata"].get("deletionTimestamp") or _phase(pod) == "Failed":
            ignored.add(name)
            continue
        if _phase(pod) == "Pending":  # pending pods are ignored (counted as unready)
            unready.add(name)
            continue
        metric = metrics.get(name)
        if metric is None:
            missing.add(name)
            continue
        if resource == "cpu":
            condition = _ready_condition(pod)
            start = _time((pod.get("status") or {}).get("startTime"))
            if condition is None or start is None:
                is_unready = True
            else:
                transition = _time(condition.get("lastTransitionTime"))
                transition = GO_ZERO_TIME_US if transition is None else transition
                if start + cpu_initialization_period > now:
                    # Still initializing: ignore the sample if the pod is unready, or if a full metric
                    # window has not passed since its last readiness transition.
                    is_unready = condition.get("status") == "False" or metric.timestamp < transition + metric.window
                else:
                    # Ignore the metric of a pod that is unready and has never been ready.
                    is_unready = condition.get("status") == "False" and start + delay_of_initial_readiness_status > transition
            if is_unready:
                unready.add(name)
                continue
        ready += 1
    return Grouped(ready, frozenset(unready), frozenset(missing), frozenset(ignored))


def pod_requests(pods: Iterable[dict], container: str, resource: str) -> dict[str, int]:
    """`calculatePodRequests`: each pod's request (milli) for the resource, summed over its
    containers and restartable init containers, or the one named container."""
    out: dict[str, int] = {}
    for pod in pods:
        spec = pod.get("spec") or {}
        containers = list(spec.get("containers") or ())
        containers += [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
        total = 0
        for c in containers:
            if container == "" or container == c.get("name"):
                requests = ((c.get("resources") or {}).get("requests")) or {}
                if resource not in requests:
                    raise MetricError(f"missing request for {resource} in container {c.get('name', '')} of Pod {_name(pod)}")
                total += milli_value(requests[resource])
        out[_name(pod)] = total
    return out


def resource_utilization_ratio(metrics: PodMetrics, requests: Mapping[str, int], target: int) -> tuple[float, int, int]:
    """`GetResourceUtilizationRatio`: (usage ratio, utilization %, raw average milli-value)."""
    metrics_total = requests_total = entries = 0
    for name, metric in metrics.items():
        if name not in requests:
            continue  # requests are checked elsewhere: a metric without a pod is extraneous
        metrics_total += metric.value
        requests_total += requests[name]
        entries += 1
    if requests_total == 0:
        raise MetricError("no metrics returned matched known pods")
    utilization = (metrics_total * 100) // requests_total
    return utilization / target, utilization, metrics_total // entries


def metric_usage_ratio(metrics: PodMetrics, target: int) -> tuple[float, int]:
    """`GetMetricUsageRatio`: (usage ratio, average usage)."""
    total = sum(m.value for m in metrics.values())
    usage = _go_div(total, len(metrics))
    return usage / target, usage


def _go_div(a: int, b: int) -> int:
    """Go's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


# --- the calculations ----------------------------------------------------------------------------


def _prepare(pods: list[dict], metrics: PodMetrics, resource: str, now: int, cpu_init: int, delay: int):
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    grouped = group_pods(pods, metrics, resource, now, cpu_init, delay)
    left = {k: v for k, v in metrics.items() if k not in grouped.ignored and k not in grouped.unready}
    if not left:
        raise MetricError("did not receive metrics for targeted pods (pods might be unready)")
    return grouped, left


def resource_replicas(current: int, target_utilization: int, resource: str, pods: list[dict], metrics: PodMetrics,
                      now: int, container: str = "", tolerance: float = TOLERANCE,
                      cpu_initialization_period: int = CPU_INITIALIZATION_PERIOD_US,
                      delay_of_initial_readiness_status: int = DELAY_OF_INITIAL_READINESS_STATUS_US) -> tuple[int, int, int]:
    """`GetResourceReplicas` after the metrics fetch: (replicas, utilization %, raw average milli-value)."""
    grouped, left = _prepare(pods, metrics, resource, now, cpu_initialization_period, delay_of_initial_readiness_status)
    requests = pod_requests(pods, container, resource)
    ratio, utilization, raw = resource_utilization_ratio(left, requests, target_utilization)

    scale_up_with_unready = bool(grouped.unready) and ratio > 1.0
    if not scale_up_with_unready and not grouped.missing:
        if within_tolerance(ratio, tolerance):
            return current, utilization, raw
        return _ceil_int32(ratio * grouped.ready_count), utilization, raw

    if grouped.missing:
        if ratio < 1.0:
            # scale-down: a missing pod counts as using all of its request (or the target, above 100%)
            fallback = max(100, target_utilization)
            for name in grouped.missing:
                left[name] = PodMetric(requests[name] * fallback // 100)
        elif ratio > 1.0:
            for name in grouped.missing:  # scale-up: a missing pod counts as using nothing
                left[name] = PodMetric(0)
    if scale_up_with_unready:
        for name in grouped.unready:
            left[name] = PodMetric(0)

    new_ratio, _, _ = resource_utilization_ratio(left, requests, target_utilization)
    if within_tolerance(new_ratio, tolerance) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, utilization, raw  # too small a change, or the direction would flip
    new_replicas = _ceil_int32(new_ratio * len(left))
    if (new_ratio < 1.0 and new_replicas > current) or (new_ratio > 1.0 and new_replicas < current):
        return current, utilization, raw  # the number of metrics would flip the direction
    return new_replicas, utilization, raw


def plain_metric_replicas(current: int, target_usage: int, pods: list[dict], metrics: PodMetrics, now: int,
                          resource: str = "", tolerance: float = TOLERANCE,
                          cpu_initialization_period: int = CPU_INITIALIZATION_PERIOD_US,
                          delay_of_initial_readiness_status: int = DELAY_OF_INITIAL_READINESS_STATUS_US) -> tuple[int, int]:
    """`calcPlainMetricReplicas` (raw resource values and Pods metrics): (replicas, average usage)."""
    grouped, left = _prepare(pods, metrics, resource, now, cpu_initialization_period, delay_of_initial_readiness_status)
    ratio, usage = metric_usage_ratio(left, target_usage)

    scale_up_with_unready = bool(grouped.unready) and ratio > 1.0
    if not scale_up_with_unready and not grouped.missing:
        if within_tolerance(ratio, tolerance):
            return current, usage
        return _ceil_int32(ratio * grouped.ready_count), usage

    if grouped.missing:
        if ratio < 1.0:
            for name in grouped.missing:  # scale-down: a missing pod uses exactly the target
                left[name] = PodMetric(target_usage)
        elif ratio > 1.0:
            for name in grouped.missing:
                left[name] = PodMetric(0)
    if scale_up_with_unready:
        for name in grouped.unready:
            left[name] = PodMetric(0)

    new_ratio, _ = metric_usage_ratio(left, target_usage)
    if within_tolerance(new_ratio, tolerance) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, usage
    new_replicas = _ceil_int32(new_ratio * len(left))
    if (new_ratio < 1.0 and new_replicas > current) or (new_ratio > 1.0 and new_replicas < current):
        return current, usage
    return new_replicas, usage


def ready_pod_count(pods: list[dict]) -> int:
    """`getReadyPodsCount`: Running and Ready pods (an empty selection is an error)."""
    if not pods:
        raise MetricError("no pods returned by selector while calculating replica count")
    return sum(1 for p in pods if _phase(p) == "Running" and is_pod_ready(p))


def usage_ratio_replicas(current: int, ratio: float, pods: list[dict], tolerance: float = TOLERANCE) -> int:
    """`getUsageRatioReplicaCount`: scale by the ready pods, or from zero by the ratio alone."""
    if current != 0:
        if within_tolerance(ratio, tolerance):
            return current
        try:
            ready = ready_pod_count(pods)
        except MetricError as e:
            raise MetricError(f"unable to calculate ready pods: {e}") from None
        return _ceil_int32(ratio * ready)
    return _ceil_int32(ratio)


def object_metric_replicas(current: int, target_usage: int, usage: int, pods: list[dict],
                           tolerance: float = TOLERANCE) -> int:
    """`GetObjectMetricReplicas` after the fetch: replicas for an object metric's Value target."""
    return usage_ratio_replicas(current, usage / target_usage, pods, tolerance)


def per_pod_replicas(status_replicas: int, target_per_pod: int, usage: int, tolerance: float = TOLERANCE) -> tuple[int, int]:
    """`GetObjectPerPodMetricReplicas` / `GetExternalPerPodMetricReplicas` after the fetch:
    (replicas, usage per current replica)."""
    replicas = status_replicas
    denominator = target_per_pod * status_replicas
    if denominator:
        ratio = usage / denominator
    else:  # Go's float64 division: x/0 is +Inf, 0/0 is NaN (and NaN is never "outside" the tolerance)
        ratio = math.nan if usage == 0 else math.inf
    if math.fabs(1.0 - ratio) > tolerance:
        replicas = _ceil_int32(usage / target_per_pod)
    if status_replicas == 0:
        per_replica = 0  # newer upstream's guard; v1.32 converts +Inf/NaN to an undefined int64
    elif usage >= MAX_INT64:
        per_replica = MAX_INT64
    else:
        per_replica = int(math.ceil(usage / status_replicas))
    return replicas, per_replica


def external_total(values: Iterable[int]) -> int:
    """The sum of an external metric's values, capped at MaxInt64."""
    total = 0
    for v in values:
        if v > 0 and total > MAX_INT64 - v:
            return MAX_INT64
        total += v
    return total


def external_metric_replicas(current: int, target_usage: int, values: Iterable[int], pods: list[dict],
                             tolerance: float = TOLERANCE) -> tuple[int, int]:
    """`GetExternalMetricReplicas` after the fetch: (replicas, total usage)."""
    usage = external_total(values)
    return usage_ratio_replicas(current, usage / target_usage, pods, tolerance), usage


__all__ = [
    "MetricError", "PodMetric", "Grouped", "TOLERANCE", "CPU_INITIALIZATION_PERIOD_US", "DELAY_OF_INITIAL_READINESS_STATUS_US",
    "group_pods", "pod_requests", "resource_utilization_ratio", "metric_usage_ratio", "resource_replicas",
    "plain_metric_replicas", "ready_pod_count", "usage_ratio_replicas", "object_metric_replicas", "per_pod_replicas",
    "external_total", "external_metric_replicas", "milli_value", "within_tolerance", "is_pod_ready",
]
