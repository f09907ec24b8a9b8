"""k8s-semantics.md s9: LimitRanger defaults, constraints and messages (upstream vectors), and the
plugin end to end through the request path (decided mutations, 403, LimitRange validation)."""

import pytest

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.client import Client, must
from engine.clock import parse_time
from engine.pipeline.admission.limit_ranger import (
    ANNOTATION, default_requirements, max_constraint, merge_pod, min_constraint, pod_errors, ratio_constraint,
)
from engine.records import Admitted
from reducers.defaults import apply_defaults

VALID = {"spec": {"limits": [{"type": "Container", "default": {"cpu": "75m", "memory": "10Mi"},
                              "defaultRequest": {"cpu": "50m", "memory": "5Mi"}}]}}


def pod(*containers, init=()):
    return {"metadata": {"name": "p"}, "spec": {"containers": list(containers), "initContainers": list(init)}}


def ctr(name="foo-0", requests=None, limits=None):
    res = {}
    if requests:
        res["requests"] = requests
    if limits:
        res["limits"] = limits
    return {"name": name, "resources": res}


def test_default_container_resource_requirements():
    assert default_requirements(VALID) == ({"cpu": "50m", "memory": "5Mi"}, {"cpu": "75m", "memory": "10Mi"})


def test_merge_empty_container_sets_all_four_and_annotates():
    p = pod(ctr())
    assert merge_pod(p, *default_requirements(VALID))
    assert p["spec"]["containers"][0]["resources"] == {"requests": {"cpu": "50m", "memory": "5Mi"},
                                                      "limits": {"cpu": "75m", "memory": "10Mi"}}
    assert p["metadata"]["annotations"][ANNOTATION] == \
        "LimitRanger plugin set: cpu, memory request for container foo-0; cpu, memory limit for container foo-0"


def test_merge_partial_request_keeps_it():
    p = pod(ctr(requests={"memory": "512Mi"}))
    merge_pod(p, *default_requirements(VALID))
    assert p["spec"]["containers"][0]["resources"] == {"requests": {"cpu": "50m", "memory": "512Mi"},
                                                      "limits": {"cpu": "75m", "memory": "10Mi"}}
    assert p["metadata"]["annotations"][ANNOTATION] == \
        "LimitRanger plugin set: cpu request for container foo-0; cpu, memory limit for container foo-0"


def test_merge_all_set_changes_nothing():
    p = pod(ctr(requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "2", "memory": "2Gi"}))
    assert not merge_pod(p, *default_requirements(VALID))
    assert "annotations" not in p["metadata"]


def test_merge_init_containers():
    p = pod(ctr("app", {"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "1Gi"}), init=[ctr("init")])
    merge_pod(p, *default_requirements(VALID))
    assert p["spec"]["initContainers"][0]["resources"]["limits"] == {"cpu": "75m", "memory": "10Mi"}
    assert p["metadata"]["annotations"][ANNOTATION] == \
        "LimitRanger plugin set: cpu, memory request for init container init; cpu, memory limit for init container init"


def lr(ltype="Container", **fields):
    return {"spec": {"limits": [{"type": ltype, **fields}]}}


@pytest.mark.parametrize("limit_range,container", [
    (lr(min={"cpu": "50m"}), ctr(requests={"cpu": "100m"})),
    (lr(min={"cpu": "50m"}), ctr(requests={"cpu": "100m"}, limits={"cpu": "200m"})),
    (lr(min={"memory": "50Mi"}), ctr(requests={"memory": "60Mi"})),
    (lr(max={"cpu": "2"}), ctr(requests={"cpu": "500m"}, limits={"cpu": "1"})),
    (lr(max={"cpu": "2"}), ctr(limits={"cpu": "1"})),
    (lr(max={"memory": "1Gi"}), ctr(requests={"memory": "250Mi"}, limits={"memory": "500Mi"})),
    (lr(maxLimitRequestRatio={"cpu": "1.5"}), ctr(requests={"cpu": "500m"}, limits={"cpu": "750m"})),
    (lr(max={"memory": "1Gi"}), ctr(limits={"memory": "500Mi"})),
])
def test_container_successes(limit_range, container):
    assert pod_errors(limit_range, pod(container)) == []


@pytest.mark.parametrize("limit_range,n,container", [
    (lr("Pod", min={"cpu": "100m"}), 2, ctr(requests={"cpu": "75m"})),
    (lr("Pod", min={"memory": "100Mi"}), 2, ctr(requests={"memory": "60Mi"})),
    (lr("Pod", max={"cpu": "2"}), 2, ctr(limits={"cpu": "1"})),
    (lr("Pod", max={"memory": "1Gi"}), 2, ctr(requests={"memory": "250Mi"}, limits={"memory": "500Mi"})),
    (lr("Pod", max={"memory": "2Gi"}, maxLimitRequestRatio={"memory": "1.5"}), 3,
     ctr(requests={"memory": "300Mi"}, limits={"memory": "450Mi"})),
])
def test_pod_successes(limit_range, n, container):
    assert pod_errors(limit_range, pod(*[dict(container, name=f"c{i}") for i in range(n)])) == []


@pytest.mark.parametrize("limit_range,container,message", [
    (lr(min={"cpu": "50m"}), ctr(requests={"cpu": "40m"}), "minimum cpu usage per Container is 50m, but request is 40m"),
    (lr(min={"cpu": "50m"}), ctr(requests={"cpu": "40m"}, limits={"cpu": "200m"}), "minimum cpu usage per Container is 50m, but request is 40m"),
    (lr(min={"cpu": "50m"}), ctr(), "minimum cpu usage per Container is 50m.  No request is specified"),
    (lr(min={"memory": "50Mi"}), ctr(requests={"memory": "40Mi"}), "minimum memory usage per Container is 50Mi, but request is 40Mi"),
    (lr(min={"memory": "50Mi"}), ctr(), "minimum memory usage per Container is 50Mi.  No request is specified"),
    (lr(max={"cpu": "2"}), ctr(requests={"cpu": "500m"}, limits={"cpu": "2500m"}), "maximum cpu usage per Container is 2, but limit is 2500m"),
    (lr(max={"cpu": "2"}), ctr(limits={"cpu": "2500m"}), "maximum cpu usage per Container is 2, but limit is 2500m"),
    (lr(max={"cpu": "2"}), ctr(), "maximum cpu usage per Container is 2.  No limit is specified"),
    (lr(maxLimitRequestRatio={"cpu": "1"}), ctr(requests={"cpu": "1250m"}, limits={"cpu": "2500m"}),
     "cpu max limit to request ratio per Container is 1, but provided ratio is 2.000000"),
    (lr(max={"memory": "1Gi"}), ctr(requests={"memory": "250Mi"}, limits={"memory": "2Gi"}),
     "maximum memory usage per Container is 1Gi, but limit is 2Gi"),
    (lr(max={"cpu": "800m"}), ctr(limits={"cpu": "1"}), "maximum cpu usage per Container is 800m, but limit is 1"),
])
def test_container_errors(limit_range, container, message):
    assert pod_errors(limit_range, pod(container)) == [message]


def test_constraint_helpers_directly():
    assert min_constraint("Pod", "cpu", "1", {"cpu": "2"}, {"cpu": "500m"}) == "minimum cpu usage per Pod is 1, but limit is 500m"
    assert max_constraint("Container", "cpu", "1", {"cpu": "2"}, {"cpu": "1"}) == "maximum cpu usage per Container is 1, but request is 2"
    assert ratio_constraint("Container", "cpu", "2", {}, {"cpu": "1"}) == \
        "cpu max limit to request ratio per Container is 2, but no request is specified or request is 0"


@pytest.mark.parametrize("item,default,default_request", [
    ({"type": "Container", "max": {"cpu": "2"}}, {"cpu": "2"}, {"cpu": "2"}),
    ({"type": "Container", "min": {"cpu": "100m"}}, None, {"cpu": "100m"}),
    ({"type": "Container", "default": {"memory": "512Mi"}}, {"memory": "512Mi"}, {"memory": "512Mi"}),
    ({"type": "Container", "max": {"memory": "1Gi"}, "defaultRequest": {"memory": "256Mi"}}, {"memory": "1Gi"}, {"memory": "256Mi"}),
])
def test_limit_range_defaulting(item, default, default_request):
    out = apply_defaults({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l"}, "spec": {"limits": [item]}})
    got = out["spec"]["limits"][0]
    assert got.get("default") == default and got.get("defaultRequest") == default_request


# --- through the request path ----------------------------------------------------------------------


@pytest.fixture
def k():
    c = Cluster.memory(actors=[])
    init(c, InitOptions(start_time=parse_time("2026-01-01T00:00:00Z")))
    yield Client(c)
    c.close()


def limit_range(name, *items):
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": name}, "spec": {"limits": list(items)}}


def a_pod(name, resources=None, generate=False):
    meta = {"generateName": name} if generate else {"name": name}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "app", "image": "nginx", "resources": resources or {}}]}}


MEM_DEFAULTS = {"type": "Container", "default": {"memory": "512Mi"}, "defaultRequest": {"memory": "256Mi"}}


def test_defaults_are_decided_mutations_and_replay(k):
    must(k.create(limit_range("mem", MEM_DEFAULTS)))
    resp = must_resp = k.create(a_pod("p"))
    assert must_resp.code == 201
    res = resp.obj["spec"]["containers"][0]["resources"]
    assert res == {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}}
    assert resp.obj["status"]["qosClass"] == "Burstable"
    ops = resp.entry.outcome.decided["mutations"]
    assert {"op": "add", "path": "/spec/containers/0/resources", "value": res} in ops
    assert isinstance(resp.entry.outcome, Admitted)
    # deleting the LimitRange does not change how the recorded create replays
    must(k.delete("limitranges", "mem"))
    from engine.log.verify import verify
    with k.cluster.store.begin() as txn:
        assert verify(txn).ok


def test_documented_behaviour_limit_only_and_request_only(k):
    must(k.create(limit_range("mem", MEM_DEFAULTS)))
    p1 = must(k.create(a_pod("p1", {"limits": {"memory": "1Gi"}})))
    assert p1["spec"]["containers"][0]["resources"] == {"limits": {"memory": "1Gi"}, "requests": {"memory": "1Gi"}}
    p2 = must(k.create(a_pod("p2", {"requests": {"memory": "128Mi"}})))
    assert p2["spec"]["containers"][0]["resources"] == {"limits": {"memory": "512Mi"}, "requests": {"memory": "128Mi"}}


def test_default_limit_below_request_is_refused_by_pod_validation(k):
    must(k.create(limit_range("cpu", {"type": "Container", "default": {"cpu": "500m"}})))
    r = k.create(a_pod("p", {"requests": {"cpu": "700m"}}))
    assert r.code == 422 and "must be less than or equal to cpu limit" in r.error.message


def test_max_refusal_is_403_with_upstream_message_and_generate_name(k):
    must(k.create(limit_range("cpu-min-max-demo-lr", {"type": "Container", "max": {"cpu": "800m", "memory": "1Gi"},
                                                      "min": {"cpu": "200m", "memory": "500Mi"}})))
    r = k.create(a_pod("big", {"limits": {"cpu": "1", "memory": "1Gi"}}))
    assert r.code == 403 and r.error.reason == "Forbidden"
    assert r.error.message == 'pods "big" is forbidden: maximum cpu usage per Container is 800m, but limit is 1'
    r = k.create(a_pod("small", {"requests": {"cpu": "100m", "memory": "100Mi"}}))
    assert r.error.message == ('pods "small" is forbidden: [minimum cpu usage per Container is 200m, but request is 100m, '
                               'minimum memory usage per Container is 500Mi, but request is 100Mi]')
    ok = must(k.create(a_pod("fine")))  # defaults from max: 800m / 1Gi
    assert ok["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "800m", "memory": "1Gi"}


def pvc(name, storage):
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}}}


def test_pvc_storage_range(k):
    must(k.create(limit_range("storagelimits", {"type": "PersistentVolumeClaim", "max": {"storage": "2Gi"}, "min": {"storage": "1Gi"}})))
    assert k.create(pvc("ok", "1500Mi")).code == 201
    r = k.create(pvc("big", "5Gi"))
    assert r.code == 403 and r.error.message == \
        'persistentvolumeclaims "big" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi'
    r = k.create(pvc("tiny", "500Mi"))
    assert r.error.message == \
        'persistentvolumeclaims "tiny" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi'


def test_limit_range_min_greater_than_max_is_invalid(k):
    r = k.create(limit_range("bad", {"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}}))
    assert r.code == 422
    assert "spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1" in r.error.message
    assert k.get("limitranges", "bad").code == 404
    r = k.create(limit_range("bad2", {"type": "Container", "maxLimitRequestRatio": {"cpu": "500m"}}))
    assert r.code == 422 and "ratio 500m is less than 1" in r.error.message


def test_pvc_update_with_an_unchanged_request_is_not_checked_again(k):
    must(k.create(pvc("early", "5Gi")))  # before the LimitRange
    must(k.create(limit_range("storagelimits", {"type": "PersistentVolumeClaim", "max": {"storage": "2Gi"}})))
    must(k.patch("persistentvolumeclaims", "early", {"metadata": {"labels": {"a": "b"}}}))
    r = k.patch("persistentvolumeclaims", "early", {"spec": {"resources": {"requests": {"storage": "6Gi"}}}})
    assert r.code in (403, 422)  # a changed request is checked (or refused by claim validation first)
