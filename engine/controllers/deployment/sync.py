"""The sync of one Deployment (upstream `deployment_controller.go` syncDeployment and `sync.go`).

`sync_deployment` dispatches in upstream's order: empty selector, claim ReplicaSets, being deleted
(status only), paused conditions, paused (`sync`: proportional scaling, cleanup), rollback annotation,
scaling event (`sync`), then the strategy. Every function appends the requests upstream would send,
and a pass stops at its first write of a ReplicaSet's identity or of the Deployment's metadata
(`getNewReplicaSet`, claims): the resulting change re-enqueues the Deployment, and the next pass
resumes where this one stopped, on fresh state. Status is computed last, only by a pass that wrote
no ReplicaSet, so it always describes what is stored.
"""

from __future__ import annotations

from engine.controllers.events import NORMAL, WARNING
from engine.model.pods import controller_ref
from engine.model.selectors import selector_from_label_selector
from .context import SCALING_REPLICA_SET, Sync, clone
from .util.conditions import (AVAILABLE, FALSE, FOUND_NEW_RS, MINIMUM_REPLICAS_AVAILABLE, MINIMUM_REPLICAS_UNAVAILABLE,
                              NEW_REPLICA_SET_CREATED, PAUSED, PROGRESSING, RESUMED, TIMED_OUT, TRUE, UNKNOWN,
                              get_condition, has_progress_deadline, new_condition, set_condition)
from .util.fenceposts import RECREATE, ROLLING_UPDATE, is_rolling_update, max_surge, max_unavailable, spec_replicas, strategy_type
from .util.hash import compute_hash
from .util.replicasets import (POD_TEMPLATE_HASH, actual_replica_count, available_replica_count, by_creation,
                               by_size_newer, by_size_older, creation_key, equal_ignore_hash, filter_active, find_active_or_latest,
                               find_new_replica_set, find_old_replica_sets, get_proportion, is_saturated,
                               new_rs_new_replicas, ready_replica_count, replica_count, status_int, template_of, uid_of)
from .util.revision import (REVISION, ROLLBACK_TO, desired_replicas_annotation, max_revision, parse_int64,
                            set_deployment_revision, set_new_replica_set_annotations)

SELECTING_ALL = "SelectingAll"
SELECTING_ALL_MESSAGE = "This deployment is selecting all pods. A non-empty selector is required."


def controller_ref_to(d: dict) -> dict:
    """`metav1.NewControllerRef(d, apps/v1 Deployment)`."""
    m = d["metadata"]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": m["name"], "uid": m.get("uid", ""),
            "controller": True, "blockOwnerDeletion": True}


def get_rollback_to(d: dict) -> int | None:
    """The revision in the deprecated rollback annotation (None when absent or not a number)."""
    value = ((d.get("metadata") or {}).get("annotations") or {}).get(ROLLBACK_TO, "")
    if value == "":
        return None
    try:
        return parse_int64(value)
    except ValueError:
        return None


# --- the dispatcher -------------------------------------------------------------------------------


def sync_deployment(ctx: Sync) -> None:
    from .recreate import rollout_recreate
    from .rollback import rollback
    from .rolling import rollout_rolling

    d = ctx.d
    spec = d.get("spec") or {}
    if _selects_everything(spec.get("selector")):
        if int(d["status"].get("observedGeneration") or 0) < int(d["metadata"].get("generation") or 0):
            ctx.event(WARNING, SELECTING_ALL, SELECTING_ALL_MESSAGE)
            status = dict(d["status"])
            status["observedGeneration"] = d["metadata"].get("generation")
            ctx.update_status(status)
        return

    rs_list = claim_replica_sets(ctx)
    if ctx.requests:
        return

    if d["metadata"].get("deletionTimestamp"):
        sync_status_only(ctx, rs_list)
        return

    if check_paused_conditions(ctx):
        return

    if spec.get("paused"):
        sync(ctx, rs_list)
        return

    # Rollback is not re-entrant: finish it (the annotation is cleared) before touching replica sets.
    if get_rollback_to(d) is not None:
        rollback(ctx, rs_list)
        return

    scaling = is_scaling_event(ctx, rs_list)
    if ctx.requests:
        return
    if scaling:
        sync(ctx, rs_list)
        return

    kind = strategy_type(d)
    if kind == RECREATE:
        rollout_recreate(ctx, rs_list)
    elif kind == ROLLING_UPDATE:
        rollout_rolling(ctx, rs_list)


def _selects_everything(sel) -> bool:
    """The selector is `{}` (Go: DeepEqual with an empty LabelSelector; `matchLabels: {}` is not)."""
    return isinstance(sel, dict) and sel.get("matchLabels") is None and sel.get("matchExpressions") is None


# --- claiming ReplicaSets -------------------------------------------------------------------------


def owned_replica_sets(ctx: Sync) -> list[dict]:
    """The ReplicaSets whose controller reference names this Deployment (owner-uid index)."""
    uid = uid_of(ctx.orig)
    out = []
    for (group, resource, _ns, _name), obj in ctx.view.dependents(uid):
        if (group, resource) != ("apps", "replicasets"):
            continue
        ref = controller_ref(obj)
        if ref is not None and ref.get("uid") == uid:
            out.append(obj)
    return out


def claim_replica_sets(ctx: Sync) -> list[dict]:
    """`ClaimReplicaSets` over the owned RSs: keep those the selector matches, release the others.

    Orphans are adopted by the per-namespace orphan key (`controller.adopt_orphans`) and, for the one
    RS named after the current template, by `get_new_replica_set` before it would collide.
    """
    d = ctx.orig
    selector = selector_from_label_selector(d["spec"].get("selector"))
    claimed = []
    for rs in by_creation(owned_replica_sets(ctx)):
        if selector.matches((rs["metadata"].get("labels") or {})):
            claimed.append(rs)
            continue
        if d["metadata"].get("deletionTimestamp"):
            continue  # we are being deleted: release nothing
        refs = [r for r in rs["metadata"].get("ownerReferences") or () if r.get("uid") != uid_of(d)]
        ctx.request("patch", "replicasets", rs["metadata"]["name"], {"metadata": {"ownerReferences": refs or None}},
                    params={"patchType": "merge"})
        ctx.again = True  # the released RS no longer names us, so its change will not wake us
    return claimed


def adoption_patch(rs: dict, d: dict) -> dict:
    refs = list(rs["metadata"].get("ownerReferences") or ()) + [controller_ref_to(d)]
    return {"metadata": {"ownerReferences": refs}}


def can_adopt(rs: dict, d: dict) -> bool:
    """An orphan the Deployment may adopt (`ClaimObject`: neither being deleted, the selector matches)."""
    if controller_ref(rs) is not None or rs["metadata"].get("deletionTimestamp") or d["metadata"].get("deletionTimestamp"):
        return False
    sel = (d.get("spec") or {}).get("selector")
    if sel is None:
        return False
    selector = selector_from_label_selector(sel)
    if selector.is_empty():
        return False
    return rs["metadata"].get("namespace") == d["metadata"].get("namespace") and selector.matches(rs["metadata"].get("labels") or {})


# --- new and old replica sets --------------------------------------------------------------------


def get_all_replica_sets_and_sync_revision(ctx: Sync, rs_list: list[dict], create: bool) -> tuple[dict | None, list[dict], bool]:
    """(new RS, all old RSs, wrote): the new RS found (its revision synced) or created."""
    _, all_old = find_old_replica_sets(ctx.d, rs_list, ctx.comparable_template)
    new_rs, wrote = get_new_replica_set(ctx, rs_list, all_old, create)
    return new_rs, all_old, wrote


def get_new_replica_set(ctx: Sync, rs_list: list[dict], old_rss: list[dict], create: bool) -> tuple[dict | None, bool]:
    d = ctx.d
    existing = find_new_replica_set(d, rs_list, ctx.comparable_template)
    new_revision = str(max_revision(old_rss) + 1)

    if existing is not None:
        # Only annotations and spec.minReadySeconds change: copy those levels, share the rest.
        rs_copy = {**existing, "metadata": {**existing["metadata"], "annotations": dict(existing["metadata"].get("annotations") or {})},
                   "spec": dict(existing.get("spec") or {})}
        annotations_updated = set_new_replica_set_annotations(d, rs_copy, new_revision, True)
        mrs = (d.get("spec") or {}).get("minReadySeconds") or 0
        if annotations_updated or ((rs_copy.get("spec") or {}).get("minReadySeconds") or 0) != mrs:
            if mrs:
                rs_copy["spec"]["minReadySeconds"] = mrs
            else:
                rs_copy["spec"].pop("minReadySeconds", None)
            ctx.update_replica_set(rs_copy)
            return rs_copy, True
        # The revision in the RS's annotation is the reliable one (it was set before).
        set_deployment_revision(d, (rs_copy["metadata"].get("annotations") or {}).get(REVISION, ""))
        if has_progress_deadline(d) and get_condition(d["status"], PROGRESSING) is None:
            set_condition(d["status"], new_condition(PROGRESSING, TRUE, FOUND_NEW_RS,
                                                     f'Found new replica set "{rs_copy["metadata"]["name"]}"', ctx.now))
        return rs_copy, ctx.write_deployment()

    if not create:
        return None, False

    template = clone(d["spec"].get("template") or {})
    collision_count = d["status"].get("collisionCount")
    pod_template_hash = compute_hash(template, collision_count)
    labels = dict(((template.get("metadata") or {}).get("labels")) or {})
    labels[POD_TEMPLATE_HASH] = pod_template_hash
    template.setdefault("metadata", {})["labels"] = labels
    selector = clone(d["spec"].get("selector") or {})
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), POD_TEMPLATE_HASH: pod_template_hash}
    name = f"{d['metadata']['name']}-{pod_template_hash}"

    clash = ctx.view.get("apps", "replicasets", ctx.namespace, name)
    if clash is not None:
        ref = controller_ref(clash)
        if ref is None and can_adopt(clash, ctx.orig):
            # Upstream lists and claims every matching RS before this point, so an orphan with our
            # name (a Deployment re-created after `delete --cascade=orphan`) is adopted, not a collision.
            ctx.request("patch", "replicasets", name, adoption_patch(clash, ctx.orig), params={"patchType": "merge"})
            return None, True
        if ref is not None and ref.get("uid") == uid_of(ctx.orig) and equal_ignore_hash(template_of(d), template_of(clash)):
            return clash, False  # already ours (a stale list upstream); nothing to create
        # A hash collision: bump collisionCount; the next sync computes a different hash.
        status = dict(d["status"])
        status["collisionCount"] = int(collision_count or 0) + 1
        ctx.update_status(status)
        return None, True

    spec = {"replicas": 0, "selector": selector, "template": template}
    mrs = (d.get("spec") or {}).get("minReadySeconds") or 0
    if mrs:
        spec["minReadySeconds"] = mrs
    new_rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": ctx.namespace, "labels": dict(labels),
                     "ownerReferences": [controller_ref_to(ctx.orig)]},
        "spec": spec,
    }
    replicas = new_rs_new_replicas(d, old_rss + [new_rs], new_rs)
    new_rs["spec"]["replicas"] = replicas
    set_new_replica_set_annotations(d, new_rs, new_revision, False)
    ctx.request("create", "replicasets", body=new_rs)
    if replicas > 0:
        ctx.event(NORMAL, SCALING_REPLICA_SET, f"Scaled up replica set {name} to {replicas}")
    set_deployment_revision(d, new_revision)
    if has_progress_deadline(d):
        set_condition(d["status"], new_condition(PROGRESSING, TRUE, NEW_REPLICA_SET_CREATED,
                                                 f'Created new replica set "{name}"', ctx.now))
    ctx.write_deployment()
    return new_rs, True


# --- scaling events and proportional scaling -----------------------------------------------------


def is_scaling_event(ctx: Sync, rs_list: list[dict]) -> bool:
    """An active RS whose desired-replicas annotation differs from spec.replicas."""
    new_rs, old_rss, wrote = get_all_replica_sets_and_sync_revision(ctx, rs_list, False)
    if wrote:
        return False
    for rs in filter_active(old_rss + [new_rs]):
        desired, ok = desired_replicas_annotation(rs)
        if ok and desired != spec_replicas(ctx.d):
            return True
    return False


def sync(ctx: Sync, rs_list: list[dict]) -> None:
    """Reconcile a scaling event or a paused Deployment: proportional scaling, cleanup, status."""
    from .cleanup import cleanup_deployment

    new_rs, old_rss, wrote = get_all_replica_sets_and_sync_revision(ctx, rs_list, False)
    if wrote:
        return
    scale(ctx, new_rs, old_rss)
    # Clean up the deployment when it's paused and no rollback is in flight.
    if (ctx.d.get("spec") or {}).get("paused") and get_rollback_to(ctx.d) is None:
        cleanup_deployment(ctx, old_rss)
    sync_deployment_status(ctx, old_rss + [new_rs], new_rs)


def scale(ctx: Sync, new_rs: dict | None, old_rss: list[dict]) -> None:
    """Scale proportionally (`scale` in sync.go), so a scaling event mid-rollout does not hasten it."""
    d = ctx.d
    replicas = spec_replicas(d)
    active_or_latest = find_active_or_latest(new_rs, old_rss)
    if active_or_latest is not None:
        if spec_replicas(active_or_latest) == replicas:
            return
        ctx.scale_replica_set_and_record_event(active_or_latest, replicas)
        return

    # The new RS is saturated: old RSs go to zero (adoption of a saturated new RS).
    if is_saturated(d, new_rs):
        newest_first = sorted(old_rss, key=creation_key, reverse=True)
        for old in filter_active(newest_first):
            ctx.scale_replica_set_and_record_event(old, 0)
        return

    if not is_rolling_update(d):
        return
    newest_first = sorted(old_rss, key=creation_key, reverse=True)
    all_rss = filter_active(newest_first + [new_rs])
    allowed = replicas + max_surge(d) if replicas > 0 else 0
    to_add = allowed - replica_count(all_rss)
    operation = ""
    if to_add > 0:
        all_rss = by_size_newer(all_rss)
        operation = "up"
    elif to_add < 0:
        all_rss = by_size_older(all_rss)
        operation = "down"

    added = 0
    name_to_size: dict[str, int] = {}
    for rs in all_rss:
        if to_add != 0:
            proportion = get_proportion(rs, d, to_add, added)
            name_to_size[rs["metadata"]["name"]] = spec_replicas(rs) + proportion
            added += proportion
        else:
            name_to_size[rs["metadata"]["name"]] = spec_replicas(rs)

    for i, rs in enumerate(all_rss):
        name = rs["metadata"]["name"]
        # Add or remove leftovers to the largest replica set.
        if i == 0 and to_add != 0:
            name_to_size[name] = max(0, name_to_size[name] + to_add - added)
        ctx.scale_replica_set(rs, name_to_size[name], operation)


# --- status ----------------------------------------------------------------------------------------


def calculate_status(all_rss: list, new_rs: dict | None, d: dict, now_us: int) -> dict:
    """`calculateStatus`: counts from the RSs, conditions carried over, Available recomputed."""
    rss = [rs for rs in all_rss if rs is not None]
    available = available_replica_count(rss)
    unavailable = max(0, replica_count(rss) - available)
    old = d.get("status") or {}
    status: dict = {
        "observedGeneration": d["metadata"].get("generation"),
        "replicas": actual_replica_count(rss),
        "updatedReplicas": status_int(new_rs, "replicas"),
        "readyReplicas": ready_replica_count(rss),
        "availableReplicas": available,
        "unavailableReplicas": unavailable,
    }
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    status["conditions"] = [dict(c) for c in old.get("conditions") or ()]
    if available >= spec_replicas(d) - max_unavailable(d):
        set_condition(status, new_condition(AVAILABLE, TRUE, MINIMUM_REPLICAS_AVAILABLE,
                                            "Deployment has minimum availability.", now_us))
    else:
        set_condition(status, new_condition(AVAILABLE, FALSE, MINIMUM_REPLICAS_UNAVAILABLE,
                                            "Deployment does not have minimum availability.", now_us))
    return status


def sync_deployment_status(ctx: Sync, all_rss: list, new_rs: dict | None) -> None:
    """Write the calculated status when it differs (no progress estimation)."""
    if ctx.requests:
        return  # replica sets changed in this pass; the next pass reads them back
    status = calculate_status(all_rss, new_rs, ctx.d, ctx.now)
    ctx.d["status"] = status
    ctx.write_deployment()


def sync_status_only(ctx: Sync, rs_list: list[dict]) -> None:
    new_rs, old_rss, wrote = get_all_replica_sets_and_sync_revision(ctx, rs_list, False)
    if wrote:
        return
    sync_deployment_status(ctx, old_rss + [new_rs], new_rs)


def check_paused_conditions(ctx: Sync) -> bool:
    """Progressing=Unknown DeploymentPaused / DeploymentResumed, so a pause never counts as no progress."""
    d = ctx.d
    if not has_progress_deadline(d):
        return False
    cond = get_condition(d["status"], PROGRESSING)
    if cond is not None and cond.get("reason") == TIMED_OUT:
        return False  # a reported lack of progress is not overwritten by a paused condition
    paused_exists = cond is not None and cond.get("reason") == PAUSED
    paused = bool((d.get("spec") or {}).get("paused"))
    if paused and not paused_exists:
        set_condition(d["status"], new_condition(PROGRESSING, UNKNOWN, PAUSED, "Deployment is paused", ctx.now))
    elif not paused and paused_exists:
        set_condition(d["status"], new_condition(PROGRESSING, UNKNOWN, RESUMED, "Deployment is resumed", ctx.now))
    else:
        return False
    ctx.update_status(d["status"])
    return True
