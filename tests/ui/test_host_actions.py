"""The host's other actions in the window: the no-show assistant, cancel, party size, move."""

from __future__ import annotations

from datetime import timedelta

from hoststand.domain.model import ReservationStatus


def _late_party(service, clock):
    """Move time on until some booked party is past the no-show grace."""
    for _ in range(40):
        suspects = [r for r in service.reservations() if r.no_show_suspect]
        if suspects:
            return suspects[0]
        clock.advance(timedelta(minutes=5))
    raise AssertionError("no party ever became a no-show suspect")


def test_a_flagged_no_show_is_confirmed_with_one_click(qtbot, window, night):
    service = night.service
    late = _late_party(service, night.clock)
    window.refresh_all()
    assert window.select_reservation(late.id)
    qtbot.waitUntil(lambda: window.details.no_show_button.isVisible())
    assert window.details.no_show_button.text() == "Mark no-show"
    assert "min late" in window.details.no_show_button.toolTip()
    result = window.confirm_no_show(late.id, ask=False)  # what the button does once the host confirms
    assert result is not None and result.ok
    assert service.party(late.id).status is ReservationStatus.NO_SHOW
    assert "no-show" in window.messages.text().lower()


def test_a_party_that_is_not_late_offers_no_no_show_button(qtbot, window, night):
    service = night.service
    on_time = next(r for r in service.reservations() if r.status is ReservationStatus.BOOKED and not r.no_show_suspect)
    assert window.select_reservation(on_time.id)
    assert not window.details.no_show_button.isVisible()


def test_party_size_and_cancel_from_the_details_panel(qtbot, window, night):
    service = night.service
    party = next(r for r in service.reservations() if r.status is ReservationStatus.BOOKED)
    assert window.ask_party_size(party.id, size=party.party_size + 1).ok
    assert service.party(party.id).party_size == party.party_size + 1
    assert window.confirm_cancel(party.id, ask=False).ok
    assert service.party(party.id).status is ReservationStatus.CANCELLED


def test_the_party_size_can_be_changed_when_seating(qtbot, window, night):
    service = night.service
    party = next(r for r in service.reservations() if r.status is ReservationStatus.BOOKED and r.table_ids
                 and r.party_size < 4)
    assert window.select_reservation(party.id)
    assert window.details.party_size_box.value() == party.party_size
    window.details.party_size_box.setValue(party.party_size + 1)
    result = window.check_in(party.id)
    assert result is not None and result.ok, result.message
    after = service.party(party.id)
    assert after.status is ReservationStatus.SEATED and after.party_size == party.party_size + 1
