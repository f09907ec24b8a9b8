"""RollingUpdate (upstream `update.go` rollingUpdate, findUpdatedPodsOnNode, updatedDesiredNodeCounts).

`counts`: desiredNumberScheduled (nodes that should run a pod), maxSurge and maxUnavailable scaled
on it (both rounded up), and maxUnavailable 1 when both come out 0 for a non-empty set.

Without surge (maxSurge 0): pods are deleted, never created here (the manage step recreates them
with the new template), keeping the number of unavailable nodes within maxUnavailable: a node with
no pod, or with both an old and a new one, or with an unavailable new pod, counts as unavailable;
an old pod that is not available is replaced at once (and counts); available old pods are
replaced while the budget lasts.

With surge: a new pod is created next to an old one, at once when the old one is unavailable
(unless the node should no longer run the pod: then the old pod is just deleted), and otherwise
for at most maxSurge nodes at a time; the old pod goes once the new one is available. Old pods on
nodes that should no longer run them are deleted only as far as availability above the desired
number allows.

Nodes are visited in name order (upstream walks a Go map, in random order); a node whose pods
cannot be classified (two old or two new pods) is left to the manage step.
"""

from __future__ import annotations

from typing import Callable

import attrs

from engine.controllers.daemonset.util import is_pod_updated, surge_count, template_generation, unavailable_count
from engine.model.pods import is_available


@attrs.frozen
class Counts:
    max_surge: int
    max_unavailable: int
    desired: int


def updated_desired_node_counts(ds: dict, nodes: list[dict], node_to_pods: dict[str, list[dict]],
                                should_run: Callable[[dict], tuple[bool, bool]]) -> Counts:
    """`updatedDesiredNodeCounts`; adds an empty entry for every node that should run a pod."""
    desired = 0
    for node in nodes:
        if not should_run(node)[0]:
            continue
        desired += 1
        node_to_pods.setdefault(node["metadata"]["name"], [])
    max_unavailable = unavailable_count(ds, desired)
    max_surge = surge_count(ds, desired)
    if desired > 0 and max_unavailable == 0 and max_surge == 0:
        max_unavailable = 1
    return Counts(max_surge, max_unavailable, desired)


def find_updated_pods_on_node(ds: dict, pods: list[dict], hash_: str) -> tuple[dict | None, dict | None, bool]:
    """`findUpdatedPodsOnNode`: (new pod, old pod, ok) among the pods not being deleted."""
    new = old = None
    generation = template_generation(ds)
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if is_pod_updated(pod, hash_, generation):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


@attrs.frozen
class Plan:
    delete: tuple[dict, ...] = ()
    create: tuple[str, ...] = ()  # node names
    blocked: bool = False  # upstream would return an error (a node it needs is gone)


def rolling_update(ds: dict, nodes: list[dict], node_to_pods: dict[str, list[dict]], hash_: str, now: int,
                   should_run: Callable[[dict], tuple[bool, bool]]) -> Plan:
    """`rollingUpdate`: the old pods to delete and the nodes to surge onto."""
    node_to_pods = {k: list(v) for k, v in node_to_pods.items()}
    counts = updated_desired_node_counts(ds, nodes, node_to_pods, should_run)
    min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)

    def available(pod: dict) -> bool:
        return is_available(pod, min_ready, now)

    if counts.max_surge == 0:
        num_unavailable = 0
        replacements: list[dict] = []
        candidates: list[dict] = []
        for node_name in sorted(node_to_pods):
            new, old, ok = find_updated_pods_on_node(ds, node_to_pods[node_name], hash_)
            if not ok:
                num_unavailable += 1
                continue
            if (old is None and new is None) or (old is not None and new is not None):
                num_unavailable += 1
            elif new is not None:
                if not available(new):
                    num_unavailable += 1
            elif not available(old):
                replacements.append(old)
                num_unavailable += 1
            elif num_unavailable >= counts.max_unavailable:
                continue
            else:
                candidates.append(old)
        remaining = max(0, min(counts.max_unavailable - num_unavailable, len(candidates)))
        return Plan(delete=tuple(replacements + candidates[:remaining]))

    by_name = {n["metadata"]["name"]: n for n in nodes}
    old_to_delete: list[dict] = []
    should_not_run: list[dict] = []
    candidate_nodes: list[str] = []
    allowed_nodes: list[str] = []
    num_surge = num_available = 0
    for node_name in sorted(node_to_pods):
        new, old, ok = find_updated_pods_on_node(ds, node_to_pods[node_name], hash_)
        if not ok:
            num_surge += 1
            continue
        if old is not None:
            if available(old):
                num_available += 1
        elif new is not None and available(new):
            num_available += 1
        if old is None:
            continue
        if new is None:
            node = by_name.get(node_name)
            if node is None:
                return Plan(blocked=True)  # upstream: "couldn't get node for nodeName"
            if not available(old):
                if not should_run(node)[0]:
                    old_to_delete.append(old)
                    continue
                allowed_nodes.append(node_name)
            else:
                if not should_run(node)[0]:
                    should_not_run.append(old)
                    continue
                if num_surge >= counts.max_surge:
                    continue
                candidate_nodes.append(node_name)
        else:
            if not available(new):
                num_surge += 1
                continue
            old_to_delete.append(old)
    remaining_surge = counts.max_surge - num_surge
    deletable = num_available - counts.desired
    if deletable > 0:
        old_to_delete += should_not_run[:min(deletable, len(should_not_run))]
    remaining_surge = max(0, min(remaining_surge, len(candidate_nodes)))
    return Plan(delete=tuple(old_to_delete), create=tuple(allowed_nodes + candidate_nodes[:remaining_surge]))
