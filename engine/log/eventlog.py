"""The event log over a store: entries, hash chain, indexes and materialized state in one txn.

Tables (see kv.TABLES):
- `log`       seq (u64 BE) -> canonical entry bytes; gap-free from 1.
- `meta`      `head` -> {seq, digest, at}; the chain's tip, checked on open.
- `objects`   object key -> canonical object bytes: current state, so a `get` costs one read.
- `versions`  object key + seq -> `S`+object (snapshot), `D` (deleted) or `` (replay this entry):
              every change of an object, with a snapshot at least every SNAPSHOT_EVERY changes,
              so an object's state at any seq costs a seek and a handful of reduces.
- `idx_time`  time (u64 BE) -> first seq at that time (one row per distinct time).
- `idx_obj`   object key + seq -> ``: every entry naming an object (reads and denials too).
- `idx_user`  user + seq -> `` (and the impersonating sender + seq when `--as` was used).
- `owners`    owner uid + object key -> ``: dependents, for the garbage collector.
- `idx_node`  spec.nodeName + object key -> the pod's scheduling facts (`node_row`): every pod by
              the node it is bound to (unbound pods under the empty name), for the scheduler and
              the kubelets, so a pass costs the pods of a node, not every pod.
- `idx_usage` namespace + quota bucket -> summed quota usage of the objects there
              (`engine.quota.index`), so quota admission and the quota controller read totals.
- `timers`    due time + actor + key -> ``: work actors asked to be woken for.
- `idx_alloc` `ip`/`np`/`lb` + NUL + cluster IP / node port (u16 BE) / load-balancer IP -> the
              Service's object key: what the Service allocators hold (`reducers.services`), so
              an allocation checks a value with one lookup.

Everything but `log` is derived: `verify` and `rebuild` recompute it from the log alone.
"""

from __future__ import annotations

import struct
from typing import Iterator

from engine.codec import decode_entry, encode_entry, entry_digest, pack, unpack
from engine.log.kv import StoreError, Txn, prefix_end
from engine.quota import index as _usage
from engine.records import GENESIS_DIGEST, LogEntry
from reducers.keys import collection_prefix, object_key, split_key  # noqa: F401  (re-exported)
from reducers.services import alloc_rows

SNAPSHOT_EVERY = 16
SEP = b"\x00"
_U64 = struct.Struct(">Q")


def u64(n: int) -> bytes:
    return _U64.pack(n)


def from_u64(b: bytes) -> int:
    return _U64.unpack(b)[0]


class Head:
    __slots__ = ("seq", "digest", "at")

    def __init__(self, seq: int, digest: str, at: int):
        self.seq, self.digest, self.at = seq, digest, at


def read_head(txn: Txn) -> Head:
    raw = txn.get("meta", b"head")
    if raw is None:
        return Head(0, GENESIS_DIGEST, 0)
    d = unpack(raw)
    return Head(d["seq"], d["digest"], d["at"])


def write_head(txn: Txn, head: Head) -> None:
    txn.put("meta", b"head", pack({"seq": head.seq, "digest": head.digest, "at": head.at}))


def append(txn: Txn, entry: LogEntry, key: bytes | None, prev_obj: dict | None, new_obj: dict | None, head: Head,
           new_packed: bytes | None = None) -> Head:
    """Write one entry with its indexes and materialized changes; return the new head.

    `key` names the object the entry is about (None for clock records and the like); `new_obj`
    is the object after the entry when `entry.changed`, None when the entry deleted it.
    """
    if entry.seq != head.seq + 1:
        raise StoreError(f"append out of order: head is {head.seq}, entry is {entry.seq}")
    if entry.prev_digest != head.digest:
        raise StoreError(f"append breaks the chain at seq {entry.seq}")
    data = encode_entry(entry)
    seq_b = u64(entry.seq)
    txn.put("log", seq_b, data, append=True)
    if entry.at != head.at or head.seq == 0:
        txn.put("idx_time", u64(entry.at), seq_b)
    txn.put("idx_user", entry.request.user.encode() + SEP + seq_b, b"")
    if entry.request.impersonator:  # the real sender answers for what it did as someone else
        txn.put("idx_user", entry.request.impersonator.encode() + SEP + seq_b, b"")
    if key is not None:
        txn.put("idx_obj", key + SEP + seq_b, b"")
        if entry.changed:
            materialize(txn, entry.seq, key, prev_obj, new_obj, new_packed)
    new_head = Head(entry.seq, entry_digest(data), entry.at)
    write_head(txn, new_head)
    return new_head


def materialize(txn: Txn, seq: int, key: bytes, prev_obj: dict | None, new_obj: dict | None,
                new_packed: bytes | None = None) -> None:
    """Apply one object change to current state, version history and the owner index."""
    if new_obj is None:
        txn.delete("objects", key)
        txn.put("versions", key + SEP + u64(seq), b"D")
    else:
        packed = new_packed if new_packed is not None else pack(new_obj)
        txn.put("objects", key, packed)
        txn.put("versions", key + SEP + u64(seq), b"S" + packed if _needs_snapshot(txn, key) else b"")
    old_owners = _owner_uids(prev_obj)
    new_owners = _owner_uids(new_obj)
    for uid in old_owners - new_owners:
        txn.delete("owners", uid.encode() + SEP + key)
    for uid in new_owners - old_owners:
        txn.put("owners", uid.encode() + SEP + key, b"")
    _usage.apply(lambda k: txn.get(_usage.TABLE, k), lambda k, v: txn.put(_usage.TABLE, k, v),
                 lambda k: txn.delete(_usage.TABLE, k), key, prev_obj, new_obj)
    if key.startswith(SERVICE_PREFIX):
        update_alloc(txn, key, prev_obj, new_obj)
    if key.startswith(POD_PREFIX):
        old_row = node_row(key, prev_obj)
        new_row = node_row(key, new_obj)
        if old_row != new_row:
            if old_row is not None and (new_row is None or new_row[0] != old_row[0]):
                txn.delete("idx_node", old_row[0])
            if new_row is not None:
                txn.put("idx_node", new_row[0], new_row[1])


def _needs_snapshot(txn: Txn, key: bytes) -> bool:
    prefix = key + SEP
    n = 0
    for _k, v in txn.scan("versions", prefix, prefix_end(prefix), reverse=True):
        if v[:1] in (b"S", b"D"):
            return False
        n += 1
        if n >= SNAPSHOT_EVERY - 1:
            return True
    return True


def _owner_uids(obj: dict | None) -> set[str]:
    if not obj:
        return set()
    refs = obj.get("metadata", {}).get("ownerReferences") or ()
    return {r["uid"] for r in refs if isinstance(r, dict) and r.get("uid")}


POD_PREFIX = collection_prefix("", "pods", None)
SERVICE_PREFIX = collection_prefix("", "services", None)


def update_alloc(txn, key: bytes, prev_obj: dict | None, new_obj: dict | None) -> None:
    """Move a Service's `idx_alloc` rows from what it held to what it holds now."""
    old, new = alloc_rows(prev_obj), alloc_rows(new_obj)
    for row in old - new:
        if txn.get("idx_alloc", row) == key:
            txn.delete("idx_alloc", row)
    for row in new - old:
        txn.put("idx_alloc", row, key)
_TERMINAL = ("Succeeded", "Failed")


def node_row(key: bytes, pod: dict | None) -> tuple[bytes, bytes] | None:
    """The `idx_node` row of a pod: (spec.nodeName + SEP + pod key, facts), or None (no pod).

    The facts are the pod as far as scheduling sees it, in the shape of a pod, so the scheduler's
    own functions read them: per container its resource requests and its ports with a hostPort,
    per init container its requests and restartPolicy, the overhead and priority, and the phase
    once it is terminal. Pods of one template share the same bytes. Status writes that leave these
    unchanged leave the row as it was."""
    if not isinstance(pod, dict):
        return None
    spec = pod.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    node = spec.get("nodeName")
    facts: dict = {}
    containers = []
    for c in spec.get("containers") or ():
        if not isinstance(c, dict):
            continue
        slim: dict = {}
        requests = (c.get("resources") or {}).get("requests")
        if requests:
            slim["resources"] = {"requests": requests}
        ports = [p for p in c.get("ports") or () if isinstance(p, dict) and p.get("hostPort")]
        if ports:
            slim["ports"] = ports
        containers.append(slim)
    facts["containers"] = containers
    inits = []
    for c in spec.get("initContainers") or ():
        if not isinstance(c, dict):
            continue
        slim = {}
        requests = (c.get("resources") or {}).get("requests")
        if requests:
            slim["resources"] = {"requests": requests}
        if c.get("restartPolicy"):
            slim["restartPolicy"] = c["restartPolicy"]
        inits.append(slim)
    if inits:
        facts["initContainers"] = inits
    for field in ("overhead", "priority"):
        if spec.get(field):
            facts[field] = spec[field]
    row: dict = {"spec": facts}
    phase = (pod.get("status") or {}).get("phase")
    if phase in _TERMINAL:
        row["status"] = {"phase": phase}
    return (node if isinstance(node, str) else "").encode() + SEP + key, pack(row)


def pods_on_node(txn: Txn, node: str) -> Iterator[tuple[bytes, bytes]]:
    """(pod key, facts) of every pod whose spec.nodeName is `node` ("" for unbound pods), by key."""
    prefix = node.encode() + SEP
    n = len(prefix)
    for k, v in txn.scan("idx_node", prefix, prefix_end(prefix)):
        yield bytes(k[n:]), bytes(v)


def scan_node_index(txn: Txn) -> Iterator[tuple[bytes, bytes]]:
    """Every (node name + SEP + pod key, facts) row, bound pods grouped by node."""
    for k, v in txn.scan("idx_node"):
        yield k, v


def read_entry(txn: Txn, seq: int) -> LogEntry | None:
    raw = txn.get("log", u64(seq))
    return None if raw is None else decode_entry(raw)


def scan_entries(txn: Txn, start: int = 1, stop: int | None = None) -> Iterator[LogEntry]:
    for _k, v in txn.scan("log", u64(start), None if stop is None else u64(stop + 1)):
        yield decode_entry(bytes(v))


def scan_raw(txn: Txn, start: int = 1, stop: int | None = None) -> Iterator[tuple[int, bytes]]:
    for k, v in txn.scan("log", u64(start), None if stop is None else u64(stop + 1)):
        yield from_u64(k), bytes(v)


def get_object(txn: Txn, key: bytes) -> dict | None:
    raw = txn.get("objects", key)
    if raw is None:
        return None
    obj = unpack(raw)
    return _unseal(txn, obj) if "$sealed" in obj else obj


def scan_objects(txn: Txn, prefix: bytes) -> Iterator[tuple[bytes, dict]]:
    for k, v in txn.scan("objects", prefix, prefix_end(prefix)):
        obj = unpack(v)
        yield bytes(k), (_unseal(txn, obj) if "$sealed" in obj else obj)


def _unseal(txn: Txn, obj: dict) -> dict:
    """An object stored encrypted (engine/crypto/seal.py), read with the store's keyring."""
    from engine.crypto.seal import unseal_value

    return unseal_value(txn, obj)


def dependents(txn: Txn, owner_uid: str) -> list[bytes]:
    prefix = owner_uid.encode() + SEP
    return [bytes(k[len(prefix):]) for k, _ in txn.scan("owners", prefix, prefix_end(prefix))]


def seq_at_time(txn: Txn, at: int) -> int:
    """The last seq whose time is <= `at` (0 when the log starts later)."""
    for k, _v in txn.scan("idx_time", b"", u64(at + 1), reverse=True):
        nxt = next(iter(txn.scan("idx_time", u64(from_u64(k) + 1))), None)
        if nxt is None:
            return read_head(txn).seq
        return from_u64(nxt[1]) - 1
    return 0


def seqs_for_object(txn: Txn, key: bytes) -> list[int]:
    prefix = key + SEP
    return [from_u64(k[len(prefix):]) for k, _ in txn.scan("idx_obj", prefix, prefix_end(prefix))]


def seqs_for_user(txn: Txn, user: str) -> list[int]:
    prefix = user.encode() + SEP
    return [from_u64(k[len(prefix):]) for k, _ in txn.scan("idx_user", prefix, prefix_end(prefix))]
