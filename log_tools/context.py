"""What every command shares: the data folder, the opened cluster, who is asking, and `--at`.

A data folder without a log is booted on first use (wall clock read once and recorded), as
kubeadm would bring up a cluster; `ktape init` does the same with explicit options.
"""

from __future__ import annotations

import shlex
import sys
import time

from engine.api import Cluster, data_dir
from engine.clock import parse_time
from engine.client import ADMIN, Client
from engine.errors import StatusError
from engine.log import eventlog
from log_tools.manifests import client_error


class Ctx:
    def __init__(self, args, argv: list[str]):
        self.args = args
        self.argv = argv
        self.data = data_dir(getattr(args, "data", None))
        self._store_arg = getattr(args, "store", None)
        self.read_only = bool(getattr(args, "read_only", False))
        self._cluster: Cluster | None = None
        self.out = sys.stdout
        self.err = sys.stderr

    # --- the cluster ---------------------------------------------------------------------------

    @property
    def store_spec(self) -> str | None:
        """`--store` / $KTAPE_STORE: None for the LMDB log in --data, else an etcd:// URL."""
        from engine.log.stores import store_spec

        return store_spec(self._store_arg)

    @property
    def where(self) -> str:
        """Where the log lives, for messages: the data folder or the etcd URL."""
        return self.store_spec or self.data

    def open_cluster(self, *, read_only: bool = False) -> Cluster:
        return Cluster.open_store(self.store_spec, self.data, read_only=read_only)

    def cluster(self, *, must_exist: bool = False, boot: bool = True) -> Cluster:
        if self._cluster is None:
            import os

            if self.store_spec is None:
                exists = os.path.exists(os.path.join(self.data, "data.mdb"))
                if must_exist and not exists:
                    raise client_error(f"no kubetape log in {self.data} (run `ktape init` or pass --data DIR)")
                if self.read_only and not exists:
                    raise client_error(f"no kubetape log in {self.data} to open read-only")
            self._cluster = self.open_cluster(read_only=self.read_only)
            if not self._cluster.initialized:
                if self.read_only or not boot or must_exist:
                    raise client_error(f"no kubetape log in {self.where}")
                from engine.bootstrap import InitOptions, init

                init(self._cluster, InitOptions(start_time=int(time.time()) * 1_000_000))
            else:
                self._cluster.catch_up()
        return self._cluster

    def close(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    # --- who is asking ---------------------------------------------------------------------------

    def client(self, command: str | None = None) -> Client:
        return Client(self.cluster(), ADMIN, as_user=getattr(self.args, "as_user", None),
                      as_groups=tuple(getattr(self.args, "as_group", None) or ()),
                      command=command if command is not None else self.command_line())

    def command_line(self) -> str:
        """The command as recorded in the log: where the log lives (--data) and how the CLI runs
        (--debug, --read-only) are not part of the request, so the same commands give the same
        log in any folder."""
        return "ktape " + " ".join(shlex.quote(a) for a in _strip_local_flags(self.argv))

    @property
    def namespace(self) -> str:
        return getattr(self.args, "namespace", None) or "default"

    @property
    def all_namespaces(self) -> bool:
        return bool(getattr(self.args, "all_namespaces", False))

    # --- time travel ---------------------------------------------------------------------------

    def at_seq(self) -> int | None:
        value = getattr(self.args, "at", None)
        return None if value is None else self.resolve_moment(value)

    def resolve_moment(self, value: str) -> int:
        """`--at SEQ` or `--at TIME` (RFC 3339) to a seq of this log."""
        cluster = self.cluster(boot=False)
        head = cluster.head()
        if value.isdigit():
            seq = int(value)
            if not 1 <= seq <= head.seq:
                raise client_error(f"--at {value}: the log holds seqs 1 to {head.seq}")
            return seq
        try:
            at = parse_time(value)
        except ValueError as exc:
            raise client_error(f"--at: {exc}") from None
        with cluster.store.begin() as txn:
            seq = eventlog.seq_at_time(txn, at)
        if seq == 0:
            raise client_error(f"--at {value}: the log starts later")
        return seq

    def now_unix(self, seq: int | None = None) -> float:
        """Virtual time (seconds) at the head, or at `seq` for time-travel reads (for AGE columns)."""
        cluster = self.cluster(boot=False)
        if seq is None:
            return cluster.head().at / 1_000_000
        with cluster.store.begin() as txn:
            e = eventlog.read_entry(txn, seq)
        return (e.at if e else cluster.head().at) / 1_000_000


_LOCAL_VALUE_FLAGS = ("--data", "--store")
_LOCAL_BOOL_FLAGS = ("--debug", "--read-only")


def _strip_local_flags(argv: list[str]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in _LOCAL_VALUE_FLAGS:
            skip = True
            continue
        if a.split("=", 1)[0] in _LOCAL_VALUE_FLAGS or a in _LOCAL_BOOL_FLAGS:
            continue
        out.append(a)
    return out


def fail(err: StatusError) -> None:
    raise err
