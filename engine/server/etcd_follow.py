"""`ktape serve --store etcd://...`: several servers on one log, controllers in one of them.

Each server appends its clients' requests to the shared log (EtcdStore: a commit that loses the
race for its seq is decided again against the state that won). What this module adds, all of
it run on the server's one engine thread (EngineWorker calls `step()` before each commit group
and on each tick), so the cache, the runtime and the request path are never touched by two
threads at once:

- Following: `step()` folds every entry other processes appended into the local cache
  (EtcdStore.sync, one etcd range read), so reads, watches and decisions see them.
- Controllers: a background thread campaigns for the controller lease (LeaderElector,
  kube-controller-manager's pattern); the engine thread only looks at `elector.is_leader()`
  and hands the Cluster its actors (ControllerLeadership.started: settle the backlog after the
  `settled` marker the previous leader left in etcd, holding `<prefix>/catching-up` meanwhile
  so that the other servers' appends wait) or takes them away (ControllerLeadership.stopped). A
  server without the lease appends users' requests only.
- The clock: only the lease holder moves the virtual clock (wall mode). Two servers ticking
  would each write clock records for the same second, and the loser, decided again, would
  write another; with one ticker the clock stays monotonic and records stay one per second of
  due work. A server without the lease stamps its clients' requests with the time of the head
  (the leader's last clock record). While no server holds the lease (a failover), the clock and
  the controllers pause together and resume, level-triggered, under the next holder.
"""

from __future__ import annotations

import sys
import threading
import time

from engine.log.etcd_lease import ControllerLeadership, LeaderElector


CATCH_UP_STEP = 50  # entries of backlog settled per transaction by a new lease holder
CATCH_UP_TTL = 2  # s: how long a dead leader's `catching-up` key can hold the other servers' appends


def _noop() -> None:
    pass


class EtcdFollower:
    def __init__(self, cluster, url: str, *, identity: str | None = None, ttl: int = 15,
                 renew_deadline: float = 10.0, retry_period: float = 2.0):
        from engine.runtime.loop import Runtime

        self.cluster = cluster
        self.elector = LeaderElector(url, identity=identity, ttl=ttl, renew_deadline=renew_deadline,
                                     retry_period=retry_period)
        self.leadership = ControllerLeadership(cluster, self.elector)
        cluster.runtime = Runtime([])  # no controllers until the lease says so
        cluster.store.yield_to_catch_up = True  # step aside while a new leader catches up (`_catch_up`)
        self._stop = threading.Event()
        self._published = 0  # the settled seq this server last wrote to etcd
        # The election thread only talks to etcd; the engine thread acts on what it finds.
        self._thread = threading.Thread(target=self.elector.run, args=(_noop, _noop, self._stop),
                                        name="controller-leader-election", daemon=True)

    @property
    def identity(self) -> str:
        return self.elector.identity

    @property
    def leading(self) -> bool:
        """The controllers run here now."""
        return self.leadership.leading.is_set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Call after the engine thread stopped: releases the lease so another server takes over at once."""
        self._stop.set()
        self._thread.join(10)
        self.elector.conn.close()

    def step(self) -> None:
        """On the engine thread: give up or take the controllers, and follow the log."""
        want = self.elector.is_leader()
        if self.leading and not want:
            self.leadership.stopped()  # before anything else is decided here
            _say(f"lost the controller lease ({self.identity}): controllers stopped")
        if want and not self.leading:
            _say(f"acquired the controller lease ({self.identity}): settling from the shared marker")
            self._take_over()
            _say(f"controllers running (head seq {self.cluster.head().seq})")
        else:
            self.cluster.store.sync()
            if self.leading:
                self._catch_up()
        if self.leading:
            self._publish_settled()

    def _take_over(self) -> None:
        """ControllerLeadership.take_over, with the backlog settled in steps (`_catch_up`)."""
        self.leadership.take_over()
        self._catch_up()

    def _catch_up(self) -> None:
        """Settle the entries after the `settled` marker CATCH_UP_STEP at a time. One settle of the
        whole backlog (Cluster.catch_up) is a long transaction: while it runs the other servers
        keep appending, its commit loses the seq, and it starts over, again and again (it stalled
        this server's engine thread past 30 s in the failover test). A step is short; one that
        loses is redone alone, and the marker moves forward with each step that lands. The
        controllers are level-triggered, so the marker may safely lag what they already did."""
        from engine.api import Cluster
        from engine.codec import pack
        from engine.log import eventlog

        cluster = self.cluster

        def once(txn):
            head = eventlog.read_head(txn)
            settled = Cluster._settled(txn)
            if settled >= head.seq:
                return True
            stop = min(settled + CATCH_UP_STEP, head.seq)
            queue = cluster.runtime.seed(Cluster._replayed_responses(txn, settled, stop))
            end, _ = cluster.runtime.settle(txn, head, cluster.path, queue)
            # entries the controllers just appended are settled (the fixpoint); others' are not yet
            txn.put("meta", b"settled", pack(end.seq if stop == head.seq else stop))
            return stop == head.seq

        hold = self._hold_log(cluster)
        try:
            for _ in range(100_000):
                if hold is not None:
                    hold = self._keep_holding(cluster, hold)
                if cluster._write(once):
                    if not cluster.store.sync():
                        return
        finally:
            if hold is not None:
                self._release_log(cluster, hold[0])

    def _hold_log(self, cluster) -> tuple[int, float] | None:
        """Before a backlog longer than one step: the `catching-up` key, which the other servers'
        appends require to be absent, on a lease of its own of CATCH_UP_TTL seconds renewed while
        the catch-up runs (so a leader that dies holding it holds the others up that long at
        most). Without it a busy log outruns the catch-up: every step loses its seq to the
        others' short appends and starts over (the failover test's unpaced clients did that).
        Returns (lease id, when it was last renewed), or None when there is no need."""
        from engine.api import Cluster
        from engine.log import eventlog
        from engine.log.etcd_store import _b64

        store = cluster.store
        with store.begin() as t:
            behind = eventlog.read_head(t).seq - Cluster._settled(t)
        if behind <= CATCH_UP_STEP:
            return None
        started = time.monotonic()
        lease = int(store.conn.call("lease/grant", {"TTL": CATCH_UP_TTL})["ID"])
        store.conn.call("kv/put", {"key": _b64(store.catch_up_key), "value": _b64(self.identity.encode()), "lease": str(lease)})
        store.exclusive = True
        return lease, started

    def _keep_holding(self, cluster, hold: tuple[int, float]) -> tuple[int, float] | None:
        lease, renewed = hold
        if time.monotonic() - renewed < CATCH_UP_TTL / 3:
            return hold
        started = time.monotonic()
        r = cluster.store.conn.call("lease/keepalive", {"ID": lease})
        if int((r.get("result") or {}).get("TTL", -1)) > 0:
            return lease, started
        self._release_log(cluster, lease)  # it lapsed (a long step): take it again if still behind
        return self._hold_log(cluster)

    def _release_log(self, cluster, lease: int) -> None:
        store = cluster.store
        store.exclusive = False
        try:
            store.conn.call("kv/lease/revoke", {"ID": lease}, retry_for=1.0)  # deletes the key with it
        except Exception as e:  # noqa: BLE001 - it expires by itself within CATCH_UP_TTL
            _say(f"could not drop the catching-up key: {e}")

    def _publish_settled(self) -> None:
        """Keep the shared `settled` marker current while leading. The store sends it with the
        leader's appends, but a settle that appends nothing (most of them: users' writes the
        controllers only look at) moves the marker in the local cache only; a stale shared marker
        would make the next leader replay (and re-decide under conflicts) a long backlog."""
        from engine.codec import pack, unpack
        from engine.log.etcd_store import _b64

        store = self.cluster.store
        with store.begin() as t:
            raw = t.get("meta", b"settled")
        settled = unpack(raw) if raw is not None else 0
        if settled <= self._published or not self.elector.is_leader():
            return
        store.conn.call("kv/put", {"key": _b64(store._settled_key), "value": _b64(pack(settled))})
        self._published = settled

    def may_tick(self) -> bool:
        """Whether this server moves the virtual clock (the lease holder only)."""
        return self.leading and self.elector.is_leader()


def _say(msg: str) -> None:  # kube-controller-manager logs its lease transitions the same way
    print(f"ktape serve: {time.strftime('%H:%M:%S')}.{int(time.time() * 1000) % 1000:03d} {msg}", file=sys.stderr, flush=True)
