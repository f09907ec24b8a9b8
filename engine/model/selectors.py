"""Label and field selectors with apimachinery's grammar, semantics and error texts.

* `parse_label_selector` is `labels.Parse` (the `kubectl -l` syntax): `a=b`, `a==b`, `a!=b`,
  `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma = AND.  Errors raise
  `StatusError(400, "BadRequest", <labels.Parse error text>)`.
* `selector_from_label_selector` is `metav1.LabelSelectorAsSelector` (nil -> matches nothing,
  `{}` -> matches everything); `selector_from_set` is `labels.SelectorFromSet`.
* `validate_label_selector` is `metav1validation.ValidateLabelSelector`.
* `parse_field_selector(text, kind)` is `fields.ParseSelector` plus the per-kind field label
  conversion functions the API server registers; `FieldSelector.matches` evaluates it against
  the kind's selectable fields (`PodToSelectableFields`, ...).

Pure: no clock, randomness, hashing or I/O.
"""

from __future__ import annotations

import functools

from typing import Any, Iterable, Mapping

import attrs

from engine.errors import FieldError, StatusError
from engine.pipeline.validation import names
from engine.pipeline.validation.meta import GoFieldError, go_quote, go_string_slice, validate_label_name, validate_labels

# selection.Operator values
IN = "in"
NOT_IN = "notin"
EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
EXISTS = "exists"
DOES_NOT_EXIST = "!"
GREATER_THAN = "gt"
LESS_THAN = "lt"

BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
UNARY_OPERATORS = (EXISTS, DOES_NOT_EXIST)
VALID_REQUIREMENT_OPERATORS = BINARY_OPERATORS + UNARY_OPERATORS

LABEL_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_LS_OP = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}


def _bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


class _RequirementError(Exception):
    """An aggregated field error list from `NewRequirement` (message already rendered)."""


def _go_int(s: str) -> int | None:
    """`strconv.ParseInt(s, 10, 64)`."""
    body = s[1:] if s[:1] in "+-" else s
    if not body or not body.isascii() or not body.isdigit():
        return None
    v = int(s)
    if not -(2**63) <= v < 2**63:
        return None
    return v


def _aggregate(errs: list[FieldError]) -> str:
    """`utilerrors.NewAggregate(...).Error()`: one message, or `[a, b]` deduplicated."""
    msgs: list[str] = []
    for e in errs:
        m = f"{e.field}: {e.body()}"
        if m not in msgs:
            msgs.append(m)
    if len(msgs) == 1:
        return msgs[0]
    return "[" + ", ".join(msgs) + "]"


def _validate_label_key(key: str, path: str) -> FieldError | None:
    errs = names.is_qualified_name(key)
    if errs:
        return FieldError("Invalid", path, key, "; ".join(errs))
    return None


@attrs.frozen
class Requirement:
    """One `labels.Requirement`: key, `selection.Operator`, values (as given)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    @classmethod
    def new(cls, key: str, operator: str, values: Iterable[str] = (), path: str = "") -> "Requirement":
        """`labels.NewRequirement`: validates and raises `_RequirementError` with upstream's text."""
        vals = tuple(values)
        errs: list[FieldError] = []
        key_path = f"{path}.key" if path else "key"
        values_path = f"{path}.values" if path else "values"
        e = _validate_label_key(key, key_path)
        if e is not None:
            errs.append(e)
        if operator in (IN, NOT_IN):
            if not vals:
                errs.append(
                    GoFieldError("Invalid", values_path, go_string_slice(vals), "for 'in', 'notin' operators, values set can't be empty")
                )
        elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
            if len(vals) != 1:
                errs.append(
                    GoFieldError("Invalid", values_path, go_string_slice(vals), "exact-match compatibility requires one single value")
                )
        elif operator in (EXISTS, DOES_NOT_EXIST):
            if vals:
                errs.append(
                    GoFieldError(
                        "Invalid", values_path, go_string_slice(vals), "values set must be empty for exists and does not exist"
                    )
                )
        elif operator in (GREATER_THAN, LESS_THAN):
            if len(vals) != 1:
                errs.append(
                    GoFieldError(
                        "Invalid", values_path, go_string_slice(vals), "for 'Gt', 'Lt' operators, exactly one value is required"
                    )
                )
            for i, v in enumerate(vals):
                if _go_int(v) is None:
                    errs.append(
                        FieldError("Invalid", f"{values_path}[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer")
                    )
        else:
            errs.append(
                FieldError("NotSupported", f"{path}.operator" if path else "operator", operator, supported=VALID_REQUIREMENT_OPERATORS)
            )
        for i, v in enumerate(vals):
            msgs = names.is_valid_label_value(v)
            if msgs:
                errs.append(FieldError("Invalid", f"{values_path}[{i}][{key}]", v, "; ".join(msgs)))
        if errs:
            raise _RequirementError(_aggregate(errs))
        return cls(key, operator, vals)

    def matches(self, labels: Mapping[str, Any]) -> bool:
        op = self.operator
        present = self.key in labels
        if op in (IN, EQUALS, DOUBLE_EQUALS):
            return present and _label_str(labels[self.key]) in self.values
        if op in (NOT_IN, NOT_EQUALS):
            return (not present) or _label_str(labels[self.key]) not in self.values
        if op == EXISTS:
            return present
        if op == DOES_NOT_EXIST:
            return not present
        if op in (GREATER_THAN, LESS_THAN):
            if not present:
                return False
            lv = _go_int(_label_str(labels[self.key]))
            if lv is None or len(self.values) != 1:
                return False
            rv = _go_int(self.values[0])
            if rv is None:
                return False
            return lv > rv if op == GREATER_THAN else lv < rv
        return False

    def __str__(self) -> str:
        op = self.operator
        out = "!" if op == DOES_NOT_EXIST else ""
        out += self.key
        if op in (EXISTS, DOES_NOT_EXIST):
            return out
        out += {
            EQUALS: "=",
            DOUBLE_EQUALS: "==",
            NOT_EQUALS: "!=",
            IN: " in ",
            NOT_IN: " notin ",
            GREATER_THAN: ">",
            LESS_THAN: "<",
        }.get(op, "")
        vals = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op in (IN, NOT_IN):
            return f"{out}({vals})"
        return out + vals


def _label_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


@attrs.frozen
class Selector:
    """A label selector: AND of requirements, or the special "nothing" selector."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    @property
    def matches_nothing(self) -> bool:
        """`labels.MatchesNothing`: true only for the selector of a nil `LabelSelector`."""
        return self.nothing

    def matches(self, labels: Mapping[str, Any] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def is_empty(self) -> bool:
        """`Selector.Empty()`: selects everything (the nothing selector is not empty)."""
        if self.nothing:
            return False
        return not self.requirements

    def add(self, *reqs: Requirement) -> "Selector":
        if self.nothing:
            return self
        return Selector(tuple(sorted(self.requirements + tuple(reqs), key=lambda r: r.key)))

    def requires_exact_match(self, key: str) -> tuple[str, bool]:
        for r in self.requirements:
            if r.key == key:
                if r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1:
                    return r.values[0], True
                return "", False
        return "", False

    def __str__(self) -> str:
        if self.nothing:
            return ""
        return ",".join(str(r) for r in self.requirements)


EVERYTHING = Selector()
NOTHING = Selector(nothing=True)


# -- labels.Parse ------------------------------------------------------------------------------

_ERROR, _EOS, _CLOSE, _COMMA, _NOT, _DEQ, _EQ, _GT, _ID, _IN, _LT, _NEQ, _NOTIN, _OPEN = range(14)
_STRING2TOKEN = {
    ")": _CLOSE,
    ",": _COMMA,
    "!": _NOT,
    "==": _DEQ,
    "=": _EQ,
    ">": _GT,
    "in": _IN,
    "<": _LT,
    "!=": _NEQ,
    "notin": _NOTIN,
    "(": _OPEN,
}
_WHITESPACE = " \t\r\n"
_SPECIAL = "=!(),><"


class _Lexer:
    def __init__(self, s: str):
        self.s = s
        self.pos = 0

    def read(self) -> str:
        if self.pos < len(self.s):
            ch = self.s[self.pos]
            self.pos += 1
            return ch
        return "\x00"

    def unread(self) -> None:
        self.pos -= 1

    def _scan_id(self) -> tuple[int, str]:
        buf = []
        while True:
            ch = self.read()
            if ch == "\x00":
                break
            if ch in _SPECIAL or ch in _WHITESPACE:
                self.unread()
                break
            buf.append(ch)
        s = "".join(buf)
        return _STRING2TOKEN.get(s, _ID), s

    def _scan_special(self) -> tuple[int, str]:
        last: tuple[int, str] | None = None
        buf = ""
        while True:
            ch = self.read()
            if ch == "\x00":
                break
            if ch in _SPECIAL:
                buf += ch
                tok = _STRING2TOKEN.get(buf)
                if tok is not None:
                    last = (tok, buf)
                elif last is not None:
                    self.unread()
                    break
            else:
                self.unread()
                break
        if last is None:
            return _ERROR, f"error expected: keyword found '{buf}'"
        return last

    def lex(self) -> tuple[int, str]:
        ch = self.read()
        while ch in _WHITESPACE:
            ch = self.read()
        if ch == "\x00":
            return _EOS, ""
        self.unread()
        if ch in _SPECIAL:
            return self._scan_special()
        return self._scan_id()


class _ParseError(Exception):
    pass


class _Parser:
    KEY_AND_OPERATOR = 0
    VALUES = 1

    def __init__(self, s: str):
        lexer = _Lexer(s)
        self.items: list[tuple[int, str]] = []
        while True:
            tok, lit = lexer.lex()
            self.items.append((tok, lit))
            if tok == _EOS:
                break
        self.position = 0

    def _ctx(self, tok: int, context: int) -> int:
        if context == self.VALUES and tok in (_IN, _NOTIN):
            return _ID
        return tok

    def lookahead(self, context: int) -> tuple[int, str]:
        tok, lit = self.items[self.position]
        return self._ctx(tok, context), lit

    def consume(self, context: int) -> tuple[int, str]:
        tok, lit = self.items[self.position]
        self.position += 1
        return self._ctx(tok, context), lit

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead(self.VALUES)
            if tok in (_ID, _NOT):
                try:
                    r = self.parse_requirement()
                except (_ParseError, _RequirementError) as e:
                    raise _ParseError(f"unable to parse requirement: {e}") from None
                reqs.append(r)
                t, l = self.consume(self.VALUES)
                if t == _EOS:
                    return reqs
                if t == _COMMA:
                    t2, l2 = self.lookahead(self.VALUES)
                    if t2 not in (_ID, _NOT):
                        raise _ParseError(f"found '{l2}', expected: identifier after ','")
                else:
                    raise _ParseError(f"found '{l}', expected: ',' or 'end of string'")
            elif tok == _EOS:
                return reqs
            else:
                raise _ParseError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def parse_requirement(self) -> Requirement:
        key, operator = self.parse_key_and_infer_operator()
        if operator in (EXISTS, DOES_NOT_EXIST):
            return Requirement.new(key, operator, ())
        operator = self.parse_operator()
        if operator in (IN, NOT_IN):
            values = self.parse_values()
        else:
            values = self.parse_exact_value()
        return Requirement.new(key, operator, sorted(values))

    def parse_key_and_infer_operator(self) -> tuple[str, str]:
        operator = ""
        tok, lit = self.consume(self.VALUES)
        if tok == _NOT:
            operator = DOES_NOT_EXIST
            tok, lit = self.consume(self.VALUES)
        if tok != _ID:
            raise _ParseError(f"found '{lit}', expected: identifier")
        err = _validate_label_key(lit, "<nil>")
        if err is not None:
            raise _ParseError(f"{err.field}: {err.body()}")
        t, _ = self.lookahead(self.VALUES)
        if t in (_EOS, _COMMA) and operator != DOES_NOT_EXIST:
            operator = EXISTS
        return lit, operator

    def parse_operator(self) -> str:
        tok, lit = self.consume(self.KEY_AND_OPERATOR)
        ops = {_IN: IN, _EQ: EQUALS, _DEQ: DOUBLE_EQUALS, _GT: GREATER_THAN, _LT: LESS_THAN, _NOTIN: NOT_IN, _NEQ: NOT_EQUALS}
        if tok not in ops:
            raise _ParseError(f"found '{lit}', expected: {', '.join(BINARY_OPERATORS)}")
        return ops[tok]

    def parse_values(self) -> set[str]:
        tok, lit = self.consume(self.VALUES)
        if tok != _OPEN:
            raise _ParseError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead(self.VALUES)
        if tok in (_ID, _COMMA):
            s = self.parse_identifiers_list()
            tok2, _ = self.consume(self.VALUES)
            if tok2 != _CLOSE:
                raise _ParseError(f"found '{lit}', expected: ')'")
            return s
        if tok == _CLOSE:
            self.consume(self.VALUES)
            return {""}
        raise _ParseError(f"found '{lit}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> set[str]:
        s: set[str] = set()
        while True:
            tok, lit = self.consume(self.VALUES)
            if tok == _ID:
                s.add(lit)
                tok2, lit2 = self.lookahead(self.VALUES)
                if tok2 == _COMMA:
                    continue
                if tok2 == _CLOSE:
                    return s
                raise _ParseError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _COMMA:
                if not s:
                    s.add("")
                tok2, _ = self.lookahead(self.VALUES)
                if tok2 == _CLOSE:
                    s.add("")
                    return s
                if tok2 == _COMMA:
                    s.add("")
                continue
            raise _ParseError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> set[str]:
        tok, _ = self.lookahead(self.VALUES)
        if tok in (_EOS, _COMMA):
            return {""}
        tok, lit = self.consume(self.VALUES)
        if tok == _ID:
            return {lit}
        raise _ParseError(f"found '{lit}', expected: identifier")


@functools.lru_cache(maxsize=1024)
def parse_label_selector(text: str) -> Selector:
    """`labels.Parse`: the `-l` / `labelSelector=` syntax.  Raises StatusError 400 on errors.
    Cached: clients and controllers list with the same few selectors over and over."""
    try:
        reqs = _Parser(text or "").parse()
    except _ParseError as e:
        raise _bad_request(str(e)) from None
    return Selector(tuple(sorted(reqs, key=lambda r: r.key)))


def selector_from_set(d: Mapping[str, Any] | None) -> Selector:
    """`labels.SelectorFromSet`: equality on every pair; nil/empty selects everything."""
    if not d:
        return EVERYTHING
    reqs = [Requirement(str(k), EQUALS, (_label_str(v),)) for k, v in d.items()]
    return Selector(tuple(sorted(reqs, key=lambda r: r.key)))


def selector_from_label_selector(ls: Mapping[str, Any] | None) -> Selector:
    """`metav1.LabelSelectorAsSelector`: nil -> nothing, `{}` -> everything.

    Invalid keys, values or operators raise StatusError 400 with upstream's error text.
    """
    if ls is None:
        return NOTHING
    match_labels = ls.get("matchLabels") if isinstance(ls.get("matchLabels"), dict) else {}
    exprs = ls.get("matchExpressions") if isinstance(ls.get("matchExpressions"), list) else []
    if len(match_labels) + len(exprs) == 0:
        return EVERYTHING
    reqs: list[Requirement] = []
    try:
        for k, v in match_labels.items():
            reqs.append(Requirement.new(str(k), EQUALS, (_label_str(v),)))
        for expr in exprs:
            expr = expr if isinstance(expr, dict) else {}
            op = _LS_OP.get(expr.get("operator"))
            if op is None:
                raise _bad_request(f"{go_quote(_label_str(expr.get('operator')))} is not a valid label selector operator")
            reqs.append(Requirement.new(_label_str(expr.get("key")), op, [_label_str(v) for v in expr.get("values") or []]))
    except _RequirementError as e:
        raise _bad_request(str(e)) from None
    return Selector(tuple(sorted(reqs, key=lambda r: r.key)))


def validate_label_selector(ls: Mapping[str, Any] | None, path: str) -> list[FieldError]:
    """`metav1validation.ValidateLabelSelector` (values validated: AllowInvalidLabelValueInSelector=false)."""
    errs: list[FieldError] = []
    if ls is None:
        return errs
    errs.extend(validate_labels(ls.get("matchLabels"), f"{path}.matchLabels"))
    exprs = ls.get("matchExpressions")
    for i, expr in enumerate(exprs if isinstance(exprs, list) else []):
        p = f"{path}.matchExpressions[{i}]"
        expr = expr if isinstance(expr, dict) else {}
        op = expr.get("operator")
        values = expr.get("values") if isinstance(expr.get("values"), list) else []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(FieldError("Required", f"{p}.values", "", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(
                    FieldError("Forbidden", f"{p}.values", "", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
                )
        else:
            errs.append(FieldError("Invalid", f"{p}.operator", _label_str(op), "not a valid selector operator"))
        errs.extend(validate_label_name(_label_str(expr.get("key")), f"{p}.key"))
        for j, v in enumerate(values):
            for m in names.is_valid_label_value(_label_str(v)):
                errs.append(FieldError("Invalid", f"{p}.values[{j}]", _label_str(v), m))
    return errs


# -- field selectors ---------------------------------------------------------------------------

_META_FIELDS = ("metadata.name", "metadata.namespace")

# kind -> (supported fields, error style); styles: "plain" -> `field label not supported: %s`,
# "kind" -> `field label %q not supported for %q`, "batchv1.Job", "appsv1.StatefulSet" and
# "default" -> runtime.DefaultMetaV1FieldSelectorConversion.
_FIELD_LABELS: dict[str, tuple[tuple[str, ...], str]] = {
    "Pod": (
        _META_FIELDS
        + (
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
            "spec.host",
        ),
        "plain",
    ),
    "Event": (
        (
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        )
        + _META_FIELDS,
        "plain",
    ),
    "Secret": (("type",) + _META_FIELDS, "plain"),
    "Node": (("metadata.name", "spec.unschedulable"), "plain"),
    "Namespace": (("status.phase", "metadata.name"), "plain"),
    "ReplicationController": (_META_FIELDS + ("status.replicas",), "plain"),
    "ReplicaSet": (_META_FIELDS + ("status.replicas",), "plain"),
    "Job": (_META_FIELDS + ("status.successful",), "batchv1.Job"),
    "StatefulSet": (_META_FIELDS + ("status.successful",), "appsv1.StatefulSet"),
    "Endpoints": (_META_FIELDS, "kind"),
    "ResourceQuota": (_META_FIELDS, "kind"),
    "PersistentVolumeClaim": (_META_FIELDS, "kind"),
    "Service": (_META_FIELDS, "kind"),
    "ServiceAccount": (_META_FIELDS, "kind"),
    "ConfigMap": (_META_FIELDS, "kind"),
}


def _unsupported_field(kind: str, label: str) -> StatusError:
    _, style = _FIELD_LABELS.get(kind, (_META_FIELDS, "default"))
    if style == "plain":
        msg = f"field label not supported: {label}"
    elif style == "kind":
        msg = f"field label {go_quote(label)} not supported for {go_quote(kind)}"
    elif style == "batchv1.Job":
        msg = f"field label {go_quote(label)} not supported for batchv1.Job"
    elif style == "appsv1.StatefulSet":
        msg = f"field label not supported for appsv1.StatefulSet: {label}"
    else:
        msg = f'{go_quote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"'
    return _bad_request(msg)


def supported_fields(kind: str) -> tuple[str, ...]:
    return _FIELD_LABELS.get(kind, (_META_FIELDS, "default"))[0]


@attrs.frozen
class FieldTerm:
    field: str
    operator: str  # "=" or "!="
    value: str

    def __str__(self) -> str:
        return f"{self.field}{'=' if self.operator == '=' else '!='}{escape_field_value(self.value)}"


@attrs.frozen
class FieldSelector:
    """A parsed field selector (AND of `field=value` / `field!=value` terms) for one kind."""

    terms: tuple[FieldTerm, ...] = ()
    kind: str = ""

    def is_empty(self) -> bool:
        return not self.terms

    def matches(self, obj: Mapping[str, Any]) -> bool:
        fields = selectable_fields(obj, self.kind or _label_str((obj or {}).get("kind")))
        for t in self.terms:
            got = fields.get(t.field, "")
            if t.operator == "=" and got != t.value:
                return False
            if t.operator == "!=" and got == t.value:
                return False
        return True

    def requires_exact_match(self, field: str) -> tuple[str, bool]:
        for t in self.terms:
            if t.field == field and t.operator == "=":
                return t.value, True
        return "", False

    def __str__(self) -> str:
        return ",".join(str(t) for t in self.terms)


def escape_field_value(s: str) -> str:
    """`fields.EscapeValue`."""
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape_field_value(s: str) -> str:
    """`fields.UnescapeValue`."""
    if not any(c in s for c in "\\,="):
        return s
    out = []
    in_slash = False
    for c in s:
        if in_slash:
            if c in "\\,=":
                out.append(c)
            else:
                raise _bad_request(f"invalid field selector: invalid escape sequence: \\{c}")
            in_slash = False
            continue
        if c == "\\":
            in_slash = True
        elif c in ",=":
            raise _bad_request(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if in_slash:
        raise _bad_request("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    """`fields.splitTerms`: split on commas not preceded by a backslash escape."""
    if text == "":
        return []
    terms: list[str] = []
    start = 0
    in_slash = False
    for i, c in enumerate(text):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        rest = term[i:]
        for op in ("!=", "==", "="):
            if rest.startswith(op):
                return term[:i], op, term[i + len(op) :]
    return None


def parse_field_selector(text: str, kind: str = "") -> FieldSelector:
    """`fields.ParseSelector` + the kind's field label conversion.  Raises StatusError 400."""
    text = text or ""
    parts = sorted(_split_terms(text))
    terms: list[FieldTerm] = []
    for part in parts:
        if part == "":
            continue
        split = _split_term(part)
        if split is None:
            raise _bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        value = _unescape_field_value(rhs)
        terms.append(FieldTerm(lhs, "!=" if op == "!=" else "=", value))
    if kind:
        allowed = supported_fields(kind)
        converted = []
        for t in terms:
            if t.field not in allowed:
                raise _unsupported_field(kind, t.field)
            field = "spec.nodeName" if (kind == "Pod" and t.field == "spec.host") else t.field
            converted.append(FieldTerm(field, t.operator, t.value))
        terms = converted
    return FieldSelector(tuple(terms), kind)


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    cur: Any = obj
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _str(v: Any) -> str:
    return _label_str(v)


def _int_str(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return "0"


def selectable_fields(obj: Mapping[str, Any], kind: str = "") -> dict[str, str]:
    """The kind's `...ToSelectableFields` set: every supported field with its string value."""
    obj = obj or {}
    kind = kind or _str(obj.get("kind"))
    meta = obj.get("metadata") or {}
    out: dict[str, str] = {"metadata.name": _str(meta.get("name"))}
    from engine.registry import BY_KIND

    rt = BY_KIND.get(kind)
    if rt is None or rt.namespaced:
        out["metadata.namespace"] = _str(meta.get("namespace"))
    if kind == "Pod":
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        pod_ip = ""
        ips = status.get("podIPs")
        if isinstance(ips, list) and ips and isinstance(ips[0], dict):
            pod_ip = _str(ips[0].get("ip"))
        elif status.get("podIP"):
            pod_ip = _str(status.get("podIP"))
        out.update(
            {
                "spec.nodeName": _str(spec.get("nodeName")),
                "spec.restartPolicy": _str(spec.get("restartPolicy")),
                "spec.schedulerName": _str(spec.get("schedulerName")),
                "spec.serviceAccountName": _str(spec.get("serviceAccountName")),
                "spec.hostNetwork": "true" if spec.get("hostNetwork") is True else "false",
                "status.phase": _str(status.get("phase")),
                "status.podIP": pod_ip,
                "status.nominatedNodeName": _str(status.get("nominatedNodeName")),
            }
        )
    elif kind == "Event":
        io = obj.get("involvedObject") or {}
        source = _str(_get(obj, "source", "component")) or _str(obj.get("reportingComponent"))
        out.update(
            {
                "involvedObject.kind": _str(io.get("kind")),
                "involvedObject.namespace": _str(io.get("namespace")),
                "involvedObject.name": _str(io.get("name")),
                "involvedObject.uid": _str(io.get("uid")),
                "involvedObject.apiVersion": _str(io.get("apiVersion")),
                "involvedObject.resourceVersion": _str(io.get("resourceVersion")),
                "involvedObject.fieldPath": _str(io.get("fieldPath")),
                "reason": _str(obj.get("reason")),
                "reportingComponent": _str(obj.get("reportingComponent")),
                "source": source,
                "type": _str(obj.get("type")),
            }
        )
    elif kind == "Secret":
        out["type"] = _str(obj.get("type"))
    elif kind == "Node":
        out["spec.unschedulable"] = "true" if _get(obj, "spec", "unschedulable") is True else "false"
    elif kind == "Namespace":
        out["status.phase"] = _str(_get(obj, "status", "phase"))
        out["name"] = _str(meta.get("name"))
    elif kind in ("ReplicaSet", "ReplicationController"):
        out["status.replicas"] = _int_str(_get(obj, "status", "replicas"))
    elif kind == "Job":
        out["status.successful"] = _int_str(_get(obj, "status", "succeeded"))
    return out
