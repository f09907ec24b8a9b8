"""`kubectl exec` against `ktape serve`: the WebSocket channel protocol kubectl >= 1.30 speaks
(stdout, stdin, exit codes), the `create pods/exec` check upstream adds for upgrades, and what
kubectl 1.29 (SPDY only) is told."""

from __future__ import annotations

import time

import pytest

NS = "exec-e2e"


@pytest.fixture(scope="module")
def pod(served):
    k = served.kubectl
    assert k("1.33", "create", "namespace", NS).returncode == 0
    cp = k("1.33", "-n", NS, "run", "web", "--image=nginx", "--env=FOO=bar")
    assert cp.returncode == 0, cp.stderr
    deadline = time.time() + 60
    while time.time() < deadline:
        if "Running" in k("1.33", "-n", NS, "get", "pod", "web", "--no-headers").stdout:
            return "web"
        time.sleep(0.5)
    pytest.fail("pod web never ran")


def test_exec_prints_the_containers_view(served, pod):
    cp = served.kubectl("1.33", "-n", NS, "exec", pod, "--", "printenv", "FOO")
    assert (cp.returncode, cp.stdout) == (0, "bar\n"), cp.stderr


def test_exec_exit_code_and_stdin(served, pod):
    cp = served.kubectl("1.33", "-n", NS, "exec", pod, "--", "sh", "-c", "exit 3")
    assert cp.returncode == 3
    assert "command terminated with exit code 3" in cp.stderr
    cp = served.kubectl("1.33", "-n", NS, "exec", "-i", pod, "--", "sh", stdin="echo hi; printenv FOO\n")
    assert (cp.returncode, cp.stdout) == (0, "hi\nbar\n"), cp.stderr


def test_exec_needs_create_on_pods_exec(served, pod):
    k = served.kubectl
    for args in (("create", "serviceaccount", "peeker"),
                 ("create", "role", "peek", "--verb=get", "--resource=pods,pods/exec"),
                 ("create", "rolebinding", "peek", "--role=peek", f"--serviceaccount={NS}:peeker")):
        assert k("1.33", "-n", NS, *args).returncode == 0
    cp = k("1.33", "-n", NS, "exec", pod, f"--as=system:serviceaccount:{NS}:peeker", "--", "printenv", "FOO")
    assert cp.returncode == 1
    assert (f'Error from server (Forbidden): pods "web" is forbidden: User "system:serviceaccount:{NS}:peeker" '
            f'cannot create resource "pods/exec" in API group "" in the namespace "{NS}"') in cp.stderr


def test_kubectl_without_websockets_is_told(served, pod):
    cp = served.kubectl("1.29", "-n", NS, "exec", pod, "--", "printenv", "FOO")
    assert cp.returncode == 1
    assert "pods/exec over SPDY (kubectl >= 1.30 uses WebSockets) is not served" in cp.stderr
