"""From the metrics' proposal to the size to set: upstream's `normalizeDesiredReplicas` (no
`behavior`: min/max, the scale-up limit, the 5-minute downscale stabilization) and
`normalizeDesiredReplicasWithBehaviors` (stabilization windows and rate policies per direction).

Each returns the size and the conditions to set, as (type, status, reason, message) in the order
upstream sets them.
"""

from __future__ import annotations

import math

from engine.controllers.hpa.history import Working, changes_in_period

SECOND = 1_000_000
DOWNSCALE_STABILIZATION_WINDOW_US = 300 * SECOND  # --horizontal-pod-autoscaler-downscale-stabilization
SCALE_UP_LIMIT_FACTOR = 2.0
SCALE_UP_LIMIT_MINIMUM = 4.0
MIN_INT32, MAX_INT32 = -(2**31), 2**31 - 1

Condition = tuple[str, str, str, str]

READY_FOR_NEW_SCALE = ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size")
SCALE_DOWN_STABILIZED = ("AbleToScale", "True", "ScaleDownStabilized",
                         "recent recommendations were higher than current one, applying the highest recent recommendation")
SCALE_UP_STABILIZED = ("AbleToScale", "True", "ScaleUpStabilized",
                       "recent recommendations were lower than current one, applying the lowest recent recommendation")

SCALE_UP_LIMIT = ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
SCALE_DOWN_LIMIT = ("ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
TOO_MANY_REPLICAS = ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
TOO_FEW_REPLICAS = ("TooFewReplicas", "the desired replica count is less than the minimum replica count")
DESIRED_WITHIN_RANGE = ("DesiredWithinRange", "the desired count is within the acceptable range")


def calculate_scale_up_limit(current: int) -> int:
    return int(max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM))


def convert_desired_replicas_with_rules(current: int, desired: int, min_replicas: int, max_replicas: int) -> tuple[int, str, str]:
    """`convertDesiredReplicasWithRules`: clamp to [min, min(max, max(2*current, 4))]."""
    scale_up_limit = calculate_scale_up_limit(current)
    if max_replicas > scale_up_limit:
        maximum, (reason, message) = scale_up_limit, SCALE_UP_LIMIT
    else:
        maximum, (reason, message) = max_replicas, TOO_MANY_REPLICAS
    if desired < min_replicas:
        return (min_replicas, *TOO_FEW_REPLICAS)
    if desired > maximum:
        return maximum, reason, message
    return (desired, *DESIRED_WITHIN_RANGE)


def stabilize_recommendation(w: Working, prenormalized: int, window_us: int = DOWNSCALE_STABILIZATION_WINDOW_US) -> int:
    """`stabilizeRecommendation`: the highest recommendation of the window (this one included),
    then this one is remembered."""
    cutoff = w.now - window_us
    highest = max([prenormalized] + w.in_window(cutoff, inclusive=True))
    w.record(prenormalized)
    return highest


def normalize_desired_replicas(w: Working, current: int, prenormalized: int, min_replicas: int,
                               max_replicas: int) -> tuple[int, list[Condition]]:
    stabilized = stabilize_recommendation(w, prenormalized)
    conditions: list[Condition] = [SCALE_DOWN_STABILIZED if stabilized != prenormalized else READY_FOR_NEW_SCALE]
    desired, reason, message = convert_desired_replicas_with_rules(current, stabilized, min_replicas, max_replicas)
    conditions.append(("ScalingLimited", "False" if desired == stabilized else "True", reason, message))
    return desired, conditions


# --- with behavior ---------------------------------------------------------------------------------


def _window(rules: dict, default_us: int) -> int:
    w = rules.get("stabilizationWindowSeconds")
    return int(w) * SECOND if isinstance(w, int) else default_us


def stabilize_recommendation_with_behaviors(w: Working, current: int, desired: int, up_rules: dict,
                                            down_rules: dict) -> tuple[int, str, str]:
    up_cutoff = w.now - _window(up_rules, 0)
    down_cutoff = w.now - _window(down_rules, DOWNSCALE_STABILIZATION_WINDOW_US)
    up_recommendation = min([desired] + w.in_window(up_cutoff, inclusive=False))
    down_recommendation = max([desired] + w.in_window(down_cutoff, inclusive=False))
    recommendation = current
    if recommendation < up_recommendation:
        recommendation = up_recommendation
    if recommendation > down_recommendation:
        recommendation = down_recommendation
    w.record(desired)
    if desired >= current:
        return recommendation, SCALE_UP_STABILIZED[2], SCALE_UP_STABILIZED[3]
    return recommendation, SCALE_DOWN_STABILIZED[2], SCALE_DOWN_STABILIZED[3]


def _policies(rules: dict) -> list[dict]:
    return [p for p in rules.get("policies") or () if isinstance(p, dict)]


def longest_policy_period_us(rules: dict) -> int:
    return max([int(p.get("periodSeconds") or 0) for p in _policies(rules)] + [0]) * SECOND


def calculate_scale_up_limit_with_scaling_rules(current: int, w: Working, rules: dict) -> int:
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    if select == "Min":
        result, pick = MAX_INT32, min
    else:
        result, pick = MIN_INT32, max
    for policy in _policies(rules):
        period = int(policy.get("periodSeconds") or 0) * SECOND
        added = changes_in_period(w.scale_up, period, w.now)
        deleted = changes_in_period(w.scale_down, period, w.now)
        start = current - added + deleted
        value = int(policy.get("value") or 0)
        if policy.get("type") == "Pods":
            proposed = start + value
        elif policy.get("type") == "Percent":
            proposed = int(math.ceil(start * (1 + value / 100)))
        else:
            continue
        result = pick(result, proposed)
    return result


def calculate_scale_down_limit_with_behaviors(current: int, w: Working, rules: dict) -> int:
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    if select == "Min":
        result, pick = MIN_INT32, max
    else:
        result, pick = MAX_INT32, min
    for policy in _policies(rules):
        period = int(policy.get("periodSeconds") or 0) * SECOND
        added = changes_in_period(w.scale_up, period, w.now)
        deleted = changes_in_period(w.scale_down, period, w.now)
        start = current - added + deleted
        value = int(policy.get("value") or 0)
        if policy.get("type") == "Pods":
            proposed = start - value
        elif policy.get("type") == "Percent":
            proposed = int(start * (1 - value / 100))  # Go's int32(float64): truncation
        else:
            continue
        result = pick(result, proposed)
    return result


def convert_desired_replicas_with_behavior_rate(w: Working, current: int, desired: int, min_replicas: int,
                                                max_replicas: int, up_rules: dict, down_rules: dict) -> tuple[int, str, str]:
    if desired > current:
        limit = calculate_scale_up_limit_with_scaling_rules(current, w, up_rules)
        if limit < current:
            limit = current  # no further scale-up until the scale-up events age out
        maximum = max_replicas
        if maximum > limit:
            maximum, (reason, message) = limit, SCALE_UP_LIMIT
        else:
            reason, message = TOO_MANY_REPLICAS
        if desired > maximum:
            return maximum, reason, message
    elif desired < current:
        limit = calculate_scale_down_limit_with_behaviors(current, w, down_rules)
        if limit > current:
            limit = current
        minimum = min_replicas
        if minimum < limit:
            minimum, (reason, message) = limit, SCALE_DOWN_LIMIT
        else:
            reason, message = TOO_FEW_REPLICAS
        if desired < minimum:
            return minimum, reason, message
    return (desired, *DESIRED_WITHIN_RANGE)


def normalize_desired_replicas_with_behaviors(w: Working, behavior: dict, current: int, prenormalized: int,
                                              min_replicas: int, max_replicas: int) -> tuple[int, list[Condition]]:
    up_rules = behavior.get("scaleUp") if isinstance(behavior.get("scaleUp"), dict) else {}
    down_rules = behavior.get("scaleDown") if isinstance(behavior.get("scaleDown"), dict) else {}
    stabilized, reason, message = stabilize_recommendation_with_behaviors(w, current, prenormalized, up_rules, down_rules)
    conditions: list[Condition] = [("AbleToScale", "True", reason, message) if stabilized != prenormalized
                                   else READY_FOR_NEW_SCALE]
    desired, reason, message = convert_desired_replicas_with_behavior_rate(
        w, current, stabilized, min_replicas, max_replicas, up_rules, down_rules)
    conditions.append(("ScalingLimited", "False" if desired == stabilized else "True", reason, message))
    return desired, conditions


def keep_window_us(behavior: dict | None) -> int:
    """How long recommendations can matter: the longest stabilization window in use."""
    windows = [DOWNSCALE_STABILIZATION_WINDOW_US]
    if isinstance(behavior, dict):
        for key in ("scaleUp", "scaleDown"):
            rules = behavior.get(key)
            if isinstance(rules, dict) and isinstance(rules.get("stabilizationWindowSeconds"), int):
                windows.append(rules["stabilizationWindowSeconds"] * SECOND)
    return max(windows)


__all__ = [
    "DOWNSCALE_STABILIZATION_WINDOW_US", "calculate_scale_up_limit", "convert_desired_replicas_with_rules",
    "stabilize_recommendation", "normalize_desired_replicas", "stabilize_recommendation_with_behaviors",
    "calculate_scale_up_limit_with_scaling_rules", "calculate_scale_down_limit_with_behaviors",
    "convert_desired_replicas_with_behavior_rate", "normalize_desired_replicas_with_behaviors",
    "longest_policy_period_us", "keep_window_us",
]
