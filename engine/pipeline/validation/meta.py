"""ObjectMeta validation (apimachinery `pkg/api/validation/objectmeta.go`) and Go value rendering.

`validate_object_meta` / `validate_object_meta_update` return `FieldError`s with upstream's
field paths and wording.  Some upstream errors print Go values with `%#v` (maps, structs) or
through a `String()` method (times, IntOrString); those are built with `GoFieldError`, whose
`value` is the already-rendered Go text and is printed verbatim.

Pure: no clock, randomness, hashing or I/O.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Iterable, Mapping

import attrs

from engine.errors import FieldError
from engine.pipeline.validation import names

FIELD_IMMUTABLE = "field is immutable"
IS_NEGATIVE = "must be greater than or equal to 0"
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)  # 262144 bytes

STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})


# -- FieldError with a pre-rendered Go value -------------------------------------------------


@attrs.frozen
class GoFieldError(FieldError):
    """A `FieldError` whose `value` is Go's rendering of the bad value, printed as is.

    Used where upstream passes a non-scalar (`map[string]string{...}`, `v1.LabelSelector{...}`)
    or a `fmt.Stringer` (`metav1.Time`, `intstr.IntOrString`, `resource.Quantity`).
    """

    _HEADS = {
        "Invalid": "Invalid value",
        "TypeInvalid": "Invalid value",
        "Duplicate": "Duplicate value",
        "NotFound": "Not found",
        "NotSupported": "Unsupported value",
    }

    def body(self) -> str:
        head = self._HEADS.get(self.type)
        if head is None:
            return FieldError.body(self)
        head = f"{head}: {self.value}"
        if self.type == "NotSupported":
            if self.supported:
                return head + ": supported values: " + ", ".join(go_quote(s) for s in self.supported)
            return head
        return f"{head}: {self.detail}" if self.detail else head


# -- Go value rendering ----------------------------------------------------------------------

_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(s: str) -> str:
    """`strconv.Quote` (what `%q` and `%#v` print for strings)."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch == " " or ch.isprintable():
            out.append(ch)
        else:
            cp = ord(ch)
            if cp < 0x80:
                out.append(f"\\x{cp:02x}")
            elif cp < 0x10000:
                out.append(f"\\u{cp:04x}")
            else:
                out.append(f"\\U{cp:08x}")
    out.append('"')
    return "".join(out)


def go_string_map(d: Mapping[str, Any] | None) -> str:
    """`%#v` of a `map[string]string`: keys sorted, `, ` separated, nil printed as `(nil)`."""
    if d is None:
        return "map[string]string(nil)"
    items = ", ".join(f"{go_quote(str(k))}:{go_quote(_s(v))}" for k, v in sorted(d.items(), key=lambda kv: str(kv[0])))
    return "map[string]string{" + items + "}"


def go_string_slice(values: Iterable[Any] | None, type_name: str = "string") -> str:
    """`%#v` of a `[]string`."""
    if values is None:
        return f"[]{type_name}(nil)"
    return f"[]{type_name}{{" + ", ".join(go_quote(_s(v)) for v in values) + "}"


def go_label_selector(ls: Mapping[str, Any] | None) -> str:
    """`%#v` of a `metav1.LabelSelector` as apiserver errors print it (`v1.LabelSelector{...}`)."""
    if ls is None:
        return "(*v1.LabelSelector)(nil)"
    ml = ls.get("matchLabels")
    exprs = ls.get("matchExpressions")
    ml_s = go_string_map(ml if isinstance(ml, dict) else None)
    if not isinstance(exprs, list):
        ex_s = "[]v1.LabelSelectorRequirement(nil)"
    else:
        parts = []
        for e in exprs:
            e = e if isinstance(e, dict) else {}
            vals = e.get("values")
            parts.append(
                "v1.LabelSelectorRequirement{Key:"
                + go_quote(_s(e.get("key", "")))
                + ", Operator:"
                + go_quote(_s(e.get("operator", "")))
                + ", Values:"
                + go_string_slice(vals if isinstance(vals, list) else None)
                + "}"
            )
        ex_s = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    return f"v1.LabelSelector{{MatchLabels:{ml_s}, MatchExpressions:{ex_s}}}"


def go_int_or_string(v: Any) -> str:
    """`intstr.IntOrString.String()`: the int in decimal or the string as is (unquoted)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    if v is None:
        return "0"
    return str(v)


def go_time(ts: Any) -> str:
    """`metav1.Time.String()` (Go's `time.Time.String`) of an RFC 3339 timestamp, in UTC."""
    if not ts:
        return "0001-01-01 00:00:00 +0000 UTC"
    s = str(ts)
    try:
        t = _dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return s
    if t.tzinfo is not None:
        t = t.astimezone(_dt.timezone.utc)
    frac = ""
    if t.microsecond:
        frac = ("." + f"{t.microsecond:06d}").rstrip("0")
    return t.strftime("%Y-%m-%d %H:%M:%S") + frac + " +0000 UTC"


def _s(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    return str(v)


# -- small shared validators ------------------------------------------------------------------


def validate_nonnegative(value: Any, path: str) -> list[FieldError]:
    """`ValidateNonnegativeField`."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [FieldError("Invalid", path, value, IS_NEGATIVE)]
    return []


def validate_label_name(key: str, path: str) -> list[FieldError]:
    """`ValidateLabelName`: one Invalid per message of IsQualifiedName."""
    return [FieldError("Invalid", path, key, m) for m in names.is_qualified_name(key)]


def validate_labels(labels: Any, path: str) -> list[FieldError]:
    """`ValidateLabels` (keys visited in sorted order so output is deterministic)."""
    errs: list[FieldError] = []
    if not isinstance(labels, dict):
        return errs
    for k in sorted(labels, key=str):
        v = labels[k]
        errs.extend(validate_label_name(str(k), path))
        for m in names.is_valid_label_value(_s(v)):
            errs.append(FieldError("Invalid", path, _s(v), m))
    return errs


def validate_annotations(annotations: Any, path: str) -> list[FieldError]:
    """`ValidateAnnotations`: keys are qualified names (case-insensitive); total size <= 256 KiB."""
    errs: list[FieldError] = []
    if not isinstance(annotations, dict):
        return errs
    total = 0
    for k in sorted(annotations, key=str):
        key = str(k)
        for m in names.is_qualified_name(key.lower()):
            errs.append(FieldError("Invalid", path, key, m))
        total += len(key.encode("utf-8")) + len(_s(annotations[k]).encode("utf-8"))
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(FieldError("TooLong", path, "", f"must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"))
    return errs


def _validate_owner_references(refs: Any, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if not isinstance(refs, list):
        return errs
    first_controller = ""
    for ref in refs:
        if not isinstance(ref, dict):
            continue
        api_version = _s(ref.get("apiVersion"))
        version = api_version.rpartition("/")[2]
        if not version:
            errs.append(FieldError("Invalid", path + ".apiVersion", api_version, "version must not be empty"))
        if not _s(ref.get("kind")):
            errs.append(FieldError("Invalid", path + ".kind", _s(ref.get("kind")), "must not be empty"))
        if not _s(ref.get("name")):
            errs.append(FieldError("Invalid", path + ".name", _s(ref.get("name")), "must not be empty"))
        if not _s(ref.get("uid")):
            errs.append(FieldError("Invalid", path + ".uid", _s(ref.get("uid")), "must not be empty"))
        if ref.get("controller") is True:
            cur = f"{_s(ref.get('kind'))}/{_s(ref.get('name'))}"
            if first_controller:
                errs.append(
                    GoFieldError(
                        "Invalid",
                        path,
                        "[]v1.OwnerReference{...}",
                        "Only one reference can have Controller set to true. "
                        f'Found "true" in references for {first_controller} and {cur}',
                    )
                )
            else:
                first_controller = cur
    return errs


def _validate_finalizers(finalizers: Any, path: str) -> list[FieldError]:
    """apimachinery `ValidateFinalizers` followed by core's `validateKubeFinalizerName`."""
    errs: list[FieldError] = []
    if not isinstance(finalizers, list):
        return errs
    fins = [_s(f) for f in finalizers]
    for f in fins:
        for m in names.is_qualified_name(f):
            errs.append(FieldError("Invalid", path, f, m))
    if "orphan" in fins and "foregroundDeletion" in fins:
        errs.append(
            GoFieldError("Invalid", path, go_string_slice(fins), "finalizer orphan and foregroundDeletion cannot be both set")
        )
    for i, f in enumerate(fins):
        if len(f.split("/")) == 1 and f not in STANDARD_FINALIZERS:
            errs.append(
                FieldError("Invalid", f"{path}[{i}]", f, "name is neither a standard finalizer name nor is it fully qualified")
            )
    return errs


def _name_fn(name_rule: str | Callable[[str, bool], list[str]]) -> Callable[[str, bool], list[str]]:
    if callable(name_rule):
        return name_rule
    return names.NAME_RULES[name_rule]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    m = obj.get("metadata") if isinstance(obj, dict) else None
    return m if isinstance(m, dict) else {}


# -- ObjectMeta --------------------------------------------------------------------------------


def validate_object_meta(
    obj: Mapping[str, Any],
    namespaced: bool,
    name_rule: str | Callable[[str, bool], list[str]] = "subdomain",
    path: str = "metadata",
) -> list[FieldError]:
    """`ValidateObjectMeta` for a create.

    `name_rule` is `"subdomain"` (most kinds), `"label"` (Namespace, StatefulSet), `"dns1035"`
    (Service), `"path"` (RBAC kinds) or a `(name, prefix) -> [msg]` function.  When only
    `generateName` is set (the name is generated later in the pipeline) the name is not required.
    """
    meta = _meta(obj) if path == "metadata" else obj
    fn = _name_fn(name_rule)
    errs: list[FieldError] = []
    name = _s(meta.get("name"))
    generate_name = _s(meta.get("generateName"))

    if generate_name:
        for m in fn(generate_name, True):
            errs.append(FieldError("Invalid", f"{path}.generateName", generate_name, m))
    if not name:
        if not generate_name:
            errs.append(FieldError("Required", f"{path}.name", "", "name or generateName is required"))
    else:
        for m in fn(name, False):
            errs.append(FieldError("Invalid", f"{path}.name", name, m))

    namespace = _s(meta.get("namespace"))
    if namespaced:
        if not namespace:
            errs.append(FieldError("Required", f"{path}.namespace", "", ""))
        else:
            for m in names.name_is_dns_label(namespace, False):
                errs.append(FieldError("Invalid", f"{path}.namespace", namespace, m))
    elif namespace:
        errs.append(FieldError("Forbidden", f"{path}.namespace", "", "not allowed on this type"))

    errs.extend(validate_nonnegative(meta.get("generation"), f"{path}.generation"))
    errs.extend(validate_labels(meta.get("labels"), f"{path}.labels"))
    errs.extend(validate_annotations(meta.get("annotations"), f"{path}.annotations"))
    errs.extend(_validate_owner_references(meta.get("ownerReferences"), f"{path}.ownerReferences"))
    errs.extend(_validate_finalizers(meta.get("finalizers"), f"{path}.finalizers"))
    return errs


def _immutable(new: Any, old: Any, path: str, render: Callable[[Any], str] | None = None) -> list[FieldError]:
    if new == old:
        return []
    if render is not None:
        return [GoFieldError("Invalid", path, render(new), FIELD_IMMUTABLE)]
    return [FieldError("Invalid", path, new, FIELD_IMMUTABLE)]


def validate_immutable(new: Any, old: Any, path: str, render: Callable[[Any], str] | None = None) -> list[FieldError]:
    """`ValidateImmutableField`; `render` gives Go's rendering of non-scalar values."""
    return _immutable(new, old, path, render)


def validate_object_meta_update(new: Mapping[str, Any], old: Mapping[str, Any], path: str = "metadata") -> list[FieldError]:
    """`ValidateObjectMetaUpdate`: identity fields immutable, labels/annotations re-validated.

    The `resourceVersion must be specified for an update` check is left to the pipeline, which
    fills the version in for unconditional updates before validation.
    """
    nm, om = _meta(new), _meta(old)
    errs: list[FieldError] = []

    if om.get("deletionTimestamp"):
        added = sorted(set(_s(f) for f in nm.get("finalizers") or []) - set(_s(f) for f in om.get("finalizers") or []))
        if added:
            errs.append(
                FieldError(
                    "Forbidden",
                    f"{path}.finalizers",
                    "",
                    "no new finalizers can be added if the object is being deleted, found new finalizers "
                    + go_string_slice(added),
                )
            )
    ng, og = nm.get("generation"), om.get("generation")
    if isinstance(ng, int) and isinstance(og, int) and ng < og:
        errs.append(FieldError("Invalid", f"{path}.generation", ng, "must not be decremented"))

    errs.extend(_immutable(_s(nm.get("name")), _s(om.get("name")), f"{path}.name"))
    errs.extend(_immutable(_s(nm.get("namespace")), _s(om.get("namespace")), f"{path}.namespace"))
    # rest.BeforeUpdate keeps the stored uid / creationTimestamp when the update omits them
    new_uid = _s(nm.get("uid")) or _s(om.get("uid"))
    errs.extend(_immutable(new_uid, _s(om.get("uid")), f"{path}.uid"))
    new_ts = nm.get("creationTimestamp") or om.get("creationTimestamp")
    if new_ts != om.get("creationTimestamp"):  # rendering Go times costs more than the comparison
        errs.extend(
            _immutable(
                go_time(new_ts),
                go_time(om.get("creationTimestamp")),
                f"{path}.creationTimestamp",
                render=lambda v: v,
            )
        )
    errs.extend(validate_labels(nm.get("labels"), f"{path}.labels"))
    errs.extend(validate_annotations(nm.get("annotations"), f"{path}.annotations"))
    errs.extend(_validate_owner_references(nm.get("ownerReferences"), f"{path}.ownerReferences"))
    errs.extend(_validate_finalizers(nm.get("finalizers"), f"{path}.finalizers"))
    return errs
