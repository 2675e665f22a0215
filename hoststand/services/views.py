"""What the screens show: plain immutable view objects built by the services from the store.

The UI renders these and nothing else; it never sees rows, vendor records or connectors. Times in views are
already in the restaurant's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from hoststand.domain.model import Allergen, CourseStage, ReservationStatus, Section, TableShape, TableState


@dataclass(frozen=True)
class ApiHealthView:
    api: str  # "opentable"
    label: str  # "OpenTable"
    role: str  # "booking" | "pos"
    state: str  # "up" | "degraded" | "down"
    since_local: datetime | None = None
    last_success_local: datetime | None = None
    detail: str = ""  # plain words
    auth_failed: bool = False


@dataclass(frozen=True)
class HeaderView:
    restaurant: str
    service_date: date
    now_local: datetime
    covers_booked: int  # covers expected tonight (booked, arrived, seated, finished; not cancelled/no-show)
    covers_arrived: int  # arrived and waiting
    covers_seated: int  # in the room now
    parties_total: int
    parties_seated: int
    apis: tuple[ApiHealthView, ...] = ()
    queued_actions: int = 0  # waiting or retrying
    dead_actions: int = 0
    open_conflicts: int = 0
    data_age_s: float | None = None  # age of the freshest reservations pull
    stale: bool = False  # showing a cache older than the stale threshold


@dataclass(frozen=True)
class ReservationRow:
    id: str
    time_local: datetime
    name: str
    party_size: int
    status: ReservationStatus
    table_label: str  # "12", "10+11", or ""
    table_ids: tuple[str, ...]
    allergens: tuple[Allergen, ...] = ()
    allergy_words: str = ""
    severe_allergy: bool = False
    occasion: str | None = None
    vip_tier: str | None = None
    phone: str | None = None
    pending: bool = False  # a change of this party is still on its way to a vendor
    minutes_late: int = 0  # > 0 when booked/not arrived past its time
    seated_minutes: int | None = None
    no_show_suspect: bool = False  # late beyond the no-show grace
    guest_request: str = ""

    @property
    def has_allergy(self) -> bool:
        return bool(self.allergens or self.allergy_words)


@dataclass(frozen=True)
class TableView:
    id: str
    name: str
    section_id: str
    shape: TableShape
    x: float
    y: float
    w: float
    h: float
    rotation: float
    min_seats: int
    max_seats: int
    state: TableState
    stage: CourseStage | None = None
    reservation_id: str | None = None  # the party seated here, or the one it is held for
    party_name: str | None = None
    covers: int | None = None
    seated_minutes: int | None = None
    next_time_local: datetime | None = None  # next reservation assigned here tonight
    next_name: str | None = None
    has_allergy: bool = False
    occasion: str | None = None
    vip: bool = False
    pending: bool = False
    pos_linked: bool = True  # False: the POS does not know this table (flagged)
    stale: bool = False
    walk_in: bool = False


@dataclass(frozen=True)
class FloorView:
    name: str
    width: float
    height: float
    sections: tuple[Section, ...]
    tables: tuple[TableView, ...]
    unlinked_pos_tables: tuple[str, ...] = ()  # POS tables not on the floor plan


@dataclass(frozen=True)
class PartyDetails:
    reservation_id: str
    name: str
    party_size: int
    time_local: datetime
    status: ReservationStatus
    table_label: str
    allergens: tuple[Allergen, ...] = ()
    allergy_words: tuple[str, ...] = ()  # the guest's own words, verbatim, from profile and booking
    severe_allergy: bool = False
    dietary: tuple[str, ...] = ()
    occasion: str | None = None
    vip_tier: str | None = None
    preferred_server: str | None = None
    guest_request: str = ""
    venue_notes: str = ""
    profile_notes: str = ""
    phone: str | None = None
    email: str | None = None
    tags: tuple[str, ...] = ()
    visits: int = 0
    last_visit_local: datetime | None = None
    total_spend: int = 0
    currency: str = "USD"
    ticket_stage: CourseStage | None = None
    ticket_pending: bool = False
    pending_notes: tuple[str, ...] = ()  # plain words: "Ticket at T12 waiting for the POS"
    seated_local: datetime | None = None
    arrived_local: datetime | None = None
    source: str = ""
    minutes_late: int = 0  # booked and not arrived, past its time
    no_show_suspect: bool = False  # late beyond the no-show grace: the host may confirm a no-show


@dataclass(frozen=True)
class TableSuggestion:
    table_ids: tuple[str, ...]
    label: str  # "12" or "10+11"
    seats: int
    reason: str  # "4-top, free until 21:30"


@dataclass(frozen=True)
class CommandResult:
    ok: bool
    message: str  # plain words for the host
    reservation_id: str | None = None
    needs_table: bool = False
    suggestions: tuple[TableSuggestion, ...] = ()
    undo_label: str | None = None  # "Undo: seat Smith at 12"


@dataclass(frozen=True)
class QueueItemView:
    id: str
    kind_label: str  # "Open ticket at 12 for Smith (4)"
    api_label: str
    state: str  # pending | in_flight | failed | dead
    attempts: int
    created_local: datetime | None
    next_attempt_local: datetime | None
    error: str = ""


@dataclass(frozen=True)
class ConflictView:
    id: str
    summary: str
    created_local: datetime
    choices: tuple[str, ...]
    reservation_id: str | None = None
    facts: dict = field(default_factory=dict)
