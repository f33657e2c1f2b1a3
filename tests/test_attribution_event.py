"""Event-level attribution: touches to orders, windows, identities, coupons, non-partners."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import alliance as al
from alliance import attribution as at
from alliance import commission as cm
from alliance.attribution._rules import ZeroWeightJourney
from alliance.attribution._stream import enumerate_ranges, match, sort_events

T0 = datetime(2026, 10, 1, tzinfo=UTC)
DAY_US = 86_400_000_000


def at_day(day: float) -> datetime:
    return T0 + timedelta(days=day)


def touch(visitor: str, day: float, partner: str | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"visitor_id": visitor, "ts": at_day(day), **extra}
    if partner is not None:
        row["partner_id"] = partner
    return row


def order(order_id: str, day: float, amount: str = "100.00", **extra: Any) -> dict[str, Any]:
    return {"order_id": order_id, "ts": at_day(day), "amount": amount, "currency": "USD", **extra}


def touches(*rows: dict[str, Any]) -> al.Touchpoints:
    return al.Touchpoints.from_records(list(rows))


def orders(*rows: dict[str, Any]) -> al.Orders:
    return al.Orders.from_records(list(rows))


def credits_of(result: at.Attribution) -> list[tuple[str, str, int]]:
    """(order, partner, credited minor units) per credit row."""
    table = result.credits
    return list(
        zip(
            table["order_id"].tolist(),
            table["partner_id"].tolist(),
            table["credited"].tolist(),
            strict=True,
        )
    )


def reasons_of(result: at.Attribution) -> dict[str, str]:
    table = result.unattributed
    return dict(zip(table["order_id"].tolist(), table["reason"].tolist(), strict=True))


# -- the models, end to end ---------------------------------------------------------------------


def test_last_click_credits_the_latest_touch() -> None:
    result = at.attribute(
        touches(touch("v1", 0, "a"), touch("v1", 1, "b"), touch("v2", 1, "c")),
        orders(order("o1", 2, visitor_id="v1"), order("o2", 2, visitor_id="v9"), order("o3", 2)),
    )
    assert credits_of(result) == [("o1", "b", 10000)]
    assert reasons_of(result) == {"o2": "no touchpoint", "o3": "no touchpoint"}
    credits = result.credits
    assert credits["weight"].tolist() == [1.0]
    assert credits["paid"].tolist() == [True]
    assert credits["basis"].tolist() == ["click"]
    assert credits["touch"].tolist() == [1]
    assert credits["ts"].tolist() == [al.to_micros(at_day(1))]
    assert credits["currency"].tolist() == ["USD"]
    assert result.model == at.last_click()
    assert result.window == timedelta(days=30)


def test_first_click_credits_the_earliest_touch_in_the_window() -> None:
    stream = touches(touch("v1", 0, "old"), touch("v1", 20, "a"), touch("v1", 25, "b"))
    result = at.attribute(stream, orders(order("o1", 31, visitor_id="v1")), model=at.first_click())
    assert credits_of(result) == [("o1", "a", 10000)]


def test_linear_counts_repeats() -> None:
    stream = touches(touch("v1", 0, "a"), touch("v1", 1, "a"), touch("v1", 2, "b"))
    result = at.attribute(
        stream, orders(order("o1", 3, "90.00", visitor_id="v1")), model=at.linear()
    )
    assert credits_of(result) == [("o1", "a", 3000), ("o1", "a", 3000), ("o1", "b", 3000)]
    by_partner: dict[str, float] = defaultdict(float)
    for partner, weight in zip(result.credits["partner_id"], result.credits["weight"], strict=True):
        by_partner[partner] += weight
    assert by_partner["a"] == pytest.approx(2 / 3)
    assert by_partner["b"] == pytest.approx(1 / 3)


def test_time_decay_with_a_week_half_life() -> None:
    stream = touches(touch("v1", 0, "a"), touch("v1", 7, "b"), touch("v1", 14, "c"))
    result = at.attribute(
        stream,
        orders(order("o1", 14, "70.00", visitor_id="v1")),
        model=at.time_decay(timedelta(days=7)),
    )
    assert credits_of(result) == [("o1", "a", 1000), ("o1", "b", 2000), ("o1", "c", 4000)]
    assert result.credits["weight"].tolist() == pytest.approx([1 / 7, 2 / 7, 4 / 7])


@pytest.mark.parametrize(
    ("count", "credited"),
    [
        (1, [10000]),
        (2, [5000, 5000]),
        (3, [4000, 2000, 4000]),
        (5, [4000, 667, 667, 666, 4000]),
    ],
)
def test_position_based(count: int, credited: list[int]) -> None:
    stream = touches(*(touch("v1", day, f"p{day}") for day in range(count)))
    result = at.attribute(
        stream, orders(order("o1", count, visitor_id="v1")), model=at.position_based()
    )
    assert result.credits["credited"].tolist() == credited
    assert result.credits["partner_id"].tolist() == [f"p{day}" for day in range(count)]


def test_custom_model_with_no_weight_names_the_order() -> None:
    nothing = at.custom(lambda position, length, age: np.zeros(position.size), name="nothing")
    with pytest.raises(ZeroWeightJourney, match="every qualifying touch of order 'o2'") as info:
        at.attribute(
            touches(touch("v2", 0, "a")),
            orders(order("o1", 1, visitor_id="v1"), order("o2", 1, visitor_id="v2")),
            model=nothing,
        )
    assert info.value.order_row == 1


def test_a_touch_keeps_qualifying_for_later_orders() -> None:
    result = at.attribute(
        touches(touch("v1", 0, "a")),
        orders(order("o1", 1, visitor_id="v1"), order("o2", 5, visitor_id="v1")),
    )
    assert credits_of(result) == [("o1", "a", 10000), ("o2", "a", 10000)]


def test_ties_in_time_keep_the_input_order() -> None:
    stream = touches(touch("v1", 1, "first"), touch("v1", 1, "second"))
    result = at.attribute(stream, orders(order("o1", 2, visitor_id="v1")))
    assert credits_of(result) == [("o1", "second", 10000)]


def test_zero_and_other_currencies_split_exactly() -> None:
    stream = touches(touch("v1", 0, "a"), touch("v1", 1, "b"), touch("v1", 2, "c"))
    result = at.attribute(
        stream,
        al.Orders.from_records(
            [
                {**order("yen", 3, visitor_id="v1"), "amount": "1000", "currency": "JPY"},
                {**order("free", 3, visitor_id="v1"), "amount": "0"},
            ]
        ),
        model=at.linear(),
    )
    assert credits_of(result) == [
        ("yen", "a", 334),
        ("yen", "b", 333),
        ("yen", "c", 333),
        ("free", "a", 0),
        ("free", "b", 0),
        ("free", "c", 0),
    ]
    assert result.credits["currency"].tolist() == ["JPY"] * 3 + ["USD"] * 3


# -- windows ------------------------------------------------------------------------------------


def test_window_is_half_open() -> None:
    ordered = T0 + timedelta(days=10)
    stream = touches(
        {"visitor_id": "edge", "ts": ordered - timedelta(days=7), "partner_id": "a"},
        {
            "visitor_id": "inside",
            "ts": ordered - timedelta(days=7) + timedelta(microseconds=1),
            "partner_id": "a",
        },
        {"visitor_id": "instant", "ts": ordered, "partner_id": "a"},
        {"visitor_id": "after", "ts": ordered + timedelta(microseconds=1), "partner_id": "a"},
    )
    result = at.attribute(
        stream,
        orders(
            *(
                {"order_id": v, "ts": ordered, "amount": "1.00", "currency": "USD", "visitor_id": v}
                for v in ("edge", "inside", "instant", "after")
            )
        ),
        window=timedelta(days=7),
    )
    assert [o for o, _, _ in credits_of(result)] == ["inside", "instant"]
    assert reasons_of(result) == {"edge": "outside the window", "after": "no touchpoint"}


def test_window_longer_than_the_data() -> None:
    result = at.attribute(
        touches(touch("v1", -400, "a")),
        orders(order("o1", 0, visitor_id="v1")),
        window=timedelta(days=100_000),
    )
    assert credits_of(result) == [("o1", "a", 10000)]


# -- identities ---------------------------------------------------------------------------------


def two_devices() -> tuple[al.Touchpoints, al.Orders]:
    stream = touches(touch("phone", 0, "a"), touch("laptop", 2, "b"), touch("tablet", 3, "c"))
    placed = orders(
        order("o1", 1, visitor_id="phone", customer_id="c1"),
        order("o2", 4, visitor_id="laptop", customer_id="c1"),
        order("o3", 5, visitor_id="desktop", customer_id="c1"),
        order("o4", 5, visitor_id="tablet"),
    )
    return stream, placed


def test_identity_by_visitor_keeps_devices_apart() -> None:
    result = at.attribute(*two_devices())
    assert credits_of(result) == [("o1", "a", 10000), ("o2", "b", 10000), ("o4", "c", 10000)]
    assert reasons_of(result) == {"o3": "no touchpoint"}


def test_identity_by_customer_binds_devices() -> None:
    result = at.attribute(*two_devices(), identity="customer")
    # The phone and the laptop placed orders as c1: both count for c1's orders, on any device.
    assert credits_of(result) == [
        ("o1", "a", 10000),
        ("o2", "b", 10000),
        ("o3", "b", 10000),
        ("o4", "c", 10000),
    ]
    linear = at.attribute(*two_devices(), identity="customer", model=at.linear())
    assert [(o, p) for o, p, _ in credits_of(linear)] == [
        ("o1", "a"),
        ("o2", "a"),
        ("o2", "b"),
        ("o3", "a"),
        ("o3", "b"),
        ("o4", "c"),
    ]


def test_links_bind_more_visitors() -> None:
    stream, placed = two_devices()
    result = at.attribute(
        stream, placed, identity="customer", links={"tablet": "c1"}, model=at.linear()
    )
    assert [(o, p) for o, p, _ in credits_of(result) if o == "o3"] == [
        ("o3", "a"),
        ("o3", "b"),
        ("o3", "c"),
    ]
    # o4 names no customer: it still matches its own visitor.
    assert [(o, p) for o, p, _ in credits_of(result) if o == "o4"] == [("o4", "c")]
    pairs = at.attribute(stream, placed, identity="customer", links=[("tablet", "c1")])
    assert credits_of(pairs)[2] == ("o3", "c", 10000)


def test_a_visitor_shared_by_two_customers_counts_for_both() -> None:
    stream = touches(touch("family-pc", 0, "a"))
    placed = orders(
        order("o1", 1, visitor_id="family-pc", customer_id="mum"),
        order("o2", 2, visitor_id="family-pc", customer_id="dad"),
        order("o3", 3, visitor_id="dads-phone", customer_id="dad"),
    )
    result = at.attribute(stream, placed, identity="customer")
    assert credits_of(result) == [("o1", "a", 10000), ("o2", "a", 10000), ("o3", "a", 10000)]
    assert result.credits["touch"].tolist() == [0, 0, 0]


# -- coupons ------------------------------------------------------------------------------------

OWNERS = {"SAVE10": "deals"}


def coupon_case() -> tuple[al.Touchpoints, al.Orders]:
    stream = touches(touch("v1", 0, "a"), touch("v1", 1, "b"))
    placed = orders(
        order("clicked", 2, visitor_id="v1", coupon_code="SAVE10"),
        order("alone", 2, visitor_id="v2", coupon_code="SAVE10"),
        order("public", 2, visitor_id="v1", coupon_code="WELCOME"),
    )
    return stream, placed


def test_coupons_ignored_by_default() -> None:
    result = at.attribute(*coupon_case(), coupon_owners=OWNERS)
    assert credits_of(result) == [("clicked", "b", 10000), ("public", "b", 10000)]
    assert reasons_of(result) == {"alone": "no touchpoint"}


def test_coupon_override() -> None:
    result = at.attribute(*coupon_case(), coupons="override", coupon_owners=OWNERS)
    assert credits_of(result) == [
        ("clicked", "deals", 10000),
        ("alone", "deals", 10000),
        ("public", "b", 10000),
    ]
    assert result.credits["basis"].tolist() == ["coupon", "coupon", "click"]
    assert result.credits["touch"].tolist() == [-1, -1, 1]
    assert result.credits["ts"].tolist()[0] == al.to_micros(at_day(2))


def test_coupon_click_first() -> None:
    result = at.attribute(*coupon_case(), coupons="click_first", coupon_owners=OWNERS)
    assert credits_of(result) == [
        ("clicked", "b", 10000),
        ("alone", "deals", 10000),
        ("public", "b", 10000),
    ]


def test_coupon_share() -> None:
    result = at.attribute(
        *coupon_case(), coupons="share", coupon_owners=OWNERS, coupon_share="30%", model=at.linear()
    )
    assert credits_of(result) == [
        ("clicked", "a", 3500),
        ("clicked", "b", 3500),
        ("clicked", "deals", 3000),
        ("alone", "deals", 10000),
        ("public", "a", 5000),
        ("public", "b", 5000),
    ]
    assert result.credits["weight"].tolist() == pytest.approx([0.35, 0.35, 0.3, 1, 0.5, 0.5])
    default = at.attribute(*coupon_case(), coupons="share", coupon_owners=OWNERS)
    assert credits_of(default)[:2] == [("clicked", "b", 5000), ("clicked", "deals", 5000)]


def test_coupon_owners_from_the_partners_table() -> None:
    partners = al.Partners.from_records(
        [{"partner_id": "deals", "coupon_codes": ["SAVE10"]}, {"partner_id": "a"}]
    )
    result = at.attribute(*coupon_case(), coupons="override", partners=partners)
    assert credits_of(result)[:2] == [("clicked", "deals", 10000), ("alone", "deals", 10000)]


def test_coupon_touchpoints_credit_their_owner() -> None:
    stream = touches(
        touch("v1", 0, "a"),
        touch("v1", 1, kind="coupon", coupon_code="SAVE10"),
        touch("v2", 1, kind="coupon", coupon_code="NOBODY"),
        touch("v3", 1, "kol", kind="coupon", coupon_code="SAVE10"),
    )
    placed = orders(
        order("o1", 2, visitor_id="v1"),
        order("o2", 2, visitor_id="v2"),
        order("o3", 2, visitor_id="v3"),
    )
    result = at.attribute(stream, placed, coupon_owners=OWNERS, model=at.linear())
    # A coupon touch without a partner goes to the code's owner; one whose code nobody owns is
    # dropped; a partner on the touch wins over the code's owner.
    assert credits_of(result) == [("o1", "a", 5000), ("o1", "deals", 5000), ("o3", "kol", 10000)]
    assert result.credits["basis"].tolist() == ["click", "coupon", "coupon"]
    assert reasons_of(result) == {"o2": "no touchpoint"}


# -- non-partner channels -----------------------------------------------------------------------


def direct_case() -> tuple[al.Touchpoints, al.Orders]:
    stream = touches(touch("v1", 0, "a"), touch("v1", 1, "direct"), touch("v2", 0, "organic"))
    return stream, orders(order("o1", 2, visitor_id="v1"), order("o2", 2, visitor_id="v2"))


def test_non_partner_ignored() -> None:
    result = at.attribute(*direct_case(), non_partner=["direct", "organic"])
    assert credits_of(result) == [("o1", "a", 10000)]
    assert reasons_of(result) == {"o2": "no touchpoint"}


def test_non_partner_wins() -> None:
    result = at.attribute(*direct_case(), non_partner=("direct", "organic"), non_partner_rule="win")
    assert credits_of(result) == []
    assert reasons_of(result) == {
        "o1": "won by a non-partner channel",
        "o2": "won by a non-partner channel",
    }
    linear = at.attribute(
        *direct_case(), non_partner="direct", non_partner_rule="win", model=at.linear()
    )
    assert credits_of(linear) == [
        ("o1", "a", 5000),
        ("o1", "direct", 5000),
        ("o2", "organic", 10000),
    ]
    assert linear.credits["paid"].tolist() == [True, False, True]


def test_non_partner_channels_are_partners_unless_named() -> None:
    result = at.attribute(*direct_case())
    assert credits_of(result) == [("o1", "direct", 10000), ("o2", "organic", 10000)]


# -- windows from contracts ---------------------------------------------------------------------


def contract(
    contract_id: str,
    applies_to: Any,
    cookie_days: int,
    start: float = -100,
    end: float | None = None,
) -> cm.Contract:
    return cm.Contract(
        id=contract_id,
        version=1,
        applies_to=applies_to,
        currency="USD",
        timezone="UTC",
        plan=cm.percent("5%"),
        effective_from=at_day(start),
        effective_to=None if end is None else at_day(end),
        cookie_days=cookie_days,
    )


def test_window_from_contract_cookie_days() -> None:
    book = cm.ContractBook(
        [contract("std", cm.default(), 30), contract("short", cm.partner("brief"), 7)]
    )
    stream = touches(touch("v1", 0, "brief"), touch("v2", 0, "steady"), touch("v3", 0, "brief"))
    placed = orders(
        order("o1", 10, visitor_id="v1"),
        order("o2", 10, visitor_id="v2"),
        order("o3", 6, visitor_id="v3"),
    )
    result = at.attribute(stream, placed, window="contract", book=book)
    assert credits_of(result) == [("o2", "steady", 10000), ("o3", "brief", 10000)]
    assert reasons_of(result) == {"o1": "outside the window"}
    assert result.window == "contract"


def test_last_click_skips_an_expired_cookie() -> None:
    book = cm.ContractBook(
        [contract("std", cm.default(), 30), contract("short", cm.partner("brief"), 1)]
    )
    stream = touches(touch("v1", 0, "steady"), touch("v1", 5, "brief"))
    result = at.attribute(
        stream, orders(order("o1", 10, visitor_id="v1")), window="contract", book=book
    )
    assert credits_of(result) == [("o1", "steady", 10000)]


def test_contract_in_force_at_the_touch_decides() -> None:
    book = cm.ContractBook(
        [
            contract("p", cm.partner("p"), 7, start=-100, end=5),
            cm.Contract(
                **{**contract("p", cm.partner("p"), 30, start=5).model_dump(), "version": 2}
            ),
        ]
    )
    stream = touches(touch("v1", 1, "p"), touch("v2", 6, "p"), touch("v3", 1, "nobody"))
    placed = orders(
        order("o1", 10, visitor_id="v1"),
        order("o2", 20, visitor_id="v2"),
        order("o3", 2, visitor_id="v3"),
    )
    result = at.attribute(stream, placed, window="contract", book=book)
    assert credits_of(result) == [("o2", "p", 10000)]
    # No contract covers "nobody": its touches qualify for nothing.
    assert reasons_of(result) == {"o1": "outside the window", "o3": "outside the window"}


def test_group_contracts_need_partners() -> None:
    book = cm.ContractBook(
        [contract("std", cm.default(), 1), contract("kols", cm.group("kol"), 14)]
    )
    stream = touches(touch("v1", 0, "star"), touch("v2", 0, "site"))
    placed = orders(order("o1", 10, visitor_id="v1"), order("o2", 10, visitor_id="v2"))
    with pytest.raises(ValueError, match="the contract book has group contracts; pass partners="):
        at.attribute(stream, placed, window="contract", book=book)
    partners = al.Partners.from_records(
        [{"partner_id": "star", "group": "kol"}, {"partner_id": "site"}]
    )
    result = at.attribute(
        stream, placed, window="contract", book=book, partners=partners, model=at.linear()
    )
    assert credits_of(result) == [("o1", "star", 10000)]
    assert reasons_of(result) == {"o2": "outside the window"}


# -- inputs -------------------------------------------------------------------------------------


def test_clicks_are_touchpoints() -> None:
    clicks = al.Clicks.from_records(
        [
            {"click_id": "c1", "ts": at_day(0), "partner_id": "a", "visitor_id": "v1"},
            {"click_id": "c2", "ts": at_day(1), "partner_id": "b"},
        ]
    )
    result = at.attribute(clicks, orders(order("o1", 2, visitor_id="v1")))
    assert credits_of(result) == [("o1", "a", 10000)]
    assert result.credits["basis"].tolist() == ["click"]


def test_impressions_keep_their_kind() -> None:
    stream = touches(touch("v1", 0, "a", kind="impression"), touch("v1", 1, "b"))
    result = at.attribute(stream, orders(order("o1", 2, visitor_id="v1")), model=at.linear())
    assert result.credits["basis"].tolist() == ["impression", "click"]


def test_no_orders_and_no_touches() -> None:
    empty = at.attribute(touches(touch("v1", 0, "a")), orders())
    assert len(empty.credits) == 0
    assert len(empty.unattributed) == 0
    nothing = at.attribute(touches(), orders(order("o1", 0, visitor_id="v1")), model=at.linear())
    assert reasons_of(nothing) == {"o1": "no touchpoint"}


# -- the result tables --------------------------------------------------------------------------


def test_result_tables_read_and_export() -> None:
    result = at.attribute(
        touches(touch("v1", 0, "a"), touch("v1", 1, "b")),
        orders(order("o1", 2, "10.01", visitor_id="v1"), order("o2", 2, "5.00")),
        model=at.linear(),
    )
    credits = result.credits
    assert len(credits) == 2
    assert credits.columns == (
        "order_id",
        "partner_id",
        "paid",
        "weight",
        "credited",
        "currency",
        "ts",
        "basis",
        "touch",
    )
    assert list(credits) == list(credits.columns)
    assert "weight" in credits
    codes, values = credits.codes("partner_id")
    assert codes.tolist() == [0, 1]
    assert values.tolist() == ["a", "b"]
    with pytest.raises(TypeError, match=r"Credits\.weight is not a text column"):
        credits.codes("weight")
    with pytest.raises(KeyError, match="Credits has no column 'amount'"):
        credits["amount"]
    records = credits.to_records()
    assert records[0] == {
        "order_id": "o1",
        "partner_id": "a",
        "paid": True,
        "weight": 0.5,
        "credited": al.Money("5.01", "USD"),
        "currency": "USD",
        "ts": at_day(0),
        "basis": "click",
        "touch": 0,
    }
    assert records[1]["credited"] == al.Money("5.00", "USD")
    assert result.unattributed.to_records() == [
        {
            "order_id": "o2",
            "reason": "no touchpoint",
            "amount": al.Money("5.00", "USD"),
            "currency": "USD",
        }
    ]
    frame = credits.to_pandas()
    assert list(frame.columns)[4] == "credited_minor"
    assert frame["credited_minor"].tolist() == [501, 500]
    assert str(frame["ts"].dt.tz) == "UTC"
    assert result.unattributed.to_pandas()["amount_minor"].tolist() == [500]
    first = credits.take([0])
    assert len(first) == 1
    assert first["partner_id"].tolist() == ["a"]
    assert credits.take(np.array([True, False])) == first
    assert credits == credits.take([0, 1])
    assert credits != first
    assert repr(credits).startswith("Credits(2 rows; columns order_id, partner_id")
    assert repr(result) == ("Attribution(1 order credited in 2 rows, 1 unattributed; model linear)")
    with pytest.raises(ValueError, match="a boolean mask must have one value per row"):
        credits.take(np.array([True]))
    assert len(at.Credits.empty()) == 0
    assert len(at.Unattributed.empty()) == 0
    written = credits["weight"]
    with pytest.raises(ValueError, match="read-only"):
        written[0] = 2.0


# -- bad input ----------------------------------------------------------------------------------


def simple() -> tuple[al.Touchpoints, al.Orders]:
    return touches(touch("v1", 0, "a")), orders(order("o1", 1, visitor_id="v1"))


@pytest.mark.parametrize(
    ("arguments", "options", "error", "message"),
    [
        (
            ("clicks", "orders"),
            {},
            TypeError,
            "touchpoints must be an al.Touchpoints or al.Clicks table, got str",
        ),
        (
            ("touches", "touches"),
            {},
            TypeError,
            "orders must be an al.Orders table, got Touchpoints",
        ),
        (
            ("touches", "orders"),
            {"model": "last_click"},
            TypeError,
            "model must be an AttributionModel",
        ),
        (
            ("touches", "orders"),
            {"window": timedelta(days=-1)},
            ValueError,
            "window must be positive, got -1 day",
        ),
        (
            ("touches", "orders"),
            {"window": timedelta(0)},
            ValueError,
            "window must be positive, got 0:00:00",
        ),
        (
            ("touches", "orders"),
            {"window": 30},
            TypeError,
            "window must be a timedelta or 'contract', got 30",
        ),
        (
            ("touches", "orders"),
            {"window": "cookie"},
            ValueError,
            "window must be a timedelta or 'contract', got 'cookie'",
        ),
        (
            ("touches", "orders"),
            {"window": "contract"},
            ValueError,
            r"window='contract' needs book= \(a commission.ContractBook\)",
        ),
        (
            ("touches", "orders"),
            {"book": "book", "window": "contract"},
            TypeError,
            "book must be a commission.ContractBook, got str",
        ),
        (
            ("touches", "orders"),
            {"book": cm.ContractBook([])},
            ValueError,
            "book= sets the windows only with window='contract'",
        ),
        (
            ("touches", "orders"),
            {"coupons": "always"},
            ValueError,
            "coupons must be one of None, 'override', 'click_first', 'share', got 'always'",
        ),
        (
            ("touches", "orders"),
            {"coupons": "override"},
            ValueError,
            r"coupons='override' needs coupon owners: coupon_owners= \(code to partner_id\)",
        ),
        (
            ("touches", "orders"),
            {"coupon_owners": ["SAVE10"]},
            TypeError,
            "coupon_owners must map coupon codes to partner ids, got list",
        ),
        (
            ("touches", "orders"),
            {"coupon_owners": {"SAVE10": 3}},
            TypeError,
            r"coupon_owners must map coupon codes to partner ids \(non-empty strings\), "
            "got 'SAVE10': 3",
        ),
        (
            ("touches", "orders"),
            {"coupon_share": "150%"},
            ValueError,
            "coupon_share must be a number between 0 and 1, got '150%'",
        ),
        (
            ("touches", "orders"),
            {"coupon_share": None},
            TypeError,
            "coupon_share must be a number between 0 and 1, got None",
        ),
        (
            ("touches", "orders"),
            {"identity": "device"},
            ValueError,
            "identity must be one of 'visitor', 'customer', got 'device'",
        ),
        (
            ("touches", "orders"),
            {"links": {"v1": "c1"}},
            ValueError,
            "links= binds visitors to customers; it needs identity='customer'",
        ),
        (
            ("touches", "orders"),
            {"links": "v1", "identity": "customer"},
            TypeError,
            "links must map visitor ids to customer ids, got 'v1'",
        ),
        (
            ("touches", "orders"),
            {"links": [("v1",)], "identity": "customer"},
            TypeError,
            r"links must pair a visitor id with a customer id, got \('v1',\)",
        ),
        (
            ("touches", "orders"),
            {"non_partner": 3},
            TypeError,
            "non_partner must be channel names, got 3",
        ),
        (
            ("touches", "orders"),
            {"non_partner": ["direct", ""]},
            TypeError,
            "non_partner must hold channel names",
        ),
        (
            ("touches", "orders"),
            {"non_partner_rule": "lose"},
            ValueError,
            "non_partner_rule must be one of 'ignore', 'win', got 'lose'",
        ),
        (
            ("touches", "orders"),
            {"partners": "partners"},
            TypeError,
            "partners must be an al.Partners table, got str",
        ),
    ],
)
def test_bad_input(
    arguments: tuple[str, str], options: dict[str, Any], error: type[Exception], message: str
) -> None:
    stream, placed = simple()
    given_values: dict[str, Any] = {"touches": stream, "orders": placed, "clicks": "clicks"}
    with pytest.raises(error, match=message):
        at.attribute(given_values[arguments[0]], given_values[arguments[1]], **options)


def test_shares_of_coupons_accept_exact_values() -> None:
    for share in ("0.25", Decimal("0.25"), 0.25, "25%"):
        result = at.attribute(
            *coupon_case(), coupons="share", coupon_owners=OWNERS, coupon_share=share
        )
        assert credits_of(result)[:2] == [("clicked", "b", 7500), ("clicked", "deals", 2500)]


# -- the kernel ---------------------------------------------------------------------------------


@given(
    identity=st.lists(st.integers(0, 2**20), min_size=1, max_size=60),
    seed=st.integers(0, 2**32 - 1),
    spread=st.sampled_from([10, 2**40, 2**60]),
)
def test_sort_events_matches_lexsort(identity: list[int], seed: int, spread: int) -> None:
    rng = np.random.default_rng(seed)
    ids = np.array(identity, dtype=np.int64)
    # Few distinct identities and clustered times make ties within coarse buckets.
    ids = ids % max(1, len(identity) // 4 + 1) * (2**19)
    times = rng.integers(0, spread, ids.size, dtype=np.int64) // rng.integers(1, 4)
    ties = rng.integers(0, 2, ids.size)
    split = ids.size // 2
    segments = [
        (ids[:split], times[:split], 0),
        (ids[split:], times[split:], 1),
    ]
    stamps = times * 2 + np.concatenate(
        [np.zeros(split, np.int64), np.ones(ids.size - split, np.int64)]
    )
    del ties
    expected = np.lexsort((np.arange(ids.size), stamps, ids))
    assert sort_events(segments).tolist() == expected.tolist()


def test_enumerate_ranges_and_match_edges() -> None:
    owner, position = enumerate_ranges(np.array([], np.int64), np.array([], np.int64))
    assert owner.size == position.size == 0
    empty = match(
        np.array([], np.int64), np.array([], np.int64), np.array([0]), np.array([5]), reach=10
    )
    assert empty.low.tolist() == empty.high.tolist() == [0]
    assert empty.earlier.tolist() == [False]


# -- properties ---------------------------------------------------------------------------------

VISITORS = ["v0", "v1", "v2", "v3"]
PARTNERS = ["a", "b", "c", "direct"]
STEP_US = 6 * 3_600_000_000  # touches and orders on a 6-hour grid: many ties


@st.composite
def programmes(draw: st.DrawFn) -> dict[str, Any]:
    touch_rows = draw(
        st.lists(
            st.tuples(st.sampled_from(VISITORS), st.integers(0, 40), st.sampled_from(PARTNERS)),
            max_size=30,
        )
    )
    order_rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from([*VISITORS, None]),
                st.integers(0, 40),
                st.integers(0, 100_000),
                st.sampled_from(["USD", "JPY", "KWD"]),
                st.sampled_from([None, "c1", "c2"]),
            ),
            max_size=12,
        )
    )
    return {
        "touches": touch_rows,
        "orders": order_rows,
        "window_steps": draw(st.integers(1, 20)),
    }


def build(programme: dict[str, Any]) -> tuple[al.Touchpoints, al.Orders]:
    stream = (
        al.Touchpoints.from_arrays(
            {
                "visitor_id": np.array([v for v, _, _ in programme["touches"]], dtype=str),
                "ts": np.array(
                    [al.to_micros(T0) + s * STEP_US for _, s, _ in programme["touches"]],
                    dtype=np.int64,
                ),
                "partner_id": np.array([p for _, _, p in programme["touches"]], dtype=str),
            }
        )
        if programme["touches"]
        else touches()
    )
    placed = al.Orders.from_records(
        [
            {
                "order_id": f"o{n}",
                "ts": al.from_micros(al.to_micros(T0) + step * STEP_US),
                "amount": str(amount),
                "currency": currency,
                **({"visitor_id": visitor} if visitor else {}),
                **({"customer_id": customer} if customer else {}),
            }
            for n, (visitor, step, amount, currency, customer) in enumerate(programme["orders"])
        ]
    )
    return stream, placed


def reference_journeys(
    programme: dict[str, Any], window_us: int, identity: str = "visitor"
) -> tuple[dict[str, list[int]], dict[str, str]]:
    """Per order, its qualifying touch rows oldest first (or the reason it has none)."""
    journeys: dict[str, list[int]] = {}
    reasons: dict[str, str] = {}
    devices: dict[str, set[str]] = defaultdict(set)  # customer -> the visitors that ordered
    for visitor, _, _, _, customer in programme["orders"]:
        if visitor is not None and customer is not None:
            devices[customer].add(visitor)
    for n, (visitor, step, _, _, customer) in enumerate(programme["orders"]):
        order_id = f"o{n}"
        ordered = step * STEP_US
        if identity == "customer" and customer is not None:
            mine = devices[customer]
        else:
            mine = set() if visitor is None else {visitor}
        earlier = [
            row
            for row, (v, s, _) in enumerate(programme["touches"])
            if v in mine and s * STEP_US <= ordered
        ]
        qualifying = [
            r for r in earlier if ordered < programme["touches"][r][1] * STEP_US + window_us
        ]
        qualifying.sort(key=lambda r: (programme["touches"][r][1], r))
        if qualifying:
            journeys[order_id] = qualifying
        else:
            reasons[order_id] = "outside the window" if earlier else "no touchpoint"
    return journeys, reasons


@given(programme=programmes(), identity=st.sampled_from(["visitor", "customer"]))
def test_last_click_matches_a_simple_reference(programme: dict[str, Any], identity: Any) -> None:
    stream, placed = build(programme)
    window_us = programme["window_steps"] * STEP_US
    result = at.attribute(
        stream, placed, window=timedelta(microseconds=window_us), identity=identity
    )
    journeys, reasons = reference_journeys(programme, window_us, identity)
    expected = [
        (order_id, programme["touches"][rows[-1]][2], rows[-1])
        for order_id, rows in journeys.items()
    ]
    got = list(
        zip(
            result.credits["order_id"].tolist(),
            result.credits["partner_id"].tolist(),
            result.credits["touch"].tolist(),
            strict=True,
        )
    )
    assert got == expected
    assert reasons_of(result) == reasons
    assert result.credits["credited"].tolist() == [
        int(placed["amount"][int(order_id[1:])]) for order_id in journeys
    ]


MODELS = st.sampled_from(
    [
        at.last_click(),
        at.first_click(),
        at.linear(),
        at.position_based(),
        at.position_based("0.1", "0.7"),
        at.time_decay(timedelta(days=2)),
    ]
)


@given(programme=programmes(), model=MODELS)
def test_multi_touch_matches_the_reference_journeys(
    programme: dict[str, Any], model: at.AttributionModel
) -> None:
    stream, placed = build(programme)
    window_us = programme["window_steps"] * STEP_US
    result = at.attribute(stream, placed, window=timedelta(microseconds=window_us), model=model)
    journeys, reasons = reference_journeys(programme, window_us)
    credits = result.credits
    for order_id, rows in journeys.items():
        ordered = programme["orders"][int(order_id[1:])][1] * STEP_US
        ages = [ordered - programme["touches"][r][1] * STEP_US for r in rows]
        shares = model.shares(at.Touches.of_lengths([len(rows)], age=ages))
        expected = [(r, s) for r, s in zip(rows, shares.tolist(), strict=True) if s > 0]
        mine = credits["order_id"] == order_id
        assert credits["touch"][mine].tolist() == [r for r, _ in expected]
        assert credits["weight"][mine].tolist() == pytest.approx([s for _, s in expected])
    assert reasons_of(result) == reasons


@given(
    programme=programmes(),
    model=MODELS,
    coupons=st.sampled_from([None, "override", "click_first", "share"]),
    identity=st.sampled_from(["visitor", "customer"]),
    rule=st.sampled_from(["ignore", "win"]),
)
def test_every_order_is_credited_exactly_or_left_with_a_reason(
    programme: dict[str, Any],
    model: at.AttributionModel,
    coupons: Any,
    identity: Any,
    rule: Any,
) -> None:
    stream, placed = build(programme)
    # Some orders carry a coupon code owned by "c".
    codes = ["SAVE" if n % 3 == 0 else None for n in range(len(placed))]
    records = placed.to_records()
    for record, code in zip(records, codes, strict=True):
        record["coupon_code"] = code
    placed = al.Orders.from_records(records) if records else placed
    result = at.attribute(
        stream,
        placed,
        model=model,
        window=timedelta(microseconds=programme["window_steps"] * STEP_US),
        coupons=coupons,
        coupon_owners={"SAVE": "c"},
        identity=identity,
        non_partner=["direct"],
        non_partner_rule=rule,
    )
    credited = set(result.credits["order_id"].tolist())
    left = result.unattributed["order_id"].tolist()
    assert len(left) == len(set(left))
    assert credited.isdisjoint(left)
    assert credited | set(left) == set(placed["order_id"].tolist())
    amounts = dict(zip(placed["order_id"].tolist(), placed["amount"].tolist(), strict=True))
    totals: dict[str, int] = defaultdict(int)
    weights: dict[str, float] = defaultdict(float)
    for order_id, part, weight in zip(
        result.credits["order_id"],
        result.credits["credited"],
        result.credits["weight"],
        strict=True,
    ):
        totals[order_id] += int(part)
        weights[order_id] += float(weight)
        assert weight > 0
    assert totals == {o: amounts[o] for o in credited}
    for total in weights.values():
        assert total == pytest.approx(1.0)
    assert all(result.credits["paid"]) or rule == "win"
    assert not (set(result.credits["partner_id"].tolist()) & {"direct"}) or rule == "win"
    if rule == "win":
        paid: dict[str, bool] = defaultdict(bool)
        for order_id, is_paid in zip(
            result.credits["order_id"], result.credits["paid"], strict=True
        ):
            paid[order_id] |= bool(is_paid)
        assert all(paid.values())
