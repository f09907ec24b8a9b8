"""Discovery and OpenAPI documents, generated from `engine.registry` (one table for everything).

Legacy discovery only (`/api` -> APIVersions, `/apis` -> APIGroupList, per group-version
APIResourceList): every kubectl from 1.27 to 1.33 works with it, and answering the aggregated
Accept with the legacy body is how a server without aggregated discovery behaves (kubectl then
falls back; see kubectl-wire.md section 3). OpenAPI: the minimal v3 documents that tell
kubectl >= 1.29 the server supports `fieldValidation` (so `apply -f`/`create -f` validate
server-side); `/openapi/v2` is 404 (kubectl <= 1.28 then needs `--validate=false`, as documented).
"""

from __future__ import annotations

from functools import lru_cache

from engine.registry import TYPES, ResourceType

VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0+kubetape", "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
    "platform": "linux/amd64",
}

# `kubectl get all`: upstream's "all" category.
ALL_CATEGORY = frozenset({"pods", "services", "replicationcontrollers", "deployments", "replicasets", "statefulsets",
                          "daemonsets", "horizontalpodautoscalers", "jobs", "cronjobs"})

# Extra versions served besides the stored one (converted on the way in and out).
EXTRA_SERVED: dict[tuple[str, str], tuple[str, ...]] = {("autoscaling", "v1"): ("horizontalpodautoscalers",)}

_SUB_KINDS = {
    "scale": ("autoscaling", "v1", "Scale", ("get", "patch", "update")),
    "log": ("", "v1", "Pod", ("get",)),
    "exec": ("", "v1", "PodExecOptions", ("create", "get")),
    "attach": ("", "v1", "PodAttachOptions", ("create", "get")),
    "portforward": ("", "v1", "PodPortForwardOptions", ("create", "get")),
    "binding": ("", "v1", "Binding", ("create",)),
    "eviction": ("policy", "v1", "Eviction", ("create",)),
    "finalize": (None, None, None, ("update",)),
    "token": ("authentication.k8s.io", "v1", "TokenRequest", ("create",)),
    "proxy": ("", "v1", None, ("create", "delete", "get", "patch", "update")),
}


@lru_cache(maxsize=None)
def group_versions() -> dict[str, list[str]]:
    """group -> versions, preferred first ("" is the core group)."""
    out: dict[str, list[str]] = {}
    for t in TYPES:
        out.setdefault(t.group, [])
        if t.version not in out[t.group]:
            out[t.group].append(t.version)
    for (g, v) in EXTRA_SERVED:
        if v not in out.setdefault(g, []):
            out[g].append(v)
    return out


@lru_cache(maxsize=None)
def served(group: str, version: str) -> tuple[ResourceType, ...]:
    """The resource types served at group/version."""
    extra = EXTRA_SERVED.get((group, version), ())
    return tuple(t for t in TYPES if t.group == group and (t.version == version or t.plural in extra))


@lru_cache(maxsize=None)
def is_served(group: str, version: str) -> bool:
    return version in group_versions().get(group, [])


def api_versions(server_address: str) -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group(name: str, versions: list[str]) -> dict:
    vs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": vs, "preferredVersion": vs[0]}


@lru_cache(maxsize=None)
def api_group_list() -> dict:
    from engine.server.reviews import GROUPS as REVIEW_GROUPS

    gvs = group_versions()
    groups = [_group(g, vs) for g, vs in gvs.items() if g]
    groups += [_group(g, [v]) for g, (v, _res) in REVIEW_GROUPS.items() if g not in gvs]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(name: str) -> dict | None:
    vs = group_versions().get(name)
    if not name or not vs:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, vs)}


@lru_cache(maxsize=None)
def resource_list(group: str, version: str) -> dict:
    gv = f"{group}/{version}" if group else version
    resources = []
    for t in served(group, version):
        entry = {"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced, "kind": t.kind,
                 "verbs": list(t.verbs)}
        if t.short_names:
            entry["shortNames"] = list(t.short_names)
        if t.plural in ALL_CATEGORY:
            entry["categories"] = ["all"]
        resources.append(entry)
        for sub in t.subresources:
            g, v, kind, verbs = _SUB_KINDS.get(sub, (None, None, t.kind, ("get", "patch", "update")))
            if sub == "status":
                g, v, kind, verbs = None, None, t.kind, ("get", "patch", "update")
            s = {"name": f"{t.plural}/{sub}", "singularName": "", "namespaced": t.namespaced,
                 "kind": kind or t.kind, "verbs": list(verbs)}
            if g is not None and (g, v) != (group, version):
                s["group"], s["version"] = g, v
            resources.append(s)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


# --- OpenAPI v3 (minimal: the fieldValidation marker per kind) ------------------------------------


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


@lru_cache(maxsize=None)
def openapi_root() -> dict:
    paths = {}
    for g, vs in group_versions().items():
        for v in vs:
            p = _gv_path(g, v)
            paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}"}
    return {"paths": paths}


@lru_cache(maxsize=None)
def openapi_gv(group: str, version: str) -> dict:
    paths = {}
    for t in served(group, version):
        base = "/" + _gv_path(group, version)
        ns = "/namespaces/{namespace}" if t.namespaced else ""
        paths[f"{base}{ns}/{t.plural}/{{name}}"] = {"patch": {
            "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": t.kind},
            "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                           {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                           {"name": "fieldManager", "in": "query", "schema": {"type": "string"}}],
            "responses": {}}}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]}, "paths": paths}


# --- aggregated discovery (apidiscovery.k8s.io v2 / v2beta1) --------------------------------------

AGGREGATED_CT = "application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"


def aggregated_version(accept: str) -> str | None:
    """"v2" or "v2beta1" when the Accept header asks for aggregated discovery (in the client's
    order of preference), else None (legacy documents). kubectl <= 1.29 asks only for v2beta1."""
    for part in accept.split(","):
        p = part.replace(" ", "")
        if "as=APIGroupDiscoveryList" in p and "g=apidiscovery.k8s.io" in p:
            if "v=v2beta1" in p:
                return "v2beta1"
            if "v=v2" in p:
                return "v2"
    return None


def _agg_resource(t: ResourceType, group: str, version: str) -> dict:
    r: dict = {"resource": t.plural, "responseKind": {"group": group, "version": version, "kind": t.kind},
               "scope": "Namespaced" if t.namespaced else "Cluster", "singularResource": t.singular, "verbs": list(t.verbs)}
    if t.short_names:
        r["shortNames"] = list(t.short_names)
    if t.plural in ALL_CATEGORY:
        r["categories"] = ["all"]
    subs = []
    for sub in t.subresources:
        g, v, kind, verbs = _SUB_KINDS.get(sub, (None, None, t.kind, ("get", "patch", "update")))
        if sub == "status":
            g, v, kind, verbs = None, None, t.kind, ("get", "patch", "update")
        subs.append({"subresource": sub, "verbs": list(verbs),
                     "responseKind": {"group": group if g is None else g, "version": version if v is None else v,
                                      "kind": kind or t.kind}})
    if subs:
        r["subresources"] = subs
    return r


@lru_cache(maxsize=None)
def aggregated(core: bool, v: str) -> dict:
    """`/api` (core=True) or `/apis` as an APIGroupDiscoveryList."""
    from engine.server.reviews import GROUPS as REVIEW_GROUPS

    items = []
    gvs = group_versions()
    groups = [""] if core else [g for g in gvs if g]
    for g in groups:
        versions = [{"version": ver, "freshness": "Current", "resources": [_agg_resource(t, g, ver) for t in served(g, ver)]}
                    for ver in gvs[g]]
        items.append({"metadata": {"name": g}, "versions": versions})
    if not core:
        for g, (ver, res) in REVIEW_GROUPS.items():
            if g in gvs:
                continue
            resources = [{"resource": r, "responseKind": {"group": g, "version": ver, "kind": kind},
                          "scope": "Namespaced" if ns else "Cluster", "singularResource": kind.lower(), "verbs": ["create"]}
                         for r, kind, ns in res]
            items.append({"metadata": {"name": g}, "versions": [{"version": ver, "freshness": "Current", "resources": resources}]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{v}", "metadata": {}, "items": items}
