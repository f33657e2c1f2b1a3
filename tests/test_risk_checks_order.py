"""Order checks: self-referral, velocity, brushing, coupon leakage, false new customers."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import alliance as al
from alliance._models import Click, Order
from alliance.risk._check import Check
from alliance.risk._check_coupons import CouponLeakage
from alliance.risk._check_identity import SelfReferral, normalise_email
from alliance.risk._check_new_customers import FalseNewCustomer, correct_new_customers
from alliance.risk._check_velocity import (
    Brushing,
    TrailingFeature,
    Velocity,
    VelocityLimit,
    feature_name,
    window_feature,
)
from alliance.risk._events import ClickEvent, OrderEvent, StreamContext
from alliance.risk._flags import REASONS, Flags
from alliance.risk._frame import Frame
from alliance.risk._windows import Instants, trailing_count, trailing_distinct

BASE = datetime(2026, 10, 1, tzinfo=UTC)
HOUR = 3600
DAY = 24 * HOUR


def at(seconds: float) -> datetime:
    return BASE + timedelta(seconds=seconds)


def order(order_id: str, seconds: float, **fields: Any) -> dict[str, Any]:
    return {"order_id": order_id, "ts": at(seconds), "amount": "10.00", "currency": "USD", **fields}


def click(click_id: str, seconds: float, partner_id: str, **fields: Any) -> dict[str, Any]:
    return {"click_id": click_id, "ts": at(seconds), "partner_id": partner_id, **fields}


def by_id(flags: Flags) -> dict[str, list[tuple[str, float, float, tuple[str, ...], str | None]]]:
    found: dict[str, list[tuple[str, float, float, tuple[str, ...], str | None]]] = defaultdict(
        list
    )
    for f in flags:
        found[f.id].append((f.code, f.observed, f.threshold, f.evidence, f.partner_id))
    return dict(found)


# --- a tiny screener: the same records, one event at a time ------------------------------------


def context_of(partners: al.Partners | None) -> StreamContext:
    maps: dict[str, dict[str, list[str]]] = {
        name: defaultdict(list)
        for name in ("email_hash", "payment_fingerprint", "ip", "device_id", "email")
    }
    owner: dict[str, str] = {}
    for record in partners.to_records() if partners is not None else []:
        partner = record["partner_id"]
        for name, mapping in maps.items():
            value = record.get(name)
            if value is None:
                continue
            key = normalise_email(value) if name == "email" else value
            if key and partner not in mapping[key]:
                mapping[key].append(partner)
        for code in record["coupon_codes"]:
            owner[code] = partner

    def frozen(name: str) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v) for k, v in maps[name].items()}

    has_addresses = partners is not None and "email" in partners.columns
    return StreamContext(
        partner_emails=frozen("email_hash"),
        partner_cards=frozen("payment_fingerprint"),
        partner_ips=frozen("ip"),
        partner_devices=frozen("device_id"),
        coupon_owner=owner,
        partner_addresses=frozen("email") if has_addresses else {},
    )


CLICK_FIELDS = ("click_id", "partner_id", "visitor_id", "ip", "device_id", "user_agent", "country")
ORDER_FIELDS = (
    "order_id",
    "partner_id",
    "visitor_id",
    "customer_id",
    "coupon_code",
    "is_new_customer",
    "country",
    "ip",
    "device_id",
    "payment_fingerprint",
    "email_hash",
)


def events(orders: al.Orders | None, clicks: al.Clicks | None) -> list[ClickEvent | OrderEvent]:
    """Clicks and orders in time order, clicks first at one instant, table order within."""
    merged: list[tuple[int, int, int, ClickEvent | OrderEvent]] = []
    if clicks is not None:
        for row, (record, ts) in enumerate(
            zip(clicks.to_records(), clicks["ts"].tolist(), strict=True)
        ):
            extras = {k: v for k, v in record.items() if k not in Click.model_fields}
            fields = {k: record[k] for k in CLICK_FIELDS}
            merged.append((ts, 0, row, ClickEvent(ts=ts, extras=extras, **fields)))
    if orders is not None:
        for row, (record, ts) in enumerate(
            zip(orders.to_records(), orders["ts"].tolist(), strict=True)
        ):
            extras = {k: v for k, v in record.items() if k not in Order.model_fields}
            fields = {k: record[k] for k in ORDER_FIELDS}
            merged.append((ts, 1, row, OrderEvent(ts=ts, extras=extras, **fields)))
    merged.sort(key=lambda item: item[:3])
    return [item[3] for item in merged]


def stream_flags(
    check: Check,
    *,
    orders: al.Orders | None = None,
    clicks: al.Clicks | None = None,
    partners: al.Partners | None = None,
) -> Flags:
    context = context_of(partners)
    stream = check.stream(context)
    assert stream is not None
    last_click: dict[tuple[str, str], ClickEvent] = {}
    found = []
    for event in events(orders, clicks):
        stream.sweep(event.ts)
        if isinstance(event, ClickEvent):
            if event.visitor_id is not None:
                last_click[(event.visitor_id, event.partner_id)] = event
            found += stream.click(event)
            continue
        if event.visitor_id is not None and event.partner_id is not None:
            won = last_click.get((event.visitor_id, event.partner_id))
            if won is not None and won.ts > event.ts - context.lookback_us:
                event.won = won
                event.ctit = (event.ts - won.ts) / 1e6
        if event.customer_id is not None:
            event.buyer = event.customer_id
        elif event.email_hash is not None:
            event.buyer = "email:" + event.email_hash
        elif event.visitor_id is not None:
            event.buyer = "visitor:" + event.visitor_id
        found += stream.order(event)
    if not found:
        return Flags.empty()
    return Flags.concat(
        Flags.of(
            f.subject,
            np.array([f.id], dtype=object),
            f.code,
            observed=f.observed,
            threshold=f.threshold,
            peer=f.peer,
            evidence=[f.evidence],
            partner_id=np.array([f.partner_id], dtype=object),
        )
        for f in found
    )


def full_rows(flags: Flags) -> set[tuple[Any, ...]]:
    return {
        (f.subject, f.id, f.code, f.check, f.observed, f.threshold, f.evidence, f.partner_id)
        for f in flags
    }


# --- random small programmes --------------------------------------------------------------------

SLOT = 900  # seconds: windows of 1 h, 24 h and their edges are hit often
SPANS = st.sampled_from([st.integers(0, 8), st.integers(0, 200)])
PARTNER_IDS = st.sampled_from(["P0", "P1", "P2"])
NEW = st.one_of(st.none(), st.booleans())
RAW_EMAILS = ("a.b+x@gmail.com", "ab@googlemail.com", "AB@example.com", " ab@example.com", "")


@functools.cache
def maybe(*values: str) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


@st.composite
def programmes(draw: st.DrawFn) -> tuple[al.Orders, al.Clicks, al.Partners]:
    slots = draw(SPANS)  # a few hours or two days
    with_devices = draw(st.booleans())
    with_addresses = draw(st.booleans())
    partner_records = []
    for number in range(3):
        record: dict[str, Any] = {
            "partner_id": f"P{number}",
            "email_hash": draw(maybe("h0", "h1")),
            "payment_fingerprint": draw(maybe("card0", "card1")),
            "coupon_codes": [f"C{number}"] if number < 2 else [],
        }
        if with_devices:
            record["device_id"] = draw(maybe("d0", "d1"))
            record["ip"] = draw(maybe("ip0", "ip1"))
        if with_addresses:
            record["email"] = draw(maybe(*RAW_EMAILS))
        partner_records.append(record)
    click_records = [
        click(
            f"k{i}",
            draw(slots) * SLOT,
            draw(PARTNER_IDS),
            visitor_id=draw(maybe("v0", "v1", "v2")),
            referrer=draw(maybe("https://www.coupons.example/x", "https://blog.example/")),
        )
        for i in range(draw(st.integers(0, 12)))
    ]
    order_records = []
    for i in range(draw(st.integers(0, 25))):
        record = order(
            f"o{i}",
            draw(slots) * SLOT,
            partner_id=draw(maybe("P0", "P1", "P2")),
            visitor_id=draw(maybe("v0", "v1", "v2")),
            customer_id=draw(maybe("u0", "u1")),
            email_hash=draw(maybe("h0", "h1", "h2")),
            payment_fingerprint=draw(maybe("card0", "card1", "card2")),
            ip=draw(maybe("ip0", "ip1")),
            device_id=draw(maybe("d0", "d1")),
            coupon_code=draw(maybe("C0", "C1", "C2")),
            is_new_customer=draw(NEW),
        )
        if with_addresses:
            record["email"] = draw(maybe(*RAW_EMAILS))
        order_records.append(record)
    return (
        al.Orders.from_records(order_records),
        al.Clicks.from_records(click_records),
        al.Partners.from_records(partner_records),
    )


def assert_stream_matches(
    check: Check, programme: tuple[al.Orders, al.Clicks, al.Partners], *, batch_only: set[str]
) -> None:
    orders, clicks, partners = programme
    batch = check(orders=orders, clicks=clicks, partners=partners)
    streamed = stream_flags(check, orders=orders, clicks=clicks, partners=partners)
    expected = {row for row in full_rows(batch) if row[2] not in batch_only}
    assert full_rows(streamed) == expected


# --- reasons ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "check", "subject", "action", "weight"),
    [
        ("self_referral_email", "self_referral", "order", "block", 0.95),
        ("self_referral_payment", "self_referral", "order", "block", 0.95),
        ("self_referral_device", "self_referral", "order", "block", 0.8),
        ("self_referral_ip", "self_referral", "order", "review", 0.5),
        ("velocity", "velocity", "order", "review", 0.7),
        ("brushing", "brushing", "order", "block", 0.8),
        ("coupon_without_click", "coupon_leakage", "order", "review", 0.5),
        ("coupon_leak_share", "coupon_leakage", "coupon", "review", 0.4),
        ("coupon_site_referrer", "coupon_leakage", "order", "review", 0.4),
        ("false_new_customer", "false_new_customer", "order", "allow", 0.3),
    ],
)
def test_reason_codes_are_declared(
    code: str, check: str, subject: str, action: str, weight: float
) -> None:
    declared = REASONS[code]
    assert (declared.check, declared.subject, declared.action, declared.weight) == (
        check,
        subject,
        action,
        weight,
    )


@pytest.mark.parametrize(
    "check", [SelfReferral(), Velocity(), Brushing(), CouponLeakage(), FalseNewCustomer()]
)
def test_checks_declare_their_codes_and_round_trip(check: Check) -> None:
    assert all(REASONS[code].check == check.check for code in check.codes)
    assert type(check).model_validate(check.model_dump()) == check
    assert check.stream(StreamContext()) is not None


# --- self-referral ------------------------------------------------------------------------------

PARTNERS = [
    {
        "partner_id": "P1",
        "email_hash": "h1",
        "payment_fingerprint": "card1",
        "device_id": "d1",
        "ip": "1.1.1.1",
        "coupon_codes": ["KOL10"],
    },
    {"partner_id": "P2", "device_id": None, "ip": None},
]


def test_self_referral_flags_each_shared_identity() -> None:
    orders = al.Orders.from_records(
        [
            order("o1", 0, partner_id="P1", email_hash="h1"),
            order("o2", 1, partner_id="P1", payment_fingerprint="card1"),
            order("o3", 2, partner_id="P1", device_id="d1"),
            order("o4", 3, partner_id="P1", ip="1.1.1.1"),
            order("o5", 4, partner_id="P2", email_hash="h1", payment_fingerprint="card1"),
            order("o6", 5, email_hash="h1", device_id="d1"),
            order("o7", 6, partner_id="P1", email_hash="h2", ip="9.9.9.9"),
            order("o8", 7, partner_id="P9", email_hash="h1"),
            order("o9", 8, partner_id="P1", email_hash="h1", payment_fingerprint="card1"),
        ]
    )
    partners = al.Partners.from_records(PARTNERS)
    flags = SelfReferral()(orders=orders, partners=partners)
    assert by_id(flags) == {
        "o1": [("self_referral_email", 1.0, 1.0, ("P1",), "P1")],
        "o2": [("self_referral_payment", 1.0, 1.0, ("P1",), "P1")],
        "o3": [("self_referral_device", 1.0, 1.0, ("P1",), "P1")],
        "o4": [("self_referral_ip", 1.0, 1.0, ("P1",), "P1")],
        "o9": [
            ("self_referral_email", 1.0, 1.0, ("P1",), "P1"),
            ("self_referral_payment", 1.0, 1.0, ("P1",), "P1"),
        ],
        # The partner itself, for its orders bought with its e-mail, card or device (not IP).
        "P1": [("self_referral_partner", 4.0, 1.0, ("o1", "o2", "o3", "o9"), "P1")],
    }
    assert full_rows(stream_flags(SelfReferral(), orders=orders, partners=partners)) == full_rows(
        flags.where(subject="order")
    )


def test_self_referral_without_device_or_ip_columns_never_compares_them() -> None:
    orders = al.Orders.from_records([order("o1", 0, partner_id="P1", device_id="d1", ip="x")])
    partners = al.Partners.from_records([{"partner_id": "P1"}])
    assert len(SelfReferral()(orders=orders, partners=partners)) == 0


def test_self_referral_missing_identities_never_match() -> None:
    orders = al.Orders.from_records([order("o1", 0, partner_id="P2")])
    partners = al.Partners.from_records(PARTNERS)
    assert len(SelfReferral()(orders=orders, partners=partners)) == 0


def test_self_referral_compares_normalised_raw_emails() -> None:
    orders = al.Orders.from_records(
        [
            order("o1", 0, partner_id="P1", email="J.Doe+promo@GoogleMail.com "),
            order("o2", 1, partner_id="P1", email="jdoe@example.com"),
            order("o3", 2, partner_id="P1", email_hash="h1", email="jdoe@gmail.com"),
            order("o4", 3, partner_id="P2", email=""),
            order("o5", 4, partner_id="P1", email=None),
        ]
    )
    partners = al.Partners.from_records(
        [
            {"partner_id": "P1", "email_hash": "h1", "email": "jdoe@gmail.com"},
            {"partner_id": "P2", "email": " "},
        ]
    )
    flags = SelfReferral()(orders=orders, partners=partners)
    assert by_id(flags) == {
        "o1": [("self_referral_email", 1.0, 1.0, ("P1",), "P1")],
        "o3": [("self_referral_email", 1.0, 1.0, ("P1",), "P1")],
        "P1": [("self_referral_partner", 2.0, 1.0, ("o1", "o3"), "P1")],
    }
    streamed = stream_flags(SelfReferral(), orders=orders, partners=partners)
    assert full_rows(streamed) == full_rows(flags.where(subject="order"))


def test_self_referral_needs_raw_emails_on_both_sides() -> None:
    orders = al.Orders.from_records([order("o1", 0, partner_id="P1", email="jdoe@gmail.com")])
    partners = al.Partners.from_records([{"partner_id": "P1"}])
    assert len(SelfReferral()(orders=orders, partners=partners)) == 0


def test_self_referral_needs_partners() -> None:
    orders = al.Orders.from_records([order("o1", 0)])
    with pytest.raises(ValueError, match="needs partners"):
        SelfReferral()(orders=orders)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("jdoe@example.com", "jdoe@example.com"),
        ("  JDoe@Example.COM ", "jdoe@example.com"),
        ("j.doe+news@example.com", "j.doe@example.com"),
        ("j.doe@gmail.com", "jdoe@gmail.com"),
        ("J.Doe+x+y@googlemail.com", "jdoe@gmail.com"),
        ("a.b.c@gmail.com.evil.com", "a.b.c@gmail.com.evil.com"),
        ("x.y@z@gmail.com", "xy@z@gmail.com"),
        ("no-at-sign", "no-at-sign"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalise_email(typed: str, normalised: str) -> None:
    assert normalise_email(typed) == normalised


@given(programmes())
def test_self_referral_stream_matches_batch(
    programme: tuple[al.Orders, al.Clicks, al.Partners],
) -> None:
    assert_stream_matches(SelfReferral(), programme, batch_only={"self_referral_partner"})


# --- velocity -----------------------------------------------------------------------------------


def test_velocity_card_daily_flags_the_fourth_order() -> None:
    orders = al.Orders.from_records(
        [order(f"o{i}", i * HOUR, payment_fingerprint="X", partner_id="P1") for i in range(1, 5)]
    )
    flags = Velocity()(orders=orders)
    assert by_id(flags) == {"o4": [("velocity", 4.0, 3.0, ("orders per card daily", "X"), "P1")]}


def test_velocity_window_excludes_an_order_exactly_24_hours_back() -> None:
    orders = al.Orders.from_records(
        [
            order("a", 0, payment_fingerprint="X"),
            order("b", HOUR, payment_fingerprint="X"),
            order("c", 2 * HOUR, payment_fingerprint="X"),
            order("d", DAY, payment_fingerprint="X"),  # window (0, 24 h]: b, c, d
            order("e", DAY, payment_fingerprint="X"),  # same instant, later row: b, c, d, e
        ]
    )
    assert window_feature(Frame(orders=orders), "orders", "card", "daily").tolist() == [
        1,
        2,
        3,
        3,
        4,
    ]
    flags = Velocity()(orders=orders)
    assert by_id(flags) == {"e": [("velocity", 4.0, 3.0, ("orders per card daily", "X"), None)]}


def test_velocity_ip_hourly_and_cards_per_ip() -> None:
    records = [
        order(f"o{i}", i * 60, ip="10.0.0.1", payment_fingerprint=f"card{i}") for i in range(6)
    ]
    records.append(order("o6", 6 * 60, ip="10.0.0.1"))  # no card: not a distinct card
    flags = Velocity()(orders=al.Orders.from_records(records))
    assert by_id(flags) == {
        "o3": [("velocity", 4.0, 3.0, ("cards per ip daily", "10.0.0.1"), None)],
        "o4": [("velocity", 5.0, 3.0, ("cards per ip daily", "10.0.0.1"), None)],
        "o5": [
            ("velocity", 6.0, 5.0, ("orders per ip hourly", "10.0.0.1"), None),
            ("velocity", 6.0, 3.0, ("cards per ip daily", "10.0.0.1"), None),
        ],
        "o6": [
            ("velocity", 7.0, 5.0, ("orders per ip hourly", "10.0.0.1"), None),
            ("velocity", 6.0, 3.0, ("cards per ip daily", "10.0.0.1"), None),
        ],
    }


def test_velocity_email_and_device_defaults() -> None:
    records = [
        order(f"o{i}", i * 600, email_hash="h", device_id="dev", partner_id="P") for i in range(6)
    ]
    flags = Velocity()(orders=al.Orders.from_records(records))
    assert by_id(flags) == {
        "o5": [
            ("velocity", 6.0, 5.0, ("orders per email daily", "h"), "P"),
            ("velocity", 6.0, 5.0, ("orders per device hourly", "dev"), "P"),
        ]
    }


def test_velocity_missing_keys_never_flag() -> None:
    orders = al.Orders.from_records([order(f"o{i}", i) for i in range(20)])
    assert len(Velocity()(orders=orders)) == 0
    assert window_feature(Frame(orders=orders), "orders", "ip", "hourly").tolist() == [0] * 20


def test_velocity_custom_limits_on_partners_and_coupons() -> None:
    limits = (
        VelocityLimit(key="partner", window="weekly", max=1),
        VelocityLimit(count="distinct", key="coupon", of="customer", window="hourly", max=1),
    )
    orders = al.Orders.from_records(
        [
            order("o1", 0, partner_id="P", coupon_code="C", customer_id="u1"),
            order("o2", 6 * DAY, partner_id="P", coupon_code="C", customer_id="u2"),
            order("o3", 7 * DAY, partner_id="P", coupon_code="C", customer_id="u3"),
            order("o4", 7 * DAY + 60, coupon_code="C", customer_id="u3"),
        ]
    )
    flags = Velocity(limits=limits)(orders=orders)
    assert by_id(flags) == {
        "o2": [("velocity", 2.0, 1.0, ("orders per partner weekly", "P"), "P")],
        "o3": [("velocity", 2.0, 1.0, ("orders per partner weekly", "P"), "P")],
    }
    assert full_rows(stream_flags(Velocity(limits=limits), orders=orders)) == full_rows(flags)


def test_window_feature_names_and_examples() -> None:
    assert feature_name("orders", "ip", "hourly") == "orders_per_ip_hourly"
    assert feature_name("distinct", "ip", "daily", "card") == "cards_per_ip_daily"
    limit = VelocityLimit(count="distinct", key="email", of="device", window="weekly", max=2)
    assert (limit.name, limit.label) == ("devices_per_email_weekly", "devices per email weekly")


@pytest.mark.parametrize(
    "arguments",
    [
        {"count": "orders", "key": "ip", "window": "monthly"},
        {"count": "orders", "key": "country", "window": "daily"},
        {"count": "sum", "key": "ip", "window": "daily"},
        {"count": "distinct", "key": "ip", "window": "daily"},
        {"count": "distinct", "key": "ip", "window": "daily", "of": "ip"},
        {"count": "distinct", "key": "ip", "window": "daily", "of": "coupon"},
        {"count": "orders", "key": "ip", "window": "daily", "of": "card"},
    ],
)
def test_window_feature_rejects_bad_arguments(arguments: dict[str, Any]) -> None:
    frame = Frame(orders=al.Orders.from_records([order("o1", 0)]))
    with pytest.raises(ValueError, match=r"count|key|window|of"):
        window_feature(frame, **arguments)
    with pytest.raises(ValueError, match=r"count|key|window|of"):
        TrailingFeature(**arguments)
    with pytest.raises(ValidationError):
        VelocityLimit(max=3, **arguments)


@pytest.mark.parametrize(
    "parameters",
    [
        {"limits": ()},
        {"limits": ({"key": "ip", "window": "daily", "max": 0},)},
        {"limits": ({"key": "ip", "window": "daily", "max": 3, "extra": 1},)},
        {"limits": ({"key": "ip", "max": 3},)},
        {"threshold": 3},
    ],
)
def test_velocity_rejects_bad_parameters(parameters: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Velocity(**parameters)


def test_trailing_feature_counts_like_window_feature() -> None:
    feature = TrailingFeature("distinct", "ip", "hourly", of="card")
    counts = [
        feature.add(OrderEvent("a", 0, ip="i", payment_fingerprint="c1")),
        feature.add(OrderEvent("b", 10, ip="i", payment_fingerprint="c2")),
        feature.add(OrderEvent("c", 20, ip="i")),
        feature.add(OrderEvent("d", 30, payment_fingerprint="c3")),
        feature.add(OrderEvent("e", 3_600_000_000, ip="i", payment_fingerprint="c1")),
    ]
    assert counts == [1, 2, 2, 0, 2]
    feature.sweep(10 * 3_600_000_000)
    assert feature.add(OrderEvent("f", 10 * 3_600_000_000, ip="i")) == 0


STREAM_LIMITS = (
    VelocityLimit(key="card", window="hourly", max=1),
    VelocityLimit(key="ip", window="daily", max=2),
    VelocityLimit(count="distinct", key="ip", of="card", window="hourly", max=1),
    VelocityLimit(count="distinct", key="partner", of="customer", window="daily", max=1),
    VelocityLimit(key="coupon", window="weekly", max=2),
)


@given(programmes())
def test_velocity_stream_matches_batch(programme: tuple[al.Orders, al.Clicks, al.Partners]) -> None:
    assert_stream_matches(Velocity(limits=STREAM_LIMITS), programme, batch_only=set())
    assert_stream_matches(Velocity(), programme, batch_only=set())


@given(programmes())
def test_window_feature_is_the_shared_kernel(
    programme: tuple[al.Orders, al.Clicks, al.Partners],
) -> None:
    orders = programme[0]
    frame = Frame(orders=orders)
    ts = frame.order_ts
    for key, codes in (("ip", frame.order_ip), ("partner", frame.order_partner)):
        expected = trailing_count(codes, ts, 3_600_000_000)
        assert window_feature(frame, "orders", key, "hourly").tolist() == expected.tolist()  # type: ignore[arg-type]
    expected = trailing_distinct(frame.order_ip, frame.order_card, ts, 86_400_000_000)
    assert window_feature(frame, "distinct", "ip", "daily", of="card").tolist() == (
        expected.tolist()
    )


@given(
    st.lists(st.tuples(st.integers(-1, 3), st.integers(-1, 3), st.integers(0, 30)), max_size=40),
    st.integers(1, 12),
)
def test_instants_count_earlier_rows_and_prune_small_keys(
    events_: list[tuple[int, int, int]], width: int
) -> None:
    key = np.array([e[0] for e in events_], dtype=np.int64)
    value = np.array([e[1] for e in events_], dtype=np.int64)
    ts = np.array([e[2] for e in events_], dtype=np.int64)
    instants = Instants(ts)
    group = instants.group(key)
    assert instants.count(group, width).tolist() == trailing_count(key, ts, width).tolist()
    assert (
        instants.distinct(group, value, width).tolist()
        == trailing_distinct(key, value, ts, width).tolist()
    )
    earlier, first = instants.earlier(group, width)
    assert earlier.tolist() == np.maximum(trailing_count(key, ts, width) - 1, 0).tolist()
    for row in range(key.size):  # the first earlier row, by brute force
        before = [
            other
            for other in range(row)
            if key[other] == key[row] >= 0 and ts[row] - width < ts[other] <= ts[row]
        ] + [
            other
            for other in range(row + 1, key.size)
            if key[other] == key[row] >= 0 and ts[row] - width < ts[other] < ts[row]
        ]
        earliest = min(before, key=lambda r: (ts[r], r)) if before else -1
        assert first[row] == earliest
    pruned = instants.group(key, more_than=2)
    counts = instants.count(pruned, width)
    keys, totals = np.unique(key[key >= 0], return_counts=True)
    crowded = np.isin(key, keys[totals > 2])
    assert counts[crowded].tolist() == trailing_count(key, ts, width)[crowded].tolist()
    assert not counts[~crowded].any()


# --- brushing -----------------------------------------------------------------------------------


def test_brushing_three_orders_by_one_buyer() -> None:
    orders = al.Orders.from_records(
        [order(f"o{i}", i * 600, partner_id="P", customer_id="u1") for i in range(1, 4)]
    )
    flags = Brushing()(orders=orders)
    assert by_id(flags) == {
        "o3": [("brushing", 3.0, 3.0, ("partner", "P", "3 orders / 1 buyers"), "P")]
    }


def test_brushing_needs_min_orders() -> None:
    orders = al.Orders.from_records(
        [order(f"o{i}", i * 600, partner_id="P", customer_id="u1") for i in range(1, 3)]
    )
    assert len(Brushing(min_ratio=2)(orders=orders)) == 0
    orders = al.Orders.from_records(
        [order(f"o{i}", i * 600, partner_id="P", customer_id="u1") for i in range(1, 4)]
    )
    flags = Brushing(min_ratio=2)(orders=orders)
    assert by_id(flags) == {
        "o3": [("brushing", 3.0, 2.0, ("partner", "P", "3 orders / 1 buyers"), "P")]
    }


def test_brushing_ratio_at_the_threshold() -> None:
    buyers = ["u1", "u2", "u1", "u2", "u1", "u2"]
    orders = al.Orders.from_records(
        [order(f"o{i}", i * 60, partner_id="P", customer_id=b) for i, b in enumerate(buyers)]
    )
    flags = Brushing()(orders=orders)  # o4: 5 / 2 = 2.5; o5: 6 / 2 = 3
    assert by_id(flags) == {
        "o5": [("brushing", 3.0, 3.0, ("partner", "P", "6 orders / 2 buyers"), "P")]
    }


def test_brushing_window_excludes_an_order_exactly_an_hour_back() -> None:
    orders = al.Orders.from_records(
        [order(f"o{i}", i * 1800, partner_id="P", customer_id="u1") for i in range(3)]
    )
    assert len(Brushing()(orders=orders)) == 0
    orders = al.Orders.from_records(
        [order(f"o{i}", i * 1799, partner_id="P", customer_id="u1") for i in range(3)]
    )
    assert set(by_id(Brushing()(orders=orders))) == {"o2"}


def test_brushing_by_coupon_and_the_larger_ratio_wins() -> None:
    orders = al.Orders.from_records(
        [
            order("p1", 0, partner_id="P", customer_id="u1"),
            order("c1", 10, partner_id="Q", coupon_code="C", customer_id="u2"),
            order("c2", 20, partner_id="Q", coupon_code="C", customer_id="u2"),
            order("c3", 30, partner_id="Q", coupon_code="C", customer_id="u2"),
            order("p2", 60, partner_id="P", customer_id="u1"),
            order("p3", 120, partner_id="P", customer_id="u1"),
            order("o4", 180, partner_id="P", coupon_code="C", customer_id="u1"),
            order("o5", 240, partner_id="R", coupon_code="C", customer_id="u2"),
        ]
    )
    flags = Brushing(min_ratio=2)(orders=orders)
    assert by_id(flags) == {
        # a tie between the partner's and the coupon's window shows the partner's
        "c3": [("brushing", 3.0, 2.0, ("partner", "Q", "3 orders / 1 buyers"), "Q")],
        "p3": [("brushing", 3.0, 2.0, ("partner", "P", "3 orders / 1 buyers"), "P")],
        # partner 4 / 1 beats coupon 4 / 2
        "o4": [("brushing", 4.0, 2.0, ("partner", "P", "4 orders / 1 buyers"), "P")],
        # partner R has one order; coupon C: 5 orders / 2 buyers
        "o5": [("brushing", 2.5, 2.0, ("coupon", "C", "5 orders / 2 buyers"), "R")],
    }
    streamed = stream_flags(Brushing(min_ratio=2), orders=orders)
    assert full_rows(streamed) == full_rows(flags)


def test_brushing_buyers_fall_back_to_email_then_visitor() -> None:
    orders = al.Orders.from_records(
        [
            order("o1", 0, partner_id="P", email_hash="h", visitor_id="v1"),
            order("o2", 60, partner_id="P", email_hash="h", visitor_id="v2"),
            order("o3", 120, partner_id="P", visitor_id="v3"),
            order("o4", 180, partner_id="P", visitor_id="v3"),
            order("o5", 240, partner_id="P", visitor_id="v3"),
            order("o6", 300, partner_id="P", customer_id="h"),
        ]
    )
    flags = Brushing()(orders=orders)
    # buyers: email h, visitor v3 and customer h (a customer id is not an e-mail)
    assert by_id(flags) == {}
    flags = Brushing(min_ratio=2)(orders=orders)
    assert by_id(flags) == {
        "o4": [("brushing", 2.0, 2.0, ("partner", "P", "4 orders / 2 buyers"), "P")],
        "o5": [("brushing", 2.5, 2.0, ("partner", "P", "5 orders / 2 buyers"), "P")],
        "o6": [("brushing", 2.0, 2.0, ("partner", "P", "6 orders / 3 buyers"), "P")],
    }


def test_brushing_orders_without_a_buyer_never_count() -> None:
    records = [order(f"o{i}", i * 60, partner_id="P", customer_id="u1") for i in range(2)]
    records += [order(f"x{i}", 200 + i, partner_id="P", coupon_code="C") for i in range(6)]
    assert len(Brushing()(orders=al.Orders.from_records(records))) == 0


@pytest.mark.parametrize(
    "parameters",
    [
        {"window_seconds": 0},
        {"window_seconds": float("inf")},
        {"min_ratio": 1},
        {"min_ratio": float("nan")},
        {"min_orders": 1},
        {"max_ratio": 3},
    ],
)
def test_brushing_rejects_bad_parameters(parameters: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Brushing(**parameters)


@given(programmes(), st.sampled_from([3600.0, 7200.0, 1.5 * 3600]), st.sampled_from([2.0, 3.0]))
def test_brushing_stream_matches_batch(
    programme: tuple[al.Orders, al.Clicks, al.Partners], window: float, ratio: float
) -> None:
    check = Brushing(window_seconds=window, min_ratio=ratio, min_orders=2)
    assert_stream_matches(check, programme, batch_only=set())


# --- coupon leakage -----------------------------------------------------------------------------


def coupon_partners() -> al.Partners:
    return al.Partners.from_records(
        [
            {"partner_id": "P1", "coupon_codes": ["KOL10"]},
            {"partner_id": "P2", "coupon_codes": []},
        ]
    )


def test_coupon_without_click() -> None:
    clicks = al.Clicks.from_records(
        [
            click("k1", 0, "P1", visitor_id="v1"),
            click("k2", 0, "P2", visitor_id="v2"),
            click("k3", 5 * DAY, "P1", visitor_id="v3"),
        ]
    )
    orders = al.Orders.from_records(
        [
            order("o1", HOUR, visitor_id="v1", coupon_code="KOL10", partner_id="P1"),
            order("o2", HOUR, visitor_id="v2", coupon_code="KOL10", partner_id="P2"),
            order("o3", HOUR, coupon_code="KOL10", partner_id="P1"),
            order("o4", 30 * DAY, visitor_id="v1", coupon_code="KOL10"),
            order("o5", 30 * DAY - 1, visitor_id="v1", coupon_code="KOL10"),
            order("o6", HOUR, visitor_id="v2", coupon_code="PUBLIC"),
            order("o7", 5 * DAY, visitor_id="v3", coupon_code="KOL10"),
            order("o8", 2 * HOUR, visitor_id="v3", coupon_code="KOL10"),
        ]
    )
    flags = CouponLeakage()(orders=orders, clicks=clicks, partners=coupon_partners())
    evidence = ("KOL10", "P1")
    assert by_id(flags) == {
        # v2 clicked another partner only
        "o2": [("coupon_without_click", 1.0, 1.0, evidence, "P1")],
        # the click is exactly 30 days back: out of the look-back
        "o4": [("coupon_without_click", 1.0, 1.0, evidence, "P1")],
        # v3's click came after the order
        "o8": [("coupon_without_click", 1.0, 1.0, evidence, "P1")],
    }
    streamed = stream_flags(
        CouponLeakage(), orders=orders, clicks=clicks, partners=coupon_partners()
    )
    assert full_rows(streamed) == full_rows(flags)


def test_coupon_leak_share_at_the_threshold() -> None:
    clicks = al.Clicks.from_records(
        [click(f"k{i}", 0, "P1", visitor_id=f"v{i}") for i in range(10)]
    )

    def redemptions(without_click: int) -> al.Orders:
        return al.Orders.from_records(
            [
                order(
                    f"o{i}",
                    HOUR + i,
                    visitor_id=f"w{i}" if i < without_click else f"v{i}",
                    coupon_code="KOL10",
                )
                for i in range(10)
            ]
        )

    check = CouponLeakage()
    flags = check(orders=redemptions(5), clicks=clicks, partners=coupon_partners())
    assert len(flags.where(code="coupon_leak_share")) == 0  # 5 / 10 is not over 0.5
    flags = check(orders=redemptions(6), clicks=clicks, partners=coupon_partners())
    share = flags.where(code="coupon_leak_share")
    assert by_id(share) == {
        "KOL10": [("coupon_leak_share", 0.6, 0.5, ("o0", "o1", "o2", "o3", "o4"), "P1")]
    }
    assert share["subject"].tolist() == ["coupon"]
    assert len(flags.where(code="coupon_without_click")) == 6


def test_coupon_leak_share_needs_min_redemptions() -> None:
    orders = al.Orders.from_records(
        [order(f"o{i}", i, visitor_id=f"w{i}", coupon_code="KOL10") for i in range(9)]
        + [order("o9", 10, coupon_code="KOL10")]  # no visitor: not judged
    )
    clicks = al.Clicks.from_records([click("k1", 0, "P1", visitor_id="v")])
    flags = CouponLeakage()(orders=orders, clicks=clicks, partners=coupon_partners())
    assert len(flags.where(code="coupon_leak_share")) == 0
    assert len(flags.where(code="coupon_without_click")) == 9
    flags = CouponLeakage(min_redemptions=9)(
        orders=orders, clicks=clicks, partners=coupon_partners()
    )
    assert by_id(flags.where(code="coupon_leak_share")) == {
        "KOL10": [("coupon_leak_share", 1.0, 0.5, ("o0", "o1", "o2", "o3", "o4"), "P1")]
    }


def test_coupon_site_referrer() -> None:
    clicks = al.Clicks.from_records(
        [
            click("k1", 0, "P2", visitor_id="v1", referrer="https://www.RetailMeNot.com/x?y=1"),
            click("k2", 0, "P2", visitor_id="v2", referrer="https://notretailmenot.com/"),
            click("k3", 0, "P2", visitor_id="v3", referrer="retailmenot.com/deals"),
            click("k4", 0, "P2", visitor_id="v4", referrer=None),
            click("k5", 0, "P1", visitor_id="v5", referrer="https://retailmenot.com"),
        ]
    )
    orders = al.Orders.from_records(
        [order(f"o{i}", 60, visitor_id=f"v{i}", partner_id="P2") for i in range(1, 6)]
    )
    partners = coupon_partners()
    check = CouponLeakage(coupon_sites=("RetailMeNot.com",))
    assert check.coupon_sites == ("retailmenot.com",)
    flags = check(orders=orders, clicks=clicks, partners=partners)
    assert by_id(flags) == {
        "o1": [("coupon_site_referrer", 1.0, 1.0, ("k1", "www.retailmenot.com"), "P2")],
        "o3": [("coupon_site_referrer", 1.0, 1.0, ("k3", "retailmenot.com"), "P2")],
    }
    assert full_rows(stream_flags(check, orders=orders, clicks=clicks, partners=partners)) == (
        full_rows(flags)
    )
    assert len(CouponLeakage()(orders=orders, clicks=clicks, partners=partners)) == 0


@pytest.mark.parametrize(
    "parameters",
    [
        {"lookback_days": 0},
        {"lookback_days": -1},
        {"min_redemptions": 0},
        {"max_share": 1},
        {"max_share": -0.1},
        {"coupon_sites": ("",)},
        {"coupon_sites": ("https://retailmenot.com/",)},
        {"coupon_sites": "retailmenot.com"},
    ],
)
def test_coupon_leakage_rejects_bad_parameters(parameters: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CouponLeakage(**parameters)


@given(programmes(), st.sampled_from([30.0, 0.5, 1.0]))
def test_coupon_leakage_stream_matches_batch(
    programme: tuple[al.Orders, al.Clicks, al.Partners], lookback: float
) -> None:
    check = CouponLeakage(lookback_days=lookback, coupon_sites=("coupons.example",))
    assert_stream_matches(check, programme, batch_only={"coupon_leak_share"})


# --- false new customers ------------------------------------------------------------------------


def test_false_new_customer() -> None:
    orders = al.Orders.from_records(
        [
            order("o1", 0, customer_id="c1", email_hash="h1", is_new_customer=True),
            order("o2", HOUR, customer_id="c1", is_new_customer=True, partner_id="P"),
            order("o3", 2 * HOUR, customer_id="c1", is_new_customer=False),
            order("o4", 3 * HOUR, customer_id="c1", is_new_customer=True),
            order("o5", 4 * HOUR, customer_id="c9", email_hash="h1", is_new_customer=True),
            order("o6", 5 * HOUR, payment_fingerprint="card", is_new_customer=True),
            order("o7", 5 * HOUR, payment_fingerprint="card", is_new_customer=True),
            order("o8", 6 * HOUR, customer_id="c1"),
            order("o9", 7 * HOUR, customer_id="c2", is_new_customer=True),
        ]
    )
    flags = FalseNewCustomer()(orders=orders)
    assert by_id(flags) == {
        "o2": [("false_new_customer", 1.0, 1.0, ("customer_id", "o1"), "P")],
        "o4": [("false_new_customer", 3.0, 1.0, ("customer_id", "o1"), None)],
        "o5": [("false_new_customer", 1.0, 1.0, ("email_hash", "o1"), None)],
        # same instant: the later row has the earlier one before it, not the other way
        "o7": [("false_new_customer", 1.0, 1.0, ("payment_fingerprint", "o6"), None)],
    }
    assert full_rows(stream_flags(FalseNewCustomer(), orders=orders)) == full_rows(flags)


def test_false_new_customer_takes_rows_at_one_instant_in_table_order() -> None:
    orders = al.Orders.from_records(
        [
            order("b", 0, customer_id="c1", is_new_customer=True),
            order("a", 0, customer_id="c1", is_new_customer=True),
            order("c", -1, customer_id="c1"),
        ]
    )
    flags = FalseNewCustomer()(orders=orders)
    assert by_id(flags) == {
        "b": [("false_new_customer", 1.0, 1.0, ("customer_id", "c"), None)],
        "a": [("false_new_customer", 2.0, 1.0, ("customer_id", "c"), None)],
    }


def test_false_new_customer_seen_days() -> None:
    orders = al.Orders.from_records(
        [
            order("o1", 0, customer_id="c1"),
            order("o2", DAY, customer_id="c1", is_new_customer=True),
            order("o3", 2 * DAY - 1, customer_id="c1", is_new_customer=True),
        ]
    )
    check = FalseNewCustomer(seen_days=1)
    flags = check(orders=orders)
    # o2 is exactly a day after o1: o1 is forgotten; o3 is within a day of o2
    assert by_id(flags) == {"o3": [("false_new_customer", 1.0, 1.0, ("customer_id", "o2"), None)]}
    assert full_rows(stream_flags(check, orders=orders)) == full_rows(flags)
    assert set(by_id(FalseNewCustomer()(orders=orders))) == {"o2", "o3"}


def test_false_new_customer_missing_values_never_flag() -> None:
    orders = al.Orders.from_records(
        [order(f"o{i}", i, is_new_customer=True) for i in range(5)]
        + [order("p1", 10, customer_id="c"), order("p2", 11, customer_id="c")]
    )
    assert len(FalseNewCustomer()(orders=orders)) == 0


def test_correct_new_customers() -> None:
    orders = al.Orders.from_records(
        [
            order("o1", 0, customer_id="c1", is_new_customer=True, note="x"),
            order("o2", 1, customer_id="c1", is_new_customer=True, note="y"),
            order("o3", 2, customer_id="c2", is_new_customer=None, note="z"),
            order("o4", 3, customer_id="c1", is_new_customer=False, note="w"),
        ]
    )
    flags = Flags.concat(
        [
            FalseNewCustomer()(orders=orders),
            Velocity(limits=(VelocityLimit(key="customer", window="daily", max=1),))(orders=orders),
            Flags.of(
                "order",
                np.array(["o-unknown"], dtype=object),
                "false_new_customer",
                observed=1,
                threshold=1,
            ),
        ]
    )
    corrected = correct_new_customers(orders, flags)
    assert corrected["is_new_customer"].tolist() == [1, 0, -1, 0]
    assert orders["is_new_customer"].tolist() == [1, 1, -1, 0]  # unchanged
    assert corrected.to_records()[0] == orders.to_records()[0]
    assert [r["note"] for r in corrected.to_records()] == ["x", "y", "z", "w"]
    assert corrected.missing("is_new_customer").tolist() == [False, False, True, False]
    assert correct_new_customers(orders, Flags.empty()) is orders
    assert len(FalseNewCustomer()(orders=corrected)) == 0


@pytest.mark.parametrize(
    ("orders", "flags"),
    [
        ([{"order_id": "o1"}], Flags.empty()),
        (al.Orders.from_records([order("o1", 0)]), [{"id": "o1"}]),
    ],
)
def test_correct_new_customers_rejects_bad_input(orders: Any, flags: Any) -> None:
    with pytest.raises(TypeError):
        correct_new_customers(orders, flags)


@pytest.mark.parametrize(
    "parameters", [{"seen_days": 0}, {"seen_days": -1}, {"seen_days": float("inf")}, {"days": 3}]
)
def test_false_new_customer_rejects_bad_parameters(parameters: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FalseNewCustomer(**parameters)


@given(programmes(), st.sampled_from([None, 0.25, 1.0]))
def test_false_new_customer_stream_matches_batch(
    programme: tuple[al.Orders, al.Clicks, al.Partners], seen_days: float | None
) -> None:
    assert_stream_matches(FalseNewCustomer(seen_days=seen_days), programme, batch_only=set())


# --- streams keep bounded state ------------------------------------------------------------------


def test_streams_forget_what_no_window_needs() -> None:
    context = StreamContext(coupon_owner={"KOL10": "P1"})
    velocity = Velocity().stream(context)
    brushing = Brushing().stream(context)
    leakage = CouponLeakage().stream(context)
    seen = FalseNewCustomer(seen_days=1).stream(context)
    day = 86_400_000_000
    for i in range(100):
        event = OrderEvent(
            f"o{i}",
            i * day,
            partner_id="P1",
            ip=f"ip{i}",
            payment_fingerprint=f"card{i}",
            customer_id=f"c{i}",
            coupon_code="KOL10",
            visitor_id=f"v{i}",
            buyer=f"c{i}",
        )
        leakage.click(ClickEvent(f"k{i}", i * day, "P1", visitor_id=f"v{i}"))
        for stream in (velocity, brushing, leakage, seen):
            stream.order(event)
            stream.sweep(event.ts)
    assert all(len(feature._window) <= 1 for _, feature, _ in velocity._limits)  # type: ignore[attr-defined]
    assert all(len(window) <= 1 for _, window in brushing._windows)  # type: ignore[attr-defined]
    assert len(leakage._last_click) <= 31  # type: ignore[attr-defined]
    assert all(len(s._recent) <= 1 for _, s in seen._seen)  # type: ignore[attr-defined]
