"""The runtime contains a failing actor: the API keeps answering, and the key is retried later."""

from engine.api import Cluster
from engine.client import Client, must
from engine.log import eventlog
from engine.log.verify import verify
from engine.pipeline.identity import controller_identity
from engine.runtime.actor import NOTHING
from tests.engine.conftest import booted, configmap, foundation_actors


class Exploding:
    name = "exploding"
    identity = controller_identity("exploding")

    def __init__(self):
        self.calls = []

    def keys_for(self, entry, obj):
        return (b"k",) if entry.request.resource == "configmaps" else ()

    def decide(self, view, key):
        self.calls.append(view.now)
        if len(self.calls) == 1:
            raise ValueError("boom")
        return NOTHING


def test_an_actor_that_raises_does_not_wedge_the_cluster(capsys):
    actor = Exploding()
    c = booted(Cluster.memory(actors=foundation_actors() + [actor]))
    cl = Client(c)
    assert must(cl.create(configmap("a")))["metadata"]["name"] == "a"
    assert "warning: actor exploding failed on b'k': ValueError: boom" in capsys.readouterr().err
    assert must(cl.get("cm", "a"))["metadata"]["name"] == "a"  # later requests still work
    t0 = actor.calls[0]
    c.advance(2_000_000)
    assert actor.calls[1] == t0 + 1_000_000  # retried one virtual second later
    with c.store.begin() as txn:
        assert verify(txn).ok and eventlog.read_head(txn).seq > 0
