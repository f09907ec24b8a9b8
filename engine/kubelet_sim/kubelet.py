"""Simulated kubelets: one actor acting for every node, each request sent as `system:node:<name>`.

A pod bound to a node whose kubelet is up (Ready condition True, no `sim.kubetape.io/down`)
moves through upstream's status shapes, one step per decide, each step an `update` of
`pods/status`:

1. First sync: phase Pending, hostIP(s), podIP(s) from the node's podCIDR (`ipam`), startTime,
   qosClass, every container waiting `ContainerCreating` (`PodInitializing` when the pod has init
   containers), conditions PodReadyToStartContainers/Initialized/Ready/ContainersReady/
   PodScheduled with upstream's reasons and messages.
2. After the declared startup delay (`behaviour.startup_delay`, default 1 s; image pulls are
   instant), init containers run one after another, then the containers start: `running`
   with startedAt, containerID and imageID. A container is ready at once, or with a
   readinessProbe at start + initialDelaySeconds and then on its periodSeconds cadence
   (successThreshold 1; an injected failure takes failureThreshold probes; `_readiness`).
3. A command that finishes (`behaviour`) terminates (`Completed` exit 0 / `Error` exit N) when its
   time is up, or at once when an exit is injected (`faults`). The phase follows kubelet's
   `getPhase`: Succeeded/Failed for Never and OnFailure as upstream; a container that must
   restart does so at once the first time, then waits in `CrashLoopBackOff` ("back-off 10s
   restarting failed container=... pod=...") 10 s doubling to 5 min, counting restartCount.
4. A pod with a deletionTimestamp has its containers stopped and is then deleted with grace 0,
   at the same virtual time: in the simulation every container exits at once (code 0) on
   SIGTERM, so terminationGracePeriodSeconds never runs out. A container that never started
   reports `ContainerStatusUnknown` (137) as upstream does for pods terminated before start.

Timed steps return `Decision.requeue_at`, so `Cluster.advance` wakes the kubelet exactly when a
container is due to start, finish, restart or change readiness; every such moment is fixed by the
recorded status and annotations, so a step the kubelet could not take on time (its node was down)
is taken as soon as it looks again. Keys: a pod's object key (a synced pod changed), or a node's
object key (the node changed, or a pod was bound to it and awaits its first sync), which sweeps
the node's pods: a burst of bindings is synced in one pass that reads the node's pods once (from
the event log's pods-by-node index, `idx_node`) for their addresses. While a node is down its
pods do not progress; when it comes back (`sim.kubetape.io/down` removed) the kubelet posts Ready
again and resumes them from their recorded status. Not simulated: startup and liveness probes, pod activeDeadlineSeconds,
ephemeral containers; eviction under memory pressure is `eviction.py`. Before a container first starts, `world.World` checks its volumes,
its image pull (private registries) and its config (ConfigMap/Secret references), keeping it
waiting `ContainerCreating`, `ErrImagePull`/`ImagePullBackOff` or `CreateContainerConfigError`.
"""

from __future__ import annotations

import hashlib
from typing import Iterable

from engine.clock import rfc3339
from engine.codec import unpack
from engine.kubelet_sim import faults, ipam
from engine.kubelet_sim import status as st
from engine.kubelet_sim.behaviour import SECOND, behaviour_of, startup_delay
from engine.kubelet_sim.world import RETRY, RegistryCache, World
from engine.pipeline.identity import UserInfo, node_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key, split_key

NODE_STATUS_UNKNOWN = "NodeStatusUnknown"


def _earliest(*times: int | None) -> int | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def node_condition(node: dict, ctype: str) -> dict | None:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def kubelet_up(node: dict) -> bool:
    ready = node_condition(node, "Ready")
    return not faults.node_down(node) and ready is not None and ready.get("status") == "True"


def internal_ip(node: dict) -> str:
    for a in (node.get("status") or {}).get("addresses") or ():
        if a.get("type") == "InternalIP":
            return a.get("address", "")
    return ""


# --- one container ---------------------------------------------------------------------------------


def _readiness(pod: dict, spec: dict, started: int, now: int) -> tuple[bool, int | None]:
    """Whether the running container is ready now, and when that next changes (or None).

    Readiness is a function of time alone: probes run at `started + initialDelaySeconds +
    k * periodSeconds` (no probe: the check is continuous from the start); the first passing probe
    makes the container ready (successThreshold 1), failureThreshold failing probes inside an
    injected fault's window make it unready, the first probe after the window makes it ready
    again. Every change falls at a moment fixed by the record, so a kubelet that looks late
    (its node was down) acts at once and a timer is never lost."""
    window = faults.unready_window(pod)
    probe = spec.get("readinessProbe")
    if probe is None:
        first, period, threshold = started, 0, 1
    else:
        first = started + int(probe.get("initialDelaySeconds") or 0) * SECOND
        period = max(int(probe.get("periodSeconds") or 10), 1) * SECOND
        threshold = max(int(probe.get("failureThreshold") or 3), 1)

    def tick(t: int) -> int:
        """The first probe at or after `t`."""
        if t <= first or not period:
            return max(t, first)
        return first + st.ceil_div(t - first, period) * period

    segments = [(first, True)]  # (from, ready)
    if window is not None:
        since, until = window
        if first < since:
            fail_at = tick(since) + (threshold - 1) * period
            if until is None or fail_at < until:
                segments.append((fail_at, False))
                if until is not None:
                    segments.append((tick(until), True))
        elif until is None or first < until:
            segments = [(first, False)] + ([(tick(until), True)] if until is not None else [])
    ready = False
    for at, value in segments:
        if now < at:
            return ready, at
        ready = value
    return ready, None


def _start(pod: dict, spec: dict, restart_count: int, now: int, last: dict | None) -> dict:
    cs = st.running(pod, spec, restart_count, now, last)
    b = behaviour_of(spec)
    if b.runs_for == 0:
        return st.terminated(cs, b.exit_code, now)
    ready, _ = _readiness(pod, spec, now, now)
    return {**cs, "ready": ready}


def _restarts(kind: str, policy: str, exit_code: int) -> bool:
    if kind == "sidecar":
        return True
    if kind == "init":
        return exit_code != 0 and policy != "Never"
    return policy == "Always" or (policy == "OnFailure" and exit_code != 0)


def step_container(pod: dict, spec: dict, cs: dict, now: int, *, kind: str, may_start: bool,
                   startable_since: int, world: "World | None" = None) -> tuple[dict, int | None]:
    """One transition of one container: (new status, when it is next due or None). With a `world`,
    the image pull and the container's config are checked before it first starts."""
    policy = (pod.get("spec") or {}).get("restartPolicy") or "Always"
    state = st.state_of(cs)
    restarts = int(cs.get("restartCount") or 0)
    if state in ("waiting", "none") and st.last_terminated(cs) is None:  # never ran
        if not may_start:
            return cs, None
        start_at = startable_since + startup_delay(pod, spec["name"])
        if now < start_at:
            return cs, start_at
        if world is not None:
            blocked = world.before_start(pod, spec, cs, start_at, now)
            if blocked is not None:
                return blocked
        return _start(pod, spec, 0, now, None), None
    if state == "running":
        fault = faults.exit_fault(pod, spec["name"])
        if fault is not None and fault[1] == restarts:
            return st.terminated(cs, fault[0], now), None
        started = st.time_of(cs["state"]["running"].get("startedAt"))
        b = behaviour_of(spec)
        finish = started + b.runs_for if b.runs_for is not None else None
        if finish is not None and now >= finish:
            return st.terminated(cs, b.exit_code, now), None
        ready, ready_due = _readiness(pod, spec, started, now)
        return {**cs, "ready": ready}, _earliest(finish, ready_due)
    term = cs["state"]["terminated"] if state == "terminated" else st.last_terminated(cs)
    if state == "terminated" and not _restarts(kind, policy, int(term.get("exitCode", 0))):
        return cs, None
    ran = st.time_of(term.get("finishedAt")) - st.time_of(term.get("startedAt"))
    delay = st.back_off(restarts, ran)
    restart_at = st.time_of(term.get("finishedAt")) + delay * SECOND
    if delay == 0 or now >= restart_at:
        if world is not None:  # a new container gets a new config: its ConfigMap or Secret may be gone
            blocked = world.config_blocked(pod, spec, {**cs, "lastState": {"terminated": term}}, now)
            if blocked is not None:
                return blocked
        return _start(pod, spec, restarts + 1, now, term), None
    if state == "terminated":
        return st.crash_loop(pod, cs, delay), restart_at
    return cs, restart_at


# --- one pod ---------------------------------------------------------------------------------------


def _statuses(status: dict, field: str) -> dict:
    return {s["name"]: s for s in status.get(field) or ()}


def _finish(pod: dict, status: dict, inits: list[dict], mains: list[dict], now: int, terminal: bool = False) -> dict:
    spec = pod.get("spec") or {}
    phase = st.get_phase(spec, inits, mains, pod_is_terminal=terminal)
    new = dict(status)
    new["phase"] = phase
    if inits:
        new["initContainerStatuses"] = inits
    new["containerStatuses"] = mains
    new["conditions"] = st.conditions(spec, list(status.get("conditions") or []), inits, mains, phase, now)
    return new


def first_status(pod: dict, node: dict, now: int, pod_ip: str) -> dict:
    """What the kubelet reports when it first syncs a pod bound to it."""
    spec = pod.get("spec") or {}
    inits = spec.get("initContainers") or []
    reason = st.POD_INITIALIZING if inits else st.CONTAINER_CREATING
    status = dict(pod.get("status") or {})
    host_ip = internal_ip(node)
    status.update({"hostIP": host_ip, "hostIPs": [{"ip": host_ip}], "startTime": rfc3339(now), "qosClass": st.qos_class(spec)})
    if pod_ip:
        status.update({"podIP": pod_ip, "podIPs": [{"ip": pod_ip}]})
    return _finish(pod, status, [st.waiting(c["name"], c.get("image", ""), reason) for c in inits],
                   [st.waiting(c["name"], c.get("image", ""), reason) for c in spec.get("containers") or ()], now)


def _any_started(status: dict) -> bool:
    """Whether any container ran (the pod's volumes were set up then)."""
    for cs in list(status.get("initContainerStatuses") or ()) + list(status.get("containerStatuses") or ()):
        if st.state_of(cs) in ("running", "terminated") or st.last_terminated(cs) is not None:
            return True
    return False


def advance(pod: dict, now: int, world: "World | None" = None) -> tuple[dict, int | None]:
    """The pod's status after one pass over its containers at `now`, and its next due time."""
    spec = pod.get("spec") or {}
    if world is not None and not _any_started(pod.get("status") or {}) and world.mount_blocked(pod):
        return pod.get("status") or {}, now + RETRY
    status = pod.get("status") or {}
    init_specs, main_specs = spec.get("initContainers") or [], spec.get("containers") or []
    reason = st.POD_INITIALIZING if init_specs else st.CONTAINER_CREATING
    old_inits, old_mains = _statuses(status, "initContainerStatuses"), _statuses(status, "containerStatuses")
    startable = st.time_of(status.get("startTime"))
    dues: list[int | None] = []
    inits: list[dict] = []
    initialized = True
    for c in init_specs:
        cs = old_inits.get(c["name"]) or st.waiting(c["name"], c.get("image", ""), reason)
        sidecar = c.get("restartPolicy") == "Always"
        if not initialized:
            inits.append(cs)
            continue
        cs, due = step_container(pod, c, cs, now, kind="sidecar" if sidecar else "init", may_start=True,
                                 startable_since=startable, world=world)
        state = st.state_of(cs)
        if not sidecar:  # a regular init container is ready once it has succeeded
            cs = {**cs, "ready": state == "terminated" and cs["state"]["terminated"].get("exitCode", 0) == 0}
        inits.append(cs)
        dues.append(due)
        if sidecar and state == "running" and cs.get("started"):
            startable = st.time_of(cs["state"]["running"].get("startedAt"))
        elif not sidecar and state == "terminated" and cs["state"]["terminated"].get("exitCode", 0) == 0:
            startable = st.time_of(cs["state"]["terminated"].get("finishedAt"))
        else:
            initialized = False
    mains: list[dict] = []
    for c in main_specs:
        cs = old_mains.get(c["name"]) or st.waiting(c["name"], c.get("image", ""), reason)
        cs, due = step_container(pod, c, cs, now, kind="main", may_start=initialized, startable_since=startable,
                                 world=world)
        mains.append(cs)
        dues.append(due)
    # Sidecars stop once every regular container has finished for good.
    policy = spec.get("restartPolicy") or "Always"
    if mains and all(st.state_of(m) == "terminated" and not _restarts("main", policy, int(m["state"]["terminated"].get("exitCode", 0)))
                     for m in mains):
        inits = [st.terminated(cs, 0, now) if st.state_of(cs) == "running" else cs for cs in inits]
    return _finish(pod, status, inits, mains, now), _earliest(*dues)


def stopped(pod: dict, now: int) -> dict:
    """The status of a pod whose containers were all stopped (deletion)."""
    status = pod.get("status") or {}

    def stop(cs: dict) -> dict:
        state = st.state_of(cs)
        if state == "running":
            return st.terminated(cs, 0, now)
        if state == "terminated":
            return cs
        last = st.last_terminated(cs)
        if last is not None:
            return {**cs, "ready": False, "started": False, "state": {"terminated": last}}
        return {**cs, "ready": False, "started": False, "state": {"terminated": {
            "exitCode": 137, "reason": st.CONTAINER_STATUS_UNKNOWN, "message": st.MSG_STATUS_UNKNOWN,
            "startedAt": None, "finishedAt": None}}}

    inits = [stop(cs) for cs in status.get("initContainerStatuses") or ()]
    mains = [stop(cs) for cs in status.get("containerStatuses") or ()]
    return _finish(pod, status, inits, mains, now, terminal=True)


class Addresses:
    """The node's address pool for one pass: in-use addresses read once, each handed out once."""

    def __init__(self, node: dict, pods: list[dict] | None = None, used: Iterable[str] | None = None):
        self.node = node
        cidr = ipam.pod_cidr(node)
        if used is None:
            used = ipam.in_use(pods or (), node["metadata"]["name"])
        self.pool = ipam.Pool(cidr, used) if cidr else None

    def take(self, pod: dict) -> str:
        if (pod.get("spec") or {}).get("hostNetwork"):
            return internal_ip(self.node)
        if self.pool is None:
            return ""
        try:
            return self.pool.take()
        except ipam.PoolExhausted:
            return ""


# --- the actor -------------------------------------------------------------------------------------


class _Seen:
    """What the kubelet worked out from one stored version of a pod (named by the digest of its
    bytes): the address it holds for the node's pool, and the moment at which syncing it asked for
    nothing, with the due time that sync gave. All are functions of the bytes (and that moment)
    alone, so this is a cache, not memory: a node sweep skips a pod already found quiet at this
    moment without decoding it, and the pod's own key answers with the same wake-up time."""

    __slots__ = ("digest", "ip", "quiet_at", "due")

    def __init__(self, digest: bytes, ip: str | None):
        self.digest, self.ip = digest, ip
        self.quiet_at: int | None = None
        self.due: int | None = None


def _held_ip(pod: dict) -> str | None:
    """The address the pod holds in its node's pool (`ipam.in_use`), if any."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    if spec.get("hostNetwork") or status.get("phase") in ipam.TERMINAL:
        return None
    return status.get("podIP") or None


SEEN_LIMIT = 1_000_000  # pods remembered before the cache starts over


class Kubelet:
    """Every node's kubelet (requests go out as `system:node:<node>`)."""

    name = "kubelet"
    identity = UserInfo("system:node:*", ("system:nodes", "system:authenticated"))

    def __init__(self) -> None:
        self._seen: dict[bytes, _Seen] = {}  # pod key -> what its latest version seen gave
        self._nodes: dict[bytes, tuple[bytes, dict]] = {}  # node key -> (digest, decoded node)
        self._registries = RegistryCache()  # the recorded private registries, by the settings' digest

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if not entry.changed or obj is None or entry.outcome.digest == "deleted":  # type: ignore[union-attr]
            return ()
        req = entry.request
        if req.group != "":
            return ()
        if req.resource == "pods":
            meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
            if not spec.get("nodeName"):
                return ()
            status = obj.get("status") or {}
            if status.get("phase") in st.TERMINAL and not meta.get("deletionTimestamp"):
                return ()
            if not status.get("startTime"):
                # Not synced yet: the node's sweep takes every new pod of a burst in one pass
                # (one listing for their addresses).
                return (object_key("", "nodes", "", spec["nodeName"]),)
            return (object_key("", "pods", meta.get("namespace", ""), meta.get("name", "")),)
        if req.resource == "nodes":
            return (object_key("", "nodes", "", (obj.get("metadata") or {}).get("name", "")),)
        return ()

    def decide(self, view: View, key: bytes) -> Decision:
        _g, resource, ns, name = split_key(key)
        if resource == "pods":
            raw = view.txn.get("objects", key)
            if raw is None:
                return NOTHING
            raw = bytes(raw)
            digest = hashlib.sha1(raw).digest()
            pod = unpack(raw)
            node_name = (pod.get("spec") or {}).get("nodeName")
            node = self._node_object(view, node_name) if node_name else None
            if node is None or not kubelet_up(node):
                return NOTHING
            if len(self._seen) > SEEN_LIMIT:
                self._seen.clear()
            seen = self._seen.get(key)
            if seen is None or seen.digest != digest:
                seen = self._seen[key] = _Seen(digest, _held_ip(pod))
            elif seen.quiet_at == view.now:
                return Decision(requeue_at=seen.due)  # what syncing it gave at this moment: nothing to do
            requests, due = self.sync(view, pod, node)
            if not requests:
                seen.quiet_at, seen.due = view.now, due
            return Decision(tuple(requests), requeue_at=due)
        if resource == "nodes":
            return self._node(view, name)
        return NOTHING

    # --- nodes -------------------------------------------------------------------------------

    def _node_object(self, view: View, name: str) -> dict | None:
        """The Node, decoded once per stored version (by the digest of its bytes); never changed."""
        key = object_key("", "nodes", "", name)
        raw = view.txn.get("objects", key)
        if raw is None:
            return None
        raw = bytes(raw)
        digest = hashlib.sha1(raw).digest()
        hit = self._nodes.get(key)
        if hit is None or hit[0] != digest:
            if len(self._nodes) > SEEN_LIMIT:
                self._nodes.clear()
            hit = self._nodes[key] = (digest, unpack(raw))
        return hit[1]

    def _node(self, view: View, name: str) -> Decision:
        node = view.get("", "nodes", "", name)
        if node is None or faults.node_down(node):
            return NOTHING
        ready = node_condition(node, "Ready")
        if ready is not None and ready.get("status") == "Unknown" and ready.get("reason") == NODE_STATUS_UNKNOWN:
            return Decision((self._post_ready(view, node),))
        if not kubelet_up(node):
            return NOTHING
        # Every pod's next step falls at a time fixed by its record: a pod whose step fell due while
        # the node was down takes it now (its write re-queues its own key, which keeps its timer);
        # the others' timers are still set. So the sweep needs no timer of its own.
        # This node's pods only, in key order (the pods-by-node index). A burst of bindings sweeps a
        # node once per scheduling pass, so pods already found quiet at this moment are skipped by
        # the digest of their stored bytes (see `_Seen`); the requests are those of a full sweep.
        now = view.now
        if len(self._seen) > SEEN_LIMIT:
            self._seen.clear()
        rows = []
        for key, raw in view.raw_pods_on_node(name):
            digest = hashlib.sha1(raw).digest()
            seen = self._seen.get(key)
            pod = None
            if seen is None or seen.digest != digest:
                pod = unpack(raw)
                seen = self._seen[key] = _Seen(digest, _held_ip(pod))
            rows.append((key, raw, seen, pod))
        addresses: Addresses | None = None
        requests: list[Request] = []
        for key, raw, seen, pod in rows:
            if seen.quiet_at == now:
                continue
            if pod is None:
                pod = unpack(raw)
            if addresses is None and not (pod.get("status") or {}).get("startTime"):
                addresses = Addresses(node, used=[r[2].ip for r in rows if r[2].ip])  # as at the sweep's start
            reqs, due = self.sync(view, pod, node, addresses)
            if reqs:
                requests += reqs
            else:  # a sync that asks for nothing depends on the pod's bytes and the moment only
                seen.quiet_at, seen.due = now, due
        return Decision(tuple(requests))

    def _post_ready(self, view: View, node: dict) -> Request:
        """The kubelet is back: it posts its conditions as healthy again."""
        from engine.bootstrap import InitOptions, node_manifest

        name = node["metadata"]["name"]
        healthy = {c["type"]: c for c in node_manifest(name, 0, InitOptions(start_time=0))[1]["conditions"]}
        now = rfc3339(view.now)
        conditions = []
        for c in (node.get("status") or {}).get("conditions") or ():
            fresh = healthy.get(c.get("type"))
            if fresh is None:
                conditions.append(c)
                continue
            conditions.append({**c, **fresh, "lastHeartbeatTime": now,
                               "lastTransitionTime": c.get("lastTransitionTime") if c.get("status") == fresh["status"] else now})
        body = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "resourceVersion": node["metadata"].get("resourceVersion", "")},
                "status": {**(node.get("status") or {}), "conditions": conditions}}
        who = node_identity(name)
        return Request(verb="update", resource="nodes", name=name, subresource="status", body=body,
                       user=who.name, groups=who.groups)

    # --- pods --------------------------------------------------------------------------------

    def sync(self, view: View, pod: dict, node: dict, addresses: "Addresses | None" = None) -> tuple[list[Request], int | None]:
        """The requests that take `pod` one step further on `node` now, and when it is next due."""
        now = view.now
        meta = pod["metadata"]
        status = pod.get("status") or {}
        if meta.get("deletionTimestamp"):
            requests = []
            if status.get("phase") not in st.TERMINAL:
                new = stopped(pod, now)
                if new != status:
                    requests.append(self._update(pod, node, new))
            if not meta.get("finalizers") or meta.get("deletionGracePeriodSeconds"):
                # status manager: once stopped, delete with grace 0 (finalizers or not; the API
                # server then keeps a finalized pod with its deadline moved back to the start)
                requests.append(self._delete(pod, node))
            return requests, None
        if status.get("phase") in st.TERMINAL:
            return [], None
        if not status.get("startTime"):
            if addresses is None:
                addresses = Addresses(node, view.pods_on_node(node["metadata"]["name"]))
            return [self._update(pod, node, first_status(pod, node, now, addresses.take(pod)))], None
        world = World(view, node["metadata"]["name"], self._registries)
        new, due = advance(pod, now, world)
        if new == status:
            return list(world.events), due
        return [self._update(pod, node, new), *world.events], due

    @staticmethod
    def _update(pod: dict, node: dict, status: dict) -> Request:
        meta = pod["metadata"]
        who = node_identity(node["metadata"]["name"])
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": meta["name"], "namespace": meta.get("namespace", ""),
                             "resourceVersion": meta.get("resourceVersion", "")},
                "status": status}
        return Request(verb="update", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"],
                       subresource="status", body=body, user=who.name, groups=who.groups)

    @staticmethod
    def _delete(pod: dict, node: dict) -> Request:
        meta = pod["metadata"]
        who = node_identity(node["metadata"]["name"])
        return Request(verb="delete", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"],
                       user=who.name, groups=who.groups,
                       params={"gracePeriodSeconds": 0, "preconditions": {"uid": meta.get("uid", "")}})
