"""Requests from HTTP worker processes to the one engine process (`ktape serve --workers N`).

Why: a served request costs about twice as much CPU in HTTP, TLS, authentication and JSON as in
the engine, and one Python process runs both on one core (one GIL). With `--workers N` the
first process keeps the log and its single engine thread (so group commit spans every worker's
requests and LMDB never sees two writers), and N worker processes run the HTTP side. A worker
sends each `Request` over a Unix stream socket as one length-prefixed msgpack frame and gets the
`Response` back the same way, in any order (frames carry an id), so a worker pipelines all its
clients' requests. Reads that decide nothing (watch streams replayed from the log, reviews,
`pods/log`, `/ktape/head`) read the same LMDB file in the worker.

`EngineLink` is the worker's stand-in for `EngineWorker` (the interface `Server` uses);
`serve_link` is the engine side of one worker's socket.
"""

from __future__ import annotations

import asyncio
import itertools
import struct
from typing import Any, Callable

import attrs
import msgpack

from engine.errors import StatusError
from engine.pipeline.handler import Response
from engine.records import Request

_LEN = struct.Struct(">I")
HEAD_POLL_S = 0.05  # how soon a worker's watches see entries other workers' requests appended


def _frame(payload: Any) -> bytes:
    raw = msgpack.packb(payload, use_bin_type=True)
    return _LEN.pack(len(raw)) + raw


async def _read_frame(reader: asyncio.StreamReader) -> Any:
    n = _LEN.unpack(await reader.readexactly(_LEN.size))[0]
    return msgpack.unpackb(await reader.readexactly(n), raw=False, strict_map_key=False)


_FIELDS = tuple(a.name for a in attrs.fields(Request))  # every field travels, in declaration order


def _request_out(req: Request) -> list:
    return [getattr(req, f) for f in _FIELDS]


def _request_in(values: list) -> Request:
    fields = dict(zip(_FIELDS, values))
    fields["groups"] = tuple(fields["groups"])
    return Request(**fields)


def _response_out(rid: int, resp: Response) -> list:
    e, err = resp.entry, resp.error
    return [rid, e.seq if e is not None else 0, e.at if e is not None else 0, resp.obj,
            [err.code, err.reason, err.message, err.details] if err is not None else None, list(resp.warnings)]


class Position:
    """What a worker needs of the recorded entry: its seq and virtual time (`Response.entry`)."""

    __slots__ = ("seq", "at", "code")

    def __init__(self, seq: int, at: int, code: int):
        self.seq, self.at, self.code = seq, at, code


def _response_in(f: list) -> tuple[int, Response]:
    rid, seq, at, obj, err, warnings = f
    error = StatusError(err[0], err[1], err[2], err[3]) if err is not None else None
    entry = Position(seq, at, error.code if error is not None else 200) if seq else None
    return rid, Response(entry, obj, error, tuple(warnings))


class _Batched:
    """Frames written in one syscall per event-loop iteration: a commit group's answers (or a
    burst of requests) would otherwise cost a write each."""

    __slots__ = ("_writer", "_frames")

    def __init__(self, writer: asyncio.StreamWriter):
        self._writer, self._frames = writer, []

    def send(self, payload: Any) -> None:
        if not self._frames:
            asyncio.get_running_loop().call_soon(self._flush)
        self._frames.append(_frame(payload))

    def _flush(self) -> None:
        frames, self._frames = self._frames, []
        if not self._writer.is_closing():
            self._writer.write(b"".join(frames))


async def serve_link(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, submit: Callable) -> None:
    """Engine side: every frame from a worker is submitted; each answer goes back when ready."""
    out = _Batched(writer)

    def failed(exc: BaseException) -> Response:
        return Response(None, None, StatusError(500, "InternalError", f"Internal error occurred: {exc!r}"))

    def answer(rid: int, fut: asyncio.Future) -> None:
        exc = fut.exception()
        try:
            out.send(_response_out(rid, failed(exc) if exc else fut.result()))
        except (TypeError, ValueError, OverflowError) as e:  # not msgpack-able (an integer past 64 bits)
            out.send(_response_out(rid, failed(e)))

    try:
        while True:
            rid, fields = await _read_frame(reader)
            fut = submit(_request_in(fields))
            fut.add_done_callback(lambda f, rid=rid: answer(rid, f))
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


class EngineLink:
    """Worker side: `submit` over the socket; reads, the head and `call` on the local cluster."""

    def __init__(self, cluster, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, on_lost: Callable[[], None]):
        self.cluster = cluster  # the same data folder, opened for reading
        self.follower = None
        self.on_head: Callable[[int], None] | None = None
        self._reader, self._out, self._on_lost = reader, _Batched(writer), on_lost
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        head = cluster.head()
        self.head_seq, self.head_at = head.seq, head.at
        self.requests = 0
        self.groups = 0  # commits are the engine process's; it reports them
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._tasks = [asyncio.ensure_future(self._answers()), asyncio.ensure_future(self._poll_head())]

    def stop(self) -> None:
        for t in self._tasks:
            t.cancel()

    def submit(self, req: Request) -> "asyncio.Future[Response]":
        fut = asyncio.get_running_loop().create_future()
        rid = next(self._ids)
        self._waiting[rid] = fut
        self._out.send([rid, _request_out(req)])
        self.requests += 1
        return fut

    def call(self, fn: Callable[[Any], Any]) -> "asyncio.Future[Any]":
        return asyncio.get_running_loop().run_in_executor(None, fn, self.cluster)

    async def _answers(self) -> None:
        try:
            while True:
                rid, resp = _response_in(await _read_frame(self._reader))
                fut = self._waiting.pop(rid, None)
                if resp.entry is not None:
                    self._advance(resp.entry.seq, resp.entry.at)
                if fut is not None and not fut.done():
                    fut.set_result(resp)
        except (asyncio.IncompleteReadError, ConnectionError):
            for fut in self._waiting.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("the engine process is gone"))
            self._on_lost()

    async def _poll_head(self) -> None:
        while True:
            await asyncio.sleep(HEAD_POLL_S)
            head = self.cluster.head()
            self._advance(head.seq, head.at)

    def _advance(self, seq: int, at: int) -> None:
        if seq > self.head_seq:
            self.head_seq, self.head_at = seq, at
            if self.on_head is not None:
                self.on_head(seq)
