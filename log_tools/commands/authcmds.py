"""RBAC and ServiceAccount commands, as kubectl: `create serviceaccount|role|clusterrole|
rolebinding|clusterrolebinding` (create_role.go, create_clusterrole.go, create_rolebinding.go,
create_clusterrolebinding.go, create_serviceaccount.go), `auth can-i`, `auth whoami`, and
`auth who-can` (the kubectl-who-can plugin's answer, with the role that allows each subject).

`can-i`, `who-can` and `can-i --list` answer from the RBAC projection (engine/auth/rbac.py), as of
the head or `--at SEQ|TIME`, without recording anything (a SelfSubjectAccessReview is not
persisted upstream either).
"""

from __future__ import annotations

import sys

from engine.errors import StatusError
from engine.pipeline import authz as authz_mod
from engine.pipeline.identity import UserInfo
from engine.registry import BY_GROUP_RESOURCE, resolve
from log_tools.manifests import client_error

GROUP = "rbac.authorization.k8s.io"
RESOURCE_VERBS = ("*", "get", "delete", "list", "create", "update", "patch", "watch", "proxy", "deletecollection", "use",
                  "bind", "escalate", "impersonate")
NON_RESOURCE_VERBS = ("*", "get", "post", "put", "delete", "patch", "head", "options")


# --- create generators ----------------------------------------------------------------------------

def _split(values) -> list[str]:
    out = []
    for v in values or ():
        out += [x for x in v.split(",") if x]
    return out


def _parse_resource(text: str) -> tuple[str, str, str]:
    """kubectl's `resource.group/subresource`."""
    res, _, sub = text.partition("/")
    name, _, group = res.partition(".")
    return name, group, sub


def _resolve_resource(name: str, group: str):
    if name == "*":
        return None
    word = f"{name}.{group}" if group else name
    try:
        rt = resolve(word)
    except StatusError:
        if group:
            raise client_error(f'the server doesn\'t have a resource type "{name}" in group "{group}"') from None
        raise client_error(f'the server doesn\'t have a resource type "{name}"') from None
    return rt


def policy_rules(verbs: list[str], resources: list[str], names: list[str], urls: list[str]) -> list[dict]:
    """generateResourcePolicyRules: one rule per API group (sorted), resources in order, then URLs."""
    by_group: dict[str, list[str]] = {}
    for text in resources:
        name, group, sub = _parse_resource(text)
        if not name:
            raise client_error("resource must be specified if apiGroup/subresource specified")
        rt = _resolve_resource(name, group)
        res, grp = (rt.plural, rt.group) if rt is not None else (name, group)
        if sub:
            res += "/" + sub
        if res not in by_group.setdefault(grp, []):
            by_group[grp].append(res)
    rules = []
    for g in sorted(by_group):
        r = {"apiGroups": [g], "resources": by_group[g], "verbs": list(verbs)}
        if names:
            r["resourceNames"] = list(names)
        rules.append(r)
    if urls:
        rules.append({"nonResourceURLs": list(urls), "verbs": list(verbs)})
    return rules


def _role_object(kind: str, name: str, args, cluster: bool) -> dict:
    verbs, resources = _split(args.verb), _split(args.resource)
    names, urls = _split(args.resource_name), _split(getattr(args, "non_resource_url", None))
    agg = getattr(args, "aggregation_rule", None)
    meta = {"creationTimestamp": None, "name": name}
    if cluster and agg:
        if verbs or resources or urls:
            raise client_error("aggregation rule must be specified without nonResourceURLs, resources, verbs or resourceNames")
        labels = {}
        for pair in agg.split(","):
            k, eq, v = pair.partition("=")
            if not eq:
                raise client_error(f"invalid aggregation rule: {agg}")
            labels[k] = v
        return {"apiVersion": f"{GROUP}/v1", "kind": kind, "metadata": meta,
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": labels}]}, "rules": None}
    if not verbs:
        raise client_error("at least one verb must be specified")
    if not resources and not urls:
        raise client_error("at least one resource must be specified" if not cluster
                           else "one of resource or nonResourceURL must be specified")
    for v in verbs:
        if resources and v not in RESOURCE_VERBS:
            print(f"Warning: '{v}' is not a standard resource verb", file=sys.stderr)
    for u in urls:
        if not u.startswith("/"):
            raise client_error("nonResourceURL should start with /")
    if urls:
        for v in verbs:
            if v not in NON_RESOURCE_VERBS:
                raise client_error(f"invalid verb: '{v}' for nonResourceURL")
    return {"apiVersion": f"{GROUP}/v1", "kind": kind, "metadata": meta, "rules": policy_rules(verbs, resources, names, urls)}


def _subjects(args, ns: str) -> list[dict]:
    subjects = [{"apiGroup": GROUP, "kind": "User", "name": u} for u in args.user or ()]
    subjects += [{"apiGroup": GROUP, "kind": "Group", "name": g} for g in args.group or ()]
    for sa in args.serviceaccount or ():
        parts = sa.split(":")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise client_error(f"serviceaccount must be <namespace>:<name>")
        subjects.append({"kind": "ServiceAccount", "namespace": parts[0], "name": parts[1]})
    return subjects


def _binding_object(kind: str, name: str, args) -> dict:
    role, crole = getattr(args, "role", None), args.clusterrole
    if kind == "ClusterRoleBinding":
        if not crole:
            raise client_error('required flag(s) "clusterrole" not set')
        ref = ("ClusterRole", crole)
    else:
        if bool(role) == bool(crole):
            raise client_error("exactly one of clusterrole or role must be specified")
        ref = ("ClusterRole", crole) if crole else ("Role", role)
    obj = {"apiVersion": f"{GROUP}/v1", "kind": kind, "metadata": {"creationTimestamp": None, "name": name},
           "roleRef": {"apiGroup": GROUP, "kind": ref[0], "name": ref[1]}}
    subjects = _subjects(args, "")
    if subjects:
        obj["subjects"] = subjects
    return obj


def _one_name(words: list[str]) -> str:
    if len(words) != 1:
        raise client_error("exactly one NAME is required, got %d" % len(words))
    return words[0]


def _generator(build):
    def run(ctx, args, words: list[str]) -> int:
        from log_tools.commands.batchcmds import _dry, _params, _show
        from engine.registry import for_kind

        obj = build(_one_name(words), args)
        server_dry, suffix = _dry(args)
        if getattr(args, "dry_run", "none") == "client":
            _show(ctx, args, obj, suffix)
            return 0
        rt = for_kind(obj["apiVersion"], obj["kind"])
        resp = ctx.client().request("create", rt, ctx.namespace if rt.namespaced else "", body=obj, dry_run=server_dry,
                                    params=_params(args))
        for w in resp.warnings:
            print(f"Warning: {w}", file=sys.stderr)
        if resp.error:
            if obj["kind"] == "ServiceAccount":
                raise client_error(f"failed to create serviceaccount: {resp.error.message}")
            raise resp.error
        _show(ctx, args, resp.obj, suffix)
        return 0
    return run


def _sa(name, args):
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"creationTimestamp": None, "name": name}}


def run_create_token(ctx, args, words: list[str]) -> int:
    """kubectl create token SA: a TokenRequest (recorded without the token), signed here with the
    data folder's ServiceAccount key; only the token is printed."""
    import os

    from engine.auth import tokens
    from engine.clock import parse_duration

    name = _one_name(words)
    spec: dict = {"audiences": list(args.audience or [])}
    if args.duration:
        try:
            us = parse_duration(args.duration)
        except ValueError as e:
            raise client_error(f'invalid argument "{args.duration}" for "--duration" flag: {e}') from None
        if us < 0:
            raise client_error("--duration must be greater than or equal to 0")
        if us % 1_000_000:
            raise client_error("--duration must be a whole number of seconds")
        if us:
            spec["expirationSeconds"] = us // 1_000_000
    bound = None
    if args.bound_object_kind:
        if args.bound_object_kind not in ("Pod", "Secret"):
            raise client_error(f"supported --bound-object-kind values are Pod, Secret")
        if not args.bound_object_name:
            raise client_error("--bound-object-name is required if --bound-object-kind is provided")
        spec["boundObjectRef"] = {"kind": args.bound_object_kind, "apiVersion": "v1", "name": args.bound_object_name}
    elif args.bound_object_name:
        raise client_error("--bound-object-name can only be set if --bound-object-kind is provided")
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
    client = ctx.client()
    resp = client.request("create", "serviceaccounts", ctx.namespace, name, body=body, subresource="token")
    if resp.error:
        raise resp.error
    decided = resp.entry.outcome.decided
    with ctx.cluster().view() as view:
        sa = view.get("", "serviceaccounts", ctx.namespace, name)
        if bound is None and args.bound_object_kind:
            res = "pods" if args.bound_object_kind == "Pod" else "secrets"
            obj = view.get("", res, ctx.namespace, args.bound_object_name)
            if obj is None:
                raise StatusError(404, "NotFound", f'{res} "{args.bound_object_name}" not found')
            bound = {"kind": args.bound_object_kind, "name": args.bound_object_name, "uid": obj["metadata"]["uid"]}
    key = tokens.load_or_create_key(os.path.join(ctx.data, "pki"))
    exp = resp.obj["spec"]["expirationSeconds"]
    token = tokens.mint_bound(key, sa, now_s=decided["issuedAt"], expiration_s=exp,
                              audiences=spec["audiences"] or list(tokens.API_AUDIENCES), jti=decided["jti"], bound=bound)
    ctx.out.write(token + "\n")
    return 0


GENERATORS = {
    "token": run_create_token,
    "serviceaccount": _generator(_sa), "sa": _generator(_sa),
    "role": _generator(lambda n, a: _role_object("Role", n, a, False)),
    "clusterrole": _generator(lambda n, a: _role_object("ClusterRole", n, a, True)),
    "rolebinding": _generator(lambda n, a: _binding_object("RoleBinding", n, a)),
    "clusterrolebinding": _generator(lambda n, a: _binding_object("ClusterRoleBinding", n, a)),
}


# --- auth can-i / who-can / whoami -----------------------------------------------------------------

def _effective(ctx) -> UserInfo:
    """Who the question is about: the sender, or whom `--as` impersonates (which the sender must be
    allowed to do)."""
    sender = ctx.identity()
    as_user = getattr(ctx.args, "as_user", None)
    if not as_user:
        return sender
    groups = tuple(getattr(ctx.args, "as_group", None) or ()) + ("system:authenticated",)
    cluster = ctx.cluster()
    with cluster.view() as view:
        chain = authz_mod.build_chain(view)
        for a in authz_mod.impersonation_checks(sender.name, sender.groups, as_user, groups):
            ok, reason = authz_mod.allowed(chain, a)
            if not ok:
                raise authz_mod.forbidden_error(a, reason)
    return UserInfo(as_user, groups)


def _index(ctx, view):
    from engine.auth.rbac import index_at, index_for

    seq = ctx.at_seq()
    return index_at(view.txn, seq) if seq is not None else index_for(view)


def _attributes(ctx, args, who: UserInfo) -> authz_mod.Attributes:
    verb, target = args.verb, args.target
    if target.startswith("/"):
        return authz_mod.Attributes(who.name, who.groups, verb, path=target)
    name = args.name or ""
    res_text = target
    if "/" in target:  # TYPE/NAME
        res_text, name = target.split("/", 1)
    res, group, _sub = _parse_resource(res_text)
    if res == "*":
        rtype_group, plural = group, "*"
    else:
        try:
            rt = resolve(f"{res}.{group}" if group else res)
            rtype_group, plural = rt.group, rt.plural
        except StatusError:
            print(f"Warning: the server doesn't have a resource type '{res_text}'", file=sys.stderr)
            rtype_group, plural = group, res
    ns = "" if args.all_namespaces else ctx.namespace
    rt = BY_GROUP_RESOURCE.get((rtype_group, plural))
    if rt is not None and not rt.namespaced:
        ns = ""
    return authz_mod.Attributes(who.name, who.groups, verb, rtype_group, plural, args.subresource or "", ns, name)


def _chain_at(ctx, view):
    """The chain as of --at: the recorded modes with RBAC answered from the projection at that seq."""
    chain = authz_mod.build_chain(view)
    idx = _index(ctx, view)
    return [authz_mod.RBAC(view, idx) if isinstance(a, authz_mod.RBAC) else a for a in chain]


def run_can_i(ctx, args) -> int:
    if args.list:
        return _can_i_list(ctx, args)
    if not args.verb or not args.target:
        raise client_error("you must specify two or three arguments: verb, resource, and optional resourceName")
    who = _effective(ctx)
    with ctx.cluster().view() as view:
        a = _attributes(ctx, args, who)
        ok, _reason = authz_mod.allowed(_chain_at(ctx, view), a)
    if not args.quiet:
        ctx.out.write("yes\n" if ok else "no\n")
    return 0 if ok else 1


def _combine(resources, groups) -> str:
    out = []
    for r in resources:
        for g in groups:
            out.append(f"{r}.{g}" if g else r)
    return ", ".join(out)


def _can_i_list(ctx, args) -> int:
    from engine.auth.rules import _breakdown, compact, rule_string

    who = _effective(ctx)
    ns = ctx.namespace
    with ctx.cluster().view() as view:
        rules = _index(ctx, view).rules_for(who.name, who.groups, ns)
    atoms = [a for r in rules for a in _breakdown(r)]
    seen, uniq = set(), []
    for a in atoms:
        if a.raw not in seen:
            seen.add(a.raw)
            uniq.append(a)
    rows = sorted(compact(uniq), key=rule_string)
    table = [("Resources", "Non-Resource URLs", "Resource Names", "Verbs")]
    for r in rows:
        v, g, res, n, u = r.raw
        table.append((_combine(res, g), "[" + " ".join(u) + "]", "[" + " ".join(n) + "]", "[" + " ".join(v) + "]"))
    _tab(ctx, table)
    return 0


def _tab(ctx, rows) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        ctx.out.write("   ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() + "\n")


def run_who_can(ctx, args) -> int:
    who = UserInfo("", ())
    with ctx.cluster().view() as view:
        a = _attributes(ctx, args, who)
        found = _index(ctx, view).who_can(a)
    rbs = [(g, s) for g, s in found if g.binding_kind == "RoleBinding"]
    crbs = [(g, s) for g, s in found if g.binding_kind == "ClusterRoleBinding"]
    if not rbs:
        ctx.out.write(f"No subjects found with permissions to {a.verb} {a.resource} assigned through RoleBindings\n")
    else:
        rows = [("ROLEBINDING", "NAMESPACE", "ROLE", "SUBJECT", "TYPE", "SA-NAMESPACE")]
        for g, s in rbs:
            rows.append((g.binding, g.namespace, f"{g.role_kind}/{g.role}", s.get("name", ""), s.get("kind", ""),
                         (s.get("namespace") or g.namespace) if s.get("kind") == "ServiceAccount" else ""))
        _tab(ctx, rows)
    ctx.out.write("\n")
    if not crbs:
        ctx.out.write(f"No subjects found with permissions to {a.verb} {a.resource} assigned through ClusterRoleBindings\n")
    else:
        rows = [("CLUSTERROLEBINDING", "ROLE", "SUBJECT", "TYPE", "SA-NAMESPACE")]
        for g, s in crbs:
            rows.append((g.binding, f"{g.role_kind}/{g.role}", s.get("name", ""), s.get("kind", ""),
                         s.get("namespace", "") if s.get("kind") == "ServiceAccount" else ""))
        _tab(ctx, rows)
    return 0


def run_whoami(ctx, args) -> int:
    who = _effective(ctx)
    review = {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
              "metadata": {"creationTimestamp": None},
              "status": {"userInfo": {"username": who.name, "groups": list(who.groups)}}}
    extra = getattr(ctx, "identity_extra", None)
    if extra:
        review["status"]["userInfo"]["extra"] = extra
    if args.output in ("json", "yaml"):
        from log_tools import output

        output.emit([review], args.output, single=True, out=ctx.out)
        return 0
    rows = [("ATTRIBUTE", "VALUE"), ("Username", who.name), ("Groups", "[" + " ".join(who.groups) + "]")]
    _tab(ctx, rows)
    return 0


def run_set_serviceaccount(ctx, args) -> int:
    """kubectl set serviceaccount (set_serviceaccount.go): the pod template's serviceAccountName,
    by a strategic merge patch with field manager kubectl-set."""
    from log_tools import output
    from log_tools.commands.setcmd import POD_SPEC_PATH, _objects

    words = list(args.words)
    if len(words) < 2:
        raise client_error("serviceaccount is required")
    sa = words.pop()
    client = ctx.client()
    for rt, name in _objects(ctx, args, words):
        path = POD_SPEC_PATH.get(rt.kind)
        if path is None:
            raise client_error(f"error: {output.ref(rt, name)} does not have a pod template")
        patch: dict = {"serviceAccountName": sa}
        for key in reversed(path):
            patch = {key: patch}
        resp = client.request("patch", rt, ctx.namespace, name, body=patch,
                              params={"patchType": "strategic", "fieldManager": "kubectl-set"})
        if resp.error:
            raise resp.error
        ctx.out.write(f"{output.ref(rt, name)} serviceaccount updated\n")
    return 0


def _ca(ctx):
    import datetime as dt
    import os

    from engine.pki import CA
    from log_tools.kubeconfig import ensure_admin

    cluster = ctx.cluster()
    ensure_admin(ctx.data, cluster.head().at)
    now = dt.datetime.fromtimestamp(cluster.head().at / 1_000_000, dt.timezone.utc)
    return CA.load_or_create(os.path.join(ctx.data, "pki")), now


def _issue(ctx, name: str, groups, days: int):
    if days <= 0:
        raise client_error(f"--days must be positive, got {days}")
    if not name:
        raise client_error("NAME (the certificate's CN) is required")
    ca, now = _ca(ctx)
    return ca, ca.issue(name, tuple(groups), days=days, not_before=now)


def run_certs_issue(ctx, args) -> int:
    import os

    _ca_obj, issued = _issue(ctx, args.name, args.group, args.days)
    crt, key = os.path.join(args.out_dir, f"{args.name}.crt"), os.path.join(args.out_dir, f"{args.name}.key")
    with open(crt, "wb") as f:
        f.write(issued.cert_pem)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(issued.key_pem)
    subject = f"CN={args.name}" + "".join(f", O={g}" for g in args.group)
    ctx.out.write(f"certificate {crt} and key {key} issued for {subject}, valid {args.days} days\n")
    return 0


def run_kubeconfig(ctx, args) -> int:
    from log_tools.kubeconfig import render

    ns = getattr(args, "namespace", None)
    if args.serviceaccount_token:
        import io

        ca, _now = _ca(ctx)
        buf, saved = io.StringIO(), ctx.out
        ctx.out = buf
        try:
            run_create_token(ctx, argparse_ns(duration=None, audience=None, bound_object_kind=None, bound_object_name=None),
                             [args.name])
        finally:
            ctx.out = saved
        user = f"system:serviceaccount:{ctx.namespace}:{args.name}"
        ctx.out.write(render(user, ca.cert_pem, token=buf.getvalue().strip(), namespace=ns))
        return 0
    ca, issued = _issue(ctx, args.name, args.group, args.days)
    ctx.out.write(render(args.name, ca.cert_pem, cert_pem=issued.cert_pem, key_pem=issued.key_pem, namespace=ns))
    return 0


def argparse_ns(**kw):
    import argparse

    return argparse.Namespace(**kw)


def register(subs, common) -> None:
    import argparse

    from log_tools.commands import batchcmds

    setp = subs.choices.get("set")
    if setp is not None:
        for action in setp._actions:
            if isinstance(action, argparse._SubParsersAction):
                for alias in ("serviceaccount", "sa"):
                    sp = action.add_parser(alias, parents=[common], help="update the ServiceAccount of a pod template",
                                           description="Example: ktape -n app-team1 set serviceaccount deployments nginx-deployment cicd-token")
                    sp.add_argument("words", nargs="+", help="TYPE NAME SERVICE_ACCOUNT or TYPE/NAME SERVICE_ACCOUNT")
                    sp.add_argument("-f", "--filename", action="append")
                    sp.add_argument("--all", action="store_true")
                    sp.add_argument("-l", "--selector")
                    sp.set_defaults(run=run_set_serviceaccount)

    p = subs.choices.get("create")
    if p is not None:
        p.add_argument("--verb", action="append", help="`create role|clusterrole`: verbs that apply to the resources")
        p.add_argument("--resource", action="append", help="`create role|clusterrole`: resource.group/subresource")
        p.add_argument("--resource-name", action="append", help="`create role|clusterrole`: resource names in the rule")
        p.add_argument("--non-resource-url", action="append", help="`create clusterrole`: a partial URL the user may access")
        p.add_argument("--aggregation-rule", help="`create clusterrole`: an aggregation label selector, key=value,...")
        p.add_argument("--clusterrole", help="`create rolebinding|clusterrolebinding`: the ClusterRole to reference")
        p.add_argument("--role", help="`create rolebinding`: the Role to reference")
        p.add_argument("--user", action="append", help="`create *binding`: usernames to bind (repeatable)")
        p.add_argument("--group", action="append", help="`create *binding`: groups to bind (repeatable)")
        p.add_argument("--serviceaccount", action="append", help="`create *binding`: namespace:name to bind (repeatable)")
        p.add_argument("--duration", help="`create token`: requested lifetime (e.g. 1h); the server may return another")
        p.add_argument("--audience", action="append", help="`create token`: intended audience (repeatable)")
        p.add_argument("--bound-object-kind", help="`create token`: Pod or Secret the token is bound to")
        p.add_argument("--bound-object-name", help="`create token`: name of the object to bind the token to")
        batchcmds.generators.update(GENERATORS)

    c = subs.add_parser("certs", parents=[common], help="client certificates from the cluster CA",
                        description="Example: ktape certs issue devuser --group dev --days 365 (writes devuser.crt, devuser.key)")
    csubs = c.add_subparsers(dest="certs_command", metavar="SUBCOMMAND")
    ci = csubs.add_parser("issue", parents=[common], help="sign a client certificate: CN=NAME, O=each group")
    ci.add_argument("name")
    ci.add_argument("--group", action="append", default=[], help="an O= group (repeatable)")
    ci.add_argument("--days", type=int, default=365)
    ci.add_argument("--out-dir", default=".", help="where NAME.crt and NAME.key are written")
    ci.set_defaults(run=run_certs_issue)
    c.set_defaults(run=lambda ctx, args: (c.print_help(), 2)[1])
    k = subs.add_parser("kubeconfig", parents=[common], help="print a kubeconfig for an identity",
                        description="Example: ktape kubeconfig devuser --group dev -n dev > devuser.kubeconfig")
    k.add_argument("name")
    k.add_argument("--group", action="append", default=[], help="an O= group of the certificate (repeatable)")
    k.add_argument("--days", type=int, default=365)
    k.add_argument("--serviceaccount-token", action="store_true",
                   help="NAME is a ServiceAccount (in -n): embed a fresh bound token instead of a certificate")
    k.set_defaults(run=run_kubeconfig)

    auth = subs.add_parser("auth", parents=[common], help="inspect authorization (can-i, who-can, whoami)",
                           description="Example: ktape auth can-i create deployments -n app-team1 --as system:serviceaccount:app-team1:cicd-token")
    asubs = auth.add_subparsers(dest="auth_command", metavar="SUBCOMMAND")
    c = asubs.add_parser("can-i", parents=[common], help="check whether an action is allowed",
                         description="Example: ktape auth can-i delete pods -n default --as jane --at 40")
    c.add_argument("verb", nargs="?")
    c.add_argument("target", nargs="?", help="TYPE[.GROUP], TYPE/NAME or a non-resource URL")
    c.add_argument("name", nargs="?")
    c.add_argument("--subresource", default="")
    c.add_argument("--list", action="store_true", help="list every allowed action in the namespace")
    c.add_argument("-q", "--quiet", action="store_true")
    c.set_defaults(run=run_can_i)
    w = asubs.add_parser("who-can", parents=[common], help="subjects allowed an action, with binding and role",
                         description="Example: ktape auth who-can delete pods -n default")
    w.add_argument("verb")
    w.add_argument("target")
    w.add_argument("name", nargs="?")
    w.add_argument("--subresource", default="")
    w.set_defaults(run=run_who_can)
    m = asubs.add_parser("whoami", parents=[common], help="who the credentials authenticate as",
                         description="Example: ktape auth whoami -o json")
    m.add_argument("-o", "--output", choices=["json", "yaml"])
    m.set_defaults(run=run_whoami)
    auth.set_defaults(run=lambda ctx, args: (auth.print_help(), 2)[1])
