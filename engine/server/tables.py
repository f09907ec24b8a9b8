"""Server-side `Table` output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).

Columns and cells come from `log_tools/printers/table.py`, the same code the CLI prints with, so
`kubectl get` against the server and `ktape get` show the same columns and cells. Rows carry a
`PartialObjectMetadata` (`includeObject=Metadata`, the default), the whole object (`Object`) or
nothing (`None`), as kube-apiserver does; kubectl reads labels and namespaces from it.
"""

from __future__ import annotations

from engine.registry import ResourceType
from log_tools.printers.table import column_definitions, row_cells


def wants_table(accept: str) -> str | None:
    """The Table apiVersion the client accepts ("meta.k8s.io/v1" or v1beta1), or None."""
    for part in accept.split(","):
        p = part.replace(" ", "")
        if "as=Table" in p and "g=meta.k8s.io" in p:
            return "meta.k8s.io/v1beta1" if "v=v1beta1" in p else "meta.k8s.io/v1"
    return None


def _row_object(obj: dict, include: str, table_version: str) -> dict | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    meta = obj.get("metadata") or {}
    return {"kind": "PartialObjectMetadata", "apiVersion": table_version, "metadata": meta}


def to_table(rt: ResourceType, objs: list[dict], now_unix: float, *, resource_version: str = "",
             include: str = "Metadata", table_version: str = "meta.k8s.io/v1", cont: str = "",
             headers: bool = True) -> dict:
    rows = []
    for obj in objs:
        row: dict = {"cells": row_cells(rt, obj, now_unix)}
        o = _row_object(obj, include or "Metadata", table_version)
        if o is not None:
            row["object"] = o
        rows.append(row)
    meta: dict = {"resourceVersion": resource_version}
    if cont:
        meta["continue"] = cont
    table = {"kind": "Table", "apiVersion": table_version, "metadata": meta,
             "columnDefinitions": column_definitions(rt) if headers else [], "rows": rows}
    return table
