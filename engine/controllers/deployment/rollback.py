"""Server-side rollback through the deprecated `deprecated.deployment.rollback.to` annotation
(upstream `rollback.go`). `kubectl rollout undo` patches the template client-side instead."""

from __future__ import annotations

from engine.controllers.events import NORMAL, WARNING

from .context import Sync, clone
from .util.replicasets import POD_TEMPLATE_HASH, equal_ignore_hash, template_of
from .util.revision import ROLLBACK_TO, last_revision, revision, set_deployment_annotations_to

ROLLBACK_REVISION_NOT_FOUND = "DeploymentRollbackRevisionNotFound"
ROLLBACK_TEMPLATE_UNCHANGED = "DeploymentRollbackTemplateUnchanged"
ROLLBACK_DONE = "DeploymentRollback"


def rollback(ctx: Sync, rs_list: list[dict]) -> None:
    from .sync import get_all_replica_sets_and_sync_revision, get_rollback_to

    new_rs, all_old, wrote = get_all_replica_sets_and_sync_revision(ctx, rs_list, True)
    if wrote:
        return
    all_rss = [rs for rs in all_old + [new_rs] if rs is not None]
    d = ctx.d
    to = get_rollback_to(d)
    if to == 0:
        to = last_revision(all_rss)
        if to == 0:
            ctx.event(WARNING, ROLLBACK_REVISION_NOT_FOUND, "Unable to find last revision.")
            update_deployment_and_clear_rollback_to(ctx)
            return
    for rs in all_rss:
        try:
            v = revision(rs)
        except ValueError:
            continue
        if v == to:
            # Copy the RS's template; the revision is raised by the next getNewReplicaSet.
            if not equal_ignore_hash(template_of(d), template_of(rs)):
                set_from_replica_set_template(d, clone(template_of(rs)))
                # The Deployment takes the RS's annotations, so change-cause follows the rollback.
                set_deployment_annotations_to(d, rs)
                update_deployment_and_clear_rollback_to(ctx)
                ctx.event(NORMAL, ROLLBACK_DONE, f'Rolled back deployment "{d["metadata"]["name"]}" to revision {to}')
            else:
                ctx.event(WARNING, ROLLBACK_TEMPLATE_UNCHANGED,
                          f'The rollback revision contains the same template as current deployment "{d["metadata"]["name"]}"')
                update_deployment_and_clear_rollback_to(ctx)
            return
    ctx.event(WARNING, ROLLBACK_REVISION_NOT_FOUND, "Unable to find the revision to rollback to.")
    update_deployment_and_clear_rollback_to(ctx)


def set_from_replica_set_template(d: dict, template: dict) -> None:
    """`SetFromReplicaSetTemplate`: the RS's template metadata and spec, minus the hash label."""
    meta = dict(template.get("metadata") or {})
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != POD_TEMPLATE_HASH}
    meta["labels"] = labels
    d["spec"]["template"] = {"metadata": meta, "spec": template.get("spec") or {}}


def update_deployment_and_clear_rollback_to(ctx: Sync) -> None:
    ann = ctx.d["metadata"].get("annotations") or {}
    ann.pop(ROLLBACK_TO, None)
    ctx.d["metadata"]["annotations"] = ann
    ctx.update_deployment()
