"""Object validation: names, ObjectMeta and per-kind rules, with upstream's exact messages."""

import copy

import pytest

from engine.errors import invalid
from engine.pipeline.validation import names
from engine.pipeline.validation.kinds import validate
from engine.pipeline.validation.meta import (
    go_label_selector,
    go_quote,
    go_string_map,
    go_time,
    validate_object_meta,
    validate_object_meta_update,
)

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)
PERCENT_MSG = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
    "regex used for validation is '[0-9]+%')"
)


def msgs(errs):
    return [e.message() for e in errs]


# -- names ----------------------------------------------------------------------------------------


def test_dns1123_subdomain():
    assert names.is_dns1123_subdomain("example.com") == []
    assert names.is_dns1123_subdomain("Web_1") == [SUBDOMAIN_MSG]
    assert names.is_dns1123_subdomain("a" * 254) == ["must be no more than 253 characters"]
    assert names.is_dns1123_subdomain("a\n") == [SUBDOMAIN_MSG]


def test_dns1123_label():
    assert names.is_dns1123_label("my-name") == []
    assert names.is_dns1123_label("Web_1") == [LABEL_MSG]
    assert names.is_dns1123_label("a.b") == ["must not contain dots"]
    assert names.is_dns1123_label("a" * 64) == ["must be no more than 63 characters"]


def test_dns1035_label():
    assert names.is_dns1035_label("web") == []
    assert names.is_dns1035_label("1web") == [DNS1035_MSG]


def test_qualified_name():
    assert names.is_qualified_name("example.com/MyName") == []
    assert names.is_qualified_name("-a") == [NAME_PART_MSG]
    assert names.is_qualified_name("/a") == ["prefix part must be non-empty"]
    assert names.is_qualified_name("a/") == ["name part must be non-empty", NAME_PART_MSG]
    assert names.is_qualified_name("Bad_Prefix/a") == ["prefix part " + SUBDOMAIN_MSG]
    assert names.is_qualified_name("a/b/c") == [
        "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
        "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
        "(e.g. 'example.com/MyName')"
    ]
    assert names.is_qualified_name("a" * 64) == ["name part must be no more than 63 characters"]


def test_label_value():
    assert names.is_valid_label_value("") == []
    assert names.is_valid_label_value("my_value") == []
    assert names.is_valid_label_value("bad value") == [LABEL_VALUE_MSG]
    assert names.is_valid_label_value("a" * 64) == ["must be no more than 63 characters"]


def test_config_map_key_and_c_identifier():
    assert names.is_config_map_key("key.name") == []
    assert names.is_config_map_key("bad key") == [CONFIG_KEY_MSG]
    assert names.is_config_map_key("..") == ["must not be '..'"]
    assert names.is_config_map_key("..a") == ["must not start with '..'"]
    assert names.is_c_identifier("MY_NAME") == []
    assert names.is_c_identifier("1abc") == [
        "a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric "
        "characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used for validation is "
        "'[A-Za-z_][A-Za-z0-9_]*')"
    ]


def test_percent_and_ports():
    assert names.is_valid_percent("25%") == []
    assert names.is_valid_percent("5") == [PERCENT_MSG]
    assert names.is_valid_port_num(0) == ["must be between 1 and 65535, inclusive"]
    assert names.is_valid_port_name("http") == []
    assert names.is_valid_port_name("1234") == ["must contain at least one letter (a-z)"]
    assert names.is_valid_port_name("a--b") == ["must not contain consecutive hyphens"]


# -- Go rendering ----------------------------------------------------------------------------------


def test_go_rendering():
    assert go_string_map({"tier": "web", "app": "x"}) == 'map[string]string{"app":"x", "tier":"web"}'
    assert go_string_map(None) == "map[string]string(nil)"
    assert go_string_map({}) == "map[string]string{}"
    assert go_quote('a"b\n\x01') == '"a\\"b\\n\\x01"'
    assert go_label_selector({"matchLabels": {"app": "a"}}) == (
        'v1.LabelSelector{MatchLabels:map[string]string{"app":"a"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}'
    )
    assert go_time("2024-01-02T03:04:05Z") == "2024-01-02 03:04:05 +0000 UTC"


# -- ObjectMeta -------------------------------------------------------------------------------------


def test_meta_name_required():
    assert msgs(validate_object_meta({"metadata": {"namespace": "d"}}, True)) == [
        "metadata.name: Required value: name or generateName is required"
    ]


def test_meta_invalid_name():
    errs = validate_object_meta({"metadata": {"name": "Web_1", "namespace": "d"}}, True)
    assert msgs(errs) == ['metadata.name: Invalid value: "Web_1": ' + SUBDOMAIN_MSG]
    errs = validate_object_meta({"metadata": {"name": "a.b"}}, False, "label")
    assert msgs(errs) == ['metadata.name: Invalid value: "a.b": must not contain dots']


def test_meta_generate_name():
    assert validate_object_meta({"metadata": {"generateName": "web-", "namespace": "d"}}, True) == []
    errs = validate_object_meta({"metadata": {"generateName": "Web_", "namespace": "d"}}, True)
    assert msgs(errs) == ['metadata.generateName: Invalid value: "Web_": ' + SUBDOMAIN_MSG]


def test_meta_namespace_rules():
    assert msgs(validate_object_meta({"metadata": {"name": "a"}}, True)) == ["metadata.namespace: Required value"]
    assert msgs(validate_object_meta({"metadata": {"name": "a", "namespace": "x"}}, False)) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]
    assert msgs(validate_object_meta({"metadata": {"name": "a", "namespace": "Bad_NS"}}, True)) == [
        'metadata.namespace: Invalid value: "Bad_NS": ' + LABEL_MSG
    ]


def test_meta_labels_and_annotations():
    errs = validate_object_meta(
        {"metadata": {"name": "a", "namespace": "d", "labels": {"ok": "bad value!", "-k": "v"}, "annotations": {"Example.COM/x": "1", "bad key": "v"}}},
        True,
    )
    assert msgs(errs) == [
        'metadata.labels: Invalid value: "-k": ' + NAME_PART_MSG,
        'metadata.labels: Invalid value: "bad value!": ' + LABEL_VALUE_MSG,
        'metadata.annotations: Invalid value: "bad key": ' + NAME_PART_MSG,
    ]


def test_meta_annotation_size():
    errs = validate_object_meta({"metadata": {"name": "a", "namespace": "d", "annotations": {"a": "x" * 262144}}}, True)
    assert msgs(errs) == ["metadata.annotations: Too long: must have at most 262144 bytes"]
    assert validate_object_meta({"metadata": {"name": "a", "namespace": "d", "annotations": {"a": "x" * 262143}}}, True) == []


def test_meta_generation_and_finalizers():
    errs = validate_object_meta({"metadata": {"name": "a", "namespace": "d", "generation": -1, "finalizers": ["foo"]}}, True)
    assert msgs(errs) == [
        "metadata.generation: Invalid value: -1: must be greater than or equal to 0",
        'metadata.finalizers[0]: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified',
    ]


def test_meta_update_immutable():
    old = {"metadata": {"name": "a", "namespace": "d", "uid": "u1", "creationTimestamp": "2024-01-01T00:00:00Z"}}
    new = {"metadata": {"name": "b", "namespace": "e", "uid": "u2", "creationTimestamp": "2024-01-02T00:00:00Z"}}
    assert msgs(validate_object_meta_update(new, old)) == [
        'metadata.name: Invalid value: "b": field is immutable',
        'metadata.namespace: Invalid value: "e": field is immutable',
        'metadata.uid: Invalid value: "u2": field is immutable',
        "metadata.creationTimestamp: Invalid value: 2024-01-02 00:00:00 +0000 UTC: field is immutable",
    ]
    assert validate_object_meta_update(copy.deepcopy(old), old) == []
    # an update that omits uid / creationTimestamp keeps the stored ones (rest.BeforeUpdate)
    assert validate_object_meta_update({"metadata": {"name": "a", "namespace": "d"}}, old) == []


# -- workloads -------------------------------------------------------------------------------------------


def deployment(**spec):
    base = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}},
    }
    base.update(spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"}, "spec": base}


def test_valid_deployment():
    assert validate(deployment()) == []


def test_deployment_template_labels_miss_selector():
    d = deployment(template={"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}})
    errs = validate(d)
    assert msgs(errs) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`'
    ]
    status = invalid("Deployment", "apps", "web", errs)
    assert status.message == (
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"x"}: `selector` does not match template `labels`'
    )


def test_deployment_negative_replicas():
    assert msgs(validate(deployment(replicas=-1))) == ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]


def test_deployment_selector_required_and_empty():
    d = deployment()
    del d["spec"]["selector"]
    assert msgs(validate(d)) == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]
    assert msgs(validate(deployment(selector={}))) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
    ]


def test_deployment_invalid_selector_expression():
    d = deployment(selector={"matchExpressions": [{"key": "app", "operator": "Foo", "values": ["web"]}]})
    assert msgs(validate(d)) == [
        'spec.selector.matchExpressions[0].operator: Invalid value: "Foo": not a valid selector operator',
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:'
        '[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Foo", Values:[]string{"web"}}}}: '
        "invalid label selector",
    ]


def test_deployment_max_surge_and_unavailable_zero():
    d = deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}})
    assert msgs(validate(d)) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
    ]
    # one zero is fine: the other defaults to 25%
    assert validate(deployment(strategy={"rollingUpdate": {"maxSurge": 0}})) == []


def test_deployment_max_surge_not_a_percent():
    d = deployment(strategy={"rollingUpdate": {"maxSurge": "5"}})
    assert msgs(validate(d)) == ["spec.strategy.rollingUpdate.maxSurge: Invalid value: 5: " + PERCENT_MSG]


def test_deployment_rolling_update_limits():
    d = deployment(strategy={"rollingUpdate": {"maxUnavailable": "150%", "maxSurge": -1}})
    assert msgs(validate(d)) == [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0",
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%",
    ]


def test_deployment_strategy_type():
    assert msgs(validate(deployment(strategy={"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}))) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]
    assert msgs(validate(deployment(strategy={"type": "BlueGreen"}))) == [
        'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", '
        'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"'
    ]


def test_deployment_deadlines_and_history():
    assert msgs(validate(deployment(minReadySeconds=600))) == [
        "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"
    ]
    assert msgs(validate(deployment(revisionHistoryLimit=-2, progressDeadlineSeconds=-1))) == [
        "spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0",
        "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
        "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than minReadySeconds",
    ]


def test_deployment_restart_policy_must_be_always():
    d = deployment()
    d["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert msgs(validate(d)) == ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']


def test_deployment_selector_immutable_on_update():
    old = deployment()
    new = deployment(selector={"matchLabels": {"app": "web", "tier": "fe"}})
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "fe"
    assert msgs(validate(new, old)) == [
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"fe"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    ]
    assert validate(deployment(replicas=5), old) == []


def test_template_pod_spec_is_validated():
    d = deployment(template={"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "Web_1"}]}})
    assert msgs(validate(d)) == [
        'spec.template.spec.containers[0].name: Invalid value: "Web_1": ' + LABEL_MSG,
        "spec.template.spec.containers[0].image: Required value",
    ]
    d = deployment(template={"metadata": {"labels": {"app": "web", "bad": "a b"}}, "spec": {}})
    assert msgs(validate(d)) == [
        'spec.template.labels: Invalid value: "a b": ' + LABEL_VALUE_MSG,
        "spec.template.spec.containers: Required value",
    ]


def test_replicaset():
    rs = deployment()
    rs["kind"] = "ReplicaSet"
    assert validate(rs) == []
    rs["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    assert msgs(validate(rs)) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'
    ]
    rs["spec"]["selector"] = {}
    assert msgs(validate(rs))[0].endswith("empty selector is invalid for deployment")


def test_replication_controller():
    rc = {
        "kind": "ReplicationController",
        "metadata": {"name": "rc", "namespace": "d"},
        "spec": {"selector": {"app": "a"}, "template": {"metadata": {"labels": {"app": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}},
    }
    assert msgs(validate(rc)) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: selector does not match template labels'
    ]
    rc["spec"]["selector"] = {}
    assert validate(rc) == []  # defaulted from the template labels
    rc["spec"]["template"]["metadata"]["labels"] = {}
    assert msgs(validate(rc)) == ["spec.selector: Required value"]


def daemonset(**spec):
    d = deployment(**spec)
    d["kind"] = "DaemonSet"
    d["spec"].pop("replicas", None)
    return d


def test_daemonset():
    assert validate(daemonset()) == []
    assert msgs(validate(daemonset(updateStrategy={"rollingUpdate": {"maxUnavailable": 0}}))) == [
        "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"
    ]
    assert msgs(validate(daemonset(updateStrategy={"rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}))) == [
        "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"
    ]
    assert msgs(validate(daemonset(selector={}))) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset"
    ]


def statefulset(**spec):
    d = deployment(**spec)
    d["kind"] = "StatefulSet"
    d["spec"].setdefault("serviceName", "web")
    return d


def test_statefulset():
    assert validate(statefulset()) == []
    errs = validate(statefulset(podManagementPolicy="Random", updateStrategy={"type": "Sometimes"}))
    assert msgs(errs) == [
        'spec.podManagementPolicy: Invalid value: "Random": must be \'OrderedReady\' or \'Parallel\'',
        'spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:"Sometimes", '
        "RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'",
    ]
    sts = statefulset()
    sts["metadata"]["name"] = "web.v1"
    assert msgs(validate(sts)) == ['metadata.name: Invalid value: "web.v1": must not contain dots']
    assert msgs(validate(statefulset(selector={}))) == [
        "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset"
    ]


def test_statefulset_update_forbidden_fields():
    old = statefulset()
    assert validate(statefulset(replicas=5), old) == []
    assert msgs(validate(statefulset(serviceName="other"), old)) == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
    ]


def job(**spec):
    base = {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}}}
    base.update(spec)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi", "namespace": "default"}, "spec": base}


def test_job():
    assert validate(job()) == []
    j = job()
    del j["spec"]["template"]["spec"]["restartPolicy"]
    assert msgs(validate(j)) == ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']
    j["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert msgs(validate(j)) == ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']
    assert msgs(validate(job(parallelism=-1, completions=-2, backoffLimit=-3))) == [
        "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
        "spec.completions: Invalid value: -2: must be greater than or equal to 0",
        "spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0",
    ]


def test_job_manual_selector():
    assert msgs(validate(job(manualSelector=True))) == ["spec.selector: Required value"]
    j = job(manualSelector=True, selector={"matchLabels": {"a": "b"}})
    assert msgs(validate(j)) == [
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`"
    ]


def test_cronjob():
    cj = {
        "kind": "CronJob",
        "metadata": {"name": "c" * 53, "namespace": "d"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}}},
    }
    assert msgs(validate(cj)) == [
        "spec.schedule: Required value",
        'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
        f'metadata.name: Invalid value: "{"c" * 53}": must be no more than 52 characters',
    ]


# -- pods -----------------------------------------------------------------------------------------------


def pod(**spec):
    base = {"containers": [{"name": "web", "image": "nginx"}]}
    base.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "default"}, "spec": base}


def test_valid_pod():
    assert validate(pod()) == []


def test_pod_containers():
    assert msgs(validate(pod(containers=[]))) == ["spec.containers: Required value"]
    p = pod(containers=[{"name": "a", "image": "x"}, {"name": "a", "image": "y"}, {"image": "z"}])
    assert msgs(validate(p)) == ['spec.containers[1].name: Duplicate value: "a"', "spec.containers[2].name: Required value"]


def test_pod_invalid_name():
    p = pod()
    p["metadata"]["name"] = "Web_1"
    assert msgs(validate(p)) == ['metadata.name: Invalid value: "Web_1": ' + SUBDOMAIN_MSG]


def test_pod_label_value_with_space():
    p = pod()
    p["metadata"]["labels"] = {"app": "bad value!"}
    assert msgs(validate(p)) == ['metadata.labels: Invalid value: "bad value!": ' + LABEL_VALUE_MSG]


def test_pod_ports():
    p = pod(containers=[{"name": "w", "image": "i", "ports": [{"containerPort": 70000}, {"containerPort": 0}, {"containerPort": 80, "hostPort": 99999, "protocol": "HTTP"}]}])
    assert msgs(validate(p)) == [
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        "spec.containers[0].ports[1].containerPort: Required value",
        "spec.containers[0].ports[2].hostPort: Invalid value: 99999: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ]


def test_pod_restart_policy():
    assert msgs(validate(pod(restartPolicy="Sometimes"))) == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
    ]


def test_pod_resources():
    p = pod(containers=[{"name": "w", "image": "i", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1500m", "memory": "512Mi"}}}])
    assert msgs(validate(p)) == [
        'spec.containers[0].resources.requests: Invalid value: "1500m": must be less than or equal to cpu limit of 1'
    ]
    p = pod(containers=[{"name": "w", "image": "i", "resources": {"requests": {"cpu": "abc", "memory": "-1"}}}])
    assert msgs(validate(p)) == [
        'spec.containers[0].resources.requests[cpu]: Invalid value: "abc": quantities must match the regular '
        "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        "spec.containers[0].resources.requests[memory]: Invalid value: -1: must be greater than or equal to 0",
    ]
    p = pod(containers=[{"name": "w", "image": "i", "resources": {"limits": {"gpu": "1"}}}])
    assert msgs(validate(p)) == [
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified',
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers',
    ]


def test_pod_volumes_and_mounts():
    p = pod(
        volumes=[{"name": "data", "emptyDir": {}}, {"name": "cfg"}],
        containers=[{"name": "w", "image": "i", "volumeMounts": [{"name": "data", "mountPath": "/d"}, {"name": "missing", "mountPath": "/d"}]}],
    )
    assert msgs(validate(p)) == [
        "spec.volumes[1]: Required value: must specify a volume type",
        'spec.containers[0].volumeMounts[1].name: Not found: "missing"',
        'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
    ]


# -- services and config ------------------------------------------------------------------------------


def service(**spec):
    base = {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    base.update(spec)
    return {"kind": "Service", "metadata": {"name": "web", "namespace": "default"}, "spec": base}


def test_service():
    assert validate(service()) == []
    assert msgs(validate(service(ports=[{"port": 0, "targetPort": 8080}]))) == [
        "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"
    ]
    assert msgs(validate(service(type="Magic"))) == [
        'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'
    ]
    assert msgs(validate(service(ports=[{"port": 80, "protocol": "ICMP"}]))) == [
        'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'
    ]
    assert msgs(validate(service(ports=[]))) == ["spec.ports: Required value"]
    assert msgs(validate(service(type="ExternalName", ports=[]))) == ["spec.externalName: Required value"]
    assert validate(service(type="ExternalName", externalName="db.example.com.", ports=[])) == []
    assert msgs(validate(service(ports=[{"port": 80}, {"port": 443}]))) == [
        "spec.ports[0].name: Required value",
        "spec.ports[1].name: Required value",
    ]


def test_service_name_is_dns1035():
    s = service()
    s["metadata"]["name"] = "1web"
    assert msgs(validate(s)) == ['metadata.name: Invalid value: "1web": ' + DNS1035_MSG]


def test_configmap():
    cm = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d"}, "data": {"good.key": "v", "bad key": "v"}}
    assert msgs(validate(cm)) == ['data[bad key]: Invalid value: "bad key": ' + CONFIG_KEY_MSG]
    big = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d"}, "data": {"a": "x" * (1024 * 1024 + 1)}}
    assert [e.body() for e in validate(big)] == ["Too long: must have at most 1048576 bytes"]


def secret(stype, data=None, **meta):
    m = {"name": "s", "namespace": "d", **meta}
    return {"kind": "Secret", "metadata": m, "type": stype, "data": data or {}}


def test_secret_types():
    assert msgs(validate(secret("kubernetes.io/dockerconfigjson"))) == ["data[.dockerconfigjson]: Required value"]
    assert msgs(validate(secret("kubernetes.io/basic-auth"))) == ["data[username]: Required value", "data[password]: Required value"]
    assert validate(secret("kubernetes.io/basic-auth", {"username": "YQ=="})) == []
    assert msgs(validate(secret("kubernetes.io/tls", {"tls.crt": "YQ=="}))) == ["data[tls.key]: Required value"]
    assert msgs(validate(secret("kubernetes.io/service-account-token"))) == [
        "metadata.annotations[kubernetes.io/service-account.name]: Required value"
    ]
    assert msgs(validate(secret("Opaque", {"bad key": "YQ=="}))) == ['data[bad key]: Invalid value: "bad key": ' + CONFIG_KEY_MSG]
    ok = secret("kubernetes.io/dockerconfigjson", {".dockerconfigjson": "eyJhdXRocyI6e319"})
    assert validate(ok) == []


def test_secret_string_data_and_type_immutable():
    s = {"kind": "Secret", "metadata": {"name": "s", "namespace": "d"}, "type": "kubernetes.io/tls", "stringData": {"tls.crt": "c", "tls.key": "k"}}
    assert validate(s) == []
    old = secret("Opaque", {"a": "YQ=="})
    new = secret("kubernetes.io/basic-auth", {"a": "YQ==", "username": "YQ=="})
    assert msgs(validate(new, old)) == ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']


def test_namespace_node_sa():
    assert msgs(validate({"kind": "Namespace", "metadata": {"name": "Team_A"}})) == ['metadata.name: Invalid value: "Team_A": ' + LABEL_MSG]
    assert msgs(validate({"kind": "Namespace", "metadata": {"name": "a", "namespace": "x"}})) == [
        "metadata.namespace: Forbidden: not allowed on this type"
    ]
    node = {"kind": "Node", "metadata": {"name": "n1"}, "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}}
    assert msgs(validate(node)) == [
        'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'
    ]
    assert validate({"kind": "ServiceAccount", "metadata": {"name": "builder", "namespace": "d"}}) == []


def test_resource_quota_and_limit_range():
    rq = {"kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "d"}, "spec": {"hard": {"pods": "1.5", "cpu": "-1", "foo": "1"}}}
    assert msgs(validate(rq)) == [
        "spec.hard[cpu]: Invalid value: -1: must be greater than or equal to 0",
        'spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
        'spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota',
        "spec.hard[pods]: Invalid value: 1500m: must be an integer",
    ]
    lr = {"kind": "LimitRange", "metadata": {"name": "l", "namespace": "d"}, "spec": {"limits": [{"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}}]}}
    assert msgs(validate(lr)) == ["spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1"]


def test_pvc():
    pvc = {"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "d"}, "spec": {}}
    assert msgs(validate(pvc)) == [
        "spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources[storage]: Required value",
    ]
    pvc["spec"] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    assert validate(pvc) == []
    pvc["spec"]["accessModes"] = ["ReadWriteSometimes"]
    pvc["spec"]["resources"]["requests"]["storage"] = "0"
    assert msgs(validate(pvc)) == [
        'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", '
        '"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
        'spec.resources[storage]: Invalid value: "0": must be greater than zero',
    ]


def test_other_kinds_get_metadata_checks():
    assert msgs(validate({"kind": "Lease", "metadata": {"name": "Bad_Name", "namespace": "d"}})) == [
        'metadata.name: Invalid value: "Bad_Name": ' + SUBDOMAIN_MSG
    ]
    assert validate({"kind": "ClusterRole", "metadata": {"name": "system:controller:x"}}) == []
    assert msgs(validate({"kind": "ClusterRole", "metadata": {"name": "a/b"}})) == [
        "metadata.name: Invalid value: \"a/b\": may not contain '/'"
    ]


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "DaemonSet", "Job", "Pod", "ConfigMap", "Secret", "Service"])
def test_causes_have_upstream_reasons(kind):
    obj = {"kind": kind, "metadata": {"namespace": "d"}}
    errs = validate(obj)
    assert errs[0].message() == "metadata.name: Required value: name or generateName is required"
    assert errs[0].cause()["reason"] == "FieldValueRequired"
