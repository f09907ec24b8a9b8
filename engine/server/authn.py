"""Who sent an HTTP request: the server's authentication seam.

`authenticate(credentials, at)` is the single call the server makes; it follows kube-apiserver's
union authenticator in its order: a client certificate verified against the cluster CA (CN ->
user, O -> groups), then a bearer token (the static token file, kube-apiserver's
`--token-auth-file`), then anonymous. Any presented credential that does not verify is a 401
("Unauthorized"), as upstream. Anonymous requests are refused (401) while the cluster authorizes
with AlwaysAllow, because kube-apiserver turns anonymous auth off with that authorizer; otherwise
they run as `system:anonymous` in `system:unauthenticated` and RBAC decides.

Basic auth was removed from kube-apiserver in 1.19; a basic credential is therefore a 401.

The shared authenticator being built for the pipeline (`engine/pipeline/authn.py`, bearer and
ServiceAccount tokens, certificates) replaces `_authenticate_local` when it lands: the server only
builds `Credentials` and calls `authenticate`.

Impersonation (`Impersonate-User`, repeated `Impersonate-Group`, `Impersonate-Uid`) is mapped
onto the Request's impersonator fields by `identity_for`; the request path checks the sender may
impersonate.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs

from engine.errors import StatusError
from engine.pipeline.identity import UserInfo
from engine.pki import CA, CertError

ANONYMOUS = UserInfo("system:anonymous", ("system:unauthenticated",))


@attrs.frozen
class Credentials:
    bearer: str | None = None
    basic: tuple[str, str] | None = None  # (user, password) from `Authorization: Basic`
    client_cert_der: bytes | None = None
    impersonate_user: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    impersonate_uid: str | None = None


class Authenticator:
    def __init__(self, ca: CA, token_file: Path, *, anonymous: bool = False, cluster=None):
        self.ca = ca
        self.token_file = token_file
        self.anonymous = anonymous
        self.cluster = cluster
        self._tokens: dict[str, UserInfo] = {}
        self._mtime = None
        self._cert_cache: dict[bytes, tuple[UserInfo, dt.datetime]] = {}
        self._shared = _shared_authenticator() if cluster is not None else None

    def _load_tokens(self) -> dict[str, UserInfo]:
        from engine.server.tls import read_tokens

        try:
            mtime = self.token_file.stat().st_mtime
        except OSError:
            return {}
        if mtime != self._mtime:
            self._tokens = {t: UserInfo(u, g) for t, u, _uid, g in read_tokens(self.token_file)}
            self._mtime = mtime
        return self._tokens

    def authenticate(self, creds: Credentials, at: dt.datetime) -> UserInfo:
        """The authenticated user (system:authenticated added), or a 401 StatusError."""
        if not (creds.client_cert_der or creds.bearer or creds.basic):
            if self.anonymous:
                return ANONYMOUS
            raise _unauthorized()
        if creds.client_cert_der is not None:
            hit = self._cert_cache.get(creds.client_cert_der)
            if hit is not None and at <= hit[1]:
                return hit[0]
        if self._shared is not None:
            user = self._authenticate_shared(creds, at)
        else:
            user = self._authenticate_local(creds, at)
        if creds.client_cert_der is not None and user.name and len(self._cert_cache) < 4096:
            from engine.pki import load_certificate

            self._cert_cache[creds.client_cert_der] = (user, load_certificate(creds.client_cert_der).not_valid_after_utc)
        return user

    def _authenticate_shared(self, creds: Credentials, at: dt.datetime) -> UserInfo:
        """The pipeline's authenticator (engine/pipeline/authn.py): certificates, static and
        ServiceAccount tokens, bootstrap tokens, legacy basic auth, as the CLI authenticates."""
        shared = self._shared
        try:
            # The CA is the data folder's (beside tokens.csv), not the store's: on etcd the store's
            # path is the local cache folder.
            got = shared.authenticate(self.cluster, shared.Credentials(token=creds.bearer, client_cert=creds.client_cert_der,
                                                                       basic=creds.basic), int(at.timestamp() * 1_000_000),
                                      str(self.token_file.parent))
        except StatusError:
            user = self._load_tokens().get(creds.bearer) if creds.bearer and not creds.client_cert_der else None
            if user is None:  # the server's own static tokens (<data>/pki/tokens.csv) also count
                raise
            return user.with_authenticated()
        return got.user

    def _authenticate_local(self, creds: Credentials, at: dt.datetime) -> UserInfo:
        if creds.client_cert_der is not None:
            try:
                ident = self.ca.verify_client(creds.client_cert_der, at)
            except CertError:
                raise _unauthorized() from None
            return UserInfo(ident.user, ident.groups).with_authenticated()
        if creds.bearer is not None:
            user = self._load_tokens().get(creds.bearer)
            if user is None:
                raise _unauthorized()
            return user.with_authenticated()
        raise _unauthorized()  # basic auth: removed upstream in 1.19


def _shared_authenticator():
    """engine.pipeline.authn when it offers `authenticate(target, Credentials, at_us)`, else None."""
    try:
        from engine.pipeline import authn as shared
    except ImportError:
        return None
    if hasattr(shared, "authenticate") and hasattr(shared, "Credentials"):
        return shared
    return None


def identity_for(user: UserInfo, creds: Credentials) -> tuple[str, tuple[str, ...], str]:
    """(user, groups, impersonator) for the Request record."""
    if creds.impersonate_user:
        groups = tuple(creds.impersonate_groups)
        if creds.impersonate_user != "system:anonymous" and "system:authenticated" not in groups:
            groups += ("system:authenticated",)
        return creds.impersonate_user, groups, user.name
    if creds.impersonate_groups:
        raise StatusError(500, "InternalError", "requested impersonation of groups without impersonating a user")
    return user.name, user.groups, ""


def _unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")
