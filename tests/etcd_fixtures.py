"""pytest fixtures for the log on etcd: one 3-member etcd cluster on loopback ports per session.

The cluster starts only when a test asks for it. Without an etcd binary the tests that need it
skip, saying how to install it (`.ci/run` installs Debian's etcd-server, so CI runs them).
"""

from __future__ import annotations

import itertools

import pytest

from engine.log.etcd_local import LocalEtcd, etcd_available

_prefixes = itertools.count(1)


@pytest.fixture(scope="session")
def etcd_cluster():
    why = etcd_available()
    if why:
        pytest.skip(why)
    for attempt in range(3):  # a free port can be taken by someone else before etcd binds it
        cluster = LocalEtcd(3)
        try:
            cluster.start()
            break
        except RuntimeError:
            cluster.stop()
            if attempt == 2:
                raise
    yield cluster
    cluster.stop()


@pytest.fixture
def etcd_url(etcd_cluster) -> str:
    """A fresh, empty log prefix on the session's cluster."""
    return etcd_cluster.url(f"/test-{next(_prefixes)}")
