"""ControllerRevision history of a DaemonSet (upstream `update.go`: constructHistory, snapshot,
dedupCurHistories, cleanupHistory, Match, getPatch).

- `get_patch(ds)`: the revision's `data`, a strategic merge patch that restores the template:
  `{"spec": {"template": {<the template>, "$patch": "replace"}}}`.
- A revision is *current* when its data equals that patch (`Match`). Revisions are named
  `<ds>-<hash>` with `hash = ComputeHash(template, status.collisionCount)` (the Deployment
  controller's hash), labelled with the template's labels plus `controller-revision-hash`,
  annotated with the DaemonSet's annotations and controlled by it.
- `construct(...)` takes at most one step towards upstream's constructHistory outcome: add the
  hash label to revisions that lack it (the label is the revision's name, as upstream), create the
  current revision (revision = highest old one + 1) or, when its name is taken by a revision with
  other data, bump `status.collisionCount`; when several revisions are current, keep the highest,
  relabel the pods that carry another one's hash and delete the others; raise the current
  revision's number when an older revision has a higher one (a rollback). Converged, it returns
  the current revision and the old ones.
- `cleanup(...)`: delete the oldest old revisions beyond `revisionHistoryLimit`, keeping any whose
  hash a pod still carries.
"""

from __future__ import annotations

from typing import Iterable

import attrs

from engine.controllers.daemonset.claims import new_controller_ref
from engine.controllers.daemonset.util import CONTROLLER_REVISION_HASH, labels_of
from engine.controllers.deployment.util.hash import compute_hash
from engine.pipeline.identity import UserInfo
from engine.records import Request
from reducers.storage import clone

GROUP, VERSION, RESOURCE = "apps", "v1", "controllerrevisions"


def get_patch(ds: dict) -> dict:
    """`getPatch`: the strategic merge patch that replaces spec.template."""
    template = clone(((ds.get("spec") or {}).get("template")) or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def matches(ds: dict, history: dict) -> bool:
    """`Match`: the revision's data is the DaemonSet's current patch."""
    return history.get("data") == get_patch(ds)


def revision_of(history: dict) -> int:
    return int(history.get("revision") or 0)


def max_revision(histories: Iterable[dict]) -> int:
    return max((revision_of(h) for h in histories), default=0)


def template_hash(ds: dict) -> str:
    """`controller.ComputeHash(&ds.Spec.Template, ds.Status.CollisionCount)`."""
    template = (ds.get("spec") or {}).get("template") or {}
    return compute_hash(template, (ds.get("status") or {}).get("collisionCount"))


def revision_name(ds: dict, hash_: str) -> str:
    return f"{ds['metadata']['name']}-{hash_}"


def snapshot(ds: dict, revision: int) -> dict:
    """The ControllerRevision `snapshot` creates for the current template."""
    hash_ = template_hash(ds)
    meta = ds["metadata"]
    template = (ds.get("spec") or {}).get("template") or {}
    labels = dict(labels_of(template))
    labels[CONTROLLER_REVISION_HASH] = hash_
    rmeta: dict = {"name": revision_name(ds, hash_), "namespace": meta.get("namespace", ""), "labels": labels}
    if meta.get("annotations"):
        rmeta["annotations"] = dict(meta["annotations"])
    rmeta["ownerReferences"] = [new_controller_ref(ds)]
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "ControllerRevision", "metadata": rmeta,
            "data": get_patch(ds), "revision": revision}


def _req(who: UserInfo, verb: str, ns: str, name: str = "", body=None, params: dict | None = None,
         resource: str = RESOURCE, group: str = GROUP) -> Request:
    return Request(verb=verb, group=group, version="v1", resource=resource, namespace=ns, name=name, body=body,
                   params=params or {}, user=who.name, groups=who.groups)


def create_request(who: UserInfo, history: dict) -> Request:
    return _req(who, "create", history["metadata"]["namespace"], body=history)


def update_request(who: UserInfo, history: dict) -> Request:
    meta = history["metadata"]
    return _req(who, "update", meta.get("namespace", ""), meta["name"], body=history)


def delete_request(who: UserInfo, history: dict) -> Request:
    meta = history["metadata"]
    return _req(who, "delete", meta.get("namespace", ""), meta["name"])


def collision_request(who: UserInfo, ds: dict) -> Request:
    """Bump `status.collisionCount` (an UpdateStatus carrying the resourceVersion read)."""
    status = dict(ds.get("status") or {})
    status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
    meta = ds["metadata"]
    return Request(verb="update", group="apps", version="v1", resource="daemonsets", namespace=meta.get("namespace", ""),
                   name=meta["name"], subresource="status", body={**ds, "status": status},
                   user=who.name, groups=who.groups)


@attrs.frozen
class History:
    """Either the requests of one step, or the converged (current, old) revisions."""

    requests: tuple[Request, ...] = ()
    current: dict | None = None
    old: tuple[dict, ...] = ()


def construct(who: UserInfo, ds: dict, histories: list[dict], existing_named, pods: list[dict]) -> History:
    """One step of `constructHistory`. `histories`: the revisions the DaemonSet controls (claimed),
    `existing_named(name)`: the revision of that name in the namespace, or None; `pods`: the
    DaemonSet's claimed pods (relabelled when duplicates are removed)."""
    missing_label = [h for h in histories if CONTROLLER_REVISION_HASH not in labels_of(h)]
    if missing_label:
        reqs = []
        for h in missing_label:
            new = clone(h)
            new["metadata"]["labels"] = {**labels_of(h), CONTROLLER_REVISION_HASH: h["metadata"]["name"]}
            reqs.append(update_request(who, new))
        return History(tuple(reqs))
    current = [h for h in histories if matches(ds, h)]
    old = [h for h in histories if not matches(ds, h)]
    curr_revision = max_revision(old) + 1
    if not current:
        wanted = snapshot(ds, curr_revision)
        existing = existing_named(wanted["metadata"]["name"])
        if existing is None:
            return History((create_request(who, wanted),))
        if matches(ds, existing):
            cur = existing  # already created (upstream takes the existing one as is)
        else:
            return History((collision_request(who, ds),))  # hash collision: a new name next time
    elif len(current) > 1:
        keep = None
        for h in current:  # `>=`: the last of the highest revision wins, as upstream's loop
            if keep is None or revision_of(h) >= revision_of(keep):
                keep = h
        keep_hash = labels_of(keep).get(CONTROLLER_REVISION_HASH)
        reqs = []
        for pod in pods:
            if labels_of(pod).get(CONTROLLER_REVISION_HASH) != keep_hash:
                meta = pod["metadata"]
                reqs.append(_req(who, "patch", meta.get("namespace", ""), meta["name"],
                                 body={"metadata": {"labels": {CONTROLLER_REVISION_HASH: keep_hash}}},
                                 params={"patchType": "merge"}, resource="pods", group=""))
        reqs += [delete_request(who, h) for h in current if h["metadata"]["name"] != keep["metadata"]["name"]]
        return History(tuple(reqs))
    else:
        cur = current[0]
    if revision_of(cur) < curr_revision:
        new = clone(cur)
        new["revision"] = curr_revision
        return History((update_request(who, new),))
    return History(current=cur, old=tuple(sorted(old, key=lambda h: (revision_of(h), h["metadata"]["name"]))))


def cleanup(who: UserInfo, ds: dict, old: Iterable[dict], pods: Iterable[dict]) -> tuple[Request, ...]:
    """`cleanupHistory`: delete old revisions beyond the limit, oldest first, keeping live hashes."""
    old = sorted(old, key=lambda h: (revision_of(h), h["metadata"]["name"]))
    limit = (ds.get("spec") or {}).get("revisionHistoryLimit")
    to_keep = 10 if limit is None else int(limit)
    to_kill = len(old) - to_keep
    if to_kill <= 0:
        return ()
    live = {labels_of(p).get(CONTROLLER_REVISION_HASH) for p in pods} - {None, ""}
    reqs = []
    for h in old:
        if to_kill <= 0:
            break
        if labels_of(h).get(CONTROLLER_REVISION_HASH) in live:
            continue
        reqs.append(delete_request(who, h))
        to_kill -= 1
    return tuple(reqs)
