import pytest

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.clock import parse_time
from engine.client import Client
from engine.pipeline.identity import UserInfo

START = parse_time("2026-01-01T00:00:00Z")


def auth_actors():
    from engine.controllers.clusterrole_aggregation import ClusterRoleAggregationController
    from engine.controllers.garbage_collector import GarbageCollector
    from engine.controllers.namespace import NamespaceController
    from engine.controllers.serviceaccount import ServiceAccountsController

    return [ClusterRoleAggregationController(), GarbageCollector(), NamespaceController(), ServiceAccountsController()]


@pytest.fixture
def cluster():
    c = Cluster.memory(actors=auth_actors())
    init(c, InitOptions(start_time=START, nodes=0))
    admin = Client(c)
    for ns in ("ns1", "ns2"):
        assert admin.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}).ok
    yield c
    c.close()


@pytest.fixture
def admin(cluster):
    return Client(cluster)


def as_user(cluster, name, *groups):
    return Client(cluster, UserInfo(name, tuple(groups) + ("system:authenticated",)))
