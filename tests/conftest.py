"""Test isolation for every test (qutebrowser-style discipline).

- Qt renders offscreen; pytest-qt fails a test on Qt warnings and on exceptions raised in slots.
- Every path hoststand might write (config, data, cache, XDG dirs, HOME) points into the test's tmp dir.
- The OS keyring is replaced by an in-memory backend: tests never touch the user's real keyring.
- Network connections go only to loopback: anything else fails the test at once.
"""

from __future__ import annotations

import os
import socket

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_SCALE_FACTOR", "1")

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import pytest  # noqa: E402


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in memory only."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("HOSTSTAND_DATA_DIR", str(tmp_path / "hoststand-data"))
    monkeypatch.setenv("HOSTSTAND_CONFIG", str(tmp_path / "hoststand-config.toml"))
    return tmp_path


@pytest.fixture(autouse=True)
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _guard(address) -> None:
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        host = address[0]
        if host not in _LOOPBACK and not host.startswith("127."):
            raise ConnectionRefusedError(f"tests may only connect to 127.0.0.1, not {host}")


def _connect(self, address):
    _guard(address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _guard(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def loopback_only():
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


# ------------------------------------------------------------------------------ shared real parts

import json  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NY = ZoneInfo("America/New_York")
# Friday 27 November 2026, 19:00 in New York: mid-service.
EVENING = datetime(2026, 11, 27, 19, 0, tzinfo=NY)


@pytest.fixture
def layout():
    from hoststand.domain.floorplan import layout_from_dict

    return layout_from_dict(json.loads((ROOT / "resources" / "floorplans" / "bistro.json").read_text()))


@pytest.fixture
def settings():
    from hoststand.domain.settings import RestaurantSettings

    return RestaurantSettings(name="The Corner Bistro", timezone="America/New_York")


@pytest.fixture
def clock():
    from hoststand.domain.clock import ManualClock

    return ManualClock(EVENING)


@pytest.fixture
def store(tmp_path):
    from hoststand.store import open_store

    s = open_store(tmp_path / "cache.sqlite")
    yield s
    s.close()


@pytest.fixture
def anyio_backend():
    """Async tests (marked `anyio`) run on asyncio, like the app's qasync loop."""
    return "asyncio"
