"""patch, scale and edit: changing one object in place."""

from __future__ import annotations

import json
import os
import sys

from engine.errors import StatusError
from log_tools import output
from log_tools.commands.objects import parse_targets
from log_tools.manifests import client_error, parse_documents


def register(subs, common) -> None:
    p = subs.add_parser("patch", parents=[common], help="patch an object (strategic, merge or json)",
                        description="Patch an object. Example: ktape patch deployment web -p '{\"spec\":{\"replicas\":2}}'")
    p.add_argument("resources", nargs="+", help="TYPE NAME or TYPE/NAME")
    p.add_argument("-p", "--patch", required=True, help="the patch, JSON or YAML")
    p.add_argument("--type", default="strategic", choices=["strategic", "merge", "json"])
    p.add_argument("--subresource", default="", choices=["", "status", "scale"])
    p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
    p.add_argument("-o", "--output", choices=["json", "yaml", "name"])
    p.set_defaults(run=run_patch)

    p = subs.add_parser("scale", parents=[common], help="set a new size for a Deployment, ReplicaSet, RC or StatefulSet",
                        description="Scale. Example: ktape scale deployment nginx-deploy --replicas=3")
    p.add_argument("resources", nargs="+", help="TYPE NAME... or TYPE/NAME")
    p.add_argument("--replicas", type=int, required=True)
    p.add_argument("--current-replicas", type=int, default=-1, help="precondition: only scale if now at this size")
    p.add_argument("--resource-version")
    p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
    p.set_defaults(run=run_scale)

    p = subs.add_parser("edit", parents=[common], help="edit an object in $EDITOR",
                        description="Edit. Example: EDITOR=vi ktape edit deployment nginx-deploy")
    p.add_argument("resources", nargs="+", help="TYPE NAME or TYPE/NAME")
    p.add_argument("-o", "--output", choices=["yaml", "json"], default="yaml")
    p.set_defaults(run=run_edit)


def _one(ctx, resources: list[str]):
    targets = parse_targets(resources)
    if len(targets) != 1 or len(targets[0][1]) != 1:
        raise client_error("exactly one TYPE NAME (or TYPE/NAME) is required")
    rt, names = targets[0]
    return rt, names[0]


def run_patch(ctx, args) -> int:
    import yaml

    rt, name = _one(ctx, args.resources)
    try:
        patch = yaml.safe_load(args.patch)
    except yaml.YAMLError as exc:
        raise client_error(f"unable to parse {go_quote(args.patch)}: {yaml_error_text(exc)}") from None
    client = ctx.client()
    ns = ctx.namespace if rt.namespaced else ""
    before = client.get(rt, name, ns, subresource=args.subresource if args.subresource == "scale" else "")
    if before.error:
        raise before.error
    dry = args.dry_run != "none"
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(args.dry_run, "")
    if args.dry_run == "client":
        from reducers.patch import apply_patch

        apply_patch(before.obj, patch, args.type, rt.kind)
        ctx.out.write(f"{output.ref(rt, name)} patched{suffix}\n")
        return 0
    resp = client.patch(rt, name, patch, ns, args.type, subresource=args.subresource, dry_run=dry)
    if resp.error:
        raise resp.error
    if args.output:
        output.emit([resp.obj], args.output, single=True, out=ctx.out)
        return 0
    same = not resp.entry.changed and not dry  # a patch that removed the object (last finalizer) did change it
    ctx.out.write(f"{output.ref(rt, name)} patched{' (no change)' if same else suffix}\n")
    return 0


def go_quote(text: str) -> str:
    """Go's %q: double quotes with backslash escapes, as kubectl prints values in errors."""
    return json.dumps(text, ensure_ascii=False)


def yaml_error_text(exc) -> str:
    """`yaml: line 1: did not find expected node content`: go-yaml's form of a parse error."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"yaml: line {mark.line + 1}: {problem}" if mark is not None else f"yaml: {problem}"


def run_scale(ctx, args) -> int:
    if args.replicas < 0:
        raise client_error("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    client = ctx.client()
    errors = 0
    dry = args.dry_run != "none"
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(args.dry_run, "")
    for rt, names in parse_targets(args.resources):
        if "scale" not in rt.subresources:
            raise client_error(f'cannot scale resource "{rt.qualified}"')
        for name in names:
            ns = ctx.namespace if rt.namespaced else ""
            if args.current_replicas >= 0 or args.resource_version:
                cur = client.get(rt, name, ns, subresource="scale")
                if cur.error:
                    raise cur.error
                if args.current_replicas >= 0 and cur.obj["spec"]["replicas"] != args.current_replicas:
                    raise client_error(f"Expected replicas to be {args.current_replicas}, was {cur.obj['spec']['replicas']}")
            body: dict = {"spec": {"replicas": args.replicas}}
            if args.resource_version:
                body["metadata"] = {"resourceVersion": args.resource_version}
            if args.dry_run == "client":
                ctx.out.write(f"{output.ref(rt, name)} scaled{suffix}\n")
                continue
            resp = client.patch(rt, name, body, ns, "merge", subresource="scale", dry_run=dry)
            if resp.error:
                print(resp.error.kubectl_text(), file=sys.stderr)
                errors += 1
                continue
            ctx.out.write(f"{output.ref(rt, name)} scaled{suffix}\n")
    return 1 if errors else 0


def run_edit(ctx, args) -> int:
    import subprocess
    import tempfile

    from reducers.patch import two_way_strategic_patch

    rt, name = _one(ctx, args.resources)
    client = ctx.client()
    ns = ctx.namespace if rt.namespaced else ""
    got = client.get(rt, name, ns)
    if got.error:
        raise got.error
    original = got.obj
    text = output.to_yaml(original) if args.output == "yaml" else output.to_json(original)
    editor = os.environ.get("KUBE_EDITOR") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix="." + args.output, delete=False) as f:
        f.write("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
                "# and an empty file will abort the edit.\n#\n" + text)
        path = f.name
    try:
        rc = subprocess.call(editor + " " + path, shell=True)
        if rc != 0:
            raise client_error(f"there was a problem with the editor \"{editor}\"")
        edited_text = "\n".join(l for l in open(path, encoding="utf-8").read().splitlines() if not l.lstrip().startswith("#"))
    finally:
        os.unlink(path)
    if not edited_text.strip():
        ctx.out.write("Edit cancelled, no changes made.\n")
        return 0
    docs = parse_documents(edited_text, path)
    if len(docs) != 1:
        raise client_error("the edited file must hold exactly one object")
    edited = docs[0]
    if edited == json.loads(json.dumps(original)):
        ctx.out.write("Edit cancelled, no changes made.\n")
        return 0
    patch = two_way_strategic_patch(original, edited, rt.kind)
    patch.setdefault("metadata", {})["resourceVersion"] = original["metadata"]["resourceVersion"]
    resp = client.patch(rt, name, patch, ns, "strategic")
    if resp.error:
        raise resp.error
    ctx.out.write(f"{output.ref(rt, name)} edited\n")
    return 0


__all__ = ["StatusError"]
