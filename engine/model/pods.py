"""Pod predicates shared by controllers (upstream `pkg/api/v1/pod/util.go`, controller_utils)."""

from __future__ import annotations

from engine.clock import parse_time


def is_active(pod: dict) -> bool:
    """Phase not Succeeded/Failed and not being deleted (IsPodActive)."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def ready_condition(pod: dict) -> dict | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c
    return None


def is_ready(pod: dict) -> bool:
    c = ready_condition(pod)
    return c is not None and c.get("status") == "True"


def ready_since(pod: dict) -> int | None:
    """When the pod last became ready (microseconds), or None."""
    c = ready_condition(pod)
    if c is None or c.get("status") != "True" or not c.get("lastTransitionTime"):
        return None
    return parse_time(c["lastTransitionTime"])


def is_available(pod: dict, min_ready_seconds: int, now_us: int) -> bool:
    """Ready, and ready for more than minReadySeconds (strictly), as IsPodAvailable."""
    if not is_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    since = ready_since(pod)
    return since is not None and since + min_ready_seconds * 1_000_000 < now_us


def controller_ref(obj: dict) -> dict | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None
