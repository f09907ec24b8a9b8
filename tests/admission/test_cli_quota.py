"""CLI smoke: `create quota` (kubectl's generator and errors), `get`/`describe quota`, and
`sim memory-pressure NODE [--off]`."""

import json

from log_tools.cli import main


def test_create_quota_get_and_describe(k):
    out, _ = k("create", "quota", "q", "--hard=pods=2,requests.cpu=0.5,limits.memory=1Gi")
    assert out == "resourcequota/q created\n"
    obj = json.loads(k("create", "quota", "be", "--hard=pods=1", "--scopes=BestEffort", "--dry-run=client", "-o", "json")[0])
    assert obj["spec"] == {"hard": {"pods": "1"}, "scopes": ["BestEffort"]} and obj["kind"] == "ResourceQuota"
    table = k("get", "quota")[0].splitlines()
    assert table[0].split() == ["NAME", "REQUEST", "LIMIT", "AGE"]
    assert "pods: 0/2, requests.cpu: 0/500m" in table[1] and "limits.memory: 0/1Gi" in table[1]
    k("run", "p", "--image=nginx", code=1)  # no requests under a requests.cpu quota
    described = k("describe", "quota", "q")[0]
    assert "Resource       Used  Hard" in described and "requests.cpu   0     500m" in described


def test_create_quota_bad_input(k):
    _, err = k("create", "quota", "bad", "--hard=pods", code=1)
    assert err.strip() == "error: Invalid argument syntax pods, expected <resource>=<value>"
    _, err = k("create", "quota", "bad", "--hard=foo=1", code=1)
    assert 'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota' in err
    _, err = k("create", "quota", code=1)
    assert "exactly one NAME is required, got 0" in err


def test_sim_memory_pressure_on_and_off(k):
    k("run", "be", "--image=nginx")
    k("advance", "5s")
    node = json.loads(k("get", "pod", "be", "-o", "json")[0])["spec"]["nodeName"]
    assert k("sim", "memory-pressure", node)[0] == f"node/{node} under memory pressure\n"
    pod = json.loads(k("get", "pod", "be", "-o", "json")[0])
    assert (pod["status"]["phase"], pod["status"]["reason"]) == ("Failed", "Evicted")
    assert k("sim", "memory-pressure", node, "--off")[0] == f"node/{node} memory pressure cleared\n"
    conds = json.loads(k("get", "node", node, "-o", "json")[0])["status"]["conditions"]
    assert next(c for c in conds if c["type"] == "MemoryPressure")["status"] == "False"
    k("sim", "memory-pressure", node, "--available", "lots", code=1)


def test_exec_shows_the_kubelets_oom_score_adj_per_qos_class(k, capsys):
    import os

    m = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "manifests")
    k("create", "namespace", "qos-example")
    for f in ("qos-guaranteed.yaml", "qos-burstable.yaml", "qos-besteffort.yaml"):
        k("create", "-f", os.path.join(m, f))
    k("advance", "5s")
    got = []
    for p in ("qos-demo", "qos-demo-2", "qos-demo-3"):  # global flags first: everything after `--` is the command
        assert main(["--data", k.data, "exec", p, "-n", "qos-example", "--", "cat", "/proc/self/oom_score_adj"]) == 0
        got.append(capsys.readouterr().out)
    assert got == ["-997\n", "988\n", "1000\n"]  # 8Gi nodes: 1000 - 1000 * 100Mi // 8Gi = 988
