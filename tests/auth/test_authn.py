"""Authentication (engine/pipeline/authn.py): x509, static tokens, ServiceAccount JWTs, bootstrap
tokens, legacy basic auth; the bad-input cases answer 401 and nothing holds a credential."""

import base64
import datetime as dt

import jwt
import pytest

from engine.api import Cluster
from engine.auth import tokens
from engine.bootstrap import InitOptions, init
from engine.client import Client
from engine.errors import StatusError
from engine.pipeline.authn import Credentials, authenticate
from engine.pki import CA
from tests.auth.conftest import START, auth_actors

DAY = 86_400 * 1_000_000


@pytest.fixture
def env(tmp_path):
    rows, warns = tokens.parse_token_file('tok-1,alice,1001,"dev,ops"\n,empty,1\ntok-2,bob,1002\ntok-2,bob2,1003\n')
    assert warns == ["empty token has been found in token file 'tokens.csv', record number '2'",
                     "duplicate token has been found in token file 'tokens.csv', record number '4'"]
    c = Cluster.memory(actors=auth_actors())
    init(c, InitOptions(start_time=START, nodes=0, token_rows=tuple(rows),
                        basic_rows=tuple(tokens.parse_basic_auth_file("pw,carol,2001,admins\n"))))
    pki = str(tmp_path / "pki")
    now = dt.datetime.fromtimestamp(START / 1e6, dt.timezone.utc)
    ca = CA.load_or_create(pki, now)
    key = tokens.load_or_create_key(pki)
    yield c, pki, ca, key, now
    c.close()


def auth(env, at=START, **kw):
    c, pki, *_ = env
    return authenticate(c, Credentials(**kw), at, pki)


def refused(env, at=START, **kw):
    with pytest.raises(StatusError) as e:
        auth(env, at, **kw)
    assert e.value.code == 401 and e.value.message == "Unauthorized"
    return e.value.details["cause"]


def test_static_tokens_are_hashed(env):
    a = auth(env, token="tok-1")
    assert (a.user.name, a.user.groups, a.authenticator) == ("alice", ("dev", "ops", "system:authenticated"), "token-file")
    assert auth(env, token="tok-2").user.name == "bob2"  # the later duplicate wins
    with env[0].view() as v:
        settings = v.cluster()["spec"]["authentication"]
    assert "tok-1" not in repr(settings) and settings["tokenAuthFile"][0]["tokenSHA256"] == tokens.token_hash("tok-1")
    assert a.hint.startswith("sha256:") and "tok-1" not in a.hint
    refused(env, token="nope")


def test_bad_token_file_rows():
    with pytest.raises(ValueError, match=r"must have at least 3 columns \(token, user name, user uid\), found 2"):
        tokens.parse_token_file("tok,alice\n")


def test_client_certificates(env):
    c, pki, ca, key, now = env
    issued = ca.issue("devuser", ("dev",), days=1, not_before=now)
    a = auth(env, client_cert=issued.cert_pem)
    assert (a.user.name, a.user.groups, a.hint) == ("devuser", ("dev", "system:authenticated"), "CN=devuser,O=dev")
    assert "x509: certificate has expired" in refused(env, START + 2 * DAY, client_cert=issued.cert_pem)
    foreign = CA.create(now).issue("devuser", ("system:masters",), not_before=now)
    assert "signed by unknown authority" in refused(env, client_cert=foreign.cert_pem)
    assert "malformed certificate" in refused(env, client_cert=b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")


def _sa_token(env, name="build", ns="ns-a", seconds=3600, **kw):
    c, pki, ca, key, now = env
    admin = Client(c)
    if Client(c).get("namespaces", ns, "").code == 404:
        admin.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    if admin.get("serviceaccounts", name, ns).code == 404:
        admin.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}, ns)
    sa = admin.get("serviceaccounts", name, ns).obj
    return tokens.mint_bound(kw.pop("key", key), sa, now_s=START // 1_000_000, expiration_s=seconds,
                             audiences=kw.pop("audiences", [tokens.ISSUER]), jti="j1", **kw)


def test_serviceaccount_tokens_and_lookup(env):
    tok = _sa_token(env)
    a = auth(env, token=tok)
    assert a.user.name == "system:serviceaccount:ns-a:build"
    assert a.user.groups == ("system:serviceaccounts", "system:serviceaccounts:ns-a", "system:authenticated")
    assert "expired" in refused(env, START + 2 * 3600 * 1_000_000, token=tok)
    Client(env[0]).delete("serviceaccounts", "build", "ns-a")
    assert "not found" in refused(env, token=tok)  # deleted ServiceAccount -> 401


def test_jwt_bad_signature_wrong_issuer_audience(env):
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert "cryptographic" in refused(env, token=_sa_token(env, key=other))
    wrong_iss = jwt.encode({"iss": "https://evil.example", "sub": "system:serviceaccount:ns-a:build"}, env[3], algorithm="RS256")
    assert "invalid bearer token" in refused(env, token=wrong_iss)
    assert "audiences" in refused(env, token=_sa_token(env, audiences=["vault"]))
    assert "invalid bearer token" in refused(env, token="a.b.c")


def test_legacy_secret_token(env):
    c, pki, ca, key, now = env
    admin = Client(c)
    tok0 = _sa_token(env, name="legacy")  # creates the SA
    sa = admin.get("serviceaccounts", "legacy", "ns-a").obj
    tok = tokens.mint_legacy(key, sa, "legacy-token")
    r = admin.create({"apiVersion": "v1", "kind": "Secret", "metadata": {
        "name": "legacy-token", "annotations": {"kubernetes.io/service-account.name": "legacy",
                                                "kubernetes.io/service-account.uid": sa["metadata"]["uid"]}},
                  "type": "kubernetes.io/service-account-token",
                  "data": {"token": base64.b64encode(tok.encode()).decode()}}, "ns-a")
    assert r.ok, r.error
    assert auth(env, token=tok).user.name == "system:serviceaccount:ns-a:legacy"
    admin.delete("secrets", "legacy-token", "ns-a")
    assert "deleted" in refused(env, token=tok)
    del tok0


def test_bootstrap_token(env):
    admin = Client(env[0])
    admin.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bootstrap-token-abcdef"},
                  "type": "bootstrap.kubernetes.io/token",
                  "stringData": {"token-id": "abcdef", "token-secret": "0123456789abcdef",
                                 "usage-bootstrap-authentication": "true", "expiration": "2026-01-02T00:00:00Z"}},
                 "kube-system")
    a = auth(env, token="abcdef.0123456789abcdef")
    assert a.user.name == "system:bootstrap:abcdef" and "system:bootstrappers" in a.user.groups
    assert "expired" in refused(env, START + 2 * DAY, token="abcdef.0123456789abcdef")
    assert "does not match" in refused(env, token="abcdef.ffffffffffffffff")


def test_basic_auth_legacy_mode_warns(env):
    a = auth(env, basic=("carol", "pw"))
    assert a.user.name == "carol" and a.warnings and "removed in Kubernetes 1.19" in a.warnings[0]
    refused(env, basic=("carol", "bad"))


def test_credentials_never_printed():
    assert "secret-token" not in repr(Credentials(token="secret-token"))
