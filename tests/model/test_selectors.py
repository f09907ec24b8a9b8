"""Label selectors (labels.Parse, LabelSelectorAsSelector, ValidateLabelSelector) and field selectors."""

import pytest
from hypothesis import given, strategies as st

from engine.errors import StatusError
from engine.model.selectors import (
    EVERYTHING,
    NOTHING,
    FieldSelector,
    parse_field_selector,
    parse_label_selector,
    selectable_fields,
    selector_from_label_selector,
    selector_from_set,
    validate_label_selector,
)

LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
    "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
    "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)


def bad(text: str) -> StatusError:
    with pytest.raises(StatusError) as e:
        parse_label_selector(text)
    assert e.value.code == 400 and e.value.reason == "BadRequest"
    return e.value


# -- labels.Parse --------------------------------------------------------------------------------


def test_in_and_not_equals_vector():
    s = parse_label_selector("app in (a,b),tier!=db")
    assert s.matches({"app": "a", "tier": "web"})
    assert not s.matches({"app": "c"})
    assert not s.matches({"app": "a", "tier": "db"})
    assert s.matches({"app": "b"})  # != matches a missing key


def test_does_not_exist_matches_empty():
    s = parse_label_selector("!a")
    assert s.matches({})
    assert not s.matches({"a": ""})


def test_exists():
    s = parse_label_selector("a")
    assert s.matches({"a": ""}) and not s.matches({"b": "x"})


@pytest.mark.parametrize(
    "text, labels, expected",
    [
        ("a=b", {"a": "b"}, True),
        ("a==b", {"a": "b"}, True),
        ("a=b", {"a": "c"}, False),
        ("a=b", {}, False),
        ("a!=b", {}, True),
        ("a notin (x)", {}, True),
        ("a notin (x)", {"a": "x"}, False),
        ("a in (x,y)", {"a": "y"}, True),
        ("app=", {"app": ""}, True),
        ("app=", {"app": "x"}, False),
        ("x in ()", {"x": ""}, True),
        ("a>1", {"a": "2"}, True),
        ("a>1", {"a": "1"}, False),
        ("a<1", {"a": "0"}, True),
        ("a>1", {"a": "x"}, False),
        ("a=b,c", {"a": "b", "c": "1"}, True),
        ("a=b,c", {"a": "b"}, False),
        ("", {"anything": "x"}, True),
        ("  a = b ,  c  ", {"a": "b", "c": "z"}, True),
        ("in in (in)", {"in": "in"}, True),
    ],
)
def test_matches(text, labels, expected):
    assert parse_label_selector(text).matches(labels) is expected


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("tier in (b,a),app=nginx", "app=nginx,tier in (a,b)"),
        ("b,!a", "!a,b"),
        ("a==b", "a==b"),
        ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
        ("a in (b,b)", "a in (b)"),
        ("a>5", "a>5"),
        ("", ""),
    ],
)
def test_canonical_string(text, canonical):
    assert str(parse_label_selector(text)) == canonical


def test_missing_operator():
    assert bad("a b").message == "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"


def test_trailing_token():
    assert bad("a=b c").message == "found 'c', expected: ',' or 'end of string'"


def test_trailing_comma():
    assert bad("a,").message == "found '', expected: identifier after ','"


def test_leading_operator():
    assert bad("=a").message == "found '=', expected: !, identifier, or 'end of string'"


def test_set_errors():
    assert bad("a in b").message == "unable to parse requirement: found 'b' expected: '('"
    assert bad("a in (b").message == "unable to parse requirement: found '', expected: ',' or ')'"
    assert bad("a=(b)").message == "unable to parse requirement: found '(', expected: identifier"


def test_invalid_value():
    assert bad("app=a@b").message == (
        'unable to parse requirement: values[0][app]: Invalid value: "a@b": ' + LABEL_VALUE_MSG
    )


def test_invalid_key():
    assert bad("-a=b").message == 'unable to parse requirement: <nil>: Invalid value: "-a": ' + NAME_PART_MSG


def test_gt_needs_integer():
    assert bad("a>b").message == (
        'unable to parse requirement: values[0]: Invalid value: "b": '
        "for 'Gt', 'Lt' operators, the value must be an integer"
    )


def test_empty_selector_is_everything():
    s = parse_label_selector("")
    assert s.is_empty() and not s.matches_nothing and s.matches({})


# -- metav1.LabelSelector ---------------------------------------------------------------------------


def test_nil_matches_nothing_empty_matches_everything():
    assert selector_from_label_selector(None) is NOTHING
    assert NOTHING.matches_nothing and not NOTHING.matches({}) and not NOTHING.is_empty()
    everything = selector_from_label_selector({})
    assert everything == EVERYTHING and everything.is_empty() and everything.matches({"a": "b"})
    assert str(NOTHING) == ""


def test_match_expressions():
    s = selector_from_label_selector(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "Exists"},
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "legacy", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "NotIn", "values": ["z1"]},
            ],
        }
    )
    assert str(s) == "app=web,env in (dev,prod),!legacy,tier,zone notin (z1)"
    assert s.matches({"app": "web", "tier": "fe", "env": "prod"})
    assert not s.matches({"app": "web", "env": "prod"})  # tier missing
    assert not s.matches({"app": "web", "tier": "fe", "env": "prod", "legacy": "1"})
    assert not s.matches({"app": "web", "tier": "fe", "env": "prod", "zone": "z1"})


def test_exists_expression_alone():
    s = selector_from_label_selector({"matchExpressions": [{"key": "tier", "operator": "Exists"}]})
    assert s.matches({"tier": ""}) and not s.matches({})


def test_label_selector_bad_operator():
    with pytest.raises(StatusError) as e:
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "Foo"}]})
    assert e.value.message == '"Foo" is not a valid label selector operator'


def test_label_selector_in_without_values():
    with pytest.raises(StatusError) as e:
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "In"}]})
    assert e.value.message == "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"


def test_selector_from_set():
    s = selector_from_set({"b": "2", "a": "1"})
    assert str(s) == "a=1,b=2"
    assert s.matches({"a": "1", "b": "2", "c": "3"}) and not s.matches({"a": "1"})
    assert selector_from_set({}).is_empty() and selector_from_set(None).matches({})


# -- ValidateLabelSelector --------------------------------------------------------------------------


def messages(errs):
    return [e.message() for e in errs]


def test_validate_label_selector_ok():
    assert validate_label_selector({"matchLabels": {"app": "x"}, "matchExpressions": [{"key": "a", "operator": "Exists"}]}, "spec.selector") == []
    assert validate_label_selector(None, "spec.selector") == []


def test_validate_label_selector_rules():
    errs = validate_label_selector(
        {
            "matchLabels": {"app": "bad value"},
            "matchExpressions": [
                {"key": "a", "operator": "In"},
                {"key": "b", "operator": "Exists", "values": ["x"]},
                {"key": "c", "operator": "Foo"},
                {"key": "-d", "operator": "NotIn", "values": ["ok", "no good"]},
            ],
        },
        "spec.selector",
    )
    assert messages(errs) == [
        'spec.selector.matchLabels: Invalid value: "bad value": ' + LABEL_VALUE_MSG,
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Foo": not a valid selector operator',
        'spec.selector.matchExpressions[3].key: Invalid value: "-d": ' + NAME_PART_MSG,
        'spec.selector.matchExpressions[3].values[1]: Invalid value: "no good": ' + LABEL_VALUE_MSG,
    ]


# -- field selectors ------------------------------------------------------------------------------------


POD = {
    "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {"nodeName": "node-a", "restartPolicy": "Always", "schedulerName": "default-scheduler", "serviceAccountName": "default"},
    "status": {"phase": "Running", "podIP": "10.0.0.5", "nominatedNodeName": ""},
}


def test_pod_field_selector():
    fs = parse_field_selector("spec.nodeName=node-a,status.phase!=Pending", "Pod")
    assert fs.matches(POD)
    assert not parse_field_selector("spec.nodeName==node-b", "Pod").matches(POD)
    assert parse_field_selector("metadata.name=web-1,metadata.namespace=default", "Pod").matches(POD)
    assert parse_field_selector("status.podIP=10.0.0.5", "Pod").matches(POD)
    assert parse_field_selector("spec.nodeName=", "Pod").matches({"kind": "Pod", "metadata": {"name": "x"}})
    assert str(fs) == "spec.nodeName=node-a,status.phase!=Pending"


def test_field_selector_unsupported_pod_field():
    with pytest.raises(StatusError) as e:
        parse_field_selector("spec.containers=x", "Pod")
    assert (e.value.code, e.value.reason, e.value.message) == (400, "BadRequest", "field label not supported: spec.containers")


@pytest.mark.parametrize(
    "kind, message",
    [
        ("Node", "field label not supported: foo"),
        ("Event", "field label not supported: foo"),
        ("Secret", "field label not supported: foo"),
        ("Namespace", "field label not supported: foo"),
        ("ConfigMap", 'field label "foo" not supported for "ConfigMap"'),
        ("Service", 'field label "foo" not supported for "Service"'),
        ("Job", 'field label "foo" not supported for batchv1.Job'),
        ("Deployment", '"foo" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    ],
)
def test_field_selector_unsupported_by_kind(kind, message):
    with pytest.raises(StatusError) as e:
        parse_field_selector("foo=bar", kind)
    assert e.value.message == message


def test_kind_specific_fields():
    ev = {"kind": "Event", "metadata": {"name": "e", "namespace": "d"}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": "d", "uid": "u1"}, "reason": "Started", "type": "Normal", "source": {"component": "kubelet"}}
    assert parse_field_selector("involvedObject.kind=Pod,involvedObject.name=p,involvedObject.uid=u1,reason=Started,type=Normal,source=kubelet", "Event").matches(ev)
    assert parse_field_selector("type=kubernetes.io/tls", "Secret").matches({"kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/tls"})
    assert parse_field_selector("spec.unschedulable=true", "Node").matches({"kind": "Node", "metadata": {"name": "n"}, "spec": {"unschedulable": True}})
    assert parse_field_selector("spec.unschedulable=false", "Node").matches({"kind": "Node", "metadata": {"name": "n"}})
    assert parse_field_selector("status.phase=Active", "Namespace").matches({"kind": "Namespace", "metadata": {"name": "n"}, "status": {"phase": "Active"}})
    assert parse_field_selector("status.replicas=3", "ReplicaSet").matches({"kind": "ReplicaSet", "metadata": {"name": "r"}, "status": {"replicas": 3}})
    assert parse_field_selector("status.replicas=0", "ReplicationController").matches({"kind": "ReplicationController", "metadata": {"name": "r"}})
    assert parse_field_selector("status.successful=1", "Job").matches({"kind": "Job", "metadata": {"name": "j"}, "status": {"succeeded": 1}})


def test_field_selector_syntax_errors():
    with pytest.raises(StatusError) as e:
        parse_field_selector("metadata.name", "Pod")
    assert e.value.message == "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
    with pytest.raises(StatusError) as e:
        parse_field_selector("metadata.name=a=b", "Pod")
    assert e.value.message == "invalid field selector: unescaped character in value: 61"
    with pytest.raises(StatusError) as e:
        parse_field_selector("metadata.name=a\\x", "Pod")
    assert e.value.message == "invalid field selector: invalid escape sequence: \\x"


def test_field_selector_escapes_and_empty():
    fs = parse_field_selector("metadata.name=a\\,b", "Pod")
    assert fs.matches({"kind": "Pod", "metadata": {"name": "a,b"}})
    assert str(fs) == "metadata.name=a\\,b"
    empty = parse_field_selector("", "Pod")
    assert isinstance(empty, FieldSelector) and empty.is_empty() and empty.matches(POD)


def test_selectable_fields_of_cluster_scoped_kind_has_no_namespace():
    assert "metadata.namespace" not in selectable_fields({"kind": "Node", "metadata": {"name": "n"}})
    assert selectable_fields(POD)["spec.nodeName"] == "node-a"


# -- properties ---------------------------------------------------------------------------------------

_key = st.from_regex(r"[a-z]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_val = st.from_regex(r"([a-z0-9]([a-z0-9._-]{0,8}[a-z0-9])?)?", fullmatch=True)


@given(st.dictionaries(_key, _val, max_size=4), st.dictionaries(_key, _val, max_size=4))
def test_set_selector_string_roundtrip(sel, labels):
    s = selector_from_set(sel)
    reparsed = parse_label_selector(str(s))
    assert reparsed.matches(labels) == s.matches(labels)
    assert s.matches({**labels, **sel})
