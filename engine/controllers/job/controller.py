"""The Job controller actor (`job-controller`): keys, the sync, adoption and orphan finalizers.

Keys (each O(1) to derive from the changed object):

* the Job's object key: the Job changed (other than by this controller's own status writes), or a
  pod whose controller ref names a batch Job changed;
* `o NUL <pod key>`: a pod without a controller ref was created or had its metadata changed: the
  Jobs of its namespace whose selector matches it may adopt it (`ClaimPods`), oldest first;
* `f NUL <pod key>`: a pod carrying the tracking finalizer lost its controller ref or is being
  deleted: when no live, unfinished Job owns it any more the finalizer is removed
  (upstream's orphan queue, `syncOrphanPod`), so the pod can go.
"""

from __future__ import annotations

from typing import Iterable

from engine.model.pods import controller_ref
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key, split_key

from . import pods as podctl
from .sync import job_key, sync_job
from .util import has_finalizer, is_finished, job_selector, managed_externally

ORPHAN = b"o\x00"
FINALIZER = b"f\x00"


def _is_job_ref(ref: dict | None) -> bool:
    return ref is not None and ref.get("kind") == "Job" and str(ref.get("apiVersion", "batch/v1")).startswith("batch/")


class JobController:
    """`job-controller`: batch/v1 Jobs run pods to completion."""

    name = "job-controller"
    identity = controller_identity("job-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if obj is None or not entry.changed:
            return ()
        req = entry.request
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace", "")
        gone = entry.outcome.digest == "deleted"  # type: ignore[union-attr]
        if req.group == "batch" and req.resource == "jobs":
            if gone or (req.subresource == "status" and req.user == self.identity.name):
                return ()
            return (job_key(ns, meta.get("name", "")),)
        if req.group != "" or req.resource != "pods":
            return ()
        keys = []
        ref = controller_ref(obj)
        pod_key = object_key("", "pods", ns, meta.get("name", ""))
        if _is_job_ref(ref):
            keys.append(job_key(ns, ref.get("name", "")))  # type: ignore[union-attr]
        if not gone and has_finalizer(obj) and (ref is None or meta.get("deletionTimestamp")):
            keys.append(FINALIZER + pod_key)
        if ref is None and not gone and not meta.get("deletionTimestamp") and meta.get("labels") \
                and req.subresource in ("", None) and req.verb in ("create", "update", "patch"):
            keys.append(ORPHAN + pod_key)
        return keys

    def decide(self, view: View, key: bytes) -> Decision:
        if key.startswith(ORPHAN):
            return self._adopt(view, key[len(ORPHAN):])
        if key.startswith(FINALIZER):
            return self._orphan_finalizer(view, key[len(FINALIZER):])
        job = view.get_key(key)
        if job is None or managed_externally(job):
            return NOTHING
        return sync_job(view, job, self.identity)

    def _adopt(self, view: View, pod_key: bytes) -> Decision:
        pod = view.get_key(pod_key)
        if pod is None or controller_ref(pod) is not None or pod["metadata"].get("deletionTimestamp"):
            return NOTHING
        _g, _r, ns, _n = split_key(pod_key)
        labels = pod["metadata"].get("labels") or {}
        candidates = []
        for job in view.list("batch", "jobs", ns):
            if job["metadata"].get("deletionTimestamp") or is_finished(job) or managed_externally(job):
                continue
            sel = job_selector(job)
            if sel.is_empty() or sel.matches_nothing or not sel.matches(labels):
                continue
            candidates.append(job)
        if not candidates:
            return NOTHING
        job = sorted(candidates, key=lambda j: (j["metadata"].get("creationTimestamp", ""), j["metadata"]["name"]))[0]
        return Decision((podctl.adopt_request(self.identity, job, pod),))

    def _orphan_finalizer(self, view: View, pod_key: bytes) -> Decision:
        """`syncOrphanPod`."""
        pod = view.get_key(pod_key)
        if pod is None or not has_finalizer(pod):
            return NOTHING
        ref = controller_ref(pod)
        if ref is not None:
            if not _is_job_ref(ref) or ref.get("apiVersion") not in (None, "batch/v1"):
                return NOTHING  # controlled by something that is not a batch/v1 Job: not ours to touch
            job = view.get("batch", "jobs", pod["metadata"].get("namespace", ""), ref.get("name", ""))
            if job is not None and job["metadata"].get("uid") == ref.get("uid"):
                if managed_externally(job) or not is_finished(job):
                    return NOTHING  # the Job's own sync counts it first
        return Decision((podctl.remove_finalizer_request(self.identity, pod),))


__all__ = ["JobController"]
