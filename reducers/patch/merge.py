"""JSON merge patch (RFC 7386): applying one, and computing one between two documents."""

from __future__ import annotations

from typing import Any

from reducers.clone import clone
from reducers.patch.strategic import json_equal, json_kind


def json_merge_patch(original: dict, patch: dict) -> Any:
    """Apply `patch` to `original`: null deletes, objects merge recursively, anything else replaces.

    A patch that is not an object replaces the whole document (RFC 7386 section 2).
    """
    return _merge(original, patch)


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return clone(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value)
    # Values taken over from `target` unchanged are shared; copy them so the result is independent.
    return {k: (v if k in patch else clone(v)) for k, v in result.items()}


def two_way_json_merge_patch(original: dict, modified: dict) -> dict:
    """The merge patch that turns `original` into `modified` (evanphx/json-patch CreateMergePatch):
    changed keys set, removed keys null, maps diffed recursively, lists replaced whole."""
    patch: dict = {}
    for key, new in modified.items():
        if key not in original:
            patch[key] = clone(new)
            continue
        old = original[key]
        if json_kind(old) != json_kind(new):
            patch[key] = clone(new)
        elif isinstance(new, dict):
            sub = two_way_json_merge_patch(old, new)
            if sub:
                patch[key] = sub
        elif not json_equal(old, new):
            patch[key] = clone(new)
    for key in original:
        if key not in modified:
            patch[key] = None
    return patch
