"""The seed's controller chapter with REAL kubectl (1.29 and 1.33) against `ktape serve`.

Each kubectl version works in its own namespace on one shared server. Expected texts are what
kubectl prints against a real cluster (kubectl-wire.md section 8; the seed tutorial's output).
Generated pod names and ages vary, so tables are checked by their header line and the cells
that are deterministic.
"""

from __future__ import annotations

import json
import re

import pytest

VERSIONS = ["1.29", "1.33"]
pytestmark = pytest.mark.parametrize("v", VERSIONS)


def ns(v: str) -> str:
    return "e2e-" + v.replace(".", "")


def k(served, v, *args, **kw):
    return served.kubectl(v, "-n", ns(v), *args, **kw)


def ok(cp) -> str:
    assert cp.returncode == 0, f"rc={cp.returncode}\nstdout={cp.stdout}\nstderr={cp.stderr}"
    return cp.stdout


def header(out: str) -> list[str]:
    return re.split(r"\s{2,}", out.splitlines()[0].strip())


def rows(out: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", ln.strip()) for ln in out.splitlines()[1:] if ln.strip()]


def test_namespace_and_create(served, v):
    man = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns(v)}})
    assert ok(served.kubectl(v, "create", "-f", "-", stdin=man)) == f"namespace/{ns(v)} created\n"
    assert ok(k(served, v, "create", "-f", "manifests/nginx-deploy.yaml")) == "deployment.apps/nginx-deploy created\n"
    again = k(served, v, "create", "-f", "manifests/nginx-deploy.yaml")
    assert again.returncode == 1
    assert again.stderr == ('Error from server (AlreadyExists): error when creating "manifests/nginx-deploy.yaml": '
                            'deployments.apps "nginx-deploy" already exists\n')


def test_apply_without_annotation_warns_and_configures(served, v):
    cp = k(served, v, "apply", "-f", "manifests/nginx-deploy.yaml")
    assert ok(cp) == "deployment.apps/nginx-deploy configured\n"
    assert "missing the kubectl.kubernetes.io/last-applied-configuration annotation" in cp.stderr
    assert ok(k(served, v, "apply", "-f", "manifests/nginx-deploy.yaml")) == "deployment.apps/nginx-deploy unchanged\n"


def test_rollout_status_and_get_show_labels(served, v):
    out = ok(k(served, v, "rollout", "status", "deployment/nginx-deploy", "--timeout=60s"))
    assert out.splitlines()[-1] == 'deployment "nginx-deploy" successfully rolled out'
    out = ok(k(served, v, "get", "deploy", "--show-labels"))
    assert header(out) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "LABELS"]
    (row,) = rows(out)
    assert row[:4] == ["nginx-deploy", "1/1", "1", "1"] and row[5] == "app=nginx-deploy"
    out = ok(k(served, v, "get", "pods", "-o", "wide"))
    assert header(out) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    (row,) = rows(out)
    assert row[0].startswith("nginx-deploy-") and row[1:4] == ["1/1", "Running", "0"]
    assert row[6] in ("node1", "node2") and row[7:] == ["<none>", "<none>"]


def test_label_overwrite(served, v):
    assert ok(k(served, v, "label", "deploy", "nginx-deploy", "tier=web")) == "deployment.apps/nginx-deploy labeled\n"
    cp = k(served, v, "label", "deploy", "nginx-deploy", "tier=db")
    assert cp.returncode == 1 and cp.stderr == "error: 'tier' already has a value (web), and --overwrite is false\n"
    assert ok(k(served, v, "label", "deploy", "nginx-deploy", "tier=db", "--overwrite")) == "deployment.apps/nginx-deploy labeled\n"
    out = ok(k(served, v, "get", "deploy", "nginx-deploy", "--show-labels"))
    assert rows(out)[0][-1] == "app=nginx-deploy,tier=db"
    assert ok(k(served, v, "label", "deploy", "nginx-deploy", "tier-")) == "deployment.apps/nginx-deploy unlabeled\n"


def test_scale_and_set_image_record(served, v):
    assert ok(k(served, v, "scale", "deployment", "nginx-deploy", "--replicas=3")) == "deployment.apps/nginx-deploy scaled\n"
    cp = k(served, v, "set", "image", "deployment/nginx-deploy", "nginx=wangyanglinux/myapp:v2", "--record")
    assert ok(cp) == "deployment.apps/nginx-deploy image updated\n"
    out = ok(k(served, v, "rollout", "status", "deployment/nginx-deploy", "--timeout=60s"))
    assert out.splitlines()[-1] == 'deployment "nginx-deploy" successfully rolled out'
    out = ok(k(served, v, "get", "deploy", "nginx-deploy", "-o", "wide"))
    assert header(out) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    row = rows(out)[0]
    assert row[1:4] == ["3/3", "3", "3"] and row[5:] == ["nginx", "wangyanglinux/myapp:v2", "app=nginx-deploy"]


def test_rollout_history_undo_to_revision(served, v):
    out = ok(k(served, v, "rollout", "history", "deployment/nginx-deploy"))
    lines = out.splitlines()
    assert lines[:3] == ["deployment.apps/nginx-deploy ", "REVISION  CHANGE-CAUSE", "1         <none>"]
    assert re.match(r"2         kubectl(\.1\.\d+)? set image deployment/nginx-deploy nginx=wangyanglinux/myapp:v2 ", lines[3])
    assert ok(k(served, v, "rollout", "undo", "deployment/nginx-deploy")) == "deployment.apps/nginx-deploy rolled back\n"
    ok(k(served, v, "rollout", "status", "deployment/nginx-deploy", "--timeout=60s"))
    revs = [ln.split()[0] for ln in ok(k(served, v, "rollout", "history", "deployment/nginx-deploy")).splitlines()[2:] if ln.strip()]
    assert revs == ["2", "3"]
    out = ok(k(served, v, "rollout", "history", "deployment/nginx-deploy", "--revision=3"))
    assert out.splitlines()[0] == "deployment.apps/nginx-deploy with revision #3"
    assert "Image:\twangyanglinux/myapp:v1" in out
    assert ok(k(served, v, "rollout", "undo", "deployment/nginx-deploy", "--to-revision=2")) == "deployment.apps/nginx-deploy rolled back\n"
    cp = k(served, v, "rollout", "undo", "deployment/nginx-deploy", "--to-revision=9")
    assert cp.returncode == 1 and cp.stderr == "error: unable to find specified revision 9 in history\n"
    ok(k(served, v, "rollout", "status", "deployment/nginx-deploy", "--timeout=60s"))
    out = ok(k(served, v, "get", "deploy", "nginx-deploy", "-o", "jsonpath={.spec.template.spec.containers[0].image}"))
    assert out == "wangyanglinux/myapp:v2"


def test_rollout_pause_resume(served, v):
    assert ok(k(served, v, "rollout", "pause", "deployment/nginx-deploy")) == "deployment.apps/nginx-deploy paused\n"
    cp = k(served, v, "rollout", "pause", "deployment/nginx-deploy")
    assert cp.returncode == 1 and cp.stderr == 'error: deployments.apps "nginx-deploy" is already paused\n'
    cp = k(served, v, "rollout", "undo", "deployment/nginx-deploy")
    assert cp.returncode == 1 and "you cannot rollback a paused deployment" in cp.stderr
    assert ok(k(served, v, "rollout", "resume", "deployment/nginx-deploy")) == "deployment.apps/nginx-deploy resumed\n"


def test_patch_three_types(served, v):
    assert ok(k(served, v, "patch", "deployment", "nginx-deploy", "-p", '{"spec":{"replicas":2}}')) == "deployment.apps/nginx-deploy patched\n"
    assert ok(k(served, v, "patch", "deployment", "nginx-deploy", "--type=merge", "-p", '{"spec":{"replicas":2}}')) == \
        "deployment.apps/nginx-deploy patched (no change)\n"
    assert ok(k(served, v, "patch", "deployment", "nginx-deploy", "--type=json", "-p",
                '[{"op":"replace","path":"/spec/replicas","value":1}]')) == "deployment.apps/nginx-deploy patched\n"
    cp = k(served, v, "patch", "deployment", "nginx-deploy", "--type=json", "-p", '[{"op":"replace","path":"/spec/nope/x","value":1}]')
    assert cp.returncode == 1 and cp.stderr.startswith("The request is invalid")
    out = ok(k(served, v, "get", "deploy", "nginx-deploy", "-o", "jsonpath={.spec.replicas}"))
    assert out == "1"


def test_describe_shows_events(served, v):
    out = ok(k(served, v, "describe", "deployment", "nginx-deploy"))
    assert out.startswith("Name:                   nginx-deploy\nNamespace:              " + ns(v) + "\n")
    assert re.search(r"NewReplicaSet:\s+nginx-deploy-[a-z0-9]+ \(1/1 replicas created\)", out)
    assert re.search(r"Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set nginx-deploy-", out)


def test_expose_and_autoscale(served, v):
    assert ok(k(served, v, "expose", "deployment", "nginx-deploy", "--port=80", "--type=NodePort")) == "service/nginx-deploy exposed\n"
    out = ok(k(served, v, "get", "svc", "nginx-deploy"))
    assert header(out) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    svc = rows(out)[0]
    assert svc[:2] == ["nginx-deploy", "NodePort"] and svc[3] == "<none>"
    if svc[2] != "<none>":  # a build that allocates cluster IPs and node ports
        assert re.fullmatch(r"10\.\d+\.\d+\.\d+", svc[2]) and re.fullmatch(r"80:3\d{4}/TCP", svc[4])
    assert ok(k(served, v, "autoscale", "deployment", "nginx-deploy", "--min=2", "--max=5", "--cpu-percent=80")) == \
        "horizontalpodautoscaler.autoscaling/nginx-deploy autoscaled\n"
    out = ok(k(served, v, "get", "hpa"))
    assert header(out) == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    row = rows(out)[0]
    assert row[:2] == ["nginx-deploy", "Deployment/nginx-deploy"] and row[3:5] == ["2", "5"]


def test_rc_relabel_creates_replacement(served, v):
    assert ok(k(served, v, "create", "-f", "manifests/rc.yaml")) == "replicationcontroller/frontend created\n"
    out = ok(k(served, v, "get", "pods", "-l", "app=nginx", "-o", "name"))
    pods = out.split()
    assert len(pods) == 3
    victim = pods[0].split("/")[1]
    assert ok(k(served, v, "label", "pod", victim, "app=other", "--overwrite")) == f"pod/{victim} labeled\n"
    out = ok(k(served, v, "get", "pods", "-l", "app=nginx", "-o", "name"))
    assert len(out.split()) == 3 and f"pod/{victim}" not in out.split()
    assert ok(k(served, v, "get", "pods", victim, "--show-labels")).splitlines()[1].endswith("app=other")


def test_delete(served, v):
    assert ok(k(served, v, "delete", "-f", "manifests/rc.yaml")) == 'replicationcontroller "frontend" deleted\n'
    assert ok(k(served, v, "delete", "deployment", "nginx-deploy")) == 'deployment.apps "nginx-deploy" deleted\n'
    cp = k(served, v, "get", "deployment", "nginx-deploy")
    assert cp.returncode == 1 and cp.stderr == 'Error from server (NotFound): deployments.apps "nginx-deploy" not found\n'
    cp = k(served, v, "delete", "deployment", "nope")
    assert cp.returncode == 1 and cp.stderr == 'Error from server (NotFound): deployments.apps "nope" not found\n'


def test_edit_with_editor(served, v):
    ok(k(served, v, "create", "deployment", "ed", "--image=nginx:1.27"))
    cp = k(served, v, "edit", "deployment", "ed", env={"EDITOR": "sed -i -e s/replicas:\\ 1/replicas:\\ 2/"})
    assert ok(cp) == "deployment.apps/ed edited\n"
    assert ok(k(served, v, "get", "deploy", "ed", "-o", "jsonpath={.spec.replicas}")) == "2"
    cp = k(served, v, "edit", "deployment", "ed", env={"EDITOR": "true"})
    assert cp.returncode == 0 and cp.stderr == "Edit cancelled, no changes made.\n"


def test_configmap_and_secret_generators(served, v):
    assert ok(k(served, v, "create", "configmap", "app-config", "--from-literal=a=b", "--from-literal=c=d")) == \
        "configmap/app-config created\n"
    out = ok(k(served, v, "get", "cm", "app-config"))
    assert header(out) == ["NAME", "DATA", "AGE"] and rows(out)[0][:2] == ["app-config", "2"]
    assert ok(k(served, v, "create", "secret", "generic", "pw", "--from-literal=password=hunter2")) == "secret/pw created\n"
    out = ok(k(served, v, "get", "secret", "pw"))
    assert header(out) == ["NAME", "TYPE", "DATA", "AGE"] and rows(out)[0][:3] == ["pw", "Opaque", "1"]
    assert ok(k(served, v, "get", "secret", "pw", "-o", "jsonpath={.data.password}")) == "aHVudGVyMg=="


def test_auth_can_i_and_whoami(served, v):
    assert ok(k(served, v, "auth", "can-i", "get", "pods")) == "yes\n"
    assert ok(k(served, v, "auth", "can-i", "create", "deployments", "--as", "jane", "--as-group", "system:masters")) == "yes\n"
    out = ok(k(served, v, "auth", "whoami"))
    assert out.splitlines()[:2] == ["ATTRIBUTE   VALUE", "Username    kubernetes-admin"]


def test_forbidden_as_a_real_cluster_prints_it(served, v):
    cp = k(served, v, "get", "pods", "--as", "jane")
    if cp.returncode == 0:
        pytest.skip("the cluster authorizes with AlwaysAllow")
    assert cp.stderr == (f'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" '
                         f'in API group "" in the namespace "{ns(v)}"\n')
    cp = k(served, v, "auth", "can-i", "create", "deployments", "--as", "jane")
    assert cp.returncode == 1 and cp.stdout == "no\n"


def test_rbac_generators(served, v):
    suffix = v.replace(".", "")
    assert ok(k(served, v, "create", "serviceaccount", "cicd")) == "serviceaccount/cicd created\n"
    assert ok(k(served, v, "create", "clusterrole", f"pod-reader-{suffix}", "--verb=get,list,watch", "--resource=pods")) == \
        f"clusterrole.rbac.authorization.k8s.io/pod-reader-{suffix} created\n"
    assert ok(k(served, v, "create", "rolebinding", "read-pods", f"--clusterrole=pod-reader-{suffix}",
                f"--serviceaccount={ns(v)}:cicd")) == "rolebinding.rbac.authorization.k8s.io/read-pods created\n"
    out = ok(k(served, v, "get", "rolebinding", "read-pods", "-o", "json"))
    rb = json.loads(out)
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"pod-reader-{suffix}"}
    assert rb["subjects"] == [{"kind": "ServiceAccount", "name": "cicd", "namespace": ns(v)}]
    sa = f"system:serviceaccount:{ns(v)}:cicd"
    assert ok(k(served, v, "auth", "can-i", "list", "pods", "--as", sa)) == "yes\n"


def test_logs(served, v):
    from engine.server import podio

    if not podio.available():
        pytest.skip("the kubelet simulation has no container output in this build")
    ok(k(served, v, "run", "hello", "--image=busybox", "--restart=Never", "--", "sh", "-c", "echo hello from $HOSTNAME"))
    ok(k(served, v, "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/hello", "--timeout=60s"))
    assert ok(k(served, v, "logs", "hello")) == "hello from hello\n"
