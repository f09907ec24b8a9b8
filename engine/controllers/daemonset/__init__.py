"""DaemonSet controller (upstream `pkg/controller/daemon`) with ControllerRevision history.

Modules: `util` (daemonset_util.go: tolerations, pod template, surge/unavailable, hash labels,
node-name affinity), `predicates` (NodeShouldRunDaemonPod), `claims` (adopt/release pods and
revisions), `history` (ControllerRevisions: construct, snapshot, dedup, cleanup), `manage`
(podsShouldBeOnNode, syncNodes' pods, failed-pod back-off), `update` (rollingUpdate),
`status` (status and events), `controller` (the actor).
"""

from engine.controllers.daemonset.controller import DaemonSetController

__all__ = ["DaemonSetController"]
