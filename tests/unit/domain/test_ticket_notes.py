"""The ticket notes: allergies first and never cut, every string within the POS's limits."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoststand.domain.allergens import clauses, is_severe, mentions_allergy
from hoststand.domain.model import Allergen as A
from hoststand.domain.model import Guest, Reservation
from hoststand.domain.notes import (
    ELLIPSIS,
    SEE_TICKET,
    SEPARATOR,
    build_ticket_notes,
    clean_text,
    shorten,
    split_for_limit,
    text_length,
)

START = datetime(2024, 6, 1, 23, 0, tzinfo=timezone.utc)


def guest(**fields) -> Guest:
    return Guest(id="g1", first_name=fields.pop("first_name", "Ann"), last_name=fields.pop("last_name", "Smith"), **fields)


def booking(**fields) -> Reservation:
    return Reservation(
        id="r1", source="opentable", external_id="ot-1", party_size=fields.pop("party_size", 4), start=START, **fields
    )


# --- examples a server would check ---------------------------------------------------------------


def test_freeform_allergy_becomes_codes_with_the_guest_words_kept():
    notes = build_ticket_notes(guest(allergy_notes="no nuts pls, epipen"), booking())
    assert notes.allergy_text == 'SEVERE ALLERGY: PEANUT, TREE NUT – "no nuts pls, epipen"'
    assert notes.tab_name.startswith(notes.allergy_text)
    assert notes.kitchen_lines[0] == notes.allergy_text


def test_sections_come_in_the_design_order():
    notes = build_ticket_notes(
        guest(allergy_notes="shellfish", vip_tier="Gold", preferred_server="Maria", dietary=("vegetarian",)),
        booking(occasion="Anniversary", guest_request="Window please", venue_notes="Regular"),
    )
    assert notes.full_text.split("\n") == [
        'ALLERGY: SHELLFISH (CRUSTACEAN), MOLLUSC – "shellfish"',
        "DIET: VEGETARIAN",
        "Occasion: Anniversary",
        "VIP: Gold",
        "Preferred server: Maria",
        "Ann Smith, party of 4",
        "Request: Window please",
        "Venue note: Regular",
    ]
    assert notes.tab_name == SEPARATOR.join(notes.full_text.split("\n"))
    assert not notes.truncated


def test_structured_allergens_alone_are_listed():
    notes = build_ticket_notes(guest(allergens=frozenset({A.SESAME, A.EGG})), booking())
    assert notes.allergy_text == "ALLERGY: EGG, SESAME"


def test_allergy_in_the_booking_request_moves_to_the_top_and_the_rest_stays():
    notes = build_ticket_notes(
        guest(), booking(guest_request="Window table please. Husband is allergic to shellfish!! Cake at 9")
    )
    assert notes.allergy_text == 'SEVERE ALLERGY: SHELLFISH (CRUSTACEAN), MOLLUSC – "Husband is allergic to shellfish!!"'
    assert "Request: Window table please. Cake at 9" in notes.full_text
    assert notes.tab_name.index("SEVERE ALLERGY") == 0


def test_allergy_without_a_code_still_reaches_the_top():
    notes = build_ticket_notes(guest(), booking(venue_notes="Allergic to kiwi"))
    assert notes.allergy_text == 'ALLERGY – "Allergic to kiwi"'


def test_allergy_tags_count_and_other_tags_do_not_appear():
    notes = build_ticket_notes(guest(), booking(tags=("Nut allergy", "High chair", "Gluten free")))
    assert notes.allergy_text.startswith("ALLERGY: PEANUT, TREE NUT, GLUTEN")
    assert '"Nut allergy"' in notes.allergy_text
    assert "High chair" not in notes.full_text


def test_no_allergy_statements_add_no_allergy_section():
    notes = build_ticket_notes(guest(allergy_notes="None"), booking(guest_request="no allergies"))
    assert notes.allergy_text == ""
    assert not notes.tab_name.startswith("ALLERGY")


def test_diet_words_are_kept_when_they_say_more_than_the_diet():
    notes = build_ticket_notes(guest(allergy_notes="vegetarian but eats chicken"), booking())
    assert notes.allergy_text == 'DIET: VEGETARIAN – "vegetarian but eats chicken"'


def test_a_diet_clause_naming_an_allergen_is_flagged_better_safe():
    # "fish" here is a food they eat, but a parser cannot tell: flagged, and the words say why.
    notes = build_ticket_notes(guest(allergy_notes="vegetarian but eats fish"), booking())
    assert notes.allergy_text == 'ALLERGY: FISH – "vegetarian but eats fish" | DIET: VEGETARIAN'


def test_walk_in_without_a_guest_profile():
    notes = build_ticket_notes(None, booking(guest_name="Walk-in Lee", party_size=2))
    assert notes.tab_name == "Walk-in Lee, party of 2"
    assert notes.allergy_text == ""
    assert notes.kitchen_lines == ("Walk-in Lee, party of 2",)


def test_whitespace_and_line_breaks_are_collapsed():
    notes = build_ticket_notes(guest(first_name="  Ann\n", last_name="Smith"), booking(guest_request="a\n\n  b\tc"))
    assert "Request: a b c" in notes.tab_name
    assert "\n" not in notes.tab_name
    assert all("\n" not in line for line in notes.kitchen_lines)


def test_long_free_notes_are_shortened_with_an_ellipsis():
    request = "please " * 60
    notes = build_ticket_notes(guest(allergy_notes="nuts"), booking(guest_request=request))
    assert notes.truncated
    assert text_length(notes.tab_name) <= 255
    assert notes.tab_name.endswith(ELLIPSIS)
    assert notes.tab_name.startswith('ALLERGY: PEANUT, TREE NUT – "nuts"')
    assert all(text_length(line) <= 255 for line in notes.kitchen_lines)


def test_lower_priority_sections_are_dropped_first():
    notes = build_ticket_notes(
        guest(vip_tier="VIP", preferred_server="Maria"),
        booking(occasion="Birthday", guest_request="x" * 300),
        tab_name_max=60,
    )
    assert notes.tab_name.startswith("Occasion: Birthday | VIP | Preferred server: Maria")
    assert "Request" not in notes.tab_name
    assert notes.truncated


def test_an_allergy_longer_than_the_tab_name_points_to_the_ticket_and_is_kept_whole():
    words = "severe allergy to peanuts, walnuts, almonds, cashews, shellfish, sesame, mustard, celery " * 4
    notes = build_ticket_notes(guest(allergy_notes=words), booking(occasion="Birthday"))
    assert notes.truncated
    assert text_length(notes.tab_name) <= 255
    assert notes.tab_name.endswith(SEE_TICKET)
    assert notes.tab_name.startswith("SEVERE ALLERGY: PEANUT, TREE NUT")
    assert clean_text(words) in notes.allergy_text
    assert len(notes.allergy_text) > 255
    chunks = split_for_limit(notes.allergy_text, 255)
    assert " ".join(chunks) == notes.allergy_text
    assert notes.kitchen_lines[: len(chunks)] == chunks


def test_emoji_count_as_two_units_against_the_limit():
    notes = build_ticket_notes(guest(), booking(guest_request="🎂" * 200), tab_name_max=60, special_request_max=40)
    assert text_length(notes.tab_name) <= 60
    assert all(text_length(line) <= 40 for line in notes.kitchen_lines)
    assert "\ud83c" not in notes.tab_name  # no half of a surrogate pair


def test_limits_below_a_usable_size_are_refused():
    with pytest.raises(ValueError, match="at least"):
        build_ticket_notes(guest(), booking(), tab_name_max=10)
    with pytest.raises(ValueError, match="at least"):
        build_ticket_notes(guest(), booking(), special_request_max=5)


# --- split_for_limit, shorten, clean_text -----------------------------------------------------------


def test_split_for_limit_cuts_on_word_boundaries():
    assert split_for_limit("aaa bbb ccc ddd", 7) == ("aaa bbb", "ccc ddd")
    assert split_for_limit("", 7) == ()
    assert split_for_limit("short", 255) == ("short",)


def test_split_for_limit_cuts_inside_a_word_only_when_it_must():
    assert split_for_limit("ab abcdefghij cd", 4) == ("ab", "abcd", "efgh", "ij", "cd")


def test_split_for_limit_refuses_a_limit_that_cannot_hold_a_character():
    with pytest.raises(ValueError, match="at least two"):
        split_for_limit("🎂", 1)


def test_split_for_limit_does_not_separate_an_accent_from_its_letter():
    text = "e\u0301" * 5  # five "é" written as e + combining accent
    chunks = split_for_limit(text, 3)
    assert all(not chunk.startswith("\u0301") for chunk in chunks)
    assert "".join(chunks) == text


def test_shorten_keeps_short_text_and_ellipsizes_long_text():
    assert shorten("hello", 10) == "hello"
    assert shorten("hello wonderful world", 12) == "hello…"
    assert text_length(shorten("x" * 50, 10)) == 10


def test_clean_text_removes_control_characters_and_lone_surrogates():
    assert clean_text("a\x00b\x1bc \r\n d") == "a b c d"
    assert clean_text("x\ud800y") == "x\ufffdy"
    assert clean_text("café 🎂") == "café 🎂"


# --- properties ----------------------------------------------------------------------------------

ALLERGY_WORDS = ["nuts", "peanut", "shellfish", "epipen", "gluten", "dairy", "eggs", "sesame", "allergic", "!!"]
words = st.one_of(
    st.sampled_from(ALLERGY_WORDS + ["birthday", "window", "please", "none", "vegan", "table", "Mrs."]),
    st.text(min_size=1, max_size=12),
)
free_text = st.lists(words, max_size=12).map(" ".join)
short_text = st.one_of(st.none(), st.text(max_size=25))


@st.composite
def guests_and_bookings(draw):
    g = Guest(
        id="g",
        first_name=draw(st.text(max_size=15)),
        last_name=draw(st.text(max_size=15)),
        allergens=frozenset(draw(st.sets(st.sampled_from(list(A))))),
        allergy_notes=draw(free_text),
        dietary=tuple(draw(st.lists(st.sampled_from(["vegan", "halal", "Kosher", "no onions"]), max_size=3))),
        vip_tier=draw(short_text),
        preferred_server=draw(short_text),
        notes=draw(free_text),
    )
    r = Reservation(
        id="r",
        source="opentable",
        external_id="x",
        party_size=draw(st.integers(1, 40)),
        start=START,
        tags=tuple(draw(st.lists(st.sampled_from(["Nut allergy", "Birthday", "Vegetarian", "VIP"]), max_size=3))),
        occasion=draw(short_text),
        guest_request=draw(free_text),
        venue_notes=draw(free_text),
    )
    return g, r


def _non_space(text: str) -> str:
    return re.sub(r"\s", "", text)


def _protected_lines(notes) -> int:
    """How many of full_text's first lines make up allergy_text (allergy and diet, 0 to 2)."""
    lines = notes.full_text.split("\n")
    for n in (0, 1, 2):
        if SEPARATOR.join(lines[:n]) == notes.allergy_text:
            return n
    raise AssertionError("allergy_text is not the first lines of full_text")


@settings(derandomize=True, max_examples=120, deadline=None)
@given(guests_and_bookings(), st.integers(40, 300), st.integers(16, 300))
def test_property_notes_fit_keep_allergies_whole_and_keep_the_order(pair, tab_max, sr_max):
    g, r = pair
    notes = build_ticket_notes(g, r, tab_name_max=tab_max, special_request_max=sr_max)

    assert text_length(notes.tab_name) <= tab_max
    assert all(0 < text_length(line) <= sr_max for line in notes.kitchen_lines)

    # Every allergy the profile names is listed; every clause about an allergy is there, verbatim.
    for allergen in g.allergens:
        assert allergen.label.upper() in notes.allergy_text
    for source in (g.allergy_notes, r.guest_request, r.venue_notes, g.notes):
        for clause in clauses(source):
            if mentions_allergy(clause):
                assert clean_text(clause) in notes.allergy_text
                if is_severe(clause):
                    assert notes.allergy_text.startswith("SEVERE ALLERGY")

    # The kitchen lines carry the allergy text without losing a character.
    allergy_chunks = split_for_limit(notes.allergy_text, sr_max)
    assert _non_space("".join(allergy_chunks)) == _non_space(notes.allergy_text)
    protected = notes.full_text.split("\n")[: _protected_lines(notes)]
    assert _non_space("".join(notes.kitchen_lines)).startswith(_non_space("".join(protected)))

    # The tab name starts with the allergy: whole, or as much as fits and a pointer to the ticket.
    if notes.allergy_text and text_length(notes.allergy_text) > tab_max:
        assert notes.tab_name.endswith(SEE_TICKET)
        assert notes.truncated
        return
    if notes.allergy_text:
        assert notes.tab_name.startswith(notes.allergy_text)

    # The tab name is the sections in order: k whole ones, then maybe one shortened; nothing after.
    lines = notes.full_text.split("\n")
    n = _protected_lines(notes)
    sections = ([notes.allergy_text] if n else []) + lines[n:]
    k = 0
    while k < len(sections) and notes.tab_name.startswith(SEPARATOR.join(sections[: k + 1])):
        k += 1
    rest = notes.tab_name[len(SEPARATOR.join(sections[:k])) :]
    if rest:
        assert k < len(sections)
        rest = rest.removeprefix(SEPARATOR)
        assert rest.endswith(ELLIPSIS)
        assert sections[k].startswith(rest[: -len(ELLIPSIS)])
    assert notes.truncated == (k < len(sections) or any(line.endswith(ELLIPSIS) for line in notes.kitchen_lines))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(max_size=600), st.integers(2, 300))
def test_property_split_for_limit_loses_nothing(text, limit):
    chunks = split_for_limit(text, limit)
    assert all(0 < text_length(chunk) <= limit for chunk in chunks)
    assert _non_space("".join(chunks)) == _non_space(text)
    for word in text.split():
        if text_length(word) <= limit:
            assert any(word in chunk.split() for chunk in chunks)
