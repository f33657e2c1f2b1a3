"""Commission rules as data: builders, validation, exact rates and JSON round trips."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from alliance import Money
from alliance import commission as cm
from alliance.errors import ContractError, FloatNotAllowed

RULE: TypeAdapter[Any] = TypeAdapter(cm.Rule)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def singles_day() -> cm.Window:
    return cm.Window(
        start=datetime(2026, 11, 11, tzinfo=UTC), end=datetime(2026, 11, 12, tzinfo=UTC)
    )


def cause(error: ValidationError) -> Any:
    """The exception a validator raised inside pydantic's wrapper."""
    return error.errors()[0].get("ctx", {}).get("error")


# -- builders make the right models ---------------------------------------------------------------


def test_percent_builder() -> None:
    rule = cm.percent("8%")
    assert isinstance(rule, cm.Percent)
    assert rule.kind == "percent"
    assert rule.rate == Decimal("0.08")


def test_flat_builder_per_order_line_and_unit() -> None:
    assert cm.flat("2.50", "USD") == cm.Flat(amount=usd("2.50"), per="order")
    assert cm.flat("1", "USD", per="line").per == "line"
    by_unit = cm.flat(usd("0.50"), per="unit")
    assert by_unit == cm.Flat(amount=usd("0.50"), per="unit")
    assert by_unit.kind == "flat"


def test_flat_needs_a_currency_that_agrees() -> None:
    with pytest.raises(ContractError, match=r"flat needs a currency, e.g. flat\('2.50', 'USD'\)"):
        cm.flat("2.50")
    with pytest.raises(ContractError, match="flat: amount is USD, currency says EUR"):
        cm.flat(usd("2.50"), "EUR")


def test_per_lead_and_per_click_builders() -> None:
    assert cm.per_lead("3.00", "USD") == cm.PerLead(amount=usd("3.00"))
    assert cm.per_click("0.10", "USD") == cm.PerClick(amount=usd("0.10"))
    assert cm.per_lead("3", "USD").kind == "per_lead"
    assert cm.per_click("1", "USD").kind == "per_click"
    with pytest.raises(ContractError, match="per_lead needs a currency"):
        cm.per_lead("3.00")


def test_tiered_builder_turns_rates_into_percent_tiers() -> None:
    rule = cm.tiered(tiers=[("0", "5%"), ("10000", "7%"), ("50000", "10%")])
    assert isinstance(rule, cm.Tiered)
    assert (rule.basis, rule.period, rule.mode, rule.scope) == (
        "revenue",
        "month",
        "marginal",
        "partner",
    )
    assert [t.threshold for t in rule.tiers] == [Decimal(0), Decimal(10000), Decimal(50000)]
    assert [t.rule for t in rule.tiers] == [
        cm.percent("0.05"),
        cm.percent("0.07"),
        cm.percent("0.10"),
    ]


def test_tiered_builder_options_and_rule_tiers() -> None:
    rule = cm.tiered(
        basis="orders",
        period="week",
        mode="whole",
        scope="partner+category",
        tiers=[(0, cm.flat("1", "USD")), (10, cm.flat("2", "USD"))],
    )
    assert (rule.basis, rule.period, rule.mode, rule.scope) == (
        "orders",
        "week",
        "whole",
        "partner+category",
    )
    assert rule.tiers[1] == cm.Tier(threshold=Decimal(10), rule=cm.flat("2", "USD"))


def test_case_and_when_builders() -> None:
    branch = cm.case("10%", category="beauty", label="beauty push")
    assert branch == cm.Branch(
        condition=cm.Condition(category=("beauty",), label="beauty push"),
        rule=cm.percent("10%"),
    )
    rule = cm.when(branch, cm.case(cm.flat("1", "USD"), sku=["A", "B"]), otherwise="5%")
    assert isinstance(rule, cm.When)
    assert [b.condition.category for b in rule.branches] == [("beauty",), None]
    assert rule.branches[1].condition.sku == ("A", "B")
    assert rule.otherwise == cm.percent("5%")


def test_when_with_an_inline_condition_appends_it_after_the_cases() -> None:
    rule = cm.when(cm.case("12%", country="CN"), coupon=True, then="3%")
    assert [b.condition for b in rule.branches] == [
        cm.Condition(country=("CN",)),
        cm.Condition(coupon=True),
    ]
    assert rule.otherwise is None


def test_add_cap_floor_multiplier_builders() -> None:
    assert cm.add("5%", cm.flat("1", "USD")) == cm.Add(
        rules=(cm.percent("5%"), cm.flat("1", "USD"))
    )
    capped = cm.cap("10%", per_line=usd("5"), per_order=usd("6"), per_period=usd("100"))
    assert capped == cm.Cap(
        rule=cm.percent("10%"),
        per_line=usd("5"),
        per_order=usd("6"),
        per_period=usd("100"),
        period="month",
    )
    assert cm.cap("1%", per_period=usd("9"), period="quarter").period == "quarter"
    assert cm.floor("1%", usd("1.50")) == cm.Floor(rule=cm.percent("1%"), minimum=usd("1.50"))
    scaled = cm.multiplier("5%", by_group={"gold": "1.5", "silver": 1})
    assert scaled.by_group == {"gold": Decimal("1.5"), "silver": Decimal(1)}
    assert scaled.rule == cm.percent("5%")


def test_recurring_bonus_guarantee_override_builders() -> None:
    assert cm.recurring("20%", months=12) == cm.Recurring(rule=cm.percent("20%"), months=12)
    assert cm.recurring("20%", payments=3).payments == 3
    by_amount = cm.bonus("600", amount=usd("50"))
    assert by_amount == cm.Bonus(threshold=Decimal(600), amount=usd("50"))
    assert (by_amount.basis, by_amount.period, by_amount.rate) == ("revenue", "month", None)
    by_rate = cm.bonus(10, rate="1%", basis="orders", period="quarter")
    assert (by_rate.rate, by_rate.basis, by_rate.period) == (Decimal("0.01"), "orders", "quarter")
    assert cm.guarantee("5%", usd("20")) == cm.Guarantee(
        rule=cm.percent("5%"), minimum=usd("20"), period="month"
    )
    assert cm.override("10%").rates == (Decimal("0.1"),)
    assert cm.override("2%", depth=3).rates == (Decimal("0.02"),) * 3
    assert cm.override(["10%", "5%"], depth=2).rates == (Decimal("0.1"), Decimal("0.05"))


def test_rule_models_are_frozen_and_strict() -> None:
    rule = cm.percent("8%")
    with pytest.raises(ValidationError, match="frozen"):
        rule.rate = Decimal("0.09")  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        cm.Percent(rate="8%", extra=1)  # type: ignore[call-arg]


# -- exact rates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", ["8%", "8.0 %", "0.08", Decimal("0.08"), Decimal("0.0800")])
def test_rates_written_any_exact_way_are_equal(rate: Any) -> None:
    assert cm.percent(rate) == cm.percent("0.08")
    assert cm.percent(rate).rate == Decimal("0.08")


def test_integer_rates_and_tiny_percentages() -> None:
    assert cm.percent(1).rate == Decimal(1)
    assert cm.percent("0%").rate == Decimal(0)
    # 0.125% = 0.00125, kept exactly.
    assert cm.percent("0.125%").rate == Decimal("0.00125")


def test_float_rates_are_refused() -> None:
    with pytest.raises(ValidationError, match="is a float") as raised:
        cm.percent(0.08)  # type: ignore[arg-type]
    assert isinstance(cause(raised.value), FloatNotAllowed)
    with pytest.raises(ValidationError) as raised:
        cm.multiplier("5%", by_group={"gold": 1.5})
    assert isinstance(cause(raised.value), FloatNotAllowed)
    with pytest.raises(ValidationError) as raised:
        cm.tiered(tiers=[(0, "5%"), (10.5, "6%")])
    assert isinstance(cause(raised.value), FloatNotAllowed)


def test_float_amounts_are_refused() -> None:
    with pytest.raises(FloatNotAllowed, match=r"amount 2\.5 is a float"):
        cm.flat(2.5, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", ["-1%", "-0.01", Decimal("-0.5")])
def test_negative_rates_are_refused(rate: Any) -> None:
    with pytest.raises(ValidationError, match="a rate cannot be negative"):
        cm.percent(rate)


def test_rates_that_are_not_numbers_are_refused() -> None:
    with pytest.raises(ValidationError, match="rate 'abc' is not a decimal number"):
        cm.percent("abc")
    with pytest.raises(ValidationError, match="a rate cannot be negative"):
        cm.bonus("10", rate="-2%")


# -- tier validation ------------------------------------------------------------------------------


def test_first_tier_starts_at_zero() -> None:
    with pytest.raises(ValidationError, match="the first tier must start at 0, got 10"):
        cm.tiered(tiers=[("10", "5%")])


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([("0", "5%"), ("10", "6%"), ("10", "7%")], "must increase strictly, got 10 then 10"),
        ([("0", "5%"), ("10", "6%"), ("5", "7%")], "must increase strictly, got 10 then 5"),
    ],
)
def test_thresholds_increase_strictly(tiers: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        cm.tiered(tiers=tiers)


def test_tiers_need_at_least_one_step_and_no_negative_threshold() -> None:
    with pytest.raises(ValidationError, match="a tiered rule needs at least one tier"):
        cm.tiered(tiers=[])
    with pytest.raises(ValidationError, match="a threshold cannot be negative"):
        cm.tiered(tiers=[("0", "5%"), ("-1", "6%")])


def test_marginal_tiers_must_be_percent_rules() -> None:
    with pytest.raises(ValidationError, match="each tier must be a percent rule, got 'flat'"):
        cm.tiered(tiers=[("0", "5%"), ("10", cm.flat("1", "USD"))])
    # Whole-volume and forward tiers may pay anything.
    for mode in ("whole", "forward"):
        rule = cm.tiered(mode=mode, tiers=[("0", "5%"), ("10", cm.flat("1", "USD"))])
        assert rule.tiers[1].rule.kind == "flat"


@pytest.mark.parametrize("basis", ["orders", "units"])
def test_orders_and_units_thresholds_are_whole_numbers(basis: Any) -> None:
    with pytest.raises(ValidationError, match=f"{basis} thresholds count whole {basis}, got 2.5"):
        cm.tiered(basis=basis, tiers=[("0", "5%"), ("2.5", "6%")])
    # 2.0 is a whole number; revenue thresholds may have cents.
    assert cm.tiered(basis=basis, tiers=[("0", "5%"), ("2.0", "6%")]).tiers[1].threshold == 2
    assert cm.tiered(tiers=[("0", "5%"), ("99.99", "6%")]).tiers[1].threshold == Decimal("99.99")


# -- conditions and choosing ----------------------------------------------------------------------


def test_when_with_an_inline_condition_needs_then() -> None:
    with pytest.raises(ContractError, match=r"when\(\) with an inline condition needs then="):
        cm.when(category="beauty")
    with pytest.raises(ContractError, match="needs then="):
        cm.when(cm.case("5%", sku="A"), new_customer=True, otherwise="1%")


def test_when_needs_a_branch_and_a_then_needs_a_condition() -> None:
    with pytest.raises(ValidationError, match=r"when\(\) needs at least one branch"):
        cm.when(otherwise="5%")
    with pytest.raises(ValidationError, match="a condition needs at least one field to match"):
        cm.when(then="5%")


def test_condition_needs_a_field_a_label_is_not_one() -> None:
    with pytest.raises(ValidationError, match="a condition needs at least one field to match"):
        cm.Condition()
    with pytest.raises(ValidationError, match="a condition needs at least one field to match"):
        cm.Condition(label="anything")


def test_condition_turns_one_text_into_a_set_of_one() -> None:
    condition = cm.Condition(category="beauty", coupon="KOL10", attributes={"device": "mobile"})
    assert condition.category == ("beauty",)
    assert condition.coupon == ("KOL10",)
    assert condition.attributes == {"device": ("mobile",)}
    # A coupon code that looks like a boolean stays a code.
    assert cm.Condition(coupon="1").coupon == ("1",)
    assert cm.Condition(coupon="true").coupon == ("true",)


@pytest.mark.parametrize(
    ("condition", "text"),
    [
        (cm.Condition(category="beauty"), "category in {beauty}"),
        (cm.Condition(category=["beauty", "food"]), "category in {beauty, food}"),
        (cm.Condition(sku="A1", country="CN"), "sku in {A1} and country in {CN}"),
        (cm.Condition(device="mobile"), "device in {mobile}"),
        (cm.Condition(group="gold"), "group in {gold}"),
        (cm.Condition(coupon=True), "any coupon"),
        (cm.Condition(coupon=False), "no coupon"),
        (cm.Condition(coupon=["KOL10", "KOL20"]), "coupon in {KOL10, KOL20}"),
        (cm.Condition(new_customer=True), "new customer"),
        (cm.Condition(new_customer=False), "returning customer"),
        (
            cm.Condition(during=(singles_day(),)),
            "during 2026-11-11T00:00:00+00:00..2026-11-12T00:00:00+00:00",
        ),
        (cm.Condition(attributes={"channel": ["app", "web"]}), "channel in {app, web}"),
        (
            cm.Condition(category="beauty", coupon=True, new_customer=True),
            "category in {beauty} and any coupon and new customer",
        ),
        (cm.Condition(category="beauty", label="beauty push"), "beauty push"),
    ],
)
def test_condition_describe(condition: cm.Condition, text: str) -> None:
    assert condition.describe() == text


def test_window_is_half_open_and_ordered() -> None:
    start = datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(ValidationError, match="is not after its start"):
        cm.Window(start=start, end=start)
    with pytest.raises(ValidationError, match="Input should have timezone info"):
        cm.Window(start=datetime(2026, 1, 2), end=datetime(2026, 1, 3))


# -- bounding, limits, payouts --------------------------------------------------------------------


def test_cap_needs_a_limit_that_is_not_negative() -> None:
    with pytest.raises(ValidationError, match=r"cap\(\) needs per_line, per_order or per_period"):
        cm.cap("5%")
    with pytest.raises(ValidationError, match="a cap cannot be negative, got -1 USD"):
        cm.cap("5%", per_order=usd("-1"))


def test_add_needs_two_rules() -> None:
    with pytest.raises(ValidationError, match=r"add\(\) needs at least two rules"):
        cm.add("5%")


@pytest.mark.parametrize("limits", [{}, {"months": 12, "payments": 3}], ids=["neither", "both"])
def test_recurring_needs_exactly_one_limit(limits: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="takes exactly one of months= or payments="):
        cm.recurring("20%", **limits)


def test_recurring_limits_are_positive() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        cm.recurring("20%", months=0)
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        cm.recurring("20%", payments=-1)


def test_bonus_needs_exactly_one_of_amount_and_rate() -> None:
    with pytest.raises(ValidationError, match="takes exactly one of amount= or rate="):
        cm.bonus("10")
    with pytest.raises(ValidationError, match="takes exactly one of amount= or rate="):
        cm.bonus("10", amount=usd("5"), rate="1%")


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_override_depth_one_to_five(depth: int) -> None:
    assert len(cm.override("1%", depth=depth).rates) == depth


@pytest.mark.parametrize(("depth", "levels"), [(0, 0), (6, 6)])
def test_override_depth_outside_one_to_five_is_refused(depth: int, levels: int) -> None:
    with pytest.raises(
        ValidationError, match=f"override depth must be 1 to 5 levels, got {levels}"
    ):
        cm.override("1%", depth=depth)


def test_override_rates_per_level_must_match_the_depth() -> None:
    with pytest.raises(ContractError, match="override: 2 rates for depth 3"):
        cm.override(["10%", "5%"], depth=3)
    assert cm.override(("3%", "2%", "1%"), depth=3).rates == (
        Decimal("0.03"),
        Decimal("0.02"),
        Decimal("0.01"),
    )


# -- JSON round trips -----------------------------------------------------------------------------

EVERY_KIND: list[Any] = [
    cm.percent("8%"),
    cm.flat("2.50", "USD", per="unit"),
    cm.per_lead("3.00", "USD"),
    cm.per_click("0.10", "USD"),
    cm.tiered(tiers=[("0", "5%"), ("10000", "7%")], basis="revenue", scope="partner+category"),
    cm.when(
        cm.case("2%", during=(singles_day(),), label="11.11 windfall"),
        cm.case("3%", coupon=True, new_customer=False, attributes={"device": "mobile"}),
        category="beauty",
        then="10%",
        otherwise="5%",
    ),
    cm.add("5%", cm.flat("1.00", "USD")),
    cm.cap("10%", per_line=usd("5"), per_order=usd("6"), per_period=usd("100"), period="week"),
    cm.floor("1%", usd("1.50")),
    cm.multiplier("5%", by_group={"gold": "1.5", "silver": "1.2"}),
    cm.recurring("20%", months=12),
    cm.bonus("600", amount=usd("50.00")),
    cm.guarantee("5%", usd("20.00"), period="quarter"),
    cm.override(["10%", "5%"], depth=2),
]


def test_every_rule_kind_is_listed() -> None:
    assert sorted({rule.kind for rule in EVERY_KIND}) == sorted(
        RULE.json_schema()["discriminator"]["mapping"]
    )


@pytest.mark.parametrize("rule", EVERY_KIND, ids=lambda rule: str(rule.kind))
def test_json_round_trip_of_every_rule_kind(rule: Any) -> None:
    text = RULE.dump_json(rule)
    back = RULE.validate_json(text)
    assert back == rule
    assert type(back) is type(rule)
    # Plain data round trips too, and stays JSON-friendly: rates and money as strings.
    assert RULE.validate_python(RULE.dump_python(rule, mode="json")) == rule


def test_rates_and_thresholds_dump_as_exact_strings() -> None:
    assert RULE.dump_python(cm.percent("7.5%"), mode="json") == {
        "kind": "percent",
        "rate": "0.075",
    }
    tiers = RULE.dump_python(cm.tiered(tiers=[("0", "5%"), ("10000", "7%")]), mode="json")
    assert [t["threshold"] for t in tiers["tiers"]] == ["0", "10000"]


def test_json_round_trip_of_a_nested_plan() -> None:
    plan = cm.add(
        cm.guarantee(
            cm.cap(
                cm.when(
                    cm.case(
                        cm.tiered(
                            mode="whole",
                            tiers=[("0", "5%"), ("100", cm.add("6%", cm.flat("1", "USD")))],
                        ),
                        category=["beauty", "skin"],
                    ),
                    cm.case(
                        cm.recurring(cm.multiplier("4%", by_group={"gold": "2"}), payments=3),
                        sku="SUB-1",
                    ),
                    otherwise=cm.floor("2%", usd("0.50")),
                ),
                per_period=usd("500"),
            ),
            usd("100"),
        ),
        cm.bonus("1000", rate="1%"),
        cm.override("10%", depth=2),
    )
    text = RULE.dump_json(plan)
    assert RULE.validate_json(text) == plan
    # The tree is plain data: the JSON names every node by its kind.
    for kind in ("guarantee", "cap", "when", "tiered", "recurring", "multiplier", "floor"):
        assert f'"kind":"{kind}"'.encode() in text


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        RULE.validate_python({"kind": "lottery", "rate": "0.5"})
