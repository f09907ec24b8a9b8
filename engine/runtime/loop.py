"""The runtime loop: after each change, run every actor to a fixed point at the current time,
and move the clock through due work in time order.

This is the only impure controller code: it keeps the work queue, submits the actors' requests
through the same request path as everyone else (under each actor's identity) and records the
wake-up times actors ask for in the `timers` table.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Iterable

from engine import logsetup
from engine.log import eventlog
from engine.log.eventlog import Head, u64
from engine.log.kv import Txn
from engine.pipeline.handler import RequestPath, Response
from engine.records import Request
from engine.runtime import recorder
from engine.runtime.actor import Actor
from engine.view import View

MAX_STEPS = 200_000
ACTOR_RETRY_US = 1_000_000  # an actor that raised is offered the key again one virtual second later


class FixedPointError(RuntimeError):
    """Actors kept producing work without settling (a controller bug, named in the message)."""


class Runtime:
    def __init__(self, actors: Iterable[Actor]):
        self.actors: dict[str, Actor] = {a.name: a for a in actors}

    def seed(self, responses: Iterable[Response]) -> "OrderedDict[tuple[str, bytes], None]":
        queue: OrderedDict[tuple[str, bytes], None] = OrderedDict()
        for resp in responses:
            self._enqueue(queue, resp)
        return queue

    def _enqueue(self, queue, resp: Response) -> None:
        if resp.entry is None or not resp.entry.changed:
            return
        for a in self.actors.values():
            for key in a.keys_for(resp.entry, resp.obj):
                queue[(a.name, key)] = None

    def settle(self, txn: Txn, head: Head, path: RequestPath, queue) -> tuple[Head, list[Response]]:
        """Run queued keys (and what they cause) until nothing is left to do at this moment."""
        out: list[Response] = []
        steps = 0
        while queue:
            (name, key), _ = queue.popitem(last=False)
            actor = self.actors[name]
            steps += 1
            if steps > MAX_STEPS:
                raise FixedPointError(f"actor {name} did not settle after {MAX_STEPS} steps (last key {key!r})")
            try:
                decision = actor.decide(View(txn, head.at, head.seq), key)
            except Exception as exc:  # a controller bug must not wedge the API: report it, retry later
                sys.stderr.write(f"warning: actor {name} failed on {key!r}: {type(exc).__name__}: {exc}\n")
                txn.put("timers", u64(head.at + ACTOR_RETRY_US) + name.encode() + b"\x01" + key, b"")
                continue
            for req in decision.requests:
                req = recorder.correlate(View(txn, head.at, head.seq), req)
                resp, head = path.handle(txn, head, req)
                out.append(resp)
                if resp.error is not None and resp.error.code != 404:
                    logsetup.debug("kubetape.runtime", "actor request refused", actor=name, code=resp.error.code, message=resp.error.message)
                self._enqueue(queue, resp)
            if decision.again:
                queue[(name, key)] = None
            if decision.requeue_at is not None:
                txn.put("timers", u64(decision.requeue_at) + name.encode() + b"\x01" + key, b"")
        return head, out

    def next_due(self, txn: Txn) -> int | None:
        for k, _ in txn.scan("timers"):
            return eventlog.from_u64(bytes(k[:8]))
        return None

    def pop_due(self, txn: Txn, at: int):
        """Remove and return the (actor, key) pairs due at or before `at`, in time order."""
        due = []
        for k, _ in list(txn.scan("timers", b"", u64(at + 1))):
            k = bytes(k)
            name, _, key = k[8:].partition(b"\x01")
            due.append((name.decode(), key))
            txn.delete("timers", k)
        return due


def clock_request(to: int) -> Request:
    return Request(verb="advance", group="kubetape.io", resource="clock", body={"to": to}, user="system:kubetape:clock")
