"""Tests for alliance._periods: aware instants, calendar periods, windows and payout schedules."""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from alliance import _periods
from alliance._periods import (
    Period,
    PeriodKind,
    from_micros,
    period_index,
    period_of,
    periods_between,
    require_aware,
    shift,
    shift_days_us,
    to_micros,
    zone,
)
from alliance._schedules import PayoutSchedule
from alliance.errors import TimezoneError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
US = timedelta(microseconds=1)

#: Zones with every kind of trouble: DST both ways, midnight skipped or repeated, a midnight
#: inside a gap (Toronto 1919), local dates running backwards (St John's), a skipped day (Apia).
TRICKY_ZONES = [
    "UTC",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "America/Santiago",
    "Asia/Beirut",
    "America/Havana",
    "America/St_Johns",
    "America/Toronto",
    "Australia/Lord_Howe",
    "Pacific/Apia",
]
CALENDAR_KINDS: list[PeriodKind] = ["day", "week", "month", "quarter", "year"]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *rest: int) -> datetime:
    second, micro = (*rest, 0, 0)[:2]
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


# --- zones and aware instants ----------------------------------------------------------------


def test_zone_resolves_iana_names_and_passes_tzinfo_through() -> None:
    assert zone("Asia/Shanghai") == SHANGHAI
    assert zone("UTC").utcoffset(datetime(2026, 1, 1)) == timedelta(0)
    assert zone(UTC) is UTC
    assert zone(NEW_YORK) is NEW_YORK


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd", "America", "utc "])
def test_unknown_zone_is_refused_with_its_name(name: str) -> None:
    with pytest.raises(TimezoneError, match="is not a") as info:
        zone(name)
    assert repr(name) in str(info.value)


def test_unknown_zone_is_refused_by_every_entry_point() -> None:
    ts = utc(2026, 10, 1)
    with pytest.raises(TimezoneError, match="'Mars/Base' is not a known IANA time zone"):
        Period.month(2026, 10, tz="Mars/Base")
    with pytest.raises(TimezoneError, match="Mars/Base"):
        period_of(ts, "month", "Mars/Base")
    with pytest.raises(TimezoneError, match="Mars/Base"):
        shift(ts, tz="Mars/Base", days=1)
    with pytest.raises(TimezoneError, match="Mars/Base"):
        from_micros(0, "Mars/Base")
    with pytest.raises(ValidationError, match="Mars/Base"):
        Period(kind="custom", start=ts, end=ts + DAY, tz="Mars/Base")
    with pytest.raises(ValidationError, match="Mars/Base"):
        PayoutSchedule(rule="FREQ=DAILY", tz="Mars/Base", dtstart=ts)


def test_zone_refuses_a_value_that_is_not_a_zone() -> None:
    with pytest.raises(TimezoneError, match=r"tz=8 is not a time zone"):
        zone(8)  # type: ignore[arg-type]


def test_a_fixed_offset_has_no_name_for_a_period() -> None:
    with pytest.raises(TimezoneError, match="has no IANA name"):
        Period.month(2026, 10, tz=timezone(timedelta(hours=8)))


NAIVE = datetime(2026, 10, 1, 12, 0)
AWARE = datetime(2026, 10, 1, 12, 0, tzinfo=SHANGHAI)
MONTHLY = PayoutSchedule(rule="FREQ=MONTHLY;BYMONTHDAY=15", tz="Asia/Shanghai", dtstart=AWARE)
OCTOBER = Period.month(2026, 10, tz="Asia/Shanghai")

NAIVE_CALLS: list[tuple[str, Callable[[], object]]] = [
    ("ts", lambda: require_aware(NAIVE)),
    ("paid_at", lambda: require_aware(NAIVE, name="paid_at")),
    ("value", lambda: to_micros(NAIVE)),
    ("ts", lambda: shift(NAIVE, tz="UTC", days=1)),
    ("start", lambda: Period.custom(NAIVE, AWARE)),
    ("end", lambda: Period.custom(AWARE, NAIVE)),
    ("ts", lambda: Period.starting(NAIVE, tz="UTC", days=30)),
    ("ts", lambda: period_of(NAIVE, "month", "UTC")),
    ("start", lambda: periods_between(NAIVE, AWARE, "day", tz="UTC")),
    ("end", lambda: periods_between(AWARE, NAIVE, "day", tz="UTC")),
    ("ts", lambda: OCTOBER.contains(NAIVE)),
    ("ts", lambda: NAIVE in OCTOBER),
    ("start", lambda: MONTHLY.occurrences(NAIVE, AWARE)),
    ("end", lambda: MONTHLY.occurrences(AWARE, NAIVE)),
    ("after", lambda: MONTHLY.next(NAIVE)),
    ("before", lambda: MONTHLY.previous(NAIVE)),
]


@pytest.mark.parametrize(("name", "call"), NAIVE_CALLS)
def test_naive_datetimes_are_refused_everywhere(name: str, call: Callable[[], object]) -> None:
    with pytest.raises(TimezoneError) as info:
        call()
    message = str(info.value)
    assert message.startswith(f"{name}=datetime.datetime(2026, 10, 1, 12, 0) is naive")
    assert "attach a time zone" in message


def test_models_refuse_naive_datetimes() -> None:
    with pytest.raises(ValidationError, match="timezone info"):
        Period(kind="custom", start=NAIVE, end=AWARE, tz="UTC")
    with pytest.raises(ValidationError, match="timezone info"):
        PayoutSchedule(rule="FREQ=DAILY", tz="UTC", dtstart=NAIVE)


@pytest.mark.parametrize(
    ("value", "kind"), [(date(2026, 10, 1), "date"), ("2026-10-01", "str"), (None, "NoneType")]
)
def test_non_datetimes_are_refused(value: object, kind: str) -> None:
    with pytest.raises(TimezoneError, match=f"is a {kind}, not a datetime"):
        require_aware(value, name="ts")  # type: ignore[arg-type]


def test_require_aware_returns_the_same_object() -> None:
    assert require_aware(AWARE) is AWARE


# --- microseconds ------------------------------------------------------------------------------


def test_to_micros_hand_computed() -> None:
    assert to_micros(utc(2026, 10, 1)) == 1_790_812_800_000_000
    assert to_micros(datetime(2026, 10, 1, 8, tzinfo=SHANGHAI)) == 1_790_812_800_000_000
    assert to_micros(utc(1970, 1, 1)) == 0
    assert to_micros(datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == -1
    assert to_micros(datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == (
        253_402_300_799_999_999
    )


def test_from_micros_hand_computed() -> None:
    assert from_micros(1_790_812_800_000_000) == utc(2026, 10, 1)
    shanghai = from_micros(1_790_812_800_000_000, "Asia/Shanghai")
    assert shanghai.isoformat() == "2026-10-01T08:00:00+08:00"
    assert from_micros(np.int64(-1)) == datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


def test_from_micros_refuses_instants_outside_the_datetime_range() -> None:
    with pytest.raises(OverflowError, match=r"us=\d+ is outside the range of datetime"):
        from_micros(2**62)


@pytest.mark.parametrize("bad", [1.5, True, "0", None])
def test_from_micros_refuses_non_integers(bad: object) -> None:
    with pytest.raises(TypeError, match="must be an integer count of microseconds"):
        from_micros(bad)  # type: ignore[arg-type]


@given(
    moment=st.datetimes(
        min_value=datetime(1800, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from([ZoneInfo(name) for name in TRICKY_ZONES]),
        allow_imaginary=False,
    )
)
def test_to_micros_matches_calendar_arithmetic_and_round_trips(moment: datetime) -> None:
    expected = calendar.timegm(moment.utctimetuple()) * 1_000_000 + moment.microsecond
    assert to_micros(moment) == expected
    back = from_micros(expected, moment.tzinfo or UTC)
    assert back == moment
    assert back.utcoffset() == moment.utcoffset()


@given(
    us=st.integers(min_value=to_micros(utc(1, 1, 2)), max_value=to_micros(utc(9999, 12, 30))),
    name=st.sampled_from(TRICKY_ZONES),
)
def test_from_micros_round_trips_exactly(us: int, name: str) -> None:
    moment = from_micros(us, name)
    assert moment.tzinfo == ZoneInfo(name)
    assert to_micros(moment) == us


# --- calendar periods: hand-computed instants -------------------------------------------------

HAND_COMPUTED: list[tuple[Period, datetime, datetime]] = [
    (OCTOBER, utc(2026, 9, 30, 16), utc(2026, 10, 31, 16)),
    (Period.month(2026, 10, tz="America/Sao_Paulo"), utc(2026, 10, 1, 3), utc(2026, 11, 1, 3)),
    (Period.day(2026, 3, 8, tz="America/New_York"), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)),
    (Period.day(2026, 11, 1, tz="America/New_York"), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),
    (Period.day(2026, 3, 29, tz="Europe/London"), utc(2026, 3, 29), utc(2026, 3, 29, 23)),
    (Period.day(2026, 10, 25, tz="Europe/London"), utc(2026, 10, 24, 23), utc(2026, 10, 26)),
    # Midnight skipped (clocks jump 00:00 -> 01:00): the day starts at 01:00 local.
    (Period.day(2026, 9, 6, tz="America/Santiago"), utc(2026, 9, 6, 4), utc(2026, 9, 7, 3)),
    (Period.day(2022, 3, 27, tz="Asia/Beirut"), utc(2022, 3, 26, 22), utc(2022, 3, 27, 21)),
    (Period.day(2026, 3, 8, tz="America/Havana"), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)),
    # Clocks go back at midnight (24:00 -> 23:00): the day before has 25 hours.
    (Period.day(2026, 4, 4, tz="America/Santiago"), utc(2026, 4, 4, 3), utc(2026, 4, 5, 4)),
    (Period.day(2021, 10, 30, tz="Asia/Beirut"), utc(2021, 10, 29, 21), utc(2021, 10, 30, 22)),
    # Midnight happens twice (01:00 -> 00:00): the day starts at the first one.
    (Period.day(2026, 11, 1, tz="America/Havana"), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),
    # Clocks jumped 23:30 -> 00:30: the day starts at 00:30 local, not at fold=0's 01:00.
    (Period.day(1919, 3, 31, tz="America/Toronto"), utc(1919, 3, 31, 4, 30), utc(1919, 4, 1, 4)),
    (Period.day(1919, 3, 30, tz="America/Toronto"), utc(1919, 3, 30, 5), utc(1919, 3, 31, 4, 30)),
    # Clocks went back 00:01 -> 23:01: the day starts at the first midnight and has 25 hours.
    (
        Period.day(2010, 11, 7, tz="America/St_Johns"),
        utc(2010, 11, 7, 2, 30),
        utc(2010, 11, 8, 3, 30),
    ),
    (Period.week(2026, 1, tz="UTC"), utc(2025, 12, 29), utc(2026, 1, 5)),
    (Period.week(2026, 53, tz="UTC"), utc(2026, 12, 28), utc(2027, 1, 4)),
    (Period.quarter(2026, 4, tz="Asia/Shanghai"), utc(2026, 9, 30, 16), utc(2026, 12, 31, 16)),
    (Period.quarter(2026, 1, tz="America/New_York"), utc(2026, 1, 1, 5), utc(2026, 4, 1, 4)),
    (Period.year(2026, tz="America/New_York"), utc(2026, 1, 1, 5), utc(2027, 1, 1, 5)),
    (Period.month(2028, 2, tz="Asia/Shanghai"), utc(2028, 1, 31, 16), utc(2028, 2, 29, 16)),
]


@pytest.mark.parametrize(("period", "start", "end"), HAND_COMPUTED, ids=str)
def test_calendar_periods_start_and_end_at_hand_computed_instants(
    period: Period, start: datetime, end: datetime
) -> None:
    assert period.start == start
    assert period.end == end
    assert period.start.tzinfo is UTC
    assert period.start_us == to_micros(start)
    assert period.end_us == to_micros(end)
    assert period_of(start, period.kind, period.tz) == period
    assert period_of(end - US, period.kind, period.tz) == period


@pytest.mark.parametrize(
    ("period", "hours"),
    [
        (Period.day(2026, 3, 8, tz="America/New_York"), 23),
        (Period.day(2026, 11, 1, tz="America/New_York"), 25),
        (Period.day(2026, 3, 29, tz="Europe/London"), 23),
        (Period.day(2026, 10, 25, tz="Europe/London"), 25),
        (Period.day(2026, 10, 24, tz="Europe/London"), 24),
        (Period.day(2026, 3, 8, tz="Asia/Shanghai"), 24),
        (Period.month(2026, 2, tz="UTC"), 28 * 24),
        (Period.month(2028, 2, tz="UTC"), 29 * 24),
        (Period.month(2026, 3, tz="America/New_York"), 31 * 24 - 1),
        (Period.year(2026, tz="America/New_York"), 365 * 24),
        (Period.year(2028, tz="UTC"), 366 * 24),
        (Period.day(1919, 3, 31, tz="America/Toronto"), 23.5),
    ],
    ids=str,
)
def test_durations_follow_the_local_calendar(period: Period, hours: float) -> None:
    assert period.duration == timedelta(hours=hours)


def test_the_same_month_is_a_different_instant_in_each_zone() -> None:
    shanghai = Period.month(2026, 10, tz="Asia/Shanghai")
    sao_paulo = Period.month(2026, 10, tz="America/Sao_Paulo")
    assert shanghai.label == sao_paulo.label == "2026-10"
    assert sao_paulo.start - shanghai.start == timedelta(hours=11)
    assert shanghai != sao_paulo


def test_local_start_and_end_are_in_the_zone() -> None:
    assert OCTOBER.local_start == datetime(2026, 10, 1, tzinfo=SHANGHAI)
    assert OCTOBER.local_start.tzinfo == SHANGHAI
    assert OCTOBER.local_end.isoformat() == "2026-11-01T00:00:00+08:00"
    toronto = Period.day(1919, 3, 31, tz="America/Toronto")
    assert toronto.local_start.isoformat() == "1919-03-31T00:30:00-04:00"


def test_a_day_the_clocks_skipped_does_not_exist() -> None:
    with pytest.raises(TimezoneError, match="2011-12-30 does not exist in Pacific/Apia"):
        Period.day(2011, 12, 30, tz="Pacific/Apia")
    before = Period.day(2011, 12, 29, tz="Pacific/Apia")
    after = Period.day(2011, 12, 31, tz="Pacific/Apia")
    assert before.duration == after.duration == DAY
    assert before.next() == after
    assert after.previous() == before
    assert Period.month(2011, 12, tz="Pacific/Apia").duration == 30 * DAY


def test_an_instant_reading_yesterday_after_midnight_belongs_to_the_new_day() -> None:
    # St John's, 2010-11-07: at 00:01 the clocks went back to 23:01 on the 6th.
    ts = utc(2010, 11, 7, 2, 45)
    assert ts.astimezone(ZoneInfo("America/St_Johns")).date() == date(2010, 11, 6)
    day = period_of(ts, "day", "America/St_Johns")
    assert day.label == "2010-11-07"
    assert ts in day
    codes, periods = period_index(np.array([to_micros(ts)]), "day", tz="America/St_Johns")
    assert periods[int(codes[0])] == day


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Period.day(2026, 2, 29, tz="UTC"), "year=2026, month=2, day=29 is not a date"),
        (lambda: Period.month(2026, 13, tz="UTC"), "month=13"),
        (lambda: Period.quarter(2026, 5, tz="UTC"), "quarter=5 must be 1, 2, 3 or 4"),
        (lambda: Period.week(2025, 53, tz="UTC"), "iso_year=2025, iso_week=53 is not a week"),
        (lambda: Period.year(0, tz="UTC"), "year=0"),
    ],
)
def test_factories_refuse_impossible_dates(factory: Callable[[], Period], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        factory()


# --- labels, str, next / previous ------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (Period.day(2026, 10, 5, tz="Asia/Shanghai"), "2026-10-05"),
        (Period.week(2026, 41, tz="Asia/Shanghai"), "2026-W41"),
        (Period.week(2026, 1, tz="UTC"), "2026-W01"),
        (OCTOBER, "2026-10"),
        (Period.quarter(2026, 4, tz="Asia/Shanghai"), "2026-Q4"),
        (Period.year(2026, tz="Asia/Shanghai"), "2026"),
        (
            Period.custom(
                datetime(2026, 10, 5, tzinfo=SHANGHAI),
                datetime(2026, 10, 12, tzinfo=SHANGHAI),
                tz="Asia/Shanghai",
            ),
            "2026-10-05T00:00+08:00/2026-10-12T00:00+08:00",
        ),
        (
            Period.custom(utc(2026, 1, 1, 0, 0, 30), utc(2026, 1, 2)),
            "2026-01-01T00:00:30+00:00/2026-01-02T00:00+00:00",
        ),
    ],
    ids=str,
)
def test_labels(period: Period, label: str) -> None:
    assert period.label == label


def test_a_label_follows_the_bounds_of_a_copy() -> None:
    october = Period.month(2026, 10, tz="Asia/Shanghai")
    november = Period.month(2026, 11, tz="Asia/Shanghai")
    assert october.label == "2026-10"
    moved = october.model_copy(update={"start": november.start, "end": november.end})
    assert moved.label == "2026-11"
    assert october.label == "2026-10"


def test_str_is_readable() -> None:
    assert str(OCTOBER) == "month 2026-10 (Asia/Shanghai)"
    assert str(Period.week(2026, 41, tz="UTC")) == "week 2026-W41 (UTC)"


def test_week_of_a_monday_is_that_iso_week() -> None:
    monday = datetime(2026, 10, 5, 9, tzinfo=SHANGHAI)
    assert period_of(monday, "week", "Asia/Shanghai") == Period.week(2026, 41, tz="Asia/Shanghai")
    sunday_night = datetime(2026, 10, 4, 23, 59, tzinfo=SHANGHAI)
    assert period_of(sunday_night, "week", "Asia/Shanghai").label == "2026-W40"


def test_month_chain_covers_a_year_without_gaps() -> None:
    month = Period.month(2026, 1, tz="Asia/Shanghai")
    labels = []
    for _ in range(12):
        following = month.next()
        assert following.start == month.end
        assert following.previous() == month
        labels.append(following.label)
        month = following
    assert labels[0] == "2026-02"
    assert labels[-1] == "2027-01"
    assert month == Period.month(2027, 1, tz="Asia/Shanghai")


def test_day_chain_through_dst_has_24_23_24_hour_days() -> None:
    day = Period.day(2026, 3, 7, tz="America/New_York")
    durations = [day.duration, day.next().duration, day.next().next().duration]
    assert durations == [24 * HOUR, 23 * HOUR, 24 * HOUR]


@pytest.mark.parametrize(
    ("period", "following", "preceding"),
    [
        (Period.week(2026, 52, tz="UTC"), "2026-W53", "2026-W51"),
        (Period.week(2026, 53, tz="UTC"), "2027-W01", "2026-W52"),
        (Period.quarter(2026, 4, tz="Asia/Shanghai"), "2027-Q1", "2026-Q3"),
        (Period.quarter(2026, 1, tz="Asia/Shanghai"), "2026-Q2", "2025-Q4"),
        (Period.year(2026, tz="UTC"), "2027", "2025"),
        (Period.month(2028, 2, tz="UTC"), "2028-03", "2028-01"),
        (Period.day(2028, 2, 29, tz="UTC"), "2028-03-01", "2028-02-28"),
    ],
    ids=str,
)
def test_next_and_previous_cross_year_boundaries(
    period: Period, following: str, preceding: str
) -> None:
    assert period.next().label == following
    assert period.previous().label == preceding
    assert period.next().previous() == period


def test_custom_next_and_previous_are_adjacent_windows_of_equal_length() -> None:
    window = Period.custom(utc(2026, 10, 1), utc(2026, 10, 8, 12), tz="Asia/Shanghai")
    assert window.next() == Period.custom(utc(2026, 10, 8, 12), utc(2026, 10, 16), tz=SHANGHAI)
    assert window.previous() == Period.custom(utc(2026, 9, 23, 12), utc(2026, 10, 1), tz=SHANGHAI)
    assert window.next().kind == "custom"


# --- contains, period_of, periods_between ------------------------------------------------------


@pytest.mark.parametrize("period", [OCTOBER, Period.day(2026, 3, 8, tz="America/New_York")])
def test_contains_is_half_open(period: Period) -> None:
    assert period.contains(period.start)
    assert period.start in period
    assert period.end - US in period
    assert period.end not in period
    assert period.start - US not in period
    assert period.start.astimezone(SHANGHAI) in period


@pytest.mark.parametrize("kind", CALENDAR_KINDS)
@pytest.mark.parametrize("name", ["Asia/Shanghai", "America/New_York", "America/Santiago"])
def test_period_of_at_and_just_before_a_boundary(kind: PeriodKind, name: str) -> None:
    period = period_of(utc(2026, 10, 1), kind, name)
    assert period_of(period.start, kind, name) == period
    assert period_of(period.start - US, kind, name) == period.previous()
    assert period_of(period.end, kind, name) == period.next()
    assert period_of(period.end - US, kind, name) == period


@pytest.mark.parametrize(
    ("kind", "message"),
    [("custom", "kind='custom' has no calendar"), ("fortnight", "kind='fortnight' is not")],
)
def test_period_of_refuses_custom_and_unknown_kinds(kind: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        period_of(utc(2026, 10, 1), kind, "UTC")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        periods_between(utc(2026, 10, 1), utc(2026, 10, 2), kind, tz="UTC")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        period_index(np.array([0]), kind, tz="UTC")  # type: ignore[arg-type]


def test_periods_between_lists_every_overlapping_period() -> None:
    start = datetime(2026, 9, 15, tzinfo=SHANGHAI)
    november = datetime(2026, 11, 1, tzinfo=SHANGHAI)
    labels = [p.label for p in periods_between(start, november, "month", tz="Asia/Shanghai")]
    assert labels == ["2026-09", "2026-10"]
    longer = periods_between(start, november + US, "month", tz="Asia/Shanghai")
    assert [p.label for p in longer] == ["2026-09", "2026-10", "2026-11"]
    days = periods_between(utc(2026, 3, 7, 12), utc(2026, 3, 9, 12), "day", tz=NEW_YORK)
    assert [p.label for p in days] == ["2026-03-07", "2026-03-08", "2026-03-09"]
    assert periods_between(start, start, "month", tz="Asia/Shanghai") == []


def test_periods_between_refuses_a_reversed_interval() -> None:
    with pytest.raises(ValueError, match="is before start="):
        periods_between(utc(2026, 10, 2), utc(2026, 10, 1), "day", tz="UTC")


# --- the model --------------------------------------------------------------------------------


def test_equality_does_not_depend_on_how_a_period_was_built() -> None:
    by_name = Period.month(2026, 10, tz="Asia/Shanghai")
    by_zone = Period.month(2026, 10, tz=SHANGHAI)
    by_hand = Period(
        kind="month",
        start=datetime(2026, 10, 1, tzinfo=SHANGHAI),
        end=datetime(2026, 11, 1, tzinfo=SHANGHAI),
        tz="Asia/Shanghai",
    )
    assert by_name == by_zone == by_hand
    assert hash(by_name) == hash(by_hand)
    assert by_hand.start.tzinfo is UTC
    local = Period.custom(
        datetime(2026, 10, 5, tzinfo=SHANGHAI), datetime(2026, 10, 6, tzinfo=SHANGHAI)
    )
    assert local == Period.custom(utc(2026, 10, 4, 16), utc(2026, 10, 5, 16))


def test_model_refuses_inconsistent_periods() -> None:
    with pytest.raises(ValidationError, match="is not a calendar month in Asia/Shanghai"):
        Period(kind="month", start=utc(2026, 10, 1), end=utc(2026, 11, 1), tz="Asia/Shanghai")
    with pytest.raises(ValidationError, match="must be before end="):
        Period(kind="custom", start=utc(2026, 10, 1), end=utc(2026, 10, 1), tz="UTC")
    with pytest.raises(ValidationError, match="must be before end="):
        Period.custom(utc(2026, 10, 2), utc(2026, 10, 1))
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Period(kind="custom", start=utc(2026, 10, 1), end=utc(2026, 10, 2), tz="UTC", x=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="kind"):
        Period(kind="fortnight", start=utc(2026, 10, 1), end=utc(2026, 10, 2), tz="UTC")


def test_period_is_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        OCTOBER.tz = "UTC"  # type: ignore[misc]


@pytest.mark.parametrize(
    "period",
    [
        OCTOBER,
        Period.day(2026, 11, 1, tz="America/Havana"),
        Period.week(2026, 53, tz="Europe/London"),
        Period.day(1919, 3, 31, tz="America/Toronto"),
        Period.custom(utc(2026, 10, 1, 0, 0, 0, 1), utc(2026, 10, 31), tz="Asia/Shanghai"),
    ],
    ids=str,
)
def test_period_json_round_trip(period: Period) -> None:
    assert Period.model_validate_json(period.model_dump_json()) == period
    assert Period.model_validate(period.model_dump()) == period


def test_periods_order_by_start_then_end() -> None:
    september, november = OCTOBER.previous(), OCTOBER.next()
    first_week = Period.custom(OCTOBER.start, OCTOBER.start + 7 * DAY, tz="Asia/Shanghai")
    assert sorted([november, OCTOBER, first_week, september]) == [
        september,
        first_week,
        OCTOBER,
        november,
    ]
    october = OCTOBER
    assert first_week < october < november
    assert october <= OCTOBER
    assert october >= first_week
    assert november > october
    assert not november < october
    with pytest.raises(TypeError):
        _ = october < utc(2026, 10, 1)


# --- shift and windows ------------------------------------------------------------------------


def test_shift_by_days_keeps_the_local_time_across_dst() -> None:
    ts = datetime(2026, 3, 1, 12, tzinfo=NEW_YORK)
    later = shift(ts, tz="America/New_York", days=30)
    assert later.isoformat() == "2026-03-31T12:00:00-04:00"
    # Subtract in UTC: Python subtracts datetimes sharing a tzinfo by wall time.
    assert later.astimezone(UTC) - ts == 30 * DAY - HOUR
    assert shift(ts, tz="America/New_York", hours=720).astimezone(UTC) - ts == 30 * DAY
    assert later.tzinfo == NEW_YORK


@pytest.mark.parametrize(
    ("ts", "units", "expected"),
    [
        (datetime(2026, 1, 31, 9, tzinfo=SHANGHAI), {"months": 1}, "2026-02-28T09:00:00+08:00"),
        (datetime(2028, 1, 31, 9, tzinfo=SHANGHAI), {"months": 1}, "2028-02-29T09:00:00+08:00"),
        (datetime(2028, 2, 29, 9, tzinfo=SHANGHAI), {"years": 1}, "2029-02-28T09:00:00+08:00"),
        (datetime(2026, 10, 5, 9, tzinfo=SHANGHAI), {"weeks": 2}, "2026-10-19T09:00:00+08:00"),
        # 02:30 does not exist on 2026-03-08 in New York: moved forward by the gap.
        (datetime(2026, 3, 7, 2, 30, tzinfo=NEW_YORK), {"days": 1}, "2026-03-08T03:30:00-04:00"),
        # 01:30 happens twice on 2026-11-01: the first one.
        (datetime(2026, 10, 31, 1, 30, tzinfo=NEW_YORK), {"days": 1}, "2026-11-01T01:30:00-04:00"),
        # From the second 01:30 of one autumn to the second 01:30 of the next.
        (
            datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=LONDON),
            {"weeks": 53},
            "2027-10-31T01:30:00+00:00",
        ),
        (datetime(2026, 3, 8, tzinfo=NEW_YORK), {"hours": 3}, "2026-03-08T04:00:00-04:00"),
        (
            datetime(2026, 3, 8, tzinfo=NEW_YORK),
            {"days": 1, "minutes": -30},
            "2026-03-08T23:30:00-04:00",
        ),
        (utc(2026, 9, 30, 16), {"days": 1}, "2026-10-02T00:00:00+08:00"),
    ],
)
def test_shift_hand_computed(ts: datetime, units: dict[str, int], expected: str) -> None:
    tz = SHANGHAI if ts.tzinfo is UTC else ts.tzinfo
    assert tz is not None
    assert shift(ts, tz=tz, **units).isoformat() == expected


def test_cookie_window_is_a_custom_period() -> None:
    click = datetime(2026, 3, 1, 12, tzinfo=NEW_YORK)
    window = Period.starting(click, tz="America/New_York", days=30)
    assert window.kind == "custom"
    assert window.start == click
    assert window.local_end.isoformat() == "2026-03-31T12:00:00-04:00"
    assert window.duration == 30 * DAY - HOUR
    assert window.label == "2026-03-01T12:00-05:00/2026-03-31T12:00-04:00"
    assert datetime(2026, 3, 31, 11, 59, tzinfo=NEW_YORK) in window
    assert datetime(2026, 3, 31, 12, tzinfo=NEW_YORK) not in window


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(ValidationError, match="must be before end="):
        Period.starting(AWARE, tz="Asia/Shanghai")


# --- batch period codes -----------------------------------------------------------------------


def test_period_index_hand_computed() -> None:
    stamps = np.array(
        [
            to_micros(utc(2026, 10, 1)),
            to_micros(utc(2026, 9, 30, 16)),  # first instant of October in Shanghai
            to_micros(utc(2026, 12, 1)),
            to_micros(utc(2026, 9, 30, 16) - US),  # last instant of September
        ],
        dtype=np.int64,
    )
    codes, periods = period_index(stamps, "month", tz="Asia/Shanghai")
    assert codes.dtype == np.int64
    assert codes.tolist() == [1, 1, 3, 0]
    assert [p.label for p in periods] == ["2026-09", "2026-10", "2026-11", "2026-12"]


def test_period_index_empty_and_shapes() -> None:
    codes, periods = period_index(np.array([], dtype=np.int64), "day", tz="UTC")
    assert codes.shape == (0,)
    assert codes.dtype == np.int64
    assert periods == []
    grid = np.array([[0, 86_400_000_000], [172_800_000_000, 1]], dtype=np.int64)
    codes, periods = period_index(grid, "day", tz="UTC")
    assert codes.tolist() == [[0, 1], [2, 0]]
    assert len(periods) == 3
    small, _ = period_index(np.array([0, 86_400], dtype=np.int32), "day", tz="UTC")
    assert small.tolist() == [0, 0]


@pytest.mark.parametrize("dtype", [np.float64, np.uint64, np.bool_, "datetime64[us]"])
def test_period_index_refuses_non_int64_timestamps(dtype: npt.DTypeLike) -> None:
    with pytest.raises(TypeError, match="expected int64 microseconds since the epoch"):
        period_index(np.zeros(3, dtype=dtype), "day", tz="UTC")


def test_period_index_skips_a_day_the_clocks_skipped() -> None:
    stamps = np.array([to_micros(utc(2011, 12, 28, 12)), to_micros(utc(2012, 1, 1, 12))])
    codes, periods = period_index(stamps, "day", tz="Pacific/Apia")
    labels = [p.label for p in periods]
    assert labels == ["2011-12-28", "2011-12-29", "2011-12-31", "2012-01-01", "2012-01-02"]
    assert codes.tolist() == [0, 4]


@settings(deadline=None)
@given(
    name=st.sampled_from(TRICKY_ZONES),
    kind=st.sampled_from(CALENDAR_KINDS),
    base=st.integers(min_value=to_micros(utc(1910, 1, 1)), max_value=to_micros(utc(2090, 1, 1))),
    offsets=st.lists(
        st.integers(min_value=-200 * 86_400_000_000, max_value=200 * 86_400_000_000),
        min_size=1,
        max_size=40,
    ),
)
def test_period_index_agrees_with_period_of(
    name: str, kind: PeriodKind, base: int, offsets: list[int]
) -> None:
    stamps = np.array([base + offset for offset in offsets], dtype=np.int64)
    codes, periods = period_index(stamps, kind, tz=name)
    for stamp, code in zip(stamps.tolist(), codes.tolist(), strict=True):
        assert periods[code] == period_of(from_micros(stamp), kind, name)
    for earlier, later in itertools.pairwise(periods):
        assert earlier.end == later.start
    assert periods[0].start_us <= int(stamps.min()) < periods[0].end_us
    assert periods[-1].start_us <= int(stamps.max()) < periods[-1].end_us


@settings(deadline=None)
@given(
    name=st.sampled_from(TRICKY_ZONES),
    kind=st.sampled_from(CALENDAR_KINDS),
    us=st.integers(min_value=to_micros(utc(1900, 1, 1)), max_value=to_micros(utc(2100, 1, 1))),
)
def test_period_of_contains_its_instant_and_chains(name: str, kind: PeriodKind, us: int) -> None:
    ts = from_micros(us)
    period = period_of(ts, kind, name)
    assert ts in period
    assert period.next().start == period.end
    assert period.previous().end == period.start
    assert period.next().previous() == period
    assert Period.model_validate_json(period.model_dump_json()) == period


@settings(deadline=None)
@given(
    name=st.sampled_from(TRICKY_ZONES),
    kind=st.sampled_from(CALENDAR_KINDS),
    base=st.integers(min_value=to_micros(utc(1910, 1, 1)), max_value=to_micros(utc(2090, 1, 1))),
    steps=st.lists(
        st.integers(min_value=-40 * 86_400_000_000, max_value=40 * 86_400_000_000),
        min_size=1,
        max_size=12,
    ),
)
def test_the_period_found_last_answers_as_a_fresh_search_does(
    name: str, kind: PeriodKind, base: int, steps: list[int]
) -> None:
    """Instants one after another (as `evaluate` sees them) reuse the period found before."""
    us = base
    for step in steps:
        us += step
        remembered_of = period_of(from_micros(us), kind, name)
        remembered_codes, remembered = period_index(np.array([us, us + step]), kind, tz=name)
        _periods._RECENT.clear()
        assert remembered_of == period_of(from_micros(us), kind, name)
        _periods._RECENT.clear()
        codes, periods = period_index(np.array([us, us + step]), kind, tz=name)
        assert (remembered_codes.tolist(), remembered) == (codes.tolist(), periods)


# --- payout schedules -------------------------------------------------------------------------


def test_monthly_payout_on_the_15th_in_shanghai() -> None:
    schedule = PayoutSchedule(
        rule="FREQ=MONTHLY;BYMONTHDAY=15",
        tz="Asia/Shanghai",
        dtstart=datetime(2026, 1, 1, 10, tzinfo=SHANGHAI),
    )
    year = Period.year(2026, tz="Asia/Shanghai")
    dates = schedule.occurrences(year.start, year.end)
    assert len(dates) == 12
    assert dates[0] == utc(2026, 1, 15, 2)
    assert dates[-1].isoformat() == "2026-12-15T10:00:00+08:00"
    assert {(d.day, d.hour, d.tzinfo) for d in dates} == {(15, 10, SHANGHAI)}
    assert schedule.next(dates[0]) == dates[1]
    assert schedule.next(dates[0] - US) == dates[0]
    assert schedule.previous(dates[1]) == dates[0]
    assert schedule.previous(dates[1] + US) == dates[1]
    assert schedule.previous(dates[0]) is None  # nothing before the first one after dtstart


def test_weekly_payout_every_friday() -> None:
    fridays = PayoutSchedule(rule="RRULE:FREQ=WEEKLY;BYDAY=FR", tz="UTC", dtstart=utc(2026, 1, 1))
    october = Period.month(2026, 10, tz="UTC")
    dates = fridays.occurrences(october.start, october.end)
    assert [d.day for d in dates] == [2, 9, 16, 23, 30]
    assert all(d.weekday() == 4 for d in dates)
    assert fridays.next(utc(2026, 10, 30)) == utc(2026, 11, 6)
    assert fridays.previous(utc(2026, 10, 2)) == utc(2026, 9, 25)


def test_payout_occurrences_on_dst_days_are_real_instants() -> None:
    daily = PayoutSchedule(
        rule="FREQ=DAILY",
        tz="America/New_York",
        dtstart=datetime(2026, 1, 1, 2, 30, tzinfo=NEW_YORK),
    )
    spring = daily.occurrences(
        datetime(2026, 3, 7, tzinfo=NEW_YORK), datetime(2026, 3, 10, tzinfo=NEW_YORK)
    )
    assert [d.isoformat() for d in spring] == [
        "2026-03-07T02:30:00-05:00",
        "2026-03-08T03:30:00-04:00",
        "2026-03-09T02:30:00-04:00",
    ]
    assert spring[1] == utc(2026, 3, 8, 7, 30)
    early = PayoutSchedule(
        rule="FREQ=DAILY",
        tz="America/New_York",
        dtstart=datetime(2026, 1, 1, 1, 30, tzinfo=NEW_YORK),
    )
    autumn = early.occurrences(utc(2026, 11, 1), utc(2026, 11, 2))
    assert [d.isoformat() for d in autumn] == ["2026-11-01T01:30:00-04:00"]


def test_hourly_schedule_through_a_gap_has_no_duplicates() -> None:
    hourly = PayoutSchedule(rule="FREQ=HOURLY", tz="America/New_York", dtstart=utc(2026, 1, 1))
    start = utc(2026, 3, 8, 5)  # local midnight
    dates = hourly.occurrences(start, start + 4 * HOUR)
    assert [d.strftime("%H:%M%z") for d in dates] == [
        "00:00-0500",
        "01:00-0500",
        "03:00-0400",
        "04:00-0400",
    ]
    assert hourly.next(datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK)) == utc(2026, 3, 8, 7)


def test_next_finds_an_earlier_instant_behind_a_wall_time_in_a_gap() -> None:
    # Walls 02:20, 02:55 (in the gap: 03:20, 03:55 EDT), then 03:30 EDT, which comes first.
    every_35 = PayoutSchedule(
        rule="FREQ=MINUTELY;INTERVAL=35",
        tz="America/New_York",
        dtstart=datetime(2026, 3, 8, tzinfo=NEW_YORK),
    )
    assert every_35.next(utc(2026, 3, 8, 7, 25)) == utc(2026, 3, 8, 7, 30)
    assert every_35.previous(utc(2026, 3, 8, 7, 50)) == utc(2026, 3, 8, 7, 30)
    assert every_35.occurrences(utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)) == [
        utc(2026, 3, 8, 7, 20),
        utc(2026, 3, 8, 7, 30),
        utc(2026, 3, 8, 7, 55),
    ]


def test_sparse_and_finite_schedules() -> None:
    leap_days = PayoutSchedule(
        rule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", tz="Asia/Shanghai", dtstart=utc(2020, 1, 1)
    )
    assert leap_days.next(utc(2026, 3, 1)) == datetime(2028, 2, 29, 8, tzinfo=SHANGHAI)
    assert leap_days.previous(utc(2028, 2, 28)) == datetime(2024, 2, 29, 8, tzinfo=SHANGHAI)
    three = PayoutSchedule(rule="FREQ=MONTHLY;COUNT=3", tz="UTC", dtstart=utc(2026, 1, 31))
    everything = three.occurrences(utc(2000, 1, 1), utc(2100, 1, 1))
    assert everything == [utc(2026, 1, 31), utc(2026, 3, 31), utc(2026, 5, 31)]
    assert three.next(utc(2026, 5, 31)) is None
    assert three.previous(utc(2026, 1, 31)) is None
    assert three.previous(utc(2099, 1, 1)) == utc(2026, 5, 31)
    until = PayoutSchedule(
        rule="FREQ=DAILY;UNTIL=20260103T000000Z", tz="UTC", dtstart=utc(2026, 1, 1)
    )
    assert until.occurrences(utc(2025, 1, 1), utc(2027, 1, 1)) == [
        utc(2026, 1, 1),
        utc(2026, 1, 2),
        utc(2026, 1, 3),
    ]


def test_occurrences_refuse_a_reversed_interval() -> None:
    with pytest.raises(ValueError, match="is before start="):
        MONTHLY.occurrences(utc(2026, 10, 2), utc(2026, 10, 1))
    assert MONTHLY.occurrences(utc(2026, 10, 1), utc(2026, 10, 1)) == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=FOO", "is not a valid RFC 5545 RRULE: invalid 'FREQ': FOO"),
        ("BYMONTHDAY=15", "is not a valid RFC 5545 RRULE"),
        ("FREQ=MONTHLY;BYMONTHDAY=15;", "is not a valid RFC 5545 RRULE"),
        ("FREQ=DAILY;BYDAY=XX", "invalid 'BYDAY': XX"),
        ("", "must be one RFC 5545 RRULE"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "must be one RFC 5545 RRULE"),
        ("EXDATE:20260101T000000", "must be one RFC 5545 RRULE"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20261231T000000Z", "both COUNT and UNTIL"),
        ("FREQ=DAILY;UNTIL=20261231", "UNTIL values must be specified in UTC"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
    ],
)
def test_bad_rules_are_refused_at_construction(rule: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        PayoutSchedule(rule=rule, tz="UTC", dtstart=utc(2026, 1, 1))
    assert f"rule={rule!r}" in str(info.value)


def test_schedule_stores_dtstart_in_its_zone_and_round_trips() -> None:
    schedule = PayoutSchedule(
        rule="FREQ=MONTHLY;BYMONTHDAY=15", tz="Asia/Shanghai", dtstart=utc(2026, 1, 1, 2)
    )
    assert schedule.dtstart.tzinfo == SHANGHAI
    assert schedule.dtstart.isoformat() == "2026-01-01T10:00:00+08:00"
    assert schedule == PayoutSchedule(
        rule="FREQ=MONTHLY;BYMONTHDAY=15",
        tz="Asia/Shanghai",
        dtstart=datetime(2026, 1, 1, 10, tzinfo=SHANGHAI),
    )
    again = PayoutSchedule.model_validate_json(schedule.model_dump_json())
    assert again == schedule
    assert again.dtstart.tzinfo == SHANGHAI
    assert again.next(utc(2026, 3, 1)) == schedule.next(utc(2026, 3, 1)) == utc(2026, 3, 15, 2)
    with pytest.raises(ValidationError, match="frozen"):
        schedule.rule = "FREQ=DAILY"  # type: ignore[misc]


@settings(deadline=None)
@given(
    name=st.sampled_from(["America/New_York", "Europe/London", "America/Santiago", "Asia/Beirut"]),
    rule=st.sampled_from(["FREQ=DAILY", "FREQ=WEEKLY;BYDAY=SU", "FREQ=MONTHLY;BYMONTHDAY=-1"]),
    hour=st.integers(min_value=0, max_value=23),
    us=st.integers(min_value=to_micros(utc(2019, 1, 1)), max_value=to_micros(utc(2030, 1, 1))),
)
def test_next_and_previous_agree_with_occurrences(name: str, rule: str, hour: int, us: int) -> None:
    tz = ZoneInfo(name)
    schedule = PayoutSchedule(rule=rule, tz=name, dtstart=datetime(2018, 1, 1, hour, tzinfo=tz))
    ts = from_micros(us)
    around = schedule.occurrences(ts - 40 * DAY, ts + 40 * DAY)
    assert around == sorted(set(around))
    assert schedule.next(ts) == min(d for d in around if d > ts)
    assert schedule.previous(ts) == max(d for d in around if d < ts)


def test_bounds_in_one_zone_compare_as_instants_across_the_fold() -> None:
    # 2026-11-01 in New York: 01:30 EDT (05:30Z) comes before 01:20 EST (06:20Z).
    start = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)
    end = datetime(2026, 11, 1, 1, 20, fold=1, tzinfo=NEW_YORK)
    assert [p.label for p in periods_between(start, end, "day", tz="America/New_York")] == [
        "2026-11-01"
    ]
    hourly = PayoutSchedule(rule="FREQ=HOURLY", tz="UTC", dtstart=datetime(2026, 11, 1, tzinfo=UTC))
    assert hourly.occurrences(start, end) == [datetime(2026, 11, 1, 6, 0, tzinfo=UTC)]


def test_payout_schedule_refuses_fractions_of_a_second() -> None:
    with pytest.raises(ValidationError, match="must be a whole second"):
        PayoutSchedule(
            rule="FREQ=MONTHLY;BYMONTHDAY=15",
            tz="UTC",
            dtstart=datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        )


# -- shift_days_us: shift by days over int64 instants ------------------------------------------

ZONES_WITH_CHANGES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # a 30-minute change
    "Pacific/Apia",  # skipped 30 December 2011 entirely
    "America/Santiago",
    "Asia/Shanghai",
    "UTC",
]


def _one_by_one(stamps: npt.NDArray[np.int64], tz: str, days: int) -> list[int]:
    return [to_micros(shift(from_micros(int(t), tz), tz=tz, days=days)) for t in stamps]


@pytest.mark.parametrize("tz", ZONES_WITH_CHANGES)
@pytest.mark.parametrize("days", [1, 14, 30, -7])
def test_shift_days_us_equals_shift_around_every_change(tz: str, days: int) -> None:
    # Every 10 minutes across the 2011 and 2026 changes, and a spread over 19 years.
    dense = np.concatenate(
        [
            np.arange(1_299_200_000_000_000, 1_302_000_000_000_000, 600_000_000),
            np.arange(1_325_000_000_000_000, 1_325_500_000_000_000, 600_000_000),
            np.arange(1_772_900_000_000_000, 1_773_500_000_000_000, 600_000_000),
        ]
    )
    spread = np.random.default_rng(7).integers(1_200_000_000_000_000, 1_800_000_000_000_000, 3_000)
    stamps = np.concatenate([dense, spread])
    assert shift_days_us(stamps, tz=tz, days=days).tolist() == _one_by_one(stamps, tz, days)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(1_000_000_000_000_000, 2_000_000_000_000_000), max_size=20),
    st.sampled_from(ZONES_WITH_CHANGES),
    st.integers(-400, 400),
)
def test_shift_days_us_is_shift_for_any_instants(stamps: list[int], tz: str, days: int) -> None:
    given_stamps = np.array(stamps, dtype=np.int64)
    assert shift_days_us(given_stamps, tz=tz, days=days).tolist() == _one_by_one(
        given_stamps, tz, days
    )


def test_shift_days_us_keeps_the_wall_time_across_a_change() -> None:
    noon = to_micros(datetime(2026, 3, 1, 12, tzinfo=NEW_YORK))
    moved = shift_days_us(np.array([noon]), tz="America/New_York", days=30)
    # 30 days later at noon, now in daylight time: 29 days and 23 hours of elapsed time.
    assert moved.tolist() == [noon + (30 * 24 - 1) * 3_600_000_000]
    assert shift_days_us(np.array([noon]), tz="UTC", days=30).tolist() == [
        noon + 30 * 24 * 3_600_000_000
    ]
    assert shift_days_us(np.zeros(0, dtype=np.int64), tz="Europe/London", days=3).size == 0
