"""A Job's pods: made from the template, deleted in upstream's order, finalizers patched away.

- `pod_from_template`: `GetPodFromTemplate` with the tracking finalizer appended, the Job's
  controller ref, `generateName` `<job>-` (Indexed: `<job>-<index>-`, the completion index as
  annotation and label, hostname `<job>-<index>`, the `JOB_COMPLETION_INDEX` env var from the
  label). The labels the API server generates with the selector are added where the template
  lacks them, so pods match the Job even if it was stored without a generated selector.
- `active_pods_order`: `controller.ActivePods` (unassigned, Pending, not ready, ready for less
  time, more restarts, newer first), the order in which surplus pods are deleted.
- `pods_for_removal`: `activePodsForRemoval`, with Indexed jobs' duplicate and out-of-range
  indexes first.
- the requests: create, plain delete, and the strategic-merge patch upstream sends to remove the
  finalizer (`$deleteFromPrimitiveList/finalizers`).
"""

from __future__ import annotations

import functools

from engine.controllers.replicaset.ranking import creation_time, max_container_restarts, ready_time
from engine.model.pods import is_ready
from engine.pipeline.identity import UserInfo
from engine.records import Request
from reducers.clone import clone

from . import indexed
from .util import COMPLETION_INDEX, COMPLETION_INDEX_ENV, JOB_TRACKING_FINALIZER, generated_labels, is_indexed, job_ref

PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def _with_index_env(container: dict) -> dict:
    env = list(container.get("env") or [])
    if any(e.get("name") == COMPLETION_INDEX_ENV for e in env):
        return container
    env.append({"name": COMPLETION_INDEX_ENV,
                "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{COMPLETION_INDEX}']"}}})
    return {**container, "env": env}


def pod_from_template(job: dict, index: int = indexed.UNKNOWN) -> dict:
    template = (job.get("spec") or {}).get("template") or {}
    tmeta = template.get("metadata") or {}
    name = job["metadata"]["name"]
    labels = dict(tmeta.get("labels") or {})
    for k, v in generated_labels(job).items():
        labels.setdefault(k, v)
    annotations = dict(tmeta.get("annotations") or {})
    finalizers = list(tmeta.get("finalizers") or [])
    if JOB_TRACKING_FINALIZER not in finalizers:
        finalizers.append(JOB_TRACKING_FINALIZER)
    spec = clone(template.get("spec") or {})
    generate = f"{name}-"
    if is_indexed(job):
        spec["containers"] = [_with_index_env(c) for c in spec.get("containers") or ()]
        if spec.get("initContainers"):
            spec["initContainers"] = [_with_index_env(c) for c in spec["initContainers"]]
    if index != indexed.UNKNOWN:
        annotations[COMPLETION_INDEX] = str(index)
        labels[COMPLETION_INDEX] = str(index)
        spec["hostname"] = f"{name}-{index}"
        generate = indexed.generate_name(name, index)
    meta: dict = {"generateName": generate, "namespace": job["metadata"].get("namespace", ""), "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    meta["finalizers"] = finalizers
    meta["ownerReferences"] = [job_ref(job)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def create_request(who: UserInfo, job: dict, index: int = indexed.UNKNOWN) -> Request:
    return Request(verb="create", resource="pods", namespace=job["metadata"].get("namespace", ""),
                   body=pod_from_template(job, index), user=who.name, groups=who.groups)


def delete_request(who: UserInfo, pod: dict) -> Request:
    meta = pod["metadata"]
    return Request(verb="delete", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"],
                   user=who.name, groups=who.groups)


def remove_finalizer_request(who: UserInfo, pod: dict) -> Request:
    """`removeTrackingFinalizerPatch`, a strategic merge patch."""
    meta = pod["metadata"]
    body = {"metadata": {"$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER]}}
    return Request(verb="patch", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"], body=body,
                   params={"patchType": "strategic"}, user=who.name, groups=who.groups)


def adopt_request(who: UserInfo, job: dict, pod: dict) -> Request:
    """`AdoptPod` with the tracking finalizer (the Job's PodControllerRefManager adds it)."""
    meta = pod["metadata"]
    body = {"metadata": {"ownerReferences": [job_ref(job)], "uid": meta["uid"], "finalizers": [JOB_TRACKING_FINALIZER]}}
    return Request(verb="patch", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"], body=body,
                   params={"patchType": "strategic"}, user=who.name, groups=who.groups)


def release_request(who: UserInfo, job: dict, pod: dict) -> Request:
    meta = pod["metadata"]
    body = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": job["metadata"]["uid"]}], "uid": meta["uid"]}}
    return Request(verb="patch", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"], body=body,
                   params={"patchType": "strategic"}, user=who.name, groups=who.groups)


def _after_or_zero(t1: int | None, t2: int | None) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def active_less(a: dict, b: dict) -> bool:
    """`controller.ActivePods.Less`: `a` goes before `b`."""
    na, nb = (a.get("spec") or {}).get("nodeName") or "", (b.get("spec") or {}).get("nodeName") or ""
    if na != nb and (not na or not nb):
        return not na
    pa = PHASE_ORDINAL.get((a.get("status") or {}).get("phase"), 0)
    pb = PHASE_ORDINAL.get((b.get("status") or {}).get("phase"), 0)
    if pa != pb:
        return pa < pb
    ra, rb = is_ready(a), is_ready(b)
    if ra != rb:
        return not ra
    if ra and rb:
        ta, tb = ready_time(a), ready_time(b)
        if ta != tb:
            return _after_or_zero(ta, tb)
    restarts_a, restarts_b = max_container_restarts(a), max_container_restarts(b)
    if restarts_a != restarts_b:
        return restarts_a > restarts_b
    ca, cb = creation_time(a), creation_time(b)
    if ca != cb:
        return _after_or_zero(ca, cb)
    return False


def active_pods_order(pods: list[dict]) -> list[dict]:
    """Sorted by `active_less` (name order first, and a stable sort, so ties are deterministic)."""
    def cmp(x: dict, y: dict) -> int:
        return -1 if active_less(x, y) else 1 if active_less(y, x) else 0

    return sorted(sorted(pods, key=lambda p: p["metadata"]["name"]), key=functools.cmp_to_key(cmp))


def pods_for_removal(job: dict, active: list[dict], at_least: int) -> list[dict]:
    """`activePodsForRemoval`."""
    rm: list[dict] = []
    left = list(active)
    if is_indexed(job):
        completions = int((job.get("spec") or {}).get("completions") or 0)
        rm, left = [], []
        by_index: dict[int, list[dict]] = {}
        for p in sorted(active, key=lambda p: p["metadata"]["name"]):
            by_index.setdefault(indexed.completion_index(p), []).append(p)
        for ix in sorted(by_index):
            group = by_index[ix]
            if ix == indexed.UNKNOWN or ix >= completions:
                rm.extend(group)
            elif len(group) == 1:
                left.append(group[0])
            else:
                ordered = active_pods_order(group)
                rm.extend(ordered[:-1])
                left.append(ordered[-1])
    if len(rm) < at_least:
        rm.extend(active_pods_order(left)[:at_least - len(rm)])
    return rm
