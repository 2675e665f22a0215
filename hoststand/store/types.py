"""Column types: timezone-aware UTC datetimes stored as sortable ISO text, JSON lists/dicts as text."""

from __future__ import annotations

import json

import orjson
from datetime import datetime

from sqlalchemy.types import String, Text, TypeDecorator

from hoststand.store.entities import from_utc_text, utc_text


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as 'YYYY-MM-DDTHH:MM:SS.ffffff+00:00' (fixed width, so text order is time order)."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone-aware UTC time")
        return utc_text(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return from_utc_text(value)


class JSONText(TypeDecorator):
    """Any JSON-serialisable value stored as text."""

    impl = Text
    cache_ok = True

    # as json.dumps(value, separators=(",", ":"), sort_keys=True, default=str) reads back, several times faster
    # (a pull writes thousands): datetimes and dataclasses still go through str(); text stays UTF-8
    _ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        try:
            return orjson.dumps(value, option=self._ORJSON, default=str).decode()
        except TypeError:  # what orjson refuses (an integer past 64 bits, say): the standard library
            return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return orjson.loads(value)  # the screens read thousands of these per refresh; several times faster
