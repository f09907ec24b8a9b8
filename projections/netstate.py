"""Reads for the network projections (DNS, kube-proxy): current state or state as of a seq.

CoreDNS and kube-proxy watch the API; their answers are functions of state, so reading it does
not go through the request path (a DNS query is not an API request and records nothing). With a
seq, objects come from the version history (`timetravel`), so `--at` answers as of that moment.
"""

from __future__ import annotations

from engine.log import eventlog
from engine.log.kv import Txn
from projections import timetravel
from reducers.keys import collection_prefix, object_key


class StateReader:
    def __init__(self, txn: Txn, seq: int | None = None):
        self.txn, self.seq = txn, seq

    def get(self, group: str, resource: str, namespace: str, name: str) -> dict | None:
        key = object_key(group, resource, namespace, name)
        if self.seq is None:
            return eventlog.get_object(self.txn, key)
        return timetravel.object_at(self.txn, key, self.seq)

    def list(self, group: str, resource: str, namespace: str | None) -> list[dict]:
        prefix = collection_prefix(group, resource, namespace)
        if self.seq is None:
            return [o for _k, o in eventlog.scan_objects(self.txn, prefix)]
        return [o for _k, o in timetravel.list_at(self.txn, prefix, self.seq)]

    def holder(self, row: bytes) -> dict | None:
        """The Service holding an allocator row (`idx_alloc`) now, or at the seq (then by a scan)."""
        if self.seq is None:
            key = self.txn.get("idx_alloc", row)
            return None if key is None else eventlog.get_object(self.txn, bytes(key))
        from reducers.services import alloc_rows

        for svc in self.list("", "services", None):
            if row in alloc_rows(svc):
                return svc
        return None

    def cluster(self) -> dict:
        return self.get("config.kubetape.io", "clusters", "", "cluster") or {}

    def slices_of(self, svc: dict) -> list[dict]:
        name = svc["metadata"]["name"]
        return [s for s in self.list("discovery.k8s.io", "endpointslices", svc["metadata"].get("namespace", ""))
                if ((s.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/service-name") == name]
