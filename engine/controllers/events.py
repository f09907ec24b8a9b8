"""Event objects, as controllers record them (`k8s.io/client-go/tools/record`).

Names follow upstream's `<involved name>.<hex>` form; the hex suffix is decided by the request
path from the virtual time (so it is deterministic), see `handler._create_name`.
"""

from __future__ import annotations

from engine.clock import rfc3339
from engine.pipeline.identity import UserInfo
from engine.records import Request

NORMAL, WARNING = "Normal", "Warning"


def event_request(who: UserInfo, component: str, obj: dict, type_: str, reason: str, message: str, now_us: int) -> Request:
    meta = obj["metadata"]
    ns = meta.get("namespace") or "default"
    body = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{meta['name']}.", "namespace": ns},
        "involvedObject": {
            "apiVersion": obj.get("apiVersion", ""), "kind": obj.get("kind", ""), "name": meta["name"],
            "namespace": meta.get("namespace", ""), "uid": meta.get("uid", ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        },
        "reason": reason,
        "message": message,
        "type": type_,
        "source": {"component": component},
        "firstTimestamp": rfc3339(now_us),
        "lastTimestamp": rfc3339(now_us),
        "eventTime": None,
        "count": 1,
        "reportingComponent": component,
        "reportingInstance": "",
    }
    return Request(verb="create", resource="events", namespace=ns, body=body, user=who.name, groups=who.groups)
