"""Protobuf bodies: kubectl 1.33's generators send `k8s\\0` protobuf, kubectl 1.31's send JSON for
the same command; with `--dry-run=server` both come back as the object the server would store,
which must be identical (proving the field tables in engine/server/protobuf.py)."""

from __future__ import annotations

import json

import pytest

from engine.server.protobuf import ProtobufError, decode, fields

GENERATORS = [
    ["create", "configmap", "cm1", "--from-literal=a=b", "--from-literal=c=d"],
    ["create", "secret", "generic", "s1", "--from-literal=password=hunter2"],
    ["create", "secret", "docker-registry", "regcred", "--docker-server=reg.example.com", "--docker-username=u",
     "--docker-password=p", "--docker-email=e@x.io"],
    ["create", "deployment", "web", "--image=nginx:1.27", "--replicas=3", "--port=80"],
    ["create", "service", "clusterip", "svc1", "--tcp=80:8080"],
    ["create", "service", "nodeport", "np1", "--tcp=80:8080"],
    ["create", "namespace", "ns1"],
    ["create", "serviceaccount", "sa1"],
    ["create", "job", "j1", "--image=busybox", "--", "echo", "hi"],
    ["create", "cronjob", "cj1", "--image=busybox", "--schedule=*/5 * * * *", "--", "echo", "hi"],
    ["create", "role", "r1", "--verb=get,list", "--resource=pods"],
    ["create", "clusterrole", "cr1", "--verb=get", "--resource=deployments.apps"],
    ["create", "rolebinding", "rb1", "--clusterrole=admin", "--user=devuser"],
    ["create", "clusterrolebinding", "crb1", "--clusterrole=view", "--group=devs"],
    ["create", "quota", "q1", "--hard=pods=10,cpu=2"],
]


def _dry_run(served, version: str, argv: list[str]) -> dict:
    if "--" in argv:
        i = argv.index("--")
        argv = argv[:i] + ["--dry-run=server", "-o", "json"] + argv[i:]
    else:
        argv = argv + ["--dry-run=server", "-o", "json"]
    cp = served.kubectl(version, "-n", "default", *argv)
    assert cp.returncode == 0, cp.stderr
    obj = json.loads(cp.stdout)
    uid = obj["metadata"].get("uid", "")
    obj = json.loads(cp.stdout.replace(uid, "UID")) if uid else obj  # Job selectors carry the uid
    for f in ("uid", "creationTimestamp", "resourceVersion"):
        obj["metadata"].pop(f, None)
    if obj.get("kind") == "Service":  # allocations derive from the log position: they differ per request
        spec = obj.get("spec") or {}
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
        for p in spec.get("ports") or ():
            p.pop("nodePort", None)
    return obj


@pytest.mark.parametrize("argv", GENERATORS, ids=lambda a: "-".join(a[1:3]))
def test_protobuf_body_equals_json_body(served, argv):
    assert _dry_run(served, "1.33", argv) == _dry_run(served, "1.31", argv)


def test_envelope_errors():
    with pytest.raises(ProtobufError, match="does not appear to be a protobuf message"):
        decode(b'{"kind":"ConfigMap"}')
    with pytest.raises(ProtobufError):
        decode(b"k8s\x00\x0a\xff")  # truncated
    # an unknown kind in a well-formed envelope
    env = b"k8s\x00" + b"\x0a\x0a\x0a\x02v1\x12\x04Nope"
    with pytest.raises(ProtobufError, match='no kind "Nope"'):
        decode(env)


def test_configmap_wire_example_from_the_reference():
    # kubectl-wire.md section 11: ConfigMap cm1, data a=b
    meta = b"\x0a\x03cm1\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00"
    entry = b"\x0a\x01a\x12\x01b"
    raw = b"\x0a\x13" + meta + b"\x12\x06" + entry
    env = b"k8s\x00" + b"\x0a\x0f\x0a\x02v1\x12\x09ConfigMap" + b"\x12" + bytes([len(raw)]) + raw + b"\x1a\x00\x22\x00"
    assert decode(env) == {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cm1"}, "data": {"a": "b"}}
    assert [n for n, _w, _v in fields(raw)] == [1, 2]
