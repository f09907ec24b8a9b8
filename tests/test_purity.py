"""Purity and dependency direction, checked on the source (AST), not by running it.

reducers/, projections/, engine/controllers/ and engine/pipeline/admission/ are pure functions of
their inputs: no clock, randomness, ids, environment, I/O, logging or process hash. They may import
`engine.clock` (pure formatting and parsing of given times) but may not read the wall clock through
any route (`datetime.now`, `time.time`, `uuid4`, ...). reducers/ additionally imports nothing from
the layers above it (engine.log, engine.pipeline, engine.runtime, engine.api, log_tools).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PURE_DIRS = ("reducers", "projections", "engine/controllers", "engine/kubelet_sim", "engine/pipeline/admission")

FORBIDDEN_MODULES = {"time", "datetime", "random", "secrets", "uuid", "os", "lmdb", "logging", "structlog",
                     "socket", "subprocess", "threading", "asyncio"}
# Wall clock, ids, entropy and environment, however they are reached (`datetime.now()`, `dt.datetime.utcnow()`,
# `uuid.uuid4()`, `time.time()`, `os.getenv()`); `X.time()` and `X.choice()` only on the modules themselves.
FORBIDDEN_ATTR_CALLS = {"now", "utcnow", "today", "fromtimestamp_now", "uuid1", "uuid4", "time_ns", "monotonic",
                        "perf_counter", "process_time", "urandom", "getenv", "token_hex", "token_bytes", "randbytes"}
FORBIDDEN_MODULE_CALLS = {("time", "time"), ("time", "localtime"), ("time", "gmtime"), ("random", "random"),
                          ("random", "randint"), ("random", "choice"), ("random", "shuffle"), ("random", "sample")}
FORBIDDEN_NAME_CALLS = {"uuid1", "uuid4", "time_ns", "monotonic", "perf_counter", "urandom", "getenv", "randint"}
FORBIDDEN_BUILTINS = {"hash", "id", "open", "input", "print"}
REDUCER_FORBIDDEN_PREFIXES = ("engine.log", "engine.pipeline", "engine.runtime", "engine.api", "engine.client",
                              "engine.bootstrap", "log_tools", "projections")


def _modules(dirs=PURE_DIRS) -> list[Path]:
    out = []
    for d in dirs:
        out += sorted((REPO / d).rglob("*.py"))
    return out


def _where(path: Path, node: ast.AST, root: Path) -> str:
    return f"{path.relative_to(root)}:{node.lineno}"


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:  # relative imports stay inside the package
            return []
        return [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
    return []


def _call_name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def impurities(path: Path, root: Path = REPO) -> list[str]:
    """`file:line: what` for every forbidden import or call in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        for mod in _imported(node):
            if mod.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{_where(path, node, root)}: imports {mod}")
                break
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in FORBIDDEN_BUILTINS:
                found.append(f"{_where(path, node, root)}: calls builtin {func.id}()")
            elif func.id in FORBIDDEN_NAME_CALLS:
                found.append(f"{_where(path, node, root)}: calls {func.id}()")
        elif isinstance(func, ast.Attribute):
            base = func.value.id if isinstance(func.value, ast.Name) else ""
            if func.attr in FORBIDDEN_ATTR_CALLS or (base, func.attr) in FORBIDDEN_MODULE_CALLS:
                found.append(f"{_where(path, node, root)}: calls {base + '.' if base else '.'}{func.attr}()")
    return found


def upward_imports(path: Path, root: Path = REPO) -> list[str]:
    """`file:line: imports X` for every import of a layer above reducers/."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        for mod in _imported(node):
            if any(mod == p or mod.startswith(p + ".") for p in REDUCER_FORBIDDEN_PREFIXES):
                found.append(f"{_where(path, node, root)}: imports {mod}")
                break
    return found


def test_the_checked_folders_exist():
    assert all((REPO / d).is_dir() for d in PURE_DIRS)
    assert _modules(), "no modules found to check"


def test_pure_layers_read_no_clock_randomness_environment_or_io():
    problems = [p for m in _modules() for p in impurities(m)]
    assert not problems, "impure code in a pure layer:\n" + "\n".join(problems)


def test_reducers_import_nothing_from_the_layers_above():
    problems = [p for m in _modules(("reducers",)) for p in upward_imports(m)]
    assert not problems, "reducers/ must import only engine.model, engine.records, engine.errors, engine.clock, " \
                         "engine.registry and itself:\n" + "\n".join(problems)


def test_the_checker_catches_what_it_should(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os\n"
        "from datetime import datetime\n"
        "import engine.clock\n"
        "from engine.log import eventlog\n"
        "x = hash('a')\n"
        "y = datetime.now()\n"
        "z = uuid.uuid4()\n"
        "t = time.time()\n"
        "w = engine.clock.rfc3339(0)\n"
        "v = obj.time()\n", encoding="utf-8")
    assert impurities(probe, tmp_path) == [
        "probe.py:1: imports os",
        "probe.py:2: imports datetime",
        "probe.py:5: calls builtin hash()",
        "probe.py:6: calls datetime.now()",
        "probe.py:7: calls uuid.uuid4()",
        "probe.py:8: calls time.time()",
    ]
    assert upward_imports(probe, tmp_path) == ["probe.py:4: imports engine.log"]
