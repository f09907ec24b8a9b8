"""ResourceQuota admission (`plugin/pkg/admission/resourcequota`, `CheckRequest`; s10).

For a write in a namespace with quotas: each quota the object matches (its scopes) and whose
`status.hard` names resources the object's evaluator answers for is pertinent. The pod
evaluator's constraint comes first (a quota tracking cpu or memory in any form requires every
container and init container to set it: `failed quota: q: must specify ...`). Then the object's
usage (minus the previous object's on an update) is masked to the quota's hard resources and
added to the used amount; any resource above hard refuses the write with
`exceeded quota: q, requested: ..., used: ..., limited: ...`, both as 403 Forbidden.

The used amount is the namespace's usage at this moment from the `idx_usage` totals (what upstream's
admission would find in `status.used` after charging every earlier write), so a burst of creates
in one instant is counted exactly. Which writes are checked follows the evaluators' `Handles`:
pods on create, services and claims on create and update, other kinds on create; subresources
never.
"""

from __future__ import annotations

from fractions import Fraction

from engine.errors import forbidden
from engine.pipeline.admission import AdmissionContext
from engine.quota import index
from engine.quota.usage import CONTAINER_REQUIRED, POD_RESOURCES, STORAGE_CLASS_SUFFIX, add, compute_usage, fmt, parse, \
    remove_zeros, usage_of
from engine.model.resources import resource_list


def quotas(view, namespace: str) -> list[dict]:
    return [o for _k, o in view.items("", "resourcequotas", namespace)]


def scopes_of(quota: dict) -> list[str]:
    spec = quota.get("spec") or {}
    out = list(spec.get("scopes") or [])
    for req in (spec.get("scopeSelector") or {}).get("matchExpressions") or ():
        if isinstance(req, dict) and req.get("operator") == "Exists" and req.get("scopeName"):
            out.append(req["scopeName"])
    return out


def matching_resources(group: str, resource: str, hard: list[str]) -> list[str]:
    """`MatchingResources`: the hard resources this kind's evaluator answers for."""
    if (group, resource) == ("", "pods"):
        return [h for h in hard if h in POD_RESOURCES or h.startswith(("hugepages-", "requests.hugepages-"))
                or (h.startswith("requests.") and "/" in h)]
    if (group, resource) == ("", "services"):
        return [h for h in hard if h in ("services", "count/services", "services.loadbalancers", "services.nodeports")]
    if (group, resource) == ("", "persistentvolumeclaims"):
        return [h for h in hard if h in ("persistentvolumeclaims", "count/persistentvolumeclaims", "requests.storage")
                or (STORAGE_CLASS_SUFFIX in h and h.endswith(("/persistentvolumeclaims", "/requests.storage")))]
    counts = {f"count/{resource}" if not group else f"count/{resource}.{group}"}
    if group == "" and resource in ("configmaps", "secrets", "replicationcontrollers", "resourcequotas"):
        counts.add(resource)
    return [h for h in hard if h in counts]


def pod_constraints(required: list[str], pod: dict) -> str | None:
    """`podEvaluator.Constraints`: containers missing a tracked cpu/memory resource."""
    needed = set(required) & CONTAINER_REQUIRED
    if not needed:
        return None
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for c in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
        if not isinstance(c, dict):
            continue
        res = c.get("resources") or {}
        have = set(compute_usage(resource_list(res.get("requests")), resource_list(res.get("limits"))))
        for r in needed - have:
            missing.setdefault(r, set()).add(c.get("name", ""))
    if not missing:
        return None
    return "must specify " + "; ".join(f"{r} for: {','.join(sorted(missing[r]))}" for r in sorted(missing))


def pretty(values: dict[str, Fraction]) -> str:
    return ",".join(f"{k}={fmt(k, values[k])}" for k in sorted(values))


class ResourceQuota:
    name = "ResourceQuota"

    def mutate(self, ctx: AdmissionContext) -> list[dict]:
        return []

    @staticmethod
    def _handles(ctx: AdmissionContext) -> bool:
        req, rt = ctx.request, ctx.rtype
        if req.subresource or not rt.namespaced or not req.namespace or not isinstance(ctx.new, dict):
            return False
        if (rt.group, rt.plural) in (("", "services"), ("", "persistentvolumeclaims")):
            return ctx.operation in ("CREATE", "UPDATE")
        return ctx.operation == "CREATE"

    def validate(self, ctx: AdmissionContext) -> None:
        if not self._handles(ctx):
            return
        found = quotas(ctx.view, ctx.request.namespace)
        if not found:
            return
        rt, obj = ctx.rtype, ctx.new
        meta = obj.get("metadata") or {}
        name = ctx.request.name or meta.get("name") or meta.get("generateName") or "Unknown"
        from engine.quota.index import is_best_effort, is_terminating

        pertinent: list[tuple[dict, list[str], list[str]]] = []
        for q in found:
            scopes = scopes_of(q)
            if scopes:
                if (rt.group, rt.plural) != ("", "pods"):
                    continue
                answers = {"Terminating": is_terminating(obj), "NotTerminating": not is_terminating(obj),
                           "BestEffort": is_best_effort(obj), "NotBestEffort": not is_best_effort(obj)}
                if not all(answers.get(s, False) for s in scopes):
                    continue
            hard = list(((q.get("status") or {}).get("hard") or {}).keys())
            restricted = matching_resources(rt.group, rt.plural, hard)
            if not restricted:
                continue
            if (rt.group, rt.plural) == ("", "pods"):
                why = pod_constraints(restricted, obj)
                if why:
                    raise forbidden(rt.plural, rt.group, name, f"failed quota: {q['metadata']['name']}: {why}")
            pertinent.append((q, scopes, restricted))
        if not pertinent:
            return
        delta = usage_of(rt.group, rt.plural, obj, ctx.view.now)
        if ctx.operation == "UPDATE" and ctx.old is not None:
            prev = usage_of(rt.group, rt.plural, ctx.old, ctx.view.now)
            delta = {k: max(Fraction(0), v - prev.get(k, Fraction(0))) for k, v in delta.items()}
        delta = remove_zeros(delta)
        if not delta:
            return
        for q, scopes, _restricted in pertinent:
            hard = {k: parse(v) for k, v in ((q.get("status") or {}).get("hard") or {}).items()}
            requested = {k: v for k, v in delta.items() if k in hard}
            if not requested:
                continue
            # On an update the totals still hold the old object, so the delta goes on top.
            used = index.namespace_usage(ctx.view.txn, ctx.request.namespace, scopes, ctx.view.now)
            new_usage = add({k: used.get(k, Fraction(0)) for k in requested}, requested)
            exceeded = sorted(k for k, v in new_usage.items() if v > hard[k])
            if exceeded:
                raise forbidden(rt.plural, rt.group, name, (
                    f"exceeded quota: {q['metadata']['name']}, requested: {pretty({k: requested[k] for k in exceeded})}, "
                    f"used: {pretty({k: used.get(k, Fraction(0)) for k in exceeded})}, limited: {pretty({k: hard[k] for k in exceeded})}"))
