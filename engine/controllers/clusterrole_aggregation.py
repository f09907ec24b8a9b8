"""ClusterRole aggregation controller (upstream `pkg/controller/clusterroleaggregation`).

For every ClusterRole with an aggregationRule: for each selector in order, the ClusterRoles it
selects, sorted by name, skipping itself, contribute each rule not already present (deep
equality); when the result differs from `.rules` it is written (upstream applies with field
manager `clusterrole-aggregation-controller`; here a merge patch of `rules` with that manager).
Any ClusterRole change revisits every aggregated role, so manual edits are overwritten.
"""

from __future__ import annotations

from typing import Iterable

from engine.model.selectors import selector_from_label_selector
from engine.pipeline.identity import controller_identity
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View

GROUP = "rbac.authorization.k8s.io"
_KEY = b"clusterrole-aggregation"


def aggregate(role: dict, all_roles: list[dict]) -> list[dict]:
    """The rules an aggregated ClusterRole must carry, from the roles its selectors pick."""
    out: list[dict] = []
    me = role["metadata"]["name"]
    by_name = sorted(all_roles, key=lambda r: r["metadata"]["name"])
    for sel in ((role.get("aggregationRule") or {}).get("clusterRoleSelectors") or ()):
        try:
            selector = selector_from_label_selector(sel)
        except Exception:
            continue
        for other in by_name:
            if other["metadata"]["name"] == me:
                continue
            if not selector.matches(other["metadata"].get("labels") or {}):
                continue
            for r in other.get("rules") or ():
                if r not in out:
                    out.append(r)
    return out


class ClusterRoleAggregationController:
    name = "clusterrole-aggregation-controller"
    identity = controller_identity("clusterrole-aggregation-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if entry.changed and entry.request.group == GROUP and entry.request.resource == "clusterroles":
            return (_KEY,)
        return ()

    def decide(self, view: View, key: bytes) -> Decision:
        roles = view.list(GROUP, "clusterroles")
        reqs = []
        for role in roles:
            if not role.get("aggregationRule"):
                continue
            want = aggregate(role, roles)
            if want == (role.get("rules") or []):
                continue
            reqs.append(Request(verb="patch", group=GROUP, resource="clusterroles", name=role["metadata"]["name"],
                                body={"rules": want}, user=self.identity.name, groups=self.identity.groups,
                                params={"patchType": "merge", "fieldManager": "clusterrole-aggregation-controller"}))
        return Decision(tuple(reqs)) if reqs else NOTHING
