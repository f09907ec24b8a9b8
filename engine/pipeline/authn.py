"""Authentication: raw credentials -> who is asking (upstream's union of request authenticators).

Entry point for the CLI and the HTTP front end (`ktape serve`):

    authenticate(target, Credentials(token=..., client_cert=..., basic=...), at_us, pki_dir=None)
        -> Authenticated(user: UserInfo, authenticator: str, hint: str, extra: dict)
        raises StatusError(401, "Unauthorized", "Unauthorized")  (the reason in .details["cause"])

`target` is a Cluster (a read transaction is opened) or a View; `at_us` the virtual time the
credential is judged at (certificates' validity, token expiry); `pki_dir` defaults to the
cluster's `<data>/pki` (CA for client certificates, `sa.key` for ServiceAccount tokens).

Order, as upstream: x509 client certificate (CN -> user, O -> groups), then bearer tokens
(static token file, ServiceAccount JWTs with lookup on every use, bootstrap tokens), then basic
auth only when the legacy mode is explicitly on (with upstream's removal warning). The first
authenticator that recognises the credential decides; none -> 401. Impersonation
(`Impersonate-User`/`--as`) is authorization, not authentication: the front end passes the
authenticated sender to `engine.client.Client(..., as_user=...)` and the request path checks
the `impersonate` verb.

What may be logged about a credential is `authenticator` and `hint` (a certificate's subject, a
token's hash prefix), never the credential. Reviews (`auth whoami`'s SelfSubjectReview,
SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview) are answered by
`self_subject_review`, `access_review` and `rules_review` below.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import attrs

from engine.errors import StatusError
from engine.pipeline.identity import UserInfo

BASIC_AUTH_WARNING = ("basic authentication (--basic-auth-file) was removed in Kubernetes 1.19; "
                      "kubetape accepts it only in the explicitly enabled legacy mode")


@attrs.frozen
class Credentials:
    token: str | None = None
    client_cert: bytes | None = None  # PEM or DER, as presented
    basic: tuple[str, str] | None = None  # (user, password)

    def __repr__(self) -> str:  # never print a credential
        return f"Credentials(token={'***' if self.token else None}, client_cert={'<cert>' if self.client_cert else None}, basic={'***' if self.basic else None})"


@attrs.frozen
class Authenticated:
    user: UserInfo
    authenticator: str
    hint: str
    extra: dict = attrs.field(factory=dict)
    warnings: tuple[str, ...] = ()

    def record(self) -> dict:
        """What a request's params may carry about how it was authenticated."""
        return {"by": self.authenticator, "hint": self.hint}


def unauthorized(cause: str) -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized", {"cause": cause})


def _pki_dir(target, pki_dir: str | None) -> str | None:
    if pki_dir:
        return pki_dir
    store = getattr(target, "store", None)
    path = getattr(store, "path", None)
    return os.path.join(path, "pki") if path else None


def authenticate(target, creds: Credentials, at_us: int, pki_dir: str | None = None) -> Authenticated:
    pki = _pki_dir(target, pki_dir)
    if hasattr(target, "view") and callable(target.view):
        with target.view() as view:
            return _authenticate(view, creds, at_us, pki)
    return _authenticate(target, creds, at_us, pki)


def _authenticate(view, creds: Credentials, at_us: int, pki: str | None) -> Authenticated:
    causes: list[str] = []
    if creds.client_cert:
        from engine.pki import CA, CertError

        if pki and os.path.isfile(os.path.join(pki, "ca.crt")):
            try:
                ident = CA.load_or_create(pki).verify_client(creds.client_cert, _dt(at_us))
                if not ident.user:
                    raise CertError("x509: subject with cn=\"\" is not allowed")
                subject = f"CN={ident.user}" + "".join(f",O={o}" for o in ident.groups)
                return Authenticated(UserInfo(ident.user, ident.groups).with_authenticated(), "x509", subject)
            except CertError as e:
                causes.append(str(e))
        else:
            causes.append("x509: no cluster CA to verify client certificates")
    if creds.token:
        got = _token(view, creds.token, at_us, pki, causes)
        if got is not None:
            return got
    if creds.basic:
        got = _basic(view, creds.basic, causes)
        if got is not None:
            return got
    raise unauthorized("; ".join(causes) or "no credentials")


def _token(view, token: str, at_us: int, pki: str | None, causes: list[str]) -> Authenticated | None:
    from engine.auth import tokens

    settings = (view.cluster().get("spec") or {}).get("authentication") or {}
    row = tokens.static_lookup(settings.get("tokenAuthFile") or [], token)
    if row is not None:
        return Authenticated(UserInfo(row["user"], tuple(row.get("groups") or ())).with_authenticated(),
                             "token-file", tokens.hint(token), {"uid": row.get("uid", "")})
    if tokens.looks_like_jwt(token) and pki and os.path.isfile(os.path.join(pki, "sa.key")):
        key = tokens.load_or_create_key(pki)
        try:
            ns, name, extra = tokens.verify_sa_token(key, token, view, at_us // 1_000_000)
            user = UserInfo(f"system:serviceaccount:{ns}:{name}",
                            ("system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"))
            return Authenticated(user, "serviceaccount", tokens.hint(token), extra)
        except LookupError:
            causes.append("invalid bearer token")
        except tokens.TokenError as e:
            causes.append(str(e))
            return None
    try:
        got = tokens.verify_bootstrap(token, view, at_us)
    except tokens.TokenError as e:
        causes.append(str(e))
        return None
    if got is not None:
        return Authenticated(UserInfo(got[0], got[1] + ("system:authenticated",)), "bootstrap-token", tokens.hint(token))
    causes.append("invalid bearer token")
    return None


def _basic(view, pair: tuple[str, str], causes: list[str]) -> Authenticated | None:
    settings = (view.cluster().get("spec") or {}).get("authentication") or {}
    rows = settings.get("basicAuthFile")
    if rows is None:
        causes.append("basic authentication is not enabled (removed upstream in 1.19)")
        return None
    user, password = pair
    h = hashlib.sha256(f"{user}:{password}".encode()).hexdigest()
    for r in rows:
        if r.get("sha256") == h:
            return Authenticated(UserInfo(r["user"], tuple(r.get("groups") or ())).with_authenticated(), "basic",
                                 f"user={user}", warnings=(BASIC_AUTH_WARNING,))
    causes.append("invalid basic auth credentials")
    return None


def _dt(at_us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(at_us / 1_000_000, dt.timezone.utc)


# --- reviews ---------------------------------------------------------------------------------------------

def self_subject_review(user: UserInfo, extra: dict | None = None) -> dict:
    """authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`)."""
    info: dict = {"username": user.name, "groups": list(user.groups)}
    if extra:
        info["extra"] = extra
    return {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "status": {"userInfo": info}}


def access_review(view, user: UserInfo, spec: dict, *, rbac_index=None, kind: str = "SelfSubjectAccessReview") -> dict:
    """authorization.k8s.io/v1 (Self)SubjectAccessReview status for `spec`
    (resourceAttributes or nonResourceAttributes), from the chain as of `view` (or an RBAC index)."""
    from engine.pipeline import authz

    ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if ra:
        a = authz.Attributes(user.name, tuple(user.groups), ra.get("verb", ""), ra.get("group", ""), ra.get("resource", ""),
                             ra.get("subresource", ""), ra.get("namespace", ""), ra.get("name", ""))
    elif nra:
        a = authz.Attributes(user.name, tuple(user.groups), nra.get("verb", ""), path=nra.get("path", ""))
    else:
        raise StatusError(422, "Invalid", f"{kind}.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: "
                          "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified")
    chain = authz.build_chain(view)
    if rbac_index is not None:
        chain = [authz.RBAC(view, rbac_index) if isinstance(x, authz.RBAC) else x for x in chain]
    ok, reason = authz.allowed(chain, a)
    status: dict = {"allowed": ok}
    if reason:
        status["reason"] = reason
    return {"kind": kind, "apiVersion": "authorization.k8s.io/v1", "metadata": {"creationTimestamp": None},
            "spec": spec, "status": status}


def rules_review(view, user: UserInfo, namespace: str, *, rbac_index=None) -> dict:
    """authorization.k8s.io/v1 SelfSubjectRulesReview status (`kubectl auth can-i --list`)."""
    from engine.auth.rbac import index_for

    idx = rbac_index if rbac_index is not None else index_for(view)
    res, nonres = [], []
    for r in idx.rules_for(user.name, tuple(user.groups), namespace):
        d = r.to_dict()
        if r.urls:
            nonres.append({"verbs": d["verbs"], "nonResourceURLs": d["nonResourceURLs"]})
        else:
            res.append({k: d[k] for k in ("verbs", "apiGroups", "resources", "resourceNames") if k in d})
    return {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "spec": {"namespace": namespace},
            "status": {"resourceRules": res, "nonResourceRules": nonres, "incomplete": False}}
