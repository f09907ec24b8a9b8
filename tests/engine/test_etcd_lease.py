"""Leader election on etcd leases: one leader at a time, hand-over on release and on death."""

from __future__ import annotations

import threading
import time

import pytest

from engine.log.etcd_lease import LeaderElector


def _pair(url):
    kw = dict(ttl=2, renew_deadline=1.5, retry_period=0.3)
    return LeaderElector(url, identity="a", **kw), LeaderElector(url, identity="b", **kw)


def test_one_leader_then_hand_over_on_release(etcd_url):
    a, b = _pair(etcd_url)
    assert a.try_acquire() and a.is_leader()
    assert not b.try_acquire() and not b.is_leader()
    assert b.holder() == "a"
    assert a.renew() and a.is_leader()
    a.release()
    assert not a.is_leader()
    assert b.try_acquire() and b.holder() == "b"
    a.close(), b.close()


def test_a_dead_leader_is_replaced_after_its_lease_expires_never_two_at_once(etcd_url):
    a, b = _pair(etcd_url)
    assert a.try_acquire()
    died = time.monotonic()  # `a` stops renewing, as a killed process would
    while not b.try_acquire():
        assert not (a.is_leader() and b.is_leader())
        assert time.monotonic() - died < 10, "the lease never expired"
        time.sleep(0.1)
    waited = time.monotonic() - died
    assert waited >= 1.5  # not before the old leader's lease could have lapsed
    assert not a.is_leader()  # a stepped down on its own (renew deadline) before b took over
    assert not a.renew()  # and cannot renew a lease etcd expired
    assert b.holder() == "b"
    a.close(), b.close()


def test_run_loop_calls_back_on_start_and_stop(etcd_url):
    a, b = _pair(etcd_url)
    events = []
    stop_a, stop_b = threading.Event(), threading.Event()
    ta = threading.Thread(target=a.run, args=(lambda: events.append("a+"), lambda: events.append("a-"), stop_a))
    ta.start()
    deadline = time.monotonic() + 5
    while "a+" not in events and time.monotonic() < deadline:
        time.sleep(0.05)
    tb = threading.Thread(target=b.run, args=(lambda: events.append("b+"), lambda: events.append("b-"), stop_b))
    tb.start()
    time.sleep(0.8)
    assert events == ["a+"]
    stop_a.set()
    ta.join(5)
    deadline = time.monotonic() + 5
    while "b+" not in events and time.monotonic() < deadline:
        time.sleep(0.05)
    stop_b.set()
    tb.join(5)
    assert events == ["a+", "a-", "b+", "b-"]


def test_timings_must_nest():
    with pytest.raises(ValueError):
        LeaderElector("etcd://127.0.0.1:1/x", ttl=5, renew_deadline=6, retry_period=1)
