"""ControllerRevisions: the set's template history (upstream `pkg/controller/history` and the
revision parts of `stateful_set_control.go` / `stateful_set_utils.go`).

A revision holds a strategic-merge patch that puts a template back (`getPatch`):
`{"spec":{"template":{"$patch":"replace", ...the template...}}}`. Its name is
`<set>-<hash>` (`ControllerRevisionName`), where the hash is FNV-1 (32 bit, `fnv.New32`) over the
patch's JSON bytes followed by the decimal collision count, through `rand.SafeEncodeString`
(`HashControllerRevision`). The bytes are the ones Go's `json.Marshal` writes for the patch map:
keys sorted, no spaces, `<`, `>`, `&`, U+2028 and U+2029 escaped; the template's metadata carries
`creationTimestamp: null` as Go serializes an unset ObjectMeta time up to 1.33 (1.34 omits it).
So a template stored the way the API server stores it hashes to upstream's name: upstream's
`testdata/compatibility_set_1.33.0.json` gives `test-c77f6d978` here as there.

`revision_step` is `getStatefulSetRevisions`: the update revision is the newest revision when its
data equals the set's; an older equal revision is re-numbered (a rollback); otherwise a new one is
created, with the collision count bumped past names taken by revisions holding other data. The
current revision is the one `status.currentRevision` names, else the update revision.
`truncate` is `truncateHistory`: revisions no pod uses and that are neither current nor update are
deleted, oldest first, down to `revisionHistoryLimit`.
"""

from __future__ import annotations

import json

import attrs

from engine.controllers.deployment.util.hash import safe_encode_string
from engine.controllers.statefulset.utils import controller_ref, pod_revision, spec_of
from engine.pipeline.identity import UserInfo
from engine.records import Request
from engine.view import View
from reducers.clone import clone

HASH_LABEL = "controller.kubernetes.io/hash"  # history.ControllerRevisionHashLabel
_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193


def fnv32(data: bytes) -> int:
    """FNV-1 (multiply, then xor), as Go's `hash/fnv.New32`."""
    h = _FNV32_OFFSET
    for b in data:
        h = (h * _FNV32_PRIME) & 0xFFFFFFFF
        h ^= b
    return h


def go_json(value) -> bytes:
    """`json.Marshal` of a generic map: sorted keys, compact, HTML-safe escapes."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text.encode()


def revision_data(sts: dict) -> dict:
    """`getPatch`: the template, marked to replace the set's template when applied."""
    template = clone(spec_of(sts).get("template") or {})
    meta = dict(template.get("metadata") or {})
    meta.setdefault("creationTimestamp", None)
    template["metadata"] = meta
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def revision_hash(data: dict, collision_count: int | None) -> str:
    """`HashControllerRevision(revision, &collisionCount)`."""
    raw = go_json(data)
    if collision_count is not None:
        raw += str(collision_count).encode()
    return safe_encode_string(str(fnv32(raw)))


def revision_name(set_name: str, hash_: str) -> str:
    """`ControllerRevisionName`: the prefix is cut to 223 characters."""
    return f"{set_name[:223]}-{hash_}"


def new_revision(sts: dict, number: int, collision_count: int) -> dict:
    """`newRevision` + `history.NewControllerRevision`: template labels plus the hash label, the
    set's annotations, a controller reference, the patch and the revision number."""
    meta = sts["metadata"]
    data = revision_data(sts)
    hash_ = revision_hash(data, collision_count)
    tmeta = (spec_of(sts).get("template") or {}).get("metadata") or {}
    labels = dict(tmeta.get("labels") or {})
    labels[HASH_LABEL] = hash_
    cmeta: dict = {"name": revision_name(meta["name"], hash_), "namespace": meta.get("namespace", ""), "labels": labels}
    if meta.get("annotations"):
        cmeta["annotations"] = dict(meta["annotations"])
    cmeta["ownerReferences"] = [controller_ref(sts)]
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": cmeta, "data": data, "revision": number}


def apply_revision(sts: dict, revision: dict) -> dict:
    """`ApplyRevision`: the set with the revision's template (the only field a revision holds)."""
    out = dict(sts)
    spec = dict(spec_of(sts))
    template = clone(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    spec["template"] = template
    out["spec"] = spec
    return out


def sort_key(rev: dict):
    """`history.SortControllerRevisions`: by revision number, then creation time, then name."""
    meta = rev["metadata"]
    return int(rev.get("revision") or 0), meta.get("creationTimestamp", ""), meta["name"]


def equal(a: dict, b: dict) -> bool:
    """`history.EqualRevision`: the same data (the hash labels never parse as numbers)."""
    return a.get("data") == b.get("data")


def next_number(revisions: list[dict]) -> int:
    return int(revisions[-1].get("revision") or 0) + 1 if revisions else 1


@attrs.frozen
class Revisions:
    current: dict
    update: dict
    collision_count: int
    requests: tuple[Request, ...] = ()  # the write that makes `update` real, if any


def _request(who: UserInfo, verb: str, rev: dict, body=None, params: dict | None = None) -> Request:
    meta = rev["metadata"]
    return Request(verb=verb, group="apps", version="v1", resource="controllerrevisions",
                   namespace=meta.get("namespace", ""), name="" if verb == "create" else meta["name"],
                   body=body, params=params or {}, user=who.name, groups=who.groups)


def revision_step(view: View, who: UserInfo, sts: dict, revisions: list[dict]) -> Revisions:
    """`getStatefulSetRevisions` over the set's revisions (sorted by `sort_key`)."""
    status = sts.get("status") or {}
    collision = int(status.get("collisionCount") or 0)
    candidate = new_revision(sts, next_number(revisions), collision)
    equals = [r for r in revisions if equal(r, candidate)]
    requests: tuple[Request, ...] = ()
    if equals and equal(revisions[-1], equals[-1]):
        update = revisions[-1]
    elif equals:
        update = {**equals[-1], "revision": candidate["revision"]}
        requests = (_request(who, "update", update, body=update),)
    else:
        ns = sts["metadata"].get("namespace", "")
        while True:  # CreateControllerRevision: step past names holding other data
            existing = view.get("apps", "controllerrevisions", ns, candidate["metadata"]["name"])
            if existing is None:
                update = candidate
                requests = (_request(who, "create", candidate, body=candidate),)
                break
            if existing.get("data") == candidate["data"]:
                update = existing
                break
            collision += 1
            candidate = new_revision(sts, candidate["revision"], collision)
    current = next((r for r in revisions if r["metadata"]["name"] == status.get("currentRevision")), update)
    return Revisions(current, update, collision, requests)


def truncate(who: UserInfo, sts: dict, pods: list[dict], revisions: list[dict], current: dict, update: dict) -> list[Request]:
    """`truncateHistory`: delete the oldest non-live revisions beyond revisionHistoryLimit."""
    live = {current["metadata"]["name"], update["metadata"]["name"]} | {pod_revision(p) for p in pods}
    history = [r for r in revisions if r["metadata"]["name"] not in live]
    limit = spec_of(sts).get("revisionHistoryLimit")
    limit = 10 if limit is None else int(limit)
    if limit < 0 or len(history) <= limit:
        return []
    return [_request(who, "delete", r) for r in history[:len(history) - limit]]


def adopt_request(who: UserInfo, sts: dict, rev: dict) -> Request:
    """`AdoptControllerRevision`: a strategic merge adding our controller reference."""
    body = {"metadata": {"ownerReferences": [controller_ref(sts)], "uid": rev["metadata"]["uid"]}}
    return _request(who, "patch", rev, body=body, params={"patchType": "strategic"})
