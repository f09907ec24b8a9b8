"""`ktape set image`: kubectl's strategic merge patch, --record, wildcard, every kind with a pod spec."""

import json
import os

from tests.rollout import entries, k  # noqa: F401  (k is a fixture)

MANIFESTS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "manifests")
M = os.path.join(MANIFESTS, "nginx-deploy.yaml")
D = "nginx-deploy"


def last_patch(data, resource="deployments"):
    return entries(data, verb="patch", resource=resource)[-1]


def test_set_image_sends_kubectls_patch(k):
    k("apply", "-f", M)
    out, _ = k("set", "image", f"deployment/{D}", "nginx=wangyanglinux/myapp:v2")
    assert out == f"deployment.apps/{D} image updated\n"
    e = last_patch(k.data)
    assert e.request.body == {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}],
        "containers": [{"image": "wangyanglinux/myapp:v2", "name": "nginx"}]}}}}
    assert e.request.params["patchType"] == "strategic" and e.request.params["fieldManager"] == "kubectl-set"
    assert e.request.params["command"] == f"ktape set image deployment/{D} nginx=wangyanglinux/myapp:v2"
    dep = json.loads(k("get", "deploy", D, "-o", "json")[0])
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "wangyanglinux/myapp:v2"
    assert dep["metadata"]["generation"] == 2


def test_record_sets_the_change_cause_to_the_command(k):
    k("apply", "-f", M)
    k("set", "image", "deployment", D, "nginx=wangyanglinux/myapp:v3", "--record")
    cause = f"ktape set image deployment {D} nginx=wangyanglinux/myapp:v3 --record=true"
    e = last_patch(k.data)
    assert e.request.body["metadata"] == {"annotations": {"kubernetes.io/change-cause": cause}}
    assert "containers" in e.request.body["spec"]["template"]["spec"]
    dep = json.loads(k("get", "deploy", D, "-o", "json")[0])
    assert dep["metadata"]["annotations"]["kubernetes.io/change-cause"] == cause


def test_unchanged_image_sends_nothing_and_prints_nothing(k):
    k("apply", "-f", M)
    before = len(entries(k.data, verb="patch"))
    assert k("set", "image", f"deployment/{D}", "nginx=wangyanglinux/myapp:v1") == ("", "")
    assert len(entries(k.data, verb="patch")) == before


def test_unknown_container_is_an_error_but_the_rest_is_applied(k):
    k("apply", "-f", M)
    before = len(entries(k.data, verb="patch"))
    _, err = k("set", "image", f"deployment/{D}", "sidecar=busybox", code=1)
    assert err == 'error: unable to find container named "sidecar"\n'
    assert len(entries(k.data, verb="patch")) == before
    out, err = k("set", "image", f"deployment/{D}", "nginx=nginx:2", "sidecar=busybox", code=1)
    assert out == f"deployment.apps/{D} image updated\n" and 'unable to find container named "sidecar"' in err
    assert last_patch(k.data).request.body["spec"]["template"]["spec"]["containers"] == [{"image": "nginx:2", "name": "nginx"}]


def test_wildcard_and_argument_errors(k):
    k("create", "deployment", "multi", "--image=nginx", "--image=busybox")
    k("set", "image", "deploy/multi", "*=registry.local/x:1")
    dep = json.loads(k("get", "deploy", "multi", "-o", "json")[0])
    assert [c["image"] for c in dep["spec"]["template"]["spec"]["containers"]] == ["registry.local/x:1"] * 2
    assert k("set", "image", "deploy/multi", code=1)[1] == "error: at least one image update is required\n"
    assert k("set", "image", "nginx=x", code=1)[1] == (
        "error: one or more resources must be specified as <resource> <name> or <resource>/<name>\n")
    assert k("set", "image", "deploy/multi", "*=a", "nginx=b", code=1)[1].startswith(
        "error: all containers are already specified by *")
    assert k("set", "image", "deploy/multi", "nginx=a", "deploy/x", code=1)[1] == (
        "error: all resources must be specified before image changes: deploy/x\n")
    _, err = k("set", "image", "deploy/nope", "nginx=a", code=1)
    assert err.strip() == 'Error from server (NotFound): deployments.apps "nope" not found'


def test_every_kind_with_a_pod_spec(k):
    k("create", "-f", os.path.join(MANIFESTS, "rc.yaml"))
    rc = json.loads(k("get", "rc", "frontend", "-o", "json")[0])
    name = rc["spec"]["template"]["spec"]["containers"][0]["name"]
    assert k("set", "image", "rc/frontend", f"{name}=img:2")[0] == "replicationcontroller/frontend image updated\n"
    rc = json.loads(k("get", "rc", "frontend", "-o", "json")[0])
    assert rc["spec"]["template"]["spec"]["containers"][0]["image"] == "img:2"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "a"}], "initContainers": [{"name": "init", "image": "a"}]}}
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "a"}]}}}}}}
    for obj in (pod, cron):
        path = os.path.join(k.data, f"{obj['metadata']['name']}.json")
        with open(path, "w") as f:
            json.dump(obj, f)
        k("create", "-f", path)
    assert k("set", "image", "pod/p", "init=b")[0] == "pod/p image updated\n"
    assert json.loads(k("get", "pod", "p", "-o", "json")[0])["spec"]["initContainers"][0]["image"] == "b"
    assert k("set", "image", "cronjob", "cj", "c=b")[0] == "cronjob.batch/cj image updated\n"
    cj = json.loads(k("get", "cj", "cj", "-o", "json")[0])
    assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == "b"
    _, err = k("set", "image", "svc/kubernetes", "c=b", code=1)
    assert "the object is not a pod or does not have a pod template" in err


def test_dry_run_client_changes_nothing(k):
    k("apply", "-f", M)
    before = len(entries(k.data, verb="patch"))
    out, _ = k("set", "image", f"deployment/{D}", "nginx=x:1", "--dry-run=client")
    assert out == f"deployment.apps/{D} image updated (dry run)\n"
    assert len(entries(k.data, verb="patch")) == before
