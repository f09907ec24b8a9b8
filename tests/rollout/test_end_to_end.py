"""The seed's rollout story with the real Deployment controller (skipped until it runs)."""

import json
import os

import pytest

from projections import rollout_history as rh
from tests.rollout import deployment_controller_running, k_real  # noqa: F401  (k_real is a fixture)

pytestmark = pytest.mark.skipif(not deployment_controller_running(),
                                reason="needs engine.controllers.deployment among the default actors")

M = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "manifests", "nginx-deploy.yaml")
D = "nginx-deploy"


def history(k) -> list[tuple[str, str]]:
    out, _ = k("rollout", "history", f"deployment/{D}")
    lines = out.splitlines()
    assert lines[0] == f"deployment.apps/{D} " and lines[1] == "REVISION  CHANGE-CAUSE" and lines[-1] == ""
    return [tuple(l.split(None, 1)) for l in lines[2:-1]]


def image(k) -> str:
    dep = json.loads(k("get", "deploy", D, "-o", "json")[0])
    return dep["spec"]["template"]["spec"]["containers"][0]["image"]


def test_apply_set_image_history_undo(k_real):
    k = k_real
    k("apply", "-f", M, "--record")
    causes = [f"ktape apply --filename={M} --record=true"]
    for v in (2, 3, 4):
        out, _ = k("set", "image", f"deployment/{D}", f"nginx=wangyanglinux/myapp:v{v}", "--record")
        assert out == f"deployment.apps/{D} image updated\n"
        causes.append(f"ktape set image deployment/{D} nginx=wangyanglinux/myapp:v{v} --record=true")
    assert history(k) == [(str(i + 1), c) for i, c in enumerate(causes)]

    assert k("rollout", "undo", f"deployment/{D}")[0] == f"deployment.apps/{D} rolled back\n"
    assert image(k) == "wangyanglinux/myapp:v3"
    assert history(k) == [("1", causes[0]), ("2", causes[1]), ("4", causes[3]), ("5", causes[2])]

    assert k("rollout", "undo", f"deployment/{D}", "--to-revision=2")[0] == f"deployment.apps/{D} rolled back\n"
    assert image(k) == "wangyanglinux/myapp:v2"
    assert history(k) == [("1", causes[0]), ("4", causes[3]), ("5", causes[2]), ("6", causes[1])]

    docs = json.loads(k("rollout", "history", f"deployment/{D}", "-o", "json")[0])
    six = docs[-1]
    assert six["revision"] == 6 and six["previousRevisions"] == [2] and six["images"] == ["wangyanglinux/myapp:v2"]
    assert six["causedBy"]["command"] == f"ktape rollout undo deployment/{D} --to-revision=2"
    out, _ = k("rollout", "undo", f"deployment/{D}", "--to-revision=6")
    assert out == f"deployment.apps/{D} skipped rollback (current template already matches revision 6)\n"


def test_pruning_by_revision_history_limit_shows_in_all(k_real):
    k = k_real
    k("apply", "-f", M, "--record")
    k("patch", "deployment", D, "-p", '{"spec":{"revisionHistoryLimit":1}}')
    for v in (2, 3, 4):
        k("set", "image", f"deployment/{D}", f"nginx=wangyanglinux/myapp:v{v}")
    k("advance", "10m")  # let rollouts finish, so old ReplicaSets can be cleaned up
    docs = json.loads(k("rollout", "history", f"deployment/{D}", "--all", "-o", "json")[0])
    pruned = [d for d in docs if d["prunedSeq"] is not None]
    if not pruned:
        pytest.skip("the controller did not prune within 10 virtual minutes (no pods becoming available yet)")
    for d in pruned:
        assert d["prunedBecause"]["reason"] == "RevisionHistoryLimit" and d["prunedBecause"]["revisionHistoryLimit"] == 1
        assert d["prunedBecause"]["user"] == rh.DEPLOYMENT_CONTROLLER
