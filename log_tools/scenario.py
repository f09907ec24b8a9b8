"""Golden-log scenarios: play a `scenario.yaml` through the `ktape` CLI, in-process, into a fresh log.

A scenario lives in `fixtures/scenarios/<name>/`:

    scenario.yaml     what to run (below)
    log.jsonl         the exported log the run must produce, byte for byte
    expected/         NN-<slug>.txt per `capture` step, and state/<object>.json for the final state
    files/            extra manifests the scenario needs (referenced relative to fixtures/)

`scenario.yaml`:

    description: what the scenario shows
    start: 2026-01-01T00:00:00Z        # virtual start time, given to `ktape init --start-time`
    init: ["--nodes", "2"]             # optional extra `ktape init` flags
    steps:
      - run: apply -f manifests/nginx-deploy.yaml --record
        as: jane                       # optional: --as jane
        groups: [dev]                  # optional: --as-group dev (repeated per group)
        expect: 0                      # optional expected exit code (default 0)
      - advance: 90s                   # `ktape advance 90s`
      - mark: before-label             # remember the current head seq as {{mark:before-label}}
      - capture: get deploy -o json    # run, and keep stdout (+ stderr) as expected/NN-<slug>.txt
        expect: 0
      - run_template: patch cm a --type merge -p '{"metadata":{"ownerReferences":[{"uid":"{{uid:cm/owner}}"}]}}'
      - capture_template: get deploy --at {{mark:before-label}} -o json
      - run: create -f -
        stdin: |                       # optional text fed to the command's stdin (for `-f -`)
          apiVersion: v1
          ...
        name: custom-slug              # optional: the capture file's slug instead of one from the command

Command lines are shlex-split; file paths in them are relative to the repository's `fixtures/`
folder, because every command runs with that folder as its working directory (restored after
each step), so what the log records (`--record`, the `command` parameter) is the text written
here whatever directory the runner is called from. The data folder is passed through
`KTAPE_DATA`, not `--data`, because the CLI records its whole argv and a temporary path would
make the log differ between runs.

`NN` in capture file names is the step's 1-based index, so names stay stable when steps are
added at the end. A capture file holds the command's stdout, then, only when stderr is not
empty, a line `--- stderr ---` and the stderr text.

Templates (`run_template`, `capture_template`, and `stdin` in those steps) substitute, from the
current state (read straight from the store, so nothing is recorded):

    {{uid:TYPE/NAME}}  {{uid:NAMESPACE/TYPE/NAME}}   metadata.uid (namespace `default` when omitted)
    {{rv:TYPE/NAME}}   {{rv:NAMESPACE/TYPE/NAME}}    metadata.resourceVersion
    {{seq}}                                          the head seq now
    {{mark:NAME}}                                    the head seq a `mark` step remembered
    {{owned:TYPE/NAME}}  {{owned:NAMESPACE/TYPE/NAME}}  the name of the first object (by name) the
                                                     object controls (a controller ownerReference
                                                     to its uid) that is not being deleted: "the
                                                     first pod of the RC"; `#N` after the
                                                     reference picks the N-th (0-based) instead,
                                                     e.g. {{owned:rc/frontend#2}}

A step whose exit code differs from `expect` stops the run with a ScenarioError naming the step,
the command and both streams.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import attrs
import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SCENARIOS = FIXTURES / "scenarios"
STDERR_MARK = "--- stderr ---"

_COMMAND_KINDS = ("run", "run_template", "capture", "capture_template")
_STEP_KEYS = frozenset(_COMMAND_KINDS + ("advance", "mark", "as", "groups", "expect", "stdin", "name", "note"))
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z]+)(?::([^}]*))?\s*\}\}")


class ScenarioError(Exception):
    """A scenario that cannot be read, or a step that did not end as the scenario expects."""


@attrs.frozen
class Result:
    exports: list[str]  # the canonical JSON lines of the log, without newlines
    outputs: dict[str, str]  # capture file name (`07-get-deploy-o-json.txt`) -> captured text
    state: dict[str, str]  # `state/apps.deployments.default.nginx-deploy.json` -> pretty JSON

    @property
    def log_text(self) -> str:
        """The log as `log.jsonl` holds it."""
        return "".join(line + "\n" for line in self.exports)


# --- reading scenario.yaml --------------------------------------------------------------------------


def load_scenario(scenario_dir: str | os.PathLike) -> dict:
    path = Path(scenario_dir) / "scenario.yaml"
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list):
        raise ScenarioError(f"{path}: expected a mapping with a `steps` list")
    if "start" not in doc:
        raise ScenarioError(f"{path}: `start` (the virtual start time) is required")
    for i, step in enumerate(doc["steps"], 1):
        if not isinstance(step, dict):
            raise ScenarioError(f"{path}: step {i} is not a mapping")
        unknown = set(step) - _STEP_KEYS
        if unknown:
            raise ScenarioError(f"{path}: step {i} has unknown keys {sorted(unknown)}")
        kinds = [k for k in (*_COMMAND_KINDS, "advance", "mark") if k in step]
        if len(kinds) != 1:
            raise ScenarioError(f"{path}: step {i} needs exactly one of {_COMMAND_KINDS + ('advance', 'mark')}, has {kinds}")
    return doc


def _time_text(value: Any) -> str:
    """`start` as RFC 3339 text (YAML reads an unquoted timestamp as a datetime)."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        value = value.astimezone(_dt.timezone.utc)
        fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ"
        return value.strftime(fmt)
    return str(value)


def slug(text: str, limit: int = 60) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:limit].rstrip("-") or "output"


def capture_name(index: int, step: dict) -> str:
    text = step.get("name") or step.get("capture") or step.get("capture_template") or ""
    return f"{index:02d}-{slug(str(text))}.txt"


# --- running ------------------------------------------------------------------------------------------


def call_ktape(data_dir: str | os.PathLike, argv: list[str], stdin: str | None = None) -> tuple[int, str, str]:
    """`ktape ARGV` in-process on the log in `data_dir`, with cwd = fixtures/ (restored after);
    returns (exit code, stdout, stderr). The data folder goes through KTAPE_DATA (see above)."""
    from log_tools.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd = os.getcwd()
    old_stdin = sys.stdin
    saved_env = {k: os.environ.get(k) for k in ("KTAPE_DATA", "KTAPE_LOG", "KUBECONFIG")}
    os.environ["KTAPE_DATA"] = os.path.abspath(data_dir)
    os.environ.pop("KTAPE_LOG", None)
    os.environ.pop("KUBECONFIG", None)  # the scenario's credentials are the data folder's admin (or its own flags)
    try:
        os.chdir(FIXTURES)
        sys.stdin = io.StringIO(stdin or "")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse usage errors and --help
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin = old_stdin
        os.chdir(old_cwd)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, out.getvalue(), err.getvalue()


@attrs.define
class _Run:
    data_dir: str
    marks: dict[str, int] = attrs.field(factory=dict)

    def call(self, argv: list[str], stdin: str | None = None) -> tuple[int, str, str]:
        return call_ktape(self.data_dir, argv, stdin)

    # --- templates -------------------------------------------------------------------------------

    def head_seq(self) -> int:
        from engine.log import eventlog
        from engine.log.lmdb_store import LmdbStore

        store = LmdbStore(self.data_dir, read_only=True)
        try:
            with store.begin() as txn:
                return eventlog.read_head(txn).seq
        finally:
            store.close()

    def lookup(self, ref: str) -> dict:
        from engine.log import eventlog
        from engine.log.lmdb_store import LmdbStore
        from engine.registry import resolve
        from reducers.keys import object_key

        parts = ref.strip().split("/")
        if len(parts) == 2:
            ns, kind, name = "default", *parts
        elif len(parts) == 3:
            ns, kind, name = parts
        else:
            raise ScenarioError(f"template reference {ref!r}: expected TYPE/NAME or NAMESPACE/TYPE/NAME")
        rt = resolve(kind)
        key = object_key(rt.group, rt.plural, ns if rt.namespaced else "", name)
        store = LmdbStore(self.data_dir, read_only=True)
        try:
            with store.begin() as txn:
                obj = eventlog.get_object(txn, key)
        finally:
            store.close()
        if obj is None:
            raise ScenarioError(f"template reference {ref!r}: no such object in the current state")
        return obj

    def owned(self, ref: str) -> str:
        """`{{owned:REF[#N]}}`: the N-th (by name) live object whose controller is REF."""
        from engine.log import eventlog
        from engine.log.lmdb_store import LmdbStore

        ref, _, index_text = ref.partition("#")
        try:
            index = int(index_text or 0)
        except ValueError:
            raise ScenarioError(f"template reference {ref}#{index_text}: the index after # must be a number") from None
        uid = self.lookup(ref)["metadata"]["uid"]
        store = LmdbStore(self.data_dir, read_only=True)
        try:
            with store.begin() as txn:
                objs = [eventlog.get_object(txn, k) for k in eventlog.dependents(txn, uid)]
        finally:
            store.close()
        names = sorted(
            o["metadata"]["name"] for o in objs
            if o is not None and not o["metadata"].get("deletionTimestamp")
            and any(r.get("uid") == uid and r.get("controller") for r in o["metadata"].get("ownerReferences") or ()))
        if index >= len(names):
            raise ScenarioError(f"template reference {ref!r}: it controls {len(names)} live objects, no #{index}")
        return names[index]

    def substitute(self, text: str) -> str:
        def one(m: re.Match) -> str:
            what, arg = m.group(1), (m.group(2) or "").strip()
            if what == "seq":
                return str(self.head_seq())
            if what == "mark":
                if arg not in self.marks:
                    raise ScenarioError(f"template {m.group(0)}: no `mark: {arg}` step ran before")
                return str(self.marks[arg])
            if what == "uid":
                return self.lookup(arg)["metadata"]["uid"]
            if what == "rv":
                return self.lookup(arg)["metadata"]["resourceVersion"]
            if what == "owned":
                return self.owned(arg)
            raise ScenarioError(f"template {m.group(0)}: unknown placeholder (uid, rv, seq, mark, owned)")

        return _PLACEHOLDER.sub(one, text)


def run_scenario(scenario_dir: str | os.PathLike, data_dir: str | os.PathLike) -> Result:
    """Play the scenario into `data_dir` (which must not hold a log yet) and read back the result."""
    scenario_dir = Path(scenario_dir)
    doc = load_scenario(scenario_dir)
    run = _Run(os.path.abspath(data_dir))
    if os.path.exists(os.path.join(run.data_dir, "data.mdb")):
        raise ScenarioError(f"{run.data_dir} already holds a log; a scenario needs a fresh data folder")
    init = ["init", "--start-time", _time_text(doc["start"]), *[str(a) for a in doc.get("init") or ()]]
    code, out, err = run.call(init)
    if code != 0:
        raise ScenarioError(f"{scenario_dir.name}: `ktape {shlex.join(init)}` exited {code}\n{out}{err}")
    outputs: dict[str, str] = {}
    for index, step in enumerate(doc["steps"], 1):
        if "mark" in step:
            run.marks[str(step["mark"])] = run.head_seq()
            continue
        templated = "run_template" in step or "capture_template" in step
        if "advance" in step:
            command = f"advance {step['advance']}"
        else:
            command = str(next(step[k] for k in _COMMAND_KINDS if k in step))
        stdin = step.get("stdin")
        if templated:
            command = run.substitute(command)
            stdin = run.substitute(stdin) if stdin is not None else None
        argv = shlex.split(command)
        if step.get("as"):
            argv += ["--as", str(step["as"])]
        for g in step.get("groups") or ():
            argv += ["--as-group", str(g)]
        code, out, err = run.call(argv, stdin)
        want = int(step.get("expect", 0))
        if code != want:
            raise ScenarioError(
                f"{scenario_dir.name} step {index}: `ktape {shlex.join(argv)}` exited {code}, expected {want}\n"
                f"--- stdout ---\n{out}{STDERR_MARK}\n{err}")
        if "capture" in step or "capture_template" in step:
            outputs[capture_name(index, step)] = out + (f"{STDERR_MARK}\n{err}" if err else "")
    exports, state = read_back(run.data_dir)
    return Result(exports=exports, outputs=outputs, state=state)


def read_back(data_dir: str | os.PathLike) -> tuple[list[str], dict[str, str]]:
    """The exported lines and the rendered state of the log in `data_dir` (opened read-only)."""
    from engine.api import Cluster
    from engine.log.transfer import export_lines

    cluster = Cluster.open(str(data_dir), read_only=True)
    try:
        with cluster.store.begin() as txn:
            exports = list(export_lines(txn))
        return exports, render_state(cluster)
    finally:
        cluster.close()


# --- state ------------------------------------------------------------------------------------------


def state_file_name(key: bytes) -> str:
    """`state/apps.deployments.default.nginx-deploy.json`; the core group is `core`, and
    cluster-scoped objects have no namespace part (`state/core.namespaces.dev.json`)."""
    from reducers.keys import split_key

    group, resource, namespace, name = split_key(key)
    parts = [group or "core", resource] + ([namespace] if namespace else []) + [name]
    return "state/" + ".".join(parts) + ".json"


def render_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_state(cluster) -> dict[str, str]:
    """Every object of the materialized state as pretty JSON (sorted keys, 2-space indent), by file name."""
    from engine.codec import unpack

    out: dict[str, str] = {}
    with cluster.store.begin() as txn:
        for k, v in txn.scan("objects"):
            name = state_file_name(bytes(k))
            if name in out:
                raise ScenarioError(f"two objects render to the same file {name}")
            out[name] = render_json(unpack(bytes(v)))
    return dict(sorted(out.items()))


# --- golden files -------------------------------------------------------------------------------------


def golden_files(result: Result) -> dict[str, str]:
    """Every golden file of a scenario (paths relative to its folder) -> content."""
    files = {"log.jsonl": result.log_text}
    files.update({f"expected/{name}": text for name, text in result.outputs.items()})
    files.update({f"expected/{name}": text for name, text in result.state.items()})
    return files


def write_golden(scenario_dir: str | os.PathLike, result: Result) -> None:
    """Rewrite log.jsonl and expected/, removing stale expected files. Each file is replaced
    atomically, so two processes writing the same result (pytest -n) cannot tear a file."""
    scenario_dir = Path(scenario_dir)
    files = golden_files(result)
    expected = scenario_dir / "expected"
    if expected.exists():
        for old in sorted(expected.rglob("*"), reverse=True):
            rel = old.relative_to(scenario_dir).as_posix()
            if old.is_file() and rel not in files:
                old.unlink(missing_ok=True)
            elif old.is_dir() and not any(old.iterdir()):
                old.rmdir()
    for rel, text in files.items():
        path = scenario_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, path)


def scenario_dirs() -> list[Path]:
    if not SCENARIOS.is_dir():
        return []
    return sorted(p for p in SCENARIOS.iterdir() if (p / "scenario.yaml").is_file())


def main(argv: list[str] | None = None) -> int:
    """`python -m log_tools.scenario DIR DATA [--write]`: play one scenario, optionally rewrite its goldens."""
    args = list(sys.argv[1:] if argv is None else argv)
    write = "--write" in args
    args = [a for a in args if a != "--write"]
    if len(args) != 2:
        print("usage: python -m log_tools.scenario SCENARIO_DIR DATA_DIR [--write]", file=sys.stderr)
        return 2
    result = run_scenario(args[0], args[1])
    if write:
        write_golden(args[0], result)
    sys.stdout.write(result.log_text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
