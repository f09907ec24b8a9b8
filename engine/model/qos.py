"""Pod QoS class and the kubelet's OOM score adjustment (k8s-semantics.md section 8).

`qos_class` is upstream's `ComputePodQOS` (`pkg/apis/core/v1/helper/qos/qos.go`): containers and
init containers, only cpu and memory, only quantities above zero. The API server computes it once,
when a pod is created (`podStrategy.PrepareForCreate`), after mutating admission, so the class
reflects LimitRanger's defaults; the reducer stores it in `status.qosClass`.

`oom_score_adj` is `GetContainerOOMScoreAdjust` (`pkg/kubelet/qos/policy.go`): node-critical and
Guaranteed pods -997, BestEffort 1000, Burstable `1000 - 1000 * memoryRequest // capacity`
clamped to [3, 999].

Pure: no clock, randomness or I/O.
"""

from __future__ import annotations

import math
from fractions import Fraction

from engine.model.quantity import parse_quantity

GUARANTEED = "Guaranteed"
BURSTABLE = "Burstable"
BEST_EFFORT = "BestEffort"

GUARANTEED_OOM_SCORE_ADJ = -997
BEST_EFFORT_OOM_SCORE_ADJ = 1000
KUBELET_OOM_SCORE_ADJ = -999
KUBE_PROXY_OOM_SCORE_ADJ = -999
SYSTEM_CRITICAL_PRIORITY = 2_000_000_000
_QOS_RESOURCES = ("cpu", "memory")


def _positive(values: dict | None) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    for name, raw in (values or {}).items():
        if name not in _QOS_RESOURCES:
            continue
        try:
            v = parse_quantity(raw)
        except ValueError:
            continue
        if v > 0:
            out[name] = v
    return out


def qos_class(spec: dict | None) -> str:
    """`ComputePodQOS` over a pod spec."""
    spec = spec or {}
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for c in list(spec.get("initContainers") or ()) + list(spec.get("containers") or ()):
        if not isinstance(c, dict):
            continue
        res = c.get("resources") or {}
        for name, v in _positive(res.get("requests")).items():
            requests[name] = requests.get(name, 0) + v
        found = _positive(res.get("limits"))
        for name, v in found.items():
            limits[name] = limits.get(name, 0) + v
        if set(found) != set(_QOS_RESOURCES):
            guaranteed = False
    if not requests and not limits:
        return BEST_EFFORT
    if guaranteed and len(requests) == len(limits) and all(limits.get(k) == v for k, v in requests.items()):
        return GUARANTEED
    return BURSTABLE


def pod_qos(pod: dict) -> str:
    """The stored class when the API server set one, else computed from the spec."""
    stored = (pod.get("status") or {}).get("qosClass")
    return stored if stored in (GUARANTEED, BURSTABLE, BEST_EFFORT) else qos_class(pod.get("spec"))


def is_node_critical(pod: dict) -> bool:
    """`IsNodeCriticalPod` (priorityClassName system-node-critical), or, as older kubelets,
    any pod at system-critical priority (>= 2e9)."""
    spec = pod.get("spec") or {}
    if spec.get("priorityClassName") == "system-node-critical":
        return True
    prio = spec.get("priority")
    return isinstance(prio, int) and not isinstance(prio, bool) and prio >= SYSTEM_CRITICAL_PRIORITY


def oom_score_adj(pod: dict, container: dict, memory_capacity: int) -> int:
    """`GetContainerOOMScoreAdjust` for one container of `pod` on a node with `memory_capacity` bytes."""
    if is_node_critical(pod):
        return GUARANTEED_OOM_SCORE_ADJ
    cls = qos_class(pod.get("spec"))
    if cls == GUARANTEED:
        return GUARANTEED_OOM_SCORE_ADJ
    if cls == BEST_EFFORT:
        return BEST_EFFORT_OOM_SCORE_ADJ
    raw = ((container.get("resources") or {}).get("requests") or {}).get("memory")
    request = math.ceil(parse_quantity(raw)) if raw is not None else 0  # Quantity.Value() rounds up
    if memory_capacity <= 0:
        return BEST_EFFORT_OOM_SCORE_ADJ - 1
    adj = 1000 - (1000 * request) // memory_capacity
    if adj < 1000 + GUARANTEED_OOM_SCORE_ADJ:
        return 1000 + GUARANTEED_OOM_SCORE_ADJ
    if adj == BEST_EFFORT_OOM_SCORE_ADJ:
        return adj - 1
    return adj


def container_oom_scores(pod: dict, node: dict) -> dict[str, int]:
    """What `cat /proc/self/oom_score_adj` would print in each of the pod's containers (init
    containers included) on `node`: the kubelet's adjustment with the node's memory capacity."""
    raw = ((node.get("status") or {}).get("capacity") or {}).get("memory")
    try:
        capacity = math.ceil(parse_quantity(raw)) if raw is not None else 0
    except ValueError:
        capacity = 0
    spec = pod.get("spec") or {}
    return {c.get("name", ""): oom_score_adj(pod, c, capacity)
            for c in list(spec.get("initContainers") or ()) + list(spec.get("containers") or ()) if isinstance(c, dict)}
