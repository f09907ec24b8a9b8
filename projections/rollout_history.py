"""A workload's rollout history, as a named fold over its own entries and its revisions'.

A Deployment's revisions are its ReplicaSets (`deployment.kubernetes.io/revision`); a DaemonSet's
and a StatefulSet's are their ControllerRevisions (`revision`, the template in `data`, a strategic
merge patch `{"spec":{"template":{..., "$patch":"replace"}}}`), as `WORKLOADS` says. Everything
below is written in the Deployment's terms and holds for the other two with "ReplicaSet" read as
"ControllerRevision". A ControllerRevision has no `revision-history`: a rollback raises its
`revision` in place, and the fold remembers the numbers it held before. kubectl lists a
ControllerRevision only when the workload's selector also matches it (the CLI filters on the
`labels` each row carries).

`kubectl rollout history` reads the ReplicaSets a Deployment controls *now*; the log knows more.
This projection replays the entries that name the Deployment and its ReplicaSets and answers,
for every ReplicaSet the Deployment ever controlled (one row per incarnation: a rollback after
pruning re-creates `<deploy>-<hash>` under the same name):

- its current revision and the numbers it held before (`deployment.kubernetes.io/revision` and
  `revision-history`: a rollback gives the old ReplicaSet a new, higher number);
- the seq and time it was created, its images, change-cause and pod template;
- who caused the revision: the request *on the Deployment* (user, CLI command, seq) that last set
  the template this ReplicaSet runs, before the ReplicaSet got its revision. That is the `apply`,
  `set image` or `rollout undo` entry, not the controller's ReplicaSet create;
- the seq of the delete that pruned it and why: the Deployment's `revisionHistoryLimit` in force
  at that seq when the deployment controller deleted it (`RevisionHistoryLimit`), the garbage
  collector's cascade (`GarbageCollected`), else who deleted it (`Deleted`, with the command).

The fold (`initial`, `step`, `fold`) is pure and takes entries in seq order; it ignores entries
about anything else, so folding the whole log gives the same state as folding only the relevant
entries. `history_at(txn, namespace, name, seq)` feeds it only those, found through the object
indexes: the Deployment's key, every ReplicaSet key named `<name>-...` in its namespace (the
controller names them `<deploy>-<pod-template-hash>`), and the ReplicaSets its uid owns now
(adopted ones). The seqs come from `versions`, the per-object index of *changes*, rather than
`idx_obj`, which also lists every read of those objects (each `get` and `rollout history` adds
one) that the fold would decode only to skip. Either way the cost follows the Deployment's own
history, not the log's length. A ReplicaSet adopted under an unrelated name and deleted since is
the one thing a full fold sees and the indexes do not.

Revision numbers and template comparison follow kubectl (`pkg/polymorphichelpers/history.go`,
`rollback.go`): a missing revision annotation reads as 0, an unparsable one is skipped, and two
templates are equal when they are equal ignoring the `pod-template-hash` label, with null and
empty values treated as absent (apimachinery's semantic DeepEqual after a JSON round trip).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator

import attrs

from engine.clock import rfc3339
from engine.log import eventlog
from engine.log.eventlog import SEP, from_u64
from engine.log.kv import Txn, prefix_end
from engine.records import LogEntry
from reducers.keys import collection_prefix, entry_key, object_key
from reducers.storage import next_object

NAME = "rollout_history"

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
DEPLOYMENT_CONTROLLER = "system:serviceaccount:kube-system:deployment-controller"
GARBAGE_COLLECTOR = "system:serviceaccount:kube-system:generic-garbage-collector"
DAEMONSET_CONTROLLER = "system:serviceaccount:kube-system:daemon-set-controller"
STATEFULSET_CONTROLLER = "system:serviceaccount:kube-system:statefulset-controller"
DEFAULT_HISTORY_LIMIT = 10


@attrs.frozen
class Workload:
    """What a kind's history is made of: its resource, its revisions' resource and kind, and the
    controller whose deletes are revisionHistoryLimit pruning."""

    kind: str
    resource: str
    revision_resource: str
    revision_kind: str
    controller: str

    @property
    def uses_controller_revisions(self) -> bool:
        return self.revision_kind == "ControllerRevision"


WORKLOADS = {
    "Deployment": Workload("Deployment", "deployments", "replicasets", "ReplicaSet", DEPLOYMENT_CONTROLLER),
    "DaemonSet": Workload("DaemonSet", "daemonsets", "controllerrevisions", "ControllerRevision", DAEMONSET_CONTROLLER),
    "StatefulSet": Workload("StatefulSet", "statefulsets", "controllerrevisions", "ControllerRevision",
                            STATEFULSET_CONTROLLER),
}


# --- templates ----------------------------------------------------------------------------------


def _pruned(v: Any) -> Any:
    """A JSON value with nulls, empty maps and empty lists dropped from maps (Go's zero values)."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            x = _pruned(x)
            if x is None or x == {} or x == []:
                continue
            out[k] = x
        return out
    if isinstance(v, list):
        return [_pruned(x) for x in v]
    return v


def without_hash(template: dict | None) -> dict:
    """A copy of a pod template without the `pod-template-hash` label."""
    t = json.loads(json.dumps(template or {}))
    labels = (t.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return t


def template_key(template: dict | None) -> str:
    """Canonical text of a template for equality ignoring the hash label, nulls and empties."""
    return json.dumps(_pruned(without_hash(template)), sort_keys=True, separators=(",", ":"))


def templates_equal(a: dict | None, b: dict | None) -> bool:
    """kubectl's equalIgnoreHash (semantic DeepEqual after dropping `pod-template-hash`)."""
    return template_key(a) == template_key(b)


def images_of(template: dict | None) -> list[str]:
    containers = ((template or {}).get("spec") or {}).get("containers") or []
    return [str(c.get("image", "")) for c in containers if isinstance(c, dict)]


def parse_revision(annotations: dict | None) -> int | None:
    """deploymentutil.Revision: missing annotation -> 0; unparsable -> None (kubectl skips it)."""
    raw = (annotations or {}).get(REVISION)
    if raw is None:
        return 0
    try:
        return int(str(raw), 10)
    except ValueError:
        return None


def controller_revision_number(obj: dict) -> int | None:
    """A ControllerRevision's `revision` (an int64 the API server always sets; 0 when absent)."""
    try:
        return int(obj.get("revision") or 0)
    except (TypeError, ValueError):
        return None


def revision_template(obj: dict) -> dict:
    """The pod template a ControllerRevision restores: its patch's template without `$patch`
    (what applying the patch to the workload leaves in spec.template)."""
    template = ((((obj.get("data") or {}).get("spec")) or {}).get("template")) or {}
    return {k: v for k, v in template.items() if k != "$patch"} if isinstance(template, dict) else {}


def _previous(annotations: dict | None) -> tuple[int, ...]:
    raw = (annotations or {}).get(REVISION_HISTORY) or ""
    out = []
    for part in str(raw).split(","):
        part = part.strip()
        if part.isdigit():
            out.append(int(part))
    return tuple(out)


def controller_uid(obj: dict | None) -> str | None:
    for ref in ((obj or {}).get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller") and ref.get("uid"):
            return ref["uid"]
    return None


# --- the fold's state ---------------------------------------------------------------------------


@attrs.frozen
class Cause:
    """The request on the Deployment that set a template: who, with which command, at which seq."""

    seq: int
    user: str
    command: str

    def to_json(self) -> dict:
        return {"user": self.user, "command": self.command, "seq": self.seq}


@attrs.frozen
class ReplicaSetRecord:
    """One incarnation of a ReplicaSet, as far as the fold has seen it."""

    key: bytes
    name: str
    uid: str
    created_seq: int
    created_at: int
    owner_uid: str | None = None
    revision: int | None = 0
    previous: tuple[int, ...] = ()
    change_cause: str | None = None
    template: dict = attrs.field(factory=dict)
    revision_seq: int = 0
    caused_by: Cause | None = None
    pruned_seq: int | None = None
    pruned_because: dict | None = None
    removed_seq: int | None = None
    labels: dict = attrs.field(factory=dict)


@attrs.frozen
class HistoryState:
    """The fold's state for one workload (namespace/name): immutable; `step` returns a new one.
    `deployment` is the workload object itself, whatever its kind."""

    namespace: str
    name: str
    seq: int = 0
    deployment: dict | None = None
    # template_key -> the latest request on the Deployment that set that template
    causes: dict = attrs.field(factory=dict)
    # every ReplicaSet incarnation seen, in creation order
    records: tuple[ReplicaSetRecord, ...] = ()
    # ReplicaSet key -> (index into records, current object) for those that still exist
    live: dict = attrs.field(factory=dict)
    kind: str = "Deployment"

    @property
    def workload(self) -> Workload:
        return WORKLOADS[self.kind]

    @property
    def deployment_key(self) -> bytes:
        return object_key("apps", self.workload.resource, self.namespace, self.name)

    @property
    def rs_prefix(self) -> bytes:
        return collection_prefix("apps", self.workload.revision_resource, self.namespace)


def initial(namespace: str, name: str, kind: str = "Deployment") -> HistoryState:
    if kind not in WORKLOADS:
        raise ValueError(f"{NAME}: no rollout history for {kind}")
    return HistoryState(namespace, name, kind=kind)


class _Work:
    """A private, mutable working copy of a HistoryState (the fold's inner loop)."""

    __slots__ = ("namespace", "name", "seq", "deployment", "causes", "records", "live", "dkey", "rsp", "kind", "workload")

    def __init__(self, s: HistoryState):
        self.namespace, self.name, self.seq, self.deployment = s.namespace, s.name, s.seq, s.deployment
        self.causes = dict(s.causes)
        self.records = list(s.records)
        self.live = dict(s.live)
        self.dkey, self.rsp = s.deployment_key, s.rs_prefix
        self.kind, self.workload = s.kind, s.workload

    def freeze(self) -> HistoryState:
        return HistoryState(self.namespace, self.name, self.seq, self.deployment, self.causes, tuple(self.records),
                            self.live, self.kind)

    def apply(self, entry: LogEntry) -> None:
        if entry.seq <= self.seq:
            raise ValueError(f"{NAME}: entry {entry.seq} is not after seq {self.seq}")
        self.seq = entry.seq
        if not entry.changed:
            return
        key = entry_key(entry)
        if key is None:
            return
        if key == self.dkey:
            self._deployment(entry)
        elif key.startswith(self.rsp):
            self._replica_set(key, entry)

    def _deployment(self, entry: LogEntry) -> None:
        prev = self.deployment
        new = next_object(prev, entry)
        self.deployment = new
        if new is None:
            return
        tmpl = (new.get("spec") or {}).get("template")
        replaced = prev is None or (prev.get("metadata") or {}).get("uid") != new["metadata"].get("uid")
        if replaced or template_key((prev.get("spec") or {}).get("template")) != template_key(tmpl):
            req = entry.request
            self.causes[template_key(tmpl)] = Cause(entry.seq, req.user, str(req.params.get("command") or ""))

    def _replica_set(self, key: bytes, entry: LogEntry) -> None:
        slot = self.live.get(key)
        prev = slot[1] if slot else None
        new = next_object(prev, entry)
        req = entry.request
        if slot is None:
            if new is None:
                return
            meta = new.get("metadata") or {}
            rec = ReplicaSetRecord(key=key, name=meta.get("name", ""), uid=meta.get("uid", ""),
                                   created_seq=entry.seq, created_at=entry.at)
            self.records.append(self._observe(rec, new, entry.seq))
            self.live[key] = (len(self.records) - 1, new)
            return
        index = slot[0]
        rec = self.records[index]
        if req.verb == "delete" and rec.pruned_seq is None:
            rec = attrs.evolve(rec, pruned_seq=entry.seq, pruned_because=self._why_deleted(entry, rec))
        if new is None:
            self.records[index] = attrs.evolve(rec, removed_seq=entry.seq)
            del self.live[key]
            return
        self.records[index] = self._observe(rec, new, entry.seq)
        self.live[key] = (index, new)

    def _observe(self, rec: ReplicaSetRecord, obj: dict, seq: int) -> ReplicaSetRecord:
        meta = obj.get("metadata") or {}
        ann = meta.get("annotations") or {}
        if self.workload.uses_controller_revisions:
            # No revision-history annotation: the numbers a rollback raised it from are remembered here.
            tmpl, revision, previous = revision_template(obj), controller_revision_number(obj), rec.previous
            if rec.revision_seq and rec.revision not in (None, 0, revision):
                previous = previous + (rec.revision,)
        else:
            tmpl, revision, previous = (obj.get("spec") or {}).get("template") or {}, parse_revision(ann), _previous(ann)
        changes: dict[str, Any] = {
            "owner_uid": controller_uid(obj),
            "previous": previous,
            "change_cause": ann.get(CHANGE_CAUSE) or None,
            "template": tmpl,
            "labels": dict(meta.get("labels") or {}),
        }
        if revision != rec.revision or rec.revision_seq == 0:
            changes["revision"] = revision
            changes["revision_seq"] = seq
            changes["caused_by"] = self.causes.get(template_key(tmpl))
        return attrs.evolve(rec, **changes)

    def _why_deleted(self, entry: LogEntry, rec: ReplicaSetRecord) -> dict:
        req = entry.request
        why: dict[str, Any] = {"user": req.user}
        if req.params.get("command"):
            why["command"] = req.params["command"]
        dep = self.deployment
        owned = dep is not None and dep["metadata"].get("uid") == rec.owner_uid
        if req.user == self.workload.controller and owned:
            limit = (dep.get("spec") or {}).get("revisionHistoryLimit")
            why["reason"] = "RevisionHistoryLimit"
            why["revisionHistoryLimit"] = DEFAULT_HISTORY_LIMIT if limit is None else limit
        elif req.user == GARBAGE_COLLECTOR:
            why["reason"] = "GarbageCollected"
        else:
            why["reason"] = "Deleted"
        return why


def step(state: HistoryState, entry: LogEntry) -> HistoryState:
    """The state after `entry`. Pure: `state` is left as it was."""
    w = _Work(state)
    w.apply(entry)
    return w.freeze()


def fold(entries: Iterable[LogEntry], state: HistoryState) -> HistoryState:
    """`step` over many entries (in seq order) with one working copy; resumes from `state.seq`."""
    w = _Work(state)
    for e in entries:
        w.apply(e)
    return w.freeze()


# --- queries ------------------------------------------------------------------------------------


@attrs.frozen
class Revision:
    """One row of the history: a ReplicaSet incarnation with its current (or last) revision."""

    revision: int
    change_cause: str | None
    images: tuple[str, ...]
    replica_set: str
    created_seq: int
    created_at: int
    pruned_seq: int | None
    caused_by: Cause | None
    pruned_because: dict | None
    previous_revisions: tuple[int, ...]
    template: dict
    exists: bool
    revision_kind: str = "ReplicaSet"
    labels: dict = attrs.field(factory=dict)

    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "revision": self.revision,
            "changeCause": self.change_cause,
            "images": list(self.images),
            ("replicaSet" if self.revision_kind == "ReplicaSet" else "controllerRevision"): self.replica_set,
            "createdSeq": self.created_seq,
            "createdAt": rfc3339(self.created_at),
            "prunedSeq": self.pruned_seq,
        }
        if self.caused_by is not None:
            out["causedBy"] = self.caused_by.to_json()
        if self.pruned_because is not None:
            out["prunedBecause"] = dict(self.pruned_because)
        if self.previous_revisions:
            out["previousRevisions"] = list(self.previous_revisions)
        return out


def revisions(state: HistoryState, include_pruned: bool = False) -> list[Revision]:
    """The workload's revisions as of `state.seq`, by revision number.

    Without `include_pruned`: what kubectl lists, the ReplicaSets that exist and the Deployment
    controls, one per revision number (the last in name order wins, as kubectl's map does; the
    list is by name, the API server's order). With it: also every ReplicaSet the Deployment
    controlled and that is gone.
    """
    dep = state.deployment
    if dep is None:
        return []
    uid = dep["metadata"].get("uid")
    rows: list[Revision] = []
    existing: dict[int, Revision] = {}
    for rec in sorted(state.records, key=lambda r: (r.name, r.created_seq)):
        if rec.owner_uid != uid or rec.revision is None:
            continue
        row = Revision(rec.revision, rec.change_cause, tuple(images_of(rec.template)), rec.name, rec.created_seq,
                       rec.created_at, rec.pruned_seq, rec.caused_by, rec.pruned_because, rec.previous,
                       rec.template, rec.removed_seq is None, state.workload.revision_kind, rec.labels)
        if row.exists:
            existing[row.revision] = row
        elif include_pruned:
            rows.append(row)
    rows += existing.values()
    return sorted(rows, key=lambda r: (r.revision, r.created_seq))


# --- answering from the log through the object index --------------------------------------------


def _changes(txn: Txn, prefix: bytes, exact: bool = False) -> Iterator[tuple[bytes, int]]:
    """(object key, seq) of every change to an object whose key is `prefix` (exact) or starts with it."""
    start = prefix + SEP if exact else prefix
    for k, _v in txn.scan("versions", start, prefix_end(start)):
        k = bytes(k)
        yield k[: -(len(SEP) + 8)], from_u64(k[-8:])


def relevant_seqs(txn: Txn, namespace: str, name: str, seq: int, kind: str = "Deployment") -> list[int]:
    """The seqs (<= `seq`) of every change to the workload or to one of its revisions."""
    state = initial(namespace, name, kind)
    dkey = state.deployment_key
    seqs = {s for _k, s in _changes(txn, dkey, exact=True) if s <= seq}
    rs_keys: set[bytes] = set()
    for okey, s in _changes(txn, state.rs_prefix + f"{name}-".encode()):
        rs_keys.add(okey)
        if s <= seq:
            seqs.add(s)
    current = eventlog.get_object(txn, dkey)
    uid = (current or {}).get("metadata", {}).get("uid")
    if uid:
        for okey in eventlog.dependents(txn, uid):
            if okey.startswith(state.rs_prefix) and okey not in rs_keys:
                seqs.update(s for _k, s in _changes(txn, okey, exact=True) if s <= seq)
    return sorted(seqs)


def history_at(txn: Txn, namespace: str, name: str, seq: int, kind: str = "Deployment") -> HistoryState:
    """The fold of the workload's own entries up to `seq`, read through the object index."""
    entries = (eventlog.read_entry(txn, s) for s in relevant_seqs(txn, namespace, name, seq, kind))
    state = fold((e for e in entries if e is not None), initial(namespace, name, kind))
    if state.seq < seq:
        state = attrs.evolve(state, seq=seq)
    return state


def history_full(txn: Txn, namespace: str, name: str, seq: int, kind: str = "Deployment") -> HistoryState:
    """The same answer from a fold of every entry up to `seq` (the reference `history_at` must match)."""
    state = fold(eventlog.scan_entries(txn, 1, seq), initial(namespace, name, kind))
    if state.seq < seq:
        state = attrs.evolve(state, seq=seq)
    return state


__all__ = [
    "Cause", "HistoryState", "NAME", "ReplicaSetRecord", "Revision", "WORKLOADS", "Workload", "controller_revision_number",
    "fold", "history_at", "history_full", "images_of", "initial", "parse_revision", "relevant_seqs", "revision_template",
    "revisions", "step", "template_key", "templates_equal", "without_hash",
]
