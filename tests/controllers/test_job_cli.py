"""`ktape create job|cronjob` (log_tools/commands/batchcmds.py), kubectl's generators field for field.

Until log_tools/cli.py registers batchcmds and engine.api.default_actors includes the batch
controllers, the fixture wires both in for the test (the way the lead will)."""

from __future__ import annotations

import argparse
import json

import pytest

import engine.api
from log_tools import cli
from log_tools.commands import batchcmds

from .test_job_builders import with_batch_actors


@pytest.fixture
def k(tmp_path, capsys, monkeypatch):
    base_actors, base_parser = engine.api.default_actors, cli.build_parser
    monkeypatch.setattr(engine.api, "default_actors", lambda: with_batch_actors(base_actors()))

    def build_parser():
        parser = base_parser()
        subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        if "--schedule" not in subs.choices["create"]._option_string_actions:
            batchcmds.register(subs, cli._globals(True))
        return parser

    monkeypatch.setattr(cli, "build_parser", build_parser)
    data = str(tmp_path / "data")
    assert cli.main(["init", "--start-time", "2026-01-01T00:00:00Z", "--data", data]) == 0
    capsys.readouterr()

    def run(*argv, code=0):
        try:
            rc = cli.main(["--data", data] + list(argv))  # global flags first: words after -- are the command
        except SystemExit as e:
            rc = e.code
        out = capsys.readouterr()
        assert rc == code, (argv, out.out, out.err)
        return out.out, out.err

    return run


def test_job_manifest_is_kubectls():
    assert batchcmds.job_manifest("hello", "busybox", ["echo", "hi"]) == {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"creationTimestamp": None, "name": "hello"},
        "spec": {"template": {"metadata": {"creationTimestamp": None}, "spec": {
            "containers": [{"command": ["echo", "hi"], "image": "busybox", "name": "hello", "resources": {}}],
            "restartPolicy": "Never"}}},
        "status": {}}


def test_cronjob_manifest_is_kubectls():
    m = batchcmds.cronjob_manifest("hello", "busybox", "*/1 * * * *")
    assert m["spec"] == {"jobTemplate": {"metadata": {"creationTimestamp": None, "name": "hello"}, "spec": {
        "template": {"metadata": {"creationTimestamp": None}, "spec": {
            "containers": [{"image": "busybox", "name": "hello", "resources": {}}], "restartPolicy": "OnFailure"}}}},
        "schedule": "*/1 * * * *"}


def test_job_from_cronjob():
    cj = {"metadata": {"name": "hello", "uid": "u1"},
          "spec": {"jobTemplate": {"metadata": {"labels": {"a": "b"}, "annotations": {"x": "y"}}, "spec": {"parallelism": 2}}}}
    job = batchcmds.job_from_cronjob("manual", cj)
    assert job["metadata"] == {"annotations": {"cronjob.kubernetes.io/instantiate": "manual", "x": "y"},
                               "creationTimestamp": None, "labels": {"a": "b"}, "name": "manual",
                               "ownerReferences": [{"apiVersion": "batch/v1", "controller": True, "kind": "CronJob",
                                                    "name": "hello", "uid": "u1"}]}
    assert job["spec"] == {"parallelism": 2}


def test_create_job_runs_to_completion(k):
    assert k("create", "job", "hello", "--image=busybox", "--", "echo", "Hello, Job")[0] == "job.batch/hello created\n"
    k("advance", "10s")
    out = k("get", "job", "hello")[0].splitlines()
    assert out[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert out[1].split() == ["hello", "Complete", "1/1", "1s", "10s"]
    job = json.loads(k("get", "job", "hello", "-o", "json")[0])
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "Hello, Job"]


def test_create_job_dry_run_prints_the_object(k):
    out = k("create", "job", "t", "--image=busybox", "--dry-run=client", "-o", "json", "--", "sh", "-c", "date")[0]
    assert json.loads(out) == batchcmds.job_manifest("t", "busybox", ["sh", "-c", "date"])
    assert k("get", "jobs")[1].strip() == "No resources found in default namespace."


def test_create_job_errors_are_kubectls(k):
    assert k("create", "job", "x", code=1)[1] == "error: either --image or --from must be specified\n"
    assert k("create", "job", "x", "--image=a", "--from=cronjob/y", code=1)[1] == \
        "error: either --image or --from must be specified\n"
    assert k("create", "job", "x", "--from=cronjob/y", "--", "echo", code=1)[1] == "error: cannot specify --from and command\n"
    k("create", "job", "x", "--image=busybox")
    assert k("create", "job", "x", "--image=busybox", code=1)[1] == 'error: failed to create job: jobs.batch "x" already exists\n'
    assert k("create", "job", "y", "--from=cronjob/nope", code=1)[1] == \
        'Error from server (NotFound): cronjobs.batch "nope" not found\n'


def test_create_cronjob_and_a_job_from_it(k):
    assert k("create", "cronjob", "hello", "--image=busybox", "--schedule=*/1 * * * *", "--", "date")[0] == \
        "cronjob.batch/hello created\n"
    cj = json.loads(k("get", "cronjob", "hello", "-o", "json")[0])
    assert cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    assert k("create", "job", "now", "--from=cronjob/hello")[0] == "job.batch/now created\n"
    job = json.loads(k("get", "job", "now", "-o", "json")[0])
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["ownerReferences"][0]["uid"] == cj["metadata"]["uid"]
    k("advance", "70s")
    names = [line.split()[0] for line in k("get", "jobs")[0].splitlines()[1:]]
    assert names == ["hello-29453761", "now"]


def test_create_cronjob_errors(k):
    assert k("create", "cronjob", "c", "--image=busybox", code=1)[1] == 'error: required flag(s) "schedule" not set\n'
    assert k("create", "cj", "c", code=1)[1] == 'error: required flag(s) "image", "schedule" not set\n'
    err = k("create", "cronjob", "c", "--image=busybox", "--schedule=* * *", code=1)[1]
    assert err == ('error: failed to create cronjob: CronJob.batch "c" is invalid: spec.schedule: Invalid value: '
                   '"* * *": expected exactly 5 fields, found 3: [* * *]\n')
    err = k("create", "cronjob", "c", "--image=busybox", "--schedule=* * * * *", "--restart=Always", code=1)[1]
    assert "spec.jobTemplate.spec.template.spec.restartPolicy: Required value" in err


def test_other_create_generators_still_work(k):
    assert k("create", "namespace", "team")[0] == "namespace/team created\n"
    assert k("create", "deployment", "web", "--image=nginx")[0] == "deployment.apps/web created\n"
