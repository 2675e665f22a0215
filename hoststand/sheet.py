"""`hoststand sheet PATH.pdf`: print tonight's fallback sheet from the cache, with no network at all.

For when the host stand itself is about to fail (or has): it reads only the local cache of the configured
restaurant (or, with `--demo`, the demo's cache), so it works with both APIs down, and writes the PDF that
`ui/sheet.py` renders. Every problem a user can fix (no configuration, no cache yet, a damaged cache, a path
that cannot be written) is a plain message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hoststand.config import ConfigError, default_data_dir, load_config
from hoststand.domain.clock import Clock, SystemClock
from hoststand.domain.events import ChangeBus
from hoststand.domain.model import FloorLayout
from hoststand.domain.settings import RestaurantSettings

CACHE_NAME = "hoststand.sqlite"


class SheetError(Exception):
    """Something the user must fix; the message says what."""


@dataclass(frozen=True)
class SheetWritten:
    path: Path
    pages: int
    parties: int
    message: str


def _source(*, demo: bool, config_path: Path | None, data_dir: Path | None) -> tuple[RestaurantSettings, FloorLayout, Path]:
    """(settings, floor layout, cache file) of the configured restaurant, or of the demo."""
    from hoststand.app import AppError, load_layout

    base = Path(data_dir) if data_dir else default_data_dir()
    try:
        if demo:
            from hoststand.demo import DEMO_FLOOR, DEMO_SETTINGS

            return DEMO_SETTINGS, load_layout(DEMO_FLOOR), base / "demo" / CACHE_NAME
        try:
            config = load_config(config_path)
        except ConfigError as exc:
            raise SheetError(f"{exc} Set hoststand up first (`hoststand init`), or print the demo's sheet with --demo.") from exc
        return config.restaurant, load_layout(config.floor_plan), base / CACHE_NAME
    except AppError as exc:
        raise SheetError(str(exc)) from exc


def write_fallback_sheet(
    path: Path,
    *,
    demo: bool = False,
    config_path: Path | None = None,
    data_dir: Path | None = None,
    clock: Clock | None = None,
) -> SheetWritten:
    """Read the cache and write tonight's fallback sheet as a PDF at `path`."""
    from hoststand.services.operations import OperationsService
    from hoststand.store import StoreError, open_store

    settings, layout, cache = _source(demo=demo, config_path=config_path, data_dir=data_dir)
    if not cache.is_file():
        where = "the demo has not run on this computer yet (`hoststand demo`)" if demo else (
            "hoststand has not synced on this computer yet: open it once while the internet works"
        )
        raise SheetError(f"No cache at {cache}: {where}, so there is nothing to print.")
    try:
        store = open_store(cache)
    except StoreError as exc:
        raise SheetError(str(exc)) from exc
    try:
        ops = OperationsService(store, layout=layout, settings=settings, clock=clock or SystemClock(), bus=ChangeBus())
        sheet = ops.fallback_sheet()
        with store.read() as s:
            from hoststand.store import repos

            empty = repos.latest_service_date(s) is None
    finally:
        store.close()
    if empty:
        raise SheetError(f"The cache at {cache} holds no reservations yet: there is nothing to print.")

    from hoststand.ui.sheet import ensure_gui_app, write_sheet_pdf

    ensure_gui_app()
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        path = path.with_suffix(path.suffix + ".pdf") if path.suffix else path.with_suffix(".pdf")
    try:
        pages = write_sheet_pdf(sheet, path)
    except OSError as exc:
        raise SheetError(f"Could not write {path}: {exc.strerror or exc}.") from exc
    if not path.is_file() or path.stat().st_size == 0:
        raise SheetError(f"Could not write {path}: is the folder writable?")
    when = f"{sheet.service_date:%A %d %B}"
    note = "" if sheet.is_tonight else " (the last night in the cache, not tonight)"
    stale = " The reservations may be out of date." if sheet.stale and sheet.is_tonight else ""
    message = (
        f"Wrote {path}: {len(sheet.parties)} parties for {when}{note}, {pages} {'page' if pages == 1 else 'pages'}.{stale}"
    )
    return SheetWritten(path, pages, len(sheet.parties), message)
