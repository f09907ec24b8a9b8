"""Who is asking: the user info a request carries after authentication.

The foundation knows the default admin (`kubernetes-admin` in `system:masters`, as kubeadm's
admin.conf) and impersonation (`--as`, `--as-group`); certificates, tokens and ServiceAccounts
plug in here (issue: authentication and authorization).
"""

from __future__ import annotations

import attrs

ADMIN_USER = "kubernetes-admin"
ADMIN_GROUPS = ("system:masters", "system:authenticated")


@attrs.frozen
class UserInfo:
    name: str
    groups: tuple[str, ...] = ()

    def with_authenticated(self) -> "UserInfo":
        """Every authenticated user is in `system:authenticated`, as upstream adds it."""
        if self.name == "system:anonymous" or "system:authenticated" in self.groups:
            return self
        return UserInfo(self.name, self.groups + ("system:authenticated",))


def controller_identity(name: str) -> UserInfo:
    """The ServiceAccount identity kube-controller-manager uses for a controller."""
    return UserInfo(
        f"system:serviceaccount:kube-system:{name}",
        ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"),
    )


def node_identity(node: str) -> UserInfo:
    return UserInfo(f"system:node:{node}", ("system:nodes", "system:authenticated"))
