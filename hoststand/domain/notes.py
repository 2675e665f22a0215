"""The ticket-note builder (DESIGN.md §6): what the server and the kitchen read on the POS ticket.

Sections, in this order: allergies (structured codes plus the guest's own words, marked SEVERE when the
words say so) and diet, which are never cut; then occasion, VIP tier, preferred server; then the party's
name and size and the free notes (the guest's request, the venue's notes, the profile notes).

Every freeform text is scanned: a clause that mentions an allergy moves, verbatim, into the allergy
section, and a clause that mentions a diet into the diet section; the rest stays in its note.

Limits are counted in UTF-16 code units, the way a Java back end such as Toast's counts a string: for
ordinary text that is the number of characters, and an emoji counts two. No emitted string is longer
than its limit, except `allergy_text`, which is complete by design and which the connector splits with
`split_for_limit` into as many SPECIAL_REQUEST selections as it takes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from hoststand.domain import allergens as al
from hoststand.domain.model import Allergen, Guest, Reservation

SEPARATOR = " | "
ELLIPSIS = "…"
SEE_TICKET = "… ALLERGY – SEE TICKET"
MIN_TAB_NAME = 40
MIN_SPECIAL_REQUEST = 16
_MIN_SHORTENED = 12  # a shortened section shorter than this says nothing: drop it instead


@dataclass(frozen=True)
class TicketNotes:
    tab_name: str  # Toast check tabName: one line, within tab_name_max
    allergy_text: str  # the complete allergy and diet section, never cut ("" when there is none)
    kitchen_lines: tuple[str, ...]  # SPECIAL_REQUEST texts, each within special_request_max
    full_text: str  # every section in full, one per line: for the app's own display
    truncated: bool  # whether anything was shortened or dropped from tab_name or kitchen_lines


def text_length(text: str) -> int:
    """Length as a Java back end counts it: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def clean_text(text: str) -> str:
    """Text as it may go to a POS: control characters and line breaks become spaces, runs of whitespace
    one space, lone surrogates U+FFFD. Nothing else changes."""
    chars = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            chars.append(" ")
        elif category == "Cs":
            chars.append("\ufffd")
        else:
            chars.append(ch)
    return " ".join("".join(chars).split())


def _is_joined_to_previous(text: str, i: int) -> bool:
    """Whether a cut before text[i] would split a character from its accents, variation or joiner."""
    ch = text[i]
    if unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200d\ufe0e\ufe0f":
        return True
    return i > 0 and text[i - 1] == "\u200d"


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of `text` within `limit` units that does not split a character sequence."""
    units = 0
    end = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            break
        end = i + 1
    if end < len(text):
        cut = end
        while cut > 0 and _is_joined_to_previous(text, cut):
            cut -= 1
        if cut > 0:  # a sequence longer than the whole limit is cut where it must be
            end = cut
    return text[:end]


def split_for_limit(text: str, limit: int) -> tuple[str, ...]:
    """Cut `text` into pieces of at most `limit` units, on spaces where possible, losing nothing.

    The pieces, joined with single spaces, give back the whitespace-collapsed text, except where one
    word is longer than `limit`: only such a word is cut inside, and its parts join without a space.
    """
    if limit < 2:
        raise ValueError("The limit must be at least two characters (an emoji counts two)")
    chunks: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        while text_length(word) > limit:
            head = _prefix_within(word, limit)
            chunks.append(head)
            word = word[len(head) :]
        current = word
    if current:
        chunks.append(current)
    return tuple(chunks)


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` units, cut at a word boundary where one is near and ended with "…"."""
    if text_length(text) <= limit:
        return text
    head = _prefix_within(text, limit - 1)
    space = head.rfind(" ")
    if space >= len(head) // 2:
        head = head[:space]
    return head.rstrip(" ,;:-–|") + ELLIPSIS


@dataclass
class _Collected:
    allergens: set[Allergen]
    dietary: list[str]
    allergy_quotes: list[str]
    diet_quotes: list[str]
    severe: bool = False

    def add_quote(self, quotes: list[str], quote: str) -> None:
        if quote and quote.casefold() not in {q.casefold() for q in quotes}:
            quotes.append(quote)

    def add_dietary(self, names: tuple[str, ...] | list[str]) -> None:
        for name in names:
            if name.casefold() not in {d.casefold() for d in self.dietary}:
                self.dietary.append(name)


def _sift(text: str, found: _Collected, *, allergy_field: bool = False) -> str:
    """Move the allergy and diet clauses of `text` into `found`; return the rest of the text.

    Neighbouring allergy clauses stay together as one quote ("No nuts. EpiPen!!").
    With `allergy_field` (the profile's allergy notes), clauses that are neither stay with the allergy
    words, and clauses that only say there is nothing to flag are left out.
    """
    rest: list[str] = []
    allergy_run: list[str] = []

    def close_run() -> None:
        if allergy_run:
            found.add_quote(found.allergy_quotes, clean_text(" ".join(allergy_run)))
            allergy_run.clear()

    for clause in al.clauses(text):
        diet = al.detect_dietary(clause)
        if al.mentions_allergy(clause):
            found.allergens |= al.detect_allergens(clause)
            found.severe = found.severe or al.is_severe(clause)
            found.add_dietary(diet)
            allergy_run.append(clause)
            continue
        close_run()
        if diet:
            found.add_dietary(diet)
            if clean_text(clause).strip(" .!;").casefold() not in {d.casefold() for d in diet}:
                found.add_quote(found.diet_quotes, clean_text(clause))
        elif allergy_field:
            if not al.says_nothing_to_flag(clause):
                found.add_quote(found.allergy_quotes, clean_text(clause))
        else:
            rest.append(clause)
    close_run()
    return clean_text(" ".join(rest))


def _quoted(quotes: list[str]) -> str:
    return " / ".join(f'"{q}"' for q in quotes)


def _allergy_section(found: _Collected) -> str:
    if not (found.allergens or found.allergy_quotes):
        return ""
    header = "SEVERE ALLERGY" if found.severe else "ALLERGY"
    codes = ", ".join(a.label.upper() for a in al.ordered(found.allergens))
    if codes and found.allergy_quotes:
        return f"{header}: {codes} – {_quoted(found.allergy_quotes)}"
    if codes:
        return f"{header}: {codes}"
    return f"{header} – {_quoted(found.allergy_quotes)}"


def _diet_section(found: _Collected) -> str:
    if not (found.dietary or found.diet_quotes):
        return ""
    names = ", ".join(d.upper() for d in found.dietary)
    if names and found.diet_quotes:
        return f"DIET: {names} – {_quoted(found.diet_quotes)}"
    return f"DIET: {names}" if names else f"DIET – {_quoted(found.diet_quotes)}"


def _sections(guest: Guest | None, reservation: Reservation) -> tuple[str, str, list[str]]:
    """(allergy section, diet section, the other sections in priority order), all cleaned."""
    found = _Collected(set(guest.allergens) if guest else set(), [], [], [])
    if guest is not None:
        _sift(guest.allergy_notes, found, allergy_field=True)
        for entry in guest.dietary:
            known = al.detect_dietary(entry)
            found.add_dietary(known if known else [clean_text(entry)] if clean_text(entry) else [])
    tags = al.parse_tags(reservation.tags)
    found.allergens |= tags.allergens
    found.severe = found.severe or tags.severe
    found.add_dietary(tags.dietary)
    for tag in tags.words:
        if al.mentions_allergy(tag):
            found.add_quote(found.allergy_quotes, clean_text(tag))
    request = _sift(reservation.guest_request, found)
    venue = _sift(reservation.venue_notes, found)
    profile = _sift(guest.notes, found) if guest is not None else ""

    others: list[str] = []
    if reservation.occasion and clean_text(reservation.occasion):
        others.append(f"Occasion: {clean_text(reservation.occasion)}")
    if guest is not None and guest.vip_tier and clean_text(guest.vip_tier):
        tier = clean_text(guest.vip_tier)
        others.append(tier if "vip" in tier.casefold() else f"VIP: {tier}")
    if guest is not None and guest.preferred_server and clean_text(guest.preferred_server):
        others.append(f"Preferred server: {clean_text(guest.preferred_server)}")
    name = clean_text(guest.display_name if guest is not None else reservation.guest_name) or "Guest"
    others.append(f"{name}, party of {reservation.party_size}")
    for label, text in (("Request", request), ("Venue note", venue), ("Profile", profile)):
        if text:
            others.append(f"{label}: {text}")
    return _allergy_section(found), _diet_section(found), others


def _tab_name(protected: str, others: list[str], limit: int) -> tuple[str, bool]:
    if protected and text_length(protected) > limit:
        head = _prefix_within(protected, limit - text_length(SEE_TICKET))
        space = head.rfind(" ")
        if space >= len(head) // 2:
            head = head[:space]
        return head.rstrip(" ,;:-–|/") + SEE_TICKET, True
    parts = [protected] if protected else []
    for section in others:
        if text_length(SEPARATOR.join([*parts, section])) <= limit:
            parts.append(section)
            continue
        room = limit - (text_length(SEPARATOR.join(parts)) + text_length(SEPARATOR) if parts else 0)
        if room >= _MIN_SHORTENED:
            parts.append(shorten(section, room))
        return SEPARATOR.join(parts), True
    return SEPARATOR.join(parts), False


def build_ticket_notes(
    guest: Guest | None,
    reservation: Reservation,
    *,
    tab_name_max: int = 255,
    special_request_max: int = 255,
) -> TicketNotes:
    """The notes for the POS ticket of `reservation` (guest may be None for a walk-in)."""
    if tab_name_max < MIN_TAB_NAME:
        raise ValueError(f"The tab name limit must be at least {MIN_TAB_NAME} characters")
    if special_request_max < MIN_SPECIAL_REQUEST:
        raise ValueError(f"The special request limit must be at least {MIN_SPECIAL_REQUEST} characters")
    allergy, diet, others = _sections(guest, reservation)
    protected = SEPARATOR.join(s for s in (allergy, diet) if s)
    tab_name, tab_cut = _tab_name(protected, others, tab_name_max)

    kitchen: list[str] = [*split_for_limit(allergy, special_request_max)]
    kitchen.extend(split_for_limit(diet, special_request_max))
    lines_cut = False
    for section in others:
        line = shorten(section, special_request_max)
        lines_cut = lines_cut or line != section
        kitchen.append(line)

    full_text = "\n".join(s for s in (allergy, diet, *others) if s)
    return TicketNotes(tab_name, protected, tuple(kitchen), full_text, tab_cut or lines_cut)
