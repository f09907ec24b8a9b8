"""ReplicaSet and ReplicationController controllers (upstream `pkg/controller/replicaset`, `replication`).

Modules: `kinds` (what differs between RS and RC), `claims` (adopt/release via ControllerRefs),
`ranking` (scale-down order), `manage` (creates, deletes, slow start), `status` (status,
conditions, events), `history` (reading this controller's outcomes back from the log),
`controller` (the actors).
"""

from engine.controllers.replicaset.controller import ReplicaSetController, ReplicationManager

__all__ = ["ReplicaSetController", "ReplicationManager"]
