"""Per-kind object validation with upstream field paths and messages.

`validate(obj, old=None)` dispatches on `obj["kind"]` and returns the `FieldError`s the API
server's `Validate` / `ValidateUpdate` would return (metadata first, then the spec), following
`pkg/apis/core/validation`, `pkg/apis/apps/validation` and `pkg/apis/batch/validation`.

Objects may arrive before or after defaulting: where upstream validates a field that its
defaulting always fills (`restartPolicy`, `strategy`, `protocol`, ...) a missing value is read as
the default, so a sparse manifest behaves exactly like the defaulted object upstream sees.

Pure: no clock, randomness, hashing or I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
from fractions import Fraction
from typing import Any, Callable, Mapping

from engine.errors import FieldError
from engine.model import quantity as q
from engine.model.selectors import (
    selector_from_label_selector,
    selector_from_set,
    validate_label_selector,
)
from engine.pipeline.validation import names
from engine.pipeline.validation.meta import (
    FIELD_IMMUTABLE,
    GoFieldError,
    go_int_or_string,
    go_label_selector,
    go_quote,
    go_string_map,
    validate_annotations,
    validate_label_name,
    validate_labels,
    validate_nonnegative,
    validate_object_meta,
    validate_object_meta_update,
)
from engine.registry import BY_KIND

MAX_SECRET_SIZE = 1 * 1024 * 1024  # core.MaxSecretSize, also the ConfigMap limit
MAX_INT32 = 2**31 - 1

# metadata.name rule per kind (ValidateXName functions); everything else is a DNS subdomain.
NAME_RULE: dict[str, str] = {
    "Namespace": "label",
    "StatefulSet": "label",
    "Service": "dns1035",
    "Role": "path",
    "ClusterRole": "path",
    "RoleBinding": "path",
    "ClusterRoleBinding": "path",
}

# -- small helpers -----------------------------------------------------------------------------


def _m(v: Any) -> Mapping[str, Any]:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _i(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _s(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def _invalid(path: str, value: Any, msgs: list[str]) -> list[FieldError]:
    return [FieldError("Invalid", path, value, m) for m in msgs]


def _dns_label(value: str, path: str) -> list[FieldError]:
    """`ValidateDNS1123Label`."""
    return _invalid(path, value, names.is_dns1123_label(value))


def _dns_subdomain(value: str, path: str) -> list[FieldError]:
    """`ValidateDNS1123Subdomain`."""
    return _invalid(path, value, names.is_dns1123_subdomain(value))


# -- resources and quantities --------------------------------------------------------------------

STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
STANDARD_RESOURCES = frozenset(
    {
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "storage",
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    }
)
STANDARD_QUOTA_RESOURCES = frozenset(
    {
        "pods",
        "memory",
        "cpu",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.storage",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "persistentvolumeclaims",
        "configmaps",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "services",
        "services.nodeports",
        "services.loadbalancers",
    }
)
INTEGER_RESOURCES = frozenset(
    {
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_quota_hugepages(name: str) -> bool:
    return any(name.startswith(p) for p in ("hugepages-", "requests.hugepages-", "limits.hugepages-"))


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_extended(name: str) -> bool:
    if _is_native(name) or name.startswith("requests."):
        return False
    return not names.is_qualified_name("requests." + name)


def _overcommit_allowed(name: str) -> bool:
    return _is_native(name) and not _is_hugepages(name)


def _validate_resource_name(name: str, path: str) -> list[FieldError]:
    """`validateResourceName`."""
    errs = _invalid(path, name, names.is_qualified_name(name))
    if errs:
        return errs
    if len(name.split("/")) == 1 and not (name in STANDARD_RESOURCES or _is_quota_hugepages(name)):
        errs.append(FieldError("Invalid", path, name, "must be a standard resource type or fully qualified"))
    return errs


def _validate_container_resource_name(name: str, path: str) -> list[FieldError]:
    errs = _validate_resource_name(name, path)
    if len(name.split("/")) == 1:
        if not (name in STANDARD_CONTAINER_RESOURCES or _is_hugepages(name)):
            errs.append(FieldError("Invalid", path, name, "must be a standard resource for containers"))
    elif not _is_native(name) and not _is_extended(name):
        errs.append(FieldError("Invalid", path, name, "doesn't follow extended resource name standard"))
    return errs


def _parse_q(raw: Any, path: str, errs: list[FieldError]) -> tuple[Fraction, str] | None:
    """Parse a quantity; a malformed one is reported at its path with the decoder's message."""
    try:
        return q.parse_quantity_with_format(raw)
    except ValueError as e:
        errs.append(FieldError("Invalid", path, raw if isinstance(raw, (str, int, float)) else _s(raw), str(e)))
        return None


def _qstr(parsed: tuple[Fraction, str]) -> str:
    return q.format_quantity(*parsed)


def _validate_quantity_value(name: str, parsed: tuple[Fraction, str], path: str) -> list[FieldError]:
    """`ValidateResourceQuantityValue`: non-negative, integral for integer resources."""
    errs: list[FieldError] = []
    value = parsed[0]
    if value < 0:
        errs.append(GoFieldError("Invalid", path, _qstr(parsed), "must be greater than or equal to 0"))
    if name in INTEGER_RESOURCES or _is_extended(name):
        if (value * 1000) % 1000 != 0:
            errs.append(GoFieldError("Invalid", path, _qstr(parsed), "must be an integer"))
    return errs


def validate_resource_requirements(res: Any, path: str) -> list[FieldError]:
    """`ValidateResourceRequirements` for a container's `resources`."""
    res = _m(res)
    limits, requests = _m(res.get("limits")), _m(res.get("requests"))
    lim_path, req_path = f"{path}.limits", f"{path}.requests"
    errs: list[FieldError] = []
    parsed_limits: dict[str, tuple[Fraction, str]] = {}
    for name in sorted(limits, key=str):
        p = f"{lim_path}[{name}]"
        errs.extend(_validate_container_resource_name(str(name), p))
        parsed = _parse_q(limits[name], p, errs)
        if parsed is not None:
            parsed_limits[str(name)] = parsed
            errs.extend(_validate_quantity_value(str(name), parsed, p))
    for name in sorted(requests, key=str):
        name = str(name)
        p = f"{req_path}[{name}]"
        errs.extend(_validate_container_resource_name(name, p))
        parsed = _parse_q(requests[name], p, errs)
        if parsed is None:
            continue
        errs.extend(_validate_quantity_value(name, parsed, p))
        if name in limits:
            lim = parsed_limits.get(name)
            if lim is None:
                continue
            if parsed[0] != lim[0] and not _overcommit_allowed(name):
                errs.append(
                    FieldError("Invalid", req_path, _qstr(parsed), f"must be equal to {name} limit of {_qstr(lim)}")
                )
            elif parsed[0] > lim[0]:
                errs.append(
                    FieldError("Invalid", req_path, _qstr(parsed), f"must be less than or equal to {name} limit of {_qstr(lim)}")
                )
        elif not _overcommit_allowed(name):
            errs.append(FieldError("Required", lim_path, "", "Limit must be set for non overcommitable resources"))
    return errs


# -- pods ----------------------------------------------------------------------------------------

SUPPORTED_PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")
RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")

_VOLUME_SOURCES = (
    "hostPath",
    "emptyDir",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "quobyte",
    "cinder",
    "cephfs",
    "flexVolume",
    "downwardAPI",
    "fc",
    "azureFile",
    "vsphereVolume",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "configMap",
    "storageos",
    "projected",
    "csi",
    "ephemeral",
    "image",
)


def _validate_volumes(volumes: Any, path: str) -> tuple[set[str], list[FieldError]]:
    errs: list[FieldError] = []
    valid: set[str] = set()
    for i, vol in enumerate(_l(volumes)):
        vol = _m(vol)
        idx = f"{path}[{i}]"
        name = _s(vol.get("name"))
        el: list[FieldError] = []
        sources = [k for k in _VOLUME_SOURCES if vol.get(k) is not None]
        if not sources:
            el.append(FieldError("Required", idx, "", "must specify a volume type"))
        for extra in sources[1:]:
            el.append(FieldError("Forbidden", f"{idx}.{extra}", "", "may not specify more than 1 volume type"))
        if not name:
            el.append(FieldError("Required", f"{idx}.name", "", ""))
        else:
            el.extend(_dns_label(name, f"{idx}.name"))
        if name in valid:
            el.append(FieldError("Duplicate", f"{idx}.name", name))
        if el:
            errs.extend(el)
        else:
            valid.add(name)
    return valid, errs


def _validate_container_ports(ports: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    all_names: set[str] = set()
    for i, port in enumerate(_l(ports)):
        port = _m(port)
        idx = f"{path}[{i}]"
        pname = _s(port.get("name"))
        if pname:
            msgs = names.is_valid_port_name(pname)
            if msgs:
                errs.extend(_invalid(f"{idx}.name", pname, msgs))
            elif pname in all_names:
                errs.append(FieldError("Duplicate", f"{idx}.name", pname))
            else:
                all_names.add(pname)
        cport = _i(port.get("containerPort")) or 0
        if cport == 0:
            errs.append(FieldError("Required", f"{idx}.containerPort", "", ""))
        else:
            errs.extend(_invalid(f"{idx}.containerPort", cport, names.is_valid_port_num(cport)))
        hport = _i(port.get("hostPort")) or 0
        if hport != 0:
            errs.extend(_invalid(f"{idx}.hostPort", hport, names.is_valid_port_num(hport)))
        proto = port.get("protocol", "TCP")
        proto = "TCP" if proto is None else _s(proto)
        if not proto:
            errs.append(FieldError("Required", f"{idx}.protocol", "", ""))
        elif proto not in SUPPORTED_PORT_PROTOCOLS:
            errs.append(FieldError("NotSupported", f"{idx}.protocol", proto, supported=SUPPORTED_PORT_PROTOCOLS))
    return errs


def _validate_env(env: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, ev in enumerate(_l(env)):
        ev = _m(ev)
        name = _s(ev.get("name"))
        if not name:
            errs.append(FieldError("Required", f"{path}[{i}].name", "", ""))
        elif any(ord(c) > 0x7F or not c.isprintable() or c == "=" for c in name):
            errs.append(
                FieldError(
                    "Invalid",
                    f"{path}[{i}].name",
                    name,
                    "a valid environment variable name must consist only of printable ASCII characters other than '='",
                )
            )
    return errs


def _validate_volume_mounts(mounts: Any, volumes: set[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, mnt in enumerate(_l(mounts)):
        mnt = _m(mnt)
        idx = f"{path}[{i}]"
        name = _s(mnt.get("name"))
        mount_path = _s(mnt.get("mountPath"))
        if not name:
            errs.append(FieldError("Required", f"{idx}.name", "", ""))
        if name not in volumes:
            errs.append(FieldError("NotFound", f"{idx}.name", name))
        if not mount_path:
            errs.append(FieldError("Required", f"{idx}.mountPath", "", ""))
        if mount_path in seen:
            errs.append(FieldError("Invalid", f"{idx}.mountPath", mount_path, "must be unique"))
        seen.add(mount_path)
    return errs


def _validate_container_common(ctr: Mapping[str, Any], volumes: set[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = _s(ctr.get("name"))
    if not name:
        errs.append(FieldError("Required", f"{path}.name", "", ""))
    else:
        errs.extend(_dns_label(name, f"{path}.name"))
    if not _s(ctr.get("image")):
        errs.append(FieldError("Required", f"{path}.image", "", ""))
    tmp = ctr.get("terminationMessagePolicy")
    if tmp is not None and _s(tmp) not in TERMINATION_MESSAGE_POLICIES:
        if _s(tmp) == "":
            errs.append(FieldError("Required", f"{path}.terminationMessagePolicy", "", ""))
        else:
            errs.append(
                FieldError(
                    "NotSupported", f"{path}.terminationMessagePolicy", _s(tmp), supported=TERMINATION_MESSAGE_POLICIES
                )
            )
    errs.extend(_validate_container_ports(ctr.get("ports"), f"{path}.ports"))
    errs.extend(_validate_env(ctr.get("env"), f"{path}.env"))
    errs.extend(_validate_volume_mounts(ctr.get("volumeMounts"), volumes, f"{path}.volumeMounts"))
    pull = ctr.get("imagePullPolicy")
    if pull is not None and _s(pull) not in PULL_POLICIES:
        if _s(pull) == "":
            errs.append(FieldError("Required", f"{path}.imagePullPolicy", "", ""))
        else:
            errs.append(FieldError("NotSupported", f"{path}.imagePullPolicy", _s(pull), supported=PULL_POLICIES))
    errs.extend(validate_resource_requirements(ctr.get("resources"), f"{path}.resources"))
    return errs


def _validate_containers(containers: Any, volumes: set[str], path: str) -> list[FieldError]:
    ctrs = _l(containers)
    if not ctrs:
        return [FieldError("Required", path, "", "")]
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, ctr in enumerate(ctrs):
        ctr = _m(ctr)
        idx = f"{path}[{i}]"
        errs.extend(_validate_container_common(ctr, volumes, idx))
        name = _s(ctr.get("name"))
        if name in seen:
            errs.append(FieldError("Duplicate", f"{idx}.name", name))
        else:
            seen.add(name)
    return errs


def _validate_init_containers(inits: Any, containers: Any, volumes: set[str], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    all_names = {_s(_m(c).get("name")) for c in _l(containers)}
    for i, ctr in enumerate(_l(inits)):
        ctr = _m(ctr)
        idx = f"{path}[{i}]"
        errs.extend(_validate_container_common(ctr, volumes, idx))
        name = _s(ctr.get("name"))
        if name in all_names:
            errs.append(FieldError("Duplicate", f"{idx}.name", name))
        else:
            all_names.add(name)
    return errs


def _restart_policy(spec: Mapping[str, Any]) -> str:
    """The pod's restartPolicy after defaulting (missing -> Always)."""
    rp = spec.get("restartPolicy")
    return "Always" if rp is None else _s(rp)


def validate_pod_spec(spec: Any, path: str) -> list[FieldError]:
    """`ValidatePodSpec` (containers, init containers, volumes, policies, names)."""
    spec = _m(spec)
    errs: list[FieldError] = []
    volumes, verrs = _validate_volumes(spec.get("volumes"), f"{path}.volumes")
    errs.extend(verrs)
    errs.extend(_validate_containers(spec.get("containers"), volumes, f"{path}.containers"))
    errs.extend(_validate_init_containers(spec.get("initContainers"), spec.get("containers"), volumes, f"{path}.initContainers"))

    rp = _restart_policy(spec)
    if rp == "":
        errs.append(FieldError("Required", f"{path}.restartPolicy", "", ""))
    elif rp not in RESTART_POLICIES:
        errs.append(FieldError("NotSupported", f"{path}.restartPolicy", rp, supported=RESTART_POLICIES))

    dns = spec.get("dnsPolicy")
    if dns is not None:
        dns = _s(dns)
        if dns == "":
            errs.append(FieldError("Required", f"{path}.dnsPolicy", "", ""))
        elif dns not in DNS_POLICIES:
            errs.append(FieldError("NotSupported", f"{path}.dnsPolicy", dns, supported=DNS_POLICIES))

    errs.extend(validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector"))

    sa = _s(spec.get("serviceAccountName"))
    if sa:
        errs.extend(_invalid(f"{path}.serviceAccountName", sa, names.name_is_dns_subdomain(sa)))
    node = _s(spec.get("nodeName"))
    if node:
        errs.extend(_invalid(f"{path}.nodeName", node, names.name_is_dns_subdomain(node)))
    ads = _i(spec.get("activeDeadlineSeconds"))
    if ads is not None and (ads < 1 or ads > MAX_INT32):
        errs.append(FieldError("Invalid", f"{path}.activeDeadlineSeconds", ads, names.inclusive_range_error(1, MAX_INT32)))
    hostname = _s(spec.get("hostname"))
    if hostname:
        errs.extend(_dns_label(hostname, f"{path}.hostname"))
    subdomain = _s(spec.get("subdomain"))
    if subdomain:
        errs.extend(_dns_label(subdomain, f"{path}.subdomain"))
    return errs


def validate_pod_template_spec(tmpl: Any, path: str) -> list[FieldError]:
    """`ValidatePodTemplateSpec`: note upstream reports template labels at `<path>.labels`."""
    tmpl = _m(tmpl)
    meta = _m(tmpl.get("metadata"))
    errs: list[FieldError] = []
    errs.extend(validate_labels(meta.get("labels"), f"{path}.labels"))
    errs.extend(validate_annotations(meta.get("annotations"), f"{path}.annotations"))
    spec = _m(tmpl.get("spec"))
    errs.extend(validate_pod_spec(spec, f"{path}.spec"))
    if _l(spec.get("ephemeralContainers")):
        errs.append(FieldError("Forbidden", f"{path}.spec.ephemeralContainers", "", "ephemeral containers not allowed in pod template"))
    return errs


def _template_labels(tmpl: Any) -> Mapping[str, Any] | None:
    labels = _m(tmpl).get("metadata", {})
    labels = _m(labels).get("labels")
    return labels if isinstance(labels, dict) else None


def _validate_pod(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    return validate_pod_spec(obj.get("spec"), "spec")


def _validate_pod_template(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    return validate_pod_template_spec(obj.get("template"), "template")


# -- apps ----------------------------------------------------------------------------------------


def _validate_positive_int_or_percent(v: Any, path: str) -> list[FieldError]:
    """`ValidatePositiveIntOrPercent`."""
    if isinstance(v, str):
        return [GoFieldError("Invalid", path, go_int_or_string(v), m) for m in names.is_valid_percent(v)]
    if _i(v) is not None:
        return validate_nonnegative(v, path)
    return [GoFieldError("Invalid", path, go_int_or_string(v), "must be an integer or percentage (e.g '5%%')")]


def _percent_value(v: Any) -> int | None:
    if isinstance(v, str) and not names.is_valid_percent(v):
        return int(v[:-1])
    return None


def _int_or_percent_value(v: Any) -> int:
    """`getIntOrPercentValue` (a non-percent string counts as `strconv.Atoi(s)` or 0)."""
    pv = _percent_value(v)
    if pv is not None:
        return pv
    if _i(v) is not None:
        return v
    if isinstance(v, str):
        body = v[1:] if v[:1] in "+-" else v
        return int(v) if body.isascii() and body.isdigit() else 0
    return 0


def _not_more_than_100_percent(v: Any, path: str) -> list[FieldError]:
    pv = _percent_value(v)
    if pv is None or pv <= 100:
        return []
    return [GoFieldError("Invalid", path, go_int_or_string(v), "must not be greater than 100%")]


def _go_deployment_strategy(strategy: Mapping[str, Any]) -> str:
    ru = "(*apps.RollingUpdateDeployment)(nil)" if strategy.get("rollingUpdate") is None else "(*apps.RollingUpdateDeployment)(0xc000000000)"
    return f"apps.DeploymentStrategy{{Type:{go_quote(_s(strategy.get('type')))}, RollingUpdate:{ru}}}"


def _validate_deployment_strategy(strategy: Any, path: str) -> list[FieldError]:
    strategy = dict(_m(strategy))
    stype = strategy.get("type")
    stype = "RollingUpdate" if stype in (None, "") else _s(stype)
    strategy["type"] = stype
    errs: list[FieldError] = []
    if stype == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            errs.append(FieldError("Forbidden", f"{path}.rollingUpdate", "", "may not be specified when strategy `type` is 'Recreate'"))
    elif stype == "RollingUpdate":
        ru = _m(strategy.get("rollingUpdate"))
        mu = ru.get("maxUnavailable", "25%")
        ms = ru.get("maxSurge", "25%")
        mu = "25%" if mu is None else mu
        ms = "25%" if ms is None else ms
        rp = f"{path}.rollingUpdate"
        errs.extend(_validate_positive_int_or_percent(mu, f"{rp}.maxUnavailable"))
        errs.extend(_validate_positive_int_or_percent(ms, f"{rp}.maxSurge"))
        if _int_or_percent_value(mu) == 0 and _int_or_percent_value(ms) == 0:
            errs.append(GoFieldError("Invalid", f"{rp}.maxUnavailable", go_int_or_string(mu), "may not be 0 when `maxSurge` is 0"))
        errs.extend(_not_more_than_100_percent(mu, f"{rp}.maxUnavailable"))
    else:
        errs.append(GoFieldError("NotSupported", path, _go_deployment_strategy(strategy), supported=("Recreate", "RollingUpdate")))
    return errs


def _validate_selector_and_template(
    spec: Mapping[str, Any], kind_word: str, required: bool = True
) -> tuple[list[FieldError], Any]:
    """The common `spec.selector` checks of Deployment / ReplicaSet / StatefulSet.

    Returns the errors and the compiled selector (None when `LabelSelectorAsSelector` fails).
    """
    errs: list[FieldError] = []
    sel = spec.get("selector")
    if sel is not None and not isinstance(sel, dict):
        sel = {}
    if sel is None:
        if required:
            errs.append(FieldError("Required", "spec.selector", "", ""))
    else:
        errs.extend(validate_label_selector(sel, "spec.selector"))
        if len(_m(sel.get("matchLabels"))) + len(_l(sel.get("matchExpressions"))) == 0:
            errs.append(GoFieldError("Invalid", "spec.selector", go_label_selector(sel), f"empty selector is invalid for {kind_word}"))
    try:
        compiled = selector_from_label_selector(sel)
    except Exception:  # StatusError from NewRequirement / bad operator
        compiled = None
    return errs, compiled


def _template_matches(compiled: Any, tmpl: Any, path: str = "spec.template.metadata.labels") -> list[FieldError]:
    if compiled is None or compiled.is_empty():
        return []
    labels = _template_labels(tmpl)
    if not compiled.matches(labels or {}):
        return [GoFieldError("Invalid", path, go_string_map(labels), "`selector` does not match template `labels`")]
    return []


def _validate_template_for_replicaset(compiled: Any, tmpl: Any, kind: str) -> list[FieldError]:
    """`ValidatePodTemplateSpecForReplicaSet`."""
    errs = _template_matches(compiled, tmpl)
    errs.extend(validate_pod_template_spec(tmpl, "spec.template"))
    tspec = _m(_m(tmpl).get("spec"))
    rp = _restart_policy(tspec)
    if rp != "Always":
        errs.append(FieldError("NotSupported", "spec.template.spec.restartPolicy", rp, supported=("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            FieldError("Forbidden", "spec.template.spec.activeDeadlineSeconds", "", f"activeDeadlineSeconds in {kind} is not Supported")
        )
    return errs


def _selector_immutable(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    """apps/v1 strategies: `spec.selector` may not change on update."""
    if old is None:
        return []
    new_sel = _m(obj.get("spec")).get("selector")
    old_sel = _m(old.get("spec")).get("selector")
    if _norm_selector(new_sel) == _norm_selector(old_sel):
        return []
    return [GoFieldError("Invalid", "spec.selector", go_label_selector(new_sel if isinstance(new_sel, dict) else None), FIELD_IMMUTABLE)]


def _norm_selector(sel: Any) -> Any:
    if not isinstance(sel, dict):
        return None
    return (
        tuple(sorted((str(k), _s(v)) for k, v in _m(sel.get("matchLabels")).items())),
        tuple(
            (_s(_m(e).get("key")), _s(_m(e).get("operator")), tuple(_s(v) for v in _l(_m(e).get("values"))))
            for e in _l(sel.get("matchExpressions"))
        ),
    )


def _validate_deployment(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    spec = _m(obj.get("spec"))
    errs: list[FieldError] = []
    errs.extend(validate_nonnegative(spec.get("replicas", 1), "spec.replicas"))
    serrs, compiled = _validate_selector_and_template(spec, "deployment")
    errs.extend(serrs)
    if compiled is None:
        errs.append(GoFieldError("Invalid", "spec.selector", go_label_selector(_m(spec.get("selector"))), "invalid label selector"))
    else:
        errs.extend(_validate_template_for_replicaset(compiled, spec.get("template"), "ReplicaSet"))
    errs.extend(_validate_deployment_strategy(spec.get("strategy"), "spec.strategy"))
    min_ready = _i(spec.get("minReadySeconds")) or 0
    errs.extend(validate_nonnegative(min_ready, "spec.minReadySeconds"))
    rhl = spec.get("revisionHistoryLimit")
    errs.extend(validate_nonnegative(10 if rhl is None else rhl, "spec.revisionHistoryLimit"))
    pds = spec.get("progressDeadlineSeconds")
    pds = 600 if pds is None else pds
    if _i(pds) is not None:
        errs.extend(validate_nonnegative(pds, "spec.progressDeadlineSeconds"))
        if pds <= min_ready:
            errs.append(FieldError("Invalid", "spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"))
    errs.extend(_selector_immutable(obj, old))
    return errs


def _validate_replicaset(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    spec = _m(obj.get("spec"))
    errs: list[FieldError] = []
    errs.extend(validate_nonnegative(spec.get("replicas", 1), "spec.replicas"))
    errs.extend(validate_nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds"))
    # upstream's ReplicaSet check says "deployment" too (ValidateReplicaSetSpec)
    serrs, compiled = _validate_selector_and_template(spec, "deployment")
    errs.extend(serrs)
    if compiled is None:
        errs.append(GoFieldError("Invalid", "spec.selector", go_label_selector(_m(spec.get("selector"))), "invalid label selector"))
    else:
        errs.extend(_validate_template_for_replicaset(compiled, spec.get("template"), "ReplicaSet"))
    errs.extend(_selector_immutable(obj, old))
    return errs


def _go_daemonset_strategy(strategy: Mapping[str, Any]) -> str:
    ru = "(*apps.RollingUpdateDaemonSet)(nil)" if strategy.get("rollingUpdate") is None else "(*apps.RollingUpdateDaemonSet)(0xc000000000)"
    return f"apps.DaemonSetUpdateStrategy{{Type:{go_quote(_s(strategy.get('type')))}, RollingUpdate:{ru}}}"


def _validate_daemonset_strategy(strategy: Any, path: str) -> list[FieldError]:
    strategy = dict(_m(strategy))
    stype = strategy.get("type")
    stype = "RollingUpdate" if stype in (None, "") else _s(stype)
    strategy["type"] = stype
    if stype == "OnDelete":
        return []
    if stype == "RollingUpdate":
        ru = _m(strategy.get("rollingUpdate"))
        mu = ru.get("maxUnavailable", 1)
        ms = ru.get("maxSurge", 0)
        mu = 1 if mu is None else mu
        ms = 0 if ms is None else ms
        rp = f"{path}.rollingUpdate"
        errs: list[FieldError] = []
        errs.extend(_validate_positive_int_or_percent(mu, f"{rp}.maxUnavailable"))
        errs.extend(_validate_positive_int_or_percent(ms, f"{rp}.maxSurge"))
        errs.extend(_not_more_than_100_percent(mu, f"{rp}.maxUnavailable"))
        errs.extend(_not_more_than_100_percent(ms, f"{rp}.maxSurge"))
        has_u = _int_or_percent_value(mu) != 0
        has_s = _int_or_percent_value(ms) != 0
        if has_u and has_s:
            errs.append(GoFieldError("Invalid", f"{rp}.maxSurge", go_int_or_string(ms), "may not be set when maxUnavailable is non-zero"))
        elif not has_u and not has_s:
            errs.append(FieldError("Required", f"{rp}.maxUnavailable", "", "cannot be 0 when maxSurge is 0"))
        return errs
    return [GoFieldError("NotSupported", path, _go_daemonset_strategy(strategy), supported=("RollingUpdate", "OnDelete"))]


def _validate_daemonset(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    spec = _m(obj.get("spec"))
    errs: list[FieldError] = []
    sel = spec.get("selector")
    sel = sel if isinstance(sel, dict) else None
    errs.extend(validate_label_selector(sel, "spec.selector"))
    try:
        compiled = selector_from_label_selector(sel)
    except Exception:
        compiled = None
    if compiled is not None and not compiled.matches(_template_labels(spec.get("template")) or {}):
        errs.append(
            GoFieldError(
                "Invalid",
                "spec.template.metadata.labels",
                go_string_map(_template_labels(spec.get("template"))),
                "`selector` does not match template `labels`",
            )
        )
    if sel is not None and len(_m(sel.get("matchLabels"))) + len(_l(sel.get("matchExpressions"))) == 0:
        errs.append(GoFieldError("Invalid", "spec.selector", go_label_selector(sel), "empty selector is invalid for daemonset"))
    tmpl = spec.get("template")
    errs.extend(validate_pod_template_spec(tmpl, "spec.template"))
    tspec = _m(_m(tmpl).get("spec"))
    rp = _restart_policy(tspec)
    if rp != "Always":
        errs.append(FieldError("NotSupported", "spec.template.spec.restartPolicy", rp, supported=("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            FieldError("Forbidden", "spec.template.spec.activeDeadlineSeconds", "", "activeDeadlineSeconds in DaemonSet is not Supported")
        )
    errs.extend(validate_nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds"))
    errs.extend(validate_nonnegative(spec.get("templateGeneration", 0), "spec.templateGeneration"))
    errs.extend(_validate_daemonset_strategy(spec.get("updateStrategy"), "spec.updateStrategy"))
    rhl = spec.get("revisionHistoryLimit", 10)
    if rhl is not None:
        errs.extend(validate_nonnegative(rhl, "spec.revisionHistoryLimit"))
    errs.extend(_selector_immutable(obj, old))
    return errs


_STS_MUTABLE = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds")


def _sts_fixed_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in spec.items() if k not in _STS_MUTABLE}
    out.setdefault("podManagementPolicy", "OrderedReady")
    out.setdefault("revisionHistoryLimit", 10)
    if out.get("selector") is not None:
        out["selector"] = _norm_selector(out["selector"])
    return out


def _validate_statefulset(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    spec = _m(obj.get("spec"))
    errs: list[FieldError] = []
    pmp = spec.get("podManagementPolicy", "OrderedReady")
    pmp = "OrderedReady" if pmp is None else _s(pmp)
    if pmp == "":
        errs.append(FieldError("Required", "spec.podManagementPolicy", "", ""))
    elif pmp not in ("OrderedReady", "Parallel"):
        errs.append(FieldError("Invalid", "spec.podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'"))

    us = _m(spec.get("updateStrategy"))
    utype = us.get("type", "RollingUpdate")
    utype = "RollingUpdate" if utype is None else _s(utype)
    if utype == "":
        errs.append(FieldError("Required", "spec.updateStrategy", "", ""))
    elif utype == "OnDelete":
        if us.get("rollingUpdate") is not None:
            errs.append(
                GoFieldError(
                    "Invalid",
                    "spec.updateStrategy.rollingUpdate",
                    "(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)",
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            )
    elif utype == "RollingUpdate":
        ru = us.get("rollingUpdate")
        if isinstance(ru, dict):
            rp = "spec.updateStrategy.rollingUpdate"
            errs.extend(validate_nonnegative(ru.get("partition", 0), f"{rp}.partition"))
            mu = ru.get("maxUnavailable")
            if mu is not None:
                errs.extend(_validate_positive_int_or_percent(mu, f"{rp}.maxUnavailable"))
                if _int_or_percent_value(mu) == 0:
                    errs.append(GoFieldError("Invalid", f"{rp}.maxUnavailable", go_int_or_string(mu), "cannot be 0"))
                errs.extend(_not_more_than_100_percent(mu, f"{rp}.maxUnavailable"))
    else:
        ru = "(*apps.RollingUpdateStatefulSetStrategy)(nil)" if us.get("rollingUpdate") is None else "(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)"
        errs.append(
            GoFieldError(
                "Invalid",
                "spec.updateStrategy",
                f"apps.StatefulSetUpdateStrategy{{Type:{go_quote(utype)}, RollingUpdate:{ru}}}",
                "must be 'RollingUpdate' or 'OnDelete'",
            )
        )

    policy = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(policy, dict):
        for fld in ("whenDeleted", "whenScaled"):
            val = _s(policy.get(fld, "Retain") or "Retain")
            if val not in ("Retain", "Delete"):
                errs.append(
                    FieldError(
                        "NotSupported", f"spec.persistentVolumeClaimRetentionPolicy.{fld}", val, supported=("Retain", "Delete")
                    )
                )

    errs.extend(validate_nonnegative(spec.get("replicas", 1), "spec.replicas"))
    errs.extend(validate_nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds"))
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        errs.extend(validate_nonnegative(ordinals.get("start", 0), "spec.ordinals.start"))

    serrs, compiled = _validate_selector_and_template(spec, "statefulset")
    errs.extend(serrs)
    tmpl = spec.get("template")
    if compiled is None:
        errs.append(GoFieldError("Invalid", "spec.selector", go_label_selector(_m(spec.get("selector"))), ""))
    else:
        # ValidatePodTemplateSpecForStatefulSet: upstream validates only the template's
        # labels and annotations here (its pod spec check is a TODO upstream).
        errs.extend(_template_matches(compiled, tmpl))
        tmeta = _m(_m(tmpl).get("metadata"))
        errs.extend(validate_labels(tmeta.get("labels"), "spec.template.labels"))
        errs.extend(validate_annotations(tmeta.get("annotations"), "spec.template.annotations"))
    tspec = _m(_m(tmpl).get("spec"))
    rp = _restart_policy(tspec)
    if rp != "Always":
        errs.append(FieldError("NotSupported", "spec.template.spec.restartPolicy", rp, supported=("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            FieldError("Forbidden", "spec.template.spec.activeDeadlineSeconds", "", "activeDeadlineSeconds in StatefulSet is not Supported")
        )
    if old is not None and _sts_fixed_spec(spec) != _sts_fixed_spec(_m(old.get("spec"))):
        errs.append(
            FieldError(
                "Forbidden",
                "spec",
                "",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
                "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            )
        )
    return errs


# -- core controllers -------------------------------------------------------------------------------


def _validate_replication_controller(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    spec = _m(obj.get("spec"))
    tmpl = spec.get("template")
    errs: list[FieldError] = []
    errs.extend(validate_nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds"))
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not selector:
        # v1 defaulting copies the template labels into an empty selector
        selector = _template_labels(tmpl) or {}
    if selector_from_set(selector).is_empty():
        errs.append(FieldError("Required", "spec.selector", "", ""))
    errs.extend(validate_nonnegative(spec.get("replicas", 1), "spec.replicas"))
    if not isinstance(tmpl, dict):
        errs.append(FieldError("Required", "spec.template", "", ""))
        return errs
    compiled = selector_from_set(selector)
    if not compiled.is_empty():
        labels = _template_labels(tmpl)
        if not compiled.matches(labels or {}):
            errs.append(
                GoFieldError("Invalid", "spec.template.metadata.labels", go_string_map(labels), "selector does not match template labels")
            )
    errs.extend(validate_pod_template_spec(tmpl, "spec.template"))
    tspec = _m(tmpl.get("spec"))
    rp = _restart_policy(tspec)
    if rp != "Always":
        errs.append(FieldError("NotSupported", "spec.template.spec.restartPolicy", rp, supported=("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            FieldError(
                "Forbidden", "spec.template.spec.activeDeadlineSeconds", "", "activeDeadlineSeconds in ReplicationController is not Supported"
            )
        )
    return errs


# -- batch -----------------------------------------------------------------------------------------


def _validate_job_spec_common(spec: Mapping[str, Any], path: str) -> list[FieldError]:
    """`validateJobSpec`: counters, the pod template and the Job restartPolicy rule."""
    errs: list[FieldError] = []
    for fld in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex"):
        if spec.get(fld) is not None:
            errs.extend(validate_nonnegative(spec.get(fld), f"{path}.{fld}"))
    cm = spec.get("completionMode")
    if cm is not None and _s(cm) not in ("NonIndexed", "Indexed"):
        errs.append(FieldError("NotSupported", f"{path}.completionMode", _s(cm), supported=("NonIndexed", "Indexed")))
    if _s(cm) == "Indexed" and spec.get("completions") is None:
        errs.append(FieldError("Required", f"{path}.completions", "", "when completion mode is Indexed"))
    tmpl = spec.get("template")
    errs.extend(validate_pod_template_spec(tmpl, f"{path}.template"))
    rp = _s(_m(_m(tmpl).get("spec")).get("restartPolicy"))
    rp_path = f"{path}.template.spec.restartPolicy"
    if rp in ("Always", ""):
        errs.append(FieldError("Required", rp_path, "", 'valid values: "OnFailure", "Never"'))
    elif rp not in ("OnFailure", "Never"):
        errs.append(FieldError("NotSupported", rp_path, rp, supported=("OnFailure", "Never")))
    elif spec.get("podFailurePolicy") is not None and rp != "Never":
        errs.append(FieldError("Invalid", rp_path, rp, 'only "Never" is supported when podFailurePolicy is specified'))
    return errs


def _validate_job(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    spec = _m(obj.get("spec"))
    errs = _validate_job_spec_common(spec, "spec")
    sel = spec.get("selector")
    if isinstance(sel, dict):
        errs.extend(validate_label_selector(sel, "spec.selector"))
        try:
            compiled = selector_from_label_selector(sel)
        except Exception:
            compiled = None
        if compiled is not None and not compiled.matches(_template_labels(spec.get("template")) or {}):
            errs.append(
                GoFieldError(
                    "Invalid",
                    "spec.template.metadata.labels",
                    go_string_map(_template_labels(spec.get("template"))),
                    "`selector` does not match template `labels`",
                )
            )
    elif spec.get("manualSelector") is True:
        # without manualSelector the server generates the selector before validation
        errs.append(FieldError("Required", "spec.selector", "", ""))
    if old is not None:
        ospec = _m(old.get("spec"))
        if spec.get("completions") != ospec.get("completions") and _s(spec.get("completionMode")) != "Indexed":
            errs.append(FieldError("Invalid", "spec.completions", spec.get("completions"), FIELD_IMMUTABLE))
        if "selector" in ospec and _norm_selector(spec.get("selector")) != _norm_selector(ospec.get("selector")):
            errs.append(GoFieldError("Invalid", "spec.selector", go_label_selector(_m(spec.get("selector"))), FIELD_IMMUTABLE))
    return errs


def _validate_cronjob(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    spec = _m(obj.get("spec"))
    errs: list[FieldError] = []
    schedule = _s(spec.get("schedule"))
    if not schedule:
        errs.append(FieldError("Required", "spec.schedule", "", ""))
    # cron expression validated by the CronJob issue
    from engine.controllers.cronjob.validation import validate_cronjob_schedule

    errs.extend(validate_cronjob_schedule(spec, _m(old.get("spec")) if old is not None else None))
    if spec.get("startingDeadlineSeconds") is not None:
        errs.extend(validate_nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds"))
    cp = spec.get("concurrencyPolicy", "Allow")
    cp = "Allow" if cp is None else _s(cp)
    if cp == "":
        errs.append(FieldError("Required", "spec.concurrencyPolicy", "", ""))
    elif cp not in ("Allow", "Forbid", "Replace"):
        errs.append(FieldError("NotSupported", "spec.concurrencyPolicy", cp, supported=("Allow", "Forbid", "Replace")))
    jt = _m(spec.get("jobTemplate"))
    jspec = _m(jt.get("spec"))
    errs.extend(_validate_job_spec_common(jspec, "spec.jobTemplate.spec"))
    if jspec.get("selector") is not None:
        errs.append(
            GoFieldError(
                "Invalid", "spec.jobTemplate.spec.selector", go_label_selector(_m(jspec.get("selector"))), "`selector` will be auto-generated"
            )
        )
    if jspec.get("manualSelector") is True:
        errs.append(FieldError("NotSupported", "spec.jobTemplate.spec.manualSelector", True, supported=("nil", "false")))
    for fld in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        if spec.get(fld) is not None:
            errs.extend(validate_nonnegative(spec.get(fld), f"spec.{fld}"))
    if old is None:
        name = _s(_m(obj.get("metadata")).get("name"))
        if len(name.encode("utf-8")) > 52:
            errs.append(FieldError("Invalid", "metadata.name", name, "must be no more than 52 characters"))
    return errs


# -- services ------------------------------------------------------------------------------------

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def _go_service_port(port: Mapping[str, Any], protocol: str) -> str:
    return (
        f'core.ServicePort{{Name:"", Protocol:{go_quote(protocol)}, AppProtocol:(*string)(nil), '
        f"Port:{_i(port.get('port')) or 0}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"
    )


def _is_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


_VALID_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


def _go_strings(values: list) -> str:
    return "[]string{" + ", ".join(go_quote(_s(v)) for v in values) + "}"


def _cluster_ips(spec: Mapping[str, Any]) -> list:
    return [v for v in _l(spec.get("clusterIPs"))]


def _validate_service_cluster_ips(spec: Mapping[str, Any], stype: str) -> list[FieldError]:
    """`ValidateServiceClusterIPsRelatedFields` (single-stack cluster: IPv4 families only)."""
    if stype == "ExternalName":
        return []
    errs: list[FieldError] = []
    cip, cips = _s(spec.get("clusterIP")), _cluster_ips(spec)
    if cip:
        if not cips:
            errs.append(FieldError("Required", "spec.clusterIPs", "", ""))
        elif cips[0] != cip:
            errs.append(GoFieldError("Invalid", "spec.clusterIPs", _go_strings(cips), "first value must match `clusterIP`"))
    elif cips:
        errs.append(GoFieldError("Invalid", "spec.clusterIPs", _go_strings(cips), "must be empty when `clusterIP` is not specified"))
    for i, fam in enumerate(_l(spec.get("ipFamilies"))):
        if fam not in ("IPv4", "IPv6"):
            errs.append(FieldError("NotSupported", f"spec.ipFamilies[{i}]", fam, supported=("IPv4", "IPv6")))
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in ("PreferDualStack", "RequireDualStack", "SingleStack"):
        errs.append(FieldError("NotSupported", "spec.ipFamilyPolicy", policy,
                               supported=("PreferDualStack", "RequireDualStack", "SingleStack")))
    bad = False
    for i, ip in enumerate(cips):
        if i == 0 and ip == "None":
            if len(cips) > 1:
                bad = True
                errs.append(GoFieldError("Invalid", "spec.clusterIPs", _go_strings(cips), "'None' must be the first and only value"))
            continue
        if not _is_ip(_s(ip)):
            bad = True
            errs.append(FieldError("Invalid", f"spec.clusterIPs[{i}]", _s(ip), _VALID_IP))
    if len(cips) > 2:
        errs.append(GoFieldError("Invalid", "spec.clusterIPs", _go_strings(cips), "may only hold up to 2 values"))
    if not bad and len(cips) > 1:
        errs.append(GoFieldError("Invalid", "spec.clusterIPs", _go_strings(cips), "may specify no more than one IP for each IP family"))
    return errs


def _headless(spec: Mapping[str, Any]) -> bool:
    cips = _cluster_ips(spec)
    return (len(cips) == 1 and cips[0] == "None") or (not cips and spec.get("clusterIP") == "None")


def _validate_service_update(spec: Mapping[str, Any], ospec: Mapping[str, Any]) -> list[FieldError]:
    """`validateUpgradeDowngradeClusterIPs`: a cluster IP may not change once set."""
    if "ExternalName" in (spec.get("type"), ospec.get("type")):
        return []
    if _headless(spec) and _headless(ospec):
        return []
    new, old = _cluster_ips(spec), _cluster_ips(ospec)
    errs: list[FieldError] = []
    if len(old) == len(new):
        for i, ip in enumerate(old):
            if ip != new[i]:
                errs.append(GoFieldError("Invalid", f"spec.clusterIPs[{i}]", _go_strings(new), "may not change once set"))
    elif len(old) > len(new):
        if not new:
            errs.append(GoFieldError("Invalid", "spec.clusterIPs[0]", _go_strings(new), "primary clusterIP can not be unset"))
        elif old[0] != new[0]:
            errs.append(GoFieldError("Invalid", "spec.clusterIPs[0]", _go_strings(new), "may not change once set"))
    elif old and new[0] != old[0]:
        errs.append(GoFieldError("Invalid", "spec.clusterIPs[0]", _go_strings(new), "may not change once set"))
    return errs


def _validate_service(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    """`ValidateService` (+ `ValidateServiceUpdate`), in upstream's order."""
    spec = _m(obj.get("spec"))
    errs: list[FieldError] = []
    if old is not None:
        errs.extend(_validate_service_update(spec, _m(old.get("spec"))))
    stype = spec.get("type", "ClusterIP")
    stype = "ClusterIP" if stype is None else _s(stype)
    headless = _headless(spec)
    ports = _l(spec.get("ports"))
    if not ports and not headless and stype != "ExternalName":
        errs.append(FieldError("Required", "spec.ports", "", ""))
    if stype in ("LoadBalancer", "NodePort") and headless:
        errs.append(FieldError("Invalid", "spec.clusterIPs[0]", "None", f"may not be set to 'None' for {stype} services"))
    elif stype == "ExternalName":
        if _cluster_ips(spec) or spec.get("clusterIP"):
            errs.append(FieldError("Forbidden", "spec.clusterIPs", "", "may not be set for ExternalName services"))
        if _l(spec.get("ipFamilies")):
            errs.append(FieldError("Forbidden", "spec.ipFamilies", "", "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            errs.append(FieldError("Forbidden", "spec.ipFamilyPolicy", "", "may not be set for ExternalName services"))
        cname = _s(spec.get("externalName"))
        if cname.endswith("."):
            cname = cname[:-1]
        if cname:
            errs.extend(_dns_subdomain(cname, "spec.externalName"))
        else:
            errs.append(FieldError("Required", "spec.externalName", "", ""))

    all_names: set[str] = set()
    for i, port in enumerate(ports):
        port = _m(port)
        pp = f"spec.ports[{i}]"
        pname = _s(port.get("name"))
        if len(ports) > 1 and not pname:
            errs.append(FieldError("Required", f"{pp}.name", "", ""))
        elif pname:
            errs.extend(_dns_label(pname, f"{pp}.name"))
            if pname in all_names:
                errs.append(FieldError("Duplicate", f"{pp}.name", pname))
            else:
                all_names.add(pname)
        pnum = _i(port.get("port")) or 0
        errs.extend(_invalid(f"{pp}.port", pnum, names.is_valid_port_num(pnum)))
        proto = port.get("protocol", "TCP")
        proto = "TCP" if proto is None else _s(proto)
        if not proto:
            errs.append(FieldError("Required", f"{pp}.protocol", "", ""))
        elif proto not in SUPPORTED_PORT_PROTOCOLS:
            errs.append(FieldError("NotSupported", f"{pp}.protocol", proto, supported=SUPPORTED_PORT_PROTOCOLS))
        target = port.get("targetPort")
        if target in (None, 0, ""):
            target = pnum  # defaulted to the port
        if isinstance(target, str):
            errs.extend(_invalid(f"{pp}.targetPort", target, names.is_valid_port_name(target)))
        elif _i(target) is not None:
            errs.extend(_invalid(f"{pp}.targetPort", target, names.is_valid_port_num(target)))

    if isinstance(spec.get("selector"), dict):
        errs.extend(validate_labels(spec.get("selector"), "spec.selector"))
    sa = spec.get("sessionAffinity", "None")
    sa = "None" if sa is None else _s(sa)
    if sa == "":
        errs.append(FieldError("Required", "spec.sessionAffinity", "", ""))
    elif sa not in ("ClientIP", "None"):
        errs.append(FieldError("NotSupported", "spec.sessionAffinity", sa, supported=("ClientIP", "None")))
    errs.extend(_validate_service_cluster_ips(spec, stype))
    for i, ip in enumerate(_l(spec.get("externalIPs"))):
        if not _is_ip(_s(ip)):
            errs.append(FieldError("Invalid", f"spec.externalIPs[{i}]", _s(ip), _VALID_IP))
    if stype not in SERVICE_TYPES:
        errs.append(FieldError("NotSupported", "spec.type", stype, supported=SERVICE_TYPES))
    if stype == "ClusterIP":
        for i, port in enumerate(ports):
            if _i(_m(port).get("nodePort")):
                errs.append(FieldError("Forbidden", f"spec.ports[{i}].nodePort", "", "may not be used when `type` is 'ClusterIP'"))
    seen_np: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        port = _m(port)
        np = _i(port.get("nodePort")) or 0
        if not np:
            continue
        key = (_s(port.get("protocol") or "TCP"), np)
        if key in seen_np:
            errs.append(FieldError("Duplicate", f"spec.ports[{i}].nodePort", np))
        seen_np.add(key)
    seen: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        port = _m(port)
        proto = _s(port.get("protocol") or "TCP")
        key = (proto, _i(port.get("port")) or 0)
        if key in seen:
            errs.append(GoFieldError("Duplicate", f"spec.ports[{i}]", _go_service_port(port, proto)))
        seen.add(key)
    if spec.get("allocateLoadBalancerNodePorts") is not None and stype != "LoadBalancer":
        errs.append(FieldError("Forbidden", "spec.allocateLoadBalancerNodePorts", "", "may only be used when `type` is 'LoadBalancer'"))
    etp = spec.get("externalTrafficPolicy")
    external = stype in ("LoadBalancer", "NodePort") or (stype == "ClusterIP" and bool(_l(spec.get("externalIPs"))))
    if not external:
        if etp:
            errs.append(FieldError("Invalid", "spec.externalTrafficPolicy", _s(etp), "may only be set for externally-accessible services"))
    elif etp and etp not in ("Cluster", "Local"):
        errs.append(FieldError("NotSupported", "spec.externalTrafficPolicy", _s(etp), supported=("Cluster", "Local")))
    return errs


# -- config ----------------------------------------------------------------------------------------


def _b64_len(v: Any) -> int:
    s = _s(v)
    try:
        return len(base64.b64decode(s, validate=False))
    except (binascii.Error, ValueError):
        return len(s.encode("utf-8"))


def _validate_configmap(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    errs: list[FieldError] = []
    data, binary = _m(obj.get("data")), _m(obj.get("binaryData"))
    total = 0
    for key in sorted(data, key=str):
        k = str(key)
        errs.extend(_invalid(f"data[{k}]", k, names.is_config_map_key(k)))
        if k in binary:
            errs.append(FieldError("Invalid", f"data[{k}]", k, "duplicate of key present in binaryData"))
        total += len(_s(data[key]).encode("utf-8"))
    for key in sorted(binary, key=str):
        k = str(key)
        errs.extend(_invalid(f"binaryData[{k}]", k, names.is_config_map_key(k)))
        total += _b64_len(binary[key])
    if total > MAX_SECRET_SIZE:
        errs.append(FieldError("TooLong", "[]", "", f"must have at most {MAX_SECRET_SIZE} bytes"))
    if old is not None and old.get("immutable") is True:
        pre: list[FieldError] = []
        if obj.get("immutable") is not True:
            pre.append(FieldError("Forbidden", "immutable", "", "field is immutable when `immutable` is set"))
        if _m(obj.get("data")) != _m(old.get("data")):
            pre.append(FieldError("Forbidden", "data", "", "field is immutable when `immutable` is set"))
        if _m(obj.get("binaryData")) != _m(old.get("binaryData")):
            pre.append(FieldError("Forbidden", "binaryData", "", "field is immutable when `immutable` is set"))
        errs = pre + errs
    return errs


def _secret_data(obj: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with `stringData` merged in, as the conversion does before validation."""
    out: dict[str, Any] = dict(_m(obj.get("data")))
    for k, v in _m(obj.get("stringData")).items():
        out[str(k)] = base64.b64encode(_s(v).encode("utf-8")).decode("ascii")
    return out


def _validate_secret(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    errs: list[FieldError] = []
    data = _secret_data(obj)
    total = 0
    for key in sorted(data):
        errs.extend(_invalid(f"data[{key}]", key, names.is_config_map_key(key)))
        total += _b64_len(data[key])
    if total > MAX_SECRET_SIZE:
        errs.append(FieldError("TooLong", "data", "", f"must have at most {MAX_SECRET_SIZE} bytes"))
    stype = _s(obj.get("type") or "Opaque")
    if stype == "kubernetes.io/service-account-token":
        ann = _m(_m(obj.get("metadata")).get("annotations"))
        if not _s(ann.get("kubernetes.io/service-account.name")):
            errs.append(FieldError("Required", "metadata.annotations[kubernetes.io/service-account.name]", "", ""))
    elif stype in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = ".dockercfg" if stype == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if key not in data:
            errs.append(FieldError("Required", f"data[{key}]", "", ""))
        else:
            try:
                parsed = json.loads(base64.b64decode(_s(data[key])).decode("utf-8"))
                ok = isinstance(parsed, dict)
            except (ValueError, UnicodeDecodeError, binascii.Error):
                ok = False
            if not ok:
                errs.append(FieldError("Invalid", f"data[{key}]", "<secret contents redacted>", "invalid character looking for beginning of value"))
    elif stype == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.append(FieldError("Required", "data[username]", "", ""))
            errs.append(FieldError("Required", "data[password]", "", ""))
    elif stype == "kubernetes.io/ssh-auth":
        if not _s(data.get("ssh-privatekey")):
            errs.append(FieldError("Required", "data[ssh-privatekey]", "", ""))
    elif stype == "kubernetes.io/tls":
        if "tls.crt" not in data:
            errs.append(FieldError("Required", "data[tls.crt]", "", ""))
        if "tls.key" not in data:
            errs.append(FieldError("Required", "data[tls.key]", "", ""))
    if old is not None:
        pre: list[FieldError] = []
        old_type = _s(old.get("type") or "Opaque")
        if stype != old_type:
            pre.append(FieldError("Invalid", "type", stype, FIELD_IMMUTABLE))
        if old.get("immutable") is True:
            if obj.get("immutable") is not True:
                pre.append(FieldError("Forbidden", "immutable", "", "field is immutable when `immutable` is set"))
            if data != _secret_data(old):
                pre.append(FieldError("Forbidden", "data", "", "field is immutable when `immutable` is set"))
        errs = pre + errs
    return errs


# -- cluster and policy objects ------------------------------------------------------------------------


def _validate_namespace(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    errs: list[FieldError] = []
    for f in _l(_m(obj.get("spec")).get("finalizers")):
        f = _s(f)
        errs.extend(_invalid("spec.finalizers", f, names.is_qualified_name(f)))
        if len(f.split("/")) == 1 and f not in ("kubernetes", "orphan", "foregroundDeletion"):
            errs.append(FieldError("Invalid", "spec.finalizers", f, "name is neither a standard finalizer name nor is it fully qualified"))
    return errs


def _go_taint(t: Mapping[str, Any]) -> str:
    return (
        f"core.Taint{{Key:{go_quote(_s(t.get('key')))}, Value:{go_quote(_s(t.get('value')))}, "
        f"Effect:{go_quote(_s(t.get('effect')))}, TimeAdded:(*v1.Time)(nil)}}"
    )


def _validate_node(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: dict[str, set[str]] = {}
    for i, t in enumerate(_l(_m(obj.get("spec")).get("taints"))):
        t = _m(t)
        idx = f"spec.taints[{i}]"
        key, value, effect = _s(t.get("key")), _s(t.get("value")), _s(t.get("effect"))
        errs.extend(validate_label_name(key, f"{idx}.key"))
        msgs = names.is_valid_label_value(value)
        if msgs:
            errs.append(FieldError("Invalid", f"{idx}.value", value, ";".join(msgs)))
        if not effect:
            errs.append(FieldError("Required", f"{idx}.effect", "", ""))
        elif effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            errs.append(FieldError("NotSupported", f"{idx}.effect", effect, supported=("NoSchedule", "PreferNoSchedule", "NoExecute")))
        if key in seen.get(effect, set()):
            errs.append(GoFieldError("Duplicate", idx, _go_taint(t), "taints must be unique by key and effect pair"))
            continue
        seen.setdefault(effect, set()).add(key)
    if old is not None:  # ValidateNodeUpdate: a podCIDR is set once, by the node IPAM controller
        olds, news = _l(_m(old.get("spec")).get("podCIDRs")), _l(_m(obj.get("spec")).get("podCIDRs"))
        why = 'node updates may not change podCIDR except from "" to valid'
        if olds and len(olds) != len(news):
            errs.append(FieldError("Forbidden", "spec.podCIDRs", "", why))
        elif olds:
            errs.extend(FieldError("Forbidden", f"spec.podCIDRs[{i}]", "", why) for i, v in enumerate(olds) if v != news[i])
    return errs


def _validate_resource_quota(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    errs: list[FieldError] = []
    hard = _m(_m(obj.get("spec")).get("hard"))
    for name in sorted(hard, key=str):
        name = str(name)
        p = f"spec.hard[{name}]"
        errs.extend(_validate_resource_name(name, p))
        if len(name.split("/")) == 1 and not (name in STANDARD_QUOTA_RESOURCES or _is_quota_hugepages(name)):
            errs.append(FieldError("Invalid", p, name, "must be a standard resource for quota"))
        parsed = _parse_q(hard[name], p, errs)
        if parsed is not None:
            errs.extend(_validate_quantity_value(name, parsed, p))
    errs.extend(_validate_quota_scopes(_m(obj.get("spec"))))
    return errs


QUOTA_SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity")
_POD_COMPUTE_QUOTA = frozenset({"cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu", "requests.memory"})


def _scope_valid_for(scope: str, resource: str) -> bool:
    """`IsResourceQuotaScopeValidForResource`."""
    if scope == "BestEffort":
        return resource == "pods"
    if scope in QUOTA_SCOPES:
        return resource == "pods" or resource in _POD_COMPUTE_QUOTA
    return True


def _validate_quota_scopes(spec: Mapping[str, Any]) -> list[FieldError]:
    """`validateResourceQuotaScopes`: known scopes, applicable to every standard hard resource, no conflicting pair."""
    scopes = [_s(x) for x in _l(spec.get("scopes"))]
    if not scopes:
        return []
    shown = "[]core.ResourceQuotaScope{" + ", ".join(go_quote(x) for x in scopes) + "}"
    hard = sorted(str(k) for k in _m(spec.get("hard")))
    errs: list[FieldError] = []
    for scope in scopes:
        if scope not in QUOTA_SCOPES:
            errs.append(GoFieldError("Invalid", "spec.scopes", shown, "unsupported scope"))
        for k in hard:
            if k in STANDARD_QUOTA_RESOURCES and not _scope_valid_for(scope, k):
                errs.append(GoFieldError("Invalid", "spec.scopes", shown, "unsupported scope applied to resource"))
    for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
        if all(p in scopes for p in pair):
            errs.append(GoFieldError("Invalid", "spec.scopes", shown, "conflicting scopes"))
    return errs


def _validate_limit_range(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, item in enumerate(_l(_m(obj.get("spec")).get("limits"))):
        item = _m(item)
        idx = f"spec.limits[{i}]"
        ltype = _s(item.get("type"))
        terrs = _invalid(f"{idx}.type", ltype, names.is_qualified_name(ltype))
        if not terrs and len(ltype.split("/")) == 1 and ltype not in ("Pod", "Container", "PersistentVolumeClaim"):
            terrs.append(FieldError("Invalid", f"{idx}.type", ltype, "must be a standard limit type or fully qualified"))
        errs.extend(terrs)
        parsed: dict[str, dict[str, tuple[Fraction, str]]] = {}
        for fld in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            parsed[fld] = {}
            values = _m(item.get(fld))
            for name in sorted(values, key=str):
                p = f"{idx}.{fld}[{name}]"
                got = _parse_q(values[name], p, errs)
                if got is not None:
                    parsed[fld][str(name)] = got
        if ltype == "Pod":
            if _m(item.get("default")):
                errs.append(FieldError("Forbidden", f"{idx}.default", "", "may not be specified when `type` is 'Pod'"))
            if _m(item.get("defaultRequest")):
                errs.append(FieldError("Forbidden", f"{idx}.defaultRequest", "", "may not be specified when `type` is 'Pod'"))
        keys = sorted(set().union(*(set(v) for v in parsed.values())))
        for k in keys:
            mn, mx, dr = parsed["min"].get(k), parsed["max"].get(k), parsed["defaultRequest"].get(k)
            if mn and mx and mn[0] > mx[0]:
                errs.append(
                    GoFieldError("Invalid", f"{idx}.min[{k}]", _qstr(mn), f"min value {_qstr(mn)} is greater than max value {_qstr(mx)}")
                )
            if dr and mn and mn[0] > dr[0]:
                errs.append(
                    GoFieldError(
                        "Invalid", f"{idx}.defaultRequest[{k}]", _qstr(dr), f"min value {_qstr(mn)} is greater than default request value {_qstr(dr)}"
                    )
                )
            if dr and mx and dr[0] > mx[0]:
                errs.append(
                    GoFieldError(
                        "Invalid", f"{idx}.defaultRequest[{k}]", _qstr(dr), f"default request value {_qstr(dr)} is greater than max value {_qstr(mx)}"
                    )
                )
            df, ratio = parsed["default"].get(k), parsed["maxLimitRequestRatio"].get(k)
            if dr and df and dr[0] > df[0]:
                errs.append(GoFieldError("Invalid", f"{idx}.defaultRequest[{k}]", _qstr(dr),
                                         f"default request value {_qstr(dr)} is greater than default limit value {_qstr(df)}"))
            if df and mn and mn[0] > df[0]:
                errs.append(GoFieldError("Invalid", f"{idx}.default[{k}]", _qstr(mn),
                                         f"min value {_qstr(mn)} is greater than default value {_qstr(df)}"))
            if df and mx and df[0] > mx[0]:
                errs.append(GoFieldError("Invalid", f"{idx}.default[{k}]", _qstr(mx),
                                         f"default value {_qstr(df)} is greater than max value {_qstr(mx)}"))
            if ratio and ratio[0] < 1:
                errs.append(GoFieldError("Invalid", f"{idx}.maxLimitRequestRatio[{k}]", _qstr(ratio), f"ratio {_qstr(ratio)} is less than 1"))
            if ratio and mn and mx and mn[0] > 0:
                limit_ratio = float(mx[0] / mn[0])
                if float(ratio[0]) > limit_ratio:
                    errs.append(GoFieldError("Invalid", f"{idx}.maxLimitRequestRatio[{k}]", _qstr(ratio),
                                             f"ratio {_qstr(ratio)} is greater than max/min = {limit_ratio:f}"))
    return errs


PVC_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")


def _validate_pvc(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    spec = _m(obj.get("spec"))
    errs: list[FieldError] = []
    modes = [_s(m) for m in _l(spec.get("accessModes"))]
    if not modes:
        errs.append(FieldError("Required", "spec.accessModes", "", "at least 1 access mode is required"))
    if isinstance(spec.get("selector"), dict):
        errs.extend(validate_label_selector(spec.get("selector"), "spec.selector"))
    rwop = other = False
    for mode in modes:
        if mode not in PVC_ACCESS_MODES:
            errs.append(FieldError("NotSupported", "spec.accessModes", mode, supported=PVC_ACCESS_MODES))
        if mode == "ReadWriteOncePod":
            rwop = True
        else:
            other = True
    if rwop and other:
        errs.append(FieldError("Forbidden", "spec.accessModes", "", "may not use ReadWriteOncePod with other access modes"))
    requests = _m(_m(spec.get("resources")).get("requests"))
    path = "spec.resources[storage]"
    if "storage" not in requests:
        errs.append(FieldError("Required", path, "", ""))
    else:
        parsed = _parse_q(requests["storage"], path, errs)
        if parsed is not None:
            if parsed[0] <= 0:
                errs.append(FieldError("Invalid", path, _qstr(parsed), "must be greater than zero"))
            else:
                errs.extend(_validate_quantity_value("storage", parsed, path))
    scn = spec.get("storageClassName")
    if isinstance(scn, str) and scn:
        errs.extend(_invalid("spec.storageClassName", scn, names.name_is_dns_subdomain(scn)))
    vm = spec.get("volumeMode")
    if vm is not None and _s(vm) not in ("Block", "Filesystem"):
        errs.append(FieldError("NotSupported", "spec.volumeMode", _s(vm), supported=("Block", "Filesystem")))
    return errs


def _validate_hpa(obj: Mapping[str, Any], old: Mapping[str, Any] | None) -> list[FieldError]:
    from engine.controllers.hpa.validation import validate_hpa

    return validate_hpa(obj, old)


_VALIDATORS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any] | None], list[FieldError]]] = {
    "Pod": _validate_pod,
    "PodTemplate": _validate_pod_template,
    "Deployment": _validate_deployment,
    "HorizontalPodAutoscaler": _validate_hpa,
    "ReplicaSet": _validate_replicaset,
    "DaemonSet": _validate_daemonset,
    "StatefulSet": _validate_statefulset,
    "ReplicationController": _validate_replication_controller,
    "Job": _validate_job,
    "CronJob": _validate_cronjob,
    "Service": _validate_service,
    "ConfigMap": _validate_configmap,
    "Secret": _validate_secret,
    "Namespace": _validate_namespace,
    "Node": _validate_node,
    "ResourceQuota": _validate_resource_quota,
    "LimitRange": _validate_limit_range,
    "PersistentVolumeClaim": _validate_pvc,
}


def validate(obj: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> list[FieldError]:
    """All field errors for creating `obj` (or updating `old` to `obj`), upstream order."""
    if not isinstance(obj, dict):
        return [FieldError("Invalid", "", _s(obj), "must be an object")]
    kind = _s(obj.get("kind"))
    rt = BY_KIND.get(kind)
    meta = _m(obj.get("metadata"))
    namespaced = rt.namespaced if rt is not None else bool(_s(meta.get("namespace")))
    if old is None:
        errs = validate_object_meta(obj, namespaced, NAME_RULE.get(kind, "subdomain"))
    else:
        errs = validate_object_meta_update(obj, old)
    fn = _VALIDATORS.get(kind)
    if fn is not None:
        errs.extend(fn(obj, old))
    return errs
