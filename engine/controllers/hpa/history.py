"""What upstream's HPA controller keeps in memory, kept on the HPA instead: recent recommendations
(for the stabilization windows) and recent scale events (for `behavior` rate policies).

Upstream holds `recommendations[key]` (timestamped replica recommendations, one per sync) and
`scaleUpEvents`/`scaleDownEvents[key]` in the controller process. Actors are stateless, so the
same facts live in one annotation on the HPA, `autoscaling.kubetape.io/history` (compact JSON):

    {"current": 3, "recommendations": [[5, "2026-01-01T00:01:00Z"]], "scaleUp": [[1, "..."]]}

Only what can still change an answer is kept, and in a form that does not change while nothing
happens, so a steady HPA writes nothing:

- Every use of the recommendations is "the max (or min) of the samples newer than a cutoff".
  Of two samples with the same value the older one never changes such an answer, so one time per
  value is enough: `recommendations` maps a value to the latest time it was recommended.
- `current` is the value sampled at the previous sync; its time is implicitly that sync's (syncs
  come every 15 s of virtual time, see `controller.py`). While the recommendation stays the
  same, nothing in the annotation changes.
- Samples older than the longest window are dropped when the annotation is written anyway.

`present` distinguishes "never synced" (upstream's `recommendations[key] == nil`, which records
the current replica count as the first recommendation) from an empty history.
"""

from __future__ import annotations

import json

import attrs

from engine.clock import parse_time, rfc3339

ANNOTATION = "autoscaling.kubetape.io/history"


@attrs.frozen
class History:
    present: bool = False
    current: int | None = None
    recommendations: tuple[tuple[int, int], ...] = ()  # (value, latest time in us), by time then value
    scale_up: tuple[tuple[int, int], ...] = ()  # (replica change, time in us)
    scale_down: tuple[tuple[int, int], ...] = ()


def _pairs(raw) -> tuple[tuple[int, int], ...]:
    out = []
    for item in raw or ():
        try:
            value, when = item
            out.append((int(value), parse_time(str(when))))
        except (TypeError, ValueError):
            continue
    return tuple(out)


def parse(hpa: dict) -> History:
    raw = ((hpa.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION)
    if raw is None:
        return History()
    try:
        data = json.loads(raw)
    except ValueError:
        return History(present=True)
    if not isinstance(data, dict):
        return History(present=True)
    current = data.get("current")
    return History(True, int(current) if isinstance(current, int) else None, _pairs(data.get("recommendations")),
                   _pairs(data.get("scaleUp")), _pairs(data.get("scaleDown")))


def render(h: History) -> str:
    data: dict = {}
    if h.current is not None:
        data["current"] = h.current
    if h.recommendations:
        data["recommendations"] = [[v, rfc3339(t)] for v, t in h.recommendations]
    if h.scale_up:
        data["scaleUp"] = [[v, rfc3339(t)] for v, t in h.scale_up]
    if h.scale_down:
        data["scaleDown"] = [[v, rfc3339(t)] for v, t in h.scale_down]
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


class Working:
    """The history during one sync: samples as upstream's list would hold them, plus this sync's."""

    def __init__(self, h: History, now: int, previous_sync: int):
        self.now = now
        self.present = h.present
        self.samples: dict[int, int] = dict(h.recommendations)
        if h.current is not None:
            self.samples[h.current] = max(self.samples.get(h.current, previous_sync), previous_sync)
        self.recorded_now: int | None = None  # the last value sampled at this sync
        self.scale_up = list(h.scale_up)
        self.scale_down = list(h.scale_down)

    # --- recommendations -------------------------------------------------------------------------

    def record_initial(self, current_replicas: int) -> None:
        """`recordInitialRecommendation`: the first sync remembers the current size."""
        if not self.present:
            self.present = True
            self.record(current_replicas)

    def record(self, value: int) -> None:
        self.samples[value] = self.now
        self.recorded_now = value

    def in_window(self, cutoff: int, *, inclusive: bool) -> list[int]:
        """Sampled values newer than `cutoff` (`!Before(cutoff)` when inclusive, else `After`)."""
        return [v for v, t in self.samples.items() if (t >= cutoff if inclusive else t > cutoff)]

    # --- scale events ------------------------------------------------------------------------------

    def store_scale_event(self, previous: int, new: int) -> None:
        if new > previous:
            self.scale_up.append((new - previous, self.now))
        else:
            self.scale_down.append((previous - new, self.now))

    # --- the result --------------------------------------------------------------------------------

    def result(self, keep_us: int, up_period_us: int, down_period_us: int, *, prune: bool) -> History:
        """The history to store. Pruning (samples older than `keep_us`, scale events older than their
        longest policy period) changes the annotation, so callers prune only when writing anyway."""
        samples = dict(self.samples)
        current = self.recorded_now
        if current is not None:
            samples.pop(current, None)  # the current value's time is implicit: this sync's
        up, down = self.scale_up, self.scale_down
        if prune:
            samples = {v: t for v, t in samples.items() if t >= self.now - keep_us}
            up = [e for e in up if e[1] > self.now - up_period_us]
            down = [e for e in down if e[1] > self.now - down_period_us]
        recs = tuple(sorted(((v, t) for v, t in samples.items()), key=lambda p: (p[1], p[0])))
        return History(self.present, current, recs, tuple(up), tuple(down))


def changes_in_period(events: list[tuple[int, int]] | tuple[tuple[int, int], ...], period_us: int, now: int) -> int:
    """`getReplicasChangePerPeriod`: replicas changed by events after `now - period`."""
    cutoff = now - period_us
    return sum(change for change, t in events if t > cutoff)


__all__ = ["ANNOTATION", "History", "Working", "parse", "render", "changes_in_period"]
