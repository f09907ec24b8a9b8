"""The two kinds one implementation serves: ReplicaSet (apps/v1) and ReplicationController (v1).

Upstream runs the same `ReplicaSetController` for both, converting RCs on the way in and out
(`pkg/controller/replication`); here the differences are gathered in one small value: the
resource coordinates, the ServiceAccount/event component name, and how the selector is read
(a metav1 LabelSelector for a ReplicaSet, an equality map for a ReplicationController).
"""

from __future__ import annotations

import attrs

from engine.errors import StatusError
from engine.model.selectors import NOTHING, Selector, selector_from_label_selector, selector_from_set
from reducers.keys import object_key


@attrs.frozen
class ControllerKind:
    kind: str
    group: str
    version: str
    plural: str
    component: str  # the controller's ServiceAccount name and its events' source component

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def key(self, namespace: str, name: str) -> bytes:
        return object_key(self.group, self.plural, namespace, name)

    def selector(self, obj: dict) -> Selector:
        """The pod selector; one that cannot be parsed selects nothing (upstream logs and skips)."""
        spec = obj.get("spec") or {}
        if self.kind == "ReplicationController":
            sel = spec.get("selector")
            if not sel:
                sel = (((spec.get("template") or {}).get("metadata") or {}).get("labels")) or {}
            return selector_from_set(sel)
        try:
            return selector_from_label_selector(spec.get("selector"))
        except StatusError:
            return NOTHING

    def owns(self, ref: dict | None) -> bool:
        """A controller ref names this kind (upstream's resolveControllerRef compares Kind only)."""
        return ref is not None and ref.get("kind") == self.kind


REPLICA_SET = ControllerKind("ReplicaSet", "apps", "v1", "replicasets", "replicaset-controller")
REPLICATION_CONTROLLER = ControllerKind("ReplicationController", "", "v1", "replicationcontrollers", "replication-controller")
