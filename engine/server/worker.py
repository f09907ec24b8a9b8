"""The one thread that touches the engine for writes: LMDB has a single writer, and the request
path and runtime are synchronous, so every HTTP request's `Request` is queued here and the
asyncio event loop never blocks on the log.

Group commit: the worker takes every request waiting in the queue (up to `MAX_GROUP`), handles
them in order inside one write transaction (`Cluster.submit_group`), commits once (one fsync for
the group) and only then answers them, so an acknowledged request is durable. If handling raises
(an engine bug, not an API error), the group is rolled back and retried one request at a time so
only the faulty request gets a 500.

The clock (wall mode): the virtual clock follows the wall clock in whole seconds. Before a group
is handled, and on each tick (once a second) while the runtime has timers due by the wall clock,
the clock is advanced to the current wall second (`Cluster.advance`, one clock record per step
of due work). An idle server with nothing due writes nothing; a busy one writes at most one
clock record per second. In manual mode only `ktape advance` (another process) moves it.

Other writers: a second process (`ktape advance`, the CLI) may append to the same LMDB log while
the server runs; every call here opens a fresh transaction and reads the head inside it, so the
server decides on the newest state. A tick also polls the head so watchers see those entries.
On an etcd log (`follower`, engine/server/etcd_follow.py) each group and tick first follows the
other servers' entries and takes or gives up the controllers; only the lease holder ticks the clock.
"""

from __future__ import annotations

import asyncio
import collections
import sys
import threading
import time
from typing import Any, Callable

from engine.api import Cluster
from engine.pipeline.handler import Response
from engine.records import Request

MAX_GROUP = 256
TICK_S = 1.0
SECOND_US = 1_000_000


class _Job:
    __slots__ = ("kind", "payload", "future", "loop")

    def __init__(self, kind: str, payload: Any, future: asyncio.Future | None, loop: asyncio.AbstractEventLoop | None):
        self.kind, self.payload, self.future, self.loop = kind, payload, future, loop


def _resolve(job: _Job, value: Any = None, exc: BaseException | None = None) -> None:
    if job.future is None or job.loop is None:
        return

    def done() -> None:
        if job.future.done():
            return
        if exc is not None:
            job.future.set_exception(exc)
        else:
            job.future.set_result(value)

    job.loop.call_soon_threadsafe(done)


def _resolve_all(jobs: list[_Job], values: list[Any]) -> None:
    """Answer a whole group with one wake-up of the event loop (one self-pipe write)."""
    if not jobs:
        return
    loop = jobs[0].loop

    def done() -> None:
        for j, v in zip(jobs, values):
            if j.future is not None and not j.future.done():
                j.future.set_result(v)

    if loop is not None and all(j.loop is loop for j in jobs):
        loop.call_soon_threadsafe(done)
    else:
        for j, v in zip(jobs, values):
            _resolve(j, v)


class EngineWorker:
    """Owns the Cluster; runs requests in groups, reads and ticks on one thread."""

    def __init__(self, cluster: Cluster, *, clock: str = "wall", wall: Callable[[], float] = time.time,
                 on_head: Callable[[int], None] | None = None, rate: float = 1.0, follower=None,
                 tick_s: float = TICK_S):
        self.cluster = cluster
        self.follower = follower  # an EtcdFollower when the log is on etcd, shared with other servers
        self.tick_s = tick_s
        self.clock = clock
        self.wall = wall
        # rate 1: the virtual clock is the wall clock; rate N: N virtual seconds per wall second from
        # the moment the server started (tests and demos that should not wait for rollouts)
        self.rate = rate
        self._anchor = (wall(), cluster.head().at)
        self.on_head = on_head  # called (from this thread) with the new head seq after changes
        self._pending: collections.deque[_Job] = collections.deque()
        self._wake = threading.Event()
        self._kick_scheduled = False
        self._thread = threading.Thread(target=self._run, name="ktape-engine", daemon=True)
        head = cluster.head()
        self._last_seq = head.seq
        self.head_at = head.at  # virtual time at the head (µs), for AGE columns in watch events
        self._stopped = False
        self.groups = 0
        self.requests = 0

    # --- public, from the event loop ---------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=10)

    def submit(self, req: Request) -> "asyncio.Future[Response]":
        return self._enqueue("req", req)

    def call(self, fn: Callable[[Cluster], Any]) -> "asyncio.Future[Any]":
        """Run `fn(cluster)` on the engine thread (reads that must see a consistent head)."""
        return self._enqueue("call", fn)

    def _enqueue(self, kind: str, payload: Any) -> asyncio.Future:
        # One wake-up of the engine thread per event-loop iteration, not per request: waking a
        # thread per request hands the GIL back and forth (a convoy that cost half the loop's
        # time under load) and keeps commit groups small.
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._pending.append(_Job(kind, payload, fut, loop))
        if not self._kick_scheduled:
            self._kick_scheduled = True
            loop.call_soon(self._kick)
        return fut

    def _kick(self) -> None:
        self._kick_scheduled = False
        self._wake.set()

    @property
    def head_seq(self) -> int:
        return self._last_seq

    # --- the thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopped:
            if not self._pending:
                if not self._wake.wait(timeout=max(0.05, self.tick_s / max(self.rate, 1.0))):
                    self._safe(self._tick)
                    continue
            self._wake.clear()
            jobs = []
            while self._pending and len(jobs) < MAX_GROUP:
                jobs.append(self._pending.popleft())
            if not jobs:
                continue
            self._safe(self._step)
            self._safe(self._follow_wall)
            reqs = [j for j in jobs if j.kind == "req"]
            if reqs:
                self._handle_group(reqs)
            for j in jobs:
                if j.kind == "call":
                    try:
                        _resolve(j, j.payload(self.cluster))
                    except BaseException as e:  # noqa: BLE001 - handed to the awaiting handler
                        _resolve(j, exc=e)
            self._publish()

    def _handle_group(self, jobs: list[_Job]) -> None:
        try:
            resps = self.cluster.submit_group([j.payload for j in jobs])
        except Exception:  # noqa: BLE001 - roll back the group, then isolate the faulty request
            _warn(f"request group of {len(jobs)} failed; retrying one by one")
            for j in jobs:
                try:
                    _resolve(j, self.cluster.submit(j.payload))
                except Exception as e:  # noqa: BLE001
                    _resolve(j, exc=e)
            return
        self.groups += 1
        self.requests += len(jobs)
        _resolve_all(jobs, resps)

    def _safe(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - the server must stay up; the next tick retries
            _warn(f"engine tick failed: {e!r}")

    def _wall_us(self) -> int:
        if self.rate == 1.0:
            return int(self.wall()) * SECOND_US
        wall0, at0 = self._anchor
        return at0 + int((self.wall() - wall0) * self.rate) * SECOND_US

    def _step(self) -> None:
        if self.follower is not None:
            was = self.follower.leading
            self.follower.step()
            if self.follower.leading and not was:  # --clock-rate counts from when this server took the clock
                self._anchor = (self.wall(), self.cluster.head().at)

    def _follow_wall(self) -> None:
        """Wall mode: bring the virtual clock up to the current wall second before deciding."""
        if self.clock != "wall" or (self.follower is not None and not self.follower.may_tick()):
            return
        now = self._wall_us()
        if now - self.cluster.head().at >= SECOND_US:
            self.cluster.advance_to(now)

    def _tick(self) -> None:
        self._step()
        if self.clock == "wall" and (self.follower is None or self.follower.may_tick()):
            now = self._wall_us()
            with self.cluster.store.begin() as txn:
                due = self.cluster.runtime.next_due(txn)
            if due is not None and due <= now:
                self._follow_wall()
        self.cluster.catch_up()  # entries another process appended but did not settle
        self._publish()

    def _publish(self) -> None:
        head = self.cluster.head()
        seq = head.seq
        self.head_at = head.at
        if seq != self._last_seq:
            self._last_seq = seq
            if self.on_head is not None:
                self.on_head(seq)


def _warn(msg: str) -> None:
    print(f"ktape serve: warning: {msg}", file=sys.stderr, flush=True)
