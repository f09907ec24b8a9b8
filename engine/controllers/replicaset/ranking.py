"""Which pods a scale-down deletes first: upstream's `ActivePodsWithRanks` (controller_utils.go).

`less(a, b)` is true when `a` should be deleted before `b`; the first rule that tells them apart
decides (k8s-semantics.md section 3), with PodDeletionCost and LogarithmicScaleDown on, as they
are by default since 1.22:

1. unassigned (no nodeName) before assigned
2. phase Pending < Unknown < Running
3. not ready before ready
4. lower `controller.kubernetes.io/pod-deletion-cost` first (int32 annotation, invalid -> 0)
5. higher rank (more active related pods on the same node) first
6. both ready: more recently ready first, compared by floor(log2(now - readyTime in ns)) buckets,
   equal buckets -> smaller UID first (a zero ready time sorts first)
7. higher max container restart count first (regular containers, then restartable init ones)
8. newer creationTimestamp first, by the same log2 buckets with the UID tiebreak

Upstream sorts with Go's unstable sort.Sort; here the input is ordered by name first and Python's
stable sort keeps equal pods in that order, so the choice is deterministic.
"""

from __future__ import annotations

import functools
import math
from typing import Iterable, Sequence

from engine.clock import parse_time
from engine.model.pods import is_active, is_ready, ready_condition

POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
_INT32 = (-(2**31), 2**31 - 1)


def deletion_cost(pod: dict) -> int:
    """`GetDeletionCostFromPodAnnotations`: the int32 annotation, 0 when absent or invalid."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(POD_DELETION_COST)
    if value is None:
        return 0
    value = str(value)
    # values that start with a plus sign ("+10") or leading zeros ("008") are not valid
    if not value or not (value[0] == "-" or value == "0" or "1" <= value[0] <= "9"):
        return 0
    body = value[1:] if value[0] == "-" else value
    if not body.isascii() or not body.isdigit():
        return 0
    n = int(value)
    return n if _INT32[0] <= n <= _INT32[1] else 0


def _time(text) -> int | None:
    """Microseconds, or None for the zero time."""
    if not text:
        return None
    try:
        return parse_time(str(text))
    except ValueError:
        return None


def ready_time(pod: dict) -> int | None:
    """`podReadyTime`: the Ready condition's lastTransitionTime when ready, else the zero time."""
    if not is_ready(pod):
        return None
    c = ready_condition(pod)
    return _time(c.get("lastTransitionTime")) if c else None


def creation_time(pod: dict) -> int | None:
    return _time((pod.get("metadata") or {}).get("creationTimestamp"))


def max_container_restarts(pod: dict) -> tuple[int, int]:
    """(regular, sidecar) maximum restart counts, as upstream's `maxContainerRestarts`."""
    status = pod.get("status") or {}
    regular = max([int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or ()] + [0])
    sidecars = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or () if c.get("restartPolicy") == "Always"}
    sidecar = max([int(c.get("restartCount") or 0) for c in status.get("initContainerStatuses") or ()
                   if c.get("name") in sidecars] + [0])
    return regular, sidecar


def logarithmic_rank_diff(t1: int, t2: int, now: int) -> int:
    """`logarithmicRankDiff`: floor(log2(age in ns)) of t1 minus that of t2 (-1 for no age)."""
    def bucket(t: int) -> int:
        d = (now - t) * 1000  # microseconds -> Go's nanosecond Duration
        return int(math.log2(float(d))) if d > 0 else -1

    return bucket(t1) - bucket(t2)


def _after_or_zero(t1: int | None, t2: int | None) -> bool:
    """`afterOrZero`: t1 after t2, where a zero time counts as after any other."""
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _uid(pod: dict) -> str:
    return str((pod.get("metadata") or {}).get("uid") or "")


def _node(pod: dict) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


def _phase(pod: dict) -> int:
    return PHASE_ORDINAL.get((pod.get("status") or {}).get("phase"), 0)


def _newer(t1: int | None, t2: int | None, a: dict, b: dict, now: int | None) -> bool:
    """Rules 6 and 8 with LogarithmicScaleDown: the later time first, bucketed by log2 of age."""
    if not now or t1 is None or t2 is None:
        return _after_or_zero(t1, t2)
    diff = logarithmic_rank_diff(t1, t2, now)
    if diff == 0:
        return _uid(a) < _uid(b)
    return diff < 0


def less(a: dict, b: dict, rank_a: int = 0, rank_b: int = 0, now: int | None = None) -> bool:
    """True when `a` should be deleted before `b` (`ActivePodsWithRanks.Less`)."""
    na, nb = _node(a), _node(b)
    if na != nb and (not na or not nb):  # 1
        return not na
    pa, pb = _phase(a), _phase(b)
    if pa != pb:  # 2
        return pa < pb
    ra, rb = is_ready(a), is_ready(b)
    if ra != rb:  # 3
        return not ra
    ca, cb = deletion_cost(a), deletion_cost(b)
    if ca != cb:  # 4
        return ca < cb
    if rank_a != rank_b:  # 5
        return rank_a > rank_b
    if ra and rb:  # 6
        ta, tb = ready_time(a), ready_time(b)
        if ta != tb:
            return _newer(ta, tb, a, b, now)
    restarts_a, restarts_b = max_container_restarts(a), max_container_restarts(b)
    if restarts_a != restarts_b:  # 7 (regular counts first, then sidecars)
        return restarts_a > restarts_b
    ta, tb = creation_time(a), creation_time(b)
    if ta != tb:  # 8
        return _newer(ta, tb, a, b, now)
    return False


def ranks_on_same_node(pods: Sequence[dict], related: Iterable[dict]) -> list[int]:
    """`getPodsRankedByRelatedPodsOnSameNode`: active related pods sharing each pod's node."""
    on_node: dict[str, int] = {}
    for p in related:
        if is_active(p):
            on_node[_node(p)] = on_node.get(_node(p), 0) + 1
    return [on_node.get(_node(p), 0) for p in pods]


def rank_for_deletion(pods: Sequence[dict], related: Iterable[dict], now: int | None) -> list[dict]:
    """The pods, the ones to delete first at the front."""
    ordered = sorted(pods, key=lambda p: (p["metadata"].get("namespace", ""), p["metadata"]["name"]))
    ranks = ranks_on_same_node(ordered, related)
    pairs = list(zip(ordered, ranks))

    def cmp(x, y) -> int:
        if less(x[0], y[0], x[1], y[1], now):
            return -1
        if less(y[0], x[0], y[1], x[1], now):
            return 1
        return 0

    return [p for p, _r in sorted(pairs, key=functools.cmp_to_key(cmp))]


def pods_to_delete(pods: Sequence[dict], related: Iterable[dict], diff: int, now: int | None) -> list[dict]:
    """`getPodsToDelete`: all of them when diff covers them, else the first `diff` by rank."""
    if diff >= len(pods):
        return sorted(pods, key=lambda p: p["metadata"]["name"])
    return rank_for_deletion(pods, related, now)[:diff]
