"""`ktape autoscale` and `ktape metrics`, through the CLI, with the HPA actor in the cluster.

Until the lead wires them (engine.api.default_actors, log_tools/cli.py), the fixture adds the HPA
actor and the `autoscale` module for the duration of a test; once wired it changes nothing.
"""

import argparse
import json

import pytest

import engine.api
import log_tools.cli
from engine.controllers.hpa import HorizontalPodAutoscalerController
from engine.log import eventlog

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx
        resources:
          requests:
            cpu: 100m
            memory: 64Mi
"""


@pytest.fixture
def k(tmp_path, capsys, monkeypatch):
    original_actors, original_parser = engine.api.default_actors, log_tools.cli.build_parser

    def actors():
        acts = original_actors()
        if not any(a.name == "horizontal-pod-autoscaler" for a in acts):
            acts.append(HorizontalPodAutoscalerController())
        return acts

    def parser():
        from log_tools.commands import autoscale

        p = original_parser()
        subs = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
        if "autoscale" not in subs.choices:
            autoscale.register(subs, log_tools.cli._globals(True))
        return p

    monkeypatch.setattr(engine.api, "default_actors", actors)
    monkeypatch.setattr(log_tools.cli, "build_parser", parser)
    data = str(tmp_path / "data")
    assert log_tools.cli.main(["init", "--start-time", "2026-01-01T00:00:00Z", "--data", data]) == 0
    manifest = tmp_path / "web.yaml"
    manifest.write_text(WEB)
    capsys.readouterr()

    def run(*argv, code=0):
        rc = log_tools.cli.main(list(argv) + ["--data", data])
        out = capsys.readouterr()
        assert rc == code, (argv, out.out, out.err)
        return out.out, out.err

    run.data = data
    run.manifest = str(manifest)
    return run


def entries(data):
    store = engine.api.Cluster.open(data, read_only=True).store
    try:
        with store.begin() as txn:
            return list(eventlog.scan_entries(txn, 1, eventlog.read_head(txn).seq))
    finally:
        store.close()


def test_autoscale_creates_the_hpa_kubectl_does(k):
    k("apply", "-f", k.manifest)
    out, _ = k("autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80")
    assert out == "horizontalpodautoscaler.autoscaling/web autoscaled\n"
    obj = json.loads(k("get", "hpa", "web", "-o", "json")[0])
    assert obj["apiVersion"] == "autoscaling/v2"
    assert obj["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                           "minReplicas": 2, "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
                               "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]}
    create = [e for e in entries(k.data) if e.request.resource == "horizontalpodautoscalers" and e.request.verb == "create"]
    assert len(create) == 1 and create[0].request.params["fieldManager"] == "kubectl-autoscale"
    reads = [e for e in entries(k.data) if e.request.verb == "get" and e.request.resource == "deployments"]
    assert reads, "kubectl reads the target before creating the autoscaler"
    # no --min and no --cpu-percent: the server's defaults (1 and 80%)
    k("autoscale", "deploy/web", "--max=3", "--name", "other")
    other = json.loads(k("get", "hpa", "other", "-o", "json")[0])
    assert other["spec"]["minReplicas"] == 1 and other["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 80


def test_autoscale_refusals(k):
    k("apply", "-f", k.manifest)
    assert k("autoscale", "deploy", "web", code=1)[1] == 'error: required flag(s) "max" not set\n'
    assert k("autoscale", "deploy", "web", "--max=0", code=1)[1] == "error: --max=MAXPODS is required and must be at least 1, max: 0\n"
    assert k("autoscale", "deploy", "web", "--min=5", "--max=2", code=1)[1] == \
        "error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: 2, min: 5\n"
    assert k("autoscale", "deploy", "nope", "--max=2", code=1)[1] == 'Error from server (NotFound): deployments.apps "nope" not found\n'
    k("run", "solo", "--image=nginx")
    assert k("autoscale", "pod", "solo", "--max=2", code=1)[1] == \
        "error: cannot autoscale a Pod: could not find scale subresource for /v1, Resource=pods in discovery information\n"
    k("autoscale", "deploy", "web", "--max=2")
    assert k("autoscale", "deploy", "web", "--max=2", code=1)[1] == \
        'Error from server (AlreadyExists): horizontalpodautoscalers.autoscaling "web" already exists\n'


def test_autoscale_dry_run_and_record(k):
    k("apply", "-f", k.manifest)
    out, _ = k("autoscale", "deploy", "web", "--max=4", "--dry-run=client")
    assert out == "horizontalpodautoscaler.autoscaling/web created (dry run)\n"
    out, _ = k("autoscale", "deploy", "web", "--max=4", "--dry-run=server")
    assert out == "horizontalpodautoscaler.autoscaling/web autoscaled (server dry run)\n"
    k("get", "hpa", "web", code=1)
    k("autoscale", "deploy", "web", "--max=4", "--record")
    obj = json.loads(k("get", "hpa", "web", "-o", "json")[0])
    assert obj["metadata"]["annotations"]["kubernetes.io/change-cause"] == "ktape autoscale deploy web --max=4 --record=true"


def test_metrics_set_show_clear_and_the_hpa_reacts(k):
    k("apply", "-f", k.manifest)
    k("advance", "30s")
    k("autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80")
    out, _ = k("metrics", "set", "deploy/web", "--cpu", "120%", "--memory", "50%")
    lines = out.splitlines()
    assert len(lines) == 2 and all(line.endswith("metrics set: cpu.nginx=120m, memory.nginx=32Mi") for line in lines)
    table = k("metrics", "show")[0].splitlines()
    assert table[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"] and table[1].split()[1:] == ["120m", "32Mi"]
    k("advance", "15s")
    assert json.loads(k("get", "deploy", "web", "-o", "json")[0])["spec"]["replicas"] == 3
    row = k("get", "hpa")[0].splitlines()[1].split()
    assert row[:6] == ["web", "Deployment/web", "cpu:", "120%/80%", "2", "5"]
    pod = k("get", "pods", "-o", "name")[0].splitlines()[0]
    out, _ = k("metrics", "set", pod, "--cpu", "300m")
    assert out == f"{pod} metrics set: cpu.nginx=300m\n"
    k("metrics", "clear", "deploy/web")
    assert k("metrics", "show", code=1)[1].startswith("error: Metrics not available")


def test_metrics_refusals(k):
    k("run", "solo", "--image=nginx")
    k("advance", "5s")
    assert "has no cpu request" in k("metrics", "set", "pod/solo", "--cpu", "50%", code=1)[1]
    assert k("metrics", "set", "pod/solo", code=1)[1] == "error: nothing to set: give --cpu, --memory, --metric or --object-metric\n"
    assert "invalid --cpu" in k("metrics", "set", "pod/solo", "--cpu", "lots", code=1)[1]
    assert k("metrics", "set", "pod/solo", "--cpu", "1", "-c", "other", code=1)[1] == "error: container other is not valid for pod solo\n"
    out, _ = k("metrics", "set", "pod/solo", "--cpu", "250m", "--metric", "qps=10")
    assert out == "pod/solo metrics set: cpu.solo=250m, custom.qps=10\n"
