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

Not kept here: the time-based part of `QuotaV1Pod` (a pod past its deletion grace period stops
charging); pods being deleted charge until they are gone.
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


def _bucket(resource: str, group: str, obj: dict) -> str:
    return pod_bucket(obj) if (group, resource) == ("", "pods") else PLAIN


def _unchanged_pod(prev: dict, new: dict) -> bool:
    terminal = ("Succeeded", "Failed")
    return (prev.get("spec") == new.get("spec")
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


def namespace_usage(txn, namespace: str, scopes: Iterable[str] = ()) -> dict[str, Fraction]:
    """The namespace's usage as a quota with `scopes` sees it."""
    total: dict[str, Fraction] = {}
    nsb = namespace.encode() + SEP
    for b in buckets_for(scopes):
        total = add(total, decode(txn.get(TABLE, nsb + b.encode())))
    return total
