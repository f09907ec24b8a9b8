"""Cluster state as a pure fold of the log: `reduce(state, entry) -> state`.

`ClusterState` is an immutable mapping from object key to object. `reduce` never touches its
input; `fold` is the same computation over many entries with one private working table (copying
the whole map per entry would make replay quadratic), and the law `fold(a + b) ==
fold(b, fold(a))` is checked by a Hypothesis test.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Mapping

from engine.records import LogEntry
from reducers.keys import entry_key
from reducers.storage import next_object


class ClusterState(Mapping[bytes, dict]):
    """Objects by key, as of `seq`. Read-only: reducers return new states."""

    __slots__ = ("_objects", "seq")

    def __init__(self, objects: dict[bytes, dict] | None = None, seq: int = 0):
        self._objects = objects or {}
        self.seq = seq

    def __getitem__(self, key: bytes) -> dict:
        return self._objects[key]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClusterState) and self.seq == other.seq and self._objects == other._objects

    def __repr__(self) -> str:
        return f"ClusterState(seq={self.seq}, objects={len(self._objects)})"


def step(objects: dict[bytes, dict], entry: LogEntry) -> None:
    """Apply one entry to a working table (the fold's inner loop)."""
    if not entry.changed:
        return
    key = entry_key(entry)
    if key is None:
        return
    new = next_object(objects.get(key), entry)
    if new is None:
        objects.pop(key, None)
    else:
        objects[key] = new


def reduce(state: ClusterState, entry: LogEntry) -> ClusterState:
    """State after `entry`. Pure: the input state is left as it was."""
    objects = dict(state._objects)
    step(objects, entry)
    return ClusterState(objects, entry.seq)


def fold(entries: Iterable[LogEntry], state: ClusterState | None = None) -> ClusterState:
    objects = dict(state._objects) if state is not None else {}
    seq = state.seq if state is not None else 0
    for e in entries:
        step(objects, e)
        seq = e.seq
    return ClusterState(objects, seq)
