"""IntOrString percent scaling (`apimachinery/pkg/util/intstr`), k8s-semantics.md section 1.1."""

from __future__ import annotations

import math


class IntOrStringError(ValueError):
    pass


def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """An int as is; `"25%"` of total, rounded up or down; anything else is an error."""
    if value is None:
        raise IntOrStringError("nil value for IntOrString")
    if isinstance(value, bool):
        raise IntOrStringError("invalid value for IntOrString: invalid type: bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        pct = int(value[:-1])
        return math.ceil(pct * total / 100) if round_up else math.floor(pct * total / 100)
    raise IntOrStringError("invalid value for IntOrString: invalid type: string is not a percentage")


def go_round(x: float) -> int:
    """Go's math.Round (half away from zero); Python's round() is banker's rounding."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))
