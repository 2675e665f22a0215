"""The end-of-night reconciliation: each planted disagreement is listed once, a consistent night lists nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoststand.domain.covers import CoverPolicy, CoverTotals
from hoststand.domain.model import CourseStage, FloorLayout, Reservation, ReservationStatus, Table, Ticket
from hoststand.domain.reconcile import (
    Discrepancy,
    DiscrepancyKind,
    Fix,
    PlatformRecord,
    ReconcileSettings,
    night_report,
    reconcile,
)
from hoststand.domain.service_day import service_window

NY = ZoneInfo("America/New_York")
UTC = timezone.utc
S = ReservationStatus
C = CourseStage
K = DiscrepancyKind


def at(hh: int, mm: int = 0) -> datetime:
    day = 2 if hh < 4 else 1
    return datetime(2024, 6, day, hh, mm, tzinfo=NY).astimezone(UTC)


END_OF_NIGHT = at(23, 30)
LAYOUT = FloorLayout(
    id="l", name="L", width=1, height=1, sections=(),
    tables=tuple(Table(id=f"T{n}", name=str(n), section_id="s", min_seats=1, max_seats=6) for n in range(1, 21)),
)


class Night:
    """A night built party by party, consistent unless a test spoils it."""

    def __init__(self) -> None:
        self.reservations: list[Reservation] = []
        self.tickets: list[Ticket] = []
        self.platform: dict[str, PlatformRecord] = {}

    def finished(self, id_, table, seated=at(19), size=4, total=18000, closed=None) -> Night:
        closed = closed or seated + timedelta(minutes=90)
        self.reservations.append(Reservation(
            id=id_, source="opentable", external_id=id_, party_size=size, start=seated, status=S.FINISHED,
            guest_name=id_.title(), table_ids=(table,), arrived_at=seated, seated_at=seated, finished_at=closed,
        ))
        self.tickets.append(Ticket(id=f"t-{id_}", table_id=table, reservation_id=id_, covers=size,
                                   stage=C.CLOSED, opened_at=seated, closed_at=closed, total=total, subtotal=total))
        self.platform[id_] = PlatformRecord(S.FINISHED, size, total)
        return self

    def seated(self, id_, table, seated=at(22, 30), size=2, stage=C.MAINS) -> Night:
        self.reservations.append(Reservation(
            id=id_, source="opentable", external_id=id_, party_size=size, start=seated, status=S.SEATED,
            guest_name=id_.title(), table_ids=(table,), arrived_at=seated, seated_at=seated,
        ))
        self.tickets.append(Ticket(id=f"t-{id_}", table_id=table, reservation_id=id_, covers=size, stage=stage,
                                   opened_at=seated, total=5000))
        self.platform[id_] = PlatformRecord(S.SEATED)
        return self

    def booked(self, id_, table, start=at(23, 45), size=2, placeholder=True) -> Night:
        self.reservations.append(Reservation(
            id=id_, source="opentable", external_id=id_, party_size=size, start=start, guest_name=id_.title(),
            table_ids=(table,),
        ))
        if placeholder:
            self.tickets.append(Ticket(id=f"p-{id_}", table_id=table, reservation_id=id_, covers=size,
                                       opened_at=start - timedelta(minutes=30)))
        self.platform[id_] = PlatformRecord(S.BOOKED)
        return self

    def gone(self, id_, table, status=S.CANCELLED, start=at(20), voided_placeholder=True) -> Night:
        self.reservations.append(Reservation(
            id=id_, source="opentable", external_id=id_, party_size=2, start=start, status=status,
            guest_name=id_.title(), table_ids=(table,), cancelled_at=start,
        ))
        if voided_placeholder:
            self.tickets.append(Ticket(id=f"p-{id_}", table_id=table, reservation_id=id_, covers=2,
                                       stage=C.VOIDED, opened_at=start - timedelta(minutes=30)))
        self.platform[id_] = PlatformRecord(status)
        return self

    def walk_in(self, id_, table, opened=at(21), covers=3, logged=True) -> Night:
        if logged:
            self.reservations.append(Reservation(
                id=id_, source="walk_in", external_id=id_, party_size=covers, start=opened, status=S.FINISHED,
                table_ids=(table,), arrived_at=opened, seated_at=opened, finished_at=opened + timedelta(hours=1),
            ))
        self.tickets.append(Ticket(id=f"t-{id_}", table_id=table, reservation_id=id_ if logged else None,
                                   covers=covers, stage=C.CLOSED, opened_at=opened,
                                   closed_at=opened + timedelta(hours=1), total=9000))
        return self

    def ticket(self, id_: str) -> Ticket:
        return next(t for t in self.tickets if t.id == id_)

    def spoil_ticket(self, id_: str, **changes) -> Night:
        self.tickets = [replace(t, **changes) if t.id == id_ else t for t in self.tickets]
        return self

    def spoil_reservation(self, id_: str, **changes) -> Night:
        self.reservations = [replace(r, **changes) if r.id == id_ else r for r in self.reservations]
        return self

    def check(self, now=END_OF_NIGHT, **kwargs) -> list[Discrepancy]:
        return reconcile(self.reservations, self.tickets, self.platform, now=now, tz=NY, layout=LAYOUT, **kwargs)


def consistent() -> Night:
    return (
        Night()
        .finished("smith", "T12", at(18, 30), 4)
        .finished("lee", "T3", at(19, 15), 2, total=9550)
        .finished("khan", "T7", at(20, 0), 6, total=41000)
        .seated("ortiz", "T14", at(22, 45))
        .booked("late", "T5")
        .gone("cancel", "T8")
        .gone("noshow", "T9", S.NO_SHOW)
        .walk_in("walk", "T10")
    )


def kinds(found: list[Discrepancy]) -> list[tuple[str, str | None, str | None]]:
    return [(d.kind.value, d.reservation_id or d.ticket_id, d.fix) for d in found]


def test_a_consistent_night_lists_nothing():
    assert consistent().check() == []


def test_seated_with_no_ticket():
    night = consistent()
    night.tickets.remove(night.ticket("t-lee"))
    [found] = night.check()
    assert (found.kind, found.reservation_id, found.table_id, found.ticket_id, found.fix) == (
        K.SEATED_NO_TICKET, "lee", "T3", None, None
    )
    assert found.message == "Lee (2) at 3 was seated at 19:15 but has no POS ticket"


def test_seated_with_no_ticket_and_an_unlinked_ticket_at_its_table_offers_to_link_it():
    night = consistent().spoil_ticket("t-lee", reservation_id=None, opened_at=at(19, 18))
    [found] = night.check()
    assert (found.kind, found.ticket_id, found.fix) == (K.SEATED_NO_TICKET, "t-lee", Fix.LINK_TICKET)
    assert found.evidence["candidate_ticket_id"] == "t-lee"
    assert "is probably theirs" in found.message


def test_a_ticket_with_no_party_is_a_walk_in_not_logged():
    night = consistent().walk_in("stray", "T11", at(21, 40), covers=3, logged=False)
    [found] = night.check()
    assert (found.kind, found.reservation_id, found.ticket_id, found.table_id, found.fix) == (
        K.TICKET_NO_PARTY, None, "t-stray", "T11", Fix.LOG_WALK_IN
    )
    assert found.message == "The ticket at 11 opened 21:40 for 3 covers has no party (a walk-in not logged)"
    assert found.evidence["covers"] == 3


def test_covers_that_differ_between_host_and_pos():
    night = consistent().spoil_ticket("t-smith", covers=5)
    night.platform["smith"] = PlatformRecord(S.FINISHED, 5, 18000)  # the platform got the POS figure
    [found] = night.check()
    assert (found.kind, found.reservation_id, found.fix) == (K.COVERS_DIFFER, "smith", Fix.TAKE_POS_COVERS)
    assert found.message == "Smith (4) at 12 was seated as 4, the POS rang in 5 covers"
    assert found.evidence == {"host_covers": 4, "pos_covers": 5, "policy": "pos_wins"}


def test_the_cover_tolerance_is_a_parameter():
    night = consistent().spoil_ticket("t-smith", covers=5)
    night.platform["smith"] = PlatformRecord(S.FINISHED, 5, 18000)
    assert night.check(settings=ReconcileSettings(cover_tolerance=1)) == []


def test_under_host_wins_the_platform_should_hold_the_hosts_covers_and_no_fix_is_offered():
    night = consistent().spoil_ticket("t-smith", covers=5)
    found = night.check(settings=ReconcileSettings(policy=CoverPolicy.HOST_WINS))
    assert kinds(found) == [("covers_differ", "smith", None)]  # the platform holds 4: right under host wins


def test_the_booking_platform_holding_other_covers_or_spend_than_the_pos_closed_with():
    night = consistent()
    night.platform["lee"] = PlatformRecord(S.FINISHED, 3, 9550)
    night.platform["khan"] = PlatformRecord(S.FINISHED, 6, 40000)
    found = night.check()
    assert kinds(found) == [("covers_differ", "lee", "send_pos_data"), ("spend_differs", "khan", "send_pos_data")]
    assert found[0].message == "Lee (2) at 3: the booking platform holds 3 covers, the POS closed with 2"
    assert found[1].message == "Khan (6) at 7: the booking platform holds 400.00 USD, the POS closed at 410.00 USD"


def test_a_finished_party_the_platform_got_no_pos_data_for():
    night = consistent()
    night.platform["lee"] = PlatformRecord(S.FINISHED)
    assert kinds(night.check()) == [("pos_data_missing", "lee", "send_pos_data")]


def test_finished_on_the_pos_but_still_seated_on_the_booking_platform():
    night = consistent()
    night.platform["khan"] = PlatformRecord(S.SEATED)
    [found] = night.check()
    assert (found.kind, found.fix) == (K.FINISHED_ON_POS_STILL_SEATED, Fix.SEND_STATUS)
    assert found.message == "Khan (6) at 7: check closed on the POS at 21:30, still seated on the booking platform"


def test_finished_on_the_pos_but_seated_here_and_there_is_finished_here():
    night = consistent().spoil_reservation("khan", status=S.SEATED, finished_at=None)
    night.platform["khan"] = PlatformRecord(S.SEATED)
    [found] = night.check()
    assert (found.kind, found.fix) == (K.FINISHED_ON_POS_STILL_SEATED, Fix.FINISH_RESERVATION)
    assert found.message.endswith("still seated on the booking platform and here")


def test_finished_on_the_pos_and_the_platform_but_still_seated_here():
    night = consistent().spoil_reservation("khan", status=S.SEATED, finished_at=None)
    assert kinds(night.check()) == [("finished_on_pos_still_seated", "khan", "finish_reservation")]


def test_a_check_closed_moments_ago_is_given_time_to_sync():
    night = consistent()
    night.platform["khan"] = PlatformRecord(S.SEATED)
    assert night.check(now=at(21, 35)) == []
    assert len(night.check(now=at(21, 41))) == 1


@pytest.mark.parametrize("status", [S.CANCELLED, S.NO_SHOW])
def test_a_placeholder_left_for_a_cancelled_or_no_show_reservation(status):
    night = consistent().gone("ghost", "T15", status, voided_placeholder=False)
    night.tickets.append(Ticket(id="p-ghost", table_id="T15", reservation_id="ghost", covers=2, opened_at=at(19, 30)))
    [found] = night.check()
    assert (found.kind, found.reservation_id, found.ticket_id, found.fix) == (
        K.PLACEHOLDER_LEFT, "ghost", "p-ghost", Fix.VOID_PLACEHOLDER
    )
    word = "cancelled" if status == S.CANCELLED else "a no-show"
    assert found.message == f"Ghost (2) at 15 is {word} here, but its placeholder ticket is still open on the POS"


def test_a_cancellation_on_the_platform_not_yet_taken_here_leaves_a_placeholder_too():
    night = consistent()
    night.platform["late"] = PlatformRecord(S.CANCELLED)
    assert kinds(night.check()) == [
        ("placeholder_left", "late", "void_placeholder"),
        ("status_differs", "late", "take_platform_status"),
    ]


def test_a_ticket_with_items_on_a_cancelled_reservation_is_listed_without_a_fix():
    night = consistent().gone("ghost", "T15", voided_placeholder=False)
    night.tickets.append(Ticket(id="x", table_id="T15", reservation_id="ghost", covers=2, stage=C.ORDERED,
                                opened_at=at(20), total=2400))
    [found] = night.check()
    assert (found.kind, found.fix) == (K.PLACEHOLDER_LEFT, None)
    assert "open with items (24.00 USD)" in found.message


def test_a_reservation_never_closed():
    night = consistent().seated("slow", "T16", at(19, 0), size=4, stage=C.DESSERT)
    [found] = night.check()
    assert (found.kind, found.reservation_id, found.fix) == (K.NEVER_CLOSED, "slow", None)
    assert found.message == "Slow (4) at 16, seated 19:00: check still open after 270 min (expected turn 100 min)"
    assert found.evidence["expected_turn_minutes"] == 100


def test_never_closed_waits_for_the_turn_and_the_margin():
    night = consistent().seated("slow", "T16", at(19, 0), size=4)
    assert night.check(now=at(21, 10)) == []  # 100-minute turn + 30 minutes: 21:10
    assert len(night.check(now=at(21, 11))) == 1
    assert night.check(now=at(21, 11), settings=ReconcileSettings(never_closed_after=timedelta(hours=1))) == []


def test_a_party_finished_here_whose_check_is_still_open():
    night = consistent().spoil_ticket("t-lee", closed_at=None, stage=C.DESSERT)
    [found] = night.check()
    assert (found.kind, found.reservation_id) == (K.NEVER_CLOSED, "lee")
    assert found.message == "Lee (2) at 3 finished at 20:45, but its check is still open on the POS"


def test_a_second_empty_ticket_for_one_party():
    night = consistent()
    night.tickets.append(Ticket(id="dup", table_id="T12", reservation_id="smith", covers=4, opened_at=at(18, 0)))
    [found] = night.check()
    assert (found.kind, found.ticket_id, found.fix) == (K.DUPLICATE_TICKETS, "dup", Fix.VOID_PLACEHOLDER)
    assert found.evidence["kept_ticket_id"] == "t-smith"


def test_a_status_only_the_host_stand_knows():
    night = consistent()
    night.platform["noshow"] = PlatformRecord(S.BOOKED)
    [found] = night.check()
    assert (found.kind, found.fix) == (K.STATUS_DIFFERS, Fix.SEND_STATUS)
    assert found.message == "Noshow (2) at 9: a no-show here, booked on the booking platform"


def test_a_party_seated_here_but_cancelled_online_is_a_conflict_without_a_fix():
    night = consistent()
    night.platform["ortiz"] = PlatformRecord(S.CANCELLED)
    [found] = night.check()
    assert (found.kind, found.fix) == (K.STATUS_DIFFERS, None)
    assert "seated despite a cancellation" in found.message


def test_a_booked_party_long_past_its_time_is_offered_as_a_no_show():
    night = consistent().booked("missing", "T17", at(21, 0))
    [found] = night.check()
    assert (found.kind, found.reservation_id, found.ticket_id, found.fix) == (
        K.NOT_ARRIVED, "missing", "p-missing", Fix.MARK_NO_SHOW
    )
    assert found.message == "Missing (2) at 17, due 21:00, never arrived and is not marked a no-show"
    assert night.check(now=at(21, 15)) == [] and len(night.check(now=at(21, 16))) == 1


def test_a_ticket_naming_an_unknown_reservation():
    night = consistent()
    night.tickets.append(Ticket(id="odd", table_id="T18", reservation_id="yesterday", covers=2, opened_at=at(20)))
    [found] = night.check()
    assert (found.kind, found.ticket_id, found.fix) == (K.TICKET_NO_PARTY, "odd", None)


def test_without_the_platforms_view_only_host_and_pos_are_compared():
    night = consistent()
    night.platform = {}
    assert reconcile(night.reservations, night.tickets, None, now=END_OF_NIGHT, tz=NY) == []


def test_every_planted_disagreement_is_listed_once_grouped_by_kind():
    night = consistent().walk_in("stray", "T11", logged=False).seated("slow", "T16", at(19, 0))
    night.tickets.remove(night.ticket("t-lee"))
    night.platform["khan"] = PlatformRecord(S.SEATED)
    assert kinds(night.check()) == [
        ("seated_no_ticket", "lee", None),
        ("ticket_no_party", "t-stray", "log_walk_in"),
        ("finished_on_pos_still_seated", "khan", "send_status"),
        ("never_closed", "slow", None),
    ]


def test_the_night_report_counts_covers_and_lists_disagreements():
    night = consistent()
    start, end = service_window(date(2024, 6, 1), NY, 4)
    report = night_report(night.reservations, night.tickets, night.platform, day_start=start, day_end=end,
                          now=END_OF_NIGHT, tz=NY)
    assert report.totals == CoverTotals(booked=4 + 2 + 6 + 2 + 2, arrived=4 + 2 + 6 + 2 + 3, seated=17, rung_in=17)
    assert len(report.slots) == 96
    assert report.discrepancies == []


@settings(derandomize=True, max_examples=60, deadline=None)
@given(
    parties=st.lists(
        st.tuples(
            st.sampled_from(["finished", "seated", "booked", "cancelled", "no_show", "walk_in"]),
            st.integers(1, 8),  # size
            st.integers(0, 16),  # start, quarter hours after 18:00
            st.integers(0, 50000),  # total
        ),
        max_size=25,
    )
)
def test_a_consistent_night_of_any_shape_lists_nothing(parties):
    night = Night()
    for i, (kind, size, quarter, total) in enumerate(parties):
        start = at(18) + timedelta(minutes=15 * quarter)
        table = f"T{i % 20 + 1}"
        if kind == "finished":
            night.finished(f"p{i}", table, start, size, total)
        elif kind == "seated":
            night.seated(f"p{i}", table, END_OF_NIGHT - timedelta(minutes=quarter), size)
        elif kind == "booked":
            night.booked(f"p{i}", table, END_OF_NIGHT + timedelta(minutes=5 + quarter), size, placeholder=quarter % 2 == 0)
        elif kind in ("cancelled", "no_show"):
            night.gone(f"p{i}", table, S(kind), start, voided_placeholder=quarter % 2 == 0)
        else:
            night.walk_in(f"p{i}", table, start, size)
    assert night.check() == []
