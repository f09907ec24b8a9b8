"""CLI smoke tests: the generators' objects and messages, exec and logs, registry add."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from log_tools import cli


def _pair() -> tuple[bytes, bytes, bytes]:
    """A self-signed ECDSA certificate, its key and an unrelated key (PEM)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub.ljh.com")])
    start = datetime.datetime(2026, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))

    def pem(k) -> bytes:
        return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    return cert.public_bytes(serialization.Encoding.PEM), pem(key), pem(other)


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
    cert, key, other = tmp_path / "tls.crt", tmp_path / "tls.key", tmp_path / "other.key"
    cert_pem, key_pem, other_pem = _pair()
    cert.write_bytes(cert_pem)
    key.write_bytes(key_pem)
    other.write_bytes(other_pem)
    code, out, _ = ktape("create", "secret", "tls", "t", f"--cert={cert}", f"--key={key}", "-o", "json")
    obj = json.loads(out)
    assert sorted(obj["data"]) == ["tls.crt", "tls.key"] and obj["type"] == "kubernetes.io/tls"
    assert base64.b64decode(obj["data"]["tls.crt"]) == cert_pem
    assert ktape("create", "secret", "tls", "t2", f"--cert={cert}")[2] == "error: key and cert must be specified\n"
    assert ktape("create", "secret", "tls", "t3", f"--cert={cert}", f"--key={other}")[2] == \
        "error: tls: private key does not match public key\n"
    assert ktape("create", "secret", "tls", "t4", f"--cert={key}", f"--key={cert}")[2] == (
        "error: tls: failed to find certificate PEM data in certificate input, but did find a private key; "
        "PEM inputs may have been switched\n")
    assert ktape("create", "secret", "tls", "t5", f"--cert={tmp_path / 'nope'}", f"--key={key}")[2] == \
        f"error: Cannot read file {tmp_path / 'nope'}, open {tmp_path / 'nope'}: no such file or directory\n"
    assert ktape("create", "secret", "generic", "bad", "--from-literal=a b=1")[0] == 1
    assert ktape("create", "secret", "generic", "envdir", f"--from-env-file={tmp_path}")[2] == \
        "error: env secret file cannot be a directory\n"
    code, _out, err = ktape("create", "secret", "generic", "dup", "--from-literal=a=1", "--from-literal=a=2")
    assert err == "error: cannot add key a, another key by that name already exists\n"
    code, _out, err = ktape("create", "secret", "generic", "big", "--from-literal=a=" + "x" * (1024 * 1024 + 1))
    assert err == 'error: failed to create secret: Secret "big" is invalid: data: Too long: must have at most 1048576 bytes\n'


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
    code, out, _ = ktape("log", "-o", "json")
    assert "Harbor12345" not in out and "--password REDACTED" in out  # nor in the recorded command line
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "priv"},
           "spec": {"containers": [{"name": "c", "image": "hub.ljh.com/secret/myapp:v1"}]}}
    f.write_text(json.dumps(pod))
    assert ktape("create", "-f", str(f))[0] == 0
    assert ktape("advance", "25s")[0] == 0
    assert "ImagePullBackOff" in ktape("get", "pod", "priv")[1]
    assert ktape("logs", "priv")[2] == ('Error from server (BadRequest): container "c" in pod "priv" is waiting to start: '
                                        "trying and failing to pull image\n")


def test_exec_replays_the_file_view_at_any_moment(ktape, tmp_path):
    assert ktape("create", "configmap", "log-config", "--from-literal=log_level=INFO")[0] == 0
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hot"}, "spec": {"containers": [
        {"name": "c", "image": "nginx", "volumeMounts": [{"name": "v", "mountPath": "/etc/config"}]}],
        "volumes": [{"name": "v", "configMap": {"name": "log-config"}}]}}
    f = tmp_path / "p.json"
    f.write_text(json.dumps(pod))
    assert ktape("create", "-f", str(f))[0] == 0
    assert ktape("advance", "2s")[0] == 0
    assert ktape("patch", "cm", "log-config", "-p", '{"data":{"log_level":"ERROR"}}')[0] == 0
    before = json.loads(ktape("now", "-o", "json")[1])["seq"]
    assert ktape("advance", "90s")[0] == 0
    assert ktape("exec", "hot", "--", "cat", "/etc/config/log_level")[1] == "ERROR"
    # the same question at an earlier moment gets the answer it had then, from the log alone
    assert ktape("exec", "hot", "--at", str(before), "--", "cat", "/etc/config/log_level")[1] == "INFO"


def test_logs_previous_and_tail(ktape, tmp_path):
    assert ktape("create", "configmap", "c", "--from-literal=v=one")[0] == 0
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crash"}, "spec": {"containers": [
        {"name": "c", "image": "busybox", "command": ["sh", "-c", "echo start; echo $(V); sleep 5; exit 1"],
         "env": [{"name": "V", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "v"}}}]}]}}
    f = tmp_path / "p.json"
    f.write_text(json.dumps(pod))
    assert ktape("create", "-f", str(f))[0] == 0
    assert ktape("advance", "2s")[0] == 0
    assert ktape("logs", "crash")[1] == "start\none\n"
    assert ktape("logs", "crash", "--tail", "1")[1] == "one\n"
    assert ktape("logs", "crash", "-p")[2] == ('Error from server (BadRequest): previous terminated container "c" in '
                                                'pod "crash" not found\n')
    assert ktape("patch", "cm", "c", "-p", '{"data":{"v":"two"}}')[0] == 0
    assert ktape("advance", "5s")[0] == 0  # exits at 6 s and restarts at once with the new value
    assert ktape("logs", "crash")[1] == "start\ntwo\n"
    assert ktape("logs", "crash", "--previous")[1] == "start\none\n"
