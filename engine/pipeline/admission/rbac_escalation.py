"""RBAC escalation prevention (upstream `pkg/registry/rbac/{role,clusterrole,rolebinding,
clusterrolebinding}/policybased/storage.go`, `escalation_check.go`, `validation/rule.go`).

Upstream does this in the RBAC storage, after admission; here it is the last validating step for
the four RBAC kinds, which is the same moment (before the object is stored):
- a Role/ClusterRole may be written by system:masters (or the apiserver itself), by whoever is
  allowed `escalate` on it, or when every rule is already held by the writer in that namespace;
  a ClusterRole with an aggregationRule needs full authority unless `escalate` is held;
- a binding may be written by system:masters, by whoever is allowed `bind` on the referenced
  role, or when the writer already holds every rule of the referenced role (a missing role is
  then refused: its rules cannot be resolved); the roleRef of a binding is immutable.
"""

from __future__ import annotations

from engine.auth import rules as rules_mod
from engine.auth.rbac import index_for
from engine.errors import FieldError, RawValue, StatusError, invalid
from engine.pipeline import authz as authz_mod
from engine.pipeline.admission import AdmissionContext

GROUP = "rbac.authorization.k8s.io"
FULL_AUTHORITY = [rules_mod.Rule.of({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}),
                  rules_mod.Rule.of({"verbs": ["*"], "nonResourceURLs": ["*"]})]


def _go_strings(xs) -> str:
    return "[" + " ".join(f'"{x}"' for x in xs) + "]"


class RBACEscalation:
    name = "RBACEscalation"

    def mutate(self, ctx: AdmissionContext) -> list[dict]:
        return []

    def validate(self, ctx: AdmissionContext) -> None:
        req, rt = ctx.request, ctx.rtype
        if rt.group != GROUP or ctx.operation not in ("CREATE", "UPDATE") or ctx.new is None or req.subresource:
            return
        if rt.plural in ("rolebindings", "clusterrolebindings") and ctx.old is not None \
                and (ctx.old.get("roleRef") or {}) != (ctx.new.get("roleRef") or {}):
            ref = ctx.new.get("roleRef") or {}
            value = f'rbac.RoleRef{{APIGroup:"{ref.get("apiGroup", "")}", Kind:"{ref.get("kind", "")}", Name:"{ref.get("name", "")}"}}'
            raise invalid(rt.kind, GROUP, ctx.new["metadata"]["name"],
                          [FieldError("Invalid", "roleRef", RawValue(value), "cannot change roleRef")])
        if req.user == "system:apiserver" or "system:masters" in req.groups:
            return  # EscalationAllowed
        obj = ctx.new
        name = obj["metadata"]["name"]
        ns = req.namespace
        chain = authz_mod.build_chain(ctx.view)
        if rt.plural in ("roles", "clusterroles"):
            esc = authz_mod.Attributes(req.user, req.groups, "escalate", GROUP, rt.plural, "", ns, name)
            if authz_mod.allowed(chain, esc)[0]:
                return
            new_rules = [rules_mod.Rule.of(r) for r in obj.get("rules") or () if isinstance(r, dict)]
            old = ctx.old or {}
            if rt.plural == "clusterroles" and (obj.get("aggregationRule") or old.get("aggregationRule")):
                if not self._covered(ctx, "", FULL_AUTHORITY)[0]:
                    raise _forbidden(rt, name, "must have cluster-admin privileges to use the aggregationRule")
            self._confirm(ctx, rt, name, ns, new_rules)
            return
        # bindings
        ref = obj.get("roleRef") or {}
        kind = ref.get("kind", "")
        res = {"Role": "roles", "ClusterRole": "clusterroles"}.get(kind, "")
        bind = authz_mod.Attributes(req.user, req.groups, "bind", GROUP, res, "", ns, ref.get("name", ""))
        if res and authz_mod.allowed(chain, bind)[0]:
            return
        idx = index_for(ctx.view)
        if kind == "ClusterRole":
            exists = ref.get("name", "") in idx.clusterroles
        else:
            exists = (ns, ref.get("name", "")) in idx.roles
        if not exists:
            what = "clusterrole" if kind == "ClusterRole" else "role"
            raise _forbidden(rt, name, f'{what}.rbac.authorization.k8s.io "{ref.get("name", "")}" not found')
        self._confirm(ctx, rt, name, ns, list(idx.role_rules(kind, ref.get("name", ""), ns)))

    @staticmethod
    def _covered(ctx: AdmissionContext, ns: str, wanted: list):
        req = ctx.request
        owner = index_for(ctx.view).rules_for(req.user, tuple(req.groups), ns)
        return rules_mod.covers(owner, wanted)

    def _confirm(self, ctx: AdmissionContext, rt, name: str, ns: str, wanted: list) -> None:
        ok, missing = self._covered(ctx, ns, wanted)
        if ok:
            return
        req = ctx.request
        lines = sorted({rules_mod.rule_string(r) for r in rules_mod.compact(missing)})
        raise _forbidden(rt, name, f'user "{req.user}" (groups={_go_strings(req.groups)}) is attempting to grant RBAC '
                                   "permissions not currently held:\n" + "\n".join(lines))


def _forbidden(rt, name: str, why: str) -> StatusError:
    return StatusError(403, "Forbidden", f'{rt.plural}.{GROUP} "{name}" is forbidden: {why}',
                       {"name": name, "group": GROUP, "kind": rt.plural})
