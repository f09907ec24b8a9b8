"""The scheduler: filter the nodes, score the rest (LeastAllocated), bind through `pods/binding`.

Upstream's kube-scheduler (`pkg/scheduler`, v1.32 default profile) reduced to its decisions:

- Queue: pods with no `spec.nodeName`, not being deleted, `schedulerName` default-scheduler, no
  scheduling gates; in upstream's PrioritySort order (higher `spec.priority` first, then older),
  ties by namespace/name.
- Filters, in the default plugin order, stopping at a node's first failure as upstream's
  `RunFilterPlugins` does: NodeUnschedulable (cordoned, unless the pod tolerates
  `node.kubernetes.io/unschedulable:NoSchedule`), TaintToleration (NoSchedule/NoExecute taints;
  the first untolerated one is named), NodeAffinity (nodeSelector and required node affinity),
  NodePorts (hostPort conflicts), NodeResourcesFit (pod count, then cpu, memory,
  ephemeral-storage and extended resources: every insufficient one is reported).
- A node whose Ready condition is not True carries the taint the node lifecycle controller would
  have put on it (`TaintNodesByCondition`): `node.kubernetes.io/not-ready` (False or missing),
  `node.kubernetes.io/unreachable` (Unknown), and the memory/disk/pid-pressure and
  network-unavailable taints, so the filter (and its message) is the taint filter's, and
  tolerations for those taints work as upstream.
- Score: NodeResourcesFit's LeastAllocated over cpu and memory (weight 1 each), computed on the
  non-zero requests (100m cpu / 200Mi memory for a container that requests none, upstream's
  `DefaultMilliCPURequest`/`DefaultMemoryRequest`), integer arithmetic as upstream. The highest
  score wins; ties go to the first node by name (upstream picks at random).
- Bind: a `create` on `pods/binding`, then the `Scheduled` event. A pod that fits nowhere gets
  `PodScheduled=False` (reason `Unschedulable`) with upstream's FitError message and a
  `FailedScheduling` warning; the message carries DefaultPreemption's post-filter verdict
  (`Preemption is not helpful for scheduling` for nodes whose failure is unresolvable,
  `No preemption victims found for incoming pod` when the node holds no lower-priority pod).
  Preemption itself (evicting lower-priority pods) is not simulated.

One key, `pending`, stands for the whole queue: a pod that appears unscheduled, any Node change,
and a bound pod that goes away or reaches a terminal phase all enqueue it, so a burst of changes
costs one pass. A pass schedules every pending pod in queue order, counting the pods it binds
on the way as upstream's scheduler cache "assumes" them, and writes nothing for a pod whose
recorded verdict is unchanged (so a pass that changes nothing is silent).

A pass reads the event log's pods-by-node index (`idx_node`): the unbound pods under the empty
node name (the only pod objects it reads), and for each bound pod the facts scheduling needs
(requests, host ports, priority, terminal phase), whose bytes are shared by pods of one template
and parsed once per pass. Choosing a node does not try every node for every pod: pods with the
same filter and score inputs (a signature) share a heap of the nodes that pass the static filters
(unschedulable, taints, node affinity), ordered by (score, name). Within a pass a node only gains
pods, so its score can only fall and a dynamic filter (host ports, resource fit) that fails keeps
failing: a stale heap entry is re-scored, a failing node is dropped, and the top entry is exactly
the node the full scan picks (highest score, first name). A pod no node fits gets the full scan,
for upstream's FitError message.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from typing import Iterable

from engine.clock import rfc3339
from engine.codec import pack, unpack
from engine.controllers.events import NORMAL, WARNING, event_request
from engine.log import eventlog
from engine.log.kv import prefix_end
from engine.model.quantity import parse_quantity
from engine.pipeline.identity import UserInfo
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import collection_prefix

SCHEDULER_NAME = "default-scheduler"
PENDING = b"pending"

# Filter reasons (upstream plugin error strings, v1.32).
ERR_NODE_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_UNTOLERATED_TAINT = "node(s) had untolerated taint {%s: %s}"
ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports"
ERR_TOO_MANY_PODS = "Too many pods"
ERR_INSUFFICIENT = "Insufficient %s"
ERR_NO_NODES = "no nodes available to schedule pods"
NO_NODE_AVAILABLE = "0/%d nodes are available"
# DefaultPreemption's post-filter verdicts.
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
PREEMPTION_NO_VICTIMS = "No preemption victims found for incoming pod"
PREEMPTION_NEVER = "not eligible due to preemptionPolicy=Never."
# Condition and events.
REASON_UNSCHEDULABLE = "Unschedulable"
REASON_SCHEDULER_ERROR = "SchedulerError"  # the verdict is an error, not a fit failure (no nodes at all)
EVENT_SCHEDULED = "Scheduled"
EVENT_FAILED = "FailedScheduling"
MSG_SCHEDULED = "Successfully assigned %s/%s to %s"

DEFAULT_MILLI_CPU_REQUEST = 100  # schedutil.DefaultMilliCPURequest
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024  # schedutil.DefaultMemoryRequest
MAX_NODE_SCORE = 100

UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
# Node condition -> the NoSchedule taint the node lifecycle controller derives from it.
_CONDITION_TAINTS = (
    ("Ready", "False", "node.kubernetes.io/not-ready"),
    ("Ready", "Unknown", "node.kubernetes.io/unreachable"),
    ("MemoryPressure", "True", "node.kubernetes.io/memory-pressure"),
    ("DiskPressure", "True", "node.kubernetes.io/disk-pressure"),
    ("PIDPressure", "True", "node.kubernetes.io/pid-pressure"),
    ("NetworkUnavailable", "True", "node.kubernetes.io/network-unavailable"),
)
_TERMINAL = ("Succeeded", "Failed")
# Status codes of a filter verdict.
UNSCHEDULABLE, UNRESOLVABLE = "Unschedulable", "UnschedulableAndUnresolvable"


# --- pod and node facts ------------------------------------------------------------------------


def _milli(value) -> int:
    return math.ceil(parse_quantity(value) * 1000)


def _value(value) -> int:
    return math.ceil(parse_quantity(value))


def _amount(name: str, value) -> int:
    return _milli(value) if name == "cpu" else _value(value)


def _add(total: dict, more: dict) -> dict:
    out = dict(total)
    for k, v in more.items():
        out[k] = out.get(k, 0) + v
    return out


def _max(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = max(out.get(k, 0), v)
    return out


def _container_requests(c: dict, non_zero: bool) -> dict:
    reqs = {k: _amount(k, v) for k, v in ((c.get("resources") or {}).get("requests") or {}).items()}
    if non_zero:
        reqs.setdefault("cpu", DEFAULT_MILLI_CPU_REQUEST)
        reqs.setdefault("memory", DEFAULT_MEMORY_REQUEST)
        return {"cpu": reqs["cpu"], "memory": reqs["memory"]}
    return reqs


def pod_requests(spec: dict, non_zero: bool = False) -> dict:
    """Upstream's `resourcehelper.PodRequests`: the sum over containers (and sidecars), at least
    the largest init container (plus the sidecars started before it), plus the pod overhead.
    cpu is in millicores, everything else in units. `non_zero` applies the scoring defaults."""
    reqs: dict = {}
    for c in spec.get("containers") or ():
        reqs = _add(reqs, _container_requests(c, non_zero))
    sidecars: dict = {}
    init_max: dict = {}
    for c in spec.get("initContainers") or ():
        own = _container_requests(c, non_zero)
        if c.get("restartPolicy") == "Always":
            reqs = _add(reqs, own)
            sidecars = _add(sidecars, own)
            own = sidecars
        else:
            own = _add(own, sidecars)
        init_max = _max(init_max, own)
    reqs = _max(reqs, init_max)
    overhead = {k: _amount(k, v) for k, v in (spec.get("overhead") or {}).items()}
    if overhead:
        reqs = _add(reqs, {k: v for k, v in overhead.items() if not non_zero or k in ("cpu", "memory")})
    return reqs


def host_ports(spec: dict) -> list[tuple[str, str, int]]:
    out = []
    for c in spec.get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("hostPort"):
                out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(p["hostPort"])))
    return out


def _ports_conflict(wanted: list, used: set) -> bool:
    for ip, proto, port in wanted:
        for uip, uproto, uport in used:
            if proto == uproto and port == uport and (ip == uip or "0.0.0.0" in (ip, uip)):
                return True
    return False


def priority(pod: dict) -> int:
    return int((pod.get("spec") or {}).get("priority") or 0)


def tolerates(toleration: dict, taint: dict) -> bool:
    """`Toleration.ToleratesTaint`: an empty effect matches every effect, an empty key (with
    Exists) every key; the operator (default Equal) compares values."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerated(tolerations: Iterable[dict], taint: dict) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def _condition(node: dict, ctype: str) -> dict | None:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def effective_taints(node: dict) -> list[dict]:
    """The node's taints plus those the node lifecycle controller derives from its conditions."""
    taints = [t for t in (node.get("spec") or {}).get("taints") or ()]
    have = {(t.get("key"), t.get("effect")) for t in taints}
    ready = _condition(node, "Ready")
    for ctype, status, key in _CONDITION_TAINTS:
        c = _condition(node, ctype)
        hit = (c is not None and c.get("status") == status) or (
            ctype == "Ready" and status == "False" and ready is None)
        if hit and (key, "NoSchedule") not in have:
            taints.append({"key": key, "effect": "NoSchedule"})
            have.add((key, "NoSchedule"))
    return taints


def _expression_matches(expr: dict, labels: dict) -> bool:
    key, op, values = expr.get("key", ""), expr.get("operator", ""), list(expr.get("values") or ())
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt"):
        if not present or len(values) != 1:
            return False
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def _term_matches(term: dict, node: dict) -> bool:
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False  # an empty term selects no objects
    labels = (node.get("metadata") or {}).get("labels") or {}
    if not all(_expression_matches(e, labels) for e in exprs):
        return False
    name_field = {"metadata.name": node["metadata"]["name"]}
    return all(f.get("key") == "metadata.name" and _expression_matches(f, name_field) for f in fields)


def node_matches_pod(pod: dict, node: dict) -> bool:
    """NodeAffinity's filter: `spec.nodeSelector` and required node affinity (terms ORed,
    expressions ANDed; In, NotIn, Exists, DoesNotExist, Gt, Lt; matchFields on metadata.name)."""
    spec = pod.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    for k, v in (spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is not None:
        return any(_term_matches(t, node) for t in required.get("nodeSelectorTerms") or ())
    return True


def node_static(node: dict) -> tuple[int, dict, list[dict]]:
    """(allowed pods, allocatable amounts without pods, effective taints): what a pass reads of a
    Node object, a function of the object alone."""
    alloc = (node.get("status") or {}).get("allocatable") or {}
    allowed_pods = _value(alloc["pods"]) if "pods" in alloc else 0
    return allowed_pods, {k: _amount(k, v) for k, v in alloc.items() if k != "pods"}, effective_taints(node)


class NodeInfo:
    """What the scheduler knows of one node: its allocatable resources and the pods on it."""

    def __init__(self, node: dict, static: tuple | None = None):
        self.node = node
        self.name = node["metadata"]["name"]
        if static is None:
            static = node_static(node)
        # shared with other passes through `Scheduler._nodes`: read, never changed
        self.allowed_pods, self.allocatable, self._taints = static
        self.requested: dict = {}
        self.non_zero = {"cpu": 0, "memory": 0}
        self.pods: list[tuple[int, dict]] = []  # (priority, requests)
        self.ports: set = set()
        self.version = 0  # bumped by every add: a heap entry scored at another version is stale

    @property
    def taints(self) -> list[dict]:
        return self._taints

    def add(self, pod: dict) -> None:
        spec = pod.get("spec") or {}
        self.add_facts(priority(pod), pod_requests(spec), pod_requests(spec, non_zero=True), host_ports(spec))

    def add_facts(self, prio: int, reqs: dict, non_zero: dict, ports, count: int = 1) -> None:
        """`count` pods with these facts (the same sums as `count` calls of `add`)."""
        if count == 1:
            self.requested = _add(self.requested, reqs)
            self.non_zero = _add(self.non_zero, non_zero)
            self.pods.append((prio, reqs))
        else:
            self.requested = _add(self.requested, {k: v * count for k, v in reqs.items()})
            self.non_zero = _add(self.non_zero, {k: v * count for k, v in non_zero.items()})
            self.pods.extend([(prio, reqs)] * count)
        self.ports.update(ports)
        self.version += 1


# --- filters and score ---------------------------------------------------------------------------


def fit_reasons(reqs: dict, info: NodeInfo, pod_count: int, requested: dict) -> list[str]:
    """NodeResourcesFit's `fitsRequest`: every insufficient resource, pod count first."""
    reasons = []
    if pod_count + 1 > info.allowed_pods:
        reasons.append(ERR_TOO_MANY_PODS)
    if not any(reqs.values()):
        return reasons
    for name in ("cpu", "memory", "ephemeral-storage"):
        want = reqs.get(name, 0)
        if want > 0 and want > info.allocatable.get(name, 0) - requested.get(name, 0):
            reasons.append(ERR_INSUFFICIENT % name)
    for name in sorted(reqs):
        if name in ("cpu", "memory", "ephemeral-storage", "pods") or reqs[name] == 0:
            continue
        if reqs[name] > info.allocatable.get(name, 0) - requested.get(name, 0):
            reasons.append(ERR_INSUFFICIENT % name)
    return reasons


def filter_node(pod: dict, info: NodeInfo) -> tuple[str, list[str]] | None:
    """None when the pod fits the node, else (status code, reasons) of the first failing filter."""
    spec = pod.get("spec") or {}
    return static_filter(pod, spec, info) or dynamic_filter(host_ports(spec), pod_requests(spec), info)


def static_filter(pod: dict, spec: dict, info: NodeInfo) -> tuple[str, list[str]] | None:
    """The filters that read only the pod and the Node object: NodeUnschedulable, TaintToleration,
    NodeAffinity (their verdict cannot change while the node gains pods)."""
    node = info.node
    tolerations = spec.get("tolerations") or []
    if (node.get("spec") or {}).get("unschedulable") and not tolerated(tolerations, UNSCHEDULABLE_TAINT):
        return UNRESOLVABLE, [ERR_NODE_UNSCHEDULABLE]
    for taint in info.taints:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerated(tolerations, taint):
            return UNRESOLVABLE, [ERR_UNTOLERATED_TAINT % (taint.get("key", ""), taint.get("value", ""))]
    if not node_matches_pod(pod, node):
        return UNRESOLVABLE, [ERR_NODE_AFFINITY]
    return None


def dynamic_filter(ports: list, reqs: dict, info: NodeInfo) -> tuple[str, list[str]] | None:
    """NodePorts and NodeResourcesFit: a node that fails them keeps failing as it gains pods."""
    if _ports_conflict(ports, info.ports):
        return UNSCHEDULABLE, [ERR_NODE_PORTS]
    reasons = fit_reasons(reqs, info, len(info.pods), info.requested)
    if reasons:
        return UNSCHEDULABLE, reasons
    return None


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def least_allocated_score(pod: dict, info: NodeInfo) -> int:
    """LeastAllocated: the mean over cpu and memory of (allocatable - requested) / allocatable,
    scaled to 0..100, on non-zero requests."""
    return _score(pod_requests(pod.get("spec") or {}, non_zero=True), info)


def _score(want: dict, info: NodeInfo) -> int:
    total = weights = 0
    for name in ("cpu", "memory"):
        alloc = info.allocatable.get(name, 0)
        if alloc == 0:
            continue
        total += least_requested_score(info.non_zero.get(name, 0) + want.get(name, 0), alloc)
        weights += 1
    return total // weights if weights else 0


def _histogram(counts: dict[str, int]) -> str:
    return ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items()))


def preemption_message(pod: dict, statuses: dict[str, tuple[str, list[str]]], infos: dict[str, NodeInfo]) -> str:
    """DefaultPreemption's post-filter message when no candidate node is found."""
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return "preemption: " + PREEMPTION_NEVER
    counts: dict[str, int] = {}
    mine = priority(pod)
    for name in sorted(statuses):
        code, _reasons = statuses[name]
        if code == UNRESOLVABLE:
            verdicts = [PREEMPTION_NOT_HELPFUL]
        else:
            info = infos[name]
            victims = [p for p in info.pods if p[0] < mine]
            if not victims:
                verdicts = [PREEMPTION_NO_VICTIMS]
            else:
                kept = [r for p, r in info.pods if p >= mine]
                requested: dict = {}
                for r in kept:
                    requested = _add(requested, r)
                after = fit_reasons(pod_requests(pod.get("spec") or {}), info, len(kept), requested)
                # Preemption is not simulated: a node where evicting would help is reported as
                # having no victims.
                verdicts = after or [PREEMPTION_NO_VICTIMS]
        for v in verdicts:
            counts[v] = counts.get(v, 0) + 1
    return "preemption: " + (NO_NODE_AVAILABLE % len(statuses)) + ": " + _histogram(counts) + "."


def fit_error_message(pod: dict, statuses: dict[str, tuple[str, list[str]]], infos: dict[str, NodeInfo]) -> str:
    """`FitError.Error()` (v1.32): `0/N nodes are available: <sorted reason histogram>.` then the
    post-filter (preemption) message."""
    if not statuses:
        return ERR_NO_NODES
    counts: dict[str, int] = {}
    for _code, reasons in statuses.values():
        for r in reasons:
            counts[r] = counts.get(r, 0) + 1
    msg = (NO_NODE_AVAILABLE % len(statuses)) + ":"
    if counts:
        msg += f" {_histogram(counts)}."
    return msg + " " + preemption_message(pod, statuses, infos)


def schedule_one(pod: dict, infos: dict[str, NodeInfo]) -> tuple[str | None, str]:
    """(chosen node, "") or (None, the FitError message)."""
    statuses: dict[str, tuple[str, list[str]]] = {}
    best: tuple[int, str] | None = None
    for name in sorted(infos):
        verdict = filter_node(pod, infos[name])
        if verdict is not None:
            statuses[name] = verdict
            continue
        score = least_allocated_score(pod, infos[name])
        if best is None or score > best[0]:
            best = (score, name)
    if best is not None:
        return best[1], ""
    return None, fit_error_message(pod, statuses, infos)


def signature(spec: dict) -> bytes:
    """Everything the filters and the score read from a pod: pods with equal signatures get the
    same verdict from every node in the same state."""
    return pack([spec.get("tolerations"), spec.get("nodeSelector"), spec.get("affinity"), spec.get("overhead"),
                 [[c.get("resources"), c.get("ports")] for c in spec.get("containers") or ()],
                 [[c.get("resources"), c.get("restartPolicy")] for c in spec.get("initContainers") or ()]])


class _Candidates:
    """The nodes that pass a signature's static filters, in a heap by (-score, name, version)."""

    def __init__(self, pod: dict, infos: dict[str, NodeInfo]):
        spec = pod.get("spec") or {}
        self.ports = host_ports(spec)
        self.reqs = pod_requests(spec)
        self.want = pod_requests(spec, non_zero=True)
        self.heap = [(-_score(self.want, info), name, info.version)
                     for name, info in infos.items() if static_filter(pod, spec, info) is None]
        heapq.heapify(self.heap)

    def best(self, infos: dict[str, NodeInfo]) -> str | None:
        """The feasible node with the highest score (the first by name among equals), or None."""
        heap = self.heap
        while heap:
            _neg, name, version = heap[0]
            info = infos[name]
            if version != info.version:  # it gained pods since it was scored: its score can only be lower
                heapq.heapreplace(heap, (-_score(self.want, info), name, info.version))
                continue
            if dynamic_filter(self.ports, self.reqs, info) is not None:
                heapq.heappop(heap)  # fails now, so fails for the rest of the pass
                continue
            return name
        return None


def _bound_facts(raw: bytes, cache: dict) -> tuple:
    """(terminal, priority, requests, non-zero requests, host ports) of an `idx_node` row's facts."""
    facts = cache.get(raw)
    if facts is None:
        pod = unpack(raw)
        spec = pod.get("spec") or {}
        facts = ((pod.get("status") or {}).get("phase") in _TERMINAL, priority(pod), pod_requests(spec),
                 pod_requests(spec, non_zero=True), host_ports(spec))
        cache[raw] = facts
    return facts


_NODES = collection_prefix("", "nodes", "")
NODE_CACHE_LIMIT = 100_000


def node_infos(view: View, cache: dict | None = None) -> dict[str, NodeInfo]:
    """Every node with the pods bound to it (the non-terminal ones), from the pods-by-node index.

    `cache` (node key -> (digest of its stored bytes, node, `node_static`)) keeps the decoded
    Node and its parsed resources from pass to pass while its bytes stay the same."""
    if cache is None:
        cache = {}
    elif len(cache) > NODE_CACHE_LIMIT:
        cache.clear()
    infos: dict[str, NodeInfo] = {}
    for k, raw in view.txn.scan("objects", _NODES, prefix_end(_NODES)):
        raw = bytes(raw)
        digest = hashlib.sha1(raw).digest()
        key = bytes(k)
        hit = cache.get(key)
        if hit is None or hit[0] != digest:
            node = unpack(raw)
            hit = cache[key] = (digest, node, node_static(node))
        infos[hit[1]["metadata"]["name"]] = NodeInfo(hit[1], hit[2])
    counts: dict[tuple[bytes, bytes], int] = {}
    for k, raw in eventlog.scan_node_index(view.txn):
        node = bytes(k[:k.index(eventlog.SEP)])
        if node:
            group = (node, bytes(raw))
            counts[group] = counts.get(group, 0) + 1
    cache: dict = {}
    for (node_b, raw), n in counts.items():
        info = infos.get(node_b.decode())
        if info is None:
            continue
        terminal, prio, reqs, non_zero, ports = _bound_facts(raw, cache)
        if not terminal:
            info.add_facts(prio, reqs, non_zero, ports, n)
    return infos


def named_event(view: View, taken: set, req: Request) -> Request:
    """The event with its name decided here (`<object>.<unix nanos in hex>`, bumped past names in
    use), which is the name the request path would derive from its `generateName`: the shared
    `event_request` sends `generateName: "<object>."`, which object-meta validation rejects."""
    body = dict(req.body)
    meta = dict(body["metadata"])
    base = meta.pop("generateName")
    salt = 0
    while True:
        name = base + format(view.now * 1000 + salt, "x")
        if (req.namespace, name) not in taken and view.get("", "events", req.namespace, name) is None:
            break
        salt += 1
    taken.add((req.namespace, name))
    meta["name"] = name
    body["metadata"] = meta
    return Request(verb=req.verb, resource=req.resource, namespace=req.namespace, body=body, user=req.user,
                   groups=req.groups)


def _queue_key(pod: dict):
    meta = pod["metadata"]
    return (-priority(pod), meta.get("creationTimestamp") or "", meta.get("namespace", ""), meta["name"])


def is_pending(pod: dict) -> bool:
    spec = pod.get("spec") or {}
    return (not spec.get("nodeName") and not pod["metadata"].get("deletionTimestamp")
            and (spec.get("schedulerName") or SCHEDULER_NAME) == SCHEDULER_NAME
            and not spec.get("schedulingGates")
            and (pod.get("status") or {}).get("phase") not in _TERMINAL)


# --- the actor -------------------------------------------------------------------------------------


class Scheduler:
    name = "default-scheduler"
    identity = UserInfo("system:kube-scheduler", ("system:authenticated",))

    def __init__(self) -> None:
        self._nodes: dict = {}  # a cache of decoded nodes by the digest of their bytes (`node_infos`)

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if not entry.changed or obj is None:
            return ()
        req = entry.request
        if req.group != "":
            return ()
        if req.resource == "nodes":
            return (PENDING,)
        if req.resource != "pods":
            return ()
        gone = entry.outcome.digest == "deleted"  # type: ignore[union-attr]
        spec = obj.get("spec") or {}
        if spec.get("nodeName"):
            # A bound pod frees its resources when it goes away or reaches a terminal phase.
            if gone or (obj.get("status") or {}).get("phase") in _TERMINAL:
                return (PENDING,)
            return ()
        if gone or (req.user == self.identity.name and req.subresource == "status"):
            return ()  # our own verdict, or a pending pod that went away
        return (PENDING,) if is_pending(obj) else ()

    def decide(self, view: View, key: bytes) -> Decision:
        if key != PENDING:
            return NOTHING
        pending = sorted((p for p in view.pods_on_node("") if is_pending(p)), key=_queue_key)
        if not pending:
            return NOTHING
        infos = node_infos(view, self._nodes)
        requests: list[Request] = []
        taken: set = set()
        candidates: dict[bytes, _Candidates] = {}
        for pod in pending:
            sig = signature(pod.get("spec") or {})
            cands = candidates.get(sig)
            if cands is None:
                cands = candidates[sig] = _Candidates(pod, infos)
            node, message = cands.best(infos), ""
            if node is None:
                node, message = schedule_one(pod, infos)  # the full scan: upstream's FitError message
            if node is not None:
                infos[node].add(pod)  # assumed: later pods in this pass see it
                reqs = self._bind(view, pod, node)
            else:
                reqs = self._unschedulable(view, pod, message)
            requests += [named_event(view, taken, r) if r.resource == "events" else r for r in reqs]
        return Decision(tuple(requests))

    # --- requests ------------------------------------------------------------------------------

    def _bind(self, view: View, pod: dict, node: str) -> list[Request]:
        meta = pod["metadata"]
        ns, name = meta.get("namespace", "default"), meta["name"]
        body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "namespace": ns},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        bind = Request(verb="create", resource="pods", namespace=ns, name=name, subresource="binding", body=body,
                       user=self.identity.name, groups=self.identity.groups)
        event = event_request(self.identity, SCHEDULER_NAME, pod, NORMAL, EVENT_SCHEDULED,
                              MSG_SCHEDULED % (ns, name, node), view.now)
        return [bind, event]

    def _unschedulable(self, view: View, pod: dict, message: str) -> list[Request]:
        status = dict(pod.get("status") or {})
        conditions = list(status.get("conditions") or [])
        old = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
        reason = REASON_SCHEDULER_ERROR if message == ERR_NO_NODES else REASON_UNSCHEDULABLE
        if old is not None and old.get("status") == "False" and old.get("reason") == reason \
                and old.get("message") == message:
            return []  # converged: the same verdict is already recorded
        cond = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                "lastTransitionTime": old.get("lastTransitionTime") if old is not None and old.get("status") == "False"
                else rfc3339(view.now), "reason": reason, "message": message}
        if old is None:
            conditions.append(cond)
        else:
            conditions = [cond if c is old else c for c in conditions]
        status["conditions"] = conditions
        status.setdefault("phase", "Pending")
        meta = pod["metadata"]
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": meta["name"], "namespace": meta.get("namespace", "default"),
                             "resourceVersion": meta.get("resourceVersion", "")},
                "status": status}
        update = Request(verb="update", resource="pods", namespace=meta.get("namespace", "default"), name=meta["name"],
                         subresource="status", body=body, user=self.identity.name, groups=self.identity.groups)
        event = event_request(self.identity, SCHEDULER_NAME, pod, WARNING, EVENT_FAILED, message, view.now)
        return [update, event]
