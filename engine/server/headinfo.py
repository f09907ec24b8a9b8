"""`GET /ktape/head`: where this server's copy of the log stands, for comparing servers on one log.

Not a Kubernetes API (kubectl never asks for it): `{"seq", "digest", "at"}` is the head of the
hash chain (equal seq and digest: the same log), `stateDigest` a SHA-256 over the materialized
objects table (equal: the same folded state; it hashes the stored bytes, so with encryption at
rest it compares a server only with itself), `controllers` whether the controllers run in this
server (the etcd controller lease; always true on an LMDB log). Answered on the engine thread so
head and state are read in one transaction.
"""

from __future__ import annotations

import hashlib

from engine.log import eventlog


def head_status(cluster, follower=None) -> dict:
    h = hashlib.sha256()
    with cluster.store.begin() as txn:
        head = eventlog.read_head(txn)
        for k, v in txn.scan("objects"):
            h.update(len(k).to_bytes(4, "big") + bytes(k) + len(v).to_bytes(4, "big") + bytes(v))
    out = {"seq": head.seq, "digest": head.digest, "at": head.at, "stateDigest": h.hexdigest(),
           "controllers": follower is None or follower.leading}
    if follower is not None:
        out["identity"] = follower.identity
    return out
