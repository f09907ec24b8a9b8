"""Authorization: request attributes and the authorizer chain (first allow or deny decides).

AlwaysAllow and AlwaysDeny live here; Node, ABAC and RBAC join the same chain later. The 403
text is upstream's (`responsewriters/errors.go` forbiddenMessage).
"""

from __future__ import annotations

from typing import Protocol

import attrs

from engine.errors import StatusError

ALLOW, DENY, NO_OPINION = "allow", "deny", "no-opinion"


@attrs.frozen
class Attributes:
    user: str
    groups: tuple[str, ...]
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""  # non-resource requests

    @property
    def is_resource(self) -> bool:
        return bool(self.resource)


class Authorizer(Protocol):
    name: str

    def authorize(self, a: Attributes) -> tuple[str, str]:
        """(decision, reason)."""
        ...


class AlwaysAllow:
    name = "AlwaysAllow"

    def authorize(self, a: Attributes) -> tuple[str, str]:
        return ALLOW, ""


class AlwaysDeny:
    name = "AlwaysDeny"

    def authorize(self, a: Attributes) -> tuple[str, str]:
        return DENY, "Everything is forbidden."


MODES = {"AlwaysAllow": AlwaysAllow, "AlwaysDeny": AlwaysDeny}


def forbidden_message(a: Attributes) -> str:
    """`User "jane" cannot list resource "secrets" in API group "" in the namespace "default"`."""
    user = a.user
    if not a.is_resource:
        return f'User "{user}" cannot {a.verb} path "{a.path}"'
    res = a.resource + (f"/{a.subresource}" if a.subresource else "")
    msg = f'User "{user}" cannot {a.verb} resource "{res}" in API group "{a.group}"'
    if a.namespace:
        return msg + f' in the namespace "{a.namespace}"'
    return msg + " at the cluster scope"


def forbidden_error(a: Attributes, reason: str) -> StatusError:
    qualified = f"{a.resource}.{a.group}" if a.group else a.resource  # the parent resource, as upstream
    head = f'{qualified} "{a.name}" is forbidden' if a.name else f"{qualified} is forbidden"
    if not a.is_resource:
        head = "forbidden"
    msg = f"{head}: {forbidden_message(a)}"
    if reason:
        msg += f": {reason}"
    return StatusError(403, "Forbidden", msg, {"name": a.name, "group": a.group, "kind": a.resource})


def authorize(chain: list[Authorizer], a: Attributes) -> None:
    """Raise the upstream 403 unless some authorizer in the chain allows."""
    reasons = []
    for authz in chain:
        decision, reason = authz.authorize(a)
        if decision == ALLOW:
            return
        if reason:
            reasons.append(reason)
        if decision == DENY:
            break
    raise forbidden_error(a, "; ".join(reasons))
