"""Reading manifests as kubectl does: files, directories and `-`, YAML or JSON, many documents,
`kind: List` flattened; errors in kubectl's wording."""

from __future__ import annotations

import json
import os
import sys

from engine.errors import StatusError

_EXTENSIONS = (".yaml", ".yml", ".json")


def client_error(message: str) -> StatusError:
    """An error kubectl raises itself (printed as `error: ...`, never as 'from server')."""
    return StatusError(400, "BadRequest", message, {"client": True})


def _files(path: str) -> list[str]:
    if path == "-":
        return ["-"]
    if os.path.isdir(path):
        out = []
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if os.path.isfile(full) and name.endswith(_EXTENSIONS):
                out.append(full)
        return out
    if not os.path.exists(path):
        raise client_error(f'the path "{path}" does not exist')
    return [path]


def parse_documents(text: str, source: str) -> list[dict]:
    """All objects in a YAML/JSON text; a parse error names the file and line."""
    import yaml  # loaded on use: it costs more than a whole `get`

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        docs = list(yaml.load_all(text, Loader=loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise client_error(f"error parsing {source}: error converting YAML to JSON: yaml: {where}{problem}") from None
    out: list[dict] = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise client_error(f"error parsing {source}: error converting YAML to JSON: the document is not an object")
        if doc.get("kind") == "List" or (str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list)):
            out.extend(i for i in doc.get("items") or [] if isinstance(i, dict))
        else:
            out.append(doc)
    # Round-trip through JSON: YAML timestamps and the like become the strings Kubernetes sees.
    return json.loads(json.dumps(out, default=str))


def _check_kind(obj: dict, source: str) -> None:
    from engine.registry import for_kind

    try:
        for_kind(obj["apiVersion"], obj["kind"])
    except StatusError:
        meta = obj.get("metadata") or {}
        raise client_error(
            f'resource mapping not found for name: "{meta.get("name", "")}" namespace: "{meta.get("namespace", "")}" '
            f'from "{source}": no matches for kind "{obj["kind"]}" in version "{obj["apiVersion"]}"\n'
            "ensure CRDs are installed first") from None


def load(paths: list[str]) -> list[tuple[str, dict]]:
    """(source, object) for every document under the given -f paths, checked for kind/apiVersion."""
    result = []
    for p in paths:
        for f in _files(p):
            text = sys.stdin.read() if f == "-" else open(f, encoding="utf-8").read()
            source = "STDIN" if f == "-" else f
            for obj in parse_documents(text, source):
                for field in ("apiVersion", "kind"):
                    if not obj.get(field):
                        raise client_error(
                            f'error validating "{source}": error validating data: {field} not set; if you choose to '
                            "ignore these errors, turn validation off with --validate=false")
                _check_kind(obj, source)
                result.append((source, obj))
    if not result:
        raise client_error("no objects passed to apply" if paths else "must specify one of -f and -k")
    return result
