"""`pods/log` over HTTP: what a simulated container printed, from the kubelet simulation.

The container's view (environment, files, command) is the kubelet simulation's projection
(`projections.container_view`), replayed from the log at the head, and its output is what the
command simulator (`engine.kubelet_sim.shell`) prints for the container's command: the same
answer `ktape logs` gives. When those modules are not part of this build, `pods/log` is a 501
Status.

`pods/exec` runs the command in the same simulated container (`exec_result`: what `ktape exec`
prints) and streams it the way kubectl >= 1.30 asks: a WebSocket upgrade with the
`v5.channel.k8s.io` (or v4) subprotocol, each binary message one channel byte (0 stdin,
1 stdout, 2 stderr, 3 the final Status, 255 v5's close of a stream) then data; `app.py` does the
upgrade. SPDY upgrades (kubectl <= 1.29, or a fallback) get the same errors as upstream before
any upgrade and otherwise a 501; `attach` and `portforward` are 501s.
"""

from __future__ import annotations

from engine.errors import StatusError
from engine.log import eventlog

WAITING_PULL = ("ErrImagePull", "ImagePullBackOff")
DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"


def available() -> bool:
    try:
        import engine.kubelet_sim.shell  # noqa: F401
        import projections.container_view  # noqa: F401
    except ImportError:
        return False
    return True


def not_served(what: str) -> StatusError:
    return StatusError(501, "NotImplemented", f"{what} is not served by kubetape's HTTP API yet; use `ktape {what.split('/')[-1]}`"
                       if what.endswith(("log", "exec")) else f"{what} is not served by kubetape's HTTP API yet")


def _container(pod: dict, wanted: str) -> str:
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or ()]
    name = pod["metadata"]["name"]
    if wanted:
        if wanted not in names + [c["name"] for c in spec.get("initContainers") or ()]:
            raise StatusError(400, "BadRequest", f"container {wanted} is not valid for pod {name}")
        return wanted
    default = (pod["metadata"].get("annotations") or {}).get(DEFAULT_CONTAINER)
    if default in names:
        return default
    if len(names) != 1:
        raise StatusError(400, "BadRequest", f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]")
    return names[0]


def pod_logs(store, pod: dict, wanted: str = "") -> str:
    """The container's output, or the upstream 400 for a container that has not started."""
    from engine.kubelet_sim import shell
    from projections.container_view import NotRunning, container_status, container_view

    name = _container(pod, wanted)
    cs = container_status(pod, name)
    waiting = (cs.get("state") or {}).get("waiting")
    pod_name = pod["metadata"]["name"]
    if not cs or (waiting is not None and not (cs.get("lastState") or {}).get("terminated")):
        reason = (waiting or {}).get("reason") or "ContainerCreating"
        if reason in WAITING_PULL:
            reason = "trying and failing to pull image"
        raise StatusError(400, "BadRequest", f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}')
    with store.begin() as txn:
        head = eventlog.read_head(txn)
        try:
            view = container_view(txn, pod, name, head.seq, head.at)
        except NotRunning:
            return ""
    if not view.argv:
        return ""
    host = (pod.get("spec") or {}).get("hostname") or pod_name
    machine = shell.Machine(shell.process_env(host, view.env.items()), view.files, host)
    result = machine.run(view.argv)
    return result.stdout + result.stderr


PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")  # what kubectl >= 1.30 offers, best first


def exec_machine(store, pod: dict, wanted: str):
    """The container's shell as `ktape exec` sees it; upstream's errors before any upgrade."""
    from engine.kubelet_sim import shell
    from projections.container_view import NotRunning, container_status, container_view, with_proc_files

    phase = (pod.get("status") or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        raise StatusError(400, "BadRequest", f"cannot exec into a container in a completed pod; current phase is {phase}")
    name = _container(pod, wanted)
    view = None
    if "running" in (container_status(pod, name).get("state") or {}):
        with store.begin() as txn:
            head = eventlog.read_head(txn)
            try:
                view = with_proc_files(txn, container_view(txn, pod, name, head.seq, head.at))
            except NotRunning:
                view = None
    if view is None:
        raise StatusError(400, "BadRequest", f'container not found ("{name}")')
    host = (pod.get("spec") or {}).get("hostname") or pod["metadata"]["name"]
    return shell.Machine(shell.process_env(host, view.env.items()), view.files, host)


def exit_status(code: int, argv: list[str]) -> dict:
    """The error channel's last word: upstream's Success, or its NonZeroExitCode Status."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command [{' '.join(argv)}], exit code {code}",
            "reason": "NonZeroExitCode", "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
