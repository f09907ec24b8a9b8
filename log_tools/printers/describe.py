"""`kubectl describe` output, following `staging/src/k8s.io/kubectl/pkg/describe/describe.go`.

`describe(rtype, obj, events, now_unix, related=None)` renders one object. The text is built
exactly as upstream writes it (PrefixWriter: two spaces per level, tab-separated cells) and then
aligned with Go's tabwriter(minwidth 0, tabwidth 8, padding 2), as `tabbedString` does.

`events` are the Event objects about `obj` (the caller applies the involvedObject field selector);
pass `None` to suppress the Events section (`--show-events=false`). `related` carries what
upstream fetches with extra requests:

- Deployment: `old_replicasets` (list), `new_replicaset` (dict or None)
- ReplicaSet / ReplicationController / DaemonSet / StatefulSet: `pods` (pods are counted when
  their controller ownerReference has the object's uid, or, without a uid, match the selector)
- Node: `pods` (all pods; those bound to the node and not terminated are listed), `lease`
- Service: `endpointslices` (list) or `endpoints` (the Endpoints object)
- Namespace: `resource_quotas`, `limit_ranges` (lists; missing = none)
- PersistentVolumeClaim: `pods` (pods mounting the claim are listed under Used By)

Timestamps print in UTC (kubectl uses the client's local zone). Pure: time is passed in.
"""

from __future__ import annotations

import base64
import binascii
from fractions import Fraction
from typing import Any, Callable

from log_tools.printers.age import human_duration, parse_timestamp, rfc1123z, since
from log_tools.printers.table import (
    SelectorError,
    _g,
    _int,
    access_modes_string,
    canonical_quantity,
    controller_of,
    find_node_roles,
    format_endpoints,
    format_labels,
    format_label_selector,
    go_value,
    parse_quantity,
    pv_class,
    quantity_string,
    selector_string,
    tabwrite,
)

SKIP_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})
MAX_ANNOTATION_LEN = 140


class _Writer:
    """describe.go's PrefixWriter: `write(level, text)` prefixes two spaces per level."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self._parts.append("  " * level + text)

    def write_line(self, text: str = "") -> None:
        self._parts.append(text + "\n")

    def render(self) -> str:
        return tabwrite("".join(self._parts), minwidth=0, padding=2)


# ---------------------------------------------------------------------------------------------
# shared pieces


def _meta(obj: dict, key: str, default: Any = None) -> Any:
    return _g(obj, "metadata", key, default=default)


def _print_bool(v: Any) -> str:
    return "True" if v else "False"


def _print_bool_ptr(v: Any) -> str:
    return "<unset>" if v is None else _print_bool(v)


def _string_or_none(s: str) -> str:
    return s if s else "<none>"


def _intstr(v: Any) -> str:
    if v is None:
        return "<nil>"
    return str(v)


def print_labels_multiline(w: _Writer, title: str, labels: dict | None, initial_indent: str = "",
                           inner_indent: str = "\t", skip: frozenset = frozenset()) -> None:
    w.write(0, f"{initial_indent}{title}:{inner_indent}")
    keys = sorted(k for k in (labels or {}) if k not in skip)
    if not keys:
        w.write_line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, initial_indent)
            w.write(0, inner_indent)
        w.write(0, f"{key}={labels[key]}\n")


def print_annotations_multiline(w: _Writer, title: str, annotations: dict | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k not in SKIP_ANNOTATIONS)
    if not keys:
        w.write_line("<none>")
        return
    indent = "\t"
    for i, key in enumerate(keys):
        if i:
            w.write(0, indent)
        value = str(annotations[key])
        if value.endswith("\n"):
            value = value[:-1]
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for s in value.split("\n"):
                short = s if len(s) <= MAX_ANNOTATION_LEN - 2 else s[: MAX_ANNOTATION_LEN - 2] + "..."
                w.write(0, f"{indent}  {short}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def print_tolerations_multiline(w: _Writer, title: str, tolerations: list | None, initial_indent: str = "") -> None:
    w.write(0, f"{initial_indent}{title}:\t")
    if not tolerations:
        w.write_line("<none>")
        return
    for i, t in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(0, initial_indent)
            w.write(0, "\t")
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {_int(t['tolerationSeconds'])}s"
        w.write(0, text + "\n")


def _taint_string(t: dict) -> str:
    key, value, effect = t.get("key", ""), t.get("value", ""), t.get("effect", "")
    if not effect:
        return key if not value else f"{key}={value}:"
    return f"{key}:{effect}" if not value else f"{key}={value}:{effect}"


def print_taints_multiline(w: _Writer, title: str, taints: list | None) -> None:
    w.write(0, f"{title}:\t")
    if not taints:
        w.write_line("<none>")
        return
    for i, t in enumerate(sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")):
        if i:
            w.write(0, "\t")
        w.write(0, _taint_string(t) + "\n")


def _event_sort_time(e: dict) -> float:
    series = e.get("series")
    if isinstance(series, dict):
        t = parse_timestamp(series.get("lastObservedTime"))
    elif e.get("lastTimestamp"):
        t = parse_timestamp(e.get("lastTimestamp"))
    else:
        t = parse_timestamp(e.get("eventTime"))
    return t if t is not None else float("-inf")


def describe_events(w: _Writer, events: list[dict], now: float) -> None:
    """`DescribeEvents`: sorted by last-seen time, `Events:  <none>` when empty."""
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in sorted(events, key=_event_sort_time):
        first = since(e.get("eventTime"), now) if e.get("eventTime") else since(e.get("firstTimestamp"), now)
        series = e.get("series")
        count = _int(e.get("count"))
        if isinstance(series, dict):
            interval = f"{since(series.get('lastObservedTime'), now)} (x{_int(series.get('count'))} over {first})"
        elif count > 1:
            interval = f"{since(e.get('lastTimestamp'), now)} (x{count} over {first})"
        else:
            interval = first
        source = _g(e, "source", "component", default="") or e.get("reportingComponent") or e.get("reportingController", "")
        message = str(e.get("message", "")).strip()  # kubectl (since 1.14) does not print involvedObject.fieldPath
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t{message}\n")


def _events(w: _Writer, events: list[dict] | None, now: float) -> None:
    if events is not None:
        describe_events(w, events, now)


# ---------------------------------------------------------------------------------------------
# quantities and pod resources


def _q(s: Any) -> tuple[Fraction, str] | None:
    try:
        return parse_quantity(s)
    except ValueError:
        return None


def _add_resources(total: dict, new: dict | None) -> None:
    for name, raw in (new or {}).items():
        q = _q(raw)
        if q is None:
            continue
        if name in total:
            total[name] = (total[name][0] + q[0], total[name][1])
        else:
            total[name] = q


def _max_resources(total: dict, new: dict) -> None:
    for name, q in new.items():
        if name not in total or q[0] > total[name][0]:
            total[name] = q


def _pod_resources(pod: dict, key: str) -> dict:
    """resourcehelper.PodRequests / PodLimits (container sum, init-container max, sidecars, overhead)."""
    spec = pod.get("spec") or {}
    total: dict = {}
    for c in spec.get("containers") or []:
        _add_resources(total, _g(c, "resources", key))
    restartable: dict = {}
    init_max: dict = {}
    for c in spec.get("initContainers") or []:
        res = _g(c, "resources", key)
        if c.get("restartPolicy") == "Always":
            _add_resources(total, res)
            _add_resources(restartable, res)
            current = dict(restartable)
        else:
            current = {}
            _add_resources(current, res)
            for name, q in restartable.items():
                current[name] = (current[name][0] + q[0], current[name][1]) if name in current else q
        _max_resources(init_max, current)
    _max_resources(total, init_max)
    overhead = spec.get("overhead") or {}
    if key == "requests":
        _add_resources(total, overhead)
    else:
        _add_resources(total, {k: v for k, v in overhead.items() if k in total})
    return total


def _qstr(q: tuple[Fraction, str] | None) -> str:
    return "0" if q is None else canonical_quantity(*q)


def _ceil(v: Fraction) -> int:
    return -((-v.numerator) // v.denominator)


def _milli(q: tuple[Fraction, str] | None) -> int:
    return 0 if q is None else _ceil(q[0] * 1000)


def _value(q: tuple[Fraction, str] | None) -> int:
    return 0 if q is None else _ceil(q[0])


def _percent(part: int, whole: int) -> int:
    if whole == 0:
        return 0
    return int(part / whole * 100)


def pod_qos_class(pod: dict) -> str:
    """kubectl's qos.GetPodQOS: status.qosClass when set, else computed from cpu/memory."""
    if _g(pod, "status", "qosClass"):
        return pod["status"]["qosClass"]
    spec = pod.get("spec") or {}
    requests: dict = {}
    limits: dict = {}
    guaranteed = True
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        for name, raw in (_g(c, "resources", "requests", default={}) or {}).items():
            q = _q(raw)
            if name in ("cpu", "memory") and q is not None and q[0] > 0:
                requests[name] = requests.get(name, 0) + q[0]
        found = set()
        for name, raw in (_g(c, "resources", "limits", default={}) or {}).items():
            q = _q(raw)
            if name in ("cpu", "memory") and q is not None and q[0] > 0:
                found.add(name)
                limits[name] = limits.get(name, 0) + q[0]
        if not {"cpu", "memory"} <= found:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed:
        for name, req in requests.items():
            if limits.get(name) != req:
                guaranteed = False
                break
    if guaranteed and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


# ---------------------------------------------------------------------------------------------
# containers, probes, volumes, pod templates


def _container_ports(ports: list | None, field: str) -> str:
    out = []
    for p in ports or []:
        s = f"{_int(p.get(field))}/{p.get('protocol', '')}"
        if p.get("name"):
            s = f"{s} ({p['name']})"
        out.append(s)
    return ", ".join(out)


def _join_host_port(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe_probe(probe: dict) -> str:
    attrs = (
        f"delay={_int(probe.get('initialDelaySeconds'))}s timeout={_int(probe.get('timeoutSeconds'))}s "
        f"period={_int(probe.get('periodSeconds'))}s #success={_int(probe.get('successThreshold'))} "
        f"#failure={_int(probe.get('failureThreshold'))}"
    )
    if isinstance(probe.get("exec"), dict):
        return f"exec {go_value(probe['exec'].get('command') or [])} {attrs}"
    if isinstance(probe.get("httpGet"), dict):
        h = probe["httpGet"]
        scheme = str(h.get("scheme", "")).lower()
        port = "" if h.get("port") is None else str(h.get("port"))
        host = _join_host_port(h.get("host", ""), port) if port else h.get("host", "")
        url = (f"{scheme}:" if scheme else "") + (f"//{host}" if host or scheme else "") + str(h.get("path", ""))
        return f"http-get {url} {attrs}"
    if isinstance(probe.get("tcpSocket"), dict):
        t = probe["tcpSocket"]
        return f"tcp-socket {t.get('host', '')}:{'' if t.get('port') is None else t.get('port')} {attrs}"
    if isinstance(probe.get("grpc"), dict):
        g = probe["grpc"]
        return f"grpc <pod>:{_int(g.get('port'))} {g.get('service') or ''} {attrs}"
    return f"unknown {attrs}"


def _describe_status(w: _Writer, state_name: str, state: dict | None) -> None:
    state = state or {}
    if isinstance(state.get("running"), dict):
        w.write(2, f"{state_name}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(state['running'].get('startedAt'))}\n")
    elif isinstance(state.get("waiting"), dict):
        w.write(2, f"{state_name}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif isinstance(state.get("terminated"), dict):
        t = state["terminated"]
        w.write(2, f"{state_name}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{_int(t.get('exitCode'))}\n")
        if _int(t.get("signal")) > 0:
            w.write(3, f"Signal:\t{_int(t.get('signal'))}\n")
        w.write(3, f"Started:\t{rfc1123z(t.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{rfc1123z(t.get('finishedAt'))}\n")
    else:
        w.write(2, f"{state_name}:\tWaiting\n")


def _describe_resources(w: _Writer, resources: dict | None, level: int) -> None:
    if not isinstance(resources, dict):
        return
    for key, title in (("limits", "Limits"), ("requests", "Requests")):
        values = resources.get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{quantity_string(values[name])}\n")


def _field_value(pod: dict, path: str) -> str:
    meta = pod.get("metadata") or {}
    if path.startswith("metadata.labels['") and path.endswith("']"):
        return str((meta.get("labels") or {}).get(path[len("metadata.labels['"):-2], ""))
    if path.startswith("metadata.annotations['") and path.endswith("']"):
        return str((meta.get("annotations") or {}).get(path[len("metadata.annotations['"):-2], ""))
    if path == "metadata.labels":
        return "\n".join(f'{k}="{v}"' for k, v in sorted((meta.get("labels") or {}).items()))
    if path == "metadata.annotations":
        return "\n".join(f'{k}="{v}"' for k, v in sorted((meta.get("annotations") or {}).items()))
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": _g(pod, "spec", "nodeName"),
        "spec.serviceAccountName": _g(pod, "spec", "serviceAccountName"),
        "status.hostIP": _g(pod, "status", "hostIP"),
        "status.podIP": _g(pod, "status", "podIP"),
        "status.hostIPs": ",".join(i.get("ip", "") for i in _g(pod, "status", "hostIPs", default=[]) or []),
        "status.podIPs": ",".join(i.get("ip", "") for i in _g(pod, "status", "podIPs", default=[]) or []),
    }
    return str(simple.get(path) or "")


_RESOURCE_NAMES = {
    "limits.cpu": ("limits", "cpu"), "requests.cpu": ("requests", "cpu"),
    "limits.memory": ("limits", "memory"), "requests.memory": ("requests", "memory"),
    "limits.ephemeral-storage": ("limits", "ephemeral-storage"),
    "requests.ephemeral-storage": ("requests", "ephemeral-storage"),
}


def _resource_field_value(ref: dict, container: dict) -> str:
    """kubectl's ExtractContainerResourceValue (cpu in ceil(milli/divisor), others ceil(value/divisor))."""
    where = _RESOURCE_NAMES.get(ref.get("resource", ""))
    if where is None:
        return ""
    raw = _g(container, "resources", where[0], where[1])
    q = _q(raw) if raw is not None else (Fraction(0), "DecimalSI")
    divisor = _q(ref.get("divisor") or "1") or (Fraction(1), "DecimalSI")
    if divisor[0] == 0:
        divisor = (Fraction(1), "DecimalSI")
    if q is None:
        return ""
    if where[1] == "cpu":
        return str(_ceil(Fraction(_milli(q)) / _milli(divisor)))
    return str(_ceil(Fraction(_value(q)) / _value(divisor)))


def _describe_env(w: _Writer, container: dict, pod: dict | None) -> None:
    env = container.get("env") or []
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for e in env:
        vf = e.get("valueFrom")
        if not isinstance(vf, dict):
            for i, s in enumerate(str(e.get("value", "")).split("\n")):
                w.write(3, f"{e.get('name', '')}:\t{s}\n" if i == 0 else f"\t{s}\n")
            continue
        if isinstance(vf.get("fieldRef"), dict):
            ref = vf["fieldRef"]
            value = _field_value(pod, ref.get("fieldPath", "")) if pod is not None else ""
            w.write(3, f"{e.get('name', '')}:\t{value} ({ref.get('apiVersion', '')}:{ref.get('fieldPath', '')})\n")
        elif isinstance(vf.get("resourceFieldRef"), dict):
            ref = vf["resourceFieldRef"]
            value = _resource_field_value(ref, container)
            resource = ref.get("resource", "")
            if value == "0" and resource in ("limits.cpu", "limits.memory"):
                value = "node allocatable"
            w.write(3, f"{e.get('name', '')}:\t{value} ({resource})\n")
        elif isinstance(vf.get("secretKeyRef"), dict):
            ref = vf["secretKeyRef"]
            optional = "true" if ref.get("optional") else "false"
            w.write(3, f"{e.get('name', '')}:\t<set to the key '{ref.get('key', '')}' in secret '{ref.get('name', '')}'>\tOptional: {optional}\n")
        elif isinstance(vf.get("configMapKeyRef"), dict):
            ref = vf["configMapKeyRef"]
            optional = "true" if ref.get("optional") else "false"
            w.write(3, f"{e.get('name', '')}:\t<set to the key '{ref.get('key', '')}' of config map '{ref.get('name', '')}'>\tOptional: {optional}\n")


def _describe_env_from(w: _Writer, container: dict) -> None:
    w.write(2, "Environment Variables from:\n")
    for e in container.get("envFrom") or []:
        source, name, optional = "", "", False
        if isinstance(e.get("configMapRef"), dict):
            source, name, optional = "ConfigMap", e["configMapRef"].get("name", ""), bool(e["configMapRef"].get("optional"))
        elif isinstance(e.get("secretRef"), dict):
            source, name, optional = "Secret", e["secretRef"].get("name", ""), bool(e["secretRef"].get("optional"))
        opt = "true" if optional else "false"
        if e.get("prefix"):
            w.write(3, f"{name}\t{source} with prefix '{e['prefix']}'\tOptional: {opt}\n")
        else:
            w.write(3, f"{name}\t{source}\tOptional: {opt}\n")


def _describe_mounts(w: _Writer, container: dict) -> None:
    mounts = container.get("volumeMounts") or []
    w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
    for m in sorted(mounts, key=lambda m: m.get("mountPath", "")):
        flags = ["ro" if m.get("readOnly") else "rw"]
        if m.get("subPath"):
            flags.append(f'path="{m["subPath"]}"')
        w.write(3, f"{m.get('mountPath', '')} from {m.get('name', '')} ({','.join(flags)})\n")
    devices = container.get("volumeDevices") or []
    if devices:
        w.write(2, "Devices:\n")
        for d in sorted(devices, key=lambda d: d.get("devicePath", "")):
            w.write(3, f"{d.get('devicePath', '')} from {d.get('name', '')}\n")


def describe_containers(w: _Writer, label: str, containers: list | None, statuses: list | None,
                        pod: dict | None, space: str) -> None:
    containers = containers or []
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for c in containers:
        status = by_name.get(c.get("name"))
        ok = status is not None
        w.write(1, f"{' ' if space else ''}{c.get('name', '')}:\n")
        if ok:
            w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if ok:
            w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
        ports = _container_ports(c.get("ports"), "containerPort")
        if "," in ports:
            w.write(2, f"Ports:\t{ports}\n")
        else:
            w.write(2, f"Port:\t{_string_or_none(ports)}\n")
        host_ports = _container_ports(c.get("ports"), "hostPort")
        if "," in host_ports:
            w.write(2, f"Host Ports:\t{host_ports}\n")
        else:
            w.write(2, f"Host Port:\t{_string_or_none(host_ports)}\n")
        seccomp = _g(c, "securityContext", "seccompProfile")
        if isinstance(seccomp, dict):
            w.write(2, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
            if seccomp.get("type") == "Localhost":
                w.write(3, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")
        for key, title in (("command", "Command"), ("args", "Args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for s in str(item).split("\n"):
                        w.write(3, f"{s}\n")
        if ok:
            _describe_status(w, "State", status.get("state"))
            last = status.get("lastState") or {}
            if isinstance(last.get("terminated"), dict):
                _describe_status(w, "Last State", last)
            w.write(2, f"Ready:\t{_print_bool(status.get('ready'))}\n")
            w.write(2, f"Restart Count:\t{_int(status.get('restartCount'))}\n")
        _describe_resources(w, c.get("resources"), 2)
        for key, title in (("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"), ("startupProbe", "Startup")):
            if isinstance(c.get(key), dict):
                w.write(2, f"{title}:\t{describe_probe(c[key])}\n")
        if c.get("envFrom"):
            _describe_env_from(w, c)
        _describe_env(w, c, pod)
        _describe_mounts(w, c)


def _describe_volume_source(w: _Writer, v: dict) -> None:
    if isinstance(v.get("hostPath"), dict):
        hp = v["hostPath"]
        w.write(2, f"Type:\tHostPath (bare host directory volume)\n    Path:\t{hp.get('path', '')}\n"
                   f"    HostPathType:\t{hp.get('type') if hp.get('type') is not None else '<none>'}\n")
    elif isinstance(v.get("emptyDir"), dict):
        ed = v["emptyDir"]
        size = ed.get("sizeLimit")
        size_limit = quantity_string(size) if size is not None and (_q(size) or (0,))[0] > 0 else "<unset>"
        w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                   f"    Medium:\t{ed.get('medium', '')}\n    SizeLimit:\t{size_limit}\n")
    elif isinstance(v.get("secret"), dict):
        s = v["secret"]
        w.write(2, f"Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{s.get('secretName', '')}\n"
                   f"    Optional:\t{'true' if s.get('optional') else 'false'}\n")
    elif isinstance(v.get("configMap"), dict):
        cm = v["configMap"]
        w.write(2, f"Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{cm.get('name', '')}\n"
                   f"    Optional:\t{'true' if cm.get('optional') else 'false'}\n")
    elif isinstance(v.get("nfs"), dict):
        n = v["nfs"]
        w.write(2, f"Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{n.get('server', '')}\n"
                   f"    Path:\t{n.get('path', '')}\n    ReadOnly:\t{'true' if n.get('readOnly') else 'false'}\n")
    elif isinstance(v.get("persistentVolumeClaim"), dict):
        p = v["persistentVolumeClaim"]
        w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
                   f"    ClaimName:\t{p.get('claimName', '')}\n    ReadOnly:\t{'true' if p.get('readOnly') else 'false'}\n")
    elif isinstance(v.get("downwardAPI"), dict):
        w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
        for item in v["downwardAPI"].get("items") or []:
            if isinstance(item.get("fieldRef"), dict):
                w.write(3, f"{item['fieldRef'].get('fieldPath', '')} -> {item.get('path', '')}\n")
            if isinstance(item.get("resourceFieldRef"), dict):
                w.write(3, f"{item['resourceFieldRef'].get('resource', '')} -> {item.get('path', '')}\n")
    elif isinstance(v.get("projected"), dict):
        w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
        for source in v["projected"].get("sources") or []:
            if isinstance(source.get("secret"), dict):
                opt = "true" if source["secret"].get("optional") else "false"
                w.write(2, f"SecretName:\t{source['secret'].get('name', '')}\n    Optional:\t{opt}\n")
            elif isinstance(source.get("downwardAPI"), dict):
                w.write(2, "DownwardAPI:\ttrue\n")
            elif isinstance(source.get("configMap"), dict):
                opt = "true" if source["configMap"].get("optional") else "false"
                w.write(2, f"ConfigMapName:\t{source['configMap'].get('name', '')}\n    Optional:\t{opt}\n")
            elif isinstance(source.get("serviceAccountToken"), dict):
                w.write(2, f"TokenExpirationSeconds:\t{_int(source['serviceAccountToken'].get('expirationSeconds'))}\n")
    elif isinstance(v.get("csi"), dict):
        c = v["csi"]
        w.write(2, f"Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{c.get('driver', '')}\n"
                   f"    FSType:\t{c.get('fsType') or ''}\n    ReadOnly:\t{'true' if c.get('readOnly') else 'false'}\n")
        attrs = c.get("volumeAttributes") or {}
        w.write(2, "VolumeAttributes:\t")
        if not attrs:
            w.write_line("<none>")
        for i, k in enumerate(sorted(attrs)):
            if i:
                w.write(2, "\t")
            line = f"{k}={attrs[k]}"
            w.write(2, (line[:MAX_ANNOTATION_LEN] + "...\n") if len(line) > MAX_ANNOTATION_LEN else line + "\n")
    else:
        w.write(1, "<unknown>\n")


def describe_volumes(w: _Writer, volumes: list | None, space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for v in volumes:
        w.write(1, f"{' ' if space else ''}{v.get('name', '')}:\n")
        _describe_volume_source(w, v)


def describe_topology_spread(w: _Writer, constraints: list | None, space: str) -> None:
    if not constraints:
        return
    w.write(0, f"{space}Topology Spread Constraints:\t")
    for i, tsc in enumerate(sorted(constraints, key=lambda t: t.get("topologyKey", ""))):
        if i:
            w.write(0, space)
            w.write(0, "\t")
        text = f"{tsc.get('topologyKey', '')}:{tsc.get('whenUnsatisfiable', '')} when max skew {_int(tsc.get('maxSkew'))} is exceeded"
        if tsc.get("labelSelector") is not None:
            text += f" for selector {format_label_selector(tsc['labelSelector'])}"
        w.write(0, text + "\n")


def describe_pod_template(w: _Writer, template: dict | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    print_labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        print_annotations_multiline(w, "  Annotations", meta.get("annotations"))
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        describe_containers(w, "Init Containers", spec.get("initContainers"), None, None, "  ")
    describe_containers(w, "Containers", spec.get("containers"), None, None, "  ")
    describe_volumes(w, spec.get("volumes"), "  ")
    describe_topology_spread(w, spec.get("topologySpreadConstraints"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    print_labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    print_tolerations_multiline(w, "  Tolerations", spec.get("tolerations"))


def _controlled_by(obj: dict) -> str:
    ref = controller_of(obj)
    return f"{ref.get('kind', '')}/{ref.get('name', '')}" if ref else ""


def _conditions_type_status_reason(w: _Writer, conditions: list | None) -> None:
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")


def _selector_matches(selector: Any, labels: dict) -> bool:
    """Equality/set-based match of a LabelSelector (dict with matchLabels/matchExpressions) or a map."""
    if selector is None:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _pod_counts(obj: dict, selector: Any, related: dict) -> tuple[int, int, int, int]:
    running = waiting = succeeded = failed = 0
    uid = _meta(obj, "uid")
    for pod in related.get("pods") or []:
        if uid:
            ref = controller_of(pod)
            if ref is None or ref.get("uid") != uid:
                continue
        elif not _selector_matches(selector, _meta(pod, "labels", {}) or {}):
            continue
        phase = _g(pod, "status", "phase")
        if phase == "Running":
            running += 1
        elif phase == "Pending":
            waiting += 1
        elif phase == "Succeeded":
            succeeded += 1
        elif phase == "Failed":
            failed += 1
    return running, waiting, succeeded, failed


# ---------------------------------------------------------------------------------------------
# describers


def _describe_deployment(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    try:
        selector = selector_string(spec.get("selector"))
    except SelectorError as err:
        return f"error: {err}\n"
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(_meta(obj, 'creationTimestamp'))}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"Selector:\t{selector}\n")
    w.write(0, f"Replicas:\t{_int(spec.get('replicas'))} desired | {_int(status.get('updatedReplicas'))} updated | "
               f"{_int(status.get('replicas'))} total | {_int(status.get('availableReplicas'))} available | "
               f"{_int(status.get('unavailableReplicas'))} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{_int(spec.get('minReadySeconds'))}\n")
    if isinstance(strategy.get("rollingUpdate"), dict):
        ru = strategy["rollingUpdate"]
        w.write(0, f"RollingUpdateStrategy:\t{_intstr(ru.get('maxUnavailable'))} max unavailable, "
                   f"{_intstr(ru.get('maxSurge'))} max surge\n")
    describe_pod_template(w, spec.get("template"))
    _conditions_type_status_reason(w, status.get("conditions"))
    old = [rs for rs in related.get("old_replicasets") or [] if rs]
    new = [related["new_replicaset"]] if related.get("new_replicaset") else []
    if old or new:
        w.write(0, f"OldReplicaSets:\t{_rs_list(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_rs_list(new)}\n")
    _events(w, events, now)
    return w.render()


def _rs_list(rss: list[dict]) -> str:
    items = [
        f"{_meta(rs, 'name', '')} ({_int(_g(rs, 'status', 'replicas'))}/{_int(_g(rs, 'spec', 'replicas'))} replicas created)"
        for rs in rss
    ]
    return ", ".join(items) or "<none>"


def _describe_replica_set(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    w.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    if _controlled_by(obj):
        w.write(0, f"Controlled By:\t{_controlled_by(obj)}\n")
    w.write(0, f"Replicas:\t{_int(status.get('replicas'))} current / {_int(spec.get('replicas'))} desired\n")
    running, waiting, succeeded, failed = _pod_counts(obj, spec.get("selector"), related)
    w.write(0, "Pods Status:\t")
    w.write(0, f"{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n")
    describe_pod_template(w, spec.get("template"))
    _conditions_type_status_reason(w, status.get("conditions"))
    _events(w, events, now)
    return w.render()


def _describe_replication_controller(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"Replicas:\t{_int(status.get('replicas'))} current / {_int(spec.get('replicas'))} desired\n")
    running, waiting, succeeded, failed = _pod_counts(obj, spec.get("selector") or {}, related)
    w.write(0, f"Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n")
    describe_pod_template(w, spec.get("template"))
    _conditions_type_status_reason(w, status.get("conditions"))
    _events(w, events, now)
    return w.render()


def _describe_daemon_set(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    try:
        selector = selector_string(spec.get("selector"))
    except SelectorError as err:
        return f"error: {err}\n"
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    w.write(0, f"Selector:\t{selector}\n")
    w.write(0, f"Node-Selector:\t{format_labels(_g(spec, 'template', 'spec', 'nodeSelector'))}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"Desired Number of Nodes Scheduled: {_int(status.get('desiredNumberScheduled'))}\n")
    w.write(0, f"Current Number of Nodes Scheduled: {_int(status.get('currentNumberScheduled'))}\n")
    w.write(0, f"Number of Nodes Scheduled with Up-to-date Pods: {_int(status.get('updatedNumberScheduled'))}\n")
    w.write(0, f"Number of Nodes Scheduled with Available Pods: {_int(status.get('numberAvailable'))}\n")
    w.write(0, f"Number of Nodes Misscheduled: {_int(status.get('numberMisscheduled'))}\n")
    running, waiting, succeeded, failed = _pod_counts(obj, spec.get("selector"), related)
    w.write(0, f"Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n")
    describe_pod_template(w, spec.get("template"))
    _events(w, events, now)
    return w.render()


def _describe_stateful_set(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    try:
        selector = selector_string(spec.get("selector"))
    except SelectorError as err:
        return f"error: {err}\n"
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(_meta(obj, 'creationTimestamp'))}\n")
    w.write(0, f"Selector:\t{selector}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"Replicas:\t{_int(spec.get('replicas'))} desired | {_int(status.get('replicas'))} total\n")
    strategy = spec.get("updateStrategy") or {}
    w.write(0, f"Update Strategy:\t{strategy.get('type', '')}\n")
    ru = strategy.get("rollingUpdate")
    if isinstance(ru, dict) and ru.get("partition") is not None:
        w.write(1, f"Partition:\t{_int(ru['partition'])}\n")
        if ru.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{ru['maxUnavailable']}\n")
    running, waiting, succeeded, failed = _pod_counts(obj, spec.get("selector"), related)
    w.write(0, f"Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed\n")
    describe_pod_template(w, spec.get("template"))
    templates = spec.get("volumeClaimTemplates") or []
    if not templates:
        w.write(0, "Volume Claims:\t<none>\n")
    else:
        w.write(0, "Volume Claims:\n")
        for pvc in templates:
            w.write(1, f"Name:\t{_meta(pvc, 'name', '')}\n")
            w.write(1, f"StorageClass:\t{pv_class(pvc)}\n")
            print_labels_multiline(w, "Labels", _meta(pvc, "labels"), initial_indent="  ")
            print_labels_multiline(w, "Annotations", _meta(pvc, "annotations"), initial_indent="  ")
            storage = _g(pvc, "spec", "resources", "requests", "storage")
            w.write(1, f"Capacity:\t{quantity_string(storage) if storage is not None else '<default>'}\n")
            w.write(1, f"Access Modes:\t{go_value(_g(pvc, 'spec', 'accessModes', default=[]) or [])}\n")
    _events(w, events, now)
    return w.render()


def _describe_job(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    try:
        w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    except SelectorError as err:
        w.write(0, f"Selector:\tFailed to get selector: {err}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    if _controlled_by(obj):
        w.write(0, f"Controlled By:\t{_controlled_by(obj)}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{_int(spec['parallelism'])}\n")
    if spec.get("completions") is not None:
        w.write(0, f"Completions:\t{_int(spec['completions'])}\n")
    else:
        w.write(0, "Completions:\t<unset>\n")
    if spec.get("completionMode") is not None:
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{go_value(bool(spec['suspend']))}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{_int(spec['backoffLimit'])}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{_int(spec['ttlSecondsAfterFinished'])}\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    if status.get("completionTime"):
        w.write(0, f"Completed At:\t{rfc1123z(status['completionTime'])}\n")
    start, done = parse_timestamp(status.get("startTime")), parse_timestamp(status.get("completionTime"))
    if start is not None and done is not None:
        w.write(0, f"Duration:\t{human_duration(done - start)}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{_int(spec['activeDeadlineSeconds'])}s\n")
    active, succeeded, failed = _int(status.get("active")), _int(status.get("succeeded")), _int(status.get("failed"))
    if status.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n")
    else:
        w.write(0, f"Pods Statuses:\t{active} Active ({_int(status['ready'])} Ready) / {succeeded} Succeeded / {failed} Failed\n")
    if spec.get("completionMode") == "Indexed":
        indexes = status.get("completedIndexes") or ""
        if not indexes:
            shown = "<none>"
        else:
            ix = 50
            while ix < len(indexes) and indexes[ix] != ",":
                ix += 1
            shown = indexes if ix >= len(indexes) else indexes[: ix + 1] + "..."
        w.write(0, f"Completed Indexes:\t{shown}\n")
    describe_pod_template(w, spec.get("template"))
    _events(w, events, now)
    return w.render()


def _describe_cron_job(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"Schedule:\t{spec.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n")
    w.write(0, f"Suspend:\t{_print_bool_ptr(spec.get('suspend'))}\n")
    w.write(0, f"Time Zone:\t{spec.get('timeZone') if spec.get('timeZone') is not None else '<unset>'}\n")
    for key, title in (("successfulJobsHistoryLimit", "Successful Job History Limit"),
                       ("failedJobsHistoryLimit", "Failed Job History Limit")):
        w.write(0, f"{title}:\t{_int(spec[key]) if spec.get(key) is not None else '<unset>'}\n")
    if spec.get("startingDeadlineSeconds") is not None:
        w.write(0, f"Starting Deadline Seconds:\t{_int(spec['startingDeadlineSeconds'])}s\n")
    else:
        w.write(0, "Starting Deadline Seconds:\t<unset>\n")
    job_spec = _g(spec, "jobTemplate", "spec", default={}) or {}
    if job_spec.get("selector") is not None:
        try:
            w.write(0, f"Selector:\t{selector_string(job_spec['selector'])}\n")
        except SelectorError as err:
            w.write(0, f"Selector:\tFailed to get selector: {err}\n")
    else:
        w.write(0, "Selector:\t<unset>\n")
    for key, title in (("parallelism", "Parallelism"), ("completions", "Completions")):
        w.write(0, f"{title}:\t{_int(job_spec[key]) if job_spec.get(key) is not None else '<unset>'}\n")
    if job_spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{_int(job_spec['activeDeadlineSeconds'])}s\n")
    describe_pod_template(w, job_spec.get("template"))
    last = status.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{rfc1123z(last) if last else '<unset>'}\n")
    w.write(0, "Active Jobs:\t")
    active = status.get("active") or []
    if not active:
        w.write_line("<none>")
    else:
        w.write(0, ", ".join(j.get("name", "") for j in active))
        w.write_line("")
    _events(w, events, now)
    return w.render()


def _describe_pod(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{_int(spec['priority'])}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    if not spec.get("nodeName"):
        w.write(0, "Node:\t<none>\n")
    else:
        w.write(0, f"Node:\t{spec['nodeName']}/{status.get('hostIP', '')}\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'])}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    phase = status.get("phase", "")
    if _meta(obj, "deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(_meta(obj, 'deletionTimestamp'), now)})\n")
        w.write(0, f"Termination Grace Period:\t{_int(_meta(obj, 'deletionGracePeriodSeconds'))}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    seccomp = _g(spec, "securityContext", "seccompProfile")
    if isinstance(seccomp, dict):
        w.write(0, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
        if seccomp.get("type") == "Localhost":
            w.write(0, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    pod_ips = status.get("podIPs") or []
    if not pod_ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in pod_ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    if _controlled_by(obj):
        w.write(0, f"Controlled By:\t{_controlled_by(obj)}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if isinstance(spec.get("resources"), dict):
        w.write(0, "Resources:\n")
        _describe_resources(w, spec["resources"], 1)
    if spec.get("initContainers"):
        describe_containers(w, "Init Containers", spec.get("initContainers"), status.get("initContainerStatuses"), obj, "")
    describe_containers(w, "Containers", spec.get("containers"), status.get("containerStatuses"), obj, "")
    if spec.get("ephemeralContainers"):
        describe_containers(w, "Ephemeral Containers", spec.get("ephemeralContainers"),
                            status.get("ephemeralContainerStatuses"), obj, "")
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in spec["readinessGates"]:
            value = "<none>"
            for c in status.get("conditions") or []:
                if c.get("type") == gate.get("conditionType"):
                    value = c.get("status", "")
                    break
            w.write(1, f"{gate.get('conditionType', '')} \t{value} \n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \n")
    describe_volumes(w, spec.get("volumes"), "")
    w.write(0, f"QoS Class:\t{pod_qos_class(obj)}\n")
    print_labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    print_tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    describe_topology_spread(w, spec.get("topologySpreadConstraints"), "")
    _events(w, events, now)
    return w.render()


def _describe_namespace(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"Status:\t{_g(obj, 'status', 'phase', default='')}\n")
    conditions = _g(obj, "status", "conditions", default=[]) or []
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t{rfc1123z(c.get('lastTransitionTime'))}\t"
                       f"{c.get('reason', '')}\t{c.get('message', '')}\n")
    w.write(0, "\n")
    _describe_resource_quotas(w, related.get("resource_quotas") or [])
    w.write(0, "\n")
    _describe_limit_ranges(w, related.get("limit_ranges") or [])
    return w.render()


def _describe_resource_quotas(w: _Writer, quotas: list[dict]) -> None:
    if not quotas:
        w.write(0, "No resource quota.\n")
        return
    w.write(0, "Resource Quotas\n")
    for q in sorted(quotas, key=lambda q: _meta(q, "name", "")):
        w.write(1, f"Name:\t{_meta(q, 'name', '')}\n")
        scopes = sorted(_g(q, "spec", "scopes", default=[]) or [])
        if scopes:
            w.write(1, f"Scopes:\t{', '.join(scopes)}\n")
            for scope in scopes:
                text = _QUOTA_SCOPE_HELP.get(scope, "")
                if text:
                    w.write(1, f"* {text}\n")
        w.write(1, "Resource\tUsed\tHard\n")
        w.write(1, "--------\t---\t---\n")
        hard = _g(q, "status", "hard", default={}) or {}
        used = _g(q, "status", "used", default={}) or {}
        for res in sorted(hard):
            w.write(1, f"{res}\t{quantity_string(used.get(res, '0'))}\t{quantity_string(hard[res])}\n")


_QUOTA_SCOPE_HELP = {
    "Terminating": "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system.",
    "NotTerminating": "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate.",
    "BestEffort": "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service.",
    "NotBestEffort": "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service.",
}


def _limit_range_rows(w: _Writer, spec: dict, prefix: str) -> None:
    for item in spec.get("limits") or []:
        fields = {k: item.get(k) or {} for k in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")}
        names = sorted(set().union(*[set(v) for v in fields.values()]))
        for k in names:  # upstream iterates a Go map (random order); sorted here for stable output

            def val(key: str) -> str:
                return quantity_string(fields[key][k]) if k in fields[key] else "-"

            w.write(0, f"{prefix}{item.get('type', '')}\t{k}\t{val('min')}\t{val('max')}\t{val('defaultRequest')}\t"
                       f"{val('default')}\t{val('maxLimitRequestRatio')}\n")


def _describe_limit_ranges(w: _Writer, ranges: list[dict]) -> None:
    if not ranges:
        w.write(0, "No LimitRange resource.\n")
        return
    w.write(0, "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n")
    w.write(0, " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n")
    for lr in ranges:
        _limit_range_rows(w, lr.get("spec") or {}, " ")


def _describe_limit_range(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    w.write(0, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n")
    w.write(0, "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n")
    _limit_range_rows(w, obj.get("spec") or {}, "")
    return w.render()


def _describe_resource_quota(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    scopes = sorted(_g(obj, "spec", "scopes", default=[]) or [])
    if scopes:
        w.write(0, f"Scopes:\t{', '.join(scopes)}\n")
        for scope in scopes:
            if _QUOTA_SCOPE_HELP.get(scope):
                w.write(0, f" * {_QUOTA_SCOPE_HELP[scope]}\n")
    w.write(0, "Resource\tUsed\tHard\n")
    w.write(0, "--------\t----\t----\n")
    hard = _g(obj, "status", "hard", default={}) or {}
    used = _g(obj, "status", "used", default={}) or {}
    for res in sorted(hard):
        hq = _q(hard[res])
        uq = _q(used.get(res, "0"))
        if hq is not None and uq is not None and hq[1] != uq[1]:
            used_s = canonical_quantity(Fraction(_value(uq)), hq[1])
        else:
            used_s = quantity_string(used.get(res, "0"))
        w.write(0, f"{res}\t{used_s}\t{quantity_string(hard[res])}\n")
    return w.render()


def _describe_node(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    name = _meta(obj, "name", "")
    w.write(0, f"Name:\t{name}\n")
    w.write(0, f"Roles:\t{','.join(find_node_roles(obj)) or '<none>'}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(_meta(obj, 'creationTimestamp'))}\n")
    print_taints_multiline(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{go_value(bool(spec.get('unschedulable')))}\n")
    lease = related.get("lease")
    if isinstance(lease, dict):
        ls = lease.get("spec") or {}
        w.write(0, "Lease:\n")
        w.write(1, f"HolderIdentity:\t{ls.get('holderIdentity') or '<unset>'}\n")
        w.write(1, f"AcquireTime:\t{rfc1123z(ls['acquireTime']) if ls.get('acquireTime') else '<unset>'}\n")
        w.write(1, f"RenewTime:\t{rfc1123z(ls['renewTime']) if ls.get('renewTime') else '<unset>'}\n")
    else:
        w.write(0, f'Lease:\tFailed to get lease: leases.coordination.k8s.io "{name}" not found\n')
    conditions = status.get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \t{rfc1123z(c.get('lastHeartbeatTime'))} \t"
                       f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for a in status.get("addresses") or []:
        w.write(1, f"{a.get('type', '')}:\t{a.get('address', '')}\n")
    for key, title in (("capacity", "Capacity"), ("allocatable", "Allocatable")):
        values = status.get(key) or {}
        if values:
            w.write(0, f"{title}:\n")
            for res in sorted(values):
                w.write(0, f"  {res}:\t{quantity_string(values[res])}\n")
    info = status.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for key, title in (("machineID", "Machine ID"), ("systemUUID", "System UUID"), ("bootID", "Boot ID"),
                       ("kernelVersion", "Kernel Version"), ("osImage", "OS Image"),
                       ("operatingSystem", "Operating System"), ("architecture", "Architecture"),
                       ("containerRuntimeVersion", "Container Runtime Version"), ("kubeletVersion", "Kubelet Version")):
        w.write(0, f"  {title}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    pods = [
        p for p in related.get("pods") or []
        if _g(p, "spec", "nodeName") == name and _g(p, "status", "phase") not in ("Succeeded", "Failed")
    ]
    _describe_node_resource(w, obj, pods, now)
    _events(w, events, now)
    return w.render()


def _describe_node_resource(w: _Writer, node: dict, pods: list[dict], now: float) -> None:
    status = node.get("status") or {}
    allocatable = status.get("allocatable") or status.get("capacity") or {}
    alloc = {k: _q(v) for k, v in allocatable.items()}
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    for pod in pods:
        req, lim = _pod_resources(pod, "requests"), _pod_resources(pod, "limits")
        cpu_alloc, mem_alloc = _milli(alloc.get("cpu")), _value(alloc.get("memory"))
        w.write(1, f"{_meta(pod, 'namespace', '')}\t{_meta(pod, 'name', '')}\t\t"
                   f"{_qstr(req.get('cpu'))} ({_percent(_milli(req.get('cpu')), cpu_alloc)}%)\t"
                   f"{_qstr(lim.get('cpu'))} ({_percent(_milli(lim.get('cpu')), cpu_alloc)}%)\t"
                   f"{_qstr(req.get('memory'))} ({_percent(_value(req.get('memory')), mem_alloc)}%)\t"
                   f"{_qstr(lim.get('memory'))} ({_percent(_value(lim.get('memory')), mem_alloc)}%)\t"
                   f"{since(_meta(pod, 'creationTimestamp'), now)}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    reqs: dict = {}
    limits: dict = {}
    for pod in pods:
        for total, key in ((reqs, "requests"), (limits, "limits")):
            for name, q in _pod_resources(pod, key).items():
                total[name] = (total[name][0] + q[0], total[name][1]) if name in total else q
    for res, measure in (("cpu", _milli), ("memory", _value), ("ephemeral-storage", _value)):
        whole = measure(alloc.get(res))
        w.write(1, f"{res}\t{_qstr(reqs.get(res))} ({_percent(measure(reqs.get(res)), whole)}%)\t"
                   f"{_qstr(limits.get(res))} ({_percent(measure(limits.get(res)), whole)}%)\n")
    hugepages = sorted(r for r in allocatable if r.startswith("hugepages-"))
    standard = {"cpu", "memory", "ephemeral-storage", "pods"}
    extended = sorted(r for r in allocatable if not r.startswith("hugepages-") and r not in standard
                      and not r.startswith("requests.") and not r.startswith("limits."))
    for res in hugepages:
        whole = _value(alloc.get(res))
        w.write(1, f"{res}\t{_qstr(reqs.get(res))} ({_percent(_value(reqs.get(res)), whole)}%)\t"
                   f"{_qstr(limits.get(res))} ({_percent(_value(limits.get(res)), whole)}%)\n")
    for res in extended:
        w.write(1, f"{res}\t{_qstr(reqs.get(res))}\t{_qstr(limits.get(res))}\n")


def _format_endpoint_slices(slices: list[dict], port_name: str) -> str:
    if not slices:
        return "<none>"
    items: list[str] = []
    max_n, more, count = 3, False, 0
    for s in slices:
        if not s.get("ports"):
            for ep in s.get("endpoints") or []:
                if len(items) == max_n:
                    more = True
                ready = _g(ep, "conditions", "ready")
                if ready is False:
                    continue
                if not more:
                    items.append((ep.get("addresses") or [""])[0])
                count += 1
        else:
            for port in s.get("ports") or []:
                if (port.get("name") or "") != port_name:
                    continue
                for ep in s.get("endpoints") or []:
                    if len(items) == max_n:
                        more = True
                    ready = _g(ep, "conditions", "ready")
                    if ready is False:
                        continue
                    if not more:
                        items.append(_join_host_port((ep.get("addresses") or [""])[0], str(_int(port.get("port")))))
                    count += 1
    ret = ",".join(items)
    if more:
        return f"{ret} + {count - max_n} more..."
    return ret


def _describe_service(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec = obj.get("spec") or {}
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type', '')}\n")
    if spec.get("ipFamilyPolicy") is not None:
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = _g(obj, "status", "loadBalancer", "ingress", default=[]) or []
    if ingress:
        parts = []
        for ing in ingress:
            if ing.get("ip"):
                parts.append(ing["ip"] + (f" ({ing['ipMode']})" if ing.get("ipMode") else ""))
            else:
                parts.append(ing.get("hostname", ""))
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(parts)}\n")
    slices = related.get("endpointslices")
    endpoints = related.get("endpoints")
    for sp in spec.get("ports") or []:
        name = sp.get("name") or "<unset>"
        protocol = sp.get("protocol", "")
        w.write(0, f"Port:\t{name}\t{_int(sp.get('port'))}/{protocol}\n")
        target = sp.get("targetPort")
        if isinstance(target, str):
            w.write(0, f"TargetPort:\t{target}/{protocol}\n")
        else:
            w.write(0, f"TargetPort:\t{_int(target)}/{protocol}\n")
        if sp.get("appProtocol") is not None:
            w.write(0, f"AppProtocol:\t{sp['appProtocol']}\n")
        if _int(sp.get("nodePort")):
            w.write(0, f"NodePort:\t{name}\t{_int(sp['nodePort'])}/{protocol}\n")
        if slices is None and isinstance(endpoints, dict):
            eps = format_endpoints(endpoints, {sp.get("name") or ""})
        else:
            eps = _format_endpoint_slices(slices or [], sp.get("name") or "")
        w.write(0, f"Endpoints:\t{eps}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy") is not None:
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if _int(spec.get("healthCheckNodePort")):
        w.write(0, f"HealthCheck NodePort:\t{_int(spec['healthCheckNodePort'])}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    if spec.get("trafficDistribution") is not None:
        w.write(0, f"Traffic Distribution:\t{spec['trafficDistribution']}\n")
    _events(w, events, now)
    return w.render()


def _describe_endpoints(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, "Subsets:\n")
    for subset in obj.get("subsets") or []:
        addresses = ",".join(a.get("ip", "") for a in subset.get("addresses") or []) or "<none>"
        w.write(1, f"Addresses:\t{addresses}\n")
        not_ready = ",".join(a.get("ip", "") for a in subset.get("notReadyAddresses") or []) or "<none>"
        w.write(1, f"NotReadyAddresses:\t{not_ready}\n")
        if subset.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                w.write(2, f"{port.get('name') or '<unset>'}\t{_int(port.get('port'))}\t{port.get('protocol', '')}\n")
        w.write(0, "\n")
    _events(w, events, now)
    return w.render()


def _describe_endpoint_slice(obj: dict, events: list | None, now: float, related: dict) -> str:
    """describe.go's describeEndpointSliceV1."""
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"AddressType:\t{obj.get('addressType', '')}\n")
    ports = obj.get("ports") or []
    if not ports:
        w.write(0, "Ports: <unset>\n")
    else:
        w.write(0, "Ports:\n")
        w.write(1, "Name\tPort\tProtocol\n")
        w.write(1, "----\t----\t--------\n")
        for p in ports:
            port = "<unset>" if p.get("port") is None else str(_int(p.get("port")))
            w.write(1, f"{p.get('name') or '<unset>'}\t{port}\t{p.get('protocol', '')}\n")
    eps = obj.get("endpoints") or []
    if not eps:
        w.write(0, "Endpoints: <none>\n")
    else:
        w.write(0, "Endpoints:\n")
        for ep in eps:
            w.write(1, f"- Addresses:\t{', '.join(ep.get('addresses') or []) or '<none>'}\n")
            w.write(2, "Conditions:\n")
            ready = (ep.get("conditions") or {}).get("ready")
            w.write(3, f"Ready:\t{'<unset>' if ready is None else str(bool(ready)).lower()}\n")
            w.write(2, f"Hostname:\t{ep['hostname'] if ep.get('hostname') is not None else '<unset>'}\n")
            if ep.get("targetRef"):
                w.write(2, f"TargetRef:\t{ep['targetRef'].get('kind', '')}/{ep['targetRef'].get('name', '')}\n")
            w.write(2, f"NodeName:\t{ep['nodeName'] if ep.get('nodeName') is not None else '<unset>'}\n")
            w.write(2, f"Zone:\t{ep['zone'] if ep.get('zone') is not None else '<unset>'}\n")
    _events(w, events, now)
    return w.render()


def _describe_config_map(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, "\nData\n====\n")
    data = obj.get("data") or {}
    for k in sorted(data):
        w.write(0, f"{k}:\n----\n")
        w.write(0, f"{data[k]}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    binary = obj.get("binaryData") or {}
    for k in sorted(binary):
        w.write(0, f"{k}: {len(_b64decode(binary[k]))} bytes\n")
    w.write(0, "\n")
    _events(w, events, now)
    return w.render()


def _b64decode(s: Any) -> bytes:
    try:
        return base64.b64decode(str(s), validate=False)
    except (binascii.Error, ValueError):
        return str(s).encode("utf-8")


def _describe_secret(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"\nType:\t{obj.get('type', '')}\n")
    w.write(0, "\nData\n====\n")
    data = obj.get("data") or {}
    for k in sorted(data):
        raw = _b64decode(data[k])
        if k == "token" and obj.get("type") == "kubernetes.io/service-account-token":
            w.write(0, f"{k}:\t{raw.decode('utf-8', errors='replace')}\n")
        else:
            w.write(0, f"{k}:\t{len(raw)} bytes\n")
    return w.render()


def _describe_service_account(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    names = [s.get("name", "") for s in obj.get("imagePullSecrets") or []]
    header, empty = "Image pull secrets:", "                   "
    if not names:
        w.write(0, f"{header}\t<none>\n")
    for i, n in enumerate(names):
        w.write(0, f"{header if i == 0 else empty}\t{n}\n")
    _events(w, events, now)
    return w.render()


def _policy_rule_key(r: dict) -> str:
    def lst(key: str) -> str:
        return "[" + " ".join(r.get(key) or []) + "]"

    return (f"&PolicyRule{{Verbs:{lst('verbs')},APIGroups:{lst('apiGroups')},Resources:{lst('resources')},"
            f"ResourceNames:{lst('resourceNames')},NonResourceURLs:{lst('nonResourceURLs')},}}")


def _compact_rules(rules: list[dict]) -> list[dict]:
    """kubectl rbac.BreakdownRule + CompactRules + SortableRuleSlice."""
    broken: list[dict] = []
    for rule in rules:
        verbs = list(rule.get("verbs") or [])
        for group in rule.get("apiGroups") or []:
            for resource in rule.get("resources") or []:
                if rule.get("resourceNames"):
                    for rn in rule["resourceNames"]:
                        broken.append({"apiGroups": [group], "resources": [resource], "verbs": verbs, "resourceNames": [rn]})
                else:
                    broken.append({"apiGroups": [group], "resources": [resource], "verbs": verbs})
        for url in rule.get("nonResourceURLs") or []:
            broken.append({"nonResourceURLs": [url], "verbs": verbs})
    compacted: list[dict] = []
    simple: dict[tuple, dict] = {}
    for rule in broken:
        names = rule.get("resourceNames") or []
        if (rule.get("verbs") and len(rule.get("resources") or []) == 1 and len(rule.get("apiGroups") or []) == 1
                and len(names) <= 1 and not rule.get("nonResourceURLs")):
            key = (rule["apiGroups"][0], rule["resources"][0], bool(names), names[0] if names else "")
            if key in simple:
                for verb in rule["verbs"]:
                    if verb not in simple[key]["verbs"]:
                        simple[key]["verbs"].append(verb)
            else:
                simple[key] = {**rule, "verbs": list(rule["verbs"])}
        else:
            compacted.append(rule)
    compacted.extend(simple.values())
    return sorted(compacted, key=_policy_rule_key)


def _combine_resource_group(resources: list, groups: list) -> str:
    if not resources:
        return ""
    parts = str(resources[0]).split("/", 1)
    combine = parts[0]
    if groups and groups[0]:
        combine += "." + groups[0]
    if len(parts) == 2:
        combine += "/" + parts[1]
    return combine


def _describe_role(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, "PolicyRule:\n")
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n")
    w.write(1, "---------\t-----------------\t--------------\t-----\n")
    for r in _compact_rules(obj.get("rules") or []):
        w.write(1, f"{_combine_resource_group(r.get('resources') or [], r.get('apiGroups') or [])}\t"
                   f"{go_value(r.get('nonResourceURLs') or [])}\t{go_value(r.get('resourceNames') or [])}\t"
                   f"{go_value(r.get('verbs') or [])}\n")
    return w.render()


def _describe_binding(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    ref = obj.get("roleRef") or {}
    w.write(0, "Role:\n")
    w.write(1, f"Kind:\t{ref.get('kind', '')}\n")
    w.write(1, f"Name:\t{ref.get('name', '')}\n")
    w.write(0, "Subjects:\n")
    w.write(1, "Kind\tName\tNamespace\n")
    w.write(1, "----\t----\t---------\n")
    for s in obj.get("subjects") or []:
        w.write(1, f"{s.get('kind', '')}\t{s.get('name', '')}\t{s.get('namespace', '')}\n")
    return w.render()


def _describe_hpa(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(_meta(obj, 'creationTimestamp'))}\n")
    w.write(0, f"Reference:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
    if "metrics" not in spec and spec.get("targetCPUUtilizationPercentage") is not None:  # autoscaling/v1 shape
        w.write(0, f"Target CPU utilization:\t{_int(spec['targetCPUUtilizationPercentage'])}%\n")
        cur = status.get("currentCPUUtilizationPercentage")
        w.write(0, f"Current CPU utilization:\t{_int(cur) if cur is not None else '<unknown>'}%\n")
    else:
        w.write(0, "Metrics:\t( current / target )\n")
        current_metrics = status.get("currentMetrics") or []
        for i, metric in enumerate(spec.get("metrics") or []):
            _describe_hpa_metric(w, i, metric, current_metrics)
    min_replicas = str(_int(spec["minReplicas"])) if spec.get("minReplicas") is not None else "<unset>"
    w.write(0, f"Min replicas:\t{min_replicas}\n")
    w.write(0, f"Max replicas:\t{_int(spec.get('maxReplicas'))}\n")
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        w.write(0, "Behavior:\n")
        for key, direction in (("scaleUp", "Scale Up"), ("scaleDown", "Scale Down")):
            rules = behavior.get(key)
            if not isinstance(rules, dict):
                continue
            w.write(1, f"{direction}:\n")
            if rules.get("stabilizationWindowSeconds") is not None:
                w.write(2, f"Stabilization Window: {_int(rules['stabilizationWindowSeconds'])} seconds\n")
            if rules.get("policies"):
                w.write(2, f"Select Policy: {rules.get('selectPolicy') or 'Max'}\n")
                w.write(2, "Policies:\n")
                for p in rules["policies"]:
                    w.write(3, f"- Type: {p.get('type', '')}\tValue: {_int(p.get('value'))}\tPeriod: {_int(p.get('periodSeconds'))} seconds\n")
    w.write(0, f"{ref.get('kind', '')} pods:\t")
    w.write(0, f"{_int(status.get('currentReplicas'))} current / {_int(status.get('desiredReplicas'))} desired\n")
    conditions = status.get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\tMessage\n")
        w.write(1, "----\t------\t------\t-------\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    _events(w, events, now)
    return w.render()


def _describe_hpa_metric(w: _Writer, i: int, metric: dict, current: list) -> None:
    t = metric.get("type")

    def cur(key: str) -> dict | None:
        return current[i][key] if len(current) > i and isinstance(current[i].get(key), dict) else None

    if t == "External":
        ext = metric.get("external") or {}
        target = ext.get("target") or {}
        c = cur("external")
        if target.get("averageValue") is not None:
            value = quantity_string(_g(c, "current", "averageValue")) if c and _g(c, "current", "averageValue") is not None else "<unknown>"
            w.write(1, f'"{_g(ext, "metric", "name", default="")}" (target average value):\t{value} / {quantity_string(target["averageValue"])}\n')
        else:
            value = quantity_string(_g(c, "current", "value")) if c else "<unknown>"
            w.write(1, f'"{_g(ext, "metric", "name", default="")}" (target value):\t{value} / {quantity_string(target.get("value"))}\n')
    elif t == "Pods":
        pods = metric.get("pods") or {}
        c = cur("pods")
        value = quantity_string(_g(c, "current", "averageValue")) if c else "<unknown>"
        w.write(1, f'"{_g(pods, "metric", "name", default="")}" on pods:\t{value} / {quantity_string(_g(pods, "target", "averageValue"))}\n')
    elif t == "Object":
        o = metric.get("object") or {}
        desc = o.get("describedObject") or {}
        w.write(1, f'"{_g(o, "metric", "name", default="")}" on {desc.get("kind", "")}/{desc.get("name", "")} ')
        c = cur("object")
        target = o.get("target") or {}
        if target.get("type") == "AverageValue":
            value = quantity_string(_g(c, "current", "averageValue")) if c else "<unknown>"
            w.write(0, f"(target average value):\t{value} / {quantity_string(target.get('averageValue'))}\n")
        else:
            value = quantity_string(_g(c, "current", "value")) if c else "<unknown>"
            w.write(0, f"(target value):\t{value} / {quantity_string(target.get('value'))}\n")
    elif t in ("Resource", "ContainerResource"):
        key = "resource" if t == "Resource" else "containerResource"
        src = metric.get(key) or {}
        if t == "Resource":
            w.write(1, f"resource {src.get('name', '')} on pods")
        else:
            w.write(1, f'resource {src.get("name", "")} of container "{src.get("container", "")}" on pods')
        target = src.get("target") or {}
        c = cur(key)
        if target.get("averageValue") is not None:
            value = quantity_string(_g(c, "current", "averageValue")) if c else "<unknown>"
            w.write(0, f":\t{value} / {quantity_string(target['averageValue'])}\n")
        else:
            value = "<unknown>"
            if c and _g(c, "current", "averageUtilization") is not None:
                value = f"{_int(c['current']['averageUtilization'])}% ({quantity_string(_g(c, 'current', 'averageValue'))})"
            goal = f"{_int(target['averageUtilization'])}%" if target.get("averageUtilization") is not None else "<auto>"
            w.write(1, f"(as a percentage of request):\t{value} / {goal}\n")
    else:
        w.write(1, f'<unknown metric type "{t}">\n')


def _describe_pvc(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    name = _meta(obj, "name", "")
    w.write(0, f"Name:\t{name}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    w.write(0, f"StorageClass:\t{pv_class(obj)}\n")
    if _meta(obj, "deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {since(_meta(obj, 'deletionTimestamp'), now)})\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    w.write(0, f"Volume:\t{spec.get('volumeName', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    w.write(0, f"Finalizers:\t{go_value(_meta(obj, 'finalizers', []) or [])}\n")
    capacity, modes = "", ""
    if spec.get("volumeName"):
        modes = access_modes_string(status.get("accessModes"))
        capacity = quantity_string((status.get("capacity") or {}).get("storage"))
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if spec.get("volumeMode") is not None:
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    users = sorted(
        _meta(p, "name", "") for p in related.get("pods") or []
        if _meta(p, "namespace") == _meta(obj, "namespace")
        and any(_g(v, "persistentVolumeClaim", "claimName") == name for v in _g(p, "spec", "volumes", default=[]) or [])
    )
    w.write(0, "Used By:\t")
    if not users:
        w.write_line("<none>")
    for i, u in enumerate(users):
        if i:
            w.write(0, "\t")
        w.write(0, f"{u}\n")
    _events(w, events, now)
    return w.render()


# ---------------------------------------------------------------------------------------------
# generic describer (printUnstructuredContent)


def _camel_split(src: str) -> list[str]:
    """github.com/fatih/camelcase.Split."""
    runs: list[list[str]] = []
    last = 0
    for ch in src:
        cls = 1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 4
        if cls == last:
            runs[-1].append(ch)
        else:
            runs.append([ch])
        last = cls
    for i in range(len(runs) - 1):
        if runs[i] and runs[i][0].isupper() and runs[i + 1] and runs[i + 1][0].islower():
            runs[i + 1].insert(0, runs[i].pop())
    return ["".join(r) for r in runs if r]


def smart_label_for(field: str) -> str:
    if any(not (ch.isalpha() or ch == "-") for ch in field):
        return field
    parts = _camel_split(field)
    merged: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if i < len(parts) - 1:
            nxt = parts[i + 1]
            all_upper = all(not ch.isalpha() or ch.isupper() for ch in part)
            if len(part) >= 2 and all_upper and nxt and nxt[0].isupper():
                merged.append(part + nxt)
                i += 2
                continue
        merged.append(part)
        i += 1
    out = []
    for part in merged:
        if part == "_":
            continue
        if part.upper() in ("API", "URL", "UID", "GUID"):
            part = part.upper()
        elif part.lower() == part:
            part = part[:1].upper() + part[1:]
        out.append(part)
    return " ".join(out)


def _print_unstructured(w: _Writer, level: int, content: dict, skip_prefix: str, skip: tuple[str, ...]) -> None:
    for field in sorted(content):
        value = content[field]
        expr = f"{skip_prefix}.{field}"
        if expr in skip:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label_for(field)}:\n")
            _print_unstructured(w, level + 1, value, expr, skip)
        elif isinstance(value, list):
            w.write(level, f"{smart_label_for(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _print_unstructured(w, level + 1, child, expr, skip)
                else:
                    w.write(level + 1, f"{go_value(child)}\n")
        else:
            w.write(level, f"{smart_label_for(field)}:\t{go_value(value)}\n")


def _describe_generic(obj: dict, events: list | None, now: float, related: dict) -> str:
    w = _Writer()
    w.write(0, f"Name:\t{_meta(obj, 'name', '')}\n")
    w.write(0, f"Namespace:\t{_meta(obj, 'namespace', '')}\n")
    print_labels_multiline(w, "Labels", _meta(obj, "labels"))
    print_annotations_multiline(w, "Annotations", _meta(obj, "annotations"))
    _print_unstructured(w, 0, obj, "", (".metadata.managedFields", ".metadata.name", ".metadata.namespace",
                                        ".metadata.labels", ".metadata.annotations"))
    _events(w, events, now)
    return w.render()


_DESCRIBERS: dict[str, Callable[[dict, list | None, float, dict], str]] = {
    "Deployment": _describe_deployment,
    "ReplicaSet": _describe_replica_set,
    "ReplicationController": _describe_replication_controller,
    "DaemonSet": _describe_daemon_set,
    "StatefulSet": _describe_stateful_set,
    "Job": _describe_job,
    "CronJob": _describe_cron_job,
    "Pod": _describe_pod,
    "Namespace": _describe_namespace,
    "Node": _describe_node,
    "Service": _describe_service,
    "Endpoints": _describe_endpoints,
    "EndpointSlice": _describe_endpoint_slice,
    "ConfigMap": _describe_config_map,
    "Secret": _describe_secret,
    "ServiceAccount": _describe_service_account,
    "Role": _describe_role,
    "ClusterRole": _describe_role,
    "RoleBinding": _describe_binding,
    "ClusterRoleBinding": _describe_binding,
    "HorizontalPodAutoscaler": _describe_hpa,
    "ResourceQuota": _describe_resource_quota,
    "LimitRange": _describe_limit_range,
    "PersistentVolumeClaim": _describe_pvc,
}


def _kind(rtype: Any, obj: dict) -> str:
    kind = getattr(rtype, "kind", None)
    if isinstance(kind, str):
        return kind
    if rtype is None:
        return obj.get("kind", "")
    name = str(rtype)
    if name in _DESCRIBERS:
        return name
    try:
        from engine.registry import resolve

        return resolve(name).kind
    except Exception:  # noqa: BLE001 - unknown names: use the object's own kind
        return obj.get("kind", name)


def describe(rtype: Any, obj: dict, events: list[dict] | None, now_unix: float, related: dict | None = None) -> str:
    """`kubectl describe` text for one object (see the module docstring for `related`)."""
    fn = _DESCRIBERS.get(_kind(rtype, obj), _describe_generic)
    return fn(obj, events, now_unix, related or {})
