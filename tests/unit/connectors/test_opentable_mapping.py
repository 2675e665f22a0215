"""OpenTable mapping: status words both ways, record fields, guests, malformed records, the resoupdate body."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from hoststand.connectors.base import Credentials, StatusUpdate
from hoststand.connectors.booking.opentable import (
    OpenTableAdapter,
    guest_from_json,
    opentable_word_for,
    reservation_from_json,
    resoupdate_body,
    status_from_opentable,
    vip_tier_from_tags,
)
from hoststand.connectors.fields import MalformedRecord
from hoststand.domain.clock import ManualClock
from hoststand.domain.model import ReservationStatus as S

FIXTURES = Path(__file__).parent / "fixtures"
NY = ZoneInfo("America/New_York")
UTC = timezone.utc


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


# ------------------------------------------------------------------------------------ status words


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Pending", S.BOOKED),
        ("PENDING", S.BOOKED),
        ("BOOKED", S.BOOKED),
        ("Seated", S.SEATED),
        ("SEATED", S.SEATED),
        ("AssumedSeated", S.SEATED),
        ("ASSUMED_SEATED", S.SEATED),
        ("Done", S.FINISHED),
        ("DONE", S.FINISHED),
        ("NoShow", S.NO_SHOW),
        ("NOSHOW", S.NO_SHOW),
        ("No Show", S.NO_SHOW),
        ("Cancelled", S.CANCELLED),
        ("Canceled", S.CANCELLED),
        ("CANCELED", S.CANCELLED),
        ("CANCELLED", S.CANCELLED),
        ("  cancelled ", S.CANCELLED),
    ],
)
def test_status_words_in(word, expected):
    assert status_from_opentable(word) == (expected, True)


def test_pending_with_arrival_is_arrived_but_other_states_ignore_arrival():
    assert status_from_opentable("Pending", arrived=True) == (S.ARRIVED, True)
    assert status_from_opentable("Seated", arrived=True) == (S.SEATED, True)
    assert status_from_opentable("Cancelled", arrived=True) == (S.CANCELLED, True)


def test_unknown_word_is_booked_and_flagged():
    assert status_from_opentable("Waitlist") == (S.BOOKED, False)
    assert status_from_opentable("") == (S.BOOKED, False)


@pytest.mark.parametrize(
    ("status", "word"),
    [(S.BOOKED, "Pending"), (S.SEATED, "Seated"), (S.FINISHED, "Done"), (S.NO_SHOW, "NoShow"), (S.CANCELLED, "Cancelled"), (S.ARRIVED, "Pending")],
)
def test_status_words_out(status, word):
    assert opentable_word_for(status) == word


def test_every_word_we_send_reads_back_as_the_same_status():
    for status in S:
        word = opentable_word_for(status)
        if word is not None and status is not S.ARRIVED:
            assert status_from_opentable(word) == (status, True)
    # arrival has no OpenTable word: it goes as Pending, which reads back as arrived once OpenTable has an
    # arrival time, and otherwise as booked (the merge keeps the host stand's "arrived": it is further along)
    assert status_from_opentable(opentable_word_for(S.ARRIVED), arrived=True) == (S.ARRIVED, True)


# ---------------------------------------------------------------------------------- reservations


def test_full_reservation_maps_every_field():
    record = load("opentable_reservations_page.json")["items"][0]
    r = reservation_from_json(record, tz=NY)
    assert r.external_id == "51001"  # the confirmation number: what resoupdate takes
    assert r.guest_external_id == "g-100"
    assert r.party_size == 4
    assert r.start == datetime(2026, 11, 28, 0, 30, tzinfo=UTC)
    assert r.start.tzinfo is not None and r.start.utcoffset().total_seconds() == 0
    assert (r.status, r.vendor_status) == (S.BOOKED, "Pending")
    assert r.table_names == ("12",)
    assert r.guest_request == "Quiet table please"
    assert r.venue_notes == "Regular – likes the Barolo"
    assert r.platform_notes == "Booked with points"
    assert r.tags == ("Birthday", "Window")
    assert r.version == 4
    assert r.updated_at == datetime(2026, 11, 27, 20, 2, 11, 250000, tzinfo=UTC)
    assert r.server_name == "Maria"
    assert (r.arrived_at, r.seated_at, r.done_at) == (None, None, None)


def test_times_and_combined_tables():
    items = load("opentable_reservations_page.json")["items"]
    done = reservation_from_json(items[5], tz=NY)
    assert done.status is S.FINISHED
    assert done.arrived_at == datetime(2026, 11, 27, 21, 58, tzinfo=UTC)
    assert done.seated_at == datetime(2026, 11, 27, 22, 1, 30, tzinfo=UTC)
    assert done.done_at == datetime(2026, 11, 27, 23, 40, tzinfo=UTC)
    combined = reservation_from_json(items[12], tz=NY)
    assert combined.table_names == ("21", "22")
    assert combined.status is S.SEATED and combined.vendor_status == "SEATED"
    assert combined.guest is not None and combined.guest.vip_tier == "VIP"


def test_local_time_without_utc_field_is_read_in_the_restaurant_zone():
    record = load("opentable_reservations_page.json")["items"][13]
    r = reservation_from_json(record, tz=NY)
    assert r.start == datetime(2026, 11, 27, 23, 45, tzinfo=UTC)  # 18:45 in New York
    assert r.external_id == "a1f0c3b2-0014"  # no confirmation number: the record id
    assert r.status is S.NO_SHOW


@pytest.mark.parametrize("index", [8, 9, 10, 11])
def test_malformed_reservations_raise(index):
    record = load("opentable_reservations_page.json")["items"][index]
    with pytest.raises(MalformedRecord):
        reservation_from_json(record, tz=NY)


def test_unknown_state_logs_the_word_not_the_guest(caplog):
    record = load("opentable_reservations_page.json")["items"][7]
    with caplog.at_level(logging.WARNING):
        r = reservation_from_json(record, tz=NY)
    assert (r.status, r.vendor_status) == (S.BOOKED, "Waitlist")
    assert "Waitlist" in caplog.text


# ---------------------------------------------------------------------------------------- guests


def test_guest_maps_notes_tags_and_tier():
    g = guest_from_json(load("opentable_guests_page.json")["items"][0])
    assert (g.external_id, g.first_name, g.last_name) == ("g-100", "Ann", "Smith")
    assert g.phone == "(212) 555-0147"  # as written: sync normalises
    assert g.email == "ann.smith@example.com"
    assert g.food_and_drink_notes == "Severe tree nut allergy – carries an EpiPen"
    assert g.notes == "Prefers still water\nSeating: Booth, away from the door\nRelationship: Owner's college friend"
    assert g.tags == ("Regular", "VIP", "Nut allergy")
    assert g.vip_tier == "Regular"  # the first tag that names a tier
    assert g.birth_date == "1980-04-02" and g.anniversary_date is None
    assert g.version == 11
    assert g.updated_at == datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


def test_guest_phone_from_phone_numbers_and_tier_spelling():
    g = guest_from_json(load("opentable_guests_page.json")["items"][1])
    assert g.phone == "+44 20 7946 0958"
    assert g.email is None and g.notes == ""
    assert g.vip_tier == "VVIP"


def test_forgotten_guest_carries_no_personal_data():
    g = guest_from_json(load("opentable_guests_page.json")["items"][4])
    assert (g.first_name, g.last_name, g.email, g.food_and_drink_notes) == ("", "", None, "")
    assert g.version == 8


@pytest.mark.parametrize("index", [2, 3])
def test_malformed_guests_raise(index):
    with pytest.raises(MalformedRecord):
        guest_from_json(load("opentable_guests_page.json")["items"][index])


def test_vip_tier_from_tags():
    assert vip_tier_from_tags(("Nut allergy", "vip")) == "VIP"
    assert vip_tier_from_tags(("regular",)) == "Regular"
    assert vip_tier_from_tags(("VIP guest",)) is None
    assert vip_tier_from_tags(()) is None


# ------------------------------------------------------------------------------------ resoupdate


def test_resoupdate_body_shape():
    update = StatusUpdate(
        external_id="51001",
        status=S.SEATED,
        party_size=4,
        start=datetime(2026, 11, 28, 0, 30, tzinfo=UTC),
        table_names=("21", "22"),
        server_name="Maria",
        sequence=5,
        updated_at=datetime(2026, 11, 28, 0, 33, 12, tzinfo=UTC),
    )
    body = resoupdate_body(update, rid=888, tz=NY, now=datetime(2026, 11, 28, 1, tzinfo=UTC))
    assert body == {
        "ConfirmationNumber": 51001,
        "DateTime": "2026-11-27 19:30",
        "PartySize": 4,
        "ReservationState": "Seated",
        "RID": "888",
        "SequenceNumber": 5,
        "ServerName": "Maria",
        "UpdateDT_UTC": "2026-11-28T00:33:12Z",
        "TableNumbers": ["21", "22"],
    }


def test_resoupdate_leaves_out_unknown_server_and_tables():
    update = StatusUpdate(external_id="51005", status=S.NO_SHOW, party_size=6, start=datetime(2026, 11, 27, 23, 15, tzinfo=UTC))
    body = resoupdate_body(update, rid=888, tz=NY, now=datetime(2026, 11, 27, 23, 45, tzinfo=UTC))
    assert "ServerName" not in body and "TableNumbers" not in body
    assert body["ReservationState"] == "NoShow"
    assert body["UpdateDT_UTC"] == "2026-11-27T23:45:00Z"


# --------------------------------------------------------------------- adapter over a mock transport


def _adapter(handler) -> OpenTableAdapter:
    client = httpx.AsyncClient(base_url="http://opentable.test", transport=httpx.MockTransport(handler))
    return OpenTableAdapter(
        "http://opentable.test",
        Credentials("cid", "secret"),
        888,
        client=client,
        clock=ManualClock(datetime(2026, 11, 27, 23, tzinfo=UTC)),
    )


def test_pull_skips_malformed_records_keeps_the_good_ones_and_counts():
    page = load("opentable_reservations_page.json")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "bearer", "expires_in": 2419181})
        return httpx.Response(200, json=page)

    async def run():
        adapter = _adapter(handler)
        try:
            return await adapter.pull_reservations(
                updated_after=None,
                start_from=datetime(2026, 11, 27, 9, tzinfo=UTC),
                start_to=datetime(2026, 11, 28, 9, tzinfo=UTC),
            )
        finally:
            await adapter.aclose()

    result = asyncio.run(run())
    assert result.skipped == 4
    assert len(result.reservations) == len(page["items"]) - 4
    assert result.pages == 1
    assert result.watermark == datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    assert [g.external_id for g in result.guests] == ["g-108"]


def test_arrived_goes_as_pending():
    """OpenTable has no "arrived": the party is sent as Pending (not seated), so undoing a seating reverts it."""
    bodies: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("resoupdate"):
            bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"access_token": "t", "expires_in": 100000})

    async def run():
        adapter = _adapter(handler)
        update = StatusUpdate(external_id="51001", status=S.ARRIVED, party_size=4, start=datetime(2026, 11, 28, tzinfo=UTC))
        await adapter.set_status(update, request_id="req-1")
        await adapter.aclose()

    asyncio.run(run())
    assert [b["ReservationState"] for b in bodies] == ["Pending"]


def test_set_status_sends_request_id_and_token_once():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v2/oauth/token":
            assert request.headers["Authorization"].startswith("Basic ")
            assert request.url.params["grant_type"] == "client_credentials"
            return httpx.Response(200, json={"access_token": "tok-1", "token_type": "bearer", "expires_in": 2419181})
        assert request.headers["Authorization"] == "bearer tok-1"
        assert request.headers["Accept"] == "application/json"
        return httpx.Response(200, json={"status": "OK"})

    async def run():
        adapter = _adapter(handler)
        for i, status in enumerate((S.SEATED, S.FINISHED)):
            update = StatusUpdate(external_id="51001", status=status, party_size=4, start=datetime(2026, 11, 28, tzinfo=UTC))
            await adapter.set_status(update, request_id=f"req-{i}")
        await adapter.aclose()

    asyncio.run(run())
    posts = [r for r in seen if r.url.path == "/resoupdate/resoupdate"]
    assert [r.headers["X-Request-Id"] for r in posts] == ["req-0", "req-1"]
    assert [json.loads(r.content)["ReservationState"] for r in posts] == ["Seated", "Done"]
    assert [r.url.path for r in seen].count("/api/v2/oauth/token") == 1


def test_refused_token_is_replaced_once_then_auth_failed():
    from hoststand.connectors.base import AuthFailed

    tokens = iter(["tok-1", "tok-2", "tok-3"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/oauth/token":
            return httpx.Response(200, json={"access_token": next(tokens), "expires_in": 2419181})
        return httpx.Response(401, json={"error": "invalid_token", "message": "b7721d39"})

    async def run():
        adapter = _adapter(handler)
        try:
            await adapter.pull_guests(updated_after=None)
        finally:
            await adapter.aclose()
        return adapter

    with pytest.raises(AuthFailed, match="freshly issued token"):
        asyncio.run(run())
