"""Fixtures: a sandbox on loopback ports per test, a manual clock shared by the sandbox and the adapters."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hoststand.connectors.base import Credentials
from hoststand.connectors.booking.opentable import OpenTableAdapter
from hoststand.connectors.pos.toast import ToastAdapter
from hoststand.domain.clock import ManualClock
from hoststand.sandbox.server import SandboxServer, SeedOptions

NY = ZoneInfo("America/New_York")
EVENING = datetime(2026, 11, 27, 19, 30, tzinfo=NY)  # Friday: first seating done, later ones pending


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(EVENING)


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[SandboxServer]:
    with SandboxServer(booking="opentable", pos="toast", seed=SeedOptions(now=clock.now(), seed=7), clock=clock.now) as srv:
        yield srv


def opentable(srv: SandboxServer, clock: ManualClock, *, secret: str | None = None, rid: int | None = None, **kwargs) -> OpenTableAdapter:
    creds = srv.credentials["opentable"]
    return OpenTableAdapter(
        srv.urls["opentable"],
        Credentials(creds["client_id"], secret or creds["client_secret"]),
        rid if rid is not None else creds["rid"],
        clock=clock,
        **kwargs,
    )


def toast(srv: SandboxServer, clock: ManualClock, *, secret: str | None = None, **kwargs) -> ToastAdapter:
    creds = srv.credentials["toast"]
    return ToastAdapter(
        srv.urls["toast"],
        Credentials(creds["client_id"], secret or creds["client_secret"]),
        creds["restaurant_guid"],
        clock=clock,
        **kwargs,
    )


def run(coro):
    return asyncio.run(coro)
