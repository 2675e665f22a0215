"""The seeded demo restaurant: deterministic, plausible, and consistent between the two vendors."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest

from hoststand.domain.clock import ManualClock
from hoststand.sandbox import seed as seed_mod
from hoststand.sandbox.seed import SeedOptions, build_world
from hoststand.sandbox.server import SandboxServer

from .helpers import local

TURN = timedelta(minutes=100)


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _world(now: datetime, **kw: int) -> dict:
    return build_world(SeedOptions(now=now, **kw), now).snapshot()


def test_same_options_give_the_same_json() -> None:
    a = json.dumps(_world(local(19, 30)), sort_keys=True)
    b = json.dumps(_world(local(19, 30)), sort_keys=True)
    assert a == b
    assert a != json.dumps(build_world(SeedOptions(now=local(19, 30), seed=8), local(19, 30)).snapshot(),
                           sort_keys=True)


def test_two_servers_with_the_same_options_serve_the_same_world(clock: ManualClock) -> None:
    states = []
    for _ in range(2):
        with SandboxServer(seed=SeedOptions(now=clock.now(), seed=7), clock=clock.now) as srv:
            states.append(srv.state())
    assert states[0]["opentable"] == states[1]["opentable"]
    assert states[0]["toast"] == states[1]["toast"]


def test_the_book_for_friday_night() -> None:
    w = _world(local(16))
    res = w["opentable"]["reservations"]
    seats = w["toast"]["table_seats"]
    assert 58 <= len(res) <= 64
    states = Counter(r["state"] for r in res)
    assert states["Cancelled"] == 4 and states["Pending"] == len(res) - 4  # 16:00: nobody seated yet
    assert w["toast"]["orders"] == []
    live = [r for r in res if r["state"] != "Cancelled"]
    assert 4 <= sum(1 for r in live if not r["table_number"]) <= 6
    parties = Counter(r["party_size"] for r in res)
    assert set(parties) <= set(range(1, 9)) and {p for p, _ in parties.most_common(2)} == {2, 4}
    starts = sorted(_dt(r["scheduled_time_utc"]) for r in res)
    local_times = {s.astimezone(local(16).tzinfo).strftime("%H:%M") for s in starts}
    for seating in ("17:00", "18:30", "20:00", "21:30"):
        h, m = map(int, seating.split(":"))
        around = {f"{(h * 60 + m + d) // 60:02d}:{(h * 60 + m + d) % 60:02d}" for d in range(-15, 46, 15)}
        assert local_times & around, seating
    by_table: dict[str, list[datetime]] = {}
    for r in live:
        for t in r["table_number"]:
            assert r["party_size"] <= seats[t], (r["party_size"], t)
            by_table.setdefault(t, []).append(_dt(r["scheduled_time_utc"]))
    for t, times in by_table.items():
        times.sort()
        assert all(b - a >= TURN for a, b in zip(times, times[1:])), t
    assert "Bar 1" not in by_table and "Bar 2" not in by_table


def test_guests_read_like_real_guests() -> None:
    w = _world(local(16))
    res = w["opentable"]["reservations"]
    guests = {g["id"]: g for g in w["opentable"]["guests"]}
    booked = [guests[r["guest_id"]] for r in res]
    words = [guests[r["guest_id"]]["notes_food_and_drink"] or "" for r in res] + [r["guest_request"] or "" for r in res]
    for phrase in ("no nuts pls, epipen", "Severe shellfish allergy!!", "celiac - strict GF please",
                   "lactose intolerant", "vegan", "allergic to sesame AND peanuts",
                   "pregnant, no raw fish or unpasteurised cheese", "mild onion intolerance",
                   "EpiPen on me - tree nuts"):
        assert phrase in words, phrase
    dietary = {t for _, t in seed_mod.EXTRA_DIETARY} | {s.get("food") or s.get("request") for s in seed_mod.SCRIPTED}
    dietary.discard(None)
    with_diet = [r for r in res if (guests[r["guest_id"]]["notes_food_and_drink"] in dietary)
                 or (r["guest_request"] in dietary)]
    assert 0.15 <= len(with_diet) / len(res) <= 0.3
    assert 4 <= sum("VIP" in g["tags"] for g in booked) <= 8
    assert any("Regular" in g["tags"] for g in booked)
    assert 4 <= sum(1 for r in res if r["server"]) <= 7
    assert {"Birthday", "Anniversary"} <= {t for r in res for t in r["visit_tags"]}
    assert any(g["last_name"] == "Smith" for g in booked)
    ann = next(g for g in booked if (g["first_name"], g["last_name"]) == ("Ann", "Smith"))
    assert "nuts" in ann["notes_food_and_drink"] and "VIP" in ann["tags"] and ann["date_last_visit"]
    assert sum(1 for g in booked if g["date_last_visit"]) >= 10
    patterns = {re.sub(r"\d", "9", g["phone"]) for g in booked}
    assert len(patterns) >= 4 and "(999) 999-9999" in patterns
    assert len(guests) > len(res)  # some guests in the book have no booking tonight
    assert len({(g["first_name"], g["last_name"]) for g in booked}) == len(booked)


def test_states_follow_the_clock() -> None:
    now = local(19, 30)
    w = _world(now)
    orders = w["toast"]["orders"]
    tables = {t["guid"]: t["name"] for t in w["toast"]["tables"]}
    for r in w["opentable"]["reservations"]:
        start = _dt(r["scheduled_time_utc"])
        if r["state"] == "Cancelled":
            continue
        if not r["table_number"]:
            assert r["state"] == ("NoShow" if start + timedelta(minutes=30) < now else "Pending")
        elif start <= now - TURN:
            assert r["state"] == "Done" and _dt(r["done_time_utc"]) < now
        elif start <= now:
            assert r["state"] == "Seated" and _dt(r["seated_time_utc"]) < now
        else:
            assert r["state"] == "Pending" and r["seated_time"] is None
        assert _dt(r["updated_at_utc"]) <= now
    open_tables = Counter(tables[o["table"]["guid"]] for o in orders
                          if o["checks"][0]["paymentStatus"] == "OPEN" and o["table"])
    assert all(n == 1 for n in open_tables.values())  # one open ticket per table
    for o in orders:
        assert _dt(o["openedDate"].replace("+0000", "+00:00")) <= now
        assert o["businessDate"] == 20261127


def test_service_day_rolls_over_at_four() -> None:
    late = _world(local(2, 0, day=28))
    assert late["service_date"] == "2026-11-27"
    assert {r["state"] for r in late["opentable"]["reservations"]} <= {"Done", "NoShow", "Cancelled"}
    assert _world(local(4, 30, day=28))["service_date"] == "2026-11-28"


def test_toast_and_opentable_agree_on_tables() -> None:
    w = _world(local(16))
    ot_tables = {t["name"] for t in w["opentable"]["tables"]}
    toast_tables = {t["name"] for t in w["toast"]["tables"]}
    assert toast_tables - ot_tables == {"Bar 1", "Bar 2"}
    assert sum(w["toast"]["table_seats"][t] for t in ot_tables) == 60


@pytest.mark.parametrize("extra", [(1000, 150)])
def test_a_large_world_for_benchmarks(extra: tuple[int, int]) -> None:
    began = time.perf_counter()
    world = build_world(SeedOptions(now=local(19), extra_reservations=extra[0], extra_tables=extra[1]), local(19))
    print(f"seeded {len(world.reservations)} reservations in {time.perf_counter() - began:.2f} s")
    assert len(world.reservations) >= 58 + extra[0]
    assert len(world.tables) == 18 + extra[1]
    by_table: dict[str, list[datetime]] = {}
    for r in world.reservations.values():
        if r["state"] != "Cancelled":
            for t in r["table_number"]:
                by_table.setdefault(t, []).append(world.res_start[r["id"]])
    for times in by_table.values():
        times.sort()
        assert all(b - a >= TURN for a, b in zip(times, times[1:]))
    assert sum(1 for r in world.reservations.values() if r["table_number"]) > 900
