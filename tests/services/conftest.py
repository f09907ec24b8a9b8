"""A full in-memory cluster (every default actor) for the Service tests."""

import pytest

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.clock import parse_time
from engine.client import Client

START = parse_time("2026-01-01T00:00:00Z")
SECOND = 1_000_000


def boot(**opts) -> Cluster:
    c = Cluster.memory()
    init(c, InitOptions(start_time=START, **opts))
    return c


@pytest.fixture
def cluster():
    c = boot()
    yield c
    c.close()


@pytest.fixture
def client(cluster):
    return Client(cluster)


def service(name, *, ports=None, selector=None, type_=None, **spec):
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": dict(spec)}
    if ports is not None:
        body["spec"]["ports"] = ports
    if selector is not None:
        body["spec"]["selector"] = selector
    if type_:
        body["spec"]["type"] = type_
    return body


def deployment(name, replicas, labels, image="wangyanglinux/myapp:v1", ports=None, readiness=None):
    c = {"name": "myapp", "image": image}
    if ports is not None:
        c["ports"] = ports
    if readiness is not None:
        c["readinessProbe"] = readiness
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": [c]}}}}


def get(cluster, group, resource, name, ns="default"):
    with cluster.view() as v:
        return v.get(group, resource, ns, name)


def items(cluster, group, resource, ns="default"):
    with cluster.view() as v:
        return v.list(group, resource, ns)


def ok(resp):
    """The response, after checking the request succeeded."""
    assert resp.error is None, resp.error.message
    return resp
