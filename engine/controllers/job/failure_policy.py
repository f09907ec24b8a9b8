"""`spec.podFailurePolicy` (`pod_failure_policy.go`): what a failed pod means for its Job.

`match(policy, pod)` returns (the FailJob message or None, whether the failure counts towards
backoffLimit, the matched action or None). Rules are tried in order; `onExitCodes` looks at the
terminated containers with a non-zero exit code (regular containers first, then init containers),
`onPodConditions` at the pod's conditions. `FailIndex` (with backoffLimitPerIndex, which this
controller does not implement beyond the match) counts the failure.
"""

from __future__ import annotations

IGNORE, FAIL_JOB, COUNT, FAIL_INDEX = "Ignore", "FailJob", "Count", "FailIndex"


def _matching_container(statuses: list[dict], req: dict) -> dict | None:
    for cs in statuses or ():
        term = (cs.get("state") or {}).get("terminated")
        if term is None:
            continue
        name = req.get("containerName")
        if name is not None and name != cs.get("name"):
            continue
        code = int(term.get("exitCode") or 0)
        if code == 0:
            continue
        values = [int(v) for v in req.get("values") or ()]
        op = req.get("operator")
        if (op == "In" and code in values) or (op == "NotIn" and code not in values):
            return cs
    return None


def _on_exit_codes(status: dict, req: dict) -> dict | None:
    return _matching_container(status.get("containerStatuses") or [], req) or \
        _matching_container(status.get("initContainerStatuses") or [], req)


def _on_conditions(status: dict, patterns: list[dict]) -> dict | None:
    for c in status.get("conditions") or ():
        for p in patterns:
            if c.get("type") == p.get("type") and c.get("status") == (p.get("status") or "True"):
                return c
    return None


def match(policy: dict | None, pod: dict) -> tuple[str | None, bool, str | None]:
    if policy is None:
        return None, True, None
    status = pod.get("status") or {}
    meta = pod["metadata"]
    for index, rule in enumerate(policy.get("rules") or ()):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            cs = _on_exit_codes(status, rule["onExitCodes"])
            if cs is None:
                continue
            if action == IGNORE:
                return None, False, IGNORE
            if action in (COUNT, FAIL_INDEX):
                return None, True, action
            if action == FAIL_JOB:
                code = cs["state"]["terminated"].get("exitCode")
                return (f"Container {cs.get('name')} for pod {meta.get('namespace', '')}/{meta['name']} failed with "
                        f"exit code {code} matching {action} rule at index {index}"), True, FAIL_JOB
        elif rule.get("onPodConditions") is not None:
            cond = _on_conditions(status, rule["onPodConditions"])
            if cond is None:
                continue
            if action == IGNORE:
                return None, False, IGNORE
            if action in (COUNT, FAIL_INDEX):
                return None, True, action
            if action == FAIL_JOB:
                return (f"Pod {meta.get('namespace', '')}/{meta['name']} has condition {cond.get('type')} matching "
                        f"{action} rule at index {index}"), True, FAIL_JOB
    return None, True, None
