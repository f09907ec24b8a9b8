"""StatefulSet controller (upstream `pkg/controller/statefulset`).

Modules: `utils` (names, ordinals, identity, storage, predicates: stateful_set_utils.go),
`retention` (the PVC retention policy as owner references), `revisions` (ControllerRevisions and
their hashes, the current and update revisions, history truncation), `claims` (adopt/release),
`control` (one step of updateStatefulSet: OrderedReady and Parallel, scale down, RollingUpdate
with partition, OnDelete), `pod_control` (the pod and claim writes and their events), `status`,
`report` (the outcomes of this controller's writes, read back from the log), `controller` (the
actor).
"""

from engine.controllers.statefulset.controller import StatefulSetController

__all__ = ["StatefulSetController"]
