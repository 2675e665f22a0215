"""Search-as-you-type: prefixes first, typos forgiven, digits find phone numbers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hoststand.domain.search import filter_matches, fold, search_score


@dataclass
class G:
    name: str
    phone: str | None = None


GUESTS = [
    G("Ann Smith", "+12125550123"),
    G("Bob Smithers", "+12125550199"),
    G("Maria Gonzalez", "+13105551234"),
    G("Pat O'Brien"),
    G("José Núñez"),
    G("Sam Ismith"),
]


def names(found):
    return [g.name for g in found]


def search(query, **kwargs):
    return names(filter_matches(query, GUESTS, key=lambda g: g.name, phone=lambda g: g.phone, **kwargs))


def test_two_keystrokes_find_smith_first():
    assert search("sm")[:2] == ["Ann Smith", "Bob Smithers"]


def test_an_exact_last_name_outranks_a_longer_one():
    assert search("smith")[:2] == ["Ann Smith", "Bob Smithers"]
    assert search_score("smith", "Ann Smith") > search_score("smith", "Bob Smithers")


def test_first_name_prefix_and_both_names_in_any_order():
    assert search("mar") == ["Maria Gonzalez"]
    assert search_score("ann sm", "Ann Smith") == search_score("sm ann", "Ann Smith") > 0
    assert search("ann smi")[0] == "Ann Smith"


def test_a_piece_inside_a_name_ranks_below_prefixes():
    found = search("smi")
    assert found.index("Sam Ismith") > found.index("Bob Smithers")


def test_typos_are_forgiven_but_rank_last():
    assert search("smtih")[0] == "Ann Smith"
    assert search("gonzales") == ["Maria Gonzalez"]
    assert 0 < search_score("smtih", "Ann Smith") < search_score("smi", "Ann Smith")


def test_unrelated_queries_find_nothing():
    assert search("xyz") == []
    assert search_score("q", "Ann Smith") == 0


def test_accents_case_and_apostrophes_do_not_matter():
    assert search("jose") == ["José Núñez"]
    assert search("NUNEZ") == ["José Núñez"]
    assert search("obrien") == ["Pat O'Brien"]
    assert fold("  José  O’Brien ") == "jose obrien"


def test_digits_match_the_end_of_a_phone_number_first():
    assert search("0123") == ["Ann Smith"]
    assert search("555")[:3] == ["Ann Smith", "Bob Smithers", "Maria Gonzalez"]
    assert search("(212) 555-01") == ["Ann Smith", "Bob Smithers"]
    assert search_score("0199", "Bob Smithers", "+12125550199") > search_score("555", "Bob Smithers", "+12125550199")


def test_too_few_digits_match_nothing():
    assert search("01") == []


def test_empty_query_lists_everyone_in_order():
    assert search("") == [g.name for g in GUESTS]
    assert search("  ", limit=2) == ["Ann Smith", "Bob Smithers"]


def test_limit_and_stable_ties():
    assert search("s", limit=1) == ["Ann Smith"]
    twins = [G("Ann Smith"), G("Ann Smith")]
    assert filter_matches("smith", twins, key=lambda g: g.name) == twins


@pytest.mark.parametrize("name", ["", "   ", "-"])
def test_empty_names_do_not_crash(name):
    assert search_score("smith", name) == 0
