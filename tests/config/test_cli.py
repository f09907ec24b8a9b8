"""CLI smoke tests: the generators' objects and messages, exec and logs, registry add."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from log_tools import cli


@pytest.fixture
def ktape(tmp_path, capsys):
    data = str(tmp_path / "data")

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--data", data, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init", "--start-time", "2026-01-01T00:00:00Z")[0] == 0
    yield run
    assert run("verify")[0] == 0


def test_create_configmap_from_dir_file_literal(ktape, tmp_path):
    d = tmp_path / "cm"
    d.mkdir()
    (d / "game.file").write_text("version=1.17\n")
    (d / "ui.properties").write_text("level=2\n")
    (d / "sub").mkdir()
    (d / "blob").write_bytes(b"\xff\xfe")
    code, out, _ = ktape("create", "configmap", "game-config", f"--from-file={d}", "--dry-run=client", "-o", "json")
    obj = json.loads(out)
    assert code == 0 and obj == {"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"creationTimestamp": None, "name": "game-config"},
                                 "data": {"game.file": "version=1.17\n", "ui.properties": "level=2\n"},
                                 "binaryData": {"blob": base64.b64encode(b"\xff\xfe").decode()}}
    assert ktape("create", "configmap", "v2", f"--from-file=renamed={d / 'game.file'}", "--from-literal=a=b")[1] == \
        "configmap/v2 created\n"
    code, out, _ = ktape("get", "cm", "v2", "-o", "json")
    assert json.loads(out)["data"] == {"renamed": "version=1.17\n", "a": "b"}
    assert ktape("create", "configmap", "x", f"--from-file=k={d}")[2] == "error: cannot give a key name for a directory path\n"
    assert ktape("create", "configmap", "x", "--from-literal=nokey")[2] == "error: invalid literal source nokey, expected key=value\n"
    env = tmp_path / "env"
    env.write_text("# comment\n\nA=1\n  B=two words\n")
    code, out, _ = ktape("create", "cm", "envcm", f"--from-env-file={env}", "-o", "json")
    assert json.loads(out)["data"] == {"A": "1", "B": "two words"}
    assert ktape("create", "cm", "both", f"--from-env-file={env}", "--from-literal=a=b")[2] == \
        "error: from-env-file cannot be combined with from-file or from-literal\n"
    code, out, _ = ktape("get", "cm", "envcm")
    assert out.split("\n")[0].split() == ["NAME", "DATA", "AGE"] and out.split("\n")[1].split()[:2] == ["envcm", "2"]


def test_create_secrets(ktape, tmp_path):
    code, out, _ = ktape("create", "secret", "docker-registry", "myregistrykey", "--docker-server=hub.ljh.com",
                         "--docker-username=admin", "--docker-password=Harbor12345", "--docker-email=a@b.c", "-o", "json")
    obj = json.loads(out)
    assert obj["type"] == "kubernetes.io/dockerconfigjson"
    assert base64.b64decode(obj["data"][".dockerconfigjson"]).decode() == (
        '{"auths":{"hub.ljh.com":{"username":"admin","password":"Harbor12345","email":"a@b.c","auth":"YWRtaW46SGFyYm9yMTIzNDU="}}}')
    assert ktape("create", "secret", "docker-registry", "x", "--docker-server=", "--docker-username=a", "--docker-password=b")[2] == \
        "error: either --from-file or the combination of --docker-username, --docker-password and --docker-server is required\n"
    code, out, _ = ktape("create", "secret", "generic", "g", "--from-literal=username=admin", "-o", "json")
    assert json.loads(out)["data"] == {"username": "YWRtaW4="} and json.loads(out)["type"] == "Opaque"
    code, out, _ = ktape("get", "secret")
    assert "kubernetes.io/dockerconfigjson   1" in out and out.startswith("NAME")
    code, out, _ = ktape("describe", "secret", "g")
    assert "username:  5 bytes" in out and "admin" not in out
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    code, out, _ = ktape("create", "secret", "tls", "t", f"--cert={cert}", f"--key={key}", "-o", "json")
    assert sorted(json.loads(out)["data"]) == ["tls.crt", "tls.key"] and json.loads(out)["type"] == "kubernetes.io/tls"
    assert ktape("create", "secret", "tls", "t2", f"--cert={cert}")[2] == "error: key and cert must be specified\n"
    assert ktape("create", "secret", "generic", "bad", "--from-literal=a b=1")[0] == 1


def test_exec_logs_and_registry(ktape, tmp_path):
    assert ktape("create", "configmap", "literal-config", "--from-literal=name=dave", "--from-literal=password=pass")[0] == 0
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"restartPolicy": "Never", "containers": [
        {"name": "c", "image": "busybox", "command": ["/bin/sh", "-c", "echo $(USERNAME) $(PASSWORD) $$(USERNAME)"],
         "env": [{"name": "USERNAME", "valueFrom": {"configMapKeyRef": {"name": "literal-config", "key": "name"}}},
                 {"name": "PASSWORD", "valueFrom": {"configMapKeyRef": {"name": "literal-config", "key": "password"}}}]}]}}
    f = tmp_path / "p.json"
    f.write_text(json.dumps(pod))
    assert ktape("create", "-f", str(f))[0] == 0
    assert ktape("advance", "2s")[0] == 0
    assert ktape("logs", "p")[1] == "dave pass $(USERNAME)\n"
    assert ktape("exec", "p", "--", "env")[2] == "error: cannot exec into a container in a completed pod; current phase is Succeeded\n"
    srv = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "srv"}, "spec": {"containers": [
        {"name": "c", "image": "nginx", "envFrom": [{"configMapRef": {"name": "literal-config"}, "prefix": "CM_"}],
         "volumeMounts": [{"name": "v", "mountPath": "/etc/config"}]}],
        "volumes": [{"name": "v", "configMap": {"name": "literal-config"}}]}}
    f.write_text(json.dumps(srv))
    assert ktape("create", "-f", str(f))[0] == 0
    assert ktape("advance", "2s")[0] == 0
    code, out, _ = ktape("exec", "srv", "--", "printenv", "CM_name")
    assert (code, out) == (0, "dave\n")
    assert ktape("exec", "srv", "--", "ls", "/etc/config")[1] == "name\npassword\n"
    assert ktape("exec", "srv", "--", "cat", "/etc/config/password")[1] == "pass"
    code, out, err = ktape("exec", "srv", "--", "cat", "/etc/config/nope")
    assert code == 1 and err == "cat: /etc/config/nope: No such file or directory\ncommand terminated with exit code 1\n"
    assert ktape("registry", "add", "hub.ljh.com", "--private-repo", "secret", "--username", "admin",
                 "--password", "Harbor12345")[0] == 0
    code, out, _ = ktape("get", "clusters.config.kubetape.io", "cluster", "-o", "json")
    reg = json.loads(out)["spec"]["registries"]
    assert reg == [{"server": "hub.ljh.com", "privateRepositories": ["secret"], "username": "admin",
                    "passwordSha256": hashlib.sha256(b"Harbor12345").hexdigest()}]
    assert "Harbor12345" not in out
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "priv"},
           "spec": {"containers": [{"name": "c", "image": "hub.ljh.com/secret/myapp:v1"}]}}
    f.write_text(json.dumps(pod))
    assert ktape("create", "-f", str(f))[0] == 0
    assert ktape("advance", "25s")[0] == 0
    assert "ImagePullBackOff" in ktape("get", "pod", "priv")[1]
    assert ktape("logs", "priv")[2] == ('Error from server (BadRequest): container "c" in pod "priv" is waiting to start: '
                                        "trying and failing to pull image\n")
