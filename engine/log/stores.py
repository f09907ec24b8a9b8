"""Which store a command opens: the LMDB folder (default) or a log on etcd (`--store etcd://...`).

`--store` (or `$KTAPE_STORE`) names where the log lives; `--data` stays the local folder. With
etcd, that folder holds only the local cache (an LMDB copy of the log with its materialized
state and indexes, rebuildable from etcd), one per etcd prefix under `etcd-cache/`, so a CLI
command does not replay the whole log each time it starts.
"""

from __future__ import annotations

import hashlib
import os
import re

from engine.log.kv import Store, StoreError


def store_spec(explicit: str | None = None) -> str | None:
    """The `--store` value in force (None: the LMDB log in the data folder)."""
    spec = explicit or os.environ.get("KTAPE_STORE") or None
    if spec in (None, "", "lmdb"):
        return None
    if not spec.startswith("etcd://"):
        raise StoreError(f"--store {spec}: expected etcd://HOST:PORT[,HOST:PORT...][/prefix] (or lmdb)")
    return spec


def cache_dir(data: str, spec: str) -> str:
    from engine.log.etcd_store import parse_url

    _, prefix = parse_url(spec)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", prefix.strip("/")) or "root"
    return os.path.join(data, "etcd-cache", f"{slug}-{hashlib.sha256(prefix.encode()).hexdigest()[:8]}")


def open_store(spec: str | None, data: str, *, read_only: bool = False, durable: bool = True) -> Store:
    if spec is None:
        from engine.log.lmdb_store import LmdbStore

        return LmdbStore(data, read_only=read_only, durable=durable)
    from engine.log.etcd_store import EtcdStore

    return EtcdStore(spec, cache_dir=cache_dir(data, spec), read_only=read_only)
