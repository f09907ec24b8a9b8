"""The ReplicaSet and ReplicationController actors: keys, and the sync as one step per decide.

Upstream's `syncReplicaSet` (claim pods, manage replicas, update status) becomes a dispatcher in
a fixed priority order; each call takes the first step that has work and returns only its
requests (a converged owner yields none):

1. claims: release owned pods whose labels stopped matching, adopt matching orphans (orphans are
   looked for here only while the spec is unobserved, i.e. generation != observedGeneration;
   later orphans come through their own `orphan` keys);
2. report: events for the pods created and the creates refused since this controller last wrote
   the owner's status at this instant, and that status write (with `ReplicaFailure` when creates
   failed, plus a retry wake-up) -- see `history.py` for why this is read from the log;
3. manage: one slow-start batch of creates, or the deletes of a scale-down chosen by rank;
4. status: write it when it changed; wake up when a ready pod will turn available.

Nothing is skipped for expectations: decide reads fresh state in the runtime's transaction, so
upstream's expectations cache has no work to do (history.py explains the log reads that replace
the create results it would remember).

Keys: the owner's object key for any write to the owner (except this controller's own status
writes) and for any change of a pod whose controller ref names this kind; `orphan\\x01<pod key>`
for an active pod without a controller ref, which decide resolves by listing the owners in the
pod's namespace. Both are O(1) to compute.
"""

from __future__ import annotations

from typing import Iterable

from engine.clock import rfc3339
from engine.controllers.replicaset import claims, history, manage, ranking, status
from engine.controllers.replicaset.kinds import REPLICA_SET, REPLICATION_CONTROLLER, ControllerKind
from engine.model.pods import controller_ref, is_active
from engine.pipeline.identity import UserInfo, controller_identity
from engine.records import LogEntry
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key

ORPHAN = b"orphan\x01"


def _min(*times: int | None) -> int | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


class _Controller:
    """One implementation for both kinds (upstream's ReplicaSetController with adapters)."""

    kind: ControllerKind
    name: str
    identity: UserInfo

    # --- keys ----------------------------------------------------------------------------------

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if obj is None or not entry.changed:
            return ()
        req = entry.request
        kind = self.kind
        if req.resource == kind.plural and req.group == kind.group:
            if entry.outcome.digest == "deleted":  # type: ignore[union-attr]
                return ()  # the garbage collector takes care of the pods
            if req.subresource == "status" and req.user == self.identity.name:
                return ()  # our own status write: the step that made it already re-queued if needed
            return (kind.key(req.namespace, obj["metadata"]["name"]),)
        if req.resource != "pods" or req.group != "":
            return ()
        meta = obj["metadata"]
        ref = controller_ref(obj)
        if ref is not None:
            return (kind.key(meta.get("namespace", ""), ref.get("name", "")),) if kind.owns(ref) else ()
        if entry.outcome.digest == "deleted" or not is_active(obj):  # type: ignore[union-attr]
            return ()  # no controller cares about an orphan going away
        return (ORPHAN + object_key("", "pods", meta.get("namespace", ""), meta["name"]),)

    # --- decide --------------------------------------------------------------------------------

    def decide(self, view: View, key: bytes) -> Decision:
        if key.startswith(ORPHAN):
            return self._adopt_orphan(view, key[len(ORPHAN):])
        return self._sync(view, key)

    def _adopt_orphan(self, view: View, pod_key: bytes) -> Decision:
        pod = view.get_key(pod_key)
        if pod is None or controller_ref(pod) is not None or not is_active(pod):
            return NOTHING
        ns = pod["metadata"].get("namespace", "")
        owners = claims.candidate_owners(self.kind, view.list(self.kind.group, self.kind.plural, ns), pod)
        if not owners:
            return NOTHING
        return Decision((claims.adopt_request(self.identity, self.kind, owners[0], pod),))

    def _sync(self, view: View, key: bytes) -> Decision:
        owner = view.get_key(key)
        if owner is None:
            return NOTHING
        kind, who, now = self.kind, self.identity, view.now
        meta = owner["metadata"]
        ns, uid = meta.get("namespace", ""), meta["uid"]
        selector = kind.selector(owner)
        deleting = bool(meta.get("deletionTimestamp"))
        owned = claims.owned_pods(view.dependents(uid), uid)
        owned_active = [p for p in owned if is_active(p)]

        # 1. claims
        releases = claims.to_release(owner, owned_active, selector)
        adoptions: list[dict] = []
        if not deleting and meta.get("generation") != (owner.get("status") or {}).get("observedGeneration"):
            adoptions = claims.orphans_to_adopt(owner, view.list("", "pods", ns), selector)
        if releases or adoptions:
            reqs = [claims.release_request(who, owner, p) for p in releases]
            reqs += [claims.adopt_request(who, kind, owner, p) for p in adoptions]
            return Decision(tuple(reqs), again=True)
        pods = claims.claimed(owned_active, selector)
        replicas = int((owner.get("spec") or {}).get("replicas", 1) or 0)
        diff = len(pods) - replicas

        # 2. report what the last steps at this instant did
        this_second = rfc3339(now)
        fresh = [p for p in owned if p["metadata"].get("creationTimestamp") == this_second]
        created: list[tuple[int, dict]] = []
        failures: list[history.Refusal] = []
        marker = 0
        if fresh or diff < 0:
            floor = history.instant_floor(view)
            marker = history.last_status_write(view, key, who.name, floor)
            created = history.created_by(view, fresh, who.name, floor)
            failures = history.refused_creates(view, ns, uid, who.name, floor)
        unreported = [p for s, p in created if s > marker]
        new_failures = [f for f in failures if f.seq > marker]
        if unreported or new_failures:
            return self._report(view, owner, pods, unreported, new_failures, now)

        # 3. manage
        real_failures = [f for f in failures if not f.namespace_terminating]
        last_success = max((s for s, _p in created), default=0)
        backing_off = bool(real_failures) and real_failures[-1].seq > last_success and \
            meta.get("generation") == (owner.get("status") or {}).get("observedGeneration")
        retry = status.retry_at(owner.get("status") or {}, now) if backing_off else None
        if not deleting and diff < 0 and not backing_off and not self._namespace_terminating(view, ns):
            # Pods that ended (Failed/Succeeded) in the instant they were made: creating more now
            # would never settle, so let time pass first (upstream would hot-loop in real time).
            churn = any((p.get("status") or {}).get("phase") in ("Failed", "Succeeded") for _s, p in created)
            if churn:
                retry = now + status.MIN_RETRY_US
            else:
                size = manage.next_batch_size(sum(1 for _s, p in created if is_active(p)), manage.create_count(diff))
                reqs = tuple(manage.create_request(who, kind, owner) for _ in range(size))
                return Decision(reqs, again=True)
        if not deleting and diff > 0:
            victims = ranking.pods_to_delete(pods, self._related_pods(view, owner, pods), min(diff, manage.BURST_REPLICAS), now)
            reqs = []
            for p in victims:
                reqs.append(manage.delete_request(who, p))
                reqs.append(status.deleted_event(who, kind, owner, p["metadata"]["name"], now))
            return Decision(tuple(status.name_events(view, reqs)), again=True)

        # 4. status
        new_status = status.calculate_status(owner, pods, now, status.KEEP if backing_off else None)
        wake = _min(status.next_available_at(owner, pods, now), retry)
        if status.unchanged(owner, new_status):
            return Decision(requeue_at=wake) if wake is not None else NOTHING
        return Decision((status.status_request(who, kind, owner, new_status),), requeue_at=wake)

    def _report(self, view: View, owner: dict, pods: list[dict], created: list[dict], failures: list, now: int) -> Decision:
        kind, who = self.kind, self.identity
        reqs = [status.created_event(who, kind, owner, p["metadata"]["name"], now) for p in created]
        real = [f for f in failures if not f.namespace_terminating]
        reqs += [status.failed_create_event(who, kind, owner, f.message, now) for f in real]
        new_status = status.calculate_status(owner, pods, now, real[0].message if real else None)
        # Always written (a no-op is still recorded): it marks these outcomes as reported.
        reqs = status.name_events(view, reqs)
        reqs.append(status.status_request(who, kind, owner, new_status))
        wake = status.retry_at(new_status, now) if real else None
        return Decision(tuple(reqs), requeue_at=_min(wake, status.next_available_at(owner, pods, now)), again=True)

    @staticmethod
    def _namespace_terminating(view: View, ns: str) -> bool:
        obj = view.get("", "namespaces", "", ns)
        return obj is None or bool(obj["metadata"].get("deletionTimestamp")) or \
            (obj.get("status") or {}).get("phase") == "Terminating"

    def _related_pods(self, view: View, owner: dict, pods: list[dict]) -> list[dict]:
        """`getIndirectlyRelatedPods`: the pods of every owner sharing this owner's controller.

        Upstream lists pods by each related owner's selector; here they come from the owner-uid
        index (the pods each related owner controls). An owner without a controller has none.
        """
        ref = controller_ref(owner)
        if ref is None or not ref.get("uid"):
            return []
        seen: dict[str, dict] = {}
        for (group, resource, _ns, _name), sibling in view.dependents(ref["uid"]):
            if group != self.kind.group or resource != self.kind.plural:
                continue
            sref = controller_ref(sibling)
            if sref is None or sref.get("uid") != ref["uid"]:
                continue
            for p in claims.owned_pods(view.dependents(sibling["metadata"]["uid"]), sibling["metadata"]["uid"]):
                seen.setdefault(p["metadata"]["uid"], p)
        return [seen[u] for u in sorted(seen)]


class ReplicaSetController(_Controller):
    """`replicaset-controller`: apps/v1 ReplicaSets."""

    kind = REPLICA_SET
    name = "replicaset-controller"
    identity = controller_identity("replicaset-controller")


class ReplicationManager(_Controller):
    """`replication-controller`: v1 ReplicationControllers."""

    kind = REPLICATION_CONTROLLER
    name = "replication-controller"
    identity = controller_identity("replication-controller")


__all__ = ["ORPHAN", "ReplicaSetController", "ReplicationManager"]
