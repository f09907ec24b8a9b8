"""label and annotate: kubectl's merge patches on metadata, with --overwrite rules."""

from __future__ import annotations

import sys

from engine.errors import StatusError
from log_tools import output
from log_tools.commands.objects import fetch, parse_targets
from log_tools.manifests import client_error


def register(subs, common) -> None:
    for verb, field in (("label", "labels"), ("annotate", "annotations")):
        p = subs.add_parser(verb, parents=[common], help=f"update the {field} of objects",
                            description=f"Update {field}. Example: ktape {verb} pod frontend-abcde app=myapp --overwrite")
        p.add_argument("args", nargs="+", help="TYPE NAME... KEY=VAL... KEY-  (or TYPE/NAME)")
        p.add_argument("--overwrite", action="store_true", help="allow changing existing values")
        p.add_argument("--all", action="store_true")
        p.add_argument("-l", "--selector")
        p.add_argument("--resource-version", help="only if the object is still at this resourceVersion")
        p.add_argument("--list", action="store_true", help=f"print the {field} instead")
        p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
        p.add_argument("-o", "--output", choices=["json", "yaml", "name"])
        p.set_defaults(run=run_metadata, field=field, verb=verb)


def split_changes(tokens: list[str]) -> tuple[list[str], dict[str, str | None]]:
    """Resource tokens, then KEY=VAL (set) and KEY- (remove) changes, in kubectl's grammar."""
    targets, changes = [], {}
    for t in tokens:
        if "=" in t:
            k, _, v = t.partition("=")
            changes[k] = v
        elif t.endswith("-") and len(t) > 1 and "/" not in t[:-1].split("/")[-1]:
            changes[t[:-1]] = None
        else:
            if changes:
                raise client_error(f"all resources must be specified before {('label' if True else '')} changes: {t}")
            targets.append(t)
    return targets, changes


def run_metadata(ctx, args) -> int:
    targets, changes = split_changes(args.args)
    if not changes and not args.list:
        raise client_error(f"at least one {args.field[:-1]} update is required")
    client = ctx.client()
    errors = 0
    pairs = []
    for rt, names in parse_targets(targets):
        if not names and not (args.all or args.selector):
            raise client_error("resource(s) were provided, but no name was specified")
        pairs += [(rt, o) for o in fetch(ctx, args, rt, names, None, [])] if names or args.all or args.selector else []
    dry = args.dry_run != "none"
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(args.dry_run, "")
    for rt, obj in pairs:
        meta = obj["metadata"]
        current = dict(meta.get(args.field) or {})
        if args.list:
            for k in sorted(current):
                ctx.out.write(f"{k}={current[k]}\n")
            continue
        patch: dict[str, str | None] = {}
        try:
            for k, v in changes.items():
                if v is None:
                    if k in current:
                        patch[k] = None
                    continue
                if k in current and current[k] != v and not args.overwrite:
                    raise client_error(f"'{k}' already has a value ({current[k]}), and --overwrite is false")
                if current.get(k) != v:
                    patch[k] = v
        except StatusError as e:
            print(e.kubectl_text(), file=sys.stderr)
            errors += 1
            continue
        ref = output.ref(rt, meta["name"])
        if not patch:
            ctx.out.write(f"{ref} not {args.verb}ed\n" if args.verb == "label" else f"{ref} {args.verb}d\n")
            continue
        body: dict = {"metadata": {args.field: patch}}
        if args.resource_version:
            body["metadata"]["resourceVersion"] = args.resource_version
        if args.dry_run == "client":
            ctx.out.write(f"{ref} {args.verb}{'ed' if args.verb == 'label' else 'd'}{suffix}\n")
            continue
        resp = client.patch(rt, meta["name"], body, meta.get("namespace", ""), "merge", dry_run=dry)
        if resp.error:
            print(resp.error.kubectl_text(), file=sys.stderr)
            errors += 1
            continue
        if args.output in ("json", "yaml", "name"):
            output.emit([resp.obj], args.output, single=True, out=ctx.out)
        else:
            ctx.out.write(f"{ref} {args.verb}{'ed' if args.verb == 'label' else 'd'}{suffix}\n")
    return 1 if errors else 0
