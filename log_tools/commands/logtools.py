"""The log's own tools: init, log, diff, verify, export, import, recover, now, advance."""

from __future__ import annotations

import json
import os
import re
import sys

from engine.clock import parse_duration, parse_time, rfc3339, rfc3339_micro
from engine.errors import StatusError
from engine.log import eventlog
from engine.log.kv import StoreError
from engine.records import Admitted, Conflicted, Denied, LogEntry
from log_tools import output
from log_tools.manifests import client_error

_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden",
            404: "NotFound", 405: "MethodNotAllowed", 409: "Conflict", 410: "Gone", 415: "UnsupportedMediaType",
            422: "Invalid", 429: "TooManyRequests", 500: "InternalError"}


def register(subs, common) -> None:
    p = subs.add_parser("init", parents=[common], help="create a new cluster log (otherwise done on first use)",
                        description="Boot a cluster. Example: ktape init --start-time 2026-01-01T00:00:00Z --nodes 2")
    p.add_argument("--start-time", help="virtual start time, RFC 3339 (default: now, read once and recorded)")
    p.add_argument("--nodes", type=int, default=2, help="worker nodes besides k8s-master")
    p.add_argument("--node-cpu", default="4")
    p.add_argument("--node-memory", default="8Gi")
    p.add_argument("--node-pods", default="110")
    p.add_argument("--authorization-mode", default="AlwaysAllow", help="comma-separated chain, e.g. AlwaysDeny")
    p.add_argument("--encryption-provider-config", metavar="FILE",
                   help="apiserver.config.k8s.io/v1 EncryptionConfiguration: encrypt Secrets (and ConfigMaps) at rest")
    p.add_argument("--service-cidr", default="10.96.0.0/12", help="Service ClusterIP range (kubeadm's --service-cidr)")
    p.add_argument("--service-node-port-range", default="30000-32767", help="NodePort range")
    p.add_argument("--proxy-mode", default="ipvs", help="kube-proxy mode: ipvs (default), iptables or userspace")
    p.set_defaults(run=run_init)

    p = subs.add_parser("log", parents=[common], help="list the recorded requests",
                        description="List entries. Example: ktape log --user kubernetes-admin --verb delete -o json")
    for flag in ("user", "verb", "resource", "name", "outcome", "since", "until"):
        p.add_argument("--" + flag)
    p.add_argument("-o", "--output", choices=["json", "wide"])
    p.add_argument("--tail", type=int, help="only the last N matching entries")
    p.set_defaults(run=run_log)

    p = subs.add_parser("diff", parents=[common], help="structural diff of state between two moments",
                        description="Diff two moments. Example: ktape diff 10 25 deployment/nginx-deploy")
    p.add_argument("moments", nargs="+", help="FROM TO [KIND/NAME] (seqs or RFC 3339 times)")
    p.add_argument("-o", "--output", choices=["json"])
    p.set_defaults(run=run_diff)

    p = subs.add_parser("verify", parents=[common], help="re-fold the log and check chain, digests and indexes",
                        description="Verify. Example: ktape verify")
    p.add_argument("--shallow", action="store_true", help="skip comparing materialized tables")
    p.set_defaults(run=run_verify)

    p = subs.add_parser("export", parents=[common], help="write the log as canonical JSON Lines",
                        description="Export. Example: ktape export > cluster.jsonl")
    p.add_argument("--out", help="file to write (default stdout)")
    p.add_argument("--from-seq", type=int, default=1)
    p.add_argument("--to-seq", type=int)
    p.set_defaults(run=run_export)

    p = subs.add_parser("import", parents=[common], help="load an exported log into an empty data folder, verifying it",
                        description="Import. Example: ktape --data copy import cluster.jsonl")
    p.add_argument("file", help="JSON Lines file, or - for stdin")
    p.set_defaults(run=run_import)

    p = subs.add_parser("recover", parents=[common], help="copy the good prefix of a damaged log into a new folder",
                        description="Recover. Example: ktape --data broken recover --to fixed")
    p.add_argument("--to", required=True, help="new data folder")
    p.set_defaults(run=run_recover)

    p = subs.add_parser("now", parents=[common], help="the last seq and the virtual time",
                        description="Example: ktape now -o json")
    p.add_argument("-o", "--output", choices=["json"])
    p.set_defaults(run=run_now)

    p = subs.add_parser("advance", parents=[common], help="move the virtual clock forward (runs due work)",
                        description="Example: ktape advance 90s")
    p.add_argument("duration", help="e.g. 30s, 5m, 1h30m")
    p.set_defaults(run=run_advance)


# --- init / now / advance ------------------------------------------------------------------------


def run_init(ctx, args) -> int:
    import time

    from engine.api import Cluster
    from engine.bootstrap import InitOptions, init

    if args.nodes < 0:
        raise client_error("--nodes must be >= 0")
    from engine.bootstrap import PROXY_MODES
    from engine.pipeline.allocators import check_range

    why = check_range(args.service_cidr)
    if why:
        raise client_error(f"--service-cidr: {why}")
    if not re.fullmatch(r"(\d+)-(\d+)", args.service_node_port_range) or \
            not 0 < int(args.service_node_port_range.split("-")[0]) <= int(args.service_node_port_range.split("-")[1]) < 65536:
        raise client_error(f"--service-node-port-range: {args.service_node_port_range!r} is not a port range like 30000-32767")
    if args.proxy_mode not in PROXY_MODES:
        raise client_error(f"--proxy-mode: unknown mode {args.proxy_mode!r} (ipvs, iptables or userspace)")
    try:
        start = parse_time(args.start_time) if args.start_time else int(time.time()) * 1_000_000
    except ValueError as exc:
        raise client_error(f"--start-time: {exc}") from None
    if args.encryption_provider_config:  # refuse a bad configuration before anything is written
        from log_tools.commands.secrets import validate_file

        validate_file(args.encryption_provider_config)
    cluster = ctx.open_cluster()
    try:
        if cluster.initialized:
            raise client_error(f"{ctx.where} already holds a cluster log (seq {cluster.head().seq})")
        modes = tuple(m.strip() for m in args.authorization_mode.split(",") if m.strip())
        encryption = None
        if args.encryption_provider_config:
            from log_tools.commands.secrets import install

            encryption = install(ctx, cluster, args.encryption_provider_config)
        init(cluster, InitOptions(start_time=start, nodes=args.nodes, node_cpu=args.node_cpu,
                                  node_memory=args.node_memory, node_pods=args.node_pods, authorization_modes=modes,
                                  encryption=encryption,
                                  service_cidr=args.service_cidr, node_port_range=args.service_node_port_range,
                                  proxy_mode=args.proxy_mode))
        head = cluster.head()
    finally:
        cluster.close()
    ctx.out.write(f"cluster initialized in {ctx.where}: {args.nodes + 1} nodes, seq {head.seq} at {rfc3339(head.at)}\n")
    return 0


def run_now(ctx, args) -> int:
    head = ctx.cluster(must_exist=True, boot=False).head()
    if args.output == "json":
        ctx.out.write(json.dumps({"seq": head.seq, "time": rfc3339(head.at)}) + "\n")
    else:
        ctx.out.write(f"seq {head.seq} at {rfc3339(head.at)}\n")
    return 0


def run_advance(ctx, args) -> int:
    try:
        by = parse_duration(args.duration)
    except ValueError as exc:
        raise client_error(str(exc)) from None
    cluster = ctx.cluster()
    if cluster.read_only:
        raise client_error("the log is open read-only")
    cluster.advance(by)
    head = cluster.head()
    ctx.out.write(f"clock advanced to {rfc3339(head.at)} (seq {head.seq})\n")
    return 0


# --- log -----------------------------------------------------------------------------------------


def outcome_text(e: LogEntry) -> str:
    o = e.outcome
    if isinstance(o, Admitted):
        return f"{o.code} {_REASONS.get(o.code, '')}".strip() + (" (dry run)" if e.request.dry_run else "")
    if isinstance(o, Denied):
        return f"{o.code} {o.reason}"
    if isinstance(o, Conflicted):
        return "409 Conflict"
    return "?"


def entry_json(e: LogEntry) -> dict:
    r = e.request
    out = {"seq": e.seq, "time": rfc3339_micro(e.at), "user": r.user, "groups": list(r.groups), "verb": r.verb,
           "group": r.group, "resource": r.resource, "subresource": r.subresource, "namespace": r.namespace,
           "name": _name_of(e),
           "code": e.code, "outcome": type(e.outcome).__name__}
    if r.impersonator:
        out["impersonatedBy"] = r.impersonator
    if isinstance(e.outcome, Denied):
        out["reason"], out["message"], out["stage"] = e.outcome.reason, e.outcome.message, e.outcome.stage
    if r.dry_run:
        out["dryRun"] = True
    if r.params.get("command"):
        out["command"] = r.params["command"]
    return out


def _name_of(e: LogEntry) -> str:
    """The object's name: from the URL, else decided (generateName), else the created body."""
    r = e.request
    if r.name:
        return r.name
    if isinstance(e.outcome, Admitted) and e.outcome.decided.get("name"):
        return e.outcome.decided["name"]
    if r.verb == "create" and isinstance(r.body, dict):
        return (r.body.get("metadata") or {}).get("name", "")
    return ""


def _matches(e: LogEntry, args, since: int | None, until: int | None) -> bool:
    r = e.request
    if args.verb and r.verb != args.verb:
        return False
    if args.resource:
        want = args.resource
        try:
            from engine.registry import resolve

            want = resolve(args.resource).plural
        except StatusError:
            pass
        if r.resource != want and f"{r.resource}/{r.subresource}" != args.resource:
            return False
    if getattr(args, "namespace", None) and r.namespace != args.namespace:
        return False
    if args.name and (r.name or entry_json(e)["name"]) != args.name:
        return False
    if args.outcome:
        o = args.outcome.lower()
        kind = type(e.outcome).__name__.lower()
        if not (o == kind or o == str(e.code) or o == _REASONS.get(e.code, "").lower()
                or (o == "denied" and e.code >= 400) or (o in ("ok", "success") and e.code < 400)):
            return False
    if since is not None and e.at < since:
        return False
    if until is not None and e.at > until:
        return False
    return True


def run_log(ctx, args) -> int:
    cluster = ctx.cluster(must_exist=True, boot=False)
    since = _time_arg(args.since, "--since")
    until = _time_arg(args.until, "--until")
    rows: list[LogEntry] = []
    with cluster.store.begin() as txn:
        if args.user:
            seqs = eventlog.seqs_for_user(txn, args.user)
            entries = (eventlog.read_entry(txn, s) for s in seqs)
        else:
            start = eventlog.seq_at_time(txn, since - 1) + 1 if since is not None else 1
            entries = eventlog.scan_entries(txn, max(start, 1))
        for e in entries:
            if e is not None and _matches(e, args, since, until):
                rows.append(e)
    if args.tail:
        rows = rows[-args.tail:]
    if args.output == "json":
        for e in rows:
            ctx.out.write(json.dumps(entry_json(e), sort_keys=True) + "\n")
        return 0
    from log_tools.printers.table import render

    headers = ["SEQ", "TIME", "USER", "VERB", "OBJECT", "OUTCOME"]
    table = []
    for e in rows:
        j = entry_json(e)
        obj = j["resource"] + (f"/{j['subresource']}" if j["subresource"] else "")
        if j["name"]:
            obj += f" {j['namespace'] + '/' if j['namespace'] else ''}{j['name']}"
        elif j["namespace"]:
            obj += f" -n {j['namespace']}"
        if e.request.resource == "clock":
            obj = f"clock -> {rfc3339(e.at)}"
        table.append([str(e.seq), rfc3339(e.at), e.request.user, e.request.verb, obj, outcome_text(e)])
    ctx.out.write(render(headers, table))
    return 0


def _time_arg(value: str | None, flag: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise client_error(f"{flag}: {exc}") from None


# --- diff ----------------------------------------------------------------------------------------


def structural_diff(a, b, path: str = "") -> list[tuple[str, object, object]]:
    """(path, before, after) for every leaf that differs; maps by key, lists by index."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            p = f"{path}.{k}" if path else k
            if k not in a:
                out.append((p, None, b[k]))
            elif k not in b:
                out.append((p, a[k], None))
            else:
                out += structural_diff(a[k], b[k], p)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += structural_diff(x, y, f"{path}[{i}]")
        return out
    return [] if a == b else [(path, a, b)]


def run_diff(ctx, args) -> int:
    from engine.registry import resolve
    from projections.timetravel import object_at
    from reducers.keys import entry_key, object_key, split_key

    if len(args.moments) not in (2, 3):
        raise client_error("usage: ktape diff FROM TO [KIND/NAME]")
    a, b = ctx.resolve_moment(args.moments[0]), ctx.resolve_moment(args.moments[1])
    if a > b:
        a, b = b, a
    only: bytes | None = None
    if len(args.moments) == 3:
        kind, _, name = args.moments[2].partition("/")
        if not name:
            raise client_error("the object must be given as KIND/NAME, e.g. deployment/web")
        rt = resolve(kind)
        only = object_key(rt.group, rt.plural, ctx.namespace if rt.namespaced else "", name)
    cluster = ctx.cluster(must_exist=True, boot=False)
    changes = []
    with cluster.store.begin() as txn:
        keys: list[bytes] = []
        seen = set()
        for e in eventlog.scan_entries(txn, a + 1, b):
            k = entry_key(e) if e.changed else None
            if k is not None and k not in seen and (only is None or k == only):
                seen.add(k)
                keys.append(k)
        for k in keys:
            before, after = object_at(txn, k, a), object_at(txn, k, b)
            if before == after:
                continue
            g, r, ns, name = split_key(k)
            ignore = {"metadata.resourceVersion", "metadata.generation", "metadata.managedFields"}
            fields = [(p, x, y) for p, x, y in structural_diff(before or {}, after or {}) if p not in ignore] if before and after else []
            change = "added" if before is None else "removed" if after is None else "modified"
            if change == "modified" and not fields:
                continue
            changes.append({"change": change, "group": g, "resource": r, "namespace": ns, "name": name,
                            "fields": [{"path": p, "from": x, "to": y} for p, x, y in fields]})
    if args.output == "json":
        ctx.out.write(json.dumps({"from": a, "to": b, "changes": changes}, indent=2, sort_keys=True) + "\n")
        return 0
    mark = {"added": "+", "removed": "-", "modified": "~"}
    for c in changes:
        where = f"{c['namespace']}/{c['name']}" if c["namespace"] else c["name"]
        res = c["resource"] + (f".{c['group']}" if c["group"] else "")
        ctx.out.write(f"{mark[c['change']]} {res} {where}\n")
        for f in c["fields"]:
            ctx.out.write(f"    {f['path']}: {_short(f['from'])} -> {_short(f['to'])}\n")
    if not changes:
        ctx.out.write(f"no changes between seq {a} and seq {b}\n")
    return 0


def _short(v) -> str:
    if v is None:
        return "<none>"
    s = json.dumps(v, sort_keys=True, ensure_ascii=False)
    return s if len(s) <= 120 else s[:117] + "..."


# --- verify / export / import / recover ----------------------------------------------------------


def run_verify(ctx, args) -> int:
    from engine.log.lmdb_store import LmdbStore, check_file, salvage_copy
    from engine.log.verify import verify

    path = ctx.data
    damaged = None
    if ctx.store_spec is not None:  # the log on etcd: opening checks every entry into the local cache
        try:
            store = ctx.open_cluster().store
        except StoreError as exc:
            return _refused_log(exc)
    elif not os.path.exists(os.path.join(path, "data.mdb")):
        raise client_error(f"no kubetape log in {path}")
    else:
        try:
            check_file(path)
            store = LmdbStore(path, read_only=True, check=False)
        except StoreError as exc:
            damaged = str(exc)
            store = LmdbStore(salvage_copy(path), read_only=True, check=False)
    try:
        with store.begin() as txn:
            report = verify(txn, progress=lambda s, t: output.progress("verify", s, t), deep=not args.shallow)
        output.progress_done()
    finally:
        store.close()
    if damaged:
        print(f"error: {damaged}", file=sys.stderr)
    if report.ok and not damaged:
        ctx.out.write(f"ok: {report.entries} entries, hash chain intact, {report.objects} objects match the fold"
                      f"{'' if args.shallow else ', indexes match a rebuild'}\n")
        return 0
    first = report.first_bad_seq
    for p in report.problems[:5]:
        print(f"error: {p}", file=sys.stderr)
    if first is not None:
        print(f"first bad seq: {first} (entries 1 to {first - 1} are good; `ktape recover --to DIR` keeps them)", file=sys.stderr)
    elif damaged and report.ok:
        print(f"first bad seq: {report.entries + 1} (the file lost its tail; entries 1 to {report.entries} are good)", file=sys.stderr)
    return 3


def _refused_log(exc: StoreError) -> int:
    """`verify` of an etcd prefix whose entries cannot be a kubetape log (exit 3, first bad seq)."""
    import re

    print(f"error: {exc}", file=sys.stderr)
    m = re.search(r"seq (\d+)", str(exc))
    if m and "unreachable" not in str(exc):
        print(f"first bad seq: {m.group(1)}", file=sys.stderr)
        return 3
    return 1


def run_export(ctx, args) -> int:
    from engine.log.transfer import export_lines

    cluster = ctx.cluster(must_exist=True, boot=False)
    out = open(args.out, "w", encoding="utf-8") if args.out else ctx.out
    n = 0
    try:
        with cluster.store.begin() as txn:
            total = eventlog.read_head(txn).seq
            for line in export_lines(txn, args.from_seq, args.to_seq):
                out.write(line + "\n")
                n += 1
                if n % 10_000 == 0:
                    output.progress("export", n, total)
        output.progress_done()
    finally:
        if args.out:
            out.close()
    if args.out:
        print(f"exported {n} entries to {args.out}", file=sys.stderr)
    return 0


def run_import(ctx, args) -> int:
    from engine.api import Cluster
    from engine.log.transfer import ImportError_, import_lines

    cluster = ctx.open_cluster()
    try:
        if cluster.initialized:
            raise client_error(f"{ctx.where} already holds a log (seq {cluster.head().seq}); import needs an empty data folder")
        src = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
        try:
            n = import_lines(cluster.store, src, progress=lambda k: output.progress("import", k))
        except ImportError_ as exc:
            output.progress_done()
            kept = cluster.head().seq
            raise client_error(f"import stopped at {exc} ; entries 1 to {kept} were imported and verified") from None
        finally:
            if src is not sys.stdin:
                src.close()
        output.progress_done()
    finally:
        cluster.close()
    ctx.out.write(f"imported {n} entries into {ctx.where}, each verified\n")
    return 0


def run_recover(ctx, args) -> int:
    from engine.log.lmdb_store import LmdbStore, salvage_copy
    from engine.log.transfer import salvage_entries, write_prefix

    if os.path.exists(os.path.join(args.to, "data.mdb")):
        raise client_error(f"{args.to} already holds a log")
    if ctx.store_spec is not None:  # the good prefix of an etcd log, into an LMDB folder
        from engine.log.etcd_store import raw_log

        src = raw_log(ctx.store_spec)
    else:
        src = LmdbStore(salvage_copy(ctx.data), read_only=True, check=False)
    try:
        with src.begin() as txn:
            raws, bad, why = salvage_entries(txn)
    finally:
        src.close()
    dst = LmdbStore(args.to)
    try:
        n = write_prefix(dst, raws)
    finally:
        dst.close()
    tail = f"; first bad seq {bad}: {why}" if bad is not None else "; the whole log was good"
    ctx.out.write(f"recovered {n} entries into {args.to}{tail}\n")
    return 0
