"""DaemonSet helpers (upstream `pkg/controller/daemon/util/daemonset_util.go`, v1.32).

- `add_or_update_daemon_pod_tolerations`: the tolerations every DaemonSet pod gets (operator
  Exists, no tolerationSeconds): not-ready and unreachable NoExecute; disk-, memory-, pid-pressure
  and unschedulable NoSchedule; network-unavailable NoSchedule for hostNetwork pods. A toleration
  already there with the same key, operator, value and effect is replaced (even one with
  tolerationSeconds), as `AddOrUpdateTolerationInPodSpec` does.
- `create_pod_template`: the template with those tolerations and the `pod-template-generation`
  (only when the DaemonSet carries the `deprecated.daemonset.template.generation` annotation) and
  `controller-revision-hash` labels.
- `surge_count` / `unavailable_count` / `allows_surge`: maxSurge and maxUnavailable scaled on the
  number of nodes that should run a pod (both round up).
- `is_pod_updated`: the pod's hash label is the current one, or its template-generation label is.
- `replace_node_name_affinity`: the required node affinity becomes the single term
  `matchFields metadata.name In [node]` (other required terms are dropped; preferred terms kept).
- `target_node_name`: `spec.nodeName`, else the node named by that matchFields term.
"""

from __future__ import annotations

from engine.model.intstr import scaled_value
from reducers.storage import clone

CONTROLLER_REVISION_HASH = "controller-revision-hash"  # apps.DefaultDaemonSetUniqueLabelKey
TEMPLATE_GENERATION_LABEL = "pod-template-generation"  # extensions.DaemonSetTemplateGenerationKey
TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"  # apps.DeprecatedTemplateGeneration
OBJECT_NAME_FIELD = "metadata.name"

ROLLING_UPDATE, ON_DELETE = "RollingUpdate", "OnDelete"

TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"

_DEFAULT_TOLERATIONS = (
    (TAINT_NOT_READY, "NoExecute"),
    (TAINT_UNREACHABLE, "NoExecute"),
    (TAINT_DISK_PRESSURE, "NoSchedule"),
    (TAINT_MEMORY_PRESSURE, "NoSchedule"),
    (TAINT_PID_PRESSURE, "NoSchedule"),
    (TAINT_UNSCHEDULABLE, "NoSchedule"),
)


def _match_toleration(a: dict, b: dict) -> bool:
    """`Toleration.MatchToleration`: same key, operator, value and effect (tolerationSeconds aside)."""
    return (a.get("key") or "") == (b.get("key") or "") and (a.get("operator") or "") == (b.get("operator") or "") \
        and (a.get("value") or "") == (b.get("value") or "") and (a.get("effect") or "") == (b.get("effect") or "")


def _semantic(t: dict) -> dict:
    return {k: v for k, v in t.items() if v not in (None, "")}


def add_or_update_toleration(spec: dict, toleration: dict) -> bool:
    """`AddOrUpdateTolerationInPodSpec`: replace a matching toleration (unless identical), else append."""
    current = list(spec.get("tolerations") or [])
    out, updated = [], False
    for t in current:
        if _match_toleration(t, toleration):
            if _semantic(t) == _semantic(toleration):
                return False
            out.append(dict(toleration))
            updated = True
            continue
        out.append(t)
    if not updated:
        out.append(dict(toleration))
    spec["tolerations"] = out
    return True


def add_or_update_daemon_pod_tolerations(spec: dict) -> dict:
    """`AddOrUpdateDaemonPodTolerations`, in place on a pod spec (returned for convenience)."""
    for key, effect in _DEFAULT_TOLERATIONS:
        add_or_update_toleration(spec, {"key": key, "operator": "Exists", "effect": effect})
    if spec.get("hostNetwork"):
        add_or_update_toleration(spec, {"key": TAINT_NETWORK_UNAVAILABLE, "operator": "Exists", "effect": "NoSchedule"})
    return spec


def template_generation(ds: dict) -> int | None:
    """`GetTemplateGeneration`: the deprecated annotation as an int, None when absent or unparsable
    (upstream returns an error for the latter, which its callers turn into nil)."""
    raw = ((ds.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION_ANNOTATION)
    if raw is None:
        return None
    text = str(raw)
    body = text[1:] if text[:1] in "+-" else text
    if not body.isascii() or not body.isdigit():
        return None
    return int(text)


def create_pod_template(template: dict, generation: int | None, hash_: str) -> dict:
    """`CreatePodTemplate`: a copy with the daemon tolerations and the two labels."""
    out = clone(template or {})
    spec = out.setdefault("spec", {})
    add_or_update_daemon_pod_tolerations(spec)
    meta = out.setdefault("metadata", {})
    labels = dict(meta.get("labels") or {})
    if generation is not None:
        labels[TEMPLATE_GENERATION_LABEL] = str(generation)
    if hash_:
        labels[CONTROLLER_REVISION_HASH] = hash_
    meta["labels"] = labels
    return out


def strategy(ds: dict) -> dict:
    return (ds.get("spec") or {}).get("updateStrategy") or {}


def strategy_type(ds: dict) -> str:
    return strategy(ds).get("type") or ROLLING_UPDATE


def surge_count(ds: dict, number_to_schedule: int) -> int:
    """`SurgeCount` (DaemonSetUpdateSurge is GA): 0 unless RollingUpdate with maxSurge set."""
    if strategy_type(ds) != ROLLING_UPDATE:
        return 0
    rolling = strategy(ds).get("rollingUpdate")
    if not isinstance(rolling, dict) or rolling.get("maxSurge") is None:
        return 0
    return scaled_value(rolling["maxSurge"], number_to_schedule, True)


def unavailable_count(ds: dict, number_to_schedule: int) -> int:
    """`UnavailableCount`: 0 unless RollingUpdate; maxUnavailable rounded up."""
    if strategy_type(ds) != ROLLING_UPDATE:
        return 0
    rolling = strategy(ds).get("rollingUpdate")
    if not isinstance(rolling, dict):
        return 0
    return scaled_value(rolling.get("maxUnavailable"), number_to_schedule, True)


def allows_surge(ds: dict) -> bool:
    """`AllowsSurge`: maxSurge of 1 node is positive (an invalid value counts as no surge)."""
    try:
        return surge_count(ds, 1) > 0
    except ValueError:
        return False


def labels_of(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("labels") or {}


def is_pod_updated(pod: dict, hash_: str, generation: int | None) -> bool:
    """`IsPodUpdated`: the hash label matches, or the template-generation label does."""
    labels = labels_of(pod)
    template_matches = generation is not None and labels.get(TEMPLATE_GENERATION_LABEL) == str(generation)
    hash_matches = bool(hash_) and labels.get(CONTROLLER_REVISION_HASH) == hash_
    return hash_matches or template_matches


def replace_node_name_affinity(affinity: dict | None, node_name: str) -> dict:
    """`ReplaceDaemonSetPodNodeNameNodeAffinity`, returning a new affinity."""
    term = {"matchFields": [{"key": OBJECT_NAME_FIELD, "operator": "In", "values": [node_name]}]}
    out = clone(affinity) if isinstance(affinity, dict) else {}
    node_affinity = out.get("nodeAffinity")
    if not isinstance(node_affinity, dict):
        out["nodeAffinity"] = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}
        return out
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if not isinstance(required, dict):
        node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}
        return out
    required["nodeSelectorTerms"] = [term]
    return out


def target_node_name(pod: dict) -> str | None:
    """`GetTargetNodeName`: spec.nodeName, else the single value of a matchFields metadata.name In
    term of the required node affinity; None when neither names a node."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
    if not isinstance(required, dict):
        return None
    for term in required.get("nodeSelectorTerms") or ():
        for expr in (term or {}).get("matchFields") or ():
            if expr.get("key") == OBJECT_NAME_FIELD and expr.get("operator") == "In":
                values = expr.get("values") or []
                return values[0] if len(values) == 1 else None
    return None
