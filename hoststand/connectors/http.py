"""Shared HTTP setup for the vendor adapters, and the one place that turns HTTP outcomes into port errors.

- `make_client`: an `httpx.AsyncClient` with a short connect timeout (3 s), a configurable read timeout,
  `User-Agent: hoststand/<version>`, and no automatic retries: the outbox replayer owns retries.
- `VendorHttp.send`: paces the request (`pacing.RatePacer`), sends it, logs method, path, status and
  duration (never bodies, never query strings: guest data), and maps the outcome:

  | outcome | read (GET) | write (POST, PUT, PATCH, DELETE) |
  | --- | --- | --- |
  | connect error, refused, DNS, connect/pool timeout | Unavailable | Unavailable |
  | read timeout, reset or protocol error after sending | Unavailable | UncertainOutcome |
  | 429 | RateLimited(retry_after from Retry-After, else the vendor's reset header) | same |
  | 401, 403 | AuthFailed (except 403 codes the vendor uses for a refusal, e.g. OpenTable `no_rid_routing` → Rejected) | same |
  | 404 | NotFound (except where the vendor documents a 404 as transient → Unavailable) | same |
  | other 4xx | Rejected(reason = the vendor's words, status, code); a duplicate idempotency handle → AlreadyApplied | same |
  | 5xx | Unavailable | UncertainOutcome |

Vendor quirks are data (`VendorErrorRules`), kept here beside the mapping so that it stays in one place.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import httpx
import orjson

from hoststand.connectors.base import (
    AlreadyApplied,
    AuthFailed,
    ConnectorError,
    NotFound,
    RateLimited,
    Rejected,
    Unavailable,
    UncertainOutcome,
)
from hoststand.connectors.pacing import PacingWait, RatePacer, parse_retry_after, reset_at

log = logging.getLogger("hoststand.connectors.http")

CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 15.0
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _version() -> str:
    try:
        return metadata.version("hoststand")
    except metadata.PackageNotFoundError:
        return "dev"


USER_AGENT = f"hoststand/{_version()}"


def make_client(
    base_url: str,
    *,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    connect_timeout: float = CONNECT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
    max_connections: int = 32,
) -> httpx.AsyncClient:
    """An AsyncClient for one vendor API. No retries (httpx's default transport retries nothing, and we say so)."""
    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout)
    if transport is None:
        transport = httpx.AsyncHTTPTransport(
            retries=0, limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        )
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
        follow_redirects=False,
    )


# -------------------------------------------------------------------------------------- vendor rules


@dataclass(frozen=True)
class VendorErrorRules:
    """What one vendor's error answers mean, beyond plain HTTP."""

    vendor: str
    # 403 codes that mean "refused for this request", not "your credentials are bad"
    forbidden_refusal_codes: frozenset[str] = frozenset()
    # (status, words) pairs: a 4xx whose message holds all the words means the idempotency handle was used
    duplicate_markers: tuple[tuple[int | None, tuple[str, ...]], ...] = ()
    # path prefixes where the vendor documents 404 as "try again later"
    transient_404_paths: tuple[str, ...] = ()
    # the vendor's rate-limit reset header (UNIX epoch), used when a 429 has no Retry-After
    reset_header: str | None = None


OPENTABLE_RULES = VendorErrorRules(
    vendor="opentable",
    forbidden_refusal_codes=frozenset({"no_rid_routing"}),
    # OpenTable's partner doc lists resoupdate's 404 as "DB is unavailable, try again later".
    transient_404_paths=("/resoupdate/",),
)

TOAST_RULES = VendorErrorRules(
    vendor="toast",
    # Toast: "If you submit an order with an externalId that already exists … the request will fail." The
    # status is not documented; a 409, or a 400 that names the externalId as existing/duplicate, is that.
    duplicate_markers=(
        (409, ()),
        (None, ("externalid", "already")),
        (None, ("externalid", "exist")),
        (None, ("externalid", "duplicate")),
        (None, ("externalid", "unique")),
    ),
    reset_header="X-Toast-RateLimit-Reset",
)


@dataclass(frozen=True)
class ErrorDetail:
    """What a vendor said in an error body: its words and its code (either may be missing)."""

    message: str = ""
    code: str | None = None


def error_detail(response: httpx.Response) -> ErrorDetail:
    """Read the vendor's words from an error body.

    OpenTable: {"error": "invalid_token", "message": "…"}. Toast ErrorMessage: {"status", "code", "message",
    "developerMessage", "errors": [ErrorMessage…]}. Anything else: no words.
    """
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return ErrorDetail()
    if not isinstance(body, Mapping):
        return ErrorDetail()
    code = body.get("error") if isinstance(body.get("error"), str) else None
    if code is None and body.get("code") not in (None, "", 0):
        code = str(body.get("code"))
    parts: list[str] = []
    for key in ("message", "developerMessage", "error_description", "detail"):
        value = body.get(key)
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors[:3]:
            if isinstance(item, Mapping):
                value = item.get("message") or item.get("detail")
                if isinstance(value, str) and value.strip() and value.strip() not in parts:
                    parts.append(value.strip())
    if not parts and code:
        parts.append(code)
    return ErrorDetail(message=" – ".join(parts)[:500], code=code)


def retry_after_seconds(response: httpx.Response, rules: VendorErrorRules, *, default: float = 1.0) -> float:
    now_wall = time.time()
    seconds = parse_retry_after(response.headers.get("Retry-After"), now_wall=now_wall)
    if seconds is None and rules.reset_header:
        reset = reset_at(response.headers.get(rules.reset_header), now_wall=now_wall)
        if reset is not None:
            seconds = max(0.0, reset - now_wall)
    return default if seconds is None else seconds


def error_for_status(
    rules: VendorErrorRules, response: httpx.Response, *, write: bool, path: str, what: str | None = None
) -> ConnectorError:
    """Map a non-2xx response to the port error that says what the caller should do."""
    vendor = rules.vendor
    status = response.status_code
    detail = error_detail(response)
    words = detail.message or response.reason_phrase or f"HTTP {status}"
    doing = f"{what}: " if what else ""
    if status == 429:
        seconds = retry_after_seconds(response, rules)
        return RateLimited(vendor, f"{doing}rate limited (HTTP 429); retry in {seconds:.1f} s", retry_after=seconds)
    if status in (401, 403):
        if status == 403 and detail.code in rules.forbidden_refusal_codes:
            return Rejected(vendor, words, status=status, code=detail.code)
        return AuthFailed(vendor, f"{doing}credentials refused (HTTP {status}{', ' + detail.code if detail.code else ''}): {words}")
    if status == 404:
        if any(path.startswith(prefix) for prefix in rules.transient_404_paths) and not _says_not_found(words):
            return Unavailable(vendor, f"{doing}HTTP 404, which {vendor} documents as 'try again later': {words}")
        return NotFound(vendor, words, status=status, code=detail.code)
    if 400 <= status < 500:
        if _is_duplicate(rules, status, detail):
            return AlreadyApplied(vendor, words, status=status, code=detail.code)
        return Rejected(vendor, words, status=status, code=detail.code)
    if write:
        return UncertainOutcome(vendor, f"{doing}HTTP {status} after the request was sent: {words}")
    return Unavailable(vendor, f"{doing}HTTP {status}: {words}")


def _says_not_found(words: str) -> bool:
    lowered = words.lower()
    return "not found" in lowered or "does not exist" in lowered or "unknown" in lowered


def _is_duplicate(rules: VendorErrorRules, status: int, detail: ErrorDetail) -> bool:
    text = f"{detail.message} {detail.code or ''}".lower().replace("_", "").replace(" id", "id")
    for marker_status, marker_words in rules.duplicate_markers:
        if marker_status is not None and marker_status != status:
            continue
        if all(word in text for word in marker_words):
            return True
    return False


def error_for_transport(vendor: str, exc: httpx.TransportError, *, write: bool, what: str | None = None) -> ConnectorError:
    """Map an exception raised before a response arrived. Only errors after sending can leave a write applied."""
    doing = f"{what}: " if what else ""
    kind = type(exc).__name__
    not_sent = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol, httpx.ProxyError)
    if isinstance(exc, not_sent):
        return Unavailable(vendor, f"{doing}could not connect ({kind})")
    if write:
        return UncertainOutcome(vendor, f"{doing}no answer after the request was sent ({kind}); it may have been applied")
    return Unavailable(vendor, f"{doing}no answer ({kind})")


# ------------------------------------------------------------------------------------------ sender


@dataclass
class VendorHttp:
    """One vendor's HTTP channel: pacing, logging and error mapping around an `httpx.AsyncClient`."""

    rules: VendorErrorRules
    client: httpx.AsyncClient
    pacer: RatePacer | None = None
    owns_client: bool = True
    pacers_by_path: dict[str, RatePacer] = field(default_factory=dict)  # path prefix → its own pacer

    @property
    def vendor(self) -> str:
        return self.rules.vendor

    def _pacer_for(self, path: str) -> RatePacer | None:
        for prefix, pacer in self.pacers_by_path.items():
            if path.startswith(prefix):
                return pacer
        return self.pacer

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        paced: bool = True,
        check: bool = True,
        what: str | None = None,
    ) -> httpx.Response:
        """Send one request. With `check`, a non-2xx answer raises the mapped port error."""
        method = method.upper()
        write = method not in _READ_METHODS
        pacer = self._pacer_for(path) if paced else None
        ticket: int | None = None
        if pacer is not None:
            try:
                ticket = await pacer.acquire()
            except PacingWait as wait:
                raise RateLimited(self.vendor, f"holding back to stay under the rate limit ({wait})", retry_after=wait.wait) from None
        started = time.perf_counter()
        try:
            response = await self.client.request(
                method,
                path,
                params=params,
                json=json_body,
                headers=headers,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else _timeout_with_read(self.client, timeout),
            )
        except httpx.TransportError as exc:
            if pacer is not None:
                pacer.observe(ticket)
            log.warning(
                "%s %s %s failed after %.0f ms: %s", self.vendor, method, path, (time.perf_counter() - started) * 1000, type(exc).__name__
            )
            raise error_for_transport(self.vendor, exc, write=write, what=what) from exc
        except BaseException:
            if pacer is not None:
                pacer.observe(ticket)
            raise
        elapsed_ms = (time.perf_counter() - started) * 1000
        if pacer is not None:
            pacer.observe(ticket, response.status_code, response.headers)
        level = logging.DEBUG if response.status_code < 400 else logging.WARNING
        log.log(level, "%s %s %s → %d in %.0f ms", self.vendor, method, path, response.status_code, elapsed_ms)
        if check and response.status_code >= 300:
            raise error_for_status(self.rules, response, write=write, path=path, what=what)
        return response

    def error_for(self, response: httpx.Response, *, what: str | None = None) -> ConnectorError:
        method = response.request.method.upper()
        return error_for_status(
            self.rules, response, write=method not in _READ_METHODS, path=response.request.url.path, what=what
        )

    def json(self, response: httpx.Response, *, what: str | None = None, shape: Any = None) -> Any:
        """Parse a 2xx body. Unparseable: for a write it may have landed (UncertainOutcome), for a read Unavailable.

        Numbers with a fraction come back as floats: `fields.to_decimal` turns one back into the exact amount
        through its shortest repr, which is exact for any amount of up to 15 significant digits.

        `shape`: a msgspec decoder for the part of the document the adapter reads (e.g.
        `toast_shapes.ORDERS_PAGE`); a body that does not fit it is parsed in full as usual."""
        if shape is not None:
            from msgspec import MsgspecError  # (loaded with the shape's module already)

            try:
                return shape.decode(response.content)
            except MsgspecError:
                pass
        try:
            return orjson.loads(response.content)  # several times faster than json on the big pulls
        except orjson.JSONDecodeError:
            pass  # what orjson refuses and json reads (an integer past 64 bits, NaN), or nothing readable
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            doing = f"{what}: " if what else ""
            if response.request.method.upper() in _READ_METHODS:
                raise Unavailable(self.vendor, f"{doing}the answer was not readable JSON") from None
            raise UncertainOutcome(self.vendor, f"{doing}the request was accepted but the answer was not readable JSON") from None

    async def aclose(self) -> None:
        if self.owns_client:
            await self.client.aclose()


def _timeout_with_read(client: httpx.AsyncClient, read: float) -> httpx.Timeout:
    base = client.timeout
    return httpx.Timeout(connect=base.connect, read=read, write=base.write, pool=base.pool)


def basic_auth_header(client_id: str, client_secret: str) -> str:
    token = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
    return f"Basic {token}"

