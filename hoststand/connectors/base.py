"""The ports every vendor adapter implements, the records they exchange, and the errors they raise.

A booking platform (OpenTable, Resy, SevenRooms, a website widget) implements `BookingPort`; a POS (Toast,
Square, Lightspeed, Omnivore) implements `PosPort`. Adapters map vendor JSON and status words into these
records in both directions; nothing outside `connectors/` ever sees vendor JSON.

Errors say what the caller should do:
- `Unavailable`: the request was not delivered (connection refused, DNS, connect timeout) or the vendor
  answered 5xx *before* doing anything we can tell. Safe to retry as is.
- `UncertainOutcome`: the request may have been applied (read timeout after sending, connection reset,
  5xx after the request was sent). Read back before retrying.
- `RateLimited`: 429; `retry_after` seconds (from `Retry-After` or the vendor's reset header).
- `Rejected`: the vendor refused the request for good (4xx); `reason` is the vendor's words.
- `AlreadyApplied`: the idempotency handle was already used (Toast duplicate `externalId`): it landed.
- `AuthFailed`: credentials refused (wrong secret, revoked token) – a person must act.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from hoststand.domain.model import CourseStage, ReservationStatus


# --------------------------------------------------------------------------------------------- errors


class ConnectorError(Exception):
    """Base of every adapter error. `vendor` names the API ("opentable", "toast")."""

    def __init__(self, vendor: str, message: str) -> None:
        super().__init__(f"{vendor}: {message}")
        self.vendor = vendor
        self.message = message


class Unavailable(ConnectorError):
    """Not delivered, or refused before anything happened: retry as is."""


class UncertainOutcome(ConnectorError):
    """May have been applied: read back before retrying."""


class RateLimited(ConnectorError):
    def __init__(self, vendor: str, message: str, retry_after: float) -> None:
        super().__init__(vendor, message)
        self.retry_after = retry_after


class Rejected(ConnectorError):
    """Refused for good. `status` is the HTTP status, `code` the vendor's code, `reason` its words."""

    def __init__(self, vendor: str, reason: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(vendor, reason)
        self.reason = reason
        self.status = status
        self.code = code


class NotFound(Rejected):
    """The referenced record does not exist at the vendor."""


class AlreadyApplied(Rejected):
    """The idempotency handle was already used: the earlier attempt landed."""


class AuthFailed(ConnectorError):
    """Credentials refused: a person must fix them."""


# -------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RemoteGuest:
    """A guest profile as the booking platform holds it."""

    external_id: str
    first_name: str
    last_name: str
    phone: str | None = None  # as the vendor wrote it; sync normalises to E.164
    email: str | None = None
    food_and_drink_notes: str = ""  # OpenTable notes_food_and_drink: allergies and diet in the guest's words
    notes: str = ""  # general profile notes
    tags: tuple[str, ...] = ()  # e.g. "VIP", "Regular", "Vegetarian", "Nut allergy"
    vip_tier: str | None = None
    preferred_server: str | None = None
    birth_date: str | None = None
    anniversary_date: str | None = None
    version: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class RemoteReservation:
    """A reservation as the booking platform holds it, with its status already mapped to the canonical lifecycle."""

    external_id: str
    guest_external_id: str | None
    party_size: int
    start: datetime  # UTC
    status: ReservationStatus
    vendor_status: str  # the vendor's own word, kept for display and debugging
    table_names: tuple[str, ...] = ()  # combined tables come as several names
    guest_request: str = ""
    venue_notes: str = ""
    platform_notes: str = ""  # e.g. OpenTable opentable_notes
    tags: tuple[str, ...] = ()
    duration_minutes: int | None = None
    version: int = 0  # sequence number; higher wins
    updated_at: datetime | None = None
    arrived_at: datetime | None = None
    seated_at: datetime | None = None
    done_at: datetime | None = None
    server_name: str | None = None
    guest: RemoteGuest | None = None  # when the platform embeds the guest


@dataclass(frozen=True)
class StatusUpdate:
    """Tell the booking platform what happened to a reservation at the host stand."""

    external_id: str
    status: ReservationStatus
    party_size: int
    start: datetime  # UTC
    table_names: tuple[str, ...] = ()
    server_name: str | None = None
    sequence: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PosCheckSummary:
    """What the POS closed a party's check with, for the booking platform's guest profile (OpenTable
    `pos-data`, assumed write)."""

    external_id: str  # the reservation's id at the platform
    covers: int
    subtotal: int  # minor units
    total: int
    comps: int = 0
    tax: int = 0
    tip: int = 0
    currency: str = "USD"
    check_ids: tuple[str, ...] = ()
    items: tuple[tuple[str, int], ...] = ()  # (name, quantity)
    closed_at: datetime | None = None


@dataclass(frozen=True)
class RemotePosData:
    """What the booking platform holds of a party's closed check (OpenTable `pos-data`, documented read)."""

    external_id: str  # the reservation's id at the platform (confirmation number)
    covers: int | None
    total: int  # minor units
    subtotal: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class RemoteServiceArea:
    guid: str
    name: str


@dataclass(frozen=True)
class RemoteTable:
    guid: str
    name: str
    service_area_guid: str | None = None
    revenue_center_guid: str | None = None


@dataclass(frozen=True)
class RemoteEmployee:
    guid: str
    first_name: str
    last_name: str = ""
    chosen_name: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class RemoteOrder:
    """A POS ticket (Toast order) as the POS holds it."""

    guid: str
    external_id: str | None
    table_guid: str | None
    number_of_guests: int | None
    opened_at: datetime | None
    stage: CourseStage
    server_guid: str | None = None
    tab_name: str = ""
    modified_at: datetime | None = None
    closed_at: datetime | None = None
    paid_at: datetime | None = None
    voided: bool = False
    business_date: int | None = None  # yyyyMMdd
    subtotal: int = 0  # minor units
    total: int = 0
    comps: int = 0  # discounts applied, minor units
    currency: str = "USD"
    item_names: tuple[str, ...] = ()
    check_guids: tuple[str, ...] = ()  # the order's live checks, first first (where notes can be added)
    has_allergy_note: bool = False  # a kitchen allergy note (the "Allergy Alert" item) is already on it


@dataclass(frozen=True)
class OpenTicketRequest:
    """Open a ticket at a table for a party, carrying its notes.

    `external_id` is the idempotency handle (made from the outbox action's UUID): sending the same request
    twice must never open two tickets.
    """

    external_id: str
    table_guid: str
    guests: int
    business_date: date
    tab_name: str  # already built within the POS's limit (allergies first)
    allergy_text: str = ""  # full allergy text for a kitchen special request; "" when none
    server_guid: str | None = None
    first_name: str = ""
    last_name: str = ""
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class PosLimits:
    """What a POS can carry, so the note builder can fit within it."""

    tab_name_max: int = 255
    special_request_max: int = 255
    supports_special_request: bool = False


@dataclass(frozen=True)
class HealthProbe:
    """The outcome of a cheap request used to test whether an API is back."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class PullResult:
    """Reservations pulled in one delta pull, with the high-water mark to pass next time."""

    reservations: tuple[RemoteReservation, ...]
    guests: tuple[RemoteGuest, ...] = ()
    watermark: datetime | None = None
    pages: int = 0
    skipped: int = 0  # malformed records left out (each logged as a warning)


# ---------------------------------------------------------------------------------------------- ports


@runtime_checkable
class BookingPort(Protocol):
    vendor: str

    async def pull_reservations(
        self, *, updated_after: datetime | None, start_from: datetime, start_to: datetime
    ) -> PullResult:
        """Reservations scheduled in [start_from, start_to) changed after `updated_after` (all if None),
        following every page."""
        ...

    async def pull_guests(self, *, updated_after: datetime | None) -> tuple[RemoteGuest, ...]: ...

    async def set_status(self, update: StatusUpdate, *, request_id: str) -> None:
        """Push a status change. `request_id` is the idempotency handle (OpenTable X-Request-Id)."""
        ...

    async def send_pos_data(self, summary: PosCheckSummary, *, request_id: str) -> None:
        """Give the platform what the POS closed the party's check with (covers, spend, comps, items)."""
        ...

    async def pull_pos_data(
        self, *, updated_after: datetime | None, start_from: datetime, start_to: datetime
    ) -> tuple[RemotePosData, ...]:
        """The closed checks the platform holds for reservations scheduled in [start_from, start_to)."""
        ...

    async def probe(self) -> HealthProbe: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class PosPort(Protocol):
    vendor: str
    limits: PosLimits

    async def pull_service_areas(self) -> tuple[RemoteServiceArea, ...]: ...

    async def pull_tables(self) -> tuple[RemoteTable, ...]: ...

    async def pull_employees(self) -> tuple[RemoteEmployee, ...]: ...

    async def pull_orders(self, *, business_date: date, modified_after: datetime | None = None) -> tuple[RemoteOrder, ...]:
        """Orders of one business date (all pages)."""
        ...

    async def open_ticket(self, request: OpenTicketRequest) -> RemoteOrder:
        """Open a ticket; raises AlreadyApplied when `request.external_id` was already used."""
        ...

    async def find_order(self, *, external_id: str, business_date: date) -> RemoteOrder | None:
        """Look an order up by the idempotency handle we sent (after an uncertain outcome)."""
        ...

    async def get_order(self, guid: str) -> RemoteOrder: ...

    async def void_ticket(self, guid: str, *, business_date: date | None = None) -> None: ...

    async def open_orders_at(self, table_guid: str, *, business_date: date) -> tuple[RemoteOrder, ...]:
        """The live orders (not voided, deleted, paid or closed) at a POS table on a business date, oldest
        first: what a server may have opened by hand while our ticket waited in the queue."""
        ...

    async def add_allergy_note(
        self, order_guid: str, check_guid: str, *, allergy_text: str, external_id: str
    ) -> RemoteOrder | None:
        """Put the allergy text on an existing ticket as a kitchen note (Toast: the "Allergy Alert" item with
        SPECIAL_REQUEST modifiers). `external_id` is the idempotency handle: a second call with the same one
        adds nothing. Returns the updated order, or None when this POS has no way to carry the note."""
        ...

    async def probe(self) -> HealthProbe: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Credentials:
    """Secrets for one vendor account, read from the OS keyring (never from files or logs)."""

    client_id: str
    client_secret: str = field(repr=False)
