"""Audit events from the log: an `audit.k8s.io/v1` Policy evaluated at query time, and Event shapes.

Upstream decides an audit level when a request arrives and writes events to a backend; here every
request is already in the log, so the policy is applied when the question is asked: the same log
answers under any policy. The rules are upstream's checker (apiserver/pkg/audit/policy/checker.go):
rules in order, first match wins, no match is level None; a rule matches when each of its
non-empty fields matches (users, userGroups, verbs, then resources+namespaces for resource
requests or nonResourceURLs for the others). Validation follows apiserver's
apis/audit/validation (same field paths and wording).

Sensitive resources (Secrets, token requests and reviews, and any resource the cluster encrypts at
rest) are capped at Metadata unless the matching rule names the resource itself (a catch-all rule
or `*` does not count): a policy must explicitly ask to see their payloads.

Only the ResponseComplete stage exists here (a request is recorded once it is decided), so a rule
whose omitStages include ResponseComplete yields no event.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Iterable

import attrs

from engine.clock import rfc3339_micro
from engine.errors import FieldError, conflict
from engine.pipeline.authz import Attributes as Attrs  # what the checker looks at (authorizer.Attributes)
from engine.pipeline.validation.meta import GoFieldError
from engine.records import Admitted, Conflicted, Denied, LogEntry

LEVELS = ("None", "Metadata", "Request", "RequestResponse")
STAGES = ("RequestReceived", "ResponseStarted", "ResponseComplete", "Panic")
_RANK = {lv: i for i, lv in enumerate(LEVELS)}

# Upstream's own example policy starts by keeping these at Metadata; kubetape caps them always.
SENSITIVE = frozenset({("", "secrets"), ("", "serviceaccounts/token"), ("authentication.k8s.io", "tokenreviews"),
                       ("authentication.k8s.io", "tokenrequests")})


class PolicyError(ValueError):
    """A policy file that upstream's loader would refuse (message in its words)."""


@attrs.frozen
class GroupResources:
    group: str = ""
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()


@attrs.frozen
class Rule:
    level: str
    users: tuple[str, ...] = ()
    user_groups: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    resources: tuple[GroupResources, ...] = ()
    namespaces: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    omit_stages: frozenset[str] = frozenset()


@attrs.frozen
class Policy:
    rules: tuple[Rule, ...]
    omit_stages: frozenset[str] = frozenset()


# Without --policy: who did what to which object for every request, bodies for writes.
DEFAULT_POLICY = Policy((Rule("Metadata", verbs=("get", "list", "watch")), Rule("RequestResponse")))


def _strs(doc: dict, field: str, path: str, errs: list[FieldError]) -> tuple[str, ...]:
    v = doc.get(field)
    if v is None:
        return ()
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        errs.append(FieldError("Invalid", f"{path}.{field}", v, "must be a list of strings"))
        return ()
    return tuple(v)


def parse_policy(doc: Any) -> Policy:
    """An audit.k8s.io/v1 Policy document, validated as upstream's loader does."""
    if not isinstance(doc, dict):
        raise PolicyError("failed decoding: the policy is not a YAML/JSON object")
    api_version, kind = doc.get("apiVersion"), doc.get("kind")
    if api_version != "audit.k8s.io/v1" or kind != "Policy":
        raise PolicyError(f"unknown group version field {api_version}, Kind={kind} in policy"
                          if api_version else "failed decoding: Object 'apiVersion' is missing")
    errs: list[FieldError] = []
    rules = []
    raw_rules = doc.get("rules")
    if raw_rules is not None and not isinstance(raw_rules, list):
        raise PolicyError("failed decoding: rules: expected a list")
    policy_omit = _stages(doc, "omitStages", errs)
    for i, r in enumerate(raw_rules or []):
        path = f"rules[{i}]"
        if not isinstance(r, dict):
            errs.append(FieldError("Invalid", path, r, "must be an object"))
            continue
        level = r.get("level") or ""
        if level == "":
            errs.append(FieldError("Required", f"{path}.level"))
        elif level not in LEVELS:
            errs.append(FieldError("NotSupported", f"{path}.level", level, supported=LEVELS))
        urls = _strs(r, "nonResourceURLs", path, errs)
        for j, url in enumerate(urls):
            if url == "*":
                continue
            if not url.startswith("/"):
                errs.append(FieldError("Invalid", f"{path}.nonResourceURLs[{j}]", url, "non-resource URL rules must begin with a '/' character"))
            if url and "*" in url[:-1]:
                errs.append(FieldError("Invalid", f"{path}.nonResourceURLs[{j}]", url, "non-resource URL wildcards '*' must be the final character of the rule"))
        grs = []
        for gr in r.get("resources") or []:
            if not isinstance(gr, dict):
                errs.append(FieldError("Invalid", f"{path}.resources", gr, "must be an object"))
                continue
            group = gr.get("group") or ""
            if group and not _dns_subdomain(group):
                errs.append(FieldError("Invalid", f"{path}.resources.group", group,
                                       "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                                       "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                                       "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"))
            res = _strs(gr, "resources", path + ".resources", errs)
            names = _strs(gr, "resourceNames", path + ".resources", errs)
            if names and not res:
                errs.append(GoFieldError("Invalid", f"{path}.resources.resourceNames", _go_strings(names), "using resourceNames requires at least one resource"))
            grs.append(GroupResources(group, res, names))
        namespaces = _strs(r, "namespaces", path, errs)
        if urls and (grs or namespaces):
            errs.append(GoFieldError("Invalid", f"{path}.nonResourceURLs", _go_strings(urls), "rules cannot apply to both regular resources and non-resource URLs"))
        omit = _stages(r, "omitStages", errs, path)
        rules.append(Rule(level, _strs(r, "users", path, errs), _strs(r, "userGroups", path, errs), _strs(r, "verbs", path, errs),
                          tuple(grs), namespaces, urls, omit | policy_omit))
    if errs:
        msgs = [e.message() for e in errs]
        raise PolicyError(msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]")
    if not rules:
        raise PolicyError("loaded illegal policy with 0 rules")
    return Policy(tuple(rules), policy_omit)


def _go_strings(values) -> str:
    """Go's %#v of a []string, as field.Invalid prints it."""
    import json

    return "[]string{" + ", ".join(json.dumps(v) for v in values) + "}"


def _stages(doc: dict, field: str, errs: list[FieldError], path: str = "") -> frozenset[str]:
    out = set()
    for i, s in enumerate(doc.get(field) or []):
        if s not in STAGES:
            errs.append(FieldError("Invalid", f"{path + '.' if path else ''}{field}[{i}]", s, "allowed stages are " + ",".join(STAGES)))
        else:
            out.add(s)
    return frozenset(out)


def _dns_subdomain(s: str) -> bool:
    import re

    return len(s) <= 253 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", s) is not None


# --- evaluation ----------------------------------------------------------------------------------


def attrs_of(e: LogEntry, name: str = "") -> Attrs:
    r = e.request
    return Attrs(r.user, tuple(r.groups), r.verb, r.group, r.resource, r.subresource, r.namespace, name or r.name)


def match_rule(rule: Rule, a: Attrs) -> bool:
    if rule.users and a.user not in rule.users:
        return False
    if rule.user_groups and not any(g in rule.user_groups for g in a.groups):
        return False
    if rule.verbs and a.verb not in rule.verbs:
        return False
    if rule.namespaces or rule.resources:
        return _match_resource(rule, a)
    if rule.non_resource_urls:
        return not a.is_resource and any(_path_matches(a.path, spec) for spec in rule.non_resource_urls)
    return True


def _path_matches(path: str, spec: str) -> bool:
    return spec == "*" or spec == path or (spec.endswith("*") and path.startswith(spec.rstrip("*")))


def _match_resource(rule: Rule, a: Attrs) -> bool:
    if not a.is_resource:
        return False
    if rule.namespaces and a.namespace not in rule.namespaces:
        return False
    if not rule.resources:
        return True
    combined = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    for gr in rule.resources:
        if gr.group != a.group:
            continue
        if not gr.resources:
            return True
        for res in gr.resources:
            if gr.resource_names and a.name not in gr.resource_names:
                continue
            if res == combined or res == "*":
                return True
            if a.subresource and res.startswith("*/") and a.subresource == res[2:]:
                return True
            if res.endswith("/*") and a.resource == res[:-2]:
                return True
    return False


def _names_explicitly(rule: Rule, a: Attrs) -> bool:
    """True when the rule lists this resource by its own name (not `*`, not by matching everything)."""
    combined = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    return any(gr.group == a.group and (combined in gr.resources or a.resource + "/*" in gr.resources) for gr in rule.resources)


def level_for(policy: Policy, a: Attrs, sensitive: frozenset[tuple[str, str]] = SENSITIVE) -> tuple[str, frozenset[str]]:
    """(level, omitted stages) for a request: first matching rule, capped for sensitive resources."""
    for rule in policy.rules:
        if match_rule(rule, a):
            level = rule.level
            if _RANK[level] > _RANK["Metadata"] and _is_sensitive(a, sensitive) and not _names_explicitly(rule, a):
                level = "Metadata"
            return level, rule.omit_stages
    return "None", policy.omit_stages


def _is_sensitive(a: Attrs, sensitive) -> bool:
    combined = f"{a.resource}/{a.subresource}" if a.subresource else a.resource
    return (a.group, a.resource) in sensitive or (a.group, combined) in sensitive


def at_least(level: str, want: str) -> bool:
    return _RANK[level] >= _RANK[want]


# --- events --------------------------------------------------------------------------------------


def audit_id(e: LogEntry) -> str:
    """A UUID-shaped id derived from the entry's place in the chain: the same entry, the same id."""
    h = bytearray(hashlib.sha256(f"audit:{e.prev_digest}:{e.seq}".encode()).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def request_uri(e: LogEntry, name: str = "", list_limit: bool = True) -> str:
    """The REST path (and query) kubectl would have sent for this request."""
    r = e.request
    if r.group == "kubetape.io" and not r.name:
        return f"/apis/kubetape.io/v1/{r.resource}"
    base = f"/apis/{r.group}/{r.version}" if r.group else f"/api/{r.version}"
    parts = [base]
    if r.namespace:
        parts += ["namespaces", r.namespace]
    parts.append(r.resource)
    target = r.name if r.verb != "create" or r.subresource else ""
    if target:
        parts.append(target)
    if r.subresource:
        parts.append(r.subresource)
    query: dict[str, str] = {}
    p = r.params or {}
    for k in ("fieldManager", "fieldValidation", "labelSelector", "fieldSelector"):
        if isinstance(p.get(k), str) and p[k]:
            query[k] = p[k]
    if r.dry_run:
        query["dryRun"] = "All"
    if r.verb == "list" and list_limit:
        query["limit"] = "500"
    if r.verb == "watch":
        query["watch"] = "true"
    if not query:
        return "/".join(parts)
    from urllib.parse import quote

    return "/".join(parts) + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(query.items()))


def response_status(e: LogEntry) -> dict:
    o = e.outcome
    if isinstance(o, Admitted):
        return {"metadata": {}, "code": o.code}
    if isinstance(o, Denied):
        return {"metadata": {}, "status": "Failure", "message": o.message, "reason": o.reason, "code": o.code}
    if isinstance(o, Conflicted):
        err = conflict(e.request.resource, e.request.group, e.request.name)
        return {"metadata": {}, "status": "Failure", "message": err.message, "reason": err.reason, "code": o.code}
    return {"metadata": {}, "code": e.code}


def request_object(e: LogEntry) -> Any:
    """What the client sent: the object (create/update), the patch, or the DeleteOptions."""
    r = e.request
    if r.verb == "delete":
        opts = {k: r.params[k] for k in ("propagationPolicy", "gracePeriodSeconds") if k in (r.params or {})}
        if r.dry_run:
            opts["dryRun"] = ["All"]
        return {"kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1", **opts} if opts else None
    return r.body


def build_event(e: LogEntry, level: str, name: str, *, request_obj: Callable[[], Any] | None = None,
                response_obj: Callable[[], Any] | None = None, annotations: dict | None = None) -> dict:
    """One audit.k8s.io/v1 Event for an entry at `level` (>= Metadata), stage ResponseComplete."""
    r = e.request
    when = rfc3339_micro(e.at)
    if r.impersonator:
        user = {"username": r.impersonator, "groups": ["system:authenticated"]}
        impersonated: dict | None = {"username": r.user}
        if r.groups:
            impersonated["groups"] = list(r.groups)
    else:
        user = {"username": r.user}
        if r.groups:
            user["groups"] = list(r.groups)
        impersonated = None
    ev: dict = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": level, "auditID": audit_id(e),
                "stage": "ResponseComplete", "requestURI": request_uri(e), "verb": r.verb, "user": user}
    if impersonated:
        ev["impersonatedUser"] = impersonated
    ev["sourceIPs"] = ["127.0.0.1"]
    ev["userAgent"] = _user_agent(r.user if not r.impersonator else r.impersonator)
    if r.resource and (r.group != "kubetape.io" or r.name):  # clock ticks name no object; `secrets forget` does
        ref = {"resource": r.resource}
        if r.namespace:
            ref["namespace"] = r.namespace
        if name:
            ref["name"] = name
        if r.group:
            ref["apiGroup"] = r.group
        ref["apiVersion"] = r.version
        if r.subresource:
            ref["subresource"] = r.subresource
        ev["objectRef"] = ref
    ev["responseStatus"] = response_status(e)
    if at_least(level, "Request"):
        body = request_obj() if request_obj is not None else request_object(e)
        if body is not None:
            ev["requestObject"] = body
    if at_least(level, "RequestResponse") and response_obj is not None:
        body = response_obj()
        if body is not None:
            ev["responseObject"] = body
    ev["requestReceivedTimestamp"] = when
    ev["stageTimestamp"] = when
    notes = {"kubetape.io/seq": str(e.seq)}
    if isinstance(e.outcome, Denied) and e.outcome.stage == "authorization":
        notes["authorization.k8s.io/decision"] = "forbid"
    elif not (isinstance(e.outcome, Denied) and e.outcome.stage in ("authentication", "routing")):
        notes["authorization.k8s.io/decision"] = "allow"
    if annotations:
        notes.update(annotations)
    ev["annotations"] = notes
    return ev


def _user_agent(user: str) -> str:
    if user.startswith("system:serviceaccount:kube-system:"):
        return "kube-controller-manager/v1.32.0 (linux/amd64) kubernetes/kubetape/system:serviceaccount:kube-system:" + user.rsplit(":", 1)[1]
    if user == "system:kube-scheduler":
        return "kube-scheduler/v1.32.0 (linux/amd64) kubernetes/kubetape/scheduler"
    if user.startswith("system:node:"):
        return "kubelet/v1.32.0 (linux/amd64) kubernetes/kubetape"
    return "kubectl/v1.32.0 (linux/amd64) kubernetes/kubetape"


def event_list(events: Iterable[dict]) -> dict:
    return {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {}, "items": list(events)}
