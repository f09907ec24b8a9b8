"""Load benchmark for `ktape serve`: concurrent clients doing get/list/patch over HTTPS on loopback.

    python -m bench.serve                      # 8 clients, 60 s
    python -m bench.serve --clients 8 --seconds 10

A fresh data folder is booted, `ktape serve` runs as a subprocess (the real command, wall
clock), and one load process drives `--clients` keep-alive HTTPS connections (aiohttp client,
admin client certificate). The mix per client: 50 % GET of a ConfigMap, 20 % LIST of a small
namespace, 30 % merge PATCH writing a unique value. After the run the server is stopped and the
log is checked: every acknowledged PATCH must be in the log at the resourceVersion the server
answered (an Admitted patch of that object with that exact body), and `ktape verify` must pass.
Figures (requests/s, p50/p99 latency per verb, errors) go to stdout and `bench/out/serve.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NS = "bench"
OBJECTS = 20


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _ktape(data: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "log_tools", "--data", data, *args], capture_output=True, text=True,
                          env=_env(), cwd=str(ROOT))


def start(tmp: str, workers: int = 1) -> tuple[subprocess.Popen, str, str, str]:
    data, kc = os.path.join(tmp, "data"), os.path.join(tmp, "kubeconfig")
    r = _ktape(data, "init", "--nodes", "1")
    assert r.returncode == 0, r.stderr
    proc = subprocess.Popen([sys.executable, "-m", "log_tools", "--data", data, "serve", "--listen", "127.0.0.1:0",
                             "--write-kubeconfig", kc, "--workers", str(workers)], stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "serve.err"), "w"),
                            text=True, env=_env(), cwd=str(ROOT))
    line = proc.stdout.readline()
    assert line.startswith("Serving on "), open(os.path.join(tmp, "serve.err")).read()
    return proc, line.split()[-1], data, kc


def ssl_context(kc: str, tmp: str) -> ssl.SSLContext:
    cfg = yaml.safe_load(open(kc))
    ca = base64.b64decode(cfg["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
    user = cfg["users"][0]["user"]
    ctx = ssl.create_default_context(cadata=ca)
    c, k = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    Path(c).write_bytes(base64.b64decode(user["client-certificate-data"]))
    Path(k).write_bytes(base64.b64decode(user["client-key-data"]))
    ctx.load_cert_chain(c, k)
    return ctx


async def load(url: str, ctx: ssl.SSLContext, clients: int, seconds: float) -> dict:
    import aiohttp

    base = f"{url}/api/v1/namespaces/{NS}/configmaps"
    conn = aiohttp.TCPConnector(ssl=ctx, limit=clients)
    lat: dict[str, list[float]] = {"get": [], "list": [], "patch": []}
    errors: dict[str, int] = {}
    acked: list[tuple[str, str, int]] = []  # (object, value, resourceVersion)
    done_at: list[float] = []  # when each successful request was answered (perf_counter)
    async with aiohttp.ClientSession(connector=conn) as s:
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
        async with s.post(f"{url}/api/v1/namespaces", json=ns) as r:
            assert r.status == 201, await r.text()
        for i in range(OBJECTS):
            cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}", "labels": {"i": str(i % 4)}}, "data": {"v": "0"}}
            async with s.post(base, json=cm) as r:
                assert r.status == 201, await r.text()
        deadline = time.perf_counter() + seconds

        host, port = url.split("//", 1)[1].rsplit(":", 1)
        path = f"/api/v1/namespaces/{NS}/configmaps"

        async def client(cid: int) -> None:
            # One keep-alive HTTPS connection per client, spoken by hand (request line, headers,
            # Content-Length body): a tenth of aiohttp's client cost, which shares the cores.
            rnd = random.Random(cid)
            reader, writer = await asyncio.open_connection(host.strip("[]"), int(port), ssl=ctx)
            n = 0
            while time.perf_counter() < deadline:
                x = rnd.random()
                name = f"cm-{rnd.randrange(OBJECTS)}"
                t0 = time.perf_counter()
                if x < 0.5:
                    verb, msg = "get", f"GET {path}/{name} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode()
                elif x < 0.7:
                    verb, msg = "list", f"GET {path}?labelSelector=i%3D{rnd.randrange(4)} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode()
                else:
                    n += 1
                    value = f"{cid}-{n}"
                    verb = "patch"
                    body = json.dumps({"data": {"v": value}}).encode()
                    msg = (f"PATCH {path}/{name} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n"
                           f"Content-Type: application/merge-patch+json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
                writer.write(msg)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
                resp = await reader.readexactly(length)
                dt_ = time.perf_counter() - t0
                if status != 200:
                    errors[f"{verb} {status}"] = errors.get(f"{verb} {status}", 0) + 1
                    continue
                lat[verb].append(dt_)
                done_at.append(t0 + dt_)
                if verb == "patch":
                    obj = json.loads(resp)
                    acked.append((name, value, int(obj["metadata"]["resourceVersion"])))
            writer.close()

        t0 = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.perf_counter() - t0
    start = deadline - seconds
    per_10s = [0] * max(1, int((seconds + 9.999) // 10))
    for t in done_at:
        per_10s[min(len(per_10s) - 1, max(0, int((t - start) // 10)))] += 1
    return {"lat": lat, "errors": errors, "acked": acked, "elapsed": elapsed, "per_10s": [round(n / 10, 1) for n in per_10s]}


def run_loop(coro):
    """The load process on uvloop too (as `ktape serve`): it shares the machine's two cores with
    the server, so every CPU-second it saves is one the server can use."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its live children (`--workers`), in seconds (Linux /proc)."""
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids += [int(k) for k in task.read_text().split()]
        except (OSError, ValueError):
            pass
    return own + sum(cpu_seconds(k) for k in kids)


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000


def check_log(data: str, acked: list[tuple[str, str, int]]) -> tuple[int, list[str]]:
    """Every acknowledged patch is the entry at its resourceVersion: an Admitted patch of that
    object carrying exactly that value."""
    sys.path.insert(0, str(ROOT))
    from engine.log import eventlog
    from engine.log.lmdb_store import LmdbStore
    from engine.records import Admitted

    missing = []
    store = LmdbStore(data, read_only=True)
    try:
        with store.begin() as txn:
            for name, value, rv in acked:
                e = eventlog.read_entry(txn, rv)
                ok = (e is not None and isinstance(e.outcome, Admitted) and e.request.verb == "patch"
                      and e.request.name == name and e.request.body == {"data": {"v": value}})
                if not ok:
                    missing.append(f"{name}={value}@{rv}")
    finally:
        store.close()
    return len(acked) - len(missing), missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1, help="`ktape serve --workers N` (HTTP worker processes)")
    ap.add_argument("--keep", action="store_true", help="keep the temp data folder")
    args = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="ktape-bench-serve-")
    proc, url, data, kc = start(tmp, args.workers)
    load_before = os.getloadavg()
    server_cpu0, client_cpu0 = cpu_seconds(proc.pid), time.process_time()
    try:
        res = run_loop(load(url, ssl_context(kc, tmp), args.clients, args.seconds))
        server_cpu = cpu_seconds(proc.pid) - server_cpu0
        client_cpu = time.process_time() - client_cpu0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    load_after = os.getloadavg()
    # the engine's last line: "ktape serve: stopped (N requests in M commits)"
    served = [tuple(int(x) for x in m) for m in re.findall(r"stopped \((\d+) requests in (\d+) commits\)", Path(tmp, "serve.err").read_text())]
    found, missing = check_log(data, res["acked"])
    verify = _ktape(data, "verify")
    total = sum(len(v) for v in res["lat"].values())
    out = {
        "clients": args.clients, "seconds": round(res["elapsed"], 2), "requests": total,
        "requests_per_s": round(total / res["elapsed"], 1), "requests_per_s_by_10s": res["per_10s"], "workers": args.workers,
        "latency_ms": {verb: {"n": len(xs), "p50": round(pct(xs, 50), 2), "p99": round(pct(xs, 99), 2)} for verb, xs in res["lat"].items()},
        "latency_ms_all": {"p50": round(pct(sum(res["lat"].values(), []), 50), 2), "p99": round(pct(sum(res["lat"].values(), []), 99), 2)},
        "server_cpu_s": round(server_cpu, 2), "client_cpu_s": round(client_cpu, 2),
        "requests_per_server_cpu_s": round(total / server_cpu, 1) if server_cpu else None,
        "server_requests": sum(r for r, _ in served), "server_commits": sum(c for _, c in served),
        "errors": res["errors"], "acknowledged_writes": len(res["acked"]), "acknowledged_writes_in_log": found,
        "missing": missing[:20], "verify_rc": verify.returncode, "verify": verify.stdout.strip().splitlines()[-1:] if verify.stdout else [],
        "loadavg_before": load_before, "loadavg_after": load_after, "nproc": os.cpu_count(), "python": platform.python_version(),
        "git": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
    }
    os.makedirs(ROOT / "bench" / "out", exist_ok=True)
    (ROOT / "bench" / "out" / "serve.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if not missing and verify.returncode == 0 and not res["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
