"""Which daemon pods to create and delete (upstream `manage`, `podsShouldBeOnNode`, `syncNodes`).

- `nodes_to_daemon_pods`: the claimed pods grouped by target node (`spec.nodeName`, else the
  node the `matchFields metadata.name` affinity term names); terminal pods that are being deleted
  are left out unless asked for (the kubelet or the pod GC is removing them).
- `pods_should_be_on_node`, per node:
  * should run and no pod -> create one;
  * should continue running -> delete Failed pods (a `FailedDaemonPod` warning, limited by a
    per-node back-off: 1 s doubling to 15 min, reset after 30 min without failures) and
    Succeeded ones (a `SucceededDaemonPod` event); without surge keep only the oldest running pod
    (scheduled first, then by creation time and name); with surge keep the oldest pod of the
    current hash and the oldest of an older one, deleting the old one once it is not ready or the
    new one is available, and create a pod when none is left and the node should run one;
  * should not continue running -> delete every pod there that is not already being deleted.
- Pods waiting for a node that no longer exists and never scheduled are deleted
  (`getUnscheduledPodsWithoutNode`); scheduled ones are the pod GC's.
- `daemon_pod(...)`: the pod `syncNodes` creates for a node: the template with the daemon
  tolerations, the `controller-revision-hash` (and `pod-template-generation`) labels, the required
  node affinity replaced by the node's `matchFields` term, `generateName: <ds>-` and the
  controller ref. The default scheduler then binds it to that node.
- At most `BURST_REPLICAS` (250) creates and deletes per sync; creates go in slow-start batches
  (1, 2, 4, ...), one batch per decide step (see the replicaset controller's `manage`).
"""

from __future__ import annotations

import functools
from typing import Callable, Iterable

import attrs

from engine.clock import parse_time
from engine.controllers.daemonset.claims import new_controller_ref
from engine.controllers.daemonset.predicates import node_should_run
from engine.controllers.daemonset.util import (CONTROLLER_REVISION_HASH, allows_surge, create_pod_template,
                                               labels_of, replace_node_name_affinity, target_node_name)
from engine.model.pods import is_available, is_ready
from engine.pipeline.identity import UserInfo
from engine.records import Request
from reducers.storage import clone

BURST_REPLICAS = 250

# failedPodsBackoff: flowcontrol.NewBackOff(1*time.Second, 15*time.Minute) in kube-controller-manager.
BACKOFF_INITIAL_US = 1_000_000
BACKOFF_MAX_US = 15 * 60 * 1_000_000

FAILED_DAEMON_POD = "FailedDaemonPod"
SUCCEEDED_DAEMON_POD = "SucceededDaemonPod"
MSG_FAILED_DAEMON_POD = "Found failed daemon pod {ns}/{name} on node {node}, will try to kill it"
MSG_SUCCEEDED_DAEMON_POD = "Found succeeded daemon pod {ns}/{name} on node {node}, will try to delete it"


def _phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def _deleting(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_terminal(pod: dict) -> bool:
    return _phase(pod) in ("Succeeded", "Failed")


def nodes_to_daemon_pods(pods: Iterable[dict], include_deleted_terminal: bool = False) -> dict[str, list[dict]]:
    """`getNodesToDaemonPods` on already claimed pods (pods naming no node are skipped)."""
    out: dict[str, list[dict]] = {}
    for pod in pods:
        if not include_deleted_terminal and is_terminal(pod) and _deleting(pod):
            continue
        node = target_node_name(pod)
        if node is None:
            continue
        out.setdefault(node, []).append(pod)
    return out


def _created(pod: dict) -> int:
    text = pod["metadata"].get("creationTimestamp")
    try:
        return parse_time(text) if text else 0
    except ValueError:
        return 0


def _by_creation_and_phase(a: dict, b: dict) -> int:
    """`podByCreationTimestampAndPhase`: scheduled pods first, then older, then by name."""
    sa, sb = bool((a.get("spec") or {}).get("nodeName")), bool((b.get("spec") or {}).get("nodeName"))
    if sa != sb:
        return -1 if sa else 1
    ca, cb = _created(a), _created(b)
    if ca == cb:
        na, nb = a["metadata"]["name"], b["metadata"]["name"]
        return (na > nb) - (na < nb)
    return -1 if ca < cb else 1


def sort_pods(pods: Iterable[dict]) -> list[dict]:
    return sorted(pods, key=functools.cmp_to_key(_by_creation_and_phase))


@attrs.frozen
class Backoff:
    """The failed-pod back-off of one node: whether a delete must wait, and until when."""

    waiting: bool = False
    until: int | None = None


def backoff_state(failures: Iterable[int], now: int) -> Backoff:
    """Replay flowcontrol.Backoff over the times failed pods were deleted on one node (oldest
    first): `Next` starts at 1 s (or again after 2 x 15 min without a failure) and doubles up to
    15 min; `IsInBackOffSinceUpdate` holds while less than the current delay has passed."""
    delay, last = None, None
    for t in failures:
        if delay is None or last is None or t - last > 2 * BACKOFF_MAX_US:
            delay = BACKOFF_INITIAL_US
        else:
            delay = min(delay * 2, BACKOFF_MAX_US)
        last = t
    if delay is None or last is None or now - last > 2 * BACKOFF_MAX_US:
        return Backoff()
    if now - last < delay:
        return Backoff(True, last + delay)
    return Backoff()


@attrs.frozen
class NodePlan:
    create: bool = False
    delete: tuple[dict, ...] = ()
    events: tuple[tuple[str, str, str], ...] = ()  # (type, reason, message)
    requeue_at: int | None = None


def pods_should_be_on_node(node: dict, node_to_pods: dict[str, list[dict]], ds: dict, hash_: str, now: int,
                           backoff: Callable[[str], Backoff]) -> NodePlan:
    """`podsShouldBeOnNode` for one node."""
    name = node["metadata"]["name"]
    should_run, should_continue = node_should_run(node, ds)
    pods = node_to_pods.get(name)
    exists = pods is not None
    if should_run and not exists:
        return NodePlan(create=True)
    if should_continue:
        running, delete, events = [], [], []
        requeue = None
        for pod in pods or ():
            if _deleting(pod):
                continue
            meta = pod["metadata"]
            if _phase(pod) == "Failed":
                state = backoff(name)
                if state.waiting:
                    requeue = state.until if requeue is None else min(requeue, state.until)
                    continue
                events.append(("Warning", FAILED_DAEMON_POD,
                               MSG_FAILED_DAEMON_POD.format(ns=meta.get("namespace", ""), name=meta["name"], node=name)))
                delete.append(pod)
            elif _phase(pod) == "Succeeded":
                events.append(("Normal", SUCCEEDED_DAEMON_POD,
                               MSG_SUCCEEDED_DAEMON_POD.format(ns=meta.get("namespace", ""), name=meta["name"], node=name)))
                delete.append(pod)
            else:
                running.append(pod)
        create = False
        if not allows_surge(ds):
            if len(running) > 1:
                delete += sort_pods(running)[1:]
        elif len(running) <= 1:
            create = not running and should_run
        else:
            oldest_new = oldest_old = None
            for pod in sort_pods(running):
                if labels_of(pod).get(CONTROLLER_REVISION_HASH) == hash_:
                    if oldest_new is None:
                        oldest_new = pod
                        continue
                elif oldest_old is None:
                    oldest_old = pod
                    continue
                delete.append(pod)
            if oldest_new is not None and oldest_old is not None:
                min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
                if not is_ready(oldest_old) or is_available(oldest_new, min_ready, now):
                    delete.append(oldest_old)
        return NodePlan(create=create, delete=tuple(delete), events=tuple(events), requeue_at=requeue)
    if exists:
        return NodePlan(delete=tuple(p for p in pods if not _deleting(p)))
    return NodePlan()


def unscheduled_pods_without_node(node_names: set[str], node_to_pods: dict[str, list[dict]]) -> list[dict]:
    """`getUnscheduledPodsWithoutNode`: pods aimed at a node that is gone and never scheduled."""
    out = []
    for node in sorted(node_to_pods):
        if node in node_names:
            continue
        # (upstream lists those being deleted too; deleting one again changes nothing there)
        out += [p for p in node_to_pods[node] if not (p.get("spec") or {}).get("nodeName") and not _deleting(p)]
    return out


def pod_prefix(name: str) -> str:
    return f"{name}-"


def daemon_pod(ds: dict, node_name: str, hash_: str, generation: int | None) -> dict:
    """The pod `syncNodes` creates for `node_name` (`CreatePodTemplate` + `GetPodFromTemplate`)."""
    template = create_pod_template((ds.get("spec") or {}).get("template") or {}, generation, hash_)
    tmeta = template.get("metadata") or {}
    meta: dict = {"generateName": pod_prefix(ds["metadata"]["name"]), "namespace": ds["metadata"].get("namespace", "")}
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    meta["ownerReferences"] = [new_controller_ref(ds)]
    spec = clone(template.get("spec") or {})
    spec["affinity"] = replace_node_name_affinity(spec.get("affinity"), node_name)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def create_request(who: UserInfo, ds: dict, node_name: str, hash_: str, generation: int | None) -> Request:
    return Request(verb="create", resource="pods", namespace=ds["metadata"].get("namespace", ""),
                   body=daemon_pod(ds, node_name, hash_, generation), user=who.name, groups=who.groups)


def delete_request(who: UserInfo, pod: dict) -> Request:
    """`DeletePod`: a plain delete."""
    meta = pod["metadata"]
    return Request(verb="delete", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"],
                   user=who.name, groups=who.groups)
