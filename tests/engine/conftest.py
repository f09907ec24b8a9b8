import pytest

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.clock import parse_time
from engine.client import Client

START = parse_time("2026-01-01T00:00:00Z")


def booted(cluster: Cluster, **kw) -> Cluster:
    init(cluster, InitOptions(start_time=START, **kw))
    return cluster


def foundation_actors():
    """The storage-level actors only: these tests check the API server's semantics, so workload
    controllers (which would fill in Deployment status, create pods ...) stay out of them."""
    from engine.controllers.garbage_collector import GarbageCollector
    from engine.controllers.namespace import NamespaceController

    return [GarbageCollector(), NamespaceController()]


@pytest.fixture(params=["memory", "lmdb", "etcd"])
def cluster(request, tmp_path):
    actors = foundation_actors()
    if request.param == "etcd":  # the log on a 3-member etcd cluster, state in a local cache
        from engine.log.etcd_store import EtcdStore

        c = Cluster(EtcdStore(request.getfixturevalue("etcd_url")), actors=actors)
    else:
        c = Cluster.memory(actors=actors) if request.param == "memory" else Cluster.open(str(tmp_path / "data"), actors=actors)
    yield booted(c)
    c.close()


@pytest.fixture
def client(cluster):
    return Client(cluster)


def deployment(name="nginx-deploy", replicas=1, labels=None, image="wangyanglinux/myapp:v1"):
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                 "template": {"metadata": {"labels": dict(labels)},
                              "spec": {"containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]}}},
    }


def configmap(name, data=None, **meta):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}, "data": data or {}}
