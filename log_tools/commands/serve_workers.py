"""`ktape serve --workers N`: the processes. The first keeps the log and the engine thread and
owns the listening socket; N HTTP worker processes serve the connections it hands them.

Connections go round-robin to the workers (the accepted socket passed over a Unix datagram
socketpair with SCM_RIGHTS), so keep-alive clients spread evenly; SO_REUSEPORT's hash would put
6 of 8 clients on one of two processes a fifth of the time. Requests travel over a second,
stream socketpair per worker (engine/server/remote.py). A worker stops when its engine socket
closes (the first process is gone); the first process stops its workers when it stops, and a
worker that died gets no more connections.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from typing import Callable

READY_S = 60.0


class Pool:
    def __init__(self) -> None:
        self.children: list[subprocess.Popen] = []
        self.handoff: list[socket.socket | None] = []  # datagram channels for accepted connections
        self.links: list[socket.socket] = []  # stream channels for requests (engine side)
        self._next = 0

    def spawn(self, n: int, data: str, listen: str) -> None:
        for _ in range(n):
            conns, conns_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
            link, link_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            fds = (conns_child.fileno(), link_child.fileno())
            cmd = [sys.executable, "-m", "log_tools", "--data", data, "serve", "--listen", listen,
                   "--worker-fds", f"{fds[0]},{fds[1]}"]
            self.children.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, pass_fds=fds))
            conns_child.close()
            link_child.close()
            conns.setblocking(False)
            self.handoff.append(conns)
            self.links.append(link)

    async def ready(self) -> None:
        """Wait until every worker serves (its `Serving on` line)."""
        loop = asyncio.get_running_loop()
        for p in self.children:
            line = await asyncio.wait_for(loop.run_in_executor(None, p.stdout.readline), READY_S)
            if not line.startswith("Serving on"):
                raise RuntimeError(f"an HTTP worker process (--workers) failed to start (exit {p.poll()})")

    async def accept(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, _addr = await loop.sock_accept(listener)
            self._hand_off(conn)
            conn.close()  # the worker holds its own copy now

    def _hand_off(self, conn: socket.socket) -> None:
        for _ in range(len(self.handoff)):
            i = self._next
            self._next = (self._next + 1) % len(self.handoff)
            chan = self.handoff[i]
            if chan is None:
                continue
            try:
                socket.send_fds(chan, [b"c"], [conn.fileno()])
                return
            except OSError:  # the worker is gone: no more connections for it
                print(f"ktape serve: warning: HTTP worker {self.children[i].pid} is gone", file=sys.stderr, flush=True)
                chan.close()
                self.handoff[i] = None

    def stop(self) -> None:
        for p in self.children:
            if p.poll() is None:
                p.terminate()
        for p in self.children:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def listen(host: str, port: int) -> socket.socket:
    sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET, backlog=1024)
    sock.setblocking(False)
    return sock


def receive(conns_fd: int, serve_here: Callable[[socket.socket], None]) -> None:
    """A worker's side of the handoff: each datagram carries one accepted connection."""
    chan = socket.socket(fileno=conns_fd)
    chan.setblocking(False)
    loop = asyncio.get_running_loop()

    def on_readable() -> None:
        while True:
            try:
                msg, fds, _flags, _addr = socket.recv_fds(chan, 1, 4)
            except (BlockingIOError, InterruptedError):
                return
            if not msg and not fds:
                loop.remove_reader(chan.fileno())
                return
            for fd in fds:
                serve_here(socket.socket(fileno=fd))

    loop.add_reader(chan.fileno(), on_readable)
