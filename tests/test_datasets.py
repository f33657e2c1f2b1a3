"""The synthetic programme: determinism, sizes, invariants with real numbers, bad arguments."""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alliance as al
from alliance.datasets import Program, supported_currencies, synthetic_program
from alliance.errors import CurrencyError, TimezoneError

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def program() -> Program:
    return synthetic_program(seed=11, partners=150, clicks=30_000)


def by_order(
    table: al.Table, values: np.ndarray[Any, Any], orders: al.Orders
) -> np.ndarray[Any, Any]:
    """Sum an int64 column of lines or reversals per order row, exactly."""
    row_of = {order_id: row for row, order_id in enumerate(orders["order_id"])}
    rows = np.array([row_of[order_id] for order_id in table["order_id"]], dtype=np.int64)
    totals = np.zeros(len(orders), dtype=np.int64)
    np.add.at(totals, rows, values)
    return totals


# -- the public face ----------------------------------------------------------------------------


def test_public_names_are_pinned() -> None:
    import alliance.datasets as datasets

    assert datasets.__all__ == [
        "DEFAULT_FRAUD",
        "CurrencyTotal",
        "FraudLabels",
        "FraudRecord",
        "PartnerCounts",
        "Program",
        "ProgramSummary",
        "RateRange",
        "ReversalTotal",
        "supported_currencies",
        "synthetic_program",
    ]
    assert repr(Program) == "<class 'alliance.datasets.Program'>"


def test_defaults_build_the_documented_programme() -> None:
    program = synthetic_program(clicks=2_000)
    assert program.start == datetime(2026, 7, 1, tzinfo=SHANGHAI)
    assert program.end == datetime(2026, 9, 29, tzinfo=SHANGHAI)
    assert program.timezone == "Asia/Shanghai"
    assert program.currencies == ("USD", "EUR", "GBP", "JPY", "CNY", "BRL", "KWD")
    assert program.seed == 0
    assert len(program.partners) == 200
    assert repr(program).startswith("Program(seed=0, 2026-07-01T00:00:00+08:00 to ")
    assert set(program.tables) == {
        "partners",
        "clicks",
        "orders",
        "lines",
        "reversals",
        "touchpoints",
    }


# -- determinism and sizes ------------------------------------------------------------------------


def test_same_seed_gives_identical_tables() -> None:
    first = synthetic_program(seed=5, partners=60, clicks=4_000)
    second = synthetic_program(seed=5, partners=60, clicks=4_000)
    assert first.equals(second)
    assert first.summary() == second.summary()
    assert np.array_equal(first.orders["amount"], second.orders["amount"])


def test_different_seeds_differ() -> None:
    first = synthetic_program(seed=5, partners=60, clicks=4_000)
    other = synthetic_program(seed=6, partners=60, clicks=4_000)
    assert not first.equals(other)
    assert not first.partners.equals(other.partners)
    assert not np.array_equal(first.clicks["ts"], other.clicks["ts"])
    assert not first.equals("not a programme")


def test_partners_of_a_seed_do_not_depend_on_the_click_count() -> None:
    small = synthetic_program(seed=3, partners=80, clicks=1_000)
    large = synthetic_program(seed=3, partners=80, clicks=20_000)
    assert small.partners.equals(large.partners)
    assert small.fx.to_records() == large.fx.to_records()


@pytest.mark.parametrize(("partners", "clicks"), [(1, 10), (7, 0), (40, 1), (300, 12_345)])
def test_sizes_are_honoured(partners: int, clicks: int) -> None:
    program = synthetic_program(seed=1, partners=partners, clicks=clicks)
    assert len(program.partners) == partners
    assert len(program.clicks) == clicks
    click_touches = int((program.touchpoints["kind"] == "click").sum())
    assert click_touches == clicks
    if clicks == 0:
        assert len(program.orders) == len(program.lines) == len(program.reversals) == 0
        assert program.summary()["conversion_rate"] == 0.0


def test_default_arguments_build_fifty_thousand_clicks() -> None:
    program = synthetic_program()
    assert len(program.clicks) == 50_000
    assert 1_000 < len(program.orders) < 3_000


# -- the fast construction path agrees with the validating readers ----------------------------


@pytest.mark.parametrize("seed", [2, 19])
def test_tables_equal_their_validated_round_trip(seed: int) -> None:
    """Every table, read back through ``from_records`` (which validates every cell), is equal
    column for column, code for code, category for category."""
    program = synthetic_program(seed=seed, partners=40, clicks=3_000)
    for name, table in program.tables.items():
        again = type(table).from_records(table.to_records())
        assert again.columns == table.columns, name
        for column in table.columns:
            left, right = table[column], again[column]
            if left.dtype.kind == "f":
                assert np.array_equal(left, right, equal_nan=True), (name, column)
            else:
                assert left.tolist() == right.tolist(), (name, column)
            assert np.array_equal(table.missing(column), again.missing(column)), (name, column)
            try:
                codes, categories = table.codes(column)
            except (TypeError, KeyError):
                continue
            again_codes, again_categories = again.codes(column)
            assert np.array_equal(codes, again_codes), (name, column)
            assert categories.tolist() == again_categories.tolist(), (name, column)


def test_every_row_is_a_valid_model() -> None:
    program = synthetic_program(seed=4, partners=30, clicks=2_000)
    for table in program.tables.values():
        models = table.to_models()
        assert len(models) == len(table)
        assert all(isinstance(m, table.model) for m in models)


# -- invariants, with real numbers ----------------------------------------------------------------


def test_line_amounts_add_up_to_order_amounts(program: Program) -> None:
    orders, lines = program.orders, program.lines
    assert np.array_equal(by_order(lines, lines["amount"], orders), orders["amount"])
    assert (lines["amount"] > 0).all()
    assert set(lines["line_id"]) <= {"1", "2", "3", "4", "5"}
    assert (lines["quantity"] >= 1).all()
    per_order = by_order(lines, np.ones(len(lines), dtype=np.int64), orders)
    assert per_order.min() >= 1
    assert per_order.max() <= 5


def test_lines_carry_their_order_currency(program: Program) -> None:
    currency_of = dict(zip(program.orders["order_id"], program.orders["currency"], strict=True))
    assert [currency_of[o] for o in program.lines["order_id"]] == program.lines["currency"].tolist()


def test_discounts_and_taxes_are_consistent(program: Program) -> None:
    orders = program.orders
    coupon = ~orders.missing("coupon_code")
    assert (orders["discount"][~coupon] == 0).all()
    assert (orders["discount"][coupon] > 0).all()
    assert (orders["tax"] <= orders["amount"]).all()
    kuwait = orders["country"] == "KW"
    assert (orders["tax"][kuwait] == 0).all()  # no VAT in Kuwait
    germany = np.flatnonzero(orders["country"] == "DE")
    for row in germany[:20]:
        # 19% VAT included: tax = amount - round(amount / 1.19)
        amount = int(orders["amount"][row])
        net = (Decimal(amount) / Decimal("1.19")).quantize(Decimal(1), rounding="ROUND_HALF_EVEN")
        assert int(orders["tax"][row]) == amount - int(net)


def test_amounts_are_whole_minor_units_of_their_currency() -> None:
    program = synthetic_program(seed=8, partners=50, clicks=8_000, currencies=("JPY", "KWD", "USD"))
    records = program.orders.to_records()
    by_currency: dict[str, list[Decimal]] = defaultdict(list)
    undiscounted: dict[str, list[Decimal]] = defaultdict(list)
    for record in records:
        by_currency[record["currency"]].append(record["amount"])
        if record["discount"] == 0:
            undiscounted[record["currency"]].append(record["amount"])
        assert al.Money(record["amount"], record["currency"]).is_whole()
    assert set(by_currency) == {"JPY", "KWD", "USD"}
    assert all(amount == amount.to_integral_value() for amount in by_currency["JPY"])
    kwd_exponents = {amount.as_tuple().exponent for amount in by_currency["KWD"]}
    assert kwd_exponents == {-3}  # three decimals, as stored
    # List prices sit on local price points (1980 yen, 12.490 dinars); a code's discount is
    # rounded to the minor unit, so only orders without one keep the points.
    assert all(int(a) % 10 == 0 for a in undiscounted["JPY"])
    assert all(int(a * 1000) % 10 == 0 for a in undiscounted["KWD"])
    assert any(int(a) % 10 != 0 for a in by_currency["JPY"])
    for record in program.reversals.to_records():
        if record["amount"] is not None:
            assert al.Money(record["amount"], record["currency"]).is_whole()


def test_reversals_never_exceed_their_order(program: Program) -> None:
    orders, reversals = program.orders, program.reversals
    row_of = {order_id: row for row, order_id in enumerate(orders["order_id"])}
    rows = np.array([row_of[o] for o in reversals["order_id"]], dtype=np.int64)
    full = reversals.missing("amount")
    amount = np.where(full, orders["amount"][rows], reversals["amount"])
    assert (amount > 0).all()
    assert (amount <= orders["amount"][rows]).all()
    assert (by_order(reversals, amount, orders) <= orders["amount"]).all()
    assert (reversals["ts"] > orders["ts"][rows]).all()
    assert (reversals["currency"] == orders["currency"][rows]).all()
    line_amount = {
        (o, n): int(a)
        for o, n, a in zip(
            program.lines["order_id"],
            program.lines["line_id"],
            program.lines["amount"],
            strict=True,
        )
    }
    with_line = np.flatnonzero(~reversals.missing("line_id"))
    assert with_line.size > 0
    for row in with_line:
        key = (reversals["order_id"][row], reversals["line_id"][row])
        assert int(reversals["amount"][row]) == line_amount[key]
    kinds = reversals["kind"]
    assert set(kinds) == {"refund", "chargeback", "cancellation"}
    assert full[kinds == "cancellation"].all()
    chargebacks = kinds == "chargeback"
    assert (reversals["amount"][chargebacks] == orders["amount"][rows][chargebacks]).all()
    partial = ~full & (amount < orders["amount"][rows])
    assert partial.sum() > 0
    assert (kinds[partial] == "refund").all()


def test_reversal_rates_are_realistic(program: Program) -> None:
    orders = len(program.orders)
    kinds = program.reversals["kind"]
    assert 0.04 < (kinds == "refund").sum() / orders < 0.12
    assert (kinds == "chargeback").sum() / orders < 0.02
    assert 0.005 < (kinds == "cancellation").sum() / orders < 0.04


def test_every_reference_resolves(program: Program) -> None:
    partner_ids = set(program.partners["partner_id"])
    assert set(program.clicks["partner_id"]) <= partner_ids
    assert set(program.orders["partner_id"]) <= partner_ids  # every order is credited
    assert not program.orders.missing("partner_id").any()
    assert set(program.touchpoints["partner_id"]) <= partner_ids
    order_ids = set(program.orders["order_id"])
    assert set(program.lines["order_id"]) == order_ids
    assert set(program.reversals["order_id"]) <= order_ids
    visitors = set(program.clicks["visitor_id"]) | set(program.orders["visitor_id"])
    assert set(program.touchpoints["visitor_id"]) <= visitors


def test_sub_affiliates_have_agency_parents_without_cycles(program: Program) -> None:
    partners = program.partners
    parent_of = {
        p: parent
        for p, parent in zip(partners["partner_id"], partners["parent_id"], strict=True)
        if parent is not None
    }
    kind_of = dict(zip(partners["partner_id"], partners["kind"], strict=True))
    assert parent_of
    assert {kind_of[parent] for parent in parent_of.values()} == {"agency"}
    for child in parent_of:
        seen = {child}
        node = parent_of.get(child)
        while node is not None:
            assert node not in seen
            seen.add(node)
            node = parent_of.get(node)


def test_partner_profiles_follow_the_pyramid(program: Program) -> None:
    partners = program.partners
    kinds = partners["kind"]
    audience = partners["audience_size"]
    kol = kinds == "kol"
    assert set(kinds) == {"kol", "content", "coupon", "cashback", "agency", "brand"}
    assert (audience[kol] >= 10_000).all()
    head = kol & (audience >= 1_000_000)
    assert ((partners["group"] == "kol-head") == head).all()
    assert set(partners["group"]) <= {"kol-head", "premium", "standard"}
    assert set(partners["payout_currency"]) <= set(program.currencies)
    assert (partners["joined_at"] < al.to_micros(program.start)).all()
    # Pareto: the biggest tenth of the partners have most of the audience.
    ordered = np.sort(audience)[::-1]
    assert ordered[: len(ordered) // 10].sum() > 0.5 * ordered.sum()
    summary = program.summary()["partners"]
    assert sum(summary["kol_tiers"].values()) == int(kol.sum())
    assert summary["kol_tiers"]["head"] == int(head.sum())


def test_clicks_follow_partner_size_and_pending_partners_get_none(program: Program) -> None:
    partners, clicks = program.partners, program.clicks
    per_partner = dict.fromkeys(partners["partner_id"], 0)
    for partner_id in clicks["partner_id"]:
        per_partner[partner_id] += 1
    status = dict(zip(partners["partner_id"], partners["status"], strict=True))
    assert all(per_partner[p] == 0 for p in per_partner if status[p] in {"pending", "terminated"})
    counts = np.sort(np.array(list(per_partner.values())))[::-1]
    assert counts[: len(counts) // 10].sum() > 0.4 * counts.sum()
    reach = partners["audience_size"] * partners["engagement_rate"]
    active = np.array([status[p] == "active" for p in partners["partner_id"]])
    observed = np.array([per_partner[p] for p in partners["partner_id"]])
    assert np.corrcoef(reach[active], observed[active])[0, 1] > 0.9


def test_conversion_lag_is_positive_and_within_the_cookie_window(program: Program) -> None:
    clicks = defaultdict(list)
    for visitor, partner, ts in zip(
        program.clicks["visitor_id"],
        program.clicks["partner_id"],
        program.clicks["ts"],
        strict=True,
    ):
        clicks[(visitor, partner)].append(int(ts))
    lags = []
    orders = program.orders
    for visitor, partner, ts, code in zip(
        orders["visitor_id"], orders["partner_id"], orders["ts"], orders["coupon_code"], strict=True
    ):
        times = clicks.get((visitor, partner), [])
        before = bisect.bisect_left(times, int(ts))
        if before == 0:
            assert code is not None  # a code used without a click: the code credits the partner
            continue
        lags.append(int(ts) - times[before - 1])
    seconds = np.array(lags) / 1e6
    assert len(lags) > 0.9 * len(orders)
    assert seconds.min() > 0
    assert seconds.max() <= 30 * 86_400
    assert 3_600 < np.median(seconds) < 6 * 3_600  # a few hours
    assert np.quantile(seconds, 0.99) > 86_400  # and a long tail


def test_conversion_rate_is_near_the_requested_one(program: Program) -> None:
    summary = program.summary()
    assert summary["conversion_rate"] == len(program.orders) / len(program.clicks)
    assert 0.02 < summary["conversion_rate"] < 0.045
    low = synthetic_program(seed=11, partners=150, clicks=30_000, conversion_rate=0.01)
    assert len(low.orders) < len(program.orders) / 2


def test_events_lie_in_the_window_and_in_time_order(program: Program) -> None:
    start, end = al.to_micros(program.start), al.to_micros(program.end)
    for name in ("clicks", "orders", "reversals", "touchpoints"):
        ts = program.tables[name]["ts"]
        assert (ts >= start).all(), name
        assert (ts < end).all(), name
        assert (np.diff(ts) >= 0).all(), name


def test_new_and_returning_customers(program: Program) -> None:
    orders = program.orders
    first_order: dict[str, int] = {}
    repeat = 0
    for row, customer in enumerate(orders["customer_id"]):
        if customer in first_order:
            repeat += 1
            assert orders["is_new_customer"][row] == 0  # only a customer's first order is new
        else:
            first_order[customer] = row
    assert repeat > 0  # returning customers reuse their ids
    new = orders["is_new_customer"] == 1
    assert len(set(orders["customer_id"][new])) == int(new.sum())
    assert 0.3 < new.mean() < 0.8
    email = dict(zip(orders["customer_id"], orders["email_hash"], strict=True))
    assert all(
        email[c] == e for c, e in zip(orders["customer_id"], orders["email_hash"], strict=True)
    )


def test_coupon_codes_belong_to_the_credited_partner(program: Program) -> None:
    owner = {
        code: partner
        for partner, codes in zip(
            program.partners["partner_id"], program.partners["coupon_codes"], strict=True
        )
        for code in codes
    }
    kinds = dict(zip(program.partners["partner_id"], program.partners["kind"], strict=True))
    assert {kinds[p] for p in owner.values()} >= {"kol", "coupon"}
    orders = program.orders
    used = ~orders.missing("coupon_code")
    assert used.sum() > 0
    for code, partner in zip(orders["coupon_code"][used], orders["partner_id"][used], strict=True):
        assert owner[code] == partner
    touches = program.touchpoints
    coupon = touches["kind"] == "coupon"
    assert coupon.sum() > 0
    assert not touches.missing("coupon_code")[coupon].any()
    assert touches.missing("coupon_code")[~coupon].all()


def test_clicks_have_visitors_devices_and_countries(program: Program) -> None:
    clicks = program.clicks
    for column in ("visitor_id", "ip", "device_id", "user_agent", "country"):
        assert not clicks.missing(column).any(), column
    device_of = dict(zip(clicks["visitor_id"], clicks["device_id"], strict=True))
    assert all(
        device_of[v] == d for v, d in zip(clicks["visitor_id"], clicks["device_id"], strict=True)
    )
    assert all(len(ip.split(".")) == 4 for ip in clicks["ip"][:100])
    assert len(set(clicks["visitor_id"])) < len(clicks)  # visitors come back
    assert set(clicks["country"]) >= {"US", "JP", "CN", "GB", "BR", "KW"}
    impressions = program.touchpoints["kind"] == "impression"
    assert 0.15 < impressions.sum() / len(clicks) < 0.3


def test_orders_are_in_the_buyer_country_currency(program: Program) -> None:
    currency_of_country = {
        "US": "USD",
        "DE": "EUR",
        "FR": "EUR",
        "ES": "EUR",
        "IT": "EUR",
        "NL": "EUR",
        "GB": "GBP",
        "JP": "JPY",
        "CN": "CNY",
        "BR": "BRL",
        "KW": "KWD",
    }
    orders = program.orders
    assert [currency_of_country[c] for c in orders["country"]] == orders["currency"].tolist()
    assert set(orders["currency"]) == set(program.currencies)


# -- exchange rates -------------------------------------------------------------------------------


def test_every_currency_has_daily_rates_from_the_start(program: Program) -> None:
    fx = program.fx
    last = program.end - timedelta(microseconds=1)
    for code in program.currencies:
        assert fx.rate(code, "USD", at=program.start) > 0
        assert fx.rate(code, "USD", at=last) > 0
    records = fx.to_records()
    assert len(records) == 90 * (len(program.currencies) - 1)
    assert min(r["as_of"] for r in records) == program.start
    for record in records:
        digits = record["rate"].normalize().as_tuple()
        assert len(digits.digits) <= 6, record
        assert isinstance(record["rate"], Decimal)
    # Conversion at every order's instant works (the demo relies on it).
    usd = fx.convert_minor(
        program.orders["amount"], program.orders["currency"], "USD", at=program.orders["ts"]
    )
    assert (usd > 0).all()


def test_rates_walk_but_stay_near_market_levels(program: Program) -> None:
    for row in program.summary()["fx"]:
        assert abs(row["change"]) < 0.25, row
    yen = program.fx.rate("USD", "JPY", at=program.start)
    assert 130 < yen < 170


def test_summary_converts_at_order_time(program: Program) -> None:
    summary = program.summary()
    orders = program.orders
    total = 0
    for row in summary["gmv"]:
        chosen = np.flatnonzero(orders["currency"] == row["currency"])
        exact = sum(
            (al.Money.from_minor(int(orders["amount"][r]), row["currency"]) for r in chosen),
            start=al.Money(0, row["currency"]),
        )
        assert al.Money(row["amount"], row["currency"]) == exact
        converted = sum(
            program.fx.convert(
                al.Money.from_minor(int(orders["amount"][r]), row["currency"]),
                "USD",
                at=al.from_micros(int(orders["ts"][r])),
            ).minor
            for r in chosen
        )
        assert al.Money(row["usd"], "USD").minor == converted
        total += converted
        assert row["orders"] == chosen.size
    assert al.Money(summary["gmv_usd"], "USD").minor == total
    assert sum(r["count"] for r in summary["reversals"]) == len(program.reversals)


# -- other settings -------------------------------------------------------------------------------


def test_a_window_across_a_dst_change() -> None:
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 10, 20, tzinfo=new_york)
    program = synthetic_program(
        seed=2, partners=30, clicks=3_000, days=20, start=start, timezone="America/New_York"
    )
    assert program.end == datetime(2026, 11, 9, tzinfo=new_york)
    elapsed = al.to_micros(program.end) - al.to_micros(program.start)
    assert elapsed == (20 * 24 + 1) * 3_600 * 10**6  # one day lasts 25 hours
    days = sorted({r["as_of"] for r in program.fx.to_records()})
    assert len(days) == 20
    assert days[0] == start
    for name in ("clicks", "orders"):
        ts = program.tables[name]["ts"]
        assert ts.min() >= al.to_micros(start)
        assert ts.max() < al.to_micros(program.end)


def test_a_start_in_another_zone_is_kept_as_given() -> None:
    start = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    program = synthetic_program(seed=1, partners=10, clicks=500, days=3, start=start)
    assert program.start == start
    assert program.end == datetime(2026, 7, 4, 9, 30, tzinfo=UTC)
    assert al.to_micros(start) <= int(program.clicks["ts"].min())


def test_other_currencies() -> None:
    program = synthetic_program(
        seed=9, partners=40, clicks=6_000, currencies=("KRW", "BHD", "CLP", "EUR")
    )
    assert set(program.orders["currency"]) == {"KRW", "BHD", "CLP", "EUR"}
    assert program.fx.rate("KRW", "USD", at=program.start) > 0
    assert "USD" in supported_currencies()
    assert len(supported_currencies()) >= 15
    assert program.summary()["gmv_usd"]


# -- bad arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"partners": -1}, "partners must be at least 1, got -1"),
        ({"partners": 0}, "partners must be at least 1, got 0"),
        ({"clicks": -5}, "clicks must be at least 0, got -5"),
        ({"clicks": 2.5}, "clicks must be a whole number, got 2.5"),
        ({"clicks": True}, "clicks must be a whole number, got True"),
        ({"days": 0}, "days must be at least 1, got 0"),
        ({"seed": -3}, "seed must be at least 0, got -3"),
        ({"seed": "7"}, "seed must be a whole number, got '7'"),
        ({"cookie_days": 0}, "cookie_days must be at least 1, got 0"),
        ({"conversion_rate": 0}, r"conversion_rate must be in \(0.0, 1.0\], got 0"),
        ({"conversion_rate": 1.5}, r"conversion_rate must be in \(0.0, 1.0\], got 1.5"),
        ({"refund_rate": -0.1}, r"refund_rate must be in \[0.0, 0.9\], got -0.1"),
        ({"impression_rate": float("nan")}, "impression_rate must be in"),
        (
            {"refund_rate": 0.7, "chargeback_rate": 0.2},
            r"refund_rate \* 1.3 \+ chargeback_rate \* 3 \+ cancellation_rate must not exceed 1",
        ),
        ({"currencies": ()}, "currencies must name at least one currency"),
        ({"currencies": "USD"}, "currencies must be a sequence of codes"),
        ({"currencies": ("USD", "usd")}, "currencies lists USD more than once"),
        ({"currencies": ("USD", "TRY")}, r"no buyer market for currencies \['TRY'\]; supported: "),
    ],
)
def test_bad_arguments_raise_value_error(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synthetic_program(**arguments)


def test_bad_currency_code_and_time_zone() -> None:
    with pytest.raises(CurrencyError):
        synthetic_program(currencies=("USD", "ZZZ"))
    with pytest.raises(TimezoneError, match=r"start=.* is naive"):
        synthetic_program(start=datetime(2026, 7, 1))
    with pytest.raises(TimezoneError, match="not a known IANA time zone"):
        synthetic_program(timezone="Mars/Olympus_Mons")


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    partners=st.integers(1, 60),
    clicks=st.integers(0, 3_000),
    days=st.integers(1, 60),
    currencies=st.lists(
        st.sampled_from(supported_currencies()), min_size=1, max_size=5, unique=True
    ),
)
def test_invariants_hold_for_any_arguments(
    seed: int, partners: int, clicks: int, days: int, currencies: list[str]
) -> None:
    program = synthetic_program(
        seed=seed, partners=partners, clicks=clicks, days=days, currencies=currencies
    )
    orders, lines, reversals = program.orders, program.lines, program.reversals
    assert len(program.partners) == partners
    assert len(program.clicks) == clicks
    assert np.array_equal(by_order(lines, lines["amount"], orders), orders["amount"])
    full = reversals.missing("amount")
    if len(reversals):
        row_of = {order_id: row for row, order_id in enumerate(orders["order_id"])}
        rows = np.array([row_of[o] for o in reversals["order_id"]], dtype=np.int64)
        amount = np.where(full, orders["amount"][rows], reversals["amount"])
        assert ((amount > 0) & (amount <= orders["amount"][rows])).all()
    assert set(orders["partner_id"]) <= set(program.partners["partner_id"])
    assert set(orders["currency"]) <= set(currencies)
    for code in currencies:
        assert program.fx.rate(code, "USD", at=program.start) > 0
    summary = program.summary()
    assert summary["orders"] == len(orders)
