"""`ktape rollout history|undo` on DaemonSets and StatefulSets, with the real controllers writing
the ControllerRevisions (kubectl history.go DaemonSetHistoryViewer / StatefulSetHistoryViewer,
rollback.go DaemonSetRollbacker / StatefulSetRollbacker)."""

import json

import yaml

from tests.rollout import k_real, opened  # noqa: F401  (k_real is a fixture)

DS = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: logs
spec:
  selector:
    matchLabels: {app: logs}
  template:
    metadata:
      labels: {app: logs}
    spec:
      containers:
      - name: agent
        image: busybox:1
"""

STS = """apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  revisionHistoryLimit: %d
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1
"""


def template_text(image: str, app: str, container: str) -> str:
    """history.go printTemplate of a one-container template (no change-cause added for these kinds)."""
    return ("Pod Template:\n"
            f"  Labels:\t{app_label(app)}\n"
            "  Containers:\n"
            f"   {container}:\n"
            f"    Image:\t{image}\n"
            "    Port:\t<none>\n"
            "    Host Port:\t<none>\n"
            "    Environment:\t<none>\n"
            "    Mounts:\t<none>\n"
            "  Volumes:\t<none>\n"
            "  Node-Selectors:\t<none>\n"
            "  Tolerations:\t<none>\n")


def app_label(app: str) -> str:
    return f"app={app}"


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def revisions(data: str, app: str) -> dict:
    with opened(data) as c, c.view() as v:
        return {r["metadata"]["name"]: r for r in v.list("apps", "controllerrevisions", "default")
                if r["metadata"]["labels"].get("app") == app}


def image(data: str, resource: str, name: str) -> str:
    with opened(data) as c, c.view() as v:
        return v.get("apps", resource, "default", name)["spec"]["template"]["spec"]["containers"][0]["image"]


def json_docs(text: str) -> list:
    dec, docs, i = json.JSONDecoder(), [], 0
    while i < len(text):
        doc, i = dec.raw_decode(text, i)
        docs.append(doc)
        while i < len(text) and text[i].isspace():
            i += 1
    return docs


def test_daemonset_history_lists_controller_revisions_with_change_cause(k_real, tmp_path):
    k = k_real
    f = write(tmp_path, "ds.yaml", DS)
    k("apply", "-f", f)
    k("set", "image", "ds/logs", "agent=busybox:2", "--record")
    out, _ = k("rollout", "history", "ds/logs")
    # The CHANGE-CAUSE comes from the revision's annotations, copied from the DaemonSet's.
    assert out == ("daemonset.apps/logs \n"
                   "REVISION  CHANGE-CAUSE\n"
                   "1         <none>\n"
                   "2         ktape set image ds/logs agent=busybox:2 --record=true\n"
                   "\n")
    out, _ = k("rollout", "history", "daemonset", "logs", "--revision=1")
    assert out == "daemonset.apps/logs with revision #1\n" + template_text("busybox:1", "logs", "agent") + "\n"
    _, err = k("rollout", "history", "ds/logs", "--revision=5", code=1)
    assert err == "error: unable to find the specified revision\n"
    _, err = k("rollout", "history", "ds/logs", "--revision=-1", code=1)
    assert err == "error: revision must be a positive integer: -1\n"
    # -o: GetHistory's objects, the DaemonSet with each revision applied, by revision number.
    docs = json_docs(k("rollout", "history", "ds/logs", "-o", "json")[0])
    assert [d["kind"] for d in docs] == ["DaemonSet", "DaemonSet"]
    assert [d["spec"]["template"]["spec"]["containers"][0]["image"] for d in docs] == ["busybox:1", "busybox:2"]
    assert all("managedFields" not in d["metadata"] for d in docs)
    one = list(yaml.safe_load_all(k("rollout", "history", "ds/logs", "-o", "yaml", "--revision=1")[0]))
    assert len(one) == 1 and one[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1"
    both = k("rollout", "history", "ds/logs", "-o", "yaml")[0]
    assert both.count("\n---\n") == 1 and len(list(yaml.safe_load_all(both))) == 2
    _, err = k("rollout", "history", "ds/logs", "-o", "json", "--revision=7", code=1)
    assert err == "error: unable to find the specified revision\n"


def test_daemonset_undo_applies_the_revision_data_as_a_strategic_merge_patch(k_real, tmp_path):
    k = k_real
    k("apply", "-f", write(tmp_path, "ds.yaml", DS))
    _, err = k("rollout", "undo", "ds/logs", code=1)
    assert err == "error: no last revision to roll back to\n"
    k("set", "image", "ds/logs", "agent=busybox:2")
    out, _ = k("rollout", "undo", "ds/logs", "--dry-run=client")
    assert out == ("daemonset.apps/logs will roll back to " + template_text("busybox:1", "logs", "agent")
                   + " (dry run)\n")
    assert k("rollout", "undo", "ds/logs", "--dry-run=server")[0] == "daemonset.apps/logs rolled back (server dry run)\n"
    assert image(k.data, "daemonsets", "logs") == "busybox:2"
    before = {n: r["revision"] for n, r in revisions(k.data, "logs").items()}
    assert sorted(before.values()) == [1, 2]
    assert k("rollout", "undo", "ds/logs")[0] == "daemonset.apps/logs rolled back\n"
    assert image(k.data, "daemonsets", "logs") == "busybox:1"
    # The controller raises the restored revision's number: 1 becomes 3, no new revision.
    after = {n: r["revision"] for n, r in revisions(k.data, "logs").items()}
    first = next(n for n, v in before.items() if v == 1)
    assert after == {**before, first: 3}
    out, _ = k("rollout", "history", "ds/logs")
    assert out == "daemonset.apps/logs \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n"
    out, _ = k("rollout", "undo", "ds/logs", "--to-revision=3")
    assert out == "daemonset.apps/logs skipped rollback (current template already matches revision 3)\n"
    _, err = k("rollout", "undo", "ds/logs", "--to-revision=1", code=1)
    assert err == "error: unable to find specified revision 1 in history\n"
    assert k("rollout", "undo", "ds/logs", "--to-revision=2")[0] == "daemonset.apps/logs rolled back\n"
    assert image(k.data, "daemonsets", "logs") == "busybox:2"


def test_statefulset_history_undo_and_the_pods_revision_labels(k_real, tmp_path):
    k = k_real
    k("apply", "-f", write(tmp_path, "sts.yaml", STS % 10))
    k("set", "image", "sts/web", "nginx=nginx:2", "--record")
    out, _ = k("rollout", "history", "sts/web")
    assert out == ("statefulset.apps/web \n"
                   "REVISION  CHANGE-CAUSE\n"
                   "1         <none>\n"
                   "2         ktape set image sts/web nginx=nginx:2 --record=true\n"
                   "\n")
    out, _ = k("rollout", "history", "statefulset/web", "--revision=2")
    assert out == "statefulset.apps/web with revision #2\n" + template_text("nginx:2", "web", "nginx") + "\n"
    assert k("rollout", "undo", "sts/web")[0] == "statefulset.apps/web rolled back\n"
    revs = revisions(k.data, "web")
    assert sorted((r["revision"], r["data"]["spec"]["template"]["spec"]["containers"][0]["image"])
                  for r in revs.values()) == [(2, "nginx:2"), (3, "nginx:1")]
    with opened(k.data) as c, c.view() as v:
        sts = v.get("apps", "statefulsets", "default", "web")
    restored = next(n for n, r in revs.items() if r["revision"] == 3)
    assert sts["status"]["updateRevision"] == restored
    out, _ = k("rollout", "undo", "sts/web", "--to-revision=3")
    assert out == "statefulset.apps/web skipped rollback (current template already matches revision 3)\n"
    _, err = k("rollout", "undo", "sts/web", "--to-revision=9", code=1)
    assert err == "error: unable to find specified revision 9 in history\n"


def test_statefulset_history_at_an_earlier_seq_and_pruned_revisions(k_real, tmp_path):
    k = k_real
    k("apply", "-f", write(tmp_path, "sts.yaml", STS % 1))
    k("set", "image", "sts/web", "nginx=nginx:2")
    with opened(k.data) as c:
        seq = c.head().seq
    k("set", "image", "sts/web", "nginx=nginx:3")
    k("advance", "30s")
    k("set", "image", "sts/web", "nginx=nginx:4")
    k("advance", "30s")
    # revisionHistoryLimit 1: once the pods have moved on, only the update revision and one more stay.
    out, _ = k("rollout", "history", "sts/web")
    assert out == "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n3         <none>\n4         <none>\n\n"
    out, _ = k("rollout", "history", "sts/web", "--at", str(seq))
    assert out == "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    rows = json.loads(k("rollout", "history", "sts/web", "--all", "-o", "json")[0])
    assert [(r["revision"], r["images"], r["prunedSeq"] is not None) for r in rows] == [
        (1, ["nginx:1"], True), (2, ["nginx:2"], True), (3, ["nginx:3"], False), (4, ["nginx:4"], False)]
    assert all(r["controllerRevision"].startswith("web-") for r in rows)
    assert rows[0]["prunedBecause"] == {"user": "system:serviceaccount:kube-system:statefulset-controller",
                                        "reason": "RevisionHistoryLimit", "revisionHistoryLimit": 1}
    assert rows[1]["causedBy"]["command"].startswith("ktape set image sts/web nginx=nginx:2")
    out, _ = k("rollout", "history", "sts/web", "--all")
    assert out.splitlines()[1].split() == ["REVISION", "PREVIOUS", "CONTROLLERREVISION", "IMAGES", "SEQ", "CREATED",
                                           "CAUSED-BY", "PRUNED", "CHANGE-CAUSE"]
    # A pruned revision is shown by --revision with --all, not without.
    assert "nginx:1" in k("rollout", "history", "sts/web", "--all", "--revision=1")[0]
    _, err = k("rollout", "history", "sts/web", "--revision=1", code=1)
    assert err == "error: unable to find the specified revision\n"


def test_history_projection_through_the_index_matches_a_full_fold(k_real, tmp_path):
    from projections import rollout_history as rh

    k = k_real
    k("apply", "-f", write(tmp_path, "ds.yaml", DS))
    k("set", "image", "ds/logs", "agent=busybox:2")
    k("rollout", "undo", "ds/logs")
    with opened(k.data) as c, c.store.begin() as txn:
        seq = c.head().seq
        for s in range(1, seq + 1, max(1, seq // 7)):
            a = rh.revisions(rh.history_at(txn, "default", "logs", s, "DaemonSet"), include_pruned=True)
            b = rh.revisions(rh.history_full(txn, "default", "logs", s, "DaemonSet"), include_pruned=True)
            assert a == b
        rows = rh.revisions(rh.history_at(txn, "default", "logs", seq, "DaemonSet"))
    assert [(r.revision, r.previous_revisions, r.images) for r in rows] == [(2, (), ("busybox:2",)), (3, (1,), ("busybox:1",))]
    assert rows[1].caused_by.command.startswith("ktape rollout undo ds/logs")
