"""Name and key syntax checks with apimachinery's exact messages.

Mirrors `k8s.io/apimachinery/pkg/util/validation` (and `pkg/api/validate/content`): every
function returns the list of error strings upstream returns (empty when valid), so callers
wrap them as `FieldError("Invalid", path, value, msg)` exactly like `field.Invalid`.
"""

from __future__ import annotations

import re

DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_ERR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
DNS1123_LABEL_MAX = 63

DNS1123_SUBDOMAIN_FMT = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1123_SUBDOMAIN_ERR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
DNS1123_SUBDOMAIN_MAX = 253

DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
DNS1035_LABEL_ERR = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character"
)
DNS1035_LABEL_MAX = 63

QUALIFIED_NAME_CHAR_FMT = "[A-Za-z0-9]"
QUALIFIED_NAME_EXT_CHAR_FMT = "[-A-Za-z0-9_.]"
QUALIFIED_NAME_FMT = "(" + QUALIFIED_NAME_CHAR_FMT + QUALIFIED_NAME_EXT_CHAR_FMT + "*)?" + QUALIFIED_NAME_CHAR_FMT
QUALIFIED_NAME_ERR = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
QUALIFIED_NAME_MAX = 63

LABEL_VALUE_FMT = "(" + QUALIFIED_NAME_FMT + ")?"
LABEL_VALUE_ERR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
LABEL_VALUE_MAX = 63

CONFIG_MAP_KEY_FMT = "[-._a-zA-Z0-9]+"
CONFIG_MAP_KEY_ERR = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"

C_IDENTIFIER_FMT = "[A-Za-z_][A-Za-z0-9_]*"
C_IDENTIFIER_ERR = (
    "a valid C identifier must start with alphabetic character or '_', followed by a string of "
    "alphanumeric characters or '_'"
)

PERCENT_FMT = "[0-9]+%"
PERCENT_ERR = "a valid percent string must be a numeric string followed by an ending '%'"

ENV_VAR_NAME_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*"
ENV_VAR_NAME_ERR = (
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
    "and must not start with a digit"
)


def _full(fmt: str) -> re.Pattern[str]:
    # Go's regexp `$` matches only at the very end (no trailing-newline leniency): use \Z.
    return re.compile("^(?:" + fmt + r")\Z")


_DNS1123_LABEL_RE = _full(DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN_RE = _full(DNS1123_SUBDOMAIN_FMT)
_DNS1035_LABEL_RE = _full(DNS1035_LABEL_FMT)
_QUALIFIED_NAME_RE = _full(QUALIFIED_NAME_FMT)
_LABEL_VALUE_RE = _full(LABEL_VALUE_FMT)
_CONFIG_MAP_KEY_RE = _full(CONFIG_MAP_KEY_FMT)
_C_IDENTIFIER_RE = _full(C_IDENTIFIER_FMT)
_PERCENT_RE = _full(PERCENT_FMT)
_ENV_VAR_NAME_RE = _full(ENV_VAR_NAME_FMT)
_PORT_NAME_CHARSET_RE = _full("[-a-z0-9]+")
_PORT_NAME_ONE_LETTER_RE = re.compile("[a-z]")


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """`validation.RegexError`: note the doubled space upstream prints between examples."""
    if not examples:
        return msg + " (regex used for validation is '" + fmt + "')"
    out = msg + " (e.g. "
    for i, ex in enumerate(examples):
        if i > 0:
            out += " or "
        out += "'" + ex + "', "
    return out + "regex used for validation is '" + fmt + "')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def empty_error() -> str:
    return "must be non-empty"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


def _blen(s: str) -> int:
    """Go's len(string) counts UTF-8 bytes."""
    return len(s.encode("utf-8"))


def is_dns1123_label(s: str) -> list[str]:
    errs: list[str] = []
    if _blen(s) > DNS1123_LABEL_MAX:
        errs.append(max_len_error(DNS1123_LABEL_MAX))
    if not _DNS1123_LABEL_RE.match(s):
        if _DNS1123_SUBDOMAIN_RE.match(s):
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(s: str) -> list[str]:
    errs: list[str] = []
    if _blen(s) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _DNS1123_SUBDOMAIN_RE.match(s):
        errs.append(regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1035_label(s: str) -> list[str]:
    errs: list[str] = []
    if _blen(s) > DNS1035_LABEL_MAX:
        errs.append(max_len_error(DNS1035_LABEL_MAX))
    if not _DNS1035_LABEL_RE.match(s):
        errs.append(regex_error(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def is_qualified_name(s: str) -> list[str]:
    """`IsQualifiedName` / `content.IsLabelKey`: `[prefix/]name` as used by label keys."""
    errs: list[str] = []
    parts = s.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            msgs = is_dns1123_subdomain(prefix)
            errs.extend("prefix part " + m for m in msgs)
    else:
        return [
            "a valid label key "
            + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + empty_error())
    elif _blen(name) > QUALIFIED_NAME_MAX:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX))
    if not _QUALIFIED_NAME_RE.match(name):
        errs.append("name part " + regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


is_label_key = is_qualified_name


def is_valid_label_value(s: str) -> list[str]:
    errs: list[str] = []
    if _blen(s) > LABEL_VALUE_MAX:
        errs.append(max_len_error(LABEL_VALUE_MAX))
    if not _LABEL_VALUE_RE.match(s):
        errs.append(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _has_chdir_prefix(s: str) -> list[str]:
    if s == ".":
        return ["must not be '.'"]
    if s == "..":
        return ["must not be '..'"]
    if s.startswith(".."):
        return ["must not start with '..'"]
    return []


def is_config_map_key(s: str) -> list[str]:
    errs: list[str] = []
    if _blen(s) > DNS1123_SUBDOMAIN_MAX:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX))
    if not _CONFIG_MAP_KEY_RE.match(s):
        errs.append(regex_error(CONFIG_MAP_KEY_ERR, CONFIG_MAP_KEY_FMT, "key.name", "KEY_NAME", "key-name"))
    errs.extend(_has_chdir_prefix(s))
    return errs


def is_c_identifier(s: str) -> list[str]:
    if not _C_IDENTIFIER_RE.match(s):
        return [regex_error(C_IDENTIFIER_ERR, C_IDENTIFIER_FMT, "my_name", "MY_NAME", "MyName")]
    return []


def is_env_var_name(s: str) -> list[str]:
    errs: list[str] = []
    if not _ENV_VAR_NAME_RE.match(s):
        errs.append(regex_error(ENV_VAR_NAME_ERR, ENV_VAR_NAME_FMT, "my.env-name", "MY_ENV.NAME", "MyEnvName1"))
    errs.extend(_has_chdir_prefix(s))
    return errs


def is_valid_percent(s: str) -> list[str]:
    if not _PERCENT_RE.match(s):
        return [regex_error(PERCENT_ERR, PERCENT_FMT, "1%", "93%")]
    return []


def is_valid_port_num(port: int) -> list[str]:
    if 1 <= port <= 65535:
        return []
    return [inclusive_range_error(1, 65535)]


def is_valid_port_name(port: str) -> list[str]:
    errs: list[str] = []
    if _blen(port) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARSET_RE.match(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_ONE_LETTER_RE.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_path_segment_name(name: str) -> list[str]:
    """`path.IsValidPathSegmentName` (RBAC object names)."""
    if name in (".", ".."):
        return [f"may not be '{name}'"]
    errs: list[str] = []
    for illegal in ("/", "%"):
        if illegal in name:
            errs.append(f"may not contain '{illegal}'")
    return errs


# -- name validators as `ValidateNameFunc(name, prefix)` -------------------------------------


def _mask_trailing_dash(name: str) -> str:
    """`maskTrailingDash`: generateName prefixes may end in '-'."""
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_is_dns_subdomain(name: str, prefix: bool = False) -> list[str]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_subdomain(name)


def name_is_dns_label(name: str, prefix: bool = False) -> list[str]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1123_label(name)


def name_is_dns1035_label(name: str, prefix: bool = False) -> list[str]:
    if prefix:
        name = _mask_trailing_dash(name)
    return is_dns1035_label(name)


def is_valid_path_segment_prefix(name: str) -> list[str]:
    """`path.IsValidPathSegmentPrefix`: only the forbidden-content checks."""
    return [f"may not contain '{illegal}'" for illegal in ("/", "%") if illegal in name]


def name_is_path_segment(name: str, prefix: bool = False) -> list[str]:
    """`path.ValidatePathSegmentName` (RBAC's `ValidateRBACName`)."""
    if prefix:
        return is_valid_path_segment_prefix(name)
    return is_valid_path_segment_name(name)


NAME_RULES = {
    "subdomain": name_is_dns_subdomain,
    "label": name_is_dns_label,
    "dns1035": name_is_dns1035_label,
    "path": name_is_path_segment,
}
