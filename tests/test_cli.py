"""The ``alliance`` command: ``alliance demo`` with rich, without it, and with bad arguments."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest

import alliance as al
from alliance import cli
from alliance.datasets import Program, synthetic_program

HEADINGS = (
    "Programme",
    "Partners by kind",
    "GMV by currency",
    "Reversals",
    "Exchange rates (units per USD)",
)


@pytest.fixture(autouse=True)
def in_a_temporary_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo writes its ledger under the current directory: keep it out of the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def program() -> Program:
    # The demo's defaults with 2,000 clicks: the figures it must print come from these tables.
    return synthetic_program(seed=0, partners=200, clicks=2_000)


def hide_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "rich" or m.startswith("rich.")]:
        monkeypatch.delitem(sys.modules, name)
    for name in ("rich", "rich.console", "rich.table"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError


def line_with(output: str, label: str) -> str:
    lines = [line for line in output.splitlines() if label in line]
    assert lines, f"no line with {label!r} in:\n{output}"
    return lines[0]


def row_of(output: str, first_cell: str) -> list[str]:
    """The cells of the first table row whose first cell is `first_cell` (rich or plain)."""
    for line in output.splitlines():
        cells = [c for c in re.split(r"\s{2,}", line.replace("│", "  ").strip()) if c]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{output}")


def expected_figures(program: Program) -> dict[str, str]:
    """The demo's key figures, computed from the tables directly (not from the summary)."""
    orders = program.orders
    figures = {
        "Orders": f"{len(orders):,}",
        "Clicks": f"{len(program.clicks):,}",
        "Partners": f"{len(program.partners):,}",
        "Conversion rate (orders / clicks)": f"{len(orders) / len(program.clicks):.2%}",
    }
    for code in ("USD", "JPY", "KWD"):
        rows = orders["currency"] == code
        total = al.Money.from_minor(int(orders["amount"][rows].sum()), code)
        figures[f"GMV {code}"] = f"{total.amount:,} {code}"
    usd = program.fx.convert_minor(orders["amount"], orders["currency"], "USD", at=orders["ts"])
    figures["GMV"] = f"{al.Money.from_minor(int(usd.sum()), 'USD').amount:,} USD"
    kinds = program.reversals["kind"]
    for kind in ("refund", "chargeback", "cancellation"):
        figures[kind] = str(int((kinds == kind).sum()))
    kol = program.partners["kind"] == "kol"
    figures["kol"] = str(int(kol.sum()))
    head = kol & (program.partners["audience_size"] >= 1_000_000)
    figures["head"] = str(int(head.sum()))
    return figures


def check_demo_output(output: str, program: Program) -> None:
    for heading in HEADINGS:
        assert heading in output
    figures = expected_figures(program)
    for label in ("Orders", "Clicks", "Partners", "Conversion rate (orders / clicks)", "GMV"):
        assert row_of(output, label) == [label, figures[label]]
    for code in ("USD", "JPY", "KWD"):
        assert row_of(output, code)[2] == figures[f"GMV {code}"]
    # KWD carries three decimals, JPY none.
    kwd = figures["GMV KWD"].split()[0]
    assert len(kwd.split(".")[1]) == 3
    assert "." not in figures["GMV JPY"]
    for kind in ("refund", "chargeback", "cancellation"):
        assert row_of(output, kind)[1] == figures[kind], kind
    assert row_of(output, "kol")[1] == figures["kol"]
    assert row_of(output, "head (≥ 1M followers)")[1] == figures["head"]


def test_demo_with_rich(program: Program, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--clicks", "2000"]) == 0
    output = capsys.readouterr().out
    check_demo_output(output, program)
    assert "┃" in output  # rich's table borders
    assert "alliance demo: a synthetic affiliate programme (seed 0)" in output


def test_demo_without_rich(
    program: Program, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_rich(monkeypatch)
    with pytest.raises(ImportError):
        import rich.console  # noqa: F401
    assert cli.main(["demo", "--clicks", "2000"]) == 0
    output = capsys.readouterr().out
    check_demo_output(output, program)
    assert "┃" not in output
    assert "│" not in output
    assert output.startswith("alliance demo: a synthetic affiliate programme (seed 0)\n=====")
    assert "\nGMV by currency\n---------------\n" in output


def test_plain_flag_forces_plain_text(program: Program, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--clicks", "2000", "--plain"]) == 0
    output = capsys.readouterr().out
    check_demo_output(output, program)
    assert "┃" not in output


def test_demo_options_change_the_programme(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(["demo", "--seed", "4", "--partners", "25", "--clicks", "1_500", "--plain"]) == 0
    )
    output = capsys.readouterr().out
    expected = synthetic_program(seed=4, partners=25, clicks=1_500)
    assert "(seed 4)" in output
    assert line_with(output, "Partners ").split()[-1] == "25"
    assert line_with(output, "Orders").split()[-1] == f"{len(expected.orders):,}"
    assert line_with(output, "Clicks").split()[-1] == "1,500"


def test_gmv_rows_match_the_tables(program: Program, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["demo", "--clicks", "2000", "--plain"])
    output = capsys.readouterr().out
    section = output.split("GMV by currency")[1].split("Reversals")[0]
    orders = program.orders
    rows = {line.split()[0]: line for line in section.splitlines() if line.strip()}
    for code in program.currencies:
        row = rows[code]
        count = int((orders["currency"] == code).sum())
        assert row.split()[1] == f"{count:,}", row
    assert rows["total"].split()[1] == f"{len(orders):,}"
    shares = [Decimal(line.split()[-1].rstrip("%")) for line in section.splitlines() if "%" in line]
    assert abs(sum(shares, Decimal(0)) - 100) < Decimal("0.1")


def test_sections_are_a_list_later_stages_extend(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def orders_per_partner(context: cli.DemoContext) -> cli.Block:
        codes, _names = context.program.orders.codes("partner_id")
        busiest = int(np.bincount(codes).max())
        context.results["busiest"] = busiest
        return cli.Block("Busiest partner", ("Measure", "Value"), (("orders", str(busiest)),))

    monkeypatch.setattr(cli, "DEMO_SECTIONS", [*cli.DEMO_SECTIONS, orders_per_partner])
    assert cli.main(["demo", "--clicks", "1000", "--plain"]) == 0
    output = capsys.readouterr().out
    assert output.index("Busiest partner") > output.index("Exchange rates")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--clicks", "-5"], "argument --clicks: must be at least 0, got -5"),
        (["demo", "--partners", "0"], "argument --partners: must be at least 1, got 0"),
        (["demo", "--partners", "-3"], "argument --partners: must be at least 1, got -3"),
        (["demo", "--seed", "-1"], "argument --seed: must be at least 0, got -1"),
        (["demo", "--clicks", "many"], "argument --clicks: expected a whole number, got 'many'"),
        (["demo", "--days", "0"], "argument --days: must be at least 1, got 0"),
        (["launch"], "invalid choice: 'launch'"),
    ],
)
def test_bad_arguments_exit_with_status_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"alliance {al.__version__}"


def test_python_dash_m_runs_the_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "alliance", "demo", "--clicks", "800", "--plain"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "GMV by currency" in done.stdout
    assert line_with(done.stdout, "Clicks").split()[-1] == "800"


def test_console_script_is_declared() -> None:
    (script,) = entry_points(group="console_scripts", name="alliance")
    assert script.value == "alliance.cli:main"


def test_public_names_are_pinned() -> None:
    assert cli.__all__ == ["DEMO_SECTIONS", "Block", "DemoContext", "Section", "main"]
