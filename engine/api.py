"""The engine's Python API: open a log, submit requests, move the clock, read state.

A user request commits in its own durable transaction, then the runtime settles the
controllers' consequences in one batched transaction. `meta/settled` remembers how far the
actors have seen, so a process killed between the two catches up on the next open.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterable, Iterator

from engine.codec import pack, unpack
from engine.log import eventlog
from engine import logsetup
from engine.log.kv import Conflict, Store, StoreError
from engine.log.lmdb_store import LmdbStore
from engine.log.memory_store import MemoryStore
from engine.pipeline.handler import RequestPath, Response
from engine.records import Request
from engine.runtime.loop import Runtime, clock_request
from engine.view import View

MAX_CONFLICTS = 1000


def default_actors() -> list:
    """Every actor of a cluster, in the order they are offered work (upstream's top-down order:
    owners before what they own, then scheduling, then the nodes). The order is part of the log's
    determinism: changing it changes which request comes first at a given moment."""
    from engine.controllers.clusterrole_aggregation import ClusterRoleAggregationController
    from engine.controllers.cronjob import CronJobController
    from engine.controllers.daemonset import DaemonSetController
    from engine.controllers.deployment import DeploymentController
    from engine.controllers.endpoints import (EndpointsController, EndpointSliceController,
                                              EndpointSliceMirroringController, ServiceLBController)
    from engine.controllers.garbage_collector import GarbageCollector
    from engine.controllers.hpa import HorizontalPodAutoscalerController
    from engine.controllers.job import JobController, TTLAfterFinishedController
    from engine.controllers.namespace import NamespaceController
    from engine.controllers.nodeipam import NodeIPAMController
    from engine.controllers.podgc import PodGarbageCollector
    from engine.controllers.replicaset import ReplicaSetController, ReplicationManager
    from engine.controllers.resourcequota import ResourceQuotaController
    from engine.controllers.pv_binder import VolumeBinder
    from engine.controllers.scheduler import Scheduler
    from engine.controllers.serviceaccount import ServiceAccountsController
    from engine.controllers.statefulset import StatefulSetController
    from engine.kubelet_sim import Kubelet, NodeMonitor
    from engine.kubelet_sim.eviction import EvictionManager

    return [ClusterRoleAggregationController(), GarbageCollector(), NamespaceController(), ServiceAccountsController(), ResourceQuotaController(), HorizontalPodAutoscalerController(), DeploymentController(), ReplicaSetController(),
            ReplicationManager(), StatefulSetController(), VolumeBinder(), DaemonSetController(), CronJobController(), JobController(),
            TTLAfterFinishedController(), EndpointsController(), EndpointSliceController(), EndpointSliceMirroringController(),
            ServiceLBController(),
            NodeIPAMController(), PodGarbageCollector(), Scheduler(), NodeMonitor(), Kubelet(), EvictionManager()]


class Cluster:
    """One cluster: a store holding its log, the request path and the actors."""

    def __init__(self, store: Store, *, read_only: bool = False, actors: Iterable | None = None):
        self.store = store
        self.read_only = read_only
        self.path = RequestPath()
        self.runtime = Runtime(default_actors() if actors is None else actors)

    # --- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str, *, read_only: bool = False, durable: bool = True, actors=None) -> "Cluster":
        return cls(_with_keyring(LmdbStore(path, read_only=read_only, durable=durable), path), read_only=read_only, actors=actors)

    @classmethod
    def open_store(cls, spec: str | None, data: str, *, read_only: bool = False, actors=None) -> "Cluster":
        """`spec` None: the LMDB log in `data`; `etcd://...`: the log on etcd, cached under `data`."""
        from engine.log.stores import open_store

        return cls(_with_keyring(open_store(spec, data, read_only=read_only), data), read_only=read_only, actors=actors)

    @classmethod
    def memory(cls, actors=None, keyring=None) -> "Cluster":
        store = MemoryStore()
        store.keyring = keyring
        return cls(store, actors=actors)

    def close(self) -> None:
        self.store.close()

    @property
    def initialized(self) -> bool:
        return self.head().seq > 0

    # --- state ---------------------------------------------------------------------------------

    def head(self) -> eventlog.Head:
        with self.store.begin() as txn:
            return eventlog.read_head(txn)

    @contextmanager
    def view(self) -> Iterator[View]:
        with self.store.begin() as txn:
            head = eventlog.read_head(txn)
            yield View(txn, head.at, head.seq)

    # --- requests ------------------------------------------------------------------------------

    def submit(self, req: Request) -> Response:
        """Handle one request durably, with the controllers' reactions in the same commit."""
        if self.read_only:
            with self.store.begin() as txn:
                resp, _ = self.path.handle(txn, eventlog.read_head(txn), req, record=False)
            return resp
        return self.submit_group([req])[0]

    def submit_group(self, reqs: list[Request]) -> list[Response]:
        """Requests from many clients handled in order in one durable transaction (group commit,
        for `ktape serve`), each answered only after the commit.

        The actors settle in that same transaction: one commit (one fsync, one etcd transaction)
        per group instead of two, and an acknowledged write is never durable without what its
        controllers decided at that moment. A log left unsettled by a killed process is settled
        first, in its own transactions (`settle`), so a group never carries someone else's backlog."""
        def once(txn):
            head = eventlog.read_head(txn)
            was_settled = self._settled(txn) == head.seq
            out = []
            for req in reqs:
                resp, head = self.path.handle(txn, head, req)
                out.append(resp)
            if was_settled:
                queue = self.runtime.seed(out)
                if queue:
                    head, _more = self.runtime.settle(txn, head, self.path, queue)
                txn.put("meta", b"settled", pack(head.seq))
            return out, was_settled

        out, was_settled = self._write(once)
        for resp in out:
            self._log(resp)
        if not was_settled:
            self.settle([r for r in out if r.entry is not None and r.entry.changed])
        return out

    def submit_batch(self, reqs: Iterable[Request], settle: bool = True) -> list[Response]:
        """Many requests in one transaction (imports, bulk loads): one commit, one sync."""
        if self.read_only:
            raise StoreError("the log is open read-only")
        reqs = list(reqs)
        out: list[Response] = []
        for _attempt in range(MAX_CONFLICTS):
            part: list[Response] = []
            try:
                with self.store.begin(write=True) as txn:
                    head = eventlog.read_head(txn)
                    for req in reqs[len(out):]:
                        resp, head = self.path.handle(txn, head, req)
                        part.append(resp)
            except Conflict as c:  # decided again after the winner; keep what did land
                if c.committed is not None:
                    out += [r for r in part if r.entry is not None and r.entry.seq <= c.committed]
                continue
            out += part
            break
        else:
            raise StoreError(f"gave up after {MAX_CONFLICTS} write conflicts")
        if settle:
            self.settle([r for r in out if r.entry is not None and r.entry.changed])
        return out

    def settle(self, responses: list[Response] | None = None) -> list[Response]:
        """Run the actors to a fixed point at the current time, in one batched transaction."""
        if self.read_only:
            return []
        def once(txn):
            head = eventlog.read_head(txn)
            settled = self._settled(txn)
            first = responses[0].entry.seq if responses and responses[0].entry is not None else head.seq + 1
            if settled >= first - 1:
                queue = self.runtime.seed(responses or [])
            else:  # a backlog a killed process left unsettled comes first (it includes `responses`)
                queue = self.runtime.seed(self._replayed_responses(txn, settled, head.seq))
            head, out = self.runtime.settle(txn, head, self.path, queue)
            txn.put("meta", b"settled", pack(head.seq))
            return out

        try:
            return self._write(once, retry=False)
        except Conflict:  # another writer came first: settle everything past the marker
            responses = None
            return self._write(once)

    def _write(self, once, retry: bool = True):
        """`once(txn)` in a write transaction. On a shared log (etcd) a transaction that lost the
        race for its seq is decided again against the state that won (never appended twice)."""
        for _attempt in range(MAX_CONFLICTS if retry else 1):
            try:
                with self.store.begin(write=True) as txn:
                    return once(txn)
            except Conflict:
                if not retry:
                    raise
        raise StoreError(f"gave up after {MAX_CONFLICTS} write conflicts")

    def catch_up(self) -> None:
        """Settle entries a killed process appended but never settled."""
        if self.read_only:
            return
        with self.store.begin() as txn:
            behind = self._settled(txn) < eventlog.read_head(txn).seq
        if behind:
            self.settle()

    @staticmethod
    def _settled(txn) -> int:
        raw = txn.get("meta", b"settled")
        return unpack(raw) if raw is not None else 0

    @staticmethod
    def _replayed_responses(txn, after: int, upto: int) -> list[Response]:
        out = []
        for e in eventlog.scan_entries(txn, after + 1, upto):
            if e.changed:
                from reducers.keys import entry_key

                key = entry_key(e)
                obj = eventlog.get_object(txn, key) if key else None
                if obj is None and key is not None:
                    from projections.timetravel import object_at

                    obj = object_at(txn, key, e.seq - 1)
                out.append(Response(e, obj))
        return out

    def advance(self, by_us: int, user: str = "system:kubetape:clock") -> list[Response]:
        """Move the virtual clock forward, running due work in time order on the way."""
        if by_us < 0:
            raise ValueError("the clock only moves forward")
        return self.advance_to(self.head().at + by_us, user, always=True)

    def advance_to(self, target: int, user: str = "system:kubetape:clock", *, always: bool = False) -> list[Response]:
        """Bring the clock to `target` (µs), running due work in time order on the way.

        Each step reads the head inside its transaction, so a clock another writer already moved
        to `target` (`ktape advance` in another process while `ktape serve` follows the wall
        clock) is left alone, nothing written, instead of being pushed a second further.
        `always` records a clock entry even when there is nothing to move (`ktape advance 0s`)."""
        out: list[Response] = []
        while True:
            def once(txn):
                head = eventlog.read_head(txn)
                due_at = self.runtime.next_due(txn)
                step_to = due_at if due_at is not None and due_at <= target else target
                if not always and head.at >= step_to and (due_at is None or due_at > head.at):
                    return target, []
                req = clock_request(max(step_to, head.at))
                resp, head = self.path.handle(txn, head, Request(**{**_fields(req), "user": user}))
                got = [resp]
                queue = self.runtime.seed([])
                for name, key in self.runtime.pop_due(txn, head.at):
                    queue[(name, key)] = None
                head, more = self.runtime.settle(txn, head, self.path, queue)
                txn.put("meta", b"settled", pack(head.seq))
                return step_to, got + more

            step_to, got = self._write(once)
            out += got
            if step_to >= target:
                return out

    def _log(self, resp: Response) -> None:
        e = resp.entry
        if e is None:
            return
        r = e.request
        logsetup.debug("kubetape", "request", seq=e.seq, user=r.user, verb=r.verb, resource=r.resource, namespace=r.namespace,
                  name=r.name, code=resp.code)


def _with_keyring(store: Store, data: str) -> Store:
    """Encryption at rest: the data folder's keys (`DATA/encryption/`) live beside the log, never in it."""
    if os.path.isdir(os.path.join(data, "encryption")):
        from engine.crypto.keyring import load_keyring

        store.keyring = load_keyring(data)  # type: ignore[attr-defined]
    return store


def _fields(req: Request) -> dict:
    import attrs

    return attrs.asdict(req, recurse=False)


def data_dir(explicit: str | None = None) -> str:
    return explicit or os.environ.get("KTAPE_DATA") or os.path.join(os.getcwd(), ".ktape")
