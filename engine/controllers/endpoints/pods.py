"""What both endpoint controllers read from a Service and its pods (upstream `podutil`,
`endpointsliceutil` and `endpointutil`).

- `should_be_in_endpoints(pod, include_terminating)`: not terminal (Succeeded/Failed), has an IP,
  and (unless terminating pods are included) no deletionTimestamp.
- `is_ready(pod)`: condition Ready is True.
- `find_port(pod, service_port)`: a numeric targetPort as is; a named one looked up among the
  containers' ports with the same name and protocol (sidecar init containers too); None when the
  pod has no such port (the pod then offers nothing for that service port).
- `should_set_hostname(pod, svc)`: spec.hostname set and spec.subdomain naming the Service.

Keys: both controllers work per namespace (`ns\\x01<namespace>`): a pod or Service change
re-syncs the namespace's selecting Services against one listing of its pods. A namespace without
a Service that has a selector costs one short scan.
"""

from __future__ import annotations

from typing import Iterable

from engine.clock import rfc3339
from engine.model.selectors import selector_from_set
from engine.records import LogEntry
from engine.view import View

NS = b"ns\x01"
TERMINAL = ("Succeeded", "Failed")
HEADLESS_LABEL = "service.kubernetes.io/headless"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"


def ns_key(namespace: str) -> bytes:
    return NS + namespace.encode()


def namespace_of(key: bytes) -> str | None:
    return key[len(NS):].decode() if key.startswith(NS) else None


def changed_namespaces(entry: LogEntry, obj: dict | None, resources: Iterable[str]) -> tuple[bytes, ...]:
    """The namespace key when the entry changed a pod or Service (or one of `resources`)."""
    if not entry.changed:
        return ()
    req = entry.request
    if (req.group == "" and req.resource in ("pods", "services")) or (req.group, req.resource) in resources:
        return (ns_key(req.namespace),) if req.namespace else ()
    return ()


def is_ready(pod: dict) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def pod_ip(pod: dict) -> str:
    status = pod.get("status") or {}
    if status.get("podIP"):
        return status["podIP"]
    ips = status.get("podIPs") or []
    return ips[0].get("ip", "") if ips else ""


def should_be_in_endpoints(pod: dict, include_terminating: bool) -> bool:
    if (pod.get("status") or {}).get("phase") in TERMINAL:
        return False
    if not pod_ip(pod):
        return False
    if not include_terminating and (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return True


def find_port(pod: dict, service_port: dict) -> int | None:
    target = service_port.get("targetPort")
    if target in (None, "", 0):
        target = service_port.get("port")
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    proto = service_port.get("protocol") or "TCP"
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or []) + [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    for c in containers:
        for p in c.get("ports") or ():
            if p.get("name") == target and (p.get("protocol") or "TCP") == proto:
                return int(p.get("containerPort") or 0)
    return None


def should_set_hostname(pod: dict, svc: dict) -> bool:
    spec = pod.get("spec") or {}
    return bool(spec.get("hostname")) and spec.get("subdomain") == svc["metadata"]["name"] and \
        (pod.get("metadata") or {}).get("namespace") == svc["metadata"].get("namespace")


def target_ref(pod: dict) -> dict:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta.get("namespace", ""), "name": meta["name"], "uid": meta.get("uid", "")}


def is_headless(svc: dict) -> bool:
    return (svc.get("spec") or {}).get("clusterIP") == "None"


def selecting_services(view: View, namespace: str) -> list[dict]:
    """Services in the namespace this controller fills: a selector, and not ExternalName."""
    out = []
    for svc in view.list("", "services", namespace):
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName" or spec.get("selector") is None:
            continue
        out.append(svc)
    return out


def selected(pods: list[dict], svc: dict) -> list[dict]:
    sel = selector_from_set(svc["spec"].get("selector") or {})
    return [p for p in pods if sel.matches((p.get("metadata") or {}).get("labels") or {})]


def trigger_time(now: int) -> str:
    """RFC 3339 with nanoseconds trimmed, as `time.RFC3339Nano` prints."""
    base = rfc3339(now)
    frac = now % 1_000_000
    if not frac:
        return base
    return base[:-1] + "." + f"{frac:06d}".rstrip("0") + "Z"
