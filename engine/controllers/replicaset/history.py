"""What the controller's own last requests did, read back from the log at the current instant.

A decide function returns requests but never sees their responses, and a create refused by the
request path changes no object, so its only trace is the recorded refusal. Upstream learns the
same facts from the create call's error and from its expectations cache; here they are read from
the log, which the runtime writes in the same transaction the next decide reads:

- `instant_floor`: the last seq before the current virtual instant. Everything this module looks
  at is newer, so its cost follows the work of this moment, not the log's length.
- `last_status_write`: the seq of this controller's latest status write to the owner at this
  instant (recorded even when it changed nothing). Outcomes after it are not yet reported.
- `refused_creates`: this controller's refused pod creates for the owner at this instant
  (a Denied create has no name, so the log indexes it under the namespace's pods collection).
- `created_by`: the pods (of those given) that `user` created after the floor, with the seqs
  that created them (adopted pods someone else made are not this controller's creations).

Because decide always reads fresh state inside the runtime's transaction, upstream's
expectations cache (pending creates/deletes with a 5-minute TTL) is not needed: a step never
sees a stale pod list, and these log reads stand in for the create results it would remember.
"""

from __future__ import annotations

import attrs

from engine.log.eventlog import SEP, from_u64, read_entry, seq_at_time, u64
from engine.log.kv import prefix_end
from engine.records import Denied
from engine.view import View
from reducers.keys import object_key

NAMESPACE_TERMINATING = "because it is being terminated"


@attrs.frozen
class Refusal:
    seq: int
    message: str
    namespace_terminating: bool


def instant_floor(view: View) -> int:
    """The last seq recorded before the current virtual time (0 at the very start)."""
    return seq_at_time(view.txn, view.now - 1) if view.now > 0 else 0


def _upto(view: View, prefix: bytes) -> bytes | None:
    """The scan bound that stops at the view's seq (the log may hold more when re-deciding)."""
    return prefix + u64(view.seq + 1) if view.seq else prefix_end(prefix)


def _reverse(view: View, table: str, prefix: bytes, floor: int):
    for k, _v in view.txn.scan(table, prefix + u64(floor + 1), _upto(view, prefix), reverse=True):
        yield from_u64(bytes(k[len(prefix):len(prefix) + 8]))


def last_status_write(view: View, owner_key: bytes, user: str, floor: int) -> int:
    """Seq of `user`'s latest status write naming the owner after `floor`, else `floor`."""
    for seq in _reverse(view, "idx_obj", owner_key + SEP, floor):
        e = read_entry(view.txn, seq)
        if e is not None and e.request.user == user and e.request.subresource == "status":
            return seq
    return floor


def refused_creates(view: View, namespace: str, owner_uid: str, user: str, floor: int) -> list[Refusal]:
    """`user`'s pod creates for the owner refused after `floor`, oldest first."""
    out = []
    for seq in _reverse(view, "idx_obj", object_key("", "pods", namespace, "") + SEP, floor):
        e = read_entry(view.txn, seq)
        if e is None or not isinstance(e.outcome, Denied):
            continue
        req = e.request
        if req.verb != "create" or req.user != user or not isinstance(req.body, dict):
            continue
        refs = (req.body.get("metadata") or {}).get("ownerReferences") or ()
        if not any(isinstance(r, dict) and r.get("uid") == owner_uid for r in refs):
            continue
        msg = e.outcome.message
        out.append(Refusal(seq, msg, NAMESPACE_TERMINATING in msg and "unable to create new content" in msg))
    return sorted(out, key=lambda r: r.seq)


def created_by(view: View, pods: list[dict], user: str, floor: int) -> list[tuple[int, dict]]:
    """(creation seq, pod) for the pods `user` created after `floor`, oldest first."""
    out = []
    for pod in pods:
        seq = creation_seq(view, pod)
        if seq > floor:
            e = read_entry(view.txn, seq)
            if e is not None and e.request.user == user and e.request.verb == "create":
                out.append((seq, pod))
    return sorted(out, key=lambda sp: sp[0])


def creation_seq(view: View, pod: dict) -> int:
    """The seq that created this incarnation of the pod (0 if unknown)."""
    meta = pod["metadata"]
    prefix = object_key("", "pods", meta.get("namespace", ""), meta["name"]) + SEP
    first = 0
    for k, v in view.txn.scan("versions", prefix, _upto(view, prefix), reverse=True):
        if bytes(v[:1]) == b"D":
            break
        first = from_u64(bytes(k[len(prefix):]))
    return first
