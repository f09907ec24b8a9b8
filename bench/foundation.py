"""Foundation benchmarks: the request path, replay, time travel, storage size and the CLI.

    python -m bench.foundation [--entries N] [--quick] [--rebuild] [--profile]

Cases (figures are events/s, ms or bytes; see bench/README.md for the targets and a run):

- floor     one LMDB put + durable commit per transaction (what one sync costs on this disk)
- durable   N small requests one by one through `Cluster.submit` on a durable LMDB store after
            `init`: ConfigMap merge patches, then `get`s of it (reads are recorded too)
- batched   `Cluster.submit_batch` of 1,000 small requests per batch (ConfigMap creates, then
            patches), with the actors settled after each batch, as the API does by default
- build     a log of `--entries` entries (default 1,000,000) built through the full path in batches
            of 1,000: creates of entries/100 ConfigMaps and Deployments, then a mix of gets,
            data patches, label patches, scales and image patches, one clock tick per batch.
            Built once into bench/out/log-<N> and reused while intact; a 10,000-entry log the same way.
- replay    a full fold of that log: read, read + decode_entry, read + decode + reduce (`step`)
- at        `object_at` at 1,000 random (object, seq) pairs, fixed seed; 20 answers are checked
            against the full fold up to that seq
- bytes     data.mdb size / entries (the big log, and the batched log of small requests),
            with the share of each table
- cli       wall time of `ktape --data DIR get deployment NAME -o json [--read-only]`, median of 5,
            on the 10,000-entry log and the big log

Results are printed as a table and written to bench/out/foundation.json.
`--profile` runs short cProfile'd versions of the cases instead and writes bench/out/profile-*.txt.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import time
from typing import Callable

import lmdb
import msgpack

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.client import rtype
from engine.codec import decode_entry, entry_digest
from engine.log import eventlog
from engine.log.eventlog import u64
from engine.log.kv import TABLES
from engine.log.lmdb_store import check_file
from engine.pipeline.identity import ADMIN_GROUPS, ADMIN_USER
from engine.records import Request
from projections.timetravel import first_version_seq, object_at
from reducers.keys import object_key
from reducers.state import step

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
START = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z, microseconds
BATCH = 1_000
SEED = 20260101
BUILD_VERSION = 1  # bump when the workload below changes, so cached logs are rebuilt

TARGETS = {
    "durable_writes_per_s": (">=", 2_500),
    "batched_requests_per_s": (">=", 50_000),
    "replay_entries_per_s": (">=", 200_000),
    "at_median_ms": ("<=", 50),
    "bytes_per_small_request": ("<=", 400),
    "cli_get_ms_big": ("<=", 300),
    "cli_get_ratio_big_over_10k": ("<=", 1.2),
}


# --- requests ---------------------------------------------------------------------------------------

_CM = rtype("configmaps")
_DEPLOY = rtype("deployments")


def _req(verb: str, rt, name: str = "", body=None, sub: str = "", params: dict | None = None) -> Request:
    return Request(verb=verb, group=rt.group, version=rt.version, resource=rt.plural, namespace="default",
                   name=name, subresource=sub, body=body, user=ADMIN_USER, groups=ADMIN_GROUPS,
                   params=params or {})


def cm_name(i: int) -> str:
    return f"cm-{i:05d}"


def deploy_name(i: int) -> str:
    return f"web-{i:05d}"


def create_cm(i: int) -> Request:
    return _req("create", _CM, body={"apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": {"name": cm_name(i), "labels": {"app": "bench"}},
                                     "data": {"key": "value", "n": str(i)}})


def create_deploy(i: int) -> Request:
    app = deploy_name(i)
    return _req("create", _DEPLOY, body={
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": app, "labels": {"app": app}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": app}},
                 "template": {"metadata": {"labels": {"app": app}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                       "ports": [{"containerPort": 80}]}]}}}})


def patch_cm_data(i: int, v: int) -> Request:
    return _req("patch", _CM, cm_name(i), {"data": {"n": str(v)}}, params={"patchType": "merge"})


def label_cm(i: int, v: int) -> Request:
    return _req("patch", _CM, cm_name(i), {"metadata": {"labels": {"rev": str(v)}}}, params={"patchType": "strategic"})


def label_deploy(i: int, v: int) -> Request:
    return _req("patch", _DEPLOY, deploy_name(i), {"metadata": {"labels": {"rev": str(v)}}},
                params={"patchType": "strategic"})


def scale_deploy(i: int, v: int) -> Request:
    return _req("patch", _DEPLOY, deploy_name(i), {"spec": {"replicas": 1 + v % 9}}, sub="scale",
                params={"patchType": "merge"})


def image_deploy(i: int, v: int) -> Request:
    return _req("patch", _DEPLOY, deploy_name(i),
                {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": f"nginx:1.27.{v % 50}"}]}}}},
                params={"patchType": "strategic"})


def get_cm(i: int, _v: int = 0) -> Request:
    return _req("get", _CM, cm_name(i))


def get_deploy(i: int, _v: int = 0) -> Request:
    return _req("get", _DEPLOY, deploy_name(i))


# (weight, request maker, kind) for the steady-state part of the big log.
MIX: list[tuple[int, Callable[[int, int], Request], str]] = [
    (20, get_cm, "cm"),
    (15, get_deploy, "deploy"),
    (25, patch_cm_data, "cm"),
    (10, label_cm, "cm"),
    (10, label_deploy, "deploy"),
    (12, scale_deploy, "deploy"),
    (8, image_deploy, "deploy"),
]


# --- machine ----------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    from importlib.metadata import version

    fs = ""
    try:
        out = subprocess.run(["df", "-T", OUT], capture_output=True, text=True).stdout.splitlines()
        fs = out[1].split()[1] if len(out) > 1 else ""
    except Exception:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "lmdb": lmdb.__version__,
        "liblmdb": ".".join(map(str, lmdb.version())),
        "msgpack": ".".join(map(str, msgpack.version)),
        "cattrs": version("cattrs"),
        "attrs": version("attrs"),
        "out_fs": fs,
        "git_head": _git("rev-parse", "--short", "HEAD"),
        "git_modified": _git("status", "--porcelain", "--untracked-files=no").splitlines(),
    }


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=os.path.dirname(HERE)).stdout.strip()
    except Exception:
        return ""


# --- helpers ----------------------------------------------------------------------------------------


def fresh(path: str) -> str:
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)
    return path


def new_cluster(path: str, durable: bool = True) -> Cluster:
    c = Cluster.open(fresh(path), durable=durable)
    init(c, InitOptions(start_time=START))
    return c


def must_ok(resps) -> None:
    for r in resps:
        if r.error is not None:
            raise RuntimeError(f"request refused: seq={r.entry.seq if r.entry else None} {r.error!r}")


def file_bytes(path: str) -> int:
    return os.path.getsize(os.path.join(path, "data.mdb"))


def table_bytes(path: str) -> dict:
    """Pages in use per table (branch + leaf + overflow) * page size, and the total in use."""
    env = lmdb.open(path, readonly=True, lock=False, max_dbs=len(TABLES) + 1, subdir=True)
    try:
        out = {}
        with env.begin() as txn:
            for name in TABLES:
                db = env.open_db(name.encode(), txn=txn, create=False)
                st = txn.stat(db)
                out[name] = {"bytes": st["psize"] * (st["branch_pages"] + st["leaf_pages"] + st["overflow_pages"]),
                             "rows": st["entries"]}
        info = env.info()
        out["_in_use"] = (info["last_pgno"] + 1) * env.stat()["psize"]
        return out
    finally:
        env.close()


def pressure() -> dict:
    """Cumulative stall microseconds (Linux PSI `some`) for cpu and io, to tell a busy machine."""
    out = {}
    for res in ("cpu", "io"):
        try:
            with open(f"/proc/pressure/{res}") as f:
                line = f.readline()
            out[res] = int(line.rsplit("total=", 1)[1])
        except (OSError, ValueError, IndexError):
            pass
    return out


def repeated(fn: Callable[[], dict], reps: int, keys: tuple[str, ...]) -> dict:
    """Run a case `reps` times; each key becomes the median, with min..max in `<key>_range`."""
    runs = [fn() for _ in range(reps)]
    out = dict(runs[-1])
    for k in keys:
        vals = [r[k] for r in runs if r.get(k) is not None]
        out[k] = statistics.median(vals)
        out[k + "_range"] = [min(vals), max(vals)]
    out["reps"] = reps
    return out


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


# --- cases ------------------------------------------------------------------------------------------


def case_floor(n: int) -> dict:
    """One put + durable commit per transaction on a bare LMDB environment (same flags as the store)."""
    path = fresh(os.path.join(OUT, "tmp-floor"))
    env = lmdb.open(path, map_size=1 << 30, sync=True, metasync=True)
    val = b"x" * 256
    t = time.perf_counter()
    for i in range(n):
        with env.begin(write=True) as txn:
            txn.put(u64(i), val, append=True)
    dt = time.perf_counter() - t
    env.close()
    shutil.rmtree(path, ignore_errors=True)
    return {"n": n, "commits_per_s": n / dt, "us_per_commit": dt / n * 1e6}


def case_durable(n: int, durable: bool = True) -> dict:
    path = os.path.join(OUT, "tmp-durable")
    c = new_cluster(path, durable)
    must_ok([c.submit(create_cm(0))])
    writes = [patch_cm_data(0, v) for v in range(1, n + 1)]
    reads = [get_cm(0) for _ in range(n)]
    seq0 = c.head().seq
    t = time.perf_counter()
    for r in writes:
        resp = c.submit(r)
        if resp.error is not None:
            raise RuntimeError(resp.error)
    dt_w = time.perf_counter() - t
    seq1 = c.head().seq
    t = time.perf_counter()
    for r in reads:
        resp = c.submit(r)
        if resp.error is not None:
            raise RuntimeError(resp.error)
    dt_r = time.perf_counter() - t
    seq2 = c.head().seq
    c.close()
    size = file_bytes(path)
    shutil.rmtree(path, ignore_errors=True)
    assert seq1 - seq0 == n and seq2 - seq1 == n, "every request must be recorded exactly once"
    return {"n": n, "writes_per_s": n / dt_w, "ms_per_write": dt_w / n * 1e3,
            "gets_per_s": n / dt_r, "ms_per_get": dt_r / n * 1e3,
            "entries": seq2, "data_mdb_bytes": size}


def case_batched(batches: int, objects: int = 2_000) -> dict:
    """ConfigMap creates in batches of 1,000, then data patches of them; settle after each batch."""
    path = os.path.join(OUT, "tmp-batched")
    c = new_cluster(path)
    create_batches = objects // BATCH
    t_create = t_patch = 0.0
    n_create = n_patch = 0
    v = 0
    for b in range(batches):
        if b < create_batches:
            reqs = [create_cm(i) for i in range(b * BATCH, (b + 1) * BATCH)]
        else:
            reqs = []
            for _ in range(BATCH):
                v += 1
                reqs.append(patch_cm_data(v % objects, v))
        t = time.perf_counter()
        resps = c.submit_batch(reqs)
        dt = time.perf_counter() - t
        must_ok(resps)
        if b < create_batches:
            t_create += dt
            n_create += len(reqs)
        else:
            t_patch += dt
            n_patch += len(reqs)
    entries = c.head().seq
    c.close()
    tables = table_bytes(path)
    size = file_bytes(path)
    shutil.rmtree(path, ignore_errors=True)
    return {"batch": BATCH, "requests": n_create + n_patch,
            "requests_per_s": (n_create + n_patch) / (t_create + t_patch),
            "creates_per_s": n_create / t_create if t_create else None,
            "patches_per_s": n_patch / t_patch if t_patch else None,
            "entries": entries, "data_mdb_bytes": size, "bytes_per_entry": size / entries,
            "in_use_bytes_per_entry": tables["_in_use"] / entries,
            "tables": {k: v for k, v in tables.items() if not k.startswith("_")}}


# --- building the big logs ----------------------------------------------------------------------------


def build_plan(entries: int) -> dict:
    n_objects = max(100, entries // 100)
    return {"version": BUILD_VERSION, "entries": entries, "objects": n_objects, "seed": SEED, "batch": BATCH}


def log_is_intact(path: str, plan: dict) -> tuple[bool, str]:
    marker = os.path.join(path, "bench-build.json")
    if not os.path.exists(marker):
        return False, "no build marker"
    with open(marker) as f:
        m = json.load(f)
    if m.get("plan") != plan:
        return False, "built with another plan"
    try:
        check_file(path)
        c = Cluster.open(path, read_only=True)
    except Exception as exc:
        return False, f"does not open: {exc}"
    try:
        with c.store.begin() as txn:
            head = eventlog.read_head(txn)
            raw = txn.get("log", u64(plan["entries"]))
            settled = txn.get("meta", b"settled")
        if head.seq < plan["entries"] or raw is None:
            return False, f"head {head.seq} < {plan['entries']}"
        if entry_digest(bytes(raw)) != m.get("digest_at_entries"):
            return False, "entry digest differs from the build's"
        # recorded CLI gets append entries after the build and change nothing, so `settled` may lag the head
        if settled is None or msgpack.unpackb(settled) < plan["entries"]:
            return False, "actors not settled"
    finally:
        c.close()
    return True, "ok"


def build_log(path: str, entries: int, progress: bool = True) -> dict:
    """Build the log through Cluster.submit_batch; one clock tick (Cluster.advance) per batch."""
    plan = build_plan(entries)
    c = new_cluster(path)
    rng = random.Random(SEED)
    n_obj = plan["objects"]
    n_cm = n_obj // 2
    n_dep = n_obj - n_cm
    weights = [w for w, _f, _k in MIX]
    seg_marks = [entries * k // 10 for k in range(1, 11)]
    segments = []
    seg_t0, seg_seq0 = time.perf_counter(), c.head().seq
    t0 = time.perf_counter()
    v = 0
    creates = [create_cm(i) for i in range(n_cm)] + [create_deploy(i) for i in range(n_dep)]
    creates = [r for pair in zip(creates[:n_cm], creates[n_cm:]) for r in pair] + creates[2 * min(n_cm, n_dep):]
    ci = 0
    while True:
        head = c.head().seq
        if head >= entries:
            break
        c.advance(1_000_000)  # one clock entry per batch
        room = min(BATCH - 1, entries - c.head().seq)
        reqs: list[Request] = []
        while len(reqs) < room and ci < len(creates):
            reqs.append(creates[ci])
            ci += 1
        while len(reqs) < room:
            v += 1
            _w, make, kind = rng.choices(MIX, weights)[0]
            reqs.append(make(rng.randrange(n_cm if kind == "cm" else n_dep), v))
        if reqs:
            must_ok(c.submit_batch(reqs))
        head = c.head().seq
        if segments.__len__() < len(seg_marks) and head >= seg_marks[len(segments)]:
            now = time.perf_counter()
            segments.append({"upto": head, "requests_per_s": (head - seg_seq0) / (now - seg_t0)})
            if progress:
                print(f"  build {path}: {head:,} entries, {segments[-1]['requests_per_s']:,.0f} req/s in this segment, "
                      f"{now - t0:,.0f} s so far", flush=True)
            seg_t0, seg_seq0 = now, head
    elapsed = time.perf_counter() - t0
    with c.store.begin() as txn:
        raw = txn.get("log", u64(entries))
    assert c.head().seq == entries
    c.close()
    info = {"plan": plan, "digest_at_entries": entry_digest(bytes(raw)), "build_seconds": elapsed,
            "build_requests_per_s": (entries - 14) / elapsed, "segments": segments,
            "data_mdb_bytes_after_build": file_bytes(path)}
    with open(os.path.join(path, "bench-build.json"), "w") as f:
        json.dump(info, f, indent=1)
    return info


def ensure_log(path: str, entries: int, rebuild: bool) -> dict:
    plan = build_plan(entries)
    ok, why = (False, "--rebuild") if rebuild else log_is_intact(path, plan)
    if ok:
        with open(os.path.join(path, "bench-build.json")) as f:
            info = json.load(f)
        info["reused"] = True
        print(f"  reusing {path} ({entries:,} entries; built at {info['build_requests_per_s']:,.0f} req/s)", flush=True)
        return info
    print(f"  building {path} ({entries:,} entries): {why}", flush=True)
    info = build_log(path, entries)
    info["reused"] = False
    return info


def object_keys(plan: dict) -> list[bytes]:
    n_cm = plan["objects"] // 2
    n_dep = plan["objects"] - n_cm
    return ([object_key("", "configmaps", "default", cm_name(i)) for i in range(n_cm)]
            + [object_key("apps", "deployments", "default", deploy_name(i)) for i in range(n_dep)])


# --- replay and time travel -------------------------------------------------------------------------


def case_at(path: str, plan: dict, samples: int) -> tuple[dict, list[tuple[bytes, int, dict | None]]]:
    n = plan["entries"]
    keys = object_keys(plan)
    rng = random.Random(SEED + 1)
    c = Cluster.open(path, read_only=True)
    picks = []
    with c.store.begin() as txn:
        for _ in range(samples):
            key = rng.choice(keys)
            lo = first_version_seq(txn, key)
            picks.append((key, rng.randint(lo, n)))
    lat = []
    answers = []
    for key, seq in picks:
        t = time.perf_counter()
        with c.store.begin() as txn:
            obj = object_at(txn, key, seq)
        lat.append((time.perf_counter() - t) * 1e3)
        answers.append((key, seq, obj))
    c.close()
    if any(a[2] is None for a in answers):
        raise AssertionError("object_at returned None for an object that exists at that seq")
    return {"samples": samples, "median_ms": statistics.median(lat), "p95_ms": pct(lat, 95),
            "max_ms": max(lat), "mean_ms": statistics.fmean(lat)}, answers


def case_replay(path: str, plan: dict, checks: list[tuple[bytes, int, dict | None]]) -> dict:
    n = plan["entries"]
    c = Cluster.open(path, read_only=True)
    stop = u64(n + 1)
    out: dict = {"entries": n}
    with c.store.begin() as txn:
        # 1. read only
        t = time.perf_counter()
        count = 0
        for _k, v in txn.scan("log", u64(1), stop):
            count += 1
        dt = time.perf_counter() - t
        assert count == n
        out["read_per_s"] = n / dt
        # 2. read + decode
        t = time.perf_counter()
        changed = 0
        for _k, v in txn.scan("log", u64(1), stop):
            changed += decode_entry(v).changed
        dt_decode = time.perf_counter() - t
        out["read_decode_per_s"] = n / dt_decode
        out["changed_entries"] = changed
        # 3. read + decode + reduce, in segments ending at the check seqs (checks not timed)
        objects: dict[bytes, dict] = {}
        bounds = sorted({s for _k, s, _o in checks} | {n})
        by_seq: dict[int, list] = {}
        for key, s, obj in checks:
            by_seq.setdefault(s, []).append((key, obj))
        dt_fold = 0.0
        start = 1
        checked = 0
        for b in bounds:
            t = time.perf_counter()
            for _k, v in txn.scan("log", u64(start), u64(b + 1)):
                step(objects, decode_entry(v))
            dt_fold += time.perf_counter() - t
            for key, obj in by_seq.get(b, ()):
                if objects.get(key) != obj:
                    raise AssertionError(f"object_at({key!r}, {b}) differs from the full fold up to {b}")
                checked += 1
            start = b + 1
        out["fold_per_s"] = n / dt_fold
        out["fold_seconds"] = dt_fold
        out["objects_at_end"] = len(objects)
        out["at_answers_checked_against_fold"] = checked
        # the reduce share: fold time minus read+decode time
        out["reduce_share"] = max(0.0, (dt_fold - dt_decode) / dt_fold)
    with c.store.begin() as txn:
        head = eventlog.read_head(txn)
    c.close()
    out["head_now"] = head.seq
    return out


# --- CLI -------------------------------------------------------------------------------------------


def ktape_bin() -> str:
    cand = os.path.join(os.path.dirname(sys.executable), "ktape")
    return cand if os.path.exists(cand) else shutil.which("ktape") or "ktape"


def _env() -> dict:
    """A normal install: bytecode compiled once and reused. This sandbox sets PYTHONDONTWRITEBYTECODE=1,
    so unless someone left __pycache__ in the tree every start would compile the project again;
    the cache is kept under bench/out instead of the source tree."""
    env = {k: v for k, v in os.environ.items() if k not in ("KTAPE_LOG", "KTAPE_DATA", "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(OUT, "pycache")
    return env


def time_cmds(cmds: dict[str, list[str]], reps: int, env: dict, check: Callable[[str], None] | None = None) -> dict:
    """Median wall time of each command; the commands are interleaved so drift hits them alike."""
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for i in range(reps + 1):  # one untimed warm-up round (page cache, bytecode)
        for label, argv in cmds.items():
            t = time.perf_counter()
            p = subprocess.run(argv, capture_output=True, text=True, env=env)
            dt = (time.perf_counter() - t) * 1e3
            if p.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.strip()[:500]}")
            if check is not None and "get" in argv:
                check(p.stdout)
            if i:
                times[label].append(dt)
    return {k: {"median_ms": statistics.median(v), "min_ms": min(v), "max_ms": max(v), "reps": reps}
            for k, v in times.items()}


def in_process_get(path: str, name: str, reps: int = 20) -> float:
    """Median ms of open (read-only) + get + json.dumps inside one process: the CLI minus start-up."""
    from engine.client import Client

    times = []
    for _ in range(reps):
        t = time.perf_counter()
        c = Cluster.open(path, read_only=True)
        obj = Client(c).get("deployments", name).obj
        json.dumps(obj, indent=4)
        c.close()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def case_cli(small: str, big: str, name: str, reps: int) -> dict:
    ktape = ktape_bin()

    def check(stdout: str) -> None:
        obj = json.loads(stdout)
        assert obj["kind"] == "Deployment" and obj["metadata"]["name"] == name

    out: dict = {"name": name}
    cmds = {"python_startup": [sys.executable, "-c", "pass"],
            "import_floor": [sys.executable, "-c", "import log_tools.cli as c; c.build_parser()"]}
    for label, path in (("10k", small), ("big", big)):
        base = [ktape, "--data", path, "get", "deployment", name, "-o", "json"]
        cmds[f"read_only_{label}"] = base + ["--read-only"]
        cmds[f"recorded_{label}"] = base
    out.update(time_cmds(cmds, reps, _env(), check))
    out["ratio_read_only"] = out["read_only_big"]["median_ms"] / out["read_only_10k"]["median_ms"]
    out["ratio_recorded"] = out["recorded_big"]["median_ms"] / out["recorded_10k"]["median_ms"]
    out["in_process_open_get_ms_10k"] = in_process_get(small, name)
    out["in_process_open_get_ms_big"] = in_process_get(big, name)
    out["pythondontwritebytecode_in_env"] = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
    return out


# --- profile mode ------------------------------------------------------------------------------------


def profiled(name: str, fn: Callable[[], object]) -> None:
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    buf = io.StringIO()
    st = pstats.Stats(pr, stream=buf)
    st.sort_stats("tottime").print_stats(30)
    st.sort_stats("cumulative").print_stats(45)
    path = os.path.join(OUT, f"profile-{name}.txt")
    with open(path, "w") as f:
        f.write(buf.getvalue())
    print(f"  wrote {path}")


def run_profiles(big: str, plan: dict) -> None:
    profiled("durable", lambda: case_durable(300))
    profiled("batched", lambda: case_batched(5, objects=1_000))
    n = min(100_000, plan["entries"])

    def fold():
        c = Cluster.open(big, read_only=True)
        objects: dict = {}
        with c.store.begin() as txn:
            for _k, v in txn.scan("log", u64(1), u64(n + 1)):
                step(objects, decode_entry(v))
        c.close()

    profiled("replay", fold)
    profiled("at", lambda: case_at(big, plan, 300))


# --- report ------------------------------------------------------------------------------------------


def verdict(key: str, actual: float) -> str:
    op, target = TARGETS[key]
    ok = actual >= target if op == ">=" else actual <= target
    return "meets" if ok else "MISSES"


def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:,.1f}"
    return f"{x:,.2f}"


def span(d: dict, key: str) -> str:
    lo, hi = d[key + "_range"]
    return f"[{fmt(lo)}..{fmt(hi)}]"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.foundation", description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=None, help="entries in the big log (default 1,000,000; 100,000 with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 100k-entry big log, fewer samples")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached logs even when intact")
    ap.add_argument("--profile", action="store_true", help="write cProfile reports of short runs instead of timing")
    args = ap.parse_args(argv)
    entries = args.entries or (100_000 if args.quick else 1_000_000)
    durable_n = 500 if args.quick else 2_000
    batched_batches = 8 if args.quick else 20
    at_samples = 300 if args.quick else 1_000
    reps = 5
    os.makedirs(OUT, exist_ok=True)
    big = os.path.join(OUT, f"log-{entries // 1000}k" if entries % 1_000_000 else f"log-{entries // 1_000_000}m")
    small = os.path.join(OUT, "log-10k")
    t_all = time.perf_counter()
    res: dict = {"machine": machine(), "args": {"entries": entries, "quick": args.quick},
                 "load_start": os.getloadavg()[0]}
    psi0, wall0 = pressure(), time.perf_counter()
    if res["load_start"] > 1.0:
        print(f"  note: load average {res['load_start']:.2f} on {res['machine']['nproc']} cores: other work is running, "
              "figures will be noisy", flush=True)
    print("machine:", json.dumps({k: v for k, v in res["machine"].items() if k != "git_modified"}), flush=True)
    if res["machine"]["git_modified"]:
        print(f"  working tree: {len(res['machine']['git_modified'])} tracked files modified since {res['machine']['git_head']}")

    print("logs:", flush=True)
    res["build_10k"] = ensure_log(small, 10_000, args.rebuild)
    res["build_big"] = ensure_log(big, entries, args.rebuild)
    plan = build_plan(entries)
    if args.profile:
        run_profiles(big, plan)
        return 0

    print("floor ...", flush=True)
    res["floor"] = repeated(lambda: case_floor(durable_n), 3, ("commits_per_s", "us_per_commit"))
    print("durable ...", flush=True)
    res["durable"] = repeated(lambda: case_durable(durable_n), 3, ("writes_per_s", "ms_per_write", "gets_per_s", "ms_per_get"))
    # the same loop without syncs: the CPU share of a durable request (not a durable figure)
    res["durable_nosync"] = repeated(lambda: case_durable(durable_n, durable=False), 3, ("writes_per_s", "ms_per_write", "gets_per_s", "ms_per_get"))
    print("batched ...", flush=True)
    res["batched"] = repeated(lambda: case_batched(batched_batches), 3, ("requests_per_s", "creates_per_s", "patches_per_s"))
    print("at ...", flush=True)
    res["at"], answers = case_at(big, plan, at_samples)
    print("replay ...", flush=True)
    rng = random.Random(SEED + 2)
    checks = rng.sample(answers, 20)
    res["replay"] = case_replay(big, plan, checks)
    assert res["replay"]["at_answers_checked_against_fold"] == 20
    print("bytes ...", flush=True)
    big_tables = table_bytes(big)
    head_big = res["replay"]["head_now"]
    res["bytes"] = {
        "big_entries": head_big,
        "big_data_mdb_bytes": file_bytes(big),
        "big_bytes_per_entry": file_bytes(big) / head_big,
        "big_in_use_bytes_per_entry": big_tables["_in_use"] / head_big,
        "big_tables": {k: v for k, v in big_tables.items() if not k.startswith("_")},
        "small_bytes_per_entry": res["batched"]["bytes_per_entry"],
        "small_in_use_bytes_per_entry": res["batched"]["in_use_bytes_per_entry"],
    }
    print("cli ...", flush=True)
    res["cli"] = case_cli(small, big, deploy_name(0), reps)
    res["total_seconds"] = time.perf_counter() - t_all
    res["load_end"] = os.getloadavg()[0]
    psi1, wall = pressure(), (time.perf_counter() - wall0) * 1e6
    res["stall_pct"] = {k: 100 * (psi1[k] - psi0[k]) / wall for k in psi1 if k in psi0}

    actual = {
        "durable_writes_per_s": res["durable"]["writes_per_s"],
        "batched_requests_per_s": res["batched"]["requests_per_s"],
        "replay_entries_per_s": res["replay"]["fold_per_s"],
        "at_median_ms": res["at"]["median_ms"],
        "bytes_per_small_request": res["bytes"]["small_bytes_per_entry"],
        "cli_get_ms_big": res["cli"]["read_only_big"]["median_ms"],
        "cli_get_ratio_big_over_10k": res["cli"]["ratio_read_only"],
    }
    res["verdicts"] = {k: {"target": f"{TARGETS[k][0]} {TARGETS[k][1]:,}", "actual": v, "verdict": verdict(k, v)}
                       for k, v in actual.items()}
    with open(os.path.join(OUT, "foundation.json"), "w") as f:
        json.dump(res, f, indent=1, default=str)

    d, b, r, a, cl, by = res["durable"], res["batched"], res["replay"], res["at"], res["cli"], res["bytes"]
    cc, dn = cl, res["durable_nosync"]
    rows = [
        ("floor: LMDB put + durable commit", f"{fmt(res['floor']['commits_per_s'])} commits/s {span(res['floor'], 'commits_per_s')}", "", ""),
        ("durable: submit(patch), one by one", f"{fmt(d['writes_per_s'])} req/s ({d['ms_per_write']:.2f} ms) {span(d, 'writes_per_s')}",
         ">= 2,500/s", verdict("durable_writes_per_s", d["writes_per_s"])),
        ("durable: submit(get), one by one", f"{fmt(d['gets_per_s'])} req/s ({d['ms_per_get']:.2f} ms) {span(d, 'gets_per_s')}", "", ""),
        ("same loop, durable=False (no sync)", f"{fmt(dn['writes_per_s'])} patches/s, {fmt(dn['gets_per_s'])} gets/s "
         f"({dn['ms_per_write']:.2f} / {dn['ms_per_get']:.2f} ms)", "", ""),
        ("batched: submit_batch x1000 (all)", f"{fmt(b['requests_per_s'])} req/s {span(b, 'requests_per_s')}", ">= 50,000/s",
         verdict("batched_requests_per_s", b["requests_per_s"])),
        ("batched: creates / patches", f"{fmt(b['creates_per_s'])} / {fmt(b['patches_per_s'])} req/s", "", ""),
        (f"build: {entries:,}-entry mixed log", f"{fmt(res['build_big']['build_requests_per_s'])} req/s"
         + (" (cached)" if res["build_big"].get("reused") else ""), "", ""),
        ("replay: read only", f"{fmt(r['read_per_s'])} entries/s", "", ""),
        ("replay: read + decode", f"{fmt(r['read_decode_per_s'])} entries/s", "", ""),
        ("replay: read + decode + reduce", f"{fmt(r['fold_per_s'])} entries/s ({r['fold_seconds']:.0f} s)",
         ">= 200,000/s", verdict("replay_entries_per_s", r["fold_per_s"])),
        ("replay: reduce share of the fold", f"{r['reduce_share'] * 100:.0f} %", "", ""),
        ("--at: object_at median / p95", f"{a['median_ms']:.2f} / {a['p95_ms']:.2f} ms", "<= 50 ms",
         verdict("at_median_ms", a["median_ms"])),
        ("bytes/entry, small requests log", f"{fmt(by['small_bytes_per_entry'])} B (in use {fmt(by['small_in_use_bytes_per_entry'])})",
         "<= 400 B", verdict("bytes_per_small_request", by["small_bytes_per_entry"])),
        (f"bytes/entry, {entries:,}-entry log", f"{fmt(by['big_bytes_per_entry'])} B (in use {fmt(by['big_in_use_bytes_per_entry'])})", "", ""),
        ("cli: python -c pass / import+parser",
         f"{fmt(cc['python_startup']['median_ms'])} / {fmt(cc['import_floor']['median_ms'])} ms", "", ""),
        ("cli: get -o json --read-only 10k / big",
         f"{fmt(cc['read_only_10k']['median_ms'])} / {fmt(cc['read_only_big']['median_ms'])} ms", "<= 300 ms",
         verdict("cli_get_ms_big", cc["read_only_big"]["median_ms"])),
        ("cli: ratio big / 10k (read-only)", f"{cc['ratio_read_only']:.2f}x", "<= 1.2x",
         verdict("cli_get_ratio_big_over_10k", cc["ratio_read_only"])),
        ("cli: get -o json (recorded) 10k / big",
         f"{fmt(cc['recorded_10k']['median_ms'])} / {fmt(cc['recorded_big']['median_ms'])} ms ({cc['ratio_recorded']:.2f}x)", "", ""),
        ("in-process open + get + json 10k / big",
         f"{cl['in_process_open_get_ms_10k']:.2f} / {cl['in_process_open_get_ms_big']:.2f} ms", "", ""),
        ("machine load average start / end", f"{res['load_start']:.2f} / {res['load_end']:.2f}", "", ""),
        ("time stalled on cpu / io (PSI some)", " / ".join(f"{res['stall_pct'].get(k, float('nan')):.0f} %" for k in ("cpu", "io")), "", ""),
    ]
    w = [max(len(row[i]) for row in rows) for i in range(4)]
    print()
    print(" | ".join(h.ljust(w[i]) for i, h in enumerate(("case", "actual", "target", "verdict"))))
    print("-+-".join("-" * x for x in w))
    for row in rows:
        print(" | ".join(c.ljust(w[i]) for i, c in enumerate(row)))
    print(f"\nwrote {os.path.join(OUT, 'foundation.json')} in {res['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
