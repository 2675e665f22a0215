"""Fixtures: a sandbox per test, on free loopback ports, driven by a manual clock the test controls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hoststand.domain.clock import ManualClock
from hoststand.sandbox.server import SandboxServer, SeedOptions

from .helpers import local


@pytest.fixture
def clock() -> ManualClock:
    """Friday 16:00 in New York: before service, nothing seated yet."""
    return ManualClock(local(16, 0))


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[SandboxServer]:
    with SandboxServer(booking="opentable", pos="toast", seed=SeedOptions(now=clock.now(), seed=7),
                       clock=clock.now) as srv:
        yield srv


@pytest.fixture
def evening_clock() -> ManualClock:
    """Friday 19:30: first seating done or seated, later ones pending."""
    return ManualClock(local(19, 30))


@pytest.fixture
def evening(evening_clock: ManualClock) -> Iterator[SandboxServer]:
    with SandboxServer(seed=SeedOptions(now=evening_clock.now(), seed=7), clock=evening_clock.now) as srv:
        yield srv
