"""set image: change container images in a pod template with a strategic merge patch, as kubectl does.

kubectl `pkg/cmd/set/set_image.go`: GET each object, change the images in its pod spec (the
template's for workloads, the spec itself for a Pod), record the command in
`kubernetes.io/change-cause` with `--record`, and PATCH the two-way strategic merge patch between
the two (`$setElementOrder/containers` included) with `fieldManager=kubectl-set`. An unchanged
object sends nothing and prints nothing; an unknown container is an error but the other objects
(and the other containers of the same object) are still updated.
"""

from __future__ import annotations

import json
import sys

from engine.errors import StatusError
from engine.registry import ResourceType, for_kind
from log_tools import output
from log_tools.commands.objects import CHANGE_CAUSE, parse_targets, record_text
from log_tools.manifests import client_error, load

FIELD_MANAGER = "kubectl-set"

#: Where each kind keeps its PodSpec (polymorphichelpers.updatePodSpecForObject).
POD_SPEC_PATH = {
    "Pod": ("spec",),
    "ReplicationController": ("spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def register(subs, common) -> None:
    p = subs.add_parser("set", parents=[common], help="set specific features on objects (image)",
                        description="Configure application resources. Example: ktape set image deployment/web nginx=nginx:1.27")
    p.set_defaults(run=lambda ctx, args: _help(p))
    ssubs = p.add_subparsers(dest="set_command", metavar="SUBCOMMAND", parser_class=type(p))
    i = ssubs.add_parser("image", parents=[common], help="update the image of a pod template",
                         description="Update existing container image(s) of resources. Example: "
                                     "ktape set image deployment/nginx-deploy nginx=wangyanglinux/myapp:v2 --record; "
                                     "ktape set image deploy web '*=nginx:1.27'")
    i.add_argument("args", nargs="*", metavar="ARG", help="TYPE NAME... | TYPE/NAME..., then CONTAINER=IMAGE... (* for all)")
    i.add_argument("-f", "--filename", action="append", default=[], help="file naming the objects")
    i.add_argument("-l", "--selector", help="objects matching this label selector")
    i.add_argument("--all", action="store_true", help="every object of the type in the namespace")
    i.add_argument("--record", action="store_true", help="record the command in kubernetes.io/change-cause")
    i.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
    i.add_argument("-o", "--output", choices=["json", "yaml", "name"])
    i.set_defaults(run=run_set_image)


def _help(p) -> int:
    p.print_help()
    return 0


def split_args(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """cmdutil.GetResourcesAndPairs + ParsePairs: resources first, then CONTAINER=IMAGE pairs."""
    resources: list[str] = []
    images: dict[str, str] = {}
    seen_pair = False
    for a in args:
        if "=" in a:
            seen_pair = True
            name, _, image = a.partition("=")
            if not name or not image:
                raise client_error(f"invalid image update: {a}")
            images[name] = image
        elif seen_pair:
            raise client_error(f"all resources must be specified before image changes: {a}")
        else:
            resources.append(a)
    return resources, images


def set_images(pod_spec: dict, images: dict[str, str]) -> list[str]:
    """Set the images in place; return the names (or `*`) that matched no container."""
    missing = []
    for name, image in images.items():
        found = False
        for field in ("containers", "initContainers", "ephemeralContainers"):
            for c in pod_spec.get(field) or ():
                if isinstance(c, dict) and (c.get("name") == name or name == "*"):
                    c["image"] = image
                    found = True
        if not found:
            missing.append(name)
    return missing


def _pod_spec(obj: dict, kind: str) -> dict | None:
    node = obj
    for part in POD_SPEC_PATH[kind]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node if isinstance(node, dict) else None


def _objects(ctx, args, resources: list[str]) -> list[tuple[ResourceType, str]]:
    out: list[tuple[ResourceType, str]] = []
    for _source, obj in load(args.filename) if args.filename else ():
        out.append((for_kind(obj["apiVersion"], obj["kind"]), obj["metadata"]["name"]))
    if resources:
        for rt, names in parse_targets(resources):
            if names:
                out += [(rt, n) for n in names]
            elif args.all or args.selector:
                resp = ctx.client().list(rt, ctx.namespace if rt.namespaced else None, label_selector=args.selector)
                if resp.error:
                    raise resp.error
                out += [(rt, o["metadata"]["name"]) for o in resp.obj["items"]]
            else:
                raise client_error("resource(s) were provided, but no name was specified")
    return out


def run_set_image(ctx, args) -> int:
    from reducers.patch import two_way_strategic_patch

    resources, images = split_args(args.args)
    if not resources and not args.filename:
        raise client_error("one or more resources must be specified as <resource> <name> or <resource>/<name>")
    if not images:
        raise client_error("at least one image update is required")
    if len(images) > 1 and "*" in images:
        raise client_error("all containers are already specified by *, but saw more than one container_name=container_image pairs")
    targets = _objects(ctx, args, resources)
    errors: list[StatusError] = []
    client = ctx.client()
    dry = args.dry_run != "none"
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(args.dry_run, "")
    for rt, name in targets:
        ns = ctx.namespace if rt.namespaced else ""
        got = client.get(rt, name, ns)
        if got.error:
            errors.append(got.error)
            continue
        original = got.obj
        modified = json.loads(json.dumps(original))
        if rt.kind not in POD_SPEC_PATH or _pod_spec(modified, rt.kind) is None:
            errors.append(client_error(f"{rt.plural}/{name} the object is not a pod or does not have a pod template: "
                                       f"*{rt.version}.{rt.kind}"))
            continue
        for missing in set_images(_pod_spec(modified, rt.kind), images):
            errors.append(client_error(f'unable to find container named "{missing}"'))
        if args.record:
            modified.setdefault("metadata", {}).setdefault("annotations", {})[CHANGE_CAUSE] = record_text(ctx)
        patch = two_way_strategic_patch(original, modified, rt.kind)
        if not patch:
            continue
        if args.dry_run == "client":
            _print(ctx, args, modified, rt, name, suffix)
            continue
        resp = client.request("patch", rt, ns, name, body=patch,
                              params={"patchType": "strategic", "fieldManager": FIELD_MANAGER}, dry_run=dry)
        if resp.error:
            errors.append(client_error(f"failed to patch image update to pod template: {resp.error.message}"))
            continue
        _print(ctx, args, resp.obj, rt, name, suffix)
    if not errors:
        return 0
    sys.stdout.flush()
    if len(errors) == 1:
        print(errors[0].kubectl_text(), file=ctx.err)
    else:
        for e in errors:
            print(e.message if e.details.get("client") else e.kubectl_text(), file=ctx.err)
    return 1


def _print(ctx, args, obj: dict, rt: ResourceType, name: str, suffix: str) -> None:
    if args.output in ("json", "yaml"):
        output.emit([obj], args.output, single=True, out=ctx.out)
    elif args.output == "name":
        ctx.out.write(output.ref(rt, name) + "\n")
    else:
        ctx.out.write(f"{output.ref(rt, name)} image updated{suffix}\n")


__all__ = ["register", "run_set_image", "set_images", "split_args"]
