"""What each outbox action does at its vendor, and how its outcome is written back to the cache.

A handler talks to one port and returns an `Outcome`: `Done` (with a function that records the result in
the same transaction as the acknowledgement), `Retry` (transient; maybe uncertain), or `Dead` (refused for
good, with the vendor's reason). Handlers never commit; the replayer does, atomically with the ack.

Tickets opened by hand while ours waited (issue 3). During an outage the servers keep working: the POS
terminals take orders offline, so a server may open a ticket at the table the host just seated. Before a
`pos.open_ticket` that *waited* is sent, the table is looked at first:

- "Waited" is one explicit rule (`waited`): this is not the action's first attempt, or it was queued more than
  `WAITED_AFTER` (30 s) ago. A POS that was down when the action was queued meets it in practice: nothing is
  attempted while an API is down, and an outage over within 30 s leaves no time to ring a ticket in by hand.
  Only a checked-in party's ticket is checked (not a placeholder opened ahead of a booking), and the
  resolution of a conflict can send one with `"force": true` to skip the check.
- Each live order at the table (`PosPort.open_orders_at`) that hoststand did not send itself is
  *this party's* when it was opened after the party was seated here (less `OPENED_BEFORE_GRACE`, 30 s, for
  the terminal's clock against the POS's) and no other local party's ticket is linked to it (a walk-in the
  puller made from that very order does not count: that was this party all along); otherwise it is
  *another party's*.
- This party's → **attached**: the ticket is linked to that order (ticket.pos_id), the puller's walk-in copy
  of it is removed, the allergy text is added as a kitchen note (`PosPort.add_allergy_note`, idempotent by
  the action's id), and the action is acknowledged with `how: attached`. When the note cannot be added (no
  "Allergy Alert" item), an `allergy_not_on_ticket` conflict asks the host to tell the server.
- Only another party's → **held**: nothing is opened; a `table_has_another_ticket` conflict gives the facts
  and the choices, and the action is acknowledged with `how: held for a conflict`. Done rather than failed:
  retrying cannot settle a question only a person can answer, a failed action would read "retrying" in the
  queue and keep the party's later actions (undo's void, a move) waiting behind it, and each choice
  enqueues the action it needs (`services/operations.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from hoststand.connectors.base import (
    AlreadyApplied,
    BookingPort,
    NotFound,
    OpenTicketRequest,
    PosCheckSummary,
    PosPort,
    RemoteOrder,
    StatusUpdate,
)
from hoststand.domain import service_day
from hoststand.domain.clock import Clock
from hoststand.domain.model import (
    AuditEntry,
    ConflictRecord,
    CourseStage,
    FloorLayout,
    OutboxAction,
    Reservation,
    ReservationStatus,
    Ticket,
)
from hoststand.store import outbox, repos
from hoststand.store.engine import Store
from hoststand.sync.orders import WALK_IN
from hoststand.sync.tables import TableIdentity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Done:
    outcome: dict[str, Any]
    apply: Callable[[Session], None] | None = None


@dataclass(frozen=True)
class Dead:
    reason: str


Outcome = Done | Dead


WAITED_AFTER = timedelta(seconds=30)
OPENED_BEFORE_GRACE = timedelta(seconds=30)
WALK_IN_SOURCE = WALK_IN  # the source of the parties the puller makes from orders it cannot place

CONFLICT_TABLE_TAKEN = "table_has_another_ticket"
CONFLICT_ALLERGY_NOT_ON_TICKET = "allergy_not_on_ticket"
CHOICE_SECOND_TICKET = "Open a second ticket anyway"
CHOICE_MOVE = "Move the party to another table"
CHOICE_LINK = "The ticket is theirs: link it"
CHOICE_SERVER_TOLD = "The server knows about the allergy"
HELD = "held for a conflict"


@dataclass
class HandlerContext:
    store: Store
    booking: BookingPort
    pos: PosPort
    layout: FloorLayout
    clock: Clock
    tz: Any = None  # the restaurant's time zone (ZoneInfo or name) for clock times in conflict summaries; none if None

    def identity(self) -> TableIdentity:
        with self.store.read() as s:
            return TableIdentity.load(s, self.layout)

    def uncertain(self, action: OutboxAction) -> bool:
        with self.store.read() as s:
            return outbox.is_uncertain(s, action.id)


Handler = Callable[[HandlerContext, OutboxAction], Awaitable[Outcome]]


def external_id_for(action_id: str) -> str:
    """The idempotency handle sent to the POS for an action (stable across retries and restarts)."""
    return action_id


def waited(action: OutboxAction, now: datetime) -> bool:
    """Whether an open-ticket action waited long enough for a server to have opened the ticket by hand:
    not its first attempt, or queued more than `WAITED_AFTER` ago (see the module docstring)."""
    if action.attempts > 1:
        return True
    return action.created_at is not None and now - action.created_at > WAITED_AFTER


# ------------------------------------------------------------------------------------ POS: open ticket


async def open_ticket(ctx: HandlerContext, action: OutboxAction) -> Outcome:
    p = action.payload
    ticket_id = p["ticket_id"]
    with ctx.store.read() as s:
        ticket = repos.get_ticket(s, ticket_id)
    if ticket is None:
        return Done({"skipped": "the check-in was undone before the ticket was sent"})
    identity = ctx.identity()
    table_guid = identity.guid_for(p["table_id"])
    if table_guid is None:
        name = _table_name(ctx.layout, p["table_id"])
        if not identity.pos_known:
            raise NotYet(f"the POS table list has not been loaded yet (table {name})")
        return Dead(f"Table {name} is not known to the POS: link it in the floor plan, then retry.")
    business_date = date.fromisoformat(p["business_date"])
    handle = external_id_for(action.id)

    if action.attempts > 1 or ctx.uncertain(action):
        found = await ctx.pos.find_order(external_id=handle, business_date=business_date)
        if found is not None:
            return _linked(ticket_id, found, "found after an uncertain attempt")

    if not p.get("force") and not ticket.placeholder and waited(action, ctx.clock.now()):
        settled = await _look_at_the_table(ctx, action, ticket, table_guid, business_date)
        if settled is not None:
            return settled

    request = OpenTicketRequest(
        external_id=handle,
        table_guid=table_guid,
        guests=int(p["guests"]),
        business_date=business_date,
        tab_name=p["tab_name"],
        allergy_text=p.get("allergy_text", ""),
        server_guid=p.get("server_guid"),
        first_name=p.get("first_name", ""),
        last_name=p.get("last_name", ""),
        phone=p.get("phone"),
        email=p.get("email"),
    )
    try:
        order = await ctx.pos.open_ticket(request)
    except AlreadyApplied:
        found = await ctx.pos.find_order(external_id=handle, business_date=business_date)
        if found is None:
            raise NotYet("the POS says this ticket exists but cannot find it yet")
        return _linked(ticket_id, found, "already open")
    return _linked(ticket_id, order, "opened")


def _linked(ticket_id: str, order: RemoteOrder, how: str) -> Done:
    def apply(s: Session) -> None:
        t = repos.get_ticket(s, ticket_id)
        if t is None:
            return
        stage = order.stage if order.stage is not CourseStage.OPENED or t.stage is CourseStage.OPENED else t.stage
        repos.save_ticket(
            s,
            replace(
                t,
                pos_id=order.guid,
                pos_table_guid=order.table_guid,
                stage=stage,
                tab_name=order.tab_name or t.tab_name,
                opened_at=t.opened_at or order.opened_at,
                last_seen=order.modified_at or t.last_seen,
            ),
            business_date=order.business_date,
        )

    return Done({"order_guid": order.guid, "how": how}, apply)


# ----------------------------------------------------------------- POS: a ticket opened by hand meanwhile


@dataclass(frozen=True)
class _TableLook:
    """What is at the table: orders that are this party's, and orders that are another party's (with why)."""

    ours_landed: RemoteOrder | None
    this_party: tuple[RemoteOrder, ...]
    other_party: tuple[tuple[RemoteOrder, str, str | None], ...]  # (order, "opened_before" | "linked", other name)


async def _look_at_the_table(
    ctx: HandlerContext, action: OutboxAction, ticket: Ticket, table_guid: str, business_date: date
) -> Outcome | None:
    """Attach to a ticket opened by hand for this party, or hold for a conflict; None: open as usual."""
    with ctx.store.read() as s:
        res = repos.get_reservation(s, ticket.reservation_id) if ticket.reservation_id else None
    if res is None or res.status is not ReservationStatus.SEATED:
        return None  # only a party that is here can have had its ticket opened by hand
    orders = await ctx.pos.open_orders_at(table_guid, business_date=business_date)
    if not orders:
        return None
    look = _classify(ctx, action, ticket, res, orders)
    if look.ours_landed is not None:
        return _linked(ticket.id, look.ours_landed, "found at the table")
    if look.this_party:
        return await _attach(ctx, action, ticket, look.this_party[0], how="attached", extra=len(look.this_party) - 1)
    if look.other_party:
        return _hold(ctx, action, ticket, res, look.other_party[0])
    return None


def _classify(
    ctx: HandlerContext, action: OutboxAction, ticket: Ticket, res: Reservation, orders: tuple[RemoteOrder, ...]
) -> _TableLook:
    handle = external_id_for(action.id)
    seated_at = res.seated_at or ticket.opened_at or action.created_at
    this_party: list[RemoteOrder] = []
    other: list[tuple[RemoteOrder, str, str | None]] = []
    with ctx.store.read() as s:
        for order in orders:
            if order.external_id == handle:
                return _TableLook(order, (), ())
            if order.external_id and outbox.get(s, order.external_id) is not None:
                continue  # sent by hoststand for another action: the queue governs it (a void, a move)
            owner = repos.ticket_by_pos_id(s, order.guid)
            if owner is not None and owner.id != ticket.id and not _mirror_of(s, owner, order, res):
                other_res = repos.get_reservation(s, owner.reservation_id) if owner.reservation_id else None
                other.append((order, "linked", (other_res.guest_name or "another party") if other_res else None))
            elif order.opened_at is not None and seated_at is not None and order.opened_at < seated_at - OPENED_BEFORE_GRACE:
                other.append((order, "opened_before", None))
            else:
                this_party.append(order)
    return _TableLook(None, tuple(this_party), tuple(other))


def _mirror_of(s: Session, owner: Ticket, order: RemoteOrder, res: Reservation) -> bool:
    """A local ticket the puller made from this very order: no party of its own, this party, or a walk-in
    it created from the order (it could not know the order was this party's)."""
    if owner.reservation_id is None or owner.reservation_id == res.id:
        return True
    walk_in = repos.get_reservation(s, owner.reservation_id)
    return walk_in is not None and walk_in.source == WALK_IN_SOURCE and walk_in.external_id == order.guid


async def _attach(
    ctx: HandlerContext, action: OutboxAction, ticket: Ticket, order: RemoteOrder, *, how: str, extra: int = 0
) -> Done:
    """Link the ticket to `order` (opened by hand for this party) and add the allergy note to it."""
    allergy = str(action.payload.get("allergy_text") or "").strip()
    noted: RemoteOrder | None = None
    if allergy and order.check_guids:
        noted = await ctx.pos.add_allergy_note(
            order.guid, order.check_guids[0], allergy_text=allergy, external_id=external_id_for(action.id)
        )
    final = noted or order
    now = ctx.clock.now()
    table_id = ticket.table_id or action.payload.get("table_id")

    def apply(s: Session) -> None:
        current = repos.get_ticket(s, ticket.id)
        if current is None:
            return
        _take_over_order(s, current, final)
        repos.save_ticket(
            s,
            replace(
                current,
                pos_id=final.guid,
                pos_table_guid=final.table_guid,
                covers=final.number_of_guests or current.covers,
                stage=final.stage if final.stage.is_live else current.stage,
                server_id=final.server_guid or current.server_id,
                opened_at=final.opened_at or current.opened_at,
                tab_name=final.tab_name or current.tab_name,
                last_seen=now,
            ),
            business_date=final.business_date,
        )
        repos.add_audit(
            s,
            AuditEntry(
                id=repos.new_id(), at=now, actor="sync", action="ticket_attached",
                reservation_id=current.reservation_id, table_id=table_id,
                detail={"order": final.guid, "how": how, "allergy_note": noted is not None, "action": action.id},
            ),
        )
        if allergy and noted is None:
            _raise_allergy_conflict(s, ctx, current, table_id, allergy, now)

    outcome: dict[str, Any] = {"order_guid": final.guid, "how": how, "allergy_note": noted is not None}
    if extra:
        outcome["other_hand_opened"] = extra
    return Done(outcome, apply)


def _take_over_order(s: Session, ticket: Ticket, order: RemoteOrder) -> None:
    """Free `order.guid` for `ticket`: a local copy of that order made by the puller (and the walk-in party
    it made for it) goes; the order was this party's all along."""
    owner = repos.ticket_by_pos_id(s, order.guid)
    if owner is None or owner.id == ticket.id:
        return
    repos.delete_ticket(s, owner.id)
    if owner.reservation_id and owner.reservation_id != ticket.reservation_id:
        walk_in = repos.get_reservation(s, owner.reservation_id)
        if walk_in is not None and walk_in.source == WALK_IN_SOURCE and walk_in.external_id == order.guid:
            repos.delete_reservation(s, walk_in.id)
    s.flush()  # the unique pos_id must be free before the ticket takes it


def _raise_allergy_conflict(s: Session, ctx: HandlerContext, ticket: Ticket, table_id: str | None, allergy: str, now: datetime) -> None:
    if repos.open_conflict_for(s, CONFLICT_ALLERGY_NOT_ON_TICKET, ticket.reservation_id, table_id) is not None:
        return
    res = repos.get_reservation(s, ticket.reservation_id) if ticket.reservation_id else None
    who = _who(res)
    table = _table_name(ctx.layout, table_id) if table_id else "?"
    repos.add_conflict(
        s,
        ConflictRecord(
            id=repos.new_id(),
            kind=CONFLICT_ALLERGY_NOT_ON_TICKET,
            summary=(
                f"The ticket at table {table} was opened by hand on the POS, and the POS could not take the "
                f"allergy note. Tell {who}'s server now: {allergy}"
            ),
            created_at=now,
            reservation_id=ticket.reservation_id,
            table_id=table_id,
            choices=(CHOICE_SERVER_TOLD,),
            facts={"table": table, "allergy": allergy, "order_guid": ticket.pos_id},
        ),
    )


def _hold(
    ctx: HandlerContext, action: OutboxAction, ticket: Ticket, res: Reservation, other: tuple[RemoteOrder, str, str | None]
) -> Done:
    """Another party's ticket is open at the table: open nothing; a person decides."""
    order, why, other_name = other
    now = ctx.clock.now()
    table_id = ticket.table_id or action.payload.get("table_id")
    table = _table_name(ctx.layout, table_id) if table_id else "?"
    who = _who(res)
    if why == "linked":
        whose = f"it is {other_name}'s ticket" if other_name else "it belongs to another party"
    else:
        known = ctx.tz is not None  # without the restaurant's zone, no clock times (they would read as UTC)
        opened = f" at {service_day.local(order.opened_at, ctx.tz):%H:%M}" if known and order.opened_at else ""
        seated = f" ({service_day.local(res.seated_at, ctx.tz):%H:%M})" if known and res.seated_at else ""
        whose = f"it was opened{opened}, before {who} sat down{seated}"
    summary = (
        f"Table {table} already has an open ticket on the POS, and {whose}. "
        f"No second ticket was opened for {who}: choose what to do."
    )
    facts = {
        "table": table,
        "table_id": table_id,
        "why": why,
        "order_guid": order.guid,
        "order_opened_at": order.opened_at.isoformat() if order.opened_at else None,
        "order_guests": order.number_of_guests,
        "order_tab": order.tab_name,
        "order_items": len(order.item_names),
        "other_party": other_name,
        "seated_at": res.seated_at.isoformat() if res.seated_at else None,
        "party": who,
        "action_id": action.id,
        "ticket_id": ticket.id,
    }
    conflict_id = repos.new_id()

    def apply(s: Session) -> None:
        if repos.open_conflict_for(s, CONFLICT_TABLE_TAKEN, res.id, table_id) is not None:
            return
        repos.add_conflict(
            s,
            ConflictRecord(
                id=conflict_id,
                kind=CONFLICT_TABLE_TAKEN,
                summary=summary,
                created_at=now,
                reservation_id=res.id,
                table_id=table_id,
                choices=(CHOICE_SECOND_TICKET, CHOICE_MOVE, CHOICE_LINK),
                facts=facts,
            ),
        )
        repos.add_audit(
            s,
            AuditEntry(
                id=repos.new_id(), at=now, actor="sync", action="ticket_held", reservation_id=res.id,
                table_id=table_id, detail={"order": order.guid, "why": why, "action": action.id},
            ),
        )

    return Done({"how": HELD, "order_guid": order.guid, "conflict_id": conflict_id}, apply)


async def attach_ticket(ctx: HandlerContext, action: OutboxAction) -> Outcome:
    """`pos.attach_ticket`: a person said the open order at the table is this party's: link it, add the notes."""
    p = action.payload
    with ctx.store.read() as s:
        ticket = repos.get_ticket(s, p["ticket_id"])
    if ticket is None:
        return Done({"skipped": "the party's ticket is gone (the check-in was undone)"})
    try:
        order = await ctx.pos.get_order(p["order_guid"])
    except NotFound:
        return Dead("That ticket is no longer on the POS, so it could not be linked: check the table on the POS.")
    if not order.stage.is_live:
        return Dead("That ticket was closed or voided on the POS before it could be linked: check the table on the POS.")
    return await _attach(ctx, action, ticket, order, how="linked by hand")


def _who(res: Reservation | None) -> str:
    if res is None:
        return "the party"
    return f"{res.guest_name or 'the party'} ({res.party_size})"


# ------------------------------------------------------------------------------------ POS: void ticket


async def void_ticket(ctx: HandlerContext, action: OutboxAction) -> Outcome:
    p = action.payload
    with ctx.store.read() as s:
        ticket = repos.get_ticket(s, p["ticket_id"])
    pos_id = (ticket.pos_id if ticket else None) or p.get("pos_id")
    if pos_id is None and p.get("open_action_id"):
        found = await ctx.pos.find_order(
            external_id=external_id_for(p["open_action_id"]), business_date=date.fromisoformat(p["business_date"])
        )
        pos_id = found.guid if found else None
    if pos_id is None:
        return Done({"skipped": "no ticket was opened at the POS"}, _drop_ticket(p["ticket_id"]))
    order = await ctx.pos.get_order(pos_id)
    if order.stage is CourseStage.VOIDED:
        return Done({"order_guid": pos_id, "how": "already void"}, _drop_ticket(p["ticket_id"]))
    if _has_items(order):
        return Dead(
            "The ticket already has items on it, so it was not voided: ask the server or a manager to void it on the POS."
        )
    try:
        await ctx.pos.void_ticket(pos_id, business_date=date.fromisoformat(p["business_date"]))
    except NotFound:
        return Done({"skipped": "the POS no longer has this ticket"}, _drop_ticket(p["ticket_id"]))
    return Done({"order_guid": pos_id, "how": "voided"}, _drop_ticket(p["ticket_id"]))


def _has_items(order: RemoteOrder) -> bool:
    return order.stage not in (CourseStage.OPENED, CourseStage.VOIDED)


def _drop_ticket(ticket_id: str) -> Callable[[Session], None]:
    def apply(s: Session) -> None:
        t = repos.get_ticket(s, ticket_id)
        if t is not None:
            repos.save_ticket(s, replace(t, stage=CourseStage.VOIDED))

    return apply


# -------------------------------------------------------------------------------- booking: set status


async def set_status(ctx: HandlerContext, action: OutboxAction) -> Outcome:
    p = action.payload
    update = StatusUpdate(
        external_id=p["external_id"],
        status=ReservationStatus(p["status"]),
        party_size=int(p["party_size"]),
        start=datetime.fromisoformat(p["start"]),
        table_names=tuple(p.get("table_names") or ()),
        server_name=p.get("server_name"),
        sequence=int(p.get("sequence") or 0),
        updated_at=action.created_at,
    )
    await ctx.booking.set_status(update, request_id=action.id)
    return Done({"status": update.status.value})


async def send_pos_data(ctx: HandlerContext, action: OutboxAction) -> Outcome:
    """The check a party closed with goes to the booking platform's guest profile."""
    p = action.payload
    summary = PosCheckSummary(
        external_id=p["external_id"],
        covers=int(p["covers"]),
        subtotal=int(p.get("subtotal") or 0),
        total=int(p.get("total") or 0),
        comps=int(p.get("comps") or 0),
        currency=p.get("currency") or "USD",
        check_ids=tuple(p.get("check_ids") or ()),
        items=tuple((str(n), int(q)) for n, q in (p.get("items") or ())),
        closed_at=datetime.fromisoformat(p["closed_at"]) if p.get("closed_at") else None,
    )
    await ctx.booking.send_pos_data(summary, request_id=action.id)
    return Done({"covers": summary.covers, "total": summary.total})


class NotYet(Exception):
    """Not possible yet, but nothing is wrong at the vendor: retry later (not counted against the API's health)."""


HANDLERS: dict[str, Handler] = {
    "pos.open_ticket": open_ticket,
    "pos.attach_ticket": attach_ticket,
    "pos.void_ticket": void_ticket,
    "booking.set_status": set_status,
    "booking.send_pos_data": send_pos_data,
}


def _table_name(layout: FloorLayout, table_id: str) -> str:
    try:
        return layout.table(table_id).name
    except KeyError:
        return table_id

