"""Typed settings read from a TOML file: the restaurant, its floor plan, and which connectors to use.

Where things live (platformdirs), each overridable:
- config file: `--config PATH`, else `$HOSTSTAND_CONFIG`, else `<user config dir>/hoststand/config.toml`;
- data (the cache, backups, logs): `--data-dir PATH`, else `$HOSTSTAND_DATA_DIR`, else `<user data dir>/hoststand`.

Secrets are never in this file: client secrets live in the OS keyring (`hoststand/secrets.py`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from hoststand.domain.settings import RestaurantSettings

APP_NAME = "hoststand"
RESOURCES = Path(__file__).resolve().parent.parent / "resources"

EXAMPLE = """\
# hoststand configuration. Secrets are NOT kept here: store them with `hoststand set-secret booking|pos`.

[restaurant]
name = "The Corner Bistro"
timezone = "America/New_York"      # IANA time zone of the restaurant
service_day_rollover_hour = 4      # a service day runs past midnight until this local hour
floor_plan = "bistro.json"         # a file in resources/floorplans/, or a path to your own
hold_window_minutes = 30           # a table shows as held this long before its reservation
no_show_grace_minutes = 15
placeholders = true                # open a POS ticket ahead of each booked party (false: the POS stays read-only)
placeholder_lead_minutes = 30      # how long before the booking its placeholder opens

[booking]
kind = "opentable"
base_url = "https://platform.opentable.com"
oauth_url = "https://oauth.opentable.com"
client_id = "your-client-id"
rid = 0                            # your OpenTable restaurant id

[pos]
kind = "toast"
base_url = "https://ws-api.toasttab.com"
client_id = "your-client-id"
restaurant_guid = "your-restaurant-external-id"
allergy_item_name = "Allergy Alert"   # a $0 menu item whose special request prints allergies in the kitchen
"""


class ConfigError(Exception):
    """The configuration is missing or wrong; the message says what to do."""


@dataclass(frozen=True)
class ConnectorConfig:
    kind: str
    base_url: str
    client_id: str
    options: dict = field(default_factory=dict)  # vendor-specific: rid, restaurant_guid, oauth_url, …


@dataclass(frozen=True)
class Config:
    restaurant: RestaurantSettings
    floor_plan: Path
    booking: ConnectorConfig
    pos: ConnectorConfig
    source: Path | None = None


def default_config_path() -> Path:
    env = os.environ.get("HOSTSTAND_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def default_data_dir() -> Path:
    env = os.environ.get("HOSTSTAND_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_floor_plan(value: str, base: Path | None = None) -> Path:
    p = Path(value).expanduser()
    candidates = [p] if p.is_absolute() else [*(base / p for base in [base] if base), RESOURCES / "floorplans" / p, p]
    for c in candidates:
        if c.is_file():
            return c
    raise ConfigError(f"Floor plan '{value}' not found (looked in {', '.join(str(c) for c in candidates)}).")


def load_config(path: Path | None = None) -> Config:
    path = path or default_config_path()
    if not path.is_file():
        raise ConfigError(f"No configuration file at {path}.")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return config_from_dict(data, source=path)


def config_from_dict(data: dict, source: Path | None = None) -> Config:
    try:
        r = data["restaurant"]
        b = dict(data["booking"])
        p = dict(data["pos"])
    except KeyError as exc:
        raise ConfigError(f"The configuration needs a [{exc.args[0]}] section.") from exc
    tz = r.get("timezone", "America/New_York")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"Unknown time zone '{tz}' in [restaurant]: use an IANA name such as America/New_York.") from exc
    settings = RestaurantSettings(
        name=str(r.get("name", "Restaurant")),
        timezone=tz,
        service_day_rollover_hour=int(r.get("service_day_rollover_hour", 4)),
        hold_window=timedelta(minutes=int(r.get("hold_window_minutes", 30))),
        no_show_grace=timedelta(minutes=int(r.get("no_show_grace_minutes", 15))),
        placeholders=bool(r.get("placeholders", True)),
        placeholder_lead=timedelta(minutes=int(r.get("placeholder_lead_minutes", 30))),
        currency=str(r.get("currency", "USD")),
    )
    floor = resolve_floor_plan(str(r.get("floor_plan", "bistro.json")), source.parent if source else None)
    return Config(
        restaurant=settings,
        floor_plan=floor,
        booking=_connector(b, "booking"),
        pos=_connector(p, "pos"),
        source=source,
    )


def _connector(section: dict, name: str) -> ConnectorConfig:
    for key in ("kind", "base_url", "client_id"):
        if not section.get(key):
            raise ConfigError(f"[{name}] needs '{key}'.")
    kind = section.pop("kind")
    base_url = section.pop("base_url").rstrip("/")
    client_id = section.pop("client_id")
    if "client_secret" in section:
        raise ConfigError(
            f"[{name}] contains client_secret: secrets must not be kept in the configuration file. "
            f"Remove it and run `hoststand set-secret {name}` to store it in the OS keyring."
        )
    return ConnectorConfig(kind=kind, base_url=base_url, client_id=client_id, options=section)
