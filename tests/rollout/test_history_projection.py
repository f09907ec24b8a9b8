"""The rollout-history projection: a pure fold over a Deployment's own entries, read through the
object index, that answers exactly what a fold of the whole log answers, at every seq."""

import copy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.client import Client
from engine.log import eventlog
from projections import rollout_history as rh
from tests.rollout import CONTROLLER, memory_cluster, sync

NS = "default"


def deployment(name: str, image: str = "nginx:v1", limit: int | None = None, cause: str | None = None) -> dict:
    d = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "nginx", "image": image}]}}},
    }
    if limit is not None:
        d["spec"]["revisionHistoryLimit"] = limit
    if cause:
        d["metadata"]["annotations"] = {rh.CHANGE_CAUSE: cause}
    return d


def set_image(cluster, name: str, image: str, cause: str | None = None, command: str = "") -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}}
    if cause:
        patch["metadata"] = {"annotations": {rh.CHANGE_CAUSE: cause}}
    resp = Client(cluster, command=command or f"ktape set image deployment/{name} nginx={image}").patch(
        "deployments", name, patch, NS)
    assert resp.ok, resp.error
    sync(cluster, name)


def rows(cluster, name: str, seq: int | None = None, include_pruned: bool = False, full: bool = False):
    with cluster.store.begin() as txn:
        seq = eventlog.read_head(txn).seq if seq is None else seq
        state = (rh.history_full if full else rh.history_at)(txn, NS, name, seq)
    return rh.revisions(state, include_pruned=include_pruned)


def history_script(cluster) -> None:
    """Two Deployments whose names share a prefix, rollouts, a rollback, pruning, a manual RS
    delete, a Deployment deleted and re-created under the same name, and unrelated noise."""
    admin = Client(cluster, command="ktape apply -f web.yaml --record")
    assert admin.create(deployment("web", cause="ktape apply -f web.yaml --record"), NS).ok
    sync(cluster, "web")
    assert Client(cluster).create(deployment("web-api", image="api:v1"), NS).ok
    sync(cluster, "web-api")
    for i in range(5):
        Client(cluster).create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"noise{i}"}}, NS)
    set_image(cluster, "web", "nginx:v2", cause="ktape set image deployment/web nginx=nginx:v2 --record=true")
    set_image(cluster, "web-api", "api:v2")
    set_image(cluster, "web", "nginx:v3")
    set_image(cluster, "web", "nginx:v2", command="ktape rollout undo deployment/web")  # rollback: rev 2 -> 4
    Client(cluster).patch("deployments", "web", {"spec": {"revisionHistoryLimit": 1}}, NS)
    sync(cluster, "web")  # prunes revisions 1 and 3 down to one old RS
    set_image(cluster, "web", "nginx:v1")  # the pruned v1 template comes back: same RS name, new incarnation
    Client(cluster).get("replicasets", "web-zzz", NS)  # a read naming an RS key under the prefix
    set_image(cluster, "web-api", "api:v3")
    rs_names = sorted(rs["metadata"]["name"] for rs in _owned(cluster, "web-api"))
    assert Client(cluster).delete("replicasets", rs_names[0], NS).ok  # a person deletes an old RS
    assert Client(cluster).delete("deployments", "web-api", NS, propagation="Orphan").ok
    assert Client(cluster).create(deployment("web-api", image="api:v9"), NS).ok
    sync(cluster, "web-api")


def _owned(cluster, name):
    with cluster.view() as v:
        dep = v.get("apps", "deployments", NS, name)
        return [rs for rs in v.list("apps", "replicasets", NS) if rh.controller_uid(rs) == dep["metadata"]["uid"]]


def test_history_lists_what_kubectl_lists_with_seqs_causes_images_and_names():
    c = memory_cluster()
    history_script(c)
    got = rows(c, "web")
    assert [r.revision for r in got] == [4, 5]
    v2, v1 = got
    assert v2.images == ("nginx:v2",) and v2.previous_revisions == (2,)
    assert v2.caused_by.command == "ktape rollout undo deployment/web" and v2.caused_by.user == "kubernetes-admin"
    assert v1.images == ("nginx:v1",) and v1.replica_set.startswith("web-") and v1.exists
    assert v1.caused_by.command == "ktape set image deployment/web nginx=nginx:v1"
    assert v2.change_cause == "ktape set image deployment/web nginx=nginx:v2 --record=true"
    # the RS create entry is the controller's; causedBy names the request on the Deployment
    with c.store.begin() as txn:
        created = eventlog.read_entry(txn, v1.created_seq)
        caused = eventlog.read_entry(txn, v1.caused_by.seq)
    assert created.request.verb == "create" and created.request.resource == "replicasets"
    assert created.request.user == CONTROLLER.name
    assert caused.request.resource == "deployments" and caused.request.verb == "patch"
    assert caused.seq < created.seq


def test_all_adds_pruned_revisions_with_their_seq_and_the_limit_in_force():
    c = memory_cluster()
    history_script(c)
    everything = rows(c, "web", include_pruned=True)
    assert [(r.revision, r.exists) for r in everything] == [(1, False), (3, False), (4, True), (5, True)]
    pruned = [r for r in everything if not r.exists]
    with c.store.begin() as txn:
        for r in pruned:
            e = eventlog.read_entry(txn, r.pruned_seq)
            assert e.request.verb == "delete" and e.request.name == r.replica_set and e.request.user == CONTROLLER.name
            assert r.pruned_because == {"user": CONTROLLER.name, "reason": "RevisionHistoryLimit", "revisionHistoryLimit": 1}
    # revision 1's template came back later under the same RS name: two incarnations, two rows
    assert everything[0].replica_set == everything[3].replica_set
    assert everything[0].created_seq < everything[0].pruned_seq < everything[3].created_seq


def test_a_person_deleting_an_rs_and_a_recreated_deployment():
    c = memory_cluster()
    history_script(c)
    # web-api was re-created: its history starts again, the old incarnation's RSs are not its own
    fresh = rows(c, "web-api", include_pruned=True)
    assert [(r.revision, r.images) for r in fresh] == [(1, ("api:v9",))]
    with c.store.begin() as txn:
        seq_before_delete = max(e.seq for e in eventlog.scan_entries(txn)
                                if e.request.verb == "delete" and e.request.resource == "deployments") - 1
    old = rows(c, "web-api", seq=seq_before_delete, include_pruned=True)
    assert [r.revision for r in old] == [1, 2, 3]
    gone = [r for r in old if r.pruned_seq is not None]
    assert len(gone) == 1 and gone[0].pruned_because["reason"] == "Deleted"
    assert gone[0].pruned_because["user"] == "kubernetes-admin"


def test_index_answer_equals_the_full_fold_at_every_seq():
    c = memory_cluster()
    history_script(c)
    head = c.head().seq
    for name in ("web", "web-api", "nothing"):
        for seq in range(1, head + 1):
            for include in (False, True):
                assert rows(c, name, seq, include) == rows(c, name, seq, include, full=True), (name, seq, include)


def test_cost_follows_the_deployments_history_not_the_log():
    c = memory_cluster()
    history_script(c)
    with c.store.begin() as txn:
        before = rh.relevant_seqs(txn, NS, "web", eventlog.read_head(txn).seq)
    for i in range(300):  # unrelated history: other objects, another Deployment's ReplicaSets
        Client(c).create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"more{i}"}}, NS)
    for _ in range(50):  # reads of the Deployment itself change nothing the fold needs to see
        assert Client(c).get("deployments", "web", NS).ok
    assert Client(c).create(deployment("other"), NS).ok
    for i in range(5):
        set_image(c, "other", f"nginx:o{i}")
    with c.store.begin() as txn:
        head = eventlog.read_head(txn).seq
        after = rh.relevant_seqs(txn, NS, "web", head)
    assert after == before and len(after) < head / 5
    assert rows(c, "web", include_pruned=True) == rows(c, "web", include_pruned=True, full=True)


def test_at_an_earlier_seq_answers_as_of_that_seq():
    c = memory_cluster()
    assert Client(c).create(deployment("web"), NS).ok
    sync(c, "web")
    set_image(c, "web", "nginx:v2")
    mid = c.head().seq
    set_image(c, "web", "nginx:v3")
    assert [r.images for r in rows(c, "web", mid)] == [("nginx:v1",), ("nginx:v2",)]
    assert [r.revision for r in rows(c, "web")] == [1, 2, 3]
    assert rows(c, "web", 3) == []  # before the Deployment existed


def test_step_is_pure_and_fold_resumes():
    c = memory_cluster()
    history_script(c)
    with c.store.begin() as txn:
        entries = list(eventlog.scan_entries(txn))
    mid = len(entries) // 2
    s0 = rh.fold(entries[:mid], rh.initial(NS, "web"))
    snapshot = copy.deepcopy(s0)
    s1 = rh.step(s0, entries[mid])
    assert s0 == snapshot and s1 != s0
    assert s1.seq == entries[mid].seq
    whole = rh.fold(entries, rh.initial(NS, "web"))
    resumed = rh.fold(entries[mid:], s0)
    assert resumed == whole
    assert rh.revisions(resumed, True) == rh.revisions(whole, True)


def test_templates_compare_as_kubectl_does():
    a = {"metadata": {"labels": {"app": "x", "pod-template-hash": "abc"}, "creationTimestamp": None},
         "spec": {"containers": [{"name": "n", "image": "i", "resources": {}}]}}
    b = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "n", "image": "i"}]}}
    assert rh.templates_equal(a, b)
    assert not rh.templates_equal(a, {**b, "spec": {"containers": [{"name": "n", "image": "j"}]}})
    assert not rh.templates_equal(a, {"metadata": {"labels": {"app": "y"}}, "spec": b["spec"]})
    assert rh.parse_revision({}) == 0 and rh.parse_revision({rh.REVISION: "x"}) is None
    assert rh.parse_revision({rh.REVISION: "12"}) == 12


ops = st.lists(st.tuples(st.sampled_from(["image", "undo", "limit", "delete-rs", "noise"]), st.integers(0, 4)),
               min_size=1, max_size=14)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_index_equals_full_fold_for_any_history(script):
    c = memory_cluster()
    assert Client(c).create(deployment("app"), NS).ok
    sync(c, "app")
    for op, n in script:
        if op == "image":
            set_image(c, "app", f"nginx:v{n}")
        elif op == "undo":
            olds = sorted(_owned(c, "app"), key=lambda rs: int(rs["metadata"]["annotations"][rh.REVISION]))
            if len(olds) > 1:
                tmpl = rh.without_hash(olds[-2]["spec"]["template"])
                Client(c).patch("deployments", "app", [{"op": "replace", "path": "/spec/template", "value": tmpl}],
                                NS, "json")
                sync(c, "app")
        elif op == "limit":
            Client(c).patch("deployments", "app", {"spec": {"revisionHistoryLimit": n}}, NS)
            sync(c, "app")
        elif op == "delete-rs":
            owned = sorted(rs["metadata"]["name"] for rs in _owned(c, "app"))
            if owned:
                Client(c).delete("replicasets", owned[n % len(owned)], NS)
        else:
            Client(c).create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"n{n}-{c.head().seq}"}}, NS)
    head = c.head().seq
    for seq in range(max(1, head - 40), head + 1):
        assert rows(c, "app", seq, True) == rows(c, "app", seq, True, full=True)
        assert rows(c, "app", seq) == rows(c, "app", seq, full=True)
