"""Creating and deleting pods: the diff, slow-start batches, the burst cap, pods from the template.

Upstream's `manageReplicas` creates `min(-diff, 500)` pods through `slowStartBatch` (batches of
1, 2, 4, ... that stop after the first batch with an error) and deletes `min(diff, 500)` pods
chosen by `ActivePodsWithRanks`. A decide call takes one step, so here a batch is one step: its
size follows from the pods this controller already created at the current instant (the
successes of the earlier batches of this moment), and the outcome of a batch is read back from
the log by the next step (see `history.py`). `slow_start_batch` keeps upstream's function for
its test vectors.
"""

from __future__ import annotations

from typing import Callable

from engine.pipeline.identity import UserInfo
from engine.records import Request
from engine.controllers.replicaset.kinds import ControllerKind
from reducers.storage import clone

BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH_SIZE = 1


def slow_start_batch(count: int, initial_batch_size: int, fn: Callable[[], object]) -> tuple[int, object]:
    """Call `fn` `count` times in batches 1, 2, 4, ...; stop after the first batch with an error.

    `fn` returns an error (anything truthy) or None. Returns (successes, first error or None).
    """
    remaining, successes = count, 0
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        errors = [e for e in (fn() for _ in range(batch)) if e]
        successes += batch - len(errors)
        if errors:
            return successes, errors[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


def batch_sizes(count: int, initial_batch_size: int = SLOW_START_INITIAL_BATCH_SIZE) -> list[int]:
    """The batch sizes `slow_start_batch` uses when every call succeeds."""
    out: list[int] = []
    batch, remaining = min(count, initial_batch_size), count
    while batch > 0:
        out.append(batch)
        remaining -= batch
        batch = min(2 * batch, remaining)
    return out


def create_count(diff: int) -> int:
    """How many pods one sync may still create: -diff capped at the burst (500)."""
    return min(-diff, BURST_REPLICAS) if diff < 0 else 0


def next_batch_size(created_this_instant: int, remaining: int) -> int:
    """The slow-start batch after `created_this_instant` successes at this moment.

    Batches 1, 2, 4, ... have created 2^k - 1 pods after k of them, so the next batch is the
    largest power of two not above created + 1, capped by what is still wanted.
    """
    size = SLOW_START_INITIAL_BATCH_SIZE << max(0, (created_this_instant + 1).bit_length() - 1)
    return max(0, min(size, remaining))


def pod_prefix(name: str) -> str:
    """`getPodsPrefix`: `<name>-`; (the request path truncates a long base to 58 characters)."""
    return f"{name}-"


def controller_ref(kind: ControllerKind, owner: dict) -> dict:
    """`metav1.NewControllerRef`: controller and blockOwnerDeletion both true."""
    meta = owner["metadata"]
    return {"apiVersion": kind.api_version, "kind": kind.kind, "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def pod_from_template(kind: ControllerKind, owner: dict) -> dict:
    """`GetPodFromTemplate`: template labels, annotations and finalizers, the controller ref, the spec."""
    template = (owner.get("spec") or {}).get("template") or {}
    tmeta = template.get("metadata") or {}
    meta: dict = {"generateName": pod_prefix(owner["metadata"]["name"]), "namespace": owner["metadata"].get("namespace", "")}
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    if tmeta.get("finalizers"):
        meta["finalizers"] = list(tmeta["finalizers"])
    meta["ownerReferences"] = [controller_ref(kind, owner)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": clone(template.get("spec") or {})}


def create_request(who: UserInfo, kind: ControllerKind, owner: dict) -> Request:
    return Request(verb="create", resource="pods", namespace=owner["metadata"].get("namespace", ""),
                   body=pod_from_template(kind, owner), user=who.name, groups=who.groups)


def delete_request(who: UserInfo, pod: dict) -> Request:
    """`DeletePod`: a plain delete (the kubelet finishes a bound pod's graceful deletion)."""
    meta = pod["metadata"]
    return Request(verb="delete", resource="pods", namespace=meta.get("namespace", ""), name=meta["name"],
                   user=who.name, groups=who.groups)
