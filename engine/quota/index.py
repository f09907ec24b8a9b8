"""The namespace usage totals behind quota admission and the quota controller (`idx_usage`).

Upstream's quota admission charges each admitted object to the quota's `status.used` in the same
request (a compare-and-swap on the ResourceQuota), and the controller recomputes usage by listing
the namespace. Here every entry changes one object, so the totals are kept as a derived table
written in the append transaction, like the other indexes: per namespace and *bucket*, the sum of
`usage_of` over the objects stored there. Pods are split into four buckets by the two scope
questions that can be asked of them (Terminating?, BestEffort?), so a scoped quota sums the
buckets its scopes accept; every other object lands in the plain bucket, which only unscoped
quotas see. An admission check or a controller pass therefore costs a handful of row reads,
whatever the number of objects or the length of the log, and `verify` rebuilds the table from
the log and compares it.

The time-based part of `QuotaV1Pod` (a pod past deletionTimestamp + deletionGracePeriodSeconds
stops charging, so pods stuck terminating on a lost node do not block new ones) is kept by
bucketing pods being deleted under their deadline (`del:<deadline hex>:<pod bucket>`): a reader
at time `now` counts those rows only while `now` has not passed the deadline. The quota
controller asks to be woken just after the next deadline.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Iterable

from engine.codec import pack, unpack
from engine.model.qos import BEST_EFFORT, qos_class
from engine.quota.usage import add, remove_zeros, usage_of

SEP = b"\x00"
TABLE = "idx_usage"
PLAIN = "-"
POD_BUCKETS = ("pods:NB", "pods:NX", "pods:TB", "pods:TX")  # (T)erminating / (N)ot, (B)estEffort / not (X)
SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort")


def is_terminating(pod: dict) -> bool:
    ads = (pod.get("spec") or {}).get("activeDeadlineSeconds")
    return isinstance(ads, int) and not isinstance(ads, bool) and ads >= 0


def is_best_effort(pod: dict) -> bool:
    return qos_class(pod.get("spec")) == BEST_EFFORT


def pod_bucket(pod: dict) -> str:
    return "pods:" + ("T" if is_terminating(pod) else "N") + ("B" if is_best_effort(pod) else "X")


def scope_matches_bucket(scope: str, bucket: str) -> bool:
    if not bucket.startswith("pods:"):
        return False
    term, be = bucket[5] == "T", bucket[6] == "B"
    return {"Terminating": term, "NotTerminating": not term, "BestEffort": be, "NotBestEffort": not be}.get(scope, False)


def buckets_for(scopes: Iterable[str]) -> tuple[str, ...]:
    scopes = list(scopes)
    if not scopes:
        return (PLAIN,) + POD_BUCKETS
    return tuple(b for b in POD_BUCKETS if all(scope_matches_bucket(s, b) for s in scopes))


DELETING = "del:"


def deletion_deadline(pod: dict) -> int | None:
    """deletionTimestamp + deletionGracePeriodSeconds (us), or None when the pod is not being deleted."""
    from engine.clock import parse_time

    meta = pod.get("metadata") or {}
    if not meta.get("deletionTimestamp") or meta.get("deletionGracePeriodSeconds") is None:
        return None
    try:
        return parse_time(meta["deletionTimestamp"]) + int(meta["deletionGracePeriodSeconds"]) * 1_000_000
    except (ValueError, TypeError):
        return None


def _bucket(resource: str, group: str, obj: dict) -> str:
    if (group, resource) != ("", "pods"):
        return PLAIN
    deadline = deletion_deadline(obj)
    if deadline is not None:
        return f"{DELETING}{deadline:016x}:{pod_bucket(obj)}"
    return pod_bucket(obj)


def _unchanged_pod(prev: dict, new: dict) -> bool:
    terminal = ("Succeeded", "Failed")
    pm, nm = prev.get("metadata") or {}, new.get("metadata") or {}
    return (prev.get("spec") == new.get("spec")
            and pm.get("deletionTimestamp") == nm.get("deletionTimestamp")
            and pm.get("deletionGracePeriodSeconds") == nm.get("deletionGracePeriodSeconds")
            and ((prev.get("status") or {}).get("phase") in terminal) == ((new.get("status") or {}).get("phase") in terminal))


def changes(key: bytes, prev: dict | None, new: dict | None) -> list[tuple[bytes, dict[str, Fraction]]]:
    """The (row key, usage delta) pairs one object change makes; [] for cluster-scoped objects."""
    group, resource, ns, _name = key.decode().split("\x00")
    if not ns or (prev is None and new is None):
        return []
    if prev is not None and new is not None:
        if (group, resource) == ("", "pods"):
            if _unchanged_pod(prev, new):
                return []
        elif (group, resource) not in (("", "services"), ("", "persistentvolumeclaims")):
            return []
    out: dict[bytes, dict[str, Fraction]] = {}
    nsb = ns.encode() + SEP
    if prev is not None:
        row = nsb + _bucket(resource, group, prev).encode()
        out[row] = add(out.get(row, {}), usage_of(group, resource, prev), -1)
    if new is not None:
        row = nsb + _bucket(resource, group, new).encode()
        out[row] = add(out.get(row, {}), usage_of(group, resource, new))
    return [(row, d) for row, d in ((r, remove_zeros(d)) for r, d in out.items()) if d]


def encode(totals: dict[str, Fraction]) -> bytes:
    return pack({k: str(v) for k, v in sorted(totals.items())})


def decode(raw: bytes | None) -> dict[str, Fraction]:
    if not raw:
        return {}
    return {k: Fraction(v) for k, v in unpack(bytes(raw)).items()}


def apply(get: Callable[[bytes], bytes | None], put: Callable[[bytes, bytes], None], delete: Callable[[bytes], object],
          key: bytes, prev: dict | None, new: dict | None) -> None:
    """Fold one object change into the totals through the given table accessors."""
    for row, delta in changes(key, prev, new):
        totals = remove_zeros(add(decode(get(row)), delta))
        if totals:
            put(row, encode(totals))
        else:
            delete(row)


def _deleting_rows(txn, namespace: str):
    """(deadline, pod bucket, raw totals) of the namespace's pods being deleted."""
    from engine.log.kv import prefix_end

    prefix = namespace.encode() + SEP + DELETING.encode()
    for k, v in txn.scan(TABLE, prefix, prefix_end(prefix)):
        rest = bytes(k[len(prefix):]).decode()
        deadline, _, bucket = rest.partition(":")
        yield int(deadline, 16), bucket, v


def namespace_usage(txn, namespace: str, scopes: Iterable[str] = (), now: int | None = None) -> dict[str, Fraction]:
    """The namespace's usage as a quota with `scopes` sees it at `now` (pods being deleted stop
    charging compute once `now` is past their deadline; their `count/pods` stays)."""
    total: dict[str, Fraction] = {}
    nsb = namespace.encode() + SEP
    wanted = buckets_for(scopes)
    for b in wanted:
        total = add(total, decode(txn.get(TABLE, nsb + b.encode())))
    for deadline, bucket, raw in _deleting_rows(txn, namespace):
        if bucket not in wanted:
            continue
        usage = decode(raw)
        if now is not None and now > deadline:
            usage = {k: v for k, v in usage.items() if k == "count/pods"}
        total = add(total, usage)
    return total


def next_deadline(txn, namespace: str, now: int) -> int | None:
    """The first moment after `now` at which a pod being deleted stops charging."""
    later = [d + 1 for d, _b, _v in _deleting_rows(txn, namespace) if d >= now]
    return min(later) if later else None
