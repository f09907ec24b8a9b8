"""Deployment conditions and the rollout predicates built on them (`deployment_util.go`)."""

from __future__ import annotations

from engine.clock import parse_time, rfc3339

from .fenceposts import MAX_INT32, spec_replicas

AVAILABLE = "Available"
PROGRESSING = "Progressing"
REPLICA_FAILURE = "ReplicaFailure"

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"

# Reasons (upstream constants, verbatim)
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_REPLICA_SET_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"


def new_condition(type_: str, status: str, reason: str, message: str, now_us: int) -> dict:
    t = rfc3339(now_us)
    return {"type": type_, "status": status, "lastUpdateTime": t, "lastTransitionTime": t, "reason": reason, "message": message}


def get_condition(status: dict | None, type_: str) -> dict | None:
    for c in (status or {}).get("conditions") or ():
        if c.get("type") == type_:
            return c
    return None


def set_condition(status: dict, condition: dict) -> None:
    """Add or replace; same status and reason changes nothing; same status keeps lastTransitionTime."""
    current = get_condition(status, condition["type"])
    if current is not None and current.get("status") == condition["status"] and current.get("reason") == condition.get("reason"):
        return
    condition = dict(condition)
    if current is not None and current.get("status") == condition["status"]:
        condition["lastTransitionTime"] = current.get("lastTransitionTime")
    status["conditions"] = [c for c in status.get("conditions") or () if c.get("type") != condition["type"]] + [condition]


def remove_condition(status: dict, type_: str) -> None:
    conds = [c for c in status.get("conditions") or () if c.get("type") != type_]
    if conds:
        status["conditions"] = conds
    else:
        status.pop("conditions", None)


def replica_set_to_deployment_condition(cond: dict) -> dict:
    return {"type": cond.get("type"), "status": cond.get("status"), "lastUpdateTime": cond.get("lastTransitionTime"),
            "lastTransitionTime": cond.get("lastTransitionTime"), "reason": cond.get("reason", ""),
            "message": cond.get("message", "")}


def progress_deadline(d: dict) -> int | None:
    return (d.get("spec") or {}).get("progressDeadlineSeconds")


def has_progress_deadline(d: dict) -> bool:
    pds = progress_deadline(d)
    return pds is not None and pds != MAX_INT32


def has_revision_history_limit(d: dict) -> bool:
    limit = (d.get("spec") or {}).get("revisionHistoryLimit")
    return limit is not None and limit != MAX_INT32


def _n(status: dict | None, field: str) -> int:
    return int((status or {}).get(field) or 0)


def deployment_complete(d: dict, new_status: dict | None) -> bool:
    """Every desired replica is updated and available, no old pods run, and the spec was observed."""
    n = spec_replicas(d)
    return (_n(new_status, "updatedReplicas") == n and _n(new_status, "replicas") == n
            and _n(new_status, "availableReplicas") == n
            and _n(new_status, "observedGeneration") >= int((d.get("metadata") or {}).get("generation") or 0))


def deployment_progressing(d: dict, new_status: dict) -> bool:
    """New pods scaled up or became ready/available, or old pods went away, since the stored status."""
    old = d.get("status") or {}
    old_old = _n(old, "replicas") - _n(old, "updatedReplicas")
    new_old = _n(new_status, "replicas") - _n(new_status, "updatedReplicas")
    return (_n(new_status, "updatedReplicas") > _n(old, "updatedReplicas") or new_old < old_old
            or _n(new_status, "readyReplicas") > _n(old, "readyReplicas")
            or _n(new_status, "availableReplicas") > _n(old, "availableReplicas"))


def deployment_timed_out(d: dict, new_status: dict, now_us: int) -> bool:
    """The Progressing condition is older than progressDeadlineSeconds (strictly), or already timed out."""
    if not has_progress_deadline(d):
        return False
    cond = get_condition(new_status, PROGRESSING)
    if cond is None:
        return False
    if cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    last = cond.get("lastUpdateTime")
    since = parse_time(last) if last else 0
    return since + progress_deadline(d) * 1_000_000 < now_us
