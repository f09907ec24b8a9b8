"""Rollout status with progress estimation (upstream `progress.go`): the Progressing condition,
ReplicaFailure copied from the RSs, and a wake-up at the progress deadline."""

from __future__ import annotations

from engine.clock import parse_time

from .context import Sync, compact_status
from .util.conditions import (FALSE, NEW_RS_AVAILABLE, PROGRESSING, REPLICA_FAILURE, REPLICA_SET_UPDATED, TIMED_OUT,
                              TRUE, deployment_complete, deployment_progressing, deployment_timed_out, get_condition,
                              has_progress_deadline, new_condition, progress_deadline, remove_condition,
                              replica_set_to_deployment_condition, set_condition)


def sync_rollout_status(ctx: Sync, all_rss: list, new_rs: dict | None) -> None:
    from .sync import calculate_status

    if ctx.requests:
        return  # replica sets changed in this pass; the next pass reads them back
    d = ctx.d
    new_status = calculate_status(all_rss, new_rs, d, ctx.now)
    if not has_progress_deadline(d):
        remove_condition(new_status, PROGRESSING)

    # A complete rollout with a single active RS is a resync: estimate no progress.
    current = get_condition(d.get("status"), PROGRESSING)
    is_complete = (int(new_status.get("replicas") or 0) == int(new_status.get("updatedReplicas") or 0)
                   and current is not None and current.get("reason") == NEW_RS_AVAILABLE)
    if has_progress_deadline(d) and not is_complete:
        subject = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs is not None else f'Deployment "{d["metadata"]["name"]}"'
        if deployment_complete(d, new_status):
            set_condition(new_status, new_condition(PROGRESSING, TRUE, NEW_RS_AVAILABLE,
                                                    f"{subject} has successfully progressed.", ctx.now))
        elif deployment_progressing(d, new_status):
            cond = new_condition(PROGRESSING, TRUE, REPLICA_SET_UPDATED, f"{subject} is progressing.", ctx.now)
            # Progressing is special: refresh lastUpdateTime on every sign of progress, keeping
            # lastTransitionTime while it stays True.
            if current is not None:
                if current.get("status") == TRUE:
                    cond["lastTransitionTime"] = current.get("lastTransitionTime")
                remove_condition(new_status, PROGRESSING)
            set_condition(new_status, cond)
        elif deployment_timed_out(d, new_status, ctx.now):
            set_condition(new_status, new_condition(PROGRESSING, FALSE, TIMED_OUT,
                                                    f"{subject} has timed out progressing.", ctx.now))

    failures = replica_failures(all_rss, new_rs)
    if failures:
        set_condition(new_status, failures[0])
    else:
        remove_condition(new_status, REPLICA_FAILURE)

    if compact_status(d.get("status")) == compact_status(new_status):
        requeue_stuck_deployment(ctx, new_status)
        return
    d["status"] = new_status
    ctx.write_deployment()


def replica_failures(all_rss: list, new_rs: dict | None) -> list[dict]:
    """ReplicaFailure conditions of the new RS, else of any RS, as Deployment conditions."""
    out = []
    if new_rs is not None:
        out = [replica_set_to_deployment_condition(c) for c in (new_rs.get("status") or {}).get("conditions") or ()
               if c.get("type") == REPLICA_FAILURE]
    if out:
        return out
    for rs in all_rss:
        if rs is None:
            continue
        out += [replica_set_to_deployment_condition(c) for c in (rs.get("status") or {}).get("conditions") or ()
                if c.get("type") == REPLICA_FAILURE]
    return out


def requeue_stuck_deployment(ctx: Sync, new_status: dict) -> int | None:
    """Wake the Deployment just after its progress deadline (upstream adds a second of slack).

    Returns the wake-up time, or None when no progress check is due."""
    d = ctx.d
    current = get_condition(d.get("status"), PROGRESSING)
    if not has_progress_deadline(d) or current is None:
        return None
    if deployment_complete(d, new_status) or current.get("reason") == TIMED_OUT:
        return None
    last = current.get("lastUpdateTime")
    at = (parse_time(last) if last else 0) + progress_deadline(d) * 1_000_000 + 1_000_000
    if at <= ctx.now:
        at = ctx.now + 1_000_000
    ctx.requeue_after(at)
    return at
