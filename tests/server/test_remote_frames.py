"""The frames between `ktape serve --workers` processes (engine/server/remote.py): a Request and
a Response survive the trip unchanged, errors keep their Status, and answers find their request
whatever order they come back in."""

from __future__ import annotations

import asyncio

from engine.errors import StatusError
from engine.pipeline.handler import Response
from engine.records import Request
from engine.server import remote


def test_request_round_trip():
    req = Request(verb="patch", resource="configmaps", namespace="default", name="a", body={"data": {"v": "1"}},
                  user="jane", groups=("devs", "system:authenticated"), impersonator="admin", dry_run=True,
                  params={"patchType": "merge", "fieldManager": "kubectl"})
    assert remote._request_in(remote._request_out(req)) == req


def test_response_round_trip_with_error():
    err = StatusError(404, "NotFound", 'configmaps "a" not found', {"name": "a", "kind": "configmaps"})
    rid, resp = remote._response_in(remote._response_out(7, Response(None, None, err, ("a warning",))))
    assert rid == 7 and resp.entry is None and resp.obj is None and resp.warnings == ("a warning",)
    assert (resp.error.code, resp.error.reason, resp.error.message, resp.error.details) == (404, "NotFound", err.message, err.details)


def test_answers_out_of_order_reach_their_requests():
    class FakeCluster:
        def head(self):
            return type("H", (), {"seq": 1, "at": 0})()

    async def main():
        a_to_b = asyncio.StreamReader()
        sent = []

        class Writer:  # what the worker writes goes to `sent`
            def write(self, data):
                sent.append(data)

            def is_closing(self):
                return False

        link = remote.EngineLink(FakeCluster(), a_to_b, Writer(), on_lost=lambda: None)
        link.start()
        f1 = link.submit(Request(verb="get", resource="pods", namespace="x", name="p1"))
        f2 = link.submit(Request(verb="get", resource="pods", namespace="x", name="p2"))
        await asyncio.sleep(0)  # one flush: both requests in one write
        assert len(sent) == 1
        obj = {"kind": "Pod", "metadata": {"name": "p2"}}
        a_to_b.feed_data(remote._frame([2, 9, 5, obj, None, []]) + remote._frame([1, 8, 5, None, [404, "NotFound", "no", {}], []]))
        r1, r2 = await asyncio.wait_for(asyncio.gather(f1, f2), 5)
        assert r2.obj == obj and r2.entry.seq == 9 and r1.error.code == 404
        assert link.head_seq == 9
        link.stop()

    asyncio.run(main())
