"""Deep copies of JSON-like values: msgpack's C round trip, about ten times copy.deepcopy.

Objects in kubetape are plain JSON values (str keys, lists, scalars), which is all the round
trip has to preserve; tuples come back as lists, as they would from JSON.
"""

from __future__ import annotations

from typing import Any

import msgpack

_packb = msgpack.Packer(use_bin_type=True, autoreset=True).pack


def clone(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return msgpack.unpackb(_packb(value), raw=False, strict_map_key=False)
