"""The served resource types: kind, group/version, plural, scope and short names.

One table answers every "what is `deploy`?" question for the CLI, the pipeline, the reducers'
error texts and (later) HTTP discovery, so the names stay the same everywhere.
"""

from __future__ import annotations

import attrs

from engine.errors import StatusError


@attrs.frozen
class ResourceType:
    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`deployments.apps` / `pods`: upstream's name for the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return self.kind + "List"


_SCALE = ("status", "scale")
_STATUS = ("status",)

TYPES: tuple[ResourceType, ...] = (
    ResourceType("Namespace", "", "v1", "namespaces", False, ("ns",), ("status", "finalize")),
    ResourceType("Node", "", "v1", "nodes", False, ("no",), ("status", "proxy")),
    ResourceType("Pod", "", "v1", "pods", True, ("po",), ("status", "binding", "log", "exec", "eviction", "attach", "portforward", "ephemeralcontainers")),
    ResourceType("ReplicationController", "", "v1", "replicationcontrollers", True, ("rc",), _SCALE),
    ResourceType("Service", "", "v1", "services", True, ("svc",), ("status", "proxy")),
    ResourceType("Endpoints", "", "v1", "endpoints", True, ("ep",)),
    ResourceType("ConfigMap", "", "v1", "configmaps", True, ("cm",)),
    ResourceType("Secret", "", "v1", "secrets", True),
    ResourceType("ServiceAccount", "", "v1", "serviceaccounts", True, ("sa",), ("token",)),
    ResourceType("ResourceQuota", "", "v1", "resourcequotas", True, ("quota",), _STATUS),
    ResourceType("LimitRange", "", "v1", "limitranges", True, ("limits",)),
    ResourceType("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", True, ("pvc",), _STATUS),
    ResourceType("PersistentVolume", "", "v1", "persistentvolumes", False, ("pv",), _STATUS),
    ResourceType("Event", "", "v1", "events", True, ("ev",)),
    ResourceType("ReplicaSet", "apps", "v1", "replicasets", True, ("rs",), _SCALE),
    ResourceType("Deployment", "apps", "v1", "deployments", True, ("deploy",), _SCALE),
    ResourceType("DaemonSet", "apps", "v1", "daemonsets", True, ("ds",), _STATUS),
    ResourceType("StatefulSet", "apps", "v1", "statefulsets", True, ("sts",), _SCALE),
    ResourceType("ControllerRevision", "apps", "v1", "controllerrevisions", True),
    ResourceType("Job", "batch", "v1", "jobs", True, (), _STATUS),
    ResourceType("CronJob", "batch", "v1", "cronjobs", True, ("cj",), _STATUS),
    ResourceType("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers", True, ("hpa",), _STATUS),
    ResourceType("Role", "rbac.authorization.k8s.io", "v1", "roles", True),
    ResourceType("ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", False),
    ResourceType("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", True),
    ResourceType("ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False),
    ResourceType("StorageClass", "storage.k8s.io", "v1", "storageclasses", False, ("sc",)),
    ResourceType("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", True),
    ResourceType("Lease", "coordination.k8s.io", "v1", "leases", True),
    # Reviews: create-only, never stored; answered from the authorizer chain (engine/pipeline/authn.py).
    ResourceType("SelfSubjectAccessReview", "authorization.k8s.io", "v1", "selfsubjectaccessreviews", False, (), (), ("create",)),
    ResourceType("SelfSubjectRulesReview", "authorization.k8s.io", "v1", "selfsubjectrulesreviews", False, (), (), ("create",)),
    ResourceType("SubjectAccessReview", "authorization.k8s.io", "v1", "subjectaccessreviews", False, (), (), ("create",)),
    ResourceType("LocalSubjectAccessReview", "authorization.k8s.io", "v1", "localsubjectaccessreviews", True, (), (), ("create",)),
    ResourceType("SelfSubjectReview", "authentication.k8s.io", "v1", "selfsubjectreviews", False, (), (), ("create",)),
    # kubetape's own: the recorded cluster settings (start time, nodes, authorization modes, ...).
    ResourceType("Cluster", "config.kubetape.io", "v1alpha1", "clusters", False),
)

# Kinds whose metadata.generation tracks spec changes (upstream strategies that set it).
GENERATION_KINDS = frozenset(
    {"Deployment", "ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet", "Job", "CronJob",
     "HorizontalPodAutoscaler", "Cluster"}
)

# API versions accepted in manifests besides the preferred one (converted on the way in).
EXTRA_VERSIONS: dict[tuple[str, str], str] = {
    ("autoscaling", "v1"): "HorizontalPodAutoscaler",
    ("autoscaling", "v2beta2"): "HorizontalPodAutoscaler",
    ("batch", "v1beta1"): "CronJob",
    ("events.k8s.io", "v1"): "Event",
}

REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews", "subjectaccessreviews",
                     "localsubjectaccessreviews", "selfsubjectreviews"})

BY_KIND: dict[str, ResourceType] = {t.kind: t for t in TYPES}
BY_GROUP_RESOURCE: dict[tuple[str, str], ResourceType] = {(t.group, t.plural): t for t in TYPES}


def _aliases() -> dict[str, list[ResourceType]]:
    out: dict[str, list[ResourceType]] = {}
    for t in TYPES:
        names = {t.plural, t.singular, t.kind, *t.short_names}
        if t.group:
            names |= {f"{n}.{t.group}" for n in (t.plural, t.singular)}
            names |= {f"{n}.{t.version}.{t.group}" for n in (t.plural, t.singular)}
        for n in names:
            out.setdefault(n.lower(), []).append(t)
    return out


_ALIASES = _aliases()


def resolve(name: str) -> ResourceType:
    """A resource as kubectl accepts it on the command line: `deploy`, `deployments.apps`, `Pod`."""
    found = _ALIASES.get(name.lower())
    if not found:
        raise StatusError(
            404, "NotFound", f'the server doesn\'t have a resource type "{name}"', {"client": True}
        )
    return found[0]


def for_kind(api_version: str, kind: str) -> ResourceType:
    """The type a manifest's apiVersion/kind names; unknown ones fail as kubectl's mapper does."""
    group, _, version = api_version.rpartition("/")
    t = BY_KIND.get(kind)
    if t is not None and t.group == group and (t.version == version or EXTRA_VERSIONS.get((group, version)) == kind):
        return t
    if t is not None and (group, version) in EXTRA_VERSIONS and EXTRA_VERSIONS[(group, version)] == kind:
        return t
    raise StatusError(
        400,
        "BadRequest",
        f'resource mapping not found for name: "" namespace: "" from "": no matches for kind "{kind}" in version "{api_version}"\n'
        "ensure CRDs are installed first",
        {"client": True},
    )


def by_group_resource(group: str, resource: str) -> ResourceType:
    t = BY_GROUP_RESOURCE.get((group, resource))
    if t is None:
        raise StatusError(404, "NotFound", "the server could not find the requested resource")
    return t
