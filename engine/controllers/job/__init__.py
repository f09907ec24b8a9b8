"""The Job controller and the TTL-after-finished controller (upstream `pkg/controller/job`,
`pkg/controller/ttlafterfinished`)."""

from engine.controllers.job.controller import JobController
from engine.controllers.job.ttl import TTLAfterFinishedController

__all__ = ["JobController", "TTLAfterFinishedController"]
