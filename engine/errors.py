"""API errors as Kubernetes `Status` objects, with upstream's wording and codes.

Every stage of the request path raises `StatusError`; the pipeline records it as a `Denied`
outcome and the CLI / HTTP front ends print or serve `status()` unchanged.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

import attrs


@attrs.frozen
class FieldError:
    """One `field.Error` of apimachinery: a type, the field path, the bad value and a detail."""

    type: str  # Required | Invalid | NotSupported | Duplicate | Forbidden | TooLong | TooMany | TypeInvalid | NotFound
    field: str
    value: Any = None
    detail: str = ""
    supported: tuple[str, ...] = ()

    REASONS = {
        "Required": "FieldValueRequired",
        "Invalid": "FieldValueInvalid",
        "NotSupported": "FieldValueNotSupported",
        "Duplicate": "FieldValueDuplicate",
        "Forbidden": "FieldValueForbidden",
        "TooLong": "FieldValueTooLong",
        "TooMany": "FieldValueTooMany",
        "TypeInvalid": "FieldValueTypeInvalid",
        "NotFound": "FieldValueNotFound",
    }

    def body(self) -> str:
        """The part after `field: ` exactly as apimachinery's ErrorBody prints it."""
        t = self.type
        if t == "Required":
            head = "Required value"
        elif t == "Forbidden":
            head = "Forbidden"
        elif t == "TooLong":
            head = "Too long"
        elif t == "TooMany":
            head = "Too many"
        elif t == "Duplicate":
            head = f"Duplicate value: {format_value(self.value)}"
        elif t == "NotFound":
            head = f"Not found: {format_value(self.value)}"
        elif t == "NotSupported":
            head = f"Unsupported value: {format_value(self.value)}"
            if self.supported:
                return head + ": supported values: " + ", ".join(f'"{s}"' for s in self.supported)
        elif t == "TypeInvalid":
            head = f"Invalid value: {format_value(self.value)}"
        else:
            head = f"Invalid value: {format_value(self.value)}"
        return f"{head}: {self.detail}" if self.detail else head

    def message(self) -> str:
        return f"{self.field}: {self.body()}" if self.field else self.body()

    def cause(self) -> dict:
        return {"reason": self.REASONS.get(self.type, "FieldValueInvalid"), "message": self.body(), "field": self.field}


class RawValue(str):
    """A value already rendered the Go way (e.g. a struct's `%#v`), printed as is."""


def format_value(value: Any) -> str:
    """Go's `%#v`-like rendering apimachinery uses for values: strings quoted, numbers bare."""
    if isinstance(value, RawValue):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class StatusError(Exception):
    """A failed request: HTTP code, Kubernetes reason, message and optional details."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    def status(self) -> dict:
        st = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            st["details"] = self.details
        return st

    def kubectl_text(self) -> str:
        """The line kubectl prints for this error (see kubectl-wire.md, 'Errors')."""
        if self.code == 401:
            return f"error: You must be logged in to the server ({self.message})"
        if self.reason == "Invalid":
            causes = self.details.get("causes") or []
            kind = self.details.get("kind", "")
            name = self.details.get("name", "")
            if not kind:
                if causes:  # kubectl builds the line from the causes when the kind is empty
                    return "The request is invalid: " + "; ".join(
                        f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes)
                return f"The request is invalid: {self.message}"
            head = f'The {kind} "{name}" is invalid: '
            if len(causes) == 1:
                c = causes[0]
                return head + (f"{c['field']}: {c['message']}" if c.get("field") else c["message"])
            return head + "\n" + "\n".join(
                "* " + (f"{c['field']}: {c['message']}" if c.get("field") else c["message"]) for c in causes
            )
        if self.details.get("client"):
            return f"error: {self.message}"
        return f"Error from server ({self.reason}): {self.message}"

    def __repr__(self) -> str:
        return f"StatusError({self.code}, {self.reason!r}, {self.message!r})"


def qualified(resource: str, group: str) -> str:
    """`deployments.apps`, or `pods` for the core group: how upstream names a resource in errors."""
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, group: str, name: str) -> StatusError:
    return StatusError(
        404,
        "NotFound",
        f'{qualified(resource, group)} "{name}" not found',
        {"name": name, "group": group, "kind": resource},
    )


def already_exists(resource: str, group: str, name: str) -> StatusError:
    return StatusError(
        409,
        "AlreadyExists",
        f'{qualified(resource, group)} "{name}" already exists',
        {"name": name, "group": group, "kind": resource},
    )


def conflict(resource: str, group: str, name: str, detail: str | None = None) -> StatusError:
    detail = detail or "the object has been modified; please apply your changes to the latest version and try again"
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {detail}',
        {"name": name, "group": group, "kind": resource},
    )


def invalid(kind: str, group: str, name: str, errors: Iterable[FieldError]) -> StatusError:
    errs = list(errors)
    gk = f"{kind}.{group}" if group else kind
    if len(errs) == 1:
        msg = f'{gk} "{name}" is invalid: {errs[0].message()}'
    else:
        msg = f'{gk} "{name}" is invalid: [' + ", ".join(e.message() for e in errs) + "]"
    return StatusError(
        422, "Invalid", msg, {"name": name, "group": group, "kind": kind, "causes": [e.cause() for e in errs]}
    )


def forbidden(resource: str, group: str, name: str, why: str) -> StatusError:
    q = qualified(resource, group)
    head = f'{q} "{name}" is forbidden' if name else f"{q} is forbidden"
    return StatusError(403, "Forbidden", f"{head}: {why}", {"name": name, "group": group, "kind": resource})


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def unauthorized(message: str = "Unauthorized") -> StatusError:
    return StatusError(401, "Unauthorized", message)


def method_not_allowed(message: str) -> StatusError:
    return StatusError(405, "MethodNotAllowed", message)


def unsupported_media_type(message: str) -> StatusError:
    return StatusError(415, "UnsupportedMediaType", message)


def internal(message: str) -> StatusError:
    return StatusError(500, "InternalError", message)
