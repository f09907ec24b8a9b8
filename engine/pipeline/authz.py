"""Authorization: request attributes and the authorizer chain (first allow or deny decides).

Modes (`--authorization-mode`, recorded in the cluster settings): AlwaysAllow, AlwaysDeny, Node
(engine/auth/node.py), ABAC (engine/auth/abac.py), RBAC (engine/auth/rbac.py). `build_chain`
makes the chain for a view of state; `authorize` raises upstream's 403
(`responsewriters/errors.go` forbiddenMessage) unless some mode allows.
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


class RBAC:
    name = "RBAC"

    def __init__(self, view=None, index=None):
        self.view, self._index = view, index

    @property
    def index(self):
        if self._index is None:
            from engine.auth.rbac import index_for

            self._index = index_for(self.view)
        return self._index

    def authorize(self, a: Attributes) -> tuple[str, str]:
        ok, reason = self.index.authorize(a)
        return (ALLOW, reason) if ok else (NO_OPINION, "")


def _node(view):
    from engine.auth.node import NodeAuthorizer

    return NodeAuthorizer(view)


def _abac(view):
    from engine.auth.abac import ABACAuthorizer

    return ABACAuthorizer(view)


MODES = {"AlwaysAllow": lambda view=None: AlwaysAllow(), "AlwaysDeny": lambda view=None: AlwaysDeny(),
         "Node": _node, "ABAC": _abac, "RBAC": RBAC}
DEFAULT_MODES = ("Node", "RBAC")  # kubeadm's


def modes_of(view) -> list[str]:
    return ((view.cluster().get("spec") or {}).get("authorization") or {}).get("modes") or ["AlwaysAllow"]


class PrivilegedGroups:
    """upstream authorizerfactory.NewPrivilegedGroups(system:masters): always first in the chain."""
    name = "PrivilegedGroups"

    def authorize(self, a: Attributes) -> tuple[str, str]:
        return (ALLOW, "") if "system:masters" in a.groups else (NO_OPINION, "")


_PRIVILEGED = PrivilegedGroups()


class Chain:
    """The authorizers in order, the configured ones built when first reached: most requests
    come from system:masters or an actor the first authorizer answers, and reading the cluster
    settings and building Node/RBAC for them was about a tenth of a served GET's engine time."""

    __slots__ = ("_view", "_modes", "_built")

    def __init__(self, view, modes: list[str] | None = None):
        self._view, self._modes, self._built = view, modes, None

    def __iter__(self):
        yield _PRIVILEGED
        if self._built is None:
            modes = self._modes if self._modes is not None else modes_of(self._view)
            self._built = [MODES[m](self._view) for m in modes if m in MODES]
        yield from self._built


def build_chain(view, modes: list[str] | None = None) -> Chain:
    return Chain(view, modes)


def allowed(chain: list, a: Attributes) -> tuple[bool, str]:
    """(allowed, reason) without raising: for can-i and the escalation checks."""
    reasons = []
    for authz in chain:
        decision, reason = authz.authorize(a)
        if decision == ALLOW:
            return True, reason
        if reason:
            reasons.append(reason)
        if decision == DENY:
            break
    return False, "; ".join(reasons)


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


def impersonation_checks(sender: str, sender_groups: tuple, user: str, groups: tuple) -> list[Attributes]:
    """upstream impersonation filter: `impersonate` on users (or serviceaccounts for an SA
    username), then on each claimed group (system:authenticated is added, not claimed)."""
    out = []
    if user.startswith("system:serviceaccount:") and user.count(":") == 3:
        _s, _sa, ns, name = user.split(":")
        out.append(Attributes(sender, sender_groups, "impersonate", "", "serviceaccounts", "", ns, name))
    else:
        out.append(Attributes(sender, sender_groups, "impersonate", "", "users", "", "", user))
    for g in groups:
        if g == "system:authenticated":
            continue
        out.append(Attributes(sender, sender_groups, "impersonate", "", "groups", "", "", g))
    return out


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
