"""Payout schedules: recurring dates from an RFC 5545 rule, in a programme's time zone."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Self

from dateutil.rrule import rrule, rrulestr
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from alliance._periods import _SLACK, _resolve, _ZoneName, require_aware, to_micros, zone

__all__ = ["PayoutSchedule"]


@lru_cache(maxsize=256)
def _compile(rule: str, tz_name: str, dtstart: datetime) -> rrule:
    """Parse one RRULE anchored at `dtstart` (aware, in zone `tz_name`, part of the cache key)."""
    text = rule.strip()
    head, colon, _ = text.partition(":")
    if not text or any(c.isspace() for c in text) or (colon and head.upper() != "RRULE"):
        raise ValueError(
            f"rule={rule!r} must be one RFC 5545 RRULE such as 'FREQ=MONTHLY;BYMONTHDAY=15' "
            "(dtstart and tz are separate fields)"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            parsed = rrulestr(text, dtstart=dtstart)
    except DeprecationWarning:
        raise ValueError(f"rule={rule!r} gives both COUNT and UNTIL; RFC 5545 allows one") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"rule={rule!r} is not a valid RFC 5545 RRULE: {exc}") from None
    if not isinstance(parsed, rrule):  # pragma: no cover - a single RRULE line is never a set
        raise ValueError(f"rule={rule!r} must be a single RRULE")
    if parsed.after(dtstart, inc=True) is None:
        raise ValueError(f"rule={rule!r} never occurs from dtstart={dtstart.isoformat()}")
    return parsed


class PayoutSchedule(BaseModel):
    """Recurring payout dates: an RFC 5545 RRULE read in wall-clock time of `tz`.

    `dtstart` anchors the rule: its local time of day is the time of each occurrence, and it
    counts as an occurrence only if it matches the rule. An occurrence whose wall time does not
    exist (DST gap) is moved forward by the gap; one that happens twice is the first.

    Examples:
        >>> schedule = PayoutSchedule(
        ...     rule="FREQ=MONTHLY;BYMONTHDAY=15",
        ...     tz="Asia/Shanghai",
        ...     dtstart=datetime(2026, 1, 1, 10, 0, tzinfo=zone("Asia/Shanghai")),
        ... )
        >>> schedule.next(datetime(2026, 10, 15, 2, 0, tzinfo=UTC)).isoformat()
        '2026-11-15T10:00:00+08:00'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    tz: _ZoneName
    dtstart: AwareDatetime

    @field_validator("dtstart")
    @classmethod
    def _in_zone(cls, value: datetime, info: ValidationInfo) -> datetime:
        if value.microsecond:
            # dateutil drops fractions of a second, which would shift or lose occurrences.
            raise ValueError(
                f"dtstart={value.isoformat()} must be a whole second: RFC 5545 times have no "
                "fractions of a second"
            )
        tz_name = info.data.get("tz")
        return value.astimezone(zone(tz_name)) if isinstance(tz_name, str) else value

    @model_validator(mode="after")
    def _valid_rule(self) -> Self:
        _compile(self.rule, self.tz, self.dtstart)
        return self

    def _between(self, start: datetime, end: datetime) -> list[datetime]:
        # Compare in UTC: datetimes sharing a tzinfo compare by wall time, ignoring the fold.
        start, end, tz = start.astimezone(UTC), end.astimezone(UTC), zone(self.tz)
        low = start.astimezone(tz) - _SLACK
        high = end.astimezone(tz) + _SLACK
        walls = _compile(self.rule, self.tz, self.dtstart).between(low, high, inc=True)
        instants = {_resolve(w.replace(tzinfo=None), tz) for w in walls}
        return sorted(i for i in instants if start <= i.astimezone(UTC) < end)

    def occurrences(self, start: datetime, end: datetime) -> list[datetime]:
        """Every occurrence in ``[start, end)``, in order, as aware datetimes in `tz`.

        Examples:
            >>> fridays = PayoutSchedule(
            ...     rule="RRULE:FREQ=WEEKLY;BYDAY=FR",
            ...     tz="UTC",
            ...     dtstart=datetime(2026, 1, 1, tzinfo=UTC),
            ... )
            >>> october = Period.month(2026, 10, tz="UTC")
            >>> [d.day for d in fridays.occurrences(october.start, october.end)]
            [2, 9, 16, 23, 30]
        """
        start_us = to_micros(require_aware(start, name="start"))
        end_us = to_micros(require_aware(end, name="end"))
        if end_us < start_us:  # instants, not wall times (see periods_between)
            raise ValueError(f"end={end.isoformat()} is before start={start.isoformat()}")
        return self._between(start, end)

    def next(self, after: datetime) -> datetime | None:
        """The first occurrence strictly after `after`, or None when the rule has ended."""
        after, tz = require_aware(after, name="after").astimezone(UTC), zone(self.tz)
        walls = _compile(self.rule, self.tz, self.dtstart).xafter(
            after.astimezone(tz) - _SLACK, inc=True
        )
        best: datetime | None = None
        horizon: datetime | None = None  # walls past it can only be later instants
        for wall in walls:
            if horizon is not None and wall > horizon:
                break
            instant = _resolve(wall.replace(tzinfo=None), tz)
            if instant.astimezone(UTC) > after:
                best = instant if best is None else min(best, instant)
                horizon = horizon or wall + _SLACK
        return best

    def previous(self, before: datetime) -> datetime | None:
        """The last occurrence strictly before `before`, or None if there is none."""
        before = require_aware(before, name="before").astimezone(UTC)
        floor = self.dtstart.astimezone(UTC) - _SLACK
        span = timedelta(days=32)
        while True:
            low = floor if before - floor <= span else before - span
            found = self._between(low, before)
            if found:
                return found[-1]
            if low == floor or before <= floor:
                return None
            span *= 4
