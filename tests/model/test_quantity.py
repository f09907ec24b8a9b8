"""resource.Quantity parsing and canonical formatting (apimachinery quantity.go semantics)."""

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from engine.model.quantity import (
    ERR_FORMAT_WRONG,
    ERR_SUFFIX,
    canonical_quantity,
    format_bytes,
    format_millicores,
    format_quantity,
    parse_quantity,
    parse_quantity_with_format,
)

REGEX_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def test_error_message_is_upstreams():
    assert ERR_FORMAT_WRONG == REGEX_MSG


@pytest.mark.parametrize(
    "text, value",
    [
        ("0", Fraction(0)),
        ("1", Fraction(1)),
        ("500m", Fraction(1, 2)),
        ("1.5", Fraction(3, 2)),
        (".5", Fraction(1, 2)),
        ("1.", Fraction(1)),
        ("+5", Fraction(5)),
        ("-1", Fraction(-1)),
        ("100n", Fraction(100, 10**9)),
        ("2u", Fraction(2, 10**6)),
        ("1k", Fraction(1000)),
        ("1M", Fraction(10**6)),
        ("1G", Fraction(10**9)),
        ("1T", Fraction(10**12)),
        ("1P", Fraction(10**15)),
        ("1E", Fraction(10**18)),
        ("1Ki", Fraction(1024)),
        ("1Mi", Fraction(1024**2)),
        ("1Gi", Fraction(1024**3)),
        ("1Ti", Fraction(1024**4)),
        ("1Pi", Fraction(1024**5)),
        ("1Ei", Fraction(1024**6)),
        ("1.5Gi", Fraction(1610612736)),
        ("1e3", Fraction(1000)),
        ("1E3", Fraction(1000)),
        ("5e-3", Fraction(5, 1000)),
        ("  2Gi ", Fraction(2 * 1024**3)),
        (2, Fraction(2)),
        (0.5, Fraction(1, 2)),
    ],
)
def test_parse(text, value):
    assert parse_quantity(text) == value


def test_rounds_up_to_nano():
    assert parse_quantity("1e-10") == Fraction(1, 10**9)
    assert parse_quantity("-1e-10") == Fraction(-1, 10**9)
    assert parse_quantity("1.0000000001") == Fraction(1000000001, 10**9)


def test_caps_at_int64_max():
    assert parse_quantity("1e400") == Fraction(2**63 - 1)


@pytest.mark.parametrize("text", ["", "abc", "1KiB", "1.2.3", "1x", "1 Gi", "1.5.", "12Mi!"])
def test_malformed(text):
    with pytest.raises(ValueError) as e:
        parse_quantity(text)
    assert str(e.value) == REGEX_MSG


@pytest.mark.parametrize("text", ["1K", "1k2", "1e", "1Ki3", "1mi", "--1"])
def test_bad_suffix(text):
    with pytest.raises(ValueError) as e:
        parse_quantity(text)
    assert str(e.value) == ERR_SUFFIX == "unable to parse quantity's suffix"


def test_bare_suffix_is_zero_like_upstream():
    # parseQuantityString treats a missing number as 0
    assert parse_quantity("Gi") == 0


def test_bool_is_rejected():
    with pytest.raises(ValueError):
        parse_quantity(True)


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("500m", "500m"),
        ("1.5", "1500m"),
        ("0.1", "100m"),
        ("1000m", "1"),
        ("2", "2"),
        ("1500", "1500"),
        ("2000", "2k"),
        ("1000k", "1M"),
        ("100M", "100M"),
        ("1Ki", "1Ki"),
        ("1024Mi", "1Gi"),
        ("2048Mi", "2Gi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("1000Mi", "1000Mi"),
        ("1023Ki", "1023Ki"),
        ("0.5Ki", "512"),
        ("1e3", "1e3"),
        ("1.5e3", "1500"),
        ("1e-10", "1e-9"),
        ("-2Gi", "-2Gi"),
        ("0", "0"),
        ("0Gi", "0"),
    ],
)
def test_canonical(text, canonical):
    assert canonical_quantity(text) == canonical


def test_format_helpers():
    assert parse_quantity_with_format("1Gi")[1] == "BinarySI"
    assert parse_quantity_with_format("1G")[1] == "DecimalSI"
    assert parse_quantity_with_format("1e9")[1] == "DecimalExponent"
    assert format_millicores(Fraction(1, 4)) == "250m"
    assert format_millicores(3) == "3"
    assert format_bytes(1024**3) == "1Gi"
    assert format_bytes(1000) == "1k"
    assert format_quantity(Fraction(3, 2), "BinarySI") == "1500m"


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["", "m", "k", "Ki", "Mi", "u", "n"]))
def test_canonical_roundtrip(n, suffix):
    text = f"{n}{suffix}"
    value = parse_quantity(text)
    assert parse_quantity(canonical_quantity(text)) == value
