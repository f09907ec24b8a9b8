"""`$(VAR)` expansion as the kubelet does it (`third_party/forked/golang/expansion/expand.go`).

Rules, to the letter: `$(NAME)` is replaced by the first context that defines NAME; an
undefined reference is left as written (`$(NAME)`); `$$` is an escaped `$` (so `$$(NAME)` yields
the literal `$(NAME)`); a `$` followed by anything else, or an unclosed `$(`, is copied as is.
Env values expand against the variables declared before them (and the service variables);
command and args expand against the container's final environment
(`ExpandContainerCommandAndArgs`).
"""

from __future__ import annotations

from typing import Callable, Mapping

Mapping_ = Callable[[str], str]


def mapping_for(*contexts: Mapping[str, str]) -> Mapping_:
    """`MappingFuncFor`: the first context holding the name wins, else `$(name)` unchanged."""

    def look(name: str) -> str:
        for ctx in contexts:
            if name in ctx:
                return ctx[name]
        return f"$({name})"

    return look


def _read_name(rest: str) -> tuple[str, bool, int]:
    """`tryReadVariableName`: (text, is a variable, characters consumed after the `$`)."""
    if rest[0] == "$":
        return "$", False, 1
    if rest[0] == "(":
        close = rest.find(")", 1)
        if close != -1:
            return rest[1:close], True, close + 1
        return "$(", False, 1
    return "$" + rest[0], False, 1


def expand(text: str, mapping: Mapping_) -> str:
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    n = len(text)
    while cursor < n:
        if text[cursor] == "$" and cursor + 1 < n:
            out.append(text[checkpoint:cursor])
            read, is_var, advance = _read_name(text[cursor + 1:])
            out.append(mapping(read) if is_var else read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return "".join(out) + text[checkpoint:]
