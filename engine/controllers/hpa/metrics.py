"""The simulated metrics APIs: pod usage recorded as `metrics.kubetape.io/` annotations.

There is no metrics-server in the simulation; usage is a *recorded fact*, written by whoever
runs `ktape metrics set` (an ordinary, logged `patch`, like the `sim.kubetape.io/` faults), and
read back here the way upstream's metrics clients read metrics.k8s.io, custom.metrics.k8s.io and
external.metrics.k8s.io:

- `metrics.kubetape.io/<resource>.<container>: <quantity>` on a Pod: that container's usage of
  `cpu` or `memory` (e.g. `metrics.kubetape.io/cpu.nginx: 120m`). The resource metrics API
  (`PodMetrics`) reports a pod when it is Running and has at least one such record; its
  containers are the spec's containers that have a record. A reported container without a
  record for the asked resource makes the whole pod "missing", as upstream's `getPodMetrics`.
- `metrics.kubetape.io/custom.<metric>: <quantity>` on a Pod: a Pods metric
  (custom.metrics.k8s.io, per pod); on any other object: an Object metric describing it.
- External metrics are not simulated: an External metric source fails as it does on a cluster
  without an external metrics adapter.

A sample is taken at every read: its timestamp is the reading moment and its window is
metrics-server's default resolution (15 s), so a usage stays in force until it is changed.
"""

from __future__ import annotations

from engine.controllers.hpa.replica_calculator import MetricError, PodMetric, milli_value

PREFIX = "metrics.kubetape.io/"
CUSTOM = PREFIX + "custom."
WINDOW_US = 15 * 1_000_000
RESOURCES = ("cpu", "memory")


def usage_key(resource: str, container: str) -> str:
    return f"{PREFIX}{resource}.{container}"


def custom_key(metric: str) -> str:
    return CUSTOM + metric


def _annotations(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


def container_usage(pod: dict) -> dict[str, dict[str, int]] | None:
    """The PodMetrics of a pod as {container: {resource: milli}}, or None when the API reports
    nothing for it (not Running, or no usage recorded)."""
    if (pod.get("status") or {}).get("phase") != "Running":
        return None
    ann = _annotations(pod)
    out: dict[str, dict[str, int]] = {}
    for c in (pod.get("spec") or {}).get("containers") or ():
        name = c.get("name", "")
        usage = {}
        for res in RESOURCES:
            raw = ann.get(usage_key(res, name))
            if raw is None:
                continue
            try:
                usage[res] = milli_value(raw)
            except (ValueError, TypeError):
                continue
        if usage:
            out[name] = usage
    return out or None


def resource_metrics(pods: list[dict], resource: str, container: str, now: int) -> dict[str, PodMetric]:
    """`GetResourceMetric` of the resource metrics client over the pods the selector picked."""
    reported = [(p, u) for p in pods for u in (container_usage(p),) if u is not None]
    if not reported:
        raise MetricError(f"unable to get metrics for resource {resource}: no metrics returned from resource metrics API")
    out: dict[str, PodMetric] = {}
    for pod, usage in reported:
        name = pod["metadata"]["name"]
        if container:
            if container not in usage:
                ns = pod["metadata"].get("namespace", "")
                raise MetricError(f"unable to get metrics for resource {resource}: failed to get container metrics: "
                                  f"container {container} not present in metrics for pod {ns}/{name}")
            if resource in usage[container]:
                out[name] = PodMetric(usage[container][resource], now, WINDOW_US)
            continue
        if all(resource in u for u in usage.values()):
            out[name] = PodMetric(sum(u[resource] for u in usage.values()), now, WINDOW_US)
    return out


def pods_metric(pods: list[dict], metric: str, now: int) -> dict[str, PodMetric]:
    """`GetRawMetric` of the custom metrics client (a Pods metric)."""
    out: dict[str, PodMetric] = {}
    for pod in pods:
        raw = _annotations(pod).get(custom_key(metric))
        if raw is None:
            continue
        try:
            out[pod["metadata"]["name"]] = PodMetric(milli_value(raw), now, WINDOW_US)
        except (ValueError, TypeError):
            continue
    if not out:
        raise MetricError(f"unable to get metric {metric}: no metrics returned from custom metrics API")
    return out


def object_metric(obj: dict | None, metric: str, qualified: str, name: str) -> int:
    """`GetObjectMetric`: the metric recorded on the described object (milli-value)."""
    raw = _annotations(obj).get(custom_key(metric)) if obj is not None else None
    if raw is None:
        raise MetricError(f"the server could not find the metric {metric} for {qualified} {name}")
    try:
        return milli_value(raw)
    except (ValueError, TypeError):
        raise MetricError(f"the server could not find the metric {metric} for {qualified} {name}") from None


__all__ = ["PREFIX", "CUSTOM", "WINDOW_US", "RESOURCES", "usage_key", "custom_key", "container_usage",
           "resource_metrics", "pods_metric", "object_metric"]
