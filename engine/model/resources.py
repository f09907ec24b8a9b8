"""Effective pod resources (`k8s.io/component-helpers/resource` PodRequests / PodLimits).

Per resource: max(sum over app containers plus restartable init containers (sidecars), the
largest need of a regular init container together with the sidecars started before it), plus
the pod overhead (for limits only on resources that have a limit). A resource is present when
some container names it. Used by LimitRanger's `type: Pod` checks and by the quota evaluators.

Pure.
"""

from __future__ import annotations

from fractions import Fraction

from engine.model.quantity import parse_quantity


def resource_list(values: dict | None) -> dict[str, Fraction]:
    """A `ResourceList` parsed to exact values (malformed entries skipped: validation reports them)."""
    out: dict[str, Fraction] = {}
    for name, raw in (values or {}).items():
        try:
            out[str(name)] = parse_quantity(raw)
        except ValueError:
            continue
    return out


def _add(into: dict[str, Fraction], more: dict[str, Fraction]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, Fraction(0)) + v


def _max(into: dict[str, Fraction], more: dict[str, Fraction]) -> None:
    for k, v in more.items():
        if k not in into or v > into[k]:
            into[k] = v


def _effective(spec: dict, field: str, overhead_only_present: bool) -> dict[str, Fraction]:
    total: dict[str, Fraction] = {}
    for c in spec.get("containers") or ():
        if isinstance(c, dict):
            _add(total, resource_list((c.get("resources") or {}).get(field)))
    sidecars: dict[str, Fraction] = {}
    init_max: dict[str, Fraction] = {}
    for c in spec.get("initContainers") or ():
        if not isinstance(c, dict):
            continue
        own = resource_list((c.get("resources") or {}).get(field))
        if c.get("restartPolicy") == "Always":
            _add(total, own)
            _add(sidecars, own)
            need = dict(sidecars)
        else:
            need = dict(own)
            _add(need, sidecars)
        _max(init_max, need)
    _max(total, init_max)
    overhead = resource_list(spec.get("overhead"))
    for k, v in overhead.items():
        if overhead_only_present and k not in total:
            continue
        total[k] = total.get(k, Fraction(0)) + v
    return total


def pod_requests(pod_or_spec: dict) -> dict[str, Fraction]:
    spec = pod_or_spec.get("spec") if "spec" in pod_or_spec else pod_or_spec
    return _effective(spec or {}, "requests", False)


def pod_limits(pod_or_spec: dict) -> dict[str, Fraction]:
    spec = pod_or_spec.get("spec") if "spec" in pod_or_spec else pod_or_spec
    return _effective(spec or {}, "limits", True)
