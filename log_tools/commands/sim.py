"""`ktape run` (kubectl run, field for field) and `ktape sim`: faults and nodes for the simulation.

Faults are recorded as `sim.kubetape.io/` annotations on the Pod or Node, patched by whoever runs
the command (so `ktape log --user` shows who injected what, and when); the simulated kubelet and
node controller act on them (see `engine/kubelet_sim/faults.py` for why annotations). Nodes are
added the way bootstrap registers them: the node's kubelet creates the Node and posts its status.
"""

from __future__ import annotations

import re

from engine.clock import rfc3339_micro
from engine.kubelet_sim import faults
from log_tools import output
from log_tools.manifests import client_error

RESTART_POLICIES = ("Always", "OnFailure", "Never")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")

# distribution/reference's ReferenceRegexp (domain, path components, tag, digest).
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?"
REFERENCE = re.compile(rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?"
                       r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,})?$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


class _RunArgs:
    """Parsing for `run`: words before `--` may mix with flags, everything after `--` is the
    container's command line (argparse alone would refuse positionals split around flags)."""

    def parse_known_args(self, args=None, namespace=None):
        args = list(args or [])
        tail: list[str] | None = None
        if "--" in args:
            i = args.index("--")
            args, tail = args[:i], args[i + 1:]
        ns, extras = super().parse_known_args(args, namespace)  # type: ignore[misc]
        for x in extras:
            if x.startswith("-"):
                self.error(f"unknown flag: {x}")  # type: ignore[attr-defined]
        before = list(ns.words or []) + extras
        ns.words = before + (tail or [])
        ns.args_len_at_dash = None if tail is None else len(before)  # cobra's ArgsLenAtDash
        return ns, []


def register(subs, common) -> None:
    p = subs.add_parser(
        "run", parents=[common], help="create and run a particular image in a pod",
        description="Create and run a particular image in a pod, as kubectl run does. "
                    "Example: ktape run nginx --image=nginx   or   ktape run hello --image=busybox --restart=Never -- echo hi")
    p.__class__ = type("RunParser", (_RunArgs, type(p)), {})
    p.add_argument("words", nargs="*", metavar="NAME [-- COMMAND] [args...]")
    p.add_argument("--image", help="the image for the container to run")
    p.add_argument("--restart", help="the restart policy for this Pod: Always (default), OnFailure, Never")
    p.add_argument("--command", dest="use_command", action="store_true", help="use the extra arguments as the container's command, not its args")
    p.add_argument("-l", "--labels", help="comma separated labels to apply to the pod (default run=NAME)")
    p.add_argument("--env", action="append", default=[], help="environment variable KEY=VALUE (repeatable)")
    p.add_argument("--port", help="the port that this container exposes")
    p.add_argument("--image-pull-policy", help="Always, IfNotPresent or Never")
    p.add_argument("--annotations", action="append", default=[], help="annotation KEY=VALUE (repeatable)")
    p.add_argument("--privileged", action="store_true", help="run the container in privileged mode")
    p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
    p.add_argument("-o", "--output", choices=["json", "yaml", "name"])
    p.set_defaults(run=run_run)

    sim = subs.add_parser("sim", parents=[common], help="simulate faults and nodes (exit, unready, node-down, add-node ...)",
                          description="Inject faults into the simulated nodes and containers. Example: ktape sim exit web --code 1")
    sim.set_defaults(run=lambda ctx, args: (sim.print_help(), 2)[1])
    actions = sim.add_subparsers(dest="sim_command", metavar="ACTION", parser_class=type(sim))

    a = actions.add_parser("exit", parents=[common], help="a container exits now with the given code",
                           description="Make a running container exit. Example: ktape sim exit web --code 137 -c nginx")
    a.add_argument("pod")
    a.add_argument("--code", type=int, required=True, help="the exit code")
    a.add_argument("-c", "--container", help="the container (default: the pod's first container)")
    a.set_defaults(run=run_exit)

    for verb, helptext in (("unready", "the pod's readiness check starts failing"), ("ready", "the pod's readiness check passes again")):
        a = actions.add_parser(verb, parents=[common], help=helptext, description=f"{helptext}. Example: ktape sim {verb} web")
        a.add_argument("pod")
        a.set_defaults(run=run_readiness, verb=verb)

    for verb, helptext in (("node-down", "the node's kubelet stops: its pods stop progressing, the node goes NotReady"),
                           ("node-up", "the node's kubelet comes back and posts Ready")):
        a = actions.add_parser(verb, parents=[common], help=helptext, description=f"{helptext}. Example: ktape sim {verb} node1")
        a.add_argument("node")
        a.set_defaults(run=run_node_state, verb=verb)

    a = actions.add_parser("memory-pressure", parents=[common], help="the node's kubelet sees memory pressure and evicts a pod",
                           description="Signal memory pressure on a node: its kubelet reports MemoryPressure and evicts one pod "
                                       "in upstream's order (each signal one more); --off clears it. "
                                       "Example: ktape sim memory-pressure node1   or   ktape sim memory-pressure node1 --off")
    a.add_argument("node")
    a.add_argument("--available", default="50Mi", help="memory.available the kubelet observes (default 50Mi, below the 100Mi threshold)")
    a.add_argument("--off", action="store_true", help="the pressure is gone")
    a.set_defaults(run=run_memory_pressure)

    a = actions.add_parser("remove-node", parents=[common], help="delete a Node", description="Delete a Node. Example: ktape sim remove-node node2")
    a.add_argument("node")
    a.set_defaults(run=run_remove_node)

    a = actions.add_parser("add-node", parents=[common], help="register a new node with its kubelet",
                           description="Register a node as its kubelet would. Example: ktape sim add-node node3 --cpu 8 --label disk=ssd")
    a.add_argument("node")
    a.add_argument("--cpu", default="4", help="cpu capacity (default 4)")
    a.add_argument("--memory", default="8Gi", help="memory capacity (default 8Gi)")
    a.add_argument("--pods", default="110", help="pod capacity (default 110)")
    a.add_argument("--label", action="append", default=[], help="node label KEY=VALUE (repeatable)")
    a.add_argument("--taint", action="append", default=[], help="taint KEY[=VALUE]:EFFECT (repeatable)")
    a.set_defaults(run=run_add_node)


# --- ktape run -----------------------------------------------------------------------------------


def _pairs(text: str, what: str) -> dict[str, str]:
    out = {}
    for item in text.split(","):
        k, eq, v = item.partition("=")
        if not eq or not k:
            raise client_error(f"invalid {what} spec: {item}")
        out[k] = v
    return out


def pod_manifest(name: str, image: str, *, restart: str = "Always", command: bool = False, args: list[str] | None = None,
                 labels: dict | None = None, env: list[str] | None = None, port: str | None = None,
                 pull_policy: str | None = None, annotations: dict | None = None, privileged: bool = False) -> dict:
    """The Pod `kubectl run` sends (its BasicPod generator)."""
    container: dict = {"image": image, "name": name, "resources": {}}
    if args:
        container["command" if command else "args"] = list(args)
    if env:
        envs = []
        for e in env:
            k, eq, v = e.partition("=")
            if not eq or not k or not _ENV_NAME.match(k):
                raise client_error(f"invalid env: {e}")
            envs.append({"name": k, "value": v})
        container["env"] = envs
    if pull_policy:
        container["imagePullPolicy"] = pull_policy
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise client_error(f'invalid port: "{port}"')
        container["ports"] = [{"containerPort": int(port)}]
    if privileged:
        container["securityContext"] = {"privileged": True}
    meta: dict = {"creationTimestamp": None, "labels": labels or {"run": name}, "name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [container], "dnsPolicy": "ClusterFirst", "restartPolicy": restart}, "status": {}}


def run_run(ctx, args) -> int:
    from engine.registry import resolve

    words = list(args.words)
    at_dash = args.args_len_at_dash
    if not words or at_dash == 0:
        raise client_error("NAME is required for run")
    if not args.image:
        raise client_error('required flag(s) "image" not set')
    if not REFERENCE.match(args.image):
        raise client_error(f'Invalid image name "{args.image}": invalid reference format')
    restart = args.restart or "Always"
    if restart not in RESTART_POLICIES:
        raise client_error(f"invalid restart policy: {restart}")
    if args.image_pull_policy and args.image_pull_policy not in PULL_POLICIES:
        raise client_error(f"invalid image pull policy: {args.image_pull_policy}")
    name = words[0]
    obj = pod_manifest(
        name, args.image, restart=restart, command=args.use_command, args=words[1:],
        labels=_pairs(args.labels, "label") if args.labels else None, env=args.env, port=args.port,
        pull_policy=args.image_pull_policy,
        annotations={k: v for a in args.annotations for k, v in _pairs(a, "annotation").items()} or None,
        privileged=args.privileged)
    rt = resolve("pods")
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(args.dry_run, "")
    if args.dry_run == "client":
        shown = obj if getattr(ctx.args, "namespace", None) is None else {
            **obj, "metadata": {**obj["metadata"], "namespace": ctx.namespace}}
        _print(ctx, args, shown, suffix)
        return 0
    resp = ctx.client().request("create", rt, ctx.namespace, body=obj, dry_run=args.dry_run == "server",
                                params={"fieldManager": "kubectl-run"})
    if resp.error:
        raise resp.error
    _print(ctx, args, resp.obj, suffix)
    return 0


def _print(ctx, args, obj: dict, suffix: str) -> None:
    if args.output in ("json", "yaml", "name"):
        output.emit([obj], args.output, single=True, out=ctx.out)
    else:
        ctx.out.write(f"pod/{obj['metadata']['name']} created{suffix}\n")


# --- ktape sim -----------------------------------------------------------------------------------


def _now(ctx) -> str:
    return rfc3339_micro(ctx.cluster().head().at)


def _get(ctx, resource: str, name: str, namespace: str = "") -> dict:
    resp = ctx.client().get(resource, name, namespace)
    if resp.error:
        raise resp.error
    return resp.obj


def _annotate(ctx, resource: str, name: str, namespace: str, changes: dict) -> dict:
    resp = ctx.client().patch(resource, name, {"metadata": {"annotations": changes}}, namespace, "merge")
    if resp.error:
        raise resp.error
    return resp.obj


def run_exit(ctx, args) -> int:
    ns = ctx.namespace
    pod = _get(ctx, "pods", args.pod, ns)
    containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or ()]
    default = ((pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
               or (containers[0] if containers else ""))
    container = args.container or default
    if container not in containers:
        raise client_error(f"container {container} is not valid for pod {args.pod}")
    cs = next((s for s in (pod.get("status") or {}).get("containerStatuses") or () if s.get("name") == container), None)
    if cs is None or "running" not in (cs.get("state") or {}):
        raise client_error(f'container "{container}" in pod "{args.pod}" is not running')
    if not 0 <= args.code <= 255:
        raise client_error(f"--code {args.code}: an exit code is between 0 and 255")
    _annotate(ctx, "pods", args.pod, ns, {faults.EXIT + container: faults.exit_value(args.code, int(cs.get("restartCount") or 0))})
    ctx.out.write(f"pod/{args.pod} container {container} exited with code {args.code}\n")
    return 0


def run_readiness(ctx, args) -> int:
    ns = ctx.namespace
    pod = _get(ctx, "pods", args.pod, ns)
    raw = faults.annotations(pod).get(faults.UNREADY)
    window = faults.unready_window(pod)
    open_ended = window is not None and window[1] is None
    if args.verb == "unready" and not open_ended:
        _annotate(ctx, "pods", args.pod, ns, {faults.UNREADY: faults.unready_value(_now(ctx))})
    elif args.verb == "ready" and open_ended:
        _annotate(ctx, "pods", args.pod, ns, {faults.UNREADY: faults.unready_value(str(raw), _now(ctx))})
    ctx.out.write(f"pod/{args.pod} {'readiness check failing' if args.verb == 'unready' else 'readiness check passing'}\n")
    return 0


def run_node_state(ctx, args) -> int:
    node = _get(ctx, "nodes", args.node)
    down = faults.node_down(node)
    if args.verb == "node-down" and not down:
        _annotate(ctx, "nodes", args.node, "", {faults.NODE_DOWN: _now(ctx)})
    elif args.verb == "node-up" and down:
        _annotate(ctx, "nodes", args.node, "", {faults.NODE_DOWN: None})
    ctx.out.write(f"node/{args.node} {'down' if args.verb == 'node-down' else 'up'}\n")
    return 0


def run_memory_pressure(ctx, args) -> int:
    from engine.kubelet_sim.eviction import MEMORY_PRESSURE, signal_value
    from engine.model.quantity import canonical_quantity

    node = _get(ctx, "nodes", args.node)
    if args.off:
        if MEMORY_PRESSURE in faults.annotations(node):
            _annotate(ctx, "nodes", args.node, "", {MEMORY_PRESSURE: None})
        ctx.out.write(f"node/{args.node} memory pressure cleared\n")
        return 0
    try:
        available = canonical_quantity(args.available)
    except ValueError as e:
        raise client_error(f"invalid --available {args.available!r}: {e}") from None
    from engine.kubelet_sim.eviction import pressure

    current = pressure(node)
    value = signal_value(_now(ctx), available) if current is None else \
        signal_value(faults.annotations(node)[MEMORY_PRESSURE].split("/")[0], available, current[2] + 1)
    _annotate(ctx, "nodes", args.node, "", {MEMORY_PRESSURE: value})
    ctx.out.write(f"node/{args.node} under memory pressure\n")
    return 0


def run_remove_node(ctx, args) -> int:
    resp = ctx.client().delete("nodes", args.node, "")
    if resp.error:
        raise resp.error
    ctx.out.write(f'node "{args.node}" deleted\n')
    return 0


def parse_taint(spec: str) -> dict:
    """kubectl's `KEY[=VALUE]:EFFECT`."""
    body, colon, effect = spec.rpartition(":")
    if not colon or not body or effect not in TAINT_EFFECTS:
        raise client_error(f"invalid taint spec: {spec}, effect must be one of NoSchedule, PreferNoSchedule, NoExecute")
    key, eq, value = body.partition("=")
    taint = {"key": key, "effect": effect}
    if eq:
        taint["value"] = value
    return taint


def next_node_index(nodes: list[dict]) -> int:
    """One past the highest `10.244.N.0/24` podCIDR index in use."""
    used = [-1]
    for n in nodes:
        cidr = (n.get("spec") or {}).get("podCIDR") or ""
        m = re.match(r"^10\.244\.(\d+)\.0/24$", cidr)
        if m:
            used.append(int(m.group(1)))
    return max(used) + 1


def run_add_node(ctx, args) -> int:
    from engine.bootstrap import InitOptions, node_manifest
    from engine.client import Client
    from engine.model.quantity import parse_quantity
    from engine.pipeline.identity import node_identity

    for q in (args.cpu, args.memory, args.pods):
        try:
            parse_quantity(q)
        except ValueError as e:
            raise client_error(f"invalid quantity {q!r}: {e}") from None
    labels = {}
    for item in args.label:
        labels.update(_pairs(item, "label"))
    taints = [parse_taint(t) for t in args.taint]
    cluster = ctx.cluster()
    nodes = ctx.client().list("nodes", None)
    if nodes.error:
        raise nodes.error
    index = next_node_index(nodes.obj["items"])
    node, status = node_manifest(args.node, index, InitOptions(start_time=0, node_cpu=args.cpu, node_memory=args.memory,
                                                               node_pods=args.pods))
    node["metadata"]["labels"].update(labels)
    if taints:
        node["spec"]["taints"] = list(node["spec"].get("taints") or []) + taints
    kubelet = Client(cluster, node_identity(args.node), command=ctx.command_line())
    resp = kubelet.create(node)
    if resp.error:
        raise resp.error
    resp = kubelet.update({**resp.obj, "status": status}, subresource="status")
    if resp.error:
        raise resp.error
    ctx.out.write(f"node/{args.node} created\n")
    return 0
