"""Applying a Kubernetes strategic merge patch (apimachinery `strategicpatch`) to plain dicts.

Upstream reads each field's `patchStrategy` / `patchMergeKey` from Go struct tags. We have no Go
structs, so `MERGE_KEYS` and `RETAIN_KEYS_FIELDS` spell the same metadata out as a table keyed by
kind and by the *shape* of the JSON path (field names from the root, list positions left out):
`("spec", "template", "spec", "containers", "env")` is a container's env in a Deployment.

`_merge_map` / `_merge_list` follow upstream's `mergeMap` / `mergeSlice` step by step, including
the element order rules (`normalizeElementOrder`, `mergeSortedSlice`), in two modes: applying a
patch to an object, and merging two patches into one (used by the three-way patch).
Differences from upstream, all on inputs upstream mishandles: directives and nulls inside a value
that is added whole are processed instead of stored, `$patch: delete` on a map removes the key
(upstream leaves `{}`), and malformed input is a 400 instead of a Go panic or a 500.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

import attrs

from engine.errors import bad_request
from reducers.clone import clone

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ORDER_PREFIX = "$setElementOrder/"
DELETE_PRIMITIVE_PREFIX = "$deleteFromPrimitiveList/"

PRIMITIVE = ""  # merge "key" of a list of scalars merged as an ordered set (finalizers)

# --------------------------------------------------------------------------------------------
# Merge metadata (k8s.io/api release-1.32 `patchStrategy:"merge"` / `patchMergeKey` tags)
# --------------------------------------------------------------------------------------------

_CONTAINER_LISTS = {"env": "name", "ports": "containerPort", "volumeMounts": "mountPath", "volumeDevices": "devicePath"}
_POD_SPEC_LISTS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "resourceClaims": "name",
    "schedulingGates": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}
_POD_SPEC_RETAIN = ("volumes", "resourceClaims")  # `patchStrategy:"merge,retainKeys"`
_OBJECT_META_LISTS = {"ownerReferences": "uid", "finalizers": PRIMITIVE}

# Where the pod spec (and the pod template's metadata) lives in each pod-bearing kind.
_POD_SPEC_AT = {
    "Pod": "spec",
    "PodTemplate": "template.spec",
    "Deployment": "spec.template.spec",
    "ReplicaSet": "spec.template.spec",
    "ReplicationController": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "Job": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
}
_EXTRA_LISTS = {
    "Pod": {"status.podIPs": "ip", "status.hostIPs": "ip"},
    "Service": {"spec.ports": "port"},
    "ServiceAccount": {"secrets": "name"},
}
_EXTRA_RETAIN = {"Deployment": ("spec.strategy",)}

# Every kind: object metadata and status conditions.
_COMMON_LISTS = {"metadata.ownerReferences": "uid", "metadata.finalizers": PRIMITIVE, "status.conditions": "type"}


def _shape(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


def _build_tables() -> tuple[dict[str, dict[tuple[str, ...], str]], dict[str, frozenset[tuple[str, ...]]]]:
    keys: dict[str, dict[tuple[str, ...], str]] = {}
    retain: dict[str, frozenset[tuple[str, ...]]] = {}
    kinds = set(_POD_SPEC_AT) | set(_EXTRA_LISTS) | set(_EXTRA_RETAIN)
    for kind in sorted(kinds):
        table = {}
        kept: set[tuple[str, ...]] = set()
        if kind in _POD_SPEC_AT:
            spec = _POD_SPEC_AT[kind]
            for name, key in _POD_SPEC_LISTS.items():
                table[_shape(f"{spec}.{name}")] = key
            for c in ("containers", "initContainers", "ephemeralContainers"):
                for name, key in _CONTAINER_LISTS.items():
                    table[_shape(f"{spec}.{c}.{name}")] = key
            kept |= {_shape(f"{spec}.{name}") for name in _POD_SPEC_RETAIN}
            template_meta = spec[: -len("spec")] + "metadata"  # the pod template's ObjectMeta
            if "." in spec:
                for name, key in _OBJECT_META_LISTS.items():
                    table[_shape(f"{template_meta}.{name}")] = key
        for dotted, key in _EXTRA_LISTS.get(kind, {}).items():
            table[_shape(dotted)] = key
        kept |= {_shape(d) for d in _EXTRA_RETAIN.get(kind, ())}
        keys[kind] = table
        retain[kind] = frozenset(kept)
    return keys, retain


#: kind -> {path shape: merge key}; `PRIMITIVE` ("") marks a merged list of scalars.
MERGE_KEYS, RETAIN_KEYS_FIELDS = _build_tables()
COMMON_MERGE_KEYS = {_shape(d): k for d, k in _COMMON_LISTS.items()}


@attrs.frozen
class FieldMeta:
    """Patch metadata of one field: merge key (None: list replaced whole) and retainKeys strategy."""

    merge_key: str | None = None
    retain_keys: bool = False

    @property
    def merges(self) -> bool:
        return self.merge_key is not None


_NO_META = FieldMeta()


@attrs.frozen
class Schema:
    """Merge metadata of one kind; unknown kinds only get the common (metadata/status) entries."""

    kind: str

    def lookup(self, path: tuple[str, ...]) -> FieldMeta:
        key = MERGE_KEYS.get(self.kind, {}).get(path, COMMON_MERGE_KEYS.get(path))
        retain = path in RETAIN_KEYS_FIELDS.get(self.kind, frozenset())
        if key is None and not retain:
            return _NO_META
        return FieldMeta(key, retain)


def schema_for(kind: str) -> Schema:
    return Schema(kind or "")


# --------------------------------------------------------------------------------------------
# JSON value helpers (Go's reflect.TypeOf / == on decoded JSON)
# --------------------------------------------------------------------------------------------


def json_kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "list"
    return type(v).__name__


def scalar_key(v: Any) -> tuple:
    """A hashable identity for a JSON value: 1 == 1.0, but True != 1 (as in Go's float64/bool)."""
    k = json_kind(v)
    if k in ("map", "list"):
        return (k, json.dumps(v, sort_keys=True, separators=(",", ":"), default=str))
    return (k, v)


def json_equal(a: Any, b: Any) -> bool:
    """Deep equality of JSON values with bools distinct from numbers."""
    ka, kb = json_kind(a), json_kind(b)
    if ka != kb:
        return False
    if ka == "map":
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if ka == "list":
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b


def show(v: Any) -> str:
    """Compact JSON for error messages."""
    return json.dumps(v, sort_keys=True, separators=(",", ":"), default=str)


def _no_merge_key(item: Any, key: str):
    return bad_request(f"map: {show(item)} does not contain declared merge key: {key}")


def _bad_set_order(detail: str = ""):
    return bad_request("invalid patch format of setElementOrder list" + (f": {detail}" if detail else ""))


# --------------------------------------------------------------------------------------------
# Merging
# --------------------------------------------------------------------------------------------


@attrs.frozen
class MergeOptions:
    """`merge_parallel_list`: applying to an object (True) or merging two patches (False)."""

    merge_parallel_list: bool
    ignore_unmatched_nulls: bool


APPLY = MergeOptions(merge_parallel_list=True, ignore_unmatched_nulls=True)
COMBINE = MergeOptions(merge_parallel_list=False, ignore_unmatched_nulls=False)

_DELETED = object()  # `$patch: delete` on a map: the caller drops the key


def strategic_merge_patch(original: dict, patch: dict, kind: str) -> dict:
    """Apply a strategic merge patch to `original` (neither input is modified)."""
    if not isinstance(original, dict):
        raise bad_request(f"the object to patch must be a JSON object, not {json_kind(original)}")
    if not isinstance(patch, dict):
        raise bad_request(f"a strategic merge patch must be a JSON object, not {json_kind(patch)}")
    result = _merge_map(clone(original), clone(patch), (), schema_for(kind), APPLY)
    return {} if result is _DELETED else result


def merge_strategic_patches(first: dict, second: dict, kind: str) -> dict:
    """Merge two strategic patches into one, keeping nulls and directives (upstream mergeMap with
    MergeOptions{}): how CreateThreeWayMergePatch adds the changes to the deletions."""
    return _merge_map(clone(first), clone(second), (), schema_for(kind), COMBINE)


def _merge_map(original: dict, patch: dict, path: tuple, schema: Schema, opts: MergeOptions) -> Any:
    """Merge `patch` into `original` in place (both are private copies); may return `_DELETED`."""
    if DIRECTIVE in patch:
        directive = patch[DIRECTIVE]
        if directive == "replace":
            rest = {k: v for k, v in patch.items() if k != DIRECTIVE}
            return _merge_map({}, rest, path, schema, opts) if opts.merge_parallel_list else rest
        if directive == "delete":
            return _DELETED if opts.merge_parallel_list else {}
        raise bad_request(f"unknown patch type: {show(directive)} in map: {show(patch)}")

    _apply_retain_keys(original, patch, opts)
    _merge_ordered_lists(original, patch, path, schema, opts)

    for key in list(patch):
        value = patch[key]
        if key.startswith(DELETE_PRIMITIVE_PREFIX):
            _delete_from_primitive_list(original, key, value, opts)
            continue
        if value is None:
            original.pop(key, None)
            if opts.ignore_unmatched_nulls:
                continue
        field = path + (key,)
        if key not in original:
            _store(original, key, _fresh(value, field, schema, opts))
            continue
        current = original[key]
        kind = json_kind(current)
        if kind != json_kind(value):
            _store(original, key, _fresh(value, field, schema, opts))
        elif kind == "map":
            _store(original, key, _merge_map(current, value, field, schema, opts))
        elif kind == "list":
            meta = schema.lookup(field)
            if meta.merges:
                original[key] = _merge_list(current, value, field, schema, meta.merge_key, opts)
            else:
                original[key] = value
        else:
            original[key] = value
    return original


def _store(target: dict, key: str, value: Any) -> None:
    if value is _DELETED:
        target.pop(key, None)
    else:
        target[key] = value


def _fresh(value: Any, path: tuple, schema: Schema, opts: MergeOptions) -> Any:
    """A patch value that has nothing to merge with: directives and nulls in it are processed
    (merged into an empty value) when applying, kept verbatim when merging patches."""
    if not opts.merge_parallel_list:
        return value
    if isinstance(value, dict):
        return _merge_map({}, value, path, schema, opts)
    if isinstance(value, list):
        meta = schema.lookup(path)
        if meta.merges and any(_is_directive_item(i) for i in value):
            return _merge_list([], value, path, schema, meta.merge_key, opts)
        if meta.merges:  # kept as given (even with duplicate keys); nested directives processed
            return [_merge_map({}, i, path, schema, opts) if isinstance(i, dict) else i for i in value]
    return value


def _delete_from_primitive_list(original: dict, key: str, value: Any, opts: MergeOptions) -> None:
    if not opts.merge_parallel_list:
        original[key] = value
        return
    target = key[len(DELETE_PRIMITIVE_PREFIX) :]
    if not target or not isinstance(value, list):
        raise bad_request("invalid patch format of primitive list")
    if any(json_kind(v) in ("map", "list") for v in value):
        raise bad_request("invalid patch format of primitive list")
    current = original.get(target)
    if isinstance(current, list):
        doomed = {scalar_key(v) for v in value}
        original[target] = [v for v in current if scalar_key(v) not in doomed]


def _apply_retain_keys(original: dict, patch: dict, opts: MergeOptions) -> None:
    """`$retainKeys`: drop the keys of `original` that are not listed (upstream applyRetainKeysDirective)."""
    if RETAIN_KEYS not in patch:
        return
    retain = patch.pop(RETAIN_KEYS)
    if not opts.merge_parallel_list:
        if RETAIN_KEYS in original:
            if not json_equal(original[RETAIN_KEYS], retain):
                raise bad_request(f"{show(original[RETAIN_KEYS])} and {show(retain)} are not deep equal")
        else:
            original[RETAIN_KEYS] = retain
        return
    if not isinstance(retain, list) or not all(isinstance(k, str) for k in retain):
        raise bad_request("invalid patch format of retainKeys")
    keep = set(retain)
    for key, value in patch.items():
        if value is None or key.startswith((DELETE_PRIMITIVE_PREFIX, SET_ORDER_PREFIX)):
            continue
        if key not in keep:
            raise bad_request(f"patch content doesn't match retainKeys list: {key!s} is not in {show(retain)}")
    for key in [k for k in original if k not in keep]:
        del original[key]


def _merge_ordered_lists(original: dict, patch: dict, path: tuple, schema: Schema, opts: MergeOptions) -> None:
    """`$setElementOrder/<list>`: merge that list and put it in the given order (mergePatchIntoOriginal).

    Precedence: $setElementOrder > order in the patch list > order in the live list. The directive
    is removed from the patch, so it is never stored. On a list without merge strategy it is ignored.
    """
    for key in [k for k in patch if k.startswith(SET_ORDER_PREFIX)]:
        order = patch.pop(key)
        if not opts.merge_parallel_list:
            if key in original:
                if not json_equal(original[key], order):
                    raise _bad_set_order(f"{show(original[key])} does not match {show(order)}")
            else:
                original[key] = order
        target = key[len(SET_ORDER_PREFIX) :]
        if not target or not isinstance(order, list):
            raise _bad_set_order()
        meta = schema.lookup(path + (target,))
        if not meta.merges:
            continue
        merge_key = meta.merge_key
        current = original.get(target)
        found_original = isinstance(current, list)
        found_patch = target in patch
        patch_list = patch.get(target)
        if found_patch and patch_list is None:
            continue  # null deletes the list; nothing to order
        if found_patch and not isinstance(patch_list, list):
            raise bad_request(f"expected a list for {target}, but received {json_kind(patch_list)}")
        _check_order_items(order, merge_key)
        if found_patch:
            _validate_patch_with_order(patch_list, order, merge_key)

        field = path + (target,)
        if found_original and not found_patch:
            merged = current
        elif found_patch and not found_original:
            merged = _fresh(patch_list, field, schema, opts)
        elif found_original and found_patch:
            merged = _merge_list(current, patch_list, field, schema, merge_key, opts)
        else:
            continue
        in_order, server_only = _partition(merged, order, merge_key)
        original[target] = _normalize_element_order(
            in_order, server_only, order, current if found_original else [], merge_key
        )
        patch.pop(target, None)


def _check_order_items(order: list, merge_key: str) -> None:
    for item in order:
        if merge_key:
            if not isinstance(item, dict):
                raise _bad_set_order(f"expected a map, but received {show(item)}")
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
        elif json_kind(item) in ("map", "list"):
            raise _bad_set_order(f"expected a scalar, but received {show(item)}")


def _validate_patch_with_order(patch_list: list, order: list, merge_key: str) -> None:
    """The non-directive items of the patch list must appear in `order`, in the same relative order."""
    if not patch_list or not order:
        return
    items = [i for i in patch_list if not _is_directive_item(i)]
    p = o = 0
    while p < len(items) and o < len(order):
        if merge_key:
            if not isinstance(items[p], dict):
                raise bad_request(f"expected a map, but received {show(items[p])}")
            if merge_key not in items[p]:
                raise _no_merge_key(items[p], merge_key)
            same = scalar_key(items[p][merge_key]) == scalar_key(order[o][merge_key])
        else:
            same = scalar_key(items[p]) == scalar_key(order[o])
        if same:
            p += 1
        o += 1
    if p < len(items):
        raise bad_request(
            f"the order in patch list {show(patch_list)} doesn't match $setElementOrder list {show(order)}"
        )


def _is_directive_item(item: Any) -> bool:
    return isinstance(item, dict) and DIRECTIVE in item


def _element_kind(items: Iterable[Any]) -> str | None:
    """The single JSON kind of all list elements (upstream sliceElementType)."""
    found = None
    for v in items:
        k = json_kind(v)
        if k == "list":
            raise bad_request("lists of lists are not supported")
        if found is None:
            found = k
        elif k != found:
            raise bad_request(f"list element types are not identical: {found} and {k}")
    return found


def _merge_list(
    original: list, patch: list, path: tuple, schema: Schema, merge_key: str, opts: MergeOptions
) -> list:
    """Merge two lists of a merge-strategy field (upstream mergeSlice), keeping a stable order."""
    if not original and not patch:
        return original
    if merge_key and all(isinstance(i, dict) for i in patch) and any(
        i.get(DIRECTIVE) == "replace" for i in patch
    ):
        if not opts.merge_parallel_list:
            return patch  # merging patches: the replacing list wins as it is
        # `{"$patch": "replace"}` item: the list becomes the other patch items, whole.
        rest = [i for i in patch if DIRECTIVE not in i]
        return [_fresh(i, path, schema, opts) for i in rest]

    kind = _element_kind(list(original) + list(patch))
    if kind != "map":
        if merge_key:
            raise bad_request(f"expected a list of maps with merge key {merge_key} at {'.'.join(path)}")
        merged = _dedupe(list(original) + list(patch))
    else:
        if not merge_key:
            raise bad_request(f"cannot merge lists without merge key at {'.'.join(path)}")
        original, patch = _apply_list_directives(original, patch, merge_key)
        merged = _merge_items(list(original), patch, path, schema, merge_key, opts)

    in_patch, server_only = _partition(merged, patch, merge_key)
    return _normalize_element_order(in_patch, server_only, patch, original, merge_key)


def _dedupe(items: list) -> list:
    seen: set = set()
    out = []
    for v in items:
        k = scalar_key(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


def _apply_list_directives(original: list, patch: list, merge_key: str) -> tuple[list, list]:
    """Handle `$patch` items (upstream mergeSliceWithSpecialElements): `delete` removes the item
    with that key from `original`; returns the remaining original and the non-directive items."""
    plain = []
    for item in patch:
        if DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[DIRECTIVE]
        if directive == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            doomed = scalar_key(item[merge_key])
            original = [o for o in original if _identity_or_none(o, merge_key) != doomed]
        elif directive == "merge":
            raise bad_request("merging lists cannot yet be specified in the patch")
        else:
            raise bad_request(f"unknown patch type: {show(directive)} in map: {show(item)}")
    return original, plain


def _merge_items(
    original: list, patch: list, path: tuple, schema: Schema, merge_key: str, opts: MergeOptions
) -> list:
    """Merge each patch item into the original item with the same key, or append it."""
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        idx = _find(original, merge_key, item[merge_key])
        if idx is None:
            value = _fresh(item, path, schema, opts)
            if value is not _DELETED:
                original.append(value)
        else:
            merged = _merge_map(original[idx], item, path, schema, opts)
            if merged is _DELETED:
                del original[idx]
            else:
                original[idx] = merged
    return original


def _find(items: list, merge_key: str, value: Any) -> int | None:
    want = scalar_key(value)
    for i, item in enumerate(items):
        if isinstance(item, dict) and merge_key in item and scalar_key(item[merge_key]) == want:
            return i
    return None


def _identity_or_none(item: Any, merge_key: str) -> tuple | None:
    """The merge key value of a map item, or None when it has none."""
    return scalar_key(item[merge_key]) if isinstance(item, dict) and merge_key in item else None


def _identity(item: Any, merge_key: str) -> tuple:
    if merge_key:
        return scalar_key(item.get(merge_key)) if isinstance(item, dict) else ("absent", None)
    return scalar_key(item)


def _partition(merged: list, present_in: list, merge_key: str) -> tuple[list, list]:
    """Split into items whose identity appears in `present_in` and the server-only rest."""
    wanted = {_identity(v, merge_key) for v in present_in if not merge_key or isinstance(v, dict)}
    if merge_key:
        for v in merged:
            if not isinstance(v, dict):
                raise bad_request(f"expected a map, but received {show(v)}")
            if merge_key not in v:
                raise _no_merge_key(v, merge_key)
    inside = [v for v in merged if _identity(v, merge_key) in wanted]
    outside = [v for v in merged if _identity(v, merge_key) not in wanted]
    return inside, outside


def _index_map(order: list, merge_key: str) -> dict:
    positions: dict = {}
    for i, v in enumerate(order):
        positions.setdefault(_identity(v, merge_key), i)
    return positions


def _sort_by(items: list, order: list, merge_key: str) -> list:
    """Stable sort by position in `order`; `$patch: delete` items and unknown items go last."""
    positions = _index_map(order, merge_key)
    keep = [v for v in items if not (merge_key and _is_delete_item(v))]
    deletes = [v for v in items if merge_key and _is_delete_item(v)]
    keep.sort(key=lambda v: positions.get(_identity(v, merge_key), len(order)))
    return keep + deletes


def _is_delete_item(v: Any) -> bool:
    return isinstance(v, dict) and v.get(DIRECTIVE) == "delete"


def _normalize_element_order(
    patch: list, server_only: list, patch_order: list, server_order: list, merge_key: str
) -> list:
    """Order patch items by `patch_order`, server-only items by `server_order`, then interleave:
    a server-only item goes first only if it preceded the patch item in the live list."""
    left = _sort_by(server_only, server_order, merge_key)
    right = _sort_by(patch, patch_order, merge_key)
    positions = _index_map(server_order, merge_key)
    out = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = positions.get(_identity(left[i], merge_key))
            ri = positions.get(_identity(right[j], merge_key))
            if li is not None and ri is not None and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out
