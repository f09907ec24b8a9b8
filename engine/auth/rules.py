"""RBAC PolicyRule matching and coverage, exactly as upstream.

- Matching: `pkg/apis/rbac/v1/evaluation_helpers.go` (VerbMatches, APIGroupMatches,
  ResourceMatches with `*/subresource`, ResourceNameMatches, NonResourceURLMatches with a
  trailing `*`) and `rbac.go` RuleAllows.
- Coverage (escalation prevention): `pkg/registry/rbac/validation/policy_comparator.go` Covers:
  the servant's rules are broken into atoms, each must be covered by one owner rule.
- Compaction of the missing rules for the error text: `CompactRules` + `String()` of PolicyRule
  (`{APIGroups:["apps"], Resources:["deployments"], Verbs:["delete"]}`).

A rule is compiled once into a `Rule` of frozensets so a decision is a handful of set lookups.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Rule:
    verbs: frozenset
    groups: frozenset
    resources: frozenset
    names: frozenset
    urls: tuple
    # what the object said, in order, for printing
    raw: tuple = attrs.field(eq=False, default=())

    @classmethod
    def of(cls, d: dict) -> "Rule":
        def fs(k):
            return frozenset(x for x in (d.get(k) or ()) if isinstance(x, str))
        raw = (tuple(d.get("verbs") or ()), tuple(d.get("apiGroups") or ()), tuple(d.get("resources") or ()),
               tuple(d.get("resourceNames") or ()), tuple(d.get("nonResourceURLs") or ()))
        return cls(fs("verbs"), fs("apiGroups"), fs("resources"), fs("resourceNames"),
                   tuple(u for u in (d.get("nonResourceURLs") or ()) if isinstance(u, str)), raw)

    def to_dict(self) -> dict:
        v, g, r, n, u = self.raw
        out: dict = {}
        if g or r:
            out["apiGroups"] = list(g)
        if n:
            out["resourceNames"] = list(n)
        if r:
            out["resources"] = list(r)
        if u:
            out["nonResourceURLs"] = list(u)
        out["verbs"] = list(v)
        return out


def verb_matches(rule: Rule, verb: str) -> bool:
    return "*" in rule.verbs or verb in rule.verbs


def group_matches(rule: Rule, group: str) -> bool:
    return "*" in rule.groups or group in rule.groups


def resource_matches(rule: Rule, combined: str, subresource: str) -> bool:
    res = rule.resources
    if "*" in res or combined in res:
        return True
    return bool(subresource) and ("*/" + subresource) in res


def name_matches(rule: Rule, name: str) -> bool:
    return not rule.names or name in rule.names


def url_matches(rule: Rule, path: str) -> bool:
    for u in rule.urls:
        if u == "*" or u == path or (u.endswith("*") and path.startswith(u[:-1])):
            return True
    return False


def rule_allows(rule: Rule, verb: str, group: str, resource: str, subresource: str, name: str, path: str,
                is_resource: bool) -> bool:
    """upstream RuleAllows."""
    if is_resource:
        combined = resource + "/" + subresource if subresource else resource
        return (verb_matches(rule, verb) and group_matches(rule, group) and resource_matches(rule, combined, subresource)
                and name_matches(rule, name))
    return verb_matches(rule, verb) and url_matches(rule, path)


def attrs_allowed(rules, a) -> bool:
    """Whether any of `rules` allows the request attributes `a` (engine.pipeline.authz.Attributes)."""
    for r in rules:
        if rule_allows(r, a.verb, a.group, a.resource, a.subresource, a.name, a.path, a.is_resource):
            return True
    return False


# --- coverage (escalation) -------------------------------------------------------------------------

def _breakdown(rule: Rule) -> list[Rule]:
    """upstream BreakdownRule: one atom per group x resource x verb (x name), and per url x verb."""
    out = []
    v, g, r, n, u = rule.raw
    for group in g:
        for res in r:
            for verb in v:
                if n:
                    for name in n:
                        out.append(_atom(verb, group, res, name))
                else:
                    out.append(_atom(verb, group, res, None))
    for url in u:
        for verb in v:
            out.append(Rule(frozenset({verb}), frozenset(), frozenset(), frozenset(), (url,),
                            ((verb,), (), (), (), (url,))))
    return out


def _atom(verb: str, group: str, res: str, name: str | None) -> Rule:
    names = (name,) if name is not None else ()
    return Rule(frozenset({verb}), frozenset({group}), frozenset({res}), frozenset(names), (),
                ((verb,), (group,), (res,), names, ()))


def _has(items, item) -> bool:
    return "*" in items or item in items


def _rule_covers(owner: Rule, atom: Rule) -> bool:
    """upstream ruleCovers for one atom."""
    if not all(_has(owner.verbs, v) for v in atom.verbs):
        return False
    if not all(_has(owner.groups, g) for g in atom.groups):
        return False
    for res in atom.resources:
        if _has(owner.resources, res):
            continue
        parts = res.split("/", 1)
        if len(parts) == 2 and "*/" + parts[1] in owner.resources:
            continue
        return False
    for url in atom.urls:
        if not _url_covers(owner.urls, url):
            return False
    # resourceNames: an owner without names covers any; else the atom's names must all be listed.
    if owner.names:
        if not atom.names:
            return False
        if not all(n in owner.names for n in atom.names):
            return False
    return True


def _url_covers(owner_urls, url: str) -> bool:
    for o in owner_urls:
        if o == url:
            return True
        if o.endswith("*") and url.startswith(o[:-1]):
            return True
    return False


def covers(owner: list[Rule], servant: list[Rule]) -> tuple[bool, list[Rule]]:
    """(all covered, the uncovered atoms)."""
    missing = []
    for rule in servant:
        for atom in _breakdown(rule):
            if not any(_rule_covers(o, atom) for o in owner):
                missing.append(atom)
    return not missing, missing


def compact(atoms: list[Rule]) -> list[Rule]:
    """upstream CompactRules: atoms that differ only in verbs merge into one rule."""
    merged: dict[tuple, list[str]] = {}
    order: list[tuple] = []
    out: list[Rule] = []
    for a in atoms:
        v, g, r, n, u = a.raw
        if u or n or len(r) != 1 or len(g) != 1:
            out.append(a)
            continue
        key = (g, r)
        if key not in merged:
            merged[key] = []
            order.append(key)
        for verb in v:
            if verb not in merged[key]:
                merged[key].append(verb)
    for key in order:
        g, r = key
        verbs = tuple(merged[key])
        out.append(Rule(frozenset(verbs), frozenset(g), frozenset(r), frozenset(), (), (verbs, g, r, (), ())))
    return out


def _q(xs) -> str:
    return "[" + " ".join(f'"{x}"' for x in xs) + "]"


def rule_string(rule: Rule) -> str:
    """PolicyRule.CompactString: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["delete"]}`."""
    v, g, r, n, u = rule.raw
    parts = []
    if g:
        parts.append(f"APIGroups:{_q(g)}")
    if r:
        parts.append(f"Resources:{_q(r)}")
    if u:
        parts.append(f"NonResourceURLs:{_q(u)}")
    if n:
        parts.append(f"ResourceNames:{_q(n)}")
    parts.append(f"Verbs:{_q(v)}")
    return "{" + ", ".join(parts) + "}"


VALID_VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "use",
                         "bind", "escalate", "impersonate", "approve", "sign", "attest", "proxy", "*"})
