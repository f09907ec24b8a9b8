"""RFC 7386 JSON merge patch and RFC 6902 JSON patch."""

from __future__ import annotations

import copy

import pytest

from engine.errors import StatusError
from reducers.patch import json_merge_patch, json_patch, two_way_json_merge_patch

# RFC 7386 Appendix A, all of it.
RFC7386_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize("original, patch, expected", RFC7386_EXAMPLES)
def test_rfc7386_appendix_a(original, patch, expected):
    assert json_merge_patch(original, patch) == expected


def test_merge_patch_label_removal_as_kubectl_label_sends_it():
    pod = {"metadata": {"name": "p", "labels": {"app": "x", "tier": "be"}}, "spec": {"containers": [{"name": "a"}]}}
    assert json_merge_patch(pod, {"metadata": {"labels": {"tier": None}}}) == {
        "metadata": {"name": "p", "labels": {"app": "x"}}, "spec": {"containers": [{"name": "a"}]}}


def test_merge_patch_replaces_lists_and_does_not_touch_inputs():
    original = {"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b"}], "keep": {"x": [1]}}}
    patch = {"spec": {"containers": [{"name": "a", "image": "2"}]}}
    o, p = copy.deepcopy(original), copy.deepcopy(patch)
    result = json_merge_patch(original, patch)
    assert result == {"spec": {"containers": [{"name": "a", "image": "2"}], "keep": {"x": [1]}}}
    assert original == o and patch == p
    result["spec"]["keep"]["x"].append(2)
    result["spec"]["containers"][0]["image"] = "3"
    assert original == o and patch == p


def test_two_way_json_merge_patch():
    a = {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"l": [1, 2], "m": {"x": 1}, "s": "v"}}
    b = {"metadata": {"labels": {"a": "1", "c": "3"}}, "spec": {"l": [2], "m": {}, "n": {}}}
    patch = two_way_json_merge_patch(a, b)
    assert patch == {"metadata": {"labels": {"b": None, "c": "3"}}, "spec": {"l": [2], "m": {"x": None}, "n": {}, "s": None}}
    assert json_merge_patch(a, patch) == b
    assert two_way_json_merge_patch(a, a) == {}


# -- RFC 6902 -------------------------------------------------------------------------------

DOC = {"metadata": {"name": "web", "labels": {"app": "web"}}, "spec": {"replicas": 1, "list": ["a", "b"]}}


@pytest.mark.parametrize(
    "ops, expected_changes",
    [
        ([{"op": "replace", "path": "/spec/replicas", "value": 3}], {"spec": {"replicas": 3, "list": ["a", "b"]}}),
        ([{"op": "add", "path": "/metadata/labels/tier", "value": "be"}],
         {"metadata": {"name": "web", "labels": {"app": "web", "tier": "be"}}}),
        ([{"op": "add", "path": "/spec/list/1", "value": "x"}], {"spec": {"replicas": 1, "list": ["a", "x", "b"]}}),
        ([{"op": "add", "path": "/spec/list/-", "value": "z"}], {"spec": {"replicas": 1, "list": ["a", "b", "z"]}}),
        ([{"op": "remove", "path": "/metadata/labels/app"}], {"metadata": {"name": "web", "labels": {}}}),
        ([{"op": "remove", "path": "/spec/list/0"}], {"spec": {"replicas": 1, "list": ["b"]}}),
        ([{"op": "move", "from": "/spec/replicas", "path": "/spec/count"}], {"spec": {"count": 1, "list": ["a", "b"]}}),
        ([{"op": "copy", "from": "/metadata/name", "path": "/metadata/labels/name"}],
         {"metadata": {"name": "web", "labels": {"app": "web", "name": "web"}}}),
        ([{"op": "test", "path": "/spec/replicas", "value": 1}, {"op": "replace", "path": "/spec/replicas", "value": 2}],
         {"spec": {"replicas": 2, "list": ["a", "b"]}}),
        ([{"op": "add", "path": "/metadata/labels/a~1b", "value": "slash"}],
         {"metadata": {"name": "web", "labels": {"app": "web", "a/b": "slash"}}}),
    ],
)
def test_json_patch_operations(ops, expected_changes):
    expected = {**copy.deepcopy(DOC), **expected_changes}
    before = copy.deepcopy(DOC)
    assert json_patch(DOC, ops) == expected
    assert DOC == before


def test_json_patch_values_are_copied_not_shared():
    value = {"k": "v"}
    ops = [{"op": "add", "path": "/a", "value": value}, {"op": "add", "path": "/a/k2", "value": 1}]
    result = json_patch({}, ops)
    assert result == {"a": {"k": "v", "k2": 1}}
    assert value == {"k": "v"} and ops[0]["value"] == {"k": "v"}


def invalid(ops, doc=DOC):
    with pytest.raises(StatusError) as info:
        json_patch(doc, ops)
    return info.value


@pytest.mark.parametrize(
    "op, message",
    [
        ({"op": "replace", "path": "/spec/foo", "value": 1},
         "jsonpatch replace operation does not apply: doc is missing key: /spec/foo: missing value"),
        ({"op": "remove", "path": "/spec/foo"},
         "jsonpatch remove operation does not apply: doc is missing path: /spec/foo: missing value"),
        ({"op": "add", "path": "/status/phase", "value": "x"},
         "jsonpatch add operation does not apply: doc is missing path: /status/phase: missing value"),
        ({"op": "test", "path": "/spec/replicas", "value": 2},
         "jsonpatch test operation does not apply: testing value /spec/replicas failed: test failed"),
        ({"op": "test", "path": "/spec/nope", "value": 2},
         "jsonpatch test operation does not apply: doc is missing path: /spec/nope: missing value"),
        ({"op": "move", "from": "/spec/nope", "path": "/spec/x"},
         "jsonpatch move operation does not apply: doc is missing from path: /spec/nope: missing value"),
        ({"op": "copy", "from": "/spec/nope", "path": "/spec/x"},
         "jsonpatch copy operation does not apply: doc is missing from path: /spec/nope: missing value"),
        ({"op": "add", "path": "/spec/list/7", "value": "x"},
         "jsonpatch add operation does not apply: invalid index referenced: /spec/list/7"),
        ({"op": "replace", "path": "/spec/list/7", "value": "x"},
         "jsonpatch replace operation does not apply: invalid index referenced: /spec/list/7"),
        ({"op": "move", "from": "/spec", "path": "/spec/inner"},
         "jsonpatch move operation does not apply: cannot move /spec into its own child /spec/inner"),
    ],
)
def test_json_patch_failures_are_422_naming_op_and_path(op, message):
    err = invalid([op])
    assert (err.code, err.reason, err.message) == (422, "Invalid", message)
    assert err.kubectl_text() == f"The request is invalid: {message}"


def test_json_patch_is_all_or_nothing():
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 9}, {"op": "test", "path": "/spec/replicas", "value": 1}]
    before = copy.deepcopy(DOC)
    assert invalid(ops).code == 422
    assert DOC == before


def test_json_patch_result_must_stay_an_object():
    err = invalid([{"op": "replace", "path": "", "value": [1]}])
    assert err.code == 422 and "JSON object" in err.message
    assert json_patch(DOC, [{"op": "replace", "path": "", "value": {"a": 1}}]) == {"a": 1}


@pytest.mark.parametrize(
    "ops, needle",
    [
        ({"op": "add", "path": "/a", "value": 1}, "must be a JSON array of operations, not an object"),
        ("[]", "not a string"),
        ([["add"]], "operation 0 must be a JSON object"),
        ([{"path": "/a", "value": 1}], 'operation 0 has no "op" member'),
        ([{"op": "replace", "path": "/spec/replicas", "value": 1}, {"op": "frobnicate", "path": "/a"}],
         "operation 1: unexpected op 'frobnicate'"),
        ([{"op": "add", "value": 1}], 'has no "path" member'),
        ([{"op": "add", "path": "spec", "value": 1}], "is not a JSON pointer"),
        ([{"op": "add", "path": "/a"}], 'has no "value" member'),
        ([{"op": "move", "path": "/a"}], 'has no "from" member'),
    ],
)
def test_malformed_json_patch_is_400(ops, needle):
    err = invalid(ops)
    assert (err.code, err.reason) == (400, "BadRequest")
    assert needle in err.message


def test_too_many_operations_is_413():
    ops = [{"op": "test", "path": "/spec/replicas", "value": 1}] * 10001
    assert invalid(ops).code == 413
