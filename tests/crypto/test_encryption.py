"""Secrets encrypted at rest: no plaintext in the LMDB file, replay and verify without keys,
rotation, crypto-shredding, export/import of ciphertext, and upstream's configuration errors."""

import base64
import io
import json
import os

import pytest

from engine.api import Cluster
from engine.client import Client, must
from engine.crypto.config import EncryptionConfigError, load_config_text
from engine.crypto.keyring import DecryptError, Keyring, decrypt, encrypt, install_config, load_keyring
from engine.log import eventlog
from engine.log.lmdb_store import LmdbStore
from engine.log.memory_store import MemoryStore
from engine.log.transfer import export_lines, import_lines
from engine.log.verify import verify
from engine.records import Admitted
from log_tools.cli import main
from tests.engine.conftest import booted, foundation_actors

VALUE = "hunter2-SUPERSECRET-value"
KEY1 = base64.b64encode(b"1" * 32).decode()
KEY2 = base64.b64encode(b"2" * 32).decode()


def config(*providers, resources=("secrets",)) -> str:
    def one(p):
        if p == "identity":
            return "  - identity: {}\n"
        kind, name, key = p
        return f"  - {kind}:\n      keys:\n      - name: {name}\n        secret: {key}\n"

    return ("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
            f"- resources: [{', '.join(resources)}]\n  providers:\n" + "".join(one(p) for p in providers))


def secret(name="db", value=VALUE):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "annotations": {"note": "x"}},
            "stringData": {"password": value}}


def lmdb_cluster(path, text) -> Cluster:
    if text is not None:
        install_config(str(path), text)
    return booted(Cluster.open(str(path), actors=foundation_actors()))


def file_has(path, value: str) -> bool:
    raw = open(os.path.join(path, "data.mdb"), "rb").read()
    return value.encode() in raw or base64.b64encode(value.encode()) in raw


def test_no_plaintext_in_the_log_file_with_encryption_on(tmp_path):
    for enc, text in (("on", config(("aesgcm", "key1", KEY1))), ("identity", config("identity")), ("off", None)):
        path = tmp_path / enc
        c = lmdb_cluster(path, text)
        client = Client(c, command=f"ktape create secret generic db --from-literal=password={VALUE}")
        created = must(client.create(secret()))
        assert base64.b64decode(created["data"]["password"]).decode() == VALUE
        client.create(secret())  # refused (AlreadyExists): its body is recorded too
        must(client.patch("secrets", "db", {"stringData": {"password": VALUE + "2"}}, patch_type="merge"))
        got = must(client.get("secrets", "db"))
        assert base64.b64decode(got["data"]["password"]).decode() == VALUE + "2"
        c.close()
        assert file_has(path, VALUE) == (enc != "on"), enc


def test_replay_and_verify_need_no_keys(tmp_path):
    c = lmdb_cluster(tmp_path / "d", config(("aesgcm", "key1", KEY1)))
    client = Client(c)
    must(client.create(secret()))
    must(client.patch("secrets", "db", {"metadata": {"labels": {"tier": "db"}}}, patch_type="merge"))
    must(client.delete("secrets", "db"))
    must(client.create(secret("db2")))
    c.close()
    store = LmdbStore(str(tmp_path / "d"), read_only=True)  # no keyring
    with store.begin() as txn:
        report = verify(txn)
        assert report.ok, report.problems
        lines = list(export_lines(txn))
        sealed = eventlog.get_object(txn, b"\x00secrets\x00default\x00db2")
    store.close()
    assert sealed["metadata"]["annotations"] == {"kubetape.io/redacted": "no encryption keys are loaded for this data folder"}
    assert "data" not in sealed and sealed["metadata"]["name"] == "db2"
    assert not any(VALUE in line for line in lines)
    # export carries ciphertext faithfully: an import verifies each entry without keys, then reads with them
    copy = MemoryStore()
    assert import_lines(copy, io.StringIO("\n".join(lines))) == len(lines)
    with copy.begin() as txn:
        assert verify(txn).ok
    copy.keyring = load_keyring(str(tmp_path / "d"))
    with copy.begin() as txn:
        obj = eventlog.get_object(txn, b"\x00secrets\x00default\x00db2")
    assert base64.b64decode(obj["data"]["password"]).decode() == VALUE and obj["metadata"]["annotations"] == {"note": "x"}


@pytest.mark.parametrize("kind,key", [("aesgcm", base64.b64encode(b"k" * 16).decode()), ("aescbc", KEY1), ("secretbox", KEY2)])
def test_every_provider_round_trips(kind, key):
    kr = Keyring(load_config_text(config((kind, "k", key))))
    c = booted(Cluster.memory(actors=foundation_actors(), keyring=kr))
    client = Client(c)
    must(client.create(secret()))
    with c.store.begin() as txn:
        raw = txn.get("objects", b"\x00secrets\x00default\x00db")
        assert b"$sealed" in raw and f"kt:enc:{kind}:v1:secrets/default/db@".encode() in raw
        assert VALUE.encode() not in raw
    assert base64.b64decode(must(client.get("secrets", "db"))["data"]["password"]).decode() == VALUE


def test_ciphers_refuse_the_wrong_key():
    for kind in ("aesgcm", "aescbc", "secretbox"):
        blob = encrypt(kind, b"a" * 32, b"payload" * 5, b"aad")
        assert decrypt(kind, b"a" * 32, blob, b"aad") == b"payload" * 5
        if kind != "aescbc":  # CBC has no integrity check (upstream's reason to prefer aesgcm/secretbox)
            with pytest.raises(DecryptError):
                decrypt(kind, b"b" * 32, blob, b"aad")


def test_rotation_first_provider_writes_all_read(tmp_path):
    path = str(tmp_path / "d")
    c = lmdb_cluster(path, config(("aesgcm", "key1", KEY1)))
    must(Client(c).create(secret("old")))
    c.close()
    install_config(path, config(("secretbox", "key2", KEY2), ("aesgcm", "key1", KEY1)))
    c = Cluster.open(path, actors=foundation_actors())
    client = Client(c)
    must(client.create(secret("new")))
    for name in ("old", "new"):
        assert base64.b64decode(must(client.get("secrets", name))["data"]["password"]).decode() == VALUE
    deks = json.load(open(os.path.join(path, "encryption", "datakeys.json")))["deks"]
    assert {d["object"]: (d["provider"], d["key"]) for d in deks.values()} == {
        "secrets/default/old": ("aesgcm", "key1"), "secrets/default/new": ("secretbox", "key2")}
    assert c.store.keyring.rewrap() == 1
    c.close()
    install_config(path, config(("secretbox", "key2", KEY2)))  # key1 retired
    c = Cluster.open(path, actors=foundation_actors())
    assert base64.b64decode(must(Client(c).get("secrets", "old"))["data"]["password"]).decode() == VALUE
    c.close()


def test_forgotten_secret_reads_redacted_at_every_seq(tmp_path, capsys):
    path = str(tmp_path / "d")
    cfg = tmp_path / "enc.yaml"
    cfg.write_text(config(("aesgcm", "key1", KEY1)))
    man = tmp_path / "s.yaml"
    man.write_text(json.dumps(secret()))
    assert main(["init", "--start-time", "2026-01-01T00:00:00Z", "--encryption-provider-config", str(cfg), "--data", path]) == 0
    assert main(["apply", "-f", str(man), "--data", path]) == 0
    assert main(["label", "secret", "db", "tier=db", "--data", path]) == 0
    first = None
    c = Cluster.open(path)
    with c.store.begin() as txn:
        from projections.timetravel import first_version_seq
        first = first_version_seq(txn, b"\x00secrets\x00default\x00db")
    head = c.head().seq
    c.close()
    capsys.readouterr()
    assert main(["get", "secret", "db", "-o", "json", "--at", str(first), "--data", path]) == 0
    assert "password" in capsys.readouterr().out
    assert main(["secrets", "forget", "default/db", "--data", path]) == 0
    assert "1 data key(s) destroyed" in capsys.readouterr().out
    for seq in range(first, head + 1):
        assert main(["get", "secret", "db", "-o", "json", "--at", str(seq), "--data", path]) == 0
        out = capsys.readouterr().out
        assert "password" not in out and VALUE not in out and "kubetape.io/redacted" in out
    assert main(["audit", "--resource", "secrets", "--name", "db", "--diff", "-o", "json", "--data", path]) == 0
    out = capsys.readouterr().out
    assert VALUE not in out and "datakeys" in out  # the forget itself is in the secret's audit trail
    assert main(["export", "--data", path]) == 0
    assert VALUE not in capsys.readouterr().out
    assert main(["secrets", "forget", "default/db", "--data", path]) == 1
    assert "has no data key" in capsys.readouterr().err
    assert main(["verify", "--data", path]) == 0


def test_configmaps_when_configured():
    kr = Keyring(load_config_text(config(("aesgcm", "k", KEY1), resources=("secrets", "configmaps"))))
    c = booted(Cluster.memory(actors=foundation_actors(), keyring=kr))
    must(Client(c).create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": VALUE}}))
    with c.store.begin() as txn:
        assert VALUE.encode() not in txn.get("objects", b"\x00configmaps\x00default\x00cm")
        e = eventlog.read_entry(txn, eventlog.read_head(txn).seq)
        assert isinstance(e.outcome, Admitted) and "$state" in e.outcome.decided and "$sealed" in e.request.body


@pytest.mark.parametrize("providers,message", [
    ([("aesgcm", "k", base64.b64encode(b"x" * 10).decode())],
     'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 10, expected one of [16 24 32]'),
    ([("secretbox", "k", base64.b64encode(b"x" * 16).decode())],
     'resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]'),
    ([("aescbc", "k", "not base64!")],
     'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded'),
])
def test_bad_keys_are_refused_in_upstream_words(providers, message):
    with pytest.raises(EncryptionConfigError) as exc:
        load_config_text(config(*providers))
    assert str(exc.value) == message


def test_bad_config_on_init_records_nothing(tmp_path, capsys):
    cfg = tmp_path / "enc.yaml"
    cfg.write_text(config(("aesgcm", "k", base64.b64encode(b"x" * 10).decode())))
    assert main(["init", "--encryption-provider-config", str(cfg), "--data", str(tmp_path / "d")]) == 1
    assert capsys.readouterr().err.startswith("error: error while parsing file: resources[0].providers[0].aesgcm.keys[0].secret")
    assert not os.path.exists(tmp_path / "d")


def test_configuration_change_is_recorded_without_keys(tmp_path, capsys):
    path = str(tmp_path / "d")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(config(("aesgcm", "key1", KEY1)))
    second.write_text(config(("secretbox", "key2", KEY2), ("aesgcm", "key1", KEY1), resources=("secrets", "configmaps")))
    assert main(["init", "--start-time", "2026-01-01T00:00:00Z", "--encryption-provider-config", str(first), "--data", path]) == 0
    assert main(["secrets", "encryption-config", str(second), "--data", path]) == 0
    capsys.readouterr()
    assert main(["get", "clusters.config.kubetape.io", "cluster", "-o", "json", "--data", path]) == 0
    spec = json.loads(capsys.readouterr().out)["spec"]
    assert spec["encryption"] == {"resources": ["secrets", "configmaps"], "providers": ["secretbox:key2", "aesgcm:key1"]}
    assert main(["export", "--data", path]) == 0
    out = capsys.readouterr().out
    assert KEY1 not in out and KEY2 not in out


def test_forget_needs_delete_on_secrets_and_read_only_destroys_nothing():
    from engine.records import Request

    kr = Keyring(load_config_text(config(("aesgcm", "k", KEY1))))
    c = booted(Cluster.memory(actors=foundation_actors(), keyring=kr))
    must(Client(c).request("patch", "clusters.config.kubetape.io", name="cluster", params={"patchType": "merge"},
                           body={"spec": {"authorization": {"modes": ["AlwaysDeny"]}}}))
    forget = Request("delete", "datakeys", group="kubetape.io", namespace="default", name="db", body={"resource": "secrets"},
                     user="alice", groups=("system:authenticated",))
    resp = c.submit(forget)
    assert resp.error.code == 403 and resp.entry.outcome.stage == "authorization"
    kr2 = Keyring(load_config_text(config(("aesgcm", "k", KEY1))))
    c2 = booted(Cluster.memory(actors=foundation_actors(), keyring=kr2))
    must(Client(c2).create(secret()))
    c2.read_only = True
    assert c2.submit(forget).ok and kr2.dek_ids("secrets/default/db")  # nothing destroyed, nothing recorded
    c2.read_only = False
    assert c2.submit(forget).ok and not kr2.dek_ids("secrets/default/db")
