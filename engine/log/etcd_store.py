"""The log on etcd: the entries live in etcd, everything derived is a local cache.

Layout under a prefix (default `/ktape`): `<prefix>/log/<seq as 16 hex digits>` -> the canonical
entry bytes, exactly the bytes the LMDB store keeps in its `log` table. Keys are fixed-width
big-endian hex, so etcd's byte order is seq order, and each is written once.

Appending: the local cache (an LMDB folder or a MemoryStore) runs the request path in its own
write transaction as usual; the entries it appends are collected and, at commit, sent to etcd
as ONE transaction whose compares require every new seq key to be still free (create_revision
== 0) and the entry before them to be the one this process saw (its create_revision), so the log
stays gap-free and chained with several writers. Only when etcd says yes does the cache commit.
When another writer won the seq, the cache transaction is dropped, the winner's entries are
folded into the cache (the same checks as `ktape import`: canonical bytes, chain, reducers'
object digests) and `Conflict` is raised: `Cluster` decides the request again against the state
that won. A failure whose outcome is unknown (a timeout, a leader change, a member dying
mid-request) is resolved by sending the identical transaction again (any endpoint) until etcd
gives a definite answer: either it applies, or its compare fails and this process's writer key
(`<prefix>/writers/<random id>`, set to the last seq in the same transaction) says the first
attempt landed, or another writer won (a plain conflict, even when its entry has the very same
bytes: two clients sending the same request at the same moment). So an acknowledged write is in
the log exactly once, and an unacknowledged one was never half-written.

Servers (`ktape serve`, `yield_to_catch_up`) also require `<prefix>/catching-up` to be absent
in every append: a new controllers' leader holds that key while it settles a backlog, so the
others' short appends cannot keep taking the seq from its longer settle transactions.

More than etcd's `--max-txn-ops` (128) entries, or more than its request limit (1.5 MiB) of
bytes, go as several transactions in order; `Conflict.committed` then says how far the batch got.
A single entry larger than the limit is refused with Kubernetes' 413 RequestEntityTooLarge.

Reading is local: state, indexes, time travel and exports read the cache, which `sync()` brings
up to etcd's head (a range read from the cache's head seq). Opening syncs; a long-running
process syncs before it answers reads that must see other writers. A prefix holding something
that is not a kubetape log (a key that is not a seq, a gap, bytes that do not decode to the
canonical entry, a broken chain) is refused naming the first bad seq.

The client is etcd3gw (the v3 JSON gateway that etcd 3.4 serves on its client port), one
client per endpoint; this module only adds endpoint failover, which etcd3gw does not do.

Operating it: log keys are written once, but the writer keys and `<prefix>/settled` are
overwritten, and etcd keeps old revisions until compacted (kube-apiserver compacts etcd itself;
here run etcd with `--auto-compaction-retention`); the whole log counts against etcd's backend
quota (2 GiB by default), past which etcd refuses writes and so does the store, saying why.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import threading
import time
from contextlib import contextmanager
from typing import Iterator
from urllib.parse import urlsplit

from engine.codec import CodecError, decode_entry, encode_entry
from engine.errors import StatusError
from engine.log import eventlog
from engine.log.kv import Conflict, StoreError, prefix_end  # noqa: F401  (Conflict re-exported)

MAX_REQUEST_BYTES = 1_572_864  # etcd's default --max-request-bytes (1.5 MiB)
MAX_TXN_OPS = 128  # etcd's default --max-txn-ops
YIELD_PAUSE_S = 0.02  # how long a server's append waits while the controllers' leader catches up
REQUEST_OVERHEAD = 4096  # room for the compares, keys and protobuf framing of one transaction
SYNC_PAGE = 500
DEFAULT_PREFIX = "/ktape"


class Unavailable(StoreError):
    """etcd cannot be reached (or gives no definite answer) within the retry window."""


def too_large(size: int, limit: int) -> StatusError:
    """apimachinery's NewRequestEntityTooLargeError, for an entry etcd would refuse."""
    return StatusError(413, "RequestEntityTooLarge",
                       f"Request entity too large: the log entry is {size} bytes, the etcd request limit is {limit} bytes")


# --- addresses ---------------------------------------------------------------------------------

def parse_url(url: str) -> tuple[list[tuple[str, int]], str]:
    """`etcd://HOST:PORT[,HOST:PORT...][/prefix]` -> ([(host, port)...], prefix)."""
    if not url.startswith("etcd://"):
        raise StoreError(f"--store {url}: expected etcd://HOST:PORT[,HOST:PORT...][/prefix]")
    rest = url[len("etcd://"):]
    hosts, slash, path = rest.partition("/")
    prefix = ("/" + path.rstrip("/")) if slash and path.strip("/") else DEFAULT_PREFIX
    endpoints = []
    for part in hosts.split(","):
        part = part.strip()
        if not part:
            continue
        u = urlsplit("//" + part)
        try:
            port = u.port or 2379
        except ValueError:
            raise StoreError(f"--store {url}: bad port in {part!r}") from None
        if not u.hostname:
            raise StoreError(f"--store {url}: bad endpoint {part!r}")
        endpoints.append((u.hostname, port))
    if not endpoints:
        raise StoreError(f"--store {url}: no etcd endpoint given")
    return endpoints, prefix


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str | None) -> bytes:
    return base64.b64decode(s) if s else b""


class Endpoints:
    """One etcd3gw client per endpoint; a call that cannot reach one member goes to the next,
    and a member without a leader (an election in progress) is retried until `retry_for` s."""

    def __init__(self, endpoints: list[tuple[str, int]], *, timeout: float = 5.0, retry_for: float = 10.0):
        from etcd3gw.client import Etcd3Client

        self.names = [f"{h}:{p}" for h, p in endpoints]
        self.clients = [Etcd3Client(h, p, timeout=timeout, api_path="/v3/") for h, p in endpoints]
        for c in self.clients:
            # No proxy/netrc lookup from the environment on every request (requests does that per
            # call: about a third of a small request's client-side time); etcd is reached directly.
            c.session.trust_env = False
        self.current = 0
        self.retry_for = retry_for

    def call(self, path: str, payload: dict, *, retry_for: float | None = None) -> dict:
        """POST to the v3 gateway; fail over and retry on transport errors and 5xx."""
        from etcd3gw import exceptions as ex

        deadline = time.monotonic() + (self.retry_for if retry_for is None else retry_for)
        last = ""
        pause = 0.02
        while True:
            for _ in range(len(self.clients)):
                client = self.clients[self.current]
                try:
                    return client.post(client.get_url(path), data=json.dumps(payload))
                except (ex.ConnectionFailedError, ex.ConnectionTimeoutError, ex.InternalServerError) as exc:
                    last = f"{self.names[self.current]}: {_why(exc)}"
                    self.current = (self.current + 1) % len(self.clients)
                except ex.Etcd3Exception as exc:  # a definite refusal (bad request): no retry
                    raise _refusal(exc) from None
            if time.monotonic() >= deadline:
                raise Unavailable(f"etcd is unreachable at {','.join(self.names)} ({last})")
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def close(self) -> None:
        for c in self.clients:
            c.session.close()


def _why(exc: Exception) -> str:
    text = getattr(exc, "detail_text", None) or str(exc)
    try:
        return json.loads(text).get("error") or text
    except (ValueError, AttributeError):
        pass
    if "Connection refused" in text:
        return "connection refused"
    return text.splitlines()[0][:200] if text else type(exc).__name__


class _Refused(StoreError):
    def __init__(self, message: str):
        super().__init__(message)


def _refusal(exc: Exception) -> StoreError:
    return _Refused(f"etcd refused the request: {_why(exc)}")


def raw_log(url: str, *, retry_for: float = 10.0):
    """A MemoryStore holding only the `log` table as etcd has it (no checks, no fold), up to the
    first key that is not a seq: what `ktape recover` salvages a good prefix from."""
    from engine.log.memory_store import MemoryStore

    endpoints, prefix = parse_url(url)
    conn = Endpoints(endpoints, retry_for=retry_for)
    log_prefix = (prefix + "/log/").encode()
    end = prefix_end(log_prefix)
    out = MemoryStore()
    start = log_prefix
    try:
        with out.begin(write=True) as t:
            while True:
                r = conn.call("kv/range", {"key": _b64(start), "range_end": _b64(end), "limit": SYNC_PAGE})
                kvs = r.get("kvs") or []
                for kv in kvs:
                    key = _unb64(kv.get("key"))
                    tail = key[len(log_prefix):]
                    if len(tail) != 16 or tail.strip(b"0123456789abcdef"):
                        return out
                    t.put("log", eventlog.u64(int(tail, 16)), _unb64(kv.get("value")))
                if not r.get("more") or not kvs:
                    return out
                start = _unb64(kvs[-1]["key"]) + b"\x00"
    finally:
        conn.close()


# --- the store ---------------------------------------------------------------------------------

class _EtcdTxn:
    """The cache's write transaction, with appends to `log` collected for etcd (and, while this
    process leads the controllers, its `settled` marker, which then travels with them)."""

    __slots__ = ("_t", "pending", "settled")

    def __init__(self, txn, pending: list):
        self._t = txn
        self.pending = pending
        self.settled: bytes | None = None

    @property
    def keyring(self):  # encryption at rest: the cache's keys (engine/crypto)
        return getattr(self._t, "keyring", None)

    def get(self, table, key):
        return self._t.get(table, key)

    def scan(self, table, start=b"", stop=None, reverse=False):
        return self._t.scan(table, start, stop, reverse)

    def put(self, table, key, value, append=False):
        if table == "log":
            self.pending.append((eventlog.from_u64(key), bytes(value)))
        elif table == "meta" and key == b"settled":
            self.settled = bytes(value)
        self._t.put(table, key, value, append)

    def delete(self, table, key):
        if table == "log":
            raise StoreError("log entries on etcd are written once and never deleted")
        return self._t.delete(table, key)


class EtcdStore:
    """The store contract over an etcd log plus a local cache store (see the module docstring)."""

    def __init__(self, url: str, cache=None, *, cache_dir: str | None = None, read_only: bool = False,
                 timeout: float = 2.0, retry_for: float = 10.0, max_request_bytes: int = MAX_REQUEST_BYTES,
                 max_txn_ops: int = MAX_TXN_OPS):
        endpoints, self.prefix = parse_url(url)
        self.url = url
        self.read_only = read_only
        self.conn = Endpoints(endpoints, timeout=timeout, retry_for=retry_for)
        self.max_request_bytes = max_request_bytes
        self.max_entries = max_txn_ops - 3  # compares: the entry before, the catch-up key; puts: writer key, settled
        self.share_settled = False  # set while this process runs the controllers (etcd_lease)
        # Servers (engine/server/etcd_follow.py) yield the log to a controller leader that is
        # catching up: their appends also require `<prefix>/catching-up` to be absent, and the
        # leader, holding that key, appends without the compare (`exclusive`).
        self.yield_to_catch_up = False
        self.exclusive = False
        self.catch_up_key = (self.prefix + "/catching-up").encode()
        self._settled_key = (self.prefix + "/settled").encode()
        self._log_prefix = (self.prefix + "/log/").encode()
        self._writer_key = (self.prefix + "/writers/" + os.urandom(8).hex()).encode()
        self._log_end = prefix_end(self._log_prefix)
        self._lock = threading.RLock()
        self._head_rev = 0  # create_revision of the cache's head entry in etcd
        self._cache_dir = cache_dir
        if cache is None:
            cache = self._open_cache()
        self.cache = cache
        self.path = getattr(cache, "path", None)
        try:
            self._check_cache()
            with self.cache.begin() as t:
                fresh = eventlog.read_head(t).seq == 0
            if self.sync() and fresh and not read_only:
                # A new cache of an existing log: its writers settled their controllers' work;
                # replaying the whole history to this process's actors would only repeat it.
                from engine.codec import pack

                with self.cache.begin(write=True) as t:
                    t.put("meta", b"settled", pack(eventlog.read_head(t).seq))
        except BaseException:
            self.close()
            raise

    # --- keys ----------------------------------------------------------------------------------

    def key(self, seq: int) -> bytes:
        return self._log_prefix + b"%016x" % seq

    def seq_of(self, key: bytes) -> int | None:
        tail = key[len(self._log_prefix):]
        if not key.startswith(self._log_prefix) or len(tail) != 16 or tail.strip(b"0123456789abcdef"):
            return None
        return int(tail, 16)

    # --- the cache -----------------------------------------------------------------------------

    def _open_cache(self):
        if self._cache_dir is None:
            from engine.log.memory_store import MemoryStore

            return MemoryStore()
        from engine.log.lmdb_store import LmdbStore

        # The cache is derived: no fsync (a crash loses at most a tail that sync() fetches again).
        return LmdbStore(self._cache_dir, durable=False)

    def _check_cache(self) -> None:
        """A cache whose head entry is not etcd's entry at that seq is of another log: rebuild."""
        with self.cache.begin() as t:
            head = eventlog.read_head(t)
            raw = t.get("log", eventlog.u64(head.seq)) if head.seq else None
        if not head.seq:
            return
        kv = self._get(self.key(head.seq))
        if kv is not None and _unb64(kv.get("value")) == bytes(raw):
            self._head_rev = int(kv["create_revision"])
            return
        if self._cache_dir is None:
            raise StoreError(f"the local cache does not match the etcd log at {self.url} (seq {head.seq})")
        self.cache.close()
        shutil.rmtree(self._cache_dir, ignore_errors=True)
        self.cache = self._open_cache()
        self._head_rev = 0

    def _get(self, key: bytes) -> dict | None:
        r = self.conn.call("kv/range", {"key": _b64(key)})
        kvs = r.get("kvs") or []
        return kvs[0] if kvs else None

    # --- following the log ---------------------------------------------------------------------

    def sync(self) -> int:
        """Fold every entry etcd has beyond the cache's head into the cache; returns how many."""
        with self._lock:
            n = 0
            while True:
                with self.cache.begin() as t:
                    head = eventlog.read_head(t)
                r = self.conn.call("kv/range", {"key": _b64(self.key(head.seq + 1)), "range_end": _b64(self._log_end),
                                                "limit": SYNC_PAGE})
                kvs = r.get("kvs") or []
                if not kvs:
                    if head.seq:
                        self._check_not_shorter(head.seq)
                    return n
                n += self._apply(kvs)
                if not r.get("more"):
                    return n

    def _check_not_shorter(self, seq: int) -> None:
        if self._head_rev == 0:
            kv = self._get(self.key(seq))
            if kv is None:
                raise StoreError(f"the etcd log at {self.url} ends before seq {seq}, which this process holds")
            self._head_rev = int(kv["create_revision"])

    def _apply(self, kvs: list[dict]) -> int:
        from engine.log.transfer import apply_entry

        n = 0
        with self.cache.begin(write=True) as t:
            head = eventlog.read_head(t)
            for kv in kvs:
                expected = head.seq + 1
                key = _unb64(kv.get("key"))
                seq = self.seq_of(key)
                if seq is None:
                    raise StoreError(f"{self.url}: not a kubetape log: key {key!r} is not a seq (first bad seq {expected})")
                if seq != expected:
                    raise StoreError(f"{self.url}: seq {expected}: missing entry (next present is {seq})")
                raw = _unb64(kv.get("value"))
                try:
                    e = decode_entry(raw)
                except CodecError as exc:
                    raise StoreError(f"{self.url}: seq {seq}: entry does not decode: {exc}") from None
                if e.seq != seq or encode_entry(e) != raw:
                    raise StoreError(f"{self.url}: seq {seq}: not a canonical kubetape entry")
                try:
                    head = apply_entry(t, head, e)
                except ValueError as exc:
                    raise StoreError(f"{self.url}: seq {seq}: {exc}") from None
                self._head_rev = int(kv["create_revision"])
                n += 1
        return n

    @property
    def keyring(self):
        return getattr(self.cache, "keyring", None)

    @keyring.setter
    def keyring(self, kr) -> None:  # encryption at rest: read and write transactions see the keys
        self.cache.keyring = kr

    # --- the contract --------------------------------------------------------------------------

    @contextmanager
    def begin(self, write: bool = False) -> Iterator:
        if not write:
            with self._lock, self.cache.begin() as t:  # threads (leader election, follow) share the cache
                yield t
            return
        if self.read_only:
            raise StoreError("the log is open read-only")
        with self._lock:
            pending: list[tuple[int, bytes]] = []
            try:
                with self.cache.begin(write=True) as t:
                    txn = _EtcdTxn(t, pending)
                    yield txn
                    if pending:
                        self._commit(pending, txn.settled if self.share_settled else None)
            except Conflict:
                self.sync()
                raise

    def close(self) -> None:
        cache = getattr(self, "cache", None)
        if cache is not None:
            cache.close()
        if getattr(self, "_wrote", False):  # the writer key only matters while a reply is in doubt
            try:
                self.conn.call("kv/deleterange", {"key": _b64(self._writer_key)}, retry_for=1.0)
            except StoreError:
                pass  # left behind: a few bytes, harmless
        self.conn.close()

    # --- appending -----------------------------------------------------------------------------

    def shared_settled(self) -> int | None:
        """How far the controllers' leader had settled, as it last recorded in etcd."""
        from engine.codec import unpack

        kv = self._get(self._settled_key)
        return unpack(_unb64(kv.get("value"))) if kv else None

    def _commit(self, pending: list[tuple[int, bytes]], settled: bytes | None = None) -> None:
        for seq, raw in pending:
            size = len(self.key(seq)) + len(raw)
            if size + REQUEST_OVERHEAD > self.max_request_bytes:
                raise too_large(len(raw), self.max_request_bytes)
        committed = None
        chunks = list(self._chunks(pending))
        for i, chunk in enumerate(chunks):
            try:
                self._commit_chunk(chunk, settled if i == len(chunks) - 1 else None)
            except Conflict as c:
                c.committed = committed
                raise
            committed = chunk[-1][0]

    def _chunks(self, pending):
        chunk, size = [], 0
        for seq, raw in pending:
            n = len(self.key(seq)) * 2 + len(raw)
            if chunk and (len(chunk) >= self.max_entries or size + n + REQUEST_OVERHEAD > self.max_request_bytes):
                yield chunk
                chunk, size = [], 0
            chunk.append((seq, raw))
            size += n
        if chunk:
            yield chunk

    def _commit_chunk(self, chunk: list[tuple[int, bytes]], settled: bytes | None = None) -> None:
        first = chunk[0][0]
        compare = []
        if first > 1:
            compare.append({"key": _b64(self.key(first - 1)), "target": "CREATE", "result": "EQUAL",
                            "create_revision": str(self._head_rev)})
        last = chunk[-1][0]
        success = [{"request_put": {"key": _b64(self._writer_key), "value": _b64(b"%d" % last)}}]
        if settled is not None:
            success.append({"request_put": {"key": _b64(self._settled_key), "value": _b64(settled)}})
        for seq, raw in chunk:
            k = _b64(self.key(seq))
            compare.append({"key": k, "target": "CREATE", "result": "EQUAL", "create_revision": "0"})
            success.append({"request_put": {"key": k, "value": _b64(raw)}})
        failure = [{"request_range": {"key": _b64(self.key(first - 1 if first > 1 else first)),
                                      "range_end": _b64(self._log_end), "limit": 2}},
                   {"request_range": {"key": _b64(self._writer_key)}}]
        yielding = self.yield_to_catch_up and not self.exclusive
        if yielding:
            compare.append({"key": _b64(self.catch_up_key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"})
            failure.append({"request_range": {"key": _b64(self.catch_up_key)}})
        txn = {"compare": compare, "success": success, "failure": failure}
        try:
            r = self._definite(txn)
        except _Refused as exc:
            if "too large" in str(exc):
                raise too_large(sum(len(raw) for _, raw in chunk), self.max_request_bytes) from None
            raise
        self._wrote = True
        if r.get("succeeded"):
            self._head_rev = int(r["header"]["revision"])
            return
        kvs = (r.get("responses") or [{}])[0].get("response_range", {}).get("kvs") or []
        by_seq = {self.seq_of(_unb64(kv.get("key"))): kv for kv in kvs}
        marker = ((r.get("responses") or [{}, {}])[1].get("response_range", {}).get("kvs") or [{}])[0]
        if yielding and by_seq.get(first) is None and ((r.get("responses") or [{}, {}, {}])[2].get("response_range", {}).get("kvs")):
            time.sleep(YIELD_PAUSE_S)  # the controllers' leader is catching up: let it have the log a moment
            raise Conflict(first)
        if first > 1 and int((by_seq.get(first - 1) or {}).get("create_revision", -1)) != self._head_rev:
            raise StoreError(f"{self.url}: seq {first - 1} in etcd is not the entry this process holds "
                             "(the log was rewritten under it); reopen to rebuild the local cache")
        mine = by_seq.get(first)
        if mine is not None and _unb64(marker.get("value")) == b"%d" % last:
            # An earlier attempt of this very transaction landed (its reply was lost): it is ours.
            self._head_rev = int(mine["create_revision"])
            return
        if mine is None:
            nxt = min((s for s in by_seq if s is not None and s > first), default=None)
            raise StoreError(f"{self.url}: seq {first}: missing entry (next present is {nxt})")
        raise Conflict(first)

    def _definite(self, txn: dict) -> dict:
        """Send a transaction until etcd answers it; resending the identical compare-and-put is
        safe because at most one copy can pass the compares."""
        return self.conn.call("kv/txn", txn)
