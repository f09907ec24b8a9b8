"""Old ReplicaSet cleanup to revisionHistoryLimit (upstream `cleanupDeployment` in `sync.go`)."""

from __future__ import annotations

from .context import Sync
from .util.conditions import has_revision_history_limit
from .util.fenceposts import spec_replicas
from .util.replicasets import by_revision, status_int


def cleanable_to_delete(d: dict, old_rss: list[dict]) -> list[dict]:
    """The old RSs to delete: the oldest revisions beyond the limit that run nothing and are observed."""
    if not has_revision_history_limit(d):
        return []
    alive = [rs for rs in old_rss if rs is not None and not rs["metadata"].get("deletionTimestamp")]
    diff = len(alive) - int(d["spec"]["revisionHistoryLimit"])
    if diff <= 0:
        return []
    out = []
    for rs in by_revision(alive)[:diff]:
        # Skipped ones still use up the diff (upstream).
        if (status_int(rs, "replicas") != 0 or spec_replicas(rs) != 0
                or int(rs["metadata"].get("generation") or 0) > status_int(rs, "observedGeneration")
                or rs["metadata"].get("deletionTimestamp")):
            continue
        out.append(rs)
    return out


def cleanup_deployment(ctx: Sync, old_rss: list[dict]) -> None:
    for rs in cleanable_to_delete(ctx.d, old_rss):
        ctx.delete_replica_set(rs)
