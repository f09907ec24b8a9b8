"""rollout history|undo|pause|resume|restart|status: kubectl's rollout verbs over the log.

kubectl's client-side logic (kubectl-wire.md 8.15; kubectl `pkg/polymorphichelpers`
history.go, rollback.go, objectpauser.go, objectrestarter.go, rollout_status.go), with its
messages. Two kubetape differences:

- `history` is answered by replaying the log (projections/rollout_history.py), so `--at` shows
  the history as of any moment, `--all` adds the revisions revisionHistoryLimit pruned (with
  who caused each revision and why it went), and `-o json|yaml` gives a Deployment's rows (and,
  with `--all`, any kind's) to machines. For a DaemonSet or StatefulSet without `--all`,
  `-o json|yaml` prints what kubectl's GetHistory prints: the object with each revision's
  template applied (sorted keys, as `get -o json`, where kubectl keeps Go's field order).

DaemonSets and StatefulSets keep their history in ControllerRevisions (history.go
DaemonSetHistoryViewer / StatefulSetHistoryViewer, rollback.go DaemonSetRollbacker /
StatefulSetRollbacker): the revisions the object controls and its selector matches; `undo`
PATCHes the chosen revision's `data` as a strategic merge patch (it replaces spec.template).
- `status` cannot wait for wall time: while the rollout is not complete it moves the virtual
  clock (a clock record per step, straight to the next moment an actor asked to be woken), so
  the controllers and kubelets make progress, and prints each new kubectl progress line once.
  It stops with kubectl's `timed out waiting for the condition` after `--timeout`, or after
  progressDeadlineSeconds (default 600 s) of virtual time in which the line did not change
  (kubectl would wait for ever, e.g. on a paused Deployment).
"""

from __future__ import annotations

import json
import sys

from engine.clock import parse_duration, rfc3339
from engine.errors import StatusError
from engine.registry import ResourceType
from log_tools import output
from log_tools.commands.objects import parse_targets
from log_tools.manifests import client_error, load
from projections import rollout_history as rh

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
FIELD_MANAGER = "kubectl-rollout"
# rollback.go annotationsToSkip: kept from the Deployment, never copied from the ReplicaSet.
ANNOTATIONS_TO_SKIP = (
    "kubectl.kubernetes.io/last-applied-configuration",
    rh.REVISION,
    rh.REVISION_HISTORY,
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
)
STATUS_KINDS = ("Deployment", "DaemonSet", "StatefulSet")
HISTORY_KINDS = STATUS_KINDS


def register(subs, common) -> None:
    p = subs.add_parser("rollout", parents=[common], help="manage the rollout of a Deployment",
                        description="Manage the rollout of a resource. Example: ktape rollout history deployment/nginx-deploy")
    p.set_defaults(run=lambda ctx, args: _help(p))
    rsubs = p.add_subparsers(dest="rollout_command", metavar="SUBCOMMAND", parser_class=type(p))

    h = rsubs.add_parser("history", parents=[common], help="view rollout history (replayed from the log)",
                         description="View previous rollout revisions. Example: ktape rollout history deployment/nginx-deploy "
                                     "--revision=2; ktape rollout history deploy/nginx-deploy --all -o json --at 40")
    _targets(h)
    h.add_argument("--revision", type=int, default=0, help="show the pod template of this revision")
    h.add_argument("--all", dest="all_revisions", action="store_true",
                   help="also list revisions pruned by revisionHistoryLimit, with seqs, causes and images")
    h.add_argument("-o", "--output", choices=["json", "yaml"],
                   help="a Deployment's rows (any kind's with --all); a DaemonSet's or StatefulSet's revisions "
                        "applied to it, as kubectl")
    h.set_defaults(run=run_history)

    u = rsubs.add_parser("undo", parents=[common], help="roll back to a previous revision",
                         description="Roll back. Example: ktape rollout undo deployment/nginx-deploy --to-revision=2")
    _targets(u)
    u.add_argument("--to-revision", type=int, default=0, help="revision to roll back to (default: the previous one)")
    u.add_argument("--dry-run", nargs="?", const="client", default="none", choices=["none", "client", "server"])
    u.set_defaults(run=run_undo)

    for verb, text, run in (("pause", "mark a Deployment as paused", run_pause),
                            ("resume", "resume a paused Deployment", run_resume),
                            ("restart", "restart the pods of a Deployment, DaemonSet or StatefulSet", run_restart)):
        s = rsubs.add_parser(verb, parents=[common], help=text,
                             description=f"{text[0].upper()}{text[1:]}. Example: ktape rollout {verb} deployment/nginx-deploy")
        _targets(s)
        s.set_defaults(run=run)

    st = rsubs.add_parser("status", parents=[common], help="wait for a rollout to finish (moves the virtual clock)",
                          description="Show the status of the rollout, advancing the virtual clock until it completes. "
                                      "Example: ktape rollout status deployment/nginx-deploy --timeout 5m")
    _targets(st)
    st.add_argument("-w", "--watch", default="true", choices=["true", "false"], nargs="?", const="true",
                    help="wait for the rollout to finish (default true)")
    st.add_argument("--timeout", default="0s", help="virtual time to wait before giving up (0: progressDeadlineSeconds without change)")
    st.add_argument("--revision", type=int, default=0, help="pin to a specific revision")
    st.set_defaults(run=run_status)


def _targets(p) -> None:
    p.add_argument("resources", nargs="*", help="TYPE NAME... or TYPE/NAME...")
    p.add_argument("-f", "--filename", action="append", default=[], help="file naming the objects")


def _help(p) -> int:
    p.print_help()
    return 0


# --- shared helpers -------------------------------------------------------------------------------


def resolve_targets(ctx, args) -> list[tuple[ResourceType, str]]:
    """(type, name) for each object named by TYPE NAME..., TYPE/NAME... or -f (TYPE alone: all of them)."""
    out: list[tuple[ResourceType, str]] = []
    if args.filename:
        from engine.registry import for_kind

        for _source, obj in load(args.filename):
            out.append((for_kind(obj["apiVersion"], obj["kind"]), obj["metadata"]["name"]))
    if args.resources or not args.filename:
        if not args.resources:
            raise client_error("required resource not specified")
        for rt, names in parse_targets(args.resources):
            if names:
                out += [(rt, n) for n in names]
                continue
            resp = ctx.client().list(rt, ctx.namespace if rt.namespaced else None, at=ctx.at_seq())
            if resp.error:
                raise resp.error
            out += [(rt, o["metadata"]["name"]) for o in resp.obj["items"]]
    return out


def _ns(ctx, rt: ResourceType) -> str:
    return ctx.namespace if rt.namespaced else ""


def _group_kind(rt: ResourceType) -> str:
    """schema.GroupKind's String(): `Deployment.apps`, or just `Pod`."""
    return f"{rt.kind}.{rt.group}" if rt.group else rt.kind


def _get(ctx, rt: ResourceType, name: str, at: int | None = None) -> dict:
    resp = ctx.client().get(rt, name, _ns(ctx, rt), at=at)
    if resp.error:
        raise resp.error
    return resp.obj


def _object_error(rt: ResourceType, name: str, text: str) -> StatusError:
    """kubectl's per-object patch error: `error: deployments.apps "web" is already paused`."""
    return client_error(f'{rt.qualified} "{name}" {text}')


def _print_errors(ctx, errors: list[StatusError]) -> int:
    """kubectl's CheckErr over an aggregate: one error as `error: ...`, several one per line."""
    if not errors:
        return 0
    sys.stdout.flush()
    if len(errors) == 1:
        print(errors[0].kubectl_text(), file=ctx.err)
    else:
        for e in errors:
            print(e.message if e.details.get("client") else e.kubectl_text(), file=ctx.err)
    return 1


# --- history ----------------------------------------------------------------------------------


def pod_template_text(template: dict | None, change_cause: str | None = None) -> str:
    """history.go printTemplate: DescribePodTemplate through a bare PrefixWriter (no tabwriter),
    with the revision's change-cause added to the template's annotations as kubectl adds it."""
    from log_tools.printers.describe import _Writer, describe_pod_template

    t = json.loads(json.dumps(template or {}))
    if change_cause:
        t.setdefault("metadata", {})
        t["metadata"]["annotations"] = {**(t["metadata"].get("annotations") or {}), rh.CHANGE_CAUSE: change_cause}
    w = _Writer()
    describe_pod_template(w, t)
    return "".join(w._parts)


def history_state(ctx, namespace: str, name: str, seq: int, kind: str = "Deployment") -> rh.HistoryState:
    cluster = ctx.cluster(boot=False)
    with cluster.store.begin() as txn:
        return rh.history_at(txn, namespace, name, seq, kind)


def run_history(ctx, args) -> int:
    at = ctx.at_seq()
    if args.revision < 0:
        raise client_error(f"revision must be a positive integer: {args.revision}")
    docs: list[dict] = []
    printed = 0  # objects printed by kubectl's -o branch (YAML separates them with `---`)
    as_rows = False  # some target printed kubetape's rows (a Deployment, or --all)
    for rt, name in resolve_targets(ctx, args):
        if rt.kind not in HISTORY_KINDS:
            raise _unsupported(rt, "history viewer")
        obj = _get(ctx, rt, name, at)  # recorded read: authorization and kubectl's NotFound
        seq = at if at is not None else ctx.cluster(boot=False).head().seq
        rows = rh.revisions(history_state(ctx, _ns(ctx, rt), name, seq, rt.kind), include_pruned=args.all_revisions)
        if rt.kind != "Deployment":
            rows = _selected(obj, rows)
            if args.output and not args.all_revisions:
                for applied in _applied_revisions(obj, rows, args.revision):
                    if args.output == "json":
                        ctx.out.write(output.to_json(applied) + "\n")
                    else:
                        ctx.out.write(("---\n" if printed else "") + output.to_yaml(applied))
                    printed += 1
                continue
        ref = output.ref(rt, name)
        with_revision = f"with revision #{args.revision}" if args.revision > 0 else ""
        if not rows and not args.output:
            ctx.out.write(f"{ref} {with_revision}\nNo rollout history found.\n")
            continue
        if args.revision > 0:
            rows = _pick(rows, args.revision)
            if not rows:
                raise client_error("unable to find the specified revision")
        if args.output:
            as_rows = True
            docs += [r.to_json() for r in rows]
            continue
        if args.revision > 0:
            row = rows[0]
            # Only the Deployment viewer adds the change-cause to the template it prints.
            cause = row.change_cause if rt.kind == "Deployment" else None
            ctx.out.write(f"{ref} {with_revision}\n{pod_template_text(row.template, cause)}\n")
        elif args.all_revisions:
            ctx.out.write(f"{ref} \n{_all_table(rows)}\n")
        else:
            ctx.out.write(f"{ref} \n{_kubectl_table(rows)}\n")
    if as_rows and args.output == "json":
        ctx.out.write(json.dumps(docs, indent=4, ensure_ascii=False) + "\n")
    elif as_rows and args.output == "yaml":
        ctx.out.write(output.to_yaml(docs))
    return 0


def _selected(obj: dict, rows: list[rh.Revision]) -> list[rh.Revision]:
    """controlledHistory: of the revisions the object controls (the projection's rows), those its
    selector lists; pruned rows (`--all`) are kept whatever their labels."""
    from engine.model.selectors import selector_from_label_selector

    selector = selector_from_label_selector((obj.get("spec") or {}).get("selector"))
    return [r for r in rows if not r.exists or selector.matches(r.labels)]


def apply_revision(obj: dict, template: dict) -> dict:
    """applyDaemonSetHistory / applyStatefulSetHistory: the object with the revision's patch
    (`{"spec":{"template":{..., "$patch":"replace"}}}`) applied."""
    from reducers.patch.strategic import strategic_merge_patch

    patch = {"spec": {"template": {**json.loads(json.dumps(template)), "$patch": "replace"}}}
    return strategic_merge_patch(obj, patch, obj.get("kind", ""))


def _applied_revisions(obj: dict, rows: list[rh.Revision], revision: int) -> list[dict]:
    """kubectl's `-o json|yaml` branch: GetHistory's map (one object per revision number, the
    last listed wins), the chosen revision or all of them by number; managedFields omitted."""
    by_number: dict[int, rh.Revision] = {}
    for r in rows:
        by_number[r.revision] = r
    if revision > 0:
        if revision not in by_number:
            raise client_error("unable to find the specified revision")
        numbers = [revision]
    else:
        numbers = sorted(by_number)
    out = []
    for n in numbers:
        applied = apply_revision(obj, by_number[n].template)
        applied["metadata"] = {k: v for k, v in applied["metadata"].items() if k != "managedFields"}
        out.append(applied)
    return out


def _pick(rows: list[rh.Revision], revision: int) -> list[rh.Revision]:
    """The row of one revision: the existing ReplicaSet first, else (with --all) the newest pruned one."""
    found = [r for r in rows if r.revision == revision]
    found.sort(key=lambda r: (not r.exists, -r.created_seq))
    return found[:1]


def _kubectl_table(rows: list[rh.Revision]) -> str:
    from log_tools.printers.table import tabwrite

    lines = ["REVISION\tCHANGE-CAUSE"] + [f"{r.revision}\t{r.change_cause or '<none>'}" for r in rows]
    return tabwrite("\n".join(lines) + "\n", minwidth=0, padding=2)


def _all_table(rows: list[rh.Revision]) -> str:
    from log_tools.printers.table import tabwrite

    source = "CONTROLLERREVISION" if any(r.revision_kind == "ControllerRevision" for r in rows) else "REPLICASET"
    lines = [f"REVISION\tPREVIOUS\t{source}\tIMAGES\tSEQ\tCREATED\tCAUSED-BY\tPRUNED\tCHANGE-CAUSE"]
    for r in rows:
        by = f"{r.caused_by.user}@{r.caused_by.seq}" if r.caused_by else "<unknown>"
        lines.append("\t".join([
            str(r.revision), ",".join(map(str, r.previous_revisions)) or "-", r.replica_set,
            ",".join(r.images) or "<none>", str(r.created_seq), rfc3339(r.created_at), by,
            _pruned_text(r), r.change_cause or "<none>"]))
    return tabwrite("\n".join(lines) + "\n", minwidth=0, padding=2)


def _pruned_text(r: rh.Revision) -> str:
    if r.pruned_seq is None:
        return "-"
    why = r.pruned_because or {}
    if why.get("reason") == "RevisionHistoryLimit":
        return f"{r.pruned_seq} (revisionHistoryLimit={why.get('revisionHistoryLimit')})"
    return f"{r.pruned_seq} (deleted by {why.get('user', '?')})"


def _unsupported(rt: ResourceType, what: str) -> StatusError:
    return client_error(f'no {what} has been implemented for "{_group_kind(rt)}"')


# --- undo ---------------------------------------------------------------------------------------


def owned_replica_sets(ctx, dep: dict) -> list[dict]:
    """deploymentutil.GetAllReplicaSets: the RSs the selector lists and the Deployment controls,
    old ones in list order, then the new one (the oldest whose template matches)."""
    from engine.model.selectors import selector_from_label_selector

    meta = dep["metadata"]
    selector = str(selector_from_label_selector((dep.get("spec") or {}).get("selector")))
    resp = ctx.client().list("replicasets", meta.get("namespace") or ctx.namespace, label_selector=selector)
    if resp.error:
        raise client_error(f"failed to retrieve replica sets from deployment {meta['name']}: {resp.error.message}")
    owned = [rs for rs in resp.obj["items"] if rh.controller_uid(rs) == meta.get("uid")]
    template = (dep.get("spec") or {}).get("template")
    by_age = sorted(owned, key=lambda rs: (rs["metadata"].get("creationTimestamp") or "", rs["metadata"]["name"]))
    new = next((rs for rs in by_age if rh.templates_equal(rs["spec"].get("template"), template)), None)
    return [rs for rs in owned if rs is not new] + ([new] if new is not None else [])


def revision_to_roll_back_to(dep: dict, rss: list[dict], to_revision: int) -> dict:
    """rollback.go deploymentRevision: revision N, or the second newest when N is 0."""
    latest = previous = None
    latest_rev = previous_rev = -1
    for rs in rss:
        v = rh.parse_revision(rs["metadata"].get("annotations"))
        if v is None:
            continue
        if to_revision == 0:
            if latest_rev < v:
                previous_rev, previous = latest_rev, latest
                latest_rev, latest = v, rs
            elif previous_rev < v:
                previous_rev, previous = v, rs
        elif to_revision == v:
            return rs
    if to_revision > 0:
        raise client_error(f"unable to find specified revision {to_revision} in history")
    if previous is None:
        raise client_error(f'no rollout history found for deployment "{dep["metadata"]["name"]}"')
    return previous


def rollback_patch(dep: dict, rs: dict) -> list[dict]:
    """rollback.go getDeploymentPatch: replace the template (the RS's, hash label removed, as Go
    marshals it: `creationTimestamp: null`) and the annotations (the Deployment's skipped ones
    kept, every other one taken from the ReplicaSet)."""
    template = rh.without_hash(rs["spec"].get("template"))
    template.setdefault("metadata", {})
    if "creationTimestamp" not in template["metadata"]:
        template["metadata"] = {"creationTimestamp": None, **template["metadata"]}
    dep_ann = dep["metadata"].get("annotations") or {}
    annotations = {k: dep_ann[k] for k in ANNOTATIONS_TO_SKIP if k in dep_ann}
    for k, v in (rs["metadata"].get("annotations") or {}).items():
        if k not in ANNOTATIONS_TO_SKIP:
            annotations[k] = v
    return [{"op": "replace", "path": "/spec/template", "value": template},
            {"op": "replace", "path": "/metadata/annotations", "value": dict(sorted(annotations.items()))}]


def run_undo(ctx, args) -> int:
    errors: list[StatusError] = []
    # cmdutil.PrintFlagsWithDryRunStrategy: the NamePrinter's operation gets the dry-run suffix.
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(args.dry_run, "")
    for rt, name in resolve_targets(ctx, args):
        try:
            text = _undo_one(ctx, args, rt, name)
        except StatusError as e:
            errors.append(e)
            continue
        ctx.out.write(f"{output.ref(rt, name)} {text}{suffix}\n")
    return _print_errors(ctx, errors)


def _undo_one(ctx, args, rt: ResourceType, name: str) -> str:
    if rt.kind in ("DaemonSet", "StatefulSet"):
        return _undo_controller_revision(ctx, args, rt, name)
    if rt.kind != "Deployment":
        raise _unsupported(rt, "rollbacker")
    to_revision = args.to_revision
    if to_revision < 0:
        raise client_error(f"unable to find specified revision {to_revision} in history")
    dep = _get(ctx, rt, name)
    rs = revision_to_roll_back_to(dep, owned_replica_sets(ctx, dep), to_revision)
    if args.dry_run == "client":
        return pod_template_text(rs["spec"].get("template"))
    if (dep.get("spec") or {}).get("paused"):
        raise client_error("you cannot rollback a paused deployment; resume it first with "
                           "'kubectl rollout resume' and try again")
    if rh.templates_equal(rs["spec"].get("template"), (dep.get("spec") or {}).get("template")):
        return f"skipped rollback (current template already matches revision {to_revision})"
    resp = ctx.client().request("patch", rt, _ns(ctx, rt), name, body=rollback_patch(dep, rs),
                                params={"patchType": "json"}, dry_run=args.dry_run == "server")
    if resp.error:
        raise client_error(f"failed restoring revision {to_revision}: {resp.error.message}")
    return "rolled back"


# --- DaemonSet / StatefulSet: ControllerRevisions ---------------------------------------------------


def controlled_history(ctx, obj: dict) -> list[dict]:
    """history.go controlledHistory: the namespace's ControllerRevisions the object's selector
    lists (a recorded LIST with that labelSelector) and that the object controls, in list order."""
    from engine.model.selectors import selector_from_label_selector

    meta = obj["metadata"]
    selector = str(selector_from_label_selector((obj.get("spec") or {}).get("selector")))
    resp = ctx.client().list("controllerrevisions", meta.get("namespace") or ctx.namespace, label_selector=selector)
    if resp.error:
        raise client_error(f"unable to find history controlled by {obj.get('kind')} {meta['name']}: "
                           f"{resp.error.message}")
    return [h for h in resp.obj["items"] if rh.controller_uid(h) == meta.get("uid")]


def find_history(to_revision: int, histories: list[dict]) -> dict | None:
    """rollback.go findHistory: revision N (the first listed), or with 0 the second highest."""
    if to_revision == 0:
        if len(histories) <= 1:
            return None
        return sorted(histories, key=lambda h: rh.controller_revision_number(h) or 0)[-2]
    return next((h for h in histories if rh.controller_revision_number(h) == to_revision), None)


def current_patch(obj: dict) -> dict:
    """getDaemonSetPatch / getStatefulSetPatch: the object's template as its controller records
    it in a revision (the controllers' own function, so the comparison is theirs)."""
    if obj.get("kind") == "StatefulSet":
        from engine.controllers.statefulset.revisions import revision_data

        return revision_data(obj)
    from engine.controllers.daemonset.history import get_patch

    return get_patch(obj)


def _undo_controller_revision(ctx, args, rt: ResourceType, name: str) -> str:
    """DaemonSetRollbacker / StatefulSetRollbacker.Rollback."""
    to_revision = args.to_revision
    if to_revision < 0:
        raise client_error(f"unable to find specified revision {to_revision} in history")
    obj = _get(ctx, rt, name)
    histories = controlled_history(ctx, obj)
    if to_revision == 0 and len(histories) <= 1:
        raise client_error("no last revision to roll back to")
    chosen = find_history(to_revision, histories)
    if chosen is None:
        raise client_error(f"unable to find specified revision {to_revision} in history")
    if args.dry_run == "client":
        applied = apply_revision(obj, rh.revision_template(chosen))
        return "will roll back to " + pod_template_text((applied.get("spec") or {}).get("template"))
    if current_patch(obj) == chosen.get("data"):
        return f"skipped rollback (current template already matches revision {to_revision})"
    resp = ctx.client().request("patch", rt, _ns(ctx, rt), name, body=chosen.get("data"),
                                params={"patchType": "strategic"}, dry_run=args.dry_run == "server")
    if resp.error:
        raise client_error(f"failed restoring revision {to_revision}: {resp.error.message}")
    return "rolled back"


# --- pause / resume / restart -------------------------------------------------------------------


def _patch_each(ctx, args, verb: str, decide) -> int:
    """set.CalculatePatches + PatchFn: `decide(rt, obj)` returns the patch or raises the per-object error."""
    errors: list[StatusError] = []
    for rt, name in resolve_targets(ctx, args):
        try:
            obj = _get(ctx, rt, name)
            patch = decide(rt, obj)
        except StatusError as e:
            errors.append(e)
            continue
        resp = ctx.client().request("patch", rt, _ns(ctx, rt), name, body=patch,
                                    params={"patchType": "strategic", "fieldManager": FIELD_MANAGER})
        if resp.error:
            errors.append(resp.error)
            continue
        ctx.out.write(f"{output.ref(rt, name)} {verb}\n")
    return _print_errors(ctx, errors)


def run_pause(ctx, args) -> int:
    def decide(rt, obj):
        if rt.kind != "Deployment":
            raise _object_error(rt, obj["metadata"]["name"], "pausing is not supported")
        if (obj.get("spec") or {}).get("paused"):
            raise _object_error(rt, obj["metadata"]["name"], "is already paused")
        return {"spec": {"paused": True}}

    return _patch_each(ctx, args, "paused", decide)


def run_resume(ctx, args) -> int:
    def decide(rt, obj):
        if rt.kind != "Deployment":
            raise _object_error(rt, obj["metadata"]["name"], "resuming is not supported")
        if not (obj.get("spec") or {}).get("paused"):
            raise _object_error(rt, obj["metadata"]["name"], "is not paused")
        return {"spec": {"paused": None}}

    return _patch_each(ctx, args, "resumed", decide)


def run_restart(ctx, args) -> int:
    now = rfc3339(ctx.cluster().head().at)

    def decide(rt, obj):
        name = obj["metadata"]["name"]
        if rt.kind not in STATUS_KINDS:
            raise _object_error(rt, name, "restarting is not supported")
        if rt.kind == "Deployment" and (obj.get("spec") or {}).get("paused"):
            raise _object_error(rt, name, "can't restart paused deployment (run rollout resume first)")
        current = (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("annotations") or {}
        if current.get(RESTARTED_AT) == now:
            raise client_error(f"failed to create patch for {name}: if restart has already been triggered within "
                               "the past second, please wait before attempting to trigger another")
        return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}

    return _patch_each(ctx, args, "restarted", decide)


# --- status -------------------------------------------------------------------------------------


def status_of(obj: dict, revision: int = 0) -> tuple[str, bool]:
    """rollout_status.go StatusViewer.Status: (message, done); a StatusError for kubectl's errors."""
    kind = obj.get("kind")
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    st = obj.get("status") or {}
    name = meta.get("name", "")
    gen = meta.get("generation") or 0
    observed = st.get("observedGeneration") or 0
    if kind == "Deployment":
        if revision > 0:
            running = rh.parse_revision(meta.get("annotations"))
            if running is None:
                raise client_error(f'cannot get the revision of deployment "{name}"')
            if running != revision:
                raise client_error(f"desired revision ({revision}) is different from the running revision ({running})")
        if gen <= observed:
            for c in st.get("conditions") or ():
                if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
                    raise client_error(f'deployment "{name}" exceeded its progress deadline')
            replicas = spec.get("replicas")
            updated = st.get("updatedReplicas") or 0
            if replicas is not None and updated < replicas:
                return f'Waiting for deployment "{name}" rollout to finish: {updated} out of {replicas} new replicas have been updated...', False
            if (st.get("replicas") or 0) > updated:
                return f'Waiting for deployment "{name}" rollout to finish: {(st.get("replicas") or 0) - updated} old replicas are pending termination...', False
            available = st.get("availableReplicas") or 0
            if available < updated:
                return f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} updated replicas are available...', False
            return f'deployment "{name}" successfully rolled out', True
        return "Waiting for deployment spec update to be observed...", False
    if kind == "DaemonSet":
        if ((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate") != "RollingUpdate":
            raise client_error("rollout status is only available for RollingUpdate strategy type")
        if gen <= observed:
            desired = st.get("desiredNumberScheduled") or 0
            updated = st.get("updatedNumberScheduled") or 0
            if updated < desired:
                return f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new pods have been updated...', False
            available = st.get("numberAvailable") or 0
            if available < desired:
                return f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated pods are available...', False
            return f'daemon set "{name}" successfully rolled out', True
        return "Waiting for daemon set spec update to be observed...", False
    if kind == "StatefulSet":
        strategy = spec.get("updateStrategy") or {}
        if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
            raise client_error("rollout status is only available for RollingUpdate strategy type")
        if observed == 0 or gen > observed:
            return "Waiting for statefulset spec update to be observed...", False
        replicas = spec.get("replicas")
        ready = st.get("readyReplicas") or 0
        if replicas is not None and ready < replicas:
            return f"Waiting for {replicas - ready} pods to be ready...", False
        rolling = strategy.get("rollingUpdate")
        updated = st.get("updatedReplicas") or 0
        if isinstance(rolling, dict):
            partition = rolling.get("partition")
            if replicas is not None and partition is not None and updated < replicas - partition:
                return f"Waiting for partitioned roll out to finish: {updated} out of {replicas - partition} new pods have been updated...", False
            return f"partitioned roll out complete: {updated} new pods have been updated...", True
        if st.get("updateRevision") != st.get("currentRevision"):
            return f"waiting for statefulset rolling update to complete {updated} pods at revision {st.get('updateRevision', '')}...", False
        return f"statefulset rolling update complete {st.get('currentReplicas') or 0} pods at revision {st.get('currentRevision', '')}...", True
    raise client_error(f"no status viewer has been implemented for {kind}")


def run_status(ctx, args) -> int:
    targets = resolve_targets(ctx, args)
    if len(targets) != 1:
        raise client_error(f"rollout status is only supported on individual resources and resource collections, "
                           f"but {len(targets)} resources were found")
    rt, name = targets[0]
    if rt.kind not in STATUS_KINDS:
        raise client_error(f"no status viewer has been implemented for {_group_kind(rt)}")
    try:
        timeout = parse_duration(args.timeout)
    except ValueError as exc:
        raise client_error(f"invalid argument \"{args.timeout}\" for \"--timeout\" flag: {exc}") from None
    at = ctx.at_seq()
    obj = _get(ctx, rt, name, at)
    cluster = ctx.cluster()
    if at is not None or args.watch == "false" or cluster.read_only:
        ctx.out.write(status_of(obj, args.revision)[0] + "\n")
        return 0
    return wait_for_rollout(cluster, rt, ctx.namespace if rt.namespaced else "", name, ctx.out,
                            timeout_us=timeout, revision=args.revision)


def wait_for_rollout(cluster, rt: ResourceType, namespace: str, name: str, out, *, timeout_us: int = 0,
                     revision: int = 0) -> int:
    """Evaluate kubectl's status, moving the virtual clock while the rollout is not complete.

    Each step goes to the next time an actor asked to be woken (so every change is seen), or to
    the moment this wait gives up when nothing is due. Prints each new status line once.
    """
    start = cluster.head().at
    last_line = None
    quiet_since = start
    meter = False
    try:
        while True:
            with cluster.view() as view:
                obj = view.get(rt.group, rt.plural, namespace, name)
                now = view.now
            if obj is None:
                raise client_error("object has been deleted")
            line, done = status_of(obj, revision)
            if line != last_line:
                if meter:
                    output.progress_done()
                    meter = False
                out.write(line + "\n")
                out.flush()
                last_line, quiet_since = line, now
            if done:
                return 0
            deadline = (obj.get("spec") or {}).get("progressDeadlineSeconds") or 0
            if not 0 < deadline < 2**31 - 1:  # unset, or MaxInt32 ("no deadline"): wait 600 s without change
                deadline = 600
            give_up = quiet_since + deadline * 1_000_000 + 1_000_000
            if timeout_us:
                give_up = min(give_up, start + timeout_us)
            if now >= give_up:
                raise client_error("timed out waiting for the condition")
            with cluster.store.begin() as txn:
                due = cluster.runtime.next_due(txn)
            target = give_up if due is None else min(max(due, now + 1), give_up)
            cluster.advance(target - now)
            output.progress(f"waiting for {output.ref(rt, name)} (virtual seconds)", (target - start) // 1_000_000,
                            (give_up - start) // 1_000_000)
            meter = True
    finally:
        if meter:
            output.progress_done()


__all__ = ["register", "status_of", "wait_for_rollout", "rollback_patch", "pod_template_text"]
