"""`create quota`: kubectl's generator (`create_quota.go`).

    ktape create quota NAME --hard=pods=2,requests.cpu=1 [--scopes=BestEffort,NotTerminating]

The object is kubectl's field for field: `--hard` parsed by `populateResourceListV1` (each
`<resource>=<quantity>`, quantities in canonical form), `--scopes` split on commas, the namespace
set only when given. `register` adds the two flags to `create` and the `quota`/`resourcequota`
words to batchcmds' generators (registered after objects and batchcmds).
"""

from __future__ import annotations

from engine.model.quantity import canonical_quantity
from log_tools.manifests import client_error


def parse_hard(spec: str | None) -> dict | None:
    """`populateResourceListV1`."""
    if not spec:
        return None
    out: dict = {}
    for statement in spec.split(","):
        parts = statement.split("=")
        if len(parts) != 2:
            raise client_error(f"Invalid argument syntax {statement}, expected <resource>=<value>")
        try:
            out[parts[0]] = canonical_quantity(parts[1])
        except ValueError as e:
            raise client_error(str(e)) from None
    return out


def quota_manifest(name: str, hard: str | None, scopes: str | None, namespace: str | None = None) -> dict:
    meta: dict = {"creationTimestamp": None, "name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    spec: dict = {}
    resources = parse_hard(hard)
    if resources is not None:
        spec["hard"] = resources
    if scopes:
        spec["scopes"] = scopes.split(",")
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta, "spec": spec, "status": {}}


def run_create_quota(ctx, args, words: list[str]) -> int:
    from log_tools.commands.batchcmds import _explicit_namespace, _submit

    if len(words) != 1:
        raise client_error("exactly one NAME is required, got %d" % len(words))
    obj = quota_manifest(words[0], getattr(args, "hard", None), getattr(args, "scopes", None), _explicit_namespace(ctx))
    return _submit(ctx, args, obj, "quota")


def register(subs, common) -> None:
    from log_tools.commands import batchcmds

    p = subs.choices.get("create")
    if p is None:
        return
    p.add_argument("--hard", help="`create quota`: a comma-delimited set of resource=quantity pairs")
    p.add_argument("--scopes", help="`create quota`: a comma-delimited set of quota scopes")
    p.description = (p.description or "") + " Quota: ktape create quota q --hard=pods=2,requests.cpu=1 --scopes=NotTerminating"
    for word in ("quota", "resourcequota"):
        batchcmds.generators[word] = run_create_quota
