"""Access and identity reviews over HTTP: SelfSubjectAccessReview (`kubectl auth can-i`),
SelfSubjectRulesReview (`can-i --list`), SubjectAccessReview and SelfSubjectReview
(`kubectl auth whoami`).

Upstream answers these from the authorizer without storing anything (they are "virtual"
create-only resources). The decisions come from the pipeline's authorization code, evaluated
in a read transaction at the head: `engine.pipeline.authn`'s review functions when the
authentication/RBAC work is present, else the recorded authorization modes (AlwaysAllow /
AlwaysDeny) through `engine.pipeline.authz`.
"""

from __future__ import annotations

from typing import Any

from engine.errors import StatusError
from engine.pipeline import authz as authz_mod
from engine.pipeline.identity import UserInfo

GROUPS = {
    "authorization.k8s.io": ("v1", [("selfsubjectaccessreviews", "SelfSubjectAccessReview", False),
                                    ("selfsubjectrulesreviews", "SelfSubjectRulesReview", False),
                                    ("subjectaccessreviews", "SubjectAccessReview", False),
                                    ("localsubjectaccessreviews", "LocalSubjectAccessReview", True)]),
    "authentication.k8s.io": ("v1", [("selfsubjectreviews", "SelfSubjectReview", False),
                                     ("tokenreviews", "TokenReview", False)]),
}


def resource_list(group: str) -> dict:
    version, res = GROUPS[group]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}",
            "resources": [{"name": r, "singularName": kind.lower(), "namespaced": ns, "kind": kind, "verbs": ["create"]}
                          for r, kind, ns in res]}


def _shared():
    try:
        from engine.pipeline import authn as shared  # the authentication/RBAC work, once merged

        if hasattr(shared, "access_review"):
            return shared
    except ImportError:
        pass
    return None


def _chain(view) -> list:
    if hasattr(authz_mod, "build_chain"):
        return authz_mod.build_chain(view)
    modes = ((view.cluster().get("spec") or {}).get("authorization") or {}).get("modes") or ["AlwaysAllow"]
    return [authz_mod.MODES[m]() for m in modes if m in authz_mod.MODES]


def _allowed(view, user: UserInfo, a: "authz_mod.Attributes") -> tuple[bool, str]:
    if hasattr(authz_mod, "allowed"):
        return authz_mod.allowed(_chain(view), a)
    try:
        authz_mod.authorize(_chain(view), a)
        return True, ""
    except StatusError:
        return False, ""


def _attributes(user: UserInfo, spec: dict, kind: str) -> "authz_mod.Attributes":
    ra = spec.get("resourceAttributes")
    nra = spec.get("nonResourceAttributes")
    if ra:
        return authz_mod.Attributes(user.name, tuple(user.groups), ra.get("verb", ""), ra.get("group", ""),
                                    ra.get("resource", ""), ra.get("subresource", ""), ra.get("namespace", ""), ra.get("name", ""))
    if nra:
        try:
            return authz_mod.Attributes(user.name, tuple(user.groups), nra.get("verb", ""), path=nra.get("path", ""))
        except TypeError:  # an authorizer without non-resource paths
            return authz_mod.Attributes(user.name, tuple(user.groups), nra.get("verb", ""), "", nra.get("path", ""), "", "", "")
    raise StatusError(422, "Invalid", f'{kind}.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": '
                      "exactly one of nonResourceAttributes or resourceAttributes must be specified",
                      {"group": "authorization.k8s.io", "kind": kind,
                       "causes": [{"reason": "FieldValueInvalid", "field": "spec.resourceAttributes",
                                   "message": 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified'}]})


def answer(view, resource: str, body: Any, user: UserInfo, namespace: str = "") -> dict:
    """The review object (status filled in) for a POST of `body` by `user`."""
    if not isinstance(body, dict):
        raise StatusError(400, "BadRequest", "the body of the request was in an unknown format")
    spec = body.get("spec") or {}
    shared = _shared()
    if resource == "selfsubjectreviews":
        if shared is not None:
            return shared.self_subject_review(user)
        return {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1", "metadata": {"creationTimestamp": None},
                "status": {"userInfo": {"username": user.name, "groups": list(user.groups)}}}
    if resource == "selfsubjectrulesreviews":
        ns = spec.get("namespace", "")
        if shared is not None and hasattr(shared, "rules_review"):
            return shared.rules_review(view, user, ns)
        return {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {"creationTimestamp": None},
                "spec": {"namespace": ns}, "status": {"resourceRules": [], "nonResourceRules": [], "incomplete": True,
                                                       "evaluationError": "rules are not listed by this authorizer"}}
    if resource in ("selfsubjectaccessreviews", "subjectaccessreviews", "localsubjectaccessreviews"):
        kind = {"selfsubjectaccessreviews": "SelfSubjectAccessReview", "subjectaccessreviews": "SubjectAccessReview",
                "localsubjectaccessreviews": "LocalSubjectAccessReview"}[resource]
        subject = user
        if resource != "selfsubjectaccessreviews":
            subject = UserInfo(spec.get("user", ""), tuple(spec.get("groups") or ()))
        if resource == "localsubjectaccessreviews" and (spec.get("resourceAttributes") or {}).get("namespace", namespace) != namespace:
            raise StatusError(400, "BadRequest", "spec.resourceAttributes.namespace must match the namespace of the request")
        if shared is not None:
            return shared.access_review(view, subject, spec, kind=kind)
        ok, reason = _allowed(view, subject, _attributes(subject, spec, kind))
        status: dict = {"allowed": ok}
        if reason:
            status["reason"] = reason
        return {"kind": kind, "apiVersion": "authorization.k8s.io/v1", "metadata": {"creationTimestamp": None},
                "spec": spec, "status": status}
    raise StatusError(404, "NotFound", "the server could not find the requested resource")


def check_impersonation(view, sender: UserInfo, user: str, groups: tuple[str, ...]) -> None:
    """The sender must hold `impersonate` on the user (and each claimed group), as the request
    path checks for every impersonated request."""
    chain = _chain(view)
    if hasattr(authz_mod, "impersonation_checks"):
        checks = authz_mod.impersonation_checks(sender.name, tuple(sender.groups), user, tuple(groups))
    else:
        checks = [authz_mod.Attributes(sender.name, tuple(sender.groups), "impersonate", "", "users", "", "", user)]
    for a in checks:
        authz_mod.authorize(chain, a)


def may_create(view, user: UserInfo, group: str, resource: str, namespace: str = "") -> None:
    """Creating a review is itself authorized (system:basic-user grants the self reviews)."""
    a = authz_mod.Attributes(user.name, tuple(user.groups), "create", group, resource, "", namespace, "")
    authz_mod.authorize(_chain(view), a)
