"""Job constants, labels, conditions and pod predicates (upstream `batch/v1` types, `job/util`).

The API names: the pod tracking finalizer `batch.kubernetes.io/job-tracking`, the labels the API
server puts on a Job's template when it generates the selector (`batch.kubernetes.io/job-name`,
`batch.kubernetes.io/controller-uid` and the legacy `job-name`, `controller-uid`), the completion
index annotation and label, and upstream's condition types, reasons and messages.
"""

from __future__ import annotations

from engine.clock import rfc3339
from engine.model.pods import controller_ref
from engine.model.selectors import NOTHING as SELECT_NOTHING
from engine.model.selectors import Selector, selector_from_label_selector, selector_from_set
from engine.errors import StatusError

JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
JOB_CONTROLLER_NAME = "kubernetes.io/job-controller"  # spec.managedBy for jobs this controller syncs
COMPONENT = "job-controller"

# Condition types and reasons (k8s.io/api/batch/v1).
COMPLETE, FAILED, SUSPENDED = "Complete", "Failed", "Suspended"
FAILURE_TARGET, SUCCESS_CRITERIA_MET = "FailureTarget", "SuccessCriteriaMet"
REASON_BACKOFF_LIMIT_EXCEEDED = "BackoffLimitExceeded"
REASON_DEADLINE_EXCEEDED = "DeadlineExceeded"
REASON_POD_FAILURE_POLICY = "PodFailurePolicy"
REASON_COMPLETIONS_REACHED = "CompletionsReached"
MSG_BACKOFF_LIMIT_EXCEEDED = "Job has reached the specified backoff limit"
MSG_DEADLINE_EXCEEDED = "Job was active longer than specified deadline"
MSG_COMPLETIONS_REACHED = "Reached expected number of succeeded pods"


def job_selector(job: dict) -> Selector:
    """The pod selector: spec.selector, or, for a Job stored without one (a server that did not
    generate it), the selector the API server would have generated (`controller-uid`)."""
    spec = job.get("spec") or {}
    sel = spec.get("selector")
    if not sel:
        return selector_from_set({CONTROLLER_UID_LABEL: job["metadata"].get("uid", "")})
    try:
        return selector_from_label_selector(sel)
    except StatusError:
        return SELECT_NOTHING


def generated_labels(job: dict) -> dict:
    """`generateSelector`'s template labels (only where the template does not set them)."""
    meta = job["metadata"]
    return {LEGACY_JOB_NAME_LABEL: meta["name"], JOB_NAME_LABEL: meta["name"],
            LEGACY_CONTROLLER_UID_LABEL: meta.get("uid", ""), CONTROLLER_UID_LABEL: meta.get("uid", "")}


def find_condition(status: dict, ctype: str) -> dict | None:
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def condition_true(status: dict, ctype: str) -> bool:
    c = find_condition(status, ctype)
    return c is not None and c.get("status") == "True"


def is_finished(job: dict) -> bool:
    """`IsJobFinished`: a Complete or Failed condition that is True."""
    status = job.get("status") or {}
    return condition_true(status, COMPLETE) or condition_true(status, FAILED)


def new_condition(ctype: str, status: str, reason: str, message: str, now: int) -> dict:
    """`newCondition`: both times now; empty reason and message are omitted (omitempty)."""
    c = {"type": ctype, "status": status, "lastProbeTime": rfc3339(now), "lastTransitionTime": rfc3339(now)}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def ensure_condition(conditions: list[dict], ctype: str, status: str, reason: str, message: str, now: int) -> bool:
    """`ensureJobConditionStatus`, in place: update a condition whose status, reason or message
    differs, or append a new one unless it would be False. Returns whether anything changed."""
    for i, c in enumerate(conditions):
        if c.get("type") == ctype:
            if c.get("status") != status or c.get("reason", "") != reason or c.get("message", "") != message:
                conditions[i] = new_condition(ctype, status, reason, message, now)
                return True
            return False
    if status != "False":
        conditions.append(new_condition(ctype, status, reason, message, now))
        return True
    return False


def suspended(job: dict) -> bool:
    return bool((job.get("spec") or {}).get("suspend"))


def is_indexed(job: dict) -> bool:
    return (job.get("spec") or {}).get("completionMode") == "Indexed"


def managed_externally(job: dict) -> bool:
    """`managedByExternalController`: spec.managedBy names another controller."""
    managed = (job.get("spec") or {}).get("managedBy")
    return managed is not None and managed != JOB_CONTROLLER_NAME


def only_replace_failed_pods(job: dict) -> bool:
    """`onlyReplaceFailedPods`: podReplacementPolicy Failed, or a pod failure policy."""
    spec = job.get("spec") or {}
    return spec.get("podReplacementPolicy") == "Failed" or spec.get("podFailurePolicy") is not None


def has_finalizer(pod: dict) -> bool:
    return JOB_TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or ())


def phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_pod_failed(pod: dict, job: dict) -> bool:
    """`isPodFailed`: phase Failed, or (unless only failed pods are replaced) deleted and not Succeeded."""
    if phase(pod) == "Failed":
        return True
    if only_replace_failed_pods(job):
        return False
    return bool(pod["metadata"].get("deletionTimestamp")) and phase(pod) != "Succeeded"


def is_terminating(pod: dict) -> bool:
    """`CountTerminatingPods`' test: being deleted and not yet in a terminal phase."""
    return bool(pod["metadata"].get("deletionTimestamp")) and phase(pod) not in ("Succeeded", "Failed")


def owned_by(pod: dict, job: dict) -> bool:
    ref = controller_ref(pod)
    return ref is not None and ref.get("uid") == job["metadata"].get("uid")


def job_ref(job: dict) -> dict:
    """`metav1.NewControllerRef(job, batch/v1 Job)`."""
    meta = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}
