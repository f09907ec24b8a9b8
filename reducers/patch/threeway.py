"""Computing patches the way kubectl does: two-way (set image, label, edit) and three-way (apply).

`two_way_strategic_patch` is CreateTwoWayMergePatch and `three_way_strategic_patch` is
CreateThreeWayMergePatch (with overwrite, as `kubectl apply` runs it), both built on upstream's
`diffMaps` / `diffLists`; `three_way_json_merge_patch` is jsonmergepatch.CreateThreeWayJSONMergePatch,
used for kinds without strategic metadata. All outputs have their map keys sorted, like Go's
encoding/json, and an empty dict means "nothing to change".
"""

from __future__ import annotations

from typing import Any

import attrs

from engine.errors import bad_request
from reducers.clone import clone
from reducers.patch.merge import json_merge_patch, two_way_json_merge_patch
from reducers.patch.strategic import (
    DELETE_PRIMITIVE_PREFIX,
    DIRECTIVE,
    RETAIN_KEYS,
    SET_ORDER_PREFIX,
    Schema,
    json_equal,
    json_kind,
    merge_strategic_patches,
    scalar_key,
    schema_for,
)


@attrs.frozen
class DiffOptions:
    """Upstream DiffOptions: which parts of the difference go into the patch."""

    set_element_order: bool = True
    ignore_changes_and_additions: bool = False
    ignore_deletions: bool = False
    build_retain_keys: bool = False


def two_way_strategic_patch(original: dict, modified: dict, kind: str) -> dict:
    """The strategic merge patch that turns `original` into `modified`."""
    _require_maps(original=original, modified=modified)
    return _sorted_keys(_diff_maps(original, modified, (), schema_for(kind), DiffOptions()))


def three_way_strategic_patch(last_applied: dict | None, modified: dict, current: dict, kind: str) -> dict:
    """kubectl client-side apply's patch: set what `modified` changes relative to `current`, delete
    what was in `last_applied` but is gone from `modified`, leave fields only `current` has alone.

    `modified` is the manifest as kubectl sends it (including the new last-applied annotation);
    `last_applied` is None when the live object has no annotation (then nothing is deleted).
    """
    _require_maps(modified=modified, current=current)
    last_applied = {} if last_applied is None else last_applied
    _require_maps(last_applied=last_applied)
    schema = schema_for(kind)
    delta = _diff_maps(current, modified, (), schema, DiffOptions(ignore_deletions=True))
    deletions = _diff_maps(last_applied, modified, (), schema, DiffOptions(ignore_changes_and_additions=True))
    return _sorted_keys(merge_strategic_patches(deletions, delta, kind))


def three_way_json_merge_patch(last_applied: dict | None, modified: dict, current: dict) -> dict:
    """The same rule as a JSON merge patch (RFC 7386), for kinds without strategic metadata."""
    _require_maps(modified=modified, current=current)
    last_applied = {} if last_applied is None else last_applied
    _require_maps(last_applied=last_applied)
    additions = _keep_or_delete_nulls(two_way_json_merge_patch(current, modified), keep_nulls=False)
    deletions = _keep_or_delete_nulls(two_way_json_merge_patch(last_applied, modified), keep_nulls=True)
    # jsonpatch.MergePatch(deletions, additions): additions carry no nulls, so this is a deep union.
    return _sorted_keys(json_merge_patch(deletions, additions))


# --------------------------------------------------------------------------------------------


def _require_maps(**docs: Any) -> None:
    for name, doc in docs.items():
        if not isinstance(doc, dict):
            raise bad_request(f"{name} must be a JSON object, not {json_kind(doc)}")


def _sorted_keys(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _sorted_keys(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [_sorted_keys(i) for i in v]
    return v


def _keep_or_delete_nulls(patch: dict, keep_nulls: bool) -> dict:
    """Keep only the deletions (nulls) or only the additions/changes of a JSON merge patch."""
    out: dict = {}
    for key, value in patch.items():
        if value is None:
            if keep_nulls:
                out[key] = None
        elif isinstance(value, dict):
            if not value:  # an explicitly set empty map is a value, not an empty patch
                if not keep_nulls:
                    out[key] = value
                continue
            sub = _keep_or_delete_nulls(value, keep_nulls)
            if sub:
                out[key] = sub
        elif not keep_nulls:
            out[key] = value
    return out


def _diff_maps(original: dict, modified: dict, path: tuple, schema: Schema, opts: DiffOptions) -> dict:
    """Upstream diffMaps: additions and changes, nulls for deletions, merge lists by key."""
    patch: dict = {}
    retain: list[str] = []
    for key, new in modified.items():
        if opts.build_retain_keys and new is not None:
            retain.append(key)
        if key not in original:
            if not opts.ignore_changes_and_additions:
                patch[key] = clone(new)
            continue
        old = original[key]
        if key == DIRECTIVE:
            if not isinstance(old, str) or not isinstance(new, str):
                raise bad_request(f"invalid value for special key: {DIRECTIVE}")
            if old != new:
                patch[key] = new
            continue
        kind = json_kind(old)
        if kind != json_kind(new):
            if not opts.ignore_changes_and_additions:
                patch[key] = clone(new)
            continue
        field = path + (key,)
        if kind == "map":
            meta = schema.lookup(field)
            sub = _diff_maps(old, new, field, schema, attrs.evolve(opts, build_retain_keys=meta.retain_keys))
            if sub:
                patch[key] = sub
        elif kind == "list" and schema.lookup(field).merges:
            meta = schema.lookup(field)
            list_opts = attrs.evolve(opts, build_retain_keys=meta.retain_keys)
            _diff_merge_list(key, old, new, field, schema, meta.merge_key, list_opts, patch)
        elif not opts.ignore_changes_and_additions and not json_equal(old, new):
            patch[key] = clone(new)

    if not opts.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    if retain and (patch or _has_additional_new_field(original, modified)):
        patch[RETAIN_KEYS] = sorted(retain)
    return patch


def _has_additional_new_field(original: dict, modified: dict) -> bool:
    return any(v is not None and k not in modified for k, v in original.items())


def _diff_merge_list(
    key: str, old: list, new: list, path: tuple, schema: Schema, merge_key: str, opts: DiffOptions, patch: dict
) -> None:
    """Upstream handleSliceDiff for a merge-strategy list: the list patch, the parallel deletion
    list (scalars) and the `$setElementOrder` list."""
    if merge_key and not _keyed_list_ok(new, merge_key):
        if any(not isinstance(i, dict) for i in new):
            raise bad_request(f"{'.'.join(path)}: expected a list of maps with merge key {merge_key}")
        # Duplicate or missing merge keys cannot be expressed item by item: replace the list whole.
        if not opts.ignore_changes_and_additions and not json_equal(old, new):
            patch[key] = clone(new) + [{DIRECTIVE: "replace"}]
        return
    if merge_key and not _keyed_list_ok(old, merge_key):
        if not opts.ignore_changes_and_additions and not json_equal(old, new):
            patch[key] = clone(new) + [{DIRECTIVE: "replace"}]
        return

    if not old:
        if new and not opts.ignore_changes_and_additions:
            patch[key] = clone(new)
        return
    if merge_key:
        items, order = _diff_lists_of_maps(old, new, path, schema, merge_key, opts)
        if items:
            patch[key] = items
    else:
        items, deletions, order = _diff_lists_of_scalars(old, new, opts)
        if items:
            patch[key] = items
        if deletions:
            patch[DELETE_PRIMITIVE_PREFIX + key] = deletions
    if order:
        patch[SET_ORDER_PREFIX + key] = order


def _keyed_list_ok(items: list, merge_key: str) -> bool:
    """Every item is a map with a merge key, and no key appears twice."""
    seen = set()
    for item in items:
        if not isinstance(item, dict) or merge_key not in item:
            return False
        k = scalar_key(item[merge_key])
        if k in seen:
            return False
        seen.add(k)
    return True


def _diff_lists_of_maps(
    old: list, new: list, path: tuple, schema: Schema, merge_key: str, opts: DiffOptions
) -> tuple[list, list]:
    old_by_key = {scalar_key(i[merge_key]): i for i in old}
    new_keys = {scalar_key(i[merge_key]) for i in new}
    items = []
    for item in new:  # changed and added items, in the modified order
        previous = old_by_key.get(scalar_key(item[merge_key]))
        if previous is None:
            if not opts.ignore_changes_and_additions:
                items.append(clone(item))
            continue
        sub = _diff_maps(previous, item, path, schema, opts)
        if sub:
            sub[merge_key] = item[merge_key]
            items.append(sub)
    deletions = []
    if not opts.ignore_deletions:
        gone = [i[merge_key] for i in old if scalar_key(i[merge_key]) not in new_keys]
        gone.sort(key=_go_string)
        deletions = [{merge_key: k, DIRECTIVE: "delete"} for k in gone]
    same_order = len(old) == len(new) and all(
        scalar_key(a[merge_key]) == scalar_key(b[merge_key]) for a, b in zip(old, new)
    )
    items += deletions
    order: list = []
    if opts.set_element_order and (
        (not opts.ignore_changes_and_additions and (items or not same_order))
        or (not opts.ignore_deletions and items)
    ):
        order = [{merge_key: i[merge_key]} for i in new]
    return items, order


def _diff_lists_of_scalars(old: list, new: list, opts: DiffOptions) -> tuple[list, list, list]:
    old_keys = {scalar_key(v) for v in old}
    new_keys = {scalar_key(v) for v in new}
    added = [] if opts.ignore_changes_and_additions else [v for v in new if scalar_key(v) not in old_keys]
    deletions: list = []
    if not opts.ignore_deletions:
        seen = set()
        for v in old:
            k = scalar_key(v)
            if k not in new_keys and k not in seen:
                seen.add(k)
                deletions.append(v)
        deletions.sort(key=_go_string)
    order: list = []
    if opts.set_element_order and (
        (not opts.ignore_deletions and deletions)
        or (not opts.ignore_changes_and_additions and not json_equal(old, new))
    ):
        order = clone(new)
    return added, deletions, order


def _go_string(v: Any) -> str:
    """Roughly Go's `%v`, which upstream sorts merge keys and scalars by."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
