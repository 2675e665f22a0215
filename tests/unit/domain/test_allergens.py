"""Allergen, diet and severity detection on the words guests really write."""

from __future__ import annotations

import pytest

from hoststand.domain.allergens import (
    DietProfile,
    clauses,
    detect_allergens,
    detect_dietary,
    is_severe,
    mentions_allergy,
    ordered,
    parse_tags,
    says_nothing_to_flag,
)
from hoststand.domain.model import Allergen as A

NUTS = {A.PEANUT, A.TREE_NUT}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no nuts pls, epipen", NUTS),
        ("NUT ALLERGY", NUTS),
        ("nut-free dessert please", NUTS),  # better safe: still flagged
        ("not allergic to nuts", NUTS),  # better safe: a parser cannot tell this from "no nuts"
        ("allergic to tree nuts", {A.TREE_NUT}),
        ("tree-nut allergy", {A.TREE_NUT}),
        ("Almonds!", {A.TREE_NUT}),
        ("walnut, cashews and pecans", {A.TREE_NUT}),
        ("pistachio", {A.TREE_NUT}),
        ("hazelnuts", {A.TREE_NUT}),
        ("pine nuts", {A.TREE_NUT}),
        ("peanut", {A.PEANUT}),
        ("Peanuts.", {A.PEANUT}),
        ("groundnut oil", {A.PEANUT}),
        ("peanut butter and walnuts", NUTS),
        ("gluten", {A.GLUTEN}),
        ("Gluten-free please", {A.GLUTEN}),
        ("GF", {A.GLUTEN}),
        ("g/f bread", {A.GLUTEN}),
        ("celiac", {A.GLUTEN, A.WHEAT}),
        ("Coeliac disease", {A.GLUTEN, A.WHEAT}),
        ("wheat", {A.GLUTEN, A.WHEAT}),
        ("shellfish", {A.CRUSTACEAN, A.MOLLUSC}),
        ("shell fish", {A.CRUSTACEAN, A.MOLLUSC}),
        ("shrimp", {A.CRUSTACEAN}),
        ("prawns", {A.CRUSTACEAN}),
        ("crab and lobster", {A.CRUSTACEAN}),
        ("oysters", {A.MOLLUSC}),
        ("mussels, clams", {A.MOLLUSC}),
        ("scallops", {A.MOLLUSC}),
        ("squid", {A.MOLLUSC}),
        ("dairy", {A.MILK}),
        ("lactose intolerant", {A.MILK}),
        ("milk", {A.MILK}),
        ("cheese", {A.MILK}),
        ("no cream", {A.MILK}),
        ("without butter", {A.MILK}),
        ("eggs", {A.EGG}),
        ("egg", {A.EGG}),
        ("fish", {A.FISH}),
        ("raw fish", {A.FISH}),
        ("salmon", {A.FISH}),
        ("seafood", {A.FISH, A.CRUSTACEAN, A.MOLLUSC}),
        ("soy", {A.SOY}),
        ("soya", {A.SOY}),
        ("tofu", {A.SOY}),
        ("sesame", {A.SESAME}),
        ("tahini", {A.SESAME}),
        ("celery", {A.CELERY}),
        ("celeriac", {A.CELERY}),
        ("mustard", {A.MUSTARD}),
        ("sulphites", {A.SULPHITE}),
        ("sulfite", {A.SULPHITE}),
        ("lupin", {A.LUPIN}),
        ("lupine flour", {A.LUPIN}),
    ],
)
def test_detects_the_allergens_guests_write(text, expected):
    assert detect_allergens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("penuts", {A.PEANUT}),
        ("alergic to penuts", {A.PEANUT}),
        ("shelfish", {A.CRUSTACEAN, A.MOLLUSC}),
        ("sesmae", {A.SESAME}),
        ("glutten", {A.GLUTEN}),
        ("pistacio", {A.TREE_NUT}),
    ],
)
def test_forgives_a_typing_slip_in_a_long_word(text, expected):
    assert detect_allergens(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no allergies",
        "None",
        "N/A",
        "No known allergies.",
        "window table please",
        "my gf's birthday",  # girlfriend, not gluten free
        "Tracy's birthday",
        "dress codes",
        "scalloped potatoes",  # two slips from "scallop": not a typo
        "barely made it",
        "daily special",
        "squad of six",
        "salon booking after",
        "vegas trip",
        "ice cream cake with a candle",  # cream counts only next to a refusal
        "nutmeg on the latte",
        "coconut water",
    ],
)
def test_words_that_are_not_allergens_flag_nothing(text):
    assert detect_allergens(text) == frozenset()


def test_shellfish_is_not_fish():
    assert A.FISH not in detect_allergens("shellfish allergy")
    assert A.FISH not in detect_allergens("shell fish allergy")


def test_unqualified_nuts_mean_both_kinds():
    assert detect_allergens("nuts") == NUTS
    assert detect_allergens("tree nuts") == {A.TREE_NUT}


def test_gf_that_means_gluten_free_is_kept_next_to_other_words():
    assert detect_allergens("vegan and gf") == {A.GLUTEN}
    assert detect_allergens("gf pasta") == {A.GLUTEN}


def test_detection_reads_all_allergens_in_a_long_note():
    text = "Allergic to peanuts & shellfish; husband is coeliac. Kid: no eggs or sesame!!"
    assert detect_allergens(text) == {A.PEANUT, A.CRUSTACEAN, A.MOLLUSC, A.GLUTEN, A.WHEAT, A.EGG, A.SESAME}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vegetarian", ("vegetarian",)),
        ("Veggie", ("vegetarian",)),
        ("vegeterian", ("vegetarian",)),  # typo
        ("vegan", ("vegan",)),
        ("plant-based", ("vegan",)),
        ("pescatarian", ("pescatarian",)),
        ("halal please", ("halal",)),
        ("kosher", ("kosher",)),
        ("she is pregnant", ("pregnant",)),
        ("low FODMAP", ("low-FODMAP",)),
        ("keto", ("keto",)),
        ("diabetic", ("diabetic",)),
        ("low sodium", ("low-sodium",)),
        ("no pork", ("no pork",)),
        ("no alcohol", ("no alcohol",)),
        ("halal and vegetarian", ("vegetarian", "halal")),  # fixed order, not the order written
        ("no nuts", ()),
        ("Las Vegas", ()),
    ],
)
def test_detects_diets(text, expected):
    assert detect_dietary(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "no nuts pls, epipen",
        "EpiPen",
        "carries an epi-pen",
        "anaphylaxis",
        "anaphylactic to shrimp",
        "SEVERE nut allergy",
        "severely allergic",
        "deathly allergic to sesame",
        "nuts!!",
        "life-threatening",
        "even traces",
        "cross contamination is a problem",
    ],
)
def test_recognises_severe_allergies(text):
    assert is_severe(text)


@pytest.mark.parametrize("text", ["nut allergy", "mild lactose intolerance", "birthday!", "Tracy", ""])
def test_ordinary_allergies_are_not_severe(text):
    assert not is_severe(text)


def test_detection_adds_codes_and_never_changes_the_text():
    text = "No nuts pls, EpiPen!!"
    detect_allergens(text)
    detect_dietary(text)
    is_severe(text)
    assert text == "No nuts pls, EpiPen!!"


def test_an_allergy_to_something_without_a_code_is_still_an_allergy():
    assert detect_allergens("allergic to kiwi") == frozenset()
    assert mentions_allergy("allergic to kiwi")
    assert mentions_allergy("Kiwi allergy")


@pytest.mark.parametrize("text", ["no allergies", "None", "N/A", "No known allergies", "not allergic to anything"])
def test_statements_of_no_allergy(text):
    assert says_nothing_to_flag(text)
    assert not mentions_allergy(text)


def test_a_no_allergy_statement_that_names_an_allergen_is_flagged():
    assert not says_nothing_to_flag("no allergies except nuts")
    assert detect_allergens("no allergies except nuts") == NUTS


def test_clauses_keep_the_words_verbatim():
    assert clauses("No nuts pls. EpiPen!! Birthday; window\ntable") == (
        "No nuts pls.",
        "EpiPen!!",
        "Birthday;",
        "window",
        "table",
    )
    assert clauses("  ...  ") == ()


def test_parses_structured_tags():
    profile = parse_tags(["Nut allergy", "Gluten free", "Vegetarian", "Birthday", "High chair"])
    assert profile == DietProfile(
        allergens=frozenset({A.PEANUT, A.TREE_NUT, A.GLUTEN}),
        dietary=("vegetarian",),
        severe=False,
        words=("Nut allergy", "Gluten free", "Vegetarian"),
    )


def test_tags_carry_severity_and_allergies_without_codes():
    profile = parse_tags(["Severe shellfish allergy", "Kiwi allergy"])
    assert profile.severe
    assert profile.allergens == {A.CRUSTACEAN, A.MOLLUSC}
    assert profile.words == ("Severe shellfish allergy", "Kiwi allergy")


def test_tags_about_nothing_give_an_empty_profile():
    assert parse_tags(["Birthday", "Window", "No allergies"]) == DietProfile()


def test_allergens_are_ordered_as_the_enum():
    assert ordered({A.LUPIN, A.PEANUT, A.MILK}) == (A.PEANUT, A.MILK, A.LUPIN)
