"""Connector factories keyed by vendor name, so that the composition root picks adapters from configuration.

    booking = make_booking("opentable", base_url=..., credentials=Credentials(...), rid=1234, clock=clock)
    pos = make_pos("toast", base_url=..., client_id=..., client_secret=..., restaurant_guid=..., tz=...)

`credentials` may be given as a `Credentials` or as `client_id` + `client_secret`. Every other setting is
passed to the adapter's constructor as is (see `OpenTableAdapter` and `ToastAdapter`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hoststand.connectors.base import BookingPort, Credentials, PosPort
from hoststand.connectors.booking.opentable import OpenTableAdapter
from hoststand.connectors.pos.toast import ToastAdapter

BOOKING_KINDS: dict[str, Callable[..., BookingPort]] = {"opentable": OpenTableAdapter}
POS_KINDS: dict[str, Callable[..., PosPort]] = {"toast": ToastAdapter}


def _with_credentials(settings: dict[str, Any]) -> dict[str, Any]:
    settings = dict(settings)
    if "credentials" not in settings:
        try:
            settings["credentials"] = Credentials(settings.pop("client_id"), settings.pop("client_secret"))
        except KeyError as missing:
            raise ValueError(f"connector settings need `credentials` or `client_id` and `client_secret` ({missing} missing)") from None
    return settings


def _make(kinds: dict[str, Callable[..., Any]], role: str, kind: str, settings: dict[str, Any]) -> Any:
    factory = kinds.get(kind.strip().lower())
    if factory is None:
        raise ValueError(f"unknown {role} connector {kind!r}; known: {', '.join(sorted(kinds))}")
    return factory(**_with_credentials(settings))


def make_booking(kind: str, **settings: Any) -> BookingPort:
    """A booking-platform adapter: "opentable"."""
    return _make(BOOKING_KINDS, "booking", kind, settings)


def make_pos(kind: str, **settings: Any) -> PosPort:
    """A POS adapter: "toast"."""
    return _make(POS_KINDS, "POS", kind, settings)
