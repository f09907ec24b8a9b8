"""TLS for `ktape serve`: a serving certificate from the cluster CA, optional client certificates
(mTLS), and the admin kubeconfig.

kubectl sends credentials only over TLS (client-go reads a kubeconfig's token/basic auth only
for https servers), so the server is HTTPS-only. The serving certificate is issued at each start
by the CA in `<data>/pki` (kept out of the log: it holds a private key) for `localhost`, the
loopback addresses and the listen address. Client certificates are requested but optional
(CERT_OPTIONAL against the CA): OpenSSL rejects a certificate from another CA during the
handshake, so kubectl reports `tls: unknown certificate authority`-style errors for those, as it
does against a real API server that only trusts its CA.

The admin kubeconfig embeds the CA, an admin client certificate (CN=kubernetes-admin,
O=system:masters, as kubeadm's admin.conf) and nothing else; `--token` style access uses the
static token file `<data>/pki/tokens.csv` (kube-apiserver's `--token-auth-file` format:
`token,user,uid,"group1,group2"`), created with one admin token.
"""

from __future__ import annotations

import base64
import csv
import ipaddress
import os
import secrets
import ssl
import tempfile
from pathlib import Path

import yaml

from engine.pki import CA

ADMIN_CN = "kubernetes-admin"
ADMIN_ORGS = ("system:masters",)


def pki_dir(data: str) -> Path:
    return Path(data) / "pki"


def load_ca(data: str) -> CA:
    return CA.load_or_create(pki_dir(data))


def _names(host: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    dns = {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
    ips = {"127.0.0.1", "::1"}
    try:
        ipaddress.ip_address(host)
        if host not in ("0.0.0.0", "::"):
            ips.add(host)
    except ValueError:
        if host:
            dns.add(host)
    return tuple(sorted(dns)), tuple(sorted(ips))


def server_context(ca: CA, host: str) -> ssl.SSLContext:
    """An SSLContext serving a fresh leaf for `host`, asking for (not requiring) client certs."""
    dns, ips = _names(host)
    leaf = ca.issue("kube-apiserver", (), client=False, server=True, dns_names=dns, ip_addresses=ips)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="ktape-tls-") as tmp:
        crt, key = os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key")
        with open(crt, "wb") as f:
            f.write(leaf.cert_pem + ca.cert_pem)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(leaf.key_pem)
        ctx.load_cert_chain(crt, key)
    ctx.load_verify_locations(cadata=ca.cert_pem.decode())
    ctx.verify_mode = ssl.CERT_OPTIONAL
    request_any_client_cert(ctx)
    return ctx


_KEEP: list = []  # the ctypes verify callbacks (must outlive the contexts using them)


def request_any_client_cert(ctx: ssl.SSLContext) -> bool:
    """Make the handshake accept any client certificate, as Go's `tls.RequestClientCert` that
    kube-apiserver uses: the certificate is then verified by the x509 authenticator (authn.py),
    so a certificate from another CA, expired or self-signed, is a 401 Status ("You must be
    logged in to the server") instead of a TLS alert kubectl reports as `EOF` after retries.

    The standard library has no knob for this (OpenSSL's verify callback is not exposed), so
    the callback is installed on the context's `SSL_CTX` through ctypes: CPython's SSLContext
    object holds the `SSL_CTX *` right after its object header. The pointer is checked by
    reading the verify mode back before anything is changed; on any doubt nothing is changed
    and foreign certificates keep failing in the handshake (returns False)."""
    import ctypes
    import sys

    if sys.implementation.name != "cpython":
        return False
    try:
        import _ssl

        lib = None
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if "/libssl.so" in path:
                    lib = ctypes.CDLL(path)
                    break
        if lib is None:
            lib = ctypes.CDLL(_ssl.__file__)
        ptr = ctypes.c_void_p.from_address(id(ctx) + object.__basicsize__).value
        if not ptr:
            return False
        lib.SSL_CTX_get_verify_mode.restype = ctypes.c_int
        lib.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
        if lib.SSL_CTX_get_verify_mode(ptr) != 1:  # SSL_VERIFY_PEER, what CERT_OPTIONAL set
            return False
        cb_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p)
        cb = cb_type(lambda _ok, _store: 1)
        lib.SSL_CTX_set_verify.restype = None
        lib.SSL_CTX_set_verify.argtypes = [ctypes.c_void_p, ctypes.c_int, cb_type]
        lib.SSL_CTX_set_verify(ptr, 1, cb)
        _KEEP.append(cb)
        return True
    except (OSError, AttributeError, ValueError):
        return False


def admin_token(data: str) -> str:
    """The static admin token (created on first use) from `<data>/pki/tokens.csv`."""
    path = pki_dir(data) / "tokens.csv"
    for token, user, _uid, _groups in read_tokens(path):
        if user == ADMIN_CN:
            return token
    token = secrets.token_hex(16)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as f:
        f.write(f'{token},{ADMIN_CN},{ADMIN_CN},"{",".join(ADMIN_ORGS)}"\n')
    return token


def read_tokens(path: Path) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """Rows of a kube-apiserver token file: token, user, uid, groups."""
    if not path.is_file():
        return []
    out = []
    with open(path, newline="") as f:
        for row in csv.reader(f):
            if len(row) < 2 or row[0].startswith("#"):
                continue
            groups = tuple(g for g in (row[3].split(",") if len(row) > 3 else []) if g)
            out.append((row[0].strip(), row[1].strip(), row[2].strip() if len(row) > 2 else "", groups))
    return out


def kubeconfig(ca: CA, server: str, *, user: str = ADMIN_CN, groups: tuple[str, ...] = ADMIN_ORGS,
               token: str | None = None, name: str = "kubetape") -> dict:
    """A kubeconfig for `user`: client certificate issued by the CA, or a bearer token."""
    cred: dict = {}
    if token:
        cred["token"] = token
    else:
        leaf = ca.issue(user, groups, client=True)
        cred["client-certificate-data"] = base64.b64encode(leaf.cert_pem).decode()
        cred["client-key-data"] = base64.b64encode(leaf.key_pem).decode()
    ctx_name = f"{user}@{name}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {
            "server": server, "certificate-authority-data": base64.b64encode(ca.cert_pem).decode()}}],
        "users": [{"name": user, "user": cred}],
        "contexts": [{"name": ctx_name, "context": {"cluster": name, "user": user, "namespace": "default"}}],
        "current-context": ctx_name,
        "preferences": {},
    }


def write_kubeconfig(path: str, config: dict) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
