"""Which nodes should run a daemon pod: upstream's `NodeShouldRunDaemonPod` (daemon_controller.go).

`node_should_run(node, ds) -> (should_run, should_continue_running)`:

1. a template `nodeName` other than the node's name -> (False, False);
2. the simulated pod is the template with the node's name and the default daemon tolerations
   (`util.add_or_update_daemon_pod_tolerations`);
3. nodeSelector and required node affinity must match the node, else (False, False);
4. a NoSchedule or NoExecute taint the pod does not tolerate -> should_run False, and it may
   continue running only when no untolerated taint is NoExecute (PreferNoSchedule is ignored);
5. else (True, True).

The node's taints are its `spec.taints` plus the NoSchedule taints the node lifecycle controller
would have put on it for its conditions (`scheduler.effective_taints`: not-ready, unreachable,
memory/disk/pid-pressure, network-unavailable): this simulation derives those taints instead of
writing them to the Node, and upstream's DaemonSet controller reads them from `spec.taints`, so
both see the same taints. Toleration matching and node affinity are the scheduler's functions
(`tolerates`, `node_matches_pod`: nodeSelector, terms ORed, expressions ANDed, matchFields on
metadata.name), as upstream shares `v1helper` and `nodeaffinity` between the two.
"""

from __future__ import annotations

from engine.controllers.daemonset.util import add_or_update_daemon_pod_tolerations
from engine.controllers.scheduler import effective_taints, node_matches_pod, tolerated
from reducers.storage import clone

NO_SCHEDULE, NO_EXECUTE = "NoSchedule", "NoExecute"


def new_pod(ds: dict, node_name: str) -> dict:
    """`NewPod`: the pod the DaemonSet would run on `node_name`, for the predicates only."""
    template = (ds.get("spec") or {}).get("template") or {}
    meta = clone(template.get("metadata") or {})
    meta["namespace"] = (ds.get("metadata") or {}).get("namespace", "")
    spec = clone(template.get("spec") or {})
    spec["nodeName"] = node_name
    add_or_update_daemon_pod_tolerations(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def _untolerated(taints: list[dict], tolerations: list[dict], effects: tuple[str, ...]) -> dict | None:
    """`FindMatchingUntoleratedTaint` with an effect filter: the first such taint, or None."""
    for taint in taints:
        if taint.get("effect") in effects and not tolerated(tolerations, taint):
            return taint
    return None


def predicates(pod: dict, node: dict, taints: list[dict]) -> tuple[bool, bool, bool]:
    """(fits node name, fits node affinity, fits taints)."""
    spec = pod.get("spec") or {}
    name = node["metadata"]["name"]
    fits_node_name = not spec.get("nodeName") or spec["nodeName"] == name
    fits_affinity = node_matches_pod(pod, node)
    fits_taints = _untolerated(taints, spec.get("tolerations") or [], (NO_EXECUTE, NO_SCHEDULE)) is None
    return fits_node_name, fits_affinity, fits_taints


def node_should_run(node: dict, ds: dict) -> tuple[bool, bool]:
    """(should_run, should_continue_running) for `ds` on `node`."""
    name = node["metadata"]["name"]
    pod = new_pod(ds, name)
    template_node = (((ds.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeName") or ""
    if template_node and template_node != name:
        return False, False
    taints = effective_taints(node)
    fits_node_name, fits_affinity, fits_taints = predicates(pod, node, taints)
    if not fits_node_name or not fits_affinity:
        return False, False
    if not fits_taints:
        untolerated_execute = _untolerated(taints, pod["spec"].get("tolerations") or [], (NO_EXECUTE,))
        return False, untolerated_execute is None
    return True, True
