"""`ktape rollout status`: kubectl's status logic, evaluated while the virtual clock moves."""

import io
import json

import pytest

from engine.client import Client
from engine.errors import StatusError
from engine.log import eventlog
from engine.records import Request
from engine.registry import resolve
from engine.runtime.actor import NOTHING, Decision
from log_tools.commands.rollout import status_of, wait_for_rollout
from reducers.keys import entry_key
from tests.rollout import CONTROLLER, entries, k, memory_cluster, opened  # noqa: F401  (k is a fixture)

DEPLOY = resolve("deployments")


def web(replicas=3, pds=None):
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [{"name": "nginx", "image": "nginx:1"}]}}}}
    if pds is not None:
        d["spec"]["progressDeadlineSeconds"] = pds
    return d


def set_status(cluster, status: dict, name="web"):
    with cluster.view() as v:
        gen = v.get("apps", "deployments", "default", name)["metadata"]["generation"]
    # (the deployment-controller's role has `update` on deployments/status, as upstream; this patch is a test's shortcut)
    resp = Client(cluster).patch("deployments", name, {"status": {"observedGeneration": gen, **status}},
                                 "default", "merge", subresource="status")
    assert resp.ok, resp.error


def test_status_messages_follow_kubectl():
    d = web()
    d["metadata"]["generation"] = 2
    assert status_of(d) == ("Waiting for deployment spec update to be observed...", False)
    d["status"] = {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1}
    assert status_of(d) == ('Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...', False)
    d["status"] = {"observedGeneration": 2, "replicas": 5, "updatedReplicas": 3}
    assert status_of(d) == ('Waiting for deployment "web" rollout to finish: 2 old replicas are pending termination...', False)
    d["status"] = {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 1}
    assert status_of(d) == ('Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...', False)
    d["status"]["availableReplicas"] = 3
    assert status_of(d) == ('deployment "web" successfully rolled out', True)
    d["status"]["conditions"] = [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]
    with pytest.raises(StatusError, match='deployment "web" exceeded its progress deadline'):
        status_of(d)
    with pytest.raises(StatusError, match=r"desired revision \(2\) is different from the running revision \(0\)"):
        status_of(web(), revision=2)


class FakeRollout:
    """Moves a Deployment's status one step every 5 virtual seconds, as a rolling update would."""

    name = "fake-rollout"
    identity = CONTROLLER

    def keys_for(self, entry, obj):
        r = entry.request
        if r.resource == "deployments" and r.subresource != "status" and obj is not None:
            return [entry_key(entry)]
        return ()

    def decide(self, view, key):
        d = view.get_key(key)
        if d is None:
            return NOTHING
        gen = d["metadata"]["generation"]
        st = dict(d.get("status") or {})
        if st.get("observedGeneration") != gen:
            st = {"observedGeneration": gen, "replicas": 3, "updatedReplicas": 0, "availableReplicas": 3}
        elif st["updatedReplicas"] < 3:
            st.update(updatedReplicas=st["updatedReplicas"] + 1, replicas=4)
        elif st["replicas"] > 3 and not st.get("readyReplicas"):
            st["readyReplicas"] = 3  # a change that leaves kubectl's line as it was
        elif st["replicas"] > 3:
            st.update(replicas=3, availableReplicas=2)
        elif st["availableReplicas"] < 3:
            st["availableReplicas"] = 3
        else:
            return NOTHING
        req = Request(verb="update", group="apps", resource="deployments", namespace="default", name="web",
                      subresource="status", body={**d, "status": st}, user=self.identity.name,
                      groups=self.identity.groups)
        return Decision((req,), requeue_at=view.now + 5_000_000)


def test_wait_moves_the_clock_and_prints_each_new_line_once():
    cluster = memory_cluster()
    cluster.runtime.actors["fake-rollout"] = FakeRollout()
    assert Client(cluster).create(web(), "default").ok
    start = cluster.head().at
    out = io.StringIO()
    assert wait_for_rollout(cluster, DEPLOY, "default", "web", out) == 0
    assert out.getvalue().splitlines() == [
        'Waiting for deployment "web" rollout to finish: 0 out of 3 new replicas have been updated...',
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
        'Waiting for deployment "web" rollout to finish: 2 out of 3 new replicas have been updated...',
        'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
        'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
        'deployment "web" successfully rolled out',
    ]
    assert cluster.head().at - start == 30_000_000  # six 5 s steps, each straight to the due work
    with cluster.store.begin() as txn:
        clocks = [e for e in eventlog.scan_entries(txn) if e.request.resource == "clock" and e.at > start]
    assert len(clocks) == 6


def test_cli_status_success_deadline_and_no_watch(k):
    k("create", "deployment", "web", "--image=nginx", "--replicas=2")
    out, _ = k("rollout", "status", "deployment/web", "--watch=false")
    assert out == "Waiting for deployment spec update to be observed...\n"
    with opened(k.data) as c:
        set_status(c, {"replicas": 2, "updatedReplicas": 2, "availableReplicas": 2})
    before = len(entries(k.data, resource="clock"))
    assert k("rollout", "status", "deploy", "web")[0] == 'deployment "web" successfully rolled out\n'
    assert len(entries(k.data, resource="clock")) == before
    with opened(k.data) as c:
        set_status(c, {"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                       "message": 'ReplicaSet "web-x" has timed out progressing.'}]})
    _, err = k("rollout", "status", "deploy/web", code=1)
    assert err == 'error: deployment "web" exceeded its progress deadline\n'


def test_cli_status_gives_up_after_the_progress_deadline_without_change(k):
    k("create", "deployment", "web", "--image=nginx")
    k("patch", "deploy", "web", "-p", '{"spec":{"progressDeadlineSeconds":120}}')
    out, err = k("rollout", "status", "deployment/web", code=1)
    assert out == "Waiting for deployment spec update to be observed...\n"
    assert err == "error: timed out waiting for the condition\n"
    assert json.loads(k("now", "-o", "json")[0])["time"] == "2026-01-01T00:02:01Z"
    _, err = k("rollout", "status", "deployment/web", "--timeout", "10s", code=1)
    assert err == "error: timed out waiting for the condition\n"
    assert json.loads(k("now", "-o", "json")[0])["time"] == "2026-01-01T00:02:11Z"
    # a paused Deployment: kubectl's line, and the same bounded wait
    k("rollout", "pause", "deployment/web")
    out, _ = k("rollout", "status", "deployment/web", "--timeout", "1m", code=1)
    assert out == "Waiting for deployment spec update to be observed...\n"


def test_cli_status_at_an_earlier_seq_does_not_wait(k):
    k("create", "deployment", "web", "--image=nginx")
    with opened(k.data) as c:
        seq = c.head().seq
        set_status(c, {"replicas": 1, "updatedReplicas": 1, "availableReplicas": 1})
    clocks = len(entries(k.data, resource="clock"))
    out, _ = k("rollout", "status", "deployment/web", "--at", str(seq))
    assert out == "Waiting for deployment spec update to be observed...\n"
    assert len(entries(k.data, resource="clock")) == clocks
    _, err = k("rollout", "status", "rs/web", code=1)
    assert err == "error: no status viewer has been implemented for ReplicaSet.apps\n"
