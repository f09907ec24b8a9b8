"""Surge and unavailability fenceposts (`ResolveFenceposts`, `MaxSurge`, `MaxUnavailable`, `MinAvailable`)."""

from __future__ import annotations

from typing import Any

from engine.model.intstr import IntOrStringError, scaled_value

MAX_INT32 = 2**31 - 1
ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"


def spec_replicas(obj: dict | None) -> int:
    """`*obj.Spec.Replicas` (the API server defaults it to 1)."""
    if obj is None:
        return 0
    v = (obj.get("spec") or {}).get("replicas")
    return 1 if v is None else int(v)


def strategy_type(d: dict) -> str:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type") or ""


def is_rolling_update(d: dict) -> bool:
    return strategy_type(d) == ROLLING_UPDATE


def rolling_params(d: dict) -> tuple[Any, Any]:
    ru = ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    return ru.get("maxSurge"), ru.get("maxUnavailable")


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    """(surge rounded up, unavailable rounded down); both zero resolves unavailable to 1."""
    surge = scaled_value(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value(0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        # Validation forbids both zero explicitly; rounding down may still get there. Upstream
        # then allows one unavailable pod, on the theory that surge may be blocked by quota.
        unavailable = 1
    return surge, unavailable


def max_surge(d: dict) -> int:
    if not is_rolling_update(d):
        return 0
    try:
        surge, _ = resolve_fenceposts(*rolling_params(d), spec_replicas(d))
    except IntOrStringError:  # caught by validation upstream; Go ignores the error and gets 0
        return 0
    return surge


def max_unavailable(d: dict) -> int:
    replicas = spec_replicas(d)
    if not is_rolling_update(d) or replicas == 0:
        return 0
    try:
        _, unavailable = resolve_fenceposts(*rolling_params(d), replicas)
    except IntOrStringError:
        return 0
    return min(unavailable, replicas)


def min_available(d: dict) -> int:
    if not is_rolling_update(d):
        return 0
    return spec_replicas(d) - max_unavailable(d)
