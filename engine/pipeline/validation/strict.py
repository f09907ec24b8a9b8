"""Strict field validation: the fields of a body that its kind does not know, as upstream names them.

With `fieldValidation=Strict` (kubectl's default `--validate=strict`) the API server decodes a
body with `sigs.k8s.io/json`'s strict decoder, which collects every JSON key that no field of
the target Go type names and, if there is any, refuses the request:

* create and update (POST / PUT): 400 BadRequest,
  `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown
  field "spec.replica", unknown field "spec.template.spec.containers[0].imagee"`
  (`transformDecodeError` in `apiserver/pkg/endpoints/handlers/rest.go`); the paths come in the
  order the decoder meets them, i.e. the body's key order (kubectl sends JSON as written);
* patch (merge, JSON and strategic): the check runs on the patched object, which upstream holds
  as a Go map (so the paths come sorted), and the refusal is a 422 whose only cause is on the
  field `patch` (`apiserver/pkg/endpoints/handlers/patch.go`); see `strict_patch_error`.

Paths use the decoder's notation: fields joined with `.`, list items as `[i]`
(`spec.template.spec.containers[0].imagee`, `metadata.lables`). The decoder does not look inside
the value of an unknown field, so nothing below one is reported; it reports at most 100 errors
(the strategic-merge-patch path, which uses another decoder, reports all of them).

Duplicate fields (`duplicate field "..."`) are not reported: the YAML and JSON loaders in front
of this module already keep only the last of repeated keys. A value of the wrong JSON type (a
string where a struct belongs, ...) is not this module's business either: it is skipped here,
and upstream it fails decoding with a different, non-strict error.

Pure: no I/O.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from engine.errors import FieldError, StatusError, bad_request, invalid
from engine.pipeline.validation.meta import go_quote
from engine.pipeline.validation.schema import List, Struct, Type, schema_for

MAX_ERRORS = 100  # sigs.k8s.io/json keeps at most this many strict errors


def unknown_fields(obj: dict, *, kind: str | None = None, api_version: str | None = None,
                   sort_keys: bool = False, limit: int | None = MAX_ERRORS) -> list[str]:
    """The paths of `obj`'s unknown fields, in document order (or sorted-key order, for patches).

    The type is the body's own `apiVersion`/`kind`; `kind` / `api_version` stand in where the body
    leaves them out (the server defaults them from the request URL). A type kubetape does not
    serve yields no paths: routing refuses such requests before this check matters. Like the
    decoder, it stops at `limit` paths (None: no limit).
    """
    if not isinstance(obj, dict):
        return []
    schema = _schema(obj, kind, api_version)
    if schema is None:
        return []
    out: list[str] = []
    _walk(obj, schema, "", out, sort_keys, limit if limit is not None else float("inf"))
    return out


def strict_error(obj: dict, *, kind: str | None = None, api_version: str | None = None) -> StatusError | None:
    """The 400 BadRequest a strict create or update of `obj` gets, or None when every field is known."""
    kind_, api_version_ = _gvk(obj, kind, api_version)
    paths = unknown_fields(obj, kind=kind, api_version=api_version)
    if not paths:
        return None
    version = api_version_.rpartition("/")[2]
    return bad_request(
        f"{kind_} in version {go_quote(version)} cannot be handled as a {kind_}: {strict_decoding_message(paths)}"
    )


def strict_patch_error(patched: dict, patch: Any, patch_type: str, *, kind: str | None = None,
                       api_version: str | None = None) -> StatusError | None:
    """The 422 a strict patch gets when the patched object has unknown fields, or None.

    Upstream checks the object the patch produced and reports one `field.Invalid` on `patch`,
    under the empty kind and name of `errors.NewInvalid(schema.GroupKind{}, "", ...)`:
    ` "" is invalid: patch: Invalid value: "map[spec:map[replica:3]]": strict decoding error: ...`.

    * strategic merge patch (`applyPatchToObject`): the patched map goes through
      `DefaultUnstructuredConverter.FromUnstructuredWithValidation`, which writes
      `unknown field "<path>"` without Go quoting, sorts the errors by their text and keeps them
      all; the value shown is the patch as Go's `%+v` prints a map;
    * JSON merge and JSON patch (`jsonPatcher`): the patched JSON (keys sorted, as a Go map
      marshals them) goes through the strict decoder; the value shown is that JSON.
    """
    if patch_type == "strategic":
        paths = unknown_fields(patched, kind=kind, api_version=api_version, sort_keys=True, limit=None)
        if not paths:
            return None
        message = "strict decoding error: " + ", ".join(sorted(f'unknown field "{p}"' for p in paths))
        shown = go_map_repr(patch)
    else:
        paths = unknown_fields(patched, kind=kind, api_version=api_version, sort_keys=True)
        if not paths:
            return None
        message = strict_decoding_message(paths)
        shown = go_json(patched)
    return invalid("", "", "", [FieldError("Invalid", "patch", shown, message)])


def strict_decoding_message(paths: list[str]) -> str:
    """`runtime.NewStrictDecodingError(...).Error()` for the strict decoder's unknown-field errors."""
    return "strict decoding error: " + ", ".join(f"unknown field {go_quote(p)}" for p in paths[:MAX_ERRORS])


# --- the walk -----------------------------------------------------------------------------------


def _schema(obj: dict, kind: str | None, api_version: str | None) -> Struct | None:
    k, v = _gvk(obj, kind, api_version)
    return schema_for(v, k)


def _gvk(obj: dict, kind: str | None, api_version: str | None) -> tuple[str, str]:
    k = obj.get("kind") if isinstance(obj.get("kind"), str) and obj.get("kind") else kind
    v = obj.get("apiVersion") if isinstance(obj.get("apiVersion"), str) and obj.get("apiVersion") else api_version
    return k or "", v or ""


def _walk(value: Any, t: Type, path: str, out: list[str], sort_keys: bool, limit: float) -> None:
    if len(out) >= limit:
        return
    if isinstance(t, Struct):
        if not isinstance(value, dict):
            return  # null, or a type mismatch (upstream's error for that is not a strict one)
        keys = sorted(value) if sort_keys else list(value)
        for key in keys:
            sub = f"{path}.{key}" if path else str(key)
            field_type = t.fields.get(key) if isinstance(key, str) else None
            if field_type is None:
                out.append(sub)
                if len(out) >= limit:
                    return
                continue
            _walk(value[key], field_type, sub, out, sort_keys, limit)
    elif isinstance(t, List):
        if not isinstance(value, list):
            return
        for i, item in enumerate(value):
            _walk(item, t.of, f"{path}[{i}]", out, sort_keys, limit)
    # ANY and MAP: nothing inside is checked.


# --- Go renderings used in the patch message ------------------------------------------------------


def go_json(value: Any) -> str:
    """`json.Marshal` of a decoded object: compact, map keys sorted, `<`, `>`, `&` escaped."""
    s = json.dumps(_go_numbers(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _go_numbers(value: Any) -> Any:
    """Whole floats as Go's encoder writes them (`3`, not `3.0`), below its switch to exponents."""
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def go_map_repr(value: Any) -> str:
    """Go's `%+v` of a value decoded into `interface{}`: `map[k:v ...]` (sorted), `[a b]`, `<nil>`."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_map_repr(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_map_repr(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)  # the patch is decoded with PreserveInts: integers stay int64
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(f: float) -> str:
    """`strconv.FormatFloat(f, 'g', -1, 64)`: what `%v` prints for a JSON number (a float64)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    sign = "-" if f < 0 else ""
    t = Decimal(repr(abs(f))).as_tuple()  # repr: the shortest digits that read back as f
    raw = "".join(map(str, t.digits))
    dp = len(raw) + t.exponent  # digits before the decimal point
    digits = raw.rstrip("0")
    exp = dp - 1
    if exp < -4 or exp >= 6:  # shortest %g switches to %e below 1e-4 and from 1e6 on
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return f"{sign}{digits}{'0' * (dp - len(digits))}"
    return f"{sign}{digits[:dp]}.{digits[dp:]}"
