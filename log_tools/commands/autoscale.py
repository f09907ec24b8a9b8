"""`ktape autoscale` (kubectl autoscale) and `ktape metrics set|clear|show` (recorded pod usage).

`autoscale` follows kubectl's `pkg/cmd/autoscale`: it reads the target (a recorded `get`), refuses
kinds without a scale subresource, and creates a HorizontalPodAutoscaler named after the target
(or `--name`) with `scaleTargetRef` from the target's mapping, `maxReplicas`, `minReplicas` only
when `--min` > 0 and a cpu target only when `--cpu-percent` >= 0 (else the API server's default
of 80% applies). kubectl 1.32 posts that object as autoscaling/v1 (`targetCPUUtilizationPercentage`)
and the API server stores it as autoscaling/v2; this command posts the v2 object the server would
store (what kubectl >= 1.33 posts), so the stored HPA is the same either way. Output:
`horizontalpodautoscaler.autoscaling/web autoscaled`.

`metrics` writes the usage the simulated metrics APIs report (engine/controllers/hpa/metrics.py):
`metrics.kubetape.io/<resource>.<container>` annotations on Pods, patched by whoever runs it, so
the log shows who set which load when. A workload target (`deploy/web`, `rs/x`, ...) fans out to
the pods its selector picks at that moment; pods created later have no usage until set (the HPA
counts them as missing metrics, as upstream does for pods metrics-server has not scraped yet).
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction

from engine.controllers.hpa import metrics as sim
from engine.model.quantity import BINARY_SI, DECIMAL_SI, format_quantity, parse_quantity
from engine.model.selectors import parse_label_selector
from engine.registry import ResourceType
from log_tools import output
from log_tools.commands.objects import CHANGE_CAUSE, LAST_APPLIED, last_applied_value, parse_targets, record_text
from log_tools.manifests import client_error, load
from reducers.storage import to_scale

FIELD_MANAGER = "kubectl-autoscale"


def register(subs, common) -> None:
    p = subs.add_parser(
        "autoscale", parents=[common], help="auto-scale a deployment, replica set, stateful set, or replication controller",
        description="Creates an autoscaler that automatically chooses and sets the number of pods that run in the cluster. "
                    "Example: ktape autoscale deployment web --min=2 --max=5 --cpu-percent=80")
    p.add_argument("targets", nargs="*", metavar="TYPE NAME | TYPE/NAME")
    p.add_argument("-f", "--filename", action="append", default=[], help="file identifying the resource to autoscale")
    p.add_argument("--min", type=int, default=-1, help="the lower limit for the number of pods (default: the server's, 1)")
    p.add_argument("--max", type=int, default=None, help="the upper limit for the number of pods. Required.")
    p.add_argument("--cpu-percent", type=int, default=-1, help="target average CPU utilization (percent of request) over all the pods")
    p.add_argument("--name", default="", help="the name for the new object (default: the name of the input resource)")
    p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
    p.add_argument("-o", "--output", choices=["json", "yaml", "name"])
    p.add_argument("--record", action="store_true", help="record the command in kubernetes.io/change-cause")
    p.add_argument("--save-config", action="store_true", help="store the object in the last-applied-configuration annotation")
    p.set_defaults(run=run_autoscale)

    m = subs.add_parser("metrics", parents=[common], help="record the resource usage the metrics APIs report (for HPAs)",
                        description="Record simulated usage for pods. Example: ktape metrics set deploy/web --cpu 90%%   or   "
                                    "ktape metrics set pod/web-abc --cpu 300m --memory 100Mi")
    m.set_defaults(run=lambda ctx, args: (m.print_help(), 2)[1])
    msubs = m.add_subparsers(dest="metrics_command", metavar="ACTION", parser_class=type(m))

    s = msubs.add_parser("set", parents=[common], help="set the usage of a pod, or of every pod of a workload",
                         description="Set usage: a quantity (300m, 100Mi) or a percentage of the request (90%%). "
                                     "Example: ktape metrics set deploy/web --cpu 120%%")
    s.add_argument("targets", nargs="+", metavar="TYPE/NAME | TYPE NAME")
    s.add_argument("--cpu", help="cpu usage: a quantity (300m) or a percentage of the cpu request (90%%)")
    s.add_argument("--memory", help="memory usage: a quantity (100Mi) or a percentage of the memory request")
    s.add_argument("-c", "--container", help="only this container (default: every container; a quantity is split evenly)")
    s.add_argument("--metric", action="append", default=[], metavar="NAME=QUANTITY",
                   help="a Pods metric (custom.metrics.k8s.io) on each pod, e.g. packets-per-second=10 (repeatable)")
    s.add_argument("--object-metric", action="append", default=[], metavar="NAME=QUANTITY",
                   help="an Object metric on the target object itself, e.g. requests-per-second=2k (repeatable)")
    s.set_defaults(run=run_metrics_set)

    c = msubs.add_parser("clear", parents=[common], help="remove recorded usage",
                         description="Remove the recorded usage of a pod or of every pod of a workload. Example: ktape metrics clear deploy/web")
    c.add_argument("targets", nargs="+", metavar="TYPE/NAME | TYPE NAME")
    c.set_defaults(run=run_metrics_clear)

    t = msubs.add_parser("show", parents=[common], help="usage as the resource metrics API reports it (like kubectl top pod)",
                         description="Show recorded pod usage, as `kubectl top pod` prints it. Example: ktape metrics show deploy/web")
    t.add_argument("targets", nargs="*", metavar="TYPE/NAME | TYPE NAME")
    t.set_defaults(run=run_metrics_show)


# --- autoscale -------------------------------------------------------------------------------------


def hpa_manifest(name: str, target: ResourceType, target_name: str, max_replicas: int, min_replicas: int = -1,
                 cpu_percent: int = -1) -> dict:
    """The HorizontalPodAutoscaler `kubectl autoscale` builds (`createHorizontalPodAutoscaler`), in v2 form."""
    spec: dict = {"scaleTargetRef": {"apiVersion": target.api_version, "kind": target.kind, "name": target_name}}
    if min_replicas > 0:
        spec["minReplicas"] = min_replicas
    spec["maxReplicas"] = max_replicas
    if cpu_percent >= 0:
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": cpu_percent}}}]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"creationTimestamp": None, "name": name}, "spec": spec,
            "status": {"currentMetrics": None, "desiredReplicas": 0}}


def _gvr(rt: ResourceType) -> str:
    """`schema.GroupVersionResource.String()`: `apps/v1, Resource=deployments`."""
    return f"{rt.group}/{rt.version}, Resource={rt.plural}"


def _targets(ctx, args) -> list[tuple[ResourceType, str, str]]:
    """(type, name, namespace) for each object named by arguments or files."""
    out: list[tuple[ResourceType, str, str]] = []
    if args.filename:
        from engine.registry import for_kind

        for _source, obj in load(args.filename):
            rt = for_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
            meta = obj.get("metadata") or {}
            out.append((rt, meta.get("name", ""), meta.get("namespace") or ctx.namespace))
    elif args.targets:
        for rt, names in parse_targets(list(args.targets)):
            if not names:
                raise client_error("resource(s) were provided, but no name was specified")
            out += [(rt, n, ctx.namespace) for n in names]
    if not out:
        raise client_error("You must provide one or more resources by argument or filename.\n"
                           "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                           "   '<resource> <name>'\n   '<resource>'")
    return out


def run_autoscale(ctx, args) -> int:
    if args.max is None:
        raise client_error('required flag(s) "max" not set')
    if args.max < 1:
        raise client_error(f"--max=MAXPODS is required and must be at least 1, max: {args.max}")
    if args.max < args.min:
        raise client_error(f"--max=MAXPODS must be larger or equal to --min=MINPODS, max: {args.max}, min: {args.min}")
    from engine.registry import resolve

    hpa_rt = resolve("horizontalpodautoscalers")
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(args.dry_run, "")
    client = ctx.client()
    count = 0
    for rt, name, ns in _targets(ctx, args):
        resp = client.get(rt, name, ns)
        if resp.error:
            raise resp.error
        if "scale" not in rt.subresources:
            raise client_error(f"cannot autoscale a {rt.kind}: could not find scale subresource for {_gvr(rt)} in discovery information")
        hpa = hpa_manifest(args.name or name, rt, name, args.max, args.min, args.cpu_percent)
        if args.record:
            hpa["metadata"].setdefault("annotations", {})[CHANGE_CAUSE] = record_text(ctx)
        if args.dry_run == "client":
            count += 1
            _print(ctx, args, hpa, hpa_rt, "created", suffix)
            continue
        if args.save_config:
            hpa["metadata"].setdefault("annotations", {})[LAST_APPLIED] = last_applied_value(hpa)
        resp = client.request("create", hpa_rt, ns, body=hpa, dry_run=args.dry_run == "server",
                              params={"fieldManager": FIELD_MANAGER})
        if resp.error:
            raise resp.error
        count += 1
        _print(ctx, args, resp.obj, hpa_rt, "autoscaled", suffix)
    if count == 0:
        raise client_error("no objects passed to autoscale")
    return 0


def _print(ctx, args, obj: dict, rt: ResourceType, verb: str, suffix: str) -> None:
    if args.output in ("json", "yaml", "name"):
        output.emit([obj], args.output, single=True, out=ctx.out)
    else:
        ctx.out.write(f"{output.ref(rt, obj['metadata']['name'])} {verb}{suffix}\n")


# --- metrics ----------------------------------------------------------------------------------------


def _pods_of(ctx, rt: ResourceType, name: str) -> tuple[dict, list[dict]]:
    """The object and the pods it stands for: itself for a Pod; the pods its selector picks otherwise."""
    client = ctx.client()
    ns = ctx.namespace
    resp = client.get(rt, name, ns)
    if resp.error:
        raise resp.error
    obj = resp.obj
    if rt.kind == "Pod":
        return obj, [obj]
    if "scale" not in rt.subresources and not (obj.get("spec") or {}).get("selector"):
        return obj, []
    selector_text = to_scale(obj)["status"]["selector"] if "scale" in rt.subresources else None
    if selector_text is None:
        from engine.model.selectors import selector_from_label_selector

        selector = selector_from_label_selector((obj.get("spec") or {}).get("selector"))
    else:
        selector = parse_label_selector(selector_text)
    listed = client.list("pods", ns)
    if listed.error:
        raise listed.error
    pods = [p for p in listed.obj["items"] if selector.matches(p["metadata"].get("labels") or {})
            and not p["metadata"].get("deletionTimestamp") and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    return obj, sorted(pods, key=lambda p: p["metadata"]["name"])


def _resolve_targets(ctx, tokens: list[str]) -> list[tuple[ResourceType, str]]:
    out = []
    for rt, names in parse_targets(list(tokens)):
        if not names:
            raise client_error("resource(s) were provided, but no name was specified")
        out += [(rt, n) for n in names]
    return out


def _parse_amount(text: str, resource: str) -> tuple[str, Fraction]:
    """("percent", p) or ("quantity", value)."""
    t = text.strip()
    if t.endswith("%"):
        try:
            pct = Fraction(t[:-1])
        except (ValueError, ZeroDivisionError):
            raise client_error(f"invalid --{resource} {text!r}: expected a quantity (300m, 100Mi) or a percentage (90%)") from None
        if pct < 0:
            raise client_error(f"invalid --{resource} {text!r}: usage cannot be negative")
        return "percent", pct
    try:
        q = Fraction(parse_quantity(t))
    except (ValueError, TypeError) as e:
        raise client_error(f"invalid --{resource} {text!r}: {e}") from None
    if q < 0:
        raise client_error(f"invalid --{resource} {text!r}: usage cannot be negative")
    return "quantity", q


def _format(resource: str, value: Fraction) -> str:
    if resource == "cpu":
        milli = math.floor(value * 1000 + Fraction(1, 2))
        return format_quantity(Fraction(milli, 1000), DECIMAL_SI)
    whole = math.floor(value + Fraction(1, 2))
    return format_quantity(whole, BINARY_SI)


def _usage_changes(pod: dict, resource: str, amount: tuple[str, Fraction], container: str | None) -> dict[str, str]:
    containers = [c for c in (pod.get("spec") or {}).get("containers") or ()]
    names = [c.get("name", "") for c in containers]
    pod_name = pod["metadata"]["name"]
    if container is not None and container not in names:
        raise client_error(f"container {container} is not valid for pod {pod_name}")
    chosen = [c for c in containers if container is None or c.get("name") == container]
    kind, value = amount
    out: dict[str, str] = {}
    if kind == "percent":
        for c in chosen:
            req = ((c.get("resources") or {}).get("requests") or {}).get(resource)
            if req is None:
                raise client_error(f"container {c.get('name', '')} of pod {pod_name} has no {resource} request: "
                                   f"give --{resource} as a quantity, not a percentage")
            out[sim.usage_key(resource, c.get("name", ""))] = _format(resource, Fraction(parse_quantity(req)) * value / 100)
        return out
    share = value / len(chosen) if chosen else Fraction(0)
    for c in chosen:
        out[sim.usage_key(resource, c.get("name", ""))] = _format(resource, share)
    return out


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        k, eq, v = item.partition("=")
        if not eq or not k:
            raise client_error(f"invalid {flag} {item!r}: expected NAME=QUANTITY")
        try:
            parse_quantity(v)
        except ValueError as e:
            raise client_error(f"invalid {flag} {item!r}: {e}") from None
        out[k] = v
    return out


def _patch(ctx, rt: ResourceType, name: str, changes: dict) -> None:
    resp = ctx.client().patch(rt, name, {"metadata": {"annotations": changes}}, ctx.namespace, "merge")
    if resp.error:
        raise resp.error


def _describe(changes: dict) -> str:
    parts = []
    for k in sorted(changes):
        short = k[len(sim.PREFIX):]
        parts.append(f"{short}={changes[k]}" if changes[k] is not None else f"{short} removed")
    return ", ".join(parts)


def run_metrics_set(ctx, args) -> int:
    amounts = {}
    for res in ("cpu", "memory"):
        raw = getattr(args, res)
        if raw is not None:
            amounts[res] = _parse_amount(raw, res)
    pod_metrics = _pairs(args.metric, "--metric")
    object_metrics = _pairs(args.object_metric, "--object-metric")
    if not amounts and not pod_metrics and not object_metrics:
        raise client_error("nothing to set: give --cpu, --memory, --metric or --object-metric")
    for rt, name in _resolve_targets(ctx, args.targets):
        obj, pods = _pods_of(ctx, rt, name)
        if (amounts or pod_metrics) and not pods:
            raise client_error(f"{output.ref(rt, name)} selects no running pods")
        planned = []
        for pod in pods:
            changes: dict[str, str] = {}
            for res, amount in amounts.items():
                changes.update(_usage_changes(pod, res, amount, args.container))
            changes.update({sim.custom_key(k): v for k, v in pod_metrics.items()})
            if changes:
                planned.append((pod["metadata"]["name"], changes))
        for pod_name, changes in planned:
            _patch(ctx, _pod_type(), pod_name, changes)
            ctx.out.write(f"pod/{pod_name} metrics set: {_describe(changes)}\n")
        if object_metrics:
            changes = {sim.custom_key(k): v for k, v in object_metrics.items()}
            _patch(ctx, rt, name, changes)
            ctx.out.write(f"{output.ref(rt, name)} metrics set: {_describe(changes)}\n")
    return 0


def _pod_type() -> ResourceType:
    from engine.registry import resolve

    return resolve("pods")


def run_metrics_clear(ctx, args) -> int:
    for rt, name in _resolve_targets(ctx, args.targets):
        obj, pods = _pods_of(ctx, rt, name)
        subjects = [(_pod_type(), p) for p in pods] + ([] if rt.kind == "Pod" else [(rt, obj)])
        for srt, o in subjects:
            ann = o["metadata"].get("annotations") or {}
            changes = {k: None for k in sorted(ann) if k.startswith(sim.PREFIX)}
            if changes:
                _patch(ctx, srt, o["metadata"]["name"], changes)
            ctx.out.write(f"{output.ref(srt, o['metadata']['name'])} metrics cleared\n")
    return 0


def run_metrics_show(ctx, args) -> int:
    if args.targets:
        pods = []
        for rt, name in _resolve_targets(ctx, args.targets):
            pods += _pods_of(ctx, rt, name)[1]
    else:
        listed = ctx.client().list("pods", ctx.namespace)
        if listed.error:
            raise listed.error
        pods = listed.obj["items"]
    rows = []
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        usage = sim.container_usage(pod)
        if usage is None:
            continue
        cpu = sum(u.get("cpu", 0) for u in usage.values())
        mem_milli = sum(u.get("memory", 0) for u in usage.values())
        rows.append((pod["metadata"]["name"], f"{cpu}m", f"{mem_milli // 1000 // (1024 * 1024)}Mi"))
    if not rows:
        print("error: Metrics not available for pod(s) in the namespace" if not args.targets else
              "error: Metrics not available for the selected pod(s)", file=sys.stderr)
        return 1
    header = ("NAME", "CPU(cores)", "MEMORY(bytes)")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(3)]
    for r in [header] + rows:
        ctx.out.write("   ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() + "\n")
    return 0


__all__ = ["register", "hpa_manifest", "run_autoscale", "run_metrics_set", "run_metrics_clear", "run_metrics_show"]
