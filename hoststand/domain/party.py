"""What the host must know about a party's allergies and diet, gathered from the guest profile and the booking.

The guest's own words are kept verbatim (profile food-and-drink notes, and any clause of tonight's request
that is about an allergy or a diet); the codes are what the detector read in them.
"""

from __future__ import annotations

from dataclasses import dataclass

from hoststand.domain import allergens as al
from hoststand.domain.model import Allergen, Guest, Reservation


@dataclass(frozen=True)
class PartyAllergies:
    codes: tuple[Allergen, ...] = ()
    words: tuple[str, ...] = ()  # verbatim
    severe: bool = False
    dietary: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.codes or self.words)


def party_allergies(guest: Guest | None, reservation: Reservation) -> PartyAllergies:
    codes: set[Allergen] = set(guest.allergens) if guest else set()
    words: list[str] = []
    dietary: list[str] = list(guest.dietary) if guest else []
    if guest and guest.allergy_notes.strip() and not al.says_nothing_to_flag(guest.allergy_notes):
        words.append(guest.allergy_notes.strip())
    for text in (reservation.guest_request, reservation.venue_notes):
        for clause in al.clauses(text or ""):
            if al.mentions_allergy(clause) or al.detect_dietary(clause):
                codes |= al.detect_allergens(clause)
                dietary.extend(d for d in al.detect_dietary(clause) if d not in dietary)
                if clause not in words:
                    words.append(clause)
    severe = any(al.is_severe(w) for w in words)
    return PartyAllergies(al.ordered(codes), tuple(words), severe, tuple(dict.fromkeys(dietary)))
