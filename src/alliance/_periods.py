"""Time in `alliance`: aware instants, calendar periods in a programme's time zone, schedules.

Three rules hold everywhere:

- every instant is a timezone-aware `datetime`; a naive one is refused with `TimezoneError`;
- batch instants are ``int64`` microseconds since the Unix epoch, UTC;
- periods are half-open ``[start, end)`` and follow the calendar of an IANA time zone, so a day
  can last 23 or 25 hours and "October" starts at a different instant in every zone.

A calendar period starts at the first instant whose local date is its first day. That is local
midnight when midnight exists; when the clocks skip midnight it is the instant they jump, and
when midnight happens twice it is the first one. A `Period` stores `start` and `end` in UTC.
"""

from __future__ import annotations

import operator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Literal, Self, SupportsIndex
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from dateutil.relativedelta import relativedelta
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    field_validator,
    model_validator,
)

from alliance.errors import TimezoneError

__all__ = [
    "Period",
    "PeriodKind",
    "from_micros",
    "period_index",
    "period_of",
    "periods_between",
    "require_aware",
    "shift",
    "to_micros",
    "zone",
]

PeriodKind = Literal["day", "week", "month", "quarter", "year", "custom"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
#: Walls more than this far apart are in the same order as their instants (offsets lie within
#: -12 h .. +14 h), which bounds how far a search has to look around a DST gap.
_SLACK = timedelta(days=2)
_STEPS: dict[str, relativedelta] = {
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "quarter": relativedelta(months=3),
    "year": relativedelta(years=1),
}
#: The latest calendar period found per (kind, zone name), with its bounds in µs: instants
#: handled one by one, or batch after batch, mostly fall in the period found before.
_RECENT: dict[tuple[str, str], tuple[int, int, Period]] = {}
#: Labels of periods seen, by kind, bounds and zone.
_LABELS: dict[tuple[str, datetime, datetime, str], str] = {}


def zone(tz: str | tzinfo) -> tzinfo:
    """Resolve an IANA time zone name (``"Asia/Shanghai"``, ``"UTC"``) with `zoneinfo`.

    A `tzinfo` is returned as is. An unknown name raises `TimezoneError`.

    Examples:
        >>> zone("Asia/Shanghai")
        zoneinfo.ZoneInfo(key='Asia/Shanghai')
    """
    if isinstance(tz, tzinfo):
        return tz
    if not isinstance(tz, str) or not tz:
        raise TimezoneError(f"tz={tz!r} is not a time zone; expected an IANA name such as 'UTC'")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TimezoneError(
            f"tz={tz!r} is not a known IANA time zone; expected a name such as 'Asia/Shanghai'"
        ) from None


def _known_zone(name: str) -> str:
    zone(name)
    return name


#: An IANA time zone name, checked when a model is validated.
_ZoneName = Annotated[str, AfterValidator(_known_zone)]


def _zone_name(tz: str | tzinfo) -> str:
    """The IANA name of `tz`, which a `Period` or a schedule stores."""
    if isinstance(tz, str):
        return _known_zone(tz)
    if isinstance(tz, ZoneInfo) and tz.key:
        return tz.key
    if tz is UTC:
        return "UTC"
    raise TimezoneError(f"tz={tz!r} has no IANA name; pass a name such as 'Asia/Shanghai'")


def require_aware(value: datetime, *, name: str = "ts") -> datetime:
    """Return `value` if it is a timezone-aware `datetime`, else raise `TimezoneError`.

    The error message names the argument as `name`.

    Examples:
        >>> try:
        ...     require_aware(datetime(2026, 10, 1), name="paid_at")
        ... except TimezoneError as exc:
        ...     print(exc)  # doctest: +ELLIPSIS
        paid_at=datetime.datetime(2026, 10, 1, 0, 0) is naive; attach a time zone, ...
    """
    if not isinstance(value, datetime):
        raise TimezoneError(
            f"{name}={value!r} is a {type(value).__name__}, not a datetime; "
            "expected a timezone-aware datetime"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimezoneError(
            f"{name}={value!r} is naive; attach a time zone, "
            "e.g. datetime(..., tzinfo=ZoneInfo('Asia/Shanghai'))"
        )
    return value


def to_micros(value: datetime) -> int:
    """Exact integer microseconds since the Unix epoch, UTC (the batch representation).

    Examples:
        >>> to_micros(datetime(2026, 10, 1, tzinfo=UTC))
        1790812800000000
    """
    return aware_micros(require_aware(value, name="value"))


def aware_micros(value: datetime) -> int:
    """`to_micros` of a datetime known to be aware (a validated model's field): no check.

    Examples:
        >>> aware_micros(datetime(2026, 10, 1, tzinfo=UTC))
        1790812800000000
    """
    return (value - _EPOCH) // _ONE_US


def from_micros(us: SupportsIndex, tz: str | tzinfo = "UTC") -> datetime:
    """The aware `datetime` in `tz` for microseconds since the Unix epoch, UTC.

    Examples:
        >>> from_micros(1790812800000000, "Asia/Shanghai").isoformat()
        '2026-10-01T08:00:00+08:00'
    """
    if type(us) is not int and (isinstance(us, bool) or not isinstance(us, SupportsIndex)):
        raise TypeError(f"us={us!r} must be an integer count of microseconds since the epoch")
    try:
        return (_EPOCH + timedelta(microseconds=operator.index(us))).astimezone(zone(tz))
    except OverflowError:
        raise OverflowError(
            f"us={us!r} is outside the range of datetime (years 1 to 9999)"
        ) from None


def _resolve(wall: datetime, tz: tzinfo, fold: int = 0) -> datetime:
    """The instant a local wall time stands for, as RFC 5545 reads it, expressed in `tz`.

    A wall time in a DST gap uses the offset before the gap (02:30 becomes 03:30); one that
    happens twice is the first unless `fold` is 1.
    """
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)
    if fold and first.replace(tzinfo=None) == wall:
        second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC).astimezone(tz)
        if second.replace(tzinfo=None) == wall:
            return second
    return first


def _day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant (UTC) whose local date in `tz` is `day` or later."""
    wall = datetime.combine(day, time())
    early = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if early.astimezone(tz).replace(tzinfo=None) == wall:
        return early
    # Midnight falls in a gap: find the instant the clocks jump, which lies between the
    # readings of midnight with the offsets after (fold=1) and before (fold=0) the gap.
    low = to_micros(wall.replace(tzinfo=tz, fold=1))
    high = to_micros(early)
    before_offset = from_micros(low, tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if from_micros(middle, tz).utcoffset() == before_offset:
            low = middle
        else:
            high = middle
    return from_micros(high)


def _first_day(day: date, kind: str) -> date:
    """The first local day of the `kind` period holding local date `day`."""
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if kind == "year":
        return date(day.year, 1, 1)
    return day


def _check_kind(kind: str) -> relativedelta:
    """The step of a calendar `kind`; ``custom`` and unknown kinds are refused."""
    if kind == "custom":
        raise ValueError(
            "kind='custom' has no calendar; build custom periods with Period.custom(start, end) "
            "or Period.starting(ts, ...)"
        )
    if kind not in _STEPS:
        raise ValueError(f"kind={kind!r} is not a period kind; expected one of {list(_STEPS)}")
    return _STEPS[kind]


def _bounds(first: date, step: relativedelta, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants (UTC) bounding the period whose first local day is `first`."""
    return _day_start(first, tz), _day_start(first + step, tz)


def _calendar(kind: PeriodKind, first: date, tz_name: str) -> Period:
    """The `kind` period whose first local day is `first` (which must exist)."""
    start, end = _bounds(first, _check_kind(kind), zone(tz_name))
    if start == end:
        raise TimezoneError(f"{first.isoformat()} does not exist in {tz_name}: the clocks skip it")
    return Period(kind=kind, start=start, end=end, tz=tz_name)


def shift(
    ts: datetime,
    *,
    tz: str | tzinfo,
    years: int = 0,
    months: int = 0,
    weeks: int = 0,
    days: int = 0,
    hours: int = 0,
    minutes: int = 0,
) -> datetime:
    """Move an instant by calendar units in the local time of `tz`; the result is in `tz`.

    `years`, `months`, `weeks` and `days` move the local date and keep the local time of day
    ("30 days later" is the same wall time across a DST change; a month after January 31 is the
    last day of February), then the wall time is normalised to a real instant (in a DST gap it
    moves forward by the gap). `hours` and `minutes` are then added as elapsed time, as in
    RFC 5545 durations.

    Examples:
        >>> ts = datetime(2026, 3, 1, 12, 0, tzinfo=zone("America/New_York"))
        >>> shift(ts, tz="America/New_York", days=30).isoformat()
        '2026-03-31T12:00:00-04:00'
        >>> shift(ts, tz="America/New_York", hours=30 * 24).isoformat()
        '2026-03-31T13:00:00-04:00'
    """
    local = require_aware(ts).astimezone(zone(tz))
    if years or months:
        calendar: relativedelta | timedelta = relativedelta(
            years=years, months=months, weeks=weeks, days=days
        )
    else:  # days and weeks move a naive wall time exactly as a timedelta does, only faster
        calendar = timedelta(weeks=weeks, days=days)
    if calendar:
        wall = local.replace(tzinfo=None) + calendar
        local = _resolve(wall, local.tzinfo or UTC, local.fold)
    elapsed = timedelta(hours=hours, minutes=minutes)
    return (local.astimezone(UTC) + elapsed).astimezone(local.tzinfo) if elapsed else local


_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000


def _offset_changes(tz: tzinfo, start_us: int, end_us: int) -> tuple[list[int], list[int]]:
    """The UTC offsets (µs) of `tz` over ``[start_us, end_us]``: change instants and offsets.

    Returns ``(changes, offsets)``: ``offsets[0]`` holds before ``changes[0]``, and
    ``offsets[i + 1]`` from ``changes[i]`` on. Offsets are read every hour and each change is
    found to the microsecond by bisection (no zone changes its offset twice within an hour).
    """

    def offset(us: int) -> int:
        reading = from_micros(us).astimezone(tz).utcoffset()
        return 0 if reading is None else reading // _ONE_US

    changes: list[int] = []
    offsets = [offset(start_us)]
    low = start_us
    while low < end_us:
        high = min(low + _HOUR_US, end_us)
        if offset(high) != offsets[-1]:
            left, right = low, high  # offset(left) is the old one, offset(right) the new one
            while right - left > 1:
                middle = (left + right) // 2
                if offset(middle) == offsets[-1]:
                    left = middle
                else:
                    right = middle
            changes.append(right)
            offsets.append(offset(right))
        low = high
    return changes, offsets


def shift_days_us(ts_us: npt.ArrayLike, *, tz: str | tzinfo, days: int) -> npt.NDArray[np.int64]:
    """Vectorised `shift` by whole days, over int64 microseconds since the epoch (UTC).

    Every instant gives exactly what ``shift(from_micros(t), tz=tz, days=days)`` gives: the
    local date moves and the wall time is kept. Instants whose result lies within a day of a
    change of the zone's UTC offset are shifted one at a time by `shift` itself.

    Examples:
        >>> stamps = np.array([1772384400000000])  # 1 March 2026, 17:00 UTC (noon in New York)
        >>> moved = shift_days_us(stamps, tz="America/New_York", days=30)
        >>> from_micros(int(moved[0]), "America/New_York").isoformat()
        '2026-03-31T12:00:00-04:00'
    """
    stamps = np.asarray(ts_us, dtype=np.int64)
    moved = stamps + days * _DAY_US
    if stamps.size == 0 or days == 0:
        return moved
    local_tz = zone(tz)
    low = int(min(stamps.min(), moved.min())) - 2 * _DAY_US
    high = int(max(stamps.max(), moved.max())) + 2 * _DAY_US
    changes, offsets = _offset_changes(local_tz, low, high)
    if not changes:  # one offset over the whole span: a day is always 24 hours
        return moved
    points = np.array(changes, dtype=np.int64)
    values = np.array(offsets, dtype=np.int64)
    before = values[np.searchsorted(points, stamps, side="right")]
    after = values[np.searchsorted(points, moved, side="right")]
    result = moved + before - after
    # Exact unless the result sits near a change (in its gap or fold, or with the offset
    # read on the wrong side of it): within the size of the change and an hour more. Those
    # go through `shift` one by one.
    widths = np.abs(np.diff(values)) + _HOUR_US
    nearest = np.searchsorted(points, result)
    near = np.zeros(result.size, dtype=bool)
    later = nearest < points.size
    near[later] = points[nearest[later]] - result[later] < widths[nearest[later]]
    earlier = nearest > 0
    near[earlier] |= result[earlier] - points[nearest[earlier] - 1] < widths[nearest[earlier] - 1]
    for row in np.flatnonzero(near).tolist():
        start = from_micros(int(stamps[row]), local_tz)
        result[row] = to_micros(shift(start, tz=local_tz, days=days))
    return result


class Period(BaseModel):
    """A half-open span of time ``[start, end)`` measured in a programme's time zone.

    Calendar periods (``day``, ``week``, ``month``, ``quarter``, ``year``) follow the local
    calendar of `tz`; ``custom`` periods are any window. `start` and `end` are stored in UTC,
    so two periods are equal whenever they have the same kind, instants and zone name, however
    they were built. Periods order by ``(start, end)``.

    Examples:
        >>> october = Period.month(2026, 10, tz="Asia/Shanghai")
        >>> october.start.isoformat(), october.label
        ('2026-09-30T16:00:00+00:00', '2026-10')
        >>> datetime(2026, 10, 31, 23, 59, tzinfo=zone("Asia/Shanghai")) in october
        True
        >>> str(october.next())
        'month 2026-11 (Asia/Shanghai)'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: PeriodKind
    start: AwareDatetime
    end: AwareDatetime
    tz: _ZoneName

    @field_validator("start", "end")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.start >= self.end:
            raise ValueError(
                f"start={self.start.isoformat()} must be before end={self.end.isoformat()}"
            )
        if self.kind != "custom":
            tz = zone(self.tz)
            first = _first_day(self.start.astimezone(tz).date(), self.kind)
            if (self.start, self.end) != _bounds(first, _STEPS[self.kind], tz):
                raise ValueError(
                    f"[{self.start.isoformat()}, {self.end.isoformat()}) is not a calendar "
                    f"{self.kind} in {self.tz}; build it with Period.{self.kind}(...) or use "
                    "kind='custom'"
                )
        return self

    @classmethod
    def day(cls, year: int, month: int, day: int, *, tz: str | tzinfo) -> Period:
        """The local calendar day ``year-month-day`` in `tz` (23, 24 or 25 hours long).

        Examples:
            >>> Period.day(2026, 3, 8, tz="America/New_York").duration
            datetime.timedelta(seconds=82800)
        """
        return _calendar("day", _date(year, month, day), _zone_name(tz))

    @classmethod
    def week(cls, iso_year: int, iso_week: int, *, tz: str | tzinfo) -> Period:
        """ISO week `iso_week` of `iso_year`, Monday to Monday in `tz`.

        Examples:
            >>> Period.week(2026, 1, tz="UTC").local_start.date()
            datetime.date(2025, 12, 29)
        """
        try:
            monday = date.fromisocalendar(iso_year, iso_week, 1)
        except ValueError as exc:
            raise ValueError(
                f"iso_year={iso_year}, iso_week={iso_week} is not a week: {exc}"
            ) from None
        return _calendar("week", monday, _zone_name(tz))

    @classmethod
    def month(cls, year: int, month: int, *, tz: str | tzinfo) -> Period:
        """The calendar month ``year-month`` in `tz`."""
        return _calendar("month", _date(year, month, 1), _zone_name(tz))

    @classmethod
    def quarter(cls, year: int, quarter: int, *, tz: str | tzinfo) -> Period:
        """Calendar quarter `quarter` (1 to 4) of `year` in `tz`."""
        if quarter not in (1, 2, 3, 4):
            raise ValueError(f"quarter={quarter!r} must be 1, 2, 3 or 4")
        return _calendar("quarter", _date(year, 3 * quarter - 2, 1), _zone_name(tz))

    @classmethod
    def year(cls, year: int, *, tz: str | tzinfo) -> Period:
        """The calendar year `year` in `tz`."""
        return _calendar("year", _date(year, 1, 1), _zone_name(tz))

    @classmethod
    def custom(cls, start: datetime, end: datetime, *, tz: str | tzinfo = "UTC") -> Period:
        """Any window ``[start, end)``; `tz` is the zone used to show it.

        Examples:
            >>> shanghai = zone("Asia/Shanghai")
            >>> Period.custom(
            ...     datetime(2026, 10, 5, tzinfo=shanghai),
            ...     datetime(2026, 10, 12, tzinfo=shanghai),
            ...     tz="Asia/Shanghai",
            ... ).label
            '2026-10-05T00:00+08:00/2026-10-12T00:00+08:00'
        """
        start, end = require_aware(start, name="start"), require_aware(end, name="end")
        return cls(kind="custom", start=start, end=end, tz=_zone_name(tz))

    @classmethod
    def starting(
        cls,
        ts: datetime,
        *,
        tz: str | tzinfo,
        years: int = 0,
        months: int = 0,
        weeks: int = 0,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
    ) -> Period:
        """The window ``[ts, shift(ts, ...))``, such as a 30-day cookie window after a click.

        Examples:
            >>> click = datetime(2026, 10, 24, 12, 0, tzinfo=zone("Europe/London"))
            >>> Period.starting(click, tz="Europe/London", days=1).duration
            datetime.timedelta(days=1, seconds=3600)
        """
        units = {"years": years, "months": months, "weeks": weeks, "days": days}
        end = shift(ts, tz=tz, hours=hours, minutes=minutes, **units)
        return cls.custom(ts, end, tz=tz)

    def contains(self, ts: datetime) -> bool:
        """Whether `ts` lies in ``[start, end)``."""
        return self.start <= require_aware(ts) < self.end

    def __contains__(self, ts: datetime) -> bool:
        return self.contains(ts)

    def next(self) -> Period:
        """The period right after this one (for ``custom``: the next window of equal length)."""
        if self.kind == "custom":
            return Period(kind="custom", start=self.end, end=self.end + self.duration, tz=self.tz)
        return period_of(self.end, self.kind, self.tz)

    def previous(self) -> Period:
        """The period right before this one (for ``custom``: the window of equal length)."""
        if self.kind == "custom":
            return Period(
                kind="custom", start=self.start - self.duration, end=self.start, tz=self.tz
            )
        return period_of(self.start - _ONE_US, self.kind, self.tz)

    @property
    def label(self) -> str:
        """A short name: ``2026-10-05``, ``2026-W41``, ``2026-10``, ``2026-Q4``, ``2026``."""
        key = (self.kind, self.start, self.end, self.tz)
        label = _LABELS.get(key)
        if label is None:
            if len(_LABELS) >= 4096:
                _LABELS.clear()
            label = _LABELS[key] = self._label()
        return label

    def _label(self) -> str:
        first = self.local_start.date()
        if self.kind == "day":
            return first.isoformat()
        if self.kind == "week":
            iso = first.isocalendar()
            return f"{iso.year:04d}-W{iso.week:02d}"
        if self.kind == "month":
            return f"{first.year:04d}-{first.month:02d}"
        if self.kind == "quarter":
            return f"{first.year:04d}-Q{(first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{first.year:04d}"
        return f"{_iso(self.local_start)}/{_iso(self.local_end)}"

    @property
    def duration(self) -> timedelta:
        """Elapsed time from start to end."""
        return self.end - self.start

    @property
    def start_us(self) -> int:
        """`start` in microseconds since the epoch, UTC."""
        return to_micros(self.start)

    @property
    def end_us(self) -> int:
        """`end` in microseconds since the epoch, UTC."""
        return to_micros(self.end)

    @property
    def local_start(self) -> datetime:
        """`start` expressed in `tz`."""
        return self.start.astimezone(zone(self.tz))

    @property
    def local_end(self) -> datetime:
        """`end` expressed in `tz`."""
        return self.end.astimezone(zone(self.tz))

    def __str__(self) -> str:
        return f"{self.kind} {self.label} ({self.tz})"

    def _key(self) -> tuple[datetime, datetime]:
        return self.start, self.end

    def __lt__(self, other: object) -> bool:
        return self._key() < other._key() if isinstance(other, Period) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self._key() <= other._key() if isinstance(other, Period) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self._key() > other._key() if isinstance(other, Period) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self._key() >= other._key() if isinstance(other, Period) else NotImplemented


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"year={year!r}, month={month!r}, day={day!r} is not a date: {exc}"
        ) from None


def _iso(value: datetime) -> str:
    whole_minute = value.second == 0 and value.microsecond == 0
    return value.isoformat(timespec="minutes" if whole_minute else "auto")


def period_of(ts: datetime, kind: PeriodKind, tz: str | tzinfo) -> Period:
    """The calendar period of `kind` in `tz` that contains the instant `ts`.

    Raises:
        TimezoneError: `ts` is naive or `tz` is unknown.
        ValueError: `kind` is ``custom`` or unknown.

    Examples:
        >>> ts = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
        >>> period_of(ts, "month", "Asia/Shanghai").label
        '2026-10'
        >>> period_of(ts - timedelta(microseconds=1), "month", "Asia/Shanghai").label
        '2026-09'
    """
    step, name = _check_kind(kind), _zone_name(tz)
    known = _recent(kind, name, to_micros(require_aware(ts)))
    if known is not None:
        return known
    local_tz = zone(name)
    first = _first_day(ts.astimezone(local_tz).date(), kind)
    start, end = _bounds(first, step, local_tz)
    # Where the clocks fall back across midnight, an instant can read the previous day after
    # the new day began; the period is the one whose [start, end) holds the instant.
    while ts < start:
        first -= step
        start, end = _bounds(first, step, local_tz)
    while ts >= end:
        first += step
        start, end = _bounds(first, step, local_tz)
    return _remember(Period(kind=kind, start=start, end=end, tz=name))


def _recent(kind: str, name: str, low: int, high: int | None = None) -> Period | None:
    """The period last found for ``(kind, name)`` if it holds every instant in ``[low, high]``."""
    known = _RECENT.get((kind, name))
    if known is None:
        return None
    start, end, period = known
    return period if start <= low and (low if high is None else high) < end else None


def _remember(period: Period) -> Period:
    """Keep `period` as the latest found for its kind and zone (see `_recent`)."""
    _RECENT[(period.kind, period.tz)] = (period.start_us, period.end_us, period)
    return period


def periods_between(
    start: datetime, end: datetime, kind: PeriodKind, *, tz: str | tzinfo
) -> list[Period]:
    """Every calendar period of `kind` in `tz` that overlaps ``[start, end)``, in order.

    Examples:
        >>> shanghai = zone("Asia/Shanghai")
        >>> [p.label for p in periods_between(
        ...     datetime(2026, 9, 15, tzinfo=shanghai),
        ...     datetime(2026, 11, 1, tzinfo=shanghai),
        ...     "month",
        ...     tz="Asia/Shanghai",
        ... )]
        ['2026-09', '2026-10']
    """
    # Compare instants: datetimes sharing a tzinfo compare by wall time, ignoring the fold.
    start_us = to_micros(require_aware(start, name="start"))
    end_us = to_micros(require_aware(end, name="end"))
    if end_us < start_us:
        raise ValueError(f"end={end.isoformat()} is before start={start.isoformat()}")
    if end_us == start_us:
        _check_kind(kind)
        return []
    periods = [period_of(start, kind, tz)]
    while periods[-1].end < end:
        periods.append(periods[-1].next())
    return periods


def period_index(
    ts_us: npt.ArrayLike, kind: PeriodKind, *, tz: str | tzinfo
) -> tuple[npt.NDArray[np.int64], list[Period]]:
    """Vectorised `period_of` for batch timestamps (``int64`` microseconds since epoch, UTC).

    The returned periods are the contiguous run from the period of the earliest timestamp to
    the period of the latest (including periods that hold no timestamp), and each code is the
    position of the timestamp's period in that list.

    Returns:
        ``(codes, periods)``: ``int64`` codes shaped like `ts_us`, and the periods they index.
        Empty input gives an empty code array and ``[]``.

    Examples:
        >>> stamps = np.array([1790812800000000, 1790784000000000, 1793491200000000])
        >>> codes, periods = period_index(stamps, "month", tz="Asia/Shanghai")
        >>> codes.tolist(), [p.label for p in periods]
        ([0, 0, 1], ['2026-10', '2026-11'])
    """
    step, name = _check_kind(kind), _zone_name(tz)
    stamps = np.asarray(ts_us)
    if stamps.dtype.kind not in "iu" or not np.can_cast(stamps.dtype, np.int64):
        raise TypeError(
            f"ts_us has dtype {stamps.dtype}; expected int64 microseconds since the epoch (UTC)"
        )
    stamps = stamps.astype(np.int64, copy=False)
    if stamps.size == 0:
        return np.zeros(stamps.shape, dtype=np.int64), []
    if stamps.size == 1:
        earliest = latest = int(stamps.reshape(-1)[0])
    else:
        earliest, latest = int(stamps.min()), int(stamps.max())
    known = _recent(kind, name, earliest, latest)
    if known is not None:
        return np.zeros(stamps.shape, dtype=np.int64), [known]
    local_tz = zone(name)
    first = period_of(from_micros(earliest), kind, name)
    periods = [first]
    day = _first_day(first.local_start.date(), kind) + step
    start = first.end
    while to_micros(start) <= latest:
        day += step
        end = _day_start(day, local_tz)
        if end > start:
            periods.append(Period(kind=kind, start=start, end=end, tz=name))
            start = end
    _remember(periods[-1])
    starts = np.array([p.start_us for p in periods], dtype=np.int64)
    codes = np.searchsorted(starts, stamps, side="right") - 1
    return codes.astype(np.int64, copy=False), periods
