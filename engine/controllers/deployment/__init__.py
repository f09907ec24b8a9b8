"""The Deployment controller (upstream `pkg/controller/deployment`), as a pure actor.

Layout mirrors upstream: `sync.py` (dispatcher, getNewReplicaSet, proportional scaling, status),
`rolling.py`, `recreate.py`, `rollback.py`, `progress.py`, `cleanup.py`, `util/`; `controller.py`
holds the actor, `context.py` the requests one sync decides.
"""

from .controller import DeploymentController, deployment_key, orphan_key, pod_key

__all__ = ["DeploymentController", "deployment_key", "orphan_key", "pod_key"]
