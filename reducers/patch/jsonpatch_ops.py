"""JSON patch (RFC 6902) through the `jsonpatch` library, with Kubernetes' status codes.

A malformed patch document (not a list, an operation without `op`/`path`, an unknown op, a path
that is not a JSON pointer) is 400 BadRequest. An operation that does not apply (missing path,
failed `test`, bad index) is 422 Invalid with a message naming the operation and the path, in the
wording of evanphx/json-patch, e.g. `jsonpatch replace operation does not apply: doc is missing
key: /spec/foo: missing value`. Like the API server, more than 10000 operations is a 413.
"""

from __future__ import annotations

from typing import Any

import jsonpatch
import jsonpointer

from engine.errors import StatusError, bad_request
from reducers.clone import clone

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")
MAX_OPERATIONS = 10000  # apiserver maxJSONPatchOperations

_MISSING = object()


def json_patch(original: dict, operations: list) -> dict:
    """Apply the RFC 6902 `operations` to a copy of `original` and return it."""
    ops = _validate(operations)
    doc: Any = clone(original)
    for op in clone(ops):  # the library inserts `value` objects by reference
        try:
            doc = jsonpatch.JsonPatch([op]).apply(doc, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise _does_not_apply(doc, op, exc) from None
    if not isinstance(doc, dict):
        raise _invalid(f"jsonpatch result must be a JSON object, not {_kind(doc)}")
    return doc


def _validate(operations: Any) -> list:
    if not isinstance(operations, list):
        raise bad_request(f"a json patch must be a JSON array of operations, not {_kind(operations)}")
    if len(operations) > MAX_OPERATIONS:
        raise StatusError(
            413,
            "RequestEntityTooLarge",
            f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, got {len(operations)}",
        )
    for i, op in enumerate(operations):
        where = f"json patch operation {i}"
        if not isinstance(op, dict):
            raise bad_request(f"{where} must be a JSON object, not {_kind(op)}")
        name = op.get("op")
        if name is None:
            raise bad_request(f"{where} has no \"op\" member")
        if name not in OPERATIONS:
            raise bad_request(f"{where}: unexpected op {name!r}, must be one of {', '.join(OPERATIONS)}")
        members = ["path"] + (["from"] if name in ("move", "copy") else [])
        for member in members:
            if member not in op:
                raise bad_request(f"{where} ({name}) has no \"{member}\" member")
            if not _is_pointer(op[member]):
                raise bad_request(f"{where} ({name}): \"{member}\" is not a JSON pointer: {op[member]!r}")
        if name in ("add", "replace", "test") and "value" not in op:
            raise bad_request(f"{where} ({name}) has no \"value\" member")
    return operations


def _is_pointer(p: Any) -> bool:
    return isinstance(p, str) and (p == "" or p.startswith("/"))


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    return "null" if v is None else type(v).__name__


def _invalid(message: str) -> StatusError:
    return StatusError(422, "Invalid", message)


def _resolve(doc: Any, pointer: str) -> Any:
    try:
        return jsonpointer.JsonPointer(pointer).resolve(doc, _MISSING)
    except jsonpointer.JsonPointerException:
        return _MISSING


def _parent_exists(doc: Any, pointer: str) -> bool:
    parent = pointer.rsplit("/", 1)[0]
    return _resolve(doc, parent) is not _MISSING


def _does_not_apply(doc: Any, op: dict, exc: Exception) -> StatusError:
    """A 422 naming the operation and path, worded like evanphx/json-patch."""
    name, path = op["op"], op["path"]
    head = f"jsonpatch {name} operation does not apply"
    if name == "test":
        if _resolve(doc, path) is _MISSING:
            return _invalid(f"{head}: doc is missing path: {path}: missing value")
        return _invalid(f"{head}: testing value {path} failed: test failed")
    if name in ("move", "copy"):
        source = op["from"]
        if _resolve(doc, source) is _MISSING:
            return _invalid(f"{head}: doc is missing from path: {source}: missing value")
        if name == "move" and (path + "/").startswith(source + "/"):
            return _invalid(f"{head}: cannot move {source} into its own child {path}")
    if not _parent_exists(doc, path):
        return _invalid(f"{head}: doc is missing path: {path}: missing value")
    parent_path = path.rsplit("/", 1)[0]
    parent = _resolve(doc, parent_path)
    if not isinstance(parent, (dict, list)):
        return _invalid(f"{head}: {parent_path or '/'} is {_kind(parent)}, not an object or array: {path}")
    if isinstance(parent, list):
        return _invalid(f"{head}: invalid index referenced: {path}")
    if name == "replace":
        return _invalid(f"{head}: doc is missing key: {path}: missing value")
    if name == "remove":
        return _invalid(f"{head}: doc is missing path: {path}: missing value")
    return _invalid(f"{head}: {path}: {exc}")
