"""Strategies for values: currencies, money, timestamps, periods, schedules, rates."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache, partial
from typing import Final

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from alliance._currency import Currency
from alliance._currency import currencies as currency_table
from alliance._currency import currency as lookup_currency
from alliance._fx import FxRate, FxRates
from alliance._money import Money
from alliance._periods import (
    Period,
    PeriodKind,
    from_micros,
    period_of,
    to_micros,
    zone,
)
from alliance._schedules import PayoutSchedule

# -- money --------------------------------------------------------------------------------------
from alliance.testing._common import (
    _EARLIEST,
    _EXPONENT_ORDER,
    _FAVOURITE_CODES,
    _FINER_PLACES,
    _LARGEST_AMOUNT,
    _LATEST,
    _WEEKDAYS,
    AmountOption,
    CurrencyOption,
    TimestampOption,
    _amount_option,
    _check_order,
    _choices_option,
    _codes_option,
    _instant_option,
    _invalid,
    _show,
    _zones_option,
)


def _code_strategy(codes: Sequence[str]) -> SearchStrategy[str]:
    """Codes drawn by minor unit first, so JPY (0) and KWD (3) turn up as often as USD (2)."""
    groups: dict[int, list[str]] = {}
    for code in codes:
        groups.setdefault(lookup_currency(code).exponent, []).append(code)
    order = sorted(groups, key=lambda e: _EXPONENT_ORDER.index(e) if e in _EXPONENT_ORDER else e)
    return st.one_of(*(st.sampled_from(groups[e]) for e in order))


def _all_codes() -> list[str]:
    favourite = {code: rank for rank, code in enumerate(_FAVOURITE_CODES)}
    return sorted(currency_table(), key=lambda c: (favourite.get(c, len(favourite)), c))


def _minor_range(low: Fraction, high: Fraction, places: int) -> tuple[int, int]:
    scale = 10**places
    return math.ceil(low * scale), math.floor(high * scale)


def _resolve_money(
    currency_option: CurrencyOption,
    min_value: AmountOption,
    max_value: AmountOption,
    *,
    names: tuple[str, str, str],
    whole: bool,
    floor: Fraction | None = None,
) -> tuple[SearchStrategy[str], Fraction, Fraction]:
    """Check money options once; return the codes to draw and the bounds as fractions."""
    currency_name, min_name, max_name = names
    codes = _codes_option(currency_option, currency_name)
    low, low_code = _amount_option(min_value, min_name)
    high, high_code = _amount_option(max_value, max_name)
    for code, bound_name, bound in (
        (low_code, min_name, min_value),
        (high_code, max_name, max_value),
    ):
        if code is None:
            continue
        if codes is not None and code not in codes:
            raise InvalidArgument(
                f"{bound_name}={bound!r} is in {code}, but {currency_name}={currency_option!r}"
            )
        codes = (code,)
    if floor is not None and low is not None and low < floor:
        raise _invalid(min_name, min_value, f"an amount of at least {floor}")
    if low is not None and high is not None:
        _check_order(low, high, min_name, max_name, given=(min_value, max_value))
    if low is None:
        default_low = Fraction(-_LARGEST_AMOUNT) if floor is None else floor
        low = default_low if high is None else min(default_low, high)
    if high is None:
        high = max(Fraction(_LARGEST_AMOUNT), low)
    places = 0 if whole else _FINER_PLACES
    candidates = _all_codes() if codes is None else list(codes)
    feasible = [c for c in candidates if _fits(low, high, lookup_currency(c).exponent + places)]
    if not feasible:
        raise InvalidArgument(
            f"no amount from {min_name}={min_value!r} to {max_name}={max_value!r} is a whole "
            f"number of minor units of {', '.join(candidates)}"
        )
    return _code_strategy(feasible), low, high


def _fits(low: Fraction, high: Fraction, places: int) -> bool:
    first, last = _minor_range(low, high, places)
    return first <= last


@st.composite
def _money_of(
    draw: st.DrawFn,
    codes: SearchStrategy[str],
    low: Fraction,
    high: Fraction,
    whole: bool,
) -> Money:
    code = draw(codes)
    exponent = lookup_currency(code).exponent
    places = exponent if whole else exponent + draw(st.integers(0, _FINER_PLACES))
    if not _fits(low, high, places):
        places = exponent + _FINER_PLACES  # feasible: checked when the strategy was built
    first, last = _minor_range(low, high, places)
    units = draw(st.integers(first, last))
    if places == exponent:
        return Money.from_minor(units, code)
    return Money(Decimal(f"{units}E-{places}"), code)


def currency_codes(*, exponents: int | Iterable[int] | None = None) -> SearchStrategy[str]:
    """ISO 4217 codes of every active currency with a minor unit.

    Codes are drawn minor unit first, so zero-decimal (JPY, KRW) and three-decimal (KWD, BHD)
    currencies are as common as two-decimal ones; examples shrink towards ``"USD"``.

    Args:
        exponents: Only codes whose minor unit is one of these (``[0]`` for JPY, KRW …);
            ``None`` for all.

    Returns:
        A strategy of upper-case three-letter codes.

    Raises:
        InvalidArgument: No currency has one of ``exponents``.

    Examples:
        >>> from hypothesis import find
        >>> find(currency_codes(exponents=[3]), lambda code: True)
        'KWD'
    """
    codes = _all_codes()
    if exponents is not None:
        wanted = set(exponents) if isinstance(exponents, Iterable) else {exponents}
        codes = [c for c in codes if lookup_currency(c).exponent in wanted]
        if not codes:
            found = sorted({c.exponent for c in currency_table().values()})
            raise _invalid("exponents", exponents, f"minor units among {found}")
    return _code_strategy(codes)


def currencies(*, exponents: int | Iterable[int] | None = None) -> SearchStrategy[Currency]:
    """`Currency` entries of the ISO 4217 table (the same instances `currency` returns).

    Args:
        exponents: Only currencies whose minor unit is one of these; ``None`` for all.

    Raises:
        InvalidArgument: No currency has one of ``exponents``.
    """
    return currency_codes(exponents=exponents).map(lookup_currency)


def money(
    *,
    currency: CurrencyOption = None,
    min_value: AmountOption = None,
    max_value: AmountOption = None,
    whole: bool = True,
) -> SearchStrategy[Money]:
    """`Money` built from integer minor units (never from floats).

    Args:
        currency: A code, a `Currency`, or several codes to draw from; ``None`` for any.
        min_value: Smallest amount, in units of the currency (``"0"``, ``Decimal("9.99")``,
            or `Money`, which also fixes the currency). Default: ``-1_000_000_000`` (or
            ``max_value``, if lower).
        max_value: Largest amount. Default: ``1_000_000_000`` (or ``min_value`` if larger);
            the defaults keep batch sums within int64 minor units.
        whole: ``True`` (default) for whole minor units; ``False`` also gives amounts up to
            six decimal places finer, as prices times rates produce before rounding.

    Returns:
        A strategy of `Money`; examples shrink towards zero.

    Raises:
        InvalidArgument: An unknown currency, a float bound, ``min_value > max_value``, or a
            range that holds no whole amount of any allowed currency.

    Examples:
        >>> from hypothesis import find
        >>> find(money(currency="JPY", min_value="0.5"), lambda m: True)
        Money('1', 'JPY')
    """
    if not isinstance(whole, bool):
        raise _invalid("whole", whole, "True or False")
    codes, low, high = _resolve_money(
        currency, min_value, max_value, names=("currency", "min_value", "max_value"), whole=whole
    )
    return _money_of(codes, low, high, whole)


# -- time ---------------------------------------------------------------------------------------


def timestamps(
    *,
    min_value: datetime = _EARLIEST,
    max_value: datetime = _LATEST,
    timezones: str | Iterable[str] | None = None,
) -> SearchStrategy[datetime]:
    """Aware datetimes in real IANA zones, between two instants.

    Each value is an instant drawn between the bounds and then expressed in a zone from
    `timezones`, so it is never a wall time skipped by a DST change, and ``fold=1`` marks
    exactly the second occurrence of a repeated wall time. About one draw in four lands within
    a couple of hours (or a microsecond) of a UTC-offset change or a local month start, where
    23- and 25-hour days, skipped midnights and period boundaries live. Examples shrink
    towards `min_value`.

    Args:
        min_value: Earliest instant (aware). Default 2000-01-01T00:00Z.
        max_value: Latest instant (aware). Default 2100-01-01T00:00Z.
        timezones: Zone names to draw from. Default: UTC, America/New_York,
            Europe/London, Asia/Shanghai, America/Sao_Paulo, Europe/Dublin (negative DST),
            Australia/Lord_Howe (half-hour DST), Asia/Kolkata, Asia/Kathmandu,
            Pacific/Chatham, Pacific/Apia (skipped 2011-12-30) and America/St_Johns.

    Raises:
        InvalidArgument: A naive bound, ``min_value > max_value``, or an unknown zone.

    Examples:
        >>> from hypothesis import find
        >>> find(timestamps(timezones="Asia/Shanghai"), lambda ts: True).isoformat()
        '2000-01-01T08:00:00+08:00'
    """
    low = _instant_option(min_value, "min_value")
    high = _instant_option(max_value, "max_value")
    # As instants: comparing two datetimes of one zone would ignore their fold.
    first, last = to_micros(low), to_micros(high)
    _check_order(first, last, "min_value", "max_value", given=(low, high))
    names = _zones_option(timezones, "timezones")
    for name in names:
        try:
            low.astimezone(zone(name)), high.astimezone(zone(name))
        except OverflowError:
            raise InvalidArgument(
                f"min_value={_show(low)} and max_value={_show(high)} must be representable "
                f"in {name}"
            ) from None
    return st.one_of(
        *(_instants(name, first, last).map(partial(from_micros, tz=name)) for name in names)
    )


_HOUR_US: Final = 3_600_000_000


@st.composite
def _instants(draw: st.DrawFn, name: str, first: int, last: int) -> int:
    """Microseconds in ``[first, last]``, one draw in four near a landmark of zone `name`."""
    uniform = st.integers(first, last)
    if not draw(st.sampled_from((False, False, False, True))):
        return draw(uniform)
    year = draw(st.integers(from_micros(first).year, from_micros(last).year))
    changes = _offset_changes(name, year)
    near_change: bool = draw(st.booleans())
    if changes and near_change:
        landmark = draw(st.sampled_from(changes))
    else:
        month_start = datetime(year, draw(st.integers(1, 12)), 1, tzinfo=zone(name))
        landmark = to_micros(month_start)
    nudge = draw(st.integers(-1, 1) | st.integers(-2 * _HOUR_US, 2 * _HOUR_US))
    return min(max(landmark + nudge, first), last)


@lru_cache(maxsize=4096)
def _offset_changes(name: str, year: int) -> tuple[int, ...]:
    """The instants (microseconds, UTC) in `year` at which zone `name` changes its offset."""
    tz = zone(name)

    def offset(us: int) -> timedelta | None:
        return from_micros(us).astimezone(tz).utcoffset()

    # Offset changes of one zone are never less than a week apart, so probing every six days
    # finds them all; each is then bisected to the microsecond.
    step = 6 * 24 * _HOUR_US
    moment = to_micros(datetime(year, 1, 1, tzinfo=UTC))
    end = to_micros(datetime(year + 1, 1, 1, tzinfo=UTC)) if year < 9999 else moment + 60 * step
    changes = []
    while moment < end:
        following = min(moment + step, end)
        if offset(following) != offset(moment):
            before, after = moment, following
            while after - before > 1:
                middle = (before + after) // 2
                if offset(middle) == offset(before):
                    before = middle
                else:
                    after = middle
            changes.append(after)
        moment = following
    return tuple(changes)


def periods(
    *,
    kind: PeriodKind | Iterable[PeriodKind] | None = None,
    tz: str | Iterable[str] | None = None,
    min_value: datetime = _EARLIEST,
    max_value: datetime = _LATEST,
) -> SearchStrategy[Period]:
    """Calendar periods (local days, weeks, months …) and custom windows, in IANA zones.

    A calendar period is the one that holds an instant from `timestamps`, so DST days of 23
    or 25 hours, and days starting at 01:00 where midnight is skipped, turn up. A custom
    window starts at such an instant and lasts from a microsecond to 400 days.

    Args:
        kind: One kind or several (``"day"``, ``"week"``, ``"month"``, ``"quarter"``,
            ``"year"``, ``"custom"``); ``None`` for all.
        tz: Zone name(s) of the periods; default as for `timestamps`.
        min_value: Earliest instant a period must contain (its start, for custom windows).
        max_value: Latest such instant.

    Raises:
        InvalidArgument: An unknown kind or zone, or bad bounds.
    """
    calendar: tuple[PeriodKind, ...] = ("month", "day", "week", "quarter", "year", "custom")
    kinds = _choices_option(kind, "kind", calendar)
    names = _zones_option(tz, "tz")
    instants = {
        name: timestamps(min_value=min_value, max_value=max_value, timezones=name) for name in names
    }
    durations = st.timedeltas(timedelta(microseconds=1), timedelta(days=400))

    @st.composite
    def draw_period(draw: st.DrawFn) -> Period:
        name = draw(st.sampled_from(names))
        chosen = draw(st.sampled_from(kinds))
        instant = draw(instants[name])
        if chosen == "custom":
            # Elapsed time: adding to a zoned datetime would move its wall clock instead.
            end = instant.astimezone(UTC) + draw(durations)
            return Period.custom(instant, end, tz=name)
        return period_of(instant, chosen, name)

    return draw_period()


def payout_schedules(*, tz: str | Iterable[str] | None = None) -> SearchStrategy[PayoutSchedule]:
    """Payout schedules: monthly on a day, on the n-th weekday, weekly or fortnightly.

    Args:
        tz: Zone name(s) of the schedules; default as for `timestamps`.

    Raises:
        InvalidArgument: An unknown zone.
    """
    names = _zones_option(tz, "tz")
    weekday = st.sampled_from(_WEEKDAYS)
    rules = st.one_of(
        st.integers(1, 28).map(lambda day: f"FREQ=MONTHLY;BYMONTHDAY={day}"),
        st.just("FREQ=MONTHLY;BYMONTHDAY=-1"),
        st.tuples(st.sampled_from((1, 2, -1)), weekday).map(
            lambda nth: f"FREQ=MONTHLY;BYDAY={nth[0]}{nth[1]}"
        ),
        st.tuples(st.integers(1, 2), weekday).map(
            lambda every: f"FREQ=WEEKLY;INTERVAL={every[0]};BYDAY={every[1]}"
        ),
    )
    counts = st.none() | st.integers(1, 24)
    starts = {
        name: timestamps(timezones=name, max_value=datetime(2090, 1, 1, tzinfo=UTC))
        for name in names
    }

    @st.composite
    def draw_schedule(draw: st.DrawFn) -> PayoutSchedule:
        name = draw(st.sampled_from(names))
        rule, count = draw(rules), draw(counts)
        return PayoutSchedule(
            rule=rule if count is None else f"{rule};COUNT={count}",
            tz=name,
            # dateutil drops a dtstart's microseconds, which can push every occurrence of a
            # COUNT-limited rule before dtstart; schedules start on a whole second.
            dtstart=draw(starts[name]).replace(microsecond=0),
        )

    return draw_schedule()


# -- exchange rates -----------------------------------------------------------------------------


#: Rates are m / 10**p with m in [1, 10**8] and p in [2, 8]: 0.00000001 to 1,000,000.
_RATES = st.builds(
    lambda mantissa, places: Decimal(f"{mantissa}E-{places}"),
    st.integers(1, 10**8),
    st.integers(2, 8),
)


@st.composite
def _fx_quote(draw: st.DrawFn) -> FxRate:
    base = draw(currency_codes())
    quote = draw(currency_codes().filter(lambda code: code != base))
    return FxRate(base, quote, draw(_RATES), draw(timestamps()))


def fx_rates(
    *,
    currencies: Iterable[str | Currency] | None = None,
    pivot: str | Currency = "USD",
    since: datetime = _EARLIEST,
    until: datetime = _LATEST,
    max_updates: int = 3,
) -> SearchStrategy[FxRates]:
    """`FxRates` quoting each currency against `pivot`, with exact decimal rates.

    Every pair has a rate as of `since`, so any conversion between the currencies (directly
    or across the pivot) at or after `since` finds a rate; up to `max_updates` later rates per
    pair follow, dated up to `until`. Each pair is quoted either way round (``USD/JPY`` or
    ``JPY/USD``), so inverse lookups get exercised.

    Args:
        currencies: Codes to quote against the pivot; ``None`` draws one to four.
        pivot: The currency every pair shares, also the `FxRates` pivot for cross rates.
        since: Instant of every pair's first rate (aware).
        until: Latest instant of a later rate (aware).
        max_updates: Most later rates per pair.

    Raises:
        InvalidArgument: Unknown codes, no currency besides the pivot, ``since > until``,
            or a negative ``max_updates``.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from hypothesis import find
        >>> fx = find(fx_rates(currencies=["EUR", "JPY"]), lambda fx: True)
        >>> fx.to_records()[0]["rate"], len(fx)
        (Decimal('0.01'), 2)
        >>> since = datetime(2000, 1, 1, tzinfo=timezone.utc)
        >>> fx.convert(Money("10.00", "EUR"), "JPY", at=since)  # cross rate, through USD
        Money('10', 'JPY')
    """
    pivot_code = (_codes_option(pivot, "pivot") or ("USD",))[0]
    start = _instant_option(since, "since")
    end = _instant_option(until, "until")
    _check_order(to_micros(start), to_micros(end), "since", "until", given=(start, end))
    if isinstance(max_updates, bool) or not isinstance(max_updates, int) or max_updates < 0:
        raise _invalid("max_updates", max_updates, "a non-negative int")
    if currencies is None:
        others: SearchStrategy[list[str]] = st.lists(
            currency_codes().filter(lambda code: code != pivot_code),
            min_size=1,
            max_size=4,
            unique=True,
        )
    else:
        given = [c for c in _codes_option(currencies, "currencies") or () if c != pivot_code]
        if not given:
            raise _invalid("currencies", currencies, f"at least one code other than {pivot_code}")
        others = st.just(given)
    if to_micros(start) == to_micros(end) or max_updates == 0:
        updates: SearchStrategy[list[datetime]] = st.just([])
    else:
        after_start = start.astimezone(UTC) + timedelta(microseconds=1)
        later = timestamps(min_value=after_start, max_value=end)
        updates = st.lists(later, max_size=max_updates, unique_by=to_micros)

    @st.composite
    def draw_rates(draw: st.DrawFn) -> FxRates:
        quoted = []
        for code in draw(others):
            inverted = draw(st.booleans())
            base, quote = (code, pivot_code) if inverted else (pivot_code, code)
            for as_of in [start, *draw(updates)]:
                quoted.append(FxRate(base, quote, draw(_RATES), as_of))
        return FxRates(quoted, pivot=pivot_code)

    return draw_rates()


def _timestamp_option(value: TimestampOption, name: str) -> SearchStrategy[datetime]:
    if value is None:
        return timestamps()
    if isinstance(value, SearchStrategy):
        return value
    return st.just(_instant_option(value, name))
