"""The HorizontalPodAutoscaler actor: a sync of each HPA every 15 s of virtual time.

Upstream's HPA controller puts every HPA key back on its queue with a fixed 15 s delay
(`--horizontal-pod-autoscaler-sync-period`, `NewDefaultHPARateLimiter`): the first sync comes
15 s after the HPA appears and then one every 15 s, whatever else changes (its own status writes,
the target, the pods). Here the schedule is a function of the object: an HPA syncs at
`creationTimestamp + k * 15 s` (k >= 1). `decide` at any other moment only asks to be woken at
the next sync point (`requeue_at`); at a sync point it runs one sync (`reconcile.Sync`) and asks
for the next. So a second call at the same sync moment cannot happen through `keys_for`, which
offers the key only when an HPA is created (a created HPA has nothing to do until its first
sync); everything after that runs on the timer.

Key: the HPA's object key (O(1) from the entry).
"""

from __future__ import annotations

from typing import Iterable

from engine.clock import parse_time
from engine.controllers.hpa.reconcile import Sync
from engine.controllers.hpa.status import GROUP, RESOURCE
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key, split_key

SYNC_PERIOD_US = 15 * 1_000_000  # --horizontal-pod-autoscaler-sync-period


def hpa_key(namespace: str, name: str) -> bytes:
    return object_key(GROUP, RESOURCE, namespace, name)


def sync_schedule(created_us: int, now: int) -> tuple[bool, int]:
    """(is `now` a sync point, the next sync point after `now`)."""
    elapsed = now - created_us
    if elapsed < SYNC_PERIOD_US:
        return False, created_us + SYNC_PERIOD_US
    due = elapsed % SYNC_PERIOD_US == 0
    return due, created_us + (elapsed // SYNC_PERIOD_US + 1) * SYNC_PERIOD_US


class HorizontalPodAutoscalerController:
    """`horizontal-pod-autoscaler` (kube-controller-manager's `horizontalpodautoscaling` loop)."""

    name = "horizontal-pod-autoscaler"
    identity = controller_identity("horizontal-pod-autoscaler")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if obj is None or not entry.changed:
            return ()
        req = entry.request
        if req.group != GROUP or req.resource != RESOURCE or req.verb != "create" or req.subresource:
            return ()
        meta = obj.get("metadata") or {}
        return (hpa_key(meta.get("namespace", ""), meta.get("name", "")),)

    def decide(self, view: View, key: bytes) -> Decision:
        _g, _r, namespace, name = split_key(key)
        hpa = view.get(GROUP, RESOURCE, namespace, name)
        if hpa is None:
            return NOTHING  # deleted: its timer chain ends here
        try:
            created = parse_time(hpa["metadata"].get("creationTimestamp") or "")
        except ValueError:
            return NOTHING
        due, next_sync = sync_schedule(created, view.now)
        if not due:
            return Decision(requeue_at=next_sync)
        sync = Sync(view, hpa, self.identity, view.now - SYNC_PERIOD_US)
        sync.reconcile()
        return Decision(tuple(sync.requests()), requeue_at=next_sync)


__all__ = ["HorizontalPodAutoscalerController", "SYNC_PERIOD_US", "hpa_key", "sync_schedule"]
