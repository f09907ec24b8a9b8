"""A read view of current state inside one transaction, for admission, decide and controllers.

Reads go to the materialized `objects` table, so their cost follows the objects asked for, not
the length of the log.
"""

from __future__ import annotations

from typing import Iterator

from engine.log import eventlog
from engine.log.kv import Txn
from reducers.keys import collection_prefix, object_key, split_key


class View:
    def __init__(self, txn: Txn, now: int = 0, seq: int = 0):
        self.txn = txn
        self.now = now
        self.seq = seq

    def get(self, group: str, resource: str, namespace: str, name: str) -> dict | None:
        return eventlog.get_object(self.txn, object_key(group, resource, namespace, name))

    def get_key(self, key: bytes) -> dict | None:
        return eventlog.get_object(self.txn, key)

    def list(self, group: str, resource: str, namespace: str | None = None) -> list[dict]:
        return [o for _k, o in eventlog.scan_objects(self.txn, collection_prefix(group, resource, namespace))]

    def items(self, group: str, resource: str, namespace: str | None = None) -> Iterator[tuple[bytes, dict]]:
        return eventlog.scan_objects(self.txn, collection_prefix(group, resource, namespace))

    def dependents(self, owner_uid: str) -> list[tuple[tuple[str, str, str, str], dict]]:
        out = []
        for key in eventlog.dependents(self.txn, owner_uid):
            obj = eventlog.get_object(self.txn, key)
            if obj is not None:
                out.append((split_key(key), obj))
        return out

    def pods_on_node(self, node: str) -> list[dict]:
        """The pods whose spec.nodeName is `node` ("": not bound yet), in key order, from `idx_node`."""
        out = []
        for key, _facts in eventlog.pods_on_node(self.txn, node):
            obj = eventlog.get_object(self.txn, key)
            if obj is not None:
                out.append(obj)
        return out

    def raw_pods_on_node(self, node: str) -> list[tuple[bytes, bytes]]:
        """(object key, stored bytes) of the pods whose spec.nodeName is `node`, in key order."""
        out = []
        for key, _facts in eventlog.pods_on_node(self.txn, node):
            raw = self.txn.get("objects", key)
            if raw is not None:
                out.append((key, bytes(raw)))
        return out

    def cluster(self) -> dict:
        """The recorded cluster settings object (config.kubetape.io/clusters/cluster)."""
        return self.get("config.kubetape.io", "clusters", "", "cluster") or {}
