"""The pod-template-hash: FNV-1a over the template's canonical bytes, then the safe encoding.

Upstream's `controller.ComputeHash` feeds Go's spew dump of the PodTemplateSpec to FNV-1a (32 bit)
and, when `status.collisionCount` is set, an 8-byte buffer holding the count as a little-endian
uint32 (4 bytes, then 4 zero bytes: `make([]byte, 8)` + `PutUint32`); the decimal value of the
sum goes through `rand.SafeEncodeString`. The spew dump cannot be reproduced outside Go, so the
bytes hashed here are the template's canonical JSON (sorted keys, null and empty values dropped, so
`creationTimestamp: null` and an absent field hash alike): same format, stable, changes with the
template.
"""

from __future__ import annotations

import json
import struct
from typing import Any

SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # utilrand's alphabet (no vowels, no 0/1/3)
_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193


def fnv32a(data: bytes) -> int:
    h = _FNV32_OFFSET
    for b in data:
        h ^= b
        h = (h * _FNV32_PRIME) & 0xFFFFFFFF
    return h


def safe_encode_string(s: str) -> str:
    """`rand.SafeEncodeString`: each byte b becomes alphabet[b % 27]."""
    return "".join(SAFE_ALPHABET[b % len(SAFE_ALPHABET)] for b in s.encode())


def semantic(value: Any) -> Any:
    """The value with nulls and empty maps/lists dropped: Go's semantic equality treats them alike."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = semantic(v)
            if v is None or v == {} or v == []:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [semantic(v) for v in value]
    return value


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(semantic(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(template: dict, collision_count: int | None) -> str:
    """`controller.ComputeHash(template, collisionCount)` (see the module docstring for the bytes)."""
    data = canonical_bytes(template)
    if collision_count is not None:
        data += struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\x00\x00\x00\x00"
    return safe_encode_string(str(fnv32a(data)))
