"""`create job` and `create cronjob`: kubectl's generators (`create_job.go`, `create_cronjob.go`).

    ktape create job NAME --image=IMG [-- COMMAND [args...]]
    ktape create job NAME --from=cronjob/CRONJOB
    ktape create cronjob NAME --image=IMG --schedule='*/1 * * * *' [--restart=OnFailure] [-- COMMAND [args...]]

The objects are kubectl's field for field (`job_manifest`, `cronjob_manifest`, `job_from_cronjob`);
the requests carry `fieldManager=kubectl-create` and kubectl's `fieldValidation`; errors are
kubectl's (`either --image or --from must be specified`, `failed to create job: ...`).

`register(subs, common)` adds `--schedule`, `--restart` and `--from` to the existing `create`
command (log_tools/commands/objects.py), lets it take a container command after `--`, and routes
`create job|cronjob|cj` to `generators`; any other `create` goes on to objects.py's `run_create`.
`generators` maps the kind word to `fn(ctx, args, words) -> exit code` (words: NAME and, after
`--`, the command), for a caller that prefers to dispatch from `_create_generator` itself.
"""

from __future__ import annotations

import sys

from engine.registry import for_kind, resolve
from log_tools import output
from log_tools.manifests import client_error

FIELD_MANAGER = "kubectl-create"
INSTANTIATE = "cronjob.kubernetes.io/instantiate"


# --- the objects ----------------------------------------------------------------------------------


def _container(name: str, image: str, command: list[str] | None) -> dict:
    c: dict = {"name": name, "image": image, "resources": {}}
    if command:
        c = {"command": list(command), **c}
    return c


def job_manifest(name: str, image: str, command: list[str] | None = None, namespace: str | None = None) -> dict:
    """`kubectl create job NAME --image=IMG [-- COMMAND]` (restartPolicy Never)."""
    meta: dict = {"creationTimestamp": None, "name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {"template": {"metadata": {"creationTimestamp": None},
                              "spec": {"containers": [_container(name, image, command)], "restartPolicy": "Never"}}},
        "status": {},
    }


def cronjob_manifest(name: str, image: str, schedule: str, restart: str = "OnFailure", command: list[str] | None = None,
                     namespace: str | None = None) -> dict:
    """`kubectl create cronjob NAME --image=IMG --schedule=S [--restart=R] [-- COMMAND]`."""
    meta: dict = {"creationTimestamp": None, "name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta,
        "spec": {
            "jobTemplate": {
                "metadata": {"creationTimestamp": None, "name": name},
                "spec": {"template": {"metadata": {"creationTimestamp": None},
                                      "spec": {"containers": [_container(name, image, command)],
                                               "restartPolicy": restart or "OnFailure"}}},
            },
            "schedule": schedule,
        },
        "status": {},
    }


def job_from_cronjob(name: str, cronjob: dict, namespace: str | None = None) -> dict:
    """`kubectl create job NAME --from=cronjob/X`: the CronJob's job template, annotated
    `cronjob.kubernetes.io/instantiate: manual`, owned (without blockOwnerDeletion) by the CronJob."""
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    tmeta = template.get("metadata") or {}
    annotations = {INSTANTIATE: "manual", **(tmeta.get("annotations") or {})}
    cmeta = cronjob["metadata"]
    meta: dict = {"annotations": annotations, "creationTimestamp": None, "name": name}
    if tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    if namespace:
        meta["namespace"] = namespace
    meta["ownerReferences"] = [{"apiVersion": "batch/v1", "controller": True, "kind": "CronJob",
                                "name": cmeta["name"], "uid": cmeta.get("uid", "")}]
    import json

    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
            "spec": json.loads(json.dumps(template.get("spec") or {})), "status": {}}


# --- the commands ---------------------------------------------------------------------------------


def _dry(args) -> tuple[bool, str]:
    mode = getattr(args, "dry_run", "none") or "none"
    return mode == "server", {"client": " (dry run)", "server": " (server dry run)"}.get(mode, "")


def _params(args) -> dict:
    from log_tools.commands.objects import field_validation

    return {"fieldManager": FIELD_MANAGER, **field_validation(args)}


def _show(ctx, args, obj: dict, suffix: str) -> None:
    fmt = getattr(args, "output", None)
    if fmt in ("json", "yaml", "name"):
        output.emit([obj], fmt, single=True, out=ctx.out)
    else:
        rt = for_kind(obj["apiVersion"], obj["kind"])
        ctx.out.write(f"{output.ref(rt, obj['metadata'].get('name', ''))} created{suffix}\n")


def _name_and_command(words: list[str], what: str) -> tuple[str, list[str]]:
    if not words:
        raise client_error(f"NAME is required for {what}")
    return words[0], list(words[1:])


def _explicit_namespace(ctx) -> str | None:
    """kubectl sets metadata.namespace only when the namespace was given (EnforceNamespace)."""
    return ctx.namespace if getattr(ctx.args, "namespace", None) is not None else None


def _submit(ctx, args, obj: dict, what: str) -> int:
    server_dry, suffix = _dry(args)
    if getattr(args, "dry_run", "none") == "client":
        _show(ctx, args, obj, suffix)
        return 0
    rt = for_kind(obj["apiVersion"], obj["kind"])
    resp = ctx.client().request("create", rt, ctx.namespace, body=obj, dry_run=server_dry, params=_params(args))
    for w in resp.warnings:
        print(f"Warning: {w}", file=sys.stderr)
    if resp.error:
        raise client_error(f"failed to create {what}: {resp.error.message}")
    _show(ctx, args, resp.obj, suffix)
    return 0


def run_create_job(ctx, args, words: list[str]) -> int:
    name, command = _name_and_command(words, "job")
    image, source = getattr(args, "image", None), getattr(args, "from_", None)
    image = image[-1] if isinstance(image, list) and image else image
    if bool(image) == bool(source):
        raise client_error("either --image or --from must be specified")
    if command and source:
        raise client_error("cannot specify --from and command")
    if image:
        return _submit(ctx, args, job_manifest(name, image, command or None, _explicit_namespace(ctx)), "job")
    kind_word, slash, from_name = source.partition("/")
    rt = resolve(kind_word)
    if not slash or not from_name:
        raise client_error("from must be an existing cronjob")
    resp = ctx.client().get(rt, from_name, ctx.namespace)
    if resp.error:
        raise resp.error
    if rt.kind != "CronJob":
        raise client_error(f"unknown object type *v1.{rt.kind}")
    return _submit(ctx, args, job_from_cronjob(name, resp.obj, _explicit_namespace(ctx)), "job")


def run_create_cronjob(ctx, args, words: list[str]) -> int:
    name, command = _name_and_command(words, "cronjob")
    image = getattr(args, "image", None)
    image = image[-1] if isinstance(image, list) and image else image
    missing = [f'"{f}"' for f, v in (("image", image), ("schedule", getattr(args, "schedule", None))) if not v]
    if missing:
        raise client_error(f"required flag(s) {', '.join(missing)} not set")
    obj = cronjob_manifest(name, image, args.schedule, getattr(args, "restart", None) or "OnFailure", command or None,
                           _explicit_namespace(ctx))
    return _submit(ctx, args, obj, "cronjob")


generators = {"job": run_create_job, "cronjob": run_create_cronjob, "cj": run_create_cronjob}


# --- wiring into `create` ---------------------------------------------------------------------------


class _DashTail:
    """`create` parsing that keeps everything after `--` as the container command."""

    def parse_known_args(self, args=None, namespace=None):
        args = list(args or [])
        tail: list[str] = []
        if "--" in args:
            i = args.index("--")
            args, tail = args[:i], args[i + 1:]
        ns, extras = super().parse_known_args(args, namespace)  # type: ignore[misc]
        ns.command_tail = tail
        return ns, extras


def _dispatch(fallback):
    def run(ctx, args) -> int:
        what = list(getattr(args, "what", None) or [])
        if what and what[0] in generators:
            return generators[what[0]](ctx, args, what[1:] + list(getattr(args, "command_tail", None) or []))
        if getattr(args, "command_tail", None):
            raise client_error(f"unknown command \"{' '.join(args.command_tail)}\" for \"ktape create\"")
        return fallback(ctx, args)

    return run


def register(subs, common) -> None:
    """Extend the `create` command registered by objects.py (which must be registered first)."""
    p = subs.choices.get("create")
    if p is None:
        return
    p.__class__ = type("CreateParser", (_DashTail, type(p)), {})
    p.add_argument("--schedule", help="`create cronjob`: a schedule in the Cron format the job should be run with")
    p.add_argument("--restart", help="`create cronjob`: job's restart policy. supported values: OnFailure, Never")
    p.add_argument("--from", dest="from_", help="`create job`: the resource to create a Job from (only cronjob/NAME)")
    p.description = (p.description or "") + (
        " Jobs: ktape create job hello --image=busybox -- echo hi; ktape create job manual --from=cronjob/hello;"
        " ktape create cronjob hello --image=busybox --schedule='*/1 * * * *' -- date")
    p.set_defaults(run=_dispatch(p.get_default("run")))
