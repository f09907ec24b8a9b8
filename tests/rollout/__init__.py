"""Helpers for the rollout tests: a CLI runner with `rollout` and `set` registered, and a stand-in
for the Deployment controller that writes what upstream's would (kubectl-wire.md section 9).

The stand-in is deliberately small and independent of the code under test: one call to `sync`
looks at a Deployment and, as `system:serviceaccount:kube-system:deployment-controller`,
creates the ReplicaSet `<deploy>-<hash>` for a new template (revision = max + 1, change-cause
copied, controller ownerReference), or raises an existing one's revision on rollback (with
`revision-history`), sets the Deployment's revision annotation, and deletes the oldest old
ReplicaSets beyond `revisionHistoryLimit`. It never touches pods or status.
"""

from __future__ import annotations

import argparse
import hashlib
import json

import pytest

from engine.api import Cluster
from engine.client import Client
from engine.pipeline.identity import controller_identity

START = "2026-01-01T00:00:00Z"
CONTROLLER = controller_identity("deployment-controller")
REVISION = "deployment.kubernetes.io/revision"
HISTORY = "deployment.kubernetes.io/revision-history"
SKIP = {"kubectl.kubernetes.io/last-applied-configuration", REVISION, HISTORY,
        "deployment.kubernetes.io/desired-replicas", "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to"}
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def main_with_rollout(argv: list[str]) -> int:
    """`ktape` with this work's modules registered (the lead registers them in cli.py)."""
    from log_tools import cli
    from log_tools.commands import rollout, setcmd

    original = cli.build_parser

    def build():
        parser = original()
        subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        common = cli._globals(True)
        for module, name in ((rollout, "rollout"), (setcmd, "set")):
            if name not in subs.choices:
                module.register(subs, common)
        return parser

    cli.build_parser = build
    try:
        return cli.main(argv)
    finally:
        cli.build_parser = original


def hand_actors() -> list:
    """The actors of a cluster whose Deployment controller is played by `sync` (the GC and the
    namespace controller only), so these tests keep their meaning once the real one runs."""
    from engine.controllers.garbage_collector import GarbageCollector
    from engine.controllers.namespace import NamespaceController

    return [GarbageCollector(), NamespaceController()]


def memory_cluster() -> Cluster:
    from engine.bootstrap import InitOptions, init
    from engine.clock import parse_time

    cluster = Cluster.memory(actors=hand_actors())
    init(cluster, InitOptions(start_time=parse_time(START), nodes=0))
    return cluster


@pytest.fixture
def k(tmp_path, capsys, monkeypatch):
    """Run ktape commands on a fresh cluster: `k(*argv, code=0) -> (stdout, stderr)`. The cluster
    runs without a Deployment controller: tests play it with `sync_data`."""
    import engine.api

    monkeypatch.setattr(engine.api, "default_actors", hand_actors)
    return _runner(tmp_path, capsys)


@pytest.fixture
def k_real(tmp_path, capsys):
    """Like `k`, with the default actors (the real Deployment controller once it exists)."""
    return _runner(tmp_path, capsys)


def _runner(tmp_path, capsys):
    data = str(tmp_path / "data")
    assert main_with_rollout(["init", "--start-time", START, "--data", data]) == 0
    capsys.readouterr()

    def run(*argv, code=0):
        rc = main_with_rollout(list(argv) + ["--data", data])
        out = capsys.readouterr()
        assert rc == code, (argv, rc, out.out, out.err)
        return out.out, out.err

    run.data = data
    return run


class opened:
    """`with opened(data) as cluster:` — the data folder's cluster, closed afterwards."""

    def __init__(self, data: str):
        self.cluster = Cluster.open(data)

    def __enter__(self) -> Cluster:
        return self.cluster

    def __exit__(self, *exc) -> None:
        self.cluster.close()


# --- a stand-in Deployment controller -----------------------------------------------------------


def _strip(v):
    if isinstance(v, dict):
        return {k: _strip(x) for k, x in v.items() if x is not None and x != {} and x != []}
    if isinstance(v, list):
        return [_strip(x) for x in v]
    return v


def _plain(template: dict) -> dict:
    t = json.loads(json.dumps(template))
    (t.get("metadata") or {}).get("labels", {}).pop("pod-template-hash", None)
    return _strip(t)


def pod_template_hash(template: dict) -> str:
    digits = str(int(hashlib.sha256(json.dumps(_plain(template), sort_keys=True).encode()).hexdigest()[:8], 16))
    return "".join(ALPHABET[ord(d) % 27] for d in digits)


def _rev(rs: dict) -> int:
    return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))


def owned(cluster: Cluster, ns: str, dep: dict) -> list[dict]:
    with cluster.view() as v:
        items = v.list("apps", "replicasets", ns)
    uid = dep["metadata"]["uid"]
    return [rs for rs in items
            if any(r.get("uid") == uid and r.get("controller") for r in rs["metadata"].get("ownerReferences") or ())]


def sync(cluster: Cluster, name: str, ns: str = "default") -> None:
    """One pass of the stand-in controller over Deployment ns/name."""
    c = Client(cluster, CONTROLLER)
    with cluster.view() as v:
        dep = v.get("apps", "deployments", ns, name)
    assert dep is not None
    if (dep.get("spec") or {}).get("paused"):
        return
    template = dep["spec"]["template"]
    rss = owned(cluster, ns, dep)
    new = next((rs for rs in sorted(rss, key=lambda r: (r["metadata"]["creationTimestamp"], r["metadata"]["name"]))
                if _plain(rs["spec"]["template"]) == _plain(template)), None)
    olds = [rs for rs in rss if rs is not new]
    new_revision = max([_rev(rs) for rs in olds], default=0) + 1
    dep_ann = dep["metadata"].get("annotations") or {}
    copied = {k: v for k, v in dep_ann.items() if k not in SKIP}
    if new is None:
        h = pod_template_hash(template)
        rs_template = json.loads(json.dumps(template))
        rs_template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
        selector = json.loads(json.dumps(dep["spec"]["selector"]))
        selector.setdefault("matchLabels", {})["pod-template-hash"] = h
        replicas = dep["spec"].get("replicas", 1)
        body = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "name": f"{name}-{h}", "namespace": ns,
                "labels": {**(template.get("metadata") or {}).get("labels", {}), "pod-template-hash": h},
                "annotations": {**copied, REVISION: str(new_revision),
                                "deployment.kubernetes.io/desired-replicas": str(replicas),
                                "deployment.kubernetes.io/max-replicas": str(replicas + 1)},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                                     "uid": dep["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}],
            },
            "spec": {"replicas": replicas, "selector": selector, "template": rs_template},
        }
        resp = c.create(body, ns)
        assert resp.ok, resp.error
        new = resp.obj
    elif _rev(new) < new_revision:
        ann = dict(new["metadata"].get("annotations") or {})
        old = ann.get(REVISION)
        ann.update(copied)
        ann[REVISION] = str(new_revision)
        if old:
            ann[HISTORY] = ",".join(filter(None, [ann.get(HISTORY), old]))
        resp = c.patch("replicasets", new["metadata"]["name"], {"metadata": {"annotations": ann}}, ns, "merge")
        assert resp.ok, resp.error
        new = resp.obj
    current = str(_rev(new))
    if dep_ann.get(REVISION) != current:
        resp = c.patch("deployments", name, {"metadata": {"annotations": {REVISION: current}}}, ns, "merge")
        assert resp.ok, resp.error
    limit = dep["spec"].get("revisionHistoryLimit", 10)
    olds = sorted((rs for rs in owned(cluster, ns, dep) if rs["metadata"]["name"] != new["metadata"]["name"]),
                  key=lambda r: (_rev(r), r["metadata"]["creationTimestamp"], r["metadata"]["name"]))
    for rs in olds[: max(0, len(olds) - limit)]:
        resp = c.delete("replicasets", rs["metadata"]["name"], ns)
        assert resp.ok, resp.error


def sync_data(data: str, name: str, ns: str = "default") -> None:
    with opened(data) as cluster:
        sync(cluster, name, ns)


def entries(data: str, **match) -> list:
    """Log entries whose request fields equal `match` (e.g. verb="patch", resource="deployments")."""
    from engine.log import eventlog

    with opened(data) as cluster, cluster.store.begin() as txn:
        out = []
        for e in eventlog.scan_entries(txn):
            if all(getattr(e.request, f) == v for f, v in match.items()):
                out.append(e)
        return out


def head_seq(data: str) -> int:
    with opened(data) as cluster:
        return cluster.head().seq


def deployment_controller_running() -> bool:
    """True once engine/controllers/deployment exists and runs among the default actors."""
    try:
        import engine.controllers.deployment  # noqa: F401
        from engine.api import default_actors
    except Exception:  # noqa: BLE001 - any import failure means "not there yet"
        return False
    return any("deployment" in getattr(a, "name", "") for a in default_actors())
