"""The demo's KPI section: the top partners by commission, each figure from the raw tables."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from alliance import _demo as demo
from alliance import _demo_kpi as demo_kpi
from alliance import cli
from alliance.datasets import Program, synthetic_program


@pytest.fixture(scope="module")
def program() -> Program:
    return synthetic_program(seed=3, partners=40, clicks=12_000, days=60)


def test_the_kpi_section_follows_commission() -> None:
    sections = cli.DEMO_SECTIONS
    assert sections[sections.index(demo.commission_section) + 1] is demo_kpi.kpi_section


def test_top_partners_by_commission_with_figures_from_the_raw_tables(program: Program) -> None:
    context = cli.DemoContext(program, program.summary())
    block = demo_kpi.kpi_section(context)
    commissions, _ = demo.priced(context)
    assert block.headers[0] == "Partner"
    assert 0 < len(block.rows) <= demo_kpi.TOP
    clicks = program.clicks["partner_id"]
    orders = program.orders["partner_id"]
    paid: dict[str, int] = {}
    for partner, minor in zip(commissions["partner_id"], commissions["commission"], strict=True):
        paid[partner] = paid.get(partner, 0) + int(minor)
    shown = []
    for row in block.rows:
        partner = row[0]
        n_clicks = int((clicks == partner).sum())
        n_orders = int((orders == partner).sum())
        assert n_clicks >= 100  # small samples are not ranked
        assert n_orders >= 10
        assert row[1] == f"{n_orders:,}"
        assert row[2] == f"{n_orders / n_clicks:.2%}"
        assert Decimal(row[7].replace(",", "")) == Decimal(paid[partner]) / 100
        shown.append(paid[partner])
    assert shown == sorted(shown, reverse=True)  # best first
    # No partner with enough data and more commission was left out.
    enough = [
        p
        for p in set(orders.tolist()) - {None}
        if int((clicks == p).sum()) >= 100 and int((orders == p).sum()) >= 10
    ]
    best = sorted((paid.get(p, 0) for p in enough), reverse=True)[: len(block.rows)]
    assert shown == best
    assert "are not ranked" in block.note
    assert np.isclose(
        float(block.rows[0][3]),
        paid[block.rows[0][0]] / 100 / int((clicks == block.rows[0][0]).sum()),
        atol=5e-4,
    )
