"""The auth CLI as a user runs it: kubeconfigs with client certificates, tokens, 401s that are
recorded without the credential, can-i/who-can, and the Done-when scenario checks."""

import os

import pytest

from tests.cli_fixture import cli


@pytest.fixture
def k(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return cli(tmp_path, capsys, "--nodes", "0")


def test_admin_conf_and_pki_in_the_data_folder(k):
    for f in ("admin.conf", "pki/ca.crt", "pki/ca.key", "pki/sa.key"):
        assert os.path.isfile(os.path.join(k.data, f)), f
    out, _ = k("--kubeconfig", os.path.join(k.data, "admin.conf"), "auth", "whoami")
    assert out.split("\n")[1:3] == ["Username    kubernetes-admin", "Groups      [system:masters system:authenticated]"]


def test_devuser_certificate_admin_only_in_dev(k):
    k("create", "ns", "dev")
    k("create", "rolebinding", "devuser-admin-binding", "--clusterrole=admin", "--user=devuser", "--namespace=dev")
    conf, _ = k("kubeconfig", "devuser", "-n", "dev")
    path = os.path.join(k.tmp, "devuser.kubeconfig")
    with open(path, "w") as f:
        f.write(conf)
    out, _ = k("--kubeconfig", path, "run", "web", "--image=nginx")
    assert out == "pod/web created\n"
    _, err = k("--kubeconfig", path, "get", "pods", "-n", "default", code=1)
    assert err == ('Error from server (Forbidden): pods is forbidden: User "devuser" cannot list resource "pods" '
                   'in API group "" in the namespace "default"\n')
    with open(os.path.join(k.data, "data.mdb"), "rb") as f:
        raw = f.read()
    assert b"BEGIN" not in raw and b"PRIVATE KEY" not in raw  # the log names the subject only
    assert b"CN=devuser" in raw
    # an expired certificate is refused (the clock moves past its validity)
    k("advance", "400d")
    _, err = k("--kubeconfig", path, "get", "pods", code=1)
    assert err == "error: You must be logged in to the server (Unauthorized)\n"


def test_tokens_never_reach_the_log(k):
    k("create", "ns", "ci")
    k("create", "sa", "builder", "-n", "ci")
    tok, _ = k("create", "token", "builder", "-n", "ci", "--duration", "1h")
    tok = tok.strip()
    assert tok.count(".") == 2
    out, _ = k("--token", tok, "auth", "whoami")
    assert "system:serviceaccount:ci:builder" in out
    _, err = k("--token", tok, "get", "pods", "-n", "ci", code=1)
    assert "cannot list resource" in err
    k("delete", "sa", "builder", "-n", "ci")
    _, err = k("--token", tok, "get", "pods", "-n", "ci", code=1)
    assert err == "error: You must be logged in to the server (Unauthorized)\n"
    _, err = k("--token", "not-a-token", "get", "pods", code=1)
    out, _ = k("log", "--outcome", "Denied")
    assert "401" in out
    with open(os.path.join(k.data, "data.mdb"), "rb") as f:
        raw = f.read()
    assert tok.encode() not in raw and tok.split(".")[2].encode() not in raw and b"not-a-token" not in raw


def test_bad_kubeconfig_inputs(k, tmp_path):
    bad = tmp_path / "bad.kubeconfig"
    bad.write_text("apiVersion: v1\nkind: Config\ncurrent-context: nope\n")
    _, err = k("--kubeconfig", str(bad), "get", "pods", code=1)
    assert err == "error: context was not found for specified context: nope\n"
    conf, _ = k("kubeconfig", "a")
    other, _ = k("kubeconfig", "b")
    import yaml

    mixed = yaml.safe_load(conf)
    mixed["users"][0]["user"]["client-key-data"] = yaml.safe_load(other)["users"][0]["user"]["client-key-data"]
    bad.write_text(yaml.safe_dump(mixed))
    _, err = k("--kubeconfig", str(bad), "get", "pods", code=1)
    assert err == "error: tls: private key does not match public key\n"


def test_create_role_flags_and_messages(k):
    _, err = k("create", "role", "r", code=1)
    assert err == "error: at least one verb must be specified\n"
    _, err = k("create", "role", "r", "--verb=get", "--resource=nopes", code=1)
    assert err == 'error: the server doesn\'t have a resource type "nopes"\n'
    out, err = k("create", "role", "r", "--verb=fly", "--resource=pods")
    assert err == "Warning: 'fly' is not a standard resource verb\n" and out == "role.rbac.authorization.k8s.io/r created\n"
    out, _ = k("create", "role", "r2", "--verb=get", "--resource=pods,deployments.apps,pods/log", "--resource-name=x", "-o", "yaml",
               "--dry-run=client")
    assert "resourceNames:\n  - x" in out and "- apps" in out
    _, err = k("create", "rolebinding", "b", "--role=r", "--clusterrole=view", code=1)
    assert err == "error: exactly one of clusterrole or role must be specified\n"
    _, err = k("create", "clusterrolebinding", "b", "--user=u", code=1)
    assert err == 'error: required flag(s) "clusterrole" not set\n'
    _, err = k("create", "rolebinding", "b", "--clusterrole=view", "--serviceaccount=nocolon", code=1)
    assert err == "error: serviceaccount must be <namespace>:<name>\n"
    out, _ = k("create", "clusterrole", "urls", "--verb=get", "--non-resource-url=/logs/*")
    assert out == "clusterrole.rbac.authorization.k8s.io/urls created\n"


def test_who_can_names_exactly_the_subjects(k):
    k("create", "ns", "kube-users")
    for sa in ("ljh", "howell"):
        k("create", "sa", sa, "-n", "kube-users")
    k("create", "clusterrole", "pod-delete", "--verb=get,list,delete", "--resource=pods")
    k("create", "clusterrole", "pod-log", "--verb=get,list,watch", "--resource=pods,pods/log")
    k("create", "rolebinding", "howell-pod-delete", "--clusterrole=pod-delete", "--serviceaccount=kube-users:howell", "-n", "default")
    k("create", "rolebinding", "ljh-pod-log", "--clusterrole=pod-log", "--serviceaccount=kube-users:ljh", "-n", "default")
    out, _ = k("auth", "who-can", "delete", "pods", "-n", "default")
    rb_rows = out.split("\n\n")[0].splitlines()[1:]
    assert [r.split()[0] for r in rb_rows] == ["howell-pod-delete"]
    for line in out.split("\n\n")[1].splitlines()[1:]:
        cols = line.split()
        who = cols[2] if cols[3] != "ServiceAccount" else f"system:serviceaccount:{cols[4]}:{cols[2]}"
        args = ["auth", "can-i", "delete", "pods", "-n", "default", "--as", who] if cols[3] != "Group" else \
            ["auth", "can-i", "delete", "pods", "-n", "default", "--as", "x", "--as-group", who]
        assert k(*args)[0] == "yes\n", who
    assert k("auth", "can-i", "delete", "pods", "-n", "default", "--as", "system:serviceaccount:kube-users:ljh", code=1)[0] == "no\n"


def test_revoked_binding_and_can_i_at(k):
    k("create", "ns", "dev")
    k("create", "rolebinding", "b", "--clusterrole=view", "--user=devuser", "-n", "dev")
    seq, _ = k("now")
    before = seq.split()[1]
    k("get", "pods", "-n", "dev", "--as", "devuser")
    k("delete", "rolebinding", "b", "-n", "dev")
    k("get", "pods", "-n", "dev", "--as", "devuser", code=1)
    assert k("auth", "can-i", "list", "pods", "-n", "dev", "--as", "devuser", code=1)[0] == "no\n"
    assert k("auth", "can-i", "list", "pods", "-n", "dev", "--as", "devuser", "--at", before)[0] == "yes\n"
