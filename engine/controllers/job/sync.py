"""One Job's sync, after upstream's `syncJob` (1.31+: JobPodReplacementPolicy, JobManagedBy's
delayed terminal conditions, JobSuccessPolicy's `CompletionsReached`), one step per decision.

Upstream's sync, in order: count the pods (active, ready, terminating, newly succeeded and failed
ones that still carry the tracking finalizer, plus `status.uncountedTerminatedPods`); set
startTime; find the finishing condition: a SuccessCriteriaMet or FailureTarget already recorded,
a FailJob rule of the pod failure policy, `failed > backoffLimit` or (OnFailure) restarts summing
to backoffLimit (`BackoffLimitExceeded`), or activeDeadlineSeconds passed (`DeadlineExceeded`).
A failing Job deletes its active pods. Otherwise `manageJob`: a suspended Job deletes its pods; a
Job with more active pods than it wants deletes the surplus; one with fewer creates them in
slow-start batches unless the pod failure backoff holds it back; then success is checked
(`CompletionsReached`) and the Suspended condition kept. Last, `trackJobStatusAndRemoveFinalizers`:
finished pods go into uncountedTerminatedPods (a status write), their finalizers are removed,
then they move into the succeeded/failed counters, and the terminal condition (Complete or
Failed, after the interim SuccessCriteriaMet/FailureTarget) is added once nothing is uncounted or
terminating, with `completionTime` and the `Completed` (or failure) event.

Here each decision takes the first of these steps that has work:

1. claims: release owned pods whose labels stopped matching;
2. pod creates (one slow-start batch: 1, 2, 4 ... pods created since the last status write);
3. the status write, together with whatever upstream does before it in the same sync: pod
   deletes (failing Job, suspend, surplus; the latter two patch the finalizer away first) and
   their `SuccessfulDelete` events, the `SuccessfulCreate`/`FailedCreate` events of the creates
   since the last status write (read back from the log, as the ReplicaSet controller does), the
   Suspended/Resumed events, and after it the finish events;
4. finalizer removal from the pods the recorded status accounts for.

A converged Job yields nothing but its wake-up time (activeDeadlineSeconds, pod failure backoff).
Upstream quirk kept: while the pod failure backoff holds creates back, `status.active` is written
as 0 (`manageJob` returns 0 on that path).
"""

from __future__ import annotations

from engine.clock import parse_time, rfc3339
from engine.controllers.events import NORMAL, WARNING, event_request
from engine.controllers.replicaset import history
from engine.controllers.replicaset.manage import next_batch_size
from engine.controllers.replicaset.status import name_events
from engine.model.pods import is_active, is_ready
from engine.pipeline.identity import UserInfo
from engine.records import Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key

from . import backoff, failure_policy, indexed, pods as podctl
from .util import (COMPLETE, COMPONENT, FAILED, FAILURE_TARGET, MSG_BACKOFF_LIMIT_EXCEEDED,
                   MSG_COMPLETIONS_REACHED, MSG_DEADLINE_EXCEEDED, REASON_BACKOFF_LIMIT_EXCEEDED,
                   REASON_COMPLETIONS_REACHED, REASON_DEADLINE_EXCEEDED, REASON_POD_FAILURE_POLICY,
                   SUCCESS_CRITERIA_MET, SUSPENDED, ensure_condition, find_condition, has_finalizer,
                   is_finished, is_indexed, is_pod_failed, is_terminating, job_selector, new_condition,
                   only_replace_failed_pods, owned_by, phase, suspended)

SECOND = 1_000_000
MAX_POD_CREATE_DELETE_PER_SYNC = 500
MAX_UNCOUNTED_PODS = 500
SYNC_JOB_BATCH_PERIOD = SECOND  # the least delay of a requeue after a pod failure backoff
CREATE_RETRY_US = 10 * SECOND  # after refused creates (upstream: its rate limiter)


def job_key(namespace: str, name: str) -> bytes:
    return object_key("batch", "jobs", namespace, name)


def owned_pods(view: View, job: dict) -> list[dict]:
    uid = job["metadata"]["uid"]
    out = [o for (g, r, _ns, _n), o in view.dependents(uid) if (g, r) == ("", "pods") and owned_by(o, job)]
    return sorted(out, key=lambda p: p["metadata"]["name"])


def _t(text) -> int | None:
    if not text:
        return None
    try:
        return parse_time(str(text))
    except ValueError:
        return None


def past_backoff_limit_on_failure(job: dict, pods: list[dict]) -> bool:
    """`pastBackoffLimitOnFailure`: OnFailure restarts of running/pending pods reach backoffLimit."""
    spec = job.get("spec") or {}
    if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
        return False
    restarts = 0
    for p in pods:
        if phase(p) in ("Running", "Pending"):
            status = p.get("status") or {}
            for cs in list(status.get("initContainerStatuses") or ()) + list(status.get("containerStatuses") or ()):
                restarts += int(cs.get("restartCount") or 0)
    limit = int(spec.get("backoffLimit") if spec.get("backoffLimit") is not None else 6)
    return restarts > 0 if limit == 0 else restarts >= limit


def fail_job_message(job: dict, pods: list[dict]) -> str | None:
    """`getFailJobMessage`: the first failed pod matching a FailJob rule."""
    policy = (job.get("spec") or {}).get("podFailurePolicy")
    if policy is None:
        return None
    for p in pods:
        if is_pod_failed(p, job):
            msg, _count, _action = failure_policy.match(policy, p)
            if msg is not None:
                return msg
    return None


def want_active(completions: int | None, parallelism: int, succeeded: int, active: int) -> int:
    """manageJob's wantActive."""
    if completions is None:
        return active if succeeded > 0 else parallelism
    return max(0, min(completions - succeeded, parallelism))


def is_complete(completions: int | None, succeeded: int, active: int) -> bool:
    if completions is None:
        return succeeded > 0 and active == 0
    return succeeded >= completions and active == 0


class JobSync:
    """The working state of one sync: counters as upstream's `syncJobCtx` keeps them."""

    def __init__(self, view: View, job: dict, who: UserInfo):
        self.view, self.job, self.who, self.now = view, job, who, view.now
        meta = job["metadata"]
        self.ns, self.name = meta.get("namespace", ""), meta["name"]
        self.key = job_key(self.ns, self.name)
        self.spec = job.get("spec") or {}
        self.status = job.get("status") or {}
        self.deleting = bool(meta.get("deletionTimestamp"))
        self.requests: list[Request] = []
        self.wakeups: list[int] = []

    def event(self, type_: str, reason: str, message: str) -> Request:
        return event_request(self.who, COMPONENT, self.job, type_, reason, message, self.now)

    def decision(self, requests: list[Request], again: bool) -> Decision:
        wake = min(self.wakeups) if self.wakeups else None
        if not requests:
            return Decision(requeue_at=wake) if wake is not None else NOTHING
        return Decision(tuple(name_events(self.view, requests)), wake, again)


def sync_job(view: View, job: dict, who: UserInfo) -> Decision:
    s = JobSync(view, job, who)
    now, spec, status, ns = s.now, s.spec, s.status, s.ns
    all_pods = owned_pods(view, job)
    if is_finished(job):
        # Backup for pods whose finalizer outlived the Job's finish (upstream's cleanupPodFinalizers).
        return s.decision([podctl.remove_finalizer_request(who, p) for p in all_pods if has_finalizer(p)], False)

    # 1. claims
    selector = job_selector(job)
    matching = [p for p in all_pods if selector.matches(p["metadata"].get("labels") or {})]
    if not s.deleting:
        stray = [p for p in all_pods if not selector.matches(p["metadata"].get("labels") or {})]
        if stray:
            return s.decision([podctl.release_request(who, job, p) for p in stray], True)
    pods = matching

    # Counting.
    idx = is_indexed(job)
    completions = spec.get("completions")
    completions = int(completions) if completions is not None else None
    parallelism = int(spec.get("parallelism") if spec.get("parallelism") is not None else 1)
    backoff_limit = int(spec.get("backoffLimit") if spec.get("backoffLimit") is not None else 6)
    policy = spec.get("podFailurePolicy")
    uncounted = status.get("uncountedTerminatedPods") or {}
    unc_succ = list(uncounted.get("succeeded") or ())
    unc_fail = list(uncounted.get("failed") or ())
    active = [p for p in pods if is_active(p)]
    ready = sum(1 for p in active if is_ready(p))
    terminating = sum(1 for p in pods if is_terminating(p))

    def valid_index(p: dict) -> bool:
        if not idx:
            return True
        ix = indexed.completion_index(p)
        return ix != indexed.UNKNOWN and ix < (completions or 0)

    new_succ = [p for p in pods if has_finalizer(p) and p["metadata"]["uid"] not in unc_succ and valid_index(p)
                and phase(p) == "Succeeded"]
    new_fail = [p for p in pods if has_finalizer(p) and p["metadata"]["uid"] not in unc_fail and valid_index(p)
                and is_pod_failed(p, job)]
    succeeded = int(status.get("succeeded") or 0) + len(new_succ) + len(unc_succ)
    failed = int(status.get("failed") or 0) + sum(1 for p in new_fail if failure_policy.match(policy, p)[1]) + len(unc_fail)
    start_time = status.get("startTime")
    if start_time is None and not suspended(job):
        start_time = rfc3339(now)

    # The finishing condition.
    cond = None
    scm = find_condition(status, SUCCESS_CRITERIA_MET)
    if scm is not None and scm.get("status") == "True":
        cond = dict(scm)
    if cond is None:
        target = find_condition(status, FAILURE_TARGET)
        if target is not None and target.get("status") == "True":
            cond = new_condition(FAILED, "True", target.get("reason", ""), target.get("message", ""), now)
        else:
            msg = fail_job_message(job, pods)
            if msg is not None:
                cond = new_condition(FAILURE_TARGET, "True", REASON_POD_FAILURE_POLICY, msg, now)
    ads = spec.get("activeDeadlineSeconds")
    if cond is None:
        if failed > backoff_limit or past_backoff_limit_on_failure(job, pods):
            cond = new_condition(FAILURE_TARGET, "True", REASON_BACKOFF_LIMIT_EXCEEDED, MSG_BACKOFF_LIMIT_EXCEEDED, now)
        elif ads is not None and start_time is not None and not suspended(job):
            deadline = _t(start_time) + int(ads) * SECOND  # type: ignore[operator]
            if now >= deadline:
                cond = new_condition(FAILURE_TARGET, "True", REASON_DEADLINE_EXCEEDED, MSG_DEADLINE_EXCEEDED, now)
            else:
                s.wakeups.append(deadline)
    prev_iv: indexed.Intervals = []
    succ_iv: indexed.Intervals = []
    if idx:
        prev_iv, succ_iv = indexed.succeeded_indexes(job, pods)
        succeeded = indexed.total(succ_iv)

    conditions = [dict(c) for c in status.get("conditions") or ()]
    pre: list[Request] = []  # what upstream does before the status write of this sync
    events_after: list[Request] = []
    active_n = len(active)

    def delete_pods(victims: list[dict], strip_finalizer: bool) -> None:
        nonlocal active_n, terminating, ready
        for p in victims:
            if strip_finalizer and has_finalizer(p):
                pre.append(podctl.remove_finalizer_request(who, p))
            pre.append(podctl.delete_request(who, p))
            pre.append(s.event(NORMAL, "SuccessfulDelete", f"Deleted pod: {p['metadata']['name']}"))
        active_n -= len(victims)
        terminating += len(victims)
        ready -= sum(1 for p in victims if is_ready(p))

    floor = history.instant_floor(view)
    marker = history.last_status_write(view, s.key, who.name, floor)
    refusals = [r for r in history.refused_creates(view, ns, job["metadata"]["uid"], who.name, floor)
                if not r.namespace_terminating]
    unreported_refusals = [r for r in refusals if r.seq > marker]

    if cond is not None:
        delete_pods(active, strip_finalizer=False)  # deleteActivePods keeps the finalizers
    else:
        manage_called = False
        if not s.deleting:
            manage_called = True
            if suspended(job):
                delete_pods(podctl.pods_for_removal(job, active, len(active)), strip_finalizer=True)
            else:
                want = want_active(completions, parallelism, succeeded, active_n)
                surplus = podctl.pods_for_removal(job, active, max(active_n - want, 0))[:MAX_POD_CREATE_DELETE_PER_SYNC]
                if surplus:
                    delete_pods(surplus, strip_finalizer=True)
                else:
                    held = terminating if only_replace_failed_pods(job) else 0
                    diff = want - held - active_n
                    if diff > 0:
                        wait = backoff.remaining(backoff.record_for(job, pods), now)
                        if wait > 0:
                            s.wakeups.append(now + max(wait, SYNC_JOB_BATCH_PERIOD))
                            active_n = 0  # upstream's manageJob returns 0 here
                        elif unreported_refusals or refusals:
                            s.wakeups.append(now + CREATE_RETRY_US)  # slow start stopped; retry later
                        else:
                            fresh = [p for p in pods if p["metadata"].get("creationTimestamp") == rfc3339(now)]
                            made = history.created_by(view, fresh, who.name, marker)
                            size = next_batch_size(len(made), min(diff, MAX_POD_CREATE_DELETE_PER_SYNC))
                            if idx:
                                indexes = indexed.first_pending_indexes(active, succ_iv, size, completions or 0)
                                creates = [podctl.create_request(who, job, i) for i in indexes]
                            else:
                                creates = [podctl.create_request(who, job) for _ in range(size)]
                            if creates:
                                return s.decision(creates, True)
        if is_complete(completions, succeeded, active_n):
            cond = new_condition(SUCCESS_CRITERIA_MET, "True", REASON_COMPLETIONS_REACHED, MSG_COMPLETIONS_REACHED, now)
        elif manage_called:
            if suspended(job):
                if ensure_condition(conditions, SUSPENDED, "True", "JobSuspended", "Job suspended", now):
                    pre.append(s.event(NORMAL, "Suspended", "Job suspended"))
            elif ensure_condition(conditions, SUSPENDED, "False", "JobResumed", "Job resumed", now):
                pre.append(s.event(NORMAL, "Resumed", "Job resumed"))
                start_time = rfc3339(now)

    # trackJobStatusAndRemoveFinalizers: the uncounted pods, counters, interim and final conditions.
    with_finalizer = {p["metadata"]["uid"] for p in pods if has_finalizer(p)}
    succ_count = int(status.get("succeeded") or 0)
    fail_count = int(status.get("failed") or 0)
    keep_s = [u for u in unc_succ if u in with_finalizer]
    keep_f = [u for u in unc_fail if u in with_finalizer]
    succ_count += len(unc_succ) - len(keep_s)
    fail_count += len(unc_fail) - len(keep_f)
    removable: list[dict] = []
    new_indexes: list[int] = []
    reached_max = False
    order = sorted(pods, key=lambda p: (indexed.completion_index(p), p["metadata"]["name"])) if idx else pods
    failing = cond is not None and cond["type"] != SUCCESS_CRITERIA_MET
    for p in order:
        if not has_finalizer(p):
            continue
        uid = p["metadata"]["uid"]
        pod_failed = is_pod_failed(p, job)
        if not (s.deleting or cond is not None or phase(p) == "Succeeded" or pod_failed):
            continue
        removable.append(p)
        if phase(p) == "Succeeded" and uid not in unc_fail:
            if idx:
                ix = indexed.completion_index(p)
                if ix != indexed.UNKNOWN and ix < (completions or 0) and not indexed.has(prev_iv, ix):
                    new_indexes.append(ix)
            elif uid not in keep_s:
                keep_s.append(uid)
        elif pod_failed or failing:
            ix = indexed.completion_index(p)
            if uid not in keep_f and (not idx or (ix != indexed.UNKNOWN and ix < (completions or 0))):
                if failure_policy.match(policy, p)[1]:
                    keep_f.append(uid)
        if len(new_indexes) + len(keep_s) + len(keep_f) >= MAX_UNCOUNTED_PODS:
            reached_max = True
            break

    new_status = {k: v for k, v in status.items() if k not in (
        "active", "ready", "terminating", "succeeded", "failed", "startTime", "uncountedTerminatedPods",
        "completedIndexes", "conditions")}
    if idx:
        succ_iv = indexed.with_ordered_indexes(succ_iv, sorted(set(new_indexes)))
        succ_count = indexed.total(succ_iv)
        if indexed.to_string(succ_iv):
            new_status["completedIndexes"] = indexed.to_string(succ_iv)
    final = None
    if cond is not None and cond["type"] == FAILURE_TARGET:
        conditions.append(cond)
        final = new_condition(FAILED, "True", cond.get("reason", ""), cond.get("message", ""), now)
    elif cond is not None and cond["type"] == SUCCESS_CRITERIA_MET:
        if find_condition({"conditions": conditions}, SUCCESS_CRITERIA_MET) is None:
            conditions.append(cond)
        final = new_condition(COMPLETE, "True", cond.get("reason", ""), cond.get("message", ""), now)
    elif cond is not None:
        final = cond
    # enactJobFinished runs after the finalizers are removed: nothing uncounted, terminating or
    # still to be stripped of its finalizer.
    if final is not None and not reached_max and not keep_s and not keep_f and terminating == 0 and not removable:
        ensure_condition(conditions, final["type"], "True", final.get("reason", ""), final.get("message", ""), now)
        if final["type"] == COMPLETE:
            new_status["completionTime"] = final["lastTransitionTime"]
            if completions is not None and succ_count > completions:
                events_after.append(s.event(WARNING, "TooManySucceededPods",
                                            "Too many succeeded pods running after completion count reached"))
            events_after.append(s.event(NORMAL, "Completed", "Job completed"))
        else:
            events_after.append(s.event(WARNING, final.get("reason", ""), final.get("message", "")))
    if conditions:
        new_status["conditions"] = conditions
    if start_time is not None:
        new_status["startTime"] = start_time
    if active_n:
        new_status["active"] = active_n
    new_status["ready"] = ready
    new_status["terminating"] = terminating
    if succ_count:
        new_status["succeeded"] = succ_count
    if fail_count:
        new_status["failed"] = fail_count
    unc_out: dict = {}
    if keep_s:
        unc_out["succeeded"] = keep_s
    if keep_f:
        unc_out["failed"] = keep_f
    new_status["uncountedTerminatedPods"] = unc_out

    # Reports of this instant's creates since the last status write.
    reports: list[Request] = []
    fresh = [p for p in all_pods if p["metadata"].get("creationTimestamp") == rfc3339(now)]
    for _seq, p in history.created_by(view, fresh, who.name, marker):
        reports.append(s.event(NORMAL, "SuccessfulCreate", f"Created pod: {p['metadata']['name']}"))
    for r in unreported_refusals:
        reports.append(s.event(WARNING, "FailedCreate", f"Error creating: {r.message}"))

    if new_status != status or pre or reports:
        meta = job["metadata"]
        body = {**job, "status": new_status}
        write = Request(verb="update", group="batch", version="v1", resource="jobs", subresource="status",
                        namespace=ns, name=meta["name"], body=body, user=who.name, groups=who.groups)
        return s.decision(reports + pre + [write] + events_after, True)

    # 4. finalizers of the pods the recorded status accounts for.
    strip = [podctl.remove_finalizer_request(who, p) for p in removable]
    return s.decision(strip, bool(strip))
