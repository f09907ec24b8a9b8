"""The RBAC authorizer over an indexed projection of Roles, ClusterRoles and their bindings.

Upstream: `plugin/pkg/auth/authorizer/rbac/rbac.go` (Authorize, RulesFor) and
`pkg/registry/rbac/validation/rule.go` (VisitRulesFor, appliesTo, describeSubject). Rules come
from every ClusterRoleBinding whose subjects match, then, only for a namespaced request, from the
RoleBindings of that namespace (a RoleBinding to a ClusterRole grants only inside its namespace).
A binding to a missing role grants nothing (and is allowed to exist).

The projection (`idx_rbac` table) is written in the append transaction by `project()` and
rebuilt by verify: a content-addressed version row (SHA-256 chained over every RBAC object
change) and one row per binding subject. The compiled `RbacIndex` (subject -> grants, rules as
frozensets) is built once per version and cached in the process, so a decision is a dict lookup
plus a few set tests; `index_at(txn, seq)` builds the index as of any seq for `can-i --at`.
"""

from __future__ import annotations

import hashlib
from typing import Iterable

import attrs

from engine.auth.rules import Rule, rule_allows
from engine.codec import pack
from engine.log.eventlog import SEP
from reducers.keys import collection_prefix

RBAC_GROUP = "rbac.authorization.k8s.io"
KINDS = ("roles", "clusterroles", "rolebindings", "clusterrolebindings")
PREFIXES = tuple(collection_prefix(RBAC_GROUP, r, None) for r in KINDS)
BINDING_PREFIXES = PREFIXES[2:]
VERSION_KEY = b"\x00version"
SA_PREFIX = "system:serviceaccount:"


@attrs.frozen
class Grant:
    binding_kind: str  # RoleBinding | ClusterRoleBinding
    binding: str
    namespace: str  # the binding's namespace ("" for a ClusterRoleBinding)
    role_kind: str  # Role | ClusterRole
    role: str
    subject: tuple  # (kind, name, namespace)

    def describe(self) -> str:
        """upstream's `RoleBinding "b/ns" of ClusterRole "r" to User "u"`."""
        kind, name, ns = self.subject
        if kind == "ServiceAccount":
            subj = f'{kind} "{name}/{ns or self.namespace}"'
        else:
            subj = f'{kind} "{name}"'
        b = f"{self.binding}/{self.namespace}" if self.binding_kind == "RoleBinding" else self.binding
        return f'{self.binding_kind} "{b}" of {self.role_kind} "{self.role}" to {subj}'


def _subject_keys(subject: dict, binding_ns: str) -> tuple[str, str] | None:
    """The (kind, name) a subject matches on: users by name, groups by name, ServiceAccounts as
    their username (namespace defaults to the binding's; a cluster binding needs it explicit)."""
    if not isinstance(subject, dict):
        return None
    kind, name = subject.get("kind"), subject.get("name") or ""
    if kind == "User":
        return ("User", name)
    if kind == "Group":
        return ("Group", name)
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_ns
        if not ns:
            return None
        return ("User", f"{SA_PREFIX}{ns}:{name}")
    return None


class RbacIndex:
    def __init__(self, roles: Iterable[dict], clusterroles: Iterable[dict], rolebindings: Iterable[dict],
                 clusterrolebindings: Iterable[dict]):
        self.roles = {((r.get("metadata") or {}).get("namespace", ""), r["metadata"]["name"]): _compile(r) for r in roles}
        self.clusterroles = {r["metadata"]["name"]: _compile(r) for r in clusterroles}
        self.cluster: dict[tuple, list] = {}
        self.by_ns: dict[tuple, list] = {}
        self.bindings: list[tuple[Grant, tuple]] = []  # (grant without subject, subjects) for who-can
        order = 0
        for b in sorted(clusterrolebindings, key=lambda o: o["metadata"]["name"]):
            order = self._add(b, "", order, self.cluster)
        for b in sorted(rolebindings, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])):
            order = self._add(b, b["metadata"].get("namespace", ""), order, self.by_ns)
        self._memo: dict = {}
        # compiled per subject, eagerly: (kind, name) for cluster bindings, (ns, kind, name) per namespace
        self._cc = {k: _Compiled(v) for k, v in self.cluster.items()}
        self._nc = {(k[0],) + k[1]: _Compiled(v) for k, v in self.by_ns.items()}

    def _add(self, b: dict, ns: str, order: int, table: dict) -> int:
        ref = b.get("roleRef") or {}
        kind = "RoleBinding" if ns else "ClusterRoleBinding"
        rules = self.role_rules(ref.get("kind", ""), ref.get("name", ""), ns)
        seen: set = set()
        for i, s in enumerate(b.get("subjects") or ()):
            key = _subject_keys(s, ns)
            if key is None or key in seen:
                continue
            seen.add(key)
            g = Grant(kind, b["metadata"]["name"], ns, ref.get("kind", ""), ref.get("name", ""),
                      (s.get("kind"), s.get("name", ""), s.get("namespace", "")))
            tkey = (ns, key) if ns else key
            table.setdefault(tkey, []).append((order, i, g, rules))
        self.bindings.append((b, rules))
        return order + 1

    def role_rules(self, kind: str, name: str, ns: str) -> tuple[Rule, ...]:
        if kind == "ClusterRole":
            return self.clusterroles.get(name, ())
        if kind == "Role" and ns:
            return self.roles.get((ns, name), ())
        return ()

    # --- decisions -----------------------------------------------------------------------------

    def grants(self, user: str, groups: tuple, namespace: str) -> tuple:
        """(rule, grant) pairs in upstream's visiting order, memoized per (user, groups, namespace)."""
        mkey = (user, groups, namespace)
        got = self._memo.get(mkey)
        if got is not None:
            return got
        keys = [("User", user)] + [("Group", g) for g in groups]
        flat: list = []
        for table, prefix in ((self.cluster, None), (self.by_ns, namespace) if namespace else (None, None)):
            if table is None:
                continue
            found = []
            for k in keys:
                found += table.get(k if prefix is None else (prefix, k), ())
            found.sort(key=lambda t: (t[0], t[1]))
            last = None
            for order, _i, g, rules in found:
                if order == last:
                    continue  # a binding applies once, through its first matching subject
                last = order
                for r in rules:
                    flat.append((r, g))
        out = tuple(flat)
        if len(self._memo) > 200_000:
            self._memo.clear()
        self._memo[mkey] = out
        return out

    def authorize(self, a) -> tuple[bool, str]:
        """upstream's decision: the first allowing rule in visiting order (cluster bindings, then
        the request namespace's bindings; within a binding its first matching subject)."""
        is_res = bool(a.resource)
        combined = (a.resource + "/" + a.subresource if a.subresource else a.resource) if is_res else ""
        cc = self._cc
        best = None
        c = cc.get(("User", a.user))
        if c is not None:
            best = c.first(a, combined, is_res, best) or best
        for g in a.groups:
            c = cc.get(("Group", g))
            if c is not None:
                best = c.first(a, combined, is_res, best) or best
        if best is None and a.namespace:
            nc, ns = self._nc, a.namespace
            c = nc.get((ns, "User", a.user))
            if c is not None:
                best = c.first(a, combined, is_res, best) or best
            for g in a.groups:
                c = nc.get((ns, "Group", g))
                if c is not None:
                    best = c.first(a, combined, is_res, best) or best
        if best is None:
            return False, ""
        return True, "RBAC: allowed by " + best[3].describe()

    def rules_for(self, user: str, groups: tuple, namespace: str) -> list[Rule]:
        return [r for r, _g in self.grants(user, tuple(groups), namespace)]

    def who_can(self, a) -> list[tuple[Grant, dict]]:
        """Every (binding grant, subject) whose role allows `a` (user-independent), binding order."""
        out = []
        is_res = bool(a.resource)
        for b, rules in self.bindings:
            ns = b["metadata"].get("namespace", "")
            if ns and ns != a.namespace:
                continue
            if not any(rule_allows(r, a.verb, a.group, a.resource, a.subresource, a.name, a.path, is_res) for r in rules):
                continue
            ref = b.get("roleRef") or {}
            for s in b.get("subjects") or ():
                if _subject_keys(s, ns) is None:
                    continue
                out.append((Grant("RoleBinding" if ns else "ClusterRoleBinding", b["metadata"]["name"], ns,
                                  ref.get("kind", ""), ref.get("name", ""),
                                  (s.get("kind"), s.get("name", ""), s.get("namespace", "") or ns)), s))
        return out


_MISSING = object()


class _Compiled:
    """One subject's grants in one table, indexed: rules naming exact (group, resource) pairs by
    that pair, the rest (wildcards, `*/sub`) in a short list, URL rules apart; identical rules
    kept once (the first in visiting order decides anyway)."""

    __slots__ = ("exact", "wild", "urls")

    def __init__(self, entries: list):
        self.exact: dict = {}
        self.wild: list = []
        self.urls: list = []
        seen: set = set()
        for order, si, g, rules in sorted(entries, key=lambda t: (t[0], t[1])):
            for r in rules:
                if r in seen:
                    continue
                seen.add(r)
                e = (order, si, r, g)
                if r.urls:
                    self.urls.append(e)
                if not r.resources:
                    continue
                if "*" in r.groups or any(x == "*" or x.startswith("*/") for x in r.resources):
                    self.wild.append(e)
                else:
                    for grp in r.groups:
                        for res in r.resources:
                            self.exact.setdefault((grp, res), []).append(e)

    def first(self, a, combined: str, is_res: bool, best):
        """The first allowing entry that comes before `best` (or None)."""
        limit = best[:2] if best is not None else None
        found = None
        if is_res:
            for e in self.exact.get((a.group, combined), ()):
                if limit is not None and e[:2] >= limit:
                    break
                if rule_allows(e[2], a.verb, a.group, a.resource, a.subresource, a.name, "", True):
                    found, limit = e, e[:2]
                    break
            for e in self.wild:
                if limit is not None and e[:2] >= limit:
                    break
                if rule_allows(e[2], a.verb, a.group, a.resource, a.subresource, a.name, "", True):
                    found = e
                    break
            return found
        for e in self.urls:
            if limit is not None and e[:2] >= limit:
                break
            if rule_allows(e[2], a.verb, "", "", "", "", a.path, False):
                return e
        return None


def _compile(role: dict) -> tuple[Rule, ...]:
    return tuple(Rule.of(r) for r in (role.get("rules") or ()) if isinstance(r, dict))


# --- the projection ----------------------------------------------------------------------------------

def is_rbac_key(key: bytes) -> bool:
    return key.startswith(PREFIXES)


def subject_rows(key: bytes, obj: dict | None) -> set[bytes]:
    if not obj or not key.startswith(BINDING_PREFIXES):
        return set()
    ns = (obj.get("metadata") or {}).get("namespace", "")
    rows = set()
    for s in obj.get("subjects") or ():
        sk = _subject_keys(s, ns)
        if sk is not None:
            rows.add(b"s" + sk[0].encode() + SEP + sk[1].encode() + SEP + key)
    return rows


def project(get, put, delete, key: bytes, prev: dict | None, new: dict | None, packed: bytes | None) -> None:
    """Apply one RBAC object change to the projection through table accessors (store or dict)."""
    old = get(VERSION_KEY) or b""
    body = packed if packed is not None else (pack(new) if new is not None else b"D")
    put(VERSION_KEY, hashlib.sha256(bytes(old) + key + SEP + body).digest())
    before, after = subject_rows(key, prev), subject_rows(key, new)
    for r in before - after:
        delete(r)
    for r in after - before:
        put(r, b"")


def version(txn) -> bytes:
    return bytes(txn.get("idx_rbac", VERSION_KEY) or b"")


_CACHE: dict[bytes, RbacIndex] = {}


def index_for(view) -> RbacIndex:
    """The compiled index of current state, cached by the projection's version."""
    v = version(view.txn)
    idx = _CACHE.get(v)
    if idx is None:
        lists = [view.list(RBAC_GROUP, r) for r in KINDS]
        idx = RbacIndex(*lists)
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[v] = idx
    return idx


def index_at(txn, seq: int) -> RbacIndex:
    """The index as of `seq` (time travel: each RBAC object's state at that seq)."""
    from projections.timetravel import list_at

    lists = [[o for _k, o in list_at(txn, p, seq)] for p in PREFIXES]
    return RbacIndex(*lists)
