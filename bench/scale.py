"""Scale benchmark: many nodes and Deployments brought to all-Ready through the real request path,
then a full replay of the resulting log.

    python -m bench.scale [--nodes N --deployments D --replicas R] [--store memory|lmdb] [--quick]
                          [--namespaces K] [--batch B] [--profile FILE] [--deep-verify] [--keep]

Target (issue 3 item 9): 5,000 nodes and 1,500 Deployments of 100 replicas (150,000 pods), all
Ready in <= 120 s wall, peak memory <= 8 GiB, replay <= 30 s, on a 2-core machine.

What runs, all through `Cluster` (the same request path, actors and runtime as `ktape`):

1. `init` with `InitOptions(nodes=N)`: the clock, settings, namespaces and N+1 nodes in one batch.
2. D Deployments created with `Cluster.submit_batch`, `--batch` per batch; each batch is settled
   (Deployment -> ReplicaSet -> pods -> scheduler binds -> kubelets' first sync) before the next.
3. `Cluster.advance(1s)` until every Deployment reports `availableReplicas == replicas`.
4. Replay: the whole log read, decoded and folded (`reducers.state.step`) from a fresh read
   transaction, timed as read, read + decode and read + decode + fold.
5. Verify: the fold equals the materialized `objects` table byte for byte, and the end state is
   what was asked for (D Deployments, D ReplicaSets, D*R pods all bound, Running and Ready, no node
   over its pod capacity). `--deep-verify` also runs `engine.log.verify.verify` (`ktape verify`).

Figures: wall time to all-Ready (and per phase), requests/s (log entries appended per second of
that wall time), entries, log bytes (the `log` table's values; data.mdb size for LMDB), peak RSS
(`resource.getrusage`, before and after the replay), replay time. Printed as a table and written
to bench/out/scale.json (`--out` for another name).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import resource
import shutil
import sys
import time

from engine.api import Cluster
from engine.bootstrap import InitOptions, init
from engine.client import rtype
from engine.codec import decode_entry, pack
from engine.log import eventlog
from engine.log.kv import prefix_end
from engine.pipeline.identity import ADMIN_GROUPS, ADMIN_USER
from engine.records import Request
from reducers.keys import collection_prefix
from reducers.state import step

from bench.foundation import OUT, START, fmt, machine, pressure

SECOND = 1_000_000
FULL = {"nodes": 5_000, "deployments": 1_500, "replicas": 100}
QUICK = {"nodes": 50, "deployments": 15, "replicas": 100}
TARGETS = {"ready_seconds": 120.0, "peak_rss_gib": 8.0, "replay_seconds": 30.0}
MAX_ADVANCE_S = 600  # virtual seconds: a run that is not Ready by then is reported as stuck

_DEPLOY = rtype("deployments")


def deploy_name(i: int) -> str:
    return f"app-{i:05d}"


def namespace_of(i: int, namespaces: int) -> str:
    return "default" if namespaces <= 1 else f"ns-{i % namespaces:04d}"


def create_namespace(name: str) -> Request:
    return Request(verb="create", version="v1", resource="namespaces", body={
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, user=ADMIN_USER, groups=ADMIN_GROUPS)


def create_deploy(i: int, replicas: int, namespaces: int = 1) -> Request:
    app = deploy_name(i)
    body = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": app, "labels": {"app": app}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                 "template": {"metadata": {"labels": {"app": app}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                       "ports": [{"containerPort": 80}]}]}}},
    }
    return Request(verb="create", group=_DEPLOY.group, version=_DEPLOY.version, resource=_DEPLOY.plural,
                   namespace=namespace_of(i, namespaces), body=body, user=ADMIN_USER, groups=ADMIN_GROUPS)


# --- bootstrap addressing ----------------------------------------------------------------------------


def bootstrap_addressing(nodes: int) -> dict:
    """Whether `engine.bootstrap` gives every node a valid podCIDR and InternalIP.

    It numbers node i `10.244.<i>.0/24` and `172.18.0.<i+2>`, which stop being addresses at index
    256 and 254; the kubelet's IPAM then fails on the first pod bound to such a node. When that is
    so, `shim_bootstrap` renumbers only the addresses that are invalid (the valid ones, hence small
    clusters and their logs, are unchanged) and the run says so."""
    import ipaddress

    from engine.bootstrap import node_manifest

    bad = []
    for i in sorted({0, 1, min(nodes, 255), min(nodes, 256), nodes}):
        node, status = node_manifest(f"node{i}", i, InitOptions(start_time=START, nodes=nodes))
        try:
            ipaddress.ip_network(node["spec"]["podCIDR"])
            for a in status["addresses"]:
                if a["type"] == "InternalIP":
                    ipaddress.ip_address(a["address"])
        except ValueError as exc:
            bad.append(f"node index {i}: {exc}")
    return {"valid": not bad, "problems": bad}


def shim_bootstrap() -> None:
    """Renumber what bootstrap gets wrong: podCIDR 10.<i // 256 + 64>.<i % 256>.0/24 for i >= 256
    (inside 10.0.0.0/8, clear of 10.244.0.0/16 and of the Service range) and InternalIP
    172.18.<(i+2) // 256>.<(i+2) % 256> for i >= 254."""
    import engine.bootstrap as bootstrap

    original = bootstrap.node_manifest
    if getattr(original, "shimmed", False):
        return

    def node_manifest(name: str, index: int, opts):
        node, status = original(name, index, opts)
        if index >= 256:
            cidr = f"10.{index // 256 + 64}.{index % 256}.0/24"
            node["spec"]["podCIDR"] = cidr
            node["spec"]["podCIDRs"] = [cidr]
        if index + 2 > 255:
            ip = f"172.18.{(index + 2) // 256}.{(index + 2) % 256}"
            status["addresses"] = [{**a, "address": ip} if a["type"] == "InternalIP" else a for a in status["addresses"]]
        return node, status

    node_manifest.shimmed = True  # type: ignore[attr-defined]
    bootstrap.node_manifest = node_manifest


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # ru_maxrss is KiB on Linux


def cpu_seconds() -> float:
    """User + system CPU time of this process: steadier than wall time on a shared machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def rss_parts() -> dict:
    """Current resident memory split as the kernel counts it: anonymous (the Python heap) and
    file-backed (LMDB's memory map of data.mdb, which the page cache can drop)."""
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("RssAnon:", "RssFile:", "VmHWM:")):
                    name, value = line.split(":", 1)
                    out[name] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def ready_count(c: Cluster, replicas: int) -> tuple[int, int]:
    """(Deployments with availableReplicas == replicas, all Deployments)."""
    done = total = 0
    with c.view() as v:
        for _k, d in v.items("apps", "deployments", None):
            total += 1
            st = d.get("status") or {}
            if st.get("availableReplicas", 0) == replicas and st.get("updatedReplicas", 0) == replicas \
                    and st.get("replicas", 0) == replicas:
                done += 1
    return done, total


def log_bytes(c: Cluster) -> int:
    n = 0
    with c.store.begin() as txn:
        for _k, v in txn.scan("log"):
            n += len(v)
    return n


# --- phases ------------------------------------------------------------------------------------------


def build(c: Cluster, nodes: int, deployments: int, replicas: int, batch: int, progress: bool,
          namespaces: int = 1) -> dict:
    out: dict = {}
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    init(c, InitOptions(start_time=START, nodes=nodes))
    if namespaces > 1:
        for r in c.submit_batch([create_namespace(namespace_of(i, namespaces)) for i in range(namespaces)]):
            if r.error is not None:
                raise RuntimeError(f"namespace create refused: {r.error!r}")
    t_init, cpu_init = time.perf_counter(), cpu_seconds()
    out["init_seconds"] = t_init - t0
    out["init_cpu_seconds"] = cpu_init - cpu0
    out["init_entries"] = c.head().seq
    if progress:
        print(f"  init: {nodes:,} nodes, {out['init_entries']:,} entries in {out['init_seconds']:.1f} s", flush=True)
    batches = []
    for lo in range(0, deployments, batch):
        tb = time.perf_counter()
        seq0 = c.head().seq
        resps = c.submit_batch([create_deploy(i, replicas, namespaces) for i in range(lo, min(deployments, lo + batch))])
        for r in resps:
            if r.error is not None:
                raise RuntimeError(f"create refused: {r.error!r}")
        dt = time.perf_counter() - tb
        batches.append({"deployments": len(resps), "seconds": dt, "entries": c.head().seq - seq0})
        if progress:
            print(f"  create {lo + len(resps):,}/{deployments:,}: {c.head().seq - seq0:,} entries in {dt:.1f} s "
                  f"({time.perf_counter() - t0:.0f} s so far, rss {rss_bytes() / 2**20:,.0f} MiB)", flush=True)
    t_create, cpu_create = time.perf_counter(), cpu_seconds()
    out["create_seconds"] = t_create - t_init
    out["create_cpu_seconds"] = cpu_create - cpu_init
    out["create_batches"] = batches
    out["entries_after_create"] = c.head().seq
    ticks = []
    virtual = 0
    while True:
        done, total = ready_count(c, replicas)
        if done == total == deployments:
            break
        if virtual >= MAX_ADVANCE_S:
            raise RuntimeError(f"not all Ready after {MAX_ADVANCE_S} virtual seconds: {done}/{total}")
        tb = time.perf_counter()
        seq0 = c.head().seq
        c.advance(SECOND)
        virtual += 1
        dt = time.perf_counter() - tb
        ticks.append({"seconds": dt, "entries": c.head().seq - seq0, "ready_before": done})
        if progress:
            print(f"  advance 1s (t+{virtual}s): {c.head().seq - seq0:,} entries in {dt:.1f} s; "
                  f"{done:,}/{deployments:,} were available before it", flush=True)
    t_ready = time.perf_counter()
    out["advance_seconds"] = t_ready - t_create
    out["advance_cpu_seconds"] = cpu_seconds() - cpu_create
    out["advance_ticks"] = ticks
    out["virtual_seconds"] = virtual
    out["ready_seconds"] = t_ready - t0
    out["ready_cpu_seconds"] = cpu_seconds() - cpu0
    out["entries"] = c.head().seq
    out["requests_per_s"] = out["entries"] / out["ready_seconds"]
    return out


def replay(c: Cluster) -> tuple[dict, dict[bytes, dict]]:
    """Full replay of the log from a fresh read transaction: read, read + decode, read + decode + fold."""
    out: dict = {}
    gc.collect()
    with c.store.begin() as txn:
        t = time.perf_counter()
        n = 0
        for _k, _v in txn.scan("log"):
            n += 1
        out["read_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        changed = 0
        for _k, v in txn.scan("log"):
            changed += decode_entry(v).changed
        out["read_decode_seconds"] = time.perf_counter() - t
        objects: dict[bytes, dict] = {}
        t, cpu0 = time.perf_counter(), cpu_seconds()
        for _k, v in txn.scan("log"):
            step(objects, decode_entry(v))
        out["replay_seconds"] = time.perf_counter() - t
        out["replay_cpu_seconds"] = cpu_seconds() - cpu0
    out["entries"] = n
    out["changed_entries"] = changed
    out["replay_entries_per_s"] = n / out["replay_seconds"]
    out["reduce_share"] = max(0.0, (out["replay_seconds"] - out["read_decode_seconds"]) / out["replay_seconds"])
    out["objects"] = len(objects)
    return out, objects


def _count(txn, group: str, resource: str) -> int:
    prefix = collection_prefix(group, resource, None)
    return sum(1 for _ in txn.scan("objects", prefix, prefix_end(prefix)))


def verify_result(c: Cluster, folded: dict[bytes, dict], nodes: int, deployments: int, replicas: int,
                  deep: bool) -> dict:
    out: dict = {}
    t = time.perf_counter()
    # One object at a time (holding the stored bytes and the fold together would double the peak).
    mismatched: list[bytes] = []
    seen = 0
    with c.store.begin() as txn:
        for k, v in txn.scan("objects"):
            k = bytes(k)
            seen += 1
            obj = folded.get(k)
            if obj is None or pack(obj) != bytes(v):
                mismatched.append(k)
        if seen != len(folded):
            mismatched += [k for k in folded if txn.get("objects", k) is None]
        node_objs = [o for _k, o in eventlog.scan_objects(txn, collection_prefix("", "nodes", ""))]
        rs = _count(txn, "apps", "replicasets")
        deps = _count(txn, "apps", "deployments")
    out["fold_equals_materialized"] = not mismatched
    if mismatched:
        out["first_mismatch"] = repr(sorted(mismatched)[0])
    # the end state, from the fold (equal to the materialized objects, checked above)
    pod_prefix = collection_prefix("", "pods", None)
    pods = [o for k, o in folded.items() if k.startswith(pod_prefix)]
    per_node: dict[str, int] = {}
    ready = running = unbound = 0
    for p in pods:
        node = (p.get("spec") or {}).get("nodeName")
        if not node:
            unbound += 1
            continue
        per_node[node] = per_node.get(node, 0) + 1
        st = p.get("status") or {}
        running += st.get("phase") == "Running"
        ready += any(cd.get("type") == "Ready" and cd.get("status") == "True" for cd in st.get("conditions") or ())
    capacity = {n["metadata"]["name"]: int((n.get("status") or {}).get("allocatable", {}).get("pods", 0)) for n in node_objs}
    over = [n for n, k in per_node.items() if k > capacity.get(n, 0)]
    out.update({"deployments": deps, "replicasets": rs, "pods": len(pods), "pods_unbound": unbound,
                "pods_running": running, "pods_ready": ready, "nodes": len(node_objs),
                "nodes_used": len(per_node), "max_pods_per_node": max(per_node.values(), default=0),
                "min_pods_per_used_node": min(per_node.values(), default=0),
                "nodes_over_capacity": len(over)})
    want = deployments * replicas
    checks = {
        "fold == materialized objects": out["fold_equals_materialized"],
        "deployments": deps == deployments,
        "replicasets": rs == deployments,
        "pods": len(pods) == want,
        "all bound": unbound == 0,
        "all Running": running == want,
        "all Ready": ready == want,
        "nodes": len(node_objs) == nodes + 1,
        "no node over capacity": not over,
    }
    if deep:
        from engine.log.verify import verify

        td = time.perf_counter()
        with c.store.begin() as txn:
            rep = verify(txn)
        out["deep_verify_seconds"] = time.perf_counter() - td
        out["deep_verify_problems"] = [str(p) for p in rep.problems[:5]]
        checks["ktape verify"] = rep.ok
    out["checks"] = checks
    out["ok"] = all(checks.values())
    out["seconds"] = time.perf_counter() - t
    return out


# --- main ----------------------------------------------------------------------------------------------


def run(args) -> dict:
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"tmp-scale-{os.getpid()}")
    res: dict = {"machine": machine(), "load_start": os.getloadavg()[0],
                 "args": {"nodes": args.nodes, "deployments": args.deployments, "replicas": args.replicas,
                          "namespaces": args.namespaces, "store": args.store, "batch": args.batch,
                          "durable": not args.no_sync},
                 "pods": args.deployments * args.replicas}
    res["bootstrap_addressing"] = bootstrap_addressing(args.nodes)
    if not res["bootstrap_addressing"]["valid"]:
        print(f"  note: engine.bootstrap gives invalid node addresses past 255 nodes "
              f"({res['bootstrap_addressing']['problems'][0]}); renumbering nodes 256+ for this run "
              "(see shim_bootstrap)", flush=True)
        shim_bootstrap()
        res["bootstrap_shim"] = True
    psi0, wall0 = pressure(), time.perf_counter()
    if args.store == "lmdb":
        shutil.rmtree(path, ignore_errors=True)
        c = Cluster.open(path, durable=not args.no_sync)
    else:
        c = Cluster.memory()
    rss0 = rss_bytes()
    prof = cProfile.Profile(time.process_time) if args.profile else None  # CPU time: the machine may be shared
    if prof:
        prof.enable()
    try:
        res["build"] = build(c, args.nodes, args.deployments, args.replicas, args.batch, not args.silent,
                             args.namespaces)
    finally:
        if prof:
            prof.disable()
            with open(args.profile, "w") as f:
                st = pstats.Stats(prof, stream=f)
                st.sort_stats("tottime").print_stats(45)
                st.sort_stats("cumulative").print_stats(80)
            print(f"  wrote {args.profile}", flush=True)
    res["rss_start_bytes"] = rss0
    res["peak_rss_build_bytes"] = peak_rss_bytes()
    res["rss_after_build_bytes"] = rss_bytes()
    res["rss_parts_after_build"] = rss_parts()
    res["log_bytes"] = log_bytes(c)
    res["entries"] = c.head().seq
    res["bytes_per_entry"] = res["log_bytes"] / res["entries"]
    if args.store == "lmdb":
        res["data_mdb_bytes"] = os.path.getsize(os.path.join(path, "data.mdb"))
    if not args.silent:
        print(f"  all Ready in {res['build']['ready_seconds']:.1f} s; replaying {res['entries']:,} entries ...", flush=True)
    res["replay"], folded = replay(c)
    res["peak_rss_bytes"] = peak_rss_bytes()
    res["rss_parts_after_replay"] = rss_parts()
    res["verify"] = verify_result(c, folded, args.nodes, args.deployments, args.replicas, args.deep_verify)
    del folded
    c.close()
    if args.store == "lmdb" and not args.keep:
        shutil.rmtree(path, ignore_errors=True)
    res["load_end"] = os.getloadavg()[0]
    psi1, wall = pressure(), (time.perf_counter() - wall0) * 1e6
    res["stall_pct"] = {k: 100 * (psi1[k] - psi0[k]) / wall for k in psi1 if k in psi0}
    return res


def report(res: dict) -> str:
    b, r, v = res["build"], res["replay"], res["verify"]
    gib = 2 ** 30

    def verdict(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    a = res["args"]
    rows = [
        ("size", f"{a['nodes']:,} nodes, {a['deployments']:,} Deployments x {a['replicas']} = {res['pods']:,} pods "
                 f"({a['store']}, batch {a['batch']}, {a['namespaces']} namespace(s))", "", ""),
        ("all Ready: wall time (CPU time)", f"{b['ready_seconds']:.1f} s ({b['ready_cpu_seconds']:.1f} s)",
         f"<= {TARGETS['ready_seconds']:.0f} s",
         verdict(b["ready_seconds"] <= TARGETS["ready_seconds"])),
        ("  init / create+settle / advance", f"{b['init_seconds']:.1f} / {b['create_seconds']:.1f} / {b['advance_seconds']:.1f} s"
                                            f" (CPU {b['init_cpu_seconds']:.1f} / {b['create_cpu_seconds']:.1f} / "
                                            f"{b['advance_cpu_seconds']:.1f} s; {b['virtual_seconds']} virtual s)", "", ""),
        ("requests/s (entries / wall to Ready)", f"{fmt(b['requests_per_s'])}", "", ""),
        ("entries", f"{res['entries']:,} ({res['entries'] / max(res['pods'], 1):.1f} per pod)", "", ""),
        ("log bytes (log table values)", f"{res['log_bytes'] / 2**20:,.1f} MiB ({fmt(res['bytes_per_entry'])} B/entry)", "", ""),
    ]
    if "data_mdb_bytes" in res:
        rows.append(("data.mdb", f"{res['data_mdb_bytes'] / 2**20:,.1f} MiB", "", ""))
    rows += [
        ("peak RSS to Ready / after replay", f"{res['peak_rss_build_bytes'] / 2**20:,.0f} / {res['peak_rss_bytes'] / 2**20:,.0f} MiB",
         f"<= {TARGETS['peak_rss_gib']:.0f} GiB", verdict(res["peak_rss_bytes"] <= TARGETS["peak_rss_gib"] * gib)),
        ("  anon / file-backed after Ready", " / ".join(f"{res['rss_parts_after_build'].get(k, 0) / 2**20:,.0f}"
                                                       for k in ("RssAnon", "RssFile")) + " MiB", "", ""),
        ("replay: read / +decode / +fold (CPU)", f"{r['read_seconds']:.2f} / {r['read_decode_seconds']:.2f} / "
                                                 f"{r['replay_seconds']:.2f} s ({r['replay_cpu_seconds']:.2f} s)",
         f"<= {TARGETS['replay_seconds']:.0f} s", verdict(r["replay_seconds"] <= TARGETS["replay_seconds"])),
        ("replay rate", f"{fmt(r['replay_entries_per_s'])} entries/s (reduce {r['reduce_share'] * 100:.0f} %)", "", ""),
        ("verify", ("ok" if v["ok"] else "FAILED " + ", ".join(k for k, ok in v["checks"].items() if not ok))
         + f" ({v['pods_ready']:,} pods Ready on {v['nodes_used']:,} nodes, "
           f"{v['min_pods_per_used_node']}..{v['max_pods_per_node']}/node)", "", ""),
        ("load average start / end", f"{res['load_start']:.2f} / {res['load_end']:.2f}", "", ""),
        ("time stalled on cpu / io (PSI some)",
         " / ".join(f"{res['stall_pct'].get(k, float('nan')):.0f} %" for k in ("cpu", "io")), "", ""),
    ]
    w = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [" | ".join(h.ljust(w[i]) for i, h in enumerate(("case", "actual", "target", "verdict"))),
             "-+-".join("-" * x for x in w)]
    lines += [" | ".join(cell.ljust(w[i]) for i, cell in enumerate(row)) for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=None, help=f"worker nodes (default {FULL['nodes']:,})")
    ap.add_argument("--deployments", type=int, default=None, help=f"Deployments (default {FULL['deployments']:,})")
    ap.add_argument("--replicas", type=int, default=None, help=f"replicas per Deployment (default {FULL['replicas']})")
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke size: {QUICK['nodes']} nodes, {QUICK['deployments']} Deployments x {QUICK['replicas']}")
    ap.add_argument("--namespaces", type=int, default=1,
                    help="spread the Deployments round robin over this many namespaces (default 1: all in default)")
    ap.add_argument("--store", choices=("memory", "lmdb"), default="lmdb")
    ap.add_argument("--no-sync", action="store_true", help="LMDB without fsync per commit (durable=False)")
    ap.add_argument("--batch", type=int, default=None, help="Deployments per submit_batch (default: all in ~10 batches)")
    ap.add_argument("--profile", metavar="FILE", help="cProfile the build (to all-Ready) into FILE")
    ap.add_argument("--deep-verify", action="store_true", help="also run ktape verify (a second full re-fold)")
    ap.add_argument("--keep", action="store_true", help="keep the LMDB log (bench/out/tmp-scale-PID)")
    ap.add_argument("--out", default=None, help="JSON file (default bench/out/scale.json)")
    ap.add_argument("--silent", action="store_true", help="no progress lines")
    args = ap.parse_args(argv)
    base = QUICK if args.quick else FULL
    for k in ("nodes", "deployments", "replicas"):
        if getattr(args, k) is None:
            setattr(args, k, base[k])
    if args.batch is None:
        args.batch = max(1, -(-args.deployments // 10))
    res = run(args)
    out = args.out or os.path.join(OUT, "scale.json")
    with open(out, "w") as f:
        json.dump(res, f, indent=1, default=str)
    print()
    print(report(res))
    print(f"\nwrote {out}")
    return 0 if res["verify"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
