"""The log's record types: a request as received, and the decision taken about it.

A `LogEntry` is immutable and self-describing: replaying entries through the reducers must give
back every object exactly (each `Admitted` carries the digest of the object it produced), and
`prev_digest` chains every entry to the one before it so any edit to history shows.
"""

from __future__ import annotations

from typing import Any, Union

import attrs

ENTRY_TYPE = "kubetape.entry"
SCHEMA_VERSION = 1
GENESIS_DIGEST = "0" * 64

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
READ_VERBS = frozenset({"get", "list", "watch"})


@attrs.frozen
class Request:
    """One API request, shaped like the Kubernetes REST model (verb on group/version/resource)."""

    verb: str
    resource: str = ""
    group: str = ""
    version: str = "v1"
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    body: Any = None
    user: str = ""
    groups: tuple[str, ...] = ()
    # Who really sent it when `--as` impersonated someone else (empty otherwise).
    impersonator: str = ""
    dry_run: bool = False
    # Query parameters: labelSelector, fieldSelector, propagationPolicy, patchType, at,
    # resourceVersion, command (the CLI line), fieldManager ...
    params: dict = attrs.field(factory=dict)

    @property
    def is_write(self) -> bool:
        return self.verb in WRITE_VERBS


@attrs.frozen
class Admitted:
    """The request took effect (or was a successful read).

    `decided` holds every value a replay cannot derive from the log alone (uid, generated name,
    allocations, admission mutations); `digest` is the SHA-256 of the resulting object's canonical
    bytes ("" for reads, `deleted` when the object is gone).
    """

    code: int = 200
    decided: dict = attrs.field(factory=dict)
    digest: str = ""


@attrs.frozen
class Denied:
    """The request was refused at `stage` (authn, authz, admission, validation, storage)."""

    stage: str
    code: int
    reason: str
    message: str = ""


@attrs.frozen
class Conflicted:
    """A write carried a stale resourceVersion: `expected` (sent) vs `actual` (stored)."""

    expected: str
    actual: str
    code: int = 409


Outcome = Union[Admitted, Denied, Conflicted]


@attrs.frozen
class LogEntry:
    seq: int
    at: int  # virtual time, microseconds since the Unix epoch
    request: Request
    outcome: Outcome
    prev_digest: str = GENESIS_DIGEST

    @property
    def code(self) -> int:
        return self.outcome.code

    @property
    def changed(self) -> bool:
        """True when the entry changed an object (an admitted, non-dry-run write)."""
        return isinstance(self.outcome, Admitted) and bool(self.outcome.digest) and not self.request.dry_run
