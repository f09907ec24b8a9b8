"""The CLI as a user runs it: kubectl's verbs, flags anywhere, outputs, errors and the log tools."""

import json
import os
import subprocess
import sys

import pytest

from log_tools.cli import main

M = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "manifests")


def test_flags_before_or_after_the_command(k):
    k("apply", "-f", os.path.join(M, "nginx-deploy.yaml"))
    rc = main(["--data", k.data, "get", "deploy", "-n", "default", "-o", "name"])
    assert rc == 0
    first, _ = k("now")  # flushes the captured output of the call above
    assert first.startswith("deployment.apps/nginx-deploy\n")
    out, _ = k("get", "-n", "default", "deploy", "nginx-deploy", "-o", "name")
    assert out == "deployment.apps/nginx-deploy\n"


def test_get_json_yaml_and_list_shapes(k):
    k("apply", "-f", os.path.join(M, "nginx-deploy.yaml"))
    one = json.loads(k("get", "deployment", "nginx-deploy", "-o", "json")[0])
    assert one["kind"] == "Deployment" and one["apiVersion"] == "apps/v1"
    assert isinstance(one["metadata"]["resourceVersion"], str)
    lst = json.loads(k("get", "deployments", "-o", "json")[0])
    assert lst["kind"] == "List" and lst["apiVersion"] == "v1" and [i["kind"] for i in lst["items"]] == ["Deployment"]
    y = k("get", "deploy", "nginx-deploy", "-o", "yaml")[0]
    assert y.startswith("apiVersion: apps/v1\nkind: Deployment\n") and 'creationTimestamp: "2026-01-01T00:00:00Z"' in y
    table = k("get", "deploy", "--show-labels")[0].splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "LABELS"]
    assert table[1].split()[0] == "nginx-deploy" and table[1].split()[-1] == "app=nginx-deploy"


def test_label_scale_patch_delete_messages(k):
    k("create", "-f", os.path.join(M, "nginx-deploy.yaml"))
    assert k("label", "deploy", "nginx-deploy", "tier=web")[0] == "deployment.apps/nginx-deploy labeled\n"
    _, err = k("label", "deploy", "nginx-deploy", "tier=db", code=1)
    assert err.strip() == "error: 'tier' already has a value (web), and --overwrite is false"
    k("label", "deploy", "nginx-deploy", "tier=db", "--overwrite")
    assert k("label", "deploy", "nginx-deploy", "tier=db")[0] == "deployment.apps/nginx-deploy not labeled\n"
    assert k("scale", "deployments.apps", "nginx-deploy", "--replicas=3")[0] == "deployment.apps/nginx-deploy scaled\n"
    assert k("patch", "deployment", "nginx-deploy", "-p", '{"spec":{"replicas":3}}')[0] == "deployment.apps/nginx-deploy patched (no change)\n"
    k("patch", "deploy/nginx-deploy", "--type", "merge", "-p", '{"metadata":{"annotations":{"a":"b"}}}')
    k("patch", "deploy", "nginx-deploy", "--type", "json", "-p", '[{"op":"add","path":"/spec/minReadySeconds","value":5}]')
    d = json.loads(k("get", "deploy", "nginx-deploy", "-o", "json")[0])
    assert d["spec"]["replicas"] == 3 and d["spec"]["minReadySeconds"] == 5 and d["metadata"]["annotations"]["a"] == "b"
    assert d["metadata"]["labels"]["tier"] == "db"
    assert k("delete", "deploy", "nginx-deploy", "--cascade=foreground")[0] == 'deployment.apps "nginx-deploy" deleted\n'
    _, err = k("get", "deploy", "nginx-deploy", code=1)
    assert err.strip() == 'Error from server (NotFound): deployments.apps "nginx-deploy" not found'


def test_dry_runs_generate_manifests_and_change_nothing(k):
    out = k("create", "deployment", "web", "--image=nginx", "--dry-run", "-o", "yaml")[0]
    assert "name: web" in out and "- image: nginx\n        name: nginx" in out and "creationTimestamp: null" in out
    k("get", "deploy", "web", code=1)
    assert k("apply", "-f", os.path.join(M, "nginx-deploy.yaml"), "--dry-run=server")[0] == "deployment.apps/nginx-deploy created (server dry run)\n"
    k("get", "deploy", "nginx-deploy", code=1)


def test_bad_input_gets_one_line_errors(k, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n")
    _, err = k("apply", "-f", str(bad), code=1)
    assert err.startswith(f"error: error parsing {bad}: error converting YAML to JSON: yaml: line 2")
    gadget = tmp_path / "g.yaml"
    gadget.write_text("apiVersion: v1\nkind: Gadget\nmetadata:\n  name: x\n")
    _, err = k("create", "-f", str(gadget), code=1)
    assert 'no matches for kind "Gadget" in version "v1"' in err
    _, err = k("create", "-f", os.path.join(M, "rs-matchexpressions-in.yaml"), code=1)
    assert err.strip().endswith("`selector` does not match template `labels`")
    _, err = k("create", "namespace", "Bad_Name", code=1)
    assert 'The Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"' in err
    _, err = k("create", "-f", os.path.join(M, "rc.yaml"), "-n", "missing", code=1)
    assert 'namespaces "missing" not found' in err
    k("create", "-f", os.path.join(M, "rc.yaml"))
    _, err = k("patch", "rc", "frontend", "--type", "json", "-p", '{"op":"add"}', code=1)
    assert err.strip() == "Error from server (BadRequest): json: cannot unmarshal object into Go value of type jsonpatch.Patch"
    stale = json.loads(k("get", "rc", "frontend", "-o", "json")[0])
    k("label", "rc", "frontend", "x=y")
    f = tmp_path / "stale.json"
    f.write_text(json.dumps(stale))
    _, err = k("replace", "-f", str(f), code=1)
    assert "Operation cannot be fulfilled on replicationcontrollers \"frontend\": the object has been modified" in err
    _, err = k("get", "gadgets", code=1)
    assert err.strip() == 'error: the server doesn\'t have a resource type "gadgets"'
    assert "ok:" in k("verify")[0]


def test_log_records_reads_and_denials_with_json_fields(k):
    k("apply", "-f", os.path.join(M, "nginx-deploy.yaml"))
    k("get", "deploy", "nope", code=1)
    lines = [json.loads(l) for l in k("log", "-o", "json")[0].splitlines()]
    for field in ("seq", "time", "user", "verb", "resource", "subresource", "namespace", "name", "code"):
        assert field in lines[-1]
    assert lines[-1]["verb"] == "get" and lines[-1]["code"] == 404 and lines[-1]["name"] == "nope"
    assert [l["seq"] for l in lines] == list(range(1, len(lines) + 1))
    creates = [json.loads(l) for l in k("log", "--verb", "create", "--resource", "deploy", "-o", "json")[0].splitlines()]
    assert [c["name"] for c in creates] == ["nginx-deploy"] and creates[0]["code"] == 201
    denied = k("log", "--outcome", "denied")[0]
    assert "404 NotFound" in denied


def test_time_travel_by_seq_and_time_and_diff(k):
    k("apply", "-f", os.path.join(M, "nginx-deploy.yaml"))
    before = json.loads(k("now", "-o", "json")[0])
    k("advance", "5m")
    k("scale", "deploy", "nginx-deploy", "--replicas=3")
    old = json.loads(k("get", "deploy", "nginx-deploy", "--at", str(before["seq"]), "-o", "json")[0])
    assert old["spec"]["replicas"] == 1
    by_time = json.loads(k("get", "deploy", "nginx-deploy", "--at", "2026-01-01T00:01:00Z", "-o", "json")[0])
    assert by_time["spec"] == old["spec"]
    assert old["status"].get("availableReplicas", 0) == 0 and by_time["status"]["availableReplicas"] == 1  # its pod ran at 00:00:01
    assert json.loads(k("get", "deploy", "nginx-deploy", "-o", "json")[0])["spec"]["replicas"] == 3
    out = k("diff", str(before["seq"]), "2026-01-01T00:10:00Z", "deployment/nginx-deploy")[0]
    assert "~ deployments.apps default/nginx-deploy" in out and "spec.replicas: 1 -> 3" in out
    now = json.loads(k("now", "-o", "json")[0])
    assert now["time"] == "2026-01-01T00:05:00Z"


def test_export_import_round_trip_is_byte_identical(k, tmp_path):
    k("apply", "-f", os.path.join(M, "nginx-deploy.yaml"))
    k("delete", "deploy", "nginx-deploy")
    exported = k("export")[0]
    f = tmp_path / "log.jsonl"
    f.write_text(exported)
    other = str(tmp_path / "copy")
    assert main(["import", str(f), "--data", other]) == 0
    assert main(["verify", "--data", other]) == 0
    from io import StringIO
    from contextlib import redirect_stdout

    buf = StringIO()
    with redirect_stdout(buf):
        main(["export", "--data", other])
    assert buf.getvalue() == exported


def test_import_refuses_a_tampered_log(k, tmp_path, capsys):
    k("apply", "-f", os.path.join(M, "nginx-deploy.yaml"))
    lines = k("export")[0].splitlines()
    i = next(n for n, line in enumerate(lines) if '"kube-public"' in line)
    assert i == 4  # seq 5
    lines[i] = lines[i].replace('"kube-public"', '"kube-publik"')
    f = tmp_path / "log.jsonl"
    f.write_text("\n".join(lines) + "\n")
    assert main(["import", str(f), "--data", str(tmp_path / "copy")]) == 1
    err = capsys.readouterr().err
    assert "(seq 5): object digest does not match" in err and "entries 1 to 4 were imported" in err
    assert main(["verify", "--data", str(tmp_path / "copy")]) == 0


def test_read_only_records_nothing(k):
    head = json.loads(k("now", "-o", "json")[0])
    k("get", "ns", "--read-only")
    k("get", "ns", "default", "--read-only", "-o", "json")
    assert json.loads(k("now", "-o", "json")[0]) == head


@pytest.mark.cli
def test_real_executables(tmp_path):
    data = str(tmp_path / "d")
    env = {**os.environ, "KTAPE_DATA": data}
    exe = os.path.join(os.path.dirname(sys.executable), "ktape")
    r = subprocess.run([exe, "init", "--start-time", "2026-01-01T00:00:00Z"], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "log_tools", "get", "nodes", "-o", "name"], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.split() == ["node/k8s-master", "node/node1", "node/node2"]
    r = subprocess.run([exe, "get", "pods", "-n", "kube-system", "--as", "jane", "--as-group", "system:masters"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr.strip() == "No resources found in kube-system namespace."
    # under the default Node,RBAC modes a user without bindings is refused in upstream's words
    r = subprocess.run([exe, "get", "pods", "-n", "kube-system", "--as", "jane"], env=env, capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.strip() == ('Error from server (Forbidden): pods is forbidden: User "jane" cannot list '
                                                      'resource "pods" in API group "" in the namespace "kube-system"')


def test_unknown_fields_strict_warn_and_ignore(k, tmp_path):
    f = tmp_path / "typo.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  lables: {a: b}\ndata: {k: v}\n")
    _, err = k("create", "-f", str(f), code=1)
    assert err.strip() == (f'Error from server (BadRequest): error when creating "{f}": ConfigMap in version "v1" cannot be '
                           'handled as a ConfigMap: strict decoding error: unknown field "metadata.lables"')
    k("get", "cm", "c", code=1)
    out, err = k("create", "-f", str(f), "--validate=warn")
    assert out == "configmap/c created\n" and err.strip() == 'Warning: unknown field "metadata.lables"'
    k("delete", "cm", "c")
    out, err = k("apply", "-f", str(f), "--validate=false")
    assert out == "configmap/c created\n" and err == ""
