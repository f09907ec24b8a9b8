"""Tests of the scheduler, the simulated kubelets and `ktape sim`/`ktape run`; shared builders.

Clusters run the scheduler, the kubelets and the node monitor next to the garbage collector and
the namespace controller, on the in-memory store, from a fixed start time. `sim` (a fixture)
checks that the log verifies once the test is done.
"""

from __future__ import annotations

import pytest

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.clock import parse_time
from engine.client import Client, must
from engine.log.verify import verify

START = parse_time("2026-01-01T00:00:00Z")
SECOND = 1_000_000


def actors() -> list:
    from engine.controllers.garbage_collector import GarbageCollector
    from engine.controllers.namespace import NamespaceController
    from engine.controllers.scheduler import Scheduler
    from engine.kubelet_sim import Kubelet, NodeMonitor

    return [GarbageCollector(), NamespaceController(), Scheduler(), Kubelet(), NodeMonitor()]


def boot(**kw) -> Cluster:
    c = Cluster.memory(actors=actors())
    init(c, InitOptions(start_time=START, **kw))
    return c


def assert_verified(c: Cluster) -> None:
    with c.store.begin() as txn:
        report = verify(txn)
    assert report.ok, [str(p) for p in report.problems]


@pytest.fixture
def sim():
    c = boot()
    yield c
    assert_verified(c)


def pod(name: str, image: str = "nginx", *, command=None, args=None, restart: str | None = None, cpu: str | None = None,
        memory: str | None = None, container: str | None = None, annotations: dict | None = None, **spec) -> dict:
    c: dict = {"name": container or name, "image": image}
    if command is not None:
        c["command"] = list(command)
    if args is not None:
        c["args"] = list(args)
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    if requests:
        c["resources"] = {"requests": requests}
    for key in ("readinessProbe", "ports", "stdin"):
        if key in spec:
            c[key] = spec.pop(key)
    body: dict = {"containers": [c], **spec}
    if restart:
        body["restartPolicy"] = restart
    meta: dict = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body}


def get_pod(c: Cluster, name: str, ns: str = "default") -> dict:
    return must(Client(c).get("pods", name, ns))


def container_status(p: dict, name: str | None = None) -> dict:
    statuses = p["status"]["containerStatuses"]
    return statuses[0] if name is None else next(s for s in statuses if s["name"] == name)


def condition(obj: dict, ctype: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or () if c["type"] == ctype), None)


def advance_to(c: Cluster, seconds: float) -> None:
    """Move the clock to START + seconds."""
    target = START + int(seconds * SECOND)
    c.advance(target - c.head().at)


def events_for(c: Cluster, name: str, ns: str = "default") -> list[dict]:
    items = must(Client(c).list("events", ns))["items"]
    return [e for e in items if e["involvedObject"]["name"] == name]


def entries(c: Cluster) -> list:
    from engine.log import eventlog

    with c.store.begin() as txn:
        return list(eventlog.scan_entries(txn, 1, c.head().seq))
