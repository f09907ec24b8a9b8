"""Decoding errors of `[]byte` fields: a Secret's `data` and a ConfigMap's `binaryData` values are
base64 in JSON, decoded by Go's `encoding/json` with `base64.StdEncoding` before anything else
runs. A bad value refuses the whole request with 400 BadRequest:

    Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 4

`go_b64_error` is Go's `StdEncoding.Decode` (`decodeQuantum`) error position, to the byte:
padding is required, `\\r` and `\\n` are skipped, the first bad quantum names its offset. Written
by hand because Python's `base64` reports no position and accepts what Go refuses.
"""

from __future__ import annotations

from typing import Any

from engine.errors import StatusError, bad_request

_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_NL = (0x0A, 0x0D)


def go_b64_error(text: str) -> int | None:
    """The byte offset Go's `CorruptInputError` names for `text`, or None when it decodes."""
    src = text.encode("utf-8")
    n = len(src)
    si = 0
    while True:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return si - j
            c = src[si]
            si += 1
            if c in _ALPHABET:
                j += 1
                continue
            if c in _NL:
                continue
            if c != 0x3D:  # '='
                return si - 1
            # padding
            if j in (0, 1):
                return si - 1
            if j == 2:
                while si < n and src[si] in _NL:
                    si += 1
                if si == n:
                    return n
                if src[si] != 0x3D:
                    return si - 1
                si += 1
            while si < n and src[si] in _NL:
                si += 1
            if si < n:
                return si
            return None
        # a full quantum; go on


def _fields(kind: str, obj: dict) -> dict:
    if kind == "Secret":
        data = obj.get("data")
    elif kind == "ConfigMap":
        data = obj.get("binaryData")
    else:
        return {}
    return data if isinstance(data, dict) else {}


def decode_error(obj: Any, kind: str, api_version: str) -> StatusError | None:
    """The 400 a body of `kind` with a bad base64 value gets, or None."""
    if not isinstance(obj, dict):
        return None
    for _key, value in _fields(kind, obj).items():  # a JSON object decodes in document order
        if not isinstance(value, str):
            continue
        pos = go_b64_error(value)
        if pos is not None:
            version = api_version.rpartition("/")[2]
            return bad_request(f'{kind} in version "{version}" cannot be handled as a {kind}: '
                               f"illegal base64 data at input byte {pos}")
    return None


def patch_decode_error(patched: Any, patch: Any, patch_type: str, kind: str) -> StatusError | None:
    """The 422 a patch gets whose result holds a bad base64 value (`patch.go`: the patched object
    does not decode): `"" is invalid: patch: Invalid value: "...": illegal base64 data at input byte N`,
    showing the patch as Go's `%+v` prints a map (strategic) or the patched JSON (merge, JSON patch)."""
    if not isinstance(patched, dict):
        return None
    for _key, value in _fields(kind, patched).items():
        if not isinstance(value, str):
            continue
        pos = go_b64_error(value)
        if pos is not None:
            from engine.errors import FieldError, invalid
            from engine.pipeline.validation.strict import go_json, go_map_repr

            shown = go_map_repr(patch) if patch_type == "strategic" else go_json(patched)
            return invalid("", "", "", [FieldError("Invalid", "patch", shown, f"illegal base64 data at input byte {pos}")])
    return None
