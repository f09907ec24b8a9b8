"""The HPA replica calculator against upstream's test vectors (k8s-semantics.md section 12, from
`replica_calculator_test.go`): requests of 1 core per pod unless noted, levels in millicores."""

import pytest

from engine.clock import parse_time, rfc3339
from engine.controllers.hpa.replica_calculator import (
    MetricError, PodMetric, external_metric_replicas, group_pods, object_metric_replicas, per_pod_replicas,
    plain_metric_replicas, resource_replicas, within_tolerance,
)

NOW = parse_time("2026-01-01T01:00:00Z")
MIN = 60 * 1_000_000
LONG_AGO = NOW - 60 * MIN


def pod(i, request="1", ready=True, phase="Running", deleting=False, start=LONG_AGO, transition=None, requests=True):
    container = {"name": "c", "image": "x"}
    if requests:
        container["resources"] = {"requests": {"cpu": request}}
    cond = {"type": "Ready", "status": "True" if ready else "False"}
    if transition is not None:
        cond["lastTransitionTime"] = rfc3339(transition)
    meta = {"name": f"p{i}", "namespace": "default", "labels": {"app": "web"}}
    if deleting:
        meta["deletionTimestamp"] = rfc3339(NOW)
    status = {"phase": phase, "conditions": [cond]}
    if start is not None:
        status["startTime"] = rfc3339(start)
    return {"metadata": meta, "spec": {"containers": [container]}, "status": status}


def pods(n, readiness=None, phases=None, requests=None, deleting=None, **kw):
    return [pod(i, request=(requests or ["1"] * n)[i], ready=(readiness or [True] * n)[i],
                phase=(phases or ["Running"] * n)[i], deleting=(deleting or [False] * n)[i], **kw) for i in range(n)]


def levels(*values, names=None):
    names = names or [f"p{i}" for i in range(len(values))]
    return {n: PodMetric(v, NOW, MIN) for n, v in zip(names, values)}


def calc(current, target, ps, ms, **kw):
    return resource_replicas(current, target, "cpu", ps, ms, NOW, **kw)


# --- resource utilization ------------------------------------------------------------------------------


@pytest.mark.parametrize("case, current, target, ps, ms, want", [
    ("scale up", 3, 30, pods(3), levels(300, 500, 700), (5, 50)),
    ("unready pod scales less", 3, 30, pods(3, readiness=[False, True, True]), levels(300, 500, 700), (4, 60)),
    ("unready pods ignored, rebalanced ratio < 1", 3, 30, pods(3, readiness=[True, False, False]), levels(400, 500, 700), (3, 40)),
    ("failed pods ignored", 2, 30, pods(4, readiness=[True, True, False, False], phases=["Running", "Running", "Failed", "Failed"]),
     levels(500, 700), (4, 60)),
    ("deleting pods ignored", 2, 30, pods(4, readiness=[True, True, False, False], deleting=[False, False, True, True]),
     levels(500, 700), (4, 60)),
    ("scale down", 5, 50, pods(5), levels(100, 300, 500, 250, 250), (3, 28)),
    ("scale down excludes unready pods", 5, 50, pods(5, readiness=[True, True, True, False, False]),
     levels(100, 300, 500, 250, 250), (2, 30)),
    ("scale down excludes pending pods", 5, 50, pods(5, readiness=[True] + [False] * 4, phases=["Running"] + ["Pending"] * 4),
     levels(100), (1, 10)),
    ("within tolerance", 3, 100, pods(3, requests=["0.9", "1.0", "1.1"]), levels(1010, 1030, 1020), (3, 102)),
    ("superfluous metrics counted", 4, 100, pods(4), levels(4000, 9500, 3000, 7000, 3200, 2000), (24, 587)),
    ("missing metrics scale down", 4, 100, pods(4), levels(400, 95), (3, 24)),
    ("no change: metric equal to target", 2, 100, pods(2), levels(1000), (2, 100)),
    ("no change: metric above target", 2, 100, pods(2), levels(1900), (2, 190)),
    ("no change: metric below target", 2, 100, pods(2), levels(600), (2, 60)),
    ("no change: unready pod metric missing (direction flip)", 3, 50, pods(3, readiness=[False, True, True]),
     levels(100, 450), (3, 45)),
    ("scale up: unready pod metric missing", 3, 50, pods(3, readiness=[False, True, True]), levels(100, 2000), (4, 200)),
    ("scale down: unready pod metric missing", 4, 50, pods(4, readiness=[False, True, True, True]), levels(100, 100, 100), (3, 10)),
    ("scale down: target over 100", 4, 300, pods(4, readiness=[False, True, True, True], requests=["1", "1", "2", "2"]),
     levels(200, 100, 100), (2, 6)),
    ("rolling update surge: extra pod missing", 2, 50, pods(3), levels(100, 100), (2, 10)),
])
def test_resource_vectors(case, current, target, ps, ms, want):
    replicas, utilization, _raw = calc(current, target, ps, ms)
    assert (replicas, utilization) == want, case


def test_raw_average_value_is_the_mean_of_the_counted_metrics():
    assert calc(3, 30, pods(3), levels(300, 500, 700))[2] == 500
    assert calc(4, 100, pods(4), levels(400, 95))[2] == 247  # (400 + 95) // 2


def test_hot_cpu_pods_are_unready_within_the_initialization_period():
    """A pod started now whose readiness changed less than a metric window ago: its sample is ignored."""
    ps = [pod(0, start=NOW, transition=NOW), pod(1, start=NOW - 3 * MIN), pod(2, start=NOW - 3 * MIN)]
    assert calc(3, 30, ps, levels(300, 500, 700), cpu_initialization_period=2 * MIN,
                delay_of_initial_readiness_status=10 * 1_000_000)[:2] == (4, 60)


def test_group_pods_never_ready_after_initialization():
    """Past the initialization period, an unready pod counts as unready only if it never became ready
    (its transition is within the initial readiness delay of its start)."""
    never = pod(0, ready=False, start=NOW - 10 * MIN, transition=NOW - 10 * MIN + 5 * 1_000_000)
    was_ready = pod(1, ready=False, start=NOW - 10 * MIN, transition=NOW - MIN)
    g = group_pods([never, was_ready], levels(1, 1), "cpu", NOW)
    assert g.unready == {"p0"} and g.ready_count == 1
    g = group_pods([never, was_ready], levels(1, 1), "memory", NOW)  # readiness only matters for cpu
    assert g.unready == frozenset() and g.ready_count == 2


def test_errors():
    with pytest.raises(MetricError, match="missing request for cpu in container c of Pod p0"):
        calc(1, 100, [pod(0, requests=False)], levels(200))
    with pytest.raises(MetricError, match="no metrics returned matched known pods"):
        calc(1, 100, pods(1), levels(100, names=["an-older-pod-name"]))
    with pytest.raises(MetricError, match=r"did not receive metrics for targeted pods \(pods might be unready\)"):
        calc(1, 100, pods(1, readiness=[False]), levels(100))
    with pytest.raises(MetricError, match="no pods returned by selector while calculating replica count"):
        calc(1, 100, [], levels(100))


def test_tolerance_is_gos_abs_test():
    assert within_tolerance(0.9) and within_tolerance(1.0) and within_tolerance(1.09)
    assert not within_tolerance(88 / 80)  # exactly 1.1: outside, as math.Abs(1.0-1.1) > 0.1 in float64
    assert not within_tolerance(0.89)


# --- pods, object and external metrics ------------------------------------------------------------------


@pytest.mark.parametrize("current, target, values, n, want", [
    (3, 15000, (20000, 10000, 30000), 3, (4, 20000)),
    (5, 20000, (12000,) * 5, 5, (3, 12000)),
    (3, 20000, (20000, 21000, 21000), 3, (3, 20666)),
    (5, 20000, (20000, 19000, 21000), 5, (5, 20000)),  # missing metrics: no change
    (2, 17000, (10000, 10000), 3, (2, 10000)),  # rolling update with maxSurge
])
def test_pods_metric_vectors(current, target, values, n, want):
    assert plain_metric_replicas(current, target, pods(n), levels(*values), NOW) == want


def test_object_and_external_vectors():
    assert object_metric_replicas(3, 15000, 20000, pods(3)) == 4
    assert object_metric_replicas(3, 10000, 50000, pods(3, readiness=[False, True, False])) == 5  # ready pods only
    assert object_metric_replicas(5, 20000, 12000, pods(5)) == 3
    assert object_metric_replicas(3, 20000, 20666, pods(3)) == 3  # within tolerance
    assert external_metric_replicas(1, 4400, [8600], pods(1)) == (2, 8600)
    assert external_metric_replicas(3, 4400, [8600], pods(3, readiness=[False, True, False])) == (2, 8600)
    assert per_pod_replicas(3, 2150, 8600) == (4, 2867)
    assert per_pod_replicas(5, 2867, 8600) == (3, 1720)
    assert per_pod_replicas(3, 2900, 8600) == (3, 2867)
    assert per_pod_replicas(0, 5000, 20000) == (4, 0)
    assert per_pod_replicas(0, 5000, 0) == (0, 0)
