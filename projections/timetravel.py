"""State as of any seq: one object, or one collection, without a full replay.

An object's history is the fold of the entries that name it (every entry changes at most one
object). The `versions` table lists those changes with a snapshot at least every 16, so the
state at seq S is: seek to the last version <= S, walk back to its snapshot, reduce forward.
"""

from __future__ import annotations

from engine.codec import unpack
from engine.log import eventlog
from engine.log.eventlog import SEP, from_u64, u64
from engine.log.kv import Txn, prefix_end
from reducers.storage import next_object


def object_at(txn: Txn, key: bytes, seq: int) -> dict | None:
    prefix = key + SEP
    pending: list[int] = []
    base: dict | None = None
    for k, v in txn.scan("versions", prefix, prefix + u64(seq + 1), reverse=True):
        s = from_u64(k[len(prefix):])
        tag = bytes(v[:1])
        if tag == b"S":
            base = unpack(bytes(v[1:]))
            break
        if tag == b"D":
            base = None
            break
        pending.append(s)
    obj = base
    for s in reversed(pending):
        entry = eventlog.read_entry(txn, s)
        obj = next_object(obj, entry)
    if obj is not None and "$sealed" in obj:  # encrypted at rest: read with the store's keys
        from engine.crypto.seal import unseal_value

        obj = unseal_value(txn, obj)
    return obj


def list_at(txn: Txn, prefix: bytes, seq: int) -> list[tuple[bytes, dict]]:
    """Every object under `prefix` that existed at `seq`, in key order."""
    out = []
    keys: list[bytes] = []
    last = None
    for k, _v in txn.scan("versions", prefix, prefix_end(prefix)):
        okey = bytes(k[: -(len(SEP) + 8)])
        if okey != last:
            keys.append(okey)
            last = okey
    for okey in keys:
        obj = object_at(txn, okey, seq)
        if obj is not None:
            out.append((okey, obj))
    return out


def first_version_seq(txn: Txn, key: bytes) -> int | None:
    prefix = key + SEP
    for k, _v in txn.scan("versions", prefix, prefix_end(prefix)):
        return from_u64(k[len(prefix):])
    return None
