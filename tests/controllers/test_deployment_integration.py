"""The Deployment controller in a real in-memory cluster, with a fake ReplicaSet controller whose
pods become available a few virtual seconds after they are asked for."""

import pytest

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.clock import parse_time
from engine.client import Client, must
from engine.controllers.deployment import DeploymentController
from engine.controllers.garbage_collector import GarbageCollector
from engine.log import eventlog
from tests.controllers.test_deployment_builders import FakeReplicaSetController

START = parse_time("2026-01-01T00:00:00Z")
SECOND = 1_000_000
CONTROLLER = "system:serviceaccount:kube-system:deployment-controller"


def web(replicas=10, image="nginx:1.26", **spec):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": image}]}}, **spec},
    }


@pytest.fixture
def fake():
    return FakeReplicaSetController(delay_us=5 * SECOND, never_ready_image="nginx:broken")


@pytest.fixture
def cluster(fake):
    c = Cluster.memory(actors=[GarbageCollector(), DeploymentController(), fake])
    init(c, InitOptions(start_time=START))
    yield c
    c.close()


@pytest.fixture
def client(cluster):
    return Client(cluster)


def set_image(client, image):
    return must(client.patch("deploy", "web", {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}))


def replica_sets(cluster):
    with cluster.view() as v:
        return {r["metadata"]["name"]: r for r in v.list("apps", "replicasets", "default")}


def get_deploy(cluster):
    with cluster.view() as v:
        return v.get("apps", "deployments", "default", "web")


def controller_entries(cluster, after=0):
    with cluster.store.begin() as txn:
        return [e for e in eventlog.scan_entries(txn, after + 1, eventlog.read_head(txn).seq) if e.request.user == CONTROLLER]


def scaling_events(cluster, after=0):
    return [e.request.body["message"] for e in controller_entries(cluster, after)
            if e.request.resource == "events" and e.request.body["reason"] == "ScalingReplicaSet"]


def conditions(d):
    return {c["type"]: (c["status"], c["reason"]) for c in d["status"].get("conditions") or ()}


def settle_rollout(cluster, seconds=60):
    for _ in range(seconds // 5):
        cluster.advance(5 * SECOND)


def test_rolling_update_walks_25_percent_surge_and_unavailability(cluster, client, fake):
    must(client.create(web(replicas=10)))
    settle_rollout(cluster, 10)
    (v1,) = replica_sets(cluster)
    d = get_deploy(cluster)
    assert d["status"]["availableReplicas"] == 10 and conditions(d)["Progressing"] == ("True", "NewReplicaSetAvailable")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"

    mark, history_mark = cluster.head().seq, len(fake.history)
    set_image(client, "nginx:1.27")
    settle_rollout(cluster, 30)

    v2 = next(n for n in replica_sets(cluster) if n != v1)
    sizes = {v1: 10, v2: 0}
    steps = []
    for e in controller_entries(cluster, mark):
        req = e.request
        if req.resource == "replicasets" and req.verb in ("create", "patch") and "spec" in (req.body or {}):
            sizes[req.name or req.body["metadata"]["name"]] = req.body["spec"]["replicas"]
            steps.append((sizes[v1], sizes[v2]))
    assert steps == [(10, 3), (8, 3), (8, 5), (3, 5), (3, 10), (0, 10)]
    assert scaling_events(cluster, mark) == [
        f"Scaled up replica set {v2} to 3",
        f"Scaled down replica set {v1} to 8 from 10",
        f"Scaled up replica set {v2} to 5 from 3",
        f"Scaled down replica set {v1} to 3 from 8",
        f"Scaled up replica set {v2} to 10 from 5",
        f"Scaled down replica set {v1} to 0 from 3",
    ]
    with cluster.view() as v:
        stored = [e for e in v.list("", "events", "default") if e["involvedObject"]["kind"] == "Deployment"]
    assert {(e["reason"], e["source"]["component"], e["type"]) for e in stored} == {
        ("ScalingReplicaSet", "deployment-controller", "Normal")}
    assert len(stored) == 7 and all(e["metadata"]["name"].startswith("web.") for e in stored)
    during = fake.history[history_mark:]
    assert max(total for _, total, _ in during) == 13
    assert min(available for _, _, available in during) == 8

    d = get_deploy(cluster)
    rss = replica_sets(cluster)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert rss[v2]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert rss[v1]["spec"]["replicas"] == 0  # kept for rollback (revisionHistoryLimit 10)
    assert {k: d["status"][k] for k in ("replicas", "updatedReplicas", "availableReplicas", "observedGeneration")} == {
        "replicas": 10, "updatedReplicas": 10, "availableReplicas": 10, "observedGeneration": 2}
    assert conditions(d) == {"Available": ("True", "MinimumReplicasAvailable"),
                             "Progressing": ("True", "NewReplicaSetAvailable")}
    assert [c["message"] for c in d["status"]["conditions"] if c["type"] == "Progressing"] == [
        f'ReplicaSet "{v2}" has successfully progressed.']


def test_undo_reuses_the_old_replica_set_and_change_cause_follows(cluster, client):
    must(client.create({**web(replicas=2), "metadata": {"name": "web", "annotations": {"kubernetes.io/change-cause": "create"}}}))
    settle_rollout(cluster, 10)
    (v1,) = replica_sets(cluster)
    must(client.patch("deploy", "web", {"metadata": {"annotations": {"kubernetes.io/change-cause": "set image 1.27"}},
                                        "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}}))
    settle_rollout(cluster, 20)
    rss = replica_sets(cluster)
    v2 = next(n for n in rss if n != v1)
    assert rss[v2]["metadata"]["annotations"]["kubernetes.io/change-cause"] == "set image 1.27"
    # kubectl rollout undo: replace the template (and annotations) with revision 1's, client-side
    old = rss[v1]
    template = {**old["spec"]["template"], "metadata": {"labels": {"app": "web"}, "creationTimestamp": None}}
    annotations = {k: v for k, v in old["metadata"]["annotations"].items()
                   if k not in ("deployment.kubernetes.io/revision", "deployment.kubernetes.io/desired-replicas",
                                "deployment.kubernetes.io/max-replicas", "deployment.kubernetes.io/revision-history")}
    annotations["deployment.kubernetes.io/revision"] = "2"
    must(client.patch("deploy", "web", [{"op": "replace", "path": "/spec/template", "value": template},
                                        {"op": "replace", "path": "/metadata/annotations", "value": annotations}],
                      patch_type="json"))
    settle_rollout(cluster, 20)
    rss = replica_sets(cluster)
    assert set(rss) == {v1, v2}  # no new replica set
    ann = rss[v1]["metadata"]["annotations"]
    assert ann["deployment.kubernetes.io/revision"] == "3" and ann["deployment.kubernetes.io/revision-history"] == "1"
    assert ann["kubernetes.io/change-cause"] == "create"
    assert rss[v1]["spec"]["replicas"] == 2 and rss[v2]["spec"]["replicas"] == 0
    d = get_deploy(cluster)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"


def test_server_side_rollback_annotation(cluster, client):
    must(client.create(web(replicas=1)))
    settle_rollout(cluster, 10)
    set_image(client, "nginx:1.27")
    settle_rollout(cluster, 20)
    must(client.patch("deploy", "web", {"metadata": {"annotations": {"deprecated.deployment.rollback.to": "0"}}}, patch_type="merge"))
    settle_rollout(cluster, 20)
    d = get_deploy(cluster)
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert "deprecated.deployment.rollback.to" not in d["metadata"]["annotations"]
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    rollbacks = [e.request.body["message"] for e in controller_entries(cluster)
                 if e.request.resource == "events" and e.request.body["reason"] == "DeploymentRollback"]
    assert rollbacks == ['Rolled back deployment "web" to revision 1']


def test_recreate_never_runs_old_and_new_pods_together(cluster, client, fake):
    must(client.create(web(replicas=3, strategy={"type": "Recreate"})))
    settle_rollout(cluster, 10)
    (v1,) = replica_sets(cluster)
    mark = cluster.head().seq
    set_image(client, "nginx:1.27")
    settle_rollout(cluster, 20)
    rss = replica_sets(cluster)
    v2 = next(n for n in rss if n != v1)
    assert scaling_events(cluster, mark) == [f"Scaled down replica set {v1} to 0 from 3", f"Scaled up replica set {v2} to 3"]
    creates = [e.seq for e in controller_entries(cluster, mark) if e.request.verb == "create" and e.request.resource == "replicasets"]
    with cluster.store.begin() as txn:
        old_gone = min(e.seq for e in eventlog.scan_entries(txn, mark + 1, cluster.head().seq)
                       if e.request.resource == "replicasets" and e.request.subresource == "status"
                       and e.request.name == v1 and e.request.body["status"]["replicas"] == 0)
    assert creates[0] > old_gone
    assert conditions(get_deploy(cluster))["Progressing"] == ("True", "NewReplicaSetAvailable")


def test_progress_deadline_exceeded(cluster, client):
    must(client.create(web(replicas=2, progressDeadlineSeconds=30)))
    settle_rollout(cluster, 10)
    set_image(client, "nginx:broken")
    cluster.advance(20 * SECOND)
    assert conditions(get_deploy(cluster))["Progressing"] == ("True", "ReplicaSetUpdated")
    cluster.advance(15 * SECOND)  # the controller woke itself at the deadline
    d = get_deploy(cluster)
    assert conditions(d)["Progressing"] == ("False", "ProgressDeadlineExceeded")
    new = next(n for n, r in replica_sets(cluster).items() if r["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:broken")
    assert [c["message"] for c in d["status"]["conditions"] if c["type"] == "Progressing"] == [
        f'ReplicaSet "{new}" has timed out progressing.']
    assert d["status"]["availableReplicas"] >= 1  # old pods stay


def test_paused_deployment_scales_proportionally_and_rolls_out_on_resume(cluster, client):
    must(client.create(web(replicas=4, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})))
    settle_rollout(cluster, 10)
    set_image(client, "nginx:broken")  # stuck mid-rollout: new RS 1, old RS 4
    settle_rollout(cluster, 10)
    sizes = sorted(r["spec"]["replicas"] for r in replica_sets(cluster).values())
    assert sizes == [1, 4]
    must(client.patch("deploy", "web", {"spec": {"paused": True}}, patch_type="merge"))
    set_image(client, "nginx:1.28")
    must(client.scale("deploy", "web", 8))
    cluster.advance(5 * SECOND)
    rss = replica_sets(cluster)
    assert len(rss) == 2  # no new replica set while paused
    assert sorted(r["spec"]["replicas"] for r in rss.values()) == [2, 7]  # 5 -> 9 (8 + surge 1) in proportion
    assert conditions(get_deploy(cluster))["Progressing"] == ("Unknown", "DeploymentPaused")
    must(client.patch("deploy", "web", {"spec": {"paused": None}}, patch_type="merge"))
    settle_rollout(cluster, 60)
    rss = replica_sets(cluster)
    assert len(rss) == 3
    live = {r["spec"]["template"]["spec"]["containers"][0]["image"]: r["spec"]["replicas"] for r in rss.values()}
    assert live == {"nginx:1.26": 0, "nginx:broken": 0, "nginx:1.28": 8}
    assert conditions(get_deploy(cluster))["Progressing"] == ("True", "NewReplicaSetAvailable")


def test_revision_history_limit_cleans_up_after_the_rollout(cluster, client):
    must(client.create(web(replicas=1, revisionHistoryLimit=1)))
    settle_rollout(cluster, 10)
    for image in ("nginx:1.27", "nginx:1.28", "nginx:1.29"):
        set_image(client, image)
        settle_rollout(cluster, 20)
    rss = replica_sets(cluster)
    images = sorted(r["spec"]["template"]["spec"]["containers"][0]["image"] for r in rss.values())
    assert images == ["nginx:1.28", "nginx:1.29"]
    revisions = sorted(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] for r in rss.values())
    assert revisions == ["3", "4"]


def test_recreated_deployment_adopts_its_orphaned_replica_set(cluster, client):
    must(client.create(web(replicas=2)))
    settle_rollout(cluster, 10)
    (v1,) = replica_sets(cluster)
    must(client.delete("deploy", "web", propagation="Orphan"))
    cluster.advance(SECOND)
    assert get_deploy(cluster) is None and replica_sets(cluster)[v1]["metadata"].get("ownerReferences") is None
    must(client.create(web(replicas=2)))
    settle_rollout(cluster, 10)
    rss = replica_sets(cluster)
    assert list(rss) == [v1]
    d = get_deploy(cluster)
    assert rss[v1]["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    assert d["status"].get("collisionCount") is None and d["status"]["availableReplicas"] == 2


def test_a_deleted_deployment_takes_its_replica_sets_with_it(cluster, client):
    must(client.create(web(replicas=2)))
    settle_rollout(cluster, 10)
    must(client.delete("deploy", "web"))
    cluster.advance(SECOND)
    assert replica_sets(cluster) == {}
