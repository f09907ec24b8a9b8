"""The resource quota controller (`pkg/controller/resourcequota`, `syncResourceQuota`).

Keeps every ResourceQuota's `status.hard` (the spec's hard limits) and `status.used` (the
namespace's usage of exactly those resources, zero included) current. Usage comes from the
`idx_usage` totals (`engine.quota.index`), so a pass costs a few row reads per quota; the
controller writes only when the status would change, and asks to be woken just after a pod being
deleted passes its grace period (it stops charging then). Identity:
`system:serviceaccount:kube-system:resourcequota-controller`.

Keys: `ns\\x01<namespace>` after any change of a namespaced object (its usage may have moved) and
after a quota's own create or update.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable

from engine.model.quantity import canonical_quantity
from engine.pipeline.identity import controller_identity
from engine.quota import index
from engine.quota.usage import fmt
from engine.records import LogEntry, Request
from engine.runtime.actor import NOTHING, Decision
from engine.view import View
from engine.pipeline.admission.resource_quota import scopes_of

NS = b"ns\x01"


def desired_status(quota: dict, usage: dict[str, Fraction]) -> dict:
    hard_spec = (quota.get("spec") or {}).get("hard") or {}
    hard: dict[str, str] = {}
    for k, v in hard_spec.items():
        try:
            hard[k] = canonical_quantity(v)
        except ValueError:
            hard[k] = str(v)
    used = {k: fmt(k, usage.get(k, Fraction(0))) for k in hard}
    return {"hard": hard, "used": used}


class ResourceQuotaController:
    name = "resourcequota-controller"
    identity = controller_identity("resourcequota-controller")

    def keys_for(self, entry: LogEntry, obj: dict | None) -> Iterable[bytes]:
        req = entry.request
        if not entry.changed or not req.namespace:
            return ()
        if req.resource == "resourcequotas" and req.subresource == "status":
            return ()
        return (NS + req.namespace.encode(),)

    def decide(self, view: View, key: bytes) -> Decision:
        if not key.startswith(NS):
            return NOTHING
        ns = key[len(NS):].decode()
        reqs: list[Request] = []
        found = False
        for _k, q in view.items("", "resourcequotas", ns):
            found = True
            if q["metadata"].get("deletionTimestamp"):
                continue
            want = desired_status(q, index.namespace_usage(view.txn, ns, scopes_of(q), view.now))
            if (q.get("status") or {}) == want:
                continue
            reqs.append(Request(verb="update", resource="resourcequotas", namespace=ns, name=q["metadata"]["name"],
                                subresource="status", body={**q, "status": want},
                                user=self.identity.name, groups=self.identity.groups))
        return Decision(tuple(reqs), requeue_at=index.next_deadline(view.txn, ns, view.now) if found else None)
