"""The waitlist service on a real SQLite cache: walk-ins added with their phone and allergies handled like a
reservation's, quotes replayed in order against the floor (a small party behind a big one is quoted less),
calls and texts recorded, removal with a reason, seating through the check-in (the POS ticket queued with its
notes, allergies first), undo, and the night's quote accuracy. Nothing here calls a vendor."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from hoststand.domain import service_day
from hoststand.domain.clock import ManualClock
from hoststand.domain.events import ChangeBus
from hoststand.domain.model import (
    Allergen,
    CourseStage,
    FloorLayout,
    Reservation,
    ReservationStatus,
    Section,
    Table,
    Ticket,
)
from hoststand.services.commands import HostCommands
from hoststand.services.pacing import PacingQueries
from hoststand.services.waitlist import WaitlistService, timer_words
from hoststand.store import outbox, repos
from hoststand.store import waitlist as store_waitlist
from tests.conftest import NY

S = ReservationStatus
NOW = datetime(2026, 11, 27, 19, 30, tzinfo=NY).astimezone(timezone.utc)
TONIGHT = date(2026, 11, 27)


def mins(n: float) -> datetime:
    return NOW + timedelta(minutes=n)


class Rig:
    def __init__(self, store, layout, settings) -> None:
        self.store, self.layout, self.settings = store, layout, settings
        self.clock = ManualClock(NOW)
        self.bus = ChangeBus()
        self.events = []
        self.bus.subscribe(self.events.append)
        self.commands = HostCommands(store, layout=layout, settings=settings, clock=self.clock, bus=self.bus)
        self.pacing = PacingQueries(store, layout=layout, settings=settings, clock=self.clock, bus=self.bus)
        self.waitlist = WaitlistService(store, layout=layout, settings=settings, clock=self.clock, bus=self.bus,
                                        commands=self.commands, pacing=self.pacing)

    def seat_party(self, name: str, size: int, table: str, seated_at: datetime, stage=CourseStage.ORDERED,
                   stage_since: datetime | None = None) -> Reservation:
        res = Reservation(id=f"r-{name}", source="opentable", external_id=f"ot-{name}", party_size=size, start=seated_at,
                          status=S.SEATED, guest_name=name, table_ids=(table,), seated_at=seated_at)
        ticket = Ticket(id=f"t-{name}", table_id=table, reservation_id=res.id, covers=size, stage=stage,
                        pos_id=f"pos-{name}", external_id=f"x-{name}", opened_at=seated_at,
                        stage_since=stage_since or seated_at)
        with self.store.write() as s:
            repos.save_reservation(s, res, service_date=TONIGHT)
            repos.save_ticket(s, ticket, business_date=service_day.business_date_int(TONIGHT))
        return res

    def entry(self, entry_id: str):
        with self.store.read() as s:
            return store_waitlist.get_entry(s, entry_id)


@pytest.fixture
def rig(store, layout, settings):
    return Rig(store, layout, settings)


def two_tables() -> FloorLayout:
    return FloorLayout(
        id="tiny", name="Tiny", width=100, height=100, sections=(Section("main", "Main"),),
        tables=(
            Table(id="T1", name="1", section_id="main", min_seats=1, max_seats=2),
            Table(id="T2", name="2", section_id="main", min_seats=3, max_seats=6),
        ),
    )


# ------------------------------------------------------------------------------------------ adding


def test_a_walk_in_is_added_with_its_phone_normalised_and_its_allergies_read(rig):
    r = rig.waitlist.add("  Rivera ", 2, phone="(917) 555-0133", allergy_notes="no nuts, epipen",
                         notes="vegan, high chair")
    assert r.ok and r.entry_id and r.quoted_minutes == 0
    assert r.message == "Rivera (2) added. A table is free now: seat them."
    e = rig.entry(r.entry_id)
    assert e.name == "Rivera" and e.phone == "+19175550133" and e.status == "waiting"
    assert {Allergen.PEANUT, Allergen.TREE_NUT} <= e.allergens and e.allergy_notes == "no nuts, epipen"
    assert e.quoted_at == NOW and e.quoted_minutes == 0 and "vegan" in e.dietary
    p = rig.waitlist.view().get(r.entry_id)
    assert p.phone_display == "(917) 555-0133" and p.severe_allergy and p.has_allergy
    assert p.allergy_words == ("no nuts, epipen", "vegan, high chair")  # the guest's words, verbatim
    assert rig.events[-1].topics == frozenset({"waitlist"})
    with rig.store.read() as s:
        audit = repos.audit_since(s, NOW)
        assert [a.action for a in audit] == ["waitlist.added"] and outbox.unsettled(s) == []


@pytest.mark.parametrize(
    ("name", "size", "phone", "field", "words"),
    [
        ("", 2, "", "name", "Enter the party's name."),
        ("Ann", 0, "", "party_size", "Party size must be between 1 and 50."),
        ("Ann", 51, "", "party_size", "Party size must be between 1 and 50."),
        ("Ann", 2, "12", "phone", "“12” is not a phone number. Check the number, or leave it empty."),
    ],
)
def test_what_is_wrong_with_the_form_is_said_in_plain_words(rig, name, size, phone, field, words):
    r = rig.waitlist.add(name, size, phone=phone)
    assert not r.ok and r.field == field and r.message == words
    assert rig.waitlist.view().waiting == ()


def test_the_host_can_quote_a_different_wait(rig):
    r = rig.waitlist.add("Ann", 2, quoted_minutes=20)
    assert rig.entry(r.entry_id).quoted_minutes == 20


# ------------------------------------------------------------------------------------------ quotes


def test_a_small_party_behind_a_big_one_is_quoted_less(store, settings):
    rig = Rig(store, two_tables(), settings)
    rig.seat_party("Two", 2, "T1", mins(-60), CourseStage.DESSERT, stage_since=mins(-5))  # frees ~ in 10 min
    rig.seat_party("Six", 6, "T2", mins(-20), CourseStage.ORDERED, stage_since=mins(-15))  # frees in ~ an hour
    six = rig.waitlist.add("Big", 6)
    two = rig.waitlist.add("Small", 2)
    assert six.quoted_minutes > two.quoted_minutes > 0
    view = rig.waitlist.view()
    assert [p.name for p in view.waiting] == ["Big", "Small"]
    assert view.get(two.entry_id).estimate.tables == "1" and view.get(six.entry_id).estimate.tables == "2"


def test_the_quote_for_a_new_party_waits_behind_those_already_waiting(store, settings):
    rig = Rig(store, two_tables(), settings)
    assert rig.waitlist.quote(2).minutes == 0
    rig.waitlist.add("First", 2)  # takes 1
    assert rig.waitlist.quote(2).tables == "2"  # a 2 may sit at the 6-top when nothing smaller is free
    rig.waitlist.add("Second", 2)
    q = rig.waitlist.quote(2)
    assert q.minutes >= 75 and q.tables in ("1", "2")  # behind both: when one of them leaves
    assert rig.waitlist.quote(12).minutes is None and "No table seats a party of 12" in rig.waitlist.quote(12).reason


def test_the_timer_counts_down_then_up(rig):
    r = rig.waitlist.add("Ann", 2, quoted_minutes=15)
    p = rig.waitlist.view().get(r.entry_id)
    assert timer_words(p, rig.clock.now()) == ("15 min left", False)
    assert timer_words(p, mins(15)) == ("due now", False)
    assert timer_words(p, mins(22)) == ("7 min over", True)


# ------------------------------------------------------------------------------------------ notify, remove


def test_each_call_or_text_is_recorded_with_its_time(rig):
    r = rig.waitlist.add("Ann", 2, phone="212 555 0100")
    assert rig.waitlist.notify(r.entry_id, "texted").message == "Texted Ann at 19:30."
    rig.clock.advance(timedelta(minutes=6))
    assert rig.waitlist.notify(r.entry_id, "Called").ok
    e = rig.entry(r.entry_id)
    assert e.status == "notified" and e.notified_how == "called" and e.notified_at == mins(6)
    assert e.notifications == ((NOW, "texted"), (mins(6), "called"))
    p = rig.waitlist.view().get(r.entry_id)
    assert [n.words for n in p.notifications] == ["Texted 19:30", "Called 19:36"]
    assert not rig.waitlist.notify(r.entry_id, "pigeon").ok


def test_removing_a_party_records_why(rig):
    r = rig.waitlist.add("Ann", 2)
    assert not rig.waitlist.remove(r.entry_id, "bored").ok
    done = rig.waitlist.remove(r.entry_id, "no answer")
    assert done.ok and done.message == "Ann (2) removed from the waitlist: no answer."
    view = rig.waitlist.view()
    assert view.waiting == () and view.done[0].status == "removed" and view.done[0].reason == "no answer"
    assert not rig.waitlist.remove(r.entry_id, "left").ok  # already gone
    assert not rig.waitlist.notify(r.entry_id, "called").ok
    with rig.store.read() as s:
        assert repos.audit_since(s, NOW)[-1].detail["reason"] == "no answer"


# ------------------------------------------------------------------------------------------ seating


def test_seating_without_a_table_offers_tables_and_writes_nothing(rig):
    r = rig.waitlist.add("Ann", 4)
    result = rig.waitlist.seat(r.entry_id)
    assert not result.ok and result.needs_table and result.suggestions
    assert result.message == "Choose a table for Ann (4)."
    assert all(rig.layout.table(t).max_seats >= 4 for s in result.suggestions for t in s.table_ids)
    with rig.store.read() as s:
        assert [x for x in repos.reservations_for_day(s, TONIGHT) if x.source == "walk_in"] == []


def test_seating_checks_the_party_in_and_queues_its_ticket_with_the_allergies_first(rig):
    r = rig.waitlist.add("Rivera", 3, phone="917 555 0133", allergy_notes="shellfish allergy", notes="birthday")
    rig.clock.advance(timedelta(minutes=12))
    rig.events.clear()
    result = rig.waitlist.seat(r.entry_id, ("T14",))
    assert result.ok and result.reservation_id and result.undo_label == "Undo: seat Rivera at 14"
    assert "Rivera (3) seated at 14" in result.message
    with rig.store.read() as s:
        res = repos.get_reservation(s, result.reservation_id)
        guest = repos.get_guest(s, res.guest_id)
        ticket = repos.tickets_for_reservation(s, res.id)[0]
        actions = {a.kind: a for a in outbox.unsettled_for(s, [res.id])[res.id]}
    assert res.source == "walk_in" and res.status is S.SEATED and res.table_ids == ("T14",)
    assert res.arrived_at == NOW and res.seated_at == mins(12) and res.guest_request == "birthday"
    assert guest.phone == "+19175550133" and Allergen.CRUSTACEAN in guest.allergens
    assert ticket.table_id == "T14" and ticket.covers == 3
    payload = actions["pos.open_ticket"].payload
    assert payload["tab_name"].startswith(("ALLERGY", "SEVERE ALLERGY")) and "shellfish allergy" in payload["allergy_text"]
    e = rig.entry(r.entry_id)
    assert e.status == "seated" and e.seated_at == mins(12) and e.table_ids == ("T14",)
    assert {"waitlist", "reservations", "tables"} <= set().union(*(c.topics for c in rig.events))
    view = rig.waitlist.view()
    assert view.waiting == () and view.done[0].tables == "14" and view.done[0].waited_minutes == 12


def test_a_seated_walk_in_is_not_sent_to_the_booking_platform(rig):
    r = rig.waitlist.add("Ann", 2)
    seated = rig.waitlist.seat(r.entry_id, ("T20",))
    with rig.store.read() as s:
        kinds = [a.kind for a in outbox.unsettled_for(s, [seated.reservation_id])[seated.reservation_id]]
    assert kinds == ["pos.open_ticket"]


def test_a_taken_table_is_refused_and_leaves_no_walk_in_behind(rig):
    rig.seat_party("Occupier", 2, "T1", mins(-20))
    r = rig.waitlist.add("Ann", 2)
    result = rig.waitlist.seat(r.entry_id, ("T1",))
    assert not result.ok and result.needs_table and "taken" in result.message
    with rig.store.read() as s:
        assert [x for x in repos.reservations_for_day(s, TONIGHT) if x.source == "walk_in"] == []
    e = rig.entry(r.entry_id)
    assert e.status == "waiting" and e.reservation_id is None


def test_undoing_the_seating_puts_the_party_back_on_the_list(rig):
    r = rig.waitlist.add("Ann", 2, phone="212 555 0100")
    seated = rig.waitlist.seat(r.entry_id, ("T20",))
    assert seated.ok
    assert rig.commands.undo().ok
    view = rig.waitlist.view()
    back = view.get(r.entry_id)
    assert back is not None and back.seating_undone and view.done == ()
    again = rig.waitlist.seat(r.entry_id, ("T21",))
    assert again.ok and again.reservation_id == seated.reservation_id  # the same walk-in, seated again
    assert rig.entry(r.entry_id).table_ids == ("T21",)


def test_removing_a_party_whose_seating_was_undone_cancels_its_walk_in(rig):
    r = rig.waitlist.add("Ann", 2)
    seated = rig.waitlist.seat(r.entry_id, ("T20",))
    rig.commands.undo()
    assert rig.waitlist.remove(r.entry_id, "left").ok
    with rig.store.read() as s:
        assert repos.get_reservation(s, seated.reservation_id).status is S.CANCELLED


def test_an_interrupted_seating_reads_as_seated(rig):
    r = rig.waitlist.add("Ann", 2)
    seated = rig.waitlist.seat(r.entry_id, ("T20",))
    with rig.store.write() as s:  # as if the process died before the last step
        e = store_waitlist.get_entry(s, r.entry_id)
        from dataclasses import replace

        store_waitlist.save_entry(s, replace(e, status="waiting", seated_at=None, table_ids=()))
    view = rig.waitlist.view()
    assert view.waiting == () and view.done[0].status == "seated" and view.done[0].tables == "20"
    assert not rig.waitlist.seat(r.entry_id, ("T21",)).ok  # never seated twice
    assert rig.entry(r.entry_id).status == "seated"  # and written back
    assert seated.ok


# ------------------------------------------------------------------------------------------ accuracy


def test_the_nights_quote_accuracy_compares_quoted_and_actual_waits(rig):
    a = rig.waitlist.add("A", 2, quoted_minutes=15)
    b = rig.waitlist.add("B", 2, quoted_minutes=30)
    rig.waitlist.add("C", 2, quoted_minutes=10)  # still waiting: not counted
    rig.clock.advance(timedelta(minutes=18))
    rig.waitlist.seat(a.entry_id, ("T20",))  # 3 min longer than quoted
    rig.clock.advance(timedelta(minutes=2))
    rig.waitlist.seat(b.entry_id, ("T21",))  # 10 min shorter
    acc = rig.waitlist.view().accuracy
    assert acc.parties == 2 and acc.mean_abs_error_min == 6.5 and acc.within_5_min_pct == 50.0
    assert acc.mean_error_min == -3.5
    assert acc.words == ("Quotes tonight: within 5 min for 50% of 2 seated parties, off by 6.5 min on average; "
                         "waits ran 4 min shorter than quoted on average")
    assert rig.waitlist.accuracy() == acc


def test_only_tonights_entries_are_listed(rig):
    rig.waitlist.add("Tonight", 2)
    rig.clock.advance(timedelta(days=1))
    assert rig.waitlist.view().waiting == ()
