"""The waitlist page: its models pass Qt's model contract; the form adds a walk-in with Enter and says what is
wrong in plain words; the timer counts down, then up in red; calls, texts and removals are recorded from the
buttons and the keys; seating opens the table picker with suggestions and seats through the check-in, with
Undo; it renders at the host stand's two screen sizes. Then, against the vendor sandboxes over loopback: a
waitlisted party seated from the page has its ticket open on the POS, allergies first."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from hoststand.services.pacing import PacingQueries
from hoststand.services.waitlist import WaitlistService
from hoststand.store import repos
from hoststand.ui.keyed_model import ROW_ROLE
from hoststand.ui.waitlist_page import WaitlistPage, quote_html

from .conftest import TONIGHT, save_shot


def make_waitlist(store, layout, settings, clock, bus, commands):
    pacing = PacingQueries(store, layout=layout, settings=settings, clock=clock, bus=bus)
    return WaitlistService(store, layout=layout, settings=settings, clock=clock, bus=bus, commands=commands,
                           pacing=pacing)


@pytest.fixture
def waitlist(night):
    s = night.service
    return make_waitlist(night.store, night.layout, s.settings, night.clock, night.bus, s.commands)


@pytest.fixture
def page(qtbot, night, waitlist):
    p = WaitlistPage(waitlist, night.service)
    qtbot.addWidget(p)
    p.resize(1440, 800)
    p.show()
    qtbot.waitExposed(p)
    p.refresh_now()
    return p


def add(page, qtbot, name, size=2, phone="", allergy="", notes=""):
    f = page.form
    f.name.setText(name)
    f.size.set_value(size)
    f.phone.setText(phone)
    f.allergy.setText(allergy)
    f.notes.setText(notes)
    qtbot.keyClick(f.name, Qt.Key.Key_Return)


def rows(page):
    return [page.model.index(i, 0).data(ROW_ROLE) for i in range(page.model.rowCount())]


# ------------------------------------------------------------------------------------------ models


def test_the_lists_pass_qtmodeltester(qtmodeltester, page, waitlist, night):
    qtmodeltester.check(page.model, force_py=True)  # connected from here on: each change is checked live
    a = waitlist.add("Ann", 2, phone="212 555 0100").entry_id
    waitlist.add("Bo", 4, allergy_notes="coeliac")
    page.refresh_now()
    waitlist.add("Cy", 6)
    waitlist.remove(a, "left")
    page.refresh_now()
    assert [p.name for p in rows(page)] == ["Bo", "Cy"]
    qtmodeltester.check(page.done_model, force_py=True)


# ------------------------------------------------------------------------------------------ the form


def test_enter_adds_a_walk_in_with_its_quote_and_allergies(page, qtbot, night):
    assert "Table free now" in page.form.quote.text() or "about" in page.form.quote.text()
    add(page, qtbot, "Rivera", 3, phone="917 555 0133", allergy="no nuts, epipen")
    assert page.form.allergen_buttons  # the words lit the toggles before the form cleared
    [p] = rows(page)
    assert p.name == "Rivera" and p.party_size == 3 and p.phone_display == "(917) 555-0133"
    assert p.severe_allergy and p.quoted_minutes is not None
    assert page.form.name.text() == "" and page.form.size.value() == 2  # ready for the next party
    assert "Rivera (3) added" in page.notice.label.text()
    assert page.title.text() == "1 waiting · 3 covers" and page.badge() == "1"
    assert page.selected().id == p.id


def test_the_allergy_words_light_the_allergen_toggles(page):
    page.form.allergy.setText("coeliac, shellfish")
    lit = {a.value for a, b in page.form.allergen_buttons.items() if b.isChecked()}
    assert {"gluten", "crustacean"} <= lit
    page.form.allergy.setText("")
    assert not any(b.isChecked() for b in page.form.allergen_buttons.values())


@pytest.mark.parametrize(
    ("name", "phone", "field", "words"),
    [("", "", "name", "Enter the party's name."), ("Ann", "55", "phone", "“55” is not a phone number.")],
)
def test_validation_messages_are_plain_words_next_to_the_field(page, qtbot, name, phone, field, words):
    add(page, qtbot, name, phone=phone)
    label = {"name": page.form.name_error, "phone": page.form.phone_error}[field]
    edit = {"name": page.form.name, "phone": page.form.phone}[field]
    assert label.isVisible() and label.text().startswith(words)
    assert edit.property("invalid") is True and edit.hasFocus()
    assert rows(page) == []


def test_the_size_stepper_and_the_quote_follow_the_party_size(page, qtbot, waitlist):
    page.form.size.setFocus()
    qtbot.keyClick(page.form.size, Qt.Key.Key_Up)
    qtbot.keyClick(page.form.size, Qt.Key.Key_Up)
    assert page.form.size.value() == 4
    qtbot.keyClick(page.form.size, Qt.Key.Key_8)
    assert page.form.size.value() == 8
    page.form.size.minus.click()
    assert page.form.size.value() == 7
    waitlist.add("Ahead", 8)  # a change elsewhere: the page hears of it and re-reads in the background
    page.refresh()
    want = quote_html(waitlist.quote(7))
    qtbot.waitUntil(lambda: page.form.quote.text() == want and page.loader.idle(), timeout=5000)
    assert [p.name for p in rows(page)] == ["Ahead"]


# ------------------------------------------------------------------------------------------ the list


def test_the_timer_counts_down_then_up_in_red(page, waitlist, night):
    waitlist.add("Ann", 2, quoted_minutes=10)
    page.refresh_now()
    wait = page.model.index(0, 2)
    assert wait.data() == "10 min left" and wait.data(Qt.ItemDataRole.ForegroundRole) is None
    night.clock.advance(timedelta(minutes=14))
    page._tick()
    assert wait.data() == "4 min over"
    assert wait.data(Qt.ItemDataRole.ForegroundRole).name().upper() == "#D92D20"


def test_called_texted_and_remove_are_recorded_from_the_buttons_and_keys(page, waitlist, night, qtbot):
    waitlist.add("Ann", 2, phone="212 555 0100")
    waitlist.add("Bo", 2)
    page.refresh_now()
    page.select(rows(page)[0].id)
    assert page.actions.phone.text().startswith("☎ (212) 555-0100")
    page.actions.called_button.click()
    night.clock.advance(timedelta(minutes=3))
    qtbot.keyClick(page.list, Qt.Key.Key_T)
    ann = rows(page)[0]
    assert [n.words for n in ann.notifications] == ["Called 19:42", "Texted 19:45"]
    assert "Texted 19:45" in page.actions.phone.text()
    page.select(rows(page)[1].id)
    assert not page.actions.called_button.isEnabled()  # Bo left no phone
    page.actions.told_button.click()
    assert rows(page)[1].notifications[0].how == "told in person"
    page.actions.remove_menu.actions()[2].trigger()  # "No answer"
    assert [p.name for p in rows(page)] == ["Ann"]
    page.switch.button(1).click()
    done = page.done_model.index(0, 1).data()
    assert done == "Removed: no answer"


def test_seat_opens_the_picker_and_seats_the_party_with_undo(page, waitlist, night, qtbot):
    waitlist.add("Ann", 2, allergy_notes="sesame allergy")
    page.refresh_now()
    page.select(rows(page)[0].id)
    qtbot.keyClick(page.list, Qt.Key.Key_Return)
    picker = page.picker
    assert picker is not None and picker.buttons and picker.wait_button.isHidden()
    assert picker.cancel_button.text() == "Keep waiting"
    label = picker.suggestions[0].label
    picker.buttons[0].click()
    assert rows(page) == [] and f"seated at {label}" in page.notice.label.text()
    with night.store.read() as s:
        walk_ins = [r for r in repos.reservations_for_day(s, TONIGHT) if r.source == "walk_in"]
    assert len(walk_ins) == 1 and walk_ins[0].status.value == "seated"
    assert page.notice.undo.isVisible()
    page.notice.undo.click()
    assert [p.name for p in rows(page)] == ["Ann"] and rows(page)[0].seating_undone


@pytest.mark.parametrize("size", [(1440, 900), (1280, 800)], ids=["1440x900", "1280x800"])
def test_the_waitlist_page_renders_at_host_stand_sizes(window, qtbot, night, waitlist, tmp_path, size):
    for name, n, kw in [("Olsen", 6, dict(phone="212 555 0100")),
                        ("Rivera", 2, dict(phone="(917) 555-0133", allergy_notes="no nuts, epipen")),
                        ("Baker", 4, dict(notes="high chair")), ("Novak", 8, {})]:
        waitlist.add(name, n, **kw)
        night.clock.advance(timedelta(minutes=4))
    waitlist.notify(waitlist.entries()[0].id, "texted")
    night.clock.advance(timedelta(minutes=12))
    page = WaitlistPage(waitlist, night.service)
    window.add_page("waitlist", "Waitlist", page)
    window.resize(*size)
    window.show_page("waitlist")
    page.select(waitlist.entries()[1].id)
    page.form.name.setText("Sato")
    page.form.allergy.setText("coeliac")
    qtbot.wait(30)
    assert save_shot(window, tmp_path, f"waitlist-{size[0]}x{size[1]}").stat().st_size > 10_000
    page.seat_selected()
    qtbot.waitExposed(page.picker)
    save_shot(page.picker, tmp_path, f"waitlist-picker-{size[0]}x{size[1]}")


# ------------------------------------------------------------------------------------------ against the sandboxes


def test_a_waitlisted_party_seated_from_the_page_has_its_ticket_on_the_pos(qtbot, tmp_path):
    from tests.integration.sync.conftest import make_night

    loop = asyncio.new_event_loop()
    n = make_night(tmp_path)
    try:
        core = n.core
        loop.run_until_complete(core.engine.puller.pull_all())
        waitlist = make_waitlist(core.store, core.layout, core.settings, n.clock, core.bus, core.service.commands)
        page = WaitlistPage(waitlist, core.service)
        qtbot.addWidget(page)
        page.resize(1440, 800)
        page.show()
        qtbot.waitExposed(page)
        page.refresh_now()
        add(page, qtbot, "Lindqvist", 3, phone="646 555 0177", allergy="shellfish allergy, carries an epipen",
            notes="celebrating")
        [p] = rows(page)
        n.clock.advance(timedelta(minutes=7))
        page.select(p.id)
        page.seat_selected()
        assert page.picker is not None and page.picker.suggestions
        choice = page.picker.suggestions[0]
        page.picker.buttons[0].click()
        assert rows(page) == []
        assert loop.run_until_complete(core.engine.replayer.drain(timeout=20))

        entry = waitlist.entries()[0]
        assert entry.status == "seated" and entry.table_ids == choice.table_ids
        with core.store.read() as s:
            ticket = repos.tickets_for_reservation(s, entry.reservation_id)[0]
            res = repos.get_reservation(s, entry.reservation_id)
        assert res.source == "walk_in" and ticket.pos_id
        orders = [o for o in n.toast_orders() if o.get("externalId") == f"hoststand:{ticket.external_id}"]
        assert len(orders) == 1
        order = orders[0]
        table_guid = {t["name"]: t["guid"] for t in n.state()["toast"]["tables"]}[choice.label.split("+")[0]]
        assert order["table"]["guid"] == table_guid and order["numberOfGuests"] == 3
        tab = order["checks"][0]["tabName"]
        assert tab.startswith("SEVERE ALLERGY") and "SHELLFISH" in tab.upper()
        specials = " ".join(m.get("displayName", "") for sel in order["checks"][0]["selections"]
                            for m in sel.get("modifiers", []))
        assert "shellfish allergy" in (tab + " " + specials)
        assert "Lindqvist" in tab or order["checks"][0].get("customer", {}).get("firstName") == "Lindqvist"
        save_shot(page, tmp_path, "waitlist-seated-sandbox")
    finally:
        loop.run_until_complete(n.core.engine.booking.aclose())
        loop.run_until_complete(n.core.engine.pos.aclose())
        n.core.store.close()
        n.sandbox.stop()
        loop.close()
