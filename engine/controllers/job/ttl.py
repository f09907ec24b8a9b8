"""The TTL-after-finished controller (`ttl-after-finished-controller`), after upstream's
`pkg/controller/ttlafterfinished`: a finished Job with `spec.ttlSecondsAfterFinished` is deleted
(foreground propagation, with a uid precondition) once that many seconds have passed since the
`lastTransitionTime` of its Complete or Failed condition; until then the key wakes up at that
moment. Jobs being deleted, unfinished or without the field are left alone. No events, as upstream.
"""

from __future__ import annotations

from typing import Iterable

from engine.clock import parse_time
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View

from .sync import job_key
from .util import COMPLETE, FAILED

SECOND = 1_000_000


def finish_time(job: dict) -> int | None:
    """`jobFinishTime`: when the Complete/Failed condition became True."""
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in (COMPLETE, FAILED) and c.get("status") == "True":
            try:
                return parse_time(str(c.get("lastTransitionTime") or ""))
            except ValueError:
                return None
    return None


def expire_at(job: dict) -> int | None:
    """When the Job's TTL runs out, or None when it does not need cleaning up (yet)."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    if ttl is None or job["metadata"].get("deletionTimestamp"):
        return None
    done = finish_time(job)
    return None if done is None else done + int(ttl) * SECOND


class TTLAfterFinishedController:
    name = "ttl-after-finished-controller"
    identity = controller_identity("ttl-after-finished-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if obj is None or not entry.changed:
            return ()
        req = entry.request
        if req.group != "batch" or req.resource != "jobs" or entry.outcome.digest == "deleted":  # type: ignore[union-attr]
            return ()
        if (obj.get("spec") or {}).get("ttlSecondsAfterFinished") is None:
            return ()
        meta = obj.get("metadata") or {}
        return (job_key(meta.get("namespace", ""), meta.get("name", "")),)

    def decide(self, view: View, key: bytes) -> Decision:
        job = view.get_key(key)
        if job is None:
            return NOTHING
        at = expire_at(job)
        if at is None:
            return NOTHING
        if view.now < at:
            return Decision(requeue_at=at)
        meta = job["metadata"]
        return Decision((Request(verb="delete", group="batch", version="v1", resource="jobs",
                                 namespace=meta.get("namespace", ""), name=meta["name"],
                                 params={"propagationPolicy": "Foreground", "preconditions": {"uid": meta["uid"]}},
                                 user=self.identity.name, groups=self.identity.groups),))
