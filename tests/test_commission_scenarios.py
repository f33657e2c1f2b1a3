"""Documented commission scenarios, each with numbers computed by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import alliance as al
from alliance import commission as cm
from alliance.errors import DataError, MissingRate

SHANGHAI = timezone(timedelta(hours=8))
START = datetime(2026, 1, 1, tzinfo=UTC)


def usd(amount: str) -> al.Money:
    return al.Money(amount, "USD")


def book(plan: Any, *, tz: str = "UTC", **options: Any) -> cm.ContractBook:
    """One programme-default contract, ``std v1``, in force from 2026-01-01."""
    return cm.ContractBook(
        [
            cm.Contract(
                id="std",
                version=1,
                applies_to=cm.default(),
                currency=options.pop("currency", "USD"),
                timezone=tz,
                plan=plan,
                effective_from=START,
                **options,
            )
        ]
    )


def orders(*rows: dict[str, Any]) -> al.Orders:
    """Orders in USD for partner p1 unless a row says otherwise."""
    return al.Orders.from_records([{"currency": "USD", "partner_id": "p1", **row} for row in rows])


def order(order_id: str, ts: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"order_id": order_id, "ts": ts, "amount": amount, **extra}


def lines(of: al.Orders, *rows: tuple[str, str, str], **extra: Any) -> al.Lines:
    """Lines as (order_id, line_id, amount), with shared extra columns."""
    return al.Lines.from_records(
        [{"order_id": o, "line_id": i, "amount": a, **extra} for o, i, a in rows], orders=of
    )


def cents(table: cm.CommissionTable) -> dict[str, int]:
    """Commission in cents by ``order`` or ``order/line``."""
    result = {}
    for order_id, line_id, amount in zip(
        table["order_id"], table["line_id"], table["commission"], strict=True
    ):
        key = str(order_id) if line_id is None else f"{order_id}/{line_id}"
        result[key] = int(amount)
    return result


def column(table: cm.CommissionTable, name: str) -> dict[str, Any]:
    return {
        (str(o) if i is None else f"{o}/{i}"): v.item() if hasattr(v, "item") else v
        for o, i, v in zip(table["order_id"], table["line_id"], table[name], strict=True)
    }


def one_at_a_time(
    all_orders: al.Orders, contracts: cm.ContractBook, **options: Any
) -> tuple[dict[str, int], cm.CommissionState | None]:
    """Run `evaluate` order by order, carrying the state; cents per order."""
    state: cm.CommissionState | None = None
    found = {}
    for model in all_orders.to_models():
        result = cm.evaluate(model, contracts, state, **options)
        state = result.state
        found[result.order_id] = 0 if result.amount is None else result.amount.minor
    return found, state


def per_order(table: cm.CommissionTable) -> dict[str, int]:
    totals: dict[str, int] = {}
    for order_id, amount in zip(table["order_id"], table["commission"], strict=True):
        totals[str(order_id)] = totals.get(str(order_id), 0) + int(amount)
    return totals


# -- percent, base, flat --------------------------------------------------------------------------


def test_percent_on_a_multi_line_order() -> None:
    placed = orders(order("o1", "2026-10-01T10:00:00Z", "100.00"))
    three = lines(placed, ("o1", "1", "50.00"), ("o1", "2", "37.00"), ("o1", "3", "13.00"))
    table = cm.compute(placed, book(cm.percent("8%")), lines=three)
    # 8% of 50.00 = 4.00; of 37.00 = 2.96; of 13.00 = 1.04; the order 8.00.
    assert cents(table) == {"o1/1": 400, "o1/2": 296, "o1/3": 104}
    assert table.total() == {"USD": usd("8.00")}
    assert table.total("p1") == {"USD": usd("8.00")}
    assert column(table, "contract_id") == {"o1/1": "std", "o1/2": "std", "o1/3": "std"}
    assert column(table, "rate")["o1/2"] == pytest.approx(0.08)


TAXED = order("o1", "2026-10-01T10:00:00Z", "100.00", tax="8.00", shipping="5.00", discount="10.00")


@pytest.mark.parametrize(
    ("policy", "base", "commission"),
    [
        # default: 100.00 paid - 8.00 tax - 5.00 shipping = 87.00; 8% = 6.96
        (cm.BasePolicy(), 8700, 696),
        # discount added back: 87.00 + 10.00 = 97.00; 8% = 7.76
        (cm.BasePolicy(discount="include"), 9700, 776),
        # tax and shipping kept in: 100.00; 8% = 8.00
        (cm.BasePolicy(tax="include", shipping="include"), 10000, 800),
        # everything: 100.00 + 10.00 = 110.00; 8% = 8.80
        (cm.BasePolicy(tax="include", shipping="include", discount="include"), 11000, 880),
    ],
)
def test_base_policy_on_an_order_without_lines(
    policy: cm.BasePolicy, base: int, commission: int
) -> None:
    table = cm.compute(orders(TAXED), book(cm.percent("8%"), base=policy))
    assert column(table, "base") == {"o1": base}
    assert cents(table) == {"o1": commission}


def test_base_policy_with_lines_spreads_the_discount_by_line_amount() -> None:
    placed = orders(TAXED)
    two = lines(placed, ("o1", "1", "50.00"), ("o1", "2", "37.00"))
    # Lines are merchandise (no tax or shipping): 50.00 and 37.00, 8% = 4.00 and 2.96.
    table = cm.compute(placed, book(cm.percent("8%")), lines=two)
    assert column(table, "base") == {"o1/1": 5000, "o1/2": 3700}
    assert cents(table) == {"o1/1": 400, "o1/2": 296}
    # Discount 10.00 back over 50:37 -> 5.747 and 4.253 -> 5.75 and 4.25 (largest remainder);
    # bases 55.75 and 41.25; 8% = 4.46 and 3.30; the order 97.00 x 8% = 7.76.
    table = cm.compute(
        placed, book(cm.percent("8%"), base=cm.BasePolicy(discount="include")), lines=two
    )
    assert column(table, "base") == {"o1/1": 5575, "o1/2": 4125}
    assert cents(table) == {"o1/1": 446, "o1/2": 330}


LINED = [
    order("a", "2026-10-02T10:00:00Z", "100.00"),
    order("b", "2026-10-03T10:00:00Z", "10.00"),
]


def lined() -> tuple[al.Orders, al.Lines]:
    placed = orders(*LINED)
    # Order a: line 1 70.00 x3 units, line 2 20.00 x1, line 3 10.00 x2; order b has no lines.
    detail = al.Lines.from_records(
        [
            {"order_id": "a", "line_id": "1", "amount": "70.00", "quantity": 3},
            {"order_id": "a", "line_id": "2", "amount": "20.00", "quantity": 1},
            {"order_id": "a", "line_id": "3", "amount": "10.00", "quantity": 2},
        ],
        orders=placed,
    )
    return placed, detail


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        # 1.00 per line: every line of a, and b (one line).
        (cm.flat("1.00", "USD", per="line"), {"a/1": 100, "a/2": 100, "a/3": 100, "b": 100}),
        # 1.00 per order, spread over a's lines by base 70:20:10.
        (cm.flat("1.00", "USD", per="order"), {"a/1": 70, "a/2": 20, "a/3": 10, "b": 100}),
        # 0.50 per unit: 3, 1 and 2 units; b is one unit.
        (cm.flat("0.50", "USD", per="unit"), {"a/1": 150, "a/2": 50, "a/3": 100, "b": 50}),
        # 3.00 per conversion whatever its value, spread like a per-order fee.
        (cm.per_lead("3.00", "USD"), {"a/1": 210, "a/2": 60, "a/3": 30, "b": 300}),
    ],
    ids=["per-line", "per-order", "per-unit", "per-lead"],
)
def test_flat_fees(plan: Any, expected: dict[str, int]) -> None:
    placed, detail = lined()
    assert cents(cm.compute(placed, book(plan), lines=detail)) == expected


def test_add_pays_the_sum_of_rules() -> None:
    placed, detail = lined()
    table = cm.compute(placed, book(cm.add("5%", cm.flat("1.00", "USD"))), lines=detail)
    # a: 5% of 100.00 = 5.00 plus 1.00 = 6.00 (lines 3.50+0.70, 1.00+0.20, 0.50+0.10);
    # b: 5% of 10.00 = 0.50 plus 1.00 = 1.50.
    assert cents(table) == {"a/1": 420, "a/2": 120, "a/3": 60, "b": 150}


# -- tiers ----------------------------------------------------------------------------------------

MONTH_EDGE = [
    order("a", "2026-10-20T10:00:00+08:00", "80.00"),
    # Both of these are 2026-10-31 in UTC; in Shanghai b is October and c November.
    order("b", "2026-10-31T23:30:00+08:00", "50.00"),
    order("c", "2026-11-01T00:10:00+08:00", "50.00"),
]
REVENUE_TIERS = cm.tiered(tiers=[("0", "5%"), ("100", "10%")])


def test_marginal_revenue_tiers_by_the_month_in_shanghai() -> None:
    table = cm.compute(orders(*MONTH_EDGE), book(REVENUE_TIERS, tz="Asia/Shanghai"))
    # a: 80.00 in tier 1 at 5% = 4.00 (October volume 0 -> 80).
    # b: crosses 100: 20.00 at 5% = 1.00 + 30.00 at 10% = 3.00 -> 4.00 (80 -> 130).
    # c: a new month in Shanghai: 50.00 at 5% = 2.50.
    assert cents(table) == {"a": 400, "b": 400, "c": 250}
    assert column(table, "period") == {"a": "2026-10", "b": "2026-10", "c": "2026-11"}
    assert column(table, "tier") == {"a": 0, "b": 1, "c": 0}
    assert "crosses a tier threshold" in column(table, "notes")["b"]
    assert table.state.volumes == {
        "std|revenue|month|partner|p1||2026-10": 13000,
        "std|revenue|month|partner|p1||2026-11": 5000,
    }


def test_the_same_orders_in_a_utc_programme_are_all_october() -> None:
    table = cm.compute(orders(*MONTH_EDGE), book(REVENUE_TIERS, tz="UTC"))
    # c joins October: volume 130 -> 180 is all in tier 2, 10% of 50.00 = 5.00.
    assert cents(table) == {"a": 400, "b": 400, "c": 500}
    assert set(column(table, "period").values()) == {"2026-10"}


def three_orders_of_units() -> tuple[al.Orders, al.Lines]:
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "30.00"),
        order("b", "2026-10-03T10:00:00Z", "50.00"),
        order("c", "2026-10-04T10:00:00Z", "20.00"),
    )
    detail = al.Lines.from_records(
        [
            {"order_id": "a", "line_id": "1", "amount": "30.00", "quantity": 3, "category": "x"},
            {"order_id": "b", "line_id": "1", "amount": "50.00", "quantity": 5, "category": "x"},
            {"order_id": "c", "line_id": "1", "amount": "20.00", "quantity": 2, "category": "y"},
        ],
        orders=placed,
    )
    return placed, detail


def test_marginal_units_tiers_split_a_line_by_its_units() -> None:
    placed, detail = three_orders_of_units()
    plan = cm.tiered(basis="units", tiers=[("0", "5%"), ("5", "10%")])
    table = cm.compute(placed, book(plan), lines=detail)
    # a: units 0-3 in tier 1: 5% of 30.00 = 1.50.
    # b: units 3-5 tier 1, 5-8 tier 2: 50.00 split 2:3 = 20.00 + 30.00 -> 1.00 + 3.00 = 4.00.
    # c: units 8-10 tier 2: 10% of 20.00 = 2.00.
    assert cents(table) == {"a/1": 150, "b/1": 400, "c/1": 200}
    assert table.state.volumes == {"std|units|month|partner|p1||2026-10": 10}


def test_forward_revenue_tiers_use_the_volume_before_the_line() -> None:
    placed, detail = three_orders_of_units()
    plan = cm.tiered(mode="forward", tiers=[("0", "5%"), ("50", "10%")])
    table = cm.compute(placed, book(plan), lines=detail)
    # a: 0 before -> 5% of 30 = 1.50; b: 30 before -> 5% of 50 = 2.50 (no split);
    # c: 80 before -> 10% of 20 = 2.00.
    assert cents(table) == {"a/1": 150, "b/1": 250, "c/1": 200}
    assert column(table, "tier") == {"a/1": 0, "b/1": 0, "c/1": 1}


def test_tiers_per_partner_and_category() -> None:
    placed, detail = three_orders_of_units()
    plan = cm.tiered(scope="partner+category", tiers=[("0", "5%"), ("50", "10%")])
    table = cm.compute(placed, book(plan), lines=detail)
    # Category x: a 0-30 at 5% = 1.50; b 30-80: 20 at 5% + 30 at 10% = 1.00 + 3.00 = 4.00.
    # Category y starts again at 0: c 0-20 at 5% = 1.00 (10% on one shared volume).
    assert cents(table) == {"a/1": 150, "b/1": 400, "c/1": 100}
    assert sorted(table.state.volumes.items()) == [
        ("std|revenue|month|partner+category|p1|x|2026-10", 8000),
        ("std|revenue|month|partner+category|p1|y|2026-10", 2000),
    ]


def test_tier_volume_is_per_partner() -> None:
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "80.00"),
        order("b", "2026-10-03T10:00:00Z", "50.00", partner_id="p2"),
        order("c", "2026-10-04T10:00:00Z", "50.00"),
    )
    table = cm.compute(placed, book(REVENUE_TIERS))
    # p1: a 80 at 5% = 4.00, c 80 -> 130: 20 at 5% + 30 at 10% = 4.00; p2: b 50 at 5% = 2.50.
    assert cents(table) == {"a": 400, "b": 250, "c": 400}


def orders_with_lines_for_count_tiers() -> tuple[al.Orders, al.Lines]:
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "100.00"),
        order("b", "2026-10-03T10:00:00Z", "100.00"),
        order("c", "2026-10-04T10:00:00Z", "100.00"),
    )
    detail = lines(
        placed,
        ("a", "1", "100.00"),
        ("b", "1", "50.00"),
        ("b", "2", "50.00"),
        ("c", "1", "100.00"),
    )
    return placed, detail


@pytest.mark.parametrize("mode", ["forward", "marginal"])
def test_orders_basis_tiers_count_an_order_once_for_all_its_lines(mode: Any) -> None:
    placed, detail = orders_with_lines_for_count_tiers()
    plan = cm.tiered(basis="orders", mode=mode, tiers=[("0", "5%"), ("2", "10%")])
    table = cm.compute(placed, book(plan), lines=detail)
    # a is the 1st order (0 before) and b the 2nd (1 before): 5%; c the 3rd (2 before): 10%.
    # Both lines of b sit at 1 order before: 5% of 50.00 = 2.50 each (not 2.50 and 5.00).
    assert cents(table) == {"a/1": 500, "b/1": 250, "b/2": 250, "c/1": 1000}
    assert column(table, "tier") == {"a/1": 0, "b/1": 0, "b/2": 0, "c/1": 1}
    assert table.state.volumes == {"std|orders|month|partner|p1||2026-10": 3}


def test_orders_basis_tiers_carry_through_state() -> None:
    placed, detail = orders_with_lines_for_count_tiers()
    plan = cm.tiered(basis="orders", mode="forward", tiers=[("0", "5%"), ("2", "10%")])
    contracts = book(plan)
    state: cm.CommissionState | None = None
    found = {}
    for model in placed.to_models():
        mine = [line for line in detail.to_models() if line.order_id == model.order_id]
        result = cm.evaluate(model, contracts, state, lines=mine)
        state = result.state
        found[model.order_id] = [line.commission.minor for line in result.lines]
    # The same cents as compute, line by line.
    assert found == {"a": [500], "b": [250, 250], "c": [1000]}


# -- choosing: precedence, windows, customers, coupons, groups ------------------------------------

WINDFALL = cm.Window(
    start=datetime(2026, 11, 11, tzinfo=SHANGHAI), end=datetime(2026, 11, 12, tzinfo=SHANGHAI)
)
CHOOSING = cm.when(
    cm.case("2%", during=(WINDFALL,), label="11.11 windfall"),
    cm.case("12%", category="beauty"),
    cm.case("9%", new_customer=True),
    cm.case("7%", coupon=["KOL10"]),
    otherwise="5%",
)


def choosing_orders() -> tuple[al.Orders, al.Lines]:
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "100.00", coupon_code="KOL10", is_new_customer=True),
        # 11.11 in Shanghai from 2026-11-10T16:00Z to 2026-11-11T16:00Z.
        order("b", "2026-11-11T15:59:00Z", "100.00", is_new_customer=True),
        order("c", "2026-11-11T16:00:00Z", "100.00", coupon_code="KOL10"),
        order("d", "2026-10-04T10:00:00Z", "100.00", coupon_code="OTHER", is_new_customer=False),
    )
    detail = al.Lines.from_records(
        [
            {"order_id": "a", "line_id": "1", "amount": "60.00", "category": "beauty"},
            {"order_id": "a", "line_id": "2", "amount": "40.00", "category": "food"},
            {"order_id": "b", "line_id": "1", "amount": "100.00", "category": "beauty"},
        ],
        orders=placed,
    )
    return placed, detail


def test_when_first_match_wins_in_the_order_written() -> None:
    placed, detail = choosing_orders()
    table = cm.compute(placed, book(CHOOSING, tz="Asia/Shanghai"), lines=detail)
    assert cents(table) == {
        # beauty beats new customer and coupon: 12% of 60 = 7.20; food, new: 9% of 40 = 3.60
        "a/1": 720,
        "a/2": 360,
        # inside the 11.11 window, the windfall rate beats beauty: 2% of 100 = 2.00
        "b/1": 200,
        # one minute after the window closes (half-open): coupon KOL10, 7% = 7.00
        "c": 700,
        # returning customer, another coupon: otherwise, 5% = 5.00
        "d": 500,
    }
    assert column(table, "branch") == {
        "a/1": "when #2 (category in {beauty})",
        "a/2": "when #3 (new customer)",
        "b/1": "when #1 (11.11 windfall)",
        "c": "when #4 (coupon in {KOL10})",
        "d": "otherwise",
    }


def test_explain_shows_the_branch_taken() -> None:
    placed, detail = choosing_orders()
    table = cm.compute(placed, book(CHOOSING, tz="Asia/Shanghai"), lines=detail)
    rows = {
        f"{o}/{i}": n
        for n, (o, i) in enumerate(zip(table["order_id"], table["line_id"], strict=True))
    }
    text = cm.explain(table, rows["b/1"])
    assert text == (
        "Order b, line 1 for partner p1: std v1, period 2026-11. "
        "Branch: when #1 (11.11 windfall). "
        "Base 100.00 USD; commission 2.00 USD (effective rate 2.00%)."
    )


def test_new_returning_and_unknown_customers() -> None:
    placed = orders(
        order("new", "2026-10-02T10:00:00Z", "100.00", is_new_customer=True),
        order("old", "2026-10-02T11:00:00Z", "100.00", is_new_customer=False),
        order("unknown", "2026-10-02T12:00:00Z", "100.00"),
    )
    plan = cm.when(
        cm.case("10%", new_customer=True), cm.case("3%", new_customer=False), otherwise="1%"
    )
    # An order that does not say matches neither branch.
    assert cents(cm.compute(placed, book(plan))) == {"new": 1000, "old": 300, "unknown": 100}


def test_coupon_conditions() -> None:
    placed = orders(
        order("kol", "2026-10-02T10:00:00Z", "100.00", coupon_code="KOL10"),
        order("other", "2026-10-02T11:00:00Z", "100.00", coupon_code="SITEWIDE"),
        order("none", "2026-10-02T12:00:00Z", "100.00"),
    )
    exclusive = cm.when(coupon="KOL10", then="10%", otherwise="4%")
    assert cents(cm.compute(placed, book(exclusive))) == {"kol": 1000, "other": 400, "none": 400}
    any_coupon = cm.when(coupon=True, then="2%", otherwise="6%")
    assert cents(cm.compute(placed, book(any_coupon))) == {"kol": 200, "other": 200, "none": 600}
    no_coupon = cm.when(coupon=False, then="6%", otherwise="2%")
    assert cents(cm.compute(placed, book(no_coupon))) == {"kol": 200, "other": 200, "none": 600}


def test_coupon_codes_match_in_any_case() -> None:
    placed = orders(
        order("upper", "2026-10-02T10:00:00Z", "100.00", coupon_code="KOL10"),
        order("lower", "2026-10-02T11:00:00Z", "100.00", coupon_code="kol10"),
        order("mixed", "2026-10-02T12:00:00Z", "50.00", coupon_code="Kol10"),
        order("else", "2026-10-02T13:00:00Z", "100.00", coupon_code="KOL100"),
    )
    exclusive = cm.when(coupon="kol10", then="10%", otherwise="4%")
    # Every spelling of KOL10 earns 10% (10.00, 10.00, 5.00); KOL100 is another code: 4.00.
    assert cents(cm.compute(placed, book(exclusive))) == {
        "upper": 1000,
        "lower": 1000,
        "mixed": 500,
        "else": 400,
    }


def test_orders_basis_per_category_counts_an_order_once_per_category() -> None:
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "90.00"),
        order("b", "2026-10-03T10:00:00Z", "40.00"),
    )
    detail = al.Lines.from_records(
        [
            {"order_id": o, "line_id": i, "amount": a, "category": c}
            for o, i, a, c in [
                ("a", "1", "30.00", "x"),
                ("a", "2", "30.00", "y"),
                ("a", "3", "30.00", "x"),
                ("b", "1", "20.00", "x"),
                ("b", "2", "20.00", "y"),
            ]
        ],
        orders=placed,
    )
    plan = cm.tiered(
        basis="orders", mode="forward", scope="partner+category", tiers=[("0", "5%"), ("1", "10%")]
    )
    table = cm.compute(placed, book(plan), lines=detail)
    # Order a has lines in x, y, x: one order in x and one in y, both at 0 before (5%): 1.50
    # each. Order b is the second order in x and in y: 1 before, 10% of 20.00 = 2.00 each.
    assert cents(table) == {"a/1": 150, "a/2": 150, "a/3": 150, "b/1": 200, "b/2": 200}
    assert sorted(table.state.volumes.items()) == [
        ("std|orders|month|partner+category|p1|x|2026-10", 2),
        ("std|orders|month|partner+category|p1|y|2026-10", 2),
    ]


def grouped() -> tuple[al.Orders, al.Partners]:
    partners = al.Partners.from_records(
        [
            {"partner_id": "p1", "group": "gold"},
            {"partner_id": "p2", "group": "silver"},
            {"partner_id": "p3"},
        ]
    )
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "100.00", partner_id="p1"),
        order("b", "2026-10-03T10:00:00Z", "100.00", partner_id="p2"),
        order("c", "2026-10-04T10:00:00Z", "100.00", partner_id="p3"),
    )
    return placed, partners


def test_group_conditions() -> None:
    placed, partners = grouped()
    plan = cm.when(group="gold", then="10%", otherwise="5%")
    table = cm.compute(placed, book(plan), partners=partners)
    # gold: 10% = 10.00; silver and no group: 5% = 5.00.
    assert cents(table) == {"a": 1000, "b": 500, "c": 500}


def test_multiplier_pays_better_groups_more() -> None:
    placed, partners = grouped()
    plan = cm.multiplier("5%", by_group={"gold": "1.5", "silver": "1.2"})
    table = cm.compute(placed, book(plan), partners=partners)
    # 5% of 100 = 5.00; x1.5 = 7.50, x1.2 = 6.00, other groups x1 = 5.00.
    assert cents(table) == {"a": 750, "b": 600, "c": 500}
    assert column(table, "notes") == {
        "a": "x1.5 for group gold",
        "b": "x1.2 for group silver",
        "c": "",
    }


def test_group_contracts_sit_between_partner_and_default() -> None:
    placed, partners = grouped()
    contracts = cm.ContractBook(
        [
            cm.Contract(
                id=name,
                version=1,
                applies_to=target,
                currency="USD",
                timezone="UTC",
                plan=cm.percent(rate),
                effective_from=START,
            )
            for name, target, rate in (
                ("std", cm.default(), "5%"),
                ("gold", cm.group("gold"), "8%"),
                ("silver", cm.group("silver"), "6%"),
                ("kol", cm.partner("p2"), "11%"),
            )
        ]
    )
    table = cm.compute(placed, contracts, partners=partners)
    # p1 gold 8%; p2 has its own contract 11% (beats silver); p3 falls back to 5%.
    assert cents(table) == {"a": 800, "b": 1100, "c": 500}
    assert column(table, "contract_id") == {"a": "gold", "b": "kol", "c": "std"}


# -- caps, floors ---------------------------------------------------------------------------------


def capped_orders() -> tuple[al.Orders, al.Lines]:
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "100.00"), order("b", "2026-10-03T10:00:00Z", "30.00")
    )
    return placed, lines(placed, ("a", "1", "80.00"), ("a", "2", "20.00"), ("b", "1", "30.00"))


def test_cap_per_line() -> None:
    placed, detail = capped_orders()
    table = cm.compute(placed, book(cm.cap("10%", per_line=usd("5.00"))), lines=detail)
    # 10% of 80 = 8.00 capped at 5.00; 20 -> 2.00; 30 -> 3.00.
    assert cents(table) == {"a/1": 500, "a/2": 200, "b/1": 300}
    assert column(table, "notes")["a/1"] == "per-line cap 5.00 USD hit"


def test_cap_per_order() -> None:
    placed, detail = capped_orders()
    table = cm.compute(placed, book(cm.cap("10%", per_order=usd("6.00"))), lines=detail)
    # a: 10.00 capped at 6.00, spread 8:2 -> 4.80 + 1.20; b: 3.00, under the cap.
    assert cents(table) == {"a/1": 480, "a/2": 120, "b/1": 300}


PERIOD_CAP = cm.cap("10%", per_period=usd("25.00"))
CAPPED_MONTH = [order(f"o{day}", f"2026-10-0{day}T10:00:00Z", "100.00") for day in range(1, 5)] + [
    order("o5", "2026-11-01T10:00:00Z", "100.00")
]


def test_cap_per_period_crossing_order_gets_the_remainder() -> None:
    table = cm.compute(orders(*CAPPED_MONTH), book(PERIOD_CAP))
    # 10.00 each: o1 10.00 (10), o2 10.00 (20), o3 crosses 25 -> 5.00, o4 0.00;
    # November starts a new cap: o5 10.00.
    assert cents(table) == {"o1": 1000, "o2": 1000, "o3": 500, "o4": 0, "o5": 1000}
    notes = column(table, "notes")
    assert notes["o3"] == notes["o4"] == "per-period cap 25.00 USD reached"
    assert notes["o2"] == ""


def test_cap_per_period_carried_through_state_with_evaluate() -> None:
    contracts = book(PERIOD_CAP)
    found, state = one_at_a_time(orders(*CAPPED_MONTH), contracts)
    assert found == {"o1": 1000, "o2": 1000, "o3": 500, "o4": 0, "o5": 1000}
    assert state is not None
    assert sum(state.paid.values()) == 35  # 25.00 in October + 10.00 in November


def test_cap_per_period_carried_between_batches() -> None:
    contracts = book(PERIOD_CAP)
    first = cm.compute(orders(*CAPPED_MONTH[:2]), contracts)
    rest = cm.compute(orders(*CAPPED_MONTH[2:]), contracts, state=first.state)
    # 20.00 already paid in October: o3 gets the remaining 5.00.
    assert cents(first) == {"o1": 1000, "o2": 1000}
    assert cents(rest) == {"o3": 500, "o4": 0, "o5": 1000}


def test_floor_raises_small_orders_only() -> None:
    placed = orders(
        order("small", "2026-10-02T10:00:00Z", "100.00"),
        order("big", "2026-10-03T10:00:00Z", "200.00"),
    )
    table = cm.compute(placed, book(cm.floor("1%", usd("1.50"))))
    # 1% of 100 = 1.00 -> raised to 1.50; 1% of 200 = 2.00 stays.
    assert cents(table) == {"small": 150, "big": 200}
    assert column(table, "notes")["small"] == "raised to the floor of 1.50 USD per order"


# -- recurring ------------------------------------------------------------------------------------


def subscription_payments() -> al.Orders:
    monthly = [
        order(f"s{n:02d}", f"{2026 + (n + 1) // 12}-{(n + 1) % 12 + 1:02d}-15T10:00:00Z", "30.00")
        for n in range(1, 15)
    ]
    # s01 is 2026-03-15 ... s14 is 2027-04-15; one order outside any subscription.
    return orders(
        *[{**row, "subscription_id": "sub-1"} for row in monthly],
        order("single", "2026-03-20T10:00:00Z", "30.00"),
    )


def test_recurring_for_twelve_months() -> None:
    payments = subscription_payments()
    table = cm.compute(payments, book(cm.recurring("20%", months=12)))
    found = cents(table)
    # 20% of 30.00 = 6.00 for payments in [2026-03-15T10:00, 2027-03-15T10:00): s01..s12;
    # s13 falls exactly at the end of the window (half-open) and s14 after it.
    assert [found[f"s{n:02d}"] for n in range(1, 15)] == [600] * 12 + [0, 0]
    assert found["single"] == 600
    assert column(table, "notes")["s13"] == "subscription past its recurring limit"


def test_recurring_for_three_payments() -> None:
    payments = subscription_payments()
    table = cm.compute(payments, book(cm.recurring("20%", payments=3)))
    found = cents(table)
    assert [found[f"s{n:02d}"] for n in range(1, 15)] == [600] * 3 + [0] * 11
    assert table.state.subscriptions == {"std|sub-1": (table["ts"][0].item(), 14)}


@pytest.mark.parametrize("limit", [{"months": 12}, {"payments": 3}])
def test_recurring_one_payment_at_a_time_matches_compute(limit: dict[str, int]) -> None:
    payments = subscription_payments()
    contracts = book(cm.recurring("20%", **limit))
    found, _ = one_at_a_time(payments, contracts)
    assert found == per_order(cm.compute(payments, contracts))


# -- currencies and rounding ----------------------------------------------------------------------

EUR_USD = al.FxRates.from_records(
    [
        {"base": "EUR", "quote": "USD", "rate": "1.10", "as_of": "2026-10-01T00:00:00Z"},
        {"base": "EUR", "quote": "USD", "rate": "1.20", "as_of": "2026-10-15T00:00:00Z"},
    ]
)


def test_an_order_in_euros_under_a_dollar_contract_converts_at_order_time() -> None:
    placed = orders(
        order("early", "2026-10-02T10:00:00Z", "100.00", currency="EUR"),
        order("late", "2026-10-20T10:00:00Z", "100.00", currency="EUR"),
        order("dollars", "2026-10-20T11:00:00Z", "100.00"),
    )
    table = cm.compute(placed, book(cm.percent("10%")), fx=EUR_USD)
    # 100.00 EUR at 1.10 = 110.00 USD -> 11.00; at 1.20 = 120.00 USD -> 12.00; USD as is.
    assert column(table, "base") == {"early": 11000, "late": 12000, "dollars": 10000}
    assert cents(table) == {"early": 1100, "late": 1200, "dollars": 1000}
    assert set(column(table, "currency").values()) == {"USD"}


def test_tier_volume_counts_converted_revenue() -> None:
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "80.00", currency="EUR"),
        order("b", "2026-10-03T10:00:00Z", "50.00"),
    )
    table = cm.compute(placed, book(REVENUE_TIERS), fx=EUR_USD)
    # a: 80 EUR = 88.00 USD at 5% = 4.40; b: 88 -> 138: 12 at 5% + 38 at 10% = 0.60 + 3.80.
    assert cents(table) == {"a": 440, "b": 440}


def test_no_rate_at_the_order_time_is_missing_rate() -> None:
    placed = orders(order("sep", "2026-09-02T10:00:00Z", "100.00", currency="EUR"))
    with pytest.raises(MissingRate, match="no EUR/USD rate at or before 2026-09-02T10:00:00"):
        cm.compute(placed, book(cm.percent("10%")), fx=EUR_USD)


def test_one_rounding_per_order() -> None:
    placed = orders(order("r", "2026-10-02T10:00:00Z", "0.15"))
    three = lines(placed, ("r", "1", "0.05"), ("r", "2", "0.05"), ("r", "3", "0.05"))
    table = cm.compute(placed, book(cm.percent("6.66%")), lines=three)
    # Each line: 6.66% of 5 cents = 0.333 cents, which alone would round to 0.
    # The order: 0.999 cents, rounded once = 1 cent, on the line with the largest share.
    assert per_order(table) == {"r": 1}
    assert sorted(cents(table).values()) == [0, 0, 1]


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        # 10% of 0.25 = 2.5 cents, a tie: half-even -> 2, half-up -> 3.
        # 10% of 0.35 = 3.5 cents: both -> 4.
        ("half_even", {"tie-even": 2, "tie-odd": 4}),
        ("half_up", {"tie-even": 3, "tie-odd": 4}),
        ("down", {"tie-even": 2, "tie-odd": 3}),
    ],
)
def test_contract_rounding_mode(rounding: Any, expected: dict[str, int]) -> None:
    placed = orders(
        order("tie-even", "2026-10-02T10:00:00Z", "0.25"),
        order("tie-odd", "2026-10-02T11:00:00Z", "0.35"),
    )
    assert cents(cm.compute(placed, book(cm.percent("10%"), rounding=rounding))) == expected


def test_yen_contract_rounds_to_whole_yen() -> None:
    placed = orders(order("jp", "2026-10-02T10:00:00Z", "1234", currency="JPY"))
    table = cm.compute(placed, book(cm.percent("7%"), currency="JPY"))
    # 7% of 1234 JPY = 86.38 -> 86 yen.
    assert cents(table) == {"jp": 86}
    assert table.total() == {"JPY": al.Money("86", "JPY")}


# -- skipped orders, scalar == batch --------------------------------------------------------------


def test_orders_without_partner_or_contract_are_skipped_with_the_reason() -> None:
    placed = al.Orders.from_records(
        [
            {
                "order_id": "ok",
                "ts": "2026-10-02T10:00:00Z",
                "amount": "10.00",
                "currency": "USD",
                "partner_id": "p1",
            },
            {
                "order_id": "organic",
                "ts": "2026-10-02T10:00:00Z",
                "amount": "10.00",
                "currency": "USD",
            },
            {
                "order_id": "early",
                "ts": "2025-12-31T23:59:00Z",
                "amount": "10.00",
                "currency": "USD",
                "partner_id": "p1",
            },
        ]
    )
    table = cm.compute(placed, book(cm.percent("10%")))
    assert cents(table) == {"ok": 100}
    assert table.skipped == (("organic", "no partner"), ("early", "no contract in force"))
    found = {m.order_id: cm.evaluate(m, book(cm.percent("10%"))) for m in placed.to_models()}
    assert found["organic"].skipped == "no partner"
    assert found["early"].skipped == "no contract in force"
    assert found["early"].amount is None
    assert cm.explain(found["organic"]) == "Order organic earns nothing: no partner."


def test_partner_contract_only_covers_its_partner() -> None:
    contracts = cm.ContractBook(
        [
            cm.Contract(
                id="kol",
                version=1,
                applies_to=cm.partner("p1"),
                currency="USD",
                timezone="UTC",
                plan=cm.percent("10%"),
                effective_from=START,
            )
        ]
    )
    placed = orders(
        order("mine", "2026-10-02T10:00:00Z", "10.00"),
        order("theirs", "2026-10-02T10:00:00Z", "10.00", partner_id="p2"),
    )
    table = cm.compute(placed, contracts)
    assert cents(table) == {"mine": 100}
    assert table.skipped == (("theirs", "no contract in force"),)


MIXED_PLAN = cm.add(
    cm.cap(
        cm.when(
            cm.case(
                cm.tiered(tiers=[("0", "5%"), ("100", "8%")]), category="beauty", label="beauty"
            ),
            otherwise=cm.tiered(mode="whole", tiers=[("0", "3%"), ("150", "4%")]),
        ),
        per_period=usd("12.00"),
    ),
    cm.flat("0.25", "USD", per="unit"),
)


def test_evaluate_order_by_order_gives_the_same_cents_as_compute() -> None:
    placed = orders(
        order("a", "2026-10-30T10:00:00+08:00", "60.00"),
        order("b", "2026-10-31T23:30:00+08:00", "70.00", partner_id="p2"),
        order("c", "2026-10-31T23:40:00+08:00", "90.00"),
        order("d", "2026-11-01T00:10:00+08:00", "120.00"),
        order("e", "2026-11-02T09:00:00+08:00", "80.00"),
    )
    detail = al.Lines.from_records(
        [
            {"order_id": "a", "line_id": "1", "amount": "60.00", "category": "beauty"},
            {"order_id": "c", "line_id": "1", "amount": "50.00", "category": "beauty"},
            {"order_id": "c", "line_id": "2", "amount": "40.00", "quantity": 2},
            {"order_id": "d", "line_id": "1", "amount": "120.00", "category": "beauty"},
        ],
        orders=placed,
    )
    contracts = book(MIXED_PLAN, tz="Asia/Shanghai")
    table = cm.compute(placed, contracts, lines=detail)
    # Both tiered rules count one volume: every line of the contract, per partner and month.
    # p1 October: a beauty 0 -> 60 at 5% = 3.00, + 1 unit x 0.25 = 3.25.
    # c/1 beauty 60 -> 110: 40 at 5% + 10 at 8% = 2.00 + 0.80 = 2.80, + 0.25;
    # c/2 other 110 -> 150, whole tiers at 150: 4% of 40 = 1.60, + 2 units = 0.50; c = 5.15.
    # p2 October: b other 0 -> 70, 3% = 2.10 + 0.25 = 2.35.
    # p1 November: d beauty 0 -> 120: 100 at 5% + 20 at 8% = 5.00 + 1.60 = 6.60, + 0.25;
    # e other 120 -> 200, 4% of 80 = 3.20 + 0.25 = 3.45. No period cap of 12.00 is reached.
    assert per_order(table) == {"a": 325, "b": 235, "c": 515, "d": 685, "e": 345}
    state: cm.CommissionState | None = None
    for model in placed.to_models():
        mine = [line for line in detail.to_models() if line.order_id == model.order_id]
        result = cm.evaluate(model, contracts, state, lines=mine or None)
        state = result.state
        assert result.amount == usd(f"{per_order(table)[model.order_id] / 100:.2f}")
    assert state == table.state


def test_evaluate_leaves_the_state_it_is_given_as_it_was() -> None:
    contracts = book(MIXED_PLAN, tz="Asia/Shanghai")
    first = al.Order(
        order_id="a",
        ts="2026-10-30T10:00:00+08:00",
        amount="60.00",
        currency="USD",
        partner_id="p1",
    )
    second = first.model_copy(update={"order_id": "b"})
    start = cm.evaluate(first, contracts).state
    kept = start.model_dump()
    again = cm.evaluate(second, contracts, start)
    assert start.model_dump() == kept
    assert cm.evaluate(second, contracts, start) == again
    assert again.state != start
    assert again.state.volumes is not start.volumes
    # The state serialises, and validates back, as one built from plain data does.
    rebuilt = cm.CommissionState.model_validate(again.state.model_dump())
    assert rebuilt == again.state
    assert rebuilt.model_dump_json() == again.state.model_dump_json()
    assert cm.CommissionState.model_validate_json(again.state.model_dump_json()) == again.state
    assert again == cm.Commission.model_validate(again.model_dump())


# -- what-if and explain --------------------------------------------------------------------------


def test_simulate_a_proposed_book() -> None:
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "80.00"),
        order("b", "2026-10-03T10:00:00Z", "50.00"),
        order("c", "2026-10-03T10:00:00Z", "50.00", partner_id="p2"),
    )
    current = book(cm.tiered(mode="forward", tiers=[("0", "5%"), ("100", "10%")]))
    proposed = book(
        cm.cap(cm.tiered(mode="forward", tiers=[("0", "5%"), ("50", "8%")]), per_order=usd("3.00"))
    )
    diffs = cm.simulate(placed, current, proposed)
    # p1 now: a 5% of 80 = 4.00, b (80 before < 100) 5% of 50 = 2.50 -> 6.50.
    # p1 proposed: a 4.00 capped 3.00; b (80 before >= 50) 8% = 4.00 capped 3.00 -> 6.00.
    # p2: c 5% of 50 = 2.50 either way.
    assert [d.partner_id for d in diffs] == ["p1", "p2"]
    p1, p2 = diffs
    assert (p1.current, p1.proposed, p1.change) == (usd("6.50"), usd("6.00"), usd("-0.50"))
    assert (p1.lines, p1.tier_changes, p1.caps_hit_current, p1.caps_hit_proposed) == (2, 1, 0, 2)
    assert (p2.current, p2.proposed, p2.change, p2.tier_changes) == (
        usd("2.50"),
        usd("2.50"),
        usd("0.00"),
        0,
    )


def test_explain_says_contract_branch_base_tier_rate_and_caps() -> None:
    plan = cm.cap(
        cm.when(
            cm.case(cm.tiered(tiers=[("0", "5%"), ("100", "10%")]), category="beauty"),
            otherwise="2%",
        ),
        per_order=usd("6.00"),
    )
    placed = orders(
        order("a", "2026-10-02T10:00:00Z", "80.00"), order("b", "2026-10-03T10:00:00Z", "90.00")
    )
    detail = lines(placed, ("a", "1", "80.00"), ("b", "1", "90.00"), category="beauty")
    contracts = book(plan, tz="Asia/Shanghai")
    table = cm.compute(placed, contracts, lines=detail)
    # b: 80 -> 170: 20 at 5% = 1.00 + 70 at 10% = 7.00 -> 8.00, capped at 6.00 (6.67%).
    assert cents(table) == {"a/1": 400, "b/1": 600}
    text = cm.explain(table, 1)
    for part in (
        "Order b, line 1 for partner p1",
        "std v1",
        "period 2026-10",
        "when #1 (category in {beauty}) > tiered revenue marginal",
        "tier 2",
        "Base 90.00 USD",
        "commission 6.00 USD",
        "effective rate 6.67%",
        "crosses a tier threshold: split between tiers",
        "per-order cap 6.00 USD hit",
    ):
        assert part in text
    single = cm.evaluate(placed.to_models()[0], contracts, lines=detail.to_models()[:1])
    assert cm.explain(single) == (
        "Order a, line 1 for partner p1: std v1, period 2026-10. "
        "Branch: when #1 (category in {beauty}) > tiered revenue marginal; tier 1. "
        "Base 80.00 USD; commission 4.00 USD (effective rate 5.00%)."
    )


# -- bad inputs -----------------------------------------------------------------------------------


def test_compute_refuses_wrong_types() -> None:
    contracts = book(cm.percent("5%"))
    rows = [order("a", "2026-10-02T10:00:00Z", "10.00", currency="USD", partner_id="p1")]
    with pytest.raises(TypeError, match=r"orders must be an al\.Orders table, got list"):
        cm.compute(rows, contracts)  # type: ignore[arg-type]
    placed = orders(*rows)
    with pytest.raises(TypeError, match=r"book must be a commission\.ContractBook, got list"):
        cm.compute(placed, [contracts.contracts[0]])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"lines must be an al\.Lines table, got list"):
        cm.compute(placed, contracts, lines=[])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"partners must be an al\.Partners table, got dict"):
        cm.compute(placed, contracts, partners={})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"order must be an al\.Order, got dict"):
        cm.evaluate(rows[0], contracts)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot explain a int"):
        cm.explain(3)  # type: ignore[arg-type]


def test_explain_of_a_table_needs_a_row_inside_it() -> None:
    table = cm.compute(orders(order("a", "2026-10-02T10:00:00Z", "10.00")), book(cm.percent("5%")))
    with pytest.raises(ValueError, match=r"explain\(table, row=...\) needs the row"):
        cm.explain(table)
    with pytest.raises(IndexError, match="row 5 is outside the table's 1 rows"):
        cm.explain(table, 5)


def test_lines_of_unknown_orders_name_the_row() -> None:
    placed = orders(order("a", "2026-10-02T10:00:00Z", "100.00"))
    stray = al.Lines.from_records(
        [
            {"order_id": "a", "line_id": "1", "amount": "60.00"},
            {"order_id": "zz", "line_id": "1", "amount": "40.00"},
        ],
        currency="USD",
    )
    with pytest.raises(DataError) as raised:
        cm.compute(placed, book(cm.percent("5%")), lines=stray)
    assert [str(p) for p in raised.value.problems] == [
        "row 1, column 'order_id', value 'zz': no such order"
    ]
    assert "row 1, column 'order_id', value 'zz': no such order" in str(raised.value)


def test_lines_in_another_currency_than_their_order() -> None:
    placed = orders(order("a", "2026-10-02T10:00:00Z", "100.00"))
    euros = al.Lines.from_records(
        [{"order_id": "a", "line_id": "1", "amount": "60.00"}], currency="EUR"
    )
    with pytest.raises(
        DataError, match="row 0, column 'currency', value 'EUR': line in EUR, its order in USD"
    ):
        cm.compute(placed, book(cm.percent("5%")), lines=euros)


@pytest.mark.parametrize(
    "contracts",
    [
        book(cm.when(group="gold", then="10%", otherwise="5%")),
        book(cm.multiplier("5%", by_group={"gold": "2"})),
    ],
    ids=["group-condition", "multiplier"],
)
def test_a_group_based_book_needs_partners(contracts: cm.ContractBook) -> None:
    placed = orders(order("a", "2026-10-02T10:00:00Z", "100.00"))
    with pytest.raises(
        ValueError,
        match="the contract book looks at partner groups; pass partners= so groups are known",
    ):
        cm.compute(placed, contracts)


def test_orders_in_another_currency_need_fx() -> None:
    placed = orders(order("a", "2026-10-02T10:00:00Z", "100.00", currency="EUR"))
    with pytest.raises(
        ValueError,
        match="orders in EUR fall under std v1, paid in USD; pass fx= with the rates to convert",
    ):
        cm.compute(placed, book(cm.percent("5%")))


def test_rounding_never_takes_a_period_past_its_cap() -> None:
    from datetime import UTC, datetime

    import alliance as al
    import alliance.commission as cm

    contract = cm.Contract(
        id="capped",
        version=1,
        applies_to=cm.default(),
        currency="USD",
        timezone="UTC",
        plan=cm.cap(cm.percent("5%"), per_period=al.Money("1.00", "USD")),
        effective_from=datetime(2026, 1, 1, tzinfo=UTC),
        rounding="half_up",
    )
    orders = al.Orders.from_records(
        [
            # 5% of 0.50 is 0.025: half-up makes it 0.03, and that is what the cap counts.
            {
                "order_id": "a",
                "ts": "2026-10-01T00:00:00Z",
                "amount": "0.50",
                "currency": "USD",
                "partner_id": "p",
            },
            # 5% of 100.00 is 5.00; the room left is 1.00 - 0.03 = 0.97.
            {
                "order_id": "b",
                "ts": "2026-10-02T00:00:00Z",
                "amount": "100.00",
                "currency": "USD",
                "partner_id": "p",
            },
        ]
    )
    table = cm.compute(orders, cm.ContractBook([contract]))
    assert table["commission"].tolist() == [3, 97]
    assert int(table["commission"].sum()) == 100
    assert "per-period cap" not in table["notes"][0]
    assert "per-period cap" in table["notes"][1]


def test_tier_volume_is_counted_in_the_zone_of_the_tiers_version() -> None:
    contracts = cm.ContractBook(
        [
            cm.Contract(
                id="std",
                version=1,
                applies_to=cm.default(),
                currency="USD",
                timezone="Asia/Shanghai",
                plan=cm.percent("0%"),
                effective_from=datetime(2026, 2, 1, tzinfo=UTC),
                effective_to=datetime(2026, 3, 18, tzinfo=UTC),
            ),
            cm.Contract(
                id="std",
                version=2,
                applies_to=cm.default(),
                currency="USD",
                timezone="America/New_York",
                plan=cm.tiered(tiers=[("0", "10%"), ("5", "0%")]),
                effective_from=datetime(2026, 3, 18, tzinfo=UTC),
            ),
        ]
    )
    placed = orders(
        order("a", "2026-02-28T23:00:00Z", "210.79"),
        order("b", "2026-03-22T13:00:00Z", "10.00"),
    )
    # a is 1 March in Shanghai (v1's zone) but 28 February in New York, the zone of v2's
    # monthly tiers: it counts toward February there. b starts March at 0: 10% of the first
    # 5.00 and 0% of the rest, 0.50 -- whether computed in a batch or one order at a time.
    assert cents(cm.compute(placed, contracts)) == {"a": 0, "b": 50}
    assert one_at_a_time(placed, contracts)[0] == {"a": 0, "b": 50}
