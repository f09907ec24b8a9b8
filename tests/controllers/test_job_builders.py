"""Builders shared by the Job and CronJob tests: an in-process cluster with the batch actors,
manifests shaped like the seed's, readers, and a probe actor that watches active pods entry by entry."""

from __future__ import annotations

from engine.api import Cluster, default_actors
from engine.bootstrap import InitOptions, init
from engine.client import Client
from engine.clock import parse_time, rfc3339
from engine.controllers.cronjob import CronJobController
from engine.controllers.job import JobController, TTLAfterFinishedController
from engine.log import eventlog
from engine.model.pods import controller_ref, is_active

S = 1_000_000
T0 = parse_time("2026-01-01T00:00:00Z")


class ActiveProbe:
    """Not a controller: it only watches. After every entry it knows which pods each Job controls
    and are active, and keeps the largest count seen per Job."""

    name = "zz-active-probe"
    identity = None

    def __init__(self):
        self.active: dict[str, dict[str, bool]] = {}
        self.max_active: dict[str, int] = {}

    def keys_for(self, entry, obj):
        req = entry.request
        if obj is None or not entry.changed or (req.group, req.resource) != ("", "pods"):
            return ()
        ref = controller_ref(obj)
        if ref is None or ref.get("kind") != "Job":
            return ()
        pods = self.active.setdefault(ref["name"], {})
        name = obj["metadata"]["name"]
        pods[name] = entry.outcome.digest != "deleted" and is_active(obj)
        self.max_active[ref["name"]] = max(self.max_active.get(ref["name"], 0), sum(pods.values()))
        return ()

    def decide(self, view, key):  # pragma: no cover - never given keys
        raise AssertionError("the probe decides nothing")


def batch_actors() -> list:
    return [CronJobController(), JobController(), TTLAfterFinishedController()]


def with_batch_actors(base: list) -> list:
    """`base` with the batch controllers where they belong (owners before what they own: after the
    workload controllers, before the scheduler and the nodes), unless it has them already."""
    have = {a.name for a in base}
    extra = [a for a in batch_actors() if a.name not in have]
    at = next((i for i, a in enumerate(base) if a.name in ("pod-garbage-collector", "default-scheduler")), len(base))
    return base[:at] + extra + base[at:]


def cluster(*extra):
    """The default actors plus the batch controllers (and any probes)."""
    c = Cluster.memory(actors=with_batch_actors(default_actors()) + list(extra))
    init(c, InitOptions(start_time=T0))
    return c, Client(c)


def bare_cluster():
    """No actors at all: objects stay exactly as the test writes them."""
    c = Cluster.memory(actors=[])
    init(c, InitOptions(start_time=T0))
    return c, Client(c)


def job(name, command, completions=None, parallelism=None, restart="Never", image="busybox", labels=None, **spec):
    s: dict = {"template": {"spec": {"containers": [{"name": name, "image": image, "command": list(command)}],
                                     "restartPolicy": restart}}}
    if labels:
        s["template"]["metadata"] = {"labels": dict(labels)}
    if completions is not None:
        s["completions"] = completions
    if parallelism is not None:
        s["parallelism"] = parallelism
    s.update(spec)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": s}


def cronjob(name, schedule, command, policy=None, restart="OnFailure", **spec):
    s: dict = {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": name, "image": "busybox", "args": ["/bin/sh", "-c", command]}], "restartPolicy": restart}}}}}
    if policy:
        s["concurrencyPolicy"] = policy
    s.update(spec)
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name}, "spec": s}


def get(c, resource, name, group="batch", ns="default"):
    with c.view() as v:
        return v.get(group, resource, ns, name)


def listed(c, resource, group="", ns="default"):
    with c.view() as v:
        return v.list(group, resource, ns)


def pods_of(c, job_name):
    return [p for p in listed(c, "pods") if (controller_ref(p) or {}).get("name") == job_name]


def jobs(c):
    return listed(c, "jobs", "batch")


def conditions(obj) -> list[tuple]:
    return [(x["type"], x["status"], x.get("reason", ""), x.get("message", "")) for x in (obj.get("status") or {}).get("conditions") or ()]


def events(c, involved=None) -> list[tuple[str, str, str]]:
    out = []
    for e in listed(c, "events"):
        if involved is None or e["involvedObject"]["name"] == involved:
            out.append((e["firstTimestamp"], e["reason"], e["message"]))
    return [x[1:] for x in sorted(out, key=lambda x: x[0])]


def entries(c, since=0):
    with c.store.begin() as txn:
        head = eventlog.read_head(txn)
        return list(eventlog.scan_entries(txn, since + 1, head.seq))


def at(seconds: float) -> str:
    return rfc3339(T0 + int(seconds * S))
