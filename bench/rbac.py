"""RBAC decisions per second with 10,000 bindings (issue 6's target: >= 100,000/s).

Builds the bootstrap policy plus N users, each bound by a RoleBinding (in one of 100
namespaces) to one of a few ClusterRoles, and N/10 ClusterRoleBindings to groups; then asks a
mix of allowed and denied questions (different users, verbs, resources, namespaces) through the
compiled index (engine/auth/rbac.py) the request path uses, and through the full authorizer
chain (Node, RBAC after the privileged-group check) for comparison. Also times building the
index (what the first decision after an RBAC change pays).

    python -m bench.rbac                 # 10,000 bindings, 200,000 decisions
    python -m bench.rbac --bindings N --decisions M
"""

from __future__ import annotations

import argparse
import json
import random
import time

from engine.auth.bootstrap_policy import all_objects
from engine.auth.rbac import RbacIndex
from engine.controllers.clusterrole_aggregation import aggregate
from engine.pipeline.authz import ALLOW, Attributes, PrivilegedGroups, RBAC

G = "rbac.authorization.k8s.io"
ROLES = ("view", "edit", "admin", "pod-reader", "deployer")


def build(bindings: int) -> RbacIndex:
    objs = all_objects()
    objs.append({"kind": "ClusterRole", "metadata": {"name": "pod-reader"},
                 "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}]})
    objs.append({"kind": "ClusterRole", "metadata": {"name": "deployer"},
                 "rules": [{"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "daemonsets"], "verbs": ["create"]}]})
    roles = [o for o in objs if o["kind"] == "ClusterRole"]
    for o in roles:
        if o.get("aggregationRule"):
            o["rules"] = aggregate(o, roles)
    rbs, crbs = [], [o for o in objs if o["kind"] == "ClusterRoleBinding"]
    for i in range(bindings):
        if i % 10 == 9:
            crbs.append({"kind": "ClusterRoleBinding", "metadata": {"name": f"crb-{i}"},
                         "roleRef": {"apiGroup": G, "kind": "ClusterRole", "name": "view"},
                         "subjects": [{"kind": "Group", "name": f"team-{i % 50}", "apiGroup": G}]})
        else:
            rbs.append({"kind": "RoleBinding", "metadata": {"name": f"rb-{i}", "namespace": f"ns-{i % 100}"},
                        "roleRef": {"apiGroup": G, "kind": "ClusterRole", "name": ROLES[i % len(ROLES)]},
                        "subjects": [{"kind": "User", "name": f"user-{i}", "apiGroup": G}]})
    return RbacIndex([], roles, rbs, crbs)


def questions(n: int, bindings: int, seed: int = 7) -> list[Attributes]:
    rnd = random.Random(seed)
    verbs = ("get", "list", "create", "delete", "watch", "update")
    res = (("", "pods", ""), ("", "pods", "log"), ("apps", "deployments", ""), ("", "secrets", ""), ("", "configmaps", ""))
    out = []
    for _ in range(n):
        u = rnd.randrange(bindings)
        g, r, sub = rnd.choice(res)
        out.append(Attributes(f"user-{u}", (f"team-{u % 50}", "system:authenticated"), rnd.choice(verbs), g, r, sub,
                              f"ns-{rnd.randrange(100)}", ""))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--bindings", type=int, default=10_000)
    p.add_argument("--decisions", type=int, default=200_000)
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    idx = build(args.bindings)
    t_build = time.perf_counter() - t0
    qs = questions(args.decisions, args.bindings)
    t0 = time.perf_counter()
    allowed = sum(1 for a in qs if idx.authorize(a)[0])
    t_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    for a in qs:
        idx.authorize(a)
    t_warm = time.perf_counter() - t0
    chain = [PrivilegedGroups(), RBAC(None, idx)]
    t0 = time.perf_counter()
    for a in qs:
        for z in chain:
            if z.authorize(a)[0] == ALLOW:
                break
    t_chain = time.perf_counter() - t0
    res = {"bindings": args.bindings, "decisions": args.decisions, "allowed": allowed,
           "index_build_s": round(t_build, 3), "decisions_per_s_first_pass": int(args.decisions / t_cold),
           "decisions_per_s": int(args.decisions / t_warm), "chain_decisions_per_s": int(args.decisions / t_chain)}
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
