"""Printing objects the way kubectl does: -o json|yaml|name|wide, tables, and action messages."""

from __future__ import annotations

import json
import sys

from engine.registry import BY_KIND, ResourceType



_DUMPER = None


def _dumper():
    """YAML the way kubectl prints it (go-yaml): double quotes where quoting is needed, literal
    blocks for multi-line strings, lists not indented under their key. Built on first use:
    importing PyYAML costs more than a whole `get -o json`."""
    global _DUMPER
    if _DUMPER is None:
        import yaml

        class KubectlDumper(yaml.SafeDumper):
            def choose_scalar_style(self):
                style = super().choose_scalar_style()
                return '"' if style == "'" else style

        def _str(dumper, value: str):
            if "\n" in value:
                return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
            return dumper.represent_scalar("tag:yaml.org,2002:str", value)

        KubectlDumper.add_representer(str, _str)
        _DUMPER = KubectlDumper
    return _DUMPER


def ref(rt: ResourceType, name: str) -> str:
    """`deployment.apps/web` / `pod/x`: kubectl's name for an object in messages and -o name."""
    return f"{rt.singular}.{rt.group}/{name}" if rt.group else f"{rt.singular}/{name}"


def ref_of(obj: dict) -> str:
    rt = BY_KIND.get(obj.get("kind", ""))
    name = (obj.get("metadata") or {}).get("name", "")
    return ref(rt, name) if rt else f"{obj.get('kind', '').lower()}/{name}"


def quoted_ref(rt: ResourceType, name: str) -> str:
    """`deployment.apps "web"`: the form kubectl uses for `deleted`."""
    return f'{rt.singular}.{rt.group} "{name}"' if rt.group else f'{rt.singular} "{name}"'


def to_json(obj) -> str:
    return json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)


def to_yaml(obj) -> str:
    import yaml

    return yaml.dump(obj, Dumper=_dumper(), default_flow_style=False, sort_keys=True, allow_unicode=True, width=1 << 30)


def as_list(items: list[dict]) -> dict:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def emit(objs: list[dict], fmt: str, single: bool, out=None) -> None:
    """Print objects as -o json / yaml / name; a single named object prints bare, others as List."""
    out = out or sys.stdout
    if fmt == "name":
        for o in objs:
            out.write(ref_of(o) + "\n")
        return
    doc = objs[0] if single and len(objs) == 1 else as_list(objs)
    if fmt == "json":
        out.write(to_json(doc) + "\n")
    elif fmt == "yaml":
        out.write(to_yaml(doc))
    else:
        raise ValueError(fmt)


def progress(label: str, done: int, total: int | None = None) -> None:
    """A one-line progress meter on a terminal (stderr); silent when not a terminal."""
    if not sys.stderr.isatty():
        return
    if total:
        sys.stderr.write(f"\r{label}: {done:,}/{total:,} ({100 * done // max(total, 1)}%)")
    else:
        sys.stderr.write(f"\r{label}: {done:,}")
    sys.stderr.flush()


def progress_done() -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\n")
