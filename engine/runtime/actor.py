"""What an actor is: a named identity with a pure `decide` and a rule for which keys to revisit.

Controllers, the scheduler and simulated kubelets are all actors. `decide(view, key)` reads
state (and `view.now`) and returns the requests to submit, at most one step's worth; a converged
key returns nothing. Memory lives on the objects, never in the actor.
"""

from __future__ import annotations

from typing import Iterable, Protocol

import attrs

from engine.pipeline.identity import UserInfo
from engine.records import LogEntry, Request
from engine.view import View


@attrs.frozen
class Decision:
    requests: tuple[Request, ...] = ()
    requeue_at: int | None = None  # virtual time (us) at which to decide this key again
    again: bool = False  # decide this key again once these requests have been handled


NOTHING = Decision()


class Actor(Protocol):
    name: str
    identity: UserInfo

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        """Keys to reconsider after `entry` (obj: the object it left, or removed)."""
        ...

    def decide(self, view: View, key: bytes) -> Decision: ...
