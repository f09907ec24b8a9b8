"""The same scenario gives the same log, byte for byte, whatever the hash seed or the folder.

seed-foundation is played twice, in two fresh temporary folders, by two Python processes with
different PYTHONHASHSEED values (set iteration order, str hashes); both exports must be equal to
each other and to the committed golden log.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from log_tools.scenario import SCENARIOS

SCENARIO = SCENARIOS / "seed-foundation"
REPO = Path(__file__).resolve().parent.parent

_PLAY = (
    "import sys\n"
    "from log_tools.scenario import run_scenario\n"
    "result = run_scenario(sys.argv[1], sys.argv[2])\n"
    "open(sys.argv[3], 'w', encoding='utf-8', newline='').write(result.log_text)\n"
)


def _play(hash_seed: str, work: Path) -> str:
    work.mkdir()
    out = work / "export.jsonl"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    env.pop("KTAPE_DATA", None)
    env.pop("KTAPE_LOG", None)
    proc = subprocess.run([sys.executable, "-c", _PLAY, str(SCENARIO), str(work / "data"), str(out)],
                          cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"PYTHONHASHSEED={hash_seed}: the scenario failed\n{proc.stdout}{proc.stderr}"
    return out.read_bytes().decode("utf-8")


def test_two_processes_with_different_hash_seeds_write_the_same_log(tmp_path):
    first = _play("1", tmp_path / "seed-1")
    second = _play("12345", tmp_path / "seed-12345")
    assert first, "the scenario exported nothing"
    if first != second:
        a, b = first.splitlines(), second.splitlines()
        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        pytest.fail(f"the logs differ from line {i + 1}:\n  seed 1:     {a[i][:400] if i < len(a) else '<end>'}\n"
                    f"  seed 12345: {b[i][:400] if i < len(b) else '<end>'}", pytrace=False)
    golden = SCENARIO / "log.jsonl"
    if not golden.is_file():
        pytest.fail(f"{golden} is missing: run `pytest tests/golden --update-golden`", pytrace=False)
    assert first == golden.read_bytes().decode("utf-8"), (
        f"the export differs from the committed {golden.relative_to(REPO)} (tests/golden shows where)")
