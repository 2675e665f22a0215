"""Phone numbers to E.164 and back to something a host reads aloud."""

from __future__ import annotations

import pytest

from hoststand.domain.phone import digits, format_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(212) 555-0123", "+12125550123"),
        ("212.555.0123", "+12125550123"),
        ("212 555 0123 ext. 4", "+12125550123"),
        ("+1 212-555-0123", "+12125550123"),
        ("1 (212) 555-0123", "+12125550123"),
        ("555-555-5555", "+15555555555"),  # demo numbers pass
        ("+44 20 7946 0958", "+442079460958"),
        ("  +33 1 23 45 67 89 ", "+33123456789"),
    ],
)
def test_normalizes_to_e164(raw, expected):
    assert normalize_phone(raw) == expected


def test_numbers_without_a_country_code_read_in_the_default_region():
    assert normalize_phone("020 7946 0958", default_region="GB") == "+442079460958"
    assert normalize_phone("020 7946 0958") is None  # not a US number


@pytest.mark.parametrize("raw", [None, "", "   ", "abc", "12", "call me maybe", "+1 212 555 0123 4567 8910 1112", "9" * 100])
def test_garbage_gives_none(raw):
    assert normalize_phone(raw) is None


def test_formats_home_numbers_nationally_and_others_internationally():
    assert format_phone("+12125550123") == "(212) 555-0123"
    assert format_phone("+15555555555") == "(555) 555-5555"
    assert format_phone("+442079460958") == "+44 20 7946 0958"
    assert format_phone("+442079460958", home_region="GB") == "020 7946 0958"


def test_format_leaves_unreadable_input_as_is():
    assert format_phone("not a number") == "not a number"
    assert format_phone(None) == ""
    assert format_phone("") == ""


def test_digits():
    assert digits("(212) 555-0123") == "2125550123"
    assert digits("٢١٢") == "212"  # Arabic-Indic digits
