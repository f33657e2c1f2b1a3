"""The demo's settlement sections: a ledger settled once, figures that are the store's."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

import alliance as al
from alliance import _demo_settlement as demo_settlement
from alliance import cli
from alliance import settlement as st
from alliance.datasets import Program, synthetic_program

BY_MONTH = "Settlement by month"
TOP = "Statements, top 10 partners by paid (2026-07 to 2026-09)"
LEDGER = Path("alliance-demo") / "ledger.db"


@pytest.fixture(autouse=True)
def in_a_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def program() -> Program:
    # The demo's defaults: `alliance demo` with no options.
    return synthetic_program(seed=0, partners=200, clicks=50_000, days=90)


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
        cells = re.split(r"\s{2,}", line.replace("│", "  ").replace("┃", "  ").strip())
        yield [c for c in cells if c]


def row_of(output: str, title: str, first_cell: str) -> list[str]:
    for cells in rows_under(output, title):
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} under {title!r} in:\n{output}")


def text_of(output: str, title: str) -> str:
    """The section `title` as one line of text (its table and note), for phrases in the note."""
    section = output.split(title, 1)[1].split("\n\n", 1)[0]
    return " ".join(section.replace("│", " ").replace("┃", " ").split())


def usd(minor: int) -> str:
    return f"{al.Money.from_minor(minor, 'USD').amount:,}"


def total(statements: list[st.Statement], name: str) -> int:
    return sum(getattr(s, name).minor for s in statements)


def run_demo(capsys: pytest.CaptureFixture[str], *options: str) -> str:
    assert cli.main(["demo", *options]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("plain", [False, True], ids=["rich", "plain"])
def test_the_demo_settles_once_and_prints_the_ledgers_figures(
    plain: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if plain:
        hide_rich(monkeypatch)
    first = run_demo(capsys)
    assert LEDGER.is_file()
    with st.SQLiteStore(LEDGER) as store:
        entries = store.entries()
        movements = store.movements()
        moved = len(movements)
        statements = list(store.statements())
        balances = store.balances()
    assert entries
    st.check_balanced(entries)
    count = f"{len(entries):,}"
    first_legs = {e.txn_id: e.amount.minor for e in entries if e.entry_id.endswith("/0")}
    for txn in set(movements["txn_id"].tolist()):  # the lines add up to their transaction
        assert int(movements["amount"][movements["txn_id"] == txn].sum()) == first_legs[txn]
    assert (
        f"Ledger alliance-demo/ledger.db: {count} entries with {moved:,} line movements behind "
        f"them, {count} entries added by this run."
    ) in text_of(first, BY_MONTH)

    second = run_demo(capsys)
    assert "behind them, 0 entries added by this run." in text_of(second, BY_MONTH)
    with st.SQLiteStore(LEDGER) as store:
        assert store.entries() == entries  # settling again added nothing
        assert list(store.statements()) == statements
    # The same statements again (rich may wrap the note differently: compare the words).
    assert " ".join(second.split()).replace(
        ", 0 entries added", f", {count} entries added"
    ) == " ".join(first.split())

    # Month by month, each printed figure is the sum of the stored statements of the month.
    assert row_of(first, BY_MONTH, "Measure") == [
        "Measure",
        "2026-07",
        "2026-08",
        "2026-09",
        "Total",
    ]
    by_month = defaultdict(list)
    for statement in statements:
        by_month[statement.period.label].append(statement)
    months = [by_month[label] for label in ("2026-07", "2026-08", "2026-09")]
    for label, name in [
        ("Approved", "approved"),
        ("Adjustments", "adjustments"),
        ("Voided before lock", "voided"),
        ("Clawbacks", "clawbacks"),
        ("Paid", "paid"),
    ]:
        expected = [usd(total(month, name)) for month in months] + [usd(total(statements, name))]
        assert row_of(first, BY_MONTH, label)[1:] == expected, label
    assert row_of(first, BY_MONTH, "Statements")[1:] == [
        *(str(len(month)) for month in months),
        str(len(statements)),
    ]
    carried_at_end = total(months[-1], "carried")
    assert row_of(first, BY_MONTH, "Carried")[-1] == usd(carried_at_end)

    # The totals are the ledger's balances.
    paid = total(statements, "paid")
    assert paid > 0
    # Paid in dollars: straight from cash, or through the clearing account when converted.
    assert paid == -(balances["cash", "USD"].minor + balances["fx:USD", "USD"].minor)
    payable = sum(b.minor for (name, _), b in balances.items() if name.startswith("payable:"))
    assert carried_at_end == -payable
    pending = -sum(b.minor for (name, _), b in balances.items() if name.startswith("pending:"))
    assert f"Still on hold: {usd(pending)}." in text_of(first, BY_MONTH)
    # What the programme bore is what is still on hold, paid, or owed.
    assert balances["expense", "USD"].minor == pending + paid + carried_at_end
    # Each payout currency left cash as the statements say.
    payouts: dict[str, al.Money] = {}
    for statement in statements:
        if statement.reason is None:
            code = statement.payout.currency
            payouts[code] = payouts.get(code, al.Money(0, code)) + statement.payout
    assert len(payouts) > 1
    for code, amount in payouts.items():
        assert balances["cash", code] == -amount, code


def test_the_top_partners_are_their_statements(capsys: pytest.CaptureFixture[str]) -> None:
    output = run_demo(capsys, "--plain")
    with st.SQLiteStore(LEDGER) as store:
        statements = list(store.statements())
    by_partner = defaultdict(list)
    for statement in statements:
        by_partner[statement.partner_id].append(statement)
    assert row_of(output, TOP, "Partner") == [
        "Partner",
        "Earned",
        "Clawbacks",
        "Paid",
        "Payout",
        "Carried",
    ]
    printed = [row for row in rows_under(output, TOP) if re.fullmatch(r"P\d{4}", row[0])]
    assert len(printed) == 10
    paid_order = sorted(by_partner, key=lambda p: (-total(by_partner[p], "paid"), p))
    assert [row[0] for row in printed] == paid_order[:10]
    for partner_id, earned, clawbacks, paid, payout, carried in printed:
        mine = by_partner[partner_id]
        assert earned == usd(total(mine, "approved") + total(mine, "adjustments"))
        assert (clawbacks, paid) == (usd(total(mine, "clawbacks")), usd(total(mine, "paid")))
        assert carried == usd(mine[-1].carried.minor)
        amounts = [s.payout for s in mine if s.reason is None]
        assert payout == f"{sum(amounts[1:], amounts[0]).amount:,} {amounts[0].currency}"
        # Nothing withheld, nothing carried in: earned and clawed back is paid or carried.
        assert Decimal(earned.replace(",", "")) + Decimal(clawbacks.replace(",", "")) == Decimal(
            paid.replace(",", "")
        ) + Decimal(carried.replace(",", ""))
    footer = row_of(output, TOP, f"all {len(by_partner)}")
    assert footer[1:] == [
        usd(total(statements, "approved") + total(statements, "adjustments")),
        usd(total(statements, "clawbacks")),
        usd(total(statements, "paid")),
        usd(sum(s[-1].carried.minor for s in by_partner.values())),
    ]
    # The head KOL sells nothing: three months of the 1,500.00 guarantee, paid in dollars.
    assert row_of(output, TOP, "P0015") == [
        "P0015",
        "4,500.00",
        "0.00",
        "4,500.00",
        "4,500.00 USD",
        "0.00",
    ]


def test_the_section_alone_settles_into_the_same_ledger(program: Program) -> None:
    context = cli.DemoContext(program, program.summary())
    block = demo_settlement.settlement_section(context)
    assert block.title == "Settlement by month"
    assert "commission" in context.results  # computed for it
    settled = context.results["settlement"]
    assert settled.path == LEDGER
    assert settled.added == settled.entries > 0
    again = cli.DemoContext(program, program.summary())
    assert (
        demo_settlement.statements_section(again).rows
        == demo_settlement.statements_section(context).rows
    )
    assert again.results["settlement"].added == 0
    assert again.results["settlement"].balances == settled.balances


def test_another_programme_keeps_its_own_ledger(capsys: pytest.CaptureFixture[str]) -> None:
    run_demo(capsys, "--seed", "3", "--partners", "25", "--clicks", "1500", "--plain")
    path = Path("alliance-demo") / "ledger-seed3-partners25-clicks1500-days90.db"
    assert path.is_file()
    assert not LEDGER.exists()
    output = run_demo(capsys, "--seed", "3", "--partners", "25", "--clicks", "1500", "--plain")
    assert f"Ledger {path.as_posix()}:" in text_of(output, BY_MONTH)
    assert "0 entries added by this run." in text_of(output, BY_MONTH)


def test_line_reversals_become_reversals_of_their_order(program: Program) -> None:
    converted = demo_settlement.order_reversals(program)
    assert len(converted) == len(program.reversals)
    assert all(line_id is None for line_id in converted["line_id"])
    line_amount = {(r["order_id"], r["line_id"]): r["amount"] for r in program.lines.to_records()}
    for given, made in zip(program.reversals.to_records(), converted.to_records(), strict=True):
        assert (made["reversal_id"], made["order_id"]) == (given["reversal_id"], given["order_id"])
        if given["line_id"] is None:
            assert made["amount"] == given["amount"]
        else:
            whole = line_amount[given["order_id"], given["line_id"]]
            assert made["amount"] == (given["amount"] if given["amount"] is not None else whole)


def test_a_file_that_is_not_a_ledger_stops_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path("alliance-demo") / "ledger-seed0-partners5-clicks500-days90.db"
    path.parent.mkdir()
    path.write_text("not a ledger", encoding="utf-8")
    assert cli.main(["demo", "--clicks", "500", "--partners", "5", "--plain"]) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        f"alliance demo: error: path={str(path)!r} cannot be opened as a ledger: "
        "file is not a database\n"
    )
    assert captured.out == ""
    assert path.read_text(encoding="utf-8") == "not a ledger"  # left as it was


def test_no_orders_settles_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    output = run_demo(capsys, "--clicks", "0", "--partners", "5", "--plain")
    assert row_of(output, BY_MONTH, "Paid")[-1] == "0.00"
    assert "Ledger alliance-demo/ledger-seed0-partners5-clicks0-days90.db:" in text_of(
        output, BY_MONTH
    )


def test_the_settlement_sections_come_last() -> None:
    assert cli.DEMO_SECTIONS[-2:] == [
        demo_settlement.settlement_section,
        demo_settlement.statements_section,
    ]
