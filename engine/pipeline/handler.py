"""The request path: authenticate -> authorize -> admit -> validate -> decide -> append -> fold.

`handle` runs inside the caller's write transaction, so the decision, the appended entry, its
indexes and the materialized object commit together (or not at all). Every request is recorded,
reads and refusals included; a read-only path computes the same answer and records nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

import attrs

from engine.codec import packed_object
from engine.errors import StatusError, already_exists, bad_request, conflict, invalid, not_found
from engine.log import eventlog
from engine.log.eventlog import Head
from engine.log.kv import Txn
from engine.pipeline import authz as authz_mod
from engine.pipeline.admission import AdmissionContext, operation_of
from engine.pipeline.admission.limit_ranger import LimitRanger
from engine.pipeline.admission.namespace_lifecycle import NamespaceLifecycle
from engine.pipeline.admission.resource_quota import ResourceQuota
from engine.records import Admitted, Conflicted, Denied, LogEntry, Request
from engine.registry import BY_GROUP_RESOURCE, ResourceType
from engine.view import View
from projections import timetravel
from reducers.keys import collection_prefix, index_key, object_key
from reducers.storage import next_object, to_scale

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # upstream's utilrand alphabet (no vowels, no 0/1/3)
_CLOCK = ("kubetape.io", "clock")
_DATAKEYS = ("kubetape.io", "datakeys")  # `ktape secrets forget`: destroy an object's data key


def _seals(txn: Txn, req: Request) -> bool:
    kr = getattr(txn, "keyring", None)
    return kr is not None and kr.seals(req.group, req.resource)


def _seal(txn: Txn, seq: int, req: Request, outcome, new):
    from engine.crypto.seal import seal_entry

    return seal_entry(txn.keyring, seq, req, outcome, new)  # type: ignore[attr-defined]


@attrs.frozen
class Response:
    entry: LogEntry | None
    obj: Any = None
    error: StatusError | None = None
    warnings: tuple[str, ...] = ()  # the API's `Warning:` headers (e.g. unknown fields under fieldValidation=Warn)

    @property
    def code(self) -> int:
        return self.error.code if self.error else (self.entry.code if self.entry else 200)

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.frozen
class _Written:
    """What a write decided: the object before and after, the outcome, the reply, and the
    after-object's canonical bytes (packed once for both its digest and the store)."""

    prev: dict | None
    new: dict | None
    outcome: object
    result: Any
    warnings: tuple[str, ...] = ()
    packed: bytes | None = None


class _Refused(Exception):
    def __init__(self, stage: str, error: StatusError):
        self.stage, self.error = stage, error


class RequestPath:
    """One pipeline: the authorizer modes come from the recorded cluster settings."""

    def __init__(self, admission: list | None = None):
        # upstream's recommended order; ResourceQuota last so it sees every other plugin's changes
        self.admission = admission if admission is not None else [NamespaceLifecycle(), LimitRanger(), ResourceQuota()]

    # --- entry point ---------------------------------------------------------------------------

    def handle(self, txn: Txn, head: Head, req: Request, *, record: bool = True) -> tuple[Response, Head]:
        view = View(txn, head.at, head.seq)
        seq = head.seq + 1
        written = _Written(None, None, None, None)
        try:
            if (req.group, req.resource) == _CLOCK:
                written = _Written(None, None, self._advance(req, head), None)
            elif (req.group, req.resource) == _DATAKEYS:
                self._authenticate(req)
                # shredding a secret's data needs what deleting the secret needs
                target = req.body.get("resource", "secrets") if isinstance(req.body, dict) else "secrets"
                self._authorize(view, attrs.evolve(req, group="", resource=target))
                written = _Written(None, None, self._forget(txn, req, record), None)
            else:
                rt = self._rtype(req)
                self._authenticate(req)
                self._authorize(view, req)
                if req.verb == "get" and req.subresource == "proxy":
                    written = self._proxy(view, req, head, seq)
                elif req.verb in ("get", "list", "watch"):
                    written = _Written(None, None, Admitted(200), self._read(view, rt, req))
                else:
                    written = self._write(view, rt, req, head, seq)
        except _Refused as r:
            outcome = Denied(r.stage, r.error.code, r.error.reason, r.error.message)
            if record and req.is_write and _seals(txn, req):
                req, outcome, _n, _p = _seal(txn, seq, req, outcome, None)
            entry = LogEntry(seq, head.at, req, outcome, head.digest)
            if record:
                head = eventlog.append(txn, entry, index_key(entry), None, None, head)
            return Response(entry, None, r.error), head
        outcome = written.outcome
        if record and req.is_write and _seals(txn, req):  # encryption at rest: payloads leave as ciphertext
            req, outcome, new, packed = _seal(txn, seq, req, outcome, written.new)
            written = attrs.evolve(written, new=new, packed=packed)
        at = outcome.decided["to"] if (req.group, req.resource) == _CLOCK else head.at
        entry = LogEntry(seq, at, req, outcome, head.digest)
        if isinstance(outcome, Conflicted):
            if record:
                head = eventlog.append(txn, entry, index_key(entry), None, None, head)
            return Response(entry, None, conflict(req.resource, req.group, req.name)), head
        if record:
            head = eventlog.append(txn, entry, index_key(entry), written.prev, written.new, head, written.packed)
        return Response(entry, written.result, None, written.warnings), head

    # --- stages --------------------------------------------------------------------------------

    @staticmethod
    def _rtype(req: Request) -> ResourceType:
        rt = BY_GROUP_RESOURCE.get((req.group, req.resource))
        if rt is None:
            raise _Refused("routing", StatusError(404, "NotFound", "the server could not find the requested resource"))
        if (req.subresource and req.subresource not in rt.subresources) or (req.namespace and not rt.namespaced):
            raise _Refused("routing", StatusError(404, "NotFound", "the server could not find the requested resource"))
        if rt.namespaced and not req.namespace and req.verb not in ("list", "watch"):
            raise _Refused("routing", bad_request("an empty namespace may not be set when a resource name is provided"
                                                  if req.name else "the namespace of the object must be set"))
        return rt

    @staticmethod
    def _authenticate(req: Request) -> None:
        if not req.user:
            raise _Refused("authentication", StatusError(401, "Unauthorized", "Unauthorized"))

    def _authorize(self, view: View, req: Request) -> None:
        modes = ((view.cluster().get("spec") or {}).get("authorization") or {}).get("modes") or ["AlwaysAllow"]
        chain = [authz_mod.MODES[m]() for m in modes if m in authz_mod.MODES]
        try:
            if req.impersonator:
                # The real sender must hold `impersonate` on the user (and each group) it claims.
                authz_mod.authorize(chain, authz_mod.Attributes(req.impersonator, (), "impersonate", "", "users", "", "", req.user))
            authz_mod.authorize(chain, authz_mod.Attributes(
                req.user, req.groups, req.verb, req.group, req.resource, req.subresource, req.namespace, req.name))
        except StatusError as e:
            raise _Refused("authorization", e) from None

    # --- reads ---------------------------------------------------------------------------------

    def _read(self, view: View, rt: ResourceType, req: Request) -> Any:
        at = req.params.get("at")
        if at is not None and (not isinstance(at, int) or at < 0 or at > view.seq):
            raise _Refused("storage", bad_request(f"--at {at}: the log holds seqs 1 to {view.seq}"))
        if req.name:
            key = object_key(req.group, req.resource, req.namespace, req.name)
            obj = view.get_key(key) if at is None else timetravel.object_at(view.txn, key, at)
            if obj is None:
                raise _Refused("storage", not_found(rt.plural, rt.group, req.name))
            if req.subresource == "scale":
                return to_scale(obj)
            return obj
        ns = req.namespace or None
        prefix = collection_prefix(req.group, req.resource, ns if rt.namespaced else None)
        pairs = view.items(req.group, req.resource, ns if rt.namespaced else None) if at is None else timetravel.list_at(view.txn, prefix, at)
        items = [o for _k, o in pairs]
        try:
            items = _filter(items, rt, req.params.get("labelSelector"), req.params.get("fieldSelector"))
        except StatusError as e:
            raise _Refused("storage", e) from None
        return {
            "apiVersion": rt.api_version,
            "kind": rt.list_kind,
            "metadata": {"resourceVersion": str(at if at is not None else view.seq)},
            "items": items,
        }

    # --- services/proxy: a connection through kube-proxy ----------------------------------------

    def _proxy(self, view: View, req: Request, head: Head, seq: int) -> "_Written":
        """Which backend kube-proxy sends this connection to (`projections.kube_proxy`); the choice,
        and the round-robin position or random seed behind it, are the entry's decided values."""
        from projections import kube_proxy
        from projections.netstate import StateReader

        svc = view.get("", "services", req.namespace, req.name)
        if svc is None:
            raise _Refused("storage", not_found("services", "", req.name))
        sport = kube_proxy.service_port(svc, req.params.get("port"))
        if sport is None:
            raise _Refused("storage", StatusError(503, "ServiceUnavailable",
                                                  f'no service port "{req.params.get("port")}" found for service "{req.name}"'))
        pool = kube_proxy.backends(StateReader(view.txn), svc, sport)
        if not pool:
            raise _Refused("storage", StatusError(503, "ServiceUnavailable", f'no endpoints available for service "{req.name}"'))
        mode = (view.cluster().get("spec") or {}).get("proxyMode") or "ipvs"
        node = str(req.params.get("node") or "")
        pkey = sport.get("name") or str(sport.get("port"))
        decided: dict = {"mode": mode, "node": node, "port": pkey}
        key = object_key("", "services", req.namespace, req.name)
        spec = svc.get("spec") or {}
        if spec.get("sessionAffinity") == "ClientIP":  # the client's last backend, while it lasts and is still ready
            timeout = int((((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get("timeoutSeconds")) or 10800)
            client_from = str(req.params.get("from") or "")
            last = self._last_proxy(view, key, lambda e: str(e.request.params.get("from") or "") == client_from
                                    and e.outcome.decided.get("port") == pkey)
            if last is not None and head.at - last.at <= timeout * 1_000_000:
                prev = last.outcome.decided.get("backend") or {}
                kept = next((b for b in pool if b.ip == prev.get("ip")), None)
                if kept is not None:
                    decided["affinity"] = "ClientIP"
                    decided["backend"] = {"pod": kept.pod, "namespace": kept.namespace, "ip": kept.ip, "port": kept.port,
                                          "node": kept.node}
                    return _Written(None, None, Admitted(200, decided),
                                    {"backend": decided["backend"], "backends": len(pool), "mode": mode})
        cursor = seed = 0
        if mode == "iptables":
            seed = decided["seed"] = kube_proxy.draw(f"proxy:{head.digest}:{seq}")
        else:
            last = self._last_proxy(view, key, lambda e: e.outcome.decided.get("node") == node and e.outcome.decided.get("port") == pkey
                                    and e.outcome.decided.get("mode") == mode and "rr" in e.outcome.decided)
            cursor = decided["rr"] = int(last.outcome.decided["rr"]) + 1 if last is not None else 0
        b = kube_proxy.pick(mode, pool, cursor, seed)
        decided["backend"] = {"pod": b.pod, "namespace": b.namespace, "ip": b.ip, "port": b.port, "node": b.node}
        return _Written(None, None, Admitted(200, decided), {"backend": decided["backend"], "backends": len(pool), "mode": mode})

    @staticmethod
    def _last_proxy(view: View, key: bytes, match, limit: int = 4096) -> LogEntry | None:
        """The newest admitted `services/proxy` entry of this Service that `match`es, read back from
        the Service's own entries (the idx_obj index, newest first, at most `limit` of them)."""
        from engine.log.eventlog import SEP, from_u64, read_entry
        from engine.log.kv import prefix_end

        prefix = key + SEP
        for n, (k, _v) in enumerate(view.txn.scan("idx_obj", prefix, prefix_end(prefix), reverse=True)):
            if n >= limit:
                break
            e = read_entry(view.txn, from_u64(bytes(k[len(prefix):])))
            if e is None or e.request.subresource != "proxy" or not isinstance(e.outcome, Admitted):
                continue
            if match(e):
                return e
        return None

    # --- writes --------------------------------------------------------------------------------

    def _write(self, view: View, rt: ResourceType, req: Request, head: Head, seq: int):
        verb = req.verb
        op = operation_of(verb)
        if op is None:
            raise _Refused("routing", StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"))
        if verb in ("create", "update") and rt.kind in ("Secret", "ConfigMap") and not req.subresource:
            from engine.pipeline.validation.decoding import decode_error  # the body is decoded before anything else

            bad = decode_error(req.body, rt.kind, rt.api_version)
            if bad is not None:
                raise _Refused("validation", bad)
        decided: dict = {}
        if verb == "create" and not req.subresource:
            prev = None
            self._create_name(view, rt, req, head, seq, decided)
            decided["uid"] = _uid(head.digest, seq)
        else:
            name = req.name
            prev = view.get(req.group, req.resource, req.namespace, name)
            if prev is None:
                raise _Refused("storage", not_found(rt.plural, rt.group, name))
        if verb == "delete":
            prop = req.params.get("propagationPolicy")
            if prop == "Foreground":
                decided["finalizers"] = ["foregroundDeletion"]
            elif prop == "Orphan":
                decided["finalizers"] = ["orphan"]
            elif prop not in (None, "Background"):
                raise _Refused("validation", bad_request(f'unsupported propagationPolicy "{prop}": must be Foreground, Background or Orphan'))
        # Mutating admission: each plugin's changes become decided JSON-patch operations.
        mutations: list[dict] = []
        for plugin in self.admission:
            ctx = AdmissionContext(req, rt, view, prev, req.body if isinstance(req.body, dict) else None, op)
            try:
                mutations += plugin.mutate(ctx)
            except StatusError as e:
                raise _Refused("admission", e) from None
        if mutations:
            decided["mutations"] = mutations
        warnings = self._check_fields(rt, req)
        expected = _expected_rv(req)
        if prev is not None and expected and expected != prev["metadata"].get("resourceVersion"):
            return _Written(prev, None, Conflicted(expected, prev["metadata"].get("resourceVersion", "")), None, warnings)
        probe = LogEntry(seq, head.at, req, Admitted(200, decided, "pending"), head.digest)
        try:
            new = next_object(prev, probe)
        except StatusError as e:
            raise _Refused("validation", e) from None
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise _Refused("validation", bad_request(f"the object could not be processed: {e}")) from None
        if verb == "patch" and new is not None:
            if rt.kind in ("Secret", "ConfigMap") and not req.subresource:
                from engine.pipeline.validation.decoding import patch_decode_error

                bad = patch_decode_error(new, req.body, req.params.get("patchType", "strategic"), rt.kind)
                if bad is not None:
                    raise _Refused("validation", bad)
            warnings += self._check_patched_fields(req, new)
        if verb != "delete" and new is not None:
            self._validate(rt, new, prev)
            if rt.kind == "Service" and not req.subresource:
                new = self._allocate(view, req, head, seq, prev, new, probe, decided)
        for plugin in self.admission:
            try:
                plugin.validate(AdmissionContext(req, rt, view, prev, new, op))
            except StatusError as e:
                raise _Refused("admission", e) from None
        code = 201 if verb == "create" and not req.subresource else 200
        if verb in ("update", "patch", "delete") and new is not None and _unchanged(prev, new):
            # A write that changes nothing is recorded but leaves the object (and its resourceVersion) alone.
            return _Written(prev, prev, Admitted(200, decided, ""), to_scale(prev) if req.subresource == "scale" else prev, warnings)
        packed, digest = packed_object(new)
        outcome = Admitted(code, decided, digest)
        if new is None:
            result = prev  # the object's last state: what a removal (delete, last finalizer gone) took away
        elif verb == "delete":
            result = new
        elif req.subresource == "scale":
            result = to_scale(new)
        else:
            result = new
        return _Written(prev, new, outcome, result, warnings, packed)

    @staticmethod
    def _check_fields(rt: ResourceType, req: Request) -> tuple[str, ...]:
        """Unknown fields under fieldValidation=Strict (refused, 400) or Warn (warnings)."""
        mode = req.params.get("fieldValidation")
        if mode not in ("Strict", "Warn") or req.verb not in ("create", "update") or not isinstance(req.body, dict):
            return ()
        from engine.pipeline.validation.strict import strict_error, unknown_fields

        kind, api_version = ("Scale", "autoscaling/v1") if req.subresource == "scale" else (rt.kind, rt.api_version)
        if mode == "Warn":
            return tuple(f'unknown field "{p}"' for p in unknown_fields(req.body, kind=kind, api_version=api_version))
        err = strict_error(req.body, kind=kind, api_version=api_version)
        if err is not None:
            raise _Refused("validation", err)
        return ()

    @staticmethod
    def _check_patched_fields(req: Request, new: dict) -> tuple[str, ...]:
        mode = req.params.get("fieldValidation")
        if mode not in ("Strict", "Warn"):
            return ()
        from engine.pipeline.validation.strict import strict_patch_error, unknown_fields

        if mode == "Warn":
            return tuple(f'unknown field "{p}"' for p in unknown_fields(new, sort_keys=True))
        err = strict_patch_error(new, req.body, req.params.get("patchType", "strategic"))
        if err is not None:
            raise _Refused("validation", err)
        return ()

    def _create_name(self, view: View, rt: ResourceType, req: Request, head: Head, seq: int, decided: dict) -> str:
        body = req.body
        if not isinstance(body, dict):
            raise _Refused("validation", bad_request("the body of the request was in an unknown format"))
        if body.get("kind") not in (None, rt.kind):
            raise _Refused("validation", bad_request(
                f"the API version in the data ({body.get('apiVersion')}) does not match the expected API version ({rt.api_version})"
                if body.get("apiVersion") != rt.api_version else f"the kind in the data ({body.get('kind')}) does not match the resource ({rt.plural})"))
        meta = body.get("metadata") or {}
        if rt.namespaced and meta.get("namespace") and meta["namespace"] != req.namespace:
            raise _Refused("validation", bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"))
        if meta.get("resourceVersion"):
            raise _Refused("validation", invalid(rt.kind, rt.group, meta.get("name", ""), [
                _field("Invalid", "metadata.resourceVersion", meta["resourceVersion"], "must be empty")]))
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            base = meta["generateName"][:58]
            salt = 0
            while True:
                if rt.kind == "Event" and base.endswith("."):
                    name = base + format(head.at * 1000 + salt, "x")  # upstream: <name>.<unix nanos in hex>
                else:
                    name = base + _suffix(head.digest, seq, base, salt)
                if view.get(req.group, req.resource, req.namespace if rt.namespaced else "", name) is None:
                    break
                salt += 1
            decided["name"] = name
        if not name:
            raise _Refused("validation", invalid(rt.kind, rt.group, "", [
                _field("Required", "metadata.name", None, "name or generateName is required")]))
        if view.get(req.group, req.resource, req.namespace if rt.namespaced else "", name) is not None:
            raise _Refused("storage", already_exists(rt.plural, rt.group, name))
        return name

    @staticmethod
    def _allocate(view: View, req: Request, head: Head, seq: int, prev: dict | None, new: dict, probe: LogEntry,
                  decided: dict) -> dict:
        """ClusterIP and NodePorts (`allocators`), recorded as decided values, then the object again."""
        from engine.pipeline.allocators import ServiceAllocator

        key = object_key(req.group, req.resource, req.namespace, new["metadata"]["name"])
        try:
            allocated = ServiceAllocator(view, key, f"{head.digest}:{seq}").allocate(prev, new)
        except StatusError as e:
            raise _Refused("storage", e) from None
        if not allocated:
            return new
        decided["allocated"] = allocated  # the probe shares this dict: fold again with the allocation
        return next_object(prev, probe)

    @staticmethod
    def _validate(rt: ResourceType, new: dict, prev: dict | None) -> None:
        from engine.pipeline.validation.kinds import validate

        errors = validate(new, prev)
        if errors:
            raise _Refused("validation", invalid(rt.kind, rt.group, new.get("metadata", {}).get("name", ""), errors))

    # --- crypto-shredding ---------------------------------------------------------------------------

    @staticmethod
    def _forget(txn: Txn, req: Request, record: bool = True):
        """Destroy the data keys of one encrypted object; its history stays, unreadable.
        A read-only path (record=False) only checks that there is something to forget. The keys go
        before the entry commits: a crash in between leaves the secret unreadable without the record
        of why (the other order could leave a record of a shredding that did not happen)."""
        from engine.crypto.seal import object_id

        kr = getattr(txn, "keyring", None)
        target = (req.body or {}).get("resource", "secrets") if isinstance(req.body, dict) else "secrets"
        if req.verb != "delete" or not req.namespace or not req.name:
            raise _Refused("validation", bad_request("forget needs a namespace and a name"))
        if kr is None:
            raise _Refused("validation", bad_request("encryption at rest is not configured for this cluster "
                                                     "(ktape init --encryption-provider-config FILE)"))
        oid = object_id(target, req.namespace, req.name)
        gone = kr.forget(oid) if record else kr.dek_ids(oid)
        if not gone:
            raise _Refused("storage", StatusError(404, "NotFound", f'{target} "{req.name}" has no data key in namespace '
                                                                   f'"{req.namespace}" (it was never written encrypted, or was forgotten already)'))
        return Admitted(200, {"forgotten": gone})

    # --- the clock -------------------------------------------------------------------------------

    @staticmethod
    def _advance(req: Request, head: Head):
        to = (req.body or {}).get("to")
        if not isinstance(to, int) or to < head.at:
            raise _Refused("validation", bad_request(f"the clock only moves forward (now {head.at}, asked {to})"))
        return Admitted(200, {"to": to})


def _unchanged(prev: dict, new: dict) -> bool:
    if new.get("metadata", {}).get("resourceVersion") == prev.get("metadata", {}).get("resourceVersion"):
        return new == prev
    meta = dict(new.get("metadata", {}))
    meta["resourceVersion"] = prev.get("metadata", {}).get("resourceVersion")
    return {**new, "metadata": meta} == prev


def _expected_rv(req: Request) -> str:
    """The resourceVersion precondition a write carries (update body, or a patch naming one)."""
    body = req.body
    if req.verb == "delete":
        return (req.params.get("preconditions") or {}).get("resourceVersion", "")
    if isinstance(body, dict) and req.verb in ("update", "patch"):
        return str((body.get("metadata") or {}).get("resourceVersion") or "")
    return ""


def _uid(prev_digest: str, seq: int) -> str:
    """A UUID-shaped uid derived from the chain position, so replays and reruns agree."""
    h = bytearray(hashlib.sha256(f"uid:{prev_digest}:{seq}".encode()).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _suffix(prev_digest: str, seq: int, base: str, salt: int) -> str:
    """Five characters of upstream's name alphabet, derived from the log position."""
    h = hashlib.sha256(f"name:{prev_digest}:{seq}:{base}:{salt}".encode()).digest()
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in h[:5])


def _field(type_: str, field: str, value, detail: str):
    from engine.errors import FieldError

    return FieldError(type_, field, value, detail)


def _filter(items: list[dict], rt: ResourceType, label_selector: str | None, field_selector: str | None) -> list[dict]:
    if label_selector:
        from engine.model.selectors import parse_label_selector

        sel = parse_label_selector(label_selector)
        items = [o for o in items if sel.matches((o.get("metadata") or {}).get("labels") or {})]
    if field_selector:
        from engine.model.selectors import parse_field_selector

        fsel = parse_field_selector(field_selector, rt.kind)
        items = [o for o in items if fsel.matches(o)]
    return items
