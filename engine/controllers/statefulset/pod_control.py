"""The writes the controller makes on pods and claims, and the events that report them
(upstream `stateful_pod_control.go`).

Requests: create a pod or a claim, delete a pod (a plain delete), update a pod (identity or
storage drift) or a claim (retention owner references) with the object as read, so its
resourceVersion is the precondition. Events, with upstream's texts verbatim:

    SuccessfulCreate  create Pod web-0 in StatefulSet web successful
    FailedCreate      create Pod web-0 in StatefulSet web failed error: <error>
    SuccessfulDelete  delete Pod web-2 in StatefulSet web successful
    SuccessfulUpdate  update Pod web-0 in StatefulSet web successful
    SuccessfulCreate  create Claim www-web-0 Pod web-0 in StatefulSet web success
    FailedCreate      create Claim www-web-0 for Pod web-0 in StatefulSet web failed error: <error>

(`recordPodEvent` / `recordClaimEvent`: reason `Successful<Verb>` or `Failed<Verb>`.)
"""

from __future__ import annotations

from engine.controllers.events import NORMAL, WARNING, event_request
from engine.pipeline.identity import UserInfo
from engine.records import Request

COMPONENT = "statefulset-controller"


def _pod_request(who: UserInfo, verb: str, pod: dict, body=None) -> Request:
    meta = pod["metadata"]
    return Request(verb=verb, resource="pods", namespace=meta.get("namespace", ""),
                   name="" if verb == "create" else meta["name"], body=body, user=who.name, groups=who.groups)


def create_pod(who: UserInfo, pod: dict) -> Request:
    return _pod_request(who, "create", pod, body=pod)


def delete_pod(who: UserInfo, pod: dict) -> Request:
    """`DeleteStatefulPod`: a plain delete (the kubelet finishes a bound pod's graceful deletion)."""
    return _pod_request(who, "delete", pod)


def update_pod(who: UserInfo, pod: dict) -> Request:
    """`UpdateStatefulPod`: a PUT of the pod as read (its resourceVersion is the precondition)."""
    return _pod_request(who, "update", pod, body=pod)


def create_claim(who: UserInfo, claim: dict) -> Request:
    return Request(verb="create", resource="persistentvolumeclaims", namespace=claim["metadata"].get("namespace", ""),
                   body=claim, user=who.name, groups=who.groups)


def update_claim(who: UserInfo, claim: dict, owner_refs: list[dict]) -> Request:
    """`UpdateClaim` with the owner references the retention policy wants."""
    meta = {k: v for k, v in claim["metadata"].items() if k != "ownerReferences"}
    if owner_refs:
        meta["ownerReferences"] = owner_refs
    body = {**claim, "metadata": meta}
    return Request(verb="update", resource="persistentvolumeclaims", namespace=meta.get("namespace", ""),
                   name=meta["name"], body=body, user=who.name, groups=who.groups)


def _title(verb: str) -> str:
    return verb[:1].upper() + verb[1:]


def pod_event(who: UserInfo, sts: dict, verb: str, pod_name: str, error: str | None, now: int) -> Request:
    """`recordPodEvent`."""
    set_name = sts["metadata"]["name"]
    if error is None:
        return event_request(who, COMPONENT, sts, NORMAL, f"Successful{_title(verb)}",
                             f"{verb.lower()} Pod {pod_name} in StatefulSet {set_name} successful", now)
    return event_request(who, COMPONENT, sts, WARNING, f"Failed{_title(verb)}",
                         f"{verb.lower()} Pod {pod_name} in StatefulSet {set_name} failed error: {error}", now)


def claim_event(who: UserInfo, sts: dict, verb: str, claim_name: str, pod_name: str, error: str | None, now: int) -> Request:
    """`recordClaimEvent`."""
    set_name = sts["metadata"]["name"]
    if error is None:
        return event_request(who, COMPONENT, sts, NORMAL, f"Successful{_title(verb)}",
                             f"{verb.lower()} Claim {claim_name} Pod {pod_name} in StatefulSet {set_name} success", now)
    return event_request(who, COMPONENT, sts, WARNING, f"Failed{_title(verb)}",
                         f"{verb.lower()} Claim {claim_name} for Pod {pod_name} in StatefulSet {set_name} failed error: {error}",
                         now)


def aggregate(errors: list[str]) -> str:
    """`utilerrors.NewAggregate(errs).Error()`: one message as is, several as `[a, b]`."""
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
