"""The fold's laws, as properties: reduce is pure, and fold(a + b) == fold(b, fold(a)); the
materialized state and `object_at` agree with the fold at every seq."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.api import Cluster
from engine.client import Client
from engine.log import eventlog
from projections.timetravel import object_at
from reducers.keys import entry_key
from reducers.state import ClusterState, fold, reduce
from tests.engine.conftest import booted

ops = st.lists(
    st.tuples(st.sampled_from(["create", "patch", "label", "delete", "get"]), st.sampled_from(["a", "b", "c"]),
              st.integers(0, 5)),
    min_size=1, max_size=25)


def _run(script):
    c = booted(Cluster.memory(), nodes=0)
    cl = Client(c)
    for op, name, n in script:
        if op == "create":
            cl.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"n": str(n)}})
        elif op == "patch":
            cl.patch("cm", name, {"data": {"n": str(n)}}, patch_type="merge")
        elif op == "label":
            cl.patch("cm", name, {"metadata": {"labels": {"k": str(n)}}}, patch_type="strategic")
        elif op == "delete":
            cl.delete("cm", name)
        else:
            cl.get("cm", name)
    with c.store.begin() as txn:
        entries = list(eventlog.scan_entries(txn))
    return c, entries


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops, st.data())
def test_fold_is_associative_and_matches_materialized_state(script, data):
    c, entries = _run(script)
    cut = data.draw(st.integers(0, len(entries)))
    whole = fold(entries)
    assert fold(entries[cut:], fold(entries[:cut])) == whole
    with c.store.begin() as txn:
        stored = {bytes(k): o for k, o in eventlog.scan_objects(txn, b"")}
        assert dict(whole) == stored
        seq = data.draw(st.integers(1, len(entries)))
        at = fold(entries[:seq])
        for key in {entry_key(e) for e in entries if entry_key(e)}:
            assert object_at(txn, key, seq) == at.get(key)


def test_reduce_leaves_its_input_alone():
    _c, entries = _run([("create", "a", 1), ("patch", "a", 2)])
    state = fold(entries[:-1])
    snapshot = {k: repr(v) for k, v in state.items()}
    new = reduce(state, entries[-1])
    assert {k: repr(v) for k, v in state.items()} == snapshot
    assert isinstance(new, ClusterState) and new.seq == entries[-1].seq
