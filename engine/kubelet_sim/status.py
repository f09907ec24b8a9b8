"""Pod status shapes as the kubelet writes them (v1.32): conditions, phase, QoS, container states.

Pure functions over dicts, following `pkg/kubelet/status/generate.go` (condition reasons and
messages), `kubelet_pods.go` `getPhase` (phase from container states and restart policy),
`pkg/apis/core/helper/qos` (QoS class) and the container runtime's status fields (image
references normalized as containerd reports them, container and image ids derived from the pod
uid and the image name so that every run gives the same ones).
"""

from __future__ import annotations

import hashlib

from engine.clock import parse_time, rfc3339
from engine.model.qos import qos_class as _qos_class

# Condition reasons (pkg/kubelet/status/generate.go).
UNKNOWN_CONTAINER_STATUSES = "UnknownContainerStatuses"
POD_COMPLETED = "PodCompleted"
POD_FAILED = "PodFailed"
CONTAINERS_NOT_READY = "ContainersNotReady"
CONTAINERS_NOT_INITIALIZED = "ContainersNotInitialized"
READINESS_GATES_NOT_READY = "ReadinessGatesNotReady"
# Container waiting and terminated reasons.
CONTAINER_CREATING = "ContainerCreating"
POD_INITIALIZING = "PodInitializing"
CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
COMPLETED = "Completed"
ERROR = "Error"
CONTAINER_STATUS_UNKNOWN = "ContainerStatusUnknown"
MSG_STATUS_UNKNOWN = "The container could not be located when the pod was terminated"
MSG_BACK_OFF = "back-off %s restarting failed container=%s pod=%s"

KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
TERMINAL = ("Succeeded", "Failed")
RUNTIME = "containerd://"

SECOND = 1_000_000
BACK_OFF_INITIAL = 10  # seconds (kubelet backOffPeriod)
BACK_OFF_MAX = 300  # seconds (MaxContainerBackOff)
BACK_OFF_RESET = 2 * BACK_OFF_MAX  # a run longer than this resets the back-off (flowcontrol hasExpired)


# --- images and ids ------------------------------------------------------------------------------


def normalize_image(image: str) -> str:
    """The fully qualified reference containerd reports (`nginx` -> `docker.io/library/nginx:latest`)."""
    name, _, digest = image.partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    repo, tag = (name[:colon], name[colon + 1:]) if colon > slash else (name, "")
    parts = repo.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        domain, path = parts[0], "/".join(parts[1:])
    else:
        domain, path = "docker.io", repo
    if domain == "docker.io" and "/" not in path:
        path = "library/" + path
    full = f"{domain}/{path}"
    if digest:
        return f"{full}@{digest}"
    return f"{full}:{tag or 'latest'}"


def image_id(image: str) -> str:
    """`docker.io/library/nginx@sha256:<64 hex>`: the digest derives from the reference."""
    ref = normalize_image(image)
    if "@" in ref:
        return ref
    repo = ref[:ref.rfind(":")]
    return f"{repo}@sha256:{hashlib.sha256(ref.encode()).hexdigest()}"


def container_id(pod_uid: str, container: str, restart_count: int) -> str:
    return RUNTIME + hashlib.sha256(f"{pod_uid}/{container}/{restart_count}".encode()).hexdigest()


def format_pod(pod: dict) -> str:
    """kubelet's `format.Pod`: `name_namespace(uid)`."""
    meta = pod["metadata"]
    return f"{meta['name']}_{meta.get('namespace', '')}({meta.get('uid', '')})"


def go_duration(seconds: int) -> str:
    """Go's `time.Duration.String()` for whole seconds: 10s, 1m20s, 5m0s, 1h0m0s."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m}m{s}s"
    if m:
        return f"{m}m{s}s"
    return f"{s}s"


def back_off(restart_count: int, last_run_us: int = 0) -> int:
    """Seconds to wait before restarting a container that has restarted `restart_count` times:
    none before the first restart, then 10 s doubling to 5 min; a run longer than 10 min resets."""
    if restart_count <= 0 or last_run_us > BACK_OFF_RESET * SECOND:
        return 0
    return min(BACK_OFF_INITIAL * 2 ** (restart_count - 1), BACK_OFF_MAX)


# --- QoS -----------------------------------------------------------------------------------------


def qos_class(spec: dict) -> str:
    """`ComputePodQOS`: Guaranteed, Burstable or BestEffort (see engine.model.qos)."""
    return _qos_class(spec)


# --- container states ----------------------------------------------------------------------------


def state_of(cs: dict | None) -> str:
    """waiting | running | terminated | none."""
    state = (cs or {}).get("state") or {}
    for k in ("running", "terminated", "waiting"):
        if k in state:
            return k
    return "none"


def last_terminated(cs: dict | None) -> dict | None:
    return ((cs or {}).get("lastState") or {}).get("terminated")


def waiting(name: str, image: str, reason: str) -> dict:
    return {"name": name, "image": image, "imageID": "", "ready": False, "restartCount": 0, "started": False,
            "state": {"waiting": {"reason": reason}}, "lastState": {}}


def running(pod: dict, spec: dict, restart_count: int, now: int, last: dict | None) -> dict:
    return {"name": spec["name"], "image": normalize_image(spec.get("image", "")), "imageID": image_id(spec.get("image", "")),
            "containerID": container_id(pod["metadata"].get("uid", ""), spec["name"], restart_count),
            "ready": False, "restartCount": restart_count, "started": True,
            "state": {"running": {"startedAt": rfc3339(now)}},
            "lastState": {"terminated": last} if last else {}}


def terminated(cs: dict, exit_code: int, now: int, reason: str | None = None) -> dict:
    started_at = ((cs.get("state") or {}).get("running") or {}).get("startedAt") or rfc3339(now)
    term = {"exitCode": exit_code, "reason": reason or (COMPLETED if exit_code == 0 else ERROR),
            "startedAt": started_at, "finishedAt": rfc3339(now)}
    if cs.get("containerID"):
        term["containerID"] = cs["containerID"]
    return {**cs, "ready": False, "started": False, "state": {"terminated": term}}


def crash_loop(pod: dict, cs: dict, delay_s: int) -> dict:
    term = (cs.get("state") or {}).get("terminated") or last_terminated(cs) or {}
    msg = MSG_BACK_OFF % (go_duration(delay_s), cs["name"], format_pod(pod))
    return {**cs, "ready": False, "started": False, "state": {"waiting": {"reason": CRASH_LOOP_BACK_OFF, "message": msg}},
            "lastState": {"terminated": term}}


def time_of(ts: str | None) -> int:
    return parse_time(ts) if ts else 0


# --- phase and conditions ------------------------------------------------------------------------


def _by_name(statuses) -> dict:
    return {s["name"]: s for s in statuses or ()}


def has_any_regular_container_started(spec: dict, statuses: list[dict]) -> bool:
    names = {c["name"] for c in spec.get("containers") or ()}
    return any(s["name"] in names and state_of(s) in ("running", "terminated") for s in statuses)


def get_phase(spec: dict, init_statuses: list[dict], statuses: list[dict], pod_is_terminal: bool = False) -> str:
    """kubelet's `getPhase`."""
    policy = spec.get("restartPolicy") or "Always"
    inits = _by_name(init_statuses)
    pending_init = failed_init = 0
    for c in spec.get("initContainers") or ():
        if c.get("restartPolicy") == "Always":
            continue
        cs = inits.get(c["name"])
        st = state_of(cs)
        if cs is None or st in ("running", "none"):
            pending_init += 1
        elif st == "terminated":
            if cs["state"]["terminated"].get("exitCode", 0) != 0:
                failed_init += 1
        elif last_terminated(cs) is not None:
            if last_terminated(cs).get("exitCode", 0) != 0:
                failed_init += 1
        else:
            pending_init += 1
    unknown = running_n = waiting_n = stopped = succeeded = 0
    for c in spec.get("initContainers") or ():
        if c.get("restartPolicy") != "Always":
            continue
        cs = inits.get(c["name"])
        st = state_of(cs)
        if cs is None or st == "none":
            pending_init += 1
            unknown += 1
        elif st == "running":
            if not cs.get("started"):
                pending_init += 1
            running_n += 1
        elif st == "waiting" and last_terminated(cs) is None:
            pending_init += 1
            waiting_n += 1
    mains = _by_name(statuses)
    for c in spec.get("containers") or ():
        cs = mains.get(c["name"])
        st = state_of(cs)
        if cs is None or st == "none":
            unknown += 1
        elif st == "running":
            running_n += 1
        elif st == "terminated":
            stopped += 1
            if cs["state"]["terminated"].get("exitCode", 0) == 0:
                succeeded += 1
        elif last_terminated(cs) is not None:
            stopped += 1
        else:
            waiting_n += 1
    if failed_init > 0 and policy == "Never":
        return "Failed"
    if (pending_init > 0 and not has_any_regular_container_started(spec, list(init_statuses) + list(statuses))) \
            or waiting_n > 0:
        return "Pending"
    if running_n > 0 and unknown == 0:
        return "Running"
    if running_n == 0 and stopped > 0 and unknown == 0:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _cond(ctype: str, status: str, reason: str = "", message: str = "") -> dict:
    c = {"type": ctype, "status": status}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def _names(names: list[str]) -> str:
    return "[" + " ".join(names) + "]"


def containers_ready_condition(spec: dict, init_statuses: list[dict], statuses: list[dict], phase: str) -> dict:
    known = _by_name(list(init_statuses) + list(statuses))
    unknown, unready = [], []
    for c in [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"] + list(spec.get("containers") or ()):
        cs = known.get(c["name"])
        if cs is None:
            unknown.append(c["name"])
        elif not cs.get("ready"):
            unready.append(c["name"])
    if (phase == "Succeeded" and not unknown) or phase == "Failed":
        return _cond("ContainersReady", "False", POD_FAILED if phase == "Failed" else POD_COMPLETED)
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_names(unknown)}")
    if unready:
        msgs.append(f"containers with unready status: {_names(unready)}")
    if msgs:
        return _cond("ContainersReady", "False", CONTAINERS_NOT_READY, ", ".join(msgs))
    return _cond("ContainersReady", "True")


def ready_condition(spec: dict, conditions: list[dict], containers_ready: dict) -> dict:
    if containers_ready["status"] != "True":
        return _cond("Ready", containers_ready["status"], containers_ready.get("reason", ""), containers_ready.get("message", ""))
    msgs = []
    by_type = {c.get("type"): c for c in conditions}
    for gate in spec.get("readinessGates") or ():
        c = by_type.get(gate.get("conditionType"))
        if c is None:
            msgs.append(f'corresponding condition of pod readiness gate "{gate.get("conditionType")}" does not exist.')
        elif c.get("status") != "True":
            msgs.append(f'the status of pod readiness gate "{gate.get("conditionType")}" is not "True", but {c.get("status")}')
    if msgs:
        return _cond("Ready", "False", READINESS_GATES_NOT_READY, ", ".join(msgs))
    return _cond("Ready", "True")


def initialized_condition(spec: dict, init_statuses: list[dict], statuses: list[dict], phase: str) -> dict:
    known = _by_name(init_statuses)
    unknown, incomplete = [], []
    for c in spec.get("initContainers") or ():
        cs = known.get(c["name"])
        if cs is None:
            unknown.append(c["name"])
            continue
        done = cs.get("started") if c.get("restartPolicy") == "Always" else cs.get("ready")
        if not done:
            incomplete.append(c["name"])
    if phase == "Succeeded" and not unknown:
        return _cond("Initialized", "True", POD_COMPLETED)
    if has_any_regular_container_started(spec, list(init_statuses) + list(statuses)):
        return _cond("Initialized", "True")
    msgs = []
    if unknown:
        msgs.append(f"containers with unknown status: {_names(unknown)}")
    if incomplete:
        msgs.append(f"containers with incomplete status: {_names(incomplete)}")
    if msgs:
        return _cond("Initialized", "False", CONTAINERS_NOT_INITIALIZED, ", ".join(msgs))
    return _cond("Initialized", "True")


def conditions(spec: dict, old: list[dict], init_statuses: list[dict], statuses: list[dict], phase: str, now: int) -> list[dict]:
    """The pod's conditions: others' first (kept), then the kubelet's in upstream order, each
    keeping its lastTransitionTime while its status is unchanged."""
    previous = {c.get("type"): c for c in old}
    kept = [c for c in old if c.get("type") not in KUBELET_CONDITIONS]
    containers_ready = containers_ready_condition(spec, init_statuses, statuses, phase)
    fresh = [
        _cond("PodReadyToStartContainers", "False" if phase in TERMINAL else "True"),
        initialized_condition(spec, init_statuses, statuses, phase),
        ready_condition(spec, kept, containers_ready),
        containers_ready,
        _cond("PodScheduled", "True"),
    ]
    out = list(kept)
    for c in fresh:
        before = previous.get(c["type"])
        since = before.get("lastTransitionTime") if before is not None and before.get("status") == c["status"] else None
        out.append({**c, "lastProbeTime": None, "lastTransitionTime": since or rfc3339(now)})
    return out


def ceil_div(a: int, b: int) -> int:
    return -(-a // b) if b else 0

