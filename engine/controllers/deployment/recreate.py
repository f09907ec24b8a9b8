"""The Recreate strategy (upstream `recreate.go`): old RSs to zero, wait until no old pod runs,
then the new RS at full size."""

from __future__ import annotations

from .context import Sync
from .util.conditions import deployment_complete
from .util.fenceposts import spec_replicas
from .util.replicasets import actual_replica_count, filter_active, uid_of

_NOT_RUNNING = ("Failed", "Succeeded")


def rollout_recreate(ctx: Sync, rs_list: list[dict]) -> None:
    from .cleanup import cleanup_deployment
    from .progress import sync_rollout_status
    from .sync import get_all_replica_sets_and_sync_revision

    # Don't create a new RS if not already existed, so that we avoid scaling up before scaling down.
    new_rs, old_rss, wrote = get_all_replica_sets_and_sync_revision(ctx, rs_list, False)
    if wrote:
        return
    all_rss = old_rss + [new_rs]

    if scale_down_old_replica_sets_for_recreate(ctx, filter_active(old_rss)):
        sync_rollout_status(ctx, all_rss, new_rs)
        return

    # Do not process a deployment when it has old pods running.
    if old_pods_running(new_rs, old_rss, pod_map(ctx, new_rs, old_rss)):
        sync_rollout_status(ctx, all_rss, new_rs)
        return

    if new_rs is None:
        new_rs, old_rss, wrote = get_all_replica_sets_and_sync_revision(ctx, rs_list, True)
        if wrote:
            return
        all_rss = old_rss + [new_rs]

    ctx.scale_replica_set_and_record_event(new_rs, spec_replicas(ctx.d))

    if deployment_complete(ctx.d, ctx.d.get("status")):
        cleanup_deployment(ctx, old_rss)
    sync_rollout_status(ctx, all_rss, new_rs)


def scale_down_old_replica_sets_for_recreate(ctx: Sync, old_rss: list[dict]) -> bool:
    scaled = False
    for rs in old_rss:
        if spec_replicas(rs) == 0:
            continue
        did, _ = ctx.scale_replica_set_and_record_event(rs, 0)
        scaled = scaled or did
    return scaled


def pod_map(ctx: Sync, new_rs: dict | None, old_rss: list[dict]) -> dict[str, list[dict]]:
    """Pods of the old RSs by RS uid, by their controller reference (the owner-uid index)."""
    from engine.model.pods import controller_ref

    out: dict[str, list[dict]] = {}
    for rs in old_rss:
        uid = uid_of(rs)
        pods = []
        for (group, resource, _ns, _name), obj in ctx.view.dependents(uid):
            if (group, resource) == ("", "pods"):
                ref = controller_ref(obj)
                if ref is not None and ref.get("uid") == uid:
                    pods.append(obj)
        out[uid] = pods
    return out


def old_pods_running(new_rs: dict | None, old_rss: list[dict], pods_by_rs: dict[str, list[dict]]) -> bool:
    """Any old RS still reports pods, or any pod of a non-new RS is Pending, Running or Unknown."""
    if actual_replica_count(old_rss) > 0:
        return True
    for rs_uid in sorted(pods_by_rs):
        if new_rs is not None and uid_of(new_rs) == rs_uid:
            continue
        for pod in pods_by_rs[rs_uid]:
            if (pod.get("status") or {}).get("phase") in _NOT_RUNNING:
                continue
            return True  # not terminal (Unknown too: we cannot be sure it is not running)
    return False
