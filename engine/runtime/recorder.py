"""Event correlation, as client-go's recorder does it (`tools/record/events_cache.go`).

Controllers emit plain Event creates; before the runtime submits one, it goes through upstream's
EventCorrelator: the EventAggregator (from the 10th distinct message with the same source,
object, type and reason within 600 s, one event "(combined from similar events): ..." stands for
them) and the EventLogger (an event equal to an earlier one patches that Event's count,
lastTimestamp and message instead of creating another).

Upstream keeps both caches in the recording process's memory. Here they are derived from the
Events already stored for the involved object, which are exactly what that memory produced; so the
correlation survives restarts and replays, and stays deterministic. Not modelled: the spam
filter's token bucket (burst 25, one per 5 minutes per source and object) and the LRU bound.
"""

from __future__ import annotations

from engine.clock import parse_time
from engine.log import eventlog
from engine.records import Request
from engine.view import View
from reducers.keys import collection_prefix

MAX_EVENTS = 10  # defaultAggregateMaxEvents
INTERVAL_US = 600 * 1_000_000  # defaultAggregateIntervalInSeconds
COMBINED = "(combined from similar events): "


def _aggregate_key(ev: dict) -> tuple:
    src, io = ev.get("source") or {}, ev.get("involvedObject") or {}
    return (src.get("component", ""), src.get("host", ""), io.get("kind", ""), io.get("namespace", ""), io.get("name", ""),
            io.get("uid", ""), io.get("apiVersion", ""), ev.get("type", ""), ev.get("reason", ""),
            ev.get("reportingComponent", ""), ev.get("reportingInstance", ""))


def _event_key(ev: dict) -> tuple:
    io = ev.get("involvedObject") or {}
    return _aggregate_key(ev)[:-2] + (io.get("fieldPath", ""), ev.get("message", ""))


def _time(ev: dict, field: str) -> int:
    text = ev.get(field)
    return parse_time(text) if text else 0


def _related(view: View, ev: dict) -> list[dict]:
    """Stored Events of the same source/object/type/reason, oldest first (names start `<object>.`)."""
    name = (ev.get("involvedObject") or {}).get("name", "")
    ns = (ev.get("metadata") or {}).get("namespace", "")
    prefix = collection_prefix("", "events", ns) + f"{name}.".encode()
    key = _aggregate_key(ev)
    found = [o for _k, o in eventlog.scan_objects(view.txn, prefix) if _aggregate_key(o) == key]
    return sorted(found, key=lambda o: (_time(o, "firstTimestamp"), o["metadata"]["name"]))


def _session(related: list[dict], now: int) -> list[dict]:
    """The events of the aggregator's current record: back from now while gaps stay <= 600 s."""
    out: list[dict] = []
    start = now
    for ev in sorted(related, key=lambda o: _time(o, "lastTimestamp"), reverse=True):
        if start - _time(ev, "lastTimestamp") > INTERVAL_US:
            break
        out.append(ev)
        start = min(start, _time(ev, "firstTimestamp"))
    return out


def correlate(view: View, req: Request) -> Request:
    """The request the recorder really sends for an actor's Event create: the create itself, a
    combined event, or a patch counting a repeat on the earlier Event."""
    if req.verb != "create" or req.resource != "events" or req.group or not isinstance(req.body, dict):
        return req
    ev = req.body
    related = _related(view, ev)
    plain = [o for o in related if not o.get("message", "").startswith(COMBINED)]
    seen = {o.get("message", "") for o in _session(related, view.now) if o in plain}
    if ev.get("message", "") not in seen and len(seen) + 1 >= MAX_EVENTS:
        combined = {**ev, "message": COMBINED + ev.get("message", "")}
        earlier = [o for o in related if o.get("message", "").startswith(COMBINED)]
        return _repeat(req, earlier[-1], combined) if earlier else _replace_body(req, combined)
    same = [o for o in plain if _event_key(o) == _event_key(ev)]
    return _repeat(req, same[-1], ev) if same else req


def _repeat(req: Request, earlier: dict, ev: dict) -> Request:
    patch = {"count": int(earlier.get("count") or 1) + 1, "lastTimestamp": ev.get("lastTimestamp"), "message": ev.get("message", "")}
    return Request(verb="patch", resource="events", namespace=req.namespace, name=earlier["metadata"]["name"], body=patch,
                   user=req.user, groups=req.groups, params={"patchType": "strategic"})


def _replace_body(req: Request, body: dict) -> Request:
    return Request(verb=req.verb, resource=req.resource, namespace=req.namespace, body=body, user=req.user, groups=req.groups,
                   params=req.params)
