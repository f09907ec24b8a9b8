"""A container's environment and its ConfigMap/Secret volume files, as the kubelet makes them.

Pure functions of the pod, the container and a `lookup(resource, namespace, name) -> dict|None`
that answers from some moment's state (the kubelet's view now, or time travel for `ktape exec`).

Environment (`kubelet_pods.go` makeEnvironmentVariables, v1.32):
1. `envFrom` first, in order: every key of the ConfigMap's `data` / the Secret's (decoded) `data`,
   with `prefix`; a key that is not a valid environment variable name (`IsEnvVarName`) is skipped
   and named in one `InvalidEnvironmentVariableNames` warning event per source; a missing source
   fails with the API's `configmap "x" not found` / `secret "x" not found` unless `optional`.
2. Then `env`, in order, each overriding: `value` with `$(VAR)` expanded against the variables so
   far and the service variables; `valueFrom` fieldRef / resourceFieldRef / configMapKeyRef /
   secretKeyRef (a missing key: `couldn't find key K in ConfigMap NS/NAME`, unless `optional`).
3. Service link variables (`envvars.FromServices`) for the Services of the pod's namespace
   (`enableServiceLinks`, default true) and the `kubernetes` Service, where not declared.

Upstream then emits the map in Go's random map order; here the declared variables come sorted
by name (the only deterministic choice), then the service variables sorted.

Volumes (`configmap.go` / `secret.go` MakePayload): without `items` every key becomes a file
named after it with `defaultMode`; with `items` each listed key goes to its `path` with its
`mode` (else `defaultMode`); a listed key that is missing fails (`configmap references
non-existent config key: K`, `references non-existent secret key: K`) unless `optional`; a
missing object fails with `configmap "x" not found` unless `optional` (then the volume is empty).
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Callable

import attrs

from engine.kubelet_sim.expansion import expand, mapping_for
from engine.model.quantity import parse_quantity
from engine.pipeline.validation.names import is_env_var_name

Lookup = Callable[[str, str, str], "dict | None"]
DEFAULT_MODE = 0o644


class ConfigError(Exception):
    """A container's configuration cannot be made (its waiting message is `str(self)`)."""


@attrs.frozen
class Env:
    declared: tuple[tuple[str, str], ...]  # name -> value, sorted by name
    service: tuple[tuple[str, str], ...]  # service link variables not declared
    warnings: tuple[tuple[str, str], ...] = ()  # (reason, message) events

    def as_dict(self) -> dict[str, str]:
        return dict(self.service) | dict(self.declared)

    def items(self) -> list[tuple[str, str]]:
        return list(self.declared) + list(self.service)


def decode(value) -> bytes:
    try:
        return base64.b64decode(str(value), validate=False)
    except (binascii.Error, ValueError):
        return str(value).encode("utf-8")


def _text(b: bytes) -> str:
    return b.decode("utf-8", errors="replace")


def not_found(resource: str, name: str) -> ConfigError:
    return ConfigError(f'{resource} "{name}" not found')


# --- service links --------------------------------------------------------------------------------


def _svc_name(name: str) -> str:
    return name.upper().replace("-", "_")


def service_env(pod: dict, lookup_list: Callable[[str], list[dict]] | None) -> dict[str, str]:
    """`getServiceEnvVarMap` + `envvars.FromServices`."""
    if lookup_list is None:
        return {}
    spec = pod.get("spec") or {}
    ns = pod["metadata"].get("namespace", "")
    chosen: dict[str, dict] = {}
    for svc in lookup_list("default"):
        if svc["metadata"]["name"] == "kubernetes":
            chosen["kubernetes"] = svc
    if spec.get("enableServiceLinks", True) is not False:
        for svc in lookup_list(ns):
            chosen[svc["metadata"]["name"]] = svc
    out: dict[str, str] = {}
    for name in sorted(chosen):
        sspec = chosen[name].get("spec") or {}
        ip = sspec.get("clusterIP")
        if not ip or ip == "None" or sspec.get("type") == "ExternalName":
            continue
        ports = sspec.get("ports") or []
        if not ports:
            continue
        base = _svc_name(name)
        out[f"{base}_SERVICE_HOST"] = ip
        out[f"{base}_SERVICE_PORT"] = str(ports[0].get("port"))
        for p in ports:
            if p.get("name"):
                out[f"{base}_SERVICE_PORT_{_svc_name(p['name'])}"] = str(p.get("port"))
        first = ports[0]
        out[f"{base}_PORT"] = f"{(first.get('protocol') or 'TCP').lower()}://{ip}:{first.get('port')}"
        for p in ports:
            proto = p.get("protocol") or "TCP"
            pre = f"{base}_PORT_{p.get('port')}_{proto.upper()}"
            out[pre] = f"{proto.lower()}://{ip}:{p.get('port')}"
            out[pre + "_PROTO"] = proto.lower()
            out[pre + "_PORT"] = str(p.get("port"))
            out[pre + "_ADDR"] = ip
    return out


# --- field refs -----------------------------------------------------------------------------------


def field_ref(pod: dict, path: str) -> str:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    if path.startswith("metadata.labels['") and path.endswith("']"):
        return str((meta.get("labels") or {}).get(path[len("metadata.labels['"):-2], ""))
    if path.startswith("metadata.annotations['") and path.endswith("']"):
        return str((meta.get("annotations") or {}).get(path[len("metadata.annotations['"):-2], ""))
    simple = {
        "metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.hostIP": status.get("hostIP", ""), "status.podIP": status.get("podIP", ""),
        "status.hostIPs": ",".join(i.get("ip", "") for i in status.get("hostIPs") or ()),
        "status.podIPs": ",".join(i.get("ip", "") for i in status.get("podIPs") or ()),
    }
    if path in simple:
        return str(simple[path] or "")
    raise ConfigError(f"unsupported fieldRef: {path}")


def _resource_ref(pod: dict, container: dict, ref: dict, lookup: Lookup) -> str:
    """`ExtractContainerResourceValue`: the limit (else the node's allocatable), ceil(value/divisor)."""
    name = ref.get("containerName") or container.get("name")
    target = container
    for c in (pod.get("spec") or {}).get("containers") or ():
        if c.get("name") == name:
            target = c
    resource = ref.get("resource", "")
    kind, _, res = resource.partition(".")
    value = ((target.get("resources") or {}).get(kind) or {}).get(res)
    if value is None and kind == "requests":
        value = ((target.get("resources") or {}).get("limits") or {}).get(res)
    if value is None:
        node = lookup("nodes", "", (pod.get("spec") or {}).get("nodeName", "")) or {}
        value = ((node.get("status") or {}).get("allocatable") or {}).get(res, "0")
    divisor = parse_quantity(ref.get("divisor") or "1") or 1
    return str(math.ceil(parse_quantity(value) / divisor))


# --- the environment ------------------------------------------------------------------------------


def _get(lookup: Lookup, resource: str, ns: str, name: str, optional: bool, cache: dict):
    key = (resource, name)
    if key not in cache:
        cache[key] = lookup(resource, ns, name)
    obj = cache[key]
    if obj is None and not optional:
        raise not_found("configmap" if resource == "configmaps" else "secret", name)
    return obj


def environment(pod: dict, container: dict, lookup: Lookup,
                list_services: Callable[[str], list[dict]] | None = None) -> Env:
    """The container's environment, or ConfigError with the kubelet's message."""
    ns = pod["metadata"].get("namespace", "")
    cache: dict = {}
    tmp: dict[str, str] = {}
    warnings: list[tuple[str, str]] = []
    for src in container.get("envFrom") or ():
        prefix = src.get("prefix") or ""
        if isinstance(src.get("configMapRef"), dict):
            ref, resource, kind = src["configMapRef"], "configmaps", "configMap"
        elif isinstance(src.get("secretRef"), dict):
            ref, resource, kind = src["secretRef"], "secrets", "secret"
        else:
            continue
        obj = _get(lookup, resource, ns, ref.get("name", ""), bool(ref.get("optional")), cache)
        if obj is None:
            continue
        data = obj.get("data") or {}
        invalid = []
        for k in sorted(data):
            name = prefix + k
            if is_env_var_name(name):
                invalid.append(name)
                continue
            tmp[name] = _text(decode(data[k])) if resource == "secrets" else str(data[k])
        if invalid:
            warnings.append(("InvalidEnvironmentVariableNames",
                             f"Keys [{', '.join(sorted(invalid))}] from the EnvFrom {kind} {ns}/{ref.get('name', '')} "
                             "were skipped since they are considered invalid environment variable names."))
    services = service_env(pod, list_services)
    for var in container.get("env") or ():
        name = var.get("name", "")
        value = var.get("value") or ""
        source = var.get("valueFrom")
        if value:
            value = expand(value, mapping_for(tmp, services))
        elif isinstance(source, dict):
            if isinstance(source.get("fieldRef"), dict):
                value = field_ref(pod, source["fieldRef"].get("fieldPath", ""))
            elif isinstance(source.get("resourceFieldRef"), dict):
                value = _resource_ref(pod, container, source["resourceFieldRef"], lookup)
            elif isinstance(source.get("configMapKeyRef"), dict) or isinstance(source.get("secretKeyRef"), dict):
                is_cm = isinstance(source.get("configMapKeyRef"), dict)
                ref = source["configMapKeyRef"] if is_cm else source["secretKeyRef"]
                optional = bool(ref.get("optional"))
                resource = "configmaps" if is_cm else "secrets"
                obj = _get(lookup, resource, ns, ref.get("name", ""), optional, cache)
                if obj is None:
                    continue
                key = ref.get("key", "")
                data = obj.get("data") or {}
                if key in data:
                    value = str(data[key]) if is_cm else _text(decode(data[key]))
                elif is_cm and key in (obj.get("binaryData") or {}):
                    value = _text(decode(obj["binaryData"][key]))
                else:
                    if optional:
                        continue
                    raise ConfigError(f"couldn't find key {key} in {'ConfigMap' if is_cm else 'Secret'} {ns}/{ref.get('name', '')}")
        tmp[name] = value
    declared = tuple(sorted(tmp.items()))
    service = tuple(sorted((k, v) for k, v in services.items() if k not in tmp))
    return Env(declared, service, tuple(warnings))


def command_line(container: dict, env: Env) -> list[str]:
    """`ExpandContainerCommandAndArgs`: command and args with `$(VAR)` expanded from the env."""
    look = mapping_for(env.as_dict())
    return [expand(str(w), look) for w in container.get("command") or ()] + \
           [expand(str(w), look) for w in container.get("args") or ()]


# --- volumes --------------------------------------------------------------------------------------


@attrs.frozen
class File:
    content: bytes
    mode: int


def payload(pod: dict, volume: dict, lookup: Lookup) -> dict[str, File] | None:
    """Files (relative path -> File) of a configMap or secret volume; None for other volume types."""
    ns = pod["metadata"].get("namespace", "")
    if isinstance(volume.get("configMap"), dict):
        src, resource, name = volume["configMap"], "configmaps", volume["configMap"].get("name", "")
    elif isinstance(volume.get("secret"), dict):
        src, resource, name = volume["secret"], "secrets", volume["secret"].get("secretName", "")
    else:
        return None
    optional = bool(src.get("optional"))
    obj = lookup(resource, ns, name)
    if obj is None:
        if optional:
            return {}
        raise not_found("configmap" if resource == "configmaps" else "secret", name)
    default_mode = src.get("defaultMode")
    default_mode = DEFAULT_MODE if default_mode is None else int(default_mode)
    contents: dict[str, bytes] = {}
    data = obj.get("data") or {}
    for k in data:
        contents[k] = str(data[k]).encode("utf-8") if resource == "configmaps" else decode(data[k])
    if resource == "configmaps":
        for k, v in (obj.get("binaryData") or {}).items():
            contents[k] = decode(v)
    out: dict[str, File] = {}
    items = src.get("items") or []
    if not items:
        for k in sorted(contents):
            out[k] = File(contents[k], default_mode)
        return out
    for item in items:
        key = item.get("key", "")
        if key not in contents:
            if optional:
                continue
            if resource == "configmaps":
                raise ConfigError(f"configmap references non-existent config key: {key}")
            raise ConfigError(f"references non-existent secret key: {key}")
        mode = item.get("mode")
        out[item.get("path", key)] = File(contents[key], default_mode if mode is None else int(mode))
    return out


def mount_error(pod: dict, lookup: Lookup) -> str | None:
    """The first `MountVolume.SetUp failed ...` message of the pod's configMap/secret volumes, or None."""
    for v in (pod.get("spec") or {}).get("volumes") or ():
        try:
            payload(pod, v, lookup)
        except ConfigError as e:
            return f'MountVolume.SetUp failed for volume "{v.get("name", "")}" : {e}'
    return None
