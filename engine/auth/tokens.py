"""Bearer tokens: the static token file, ServiceAccount JWTs and bootstrap tokens.

- Static tokens (`--token-auth-file`, upstream `tokenfile.go`): CSV rows `token,user,uid,"g1,g2"`;
  kept in the recorded cluster settings as SHA-256 hashes only, never the token.
- ServiceAccount tokens (upstream `pkg/serviceaccount/jwt.go`, `claims.go`, `legacy.go`): RS256
  JWTs signed with `<data>/pki/sa.key` (outside the log), issuer
  `https://kubernetes.default.svc.cluster.local`; bound tokens (TokenRequest: audiences, expiry,
  `kubernetes.io` private claims) and legacy secret-based tokens (issuer
  `kubernetes/serviceaccount`). Every use looks the ServiceAccount (and the Secret or bound object)
  up in current state, so deleting it invalidates the token (`--service-account-lookup`).
  PyJWT does the JOSE work; claims and lookups follow upstream.
- Bootstrap tokens (upstream `plugin/pkg/auth/authenticator/token/bootstrap`): `<id>.<secret>`
  matched against Secret `kube-system/bootstrap-token-<id>` of type
  `bootstrap.kubernetes.io/token`, unexpired, with usage-bootstrap-authentication=true ->
  `system:bootstrap:<id>` in `system:bootstrappers` (+ auth-extra-groups).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://kubernetes.default.svc.cluster.local"
LEGACY_ISSUER = "kubernetes/serviceaccount"
API_AUDIENCES = (ISSUER,)
SA_PREFIX = "system:serviceaccount:"


class TokenError(Exception):
    """A token this authenticator recognises but refuses (-> 401)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hint(token: str) -> str:
    """What the log may say about a token: a prefix of its hash."""
    return "sha256:" + token_hash(token)[:12]


# --- the static token file ---------------------------------------------------------------------

def parse_token_file(text: str, path: str = "tokens.csv") -> tuple[list[dict], list[str]]:
    """(hashed rows, warnings), upstream's rules: at least 3 columns, empty tokens skipped with a
    warning, a duplicate token overrides the earlier row with a warning."""
    rows: dict[str, dict] = {}
    warnings = []
    reader = csv.reader(io.StringIO(text))
    for n, record in enumerate(reader, 1):
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) < 3:
            raise ValueError(f"token file '{path}' must have at least 3 columns (token, user name, user uid), found {len(record)}")
        token = record[0]
        if not token:
            warnings.append(f"empty token has been found in token file '{path}', record number '{n}'")
            continue
        h = token_hash(token)
        if h in rows:
            warnings.append(f"duplicate token has been found in token file '{path}', record number '{n}'")
        groups = [g.strip() for g in record[3].split(",") if g.strip()] if len(record) > 3 else []
        rows[h] = {"tokenSHA256": h, "user": record[1], "uid": record[2], "groups": groups}
    return list(rows.values()), warnings


def parse_basic_auth_file(text: str, path: str = "basic.csv") -> list[dict]:
    """The removed `--basic-auth-file` (password,user,uid,"groups"), kept hashed."""
    rows = []
    for n, record in enumerate(csv.reader(io.StringIO(text)), 1):
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) < 3:
            raise ValueError(f"basic auth file '{path}' must have at least 3 columns (password, user name, user uid), found {len(record)}")
        groups = [g.strip() for g in record[3].split(",") if g.strip()] if len(record) > 3 else []
        rows.append({"sha256": hashlib.sha256(f"{record[1]}:{record[0]}".encode()).hexdigest(), "user": record[1],
                     "uid": record[2], "groups": groups})
    return rows


def static_lookup(rows: list[dict], token: str) -> dict | None:
    h = token_hash(token)
    for r in rows:
        if r.get("tokenSHA256") == h:
            return r
    return None


# --- ServiceAccount JWTs -----------------------------------------------------------------------------

def load_or_create_key(pki_dir: str | Path) -> rsa.RSAPrivateKey:
    d = Path(pki_dir)
    path = d / "sa.key"
    if path.is_file():
        return serialization.load_pem_private_key(path.read_bytes(), None)  # type: ignore[return-value]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    d.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.replace(tmp, path)
    (d / "sa.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                             serialization.PublicFormat.SubjectPublicKeyInfo))
    return key


def _kid(key) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def mint_bound(key, sa: dict, *, now_s: int, expiration_s: int, audiences: list[str], jti: str,
               bound: dict | None = None) -> str:
    """A TokenRequest token (upstream claims.go Claims)."""
    meta = sa["metadata"]
    private: dict = {"namespace": meta["namespace"], "serviceaccount": {"name": meta["name"], "uid": meta["uid"]}}
    if bound:
        private[bound["kind"].lower()] = {"name": bound["name"], "uid": bound["uid"]}
    claims = {"iss": ISSUER, "sub": f"{SA_PREFIX}{meta['namespace']}:{meta['name']}", "aud": list(audiences),
              "iat": now_s, "nbf": now_s, "exp": now_s + expiration_s, "jti": jti, "kubernetes.io": private}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": _kid(key)})


def mint_legacy(key, sa: dict, secret_name: str) -> str:
    """A legacy secret-based token (upstream legacy.go LegacyClaims)."""
    meta = sa["metadata"]
    claims = {"iss": LEGACY_ISSUER, "sub": f"{SA_PREFIX}{meta['namespace']}:{meta['name']}",
              "kubernetes.io/serviceaccount/namespace": meta["namespace"],
              "kubernetes.io/serviceaccount/secret.name": secret_name,
              "kubernetes.io/serviceaccount/service-account.name": meta["name"],
              "kubernetes.io/serviceaccount/service-account.uid": meta["uid"]}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": _kid(key)})


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


def unverified_issuer(token: str) -> str | None:
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        return None


def verify_sa_token(key, token: str, view, now_s: int) -> tuple[str, str, dict]:
    """(namespace, name, extra) of a valid ServiceAccount token, or TokenError (-> 401)."""
    iss = unverified_issuer(token)
    if iss not in (ISSUER, LEGACY_ISSUER):
        raise LookupError("not a ServiceAccount token")  # another authenticator's (or nobody's)
    try:
        claims = jwt.decode(token, key.public_key(), algorithms=["RS256"], issuer=iss,
                            options={"verify_aud": False, "verify_exp": False, "verify_nbf": False, "verify_iat": False})
    except jwt.InvalidSignatureError:
        raise TokenError("invalid bearer token, square/go-jose: error in cryptographic primitive") from None
    except jwt.PyJWTError as e:
        raise TokenError(f"invalid bearer token, {e}") from None
    if iss == LEGACY_ISSUER:
        ns = claims.get("kubernetes.io/serviceaccount/namespace", "")
        name = claims.get("kubernetes.io/serviceaccount/service-account.name", "")
        uid = claims.get("kubernetes.io/serviceaccount/service-account.uid", "")
        secret_name = claims.get("kubernetes.io/serviceaccount/secret.name", "")
        sa = view.get("", "serviceaccounts", ns, name)
        if sa is None:
            raise TokenError(f'ServiceAccount {ns}/{name} has been deleted')
        if sa["metadata"].get("uid") != uid:
            raise TokenError(f"ServiceAccount UID ({sa['metadata'].get('uid')}) does not match claim ({uid})")
        secret = view.get("", "secrets", ns, secret_name)
        if secret is None:
            raise TokenError(f"Secret {ns}/{secret_name} has been deleted")
        stored = (secret.get("data") or {}).get("token", "")
        try:
            stored_token = base64.b64decode(stored).decode()
        except (ValueError, UnicodeDecodeError):
            stored_token = ""
        if stored_token != token:
            raise TokenError("Token does not match server's copy")
        return ns, name, {}
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if isinstance(exp, (int, float)) and now_s > exp:
        raise TokenError("service account token has expired")
    if isinstance(nbf, (int, float)) and now_s < nbf:
        raise TokenError("service account token is not valid yet")
    aud = claims.get("aud") or []
    aud = [aud] if isinstance(aud, str) else aud
    if not set(aud) & set(API_AUDIENCES):
        raise TokenError(f"token audiences {aud!r} is invalid for the target audiences {list(API_AUDIENCES)!r}")
    private = claims.get("kubernetes.io") or {}
    ns = private.get("namespace", "")
    sa_ref = private.get("serviceaccount") or {}
    sa = view.get("", "serviceaccounts", ns, sa_ref.get("name", ""))
    if sa is None:
        raise TokenError(f"serviceaccounts \"{sa_ref.get('name', '')}\" not found")
    if sa["metadata"].get("uid") != sa_ref.get("uid"):
        raise TokenError(f"ServiceAccount UID ({sa['metadata'].get('uid')}) does not match claim ({sa_ref.get('uid')})")
    extra: dict = {}
    for kind, res in (("secret", "secrets"), ("pod", "pods")):
        ref = private.get(kind)
        if ref:
            obj = view.get("", res, ns, ref.get("name", ""))
            if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
                raise TokenError(f"{kind} {ns}/{ref.get('name', '')} has been deleted")
            if kind == "pod":
                extra["authentication.kubernetes.io/pod-name"] = [ref.get("name", "")]
                extra["authentication.kubernetes.io/pod-uid"] = [ref.get("uid", "")]
    if claims.get("jti"):
        extra["authentication.kubernetes.io/credential-id"] = [f"JTI={claims['jti']}"]
    return ns, sa_ref.get("name", ""), extra


# --- bootstrap tokens -----------------------------------------------------------------------------------

BOOTSTRAP_RE = re.compile(r"^([a-z0-9]{6})\.([a-z0-9]{16})$")


def verify_bootstrap(token: str, view, now_us: int) -> tuple[str, tuple[str, ...]] | None:
    m = BOOTSTRAP_RE.match(token)
    if not m:
        return None
    tid, tsecret = m.groups()
    secret = view.get("", "secrets", "kube-system", f"bootstrap-token-{tid}")
    if secret is None or secret.get("type") != "bootstrap.kubernetes.io/token":
        raise TokenError(f"no secret for bootstrap token {tid}")
    data = {k: _b64(v) for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    if data.get("token-secret") != tsecret or data.get("token-id", tid) != tid:
        raise TokenError(f"bootstrap token {tid}: secret does not match")
    if data.get("usage-bootstrap-authentication") != "true":
        raise TokenError(f"bootstrap token {tid}: not marked usage-bootstrap-authentication")
    if data.get("expiration"):
        from engine.clock import parse_time

        try:
            if now_us > parse_time(data["expiration"]):
                raise TokenError(f"bootstrap token {tid} has expired")
        except ValueError:
            raise TokenError(f"bootstrap token {tid}: bad expiration") from None
    groups = ["system:bootstrappers"] + [g for g in (data.get("auth-extra-groups") or "").split(",") if g]
    return f"system:bootstrap:{tid}", tuple(groups)


def _b64(v) -> str:
    try:
        return base64.b64decode(v).decode()
    except (ValueError, UnicodeDecodeError, TypeError):
        return ""
