"""k8s-semantics.md s10: quota evaluators (upstream service vectors, derived pod vectors), the
admission check's messages, scopes, the controller's status, and the scenario checks: a quota caps
a Deployment with ReplicaFailure/FailedCreate; a pod without requests is refused under a
requests.cpu quota unless a LimitRange supplies defaults; terminal pods stop counting."""

from fractions import Fraction

import pytest

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.client import Client, must
from engine.clock import parse_time, rfc3339
from engine.log.verify import verify
from engine.quota.usage import pod_usage, pvc_usage, service_usage

F = Fraction
T = parse_time("2026-01-01T00:00:00Z")


def svc(stype, ports=(), allocate=None):
    spec = {"type": stype, "ports": [dict(p) for p in ports]}
    if allocate is not None:
        spec["allocateLoadBalancerNodePorts"] = allocate
    return {"spec": spec}


P = {"port": 80}


@pytest.mark.parametrize("service,lbs,nodeports", [
    (svc("LoadBalancer"), 1, 0),
    (svc("LoadBalancer", [P]), 1, 1),
    (svc("LoadBalancer", [P, {"port": 81}]), 1, 2),
    (svc("ClusterIP", [P]), 0, 0),
    (svc("NodePort", [P]), 0, 1),
    (svc("NodePort", [P, {"port": 81}]), 0, 2),
    (svc("LoadBalancer", [P, {"port": 81}], allocate=False), 1, 0),
    (svc("LoadBalancer", [{"port": 80, "nodePort": 32001}, {"port": 81, "nodePort": 32002}]), 1, 2),
    (svc("LoadBalancer", [{"port": 80, "nodePort": 32001}, {"port": 81, "nodePort": 32002}], allocate=True), 1, 2),
    (svc("LoadBalancer", [{"port": 80, "nodePort": 32001}, {"port": 81, "nodePort": 32002}], allocate=False), 1, 2),
])
def test_service_usage(service, lbs, nodeports):
    assert service_usage(service) == {"services": 1, "count/services": 1, "services.loadbalancers": lbs, "services.nodeports": nodeports}


def two_container_pod(**status):
    return {"metadata": {"name": "p"}, "status": status, "spec": {"containers": [
        {"name": "c1", "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "500m"}}},
        {"name": "c2", "resources": {"requests": {"cpu": "200m"}}}]}}


def test_pod_usage_derived():
    assert pod_usage(two_container_pod()) == {"pods": 1, "count/pods": 1, "cpu": F(3, 10), "requests.cpu": F(3, 10),
                                              "limits.cpu": F(1, 2)}
    assert pod_usage(two_container_pod(phase="Succeeded")) == {"count/pods": 1}
    assert pod_usage(two_container_pod(phase="Failed")) == {"count/pods": 1}


def test_pod_usage_past_deletion_grace():
    pod = two_container_pod()
    pod["metadata"].update(deletionTimestamp=rfc3339(T), deletionGracePeriodSeconds=30)
    assert pod_usage(pod, now=T + 31_000_000) == {"count/pods": 1}
    assert pod_usage(pod, now=T + 29_000_000)["pods"] == 1


def test_pvc_usage_with_storage_class():
    claim = {"spec": {"storageClassName": "gold", "resources": {"requests": {"storage": "10Gi"}}}}
    assert pvc_usage(claim) == {"persistentvolumeclaims": 1, "count/persistentvolumeclaims": 1, "requests.storage": 10 * 2**30,
                                "gold.storageclass.storage.k8s.io/persistentvolumeclaims": 1,
                                "gold.storageclass.storage.k8s.io/requests.storage": 10 * 2**30}


# --- through the request path -------------------------------------------------------------------------


@pytest.fixture
def k():
    c = Cluster.memory()
    init(c, InitOptions(start_time=T))
    yield Client(c)
    c.close()


def quota(name, hard, scopes=None):
    spec = {"hard": hard}
    if scopes:
        spec["scopes"] = scopes
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name}, "spec": spec}


def pod(name, resources=None, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx", "resources": resources or {}}], **spec}}


def test_exceeded_pods_message_and_status(k):
    must(k.create(quota("q", {"pods": "2"})))
    assert must(k.get("quota", "q"))["status"] == {"hard": {"pods": "2"}, "used": {"pods": "0"}}
    must(k.create(pod("a")))
    must(k.create(pod("b")))
    r = k.create(pod("p"))
    assert r.code == 403 and r.error.reason == "Forbidden"
    assert r.error.message == 'pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2'
    q = must(k.get("quota", "q"))
    assert q["status"]["used"] == {"pods": "2"}


def test_failed_quota_must_specify(k):
    must(k.create(quota("q", {"requests.memory": "1Gi"})))
    r = k.create(pod("p"))
    assert r.error.message == 'pods "p" is forbidden: failed quota: q: must specify requests.memory for: app'
    must(k.create(quota("q2", {"limits.cpu": "2", "requests.cpu": "1"})))
    r = k.create({**pod("p"), "spec": {"containers": [{"name": "c", "image": "x"}, {"name": "b", "image": "x"}]}})
    assert r.error.message == 'pods "p" is forbidden: failed quota: q: must specify requests.memory for: b,c'


def test_count_only_quota_has_no_container_constraint(k):
    must(k.create(quota("q", {"count/pods": "1"})))
    must(k.create(pod("a")))
    r = k.create(pod("b"))
    assert r.error.message == 'pods "b" is forbidden: exceeded quota: q, requested: count/pods=1, used: count/pods=1, limited: count/pods=1'


def test_requests_cpu_quota_refuses_pod_without_requests_unless_limit_range_defaults(k):
    must(k.create(quota("compute", {"requests.cpu": "1", "requests.memory": "1Gi"})))
    r = k.create(pod("bare"))
    assert r.code == 403 and "failed quota: compute: must specify requests.cpu for: app; requests.memory for: app" in r.error.message
    must(k.create({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "cpu-mem-limit-range"},
                   "spec": {"limits": [{"type": "Container", "default": {"cpu": 1, "memory": "512Mi"},
                                        "defaultRequest": {"cpu": 0.5, "memory": "256Mi"}}]}}))
    made = must(k.create(pod("bare")))
    assert made["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "500m", "memory": "256Mi"}
    assert made["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}
    assert must(k.get("quota", "compute"))["status"]["used"] == {"requests.cpu": "500m", "requests.memory": "256Mi"}
    must(k.create(pod("second")))
    r = k.create(pod("third"))
    assert r.error.message == ('pods "third" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, '
                               'used: requests.cpu=1, limited: requests.cpu=1')


def test_scopes_best_effort_and_not_terminating(k):
    must(k.create(quota("be", {"pods": "1"}, ["BestEffort"])))
    must(k.create(quota("nt", {"pods": "2"}, ["NotTerminating"])))
    must(k.create(pod("be1")))
    r = k.create(pod("be2"))
    assert "exceeded quota: be," in r.error.message
    must(k.create(pod("g1", {"limits": {"cpu": "1", "memory": "1Gi"}})))  # Guaranteed: not under "be"
    r = k.create(pod("g2", {"limits": {"cpu": "1", "memory": "1Gi"}}))
    assert "exceeded quota: nt, requested: pods=1, used: pods=2, limited: pods=2" in r.error.message
    must(k.create(pod("t1", {"limits": {"cpu": "1", "memory": "1Gi"}}, activeDeadlineSeconds=60)))  # Terminating
    assert must(k.get("quota", "be"))["status"]["used"] == {"pods": "1"}
    assert must(k.get("quota", "nt"))["status"]["used"] == {"pods": "2"}


def test_terminal_pods_do_not_count(k):
    must(k.create(quota("q", {"pods": "1"})))
    must(k.create(pod("a")))
    assert k.create(pod("b")).code == 403
    must(k.patch("pods", "a", {"status": {"phase": "Succeeded"}}, subresource="status"))
    assert must(k.get("quota", "q"))["status"]["used"] == {"pods": "0"}
    must(k.create(pod("b")))


def test_object_counts_services_and_storage(k):
    must(k.create(quota("objects", {"services": "3", "services.nodeports": "1", "configmaps": "1", "count/deployments.apps": "0",
                                     "requests.storage": "3Gi", "persistentvolumeclaims": "5"})))
    must(k.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "np"},
                   "spec": {"type": "NodePort", "selector": {"a": "b"}, "ports": [{"port": 80}]}}))
    r = k.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "np2"},
                  "spec": {"type": "NodePort", "selector": {"a": "b"}, "ports": [{"port": 80}]}})
    assert r.error.message == ('services "np2" is forbidden: exceeded quota: objects, requested: services.nodeports=1, '
                               'used: services.nodeports=1, limited: services.nodeports=1')
    must(k.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1"}}))
    assert "exceeded quota: objects, requested: configmaps=1" in k.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c2"}}).error.message
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "d1"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}}
    must(k.create(claim))
    r = k.create({**claim, "metadata": {"name": "d2"}})
    assert r.error.message == ('persistentvolumeclaims "d2" is forbidden: exceeded quota: objects, requested: requests.storage=2Gi, '
                               'used: requests.storage=2Gi, limited: requests.storage=3Gi')
    used = must(k.get("quota", "objects"))["status"]["used"]
    # the default namespace already holds the `kubernetes` Service
    assert used == {"services": "2", "services.nodeports": "1", "configmaps": "1", "count/deployments.apps": "0",
                    "requests.storage": "2Gi", "persistentvolumeclaims": "1"}


def test_unknown_resource_name_and_bad_scopes_are_invalid(k):
    r = k.create(quota("bad", {"foo": "1"}))
    assert r.code == 422 and 'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota' in r.error.message
    r = k.create(quota("bad", {"cpu": "1"}, ["BestEffort"]))
    assert r.code == 422 and "unsupported scope applied to resource" in r.error.message
    r = k.create(quota("bad", {"pods": "1"}, ["Terminating", "NotTerminating"]))
    assert 'spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating", "NotTerminating"}: conflicting scopes' in r.error.message
    assert k.get("quota", "bad").code == 404


def test_quota_caps_a_deployment_with_replica_failure_and_event(k):
    must(k.create(quota("pods-max", {"pods": "2"})))
    must(k.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                   "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                            "template": {"metadata": {"labels": {"app": "web"}},
                                         "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}))
    pods = must(k.list("pods"))["items"]
    assert len(pods) == 2
    [rs] = must(k.list("replicasets"))["items"]
    [cond] = rs["status"]["conditions"]
    assert (cond["type"], cond["status"], cond["reason"]) == ("ReplicaFailure", "True", "FailedCreate")
    assert "is forbidden: exceeded quota: pods-max, requested: pods=1, used: pods=2, limited: pods=2" in cond["message"]
    events = [e for e in must(k.list("events"))["items"] if e["reason"] == "FailedCreate"]
    assert events and events[0]["type"] == "Warning" and events[0]["message"] == "Error creating: " + cond["message"]
    dep = must(k.get("deployments", "web"))
    assert any(c["type"] == "ReplicaFailure" for c in dep["status"].get("conditions", []))
    with k.cluster.store.begin() as txn:
        assert verify(txn).ok


def test_a_pod_past_its_deletion_grace_stops_charging():
    # only the quota controller: no kubelet stops the pod (which would make it terminal, not charged anyway)
    from engine.controllers.resourcequota import ResourceQuotaController

    c = Cluster.memory(actors=[ResourceQuotaController()])
    init(c, InitOptions(start_time=T))
    k = Client(c)
    must(k.create(quota("q", {"pods": "1", "count/pods": "5"})))
    held = pod("held")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    must(k.create(held))
    must(k.delete("pods", "held"))  # stays, being deleted (finalizer), grace 0: deadline = now
    assert must(k.get("pods", "held"))["metadata"]["deletionTimestamp"]
    r = k.create(pod("next"))
    assert r.code == 403 and "used: pods=1" in r.error.message  # not yet past the deadline
    k.cluster.advance(1_000_000)
    assert must(k.get("quota", "q"))["status"]["used"] == {"pods": "0", "count/pods": "1"}  # the controller woke up
    must(k.create(pod("next")))
    assert must(k.get("quota", "q"))["status"]["used"] == {"pods": "1", "count/pods": "2"}
    with k.cluster.store.begin() as txn:
        assert verify(txn).ok
