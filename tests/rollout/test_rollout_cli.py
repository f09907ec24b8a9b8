"""`ktape rollout history|undo|pause|resume|restart` as a user runs them, on logs where the tests
play the Deployment controller (tests.rollout.sync) as upstream's would behave."""

import json
import os

from tests.rollout import REVISION, entries, head_seq, k, sync_data  # noqa: F401  (k is a fixture)

M = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "manifests", "nginx-deploy.yaml")
D = "nginx-deploy"
APPLY = f"ktape apply --filename={M} --record=true"
SET_V2 = f"ktape set image deployment/{D} nginx=wangyanglinux/myapp:v2 --record=true"


def seeded(k, versions=(2, 3), record_last=False):
    """apply --record, then `set image` to each version (the last one without --record unless asked)."""
    k("apply", "-f", M, "--record")
    sync_data(k.data, D)
    for i, v in enumerate(versions):
        last = i == len(versions) - 1
        args = ["set", "image", f"deployment/{D}", f"nginx=wangyanglinux/myapp:v{v}"]
        if not last or record_last:
            args.append("--record")
        k(*args)
        sync_data(k.data, D)


def rs_named(data, revision):
    from tests.rollout import opened

    with opened(data) as c, c.view() as v:
        for rs in v.list("apps", "replicasets", "default"):
            if rs["metadata"]["annotations"].get(REVISION) == str(revision):
                return rs
    raise AssertionError(f"no RS with revision {revision}")


def test_history_prints_kubectls_table(k):
    seeded(k)
    out, _ = k("rollout", "history", f"deployment/{D}")
    # kubectl's NamePrinter leaves a space after the name when the operation is empty, and the
    # table ends with a blank line; revision 3 inherits the Deployment's change-cause, as upstream.
    assert out == (f"deployment.apps/{D} \n"
                   "REVISION  CHANGE-CAUSE\n"
                   f"1         {APPLY}\n"
                   f"2         {SET_V2}\n"
                   f"3         {SET_V2}\n"
                   "\n")
    assert k("rollout", "history", "deployment", D)[0] == out
    assert k("rollout", "history", "deploy", D, "-n", "default")[0] == out


def test_history_revision_prints_the_pod_template(k):
    seeded(k)
    h = rs_named(k.data, 2)["metadata"]["labels"]["pod-template-hash"]
    out, _ = k("rollout", "history", f"deployment/{D}", "--revision=2")
    assert out == (f"deployment.apps/{D} with revision #2\n"
                   "Pod Template:\n"
                   f"  Labels:\tapp={D}\n"
                   f"\tpod-template-hash={h}\n"
                   f"  Annotations:\tkubernetes.io/change-cause: {SET_V2}\n"
                   "  Containers:\n"
                   "   nginx:\n"
                   "    Image:\twangyanglinux/myapp:v2\n"
                   "    Port:\t80/TCP\n"
                   "    Host Port:\t0/TCP\n"
                   "    Environment:\t<none>\n"
                   "    Mounts:\t<none>\n"
                   "  Volumes:\t<none>\n"
                   "  Node-Selectors:\t<none>\n"
                   "  Tolerations:\t<none>\n"
                   "\n")
    _, err = k("rollout", "history", f"deployment/{D}", "--revision=9", code=1)
    assert err == "error: unable to find the specified revision\n"


def test_history_without_replicasets_and_of_a_missing_deployment(k):
    k("apply", "-f", M)
    assert k("rollout", "history", f"deployment/{D}")[0] == f"deployment.apps/{D} \nNo rollout history found.\n"
    out, _ = k("rollout", "history", f"deployment/{D}", "--revision=2")
    assert out == f"deployment.apps/{D} with revision #2\nNo rollout history found.\n"
    assert json.loads(k("rollout", "history", f"deployment/{D}", "-o", "json")[0]) == []
    _, err = k("rollout", "history", "deployment/nope", code=1)
    assert err.strip() == 'Error from server (NotFound): deployments.apps "nope" not found'
    _, err = k("rollout", "history", "rs/x", code=1)
    assert err.strip() == 'error: no history viewer has been implemented for "ReplicaSet.apps"'


def test_history_all_shows_pruned_revisions_with_seq_and_limit(k):
    seeded(k, versions=(2, 3, 4), record_last=True)
    k("patch", "deployment", D, "-p", '{"spec":{"revisionHistoryLimit":1}}')
    sync_data(k.data, D)
    deletes = entries(k.data, verb="delete", resource="replicasets")
    assert len(deletes) == 2
    plain, _ = k("rollout", "history", f"deployment/{D}")
    assert [l.split()[0] for l in plain.splitlines()[2:-1]] == ["3", "4"]
    out, _ = k("rollout", "history", f"deployment/{D}", "--all")
    lines = out.splitlines()
    assert lines[0] == f"deployment.apps/{D} " and lines[-1] == ""
    assert lines[1].split() == ["REVISION", "PREVIOUS", "REPLICASET", "IMAGES", "SEQ", "CREATED", "CAUSED-BY",
                                "PRUNED", "CHANGE-CAUSE"]
    rev1, rev2 = lines[2].split(), lines[3].split()
    assert rev1[0] == "1" and rev1[3] == "wangyanglinux/myapp:v1"
    assert rev1[7:9] == [str(deletes[0].seq), "(revisionHistoryLimit=1)"]
    assert rev2[0] == "2" and rev2[7] == str(deletes[1].seq)
    assert [l.split()[0] for l in lines[2:-1]] == ["1", "2", "3", "4"]
    assert lines[5].split()[7] == "-"
    # a pruned revision's template is still known to the log
    tmpl, _ = k("rollout", "history", f"deployment/{D}", "--all", "--revision=1")
    assert "Image:\twangyanglinux/myapp:v1\n" in tmpl
    k("rollout", "history", f"deployment/{D}", "--revision=1", code=1)


def test_history_json_keys_and_types(k):
    seeded(k, versions=(2, 3, 4), record_last=True)
    k("patch", "deployment", D, "-p", '{"spec":{"revisionHistoryLimit":2}}')
    sync_data(k.data, D)
    docs = json.loads(k("rollout", "history", f"deployment/{D}", "--all", "-o", "json")[0])
    assert [d["revision"] for d in docs] == [1, 2, 3, 4]
    required = {"revision", "changeCause", "images", "replicaSet", "createdSeq", "createdAt", "prunedSeq"}
    optional = {"causedBy", "prunedBecause", "previousRevisions"}
    creates = {e.request.body["metadata"]["name"]: e for e in entries(k.data, verb="create", resource="replicasets")}
    for d in docs:
        assert required <= set(d) <= required | optional
        assert isinstance(d["revision"], int) and isinstance(d["images"], list)
        assert all(isinstance(i, str) for i in d["images"])
        assert isinstance(d["changeCause"], str) and isinstance(d["replicaSet"], str)
        assert isinstance(d["createdSeq"], int) and d["createdAt"] == "2026-01-01T00:00:00Z"
        assert d["prunedSeq"] is None or isinstance(d["prunedSeq"], int)
        assert d["createdSeq"] == creates[d["replicaSet"]].seq
        assert set(d["causedBy"]) == {"user", "command", "seq"} and d["causedBy"]["user"] == "kubernetes-admin"
    pruned = docs[0]
    assert pruned["prunedSeq"] == entries(k.data, verb="delete", resource="replicasets")[0].seq
    assert pruned["prunedBecause"]["revisionHistoryLimit"] == 2
    assert pruned["prunedBecause"]["reason"] == "RevisionHistoryLimit"
    assert docs[0]["causedBy"]["command"] == f"ktape apply -f {M} --record"
    assert docs[3]["causedBy"]["command"] == f"ktape set image deployment/{D} nginx=wangyanglinux/myapp:v4 --record"
    assert docs[3]["changeCause"] == f"ktape set image deployment/{D} nginx=wangyanglinux/myapp:v4 --record=true"
    current = json.loads(k("rollout", "history", f"deployment/{D}", "-o", "json")[0])
    assert [d["revision"] for d in current] == [2, 3, 4] and all(d["prunedSeq"] is None for d in current)


def test_history_at_an_earlier_seq(k):
    seeded(k, versions=(2,))
    mid = head_seq(k.data)
    k("set", "image", f"deployment/{D}", "nginx=wangyanglinux/myapp:v3")
    sync_data(k.data, D)
    out, _ = k("rollout", "history", f"deployment/{D}", "--at", str(mid))
    assert [l.split()[0] for l in out.splitlines()[2:-1]] == ["1", "2"]
    assert len(k("rollout", "history", f"deployment/{D}")[0].splitlines()) == 6
    docs = json.loads(k("rollout", "history", f"deployment/{D}", "--at", "2026-01-01T00:00:00Z", "-o", "json")[0])
    assert [d["revision"] for d in docs] == [1, 2, 3]


def _rollback_patch(data):
    patches = [e for e in entries(data, verb="patch", resource="deployments") if e.request.params.get("patchType") == "json"]
    return patches[-1]


def test_undo_rolls_back_to_the_previous_revision_with_kubectls_json_patch(k):
    seeded(k)
    dep_before = json.loads(k("get", "deploy", D, "-o", "json")[0])
    rs2 = rs_named(k.data, 2)
    assert k("rollout", "undo", f"deployment/{D}")[0] == f"deployment.apps/{D} rolled back\n"
    e = _rollback_patch(k.data)
    expected_template = json.loads(json.dumps(rs2["spec"]["template"]))
    del expected_template["metadata"]["labels"]["pod-template-hash"]
    expected_template["metadata"]["creationTimestamp"] = None
    dep_ann = dep_before["metadata"]["annotations"]
    expected_annotations = {
        "kubectl.kubernetes.io/last-applied-configuration": dep_ann["kubectl.kubernetes.io/last-applied-configuration"],
        REVISION: "3",  # the Deployment's own, kept
        "kubernetes.io/change-cause": SET_V2,  # the ReplicaSet's
    }
    assert e.request.body == [
        {"op": "replace", "path": "/spec/template", "value": expected_template},
        {"op": "replace", "path": "/metadata/annotations", "value": expected_annotations},
    ]
    assert e.request.params["command"] == f"ktape rollout undo deployment/{D}"
    assert "fieldManager" not in e.request.params
    sync_data(k.data, D)
    out, _ = k("rollout", "history", f"deployment/{D}")
    assert [l.split()[0] for l in out.splitlines()[2:-1]] == ["1", "3", "4"]
    dep = json.loads(k("get", "deploy", D, "-o", "json")[0])
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "wangyanglinux/myapp:v2"
    assert dep["metadata"]["annotations"][REVISION] == "4"


def test_undo_to_revision_copies_that_revisions_annotations(k):
    seeded(k, versions=(2, 3), record_last=True)
    rs1 = rs_named(k.data, 1)
    assert k("rollout", "undo", f"deployment/{D}", "--to-revision=1")[0] == f"deployment.apps/{D} rolled back\n"
    body = _rollback_patch(k.data).request.body
    assert body[0]["value"]["spec"] == rs1["spec"]["template"]["spec"]
    assert body[0]["value"]["metadata"] == {"creationTimestamp": None, "labels": {"app": D}}
    assert body[1]["value"]["kubernetes.io/change-cause"] == APPLY
    assert body[1]["value"][REVISION] == "3"
    sync_data(k.data, D)
    docs = json.loads(k("rollout", "history", f"deployment/{D}", "-o", "json")[0])
    assert [(d["revision"], d["images"], d.get("previousRevisions")) for d in docs] == [
        (2, ["wangyanglinux/myapp:v2"], None), (3, ["wangyanglinux/myapp:v3"], None), (4, ["wangyanglinux/myapp:v1"], [1])]
    assert docs[2]["causedBy"]["command"] == f"ktape rollout undo deployment/{D} --to-revision=1"


def test_undo_skips_missing_and_refuses_like_kubectl(k):
    seeded(k)
    before = head_seq(k.data)
    out, _ = k("rollout", "undo", f"deployment/{D}", "--to-revision=3")
    assert out == f"deployment.apps/{D} skipped rollback (current template already matches revision 3)\n"
    _, err = k("rollout", "undo", f"deployment/{D}", "--to-revision=9", code=1)
    assert err == "error: unable to find specified revision 9 in history\n"
    assert not [e for e in entries(k.data, verb="patch", resource="deployments") if e.seq > before]
    k("rollout", "pause", f"deployment/{D}")
    _, err = k("rollout", "undo", f"deployment/{D}", code=1)
    assert err == ("error: you cannot rollback a paused deployment; resume it first with "
                   "'kubectl rollout resume' and try again\n")
    k("create", "deployment", "web", "--image=nginx")
    _, err = k("rollout", "undo", "deployment/web", code=1)
    assert err == 'error: no rollout history found for deployment "web"\n'


def test_undo_dry_run_prints_the_template_with_the_printers_dry_run_suffix(k):
    # rollout_undo.go: PrintFlagsWithDryRunStrategy completes the NamePrinter's operation with
    # "%s (dry run)"; the Deployment rollbacker's operation is the bare pod template.
    seeded(k)
    before = head_seq(k.data)
    out, _ = k("rollout", "undo", f"deployment/{D}", "--dry-run=client")
    assert out.startswith(f"deployment.apps/{D} Pod Template:\n") and out.endswith("\n (dry run)\n")
    assert "wangyanglinux/myapp:v2" in out
    assert not [e for e in entries(k.data, verb="patch", resource="deployments") if e.seq > before]


def test_pause_resume_and_their_errors(k):
    seeded(k, versions=(2,))
    assert k("rollout", "pause", f"deployment/{D}")[0] == f"deployment.apps/{D} paused\n"
    _, err = k("rollout", "pause", f"deployment/{D}", code=1)
    assert err == f'error: deployments.apps "{D}" is already paused\n'
    assert json.loads(k("get", "deploy", D, "-o", "json")[0])["spec"]["paused"] is True
    assert k("rollout", "resume", f"deployment/{D}")[0] == f"deployment.apps/{D} resumed\n"
    _, err = k("rollout", "resume", f"deployment/{D}", code=1)
    assert err == f'error: deployments.apps "{D}" is not paused\n'
    assert "paused" not in json.loads(k("get", "deploy", D, "-o", "json")[0])["spec"]
    pause, resume = [e for e in entries(k.data, verb="patch", resource="deployments")
                     if e.request.params.get("fieldManager") == "kubectl-rollout"]
    assert pause.request.body == {"spec": {"paused": True}} and pause.request.params["patchType"] == "strategic"
    assert resume.request.body == {"spec": {"paused": None}}
    k("create", "-f", os.path.join(os.path.dirname(M), "rc.yaml"))
    _, err = k("rollout", "pause", "rc/frontend", code=1)
    assert err == 'error: replicationcontrollers "frontend" pausing is not supported\n'


def test_restart_sets_restarted_at_to_the_virtual_time(k):
    seeded(k, versions=(2,))
    assert k("rollout", "restart", f"deployment/{D}")[0] == f"deployment.apps/{D} restarted\n"
    dep = json.loads(k("get", "deploy", D, "-o", "json")[0])
    assert dep["spec"]["template"]["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}
    _, err = k("rollout", "restart", f"deployment/{D}", code=1)
    assert err.startswith(f"error: failed to create patch for {D}: if restart has already been triggered")
    k("advance", "90s")
    k("rollout", "restart", f"deployment/{D}")
    last = entries(k.data, verb="patch", resource="deployments")[-1]
    assert last.request.body == {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:01:30Z"}}}}}
    k("rollout", "pause", f"deployment/{D}")
    _, err = k("rollout", "restart", f"deployment/{D}", code=1)
    assert err == f'error: deployments.apps "{D}" can\'t restart paused deployment (run rollout resume first)\n'
