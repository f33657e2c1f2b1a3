"""The demo's attribution section: last click and Markov credit by partner."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alliance import _demo as demo
from alliance import _demo_attribution as demo_attribution
from alliance import attribution as at
from alliance import cli
from alliance.datasets import Program, synthetic_program


@pytest.fixture(scope="module")
def program() -> Program:
    return synthetic_program(seed=3, partners=40, clicks=6_000, days=60)


def test_attribution_comes_before_commission() -> None:
    sections = cli.DEMO_SECTIONS
    assert sections.index(demo_attribution.attribution_section) < sections.index(
        demo.commission_section
    )


def test_the_section_puts_last_click_and_markov_side_by_side(program: Program) -> None:
    context = cli.DemoContext(program, program.summary())
    block = demo_attribution.attribution_section(context, top=5)
    assert block.headers == (
        "Partner",
        "Last-click orders",
        "Last-click USD",
        "Markov conv.",
        "Markov USD",
        "RE",
    )
    assert len(block.rows) == 5

    # The same figures, computed here from the public functions.
    credited = at.attribute(
        program.touchpoints,
        program.orders,
        window=timedelta(days=30),
        coupons="click_first",
        partners=program.partners,
    )
    assert context.results["attribution"] == credited
    # Every order is credited (last click gives one partner all of it) or unattributed.
    assert len(credited.credits) + len(credited.unattributed) == len(program.orders)
    assert set(credited.credits["weight"].tolist()) == {1.0}
    wins: dict[str, int] = {}
    for partner in credited.credits["partner_id"].tolist():
        wins[partner] = wins.get(partner, 0) + 1
    paths = at.Paths.from_touchpoints(
        program.touchpoints, program.orders, currency="USD", fx=program.fx
    )
    chain = at.markov(paths.aggregate())
    assert chain.conversion_probability == pytest.approx(
        len(credited.credits) / len(paths), abs=1e-12
    )
    conversions = chain.to_dict("conversions")
    for partner, orders, _, markov_conversions, _, effect in block.rows:
        assert orders == f"{wins[partner]:,}"
        assert markov_conversions == f"{conversions[partner]:,.1f}"
        assert effect == f"{chain.removal_effects[partner]:.2%}"
    assert f"Last click: {len(program.orders):,} orders" in block.note


def test_no_orders_credits_nobody() -> None:
    empty = synthetic_program(seed=1, partners=5, clicks=0, days=30)
    block = demo_attribution.attribution_section(cli.DemoContext(empty, empty.summary()))
    assert block.rows == ()
    assert "Last click: 0 orders" in block.note
    assert "Markov: no conversion among 0 journeys, so no chain" in block.note
