"""`ktape tour`: the seed tutorial's commands, played against a fresh cluster on a local LMDB log.

It boots a cluster at a fixed virtual start time (so every run writes the same log), runs the
seed's controller-chapter commands as a user would type them (the ReplicationController and
ReplicaSets, the Deployment with apply, label, scale and the three patch types, time travel and
a diff, deletes with cascade), then the Deployment chapter in short: the rollouts of v2..v4 with
--record, the history, undo and undo --to-revision, the canary (pause and resume) and
revisionHistoryLimit 0, the other workloads, ConfigMaps and Secrets (env, $(VAR), a hot-updated
volume, a private registry refused then opened by a pull secret) and the Service chapter (ClusterIP,
DNS, the service-based canary through the simulated kube-proxy, headless, NodePort, ExternalName,
proxy rules); it ends with the log, the pods, a state `--at` an earlier moment and `ktape verify`.

Commands run with the repository's `fixtures/` folder as the working directory (restored after),
so manifest paths read `manifests/rc.yaml` and what `--record` writes does not depend on where
the tour is started.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from io import StringIO
from typing import Callable, Union

import attrs

START = "2026-01-01T00:00:00Z"
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures")


@attrs.frozen
class Fails:
    """A step whose non-zero exit code is the point (kubectl refuses it too)."""

    argv: Union[list[str], Callable[[dict], list[str]]]
    code: int = 1


Step = Union[str, list[str], Callable[[dict], list[str]], Fails]


def register(subs, common) -> None:
    p = subs.add_parser("tour", parents=[common], help="play the seed tutorial against a fresh cluster",
                        description="Play the tour. Example: ktape tour --dir .ktape-tour")
    p.add_argument("--dir", default=".ktape-tour", help="data folder for the tour (wiped first)")
    p.set_defaults(run=run_tour)


def _mark(name: str, argv: list[str]) -> Callable[[dict], list[str]]:
    """A step that first remembers the head seq as `name` (for a later --at or diff)."""
    return lambda mem: mem.update({name: _now(mem)}) or argv


def steps() -> list[Step]:
    f = lambda name: f"manifests/{name}"  # noqa: E731  (relative to fixtures/, the working directory)
    svc = lambda name: f"scenarios/seed-services/files/{name}"  # noqa: E731
    deploy = "deployment/nginx-deploy"
    return [
        "A new cluster: every bootstrap step is a record in the log.",
        ["init", "--start-time", START],
        ["get", "nodes", "-o", "wide"],
        ["get", "namespaces"],
        "ReplicationController and ReplicaSets from the seed: their controllers create the pods at once.",
        ["create", "-f", f("rc.yaml")],
        ["create", "-f", f("rs-matchlabels.yaml")],
        ["create", "-f", f("rs-matchexpressions-exists.yaml")],
        "The seed's In example: its template label is outside the selector, so the server refuses it.",
        Fails(["create", "-f", f("rs-matchexpressions-in.yaml")]),
        "The virtual clock moves only by records: 30 s later the kubelets have the pods running.",
        ["advance", "30s"],
        ["get", "rc,rs", "--show-labels"],
        "The Deployment: apply (client-side, three-way), then read it back.",
        ["apply", "-f", f("nginx-deploy.yaml"), "--record"],
        ["get", "deployment", "nginx-deploy", "-o", "yaml"],
        _mark("before_scale", ["label", "deployment", "nginx-deploy", "tier=web"]),
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
        "Refusals are recorded too.",
        ["log", "--outcome", "denied"],
        # --- the Deployment chapter ---------------------------------------------------------------
        "The Deployment chapter, from the start (\"删除所有deployment,重新来\"): apply with --record, three replicas.",
        ["apply", "-f", f("nginx-deploy.yaml"), "--record"],
        ["scale", "deployments.apps", "nginx-deploy", "--replicas=3"],
        "`rollout status` moves the virtual clock until the rollout is complete, printing kubectl's progress lines.",
        ["rollout", "status", deploy],
        "New images with --record: each is a rolling update to a new ReplicaSet (25% surge, 25% unavailable).",
        ["set", "image", deploy, "nginx=wangyanglinux/myapp:v2", "--record"],
        ["rollout", "status", deploy],
        ["set", "image", deploy, "nginx=wangyanglinux/myapp:v3", "--record"],
        ["rollout", "status", deploy],
        ["set", "image", deploy, "nginx=wangyanglinux/myapp:v4", "--record"],
        ["rollout", "status", deploy],
        "Four revisions, each with the command that made it; four ReplicaSets, only v4's scaled up.",
        ["rollout", "history", "deployment", "nginx-deploy"],
        ["get", "rs", "-o", "wide"],
        "undo goes back to the previous revision (v3): its ReplicaSet is reused and becomes revision 5.",
        ["rollout", "undo", deploy],
        ["rollout", "status", deploy],
        "undo --to-revision=2 brings v2 back as revision 6; revisions 2 and 3 are gone from the list.",
        ["rollout", "undo", "deployment", "nginx-deploy", "--to-revision=2"],
        ["rollout", "status", deploy],
        ["rollout", "history", "deployment", "nginx-deploy"],
        "The canary: surge one pod, never go below three, then set a new image and pause at once.",
        ["patch", "deployment", "nginx-deploy", "-p", '{"spec":{"strategy":{"rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}'],
        ["set", "image", "deploy", "nginx-deploy", "nginx=wangyanglinux/myapp:v5"],
        ["rollout", "pause", "deploy", "nginx-deploy"],
        ["advance", "5s"],
        "One v5 pod beside the three v2 pods; while paused the rollout goes no further (kubectl would wait for ever).",
        ["get", "pods", "--show-labels"],
        Fails(["rollout", "status", "deploy", "nginx-deploy", "--timeout=10s"]),
        "Resume: the rollout finishes and every pod runs v5.",
        ["rollout", "resume", "deploy", "nginx-deploy"],
        ["rollout", "status", "deployments", "nginx-deploy"],
        ["get", "pods", "--show-labels"],
        "revisionHistoryLimit 0 (the seed's production example): nothing to roll back to once v2 has rolled out.",
        ["delete", "deployment", "nginx-deploy"],
        ["create", "-f", f("nginx-deploy-v1.yaml")],
        ["rollout", "status", deploy],
        _mark("before_last_rollout", ["apply", "-f", f("nginx-deploy-v2.yaml")]),
        ["rollout", "status", deploy],
        ["get", "rs"],
        "The log remembers the pruned revision: who created it, and the seq that deleted it under the limit.",
        ["rollout", "history", deploy, "--all"],
        Fails(["rollout", "undo", deploy]),
        # --- the other workloads -------------------------------------------------------------------
        "A DaemonSet: one pod per node that tolerates it; the tainted control plane gets none ...",
        ["apply", "-f", f("ds.yaml")],
        ["rollout", "status", "daemonset/ds-test"],
        ["get", "ds,pods", "-l", "app=filebeat", "-o", "wide"],
        "... until a toleration for its taint is added: then all three nodes run one.",
        ["patch", "ds", "ds-test", "-p",
         '{"spec":{"template":{"spec":{"tolerations":[{"key":"node-role.kubernetes.io/control-plane","operator":"Exists","effect":"NoSchedule"}]}}}}'],
        ["rollout", "status", "daemonset/ds-test"],
        ["get", "pods", "-l", "app=filebeat", "-o", "wide"],
        "A StatefulSet behind a headless Service: pods start one by one, each with a stable name.",
        ["apply", "-f", f("sts.yaml")],
        ["rollout", "status", "statefulset/nginx-statefulset"],
        ["get", "sts"],
        ["get", "pods", "-l", "app=nginx"],
        "A Job runs its pods to completion (5 completions, at most 3 at a time) ...",
        ["apply", "-f", "scenarios/seed-job/files/echo-job.yaml"],
        ["advance", "30s"],
        ["get", "jobs,pods", "-l", "job-name=echo"],
        "... and a CronJob starts one every minute, keeping the last three.",
        ["apply", "-f", "scenarios/seed-cronjob/files/cronjob.yaml"],
        ["advance", "5m"],
        ["get", "cronjobs,jobs"],
        "An HPA (the seed's autoscale, on a Deployment whose pods request CPU): at 120% it scales 2 -> 3.",
        ["apply", "-f", "scenarios/seed-hpa/files/web.yaml"],
        ["rollout", "status", "deployment/web"],
        ["autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80"],
        ["metrics", "set", "deploy/web", "--cpu", "120%"],
        ["advance", "30s"],
        ["get", "hpa,deploy", "web"],
        # --- ConfigMaps and Secrets ----------------------------------------------------------------
        "ConfigMaps: from a directory (key = file name) and from literals; a pod reads them as env and envFrom ...",
        ["create", "configmap", "game-config", "--from-file=scenarios/seed-configmap/files/configmap"],
        ["create", "configmap", "literal-config", "--from-literal=name=dave", "--from-literal=password=pass"],
        ["create", "-f", "scenarios/seed-configmap/files/cm-env-test-pod.yaml"],
        ["advance", "5s"],
        "... and waits in CreateContainerConfigError until env-config exists; then `env` prints them.",
        ["get", "pod", "cm-env-test-pod"],
        ["apply", "-f", "scenarios/seed-configmap/files/env-config.yaml"],
        ["advance", "10s"],
        ["logs", "cm-env-test-pod"],
        "$(VAR) in the command is expanded by the kubelet.",
        ["create", "-f", "scenarios/seed-configmap/files/cm-command-dapi-test-pod.yaml"],
        ["advance", "5s"],
        ["logs", "cm-command-dapi-test-pod"],
        "A mounted ConfigMap follows an edit after the kubelet's sync delay (60-90 s), environment variables never.",
        ["apply", "-f", "scenarios/seed-configmap/files/log-config-cm.yaml"],
        ["apply", "-f", "scenarios/seed-configmap/files/hot-update-deploy.yaml"],
        ["advance", "5s"],
        ["exec", "deploy/hot-update", "--", "sh", "-c", "cat /etc/config/log_level; echo"],
        ["patch", "cm", "log-config", "-p", '{"data":{"log_level":"ERROR"}}'],
        ["advance", "30s"],
        ["exec", "deploy/hot-update", "--", "sh", "-c", "cat /etc/config/log_level; echo"],
        ["advance", "60s"],
        ["exec", "deploy/hot-update", "--", "sh", "-c", "cat /etc/config/log_level; echo"],
        "Secrets: base64 data, decoded in the container; describe shows only sizes.",
        ["create", "-f", "scenarios/seed-secret/files/secret.yaml"],
        ["describe", "secret", "mysecret"],
        ["apply", "-f", "scenarios/seed-secret/files/secret-vol.yaml"],
        ["advance", "5s"],
        ["exec", "mypod", "--", "sh", "-c", "cat /etc/foo/username; echo"],
        Fails(["create", "-f", "scenarios/seed-secret/files/bad-base64-secret.yaml"]),
        "A private registry (hub.ljh.com, project `secret`): without a pull secret the image is refused ...",
        ["registry", "add", "hub.ljh.com", "--private-repo", "secret", "--username", "admin", "--password", "Harbor12345"],
        ["delete", "deployment", "hot-update"],
        ["apply", "-f", "scenarios/seed-secret/files/myapp-deploy.yaml"],
        ["advance", "25s"],
        ["get", "pods", "-l", "run=my-nginx"],
        "... with a docker-registry Secret in imagePullSecrets it runs.",
        ["create", "secret", "docker-registry", "myregistrykey", "--docker-server=hub.ljh.com", "--docker-username=admin",
         "--docker-password=Harbor12345", "--docker-email=ljhxxxxxxxx@163.com"],
        ["apply", "-f", "scenarios/seed-secret/files/myapp-deploy-secret.yaml"],
        ["advance", "10s"],
        ["get", "pods", "-l", "run=my-nginx"],
        # --- the Service chapter -------------------------------------------------------------------
        "Services (the seed's Service chapter): myapp gets a ClusterIP from 10.96.0.0/12 and Endpoints of its ready pods.",
        ["apply", "-f", svc("myapp-deploy-v1.yaml")],
        ["apply", "-f", svc("clusterIp-svc.yaml")],
        ["rollout", "status", "deployment/myapp-deploy-v1"],
        ["get", "svc,ep", "myapp"],
        "CoreDNS registered it (dig -t A myapp.default.svc.cluster.local. @10.96.0.10).",
        ["dns", "resolve", "myapp.default.svc.cluster.local."],
        "The service-based canary: one v2 pod beside three v1 pods behind one selector; ipvs round robin splits 400 connections 3:1.",
        ["apply", "-f", svc("myapp-deploy-v2.yaml")],
        ["rollout", "status", "deployment/myapp-deploy-v2"],
        ["curl", "myapp", "-c", "400"],
        "A headless Service (clusterIP: None): no proxy, DNS answers every ready pod.",
        ["apply", "-f", svc("headless-svc.yaml")],
        ["dns", "resolve", "myapp-headless"],
        "NodePort by upgrading myapp (its ClusterIP stays, a port from 30000-32767 is added), reached through a node.",
        ["apply", "-f", svc("myapp-service.yaml")],
        ["get", "svc", "myapp"],
        ["curl", "myapp", "--via-node", "node1", "-c", "4"],
        "ExternalName: a CNAME to hub.hongfu.com, no endpoints.",
        ["apply", "-f", svc("ExternalName-svc.yaml")],
        ["dns", "resolve", "my-service-1"],
        "What each kube-proxy mode installs per node: iptables rules grow with services x endpoints, ipvs stays per service.",
        ["proxy", "rules"],
        ["proxy", "rules", "--what-if", "2000x10"],
        # --- audit -------------------------------------------------------------------------------
        "Audit queries, answered from the log's indexes: jane deletes a StatefulSet pod; who did it, and what went?",
        ["delete", "pod", "nginx-statefulset-0", "--as", "jane"],
        ["audit", "--resource", "pods", "--name", "nginx-statefulset-0", "--verb", "delete", "--diff"],
        "Everything a controller's ServiceAccount changed, every refusal, and one change as an audit.k8s.io/v1 Event.",
        ["audit", "--user", "system:serviceaccount:kube-system:statefulset-controller", "--writes", "--tail", "5"],
        ["audit", "--outcome", "denied"],
        ["audit", "--resource", "hpa", "--name", "web", "--writes", "-o", "jsonl", "--tail", "1"],
        # --- the admission chapter ------------------------------------------------------------------
        "Admission: the seed's ResourceQuota in its own namespace; the quota controller fills used/hard.",
        ["create", "namespace", "quota-demo"],
        ["create", "-f", f("resourcequota.yaml"), "-n", "quota-demo"],
        ["describe", "quota", "resource-test", "-n", "quota-demo"],
        "A pod with no requests is refused under a requests.cpu quota (ResourceQuota admission) ...",
        Fails(["run", "bare", "--image=nginx", "-n", "quota-demo"]),
        "... until the seed's LimitRange supplies defaults (LimitRanger, recorded as decided mutations).",
        ["create", "-f", f("limitrange-defaults.yaml"), "-n", "quota-demo"],
        ["run", "bare", "--image=nginx", "-n", "quota-demo"],
        ["get", "quota", "-n", "quota-demo"],
        "The quota is full (0.5 cpu requested): a Deployment's ReplicaSet fails to create pods (FailedCreate).",
        ["create", "deployment", "capped", "--image=nginx", "--replicas=2", "-n", "quota-demo"],
        ["get", "events", "-n", "quota-demo", "--field-selector", "reason=FailedCreate"],
        "LimitRange min/max: a 1-cpu limit is over the 800m maximum.",
        ["create", "namespace", "lr-range"],
        ["create", "-f", f("limitrange-min-max.yaml"), "-n", "lr-range"],
        Fails(["create", "-f", f("pod-big-cpu.yaml"), "-n", "lr-range"]),
        "QoS: the seed's three pods are Guaranteed, Burstable and BestEffort ...",
        ["create", "namespace", "qos-example"],
        ["create", "-f", f("qos-guaranteed.yaml")],
        ["create", "-f", f("qos-burstable.yaml")],
        ["create", "-f", f("qos-besteffort.yaml")],
        ["advance", "5s"],
        ["get", "pods", "-n", "qos-example", "-o", "wide"],
        "... and under memory pressure the kubelet evicts a BestEffort pod first: on qos-demo-3's node the DaemonSet's",
        "BestEffort pod ranks first (by name), is evicted, and its controller replaces it; Guaranteed and Burstable stay.",
        lambda mem: ["sim", "memory-pressure", _node_of(mem, "qos-example", "qos-demo-3")],
        ["get", "events", "-A", "--field-selector", "reason=Evicted"],
        ["get", "pods", "-n", "qos-example", "-o", "wide"],
        lambda mem: ["sim", "memory-pressure", _node_of(mem, "qos-example", "qos-demo-3"), "--off"],
        # --- the end -----------------------------------------------------------------------------
        "Every request, reads and refusals included, is in the log.",
        ["log", "--tail", "20"],
        ["get", "pods", "-o", "wide"],
        "Time travel: the Deployment just before the last rollout (still v1, one ReplicaSet).",
        lambda mem: ["get", "deployment", "nginx-deploy", "--at", str(mem["before_last_rollout"]), "-o", "wide"],
        lambda mem: ["get", "rs", "--at", str(mem["before_last_rollout"])],
        ["now"],
        ["verify"],
    ]


def _node_of(mem: dict, namespace: str, pod: str) -> str:
    """The node a pod runs on (a --read-only get: nothing recorded)."""
    from log_tools.cli import main

    buf = StringIO()
    old = sys.stdout
    sys.stdout = buf
    try:
        main(["get", "pod", pod, "-n", namespace, "-o", "json", "--data", mem["dir"], "--read-only"])
    finally:
        sys.stdout = old
    return (json.loads(buf.getvalue() or "{}").get("spec") or {}).get("nodeName") or "node1"


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


def _shown(argv: list[str]) -> str:
    return " ".join(a if " " not in a and "{" not in a else f"'{a}'" for a in argv)


def run_tour(ctx, args) -> int:
    from log_tools.cli import main

    data = os.path.abspath(args.dir)
    if os.path.exists(data):
        shutil.rmtree(data)
    mem = {"dir": data}
    failures: list[str] = []
    old_cwd = os.getcwd()
    os.chdir(FIXTURES)
    try:
        for step in steps():
            if isinstance(step, str):
                print(f"\n# {step}")
                continue
            want = step.code if isinstance(step, Fails) else 0
            raw = step.argv if isinstance(step, Fails) else step
            argv = raw(mem) if callable(raw) else raw
            print(f"$ ktape {_shown(argv)}", flush=True)
            rc = main(["--data", data] + argv)  # global flag first: `exec ... -- CMD` keeps the rest
            sys.stdout.flush()
            sys.stderr.flush()
            if rc != want:
                failures.append(f"ktape {_shown(argv)} exited {rc}, expected {want}")
    finally:
        os.chdir(old_cwd)
    if failures:
        print("\nThe tour did not go as planned:", *failures, sep="\n  ", file=sys.stderr)
    print(f"\nThe tour's log is in {args.dir}; try: ktape --data {args.dir} log")
    return 1 if failures else 0
