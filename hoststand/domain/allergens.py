"""Allergen and diet detection in the way guests actually write ("no nuts pls, epipen").

Detection only ever *adds* structured codes next to the guest's words; it never replaces them.
The rule throughout is "better safe": an allergen word is flagged whatever surrounds it ("nut-free
dessert", "not allergic to nuts" and "no nuts" all flag nuts), because a false flag costs the server a
question while a miss can cost a life. Only statements that mention no allergen at all ("no allergies",
"none", "n/a") come out empty.

Matching works on lower-cased word tokens: plurals are folded ("nuts" → "nut"), two-word phrases are
read first ("tree nuts", "shell fish"), and a long unknown word within one or two typing slips of a
known one counts as that word ("penuts", "alergic"), via rapidfuzz's Damerau-Levenshtein distance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

from hoststand.domain.model import Allergen

A = Allergen
_NUTS = frozenset({A.PEANUT, A.TREE_NUT})
_GLUTEN_WHEAT = frozenset({A.GLUTEN, A.WHEAT})
_SHELLFISH = frozenset({A.CRUSTACEAN, A.MOLLUSC})
_SEAFOOD = frozenset({A.FISH, A.CRUSTACEAN, A.MOLLUSC})


def _each(codes: frozenset[Allergen] | Allergen, *words: str) -> dict[str, frozenset[Allergen]]:
    value = codes if isinstance(codes, frozenset) else frozenset({codes})
    return {w: value for w in words}


# Single words (singular form) → allergen codes.
_ALLERGEN_WORDS: dict[str, frozenset[Allergen]] = {
    **_each(_NUTS, "nut", "nutfree"),  # unqualified "nuts": a server cannot know which, so both
    **_each(A.PEANUT, "peanut", "groundnut", "peanutfree"),
    **_each(
        A.TREE_NUT, "almond", "walnut", "cashew", "pecan", "pistachio", "hazelnut", "macadamia",
        "filbert", "chestnut", "praline", "marzipan", "nutella",
    ),
    **_each(A.GLUTEN, "gluten", "glutenfree", "gf", "barley", "rye"),
    **_each(_GLUTEN_WHEAT, "celiac", "coeliac", "wheat"),
    **_each(_SHELLFISH, "shellfish"),
    **_each(
        A.CRUSTACEAN, "crustacean", "shrimp", "prawn", "crab", "lobster", "crayfish", "crawfish",
        "langoustine", "scampi",
    ),
    **_each(
        A.MOLLUSC, "mollusc", "mollusk", "oyster", "mussel", "clam", "scallop", "squid", "octopus",
        "calamari", "snail", "escargot", "cuttlefish", "abalone",
    ),
    **_each(_SEAFOOD, "seafood"),
    **_each(A.MILK, "milk", "dairy", "dairyfree", "lactose", "cheese", "casein", "whey", "df"),
    **_each(A.EGG, "egg", "eggfree"),
    **_each(
        A.FISH, "fish", "salmon", "tuna", "cod", "anchovy", "sardine", "trout", "halibut", "mackerel",
        "haddock",
    ),
    **_each(A.SOY, "soy", "soya", "soybean", "tofu", "edamame", "miso"),
    **_each(A.SESAME, "sesame", "tahini"),
    **_each(A.CELERY, "celery", "celeriac"),
    **_each(A.MUSTARD, "mustard"),
    **_each(A.SULPHITE, "sulphite", "sulfite"),
    **_each(A.LUPIN, "lupin", "lupine", "lupini"),
}

# Two-word phrases, read before single words so "tree nuts" is not also plain "nuts".
_ALLERGEN_PHRASES: dict[tuple[str, str], frozenset[Allergen]] = {
    ("tree", "nut"): frozenset({A.TREE_NUT}),
    ("pine", "nut"): frozenset({A.TREE_NUT}),
    ("brazil", "nut"): frozenset({A.TREE_NUT}),
    ("ground", "nut"): frozenset({A.PEANUT}),
    ("pea", "nut"): frozenset({A.PEANUT}),
    ("shell", "fish"): _SHELLFISH,
    ("sea", "food"): _SEAFOOD,
    ("g", "f"): frozenset({A.GLUTEN}),  # "g/f", "g.f."
}

# Words that name an allergen only next to a refusal or an allergy word: "no cream", "butter allergy".
_CONTEXTUAL_WORDS: dict[str, frozenset[Allergen]] = _each(A.MILK, "cream", "butter", "yogurt", "yoghurt")
_REFUSAL_BEFORE = frozenset(
    {"no", "not", "without", "w", "o", "hold", "avoid", "t", "cant", "cannot", "dont", "never", "nothing"}
)
_ALLERGY_AFTER = frozenset({"free", "allergy", "allergic", "allergie", "intolerant", "intolerance"})

# "gf" is also "girlfriend": not after a possessive or an article ("my gf's birthday").
_GF_NOT_AFTER = frozenset({"my", "his", "her", "your", "their", "our", "the", "a"})

# Words that say the text is about an allergy even when it names no coded allergen ("allergic to kiwi").
_ALLERGY_WORDS = frozenset(
    {"allergy", "allergic", "allergie", "allergen", "intolerant", "intolerance", "anaphylaxis",
     "anaphylactic", "epipen", "sensitivity", "reaction"}
)

_SEVERE_WORDS = frozenset(
    {"epipen", "epi", "anaphylaxis", "anaphylactic", "severe", "severely", "deathly", "deadly", "fatal",
     "lethal", "airborne", "trace", "extreme", "extremely"}
)
_SEVERE_PHRASES = frozenset(
    {("epi", "pen"), ("auvi", "q"), ("life", "threatening"), ("cross", "contamination"),
     ("cross", "contact"), ("very", "allergic"), ("highly", "allergic")}
)

# Canonical diet names, in display order, with the words and phrases that mean them.
_DIETS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("vegan", (("vegan",), ("plant", "based"), ("plantbased",))),
    ("vegetarian", (("vegetarian",), ("veggie",), ("veggy",))),
    ("pescatarian", (("pescatarian",), ("pescetarian",))),
    ("halal", (("halal",),)),
    ("kosher", (("kosher",),)),
    ("pregnant", (("pregnant",), ("pregnancy",))),
    ("low-FODMAP", (("fodmap",),)),
    ("keto", (("keto",), ("ketogenic",))),
    ("diabetic", (("diabetic",), ("diabetes",))),
    ("low-sodium", (("low", "sodium"), ("low", "salt"), ("no", "salt"))),
    ("no pork", (("no", "pork"), ("pork", "free"))),
    ("no red meat", (("no", "red", "meat"),)),
    ("no alcohol", (("no", "alcohol"), ("teetotal",), ("teetotaler",), ("sober",))),
)

# A clause made only of these words says there is nothing to flag ("No known allergies", "N/A").
_NOTHING_WORDS = frozenset(
    {"no", "none", "nil", "nope", "n", "a", "na", "nka", "nkda", "known", "food", "allergy", "allergie",
     "allergic", "allergen", "dietary", "diet", "restriction", "requirement", "need", "any", "not", "to",
     "anything", "nothing", "thanks", "thank", "you"}
)

# Real words one slip away from a known word: never read as a typo.
_NOT_TYPOS = frozenset({"daily", "diary", "squad", "salon", "barely", "vegas", "glutes", "dearly", "fetal"})

_KNOWN_WORDS: frozenset[str] = frozenset(
    set(_ALLERGEN_WORDS)
    | {w for pair in _ALLERGEN_PHRASES for w in pair}
    | set(_CONTEXTUAL_WORDS)
    | _ALLERGY_WORDS
    | _SEVERE_WORDS
    | {w for pair in _SEVERE_PHRASES for w in pair}
    | {w for _, forms in _DIETS for form in forms for w in form}
    | {"allergies"}
)
# Short words that sit one slip from a common word or name ("Tracy" → "trace") are matched exactly only.
_EXACT_ONLY = frozenset({"trace", "fatal"})


def _typo_targets() -> dict[str, tuple[str, ...]]:
    """Known words a slip may be corrected to, by first letter: five letters or more, where one slip
    rarely turns one real word into another, and never the words that count only in context."""
    targets: dict[str, list[str]] = {}
    for word in sorted(_KNOWN_WORDS - set(_CONTEXTUAL_WORDS) - _EXACT_ONLY):
        if len(word) >= 5:
            targets.setdefault(word[0], []).append(word)
    return {letter: tuple(words) for letter, words in targets.items()}


_TYPO_TARGETS = _typo_targets()

_TOKEN = re.compile(r"[^\W_]+")


def _singular(token: str) -> str:
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith("ss") and len(token) > 2:
        return token[:-1]
    return token


def _typo_fix(token: str) -> str | None:
    if len(token) < 5 or token in _NOT_TYPOS or not token.isalpha():
        return None
    best: tuple[int, str] | None = None
    for word in _TYPO_TARGETS.get(token[0], ()):
        allowed = 1 if len(word) <= 8 else 2
        if abs(len(word) - len(token)) > allowed:
            continue
        distance = DamerauLevenshtein.distance(token, word, score_cutoff=allowed)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, word)
    return best[1] if best else None


@lru_cache(maxsize=8192)
def _canonical(token: str) -> str:
    """The known word a token stands for, else the token in singular form."""
    if token == "allergies":
        return "allergy"
    if token in _KNOWN_WORDS:
        return token
    single = _singular(token)
    if single in _KNOWN_WORDS:
        return single
    fixed = _typo_fix(token) or _typo_fix(single)
    if fixed is not None:
        return "allergy" if fixed == "allergies" else fixed
    return single


@lru_cache(maxsize=8192)
def tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens of `text`, plurals folded and slips corrected ("Penuts!" → ("peanut",)).

    Remembered for the last few thousand texts: a pull reads each guest's words for allergens, diets and
    severity, and the next pull reads the same words again."""
    return tuple(_canonical(t) for t in _TOKEN.findall(text.casefold()))


@lru_cache(maxsize=8192)  # a pull reads the same notes again and again
def detect_allergens(text: str) -> frozenset[Allergen]:
    """The allergen codes `text` mentions; empty for "no allergies", "none" or text about something else."""
    words = tokens(text)
    found: set[Allergen] = set()
    i = 0
    while i < len(words):
        pair = (words[i], words[i + 1]) if i + 1 < len(words) else None
        if pair in _ALLERGEN_PHRASES:
            found |= _ALLERGEN_PHRASES[pair]  # type: ignore[index]
            i += 2
            continue
        word = words[i]
        if word == "gf" and i > 0 and words[i - 1] in _GF_NOT_AFTER:
            pass
        elif word in _ALLERGEN_WORDS:
            found |= _ALLERGEN_WORDS[word]
        elif word in _CONTEXTUAL_WORDS:
            before = set(words[max(0, i - 3) : i])
            after = set(words[i + 1 : i + 3])
            if before & _REFUSAL_BEFORE or after & _ALLERGY_AFTER:
                found |= _CONTEXTUAL_WORDS[word]
        i += 1
    return frozenset(found)


def _spaced(words: tuple[str, ...]) -> str:
    """Words joined and padded with spaces, so that a phrase is found only as whole words."""
    return f" {' '.join(words)} "


_DIET_FORMS = tuple((name, tuple(_spaced(form) for form in forms)) for name, forms in _DIETS)
_SEVERE_SPACED = tuple(_spaced(phrase) for phrase in sorted(_SEVERE_PHRASES))


@lru_cache(maxsize=8192)  # a pull reads the same notes again and again
def detect_dietary(text: str) -> tuple[str, ...]:
    """Diets and restrictions `text` mentions, as canonical names in a fixed order ("vegan", "halal", …)."""
    spaced = _spaced(tokens(text))
    return tuple(name for name, forms in _DIET_FORMS if any(form in spaced for form in forms))


@lru_cache(maxsize=8192)  # a pull reads the same notes again and again
def is_severe(text: str) -> bool:
    """Whether `text` says the allergy is severe: epipen, anaphylaxis, "severe", "deathly", "!!", traces…"""
    if "!!" in text:
        return True
    words = tokens(text)
    if any(w in _SEVERE_WORDS for w in words):
        return True
    spaced = _spaced(words)
    return any(phrase in spaced for phrase in _SEVERE_SPACED)


def mentions_allergy(text: str) -> bool:
    """Whether `text` is about an allergy: it names an allergen, an allergy word or a severity sign.

    "allergic to kiwi" is (kiwi has no code, but the words must reach the kitchen); "no allergies" is not.
    """
    if detect_allergens(text) or is_severe(text):
        return True
    words = tokens(text)
    if not any(w in _ALLERGY_WORDS for w in words):
        return False
    return not says_nothing_to_flag(text)


def says_nothing_to_flag(text: str) -> bool:
    """Whether `text` only says there is nothing to flag: "none", "No known allergies.", "N/A"."""
    words = tokens(text)
    if not words:
        return True
    return all(w in _NOTHING_WORDS for w in words) and not detect_allergens(text)


_CLAUSE = re.compile(r"[^.!?;\n]+[.!?;]*")


def clauses(text: str) -> tuple[str, ...]:
    """`text` cut into sentences and clauses (on . ! ? ; and line breaks), each kept verbatim but stripped."""
    return tuple(c.strip() for c in _CLAUSE.findall(text) if c.strip(" \t\r.!?;"))


@dataclass(frozen=True)
class DietProfile:
    """What a set of words says about allergies and diet, with the words that said it."""

    allergens: frozenset[Allergen] = frozenset()
    dietary: tuple[str, ...] = ()
    severe: bool = False
    words: tuple[str, ...] = ()  # the original tags or clauses that carried something, verbatim


def parse_tags(tags: Iterable[str]) -> DietProfile:
    """Read structured tag strings (OpenTable guest or visit tags: "Nut allergy", "Gluten free",
    "Vegetarian") with the same detector as freeform text. Tags about anything else are ignored.
    """
    allergens: set[Allergen] = set()
    dietary: list[str] = []
    severe = False
    words: list[str] = []
    for tag in tags:
        tag_allergens = detect_allergens(tag)
        tag_diet = detect_dietary(tag)
        about_allergy = mentions_allergy(tag)
        if not (tag_allergens or tag_diet or about_allergy):
            continue
        allergens |= tag_allergens
        dietary.extend(d for d in tag_diet if d not in dietary)
        severe = severe or is_severe(tag)
        if tag.strip() not in words:
            words.append(tag.strip())
    return DietProfile(frozenset(allergens), tuple(dietary), severe, tuple(words))


def ordered(allergens: Iterable[Allergen]) -> tuple[Allergen, ...]:
    """Allergens in the fixed display order of the Allergen enum."""
    present = set(allergens)
    return tuple(a for a in Allergen if a in present)
