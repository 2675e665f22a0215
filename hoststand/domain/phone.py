"""Phone numbers: normalised to E.164 for storage and matching, formatted for the host to read.

Uses `phonenumbers` (Google's libphonenumber metadata). A number is accepted when its length is possible
for its country, not only when its range is assigned, so the 555 numbers of demos and tests pass.
`phonenumbers` is imported on the first number parsed, not with this module: the app's start-up shows no
phone number before its first paint.
"""

from __future__ import annotations

import functools
import unicodedata

_MAX_INPUT = 64  # longer input is not a phone number; refuse it before parsing


@functools.lru_cache(maxsize=4096)  # parsing is ~0.1 ms; every pull reads the same numbers again
def normalize_phone(raw: str | None, default_region: str = "US") -> str | None:
    """`raw` as E.164 ("+12125550123"), reading numbers without a country code as `default_region`'s.

    None for empty input or anything that cannot be a phone number. An extension is dropped.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_INPUT or not any(ch.isdigit() for ch in text):
        return None
    import phonenumbers
    from phonenumbers import NumberParseException, PhoneNumberFormat

    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def format_phone(e164: str | None, home_region: str = "US") -> str:
    """An E.164 number as the host reads it: national form for `home_region`'s numbers
    ("(212) 555-0123"), international otherwise ("+44 20 7946 0958"). Unreadable input comes back as is.
    """
    if not e164:
        return ""
    import phonenumbers
    from phonenumbers import NumberParseException, PhoneNumberFormat

    try:
        number = phonenumbers.parse(e164, home_region)
    except NumberParseException:
        return e164
    if not phonenumbers.is_possible_number(number):
        return e164
    if phonenumbers.region_code_for_number(number) == home_region or (
        number.country_code == phonenumbers.country_code_for_region(home_region)
        and not phonenumbers.is_valid_number(number)
    ):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def digits(text: str) -> str:
    """Only the digits of `text`, for suffix search ("(212) 555-0123" → "2125550123")."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text if ch.isdecimal())
