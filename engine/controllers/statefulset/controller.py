"""The StatefulSet controller actor: which keys a change touches, and one sync step per decision.

Upstream's `sync` (adopt orphan revisions, claim pods, `UpdateStatefulSet`: revisions, pods,
status, history) becomes a dispatcher in a fixed order; each call takes the first step with work:

1. report: events for the writes of this controller's last step for the set (each step that
   writes closes with a status write, see `report.py`), then the status again;
2. claims: release pods that stopped matching; while the spec is unobserved (generation !=
   observedGeneration) adopt the namespace's matching orphan pods and revisions (later orphans
   come through their own `o` keys);
3. revisions: create the update revision, or re-number an older equal one (not for a set being
   deleted);
4. pods: one step of `updateStatefulSet` (`control.py`);
5. status, when it changed, with the deletion of revisions beyond revisionHistoryLimit; a wake-up
   when a ready pod will turn available (minReadySeconds).

Keys (O(1) from the changed object):

* `s NUL ns NUL name` - a StatefulSet changed (not by this controller's own status write); a pod
  whose controller reference names a StatefulSet changed; a pod named like one of a set's
  (`<set>-<N>`) that is not the set's went away (it may have held a slot); a claim referencing a
  set or a set's pod is going away (it may have blocked a create). Revisions are not watched
  (upstream does not watch them either).
* `o NUL ns NUL pod` - a pod without a controller, named `<set>-<N>`, appeared or changed: the set
  of that name may adopt it.
"""

from __future__ import annotations

from typing import Iterable

from engine.controllers.replicaset.status import name_events, next_available_at
from engine.controllers.statefulset import claims, control, report, revisions
from engine.controllers.statefulset import status as st
from engine.controllers.statefulset.utils import STATEFUL_SET_KIND, parent_and_ordinal
from engine.errors import StatusError
from engine.model.pods import controller_ref
from engine.model.selectors import selector_from_label_selector
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry
from engine.runtime.actor import NOTHING, Decision
from engine.view import View

_SEP = b"\x00"
RETRY_US = 10 * 1_000_000  # a create blocked on a claim still being deleted is tried again this much later


def set_key(namespace: str, name: str) -> bytes:
    return b"s" + _SEP + namespace.encode() + _SEP + name.encode()


def orphan_key(namespace: str, pod: str) -> bytes:
    return b"o" + _SEP + namespace.encode() + _SEP + pod.encode()


def _min(*times: int | None) -> int | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


class StatefulSetController:
    name = "statefulset-controller"
    identity = controller_identity("statefulset-controller")

    # --- keys ----------------------------------------------------------------------------------

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if obj is None or not entry.changed:
            return ()
        req = entry.request
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace", "")
        gone = entry.outcome.digest == "deleted"  # type: ignore[union-attr]
        if req.group == "apps" and req.resource == "statefulsets":
            if gone or (req.subresource == "status" and req.user == self.identity.name):
                return ()
            return (set_key(ns, meta.get("name", "")),)
        if req.group == "" and req.resource == "pods":
            ref = controller_ref(obj)
            if ref is not None and ref.get("kind") == STATEFUL_SET_KIND:
                return (set_key(ns, ref.get("name", "")),)
            parent, ordinal = parent_and_ordinal(meta.get("name", ""))
            if ordinal < 0 or not parent:
                return ()
            if gone:
                return (set_key(ns, parent),)
            if ref is None and not meta.get("deletionTimestamp"):
                return (orphan_key(ns, meta["name"]),)
            return ()
        if req.group == "" and req.resource == "persistentvolumeclaims" and (gone or meta.get("deletionTimestamp")):
            keys = []
            for ref in meta.get("ownerReferences") or ():
                if ref.get("kind") == STATEFUL_SET_KIND:
                    keys.append(set_key(ns, ref.get("name", "")))
                elif ref.get("kind") == "Pod":
                    parent, ordinal = parent_and_ordinal(ref.get("name", ""))
                    if ordinal >= 0 and parent:
                        keys.append(set_key(ns, parent))
            return keys
        return ()

    # --- decide --------------------------------------------------------------------------------

    def decide(self, view: View, key: bytes) -> Decision:
        kind, _, rest = key.partition(_SEP)
        ns, _, name = rest.decode().partition("\x00")
        if kind == b"s":
            return self.sync(view, ns, name)
        if kind == b"o":
            return self.adopt_orphan(view, ns, name)
        return NOTHING

    def adopt_orphan(self, view: View, namespace: str, pod_name: str) -> Decision:
        pod = view.get("", "pods", namespace, pod_name)
        if pod is None:
            return NOTHING
        sts = view.get("apps", "statefulsets", namespace, parent_and_ordinal(pod_name)[0])
        if sts is None:
            return NOTHING
        try:
            selector = selector_from_label_selector((sts.get("spec") or {}).get("selector"))
        except StatusError:
            return NOTHING
        if not claims.adoptable(sts, selector, pod):
            return NOTHING
        return Decision((claims.adopt_pod(self.identity, sts, pod),))

    def sync(self, view: View, namespace: str, name: str) -> Decision:
        sts = view.get("apps", "statefulsets", namespace, name)
        if sts is None:
            return NOTHING  # deleted: the garbage collector takes its pods (and claims it owns)
        try:
            selector = selector_from_label_selector((sts.get("spec") or {}).get("selector"))
        except StatusError:
            return NOTHING  # upstream: a non-transient error, not retried
        who, now = self.identity, view.now
        meta = sts["metadata"]
        uid = meta["uid"]
        deps = view.dependents(uid)
        owned = claims.owned(deps, uid, "pods")
        pods = [p for p in owned if claims.matches(sts, selector, p)]
        revs = sorted(claims.owned(deps, uid, "controllerrevisions"), key=revisions.sort_key)

        plan = revisions.revision_step(view, who, sts, revs)  # the writes it needs are step 3's
        current, update = plan.current, plan.update

        def closed(writes) -> tuple:
            """A step's writes, closed by a status write (the next step reports them, see report.py)."""
            status = st.compute_status(sts, pods, current["metadata"]["name"], update["metadata"]["name"],
                                       plan.collision_count, now)
            return tuple(writes) + (st.status_request(who, sts, status),)

        # 1. report the last step's writes
        outcomes = report.unreported(view, who, sts)
        if outcomes:
            reqs = closed(name_events(view, report.events(view, who, sts, outcomes)))
            if report.refused(outcomes):
                return Decision(reqs, requeue_at=now + report.retry_delay(view, who, outcomes))
            return Decision(reqs, again=True)

        # 2. claims
        reqs = [claims.release_pod(who, sts, p) for p in claims.to_release(sts, selector, owned)]
        if meta.get("generation") != (sts.get("status") or {}).get("observedGeneration"):
            reqs += [claims.adopt_pod(who, sts, p) for p in view.list("", "pods", namespace)
                     if claims.adoptable(sts, selector, p)]
            reqs += [revisions.adopt_request(who, sts, r) for r in
                     claims.orphan_revisions(sts, selector, view.list("apps", "controllerrevisions", namespace))]
        if reqs:
            return Decision(closed(reqs), again=True)

        # 3. revisions
        if plan.requests and not meta.get("deletionTimestamp"):
            # (Upstream would still write a revision for a set being deleted, for the garbage
            # collector to remove at once; a set being deleted only has its status updated here.)
            return Decision(closed(plan.requests), again=True)

        # 4. pods
        step = control.update_stateful_set(view, who, sts, current, update, pods)
        retry = now + RETRY_US if step.retry else None
        if any(r.resource != "events" for r in step.requests):
            return Decision(closed(name_events(view, list(step.requests))), requeue_at=retry, again=True)
        if step.requests:  # an event alone (a create blocked on a claim still being deleted): wait for the retry
            return Decision(tuple(name_events(view, list(step.requests))), requeue_at=retry)

        # 5. status and history
        status = st.compute_status(sts, pods, current["metadata"]["name"], update["metadata"]["name"],
                                   plan.collision_count, now)
        wake = _min(next_available_at(sts, pods, now), retry)
        # Upstream truncates with the revisions it read and catches up on the sync its own status
        # write triggers; here that write triggers nothing, so the new status's current revision is used.
        now_current = next((r for r in revs if r["metadata"]["name"] == status.get("currentRevision")), current)
        deletes = revisions.truncate(who, sts, pods, revs, now_current, update)
        if deletes:
            return Decision(closed(deletes), requeue_at=wake, again=True)
        if st.unchanged(sts, status):
            return Decision(requeue_at=wake) if wake is not None else NOTHING
        return Decision((st.status_request(who, sts, status),), requeue_at=wake)


__all__ = ["StatefulSetController", "orphan_key", "set_key"]
