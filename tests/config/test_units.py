"""Pure rules: `$(VAR)` expansion, Go's base64 error offsets, env and volume payloads, pull matching."""

from __future__ import annotations

import base64
import json

import pytest

from engine.kubelet_sim import configsrc, images
from engine.kubelet_sim.expansion import expand, mapping_for
from engine.kubelet_sim.shell import Machine
from engine.pipeline.validation.decoding import go_b64_error

# --- expansion (vectors from third_party/forked/golang/expansion/expand_test.go) -------------------

CTX = {"VAR_A": "A", "VAR_B": "B", "VAR_C": "C", "VAR_REF": "$(VAR_A)", "VAR_EMPTY": ""}


@pytest.mark.parametrize("text,want", [
    ("$(VAR_A)", "A"),
    ("___$(VAR_B)___", "___B___"),
    ("$(VAR_A)-$(VAR_A)", "A-A"),
    ("$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C"),
    ("$(VAR_REF)", "$(VAR_A)"),            # no recursion
    ("$(VAR_EMPTY)", ""),
    ("$(UNKNOWN)", "$(UNKNOWN)"),          # unresolved stays as written
    ("$$(VAR_A)", "$(VAR_A)"),             # escaped
    ("$$$(VAR_A)", "$A"),
    ("$$$$(VAR_A)", "$$(VAR_A)"),
    ("$(VAR_A", "$(VAR_A"),                # unclosed
    ("$VAR_A", "$VAR_A"),                  # not a reference
    ("foo$", "foo$"),                      # trailing operator
    ("$()", ""),                           # empty name maps to $() unless defined
])
def test_expand_upstream_vectors(text, want):
    look = mapping_for(CTX)
    if text == "$()":
        assert expand(text, look) == "$()"
        return
    assert expand(text, look) == want


# --- Go base64 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,pos", [
    ("YWRtaW4=", None), ("MWYyZDFlMmU2N2Rm", None), ("", None), ("YWJj\nZGVm", None),
    ("YWRtaW4", 4), ("abc!", 3), ("YQ=", 3), ("Y===", 1), ("a", 0), ("YQ==YQ==", 4), ("admin", 4),
])
def test_go_base64_error_offsets(text, pos):
    assert go_b64_error(text) == pos


# --- environment -------------------------------------------------------------------------------------


def _pod(container: dict, **spec) -> dict:
    return {"metadata": {"name": "p", "namespace": "default", "uid": "u1", "labels": {"app": "x"}},
            "spec": {"containers": [container], "nodeName": "node1", **spec},
            "status": {"podIP": "10.244.1.2", "hostIP": "172.18.0.3"}}


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


OBJECTS = {
    ("configmaps", "literal-config"): {"data": {"name": "dave", "password": "pass"}},
    ("configmaps", "env-config"): {"data": {"log_level": "INFO", "bad key": "x", "1abc": "y"}},
    ("secrets", "mysecret"): {"data": {"username": _b64("admin"), "password": _b64("1f2d1e2e67df")}},
    ("nodes", "node1"): {"status": {"allocatable": {"cpu": "4", "memory": "8Gi"}}},
}


def lookup(resource, ns, name):
    return OBJECTS.get((resource, name))


def test_env_from_prefix_skips_invalid_names_with_upstream_event():
    c = {"name": "c", "envFrom": [{"configMapRef": {"name": "env-config"}, "prefix": "CM_"}]}
    env = configsrc.environment(_pod(c), c, lookup)
    assert dict(env.declared) == {"CM_log_level": "INFO", "CM_1abc": "y"}
    assert env.warnings == (("InvalidEnvironmentVariableNames",
                             "Keys [CM_bad key] from the EnvFrom configMap default/env-config were skipped since they "
                             "are considered invalid environment variable names."),)


def test_env_overrides_env_from_and_expands_earlier_vars():
    c = {"name": "c", "envFrom": [{"configMapRef": {"name": "literal-config"}}],
         "env": [{"name": "name", "value": "override"},
                 {"name": "GREETING", "value": "hi $(name) $(password) $(NOPE) $$(name)"},
                 {"name": "USER", "valueFrom": {"secretKeyRef": {"name": "mysecret", "key": "username"}}},
                 {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                 {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                 {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                 {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
                 {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}}]}
    env = dict(configsrc.environment(_pod(c), c, lookup).declared)
    assert env["name"] == "override" and env["password"] == "pass"
    assert env["GREETING"] == "hi override pass $(NOPE) $(name)"
    assert env["USER"] == "admin" and env["POD"] == "p" and env["APP"] == "x" and env["IP"] == "10.244.1.2"
    assert env["CPU"] == "4" and env["MEM"] == "8192"


@pytest.mark.parametrize("ref,message", [
    ({"configMapKeyRef": {"name": "missing", "key": "k"}}, 'configmap "missing" not found'),
    ({"secretKeyRef": {"name": "missing", "key": "k"}}, 'secret "missing" not found'),
    ({"configMapKeyRef": {"name": "literal-config", "key": "nope"}}, "couldn't find key nope in ConfigMap default/literal-config"),
    ({"secretKeyRef": {"name": "mysecret", "key": "nope"}}, "couldn't find key nope in Secret default/mysecret"),
])
def test_missing_refs_fail_unless_optional(ref, message):
    c = {"name": "c", "env": [{"name": "X", "valueFrom": ref}]}
    with pytest.raises(configsrc.ConfigError, match=message.replace("(", r"\(")):
        configsrc.environment(_pod(c), c, lookup)
    (kind, sel), = ref.items()
    c = {"name": "c", "env": [{"name": "X", "valueFrom": {kind: {**sel, "optional": True}}}]}
    assert dict(configsrc.environment(_pod(c), c, lookup).declared) == {}


def test_env_from_missing_optional_is_skipped():
    c = {"name": "c", "envFrom": [{"secretRef": {"name": "gone", "optional": True}}]}
    assert configsrc.environment(_pod(c), c, lookup).declared == ()
    c = {"name": "c", "envFrom": [{"secretRef": {"name": "gone"}}]}
    with pytest.raises(configsrc.ConfigError, match='secret "gone" not found'):
        configsrc.environment(_pod(c), c, lookup)


def test_command_and_args_expand_from_final_env():
    c = {"name": "c", "command": ["/bin/sh", "-c", "echo $(USERNAME) $(PASSWORD) $(MISSING)"],
         "env": [{"name": "USERNAME", "valueFrom": {"configMapKeyRef": {"name": "literal-config", "key": "name"}}},
                 {"name": "PASSWORD", "valueFrom": {"configMapKeyRef": {"name": "literal-config", "key": "password"}}}]}
    env = configsrc.environment(_pod(c), c, lookup)
    argv = configsrc.command_line(c, env)
    assert argv == ["/bin/sh", "-c", "echo dave pass $(MISSING)"]
    out = Machine(list(env.items()), {}, "p").run(argv)
    assert out.stdout == "dave pass $(MISSING)\n"


def test_service_links():
    services = {"default": [{"metadata": {"name": "kubernetes"}, "spec": {"clusterIP": "10.96.0.1", "ports": [
        {"name": "https", "port": 443, "protocol": "TCP"}]}},
        {"metadata": {"name": "my-svc"}, "spec": {"clusterIP": "None", "ports": [{"port": 80}]}}]}
    c = {"name": "c"}
    env = configsrc.environment(_pod(c), c, lookup, lambda ns: services.get(ns, []))
    d = dict(env.service)
    assert d["KUBERNETES_SERVICE_HOST"] == "10.96.0.1" and d["KUBERNETES_PORT_443_TCP"] == "tcp://10.96.0.1:443"
    assert d["KUBERNETES_SERVICE_PORT_HTTPS"] == "443" and not any(k.startswith("MY_SVC") for k in d)


# --- volumes -----------------------------------------------------------------------------------------


def test_payload_items_path_mode_default_mode():
    OBJECTS[("configmaps", "cmfromfile")] = {"data": {"redis.conf": "port 6379\n"}}
    vol = {"name": "v", "configMap": {"name": "cmfromfile", "defaultMode": 0o666, "items": [
        {"key": "redis.conf", "path": "redis.conf.bak"}, {"key": "redis.conf", "path": "redis.conf.bak2", "mode": 0o644}]}}
    files = configsrc.payload(_pod({"name": "c"}), vol, lookup)
    assert files == {"redis.conf.bak": configsrc.File(b"port 6379\n", 0o666),
                     "redis.conf.bak2": configsrc.File(b"port 6379\n", 0o644)}


def test_secret_payload_decoded_default_0644_and_missing_key():
    vol = {"name": "foo", "secret": {"secretName": "mysecret"}}
    files = configsrc.payload(_pod({"name": "c"}), vol, lookup)
    assert files == {"password": configsrc.File(b"1f2d1e2e67df", 0o644), "username": configsrc.File(b"admin", 0o644)}
    vol = {"name": "foo", "secret": {"secretName": "mysecret", "items": [{"key": "nope", "path": "x"}]}}
    with pytest.raises(configsrc.ConfigError, match="references non-existent secret key: nope"):
        configsrc.payload(_pod({"name": "c"}), vol, lookup)
    vol = {"name": "v", "configMap": {"name": "absent"}}
    assert configsrc.mount_error(_pod({"name": "c"}, volumes=[vol]), lookup) == \
        'MountVolume.SetUp failed for volume "v" : configmap "absent" not found'
    vol = {"name": "v", "configMap": {"name": "absent", "optional": True}}
    assert configsrc.mount_error(_pod({"name": "c"}, volumes=[vol]), lookup) is None


# --- pulls -------------------------------------------------------------------------------------------

REG = [{"server": "hub.ljh.com", "privateRepositories": ["secret"], "username": "admin",
        "passwordSha256": images.password_hash("Harbor12345")}]


def _pull_secret(server: str, user: str, password: str) -> dict:
    cfg = {"auths": {server: {"username": user, "password": password,
                              "auth": base64.b64encode(f"{user}:{password}".encode()).decode()}}}
    return {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": _b64(json.dumps(cfg))}}


def test_private_projects_need_matching_credentials():
    assert images.pull_error(REG, "hub.ljh.com/library/wangyanglinux/myapp:v1", []) is None
    assert images.pull_error(REG, "nginx", []) is None
    err = images.pull_error(REG, "hub.ljh.com/secret/myapp:v1", [])
    assert err == ('rpc error: code = Unknown desc = failed to pull and unpack image "hub.ljh.com/secret/myapp:v1": '
                   'failed to resolve reference "hub.ljh.com/secret/myapp:v1": pull access denied, repository does not '
                   "exist or may require authorization: server message: insufficient_scope: authorization failed")
    assert images.pull_error(REG, "hub.ljh.com/secret/myapp:v1", [_pull_secret("hub.ljh.com", "admin", "Harbor12345")]) is None
    assert images.pull_error(REG, "hub.ljh.com/secret/myapp:v1", [_pull_secret("https://hub.ljh.com", "admin", "Harbor12345")]) is None
    assert "401 Unauthorized" in images.pull_error(REG, "hub.ljh.com/secret/myapp:v1", [_pull_secret("hub.ljh.com", "admin", "wrong")])
    assert "pull access denied" in images.pull_error(REG, "hub.ljh.com/secret/myapp:v1", [_pull_secret("other.io", "admin", "Harbor12345")])


def test_pull_backoff_schedule():
    s = 1_000_000
    # attempts at 0, 10, 30, 70, 150, 310, 610 ... (10 s doubling to 300 s)
    assert [images.attempts_until(0, t * s)[1] // s for t in (0, 9, 10, 29, 30, 69, 70, 150, 309, 310, 609, 610, 910)] == \
        [0, 0, 10, 10, 30, 30, 70, 150, 150, 310, 310, 610, 910]
    msg = "boom"
    assert images.failed_state("x", msg, 0, 0) == ({"reason": "ErrImagePull", "message": msg}, 10 * s)
    assert images.failed_state("x", msg, 0, 10 * s) == ({"reason": "ErrImagePull", "message": msg}, 20 * s)
    assert images.failed_state("x", msg, 0, 20 * s) == ({"reason": "ImagePullBackOff", "message": 'Back-off pulling image "x"'}, 30 * s)
    assert images.failed_state("x", msg, 0, 30 * s)[0]["reason"] == "ErrImagePull"
