"""Toast adapter: configuration, employees, menus and orders (shared/reference/vendor-contracts.md §1).

- Auth: `POST /authentication/v1/authentication/login` (JSON, `TOAST_MACHINE_CLIENT`). The token is reused
  until shortly before `expiresIn`, and a new one is never asked for more than twice in an hour (Toast's
  rule): if a third would be needed, `AuthFailed` says so in plain words instead of hammering the login.
- Every other call carries `Authorization: Bearer …` and `Toast-Restaurant-External-ID`, and goes through
  the rate pacer (Toast's fixed slices, learnt from `X-Toast-RateLimit-*`); the menus endpoint has its own
  pacer (1 request per second per location) and its answer is cached for the day.
- Config pulls follow `Toast-Next-Page-Token` → `pageToken`; `/ordersBulk` pages with `pageSize` (100) and
  `page` (1-based) until a short page.
- `open_ticket` posts a dine-in order carrying the table, the server, the number of guests and one check
  whose `tabName` the note builder already fitted within 255 characters. The idempotency handle is the
  order's `externalId`, "prefixed by the naming authority": `hoststand:<action id>`; Toast refuses a
  duplicate, which is `AlreadyApplied`. Allergies also go to the kitchen: when the menu has the restaurant's
  $0 "Allergy Alert" item, the order carries one selection of it whose SPECIAL_REQUEST modifiers hold the
  full allergy text, cut on word boundaries into pieces of at most 255 characters.
- A customer goes on the check only with all four of first name, last name, phone and email (Toast's
  `Customer` requires them) and an email Toast accepts (ASCII, at most 53 characters): guest details
  never stop a ticket from opening.
- Tickets opened by hand while ours waited (issue 3): `open_orders_at` answers from a snapshot of the business
  date's live orders, kept by the full reads `pull_orders` already makes and refreshed, when more than
  `live_orders_max_age` seconds old (by the wall clock or the injected one), by a delta read of the orders modified since (`startDate`/`endDate`,
  with a two-minute overlap for clock skew), so a queue replaying hundreds of tickets after an outage costs
  a handful of requests, not a full read each. `add_allergy_note` posts the "Allergy Alert" selection to an
  existing check (`POST /orders/v2/orders/{order}/checks/{check}/selections`) with the selection's
  `externalId` as the idempotency handle (a duplicate is refused: the note is already there).
- `RemoteOrder.external_id` is the handle we sent, without our prefix (an order from elsewhere keeps its
  own externalId as is). Amounts are Toast's decimal dollars in cents, rounded half-even; the course stage
  comes from `derive_stage`, one small rule with its own tests.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import unicodedata
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from hoststand.connectors.base import (
    AlreadyApplied,
    AuthFailed,
    ConnectorError,
    Credentials,
    HealthProbe,
    NotFound,
    OpenTicketRequest,
    PosLimits,
    Rejected,
    RemoteEmployee,
    RemoteOrder,
    RemoteServiceArea,
    RemoteTable,
    Unavailable,
    UncertainOutcome,
)
from hoststand.connectors.pos.toast_shapes import ORDERS_PAGE
from hoststand.connectors.fields import (
    MalformedRecord,
    opt_bool,
    opt_int,
    opt_str,
    opt_timestamp,
    ref_guid,
    req_str,
    require_mapping,
    text,
    to_decimal,
    to_minor_units,
)
from hoststand.connectors.http import TOAST_RULES, VendorHttp, error_detail, make_client
from hoststand.connectors.pacing import RatePacer
from hoststand.domain.clock import Clock, SystemClock
from hoststand.domain.model import CourseStage
from hoststand.domain.notes import split_for_limit, text_length

log = logging.getLogger(__name__)

VENDOR = "toast"
EXTERNAL_ID_PREFIX = "hoststand:"
TAB_NAME_MAX = 255
SPECIAL_REQUEST_MAX = 255
CUSTOMER_EMAIL_MAX = 53  # Toast's orders API "supports email addresses that are up to 53 characters long"
BULK_PAGE_SIZE = 100
BULK_READ_AHEAD = 3  # ordersBulk pages asked for together once the first page is full
MAX_PAGES = 1000
LIVE_ORDERS_MAX_AGE = 1.0  # seconds a snapshot of the live orders answers `open_orders_at` without a read
LIVE_ORDERS_FULL_EVERY = 300.0  # seconds between full reads of the business date (deltas in between)
DELTA_OVERLAP = timedelta(minutes=2)  # delta reads start this much before the last read (clock skew)

LOGIN_PATH = "/authentication/v1/authentication/login"
ORDERS_PATH = "/orders/v2/orders"
BULK_PATH = "/orders/v2/ordersBulk"
MENUS_PATH = "/menus/v2/menus"
DINING_OPTIONS_PATH = "/config/v2/diningOptions"
TABLES_PATH = "/config/v2/tables"
SERVICE_AREAS_PATH = "/config/v2/serviceAreas"
EMPLOYEES_PATH = "/labor/v1/employees"

UTC = timezone.utc

# ------------------------------------------------------------------------------------------- the menu

COURSE_DESSERT = "dessert"
COURSE_MAINS = "mains"
COURSE_OTHER = "other"

_DESSERT_WORDS = re.compile(r"\b(desserts?|sweets?|puddings?|patisserie)\b")
_MAINS_WORDS = re.compile(r"\b(mains?|main courses?|entrees?)\b")


def _fold(name: str) -> str:
    """Lower case without accents: "Entrées" → "entrees"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def course_of_group(name: str) -> str | None:
    """The course a menu group's name announces ("Desserts" → dessert, "Mains"/"Entrées" → mains), else None."""
    folded = _fold(name)
    if _DESSERT_WORDS.search(folded):
        return COURSE_DESSERT
    if _MAINS_WORDS.search(folded):
        return COURSE_MAINS
    return None


@dataclass(frozen=True)
class AllergyItem:
    """The restaurant's $0 menu item that carries allergies to the kitchen as special requests."""

    guid: str
    group_guid: str
    name: str


@dataclass(frozen=True)
class MenuIndex:
    """What the adapter needs from the menu: each item's and group's course, item names, the allergy item."""

    course_by_group: Mapping[str, str] = field(default_factory=dict)
    course_by_item: Mapping[str, str] = field(default_factory=dict)
    name_by_item: Mapping[str, str] = field(default_factory=dict)
    allergy_item: AllergyItem | None = None

    def course_of(self, selection: Mapping[str, Any]) -> str:
        group = _guid_of(selection.get("itemGroup"))
        if group and group in self.course_by_group:
            return self.course_by_group[group]
        item = _guid_of(selection.get("item"))
        if item and item in self.course_by_item:
            return self.course_by_item[item]
        return COURSE_OTHER


def _guid_of(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("guid"), str) and value["guid"]:
        return value["guid"]
    return None


def menu_index_from_json(document: Any, *, allergy_item_name: str = "Allergy Alert") -> MenuIndex:
    """Read a Menus v2 document (`menus[] → menuGroups[] (nested) → menuItems[]`). Tolerant of odd entries."""
    course_by_group: dict[str, str] = {}
    course_by_item: dict[str, str] = {}
    name_by_item: dict[str, str] = {}
    allergy: AllergyItem | None = None
    wanted = allergy_item_name.strip().casefold()

    def walk(group: Any, inherited: str | None) -> None:
        nonlocal allergy
        if not isinstance(group, Mapping):
            return
        name = group.get("name") if isinstance(group.get("name"), str) else ""
        course = course_of_group(name) or inherited
        group_guid = group.get("guid") if isinstance(group.get("guid"), str) else None
        if group_guid:
            course_by_group[group_guid] = course or COURSE_OTHER
        for item in group.get("menuItems") or []:
            if not isinstance(item, Mapping) or not isinstance(item.get("guid"), str):
                continue
            item_guid = item["guid"]
            item_name = item.get("name") if isinstance(item.get("name"), str) else ""
            name_by_item.setdefault(item_guid, item_name)
            # an item on several menus counts as its most telling course
            previous = course_by_item.get(item_guid)
            if previous in (None, COURSE_OTHER):
                course_by_item[item_guid] = course or COURSE_OTHER
            if allergy is None and group_guid and item_name.strip().casefold() == wanted:
                allergy = AllergyItem(guid=item_guid, group_guid=group_guid, name=item_name)
        for child in group.get("menuGroups") or []:
            walk(child, course)

    menus = document.get("menus") if isinstance(document, Mapping) else None
    for menu in menus or []:
        if isinstance(menu, Mapping):
            for group in menu.get("menuGroups") or []:
                walk(group, course_of_group(menu.get("name") or "") if isinstance(menu.get("name"), str) else None)
    return MenuIndex(course_by_group, course_by_item, name_by_item, allergy)


# --------------------------------------------------------------------------------------- orders → us


def _is_allergy_alert(selection: Mapping[str, Any], menu: MenuIndex, allergy_item_name: str) -> bool:
    item = _guid_of(selection.get("item"))
    if menu.allergy_item is not None and item == menu.allergy_item.guid:
        return True
    external = selection.get("externalId")
    if isinstance(external, str) and external.startswith(EXTERNAL_ID_PREFIX) and external.endswith(":allergy"):
        return True
    name = selection.get("displayName")
    return isinstance(name, str) and name.strip().casefold() == allergy_item_name.strip().casefold()


def _live(entries: Any) -> list[Mapping[str, Any]]:
    """Entries of a list that are objects and neither voided nor deleted."""
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, Mapping) and not e.get("voided") and not e.get("deleted")]


def _food_selections(check: Mapping[str, Any], menu: MenuIndex, allergy_item_name: str) -> list[Mapping[str, Any]]:
    """A check's live menu-item lines, leaving out our allergy alert and bare special requests."""
    return _check_lines(_live(check.get("selections")), menu, allergy_item_name)[0]


def _check_lines(
    live: list[Mapping[str, Any]], menu: MenuIndex, allergy_item_name: str
) -> tuple[list[Mapping[str, Any]], bool]:
    """A check's live lines, read once: (its food lines, whether one of them is the allergy alert)."""
    food = []
    alert = False
    for selection in live:
        if _is_allergy_alert(selection, menu, allergy_item_name):
            alert = True
        elif selection.get("selectionType") != "SPECIAL_REQUEST":
            food.append(selection)
    return food, alert


def derive_stage(order: Mapping[str, Any], menu: MenuIndex, *, allergy_item_name: str = "Allergy Alert") -> CourseStage:
    """Where the meal is, as far as the Toast order tells.

    voided or deleted → VOIDED (also when every check is); every live check CLOSED → CLOSED; every live check
    PAID (or CLOSED) → PAID; otherwise by the live items: none, or only the allergy alert → OPENED; any from a
    dessert group → DESSERT; any from a mains/entrées group → MAINS; anything else → ORDERED.
    """
    checks = _live(order.get("checks"))
    return _stage(order, checks, [_food_selections(c, menu, allergy_item_name) for c in checks], menu)


def _stage(
    order: Mapping[str, Any], checks: list[Mapping[str, Any]], food: list[list[Mapping[str, Any]]], menu: MenuIndex
) -> CourseStage:
    """`derive_stage` from the order's live checks and each one's food lines, already read."""
    if order.get("voided") or order.get("deleted"):
        return CourseStage.VOIDED
    if not checks:
        return CourseStage.VOIDED
    statuses = [c.get("paymentStatus") or "OPEN" for c in checks]
    if all(s == "CLOSED" for s in statuses):
        return CourseStage.CLOSED
    if all(s in ("PAID", "CLOSED") for s in statuses):
        return CourseStage.PAID
    courses = {menu.course_of(s) for lines in food for s in lines}
    if not courses:
        return CourseStage.OPENED
    if COURSE_DESSERT in courses:
        return CourseStage.DESSERT
    if COURSE_MAINS in courses:
        return CourseStage.MAINS
    return CourseStage.ORDERED


def _strip_prefix(external_id: str | None) -> str | None:
    if external_id and external_id.startswith(EXTERNAL_ID_PREFIX):
        return external_id[len(EXTERNAL_ID_PREFIX) :]
    return external_id


def order_from_json(record: Any, menu: MenuIndex, *, allergy_item_name: str = "Allergy Alert") -> RemoteOrder:
    """Map a Toast Order. Raises MalformedRecord when it cannot be trusted."""
    order = require_mapping(record, "order")
    guid = req_str(order, "guid", allow_int=False)
    checks_raw = order.get("checks")
    if checks_raw is not None and not isinstance(checks_raw, list):
        raise MalformedRecord("checks", f"expected a list, got {type(checks_raw).__name__}")
    for check in checks_raw or []:
        require_mapping(check, "checks[]")
    checks = _live(checks_raw)
    first_check = checks[0] if checks else (checks_raw[0] if checks_raw else {})
    subtotal = total = comps = Decimal(0)
    names: list[str] = []
    food_by_check: list[list[Mapping[str, Any]]] = []
    allergy_note = False
    for check in checks:  # each check's lines are read once: amounts, comps, food and the allergy alert
        subtotal += to_decimal(check.get("amount"), field="checks[].amount")
        total += to_decimal(check.get("totalAmount"), field="checks[].totalAmount")
        for discount in _live(check.get("appliedDiscounts")):
            comps += to_decimal(discount.get("discountAmount"), field="appliedDiscounts[].discountAmount")
        lines = _live(check.get("selections"))
        for selection in lines:
            for discount in _live(selection.get("appliedDiscounts")):
                comps += to_decimal(discount.get("discountAmount"), field="appliedDiscounts[].discountAmount")
        food, alert = _check_lines(lines, menu, allergy_item_name)
        food_by_check.append(food)
        allergy_note = allergy_note or alert
        for selection in food:
            name = selection.get("displayName")
            if not isinstance(name, str) or not name.strip():
                name = menu.name_by_item.get(_guid_of(selection.get("item")) or "", "")
            if name:
                names.append(name.strip())
    voided = opt_bool(order, "voided") or opt_bool(order, "deleted")
    check_guids = tuple(c["guid"] for c in checks if isinstance(c.get("guid"), str) and c["guid"])
    return RemoteOrder(
        guid=guid,
        external_id=_strip_prefix(opt_str(order, "externalId", allow_int=False)),
        table_guid=ref_guid(order, "table"),
        number_of_guests=opt_int(order, "numberOfGuests"),
        opened_at=opt_timestamp(order, "openedDate"),
        stage=_stage(order, checks, food_by_check, menu),
        server_guid=ref_guid(order, "server"),
        tab_name=(text(first_check, "tabName") if isinstance(first_check, Mapping) else "").strip(),
        modified_at=opt_timestamp(order, "modifiedDate"),
        closed_at=opt_timestamp(order, "closedDate"),
        paid_at=opt_timestamp(order, "paidDate"),
        voided=voided,
        business_date=opt_int(order, "businessDate"),
        subtotal=to_minor_units(subtotal),
        total=to_minor_units(total),
        comps=to_minor_units(comps),
        currency="USD",
        item_names=tuple(names),
        check_guids=check_guids,
        has_allergy_note=allergy_note,
    )


# --------------------------------------------------------------------------------------- us → orders


def toast_timestamp(moment: datetime) -> str:
    """Toast's date-time style: `2026-11-27T19:42:07.123+0000` (UTC, milliseconds)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps sent to Toast must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def business_date_param(day: date) -> str:
    return day.strftime("%Y%m%d")


def _customer(request: OpenTicketRequest) -> dict[str, str] | None:
    """Toast's Customer requires all four fields; an email Toast would refuse drops the customer, not the ticket."""
    first, last = request.first_name.strip(), request.last_name.strip()
    phone = (request.phone or "").strip()
    email = (request.email or "").strip()
    if not (first and last and phone and email):
        return None
    if len(email) > CUSTOMER_EMAIL_MAX or not email.isascii() or "@" not in email:
        return None
    return {"firstName": first, "lastName": last, "phone": phone, "email": email}


def tab_name_problem(tab_name: str) -> str | None:
    """Why Toast would not take this tab name (counted in UTF-16 units, as Toast's back end counts), or None."""
    length = text_length(tab_name)
    if length > TAB_NAME_MAX:
        return f"the tab name is {length} characters; Toast holds {TAB_NAME_MAX}"
    return None


def allergy_selection(
    external_id: str, allergy_item: AllergyItem, allergy_text: str, *, special_request_max: int = SPECIAL_REQUEST_MAX
) -> dict[str, Any]:
    """One "Allergy Alert" selection whose SPECIAL_REQUEST modifiers carry the whole allergy text, cut on word
    boundaries into pieces Toast accepts (never shortened). `external_id` is the selection's idempotency handle."""
    return {
        "externalId": external_id,
        "item": {"guid": allergy_item.guid},
        "itemGroup": {"guid": allergy_item.group_guid},
        "quantity": 1,
        "modifiers": [
            {"selectionType": "SPECIAL_REQUEST", "displayName": piece, "quantity": 1}
            for piece in split_for_limit(allergy_text, special_request_max)
        ],
    }


def order_request_body(
    request: OpenTicketRequest,
    *,
    dining_option_guid: str,
    allergy_item: AllergyItem | None,
    special_request_max: int = SPECIAL_REQUEST_MAX,
) -> dict[str, Any]:
    """The POST /orders/v2/orders body for a ticket. Raises ValueError when the tab name is over Toast's limit."""
    problem = tab_name_problem(request.tab_name)
    if problem:
        raise ValueError(problem)
    order_external_id = EXTERNAL_ID_PREFIX + request.external_id
    check: dict[str, Any] = {"selections": []}
    if request.tab_name:
        check["tabName"] = request.tab_name
    customer = _customer(request)
    if customer is not None:
        check["customer"] = customer
    allergy_text = request.allergy_text.strip()
    if allergy_item is not None and allergy_text:
        check["selections"].append(
            allergy_selection(
                f"{order_external_id}:allergy", allergy_item, allergy_text, special_request_max=special_request_max
            )
        )
    body: dict[str, Any] = {
        "externalId": order_external_id,
        "diningOption": {"guid": dining_option_guid},
        "table": {"guid": request.table_guid},
        "numberOfGuests": request.guests,
        "checks": [check],
    }
    if request.server_guid:
        body["server"] = {"guid": request.server_guid}
    return body


# ------------------------------------------------------------------------------------------ adapter


@dataclass
class _LiveOrders:
    """The business date's live orders as last read (full or delta), for `open_orders_at`."""

    business_date: date
    by_guid: dict[str, RemoteOrder]
    full_at: float  # time.monotonic() of the last full read
    read_at: float  # time.monotonic() of the last read, full or delta
    mark: datetime  # our clock when the last read began: where the next delta starts (less the overlap)

    def update(self, orders: list[RemoteOrder] | tuple[RemoteOrder, ...]) -> None:
        for order in orders:
            if order.stage.is_live and not order.voided:
                self.by_guid[order.guid] = order
            else:
                self.by_guid.pop(order.guid, None)


def _record_label(record: Any) -> str:
    if isinstance(record, Mapping) and isinstance(record.get("guid"), str):
        return record["guid"][:64]
    return "?"


class ToastAdapter:
    """`PosPort` for Toast. Construct with the API base URL, the client credentials and the restaurant GUID."""

    vendor = VENDOR

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        restaurant_guid: str,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        tz: str = "America/New_York",
        allergy_item_name: str = "Allergy Alert",
        dining_behavior: str = "DINE_IN",
        pacer: RatePacer | None = None,
        read_timeout: float = 15.0,
        orders_read_timeout: float = 35.0,
        logins_per_hour: int = 2,
        live_orders_max_age: float = LIVE_ORDERS_MAX_AGE,
    ) -> None:
        self._credentials = credentials
        self.restaurant_guid = restaurant_guid
        self._clock = clock or SystemClock()
        self._tz = ZoneInfo(tz)
        self.allergy_item_name = allergy_item_name
        self.dining_behavior = dining_behavior
        self._orders_read_timeout = orders_read_timeout
        self._logins_per_hour = logins_per_hour
        self._http = VendorHttp(
            rules=TOAST_RULES,
            client=client or make_client(base_url, read_timeout=read_timeout),
            # Toast: 20 req/s per restaurant in fixed slices; start near the documented advice (about 11 rps)
            # and let the rate-limit headers tell the real budget.
            pacer=pacer if pacer is not None else RatePacer(rate=10.0),
            owns_client=client is None,
            pacers_by_path={"/menus/": RatePacer(rate=1.0, learn_from_headers=False)},
        )
        self._token: str | None = None
        self._token_expires_at: datetime | None = None
        self._token_lock = asyncio.Lock()
        self._login_times: list[datetime] = []
        self.token_requests = 0  # logins that reached Toast (for tests and diagnostics)
        self._menu = MenuIndex()
        self._menu_day: date | None = None
        self._menu_failed_at: float | None = None
        self._menu_lock = asyncio.Lock()
        self._dining_option: tuple[date, str] | None = None
        self.last_pull_skipped = 0
        self.live_orders_max_age = live_orders_max_age
        self._live: _LiveOrders | None = None
        self._live_lock = asyncio.Lock()

    # ----------------------------------------------------------------------------------- limits

    @property
    def limits(self) -> PosLimits:
        """Exact once the menu has been read (`load_menu`, done by `pull_tables` and `probe`)."""
        return PosLimits(
            tab_name_max=TAB_NAME_MAX,
            special_request_max=SPECIAL_REQUEST_MAX,
            supports_special_request=self._menu.allergy_item is not None,
        )

    # ------------------------------------------------------------------------------------- auth

    def _today(self) -> date:
        return self._clock.now().astimezone(self._tz).date()

    async def _access_token(self, *, refused: str | None = None) -> str:
        async with self._token_lock:
            now = self._clock.now()
            if self._token is not None and self._token != refused and self._token_expires_at and now < self._token_expires_at:
                return self._token
            self._token = None
            hour_ago = now - timedelta(hours=1)
            self._login_times = [t for t in self._login_times if t > hour_ago]
            if len(self._login_times) >= self._logins_per_hour:
                again = (min(self._login_times) + timedelta(hours=1)).astimezone(self._tz)
                raise AuthFailed(
                    VENDOR,
                    f"Toast allows only {self._logins_per_hour} sign-ins an hour; they have been used and the "
                    f"token was refused again. hoststand will not ask again before {again:%H:%M}. "
                    "If this keeps happening, check the Toast client ID and secret in Settings.",
                )
            body = {
                "clientId": self._credentials.client_id,
                "clientSecret": self._credentials.client_secret,
                "userAccessType": "TOAST_MACHINE_CLIENT",
            }
            try:
                response = await self._http.send(
                    "POST", LOGIN_PATH, json_body=body, paced=False, check=False, what="Toast sign-in"
                )
            except UncertainOutcome as exc:  # it may have counted against the hourly allowance
                self._login_times.append(now)
                raise Unavailable(VENDOR, exc.message) from None
            self._login_times.append(now)
            self.token_requests += 1
            if response.status_code in (400, 401, 403):
                detail = error_detail(response)
                said = f": {detail.message}" if detail.message else ""
                raise AuthFailed(
                    VENDOR,
                    f"Toast refused the client ID and secret (HTTP {response.status_code}{said}). "
                    "Check the Toast credentials in Settings.",
                )
            if response.status_code >= 300:
                raise self._http.error_for(response, what="Toast sign-in")
            data = self._http.json(response, what="Toast sign-in")
            token_info = data.get("token") if isinstance(data, Mapping) else None
            token = token_info.get("accessToken") if isinstance(token_info, Mapping) else None
            if not isinstance(token, str) or not token:
                raise Unavailable(VENDOR, "Toast sign-in answered without an access token")
            expires_in = token_info.get("expiresIn")
            lifetime = float(expires_in) if isinstance(expires_in, (int, float)) and expires_in > 0 else 3600.0
            margin = min(600.0, lifetime * 0.1)
            self._token = token
            self._token_expires_at = now + timedelta(seconds=lifetime - margin)
            return token

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        timeout: float | None = None,
        what: str,
    ) -> httpx.Response:
        """An authorised request for this restaurant; on 401 the token is replaced once, then AuthFailed."""
        token = await self._access_token()
        for attempt in (1, 2):
            response = await self._http.send(
                method,
                path,
                params=params,
                json_body=json_body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Toast-Restaurant-External-ID": self.restaurant_guid,
                    "Accept": "application/json",
                },
                timeout=timeout,
                check=False,
                what=what,
            )
            if response.status_code != 401:
                break
            if attempt == 1:
                token = await self._access_token(refused=token)
                continue
            raise AuthFailed(VENDOR, "Toast refused a freshly issued token (HTTP 401): check the Toast credentials in Settings.")
        if response.status_code >= 300:
            raise self._http.error_for(response, what=what)
        return response

    # ---------------------------------------------------------------------------------- config

    async def _config_items(self, path: str, *, what: str) -> list[Any]:
        items: list[Any] = []
        page_token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            response = await self._call("GET", path, params={"pageToken": page_token} if page_token else None, what=what)
            page = await asyncio.to_thread(self._http.json, response, what=what)
            if not isinstance(page, list):
                raise Unavailable(VENDOR, f"{what}: the answer was not a list")
            items.extend(page)
            page_token = response.headers.get("Toast-Next-Page-Token")
            if not page_token or page_token in seen:
                return items
            seen.add(page_token)
        log.warning("%s: stopped after %d pages", what, MAX_PAGES)
        return items

    async def pull_service_areas(self) -> tuple[RemoteServiceArea, ...]:
        out = []
        for record in await self._config_items(SERVICE_AREAS_PATH, what="Toast service areas"):
            try:
                rec = require_mapping(record)
                out.append(RemoteServiceArea(guid=req_str(rec, "guid", allow_int=False), name=text(rec, "name").strip()))
            except MalformedRecord as exc:
                log.warning("skipped a malformed Toast service area %s (%s)", _record_label(record), exc)
        return tuple(out)

    async def pull_tables(self) -> tuple[RemoteTable, ...]:
        out = []
        for record in await self._config_items(TABLES_PATH, what="Toast tables"):
            try:
                rec = require_mapping(record)
                out.append(
                    RemoteTable(
                        guid=req_str(rec, "guid", allow_int=False),
                        name=text(rec, "name").strip(),
                        service_area_guid=ref_guid(rec, "serviceArea"),
                        revenue_center_guid=ref_guid(rec, "revenueCenter"),
                    )
                )
            except MalformedRecord as exc:
                log.warning("skipped a malformed Toast table %s (%s)", _record_label(record), exc)
        await self.load_menu()  # the daily config pull is when `limits` learns about the allergy item
        return tuple(out)

    async def pull_employees(self) -> tuple[RemoteEmployee, ...]:
        response = await self._call("GET", EMPLOYEES_PATH, what="Toast employees")
        records = self._http.json(response, what="Toast employees")
        if not isinstance(records, list):
            raise Unavailable(VENDOR, "Toast employees: the answer was not a list")
        out = []
        for record in records:
            try:
                rec = require_mapping(record)
                if opt_bool(rec, "deleted"):
                    continue
                chosen = (opt_str(rec, "chosenName", allow_int=False) or "").strip() or None
                out.append(
                    RemoteEmployee(
                        guid=req_str(rec, "guid", allow_int=False),
                        first_name=text(rec, "firstName").strip(),
                        last_name=text(rec, "lastName").strip(),
                        chosen_name=chosen,
                        external_id=opt_str(rec, "externalEmployeeId") or opt_str(rec, "externalId"),
                    )
                )
            except MalformedRecord as exc:
                log.warning("skipped a malformed Toast employee %s (%s)", _record_label(record), exc)
        return tuple(out)

    async def _dining_option_guid(self) -> str:
        """The restaurant's dine-in dining option (behavior DINE_IN), read once a day."""
        today = self._today()
        if self._dining_option is not None and self._dining_option[0] == today:
            return self._dining_option[1]
        options = await self._config_items(DINING_OPTIONS_PATH, what="Toast dining options")
        matching = [
            o for o in options
            if isinstance(o, Mapping) and o.get("behavior") == self.dining_behavior and isinstance(o.get("guid"), str)
        ]
        if not matching:
            raise Rejected(
                VENDOR,
                f"Toast has no dining option with behavior {self.dining_behavior}: set one up in Toast Web.",
                code="no_dining_option",
            )
        # prefer one whose name says so ("Dine In") when a restaurant has several
        matching.sort(key=lambda o: 0 if "dine" in _fold(str(o.get("name") or "")) else 1)
        guid = matching[0]["guid"]
        self._dining_option = (today, guid)
        return guid

    async def load_menu(self, *, force: bool = False) -> bool:
        """Read the menu (at most once a day; after a failure, not again for a minute). True when known."""
        async with self._menu_lock:
            today = self._today()
            if not force and self._menu_day == today:
                return True
            if not force and self._menu_failed_at is not None and time.monotonic() - self._menu_failed_at < 60:
                return self._menu_day is not None
            try:
                response = await self._call("GET", MENUS_PATH, what="Toast menus")
                document = self._http.json(response, what="Toast menus")
            except ConnectorError as exc:
                self._menu_failed_at = time.monotonic()
                log.warning("could not read the Toast menu (%s); course stages fall back to 'ordered'", type(exc).__name__)
                if isinstance(exc, AuthFailed):
                    raise
                return self._menu_day is not None
            self._menu = menu_index_from_json(document, allergy_item_name=self.allergy_item_name)
            self._menu_day = today
            self._menu_failed_at = None
            if self._menu.allergy_item is None:
                log.warning(
                    "the Toast menu has no item named %r: allergies reach the ticket in its tab name only",
                    self.allergy_item_name,
                )
            return True

    # ---------------------------------------------------------------------------------- orders

    def _map_order(self, record: Any) -> RemoteOrder:
        return order_from_json(record, self._menu, allergy_item_name=self.allergy_item_name)

    def _map_orders(self, items: list[Any]) -> tuple[list[RemoteOrder], int]:
        """Map one page of orders (run in a worker thread), skipping malformed ones."""
        out: list[RemoteOrder] = []
        skipped = 0
        for record in items:
            try:
                out.append(self._map_order(record))
            except MalformedRecord as exc:
                skipped += 1
                log.warning("skipped a malformed Toast order %s (%s)", _record_label(record), exc)
        return out, skipped

    async def _bulk_page(self, params: Mapping[str, Any], page: int, *, what: str) -> list[Any]:
        response = await self._call("GET", BULK_PATH, params={**params, "pageSize": BULK_PAGE_SIZE, "page": page}, what=what)
        items = await asyncio.to_thread(self._http.json, response, what=what, shape=ORDERS_PAGE)  # off the UI loop
        if not isinstance(items, list):
            raise Unavailable(VENDOR, f"{what}: the answer was not a list")
        return items

    async def _bulk_pages(self, params: Mapping[str, Any], *, what: str) -> AsyncIterator[list[Any]]:
        """Every page of `ordersBulk`, in order. Toast gives no total, so after a full first page the next
        few are asked for together (BULK_READ_AHEAD at a time): a busy night's orders come in a third of the
        round trips, at the cost of at most a couple of empty pages at the end."""
        first = await self._bulk_page(params, 1, what=what)
        yield first
        if len(first) < BULK_PAGE_SIZE:
            return
        page = 2
        while page <= MAX_PAGES:
            batch = range(page, min(page + BULK_READ_AHEAD, MAX_PAGES + 1))
            pages = await asyncio.gather(*(self._bulk_page(params, p, what=what) for p in batch))
            for items in pages:
                yield items
                if len(items) < BULK_PAGE_SIZE:
                    return
            page += len(batch)
        log.warning("%s: stopped after %d pages", what, MAX_PAGES)

    async def pull_orders(self, *, business_date: date, modified_after: datetime | None = None) -> tuple[RemoteOrder, ...]:
        """Orders of one business date. With a recent `modified_after`, only those modified since (startDate/endDate)."""
        await self.load_menu()
        wanted = int(business_date_param(business_date))
        now = self._clock.now()
        if modified_after is not None and now - modified_after < timedelta(hours=24):
            params = {
                "startDate": toast_timestamp(modified_after),
                "endDate": toast_timestamp(max(now, modified_after) + timedelta(minutes=1)),
            }
        else:
            params = {"businessDate": str(wanted)}
        by_guid: dict[str, RemoteOrder] = {}
        skipped = 0
        full = "businessDate" in params
        read_at, mark = time.monotonic(), now
        async for items in self._bulk_pages(params, what="Toast orders"):
            mapped, bad = await asyncio.to_thread(self._map_orders, items)
            skipped += bad
            for order in mapped:
                if order.business_date is not None and order.business_date != wanted:
                    continue
                by_guid[order.guid] = order
        self.last_pull_skipped = skipped
        self._note_orders(business_date, tuple(by_guid.values()), full=full, read_at=read_at, mark=mark)
        return tuple(by_guid.values())

    # ------------------------------------------------------------------- live orders at a table

    def _note_orders(
        self, business_date: date, orders: tuple[RemoteOrder, ...], *, full: bool, read_at: float, mark: datetime
    ) -> None:
        """Keep the live-orders snapshot in step with what a read (full, delta or our own write) returned."""
        live = self._live
        if full:
            fresh = _LiveOrders(business_date, {}, full_at=read_at, read_at=read_at, mark=mark)
            fresh.update(orders)
            self._live = fresh
        elif live is not None and live.business_date == business_date:
            live.update(orders)
            if read_at:
                live.read_at, live.mark = read_at, mark

    async def _read_live(self, business_date: date) -> _LiveOrders:
        await self.load_menu()
        wanted = int(business_date_param(business_date))
        started, mark = time.monotonic(), self._clock.now()
        live = self._live
        full = live is None or live.business_date != business_date or started - live.full_at > LIVE_ORDERS_FULL_EVERY
        if full:
            params: dict[str, Any] = {"businessDate": str(wanted)}
        else:
            assert live is not None
            params = {
                "startDate": toast_timestamp(live.mark - DELTA_OVERLAP),
                "endDate": toast_timestamp(max(mark, live.mark) + timedelta(minutes=1)),
            }
        found: list[RemoteOrder] = []
        async for items in self._bulk_pages(params, what="Toast open orders"):
            mapped, _ = await asyncio.to_thread(self._map_orders, items)
            found.extend(o for o in mapped if o.business_date in (None, wanted))
        self._note_orders(business_date, tuple(found), full=full, read_at=started, mark=mark)
        assert self._live is not None
        return self._live

    async def open_orders_at(self, table_guid: str, *, business_date: date) -> tuple[RemoteOrder, ...]:
        """Live orders at a table on a business date, oldest first (from a snapshot at most
        `live_orders_max_age` seconds old; see the module docstring)."""
        async with self._live_lock:
            live = self._live
            if (
                live is None
                or live.business_date != business_date
                or time.monotonic() - live.read_at > self.live_orders_max_age
                or (self._clock.now() - live.mark).total_seconds() > self.live_orders_max_age  # simulated time too
            ):
                live = await self._read_live(business_date)
            at_table = [o for o in live.by_guid.values() if o.table_guid == table_guid]
        far = datetime.max.replace(tzinfo=UTC)
        return tuple(sorted(at_table, key=lambda o: (o.opened_at or far, o.guid)))

    async def add_allergy_note(
        self, order_guid: str, check_guid: str, *, allergy_text: str, external_id: str
    ) -> RemoteOrder | None:
        """Add the "Allergy Alert" selection carrying `allergy_text` to a check. None when there is nothing to
        add or the menu has no allergy item; a duplicate `external_id` means the note is already there."""
        text = allergy_text.strip()
        if not text:
            return None
        await self.load_menu()
        item = self._menu.allergy_item
        if item is None:
            log.warning("no %r menu item: the allergy note cannot be added to a ticket opened by hand", self.allergy_item_name)
            return None
        body = [allergy_selection(f"{EXTERNAL_ID_PREFIX}{external_id}:allergy", item, text)]
        try:
            response = await self._call(
                "POST",
                f"{ORDERS_PATH}/{order_guid}/checks/{check_guid}/selections",
                json_body=body,
                timeout=self._orders_read_timeout,
                what="Toast add allergy note",
            )
        except AlreadyApplied:
            order = await self.get_order(order_guid)
        else:
            data = self._http.json(response, what="Toast add allergy note")
            try:
                order = self._map_order(data)
            except MalformedRecord as exc:
                raise UncertainOutcome(VENDOR, f"Toast took the allergy note but its answer could not be read ({exc})") from None
        self._remember(order)
        return order

    def _remember(self, order: RemoteOrder) -> None:
        """Our own write's result goes into the live-orders snapshot at once."""
        live = self._live
        if live is not None and order.business_date in (None, int(business_date_param(live.business_date))):
            live.update((order,))

    async def open_ticket(self, request: OpenTicketRequest) -> RemoteOrder:
        problem = tab_name_problem(request.tab_name)
        if problem:  # the note builder fits it; a longer one is a bug upstream that no retry can fix
            raise Rejected(VENDOR, problem, code="tab_name_too_long")
        dining_option = await self._dining_option_guid()
        allergy_item = None
        if request.allergy_text.strip():
            await self.load_menu()
            allergy_item = self._menu.allergy_item
            if allergy_item is None:
                log.warning("ticket %s: no %r menu item, so no kitchen special request", request.external_id, self.allergy_item_name)
        body = order_request_body(request, dining_option_guid=dining_option, allergy_item=allergy_item)
        response = await self._call(
            "POST", ORDERS_PATH, json_body=body, timeout=self._orders_read_timeout, what="Toast open ticket"
        )
        data = self._http.json(response, what="Toast open ticket")
        if isinstance(data, Mapping) and isinstance(data.get("orders"), list) and data["orders"]:
            data = data["orders"][0]  # the spec's OrderResponse wrapper; Toast's example answers the Order itself
        try:
            order = self._map_order(data)
        except MalformedRecord as exc:
            raise UncertainOutcome(VENDOR, f"Toast accepted the ticket but its answer could not be read ({exc})") from None
        self._remember(order)
        return order

    async def find_order(self, *, external_id: str, business_date: date) -> RemoteOrder | None:
        """Page through the business date's orders for the one we sent with this handle."""
        await self.load_menu()
        wanted = {EXTERNAL_ID_PREFIX + external_id, external_id}
        params = {"businessDate": business_date_param(business_date)}
        async for items in self._bulk_pages(params, what="Toast find order"):
            for record in items:
                if isinstance(record, Mapping) and record.get("externalId") in wanted:
                    try:
                        return self._map_order(record)
                    except MalformedRecord as exc:
                        raise Unavailable(VENDOR, f"Toast find order: the order could not be read ({exc})") from None
        return None

    async def get_order(self, guid: str) -> RemoteOrder:
        await self.load_menu()
        response = await self._call("GET", f"{ORDERS_PATH}/{guid}", what="Toast get order")
        data = self._http.json(response, what="Toast get order")
        try:
            return self._map_order(data)
        except MalformedRecord as exc:
            raise Unavailable(VENDOR, f"Toast get order: the order could not be read ({exc})") from None

    async def void_ticket(self, guid: str, *, business_date: date | None = None) -> None:
        """Void an order and its items (Toast requires both `voidAll` flags). Voiding a void order is not an error."""
        body = {"selections": {"voidAll": True}, "payments": {"voidAll": True}}
        try:
            await self._call("POST", f"{ORDERS_PATH}/{guid}/void", json_body=body, what="Toast void ticket")
        except NotFound:
            raise
        except Rejected:
            order = await self.get_order(guid)
            if not order.voided:
                raise
        if self._live is not None:
            self._live.by_guid.pop(guid, None)

    # ----------------------------------------------------------------------------------- health

    async def probe(self) -> HealthProbe:
        started = time.perf_counter()
        try:
            await self._call(
                "GET", BULK_PATH, params={"businessDate": business_date_param(self._today()), "pageSize": 1, "page": 1},
                what="Toast probe",
            )
        except ConnectorError as exc:
            return HealthProbe(ok=False, detail=exc.message)
        elapsed = (time.perf_counter() - started) * 1000
        try:
            await self.load_menu()
        except ConnectorError:
            pass
        return HealthProbe(ok=True, detail=f"Toast answered in {elapsed:.0f} ms")

    async def aclose(self) -> None:
        await self._http.aclose()


__all__ = [
    "AllergyItem",
    "MenuIndex",
    "allergy_selection",
    "ToastAdapter",
    "course_of_group",
    "derive_stage",
    "menu_index_from_json",
    "order_from_json",
    "order_request_body",
    "tab_name_problem",
    "toast_timestamp",
]
