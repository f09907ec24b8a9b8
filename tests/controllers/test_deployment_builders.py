"""Builders shared by the Deployment controller tests: objects shaped like upstream's test helpers
(`newDeployment`, `rs`, `newRSWithStatus`), a fake View, and a fake ReplicaSet controller actor."""

from __future__ import annotations

from engine.clock import parse_time
from engine.controllers.deployment.context import Sync
from engine.controllers.deployment.controller import DeploymentController
from engine.pipeline.identity import controller_identity
from engine.records import Request
from engine.runtime.actor import NOTHING, Decision
from reducers.keys import object_key

T0 = parse_time("2016-05-20T00:00:00Z")
OLDER, OLD, NEW = "2016-05-20T00:00:00Z", "2016-05-20T01:00:00Z", "2016-05-20T02:00:00Z"


def deployment(name="foo", replicas=1, revision_history_limit=None, max_surge=0, max_unavailable=0, selector=None,
               strategy="RollingUpdate", uid="d-uid", generation=1, pds=None, annotations=None, image="foo/bar",
               namespace="default", paused=False, status=None, min_ready_seconds=0):
    selector = {"foo": "bar"} if selector is None else selector
    spec = {
        "replicas": replicas,
        "selector": {"matchLabels": dict(selector)},
        "template": {"metadata": {"labels": dict(selector)},
                     "spec": {"containers": [{"name": "foo", "image": image}]}},
        "strategy": {"type": strategy},
    }
    if strategy == "RollingUpdate":
        spec["strategy"]["rollingUpdate"] = {"maxSurge": max_surge, "maxUnavailable": max_unavailable}
    if revision_history_limit is not None:
        spec["revisionHistoryLimit"] = revision_history_limit
    if pds is not None:
        spec["progressDeadlineSeconds"] = pds
    if paused:
        spec["paused"] = True
    if min_ready_seconds:
        spec["minReadySeconds"] = min_ready_seconds
    meta = {"name": name, "namespace": namespace, "uid": uid, "generation": generation, "resourceVersion": "1",
            "creationTimestamp": OLDER}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec, "status": dict(status or {})}


def rs(name, replicas, selector=None, created=NEW, owner=None, revision=None, template=None, available=None,
       status_replicas=None, uid=None, annotations=None, namespace="default", generation=1, observed=1):
    meta = {"name": name, "namespace": namespace, "uid": uid or f"{name}-uid", "creationTimestamp": created,
            "resourceVersion": "1", "generation": generation, "labels": dict(selector or {})}
    ann = dict(annotations or {})
    if revision is not None:
        ann["deployment.kubernetes.io/revision"] = str(revision)
    if ann:
        meta["annotations"] = ann
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta,
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(selector or {})},
                 "template": template if template is not None else {}},
        "status": {"replicas": replicas if status_replicas is None else status_replicas,
                   "availableReplicas": replicas if available is None else available,
                   "readyReplicas": replicas if available is None else available, "observedGeneration": observed},
    }


def owned_rs(d, name, replicas, created=NEW, revision=None, image=None, available=None, **kw):
    """An RS of `d` with `d`'s template (or the template with another image) plus a hash label."""
    tmpl = {"metadata": {"labels": {**d["spec"]["template"]["metadata"]["labels"], "pod-template-hash": name.rsplit("-", 1)[-1]}},
            "spec": {"containers": [{"name": "foo", "image": image or d["spec"]["template"]["spec"]["containers"][0]["image"]}]}}
    labels = dict(tmpl["metadata"]["labels"])
    return rs(name, replicas, selector=labels, created=created, owner=d, revision=revision, template=tmpl,
              available=available, **kw)


def pod(name, rs_obj, phase=None):
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name, "namespace": rs_obj["metadata"]["namespace"], "uid": f"{name}-uid",
                      "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_obj["metadata"]["name"],
                                           "uid": rs_obj["metadata"]["uid"], "controller": True}]},
         "status": {}}
    if phase:
        p["status"]["phase"] = phase
    return p


_RESOURCES = {"Deployment": ("apps", "deployments"), "ReplicaSet": ("apps", "replicasets"), "Pod": ("", "pods")}


class FakeView:
    """The View surface controllers use (get, list, dependents, now), over a plain list of objects."""

    def __init__(self, objects=(), now=T0, seq=1):
        self.now = now
        self.seq = seq
        self.objects = {}
        for o in objects:
            self.add(o)

    def add(self, o):
        g, r = _RESOURCES[o["kind"]]
        self.objects[(g, r, o["metadata"].get("namespace", ""), o["metadata"]["name"])] = o

    def get(self, group, resource, namespace, name):
        return self.objects.get((group, resource, namespace, name))

    def get_key(self, key):
        g, r, ns, n = key.decode().split("\x00")
        return self.get(g, r, ns, n)

    def list(self, group, resource, namespace=None):
        return [o for (g, r, ns, _), o in sorted(self.objects.items()) if (g, r) == (group, resource)
                and (namespace is None or ns == namespace)]

    def items(self, group, resource, namespace=None):
        return [(object_key(g, r, ns, n), o) for (g, r, ns, n), o in sorted(self.objects.items())
                if (g, r) == (group, resource) and (namespace is None or ns == namespace)]

    def dependents(self, owner_uid):
        return [(k, o) for k, o in sorted(self.objects.items())
                if any(ref.get("uid") == owner_uid for ref in o["metadata"].get("ownerReferences") or ())]

    def cluster(self):
        return {}


WHO = controller_identity("deployment-controller")


def sync_ctx(d, objects=(), now=T0):
    return Sync(FakeView([d, *objects], now=now), d, WHO)


def decide(d, objects=(), now=T0):
    view = FakeView([d, *objects], now=now)
    return DeploymentController().sync(view, d["metadata"]["namespace"], d["metadata"]["name"])


def scaled_sizes(requests):
    """RS name -> the replicas its last scaling patch set (like reading upstream's fake client actions)."""
    out = {}
    for r in requests:
        if r.resource == "replicasets" and r.verb == "patch" and "spec" in (r.body or {}):
            out[r.name] = r.body["spec"]["replicas"]
    return out


def events(requests):
    return [(r.body["type"], r.body["reason"], r.body["message"]) for r in requests if r.resource == "events"]


def writes(requests):
    """(verb, resource, subresource, name) of every non-event request, in order."""
    return [(r.verb, r.resource, r.subresource, r.name or r.body["metadata"]["name"]) for r in requests
            if r.resource != "events"]


class FakeReplicaSetController:
    """A stand-in for the ReplicaSet controller and kubelets: pods appear (and disappear) the moment
    spec.replicas changes and become ready/available `delay_us` later; status follows.

    It tracks pods per RS uid from the log it is shown (keys_for), so it is deterministic; it also
    records the total and available pod counts after every change for invariant checks."""

    name = "fake-replicaset-controller"
    identity = controller_identity("replicaset-controller")

    def __init__(self, delay_us=5_000_000, never_ready_image=None):
        self.delay_us = delay_us
        self.never_ready_image = never_ready_image
        self.pods: dict[str, list[int]] = {}  # rs uid -> ready-at times (sorted)
        self.names: dict[str, tuple[str, str]] = {}
        self.history: list[tuple[int, int, int]] = []  # (at, total pods, available pods)

    def keys_for(self, entry, obj):
        req = entry.request
        if not entry.changed or obj is None or (req.group, req.resource) != ("apps", "replicasets"):
            return ()
        meta = obj["metadata"]
        uid = meta["uid"]
        if entry.outcome.digest == "deleted":
            self.pods.pop(uid, None)
            self._record(entry.at)
            return ()
        want = int(obj["spec"].get("replicas", 1))
        pods = self.pods.setdefault(uid, [])
        self.names[uid] = (meta["namespace"], meta["name"])
        if want > len(pods):
            images = [c.get("image") for c in obj["spec"]["template"]["spec"].get("containers") or ()]
            ready_at = 2**62 if self.never_ready_image in images else entry.at + self.delay_us
            pods.extend([ready_at] * (want - len(pods)))
        elif want < len(pods):
            del pods[want:]  # the newest (latest ready-at, unready first) go first
        pods.sort()
        self._record(entry.at)
        return (uid.encode(),)

    def _record(self, at):
        total = sum(len(p) for p in self.pods.values())
        self.history.append((at, total, self.available(at)))

    def available(self, at):
        return sum(1 for p in self.pods.values() for t in p if t <= at)

    def decide(self, view, key):
        uid = key.decode()
        if uid not in self.names:
            return NOTHING
        ns, name = self.names[uid]
        obj = view.get("apps", "replicasets", ns, name)
        if obj is None or obj["metadata"]["uid"] != uid:
            return NOTHING
        pods = self.pods.get(uid, [])
        avail = sum(1 for t in pods if t <= view.now)
        status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": avail,
                  "availableReplicas": avail, "observedGeneration": obj["metadata"].get("generation", 1)}
        status = {k: v for k, v in status.items() if v or k == "replicas"}
        later = [t for t in pods if t > view.now and t < 2**62]
        requeue = min(later) if later else None
        if status == obj.get("status"):
            return Decision((), requeue)
        self._record(view.now)
        body = {**obj, "status": status}
        return Decision((Request(verb="update", group="apps", version="v1", resource="replicasets", namespace=ns,
                                 name=name, subresource="status", body=body, user=self.identity.name,
                                 groups=self.identity.groups),), requeue)
