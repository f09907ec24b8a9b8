"""Sealed forms: what an encrypted object's payload looks like in the log, the state and the indexes.

Like upstream's storage transformers (which encrypt the value written to etcd), the seal is
applied at the storage boundary, after the request path has decided in plaintext:

- the request body becomes `{apiVersion, kind, metadata: {name, namespace, generateName},
  "$sealed": ENVELOPE}` (a patch body: `{"$sealed": ENVELOPE}`); the recorded command line and
  admission mutations become envelopes too;
- the resulting object is sealed the same way, keeping in the clear only the metadata other
  objects and controllers need without the keys (name, namespace, uid, resourceVersion,
  timestamps, labels, ownerReferences, finalizers): annotations, which carry kubectl's
  last-applied-configuration, are inside the envelope;
- that sealed object is recorded in the entry's decided values as `$state`, and the reducer
  takes it as the object after the entry. So replay, the digests, the hash chain, `verify`,
  export and import all work on ciphertext, without any key.

An envelope is `kt:enc:<cipher>:v1:<data key id>:<base64>`, a string, so JSON export carries it
unchanged. Reading (`get`, `--at`, `audit`) unseals with the data folder's keyring; when the data
key was forgotten (or no keyring is loaded) the object reads as its clear metadata plus the
annotation `kubetape.io/redacted` saying why, and no payload.
"""

from __future__ import annotations

import base64
from typing import Any

from engine.codec import pack, unpack

SEALED = "$sealed"
STATE = "$state"
PREFIX = "kt:enc:"
REDACTED = "kubetape.io/redacted"
_CLEAR_META = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
               "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "ownerReferences", "finalizers")


def object_id(resource: str, namespace: str, name: str) -> str:
    return f"{resource}/{namespace}/{name}"


def envelope(kr, dek_id: str, dek: bytes, plaintext: bytes) -> str:
    from engine.crypto.keyring import encrypt

    kind = kr.write_kind
    blob = encrypt(kind, dek, plaintext, dek_id.encode())
    return f"{PREFIX}{kind}:v1:{dek_id}:{base64.b64encode(blob).decode()}"


def open_envelope(kr, env: str) -> bytes:
    """The plaintext of an envelope; raises DecryptError with the reason when it cannot be read."""
    from engine.crypto.keyring import DecryptError, decrypt

    if kr is None:
        raise DecryptError("no encryption keys are loaded for this data folder")
    head, _, b64 = env.rpartition(":")
    parts = head[len(PREFIX):].split(":", 2)
    if len(parts) != 3:
        raise DecryptError("not a kubetape envelope")
    kind, _v, dek_id = parts
    dek = kr.read_dek(dek_id)
    if dek is None:
        raise DecryptError(kr.why_unreadable(dek_id))
    return decrypt(kind, dek, base64.b64decode(b64), dek_id.encode())


def is_envelope(v: Any) -> bool:
    return isinstance(v, str) and v.startswith(PREFIX)


def seal_object(kr, dek_id: str, dek: bytes, obj: dict) -> dict:
    meta = obj.get("metadata") or {}
    out: dict = {}
    for k in ("apiVersion", "kind"):
        if k in obj:
            out[k] = obj[k]
    out["metadata"] = {k: meta[k] for k in _CLEAR_META if k in meta}
    out[SEALED] = envelope(kr, dek_id, dek, pack(obj))
    return out


def seal_body(kr, dek_id: str, dek: bytes, body: Any) -> dict:
    out: dict = {}
    if isinstance(body, dict):
        for k in ("apiVersion", "kind"):
            if k in body:
                out[k] = body[k]
        meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        clear = {k: meta[k] for k in ("name", "generateName", "namespace") if k in meta}
        if clear:
            out["metadata"] = clear
    out[SEALED] = envelope(kr, dek_id, dek, pack(body))
    return out


def unseal(kr, value: Any) -> Any:
    """A sealed object/body back in plaintext, or its redacted form when it cannot be read."""
    from engine.crypto.keyring import DecryptError

    if not (isinstance(value, dict) and SEALED in value):
        return value
    try:
        return unpack(open_envelope(kr, value[SEALED]))
    except DecryptError as exc:
        out = {k: v for k, v in value.items() if k != SEALED}
        meta = dict(out.get("metadata") or {})
        meta["annotations"] = {REDACTED: str(exc)}
        out["metadata"] = meta
        return out


def unseal_value(txn, value: Any) -> Any:
    """`unseal` with the keyring of the transaction's store (None: redacted)."""
    if isinstance(value, dict) and SEALED in value:
        return unseal(getattr(txn, "keyring", None), value)
    return value


def unseal_text(kr, value: Any) -> Any:
    from engine.crypto.keyring import DecryptError

    if not is_envelope(value):
        return value
    try:
        return unpack(open_envelope(kr, value))
    except DecryptError:
        return "<redacted>"


# --- entries -------------------------------------------------------------------------------------


def entry_name(req, decided: dict | None) -> str:
    if req.name:
        return req.name
    if decided and decided.get("name"):
        return decided["name"]
    if isinstance(req.body, dict):
        return ((req.body.get("metadata") or {}).get("name") or "") if isinstance(req.body.get("metadata"), dict) else ""
    return ""


def seal_entry(kr, seq: int, req, outcome, new: dict | None):
    """(request, outcome, object after, its packed bytes) with every payload sealed.

    The outcome's digest becomes the digest of the sealed object, and the sealed object is
    recorded as decided `$state` so the log replays without keys."""
    import attrs

    from engine.codec import packed_object
    from engine.records import Admitted

    decided = outcome.decided if isinstance(outcome, Admitted) else None
    name = entry_name(req, decided)
    oid = object_id(req.resource, req.namespace, name or f"@{seq}")
    dek_id, dek = kr.write_dek(oid, seq)
    changes: dict = {}
    if req.body is not None:
        changes["body"] = seal_body(kr, dek_id, dek, req.body)
    if req.params and "command" in req.params:
        changes["params"] = {**req.params, "command": envelope(kr, dek_id, dek, pack(req.params["command"]))}
    if changes:
        req = attrs.evolve(req, **changes)
    packed = None
    if isinstance(outcome, Admitted) and outcome.digest:
        d = dict(outcome.decided)
        if d.get("mutations"):
            d["mutations"] = envelope(kr, dek_id, dek, pack(d["mutations"]))
        if new is not None:
            new = seal_object(kr, dek_id, dek, new)
        packed, digest = packed_object(new)
        d[STATE] = new
        outcome = Admitted(outcome.code, d, digest)
    return req, outcome, new, packed
