"""ServiceAccount admission (upstream `plugin/pkg/admission/serviceaccount/admission.go`).

On pod creation: a pod without a ServiceAccount gets `default`; the ServiceAccount must exist
(`pods "x" is forbidden: error looking up service account ns/sa: serviceaccount "sa" not
found`); unless the pod or its ServiceAccount sets `automountServiceAccountToken: false`, the
projected `kube-api-access-<suffix>` volume (token, kube-root-ca.crt's ca.crt, the namespace
from the downward API) is added and mounted read-only at
`/var/run/secrets/kubernetes.io/serviceaccount` in every container that has nothing there yet.
Upstream draws the suffix at random; here it is derived from the log position and the pod's
name, and, like every mutation, recorded as decided JSON-patch operations.
"""

from __future__ import annotations

import hashlib

from engine.errors import StatusError
from engine.pipeline.admission import AdmissionContext

MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # upstream utilrand
EXPIRATION = 3607  # upstream's warnOnlyBoundTokenExpirationSeconds
MIRROR = "kubernetes.io/config.mirror"


def _suffix(seq: int, ns: str, name: str) -> str:
    h = hashlib.sha256(f"kube-api-access:{seq}:{ns}:{name}".encode()).digest()
    return "".join(ALPHABET[b % len(ALPHABET)] for b in h[:5])


def api_access_volume(name: str) -> dict:
    return {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": EXPIRATION, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}}


class ServiceAccountAdmission:
    name = "ServiceAccount"

    def mutate(self, ctx: AdmissionContext) -> list[dict]:
        req, pod = ctx.request, ctx.new
        if ctx.rtype.kind != "Pod" or ctx.operation != "CREATE" or req.subresource or not isinstance(pod, dict):
            return []
        meta = pod.get("metadata") or {}
        if MIRROR in (meta.get("annotations") or {}):
            return []
        spec = pod.get("spec")
        if not isinstance(spec, dict):
            return []
        ops: list[dict] = []
        sa_name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        if spec.get("serviceAccountName") != sa_name:
            ops.append({"op": "add", "path": "/spec/serviceAccountName", "value": sa_name})
        if spec.get("serviceAccount") != sa_name:
            ops.append({"op": "add", "path": "/spec/serviceAccount", "value": sa_name})
        sa = ctx.view.get("", "serviceaccounts", req.namespace, sa_name)
        if sa is None:
            name = meta.get("name") or meta.get("generateName") or "Unknown"
            raise StatusError(403, "Forbidden",
                              f'pods "{name}" is forbidden: error looking up service account {req.namespace}/{sa_name}: '
                              f'serviceaccount "{sa_name}" not found', {"name": name, "kind": "pods", "group": ""})
        if not _automount(sa, spec):
            return ops
        volumes = [v for v in spec.get("volumes") or () if isinstance(v, dict)]
        vol_name = "kube-api-access-" + _suffix(ctx.view.seq + 1, req.namespace, meta.get("name") or meta.get("generateName") or "")
        mount = {"name": vol_name, "readOnly": True, "mountPath": MOUNT_PATH}
        mounted = False
        for field in ("initContainers", "containers"):
            for i, c in enumerate(spec.get(field) or ()):
                if not isinstance(c, dict):
                    continue
                mounts = c.get("volumeMounts") or []
                if any(isinstance(m, dict) and m.get("mountPath") == MOUNT_PATH for m in mounts):
                    continue
                mounted = True
                if c.get("volumeMounts"):
                    ops.append({"op": "add", "path": f"/spec/{field}/{i}/volumeMounts/-", "value": mount})
                else:
                    ops.append({"op": "add", "path": f"/spec/{field}/{i}/volumeMounts", "value": [mount]})
        if mounted:
            if volumes:
                ops.append({"op": "add", "path": "/spec/volumes/-", "value": api_access_volume(vol_name)})
            else:
                ops.append({"op": "add", "path": "/spec/volumes", "value": [api_access_volume(vol_name)]})
        return ops

    def validate(self, ctx: AdmissionContext) -> None:
        return None


def _automount(sa: dict, spec: dict) -> bool:
    """upstream shouldAutomount: the pod's setting wins, then the ServiceAccount's, else true."""
    if spec.get("automountServiceAccountToken") is not None:
        return bool(spec["automountServiceAccountToken"])
    if sa.get("automountServiceAccountToken") is not None:
        return bool(sa["automountServiceAccountToken"])
    return True
