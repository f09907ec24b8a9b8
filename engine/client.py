"""A typed client over the engine: the same requests `kubectl` would send, as Python calls.

Tests and the CLI both go through it, so "what the CLI does" and "what the API does" cannot
drift apart. Resources may be named as kubectl accepts them (`deploy`, `deployments.apps`).
"""

from __future__ import annotations

from typing import Any

from engine.api import Cluster
from engine.errors import StatusError
from engine.pipeline.handler import Response
from engine.pipeline.identity import ADMIN_GROUPS, ADMIN_USER, UserInfo
from engine.records import Request
from engine.registry import ResourceType, for_kind, resolve

ADMIN = UserInfo(ADMIN_USER, ADMIN_GROUPS)


def rtype(resource: str | ResourceType) -> ResourceType:
    return resource if isinstance(resource, ResourceType) else resolve(resource)


class Client:
    def __init__(self, cluster: Cluster, user: UserInfo = ADMIN, *, as_user: str | None = None,
                 as_groups: tuple[str, ...] = (), command: str = ""):
        self.cluster = cluster
        self.sender = user
        self.as_user = as_user
        self.as_groups = as_groups
        self.command = command

    def _identity(self) -> tuple[str, tuple[str, ...], str]:
        if self.as_user:
            groups = tuple(self.as_groups) + (("system:authenticated",) if "system:authenticated" not in self.as_groups else ())
            return self.as_user, groups, self.sender.name
        return self.sender.name, self.sender.groups, ""

    def request(self, verb: str, resource: str | ResourceType, namespace: str = "", name: str = "", *,
                body: Any = None, subresource: str = "", params: dict | None = None, dry_run: bool = False) -> Response:
        return self.cluster.submit(self.make(verb, resource, namespace, name, body=body, subresource=subresource,
                                             params=params, dry_run=dry_run))

    def requests(self, reqs: list[Request]) -> list[Response]:
        """Several requests in one transaction (one durable commit), then the actors settle."""
        return self.cluster.submit_batch(reqs)

    def make(self, verb: str, resource: str | ResourceType, namespace: str = "", name: str = "", *,
             body: Any = None, subresource: str = "", params: dict | None = None, dry_run: bool = False) -> Request:
        """The Request `request` would send, as this client's user."""
        rt = rtype(resource)
        user, groups, impersonator = self._identity()
        params = dict(params or {})
        if self.command and verb not in ("get", "list", "watch"):
            params.setdefault("command", self.command)
        req = Request(verb=verb, group=rt.group, version=rt.version, resource=rt.plural,
                      namespace=namespace if rt.namespaced else "", name=name, subresource=subresource,
                      body=body, user=user, groups=groups, impersonator=impersonator, dry_run=dry_run,
                      params={k: v for k, v in params.items() if v is not None})
        return req

    # --- kubectl-shaped helpers ----------------------------------------------------------------

    def create(self, obj: dict, namespace: str | None = None, dry_run: bool = False) -> Response:
        rt = for_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
        ns = namespace or (obj.get("metadata") or {}).get("namespace") or "default"
        return self.request("create", rt, ns, body=obj, dry_run=dry_run)

    def get(self, resource, name: str, namespace: str = "default", at: int | None = None, subresource: str = "") -> Response:
        return self.request("get", resource, namespace, name, subresource=subresource, params={"at": at})

    def list(self, resource, namespace: str | None = "default", *, label_selector: str | None = None,
             field_selector: str | None = None, at: int | None = None) -> Response:
        return self.request("list", resource, namespace or "", params={
            "labelSelector": label_selector, "fieldSelector": field_selector, "at": at})

    def update(self, obj: dict, namespace: str | None = None, subresource: str = "", dry_run: bool = False) -> Response:
        rt = for_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
        ns = namespace or (obj.get("metadata") or {}).get("namespace") or "default"
        return self.request("update", rt, ns, obj["metadata"]["name"], body=obj, subresource=subresource, dry_run=dry_run)

    def patch(self, resource, name: str, patch: Any, namespace: str = "default", patch_type: str = "strategic",
              subresource: str = "", dry_run: bool = False) -> Response:
        return self.request("patch", resource, namespace, name, body=patch, subresource=subresource,
                            params={"patchType": patch_type}, dry_run=dry_run)

    def delete(self, resource, name: str, namespace: str = "default", propagation: str | None = None,
               dry_run: bool = False, grace_period: int | None = None) -> Response:
        params: dict = {"propagationPolicy": propagation}
        if grace_period is not None:
            params["gracePeriodSeconds"] = grace_period
        return self.request("delete", resource, namespace, name, params=params, dry_run=dry_run)

    def scale(self, resource, name: str, replicas: int, namespace: str = "default", dry_run: bool = False) -> Response:
        return self.patch(resource, name, {"spec": {"replicas": replicas}}, namespace, "merge", subresource="scale", dry_run=dry_run)


def must(resp: Response) -> Any:
    """The response's object, or its error raised."""
    if resp.error is not None:
        raise resp.error
    return resp.obj


__all__ = ["ADMIN", "Client", "StatusError", "must", "rtype"]
