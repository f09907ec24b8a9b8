"""`ktape run` and `ktape sim`, in-process on an LMDB log (the sim module registered by the test)."""

from __future__ import annotations

import pytest

from engine.api import Cluster
from log_tools import cli
from log_tools.commands import sim as sim_cmd
from tests.sim import actors


@pytest.fixture
def ktape(tmp_path, monkeypatch, capsys):
    """Run `ktape ARGS...` in-process against a fresh data folder: (exit code, stdout, stderr)."""
    import engine.api

    monkeypatch.setattr(engine.api, "default_actors", actors)
    original = cli.build_parser

    def build_parser():
        parser = original()
        subs = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        if "sim" not in subs.choices:
            sim_cmd.register(subs, cli._globals(True))
        return parser

    monkeypatch.setattr(cli, "build_parser", build_parser)
    data = str(tmp_path / "data")

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--data", data, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init", "--start-time", "2026-01-01T00:00:00Z")[0] == 0
    run.data = data  # type: ignore[attr-defined]
    yield run
    assert run("verify")[0] == 0


def _log(run) -> list:
    from engine.log import eventlog

    c = Cluster.open(run.data, read_only=True)
    try:
        with c.store.begin() as txn:
            return list(eventlog.scan_entries(txn, 1, eventlog.read_head(txn).seq))
    finally:
        c.close()


def _json(run, *argv):
    import json

    code, out, err = run(*argv, "-o", "json")
    assert code == 0, err
    return json.loads(out)


# --- ktape run -------------------------------------------------------------------------------------


def test_run_creates_the_pod_kubectl_run_creates(ktape):
    assert ktape("run", "nginx", "--image=nginx") == (0, "pod/nginx created\n", "")
    p = _json(ktape, "get", "pod", "nginx")
    assert p["metadata"]["labels"] == {"run": "nginx"}
    assert p["spec"]["containers"][0]["name"] == "nginx" and p["spec"]["containers"][0]["image"] == "nginx"
    assert "args" not in p["spec"]["containers"][0] and "command" not in p["spec"]["containers"][0]
    assert (p["spec"]["dnsPolicy"], p["spec"]["restartPolicy"], p["spec"]["nodeName"]) == ("ClusterFirst", "Always", "node1")
    (create,) = [e for e in _log(ktape) if e.request.verb == "create" and e.request.resource == "pods" and not e.request.subresource]
    assert create.request.params["fieldManager"] == "kubectl-run"
    assert create.request.params["command"].startswith("ktape ")


def test_run_dry_run_prints_kubectls_manifest(ktape):
    code, out, _ = ktape("run", "x", "--image=nginx", "--dry-run=client", "-o", "yaml", "--command", "--", "sh", "-c", "sleep 10")
    assert code == 0
    assert out == """apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    run: x
  name: x
spec:
  containers:
  - command:
    - sh
    - -c
    - sleep 10
    image: nginx
    name: x
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Always
status: {}
"""
    code, out, _ = ktape("run", "x", "--image=busybox", "-n", "kube-system", "--restart=Never", "--labels=app=web,tier=fe",
                         "--env=A=1", "--port=8080", "--dry-run=client", "-o", "json", "--", "echo", "hi")
    import json

    obj = json.loads(out)
    assert obj["metadata"] == {"creationTimestamp": None, "labels": {"app": "web", "tier": "fe"}, "name": "x",
                               "namespace": "kube-system"}
    assert obj["spec"]["containers"] == [{"args": ["echo", "hi"], "env": [{"name": "A", "value": "1"}], "image": "busybox",
                                          "name": "x", "ports": [{"containerPort": 8080}], "resources": {}}]
    assert obj["spec"]["restartPolicy"] == "Never"
    assert ktape("run", "y", "--image=nginx", "--dry-run=client") == (0, "pod/y created (dry run)\n", "")
    assert ktape("get", "pods", "y")[0] == 1  # nothing was created


def test_run_then_time_completes_a_command(ktape):
    assert ktape("run", "hello", "--image=busybox", "--restart=Never", "--", "echo", "hi")[0] == 0
    ktape("advance", "1s")
    code, out, _ = ktape("get", "pods", "-o", "wide")
    header, row = out.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"]
    assert row.split() == ["hello", "0/1", "Completed", "0", "1s", "10.244.1.2", "node1", "<none>", "<none>"]


@pytest.mark.parametrize("argv, message", [
    (("run", "x"), 'error: required flag(s) "image" not set'),
    (("run", "--image=nginx"), "error: NAME is required for run"),
    (("run", "--image=nginx", "--", "echo"), "error: NAME is required for run"),
    (("run", "x", "--image=nginx", "--restart=Sometimes"), "error: invalid restart policy: Sometimes"),
    (("run", "x", "--image=Nginx"), 'error: Invalid image name "Nginx": invalid reference format'),
    (("run", "x", "--image=nginx", "--image-pull-policy=Maybe"), "error: invalid image pull policy: Maybe"),
    (("run", "x", "--image=nginx", "--env=1A=b"), "error: invalid env: 1A=b"),
])
def test_run_errors_in_kubectls_words(ktape, argv, message):
    code, out, err = ktape(*argv)
    assert (code, out, err.strip()) == (1, "", message)


def test_run_twice_is_already_exists(ktape):
    ktape("run", "web", "--image=nginx")
    code, _, err = ktape("run", "web", "--image=nginx")
    assert (code, err.strip()) == (1, 'Error from server (AlreadyExists): pods "web" already exists')


# --- ktape sim -------------------------------------------------------------------------------------------


def test_sim_exit_restarts_the_container_and_records_who(ktape):
    ktape("run", "web", "--image=nginx")
    code, _, err = ktape("sim", "exit", "web", "--code", "3")
    assert (code, err.strip()) == (1, 'error: container "web" in pod "web" is not running')
    ktape("advance", "1s")
    assert ktape("--as", "jane", "sim", "exit", "web", "--code", "3")[2].startswith(
        'Error from server (Forbidden): pods "web" is forbidden: User "jane" cannot get resource "pods"')  # RBAC
    ktape("create", "role", "pod-patcher", "--verb=get,patch", "--resource=pods")
    assert ktape("create", "rolebinding", "jane", "--role=pod-patcher", "--user=jane")[1] == \
        "rolebinding.rbac.authorization.k8s.io/jane created\n"
    assert ktape("--as", "jane", "sim", "exit", "web", "--code", "3") == (0, "pod/web container web exited with code 3\n", "")
    cs = _json(ktape, "get", "pod", "web")["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1 and cs["lastState"]["terminated"]["exitCode"] == 3
    (patch,) = [e for e in _log(ktape) if e.request.verb == "patch" and e.request.name == "web"]
    assert patch.request.user == "jane" and patch.request.impersonator == "kubernetes-admin"
    assert patch.request.body == {"metadata": {"annotations": {"sim.kubetape.io/exit.web": "3@0"}}}
    assert ktape("sim", "exit", "web", "--code", "1", "-c", "nope")[2].strip() == "error: container nope is not valid for pod web"
    assert ktape("sim", "exit", "ghost", "--code", "1")[2].strip() == 'Error from server (NotFound): pods "ghost" not found'


def test_sim_unready_and_ready(ktape):
    ktape("run", "web", "--image=nginx")
    ktape("advance", "1s")
    assert ktape("sim", "unready", "web") == (0, "pod/web readiness check failing\n", "")
    assert ktape("get", "pods")[1].splitlines()[1].split()[:3] == ["web", "0/1", "Running"]
    assert ktape("sim", "ready", "web") == (0, "pod/web readiness check passing\n", "")
    assert ktape("get", "pods")[1].splitlines()[1].split()[:3] == ["web", "1/1", "Running"]


def test_sim_node_down_and_up(ktape):
    ktape("run", "web", "--image=nginx")
    assert ktape("sim", "node-down", "node1") == (0, "node/node1 down\n", "")
    rows = {r.split()[0]: r.split()[1] for r in ktape("get", "nodes")[1].splitlines()[1:]}
    assert rows == {"k8s-master": "Ready", "node1": "NotReady", "node2": "Ready"}
    ktape("advance", "10s")
    assert ktape("get", "pods")[1].splitlines()[1].split()[2] == "ContainerCreating"
    assert ktape("sim", "node-up", "node1") == (0, "node/node1 up\n", "")
    assert ktape("get", "pods")[1].splitlines()[1].split()[:3] == ["web", "1/1", "Running"]
    assert "NotReady" not in ktape("get", "nodes")[1]


def test_sim_add_node_registers_like_bootstrap_and_takes_pods(ktape):
    code, out, err = ktape("sim", "add-node", "node3", "--cpu", "8", "--memory", "16Gi", "--label", "disk=ssd",
                           "--taint", "gpu=yes:NoSchedule")
    assert (code, out, err) == (0, "node/node3 created\n", "")
    n = _json(ktape, "get", "node", "node3")
    assert n["spec"]["podCIDR"] == "10.244.3.0/24" and n["spec"]["taints"] == [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]
    assert n["metadata"]["labels"]["disk"] == "ssd" and n["status"]["allocatable"]["cpu"] == "8"
    assert {"type": "InternalIP", "address": "172.18.0.5"} in n["status"]["addresses"]
    writes = [e for e in _log(ktape) if e.request.resource == "nodes" and e.request.is_write][-2:]
    assert [(w.request.verb, w.request.subresource, w.request.user) for w in writes] == [
        ("create", "", "system:node:node3"), ("update", "status", "system:node:node3")]
    import json
    import os

    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gpu"},
                "spec": {"nodeSelector": {"disk": "ssd"}, "tolerations": [{"key": "gpu", "operator": "Exists"}],
                         "containers": [{"name": "c", "image": "nginx"}]}}
    path = os.path.join(os.path.dirname(ktape.data), "gpu.json")
    with open(path, "w") as f:
        json.dump(manifest, f)
    assert ktape("create", "-f", path)[0] == 0
    p = _json(ktape, "get", "pod", "gpu")
    assert (p["spec"]["nodeName"], p["status"]["podIP"], p["status"]["hostIP"]) == ("node3", "10.244.3.2", "172.18.0.5")
    code, _, err = ktape("sim", "add-node", "node4", "--taint", "bad")
    assert code == 1 and "invalid taint spec: bad" in err


def test_sim_remove_node(ktape):
    assert ktape("sim", "remove-node", "node2") == (0, 'node "node2" deleted\n', "")
    assert [r.split()[0] for r in ktape("get", "nodes")[1].splitlines()[1:]] == ["k8s-master", "node1"]
    assert ktape("sim", "remove-node", "node2")[2].strip() == 'Error from server (NotFound): nodes "node2" not found'


def test_sim_without_an_action_prints_help(ktape):
    code, out, _ = ktape("sim")
    assert code == 2 and "exit" in out and "node-down" in out
