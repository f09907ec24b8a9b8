"""Revision annotations: MaxRevision, LastRevision, SetNewReplicaSetAnnotations with history trimming,
and the annotations a Deployment shares with its ReplicaSets (`deployment_util.go`)."""

from __future__ import annotations

import re

from .fenceposts import max_surge, spec_replicas

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
CHANGE_CAUSE = "kubernetes.io/change-cause"

# limit revision history length to 100 element (~2000 chars)
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000

ANNOTATIONS_TO_SKIP = frozenset({LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO})

_INT64 = re.compile(r"[+-]?[0-9]+\Z")


def parse_int64(s: str) -> int:
    """`strconv.ParseInt(s, 10, 64)`: ValueError on anything else (including the empty string)."""
    if not isinstance(s, str) or not _INT64.match(s):
        raise ValueError(f'strconv.ParseInt: parsing "{s}": invalid syntax')
    v = int(s)
    if not -(2**63) <= v < 2**63:
        raise ValueError(f'strconv.ParseInt: parsing "{s}": value out of range')
    return v


def parse_atoi(s: str) -> int | None:
    """`strconv.Atoi` as a value or None."""
    try:
        return parse_int64(s)
    except ValueError:
        return None


def annotations(obj: dict | None) -> dict:
    if obj is None:
        return {}
    return (obj.get("metadata") or {}).get("annotations") or {}


def revision(obj: dict) -> int:
    """The revision annotation as a number: 0 when absent, ValueError when it does not parse."""
    ann = annotations(obj)
    if REVISION not in ann:
        return 0
    return parse_int64(ann[REVISION])


def max_revision(rss: list) -> int:
    """The highest revision among the ReplicaSets (unparsable ones skipped)."""
    best = 0
    for rs in rss:
        if rs is None:
            continue
        try:
            v = revision(rs)
        except ValueError:
            continue
        if v > best:
            best = v
    return best


def last_revision(rss: list) -> int:
    """The second-highest revision (the one `rollout undo` goes back to); ties shift max into it."""
    best, second = 0, 0
    for rs in rss:
        if rs is None:
            continue
        try:
            v = revision(rs)
        except ValueError:
            continue
        if v >= best:
            second, best = best, v
        elif v > second:
            second = v
    return second


def skip_copy_annotation(key: str) -> bool:
    return key in ANNOTATIONS_TO_SKIP


def _ensure_annotations(obj: dict) -> dict:
    meta = obj.setdefault("metadata", {})
    if meta.get("annotations") is None:
        meta["annotations"] = {}
    return meta["annotations"]


def copy_deployment_annotations_to_replica_set(d: dict, rs: dict) -> bool:
    """Copy the Deployment's annotations (but the skipped ones) onto the RS; True if any changed."""
    rs_ann = _ensure_annotations(rs)
    changed = False
    for k, v in sorted(annotations(d).items()):
        if skip_copy_annotation(k) or (k in rs_ann and rs_ann[k] == v):
            continue
        rs_ann[k] = v
        changed = True
    return changed


def set_deployment_annotations_to(d: dict, rollback_to_rs: dict) -> None:
    """On rollback the Deployment takes the RS's annotations (keeping its own skipped ones)."""
    kept = {k: v for k, v in annotations(d).items() if skip_copy_annotation(k)}
    for k, v in annotations(rollback_to_rs).items():
        if not skip_copy_annotation(k):
            kept[k] = v
    d.setdefault("metadata", {})["annotations"] = kept


def set_replicas_annotations(rs: dict, desired: int, max_replicas: int) -> bool:
    ann = _ensure_annotations(rs)
    updated = False
    if ann.get(DESIRED_REPLICAS) != str(desired):
        ann[DESIRED_REPLICAS] = str(desired)
        updated = True
    if ann.get(MAX_REPLICAS) != str(max_replicas):
        ann[MAX_REPLICAS] = str(max_replicas)
        updated = True
    return updated


def replicas_annotations_need_update(rs: dict, desired: int, max_replicas: int) -> bool:
    ann = (rs.get("metadata") or {}).get("annotations")
    if ann is None:
        return True
    return ann.get(DESIRED_REPLICAS) != str(desired) or ann.get(MAX_REPLICAS) != str(max_replicas)


def desired_replicas_annotation(rs: dict) -> tuple[int, bool]:
    return _int_annotation(rs, DESIRED_REPLICAS)


def max_replicas_annotation(rs: dict) -> tuple[int, bool]:
    return _int_annotation(rs, MAX_REPLICAS)


def _int_annotation(rs: dict, key: str) -> tuple[int, bool]:
    ann = annotations(rs)
    if key not in ann:
        return 0, False
    v = parse_atoi(ann[key])
    return (0, False) if v is None else (v, True)


def set_new_replica_set_annotations(d: dict, new_rs: dict, new_revision: str, exists: bool,
                                    rev_history_limit_in_chars: int = MAX_REV_HISTORY_LENGTH_IN_CHARS) -> bool:
    """`SetNewReplicaSetAnnotations`: copy annotations, raise the revision (never lower it), keep the
    replaced revision in `revision-history` (trimmed from the front to fit), and on creation set the
    desired/max replicas annotations. True when the RS's annotations changed."""
    changed = copy_deployment_annotations_to_replica_set(d, new_rs)
    ann = _ensure_annotations(new_rs)
    ok = REVISION in ann
    old_revision = ann.get(REVISION, "")
    try:
        old_int = parse_int64(old_revision)
    except ValueError:
        if old_revision != "":
            return False
        old_int = 0
    try:
        new_int = parse_int64(new_revision)
    except ValueError:
        return False
    if old_int < new_int:
        ann[REVISION] = new_revision
        changed = True
    # A replica set that already had a revision and now gets a newer one is being rolled back to:
    # keep the revisions it served before.
    if ok and old_int < new_int:
        history = ann.get(REVISION_HISTORY, "")
        old_revisions = history.split(",")
        if len(old_revisions[0]) == 0:
            ann[REVISION_HISTORY] = old_revision
        else:
            total = len(history) + len(old_revision) + 1
            start = 0
            while total > rev_history_limit_in_chars and start < len(old_revisions):
                total = total - len(old_revisions[start]) - 1
                start += 1
            if total <= rev_history_limit_in_chars:
                ann[REVISION_HISTORY] = ",".join(old_revisions[start:] + [old_revision])
    if not exists:
        if set_replicas_annotations(new_rs, spec_replicas(d), spec_replicas(d) + max_surge(d)):
            changed = True
    return changed


def set_deployment_revision(d: dict, rev: str) -> bool:
    ann = _ensure_annotations(d)
    if ann.get(REVISION) != rev:
        ann[REVISION] = rev
        return True
    return False
