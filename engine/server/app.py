"""The HTTP front end (aiohttp): Kubernetes REST paths -> `engine.records.Request` -> the engine.

Nothing here decides anything about objects: a request is parsed (path, query, headers, body),
authenticated, turned into the same `Request` the CLI makes and handed to the engine worker
(`worker.py`), whose `Response` is written back as JSON (objects, typed lists, `Table`s, or a
`Status` for every error, with upstream's reasons and codes). Watches stream from the log
(`watch.py`).

Bodies: JSON, YAML, or the `k8s\\0` protobuf envelope kubectl >= 1.32 sends for typed clients
(`protobuf.py`); > 3 MiB -> 413, an unknown Content-Type -> 415, a body that does not parse -> 400.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
from typing import Any

import orjson
import yaml
from aiohttp import web

from engine.errors import StatusError, bad_request
from engine.records import Request
from engine.pipeline.identity import UserInfo
from engine.server import discovery, reviews
from engine.server.authn import Authenticator, Credentials, identity_for
from engine.server.convert import to_version
from engine.server.tables import to_table, wants_table
from engine.server.watch import WatchSpec, events_since
from engine.server.worker import EngineWorker

MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's MaxRequestBodyBytes
WATCH_IDLE_S = 5.0
_PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": None,
}
_NS_SUBRESOURCES = ("status", "finalize")
JSON = "application/json"


def _dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON. orjson (a dependency) writes what the json module writes (floats'
    exponents aside: 1e-7, not 1e-07) at a tenth of its cost; what it refuses (integers past
    64 bits) goes the slow way."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(obj: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.Response(body=_dumps(obj), status=status, content_type=JSON, headers=headers)


def status_response(err: StatusError) -> web.Response:
    return json_response(err.status(), err.code)


def _not_found_path() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


class Target:
    """A parsed resource path."""

    __slots__ = ("group", "version", "rt", "namespace", "name", "subresource", "namespaced_path")

    def __init__(self, group, version, rt, namespace, name, subresource, namespaced_path):
        self.group, self.version, self.rt = group, version, rt
        self.namespace, self.name, self.subresource = namespace, name, subresource
        self.namespaced_path = namespaced_path


def parse_resource_path(parts: list[str]) -> tuple[str, str, list[str]] | None:
    """(group, version, rest) for /api/v1/... and /apis/g/v/..., None when not a resource path."""
    if len(parts) >= 2 and parts[0] == "api":
        return "", parts[1], parts[2:]
    if len(parts) >= 3 and parts[0] == "apis":
        return parts[1], parts[2], parts[3:]
    return None


def resolve_target(group: str, version: str, rest: list[str]) -> Target:
    if not discovery.is_served(group, version):
        raise _not_found_path()
    ns = ""
    namespaced_path = False
    if len(rest) >= 3 and rest[0] == "namespaces" and not (len(rest) == 3 and group == "" and rest[2] in _NS_SUBRESOURCES):
        ns, rest = rest[1], rest[2:]
        namespaced_path = True
    if not rest or len(rest) > 3:
        raise _not_found_path()
    res, tail = rest[0], rest[1:]
    rt = next((t for t in discovery.served(group, version) if t.plural == res), None)
    if rt is None or (namespaced_path and not rt.namespaced):
        raise _not_found_path()
    name = tail[0] if tail else ""
    sub = tail[1] if len(tail) > 1 else ""
    if sub and sub not in rt.subresources:
        raise _not_found_path()
    return Target(group, version, rt, ns, name, sub, namespaced_path)


class Server:
    def __init__(self, worker: EngineWorker, authenticator: Authenticator, *, server_address: str = "127.0.0.1:6443",
                 wall=time.time):
        self.worker = worker
        self.authn = authenticator
        self.server_address = server_address
        self.wall = wall
        self._head_event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closing = False

    # --- wiring --------------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        app.on_startup.append(self._startup)
        app.on_shutdown.append(self._shutdown)
        return app

    async def _startup(self, _app) -> None:
        self._loop = asyncio.get_running_loop()
        self._head_event = asyncio.Event()
        self.worker.on_head = self._on_head_threadsafe

    async def _shutdown(self, _app) -> None:
        self.closing = True
        if self._head_event is not None:
            self._head_event.set()

    def _on_head_threadsafe(self, _seq: int) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._bump)

    def _bump(self) -> None:
        ev = self._head_event
        self._head_event = asyncio.Event()
        if ev is not None:
            ev.set()

    # --- dispatch ------------------------------------------------------------------------------------

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._dispatch(request)
        except StatusError as e:
            return status_response(e)
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as e:  # noqa: BLE001 - the server stays up; the client gets a Status
            import traceback

            traceback.print_exc()
            return status_response(StatusError(500, "InternalError", f"Internal error occurred: {e!r}"))

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(("/healthz/", "/livez/", "/readyz/")):
            return web.Response(text="ok", content_type="text/plain")
        if path == "/version" or path == "/version/":
            return json_response(discovery.VERSION)
        user = self._authenticate(request)
        if path == "/ktape/head":  # not Kubernetes: this server's head and state digest (engine/server/headinfo.py)
            from engine.server.headinfo import head_status

            return json_response(await self.worker.call(lambda c: head_status(c, self.worker.follower)))
        parts = [p for p in path.split("/") if p]
        if request.method == "GET":
            if parts in (["api"], ["apis"]):
                agg = discovery.aggregated_version(request.headers.get("Accept", ""))
                if agg is not None:  # the Content-Type parameters are what tells kubectl it is aggregated
                    return web.Response(body=_dumps(discovery.aggregated(parts == ["api"], agg)),
                                        headers={"Content-Type": discovery.AGGREGATED_CT.format(v=agg)})
            doc = self._discovery(parts)
            if doc is not None:
                return json_response(doc)
        if parts[:1] == ["openapi"]:
            raise _not_found_path()
        if len(parts) >= 4 and parts[0] == "apis" and parts[1] in reviews.GROUPS and not discovery.is_served(parts[1], parts[2]):
            return await self._review(request, parts, user)
        parsed = parse_resource_path(parts)
        if parsed is None:
            raise _not_found_path()
        target = resolve_target(*parsed)
        return await self._resource(request, target, user)

    def _discovery(self, parts: list[str]) -> dict | None:
        if parts == ["api"]:
            return discovery.api_versions(self.server_address)
        if parts == ["apis"]:
            return discovery.api_group_list()
        if len(parts) == 2 and parts[0] == "api":
            if parts[1] != "v1":
                raise _not_found_path()
            return discovery.resource_list("", "v1")
        if len(parts) == 3 and parts[0] == "apis" and parts[1] in reviews.GROUPS and parts[2] == reviews.GROUPS[parts[1]][0] \
                and not discovery.is_served(parts[1], parts[2]):
            return reviews.resource_list(parts[1])
        if len(parts) == 2 and parts[0] == "apis":
            g = discovery.api_group(parts[1])
            if g is None:
                raise _not_found_path()
            return g
        if len(parts) == 3 and parts[0] == "apis":
            if not discovery.is_served(parts[1], parts[2]):
                raise _not_found_path()
            return discovery.resource_list(parts[1], parts[2])
        if parts == ["openapi", "v3"]:
            return discovery.openapi_root()
        if len(parts) >= 4 and parts[:2] == ["openapi", "v3"]:
            rest = parts[2:]
            if rest[0] == "api" and len(rest) == 2 and rest[1] == "v1":
                return discovery.openapi_gv("", "v1")
            if rest[0] == "apis" and len(rest) == 3 and discovery.is_served(rest[1], rest[2]):
                return discovery.openapi_gv(rest[1], rest[2])
        return None

    # --- authentication ------------------------------------------------------------------------------

    def _credentials(self, request: web.Request) -> Credentials:
        auth = request.headers.get("Authorization", "")
        bearer = None
        basic = None
        if auth[:7].lower() == "bearer ":
            bearer = auth[7:].strip()
        elif auth[:6].lower() == "basic ":
            try:
                u, _, pw = base64.b64decode(auth[6:].strip()).decode().partition(":")
                basic = (u, pw)
            except (ValueError, UnicodeDecodeError):
                basic = ("", "")
        der = None
        ssl_obj = request.transport.get_extra_info("ssl_object") if request.transport else None
        if ssl_obj is not None:
            der = ssl_obj.getpeercert(binary_form=True)
        return Credentials(
            bearer=bearer, basic=basic, client_cert_der=der,
            impersonate_user=request.headers.get("Impersonate-User") or None,
            impersonate_groups=tuple(request.headers.getall("Impersonate-Group", [])),
            impersonate_uid=request.headers.get("Impersonate-Uid") or None)

    def _authenticate(self, request: web.Request):
        creds = self._credentials(request)
        user = self.authn.authenticate(creds, dt.datetime.fromtimestamp(self.wall(), dt.timezone.utc))
        return user, creds

    # --- reviews (can-i, whoami) -----------------------------------------------------------------------

    async def _review(self, request: web.Request, parts: list[str], who) -> web.Response:
        group, version, rest = parts[1], parts[2], parts[3:]
        namespace = ""
        if len(rest) == 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        known = {r for r, _k, _ns in reviews.GROUPS[group][1]}
        if version != reviews.GROUPS[group][0] or len(rest) != 1 or rest[0] not in known:
            raise _not_found_path()
        if request.method != "POST":
            raise StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        body, _ = await self._body(request, "POST")
        name, groups, impersonator = identity_for(*who)
        user = UserInfo(name, groups)

        def decide():
            with self.worker.cluster.view() as view:
                if impersonator:
                    reviews.check_impersonation(view, who[0], name, groups)
                reviews.may_create(view, user, group, rest[0], namespace)
                return reviews.answer(view, rest[0], body, user, namespace)

        obj = await asyncio.get_running_loop().run_in_executor(None, decide)
        return json_response(obj, 201)

    # --- resources -----------------------------------------------------------------------------------

    async def _resource(self, request: web.Request, t: Target, who) -> web.StreamResponse:
        q = request.query
        method = request.method
        rt = t.rt
        if t.name:
            verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "POST": "create"}.get(method)
            if method == "POST" and not t.subresource:
                verb = None
        else:
            verb = {"GET": "list", "POST": "create", "DELETE": "deletecollection"}.get(method)
            if verb == "list" and q.get("watch") in ("1", "true", "True"):
                verb = "watch"
        if verb is None:
            raise StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if rt.namespaced and not t.namespace and t.name:
            raise _not_found_path()
        if rt.namespaced and not t.namespace and verb == "create":
            raise _not_found_path()
        if t.subresource in ("log", "exec", "attach", "portforward", "proxy"):
            from engine.server import podio

            if t.subresource == "log" and method == "GET" and rt.plural == "pods" and podio.available():
                return await self._pod_log(request, t, who)
            if t.subresource == "exec" and method in ("GET", "POST") and rt.plural == "pods" and podio.available():
                return await self._pod_exec(request, t, who)
            raise podio.not_served(f"{rt.plural}/{t.subresource}")
        params: dict[str, Any] = {}
        for k in ("labelSelector", "fieldSelector", "fieldManager", "fieldValidation", "propagationPolicy"):
            if q.get(k):
                params[k] = q[k]
        if q.get("orphanDependents") in ("true", "1") and "propagationPolicy" not in params:
            params["propagationPolicy"] = "Orphan"
        dry_run = bool(q.getall("dryRun", []))
        for v in q.getall("dryRun", []):
            if v != "All":
                raise bad_request(f'dryRun: Unsupported value: "{v}": supported values: "All"')
        body: Any = None
        if method in ("POST", "PUT", "PATCH") or (method == "DELETE" and request.can_read_body):
            body, patch_type = await self._body(request, method)
            if method == "PATCH":
                params["patchType"] = patch_type
            if method == "DELETE":
                body, dry_run, params = _delete_options(body, dry_run, params)
        rv = q.get("resourceVersion", "")
        if verb in ("get", "list") and rv and q.get("resourceVersionMatch") == "Exact":
            params["at"] = _rv_int(rv)
        user, groups, impersonator = identity_for(*who)
        if impersonator and who[0].groups:
            params["impersonatorGroups"] = list(who[0].groups)  # as engine.client records the sender's groups
        req = Request(verb=verb, group=rt.group, version=rt.version, resource=rt.plural, namespace=t.namespace,
                      name=t.name, subresource=t.subresource, body=body, user=user, groups=groups,
                      impersonator=impersonator, dry_run=dry_run, params=params)
        if verb == "watch":
            return await self._watch(request, t, req)
        if verb == "deletecollection":
            return await self._delete_collection(request, t, req)
        if verb == "patch" and params.get("patchType") == "apply":
            return await self._server_side_apply(request, t, req)
        if verb == "list" and (q.get("continue") or q.get("limit")):
            return await self._paged_list(request, t, req)
        resp = await self.worker.submit(req)
        return self._reply(request, t, resp, created=verb == "create")

    def _reply(self, request: web.Request, t: Target, resp, *, created: bool = False, obj: Any = None) -> web.Response:
        if resp.error is not None:
            return status_response(resp.error)
        obj = resp.obj if obj is None else obj
        headers = {}
        if resp.warnings:
            headers["Warning"] = ", ".join(f'299 - "{_quote_warning(w)}"' for w in resp.warnings)
        if not t.subresource or t.subresource == "status":
            obj = to_version(obj, t.group, t.version)
        table_version = wants_table(request.headers.get("Accept", ""))
        if table_version and request.method == "GET" and t.subresource in ("", "status") and isinstance(obj, dict):
            items = obj.get("items") if "items" in obj else [obj]
            now = resp.entry.at / 1_000_000 if resp.entry is not None else self.wall()
            rv = (obj.get("metadata") or {}).get("resourceVersion", "")
            obj = to_table(t.rt, items, now, resource_version=rv, include=request.query.get("includeObject", "Metadata"),
                           table_version=table_version, cont=(obj.get("metadata") or {}).get("continue", ""))
        return json_response(obj, 201 if created else 200, headers)

    async def _body(self, request: web.Request, method: str) -> tuple[Any, str | None]:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise StatusError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}") from None
        if len(raw) > MAX_BODY:
            raise StatusError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}")
        ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if method == "PATCH":
            if ctype not in _PATCH_TYPES or _PATCH_TYPES[ctype] is None:
                raise StatusError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - accepted media types include: "
                                  "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
                                  "application/strategic-merge-patch+json")
            ptype = _PATCH_TYPES[ctype]
            if ptype == "apply":
                return _parse_yaml(raw), ptype
            try:
                return json.loads(raw), ptype
            except (ValueError, UnicodeDecodeError) as e:
                raise bad_request(f"error decoding patch: {_json_error(e)}") from None
        if ctype in ("", JSON, "*/*"):
            if not raw.strip():
                if method == "DELETE":
                    return None, None
                raise bad_request("the body of the request was in an unknown format")
            try:
                return json.loads(raw), None
            except (ValueError, UnicodeDecodeError) as e:
                raise bad_request(f"couldn't get version/kind; json parse error: {_json_error(e)}") from None
        if ctype in ("application/yaml", "application/x-yaml"):
            return _parse_yaml(raw), None
        if ctype == "application/vnd.kubernetes.protobuf":
            from engine.server.protobuf import ProtobufError, decode

            try:
                return decode(raw), None
            except ProtobufError as e:
                raise bad_request(f"the body of the request was in an unknown format: {e}") from None
        raise StatusError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted media types include: '
                          f"application/json, application/yaml, application/vnd.kubernetes.protobuf")

    # --- pods/log -------------------------------------------------------------------------------------

    async def _pod_log(self, request: web.Request, t: Target, who) -> web.StreamResponse:
        """A recorded, authorized read of pods/log (the pod comes back from the request path), then
        the container's output from the kubelet simulation, as text/plain."""
        from engine.server import podio

        user, groups, impersonator = identity_for(*who)
        params = {"impersonatorGroups": list(who[0].groups)} if impersonator and who[0].groups else {}
        resp = await self.worker.submit(Request(verb="get", group="", version="v1", resource="pods", namespace=t.namespace,
                                                name=t.name, subresource="log", user=user, groups=groups,
                                                impersonator=impersonator, params=params))
        if resp.error is not None:
            return status_response(resp.error)
        text = await asyncio.get_running_loop().run_in_executor(
            None, podio.pod_logs, self.worker.cluster.store, resp.obj, request.query.get("container", ""))
        return web.Response(text=text, content_type="text/plain")

    async def _pod_exec(self, request: web.Request, t: Target, who) -> web.StreamResponse:
        """A recorded, authorized `get pods/exec` (the verb of a WebSocket upgrade), the `create`
        check upstream adds for upgrades since 1.31, then the command's output over the
        channel protocol (podio.py)."""
        from aiohttp import WSMsgType

        from engine.pipeline import authz as authz_mod
        from engine.server import podio

        q = request.query
        argv = q.getall("command", [])
        if not argv:
            raise bad_request("you must specify at least 1 command")
        user, groups, impersonator = identity_for(*who)
        params: dict[str, Any] = {"container": q.get("container", ""), "execCommand": argv}
        if impersonator and who[0].groups:
            params["impersonatorGroups"] = list(who[0].groups)
        resp = await self.worker.submit(Request(verb="get", group="", version="v1", resource="pods", namespace=t.namespace,
                                                name=t.name, subresource="exec", user=user, groups=groups,
                                                impersonator=impersonator, params=params))
        if resp.error is not None:
            return status_response(resp.error)

        def prepare():
            with self.worker.cluster.view() as view:
                a = authz_mod.Attributes(user, groups, "create", "", "pods", "exec", t.namespace, t.name)
                ok, reason = authz_mod.allowed(authz_mod.build_chain(view), a)
                if not ok:
                    raise authz_mod.forbidden_error(a, reason)
            return podio.exec_machine(self.worker.cluster.store, resp.obj, q.get("container", ""))

        loop = asyncio.get_running_loop()
        machine = await loop.run_in_executor(None, prepare)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            raise podio.not_served("pods/exec over SPDY (kubectl >= 1.30 uses WebSockets)")
        ws = web.WebSocketResponse(protocols=podio.PROTOCOLS)
        await ws.prepare(request)
        stdin_text = None
        if q.get("stdin") in ("true", "1"):
            chunks = []
            async for msg in ws:
                if msg.type != WSMsgType.BINARY or not msg.data:
                    break
                channel, data = msg.data[0], msg.data[1:]
                if channel == 0:
                    chunks.append(data)
                elif channel == 255 and data[:1] == b"\x00":  # v5: the client closed stdin
                    break
            stdin_text = b"".join(chunks).decode(errors="replace")
        result = await loop.run_in_executor(None, machine.exec, argv, (lambda: stdin_text) if stdin_text is not None else None)
        tty = q.get("tty") in ("true", "1")
        if result.stdout or (tty and result.stderr):
            await ws.send_bytes(b"\x01" + (result.stdout + (result.stderr if tty else "")).encode())
        if result.stderr and not tty and q.get("stderr") in ("true", "1"):
            await ws.send_bytes(b"\x02" + result.stderr.encode())
        await ws.send_bytes(b"\x03" + _dumps(podio.exit_status(result.code, argv)))
        await ws.close()
        return ws

    # --- lists: pagination ---------------------------------------------------------------------------

    async def _paged_list(self, request: web.Request, t: Target, req: Request) -> web.Response:
        """limit/continue: every page is read at the first page's resourceVersion (exact, from the
        log), so pages never skip or repeat objects; the token is (seq, last key) as upstream's."""
        q = request.query
        try:
            limit = int(q.get("limit") or 0)
        except ValueError:
            raise bad_request(f'invalid limit "{q.get("limit")}"') from None
        start_after = ""
        params = dict(req.params)
        if q.get("continue"):
            try:
                tok = json.loads(base64.urlsafe_b64decode(q["continue"].encode()))
                params["at"] = int(tok["rv"])
                start_after = str(tok["start"])
            except (ValueError, KeyError, TypeError):
                raise StatusError(400, "BadRequest", "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)") from None
        resp = await self.worker.submit(Request(**{**_fields(req), "params": params}))
        if resp.error is not None or limit <= 0:
            return self._reply(request, t, resp)
        lst = resp.obj
        items = lst["items"]
        if start_after:
            items = [o for o in items if _item_key(o) > start_after]
        page, rest = items[:limit], items[limit:]
        meta = {"resourceVersion": lst["metadata"]["resourceVersion"]}
        if rest:
            token = {"rv": int(lst["metadata"]["resourceVersion"]), "start": _item_key(page[-1])}
            meta["continue"] = base64.urlsafe_b64encode(_dumps(token)).decode()
            meta["remainingItemCount"] = len(rest)
        return self._reply(request, t, resp, obj={**lst, "metadata": meta, "items": page})

    # --- deletecollection ----------------------------------------------------------------------------

    async def _delete_collection(self, request: web.Request, t: Target, req: Request) -> web.Response:
        """Upstream's deletecollection: list with the selectors, then delete each item (each a
        recorded delete through the request path), answer the list of what was deleted."""
        lst = await self.worker.submit(Request(**{**_fields(req), "verb": "list", "body": None}))
        if lst.error is not None:
            return status_response(lst.error)
        deleted = []
        for o in lst.obj["items"]:
            m = o.get("metadata") or {}
            params = {k: v for k, v in req.params.items() if k in ("propagationPolicy",)}
            r = await self.worker.submit(Request(**{**_fields(req), "verb": "delete", "name": m.get("name", ""),
                                                   "namespace": m.get("namespace", "") if t.rt.namespaced else "",
                                                   "body": None, "params": params}))
            if r.error is not None and r.error.code != 404:
                return status_response(r.error)
            if r.error is None:
                deleted.append(r.obj)
        out = {**lst.obj, "items": deleted}
        return self._reply(request, t, lst, obj=out)

    # --- server-side apply (basics) ------------------------------------------------------------------

    async def _server_side_apply(self, request: web.Request, t: Target, req: Request) -> web.Response:
        """`kubectl apply --server-side` basics: create when absent, else merge the applied
        configuration with strategic-merge semantics (lists merged by their keys). Field
        ownership (managedFields, conflicts between managers) is not tracked."""
        body = req.body
        if not isinstance(body, dict):
            raise bad_request("the body of the request was in an unknown format")
        params = {k: v for k, v in req.params.items() if k != "patchType"}
        resp = await self.worker.submit(Request(**{**_fields(req), "params": {**params, "patchType": "strategic"}}))
        if resp.error is not None and resp.error.code == 404:
            meta = dict(body.get("metadata") or {})
            meta.setdefault("name", req.name)
            create = Request(**{**_fields(req), "verb": "create", "name": "", "body": {**body, "metadata": meta}, "params": params})
            resp = await self.worker.submit(create)
            return self._reply(request, t, resp, created=True)
        return self._reply(request, t, resp)

    # --- watch ---------------------------------------------------------------------------------------

    async def _watch(self, request: web.Request, t: Target, req: Request) -> web.StreamResponse:
        from engine.model.selectors import parse_field_selector, parse_label_selector

        q = request.query
        lsel = parse_label_selector(q.get("labelSelector", "")) if q.get("labelSelector") else None
        fsel = parse_field_selector(q.get("fieldSelector", ""), t.rt.kind) if q.get("fieldSelector") else None
        ns = t.namespace

        def matches(o: dict) -> bool:
            m = o.get("metadata") or {}
            if ns and t.rt.namespaced and m.get("namespace") != ns:
                return False
            if lsel is not None and not lsel.matches(m.get("labels") or {}):
                return False
            return fsel is None or fsel.matches(o)

        rv = q.get("resourceVersion", "")
        initial = await self.worker.submit(req)  # recorded and authorized like any read
        if initial.error is not None:
            return status_response(initial.error)
        initial_events = q.get("sendInitialEvents") in ("true", "1")
        if rv in ("", "0") or initial_events:
            # "", "0": start from the current state as ADDED events (upstream's "Any"/"Most
            # recent"); sendInitialEvents (WatchList): the same, then a bookmark marking its end
            start = int(initial.obj["metadata"]["resourceVersion"])
            first = [("ADDED", o) for o in initial.obj["items"]]
        else:
            start = _rv_int(rv)
            first = []
        try:
            timeout = float(q.get("timeoutSeconds") or 1800)
        except ValueError:
            timeout = 1800.0
        deadline = time.monotonic() + timeout
        table_version = wants_table(request.headers.get("Accept", ""))
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        resp = web.StreamResponse(status=200, headers={"Content-Type": JSON, "Cache-Control": "no-cache, private"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        spec = WatchSpec(t.rt, ns if t.rt.namespaced else "", matches)
        loop = asyncio.get_running_loop()
        sent_headers = False

        def frame(etype: str, obj: dict) -> bytes:
            nonlocal sent_headers
            obj = to_version(obj, t.group, t.version)
            if table_version and etype != "BOOKMARK":
                now = self.worker.head_at / 1_000_000
                obj = to_table(t.rt, [obj], now, resource_version=(obj.get("metadata") or {}).get("resourceVersion", ""),
                               include=q.get("includeObject", "Metadata"), table_version=table_version,
                               headers=not sent_headers)
                sent_headers = True
            return _dumps({"type": etype, "object": obj}) + b"\n"

        last = start
        try:
            if first:
                await resp.write(b"".join(frame(e, o) for e, o in first))
            if initial_events:
                bm = {"kind": t.rt.kind, "apiVersion": _api_version(t),
                      "metadata": {"resourceVersion": str(start), "annotations": {"k8s.io/initial-events-end": "true"}}}
                await resp.write(_dumps({"type": "BOOKMARK", "object": bm}) + b"\n")
            while not self.closing and time.monotonic() < deadline:
                if request.transport is None or request.transport.is_closing():
                    return resp  # the client went away (aiohttp does not cancel the handler)
                ev = self._head_event
                events, last2 = await loop.run_in_executor(None, events_since, self.worker.cluster.store, spec, last)
                if events:
                    await resp.write(b"".join(frame(e, o) for e, o in events))
                last = last2
                if last < self.worker.head_seq:
                    continue
                wait = min(WATCH_IDLE_S, max(0.0, deadline - time.monotonic()))
                try:
                    await asyncio.wait_for(ev.wait(), timeout=wait)
                except asyncio.TimeoutError:
                    if bookmarks:
                        bm = {"kind": t.rt.kind, "apiVersion": _api_version(t), "metadata": {"resourceVersion": str(last)}}
                        await resp.write(_dumps({"type": "BOOKMARK", "object": bm}) + b"\n")
        except (ConnectionResetError, ConnectionError, asyncio.CancelledError):
            return resp
        try:
            await resp.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass
        return resp


def _api_version(t: Target) -> str:
    return f"{t.group}/{t.version}" if t.group else t.version


def _fields(req: Request) -> dict:
    import attrs

    return attrs.asdict(req, recurse=False)


def _item_key(o: dict) -> str:
    m = o.get("metadata") or {}
    return f"{m.get('namespace', '')}/{m.get('name', '')}"


def _rv_int(rv: str) -> int:
    try:
        n = int(rv)
        if n < 0:
            raise ValueError
        return n
    except ValueError:
        raise bad_request(f'resourceVersion: Invalid value: "{rv}": must be a non-negative integer') from None


def _delete_options(body: Any, dry_run: bool, params: dict) -> tuple[None, bool, dict]:
    if not isinstance(body, dict):
        return None, dry_run, params
    params = dict(params)
    if body.get("propagationPolicy") and "propagationPolicy" not in params:
        params["propagationPolicy"] = body["propagationPolicy"]
    if body.get("orphanDependents") is True and "propagationPolicy" not in params:
        params["propagationPolicy"] = "Orphan"
    pre = body.get("preconditions") or {}
    if pre.get("resourceVersion"):
        params["preconditions"] = {"resourceVersion": str(pre["resourceVersion"])}
    if body.get("dryRun"):
        dry_run = True
    return None, dry_run, params


def _parse_yaml(raw: bytes) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as e:
        raise bad_request(f"error converting YAML to JSON: {str(e).splitlines()[0]}") from None


def _json_error(e: Exception) -> str:
    msg = str(e)
    if "Expecting value" in msg:
        return "invalid character looking for beginning of value"
    if "Unterminated" in msg or "Expecting" in msg:
        return "unexpected end of JSON input" if "char" in msg else msg
    return msg


def _quote_warning(w: str) -> str:
    return w.replace("\\", "\\\\").replace('"', '\\"')


__all__ = ["Server", "parse_resource_path", "resolve_target"]
