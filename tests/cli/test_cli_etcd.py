"""`--store etcd://...`: every command on a log kept in etcd; import/export between LMDB and etcd."""

import os

from log_tools.cli import main

M = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "manifests")


def run(capsys, *argv, code=0):
    rc = main(list(argv))
    out = capsys.readouterr()
    assert rc == code, (argv, out.out, out.err)
    return out.out, out.err


def test_commands_and_round_trip_between_lmdb_and_etcd(tmp_path, capsys, etcd_url, monkeypatch):
    lm = str(tmp_path / "lmdb")
    run(capsys, "init", "--start-time", "2026-01-01T00:00:00Z", "--data", lm)
    run(capsys, "apply", "-f", os.path.join(M, "nginx-deploy.yaml"), "--data", lm)
    run(capsys, "export", "--out", str(tmp_path / "a.jsonl"), "--data", lm)
    a = (tmp_path / "a.jsonl").read_text()
    # LMDB -> etcd (the cache lives in --data), then commands on the etcd log
    c1 = str(tmp_path / "c1")
    out, _ = run(capsys, "--store", etcd_url, "--data", c1, "import", str(tmp_path / "a.jsonl"))
    assert out.startswith(f"imported {a.count(chr(10))} entries into {etcd_url}")
    out, _ = run(capsys, "get", "deploy", "-o", "name", "--store", etcd_url, "--data", c1)
    assert out == "deployment.apps/nginx-deploy\n"
    # another process with an empty cache sees the same log; $KTAPE_STORE works like --store
    monkeypatch.setenv("KTAPE_STORE", etcd_url)
    out, _ = run(capsys, "verify", "--data", str(tmp_path / "c2"))
    assert out.startswith("ok: ")
    run(capsys, "export", "--to-seq", str(a.count("\n")), "--out", str(tmp_path / "b.jsonl"), "--data", str(tmp_path / "c3"))
    assert (tmp_path / "b.jsonl").read_text() == a
    # etcd -> LMDB
    monkeypatch.delenv("KTAPE_STORE")
    back = str(tmp_path / "back")
    run(capsys, "import", str(tmp_path / "b.jsonl"), "--data", back)
    run(capsys, "export", "--out", str(tmp_path / "c.jsonl"), "--data", back)
    assert (tmp_path / "c.jsonl").read_text() == a
    # the recorded command line leaves out where the log lives
    out, _ = run(capsys, "log", "--tail", "1", "-o", "json", "--store", etcd_url, "--data", c1)
    assert "--store" not in out and "etcd://" not in out


def test_a_refused_prefix_exits_3_with_the_first_bad_seq(tmp_path, capsys, etcd_url):
    from engine.log.etcd_store import parse_url
    from etcd3gw.client import Etcd3Client

    (host, port), prefix = parse_url(etcd_url)[0][0], parse_url(etcd_url)[1]
    Etcd3Client(host, port, api_path="/v3/").put(f"{prefix}/log/{1:016x}", b"junk")
    _, err = run(capsys, "verify", "--store", etcd_url, "--data", str(tmp_path / "c"), code=3)
    assert "seq 1" in err and "first bad seq: 1" in err


def test_unreachable_etcd_is_one_line(tmp_path, capsys, monkeypatch):
    import engine.log.etcd_store as es

    monkeypatch.setitem(es.EtcdStore.__init__.__kwdefaults__, "retry_for", 0.3)
    monkeypatch.setitem(es.EtcdStore.__init__.__kwdefaults__, "timeout", 0.5)
    _, err = run(capsys, "get", "pods", "--store", "etcd://127.0.0.1:1/x", "--data", str(tmp_path / "c"), code=1)
    assert err.startswith("error: etcd is unreachable at 127.0.0.1:1") and err.count("\n") == 1


def test_recover_copies_the_good_prefix_of_an_etcd_log(tmp_path, capsys, etcd_url):
    from engine.log.etcd_store import parse_url
    from etcd3gw.client import Etcd3Client

    run(capsys, "init", "--start-time", "2026-01-01T00:00:00Z", "--store", etcd_url, "--data", str(tmp_path / "c"))
    (host, port), prefix = parse_url(etcd_url)[0][0], parse_url(etcd_url)[1]
    Etcd3Client(host, port, api_path="/v3/").put(f"{prefix}/log/{14:016x}", b"junk")  # after the 13 good ones
    run(capsys, "verify", "--store", etcd_url, "--data", str(tmp_path / "c2"), code=3)
    out, _ = run(capsys, "recover", "--to", str(tmp_path / "good"), "--store", etcd_url, "--data", str(tmp_path / "c3"))
    assert out.startswith(f"recovered 13 entries into {tmp_path / 'good'}; first bad seq 14")
    out, _ = run(capsys, "verify", "--data", str(tmp_path / "good"))
    assert out.startswith("ok: 13 entries")
