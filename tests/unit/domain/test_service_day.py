"""The service day in the restaurant's time zone, across midnight and DST nights."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoststand.domain.service_day import (
    business_date_int,
    date_from_business_int,
    local,
    service_date,
    service_window,
)

UTC = timezone.utc
NY = "America/New_York"
LONDON = "Europe/London"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_after_midnight_belongs_to_the_evening_before():
    # 01:30 in New York on 2 June (EDT, UTC-4) is still the service of 1 June.
    assert service_date(utc(2024, 6, 2, 5, 30), NY, 4) == date(2024, 6, 1)
    # 04:00 starts the next service day.
    assert service_date(utc(2024, 6, 2, 8, 0), NY, 4) == date(2024, 6, 2)
    assert service_date(utc(2024, 6, 2, 7, 59, 59), NY, 4) == date(2024, 6, 1)


def test_rollover_at_midnight_means_the_calendar_date():
    assert service_date(utc(2024, 6, 2, 3, 59), NY, 0) == date(2024, 6, 1)  # 23:59 local
    assert service_date(utc(2024, 6, 2, 4, 0), NY, 0) == date(2024, 6, 2)


def test_local_converts_to_the_restaurant_clock():
    assert local(utc(2024, 1, 15, 12), NY) == datetime(2024, 1, 15, 7, tzinfo=ZoneInfo(NY))
    assert local(utc(2024, 7, 15, 12), ZoneInfo(LONDON)).hour == 13


def test_a_normal_window_is_24_hours():
    start, end = service_window(date(2024, 6, 1), NY, 4)
    assert (start, end) == (utc(2024, 6, 1, 8), utc(2024, 6, 2, 8))


@pytest.mark.parametrize(
    ("tz", "night", "hours"),
    [
        (NY, date(2024, 3, 9), 23),  # clocks spring forward at 02:00 on 10 March
        (NY, date(2024, 11, 2), 25),  # and fall back at 02:00 on 3 November
        (LONDON, date(2024, 3, 30), 23),  # 01:00 on 31 March
        (LONDON, date(2024, 10, 26), 25),  # 02:00 on 27 October
    ],
)
def test_dst_nights_are_23_or_25_hours(tz, night, hours):
    start, end = service_window(night, tz, 4)
    assert end - start == timedelta(hours=hours)
    assert local(start, tz).hour == 4 and local(end, tz).hour == 4


def test_spring_forward_night_in_new_york():
    night = date(2024, 3, 9)
    # 01:59 EST and 03:00 EDT are one minute apart and both before 04:00: the same night.
    assert service_date(utc(2024, 3, 10, 6, 59), NY, 4) == night
    assert service_date(utc(2024, 3, 10, 7, 0), NY, 4) == night
    assert service_date(utc(2024, 3, 10, 8, 0), NY, 4) == date(2024, 3, 10)  # 04:00 EDT


def test_fall_back_night_in_london_with_the_rollover_in_the_repeated_hour():
    # 01:00-02:00 happens twice on 27 October 2024; with rollover at 01:00 the first one starts the day.
    start, end = service_window(date(2024, 10, 26), LONDON, 1)
    assert end == utc(2024, 10, 27, 0, 0)  # 01:00 BST
    assert service_date(utc(2024, 10, 27, 0, 30), LONDON, 1) == date(2024, 10, 27)  # 01:30 BST
    assert service_date(utc(2024, 10, 27, 1, 30), LONDON, 1) == date(2024, 10, 27)  # 01:30 GMT


def test_rollover_inside_the_spring_forward_gap():
    # 02:00 does not exist in New York on 10 March 2024: the day starts at the first instant after it.
    _, end = service_window(date(2024, 3, 9), NY, 2)
    assert local(end, NY) == datetime(2024, 3, 10, 3, 0, tzinfo=ZoneInfo(NY))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.sampled_from([NY, LONDON, "Australia/Sydney", "Asia/Kolkata"]),
    st.integers(0, 6),
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)),
)
def test_property_every_instant_lies_in_its_service_window(tz, rollover, at):
    day = service_date(at, tz, rollover)
    start, end = service_window(day, tz, rollover)
    assert start <= at < end
    assert service_window(day + timedelta(days=1), tz, rollover)[0] == end  # windows meet exactly


def test_business_date_int():
    assert business_date_int(date(2024, 3, 9)) == 20240309
    assert date_from_business_int(20241231) == date(2024, 12, 31)
    with pytest.raises(ValueError):
        date_from_business_int(20241301)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        service_date(datetime(2024, 1, 1), NY, 4)
    with pytest.raises(ValueError, match="rollover hour"):
        service_window(date(2024, 1, 1), NY, 24)
