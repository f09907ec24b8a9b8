"""The volume binder: dynamic provisioning of `pvc-<uid>` volumes, binding in upstream's order,
binding to a named volume, and releasing volumes whose claims went away."""

from engine.client import must
from tests.controllers.test_statefulset_support import BINDER_USER, boot, entries


def claim(name="data", storage="2Gi", modes=("ReadWriteOnce",), volume=None, storage_class=None):
    spec = {"accessModes": list(modes), "resources": {"requests": {"storage": storage}}}
    if volume:
        spec["volumeName"] = volume
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def volume(name="pv1", storage="5Gi", policy="Retain"):
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": storage},
                     "persistentVolumeReclaimPolicy": policy, "hostPath": {"path": "/data/pv1"}}}


def _writes(c, after):
    return [(e.request.verb, e.request.resource + (f"/{e.request.subresource}" if e.request.subresource else ""))
            for e in entries(c, after) if e.request.user == BINDER_USER]


def test_a_pending_claim_gets_a_provisioned_volume_and_is_bound():
    c = boot()
    head = c.cluster.head().seq
    pvc = must(c.create(claim(storage_class="fast")))
    uid = pvc["metadata"]["uid"]
    assert _writes(c, head) == [("create", "persistentvolumes"), ("create", "events"), ("update", "persistentvolumes/status"),
                                ("update", "persistentvolumeclaims"), ("update", "persistentvolumeclaims/status")]
    pv = must(c.get("pv", f"pvc-{uid}", namespace=""))
    assert pv["spec"]["capacity"] == {"storage": "2Gi"} and pv["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete" and pv["spec"]["storageClassName"] == "fast"
    assert {k: pv["spec"]["claimRef"][k] for k in ("kind", "namespace", "name", "uid")} == \
        {"kind": "PersistentVolumeClaim", "namespace": "default", "name": "data", "uid": uid}
    assert pv["status"]["phase"] == "Bound"
    pvc = must(c.get("pvc", "data"))
    assert pvc["spec"]["volumeName"] == f"pvc-{uid}"
    assert pvc["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "2Gi"}}
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"
    ev = [e for e in must(c.list("events"))["items"] if e["involvedObject"]["kind"] == "PersistentVolumeClaim"]
    assert [(e["reason"], e["message"]) for e in ev] == [
        ("ProvisioningSucceeded", f"Successfully provisioned volume pvc-{uid} using kubernetes.io/host-path")]


def test_deleting_the_claim_deletes_its_provisioned_volume():
    c = boot()
    uid = must(c.create(claim()))["metadata"]["uid"]
    must(c.delete("pvc", "data"))
    assert c.get("pv", f"pvc-{uid}", namespace="").code == 404


def test_a_claim_naming_a_volume_is_bound_to_it_and_releases_it():
    c = boot()
    must(c.create(volume()))
    assert must(c.get("pv", "pv1", namespace=""))["status"]["phase"] == "Available"
    uid = must(c.create(claim(volume="pv1")))["metadata"]["uid"]
    pv = must(c.get("pv", "pv1", namespace=""))
    assert pv["spec"]["claimRef"]["uid"] == uid and pv["status"]["phase"] == "Bound"
    pvc = must(c.get("pvc", "data"))
    assert pvc["status"]["phase"] == "Bound" and pvc["status"]["capacity"] == {"storage": "5Gi"}
    assert c.list("pv", None).obj["items"][0]["metadata"]["name"] == "pv1"  # nothing provisioned
    must(c.delete("pvc", "data"))
    assert must(c.get("pv", "pv1", namespace=""))["status"]["phase"] == "Released"


def test_a_volume_bound_to_another_claim_is_not_taken():
    c = boot()
    must(c.create(volume()))
    must(c.create(claim("first", volume="pv1")))
    must(c.create(claim("second", volume="pv1")))
    assert must(c.get("pvc", "second"))["status"]["phase"] == "Pending"
