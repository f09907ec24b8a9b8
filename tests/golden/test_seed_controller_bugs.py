"""Deviations from kubectl/Kubernetes once found while reviewing the seed controller-chapter
goldens (fixtures/scenarios/seed-*), now fixed: each test states upstream's behaviour. A new
deviation found later starts here as a strict xfail until it is fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from log_tools.scenario import call_ktape


def _ok(data: Path, *argv: str, stdin: str | None = None) -> str:
    code, out, err = call_ktape(data, list(argv), stdin)
    assert code == 0, f"ktape {' '.join(argv)} exited {code}: {out}{err}"
    return out


def _booted(tmp_path: Path, nodes: int = 2) -> Path:
    data = tmp_path / "data"
    _ok(data, "init", "--start-time", "2026-01-01T00:00:00Z", "--nodes", str(nodes))
    return data


@pytest.mark.parametrize("manifest,target", [("manifests/rc.yaml", "rc/frontend"),
                                             ("manifests/rs-matchlabels.yaml", "rs/frontend")])
def test_describe_replication_controller_and_replica_set_count_their_pods(tmp_path, manifest, target):
    # kubectl describe (describe.go getPodStatusForController) lists the pods matching the selector
    # and counts those whose controllerRef is the object, by phase.
    data = _booted(tmp_path)
    _ok(data, "create", "-f", manifest)
    _ok(data, "advance", "30s")
    out = _ok(data, "describe", target)
    assert "Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" in out


def test_apply_over_a_created_object_warns_about_the_missing_annotation(tmp_path):
    # kubectl apply.go: fmt.Fprintf(o.ErrOut, warningNoLastAppliedConfigAnnotation, ...) when the live
    # object lacks the annotation, then patches it in. The seed does exactly this:
    # `kubectl create -f nginx-deploy-v1.yaml` then `kubectl apply -f nginx-deploy-v2.yaml`.
    data = _booted(tmp_path, nodes=0)
    _ok(data, "create", "-f", "manifests/nginx-deploy-v1.yaml")
    code, out, err = call_ktape(data, ["apply", "-f", "manifests/nginx-deploy-v2.yaml"])
    assert (code, out) == (0, "deployment.apps/nginx-deploy configured\n")
    assert err.startswith("Warning: resource deployments/nginx-deploy is missing the "
                          "kubectl.kubernetes.io/last-applied-configuration annotation which is required by "), err
    assert err.endswith("The missing annotation will be patched automatically.\n"), err


def test_deleting_a_running_pod_is_graceful(tmp_path):
    # Upstream pod strategy CheckGracefulDelete: a pod bound to a node and not terminal is deleted
    # gracefully (grace = spec.terminationGracePeriodSeconds, 30): the delete stores it with
    # deletionTimestamp and deletionGracePeriodSeconds 30 (kubectl get shows Terminating); the
    # kubelet then stops the containers and deletes it with grace 0.
    data = _booted(tmp_path)
    _ok(data, "create", "-f", "manifests/rc.yaml")
    _ok(data, "advance", "30s")
    name = json.loads(_ok(data, "get", "pods", "-o", "json"))["items"][0]["metadata"]["name"]
    _ok(data, "delete", "pod", name)
    deletes = [json.loads(line) for line in _ok(data, "log", "--verb", "delete", "--resource", "pods", "-o", "json").splitlines()]
    seq = next(e["seq"] for e in deletes if e["user"] == "kubernetes-admin")
    code, out, err = call_ktape(data, ["get", "pod", name, "--at", str(seq), "-o", "json"])
    assert code == 0, err
    meta = json.loads(out)["metadata"]
    assert meta.get("deletionTimestamp") and meta.get("deletionGracePeriodSeconds") == 30


def _deploy_events(data: Path) -> list[dict]:
    items = json.loads(_ok(data, "get", "events", "-o", "json"))["items"]
    return [e for e in items if e["involvedObject"]["name"] == "nginx-deploy" and e["reason"] == "ScalingReplicaSet"]


def test_identical_events_are_counted_on_one_event(tmp_path):
    # client-go tools/record EventLogger: an event equal to an earlier one (same source, object,
    # type, reason and message) patches the earlier Event's count and lastTimestamp; kubectl
    # describe shows `(x2 over ...)`.
    data = _booted(tmp_path, nodes=0)
    _ok(data, "apply", "-f", "manifests/nginx-deploy.yaml")
    for n in ("2", "1", "2"):  # "Scaled up ... to 2 from 1" twice
        _ok(data, "scale", "deployments.apps", "nginx-deploy", f"--replicas={n}")
    events = _deploy_events(data)
    twice = [e for e in events if e["message"].endswith(" to 2 from 1")]
    assert len(twice) == 1 and twice[0]["count"] == 2, [(e["message"], e["count"]) for e in events]


def test_many_similar_events_are_combined(tmp_path):
    # client-go tools/record EventAggregator (maxEvents 10, interval 600 s): from the 10th event with
    # the same source, object, type and reason but a new message, the recorder writes one event
    # "(combined from similar events): <message>" and counts the later ones on it. The seed's
    # v1 -> v4 -> undo -> undo walk makes 33 ScalingReplicaSet events on nginx-deploy in 17 s;
    # describe shows 9 of them and one combined line (the spam filter, burst 25, drops the rest).
    data = _booted(tmp_path, nodes=0)
    _ok(data, "apply", "-f", "manifests/nginx-deploy.yaml")
    for n in range(2, 13):  # with the creation: 12 distinct "Scaled up ..." messages
        _ok(data, "scale", "deployments.apps", "nginx-deploy", f"--replicas={n}")
    events = _deploy_events(data)
    combined = [e for e in events if e["message"].startswith("(combined from similar events): ")]
    assert len(events) == 10 and len(combined) == 1 and combined[0]["count"] == 3, \
        [(e["message"], e["count"]) for e in events]
