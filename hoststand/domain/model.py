"""Entities of the host stand (DESIGN.md §3): floor, tables, guests, reservations, tickets, and the
records of the write path (outbox actions, conflicts, audit entries).

All are immutable dataclasses; change one with `dataclasses.replace`. Times are timezone-aware UTC.
Money is integer minor units (cents) with an ISO currency code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class ReservationStatus(StrEnum):
    """The canonical lifecycle: booked → arrived → seated → finished; booked|arrived → cancelled | no_show."""

    BOOKED = "booked"
    ARRIVED = "arrived"
    SEATED = "seated"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def is_open(self) -> bool:
        """Still expected in the room tonight (not finished, cancelled or a no-show)."""
        return self in (ReservationStatus.BOOKED, ReservationStatus.ARRIVED, ReservationStatus.SEATED)


class Allergen(StrEnum):
    """Structured allergen codes: the union of the nine major US allergens and the fourteen EU ones.

    US (FALCPA + FASTER Act): milk, egg, fish, crustacean shellfish, tree nuts, peanuts, wheat, soy, sesame.
    EU (Regulation 1169/2011 Annex II): cereals containing gluten, crustaceans, eggs, fish, peanuts, soybeans,
    milk, nuts, celery, mustard, sesame, sulphites, lupin, molluscs.
    """

    PEANUT = "peanut"
    TREE_NUT = "tree_nut"
    MILK = "milk"
    EGG = "egg"
    FISH = "fish"
    CRUSTACEAN = "crustacean"
    MOLLUSC = "mollusc"
    WHEAT = "wheat"
    GLUTEN = "gluten"
    SOY = "soy"
    SESAME = "sesame"
    CELERY = "celery"
    MUSTARD = "mustard"
    SULPHITE = "sulphite"
    LUPIN = "lupin"

    @property
    def label(self) -> str:
        return _ALLERGEN_LABELS[self]


_ALLERGEN_LABELS = {
    Allergen.PEANUT: "Peanut",
    Allergen.TREE_NUT: "Tree nut",
    Allergen.MILK: "Milk/dairy",
    Allergen.EGG: "Egg",
    Allergen.FISH: "Fish",
    Allergen.CRUSTACEAN: "Shellfish (crustacean)",
    Allergen.MOLLUSC: "Mollusc",
    Allergen.WHEAT: "Wheat",
    Allergen.GLUTEN: "Gluten",
    Allergen.SOY: "Soy",
    Allergen.SESAME: "Sesame",
    Allergen.CELERY: "Celery",
    Allergen.MUSTARD: "Mustard",
    Allergen.SULPHITE: "Sulphites",
    Allergen.LUPIN: "Lupin",
}


class TableShape(StrEnum):
    ROUND = "round"
    SQUARE = "square"
    RECT = "rect"
    BOOTH = "booth"


class CourseStage(StrEnum):
    """Where a POS ticket is in the meal, as far as the POS tells us."""

    OPENED = "opened"  # ticket open, nothing ordered yet
    ORDERED = "ordered"  # first items (drinks, starters) rung in
    MAINS = "mains"  # entrées fired
    DESSERT = "dessert"
    CHECK_DROPPED = "check_dropped"
    PAID = "paid"
    CLOSED = "closed"
    VOIDED = "voided"

    @property
    def is_live(self) -> bool:
        return self not in (CourseStage.PAID, CourseStage.CLOSED, CourseStage.VOIDED)


class TableState(StrEnum):
    """Derived, never stored by hand (DESIGN.md §3)."""

    FREE = "free"
    HELD = "held"  # a reservation assigned to it is due within the hold window
    SEATED = "seated"  # a party sits there; the POS stage refines it
    ORDERED = "ordered"
    MAINS = "mains"
    DESSERT = "dessert"
    CHECK_DROPPED = "check_dropped"
    PAID = "paid"
    BLOCKED = "blocked"
    STALE = "stale"  # the POS has not been heard from for a while


@dataclass(frozen=True)
class Money:
    amount: int  # minor units
    currency: str = "USD"

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)


@dataclass(frozen=True)
class Section:
    id: str
    name: str
    color: str = "#5B8DEF"


@dataclass(frozen=True)
class Table:
    """A table of the floor layout, linked to its POS identity.

    `id` is the layout's stable id (e.g. "T12"); `name` is what the host sees ("12").
    Geometry is in floor-plan units (one unit ≈ one centimetre), x/y the top-left corner before rotation.
    """

    id: str
    name: str
    section_id: str
    min_seats: int
    max_seats: int
    shape: TableShape = TableShape.RECT
    x: float = 0.0
    y: float = 0.0
    w: float = 80.0
    h: float = 80.0
    rotation: float = 0.0
    combinable_with: tuple[str, ...] = ()
    pos_guid: str | None = None  # the POS table's id once matched (Toast guid)
    pos_name: str | None = None  # the name the POS gives the table, if it differs from `name`
    aliases: tuple[str, ...] = ()  # other names the POS or booking platform may use


@dataclass(frozen=True)
class FloorLayout:
    id: str
    name: str
    width: float
    height: float
    sections: tuple[Section, ...]
    tables: tuple[Table, ...]

    def table(self, table_id: str) -> Table:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(table_id)


@dataclass(frozen=True)
class Guest:
    id: str
    first_name: str
    last_name: str
    phone: str | None = None  # E.164
    email: str | None = None
    allergens: frozenset[Allergen] = frozenset()
    allergy_notes: str = ""  # the guest's own words about allergies and diet, kept verbatim
    dietary: tuple[str, ...] = ()  # e.g. "vegetarian", "vegan", "halal"
    vip_tier: str | None = None  # e.g. "VIP", "Regular", "Owner's friend"
    preferred_server: str | None = None  # server's display name as the booking platform gives it
    notes: str = ""  # other profile notes (seating preferences, relationship)
    visits: int = 0
    last_visit: datetime | None = None
    total_spend: int = 0  # minor units
    currency: str = "USD"
    source: str | None = None  # "opentable", …
    external_id: str | None = None
    version: int = 0
    last_seen: datetime | None = None
    total_covers: int = 0  # covers over the recorded visits, for the average spend per cover
    items_ordered: tuple[tuple[str, int], ...] = ()  # (item, times ordered), most ordered first

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p).strip() or "Guest"


@dataclass(frozen=True)
class Reservation:
    id: str  # local UUID
    source: str  # booking platform: "opentable", "walk_in", …
    external_id: str  # the platform's id (OpenTable confirmation / reservation id)
    party_size: int
    start: datetime  # UTC
    duration: timedelta = timedelta(minutes=90)
    status: ReservationStatus = ReservationStatus.BOOKED
    guest_id: str | None = None
    guest_name: str = ""
    table_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # visit tags as the platform gives them
    occasion: str | None = None  # "Birthday", "Anniversary", … derived from tags/notes
    guest_request: str = ""  # the guest's note for this visit
    venue_notes: str = ""  # the restaurant's notes for this visit
    booked_party_size: int | None = None  # party size as booked, when the host resized at seating
    cover_override: int | None = None  # covers a manager set by hand; beats the POS ("POS wins" otherwise)
    version: int = 0  # vendor sequence number
    last_seen: datetime | None = None
    arrived_at: datetime | None = None
    seated_at: datetime | None = None
    finished_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def end(self) -> datetime:
        return self.start + self.duration


@dataclass(frozen=True)
class Server:
    """A POS employee who can be named on a ticket."""

    id: str  # POS guid
    first_name: str
    last_name: str = ""
    display_name: str = ""

    @property
    def name(self) -> str:
        return self.display_name or " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class Ticket:
    """A POS ticket (Toast order) as the host stand knows it."""

    id: str  # local UUID
    table_id: str | None  # layout table id
    reservation_id: str | None
    covers: int
    stage: CourseStage = CourseStage.OPENED
    pos_id: str | None = None  # POS order guid once known
    external_id: str | None = None  # idempotency handle we sent (Toast externalId)
    pos_table_guid: str | None = None
    server_id: str | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    subtotal: int = 0
    total: int = 0
    comps: int = 0
    currency: str = "USD"
    tab_name: str = ""
    last_seen: datetime | None = None
    placeholder: bool = False  # opened ahead of the party's arrival, carrying only the reservation's details
    stage_since: datetime | None = None  # when the POS stage last changed (as first seen)
    item_names: tuple[str, ...] = ()  # what was ordered, as the POS names it

    @property
    def is_live(self) -> bool:
        return self.stage.is_live


@dataclass(frozen=True)
class WaitlistEntry:
    id: str
    name: str
    party_size: int
    added_at: datetime
    phone: str | None = None
    notes: str = ""
    allergens: frozenset[Allergen] = frozenset()
    allergy_notes: str = ""
    quoted_minutes: int | None = None
    status: str = "waiting"  # waiting | notified | seated | removed
    removed_reason: str | None = None
    seated_at: datetime | None = None
    notified_at: datetime | None = None
    notified_how: str | None = None
    quoted_at: datetime | None = None
    dietary: tuple[str, ...] = ()
    reservation_id: str | None = None  # the walk-in party created when it was seated
    table_ids: tuple[str, ...] = ()
    notifications: tuple[tuple[datetime, str], ...] = ()  # (when, how): every call or text, recorded


class ActionTarget(StrEnum):
    BOOKING = "booking"
    POS = "pos"


class ActionState(StrEnum):
    PENDING = "pending"  # waiting to be sent
    IN_FLIGHT = "in_flight"  # claimed by the replayer; outcome not yet recorded
    FAILED = "failed"  # failed transiently; will retry at next_attempt_at
    DEAD = "dead"  # rejected for good; kept with the vendor's reason
    DONE = "done"  # acknowledged by the vendor
    CANCELLED = "cancelled"  # superseded before it was sent (e.g. undone while still queued)


@dataclass(frozen=True)
class OutboxAction:
    """One change to send to a vendor. `id` is made at enqueue time and is the idempotency handle."""

    id: str
    kind: str  # e.g. "pos.open_ticket", "booking.set_status"
    target: ActionTarget
    order_key: str  # actions with the same key replay in order
    payload: dict[str, Any] = field(default_factory=dict)
    state: ActionState = ActionState.PENDING
    attempts: int = 0
    created_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    reservation_id: str | None = None
    table_id: str | None = None
    seq: int = 0  # enqueue order, assigned by the store


@dataclass(frozen=True)
class ConflictRecord:
    id: str
    kind: str  # e.g. "cancelled_while_seated", "table_taken"
    summary: str  # plain words for the host
    created_at: datetime
    reservation_id: str | None = None
    table_id: str | None = None
    choices: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    resolved_at: datetime | None = None
    resolution: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: datetime
    actor: str  # "host", "sync", "manager"
    action: str
    reservation_id: str | None = None
    table_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
