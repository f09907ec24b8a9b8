"""client-go's EventCorrelator, derived from stored Events (engine/runtime/recorder.py)."""

from __future__ import annotations

import json
from pathlib import Path

from log_tools.scenario import call_ktape


def _ok(data: Path, *argv: str) -> str:
    code, out, err = call_ktape(data, list(argv))
    assert code == 0, f"ktape {' '.join(argv)} exited {code}: {out}{err}"
    return out


def _events(data: Path) -> list[dict]:
    items = json.loads(_ok(data, "get", "events", "-o", "json"))["items"]
    return [e for e in items if e["involvedObject"]["name"] == "nginx-deploy"]


def test_aggregation_record_resets_after_ten_quiet_minutes_but_repeats_still_count(tmp_path):
    data = tmp_path / "data"
    _ok(data, "init", "--start-time", "2026-01-01T00:00:00Z", "--nodes", "0")
    _ok(data, "apply", "-f", "manifests/nginx-deploy.yaml")
    for n in range(2, 13):
        _ok(data, "scale", "deployments.apps", "nginx-deploy", f"--replicas={n}")
    assert sum(e["message"].startswith("(combined from similar events): ") for e in _events(data)) == 1
    _ok(data, "advance", "11m")
    _ok(data, "scale", "deployments.apps", "nginx-deploy", "--replicas=20")  # a new message after the gap
    _ok(data, "scale", "deployments.apps", "nginx-deploy", "--replicas=2")   # "to 2 from 20": new too
    fresh = [e for e in _events(data) if e["message"].endswith("to 20 from 12")]
    assert [(e["count"], e["firstTimestamp"]) for e in fresh] == [(1, "2026-01-01T00:11:00Z")]
    combined = [e for e in _events(data) if e["message"].startswith("(combined")]
    assert len(combined) == 1 and combined[0]["count"] == 3  # untouched by the new record
