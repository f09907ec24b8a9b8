"""The DaemonSet controller actor: keys, and upstream's `syncDaemonSet` as one step per decide.

A sync takes the first step that has work, in this order, and returns only its requests (a
converged DaemonSet yields none; a DaemonSet being deleted is left alone, as upstream):

1. claims: release owned pods and ControllerRevisions whose labels stopped matching; adopt
   matching orphans (looked for here only while the spec is unobserved, i.e. generation !=
   observedGeneration; later orphans come through their own `orphan` keys);
2. history: `history.construct` (the hash label, the current revision, dedup, its number);
3. report: the `SuccessfulCreate` events for the pods this controller created at this instant
   and the `FailedCreate` events for the creates the request path refused since its last status
   write at this instant, with that status write (recorded even when it changes nothing: it
   marks these outcomes as reported; see the replicaset controller's `history.py`, reused here);
4. manage: one slow-start batch of creates for nodes that should run a pod and have none, or
   else the deletes (failed, succeeded, excess and misplaced pods, pods waiting for a node that
   is gone), each with its `SuccessfulDelete` event; refused creates are retried after a delay
   that doubles with the failure streak (1 s up to 1000 s, upstream's rate limiter in virtual
   time), read from this DaemonSet's `FailedCreate`/`SuccessfulCreate` events;
5. rolling update (RollingUpdate strategy): the old pods to delete and the nodes to surge onto;
   OnDelete does nothing here (pods are replaced only as the user deletes them);
6. history cleanup beyond revisionHistoryLimit;
7. status: written when it changed; wake up when a ready pod turns available or a back-off ends.

Keys (each O(1) to derive):

* the DaemonSet's object key: the DaemonSet changed (not by this controller's own status write),
  or a pod or ControllerRevision it controls changed or went away;
* `nodes`: a Node was added or changed: every DaemonSet is synced, one step at a time, until
  none has work (upstream's addNode/updateNode enqueue the DaemonSets whose predicates the node
  satisfies or changed; a deleted Node enqueues nothing upstream either: its pods go through
  the pod GC, whose deletes then wake the DaemonSet);
* `orphan\\x01<object key>`: a pod or ControllerRevision without a controller ref appeared or
  changed; decide hands it to the oldest matching DaemonSet of its namespace.
"""

from __future__ import annotations

from typing import Iterable

from engine.clock import rfc3339
from engine.codec import unpack
from engine.controllers.daemonset import claims, history, manage, status, update
from engine.controllers.daemonset.predicates import node_should_run
from engine.controllers.daemonset.util import CONTROLLER_REVISION_HASH, ROLLING_UPDATE, labels_of, strategy_type, \
    template_generation
from engine.controllers.replicaset import history as log_history
from engine.controllers.replicaset.manage import next_batch_size
from engine.errors import StatusError
from engine.log.kv import prefix_end
from engine.model.intstr import IntOrStringError
from engine.model.pods import controller_ref
from engine.model.selectors import Selector, selector_from_label_selector
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key, split_key

NODES = b"nodes"
ORPHAN = b"orphan\x01"
GROUP, RESOURCE = "apps", "daemonsets"

# Retry delays after refused creates (upstream's per-item rate limiter: 5 ms doubling to 1000 s).
MIN_RETRY_US = 1_000_000
MAX_RETRY_US = 1_000 * 1_000_000
EVENT_SCAN_LIMIT = 1_000


def ds_key(namespace: str, name: str) -> bytes:
    return object_key(GROUP, RESOURCE, namespace, name)


def selector_of(ds: dict) -> Selector | None:
    try:
        return selector_from_label_selector((ds.get("spec") or {}).get("selector"))
    except StatusError:
        return None


def _min(*times: int | None) -> int | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _event_time(name: str) -> int | None:
    """The virtual time (us) in an event's `<object>.<hex unix nanos>` name."""
    _, dot, tail = name.rpartition(".")
    try:
        return int(tail, 16) // 1000 if dot else None
    except ValueError:
        return None


class DaemonSetController:
    name = "daemonset-controller"
    identity = controller_identity("daemon-set-controller")

    # --- keys ----------------------------------------------------------------------------------

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if obj is None or not entry.changed:
            return ()
        req = entry.request
        gone = entry.outcome.digest == "deleted"  # type: ignore[union-attr]
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace", "")
        if req.group == GROUP and req.resource == RESOURCE:
            if gone or (req.subresource == "status" and req.user == self.identity.name):
                return ()  # the garbage collector takes the pods; our own status write needs nothing
            return (ds_key(ns, meta.get("name", "")),)
        if req.group == "" and req.resource == "nodes":
            return () if gone else (NODES,)
        if (req.group, req.resource) not in (("", "pods"), (GROUP, "controllerrevisions")):
            return ()
        ref = controller_ref(obj)
        if ref is not None:
            return (ds_key(ns, ref.get("name", "")),) if ref.get("kind") == claims.KIND else ()
        if gone or meta.get("deletionTimestamp"):
            return ()
        return (ORPHAN + object_key(req.group, req.resource, ns, meta.get("name", "")),)

    # --- decide --------------------------------------------------------------------------------

    def decide(self, view: View, key: bytes) -> Decision:
        if key == NODES:
            return self._every_daemon_set(view)
        if key.startswith(ORPHAN):
            return self._adopt_orphan(view, key[len(ORPHAN):])
        ds = view.get_key(key)
        if ds is None:
            return NOTHING
        return self.sync(view, ds)

    def _every_daemon_set(self, view: View) -> Decision:
        """A node changed: the first step any DaemonSet has, until none has one."""
        daemon_sets = sorted(view.list(GROUP, RESOURCE), key=lambda d: (d["metadata"].get("namespace", ""),
                                                                         d["metadata"]["name"]))
        for ds in daemon_sets:
            d = self.sync(view, ds)
            if d.requests:
                return Decision(d.requests, requeue_at=d.requeue_at, again=True)
        return NOTHING

    def _adopt_orphan(self, view: View, obj_key: bytes) -> Decision:
        obj = view.get_key(obj_key)
        if obj is None or controller_ref(obj) is not None or obj["metadata"].get("deletionTimestamp"):
            return NOTHING
        group, resource, ns, _name = split_key(obj_key)
        owners = claims.candidate_owners(view.list(GROUP, RESOURCE, ns), obj,
                                         lambda d: selector_of(d) or Selector(nothing=True))
        if not owners:
            return NOTHING
        return Decision((claims.adopt_request(self.identity, group, resource, owners[0], obj),))

    # --- one DaemonSet -------------------------------------------------------------------------

    def sync(self, view: View, ds: dict) -> Decision:
        meta = ds["metadata"]
        if meta.get("deletionTimestamp"):
            return NOTHING
        selector = selector_of(ds)
        if selector is None or selector.is_empty():
            return NOTHING  # validation refuses both; upstream logs (or warns SelectingAll) and stops
        who, now = self.identity, view.now
        ns, uid = meta.get("namespace", ""), meta["uid"]
        key = ds_key(ns, meta["name"])
        deps = view.dependents(uid)
        owned_pods = claims.controlled(deps, uid, "", "pods")
        owned_revisions = claims.controlled(deps, uid, GROUP, "controllerrevisions")

        # 1. claims
        pods, release_pods = claims.split_owned(owned_pods, selector)
        revisions, release_revisions = claims.split_owned(owned_revisions, selector)
        adopt_pods: list[dict] = []
        adopt_revisions: list[dict] = []
        if meta.get("generation") != (ds.get("status") or {}).get("observedGeneration"):
            adopt_pods = claims.orphans(ds, view.list("", "pods", ns), selector)
            adopt_revisions = claims.orphans(ds, view.list(GROUP, "controllerrevisions", ns), selector)
        if release_pods or release_revisions or adopt_pods or adopt_revisions:
            reqs = [claims.release_request(who, "", "pods", ds, p) for p in release_pods]
            reqs += [claims.release_request(who, GROUP, "controllerrevisions", ds, r) for r in release_revisions]
            reqs += [claims.adopt_request(who, "", "pods", ds, p) for p in adopt_pods]
            reqs += [claims.adopt_request(who, GROUP, "controllerrevisions", ds, r) for r in adopt_revisions]
            return Decision(tuple(reqs), again=True)

        # 2. history
        hist = history.construct(who, ds, revisions, lambda n: view.get(GROUP, "controllerrevisions", ns, n), pods)
        if hist.requests:
            return Decision(hist.requests, again=True)
        hash_ = labels_of(hist.current).get(CONTROLLER_REVISION_HASH, "")

        nodes = sorted(view.list("", "nodes"), key=lambda n: n["metadata"]["name"])
        verdicts = {n["metadata"]["name"]: node_should_run(n, ds) for n in nodes}

        def should_run(node: dict) -> tuple[bool, bool]:
            return verdicts[node["metadata"]["name"]]

        node_to_pods = manage.nodes_to_daemon_pods(pods)
        failures = _FailureLog(view, ds)
        plans = [manage.pods_should_be_on_node(n, node_to_pods, ds, hash_, now, failures.backoff) for n in nodes]
        to_create = [n["metadata"]["name"] for n, p in zip(nodes, plans) if p.create]
        to_delete = [pod for p in plans for pod in p.delete]
        to_delete += manage.unscheduled_pods_without_node({n["metadata"]["name"] for n in nodes}, node_to_pods)
        plan_events = [e for p in plans for e in p.events]
        backoff_wake = _min(*(p.requeue_at for p in plans))

        # 3. report what the creates at this instant did
        fresh = [p for p in owned_pods if p["metadata"].get("creationTimestamp") == rfc3339(now)]
        created: list[tuple[int, dict]] = []
        refusals: list[log_history.Refusal] = []
        marker = 0
        if fresh or to_create:
            floor = log_history.instant_floor(view)
            marker = log_history.last_status_write(view, key, who.name, floor)
            created = log_history.created_by(view, fresh, who.name, floor)
            refusals = [r for r in log_history.refused_creates(view, ns, uid, who.name, floor)
                        if not r.namespace_terminating]
        unreported = [p for s, p in created if s > marker]
        new_refusals = [r for r in refusals if r.seq > marker]
        if unreported or new_refusals:
            reqs = [status.created_event(who, ds, p["metadata"]["name"], now) for p in unreported]
            reqs += [status.failed_create_event(who, ds, r.message, now) for r in new_refusals]
            reqs.append(status.status_request(who, ds, self._status(ds, nodes, node_to_pods, hash_, now, should_run)))
            wake = self._retry_at(failures, now) if new_refusals else None
            return Decision(tuple(reqs), requeue_at=wake, again=True)

        # 4. manage
        backing_off = bool(refusals) and refusals[-1].seq > max((s for s, _p in created), default=0)
        retry = self._retry_at(failures, now) if backing_off else None

        def may_create() -> bool:
            # In a terminating namespace creates are refused and upstream ignores that error.
            return not backing_off and not _namespace_terminating(view, ns)

        generation = template_generation(ds)
        if to_create and may_create():
            return self._create(view, ds, to_create, created, hash_, generation)
        if to_delete:
            return self._delete(ds, to_delete, plan_events, now)

        # 5. rolling update
        blocked = False
        if strategy_type(ds) == ROLLING_UPDATE:
            try:
                plan = update.rolling_update(ds, nodes, node_to_pods, hash_, now, should_run)
            except IntOrStringError:
                plan = update.Plan(blocked=True)  # upstream: "couldn't get unavailable numbers"
            blocked = plan.blocked
            if plan.create and may_create():
                return self._create(view, ds, list(plan.create), created, hash_, generation)
            if plan.delete:
                return self._delete(ds, list(plan.delete), [], now)

        # 6. history cleanup (upstream skips it when the rolling update failed)
        if not blocked:
            all_pods = manage.nodes_to_daemon_pods(pods, include_deleted_terminal=True)
            reqs = history.cleanup(who, ds, hist.old, [p for ps in all_pods.values() for p in ps])
            if reqs:
                return Decision(reqs, again=True)

        # 7. status
        values = status.counts(ds, nodes, node_to_pods, hash_, now, should_run)
        wake = _min(status.next_available_at(ds, pods, now), backoff_wake, retry)
        if status.unchanged(ds, values):
            return Decision(requeue_at=wake) if wake is not None else NOTHING
        return Decision((status.status_request(who, ds, status.new_status(ds, values)),), requeue_at=wake)

    # --- steps -----------------------------------------------------------------------------------

    def _status(self, ds, nodes, node_to_pods, hash_, now, should_run) -> dict:
        return status.new_status(ds, status.counts(ds, nodes, node_to_pods, hash_, now, should_run))

    def _create(self, view: View, ds: dict, node_names: list[str], created: list[tuple[int, dict]], hash_: str,
                generation: int | None) -> Decision:
        """One slow-start batch of `syncNodes`' creates (capped at the burst)."""
        done = sum(1 for _s, p in created if not p["metadata"].get("deletionTimestamp"))
        size = next_batch_size(done, min(len(node_names), manage.BURST_REPLICAS))
        reqs = tuple(manage.create_request(self.identity, ds, n, hash_, generation) for n in node_names[:size])
        return Decision(reqs, again=True)

    def _delete(self, ds: dict, pods: list[dict], events: list[tuple[str, str, str]], now: int) -> Decision:
        """`syncNodes`' deletes (capped at the burst), each followed by its event."""
        who = self.identity
        reqs: list[Request] = [status.event(who, ds, t, reason, msg, now) for t, reason, msg in events]
        seen: set[str] = set()
        for pod in pods:
            name = pod["metadata"]["name"]
            if name in seen or len(seen) >= manage.BURST_REPLICAS:
                continue
            seen.add(name)
            reqs.append(manage.delete_request(who, pod))
            reqs.append(status.deleted_event(who, ds, name, now))
        return Decision(tuple(reqs), again=True)

    @staticmethod
    def _retry_at(failures: "_FailureLog", now: int) -> int:
        start = failures.create_streak_start(now)
        return now + max(MIN_RETRY_US, min(MAX_RETRY_US, now - start))


def _namespace_terminating(view: View, ns: str) -> bool:
    obj = view.get("", "namespaces", "", ns)
    return obj is None or bool(obj["metadata"].get("deletionTimestamp")) or \
        (obj.get("status") or {}).get("phase") == "Terminating"


class _FailureLog:
    """What this DaemonSet's own events say about past failures, read newest first on demand:
    refused creates since the last successful one, and failed pods deleted per node."""

    def __init__(self, view: View, ds: dict):
        self.view = view
        self.ds = ds
        self._events: list[dict] | None = None

    def events(self) -> list[dict]:
        if self._events is None:
            meta = self.ds["metadata"]
            prefix = object_key("", "events", meta.get("namespace", ""), meta["name"] + ".")
            out = []
            for _k, raw in self.view.txn.scan("objects", prefix, prefix_end(prefix), reverse=True):
                ev = unpack(raw)
                if (ev.get("involvedObject") or {}).get("uid") == meta["uid"]:
                    out.append(ev)
                if len(out) >= EVENT_SCAN_LIMIT:
                    break
            self._events = out
        return self._events

    def create_streak_start(self, now: int) -> int:
        start = now
        for ev in self.events():
            reason = ev.get("reason")
            if reason == status.SUCCESSFUL_CREATE:
                break
            if reason == status.FAILED_CREATE:
                t = _event_time(ev["metadata"]["name"])
                if t is not None:
                    start = min(start, t)
        return start

    def backoff(self, node_name: str) -> manage.Backoff:
        suffix = f" on node {node_name}, will try to kill it"
        times = [t for ev in self.events()
                 if ev.get("reason") == manage.FAILED_DAEMON_POD and str(ev.get("message", "")).endswith(suffix)
                 for t in (_event_time(ev["metadata"]["name"]),) if t is not None]
        return manage.backoff_state(sorted(times), self.view.now)
