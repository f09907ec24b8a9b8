"""The RollingUpdate strategy (upstream `rolling.go`): grow the new RS within maxSurge, shrink old RSs
within maxUnavailable, unhealthy old replicas first."""

from __future__ import annotations

from .context import Sync
from .util.conditions import deployment_complete
from .util.fenceposts import max_unavailable, spec_replicas
from .util.replicasets import available_replica_count, by_creation, filter_active, new_rs_new_replicas, replica_count, status_int


def rollout_rolling(ctx: Sync, rs_list: list[dict]) -> None:
    from .cleanup import cleanup_deployment
    from .progress import sync_rollout_status
    from .sync import get_all_replica_sets_and_sync_revision

    new_rs, old_rss, wrote = get_all_replica_sets_and_sync_revision(ctx, rs_list, True)
    if wrote:
        return
    all_rss = old_rss + [new_rs]

    # Scale up, if we can.
    if reconcile_new_replica_set(ctx, all_rss, new_rs):
        sync_rollout_status(ctx, all_rss, new_rs)
        return
    # Scale down, if we can.
    if reconcile_old_replica_sets(ctx, all_rss, filter_active(old_rss), new_rs):
        sync_rollout_status(ctx, all_rss, new_rs)
        return
    if deployment_complete(ctx.d, ctx.d.get("status")):
        cleanup_deployment(ctx, old_rss)
    sync_rollout_status(ctx, all_rss, new_rs)


def reconcile_new_replica_set(ctx: Sync, all_rss: list, new_rs: dict) -> bool:
    """Scale the new RS toward spec.replicas as far as maxSurge allows (down if above it)."""
    d = ctx.d
    if spec_replicas(new_rs) == spec_replicas(d):
        return False  # scaling not required
    if spec_replicas(new_rs) > spec_replicas(d):
        scaled, _ = ctx.scale_replica_set_and_record_event(new_rs, spec_replicas(d))
        return scaled
    new_count = new_rs_new_replicas(d, all_rss, new_rs)
    scaled, _ = ctx.scale_replica_set_and_record_event(new_rs, new_count)
    return scaled


def reconcile_old_replica_sets(ctx: Sync, all_rss: list, old_rss: list[dict], new_rs: dict) -> bool:
    """Scale old RSs down as far as availability allows.

    maxScaledDown = allPods - minAvailable - newRSUnavailable: surge pods and the new RS's
    unavailable pods count, so a crash-looping new RS never makes us remove available old pods.
    """
    d = ctx.d
    if replica_count(old_rss) == 0:
        return False  # can't scale down further
    all_pods = replica_count(all_rss)
    min_available = spec_replicas(d) - max_unavailable(d)
    new_unavailable = spec_replicas(new_rs) - status_int(new_rs, "availableReplicas")
    max_scaled_down = all_pods - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    # Clean up unhealthy replicas first, otherwise they block the rollout (kubernetes#16737).
    old_rss, cleaned = cleanup_unhealthy_replicas(ctx, old_rss, max_scaled_down)
    all_rss = old_rss + [new_rs]
    scaled_down = scale_down_old_replica_sets_for_rolling_update(ctx, all_rss, old_rss)
    return cleaned + scaled_down > 0


class SyncError(ValueError):
    """A sync that upstream ends with an error (and a rate-limited requeue) instead of writes."""


def cleanup_unhealthy_replicas(ctx: Sync, old_rss: list[dict], max_cleanup: int) -> tuple[list[dict], int]:
    """Scale old RSs (oldest first) down by their unavailable replicas, up to max_cleanup in total."""
    old_rss = by_creation(old_rss)
    total = 0
    for i, rs in enumerate(old_rss):
        if total >= max_cleanup:
            break
        if spec_replicas(rs) == 0:
            continue  # cannot scale down this replica set
        if spec_replicas(rs) == status_int(rs, "availableReplicas"):
            continue  # no unhealthy replicas found
        count = min(max_cleanup - total, spec_replicas(rs) - status_int(rs, "availableReplicas"))
        new_count = spec_replicas(rs) - count
        if new_count > spec_replicas(rs):
            raise SyncError(f"when cleaning up unhealthy replicas, got invalid request to scale down "
                             f"{rs['metadata'].get('namespace', '')}/{rs['metadata']['name']} {spec_replicas(rs)} -> {new_count}")
        _, updated = ctx.scale_replica_set_and_record_event(rs, new_count)
        total += count
        old_rss[i] = updated
    return old_rss, total


def scale_down_old_replica_sets_for_rolling_update(ctx: Sync, all_rss: list, old_rss: list[dict]) -> int:
    """Scale old RSs (oldest first) down by the availability above minAvailable."""
    d = ctx.d
    min_available = spec_replicas(d) - max_unavailable(d)
    available = available_replica_count(all_rss)
    if available <= min_available:
        return 0  # cannot scale down
    total_to_scale_down = available - min_available
    total = 0
    for rs in by_creation(old_rss):
        if total >= total_to_scale_down:
            break
        if spec_replicas(rs) == 0:
            continue
        count = min(spec_replicas(rs), total_to_scale_down - total)
        ctx.scale_replica_set_and_record_event(rs, spec_replicas(rs) - count)
        total += count
    return total
