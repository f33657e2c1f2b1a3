"""The record models: what they accept, what they refuse, and their pinned JSON shape."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import alliance as al

SHANGHAI = ZoneInfo("Asia/Shanghai")
TS = datetime(2026, 10, 1, 12, 0, tzinfo=SHANGHAI)

GOOD: dict[type[BaseModel], dict[str, Any]] = {
    al.Partner: {
        "partner_id": "p1",
        "name": "小红 Beauty",
        "kind": "kol",
        "group": "beauty",
        "parent_id": "p0",
        "country": "cn",
        "payout_currency": "cny",
        "email_hash": "e1",
        "payment_fingerprint": "f1",
        "audience_size": 120_000,
        "engagement_rate": 0.035,
        "categories": ["beauty", "skincare"],
        "status": "active",
        "joined_at": "2026-01-15T09:00:00+08:00",
    },
    al.Click: {
        "click_id": "c1",
        "ts": TS,
        "partner_id": "p1",
        "visitor_id": "v1",
        "ip": "203.0.113.7",
        "device_id": "d1",
        "user_agent": "Mozilla/5.0",
        "country": "SG",
        "sub_id": "spring",
    },
    al.Order: {
        "order_id": "o1",
        "ts": "2026-10-01T12:00:00+08:00",
        "amount": "129.90",
        "currency": "USD",
        "visitor_id": "v1",
        "customer_id": "cu1",
        "partner_id": "p1",
        "coupon_code": "SPRING10",
        "is_new_customer": True,
        "country": "US",
        "ip": "198.51.100.1",
        "device_id": "d1",
        "payment_fingerprint": "pf1",
        "email_hash": "eh1",
        "subscription_id": "s1",
        "tax": "9.90",
        "shipping": "5.00",
        "discount": "10.00",
    },
    al.OrderLine: {
        "order_id": "o1",
        "line_id": "l1",
        "sku": "SKU-1",
        "category": "beauty",
        "amount": "59.95",
        "quantity": 2,
        "currency": "USD",
    },
    al.Reversal: {
        "reversal_id": "r1",
        "order_id": "o1",
        "line_id": "l1",
        "ts": "2026-10-05T08:00:00Z",
        "amount": "20.00",
        "currency": "USD",
        "kind": "chargeback",
        "reason": "disputed",
    },
    al.Touchpoint: {
        "visitor_id": "v1",
        "ts": TS,
        "partner_id": "p1",
        "kind": "coupon",
        "coupon_code": "SPRING10",
    },
}

MODELS = list(GOOD)


def _refusal(model: type[BaseModel], **changes: Any) -> str:
    """Validate a good record with some fields changed; return the error text."""
    data = {**GOOD[model], **changes}
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return str(caught.value)


# -- good input -------------------------------------------------------------------------------


def test_order_parses_exact_values() -> None:
    order = al.Order.model_validate(GOOD[al.Order])
    assert order.amount == Decimal("129.90")
    assert order.tax == Decimal("9.90")
    assert order.currency == "USD"
    assert order.ts == datetime(2026, 10, 1, 4, 0, tzinfo=UTC)
    assert order.ts.utcoffset() == timedelta(hours=8)
    assert order.money == al.Money("129.90", "USD")


def test_partner_normalises_codes_and_tags() -> None:
    partner = al.Partner.model_validate(GOOD[al.Partner])
    assert partner.country == "CN"
    assert partner.payout_currency == "CNY"
    assert partner.categories == ("beauty", "skincare")
    assert al.Partner.model_validate({"partner_id": "p2", "categories": "a|b"}).categories == (
        "a",
        "b",
    )


def test_defaults() -> None:
    assert al.Partner(partner_id="p").kind == "other"
    assert al.Partner(partner_id="p").status == "active"
    assert al.Partner(partner_id="p").categories == ()
    assert al.OrderLine(order_id="o", line_id="l", amount=Decimal(1)).quantity == 1
    assert al.Reversal(reversal_id="r", order_id="o", ts=TS).kind == "refund"
    assert al.Touchpoint(visitor_id="v", ts=TS, partner_id="p").kind == "click"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1200", "JPY", Decimal(1200)),
        (1200, "JPY", Decimal(1200)),
        ("1.234", "KWD", Decimal("1.234")),
        (Decimal("19.99"), "usd", Decimal("19.99")),
        ("19.90", "EUR", Decimal("19.90")),
        ("0", "USD", Decimal(0)),
    ],
)
def test_order_amounts_in_minor_units(amount: Any, currency: str, expected: Decimal) -> None:
    order = al.Order(order_id="o", ts=TS, amount=amount, currency=currency)
    assert order.amount == expected


def test_integer_ids_are_written_in_decimal() -> None:
    assert al.Order(order_id=42, ts=TS, amount="1", currency="USD").order_id == "42"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_json_round_trip(model: type[BaseModel]) -> None:
    record = model.model_validate(GOOD[model])
    assert model.model_validate_json(record.model_dump_json()) == record
    assert model.model_validate(record.model_dump()) == record


@settings(deadline=None)
@given(
    minor=st.integers(min_value=0, max_value=10**12),
    currency=st.sampled_from(["USD", "JPY", "KWD", "EUR", "CLF"]),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
    micros=st.integers(min_value=0, max_value=10**15),
)
def test_order_json_round_trip_property(
    minor: int, currency: str, offset_minutes: int, micros: int
) -> None:
    amount = Decimal(minor).scaleb(-al.currency(currency).exponent)
    zone = timezone(timedelta(minutes=offset_minutes))
    ts = (datetime(2000, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)).astimezone(zone)
    order = al.Order(order_id="o", ts=ts, amount=amount, currency=currency)
    again = al.Order.model_validate_json(order.model_dump_json())
    assert again == order
    assert again.amount == amount
    assert again.ts == ts


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_frozen(model: type[BaseModel]) -> None:
    record = model.model_validate(GOOD[model])
    first = next(iter(model.model_fields))
    with pytest.raises(ValidationError, match="frozen"):
        setattr(record, first, "other")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_extra_fields_refused(model: type[BaseModel]) -> None:
    assert "Extra inputs are not permitted" in _refusal(model, promo="x")


# -- refusals ----------------------------------------------------------------------------------


TIMESTAMPED = [
    (al.Partner, "joined_at"),
    (al.Click, "ts"),
    (al.Order, "ts"),
    (al.Reversal, "ts"),
    (al.Touchpoint, "ts"),
]


@pytest.mark.parametrize(("model", "field"), TIMESTAMPED, ids=lambda x: getattr(x, "__name__", x))
def test_naive_datetime_refused(model: type[BaseModel], field: str) -> None:
    text = _refusal(model, **{field: datetime(2026, 10, 1, 12, 0)})
    assert "is naive; attach a time zone" in text


@pytest.mark.parametrize(("model", "field"), TIMESTAMPED, ids=lambda x: getattr(x, "__name__", x))
def test_timestamp_string_without_offset_refused(model: type[BaseModel], field: str) -> None:
    text = _refusal(model, **{field: "2026-10-01T12:00:00"})
    assert "has no UTC offset" in text


def test_unparsable_timestamp_refused() -> None:
    assert "is not an ISO 8601 timestamp" in _refusal(al.Order, ts="yesterday")


MONEY_FIELDS = [
    (al.Order, "amount"),
    (al.Order, "tax"),
    (al.OrderLine, "amount"),
    (al.Reversal, "amount"),
]


@pytest.mark.parametrize(("model", "field"), MONEY_FIELDS, ids=lambda x: getattr(x, "__name__", x))
def test_float_amount_refused(model: type[BaseModel], field: str) -> None:
    text = _refusal(model, **{field: 1.5})
    assert "is a float; floats cannot hold money exactly" in text


@pytest.mark.parametrize(("model", "field"), MONEY_FIELDS, ids=lambda x: getattr(x, "__name__", x))
def test_negative_amount_refused(model: type[BaseModel], field: str) -> None:
    assert "amount must not be negative, got -1.00" in _refusal(model, **{field: "-1.00"})


@pytest.mark.parametrize(
    ("model", "changes", "message"),
    [
        (al.Order, {"amount": "12.345"}, "amount 12.345 is finer than USD's minor unit (2 decimal"),
        (
            al.Order,
            {"amount": "1.5", "currency": "JPY", "tax": None, "shipping": None, "discount": None},
            "amount 1.5 is finer than JPY's minor unit (0 decimal places)",
        ),
        (al.Order, {"tax": "0.001"}, "tax 0.001 is finer than USD's minor unit"),
        (al.OrderLine, {"amount": "1.005"}, "amount 1.005 is finer than USD's minor unit"),
        (al.Reversal, {"amount": "1.5", "currency": "JPY"}, "finer than JPY's minor unit"),
    ],
)
def test_amount_finer_than_minor_unit_refused(
    model: type[BaseModel], changes: dict[str, Any], message: str
) -> None:
    assert message in _refusal(model, **changes)


def test_kwd_allows_three_places() -> None:
    order = al.Order(order_id="o", ts=TS, amount=Decimal("1.234"), currency="KWD")
    assert order.amount == Decimal("1.234")
    assert "finer than KWD's minor unit (3 decimal places)" in _refusal(
        al.Order, amount="1.2345", currency="KWD", tax=None, shipping=None, discount=None
    )


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (al.Order, "currency"),
        (al.OrderLine, "currency"),
        (al.Reversal, "currency"),
        (al.Partner, "payout_currency"),
    ],
    ids=lambda x: getattr(x, "__name__", x),
)
def test_unknown_currency_refused(model: type[BaseModel], field: str) -> None:
    assert "unknown currency 'ZZZ': not an active ISO 4217 code" in _refusal(
        model, **{field: "ZZZ"}
    )


def test_currency_without_minor_unit_refused() -> None:
    assert "XAU is an ISO 4217 code without a minor unit" in _refusal(al.Order, currency="XAU")


@pytest.mark.parametrize("country", ["USA", "1A", "", "U"])
def test_bad_country_refused(country: str) -> None:
    text = _refusal(al.Click, country=country)
    assert f"a country must be a two-letter ISO 3166 code, got {country!r}" in text


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (al.Partner, "kind", "influencer"),
        (al.Partner, "status", "banned"),
        (al.Reversal, "kind", "Refund"),
        (al.Touchpoint, "kind", "view"),
    ],
)
def test_unknown_enum_value_refused(model: type[BaseModel], field: str, value: str) -> None:
    text = _refusal(model, **{field: value})
    assert "Input should be" in text
    assert repr(value) in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"order_id": ""}, "an id must not be empty"),
        ({"order_id": "   "}, "an id must not be empty"),
        ({"order_id": None}, "an id must be a non-empty string, got None"),
        ({"order_id": True}, "an id must be a non-empty string, got True"),
        ({"order_id": 1.0}, "an id must be a string, got float 1.0"),
        ({"is_new_customer": "perhaps"}, "expected true or false, got 'perhaps'"),
        ({"amount": "12,50"}, "amount '12,50' is not a decimal number"),
        ({"amount": "NaN"}, "is not a finite number"),
    ],
)
def test_bad_cells_refused(changes: dict[str, Any], message: str) -> None:
    assert message in _refusal(al.Order, **changes)


def test_partner_cannot_be_its_own_parent() -> None:
    assert "partner 'p1' cannot be its own parent" in _refusal(al.Partner, parent_id="p1")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"engagement_rate": 1.5}, "expected a number between 0 and 1, got 1.5"),
        ({"audience_size": -1}, "greater than or equal to 0"),
        ({"categories": ["ok", ""]}, "tags must be non-empty strings, got ''"),
    ],
)
def test_partner_bad_numbers_refused(changes: dict[str, Any], message: str) -> None:
    assert message in _refusal(al.Partner, **changes)


def test_touchpoint_needs_partner_or_coupon() -> None:
    text = _refusal(al.Touchpoint, partner_id=None, coupon_code=None, kind="click")
    assert "a touchpoint needs a partner_id or a coupon_code" in text
    assert "a coupon touchpoint needs its coupon_code" in _refusal(al.Touchpoint, coupon_code=None)
    coupon_only = al.Touchpoint(visitor_id="v", ts=TS, kind="coupon", coupon_code="X")
    assert coupon_only.partner_id is None


def test_reversal_zero_amount_refused() -> None:
    text = _refusal(al.Reversal, amount="0.00")
    assert "a reversal amount must be positive; omit it to reverse in full" in text
    assert al.Reversal(reversal_id="r", order_id="o", ts=TS).amount is None


def test_order_tax_and_shipping_within_amount() -> None:
    text = _refusal(al.Order, amount="10.00", tax="6.00", shipping="5.00", discount=None)
    assert "tax + shipping (11.00) exceed the order amount (10.00)" in text
    exact = al.Order.model_validate(
        {
            "order_id": "o",
            "ts": TS,
            "amount": "11.00",
            "currency": "USD",
            "tax": "6",
            "shipping": "5",
        }
    )
    assert exact.amount == Decimal("11.00")


def test_quantity_at_least_one() -> None:
    assert "greater than or equal to 1" in _refusal(al.OrderLine, quantity=0)


# -- pinned JSON schemas ----------------------------------------------------------------------

SCHEMAS: dict[type[BaseModel], tuple[list[str], list[str]]] = {
    al.Partner: (
        ["partner_id"],
        [
            "partner_id",
            "name",
            "kind",
            "group",
            "parent_id",
            "country",
            "payout_currency",
            "email_hash",
            "payment_fingerprint",
            "audience_size",
            "engagement_rate",
            "categories",
            "coupon_codes",
            "status",
            "joined_at",
        ],
    ),
    al.Click: (
        ["click_id", "ts", "partner_id"],
        [
            "click_id",
            "ts",
            "partner_id",
            "visitor_id",
            "ip",
            "device_id",
            "user_agent",
            "country",
            "sub_id",
        ],
    ),
    al.Order: (
        ["order_id", "ts", "amount", "currency"],
        [
            "order_id",
            "ts",
            "amount",
            "currency",
            "visitor_id",
            "customer_id",
            "partner_id",
            "coupon_code",
            "is_new_customer",
            "country",
            "ip",
            "device_id",
            "payment_fingerprint",
            "email_hash",
            "subscription_id",
            "tax",
            "shipping",
            "discount",
        ],
    ),
    al.OrderLine: (
        ["order_id", "line_id", "amount"],
        ["order_id", "line_id", "sku", "category", "amount", "quantity", "currency"],
    ),
    al.Reversal: (
        ["reversal_id", "order_id", "ts"],
        ["reversal_id", "order_id", "line_id", "ts", "amount", "currency", "kind", "reason"],
    ),
    al.Touchpoint: (
        ["visitor_id", "ts"],
        ["visitor_id", "ts", "partner_id", "kind", "coupon_code"],
    ),
}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_json_schema_pinned(model: type[BaseModel]) -> None:
    schema = model.model_json_schema()
    required, properties = SCHEMAS[model]
    assert schema["required"] == required
    assert list(schema["properties"]) == properties
    assert schema["additionalProperties"] is False


def test_amount_serialises_as_a_string() -> None:
    schema = al.Order.model_json_schema(mode="serialization")
    assert schema["properties"]["amount"]["type"] == "string"
    order = al.Order.model_validate(
        {"order_id": "o", "ts": TS, "amount": "12.50", "currency": "USD"}
    )
    assert order.model_dump(mode="json")["amount"] == "12.50"
    assert order.model_dump()["amount"] == Decimal("12.50")


def test_amount_validation_schema_admits_text_and_whole_numbers_only() -> None:
    amount = al.Order.model_json_schema()["properties"]["amount"]
    assert [option["type"] for option in amount["anyOf"]] == ["string", "integer"]
    pattern = re.compile(amount["anyOf"][0]["pattern"])
    assert [bool(pattern.match(text)) for text in ("12.34", "-3", ".5", "1.2.3", "12,34")] == [
        True,
        True,
        True,
        False,
        False,
    ]
