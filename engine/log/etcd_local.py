"""A throwaway etcd cluster on loopback ports: for the tests, the benchmark and demos.

Starts N `etcd` processes (Debian's `etcd-server` package, 3.4) with their own data folders in a
temp directory, waits until the cluster has a leader, and can kill and restart single members
(the failover test kills the Raft leader mid-load). Nothing here is used by a real deployment:
there, etcd is run by whoever runs the cluster and kubetape only connects to it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ETCD = os.environ.get("KTAPE_ETCD_BIN") or shutil.which("etcd") or "/usr/bin/etcd"


def etcd_available() -> str | None:
    """None when an etcd binary can be run, else why not (for a skip reason)."""
    if not os.path.exists(ETCD):
        return "no etcd binary (install Debian's etcd-server: apt-get install -y etcd-server)"
    return None


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class LocalEtcd:
    """`members` etcd processes forming one cluster; `endpoints` is the `host:port,...` list."""

    def __init__(self, members: int = 3, *, base: str | None = None, heartbeat_ms: int = 100, election_ms: int = 1000):
        self.n = members
        self.base = base or tempfile.mkdtemp(prefix="ktape-etcd-")
        ports = free_ports(2 * members)
        self.client_ports = ports[:members]
        self.peer_ports = ports[members:]
        self.names = [f"m{i}" for i in range(members)]
        self.heartbeat_ms, self.election_ms = heartbeat_ms, election_ms
        self.procs: list[subprocess.Popen | None] = [None] * members
        self.token = f"ktape-{os.getpid()}-{self.client_ports[0]}"

    @property
    def endpoints(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.client_ports)

    def url(self, prefix: str = "/ktape") -> str:
        return f"etcd://{self.endpoints}{prefix}"

    def _cmd(self, i: int, state: str) -> list[str]:
        cluster = ",".join(f"{n}=http://127.0.0.1:{p}" for n, p in zip(self.names, self.peer_ports))
        c, p = self.client_ports[i], self.peer_ports[i]
        return [ETCD, "--name", self.names[i], "--data-dir", os.path.join(self.base, self.names[i]),
                "--listen-client-urls", f"http://127.0.0.1:{c}", "--advertise-client-urls", f"http://127.0.0.1:{c}",
                "--listen-peer-urls", f"http://127.0.0.1:{p}", "--initial-advertise-peer-urls", f"http://127.0.0.1:{p}",
                "--initial-cluster", cluster, "--initial-cluster-state", state, "--initial-cluster-token", self.token,
                "--heartbeat-interval", str(self.heartbeat_ms), "--election-timeout", str(self.election_ms),
                "--log-level", "error", "--logger", "zap"]

    def start(self, timeout: float = 30.0) -> "LocalEtcd":
        for i in range(self.n):
            self._spawn(i, "new")
        self.wait_ready(timeout)
        return self

    def _spawn(self, i: int, state: str) -> None:
        log = open(os.path.join(self.base, f"{self.names[i]}.log"), "ab")
        self.procs[i] = subprocess.Popen(self._cmd(i, state), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()

    def status(self, i: int) -> dict | None:
        from etcd3gw.client import Etcd3Client

        try:
            return Etcd3Client("127.0.0.1", self.client_ports[i], timeout=1, api_path="/v3/").status()
        except Exception:
            return None

    def leader_index(self) -> int | None:
        """The member that is the Raft leader now (None while there is none)."""
        ids = {}
        leader = None
        for i in range(self.n):
            if self.procs[i] is None:
                continue
            st = self.status(i)
            if st:
                ids[st["header"]["member_id"]] = i
                leader = st.get("leader")
        return ids.get(leader) if leader is not None else None

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, p in enumerate(self.procs):
                if p is not None and p.poll() is not None:
                    raise RuntimeError(f"etcd member {self.names[i]} exited ({p.returncode}); see {self.base}/{self.names[i]}.log")
            if self.leader_index() is not None and all(self.status(i) for i in range(self.n) if self.procs[i] is not None):
                return
            time.sleep(0.1)
        raise RuntimeError(f"etcd cluster not ready after {timeout:.0f} s; logs in {self.base}")

    def kill(self, i: int) -> None:
        p = self.procs[i]
        if p is not None:
            p.send_signal(signal.SIGKILL)
            p.wait()
            self.procs[i] = None

    def restart(self, i: int) -> None:
        """Start a killed member again on its data folder (it rejoins as an existing member)."""
        self._spawn(i, "existing")

    def stop(self) -> None:
        """Kill every member and remove the data (a throwaway cluster: no graceful leader
        transfer, which takes seconds when all members leave at once)."""
        for i in range(self.n):
            self.kill(i)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "LocalEtcd":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
