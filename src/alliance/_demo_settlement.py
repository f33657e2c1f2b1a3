"""The demo's settlement sections: each month settled into the programme's SQLite ledger.

They write the one file the demo leaves behind: the programme's ledger, an SQLite file in
``alliance-demo/`` under the current directory (`ledger_path`). Running the demo again settles
the same months into it and adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from alliance import Money, Reversals, periods_between
from alliance import settlement as st
from alliance._demo import Block, DemoContext, _count, _plain_usd, priced
from alliance.datasets import Program

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
    table, book = priced(context)
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
