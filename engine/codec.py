"""Canonical bytes for log entries and objects: msgpack with sorted keys, plus JSON Lines.

msgpack has no canonical form of its own, so this module fixes one: maps are written with their
keys sorted, tuples become arrays, integers take msgpack's smallest encoding and floats are
always float64. Digests (SHA-256) are taken over these bytes, so golden logs and hash chains are
byte-stable across machines. Event types are named by stable strings (`kubetape.entry`, `v`: 1)
and old versions pass through `UPCASTERS` on read.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable

import cattrs
import msgpack
from cattrs.gen import make_dict_unstructure_fn, override

from engine.records import (
    ENTRY_TYPE,
    SCHEMA_VERSION,
    Admitted,
    Conflicted,
    Denied,
    LogEntry,
    Outcome,
    Request,
)


class CodecError(ValueError):
    """Bytes that do not decode to a valid entry (names the seq when known)."""


_LEAF = (str, int, float, bool, type(None))


def canon(value: Any) -> Any:
    """The value with every map's keys sorted (recursively) and tuples turned into lists."""
    t = type(value)
    if t is dict:
        return {k: (v if type(v) in _LEAF else canon(v)) for k, v in sorted(value.items())}
    if t is list or t is tuple:
        return [v if type(v) in _LEAF else canon(v) for v in value]
    if isinstance(value, dict):  # dict subclasses (rare): same rule
        return {k: canon(value[k]) for k in sorted(value)}
    return value


def pack(value: Any) -> bytes:
    """Canonical msgpack bytes of a plain value."""
    return msgpack.packb(canon(value), use_bin_type=True, use_single_float=False)


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def object_digest(obj: dict | None) -> str:
    """Digest of an object's canonical bytes, or `deleted` when the write removed it."""
    return "deleted" if obj is None else digest(pack(obj))[:32]


def packed_object(obj: dict | None) -> tuple[bytes | None, str]:
    """(canonical bytes, digest) of an object, packed once for both the digest and the store."""
    if obj is None:
        return None, "deleted"
    data = pack(obj)
    return data, digest(data)[:32]


# --- entries <-> primitives -------------------------------------------------------------------

_conv = cattrs.Converter(detailed_validation=False)
_conv.register_unstructure_hook(
    Request,
    make_dict_unstructure_fn(Request, _conv, _cattrs_omit_if_default=True, groups=override(omit_if_default=True)),
)
for _cls in (Admitted, Denied, Conflicted):
    _conv.register_unstructure_hook(_cls, make_dict_unstructure_fn(_cls, _conv, _cattrs_omit_if_default=True))

_OUTCOMES: dict[str, type] = {"Admitted": Admitted, "Denied": Denied, "Conflicted": Conflicted}


def _unstructure_outcome(o: Outcome) -> dict:
    d = _conv.unstructure(o)
    d["kind"] = type(o).__name__
    return d


def _structure_outcome(d: dict) -> Outcome:
    d = dict(d)
    cls = _OUTCOMES.get(d.pop("kind", ""))
    if cls is None:
        raise CodecError(f"unknown outcome kind {d!r}")
    return cls(**d)


def entry_to_primitive(e: LogEntry) -> dict:
    return {
        "type": ENTRY_TYPE,
        "v": SCHEMA_VERSION,
        "seq": e.seq,
        "at": e.at,
        "req": _conv.unstructure(e.request),
        "out": _unstructure_outcome(e.outcome),
        "prev": e.prev_digest,
    }


_FREE_FORM = frozenset({"body", "params", "decided"})  # user-shaped values: the only maps of unknown order


def _canonical_entry(e: LogEntry) -> dict:
    """`canon(entry_to_primitive(e))`, built directly: the envelope's keys are known, so only the
    free-form values (body, params, decided) need the recursive sort. Same bytes, less work."""
    def part(d: dict) -> dict:
        return {k: (canon(d[k]) if k in _FREE_FORM else d[k]) for k in sorted(d)}

    req = part(_conv.unstructure(e.request))
    if "groups" in req:
        req["groups"] = list(req["groups"])
    return {"at": e.at, "out": part(_unstructure_outcome(e.outcome)), "prev": e.prev_digest, "req": req,
            "seq": e.seq, "type": ENTRY_TYPE, "v": SCHEMA_VERSION}


# Upcasters: schema version -> function turning that version's primitive into the next one's.
UPCASTERS: dict[int, Callable[[dict], dict]] = {}


def entry_from_primitive(d: dict) -> LogEntry:
    if not isinstance(d, dict) or d.get("type") != ENTRY_TYPE:
        raise CodecError("not a kubetape entry")
    v = d.get("v")
    while v != SCHEMA_VERSION:
        up = UPCASTERS.get(v)  # type: ignore[arg-type]
        if up is None:
            raise CodecError(f"entry schema version {v!r} is not supported (this build reads {SCHEMA_VERSION})")
        d = up(d)
        v = d.get("v")
    try:
        req = d["req"]
        if "groups" in req:
            req = {**req, "groups": tuple(req["groups"])}
        # Direct constructors: the primitive's keys are the attrs field names, and this is the
        # replay hot path (cattrs' structure hook cost ~20 us an entry, this ~2 us).
        return LogEntry(
            seq=d["seq"],
            at=d["at"],
            request=Request(**req),
            outcome=_structure_outcome(d["out"]),
            prev_digest=d["prev"],
        )
    except CodecError:
        raise
    except Exception as exc:  # a missing or mistyped field
        raise CodecError(f"malformed entry: {exc!r}") from None


_packer = msgpack.Packer(use_bin_type=True, use_single_float=False, autoreset=True)


def encode_entry(e: LogEntry) -> bytes:
    return _packer.pack(_canonical_entry(e))


def decode_entry(data: bytes) -> LogEntry:
    try:
        prim = unpack(data)
    except Exception as exc:
        raise CodecError(f"undecodable bytes: {exc}") from None
    return entry_from_primitive(prim)


def entry_digest(data: bytes) -> str:
    """The digest the next entry's `prev` must carry."""
    return digest(data)


# --- JSON Lines (export / import / golden logs) ------------------------------------------------


def to_json_line(e: LogEntry) -> str:
    return json.dumps(canon(entry_to_primitive(e)), separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def from_json_line(line: str) -> LogEntry:
    try:
        prim = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CodecError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    return entry_from_primitive(prim)
