"""Object keys: `group NUL resource NUL namespace NUL name`, sortable so prefixes list collections."""

from __future__ import annotations


def object_key(group: str, resource: str, namespace: str, name: str) -> bytes:
    return f"{group}\x00{resource}\x00{namespace}\x00{name}".encode()


def collection_prefix(group: str, resource: str, namespace: str | None) -> bytes:
    """Prefix of every object key of a resource (in one namespace, or all when None)."""
    if namespace is None:
        return f"{group}\x00{resource}\x00".encode()
    return f"{group}\x00{resource}\x00{namespace}\x00".encode()


def split_key(key: bytes) -> tuple[str, str, str, str]:
    g, r, ns, name = key.decode().split("\x00")
    return g, r, ns, name


def entry_key(entry) -> bytes | None:
    """The key of the object an entry is about (None for clock records and collection requests)."""
    req = entry.request
    if not req.resource or req.group == "kubetape.io":
        return None
    name = req.name
    if not name and req.verb == "create" and not req.subresource:
        name = getattr(entry.outcome, "decided", {}).get("name", "")
        if not name and isinstance(req.body, dict):
            name = (req.body.get("metadata") or {}).get("name", "")
    if not name:
        return None
    return object_key(req.group, req.resource, req.namespace, name)


def index_key(entry) -> bytes | None:
    """The idx_obj key of an entry: its object, or its collection (empty name) for lists."""
    req = entry.request
    if (req.group, req.resource) == ("kubetape.io", "datakeys") and req.name:  # forgetting a secret's key is about the secret
        target = req.body.get("resource", "secrets") if isinstance(req.body, dict) else "secrets"
        return object_key("", target, req.namespace, req.name)
    if not req.resource or req.group == "kubetape.io":
        return None
    key = entry_key(entry)
    if key is not None:
        return key
    return object_key(req.group, req.resource, req.namespace, req.name)
