"""NamespaceLifecycle admission (k8s-semantics.md section 14): no content in missing or
terminating namespaces, and the immortal namespaces cannot be deleted."""

from __future__ import annotations

from engine.errors import StatusError, forbidden, not_found
from engine.pipeline.admission import AdmissionContext

IMMORTAL = frozenset({"default", "kube-system", "kube-public"})


class NamespaceLifecycle:
    name = "NamespaceLifecycle"

    def mutate(self, ctx: AdmissionContext) -> list[dict]:
        # Upstream's plugin is an admit (mutating-phase) one, first in the chain: a missing
        # namespace is NotFound before the ServiceAccount plugin looks for its `default`.
        self._check(ctx)
        return []

    def validate(self, ctx: AdmissionContext) -> None:
        return None

    @staticmethod
    def _check(ctx: AdmissionContext) -> None:
        req, rt = ctx.request, ctx.rtype
        if rt.kind == "Namespace":
            if ctx.operation == "DELETE" and req.name in IMMORTAL:
                raise forbidden("namespaces", "", req.name, "this namespace may not be deleted")
            return
        if not rt.namespaced or ctx.operation == "DELETE":
            return
        ns = ctx.view.get("", "namespaces", "", req.namespace)
        if ns is None:
            raise not_found("namespaces", "", req.namespace)
        if ctx.operation == "CREATE" and (ns.get("status") or {}).get("phase") == "Terminating":
            name = req.name or ((ctx.new or {}).get("metadata") or {}).get("name", "")
            raise StatusError(
                403,
                "Forbidden",
                f'{rt.qualified} "{name}" is forbidden: unable to create new content in namespace '
                f"{req.namespace} because it is being terminated",
                {
                    "name": name,
                    "group": rt.group,
                    "kind": rt.plural,
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {req.namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )
