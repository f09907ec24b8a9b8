"""Leader election over etcd, for running the controllers in exactly one process at a time.

The kube-controller-manager pattern (client-go's leaderelection with a lease lock), on etcd's
own leases: a candidate grants itself a lease of `ttl` seconds and creates the key
`<prefix>/leader/<name>` bound to that lease in one transaction that succeeds only while the key
does not exist (create_revision == 0). The holder renews (keep-alive) every `retry_period`; if it
has not renewed for `renew_deadline` it stops acting as leader on its own, before etcd could
expire the lease and let someone else in (renew_deadline < ttl), so two processes never both
believe they lead. A holder that dies stops renewing; etcd deletes the key when the lease
expires and the next candidate's create succeeds. `release()` revokes the lease at once.

Defaults follow kube-controller-manager's flags (--leader-elect-lease-duration 15s,
--leader-elect-renew-deadline 10s, --leader-elect-retry-period 2s).

How `ktape serve` is meant to use it: every server runs the request path; a background thread
runs `LeaderElector.run(on_started, on_stopped)`; `on_started` gives the Cluster its actors
(the process then settles the backlog past its local `settled` marker, like a controller
manager's initial resync), `on_stopped` takes them away. Servers that do not lead append users'
requests only; the leader's store follows their entries (EtcdStore.sync) and its controllers
react to them.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Callable

from engine.log.etcd_store import Endpoints, _b64, _unb64, parse_url
from engine.log.kv import StoreError


class LeaderElector:
    def __init__(self, url: str, name: str = "controllers", identity: str | None = None, *, ttl: int = 15,
                 renew_deadline: float = 10.0, retry_period: float = 2.0, clock: Callable[[], float] = time.monotonic):
        if not retry_period < renew_deadline < ttl:
            raise ValueError("leader election needs retry_period < renew_deadline < ttl")
        endpoints, prefix = parse_url(url)
        self.conn = Endpoints(endpoints, timeout=max(1.0, retry_period), retry_for=retry_period)
        self.key = f"{prefix}/leader/{name}".encode()
        self.identity = identity or f"{socket.gethostname()}_{os.getpid()}_{os.urandom(4).hex()}"
        self.ttl, self.renew_deadline, self.retry_period = ttl, renew_deadline, retry_period
        self.clock = clock
        self.lease_id: int | None = None
        self._renewed_at: float | None = None

    # --- one step each -------------------------------------------------------------------------

    def try_acquire(self) -> bool:
        """Become the leader if nobody is; True when this process leads now."""
        if self.is_leader():
            return self.renew()
        try:
            started = self.clock()
            lease = int(self.conn.call("lease/grant", {"TTL": self.ttl})["ID"])
            r = self.conn.call("kv/txn", {
                "compare": [{"key": _b64(self.key), "target": "CREATE", "result": "EQUAL", "create_revision": "0"}],
                "success": [{"request_put": {"key": _b64(self.key), "value": _b64(self.identity.encode()), "lease": str(lease)}}],
                "failure": [],
            })
        except StoreError:
            return False
        if r.get("succeeded"):
            self.lease_id, self._renewed_at = lease, started
            return True
        try:
            self.conn.call("kv/lease/revoke", {"ID": lease})
        except StoreError:
            pass  # it expires by itself
        return False

    def renew(self) -> bool:
        """Keep the lease alive; False (and no longer leader) once it is gone or the deadline passed."""
        if self.lease_id is None:
            return False
        started = self.clock()
        try:
            r = self.conn.call("lease/keepalive", {"ID": self.lease_id})
            ok = int((r.get("result") or {}).get("TTL", -1)) > 0
        except StoreError:
            ok = False
        if ok:
            self._renewed_at = started
        elif self._renewed_at is None or self.clock() - self._renewed_at >= self.renew_deadline or not self._lease_alive():
            self._lose()
        return self.is_leader()

    def _lease_alive(self) -> bool:
        try:
            r = self.conn.call("kv/lease/timetolive", {"ID": self.lease_id})
            return int(r.get("TTL", -1)) > 0
        except StoreError:
            return True  # unknown: the renew deadline decides

    def is_leader(self) -> bool:
        return self.lease_id is not None and self._renewed_at is not None and \
            self.clock() - self._renewed_at < self.renew_deadline

    def holder(self) -> str | None:
        r = self.conn.call("kv/range", {"key": _b64(self.key)})
        kvs = r.get("kvs") or []
        return _unb64(kvs[0].get("value")).decode() if kvs else None

    def release(self) -> None:
        if self.lease_id is not None:
            try:
                self.conn.call("kv/lease/revoke", {"ID": self.lease_id})
            except StoreError:
                pass
        self._lose()

    def _lose(self) -> None:
        self.lease_id, self._renewed_at = None, None

    def close(self) -> None:
        self.release()
        self.conn.close()

    # --- the loop ------------------------------------------------------------------------------

    def run(self, on_started: Callable[[], None], on_stopped: Callable[[], None], stop: threading.Event) -> None:
        """Campaign, lead and step down until `stop` is set (then release the lease)."""
        leading = False
        try:
            while not stop.is_set():
                now_leading = self.renew() if leading else self.try_acquire()
                if now_leading and not leading:
                    on_started()
                elif leading and not now_leading:
                    on_stopped()
                leading = now_leading
                stop.wait(self.retry_period)
        finally:
            if leading:
                on_stopped()
            self.release()


class ControllerLeadership:
    """Gives a Cluster on an etcd log its actors only while this process holds the lease.

    On taking over, the local `settled` marker is set back to what the previous leader last
    recorded in etcd (it travels in the leader's append transactions), and the backlog after it
    is settled at once: the new leader's controllers see every entry the old one may have missed.
    Settling is level-triggered, so entries seen twice only cost time. On stepping down the
    actors are taken away before anything else can be decided.
    """

    def __init__(self, cluster, elector: LeaderElector, actors: Callable[[], list] | None = None, follow_every: float = 0.2):
        self.cluster, self.elector = cluster, elector
        self.actors = actors
        self.follow_every = follow_every
        self.leading = threading.Event()
        self.terms = 0  # how many times this process took over
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def started(self) -> None:
        self.take_over()
        self.cluster.catch_up()

    def take_over(self) -> None:
        """Become the controllers' process: start from the settled marker the last holder left in
        etcd and install the actors; the caller then settles the backlog (at once or in steps)."""
        from engine.api import default_actors
        from engine.codec import pack
        from engine.runtime.loop import Runtime

        store = self.cluster.store
        with store._lock:
            store.sync()
            shared = store.shared_settled() or 0
            with store.cache.begin(write=True) as t:
                t.put("meta", b"settled", pack(shared))
            store.share_settled = True
            self.cluster.runtime = Runtime((self.actors or default_actors)())
            self.leading.set()
            self.terms += 1

    def _follow(self) -> None:
        """While leading, fold other writers' entries in and let the controllers react to them."""
        while not self._stop.wait(self.follow_every):
            if self.leading.is_set():
                try:
                    if self.cluster.store.sync():
                        self.cluster.catch_up()
                except StoreError:
                    pass  # etcd unreachable for now: the next tick tries again

    def stopped(self) -> None:
        from engine.runtime.loop import Runtime

        self.leading.clear()
        self.cluster.runtime = Runtime([])
        self.cluster.store.share_settled = False

    def start(self) -> "ControllerLeadership":
        from engine.runtime.loop import Runtime

        self.cluster.runtime = Runtime([])
        self._threads = [threading.Thread(target=self.elector.run, args=(self.started, self.stopped, self._stop),
                                          name="controller-leader-election", daemon=True),
                         threading.Thread(target=self._follow, name="controller-follow", daemon=True)]
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(10)
