"""The HPA controller in a full in-memory cluster (every default actor plus the HPA): scaling a
Deployment through its scale subresource on recorded pod usage, the 15 s sync, the downscale
stabilization window, status, conditions and events, and the error paths."""

import pytest

from engine.api import Cluster, default_actors
from engine.bootstrap import InitOptions, init
from engine.clock import parse_time, rfc3339
from engine.client import Client, must
from engine.controllers.hpa import HorizontalPodAutoscalerController
from engine.controllers.hpa.controller import hpa_key, sync_schedule
from engine.controllers.hpa.convert import v1_to_v2
from engine.controllers.hpa.history import ANNOTATION
from engine.controllers.hpa.metrics import usage_key
from engine.controllers.hpa.validation import validate_hpa
from engine.log import eventlog

START = parse_time("2026-01-01T00:00:00Z")
S = 1_000_000
HPA_USER = "system:serviceaccount:kube-system:horizontal-pod-autoscaler"


@pytest.fixture
def cluster():
    actors = default_actors()
    if not any(a.name == "horizontal-pod-autoscaler" for a in actors):
        actors.append(HorizontalPodAutoscalerController())
    c = Cluster.memory(actors=actors)
    init(c, InitOptions(start_time=START))
    yield c
    c.close()


@pytest.fixture
def client(cluster):
    return Client(cluster)


def deployment(name="web", replicas=2, cpu="100m"):
    container = {"name": "nginx", "image": "nginx"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}}}


def hpa(name="web", target="web", min_replicas=2, max_replicas=5, cpu=80, kind="Deployment", api_version="apps/v1", **spec):
    body = {"scaleTargetRef": {"apiVersion": api_version, "kind": kind, "name": target}, "maxReplicas": max_replicas, **spec}
    if min_replicas is not None:
        body["minReplicas"] = min_replicas
    if cpu is not None:
        body["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}}]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name}, "spec": body}


def now(cluster):
    return cluster.head().at


def running_pods(client, app="web"):
    return [p for p in must(client.list("pods", label_selector=f"app={app}"))["items"]
            if not p["metadata"].get("deletionTimestamp")]


def set_cpu(client, value, app="web"):
    for p in running_pods(client, app):
        must(client.patch("pods", p["metadata"]["name"], {"metadata": {"annotations": {usage_key("cpu", "nginx"): value}}},
                          patch_type="merge"))


def replicas(client, name="web"):
    return must(client.get("deploy", name))["spec"]["replicas"]


def get_hpa(client, name="web"):
    return must(client.get("hpa", name))


def conditions(h):
    return {c["type"]: (c["status"], c["reason"]) for c in h["status"].get("conditions") or ()}


def hpa_entries(cluster, after=0):
    with cluster.store.begin() as txn:
        return [e for e in eventlog.scan_entries(txn, after + 1, eventlog.read_head(txn).seq) if e.request.user == HPA_USER]


def hpa_events(cluster, after=0):
    return [(e.request.body["reason"], e.request.body["message"]) for e in hpa_entries(cluster, after)
            if e.request.resource == "events" and e.request.verb == "create"]


def ready_web(cluster, client, replicas_=2, cpu="100m"):
    must(client.create(deployment(replicas=replicas_, cpu=cpu)))
    cluster.advance(30 * S)


# --- the issue's check ---------------------------------------------------------------------------------


def test_scales_up_at_120_percent_and_back_down_only_after_the_stabilization_window(cluster, client):
    ready_web(cluster, client)
    must(client.create(hpa()))
    created = now(cluster)
    set_cpu(client, "120m")  # 120% of the 100m request, against an 80% target
    cluster.advance(15 * S)
    assert replicas(client) == 3
    h = get_hpa(client)
    assert h["status"]["currentReplicas"] == 2 and h["status"]["desiredReplicas"] == 3
    assert h["status"]["lastScaleTime"] == rfc3339(created + 15 * S)
    assert h["status"]["currentMetrics"] == [{"type": "Resource", "resource": {"name": "cpu", "current": {
        "averageUtilization": 120, "averageValue": "120m"}}}]
    assert conditions(h) == {"AbleToScale": ("True", "SucceededRescale"), "ScalingActive": ("True", "ValidMetricFound"),
                             "ScalingLimited": ("False", "DesiredWithinRange")}
    assert hpa_events(cluster) == [("SuccessfulRescale", "New size: 3; reason: cpu resource utilization (percentage of request) above target")]

    cluster.advance(15 * S)  # the new pod has no metrics yet: counted as 0 on a scale-up, so no change
    assert replicas(client) == 3
    assert conditions(get_hpa(client))["AbleToScale"] == ("True", "ReadyForNewScale")

    set_cpu(client, "30m")  # load drops: 30% -> 2 replicas recommended
    dropped = now(cluster)
    cluster.advance(15 * S)
    assert replicas(client) == 3
    assert conditions(get_hpa(client))["AbleToScale"] == ("True", "ScaleDownStabilized")
    cluster.advance(dropped + 300 * S - now(cluster))  # 5 minutes after the last recommendation of 3
    assert replicas(client) == 3
    cluster.advance(15 * S)
    assert replicas(client) == 2
    assert hpa_events(cluster)[-1] == ("SuccessfulRescale", "New size: 2; reason: All metrics below target")
    h = get_hpa(client)
    assert h["status"]["lastScaleTime"] == rfc3339(now(cluster)) and h["status"]["desiredReplicas"] == 2


def test_never_scales_below_min_or_above_max(cluster, client):
    ready_web(cluster, client)
    must(client.create(hpa()))
    set_cpu(client, "1")  # 1000%: ceil(10 * 2) = 20, limited to max 5
    cluster.advance(15 * S)
    assert replicas(client) == 4  # the scale-up limit max(2 * 2, 4) comes first
    assert conditions(get_hpa(client))["ScalingLimited"] == ("True", "ScaleUpLimit")
    set_cpu(client, "1")
    cluster.advance(15 * S)
    assert replicas(client) == 5
    assert conditions(get_hpa(client))["ScalingLimited"] == ("True", "TooManyReplicas")


# --- the schedule ----------------------------------------------------------------------------------------


def test_first_sync_fifteen_seconds_after_creation_then_every_fifteen(cluster, client):
    ready_web(cluster, client)
    must(client.create(hpa()))
    created = now(cluster)
    assert hpa_entries(cluster) == []
    cluster.advance(14 * S)
    assert hpa_entries(cluster) == []
    cluster.advance(1 * S)
    first = hpa_entries(cluster)
    assert first and {e.at for e in first} == {created + 15 * S}
    assert sync_schedule(created, created) == (False, created + 15 * S)
    assert sync_schedule(created, created + 30 * S) == (True, created + 45 * S)
    assert sync_schedule(created, created + 31 * S) == (False, created + 45 * S)


def test_a_steady_hpa_writes_nothing(cluster, client):
    ready_web(cluster, client)
    must(client.create(hpa()))
    set_cpu(client, "80m")
    cluster.advance(30 * S)
    seq = cluster.head().seq
    cluster.advance(120 * S)
    assert hpa_entries(cluster, seq) == []
    assert replicas(client) == 2


def test_keys_only_on_create_and_decide_off_schedule_only_requeues(cluster, client):
    ready_web(cluster, client)
    resp = must(client.create(hpa()))
    actor = HorizontalPodAutoscalerController()
    with cluster.view() as v:
        d = actor.decide(v, hpa_key("default", "web"))
    assert d.requests == () and d.requeue_at == parse_time(resp["metadata"]["creationTimestamp"]) + 15 * S
    cluster.advance(15 * S)
    status_writes = [e for e in hpa_entries(cluster) if e.request.subresource == "status"]
    assert status_writes and all(actor.keys_for(e, e.request.body) == () for e in status_writes)


# --- status, conditions and events on the error paths --------------------------------------------------------


def test_no_metrics_yet(cluster, client):
    ready_web(cluster, client)
    must(client.create(hpa()))
    cluster.advance(30 * S)
    h = get_hpa(client)
    assert h["status"]["currentMetrics"] == [{"type": ""}] and h["status"]["desiredReplicas"] == 0
    assert h["status"]["currentReplicas"] == 2
    reason = "unable to get metrics for resource cpu: no metrics returned from resource metrics API"
    assert h["status"]["conditions"][1] == {
        "type": "ScalingActive", "status": "False", "lastTransitionTime": rfc3339(now(cluster) - 15 * S),
        "reason": "FailedGetResourceMetric", "message": f"the HPA was unable to compute the replica count: failed to get cpu utilization: {reason}"}
    assert hpa_events(cluster) == [
        ("FailedGetResourceMetric", f"failed to get cpu utilization: {reason}"),
        ("FailedComputeMetricsReplicas", "invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric "
                                         f"value: failed to get cpu utilization: {reason}")]
    with cluster.view() as v:  # the second sync counted the same events again (EventCorrelator)
        counts = sorted(e["count"] for e in v.list("", "events", "default") if e["involvedObject"]["kind"] == "HorizontalPodAutoscaler")
    assert counts == [2, 2]


def test_missing_cpu_request(cluster, client):
    ready_web(cluster, client, cpu=None)
    must(client.create(hpa()))
    set_cpu(client, "50m")
    cluster.advance(15 * S)
    msg = conditions(get_hpa(client))["ScalingActive"]
    assert msg == ("False", "FailedGetResourceMetric")
    assert "missing request for cpu in container nginx of Pod web-" in get_hpa(client)["status"]["conditions"][1]["message"]


def test_missing_target(cluster, client):
    must(client.create(hpa(target="nope")))
    cluster.advance(15 * S)
    h = get_hpa(client)
    assert h["status"]["conditions"] == [{
        "type": "AbleToScale", "status": "False", "lastTransitionTime": rfc3339(now(cluster)), "reason": "FailedGetScale",
        "message": 'the HPA controller was unable to get the target\'s current scale: deployments.apps "nope" not found'}]
    assert hpa_events(cluster) == [("FailedGetScale", 'deployments.apps "nope" not found')]
    assert ANNOTATION not in (h["metadata"].get("annotations") or {})


def test_unknown_kind_and_a_kind_without_scale(cluster, client):
    must(client.create(hpa(name="a", kind="Frobber")))
    must(client.create(hpa(name="b", kind="DaemonSet")))
    cluster.advance(15 * S)
    assert get_hpa(client, "a")["status"]["conditions"][0]["message"].endswith('no matches for kind "Frobber" in group "apps"')
    assert get_hpa(client, "b")["status"]["conditions"][0]["message"].endswith("the server could not find the requested resource")


def test_scaling_disabled_at_zero_replicas(cluster, client):
    ready_web(cluster, client, replicas_=0)
    must(client.create(hpa()))
    cluster.advance(15 * S)
    h = get_hpa(client)
    assert conditions(h)["ScalingActive"] == ("False", "ScalingDisabled")
    assert replicas(client) == 0 and h["status"]["desiredReplicas"] == 0


def test_out_of_range_is_clamped_without_metrics(cluster, client):
    ready_web(cluster, client, replicas_=7)
    must(client.create(hpa()))
    cluster.advance(15 * S)
    assert replicas(client) == 5
    assert hpa_events(cluster) == [("SuccessfulRescale", "New size: 5; reason: Current number of replicas above Spec.MaxReplicas")]
    assert get_hpa(client)["status"]["currentMetrics"] is None


def test_two_hpas_on_one_target_are_ambiguous(cluster, client):
    ready_web(cluster, client)
    must(client.create(hpa(name="first")))
    set_cpu(client, "80m")
    cluster.advance(15 * S)
    must(client.create(hpa(name="second")))
    cluster.advance(15 * S)
    h = get_hpa(client, "second")
    assert conditions(h)["ScalingActive"] == ("False", "AmbiguousSelector")
    assert h["status"]["conditions"][1]["message"] == \
        "pods by selector app=web are controlled by multiple HPAs: [default/first default/second]"


# --- other targets, shapes and behavior ----------------------------------------------------------------------


def test_scales_a_replication_controller(cluster, client):
    rc = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
          "spec": {"replicas": 2, "selector": {"app": "rc"}, "template": {"metadata": {"labels": {"app": "rc"}}, "spec": {
              "containers": [{"name": "nginx", "image": "nginx", "resources": {"requests": {"cpu": "200m"}}}]}}}}
    must(client.create(rc))
    cluster.advance(30 * S)
    must(client.create(hpa(name="rc", target="rc", kind="ReplicationController", api_version="v1", cpu=50)))
    set_cpu(client, "200m", app="rc")  # 100% against 50%: 4 replicas
    cluster.advance(15 * S)
    assert must(client.get("rc", "rc"))["spec"]["replicas"] == 4


def test_a_v1_shaped_hpa_is_read_as_v2(cluster, client):
    ready_web(cluster, client)
    body = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 2,
                     "maxReplicas": 5, "targetCPUUtilizationPercentage": 50}}
    must(client.create(body))
    set_cpu(client, "100m")  # 100% against 50%: 4 replicas
    cluster.advance(15 * S)
    assert replicas(client) == 4


def test_behavior_rate_policy_limits_scale_up(cluster, client):
    ready_web(cluster, client)
    behavior = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    must(client.create(hpa(max_replicas=10, behavior=behavior)))
    set_cpu(client, "400m")
    cluster.advance(15 * S)
    assert replicas(client) == 3
    assert conditions(get_hpa(client))["ScalingLimited"] == ("True", "ScaleUpLimit")
    set_cpu(client, "400m")
    cluster.advance(45 * S)  # still inside the 60 s period of the first scale-up
    assert replicas(client) == 3
    cluster.advance(15 * S)
    assert replicas(client) == 4


def test_determinism(tmp_path):
    def run():
        actors = default_actors() + [HorizontalPodAutoscalerController()]
        c = Cluster.memory(actors=[a for i, a in enumerate(actors) if a.name not in {b.name for b in actors[:i]}])
        init(c, InitOptions(start_time=START))
        cl = Client(c)
        must(cl.create(deployment()))
        c.advance(30 * S)
        must(cl.create(hpa()))
        set_cpu(cl, "150m")
        c.advance(60 * S)
        return c.head().digest

    assert run() == run()


# --- conversion and validation ------------------------------------------------------------------------------


def test_v1_to_v2_conversion():
    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
          "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 5}}
    out = v1_to_v2(v1)
    assert out["apiVersion"] == "autoscaling/v2"
    assert out["spec"] == {"scaleTargetRef": v1["spec"]["scaleTargetRef"], "maxReplicas": 5, "minReplicas": 1, "metrics": [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]}
    v1["spec"]["targetCPUUtilizationPercentage"] = 50
    assert v1_to_v2(v1)["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 50
    v2 = hpa()
    assert v1_to_v2(v2) is v2


def test_validation_min_greater_than_max():
    errs = validate_hpa(hpa(min_replicas=7, max_replicas=5))
    assert [e.message() for e in errs] == ["spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`"]
    errs = validate_hpa(hpa(min_replicas=0, max_replicas=0))
    assert [e.message() for e in errs] == [
        "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
        "spec.maxReplicas: Invalid value: 0: must be greater than 0",
        "spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas"]
    assert validate_hpa(hpa()) == []
    bad_metric = hpa(cpu=None, metrics=[{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}])
    assert [e.message() for e in validate_hpa(bad_metric)] == [
        "spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization"]


def test_validation_through_the_request_path(cluster, client, monkeypatch):
    """Once `kinds._VALIDATORS` has the HPA entry (the wiring asked of the lead), min > max is refused."""
    from engine.pipeline.validation import kinds

    monkeypatch.setitem(kinds._VALIDATORS, "HorizontalPodAutoscaler", validate_hpa)
    resp = client.create(hpa(name="bad", min_replicas=7, max_replicas=5))
    assert resp.error is not None and resp.error.code == 422
    assert resp.error.message == ('HorizontalPodAutoscaler.autoscaling "bad" is invalid: '
                                  "spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`")
    ready_web(cluster, client)
    must(client.create(hpa()))
    set_cpu(client, "120m")
    cluster.advance(15 * S)  # the controller's status and history writes pass validation
    assert replicas(client) == 3 and get_hpa(client)["status"]["desiredReplicas"] == 3
    resp = client.patch("hpa", "web", {"spec": {"minReplicas": 9}}, patch_type="merge")
    assert resp.error is not None and "must be greater than or equal to `minReplicas`" in resp.error.message
