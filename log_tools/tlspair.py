"""Go's `tls.X509KeyPair` checks, as `kubectl create secret tls` runs them before sending anything.

The PEM block scan and its messages follow `crypto/tls` (`failed to find any PEM data in
certificate input`, `... but did find a private key; PEM inputs may have been switched`, the
key-side twins); the certificate and the key are then parsed with `cryptography` and their public
keys compared (`tls: private key does not match public key`, `tls: private key type does not
match public key type`, `tls: failed to parse private key`). x509's own parse errors are reduced
to `x509: malformed certificate`.
"""

from __future__ import annotations

import base64
import binascii
import re

_BLOCK = re.compile(rb"-----BEGIN ([^-\r\n]*)-----\r?\n(.*?)-----END \1-----", re.S)


class PairError(Exception):
    pass


def _blocks(data: bytes) -> list[tuple[str, bytes]]:
    out = []
    for m in _BLOCK.finditer(data):
        body = b"".join(line for line in m.group(2).splitlines() if b":" not in line)
        try:
            der = base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            continue
        out.append((m.group(1).decode("ascii", errors="replace"), der))
    return out


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


def check(cert_pem: bytes, key_pem: bytes) -> None:
    """Raise PairError with Go's message when `tls.X509KeyPair(cert, key)` would fail."""
    blocks = _blocks(cert_pem)
    certs = [der for t, der in blocks if t == "CERTIFICATE"]
    skipped = [t for t, _ in blocks if t != "CERTIFICATE"]
    if not certs:
        if not skipped:
            raise PairError("tls: failed to find any PEM data in certificate input")
        if len(skipped) == 1 and skipped[0].endswith("PRIVATE KEY"):
            raise PairError("tls: failed to find certificate PEM data in certificate input, but did find a private key; "
                            "PEM inputs may have been switched")
        raise PairError('tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks '
                        f"of the following types: {_go_list(skipped)}")
    key_der = None
    skipped = []
    for t, der in _blocks(key_pem):
        if t == "PRIVATE KEY" or t.endswith(" PRIVATE KEY"):
            key_der = der
            break
        skipped.append(t)
    if key_der is None:
        if not skipped:
            raise PairError("tls: failed to find any PEM data in key input")
        if skipped == ["CERTIFICATE"]:
            raise PairError("tls: found a certificate rather than a key in the PEM for the private key")
        raise PairError('tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping '
                        f"PEM blocks of the following types: {_go_list(skipped)}")
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        public = x509.load_der_x509_certificate(certs[0]).public_key()
    except ValueError:
        raise PairError("x509: malformed certificate") from None
    private = None
    for loader in (lambda d: serialization.load_der_private_key(d, password=None),):
        try:
            private = loader(key_der)
        except (ValueError, TypeError):
            private = None
    if private is None:
        raise PairError("tls: failed to parse private key")
    if type(private.public_key()).__name__.replace("Public", "") != type(public).__name__.replace("Public", ""):
        raise PairError("tls: private key type does not match public key type")
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    if private.public_key().public_bytes(enc, fmt) != public.public_bytes(enc, fmt):
        raise PairError("tls: private key does not match public key")
