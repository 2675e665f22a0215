"""The reconciliation: where the host stand, the POS and the booking platform disagree about a night.

Given the night's reservations, the POS tickets and the booking platform's view of each reservation (its
status, and the covers and spend it holds for finished ones), list every disagreement with its evidence,
a sentence a manager can act on, and, where a fix is safe to apply in one click, a fix code:

- seated with no ticket (fix `link_ticket` when an unlinked ticket at the party's table opened around
  the seating is the obvious match, in which case that ticket is not listed again);
- a ticket with no party, i.e. a walk-in not logged (`log_walk_in`);
- covers differing beyond a tolerance, host against POS (`take_pos_covers` under "POS wins") or POS
  against the booking platform for a finished party (`send_pos_data`); spend likewise;
- finished on the POS but still seated on the booking platform (`finish_reservation`, or `send_status`
  when the host stand already finished it);
- a placeholder (an empty ticket opened ahead of a reservation) left for a cancelled or no-show
  reservation (`void_placeholder`), and a second ticket for one party;
- a reservation never closed: seated, its check still open past its expected turn by a margin;
- a status that differs between the host stand and the booking platform, and a booked party long past
  its time that was never marked a no-show (`mark_no_show`).
A consistent night lists nothing. Times are UTC; `tz` writes them for people. Money is minor units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import Any

from hoststand.domain.covers import (  # noqa: F401  (part of this module's API)
    CoverPolicy,
    CoverSlot,
    CoverTotals,
    cover_slots,
    cover_totals,
    covers_of,
    is_placeholder,
    spend_per_cover,
)
from hoststand.domain.lifecycle import last_step_at
from hoststand.domain.model import CourseStage, FloorLayout, Reservation, ReservationStatus, Ticket
from hoststand.domain.pacing import table_label
from hoststand.domain.turn_times import TurnTimeModel

__all__ = [
    "CoverPolicy",
    "CoverSlot",
    "CoverTotals",
    "Discrepancy",
    "DiscrepancyKind",
    "Fix",
    "NightReport",
    "PlatformRecord",
    "ReconcileSettings",
    "cover_slots",
    "cover_totals",
    "covers_of",
    "is_placeholder",
    "night_report",
    "reconcile",
    "spend_per_cover",
]

S = ReservationStatus
_OPEN = (S.BOOKED, S.ARRIVED, S.SEATED)
_GONE = (S.CANCELLED, S.NO_SHOW)
_RANK = {S.BOOKED: 0, S.ARRIVED: 1, S.SEATED: 2, S.FINISHED: 3}
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "ISK", "CLP", "VND", "XAF", "XOF", "UGX", "PYG"})
_STATUS_WORDS = {
    S.BOOKED: "booked",
    S.ARRIVED: "arrived",
    S.SEATED: "seated",
    S.FINISHED: "finished",
    S.CANCELLED: "cancelled",
    S.NO_SHOW: "a no-show",
}


class DiscrepancyKind(StrEnum):
    SEATED_NO_TICKET = "seated_no_ticket"
    TICKET_NO_PARTY = "ticket_no_party"
    COVERS_DIFFER = "covers_differ"
    SPEND_DIFFERS = "spend_differs"
    POS_DATA_MISSING = "pos_data_missing"
    FINISHED_ON_POS_STILL_SEATED = "finished_on_pos_still_seated"
    PLACEHOLDER_LEFT = "placeholder_left"
    DUPLICATE_TICKETS = "duplicate_tickets"
    NEVER_CLOSED = "never_closed"
    STATUS_DIFFERS = "status_differs"
    NOT_ARRIVED = "not_arrived"


class Fix(StrEnum):
    """One-click fixes, each safe to apply through the normal write path."""

    LINK_TICKET = "link_ticket"  # link evidence["candidate_ticket_id"] to the reservation
    LOG_WALK_IN = "log_walk_in"  # record the ticket's party as a walk-in
    TAKE_POS_COVERS = "take_pos_covers"  # set the party size to the POS covers
    SEND_POS_DATA = "send_pos_data"  # send the closed check's covers and spend to the booking platform
    FINISH_RESERVATION = "finish_reservation"  # finish the party here (which tells the booking platform)
    SEND_STATUS = "send_status"  # send the host stand's status to the booking platform again
    TAKE_PLATFORM_STATUS = "take_platform_status"  # take the booking platform's status here
    VOID_PLACEHOLDER = "void_placeholder"  # void the empty ticket on the POS
    MARK_NO_SHOW = "mark_no_show"


@dataclass(frozen=True)
class PlatformRecord:
    """The booking platform's view of one reservation."""

    status: ReservationStatus
    covers: int | None = None  # the covers it holds from the POS, for finished ones
    spend: int | None = None  # minor units


@dataclass(frozen=True)
class ReconcileSettings:
    cover_tolerance: int = 0  # covers may differ by this much without a discrepancy
    spend_tolerance: int = 0  # minor units
    policy: CoverPolicy = CoverPolicy.POS_WINS
    never_closed_after: timedelta = timedelta(minutes=30)  # past the expected turn by this much
    not_arrived_after: timedelta | None = timedelta(minutes=15)  # past the booked time; None: off
    settle_after: timedelta = timedelta(minutes=10)  # a change this recent may not have synced yet
    link_window: timedelta = timedelta(minutes=30)  # how near a seating an unlinked ticket counts as its own


@dataclass(frozen=True)
class Discrepancy:
    kind: DiscrepancyKind
    reservation_id: str | None
    table_id: str | None
    ticket_id: str | None
    evidence: dict[str, Any]
    message: str
    fix: str | None = None


@dataclass(frozen=True)
class NightReport:
    totals: CoverTotals
    slots: list[CoverSlot]
    discrepancies: list[Discrepancy] = field(default_factory=list)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _money(minor: int, currency: str) -> str:
    if currency.upper() in _ZERO_DECIMAL_CURRENCIES:
        return f"{minor} {currency}"
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d} {currency}"


def _is_empty(ticket: Ticket) -> bool:
    return ticket.stage == CourseStage.OPENED and ticket.total == 0 and ticket.subtotal == 0


def _is_closed(ticket: Ticket) -> bool:
    """Closed on the POS (a paid check stays open while the party may still sit)."""
    return ticket.closed_at is not None or ticket.stage == CourseStage.CLOSED


def _main_ticket(tickets: Sequence[Ticket]) -> Ticket:
    """The party's real check: a closed one with the largest total, else the live one with items."""
    far_past = datetime.min.replace(tzinfo=timezone.utc)
    return min(
        tickets,
        key=lambda t: (not _is_closed(t), _is_empty(t), -t.total, t.opened_at or far_past, t.id),
    )


class _Night:
    def __init__(
        self,
        reservations: Iterable[Reservation],
        tickets: Iterable[Ticket],
        platform: Mapping[str, PlatformRecord] | None,
        now: datetime,
        tz: tzinfo,
        model: TurnTimeModel,
        settings: ReconcileSettings,
        layout: FloorLayout | None,
    ) -> None:
        self.reservations = sorted(reservations, key=lambda r: (r.start, r.id))
        self.platform = platform or {}
        self.now, self.tz, self.model, self.settings, self.layout = now, tz, model, settings, layout
        known = {r.id for r in self.reservations}
        self.linked: dict[str, list[Ticket]] = {}
        self.unlinked: list[Ticket] = []
        for ticket in tickets:
            if ticket.stage == CourseStage.VOIDED:
                continue
            if ticket.reservation_id in known:
                self.linked.setdefault(ticket.reservation_id, []).append(ticket)  # type: ignore[arg-type]
            else:
                self.unlinked.append(ticket)
        self.used: set[str] = set()  # unlinked tickets already explained as a seated party's
        self.found: list[Discrepancy] = []

    # words ------------------------------------------------------------------------------------------

    def hhmm(self, at: datetime | None) -> str:
        return at.astimezone(self.tz).strftime("%H:%M") if at is not None else "?"

    def tables(self, ids: Iterable[str]) -> str:
        return table_label(ids, self.layout)

    def who(self, res: Reservation) -> str:
        where = f" at {self.tables(res.table_ids)}" if res.table_ids else ""
        return f"{res.guest_name or 'Party'} ({res.party_size}){where}"

    def add(
        self,
        kind: DiscrepancyKind,
        res: Reservation | None,
        ticket: Ticket | None,
        evidence: dict[str, Any],
        message: str,
        fix: Fix | None = None,
    ) -> None:
        table_id = res.table_ids[0] if res is not None and res.table_ids else None
        if table_id is None and ticket is not None:
            table_id = ticket.table_id
        self.found.append(
            Discrepancy(
                kind,
                res.id if res is not None else None,
                table_id,
                ticket.id if ticket is not None else None,
                evidence,
                message,
                fix.value if fix is not None else None,
            )
        )

    # rules ------------------------------------------------------------------------------------------

    def run(self) -> list[Discrepancy]:
        for res in self.reservations:
            self.check(res)
        for ticket in self.unlinked:
            if ticket.id not in self.used:
                self.ticket_no_party(ticket)
        order = list(DiscrepancyKind)
        far_past = datetime.min.replace(tzinfo=timezone.utc)
        starts = {r.id: r.start for r in self.reservations}
        self.found.sort(
            key=lambda d: (
                order.index(d.kind),
                starts.get(d.reservation_id or "", far_past),
                d.reservation_id or "",
                d.ticket_id or "",
            )
        )
        return self.found

    def check(self, res: Reservation) -> None:
        tickets = self.linked.get(res.id, [])
        record = self.platform.get(res.id)
        gone = res.status in _GONE or (record is not None and record.status in _GONE)
        if gone and res.status not in (S.SEATED, S.FINISHED):
            for ticket in tickets:
                if not _is_closed(ticket):
                    self.placeholder_left(res, record, ticket)
        seated = res.status in (S.SEATED, S.FINISHED)
        handled_status = False
        if seated and not tickets:
            self.seated_no_ticket(res)
        elif seated:
            main = _main_ticket(tickets)
            for extra in tickets:
                if extra.id != main.id:
                    self.duplicate(res, main, extra)
            self.covers_here(res, main)
            handled_status = self.closed_check(res, record, main, tickets)
        if record is not None and record.status != res.status and not handled_status:
            self.status_differs(res, record, tickets)
        if (
            self.settings.not_arrived_after is not None
            and res.status == S.BOOKED
            and (record is None or record.status == S.BOOKED)
            and self.now - res.start > self.settings.not_arrived_after
        ):
            placeholder = next((t for t in tickets if not _is_closed(t)), None)
            evidence = {"start": _iso(res.start), "late_minutes": int((self.now - res.start).total_seconds() // 60)}
            if placeholder is not None:
                evidence["placeholder_ticket_id"] = placeholder.id
            self.add(
                DiscrepancyKind.NOT_ARRIVED,
                res,
                placeholder,
                evidence,
                f"{self.who(res)}, due {self.hhmm(res.start)}, never arrived and is not marked a no-show",
                Fix.MARK_NO_SHOW,
            )

    def placeholder_left(self, res: Reservation, record: PlatformRecord | None, ticket: Ticket) -> None:
        status = res.status if res.status in _GONE else record.status  # type: ignore[union-attr]
        where = "here" if res.status in _GONE else "on the booking platform"
        evidence = {
            "reservation_status": res.status.value,
            "platform_status": record.status.value if record is not None else None,
            "ticket_stage": ticket.stage.value,
            "ticket_total": ticket.total,
            "opened_at": _iso(ticket.opened_at),
        }
        if _is_empty(ticket):
            text = f"{self.who(res)} is {_STATUS_WORDS[status]} {where}, but its placeholder ticket is still open on the POS"
            self.add(DiscrepancyKind.PLACEHOLDER_LEFT, res, ticket, evidence, text, Fix.VOID_PLACEHOLDER)
        else:
            text = (
                f"{self.who(res)} is {_STATUS_WORDS[status]} {where}, but its POS ticket is open with items "
                f"({_money(ticket.total, ticket.currency)})"
            )
            self.add(DiscrepancyKind.PLACEHOLDER_LEFT, res, ticket, evidence, text)

    def seated_no_ticket(self, res: Reservation) -> None:
        seated_at = res.seated_at
        candidates = [
            t
            for t in self.unlinked
            if t.id not in self.used
            and t.reservation_id is None
            and t.table_id in res.table_ids
            and seated_at is not None
            and t.opened_at is not None
            and abs(t.opened_at - seated_at) <= self.settings.link_window
        ]
        evidence: dict[str, Any] = {"status": res.status.value, "seated_at": _iso(seated_at)}
        text = f"{self.who(res)} was seated at {self.hhmm(seated_at)} but has no POS ticket"
        if len(candidates) == 1:
            ticket = candidates[0]
            self.used.add(ticket.id)
            evidence.update(candidate_ticket_id=ticket.id, candidate_opened_at=_iso(ticket.opened_at))
            text += f"; the ticket opened at {self.tables([ticket.table_id or ''])} at {self.hhmm(ticket.opened_at)} has no party and is probably theirs"
            self.add(DiscrepancyKind.SEATED_NO_TICKET, res, ticket, evidence, text, Fix.LINK_TICKET)
            return
        if candidates:
            evidence["candidate_ticket_ids"] = sorted(t.id for t in candidates)
        self.add(DiscrepancyKind.SEATED_NO_TICKET, res, None, evidence, text)

    def duplicate(self, res: Reservation, main: Ticket, extra: Ticket) -> None:
        evidence = {"kept_ticket_id": main.id, "extra_stage": extra.stage.value, "extra_total": extra.total}
        if _is_empty(extra) and not _is_closed(extra):
            text = f"{self.who(res)} has a second, empty POS ticket beside its check"
            self.add(DiscrepancyKind.DUPLICATE_TICKETS, res, extra, evidence, text, Fix.VOID_PLACEHOLDER)
        else:
            text = (
                f"{self.who(res)} has two POS tickets: {_money(main.total, main.currency)} and "
                f"{_money(extra.total, extra.currency)}"
            )
            self.add(DiscrepancyKind.DUPLICATE_TICKETS, res, extra, evidence, text)

    def covers_here(self, res: Reservation, main: Ticket) -> None:
        if main.covers <= 0 or abs(main.covers - res.party_size) <= self.settings.cover_tolerance:
            return
        evidence = {"host_covers": res.party_size, "pos_covers": main.covers, "policy": self.settings.policy.value}
        text = f"{self.who(res)} was seated as {res.party_size}, the POS rang in {main.covers} covers"
        fix = Fix.TAKE_POS_COVERS if self.settings.policy == CoverPolicy.POS_WINS else None
        self.add(DiscrepancyKind.COVERS_DIFFER, res, main, evidence, text, fix)

    def closed_check(
        self, res: Reservation, record: PlatformRecord | None, main: Ticket, tickets: Sequence[Ticket]
    ) -> bool:
        """The rules about the check; True when the status difference with the platform is explained."""
        if not _is_closed(main):
            self.never_closed(res, main)
            return False
        closed_at = main.closed_at
        if closed_at is not None and self.now - closed_at < self.settings.settle_after:
            return True  # may not have synced yet: nothing to say about the platform either
        explained = False
        if record is not None and record.status in _OPEN:
            evidence = {"closed_at": _iso(closed_at), "platform_status": record.status.value, "status": res.status.value}
            text = (
                f"{self.who(res)}: check closed on the POS at {self.hhmm(closed_at)}, "
                f"still {_STATUS_WORDS[record.status]} on the booking platform"
            )
            if res.status == S.SEATED:
                text += " and here"
            fix = Fix.FINISH_RESERVATION if res.status == S.SEATED else Fix.SEND_STATUS
            self.add(DiscrepancyKind.FINISHED_ON_POS_STILL_SEATED, res, main, evidence, text, fix)
            return True
        if res.status == S.SEATED:
            evidence = {
                "closed_at": _iso(closed_at),
                "platform_status": record.status.value if record is not None else None,
                "status": res.status.value,
            }
            text = f"{self.who(res)}: check closed on the POS at {self.hhmm(closed_at)}, still seated here"
            self.add(DiscrepancyKind.FINISHED_ON_POS_STILL_SEATED, res, main, evidence, text, Fix.FINISH_RESERVATION)
            explained = record is not None and record.status == S.FINISHED
        if record is not None and record.status == S.FINISHED:
            self.pos_data(res, record, main, tickets)
        return explained

    def pos_data(self, res: Reservation, record: PlatformRecord, main: Ticket, tickets: Sequence[Ticket]) -> None:
        covers = covers_of(res, main, self.settings.policy)
        spend = sum(t.total for t in tickets if _is_closed(t))
        base = {"pos_covers": covers, "pos_spend": spend, "platform_covers": record.covers, "platform_spend": record.spend}
        if record.covers is None and record.spend is None:
            text = f"{self.who(res)} is finished, but the booking platform has no covers or spend from the POS"
            self.add(DiscrepancyKind.POS_DATA_MISSING, res, main, base, text, Fix.SEND_POS_DATA)
            return
        if record.covers is None or abs(record.covers - covers) > self.settings.cover_tolerance:
            held = "no covers" if record.covers is None else f"{record.covers} covers"
            text = f"{self.who(res)}: the booking platform holds {held}, the POS closed with {covers}"
            self.add(DiscrepancyKind.COVERS_DIFFER, res, main, base, text, Fix.SEND_POS_DATA)
        if record.spend is None or abs(record.spend - spend) > self.settings.spend_tolerance:
            held = "no spend" if record.spend is None else _money(record.spend, main.currency)
            text = f"{self.who(res)}: the booking platform holds {held}, the POS closed at {_money(spend, main.currency)}"
            self.add(DiscrepancyKind.SPEND_DIFFERS, res, main, base, text, Fix.SEND_POS_DATA)

    def never_closed(self, res: Reservation, ticket: Ticket) -> None:
        seated_at = res.seated_at or ticket.opened_at
        if seated_at is None:
            return
        turn = self.model.estimate_at(max(res.party_size, 1), seated_at, self.tz)
        sat = int((self.now - seated_at).total_seconds() // 60)
        evidence = {
            "seated_at": _iso(seated_at),
            "minutes_seated": sat,
            "expected_turn_minutes": turn.minutes,
            "ticket_stage": ticket.stage.value,
            "status": res.status.value,
        }
        if res.status == S.FINISHED:
            text = f"{self.who(res)} finished at {self.hhmm(res.finished_at)}, but its check is still open on the POS"
            self.add(DiscrepancyKind.NEVER_CLOSED, res, ticket, evidence, text)
        elif self.now - seated_at > turn.duration + self.settings.never_closed_after:
            text = (
                f"{self.who(res)}, seated {self.hhmm(seated_at)}: check still open after {sat} min "
                f"(expected turn {turn.minutes} min)"
            )
            self.add(DiscrepancyKind.NEVER_CLOSED, res, ticket, evidence, text)

    def status_differs(self, res: Reservation, record: PlatformRecord, tickets: Sequence[Ticket]) -> None:
        changed_at = last_step_at(res)
        if changed_at is not None and self.now - changed_at < self.settings.settle_after:
            return  # the host's change may still be on its way to the platform
        here, there = res.status, record.status
        fix: Fix | None = None
        if here in _RANK and there in _RANK:
            if _RANK[here] > _RANK[there]:
                fix = Fix.SEND_STATUS
            elif here in (S.BOOKED, S.ARRIVED):
                fix = Fix.TAKE_PLATFORM_STATUS
        elif here in _GONE and there in (S.BOOKED, S.ARRIVED):
            fix = Fix.SEND_STATUS
        elif there in _GONE and here in (S.BOOKED, S.ARRIVED):
            fix = Fix.TAKE_PLATFORM_STATUS
        evidence = {"status": here.value, "platform_status": there.value}
        text = f"{self.who(res)}: {_STATUS_WORDS[here]} here, {_STATUS_WORDS[there]} on the booking platform"
        if fix is None and (here in (S.SEATED, S.FINISHED)) and there in _GONE:
            text += " (a party seated despite a cancellation: decide with the guest's booking)"
        self.add(DiscrepancyKind.STATUS_DIFFERS, res, None, evidence, text, fix)

    def ticket_no_party(self, ticket: Ticket) -> None:
        where = f" at {self.tables([ticket.table_id])}" if ticket.table_id else ""
        evidence = {
            "opened_at": _iso(ticket.opened_at),
            "covers": ticket.covers,
            "stage": ticket.stage.value,
            "total": ticket.total,
            "reservation_id": ticket.reservation_id,
        }
        if ticket.reservation_id is not None:
            text = f"The ticket{where} opened {self.hhmm(ticket.opened_at)} names a reservation that is not tonight's"
            self.add(DiscrepancyKind.TICKET_NO_PARTY, None, ticket, evidence, text)
            return
        text = (
            f"The ticket{where} opened {self.hhmm(ticket.opened_at)} for {ticket.covers} covers has no party "
            "(a walk-in not logged)"
        )
        self.add(DiscrepancyKind.TICKET_NO_PARTY, None, ticket, evidence, text, Fix.LOG_WALK_IN)


def reconcile(
    reservations: Iterable[Reservation],
    tickets: Iterable[Ticket],
    platform: Mapping[str, PlatformRecord] | None,
    *,
    now: datetime,
    tz: tzinfo = timezone.utc,
    turn_model: TurnTimeModel | None = None,
    settings: ReconcileSettings = ReconcileSettings(),
    layout: FloorLayout | None = None,
) -> list[Discrepancy]:
    """Every disagreement about the night's `reservations` and `tickets` at `now`, grouped by kind.

    `platform` maps a local reservation id to the booking platform's record (walk-ins have none; None
    skips every comparison with the platform). `layout` only names the tables.
    """
    night = _Night(reservations, tickets, platform, now, tz, turn_model or TurnTimeModel(), settings, layout)
    return night.run()


def night_report(
    reservations: Iterable[Reservation],
    tickets: Iterable[Ticket],
    platform: Mapping[str, PlatformRecord] | None,
    *,
    day_start: datetime,
    day_end: datetime,
    now: datetime,
    tz: tzinfo = timezone.utc,
    turn_model: TurnTimeModel | None = None,
    settings: ReconcileSettings = ReconcileSettings(),
    layout: FloorLayout | None = None,
) -> NightReport:
    """The manager's report for the service [day_start, day_end): cover totals, covers per 15-minute
    slot, and every disagreement."""
    reservations = list(reservations)
    tickets = list(tickets)
    return NightReport(
        totals=cover_totals(reservations, tickets, day_start=day_start, day_end=day_end),
        slots=cover_slots(reservations, tickets, day_start=day_start, day_end=day_end, tz=tz),
        discrepancies=reconcile(
            reservations, tickets, platform, now=now, tz=tz, turn_model=turn_model, settings=settings, layout=layout
        ),
    )
