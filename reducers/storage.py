"""Shared storage semantics: the object an admitted write leaves behind, from the one before it.

`next_object(prev, entry)` is the whole of Kubernetes' generic registry that matters to state:
create (defaults, decided uid/name, admission mutations, initial status), update and patch
(system metadata kept, status kept for kinds with a status subresource, generation bumped only
when the spec changes), the status, scale, binding and finalize subresources, and delete with
finalizers and deletionTimestamp. Every entry changes at most one object, so an object's
history is the fold of the entries that name it, which is what makes `--at` cheap.
"""

from __future__ import annotations

from typing import Any

from engine.clock import parse_time, rfc3339
from engine.model.qos import qos_class
from engine.records import LogEntry
from engine.registry import BY_GROUP_RESOURCE, GENERATION_KINDS, ResourceType
from reducers.clone import clone
from reducers.defaults import apply_defaults
from reducers.hpa_convert import v1_to_v2
from reducers.patch import apply_patch, json_patch
from reducers.services import apply_allocation, prepare_update

# Kinds whose create keeps the status the client sent (kubelets register nodes with status).
_KEEP_STATUS_ON_CREATE = frozenset({"Node", "Event", "Cluster"})
# Metadata the server owns: kept from the stored object on update and patch.
_SYSTEM_META = ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName")


def rtype_of(entry: LogEntry) -> ResourceType:
    req = entry.request
    return BY_GROUP_RESOURCE[(req.group, req.resource)]


def has_status_subresource(rt: ResourceType) -> bool:
    return "status" in rt.subresources


def next_object(prev: dict | None, entry: LogEntry) -> dict | None:
    """The object after `entry` (an admitted write); None when the entry removed it."""
    req = entry.request
    rt = rtype_of(entry)
    verb, sub = req.verb, req.subresource
    decided = entry.outcome.decided  # type: ignore[union-attr]
    if "$state" in decided:  # encrypted at rest: the entry carries its sealed result (engine/crypto/seal.py)
        return clone(decided["$state"]) if decided["$state"] is not None else None
    if verb == "create" and not sub:
        return _created(rt, entry, decided)
    if prev is None:
        raise ValueError(f"entry {entry.seq}: {verb} of a missing object")
    if verb == "delete":
        return _deleted(rt, prev, entry, decided)
    if sub == "binding":
        return _bound(prev, req.body, entry)
    if sub == "status":
        body = _patched(prev, req, rt) if verb == "patch" else req.body
        new = clone(prev)
        new["status"] = clone(body.get("status", {})) if isinstance(body, dict) else {}
        return _stamp(new, entry)
    if sub == "scale":
        return _scaled(prev, req, rt, entry)
    if sub == "finalize":
        new = clone(prev)
        new.setdefault("spec", {})["finalizers"] = list((req.body or {}).get("spec", {}).get("finalizers") or [])
        return _finish(rt, prev, new, entry)
    if verb == "update":
        new = clone(req.body)
        if rt.kind == "HorizontalPodAutoscaler":
            new = v1_to_v2(new)
    elif verb == "patch":
        new = _patched(prev, req, rt)  # a fresh object: the patch library never shares its input
    else:
        raise ValueError(f"entry {entry.seq}: verb {verb!r} does not change objects")
    new = apply_defaults(new, copy=False)
    new = _mutated(new, decided)
    if rt.kind == "Service":
        apply_allocation(prepare_update(new, prev), decided)
    meta = new.setdefault("metadata", {})
    pmeta = prev.get("metadata", {})
    for f in _SYSTEM_META:
        if f in pmeta:
            meta[f] = pmeta[f]
        else:
            meta.pop(f, None)
    meta.pop("managedFields", None)
    new["apiVersion"], new["kind"] = prev["apiVersion"], prev["kind"]
    if rt.kind == "DaemonSet":
        _template_generation(new, prev)
    if has_status_subresource(rt) and rt.kind not in _KEEP_STATUS_ON_CREATE:
        if "status" in prev:
            new["status"] = clone(prev["status"])
        else:
            new.pop("status", None)
    return _finish(rt, prev, new, entry)


def _patched(prev: dict, req, rt: ResourceType) -> dict:
    ptype = req.params.get("patchType", "strategic")
    return apply_patch(prev, req.body, ptype, rt.kind)


def _mutated(obj: dict, decided: dict) -> dict:
    ops = decided.get("mutations")
    return json_patch(obj, ops) if ops else obj


def _created(rt: ResourceType, entry: LogEntry, decided: dict) -> dict:
    req = entry.request
    body = clone(req.body)
    if rt.kind == "HorizontalPodAutoscaler":
        body = v1_to_v2(body)  # the API server stores autoscaling/v2; a v1 write is converted on the way in
    obj = apply_defaults(body, copy=False)
    obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
    meta = obj.setdefault("metadata", {})
    meta["name"] = decided.get("name") or meta.get("name")
    if rt.kind == "Event" and decided.get("name"):
        meta.pop("generateName", None)  # upstream's recorder names events itself: `<object>.<hex>`
    if rt.namespaced:
        meta["namespace"] = req.namespace
    else:
        meta.pop("namespace", None)
    meta["uid"] = decided["uid"]
    meta["resourceVersion"] = str(entry.seq)
    meta["creationTimestamp"] = rfc3339(entry.at)
    for f in ("deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"):
        meta.pop(f, None)
    if rt.kind in GENERATION_KINDS:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    if has_status_subresource(rt) and rt.kind not in _KEEP_STATUS_ON_CREATE:
        obj["status"] = _initial_status(rt.kind)
    elif rt.kind == "Namespace":
        obj["status"] = {"phase": "Active"}
    obj = _mutated(obj, decided)
    if rt.kind == "Pod":
        # podStrategy.PrepareForCreate: the class is computed once, after mutating admission
        obj.setdefault("status", {})["qosClass"] = qos_class(obj.get("spec"))
    if rt.kind == "Service":
        apply_allocation(obj, decided)
    if rt.kind == "DaemonSet":
        _template_generation(obj, None)
    if rt.kind == "Job":
        _job_selector(obj)
    _omit_empty(meta)
    return obj


_OMIT_EMPTY = ("labels", "annotations", "ownerReferences", "finalizers")


def _omit_empty(meta: dict) -> None:
    """ObjectMeta's `omitempty` fields: an empty list or map is not stored (upstream never shows
    `ownerReferences: []` or `labels: {}`)."""
    for f in _OMIT_EMPTY:
        if f in meta and not meta[f]:
            del meta[f]


def _job_selector(job: dict) -> None:
    """The Job registry's generateSelector: unless spec.manualSelector, the template and the
    selector carry the Job's uid (and name) labels; empty Job labels default to the template's."""
    spec = job.setdefault("spec", {})
    uid, name = job["metadata"]["uid"], job["metadata"]["name"]
    if not spec.get("manualSelector"):
        labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
        for k, v in (("batch.kubernetes.io/controller-uid", uid), ("batch.kubernetes.io/job-name", name),
                     ("controller-uid", uid), ("job-name", name)):
            labels.setdefault(k, v)
        sel = spec.setdefault("selector", {})
        sel.setdefault("matchLabels", {}).setdefault("batch.kubernetes.io/controller-uid", uid)
    if not job["metadata"].get("labels"):
        tl = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
        if tl:
            job["metadata"]["labels"] = dict(tl)


_TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"


def _template_generation(new: dict, prev: dict | None) -> None:
    """DaemonSet's template generation annotation (upstream's daemonSetStrategy): "1" on create
    unless a valid one is given; on update carried over, plus one when spec.template changed."""
    ann = new.setdefault("metadata", {}).setdefault("annotations", {})
    if prev is None:
        given = ann.get(_TEMPLATE_GENERATION, "")
        if not (isinstance(given, str) and given.isdigit() and int(given) >= 1):
            ann[_TEMPLATE_GENERATION] = "1"
        return
    old = ((prev.get("metadata") or {}).get("annotations") or {}).get(_TEMPLATE_GENERATION, "1")
    changed = (new.get("spec") or {}).get("template") != (prev.get("spec") or {}).get("template")
    ann[_TEMPLATE_GENERATION] = str(int(old) + 1) if changed and old.isdigit() else old


def _initial_status(kind: str) -> dict:
    if kind == "Pod":
        return {"phase": "Pending"}
    if kind == "Namespace":
        return {"phase": "Active"}
    if kind in ("PersistentVolumeClaim", "PersistentVolume"):
        return {"phase": "Pending"}
    if kind in ("ReplicaSet", "ReplicationController"):
        return {"replicas": 0}  # upstream's status.replicas has no omitempty
    if kind == "StatefulSet":  # neither has omitempty upstream
        return {"replicas": 0, "availableReplicas": 0}
    if kind == "DaemonSet":  # these four have no omitempty upstream
        return {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}
    if kind == "Service":
        return {"loadBalancer": {}}
    return {}


def _deleted(rt: ResourceType, prev: dict, entry: LogEntry, decided: dict) -> dict | None:
    meta = prev.get("metadata", {})
    finalizers = list(meta.get("finalizers") or [])
    for f in decided.get("finalizers", ()):
        if f not in finalizers:
            finalizers.append(f)
    ns_pending = rt.kind == "Namespace" and bool((prev.get("spec") or {}).get("finalizers"))
    grace = pod_grace_period(prev, entry.request.params) if rt.kind == "Pod" else 0
    if grace is None:
        return prev  # graceful deletion already pending with no shorter grace asked: nothing changes
    if not finalizers and not ns_pending and not grace:
        return None
    new = clone(prev)
    nmeta = new["metadata"]
    if finalizers:
        nmeta["finalizers"] = finalizers
    if "deletionTimestamp" in nmeta and nmeta.get("deletionGracePeriodSeconds"):
        # upstream BeforeDelete: a later delete may only shorten the grace, counted from the first
        start = parse_time(nmeta["deletionTimestamp"]) - int(nmeta["deletionGracePeriodSeconds"]) * 1_000_000
        nmeta["deletionTimestamp"] = rfc3339(start + grace * 1_000_000)
        nmeta["deletionGracePeriodSeconds"] = grace
    elif "deletionTimestamp" not in nmeta:
        nmeta["deletionTimestamp"] = rfc3339(entry.at + grace * 1_000_000)
        if rt.kind != "Namespace":  # upstream's namespace delete sets only the timestamp and the phase
            nmeta["deletionGracePeriodSeconds"] = grace
        if "generation" in nmeta:
            nmeta["generation"] += 1
    if rt.kind == "Namespace":
        new.setdefault("status", {})["phase"] = "Terminating"
    nmeta["resourceVersion"] = str(entry.seq)
    return new


def pod_grace_period(pod: dict, params: dict) -> int | None:
    """Upstream's pod CheckGracefulDelete + BeforeDelete: the grace period a delete gives a pod
    (0: at once), or None when its graceful deletion is pending and no shorter grace is asked.

    The asked grace is `gracePeriodSeconds`, else `spec.terminationGracePeriodSeconds` (30 by
    default); a pod not bound to a node, or already Succeeded/Failed, goes at once."""
    asked = params.get("gracePeriodSeconds")
    meta = pod.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        current = int(meta.get("deletionGracePeriodSeconds") or 0)
        if not current:
            return 0
        return None if asked is None or int(asked) >= current else max(int(asked), 0)
    spec = pod.get("spec") or {}
    grace = int(asked) if asked is not None else int(spec.get("terminationGracePeriodSeconds", 30) or 0)
    if not spec.get("nodeName") or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        grace = 0
    return max(grace, 0)


def _bound(prev: dict, body: dict, entry: LogEntry) -> dict:
    new = clone(prev)
    new.setdefault("spec", {})["nodeName"] = body["target"]["name"]
    conds = [c for c in new.setdefault("status", {}).get("conditions", []) if c.get("type") != "PodScheduled"]
    conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(entry.at)})
    new["status"]["conditions"] = conds
    return _stamp(new, entry)


def to_scale(obj: dict) -> dict:
    """The autoscaling/v1 Scale view of a scalable object (what `GET .../scale` returns)."""
    from engine.model.selectors import selector_from_label_selector, selector_from_set

    meta = obj["metadata"]
    sel = obj.get("spec", {}).get("selector")
    if obj["kind"] == "ReplicationController":
        selector = str(selector_from_set(sel or {}))
    else:
        selector = str(selector_from_label_selector(sel)) if sel else ""
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta},
        "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
        "status": {"replicas": obj.get("status", {}).get("replicas", 0), "selector": selector},
    }


def _scaled(prev: dict, req, rt: ResourceType, entry: LogEntry) -> dict:
    if req.verb == "patch":
        scale = apply_patch(to_scale(prev), req.body, req.params.get("patchType", "merge"), "Scale")
    else:
        scale = req.body
    new = clone(prev)
    new.setdefault("spec", {})["replicas"] = scale.get("spec", {}).get("replicas", 0)
    return _finish(rt, prev, new, entry)


def _stamp(new: dict, entry: LogEntry) -> dict:
    new["metadata"]["resourceVersion"] = str(entry.seq)
    return new


def _spec_of(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _finish(rt: ResourceType, prev: dict, new: dict, entry: LogEntry) -> dict | None:
    """Generation, resourceVersion, and removal once the last finalizer is gone."""
    meta = new["metadata"]
    _omit_empty(meta)
    if rt.kind in GENERATION_KINDS:
        gen = prev.get("metadata", {}).get("generation", 1)
        meta["generation"] = gen + 1 if _spec_of(new) != _spec_of(prev) else gen
    meta["resourceVersion"] = str(entry.seq)
    if not meta.get("finalizers"):
        meta.pop("finalizers", None)
        if meta.get("deletionTimestamp"):
            if rt.kind != "Namespace" or not (new.get("spec") or {}).get("finalizers"):
                return None
    return new
