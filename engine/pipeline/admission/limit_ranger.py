"""LimitRanger admission (`plugin/pkg/admission/limitranger/admission.go`; k8s-semantics.md s9).

Mutating: on pod CREATE, every LimitRange of the namespace (in name order) of type Container
fills each container's and init container's missing limits from `default` and missing requests
from `defaultRequest`, and the pod is annotated `kubernetes.io/limit-ranger: LimitRanger plugin
set: ...`. The changes are returned as JSON-patch operations, which the request path records as
decided values, so a replay re-applies them without consulting the LimitRanges again. The pod
seen here is the defaulted one (requests already copied from limits, as upstream's decoding
does), so a container with only a limit never receives the LimitRange's defaultRequest.

Validating: pods on CREATE (containers and init containers against type Container, the pod's
effective requests/limits against type Pod), PersistentVolumeClaims on CREATE and UPDATE (the
storage request against type PersistentVolumeClaim). Errors carry upstream's wording, joined as
`utilerrors.NewAggregate` does, in a 403 Forbidden. Resource names are visited in sorted order
(upstream ranges over Go maps, whose order is random) so the message is deterministic.
"""

from __future__ import annotations

import math
from fractions import Fraction

from engine.errors import forbidden
from engine.model.quantity import BINARY_SI, DECIMAL_SI, canonical_quantity, format_quantity, parse_quantity
from engine.model.resources import pod_limits, pod_requests
from engine.pipeline.admission import AdmissionContext
from reducers.clone import clone
from reducers.defaults import apply_defaults

ANNOTATION = "kubernetes.io/limit-ranger"
_MAX_MILLI = (2**63 - 1) // 1000


def limit_ranges(view, namespace: str) -> list[dict]:
    """The namespace's LimitRanges in name order."""
    return [o for _k, o in view.items("", "limitranges", namespace)]


# --- defaults (mutation) -------------------------------------------------------------------------


def _canonical(values: dict) -> dict:
    """Quantities as the API server stores them (`cpu: 0.5` -> `"500m"`, `cpu: 1` -> `"1"`)."""
    out = {}
    for k, v in values.items():
        try:
            out[k] = canonical_quantity(v)
        except ValueError:
            out[k] = v
    return out


def default_requirements(limit_range: dict) -> tuple[dict, dict]:
    """`defaultContainerResourceRequirements`: (requests, limits) from the Container items, in
    canonical form (upstream's LimitRange is stored canonical, so the copies are too)."""
    requests: dict = {}
    limits: dict = {}
    for item in (limit_range.get("spec") or {}).get("limits") or ():
        if isinstance(item, dict) and item.get("type") == "Container":
            requests.update(_canonical(item.get("defaultRequest") or {}))
            limits.update(_canonical(item.get("default") or {}))
    return requests, limits


def merge_container(container: dict, requests: dict, limits: dict, prefix: str, notes: list[str]) -> bool:
    """`mergeContainerResources`: fill what is missing; note it; True when something changed."""
    res = container.get("resources")
    if not isinstance(res, dict):
        res = container["resources"] = {}
    set_req, set_lim = [], []
    for k in limits:
        cur = res.get("limits") or {}
        if k not in cur:
            res["limits"] = {**cur, k: limits[k]}
            set_lim.append(k)
    for k in requests:
        cur = res.get("requests") or {}
        if k not in cur:
            res["requests"] = {**cur, k: requests[k]}
            set_req.append(k)
    name = container.get("name", "")
    if set_req:
        notes.append(f"{', '.join(sorted(set_req))} request for {prefix} {name}")
    if set_lim:
        notes.append(f"{', '.join(sorted(set_lim))} limit for {prefix} {name}")
    return bool(set_req or set_lim)


def merge_pod(pod: dict, requests: dict, limits: dict) -> bool:
    """`mergePodResourceRequirements`, in place: containers, then init containers, then the annotation."""
    notes: list[str] = []
    changed = False
    spec = pod.setdefault("spec", {})
    for c in spec.get("containers") or ():
        if isinstance(c, dict):
            changed |= merge_container(c, requests, limits, "container", notes)
    for c in spec.get("initContainers") or ():
        if isinstance(c, dict):
            changed |= merge_container(c, requests, limits, "init container", notes)
    if notes:
        meta = pod.setdefault("metadata", {})
        meta["annotations"] = {**(meta.get("annotations") or {}), ANNOTATION: "LimitRanger plugin set: " + "; ".join(notes)}
    return changed


def _ops(before: dict, after: dict) -> list[dict]:
    """JSON-patch operations turning `before` into `after` (only what merge_pod can change)."""
    ops: list[dict] = []
    bspec, aspec = before.get("spec") or {}, after.get("spec") or {}
    for field in ("containers", "initContainers"):
        for i, (b, a) in enumerate(zip(bspec.get(field) or (), aspec.get(field) or ())):
            if isinstance(a, dict) and (b or {}).get("resources") != a.get("resources"):
                ops.append({"op": "add", "path": f"/spec/{field}/{i}/resources", "value": clone(a["resources"])})
    bann = (before.get("metadata") or {}).get("annotations")
    aann = (after.get("metadata") or {}).get("annotations") or {}
    if ANNOTATION in aann and (bann or {}).get(ANNOTATION) != aann[ANNOTATION]:
        if not bann:
            ops.append({"op": "add", "path": "/metadata/annotations", "value": {ANNOTATION: aann[ANNOTATION]}})
        else:
            ops.append({"op": "add", "path": "/metadata/annotations/kubernetes.io~1limit-ranger", "value": aann[ANNOTATION]})
    return ops


# --- constraints (validation) ------------------------------------------------------------------------


def _q(raw) -> Fraction:
    return parse_quantity(raw)


def _s(raw) -> str:
    try:
        return canonical_quantity(raw)
    except ValueError:
        return str(raw)


def _values(req, lim, enforced) -> tuple[int, int, int]:
    """`requestLimitEnforcedValues`: milli values when none overflows, else whole values (rounded up)."""
    vals = [Fraction(0) if x is None else _q(x) for x in (req, lim, enforced)]
    whole = [math.ceil(v) for v in vals]
    if all(w <= _MAX_MILLI for w in whole):
        return tuple(math.ceil(v * 1000) for v in vals)  # type: ignore[return-value]
    return tuple(whole)  # type: ignore[return-value]


def min_constraint(ltype: str, name: str, enforced, requests: dict, limits: dict) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    r, l, e = _values(req, lim, enforced)
    if req is None:
        return f"minimum {name} usage per {ltype} is {_s(enforced)}.  No request is specified"
    if r < e:
        return f"minimum {name} usage per {ltype} is {_s(enforced)}, but request is {_s(req)}"
    if lim is not None and l < e:
        return f"minimum {name} usage per {ltype} is {_s(enforced)}, but limit is {_s(lim)}"
    return None


def max_constraint(ltype: str, name: str, enforced, requests: dict, limits: dict) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    r, l, e = _values(req, lim, enforced)
    if lim is None:
        return f"maximum {name} usage per {ltype} is {_s(enforced)}.  No limit is specified"
    if l > e:
        return f"maximum {name} usage per {ltype} is {_s(enforced)}, but limit is {_s(lim)}"
    if req is not None and r > e:
        return f"maximum {name} usage per {ltype} is {_s(enforced)}, but request is {_s(req)}"
    return None


def max_request_constraint(ltype: str, name: str, enforced, requests: dict) -> str | None:
    req = requests.get(name)
    r, _l, e = _values(req, None, enforced)
    if req is None:
        return f"maximum {name} usage per {ltype} is {_s(enforced)}.  No request is specified"
    if r > e:
        return f"maximum {name} usage per {ltype} is {_s(enforced)}, but request is {_s(req)}"
    return None


def ratio_constraint(ltype: str, name: str, enforced, requests: dict, limits: dict) -> str | None:
    req, lim = requests.get(name), limits.get(name)
    r, l, _e = _values(req, lim, enforced)
    if req is None or r == 0:
        return f"{name} max limit to request ratio per {ltype} is {_s(enforced)}, but no request is specified or request is 0"
    if lim is None or l == 0:
        return f"{name} max limit to request ratio per {ltype} is {_s(enforced)}, but no limit is specified or limit is 0"
    observed = l / r
    shown = observed
    ev = _q(enforced)
    if math.ceil(ev) <= _MAX_MILLI:
        observed, max_ratio = observed * 1000, math.ceil(ev * 1000)
    else:
        max_ratio = math.ceil(ev)
    if observed > max_ratio:
        return f"{name} max limit to request ratio per {ltype} is {_s(enforced)}, but provided ratio is {shown:f}"
    return None


def _check(ltype: str, item: dict, requests: dict, limits: dict, errs: list[str]) -> None:
    for name in sorted(item.get("min") or {}):
        errs.append(min_constraint(ltype, name, item["min"][name], requests, limits) or "")
    for name in sorted(item.get("max") or {}):
        errs.append(max_constraint(ltype, name, item["max"][name], requests, limits) or "")
    for name in sorted(item.get("maxLimitRequestRatio") or {}):
        errs.append(ratio_constraint(ltype, name, item["maxLimitRequestRatio"][name], requests, limits) or "")


def _fmt(name: str, q: Fraction) -> str:
    """A summed quantity in the format family its addends usually have (Quantity.Add keeps it)."""
    binary = name in ("memory", "ephemeral-storage", "storage") or name.startswith("hugepages-")
    return format_quantity(q, BINARY_SI if binary else DECIMAL_SI)


def pod_errors(limit_range: dict, pod: dict) -> list[str]:
    """`PodValidateLimitFunc` for one LimitRange."""
    errs: list[str] = []
    spec = pod.get("spec") or {}
    for item in (limit_range.get("spec") or {}).get("limits") or ():
        if not isinstance(item, dict):
            continue
        if item.get("type") == "Container":
            for c in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
                res = (c.get("resources") or {}) if isinstance(c, dict) else {}
                _check("Container", item, res.get("requests") or {}, res.get("limits") or {}, errs)
        elif item.get("type") == "Pod":
            reqs = {k: _fmt(k, v) for k, v in pod_requests(spec).items()}
            lims = {k: _fmt(k, v) for k, v in pod_limits(spec).items()}
            _check("Pod", item, reqs, lims, errs)
    return [e for e in errs if e]


def _requests_of(pvc: dict | None) -> dict:
    return (((pvc or {}).get("spec") or {}).get("resources") or {}).get("requests") or {}


def _unchanged(name: str, requests: dict, old: dict) -> bool:
    """A request the stored claim already holds with the same value (`unchangedRequest`)."""
    if name not in requests or name not in old:
        return False
    try:
        return _q(requests[name]) == _q(old[name])
    except ValueError:
        return False


def pvc_errors(limit_range: dict, pvc: dict, old: dict | None = None) -> list[str]:
    """`PersistentVolumeClaimValidateLimitFunc` for one LimitRange. On an update a request the
    stored claim already holds is not checked again (newer upstream's `unchangedRequest`), so a
    controller's write to a claim made before the LimitRange (the volume binder's) still goes."""
    errs: list[str] = []
    requests, old_requests = _requests_of(pvc), _requests_of(old)
    for item in (limit_range.get("spec") or {}).get("limits") or ():
        if not isinstance(item, dict) or item.get("type") != "PersistentVolumeClaim":
            continue
        for name in sorted(item.get("min") or {}):
            if not _unchanged(name, requests, old_requests):
                errs.append(min_constraint("PersistentVolumeClaim", name, item["min"][name], requests, {}) or "")
        for name in sorted(item.get("max") or {}):
            if not _unchanged(name, requests, old_requests):
                errs.append(max_request_constraint("PersistentVolumeClaim", name, item["max"][name], requests) or "")
    return [e for e in errs if e]


def aggregate(errs: list[str]) -> str:
    """`utilerrors.NewAggregate(errs).Error()`: nested aggregates flattened, repeats dropped."""
    seen: list[str] = []
    for e in errs:
        if e not in seen:
            seen.append(e)
    return seen[0] if len(seen) == 1 else "[" + ", ".join(seen) + "]"


class LimitRanger:
    name = "LimitRanger"

    @staticmethod
    def _applies(ctx: AdmissionContext) -> bool:
        req, kind = ctx.request, ctx.rtype.kind
        if req.subresource:
            return False
        if kind == "Pod":
            return ctx.operation == "CREATE"
        return kind == "PersistentVolumeClaim" and ctx.operation in ("CREATE", "UPDATE")

    def mutate(self, ctx: AdmissionContext) -> list[dict]:
        if ctx.rtype.kind != "Pod" or not self._applies(ctx) or not isinstance(ctx.new, dict):
            return []
        ranges = limit_ranges(ctx.view, ctx.request.namespace)
        if not ranges:
            return []
        before = apply_defaults(ctx.new)
        after = clone(before)
        changed = False
        for lr in ranges:
            requests, limits = default_requirements(lr)
            changed |= merge_pod(after, requests, limits)
        return _ops(before, after) if changed else []

    def validate(self, ctx: AdmissionContext) -> None:
        if not self._applies(ctx) or not isinstance(ctx.new, dict):
            return
        ranges = limit_ranges(ctx.view, ctx.request.namespace)
        errs: list[str] = []
        for lr in ranges:
            errs += pod_errors(lr, ctx.new) if ctx.rtype.kind == "Pod" else pvc_errors(lr, ctx.new, ctx.old)
        if errs:
            meta = ctx.new.get("metadata") or {}
            name = ctx.request.name or meta.get("name") or meta.get("generateName") or "Unknown"
            raise forbidden(ctx.rtype.plural, ctx.rtype.group, name, aggregate(errs))

