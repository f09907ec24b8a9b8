"""The cluster CA: issued certificates prove CN/O identities, and only while valid and ours."""

import datetime as dt

import pytest

from engine.pki import CA, CertError, fingerprint

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def ca():
    return CA.create(T0)


def test_client_certificate_maps_cn_to_user_and_o_to_groups(ca):
    issued = ca.issue("devuser", ("dev", "k8s"), not_before=T0)
    ident = ca.verify_client(issued.cert_pem, T0 + dt.timedelta(days=1))
    assert (ident.user, ident.groups) == ("devuser", ("dev", "k8s"))


def test_expired_and_not_yet_valid_certificates_are_refused(ca):
    issued = ca.issue("jane", days=1, not_before=T0)
    with pytest.raises(CertError, match="expired or is not yet valid: current time 2026-01-03T00:00:00Z is after"):
        ca.verify_client(issued.cert_pem, T0 + dt.timedelta(days=2))
    with pytest.raises(CertError, match="is before"):
        ca.verify_client(issued.cert_pem, T0 - dt.timedelta(hours=1))


def test_foreign_ca_and_malformed_certificates_are_refused(ca):
    other = CA.create(T0).issue("mallory", ("system:masters",), not_before=T0)
    with pytest.raises(CertError, match="unknown authority"):
        ca.verify_client(other.cert_pem, T0)
    with pytest.raises(CertError, match="malformed"):
        ca.verify_client(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", T0)


def test_server_certificate_cannot_authenticate_a_client(ca):
    issued = ca.issue("kube-apiserver", client=False, server=True, dns_names=("localhost",), ip_addresses=("127.0.0.1",), not_before=T0)
    with pytest.raises(CertError, match="incompatible key usage"):
        ca.verify_client(issued.cert_pem, T0)


def test_ca_on_disk_is_created_once_with_a_private_key_file(tmp_path):
    a = CA.load_or_create(tmp_path / "pki", T0)
    b = CA.load_or_create(tmp_path / "pki", T0)
    assert fingerprint(a.cert_pem) == fingerprint(b.cert_pem)
    assert (tmp_path / "pki" / "ca.key").stat().st_mode & 0o777 == 0o600
