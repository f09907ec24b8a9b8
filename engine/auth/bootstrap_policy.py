"""The default roles and bindings every cluster starts with (upstream
`plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go` and `controller_policy.go`).

Transcribed from upstream (v1.32), kept to the roles this simulated control plane has actors
or users for: cluster-admin, the discovery/basic-user/public-info-viewer/monitoring roles,
admin/edit/view (aggregated from the `system:aggregate-to-*` roles), system:node (used by the
Node authorizer; its binding has no subjects, as upstream), system:kube-scheduler,
system:kube-controller-manager, system:node-proxier, system:kube-dns, and one
`system:controller:<name>` role per kube-controller-manager controller, bound to the
ServiceAccount `kube-system/<name>` that controller runs as. Every object carries upstream's
label `kubernetes.io/bootstrapping=rbac-defaults` and annotation
`rbac.authorization.kubernetes.io/autoupdate=true`.
"""

from __future__ import annotations

READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")
READ_WRITE = READ + WRITE
READ_UPDATE = ("get", "list", "watch", "update", "patch")

LEGACY, APPS, AUTHN, AUTHZ, AUTOSCALING, BATCH = "", "apps", "authentication.k8s.io", "authorization.k8s.io", "autoscaling", "batch"
CERTS, EXT, POLICY, RBAC, STORAGE, NETWORKING = "certificates.k8s.io", "extensions", "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "networking.k8s.io"
DISCOVERY, COORDINATION, EVENTS = "discovery.k8s.io", "coordination.k8s.io", "events.k8s.io"
GROUP = RBAC
LABEL = {"kubernetes.io/bootstrapping": "rbac-defaults"}
ANNOTATION = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
AGG = "rbac.authorization.k8s.io/aggregate-to-"


def rule(verbs, groups=(), resources=(), names=(), urls=()) -> dict:
    r: dict = {"verbs": list(verbs)}
    if urls:
        r["nonResourceURLs"] = list(urls)
    else:
        r["apiGroups"] = list(groups)
        r["resources"] = list(resources)
    if names:
        r["resourceNames"] = list(names)
    return r


def events_rule() -> dict:
    return rule(("create", "update", "patch"), (LEGACY, EVENTS), ("events",))


def cluster_role(name: str, rules: list[dict], labels: dict | None = None, aggregate: str | None = None) -> dict:
    meta = {"name": name, "labels": {**LABEL, **(labels or {})}, "annotations": dict(ANNOTATION)}
    role = {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRole", "metadata": meta, "rules": rules}
    if aggregate:
        role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {AGG + aggregate: "true"}}]}
        role["rules"] = []
    return role


def cluster_binding(name: str, role: str, subjects: list[dict]) -> dict:
    return {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": dict(LABEL), "annotations": dict(ANNOTATION)},
            "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": role}, "subjects": subjects}


def group(name: str) -> dict:
    return {"apiGroup": GROUP, "kind": "Group", "name": name}


def user(name: str) -> dict:
    return {"apiGroup": GROUP, "kind": "User", "name": name}


def sa(namespace: str, name: str) -> dict:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def node_rules() -> list[dict]:
    """upstream NodeRules(): what a kubelet may do (the Node authorizer applies them)."""
    return [
        rule(("create",), (AUTHN,), ("tokenreviews",)),
        rule(("create",), (AUTHZ,), ("subjectaccessreviews", "localsubjectaccessreviews")),
        rule(READ, (LEGACY,), ("services",)),
        rule(("create", "get", "list", "watch"), (LEGACY,), ("nodes",)),
        rule(("update", "patch"), (LEGACY,), ("nodes/status",)),
        rule(("update", "patch"), (LEGACY,), ("nodes",)),
        rule(("create", "update", "patch"), (LEGACY,), ("events",)),
        rule(READ, (LEGACY,), ("pods",)),
        rule(("create", "delete"), (LEGACY,), ("pods",)),
        rule(("update", "patch"), (LEGACY,), ("pods/status",)),
        rule(("create",), (LEGACY,), ("pods/eviction",)),
        rule(READ, (LEGACY,), ("secrets", "configmaps")),
        rule(("get",), (LEGACY,), ("persistentvolumeclaims", "persistentvolumes")),
        rule(("get",), (LEGACY,), ("endpoints",)),
        rule(("create", "get", "list", "watch"), (CERTS,), ("certificatesigningrequests",)),
        rule(("get", "create", "update", "patch", "delete"), (COORDINATION,), ("leases",)),
        rule(("get",), (STORAGE,), ("volumeattachments",)),
        rule(("create",), (LEGACY,), ("serviceaccounts/token",)),
        rule(("get", "update", "patch"), (LEGACY,), ("persistentvolumeclaims/status",)),
        rule(("get", "watch", "list"), (STORAGE,), ("csidrivers",)),
        rule(("get", "create", "update", "patch", "delete"), (STORAGE,), ("csinodes",)),
        rule(READ, ("node.k8s.io",), ("runtimeclasses",)),
    ]


def cluster_roles() -> list[dict]:
    health = ("/livez", "/readyz", "/healthz", "/version", "/version/")
    return [
        cluster_role("cluster-admin", [rule(("*",), ("*",), ("*",)), rule(("*",), urls=("*",))]),
        cluster_role("system:discovery", [rule(("get",), urls=("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                                               "/openapi", "/openapi/*", "/readyz", "/version", "/version/"))]),
        cluster_role("system:monitoring", [rule(("get",), urls=("/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics",
                                                                "/metrics/slis", "/readyz", "/readyz/*"))]),
        cluster_role("system:basic-user", [rule(("create",), (AUTHZ,), ("selfsubjectaccessreviews", "selfsubjectrulesreviews")),
                                           rule(("create",), (AUTHN,), ("selfsubjectreviews",))]),
        cluster_role("system:public-info-viewer", [rule(("get",), urls=health)]),
        cluster_role("admin", [], aggregate="admin"),
        cluster_role("edit", [], labels={AGG + "admin": "true"}, aggregate="edit"),
        cluster_role("view", [], labels={AGG + "edit": "true"}, aggregate="view"),
        cluster_role("system:aggregate-to-admin", [
            rule(("create",), (AUTHZ,), ("localsubjectaccessreviews",)),
            rule(READ_WRITE, (RBAC,), ("roles", "rolebindings")),
        ], labels={AGG + "admin": "true"}),
        cluster_role("system:aggregate-to-edit", [
            rule(READ, (LEGACY,), ("pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy")),
            rule(("impersonate",), (LEGACY,), ("serviceaccounts",)),
            rule(WRITE, (LEGACY,), ("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward")),
            rule(("create",), (LEGACY,), ("pods/eviction",)),
            rule(WRITE, (LEGACY,), ("replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                                    "services/proxy", "persistentvolumeclaims", "configmaps", "secrets")),
            rule(("create",), (LEGACY,), ("serviceaccounts/token",)),
            rule(WRITE, (APPS,), ("statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
                                  "deployments/rollback", "replicasets", "replicasets/scale")),
            rule(WRITE, (AUTOSCALING,), ("horizontalpodautoscalers",)),
            rule(WRITE, (BATCH,), ("jobs", "cronjobs")),
            rule(WRITE, (EXT,), ("daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses",
                                 "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies")),
            rule(WRITE, (POLICY,), ("poddisruptionbudgets",)),
            rule(WRITE, (NETWORKING,), ("networkpolicies", "ingresses")),
            rule(WRITE, (COORDINATION,), ("leases",)),
        ], labels={AGG + "edit": "true"}),
        cluster_role("system:aggregate-to-view", [
            rule(READ, (LEGACY,), ("pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                                   "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
                                   "configmaps")),
            rule(READ, (LEGACY,), ("limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status",
                                   "namespaces/status", "replicationcontrollers/status", "pods/log")),
            rule(READ, (LEGACY,), ("namespaces",)),
            rule(READ, (DISCOVERY,), ("endpointslices",)),
            rule(READ, (APPS,), ("controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets",
                                 "daemonsets/status", "deployments", "deployments/status", "deployments/scale", "replicasets",
                                 "replicasets/status", "replicasets/scale")),
            rule(READ, (AUTOSCALING,), ("horizontalpodautoscalers", "horizontalpodautoscalers/status")),
            rule(READ, (BATCH,), ("jobs", "jobs/status", "cronjobs", "cronjobs/status")),
            rule(READ, (EXT,), ("daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
                                "ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status",
                                "replicationcontrollers/scale", "networkpolicies")),
            rule(READ, (POLICY,), ("poddisruptionbudgets", "poddisruptionbudgets/status")),
            rule(READ, (NETWORKING,), ("networkpolicies", "ingresses", "ingresses/status")),
            rule(READ, (COORDINATION,), ("leases",)),
        ], labels={AGG + "view": "true"}),
        cluster_role("system:node", node_rules()),
        cluster_role("system:node-proxier", [
            rule(("list", "watch"), (LEGACY,), ("services", "endpoints")),
            rule(("get", "list", "watch"), (LEGACY,), ("nodes",)),
            events_rule(),
            rule(("list", "watch"), (DISCOVERY,), ("endpointslices",)),
        ]),
        cluster_role("system:kube-controller-manager", [
            events_rule(),
            rule(("create",), (COORDINATION,), ("leases",)),
            rule(("get", "update"), (COORDINATION,), ("leases",), names=("kube-controller-manager",)),
            rule(("create",), (LEGACY,), ("secrets", "serviceaccounts")),
            rule(("delete",), (LEGACY,), ("secrets",)),
            rule(("get",), (LEGACY,), ("configmaps", "namespaces", "secrets", "serviceaccounts")),
            rule(("update",), (LEGACY,), ("secrets", "serviceaccounts")),
            rule(("create",), (AUTHN,), ("tokenreviews",)),
            rule(("create",), (AUTHZ,), ("subjectaccessreviews",)),
            rule(("list", "watch"), ("*",), ("*",)),
            rule(("create",), (LEGACY,), ("serviceaccounts/token",)),
        ]),
        cluster_role("system:kube-scheduler", [
            events_rule(),
            rule(("create",), (COORDINATION,), ("leases",)),
            rule(("get", "update"), (COORDINATION,), ("leases",), names=("kube-scheduler",)),
            rule(READ, (LEGACY,), ("nodes",)),
            rule(("get", "list", "watch"), (LEGACY,), ("pods",)),
            rule(("delete",), (LEGACY,), ("pods",)),
            rule(("create",), (LEGACY,), ("pods/binding", "bindings")),
            rule(("patch", "update"), (LEGACY,), ("pods/status",)),
            rule(READ, (LEGACY,), ("replicationcontrollers", "services")),
            rule(READ, (APPS, EXT), ("replicasets",)),
            rule(READ, (APPS,), ("statefulsets",)),
            rule(READ, (POLICY,), ("poddisruptionbudgets",)),
            rule(READ, (LEGACY,), ("persistentvolumeclaims", "persistentvolumes")),
            rule(("create",), (AUTHN,), ("tokenreviews",)),
            rule(("create",), (AUTHZ,), ("subjectaccessreviews",)),
            rule(READ, (STORAGE,), ("csinodes",)),
            rule(READ, (LEGACY,), ("namespaces",)),
            rule(READ, (STORAGE,), ("csidrivers", "csistoragecapacities")),
        ]),
        cluster_role("system:volume-scheduler", [
            rule(READ_UPDATE, (LEGACY,), ("persistentvolumes",)),
            rule(READ, (STORAGE,), ("storageclasses",)),
            rule(READ_UPDATE, (LEGACY,), ("persistentvolumeclaims",)),
        ]),
        cluster_role("system:kube-dns", [rule(("list", "watch"), (LEGACY,), ("endpoints", "services"))]),
        cluster_role("system:auth-delegator", [rule(("create",), (AUTHN,), ("tokenreviews",)),
                                               rule(("create",), (AUTHZ,), ("subjectaccessreviews",))]),
        cluster_role("system:service-account-issuer-discovery", [
            rule(("get",), urls=("/.well-known/openid-configuration", "/.well-known/openid-configuration/",
                                 "/openid/v1/jwks", "/openid/v1/jwks/"))]),
    ]


def cluster_role_bindings() -> list[dict]:
    return [
        cluster_binding("cluster-admin", "cluster-admin", [group("system:masters")]),
        cluster_binding("system:monitoring", "system:monitoring", [group("system:monitoring")]),
        cluster_binding("system:discovery", "system:discovery", [group("system:authenticated")]),
        cluster_binding("system:basic-user", "system:basic-user", [group("system:authenticated")]),
        cluster_binding("system:public-info-viewer", "system:public-info-viewer",
                        [group("system:authenticated"), group("system:unauthenticated")]),
        cluster_binding("system:node-proxier", "system:node-proxier", [user("system:kube-proxy")]),
        cluster_binding("system:kube-controller-manager", "system:kube-controller-manager", [user("system:kube-controller-manager")]),
        cluster_binding("system:kube-dns", "system:kube-dns", [sa("kube-system", "kube-dns")]),
        cluster_binding("system:kube-scheduler", "system:kube-scheduler", [user("system:kube-scheduler")]),
        cluster_binding("system:volume-scheduler", "system:volume-scheduler", [user("system:kube-scheduler")]),
        cluster_binding("system:node", "system:node", []),
        cluster_binding("system:service-account-issuer-discovery", "system:service-account-issuer-discovery",
                        [group("system:serviceaccounts")]),
    ]


def _controller_roles() -> dict[str, list[dict]]:
    ev = events_rule()
    scale_get = rule(("get",), ("*",), ("*/scale",))
    return {
        "attachdetach-controller": [
            rule(("list", "watch"), (LEGACY,), ("persistentvolumes", "persistentvolumeclaims")),
            rule(READ, (LEGACY,), ("nodes",)), rule(("patch", "update"), (LEGACY,), ("nodes/status",)),
            rule(("list", "watch"), (LEGACY,), ("pods",)), ev,
            rule(("get", "create", "delete", "list", "watch"), (STORAGE,), ("volumeattachments",)),
            rule(("get", "watch", "list"), (STORAGE,), ("csidrivers",)), rule(("get", "watch", "list"), (STORAGE,), ("csinodes",))],
        "clusterrole-aggregation-controller": [
            rule(("escalate", "get", "list", "watch", "update", "patch"), (RBAC,), ("clusterroles",))],
        "cronjob-controller": [
            rule(("get", "list", "watch", "update"), (BATCH,), ("cronjobs",)),
            rule(("get", "list", "watch", "create", "update", "delete", "patch"), (BATCH,), ("jobs",)),
            rule(("update",), (BATCH,), ("cronjobs/status",)), rule(("update",), (BATCH,), ("cronjobs/finalizers",)),
            rule(("list", "watch", "delete"), (LEGACY,), ("pods",)), ev],
        "daemon-set-controller": [
            rule(READ, (EXT, APPS), ("daemonsets",)), rule(("update",), (EXT, APPS), ("daemonsets/status",)),
            rule(("update",), (EXT, APPS), ("daemonsets/finalizers",)), rule(("list", "watch"), (LEGACY,), ("nodes",)),
            rule(("list", "watch", "create", "delete", "patch"), (LEGACY,), ("pods",)),
            rule(("create",), (LEGACY,), ("pods/binding",)),
            rule(("get", "list", "watch", "create", "delete", "update", "patch"), (APPS,), ("controllerrevisions",)), ev],
        "deployment-controller": [
            rule(("get", "list", "watch", "update"), (EXT, APPS), ("deployments",)),
            rule(("update",), (EXT, APPS), ("deployments/status",)), rule(("update",), (EXT, APPS), ("deployments/finalizers",)),
            rule(("get", "list", "watch", "create", "update", "patch", "delete"), (APPS, EXT), ("replicasets",)),
            rule(("get", "list", "watch", "update"), (LEGACY,), ("pods",)), ev],
        "disruption-controller": [
            rule(READ, (EXT, APPS), ("deployments",)), rule(READ, (APPS, EXT), ("replicasets",)),
            rule(READ, (LEGACY,), ("replicationcontrollers",)), rule(READ, (POLICY,), ("poddisruptionbudgets",)),
            rule(READ, (APPS,), ("statefulsets",)), rule(("update",), (POLICY,), ("poddisruptionbudgets/status",)),
            rule(("patch", "update"), (LEGACY,), ("pods/status",)), scale_get, ev],
        "endpoint-controller": [
            rule(READ, (LEGACY,), ("services", "pods")),
            rule(("get", "list", "watch", "create", "update", "delete"), (LEGACY,), ("endpoints",)),
            rule(("create",), (LEGACY,), ("endpoints/restricted",)), ev],
        "endpointslice-controller": [
            rule(READ, (LEGACY,), ("services", "pods", "nodes")), rule(("update",), (LEGACY,), ("services/finalizers",)),
            rule(("get", "list", "watch", "create", "update", "delete"), (DISCOVERY,), ("endpointslices",)), ev],
        "endpointslicemirroring-controller": [
            rule(READ, (LEGACY,), ("services", "endpoints")), rule(("update",), (LEGACY,), ("services/finalizers",)),
            rule(("update",), (LEGACY,), ("endpoints/finalizers",)),
            rule(("get", "list", "watch", "create", "update", "delete"), (DISCOVERY,), ("endpointslices",)), ev],
        "ephemeral-volume-controller": [
            rule(READ, (LEGACY,), ("pods",)), rule(("update",), (LEGACY,), ("pods/finalizers",)),
            rule(("get", "list", "watch", "create"), (LEGACY,), ("persistentvolumeclaims",)), ev],
        "expand-controller": [
            rule(READ_UPDATE, (LEGACY,), ("persistentvolumes",)),
            rule(("update", "patch"), (LEGACY,), ("persistentvolumeclaims/status",)),
            rule(READ, (LEGACY,), ("persistentvolumeclaims",)), ev, rule(("get",), (LEGACY,), ("services",))],
        "generic-garbage-collector": [
            rule(("get", "list", "watch", "patch", "update", "delete"), ("*",), ("*",)), ev],
        "horizontal-pod-autoscaler": [
            rule(READ, (AUTOSCALING,), ("horizontalpodautoscalers",)),
            rule(("update",), (AUTOSCALING,), ("horizontalpodautoscalers/status",)),
            rule(("get", "update"), ("*",), ("*/scale",)), rule(("list", "watch"), (LEGACY,), ("pods",)),
            rule(("list", "watch"), ("metrics.k8s.io",), ("pods",)),
            rule(READ, ("custom.metrics.k8s.io",), ("*",)), rule(READ, ("external.metrics.k8s.io",), ("*",)), ev],
        "job-controller": [
            rule(("get", "list", "watch", "update", "patch"), (BATCH,), ("jobs",)),
            rule(("update",), (BATCH,), ("jobs/status",)), rule(("update",), (BATCH,), ("jobs/finalizers",)),
            rule(("list", "watch", "create", "delete", "patch"), (LEGACY,), ("pods",)), ev],
        "namespace-controller": [
            rule(("get", "list", "watch", "delete"), (LEGACY,), ("namespaces",)),
            rule(("update",), (LEGACY,), ("namespaces/finalize", "namespaces/status")),
            rule(("get", "list", "watch", "delete", "deletecollection"), ("*",), ("*",))],
        "node-controller": [
            rule(("get", "list", "watch", "update", "delete", "patch"), (LEGACY,), ("nodes",)),
            rule(("patch", "update"), (LEGACY,), ("nodes/status",)), rule(("patch", "update"), (LEGACY,), ("pods/status",)),
            rule(("list", "watch", "get", "delete"), (LEGACY,), ("pods",)), ev],
        "persistent-volume-binder": [
            rule(("get", "list", "watch", "update", "create", "delete"), (LEGACY,), ("persistentvolumes",)),
            rule(("update",), (LEGACY,), ("persistentvolumes/status",)),
            rule(("get", "list", "watch", "update"), (LEGACY,), ("persistentvolumeclaims",)),
            rule(("update",), (LEGACY,), ("persistentvolumeclaims/status",)),
            rule(("list", "watch", "get", "create", "delete"), (LEGACY,), ("pods",)),
            rule(READ, (STORAGE,), ("storageclasses",)), rule(("list", "watch"), (LEGACY,), ("nodes",)), ev,
            rule(("watch",), (LEGACY,), ("events",)), rule(("get",), (LEGACY,), ("services",))],
        "pod-garbage-collector": [
            rule(("list", "watch", "delete"), (LEGACY,), ("pods",)), rule(READ, (LEGACY,), ("nodes",)),
            rule(("patch",), (LEGACY,), ("pods/status",))],
        "replicaset-controller": [
            rule(("get", "list", "watch", "update"), (APPS, EXT), ("replicasets",)),
            rule(("update",), (APPS, EXT), ("replicasets/status",)), rule(("update",), (APPS, EXT), ("replicasets/finalizers",)),
            rule(("list", "watch", "patch", "create", "delete"), (LEGACY,), ("pods",)), ev],
        "replication-controller": [
            rule(("get", "list", "watch", "update"), (LEGACY,), ("replicationcontrollers",)),
            rule(("update",), (LEGACY,), ("replicationcontrollers/status",)),
            rule(("update",), (LEGACY,), ("replicationcontrollers/finalizers",)),
            rule(("list", "watch", "patch", "create", "delete"), (LEGACY,), ("pods",)), ev],
        "resourcequota-controller": [
            rule(("list", "watch"), ("*",), ("*",)), rule(("update",), (LEGACY,), ("resourcequotas/status",)), ev],
        "route-controller": [
            rule(("list", "watch"), (LEGACY,), ("nodes",)), rule(("patch",), (LEGACY,), ("nodes/status",)), ev],
        "service-account-controller": [rule(("create",), (LEGACY,), ("serviceaccounts",)), ev],
        "service-controller": [
            rule(READ, (LEGACY,), ("services",)), rule(("patch", "update"), (LEGACY,), ("services/status",)),
            rule(("list", "watch"), (LEGACY,), ("nodes",)), ev],
        "statefulset-controller": [
            rule(("list", "watch"), (LEGACY,), ("pods",)), rule(READ, (APPS,), ("statefulsets",)),
            rule(("update",), (APPS,), ("statefulsets/status",)), rule(("update",), (APPS,), ("statefulsets/finalizers",)),
            rule(("get", "create", "delete", "update", "patch"), (LEGACY,), ("pods",)),
            rule(("get", "create", "delete", "update", "patch", "list", "watch"), (APPS,), ("controllerrevisions",)),
            rule(("get", "create", "list", "watch"), (LEGACY,), ("persistentvolumeclaims",)),
            rule(("update", "delete"), (LEGACY,), ("persistentvolumeclaims",)),
            rule(("update",), (LEGACY,), ("pods/finalizers",)), ev],
        "ttl-controller": [rule(("update", "patch", "list", "watch"), (LEGACY,), ("nodes",)), ev],
        "certificate-controller": [
            rule(("get", "list", "watch", "delete"), (CERTS,), ("certificatesigningrequests",)),
            rule(("update",), (CERTS,), ("certificatesigningrequests/status", "certificatesigningrequests/approval")),
            rule(("create",), (AUTHZ,), ("subjectaccessreviews",)), ev],
        "pvc-protection-controller": [
            rule(("get", "list", "watch", "update"), (LEGACY,), ("persistentvolumeclaims",)),
            rule(("list", "watch", "get"), (LEGACY,), ("pods",)), ev],
        "pv-protection-controller": [rule(("get", "list", "watch", "update"), (LEGACY,), ("persistentvolumes",)), ev],
        "ttl-after-finished-controller": [rule(("get", "list", "watch", "delete"), (BATCH,), ("jobs",)), ev],
        "root-ca-cert-publisher": [rule(("create", "update"), (LEGACY,), ("configmaps",)), ev],
        "legacy-service-account-token-cleaner": [
            rule(("get",), (LEGACY,), ("configmaps",), names=("kube-apiserver-legacy-service-account-token-tracking",)),
            rule(("patch", "delete"), (LEGACY,), ("secrets",))],
    }


CONTROLLER_PREFIX = "system:controller:"

# kubetape's controllers write some changes as merge patches where upstream's send an Update of
# the whole object (same effect on the object, a different verb): those verbs are added here so
# the same decisions pass. Everything else is upstream's role, unchanged.
SIM_EXTRAS: dict[str, list[dict]] = {
    "deployment-controller": [rule(("patch",), (APPS,), ("deployments",))],
    "horizontal-pod-autoscaler": [rule(("patch",), (AUTOSCALING,), ("horizontalpodautoscalers",))],
}


def controller_roles() -> list[dict]:
    return [cluster_role(CONTROLLER_PREFIX + name, rules + SIM_EXTRAS.get(name, []))
            for name, rules in _controller_roles().items()]


def controller_role_bindings() -> list[dict]:
    return [cluster_binding(CONTROLLER_PREFIX + name, CONTROLLER_PREFIX + name, [sa("kube-system", name)])
            for name in _controller_roles()]


def all_objects() -> list[dict]:
    """Every bootstrap object in the order the apiserver's post-start hook writes them."""
    return cluster_roles() + cluster_role_bindings() + controller_roles() + controller_role_bindings()
