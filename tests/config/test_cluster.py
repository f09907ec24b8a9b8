"""In-process clusters: API validation of ConfigMaps and Secrets, and the kubelet's env, files and pulls."""

from __future__ import annotations

import base64
import json

import pytest

from engine.client import Client, must
from engine.kubelet_sim import images
from engine.log import eventlog
from projections.container_view import container_view
from tests.sim import SECOND, boot, container_status, events_for, get_pod, sim  # noqa: F401  (fixture)


def cm(name: str, data: dict | None = None, **extra) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data or {}, **extra}


def secret(name: str, stype: str | None = None, data: dict | None = None, **extra) -> dict:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, **extra}
    if data is not None:
        body["data"] = data
    if stype:
        body["type"] = stype
    return body


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def error(resp) -> tuple[int, str]:
    assert resp.error is not None
    return resp.error.code, resp.error.message


# --- validation --------------------------------------------------------------------------------------


def test_invalid_base64_is_a_bad_request(sim):
    c = Client(sim)
    assert error(c.create(secret("s", data={"username": "YWRtaW4"}))) == (
        400, 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4')
    assert error(c.create(cm("b", binaryData={"k": "abc!"}))) == (
        400, 'ConfigMap in version "v1" cannot be handled as a ConfigMap: illegal base64 data at input byte 3')


def test_configmap_key_name_and_size():
    c = Client(boot())
    code, msg = error(c.create(cm("bad", {"log level": "INFO"})))
    assert code == 422 and msg.startswith('ConfigMap "bad" is invalid: data[log level]: Invalid value: "log level": '
                                          "a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
    assert error(c.create(cm("big", {"a": "x" * (1024 * 1024 + 1)}))) == (
        422, 'ConfigMap "big" is invalid: []: Too long: must have at most 1048576 bytes')
    must(c.create(cm("exact", {"a": "x" * (1024 * 1024)})))


@pytest.mark.parametrize("stype,data,extra,message", [
    ("kubernetes.io/dockerconfigjson", {}, {}, "data[.dockerconfigjson]: Required value"),
    ("kubernetes.io/dockercfg", {}, {}, "data[.dockercfg]: Required value"),
    ("kubernetes.io/basic-auth", {}, {}, "data[username]: Required value"),
    ("kubernetes.io/tls", {"tls.crt": b64("c")}, {}, "data[tls.key]: Required value"),
    ("kubernetes.io/ssh-auth", {}, {}, "data[ssh-privatekey]: Required value"),
    ("kubernetes.io/service-account-token", {}, {},
     "metadata.annotations[kubernetes.io/service-account.name]: Required value"),
])
def test_secret_type_required_keys(stype, data, extra, message):
    code, msg = error(Client(boot()).create(secret("s", stype, data, **extra)))
    assert code == 422 and message in msg


def test_secret_types_accepted_and_string_data_merged(sim):
    c = Client(sim)
    must(c.create(secret("tok", "bootstrap.kubernetes.io/token", {"token-id": b64("abcdef")})))
    must(c.create(secret("basic", "kubernetes.io/basic-auth", stringData={"username": "admin"})))
    s = must(c.create(secret("mixed", None, {"a": b64("1")}, stringData={"a": "2", "b": "3"})))
    assert s["type"] == "Opaque" and s["data"] == {"a": b64("2"), "b": b64("3")} and "stringData" not in s


def test_immutable_configmap_and_secret(sim):
    c = Client(sim)
    must(c.create(cm("frozen", {"a": "1"}, immutable=True)))
    code, msg = error(c.patch("configmaps", "frozen", {"data": {"a": "2"}}, patch_type="merge"))
    assert code == 422 and "data: Forbidden: field is immutable when `immutable` is set" in msg
    must(c.create(secret("sfrozen", None, {"a": b64("1")}, immutable=True)))
    code, msg = error(c.patch("secrets", "sfrozen", {"data": {"a": b64("2")}}, patch_type="merge"))
    assert code == 422 and "field is immutable when `immutable` is set" in msg


# --- the kubelet -------------------------------------------------------------------------------------


ENV_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "envpod"}, "spec": {
    "restartPolicy": "Never",
    "containers": [{"name": "c", "image": "busybox", "command": ["/bin/sh", "-c", "echo $(USERNAME)"],
                    "env": [{"name": "USERNAME", "valueFrom": {"configMapKeyRef": {"name": "literal-config", "key": "name"}}}],
                    "envFrom": [{"configMapRef": {"name": "env-config"}}]}]}}


def test_missing_configmap_keeps_container_config_error_until_it_appears(sim):
    c = Client(sim)
    must(c.create(ENV_POD))
    sim.advance(2 * SECOND)
    cs = container_status(get_pod(sim, "envpod"))
    # envFrom is resolved before env (upstream), so env-config is the first one missing
    assert cs["state"] == {"waiting": {"reason": "CreateContainerConfigError", "message": 'configmap "env-config" not found'}}
    assert get_pod(sim, "envpod")["status"]["phase"] == "Pending"
    (ev,) = [e for e in events_for(sim, "envpod") if e["reason"] == "Failed"]
    assert (ev["type"], ev["message"], ev["involvedObject"]["fieldPath"], ev["source"]) == (
        "Warning", 'Error: configmap "env-config" not found', "spec.containers{c}", {"component": "kubelet", "host": "node1"})
    must(c.create(cm("env-config", {"log_level": "INFO"})))
    sim.advance(10 * SECOND)
    assert container_status(get_pod(sim, "envpod"))["state"]["waiting"]["message"] == 'configmap "literal-config" not found'
    must(c.create(cm("literal-config", {"name": "dave"})))
    sim.advance(10 * SECOND)
    assert get_pod(sim, "envpod")["status"]["phase"] == "Succeeded"


def _view(c, name: str, container: str):
    with c.store.begin() as txn:
        head = eventlog.read_head(txn)
        return container_view(txn, get_pod(c, name), container, head.seq, head.at)


HOT = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hot"}, "spec": {
    "containers": [{"name": "c", "image": "nginx",
                    "env": [{"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "log-config", "key": "log_level"}}}],
                    "volumeMounts": [{"name": "v", "mountPath": "/etc/config"},
                                     {"name": "v", "mountPath": "/etc/sub/level", "subPath": "log_level"}]}],
    "volumes": [{"name": "v", "configMap": {"name": "log-config"}}]}}


def test_missing_volume_source_is_failed_mount_then_starts(sim):
    c = Client(sim)
    must(c.create(HOT))
    sim.advance(5 * SECOND)
    assert container_status(get_pod(sim, "hot"))["state"] == {"waiting": {"reason": "ContainerCreating"}}
    mounts = [e for e in events_for(sim, "hot") if e["reason"] == "FailedMount"]
    assert [e["message"] for e in mounts] == ['MountVolume.SetUp failed for volume "v" : configmap "log-config" not found']
    must(c.create(cm("log-config", {"log_level": "INFO"})))
    sim.advance(10 * SECOND)
    assert "running" in container_status(get_pod(sim, "hot"))["state"]


def test_hot_update_reaches_files_after_the_sync_delay_but_not_env_or_subpath(sim):
    c = Client(sim)
    must(c.create(cm("log-config", {"log_level": "INFO"})))
    must(c.create(HOT))
    sim.advance(5 * SECOND)
    v = _view(sim, "hot", "c")
    assert v.files["/etc/config/log_level"].content == b"INFO" and v.files["/etc/config/log_level"].mode == 0o644
    must(c.patch("configmaps", "log-config", {"data": {"log_level": "ERROR"}}, patch_type="merge"))
    sim.advance(59 * SECOND)
    assert _view(sim, "hot", "c").files["/etc/config/log_level"].content == b"INFO"
    sim.advance(31 * SECOND)  # 90 s after the edit: at most sync period + cache TTL
    v = _view(sim, "hot", "c")
    assert v.files["/etc/config/log_level"].content == b"ERROR"
    assert v.files["/etc/sub/level"].content == b"INFO"  # a subPath mount never updates
    assert dict(v.env.declared)["LEVEL"] == "INFO"  # nor does the environment


def test_hot_update_delay_is_between_60_and_90_seconds(sim):
    c = Client(sim)
    must(c.create(cm("log-config", {"log_level": "v0"})))
    must(c.create(HOT))
    sim.advance(5 * SECOND)
    for i in range(1, 4):
        must(c.patch("configmaps", "log-config", {"data": {"log_level": f"v{i}"}}, patch_type="merge"))
        seen = []
        for _ in range(91):
            seen.append(_view(sim, "hot", "c").files["/etc/config/log_level"].content.decode())
            sim.advance(SECOND)
        first = seen.index(f"v{i}")
        assert 60 <= first <= 90 and set(seen[:first]) == {f"v{i - 1}"} and set(seen[first:]) == {f"v{i}"}


def _registry(sim):
    must(Client(sim).patch("clusters.config.kubetape.io", "cluster", {"spec": {"registries": [
        {"server": "hub.ljh.com", "privateRepositories": ["secret"], "username": "admin",
         "passwordSha256": images.password_hash("Harbor12345")}]}}, namespace="", patch_type="merge"))


def _private_pod(name: str, secrets: list[str]) -> dict:
    spec = {"containers": [{"name": "app", "image": "hub.ljh.com/secret/myapp:v1"}]}
    if secrets:
        spec["imagePullSecrets"] = [{"name": s} for s in secrets]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def test_private_image_fails_without_pull_secret_and_runs_with_it(sim):
    _registry(sim)
    c = Client(sim)
    must(c.create(_private_pod("nosecret", [])))
    sim.advance(1 * SECOND)
    state = container_status(get_pod(sim, "nosecret"))["state"]["waiting"]
    assert state["reason"] == "ErrImagePull" and "pull access denied" in state["message"]
    sim.advance(10 * SECOND)
    assert container_status(get_pod(sim, "nosecret"))["state"]["waiting"]["reason"] == "ErrImagePull"
    sim.advance(10 * SECOND)
    assert container_status(get_pod(sim, "nosecret"))["state"]["waiting"] == {
        "reason": "ImagePullBackOff", "message": 'Back-off pulling image "hub.ljh.com/secret/myapp:v1"'}
    reasons = [(e["type"], e["reason"], e["message"]) for e in events_for(sim, "nosecret") if e["source"]["component"] == "kubelet"]
    assert reasons[:3] == [("Normal", "Pulling", 'Pulling image "hub.ljh.com/secret/myapp:v1"'),
                           ("Warning", "Failed", 'Failed to pull image "hub.ljh.com/secret/myapp:v1": ' + state["message"]),
                           ("Warning", "Failed", "Error: ErrImagePull")]
    assert ("Normal", "BackOff", 'Back-off pulling image "hub.ljh.com/secret/myapp:v1"') in reasons
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in reasons
    cfg = {"auths": {"hub.ljh.com": {"username": "admin", "password": "Harbor12345", "auth": b64("admin:Harbor12345")}}}
    must(c.create(secret("myregistrykey", "kubernetes.io/dockerconfigjson", {".dockerconfigjson": b64(json.dumps(cfg))})))
    must(c.create(_private_pod("withsecret", ["myregistrykey"])))
    sim.advance(1 * SECOND)
    assert "running" in container_status(get_pod(sim, "withsecret"))["state"]
    # a wrong password is refused too
    bad = {"auths": {"hub.ljh.com": {"username": "admin", "password": "nope"}}}
    must(c.create(secret("wrongkey", "kubernetes.io/dockerconfigjson", {".dockerconfigjson": b64(json.dumps(bad))})))
    must(c.create(_private_pod("wrongsecret", ["wrongkey"])))
    sim.advance(1 * SECOND)
    assert "401 Unauthorized" in container_status(get_pod(sim, "wrongsecret"))["state"]["waiting"]["message"]


def test_public_images_need_no_secret(sim):
    _registry(sim)
    c = Client(sim)
    must(c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pub"},
                   "spec": {"containers": [{"name": "app", "image": "hub.ljh.com/library/wangyanglinux/myapp:v1"}]}}))
    sim.advance(1 * SECOND)
    assert "running" in container_status(get_pod(sim, "pub"))["state"]


def test_service_account_pull_secrets_open_private_images(sim):
    _registry(sim)
    c = Client(sim)
    cfg = {"auths": {"https://hub.ljh.com": {"auth": b64("admin:Harbor12345")}}}
    must(c.create(secret("regkey", "kubernetes.io/dockerconfigjson", {".dockerconfigjson": b64(json.dumps(cfg))})))
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder"}, "imagePullSecrets": [{"name": "regkey"}]}
    if c.get("serviceaccounts", "builder").error is not None:
        must(c.create(sa))
    else:
        must(c.patch("serviceaccounts", "builder", {"imagePullSecrets": [{"name": "regkey"}]}, patch_type="merge"))
    p = _private_pod("viasa", [])
    p["spec"]["serviceAccountName"] = "builder"
    must(c.create(p))
    sim.advance(1 * SECOND)
    assert "running" in container_status(get_pod(sim, "viasa"))["state"]


def test_env_from_invalid_keys_event(sim):
    c = Client(sim)
    must(c.create(cm("mixed", {"GOOD": "1", "1bad": "2", "also-ok.x": "3"})))
    must(c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ef"}, "spec": {"containers": [
        {"name": "c", "image": "nginx", "envFrom": [{"configMapRef": {"name": "mixed"}}]}]}}))
    sim.advance(2 * SECOND)
    assert "running" in container_status(get_pod(sim, "ef"))["state"]
    (ev,) = [e for e in events_for(sim, "ef") if e["reason"] == "InvalidEnvironmentVariableNames"]
    assert (ev["type"], ev["message"]) == ("Warning", "Keys [1bad] from the EnvFrom configMap default/mixed were skipped "
                                                      "since they are considered invalid environment variable names.")
    assert dict(_view(sim, "ef", "c").env.declared) == {"GOOD": "1", "also-ok.x": "3"}


def test_failure_events_are_counted_per_attempt(sim):
    _registry(sim)
    c = Client(sim)
    must(c.create(_private_pod("counted", [])))
    must(c.create(ENV_POD))
    sim.advance(171 * SECOND)  # pull attempts at 0, 10, 30, 70, 150 s after the start; back-offs from 20, 40, 80, 160 s
    counts = {(e["reason"], e["message"]): e["count"] for e in events_for(sim, "counted") if e["source"]["component"] == "kubelet"}
    image = "hub.ljh.com/secret/myapp:v1"
    assert counts[("Pulling", f'Pulling image "{image}"')] == 5
    assert counts[("Failed", "Error: ErrImagePull")] == 5
    assert counts[("BackOff", f'Back-off pulling image "{image}"')] == 4
    assert counts[("Failed", "Error: ImagePullBackOff")] == 4
    (cfg,) = [e for e in events_for(sim, "envpod") if e["reason"] == "Failed"]
    assert cfg["count"] == 18  # every 10 s from the first failure (1 s after binding) to 171 s


def test_projected_volume_files(sim):
    c = Client(sim)
    must(c.create(cm("kube-root-ca.crt", {"ca.crt": "PEM"})))
    must(c.create(secret("creds", None, {"user": b64("admin")})))
    must(c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "proj"}, "spec": {
        "containers": [{"name": "c", "image": "nginx", "volumeMounts": [{"name": "all", "mountPath": "/projected"}]}],
        "volumes": [{"name": "all", "projected": {"sources": [
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"secret": {"name": "creds"}},
            {"configMap": {"name": "absent", "optional": True}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}]}}))
    sim.advance(2 * SECOND)
    files = _view(sim, "proj", "c").files
    assert {k: f.content for k, f in files.items()} == {"/projected/ca.crt": b"PEM", "/projected/user": b"admin",
                                                       "/projected/namespace": b"default"}


def test_a_restarting_container_needs_its_config_again(sim):
    c = Client(sim)
    must(c.create(cm("literal-config", {"name": "dave"})))
    must(c.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "rs"}, "spec": {"containers": [
        {"name": "c", "image": "busybox", "command": ["sh", "-c", "sleep 5"],
         "env": [{"name": "U", "valueFrom": {"configMapKeyRef": {"name": "literal-config", "key": "name"}}}]}]}}))
    sim.advance(2 * SECOND)
    assert "running" in container_status(get_pod(sim, "rs"))["state"]
    must(c.delete("configmaps", "literal-config"))
    sim.advance(10 * SECOND)  # exits at 6 s; the restart finds no ConfigMap
    cs = container_status(get_pod(sim, "rs"))
    assert cs["state"] == {"waiting": {"reason": "CreateContainerConfigError", "message": 'configmap "literal-config" not found'}}
    assert cs["lastState"]["terminated"]["reason"] == "Completed" and cs["restartCount"] == 0
    must(c.create(cm("literal-config", {"name": "erin"})))
    sim.advance(5 * SECOND)  # the retry 10 s after the failure (16 s) starts it; it runs until 21 s
    cs = container_status(get_pod(sim, "rs"))
    assert "running" in cs["state"] and cs["restartCount"] == 1
    assert dict(_view(sim, "rs", "c").env.declared) == {"U": "erin"}  # the new container's env


def test_patch_with_invalid_base64_is_refused(sim):
    c = Client(sim)
    must(c.create(secret("p", None, {"a": b64("1")})))
    code, msg = error(c.patch("secrets", "p", {"data": {"a": "YWRtaW4"}}, patch_type="strategic"))
    assert code == 422 and msg == ' "" is invalid: patch: Invalid value: "map[data:map[a:YWRtaW4]]": illegal base64 data at input byte 4'
    code, msg = error(c.patch("secrets", "p", {"data": {"a": "abc!"}}, patch_type="merge"))
    assert code == 422 and msg.endswith(": illegal base64 data at input byte 3") and msg.startswith(' "" is invalid: patch: Invalid value: "{')
