"""Golden scenarios, each checked three ways: record, replay and round trip.

- record: playing `scenario.yaml` into a fresh log exports `log.jsonl` byte for byte, and the
  captured outputs and the rendered state equal `expected/`;
- replay: `ktape import log.jsonl` into a fresh folder folds to the state in `expected/state/`,
  and `ktape verify` passes;
- round trip: `ktape export` after that import gives `log.jsonl` back byte for byte.

A missing golden file fails; `pytest --update-golden` rewrites them (then read the diff).
The deviations from Kubernetes found while reading the goldens are pinned at the end as
regression tests.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from log_tools.scenario import Result, call_ktape, read_back, run_scenario, scenario_dirs, write_golden

SCENARIOS = scenario_dirs()
UPDATE_HINT = "run `pytest tests/golden --update-golden` to (re)create it, then read the diff"

_recorded: dict[str, Result] = {}


def recorded(sdir: Path, tmp_path_factory, update: bool) -> Result:
    """The scenario played once per session (written to the goldens when updating)."""
    if sdir.name not in _recorded:
        result = run_scenario(sdir, tmp_path_factory.mktemp(f"record-{sdir.name}") / "data")
        if update:
            write_golden(sdir, result)
        _recorded[sdir.name] = result
    return _recorded[sdir.name]


def golden(path: Path) -> str:
    if not path.is_file():
        pytest.fail(f"golden file {path} is missing: {UPDATE_HINT}", pytrace=False)
    return path.read_bytes().decode("utf-8")


def expected_files(sdir: Path, under: str = "") -> dict[str, str]:
    """expected/ (or expected/<under>/) as {path relative to expected/: text}."""
    root = sdir / "expected"
    base = root / under if under else root
    if not base.is_dir():
        pytest.fail(f"golden folder {base} is missing: {UPDATE_HINT}", pytrace=False)
    return {p.relative_to(root).as_posix(): p.read_bytes().decode("utf-8") for p in sorted(base.rglob("*")) if p.is_file()}


def assert_same_text(name: str, want: str, got: str) -> None:
    if want == got:
        return
    diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), f"golden {name}", f"run {name}"))[:80])
    pytest.fail(f"{name} differs from the golden file ({UPDATE_HINT} if the change is intended):\n{diff}", pytrace=False)


def assert_same_log(name: str, want: str, got: str) -> None:
    if want == got:
        return
    a, b = want.splitlines(), got.splitlines()
    for i, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            col = next((c for c, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
            lo = max(col - 150, 0)
            pytest.fail(f"{name}: line {i} (seq {i}) differs from column {col + 1} ({UPDATE_HINT} if intended)\n"
                        f" golden: ...{x[lo:col + 250]}\n    run: ...{y[lo:col + 250]}", pytrace=False)
    pytest.fail(f"{name}: the golden log has {len(a)} lines, the run {len(b)} (byte-level difference otherwise: "
                f"trailing newline or encoding); {UPDATE_HINT} if intended", pytrace=False)


def assert_same_files(sdir: Path, want: dict[str, str], got: dict[str, str]) -> None:
    missing, extra = sorted(set(got) - set(want)), sorted(set(want) - set(got))
    if missing or extra:
        pytest.fail(f"{sdir.name}: expected/ does not match the run: not in expected/ {missing}, "
                    f"not produced by the run {extra}; {UPDATE_HINT}", pytrace=False)
    for name in sorted(want):
        assert_same_text(f"{sdir.name}/expected/{name}", want[name], got[name])


def _ids(dirs):
    return [d.name for d in dirs]


@pytest.fixture(params=SCENARIOS, ids=_ids(SCENARIOS))
def scenario(request) -> Path:
    return request.param


def test_scenarios_exist():
    assert {d.name for d in SCENARIOS} >= {"seed-foundation", "namespace-lifecycle", "garbage-collection", "bad-input"}


def test_record(scenario, tmp_path_factory, golden_update):
    result = recorded(scenario, tmp_path_factory, golden_update)
    assert_same_log(f"{scenario.name}/log.jsonl", golden(scenario / "log.jsonl"), result.log_text)
    got = {**result.outputs, **result.state}
    assert_same_files(scenario, expected_files(scenario), got)


def _import(log: Path, data: Path) -> None:
    code, out, err = call_ktape(data, ["import", str(log)])
    assert code == 0, f"ktape import {log} exited {code}: {out}{err}"


def test_replay(scenario, tmp_path, tmp_path_factory, golden_update):
    if golden_update:
        recorded(scenario, tmp_path_factory, golden_update)
    log = scenario / "log.jsonl"
    golden(log)
    data = tmp_path / "data"
    _import(log, data)
    _exports, state = read_back(data)
    assert_same_files(scenario, expected_files(scenario, "state"), state)
    code, out, err = call_ktape(data, ["verify"])
    assert code == 0 and out.startswith("ok: "), f"verify after import exited {code}: {out}{err}"


def test_round_trip(scenario, tmp_path, tmp_path_factory, golden_update):
    if golden_update:
        recorded(scenario, tmp_path_factory, golden_update)
    log = scenario / "log.jsonl"
    want = golden(log)
    data = tmp_path / "data"
    _import(log, data)
    code, out, err = call_ktape(data, ["export"])
    assert code == 0, f"ktape export exited {code}: {err}"
    assert_same_log(f"{scenario.name}/log.jsonl (export of its import)", want, out)


def test_runner_is_independent_of_cwd(tmp_path, monkeypatch):
    """Manifest paths resolve against fixtures/ and the recorded command is the scenario's text."""
    monkeypatch.chdir(tmp_path)
    sdir = tmp_path / "mini"
    sdir.mkdir()
    (sdir / "scenario.yaml").write_text(
        "start: 2026-01-01T00:00:00Z\n"
        "init: ['--nodes', '0']\n"
        "steps:\n"
        "  - run: apply -f manifests/nginx-deploy.yaml --record\n"
        "  - mark: applied\n"
        "  - capture_template: get deploy nginx-deploy --at {{mark:applied}} -o name\n"
        "  - run_template: annotate deploy nginx-deploy seen-uid={{uid:deploy/nginx-deploy}} seen-at={{seq}}\n"
        "  - capture: get cm --show-labels\n"
        "    expect: 0\n", encoding="utf-8")
    result = run_scenario(sdir, tmp_path / "data")
    assert result.outputs["03-get-deploy-nginx-deploy-at-mark-applied-o-name.txt"] == "deployment.apps/nginx-deploy\n"
    assert result.outputs["05-get-cm-show-labels.txt"] == "--- stderr ---\nNo resources found in default namespace.\n"
    deploy = json.loads(result.state["state/apps.deployments.default.nginx-deploy.json"])
    annotations = deploy["metadata"]["annotations"]
    assert annotations["kubernetes.io/change-cause"] == "ktape apply --filename=manifests/nginx-deploy.yaml --record=true"
    assert annotations["seen-uid"] == deploy["metadata"]["uid"]
    assert int(annotations["seen-at"]) < int(deploy["metadata"]["resourceVersion"])
    assert Path.cwd() == tmp_path


# --- regressions: deviations from Kubernetes found in review, now fixed ----------------------------


def _booted(tmp_path: Path, name: str = "data") -> Path:
    data = tmp_path / name
    code, out, err = call_ktape(data, ["init", "--start-time", "2026-01-01T00:00:00Z", "--nodes", "0"])
    assert code == 0, out + err
    return data


def _export(data: Path) -> str:
    code, out, err = call_ktape(data, ["export"])
    assert code == 0, err
    return out


def test_recorded_command_does_not_depend_on_the_data_folder(tmp_path):
    logs = []
    for name in ("one", "two"):
        data = _booted(tmp_path, name)
        code, out, err = call_ktape(data, ["create", "namespace", "dev", "--data", str(data)])
        assert code == 0, out + err
        logs.append(_export(data))
    assert logs[0] == logs[1]


_HELD = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: guarded\n  finalizers: [example.com/hold]\n"
         "data: {a: b}\n")


def test_patch_removing_the_last_finalizer_says_patched(tmp_path):
    data = _booted(tmp_path)
    assert call_ktape(data, ["create", "-f", "-"], _HELD)[0] == 0
    assert call_ktape(data, ["delete", "cm", "guarded"])[0] == 0
    code, out, err = call_ktape(data, ["patch", "cm", "guarded", "--type", "merge", "-p", '{"metadata":{"finalizers":null}}'])
    assert (code, out, err) == (0, "configmap/guarded patched\n", "")


def test_unparsable_patch_error_names_the_problem(tmp_path):
    data = _booted(tmp_path)
    code, _out, err = call_ktape(data, ["patch", "ns", "default", "-p", '{"data": '])
    assert code == 1
    # kubectl: error: unable to parse "{\"data\": ": yaml: line 1: did not find expected node content
    assert err.startswith('error: unable to parse "{\\"data\\": ": yaml: line 1: '), err


def test_json_patch_that_is_not_a_list_uses_upstream_wording(tmp_path):
    data = _booted(tmp_path)
    code, _out, err = call_ktape(data, ["patch", "ns", "default", "--type", "json", "-p", '{"op":"add"}'])
    assert (code, err) == (1, "Error from server (BadRequest): json: cannot unmarshal object into Go value of type jsonpatch.Patch\n")


def test_strategic_patch_that_is_not_an_object_uses_upstream_wording(tmp_path):
    data = _booted(tmp_path)
    code, _out, err = call_ktape(data, ["patch", "ns", "default", "-p", "just words"])
    assert (code, err) == (1, "Error from server (BadRequest): json: cannot unmarshal string into Go value of type "
                              "map[string]interface {}\n")


def test_terminating_namespace_has_no_deletion_grace_period(tmp_path):
    data = _booted(tmp_path)
    assert call_ktape(data, ["create", "namespace", "held"])[0] == 0
    assert call_ktape(data, ["create", "-f", "-", "-n", "held"], _HELD)[0] == 0
    assert call_ktape(data, ["delete", "ns", "held"])[0] == 0
    code, out, err = call_ktape(data, ["get", "ns", "held", "-o", "json"])
    meta = json.loads(out)["metadata"]
    assert meta.get("deletionTimestamp") and "deletionGracePeriodSeconds" not in meta


def test_new_replicaset_shows_zero_replicas_in_status(tmp_path):
    data = _booted(tmp_path)
    # The object as the create stored it (the ReplicaSet controller fills status in right after).
    code, out, err = call_ktape(data, ["create", "-f", "manifests/rs-matchlabels.yaml", "-o", "json"])
    assert code == 0 and json.loads(out)["status"] == {"replicas": 0}


def test_new_service_shows_an_empty_load_balancer_status(tmp_path):
    data = _booted(tmp_path)
    code, out, err = call_ktape(data, ["get", "svc", "kubernetes", "-o", "json"])
    assert json.loads(out)["status"] == {"loadBalancer": {}}
