"""Builders for Toast JSON: references, orders, checks, selections, payments, the menu.

Shapes follow Toast's published Orders API 2.x (`toast-orders-openapi.yaml`, definitions Order, Check,
Selection, Payment, ExternalReference) and its own response example: every field the example shows is
present, `null` where Toast writes `null`; dates in Toast's style (`2026-11-27T19:42:07.123+0000`).
Selection `entityType` is `MenuItemSelection`, payment `OrderPayment`, server `RestaurantUser`, as in
Toast's example response. Prices are floats in dollars, rounded to cents; tax is one flat rate
(NYC's 8.875 %, assumed: the real figure comes from the restaurant's tax setup).

The Menus v2 document is approximated from Toast's published Menus API v2 (`restaurantGuid`, `menus[]`
→ `menuGroups[]` → `menuItems[]` with `guid`, `name`, `price`, `pricingStrategy`, ...); fields beyond
those are labelled assumed in `menu_document`.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Iterable

from .common import TOAST_EPOCH, business_date_int, parse_iso, stable_guid, toast_ts

TAX_RATE = 0.08875


def money(x: float) -> float:
    return round(x + 0.0, 2)


def ref(guid: str, entity_type: str, external_id: str | None = None) -> dict[str, Any]:
    """An ExternalReference as Toast returns it."""
    return {"guid": guid, "entityType": entity_type, "externalId": external_id}


# --------------------------------------------------------------------------------------------- menu

MENU: list[tuple[str, list[tuple[str, float, str]]]] = [
    ("Starters", [
        ("Soup du Jour", 9.00, "Ask your server"),
        ("Burrata & Heirloom Tomato", 16.00, "Basil oil, sourdough"),
        ("Steak Tartare", 18.00, "Cornichons, quail egg"),
        ("Crispy Calamari", 15.00, "Lemon aioli"),
        ("Oysters (half dozen)", 21.00, "Mignonette"),
    ]),
    ("Mains", [
        ("Roast Chicken", 28.00, "Jus, pommes purée"),
        ("Steak Frites", 38.00, "Hanger steak, bearnaise"),
        ("Seared Salmon", 32.00, "Lentils, beurre blanc"),
        ("Mushroom Risotto", 26.00, "Parmesan, truffle"),
        ("Duck Confit", 34.00, "Cherry gastrique"),
        ("Bistro Burger", 22.00, "Gruyère, frites"),
    ]),
    ("Desserts", [
        ("Crème Brûlée", 11.00, ""),
        ("Chocolate Mousse", 12.00, ""),
        ("Tarte Tatin", 12.00, "Crème fraîche"),
        ("Cheese Plate", 16.00, "Three cheeses, honey"),
    ]),
    ("Drinks", [
        ("House Red (glass)", 13.00, ""),
        ("House White (glass)", 13.00, ""),
        ("Old Fashioned", 16.00, ""),
        ("Sparkling Water", 6.00, ""),
        ("Lemonade", 5.00, ""),
        ("Espresso", 4.00, ""),
    ]),
    # Restaurants set up a $0 item so a SPECIAL_REQUEST modifier on it prints allergies in the kitchen.
    ("Alerts", [
        ("Allergy Alert", 0.00, "Attach the guest's allergies as a special request"),
    ]),
    # An open-price item the sandbox uses to make a closed check reach a given total.
    ("Open Items", [
        ("Open Food", 0.00, "Open price"),
    ]),
]


@functools.lru_cache(maxsize=None)
def menu_item_guid(name: str) -> str:
    return stable_guid("toast", "menu-item", name)


@functools.lru_cache(maxsize=None)
def menu_group_guid(name: str) -> str:
    return stable_guid("toast", "menu-group", name)


def menu_document(restaurant_guid: str, tz_name: str, modified: datetime) -> dict[str, Any]:
    """The `GET /menus/v2/menus` body. Assumed beyond guid/name/price/menuGroups/menuItems."""
    groups = []
    for group_name, items in MENU:
        groups.append({
            "name": group_name,
            "guid": menu_group_guid(group_name),
            "multiLocationId": stable_guid("toast", "mlid", "group", group_name),
            "description": "",
            "posName": group_name,
            "visibility": ["POS"],
            "itemTags": [],
            "menuGroups": [],
            "menuItems": [
                {
                    "name": name,
                    "guid": menu_item_guid(name),
                    "multiLocationId": stable_guid("toast", "mlid", "item", name),
                    "description": desc,
                    "posName": name,
                    "price": price,
                    "pricingStrategy": "OPEN_PRICE" if group_name == "Open Items" else "BASE_PRICE",
                    "taxInclusion": "TAX_NOT_INCLUDED",
                    "visibility": ["POS"],
                    "isDeferred": False,
                    "isDiscountable": True,
                    "modifierGroupReferences": [],
                    "itemTags": [],
                    "plu": "",
                    "sku": "",
                }
                for name, price, desc in items
            ],
        })
    return {
        "restaurantGuid": restaurant_guid,
        "lastUpdated": toast_ts(modified),
        "restaurantTimeZone": tz_name,
        "menus": [{
            "name": "Dinner",
            "guid": stable_guid("toast", "menu", "Dinner"),
            "multiLocationId": stable_guid("toast", "mlid", "menu", "Dinner"),
            "description": "",
            "posName": "Dinner",
            "availability": {"alwaysAvailable": True, "schedule": None},
            "visibility": ["POS"],
            "menuGroups": groups,
        }],
        "modifierGroupReferences": {},
        "modifierOptionReferences": {},
        "preModifierGroupReferences": {},
    }


def menu_index() -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(item guid -> {name, price, group_guid, group}, group guid -> name)."""
    items: dict[str, dict[str, Any]] = {}
    groups: dict[str, str] = {}
    for group_name, entries in MENU:
        g = menu_group_guid(group_name)
        groups[g] = group_name
        for name, price, _ in entries:
            items[menu_item_guid(name)] = {"name": name, "price": price, "group_guid": g, "group": group_name}
    return items, groups


# --------------------------------------------------------------------------------------------- orders


def selection(
    *, guid: str, item_guid: str | None, item: dict[str, Any] | None, quantity: float, now: datetime,
    dining_option: dict[str, Any], external_id: str | None = None, modifiers: Iterable[dict[str, Any]] = (),
    selection_type: str = "NONE", display_name: str | None = None, unit_price: float | None = None,
    fulfillment_status: str = "NEW",
) -> dict[str, Any]:
    """One Selection (a check line or a modifier) with its computed price and tax."""
    mods = list(modifiers)
    stamp = toast_ts(now)
    unit = unit_price if unit_price is not None else (item["price"] if item else 0.0)
    own = money(unit * quantity)
    total = money(own + sum(m["price"] for m in mods))
    return {
        "guid": guid,
        "entityType": "MenuItemSelection",
        "externalId": external_id,
        "item": ref(item_guid, "MenuItem") if item_guid else None,
        "itemGroup": ref(item["group_guid"], "MenuGroup") if item else None,
        "optionGroup": None,
        "preModifier": None,
        "quantity": quantity,
        "displayName": display_name if display_name is not None else (item["name"] if item else ""),
        "selectionType": selection_type,
        "unitOfMeasure": "NONE",
        "preDiscountPrice": total,
        "price": total,
        "receiptLinePrice": money(unit),
        "tax": money(total * TAX_RATE),
        "taxInclusion": "NOT_INCLUDED",
        "appliedTaxes": [],
        "appliedDiscounts": [],
        "voided": False,
        "voidDate": None,
        "voidBusinessDate": None,
        "voidReason": None,
        "modifiers": mods,
        "seatNumber": -1,
        "fulfillmentStatus": fulfillment_status,
        "salesCategory": None,
        "diningOption": dining_option,
        "deferred": False,
        "refundDetails": None,
        "optionGroupPricingMode": None,
        "createdDate": stamp,
        "modifiedDate": stamp,
    }


def customer(guid: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "guid": guid,
        "entityType": "Customer",
        "firstName": body.get("firstName"),
        "lastName": body.get("lastName"),
        "phone": body.get("phone"),
        "phoneCountryCode": body.get("phoneCountryCode"),
        "email": body.get("email"),
    }


def check(
    *, guid: str, now: datetime, display_number: str, external_id: str | None = None, tab_name: str | None = None,
    customer_obj: dict[str, Any] | None = None, selections: list[dict[str, Any]] | None = None,
    opened_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    stamp = toast_ts(now)
    c = {
        "guid": guid,
        "entityType": "Check",
        "externalId": external_id,
        "displayNumber": display_number,
        "tabName": tab_name,
        "customer": customer_obj,
        "selections": selections or [],
        "payments": [],
        "appliedDiscounts": [],
        "appliedServiceCharges": [],
        "appliedLoyaltyInfo": None,
        "paymentStatus": "OPEN",
        "amount": 0.0,
        "taxAmount": 0.0,
        "totalAmount": 0.0,
        "taxExempt": False,
        "voided": False,
        "voidDate": None,
        "voidBusinessDate": None,
        "openedDate": stamp,
        "createdDate": stamp,
        "modifiedDate": stamp,
        "closedDate": None,
        "paidDate": None,
        "deleted": False,
        "deletedDate": TOAST_EPOCH,
        "openedBy": opened_by,
        "createdDevice": None,
        "lastModifiedDevice": None,
        "duration": None,
    }
    recompute(c)
    return c


def recompute(check_obj: dict[str, Any]) -> None:
    """Check amount = sum of non-voided selections (modifiers included); tax on top."""
    amount = sum(s["price"] for s in check_obj["selections"] if not s.get("voided"))
    tax = sum(s["tax"] for s in check_obj["selections"] if not s.get("voided"))
    check_obj["amount"] = money(amount)
    check_obj["taxAmount"] = money(tax)
    check_obj["totalAmount"] = money(amount + tax)


def order(
    *, guid: str, now: datetime, tz: Any, display_number: str, dining_option: dict[str, Any],
    checks: list[dict[str, Any]], table: dict[str, Any] | None, service_area: dict[str, Any] | None,
    revenue_center: dict[str, Any] | None, server: dict[str, Any] | None, restaurant_service: dict[str, Any] | None,
    number_of_guests: int | None, external_id: str | None = None, source: str = "API",
    created_device: dict[str, Any] | None = None,
) -> dict[str, Any]:
    stamp = toast_ts(now)
    return {
        "guid": guid,
        "entityType": "Order",
        "externalId": external_id,
        "displayNumber": display_number,
        "source": source,
        "approvalStatus": "APPROVED",
        "businessDate": business_date_int(now, tz),
        "openedDate": stamp,
        "createdDate": stamp,
        "modifiedDate": stamp,
        "promisedDate": None,
        "estimatedFulfillmentDate": None,
        "closedDate": None,
        "paidDate": None,
        "voided": False,
        "voidDate": None,
        "voidBusinessDate": None,
        "deleted": False,
        "deletedDate": TOAST_EPOCH,
        "diningOption": dining_option,
        "table": table,
        "serviceArea": service_area,
        "revenueCenter": revenue_center,
        "restaurantService": restaurant_service,
        "server": server,
        "numberOfGuests": number_of_guests,
        "duration": None,
        "requiredPrepTime": None,
        "deliveryInfo": None,
        "curbsidePickupInfo": None,
        "pricingFeatures": ["TAXESV2"],
        "createdDevice": created_device,
        "lastModifiedDevice": created_device,
        "createdInTestMode": False,
        "excessFood": False,
        "channelGuid": None,
        "checks": checks,
    }


def touch(order_obj: dict[str, Any], now: datetime) -> None:
    order_obj["modifiedDate"] = toast_ts(now)


def payment(
    *, guid: str, order_guid: str, check_guid: str, amount: float, tip: float, now: datetime, tz: Any,
    server: dict[str, Any] | None, card_type: str = "VISA", last4: str = "4242",
) -> dict[str, Any]:
    return {
        "guid": guid,
        "entityType": "OrderPayment",
        "externalId": None,
        "type": "CREDIT",
        "amount": money(amount),
        "tipAmount": money(tip),
        "amountTendered": None,
        "cardType": card_type,
        "last4Digits": last4,
        "cardEntryMode": "EMV_CHIP_SIGN",
        "paymentStatus": "CAPTURED",
        "refundStatus": "NONE",
        "refund": None,
        "paidDate": toast_ts(now),
        "paidBusinessDate": business_date_int(now, tz),
        "orderGuid": order_guid,
        "checkGuid": check_guid,
        "server": server,
        "otherPayment": None,
        "voidInfo": None,
        "houseAccount": None,
        "cashDrawer": None,
        "createdDevice": None,
        "lastModifiedDevice": None,
    }


def close_order(order_obj: dict[str, Any], now: datetime, tz: Any, tip_rate: float = 0.2,
                tip: float | None = None) -> None:
    """Pay every open check in full by card and close it; the order is then closed and paid."""
    stamp = toast_ts(now)
    for c in order_obj["checks"]:
        if c.get("voided") or c["paymentStatus"] == "CLOSED":
            continue
        due = money(c["totalAmount"] - sum(p["amount"] for p in c["payments"]))
        if due > 0:
            this_tip = tip if tip is not None else money(c["amount"] * tip_rate)
            tip = 0.0 if tip is not None else None  # an explicit tip goes on the first check only
            c["payments"].append(payment(
                guid=stable_guid("toast", "payment", c["guid"], len(c["payments"])),
                order_guid=order_obj["guid"], check_guid=c["guid"], amount=due, tip=this_tip, now=now, tz=tz,
                server=order_obj.get("server"),
            ))
        c["paymentStatus"] = "CLOSED"
        c["paidDate"] = stamp
        c["closedDate"] = stamp
        c["modifiedDate"] = stamp
    order_obj["paidDate"] = stamp
    order_obj["closedDate"] = stamp
    order_obj["modifiedDate"] = stamp
    opened = order_obj.get("openedDate")
    if opened:
        order_obj["duration"] = int((now - parse_iso(opened)).total_seconds())
