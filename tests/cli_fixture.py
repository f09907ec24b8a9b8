"""The `k` fixture: the real `ktape` CLI (log_tools.cli.main) in-process on a fresh data folder.

`k(*argv, code=0)` runs one command with `--data` appended, asserts its exit code and returns
(stdout, stderr); `k.data` is the folder, `k.tmp` the test's temp folder.
"""

import pytest

from log_tools.cli import main


def cli(tmp_path, capsys, *init_args: str):
    """The runner behind `k`, for fixtures that boot the folder differently (`init_args`)."""
    data = str(tmp_path / "data")
    assert main(["init", "--start-time", "2026-01-01T00:00:00Z", *init_args, "--data", data]) == 0
    capsys.readouterr()

    def run(*argv, code=0):
        rc = main(list(argv) + ["--data", data])
        out = capsys.readouterr()
        assert rc == code, (argv, out.out, out.err)
        return out.out, out.err

    run.data, run.tmp = data, str(tmp_path)
    return run


@pytest.fixture
def k(tmp_path, capsys):
    return cli(tmp_path, capsys)
