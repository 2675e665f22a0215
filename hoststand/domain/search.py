"""Search-as-you-type over guest names and phone numbers, for the host's search box.

Scores run from 0 (no match) to 100. A prefix of a first or last name ranks highest, so "sm" finds
Smith in two keystrokes; then a prefix of the whole name, a piece inside a name, and last a fuzzy match
that forgives a typo or two ("smtih"). Digits match the end of a phone number, or any part of it.
Matching ignores case, accents and punctuation inside names ("obrien" finds O'Brien, "jose" José).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TypeVar

from rapidfuzz.distance import DamerauLevenshtein

from hoststand.domain.phone import digits

T = TypeVar("T")

EXACT_WORD = 100.0
WORD_PREFIX = 95.0
NAME_PREFIX = 90.0
PHONE_SUFFIX = 88.0
INSIDE_WORD = 70.0
PHONE_INSIDE = 65.0
FUZZY_MAX = 60.0

_FUZZY_MIN_SIMILARITY = 0.6
_MIN_PHONE_DIGITS = 3
_PHONE_QUERY = re.compile(r"^[\d\s()+\-.]+$")
_SPLIT = re.compile(r"[\s\-_/,&]+")


@lru_cache(maxsize=8192)  # the same names are folded on every sort and every keystroke of a search
def fold(text: str) -> str:
    """Lower case, without accents or apostrophes, whitespace collapsed: the form both sides compare in."""
    bare = text.casefold()
    if not bare.isascii():  # (plain ASCII has no accents to take off)
        bare = "".join(ch for ch in unicodedata.normalize("NFKD", bare) if not unicodedata.combining(ch))
    return " ".join(bare.translate(_DROPPED).split())


_DROPPED = str.maketrans("", "", "'’`.")


def _words(text: str) -> list[str]:
    return [w for w in _SPLIT.split(fold(text)) if w]


def _phone_score(query: str, phone: str | None) -> float:
    wanted = digits(query)
    if len(wanted) < _MIN_PHONE_DIGITS or not phone:
        return 0.0
    have = digits(phone)
    if have.endswith(wanted):
        return PHONE_SUFFIX
    if wanted in have:
        return PHONE_INSIDE
    return 0.0


def _prefixes_distinct_words(query_words: list[str], name_words: list[str]) -> bool:
    """Whether each query word starts a different name word ("ann sm" → Ann Smith, "smith a" too)."""
    free = list(name_words)
    for q in sorted(query_words, key=len, reverse=True):
        match = next((w for w in free if w.startswith(q)), None)
        if match is None:
            return False
        free.remove(match)
    return True


def _similarity(q: str, word: str) -> float:
    best = DamerauLevenshtein.normalized_similarity(q, word)
    if len(word) > len(q):  # a typo in what is so far only a prefix: "smti" for "smith"
        best = max(best, DamerauLevenshtein.normalized_similarity(q, word[: len(q)]))
    return best


def _fuzzy_score(query_words: list[str], name_words: list[str]) -> float:
    if not name_words or any(len(q) < 3 for q in query_words):
        return 0.0
    total = 0.0
    for q in query_words:
        best = max(_similarity(q, w) for w in name_words)
        if best < _FUZZY_MIN_SIMILARITY:
            return 0.0
        total += best
    return FUZZY_MAX * total / len(query_words)


def search_score(query: str, name: str, phone: str | None = None) -> float:
    """How well `query` matches a guest called `name` with `phone`: 0 for no match, up to 100."""
    q = fold(query)
    if not q:
        return 0.0
    if _PHONE_QUERY.match(q):
        phone_score = _phone_score(q, phone)
        if phone_score or not any(ch.isalpha() for ch in name):
            return phone_score
    query_words = _words(q)
    name_words = _words(name)
    if not query_words or not name_words:
        return 0.0
    if _prefixes_distinct_words(query_words, name_words):
        exact = all(q_word in name_words for q_word in query_words)
        return EXACT_WORD if exact else WORD_PREFIX
    joined = fold(name)
    if joined.startswith(q) or "".join(name_words).startswith("".join(query_words)):
        return NAME_PREFIX
    if all(any(q_word in w for w in name_words) for q_word in query_words):
        return INSIDE_WORD
    return _fuzzy_score(query_words, name_words)


def filter_matches(
    query: str,
    items: Iterable[T],
    key: Callable[[T], str],
    *,
    phone: Callable[[T], str | None] | None = None,
    limit: int | None = None,
) -> list[T]:
    """The items whose name (`key`) or phone (`phone`) match `query`, best first, ties in input order.

    An empty query matches everything, in input order.
    """
    pool: Sequence[T] = list(items)
    if not fold(query):
        return list(pool[:limit] if limit is not None else pool)
    scored = []
    for index, item in enumerate(pool):
        score = search_score(query, key(item), phone(item) if phone else None)
        if score > 0:
            scored.append((-score, index, item))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    found = [item for _, _, item in scored]
    return found[:limit] if limit is not None else found
