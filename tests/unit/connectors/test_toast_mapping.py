"""Toast mapping: menu index, course stage, money in cents, dates, the order body we send."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from hoststand.connectors.base import OpenTicketRequest
from hoststand.connectors.fields import MalformedRecord, parse_timestamp, to_minor_units
from hoststand.connectors.pos.toast import (
    AllergyItem,
    MenuIndex,
    course_of_group,
    derive_stage,
    menu_index_from_json,
    order_from_json,
    order_request_body,
    toast_timestamp,
)
from hoststand.domain.model import CourseStage as C

FIXTURES = Path(__file__).parent / "fixtures"
UTC = timezone.utc


def load(name: str):
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


@pytest.fixture(scope="module")
def menu() -> MenuIndex:
    return menu_index_from_json(load("toast_menu.json"))


@pytest.fixture
def order():
    return load("toast_order.json")


def sel(item: str, group: str, *, voided: bool = False, name: str = "") -> dict:
    return {
        "guid": f"sel-{item}",
        "item": {"guid": item, "entityType": "MenuItem"},
        "itemGroup": {"guid": group, "entityType": "MenuGroup"},
        "displayName": name or item,
        "selectionType": "NONE",
        "quantity": 1,
        "voided": voided,
        "modifiers": [],
    }


def with_lines(order: dict, *lines: dict, status: str = "OPEN") -> dict:
    o = copy.deepcopy(order)
    o["checks"][0]["selections"] = [o["checks"][0]["selections"][0], *lines]  # keep the allergy alert line
    o["checks"][0]["paymentStatus"] = status
    return o


# ------------------------------------------------------------------------------------------ menu


@pytest.mark.parametrize(
    ("name", "course"),
    [
        ("Desserts", "dessert"),
        ("Dessert Menu", "dessert"),
        ("Sweets", "dessert"),
        ("Mains", "mains"),
        ("Main Courses", "mains"),
        ("Entrées", "mains"),
        ("ENTREES", "mains"),
        ("Starters", None),
        ("Drinks", None),
        ("Domaine wines", None),
    ],
)
def test_course_of_group(name, course):
    assert course_of_group(name) == course


def test_menu_index(menu):
    assert menu.allergy_item == AllergyItem(guid="item-allergy", group_guid="grp-alerts", name="Allergy Alert")
    assert menu.course_by_group["grp-desserts"] == "dessert"
    assert menu.course_by_group["grp-pasta"] == "mains"  # nested under Mains
    assert menu.course_by_group["grp-drinks"] == "other"
    assert menu.course_by_item["item-steak"] == "mains"  # also on a "Specials" group: the telling course wins
    assert menu.name_by_item["item-creme"] == "Crème Brûlée"


def test_menu_without_the_allergy_item():
    doc = load("toast_menu.json")
    assert menu_index_from_json(doc, allergy_item_name="Kitchen Alert").allergy_item is None
    assert menu_index_from_json(doc, allergy_item_name="  allergy alert ").allergy_item is not None
    assert menu_index_from_json({"menus": "nonsense"}).allergy_item is None
    assert menu_index_from_json(None) == MenuIndex()


# ----------------------------------------------------------------------------------------- stage


def test_only_the_allergy_alert_is_opened(order, menu):
    assert derive_stage(with_lines(order), menu) is C.OPENED


def test_no_selections_is_opened(order, menu):
    o = copy.deepcopy(order)
    o["checks"][0]["selections"] = []
    assert derive_stage(o, menu) is C.OPENED


def test_drinks_are_ordered(order, menu):
    assert derive_stage(order, menu) is C.ORDERED  # the fixture has a lemonade


def test_mains_from_entrees_and_nested_groups(order, menu):
    assert derive_stage(with_lines(order, sel("item-steak", "grp-entrees")), menu) is C.MAINS
    assert derive_stage(with_lines(order, sel("item-risotto", "grp-pasta")), menu) is C.MAINS
    unknown_group = sel("item-chicken", "grp-unknown")
    assert derive_stage(with_lines(order, unknown_group), menu) is C.MAINS  # the item's own course
    assert derive_stage(with_lines(order, {**unknown_group, "itemGroup": None}), menu) is C.MAINS
    assert derive_stage(with_lines(order, sel("item-new", "grp-new")), menu) is C.ORDERED  # unknown to the menu


def test_dessert_wins_over_mains(order, menu):
    o = with_lines(order, sel("item-steak", "grp-entrees"), sel("item-creme", "grp-desserts"))
    assert derive_stage(o, menu) is C.DESSERT


def test_voided_lines_do_not_count(order, menu):
    o = with_lines(order, sel("item-steak", "grp-entrees"), sel("item-creme", "grp-desserts", voided=True))
    assert derive_stage(o, menu) is C.MAINS


def test_payment_states(order, menu):
    assert derive_stage(with_lines(order, sel("item-steak", "grp-entrees"), status="PAID"), menu) is C.PAID
    assert derive_stage(with_lines(order, status="CLOSED"), menu) is C.CLOSED
    split = copy.deepcopy(order)
    split["checks"].append({**copy.deepcopy(order["checks"][0]), "guid": "c2", "paymentStatus": "CLOSED"})
    split["checks"][0]["paymentStatus"] = "PAID"
    assert derive_stage(split, menu) is C.PAID  # one paid, one closed: all settled
    split["checks"][0]["paymentStatus"] = "OPEN"
    assert derive_stage(split, menu) is C.ORDERED  # one still open: by its items


def test_voided_and_deleted_orders(order, menu):
    assert derive_stage({**order, "voided": True}, menu) is C.VOIDED
    assert derive_stage({**order, "deleted": True}, menu) is C.VOIDED
    o = copy.deepcopy(order)
    o["checks"][0]["voided"] = True
    assert derive_stage(o, menu) is C.VOIDED  # every check voided


def test_stage_without_a_menu_is_ordered_once_food_is_rung(order):
    empty = MenuIndex()
    assert derive_stage(order, empty) is C.ORDERED
    # our own allergy line is recognised by its externalId even without the menu
    assert derive_stage(with_lines(order), empty) is C.OPENED


# ----------------------------------------------------------------------------------------- order


def test_order_maps_fields_and_money(order, menu):
    o = order_from_json(order, menu)
    assert o.guid == "89488287-f259-435b-a654-0bc391596af0"
    assert o.external_id == "0b7c2f4e-action-1"  # our prefix removed
    assert o.table_guid == "table-12"
    assert o.server_guid == "c89d1e72-1888-469f-a24b-506c66eafab7"
    assert o.number_of_guests == 4
    assert o.opened_at == datetime(2026, 11, 28, 0, 42, 7, 123000, tzinfo=UTC)
    assert o.modified_at == datetime(2026, 11, 28, 0, 50, tzinfo=UTC)
    assert o.closed_at is None and o.paid_at is None
    assert o.business_date == 20261127
    assert o.tab_name == "NUT ALLERGY (tree nut) | Birthday | Smith ×4"
    assert o.subtotal == 1012  # 10.125 → 1012 (half-even)
    assert o.total == 1102  # 11.025 → 1102 (half-even)
    assert o.comps == 300  # check 2.005 + item 1.00 = 3.005 → 300 (half-even)
    assert o.item_names == ("Lemonade",)  # the allergy alert is ours, not food
    assert o.stage is C.ORDERED and not o.voided


def test_order_from_float_json_rounds_the_same(order, menu):
    floats = json.loads(json.dumps(order, default=float))
    assert order_from_json(floats, menu).subtotal == 1012


def test_foreign_external_id_is_kept(order, menu):
    assert order_from_json({**order, "externalId": "OTHERAPP:9"}, menu).external_id == "OTHERAPP:9"
    assert order_from_json({**order, "externalId": None}, menu).external_id is None


@pytest.mark.parametrize(
    "broken",
    [
        {"guid": None},
        {"guid": 17},
        {"checks": "none"},
        {"checks": ["x"]},
        {"openedDate": "yesterday"},
        {"numberOfGuests": "four"},
        {"table": "table-12"},
        {"voided": "no"},
    ],
)
def test_malformed_orders_raise(order, menu, broken):
    with pytest.raises(MalformedRecord):
        order_from_json({**order, **broken}, menu)


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (Decimal("0.125"), 12),
        (Decimal("0.135"), 14),
        (Decimal("8.5"), 850),
        (Decimal("-2.005"), -200),
        (Decimal("19.99"), 1999),
        (Decimal("1234567.891"), 123456789),
    ],
)
def test_minor_units_half_even(amount, cents):
    assert to_minor_units(amount) == cents


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T19:42:07.123+0000", datetime(2026, 11, 27, 19, 42, 7, 123000, tzinfo=UTC)),
        ("2025-02-07T08:00:00.000-0800", datetime(2025, 2, 7, 16, 0, tzinfo=UTC)),
        ("2026-11-27T19:42:07Z", datetime(2026, 11, 27, 19, 42, 7, tzinfo=UTC)),
        ("2026-11-27T19:42:07.1234567Z", datetime(2026, 11, 27, 19, 42, 7, 123456, tzinfo=UTC)),
        ("1970-01-01T00:00:00.000+0000", None),  # Toast's "not set"
        (None, None),
        ("", None),
    ],
)
def test_timestamps(text, expected):
    assert parse_timestamp(text) == expected


def test_toast_timestamp_format():
    assert toast_timestamp(datetime(2026, 11, 27, 19, 42, 7, 123456, tzinfo=UTC)) == "2026-11-27T19:42:07.123+0000"
    with pytest.raises(ValueError):
        toast_timestamp(datetime(2026, 11, 27, 19, 42))


# ------------------------------------------------------------------------------------ order body


ALLERGY = AllergyItem(guid="item-allergy", group_guid="grp-alerts", name="Allergy Alert")


def request(**changes) -> OpenTicketRequest:
    base = dict(
        external_id="0b7c2f4e-action-1",
        table_guid="table-12",
        guests=4,
        business_date=date(2026, 11, 27),
        tab_name="NUT ALLERGY | Smith ×4",
        allergy_text="",
    )
    base.update(changes)
    return OpenTicketRequest(**base)


def test_minimal_body():
    body = order_request_body(request(), dining_option_guid="dine-in", allergy_item=ALLERGY)
    assert body == {
        "externalId": "hoststand:0b7c2f4e-action-1",
        "diningOption": {"guid": "dine-in"},
        "table": {"guid": "table-12"},
        "numberOfGuests": 4,
        "checks": [{"selections": [], "tabName": "NUT ALLERGY | Smith ×4"}],
    }


def test_body_with_server_customer_and_allergy():
    text = "Severe tree nut allergy, carries an EpiPen. " * 12  # over 255: several special requests
    body = order_request_body(
        request(
            server_guid="emp-1", first_name="Ann", last_name="Smith", phone="+12125550147",
            email="ann@example.com", allergy_text=text,
        ),
        dining_option_guid="dine-in",
        allergy_item=ALLERGY,
    )
    assert body["server"] == {"guid": "emp-1"}
    check = body["checks"][0]
    assert check["customer"] == {"firstName": "Ann", "lastName": "Smith", "phone": "+12125550147", "email": "ann@example.com"}
    (line,) = check["selections"]
    assert line["externalId"] == "hoststand:0b7c2f4e-action-1:allergy"
    assert line["item"] == {"guid": "item-allergy"} and line["itemGroup"] == {"guid": "grp-alerts"}
    assert line["quantity"] == 1
    pieces = [m["displayName"] for m in line["modifiers"]]
    assert len(pieces) > 1 and all(len(p) <= 255 for p in pieces)
    assert all(m["selectionType"] == "SPECIAL_REQUEST" for m in line["modifiers"])
    assert " ".join(pieces) == " ".join(text.split())  # nothing lost, cut on word boundaries


def test_incomplete_or_unacceptable_customer_is_left_out():
    for changes in (
        dict(first_name="Ann", last_name="Smith", phone="+12125550147"),  # no email
        dict(first_name="Ann", last_name="", phone="+1", email="a@example.com"),
        dict(first_name="Ann", last_name="Smith", phone="+1", email="a" * 50 + "@example.com"),  # over 53
        dict(first_name="Ann", last_name="Smith", phone="+1", email="zoë@example.com"),  # not ASCII
    ):
        body = order_request_body(request(**changes), dining_option_guid="d", allergy_item=None)
        assert "customer" not in body["checks"][0]


def test_no_allergy_line_without_the_item_or_the_text():
    assert order_request_body(request(allergy_text="nuts"), dining_option_guid="d", allergy_item=None)["checks"][0]["selections"] == []
    assert order_request_body(request(allergy_text="  "), dining_option_guid="d", allergy_item=ALLERGY)["checks"][0]["selections"] == []


def test_tab_name_over_the_limit_is_refused():
    with pytest.raises(ValueError, match="255"):
        order_request_body(request(tab_name="x" * 256), dining_option_guid="d", allergy_item=None)
    with pytest.raises(ValueError):
        order_request_body(request(tab_name="🥜" * 128), dining_option_guid="d", allergy_item=None)  # 256 UTF-16 units
    order_request_body(request(tab_name="x" * 255), dining_option_guid="d", allergy_item=None)
