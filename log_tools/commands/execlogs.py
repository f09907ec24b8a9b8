"""`exec`, `logs` and `registry`: what a simulated container sees and prints, and the cluster's
private registries.

    ktape exec POD [-c CONTAINER] [-it] -- COMMAND [ARGS...]     (-i with a lone shell: commands from stdin)
    ktape logs POD [-c CONTAINER] [-p] [--tail N]
    ktape registry add SERVER --private-repo PROJECT [--private-repo ...] --username U --password P
    ktape registry list

`exec` and `logs` read the pod (a recorded `get`, as kubectl's first request), then answer from
`projections.container_view` (environment and files as the kubelet projected them, replayed from
the log at the head or at `--at`) through the command simulator `engine.kubelet_sim.shell`.
`logs` is what the container's own command printed when it started. kubectl's messages:
`Defaulted container "a" out of: a, b`, `container "c" in pod "p" is waiting to start: REASON`,
`cannot exec into a container in a completed pod; current phase is Succeeded`, `command
terminated with exit code N`.

`registry add` records a cluster setting (a merge patch of `config.kubetape.io/clusters/cluster`
`spec.registries`) naming a registry's private projects and its credentials; only a SHA-256 of
the password is kept (the command line recorded with the request shows `--password REDACTED`).
The simulated kubelets then refuse pulls of those images without a
matching `kubernetes.io/dockerconfigjson` pull secret (`engine.kubelet_sim.images`).
"""

from __future__ import annotations

import sys

from engine.errors import StatusError
from engine.kubelet_sim import shell
from engine.kubelet_sim.images import password_hash
from engine.log import eventlog
from engine.registry import resolve
from log_tools.commands.batchcmds import _DashTail
from log_tools.manifests import client_error
from projections.container_view import NotRunning, container_status, container_view, with_proc_files

DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"
WAITING_PULL = ("ErrImagePull", "ImagePullBackOff")


def register(subs, common) -> None:
    p = subs.add_parser("exec", parents=[common], help="run a command in a container (simulated)",
                        description="Run a command in a container. Example: ktape exec mypod -- cat /etc/config/log_level")
    p.add_argument("pod")
    p.add_argument("-c", "--container")
    p.add_argument("-i", "--stdin", action="store_true")
    p.add_argument("-t", "--tty", action="store_true")
    p.add_argument("argv", nargs="*", help="COMMAND [ARGS...] (after --)")
    p.__class__ = type("ExecParser", (_DashTail, type(p)), {})  # flags may follow POD; `--` starts the command
    p.set_defaults(run=run_exec)

    p = subs.add_parser("logs", parents=[common], help="print what a container printed (simulated)",
                        description="Print a container's logs. Example: ktape logs cm-env-test-pod")
    p.add_argument("pod")
    p.add_argument("-c", "--container")
    p.add_argument("-p", "--previous", action="store_true", help="the previous instance of the container")
    p.add_argument("--tail", type=int, default=-1, help="lines of the most recent output to show (-1: all)")
    p.add_argument("-f", "--follow", action="store_true", help="accepted; the simulated output is printed once")
    p.set_defaults(run=run_logs)

    p = subs.add_parser("registry", parents=[common], help="the cluster's image registries and private projects",
                        description="Registries. Example: ktape registry add hub.ljh.com --private-repo secret "
                                    "--username admin --password Harbor12345")
    rsubs = p.add_subparsers(dest="action", metavar="ACTION")
    a = rsubs.add_parser("add", parents=[common], help="record a registry with private projects and its credentials")
    a.add_argument("server")
    a.add_argument("--private-repo", action="append", default=[], help="a private project (repeatable)")
    a.add_argument("--username", required=True)
    a.add_argument("--password", required=True)
    a.set_defaults(run=run_registry_add)
    ls = rsubs.add_parser("list", parents=[common], help="list recorded registries")
    ls.set_defaults(run=run_registry_list)
    p.set_defaults(run=lambda ctx, args: (p.print_help(), 2)[1])


# --- pods and containers ----------------------------------------------------------------------------


_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def _pod(ctx, name: str) -> dict:
    """The pod NAME, or for TYPE/NAME the pod kubectl attaches to (`attachablePodForObject`: the
    most active of the workload's pods, as `sort.Reverse(ActivePods)` orders them)."""
    at = ctx.at_seq()
    kind, slash, rest = name.partition("/")
    if slash and resolve(kind).plural != "pods":
        rt = resolve(kind)
        owner = ctx.client().get(rt, rest, ctx.namespace, at=at)
        if owner.error:
            raise owner.error
        from engine.model.selectors import selector_from_label_selector, selector_from_set

        sel = (owner.obj.get("spec") or {}).get("selector") or {}
        structured = "matchLabels" in sel or "matchExpressions" in sel
        selector = str(selector_from_label_selector(sel) if structured else selector_from_set(sel))
        pods = ctx.client().list(resolve("pods"), ctx.namespace, label_selector=selector)
        if pods.error:
            raise pods.error
        items = [p for p in pods.obj.get("items") or () if not p["metadata"].get("deletionTimestamp")]
        if not items:
            raise client_error(f"cannot attach to {rt.kind} {rest}: no pods found")

        def active(p: dict):
            status = p.get("status") or {}
            ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())
            created = p["metadata"].get("creationTimestamp") or ""
            return (bool((p.get("spec") or {}).get("nodeName")), _PHASE_RANK.get(status.get("phase"), 0), ready,
                    [-ord(ch) for ch in created], p["metadata"]["name"])

        return max(items, key=active)
    if slash:
        name = rest
    resp = ctx.client().get(resolve("pods"), name, ctx.namespace, at=at)
    if resp.error:
        raise resp.error
    return resp.obj


def _container(ctx, pod: dict, wanted: str | None) -> str:
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or ()]
    if wanted:
        if wanted not in names + [c["name"] for c in spec.get("initContainers") or ()]:
            raise StatusError(400, "BadRequest", f"container {wanted} is not valid for pod {pod['metadata']['name']}")
        return wanted
    default = ((pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER))
    if default in names:
        return default
    if len(names) > 1:
        print(f'Defaulted container "{names[0]}" out of: {", ".join(names)}', file=sys.stderr)
    return names[0]


def _view(ctx, pod: dict, name: str, previous: bool = False):
    cluster = ctx.cluster()
    with cluster.store.begin() as txn:
        head = eventlog.read_head(txn)
        upto = ctx.at_seq() or head.seq
        now = eventlog.read_entry(txn, upto).at if upto != head.seq else head.at
        try:
            view = container_view(txn, pod, name, upto, now, previous)
        except NotRunning:
            return None
        return with_proc_files(txn, view)


def run_exec(ctx, args) -> int:
    if args.argv:  # words after POD but before `--`
        raise client_error("exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\n"
                           "See 'kubectl exec -h' for help and examples")
    argv = list(getattr(args, "command_tail", None) or [])
    if not argv:
        raise client_error("you must specify at least one command for the container")
    pod = _pod(ctx, args.pod)
    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise client_error(f"cannot exec into a container in a completed pod; current phase is {phase}")
    name = _container(ctx, pod, args.container)
    cs = container_status(pod, name)
    view = _view(ctx, pod, name) if "running" in (cs.get("state") or {}) else None
    if view is None:
        raise client_error(f'unable to upgrade connection: container not found ("{name}")')
    machine = shell.Machine(shell.process_env(_hostname(pod), view.env.items()), view.files, _hostname(pod))
    result = machine.exec(argv, sys.stdin.read if args.stdin else None)
    ctx.out.write(result.stdout)
    ctx.out.flush()
    if result.stderr:
        sys.stderr.write(result.stderr)
    if result.code:
        print(f"command terminated with exit code {result.code}", file=sys.stderr)
    return result.code


def _hostname(pod: dict) -> str:
    return (pod.get("spec") or {}).get("hostname") or pod["metadata"]["name"]


def run_logs(ctx, args) -> int:
    pod = _pod(ctx, args.pod)
    name = _container(ctx, pod, args.container)
    cs = container_status(pod, name)
    waiting = (cs.get("state") or {}).get("waiting")
    pod_name = pod["metadata"]["name"]
    if args.previous and not ((cs.get("lastState") or {}).get("terminated") or {}).get("containerID"):
        raise StatusError(400, "BadRequest", f'previous terminated container "{name}" in pod "{pod_name}" not found')
    if not args.previous and (not cs or (waiting is not None and not (cs.get("lastState") or {}).get("terminated"))):
        reason = (waiting or {}).get("reason") or "ContainerCreating"
        if reason in WAITING_PULL:
            reason = "trying and failing to pull image"
        raise StatusError(400, "BadRequest", f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}')
    view = _view(ctx, pod, name, args.previous)
    if view is None or not view.argv:
        return 0
    machine = shell.Machine(shell.process_env(_hostname(pod), view.env.items()), view.files, _hostname(pod))
    text = machine.run(view.argv)
    lines = (text.stdout + text.stderr).splitlines(keepends=True)
    if args.tail >= 0:
        lines = lines[len(lines) - args.tail:] if args.tail else []
    ctx.out.write("".join(lines))
    return 0


# --- registries -------------------------------------------------------------------------------------


def redacted_command(ctx, flags=("--password", "--docker-password")) -> str:
    """The command line as the log records it, with password values replaced by `REDACTED`."""
    import shlex

    words = shlex.split(ctx.command_line())
    out, hide = [], False
    for w in words:
        name, eq, _value = w.partition("=")
        if hide:
            out.append("REDACTED")
            hide = False
        elif name in flags and eq:
            out.append(f"{name}=REDACTED")
        else:
            out.append(w)
            hide = w in flags
    return " ".join(shlex.quote(w) for w in out)


def run_registry_add(ctx, args) -> int:
    client = ctx.client(command=redacted_command(ctx))
    rt = resolve("clusters.config.kubetape.io")
    cur = client.get(rt, "cluster", "")
    if cur.error:
        raise cur.error
    registries = [r for r in ((cur.obj.get("spec") or {}).get("registries") or []) if r.get("server") != args.server]
    registries.append({"server": args.server, "privateRepositories": list(args.private_repo),
                       "username": args.username, "passwordSha256": password_hash(args.password)})
    registries.sort(key=lambda r: r["server"])
    resp = client.request("patch", rt, "", "cluster", body={"spec": {"registries": registries}},
                          params={"patchType": "merge"})
    if resp.error:
        raise resp.error
    ctx.out.write(f"registry {args.server} recorded ({', '.join(args.private_repo) or 'no'} private)\n")
    return 0


def run_registry_list(ctx, args) -> int:
    resp = ctx.client().get(resolve("clusters.config.kubetape.io"), "cluster", "")
    if resp.error:
        raise resp.error
    rows = [("SERVER", "PRIVATE", "USERNAME")]
    for r in (resp.obj.get("spec") or {}).get("registries") or ():
        rows.append((r.get("server", ""), ",".join(r.get("privateRepositories") or ()) or "<none>", r.get("username", "")))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        ctx.out.write("   ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
    return 0
