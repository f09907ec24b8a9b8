"""Injected faults, recorded as annotations in the `sim.kubetape.io/` prefix on the Pod or Node.

Why annotations: a fault then is an ordinary, recorded `patch` by whoever injected it (the log
answers "who made node1 go down, and when"), it needs no new resource type, it survives export,
import and replay unchanged, and the kubelet stays level-triggered: it reads the fault from the
object like any other field. Each annotation says what to do and which moment or container
instance it is about, so acting on it again is a no-op:

- `sim.kubetape.io/exit.<container>: "<code>@<restartCount>"`: that container instance (the run
  with that restart count) exits with `code` now; a later run is not affected.
- `sim.kubetape.io/unready: "<since>"` or `"<since>/<until>"` (RFC 3339 times): the readiness
  check fails from `since` (with a readinessProbe it takes failureThreshold failing probes on its
  period; without one it is at once) until `until`, after which the next probe passes
  (`ktape sim ready` writes the `until`). Every moment is in the record, so each change of
  readiness falls at a fixed time, whenever the kubelet gets to look. Removing the annotation by
  hand ends the fault at once.
- On a Node, `sim.kubetape.io/down: "<RFC 3339 time>"`: the node's kubelet is down from that
  moment; its pods stop progressing and the node's conditions go Unknown. Removing it
  (`ktape sim node-up`) brings the kubelet back, which posts Ready and resumes its pods.
"""

from __future__ import annotations

from engine.clock import parse_time

PREFIX = "sim.kubetape.io/"
EXIT = PREFIX + "exit."
UNREADY = PREFIX + "unready"
NODE_DOWN = PREFIX + "down"


def annotations(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


def exit_value(code: int, restart_count: int) -> str:
    return f"{code}@{restart_count}"


def exit_fault(pod: dict, container: str) -> tuple[int, int] | None:
    """(exit code, restart count of the targeted run) of an injected exit, or None."""
    raw = annotations(pod).get(EXIT + container)
    if raw is None:
        return None
    code, _, run = str(raw).partition("@")
    try:
        return int(code) % 256, int(run or 0)
    except ValueError:
        return None


def since(raw) -> int:
    """The moment a fault took effect (microseconds); 0 (always) when the value is not a time."""
    try:
        return parse_time(str(raw))
    except ValueError:
        return 0


def unready_window(pod: dict) -> tuple[int, int | None] | None:
    """(since, until or None) of an injected readiness failure, or None."""
    raw = annotations(pod).get(UNREADY)
    if raw is None:
        return None
    start, slash, end = str(raw).partition("/")
    return since(start), (since(end) if slash else None)


def unready_value(start: str, end: str | None = None) -> str:
    return start if end is None else f"{start}/{end}"


def node_down(node: dict) -> bool:
    return NODE_DOWN in annotations(node)
