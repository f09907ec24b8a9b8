"""Kubernetes `resource.Quantity`: parsing to an exact `Fraction` and upstream's canonical form.

Follows apimachinery `pkg/api/resource/quantity.go`:

* `ParseQuantity` accepts `<signedNumber><suffix>` where the suffix is a binary SI suffix
  (`Ki Mi Gi Ti Pi Ei`), a decimal SI suffix (`n u m "" k M G T P E`) or a decimal exponent
  (`e3`, `E-2`).  Values are rounded *up* (away from zero) to nano precision and capped at
  +/- (2^63 - 1), exactly as upstream does.
* The canonical string (`Quantity.String()`) keeps the parsed format family: a binary value
  that is an integer >= 1024 in magnitude prints with the largest exact `Ki`..`Ei` suffix,
  everything else prints as a decimal mantissa with an SI suffix (or `eN` for the exponent
  form) chosen so the mantissa is an integer and the exponent a multiple of three.

Pure: no clock, randomness, hashing or I/O.
"""

from __future__ import annotations

from fractions import Fraction

SPLIT_RE_STRING = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"

# Upstream error texts (apimachinery resource/quantity.go).
ERR_FORMAT_WRONG = "quantities must match the regular expression '" + SPLIT_RE_STRING + "'"
ERR_NUMERIC = "unable to parse numeric part of quantity"
ERR_SUFFIX = "unable to parse quantity's suffix"

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_MAX_ALLOWED = Fraction(2**63 - 1)
_NANO = Fraction(1, 10**9)

_DEC_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_BY_EXP = {v: k for k, v in _DEC_SUFFIXES.items()}
_BIN_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BIN_BY_EXP = {0: "", **{v: k for k, v in _BIN_SUFFIXES.items()}}

_DIGITS = "0123456789"
_SUFFIX_CHARS = "eEinumkKMGTP"


def _split(s: str) -> tuple[bool, str, str, str]:
    """`parseQuantityString`: (positive, numerator digits, denominator digits, suffix)."""
    positive = True
    pos = 0
    end = len(s)
    if pos < end and s[0] in "+-":
        positive = s[0] != "-"
        pos += 1
    # strip leading zeros
    while True:
        if pos >= end:
            return positive, "0", "", ""
        if s[pos] == "0":
            pos += 1
        else:
            break
    start = pos
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    num = s[start:pos] or "0"
    if pos >= end:
        return positive, num, "", ""
    denom = ""
    if s[pos] == ".":
        pos += 1
        start = pos
        while pos < end and s[pos] in _DIGITS:
            pos += 1
        denom = s[start:pos]
        if pos >= end:
            return positive, num, denom, ""
    suffix_start = pos
    while pos < end and s[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos >= end:
        return positive, num, denom, s[suffix_start:]
    if s[pos] in "+-":
        pos += 1
    while pos < end and s[pos] in _DIGITS:
        pos += 1
    if pos >= end:
        return positive, num, denom, s[suffix_start:]
    raise ValueError(ERR_FORMAT_WRONG)


def _interpret(suffix: str) -> tuple[int, int, str]:
    """`suffixHandler.interpret`: (base, exponent, format)."""
    if suffix in _DEC_SUFFIXES:
        return 10, _DEC_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BIN_SUFFIXES:
        return 2, _BIN_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        rest = suffix[1:]
        body = rest[1:] if rest[:1] in "+-" else rest
        if body and all(c in _DIGITS for c in body):
            return 10, int(rest), DECIMAL_EXPONENT
    raise ValueError(ERR_SUFFIX)


def parse_quantity_with_format(value: str | int | float) -> tuple[Fraction, str]:
    """Parse a quantity and return (exact value, format family) like `resource.ParseQuantity`."""
    if isinstance(value, bool):
        raise ValueError(ERR_FORMAT_WRONG)
    if isinstance(value, int):
        value = str(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(ERR_FORMAT_WRONG)
        value = repr(value)
    if not isinstance(value, str):
        raise ValueError(ERR_FORMAT_WRONG)
    s = value.strip()  # Quantity.UnmarshalJSON trims surrounding whitespace
    if not s:
        raise ValueError(ERR_FORMAT_WRONG)
    if s == "0":
        return Fraction(0), DECIMAL_SI
    positive, num, denom, suffix = _split(s)
    base, exponent, fmt = _interpret(suffix)
    mantissa = Fraction(int(num + denom), 10 ** len(denom)) if (num + denom) else Fraction(0)
    if mantissa != 0:
        if base == 10:
            # Guard against absurd exponents: the value is capped / rounded anyway.
            if exponent > 40:
                mantissa = _MAX_ALLOWED
            elif exponent < -40:
                mantissa = _NANO
            else:
                mantissa = mantissa * Fraction(10) ** exponent
        else:
            mantissa = mantissa * (2**exponent)
        # round up (away from zero, sign handled separately) to nano precision
        scaled = mantissa / _NANO
        if scaled.denominator != 1:
            mantissa = Fraction(-((-scaled.numerator) // scaled.denominator)) * _NANO
        if mantissa > _MAX_ALLOWED:
            mantissa = _MAX_ALLOWED
    if not positive:
        mantissa = -mantissa
    return mantissa, fmt


def parse_quantity(value: str | int | float) -> Fraction:
    """The exact value of a Kubernetes quantity (`"500m"` -> 1/2, `"1Gi"` -> 1073741824).

    Invalid input raises `ValueError` carrying upstream's message, e.g.
    `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`.
    """
    return parse_quantity_with_format(value)[0]


def _decimal_parts(value: Fraction) -> tuple[int, int]:
    """`AsCanonicalBytes`: integer mantissa and exponent (multiple of 3) with value == m * 10**e."""
    exponent = 0
    num, den = value.numerator, value.denominator
    # value is a multiple of 1e-9; scale until integral
    while den != 1:
        value *= 10
        exponent -= 1
        num, den = value.numerator, value.denominator
    m = num
    while m != 0 and m % 10 == 0:
        m //= 10
        exponent += 1
    r = exponent % 3
    if r:
        m *= 10**r
        exponent -= r
    return m, exponent


def format_quantity(value: Fraction | int, fmt: str = DECIMAL_SI) -> str:
    """Upstream's canonical string for a quantity value in the given format family."""
    value = Fraction(value)
    if value == 0:
        return "0"
    if fmt == BINARY_SI:
        if -1024 < value < 1024 or value.denominator != 1:
            fmt = DECIMAL_SI
        else:
            m = value.numerator
            exp = 0
            while exp < 60 and m != 0 and m % 1024 == 0:
                m //= 1024
                exp += 10
            return f"{m}{_BIN_BY_EXP[exp]}"
    if fmt not in (DECIMAL_SI, DECIMAL_EXPONENT):
        fmt = DECIMAL_EXPONENT
    m, exponent = _decimal_parts(value)
    if fmt == DECIMAL_SI:
        suffix = _DEC_BY_EXP.get(exponent)
        if suffix is None:  # outside n..E (cannot happen for capped, nano-rounded values)
            suffix = f"e{exponent}"
        return f"{m}{suffix}"
    return f"{m}e{exponent}" if exponent else f"{m}"


def canonical_quantity(value: str | int | float) -> str:
    """Parse and re-print in canonical form: `"1.5"` -> `"1500m"`, `"2048Mi"` -> `"2Gi"`."""
    q, fmt = parse_quantity_with_format(value)
    return format_quantity(q, fmt)


def format_millicores(value: Fraction | int) -> str:
    """CPU in kubectl's usual millicore rendering: 1/2 -> `500m`, 2 -> `2`."""
    return format_quantity(value, DECIMAL_SI)


def format_bytes(value: Fraction | int) -> str:
    """Memory/storage in binary SI where exact: 1073741824 -> `1Gi`, 1000 -> `1k`... as upstream."""
    return format_quantity(value, BINARY_SI)
