"""Hypothesis strategies for every public `alliance` type, for property tests downstream.

Every strategy is a function returning a `SearchStrategy`; its options are keyword-only and
checked when it is called, so a bad option fails at once with `InvalidArgument` naming the
option and its value. Records are built through the models' own constructors, and tables
through `Table.from_models`, so everything generated is valid by construction: amounts are
whole minor units of their currency (JPY 0 places, KWD 3, CLF 4), never negative where the
model forbids it, timestamps are aware and in real IANA zones (DST zones included), table keys
are unique and partner parents exist without cycles.

Importing this module registers a strategy with `hypothesis.strategies.register_type_strategy`
for `Money`, `Currency`, `Period`, `PayoutSchedule`, `FxRate`, `FxRates`, each model
(`Partner`, `Click`, `Order`, `OrderLine`, `Reversal`, `Touchpoint`) and each table
(`Partners`, `Clicks`, `Orders`, `Lines`, `Reversals`, `Touchpoints`, and `Table` for any of
them), so ``st.from_type(al.Order)`` and ``@given(order=...)`` inference work. Registration only
stores factories; no strategy is built until one is used.

Examples:
    >>> from hypothesis import find
    >>> from alliance.testing import strategies
    >>> find(strategies.money(currency="KWD", min_value="1"), lambda m: m.amount > 1)
    Money('1.001', 'KWD')
    >>> order = find(strategies.orders(currency="JPY"), lambda o: o.amount >= 500)
    >>> order.money
    Money('500', 'JPY')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache, partial
from typing import Any, Final, TypeVar, get_args

import hypothesis.strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from alliance._currency import Currency
from alliance._currency import currencies as currency_table
from alliance._currency import currency as lookup_currency
from alliance._fields import parse_id
from alliance._fx import FxRate, FxRates
from alliance._models import (
    Click,
    Order,
    OrderLine,
    Partner,
    PartnerKind,
    PartnerStatus,
    Reversal,
    ReversalKind,
    Touchpoint,
    TouchpointKind,
)
from alliance._money import Money, parse_amount
from alliance._periods import (
    Period,
    PeriodKind,
    from_micros,
    period_of,
    require_aware,
    to_micros,
    zone,
)
from alliance._schedules import PayoutSchedule
from alliance._tables import Clicks, Lines, Orders, Partners, Reversals, Table, Touchpoints
from alliance.errors import AllianceError

__all__ = [
    "clicks",
    "clicks_tables",
    "currencies",
    "currency_codes",
    "fx_rates",
    "ids",
    "lines_tables",
    "money",
    "order_lines",
    "orders",
    "orders_tables",
    "partners",
    "partners_tables",
    "payout_schedules",
    "periods",
    "reversals",
    "reversals_tables",
    "timestamps",
    "touchpoints",
    "touchpoints_tables",
]

T = TypeVar("T")
Tab = TypeVar("Tab", bound=Table)

CurrencyOption = str | Currency | Iterable[str | Currency] | None
AmountOption = str | int | Decimal | Money | None
IdOption = str | SearchStrategy[str] | None
OptionalIdOption = str | SearchStrategy[str | None] | None
TimestampOption = datetime | SearchStrategy[datetime] | None

#: Default bound on amounts, in units of the currency: a billion still fits int64 minor units
#: of a 4-place currency (CLF) about 900,000 times over, so batch sums of generated data do not
#: overflow.
_LARGEST_AMOUNT: Final = 10**9
#: Extra decimal places an amount may carry beyond its minor unit when ``whole=False``.
_FINER_PLACES: Final = 6
_EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
#: Zones with DST in either hemisphere, negative DST (Dublin), half- and quarter-hour offsets,
#: half-hour DST (Lord Howe), midnight transitions (Sao Paulo before 2019) and a skipped day
#: (Apia, 2011-12-30). UTC first, so failing examples shrink to it.
_ZONES: Final = (
    "UTC",
    "America/New_York",
    "Europe/London",
    "Asia/Shanghai",
    "America/Sao_Paulo",
    "Europe/Dublin",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Apia",
    "America/St_Johns",
)
#: Within each minor unit, these codes come first (and shrink first); the rest follow A-Z.
_FAVOURITE_CODES: Final = ("USD", "EUR", "GBP", "CNY", "JPY", "KRW", "KWD", "BHD", "CLF")
#: Exponent groups in drawing order: 2 first, so examples shrink to USD.
_EXPONENT_ORDER: Final = (2, 0, 3, 4)
_COUNTRIES: Final = (
    "US", "CN", "GB", "DE", "FR", "JP", "KR", "BR", "IN", "ID", "MX", "KW", "BH", "CL", "VN",
    "NG", "ZA", "AU", "NZ", "CA", "IE", "NP", "WS", "ES", "IT", "NL", "SE", "TR", "AE", "SG",
)  # fmt: skip
_CATEGORIES: Final = ("beauty", "fashion", "electronics", "home", "food", "travel", "games")
_USER_AGENTS: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
    "curl/8.5.0",
)
_WEEKDAYS: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# -- checking options ---------------------------------------------------------------------------


def _invalid(name: str, value: object, expected: str) -> InvalidArgument:
    return InvalidArgument(f"{name}={value!r} is not valid: expected {expected}")


def _show(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else repr(value)


def _check_order(
    low: Any,
    high: Any,
    low_name: str,
    high_name: str,
    *,
    given: tuple[object, object] | None = None,
) -> None:
    """Refuse ``low > high``, naming both options with the values as given (`given`)."""
    if low > high:
        shown_low, shown_high = given or (low, high)
        raise InvalidArgument(
            f"Cannot have {high_name}={_show(shown_high)} < {low_name}={_show(shown_low)}"
        )


def _check_sizes(min_size: int, max_size: int) -> None:
    for name, value in (("min_size", min_size), ("max_size", max_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _invalid(name, value, "a non-negative int")
    _check_order(min_size, max_size, "min_size", "max_size")


def _codes_option(value: CurrencyOption, name: str) -> tuple[str, ...] | None:
    """The codes a currency option allows, in the order given; None allows every code."""
    if value is None:
        return None
    items: Iterable[Any] = [value] if isinstance(value, str | Currency) else value
    codes: dict[str, None] = {}
    try:
        for item in items:
            codes[lookup_currency(item).code] = None
    except (AllianceError, TypeError) as error:
        raise InvalidArgument(f"{name}={value!r} is not valid: {error}") from None
    if not codes:
        raise _invalid(name, value, "a currency code or a non-empty collection of codes")
    return tuple(codes)


def _amount_option(value: AmountOption, name: str) -> tuple[Fraction | None, str | None]:
    """An amount bound as an exact fraction, and its currency when given as `Money`."""
    if value is None:
        return None, None
    if isinstance(value, Money):
        return Fraction(value.amount), value.currency
    try:
        return Fraction(parse_amount(value, what=name)), None
    except (AllianceError, TypeError) as error:
        raise InvalidArgument(f"{name}={value!r} is not valid: {error}") from None


def _zones_option(value: str | Iterable[str] | None, name: str) -> tuple[str, ...]:
    if value is None:
        return _ZONES
    names = (value,) if isinstance(value, str) else tuple(value)
    for item in names:
        if not isinstance(item, str):
            raise _invalid(name, value, "IANA zone names such as 'Asia/Shanghai'")
        try:
            zone(item)
        except AllianceError as error:
            raise InvalidArgument(f"{name}={value!r} is not valid: {error}") from None
    if not names:
        raise _invalid(name, value, "at least one IANA zone name")
    return tuple(dict.fromkeys(names))


def _instant_option(value: datetime, name: str) -> datetime:
    try:
        return require_aware(value, name=name)
    except AllianceError as error:
        raise InvalidArgument(str(error)) from None


def _choices_option(
    value: T | Iterable[T] | None, name: str, allowed: tuple[T, ...]
) -> tuple[T, ...]:
    if value is None:
        return allowed
    chosen = (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]
    bad = [item for item in chosen if item not in allowed]
    if bad or not chosen:
        raise _invalid(name, value, f"one or more of {', '.join(map(repr, allowed))}")
    return tuple(dict.fromkeys(chosen))


def _id_option(value: Any, name: str, default: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """A field option: None keeps the default, a strategy is used as is, a value is pinned."""
    if value is None:
        return default
    if isinstance(value, SearchStrategy):
        return value
    try:
        return st.just(parse_id(value))
    except ValueError as error:
        raise InvalidArgument(f"{name}={value!r} is not valid: {error}") from None


def _timestamp_option(value: TimestampOption, name: str) -> SearchStrategy[datetime]:
    if value is None:
        return timestamps()
    if isinstance(value, SearchStrategy):
        return value
    return st.just(_instant_option(value, name))


# -- money --------------------------------------------------------------------------------------


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


# -- records ------------------------------------------------------------------------------------


def ids() -> SearchStrategy[str]:
    """Identifiers the models accept unchanged: 1 to 16 letters, digits, punctuation, symbols.

    Any script may appear (``"注文-7"``), but never surrounding whitespace, which the models
    strip (so two generated ids are different ids after validation too).
    """
    characters = st.characters(codec="utf-8", categories=("L", "N", "P", "S"))
    return st.text(characters, min_size=1, max_size=16).filter(lambda text: text == text.strip())


_TEXT = st.text(max_size=24)
_CODES = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=3, max_size=12)
_COUNTRY = st.sampled_from(_COUNTRIES)
_HASHES = st.binary(min_size=32, max_size=32).map(bytes.hex)
_FINGERPRINTS = st.binary(min_size=12, max_size=12).map(bytes.hex)
_IPS = st.ip_addresses().map(str)


def _maybe(strategy: SearchStrategy[T]) -> SearchStrategy[T | None]:
    # None first: failing examples shrink to records with only their required fields.
    return st.none() | strategy


def partners(
    *,
    partner_id: IdOption = None,
    parent_id: OptionalIdOption = None,
    kind: PartnerKind | Iterable[PartnerKind] | None = None,
    status: PartnerStatus | Iterable[PartnerStatus] | None = None,
    payout_currency: CurrencyOption = None,
) -> SearchStrategy[Partner]:
    """`Partner` records with every optional field sometimes filled.

    Field options take a value (pinned), a strategy, or ``None`` for the default strategy;
    pass ``parent_id=st.none()`` for partners without a parent.

    Args:
        partner_id: The partner's id.
        parent_id: The parent's id; a drawn parent equal to the partner's id is dropped.
        kind: Kind(s) to draw from.
        status: Status(es) to draw from.
        payout_currency: Currency code(s) the partner may be paid in.

    Raises:
        InvalidArgument: An empty id, an unknown kind, status or currency.
    """
    own_ids = _id_option(partner_id, "partner_id", ids())
    parents = _id_option(parent_id, "parent_id", _maybe(ids()))
    kinds = st.sampled_from(_choices_option(kind, "kind", get_args(PartnerKind)))
    statuses = st.sampled_from(_choices_option(status, "status", get_args(PartnerStatus)))
    codes = _codes_option(payout_currency, "payout_currency")
    payout = _code_strategy(codes) if codes else _maybe(currency_codes())

    @st.composite
    def draw_partner(draw: st.DrawFn) -> Partner:
        own = draw(own_ids)
        parent = draw(parents)
        return Partner(
            partner_id=own,
            name=draw(_maybe(_TEXT)),
            kind=draw(kinds),
            group=draw(_maybe(_TEXT)),
            parent_id=None if parent == own else parent,
            country=draw(_maybe(_COUNTRY)),
            payout_currency=draw(payout),
            email_hash=draw(_maybe(_HASHES)),
            payment_fingerprint=draw(_maybe(_FINGERPRINTS)),
            audience_size=draw(_maybe(st.integers(0, 10**9))),
            engagement_rate=draw(_maybe(st.floats(0, 1))),
            categories=tuple(draw(st.lists(st.sampled_from(_CATEGORIES) | ids(), max_size=3))),
            status=draw(statuses),
            joined_at=draw(_maybe(timestamps())),
        )

    return draw_partner()


def clicks(
    *,
    click_id: IdOption = None,
    partner_id: IdOption = None,
    visitor_id: OptionalIdOption = None,
    ts: TimestampOption = None,
) -> SearchStrategy[Click]:
    """`Click` records.

    Args:
        click_id: The click's id (value, strategy, or ``None`` for any).
        partner_id: The partner whose link was clicked.
        visitor_id: The visitor.
        ts: The instant, or a strategy such as ``timestamps(timezones="Asia/Shanghai")``.

    Raises:
        InvalidArgument: An empty id or a naive ``ts``.
    """
    click_ids = _id_option(click_id, "click_id", ids())
    partner_ids = _id_option(partner_id, "partner_id", ids())
    visitors = _id_option(visitor_id, "visitor_id", _maybe(ids()))
    instants = _timestamp_option(ts, "ts")
    return st.builds(
        Click,
        click_id=click_ids,
        ts=instants,
        partner_id=partner_ids,
        visitor_id=visitors,
        ip=_maybe(_IPS),
        device_id=_maybe(ids()),
        user_agent=_maybe(st.sampled_from(_USER_AGENTS) | _TEXT),
        country=_maybe(_COUNTRY),
        sub_id=_maybe(_TEXT),
    )


def _amounts(
    currency: CurrencyOption, min_amount: AmountOption, max_amount: AmountOption
) -> SearchStrategy[Money]:
    """Record amounts: whole, not negative, checked as the options of `orders`."""
    codes, low, high = _resolve_money(
        currency,
        min_amount,
        max_amount,
        names=("currency", "min_amount", "max_amount"),
        whole=True,
        floor=Fraction(0),
    )
    return _money_of(codes, low, high, True)


def orders(
    *,
    currency: CurrencyOption = None,
    min_amount: AmountOption = None,
    max_amount: AmountOption = None,
    order_id: IdOption = None,
    ts: TimestampOption = None,
    partner_id: OptionalIdOption = None,
    visitor_id: OptionalIdOption = None,
    customer_id: OptionalIdOption = None,
) -> SearchStrategy[Order]:
    """`Order` records whose amounts are whole minor units of the order's currency.

    ``tax + shipping`` never exceed ``amount``; each of them, and ``discount``, is sometimes
    absent.

    Args:
        currency: Code(s) of the order; ``None`` for any.
        min_amount: Smallest ``amount`` (not negative). Default 0.
        max_amount: Largest ``amount``. Default 1,000,000,000.
        order_id: The order's id (value, strategy, or ``None`` for any).
        ts: The instant, or a strategy of instants.
        partner_id: Partner already credited (``st.none()`` for never).
        visitor_id: The visitor who ordered.
        customer_id: The customer account.

    Raises:
        InvalidArgument: An unknown currency, a negative or float bound, ``min_amount >
            max_amount``, an empty id, or a naive ``ts``.
    """
    totals = _amounts(currency, min_amount, max_amount)
    order_ids = _id_option(order_id, "order_id", ids())
    instants = _timestamp_option(ts, "ts")
    partner_ids = _id_option(partner_id, "partner_id", _maybe(ids()))
    visitors = _id_option(visitor_id, "visitor_id", _maybe(ids()))
    customers = _id_option(customer_id, "customer_id", _maybe(ids()))

    @st.composite
    def draw_order(draw: st.DrawFn) -> Order:
        total = draw(totals)
        code, minor = total.currency, total.minor

        def part(limit: int) -> Decimal | None:
            units = draw(_maybe(st.integers(0, limit)))
            return None if units is None else Money.from_minor(units, code).amount

        tax = part(minor)
        shipping = part(minor - (Money(tax, code).minor if tax is not None else 0))
        return Order(
            order_id=draw(order_ids),
            ts=draw(instants),
            amount=total.amount,
            currency=code,
            visitor_id=draw(visitors),
            customer_id=draw(customers),
            partner_id=draw(partner_ids),
            coupon_code=draw(_maybe(_CODES)),
            is_new_customer=draw(_maybe(st.booleans())),
            country=draw(_maybe(_COUNTRY)),
            ip=draw(_maybe(_IPS)),
            device_id=draw(_maybe(ids())),
            payment_fingerprint=draw(_maybe(_FINGERPRINTS)),
            email_hash=draw(_maybe(_HASHES)),
            subscription_id=draw(_maybe(ids())),
            tax=tax,
            shipping=shipping,
            discount=part(max(minor, 1)),
        )

    return draw_order()


def order_lines(
    *,
    currency: CurrencyOption = None,
    min_amount: AmountOption = None,
    max_amount: AmountOption = None,
    order_id: IdOption = None,
    line_id: IdOption = None,
) -> SearchStrategy[OrderLine]:
    """`OrderLine` records, always with their currency (which `Lines` needs for minor units).

    Args:
        currency: Code(s) of the line; ``None`` for any.
        min_amount: Smallest line total (not negative). Default 0.
        max_amount: Largest line total. Default 1,000,000,000.
        order_id: The order's id (value, strategy, or ``None`` for any).
        line_id: The line's id within the order.

    Raises:
        InvalidArgument: As for `orders`.
    """
    totals = _amounts(currency, min_amount, max_amount)
    line_ids = st.integers(1, 99).map(str) | ids()
    return st.builds(
        lambda total, **fields: OrderLine(amount=total.amount, currency=total.currency, **fields),
        totals,
        order_id=_id_option(order_id, "order_id", ids()),
        line_id=_id_option(line_id, "line_id", line_ids),
        sku=_maybe(_CODES),
        category=_maybe(st.sampled_from(_CATEGORIES) | _TEXT),
        quantity=st.integers(1, 1000),
    )


def reversals(
    *,
    currency: CurrencyOption = None,
    reversal_id: IdOption = None,
    order_id: IdOption = None,
    line_id: OptionalIdOption = None,
    ts: TimestampOption = None,
    kind: ReversalKind | Iterable[ReversalKind] | None = None,
) -> SearchStrategy[Reversal]:
    """`Reversal` records: in full (no amount) or partial, with a positive whole amount.

    A reversal with an amount always carries its currency; one without sometimes does.

    Args:
        currency: Code(s) of the reversal; when given, every reversal carries one.
        reversal_id: The reversal's id (value, strategy, or ``None`` for any).
        order_id: The order reversed.
        line_id: The line reversed (``st.none()`` for whole orders only).
        ts: The instant, or a strategy of instants.
        kind: Kind(s) of reversal to draw from.

    Raises:
        InvalidArgument: An unknown currency or kind, an empty id, or a naive ``ts``.
    """
    codes = _codes_option(currency, "currency")
    code_strategy = _code_strategy(codes or _all_codes())
    kinds = st.sampled_from(_choices_option(kind, "kind", get_args(ReversalKind)))
    reversal_ids = _id_option(reversal_id, "reversal_id", ids())
    order_ids = _id_option(order_id, "order_id", ids())
    line_ids = _id_option(line_id, "line_id", _maybe(st.integers(1, 99).map(str) | ids()))
    instants = _timestamp_option(ts, "ts")

    @st.composite
    def draw_reversal(draw: st.DrawFn) -> Reversal:
        code = draw(code_strategy)
        units = draw(
            _maybe(st.integers(1, _LARGEST_AMOUNT * lookup_currency(code).minor_per_major))
        )
        amount = None if units is None else Money.from_minor(units, code).amount
        keep_code = amount is not None or codes is not None or draw(st.booleans())
        return Reversal(
            reversal_id=draw(reversal_ids),
            order_id=draw(order_ids),
            line_id=draw(line_ids),
            ts=draw(instants),
            amount=amount,
            currency=code if keep_code else None,
            kind=draw(kinds),
            reason=draw(_maybe(_TEXT)),
        )

    return draw_reversal()


def touchpoints(
    *,
    visitor_id: IdOption = None,
    partner_id: OptionalIdOption = None,
    ts: TimestampOption = None,
    kind: TouchpointKind | Iterable[TouchpointKind] | None = None,
) -> SearchStrategy[Touchpoint]:
    """`Touchpoint` records: each has a partner or a coupon code, coupon touches a code.

    Args:
        visitor_id: The visitor touched (value, strategy, or ``None`` for any).
        partner_id: The partner (``st.none()`` for coupon-only touches).
        ts: The instant, or a strategy of instants.
        kind: Kind(s) to draw from.

    Raises:
        InvalidArgument: An empty id, an unknown kind, or a naive ``ts``.
    """
    visitors = _id_option(visitor_id, "visitor_id", ids())
    partner_ids = _id_option(partner_id, "partner_id", _maybe(ids()))
    kinds = st.sampled_from(_choices_option(kind, "kind", get_args(TouchpointKind)))
    instants = _timestamp_option(ts, "ts")

    @st.composite
    def draw_touchpoint(draw: st.DrawFn) -> Touchpoint:
        chosen = draw(kinds)
        partner = draw(partner_ids)
        needs_coupon = chosen == "coupon" or partner is None
        return Touchpoint(
            visitor_id=draw(visitors),
            ts=draw(instants),
            partner_id=partner,
            kind=chosen,
            coupon_code=draw(_CODES if needs_coupon else _maybe(_CODES)),
        )

    return draw_touchpoint()


# -- tables -------------------------------------------------------------------------------------


def _table(kind: type[Tab], records: Sequence[Any]) -> Tab:
    if records:
        return kind.from_models(records)
    # `from_models([])` refuses an empty list (it finds no columns at all, so every required
    # column is "missing"); an empty table is the clean remainder of one blank row.
    blank = dict.fromkeys(kind.model.model_fields)
    empty, _ = kind.from_records([blank], errors="collect")
    return empty


def _pool(min_size: int = 1, max_size: int = 5) -> SearchStrategy[list[str]]:
    """A few ids that rows share (the partners of clicks, the visitors of journeys)."""
    return st.lists(ids(), min_size=min_size, max_size=max_size, unique=True)


def partners_tables(*, min_size: int = 0, max_size: int = 20) -> SearchStrategy[Partners]:
    """`Partners` tables: unique ids; every parent is a partner of the table; no cycles.

    Parents are drawn among the partners placed before, then the rows are shuffled, so a
    parent may come before or after its children and hierarchies can be several levels deep.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.

    Raises:
        InvalidArgument: A negative size, or ``min_size > max_size``.
    """
    _check_sizes(min_size, max_size)

    @st.composite
    def draw_table(draw: st.DrawFn) -> Partners:
        own_ids = draw(st.lists(ids(), min_size=min_size, max_size=max_size, unique=True))
        rows = []
        for position, own in enumerate(own_ids):
            earlier = st.sampled_from(own_ids[:position]) if position else st.nothing()
            rows.append(draw(partners(partner_id=own, parent_id=_maybe(earlier))))
        return _table(Partners, draw(st.permutations(rows)))

    return draw_table()


def clicks_tables(*, min_size: int = 0, max_size: int = 20) -> SearchStrategy[Clicks]:
    """`Clicks` tables with unique click ids; a few partners and visitors recur across rows.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.

    Raises:
        InvalidArgument: A negative size, or ``min_size > max_size``.
    """
    _check_sizes(min_size, max_size)

    @st.composite
    def draw_table(draw: st.DrawFn) -> Clicks:
        partner_pool, visitor_pool = draw(_pool()), draw(_pool())
        rows = st.lists(
            clicks(
                partner_id=st.sampled_from(partner_pool),
                visitor_id=_maybe(st.sampled_from(visitor_pool)),
            ),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda click: click.click_id,
        )
        return _table(Clicks, draw(rows))

    return draw_table()


def orders_tables(
    *, min_size: int = 0, max_size: int = 20, currency: CurrencyOption = None
) -> SearchStrategy[Orders]:
    """`Orders` tables with unique order ids, in one currency or several.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.
        currency: Code(s) the orders may be in; ``None`` for any.

    Raises:
        InvalidArgument: A negative size, ``min_size > max_size``, or an unknown currency.
    """
    _check_sizes(min_size, max_size)
    _codes_option(currency, "currency")

    @st.composite
    def draw_table(draw: st.DrawFn) -> Orders:
        partner_pool, visitor_pool = draw(_pool()), draw(_pool())
        rows = st.lists(
            orders(
                currency=currency,
                partner_id=_maybe(st.sampled_from(partner_pool)),
                visitor_id=_maybe(st.sampled_from(visitor_pool)),
            ),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda order: order.order_id,
        )
        return _table(Orders, draw(rows))

    return draw_table()


def lines_tables(
    *, min_size: int = 0, max_size: int = 20, currency: CurrencyOption = None
) -> SearchStrategy[Lines]:
    """`Lines` tables: ``(order_id, line_id)`` unique, an order's lines in one currency.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.
        currency: Code(s) the orders' lines may be in; ``None`` for any.

    Raises:
        InvalidArgument: A negative size, ``min_size > max_size``, or an unknown currency.
    """
    _check_sizes(min_size, max_size)
    codes = _code_strategy(_codes_option(currency, "currency") or _all_codes())

    @st.composite
    def draw_table(draw: st.DrawFn) -> Lines:
        order_pool = draw(_pool(max_size=max(min_size, 5)))
        line_of = {order: order_lines(order_id=order, currency=draw(codes)) for order in order_pool}
        rows = st.lists(
            st.sampled_from(order_pool).flatmap(line_of.__getitem__),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda line: (line.order_id, line.line_id),
        )
        return _table(Lines, draw(rows))

    return draw_table()


def reversals_tables(
    *, min_size: int = 0, max_size: int = 20, currency: CurrencyOption = None
) -> SearchStrategy[Reversals]:
    """`Reversals` tables with unique reversal ids; an order's reversals share a currency.

    Args:
        min_size: Fewest rows.
        max_size: Most rows.
        currency: Code(s) the reversals may be in; ``None`` for any.

    Raises:
        InvalidArgument: A negative size, ``min_size > max_size``, or an unknown currency.
    """
    _check_sizes(min_size, max_size)
    codes = _code_strategy(_codes_option(currency, "currency") or _all_codes())

    @st.composite
    def draw_table(draw: st.DrawFn) -> Reversals:
        order_pool = draw(_pool())
        of_order = {order: reversals(order_id=order, currency=draw(codes)) for order in order_pool}
        rows = st.lists(
            st.sampled_from(order_pool).flatmap(of_order.__getitem__),
            min_size=min_size,
            max_size=max_size,
            unique_by=lambda reversal: reversal.reversal_id,
        )
        return _table(Reversals, draw(rows))

    return draw_table()


def touchpoints_tables(*, min_size: int = 0, max_size: int = 20) -> SearchStrategy[Touchpoints]:
    """`Touchpoints` tables: journeys of a few visitors across a few partners.

    Touchpoints have no key, so rows may repeat (a double-counted click is real data).

    Args:
        min_size: Fewest rows.
        max_size: Most rows.

    Raises:
        InvalidArgument: A negative size, or ``min_size > max_size``.
    """
    _check_sizes(min_size, max_size)

    @st.composite
    def draw_table(draw: st.DrawFn) -> Touchpoints:
        visitor_pool, partner_pool = draw(_pool()), draw(_pool())
        rows = st.lists(
            touchpoints(
                visitor_id=st.sampled_from(visitor_pool),
                partner_id=_maybe(st.sampled_from(partner_pool)),
            ),
            min_size=min_size,
            max_size=max_size,
        )
        return _table(Touchpoints, draw(rows))

    return draw_table()


# -- registration -------------------------------------------------------------------------------


def _any_table() -> SearchStrategy[Table]:
    return st.one_of(
        partners_tables(),
        clicks_tables(),
        orders_tables(),
        lines_tables(),
        reversals_tables(),
        touchpoints_tables(),
    )


_REGISTRY: Final[tuple[tuple[type[Any], Callable[[], SearchStrategy[Any]]], ...]] = (
    (Money, money),
    (Currency, currencies),
    (Period, periods),
    (PayoutSchedule, payout_schedules),
    (FxRate, _fx_quote),
    (FxRates, fx_rates),
    (Partner, partners),
    (Click, clicks),
    (Order, orders),
    (OrderLine, order_lines),
    (Reversal, reversals),
    (Touchpoint, touchpoints),
    (Partners, partners_tables),
    (Clicks, clicks_tables),
    (Orders, orders_tables),
    (Lines, lines_tables),
    (Reversals, reversals_tables),
    (Touchpoints, touchpoints_tables),
    (Table, _any_table),
)


def _factory(make: Callable[[], SearchStrategy[Any]]) -> Callable[[type[Any]], SearchStrategy[Any]]:
    return lambda _type: make()


for _type, _make in _REGISTRY:
    st.register_type_strategy(_type, _factory(_make))
del _type, _make
