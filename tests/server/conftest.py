"""One `ktape serve` per test session (subprocess, free loopback port, temp data dir), shared by
the HTTP and kubectl end-to-end tests; plus helpers to run real kubectl binaries against it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK = Path("/usr/lib/google-cloud-sdk/bin")


def kubectl_path(version: str) -> str | None:
    p = SDK / f"kubectl.{version}"
    if p.is_file():
        return str(p)
    return shutil.which(f"kubectl.{version}")


class Served:
    def __init__(self, proc, url: str, data: str, kubeconfig: str, tmp: str):
        self.proc, self.url, self.data, self.kubeconfig, self.tmp = proc, url, data, kubeconfig, tmp

    def kubectl(self, version: str, *args: str, check: bool | None = None, stdin: str | None = None,
                timeout: float = 60, kubeconfig: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        binary = kubectl_path(version)
        if binary is None:
            pytest.skip(f"kubectl.{version} is not installed")
        cache = os.path.join(self.tmp, f"cache-{version}")
        env = {**os.environ, "KUBECONFIG": kubeconfig or self.kubeconfig, "HOME": self.tmp, **(env or {})}
        cp = subprocess.run([binary, "--cache-dir", cache, *args], capture_output=True, text=True, env=env,
                            input=stdin, timeout=timeout, cwd=str(ROOT / "fixtures"))
        if check or (check is None and False):
            assert cp.returncode == 0, cp.stderr
        return cp

    def ktape(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run([sys.executable, "-m", "log_tools", "--data", self.data, *args], capture_output=True,
                              text=True, env=env, timeout=120, cwd=str(ROOT))


def start_server(tmp: str, *extra: str) -> Served:
    data = os.path.join(tmp, "data")
    kc = os.path.join(tmp, "kubeconfig")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    init = subprocess.run([sys.executable, "-m", "log_tools", "--data", data, "init", "--nodes", "2"],
                          capture_output=True, text=True, env=env, cwd=str(ROOT))
    assert init.returncode == 0, init.stderr
    proc = subprocess.Popen([sys.executable, "-m", "log_tools", "--data", data, "serve", "--listen", "127.0.0.1:0",
                             "--write-kubeconfig", kc, *extra], stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "serve.err"), "w"),
                            text=True, env=env, cwd=str(ROOT))
    deadline = time.time() + 30
    line = ""
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("Serving on "):
            break
        if proc.poll() is not None:
            break
    if not line.startswith("Serving on "):
        proc.kill()
        raise RuntimeError("ktape serve did not start: " + open(os.path.join(tmp, "serve.err")).read())
    return Served(proc, line.split()[-1], data, kc, tmp)


def stop_server(s: Served) -> None:
    s.proc.terminate()
    try:
        s.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        s.proc.kill()


@pytest.fixture(scope="session")
def served():
    tmp = tempfile.mkdtemp(prefix="ktape-serve-test-")
    # rollouts in a fifth of the wall time (nothing asserts ages); KTAPE_TEST_SERVE_WORKERS=N runs
    # the whole server suite against `ktape serve --workers N`
    workers = ("--workers", os.environ["KTAPE_TEST_SERVE_WORKERS"]) if os.environ.get("KTAPE_TEST_SERVE_WORKERS") else ()
    s = start_server(tmp, "--clock-rate", "5", *workers)
    yield s
    stop_server(s)
    shutil.rmtree(tmp, ignore_errors=True)
