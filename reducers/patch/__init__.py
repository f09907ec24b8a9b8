"""The patch library: pure functions over plain JSON-like dicts (inputs never modified).

- `json_merge_patch` (RFC 7386) and `json_patch` (RFC 6902, through the `jsonpatch` library);
- `strategic_merge_patch`, Kubernetes' strategic merge patch, driven by a merge-key table keyed
  by kind and JSON path shape (`strategic.MERGE_KEYS`);
- `two_way_strategic_patch` / `three_way_strategic_patch` / `three_way_json_merge_patch`, the
  patches kubectl computes for `set image`, `label`, `edit` and client-side `apply`;
- `apply_patch`, one entry point dispatching on kubectl's `--type` names (`PATCH_TYPES`).

Strategic merge patch is written by hand because no maintained Python library implements it:
the PyPI `jsonpatch`/`json-merge-patch` packages do RFC 6902/7386 only, and the Kubernetes Python
client sends patches but never applies them. The semantics follow apimachinery's
`pkg/util/strategicpatch` (kubectl-wire.md section 10).
"""

from __future__ import annotations

from typing import Any, Callable

from engine.errors import bad_request
from reducers.patch.jsonpatch_ops import json_patch
from reducers.patch.merge import json_merge_patch, two_way_json_merge_patch
from reducers.patch.strategic import MERGE_KEYS, strategic_merge_patch
from reducers.patch.threeway import three_way_json_merge_patch, three_way_strategic_patch, two_way_strategic_patch


def _go_json_type(doc: Any) -> str:
    """The JSON type name Go's encoding/json names in `cannot unmarshal X into ...` errors."""
    if isinstance(doc, dict):
        return "object"
    if isinstance(doc, list):
        return "array"
    if isinstance(doc, bool):
        return "bool"
    if isinstance(doc, (int, float)):
        return "number"
    return "null" if doc is None else "string"


def _unmarshal_error(doc: Any, target: str):
    """The API server's decode error for a patch of the wrong shape (upstream wording)."""
    return bad_request(f"json: cannot unmarshal {_go_json_type(doc)} into Go value of type {target}")


def _apply_strategic(original: dict, patch_doc: Any, kind: str) -> dict:
    if not isinstance(patch_doc, dict):
        raise _unmarshal_error(patch_doc, "map[string]interface {}")
    return strategic_merge_patch(original, patch_doc, kind)


def _apply_merge(original: dict, patch_doc: Any, kind: str) -> dict:
    if not isinstance(patch_doc, dict):
        raise _unmarshal_error(patch_doc, "map[string]interface {}")
    return json_merge_patch(original, patch_doc)


def _apply_json(original: dict, patch_doc: Any, kind: str) -> dict:
    if not isinstance(patch_doc, list):
        raise _unmarshal_error(patch_doc, "jsonpatch.Patch")
    return json_patch(original, patch_doc)


#: kubectl `--type` name -> function(original, patch_doc, kind) -> patched object.
PATCH_TYPES: dict[str, Callable[[dict, Any, str], dict]] = {
    "strategic": _apply_strategic,
    "merge": _apply_merge,
    "json": _apply_json,
}

#: PATCH request Content-Type -> `PATCH_TYPES` name.
CONTENT_TYPES = {
    "application/strategic-merge-patch+json": "strategic",
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
}


def apply_patch(original: dict, patch_doc: Any, patch_type: str, kind: str) -> dict:
    """Apply `patch_doc` of kubectl's `--type` `patch_type` to `original`; errors are StatusErrors."""
    try:
        apply = PATCH_TYPES[patch_type]
    except (KeyError, TypeError):
        raise bad_request(f'--type must be one of [json merge strategic], not "{patch_type}"') from None
    if not isinstance(original, dict):
        raise bad_request(f"the object to patch must be a JSON object, not {_go_json_type(original)}")
    return apply(original, patch_doc, kind)


__all__ = [
    "CONTENT_TYPES",
    "MERGE_KEYS",
    "PATCH_TYPES",
    "apply_patch",
    "json_merge_patch",
    "json_patch",
    "strategic_merge_patch",
    "three_way_json_merge_patch",
    "three_way_strategic_patch",
    "two_way_json_merge_patch",
    "two_way_strategic_patch",
]
