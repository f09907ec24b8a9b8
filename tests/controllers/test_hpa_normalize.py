"""HPA normalization (min/max, scale-up limit, stabilization, behavior policies) and the history
kept on the object, as pure functions."""

from engine.clock import parse_time
from engine.controllers.hpa import history as hist
from engine.controllers.hpa.normalize import (
    calculate_scale_down_limit_with_behaviors, calculate_scale_up_limit_with_scaling_rules,
    convert_desired_replicas_with_rules, normalize_desired_replicas, normalize_desired_replicas_with_behaviors,
)

T0 = parse_time("2026-01-01T00:00:00Z")
S = 1_000_000
UP = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
      "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]}
DOWN = {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def working(now, h=None):
    return hist.Working(h or hist.History(), now, now - 15 * S)


def test_convert_with_rules_vectors():
    assert convert_desired_replicas_with_rules(1, 10, 1, 20) == (4, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
    assert convert_desired_replicas_with_rules(10, 30, 1, 100)[0] == 20
    assert convert_desired_replicas_with_rules(3, 0, 1, 5) == (1, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
    assert convert_desired_replicas_with_rules(3, 6, 1, 5) == (5, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
    assert convert_desired_replicas_with_rules(3, 4, 1, 5) == (4, "DesiredWithinRange", "the desired count is within the acceptable range")


def test_downscale_is_held_by_the_highest_recommendation_of_five_minutes():
    w = working(T0)
    w.record_initial(3)
    desired, conds = normalize_desired_replicas(w, 3, 2, 1, 10)
    assert desired == 3 and conds[0][2] == "ScaleDownStabilized" and conds[1][:3] == ("ScalingLimited", "False", "DesiredWithinRange")
    h = w.result(300 * S, 0, 0, prune=True)
    assert h.current == 2 and h.recommendations == ((3, T0),)
    # 5 minutes later the 3 is still inside the window (the cutoff is inclusive) ...
    w = working(T0 + 300 * S, h)
    assert normalize_desired_replicas(w, 3, 2, 1, 10)[0] == 3
    # ... 15 s after that it is not.
    w = working(T0 + 315 * S, w.result(300 * S, 0, 0, prune=False))
    desired, conds = normalize_desired_replicas(w, 3, 2, 1, 10)
    assert desired == 2 and conds[0][2] == "ReadyForNewScale"


def test_history_is_stable_while_the_recommendation_is():
    w = working(T0)
    w.record_initial(2)
    normalize_desired_replicas(w, 2, 2, 1, 10)
    first = hist.render(w.result(300 * S, 0, 0, prune=False))
    assert first == '{"current":2}'
    for k in range(1, 5):
        w = working(T0 + 15 * k * S, hist.parse({"metadata": {"annotations": {hist.ANNOTATION: first}}}))
        normalize_desired_replicas(w, 2, 2, 1, 10)
        assert hist.render(w.result(300 * S, 0, 0, prune=False)) == first


def test_history_round_trip():
    h = hist.History(True, 4, ((5, T0), (6, T0 + 15 * S)), ((1, T0),), ((2, T0 + 30 * S),))
    obj = {"metadata": {"annotations": {hist.ANNOTATION: hist.render(h)}}}
    assert hist.parse(obj) == h
    assert hist.parse({"metadata": {}}) == hist.History()


def test_behavior_scale_up_rate_and_events():
    w = working(T0)
    w.record_initial(1)
    behavior = {"scaleUp": UP, "scaleDown": DOWN}
    desired, conds = normalize_desired_replicas_with_behaviors(w, behavior, 1, 10, 1, 20)
    assert desired == 5 and conds[1] == ("ScalingLimited", "True", "ScaleUpLimit",
                                         "the desired replica count is increasing faster than the maximum scale rate")
    w.store_scale_event(1, 5)
    # within the policies' 15 s period the 4 added replicas count against the limit
    assert calculate_scale_up_limit_with_scaling_rules(5, w, UP) == 5
    w2 = working(T0 + 15 * S, w.result(300 * S, 15 * S, 15 * S, prune=False))
    assert calculate_scale_up_limit_with_scaling_rules(5, w2, UP) == 10  # the event is now older than the period


def test_behavior_scale_down_window_defaults_to_five_minutes():
    w = working(T0)
    w.record_initial(6)
    desired, conds = normalize_desired_replicas_with_behaviors(w, {"scaleUp": UP, "scaleDown": DOWN}, 6, 2, 1, 10)
    assert desired == 6 and conds[0][2] == "ScaleDownStabilized"
    w = working(T0 + 301 * S, w.result(300 * S, 15 * S, 15 * S, prune=False))
    assert normalize_desired_replicas_with_behaviors(w, {"scaleUp": UP, "scaleDown": DOWN}, 6, 2, 1, 10)[0] == 2


def test_behavior_policies_select_and_disable():
    w = working(T0)
    pods2 = {"selectPolicy": "Min", "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60},
                                                 {"type": "Percent", "value": 50, "periodSeconds": 60}]}
    assert calculate_scale_up_limit_with_scaling_rules(10, w, pods2) == 12
    assert calculate_scale_down_limit_with_behaviors(10, w, pods2) == 8
    assert calculate_scale_up_limit_with_scaling_rules(10, w, {**pods2, "selectPolicy": "Max"}) == 15
    assert calculate_scale_down_limit_with_behaviors(10, w, {**pods2, "selectPolicy": "Max"}) == 5
    assert calculate_scale_up_limit_with_scaling_rules(10, w, {**pods2, "selectPolicy": "Disabled"}) == 10
