"""The Node authorizer (upstream `plugin/pkg/auth/authorizer/node/node_authorizer.go`).

A kubelet (`system:node:<name>` in `system:nodes`) may read a Secret, ConfigMap, PVC or PV only
when a pod bound to its node references it (upstream walks a graph; here the pods-by-node index
answers the same question), may create tokens only for ServiceAccounts of its pods, and for
everything else gets the static node rules (`bootstrappolicy.NodeRules`). Anyone else: no
opinion, so RBAC decides.
"""

from __future__ import annotations

from engine.auth.bootstrap_policy import node_rules
from engine.auth.rules import Rule, attrs_allowed

ALLOW, NO_OPINION = "allow", "no-opinion"
_RULES = tuple(Rule.of(r) for r in node_rules())


def node_name(a) -> str | None:
    """upstream NodeIdentity: in group system:nodes and named system:node:<name> ("" if unnamed)."""
    if "system:nodes" not in a.groups or not a.user.startswith("system:node:"):
        return None
    return a.user[len("system:node:"):]


class NodeAuthorizer:
    name = "Node"

    def __init__(self, view):
        self.view = view

    def authorize(self, a) -> tuple[str, str]:
        node = node_name(a)
        if node is None:
            return NO_OPINION, ""
        if not node:
            return NO_OPINION, f'unknown node for user "{a.user}"'
        if a.is_resource and a.group == "":
            if a.resource in ("secrets", "configmaps"):
                return self._read_namespaced(node, a)
            if a.resource == "persistentvolumeclaims":
                if a.subresource == "status":
                    if a.verb not in ("update", "patch"):
                        return NO_OPINION, "can only get or update persistentvolumeclaim status"
                    return self._related(node, a)
                return self._get(node, a)
            if a.resource == "persistentvolumes":
                return self._get(node, a)
            if a.resource == "serviceaccounts" and a.subresource == "token":
                if a.verb != "create":
                    return NO_OPINION, "can only create tokens for individual service accounts"
                return self._related(node, a)
        if attrs_allowed(_RULES, a):
            return ALLOW, ""
        return NO_OPINION, ""

    def _read_namespaced(self, node: str, a) -> tuple[str, str]:
        if a.verb not in ("get", "list", "watch"):
            return NO_OPINION, "can only read resources of this type"
        if a.subresource:
            return NO_OPINION, "cannot read subresource"
        if not a.namespace:
            return NO_OPINION, "can only read namespaced object of this type"
        return self._related(node, a)

    def _get(self, node: str, a) -> tuple[str, str]:
        if a.verb != "get":
            return NO_OPINION, "can only get individual resources of this type"
        if a.subresource:
            return NO_OPINION, "cannot get subresource"
        return self._related(node, a)

    def _related(self, node: str, a) -> tuple[str, str]:
        if not a.name:
            return NO_OPINION, "No Object name found"
        if self._has_path(node, a.resource, a.namespace, a.name):
            return ALLOW, ""
        return NO_OPINION, f"no relationship found between node '{node}' and this object"

    def _has_path(self, node: str, resource: str, ns: str, name: str) -> bool:
        for pod in self.view.pods_on_node(node):
            pns = pod.get("metadata", {}).get("namespace", "")
            spec = pod.get("spec") or {}
            if resource == "persistentvolumes":
                for claim in _refs(spec, "persistentvolumeclaims"):
                    pvc = self.view.get("", "persistentvolumeclaims", pns, claim)
                    if pvc and (pvc.get("spec") or {}).get("volumeName") == name:
                        return True
                continue
            if pns != ns:
                continue
            if resource == "serviceaccounts":
                if (spec.get("serviceAccountName") or "default") == name:
                    return True
                continue
            if name in _refs(spec, resource):
                return True
        return False


def _refs(spec: dict, resource: str) -> set[str]:
    """The names of `resource` (secrets, configmaps, persistentvolumeclaims) a pod spec uses."""
    out: set[str] = set()
    for v in spec.get("volumes") or ():
        if not isinstance(v, dict):
            continue
        if resource == "secrets" and isinstance(v.get("secret"), dict):
            out.add(v["secret"].get("secretName", ""))
        if resource == "configmaps" and isinstance(v.get("configMap"), dict):
            out.add(v["configMap"].get("name", ""))
        if resource == "persistentvolumeclaims" and isinstance(v.get("persistentVolumeClaim"), dict):
            out.add(v["persistentVolumeClaim"].get("claimName", ""))
        for src in ((v.get("projected") or {}).get("sources") or ()) if isinstance(v.get("projected"), dict) else ():
            if resource == "secrets" and isinstance(src.get("secret"), dict):
                out.add(src["secret"].get("name", ""))
            if resource == "configmaps" and isinstance(src.get("configMap"), dict):
                out.add(src["configMap"].get("name", ""))
    if resource == "secrets":
        out |= {s.get("name", "") for s in spec.get("imagePullSecrets") or () if isinstance(s, dict)}
    for c in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
        if not isinstance(c, dict):
            continue
        for e in c.get("env") or ():
            vf = (e or {}).get("valueFrom") or {}
            if resource == "secrets" and vf.get("secretKeyRef"):
                out.add(vf["secretKeyRef"].get("name", ""))
            if resource == "configmaps" and vf.get("configMapKeyRef"):
                out.add(vf["configMapKeyRef"].get("name", ""))
        for ef in c.get("envFrom") or ():
            if resource == "secrets" and (ef or {}).get("secretRef"):
                out.add(ef["secretRef"].get("name", ""))
            if resource == "configmaps" and (ef or {}).get("configMapRef"):
                out.add(ef["configMapRef"].get("name", ""))
    out.discard("")
    return out
