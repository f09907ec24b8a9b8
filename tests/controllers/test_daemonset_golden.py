"""The seed-daemonset golden scenario, played with the DaemonSet controller and the pod GC wired
into the default actors right after the ReplicationController manager (where `default_actors`
should list them; once it does, this wiring changes nothing and tests/golden checks the scenario
like any other). `--update-golden` rewrites the scenario's goldens."""

from __future__ import annotations

import engine.api
from log_tools.scenario import SCENARIOS, run_scenario, write_golden
from tests.controllers.test_daemonset_controller import wired_actors
from tests.golden.test_golden import assert_same_files, assert_same_log, expected_files, golden

SCENARIO = SCENARIOS / "seed-daemonset"


def test_seed_daemonset_scenario(tmp_path, monkeypatch, golden_update):
    monkeypatch.setattr(engine.api, "default_actors", wired_actors)
    result = run_scenario(SCENARIO, tmp_path / "data")
    if golden_update:
        write_golden(SCENARIO, result)
    assert_same_log("seed-daemonset/log.jsonl", golden(SCENARIO / "log.jsonl"), result.log_text)
    assert_same_files(SCENARIO, expected_files(SCENARIO), {**result.outputs, **result.state})
