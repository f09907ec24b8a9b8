"""`ktape tour`: the seed tutorial's commands, played against a fresh cluster on a local LMDB log.

It boots a cluster at a fixed virtual start time (so every run writes the same log), runs the
seed's controller-chapter commands known so far as a user would type them, then shows the log,
a state `--at` an earlier moment, a diff and `ktape verify`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from io import StringIO
from typing import Callable, Union

START = "2026-01-01T00:00:00Z"

Step = Union[str, list[str], Callable[[dict], list[str]]]


def register(subs, common) -> None:
    p = subs.add_parser("tour", parents=[common], help="play the seed tutorial against a fresh cluster",
                        description="Play the tour. Example: ktape tour --dir .ktape-tour")
    p.add_argument("--dir", default=".ktape-tour", help="data folder for the tour (wiped first)")
    p.set_defaults(run=run_tour)


def manifests_dir() -> str:
    return os.path.relpath(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "manifests"))


def steps(m: str) -> list[Step]:
    f = lambda name: os.path.join(m, name)  # noqa: E731
    return [
        "A new cluster: every bootstrap step is a record in the log.",
        ["init", "--start-time", START],
        ["get", "nodes", "-o", "wide"],
        ["get", "namespaces"],
        "ReplicationController and ReplicaSets from the seed (their controllers come with the next issue).",
        ["create", "-f", f("rc.yaml")],
        ["create", "-f", f("rs-matchlabels.yaml")],
        ["create", "-f", f("rs-matchexpressions-exists.yaml")],
        "The seed's In example: its template label is outside the selector, so the server refuses it.",
        ["create", "-f", f("rs-matchexpressions-in.yaml")],
        ["get", "rc,rs", "--show-labels"],
        "The Deployment: apply (client-side, three-way), then read it back.",
        ["apply", "-f", f("nginx-deploy.yaml"), "--record"],
        ["get", "deployment", "nginx-deploy", "-o", "yaml"],
        lambda mem: mem.update(before_scale=_now(mem)) or ["label", "deployment", "nginx-deploy", "tier=web"],
        ["scale", "deployments.apps", "nginx-deploy", "--replicas=3"],
        ["patch", "deployment", "nginx-deploy", "-p", '{"spec":{"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}'],
        ["patch", "deployment", "nginx-deploy", "--type", "merge", "-p", '{"metadata":{"annotations":{"team":"web"}}}'],
        ["patch", "deployment", "nginx-deploy", "--type", "json", "-p", '[{"op":"add","path":"/spec/minReadySeconds","value":5}]'],
        ["get", "deploy", "--show-labels"],
        "A manifest generated the seed's way (nothing is recorded as a change by a client dry run).",
        ["create", "deployment", "web", "--image=nginx", "--dry-run", "-o", "yaml"],
        "Time travel: the Deployment as it was before the label, scale and patches.",
        lambda mem: ["get", "deployment", "nginx-deploy", "--at", str(mem["before_scale"]), "-o", "json"],
        lambda mem: ["diff", str(mem["before_scale"]), str(_now(mem)), "deployment/nginx-deploy"],
        "Deleting: the RC in the background, the Deployment in the foreground (the garbage collector finishes it).",
        ["delete", "rc", "frontend"],
        ["delete", "deployment", "nginx-deploy", "--cascade=foreground"],
        ["get", "deploy,rc,rs"],
        "Every request, reads and refusals included, is in the log.",
        ["log", "--tail", "15"],
        ["log", "--outcome", "denied"],
        ["now"],
        ["verify"],
    ]


def _now(mem: dict) -> int:
    from log_tools.cli import main

    buf = StringIO()
    old = sys.stdout
    sys.stdout = buf
    try:
        main(["now", "-o", "json", "--data", mem["dir"]])
    finally:
        sys.stdout = old
    return json.loads(buf.getvalue())["seq"]


def run_tour(ctx, args) -> int:
    from log_tools.cli import main

    if os.path.exists(args.dir):
        shutil.rmtree(args.dir)
    mem = {"dir": args.dir}
    failures = 0
    for step in steps(manifests_dir()):
        if isinstance(step, str):
            print(f"\n# {step}")
            continue
        argv = step(mem) if callable(step) else step
        shown = " ".join(a if " " not in a and "{" not in a else f"'{a}'" for a in argv)
        print(f"$ ktape {shown}", flush=True)
        rc = main(argv + ["--data", args.dir])
        sys.stdout.flush()
        sys.stderr.flush()
        expected_failure = "rs-matchexpressions-in.yaml" in " ".join(argv)
        if rc != 0 and not expected_failure:
            failures += 1
    print(f"\nThe tour's log is in {args.dir}; try: ktape --data {args.dir} log")
    return 1 if failures else 0
