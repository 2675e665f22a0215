"""What each outbox action does at its vendor, and how its outcome is written back to the cache.

A handler talks to one port and returns an `Outcome`: `Done` (with a function that records the result in
the same transaction as the acknowledgement), `Retry` (transient; maybe uncertain), or `Dead` (refused for
good, with the vendor's reason). Handlers never commit; the replayer does, atomically with the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from hoststand.connectors.base import (
    AlreadyApplied,
    BookingPort,
    NotFound,
    OpenTicketRequest,
    PosPort,
    RemoteOrder,
    StatusUpdate,
)
from hoststand.domain.clock import Clock
from hoststand.domain.model import CourseStage, FloorLayout, OutboxAction, ReservationStatus
from hoststand.store import outbox, repos
from hoststand.store.engine import Store
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


@dataclass
class HandlerContext:
    store: Store
    booking: BookingPort
    pos: PosPort
    layout: FloorLayout
    clock: Clock

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


class NotYet(Exception):
    """Not possible yet, but nothing is wrong at the vendor: retry later (not counted against the API's health)."""


HANDLERS: dict[str, Handler] = {
    "pos.open_ticket": open_ticket,
    "pos.void_ticket": void_ticket,
    "booking.set_status": set_status,
}


def _table_name(layout: FloorLayout, table_id: str) -> str:
    try:
        return layout.table(table_id).name
    except KeyError:
        return table_id

