"""The HorizontalPodAutoscaler controller (upstream `pkg/controller/podautoscaler`).

Modules: `replica_calculator` (the pure replica arithmetic and its grouping of pods),
`metrics` (the simulated metrics APIs: usage recorded as `metrics.kubetape.io/` annotations),
`history` (the recommendations and scale events upstream keeps in memory, kept on the HPA),
`normalize` (min/max, scale-up limit, stabilization windows, behavior policies), `status`
(conditions, status, the scale/status/history writes and events), `reconcile` (one sync),
`controller` (the actor and its 15 s schedule), `convert` (autoscaling/v1 -> v2) and
`validation` (the API server's HPA validation, for the request path's validator table).
"""

from engine.controllers.hpa.controller import HorizontalPodAutoscalerController

__all__ = ["HorizontalPodAutoscalerController"]
