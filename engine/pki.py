"""The cluster's certificate authority: real X.509 keys and certificates, via `cryptography`.

As kubeadm keeps `/etc/kubernetes/pki/ca.{crt,key}`, the CA lives in the data folder (`pki/`),
outside the log: the log is immutable and exported, so it must never hold a private key, and key
generation is random by nature. What the log may hold about a certificate is what it proved
(user, groups), never the certificate's secret half.

Keys are ECDSA P-256 (fast to generate, accepted by kubectl/Go TLS). A client certificate maps to
an identity the upstream way: CN -> user, each O -> a group (x509 authenticator, `request/x509`).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650  # kubeadm's CA validity (ten years)
DEFAULT_DAYS = 365  # kubeadm's leaf validity


class CertError(Exception):
    """A certificate that does not authenticate, with Go's x509 wording as the reason."""


@attrs.frozen
class Issued:
    cert_pem: bytes
    key_pem: bytes


@attrs.frozen
class CertIdentity:
    user: str
    groups: tuple[str, ...]


def _utc(t: dt.datetime | None) -> dt.datetime:
    t = t or dt.datetime.now(dt.timezone.utc)
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _serial() -> int:
    return int.from_bytes(os.urandom(16), "big") >> 1


class CA:
    """A loaded CA: its certificate and key; issues leaves and verifies client certificates."""

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey):
        self.cert, self.key = cert, key

    # --- on disk ---------------------------------------------------------------------------------

    @classmethod
    def load_or_create(cls, pki_dir: str | Path, now: dt.datetime | None = None) -> "CA":
        d = Path(pki_dir)
        crt, key = d / "ca.crt", d / "ca.key"
        if crt.is_file() and key.is_file():
            return cls(x509.load_pem_x509_certificate(crt.read_bytes()),
                       serialization.load_pem_private_key(key.read_bytes(), None))  # type: ignore[arg-type]
        ca = cls.create(now)
        d.mkdir(parents=True, exist_ok=True)
        tmp = key.with_suffix(".key.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(_key_pem(ca.key))
        os.replace(tmp, key)
        crt.write_bytes(ca.cert_pem)
        return ca

    @classmethod
    def create(cls, now: dt.datetime | None = None, common_name: str = "kubernetes") -> "CA":
        now = _utc(now)
        key = _new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(_serial())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=True,
                                         content_commitment=False, data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(cert, key)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    # --- issuing ---------------------------------------------------------------------------------

    def issue(self, common_name: str, organizations: tuple[str, ...] | list[str] = (), *, days: int = DEFAULT_DAYS,
              not_before: dt.datetime | None = None, client: bool = True, server: bool = False,
              dns_names: tuple[str, ...] = (), ip_addresses: tuple[str, ...] = ()) -> Issued:
        """A leaf signed by this CA: CN=user, O=groups (as cfssl/kubeadm write them)."""
        import ipaddress

        if days <= 0:
            raise ValueError(f"--days must be positive, got {days}")
        start = _utc(not_before)
        key = _new_key()
        attrs_ = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
        attrs_.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
        usages = ([ExtendedKeyUsageOID.CLIENT_AUTH] if client else []) + ([ExtendedKeyUsageOID.SERVER_AUTH] if server else [])
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attrs_)).issuer_name(self.cert.subject).public_key(key.public_key())
            .serial_number(_serial())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=False,
                                         content_commitment=False, data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
        sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in ip_addresses]
        if sans:
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = b.sign(self.key, hashes.SHA256())
        return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))

    # --- verifying -------------------------------------------------------------------------------

    def verify_client(self, cert_data: bytes, at: dt.datetime) -> CertIdentity:
        """The identity a client certificate proves at time `at`, or CertError (-> 401 upstream)."""
        cert = load_certificate(cert_data)
        try:
            cert.verify_directly_issued_by(self.cert)
        except (ValueError, TypeError, InvalidSignature):
            raise CertError("x509: certificate signed by unknown authority") from None
        at = _utc(at)
        start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
        if at < start or at > end:
            stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            detail = (f"current time {stamp} is before {start.strftime('%Y-%m-%dT%H:%M:%SZ')}" if at < start
                      else f"current time {stamp} is after {end.strftime('%Y-%m-%dT%H:%M:%SZ')}")
            raise CertError(f"x509: certificate has expired or is not yet valid: {detail}")
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            if ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
                raise CertError("x509: certificate specifies an incompatible key usage")
        except x509.ExtensionNotFound:
            pass
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return CertIdentity(str(cns[0].value) if cns else "", tuple(str(o.value) for o in orgs))


def load_certificate(data: bytes) -> x509.Certificate:
    """PEM or DER; CertError with a clear reason when it is neither."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as e:
        raise CertError(f"x509: malformed certificate: {e}") from None


def fingerprint(cert_data: bytes) -> str:
    """SHA-256 of the DER form: how logs may name a certificate without holding it."""
    return load_certificate(cert_data).fingerprint(hashes.SHA256()).hex()
