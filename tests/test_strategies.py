"""alliance.testing.strategies: everything generated is valid, options are honoured."""

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import BaseModel

import alliance as al
import alliance.testing
from alliance.testing import strategies
from alliance.testing._common import _ZONES

FEW = settings(max_examples=25)
SOME = settings(max_examples=50)
TABLES = settings(max_examples=15)
FIND = settings(max_examples=50, database=None, derandomize=True)

DST_ZONES = ["America/New_York", "Europe/London", "Asia/Shanghai", "America/Sao_Paulo", "UTC"]


def micros(ts: datetime) -> int:
    return al.to_micros(ts)


def places(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def assert_whole(money: al.Money) -> None:
    exponent = money.currency_info.exponent
    assert money.is_whole(), money
    assert places(money.amount) <= exponent
    assert al.Money.from_minor(money.minor, money.currency) == money


def assert_round_trips(model: BaseModel) -> None:
    assert type(model).model_validate(model.model_dump()) == model


# -- the public face ----------------------------------------------------------------------------


def test_every_public_name_is_a_strategy_factory() -> None:
    # The names themselves are pinned with the rest of the API in tests/test_public_api.py.
    for name in strategies.__all__:
        made = getattr(strategies, name)()
        assert isinstance(made, st.SearchStrategy), name


def test_without_hypothesis_the_error_says_how_to_install_it() -> None:
    script = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "from alliance.errors import MissingDependency\n"
        "try:\n"
        "    import alliance.testing\n"
        "except MissingDependency as error:\n"
        "    print(isinstance(error, ImportError), error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == (
        "True alliance.testing needs hypothesis; install it with: pip install 'alliance[testing]'"
    )


# -- currencies and money -----------------------------------------------------------------------


@SOME
@given(strategies.currency_codes())
def test_currency_codes_have_a_minor_unit(code: str) -> None:
    assert al.currency(code).code == code


@pytest.mark.parametrize("exponents", [[0], [3], [4], [0, 3]])
def test_currency_codes_honour_exponents(exponents: list[int]) -> None:
    @FEW
    @given(strategies.currency_codes(exponents=exponents))
    def check(code: str) -> None:
        assert al.currency(code).exponent in exponents

    check()


def test_zero_and_three_decimal_currencies_come_up() -> None:
    codes = strategies.currency_codes()
    assert find(codes, lambda c: al.currency(c).exponent == 0, settings=FIND) == "JPY"
    assert find(codes, lambda c: al.currency(c).exponent == 3, settings=FIND) == "KWD"
    jpy = find(strategies.money(), lambda m: m.currency_info.exponent == 0, settings=FIND)
    assert jpy == al.Money("0", "JPY")
    kwd = find(
        strategies.money(), lambda m: m.currency_info.exponent == 3 and m.amount > 0, settings=FIND
    )
    assert kwd == al.Money("0.001", "KWD")


@SOME
@given(strategies.currencies())
def test_currencies_are_the_table_entries(unit: al.Currency) -> None:
    assert al.currency(unit.code) is unit


@SOME
@given(strategies.money())
def test_money_is_whole_minor_units(money: al.Money) -> None:
    assert_whole(money)
    assert abs(money.amount) <= 10**9


@SOME
@given(strategies.money(currency=["JPY", "KWD"]))
def test_money_obeys_the_exponent_of_jpy_and_kwd(money: al.Money) -> None:
    assert money.currency in ("JPY", "KWD")
    assert_whole(money)
    assert places(money.amount) <= (0 if money.currency == "JPY" else 3)


@SOME
@given(strategies.money(currency="USD", min_value="-2.50", max_value="19.99"))
def test_money_honours_currency_and_bounds(money: al.Money) -> None:
    assert money.currency == "USD"
    assert al.Money("-2.50", "USD") <= money <= al.Money("19.99", "USD")
    assert_whole(money)


@SOME
@given(strategies.money(min_value="0.5", max_value="3.5"))
def test_money_bounds_round_inwards_to_whole_units(money: al.Money) -> None:
    assert Decimal("0.5") <= money.amount <= Decimal("3.5")
    assert_whole(money)


@SOME
@given(strategies.money(min_value=al.Money("1.000", "KWD")))
def test_a_money_bound_fixes_the_currency(money: al.Money) -> None:
    assert money.currency == "KWD"
    assert money.amount >= 1


@SOME
@given(strategies.money(currency="JPY", min_value=0, max_value=10, whole=False))
def test_money_finer_than_minor_units_on_request(money: al.Money) -> None:
    assert Decimal(0) <= money.amount <= Decimal(10)
    assert places(money.amount) <= 6


def test_money_finer_than_minor_units_comes_up() -> None:
    fine = find(
        strategies.money(currency="USD", min_value=0, whole=False),
        lambda m: not m.is_whole(),
        settings=FIND,
    )
    assert fine == al.Money("0.001", "USD")


# -- time ---------------------------------------------------------------------------------------


@SOME
@given(strategies.timestamps())
def test_timestamps_are_real_instants_in_iana_zones(ts: datetime) -> None:
    assert isinstance(ts.tzinfo, ZoneInfo)
    assert ts.tzinfo.key in ("UTC", *_ZONES)
    # A wall time skipped by a DST change would not survive the trip through UTC, and the
    # fold is the one that names the instant.
    back = ts.astimezone(UTC).astimezone(ts.tzinfo)
    assert (back.replace(tzinfo=None), back.fold) == (ts.replace(tzinfo=None), ts.fold)
    assert datetime(2000, 1, 1, tzinfo=UTC) <= ts <= datetime(2100, 1, 1, tzinfo=UTC)


def test_default_zones_include_dst_zones() -> None:
    assert set(DST_ZONES) <= set(_ZONES)


LOW = datetime(2026, 3, 8, 1, 0, tzinfo=ZoneInfo("America/New_York"))
HIGH = datetime(2026, 11, 1, 3, 0, tzinfo=ZoneInfo("America/New_York"))


@SOME
@given(strategies.timestamps(min_value=LOW, max_value=HIGH, timezones=DST_ZONES))
def test_timestamps_honour_bounds_and_zones(ts: datetime) -> None:
    assert isinstance(ts.tzinfo, ZoneInfo)
    assert ts.tzinfo.key in DST_ZONES
    assert micros(LOW) <= micros(ts) <= micros(HIGH)


NEW_YORK = ZoneInfo("America/New_York")
FOLD_LOW = datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK)  # EDT, 05:30Z
FOLD_HIGH = datetime(2026, 11, 1, 1, 20, fold=1, tzinfo=NEW_YORK)  # EST, 06:20Z


@SOME
@given(strategies.timestamps(min_value=FOLD_LOW, max_value=FOLD_HIGH, timezones="America/New_York"))
def test_timestamp_bounds_are_instants_even_inside_a_fold(ts: datetime) -> None:
    assert micros(FOLD_LOW) <= micros(ts) <= micros(FOLD_HIGH)


def test_timestamps_reach_both_sides_of_a_dst_fold() -> None:
    london = strategies.timestamps(
        min_value=datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
        max_value=datetime(2026, 10, 25, 1, 59, tzinfo=UTC),
        timezones="Europe/London",
    )
    second = find(london, lambda ts: ts.fold == 1 and ts.hour == 1, settings=FIND)
    assert second.utcoffset() == timedelta(0)


@SOME
@given(strategies.periods())
def test_periods_are_valid(period: al.Period) -> None:
    assert_round_trips(period)
    assert period.start < period.end
    if period.kind != "custom":
        assert al.period_of(period.start, period.kind, period.tz) == period


@SOME
@given(strategies.periods(kind=["day", "month"], tz="America/Sao_Paulo"))
def test_periods_honour_kind_and_zone(period: al.Period) -> None:
    assert period.kind in ("day", "month")
    assert period.tz == "America/Sao_Paulo"


def test_periods_include_short_dst_days() -> None:
    day = find(
        strategies.periods(kind="day", tz="America/New_York"),
        lambda p: p.duration != timedelta(days=1),
        settings=FIND,
    )
    assert day.duration in (timedelta(hours=23), timedelta(hours=25))


@FEW
@given(strategies.payout_schedules(tz=DST_ZONES))
def test_payout_schedules_are_valid(schedule: al.PayoutSchedule) -> None:
    assert_round_trips(schedule)
    assert schedule.tz in DST_ZONES
    first = schedule.next(schedule.dtstart - timedelta(microseconds=1))
    assert first is not None
    assert first >= schedule.dtstart


# -- exchange rates -----------------------------------------------------------------------------


@SOME
@given(strategies.fx_rates())
def test_fx_rates_are_exact_dated_and_cover_since(fx: al.FxRates) -> None:
    records = fx.to_records()
    assert records
    assert fx.pivot == "USD"
    since = datetime(2000, 1, 1, tzinfo=UTC)
    for row in records:
        assert isinstance(row["rate"], Decimal)
        assert row["rate"] > 0
        assert row["as_of"].tzinfo is not None
        assert micros(row["as_of"]) >= micros(since)
        assert "USD" in (row["base"], row["quote"])
    codes = {row["base"] for row in records} | {row["quote"] for row in records}
    for code in codes:
        converted = fx.convert(al.Money("1", code), "USD", at=since)
        assert converted.currency == "USD"


@FEW
@given(
    strategies.fx_rates(
        currencies=["JPY", "KWD", "EUR"],
        pivot="EUR",
        since=datetime(2026, 1, 1, tzinfo=UTC),
        until=datetime(2026, 12, 31, tzinfo=UTC),
        max_updates=2,
    )
)
def test_fx_rates_honour_options(fx: al.FxRates) -> None:
    assert fx.pivot == "EUR"
    pairs: dict[tuple[str, str], int] = {}
    for row in fx.to_records():
        pair = (row["base"], row["quote"])
        pairs[pair] = pairs.get(pair, 0) + 1
        assert (
            datetime(2026, 1, 1, tzinfo=UTC) <= row["as_of"] <= datetime(2026, 12, 31, tzinfo=UTC)
        )
    assert {frozenset(pair) for pair in pairs} == {
        frozenset({"EUR", "JPY"}),
        frozenset({"EUR", "KWD"}),
    }
    assert all(1 <= count <= 3 for count in pairs.values())
    cross = fx.convert(al.Money("1000", "JPY"), "KWD", at=datetime(2026, 6, 1, tzinfo=UTC))
    assert_whole(cross)


# -- records ------------------------------------------------------------------------------------


@SOME
@given(strategies.ids())
def test_ids_survive_validation_unchanged(identifier: str) -> None:
    assert (
        al.Click(click_id=identifier, ts=datetime.now(UTC), partner_id="p").click_id == identifier
    )


@SOME
@given(strategies.partners())
def test_partners_are_valid(partner: al.Partner) -> None:
    assert_round_trips(partner)
    assert partner.parent_id != partner.partner_id


@SOME
@given(strategies.clicks())
def test_clicks_are_valid(click: al.Click) -> None:
    assert_round_trips(click)


def assert_valid_order(order: al.Order) -> None:
    assert_round_trips(order)
    assert_whole(order.money)
    for part in (order.tax, order.shipping, order.discount):
        if part is not None:
            assert_whole(al.Money(part, order.currency))
    assert (order.tax or 0) + (order.shipping or 0) <= order.amount


@SOME
@given(strategies.orders())
def test_orders_are_valid(order: al.Order) -> None:
    assert_valid_order(order)


@SOME
@given(strategies.orders(currency=["JPY", "KWD"], min_amount="10", max_amount="20"))
def test_orders_honour_currency_and_amounts(order: al.Order) -> None:
    assert_valid_order(order)
    assert order.currency in ("JPY", "KWD")
    assert 10 <= order.amount <= 20


FIXED_TS = datetime(2026, 10, 1, 12, tzinfo=ZoneInfo("Asia/Shanghai"))


@FEW
@given(strategies.orders(order_id="o-1", ts=FIXED_TS, partner_id=st.none()))
def test_orders_honour_pinned_fields(order: al.Order) -> None:
    assert order.order_id == "o-1"
    assert order.ts == FIXED_TS
    assert order.partner_id is None


@SOME
@given(strategies.order_lines())
def test_order_lines_are_valid(line: al.OrderLine) -> None:
    assert_round_trips(line)
    assert line.currency is not None
    assert_whole(al.Money(line.amount, line.currency))
    assert line.quantity >= 1


@SOME
@given(strategies.reversals())
def test_reversals_are_valid(reversal: al.Reversal) -> None:
    assert_round_trips(reversal)
    if reversal.amount is not None:
        assert reversal.currency is not None
        assert reversal.amount > 0
        assert_whole(al.Money(reversal.amount, reversal.currency))


@FEW
@given(strategies.reversals(currency="KWD", kind="chargeback", line_id=st.none()))
def test_reversals_honour_options(reversal: al.Reversal) -> None:
    assert reversal.currency == "KWD"
    assert reversal.kind == "chargeback"
    assert reversal.line_id is None


@SOME
@given(strategies.touchpoints())
def test_touchpoints_are_valid(touchpoint: al.Touchpoint) -> None:
    assert_round_trips(touchpoint)
    assert touchpoint.partner_id is not None or touchpoint.coupon_code is not None
    if touchpoint.kind == "coupon":
        assert touchpoint.coupon_code is not None


@FEW
@given(strategies.touchpoints(partner_id=st.none(), kind=["click", "impression"]))
def test_touchpoints_without_partner_carry_a_coupon(touchpoint: al.Touchpoint) -> None:
    assert touchpoint.partner_id is None
    assert touchpoint.coupon_code is not None
    assert touchpoint.kind in ("click", "impression")


@FEW
@given(strategies.partners(kind="kol", status=["active", "paused"], payout_currency="JPY"))
def test_partners_honour_options(partner: al.Partner) -> None:
    assert partner.kind == "kol"
    assert partner.status in ("active", "paused")
    assert partner.payout_currency == "JPY"


# -- tables -------------------------------------------------------------------------------------


def assert_unique(table: al.Table) -> None:
    keys = list(zip(*(table[name].tolist() for name in table.key), strict=True))
    assert len(set(keys)) == len(keys) == len(table)


@TABLES
@given(strategies.partners_tables(min_size=1, max_size=12))
def test_partners_tables_have_known_parents_and_no_cycles(partners: al.Partners) -> None:
    assert 1 <= len(partners) <= 12
    assert_unique(partners)
    parent_of = dict(zip(partners["partner_id"], partners["parent_id"], strict=True))
    for partner in parent_of:
        seen = {partner}
        parent = parent_of[partner]
        while parent is not None:
            assert parent in parent_of
            assert parent not in seen
            seen.add(parent)
            parent = parent_of[parent]


@TABLES
@given(strategies.clicks_tables())
def test_clicks_tables(clicks: al.Clicks) -> None:
    assert 0 <= len(clicks) <= 20
    assert_unique(clicks)


@TABLES
@given(strategies.orders_tables(max_size=10))
def test_orders_tables(orders: al.Orders) -> None:
    assert 0 <= len(orders) <= 10
    assert_unique(orders)
    for order in orders.to_models():
        assert_valid_order(order)


@TABLES
@given(strategies.orders_tables(min_size=3, max_size=3, currency="KWD"))
def test_orders_tables_honour_size_and_currency(orders: al.Orders) -> None:
    assert len(orders) == 3
    assert set(orders["currency"]) == {"KWD"}


@TABLES
@given(strategies.lines_tables(min_size=2, max_size=15))
def test_lines_tables(lines: al.Lines) -> None:
    assert 2 <= len(lines) <= 15
    assert_unique(lines)
    currency_of: dict[str, str] = {}
    for order_id, code in zip(lines["order_id"], lines["currency"], strict=True):
        assert currency_of.setdefault(order_id, code) == code


@TABLES
@given(strategies.reversals_tables(max_size=10, currency=["JPY", "KWD"]))
def test_reversals_tables(reversals: al.Reversals) -> None:
    assert len(reversals) <= 10
    assert_unique(reversals)
    assert set(reversals["currency"]) <= {"JPY", "KWD"}


@TABLES
@given(strategies.touchpoints_tables(min_size=1, max_size=10))
def test_touchpoints_tables(touchpoints: al.Touchpoints) -> None:
    assert 1 <= len(touchpoints) <= 10
    assert not (touchpoints.missing("partner_id") & touchpoints.missing("coupon_code")).any()


TABLE_STRATEGIES: list[Callable[..., st.SearchStrategy[Any]]] = [
    strategies.partners_tables,
    strategies.clicks_tables,
    strategies.orders_tables,
    strategies.lines_tables,
    strategies.reversals_tables,
    strategies.touchpoints_tables,
]


@pytest.mark.parametrize("tables", TABLE_STRATEGIES, ids=lambda f: f.__name__)
def test_empty_tables_have_every_column(tables: Callable[..., st.SearchStrategy[Any]]) -> None:
    @settings(max_examples=3)
    @given(tables(max_size=0))
    def check(table: al.Table) -> None:
        assert len(table) == 0
        assert set(type(table).model.model_fields) <= set(table.columns)

    check()


# -- registered types ---------------------------------------------------------------------------


REGISTERED: list[type[Any]] = [
    al.Money,
    al.Currency,
    al.Period,
    al.PayoutSchedule,
    al.FxRate,
    al.FxRates,
    al.Partner,
    al.Click,
    al.Order,
    al.OrderLine,
    al.Reversal,
    al.Touchpoint,
    al.Partners,
    al.Clicks,
    al.Orders,
    al.Lines,
    al.Reversals,
    al.Touchpoints,
    al.Table,
]


@pytest.mark.parametrize("kind", REGISTERED, ids=lambda kind: kind.__name__)
def test_from_type_builds_valid_values(kind: type[Any]) -> None:
    @settings(max_examples=10)
    @given(st.from_type(kind))
    def check(value: Any) -> None:
        assert isinstance(value, kind)
        if isinstance(value, BaseModel):
            assert_round_trips(value)
        if isinstance(value, al.Money):
            assert_whole(value)
        if isinstance(value, al.FxRate):
            assert value.base != value.quote
            assert value.rate > 0

    check()


@FEW
@given(order=..., money=...)
def test_given_infers_registered_types(order: al.Order, money: al.Money) -> None:
    assert_valid_order(order)
    assert_whole(money)


# -- bad options --------------------------------------------------------------------------------


NAIVE = datetime(2026, 1, 1)
EARLY, LATE = datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)

BAD_OPTIONS: list[tuple[str, Callable[[], object], str]] = [
    ("money min > max", lambda: strategies.money(min_value=5, max_value=1),
     r"Cannot have max_value=1 < min_value=5"),
    ("money float bound", lambda: strategies.money(min_value=0.5),  # type: ignore[arg-type]
     r"min_value=0\.5 .*float"),
    ("money unknown currency", lambda: strategies.money(currency="XXX"), r"currency='XXX'"),
    ("money no whole amount", lambda: strategies.money(currency="USD", min_value="0.001",
     max_value="0.009"), r"no amount from min_value='0\.001' to max_value='0\.009'"),
    ("money bound in another currency", lambda: strategies.money(
        currency="EUR", min_value=al.Money("1", "USD")), r"is in USD, but currency='EUR'"),
    ("money whole not bool", lambda: strategies.money(whole="yes"),  # type: ignore[arg-type]
     r"whole='yes'"),
    ("currency_codes unknown exponent", lambda: strategies.currency_codes(exponents=[7]),
     r"exponents=\[7\]"),
    ("timestamps naive", lambda: strategies.timestamps(min_value=NAIVE), r"min_value=.* naive"),
    ("timestamps min > max", lambda: strategies.timestamps(min_value=LATE, max_value=EARLY),
     r"Cannot have max_value=.*2020.* < min_value=.*2030"),
    ("timestamps unknown zone", lambda: strategies.timestamps(timezones=["Mars/Olympus"]),
     r"timezones=\['Mars/Olympus'\]"),
    ("periods unknown kind", lambda: strategies.periods(kind="fortnight"),  # type: ignore[arg-type]
     r"kind='fortnight'"),
    ("fx_rates unknown pivot", lambda: strategies.fx_rates(pivot="XXX"), r"pivot='XXX'"),
    ("fx_rates only the pivot", lambda: strategies.fx_rates(currencies=["USD"]),
     r"currencies=\['USD'\] .* other than USD"),
    ("fx_rates since > until", lambda: strategies.fx_rates(since=LATE, until=EARLY),
     r"Cannot have until=.* < since="),
    ("fx_rates negative updates", lambda: strategies.fx_rates(max_updates=-1),
     r"max_updates=-1"),
    ("orders negative amount", lambda: strategies.orders(min_amount="-1"), r"min_amount='-1'"),
    ("orders min > max", lambda: strategies.orders(min_amount=10, max_amount=1),
     r"Cannot have max_amount=1 < min_amount=10"),
    ("orders blank id", lambda: strategies.orders(order_id="  "), r"order_id='  '"),
    ("clicks naive ts", lambda: strategies.clicks(ts=NAIVE), r"ts=.* naive"),
    ("partners unknown kind", lambda: strategies.partners(kind="influencer"),  # type: ignore[arg-type]
     r"kind='influencer'"),
    ("touchpoints unknown kind", lambda: strategies.touchpoints(kind="email"),  # type: ignore[arg-type]
     r"kind='email'"),
    ("tables min > max", lambda: strategies.orders_tables(min_size=5, max_size=2),
     r"Cannot have max_size=2 < min_size=5"),
    ("tables negative size", lambda: strategies.lines_tables(min_size=-1), r"min_size=-1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "message"), [case[1:] for case in BAD_OPTIONS], ids=[case[0] for case in BAD_OPTIONS]
)
def test_bad_options_name_the_option(make: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        make()


def test_hypothesis_entry_point_registers_without_importing_alliance_testing() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from hypothesis import strategies as st\n"
        "import alliance as al\n"
        "order = st.from_type(al.Order).example()\n"
        "print('alliance.testing' in sys.modules, type(order).__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "Order"]
