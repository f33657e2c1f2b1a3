"""Contracts and the contract book: validation, precedence, versions, schema, YAML."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

import alliance as al
from alliance import commission as cm
from alliance.errors import ContractError, TimezoneError

SHANGHAI = timezone(timedelta(hours=8))
JAN = datetime(2026, 1, 1, tzinfo=UTC)
JUL = datetime(2026, 7, 1, tzinfo=UTC)


def usd(amount: str) -> al.Money:
    return al.Money(amount, "USD")


def contract(
    contract_id: str = "std",
    version: int = 1,
    applies_to: Any = None,
    *,
    start: datetime = JAN,
    end: datetime | None = None,
    plan: Any = None,
    **options: Any,
) -> cm.Contract:
    return cm.Contract(
        id=contract_id,
        version=version,
        applies_to=applies_to if applies_to is not None else cm.default(),
        currency=options.pop("currency", "USD"),
        timezone=options.pop("timezone", "UTC"),
        plan=plan if plan is not None else cm.percent("5%"),
        effective_from=start,
        effective_to=end,
        **options,
    )


def errors_of(json_text: str) -> ContractError:
    with pytest.raises(ContractError) as raised:
        cm.ContractBook.model_validate_json(json_text)
    return raised.value


def book_json(*contracts: cm.Contract) -> str:
    return json.dumps({"contracts": [c.model_dump(mode="json") for c in contracts]})


# -- one contract ---------------------------------------------------------------------------------


def test_a_contract_with_defaults() -> None:
    terms = contract()
    assert terms.label == "std v1"
    assert (terms.hold_days, terms.cookie_days, terms.rounding) == (30, 30, "half_even")
    assert (terms.rate_lock, terms.period, terms.effective_to) == ("order", "month", None)
    assert terms.base == cm.BasePolicy(tax="exclude", shipping="exclude", discount="exclude")


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValidationError, match="'Mars/Olympus' is not a known IANA time zone"):
        contract(timezone="Mars/Olympus")


@pytest.mark.parametrize("end", [JAN, JAN - timedelta(days=1)], ids=["equal", "before"])
def test_effective_to_must_be_after_effective_from(end: datetime) -> None:
    with pytest.raises(
        ValidationError,
        match=re.escape(
            f"effective_to {end.isoformat()} is not after effective_from 2026-01-01T00:00:00+00:00"
        ),
    ):
        contract(end=end)


def test_naive_dates_are_refused() -> None:
    with pytest.raises(ValidationError, match="Input should have timezone info"):
        contract(start=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "plan",
    [
        cm.flat("1.00", "EUR"),
        cm.when(category="beauty", then=cm.flat("1.00", "EUR"), otherwise="5%"),
        cm.cap("5%", per_period=al.Money("1.00", "EUR")),
        cm.floor("1%", al.Money("1.00", "EUR")),
        cm.guarantee("5%", al.Money("1.00", "EUR")),
        cm.add("5%", cm.bonus("100", amount=al.Money("1.00", "EUR"))),
    ],
    ids=["flat", "nested-when", "cap", "floor", "guarantee", "bonus"],
)
def test_plan_amounts_must_be_in_the_contract_currency(plan: Any) -> None:
    with pytest.raises(
        ValidationError, match=r"plan amount 1\.00 EUR is not in the contract currency USD"
    ):
        contract(plan=plan)


def test_minimum_payout_must_be_in_the_contract_currency() -> None:
    with pytest.raises(
        ValidationError, match=r"minimum_payout 50\.00 EUR is not in the contract currency USD"
    ):
        contract(minimum_payout=al.Money("50.00", "EUR"))
    assert contract(minimum_payout=usd("50.00")).minimum_payout == usd("50.00")


def test_other_contract_fields_are_checked() -> None:
    with pytest.raises(ValidationError, match="unknown currency 'XXY'"):
        contract(currency="XXY")
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        contract(version=0)
    with pytest.raises(ValidationError, match="day, week, month, quarter or year"):
        contract(period="custom")
    with pytest.raises(ValidationError, match="Input should be 'half_even'"):
        contract(rounding="bankers")
    with pytest.raises(ValidationError, match="String should have at least 1 character"):
        contract("")


def test_overrides_and_per_click_belong_at_the_top_of_the_plan() -> None:
    with pytest.raises(ValidationError, match="override pays outside the order's lines"):
        contract(plan=cm.when(category="x", then=cm.override("5%"), otherwise="5%"))
    with pytest.raises(ValidationError, match="per_click pays outside the order's lines"):
        contract(plan=cm.cap(cm.per_click("0.10", "USD"), per_order=usd("1")))
    top = contract(plan=cm.add("5%", cm.override("5%"), cm.per_click("0.10", "USD")))
    assert isinstance(top.plan, cm.Add)
    assert [rule.kind for rule in top.plan.rules] == ["percent", "override", "per_click"]


def test_in_force_is_half_open() -> None:
    terms = contract(start=JAN, end=JUL)
    assert terms.in_force(JAN)
    assert terms.in_force(JUL - timedelta(microseconds=1))
    assert not terms.in_force(JUL)
    assert not terms.in_force(JAN - timedelta(microseconds=1))
    with pytest.raises(TimezoneError, match="is naive"):
        terms.in_force(datetime(2026, 3, 1))


# -- the book refuses conflicts -------------------------------------------------------------------


def test_overlapping_versions_are_refused_naming_both() -> None:
    v1 = contract(version=1, end=datetime(2026, 7, 1, tzinfo=UTC))
    v2 = contract(version=2, start=datetime(2026, 6, 1, tzinfo=UTC))
    message = "versions std v1 and std v2 overlap: both are in force at 2026-06-01T00:00:00+00:00"
    with pytest.raises(ContractError) as raised:
        cm.ContractBook([v1, v2])
    assert str(raised.value) == message
    assert str(errors_of(book_json(v1, v2))) == message
    with pytest.raises(ContractError, match=re.escape(message)):
        cm.ContractBook.model_validate(json.loads(book_json(v2, v1)))


def test_an_open_ended_version_overlaps_every_later_one() -> None:
    with pytest.raises(ContractError, match="versions std v1 and std v2 overlap"):
        cm.ContractBook([contract(version=1), contract(version=2, start=JUL)])


def test_versions_that_touch_do_not_overlap() -> None:
    # Half-open: v1 is in force until JUL exclusive, v2 from JUL inclusive.
    book = cm.ContractBook([contract(version=1, end=JUL), contract(version=2, start=JUL)])
    assert [c.label for c in book.versions("std")] == ["std v1", "std v2"]
    assert len(book) == 2
    assert [c.version for c in book] == [1, 2]


def test_version_numbers_are_unique_and_increase_with_time() -> None:
    with pytest.raises(ContractError, match=r"contract 'std' has version numbers \[1, 1\]"):
        cm.ContractBook([contract(version=1, end=JUL), contract(version=1, start=JUL)])
    with pytest.raises(
        ContractError, match="std v1 takes effect after std v2; later versions need higher numbers"
    ):
        cm.ContractBook([contract(version=2, end=JUL), contract(version=1, start=JUL)])


@pytest.mark.parametrize(
    ("target", "described"),
    [
        (cm.default(), "the programme default"),
        (cm.group("gold"), "group gold"),
        (cm.partner("kol-1"), "partner kol-1"),
    ],
)
def test_two_contracts_for_one_target_at_once_are_ambiguous(target: Any, described: str) -> None:
    first = contract("std", applies_to=target)
    second = contract("promo", applies_to=target, start=datetime(2026, 6, 1, tzinfo=UTC), end=JUL)
    message = (
        f"ambiguous precedence: std v1 and promo v1 both apply to {described} at "
        "2026-06-01T00:00:00+00:00"
    )
    with pytest.raises(ContractError) as raised:
        cm.ContractBook([first, second])
    assert str(raised.value) == message
    assert str(errors_of(book_json(first, second))) == message


def test_contracts_for_different_targets_may_overlap() -> None:
    book = cm.ContractBook(
        [
            contract("std"),
            contract("gold", applies_to=cm.group("gold")),
            contract("kol", applies_to=cm.partner("kol-1")),
            contract("kol2", applies_to=cm.partner("kol-2")),
        ]
    )
    assert len(book) == 4


def test_one_target_may_change_contracts_over_time() -> None:
    book = cm.ContractBook(
        [contract("std", end=JUL), contract("std2026h2", start=JUL)],
    )
    found = book.resolve("p1", at=JUL)
    assert found is not None
    assert found.label == "std2026h2 v1"


def test_a_bad_contract_inside_book_json_is_a_validation_error() -> None:
    data = json.loads(book_json(contract()))
    data["contracts"][0]["timezone"] = "Nowhere/Land"
    with pytest.raises(ValidationError, match="not a known IANA time zone"):
        cm.ContractBook.model_validate_json(json.dumps(data))


# -- resolving the terms in force -----------------------------------------------------------------


def programme() -> cm.ContractBook:
    return cm.ContractBook(
        [
            contract("std", 1, end=JUL, plan=cm.percent("5%")),
            contract("std", 2, start=JUL, plan=cm.percent("6%")),
            contract("gold", 1, cm.group("gold"), plan=cm.percent("8%")),
            contract(
                "kol",
                1,
                cm.partner("kol-1"),
                start=datetime(2026, 3, 1, tzinfo=UTC),
                end=datetime(2026, 5, 1, tzinfo=UTC),
                plan=cm.percent("12%"),
            ),
        ]
    )


@pytest.mark.parametrize(
    ("partner_id", "group", "at", "expected"),
    [
        # partner > group > default while the partner contract is in force
        ("kol-1", "gold", datetime(2026, 4, 1, tzinfo=UTC), "kol v1"),
        ("kol-1", None, datetime(2026, 4, 1, tzinfo=UTC), "kol v1"),
        # at its effective_to the partner contract no longer applies: the group's does
        ("kol-1", "gold", datetime(2026, 5, 1, tzinfo=UTC), "gold v1"),
        ("kol-1", None, datetime(2026, 5, 1, tzinfo=UTC), "std v1"),
        ("kol-2", "gold", datetime(2026, 4, 1, tzinfo=UTC), "gold v1"),
        ("kol-2", "silver", datetime(2026, 4, 1, tzinfo=UTC), "std v1"),
        # the default's versions: half-open, at JUL the next version applies
        ("p9", None, JUL - timedelta(microseconds=1), "std v1"),
        ("p9", None, JUL, "std v2"),
        ("p9", None, datetime(2030, 1, 1, tzinfo=UTC), "std v2"),
        # the same instant written in another offset
        ("p9", None, datetime(2026, 7, 1, 8, tzinfo=SHANGHAI), "std v2"),
        ("p9", None, datetime(2026, 7, 1, 7, 59, tzinfo=SHANGHAI), "std v1"),
    ],
)
def test_resolve_picks_the_most_specific_version_in_force(
    partner_id: str, group: str | None, at: datetime, expected: str
) -> None:
    found = programme().resolve(partner_id, at=at, group=group)
    assert found is not None
    assert found.label == expected


def test_resolve_before_any_contract_finds_nothing() -> None:
    assert programme().resolve("p9", at=datetime(2025, 12, 31, tzinfo=UTC)) is None
    book = cm.ContractBook([contract("kol", applies_to=cm.partner("kol-1"))])
    assert book.resolve("someone-else", at=JUL) is None


def test_resolve_needs_an_aware_instant() -> None:
    with pytest.raises(TimezoneError, match="is naive"):
        programme().resolve("p9", at=datetime(2026, 7, 1))


def test_versions_of_a_contract_oldest_first() -> None:
    book = programme()
    assert [c.label for c in book.versions("std")] == ["std v1", "std v2"]
    with pytest.raises(KeyError, match="no contract 'nope' in the book"):
        book.versions("nope")


def test_uses_groups() -> None:
    assert programme().uses_groups()
    assert not cm.ContractBook([contract()]).uses_groups()
    by_condition = cm.ContractBook(
        [contract(plan=cm.when(group="gold", then="8%", otherwise="5%"))]
    )
    assert by_condition.uses_groups()
    by_multiplier = cm.ContractBook([contract(plan=cm.multiplier("5%", by_group={"gold": "2"}))])
    assert by_multiplier.uses_groups()


# -- editing terms never re-prices history --------------------------------------------------------


def test_a_new_version_never_reprices_orders_before_it() -> None:
    # Shanghai programme; the rate goes from 5% to 8% at 2026-07-01 00:00 Shanghai time.
    change = datetime(2026, 7, 1, tzinfo=SHANGHAI)
    orders = al.Orders.from_records(
        [
            {
                "order_id": order_id,
                "ts": ts,
                "amount": "100.00",
                "currency": "USD",
                "partner_id": "kol-1",
            }
            for order_id, ts in (
                ("jun", "2026-06-30T23:59:00+08:00"),
                ("jul", "2026-07-01T00:00:00+08:00"),
            )
        ]
    )
    original = cm.ContractBook([contract(timezone="Asia/Shanghai", plan=cm.percent("5%"))])
    edited = cm.ContractBook(
        [
            contract(timezone="Asia/Shanghai", end=change, plan=cm.percent("5%")),
            contract(version=2, timezone="Asia/Shanghai", start=change, plan=cm.percent("8%")),
        ]
    )
    before = cm.compute(orders, original)
    after = cm.compute(orders, edited)
    # Under the original terms both orders earn 5% of 100.00 = 5.00.
    assert before["commission"].tolist() == [500, 500]
    # After the edit June keeps 5.00 under v1; July earns 8% of 100.00 = 8.00 under v2.
    assert after["order_id"].tolist() == ["jun", "jul"]
    assert after["commission"].tolist() == [500, 800]
    assert after["version"].tolist() == [1, 2]
    assert after["period"].tolist() == ["2026-06", "2026-07"]


# -- schema and YAML ------------------------------------------------------------------------------

RULE_KINDS = [
    "add",
    "bonus",
    "cap",
    "flat",
    "floor",
    "guarantee",
    "multiplier",
    "override",
    "per_click",
    "per_lead",
    "percent",
    "recurring",
    "tiered",
    "when",
]


def test_contract_json_schema_is_pinned() -> None:
    schema = cm.Contract.model_json_schema()
    assert schema["required"] == [
        "id",
        "version",
        "applies_to",
        "currency",
        "timezone",
        "plan",
        "effective_from",
    ]
    assert schema["additionalProperties"] is False
    plan = schema["properties"]["plan"]
    assert plan["discriminator"]["propertyName"] == "kind"
    assert sorted(plan["discriminator"]["mapping"]) == RULE_KINDS
    target = schema["properties"]["applies_to"]
    assert sorted(target["discriminator"]["mapping"]) == ["default", "group", "partner"]
    for name in ("Tiered", "When", "Condition", "Window", "BasePolicy"):
        assert name in schema["$defs"]
    assert schema["$defs"]["Tiered"]["required"] == ["tiers"]
    assert schema["$defs"]["Branch"]["required"] == ["condition", "rule"]


def test_contract_book_json_schema_is_pinned() -> None:
    schema = cm.ContractBook.model_json_schema()
    assert schema["required"] == ["contracts"]
    assert schema["properties"]["contracts"]["items"] == {"$ref": "#/$defs/Contract"}
    contract_schema = schema["$defs"]["Contract"]
    assert contract_schema["required"][:3] == ["id", "version", "applies_to"]
    assert sorted(contract_schema["properties"]["plan"]["discriminator"]["mapping"]) == RULE_KINDS


def full_book() -> cm.ContractBook:
    window = cm.Window(
        start=datetime(2026, 11, 11, tzinfo=SHANGHAI), end=datetime(2026, 11, 12, tzinfo=SHANGHAI)
    )
    return cm.ContractBook(
        [
            contract(
                "std",
                1,
                timezone="Asia/Shanghai",
                end=JUL,
                plan=cm.tiered(tiers=[("0", "5%"), ("10000", "7%"), ("50000", "10%")]),
                minimum_payout=usd("50.00"),
                base=cm.BasePolicy(discount="include"),
                rounding="half_up",
                name="Standard",
            ),
            contract(
                "std",
                2,
                timezone="Asia/Shanghai",
                start=JUL,
                plan=cm.add(
                    cm.when(
                        cm.case("2%", during=(window,), label="11.11"),
                        category="beauty",
                        then="10%",
                        otherwise="5%",
                    ),
                    cm.bonus("600", amount=usd("50")),
                ),
            ),
            contract(
                "kol",
                1,
                cm.partner("kol-1"),
                plan=cm.guarantee(cm.cap("12%", per_period=usd("900")), usd("200")),
            ),
        ]
    )


def test_book_json_round_trip() -> None:
    book = full_book()
    assert cm.ContractBook.model_validate_json(book.model_dump_json()) == book


def test_book_yaml_round_trip() -> None:
    book = full_book()
    text = book.to_yaml()
    assert "kind: tiered" in text
    assert "timezone: Asia/Shanghai" in text
    assert cm.ContractBook.from_yaml(text) == book


def test_book_from_yaml_refuses_overlaps_with_contract_error() -> None:
    text = cm.ContractBook([contract(version=1, end=JUL)]).to_yaml()
    overlapping = cm.ContractBook([contract(version=2, start=JUL)]).to_yaml()
    # Glue the second book's contract under the first's list, shifting it to overlap.
    merged = text + overlapping.split("contracts:\n", 1)[1].replace(
        "2026-07-01T00:00:00Z", "2026-06-01T00:00:00Z"
    )
    with pytest.raises(ContractError, match="versions std v1 and std v2 overlap"):
        cm.ContractBook.from_yaml(merged)


def test_plan_amounts_must_be_whole_minor_units() -> None:
    from datetime import UTC, datetime

    from pydantic import ValidationError

    import alliance.commission as cm

    with pytest.raises(ValidationError, match=r"plan amount 0\.125 USD is finer than USD's minor"):
        cm.Contract(
            id="c",
            version=1,
            applies_to=cm.default(),
            currency="USD",
            timezone="UTC",
            plan=cm.flat("0.125", "USD", per="unit"),
            effective_from=datetime(2026, 1, 1, tzinfo=UTC),
        )
