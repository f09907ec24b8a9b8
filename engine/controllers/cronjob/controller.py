"""The CronJob controller actor (`cronjob-controller`), after upstream's `cronjob_controllerv2.go`.

One upstream `sync` is: clean up finished Jobs beyond the history limits, reconcile
`status.active` with the Jobs that exist (events `SawCompletedJob`, `MissingJob`,
`UnexpectedJob`, `lastSuccessfulTime`), then, unless the CronJob is being deleted, has an unknown
time zone, is suspended or has an unparseable schedule: find the most recent unmet schedule time,
refuse it when it is too late (`MissSchedule`) or already processed, hold it while a Job runs under
`Forbid` (`JobAlreadyActive`), delete the running Jobs under `Replace`, and create the Job named
`<cronjob>-<minutes>`; the CronJob's status is written once, and the key is requeued at the next
activation plus 100 ms.

Here that sync is two decisions, because the Job's uid (which `status.active` records) is only
known once the create has been handled:

1. deletes (with their `SuccessfulDelete` events), the reconcile events, the create of the Job and
   the status write of everything but the new Job (only when it changed);
2. upstream's "job already exists" path: the Job of this schedule time exists, is ours and is not
   in `status.active`, so it is added there with `lastScheduleTime`, and because this controller
   created it at this instant, the `SuccessfulCreate` event ("Created job X") goes with it.

A create refused by the request path leaves no Job; the refusal is read back from the log (as the
ReplicaSet controller reads its refused pod creates) and reported once with `FailedCreate`, and
the key retries after a second. Keys: the CronJob's object key when someone other than this
controller's status writes changes it, or when a Job it controls changes.
"""

from __future__ import annotations

from typing import Iterable

from engine.clock import rfc3339
from engine.controllers.events import NORMAL, WARNING, event_request
from engine.controllers.replicaset import history
from engine.controllers.replicaset.status import name_events
from engine.log.eventlog import SEP, from_u64, read_entry, u64
from engine.model.pods import controller_ref
from engine.pipeline.identity import controller_identity
from engine.records import Denied, LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from reducers.keys import object_key

from . import utils
from .cron import CronError, parse_standard, with_time_zone
from .tz import ZoneError, load_zone

COMPONENT = "cronjob-controller"
RETRY_US = 10_000_000  # after a refused create (upstream: its rate limiter)


def cronjob_key(namespace: str, name: str) -> bytes:
    return object_key("batch", "cronjobs", namespace, name)


class _Sync:
    """One CronJob's sync: the working copy of its status and the requests in upstream's order."""

    def __init__(self, view: View, cj: dict, who):
        self.view, self.cj, self.who, self.now = view, cj, who, view.now
        self.status = dict(cj.get("status") or {})
        self.active = [dict(a) for a in self.status.get("active") or ()]
        self.requests: list[Request] = []
        self.update_status = False
        self.requeue_at: int | None = None
        self.again = False

    def event(self, type_: str, reason: str, message: str) -> None:
        self.requests.append(event_request(self.who, COMPONENT, self.cj, type_, reason, message, self.now))

    def in_active(self, uid: str) -> bool:
        return any(a.get("uid") == uid for a in self.active)

    def remove_active(self, uid: str) -> None:
        self.active = [a for a in self.active if a.get("uid") != uid]

    def delete_job(self, job: dict) -> None:
        """`deleteJob`: a background delete, the reference dropped from the active list, the event."""
        meta = job["metadata"]
        self.requests.append(Request(verb="delete", group="batch", version="v1", resource="jobs",
                                     namespace=meta.get("namespace", ""), name=meta["name"],
                                     params={"propagationPolicy": "Background"},
                                     user=self.who.name, groups=self.who.groups))
        self.remove_active(meta["uid"])
        self.event(NORMAL, "SuccessfulDelete", f"Deleted job {meta['name']}")

    def new_status(self) -> dict:
        out = {k: v for k, v in self.status.items() if k != "active"}
        if self.active:
            out["active"] = self.active
        return out

    def status_request(self) -> Request:
        meta = self.cj["metadata"]
        body = {**self.cj, "status": self.new_status()}
        return Request(verb="update", group="batch", version="v1", resource="cronjobs", subresource="status",
                       namespace=meta.get("namespace", ""), name=meta["name"], body=body,
                       user=self.who.name, groups=self.who.groups)

    def decision(self) -> Decision:
        reqs = list(self.requests)
        if self.update_status and self.new_status() != (self.cj.get("status") or {}):
            reqs.append(self.status_request())
        return Decision(tuple(name_events(self.view, reqs)), self.requeue_at, self.again)


class CronJobController:
    """`cronjob-controller`: batch/v1 CronJobs create Jobs on their schedule."""

    name = "cronjob-controller"
    identity = controller_identity("cronjob-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        if obj is None or not entry.changed:
            return ()
        req = entry.request
        if req.group != "batch":
            return ()
        meta = obj.get("metadata") or {}
        if req.resource == "cronjobs":
            if entry.outcome.digest == "deleted":  # type: ignore[union-attr]
                return ()
            if req.subresource == "status" and req.user == self.identity.name:
                return ()
            return (cronjob_key(meta.get("namespace", ""), meta.get("name", "")),)
        if req.resource == "jobs":
            ref = controller_ref(obj)
            if ref is not None and ref.get("kind") == "CronJob":
                return (cronjob_key(meta.get("namespace", ""), ref.get("name", "")),)
        return ()

    def decide(self, view: View, key: bytes) -> Decision:
        cj = view.get_key(key)
        if cj is None:
            return NOTHING
        s = _Sync(view, cj, self.identity)
        self.sync(s)
        return s.decision()

    # --- the sync ------------------------------------------------------------------------------

    def sync(self, s: _Sync) -> None:
        cj, view = s.cj, s.view
        uid = cj["metadata"]["uid"]
        jobs = sorted((o for (g, r, _ns, _n), o in view.dependents(uid)
                       if (g, r) == ("batch", "jobs") and (controller_ref(o) or {}).get("uid") == uid),
                      key=lambda j: j["metadata"]["name"])
        deleted = self.cleanup_finished_jobs(s, jobs)
        jobs = [j for j in jobs if j["metadata"]["uid"] not in deleted]
        self.sync_cronjob(s, jobs)

    def cleanup_finished_jobs(self, s: _Sync, jobs: list[dict]) -> set[str]:
        spec = s.cj.get("spec") or {}
        ok_limit, failed_limit = spec.get("successfulJobsHistoryLimit"), spec.get("failedJobsHistoryLimit")
        if ok_limit is None and failed_limit is None:
            return set()
        succeeded = [j for j in jobs if utils.finished_condition(j) == "Complete" and not j["metadata"].get("deletionTimestamp")]
        failed = [j for j in jobs if utils.finished_condition(j) == "Failed" and not j["metadata"].get("deletionTimestamp")]
        gone: set[str] = set()
        for group, limit in ((succeeded, ok_limit), (failed, failed_limit)):
            if limit is None or len(group) <= int(limit):
                continue
            for job in utils.by_job_start_time(group)[:len(group) - int(limit)]:
                s.delete_job(job)
                gone.add(job["metadata"]["uid"])
                s.update_status = True
        return gone

    def sync_cronjob(self, s: _Sync, jobs: list[dict]) -> None:
        cj, now = s.cj, s.now
        spec = cj.get("spec") or {}
        status = s.status
        schedule_text = str(spec.get("schedule") or "")
        sched = None
        try:
            sched = parse_standard(with_time_zone(schedule_text, spec.get("timeZone")))
        except CronError:
            pass
        pending = self._pending_job_name(s, sched)

        # Reconcile status.active with the Jobs that exist.
        children = {j["metadata"]["uid"] for j in jobs}
        for j in jobs:
            jmeta = j["metadata"]
            found = s.in_active(jmeta["uid"])
            finished = utils.finished_condition(j)
            if not found and finished is None:
                if jmeta["name"] == pending or jmeta.get("deletionTimestamp"):
                    continue  # ours, created at this instant and registered below; or going away
                s.event(WARNING, "UnexpectedJob", f"Saw a job that the controller did not create or forgot: {jmeta['name']}")
            elif finished is not None:
                if found:
                    s.remove_active(jmeta["uid"])
                    s.event(NORMAL, "SawCompletedJob", f"Saw completed job: {jmeta['name']}, condition: {finished}")
                    s.update_status = True
                if finished == "Complete":
                    done = (j.get("status") or {}).get("completionTime")
                    last = status.get("lastSuccessfulTime")
                    if last is None and done is not None or (done and last and utils._time(done) > utils._time(last)):
                        status["lastSuccessfulTime"] = done
                        s.update_status = True
        for a in list(s.active):
            if a.get("uid") in children:
                continue
            if s.view.get("batch", "jobs", a.get("namespace", ""), a.get("name", "")) is None:
                s.event(NORMAL, "MissingJob", f"Active job went missing: {a.get('name', '')}")
                s.remove_active(a.get("uid", ""))
                s.update_status = True

        if cj["metadata"].get("deletionTimestamp"):
            return
        tz = spec.get("timeZone")
        if tz is not None:
            try:
                load_zone(tz)
            except ZoneError as e:
                s.event(WARNING, "UnknownTimeZone", f'invalid timeZone: "{tz}": {e}')
                return
        if spec.get("suspend"):
            return
        if "TZ" in schedule_text:
            s.event(WARNING, "UnsupportedSchedule",
                    f'CRON_TZ or TZ used in schedule "{schedule_text}" is not officially supported, '
                    "see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details")
        try:
            sched = parse_standard(with_time_zone(schedule_text, tz))
        except CronError as e:
            s.event(WARNING, "UnparseableSchedule", f'unparseable schedule: "{schedule_text}" : {e}')
            return
        cj_now = {**cj, "status": status}
        nxt = utils.next_schedule_time(cj_now, now, sched)
        if nxt.most_recent is not None and nxt.missed == utils.MANY:
            s.event(WARNING, "TooManyMissedTimes",
                    "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew")
        if nxt.error is not None:
            s.event(WARNING, "InvalidSchedule", f"invalid schedule: {schedule_text} : {nxt.error}")
            return
        scheduled = nxt.most_recent
        if scheduled is None:
            s.requeue_at = utils.next_requeue_at(cj_now, now, sched)
            return
        sds = spec.get("startingDeadlineSeconds")
        if sds is not None and scheduled + int(sds) * utils.SECOND < now:
            s.event(WARNING, "MissSchedule", f"Missed scheduled time to start a job: {utils.rfc1123z(scheduled)}")
            s.requeue_at = utils.next_requeue_at(cj_now, now, sched)
            return
        name = utils.job_name(cj, scheduled)
        if any(a.get("name") == name and a.get("namespace") == cj["metadata"].get("namespace") for a in s.active) \
                or status.get("lastScheduleTime") == rfc3339(scheduled):
            s.requeue_at = utils.next_requeue_at(cj_now, now, sched)
            return
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and s.active:
            s.event(NORMAL, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid")
            s.requeue_at = utils.next_requeue_at(cj_now, now, sched)
            return
        if policy == "Replace":
            for a in list(s.active):
                job = s.view.get("batch", "jobs", a.get("namespace", ""), a.get("name", ""))
                if job is None:
                    s.event(WARNING, "FailedGet", f'Get job: jobs.batch "{a.get("name", "")}" not found')
                    return
                s.delete_job(job)
                s.update_status = True
        ns = cj["metadata"].get("namespace", "")
        existing = s.view.get("batch", "jobs", ns, name)
        if existing is None:
            refusal = self._refused_create(s, ns, name)
            if refusal is not None:
                s.event(WARNING, "FailedCreate", f"Error creating job: {refusal}")
                s.requests.append(s.status_request())  # recorded even when unchanged: marks it reported
                s.update_status = False
                s.requeue_at = now + RETRY_US
                return
            if self._refused_create(s, ns, name, reported=True) is not None:
                s.requeue_at = now + RETRY_US  # already reported at this instant; retry later
                return
            job = utils.job_from_template(cj, scheduled)
            s.requests.append(Request(verb="create", group="batch", version="v1", resource="jobs", namespace=ns,
                                      body=job, user=s.who.name, groups=s.who.groups))
            s.again = True
            return
        # The Job exists (upstream's AlreadyExists path).
        ref = controller_ref(existing)
        if ref is None or ref.get("uid") != cj["metadata"]["uid"]:
            return
        if s.in_active(existing["metadata"]["uid"]):
            return
        if existing["metadata"].get("creationTimestamp") == rfc3339(now) and self._created_by_me(s, existing):
            s.event(NORMAL, "SuccessfulCreate", f"Created job {name}")
        s.active.append(utils.job_reference(existing))
        status["lastScheduleTime"] = rfc3339(scheduled)
        s.update_status = True
        s.requeue_at = utils.next_requeue_at({**cj, "status": s.new_status()}, now, sched)

    # --- helpers -------------------------------------------------------------------------------

    def _pending_job_name(self, s: _Sync, sched) -> str | None:
        """The name of the Job for the unmet schedule time, when one exists that is ours, not yet
        in status.active and created at this instant (so the reconcile does not call it unexpected)."""
        if sched is None:
            return None
        nxt = utils.next_schedule_time(s.cj, s.now, sched)
        if nxt.most_recent is None:
            return None
        name = utils.job_name(s.cj, nxt.most_recent)
        job = s.view.get("batch", "jobs", s.cj["metadata"].get("namespace", ""), name)
        if job is None or job["metadata"].get("creationTimestamp") != rfc3339(s.now):
            return None
        return name if (controller_ref(job) or {}).get("uid") == s.cj["metadata"]["uid"] else None

    def _created_by_me(self, s: _Sync, job: dict) -> bool:
        prefix = object_key("batch", "jobs", job["metadata"].get("namespace", ""), job["metadata"]["name"]) + SEP
        floor = history.instant_floor(s.view)
        for k, _v in s.view.txn.scan("idx_obj", prefix + u64(floor + 1), prefix + u64(s.view.seq + 1)):
            e = read_entry(s.view.txn, from_u64(bytes(k[len(prefix):len(prefix) + 8])))
            if e is not None and e.request.verb == "create" and not isinstance(e.outcome, Denied):
                return e.request.user == s.who.name
        return False

    def _refused_create(self, s: _Sync, ns: str, name: str, reported: bool = False) -> str | None:
        """The message of this controller's refused create of `name` at this instant that is newer
        (or, with reported=True, older) than its last status write of the CronJob."""
        view = s.view
        floor = history.instant_floor(view)
        marker = history.last_status_write(view, cronjob_key(ns, s.cj["metadata"]["name"]), s.who.name, floor)
        prefix = object_key("batch", "jobs", ns, name) + SEP
        for k, _v in view.txn.scan("idx_obj", prefix + u64(floor + 1), prefix + u64(view.seq + 1), reverse=True):
            seq = from_u64(bytes(k[len(prefix):len(prefix) + 8]))
            e = read_entry(view.txn, seq)
            if e is None or not isinstance(e.outcome, Denied) or e.request.verb != "create" or e.request.user != s.who.name:
                continue
            if (seq > marker) != reported:
                return e.outcome.message
        return None


__all__ = ["CronJobController", "cronjob_key"]
