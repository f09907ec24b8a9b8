"""Random Deployment requests against a real in-memory cluster (default actors: deployment and
ReplicaSet controllers, scheduler, simulated kubelets), with the rollout invariants checked after
every request (k8s-semantics.md section 2).

What is asserted, after every rule (each rule's request has been settled by the actors at the
current virtual time; `advance` moves the clock and runs what falls due on the way):

1. Rollout bounds, per Deployment, with upstream's fenceposts (surge rounds up, unavailable down,
   both 0 -> unavailable 1; MaxUnavailable = min(that, replicas) and 0 when replicas is 0; both
   are 0/irrelevant for Recreate):

   a. surge: the Deployment's *active* pods (owned by one of its ReplicaSets, no
      deletionTimestamp, phase not Succeeded/Failed: IsPodActive) never exceed
      spec.replicas + MaxSurge. Upstream's guarantee is about the sum of its ReplicaSets'
      spec.replicas (NewRSNewReplicas never grows the new RS past replicas + maxSurge, and
      proportional scaling on `scale` re-targets the total to replicas + MaxSurge at once);
      between requests the ReplicaSet controller has converged, so active pods equal that sum.
      We also assert sum(spec.replicas) <= replicas + MaxSurge directly. User pod deletions and
      container failures do not matter here: the RS only replaces the pod. The bound is skipped
      only after a change of maxSurge/maxUnavailable, until the Deployment is complete again
      (lowering maxSurge mid-rollout is not corrected by scaling anything down upstream).
   b. availability (RollingUpdate): ready pods >= spec.replicas - MaxUnavailable; with
      minReadySeconds 0 ready and available are the same thing, so this is upstream's "available
      >= replicas - maxUnavailable". Upstream only guarantees that *its own* scale-downs never
      take availability below minAvailable; it cannot make pods available faster than they start,
      and users can take pods away. So the check is armed once the Deployment has been seen
      complete (DeploymentComplete, 2.6) and disarmed by anything that can lower availability or
      the bound from outside the controller: creating it, scaling it, changing
      maxSurge/maxUnavailable, deleting or failing one of its pods. Image changes, undo, pause
      and resume do not disarm it: those are exactly the rollouts the bound is for.
      Why ready and not available when minReadySeconds > 0: the deployment controller counts
      availability (RS status.availableReplicas) and cleanupUnhealthyReplicas scales an old RS
      down by its spec - available, trusting the ReplicaSet controller to delete the unavailable
      pods first. But the RS controller's deletion order (ActivePodsWithRanks, 3) knows readiness,
      not availability, and ranks co-located ("doubled up") pods before the most recently ready
      one, so a ready-but-not-yet-available pod can survive while an available one is deleted
      (upstream's own TODO in controller_utils.go, kubernetes#22065). The machine found exactly
      that (5 replicas, maxSurge 0, maxUnavailable 1, minReadySeconds 1, three quick image
      changes: 3 available < 4); kubetape follows upstream there. What does hold: not-ready pods
      go first, so *ready* pods never drop below minAvailable. Also asserted: no ReplicaSet's
      status.availableReplicas exceeds the pods that are available by its minReadySeconds (the
      status may lag behind the pods, never run ahead of them).
   c. Recreate (2.10): between requests, never an active pod of an old ReplicaSet while the new
      ReplicaSet (the one whose template equals the Deployment's) has active pods; and at every
      seq of the log, no ReplicaSet of a Recreate Deployment is scaled up while a pod of one of
      its other ReplicaSets is still Pending/Running/Unknown (upstream's oldPodsRunning).
2. Once a Deployment is complete and not paused, its old ReplicaSets (owned, not the new one,
   not already being deleted) number at most revisionHistoryLimit (2.8: after a complete rollout
   every old RS has 0 replicas, so each is deletable).
3. The ReplicaSets a Deployment controls have pairwise distinct pod-template-hash labels,
   revision annotations and pod templates (ignoring the hash label): a template that comes back
   (set image to an earlier image, undo) reuses its old ReplicaSet with a new, higher revision.
4. Replaying the log (reducers.state.fold, kept incrementally: fold(a + b) == fold(b, fold(a)))
   equals the materialized `objects` table, and engine.log.verify.verify is ok.

5. No actor (controller, scheduler, kubelet) raises while handling any of it.

The bug the machine found is pinned below it, shrunk to a minimal deterministic test.
"""

from __future__ import annotations

import types

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from engine.api import Cluster, default_actors
from engine.bootstrap import InitOptions, init
from engine.clock import parse_time
from engine.client import Client, must
from engine.codec import unpack
from engine.errors import StatusError
from engine.kubelet_sim import faults
from engine.log import eventlog
from engine.log.verify import verify
from log_tools.commands import rollout as rollout_cmd
from projections import rollout_history as rh
from reducers.keys import collection_prefix, entry_key
from reducers.state import fold, step

START = parse_time("2026-01-01T00:00:00Z")
SECOND = 1_000_000
NS = "default"
NAMES = ("web", "api")
HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
# (image, never ready): the last variant's pods run but fail readiness for ever (an injected
# `sim.kubetape.io/unready` fault since long ago, carried by the pod template), so a rollout to it
# gets stuck and the rollout bounds are tested against pods that never become available.
VARIANTS = (("nginx:1.26", False), ("nginx:1.27", False), ("nginx:1.28", False), ("nginx:1.29", True))
NEVER_READY = {faults.UNREADY: "2000-01-01T00:00:00Z"}
VERIFY_EVERY = 5
DEPLOYMENTS = collection_prefix("apps", "deployments", NS)
REPLICASETS = collection_prefix("apps", "replicasets", NS)
PODS = collection_prefix("", "pods", NS)


# --- upstream's arithmetic, written independently of the controller under test ----------------------


def scaled(value, total: int, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    pct = int(str(value).rstrip("%"))
    q, r = divmod(pct * total, 100)
    return q + (1 if round_up and r else 0)


def fenceposts(d: dict) -> tuple[int, int]:
    """(MaxSurge, MaxUnavailable) as upstream resolves them for this Deployment."""
    spec = d["spec"]
    replicas = spec.get("replicas", 1)
    strategy = spec.get("strategy") or {}
    if strategy.get("type") != "RollingUpdate":
        return 0, 0
    ru = strategy.get("rollingUpdate") or {}
    surge = scaled(ru.get("maxSurge", 0), replicas, True)
    unavailable = scaled(ru.get("maxUnavailable", 0), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, (0 if replicas == 0 else min(unavailable, replicas))


def complete(d: dict) -> bool:
    """DeploymentComplete (2.6), on the Deployment's recorded status."""
    s = d.get("status") or {}
    r = d["spec"].get("replicas", 1)
    return ((s.get("updatedReplicas") or 0) == r and (s.get("replicas") or 0) == r
            and (s.get("availableReplicas") or 0) == r
            and (s.get("observedGeneration") or 0) >= d["metadata"].get("generation", 0))


def active(pod: dict) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def available(pod: dict, min_ready_seconds: int, now: int) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            if c.get("status") != "True":
                return False
            return min_ready_seconds == 0 or parse_time(c["lastTransitionTime"]) + min_ready_seconds * SECOND < now
    return False


def controller_uid(obj: dict) -> str | None:
    return rh.controller_uid(obj)


# --- requests --------------------------------------------------------------------------------------


def deployment(name: str, replicas: int, surge, unavailable, history: int, min_ready: int, recreate: bool,
               variant: int = 0, deadline: int | None = None) -> dict:
    image, never_ready = VARIANTS[variant]
    meta: dict = {"labels": {"app": name}}
    if never_ready:
        meta["annotations"] = dict(NEVER_READY)
    spec: dict = {
        "replicas": replicas, "revisionHistoryLimit": history,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": meta, "spec": {"containers": [
            {"name": "nginx", "image": image, "resources": {"requests": {"cpu": "100m"}}}]}},
        "strategy": {"type": "Recreate"} if recreate else
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}},
    }
    if min_ready:
        spec["minReadySeconds"] = min_ready
    if deadline is not None:
        spec["progressDeadlineSeconds"] = deadline
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}}, "spec": spec}


def set_variant_patch(name: str, variant: int) -> list[dict]:
    """`kubectl set image`, plus the never-ready fault carried (or not) by the template."""
    image, never_ready = VARIANTS[variant]
    meta: dict = {"labels": {"app": name}}
    if never_ready:
        meta["annotations"] = dict(NEVER_READY)
    return [{"op": "replace", "path": "/spec/template/metadata", "value": meta},
            {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}]


def undo(client: Client, name: str, to_revision: int) -> str:
    """`ktape rollout undo deployment/NAME [--to-revision=N]`, through rollout.py's own functions
    (the same sequence as its `_undo_one`): pick the RS, refuse when paused, skip when the template
    already matches, else the JSON patch of spec.template and annotations."""
    ctx = types.SimpleNamespace(client=lambda: client, namespace=NS)
    dep = must(client.get("deploy", name, NS))
    try:
        rs = rollout_cmd.revision_to_roll_back_to(dep, rollout_cmd.owned_replica_sets(ctx, dep), to_revision)
    except StatusError as e:  # kubectl's "unable to find specified revision" / "no rollout history"
        return f"error: {e.message}"
    if dep["spec"].get("paused"):
        return "error: paused"
    if rh.templates_equal(rs["spec"].get("template"), dep["spec"].get("template")):
        return "skipped rollback"
    must(client.patch("deploy", name, rollout_cmd.rollback_patch(dep, rs), NS, patch_type="json"))
    return "rolled back"


def fail_pod(client: Client, pod: dict, code: int) -> bool:
    """`ktape sim exit POD --code CODE` (log_tools/commands/sim.py run_exit): the exit fault
    annotation on the pod for its first container's current run."""
    container = pod["spec"]["containers"][0]["name"]
    cs = next((s for s in (pod.get("status") or {}).get("containerStatuses") or () if s.get("name") == container), None)
    if cs is None or "running" not in (cs.get("state") or {}):
        return False
    must(client.patch("pods", pod["metadata"]["name"],
                      {"metadata": {"annotations": {faults.EXIT + container: faults.exit_value(code, int(cs.get("restartCount") or 0))}}},
                      NS, "merge"))
    return True


def boot(actors=None) -> tuple[Cluster, Client]:
    cluster = Cluster.memory(actors=actors)
    init(cluster, InitOptions(start_time=START, node_cpu="16"))
    return cluster, Client(cluster)


class Watched:
    """An actor as it is, except that an exception it raises is also written down: the runtime
    contains actor exceptions (a warning and a retry a second later, so one controller bug cannot
    wedge the API), which would otherwise hide a crashing controller from the machine."""

    def __init__(self, actor, errors: list[str]):
        self.actor, self.errors = actor, errors
        self.name, self.identity = actor.name, actor.identity

    def keys_for(self, entry, obj):
        return self.actor.keys_for(entry, obj)

    def decide(self, view, key):
        try:
            return self.actor.decide(view, key)
        except Exception as e:
            self.errors.append(f"seq {view.seq}: actor {self.name} raised on {key!r}: {type(e).__name__}: {e}")
            raise


def watched_actors(errors: list[str]) -> list:
    return [Watched(a, errors) for a in default_actors()]


# --- what the cluster holds ------------------------------------------------------------------------


def snapshot(cluster: Cluster) -> dict:
    with cluster.view() as v:
        return {"now": v.now,
                "deployments": {d["metadata"]["name"]: d for d in v.list("apps", "deployments", NS)},
                "replicasets": v.list("apps", "replicasets", NS),
                "pods": v.list("", "pods", NS)}


def owned(snap: dict, d: dict) -> tuple[list[dict], dict[str, list[dict]]]:
    """The Deployment's ReplicaSets, and the pods of each (by RS name)."""
    uid = d["metadata"]["uid"]
    rss = [rs for rs in snap["replicasets"] if controller_uid(rs) == uid]
    by_uid = {rs["metadata"]["uid"]: rs["metadata"]["name"] for rs in rss}
    pods: dict[str, list[dict]] = {rs["metadata"]["name"]: [] for rs in rss}
    for p in snap["pods"]:
        u = controller_uid(p)
        if u in by_uid:
            pods[by_uid[u]].append(p)
    return rss, pods


def new_replica_set(d: dict, rss: list[dict]) -> dict | None:
    """FindNewReplicaSet: the oldest RS whose template equals the Deployment's, ignoring the hash."""
    same = [rs for rs in rss if rh.templates_equal(rs["spec"].get("template"), d["spec"].get("template"))]
    same.sort(key=lambda rs: (rs["metadata"].get("creationTimestamp") or "", rs["metadata"]["name"]))
    return same[0] if same else None


def check_bounds(d: dict, rss: list[dict], pods: dict[str, list[dict]], now: int, *, surge_armed: bool,
                 availability_armed: bool) -> None:
    name = d["metadata"]["name"]
    replicas = d["spec"].get("replicas", 1)
    surge, unavailable = fenceposts(d)
    live = [p for ps in pods.values() for p in ps if active(p)]
    if surge_armed:
        total_spec = sum(rs["spec"].get("replicas", 1) for rs in rss)
        assert total_spec <= replicas + surge, (
            f"{name}: ReplicaSets ask for {total_spec} pods > replicas {replicas} + maxSurge {surge}: "
            f"{[(rs['metadata']['name'], rs['spec'].get('replicas')) for rs in rss]}")
        assert len(live) <= replicas + surge, f"{name}: {len(live)} active pods > replicas {replicas} + maxSurge {surge}"
    min_ready = d["spec"].get("minReadySeconds") or 0
    for rs in rss:  # the status the controller decides from never claims more than the pods show
        shown = sum(1 for p in pods[rs["metadata"]["name"]] if active(p) and available(p, rs["spec"].get("minReadySeconds") or 0, now))
        assert (rs.get("status") or {}).get("availableReplicas", 0) <= shown, (
            f"{rs['metadata']['name']}: status.availableReplicas {rs['status'].get('availableReplicas')} > {shown} available pods")
    if d["spec"]["strategy"]["type"] == "RollingUpdate":
        if availability_armed:
            # Ready, not available: with minReadySeconds > 0 upstream itself can dip below the bound
            # in available pods (see the module docstring); for minReadySeconds 0 they are the same.
            ready = sum(1 for p in live if available(p, 0, now))
            assert ready >= replicas - unavailable, (
                f"{name}: {ready} ready pods < replicas {replicas} - maxUnavailable {unavailable}")
            if min_ready == 0:
                assert ready == sum(1 for p in live if available(p, min_ready, now))
    else:
        new = new_replica_set(d, rss)
        if new is not None and any(active(p) for p in pods[new["metadata"]["name"]]):
            old_running = [p["metadata"]["name"] for rs in rss if rs is not new for p in pods[rs["metadata"]["name"]] if active(p)]
            assert not old_running, f"{name} (Recreate): old pods {old_running} run beside new RS {new['metadata']['name']}'s"


RUNNING_PHASES = (None, "Pending", "Running", "Unknown")  # upstream oldPodsRunning (terminating pods too)


def check_recreate_entry(objects: dict[bytes, dict], e) -> None:
    """Apply one log entry to `objects` (reducers.state.step, the fold's own inner loop) and, when
    it raised a ReplicaSet of a Recreate Deployment above its previous spec.replicas, check that
    no pod of another ReplicaSet of that Deployment was still Pending/Running/Unknown at that seq.
    This is 1c at every seq rather than between requests: the simulated kubelet removes a deleted
    pod within the same settle, so a new RS scaled up too early is only visible mid-settle."""
    req = e.request
    key = entry_key(e) if e.changed else None
    before = objects.get(key) if key is not None else None
    step(objects, e)
    if key is None or req.group != "apps" or req.resource != "replicasets" or req.subresource:
        return
    rs = objects.get(key)
    if rs is None or (rs["spec"].get("replicas", 1)) <= ((before or {}).get("spec") or {}).get("replicas", 0):
        return
    owner = controller_uid(rs)
    d = next((o for k, o in objects.items() if k.startswith(DEPLOYMENTS) and o["metadata"].get("uid") == owner), None)
    if d is None or d["spec"]["strategy"]["type"] != "Recreate":
        return
    siblings = {o["metadata"]["uid"]: o["metadata"]["name"] for k, o in objects.items()
                if k.startswith(REPLICASETS) and controller_uid(o) == owner and o["metadata"]["uid"] != rs["metadata"]["uid"]}
    running = [o["metadata"]["name"] for k, o in objects.items() if k.startswith(PODS) and controller_uid(o) in siblings
               and (o.get("status") or {}).get("phase") in RUNNING_PHASES]
    assert not running, (f"seq {e.seq}: {rs['metadata']['name']} scaled up to {rs['spec'].get('replicas')} while pods "
                         f"{running} of its Deployment's other ReplicaSets still run (Recreate)")


def check_history(d: dict, rss: list[dict]) -> None:
    if not complete(d) or d["spec"].get("paused"):
        return
    new = new_replica_set(d, rss)
    old = [rs for rs in rss if rs is not new and not rs["metadata"].get("deletionTimestamp")]
    limit = d["spec"].get("revisionHistoryLimit", 10)
    assert len(old) <= limit, (
        f"{d['metadata']['name']} complete with {len(old)} old ReplicaSets > revisionHistoryLimit {limit}: "
        f"{[(rs['metadata']['name'], rs['metadata'].get('annotations', {}).get(REVISION), rs['spec'].get('replicas')) for rs in old]}")


def check_identity(d: dict, rss: list[dict]) -> None:
    name = d["metadata"]["name"]
    hashes = [rs["metadata"].get("labels", {}).get(HASH) for rs in rss]
    assert None not in hashes and len(set(hashes)) == len(hashes), f"{name}: pod-template-hashes {hashes}"
    revisions = [(rs["metadata"].get("annotations") or {}).get(REVISION) for rs in rss]
    assert None not in revisions and len(set(revisions)) == len(revisions), f"{name}: revisions {revisions}"
    keys = [rh.template_key(rs["spec"].get("template")) for rs in rss]
    assert len(set(keys)) == len(keys), f"{name}: two ReplicaSets with the same template: {[rs['metadata']['name'] for rs in rss]}"


# --- the machine -----------------------------------------------------------------------------------

percent_or_int = st.one_of(st.integers(0, 3), st.sampled_from(["0%", "10%", "25%", "50%", "100%"]))


def both_zero(surge, unavailable) -> bool:
    return scaled(surge, 100, True) == 0 and scaled(unavailable, 100, False) == 0  # validation's "both 0"


class DeploymentMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.actor_errors: list[str] = []
        self.cluster, self.client = boot(watched_actors(self.actor_errors))
        self.state = fold(())
        self.objects: dict[bytes, dict] = {}  # the same fold, one entry at a time (Recreate check)
        self.paused: set[str] = set()
        self.recreate: set[str] = set()
        self.checks = 0
        self.surge_armed: dict[str, bool] = {}
        self.availability_armed: dict[str, bool] = {}

    def teardown(self):
        try:
            self.verify()
        finally:
            self.cluster.close()

    # -- helpers --

    def names(self) -> list[str]:
        return [n for n in NAMES if n in self.surge_armed]

    def pick(self, i: int, names: list[str] | None = None) -> str:
        names = self.names() if names is None else names
        return names[i % len(names)]

    def disarm(self, name: str, surge: bool = False) -> None:
        self.availability_armed[name] = False
        if surge:
            self.surge_armed[name] = False

    def deployment_of_pod(self, pod: dict) -> str | None:
        snap = snapshot(self.cluster)
        rs = next((r for r in snap["replicasets"] if r["metadata"]["uid"] == controller_uid(pod)), None)
        if rs is None:
            return None
        return next((n for n, d in snap["deployments"].items() if d["metadata"]["uid"] == controller_uid(rs)), None)

    def wait(self, seconds: int) -> None:
        """Move the clock a second at a time, checking the rollout invariants at each second: a
        rollout here takes a few seconds (pods start 1 s after they are bound), so this is how
        its intermediate states get seen."""
        for _ in range(seconds):
            self.rollout_invariants()
            self.cluster.advance(SECOND)

    def our_pods(self) -> list[dict]:
        with self.cluster.view() as v:
            pods = [p for p in v.list("", "pods", NS) if active(p)]
        return sorted(pods, key=lambda p: p["metadata"]["name"])

    # -- rules --

    deployment_args = dict(
        replicas=st.integers(0, 6), surge=percent_or_int, unavailable=percent_or_int, history=st.integers(0, 3),
        min_ready=st.sampled_from([0, 0, 1, 2]), recreate=st.sampled_from([False, False, False, True]),
        variant=st.integers(0, len(VARIANTS) - 2), deadline=st.sampled_from([None, None, 5, 10]))

    def _create(self, replicas, surge, unavailable, history, min_ready, recreate, variant, deadline):
        if both_zero(surge, unavailable):
            unavailable = 1  # validation refuses both 0; what is left to resolve to (0, 1) is "10%" of few
        name = next(n for n in NAMES if n not in self.surge_armed)
        must(self.client.create(deployment(name, replicas, surge, unavailable, history, min_ready, recreate, variant, deadline)))
        if recreate:
            self.recreate.add(name)
        self.surge_armed[name] = True
        self.availability_armed[name] = False

    @initialize(**deployment_args)
    def create_first(self, **kw):
        """Every run starts with one Deployment, given 5 s to come up (most runs then start from a
        complete Deployment, with the availability bound armed)."""
        self._create(**kw)
        self.wait(5)

    @precondition(lambda self: len(self.names()) < len(NAMES))
    @rule(**deployment_args)
    def create(self, **kw):
        self._create(**kw)

    @precondition(lambda self: self.names())
    @rule(i=st.integers(0, 1), replicas=st.integers(0, 6))
    def scale(self, i, replicas):
        name = self.pick(i)
        must(self.client.scale("deploy", name, replicas, NS))
        self.disarm(name)

    @precondition(lambda self: self.names())
    @rule(i=st.integers(0, 1), variant=st.integers(0, len(VARIANTS) - 1), wait=st.integers(0, 4))
    def set_image(self, i, variant, wait):
        """`kubectl set image`, then (like `rollout status`) `wait` seconds, checked at each."""
        name = self.pick(i)
        must(self.client.patch("deploy", name, set_variant_patch(name, variant), NS, patch_type="json"))
        self.wait(wait)

    @precondition(lambda self: set(self.names()) - self.recreate)
    @rule(i=st.integers(0, 1), surge=percent_or_int, unavailable=percent_or_int)
    def set_strategy(self, i, surge, unavailable):
        """Change a RollingUpdate Deployment's maxSurge/maxUnavailable."""
        name = self.pick(i, [n for n in self.names() if n not in self.recreate])
        if both_zero(surge, unavailable):
            unavailable = 1
        must(self.client.patch("deploy", name, {"spec": {"strategy": {"rollingUpdate": {
            "maxSurge": surge, "maxUnavailable": unavailable}}}}, NS, "merge"))
        self.disarm(name, surge=True)

    @precondition(lambda self: set(self.names()) - self.paused)
    @rule(i=st.integers(0, 1))
    def pause(self, i):
        """`ktape rollout pause` (which refuses an already paused Deployment: not offered then)."""
        name = self.pick(i, [n for n in self.names() if n not in self.paused])
        assert not must(self.client.get("deploy", name, NS))["spec"].get("paused")
        must(self.client.patch("deploy", name, {"spec": {"paused": True}}, NS))
        self.paused.add(name)

    @precondition(lambda self: self.paused)
    @rule(i=st.integers(0, 1), wait=st.integers(0, 4))
    def resume(self, i, wait):
        """`ktape rollout resume` of a paused Deployment, then `wait` seconds, checked at each."""
        name = self.pick(i, sorted(self.paused))
        assert must(self.client.get("deploy", name, NS))["spec"].get("paused")
        must(self.client.patch("deploy", name, {"spec": {"paused": None}}, NS))
        self.paused.discard(name)
        self.wait(wait)

    @precondition(lambda self: self.names())
    @rule(i=st.integers(0, 1), to_revision=st.sampled_from([0, 0, 1, 2, 3, 4, 5]), wait=st.integers(0, 4))
    def undo(self, i, to_revision, wait):
        """`ktape rollout undo [--to-revision=N]`, then `wait` seconds, checked at each."""
        undo(self.client, self.pick(i), to_revision)
        self.wait(wait)

    @precondition(lambda self: self.names())
    @rule(j=st.integers(0, 20))
    def delete_pod(self, j):
        pods = self.our_pods()
        if not pods:
            return
        pod = pods[j % len(pods)]
        owner = self.deployment_of_pod(pod)
        must(self.client.delete("pods", pod["metadata"]["name"], NS))
        if owner:
            self.disarm(owner)

    @precondition(lambda self: self.names())
    @rule(j=st.integers(0, 20), code=st.sampled_from([1, 137]))
    def fail_pod(self, j, code):
        pods = self.our_pods()
        if not pods:
            return
        pod = pods[j % len(pods)]
        owner = self.deployment_of_pod(pod)
        if fail_pod(self.client, pod, code) and owner:
            self.disarm(owner)

    @rule(seconds=st.integers(1, 10))
    def advance(self, seconds):
        self.cluster.advance(seconds * SECOND)


    # -- invariants --

    @invariant()
    def no_actor_raised(self):
        assert not self.actor_errors, self.actor_errors

    @invariant()
    def rollout_invariants(self):
        snap = snapshot(self.cluster)
        for name, d in snap["deployments"].items():
            rss, pods = owned(snap, d)
            check_identity(d, rss)
            check_bounds(d, rss, pods, snap["now"], surge_armed=self.surge_armed.get(name, True),
                         availability_armed=self.availability_armed.get(name, False))
            check_history(d, rss)
            if complete(d):
                self.surge_armed[name] = True
                self.availability_armed[name] = True

    @invariant()
    def log_replays_to_the_live_state(self):
        """The fold of the log equals the materialized objects after every rule (the fold is kept
        incrementally: fold(a + b) == fold(b, fold(a)), a law tests/reducers checks). A full
        `verify` (re-fold, hash chain, digests, every derived table) costs the whole log each
        time, so it runs after every VERIFY_EVERY-th rule and once more when the run ends."""
        with self.cluster.store.begin() as txn:
            head = eventlog.read_head(txn)
            entries = list(eventlog.scan_entries(txn, self.state.seq + 1, head.seq))
            self.state = fold(entries, self.state)
            live = {bytes(k): unpack(bytes(v)) for k, v in txn.scan("objects")}
            assert self.state.seq == head.seq
            assert dict(self.state.items()) == live
        for e in entries:
            check_recreate_entry(self.objects, e)
        self.checks += 1
        if self.checks % VERIFY_EVERY == 0:
            self.verify()

    def verify(self):
        with self.cluster.store.begin() as txn:
            report = verify(txn)
        assert report.ok, [str(p) for p in report.problems]


DeploymentMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=20, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestDeploymentStateMachine = DeploymentMachine.TestCase


# --- bugs found by the machine, shrunk -----------------------------------------------------------


# Found by the machine: upstream ends such a sync with an error and a requeue; it used to raise out
# of the runtime and wedge the cluster (engine/controllers/deployment/rolling.py cleanup_unhealthy_replicas).
def test_scale_down_mid_rollout_with_stale_replica_set_status():
    errors: list[str] = []
    cluster, client = boot(watched_actors(errors))  # the default actors, exceptions written down
    must(client.create(deployment("web", 4, 1, 1, 10, 0, False)))
    cluster.advance(2 * SECOND)  # web-<v1>: 4 pods available
    must(client.patch("deploy", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.27"}]}}}}))  # new RS 2 (not yet started), old RS 3 (available)
    must(client.scale("deploy", "web", 2))  # same instant: proportional scaling to 2 + surge 1 = 3
    cluster.advance(5 * SECOND)
    must(client.get("deploy", "web"))
    snap = snapshot(cluster)
    d = snap["deployments"]["web"]
    rss, pods = owned(snap, d)
    check_bounds(d, rss, pods, snap["now"], surge_armed=True, availability_armed=False)
    assert complete(d)
    assert not errors  # the controller requeues; the runtime's catch-all is not what saves it
    with cluster.store.begin() as txn:
        assert verify(txn).ok
