"""The ABAC authorizer (upstream `pkg/auth/authorizer/abac/abac.go`), policy v1beta1.

The policy file's lines (`{"apiVersion": "abac.authorization.kubernetes.io/v1beta1", "kind":
"Policy", "spec": {...}}`) are kept in the recorded cluster settings
(`spec.authorization.abacPolicy`), so a replay decides the same without the file.
"""

from __future__ import annotations

import json

from engine.errors import StatusError

ALLOW, NO_OPINION = "allow", "no-opinion"
READ_ONLY = frozenset({"get", "list", "watch"})


def parse_policy_file(text: str) -> list[dict]:
    """One JSON policy per line; blank lines and `#` comments skipped; errors name the line."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        try:
            p = json.loads(s)
        except ValueError as e:
            raise StatusError(400, "BadRequest", f"error reading policy file line {n}: {e}") from None
        if not isinstance(p, dict) or not isinstance(p.get("spec"), dict):
            raise StatusError(400, "BadRequest", f"error reading policy file line {n}: a v1beta1 Policy needs a spec")
        out.append(p["spec"])
    return out


def _subject_matches(p: dict, a) -> bool:
    matched = False
    user, group = p.get("user", ""), p.get("group", "")
    if user:
        if user == "*":
            matched = True
        elif user != a.user:
            return False
        else:
            matched = True
    if group:
        if group == "*":
            matched = True
        elif group not in a.groups:
            return False
        else:
            matched = True
    return matched


def _matches(p: dict, a) -> bool:
    if not _subject_matches(p, a):
        return False
    if p.get("readonly") and a.verb not in READ_ONLY:
        return False
    if a.is_resource:
        ns, res, grp = p.get("namespace", ""), p.get("resource", ""), p.get("apiGroup", "")
        if not (ns or res or grp):
            return False
        return ns in ("*", a.namespace) and res in ("*", a.resource) and grp in ("*", a.group)
    path = p.get("nonResourcePath", "")
    if not path:
        return False
    return path == "*" or path == a.path or (path.endswith("*") and a.path.startswith(path[:-1]))


class ABACAuthorizer:
    name = "ABAC"

    def __init__(self, view):
        self.policies = ((view.cluster().get("spec") or {}).get("authorization") or {}).get("abacPolicy") or []

    def authorize(self, a) -> tuple[str, str]:
        for p in self.policies:
            if isinstance(p, dict) and _matches(p, a):
                return ALLOW, ""
        return NO_OPINION, "No policy matched."
