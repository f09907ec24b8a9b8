"""create, apply, replace, get, describe, delete: kubectl's object verbs."""

from __future__ import annotations

import json
import sys

from engine.errors import StatusError
from engine.registry import ResourceType, for_kind, resolve
from log_tools import output
from log_tools.manifests import client_error, load

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
CHANGE_CAUSE = "kubernetes.io/change-cause"
ALL = ("pods", "services", "daemonsets", "deployments", "replicasets", "statefulsets", "jobs", "cronjobs",
       "horizontalpodautoscalers", "replicationcontrollers")


def register(subs, common) -> None:
    p = subs.add_parser("create", parents=[common], help="create objects from files, or a namespace/deployment",
                        description="Create objects. Example: ktape create -f fixtures/manifests/rc.yaml")
    p.add_argument("what", nargs="*", help="namespace NAME | deployment NAME --image=IMG")
    _file_flags(p)
    p.add_argument("--image", action="append", help="image for `create deployment` (repeatable)")
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--port", type=int)
    p.set_defaults(run=run_create)

    p = subs.add_parser("apply", parents=[common], help="create or update objects from files (client-side apply)",
                        description="Apply a configuration. Example: ktape apply -f fixtures/manifests/nginx-deploy.yaml")
    _file_flags(p)
    p.set_defaults(run=run_apply)

    p = subs.add_parser("replace", parents=[common], help="replace objects from files (update with their resourceVersion)",
                        description="Replace objects. Example: ktape get deploy web -o yaml > w.yaml && ktape replace -f w.yaml")
    _file_flags(p)
    p.set_defaults(run=run_replace)

    p = subs.add_parser("get", parents=[common], help="display objects",
                        description="Display objects. Example: ktape get pods --show-labels -l app=nginx")
    p.add_argument("resources", nargs="*", help="TYPE[,TYPE] [NAME...] or TYPE/NAME")
    p.add_argument("-o", "--output", choices=["json", "yaml", "wide", "name"], help="output format")
    p.add_argument("-l", "--selector", help="label selector (e.g. app=nginx,tier in (web))")
    p.add_argument("--field-selector", help="field selector (e.g. metadata.name=web)")
    p.add_argument("--show-labels", action="store_true", help="show labels as the last column")
    p.add_argument("-f", "--filename", action="append", help="get the objects a file names")
    p.set_defaults(run=run_get)

    p = subs.add_parser("describe", parents=[common], help="show details of objects",
                        description="Describe objects. Example: ktape describe deployment nginx-deploy")
    p.add_argument("resources", nargs="+", help="TYPE [NAME...] or TYPE/NAME")
    p.add_argument("-l", "--selector")
    p.set_defaults(run=run_describe)

    p = subs.add_parser("delete", parents=[common], help="delete objects by name, file, label or --all",
                        description="Delete objects. Example: ktape delete deployment nginx-deploy --cascade=foreground")
    p.add_argument("resources", nargs="*", help="TYPE NAME... or TYPE/NAME")
    p.add_argument("-f", "--filename", action="append")
    p.add_argument("-l", "--selector")
    p.add_argument("--all", action="store_true", help="delete every object of the type in the namespace")
    p.add_argument("--cascade", default="background", help="background (default), foreground or orphan")
    p.add_argument("--grace-period", type=int, default=-1,
                   help="seconds a pod gets to terminate (-1: its terminationGracePeriodSeconds)")
    p.add_argument("--now", action="store_true", help="a grace period of 1 second")
    p.add_argument("--force", action="store_true", help="with --grace-period=0, remove at once without waiting for the kubelet")
    p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
    p.add_argument("-o", "--output", choices=["name"])
    p.set_defaults(run=run_delete)


def _file_flags(p) -> None:
    p.add_argument("-f", "--filename", action="append", default=[], help="file, directory or - for stdin")
    p.add_argument("-o", "--output", choices=["json", "yaml", "name"])
    p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
    p.add_argument("--record", action="store_true", help="record the command in kubernetes.io/change-cause")
    p.add_argument("--validate", default="strict", help="strict (default): refuse unknown fields; warn; ignore (or false)")


# --- helpers --------------------------------------------------------------------------------------


def record_cause(obj: dict, ctx) -> dict:
    obj.setdefault("metadata", {}).setdefault("annotations", {})[CHANGE_CAUSE] = record_text(ctx)
    return obj


_LONG = {"-f": "--filename", "-n": "--namespace", "-o": "--output", "-l": "--selector", "-p": "--patch"}
_NOT_RECORDED = {"--data", "--debug", "--read-only", "--at"}


def record_text(ctx) -> str:
    """What kubectl writes for --record (`f.Command`): the program and the command's arguments,
    then every flag that was set as --name=value in name order, e.g.
    `kubectl set image deployment/web nginx=nginx:v2 --record=true`. ktape names itself."""
    words, flags = [], {}
    argv = list(ctx.argv)
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and len(a) > 1:
            name, eq, value = a.partition("=")
            name = _LONG.get(name, name)
            if not eq:
                nxt = argv[i + 1] if i + 1 < len(argv) else None
                if name in ("--record", "--overwrite", "--all", "--show-labels", "--dry-run") or nxt is None or nxt.startswith("-"):
                    value = "true" if name != "--dry-run" else "client"
                else:
                    value = nxt
                    i += 1
            if name not in _NOT_RECORDED:
                flags[name] = value
        else:
            words.append(a)
        i += 1
    return " ".join(["ktape", *words] + [f"{k}={v}" for k, v in sorted(flags.items())])


def namespace_for(ctx, rt: ResourceType, obj: dict) -> str:
    meta_ns = (obj.get("metadata") or {}).get("namespace")
    explicit = getattr(ctx.args, "namespace", None)
    if meta_ns and explicit and meta_ns != explicit and rt.namespaced:
        raise client_error(
            f"the namespace from the provided object \"{meta_ns}\" does not match the namespace \"{explicit}\". "
            "You must pass '--namespace=" + meta_ns + "' to perform this operation.")
    return (meta_ns or ctx.namespace) if rt.namespaced else ""


def server_error(e: StatusError, action: str, source: str) -> StatusError:
    """kubectl's wrapping for file-driven writes: `error when creating "f.yaml": <message>`."""
    if e.code == 401 or e.reason == "Invalid" or e.details.get("client"):
        return e
    return StatusError(e.code, e.reason, f'error when {action} "{source}": {e.message}', e.details)


_VALIDATE = {"strict": "Strict", "true": "Strict", "warn": "Warn", "ignore": "Ignore", "false": "Ignore"}


def field_validation(args) -> dict:
    """kubectl's --validate as the fieldValidation query parameter it sends."""
    mode = _VALIDATE.get(str(getattr(args, "validate", "strict")).lower())
    if mode is None:
        raise client_error(f'invalid - validate option "{args.validate}"; must be one of: strict (or true), warn, ignore (or false)')
    return {"fieldValidation": mode}


def print_warnings(resp) -> None:
    for w in resp.warnings:
        print(f"Warning: {w}", file=sys.stderr)


def _dry(args) -> tuple[bool, str]:
    mode = getattr(args, "dry_run", "none") or "none"
    return mode != "none", {"client": " (dry run)", "server": " (server dry run)"}.get(mode, "")


def _print_result(ctx, args, obj: dict, rt: ResourceType, verb: str, suffix: str) -> None:
    fmt = getattr(args, "output", None)
    if fmt in ("json", "yaml"):
        output.emit([obj], fmt, single=True, out=ctx.out)
    else:
        ctx.out.write(f"{output.ref(rt, obj['metadata'].get('name', ''))} {verb}{suffix}\n")


def _each_manifest(ctx, args):
    if not args.filename:
        raise client_error("must specify one of -f and -k")
    for source, obj in load(args.filename):
        rt = for_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
        yield source, obj, rt, namespace_for(ctx, rt, obj)


def _simulate_create(obj: dict, rt: ResourceType, ns: str) -> dict:
    """What kubectl prints for --dry-run=client: the object as it would be sent."""
    out = json.loads(json.dumps(obj))
    out.setdefault("metadata", {})
    if rt.namespaced and ns and "namespace" not in out["metadata"]:
        out["metadata"]["namespace"] = ns
    return out


# --- create / apply / replace ------------------------------------------------------------------


def run_create(ctx, args) -> int:
    if args.what:
        return _create_generator(ctx, args)
    dry, suffix = _dry(args)
    client = ctx.client()
    failed = 0
    for source, obj, rt, ns in _each_manifest(ctx, args):
        if args.record:
            record_cause(obj, ctx)
        if args.dry_run == "client":
            _print_result(ctx, args, _simulate_create(obj, rt, ns), rt, "created", suffix)
            continue
        resp = client.request("create", rt, ns, body=obj, dry_run=dry, params=field_validation(args))
        print_warnings(resp)
        if resp.error:
            print(server_error(resp.error, "creating", source).kubectl_text(), file=sys.stderr)
            failed += 1
            continue
        _print_result(ctx, args, resp.obj, rt, "created", suffix)
    return 1 if failed else 0


def deployment_manifest(name: str, images: list[str], replicas: int, port: int | None) -> dict:
    """`kubectl create deployment NAME --image=...`'s object, field for field."""
    containers = []
    for img in images:
        base = img.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
        c = {"image": img, "name": base, "resources": {}}
        if port is not None:
            c["ports"] = [{"containerPort": port}]
        containers.append(c)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"creationTimestamp": None, "labels": {"app": name}, "name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {},
            "template": {"metadata": {"creationTimestamp": None, "labels": {"app": name}},
                         "spec": {"containers": containers}},
        },
        "status": {},
    }


def _create_generator(ctx, args) -> int:
    kind, *rest = args.what
    dry, suffix = _dry(args)
    if kind in ("namespace", "ns"):
        if len(rest) != 1:
            raise client_error("exactly one NAME is required, got %d" % len(rest))
        obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"creationTimestamp": None, "name": rest[0]},
               "spec": {}, "status": {}}
    elif kind in ("deployment", "deploy"):
        if len(rest) != 1:
            raise client_error("exactly one NAME is required, got %d" % len(rest))
        if not args.image:
            raise client_error("required flag(s) \"image\" not set")
        obj = deployment_manifest(rest[0], args.image, args.replicas, args.port)
    else:
        raise client_error(f'unknown command "{kind}" for "ktape create"')
    rt = for_kind(obj["apiVersion"], obj["kind"])
    ns = ctx.namespace if rt.namespaced else ""
    if args.dry_run == "client":
        shown = obj if not rt.namespaced or getattr(ctx.args, "namespace", None) is None else {
            **obj, "metadata": {**obj["metadata"], "namespace": ns}}
        _print_result(ctx, args, shown, rt, "created", suffix)
        return 0
    resp = ctx.client().request("create", rt, ns, body=obj, dry_run=dry)
    if resp.error:
        raise resp.error
    _print_result(ctx, args, resp.obj, rt, "created", suffix)
    return 0


def last_applied_value(obj: dict) -> str:
    """The annotation value kubectl stores: the manifest as compact JSON with a trailing newline."""
    clean = json.loads(json.dumps(obj))
    ann = (clean.get("metadata") or {}).get("annotations") or {}
    ann.pop(LAST_APPLIED, None)
    if "annotations" in clean.get("metadata", {}) and not ann:
        del clean["metadata"]["annotations"]
    return json.dumps(clean, sort_keys=True, separators=(",", ":")) + "\n"


def run_apply(ctx, args) -> int:
    from reducers.patch import three_way_strategic_patch

    dry, suffix = _dry(args)
    client = ctx.client()
    failed = 0
    for source, obj, rt, ns in _each_manifest(ctx, args):
        if args.record:
            record_cause(obj, ctx)
        modified = json.loads(json.dumps(obj))
        modified.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = last_applied_value(obj)
        name = modified["metadata"].get("name")
        if not name:
            raise client_error(f'error when retrieving current configuration of "{source}": resource name may not be empty')
        live = client.request("get", rt, ns, name)
        if live.error and live.error.code != 404:
            raise live.error
        if live.error:  # not there yet: create it, carrying the annotation
            if args.dry_run == "client":
                _print_result(ctx, args, _simulate_create(modified, rt, ns), rt, "created", suffix)
                continue
            resp = client.request("create", rt, ns, body=modified, dry_run=dry, params=field_validation(args))
            print_warnings(resp)
            if resp.error:
                print(server_error(resp.error, "creating", source).kubectl_text(), file=sys.stderr)
                failed += 1
                continue
            _print_result(ctx, args, resp.obj, rt, "created", suffix)
            continue
        current = live.obj
        raw_last = ((current.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
        if raw_last is None:
            print(f"Warning: resource {rt.plural}/{name} is missing the {LAST_APPLIED} annotation which is "
                  "required by kubectl apply. kubectl apply should only be used on resources created declaratively "
                  "by either kubectl create --save-config or kubectl apply. The missing annotation will be patched "
                  "automatically.", file=sys.stderr)
        last = json.loads(raw_last) if raw_last else None
        patch = three_way_strategic_patch(last, modified, current, rt.kind)
        if not patch:
            _print_result(ctx, args, current, rt, "unchanged", "")
            continue
        if args.dry_run == "client":
            _print_result(ctx, args, current, rt, "configured", suffix)
            continue
        resp = client.request("patch", rt, ns, name, body=patch, dry_run=dry,
                              params={"patchType": "strategic", **field_validation(args)})
        print_warnings(resp)
        if resp.error:
            print(server_error(resp.error, "patching", source).kubectl_text(), file=sys.stderr)
            failed += 1
            continue
        _print_result(ctx, args, resp.obj, rt, "configured", suffix)
    return 1 if failed else 0


def run_replace(ctx, args) -> int:
    dry, suffix = _dry(args)
    client = ctx.client()
    for source, obj, rt, ns in _each_manifest(ctx, args):
        if args.record:
            record_cause(obj, ctx)
        name = (obj.get("metadata") or {}).get("name", "")
        resp = client.request("update", rt, ns, name, body=obj, dry_run=dry, params=field_validation(args))
        print_warnings(resp)
        if resp.error:
            raise server_error(resp.error, "replacing", source)
        _print_result(ctx, args, resp.obj, rt, "replaced", suffix)
    return 0


# --- get / describe ------------------------------------------------------------------------------


def parse_targets(tokens: list[str]) -> list[tuple[ResourceType, list[str]]]:
    """kubectl's resource arguments: `pods`, `pods a b`, `pod/a deploy/b`, `deploy,rs`, `all`."""
    if not tokens:
        raise client_error("You must specify the type of resource to get. Use \"ktape api-resources\" for a complete list of supported resources.")
    if all("/" in t for t in tokens):
        out: list[tuple[ResourceType, list[str]]] = []
        for t in tokens:
            kind, _, name = t.partition("/")
            if not name:
                raise client_error(f"arguments in resource/name form must have a single resource and name")
            out.append((resolve(kind), [name]))
        return out
    if any("/" in t for t in tokens):
        raise client_error("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'ktape get resource/<resource_name>' instead of 'ktape get resource resource/<resource_name>'")
    kinds, names = tokens[0], tokens[1:]
    types: list[ResourceType] = []
    for k in kinds.split(","):
        if k == "all":
            types += [resolve(a) for a in ALL]
        elif k:
            types.append(resolve(k))
    return [(t, list(names)) for t in types]  # `get deploy,svc web`: each type, each name (as kubectl)


def fetch(ctx, args, rt: ResourceType, names: list[str], at: int | None, errors: list[StatusError]) -> list[dict]:
    client = ctx.client()
    ns = ctx.namespace
    if names:
        objs = []
        for n in names:
            resp = client.get(rt, n, ns, at=at)
            if resp.error:
                errors.append(resp.error)
            else:
                objs.append(resp.obj)
        return objs
    list_ns = None if (ctx.all_namespaces or not rt.namespaced) else ns
    resp = client.list(rt, list_ns, label_selector=getattr(args, "selector", None),
                       field_selector=getattr(args, "field_selector", None), at=at)
    if resp.error:
        raise resp.error
    return resp.obj["items"]


def run_get(ctx, args) -> int:
    from log_tools.printers import table

    at = ctx.at_seq()
    targets = _targets_from_files(args) if args.filename else parse_targets(args.resources)
    errors: list[StatusError] = []
    fmt = args.output
    collected: list[tuple[ResourceType, list[dict]]] = []
    for rt, names in targets:
        collected.append((rt, fetch(ctx, args, rt, names, at, errors)))
    named = all(names for _rt, names in targets)
    if fmt in ("json", "yaml", "name"):
        objs = [o for _rt, os_ in collected for o in os_]
        if objs or fmt != "name":
            if objs or not errors:
                output.emit(objs, fmt, single=named and len(targets) == 1 and len(objs) == 1 and len(targets[0][1]) == 1, out=ctx.out)
    else:
        now = ctx.now_unix(at)
        multi = len([1 for _rt, objs in collected if objs]) > 1
        first = True
        for rt, objs in collected:
            if not objs:
                continue
            if not first:
                ctx.out.write("\n")
            first = False
            headers = table.columns(rt, wide=fmt == "wide", show_labels=args.show_labels, all_namespaces=ctx.all_namespaces)
            rows = table.rows(rt, objs, now, wide=fmt == "wide", show_labels=args.show_labels,
                              all_namespaces=ctx.all_namespaces)
            if multi:
                ni = 1 if ctx.all_namespaces and rt.namespaced else 0
                for r in rows:
                    r[ni] = output.ref(rt, r[ni])
            ctx.out.write(table.render(headers, rows))
        if not any(objs for _rt, objs in collected) and not errors:
            where = "" if (ctx.all_namespaces or not any(rt.namespaced for rt, _ in collected)) else f" in {ctx.namespace} namespace"
            print(f"No resources found{where}.", file=sys.stderr)
    for e in errors:
        print(e.kubectl_text(), file=sys.stderr)
    return 1 if errors else 0


def _targets_from_files(args) -> list[tuple[ResourceType, list[str]]]:
    out = []
    for _source, obj in load(args.filename):
        out.append((for_kind(obj["apiVersion"], obj["kind"]), [obj["metadata"]["name"]]))
    return out


def run_describe(ctx, args) -> int:
    from log_tools.printers.describe import describe

    at = ctx.at_seq()
    targets = parse_targets(args.resources)
    errors: list[StatusError] = []
    first = True
    for rt, names in targets:
        objs = fetch(ctx, args, rt, names, at, errors)
        for obj in objs:
            if not first:
                ctx.out.write("\n\n")
            first = False
            events = _events_for(ctx, obj, at)
            ctx.out.write(describe(rt, obj, events, ctx.now_unix(at), _related(ctx, rt, obj, at)).rstrip("\n") + "\n")
    for e in errors:
        print(e.kubectl_text(), file=sys.stderr)
    return 1 if errors else 0


def _events_for(ctx, obj: dict, at: int | None) -> list[dict]:
    meta = obj.get("metadata", {})
    resp = ctx.client().list("events", meta.get("namespace") or "default", at=at)
    if resp.error:
        return []
    uid = meta.get("uid")
    return [e for e in resp.obj["items"] if (e.get("involvedObject") or {}).get("uid") == uid]


_POD_OWNERS = frozenset({"ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet", "Job"})


def _related(ctx, rt: ResourceType, obj: dict, at: int | None) -> dict:
    """What kubectl describe shows beside the object: a Deployment's new and old ReplicaSets, a
    workload's pods (for `Pods Status:`)."""
    if rt.kind in _POD_OWNERS:
        resp = ctx.client().list("pods", obj["metadata"].get("namespace"), at=at)
        return {} if resp.error else {"pods": resp.obj["items"]}
    if rt.kind == "Service":  # kubectl lists the Service's EndpointSlices by their service-name label
        resp = ctx.client().list("endpointslices.discovery.k8s.io", obj["metadata"].get("namespace"), at=at,
                                 label_selector=f"kubernetes.io/service-name={obj['metadata']['name']}")
        return {} if resp.error else {"endpointslices": resp.obj["items"]}
    if rt.kind != "Deployment":
        return {}
    meta = obj["metadata"]
    resp = ctx.client().list("replicasets", meta.get("namespace"), at=at)
    if resp.error:
        return {}
    owned = [rs for rs in resp.obj["items"] if any(r.get("uid") == meta.get("uid") for r in rs["metadata"].get("ownerReferences") or ())]
    rev = (meta.get("annotations") or {}).get("deployment.kubernetes.io/revision")
    new = next((rs for rs in owned if (rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision") == rev), None)
    old = [rs for rs in owned if rs is not new and (rs.get("spec") or {}).get("replicas", 0) > 0]
    return {"new_replicaset": new, "old_replicasets": old}


# --- delete --------------------------------------------------------------------------------------

_CASCADE = {"background": "Background", "true": "Background", "foreground": "Foreground", "orphan": "Orphan", "false": "Orphan"}


def run_delete(ctx, args) -> int:
    propagation = _CASCADE.get(args.cascade.lower())
    if propagation is None:
        raise client_error(f'invalid cascade value ({args.cascade}). Must be "background", "foreground", or "orphan".')
    grace = _grace_period(args)
    dry, suffix = _dry(args)
    client = ctx.client()
    victims: list[tuple[ResourceType, str, str]] = []
    if args.filename:
        for _source, obj in load(args.filename):
            rt = for_kind(obj["apiVersion"], obj["kind"])
            victims.append((rt, namespace_for(ctx, rt, obj), obj["metadata"]["name"]))
    else:
        for rt, names in parse_targets(args.resources):
            if names:
                victims += [(rt, ctx.namespace if rt.namespaced else "", n) for n in names]
            elif args.all or args.selector:
                for o in fetch(ctx, args, rt, [], None, []):
                    victims.append((rt, o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            else:
                raise client_error("resource(s) were provided, but no name was specified")
    if not victims and (args.all or args.selector):
        print("No resources found", file=sys.stderr)
        return 0
    errors = 0
    for rt, ns, name in victims:
        if args.dry_run == "client":
            got = client.get(rt, name, ns)
            if got.error:
                print(got.error.kubectl_text(), file=sys.stderr)
                errors += 1
                continue
        else:
            resp = client.delete(rt, name, ns, propagation=propagation, dry_run=dry, grace_period=grace)
            if resp.error:
                print(resp.error.kubectl_text(), file=sys.stderr)
                errors += 1
                continue
        if args.output == "name":
            ctx.out.write(output.ref(rt, name) + "\n")
        else:
            ctx.out.write(f"{output.quoted_ref(rt, name)} {'force deleted' if args.force and grace == 0 else 'deleted'}{suffix}\n")
    return 1 if errors else 0


def _grace_period(args) -> int | None:
    """kubectl delete's flag rules (delete.go Complete): --now is 1 s; --grace-period=0 without
    --force becomes 1 (no accidental immediate deletion); --force alone means 0."""
    grace = args.grace_period
    if args.now:
        if grace != -1:
            raise client_error("--now and --grace-period cannot be specified together")
        grace = 1
    if grace == 0 and not args.force:
        grace = 1
    if args.force and grace < 0:
        grace = 0
    if args.force and grace == 0:
        print("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. "
              "The resource may continue to run on the cluster indefinitely.", file=sys.stderr)
    return None if grace < 0 else grace
