"""The StatefulSet's status (upstream `computeReplicaStatus`, `updateStatus`,
`completeRollingUpdate`, and the status updater).

Counted over the set's pods with a valid ordinal (in range or condemned): `replicas` (created),
`readyReplicas` (Running and Ready), `availableReplicas` (ready for more than minReadySeconds),
`currentReplicas` / `updatedReplicas` (created, not terminating, at the current / update
revision); plus `observedGeneration`, `currentRevision`, `updateRevision` and `collisionCount`.
A RollingUpdate whose every pod is updated and ready (`updated == ready == replicas ==
spec.replicas`) is complete: the current revision becomes the update revision. The status is a
fresh value each time, so what it does not compute (conditions) is dropped, as upstream's
`UpdateStatus` of a new `StatefulSetStatus` does. Go's `omitempty` shapes it: `replicas`,
`availableReplicas` and `collisionCount` are always present, zero counts are omitted otherwise.
"""

from __future__ import annotations

from engine.controllers.statefulset.utils import (
    ROLLING_UPDATE, is_created, is_running_and_available, is_running_and_ready, is_terminating, min_ready_seconds,
    ordinal_of, pod_revision, replicas_of, strategy_type,
)
from engine.pipeline.identity import UserInfo
from engine.records import Request


def compute_status(sts: dict, pods: list[dict], current_name: str, update_name: str, collision_count: int, now: int) -> dict:
    min_ready = min_ready_seconds(sts)
    replicas = ready = available = current = updated = 0
    for pod in pods:
        if ordinal_of(pod) < 0:
            continue  # neither a replica nor condemned: upstream ignores it
        created = is_created(pod)
        if created:
            replicas += 1
        if is_running_and_ready(pod):
            ready += 1
            if is_running_and_available(pod, min_ready, now):
                available += 1
        if created and not is_terminating(pod):
            rev = pod_revision(pod)
            current += rev == current_name
            updated += rev == update_name
    spec_replicas = replicas_of(sts)
    if strategy_type(sts) == ROLLING_UPDATE and updated == spec_replicas and ready == spec_replicas and \
            replicas == spec_replicas:
        current, current_name = updated, update_name
    status: dict = {}
    generation = int(sts["metadata"].get("generation") or 0)
    if generation:
        status["observedGeneration"] = generation
    status["replicas"] = replicas
    for field, value in (("readyReplicas", ready), ("currentReplicas", current), ("updatedReplicas", updated),
                         ("currentRevision", current_name), ("updateRevision", update_name)):
        if value:
            status[field] = value
    status["collisionCount"] = collision_count
    status["availableReplicas"] = available
    return status


def unchanged(sts: dict, status: dict) -> bool:
    return (sts.get("status") or {}) == status


def status_request(who: UserInfo, sts: dict, status: dict) -> Request:
    """`UpdateStatefulSetStatus`: a PUT of the set with its new status, carrying the resourceVersion read."""
    meta = sts["metadata"]
    return Request(verb="update", group="apps", version="v1", resource="statefulsets", namespace=meta.get("namespace", ""),
                   name=meta["name"], subresource="status", body={**sts, "status": status}, user=who.name, groups=who.groups)
