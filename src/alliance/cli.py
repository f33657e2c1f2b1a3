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
from collections.abc import Callable, Sequence
from typing import TextIO

from alliance import __version__
from alliance._demo import (
    Block,
    DemoContext,
    Section,
    close_section,
    commission_section,
    gmv_section,
    partners_section,
    programme_section,
    rates_section,
    reversals_section,
)
from alliance._demo_attribution import attribution_section
from alliance._demo_kpi import kpi_section
from alliance._demo_risk import flagged_partners_section, fraud_section
from alliance._demo_settlement import (
    settlement_section,
    statements_section,
)
from alliance.datasets import synthetic_program
from alliance.errors import SettlementError

__all__ = ["DEMO_SECTIONS", "Block", "DemoContext", "Section", "main"]

#: The demo's sections, in order. Later stages append theirs.
DEMO_SECTIONS: list[Section] = [
    programme_section,
    partners_section,
    gmv_section,
    reversals_section,
    rates_section,
    attribution_section,
    fraud_section,
    flagged_partners_section,
    commission_section,
    kpi_section,
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
