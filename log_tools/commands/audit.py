"""`ktape audit`: the log read as an audit trail, under an audit Policy chosen at query time.

Output shapes: a table by default; `-o json` an `audit.k8s.io/v1` EventList (the shape kubectl and
jq users expect from a list: `.items[]`, as the webhook backend batches events); `-o jsonl` one
Event per line, exactly what the API server's log backend writes with `--audit-log-format=json`.
`--diff` adds, for every change, the structural diff of the object before and after (the same
diff as `ktape diff`); values are shown only at level Request or above, paths always.
"""

from __future__ import annotations

import json

from engine.clock import rfc3339
from engine.errors import StatusError
from engine.records import Admitted, Denied, LogEntry
from log_tools.manifests import client_error

_IGNORE = {"metadata.resourceVersion", "metadata.generation", "metadata.managedFields"}


def register(subs, common) -> None:
    p = subs.add_parser(
        "audit", parents=[common], help="audit events from the log: who did what, under an audit policy",
        description="Audit queries answered from the log's indexes. Examples:\n"
                    "  ktape audit --resource pods --name web-0 --verb delete --diff   # who deleted it, and what changed\n"
                    "  ktape audit --resource secrets -A                                # every access to a Secret\n"
                    "  ktape audit --user alice --outcome denied                        # every denial of a user\n"
                    "  ktape audit --user system:serviceaccount:kube-system:deployment-controller --writes\n"
                    "  ktape audit --writes --since 2026-01-01T00:00:00Z --until 2026-01-01T00:10:00Z\n"
                    "  ktape audit --policy audit-policy.yaml -o json",
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter)
    p.add_argument("--user", help="requests sent by this user (or impersonating someone as this user)")
    p.add_argument("--group", help="requests of users in this group")
    p.add_argument("--verb", help="get, list, watch, create, update, patch, delete, deletecollection")
    p.add_argument("--resource", help="resource as kubectl names it (pods, deploy, secrets, pods/log)")
    p.add_argument("--subresource", help="status, scale, binding, log, ...")
    p.add_argument("--name", help="object name (with --resource: answered from the object index)")
    p.add_argument("--outcome", "--status-code", dest="outcome",
                   help="allowed | denied | conflicted | an HTTP code (403) | a class (4xx) | a reason (Forbidden)")
    p.add_argument("--since", help="RFC 3339 time (virtual clock)")
    p.add_argument("--until", help="RFC 3339 time (virtual clock)")
    rw = p.add_mutually_exclusive_group()
    rw.add_argument("--reads", action="store_true", help="only get, list and watch")
    rw.add_argument("--writes", action="store_true", help="only create, update, patch, delete, deletecollection")
    p.add_argument("--policy", metavar="FILE", help="audit.k8s.io/v1 Policy (default: Metadata for reads, RequestResponse for writes)")
    p.add_argument("--diff", action="store_true", help="show each change as a diff of the object before and after")
    p.add_argument("--tail", type=int, help="only the last N matching events")
    p.add_argument("-o", "--output", choices=["json", "jsonl", "wide"])
    p.set_defaults(run=run_audit)


def load_policy(path: str):
    from projections.audit import PolicyError, parse_policy

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise client_error(f'failed to read file path "{path}": {exc.strerror}') from None
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise client_error(f"failed decoding file \"{path}\": {str(exc).splitlines()[0]}") from None
    try:
        return parse_policy(doc)
    except PolicyError as exc:
        raise client_error(f"{exc}: from file {path}") from None


def build_query(ctx, args):
    from engine.registry import resolve
    from log_tools.commands.logtools import _time_arg
    from projections.audit_query import Query

    api_group = resource = None
    sub = args.subresource
    if args.resource:
        base, _, rsub = args.resource.partition("/")
        try:
            rt = resolve(base)
        except StatusError:
            raise client_error(f'the server doesn\'t have a resource type "{base}"') from None
        api_group, resource = rt.group, rt.plural
        if rsub:
            sub = rsub
    elif args.name:
        raise client_error("--name needs --resource (e.g. --resource pods --name web-0)")
    ns = getattr(args, "namespace", None)
    if args.all_namespaces:
        ns = None
    elif ns is None and args.name and resource:
        from engine.registry import BY_GROUP_RESOURCE

        rt = BY_GROUP_RESOURCE.get((api_group, resource))
        ns = "default" if rt is not None and rt.namespaced else ""
    if args.verb and args.verb not in ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"):
        raise client_error(f'unknown verb "{args.verb}": audit verbs are get, list, watch, create, update, patch, delete, deletecollection')
    return Query(user=args.user, group=args.group, verb=args.verb, api_group=api_group, resource=resource, subresource=sub,
                 namespace=ns, name=args.name, outcome=args.outcome, since=_time_arg(args.since, "--since"),
                 until=_time_arg(args.until, "--until"), reads=args.reads, writes=args.writes)


def run_audit(ctx, args) -> int:
    from projections import audit as A
    from projections.audit_query import iter_matches

    policy = load_policy(args.policy) if args.policy else A.DEFAULT_POLICY
    q = build_query(ctx, args)
    cluster = ctx.cluster(must_exist=True, boot=False)
    events: list[tuple[LogEntry, dict, list]] = []
    with cluster.store.begin() as txn:
        sensitive = A.SENSITIVE | _encrypted_resources(txn)
        # --tail reads newest first and stops once it has N events (the policy may drop some)
        for e in iter_matches(txn, q, reverse=bool(args.tail)):
            ev = event_for(txn, e, policy, sensitive, diff=args.diff)
            if ev is not None:
                events.append(ev)
                if args.tail and len(events) >= args.tail:
                    break
    if args.tail:
        events.reverse()
    if args.output == "json":
        ctx.out.write(json.dumps(A.event_list(ev for _e, ev, _d in events), indent=2, ensure_ascii=False) + "\n")
        return 0
    if args.output == "jsonl":
        for _e, ev, _d in events:
            ctx.out.write(json.dumps(ev, separators=(",", ":"), ensure_ascii=False) + "\n")
        return 0
    from log_tools.printers.table import render

    wide = args.output == "wide"
    headers = ["SEQ", "TIME", "USER", "VERB", "OBJECT", "CODE"] + (["LEVEL", "AUDIT-ID", "URI"] if wide else [])
    rows = [_row(e, ev, wide) for e, ev, _d in events]
    lines = render(headers, rows).splitlines()
    ctx.out.write(lines[0] + "\n")
    for line, (_e, _ev, fields) in zip(lines[1:], events):
        ctx.out.write(line + "\n")
        for f in fields:  # --diff: the change beneath its row
            ctx.out.write(f"    {f}\n")
    return 0


def _row(e: LogEntry, ev: dict, wide: bool) -> list[str]:
    ref = ev.get("objectRef") or {}
    obj = ref.get("resource", e.request.resource) + (f"/{ref['subresource']}" if ref.get("subresource") else "")
    if ref.get("name"):
        obj += f" {ref['namespace'] + '/' if ref.get('namespace') else ''}{ref['name']}"
    elif ref.get("namespace"):
        obj += f" -n {ref['namespace']}"
    st = ev["responseStatus"]
    code = f"{st['code']} {st['reason']}" if st.get("reason") else str(st["code"])
    user = ev["user"]["username"] + (f" (as {ev['impersonatedUser']['username']})" if ev.get("impersonatedUser") else "")
    row = [str(e.seq), rfc3339(e.at), user, e.request.verb, obj, code]
    return row + [ev["level"], ev["auditID"], ev["requestURI"]] if wide else row


def _encrypted_resources(txn) -> frozenset:
    """Resources encrypted at rest (as recorded in the cluster settings, or as the keyring says):
    sensitive for the audit policy, like Secrets."""
    from engine.view import View

    kr = getattr(txn, "keyring", None)
    recorded = ((View(txn).cluster().get("spec") or {}).get("encryption") or {}).get("resources") or ()
    return frozenset(("", r) for r in (*recorded, *(getattr(kr, "resources", ()) if kr is not None else ())))


def event_for(txn, e: LogEntry, policy, sensitive, *, diff: bool = False):
    """(entry, Event, diff lines) for an entry under the policy, or None when its level is None."""
    from projections import audit as A
    from projections.audit_query import entry_name

    name = entry_name(e)
    level, omit = A.level_for(policy, A.attrs_of(e, name), sensitive)
    if level == "None" or "ResponseComplete" in omit:
        return None
    ev = A.build_event(e, level, name, request_obj=lambda: _request_object(txn, e),
                       response_obj=lambda: response_object(txn, e, name))
    lines: list[str] = []
    if diff and e.changed:
        lines = diff_lines(txn, e, show_values=A.at_least(level, "Request"))
        ev["annotations"]["kubetape.io/diff"] = json.dumps(lines, ensure_ascii=False)
    return e, ev, lines


def _request_object(txn, e: LogEntry):
    from engine.crypto.seal import unseal_value
    from projections.audit import request_object

    return unseal_value(txn, request_object(e))


def response_object(txn, e: LogEntry, name: str):
    """What the server answered: the object after a write or read, a list, or the failure Status."""
    from engine.errors import StatusError as SE
    from projections.timetravel import list_at, object_at
    from reducers.keys import collection_prefix, entry_key

    r = e.request
    o = e.outcome
    if isinstance(o, Denied):
        return SE(o.code, o.reason, o.message).status()
    if not isinstance(o, Admitted) or not r.resource or r.group == "kubetape.io":
        return None
    if r.verb in ("list", "watch"):
        from engine.pipeline.handler import _filter
        from engine.registry import BY_GROUP_RESOURCE

        rt = BY_GROUP_RESOURCE.get((r.group, r.resource))
        if rt is None:
            return None
        pairs = list_at(txn, collection_prefix(r.group, r.resource, r.namespace if rt.namespaced and r.namespace else None), e.seq)
        try:
            items = _filter([obj for _k, obj in pairs], rt, r.params.get("labelSelector"), r.params.get("fieldSelector"))
        except SE:
            items = [obj for _k, obj in pairs]
        return {"apiVersion": rt.api_version, "kind": rt.list_kind, "metadata": {"resourceVersion": str(e.seq)}, "items": items}
    key = entry_key(e)
    if key is None:
        return None
    after = object_at(txn, key, e.seq)
    if after is None and r.verb == "delete":
        before = object_at(txn, key, e.seq - 1) or {}
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": r.group, "kind": r.resource,
                            "uid": (before.get("metadata") or {}).get("uid", "")}}
    if r.subresource == "scale" and after is not None:
        from reducers.storage import to_scale

        return to_scale(after)
    return after


def diff_lines(txn, e: LogEntry, show_values: bool = True) -> list[str]:
    """`path: before -> after` for each field the entry changed (`ktape diff`'s structural diff)."""
    from log_tools.commands.logtools import _short, structural_diff
    from projections.timetravel import object_at
    from reducers.keys import entry_key

    key = entry_key(e)
    if key is None:
        return []
    before, after = object_at(txn, key, e.seq - 1), object_at(txn, key, e.seq)
    if before is None and after is None:
        return []
    out = ["+ created" if before is None else "- removed"] if before is None or after is None else []
    for path, a, b in structural_diff(before or {}, after or {}):
        if path in _IGNORE:
            continue
        if show_values:
            out.append(f"{path}: {_short(a)} -> {_short(b)}")
        else:
            out.append(f"{path}: <redacted> -> <redacted>" if a is not None and b is not None
                       else f"{path}: {'<none>' if a is None else '<redacted>'} -> {'<none>' if b is None else '<redacted>'}")
    return out
