"""kubectl's client credentials: kubeconfig files (`--kubeconfig`, `$KUBECONFIG`, `--context`)
and the credential flags (`--token`, `--client-certificate`, `--client-key`), turned into
`engine.pipeline.authn.Credentials`; and writing kubeconfigs (`admin.conf`, `ktape kubeconfig`).

Like kubectl, a client certificate is only usable with its private key: a key that does not
match is refused before anything is sent (`tls: private key does not match public key`).
"""

from __future__ import annotations

import base64
import os

import yaml

from engine.errors import StatusError

SERVER = "https://127.0.0.1:6443"
CLUSTER = "kubernetes"


def _err(msg: str) -> StatusError:
    return StatusError(400, "BadRequest", msg, {"client": True})


def load(paths: list[str]) -> dict:
    """Merge kubeconfig files as kubectl does: the first file to define a name wins."""
    merged: dict = {"clusters": [], "users": [], "contexts": [], "current-context": ""}
    seen = {"clusters": set(), "users": set(), "contexts": set()}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.safe_load(f) or {}
        except FileNotFoundError:
            raise _err(f"stat {path}: no such file or directory") from None
        except yaml.YAMLError as e:
            raise _err(f"error loading config file \"{path}\": {str(e).splitlines()[0]}") from None
        if not isinstance(doc, dict):
            raise _err(f"error loading config file \"{path}\": not a kubeconfig")
        for section in ("clusters", "users", "contexts"):
            for item in doc.get(section) or ():
                if isinstance(item, dict) and item.get("name") not in seen[section]:
                    seen[section].add(item.get("name"))
                    merged[section].append(item)
        if not merged["current-context"] and doc.get("current-context"):
            merged["current-context"] = doc["current-context"]
    return merged


def _named(cfg: dict, section: str, name: str) -> dict | None:
    for item in cfg.get(section) or ():
        if item.get("name") == name:
            return item.get(section[:-1]) or {}
    return None


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise _err(f"unable to read {what} {path}: {e.strerror or e}") from None


def credentials(args, env=os.environ):
    """(Credentials or None for the data folder's admin, the context's namespace or None)."""
    from engine.pipeline.authn import Credentials

    kubeconfig = getattr(args, "kubeconfig", None) or env.get("KUBECONFIG")
    token = getattr(args, "token", None)
    cert_file, key_file = getattr(args, "client_certificate", None), getattr(args, "client_key", None)
    if not (kubeconfig or token or cert_file):
        return None, None
    user: dict = {}
    namespace = None
    if kubeconfig:
        cfg = load([p for p in kubeconfig.split(os.pathsep) if p])
        ctx_name = getattr(args, "context", None) or cfg.get("current-context")
        if not ctx_name:
            raise _err("current-context is not set")
        context = _named(cfg, "contexts", ctx_name)
        if context is None:
            raise _err(f'context was not found for specified context: {ctx_name}')
        namespace = context.get("namespace") or None
        user = _named(cfg, "users", context.get("user", "")) or {}
    cert = key = None
    if cert_file:
        cert = _read(cert_file, "client certificate")
    elif user.get("client-certificate-data"):
        cert = base64.b64decode(user["client-certificate-data"])
    elif user.get("client-certificate"):
        cert = _read(user["client-certificate"], "client certificate")
    if key_file:
        key = _read(key_file, "client key")
    elif user.get("client-key-data"):
        key = base64.b64decode(user["client-key-data"])
    elif user.get("client-key"):
        key = _read(user["client-key"], "client key")
    if cert is not None:
        _check_pair(cert, key)
    tok = token or user.get("token")
    if not tok and user.get("tokenFile"):
        tok = _read(user["tokenFile"], "token file").decode().strip()
    basic = (user["username"], user.get("password", "")) if user.get("username") else None
    return Credentials(token=tok or None, client_cert=cert, basic=basic), namespace


def _check_pair(cert: bytes, key: bytes | None) -> None:
    from cryptography.hazmat.primitives import serialization

    from engine.pki import CertError, load_certificate

    if key is None:
        raise _err("client-cert-data and client-key-data must be specified together")
    try:
        c = load_certificate(cert)
    except CertError as e:
        raise _err(f"tls: failed to find any PEM data in certificate input ({e})") from None
    try:
        k = serialization.load_pem_private_key(key, None)
    except (ValueError, TypeError):
        raise _err("tls: failed to find any PEM data in key input") from None
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    if c.public_key().public_bytes(serialization.Encoding.DER, pub) != k.public_key().public_bytes(serialization.Encoding.DER, pub):
        raise _err("tls: private key does not match public key")


def render(user: str, ca_pem: bytes, *, cert_pem: bytes | None = None, key_pem: bytes | None = None,
           token: str | None = None, namespace: str | None = None, server: str = SERVER) -> str:
    """A kubeconfig with embedded data, as kubeadm's admin.conf / `kubectl config set-credentials --embed-certs`."""
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    creds: dict = {}
    if cert_pem is not None:
        creds["client-certificate-data"] = b64(cert_pem)
        creds["client-key-data"] = b64(key_pem or b"")
    if token:
        creds["token"] = token
    context: dict = {"cluster": CLUSTER, "user": user}
    if namespace:
        context["namespace"] = namespace
    cfg = {"apiVersion": "v1", "kind": "Config",
           "clusters": [{"cluster": {"certificate-authority-data": b64(ca_pem), "server": server}, "name": CLUSTER}],
           "contexts": [{"context": context, "name": f"{user}@{CLUSTER}"}],
           "current-context": f"{user}@{CLUSTER}", "preferences": {},
           "users": [{"name": user, "user": creds}]}
    return yaml.safe_dump(cfg, sort_keys=False)


def ensure_admin(data_dir: str, now_us: int) -> None:
    """The data folder's PKI (cluster CA, ServiceAccount signing key) and admin.conf
    (kubernetes-admin in system:masters), created once, as kubeadm init does."""
    import datetime as dt

    from engine.auth.tokens import load_or_create_key
    from engine.pki import CA

    pki = os.path.join(data_dir, "pki")
    conf = os.path.join(data_dir, "admin.conf")
    now = dt.datetime.fromtimestamp(now_us / 1_000_000, dt.timezone.utc)
    ca = CA.load_or_create(pki, now)
    load_or_create_key(pki)
    if not os.path.exists(conf):
        issued = ca.issue("kubernetes-admin", ("system:masters",), not_before=now - dt.timedelta(minutes=5))
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(render("kubernetes-admin", ca.cert_pem, cert_pem=issued.cert_pem, key_pem=issued.key_pem))
