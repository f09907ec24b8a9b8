"""Admission plugins: mutating ones return JSON-patch operations recorded as decided values;
validating ones raise StatusError. The chain order is upstream's."""

from __future__ import annotations

from typing import Protocol

import attrs

from engine.registry import ResourceType


@attrs.frozen
class AdmissionContext:
    request: object  # engine.records.Request
    rtype: ResourceType
    view: object  # engine.view.View
    old: dict | None
    new: dict | None
    operation: str  # CREATE | UPDATE | DELETE | CONNECT


class Plugin(Protocol):
    name: str

    def mutate(self, ctx: AdmissionContext) -> list[dict]: ...

    def validate(self, ctx: AdmissionContext) -> None: ...


def operation_of(verb: str) -> str | None:
    return {"create": "CREATE", "update": "UPDATE", "patch": "UPDATE", "delete": "DELETE"}.get(verb)
