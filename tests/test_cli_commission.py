"""The demo's commission sections: the book they state, and figures that match `compute`."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import alliance as al
from alliance import _demo as demo
from alliance import cli
from alliance import commission as cm
from alliance.datasets import Program, synthetic_program

COMMISSION = "Commission by partner kind"
CLOSE = "Period close, 2026-08"


@pytest.fixture(autouse=True)
def in_a_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo writes its ledger under the current directory: keep it out of the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def program() -> Program:
    # The demo's defaults: `alliance demo` with no options.
    return synthetic_program(seed=0, partners=200, clicks=50_000, days=90)


@pytest.fixture(scope="module")
def book(program: Program) -> cm.ContractBook:
    return stated_book(program)


@pytest.fixture(scope="module")
def table(program: Program, book: cm.ContractBook) -> cm.CommissionTable:
    return cm.compute(program.orders, book, fx=program.fx, partners=program.partners)


def stated_book(program: Program) -> cm.ContractBook:
    """The book as the sections' notes state it, written out independently of the CLI."""
    terms: dict[str, Any] = {
        "version": 1,
        "currency": "USD",
        "timezone": "Asia/Shanghai",
        "effective_from": program.start,
        "hold_days": 14,
        "minimum_payout": al.Money("50", "USD"),
    }
    contracts = [
        cm.Contract(
            id="standard",
            applies_to=cm.default(),
            plan=cm.tiered(mode="marginal", tiers=[("0", "5%"), ("500", "7%")]),
            **terms,
        ),
        cm.Contract(
            id="premium",
            applies_to=cm.group("premium"),
            plan=cm.tiered(mode="whole", tiers=[("0", "6%"), ("1000", "8%"), ("10000", "10%")]),
            **terms,
        ),
    ]
    for record in program.partners.to_records():
        partner_id = record["partner_id"]
        if record["kind"] == "coupon":
            plan: Any = cm.percent("3%")
            contracts.append(
                cm.Contract(
                    id=f"coupon-{partner_id}", applies_to=cm.partner(partner_id), plan=plan, **terms
                )
            )
        elif record["group"] == "kol-head":
            plan = cm.guarantee(cm.percent("10%"), al.Money("1500", "USD"))
            contracts.append(
                cm.Contract(
                    id=f"kol-head-{partner_id}",
                    applies_to=cm.partner(partner_id),
                    plan=plan,
                    **terms,
                )
            )
    return cm.ContractBook(contracts)


def hide_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "rich" or m.startswith("rich.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("rich", "rich.console", "rich.table"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError


def rows_under(output: str, title: str) -> Iterator[list[str]]:
    """The cells of each line after the heading `title` up to the next blank line after it."""
    lines = output.split(title, 1)[1].splitlines()[1:]
    for line in lines:
        if not line.strip():
            return
        yield [c for c in re.split(r"\s{2,}", line.replace("│", "  ").strip()) if c]


def row_of(output: str, title: str, first_cell: str) -> list[str]:
    for cells in rows_under(output, title):
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} under {title!r} in:\n{output}")


def usd(minor: int) -> str:
    return f"{al.Money.from_minor(minor, 'USD').amount:,} USD"


def expected_by_kind(program: Program, table: cm.CommissionTable) -> dict[str, list[str]]:
    """Each kind's row, from the commission table and the partners table directly."""
    kinds = dict(zip(program.partners["partner_id"], program.partners["kind"], strict=True))
    row_kind = np.array([kinds[p] for p in table["partner_id"]], dtype=object)
    rows = {}
    for kind in ("kol", "content", "coupon", "cashback", "agency", "brand"):
        mine = row_kind == kind
        base, commission = int(table["base"][mine].sum()), int(table["commission"][mine].sum())
        rows[kind] = [
            kind,
            str(len(set(table["partner_id"][mine]))),
            f"{len(set(table['order_id'][mine])):,}",
            usd(base),
            usd(commission),
            f"{commission / base if base else 0.0:.2%}",
        ]
    return rows


def check_commission_output(output: str, program: Program, table: cm.CommissionTable) -> None:
    for kind, row in expected_by_kind(program, table).items():
        assert row_of(output, COMMISSION, kind) == row
    (total,) = table.total().values()
    footer = row_of(output, COMMISSION, "total")
    assert footer[2] == f"{len(program.orders):,}"  # every order is credited and priced
    assert footer[3] == usd(int(table["base"].sum()))
    assert footer[4] == f"{total.amount:,} USD"
    # The same total, order by order in US dollars, without the table's helpers.
    assert Decimal(footer[4].split()[0].replace(",", "")) == sum(
        (r["commission"].amount for r in table.to_records()), Decimal(0)
    )


def check_close_output(output: str, adjustments: list[cm.Adjustment]) -> None:
    assert adjustments, "the demo month should owe something"
    for adjustment in adjustments:
        cells = row_of(output, CLOSE, adjustment.partner_id)
        assert cells[2:] == [adjustment.contract_id, adjustment.kind, usd(adjustment.amount.minor)]
    total = sum(a.amount.minor for a in adjustments)
    assert row_of(output, CLOSE, "total") == ["total", usd(total)]


def test_the_demo_book_is_the_stated_one(program: Program, book: cm.ContractBook) -> None:
    assert demo.commission_book(program) == book
    ids = [c.id for c in book]
    kinds = program.partners["kind"]
    assert ids.count("standard") == ids.count("premium") == 1
    assert sum(i.startswith("coupon-") for i in ids) == int((kinds == "coupon").sum())
    assert [i for i in ids if i.startswith("kol-head-")] == ["kol-head-P0015"]


@pytest.mark.parametrize("plain", [False, True], ids=["rich", "plain"])
def test_demo_prints_commission_by_kind_and_the_close(
    plain: bool,
    program: Program,
    book: cm.ContractBook,
    table: cm.CommissionTable,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if plain:
        hide_rich(monkeypatch)
    assert cli.main(["demo"]) == 0
    output = capsys.readouterr().out
    assert ("┃" in output) is not plain
    assert output.index(COMMISSION) > output.index("Exchange rates")
    assert output.index(CLOSE) > output.index(COMMISSION)
    check_commission_output(output, program, table)
    august = al.Period.month(2026, 8, tz="Asia/Shanghai")
    check_close_output(output, cm.close_period(table, book, august, reversals=program.reversals))


def test_close_owes_the_head_kol_minimum_and_premium_true_ups(
    program: Program, book: cm.ContractBook, table: cm.CommissionTable
) -> None:
    august = al.Period.month(2026, 8, tz="Asia/Shanghai")
    adjustments = cm.close_period(table, book, august, reversals=program.reversals)
    kinds = {a.kind for a in adjustments}
    assert kinds == {"guarantee", "true_up"}
    # The one head KOL sells nothing in August: the whole minimum is owed.
    (guarantee,) = [a for a in adjustments if a.kind == "guarantee"]
    assert (guarantee.partner_id, guarantee.amount) == ("P0015", al.Money("1500.00", "USD"))
    assert not (table["partner_id"] == "P0015").any()
    assert all(a.contract_id == "premium" for a in adjustments if a.kind == "true_up")


def test_a_true_up_by_hand(
    program: Program, book: cm.ContractBook, table: cm.CommissionTable
) -> None:
    """Whole-volume tiers: every August line of a premium partner at the month's final tier."""
    august = al.Period.month(2026, 8, tz="Asia/Shanghai")
    adjustments = cm.close_period(table, book, august)
    (true_up,) = [a for a in adjustments if a.partner_id == "P0121"]
    mine = (
        (table["partner_id"] == "P0121")
        & (table["ts"] >= august.start_us)
        & (table["ts"] < august.end_us)
    )
    assert set(table["contract_id"][mine]) == {"premium"}
    base = table["base"][mine]  # cents; orders without lines are one line each
    volume = int(base.sum())
    assert volume >= 1_000_000  # past 10,000.00 USD: the 10% tier
    due = sum(
        int((Decimal(int(b)) * Decimal("0.10")).quantize(Decimal(1), "ROUND_HALF_EVEN"))
        for b in base
    )
    paid = int(table["commission"][mine].sum())
    assert true_up.amount == al.Money.from_minor(due - paid, "USD")
    assert due > paid  # the month's early orders were paid at 6% and 8%


def test_batch_and_one_order_at_a_time_agree_under_the_demo_book() -> None:
    small = synthetic_program(seed=0, partners=200, clicks=2_000)
    book = demo.commission_book(small)
    batch = cm.compute(small.orders, book, fx=small.fx, partners=small.partners)
    state = None
    by_order: dict[str, al.Money] = {}
    orders = small.orders.to_models()
    for order in sorted(orders, key=lambda o: (o.ts, o.order_id)):
        result = cm.evaluate(order, book, state, fx=small.fx, partners=small.partners)
        state = result.state
        assert result.amount is not None
        by_order[order.order_id] = result.amount
    for record in batch.to_records():
        assert by_order[record["order_id"]] == record["commission"]
    assert state == batch.state


def test_closing_month_is_the_last_whole_month_or_the_first() -> None:
    assert demo.closing_month(synthetic_program(seed=0, partners=20, clicks=100)).label == "2026-08"
    short = synthetic_program(seed=0, partners=20, clicks=100, days=10)
    assert demo.closing_month(short).label == "2026-07"


def test_close_section_computes_commission_when_run_alone(program: Program) -> None:
    context = cli.DemoContext(program, program.summary())
    block = demo.close_section(context)
    assert block.title == CLOSE
    assert isinstance(context.results["commission"], cm.CommissionTable)
    assert block.rows[-1][0] == "total"


def test_no_orders_prints_zeros(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--clicks", "0", "--partners", "5", "--plain"]) == 0
    output = capsys.readouterr().out
    assert row_of(output, COMMISSION, "total") == ["total", "0", "0", *["0.00 USD"] * 2, "0.00%"]
    assert row_of(output, "Period close", "total") == ["total", usd(0)]


def test_sections_follow_the_programme_sections() -> None:
    sections = cli.DEMO_SECTIONS
    # Attribution decides who earns, and screening what is held, between the rates and the
    # commission.
    assert sections.index(demo.commission_section) == sections.index(demo.rates_section) + 4
    # The KPI scoreboard of the commissions comes between them and the period close.
    assert sections.index(demo.close_section) == sections.index(demo.commission_section) + 2
