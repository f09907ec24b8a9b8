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
    basic: bool = False
    client_cert_der: bytes | None = None
    impersonate_user: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    impersonate_uid: str | None = None


class Authenticator:
    def __init__(self, ca: CA, token_file: Path, *, anonymous: bool = False):
        self.ca = ca
        self.token_file = token_file
        self.anonymous = anonymous
        self._tokens: dict[str, UserInfo] = {}
        self._mtime = None
        self._cert_cache: dict[bytes, UserInfo] = {}

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
        return self._authenticate_local(creds, at)

    def _authenticate_local(self, creds: Credentials, at: dt.datetime) -> UserInfo:
        if creds.client_cert_der is not None:
            user = self._cert_cache.get(creds.client_cert_der)
            if user is None:
                try:
                    ident = self.ca.verify_client(creds.client_cert_der, at)
                except CertError:
                    raise _unauthorized() from None
                user = UserInfo(ident.user, ident.groups).with_authenticated()
                if len(self._cert_cache) < 1024:
                    self._cert_cache[creds.client_cert_der] = user
            return user
        if creds.bearer is not None:
            user = self._load_tokens().get(creds.bearer)
            if user is None:
                raise _unauthorized()
            return user.with_authenticated()
        if creds.basic:
            raise _unauthorized()
        if self.anonymous:
            return ANONYMOUS
        raise _unauthorized()


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
