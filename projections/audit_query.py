"""Which entries an audit question is about, found through the indexes rather than a scan.

The log's indexes already answer the common audit questions: `idx_obj` (object key + seq) gives
every entry naming one object, or one collection when only a resource (and namespace) is asked;
`idx_user` (user + seq, the impersonating sender too) every entry of one user; `idx_time` turns a
time window into a seq range, which bounds both index scans. Only the remaining filters (verb,
group, outcome, reads/writes) look at the entries found, so a question about one object or one user
costs its own entries whatever the length of the log. With no user and no resource the window is
scanned in order (a question about everything is the log itself).
"""

from __future__ import annotations

import heapq
from typing import Iterator

import attrs

from engine.log import eventlog
from engine.log.eventlog import SEP, from_u64, u64
from engine.log.kv import Txn, prefix_end
from engine.records import READ_VERBS, WRITE_VERBS, Admitted, Conflicted, Denied, LogEntry
from reducers.keys import collection_prefix, object_key

_REASONS = {200: "ok", 201: "created", 400: "badrequest", 401: "unauthorized", 403: "forbidden", 404: "notfound",
            405: "methodnotallowed", 409: "conflict", 410: "gone", 422: "invalid", 429: "toomanyrequests", 500: "internalerror"}


@attrs.frozen
class Query:
    user: str | None = None
    group: str | None = None  # a user group (`--group system:serviceaccounts`)
    verb: str | None = None
    api_group: str | None = None  # with resource: the resolved API group
    resource: str | None = None  # plural
    subresource: str | None = None
    namespace: str | None = None
    name: str | None = None
    outcome: str | None = None  # allowed|denied|conflicted|<code>|<reason>
    since: int | None = None  # microseconds
    until: int | None = None
    reads: bool = False
    writes: bool = False


def entry_name(e: LogEntry) -> str:
    """The object's name: from the URL, else decided (generateName), else the created body."""
    r = e.request
    if r.name:
        return r.name
    if isinstance(e.outcome, Admitted) and e.outcome.decided.get("name"):
        return e.outcome.decided["name"]
    if r.verb == "create" and isinstance(r.body, dict):
        return (r.body.get("metadata") or {}).get("name", "") or ""
    return ""


def target_resource(e: LogEntry) -> tuple[str, str]:
    """(group, resource) an entry is about; `ktape secrets forget` is about the secret it shreds."""
    r = e.request
    if (r.group, r.resource) == ("kubetape.io", "datakeys"):
        return "", (r.body.get("resource", "secrets") if isinstance(r.body, dict) else "secrets")
    return r.group, r.resource


def seq_window(txn: Txn, q: Query) -> tuple[int, int]:
    head = eventlog.read_head(txn).seq
    lo = eventlog.seq_at_time(txn, q.since - 1) + 1 if q.since is not None else 1
    hi = eventlog.seq_at_time(txn, q.until) if q.until is not None else head
    return max(lo, 1), min(hi, head)


def _index_seqs(txn: Txn, table: str, prefix: bytes, lo: int, hi: int, reverse: bool = False) -> Iterator[int]:
    n = len(prefix)
    for k, _ in txn.scan(table, prefix + u64(lo), prefix + u64(hi + 1), reverse=reverse):
        yield from_u64(bytes(k[n:]))


def _collection_seqs(txn: Txn, prefix: bytes, lo: int, hi: int, reverse: bool = False) -> Iterator[int]:
    """Seqs of every entry naming an object under `prefix` (each key's run merged in seq order)."""
    runs: list[list[int]] = []
    cur_key, cur = None, []
    for k, _ in txn.scan("idx_obj", prefix, prefix_end(prefix)):
        k = bytes(k)
        okey, seq = k[:-(len(SEP) + 8)], from_u64(k[-8:])
        if okey != cur_key:
            if cur:
                runs.append(cur)
            cur_key, cur = okey, []
        if lo <= seq <= hi:
            cur.append(seq)
    if cur:
        runs.append(cur)
    if reverse:
        return heapq.merge(*(r[::-1] for r in runs), reverse=True)
    return heapq.merge(*runs)


def candidate_seqs(txn: Txn, q: Query, reverse: bool = False) -> Iterator[int]:
    """Seqs that may match, in order (newest first when `reverse`): from an index when the query
    names a user or a resource, else the window's seqs."""
    lo, hi = seq_window(txn, q)
    if lo > hi:
        return iter(())
    by_obj: Iterator[int] | None = None
    if q.resource is not None:
        g = q.api_group or ""
        if q.name and q.namespace is not None:
            by_obj = _index_seqs(txn, "idx_obj", object_key(g, q.resource, q.namespace, q.name) + SEP, lo, hi, reverse)
        else:
            by_obj = _collection_seqs(txn, collection_prefix(g, q.resource, q.namespace), lo, hi, reverse)
    by_user = _index_seqs(txn, "idx_user", q.user.encode() + SEP, lo, hi, reverse) if q.user else None
    if by_obj is not None and by_user is not None:
        users = set(by_user)
        return (s for s in by_obj if s in users)
    if by_obj is not None:
        return by_obj
    if by_user is not None:
        return by_user
    return iter(range(hi, lo - 1, -1) if reverse else range(lo, hi + 1))


def matches(e: LogEntry, q: Query) -> bool:
    r = e.request
    if q.user and q.user not in (r.user, r.impersonator):
        return False
    if q.group and q.group not in r.groups:
        return False
    if q.verb and r.verb != q.verb:
        return False
    if q.resource is not None and target_resource(e) != ((q.api_group or ""), q.resource):
        return False
    if q.subresource is not None and r.subresource != q.subresource:
        return False
    if q.namespace is not None and r.namespace != q.namespace:
        return False
    if q.name and entry_name(e) != q.name:
        return False
    if q.reads and r.verb not in READ_VERBS:
        return False
    if q.writes and r.verb not in WRITE_VERBS:
        return False
    if q.outcome and not outcome_matches(e, q.outcome):
        return False
    if q.since is not None and e.at < q.since:
        return False
    if q.until is not None and e.at > q.until:
        return False
    return True


def outcome_matches(e: LogEntry, want: str) -> bool:
    w = want.lower()
    o = e.outcome
    kind = type(o).__name__.lower()
    if w == kind or w == str(e.code) or w == _REASONS.get(e.code):
        return True
    if w in ("denied", "failure", "failed"):
        return isinstance(o, (Denied, Conflicted))
    if w in ("allowed", "ok", "success"):
        return isinstance(o, Admitted)
    if w in ("forbidden",):
        return e.code == 403
    if len(w) == 3 and w.endswith("xx") and w[0].isdigit():
        return str(e.code)[0] == w[0]
    return False


def iter_matches(txn: Txn, q: Query, reverse: bool = False) -> Iterator[LogEntry]:
    """The matching entries, oldest first (newest first when `reverse`: `--tail` stops early)."""
    for s in candidate_seqs(txn, q, reverse):
        e = eventlog.read_entry(txn, s)
        if e is not None and matches(e, q):
            yield e


def select(txn: Txn, q: Query, limit: int | None = None) -> list[LogEntry]:
    """The matching entries in seq order (the last `limit` when given, read newest first)."""
    if not limit:
        return list(iter_matches(txn, q))
    out: list[LogEntry] = []
    for e in iter_matches(txn, q, reverse=True):
        out.append(e)
        if len(out) >= limit:
            break
    return out[::-1]
