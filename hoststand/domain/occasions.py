"""Occasions (birthday, anniversary, …) and VIP tiers, read from the tags and words a booking carries."""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterable

_OCCASIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Birthday", re.compile(r"\b(birthday|bday|b-day)\b", re.I)),
    ("Anniversary", re.compile(r"\banniversary\b", re.I)),
    ("Engagement", re.compile(r"\b(engage(d|ment)|propos(e|al|ing))\b", re.I)),
    ("Graduation", re.compile(r"\bgraduat(ion|ing|ed)\b", re.I)),
    ("Date night", re.compile(r"\bdate\s*night\b", re.I)),
    ("Business meal", re.compile(r"\bbusiness\s*(meal|dinner|lunch)\b", re.I)),
    ("Celebration", re.compile(r"\b(celebrat\w*|special occasion)\b", re.I)),
)

# Ranked: the first tier found wins.
_VIP_TIERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("VVIP", re.compile(r"^\s*vvip\s*$", re.I)),
    ("VIP", re.compile(r"^\s*vip\b", re.I)),
    ("Owner's guest", re.compile(r"\bowner", re.I)),
    ("Regular", re.compile(r"^\s*regular\s*$", re.I)),
)


def occasion_from(tags: Iterable[str], *texts: str) -> str | None:
    """The occasion a visit celebrates: tags first, then the guest's words. None when there is none."""
    return _occasion(tuple(tags), texts)


@lru_cache(maxsize=8192)  # a pull reads the same tags and notes again and again
def _occasion(tags: tuple[str, ...], texts: tuple[str, ...]) -> str | None:
    for label, pattern in _OCCASIONS:
        if any(pattern.search(t) for t in tags):
            return label
    for label, pattern in _OCCASIONS:
        if any(pattern.search(t or "") for t in texts):
            return label
    return None


def vip_tier_from(tags: Iterable[str]) -> str | None:
    tags = list(tags)
    for label, pattern in _VIP_TIERS:
        if any(pattern.search(t) for t in tags):
            return label
    return None
