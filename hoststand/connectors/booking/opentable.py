"""OpenTable adapter: Sync API v2 for reading reservations and guests, the partner `resoupdate` call for statuses.

Contract (shared/reference/vendor-contracts.md §3):
- OAuth client credentials: `POST /api/v2/oauth/token?grant_type=client_credentials` with HTTP Basic; the
  bearer token (about 28 days) is cached until shortly before it expires, refreshed once on a 401, and a
  second refusal is `AuthFailed`.
- `GET /sync/v2/reservations` and `/sync/v2/guests` with `rid`, `updated_after`, offset/limit (1000), following
  `hasNextPage`. Pages are fetched one after another: offset paging over a result set that changes while we
  read it is not safe to parallelise, and a night's reservations fit in a page or two. A record seen twice
  (it moved between pages) is kept once, at its highest `sequence_id`.
- Status push: the *assumed* resoupdate shape `POST /resoupdate/resoupdate` with `X-Request-Id` (OpenTable's
  idempotency handle) and `ReservationState` in title case.

Status words, both ways: Pending ↔ booked, Seated ↔ seated, AssumedSeated → seated (OpenTable's nightly
shift maintenance sets it on reservations left open; `vendor_status` keeps the distinction), Done ↔ finished,
NoShow ↔ no_show, Cancelled/Canceled/CANCELED ↔ cancelled. A Pending reservation with an arrival time is
*arrived*. OpenTable has no word for arrival, so pushing `arrived` sends nothing: the host stand owns arrival
(DESIGN.md §4). An unknown word maps to booked, keeps the word in `vendor_status`, and logs a warning.

A malformed record (missing id, party size or time, wrong type) is skipped with a warning and counted in
`PullResult.skipped`: it never stops a pull or loses the good records beside it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from hoststand.connectors.base import (
    AuthFailed,
    ConnectorError,
    Credentials,
    HealthProbe,
    PosCheckSummary,
    RemotePosData,
    PullResult,
    RemoteGuest,
    RemoteReservation,
    StatusUpdate,
    Unavailable,
    UncertainOutcome,
)
from hoststand.connectors.fields import (
    MalformedRecord,
    opt_int,
    opt_str,
    opt_timestamp,
    req_int,
    req_str,
    require_mapping,
    str_list,
    text,
)
from hoststand.connectors.http import OPENTABLE_RULES, VendorHttp, basic_auth_header, error_detail, make_client
from hoststand.connectors.pacing import RatePacer
from hoststand.domain.clock import Clock, SystemClock
from hoststand.domain.model import ReservationStatus

log = logging.getLogger(__name__)

VENDOR = "opentable"
PAGE_LIMIT = 1000
MAX_PAGES = 500  # a guard against a server that always says hasNextPage
TOKEN_PATH = "/api/v2/oauth/token"
RESERVATIONS_PATH = "/sync/v2/reservations"
GUESTS_PATH = "/sync/v2/guests"
RESOUPDATE_PATH = "/resoupdate/resoupdate"
POS_DATA_PATH = "/sync/v2/pos-data"  # documented for reading; the write is assumed (see pos_data_body)
UTC = timezone.utc

VIP_TIERS = ("VIP", "VVIP", "Regular")

# ------------------------------------------------------------------------------------- status words

_WORD_TO_STATUS: dict[str, ReservationStatus] = {
    "pending": ReservationStatus.BOOKED,
    "booked": ReservationStatus.BOOKED,
    "seated": ReservationStatus.SEATED,
    "assumedseated": ReservationStatus.SEATED,
    "done": ReservationStatus.FINISHED,
    "noshow": ReservationStatus.NO_SHOW,
    "cancelled": ReservationStatus.CANCELLED,
    "canceled": ReservationStatus.CANCELLED,
}

_STATUS_TO_WORD: dict[ReservationStatus, str | None] = {
    ReservationStatus.BOOKED: "Pending",
    # OpenTable has no "arrived": its nearest word is Pending (booked, not seated). Marking a party arrived
    # changes nothing there; undoing its seating must take OpenTable back to Pending, or the next pull
    # would seat the party again.
    ReservationStatus.ARRIVED: "Pending",
    ReservationStatus.SEATED: "Seated",
    ReservationStatus.FINISHED: "Done",
    ReservationStatus.NO_SHOW: "NoShow",
    ReservationStatus.CANCELLED: "Cancelled",
}


def _normalise_word(word: str) -> str:
    return re.sub(r"[^a-z]", "", word.lower())


def status_from_opentable(word: str, *, arrived: bool = False) -> tuple[ReservationStatus, bool]:
    """(canonical status, whether the word was known). Pending with an arrival time → arrived."""
    status = _WORD_TO_STATUS.get(_normalise_word(word))
    if status is None:
        return ReservationStatus.BOOKED, False
    if status is ReservationStatus.BOOKED and arrived:
        return ReservationStatus.ARRIVED, True
    return status, True


def opentable_word_for(status: ReservationStatus) -> str | None:
    """The resoupdate `ReservationState` for a canonical status (None: nothing to send)."""
    return _STATUS_TO_WORD[status]


# ------------------------------------------------------------------------------------------ mapping


def _tags(record: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """Tags as strings; tolerates tag objects ({"name": …} / {"display_name": …})."""
    value = record.get(key)
    if isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
        names: list[str] = []
        for item in value:
            if isinstance(item, Mapping):
                name = item.get("display_name") or item.get("name") or item.get("label")
                if isinstance(name, str) and name.strip():
                    names.append(name.strip())
            elif isinstance(item, str) and item.strip():
                names.append(item.strip())
        return tuple(names)
    return str_list(record, key)


def vip_tier_from_tags(tags: tuple[str, ...]) -> str | None:
    """The first tag that names a VIP tier ("VIP", "VVIP", "Regular"; any case), in its canonical spelling."""
    canonical = {tier.lower(): tier for tier in VIP_TIERS}
    for tag in tags:
        tier = canonical.get(tag.strip().lower())
        if tier is not None:
            return tier
    return None


def _phone(record: Mapping[str, Any]) -> str | None:
    value = record.get("phone")
    if isinstance(value, Mapping):
        number = value.get("number")
        return number if isinstance(number, str) and number.strip() else None
    phone = opt_str(record, "phone")
    if phone:
        return phone
    numbers = record.get("phone_numbers")
    if isinstance(numbers, list):
        for item in numbers:
            if isinstance(item, Mapping) and isinstance(item.get("number"), str) and item["number"].strip():
                return item["number"]
            if isinstance(item, str) and item.strip():
                return item
    return None


def guest_from_json(record: Any) -> RemoteGuest:
    """Map a Sync v2 guest. Raises MalformedRecord when it cannot be trusted."""
    rec = require_mapping(record, "guest")
    guest_id = req_str(rec, "id")
    version = opt_int(rec, "sequence_id") or 0
    updated_at = opt_timestamp(rec, "updated_at_utc") or opt_timestamp(rec, "updated_at")
    if rec.get("forgotten") is True:
        # the guest asked OpenTable to forget them: pass the erasure on
        return RemoteGuest(external_id=guest_id, first_name="", last_name="", version=version, updated_at=updated_at)
    notes_parts = [text(rec, "notes").strip()]
    seating = text(rec, "notes_seating").strip()
    if seating:
        notes_parts.append(f"Seating: {seating}")
    relationship = text(rec, "notes_special_relationship").strip()
    if relationship:
        notes_parts.append(f"Relationship: {relationship}")
    tags = _tags(rec, "tags")
    return RemoteGuest(
        external_id=guest_id,
        first_name=text(rec, "first_name").strip(),
        last_name=text(rec, "last_name").strip(),
        phone=_phone(rec),
        email=(opt_str(rec, "email", allow_int=False) or "").strip() or None,
        food_and_drink_notes=text(rec, "notes_food_and_drink").strip(),
        notes="\n".join(part for part in notes_parts if part),
        tags=tags,
        vip_tier=vip_tier_from_tags(tags),
        birth_date=opt_str(rec, "birth_date", allow_int=False) or None,
        anniversary_date=opt_str(rec, "anniversary_date", allow_int=False) or None,
        version=version,
        updated_at=updated_at,
    )


def _local_timestamp(rec: Mapping[str, Any], key: str, tz: ZoneInfo) -> datetime | None:
    """A restaurant-local timestamp field (no `_utc` suffix): a naive value is in the restaurant's zone."""
    value = rec.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise MalformedRecord(key, f"expected a timestamp string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MalformedRecord(key, "not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def _utc_or_local(rec: Mapping[str, Any], key: str, tz: ZoneInfo) -> datetime | None:
    return opt_timestamp(rec, f"{key}_utc") or _local_timestamp(rec, key, tz)


def _server_name(rec: Mapping[str, Any]) -> str | None:
    value = rec.get("server")
    if isinstance(value, Mapping):
        for key in ("name", "display_name", "first_name"):
            if isinstance(value.get(key), str) and value[key].strip():
                return value[key].strip()
        return None
    name = opt_str(rec, "server", allow_int=False)
    return name.strip() if name and name.strip() else None


def reservation_from_json(record: Any, *, tz: ZoneInfo = ZoneInfo("America/New_York")) -> RemoteReservation:
    """Map a Sync v2 reservation. Raises MalformedRecord when it cannot be trusted.

    `external_id` is the confirmation number (what resoupdate's `ConfirmationNumber` takes), or `id` when a
    record has none.
    """
    rec = require_mapping(record, "reservation")
    external_id = opt_str(rec, "confirmation_id") or opt_str(rec, "confirmation_number") or req_str(rec, "id")
    party_size = req_int(rec, "party_size")
    if party_size <= 0:
        raise MalformedRecord("party_size", "not a positive number")
    start = _utc_or_local(rec, "scheduled_time", tz)
    if start is None:
        raise MalformedRecord("scheduled_time_utc", "missing")
    word = req_str(rec, "state", allow_int=False).strip()
    arrived_at = _utc_or_local(rec, "arrived_time", tz)
    status, known = status_from_opentable(word, arrived=arrived_at is not None)
    if not known:
        log.warning("OpenTable reservation %s has an unknown state %r; treated as booked", external_id, word[:40])
    guest = None
    embedded = rec.get("guest")
    if isinstance(embedded, Mapping):
        try:
            guest = guest_from_json(embedded)
        except MalformedRecord as exc:
            log.warning("OpenTable reservation %s embeds a malformed guest (%s); kept without it", external_id, exc)
    guest_id = opt_str(rec, "guest_id") or (guest.external_id if guest else None)
    return RemoteReservation(
        external_id=external_id,
        guest_external_id=guest_id,
        party_size=party_size,
        start=start,
        status=status,
        vendor_status=word,
        table_names=str_list(rec, "table_number"),
        guest_request=text(rec, "guest_request").strip(),
        venue_notes=text(rec, "venue_notes").strip(),
        platform_notes=text(rec, "opentable_notes").strip(),
        tags=_tags(rec, "visit_tags"),
        duration_minutes=opt_int(rec, "duration") or opt_int(rec, "duration_minutes"),
        version=opt_int(rec, "sequence_id") or 0,
        updated_at=_utc_or_local(rec, "updated_at", tz),
        arrived_at=arrived_at,
        seated_at=_utc_or_local(rec, "seated_time", tz),
        done_at=_utc_or_local(rec, "done_time", tz),
        server_name=_server_name(rec),
        guest=guest,
    )


def resoupdate_body(update: StatusUpdate, *, rid: int, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """The assumed resoupdate body for a status change (raises ValueError for `arrived`, which is not sent).

    `ConfirmationNumber` is a number when the id is all digits (OpenTable's example sends 123), `RID` a
    string, `DateTime` restaurant-local "YYYY-MM-DD HH:MM", `UpdateDT_UTC` when the host acted.
    """
    word = opentable_word_for(update.status)
    if word is None:
        raise ValueError(f"{update.status.value} has no OpenTable state")
    confirmation: int | str = int(update.external_id) if update.external_id.isdigit() else update.external_id
    local_start = update.start.astimezone(tz)
    updated = (update.updated_at or now).astimezone(UTC)
    body: dict[str, Any] = {
        "ConfirmationNumber": confirmation,
        "DateTime": local_start.strftime("%Y-%m-%d %H:%M"),
        "PartySize": update.party_size,
        "ReservationState": word,
        "RID": str(rid),
        "SequenceNumber": update.sequence,
        "UpdateDT_UTC": updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    # Unknown server or tables are left out rather than sent empty, which would clear what OpenTable holds.
    if update.server_name:
        body["ServerName"] = update.server_name
    if update.table_names:
        body["TableNumbers"] = list(update.table_names)
    return body


def _iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timestamps sent to OpenTable must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record_label(record: Any) -> str:
    if isinstance(record, Mapping):
        for key in ("confirmation_id", "id"):
            value = record.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                return str(value)[:64]
    return "?"


# ------------------------------------------------------------------------------------------ adapter


def pos_data_body(summary: PosCheckSummary, *, rid: int) -> dict[str, Any]:
    """The closed check in OpenTable's documented `pos-data` field names (Sync API v2 read model). OpenTable
    publishes no partner write for it: this body and `POST /sync/v2/pos-data` are **assumed**, as are the
    `covers` and `comps` fields (the read model has neither). Amounts are integers in minor units with
    `currency_denominator` 100, as the read model's currency fields suggest."""
    confirmation: int | str = int(summary.external_id) if summary.external_id.isdigit() else summary.external_id
    return {
        "rid": rid,
        "confirmation_id": confirmation,
        "check_ids": list(summary.check_ids),
        "covers": summary.covers,
        "pos_sub_total": summary.subtotal,
        "pos_tax": summary.tax,
        "pos_tip": summary.tip,
        "pos_total_spend": summary.total,
        "comps": summary.comps,
        "currency_code": summary.currency,
        "currency_denominator": 100,
        "pos_order_items": [
            {"name": name, "quantity": qty, "comment": None, "ticket_item_modifiers": []} for name, qty in summary.items
        ],
    }


def pos_data_from_json(record: Any) -> RemotePosData:
    """One `pos-data` record. Amounts are given over `currency_denominator`; we keep minor units (cents)."""
    rec = require_mapping(record, "pos-data")
    confirmation = rec.get("confirmation_id")
    if confirmation is None or isinstance(confirmation, bool):
        raise MalformedRecord("confirmation_id", "missing")
    denominator = rec.get("currency_denominator", 100)
    if not isinstance(denominator, int) or isinstance(denominator, bool) or denominator <= 0:
        raise MalformedRecord("currency_denominator", "not a positive whole number")

    def minor(key: str) -> int:
        value = rec.get(key) or 0
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MalformedRecord(key, "not a number")
        return int(round(value * 100 / denominator))

    covers = rec.get("covers")
    return RemotePosData(
        external_id=str(confirmation),
        covers=covers if isinstance(covers, int) and not isinstance(covers, bool) else None,
        total=minor("pos_total_spend"),
        subtotal=minor("pos_sub_total"),
        updated_at=opt_timestamp(rec, "updated_at_utc"),
    )


def map_page(items: list[Any], mapper, label: str) -> tuple[list[Any], int]:
    """Map one page of records (run in a worker thread), skipping malformed ones: (mapped, how many skipped)."""
    out: list[Any] = []
    skipped = 0
    for record in items:
        try:
            out.append(mapper(record))
        except MalformedRecord as exc:
            skipped += 1
            log.warning("skipped a malformed %s %s (%s)", label, _record_label(record), exc)
    return out, skipped


class OpenTableAdapter:
    """`BookingPort` for OpenTable. Construct with the API base URL, the client credentials and the restaurant id."""

    vendor = VENDOR

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        rid: int,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        tz: str = "America/New_York",
        oauth_url: str | None = None,
        pacer: RatePacer | None = None,
        read_timeout: float = 15.0,
    ) -> None:
        self._credentials = credentials
        self.rid = int(rid)
        self._clock = clock or SystemClock()
        self._tz = ZoneInfo(tz)
        self._token_url = oauth_url or TOKEN_PATH
        owns = client is None
        self._http = VendorHttp(
            rules=OPENTABLE_RULES,
            client=client or make_client(base_url, read_timeout=read_timeout),
            # OpenTable publishes no limit and sends no rate-limit headers that we know of: a steady 25 requests
            # a second, halved on a 429 (the pacer learns a budget if headers ever appear)
            pacer=pacer if pacer is not None else RatePacer(rate=25.0),
            owns_client=owns,
        )
        self._token: str | None = None
        self._token_expires_at: datetime | None = None
        self._token_lock = asyncio.Lock()
        self.token_requests = 0  # how many times we asked for a token (for tests and diagnostics)
        self.last_guest_pull_skipped = 0

    # ------------------------------------------------------------------------------------- auth

    async def _access_token(self, *, refused: str | None = None) -> str:
        """The cached bearer token, or a new one. `refused` is a token the API just refused: replace it."""
        async with self._token_lock:
            now = self._clock.now()
            if self._token is not None and self._token != refused and self._token_expires_at and now < self._token_expires_at:
                return self._token
            self._token = None
            self.token_requests += 1
            try:
                response = await self._http.send(
                    "POST",
                    self._token_url,
                    params={"grant_type": "client_credentials"},
                    headers={
                        "Authorization": basic_auth_header(self._credentials.client_id, self._credentials.client_secret),
                        "Accept": "application/json",
                    },
                    paced=False,
                    check=False,
                    what="OpenTable sign-in",
                )
            except UncertainOutcome as exc:  # a token request changes nothing at OpenTable: just not delivered
                raise Unavailable(VENDOR, exc.message) from None
            if response.status_code in (400, 401, 403):
                detail = error_detail(response)
                said = f": {detail.code or detail.message}" if (detail.code or detail.message) else ""
                raise AuthFailed(
                    VENDOR,
                    f"OpenTable refused the client ID and secret (HTTP {response.status_code}{said}). "
                    "Check the OpenTable credentials in Settings.",
                )
            if response.status_code >= 300:
                raise self._http.error_for(response, what="OpenTable sign-in")
            body = self._http.json(response, what="OpenTable sign-in")
            token = body.get("access_token") if isinstance(body, Mapping) else None
            if not isinstance(token, str) or not token:
                raise Unavailable(VENDOR, "OpenTable sign-in answered without an access token")
            expires_in = body.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, (int, float)) and expires_in > 0 else 3600.0
            margin = min(300.0, lifetime * 0.1)
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
        headers: Mapping[str, str] | None = None,
        what: str,
    ) -> httpx.Response:
        """An authorised request; on 401 the token is replaced once, then AuthFailed."""
        token = await self._access_token()
        for attempt in (1, 2):
            response = await self._http.send(
                method,
                path,
                params=params,
                json_body=json_body,
                headers={"Accept": "application/json", **(headers or {}), "Authorization": f"bearer {token}"},
                check=False,
                what=what,
            )
            if response.status_code != 401:
                break
            if attempt == 1:
                token = await self._access_token(refused=token)
                continue
            raise AuthFailed(
                VENDOR,
                "OpenTable refused a freshly issued token (HTTP 401). The client may have lost access to "
                f"restaurant {self.rid}: check the OpenTable credentials in Settings.",
            )
        if response.status_code >= 300:
            raise self._http.error_for(response, what=what)
        return response

    # ------------------------------------------------------------------------------------ paging

    async def _pages(self, path: str, params: Mapping[str, Any], *, what: str) -> AsyncIterator[list[Any]]:
        offset = 0
        for _ in range(MAX_PAGES):
            response = await self._call("GET", path, params={**params, "offset": offset, "limit": PAGE_LIMIT}, what=what)
            body = await asyncio.to_thread(self._http.json, response, what=what)  # a big page: off the UI loop
            if isinstance(body, list):
                items, has_next = body, len(body) >= PAGE_LIMIT
            elif isinstance(body, Mapping) and isinstance(body.get("items", []), list):
                items = body.get("items") or []
                flag = body.get("hasNextPage", body.get("has_next_page"))
                has_next = bool(flag) if isinstance(flag, bool) else len(items) >= PAGE_LIMIT
            else:
                raise Unavailable(VENDOR, f"{what}: the answer was not a page of items")
            yield items
            if not has_next:
                return
            if not items:
                log.warning("%s: OpenTable said there is a next page but sent an empty one; stopping", what)
                return
            offset += len(items)
        log.warning("%s: stopped after %d pages", what, MAX_PAGES)

    # --------------------------------------------------------------------------------- BookingPort

    async def pull_reservations(
        self, *, updated_after: datetime | None, start_from: datetime, start_to: datetime
    ) -> PullResult:
        params: dict[str, Any] = {
            "rid": self.rid,
            "scheduled_time_from": _iso_utc(start_from),
            "scheduled_time_to": _iso_utc(start_to),
        }
        if updated_after is not None:
            params["updated_after"] = _iso_utc(updated_after)
        by_id: dict[str, RemoteReservation] = {}
        pages = skipped = 0
        watermark = updated_after
        async for items in self._pages(RESERVATIONS_PATH, params, what="OpenTable reservations"):
            pages += 1
            mapped, bad = await asyncio.to_thread(
                map_page, items, lambda r: reservation_from_json(r, tz=self._tz), "OpenTable reservation"
            )
            skipped += bad
            for reservation in mapped:
                if reservation.updated_at and (watermark is None or reservation.updated_at > watermark):
                    watermark = reservation.updated_at
                if not (start_from <= reservation.start < start_to):
                    continue
                seen = by_id.get(reservation.external_id)
                if seen is None or reservation.version >= seen.version:
                    by_id[reservation.external_id] = reservation
        guests = tuple(r.guest for r in by_id.values() if r.guest is not None)
        if skipped:
            log.warning("OpenTable reservations: %d malformed record(s) skipped", skipped)
        return PullResult(
            reservations=tuple(by_id.values()), guests=guests, watermark=watermark, pages=pages, skipped=skipped
        )

    async def pull_guests(self, *, updated_after: datetime | None) -> tuple[RemoteGuest, ...]:
        params: dict[str, Any] = {"rid": self.rid}
        if updated_after is not None:
            params["updated_after"] = _iso_utc(updated_after)
        by_id: dict[str, RemoteGuest] = {}
        skipped = 0
        async for items in self._pages(GUESTS_PATH, params, what="OpenTable guests"):
            mapped, bad = await asyncio.to_thread(map_page, items, guest_from_json, "OpenTable guest")
            skipped += bad
            for guest in mapped:
                seen = by_id.get(guest.external_id)
                if seen is None or guest.version >= seen.version:
                    by_id[guest.external_id] = guest
        self.last_guest_pull_skipped = skipped
        if skipped:
            log.warning("OpenTable guests: %d malformed record(s) skipped", skipped)
        return tuple(by_id.values())

    async def set_status(self, update: StatusUpdate, *, request_id: str) -> None:
        """Send the status with `X-Request-Id: request_id` (`arrived` goes as Pending: OpenTable has no such state)."""
        if opentable_word_for(update.status) is None:
            return
        body = resoupdate_body(update, rid=self.rid, tz=self._tz, now=self._clock.now())
        await self._call(
            "POST",
            RESOUPDATE_PATH,
            json_body=body,
            headers={"X-Request-Id": request_id},
            what="OpenTable status update",
        )

    async def pull_pos_data(
        self, *, updated_after: datetime | None, start_from: datetime, start_to: datetime
    ) -> tuple[RemotePosData, ...]:
        """`GET /sync/v2/pos-data` (documented read), every page, malformed records skipped with a warning."""
        params: dict[str, Any] = {
            "rid": self.rid,
            "scheduled_time_from": _iso_utc(start_from),
            "scheduled_time_to": _iso_utc(start_to),
        }
        if updated_after is not None:
            params["updated_after"] = _iso_utc(updated_after)
        out: list[RemotePosData] = []
        async for items in self._pages(POS_DATA_PATH, params, what="OpenTable POS data"):
            mapped, _bad = await asyncio.to_thread(map_page, items, pos_data_from_json, "OpenTable POS data record")
            out.extend(mapped)
        return tuple(out)

    async def send_pos_data(self, summary: PosCheckSummary, *, request_id: str) -> None:
        """Post what the POS closed the check with, with `X-Request-Id: request_id` (assumed write)."""
        await self._call(
            "POST",
            POS_DATA_PATH,
            json_body=pos_data_body(summary, rid=self.rid),
            headers={"X-Request-Id": request_id},
            what="OpenTable POS data",
        )

    async def probe(self) -> HealthProbe:
        started = time.perf_counter()
        try:
            await self._call("GET", RESERVATIONS_PATH, params={"rid": self.rid, "limit": 1}, what="OpenTable probe")
        except ConnectorError as exc:
            return HealthProbe(ok=False, detail=exc.message)
        return HealthProbe(ok=True, detail=f"OpenTable answered in {(time.perf_counter() - started) * 1000:.0f} ms")

    async def aclose(self) -> None:
        await self._http.aclose()


__all__ = [
    "OpenTableAdapter",
    "guest_from_json",
    "opentable_word_for",
    "reservation_from_json",
    "resoupdate_body",
    "status_from_opentable",
    "vip_tier_from_tags",
]
