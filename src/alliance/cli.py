"""The ``alliance`` command.

``alliance demo`` generates a synthetic programme and prints what is in it. The demo is a list
of sections (`DEMO_SECTIONS`): each turns the programme (and what earlier sections computed)
into a titled table, and the tables are printed with ``rich`` when it is installed, as plain
text otherwise. Later stages of the library (risk, KPIs) add sections.

The settlement sections write the one file the demo leaves behind: the programme's ledger, an
SQLite file in ``alliance-demo/`` under the current directory (`ledger_path`). Running the demo
again settles the same months into it and adds nothing.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from alliance import Money, Period, Reversals, __version__, periods_between
from alliance import commission as cm
from alliance import settlement as st
from alliance.datasets import Program, ProgramSummary, synthetic_program
from alliance.errors import SettlementError

__all__ = ["DEMO_SECTIONS", "Block", "DemoContext", "Section", "main"]


@dataclass(frozen=True)
class Block:
    """One section of output: a titled table of text cells.

    Attributes:
        title: Heading of the section.
        headers: Column headings; the first column is left-aligned, the others right-aligned.
        rows: The cells, one tuple per row.
        note: A line printed under the table (assumptions, how a figure was computed).
    """

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass
class DemoContext:
    """What the demo's sections read: the programme, its summary, and earlier results.

    Attributes:
        program: The generated programme.
        summary: ``program.summary()``, computed once.
        results: Whatever a section computes for the sections after it, by name.
    """

    program: Program
    summary: ProgramSummary
    results: dict[str, Any] = field(default_factory=dict)


Section = Callable[[DemoContext], Block]


def _count(value: int) -> str:
    return f"{value:,}"


def _amount(text: str, code: str) -> str:
    return f"{Decimal(text):,} {code}"


def _percent(value: float) -> str:
    return f"{value:.2%}"


def programme_section(context: DemoContext) -> Block:
    """Size of the programme, traffic, conversion and GMV."""
    summary = context.summary
    rows = (
        ("Window", f"{summary['start'][:10]} to {summary['end'][:10]} ({summary['timezone']})"),
        ("Partners", _count(summary["partners"]["total"])),
        ("Clicks", _count(summary["clicks"])),
        ("Visitors", _count(summary["visitors"])),
        ("Orders", _count(summary["orders"])),
        ("Conversion rate (orders / clicks)", _percent(summary["conversion_rate"])),
        ("Order lines", _count(summary["lines"])),
        ("Customers", _count(summary["customers"])),
        ("New-customer orders", _percent(summary["new_customer_share"])),
        ("Orders with a partner's code", _count(summary["coupon_orders"])),
        ("GMV", _amount(summary["gmv_usd"], "USD")),
        ("Average order value", _amount(summary["aov_usd"], "USD")),
    )
    return Block("Programme", ("Measure", "Value"), rows)


def partners_section(context: DemoContext) -> Block:
    """Partners by kind, with the KOL pyramid's tiers."""
    counts = context.summary["partners"]
    total = counts["total"]
    rows: list[tuple[str, ...]] = []
    tiers = {"head": "≥ 1M", "mid": "50k-1M", "nano": "10k-50k"}
    for kind, number in counts["by_kind"].items():
        rows.append((kind, _count(number), _percent(number / total if total else 0.0)))
        if kind == "kol":
            for tier, reach in tiers.items():
                size = counts["kol_tiers"][tier]
                share = _percent(size / total if total else 0.0)
                rows.append((f"  {tier} ({reach} followers)", _count(size), share))
    rows.append(("total", _count(total), _percent(1.0 if total else 0.0)))
    groups = ", ".join(f"{name} {number}" for name, number in counts["by_group"].items())
    statuses = ", ".join(f"{name} {number}" for name, number in counts["by_status"].items())
    note = f"Groups: {groups}. Status: {statuses}. Sub-affiliates: {counts['sub_affiliates']}."
    return Block("Partners by kind", ("Kind", "Partners", "Share"), tuple(rows), note)


def gmv_section(context: DemoContext) -> Block:
    """GMV by order currency, exact, and in US dollars at each order's rate."""
    summary = context.summary
    total = Decimal(summary["gmv_usd"])
    rows = tuple(
        (
            row["currency"],
            _count(row["orders"]),
            _amount(row["amount"], row["currency"]),
            _amount(row["usd"], "USD"),
            _percent(float(Decimal(row["usd"]) / total) if total else 0.0),
        )
        for row in summary["gmv"]
    )
    footer = ("total", _count(summary["orders"]), "", _amount(summary["gmv_usd"], "USD"), "")
    note = (
        "Each order is converted at the rate in force at its own time (FxRates.convert_minor), "
        "rounded once, then added up."
    )
    return Block(
        "GMV by currency", ("Currency", "Orders", "GMV", "In USD", "Share"), (*rows, footer), note
    )


def reversals_section(context: DemoContext) -> Block:
    """Refunds, chargebacks and cancellations: counts, full or partial, value."""
    summary = context.summary
    rows = tuple(
        (
            row["kind"],
            _count(row["count"]),
            _count(row["full"]),
            _count(row["partial"]),
            _amount(row["usd"], "USD"),
            _percent(row["share_of_gmv"]),
        )
        for row in summary["reversals"]
    )
    count = sum(row["count"] for row in summary["reversals"])
    share = sum(row["share_of_gmv"] for row in summary["reversals"])
    footer = ("total", _count(count), "", "", _amount(summary["reversed_usd"], "USD"))
    return Block(
        "Reversals",
        ("Kind", "Count", "Full", "Partial", "Value", "Of GMV"),
        (*rows, (*footer, _percent(share))),
        "Valued in USD at the reversed order's rate; a full reversal is the order's amount.",
    )


def rates_section(context: DemoContext) -> Block:
    """Exchange rates per US dollar on the first and the last day."""
    rows = tuple(
        (row["currency"], row["first"], row["last"], f"{row['change']:+.2%}")
        for row in context.summary["fx"]
    )
    return Block(
        "Exchange rates (units per USD)",
        ("Currency", "First day", "Last day", "Change"),
        rows,
        "A daily random walk at each currency's volatility, six significant digits.",
    )


def commission_book(program: Program) -> cm.ContractBook:
    """The demo's contracts: a realistic book for the synthetic programme, in US dollars.

    Every contract holds commission for 14 days (the refund window) and pays from 50 USD.

    - ``standard``, the programme default: marginal monthly revenue tiers, 5% and 7% from
      500 USD (content sites, KOLs, cashback sites, agencies, brands).
    - ``premium``, for the ``premium`` group: whole-volume monthly tiers, 6%, 8% from 1,000 USD
      and 10% from 10,000 USD, paid provisionally and trued up at close.
    - ``coupon-<partner>``, one per coupon site: 3% of the base, since a coupon often lands on
      a sale that would have happened anyway. Coupon sites are a partner *kind*, not a group,
      so each gets a partner contract (which also wins over ``premium``).
    - ``kol-head-<partner>``, one per partner in the ``kol-head`` group: 10% with 1,500 USD a
      month guaranteed (保底 + 提成). A partner contract, so the minimum is owed in a month
      without sales too.
    """
    terms: dict[str, Any] = {
        "version": 1,
        "currency": "USD",
        "timezone": program.timezone,
        "effective_from": program.start,
        "hold_days": 14,
        "minimum_payout": Money("50.00", "USD"),
    }
    contracts = [
        cm.Contract(
            id="standard",
            applies_to=cm.default(),
            plan=cm.tiered(tiers=[("0", "5%"), ("500", "7%")]),
            **terms,
        ),
        cm.Contract(
            id="premium",
            applies_to=cm.group("premium"),
            plan=cm.tiered(mode="whole", tiers=[("0", "6%"), ("1000", "8%"), ("10000", "10%")]),
            **terms,
        ),
    ]
    partners = program.partners
    for partner_id, kind, group in zip(
        partners["partner_id"], partners["kind"], partners["group"], strict=True
    ):
        if kind == "coupon":
            contracts.append(
                cm.Contract(
                    id=f"coupon-{partner_id}",
                    applies_to=cm.partner(partner_id),
                    plan=cm.percent("3%"),
                    **terms,
                )
            )
        elif group == "kol-head":
            minimum = Money("1500.00", "USD")
            contracts.append(
                cm.Contract(
                    id=f"kol-head-{partner_id}",
                    applies_to=cm.partner(partner_id),
                    plan=cm.guarantee(cm.percent("10%"), minimum),
                    **terms,
                )
            )
    return cm.ContractBook(contracts)


def _usd(minor: int) -> str:
    return f"{Money.from_minor(minor, 'USD').amount:,} USD"


def _plain_usd(minor: int) -> str:
    """US dollars without the code, for tables whose note says the currency."""
    return f"{Money.from_minor(minor, 'USD').amount:,}"


def commission_section(context: DemoContext) -> Block:
    """Commission under the demo's book (`commission_book`), by partner kind, in US dollars."""
    program = context.program
    book = commission_book(program)
    table = cm.compute(program.orders, book, fx=program.fx, partners=program.partners)
    context.results["commission_book"] = book
    context.results["commission"] = table
    kind_of = dict(zip(program.partners["partner_id"], program.partners["kind"], strict=True))
    kinds = np.array([kind_of[p] for p in table["partner_id"]], dtype=object)
    rows: list[tuple[str, ...]] = []
    for kind in context.summary["partners"]["by_kind"]:
        mine = kinds == kind
        base = int(table["base"][mine].sum())
        commission = int(table["commission"][mine].sum())
        rows.append(
            (
                kind,
                _count(len(set(table["partner_id"][mine].tolist()))),
                _count(len(set(table["order_id"][mine].tolist()))),
                _usd(base),
                _usd(commission),
                _percent(commission / base if base else 0.0),
            )
        )
    base = int(table["base"].sum())
    total = table.total().get("USD", Money("0.00", "USD"))
    footer = (
        "total",
        _count(len(set(table["partner_id"].tolist()))),
        _count(len(set(table["order_id"].tolist()))),
        _usd(base),
        _usd(total.minor),
        _percent(total.minor / base if base else 0.0),
    )
    note = (
        "Contracts: standard (default) 5%, 7% from 500 USD a month, marginal; premium group 6%, "
        "8% from 1,000 USD, 10% from 10,000 USD, whole volume; coupon sites 3%; head KOLs 10% "
        "with 1,500 USD a month guaranteed. Base: order amount less tax, in USD at the order's "
        "rate; one rounding per order."
    )
    return Block(
        "Commission by partner kind",
        ("Kind", "Partners", "Orders", "Base", "Commission", "Rate"),
        (*rows, footer),
        note,
    )


def closing_month(program: Program) -> Period:
    """The last calendar month wholly inside the programme's window (else its first month)."""
    months = periods_between(program.start, program.end, "month", tz=program.timezone)
    whole = [m for m in months if m.start >= program.start and m.end <= program.end]
    return whole[-1] if whole else months[0]


def close_section(context: DemoContext) -> Block:
    """`close_period` for one month, net of reversals: true-ups and guarantee top-ups."""
    program = context.program
    if "commission" not in context.results:
        commission_section(context)
    table: cm.CommissionTable = context.results["commission"]
    book: cm.ContractBook = context.results["commission_book"]
    month = closing_month(program)
    adjustments = cm.close_period(table, book, month, reversals=program.reversals)
    kind_of = dict(zip(program.partners["partner_id"], program.partners["kind"], strict=True))
    rows = tuple(
        (
            adjustment.partner_id,
            kind_of[adjustment.partner_id],
            adjustment.contract_id,
            adjustment.kind,
            _usd(adjustment.amount.minor),
        )
        for adjustment in adjustments
    )
    footer = ("total", "", "", "", _usd(sum(a.amount.minor for a in adjustments)))
    note = (
        f"Owed at the close of {month.label} ({program.timezone}), net of reversals: premium "
        "partners' lines re-priced at the tier their month ended in (true_up), and head KOLs' "
        "guaranteed minimums (guarantee)."
    )
    return Block(
        f"Period close, {month.label}",
        ("Partner", "Kind", "Contract", "Adjustment", "Amount"),
        (*rows, footer),
        note,
    )


# -- settlement -------------------------------------------------------------------------------

#: The folder, under the current directory, that holds the demo's ledgers.
DEMO_FOLDER = Path("alliance-demo")

_DEFAULT_PROGRAMME = {"seed": 0, "partners": 200, "clicks": 50_000, "days": 90}


def ledger_path(program: Program) -> Path:
    """The demo's ledger file for `program`: ``alliance-demo/ledger.db`` for the defaults.

    Entry and statement ids derive from order and partner ids, which every programme reuses,
    so each programme keeps its own ledger: another seed or size gets a file named after it
    (``ledger-seed3-partners500-clicks200000-days90.db``).
    """
    shape = {
        "seed": program.seed,
        "partners": len(program.partners),
        "clicks": len(program.clicks),
        "days": (program.end - program.start).days,
    }
    if shape == _DEFAULT_PROGRAMME:
        return DEMO_FOLDER / "ledger.db"
    return DEMO_FOLDER / f"ledger-{'-'.join(f'{k}{v}' for k, v in shape.items())}.db"


def order_reversals(program: Program) -> Reversals:
    """The programme's reversals against whole orders, as the demo's commission table has them.

    The demo prices whole orders (no lines), so a reversal of one line is a reversal of that
    amount of its order; a line reversed in full gives the line's amount.
    """
    line_amount = {
        (record["order_id"], record["line_id"]): record["amount"]
        for record in program.lines.to_records()
    }
    records = []
    for record in program.reversals.to_records():
        line_id = record["line_id"]
        if line_id is not None:
            amount = record["amount"]
            if amount is None:
                amount = line_amount[record["order_id"], line_id]
            record = {**record, "line_id": None, "amount": amount}
        records.append(record)
    return Reversals.from_records(records, orders=program.orders)


@dataclass(frozen=True)
class _Settled:
    """The demo's settlement: statements by month and what the ledger holds afterwards."""

    path: Path
    statements: dict[str, tuple[st.Statement, ...]]
    added: int
    entries: int
    movements: int
    balances: dict[tuple[str, str], Money]


def _settle_months(context: DemoContext) -> _Settled:
    """Settle each month of the window into the demo's ledger, once per context."""
    if "settlement" in context.results:
        settled: _Settled = context.results["settlement"]
        return settled
    program = context.program
    if "commission" not in context.results:
        commission_section(context)
    table: cm.CommissionTable = context.results["commission"]
    book: cm.ContractBook = context.results["commission_book"]
    reversals = order_reversals(program)
    path = ledger_path(program)
    path.parent.mkdir(parents=True, exist_ok=True)
    statements: dict[str, tuple[st.Statement, ...]] = {}
    added = 0
    with st.SQLiteStore(path) as store:
        for month in periods_between(program.start, program.end, "month", tz=program.timezone):
            result = st.settle(
                table,
                book=book,
                period=month,
                reversals=reversals,
                fx=program.fx,
                partners=program.partners,
                store=store,
            )
            added += store.append(result)
            statements[month.label] = result.statements
        settled = _Settled(
            path,
            statements,
            added,
            len(store.entry_ids()),
            len(store.movements()),
            store.balances(),
        )
    context.results["settlement"] = settled
    return settled


def _minor(statements: Sequence[st.Statement], name: str) -> int:
    return sum(getattr(statement, name).minor for statement in statements)


def settlement_section(context: DemoContext) -> Block:
    """Each month of the window settled into the demo's ledger: statements and what moved."""
    settled = _settle_months(context)
    months = settled.statements
    everything = [s for statements in months.values() for s in statements]
    last = list(months.values())[-1] if months else ()
    measures: list[tuple[str, Callable[[Sequence[st.Statement]], str]]] = [
        ("Statements", lambda s: _count(len(s))),
        ("Paid statements", lambda s: _count(sum(x.reason is None for x in s))),
        ("Approved", lambda s: _plain_usd(_minor(s, "approved"))),
        ("Adjustments", lambda s: _plain_usd(_minor(s, "adjustments"))),
        ("Voided before lock", lambda s: _plain_usd(_minor(s, "voided"))),
        ("Clawbacks", lambda s: _plain_usd(_minor(s, "clawbacks"))),
        ("Paid", lambda s: _plain_usd(_minor(s, "paid"))),
    ]
    rows = [
        (name, *(show(statements) for statements in months.values()), show(everything))
        for name, show in measures
    ]
    carried = [_plain_usd(_minor(statements, "carried")) for statements in months.values()]
    rows.append(("Carried", *carried, _plain_usd(_minor(last, "carried"))))
    pending = -sum(
        balance.minor
        for (name, code), balance in settled.balances.items()
        if name.startswith("pending:") and code == "USD"
    )
    note = (
        f"Amounts in USD. Terms: 14 days' hold, 50 USD minimum payout, paid at each month's "
        f"end. Still on hold: {_plain_usd(pending)}. Ledger {settled.path.as_posix()}: "
        f"{_count(settled.entries)} entries with {_count(settled.movements)} line movements "
        f"behind them, {_count(settled.added)} entries added by this run."
    )
    return Block(
        "Settlement by month",
        ("Measure", *months, "Total"),
        tuple(rows),
        note,
    )


def statements_section(context: DemoContext, top: int = 10) -> Block:
    """The partners paid most over the settled months: earned, clawed back, paid, carried."""
    settled = _settle_months(context)
    by_partner: dict[str, list[st.Statement]] = defaultdict(list)
    for statements in settled.statements.values():
        for statement in statements:
            by_partner[statement.partner_id].append(statement)

    def earned(statements: Sequence[st.Statement]) -> int:
        return _minor(statements, "approved") + _minor(statements, "adjustments")

    def payout(statements: Sequence[st.Statement]) -> str:
        paid = [s.payout for s in statements if s.reason is None]
        if not paid:
            return ""
        total = sum(paid[1:], paid[0])
        return f"{total.amount:,} {total.currency}"

    ranked = sorted(by_partner.items(), key=lambda item: (-_minor(item[1], "paid"), item[0]))
    rows = [
        (
            partner_id,
            _plain_usd(earned(statements)),
            _plain_usd(_minor(statements, "clawbacks")),
            _plain_usd(_minor(statements, "paid")),
            payout(statements),
            _plain_usd(statements[-1].carried.minor),
        )
        for partner_id, statements in ranked[:top]
    ]
    everything = [s for statements in by_partner.values() for s in statements]
    last = [statements[-1] for statements in by_partner.values()]
    footer = (
        f"all {_count(len(by_partner))}",
        _plain_usd(earned(everything)),
        _plain_usd(_minor(everything, "clawbacks")),
        _plain_usd(_minor(everything, "paid")),
        "",
        _plain_usd(_minor(last, "carried")),
    )
    labels = list(settled.statements)
    window = f"{labels[0]} to {labels[-1]}" if labels else "no months"
    note = (
        "Amounts in USD; earned is approved commission plus close adjustments; payout is what "
        "was paid, in the partner's currency at the rate of the payout date; carried is the "
        "balance after the last month."
    )
    return Block(
        f"Statements, top {top} partners by paid ({window})",
        ("Partner", "Earned", "Clawbacks", "Paid", "Payout", "Carried"),
        (*rows, footer),
        note,
    )


#: The demo's sections, in order. Later stages append theirs.
DEMO_SECTIONS: list[Section] = [
    programme_section,
    partners_section,
    gmv_section,
    reversals_section,
    rates_section,
    commission_section,
    close_section,
    settlement_section,
    statements_section,
]


# -- rendering --------------------------------------------------------------------------------


def _render_plain(title: str, blocks: Sequence[Block], out: TextIO) -> None:
    print(title, file=out)
    print("=" * len(title), file=out)
    for block in blocks:
        print(file=out)
        print(block.title, file=out)
        print("-" * len(block.title), file=out)
        table = [block.headers, *block.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(block.headers))]
        for number, row in enumerate(table):
            cells = [
                cell.ljust(width) if i == 0 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            print("  ".join(cells).rstrip(), file=out)
            if number == 0:
                print("  ".join("-" * width for width in widths), file=out)
        if block.note:
            print(block.note, file=out)


def _render_rich(title: str, blocks: Sequence[Block], out: TextIO) -> bool:
    """Print with rich; False when rich is not installed."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        return False
    console = Console(file=out)
    console.rule(f"[bold]{title}")
    for block in blocks:
        console.print()
        table = Table(
            title=block.title,
            caption=block.note or None,
            title_style="bold",
            title_justify="left",
            caption_justify="left",
        )
        for number, header in enumerate(block.headers):
            table.add_column(header, justify="left" if number == 0 else "right")
        for row in block.rows:
            table.add_row(*row)
        console.print(table)
    return True


def render(title: str, blocks: Sequence[Block], *, out: TextIO, plain: bool = False) -> None:
    """Print blocks as rich tables when rich is importable (and not `plain`), else as text."""
    if plain or not _render_rich(title, blocks, out):
        _render_plain(title, blocks, out)


# -- commands ---------------------------------------------------------------------------------


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _demo(args: argparse.Namespace) -> int:
    try:
        program = synthetic_program(
            seed=args.seed, partners=args.partners, clicks=args.clicks, days=args.days
        )
    except ValueError as error:
        print(f"alliance demo: error: {error}", file=sys.stderr)
        return 2
    context = DemoContext(program, program.summary())
    try:
        blocks = [section(context) for section in DEMO_SECTIONS]
    except (OSError, sqlite3.Error, SettlementError) as error:
        # The ledger file: not writable, locked by another run, or not a ledger.
        print(f"alliance demo: error: {error}", file=sys.stderr)
        return 1
    title = f"alliance demo: a synthetic affiliate programme (seed {program.seed})"
    render(title, blocks, out=sys.stdout, plain=args.plain)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alliance", description="Affiliate marketing logic with exact money."
    )
    parser.add_argument("--version", action="version", version=f"alliance {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="generate a synthetic programme and summarise it",
        description="Generate a deterministic synthetic programme and print a summary.",
    )
    demo.add_argument("--seed", type=_whole(0), default=0, help="random seed (default 0)")
    demo.add_argument(
        "--partners", type=_whole(1), default=200, help="number of partners (default 200)"
    )
    demo.add_argument(
        "--clicks", type=_whole(0), default=50_000, help="number of clicks (default 50,000)"
    )
    demo.add_argument("--days", type=_whole(1), default=90, help="days in the window (default 90)")
    demo.add_argument("--plain", action="store_true", help="plain text even if rich is installed")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``alliance`` command.

    Args:
        argv: Arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        The exit status: 0 on success, 1 when the demo's ledger cannot be opened or written,
        2 on bad arguments.

    Raises:
        SystemExit: ``--help``, ``--version``, or arguments argparse refuses.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    status: int = args.run(args)
    return status
