"""Encryption at rest with the log on etcd: the keys stay in the local data folder, etcd holds
ciphertext, and another process without the keys verifies the same log."""

import json
import os

from log_tools.cli import main
from tests.crypto.test_encryption import KEY1, VALUE, config, secret


def run(capsys, *argv, code=0):
    rc = main(list(argv))
    out = capsys.readouterr()
    assert rc == code, (argv, out.out, out.err)
    return out.out, out.err


def test_secrets_on_etcd_are_ciphertext(tmp_path, capsys, etcd_url):
    cfg, man = tmp_path / "enc.yaml", tmp_path / "s.yaml"
    cfg.write_text(config(("aesgcm", "key1", KEY1)))
    man.write_text(json.dumps(secret()))
    keys = str(tmp_path / "with-keys")
    run(capsys, "init", "--start-time", "2026-01-01T00:00:00Z", "--encryption-provider-config", str(cfg),
        "--store", etcd_url, "--data", keys)
    run(capsys, "apply", "-f", str(man), "--store", etcd_url, "--data", keys)
    out, _ = run(capsys, "get", "secret", "db", "-o", "json", "--store", etcd_url, "--data", keys)
    assert json.loads(out)["data"]["password"]
    other = str(tmp_path / "no-keys")  # another process, another cache, no keys
    out, _ = run(capsys, "verify", "--store", etcd_url, "--data", other)
    assert out.startswith("ok: ")
    out, _ = run(capsys, "export", "--store", etcd_url, "--data", other)
    assert VALUE not in out and "kt:enc:aesgcm:v1:" in out
    out, _ = run(capsys, "get", "secret", "db", "-o", "json", "--store", etcd_url, "--data", other)
    assert "password" not in out and "kubetape.io/redacted" in out
    assert not os.path.exists(os.path.join(other, "encryption"))
