"""Identity, storage and pod predicates of a StatefulSet (upstream `stateful_set_utils.go`).

Pods are `<set>-<ordinal>` (`getPodName`); an ordinal is parsed back with upstream's regex
`(.*)-([0-9]+)$` (a name that does not match, or whose number does not fit an int32, has
ordinal -1 and no parent). Ordinals run from `spec.ordinals.start` (default 0) for
`spec.replicas` pods. A claim from a volumeClaimTemplate is `<template>-<set>-<ordinal>`, with
the template's labels plus the set's `selector.matchLabels`. A new pod comes from the template
(`GetPodFromTemplate`: labels, annotations, finalizers, `generateName: <set>-`, the controller
reference), then its identity (`initIdentity`: the `statefulset.kubernetes.io/pod-name` and
`apps.kubernetes.io/pod-index` labels, `spec.hostname` and `spec.subdomain`), its storage
(`updateStorage`: one `persistentVolumeClaim` volume per template, in template order, ahead of
the pod's other volumes) and its revision label (`controller-revision-hash`).
"""

from __future__ import annotations

from engine.model.pods import is_available, is_ready
from reducers.clone import clone

STATEFUL_SET_KIND = "StatefulSet"
STATEFUL_SET_API_VERSION = "apps/v1"
POD_KIND = "Pod"
POD_API_VERSION = "v1"

REVISION_LABEL = "controller-revision-hash"  # apps.StatefulSetRevisionLabel
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"  # apps.StatefulSetPodNameLabel
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"  # apps.PodIndexLabel (PodIndexLabel, on by default since 1.28)

PARALLEL = "Parallel"
ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"
RETAIN = "Retain"
DELETE = "Delete"

_INT32_MAX = 2**31 - 1


# --- names and ordinals ------------------------------------------------------------------------------


def parent_and_ordinal(name: str) -> tuple[str, int]:
    """`getParentNameAndOrdinal`: ("web", 0) for "web-0"; ("", -1) when the name has no ordinal.

    Upstream matches `(.*)-([0-9]+)$`; as digits hold no "-", that is a split at the last "-"."""
    parent, dash, digits = name.rpartition("-")
    if not dash or not digits or not (digits.isascii() and digits.isdigit()):
        return "", -1
    # strconv.ParseInt(s, 10, 32): a number beyond int32 is an error; the parent is still set.
    value = int(digits)
    return parent, value if value <= _INT32_MAX else -1


def ordinal_of(pod: dict) -> int:
    return parent_and_ordinal(pod["metadata"]["name"])[1]


def is_member_of(sts: dict, pod: dict) -> bool:
    """`isMemberOf`: the pod's parent name is the set's name."""
    return parent_and_ordinal(pod["metadata"]["name"])[0] == sts["metadata"]["name"]


def spec_of(sts: dict) -> dict:
    return sts.get("spec") or {}


def replicas_of(sts: dict) -> int:
    value = spec_of(sts).get("replicas", 1)
    return int(value) if value is not None else 1


def start_ordinal(sts: dict) -> int:
    """`getStartOrdinal`: spec.ordinals.start, else 0."""
    ordinals = spec_of(sts).get("ordinals")
    return int((ordinals or {}).get("start") or 0) if isinstance(ordinals, dict) else 0


def end_ordinal(sts: dict) -> int:
    """`getEndOrdinal`: the last ordinal in range (inclusive)."""
    return start_ordinal(sts) + replicas_of(sts) - 1


def in_ordinal_range(pod: dict, sts: dict) -> bool:
    """`podInOrdinalRange`."""
    o = ordinal_of(pod)
    return start_ordinal(sts) <= o <= end_ordinal(sts)


def pod_name(sts: dict, ordinal: int) -> str:
    return f"{sts['metadata']['name']}-{ordinal}"


def claim_templates(sts: dict) -> list[dict]:
    return [t for t in spec_of(sts).get("volumeClaimTemplates") or () if isinstance(t, dict)]


def template_name(template: dict) -> str:
    return (template.get("metadata") or {}).get("name", "")


def claim_name(sts: dict, template: dict, ordinal: int) -> str:
    """`getPersistentVolumeClaimName`: `<template>-<set>-<ordinal>`."""
    return f"{template_name(template)}-{sts['metadata']['name']}-{ordinal}"


def is_parallel(sts: dict) -> bool:
    """`allowsBurst`: podManagementPolicy Parallel."""
    return spec_of(sts).get("podManagementPolicy") == PARALLEL


def strategy_type(sts: dict) -> str:
    return (spec_of(sts).get("updateStrategy") or {}).get("type") or ROLLING_UPDATE


def rolling_update(sts: dict) -> dict | None:
    ru = (spec_of(sts).get("updateStrategy") or {}).get("rollingUpdate")
    return ru if isinstance(ru, dict) else None


def partition(sts: dict) -> int:
    ru = rolling_update(sts)
    return int((ru or {}).get("partition") or 0)


def min_ready_seconds(sts: dict) -> int:
    return int(spec_of(sts).get("minReadySeconds") or 0)


def retention_policy(sts: dict) -> tuple[str, str]:
    """`getPersistentVolumeClaimRetentionPolicy`: (whenDeleted, whenScaled), Retain/Retain when unset."""
    policy = spec_of(sts).get("persistentVolumeClaimRetentionPolicy")
    if not isinstance(policy, dict):
        return RETAIN, RETAIN
    return policy.get("whenDeleted") or RETAIN, policy.get("whenScaled") or RETAIN


# --- pod predicates ----------------------------------------------------------------------------------


def phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_created(pod: dict) -> bool:
    """`isCreated`: the API server has given it a phase (a pod still to be created has none)."""
    return phase(pod) != ""


def is_terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_running_and_ready(pod: dict) -> bool:
    return phase(pod) == "Running" and is_ready(pod)


def is_running_and_available(pod: dict, min_ready: int, now: int) -> bool:
    """`isRunningAndAvailable`: `podutil.IsPodAvailable` (ready for more than minReadySeconds)."""
    return is_available(pod, min_ready, now)


def is_healthy(pod: dict) -> bool:
    return is_running_and_ready(pod) and not is_terminating(pod)


def is_unavailable(pod: dict, min_ready: int, now: int) -> bool:
    """`isUnavailable`: not healthy, or not yet available after minReadySeconds."""
    return not is_healthy(pod) or not is_running_and_available(pod, min_ready, now)


def pod_revision(pod: dict) -> str:
    return (pod["metadata"].get("labels") or {}).get(REVISION_LABEL, "")


# --- identity and storage ----------------------------------------------------------------------------


def identity_matches(sts: dict, pod: dict) -> bool:
    """`identityMatches`: name, namespace and the pod-name label agree with the set."""
    parent, ordinal = parent_and_ordinal(pod["metadata"]["name"])
    meta = pod["metadata"]
    return (ordinal >= 0 and parent == sts["metadata"]["name"] and meta["name"] == pod_name(sts, ordinal)
            and meta.get("namespace", "") == sts["metadata"].get("namespace", "")
            and (meta.get("labels") or {}).get(POD_NAME_LABEL) == meta["name"])


def storage_matches(sts: dict, pod: dict) -> bool:
    """`storageMatches`: every claim template has a volume of that name using the pod's claim."""
    ordinal = ordinal_of(pod)
    if ordinal < 0:
        return False
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or () if isinstance(v, dict)}
    for template in claim_templates(sts):
        v = volumes.get(template_name(template))
        pvc = (v or {}).get("persistentVolumeClaim")
        if not isinstance(pvc, dict) or pvc.get("claimName") != claim_name(sts, template, ordinal):
            return False
    return True


def pod_claims(sts: dict, ordinal: int) -> list[tuple[str, dict]]:
    """`getPersistentVolumeClaims`: (template name, claim) for each template, in template order."""
    out = []
    match_labels = ((spec_of(sts).get("selector") or {}).get("matchLabels")) or {}
    for template in claim_templates(sts):
        claim = clone(template)
        meta = dict(claim.get("metadata") or {})
        meta["name"] = claim_name(sts, template, ordinal)
        meta["namespace"] = sts["metadata"].get("namespace", "")
        labels = dict(meta.get("labels") or {})
        labels.update(match_labels)
        if labels:
            meta["labels"] = labels
        claim["metadata"] = meta
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        out.append((template_name(template), claim))
    return out


def update_storage(sts: dict, pod: dict) -> None:
    """`updateStorage`: the template claims' volumes first, then the pod's other volumes."""
    spec = pod.setdefault("spec", {})
    claims = pod_claims(sts, ordinal_of(pod))
    names = {name for name, _c in claims}
    volumes = [{"name": name, "persistentVolumeClaim": {"claimName": c["metadata"]["name"]}} for name, c in claims]
    volumes += [v for v in spec.get("volumes") or () if not (isinstance(v, dict) and v.get("name") in names)]
    if volumes:
        spec["volumes"] = volumes


def update_identity(sts: dict, pod: dict) -> None:
    """`updateIdentity`: name, namespace and the pod-name and pod-index labels."""
    ordinal = ordinal_of(pod)
    meta = pod["metadata"]
    meta["name"] = pod_name(sts, ordinal)
    meta["namespace"] = sts["metadata"].get("namespace", "")
    labels = dict(meta.get("labels") or {})
    labels[POD_NAME_LABEL] = meta["name"]
    labels[POD_INDEX_LABEL] = str(ordinal)
    meta["labels"] = labels


def init_identity(sts: dict, pod: dict) -> None:
    """`initIdentity`: identity plus the immutable hostname and subdomain, set at creation only."""
    update_identity(sts, pod)
    spec = pod.setdefault("spec", {})
    spec["hostname"] = pod["metadata"]["name"]
    service = spec_of(sts).get("serviceName") or ""
    if service:
        spec["subdomain"] = service


def controller_ref(sts: dict) -> dict:
    """`metav1.NewControllerRef(set, controllerKind)`."""
    meta = sts["metadata"]
    return {"apiVersion": STATEFUL_SET_API_VERSION, "kind": STATEFUL_SET_KIND, "name": meta["name"],
            "uid": meta.get("uid", ""), "controller": True, "blockOwnerDeletion": True}


def pod_controller_ref(pod: dict) -> dict:
    """`metav1.NewControllerRef(pod, podKind)`: what a claim gets under whenScaled: Delete."""
    meta = pod["metadata"]
    return {"apiVersion": POD_API_VERSION, "kind": POD_KIND, "name": meta["name"], "uid": meta.get("uid", ""),
            "controller": True, "blockOwnerDeletion": True}


def new_pod(sts: dict, ordinal: int) -> dict:
    """`newStatefulSetPod`: a pod from `sts`'s template (pass the set at the wanted revision)."""
    meta = sts["metadata"]
    template = spec_of(sts).get("template") or {}
    tmeta = template.get("metadata") or {}
    pmeta: dict = {"generateName": f"{meta['name']}-", "name": pod_name(sts, ordinal),
                   "namespace": meta.get("namespace", "")}
    if tmeta.get("labels"):
        pmeta["labels"] = dict(tmeta["labels"])
    if tmeta.get("annotations"):
        pmeta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        pmeta["finalizers"] = list(tmeta["finalizers"])
    pmeta["ownerReferences"] = [controller_ref(sts)]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": pmeta, "spec": clone(template.get("spec") or {})}
    init_identity(sts, pod)
    update_storage(sts, pod)
    return pod


def set_revision(pod: dict, revision: str) -> None:
    labels = dict(pod["metadata"].get("labels") or {})
    labels[REVISION_LABEL] = revision
    pod["metadata"]["labels"] = labels


def new_versioned_pod(current_set: dict, update_set: dict, current_revision: str, update_revision: str,
                      ordinal: int) -> dict:
    """`newVersionedStatefulSetPod`: below the partition (RollingUpdate) the current revision,
    else the update revision. Go's precedence is kept: `(RollingUpdate && rollingUpdate == nil &&
    ordinal < start + status.currentReplicas) || (rollingUpdate != nil && ordinal < start + partition)`."""
    start = start_ordinal(current_set)
    ru = rolling_update(current_set)
    current_replicas = int((current_set.get("status") or {}).get("currentReplicas") or 0)
    if (strategy_type(current_set) == ROLLING_UPDATE and ru is None and ordinal < start + current_replicas) or \
            (ru is not None and ordinal < start + int(ru.get("partition") or 0)):
        pod = new_pod(current_set, ordinal)
        set_revision(pod, current_revision)
        return pod
    pod = new_pod(update_set, ordinal)
    set_revision(pod, update_revision)
    return pod


def descending(pods: list[dict]) -> list[dict]:
    return sorted(pods, key=lambda p: (-ordinal_of(p), p["metadata"]["name"]))
