"""Adoption and release through ControllerRefs, with the seed's relabel case and set-based selectors."""

import yaml

from engine.client import must
from tests.controllers.test_replicaset_support import (
    RC_USER, RS_USER, bare_pod, boot, entries, events, names, owned_by, pods, replicaset, replicationcontroller,
)


def manifest(name):
    with open(f"fixtures/manifests/{name}") as f:
        return yaml.safe_load(f)


def refs(pod):
    return pod["metadata"].get("ownerReferences") or []


def test_relabelled_pod_is_released_and_replaced():
    """The seed: `kubectl label pod frontend-xxxxx app=myapp --overwrite` on an RC's pod."""
    c = boot()
    rc = must(c.create(manifest("rc.yaml")))
    first = names(owned_by(c, rc))
    assert len(first) == 3
    victim = first[0]
    before = c.cluster.head().seq
    must(c.patch("pods", victim, {"metadata": {"labels": {"app": "myapp"}}}, patch_type="merge"))
    released = must(c.get("pods", victim))
    assert refs(released) == [] and released["metadata"]["labels"] == {"app": "myapp"}
    mine = [e for e in entries(c, before) if e.request.user == RC_USER]
    release = mine[0]
    assert (release.request.verb, release.request.name, release.request.params["patchType"]) == ("patch", victim, "strategic")
    assert release.request.body == {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": rc["metadata"]["uid"]}],
                                                 "uid": released["metadata"]["uid"]}}
    now = owned_by(c, rc)
    assert len(now) == 3 and victim not in names(now)
    assert len(pods(c)) == 4  # the relabelled pod stays, unowned
    rc = must(c.get("rc", "frontend"))
    assert rc["status"]["replicas"] == 3
    assert events(c, "frontend")[-1][1] == "SuccessfulCreate"


def test_relabelling_back_is_adopted_and_the_extra_pod_goes():
    c = boot()
    rc = must(c.create(replicationcontroller(replicas=2)))
    victim = names(owned_by(c, rc))[0]
    must(c.patch("pods", victim, {"metadata": {"labels": {"app": "other"}}}, patch_type="merge"))
    assert len(pods(c)) == 3
    must(c.patch("pods", victim, {"metadata": {"labels": {"app": "nginx"}}}, patch_type="merge"))
    assert len(owned_by(c, rc)) == 2 and len(pods(c)) == 2  # adopted, then one of the three deleted
    adoption = [e for e in entries(c, 0) if e.request.user == RC_USER and e.request.verb == "patch"
                and e.request.name == victim][-1]
    assert adoption.request.body["metadata"]["ownerReferences"] == [{
        "apiVersion": "v1", "kind": "ReplicationController", "name": "frontend", "uid": rc["metadata"]["uid"],
        "controller": True, "blockOwnerDeletion": True}]
    assert adoption.request.params["patchType"] == "strategic"
    deletes = [e for e in entries(c, 0) if e.request.user == RC_USER and e.request.verb == "delete"]
    assert len(deletes) == 1


def test_new_replicaset_adopts_matching_orphans_before_creating():
    c = boot()
    for i in range(2):
        must(c.create(bare_pod(f"stray-{i}", {"tier": "frontend"})))
    must(c.create(bare_pod("unrelated", {"tier": "backend"})))
    before = c.cluster.head().seq
    rs = must(c.create(replicaset(replicas=3)))
    owned = owned_by(c, rs)
    assert {"stray-0", "stray-1"} <= set(names(owned)) and len(owned) == 3
    assert refs(must(c.get("pods", "unrelated"))) == []
    mine = [e for e in entries(c, before) if e.request.user == RS_USER and e.request.resource == "pods"]
    assert [e.request.verb for e in mine] == ["patch", "patch", "create"]  # adopt first, then only one create
    created = [e for e in events(c, "frontend") if e[1] == "SuccessfulCreate"]
    assert len(created) == 1  # adopted pods are not reported as created


def test_orphan_created_later_is_adopted_and_the_surplus_deleted():
    c = boot()
    rs = must(c.create(replicaset(replicas=2)))
    must(c.create(bare_pod("late", {"tier": "frontend"})))
    owned = owned_by(c, rs)
    assert len(owned) == 2 and len(pods(c)) == 2  # adopted, then one of three deleted (the unassigned newest first)
    assert must(c.get("rs", "frontend"))["status"]["replicas"] == 2


def test_pods_of_another_controller_are_left_alone():
    c = boot()
    other = must(c.create(replicationcontroller(name="other", replicas=1, labels={"tier": "frontend"})))
    rs = must(c.create(replicaset(replicas=1)))
    assert len(owned_by(c, other)) == 1 and len(owned_by(c, rs)) == 1
    assert len(pods(c)) == 2


def test_a_pod_being_deleted_is_not_adopted():
    from engine.controllers.replicaset.claims import adoptable
    from engine.controllers.replicaset.kinds import REPLICA_SET

    rs = {"metadata": {"name": "frontend", "namespace": "default", "uid": "u"},
          "spec": {"selector": {"matchLabels": {"tier": "frontend"}}}}
    pod = bare_pod("p", {"tier": "frontend"})
    sel = REPLICA_SET.selector(rs)
    assert adoptable(rs, pod, sel)
    assert not adoptable(rs, {**pod, "metadata": {**pod["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"}}, sel)
    assert not adoptable(rs, {**pod, "status": {"phase": "Succeeded"}}, sel)
    assert not adoptable({**rs, "metadata": {**rs["metadata"], "deletionTimestamp": "x"}}, pod, sel)
    assert not adoptable(rs, {**pod, "metadata": {**pod["metadata"], "namespace": "other"}}, sel)


def test_matchexpressions_exists_selects_any_value():
    c = boot()
    must(c.create(bare_pod("a", {"app": "spring-k8s"})))
    must(c.create(bare_pod("b", {"app": "anything"})))
    must(c.create(bare_pod("c", {"tier": "x"})))
    rs = must(c.create(manifest("rs-matchexpressions-exists.yaml")))  # replicas defaults to 1
    owned = names(owned_by(c, rs))
    assert len(owned) == 1 and owned[0] in ("a", "b")
    assert len(pods(c)) == 2  # one of the two adopted pods was surplus and deleted
    assert refs(must(c.get("pods", "c"))) == []


def test_matchexpressions_in_and_notin():
    c = boot()
    sel = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["spring-k8s", "hahahah"]},
                                {"key": "env", "operator": "NotIn", "values": ["prod"]}]}
    rs = replicaset(name="rs-demo-in", replicas=3, selector=sel, labels={"app": "spring-k8s"})
    must(c.create(bare_pod("in-dev", {"app": "hahahah", "env": "dev"})))
    must(c.create(bare_pod("in-prod", {"app": "hahahah", "env": "prod"})))
    must(c.create(bare_pod("no-env", {"app": "spring-k8s"})))
    must(c.create(bare_pod("out", {"app": "sg-k8s"})))
    rs = must(c.create(rs))
    owned = set(names(owned_by(c, rs)))
    assert {"in-dev", "no-env"} <= owned and len(owned) == 3
    assert refs(must(c.get("pods", "in-prod"))) == [] and refs(must(c.get("pods", "out"))) == []
    # a label change that leaves the In set releases the pod
    must(c.patch("pods", "in-dev", {"metadata": {"labels": {"env": "prod"}}}, patch_type="merge"))
    assert refs(must(c.get("pods", "in-dev"))) == []
    assert len(owned_by(c, rs)) == 3


def test_seed_matchlabels_manifest():
    c = boot()
    rs = must(c.create(manifest("rs-matchlabels.yaml")))
    owned = owned_by(c, rs)
    assert len(owned) == 3 and all(p["metadata"]["labels"] == {"tier": "frontend"} for p in owned)
    assert owned[0]["spec"]["containers"][0]["env"] == [{"name": "GET_HOSTS_FROM", "value": "dns"}]


def test_deleting_the_owner_with_orphan_leaves_pods_unowned():
    c = boot()
    rs = must(c.create(replicaset(replicas=2)))
    must(c.delete("rs", "frontend", propagation="Orphan"))
    left = pods(c)
    assert len(left) == 2 and all(refs(p) == [] for p in left)
    # a new ReplicaSet with the same selector adopts them instead of creating
    rs2 = must(c.create(replicaset(replicas=2)))
    assert names(owned_by(c, rs2)) == names(left) and rs2["metadata"]["uid"] != rs["metadata"]["uid"]
